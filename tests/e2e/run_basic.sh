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
# distill: the LLM labelled a sample (edu_llm "selected": false elsewhere); the
# local scorer learnt it and wrote edu_local for every document, line-aligned
lines() { local n=0 f; for f in $(find "$1" -name '*.jsonl.zst' | sort); do n=$((n + $(zstd -dcq "$f" | wc -l))); done; echo $n; }
n_llm=$(lines "$W/attributes/edu_llm"); n_local=$(lines "$W/attributes/edu_local")
sel=$(find "$W/attributes/edu_llm" -name '*.jsonl.zst' -exec zstd -dcq {} + | grep -c '"selected":true' || true)
line=$(grep 'distill .*model: ' "$TMP/run1" || true)
used=$(sed -n 's/.*model: \([0-9]*\) labelled documents (\([0-9]*\) of \([0-9]*\) unlabelled.*/\1 \2 \3/p' <<<"$line")
read -r n_used n_unl n_all <<<"$used"
if [ -n "$used" ] && [ "$n_local" -gt 0 ] && [ "$n_local" = "$n_llm" ] && [ "$n_all" = "$n_local" ] \
   && [ "$n_used" -gt 0 ] && [ "$n_used" -le "$sel" ] && [ "$sel" -lt "$n_all" ] && [ "$n_unl" -gt 0 ] \
   && [ -s "$W/distill/edu.distill" ] && grep -q '"cv_f1_at3":' "$W/distill/edu.distill.json" \
   && grep -q "distill .*$n_all documents in [1-9][0-9]* files -> edu_local (0 files complete before" "$TMP/run1"; then
    pass "run_distill_stage ($n_used of $n_all documents labelled, $sel sampled; edu_local for all $n_local)"
    # the report shows the local scorer: its model, the run's training figures, its histogram
    m=$(sed 's/.*"model":"\([^"]*\)".*/\1/' "$W/distill/edu.distill.json")
    f1=$(sed 's/.*"cv_f1_at3":\([0-9.]*\).*/\1/' "$W/distill/edu.distill.json")
    if grep -q '<section id="local">' "$W/report.html" && grep -q "<code>$m</code>: $n_all documents scored" "$W/report.html" \
       && grep -q 'id="chart-local-score"' "$W/report.html" \
       && grep -q "cross-validated F1 at label &gt;= 3</td><td class=\"n\">${f1:0:5}" "$W/report.html"; then
        pass run_distill_in_report
    else
        fail run_distill_in_report "model $m, F1 $f1: $(grep -o '<section id="local">.\{0,600\}' "$W/report.html" | head -c 700)"
    fi
else
    fail run_distill_stage "edu_llm $n_llm lines, $sel selected, edu_local $n_local lines; '$line'; $(grep 'distill' "$TMP/run1" | tr '\n' '|')"
fi
# with ../shared the stand-in answered with the real LLM's labels: the model the
# run learnt from its sample, on the documents it did not see (their score field)
if [ -n "${RUN_LLM_DATA:-}" ]; then
    ev=$($BLALM distill eval --work "$W" --model "$W/distill/edu.distill" --label-field score --json 2>&1)
    if "$PY" -c 'import json,sys; m=json.loads(sys.argv[1]); n=int(sys.argv[2]); \
sys.exit(0 if m["documents"] == n and m["seen_in_training"] > 0 and m["at3"]["f1"] >= 0.70 and m["spearman"] >= 0.6 else 1)' \
        "$ev" "${n_unl:-0}"; then
        pass "run_distill_heldout ($(sed 's/.*"at3":{[^}]*"f1":\([0-9.]*\)}.*"spearman":\([0-9.-]*\).*/F1@3 \1, Spearman \2/' <<<"$ev") on the $n_unl documents outside the sample)"
    else
        fail run_distill_heldout "want F1@3 >= 0.70 and Spearman >= 0.6 on the $n_unl unlabelled documents: $ev"
    fi
fi
before=$(outputs_sha "$W")
req1=$(wc -l <"$LLM_LOG")
[ "$req1" -gt 0 ] && pass run_scored_through_endpoint || fail run_scored_through_endpoint "no chat request in the log"

# a rerun does nothing
$BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/run2" 2>&1
rc=$?
redone=$(grep -E 'run: (fetch|distill|assemble|tokenizer|train|eval) ' "$TMP/run2" | grep -vE 'start$|complete|skipped' | grep -v 'eval .*skipped' || true)
if [ $rc = 0 ] && [ "$(wc -l <"$LLM_LOG")" = "$req1" ] && [ "$before" = "$(outputs_sha "$W")" ] && [ -z "$redone" ] \
   && grep -q 'tag .* 0 files (.* complete before)' "$TMP/run2" && grep -q 'score .* 0 sent' "$TMP/run2" \
   && grep -q 'tokenize .*complete before' "$TMP/run2" && grep -q 'train .*complete, skipped' "$TMP/run2" \
   && grep -q 'distill .*model complete (same documents, attributes and settings), skipped' "$TMP/run2" \
   && grep -q 'distill .*-> edu_local ([1-9][0-9]* files complete before' "$TMP/run2"; then
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

# eval redone, after a kill between its results file and eval.done (the
# marker gone, the file there) and with --from eval, writes the results file
# one uninterrupted run writes: run computes the whole task list, so nothing
# is merged from the file already there (no "previous" key naming it)
if [ -n "${RUN_EVAL_DATA:-}" ]; then
    ev=$W/model/checkpoints/latest.eval_fast.json
    [ -e "$W/state/run/eval.done" ] && [ -s "$ev" ] || fail run_eval_redo_as_uninterrupted "no $W/state/run/eval.done or $ev"
    rm -f "$W/state/run/eval.done"
    $BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/run3e" 2>&1; rc1=$?
    prev1=$(grep -c '"previous"' "$ev")
    sha1=$(outputs_sha "$W")
    $BLALM run "$TMP/job.json" --work "$W" -q --from eval >"$TMP/run3f" 2>&1; rc2=$?
    prev2=$(grep -c '"previous"' "$ev")
    if [ $rc1 = 0 ] && [ $rc2 = 0 ] && grep -q 'eval .*written to' "$TMP/run3e" && grep -q 'eval .*written to' "$TMP/run3f" &&
       [ "$prev1" = 0 ] && [ "$prev2" = 0 ] && [ "$before" = "$sha1" ] && [ "$before" = "$(outputs_sha "$W")" ]; then
        pass run_eval_redo_as_uninterrupted
    else
        fail run_eval_redo_as_uninterrupted "rc $rc1/$rc2, previous $prev1/$prev2; $(diff <(echo "$before") <(echo "$sha1") | tr '\n' '|'); $(tail -c 600 "$TMP/run3e" | tr '\n' '|')"
    fi
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

# a changed distill setting retrains the model and rescores, then redoes what
# reads edu_local; tag, dedup and score are not redone
sed -i 's/"folds": 4/"folds": 3/' "$TMP/job.json"
$BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/run6" 2>&1
if [ $? = 0 ] && grep -q 'distill .*model redone: .*config' "$TMP/run6" && grep -q 'distill .*model: .*3-fold CV' "$TMP/run6" \
   && grep -q 'distill .*-> edu_local (0 files complete before' "$TMP/run6" && grep -q 'assemble .*redone' "$TMP/run6" \
   && grep -q 'score .* 0 sent' "$TMP/run6" && grep -q 'tag .* 0 files' "$TMP/run6"; then
    pass run_changed_distill_setting
else
    fail run_changed_distill_setting "$(grep -E 'distill|assemble|score' "$TMP/run6" | tr '\n' '|' | tail -c 900)"
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
refuse distill_embeddings "bad-distill_embeddings.json: distill.embeddings: $TMP/no-vectors.txt does not exist" \
    'c["distill"]["embeddings"] = "'"$TMP"'/no-vectors.txt"'
refuse distill_without_labels "bad-distill_without_labels.json: distill.labels: edu_llm.score is written by the score stage, but the config has no \"score\" section" \
    'del c["score"]'
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
# the ready config that has the LLM label a sample and distills the rest
out=$($BLALM run "$CONFIGS/fineweb-edu-strict-small-distilled.json" --work "$TMP/w-real-distilled" --dry-run 2>&1)
if [ $? = 0 ] && [[ "$out" == *"corpus strict-small: budget 10000000 words, track strict-small"* ]] \
   && [[ "$out" == *"distill   learn the edu_llm.score labels"* ]] && [[ "$out" == *"then write edu_local for every document"* ]] \
   && [ ! -e "$TMP/w-real-distilled" ]; then
    pass run_ready_config_plans_strict-small-distilled
else
    fail run_ready_config_plans_strict-small-distilled "$(printf '%s' "$out" | tail -c 600 | tr '\n' '|')"
fi
