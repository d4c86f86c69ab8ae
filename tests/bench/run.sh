#!/usr/bin/env bash
# Runs every benchmark (tests/bench/*.sh). Each prints its figure, its peer's
# figure measured in the same run, and the ratio. BENCH=pattern selects some.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${BLALM_BIN:?}"
if [ -z "${BLALM_SHARED_DATA:-}" ] && [ -d "$root/../shared/data" ]; then
    export BLALM_SHARED_DATA=$(cd "$root/../shared/data" && pwd)
fi
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
status=0
for b in "$here"/*.sh; do
    name=$(basename "$b" .sh)
    [ "$name" = run ] && continue
    [ -n "${BENCH:-}" ] && [[ "$name" != *$BENCH* ]] && continue
    echo "== bench $name"
    bash "$b" || { echo "bench $name failed"; status=1; }
done
exit $status
