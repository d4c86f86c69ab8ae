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
copies=${CAT_BENCH_COPIES:-5}
bench_json_input "$copies"
peer() { zstd -dc "$f" | "$PY" "$here/cat_peer.py" write bench; }
bench_run blalm "cat" "$BLALM" cat "$f" >"$TMP/ours.jsonl"
bench_run peer "zstd -dc | cat_peer.py" peer >"$TMP/peer.jsonl"
bench_json_same "blalm cat" "$TMP/ours.jsonl" "$TMP/peer.jsonl" "$copies"
bench_cpu ours blalm "$BLALM" cat "$f"
bench_cpu theirs peer sh -c "zstd -dc '$f' | '$PY' '$here/cat_peer.py' write bench"
bench_json_figures "blalm cat:" "zstd -dc | python3 json loads/dumps: "
