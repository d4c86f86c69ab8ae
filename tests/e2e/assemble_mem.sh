#!/usr/bin/env bash
# assemble --mem: a small sort budget spills many runs; they share one
# temporary file per sorter and are merged in passes, so the open-file limit
# does not matter (each run once held a descriptor: --mem 64k on 400k
# documents failed under the usual ulimit -n 1024), peak memory does not grow
# as --mem shrinks, and the corpus is byte-identical whatever --mem is.
source "$(dirname "$0")/../lib.sh"

W=$TMP/w
mkdir -p "$W/work/docs/s"
# 30,000 one-line documents: at --mem 64k, about 90 candidate runs and 105
# fate runs, more than ulimit -n 64 allows open at once
"$PY" -c '
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(30000):
        f.write(json.dumps({"id": str(i), "text": "w%d x y" % (i * 7919 % 30011)}) + "\n")
' "$W/work/docs/s/p.jsonl"
echo '{"corpora": [{"name": "c", "budget": 40000, "dev_words": 100}], "rules": [], "ranking": []}' >"$W/c.json"

if "$BLALM" assemble --work "$W/work" --out "$W/ref" --config "$W/c.json" --quiet 2>"$W/err"; then
    pass assemble_mem_reference
else
    fail assemble_mem_reference "$(tail -c 400 "$W/err")"
fi

# --mem 64k under ulimit -n 64: spills (the summary says how many runs), and
# the corpus is the in-memory one
(ulimit -n 64 && exec "$BLALM" assemble --work "$W/work" --out "$W/small" --config "$W/c.json" --mem 64k) \
    >"$W/out" 2>&1; rc=$?
runs=$(grep -oE '[0-9]+ sort runs spilled' "$W/out" | grep -oE '^[0-9]+')
if [ $rc = 0 ] && [ "${runs:-0}" -gt 64 ] && diff -r "$W/ref" "$W/small" >"$W/diff" 2>&1; then
    pass assemble_small_mem_low_open_file_limit
else
    fail assemble_small_mem_low_open_file_limit "exit $rc, runs '${runs:-}': $(tail -c 300 "$W/out") $(head -c 200 "$W/diff" 2>/dev/null)"
fi

# a smaller budget never needs more memory than a larger one that spills too
# (the merge's read buffers come from the budget: they were 64 KiB a run)
peak() { grep -oE 'peak memory [0-9.]+ MB' "$1" | grep -oE '[0-9.]+'; }
"$BLALM" assemble --work "$W/work" --out "$W/m64" --config "$W/c.json" --mem 64k >"$W/out64" 2>&1
"$BLALM" assemble --work "$W/work" --out "$W/m1" --config "$W/c.json" --mem 1M >"$W/out1" 2>&1
p64=$(peak "$W/out64"); p1=$(peak "$W/out1")
if [ -n "$p64" ] && [ -n "$p1" ] && awk -v a="$p64" -v b="$p1" 'BEGIN { exit !(a <= b + 1) }' &&
    diff -r "$W/ref" "$W/m1" >/dev/null 2>&1; then
    pass assemble_smaller_mem_no_larger_peak
else
    fail assemble_smaller_mem_no_larger_peak "peak at 64k '$p64' MB, at 1M '$p1' MB"
fi
