#!/usr/bin/env bash
# Data-parallel training (trainer/parallel.h): 1, 2 and 3 threads give the
# same log and checkpoint bit for bit, and a run resumed with another thread
# count too; under Open MPI, 2 ranks x 1 thread give the losses of one
# process at the same global batch over 50 steps (AdamW and Muon), 3 ranks
# with 2 threads stay within 1e-6, --resume takes another rank count, and a
# killed rank stops the job with a clear message while the last checkpoint
# resumes; a batch of fewer rows than ranks is refused before anything is
# written; milestones and the epoch limit count the words of every rank's
# rows. mpirun runs on loopback only; the MPI tests skip when it is absent.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
CFG="$root/configs/model-tiny.json"
C="$TMP/corpus"
synthetic_corpus "$C"   # 300 train and 40 dev documents (tests/lib.sh)
# the same tokenizer for every run, so runs differ only in how they are parallel
"$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/tokrun" --max-steps 1 -q 2>/dev/null
TOK="$TMP/tokrun/tokenizer.json"
# config with 8 rows a step (ragged over 3 threads or ranks)
CFG8="$TMP/tiny8.json"
sed 's/"batch_size": 4/"batch_size": 8/' "$CFG" > "$CFG8"

strip() { sed -E 's/"(tok_s|train_seconds)":[0-9.]*//' "$1"; }
losses() { grep '"loss"' "$1" | sed 's/.*"step":\([0-9]*\),"loss":\([0-9.e+-]*\).*/\1 \2/'; }

# --- threads
for t in 1 2 3; do
    "$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$TMP/t$t" --max-steps 24 \
        --threads $t -q 2>"$TMP/err-t$t" || fail train_threads_run "threads $t: $(head -c 300 "$TMP/err-t$t")"
done
if [ -s "$TMP/t1/log.jsonl" ] && diff <(strip "$TMP/t1/log.jsonl") <(strip "$TMP/t2/log.jsonl") >"$TMP/diff" \
   && diff <(strip "$TMP/t1/log.jsonl") <(strip "$TMP/t3/log.jsonl") >>"$TMP/diff"; then
    pass train_threads_identical_logs
else
    fail train_threads_identical_logs "$(head -c 400 "$TMP/diff")"
fi
if cmp -s "$TMP/t1/checkpoints/latest.bin" "$TMP/t2/checkpoints/latest.bin" &&
   cmp -s "$TMP/t1/checkpoints/latest.bin" "$TMP/t3/checkpoints/latest.bin"; then
    pass train_threads_identical_checkpoints
else
    fail train_threads_identical_checkpoints "latest.bin differs between thread counts"
fi
# killed at step 13 with 2 threads (checkpoint at 10), resumed with 3
"$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$TMP/tr" --max-steps 24 --threads 2 \
    --stop-after 13 -q 2>"$TMP/err"
"$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$TMP/tr" --resume --threads 3 -q 2>>"$TMP/err"
if [ -s "$TMP/tr/log.jsonl" ] && diff <(strip "$TMP/t1/log.jsonl") <(strip "$TMP/tr/log.jsonl") >"$TMP/diff" &&
   cmp -s "$TMP/t1/checkpoints/latest.bin" "$TMP/tr/checkpoints/latest.bin"; then
    pass train_threads_resume_bit_exact
else
    fail train_threads_resume_bit_exact "$(head -c 300 "$TMP/diff") $(head -c 200 "$TMP/err")"
fi
out=$("$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/bad" --threads 0 2>&1); rc=$?
if [ $rc -eq 2 ] && [[ "$out" == *"--threads wants a count in 1..4096, not '0'"* ]]; then pass train_threads_bad_value
else fail train_threads_bad_value "rc $rc: $out"; fi
out=$("$BLALM" train --model "$CFG" --bench 1 --threads 2 2>&1)
if [[ "$out" == *'"threads":2'* && "$out" == *'"tokens_per_cpu_s"'* ]]; then pass train_bench_json
else fail train_bench_json "$out"; fi

# --- Open MPI
need_mpi train_mpi
# root in containers; Open MPI's own allocations are not ours to leak-check
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
MPIRUN=(mpirun --allow-run-as-root --oversubscribe --bind-to none -x ASAN_OPTIONS
        --mca btl self,vader,tcp --mca btl_vader_single_copy_mechanism none
        --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)
mpi_pid=
cleanup_mpi() { [ -n "$mpi_pid" ] && kill -- -"$mpi_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup_mpi EXIT
mpi_train() { # NP OUT THREADS ARGS...
    local np=$1 out=$2 th=$3; shift 3
    timeout 300 "${MPIRUN[@]}" -np "$np" "$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" \
        --out "$out" --threads "$th" -q "$@"
}
# relative difference of two loss columns (max over steps), or "length" when they differ in length
maxrel() { awk 'NR==FNR { a[$1] = $2; next } ($1 in a) { n++; d = a[$1] - $2; if (d < 0) d = -d;
    r = d / (a[$1] < 0 ? -a[$1] : a[$1]); if (r > m) m = r } END { printf "%.3g %d\n", m, n }' "$1" "$2"; }

for opt in adamw muon; do
    "$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$TMP/one-$opt" --max-steps 50 \
        --optimizer $opt -q 2>"$TMP/err-one"
    mpi_train 2 "$TMP/mpi2-$opt" 1 --max-steps 50 --optimizer $opt >"$TMP/out-mpi" 2>&1
    losses "$TMP/one-$opt/log.jsonl" > "$TMP/l1"; losses "$TMP/mpi2-$opt/log.jsonl" > "$TMP/l2"
    if [ "$(wc -l < "$TMP/l1")" -eq 50 ] && cmp -s "$TMP/l1" "$TMP/l2"; then
        pass "train_mpi_2_ranks_identical_$opt"
    else
        fail "train_mpi_2_ranks_identical_$opt" "$(maxrel "$TMP/l1" "$TMP/l2") (max rel, steps); $(tail -c 300 "$TMP/out-mpi")"
    fi
    if cmp -s "$TMP/one-$opt/checkpoints/latest.bin" "$TMP/mpi2-$opt/checkpoints/latest.bin"; then
        pass "train_mpi_2_ranks_same_checkpoint_$opt"
    else
        fail "train_mpi_2_ranks_same_checkpoint_$opt" "latest.bin differs from one process'"
    fi
done
# 3 ranks x 2 threads: rows 0-1, 2-4, 5-7 are not subtrees of the tree over
# 8 rows, so the last additions associate differently: a few ulps in the
# gradient, within 1e-6 over the first 10 steps; later steps drift further
# as training amplifies them (README "Threads and ranks")
mpi_train 3 "$TMP/mpi3" 2 --max-steps 50 >"$TMP/out-mpi" 2>&1
losses "$TMP/mpi3/log.jsonl" | head -10 > "$TMP/l3"; losses "$TMP/one-adamw/log.jsonl" > "$TMP/l1"
read -r rel n <<<"$(maxrel "$TMP/l1" "$TMP/l3")"
if [ "$n" = 10 ] && awk -v r="$rel" 'BEGIN { exit !(r <= 1e-6) }'; then pass train_mpi_3_ranks_within_1e-6
else fail train_mpi_3_ranks_within_1e-6 "max relative difference $rel over $n steps; $(tail -c 300 "$TMP/out-mpi")"; fi
# --resume with another N: 2 ranks stop at 13 (checkpoint at 10), 1 process and then 3 ranks go on
mpi_train 2 "$TMP/mr" 1 --max-steps 50 --stop-after 13 >"$TMP/out-mpi" 2>&1
"$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$TMP/mr" --resume --stop-after 20 -q 2>>"$TMP/out-mpi"
losses "$TMP/mr/log.jsonl" > "$TMP/lr"
if [ "$(wc -l < "$TMP/lr")" -eq 30 ] && cmp -s "$TMP/lr" <(head -30 "$TMP/l1"); then
    pass train_mpi_resume_with_1_process
else
    fail train_mpi_resume_with_1_process "$(wc -l < "$TMP/lr") steps; $(tail -c 300 "$TMP/out-mpi")"
fi
# the 3-rank tail may drift from one process' like any 3-rank run (above)
mpi_train 3 "$TMP/mr" 1 --resume >>"$TMP/out-mpi" 2>&1
losses "$TMP/mr/log.jsonl" > "$TMP/lr"
read -r rel n <<<"$(maxrel "$TMP/l1" "$TMP/lr")"
if [ "$n" = 50 ] && cmp -s <(head -30 "$TMP/lr") <(head -30 "$TMP/l1") && awk -v r="$rel" 'BEGIN { exit !(r <= 1e-3) }'; then
    pass train_mpi_resume_with_3_ranks
else
    fail train_mpi_resume_with_3_ranks "max rel $rel over $n steps; $(tail -c 300 "$TMP/out-mpi")"
fi
# a rank that fails stops every rank with its message
out=$(timeout 120 "${MPIRUN[@]}" -np 2 "$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" \
      --out "$TMP/mr" -q 2>&1); rc=$?
if [ $rc -ne 0 ] && [[ "$out" == *"rank 0 of 2"* && "$out" == *"holds a run already"* ]]; then pass train_mpi_error_stops_all
else fail train_mpi_error_stops_all "rc $rc: $(printf '%s' "$out" | tail -c 400)"; fi

# more ranks than rows: refused before rank 0 tokenizes (it left RUN with a
# tokenizer and token cache of a run that could not start)
sed 's/"batch_size": 4/"batch_size": 1/' "$CFG" > "$TMP/tiny1.json"
out=$(timeout 120 "${MPIRUN[@]}" -np 2 "$BLALM" train --corpus "$C" --model "$TMP/tiny1.json" --out "$TMP/b1" -q 2>&1); rc=$?
if [ $rc -ne 0 ] && [[ "$out" == *"2 ranks for a batch of 1 rows"* && "$out" == *"stopping every rank"* ]] &&
   [ ! -e "$TMP/b1" ]; then
    pass train_mpi_batch_below_ranks_nothing_written
else
    fail train_mpi_batch_below_ranks_nothing_written "rc $rc: $(ls -A "$TMP/b1" 2>&1 | tr '\n' ' ') $(printf '%s' "$out" | head -c 300)"
fi

# words seen are counted over the global batch on every rank: with the
# track's budget and milestones scaled down (x0.001), 2 ranks write the
# milestone checkpoints of one process at the same steps, bit for bit, log
# the same words_seen, and refuse more than 10 epochs the same way
"$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$TMP/ms1" --max-steps 40 \
    --test-words-scale 0.001 --track strict-small -q 2>"$TMP/err-ms"
mpi_train 2 "$TMP/ms2" 1 --max-steps 40 --test-words-scale 0.001 --track strict-small >"$TMP/out-ms" 2>&1
ms1=$(cd "$TMP/ms1/checkpoints" 2>/dev/null && ls chck_*.bin | sort | tr '\n' ' ')
ms2=$(cd "$TMP/ms2/checkpoints" 2>/dev/null && ls chck_*.bin | sort | tr '\n' ' ')
words() { grep '"loss"' "$1" | sed 's/.*"step":\([0-9]*\),.*"words_seen":\([0-9.e+]*\).*/\1 \2/'; }
same_ms=1
for f in $ms1; do cmp -s "$TMP/ms1/checkpoints/$f" "$TMP/ms2/checkpoints/$f" || same_ms=0; done
if [ -n "$ms1" ] && [ "$ms1" = "$ms2" ] && [ $same_ms = 1 ] && [ "$(words "$TMP/ms1/log.jsonl" | wc -l)" -eq 40 ] &&
   cmp -s <(words "$TMP/ms1/log.jsonl") <(words "$TMP/ms2/log.jsonl"); then
    pass train_mpi_milestones_global_words
else
    fail train_mpi_milestones_global_words "one process: '$ms1', 2 ranks: '$ms2'; $(tail -c 300 "$TMP/out-ms") $(head -c 200 "$TMP/err-ms")"
fi
out=$(mpi_train 2 "$TMP/ms11" 1 --max-steps 40000 --track strict-small 2>&1); rc=$?
if [ $rc -ne 0 ] && [[ "$out" == *"at most 10"* && "$out" == *"stopping every rank"* && "$out" != *"No such file"* ]]; then
    pass train_mpi_refuses_11_epochs
else
    fail train_mpi_refuses_11_epochs "rc $rc: $(printf '%s' "$out" | grep -v "^ *$" | head -c 1500)"
fi

# wait_ranks PID LOG: sets rank0 and rank1 to the pids of mpirun PID's two
# ranks once LOG holds 25 steps (gives up after 60 s, leaving them as found)
wait_ranks() {
    rank0= rank1=
    local c envs
    for _ in $(seq 600); do
        for c in $(pgrep -P "$1" 2>/dev/null); do
            envs=$(tr '\0' '\n' < /proc/$c/environ 2>/dev/null)
            grep -qx 'OMPI_COMM_WORLD_RANK=0' <<<"$envs" && rank0=$c
            grep -qx 'OMPI_COMM_WORLD_RANK=1' <<<"$envs" && rank1=$c
        done
        [ -n "$rank0" ] && [ -n "$rank1" ] && [ -f "$2" ] && [ "$(grep -c '"loss"' "$2")" -ge 25 ] && return 0
        sleep 0.1
    done
    return 1
}

# kill rank 1 of a long run once a checkpoint is written: mpirun stops the
# job and names the rank; the last checkpoint resumes
KR="$TMP/killed"
"${MPIRUN[@]}" -np 2 "$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$KR" \
    --max-steps 100000 -q >"$TMP/out-kill" 2>&1 &
mpi_pid=$!
wait_ranks "$mpi_pid" "$KR/log.jsonl"
if [ -n "$rank1" ]; then kill -9 "$rank1"; fi
for _ in $(seq 300); do kill -0 "$mpi_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$mpi_pid" 2>/dev/null; then
    fail train_mpi_killed_rank_stops "mpirun still runs 30 s after rank 1 was killed"
    kill -- -"$mpi_pid" 2>/dev/null
fi
wait "$mpi_pid"; rc=$?; mpi_pid=
if [ -n "$rank1" ] && [ $rc -ne 0 ] && grep -q "rank 1" "$TMP/out-kill" && grep -qi "signal 9\|killed" "$TMP/out-kill"; then
    pass train_mpi_killed_rank_stops
else
    fail train_mpi_killed_rank_stops "rank1 pid '${rank1}', rc $rc: $(tail -c 400 "$TMP/out-kill")"
fi
mpi_train 2 "$KR" 1 --resume --stop-after 7 >"$TMP/out-mpi" 2>&1
last=$(losses "$KR/log.jsonl" | tail -1 | cut -d' ' -f1)
"$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$TMP/kref" --max-steps 100000 \
    --stop-after "${last:-1}" -q 2>/dev/null
if [ -n "$last" ] && [ "$last" -gt 7 ] && diff <(strip "$KR/log.jsonl") <(strip "$TMP/kref/log.jsonl") >"$TMP/diff"; then
    pass train_mpi_killed_run_resumes
else
    fail train_mpi_killed_run_resumes "last step '$last': $(head -c 300 "$TMP/diff") $(tail -c 200 "$TMP/out-mpi")"
fi

# SIGTERM (Slurm's at a time limit) to rank 1 alone: every rank agrees on the
# step in a small all-reduce, rank 0 saves latest.bin there, the job ends
# (128 + 15 on every rank) naming the step, and a resume (here by one
# process) ends with the bytes of an uninterrupted run
"$PY" - "$CFG8" "$TMP/tiny8ck.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["train"]["checkpoint_every"] = 100000
json.dump(c, open(sys.argv[2], "w"))
PY
TR="$TMP/termed"
"${MPIRUN[@]}" -np 2 "$BLALM" train --corpus "$C" --model "$TMP/tiny8ck.json" --tokenizer "$TOK" --out "$TR" \
    --max-steps 3000 -q >"$TMP/out-term" 2>&1 &
mpi_pid=$!
wait_ranks "$mpi_pid" "$TR/log.jsonl"
[ -n "$rank1" ] && kill -TERM "$rank1"
for _ in $(seq 300); do kill -0 "$mpi_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$mpi_pid" 2>/dev/null && kill -- -"$mpi_pid" 2>/dev/null
wait "$mpi_pid"; rc=$?; mpi_pid=
st=$(grep -o 'stopped by SIGTERM after step [0-9]* of 3000' "$TMP/out-term" | head -1 | cut -d' ' -f6)
"$BLALM" train --corpus "$C" --model "$TMP/tiny8ck.json" --tokenizer "$TOK" --out "$TMP/termref" --max-steps 3000 \
    -q 2>/dev/null
if [ -n "$rank1" ] && [ $rc -ne 0 ] && [ -n "$st" ] && [ "$st" -lt 3000 ] &&
   grep -q "\"step\":$st,\"event\":\"checkpoint\"" "$TR/log.jsonl" &&
   "$BLALM" train --corpus "$C" --model "$TMP/tiny8ck.json" --tokenizer "$TOK" --out "$TR" --resume -q 2>>"$TMP/out-term" &&
   cmp -s "$TR/checkpoints/latest.bin" "$TMP/termref/checkpoints/latest.bin"; then
    pass train_mpi_sigterm_saves_and_resumes
else
    fail train_mpi_sigterm_saves_and_resumes "rank1 pid '$rank1', rc $rc, step '$st': $(tail -c 400 "$TMP/out-term")"
fi

# SIGTERM to rank 0 and SIGINT to rank 1: the ranks agree on SIGTERM (any rank
# that got it wins), not on the average of the numbers (15 and 2 made 9, so
# "stopped by a signal" and exit 137, which reads as SIGKILL)
TR2="$TMP/termed2"
"${MPIRUN[@]}" -np 2 "$BLALM" train --corpus "$C" --model "$TMP/tiny8ck.json" --tokenizer "$TOK" --out "$TR2" \
    --max-steps 3000 -q >"$TMP/out-term2" 2>&1 &
mpi_pid=$!
wait_ranks "$mpi_pid" "$TR2/log.jsonl"
r0=$rank0 r1=$rank1
# both ranks held (SIGSTOP) while the signals are sent, so both are pending
# when they go on: most often noted in the same step, which is the case the
# averaging got wrong. A rank held inside that step's all-reduce may already
# have given its 0, so the agreement can also be SIGINT; never "a signal".
if [ -n "$r0" ] && [ -n "$r1" ]; then
    kill -STOP "$r0" "$r1"; kill -TERM "$r0"; kill -INT "$r1"; kill -CONT "$r0" "$r1"
fi
for _ in $(seq 300); do kill -0 "$mpi_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$mpi_pid" 2>/dev/null && kill -- -"$mpi_pid" 2>/dev/null
wait "$mpi_pid"; rc=$?; mpi_pid=
if [ -n "$r1" ] && { { [ $rc -eq 143 ] && grep -q 'stopped by SIGTERM after step' "$TMP/out-term2"; } ||
                     { [ $rc -eq 130 ] && grep -q 'stopped by SIGINT after step' "$TMP/out-term2"; }; } &&
   ! grep -q 'stopped by a signal' "$TMP/out-term2"; then
    pass train_mpi_mixed_signals_not_averaged
else
    fail train_mpi_mixed_signals_not_averaged "ranks '$r0' '$r1', rc $rc: $(tail -c 400 "$TMP/out-term2")"
fi
