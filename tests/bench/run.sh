#!/usr/bin/env bash
# Runs every benchmark (tests/bench/*.sh). Each prints its figure, its peer's
# figure measured in the same run, and the ratio. BENCH=name runs that bench
# only, BENCH=a,b,c those (exact names: BENCH=train is not train_parallel).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${BLALM_BIN:?}"
if [ -z "${BLALM_SHARED_DATA:-}" ] && [ -d "$root/../shared/data" ]; then
    export BLALM_SHARED_DATA=$(cd "$root/../shared/data" && pwd)
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
all=()
for b in "$here"/*.sh; do
    name=$(basename "$b" .sh)
    [ "$name" = run ] || all+=("$name")
done
picked=("${all[@]}")
if [ -n "${BENCH:-}" ]; then
    IFS=, read -r -a picked <<<"$BENCH"
    for p in "${picked[@]}"; do   # a typo must not pass as "nothing failed"
        [ -f "$here/$p.sh" ] && [ "$p" != run ] ||
            { echo "run.sh: no bench named '$p' (BENCH takes exact names, comma-separated: ${all[*]})"; exit 2; }
    done
fi
status=0
for name in "${picked[@]}"; do
    echo "== bench $name"
    bash "$here/$name.sh" || { echo "bench $name failed"; status=1; }
done
exit $status
