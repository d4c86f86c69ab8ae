#!/usr/bin/python3
"""Ground truth for `blalm dedup`, independent of its C code.

make:  builds a test set from real text (or synthetic text): originals,
       near-copies at known edit rates (word deletions, insertions, swaps,
       boilerplate appended), exact copies, unrelated documents; writes them as
       jsonl files under WORK/docs/test/.
score: reads WORK/attributes/dedup, computes the true word-5-gram Jaccard of
       every pair of documents by brute force (an inverted index over shingles
       counts every nonzero intersection exactly; pairs sharing no shingle have
       Jaccard 0), and checks recall (pairs with J >= 0.85 in one cluster) and
       pair precision (same-cluster pairs with J >= 0.5). Prints PASS/FAIL lines.

Normalisation is datatrove's simplify_text (FineWeb's): lowercase, whitespace
runs -> one space, datatrove's punctuation deleted, NFD minus nonspacing marks,
digit runs -> 0; then words split on whitespace."""
import json, os, random, re, subprocess, sys, unicodedata
from collections import Counter

BOILERPLATE = ("Share this article on social media. Subscribe to our newsletter for weekly "
               "updates, exclusive offers and more. Copyright all rights reserved. Terms of use "
               "and privacy policy apply to every page of this website.")

def synthetic_texts(n, rng):
    # letters only: FineWeb's normalisation turns every digit run into "0"
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = sorted({"".join(rng.choice(letters) for _ in range(rng.randint(2, 9))) for _ in range(6000)})
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    out = []
    for i in range(n):
        k = rng.randint(150, 600)
        out.append(" ".join(rng.choices(vocab, weights, k=k)))
    return out

def edit(words, kind, rate, rng, vocab):
    w = list(words)
    m = max(1, int(round(rate * len(w))))
    if kind == "delete":
        for _ in range(m):
            if len(w) > 1: del w[rng.randrange(len(w))]
    elif kind == "insert":
        for _ in range(m):
            w.insert(rng.randrange(len(w) + 1), rng.choice(vocab))
    elif kind == "swap":
        for _ in range(m):
            i = rng.randrange(max(1, len(w) - 1))
            if i + 1 < len(w): w[i], w[i + 1] = w[i + 1], w[i]
    return w

def cmd_make(work, src, nfiles, seed):
    rng = random.Random(seed)
    if src == "synthetic":
        texts = synthetic_texts(1400, rng)
        metas = [{"url": "https://synthetic.example/%d" % i, "score": rng.randint(0, 5)} for i in range(len(texts))]
        ids = ["syn-%d" % i for i in range(len(texts))]
    else:
        raw = subprocess.run(["zstd", "-dc", src], check=True, capture_output=True).stdout
        texts, metas, ids = [], [], []
        for line in raw.decode("utf-8").splitlines():
            d = json.loads(line)
            texts.append(d["text"]); ids.append(d["id"])
            metas.append({"url": d.get("metadata", {}).get("url"), "score": d.get("metadata", {}).get("score")})
        texts, metas, ids = texts[:1500], metas[:1500], ids[:1500]
    vocab = sorted({w for t in texts[:200] for w in t.split()})
    docs = []
    for i, t in enumerate(texts):
        docs.append({"id": ids[i], "text": t, "metadata": dict(metas[i])})
    # near-copies of the first 500 originals, 1-2 each, at known edit rates
    rates = [0.0025, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.2]
    for i in range(500):
        for c in range(rng.choice([1, 1, 2])):
            kind = rng.choice(["delete", "insert", "swap", "boiler", "mixed"])
            words = texts[i].split()
            rate = rng.choice(rates)
            if kind == "boiler":
                w = words + (BOILERPLATE.split() * rng.choice([1, 2]))
            elif kind == "mixed":
                w = edit(edit(words, "delete", rate / 2, rng, vocab), "insert", rate / 2, rng, vocab)
            else:
                w = edit(words, kind, rate, rng, vocab)
            meta = dict(metas[i]); meta["url"] = "%s?copy=%d" % (meta.get("url"), c)
            meta["edit"] = "%s:%g" % (kind, rate)
            meta["score"] = rng.randint(0, 5)
            docs.append({"id": "%s-copy%d" % (ids[i], c), "text": " ".join(w), "metadata": meta})
    # exact duplicates: the same document again (same id and text)
    for i in range(500, 560):
        docs.append(json.loads(json.dumps(docs[i])))
    rng.shuffle(docs)
    d = os.path.join(work, "docs", "test")
    os.makedirs(d, exist_ok=True)
    per = (len(docs) + nfiles - 1) // nfiles
    for f in range(nfiles):
        with open(os.path.join(d, "part-%02d.jsonl" % f), "w") as fp:
            for doc in docs[f * per:(f + 1) * per]:
                fp.write(json.dumps(doc, ensure_ascii=False) + "\n")
    print("made %d documents in %d files" % (len(docs), nfiles), file=sys.stderr)

# datatrove's PUNCTUATION string (datatrove/utils/text.py), deleted by simplify_text
PUNCTUATION = ("!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»"
               + "".join(map(chr, (x for a, b in ((0, 9), (11, 13), (13, 32), (127, 160)) for x in range(a, b)))))
DELETE = str.maketrans("", "", PUNCTUATION)
NUM = re.compile(r"\d+")
WS = re.compile(r"\s+")

def normalise(t):
    """datatrove's simplify_text at its defaults, then split on whitespace."""
    t = WS.sub(" ", t.lower().strip()).translate(DELETE)
    t = "".join(c for c in unicodedata.normalize("NFD", t) if unicodedata.category(c) != "Mn")
    return NUM.sub("0", t).split()

def shingles(words, k=5):
    # fewer words than a shingle: none (datatrove writes no signature)
    return {tuple(words[i:i + k]) for i in range(len(words) - k + 1)}

def load(work):
    docs, attrs = [], []
    d = os.path.join(work, "docs", "test")
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name)) as fp:
            docs += [json.loads(l) for l in fp if l.strip()]
        stem = name[:-len(".jsonl")]
        a = subprocess.run(["zstd", "-dc", os.path.join(work, "attributes", "dedup", "test", stem + ".jsonl.zst")],
                           check=True, capture_output=True).stdout.decode()
        attrs += [json.loads(l) for l in a.splitlines()]
    return docs, attrs

def all_pair_intersections(sets):
    import numpy as np
    # shingles as Python's 64-bit tuple hashes: a collision among ~3M is negligible
    hs = [np.fromiter((hash(sh) for sh in s), dtype=np.int64, count=len(s)) for s in sets]
    sid = np.concatenate(hs) if hs else np.zeros(0, np.int64)
    did = np.repeat(np.arange(len(sets), dtype=np.int64), [len(h) for h in hs])
    order = np.lexsort((did, sid)); sid = sid[order]; did = did[order]
    bounds = np.flatnonzero(np.diff(sid)) + 1
    starts = np.concatenate(([0], bounds)); ends = np.concatenate((bounds, [len(sid)]))
    sizes = ends - starts
    n = len(sets)
    codes = []
    for k in np.unique(sizes):
        if k < 2: continue
        st = starts[sizes == k]
        mat = did[st[:, None] + np.arange(k)[None, :]]          # groups x k, docs ascending
        a, b = np.triu_indices(k, 1)
        codes.append((mat[:, a] * n + mat[:, b]).ravel())
    if not codes: return {}
    u, c = np.unique(np.concatenate(codes), return_counts=True)
    return dict(zip(u.tolist(), c.tolist()))

def cmd_score(work, min_docs):
    docs, attrs = load(work)
    n = len(docs)
    ok = True
    def check(name, cond, why):
        nonlocal ok
        print(("PASS %s" % name) if cond else ("FAIL %s: %s" % (name, why)))
        ok = ok and cond
    check("dedup_groundtruth_size", n >= min_docs, "%d documents, want >= %d" % (n, min_docs))
    check("dedup_groundtruth_aligned", len(attrs) == n and all(a["id"] == d["id"] for a, d in zip(attrs, docs)),
          "attribute lines not aligned with documents")
    sets = [shingles(normalise(d["text"])) for d in docs]
    sizes = [len(s) for s in sets]
    inter = all_pair_intersections(sets)
    def jac(a, b):
        if a > b: a, b = b, a
        i = inter.get(a * n + b, 0)
        u = sizes[a] + sizes[b] - i
        return 1.0 if u == 0 else i / u
    cl = [a["dedup"]["cluster_id"] for a in attrs]
    high = [(a, b) for code in inter for a, b in [divmod(code, n)] if jac(a, b) >= 0.85]
    # exact copies with empty shingle sets would be missed above; none here
    found = sum(1 for a, b in high if cl[a] == cl[b])
    recall = found / len(high) if high else 1.0
    members = {}
    for i, c in enumerate(cl): members.setdefault(c, []).append(i)
    same = [(x, y) for m in members.values() for i, x in enumerate(m) for y in m[i + 1:]]
    good = sum(1 for a, b in same if jac(a, b) >= 0.5)
    precision = good / len(same) if same else 1.0
    hist = Counter(len(m) for m in members.values())
    print("dedup ground truth: %d docs, %d pairs with J>=0.85, recall %.4f (%d/%d); %d same-cluster pairs, "
          "precision %.4f (%d/%d)" % (n, len(high), recall, found, len(high), len(same), precision, good, len(same)))
    print("cluster-size histogram: " + ", ".join("%d:%d" % kv for kv in sorted(hist.items())))
    check("dedup_groundtruth_recall", recall >= 0.95 and len(high) >= 100,
          "recall %.4f over %d pairs (want >= 0.95 over >= 100)" % (recall, len(high)))
    check("dedup_groundtruth_precision", precision >= 0.95 and len(same) >= 100,
          "precision %.4f over %d pairs (want >= 0.95)" % (precision, len(same)))
    keeps = Counter(c for c, a in zip(cl, attrs) if a["dedup"]["keep"])
    check("dedup_one_kept_per_cluster", all(keeps[c] == 1 for c in members), "a cluster without exactly one kept doc")
    return ok

if __name__ == "__main__":
    if sys.argv[1] == "make":
        cmd_make(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    else:
        sys.exit(0 if cmd_score(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 2000) else 1)
