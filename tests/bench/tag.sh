#!/usr/bin/env bash
# blalm tag: MB/s of text per core for each tagger and all four together, on
# the 2,100 real FineWeb documents, beside npm text-readability computing
# Flesch reading ease on the same texts in the same run. One thread.
# Times are CPU seconds (user + sys), the best of 5 runs (shared or virtual
# machines slow whole runs down by up to 40% at times; the median is printed
# beside it); "tagging only" subtracts the cost of reading the same file
# (blalm count), measured in the same run. The peer is measured the same
# way: its own CPU seconds (process.cpuUsage()) over the scoring loop, best
# of 5 runs; the ratio is of the two MB per CPU-s figures.
set -u
# One thread: OpenBLAS (linked into bin/blalm for the trainer) otherwise starts
# worker threads at load time whose spin-wait adds ~0.1 s CPU to every run.
export OPENBLAS_NUM_THREADS=1
BLALM=${BLALM_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.bash"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
src=${BLALM_SHARED_DATA:-}/fineweb-legal.jsonl.zst
if [ ! -f "$src" ]; then
    echo "skip: ../shared/data/fineweb-legal.jsonl.zst not found"
    exit 0
fi
mkdir -p "$TMP/w/docs/fw"
ln -s "$src" "$TMP/w/docs/fw/legal.jsonl.zst"
if ! command -v node >/dev/null || [ ! -d "$here/../oracle/node_modules/text-readability" ]; then
    echo "FAIL peer missing: npm text-readability (make bench installs it through scripts/deps.sh test)"; exit 1
fi
r=$("$BLALM" count --json -q "$src") || bench_fail blalm "count --json"
bytes=$(tail -1 <<<"$r" | sed -n 's/.*"bytes":\([0-9]*\).*/\1/p')
bench_pos blalm "bytes of text" "$bytes"
# cpu SIDE CMD...: best and median of 5 CPU times (user+sys) of CMD, in
# seconds, into $best and $median; the bench fails if CMD fails
cpu() {
    local side=$1 rc; shift
    : >"$TMP/all"
    for _ in 1 2 3 4 5; do
        /usr/bin/time -f "%U %S" -o "$TMP/t" "$@" >/dev/null 2>"$TMP/err"; rc=$?
        [ $rc = 0 ] || bench_fail "$side" "$* (exit $rc): $(tail -3 "$TMP/err")"
        awk '{print $1 + $2}' "$TMP/t" >>"$TMP/all"
    done
    read -r best median < <(sort -g "$TMP/all" | awk '{v[NR] = $1} END {print v[1], v[3]}')
    bench_pos "$side" "CPU seconds of $1" "$best"
}
cpu blalm "$BLALM" count -q "$src"
read_s=$best
echo "input: fineweb-legal.jsonl.zst, 2,100 real FineWeb documents, $(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e6}') MB of text"
printf "%-34s %9s %14s %12s\n" "tagger" "MB/CPU-s" "tagging only" "median"
for t in readability gopher c4 fineweb readability,gopher,c4,fineweb; do
    cpu blalm "$BLALM" tag --work "$TMP/w" --taggers "$t" --force --quiet
    awk -v n="$t" -v b="$bytes" -v s="$best" -v m="$median" -v r="$read_s" 'BEGIN{
        o = s - r; if (o <= 0) o = 1e-9;
        printf "%-34s %9.2f %14.2f %12.2f\n", n, b/s/1e6, b/o/1e6, b/m/1e6 }'
    [ "$t" = readability,gopher,c4,fineweb ] && all=$best
done
# every 4th document (a quarter of the text) keeps the peer's runs short
zstd -dc "$src" | awk 'NR % 4 == 1' >"$TMP/quarter.jsonl" || bench_fail peer "making its input"
: >"$TMP/peer"
for _ in 1 2 3 4 5; do
    node "$here/../oracle/tag_text_readability.mjs" --flesch-only <"$TMP/quarter.jsonl" >>"$TMP/peer" ||
        bench_fail peer "tag_text_readability.mjs --flesch-only"
done
# best: the least CPU seconds (field 3) of the five runs
read -r pbytes pcpu pwall < <(sort -g -k3,3 "$TMP/peer" | awk 'NR == 1 { print $2, $3, $4 }')
bench_pos peer "bytes" "${pbytes:-}"
bench_pos peer "CPU seconds" "${pcpu:-}"
awk -v b="$bytes" -v s="$all" -v pb="$pbytes" -v pc="$pcpu" -v pw="$pwall" 'BEGIN{
    p = pb/pc/1e6;
    printf "npm text-readability, Flesch only:  %9.2f MB per CPU-s, best of 5 (%.2f CPU-s, %.2f s wall; same texts, every 4th document)\n", p, pc, pw;
    printf "ratio (blalm all four / npm Flesch, MB per CPU-s): %.1fx\n", (b/s/1e6) / p;
    printf "goal: >= 20 MB per CPU-s for all four on one core: %s\n", (b/s/1e6 >= 20) ? "met" : "NOT met" }'
