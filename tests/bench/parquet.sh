#!/usr/bin/env bash
# Parquet decode throughput (MB/s of text, one thread) of our reader vs DuckDB
# (SET threads=1; SELECT sum(strlen(text))) on the same files, same run:
# real FineWeb text (../shared/data/fineweb-legal) replicated to ~PARQUET_BENCH_MB
# (default 200) MB, written by arrow-rs with snappy and zstd (1 MB pages, the layout
# pyarrow gave FineWeb-Edu) and by DuckDB with snappy (100 MB pages). Best of 3 each.
# Both sides report the text bytes and rows they read; the bench fails when
# they differ.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.bash"
root=$(cd "$here/../.." && pwd)
oracle=$root/tests/oracle
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
mb=${PARQUET_BENCH_MB:-200}
if [ ! -d "$oracle/node_modules/@duckdb/node-api" ] || ! command -v node >/dev/null; then
    echo "FAIL peer missing: node or DuckDB in tests/oracle/node_modules (make bench installs them through scripts/deps.sh test)"; exit 1
fi
helper=$root/build/release/tests/test_parquet
make -s -C "$root" unit-bins >/dev/null || bench_fail blalm "make unit-bins"
shared=${BLALM_SHARED_DATA:-$root/../shared/data}/fineweb-legal
[ -d "$shared" ] || shared=
rep=$(node "$oracle/parquet_bench.mjs" make "$TMP" "$shared" "$mb") || bench_fail peer "parquet_bench.mjs make (writing the files)"
if [ -n "$shared" ]; then what="real FineWeb text (fineweb-legal)"; else what="synthetic text (shared data absent)"; fi
echo "input: $what $rep; files written by arrow-rs (parquet-wasm; 1 MB pages like pyarrow's) and DuckDB (100 MB pages)"
echo "best of 3 passes each; CPU seconds are each process's own (the machine may be shared)"
for codec in arrow_snappy arrow_zstd duckdb_snappy; do
    f=$TMP/$codec.parquet
    r=$("$helper" --sum-text "$f" 3) || bench_fail blalm "test_parquet --sum-text $codec"
    read -r ob od os oc <<<"$r"
    r=$(node "$oracle/parquet_bench.mjs" time "$f" 3) || bench_fail peer "DuckDB on $codec"
    read -r db dd ds dc <<<"$r"
    for x in "$ob" "$od" "$os" "$oc"; do bench_pos blalm "$codec: bytes rows wall CPU" "$x"; done
    for x in "$db" "$dd" "$ds" "$dc"; do bench_pos peer "$codec: bytes rows wall CPU" "$x"; done
    bench_same "$codec: text bytes" "$ob" "$db"
    bench_same "$codec: rows" "$od" "$dd"
    awk -v c="$codec" -v f="$(stat -c %s "$f")" -v b="$ob" -v o="$os" -v p="$ds" -v oc="$oc" -v pc="$dc" 'BEGIN{
        printf "%s (%.0f MB file, %.0f MB of text):\n", c, f/1e6, b/1e6;
        printf "  blalm:           %7.1f MB/s wall (%.2f s), %7.1f MB/s per CPU second (%.2f s)\n", b/o/1e6, o, b/oc/1e6, oc;
        printf "  DuckDB 1 thread: %7.1f MB/s wall (%.2f s), %7.1f MB/s per CPU second (%.2f s)\n", b/p/1e6, p, b/pc/1e6, pc;
        printf "  ratio (DuckDB time / ours): wall %.2f, CPU %.2f  (goal >= 1.0)\n", p/o, pc/oc }'
done
