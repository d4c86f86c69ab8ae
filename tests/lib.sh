# tests/lib.sh - helpers for end-to-end and oracle test scripts.
# Each script prints "PASS name", "FAIL name: why" or "SKIP name: why" lines.
# Sourced; expects BLALM_BIN; gives TMP (removed on exit) and SHARED_DATA.
set -u
BLALM=${BLALM_BIN:?BLALM_BIN not set}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/blalm-e2e-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
SHARED_DATA=${BLALM_SHARED_DATA:-}
PY=/usr/bin/python3
# a test run inside a Slurm array, an srun step or under mpirun must not shard
# the stages it drives (nor have run, ablate and train refuse to start)
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_COUNT OMPI_COMM_WORLD_RANK OMPI_COMM_WORLD_SIZE \
    SLURM_PROCID SLURM_STEP_NUM_TASKS SLURM_TASK_PID PMIX_RANK PMI_RANK
# no Hub token from the user's shell or login (`hf auth login` saves one
# under ~/.cache/huggingface, which fetch reads when HF_TOKEN is unset):
# the tests that want one set it
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN HF_HOME HF_HUB_DISABLE_IMPLICIT_TOKEN
export HF_TOKEN_PATH=$TMP/no-hf-token-file
ORACLE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/oracle" && pwd)

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }
# check NAME CMD... : pass when the command succeeds
check() { local n=$1; shift; if "$@" >"$TMP/.out" 2>&1; then pass "$n"; else fail "$n" "$(tail -c 600 "$TMP/.out" | tr '\n' ' ')"; fi; }
# dead_pid: a pid no process has (for planting a killed run's temporary files)
dead_pid() {
    "$PY" -c '
import os
for p in range(4_000_000, 3_000_000, -1):
    try:
        os.kill(p, 0)
    except ProcessLookupError:
        print(p); break
    except PermissionError:
        pass
'
}
need_shared() { [ -n "$SHARED_DATA" ] && [ -d "$SHARED_DATA" ]; }
have_node_oracles() { [ -d "$ORACLE_DIR/node_modules/@duckdb/node-api" ] && command -v node >/dev/null; }
have_py() { [ -x "$PY" ] && "$PY" -c "import $1" 2>/dev/null; }
# synthetic_docs N SEED: N documents of 2-5 sentences over 25 words, one a
# line, blank lines between (awk's rand is seeded: the same text everywhere)
synthetic_docs() { awk -v n="$1" -v seed="$2" 'BEGIN { srand(seed);
    split("the cat dog sat on a mat and ran to house with big small red blue tree under over he she it was is", w, " ");
    for (d = 0; d < n; d++) { if (d) printf "\n";
        s = 2 + int(rand() * 4);
        for (i = 0; i < s; i++) { k = 4 + int(rand() * 8); line = "";
            for (j = 0; j < k; j++) line = line (j ? " " : "") w[1 + int(rand() * 25)];
            printf "%s%s", (i ? " " : ""), line "." }
        printf "\n" } }'; }
# need_mpi NAME: skips NAME and ends the test script unless mpirun is here and
# this blalm was built with Open MPI
need_mpi() {
    if ! command -v mpirun >/dev/null 2>&1; then
        skip "$1" "mpirun not found (scripts/deps.sh test installs openmpi-bin and libopenmpi-dev)"
        exit 0
    fi
    if ! "$BLALM" train --help | grep -q "mpirun -np N"; then
        skip "$1" "this blalm was built without Open MPI (install libopenmpi-dev and rebuild)"
        exit 0
    fi
}
# line_corpus DIR SEED DEV_LINES: DIR/train/x.train, 300 sentences of 12
# words over the same 25 words, a blank line after each; DIR/dev/x.dev, its
# first DEV_LINES lines (small and quick to train on, for eval and ablate)
line_corpus() {
    mkdir -p "$1/train" "$1/dev"
    awk -v seed="$2" 'BEGIN { srand(seed);
        split("the cat dog sat on a mat and ran to house with big small red blue tree under over he she it was is", w, " ");
        for (d = 0; d < 300; d++) { line = ""; for (j = 0; j < 12; j++) line = line (j ? " " : "") w[1 + int(rand() * 25)];
            print line "."; print "" } }' >"$1/train/x.train"
    head -"$3" "$1/train/x.train" >"$1/dev/x.dev"
}
# synthetic_corpus DIR: a BabyLM-layout corpus of 300 train and 40 dev
# synthetic documents (DIR/train/synthetic.train, DIR/dev/synthetic.dev)
synthetic_corpus() {
    mkdir -p "$1/train" "$1/dev"
    synthetic_docs 300 1 >"$1/train/synthetic.train"
    synthetic_docs 40 2 >"$1/dev/synthetic.dev"
}
