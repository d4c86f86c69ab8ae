#!/usr/bin/env bash
# blalm eval's results file (RUN/checkpoints/NAME.eval[_fast].json): what a
# --tasks run does to it, and the refusals that keep it from being
# overwritten by nothing. The data is a small hand-made fast suite (every
# task of the official fast suite, a few items each, reading from
# ../shared/data/babylm-eval), so a whole suite takes seconds.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! need_shared || [ ! -d "$SHARED_DATA/babylm-eval/reading" ]; then
    skip eval_results "../shared/data/babylm-eval not found"
    exit 0
fi
C="$TMP/corpus"; mkdir -p "$C/train" "$C/dev"
awk 'BEGIN { srand(3); split("the cat dog sat on a mat and ran to house with big small red blue tree under over he she it was is", w, " ");
    for (d = 0; d < 300; d++) { line = ""; for (j = 0; j < 12; j++) line = line (j ? " " : "") w[1 + int(rand() * 25)];
        print line "."; print "" } }' > "$C/train/x.train"
head -40 "$C/train/x.train" > "$C/dev/x.dev"
sed 's/"context": 32/"context": 1024/' "$root/configs/model-tiny.json" > "$TMP/big.json"
R="$TMP/run"
if ! "$BLALM" train --corpus "$C" --model "$TMP/big.json" --out "$R" --max-steps 20 --test-words-scale 0.001 \
        --track strict-small -q 2>"$TMP/err"; then
    fail eval_results "train: $(head -c 300 "$TMP/err")"
    exit 0
fi

# the fast suite, hand-made (reading is the shared file)
D="$TMP/data"
mkdir -p "$D/blimp_fast" "$D/supplement_fast" "$D/ewok_fast" "$D/entity_tracking_fast" \
    "$D/wug_adj_nominalization" "$D/wug_past_tense"
ln -s "$SHARED_DATA/babylm-eval/reading" "$D/reading"
"$PY" - "$D" <<'PY'
import json, random, sys
d = sys.argv[1]
random.seed(5)
W = "the cat dog sat on a mat and ran to house with big small red blue tree under over he she it was is".split()
def sent(k): return " ".join(random.choice(W) for _ in range(k)) + "."
def put(path, rows):
    with open(d + "/" + path, "w") as f:
        for r in rows: f.write(json.dumps(r) + "\n")
for uid in ("agr", "isl"):
    put("blimp_fast/%s.jsonl" % uid, [{"sentence_good": sent(6), "sentence_bad": sent(6), "field": "syntax",
        "UID": uid, "linguistics_term": "t"} for _ in range(10)])
put("supplement_fast/hyp.jsonl", [{"sentence_good": sent(5), "sentence_bad": sent(5)} for _ in range(10)])
put("ewok_fast/e.jsonl", [{"Context1": sent(5), "Target1": sent(3), "Target2": sent(3), "Domain": "dom",
    "ContextType": "ct", "ContextDiff": "cd", "TargetDiff": "td"} for _ in range(10)])
put("entity_tracking_fast/regular.jsonl", [{"input_prefix": sent(8) + " Box 1 contains", "numops": i % 2,
    "options": [" " + sent(3), " " + sent(3), " " + sent(3)]} for i in range(10)])
for w in ("wug_adj_nominalization/w.jsonl", "wug_past_tense/w.jsonl"):
    put(w, [{"sentences": sent(4) + "\t" + sent(4), "ratio": random.random()} for _ in range(12)])
PY
J="$R/checkpoints/latest.eval_fast.json"
if ! "$BLALM" eval --run "$R" --data "$D" --fast -q 2>"$TMP/err"; then
    fail eval_results "eval: $(head -c 300 "$TMP/err")"
    exit 0
fi
cp "$J" "$TMP/full.json"

# --tasks "" (and an empty name in the list) is bad usage: exit 2, and the
# results file is left as it was (it used to get "tasks": {} and overall null)
"$BLALM" eval --run "$R" --data "$D" --fast --tasks "" -q 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q -- '--tasks: empty list' "$TMP/err" && cmp -s "$J" "$TMP/full.json" \
    && pass eval_tasks_empty_refused || fail eval_tasks_empty_refused "rc $rc $(head -c 300 "$TMP/err")"
"$BLALM" eval --run "$R" --data "$D" --fast --tasks wug_adj, -q 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--tasks: an empty task name in 'wug_adj,'" "$TMP/err" && cmp -s "$J" "$TMP/full.json" \
    && pass eval_tasks_empty_name_refused || fail eval_tasks_empty_name_refused "rc $rc $(head -c 300 "$TMP/err")"

# an item longer than the model's context is refused naming its data file
# and line (it used to say only "blimp: a sequence of 34 tokens needs 33
# positions"), before anything is scored or written
R32="$TMP/run32"
"$BLALM" train --corpus "$C" --model "$root/configs/model-tiny.json" --out "$R32" --max-steps 10 -q 2>"$TMP/err"
L="$TMP/long"; mkdir -p "$L/blimp_fast"
{ echo '{"sentence_good": "the cat sat.", "sentence_bad": "cat the sat."}'
  echo '{"sentence_good": "the dog ran.", "sentence_bad": "dog the ran."}'
  printf '{"sentence_good": "%s", "sentence_bad": "the cat."}\n' "$(printf 'the big red dog sat on a small blue mat %.0s' 1 2 3 4 5 6)"
} > "$L/blimp_fast/pairs.jsonl"
"$BLALM" eval --run "$R32" --data "$L" --fast --tasks blimp -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "long/blimp_fast/pairs.jsonl:3: blimp: a candidate of [0-9]* tokens (\"the big red dog" "$TMP/err" \
    && grep -q "more than the model's context (32)" "$TMP/err" && [ ! -e "$R32/checkpoints/latest.eval_fast.json" ] \
    && pass eval_too_long_names_item || fail eval_too_long_names_item "rc $rc $(head -c 300 "$TMP/err")"
"$BLALM" eval --run "$R32" --data "$D" --fast --tasks reading -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "reading/reading_data.csv:[0-9]*: reading: a query of [0-9]* tokens (the word \"" "$TMP/err" \
    && grep -q "more than the model's context (32)" "$TMP/err" \
    && pass eval_too_long_names_reading_row || fail eval_too_long_names_reading_row "rc $rc $(head -c 300 "$TMP/err")"
