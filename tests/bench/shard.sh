#!/usr/bin/env bash
# blalm shard --max-bytes 0 (every document of a jsonl.zst written as one JSON line
# {"id","text","source","metadata"} to one zstd shard, level 3), one thread,
# beside the peer doing the
# same work: `zstd -dc FILE | python3 tests/bench/cat_peer.py write | zstd -3` (json
# loads and dumps of each line). Both outputs, decompressed, must hold the same documents in
# the same order, compared parsed (else FAIL mismatch). MB/s of the input's
# uncompressed JSON per CPU second (the machine may be shared), best of 3
# each: the peer's CPU is both zstds' and python's together.
# SHARD_BENCH_COPIES (default 5) copies of the 2,100 FineWeb documents of
# ../shared/data (14.8 MB of text each).
set -u
BLALM=${BLALM_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.bash"
PY=/usr/bin/python3
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
copies=${SHARD_BENCH_COPIES:-5}
bench_json_input "$copies"
peer() { zstd -dc "$f" | "$PY" "$here/cat_peer.py" write bench | zstd -q -3 -f -o "$1"; }
bench_run blalm "shard" "$BLALM" shard --out "$TMP/o" --max-bytes 0 -q "$f"
[ -f "$TMP/o/shard-00000.jsonl.zst" ] && [ "$(ls "$TMP/o" | wc -l)" = 1 ] || bench_fail blalm "shard: not one shard-00000.jsonl.zst: $(ls "$TMP/o")"
bench_run peer "zstd -dc | cat_peer.py | zstd" peer "$TMP/peer.jsonl.zst"
zstd -dc "$TMP/o/shard-00000.jsonl.zst" >"$TMP/ours.jsonl" || bench_fail blalm "the shard does not decompress"
zstd -dc "$TMP/peer.jsonl.zst" >"$TMP/peer.jsonl" || bench_fail peer "its output does not decompress"
bench_json_same "blalm shard" "$TMP/ours.jsonl" "$TMP/peer.jsonl" "$copies"
bench_cpu ours blalm "$BLALM" shard --out "$TMP/o" --max-bytes 0 -q "$f"
bench_cpu theirs peer sh -c "zstd -dc '$f' | '$PY' '$here/cat_peer.py' write bench | zstd -q -3 -f -o '$TMP/peer.jsonl.zst'"
bench_json_figures "blalm shard:" "zstd -dc | python3 json | zstd -3: "
