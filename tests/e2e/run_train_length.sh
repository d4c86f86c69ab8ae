#!/usr/bin/env bash
# `blalm run`'s train marker and the run length: train.max_steps changed to
# the train.max_tokens that comes to the same steps (or back) keeps the
# trained model (it retrained the same model from scratch); a length of other
# steps trains anew, saying why.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
no_outside_settings
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

mkdir -p "$TMP/docs"
make_docs "$TMP/docs/a.jsonl" 60 a
job() {   # FILE TRAIN-LENGTH-JSON
    cat >"$1" <<JSON
{"sources": [{"name": "web", "files": "$TMP/docs"}], "dedup": {"threads": 1},
 "corpora": {"corpora": [{"name": "c", "budget": 1500, "dev_words": 200}], "rules": [], "seed": 0},
 "model": "$ROOT/configs/model-tiny.json", "train": {$2, "threads": 1}}
JSON
}
# this corpus's train split is one window of model-tiny's 32 tokens: one row
# a step (not the config's batch of 4), so 3 steps are 65 to 96 tokens
job "$TMP/s3.json" '"max_steps": 3'
job "$TMP/t96.json" '"max_tokens": 96'
job "$TMP/t97.json" '"max_tokens": 97'
W=$TMP/w
sha() { sha256sum "$W/model/checkpoints/latest.bin" | cut -d' ' -f1; }
if ! "$BLALM" run "$TMP/s3.json" --work "$W" -q >"$TMP/o1" 2>&1 || ! head -1 "$W/model/log.jsonl" | grep -q '"rows":1,'; then
    fail run_train_length_setup "not one row a step: $(tail -c 600 "$TMP/o1" | tr '\n' '|')"
    exit 0
fi
before=$(sha)
"$BLALM" run "$TMP/t96.json" --work "$W" --dry-run >"$TMP/d2" 2>&1; rcd=$?
"$BLALM" run "$TMP/t96.json" --work "$W" -q >"$TMP/o2" 2>&1; rc=$?
if [ $rcd = 0 ] && [ $rc = 0 ] && grep -q 'train .*complete, skipped' "$TMP/o2" && ! grep -q 'a new run' "$TMP/o2" \
   && ! grep -q 'train.*would redo' "$TMP/d2" && [ "$(sha)" = "$before" ]; then
    pass run_train_same_steps_as_tokens_kept
else
    fail run_train_same_steps_as_tokens_kept "rc $rcd/$rc: $(grep train "$TMP/d2" "$TMP/o2" | tr '\n' '|' | tail -c 600)"
fi
# and back: the marker now holds max_tokens 96
"$BLALM" run "$TMP/s3.json" --work "$W" -q >"$TMP/o3" 2>&1; rc=$?
[ $rc = 0 ] && grep -q 'train .*complete, skipped' "$TMP/o3" && [ "$(sha)" = "$before" ] \
    && pass run_train_same_steps_back_kept || fail run_train_same_steps_back_kept "rc $rc: $(grep train "$TMP/o3" | tr '\n' '|')"
# 97 tokens are 4 steps: another model
"$BLALM" run "$TMP/t97.json" --work "$W" -q >"$TMP/o4" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q 'train .*a new run in .*train.max_steps was 3, now not given' "$TMP/o4" \
   && grep -q 'train .*4 steps' "$TMP/o4"; then
    pass run_train_other_steps_retrained
else
    fail run_train_other_steps_retrained "rc $rc: $(grep train "$TMP/o4" | tr '\n' '|' | tail -c 600)"
fi
# --dry-run reads the train marker once when it is up to date (it read it,
# then plan_status again; a change pending reads it more)
# (LeakSanitizer cannot run under ptrace: no leak check in the traced run)
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -e trace=openat -o "$TMP/strace" "$BLALM" run "$TMP/t97.json" --work "$W" --dry-run >"$TMP/d5" 2>&1; rc=$?
    n=$(grep -c 'state/run/train.done"' "$TMP/strace")
    [ $rc = 0 ] && [ "$n" = 1 ] && grep -q 'train .*complete: would be skipped' "$TMP/d5" \
        && pass run_dry_run_reads_train_marker_once || fail run_dry_run_reads_train_marker_once "rc $rc, read $n times"
else
    skip run_dry_run_reads_train_marker_once "strace missing or cannot trace here"
fi
# the same steps (97 tokens: 4) and another optimizer: a new run that names
# the optimizer (it named the length, "train.max_steps was not given, now 4")
job "$TMP/s4m.json" '"max_steps": 4, "optimizer": "muon"'
"$BLALM" run "$TMP/s4m.json" --work "$W" --dry-run >"$TMP/d6" 2>&1; rcd=$?
"$BLALM" run "$TMP/s4m.json" --work "$W" -q >"$TMP/o6" 2>&1; rc=$?
if [ $rcd = 0 ] && [ $rc = 0 ] && grep -q 'train .*would redo: setting optimizer was adamw, now muon' "$TMP/d6" \
   && grep -q 'train .*a new run in .*: setting optimizer was adamw, now muon)' "$TMP/o6" && ! grep -q 'train\.max_' "$TMP/d6" "$TMP/o6"; then
    pass run_train_same_steps_other_optimizer_named
else
    fail run_train_same_steps_other_optimizer_named "rc $rcd/$rc: $(grep train "$TMP/d6" "$TMP/o6" | tr '\n' '|' | tail -c 600)"
fi
# an interrupted run (its train-started marker, no finished one) of the same
# steps and another optimizer: its checkpoints are not resumed, and the
# reason names the optimizer
rm "$W/state/run/train.done"
"$BLALM" run "$TMP/t97.json" --work "$W" -q >"$TMP/o7" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q 'train .*a new run in .*other inputs or settings: setting optimizer was muon, now adamw' "$TMP/o7" \
   && ! grep -q 'train\.max_' "$TMP/o7"; then
    pass run_train_started_same_steps_other_optimizer_named
else
    fail run_train_started_same_steps_other_optimizer_named "rc $rc: $(grep train "$TMP/o7" | tr '\n' '|' | tail -c 600)"
fi
# the dry run's step count is of the model's rows a step (it said "1 steps
# of 128 tokens (batch 4 x 32)" of a run of 3 steps of 1 row)
"$BLALM" run "$TMP/s3.json" --work "$W" --dry-run >"$TMP/d8" 2>&1; rc=$?
[ $rc = 0 ] && grep -q 'train .*3 steps of 32 tokens (batch 1 x 32, as the model.s last run)' "$TMP/d8" \
    && pass run_dry_run_steps_of_model_rows || fail run_dry_run_steps_of_model_rows "rc $rc: $(grep train "$TMP/d8" | tr '\n' '|')"
