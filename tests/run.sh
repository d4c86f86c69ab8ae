#!/usr/bin/env bash
# Runs every test tier and ends with "N passed, N failed[, N skipped]".
#   unit:   build/<variant>/tests/test_*      (C)
#   e2e:    tests/e2e/*.sh                    (drive bin/blalm)
#   oracle: tests/oracle/*.sh                 (independent implementations)
# TESTS=pattern runs only tiers/files whose name matches.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
: "${BLALM_BIN:?}" "${BLALM_UNIT_DIR:?}"
export BLALM_BIN BLALM_UNIT_DIR
if [ -z "${BLALM_SHARED_DATA:-}" ] && [ -d "$root/../shared/data" ]; then
    export BLALM_SHARED_DATA=$(cd "$root/../shared/data" && pwd)
fi
export BLALM_DELAY_SCALE=${BLALM_DELAY_SCALE:-0.01}   # retry/backoff delays in tests
export BLALM_PROGRESS_SECONDS=${BLALM_PROGRESS_SECONDS:-3600}
if [ "${SAN:-}" = 1 ]; then
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi
pattern=${TESTS:-}
log=$(mktemp); trap 'rm -f "$log"' EXIT
[ -z "${BLALM_SHARED_DATA:-}" ] && echo "SKIP shared-data: ../shared/data not found; tests on real FineWeb text skip" | tee -a "$log"

run_one() { # name, command...
    local name=$1; shift
    [ -n "$pattern" ] && [[ "$name" != *$pattern* ]] && return
    local start=$SECONDS out rc
    out=$("$@" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^(PASS|FAIL|SKIP) ' >>"$log"
    printf '%s\n' "$out" | sed "s|^|[$name] |" | grep -E '^\[[^]]*\] (FAIL|SKIP) ' || true
    if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^FAIL '; then
        # a crash or an unexpected exit counts as a failure, with its last output
        echo "FAIL $name: exited $rc: $(printf '%s' "$out" | tail -c 800 | tr '\n' ' ')" | tee -a "$log"
    fi
    echo "  $name: $(printf '%s\n' "$out" | grep -c '^PASS ') passed ($((SECONDS-start))s)"
}

echo "== unit"
for t in "$BLALM_UNIT_DIR"/test_*; do [ -x "$t" ] && run_one "$(basename "$t")" "$t"; done
echo "== e2e"
for t in "$here"/e2e/*.sh; do [ -f "$t" ] && run_one "e2e/$(basename "$t")" bash "$t"; done
echo "== oracle"
for t in "$here"/oracle/*.sh; do [ -f "$t" ] && run_one "oracle/$(basename "$t")" bash "$t"; done

p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
if [ "$s" -gt 0 ]; then echo "$p passed, $f failed, $s skipped"; else echo "$p passed, $f failed"; fi
[ "$f" -eq 0 ] && [ "$p" -gt 0 ]
