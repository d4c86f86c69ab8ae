#!/usr/bin/env bash
# blalm tag: MB/s of text per core for each tagger and all four together, on
# the 2,100 real FineWeb documents, beside npm text-readability computing
# Flesch reading ease on the same texts in the same run. One thread.
# Times are CPU seconds (user + sys), the best of 5 runs (shared or virtual
# machines slow whole runs down by up to 40% at times; the median is printed
# beside it); "tagging only" subtracts the cost of reading the same file
# (blalm count), measured in the same run.
set -u
# One thread: OpenBLAS (linked into bin/blalm for the trainer) otherwise starts
# worker threads at load time whose spin-wait adds ~0.1 s CPU to every run.
export OPENBLAS_NUM_THREADS=1
BLALM=${BLALM_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
src=${BLALM_SHARED_DATA:-}/fineweb-legal.jsonl.zst
if [ ! -f "$src" ]; then
    echo "skip: ../shared/data/fineweb-legal.jsonl.zst not found"
    exit 0
fi
mkdir -p "$TMP/w/docs/fw"
ln -s "$src" "$TMP/w/docs/fw/legal.jsonl.zst"
bytes=$("$BLALM" count --json -q "$src" | tail -1 | sed 's/.*"bytes":\([0-9]*\).*/\1/')
cpu() { # best and median of 5 CPU times (user+sys) of a command, in seconds
    local t
    : >"$TMP/all"
    for _ in 1 2 3 4 5; do
        /usr/bin/time -f "%U %S" -o "$TMP/t" "$@" >/dev/null 2>&1
        awk '{print $1 + $2}' "$TMP/t" >>"$TMP/all"
    done
    sort -g "$TMP/all" | awk '{v[NR] = $1} END {print v[1], v[3]}'
}
set -- $(cpu "$BLALM" count -q "$src")
read_s=$1
echo "input: fineweb-legal.jsonl.zst, 2,100 real FineWeb documents, $(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e6}') MB of text"
printf "%-34s %9s %14s %12s\n" "tagger" "MB/s" "tagging only" "median MB/s"
for t in readability gopher c4 fineweb readability,gopher,c4,fineweb; do
    set -- $(cpu "$BLALM" tag --work "$TMP/w" --taggers "$t" --force --quiet)
    awk -v n="$t" -v b="$bytes" -v s="$1" -v m="$2" -v r="$read_s" 'BEGIN{
        o = s - r; if (o <= 0) o = 1e-9;
        printf "%-34s %9.2f %14.2f %12.2f\n", n, b/s/1e6, b/o/1e6, b/m/1e6 }'
    [ "$t" = readability,gopher,c4,fineweb ] && all=$1
done
peer=
if command -v node >/dev/null && [ -d "$here/../oracle/node_modules/text-readability" ]; then
    # every 4th document (a quarter of the text) keeps the peer's run short
    peer=$(zstd -dc "$src" | awk 'NR % 4 == 1' | node "$here/../oracle/tag_text_readability.mjs" --flesch-only)
fi
if [ -n "$peer" ]; then
    set -- $peer
    awk -v b="$bytes" -v s="$all" -v p="$1" 'BEGIN{
        printf "npm text-readability, Flesch only:  %9.2f MB/s (same texts, every 4th document)\n", p;
        printf "ratio (blalm all four / npm Flesch): %.1fx\n", (b/s/1e6) / p;
        printf "goal: >= 20 MB/s for all four on one core: %s\n", (b/s/1e6 >= 20) ? "met" : "NOT met" }'
else
    echo "FAIL peer missing: npm text-readability (make bench installs it through scripts/deps.sh test)"; exit 1
fi
