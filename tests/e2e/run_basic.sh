#!/usr/bin/env bash
# `blalm run CONFIG`: a full job (Hub stand-in -> ... -> train -> eval), a
# rerun that does nothing (no stage redone, no request sent, outputs the same
# bytes), --only and --from, --dry-run (writes nothing, sends no chat request)
# and the plans it refuses before anything starts.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/run_helpers.bash"
if ! command -v zstd >/dev/null; then skip run_basic "zstd missing"; exit 0; fi
run_setup
if need_shared && [ -d "$SHARED_DATA/babylm-eval/blimp_fast" ]; then
    RUN_EVAL_DATA=$SHARED_DATA/babylm-eval
else
    echo "SKIP run_eval_stage: ../shared/data/babylm-eval not found; the run says eval is skipped"
fi
run_config "$TMP/job.json"
W=$TMP/work

# --dry-run: the plan, nothing written, no chat request
if $BLALM run "$TMP/job.json" --work "$W" --dry-run >"$TMP/plan" 2>&1 && [ ! -e "$W" ] \
   && grep -q 'fetch .*web: HuggingFaceFW/fineweb-edu/sample/10BT at main: [1-9][0-9]* files' "$TMP/plan" \
   && grep -q 'train .*40 steps of 128 tokens' "$TMP/plan" && [ ! -s "$LLM_LOG" ]; then
    pass run_dry_run_plan
else
    fail run_dry_run_plan "$(tail -c 800 "$TMP/plan" | tr '\n' '|') work exists: $([ -e "$W" ] && echo yes || echo no)"
fi

# --dry-run before anything is fetched counts the Hub files' documents from
# their parquet footers (two range requests per file) and estimates from them;
# the count equals what blalm's page decoder reads from the same files
if ls "$TMP"/repo/sample/10BT/*.parquet >/dev/null 2>&1; then
    rows=$($BLALM count --json -q "$TMP"/repo/sample/10BT/*.parquet | tail -1 | sed 's/.*"docs":\([0-9]*\).*/\1/')
    if grep -q "fetch .*web: $rows documents and [0-9.]* MB of text in the footers of [1-9][0-9]* parquet files" "$TMP/plan" \
       && grep -q "score .*at most $rows documents (the Hub files' rows" "$TMP/plan" \
       && grep -q "assemble .*about [1-9][0-9]* words in the Hub files" "$TMP/plan"; then
        pass run_dry_run_counts_footers
    else
        fail run_dry_run_counts_footers "want $rows documents: $(grep -E 'fetch|score|assemble' "$TMP/plan" | tr '\n' '|' | tail -c 900)"
    fi
else
    echo "SKIP run_dry_run_counts_footers: the input is not parquet (no ../shared/data)"
fi

# the whole job
if $BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/run1" 2>&1; then
    ok=1
    for c in big small; do $BLALM verify "$W/corpora/$c" >/dev/null 2>&1 || ok=0; done
    [ -s "$W/tokenizer/tokenizer.json" ] && [ -s "$W/tokens/tokens.json" ] && [ -s "$W/model/checkpoints/latest.bin" ] || ok=0
    [ -n "${RUN_EVAL_DATA:-}" ] && { [ -s "$W/model/checkpoints/latest.eval_fast.json" ] || ok=0; }
    [ -z "${RUN_EVAL_DATA:-}" ] && { grep -q 'eval .*skipped: the evaluation data' "$TMP/run1" || ok=0; }
    grep -q "^  corpora  $W/corpora" "$TMP/run1" && grep -q "^  model    $W/model" "$TMP/run1" || ok=0
    [ -s "$W/report.html" ] && grep -q "^  report   $W/report.html" "$TMP/run1" || ok=0
    [ $ok = 1 ] && pass "run_full_job ($RUN_INPUT)" || fail run_full_job "outputs missing: $(tail -c 800 "$TMP/run1" | tr '\n' '|')"
else
    fail run_full_job "$(tail -c 800 "$TMP/run1" | tr '\n' '|')"
    exit 0
fi
before=$(outputs_sha "$W")
req1=$(wc -l <"$LLM_LOG")
[ "$req1" -gt 0 ] && pass run_scored_through_endpoint || fail run_scored_through_endpoint "no chat request in the log"

# a rerun does nothing
$BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/run2" 2>&1
rc=$?
redone=$(grep -E 'run: (fetch|assemble|tokenizer|train|eval) ' "$TMP/run2" | grep -vE 'start$|complete|skipped' | grep -v 'eval .*skipped' || true)
if [ $rc = 0 ] && [ "$(wc -l <"$LLM_LOG")" = "$req1" ] && [ "$before" = "$(outputs_sha "$W")" ] && [ -z "$redone" ] \
   && grep -q 'tag .* 0 files (.* complete before)' "$TMP/run2" && grep -q 'score .* 0 sent' "$TMP/run2" \
   && grep -q 'tokenize .*complete before' "$TMP/run2" && grep -q 'train .*complete, skipped' "$TMP/run2"; then
    pass run_rerun_does_nothing
else
    fail run_rerun_does_nothing "rc $rc, requests $req1 -> $(wc -l <"$LLM_LOG"), redone: $redone; $(tail -c 900 "$TMP/run2" | tr '\n' '|')"
fi

# --only tokenize redoes the shards (same bytes), nothing else runs
$BLALM run "$TMP/job.json" --work "$W" -q --only tokenize >"$TMP/run3" 2>&1
if [ $? = 0 ] && [ "$(grep -c '^run: ' "$TMP/run3" | tr -d ' ')" -ge 2 ] && ! grep -q 'run: train' "$TMP/run3" \
   && grep -q 'tokenize .*(0 complete before)' "$TMP/run3" && [ "$before" = "$(outputs_sha "$W")" ]; then
    pass run_only_stage
else
    fail run_only_stage "$(tail -c 600 "$TMP/run3" | tr '\n' '|')"
fi

# --from train: a new training run (same bytes: training is deterministic), then eval
$BLALM run "$TMP/job.json" --work "$W" -q --from train >"$TMP/run4" 2>&1
if [ $? = 0 ] && grep -q 'train .*a new run in' "$TMP/run4" && grep -q 'train .*40 steps' "$TMP/run4" \
   && grep -q 'tag .*0 files' "$TMP/run4" && [ "$before" = "$(outputs_sha "$W")" ]; then
    pass run_from_stage
else
    fail run_from_stage "$(tail -c 900 "$TMP/run4" | tr '\n' '|')"
fi

# a changed setting redoes what depends on it, and only that
sed -i 's/"max_steps": 40/"max_steps": 30/' "$TMP/job.json"
$BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/run5" 2>&1
if [ $? = 0 ] && grep -q 'train .*30 steps' "$TMP/run5" && grep -q 'assemble .*complete' "$TMP/run5"; then
    pass run_changed_setting_redoes_train
else
    fail run_changed_setting_redoes_train "$(tail -c 900 "$TMP/run5" | tr '\n' '|')"
fi

# plans refused before anything starts
refuse() { # name expected-message config-edit (python on the config dict c)
    local name=$1 want=$2 edit=$3 cfg=$TMP/bad-$1.json
    "$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); exec(sys.argv[3]); json.dump(c, open(sys.argv[2],"w"))' \
        "$TMP/job.json" "$cfg" "$edit"
    local n0; n0=$(wc -l <"$LLM_LOG")
    if ! out=$($BLALM run "$cfg" --work "$TMP/w-$name" --dry-run 2>&1) && [[ "$out" == *"$want"* ]] \
       && [ ! -e "$TMP/w-$name" ] && [ "$(wc -l <"$LLM_LOG")" = "$n0" ]; then
        pass "run_refuses_$name"
    else
        fail "run_refuses_$name" "$(printf '%s' "$out" | tail -c 400 | tr '\n' '|')"
    fi
}
refuse missing_input "sources[1].files: $TMP/nowhere is not a folder" \
    'c["sources"].append({"name": "mine", "files": "'"$TMP"'/nowhere"})'
refuse missing_model "model" 'c["model"] = "'"$TMP"'/no-model.json"'
refuse unreachable_endpoint "is unreachable (GET /models" 'c["score"]["endpoint"] = "http://127.0.0.1:9/v1"'
refuse endpoint_404 "answered GET http://127.0.0.1:$HUB_PORT/v1/models with HTTP 404" \
    'c["score"]["endpoint"] = "http://127.0.0.1:'"$HUB_PORT"'/v1"'
refuse over_strict_small "corpora.corpora[2]: budget 10000001 above the strict-small track limit of 10000000 words" \
    'c["corpora"]["corpora"].append({"name": "strict-small", "budget": 10000001})'
refuse over_strict "corpora.corpora[2]: budget 100000001 above the strict track limit of 100000000 words" \
    'c["corpora"]["corpora"].append({"name": "x", "budget": 100000001, "track": "strict"})'
refuse train_track "train.track: corpus \"big\" has a budget of 20000000 words, over the strict-small track" \
    'c["corpora"]["corpora"][0]["budget"] = 20000000; c["train"]["corpus"] = "big"; c["train"]["track"] = "strict-small"'
refuse eval_required "eval.data: $TMP/no-eval-data-x is not here" \
    'c["eval"] = {"data": "'"$TMP"'/no-eval-data-x", "required": True}'
refuse unknown_key "bad-unknown_key.json: train.max_stepz: unknown key" 'c["train"]["max_stepz"] = 3'
out=$($BLALM run "$TMP/job.json" --work "$W" --from trian 2>&1)
[ $? = 2 ] && [[ "$out" == *"'trian' is not a stage"* ]] && pass run_bad_stage_name || fail run_bad_stage_name "$out"

# the ready configs for the real job parse and plan (against the stand-ins:
# the real Hub and endpoint are not reachable from tests)
for t in strict-small strict; do
    budget=$([ $t = strict ] && echo 100000000 || echo 10000000)
    out=$($BLALM run "$CONFIGS/fineweb-edu-$t.json" --work "$TMP/w-real-$t" --dry-run 2>&1)
    if [ $? = 0 ] && [[ "$out" == *"corpus $t: budget $budget words, track $t"* ]] \
       && [[ "$out" == *"fetch     fineweb-edu: HuggingFaceFW/fineweb-edu/sample/10BT at main:"* ]] \
       && [[ "$out" == *"train     one epoch of $t"* ]] && [ ! -e "$TMP/w-real-$t" ]; then
        pass "run_ready_config_plans_$t"
    else
        fail "run_ready_config_plans_$t" "$(printf '%s' "$out" | tail -c 600 | tr '\n' '|')"
    fi
done
