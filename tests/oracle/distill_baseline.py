"""Baseline for `blalm distill` (issue 21), written independently of the C code:
numpy ridge regression on hashed word unigrams and bigrams with TF-IDF, its
decision threshold tuned by cross-validation.

  distill_baseline.py split DOCS.jsonl.zst OUTDIR K SEED
      writes OUTDIR/fold<i>/{train,test}/docs/s/x.jsonl for an outer K-fold split
      (stratified by label, seeded) of the distinct documents
  distill_baseline.py run OUTDIR K
      for each outer fold: IDF and ridge (alpha 1, intercept) fitted on its train
      part, the threshold tuned by an inner K-fold CV on that part, predictions
      on its test part; prints {"f1_at3": pooled binary F1 at label >= 3, ...,
      "pred": [[0/1 per test document, in the test file's order] per fold]}

Hashing: crc32 of the lowercased token (regex [a-z0-9\\x80-\\xff]{2,} over
UTF-8 bytes) and of "a b" for bigrams, modulo 2^18; TF 1 + ln(tf); IDF
ln((1 + n) / (1 + df)) + 1; rows L2-normalised. The ridge is solved in the
dual (the kernel of the training rows, centred), np.linalg.solve."""
import json
import os
import re
import subprocess
import sys
import zlib

import numpy as np

D = 1 << 18
TOKEN = re.compile(rb"[a-z0-9\x80-\xff]{2,}")


def counts(text):
    toks = TOKEN.findall(text.encode("utf-8", "surrogatepass").lower())
    feats = {}
    for t in toks:
        j = zlib.crc32(t) % D
        feats[j] = feats.get(j, 0) + 1
    for a, b in zip(toks, toks[1:]):
        j = zlib.crc32(a + b" " + b) % D
        feats[j] = feats.get(j, 0) + 1
    return feats


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def split(src, out, k, seed):
    raw = subprocess.run(["zstd", "-dc", src], check=True, capture_output=True).stdout.decode()
    docs = [json.loads(line) for line in raw.splitlines()]
    rng = np.random.default_rng(seed)
    fold = np.empty(len(docs), int)
    labels = np.array([d["metadata"]["score"] for d in docs])
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        fold[idx] = np.arange(len(idx)) % k
    for f in range(k):
        for part, sel in (("train", fold != f), ("test", fold == f)):
            d = f"{out}/fold{f}/{part}/docs/s"
            os.makedirs(d, exist_ok=True)
            with open(f"{d}/x.jsonl", "w") as fh:
                for i in np.flatnonzero(sel):
                    fh.write(json.dumps(docs[i]) + "\n")


def design(docs):
    """COO rows, cols, raw counts."""
    r, c, v = [], [], []
    for i, d in enumerate(docs):
        for j, n in counts(d["text"]).items():
            r.append(i), c.append(j), v.append(n)
    return np.array(r), np.array(c), np.array(v, float)


def tfidf(r, c, v, n, idf):
    w = (1 + np.log(v)) * idf[c]
    norm = np.sqrt(np.bincount(r, weights=w * w, minlength=n))
    return w / np.where(norm > 0, norm, 1)[r]


def kernel(r, c, w, n):
    """K = X X^T exactly: dense BLAS for columns in many rows, pairs for the rest."""
    df = np.bincount(c, minlength=D)
    heavy = df >= 48
    cols = np.flatnonzero(heavy)
    pos = np.full(D, -1)
    pos[cols] = np.arange(len(cols))
    m = heavy[c]
    X = np.zeros((n, len(cols)))
    X[r[m], pos[c[m]]] = w[m]
    K = X @ X.T
    rr, cc, ww = r[~m], c[~m], w[~m]
    o = np.lexsort((rr, cc))
    rr, cc, ww = rr[o], cc[o], ww[o]
    flat = np.zeros(n * n)
    starts = np.flatnonzero(np.r_[True, cc[1:] != cc[:-1]])
    sizes = np.diff(np.r_[starts, len(cc)])
    for s in np.unique(sizes):
        st = starts[sizes == s]
        R = rr[st[:, None] + np.arange(s)]
        W = ww[st[:, None] + np.arange(s)]
        idx = (R[:, :, None] * n + R[:, None, :]).ravel()
        flat += np.bincount(idx, weights=(W[:, :, None] * W[:, None, :]).ravel(), minlength=n * n)
    return K + flat.reshape(n, n)


def ridge_predict(K, y, tr, te, alpha=1.0):
    """Kernel ridge with an unpenalised intercept (centred kernel); predictions on te."""
    Ktt = K[np.ix_(tr, tr)]
    rmean = Ktt.mean(axis=0)
    g = rmean.mean()
    Kc = Ktt - rmean[None, :] - rmean[:, None] + g
    yb = y[tr].mean()
    a = np.linalg.solve(Kc + alpha * np.eye(len(tr)), y[tr] - yb)
    Kv = K[np.ix_(te, tr)]
    Kvc = Kv - Kv.mean(axis=1)[:, None] - rmean[None, :] + g
    return yb + Kvc @ a


def best_threshold(p, y):
    o = np.argsort(-p, kind="stable")
    ps, pos = p[o], (y[o] >= 2.5).astype(float)
    tp = np.cumsum(pos)
    f1 = 2 * tp / (np.arange(1, len(p) + 1) + pos.sum())
    ok = np.r_[ps[1:] != ps[:-1], True]
    f1 = np.where(ok, f1, -1)
    j = int(np.argmax(f1))
    return 0.5 * (ps[j] + ps[j + 1]) if j + 1 < len(ps) else ps[j] - 1e-9


def run(out, k):
    tp = fp = fn = 0
    preds = []
    for f in range(k):
        train = read_jsonl(f"{out}/fold{f}/train/docs/s/x.jsonl")
        test = read_jsonl(f"{out}/fold{f}/test/docs/s/x.jsonl")
        docs = train + test
        n, ntr = len(docs), len(train)
        y = np.array([d["metadata"]["score"] for d in docs], float)
        r, c, v = design(docs)
        trmask = r < ntr
        df = np.bincount(c[trmask], minlength=D)
        idf = np.log((1 + ntr) / (1 + df)) + 1
        K = kernel(r, c, tfidf(r, c, v, n, idf), n)
        # inner CV on the training part tunes the threshold
        rng = np.random.default_rng(f)
        inner = np.empty(ntr, int)
        for cl in np.unique(y[:ntr]):
            idx = np.flatnonzero(y[:ntr] == cl)
            rng.shuffle(idx)
            inner[idx] = np.arange(len(idx)) % k
        oof = np.empty(ntr)
        for g in range(k):
            tr, te = np.flatnonzero(inner != g), np.flatnonzero(inner == g)
            oof[te] = ridge_predict(K, y, tr, te)
        t = best_threshold(oof, y[:ntr])
        p = ridge_predict(K, y, np.arange(ntr), np.arange(ntr, n))
        pred, true = p >= t, y[ntr:] >= 2.5
        preds.append([int(x) for x in pred])
        tp += int(np.sum(pred & true))
        fp += int(np.sum(pred & ~true))
        fn += int(np.sum(~pred & true))
    print(json.dumps({"f1_at3": 2 * tp / (2 * tp + fp + fn), "tp": tp, "fp": fp, "fn": fn, "pred": preds}))


if __name__ == "__main__":
    if sys.argv[1] == "split":
        split(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    else:
        run(sys.argv[2], int(sys.argv[3]))
