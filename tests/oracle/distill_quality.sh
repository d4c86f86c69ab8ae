#!/usr/bin/env bash
# Quality of `blalm distill` (issue 21): 5-fold cross-validation on the 2,100
# distinct labelled documents of ../shared/data/fineweb-legal (their 0-5
# `score`), binary F1 at label >= 3 pooled over the five held-out folds.
# blalm: `distill train` on four folds (its own inner CV picks the model,
# lambda and threshold), `distill eval` on the fifth. Baseline, computed here
# by an independent implementation (tests/oracle/distill_baseline.py): numpy
# ridge on hashed unigrams + bigrams with TF-IDF, its threshold tuned by the
# same inner cross-validation, on the same folds.
source "$(dirname "$0")/../lib.sh"
if ! need_shared || [ ! -f "$SHARED_DATA/fineweb-legal.jsonl.zst" ]; then
    skip distill_quality "../shared/data/fineweb-legal.jsonl.zst not found"; exit 0
fi
if ! have_py numpy; then skip distill_quality "python3-numpy not installed"; exit 0; fi
K=5
"$PY" "$ORACLE_DIR/distill_baseline.py" split "$SHARED_DATA/fineweb-legal.jsonl.zst" "$TMP/cv" $K 1
ok=1
for f in $(seq 0 $((K - 1))); do
    "$BLALM" distill train --work "$TMP/cv/fold$f/train" --label-field score --out "$TMP/m$f.bin" -q 2>"$TMP/err" &&
    "$BLALM" distill eval --work "$TMP/cv/fold$f/test" --model "$TMP/m$f.bin" --label-field score --json \
        >"$TMP/e$f.json" 2>>"$TMP/err" || { ok=0; fail distill_quality "fold $f: $(cat "$TMP/err")"; break; }
done
[ $ok = 1 ] || exit 0
"$PY" "$ORACLE_DIR/distill_baseline.py" run "$TMP/cv" $K >"$TMP/base.json" 2>"$TMP/err" ||
    { fail distill_quality "baseline: $(tail -c 400 "$TMP/err")"; exit 0; }
"$PY" - "$TMP" $K <<'PY'
import json, sys
tmp, k = sys.argv[1], int(sys.argv[2])
tp = fp = fn = n = 0
for f in range(k):
    r = json.load(open(f"{tmp}/e{f}.json"))
    assert r["seen_in_training"] == 0, r
    c = r["confusion"]
    n += r["documents"]
    for t in range(6):
        for p in range(6):
            tp += c[t][p] * (t >= 3 and p >= 3)
            fp += c[t][p] * (t < 3 and p >= 3)
            fn += c[t][p] * (t >= 3 and p < 3)
ours = 2 * tp / (2 * tp + fp + fn)
base = json.load(open(f"{tmp}/base.json"))["f1_at3"]
msg = "blalm distill F1@3 %.4f (tp %d fp %d fn %d, %d documents), numpy ridge baseline %.4f" % (ours, tp, fp, fn, n, base)
print("INFO distill_quality:", msg)
assert n == 2100, n
# Parity within one point: the linear model and the baseline agree to within
# fold noise (the figures are in README); a drop below this is a regression.
if ours >= base - 0.01 and ours > 0.85:
    print("PASS distill_quality_vs_baseline")
else:
    print("FAIL distill_quality_vs_baseline: " + msg)
PY
