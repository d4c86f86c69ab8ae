#!/usr/bin/env bash
# blalm train's guards and schedule: one writer per run folder (RUN/.lock: a
# --resume started while the first job still runs is refused at once, naming
# the lock and the holder's pid; before, both went on and the checkpoint held
# one step's position with another's state); a --corpus folder that is not
# there is named, and nothing is made; the log's checkpoint lines carry the
# training time summed over a resume; WSD's last step runs at min_lr_frac.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
C="$TMP/corpus"; line_corpus "$C" 3 60
tiny="$root/configs/model-tiny.json"

# two writers: the second fails at once
R="$TMP/run"
"$BLALM" train --corpus "$C" --model "$tiny" --out "$R" --max-steps 1000000 -q 2>"$TMP/first.err" &
first=$!
for _ in $(seq 1 300); do
    [ -f "$R/checkpoints/latest.bin" ] && grep -q '"loss"' "$R/log.jsonl" 2>/dev/null && break
    sleep 0.2
done
timeout 60 "$BLALM" train --corpus "$C" --model "$tiny" --out "$R" --resume -q 2>"$TMP/err"; rc=$?
alive=0; kill -0 "$first" 2>/dev/null && alive=1
kill "$first" 2>/dev/null; wait "$first" 2>/dev/null
if [ $rc != 0 ] && [ $rc != 124 ] && [ $alive = 1 ] && grep -qF "$R/.lock" "$TMP/err" && grep -q "(pid $first," "$TMP/err"; then
    pass train_second_writer_refused
else fail train_second_writer_refused "rc $rc, first alive $alive: $(head -c 300 "$TMP/err")"; fi
# the lock goes with its holder: the run then resumes
if "$BLALM" train --corpus "$C" --model "$tiny" --out "$R" --resume --stop-after 2 -q 2>"$TMP/err"; then
    pass train_lock_released_on_exit
else fail train_lock_released_on_exit "$(head -c 300 "$TMP/err")"; fi

# --corpus that is not there: named, nothing made (was "the train split holds no text", RUN/checkpoints left)
"$BLALM" train --corpus "$TMP/nosuch" --model "$tiny" --out "$TMP/nc" -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -qF "$TMP/nosuch: No such file or directory" "$TMP/err" && [ ! -e "$TMP/nc" ] \
    && pass train_missing_corpus || fail train_missing_corpus "rc $rc, $(ls -A "$TMP/nc" 2>/dev/null | tr '\n' ' ') $(head -c 300 "$TMP/err")"

# training time across a resume: each checkpoint's line holds the time of
# every segment so far (the checkpoint itself stays byte-identical run to run)
T="$TMP/segs"
"$BLALM" train --corpus "$C" --model "$tiny" --out "$T" --max-steps 60 --stop-after 30 -q 2>"$TMP/err" \
  && "$BLALM" train --corpus "$C" --model "$tiny" --out "$T" --resume -q 2>>"$TMP/err" \
  && "$PY" - "$T/log.jsonl" <<'PY' && pass train_seconds_summed || fail train_seconds_summed "$(head -c 300 "$TMP/err")"
import json, sys
ck = [json.loads(l) for l in open(sys.argv[1]) if '"event":"checkpoint"' in l]
steps = [c["step"] for c in ck]
assert steps == [10, 20, 30, 40, 50, 60], steps
t = [c["train_seconds"] for c in ck]
assert all(b >= a for a, b in zip(t, t[1:])) and t[-1] > 0, t
PY

# a resume of a complete run (blalm run killed after train's last checkpoint,
# before its marker) runs no step: it reports the run's last loss, from the
# log, and the dev loss (it said "loss 0.0000")
"$BLALM" train --corpus "$C" --model "$tiny" --out "$T" --resume 2>"$TMP/again.err"
want=$("$PY" -c 'import json, sys
l = [json.loads(x) for x in open(sys.argv[1]) if "\"loss\"" in x and "dev_loss" not in x]
print("60 steps, loss %.4f," % l[-1]["loss"])' "$T/log.jsonl")
grep -qF "blalm train: $want dev loss " "$TMP/again.err" \
    && pass train_resume_complete_reports_last_loss || fail train_resume_complete_reports_last_loss "want '$want': $(head -c 300 "$TMP/again.err")"
# and no speed, having run no step (it said "0 tok/s")
grep -q "words seen, no step left to run, 0 milestone checkpoints" "$TMP/again.err" && ! grep -q "tok/s" "$TMP/again.err" \
    && pass train_resume_complete_no_speed || fail train_resume_complete_no_speed "$(head -c 300 "$TMP/again.err")"
# steps run but none logged (--stop-after before log_every): a speed, not
# "no step left to run"
"$PY" -c 'import json, sys
c = json.load(open(sys.argv[1])); c["train"]["log_every"] = 10
json.dump(c, open(sys.argv[2], "w"))' "$tiny" "$TMP/log10.json"
"$BLALM" train --corpus "$C" --model "$TMP/log10.json" --out "$TMP/nolog" --max-steps 40 --stop-after 3 2>"$TMP/err"
grep -q "blalm train: 3 steps, .* [0-9][0-9]* tok/s" "$TMP/err" && ! grep -q "no step left" "$TMP/err" \
    && pass train_unlogged_steps_have_speed || fail train_unlogged_steps_have_speed "$(head -c 300 "$TMP/err")"

# WSD: the last step runs at exactly min_lr_frac of the peak (it ran at 0.325x)
"$PY" - "$tiny" "$TMP/wsd.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["train"].update({"schedule": "wsd", "warmup_steps": 3, "min_lr_frac": 0.1, "decay_frac": 0.2, "lr_adamw": 1e-3})
json.dump(c, open(sys.argv[2], "w"))
PY
if "$BLALM" train --corpus "$C" --model "$TMP/wsd.json" --out "$TMP/wsd" --max-steps 20 -q 2>"$TMP/err"; then
    lrs=$(grep -o '"lr":[0-9.e-]*' "$TMP/wsd/log.jsonl" | cut -d: -f2 | tail -5 | tr '\n' ' ')
    [ "$lrs" = "0.001 0.000775 0.00055 0.000325 0.0001 " ] && pass train_wsd_ends_at_min_lr || fail train_wsd_ends_at_min_lr "last lrs: $lrs"
else fail train_wsd_ends_at_min_lr "$(head -c 300 "$TMP/err")"; fi

# --max-tokens near 2^64: the step count was rounded up as (tokens + per_step - 1)
# / per_step, which wrapped to 0 steps and so to the default length, one epoch
"$BLALM" train --corpus "$C" --model "$tiny" --out "$TMP/huge" --max-tokens 18446744073709551615 --stop-after 1 -q \
    2>"$TMP/err"; rc=$?
total=$(grep -o '"total_steps":[0-9.e+]*' "$TMP/huge/log.jsonl" 2>/dev/null | head -1 | cut -d: -f2)
[ $rc = 0 ] && awk -v t="$total" 'BEGIN { exit !(t + 0 > 1e15) }' && pass train_max_tokens_huge \
    || fail train_max_tokens_huge "rc $rc, total_steps '$total': $(head -c 300 "$TMP/err")"
# --stop-after beyond LONG_MAX was cast to a negative count
"$BLALM" train --corpus "$C" --model "$tiny" --out "$TMP/sa" --stop-after 18446744073709551615 -q 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "stop-after: bad number" "$TMP/err" && [ ! -e "$TMP/sa" ] && pass train_stop_after_range \
    || fail train_stop_after_range "rc $rc: $(head -c 300 "$TMP/err")"

# --tokenizer with another vocabulary than the config's: the run takes the
# tokenizer's (embedding and head change size); before, nothing said so
# (model-tiny's 320 became 2000, 33,256 parameters became 87,016 silently)
"$BLALM" tokenizer train --quiet --corpus "$C" --out "$TMP/tok400" --vocab 400 --allow-smaller 2>"$TMP/err"
V=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["model"]["vocab"]))' "$TMP/tok400/tokenizer.json" 2>/dev/null)
"$BLALM" train --corpus "$C" --tokenizer "$TMP/tok400/tokenizer.json" --model "$tiny" --out "$TMP/tokv" --stop-after 1 -q \
    2>"$TMP/err"; rc=$?
np=$("$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); print(33256 + (c["vocab_size"] - 320) * c["dim"] * (1 if c.get("tie_embeddings", True) else 2))' \
    "$TMP/tokv/config.json" 2>/dev/null)
[ $rc = 0 ] && [ -n "$V" ] && [ "$V" != 320 ] &&
    grep -qF "vocab_size 320 of $tiny replaced by the tokenizer's $V ($TMP/tok400/tokenizer.json): $np parameters instead of 33256" "$TMP/err" &&
    ! grep -q "vocab_size" "$TMP/first.err" && pass train_tokenizer_vocab_notice ||
    fail train_tokenizer_vocab_notice "rc $rc, vocab '$V', params '$np': $(head -c 400 "$TMP/err")"

# RUN/tokenizer.json is keyed (RUN/state/train-tokenizer): a fresh run in a
# folder a killed run left (no latest.bin) trained on another corpus, or with
# another vocab_size, trains its own; before, it reused the old one silently
# (and a vocab_size 500 rerun trained at the old 320)
CK="$TMP/ckbig.json"   # no checkpoint before the end: a stopped run leaves no latest.bin
"$PY" - "$tiny" "$CK" 500 "$TMP/ck500.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["train"]["checkpoint_every"] = 100000
json.dump(c, open(sys.argv[2], "w"))
c["vocab_size"] = int(sys.argv[3])
json.dump(c, open(sys.argv[4], "w"))
PY
C2="$TMP/corpus2"; synthetic_corpus "$C2"
"$BLALM" train --corpus "$C" --model "$CK" --out "$TMP/refA" --max-steps 1 -q 2>/dev/null
"$BLALM" train --corpus "$C" --model "$TMP/ck500.json" --out "$TMP/refA500" --max-steps 1 -q 2>/dev/null
V="$TMP/vc"
"$BLALM" train --corpus "$C2" --model "$CK" --out "$V" --max-steps 50 --stop-after 2 -q 2>"$TMP/err"
[ ! -e "$V/checkpoints/latest.bin" ] && ! cmp -s "$V/tokenizer.json" "$TMP/refA/tokenizer.json" \
    || fail train_tokenizer_stale_setup "$(ls "$V/checkpoints") $(head -c 300 "$TMP/err")"
"$BLALM" train --corpus "$C" --model "$CK" --out "$V" --max-steps 3 -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && cmp -s "$V/tokenizer.json" "$TMP/refA/tokenizer.json" && grep -q "training it again" "$TMP/err" \
    && cmp -s "$V/tokens/train.tok" "$TMP/refA/tokens/train.tok" \
    && pass train_tokenizer_stale_corpus || fail train_tokenizer_stale_corpus "rc $rc: $(head -c 300 "$TMP/err")"
rm -f "$V/checkpoints/latest.bin"   # as a run killed before its first checkpoint leaves it
"$BLALM" train --corpus "$C" --model "$TMP/ck500.json" --out "$V" --max-steps 3 -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && cmp -s "$V/tokenizer.json" "$TMP/refA500/tokenizer.json" && grep -q "vocab_size 500" "$TMP/err" \
    && pass train_tokenizer_stale_vocab || fail train_tokenizer_stale_vocab "rc $rc: $(head -c 300 "$TMP/err")"
# the same inputs: reused, nothing said
rm -f "$V/checkpoints/latest.bin"
"$BLALM" train --corpus "$C" --model "$TMP/ck500.json" --out "$V" --max-steps 3 -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && cmp -s "$V/tokenizer.json" "$TMP/refA500/tokenizer.json" \
    && ! grep -q "training it again" "$TMP/err" \
    && pass train_tokenizer_reused_same_key || fail train_tokenizer_reused_same_key "rc $rc: $(head -c 300 "$TMP/err")"
# a tokenizer.json copied over the keyed one is not vouched for by the marker
rm -f "$V/checkpoints/latest.bin"; cp "$TMP/refA/tokenizer.json" "$V/tokenizer.json"
"$BLALM" train --corpus "$C" --model "$TMP/ck500.json" --out "$V" --max-steps 3 -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && cmp -s "$V/tokenizer.json" "$TMP/refA500/tokenizer.json" && grep -q "training it again" "$TMP/err" \
    && pass train_tokenizer_replaced_file || fail train_tokenizer_replaced_file "rc $rc: $(head -c 300 "$TMP/err")"

# milestone checkpoints of an earlier run (killed before latest.bin) go when a
# new run starts in the folder, said; before, eval --all-checkpoints scored them
MS="$TMP/ms"
"$BLALM" train --corpus "$C" --model "$CK" --out "$MS" --max-steps 30 --stop-after 20 --track strict-small \
    --test-words-scale 0.001 -q 2>/dev/null
n0=$(ls "$MS/checkpoints" | grep -c '^chck_')
# and what eval wrote of them (results keyed by those bytes, the learning curve)
echo '{}' > "$MS/checkpoints/chck_1M.eval_fast.json"; echo '{}' > "$MS/learning_curve.json"
# and the AoA files --all-checkpoints writes (aoa_surprisal.json goes into a submission)
echo '{}' > "$MS/aoa.json"; echo '{}' > "$MS/aoa_surprisal.json"
"$BLALM" train --corpus "$C" --model "$CK" --out "$MS" --max-steps 30 --stop-after 1 -q 2>"$TMP/err"; rc=$?
n1=$(ls "$MS/checkpoints" | grep -c '^chck_')
[ $rc = 0 ] && [ "$n0" -ge 1 ] && [ "$n1" = 0 ] && [ ! -e "$MS/learning_curve.json" ] &&
    [ ! -e "$MS/aoa.json" ] && [ ! -e "$MS/aoa_surprisal.json" ] &&
    grep -q "removed $n0 milestone checkpoints\? (chck_<N>M.bin) and 4 evaluation results" "$TMP/err" \
    && pass train_fresh_removes_old_milestones \
    || fail train_fresh_removes_old_milestones "rc $rc, $n0 then $n1 milestones: $(head -c 300 "$TMP/err")"

# SIGTERM (a Slurm time limit) or SIGINT: latest.bin saved after the current
# step, exit 128 + signal naming the step; --resume then ends with the bytes
# of an uninterrupted run (before: every step since the last checkpoint lost)
# (a background job of a script starts with SIGINT ignored, which blalm
# respects: the python wrapper restores its default, as a terminal's job has)
sig_test() { # NAME SIGNAL RC
    local R="$TMP/sig$2"
    "$PY" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])' \
        "$BLALM" train --corpus "$C" --model "$CK" --out "$R" --max-steps 4000 -q 2>"$TMP/sig.err" &
    local pid=$! rc st n
    for _ in $(seq 1 300); do
        n=$(grep -c '"loss"' "$R/log.jsonl" 2>/dev/null)
        [ "${n:-0}" -ge 30 ] && break
        sleep 0.05
    done
    kill -"$2" "$pid"; wait "$pid"; rc=$?
    st=$(grep -o 'after step [0-9]* of 4000' "$TMP/sig.err" | cut -d' ' -f3)
    if [ $rc = "$3" ] && [ -n "$st" ] && [ "$st" -lt 4000 ] && [ -f "$R/checkpoints/latest.bin" ] &&
       grep -q -- "--resume" "$TMP/sig.err" && grep -q "\"step\":$st,\"event\":\"checkpoint\"" "$R/log.jsonl" &&
       "$BLALM" train --corpus "$C" --model "$CK" --out "$R" --resume -q 2>>"$TMP/sig.err" &&
       cmp -s "$R/checkpoints/latest.bin" "$TMP/sigref/checkpoints/latest.bin"; then
        pass "$1"
    else
        fail "$1" "rc $rc, stopped at '$st': $(head -c 400 "$TMP/sig.err")"
    fi
}
"$BLALM" train --corpus "$C" --model "$CK" --out "$TMP/sigref" --max-steps 4000 -q 2>/dev/null
sig_test train_sigterm_saves_and_resumes TERM 143
sig_test train_sigint_saves_and_resumes INT 130

# a dev split shorter than one sequence gives no dev evaluation: said before
# the steps (before: only "dev loss n/a (no dev evaluation)" at the end, with
# a dev split there)
mkdir -p "$TMP/shortdev/train" "$TMP/shortdev/dev"; cp "$C/train/x.train" "$TMP/shortdev/train/"; echo "the cat." > "$TMP/shortdev/dev/x.dev"
"$BLALM" train --corpus "$TMP/shortdev" --model "$tiny" --out "$TMP/sdrun" --max-steps 3 -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && grep -qE "^blalm train: warning: the dev split has [0-9]+ tokens, fewer than one sequence of 33: no dev evaluation$" "$TMP/err" \
    && pass train_short_dev_warned || fail train_short_dev_warned "rc $rc: $(head -c 300 "$TMP/err")"

# a train split shorter than one sequence is refused; in a new (or empty)
# run folder it leaves nothing (before: the tokenizer, the token cache and
# their markers stayed, of no use to a run that cannot start)
mkdir -p "$TMP/short/train"; echo "the cat sat." > "$TMP/short/train/x.train"
"$BLALM" train --corpus "$TMP/short" --model "$tiny" --out "$TMP/shortrun" -q 2>"$TMP/err"; rc=$?
mkdir "$TMP/shortempty"
"$BLALM" train --corpus "$TMP/short" --model "$tiny" --out "$TMP/shortempty" -q 2>>"$TMP/err"; rc2=$?
[ $rc = 1 ] && [ $rc2 = 1 ] && grep -q "the train split has [0-9]* tokens, fewer than one sequence of 33" "$TMP/err" \
    && [ ! -e "$TMP/shortrun" ] && [ -d "$TMP/shortempty" ] && [ -z "$(ls -A "$TMP/shortempty")" ] \
    && pass train_short_corpus_leaves_nothing \
    || fail train_short_corpus_leaves_nothing "rc $rc $rc2, left: $(cd "$TMP" && find shortrun shortempty 2>/dev/null | tr '\n' ' ') $(head -c 300 "$TMP/err")"

# srun -n N: the tasks join one data-parallel job only through a PMI (srun
# --mpi=pmix sets PMIX_RANK, --mpi=pmi2 PMI_RANK); without one each task is
# refused (exit 2, nothing made) instead of training alone (before: N
# trainings in one RUN, all but one stopped at RUN/.lock; cluster_shards.sh
# runs a real srun --mpi=pmix -n 2). Only the task process itself is a task:
# slurmstepd sets SLURM_TASK_PID to its pid, which exec keeps (as_task)
as_task() { sh -c 'SLURM_TASK_PID=$$ exec "$0" "$@"' "$@"; }
SLURM_STEP_NUM_TASKS=2 SLURM_PROCID=1 SLURM_NTASKS=2 \
    as_task "$BLALM" train --corpus "$C" --model "$tiny" --out "$TMP/srun2" --max-steps 2 -q 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -qE "^blalm train: started by srun as task 1 of tasks 0\.\.1 (without a PMI \(no PMIX_RANK or PMI_RANK\)|, but this blalm was built without Open MPI)" "$TMP/err" \
    && grep -q "srun --mpi=pmix\|run one task" "$TMP/err" && [ ! -e "$TMP/srun2" ] \
    && pass train_srun_tasks_without_pmix_refused \
    || fail train_srun_tasks_without_pmix_refused "rc $rc, $(ls -A "$TMP/srun2" 2>&1 | tr '\n' ' ') $(head -c 300 "$TMP/err")"
# PMI_RANK (srun --mpi=pmi2, for an Open MPI built with it) passes that check:
# MPI_Init and the world-size check decide (here no PMI server answers: MPI
# fails, or makes a world of 1, "not one job"; never a training, nothing made)
if "$BLALM" train --help | grep -q mpirun; then
    SLURM_STEP_NUM_TASKS=2 SLURM_PROCID=1 PMI_RANK=1 PMI_SIZE=2 \
        timeout 60 sh -c 'SLURM_TASK_PID=$$ exec "$0" "$@"' "$BLALM" train --corpus "$C" --model "$tiny" --out "$TMP/srunp" --max-steps 2 -q \
        >"$TMP/err" 2>&1; rc=$?
    [ $rc != 0 ] && [ $rc != 124 ] && ! grep -q "without PMIx\|without a PMI" "$TMP/err" && [ ! -e "$TMP/srunp/log.jsonl" ] \
        && pass train_srun_pmi2_reaches_mpi_init \
        || fail train_srun_pmi2_reaches_mpi_init "rc $rc: $(head -c 300 "$TMP/err")"
fi
SLURM_STEP_NUM_TASKS=two SLURM_PROCID=0 as_task "$BLALM" train --corpus "$C" --model "$tiny" --out "$TMP/srunx" --max-steps 2 -q 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "^blalm train: SLURM_STEP_NUM_TASKS='two': expected a positive integer" "$TMP/err" && [ ! -e "$TMP/srunx" ] \
    && pass train_srun_bad_task_count || fail train_srun_bad_task_count "rc $rc: $(head -c 300 "$TMP/err")"
# digits only, as the Slurm array's variables (strtol took ' 2' and '+1')
g=ok
for a in "SLURM_STEP_NUM_TASKS= 2@SLURM_PROCID=1@SLURM_STEP_NUM_TASKS=' 2'" "SLURM_STEP_NUM_TASKS=+2@SLURM_PROCID=1@SLURM_STEP_NUM_TASKS='+2'" \
         "SLURM_STEP_NUM_TASKS=2@SLURM_PROCID=+1@SLURM_PROCID='+1'"; do
    IFS=@ read -r v1 v2 want <<<"$a"
    env "$v1" "$v2" sh -c 'SLURM_TASK_PID=$$ exec "$0" "$@"' "$BLALM" train --corpus "$C" --model "$tiny" --out "$TMP/srunx" --max-steps 2 -q 2>"$TMP/err"; rc=$?
    { [ $rc = 2 ] && grep -qF "$want" "$TMP/err" && [ ! -e "$TMP/srunx" ]; } || g="'$a': rc=$rc $(head -c 300 "$TMP/err")"
done
[ "$g" = ok ] && pass train_srun_vars_digits_only || fail train_srun_vars_digits_only "$g"
# one task (srun -n 1), an --ntasks job's batch script, one mpirun rank
# whose daemon srun started, and a process that only inherits a step's
# variables (srun -n 2 sh -c 'blalm train --out run$SLURM_PROCID', a wrapper
# running blalm on task 0 only, a shell of srun -n 4 --pty bash: no
# SLURM_TASK_PID, or another process's): one process, which trains
g=ok
for a in "SLURM_STEP_NUM_TASKS=1 SLURM_PROCID=0" "SLURM_NTASKS=4 SLURM_PROCID=0" \
         "SLURM_STEP_NUM_TASKS=2 SLURM_PROCID=1 OMPI_COMM_WORLD_SIZE=1 OMPI_COMM_WORLD_RANK=0" \
         "SLURM_STEP_NUM_TASKS=2 SLURM_PROCID=1 SLURM_TASK_PID=$$" "SLURM_STEP_NUM_TASKS=4 SLURM_PROCID=0"; do
    rm -rf "$TMP/srun1"
    # the mpirun rank starts Open MPI, whose own allocations LeakSanitizer
    # reports at exit (as in train_mpi_agree.sh)
    lk=; [[ $a == *OMPI_* ]] && lk="ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
    env $lk $a "$BLALM" train --corpus "$C" --model "$tiny" --out "$TMP/srun1" --max-steps 2 -q 2>"$TMP/err"; rc=$?
    { [ $rc = 0 ] && [ "$(grep -c '"loss"' "$TMP/srun1/log.jsonl")" = 2 ]; } || g="'$a': rc=$rc $(head -c 300 "$TMP/err")"
done
[ "$g" = ok ] && pass train_srun_one_task_trains || fail train_srun_one_task_trains "$g"
