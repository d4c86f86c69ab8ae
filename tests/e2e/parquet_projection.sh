#!/usr/bin/env bash
# Only the columns a command needs are decompressed (README, Parquet): a
# metadata column blalm cannot decode (LZ4_RAW, which arrow-rs may choose per
# column) stops cat and shard, which print metadata, but not tag, dedup,
# assemble, audit, score or report, which never read it; dedup reads url (and
# its --keep-max field) only (parquet audit finding 5). The fixtures are
# written in this run by parquet-wasm (arrow-rs).
source "$(dirname "$0")/../lib.sh"
if ! have_node_oracles || [ ! -d "$ORACLE_DIR/node_modules/parquet-wasm" ]; then
    skip parquet_projection "node or tests/oracle/node_modules (parquet-wasm) missing (make test-deps)"
    exit 0
fi

# gen OUT LZ4_COLUMN: 60 FineWeb-like rows (texts of distinct words: no near
# duplicates), SNAPPY except LZ4_COLUMN; rows 0
# and 1 share a url (an exact duplicate by url), score grows with the row
gen() {
    (cd "$ORACLE_DIR" && node --input-type=module - "$1" "$2" <<'JS')
import { DuckDBInstance } from '@duckdb/node-api';
import * as pw from 'parquet-wasm';
import fs from 'node:fs';
const [out, lz4col] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:'); const con = await db.connect();
const tmp = out + '.duck';
await con.run(`COPY (SELECT 'p' || i AS id,
    'Document ' || i || ' tells of ' || (SELECT string_agg(md5(i || '-' || j), ' ') FROM range(20 + i % 9) s(j)) || '.' AS text,
    'https://example.org/' || CASE WHEN i = 1 THEN 0 ELSE i END AS url,
    'CC-MAIN-2024-' || (i % 5) AS dump, (i * 1.5)::DOUBLE AS score
    FROM range(60) r(i)) TO '${tmp}' (FORMAT parquet)`);
const t = pw.readParquet(new Uint8Array(fs.readFileSync(tmp)));
fs.writeFileSync(out, pw.writeParquet(t, new pw.WriterPropertiesBuilder()
    .setCompression(pw.Compression.SNAPPY).setColumnCompression(lz4col, pw.Compression.LZ4_RAW).build()));
fs.unlinkSync(tmp);
JS
}

W=$TMP/w
mkdir -p "$W/docs/web"
if ! gen "$W/docs/web/p.parquet" dump 2>"$TMP/e"; then fail parquet_projection_fixture "$(cat "$TMP/e")"; exit 0; fi

# the column really is undecodable: a command that prints metadata refuses it
if "$BLALM" cat "$W/docs/web/p.parquet" >/dev/null 2>"$TMP/e"; then
    fail projection_cat_refuses_lz4 "exit 0"
elif grep -q "column 'dump' uses compression codec LZ4_RAW" "$TMP/e"; then pass projection_cat_refuses_lz4
else fail projection_cat_refuses_lz4 "$(cat "$TMP/e")"; fi
if out=$("$BLALM" count "$W/docs/web/p.parquet" 2>&1) && grep -q "60 docs" <<<"$out"; then
    pass projection_count; else fail projection_count "$out"; fi

check projection_tag "$BLALM" tag --work "$W" --quiet
# dedup reads url: rows 0 and 1 are one exact group, by url alone
if "$BLALM" dedup --work "$W" --quiet 2>"$TMP/e"; then
    got=$(zstdcat "$W/attributes/dedup/web/p.jsonl.zst" | head -2 | "$PY" -c '
import json, sys
a, b = (json.loads(l)["dedup"] for l in sys.stdin)
print(a["exact_group"] == b["exact_group"] and a["exact_size"] == 2 and [a["keep"], b["keep"]] == [True, False])')
    [ "$got" = True ] && pass projection_dedup_url || fail projection_dedup_url "rows 0 and 1 not one url group"
else fail projection_dedup_url "$(cat "$TMP/e")"; fi
# --keep-max score: the later row (larger score) is kept
rm -rf "$W/state/dedup"
if "$BLALM" dedup --work "$W" --keep-max score --quiet 2>"$TMP/e"; then
    got=$(zstdcat "$W/attributes/dedup/web/p.jsonl.zst" | head -2 | "$PY" -c '
import json, sys
print([json.loads(l)["dedup"]["keep"] for l in sys.stdin])')
    [ "$got" = "[False, True]" ] && pass projection_dedup_keep_max || fail projection_dedup_keep_max "keep: $got"
else fail projection_dedup_keep_max "$(cat "$TMP/e")"; fi
printf '%s\n' '{"corpora": [{"name": "strict", "budget": 100000, "dev_words": 0, "subset_of": null}],
 "rules": ["dedup.keep"], "ranking": ["readability.words desc"]}' >"$W/c.json"
check projection_assemble "$BLALM" assemble --work "$W" --out "$W/out" --config "$W/c.json" --quiet
check projection_audit "$BLALM" audit --work "$W" --export "$TMP/a.jsonl" --quiet
if out=$("$BLALM" score --work "$W" --endpoint http://127.0.0.1:9/v1 --model m --dry-run \
             --where 'readability.words > 0' -q 2>&1) && grep -q "60 selected" <<<"$out"; then
    pass projection_score_where; else fail projection_score_where "$out"; fi
check projection_report "$BLALM" report --work "$W" --out "$TMP/r.html"

# url itself undecodable: tag still reads the file; dedup needs url and says
# which column stops it, and reads the file without --exact-url
W2=$TMP/w2
mkdir -p "$W2/docs/web"
if ! gen "$W2/docs/web/p.parquet" url 2>"$TMP/e"; then fail parquet_projection_fixture2 "$(cat "$TMP/e")"; exit 0; fi
check projection_tag_lz4_url "$BLALM" tag --work "$W2" --quiet
if "$BLALM" dedup --work "$W2" --quiet 2>"$TMP/e"; then
    fail projection_dedup_needs_url "exit 0"
elif grep -q "column 'url' uses compression codec LZ4_RAW" "$TMP/e"; then pass projection_dedup_needs_url
else fail projection_dedup_needs_url "$(cat "$TMP/e")"; fi
check projection_dedup_no_exact_url "$BLALM" dedup --work "$W2" --no-exact-url --quiet
