#!/usr/bin/env bash
# blalm eval's results file (RUN/checkpoints/NAME.eval[_fast].json): what a
# --tasks run does to it, --all-checkpoints keeping it on a rerun, and the
# refusals that keep it from being overwritten by nothing. The data is a small hand-made fast suite (every
# task of the official fast suite, a few items each, reading from
# ../shared/data/babylm-eval), so a whole suite takes seconds.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! need_shared || [ ! -d "$SHARED_DATA/babylm-eval/reading" ]; then
    skip eval_results "../shared/data/babylm-eval not found"
    exit 0
fi
C="$TMP/corpus"; line_corpus "$C" 3 40
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

# a --data folder that is not there, or holds none of the tasks' data, is an
# error and the results file is left as it was (exit 0 before: every task
# "skipped: no data", an empty result written over the full one, overall nan)
"$BLALM" eval --run "$R" --data "$TMP/no-such-data" --fast -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "no-such-data: no such folder" "$TMP/err" && cmp -s "$J" "$TMP/full.json" \
    && pass eval_missing_data_refused || fail eval_missing_data_refused "rc $rc $(head -c 300 "$TMP/err")"
mkdir -p "$TMP/empty-data"
"$BLALM" eval --run "$R" --data "$TMP/empty-data" --fast -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "empty-data holds the data of none of the tasks" "$TMP/err" && cmp -s "$J" "$TMP/full.json" \
    && pass eval_no_task_data_refused || fail eval_no_task_data_refused "rc $rc $(head -c 300 "$TMP/err")"

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

# "overall" is the BabyLM average: every task of the suite (fast: all but
# comps), reading counting as two; the full run above has them all
"$PY" - "$TMP/full.json" <<'PY' && pass eval_overall_whole_suite || fail eval_overall_whole_suite "$(cat "$TMP/full.json" | head -c 300)"
import json, sys
r = json.load(open(sys.argv[1]))
t = r["tasks"]
assert list(t) == ["blimp", "supplement", "ewok", "entity_tracking", "wug_adj", "wug_past", "reading"], list(t)
s = [t[k]["score"] for k in t if k != "reading"] + [t["reading"]["eye_tracking"], t["reading"]["self_paced_reading"]]
assert abs(r["overall"] - sum(s) / 8) < 1e-12 and r["scores_averaged"] == 8 and r["overall_missing"] == []
assert len(r["checkpoint_sha256"]) == 64 and len(r["tokenizer_sha256"]) == 64
PY

# a --tasks run adds its tasks to the results of the same checkpoint: a full
# run, then --tasks wug_adj keeps the six others (it used to leave a file of
# wug_adj alone, whose "overall" was the wug score)
if "$BLALM" eval --run "$R" --data "$D" --fast --tasks wug_adj >"$TMP/table" 2>"$TMP/err" && "$PY" - "$J" "$TMP/full.json" <<'PY'
import json, sys
r, f = (json.load(open(p)) for p in sys.argv[1:3])
assert r["tasks"] == f["tasks"], sorted(r["tasks"])      # same checkpoint: wug_adj recomputed to the same bits
assert r["overall"] == f["overall"] and r["overall_missing"] == [] and r["data"] == f["data"]
assert r["previous"]["kept"] == ["blimp", "supplement", "ewok", "entity_tracking", "wug_past", "reading"], r["previous"]
PY
then grep -q "kept from the results already there" "$TMP/err" && pass eval_subset_merges \
        || fail eval_subset_merges "no note: $(head -c 300 "$TMP/err")"
else fail eval_subset_merges "$(head -c 300 "$TMP/err")"; fi

# a subset alone has no overall: null, and the table says which tasks are missing
"$BLALM" eval --run "$R" --data "$D" --fast --tasks wug_adj,blimp --out "$TMP/sub.json" >"$TMP/table" 2>"$TMP/err"
"$PY" - "$TMP/sub.json" <<'PY' && grep -q "^overall  *n/a  missing: supplement ewok entity_tracking wug_past reading" "$TMP/table" \
    && pass eval_subset_overall_null || fail eval_subset_overall_null "$(head -c 300 "$TMP/table") $(head -c 200 "$TMP/err")"
import json, sys
r = json.load(open(sys.argv[1]))
assert list(r["tasks"]) == ["blimp", "wug_adj"] and r["overall"] is None and r["scores_averaged"] == 0
assert r["overall_missing"] == ["supplement", "ewok", "entity_tracking", "wug_past", "reading"], r["overall_missing"]
PY

# the same data in another folder (same sha256) merges; changed data of a
# kept task does not: the file is replaced, and the reason is said
cp -rL "$D" "$TMP/d2"; cp -rL "$D" "$TMP/d3"
echo '{"sentences": "a cat.\tthe dog.", "ratio": 0.25}' >> "$TMP/d3/wug_past_tense/w.jsonl"
"$BLALM" eval --run "$R" --data "$TMP/d2" --fast --tasks blimp -q 2>"$TMP/err"
"$PY" -c "import json, sys; r = json.load(open(sys.argv[1])); assert len(r['tasks']) == 7 and r['overall'] is not None" "$J" \
    && pass eval_subset_merges_same_data_elsewhere || fail eval_subset_merges_same_data_elsewhere "$(head -c 300 "$TMP/err")"
"$BLALM" eval --run "$R" --data "$TMP/d3" --fast --tasks blimp -q 2>"$TMP/err"
"$PY" -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert list(r['tasks']) == ['blimp'] and r['overall'] is None, list(r['tasks'])
assert 'wug_past_tense/w.jsonl' in r['previous']['replaced'], r['previous']" "$J" \
    && grep -q "replaced .*wug_past_tense/w.jsonl" "$TMP/err" \
    && pass eval_changed_data_not_merged || fail eval_changed_data_not_merged "$(head -c 300 "$TMP/err")"

# other scoring, or a file that records no checkpoint_sha256 (an older
# blalm's): replaced, not merged
"$BLALM" eval --run "$R" --data "$D" --fast -q 2>"$TMP/err"
"$BLALM" eval --run "$R" --data "$D" --fast --tasks wug_adj --score-first-token -q 2>"$TMP/err"
"$PY" -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert list(r['tasks']) == ['wug_adj'] and 'score-first-token' in r['previous']['replaced'], r['previous']" "$J" \
    && pass eval_other_scoring_not_merged || fail eval_other_scoring_not_merged "$(head -c 300 "$TMP/err")"
cp "$TMP/full.json" "$J"
"$PY" -c "
import json, sys
r = json.load(open(sys.argv[1])); del r['checkpoint_sha256']; json.dump(r, open(sys.argv[1], 'w'))" "$J"
"$BLALM" eval --run "$R" --data "$D" --fast --tasks wug_adj -q 2>"$TMP/err"
"$PY" -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert list(r['tasks']) == ['wug_adj'] and 'no checkpoint_sha256' in r['previous']['replaced'], r['previous']" "$J" \
    && pass eval_unidentified_file_not_merged || fail eval_unidentified_file_not_merged "$(head -c 300 "$TMP/err")"
# a results file whose "data" or "skipped" is not an object is replaced, not
# read (an array's items have no names: eval crashed, SIGSEGV)
for bad in data skipped; do
    cp "$TMP/full.json" "$J"
    "$PY" -c "
import json, sys
r = json.load(open(sys.argv[1])); r[sys.argv[2]] = [1]; json.dump(r, open(sys.argv[1], 'w'))" "$J" $bad
    "$BLALM" eval --run "$R" --data "$D" --fast --tasks wug_adj -q 2>"$TMP/err"; rc=$?
    [ $rc = 0 ] && "$PY" -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert list(r['tasks']) == ['wug_adj'] and r['previous']['replaced'] == 'not a results file of blalm eval', r['previous']" "$J" \
        && pass "eval_malformed_${bad}_replaced" || fail "eval_malformed_${bad}_replaced" "rc $rc $(head -c 300 "$TMP/err")"
done

# a changed checkpoint (another training's latest.bin, same tokenizer) does
# not merge the stale results: only the new task, its sha256 recorded
cp "$TMP/full.json" "$J"
R2="$TMP/run2"
"$BLALM" train --corpus "$C" --model "$TMP/big.json" --out "$R2" --max-steps 10 -q 2>"$TMP/err"
cp "$R2/checkpoints/latest.bin" "$R/checkpoints/latest.bin"
"$BLALM" eval --run "$R" --data "$D" --fast --tasks wug_adj -q 2>"$TMP/err"
if cmp -s "$R/tokenizer.json" "$R2/tokenizer.json" && "$PY" - "$J" "$TMP/full.json" "$R/checkpoints/latest.bin" <<'PY'
import hashlib, json, sys
r, f = (json.load(open(p)) for p in sys.argv[1:3])
assert r["checkpoint_sha256"] == hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest()
assert list(r["tasks"]) == ["wug_adj"] and r["tasks"]["wug_adj"] != f["tasks"]["wug_adj"]
assert r["overall"] is None and "checkpoint" in r["previous"]["replaced"], r["previous"]
assert list(r["data"]) == ["wug_adj_nominalization/w.jsonl"], list(r["data"])
PY
then grep -q "replaced .*other checkpoint bytes" "$TMP/err" && pass eval_changed_checkpoint_not_merged \
        || fail eval_changed_checkpoint_not_merged "no note: $(head -c 300 "$TMP/err")"
else fail eval_changed_checkpoint_not_merged "$(head -c 300 "$TMP/err")"; fi

# --out FILE creates its missing parent folders, as every blalm file output
# does; --help says so
"$BLALM" eval --run "$R" --data "$D" --fast --tasks wug_adj --out "$TMP/new/deeper/x.json" -q 2>"$TMP/err" \
    && [ -f "$TMP/new/deeper/x.json" ] && "$BLALM" eval --help | grep -q -- "--out FILE .*parent folders are created" \
    && pass eval_out_parents_documented || fail eval_out_parents_documented "$(head -c 300 "$TMP/err")"

# --all-checkpoints after an interruption: a milestone whose results file
# was computed on the same checkpoint bytes, tokenizer, data and settings is
# kept, not recomputed (every checkpoint was evaluated again); a changed
# checkpoint is evaluated again
"$BLALM" eval --run "$R" --data "$D" --all-checkpoints --tasks wug_adj,blimp -q 2>"$TMP/err"
ls "$R"/checkpoints/chck_*M.eval_fast.json > "$TMP/ms" 2>/dev/null
first=$(head -1 "$TMP/ms"); last=$(tail -1 "$TMP/ms")
for f in $(cat "$TMP/ms"); do stat -c '%Y %s' "$f"; cksum < "$f"; done > "$TMP/before"
sleep 1.1
cp "$R2/checkpoints/latest.bin" "${last%.eval_fast.json}.bin"     # another model's bytes
if [ "$(wc -l < "$TMP/ms")" -ge 2 ] && "$BLALM" eval --run "$R" --data "$D" --all-checkpoints --tasks wug_adj,blimp 2>"$TMP/err" >/dev/null \
    && for f in $(cat "$TMP/ms"); do stat -c '%Y %s' "$f"; cksum < "$f"; done > "$TMP/after" \
    && [ "$(head -n -2 "$TMP/before")" = "$(head -n -2 "$TMP/after")" ] \
    && [ "$(tail -2 "$TMP/before")" != "$(tail -2 "$TMP/after")" ] \
    && grep -q "$(basename "${first%.eval_fast.json}"): kept .*$(basename "$first") (same checkpoint bytes" "$TMP/err" \
    && ! grep -q "$(basename "${last%.eval_fast.json}"): kept" "$TMP/err" && "$PY" - "$R/learning_curve.json" "$last" "${last%.eval_fast.json}.bin" <<'PY'
import hashlib, json, sys
c = json.load(open(sys.argv[1]))
changed = [p for p in c["checkpoints"] if p["eval_json"].endswith("/" + sys.argv[2].split("/")[-1])]
assert len(changed) == 1 and len(c["checkpoints"]) >= 2
assert all(p["reused"] == (p is not changed[0]) for p in c["checkpoints"]), c["checkpoints"]
r = json.load(open(sys.argv[2]))
assert r["checkpoint_sha256"] == hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest()
assert changed[0]["tasks"]["wug_adj"] == r["tasks"]["wug_adj"]["score"]
PY
then pass eval_all_checkpoints_resumes
else fail eval_all_checkpoints_resumes "$(head -c 400 "$TMP/err") $(diff "$TMP/before" "$TMP/after" | head -c 300)"; fi

# --run given relative: the results file's "run" is the absolute path (it was
# the path as given, which names nothing read from another folder)
(cd "$TMP" && "$BLALM" eval --run run --data "$D" --fast --tasks blimp -q) 2>"$TMP/err"; rc=$?
got=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"])' "$J" 2>&1)
want=$("$PY" -c 'import os,sys; print(os.path.realpath(sys.argv[1]))' "$R")
[ $rc = 0 ] && [ "$got" = "$want" ] && pass eval_run_path_absolute || fail eval_run_path_absolute "rc $rc: run '$got', want '$want' $(head -c 300 "$TMP/err")"

# --all-checkpoints --tasks on a checkpoint whose results file cannot be
# merged (here: scored without --score-first-token) replaces it and says so
# per checkpoint, even with -q, as one --checkpoint run does; the point of
# learning_curve.json records it (it used to be dropped without a word)
ck=$(basename "$first" .eval_fast.json)
if "$BLALM" eval --run "$R" --data "$D" --checkpoint "$ck" --fast --tasks blimp,wug_adj -q 2>"$TMP/err" \
    && "$BLALM" eval --run "$R" --data "$D" --all-checkpoints --tasks wug_adj --score-first-token -q 2>"$TMP/err" \
    && grep -q "^blalm eval: $ck: replaced .*$ck.eval_fast.json, whose other tasks were not kept: .*score-first-token" "$TMP/err" \
    && "$PY" - "$R/learning_curve.json" "$ck" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
p = [p for p in c["checkpoints"] if p["checkpoint"] == sys.argv[2]][0]
assert "score-first-token" in p["previous"]["replaced"], p
assert p["previous"]["file"].endswith(sys.argv[2] + ".eval_fast.json"), p
PY
then pass eval_all_checkpoints_says_replaced
else fail eval_all_checkpoints_says_replaced "$(head -c 400 "$TMP/err")"; fi

# a --tasks run keeps an earlier task only when no file was added to its
# folder since (the test --all-checkpoints applies): blimp, computed on two
# UIDs, is replaced once a third file is in blimp_fast/ (it used to be kept,
# "same checkpoint, tokenizer, data", with two UIDs of three)
D5="$TMP/d5"; mkdir -p "$D5"
cp -r "$D/blimp_fast" "$D/wug_adj_nominalization" "$D5/"
if "$BLALM" eval --run "$R" --data "$D5" --fast --tasks blimp,wug_adj --out "$TMP/m5.json" -q 2>"$TMP/err" \
    && sed 's/"UID": "agr"/"UID": "new"/' "$D5/blimp_fast/agr.jsonl" > "$D5/blimp_fast/new.jsonl" \
    && "$BLALM" eval --run "$R" --data "$D5" --fast --tasks wug_adj --out "$TMP/m5.json" -q 2>"$TMP/err" \
    && grep -q "replaced .*m5.json, whose other tasks were not kept: its blimp was computed on other files than .*blimp_fast holds now (a file was added)" "$TMP/err" \
    && "$PY" -c "
import json, sys
r = json.load(open(sys.argv[1]))
assert list(r['tasks']) == ['wug_adj'] and 'a file was added' in r['previous']['replaced'], r['previous']" "$TMP/m5.json"
then pass eval_tasks_file_added_not_kept
else fail eval_tasks_file_added_not_kept "$(head -c 400 "$TMP/err")"; fi
