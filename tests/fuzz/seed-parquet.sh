#!/usr/bin/env bash
# Seeds for fuzz_parquet: small parquet files written in this run by DuckDB,
# hyparquet-writer and parquet-wasm (every codec, pages v1/v2, delta encodings;
# tests/oracle/parquet_gen.mjs with PQ_GEN_ROWS small) and by our own writer.
#   seed-parquet.sh CORPUS_DIR
set -u
out=${1:?corpus dir}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
if [ -d "$root/tests/oracle/node_modules/@duckdb/node-api" ] && command -v node >/dev/null; then
    PQ_GEN_ROWS=30 node "$root/tests/oracle/parquet_gen.mjs" "$tmp/fx" "" >/dev/null 2>&1 &&
        cp "$tmp"/fx/*.parquet "$out/" || echo "seed-parquet: node fixtures failed; using our writer's files only" >&2
fi
helper=$root/build/release/tests/test_parquet
if [ -x "$helper" ]; then
    mkdir -p "$tmp/w" && "$helper" --write "$tmp/w" small >/dev/null 2>&1 && cp "$tmp"/w/*.parquet "$out/"
fi
# regression inputs found before
cp "$here"/regressions/parquet-*.bin "$out/" 2>/dev/null || true
ls "$out" | wc -l | xargs echo "seed-parquet: corpus files:"
