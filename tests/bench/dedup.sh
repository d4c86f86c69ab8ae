#!/usr/bin/env bash
# Benchmarks for `blalm dedup` (one thread):
#  1. signature stage: MB of text per second (wall, and per CPU second, which
#     is steadier on a shared machine) beside a numpy peer computing the same
#     MinHash signatures in datatrove's manner (str.split words, not spaCy);
#  2. buckets + cluster stages on 1M and 10M synthetic signatures: time and
#     peak memory (getrusage ru_maxrss), to show how they grow.
# BENCH_DEDUP_SIZES overrides the synthetic sizes (default "1000000 10000000").
set -u
BLALM=${BLALM_BIN:?BLALM_BIN not set}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.bash"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/blalm-bench-XXXXXX"); trap 'rm -rf "$TMP"' EXIT
export BLALM_PROGRESS_SECONDS=3600
DATA=${BLALM_SHARED_DATA:-$here/../../../shared/data}/fineweb-legal.jsonl.zst
mkdir -p "$TMP/w/docs/legal"
if [ -f "$DATA" ]; then
    ln -s "$DATA" "$TMP/w/docs/legal/fineweb-legal.jsonl.zst"; what="FineWeb text (fineweb-legal, 2,100 docs)"
else
    "$here/../oracle/dedup_groundtruth.py" make "$TMP/w" synthetic 1 2>/dev/null || bench_fail setup "dedup_groundtruth.py make"
    what="synthetic text"
    DATA=$TMP/w/docs/test/part-00.jsonl
fi
if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    echo "FAIL peer missing: /usr/bin/python3 with numpy (make bench installs it through scripts/deps.sh test)"; exit 1
fi
out=$("$BLALM" dedup --work "$TMP/w" --stage signatures --threads 1 2>&1) || bench_fail blalm "dedup --stage signatures: $(tail -3 <<<"$out")"
line=$(tail -1 <<<"$out")
wall=$(sed -n 's/.*(\([0-9.]*\) MB\/s;.*/\1/p' <<<"$line")
cpu=$(sed -n 's/.*, \([0-9.]*\) MB per CPU s.*/\1/p' <<<"$line")
bench_pos blalm "signatures MB/s wall (from: $line)" "$wall"
bench_pos blalm "signatures MB per CPU s (from: $line)" "$cpu"
echo "dedup signatures on $what: $wall MB/s wall, $cpu MB/s per CPU second (goal >= 30)"
peer=$(/usr/bin/python3 "$here/dedup_peer.py" "$DATA" 3000000) || bench_fail peer "dedup_peer.py"
bench_pos peer "MB per CPU second" "$peer"
ratio=$(awk -v a="$cpu" -v b="$peer" 'BEGIN{ printf "%.1f", a / b }')
echo "peer (numpy MinHash, datatrove's method with str.split words): $peer MB/s per CPU second; ratio $ratio x"
echo "datatrove with spaCy words (REFERENCE.md §4): about 0.27 MB/s per core"
for n in ${BENCH_DEDUP_SIZES:-1000000 10000000}; do
    w="$TMP/s$n"
    bench_run blalm "dedup --synthetic $n" "$BLALM" dedup --work "$w" --synthetic "$n" --quiet
    b=$("$BLALM" dedup --work "$w" --stage buckets --threads 1 --mem 512 2>&1) || bench_fail blalm "dedup --stage buckets ($n): $(tail -3 <<<"$b")"
    c=$("$BLALM" dedup --work "$w" --stage cluster --threads 1 2>&1) || bench_fail blalm "dedup --stage cluster ($n): $(tail -3 <<<"$c")"
    b=$(tail -1 <<<"$b"); c=$(tail -1 <<<"$c")
    echo "synthetic $n signatures (10% near-copies):"
    echo "  ${b#blalm dedup: }"
    echo "  ${c#blalm dedup: }"
    rm -rf "$w"
done
