#!/usr/bin/python3
"""blalm eval's candidate scores against the PyTorch twin.

  eval_twin.py EXPORT_DIR DUMP.jsonl EVAL.json READING.csv DATA_DIR
  eval_twin.py bench EXPORT_DIR DUMP.jsonl     the twin's sentences/s (tests/bench/eval.sh)

EXPORT_DIR is `blalm export`'s output (model.safetensors, config.json,
tokenizer.json); DUMP is `blalm eval --dump`'s sample (every N-th item of
every task, with token ids, the first scored index k and the C scores).
For each candidate the twin (trainer_twin.Twin, independent of model.c)
recomputes log p(token t | tokens before t) from the exported weights and
sums them over t >= k; the sums must agree within 1e-4. For sentence tasks
the candidates are rebuilt here from DATA_DIR's files (the fast suite) as the
official read_files.decode_* builds them (sentences and completions), the
dumped text must be that sentence, and k is recomputed from it the official
way: token offsets in characters from the tokenizer.json vocabulary, the
first token (index >= 1) whose end is past len(sentence) - len(completion).
Each task's score is recomputed from its per-UID counts as the official
process_results averages them. The choice (first
maximum) must agree unless the twin's two best are within 1e-4. Reading:
every row's surprisal goes through OLS fits done here with numpy (lstsq),
the CSV read with the csv module and pandas' missing-value strings; R2 and
the scores must agree within 1e-6. Prints one JSON line of figures."""
import csv
import io
import json
import math
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from trainer_twin import Twin, read_safetensors  # noqa: E402


def byte_decoder():
    # GPT-2's byte <-> unicode table (tokenizer.json stores tokens this way)
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) \
        + list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def load_vocab(path):
    tj = json.load(open(path, encoding="utf-8"))
    dec = byte_decoder()
    vocab = {}
    for s, i in tj["model"]["vocab"].items():
        vocab[i] = bytes(dec[ch] for ch in s)
    for a in tj.get("added_tokens", []):
        vocab[a["id"]] = a["content"].encode("utf-8")
    return vocab


FAST_DIRS = {"blimp": "blimp_fast", "supplement": "supplement_fast", "entity_tracking": "entity_tracking",
             "wug_adj": "wug_adj_nominalization"}


def official_items(data, task):
    """Every item of a fast-suite task as (sentences, completions), built from
    the data files the way the official read_files.decode_* builds them, the
    files in sorted order (blalm's) and only the regular file of entity
    tracking (the fast suite's). Compressed files are read in memory."""
    folder = os.path.join(data, FAST_DIRS[task])
    out = []
    for name in sorted(os.listdir(folder)):
        if task == "entity_tracking" and not name.startswith("regular.jsonl"):
            continue
        path = os.path.join(folder, name)
        if name.endswith(".jsonl.zst"):
            raw = subprocess.run(["zstd", "-dcq", path], stdout=subprocess.PIPE, check=True).stdout.decode("utf-8")
        elif name.endswith(".jsonl"):
            raw = open(path, encoding="utf-8").read()
        else:
            continue
        for line in io.StringIO(raw):
            r = json.loads(line.strip())
            if task in ("blimp", "supplement"):
                sents = [r["sentence_good"], r["sentence_bad"]]
                comps = sents
            elif task == "entity_tracking":
                sents = [r["input_prefix"] + o for o in r["options"]]
                comps = list(r["options"])
            else:  # wug: both tab-separated sentences, whole
                sents = r["sentences"].split("\t")
                comps = sents
            out.append((sents, comps))
    return out


def official_scores(res):
    """Each accuracy task's score from its per-UID counts, as the official
    process_results averages them: the mean over UIDs; entity tracking the
    mean within each file (UID prefix), then over the files. Returns the
    largest difference and the tasks checked: blimp, supplement and entity
    tracking must be among them (a results file without per-UID counts
    would otherwise pass unchecked)."""
    worst, checked = 0.0, []
    for task, tr in res["tasks"].items():
        if "uids" not in tr:
            continue
        checked.append(task)
        acc = {u: 100.0 * v["correct"] / v["total"] for u, v in tr["uids"].items()}
        if task == "entity_tracking":
            split = [[a for u, a in acc.items() if u.startswith(f)] for f in ("regular", "ambiref", "move_contents")]
            split = [sum(x) / len(x) for x in split if x]
            score = sum(split) / len(split)
        else:
            score = sum(acc.values()) / len(acc)
        for u, v in tr["uids"].items():
            assert abs(v["accuracy"] - acc[u]) <= 1e-9, (task, u, v, acc[u])
        assert abs(tr["score"] - score) <= 1e-9, (task, tr["score"], score)
        worst = max(worst, abs(tr["score"] - score))
    missing = {"blimp", "supplement", "entity_tracking"} - set(checked)
    assert len(checked) >= 3 and not missing, ("tasks without per-UID counts", sorted(missing), checked)
    return worst, len(checked)


def official_k(text, start_char, ids, vocab):
    raw = text.encode("utf-8")
    got = b"".join(vocab[i] for i in ids)
    assert got == raw, ("token bytes do not spell the text", text)
    # char index of every byte, then each token's end = char of its last byte + 1
    char_of = []
    for ci, ch in enumerate(text):
        char_of += [ci] * len(ch.encode("utf-8"))
    at, k = 0, len(ids)
    for t, i in enumerate(ids):
        at += len(vocab[i])
        end = char_of[at - 1] + 1
        if t >= 1 and end > start_char:
            k = t
            break
    return k


def twin_score(tw, ids, k):
    tok = torch.tensor([ids], dtype=torch.long)
    with torch.no_grad():
        lp = torch.log_softmax(tw.forward(tok)[0].double(), dim=-1)
    return sum(lp[t - 1, ids[t]].item() for t in range(max(k, 1), len(ids)))


PANDAS_NA = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
             "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}


def num(s):
    return float("nan") if s in PANDAS_NA else float(s)


def r2(X, y):
    A = np.column_stack([np.ones(len(y))] + X)
    beta, *_ = np.linalg.lstsq(A, y, rcond=None)
    res = y - A @ beta
    return 1 - (res @ res) / ((y - y.mean()) @ (y - y.mean()))


def reading_check(rows_pred, prev_pred, csv_path, measures):
    rows = list(csv.DictReader(open(csv_path, newline="", encoding="utf-8")))
    assert len(rows) == len(rows_pred), (len(rows), len(rows_pred))
    S = np.array([num(r["Subtlex_log10"]) for r in rows])
    L = np.array([num(r["length"]) for r in rows])
    C = np.array([num(r["context_length"]) for r in rows])
    PL = np.array([num(r["prev_length"]) for r in rows])
    P = np.array(rows_pred, dtype=float)
    PP = np.array([float("nan") if v is None else v for v in prev_pred])
    worst = 0.0
    for dv in ["RTfirstfix", "RTfirstpass", "RTgopast", "RTrightbound", "self_paced_reading_time"]:
        y = np.array([num(r[dv]) for r in rows])
        if dv == "self_paced_reading_time":
            base = [S, L, C, PL, PP]
            cols = base + [base[a] * base[b] for a in range(5) for b in range(a + 1, 5)]
        else:
            cols = [S, L, C, S * L, S * C, L * C]
        ok = ~np.isnan(y)
        for c in cols:
            ok &= ~np.isnan(c)
        Xb = [c[ok] for c in cols]
        rb, rm = r2(Xb, y[ok]), r2(Xb + [P[ok]], y[ok])
        score = (rm - rb) / (1 - rb) * 100
        m = measures[dv]
        assert m["rows"] == int(ok.sum()), (dv, m["rows"], int(ok.sum()))
        for a, b in ((m["r2_baseline"], rb), (m["r2_model"], rm), (m["score"], score)):
            worst = max(worst, abs(a - b))
            assert abs(a - b) <= 1e-6, (dv, a, b)
    return worst


def main():
    exp, dump, evalj, csv_path, data = sys.argv[1:6]
    cfg = json.load(open(os.path.join(exp, "config.json")))
    tw = Twin(cfg, read_safetensors(os.path.join(exp, "model.safetensors")))
    vocab = load_vocab(os.path.join(exp, "tokenizer.json"))
    res = json.load(open(evalj))
    worst, n, per_task, k_checked = 0.0, 0, {}, 0
    items = {}
    per_task["aggregation"], aggregation_tasks = official_scores(res)
    for line in open(dump, encoding="utf-8"):
        d = json.loads(line)
        task = d["task"]
        if task == "reading_rows":
            w = reading_check(d["pred"], d["prev_pred"], csv_path, res["tasks"]["reading"]["measures"])
            per_task["reading_ols"] = w
            continue
        tw_scores = []
        for c, ids in enumerate(d["ids"]):
            k = d["k"][c]
            if "text" in d:
                if task not in items:
                    items[task] = official_items(data, task)
                sents, comps = items[task][d["item"]]
                assert len(sents) == len(d["ids"]) and d["text"][c] == sents[c], \
                    (task, d["item"], c, d["text"][c], sents[c])
                assert official_k(sents[c], len(sents[c]) - len(comps[c]), ids, vocab) == k, \
                    (task, d["item"], c, k)
                k_checked += 1
            s = twin_score(tw, ids, k)
            diff = abs(s - d["score"][c])
            assert diff <= 1e-4, (task, d.get("item"), c, s, d["score"][c])
            worst = max(worst, diff)
            per_task[task] = max(per_task.get(task, 0.0), diff)
            tw_scores.append(s)
            n += 1
        if "chosen" in d:
            best = max(range(len(tw_scores)), key=lambda i: (tw_scores[i], -i))
            srt = sorted(tw_scores, reverse=True)
            if best != d["chosen"]:
                assert len(srt) > 1 and srt[0] - srt[1] <= 1e-4, (task, d["item"], best, d["chosen"])
    print(json.dumps({"candidates": n, "k_checked": k_checked, "aggregation_tasks": aggregation_tasks,
                      "max_abs_diff": worst,
                      "per_task": per_task}))


def bench(exp, dump):
    """Sentences per CPU-second of the twin scoring the dumped candidates
    the way blalm does (equal-length batches of up to 2048 tokens, no grad)."""
    import time
    torch.set_num_threads(1)
    cfg = json.load(open(os.path.join(exp, "config.json")))
    tw = Twin(cfg, read_safetensors(os.path.join(exp, "model.safetensors")))
    for v in tw.p.values():
        v.requires_grad_(False)
    seqs = []
    for line in open(dump, encoding="utf-8"):
        d = json.loads(line)
        if d["task"] in ("blimp", "supplement"):
            seqs += [(ids, k) for ids, k in zip(d["ids"], d["k"])]
    by_len = {}
    for ids, k in seqs:
        by_len.setdefault(len(ids), []).append((ids, k))
    t0 = time.process_time()
    with torch.no_grad():
        for n, group in sorted(by_len.items()):
            bmax = max(1, 2048 // n)
            for i in range(0, len(group), bmax):
                chunk = group[i:i + bmax]
                tok = torch.tensor([ids for ids, _ in chunk], dtype=torch.long)
                lp = torch.log_softmax(tw.forward(tok), dim=-1)
                tgt = lp[:, :-1].gather(-1, tok[:, 1:, None])[..., 0]
                for b, (_, k) in enumerate(chunk):
                    tgt[b, max(k, 1) - 1:].double().sum().item()
    dt = time.process_time() - t0
    print(json.dumps({"sentences": len(seqs), "cpu_s": dt, "sentences_per_s": len(seqs) / dt}))


if __name__ == "__main__":
    if sys.argv[1] == "bench":
        bench(sys.argv[2], sys.argv[3])
    else:
        main()
