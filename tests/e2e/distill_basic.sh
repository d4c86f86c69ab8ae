#!/usr/bin/env bash
# blalm distill end to end on synthetic labelled documents: train (labels from
# a metadata field and from an attribute set), deterministic model bytes,
# edu_local line-aligned, eval figures, and every bad input of issue 21.
source "$(dirname "$0")/../lib.sh"
W=$TMP/w
E=$TMP/e
"$PY" - "$W" "$E" "$(dirname "$0")" <<'PY'
import json, os, random, sys
w, e = sys.argv[1:3]
sys.path.insert(0, sys.argv[3]); sys.dont_write_bytecode = True
import distill_synth
rng = random.Random(7)
doc = lambda i, label, tag: distill_synth.doc(rng, i, label, tag, 120, 0.8)
def write(path, docs):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for d in docs: f.write(json.dumps(d) + "\n")
train = [doc(i, i % 6, "t") for i in range(240)]
# repeats across files (same id, and same text under another id) are used once,
# with the first label; two of them carry another label (counted as conflicts)
relabel = lambda d, k: dict(d, metadata={"score": (d["metadata"]["score"] + k) % 6})
write(f"{w}/docs/src/a.jsonl", train[:150])
write(f"{w}/docs/src/b.jsonl", train[120:125] + [relabel(train[125], 1)] + train[126:]
      + [relabel(dict(train[3], id="copy3"), 2)])
write(f"{e}/docs/src/held.jsonl", [doc(i, rng.randrange(6), "h") for i in range(120)])
PY

M=$TMP/m.bin
if "$BLALM" distill train --work "$W" --label-field score --out "$M" --json >"$TMP/train.json" 2>"$TMP/err"; then
    pass distill_train_runs
else
    fail distill_train_runs "$(cat "$TMP/err")"
fi
check distill_train_report "$PY" -c "
import json; r = json.load(open('$TMP/train.json'))
assert r['documents'] == 240, r['documents']
assert r['duplicates_id'] == 30 and r['duplicates_text'] == 1 and r['label_conflicts'] == 2, r
assert r['cv_f1_at3'] > 0.9, r['cv_f1_at3']
assert r['kind'] in ('ridge', 'logistic') and len(r['candidates']) == 8, r"

"$BLALM" distill train --work "$W" --label-field score --out "$TMP/m2.bin" -q
check distill_train_deterministic cmp "$M" "$TMP/m2.bin"
# the same bytes whatever OpenBLAS's thread count (its threads split dgemm and
# the eigensolver's sums, which changed the logistic fit's rounding: training
# runs BLAS on one thread)
OPENBLAS_NUM_THREADS=1 "$BLALM" distill train --work "$W" --label-field score --out "$TMP/mt1.bin" --model-type logistic -q
OPENBLAS_NUM_THREADS=2 "$BLALM" distill train --work "$W" --label-field score --out "$TMP/mt2.bin" --model-type logistic -q
check distill_train_threads_logistic cmp "$TMP/mt1.bin" "$TMP/mt2.bin"
# ridge in the dual: the eigendecomposition of 700 real documents' kernel
# (these synthetic ones are too few for OpenBLAS to split it)
if need_shared && [ -f "$SHARED_DATA/fineweb-legal.jsonl.zst" ]; then
    mkdir -p "$TMP/real/docs/src"
    zstd -dc "$SHARED_DATA/fineweb-legal.jsonl.zst" | head -n 700 >"$TMP/real/docs/src/a.jsonl"
    OPENBLAS_NUM_THREADS=1 "$BLALM" distill train --work "$TMP/real" --label-field score --out "$TMP/rt1.bin" --model-type ridge -q
    OPENBLAS_NUM_THREADS=2 "$BLALM" distill train --work "$TMP/real" --label-field score --out "$TMP/rt2.bin" --model-type ridge -q
    check distill_train_threads_ridge_dual cmp "$TMP/rt1.bin" "$TMP/rt2.bin"
else
    skip distill_train_threads_ridge_dual "../shared/data/fineweb-legal.jsonl.zst not found"
fi
"$BLALM" distill train --work "$W" --label-field score --out "$TMP/m3.bin" -q --seed 5 --model-type ridge --lambda 0.5 --max-chars 300
check distill_train_options "$PY" -c "
import struct; b = open('$TMP/m3.bin','rb').read()
assert b[:8] == b'BLDSTL\r\n'
kind, outputs, folds = struct.unpack_from('<3I', b, 32)
seed, = struct.unpack_from('<Q', b, 48)
lam, = struct.unpack_from('<d', b, 72)
maxb, = struct.unpack_from('<I', b, 120)
assert (kind, outputs, folds, seed, lam, maxb) == (1, 1, 5, 5, 0.5, 300), (kind, outputs, folds, seed, lam, maxb)"

# more labelled documents than --max-docs: every one is used, ridge solved in
# the primal (conjugate gradients); the same ridge as the dual's, to 1e-4
"$BLALM" distill train --work "$W" --label-field score --out "$TMP/m5.bin" --max-docs 100 --json >"$TMP/t5.json" 2>&1
check distill_train_max_docs "$PY" -c "
import json, struct; r = json.load(open('$TMP/t5.json')); assert (r['documents'], r['used']) == (240, 240), r
assert r['kind'] == 'ridge' and len(r['candidates']) == 4, r
b = open('$TMP/m5.bin','rb').read(); assert struct.unpack_from('<QQ', b, 56) == (240, 240)"
"$BLALM" distill train --work "$W" --label-field score --out "$TMP/m6.bin" --max-docs 100 -q
check distill_train_primal_deterministic cmp "$TMP/m5.bin" "$TMP/m6.bin"
"$BLALM" distill train --work "$W" --label-field score --out "$TMP/mp.bin" --max-docs 100 --model-type ridge --lambda 0.5 -q
"$BLALM" distill train --work "$W" --label-field score --out "$TMP/md.bin" --model-type ridge --lambda 0.5 -q
mkdir -p "$TMP/pd/p" "$TMP/pd/d"; cp -r "$E/docs" "$TMP/pd/p/"; cp -r "$E/docs" "$TMP/pd/d/"
"$BLALM" distill score --work "$TMP/pd/p" --model "$TMP/mp.bin" -q
"$BLALM" distill score --work "$TMP/pd/d" --model "$TMP/md.bin" -q
check distill_train_primal_equals_dual "$PY" - "$TMP/pd" <<'PY'
import json, subprocess, sys
d = sys.argv[1]
def scores(k):
    out = subprocess.run(["zstd", "-dc", f"{d}/{k}/attributes/edu_local/src/held.jsonl.zst"], check=True, capture_output=True).stdout
    return [json.loads(l)["edu_local"]["score"] for l in out.decode().splitlines()]
p, q = scores("p"), scores("d")
assert len(p) == len(q) == 120
diff = max(abs(a - b) for a, b in zip(p, q))
assert diff < 1e-4, diff
assert max(p) - min(p) > 1, (min(p), max(p))
PY
expect_fail_early() { if "$@" >"$TMP/out" 2>&1; then return 1; fi; grep -q "more than --max-docs 100: beyond it only ridge" "$TMP/out"; }
check distill_train_primal_logistic_refused expect_fail_early \
    "$BLALM" distill train --work "$W" --label-field score --out "$TMP/x.bin" --max-docs 100 --model-type logistic

# score: edu_local line-aligned with the documents
if "$BLALM" distill score --work "$E" --model "$M" 2>"$TMP/err"; then pass distill_score_runs; else fail distill_score_runs "$(cat "$TMP/err")"; fi
check distill_score_aligned "$PY" - "$E" "$M" <<'PY'
import json, subprocess, sys
e, m = sys.argv[1:3]
docs = [json.loads(l) for l in open(f"{e}/docs/src/held.jsonl")]
rows = [json.loads(l) for l in subprocess.run(["zstd", "-dc", f"{e}/attributes/edu_local/src/held.jsonl.zst"],
        check=True, capture_output=True).stdout.decode().splitlines()]
assert [r["id"] for r in rows] == [d["id"] for d in docs]
names = set()
for r in rows:
    a = r["edu_local"]
    assert isinstance(a["score"], float) and a["int_score"] in range(6), a
    s = a["score"]
    want = 0 if s < 0.5 else 5 if s >= 4.5 else int(s + 0.5)
    assert a["int_score"] == want, a
    names.add(a["model"])
assert len(names) == 1 and names.pop().startswith("distill-"), names
PY

# completion markers: a rerun skips; a changed model or document file, or --force, redoes
ATTR=$E/attributes/edu_local/src/held.jsonl.zst
check distill_score_marker_written test -f "$E/state/distill_score/edu_local/src/held.done"
before=$(stat -c %Y.%i "$ATTR"); sum0=$(sha256sum <"$ATTR")
sleep 1.1
"$BLALM" distill score --work "$E" --model "$M" 2>"$TMP/err"
check distill_score_marker_skips grep -q "0 documents in 0 files -> edu_local (1 files done before, skipped" "$TMP/err"
check distill_score_marker_untouched test "$before" = "$(stat -c %Y.%i "$ATTR")"
touch "$E/docs/src/held.jsonl"
"$BLALM" distill score --work "$E" --model "$M" 2>"$TMP/err"
check distill_score_marker_touch_skips grep -q "1 files done before, skipped" "$TMP/err"
"$BLALM" distill score --work "$E" --model "$TMP/m3.bin" 2>"$TMP/err"
check distill_score_marker_model_redoes grep -q "120 documents in 1 files -> edu_local (0 files done before" "$TMP/err"
check distill_score_marker_model_names "$PY" -c "
import json, subprocess
rows = subprocess.run(['zstd', '-dc', '$ATTR'], check=True, capture_output=True).stdout.decode().splitlines()
names = {json.loads(r)['edu_local']['model'] for r in rows}
mk = json.load(open('$E/state/distill_score/edu_local/src/held.done'))
assert names == {dict(mk['settings'])['model_name']}, (names, mk)
assert [i['name'] for i in mk['inputs']] == ['src/held.jsonl', 'model'], mk
rec = json.load(open('$E/attributes/edu_local/src/held.record.json'))
assert rec['complete'] and rec['documents'] == 120 and rec['config'] == 'distill ' + json.loads(rows[0])['edu_local']['model'], rec"
"$BLALM" distill score --work "$E" --model "$M" -q
check distill_score_marker_same_bytes test "$sum0" = "$(sha256sum <"$ATTR")"
cp "$E/docs/src/held.jsonl" "$TMP/held.bak"
head -n 119 "$TMP/held.bak" >"$E/docs/src/held.jsonl"
"$BLALM" distill score --work "$E" --model "$M" 2>"$TMP/err"
check distill_score_marker_input_redoes grep -q "119 documents in 1 files" "$TMP/err"
cp "$TMP/held.bak" "$E/docs/src/held.jsonl"
"$BLALM" distill score --work "$E" --model "$M" -q
"$BLALM" distill score --work "$E" --model "$M" --force 2>"$TMP/err"
check distill_score_marker_force grep -q "120 documents in 1 files -> edu_local (0 files done before" "$TMP/err"
check distill_score_marker_same_after_redo test "$sum0" = "$(sha256sum <"$ATTR")"

# eval on documents the model never saw
if "$BLALM" distill eval --work "$E" --model "$M" --label-field score --json >"$TMP/eval.json" 2>"$TMP/err"; then
    pass distill_eval_runs
else
    fail distill_eval_runs "$(cat "$TMP/err")"
fi
check distill_eval_figures "$PY" -c "
import json; r = json.load(open('$TMP/eval.json'))
assert r['documents'] == 120 and r['seen_in_training'] == 0, r
assert sum(map(sum, r['confusion'])) == 120
assert r['at3']['f1'] > 0.9 and r['at2']['f1'] > 0.9, r
assert r['accuracy'] > 0.5 and r['mae'] < 1.0 and r['spearman'] > 0.8, r
acc = sum(r['confusion'][k][k] for k in range(6)) / 120
assert abs(acc - r['accuracy']) < 1e-6"
# the same figures from scikit-learn and scipy, over edu_local's scores of
# these documents (an independent computation of every metric eval prints)
if have_py sklearn && have_py scipy; then
    check distill_eval_matches_sklearn "$PY" - "$E/docs/src/held.jsonl" "$ATTR" "$TMP/eval.json" <<'PY'
import json, subprocess, sys
import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_score, recall_score
docs = [json.loads(l) for l in open(sys.argv[1])]
attrs = [json.loads(l) for l in subprocess.run(["zstd", "-dc", sys.argv[2]], capture_output=True, check=True).stdout.splitlines()]
r = json.load(open(sys.argv[3]))
assert [d["id"] for d in docs] == [a["id"] for a in attrs]
label = np.array([float(d["metadata"]["score"]) for d in docs])
score = np.array([a["edu_local"]["score"] for a in attrs])
pred = np.array([a["edu_local"]["int_score"] for a in attrs])
true = np.clip(np.floor(label + 0.5), 0, 5).astype(int)
close = lambda x, y: abs(x - y) <= 5.1e-7   # --json prints six decimals
for t, key in ((2, "at2"), (3, "at3")):
    yt, yp = true >= t, pred >= t
    for name, fn in (("precision", precision_score), ("recall", recall_score), ("f1", f1_score)):
        assert close(r[key][name], fn(yt, yp, zero_division=0)), (key, name, r[key][name], fn(yt, yp))
assert close(r["macro_f1"], f1_score(true, pred, average="macro", zero_division=0)), r["macro_f1"]
assert close(r["accuracy"], accuracy_score(true, pred)), r["accuracy"]
assert close(r["mae"], float(np.mean(np.abs(np.clip(score, 0, 5) - label)))), r["mae"]
assert close(r["spearman"], spearmanr(label, score).correlation), r["spearman"]
assert r["confusion"] == confusion_matrix(true, pred, labels=range(6)).tolist(), r["confusion"]
PY
else
    skip distill_eval_matches_sklearn "needs python3-sklearn and python3-scipy"
fi
"$BLALM" distill eval --work "$E" --model "$M" --label-field score >"$TMP/eval.txt" 2>&1
check distill_eval_text grep -q "macro F1" "$TMP/eval.txt"
# one document: Spearman is undefined, null in --json (it printed 0.000000,
# "no correlation"); the JSON counts the unlabelled documents skipped
mkdir -p "$TMP/e1/docs/s"; head -1 "$E/docs/"*/*.jsonl | grep '^{' | head -1 >"$TMP/e1/docs/s/x.jsonl"
echo '{"id":"nolabel","text":"a document without a label"}' >>"$TMP/e1/docs/s/x.jsonl"
"$BLALM" distill eval --work "$TMP/e1" --model "$M" --label-field score --skip-unlabelled --json >"$TMP/eval1.json" 2>"$TMP/err"
check distill_eval_undefined_spearman_null "$PY" -c "
import json; r = json.load(open('$TMP/eval1.json'))
assert r['documents'] == 1 and r['spearman'] is None and r['unlabelled'] == 1, r"
# eval, too, takes a repeated document once with its first label, and counts
# the repeats whose label differs: the same figures as without the repeats
mkdir -p "$TMP/ec/docs/src"
cp "$E/docs/src/held.jsonl" "$TMP/ec/docs/src/held.jsonl"
"$PY" - "$E/docs/src/held.jsonl" "$TMP/ec/docs/src/rep.jsonl" <<'PY'
import json, sys
h = [json.loads(l) for l in open(sys.argv[1])]
rep = [dict(h[0], metadata={"score": (h[0]["metadata"]["score"] + 3) % 6}),
       dict(h[1], id="again1", metadata={"score": (h[1]["metadata"]["score"] + 3) % 6}), dict(h[2], id="again2"),
       dict(h[1], id="again1")]   # again1's kept label is h[1]'s: no conflict
open(sys.argv[2], "w").write("".join(json.dumps(d) + "\n" for d in rep))
PY
"$BLALM" distill eval --work "$TMP/ec" --model "$M" --label-field score --json >"$TMP/eval_rep.json" 2>"$TMP/err"
check distill_eval_repeats "$PY" -c "
import json; r = json.load(open('$TMP/eval_rep.json')); r0 = json.load(open('$TMP/eval.json'))
assert (r['duplicates_id'], r['duplicates_text'], r['label_conflicts']) == (2, 2, 2), r
assert r0['label_conflicts'] == 0
for k in ('documents', 'at2', 'at3', 'macro_f1', 'accuracy', 'mae', 'spearman', 'confusion'): assert r[k] == r0[k], k"
"$BLALM" distill eval --work "$TMP/ec" --model "$M" --label-field score >"$TMP/eval_rep.txt" 2>&1
check distill_eval_repeats_text grep -q "4 repeats used once, 2 of them with a label other than the first" "$TMP/eval_rep.txt"
# the training documents themselves are left out: nothing remains
"$BLALM" distill eval --work "$W" --model "$M" --label-field score >/dev/null 2>"$TMP/err"
check distill_eval_skips_seen grep -q "no labelled documents the model has not seen (240 labelled, 240 of them training" "$TMP/err"

# labels from an attribute set; "selected": false rows are not in the sample
"$PY" - "$W" <<'PY'
import json, os, subprocess, sys
w = sys.argv[1]
for name in ("a", "b"):
    docs = [json.loads(l) for l in open(f"{w}/docs/src/{name}.jsonl")]
    lines = []
    for i, d in enumerate(docs):
        sel = i % 4 != 0
        lines.append(json.dumps({"id": d["id"], "edu_llm": {"selected": sel, "score": d["metadata"]["score"] if sel else None}}))
    os.makedirs(f"{w}/attributes/edu_llm/src", exist_ok=True)
    subprocess.run(["zstd", "-q", "-f", "-o", f"{w}/attributes/edu_llm/src/{name}.jsonl.zst"],
                   input=("\n".join(lines) + "\n").encode(), check=True)
PY
if "$BLALM" distill train --work "$W" --labels edu_llm.score --out "$TMP/m4.bin" --json >"$TMP/t4.json" 2>"$TMP/err"; then
    check distill_train_attr_labels "$PY" -c "
import json; r = json.load(open('$TMP/t4.json')); assert 150 <= r['documents'] < 240, r['documents']"
else
    fail distill_train_attr_labels "$(cat "$TMP/err")"
fi

# ---- bad input: exit 1, the file named ----
expect_fail() { # name, pattern, command...
    local n=$1 pat=$2; shift 2
    if "$@" >"$TMP/out" 2>&1; then fail "$n" "succeeded"; return; fi
    if grep -q -- "$pat" "$TMP/out"; then pass "$n"; else fail "$n" "no '$pat' in: $(head -c 400 "$TMP/out")"; fi
}
B=$TMP/bad
mkdir -p "$B/missing/docs/s" "$B/single/docs/s" "$B/oneside/docs/s" "$B/range/docs/s" "$B/range2/docs/s" "$B/empty/docs" \
    "$B/emptyfile/docs/s"
head -n 20 "$W/docs/src/a.jsonl" >"$B/missing/docs/s/x.jsonl"
echo '{"id":"nolabel","text":"a document without a label at all"}' >>"$B/missing/docs/s/x.jsonl"
expect_fail distill_bad_missing_label "missing/docs/s/x.jsonl:21: id nolabel: no label" \
    "$BLALM" distill train --work "$B/missing" --label-field score --out "$TMP/x.bin"
# parquet has no lines: the row, said to count from 0
if need_shared && [ -f "$SHARED_DATA/fineweb-legal/batch_000001.parquet" ]; then
    mkdir -p "$B/pq/docs/s"; ln -s "$SHARED_DATA/fineweb-legal/batch_000001.parquet" "$B/pq/docs/s/"
    expect_fail distill_bad_missing_label_parquet "batch_000001.parquet: row 0 (from 0): id <urn:uuid:.*>: no label" \
        "$BLALM" distill train --work "$B/pq" --label-field nosuch --out "$TMP/x.bin"
else
    skip distill_bad_missing_label_parquet "../shared/data/fineweb-legal/batch_000001.parquet not found"
fi
check distill_skip_unlabelled "$BLALM" distill train --work "$B/missing" --label-field score --out "$TMP/x.bin" --skip-unlabelled -q
# eval says the same, in words that fit eval too (it said "to train on")
expect_fail distill_eval_missing_label "missing/docs/s/x.jsonl:21: id nolabel: no label .*give --skip-unlabelled to leave out the documents without one" \
    "$BLALM" distill eval --work "$B/missing" --label-field score --model "$TMP/x.bin"
"$PY" -c "
import json
with open('$B/single/docs/s/x.jsonl','w') as f:
    for i in range(30): f.write(json.dumps({'id': str(i), 'text': 'text number %d here' % i, 'metadata': {'score': 3}}) + '\n')
with open('$B/oneside/docs/s/x.jsonl','w') as f:
    for i in range(30): f.write(json.dumps({'id': str(i), 'text': 'text number %d here' % i, 'metadata': {'score': 3 + i % 3}}) + '\n')
with open('$B/range/docs/s/x.jsonl','w') as f:
    f.write(json.dumps({'id': 'r', 'text': 'x y z', 'metadata': {'score': 7}}) + '\n')
with open('$B/range2/docs/s/x.jsonl','w') as f:
    f.write(json.dumps({'id': 'a', 'text': 'a b c', 'metadata': {'score': 5}}) + '\n')
    f.write('\n')   # a blank line still counts
    f.write('{\"id\": \"r\", \"text\": \"x y z\", \"metadata\": {\"score\": 5.0000001}}\n')"
expect_fail distill_bad_single_class "single/docs: all 30 labelled documents have label 3: a single class" \
    "$BLALM" distill train --work "$B/single" --label-field score --out "$TMP/x.bin"
# labels 3, 4 and 5 only: more than one class, but none below the cut at 3
# by which the model and threshold are chosen (it trained, exit 0, and then
# shifted every score by about -1.5)
expect_fail distill_bad_one_side_of_3 "oneside/docs: all 30 labelled documents have a label >= 3 (rounded): one side of the cut at 3" \
    "$BLALM" distill train --work "$B/oneside" --label-field score --out "$TMP/x.bin"
expect_fail distill_bad_label_range "range/docs/s/x.jsonl:1: id r: label 7 outside 0..5" \
    "$BLALM" distill train --work "$B/range" --label-field score --out "$TMP/x.bin"
# the label to its last digit (it said "label 5"), and the line as a JSON error would give it
expect_fail distill_bad_label_range_digits "range2/docs/s/x.jsonl:3: id r: label 5.0000001 outside 0..5" \
    "$BLALM" distill train --work "$B/range2" --label-field score --out "$TMP/x.bin"
# a label of the wrong type is an error, also with --skip-unlabelled (a
# column written as strings was dropped whole, "no labelled documents");
# one beyond a double's range is said so (it said "label inf")
mkdir -p "$B/strlab/docs/s" "$B/huge/docs/s"
head -n 5 "$W/docs/src/a.jsonl" >"$B/strlab/docs/s/x.jsonl"
echo '{"id":"s1","text":"a document","metadata":{"score":"3"}}' >>"$B/strlab/docs/s/x.jsonl"
echo '{"id":"h1","text":"a document","metadata":{"score":1e400}}' >"$B/huge/docs/s/x.jsonl"
for sk in "" --skip-unlabelled; do
    expect_fail "distill_bad_label_string${sk:+_skip}" 'strlab/docs/s/x.jsonl:6: id s1: the label metadata field .score. is a string "3", not a number' \
        "$BLALM" distill train --work "$B/strlab" --label-field score --out "$TMP/x.bin" $sk
done
# a long label is cut on a character boundary (40 bytes, then "...")
mkdir -p "$B/utflab/docs/s"
"$PY" -c "import json; print(json.dumps({'id': 'u1', 'text': 'x', 'metadata': {'score': 'é' * 30}}, ensure_ascii=False))" \
    >"$B/utflab/docs/s/x.jsonl"
"$BLALM" distill train --work "$B/utflab" --label-field score --out "$TMP/x.bin" >"$TMP/out" 2>&1; rc=$?
[ $rc = 1 ] && "$PY" -c "import sys; t = open(sys.argv[1], 'rb').read().decode('utf-8'); assert '\"' + 'é' * 19 + '...' in t, t" "$TMP/out" &&
    pass distill_bad_label_cut_whole_characters || fail distill_bad_label_cut_whole_characters "rc $rc: $(head -c 300 "$TMP/out")"
expect_fail distill_bad_label_huge "huge/docs/s/x.jsonl:1: id h1: label beyond a double's range (read as inf) outside 0..5" \
    "$BLALM" distill train --work "$B/huge" --label-field score --out "$TMP/x.bin"
# --seed: the range a run config's distill.seed takes, digits only
for sd in 1k -1 ' 5' 9007199254740992 1.5; do
    "$BLALM" distill train --work "$B/range" --label-field score --out "$TMP/x.bin" --seed "$sd" >"$TMP/out" 2>&1; rc=$?
    [ $rc = 2 ] && grep -q -- "--seed '$sd': expected a whole number from 0 to 9007199254740991" "$TMP/out" ||
        { fail distill_seed_range "seed '$sd': exit $rc: $(head -c 300 "$TMP/out")"; break; }
done && pass distill_seed_range
expect_fail distill_bad_empty_dir "empty/docs: no document files" \
    "$BLALM" distill train --work "$B/empty" --label-field score --out "$TMP/x.bin"
: >"$B/emptyfile/docs/s/x.jsonl"
expect_fail distill_bad_empty_file "emptyfile/docs: no labelled documents among 0" \
    "$BLALM" distill train --work "$B/emptyfile" --label-field score --out "$TMP/x.bin"
expect_fail distill_bad_score_empty "empty/docs: no document files" \
    "$BLALM" distill score --work "$B/empty" --model "$M"
expect_fail distill_bad_attr_missing "attributes/edu_llm/s/x.jsonl.zst: missing" \
    "$BLALM" distill train --work "$B/single" --labels edu_llm.score --out "$TMP/x.bin"
check distill_bad_no_partial_model test ! -e "$TMP/x.bin.never"
# --out among what train reads: a document file (the model replaced the
# training data, exit 0), the labels' attribute file, the word vectors
"$PY" -c "
import json, os, random
os.makedirs('$B/clobber/docs/s')
rng = random.Random(3)
with open('$B/clobber/docs/s/x.jsonl', 'w') as f:
    for i in range(20):
        words = ' '.join('z%d' % rng.randrange(50) for _ in range(30))
        f.write(json.dumps({'id': str(i), 'text': 'the number text here w%d %s' % (i % 6, words), 'metadata': {'score': i % 6}}) + '\\n')"
cp "$B/clobber/docs/s/x.jsonl" "$TMP/clobber.orig"
printf '%s 0.1 0.2 0.3\n' number text here the >"$B/clobber/vec.txt"
cp "$B/clobber/vec.txt" "$TMP/vec.orig"
ok=1; why=
# (also through a folder not there: "nodir/.." would need nodir made; it is
# refused as such, and nodir is not made)
for o in "$B/clobber/docs/s/x.jsonl" "$B/clobber/docs/s/new.distill" "$B/clobber/docs/../docs/s/x.jsonl" \
         "$B/clobber/nodir/../docs/s/x.jsonl" "$B/clobber/nodir/a/../../docs/s/new.distill" \
         "$B/clobber/attributes/edu_llm/s/x.jsonl.zst" "$B/clobber/vec.txt"; do
    "$BLALM" distill train --work "$B/clobber" --label-field score --folds 2 --embeddings "$B/clobber/vec.txt" \
        --out "$o" -q >"$TMP/out" 2>&1; rc=$?
    { [ $rc -ne 0 ] && grep -qE -- "--out|nodir(/a)? does not exist, and the '..' after it" "$TMP/out"; } ||
        { ok=0; why="$why [$o] rc=$rc $(head -c 200 "$TMP/out")"; }
done
cmp -s "$B/clobber/docs/s/x.jsonl" "$TMP/clobber.orig" && cmp -s "$B/clobber/vec.txt" "$TMP/vec.orig" &&
    [ ! -e "$B/clobber/docs/s/new.distill" ] && [ ! -e "$B/clobber/attributes/edu_llm/s/x.jsonl.zst" ] &&
    [ ! -e "$B/clobber/nodir" ] || { ok=0; why="$why inputs changed"; }
# the reverse: a path that only passes through docs by name, by a folder not
# there, would end outside it (clobber/m.bin): refused too, and nothing made
# (it was written, after mkdir -p made the empty docs/s/nodir among the inputs)
"$BLALM" distill train --work "$B/clobber" --label-field score --folds 2 \
    --out "$B/clobber/docs/s/nodir/../../../m.bin" -q >"$TMP/out" 2>&1; rc=$?
{ [ $rc = 1 ] && grep -q "docs/s/nodir does not exist" "$TMP/out" && [ ! -e "$B/clobber/docs/s/nodir" ] &&
    [ ! -e "$B/clobber/m.bin" ]; } || { ok=0; why="$why [docs/s/nodir/../../../m.bin] rc=$rc $(head -c 200 "$TMP/out") $(ls "$B/clobber/docs/s")"; }
[ $ok = 1 ] && pass distill_bad_out_over_input || fail distill_bad_out_over_input "$why"

cp "$M" "$TMP/corrupt.bin"
printf '\x55' | dd of="$TMP/corrupt.bin" bs=1 seek=5000 conv=notrunc 2>/dev/null
expect_fail distill_bad_corrupt_model "corrupt.bin: checksum mismatch" \
    "$BLALM" distill score --work "$E" --model "$TMP/corrupt.bin"
head -c 100000 "$M" >"$TMP/short.bin"
expect_fail distill_bad_truncated_model "short.bin: checksum mismatch" \
    "$BLALM" distill eval --work "$E" --model "$TMP/short.bin" --label-field score
head -c 20 "$M" >"$TMP/tiny.bin"
expect_fail distill_bad_tiny_model "tiny.bin: truncated or corrupt model header" \
    "$BLALM" distill score --work "$E" --model "$TMP/tiny.bin"
echo '{"not": "a model"}' >"$TMP/text.bin"
expect_fail distill_bad_not_model "text.bin: not a blalm distill model" \
    "$BLALM" distill score --work "$E" --model "$TMP/text.bin"
# another feature configuration (feature version 9, valid checksum)
cat >"$TMP/patch.py" <<'PY'
import struct, sys
from xxh64_twin import xxh64
b = bytearray(open(sys.argv[1], 'rb').read())
assert struct.unpack_from('<Q', b, len(b) - 8)[0] == xxh64(bytes(b[:-8])), "xxh64 twin disagrees"
off, val = int(sys.argv[3]), int(sys.argv[4])
struct.pack_into('<I', b, off, val)
struct.pack_into('<Q', b, len(b) - 8, xxh64(bytes(b[:-8])))
open(sys.argv[2], 'wb').write(b)
PY
PYTHONPATH="$(dirname "$0")" "$PY" "$TMP/patch.py" "$M" "$TMP/otherfeat.bin" 16 9
expect_fail distill_bad_other_features "otherfeat.bin: offset 16: the model was trained with another feature configuration" \
    "$BLALM" distill score --work "$E" --model "$TMP/otherfeat.bin"
PYTHONPATH="$(dirname "$0")" "$PY" "$TMP/patch.py" "$M" "$TMP/v1.bin" 8 1
expect_fail distill_bad_old_version "v1.bin: offset 8: model file version 1, this build reads versions 2 to 3" \
    "$BLALM" distill score --work "$E" --model "$TMP/v1.bin"
# a version-2 file (no word-vector field) still reads, and scores as its version-3 twin
PYTHONPATH="$(dirname "$0")" "$PY" - "$M" "$TMP/v2.bin" <<'PY'
import struct, sys
from xxh64_twin import xxh64
b = bytearray(open(sys.argv[1], "rb").read())
hb, = struct.unpack_from("<I", b, 12); bits, = struct.unpack_from("<I", b, 20); outputs, = struct.unpack_from("<I", b, 36)
assert struct.unpack_from("<I", b, 132)[0] == 0 and struct.unpack_from("<I", b, 128)[0] == 0
o = 16 + hb + 4 * (1 << bits) * (1 + outputs) + 8 * outputs
assert struct.unpack_from("<I", b, o)[0] == 0
del b[o:o + 4]
struct.pack_into("<I", b, 8, 2)
struct.pack_into("<Q", b, len(b) - 8, xxh64(bytes(b[:-8])))
open(sys.argv[2], "wb").write(b)
PY
"$BLALM" distill eval --work "$E" --model "$M" --label-field score --json >"$TMP/ev3.json" 2>"$TMP/err"
if "$BLALM" distill eval --work "$E" --model "$TMP/v2.bin" --label-field score --json >"$TMP/ev2.json" 2>>"$TMP/err"; then
    check distill_reads_version2 "$PY" -c "
import json; a, b = json.load(open('$TMP/ev3.json')), json.load(open('$TMP/ev2.json'))
a.pop('model'); b.pop('model'); assert a == b, (a, b)"
else
    fail distill_reads_version2 "$(cat "$TMP/err")"
fi

# non-finite weights or bias with a valid checksum: refused at load, naming the
# file and offset (they scored documents null with int_score 0, or 5)
cat >"$TMP/patchd.py" <<'PY'
import struct, sys
from xxh64_twin import xxh64
b = bytearray(open(sys.argv[1], "rb").read())
hb, = struct.unpack_from("<I", b, 12); bits, = struct.unpack_from("<I", b, 20); outputs, = struct.unpack_from("<I", b, 36)
assert struct.unpack_from("<I", b, 132)[0] == 0 and struct.unpack_from("<I", b, 128)[0] == 0
H = 1 << bits
o = 16 + hb + 4 * H   # the weights, then the biases
at = o + 4 * H * outputs if sys.argv[3] == "bias" else o + 4 * int(sys.argv[3])
struct.pack_into("<d" if sys.argv[3] == "bias" else "<f", b, at, float(sys.argv[4]))
struct.pack_into("<Q", b, len(b) - 8, xxh64(bytes(b[:-8])))
open(sys.argv[2], "wb").write(b)
print(at)
PY
BOFF=$(PYTHONPATH="$(dirname "$0")" "$PY" "$TMP/patchd.py" "$M" "$TMP/nanbias.bin" bias nan)
expect_fail distill_bad_nan_bias "nanbias.bin: offset $BOFF: non-finite bias" \
    "$BLALM" distill score --work "$E" --model "$TMP/nanbias.bin" --force
WOFF=$(PYTHONPATH="$(dirname "$0")" "$PY" "$TMP/patchd.py" "$M" "$TMP/infw.bin" 7 inf)
expect_fail distill_bad_inf_weight "infw.bin: offset $WOFF: non-finite weight" \
    "$BLALM" distill eval --work "$E" --model "$TMP/infw.bin" --label-field score
# hash_bits 17 in a model of 2^18 features: said so, not read on into a
# "word-vector part of dimension 1022555104"
PYTHONPATH="$(dirname "$0")" "$PY" "$TMP/patch.py" "$M" "$TMP/bits17.bin" 20 17
expect_fail distill_bad_hash_bits "bits17.bin: offset 20: hash_bits 17 does not match the model's sizes: .* fit hash_bits 18" \
    "$BLALM" distill score --work "$E" --model "$TMP/bits17.bin"

# ---- SIGTERM during distill score: no temporary left, exit 143, a rerun completes ----
S=$TMP/sig; mkdir -p "$S/docs/s"
"$PY" -c "
import json
with open('$S/docs/s/a.jsonl', 'w') as f:
    for i in range(20): f.write(json.dumps({'id': 'a%d' % i, 'text': 'small file %d' % i}) + '\\n')
words = ' '.join('w%dx%d' % (k % 6, k % 40) for k in range(300))
with open('$S/docs/s/b.jsonl', 'w') as f:
    for i in range(60000): f.write(json.dumps({'id': 'b%d' % i, 'text': 'doc %d %s' % (i, words)}) + '\\n')"
"$BLALM" distill score --work "$S" --model "$M" -q 2>"$TMP/sig.err" & SP=$!
for i in $(seq 400); do ls -a "$S/attributes/edu_local/s/" 2>/dev/null | grep -q '^\.b\.jsonl\.zst\.tmp' && break; sleep 0.01; done
kill -TERM $SP; wait $SP; rc=$?
left=$(ls -a "$S/attributes/edu_local/s/" 2>/dev/null | grep -c tmp)
if [ $rc = 143 ] && [ "$left" = 0 ] && [ ! -e "$S/attributes/edu_local/s/b.jsonl.zst" ] && [ ! -e "$S/state/distill_score/edu_local/s/b.done" ] \
   && [ -e "$S/state/distill_score/edu_local/s/a.done" ] && grep -q "interrupted by SIGTERM: .*b.jsonl.zst was not written" "$TMP/sig.err"; then
    pass distill_score_sigterm_leaves_nothing
else
    fail distill_score_sigterm_leaves_nothing "rc=$rc, $left temporaries: $(ls -a "$S/attributes/edu_local/s/" 2>&1 | tr '\n' ' ') $(head -c 300 "$TMP/sig.err")"
fi
"$BLALM" distill score --work "$S" --model "$M" 2>"$TMP/sig.err" && grep -q "60000 documents in 1 files .*1 files done before" "$TMP/sig.err" \
    && pass distill_score_sigterm_rerun || fail distill_score_sigterm_rerun "$(cat "$TMP/sig.err")"

# ---- attribute features: the sets of `blalm tag`, joined when the work dir has them ----
A=$TMP/attrfeat
mkdir -p "$A/w" "$A/e" "$A/e2"
cp -r "$W/docs" "$A/w/"; cp -r "$E/docs" "$A/e/"; cp -r "$E/docs" "$A/e2/"
"$BLALM" tag --work "$A/w" --quiet && "$BLALM" tag --work "$A/e" --quiet
if "$BLALM" distill train --work "$A/w" --label-field score --out "$A/m.bin" --json >"$A/t.json" 2>"$TMP/err"; then
    pass distill_attr_train_runs
else
    fail distill_attr_train_runs "$(cat "$TMP/err")"
fi
check distill_attr_in_model "$PY" -c "
import struct; b = open('$A/m.bin','rb').read()
n_attr, = struct.unpack_from('<I', b, 132); w, = struct.unpack_from('<d', b, 136)
assert n_attr > 40 and w == 0.1, (n_attr, w)
for name in (b'readability.flesch_reading_ease', b'gopher_quality.stop_words', b'gopher_repetition.dup_line_frac',
             b'c4.lines_kept_frac', b'fineweb.line_punct_ratio'):
    assert name in b, name"
"$BLALM" distill train --work "$A/w" --label-field score --out "$A/m2.bin" -q
check distill_attr_deterministic cmp "$A/m.bin" "$A/m2.bin"
"$BLALM" distill train --work "$A/w" --label-field score --out "$A/m0.bin" --attr-features none -q
check distill_attr_none "$PY" -c "
import struct; b = open('$A/m0.bin','rb').read(); assert struct.unpack_from('<I', b, 132) == (0,)"
check distill_attr_score "$BLALM" distill score --work "$A/e" --model "$A/m.bin" -q
check distill_attr_marker_keys "$PY" -c "
import json; mk = json.load(open('$A/e/state/distill_score/edu_local/src/held.done'))
names = [i['name'] for i in mk['inputs']]
assert names == ['src/held.jsonl', 'model'] + ['attributes/' + s for s in
    ('readability', 'gopher_quality', 'gopher_repetition', 'c4', 'fineweb')], names"
"$BLALM" distill score --work "$A/e" --model "$A/m.bin" 2>"$TMP/err"
check distill_attr_marker_skips grep -q "1 files done before, skipped" "$TMP/err"
check distill_attr_eval "$BLALM" distill eval --work "$A/e" --model "$A/m.bin" --label-field score --json
expect_fail distill_bad_attr_sets_missing "uses attribute features of the sets readability, gopher_quality, gopher_repetition, c4, fineweb" \
    "$BLALM" distill score --work "$A/e2" --model "$A/m.bin"
expect_fail distill_bad_attr_sets_missing_eval "attribute set 'readability'" \
    "$BLALM" distill eval --work "$A/e2" --model "$A/m.bin" --label-field score
# a key of a set absent from one line (another tag version, or another program):
# refused with the file, row and key (it was scored as if the feature were the
# mean); a null value (what tag writes for an undefined one) still scores
cp -r "$A/e" "$A/e3"; rm -rf "$A/e3/attributes/edu_local" "$A/e3/state/distill_score"
ra=$(find "$A/e3/attributes/readability" -name '*.jsonl.zst' | head -1)
edit_attr() { zstd -dc "$ra" | "$PY" -c "
import json, sys
for i, l in enumerate(sys.stdin):
    o = json.loads(l)
    if i == 1:
        if sys.argv[1] == 'drop': del o['readability']['smog_index']
        else: o['readability']['smog_index'] = None
    print(json.dumps(o))" "$1" | zstd -q -f -o "$ra.new" && mv "$ra.new" "$ra"; }
edit_attr null
check distill_attr_null_value_scores "$BLALM" distill score --work "$A/e3" --model "$A/m.bin" -q
rm -rf "$A/e3/attributes/edu_local" "$A/e3/state/distill_score"
edit_attr drop
expect_fail distill_bad_attr_key_absent "held.jsonl:2: id .*: attribute set 'readability' has no key 'smog_index'" \
    "$BLALM" distill score --work "$A/e3" --model "$A/m.bin"
[ -z "$(find "$A/e3/attributes/edu_local" -name '*.jsonl.zst' 2>/dev/null)" ] && pass distill_bad_attr_key_absent_writes_nothing ||
    fail distill_bad_attr_key_absent_writes_nothing "$(find "$A/e3/attributes/edu_local")"
expect_fail distill_bad_attr_key_absent_eval "has no key 'smog_index'" \
    "$BLALM" distill eval --work "$A/e3" --model "$A/m.bin" --label-field score
# distill has no --allow-partial, so its message must not offer one (assemble's does)
if grep -q -- "allow-partial" "$TMP/out"; then fail distill_bad_attr_no_foreign_option "$(head -c 400 "$TMP/out")"
else pass distill_bad_attr_no_foreign_option; fi
# an attribute name with a byte that is not UTF-8 (valid checksum): refused at
# load, the byte escaped (the name went raw into messages, and is a folder)
PYTHONPATH="$(dirname "$0")" "$PY" - "$A/m.bin" "$TMP/badname.bin" <<'PY'
import struct, sys
from xxh64_twin import xxh64
b = bytearray(open(sys.argv[1], "rb").read())
assert struct.unpack_from("<I", b, 132)[0] > 0
b[148] = 0xff   # the first name's first byte
struct.pack_into("<Q", b, len(b) - 8, xxh64(bytes(b[:-8])))
open(sys.argv[2], "wb").write(b)
PY
expect_fail distill_bad_attr_name_bytes "badname.bin: offset 144: attribute feature 0: name \"\\\\xff" \
    "$BLALM" distill score --work "$A/e" --model "$TMP/badname.bin" --force
if LC_ALL=C grep -q '[^[:print:][:space:]]' "$TMP/out"; then fail distill_bad_attr_name_escaped "$(od -c "$TMP/out" | head)"
else pass distill_bad_attr_name_escaped; fi
expect_fail distill_bad_attr_all_missing "give --attr-features none to train without them" \
    "$BLALM" distill train --work "$B/single" --label-field score --out "$TMP/x.bin" --attr-features all
# character n-grams: a second hashed block, kept in the feature configuration
"$BLALM" distill train --work "$W" --label-field score --out "$A/mc.bin" --char-ngrams 3-5 --model-type ridge -q
check distill_chars_in_model "$PY" -c "
import struct; b = open('$A/mc.bin','rb').read()
assert struct.unpack_from('<II', b, 124) == (3, 5)"
if "$BLALM" distill eval --work "$E" --model "$A/mc.bin" --label-field score --json >"$A/ec.json" 2>"$TMP/err"; then
    check distill_chars_eval "$PY" -c "
import json; r = json.load(open('$A/ec.json')); assert r['documents'] == 120 and r['at3']['f1'] > 0.9, r"
else
    fail distill_chars_eval "$(cat "$TMP/err")"
fi
expect_fail distill_usage_char_ngrams "char-ngrams wants A-B" \
    "$BLALM" distill train --work "$W" --label-field score --out "$TMP/x.bin" --char-ngrams 5-3
check distill_bad_no_partial_attrs test ! -e "$E/attributes/edu_local/src/.held.jsonl.zst.tmp"
expect_fail distill_usage_subcommand "unknown subcommand" "$BLALM" distill fit --work "$W"
# an option another subcommand takes is refused, not ignored (score took
# --seed and --hash-bits silently)
expect_fail distill_usage_train_option_for_score "distill score: --seed is for train" \
    "$BLALM" distill score --work "$W" --model "$TMP/x.bin" --seed 4
expect_fail distill_usage_json_for_score "distill score: --json is for train and eval" \
    "$BLALM" distill score --work "$W" --model "$TMP/x.bin" --json
expect_fail distill_usage_model_for_train "distill train: --model is for score and eval" \
    "$BLALM" distill train --work "$W" --model "$TMP/x.bin" --out "$TMP/y.bin" --label-field score
expect_fail distill_usage_docs_without_attrs "give --work WORK, or both --docs DIR and --attrs DIR" \
    "$BLALM" distill eval --docs "$W/docs" --model "$TMP/x.bin" --label-field score
expect_fail distill_usage_labels "give one of --labels" "$BLALM" distill train --work "$W" --out "$TMP/x.bin"
check distill_help "$BLALM" distill --help

# ---- the word-vector part (--embeddings): Gaussian kernel ridge on the mean word vectors ----
V=$TMP/vec
mkdir -p "$V/w/docs/src"
# one file of distinct documents (the twin reads it in the same order); word
# vectors with a direction per topic, the shared words small and random, a
# word2vec header line first
"$PY" - "$W" "$V" <<'PY'
import json, random, sys
w, v = sys.argv[1:3]
seen, docs = set(), []
for name in ("a", "b"):
    for line in open(f"{w}/docs/src/{name}.jsonl"):
        d = json.loads(line)
        if d["id"] in seen or d["text"] in seen: continue
        seen.update((d["id"], d["text"])); docs.append(d)
with open(f"{v}/w/docs/src/x.jsonl", "w") as f:
    for d in docs: f.write(json.dumps(d) + "\n")
rng = random.Random(3)
rows = []
for k in range(6):
    for j in range(40):
        rows.append((f"w{k}x{j}", [(1.0 if i == k else 0.0) + rng.gauss(0, 0.3) for i in range(8)]))
for s in "the of and a to in is that it for on with as was this by are".split():
    rows.append((s, [rng.gauss(0, 0.1) for _ in range(8)]))
with open(f"{v}/vec.txt", "w") as f:
    f.write(f"{len(rows) + 1} 8\n")
    for word, x in rows: f.write(word + " " + " ".join("%.6f" % t for t in x) + "\n")
    f.write("W0X0 " + " ".join(["9"] * 8) + "\n")   # upper case: w0x0 once lowercased, a repeat: skipped
PY
if "$BLALM" distill train --work "$V/w" --label-field score --out "$V/m.bin" --embeddings "$V/vec.txt" --model-type ridge \
    --json >"$V/t.json" 2>"$TMP/err"; then
    pass distill_emb_train_runs
else
    fail distill_emb_train_runs "$(cat "$TMP/err")"
fi
check distill_emb_report "$PY" -c "
import json; r = json.load(open('$V/t.json')); x = r['embeddings']
assert x['dim'] == 8 and x['words'] == 257 and x['landmarks'] == 240, x
assert r['cv_f1_at3'] == x['f1_at3'] > 0.9 and x['weight'] in (0.25, 0.5, 0.75) and x['lambda'] in (0.03, 0.1, 0.3), r
assert len(x['lambda_f1_at3']) == 3 and len(x['weight_f1_at3']) == 3, x"
"$BLALM" distill train --work "$V/w" --label-field score --out "$V/m2.bin" --embeddings "$V/vec.txt" --model-type ridge -q
check distill_emb_deterministic cmp "$V/m.bin" "$V/m2.bin"
check distill_emb_repeat_noted grep -q "embeddings: 1 lines skipped, their word (lowercased.*257 words kept" "$TMP/err"
OPENBLAS_NUM_THREADS=1 "$BLALM" distill train --work "$V/w" --label-field score --out "$V/mt1.bin" --embeddings "$V/vec.txt" -q
OPENBLAS_NUM_THREADS=2 "$BLALM" distill train --work "$V/w" --label-field score --out "$V/mt2.bin" --embeddings "$V/vec.txt" -q
check distill_emb_threads cmp "$V/mt1.bin" "$V/mt2.bin"
# an independent twin (numpy): the documents' mean vectors, the standardisation,
# gamma = 1 / the median squared distance, and kernel ridge with an unpenalised
# intercept at the model's lambda (the eigen-floor of the C code kept), against
# the part stored in the model file: its predictions on the held-out documents
check distill_emb_twin "$PY" - "$V/m.bin" "$V/w/docs/src/x.jsonl" "$E/docs/src/held.jsonl" "$V/vec.txt" <<'PY'
import json, re, struct, sys
import numpy as np
model, train, held, vec = sys.argv[1:5]
b = open(model, "rb").read()
assert b[:8] == b"BLDSTL\r\n" and struct.unpack_from("<I", b, 8)[0] == 3
hb = struct.unpack_from("<I", b, 12)[0]
bits, = struct.unpack_from("<I", b, 20); outputs, = struct.unpack_from("<I", b, 36)
n_attr, = struct.unpack_from("<I", b, 132); char_max, = struct.unpack_from("<I", b, 128)
assert n_attr == 0 and char_max == 0
H = 1 << bits
o = 16 + hb + 4 * H + 4 * H * outputs + 8 * outputs
d, nw, nl, rank = struct.unpack_from("<4I", b, o); o += 16
gamma, weight, bias, lam = struct.unpack_from("<4d", b, o); o += 32
bl, = struct.unpack_from("<Q", b, o); o += 8 + bl
mu = np.frombuffer(b, "<f4", d, o); o += 4 * d
sd = np.frombuffer(b, "<f4", d, o); o += 4 * d
o += 4 * nw * d
land = np.frombuffer(b, "<f4", nl * d, o).reshape(nl, d).astype(float); o += 4 * nl * d
alpha = np.frombuffer(b, "<f8", nl, o)
words = {}
for line in open(vec).read().splitlines()[1:]:
    p = line.split(" "); words.setdefault(p[0].lower(), np.array([float(x) for x in p[1:]]))
TOK = re.compile(rb"[a-z0-9\x80-\xff]+")
def mean_vec(text):
    v = [words[t.decode()] for t in TOK.findall(text.encode().lower()) if len(t) <= 100 and t.decode() in words]
    return np.mean(v, axis=0) if v else np.zeros(d)
tr = [json.loads(l) for l in open(train)]
X = np.array([mean_vec(t["text"]) for t in tr]); y = np.array([t["metadata"]["score"] for t in tr], float)
m0, s0 = X.mean(0), X.std(0)
assert np.allclose(m0, mu, atol=1e-5) and np.allclose(s0, sd, atol=1e-5), (m0, mu, s0, sd)
Z = (X - m0) / s0
assert np.allclose(Z, land, atol=1e-4)
D2 = ((Z[:, None, :] - Z[None, :, :]) ** 2).sum(-1)
pairs = D2[np.triu_indices(len(Z), 1)]
med = np.partition(pairs, len(pairs) // 2)[len(pairs) // 2]
assert abs(1 / med - gamma) < 1e-5 * gamma, (1 / med, gamma)
K = np.exp(-gamma * D2)
s, U = np.linalg.eigh(K)
keep = s > 1e-4
assert keep.sum() == rank, (keep.sum(), rank)
P = U[:, keep] / np.sqrt(s[keep])
F = K @ P
Fc = F - F.mean(0)
w = np.linalg.solve(Fc.T @ Fc + lam * np.eye(F.shape[1]), Fc.T @ (y - y.mean()))
a_twin, b_twin = P @ w, y.mean() - F.mean(0) @ w
hd = [json.loads(l) for l in open(held)]
Zh = (np.array([mean_vec(t["text"]) for t in hd]) - m0) / s0
Kh = np.exp(-gamma * ((Zh[:, None, :] - Z[None, :, :]) ** 2).sum(-1))
ours, twin = Kh @ alpha + bias, Kh @ a_twin + b_twin
err = np.abs(ours - twin).max()
assert err < 2e-3, err
print("emb twin: %d held-out documents, max |difference| %.2e, rank %d of %d" % (len(hd), err, rank, nl))
PY
check distill_emb_score "$BLALM" distill score --work "$E" --model "$V/m.bin" --force -q
if "$BLALM" distill eval --work "$E" --model "$V/m.bin" --label-field score --json >"$V/e.json" 2>"$TMP/err"; then
    check distill_emb_eval "$PY" -c "
import json; r = json.load(open('$V/e.json')); assert r['documents'] == 120 and r['at3']['f1'] > 0.9, r"
else
    fail distill_emb_eval "$(cat "$TMP/err")"
fi
# bad word-vector files: named with the line
printf 'alpha 1 2 3\nbeta 1 2\n' >"$V/short.txt"
expect_fail distill_bad_emb_dims "short.txt:2: 2 numbers after the word 'beta', expected 3" \
    "$BLALM" distill train --work "$V/w" --label-field score --out "$V/x.bin" --embeddings "$V/short.txt"
printf 'alpha 1 2 3e38\n' >"$V/big.txt"
expect_fail distill_bad_emb_big "big.txt:1: number 3 of word 'alpha' is 3e38, beyond the limit of 1e30 in magnitude" \
    "$BLALM" distill train --work "$V/w" --label-field score --out "$V/x.bin" --embeddings "$V/big.txt"
printf 'alpha 1 2 x\n' >"$V/nan.txt"
expect_fail distill_bad_emb_number "nan.txt:1: number 3 of word 'alpha' is not a finite number" \
    "$BLALM" distill train --work "$V/w" --label-field score --out "$V/x.bin" --embeddings "$V/nan.txt"
: >"$V/empty.txt"
expect_fail distill_bad_emb_empty "empty.txt: no word vectors" \
    "$BLALM" distill train --work "$V/w" --label-field score --out "$V/x.bin" --embeddings "$V/empty.txt"
expect_fail distill_bad_emb_missing "nosuch.txt: No such file" \
    "$BLALM" distill train --work "$V/w" --label-field score --out "$V/x.bin" --embeddings "$V/nosuch.txt"
expect_fail distill_usage_emb_score "are for train" \
    "$BLALM" distill score --work "$E" --model "$V/m.bin" --embeddings "$V/vec.txt"
check distill_emb_nothing_written test ! -e "$V/x.bin"
# hash_bits forged in a model with the word-vector part (it said "word-vector
# part of dimension 1022555104")
PYTHONPATH="$(dirname "$0")" "$PY" "$TMP/patch.py" "$V/m.bin" "$V/bits17.bin" 20 17
expect_fail distill_bad_emb_hash_bits "bits17.bin: offset 20: hash_bits 17 does not match the model's sizes: .* fit hash_bits 18" \
    "$BLALM" distill score --work "$E" --model "$V/bits17.bin"
# alphas every one finite, their sum not: score and eval refuse a score that
# is not a finite number (score wrote null with int_score 0)
PYTHONPATH="$(dirname "$0")" "$PY" - "$V/m.bin" "$V/huge.bin" <<'PY'
import struct, sys
from xxh64_twin import xxh64
b = bytearray(open(sys.argv[1], "rb").read())
hb, = struct.unpack_from("<I", b, 12); bits, = struct.unpack_from("<I", b, 20); outputs, = struct.unpack_from("<I", b, 36)
H = 1 << bits
o = 16 + hb + 4 * H + 4 * H * outputs + 8 * outputs
d, nw, nl, rank = struct.unpack_from("<4I", b, o)
bl, = struct.unpack_from("<Q", b, o + 48)
o += 56 + bl + 8 * d + 4 * nw * d + 4 * nl * d
for j in range(nl): struct.pack_into("<d", b, o + 8 * j, 1e308)
struct.pack_into("<Q", b, len(b) - 8, xxh64(bytes(b[:-8])))
open(sys.argv[2], "wb").write(b)
PY
mkdir -p "$V/hs"; cp -r "$E/docs" "$V/hs/"
expect_fail distill_bad_nonfinite_score "held.jsonl:1: id h0: the model distill-.* gives a score that is not a finite number" \
    "$BLALM" distill score --work "$V/hs" --model "$V/huge.bin"
check distill_bad_nonfinite_score_writes_nothing test ! -e "$V/hs/attributes/edu_local/src/held.jsonl.zst"
expect_fail distill_bad_nonfinite_score_eval "gives a score that is not a finite number" \
    "$BLALM" distill eval --work "$V/hs" --model "$V/huge.bin" --label-field score
# a truncated model with the word-vector part is refused, naming the file
head -c 200000 "$V/m.bin" >"$V/trunc.bin"
expect_fail distill_bad_emb_truncated "trunc.bin: checksum mismatch" \
    "$BLALM" distill score --work "$E" --model "$V/trunc.bin"
expect_fail distill_usage_emb_weight "emb-weight wants a number between 0 and 1, not '1.5'" \
    "$BLALM" distill train --work "$V/w" --label-field score --out "$V/x.bin" --embeddings "$V/vec.txt" --emb-weight 1.5
expect_fail distill_usage_attr_weight "attr-weight wants a number between 0 and 1, not 'x'" \
    "$BLALM" distill train --work "$V/w" --label-field score --out "$V/x.bin" --attr-weight x
expect_fail distill_usage_emb_words_alone "need --embeddings FILE" \
    "$BLALM" distill train --work "$V/w" --label-field score --out "$V/x.bin" --emb-words 10
# a fixed blend weight is kept in the model
"$BLALM" distill train --work "$V/w" --label-field score --out "$V/mw.bin" --embeddings "$V/vec.txt" --emb-weight 0.4 \
    --emb-words 100 --json >"$V/tw.json"
check distill_emb_fixed_weight "$PY" -c "
import json; x = json.load(open('$V/tw.json'))['embeddings']
assert x['weight'] == 0.4 and x['words'] == 100 and len(x['weight_f1_at3']) == 1, x"
# beyond --max-docs: the linear part in the primal, the word-vector part on a
# seeded sample of landmarks
"$BLALM" distill train --work "$V/w" --label-field score --out "$V/mp.bin" --embeddings "$V/vec.txt" --max-docs 100 \
    --json >"$V/tp.json"
"$BLALM" distill train --work "$V/w" --label-field score --out "$V/mp2.bin" --embeddings "$V/vec.txt" --max-docs 100 -q
check distill_emb_landmark_sample "$PY" -c "
import json; r = json.load(open('$V/tp.json')); x = r['embeddings']
assert r['used'] == 240 and x['landmarks'] == 100 and x['f1_at3'] > 0.9, r"
check distill_emb_landmark_deterministic cmp "$V/mp.bin" "$V/mp2.bin"
if "$BLALM" distill eval --work "$E" --model "$V/mp.bin" --label-field score --json >"$V/ep.json" 2>"$TMP/err"; then
    check distill_emb_landmark_eval "$PY" -c "
import json; r = json.load(open('$V/ep.json')); assert r['documents'] == 120 and r['at3']['f1'] > 0.9, r"
else
    fail distill_emb_landmark_eval "$(cat "$TMP/err")"
fi
check distill_emb_model_name "$PY" -c "
import json, subprocess
rows = [json.loads(l) for l in subprocess.run(['zstd', '-dc', '$E/attributes/edu_local/src/held.jsonl.zst'],
        check=True, capture_output=True).stdout.decode().splitlines()]
assert len(rows) == 120 and all('+vectors-' in r['edu_local']['model'] for r in rows), rows[0]"
