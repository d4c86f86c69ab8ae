#!/usr/bin/env bash
# `blalm run`'s eval redone says why, in the config's words (it redid the
# step without a word, and --dry-run said "setting fast was 0, now 1").
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
no_outside_settings
if ! need_shared || [ ! -d "$SHARED_DATA/babylm-eval/supplement_fast" ]; then
    skip run_eval_reasons "../shared/data/babylm-eval not found"
    exit 0
fi
mkdir -p "$TMP/docs"
make_docs "$TMP/docs/a.jsonl" 60 a
# a tiny model whose context holds the tasks' sentences (byte-level: 320 tokens)
cat >"$TMP/model.json" <<JSON
{"name": "t", "vocab_size": 320, "dim": 32, "layers": 2, "heads": 2, "context": 512, "mlp_hidden": 64,
 "mixer": "mlstm", "chunk": 16,
 "train": {"batch_size": 4, "seq_len": 32, "lr_adamw": 3e-3, "warmup_steps": 3, "eval_every": 10,
           "eval_batches": 2, "checkpoint_every": 10, "log_every": 1}}
JSON
job() {   # FILE EVAL-JSON
    cat >"$1" <<JSON
{"sources": [{"name": "web", "files": "$TMP/docs"}], "dedup": {"threads": 1},
 "corpora": {"corpora": [{"name": "c", "budget": 1500, "dev_words": 200}], "rules": [], "seed": 0},
 "model": "$TMP/model.json", "train": {"max_steps": 3, "threads": 1}, "eval": {"data": "$SHARED_DATA/babylm-eval", $2}}
JSON
}
job "$TMP/a.json" '"tasks": "supplement", "fast": true'
job "$TMP/b.json" '"tasks": "supplement,wug_adj", "fast": true'
job "$TMP/c.json" '"tasks": "supplement,wug_adj", "fast": false'
W=$TMP/w
if ! "$BLALM" run "$TMP/a.json" --work "$W" -q >"$TMP/o1" 2>&1; then
    fail run_eval_reasons_setup "$(tail -c 600 "$TMP/o1" | tr '\n' '|')"
    exit 0
fi
# check NAME CONFIG DRY-RUN-REASON
reason() {
    local n=$1 cfg=$2 why=$3
    "$BLALM" run "$cfg" --work "$W" --dry-run >"$TMP/$n.d" 2>&1; local rcd=$?
    "$BLALM" run "$cfg" --work "$W" -q >"$TMP/$n.o" 2>&1; local rc=$?
    if [ $rcd = 0 ] && [ $rc = 0 ] && grep -qF "would redo: $why" "$TMP/$n.d" && grep -qF "redone: $why" "$TMP/$n.o"; then
        pass "$n"
    else
        fail "$n" "rc $rcd/$rc: $(grep -h eval "$TMP/$n.d" "$TMP/$n.o" | tr '\n' '|' | tail -c 600)"
    fi
}
reason run_eval_redo_names_tasks "$TMP/b.json" "eval.tasks was supplement, now supplement,wug_adj"
reason run_eval_redo_names_fast "$TMP/c.json" "eval.fast was true, now false"
# the model trained anew (another length): its checkpoint named
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["train"]["max_steps"]=4; json.dump(c,open(sys.argv[2],"w"))' \
    "$TMP/c.json" "$TMP/d.json"
"$BLALM" run "$TMP/d.json" --work "$W" -q >"$TMP/o4" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "eval .*redone: the model's last checkpoint changed (latest.bin changed: " "$TMP/o4" \
    && pass run_eval_redo_names_checkpoint || fail run_eval_redo_names_checkpoint "rc $rc: $(grep eval "$TMP/o4" | tr '\n' '|')"
# its results file gone: said so
rm -f "$W/model/checkpoints/latest.eval.json"
"$BLALM" run "$TMP/d.json" --work "$W" -q >"$TMP/o5" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "eval .*redone: its results file .*latest.eval.json is not there" "$TMP/o5" \
    && pass run_eval_redo_names_missing_results || fail run_eval_redo_names_missing_results "rc $rc: $(grep eval "$TMP/o5" | tr '\n' '|')"
