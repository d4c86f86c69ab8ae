"""AoA curve fitness: blalm eval --aoa-score against scipy.

Writes fixtures in the official format (an AoA_word surprisal.json and a
cdi_human.csv) with noisy sigmoid curves, some words without a child or a
model AoA, and recomputes what evaluation_pipeline/utils.py AoAEvaluator
(babylm/evaluation-pipeline-2025) computes, with scipy's curve_fit (MINPACK
LM unbounded, TRF with bounds) and pearsonr. Usage:
  eval_aoa.py make DIR         write DIR/aoa/{cdi_childes.json,cdi_human.csv}, DIR/surprisal.json
  eval_aoa.py check DIR OUT    compare blalm's JSON (OUT) with scipy's figures
"""
import json
import math
import re
import sys

import numpy as np
from scipy.optimize import curve_fit
from scipy.stats import pearsonr

STEPS = [f"chck_{i}M" for i in range(1, 10)] + [f"chck_{i * 10}M" for i in range(1, 11)]


def sig(x, a, b, c, d):
    return a / (1 + np.exp(-b * (x - c))) + d


def make(d):
    rng = np.random.default_rng(7)
    words, rows, results = {}, [], []
    ages = list(range(16, 31))
    curves = {}
    for w in range(60):
        word = f"w{w:02d}"
        words[word] = [{"context": f"ctx {k}"} for k in range(20)]
        cc = rng.uniform(17, 29)
        props = 0.9 / (1 + np.exp(-0.45 * (np.array(ages) - cc))) + rng.normal(0, 0.03, len(ages))
        if w % 13 == 5:
            props = np.clip(props * 0.4, 0, 1)  # never reaches 0.5: no child AoA
        props = [None if (w % 7 == 3 and i == 4) else round(float(p), 4) for i, p in enumerate(props)]
        rows.append((word, props))
        cm = rng.uniform(6.3, 7.8)
        amp = rng.uniform(4, 9)
        curves[word] = (cm, amp, w % 11 == 4)
    rows.append(("onlychild", [0.5] * len(ages)))
    for st in STEPS:
        x = math.log10(float(re.search(r"(\d+)", st).group(1)) * 1e6 + 1)
        for word in words:
            cm, amp, flat = curves[word]
            base = 11 + amp if not flat else 14.0
            s = base if flat else 11 + amp - amp / (1 + math.exp(-2.5 * (x - cm))) + rng.normal(0, 0.15)
            for k in range(20):  # use_bos_only: every context has the same surprisal
                results.append({"step": st, "word_count": 0, "target_word": word, "context_id": k,
                                "context": "BOS_ONLY", "surprisal": s})
    import os
    os.makedirs(f"{d}/aoa", exist_ok=True)
    json.dump(words, open(f"{d}/aoa/cdi_childes.json", "w"))
    with open(f"{d}/aoa/cdi_human.csv", "w") as f:
        f.write("word,category," + ",".join(map(str, ages)) + "\n")
        for word, props in rows:
            f.write(word + ",x," + ",".join("" if p is None else repr(p) for p in props) + "\n")
    json.dump({"metadata": {"use_bos_only": True}, "results": results}, open(f"{d}/surprisal.json", "w"))


def child_aoa(ages, props):
    ok = ~np.isnan(props)
    a_, p_ = ages[ok], props[ok]
    if len(p_) < 3:
        return None
    try:
        popt, _ = curve_fit(sig, a_, p_, p0=[1.0, 0.1, np.mean(a_), 0.0],
                            bounds=([0, 0, a_[0], -0.5], [2.0, 1.0, a_[-1], 0.5]), maxfev=1000)
    except Exception:
        return None
    a, b, c, d = popt
    if b <= 0 or a <= 0 or 0.5 <= d or 0.5 >= a + d:
        return None
    aoa = c - np.log(a / (0.5 - d) - 1) / b
    return None if aoa < a_[0] or aoa > a_[-1] else aoa


def model_aoa(surps, steps):
    steps, s = np.array(steps), np.array(surps)
    ok = ~np.isnan(s)
    vs, vsur = steps[ok], s[ok]
    chance = np.log2(300000)
    thr = chance - 0.5 * (chance - np.min(vsur))
    y = -vsur
    x = np.log10(vs + 1)
    try:
        popt, _ = curve_fit(sig, x, y, p0=[np.max(y) - np.min(y), 1.0, np.mean(x), np.min(y)], maxfev=1000)
    except Exception:
        return None
    a, b, c, d = popt
    nt = -thr
    if b <= 0 or a <= 0 or nt <= d or nt >= a + d:
        return None
    la = c - np.log(a / (nt - d) - 1) / b
    st = 10 ** la - 1
    return None if st < vs[0] or st > vs[-1] else la


def check(d, out):
    import csv
    got = json.load(open(out))
    res = json.load(open(f"{d}/surprisal.json"))["results"]
    data = {}
    for r in res:
        data.setdefault(r["target_word"], ([], []))
        data[r["target_word"]][0].append(float(re.search(r"(\d+)", r["step"]).group(1)) * 1e6)
        data[r["target_word"]][1].append(r["surprisal"])
    cdi = {}
    with open(f"{d}/aoa/cdi_human.csv") as f:
        rd = csv.reader(f)
        head = next(rd)
        idx = [head.index(str(a)) for a in range(16, 31)]
        for row in rd:
            cdi.setdefault(row[0], np.array([float(row[i]) if row[i] else np.nan for i in idx]))
    ages = np.arange(16, 31)
    words, m, c = [], [], []
    for w, (st, su) in data.items():
        if w not in cdi:
            continue
        ca = child_aoa(ages, cdi[w])
        if ca is None:
            continue
        ma = model_aoa(su, st)
        if ma is None:
            continue
        words.append(w), m.append(ma), c.append(ca)
    r, p = pearsonr(m, c)
    bad = []
    if got["valid_words"] != words:
        bad.append(f"words: blalm {got['valid_words']} scipy {words}")
    else:
        dm = max(abs(a - b) for a, b in zip(got["model_aoas"], m))
        dc = max(abs(a - b) for a, b in zip(got["child_aoas"], c))
        if dm > 1e-5 or dc > 1e-5:
            bad.append(f"AoA differences model {dm:.3g} child {dc:.3g}")
    if abs(got["curve_fitness"] - r) > 1e-6 or abs(got["p_value"] - p) > 1e-6:
        bad.append(f"r {got['curve_fitness']} vs {r}, p {got['p_value']} vs {p}")
    summary = {"words": len(words), "r": r, "p": p,
               "max_model_aoa_diff": max(abs(a - b) for a, b in zip(got["model_aoas"], m)) if not bad else None,
               "max_child_aoa_diff": max(abs(a - b) for a, b in zip(got["child_aoas"], c)) if not bad else None}
    print(json.dumps(summary))
    if bad:
        print("; ".join(bad), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        check(sys.argv[2], sys.argv[3])
