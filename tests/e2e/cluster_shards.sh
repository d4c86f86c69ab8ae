#!/usr/bin/env bash
# Stages on a cluster. Every sharded stage, started by real
# `mpirun` with 1, 2 and 3 ranks (Open MPI's OMPI_COMM_WORLD_RANK/SIZE, no
# --shard), writes what one process writes, byte for byte. Then a real
# single-node Slurm (munged, slurmctld and slurmd, configured here in a temp
# dir and listening on loopback only) runs a sharded fetch as a job array
# (sbatch --array=0-2 --wait), and its outputs equal one process's; and
# srun --mpi=pmix -n 2 blalm train trains one data-parallel job (the
# checkpoint of one process, byte for byte), where srun --mpi=none -n 2 is
# refused (before: two trainings in one RUN, one stopped at RUN/.lock).
# Every daemon and peer this script starts is stopped when it ends, also on
# failure.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"
source "$(dirname "$0")/score_helpers.bash" # start_peer/stop_peers: the loopback LLM stand-in

# The stages that shard, in pipeline order. "sharded" runs; "unsharded" is
# listed but skipped: the stage does not take its shard from the one shard
# scheme (lib/shard.h) on this branch yet. Remove the marker when it does,
# and give it prep_/run_/out_/shares_ functions below.
STAGES=(fetch:sharded dedup:sharded tag:sharded score:sharded tokenize:sharded)
RANKS=(1 2 3)

SLURM_PIDS=()
cleanup() {
    stop_slurm
    stop_hub
    stop_peers
    rm -rf "$TMP"
}
trap cleanup EXIT

# ---- mpirun -----------------------------------------------------------------
# Loopback only; as root Open MPI wants both the flag and the variables.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=(mpirun --oversubscribe --bind-to none --mca btl self,tcp --mca btl_tcp_if_include lo
        --mca oob_tcp_if_include lo)
[ "$(id -u)" = 0 ] && MPIRUN+=(--allow-run-as-root)
# on_ranks N CMD...: CMD on N ranks (N = 0: one process, no mpirun).
on_ranks() {
    local n=$1; shift
    if [ "$n" = 0 ]; then "$@"; else timeout 300 "${MPIRUN[@]}" -np "$n" "$@"; fi
}

# ---- fetch: the loopback Hub, 4 files on 2 listing pages ----------------------
prep_fetch() {
    make_repo "$TMP/hubrepo"
    start_hub "$TMP/hubrepo" --page-size 2
}
run_fetch() { # DEST RANKS
    on_ranks "$2" "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$1/out" --jobs 2
}
out_fetch() { echo "$1/out"; }
shares_fetch() { # DEST RANKS LOG: each rank's summary names its shard
    [ "$(grep -Ec "^fetch: shard [0-9]+/$2 \(openmpi\), [0-9]+ of 4 listed files" "$3")" = "$2" ]
}

# ---- dedup: the synthetic near-duplicate set, 7 files; one mpirun per stage ---
prep_dedup() {
    "$PY" "$(dirname "$0")/../oracle/dedup_groundtruth.py" make "$TMP/dd" synthetic 7 >/dev/null 2>&1
}
run_dedup() { # DEST RANKS
    local st
    if [ "$2" = 0 ]; then "$BLALM" dedup --work "$1" --docs "$TMP/dd/docs" --keep-max score --quiet; return; fi
    for st in signatures buckets cluster attributes; do
        on_ranks "$2" "$BLALM" dedup --work "$1" --docs "$TMP/dd/docs" --stage $st --keep-max score \
            || return 1
    done
}
out_dedup() { echo "$1/attributes"; }
shares_dedup() { # DEST RANKS LOG: one signatures summary per rank, the 7 files split among them,
    # and every rank's entries in WORK/stats/dedup.json (concurrent ranks update it under a lock)
    grep -o 'signatures: [0-9]* files' "$3" | awk -v n="$2" '{ k++; s += $2; if ($2 >= 7) bad = 1 }
        END { exit !(k == n && s == 7 && !bad) }' || return 1
    "$PY" - "$1/stats/dedup.json" "$2" <<'PYEOF'
import json, sys
st, n = json.load(open(sys.argv[1]))["stages"], int(sys.argv[2])
for stage in ("signatures", "buckets", "attributes"):
    units = [st[f"{stage}-{i}-of-{n}"]["units"] for i in range(n)]
    assert stage != "signatures" or sum(units) == 7, (stage, units)
PYEOF
}

flat() { tr '\n' ' '; }
# ---- tag: the same 7 files, all taggers ------------------------------------------
prep_tag() { [ -d "$TMP/dd/docs" ] || prep_dedup; }
run_tag() { # DEST RANKS
    on_ranks "$2" "$BLALM" tag --work "$1" --docs "$TMP/dd/docs" --quiet
}
out_tag() { echo "$1/attributes"; }
shares_tag() { # DEST RANKS LOG: per-shard statistics, WORK/stats/tag-I-of-N.json
    local i
    for ((i = 0; i < $2; i++)); do [ -f "$1/stats/tag-$i-of-$2.json" ] || return 1; done
}
# ---- score: the same 7 files, against the loopback LLM stand-in ------------------
# The one-process run fills a result cache that every mpirun run then reads
# (concurrent ranks share it under its flock), so each answer, latency_ms
# included, is the same bytes; the cold-cache path is score_shards.sh's.
prep_score() {
    [ -d "$TMP/dd/docs" ] || prep_dedup
    start_peer SCORE_PORT || return 1
    unset OPENAI_API_KEY OPENAI_BASE_URL
}
run_score() { # DEST RANKS
    on_ranks "$2" "$BLALM" score --work "$1" --docs "$TMP/dd/docs" --endpoint "http://127.0.0.1:$SCORE_PORT/v1" \
        --model m --concurrency 4 --cache "$TMP/score-cache" --quiet
}
out_score() { echo "$1/attributes"; }
shares_score() { # DEST RANKS LOG: per-shard statistics, the 7 files split among them
    local i
    for ((i = 0; i < $2; i++)); do [ -f "$1/stats/score-$i-of-$2.json" ] || return 1; done
    "$PY" - "$1/stats" "$2" <<'PYEOF'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
files = [json.load(open(f"{d}/score-{i}-of-{n}.json"))["files"] for i in range(n)]
assert sum(files) == 7 and max(files) < 7, files
PYEOF
}

# ---- tokenize: a BabyLM-layout corpus of 5 split files, one tokenizer ----------
prep_tokenize() {
    local c=$TMP/tokcorpus f k
    mkdir -p "$c/train" "$c/dev"
    for f in train/a.train train/b.train train/c.train dev/a.dev dev/b.dev; do
        k=$(cksum <<<"$f" | cut -d' ' -f1)
        awk -v seed="$k" 'BEGIN { srand(seed % 100000);
            split("the cat dog sat on a mat and ran to house with big small red blue tree école 東京", w, " ");
            for (d = 0; d < 40; d++) { if (d) printf "\n";
                n = 5 + int(rand() * 30); line = "";
                for (j = 0; j < n; j++) line = line (j ? " " : "") w[1 + int(rand() * 19)];
                print line "." } }' >"$c/$f"
    done
    "$BLALM" tokenizer train --quiet --corpus "$c" --out "$TMP/toktrain" --vocab 280 >/dev/null 2>&1
}
run_tokenize() { # DEST RANKS
    on_ranks "$2" "$BLALM" tokenize --corpus "$TMP/tokcorpus" --tokenizer "$TMP/toktrain/tokenizer.json" \
        --out "$1/out" --threads 1
}
out_tokenize() { echo "$1/out"; }
# the completion markers hold timings; the shards and tokens.json are the output
exclude_tokenize() { echo state; }
shares_tokenize() { # DEST RANKS LOG: each rank's summary names its share of the 5 files
    grep -o 'shard [0-9]*/[0-9]*: [0-9]* of 5 files' "$3" | awk -v n="$2" '{ k++; s += $3; if ($3 >= 5) bad = 1 }
        END { exit !(k == n && s == 5 && !bad) }'
}

# same_tree A B [NAME]: the same files with the same bytes (nothing missing or
# extra), leaving out files or folders called NAME.
same_tree() {
    local x=()
    [ -n "${3:-}" ] && x=(--exclude="$3")
    diff -r --no-dereference "${x[@]}" "$1" "$2" >"$TMP/.diff" 2>&1 && [ -n "$(find "$1" -type f | head -1)" ]
}

have_mpi=1
command -v mpirun >/dev/null || { have_mpi=0; skip cluster_mpirun "mpirun not found (Debian openmpi-bin; scripts/deps.sh test installs it)"; }
for entry in "${STAGES[@]}"; do
    stage=${entry%%:*}
    if [ "${entry#*:}" != sharded ]; then
        skip "cluster_${stage}_mpirun" "$stage is not sharded on this branch (it does not take its shard from --shard/Slurm/Open MPI per lib/shard.h yet)"
        continue
    fi
    [ $have_mpi = 1 ] || continue
    if ! "prep_$stage"; then fail "cluster_${stage}_prep" "could not build its inputs"; continue; fi
    ref=$TMP/$stage-ref
    if ! "run_$stage" "$ref" 0 >"$TMP/$stage.ref.err" 2>&1; then
        fail "cluster_${stage}_one_process" "$(tail -c 600 "$TMP/$stage.ref.err" | flat)"; continue
    fi
    for n in "${RANKS[@]}"; do
        w=$TMP/$stage-np$n
        "run_$stage" "$w" "$n" >"$TMP/$stage.$n.err" 2>&1; rc=$?
        if [ $rc -ne 0 ]; then
            fail "cluster_${stage}_mpirun_np$n" "exit $rc: $(tail -c 600 "$TMP/$stage.$n.err" | flat)"
        elif same_tree "$("out_$stage" "$ref")" "$("out_$stage" "$w")" \
                "$(declare -F "exclude_$stage" >/dev/null && "exclude_$stage")"; then
            pass "cluster_${stage}_mpirun_np${n}_identical"
        else
            fail "cluster_${stage}_mpirun_np${n}_identical" "$(head -c 600 "$TMP/.diff" | flat)"
        fi
        # identical outputs prove nothing if every rank did all the work
        if [ "$n" -gt 1 ]; then
            "shares_$stage" "$w" "$n" "$TMP/$stage.$n.err" && pass "cluster_${stage}_mpirun_np${n}_ranks_took_shares" ||
                fail "cluster_${stage}_mpirun_np${n}_ranks_took_shares" "$(tail -c 600 "$TMP/$stage.$n.err" | flat)"
        fi
    done
done
# ---- a real single-node Slurm -------------------------------------------------
SLURM=$TMP/slurm
stop_slurm() {
    if [ -f "$SLURM/slurm.conf" ] && [ ${#SLURM_PIDS[@]} -gt 0 ]; then
        SLURM_CONF=$SLURM/slurm.conf timeout 10 scontrol shutdown >/dev/null 2>&1
    fi
    local p i
    for p in "${SLURM_PIDS[@]}"; do
        for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    SLURM_PIDS=()
    return 0
}
free_ports() { "$PY" -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])'; }

start_slurm() {
    mkdir -p "$SLURM"/{munge,state,spool,log}
    chmod 700 "$SLURM/munge"
    head -c 1024 /dev/urandom >"$SLURM/munge/munge.key"
    chmod 400 "$SLURM/munge/munge.key"
    # -f: munged refuses to run as root, or with a socket dir others cannot enter, without it
    munged -F -f --socket="$SLURM/munge/sock" --key-file="$SLURM/munge/munge.key" \
        --pid-file="$SLURM/munge/pid" --log-file="$SLURM/log/munged.log" \
        --seed-file="$SLURM/munge/seed" >"$SLURM/log/munged.out" 2>&1 &
    SLURM_PIDS+=($!)
    local i
    for i in $(seq 100); do [ -S "$SLURM/munge/sock" ] && break; sleep 0.1; done
    [ -S "$SLURM/munge/sock" ] || { echo "munged did not start: $(tail -c 300 "$SLURM/log/munged.out")"; return 1; }
    local ports
    read -r -a ports < <(free_ports)
    cat >"$SLURM/slurm.conf" <<EOF
ClusterName=blalmtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=${ports[0]}
SlurmdPort=${ports[1]}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SLURM/munge/sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$SLURM/state
SlurmdSpoolDir=$SLURM/spool
SlurmctldPidFile=$SLURM/slurmctld.pid
SlurmdPidFile=$SLURM/slurmd.pid
SlurmctldLogFile=$SLURM/log/slurmctld.log
SlurmdLogFile=$SLURM/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
MpiDefault=none
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
PlugStackConfig=/dev/null
NodeName=blalmnode NodeHostname=$(hostname) NodeAddr=127.0.0.1 CPUs=2 RealMemory=500 State=UNKNOWN
PartitionName=test Nodes=blalmnode Default=YES MaxTime=10 State=UP
EOF
    export SLURM_CONF=$SLURM/slurm.conf
    slurmctld -D -f "$SLURM_CONF" >"$SLURM/log/slurmctld.out" 2>&1 &
    SLURM_PIDS+=($!)
    slurmd -D -f "$SLURM_CONF" -N blalmnode >"$SLURM/log/slurmd.out" 2>&1 &
    SLURM_PIDS+=($!)
    for i in $(seq 300); do
        sinfo -h -o %t 2>/dev/null | grep -qx idle && return 0
        sleep 0.1
    done
    echo "the node did not come up: $(sinfo 2>&1 | tail -2) $(tail -c 300 "$SLURM/log/slurmctld.log" 2>/dev/null) $(tail -c 300 "$SLURM/log/slurmd.log" 2>/dev/null)"
    return 1
}

# srun_train: blalm train's tasks under srun, in the started Slurm
srun_train() {
    if ! "$BLALM" train --help | grep -q "mpirun -np N"; then
        skip cluster_srun_train "this blalm was built without Open MPI (install libopenmpi-dev and rebuild)"; return
    fi
    if ! srun --mpi=list 2>&1 | grep -qx '[[:space:]]*pmix'; then
        skip cluster_srun_train "this Slurm has no PMIx plugin (srun --mpi=list): $(srun --mpi=list 2>&1 | flat)"; return
    fi
    local C=$TMP/srun-corpus CFG8=$TMP/srun-tiny8.json rc
    # the tasks start Open MPI, whose own allocations LeakSanitizer reports
    # at exit (as in train_mpi_agree.sh); srun passes the environment on
    local -x ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
    synthetic_corpus "$C"
    sed 's/"batch_size": 4/"batch_size": 8/' "$(dirname "$0")/../../configs/model-tiny.json" >"$CFG8"
    local a=(train --corpus "$C" --model "$CFG8" --max-steps 6 -q)
    "$BLALM" "${a[@]}" --out "$TMP/srun-one" 2>"$TMP/srun.err" ||
        { fail cluster_srun_train_one_process "$(tail -c 600 "$TMP/srun.err" | flat)"; return; }
    a+=(--tokenizer "$TMP/srun-one/tokenizer.json")
    (cd "$TMP" && timeout 180 srun --mpi=pmix -n 2 "$BLALM" "${a[@]}" --out "$TMP/srun-two") >"$TMP/srun.err" 2>&1; rc=$?
    if [ $rc = 0 ] && [ "$(grep -c '"loss"' "$TMP/srun-two/log.jsonl")" = 6 ] &&
       cmp -s "$TMP/srun-one/checkpoints/latest.bin" "$TMP/srun-two/checkpoints/latest.bin"; then
        pass cluster_srun_pmix_train_same_checkpoint
    else
        fail cluster_srun_pmix_train_same_checkpoint "rc $rc: $(tail -c 600 "$TMP/srun.err" | flat)"
    fi
    # the two tasks are one MPI world: --bench reports 2 ranks, once
    (cd "$TMP" && timeout 120 srun --mpi=pmix -n 2 "$BLALM" train --model "$CFG8" --bench 2) >"$TMP/srun.out" 2>&1; rc=$?
    if [ $rc = 0 ] && [ "$(grep -c '"ranks":2' "$TMP/srun.out")" = 1 ]; then pass cluster_srun_pmix_train_one_world
    else fail cluster_srun_pmix_train_one_world "rc $rc: $(tail -c 600 "$TMP/srun.out" | flat)"; fi
    # without a PMI each task is refused, and nothing is made
    (cd "$TMP" && timeout 120 srun --mpi=none -n 2 "$BLALM" "${a[@]}" --out "$TMP/srun-none") >"$TMP/srun.err" 2>&1; rc=$?
    if [ $rc = 2 ] && [ "$(grep -c 'started by srun as task [01] of tasks 0\.\.1 without a PMI' "$TMP/srun.err")" = 2 ] &&
       [ ! -e "$TMP/srun-none" ]; then
        pass cluster_srun_without_pmix_train_refused
    else
        fail cluster_srun_without_pmix_train_refused "rc $rc: $(ls -A "$TMP/srun-none" 2>&1 | flat) $(tail -c 600 "$TMP/srun.err" | flat)"
    fi
    # a child of a task (sh -c 'blalm ...; ...', not exec) only inherits the
    # step's variables: no task, one process of its own (a sweep's runs)
    (cd "$TMP" && timeout 120 srun --mpi=none -n 2 sh -c '"$0" train --model "$1" --bench 1; :' "$BLALM" "$CFG8") \
        >"$TMP/srun.out" 2>&1; rc=$?
    if [ $rc = 0 ] && [ "$(grep -c '"ranks":1' "$TMP/srun.out")" = 2 ]; then pass cluster_srun_task_child_trains_alone
    else fail cluster_srun_task_child_trains_alone "rc $rc: $(tail -c 600 "$TMP/srun.out" | flat)"; fi
}

if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
   ! command -v munged >/dev/null; then
    skip cluster_slurm_array "slurm-wlm or munge not installed (Debian slurm-wlm, munge; scripts/deps.sh test installs them)"
    skip cluster_srun_train "slurm-wlm or munge not installed (Debian slurm-wlm, munge; scripts/deps.sh test installs them)"
elif [ "$(id -u)" != 0 ]; then
    skip cluster_slurm_array "slurmd starts each job as its owner, which needs root; run the tests as root (CI does)"
    skip cluster_srun_train "slurmd starts each job as its owner, which needs root; run the tests as root (CI does)"
elif ! grep -q '^fetch:sharded' <(printf '%s\n' "${STAGES[@]}"); then
    skip cluster_slurm_array "fetch is not sharded on this branch"
    skip cluster_srun_train "fetch is not sharded on this branch (the Slurm test starts with its array)"
elif ! start_slurm >"$TMP/slurm.why" 2>&1; then
    fail cluster_slurm_start "$(tail -c 600 "$TMP/slurm.why" | flat)"
else
    pass cluster_slurm_start
    [ -n "$HUB_PID" ] || prep_fetch
    [ -d "$TMP/fetch-ref/out" ] || run_fetch "$TMP/fetch-ref" 0 >/dev/null 2>&1
    mkdir -p "$TMP/sjob"
    # the job inherits this environment (HF_ENDPOINT, no proxies); each array
    # task takes its shard from SLURM_ARRAY_TASK_ID/MIN/COUNT
    if (cd "$TMP/sjob" && timeout 180 sbatch --wait --array=0-2 --job-name=blalm-fetch \
            -o "$TMP/sjob/task-%a.log" \
            --wrap "\"$BLALM\" fetch --repo $FETCH_REPO --path sample/10BT --out \"$TMP/slurm-out\" --jobs 2") \
            >"$TMP/sbatch.out" 2>&1; then
        if same_tree "$TMP/fetch-ref/out" "$TMP/slurm-out"; then
            pass cluster_slurm_array_fetch_identical
        else fail cluster_slurm_array_fetch_identical "$(head -c 600 "$TMP/.diff" | flat)"; fi
        if [ "$(cat "$TMP/sjob"/task-*.log | grep -c 'shard [0-2]/3 (slurm)')" = 3 ]; then
            pass cluster_slurm_array_tasks_took_their_shards
        else fail cluster_slurm_array_tasks_took_their_shards "$(cat "$TMP/sjob"/task-*.log | tail -c 600 | flat)"; fi
    else
        fail cluster_slurm_array_fetch "$(cat "$TMP/sbatch.out" "$TMP/sjob"/task-*.log 2>/dev/null | tail -c 600 | flat)"
    fi
    srun_train
fi
