#!/usr/bin/env bash
# scripts/deps.sh as a user sees it: one line per phase, apt's own output in a
# log file, and on failure an error that names that file. apt-get and
# dpkg-query are stubs here (this test must not install anything).
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$TMP/repo/scripts" "$TMP/stub"
cp "$root/scripts/deps.sh" "$TMP/repo/scripts/"
cat >"$TMP/stub/dpkg-query" <<'SH'
#!/bin/sh
exit 1
SH
cat >"$TMP/stub/apt-get" <<'SH'
#!/bin/sh
i=0; while [ $i -lt 300 ]; do echo "Get:$i http://deb.example/debian bookworm/main pkg$i"; i=$((i+1)); done
case "$*" in *install*) [ -n "$APT_FAIL" ] && { echo "E: Unable to locate package nosuch" >&2; exit 100; } ;; esac
exit 0
SH
chmod +x "$TMP/stub/"*
out=$(PATH="$TMP/stub:$PATH" bash "$TMP/repo/scripts/deps.sh" build 2>&1); rc=$?
lines=$(printf '%s\n' "$out" | grep -c .)
[ $rc = 0 ] && [ "$lines" -le 3 ] && grep -q 'Get:299' "$TMP/repo/.work/deps.log" \
    && pass deps_one_line_per_phase || fail deps_one_line_per_phase "rc=$rc, $lines lines: $(printf '%s' "$out" | head -5 | tr '\n' '|')"
out=$(APT_FAIL=1 PATH="$TMP/stub:$PATH" bash "$TMP/repo/scripts/deps.sh" build 2>&1); rc=$?
[ $rc -ne 0 ] && grep -q "apt-get install failed; its output is in $TMP/repo/.work/deps.log" <<<"$out" \
    && grep -q 'Unable to locate package' "$TMP/repo/.work/deps.log" \
    && pass deps_failure_names_log || fail deps_failure_names_log "rc=$rc: $out"
out=$(bash "$TMP/repo/scripts/deps.sh" nonsense 2>&1); rc=$?
[ $rc = 2 ] && grep -q usage <<<"$out" && pass deps_bad_tier || fail deps_bad_tier "rc=$rc: $out"
