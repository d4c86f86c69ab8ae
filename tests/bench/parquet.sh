#!/usr/bin/env bash
# Parquet decode throughput (MB/s of text, one thread) of our reader vs DuckDB
# (SET threads=1; SELECT sum(strlen(text))) on the same files, same run:
# real FineWeb text (../shared/data/fineweb-legal) replicated to ~PARQUET_BENCH_MB
# (default 200) MB, written by DuckDB with snappy and with zstd. Best of 3 each.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
oracle=$root/tests/oracle
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
mb=${PARQUET_BENCH_MB:-200}
if [ ! -d "$oracle/node_modules/@duckdb/node-api" ] || ! command -v node >/dev/null; then
    echo "parquet bench: skipped (node or tests/oracle/node_modules missing; make test-deps)"; exit 0
fi
helper=$root/build/release/tests/test_parquet
make -s -C "$root" unit-bins >/dev/null || exit 1
shared=${BLALM_SHARED_DATA:-$root/../shared/data}/fineweb-legal
[ -d "$shared" ] || shared=
rep=$(node "$oracle/parquet_bench.mjs" make "$TMP" "$shared" "$mb") || exit 1
echo "input: ${shared:+real FineWeb text (fineweb-legal) }${shared:-synthetic text (shared data absent) }$rep, written by DuckDB"
for codec in snappy zstd; do
    f=$TMP/bench_$codec.parquet
    read -r ob od os < <("$helper" --sum-text "$f" 3) || exit 1
    read -r db dd ds < <(node "$oracle/parquet_bench.mjs" time "$f" 3) || exit 1
    [ "$ob" = "$db" ] && [ "$od" = "$dd" ] || echo "WARNING: byte/row counts differ: ours $ob/$od duckdb $db/$dd"
    awk -v c="$codec" -v f="$(stat -c %s "$f")" -v b="$ob" -v o="$os" -v p="$ds" 'BEGIN{
        printf "%-6s (%.0f MB file, %.0f MB text): blalm %7.1f MB/s (%.2f s)  DuckDB 1 thread %7.1f MB/s (%.2f s)  ratio %.2f (goal >= 1.0)\n",
               c, f/1e6, b/1e6, b/o/1e6, o, b/p/1e6, p, p/o }'
done
