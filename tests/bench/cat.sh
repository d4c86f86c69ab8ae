#!/usr/bin/env bash
# blalm cat (every document of a jsonl.zst printed as one JSON line
# {"id","text","source","metadata"}), one thread, beside the peer doing the
# same work: `zstd -dc FILE | python3 tests/bench/cat_peer.py write` (json
# loads and dumps of each line). Both outputs must hold the same documents in
# the same order, compared parsed (else FAIL mismatch). MB/s of the input's
# uncompressed JSON per CPU second (the machine may be shared), best of 3
# each: the peer's CPU is zstd's and python's together.
# CAT_BENCH_COPIES (default 5) copies of the 2,100 FineWeb documents of
# ../shared/data (14.8 MB of text each).
set -u
BLALM=${BLALM_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.bash"
PY=/usr/bin/python3
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
src=${BLALM_SHARED_DATA:-}/fineweb-legal.jsonl.zst
if [ ! -f "$src" ]; then
    echo "skip: ../shared/data/fineweb-legal.jsonl.zst not found"
    exit 0
fi
copies=${CAT_BENCH_COPIES:-5}
f=$TMP/bench.jsonl.zst
for i in $(seq "$copies"); do zstd -dc "$src"; done | zstd -q -3 -o "$f" || bench_fail setup "making the input"
json=$(zstd -dc "$f" | wc -c)
bench_pos setup "bytes of JSON" "$json"
echo "input: fineweb-legal.jsonl.zst (2,100 real FineWeb documents) x$copies, $(awk -v b="$json" 'BEGIN{printf "%.1f", b/1e6}') MB of JSON lines"
peer() { zstd -dc "$f" | "$PY" "$here/cat_peer.py" write bench; }
bench_run blalm "cat" "$BLALM" cat "$f" >"$TMP/ours.jsonl"
bench_run peer "zstd -dc | cat_peer.py" peer >"$TMP/peer.jsonl"
r=$("$PY" "$here/cat_peer.py" compare "$TMP/ours.jsonl" "$TMP/peer.jsonl" 2>&1) || bench_fail mismatch "blalm cat and the peer: $r"
read -r docs tbytes <<<"$r"
bench_pos blalm "documents" "$docs"
bench_same "documents" "$docs" "$((2100 * copies))"
rm -f "$TMP/ours.jsonl" "$TMP/peer.jsonl"
bench_cpu ours blalm "$BLALM" cat "$f"
bench_cpu theirs peer sh -c "zstd -dc '$f' | '$PY' '$here/cat_peer.py' write bench"
bench_pos blalm "CPU seconds" "$ours"; bench_pos peer "CPU seconds" "$theirs"
awk -v b="$json" -v n="$docs" -v o="$ours" -v p="$theirs" 'BEGIN{
    printf "blalm cat:                         %7.1f MB of JSON per CPU-s (%.2f CPU-s, %d documents; best of 3)\n", b/o/1e6, o, n;
    printf "zstd -dc | python3 json loads/dumps: %6.1f MB of JSON per CPU-s (%.2f CPU-s, the same documents; best of 3)\n", b/p/1e6, p;
    printf "ratio (peer time / ours): %.2f\n", p/o }'
