#!/usr/bin/env bash
# `blalm run` over local files, no stand-in needed: a relative "files" source
# given through a relative config path, a work directory moved elsewhere
# (its trained model kept), one run per work directory, "report": false
# after a report, and config mistakes refused by --dry-run before any stage.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
no_outside_settings
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

mkdir -p "$TMP/job/docs"
make_docs "$TMP/job/docs/a.jsonl" 60 a
cat >"$TMP/job/job.json" <<JSON
{
  "sources": [{"name": "web", "files": "docs"}],
  "dedup": {"threads": 1},
  "corpora": {"corpora": [{"name": "c", "budget": 1500, "dev_words": 200}], "rules": [], "seed": 0},
  "model": "$ROOT/configs/model-tiny.json",
  "train": {"max_steps": 3, "threads": 1}
}
JSON

# a relative "files" through a relative config path, run from another folder:
# the source's link resolves from WORK/docs (it was "job/docs", a link to nowhere)
mkdir -p "$TMP/elsewhere"
(cd "$TMP" && "$BLALM" run job/job.json --work "$TMP/w1" -q) >"$TMP/o1" 2>&1; rc=$?
if [ $rc = 0 ] && [ "$(readlink -f "$TMP/w1/docs/web")" = "$(readlink -f "$TMP/job/docs")" ] \
   && grep -q 'tag .* 1 files' "$TMP/o1" && [ -s "$TMP/w1/model/checkpoints/latest.bin" ]; then
    pass run_relative_files_source
else
    fail run_relative_files_source "rc=$rc link $(readlink "$TMP/w1/docs/web"); $(tail -c 600 "$TMP/o1" | tr '\n' '|')"
    exit 0
fi

# a work directory moved elsewhere keeps its trained model (tokens.json names
# the tokenizer by its path; train was keyed on those bytes and started over)
sha() { sha256sum "$1" | cut -d' ' -f1; }
before=$(sha "$TMP/w1/model/checkpoints/latest.bin")
mv "$TMP/w1" "$TMP/w1moved"
(cd "$TMP/elsewhere" && "$BLALM" run ../job/job.json --work "$TMP/w1moved" -q) >"$TMP/o2" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q 'train .*complete, skipped' "$TMP/o2" && ! grep -q 'a new run' "$TMP/o2" \
   && [ "$(sha "$TMP/w1moved/model/checkpoints/latest.bin")" = "$before" ]; then
    pass run_moved_work_keeps_model
else
    fail run_moved_work_keeps_model "rc=$rc $(grep -E 'train|tokenize' "$TMP/o2" | tr '\n' '|' | tail -c 600)"
fi
W=$TMP/w1moved

# one run per work directory: a second one is refused up front, naming the holder
"$PY" - "$W/state/run/.lock" <<'PY' &
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.lockf(fd, fcntl.LOCK_EX)
open(sys.argv[1] + ".held", "w").close()
time.sleep(30)
PY
holder=$!
for _ in $(seq 100); do [ -e "$W/state/run/.lock.held" ] && break; sleep 0.1; done
"$BLALM" run "$TMP/job/job.json" --work "$W" -q >"$TMP/o3" 2>&1; rc=$?
kill $holder 2>/dev/null; wait $holder 2>/dev/null
rm -f "$W/state/run/.lock.held"
[ $rc = 1 ] && grep -q "another blalm run of this work directory is running here (pid $holder" "$TMP/o3" \
    && pass run_one_per_work_dir || fail run_one_per_work_dir "rc=$rc $(tail -c 400 "$TMP/o3")"
"$BLALM" run "$TMP/job/job.json" --work "$W" -q >"$TMP/o4" 2>&1 && pass run_lock_released_with_holder \
    || fail run_lock_released_with_holder "$(tail -c 400 "$TMP/o4")"
# started by mpirun with more than one rank: refused before anything is made
# (every rank ran the whole job; all but one stopped at the lock, and mpirun
# then killed the one left mid-stage)
OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=1 "$BLALM" run "$TMP/job/job.json" --work "$TMP/wmpi" -q >"$TMP/o4m" 2>&1; rc=$?
[ $rc = 2 ] && grep -q '^blalm run: started by mpirun as rank 1 of ranks 0..1: run is not data-parallel' "$TMP/o4m" && [ ! -e "$TMP/wmpi" ] \
    && pass run_refuses_mpirun_ranks || fail run_refuses_mpirun_ranks "rc=$rc $(ls "$TMP/wmpi" 2>&1 | tr '\n' ' ') $(tail -c 300 "$TMP/o4m" | tr '\n' '|')"
# started by srun -n 2 (SLURM_PROCID of the step's SLURM_STEP_NUM_TASKS, no
# Open MPI variables): refused the same way (every task ran the whole job);
# an --ntasks=4 job's batch script (SLURM_NTASKS=4, SLURM_PROCID=0, no step
# count) runs once and is not refused, nor is srun -n 1, nor one mpirun rank
# (mpirun starts its daemons on other nodes with srun: the rank inherits
# that step's variables). Only the task process itself is a task: slurmstepd
# sets SLURM_TASK_PID to its pid, which exec keeps (as_task); a process that
# only inherits the variables (srun -n 2 sh -c 'blalm run ...', a wrapper
# running blalm on task 0, a shell of srun --pty) is not refused
as_task() { sh -c 'SLURM_TASK_PID=$$ exec "$0" "$@"' "$@"; }
SLURM_STEP_NUM_TASKS=2 SLURM_NTASKS=2 SLURM_NPROCS=2 SLURM_PROCID=1 as_task "$BLALM" run "$TMP/job/job.json" --work "$TMP/wsrun" -q >"$TMP/o4r" 2>&1; rc=$?
[ $rc = 2 ] && grep -q '^blalm run: started by srun as task 1 of tasks 0..1: run is not data-parallel; run it once, without mpirun or srun -n N' "$TMP/o4r" && [ ! -e "$TMP/wsrun" ] \
    && pass run_refuses_srun_tasks || fail run_refuses_srun_tasks "rc=$rc $(ls "$TMP/wsrun" 2>&1 | tr '\n' ' ') $(tail -c 300 "$TMP/o4r" | tr '\n' '|')"
SLURM_STEP_NUM_TASKS=x SLURM_PROCID=0 as_task "$BLALM" run "$TMP/job/job.json" --work "$TMP/wsrun" -q >"$TMP/o4r" 2>&1; rc=$?
[ $rc = 2 ] && grep -q "^blalm run: SLURM_STEP_NUM_TASKS='x': expected a positive integer" "$TMP/o4r" && [ ! -e "$TMP/wsrun" ] \
    && pass run_refuses_bad_srun_count || fail run_refuses_bad_srun_count "rc=$rc $(tail -c 300 "$TMP/o4r" | tr '\n' '|')"
g=ok
for a in "SLURM_NTASKS=4 SLURM_NPROCS=4 SLURM_PROCID=0" "SLURM_STEP_NUM_TASKS=1 SLURM_NTASKS=1 SLURM_PROCID=0" \
         "SLURM_STEP_NUM_TASKS=2 SLURM_PROCID=1 OMPI_COMM_WORLD_SIZE=1 OMPI_COMM_WORLD_RANK=0" \
         "SLURM_STEP_NUM_TASKS=2 SLURM_PROCID=1 SLURM_TASK_PID=$$" "SLURM_STEP_NUM_TASKS=4 SLURM_PROCID=0"; do
    env $a "$BLALM" run "$TMP/job/job.json" --work "$TMP/wsrun" --dry-run >"$TMP/o4r" 2>&1; rc=$?
    { [ $rc = 0 ] && grep -q '^run: plan only (--dry-run)' "$TMP/o4r"; } || g="'$a': rc=$rc $(tail -c 300 "$TMP/o4r" | tr '\n' '|')"
done
[ "$g" = ok ] && pass run_slurm_batch_step_and_one_task_run || fail run_slurm_batch_step_and_one_task_run "$g"
# a task of a Slurm job array runs: each task gets its own arguments (a sweep
# of configs, each with its own --work), so neither a contiguous array nor one
# with a step (which the sharded stages refuse) is a copy of one job (both
# were refused, "worker 2 of 4" or a shard error); --dry-run, the cheapest path
g=ok
for a in "3 1 4 4 1" "4 0 8 5 2"; do
    set -- $a
    SLURM_ARRAY_TASK_ID=$1 SLURM_ARRAY_TASK_MIN=$2 SLURM_ARRAY_TASK_MAX=$3 SLURM_ARRAY_TASK_COUNT=$4 SLURM_ARRAY_TASK_STEP=$5 \
        "$BLALM" run "$TMP/job/job.json" --work "$TMP/wslurm" --dry-run >"$TMP/o4s" 2>&1; rc=$?
    { [ $rc = 0 ] && grep -q '^run: plan only (--dry-run)' "$TMP/o4s" && [ ! -e "$TMP/wslurm" ]; } \
        || g="array '$a': rc=$rc $(tail -c 300 "$TMP/o4s" | tr '\n' '|')"
done
[ "$g" = ok ] && pass run_slurm_array_task_runs || fail run_slurm_array_task_runs "$g"
# a malformed OMPI_COMM_WORLD_SIZE (empty or 'abc': "started by mpirun ( ranks)")
# is refused naming it, as the sharded stages do; nothing made
for v in '' abc; do
    OMPI_COMM_WORLD_SIZE=$v OMPI_COMM_WORLD_RANK=0 "$BLALM" run "$TMP/job/job.json" --work "$TMP/wbad" -q >"$TMP/o4b" 2>&1; rc=$?
    [ $rc = 2 ] && grep -q '^blalm run: .*OMPI_COMM_WORLD_SIZE' "$TMP/o4b" && ! grep -q 'ranks)' "$TMP/o4b" && [ ! -e "$TMP/wbad" ] \
        && pass "run_refuses_bad_ompi_size_'$v'" \
        || fail "run_refuses_bad_ompi_size_'$v'" "rc=$rc $(ls "$TMP/wbad" 2>&1 | tr '\n' ' ') $(tail -c 300 "$TMP/o4b" | tr '\n' '|')"
done
OMPI_COMM_WORLD_SIZE=1 OMPI_COMM_WORLD_RANK=0 "$BLALM" run "$TMP/job/job.json" --work "$W" -q >"$TMP/o4o" 2>&1 && pass run_mpirun_one_rank_runs \
    || fail run_mpirun_one_rank_runs "$(tail -c 300 "$TMP/o4o" | tr '\n' '|')"

# "report": false after a report: the earlier report (its numbers may be
# stale now) is removed, and the summary says why there is none
[ -s "$W/report.html" ] || fail run_report_false_removes_old "no report.html from the first run"
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["report"]=False; json.dump(c,open(sys.argv[2],"w"))' \
    "$TMP/job/job.json" "$TMP/job/noreport.json"
"$BLALM" run "$TMP/job/noreport.json" --work "$W" >"$TMP/o5" 2>&1; rc=$?
[ $rc = 0 ] && [ ! -e "$W/report.html" ] && grep -q 'removed the earlier run' "$TMP/o5" \
    && pass run_report_false_removes_old || fail run_report_false_removes_old "rc=$rc $(grep report "$TMP/o5" | tr '\n' '|')"
"$BLALM" run "$TMP/job/job.json" --work "$W" --only fetch >"$TMP/o6" 2>&1
grep -q 'report   (not built: the report stage did not run)' "$TMP/o6" && pass run_only_says_no_report_stage \
    || fail run_only_says_no_report_stage "$(tail -3 "$TMP/o6" | tr '\n' '|')"
# --only train retrains (the report of the model it replaces stays):
# the summary names that page as an earlier run's, not as this run's report
"$BLALM" run "$TMP/job/job.json" --work "$W" -q >/dev/null 2>&1
"$BLALM" run "$TMP/job/job.json" --work "$W" --only train >"$TMP/o6b" 2>&1; rc=$?
if [ $rc = 0 ] && [ -s "$W/report.html" ] \
   && grep -qF "  report   (not rebuilt: the report stage did not run; $W/report.html is an earlier run's" "$TMP/o6b" \
   && ! grep -q "^  report   $W/report.html" "$TMP/o6b"; then
    pass run_only_names_earlier_report
else
    fail run_only_names_earlier_report "rc=$rc $(tail -3 "$TMP/o6b" | tr '\n' '|')"
fi
# with "report": false, --only report removes that page and builds none: the
# summary says so, not "--only report rebuilds it"
"$BLALM" run "$TMP/job/noreport.json" --work "$W" --only train >"$TMP/o6c" 2>&1; rc=$?
if [ $rc = 0 ] && [ -s "$W/report.html" ] && ! grep -q -- '--only report rebuilds it' "$TMP/o6c" \
   && grep -qF "  report   (not rebuilt: the report stage did not run; $W/report.html is an earlier run's, which may not show this one; this config builds none (\"report\": false), and its report stage removes that page)" "$TMP/o6c"; then
    pass run_only_earlier_report_with_report_false
else
    fail run_only_earlier_report_with_report_false "rc=$rc $(tail -3 "$TMP/o6c" | tr '\n' '|')"
fi

# eval data that holds none of the tasks asked, with "required" false (the
# default): the stage says it is skipped, as with no folder at all (the run
# used to fail after training: "holds the data of none of the tasks")
mkdir -p "$TMP/empty-eval"
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["eval"]={"data": sys.argv[3]}; json.dump(c,open(sys.argv[2],"w"))' \
    "$TMP/job/job.json" "$TMP/job/emptyeval.json" "$TMP/empty-eval"
"$BLALM" run "$TMP/job/emptyeval.json" --work "$W" >"$TMP/o7" 2>&1; rc=$?
[ $rc = 0 ] && grep -q "eval .*skipped: the evaluation data $TMP/empty-eval is not here or holds none of the tasks asked" "$TMP/o7" \
    && pass run_eval_data_without_tasks_skipped || fail run_eval_data_without_tasks_skipped "rc=$rc $(grep -E 'eval|blalm' "$TMP/o7" | tr '\n' '|' | tail -c 400)"

# tag.readability's dictionaries: relative to the config's folder like every
# path of it, whatever the working folder (they were opened from the working
# folder: "dicts/cmu.txt: cannot open the pronouncing dictionary" after the fetch)
mkdir -p "$TMP/job/dicts"
printf 'RIVER  R IH1 V ER0\nPOEM  P OW1 AH0 M\nHISTORY  HH IH1 S T ER0 IY0\n' >"$TMP/job/dicts/cmu.txt"
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["tag"]={"readability": {"cmudict": "dicts/cmu.txt"}}; json.dump(c,open(sys.argv[2],"w"))' \
    "$TMP/job/job.json" "$TMP/job/dict.json"
(cd "$TMP/elsewhere" && "$BLALM" run ../job/dict.json --work "$TMP/w-dict" -q --only fetch \
    && "$BLALM" run ../job/dict.json --work "$TMP/w-dict" -q --only tag) >"$TMP/o8" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q "\"cmudict\":\"$TMP/job/dicts/cmu.txt\",\"cmudict_words\":3}" "$TMP/w-dict/stats/tag.json"; then
    pass run_tag_dictionary_relative
else
    fail run_tag_dictionary_relative "rc=$rc $(tail -c 300 "$TMP/o8" | tr '\n' '|') $(grep -o '"cmudict[^}]*' "$TMP/w-dict/stats/tag.json" 2>/dev/null)"
fi

# config mistakes found by --dry-run, before any stage (they were found only
# when assemble or score ran, after the paid or slow stages)
refuse() { # name expected-message edit
    local name=$1 want=$2 cfg=$TMP/job/bad-$1.json
    "$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); exec(sys.argv[3]); json.dump(c, open(sys.argv[2],"w"))' \
        "$TMP/job/job.json" "$cfg" "$3"
    if ! out=$("$BLALM" run "$cfg" --work "$TMP/w-$name" --dry-run 2>&1) && [[ "$out" == *"$want"* ]] \
       && [ ! -e "$TMP/w-$name" ]; then
        pass "run_refuses_$name"
    else
        fail "run_refuses_$name" "$(printf '%s' "$out" | tail -c 400 | tr '\n' '|')"
    fi
}
refuse rule_not_string "bad-rule_not_string.json: corpora: rules[0] must be a string" 'c["corpora"]["rules"] = [5]'
refuse rule_syntax "bad-rule_syntax.json: corpora.rules[0]" 'c["corpora"]["rules"] = ["gopher_quality.pass &&"]'
refuse ranking_order 'corpora.ranking[0]: unknown order "downward"' \
    'c["corpora"]["ranking"] = ["gopher_quality.word_count downward"]'
refuse score_temperature "bad-score_temperature.json: score.temperature: expected a number from 0 to 2" \
    'c["score"] = {"model": "m", "endpoint": "http://127.0.0.1:9/v1", "temperature": -7}'
refuse null_max_steps "bad-null_max_steps.json: train.max_steps: null is not a value here" 'c["train"]["max_steps"] = None'
refuse null_section "bad-null_section.json: dedup: null is not a value here" 'c["dedup"] = None'
refuse eval_task "bad-eval_task.json: eval.tasks: " \
    'c["eval"] = {"data": "'"$TMP"'/no-eval", "tasks": "blimpx"}'
refuse eval_aoa "bad-eval_aoa.json: eval.tasks: aoa (age of acquisition) needs every milestone checkpoint" \
    'c["eval"] = {"data": "'"$TMP"'/no-eval", "tasks": "blimp,aoa"}'
refuse cmudict_missing "bad-cmudict_missing.json: tag.readability.cmudict: $TMP/job/dicts/nope.txt is not a file" \
    'c["tag"] = {"readability": {"cmudict": "dicts/nope.txt"}}'
refuse hyphen_dic_missing "bad-hyphen_dic_missing.json: tag.readability.hyphen_dic: $TMP/job/hyph.dic is not a file" \
    'c["tag"] = {"readability": {"hyphen_dic": "hyph.dic"}}'
# a tokenizer needs 258 tokens (256 bytes, 2 special): 257 was accepted and
# stopped the run at the tokenizer stage, after fetch, tag, dedup and assemble
refuse vocab_257 "bad-vocab_257.json: tokenizer.vocab_size: expected a whole number from 258 to" \
    'c["tokenizer"] = {"vocab_size": 257}'
sed 's/"vocab_size": 320/"vocab_size": 257/' "$ROOT/configs/model-tiny.json" >"$TMP/job/model-257.json"
refuse model_vocab_257 "model-257.json: vocab_size 257 is the tokenizer's too (no tokenizer.vocab_size), and a tokenizer needs at least 258" \
    'c["model"] = "model-257.json"; c.pop("tokenizer", None)'
# an empty path is no path (it gave "model: : No such file or directory",
# "work" taken as none: "no docs: give --work WORK (or --docs DIR)")
refuse empty_model "bad-empty_model.json: model: expected a path, found an empty string" 'c["model"] = ""'
refuse empty_eval_data "bad-empty_eval_data.json: eval.data: expected a path, found an empty string" \
    'c["eval"] = {"data": ""}'
# --work takes the next argument: "--work --dry-run" ran the whole job in a
# folder named "--dry-run"; an option or an empty value is refused, exit 2
wo=ok
for w in --dry-run '' -x; do
    want="run: --work wants a folder, not '$w'"
    [ "$w" = --dry-run ] && want="run: option '--work' needs a value, and '--dry-run' after it is an option"
    (cd "$TMP" && "$BLALM" run job/job.json --work "$w" --dry-run -q) >"$TMP/ow" 2>&1; rc=$?
    { [ $rc = 2 ] && grep -qF -- "$want" "$TMP/ow" && [ ! -e "$TMP/--dry-run" ] && [ ! -e "$TMP/-x" ]; } \
        || { wo="rc $rc for --work '$w': $(head -c 300 "$TMP/ow")"; break; }
done
# "--work=-x" is meant: the folder "-x" (the hint says so)
(cd "$TMP" && "$BLALM" run job/job.json --work=-x --dry-run -q) >"$TMP/ow" 2>&1; rc=$?
[ "$wo" = ok ] && [ $rc = 0 ] || wo="--work=-x: rc $rc: $(head -c 300 "$TMP/ow")"
[ "$wo" = ok ] && pass run_work_not_an_option || fail run_work_not_an_option "$wo"
# --dry-run's last line names only the requests it sent: a job of local files
# and no score section sends none (it said "... but the listings, the parquet
# footers and one GET /models" whatever the config)
out=$(cd "$TMP" && "$BLALM" run job/job.json --work "$TMP/w-plan" --dry-run -q 2>&1); rc=$?
last=$(printf '%s\n' "$out" | tail -n 1)
if [ $rc = 0 ] && [ ! -e "$TMP/w-plan" ] \
   && [ "$last" = "run: plan only (--dry-run): nothing was written and no request was sent" ]; then
    pass run_dry_run_names_requests_sent
else
    fail run_dry_run_names_requests_sent "rc $rc: $last"
fi
start_peer PLANPORT
"$PY" - "$TMP/job/job.json" "$TMP/job/scored.json" "$PLANPORT" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["score"] = {"model": "m", "endpoint": "http://127.0.0.1:%s/v1" % sys.argv[3]}
json.dump(c, open(sys.argv[2], "w"))
EOF
out=$(cd "$TMP" && "$BLALM" run job/scored.json --work "$TMP/w-plan" --dry-run -q 2>&1); rc=$?
last=$(printf '%s\n' "$out" | tail -n 1)
out=$(cd "$TMP" && "$BLALM" run job/scored.json --work "$TMP/w-plan" --dry-run --only tag -q 2>&1); rc2=$?
last2=$(printf '%s\n' "$out" | tail -n 1)
if [ $rc = 0 ] && [ $rc2 = 0 ] && [ ! -e "$TMP/w-plan" ] \
   && [ "$last" = "run: plan only (--dry-run): nothing was written and no request was sent but one GET /models" ] \
   && [ "$last2" = "run: plan only (--dry-run): nothing was written and no request was sent" ]; then
    pass run_dry_run_names_models_request
else
    fail run_dry_run_names_models_request "rc $rc/$rc2: $last | $last2"
fi
stop_peers
# a Hub source whose fetch the plan does not run (--only tag, --only dedup):
# no listing was asked for (the line named listings and footers); nothing
# listens at the endpoint
bad=
for sel in "--only tag" "--only dedup"; do
    out=$(HF_ENDPOINT=http://127.0.0.1:9 "$BLALM" run "$ROOT/configs/fineweb-edu-strict-small.json" --work "$TMP/w-plan-hub" \
          --dry-run $sel -q 2>&1); rc=$?
    last=$(printf '%s\n' "$out" | tail -n 1)
    [ $rc = 0 ] && [ ! -e "$TMP/w-plan-hub" ] && [ "$last" = "run: plan only (--dry-run): nothing was written and no request was sent" ] ||
        bad="${bad}$sel: rc $rc: $last; "
done
[ -z "$bad" ] && pass run_dry_run_hub_unfetched_names_no_listing || fail run_dry_run_hub_unfetched_names_no_listing "$bad"
# a syntax error: the config's path as given, line:column and what was
# expected ("job.json:3:2: invalid JSON" was all it said); a JSON value that
# is no object names the top level (it named an empty key path: "list.json: : ...")
printf '{"sources": [],\n "train": {"max_steps": 10\n "threads": 1}}' >"$TMP/job/syntax.json"
printf '[1]' >"$TMP/job/list.json"
out=$(cd "$TMP" && "$BLALM" run job/syntax.json --work "$TMP/w-syntax" --dry-run 2>&1); rc=$?
out2=$(cd "$TMP" && "$BLALM" run job/list.json --work "$TMP/w-syntax" --dry-run 2>&1); rc2=$?
if [ $rc = 1 ] && [ $rc2 = 1 ] && [ ! -e "$TMP/w-syntax" ] \
   && [ "$out" = "blalm run: job/syntax.json:3:2: invalid JSON: expected ',' or '}' after the value of \"max_steps\", found '\"'" ] \
   && [ "$out2" = "blalm run: job/list.json: (top level): expected a JSON object" ]; then
    pass run_config_syntax_error
else
    fail run_config_syntax_error "rc $rc/$rc2: $out | $out2"
fi

# train.corpus changed: the new run is explained by the corpus ("input
# tokenizer.json changed: ..." named a consequence, not the cause)
mkdir -p "$TMP/tc/docs"
"$PY" - "$TMP/tc/docs/a.jsonl" <<'EOF'
import json, random, sys
random.seed(7)   # documents dedup keeps apart (make_docs's are near-duplicates, digits normalised)
vocab = ["".join(random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)) for _ in range(3000)]
with open(sys.argv[1], "w") as f:
    for i in range(60):
        f.write(json.dumps({"id": "t%d" % i, "text": " ".join(random.choice(vocab) for _ in range(40 + i % 30))}) + "\n")
EOF
edit_job() { "$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["sources"][0]["files"] = sys.argv[4]; exec(sys.argv[3]); json.dump(c, open(sys.argv[2], "w"))' "$TMP/job/job.json" "$@" "$TMP/tc/docs"; }
edit_job "$TMP/job/tc-c.json" 'c["corpora"]["corpora"].append({"name": "d", "budget": 500, "dev_words": 100}); c["train"]["corpus"] = "c"'
edit_job "$TMP/job/tc-d.json" 'c["corpora"]["corpora"].append({"name": "d", "budget": 500, "dev_words": 100}); c["train"]["corpus"] = "d"'
"$BLALM" run "$TMP/job/tc-c.json" --work "$TMP/w-tc" -q >"$TMP/tc1" 2>&1; rc=$?
"$BLALM" run "$TMP/job/tc-d.json" --work "$TMP/w-tc" --dry-run >"$TMP/tc2" 2>&1; rc2=$?
"$BLALM" run "$TMP/job/tc-d.json" --work "$TMP/w-tc" -q >"$TMP/tc3" 2>&1; rc3=$?
if [ "$rc$rc2$rc3" = 000 ] && grep -q 'tokenizer .*would redo: train.corpus was c, now d' "$TMP/tc2" \
   && grep -q 'train .*a new run in .*(the checkpoints are of a run with other inputs or settings: train.corpus was c, now d)' "$TMP/tc3"; then
    pass run_train_corpus_change_named
else
    fail run_train_corpus_change_named "rc $rc/$rc2/$rc3: $(grep -E 'tokenizer|train' "$TMP/tc2" "$TMP/tc3" | tr '\n' '|' | tail -c 700)"
fi

# a document file name that is not UTF-8 (caf\xe9.jsonl) is refused before
# any stage works (it reached "representative" and documents.jsonl.zst as
# invalid JSON, verify blamed "id" 23 times, and an invalid corpus was left)
mkdir -p "$TMP/u8/docs"
make_docs "$TMP/u8/docs/$(printf 'caf\xe9').jsonl" 40 u
sed 's|"files": "docs"|"files": "'"$TMP"'/u8/docs"|' "$TMP/job/job.json" >"$TMP/u8/job.json"
"$BLALM" run "$TMP/u8/job.json" --work "$TMP/w-u8" -q >"$TMP/u8.out" 2>&1; rc=$?
if [ $rc = 1 ] && grep -qF "fetch web: $TMP/u8/docs/caf\\xe9.jsonl: path is not valid UTF-8 (byte \\xe9 at offset 3" "$TMP/u8.out" \
   && grep -q 'rename the file' "$TMP/u8.out" && [ ! -e "$TMP/w-u8/corpora" ] && [ ! -e "$TMP/w-u8/attributes" ] \
   && ! LC_ALL=C grep -q "$(printf '\xe9')" "$TMP/u8.out"; then
    pass run_refuses_doc_name_not_utf8
else
    fail run_refuses_doc_name_not_utf8 "rc $rc: $(tail -c 600 "$TMP/u8.out" | tr '\n' '|') $(ls "$TMP/w-u8" 2>&1)"
fi

# train.optimizer spelt out as the default ("adamw") is the run already made
# without it: the model is kept (it was keyed on -1 / 0 and retrained, same
# bytes, saying "setting optimizer was -1, now 0"); another optimizer
# retrains, naming both by name
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["train"]["optimizer"]=sys.argv[3]; json.dump(c,open(sys.argv[2],"w"))' \
    "$TMP/job/job.json" "$TMP/job/adamw.json" adamw
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["train"]["optimizer"]=sys.argv[3]; json.dump(c,open(sys.argv[2],"w"))' \
    "$TMP/job/job.json" "$TMP/job/muon.json" muon
"$BLALM" run "$TMP/job/job.json" --work "$TMP/w-opt" -q >"$TMP/opt1" 2>&1; rc1=$?
before=$(sha "$TMP/w-opt/model/checkpoints/latest.bin")
"$BLALM" run "$TMP/job/adamw.json" --work "$TMP/w-opt" >"$TMP/opt2" 2>&1; rc2=$?
if [ "$rc1$rc2" = 00 ] && grep -q 'train .*complete, skipped' "$TMP/opt2" && ! grep -q 'a new run' "$TMP/opt2" \
   && [ "$(sha "$TMP/w-opt/model/checkpoints/latest.bin")" = "$before" ]; then
    pass run_optimizer_default_spelt_out_keeps_model
else
    fail run_optimizer_default_spelt_out_keeps_model "rc $rc1/$rc2: $(grep train "$TMP/opt2" | tr '\n' '|' | tail -c 500)"
fi
"$BLALM" run "$TMP/job/muon.json" --work "$TMP/w-opt" --dry-run >"$TMP/opt3" 2>&1; rc3=$?
"$BLALM" run "$TMP/job/muon.json" --work "$TMP/w-opt" >"$TMP/opt4" 2>&1; rc4=$?
if [ "$rc3$rc4" = 00 ] && grep -q 'train .*would redo: setting optimizer was adamw, now muon$' "$TMP/opt3" \
   && grep -q 'train .*a new run in .*(the checkpoints are of a run with other inputs or settings: setting optimizer was adamw, now muon)' "$TMP/opt4"; then
    pass run_optimizer_change_named
else
    fail run_optimizer_change_named "rc $rc3/$rc4: $(grep train "$TMP/opt3" "$TMP/opt4" | tr '\n' '|' | tail -c 600)"
fi
# a run length left out is named so, not as 0 ("setting max_steps was 3, now 0")
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); del c["train"]["max_steps"]; json.dump(c,open(sys.argv[2],"w"))' \
    "$TMP/job/muon.json" "$TMP/job/epoch.json"
"$BLALM" run "$TMP/job/epoch.json" --work "$TMP/w-opt" --dry-run >"$TMP/opt5" 2>&1; rc5=$?
[ $rc5 = 0 ] && grep -q 'train .*would redo: train.max_steps was 3, now not given (one epoch)$' "$TMP/opt5" \
    && pass run_train_length_change_named || fail run_train_length_change_named "rc $rc5: $(grep train "$TMP/opt5" | tr '\n' '|' | tail -c 400)"

# a work directory of an older blalm: its train markers as that blalm wrote
# them (train_take_legacy). old_marker.py rewrites a marker of this blalm into
# the older form: the optimizer as a number (c->optimizer: -1 not given, 0
# adamw, 1 muon) and, given tokens.json, that file's bytes as an input (before
# key_tokens_manifest) in place of the "tokens.json" setting; the key is
# recomputed as lib/marker.c's marker_key_hex does; "noresult" drops "result"
# (a train-started of blalm 9e850eb..cd339bd, which committed none)
cat >"$TMP/old_marker.py" <<'PYEOF'
import ctypes, hashlib, json, os, sys
path, optnum, tokens = sys.argv[1], sys.argv[2], sys.argv[3]
m = json.load(open(path))
sets = [s for s in m["settings"] if s[0] != "tokens.json" or tokens == "-"]
sets = [[n, optnum if n == "optimizer" else v] for n, v in sets]
ins = m["inputs"]
if tokens != "-":
    x = ctypes.CDLL("libxxhash.so.0")
    x.XXH3_64bits.restype = ctypes.c_uint64
    x.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    b = open(tokens, "rb").read()
    ins = [{"name": "tokens.json", "size": len(b), "mtime_ns": os.stat(tokens).st_mtime_ns,
            "xxh3": "%016x" % x.XXH3_64bits(b, len(b))}] + ins
f = lambda s: "%d:%s" % (len(s.encode()), s)
h = "blalm-marker-v1;" + f(m["stage"])
h += "".join("in;%s%d;%s;" % (f(i["name"]), i["size"], i["xxh3"]) for i in ins)
h += "".join("set;%s%s" % (f(n), f(v)) for n, v in sets)
m.update(key=hashlib.sha256(h.encode()).hexdigest(), inputs=ins, settings=sets)
if "noresult" in sys.argv[4:]:
    del m["result"]
open(path, "w").write(json.dumps(m))
PYEOF
WL="$TMP/w-legacy"
old_markers() { # OPTNUM TOKENS|- [noresult]: noresult for train-started only
    "$PY" "$TMP/old_marker.py" "$WL/state/run/train.done" "$1" "$2" &&
        "$PY" "$TMP/old_marker.py" "$WL/state/run/train-started.done" "$@"
}
"$BLALM" run "$TMP/job/job.json" --work "$WL" -q >"$TMP/leg0" 2>&1; rc0=$?
before=$(sha "$WL/model/checkpoints/latest.bin")
old_markers -1 "$WL/tokens/tokens.json"
"$BLALM" run "$TMP/job/job.json" --work "$WL" --dry-run >"$TMP/leg1" 2>&1; rc1=$?
"$BLALM" run "$TMP/job/job.json" --work "$WL" >"$TMP/leg2" 2>&1; rc2=$?
if [ "$rc0$rc1$rc2" = 000 ] && grep -q 'train .*complete: would be skipped' "$TMP/leg1" && ! grep -q 'train .*would redo' "$TMP/leg1" \
   && grep -q 'train .*complete, skipped' "$TMP/leg2" && [ "$(sha "$WL/model/checkpoints/latest.bin")" = "$before" ] \
   && grep -q '\["optimizer","adamw"\]' "$WL/state/run/train.done"; then
    pass run_older_marker_skipped_plan_and_run
else
    fail run_older_marker_skipped_plan_and_run "rc $rc0/$rc1/$rc2: $(grep -E 'train|blalm' "$TMP/leg1" "$TMP/leg2" | tr '\n' '|' | tail -c 600)"
fi
# a train-started with no "result" is such a marker too (the run failed:
# 'train-started.done: no "result"')
old_markers -1 "$WL/tokens/tokens.json" noresult
"$BLALM" run "$TMP/job/job.json" --work "$WL" >"$TMP/leg3" 2>&1; rc3=$?
if [ $rc3 = 0 ] && grep -q 'train .*complete, skipped' "$TMP/leg3" && [ "$(sha "$WL/model/checkpoints/latest.bin")" = "$before" ]; then
    pass run_older_train_started_without_result_skipped
else
    fail run_older_train_started_without_result_skipped "rc $rc3: $(grep -E 'train|blalm' "$TMP/leg3" | tr '\n' '|' | tail -c 500)"
fi
# an older muon run, then the default config (and back): a new run, both
# optimizers named by name ("setting optimizer was 1, now adamw")
old_markers 1 -
"$BLALM" run "$TMP/job/job.json" --work "$WL" --dry-run >"$TMP/leg4" 2>&1; rc4=$?
"$BLALM" run "$TMP/job/job.json" --work "$WL" >"$TMP/leg5" 2>&1; rc5=$?
old_markers -1 -
"$BLALM" run "$TMP/job/muon.json" --work "$WL" --dry-run >"$TMP/leg6" 2>&1; rc6=$?
"$BLALM" run "$TMP/job/muon.json" --work "$WL" >"$TMP/leg7" 2>&1; rc7=$?
if [ "$rc4$rc5$rc6$rc7" = 0000 ] && grep -q 'train .*would redo: setting optimizer was muon, now adamw$' "$TMP/leg4" \
   && grep -q 'train .*a new run in .*(the checkpoints are of a run with other inputs or settings: setting optimizer was muon, now adamw)' "$TMP/leg5" \
   && grep -q 'train .*would redo: setting optimizer was adamw, now muon$' "$TMP/leg6" \
   && grep -q 'train .*a new run in .*(the checkpoints are of a run with other inputs or settings: setting optimizer was adamw, now muon)' "$TMP/leg7"; then
    pass run_older_marker_optimizer_change_named
else
    fail run_older_marker_optimizer_change_named "rc $rc4/$rc5/$rc6/$rc7: $(grep -h train "$TMP/leg4" "$TMP/leg5" "$TMP/leg6" "$TMP/leg7" | tr '\n' '|' | tail -c 700)"
fi
# the oldest form (tokens.json's bytes an input) against a changed setting:
# the change is named, not the form ("the inputs differ: 3 then, 2 now")
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["train"]["max_steps"]=4; json.dump(c,open(sys.argv[2],"w"))' \
    "$TMP/job/muon.json" "$TMP/job/muon4.json"
old_markers 1 "$WL/tokens/tokens.json"
"$BLALM" run "$TMP/job/muon4.json" --work "$WL" --dry-run >"$TMP/leg8" 2>&1; rc8=$?
"$BLALM" run "$TMP/job/muon4.json" --work "$WL" >"$TMP/leg9" 2>&1; rc9=$?
if [ "$rc8$rc9" = 00 ] && grep -q 'train .*would redo: train.max_steps was 3, now 4$' "$TMP/leg8" \
   && grep -q 'train .*a new run in .*(the checkpoints are of a run with other inputs or settings: train.max_steps was 3, now 4)' "$TMP/leg9"; then
    pass run_oldest_marker_change_named
else
    fail run_oldest_marker_change_named "rc $rc8/$rc9: $(grep -h train "$TMP/leg8" "$TMP/leg9" | tr '\n' '|' | tail -c 700)"
fi
