#!/usr/bin/env bash
# Data-parallel training throughput (trainer/parallel.h), each figure beside
# the 1-thread figure of the same run: `blalm train --bench` at the config's
# batch with 1 and 2 threads, and with 2 Open MPI ranks x 1 thread (loopback,
# shared memory). Wall-clock tokens/s is what a user sees; on a machine that
# other jobs share it understates, so tokens per CPU-second are printed too
# (the speed-up an idle machine would give is about threads x the CPU
# ratio). Then the all-reduce's share of the step for each model config
# (2 ranks, 2 rows: 1 each; the share at the config's batch follows from the
# compute time per row). BENCH_STEPS (default 2) timed steps after a warm-up.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BLALM=${BLALM_BIN:-$root/bin/blalm}
steps=${BENCH_STEPS:-2}
. "$root/tests/bench/lib.bash"
field() { printf '%s' "$1" | sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p"; }
# need LINE WHAT FIELD...: each FIELD of LINE must be a positive number
need() { local l=$1 w=$2 k; shift 2; for k; do bench_pos blalm "$k ($w)" "$(field "$l" "$k")"; done; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
MPIRUN=(mpirun --allow-run-as-root --oversubscribe --bind-to none
        --mca btl self,vader,tcp --mca btl_vader_single_copy_mechanism none
        --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)
have_mpi=0
command -v mpirun >/dev/null 2>&1 && "$BLALM" train --help | grep -q "mpirun -np N" && have_mpi=1
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(getconf _NPROCESSORS_ONLN) CPUs"
for cfg in small strict-small; do
    f="$root/configs/model-$cfg.json"
    t1=$("$BLALM" train --model "$f" --bench "$steps" --threads 1) || bench_fail blalm "train --bench $cfg, 1 thread"
    t2=$("$BLALM" train --model "$f" --bench "$steps" --threads 2) || bench_fail blalm "train --bench $cfg, 2 threads"
    need "$t1" "$cfg, 1 thread" tokens_per_s tokens_per_cpu_s
    need "$t2" "$cfg, 2 threads" tokens_per_s tokens_per_cpu_s
    echo "blalm $cfg 1 thread:  $t1"
    echo "blalm $cfg 2 threads: $t2"
    line=$(awk -v c="$cfg" -v a="$(field "$t1" tokens_per_s)" -v b="$(field "$t2" tokens_per_s)" \
               -v ca="$(field "$t1" tokens_per_cpu_s)" -v cb="$(field "$t2" tokens_per_cpu_s)" 'BEGIN {
        printf "%s: 1 thread %.1f tok/s (%.1f tok/CPU-s); 2 threads %.1f tok/s (%.1f tok/CPU-s): wall x%.2f (goal >= 1.8), CPU efficiency %.2f (idle machine: x%.2f)",
               c, a, ca, b, cb, b / a, cb / ca, 2 * cb / ca }')
    echo "$line"
    if [ $have_mpi = 1 ]; then
        r2=$("${MPIRUN[@]}" -np 2 "$BLALM" train --model "$f" --bench "$steps" --threads 1 2>"$TMP/err" | tail -1) ||
            bench_fail blalm "mpirun -np 2 train --bench $cfg: $(tail -3 "$TMP/err")"
        need "$r2" "$cfg, 2 ranks" tokens_per_s tokens_per_cpu_s
        echo "blalm $cfg 2 ranks:   $r2"
        awk -v c="$cfg" -v a="$(field "$t1" tokens_per_s)" -v b="$(field "$r2" tokens_per_s)" \
            -v ca="$(field "$t1" tokens_per_cpu_s)" -v cb="$(field "$r2" tokens_per_cpu_s)" -v ar="$(field "$r2" allreduce_frac)" 'BEGIN {
            printf "%s: 2 ranks x 1 thread %.1f tok/s (%.1f tok/CPU-s): wall x%.2f of 1 thread (goal >= 1.8), CPU efficiency %.2f, all-reduce wait %.1f%% of the step\n",
                   c, b, cb, b / a, cb / ca, 100 * ar }'
    else
        echo "SKIP $cfg 2 ranks: no mpirun or blalm built without Open MPI"
    fi
done
# the all-reduce's share per config: its time with 2 ranks (1 row each)
# against the compute of the config's batch (rows/2 per rank)
if [ $have_mpi = 1 ]; then
    for cfg in tiny small strict-small strict; do
        f="$root/configs/model-$cfg.json"
        r=$("${MPIRUN[@]}" -np 2 "$BLALM" train --model "$f" --bench 2 --batch 2 --threads 1 2>"$TMP/err" | tail -1) ||
            bench_fail blalm "mpirun -np 2 train --bench $cfg --batch 2: $(tail -3 "$TMP/err")"
        need "$r" "$cfg, all-reduce" compute_s step_s
        B=$(sed -n 's/.*"batch_size": *\([0-9]*\).*/\1/p' "$f")
        awk -v c="$cfg" -v B="$B" -v comp="$(field "$r" compute_s)" -v ar="$(field "$r" allreduce_s)" \
            -v pure="$(field "$r" allreduce_pure_s)" -v fold="$(field "$r" fold_s)" -v step="$(field "$r" step_s)" 'BEGIN {
            other = step - comp - fold - ar; if (other < 0) other = 0
            full = comp * B / 2 + fold + other + pure;
            printf "all-reduce %-12s transfer %.4f s (every rank entering together), wait in the step %.4f s (2 ranks, loopback): %.1f%% of a step at the config batch %d\n",
                   c, pure, ar, 100 * pure / full, B }'
    done
fi
