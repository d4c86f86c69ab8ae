// parquet_gen.mjs OUTDIR [SHARED_FINEWEB_DIR]
// Writes parquet fixtures with three independent writers:
//   DuckDB (@duckdb/node-api): every codec, page v1 and v2 (PARQUET_VERSION V2:
//     DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, BYTE_STREAM_SPLIT), small row
//     groups, nulls, empty strings, a multi-megabyte string, scalar and temporal
//     types, the FineWeb-Edu schema (REFERENCE.md §3);
//   hyparquet-writer: data page v2 with DELTA_BYTE_ARRAY, DELTA_LENGTH_BYTE_ARRAY,
//     DELTA_BINARY_PACKED, BYTE_STREAM_SPLIT, RLE booleans;
//   parquet-wasm (arrow-rs): writer version 2 with per-column delta encodings,
//     and version 1 with gzip and dictionaries.
// Prints one fixture path per line.
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetWriteFile } from 'hyparquet-writer';
import * as pw from 'parquet-wasm';
import fs from 'node:fs';
import path from 'node:path';

const out = process.argv[2];
const shared = process.argv[3] || '';
// PQ_GEN_ROWS: rows of the main table (fuzz seeds use a few dozen)
const ROWS = Number(process.env.PQ_GEN_ROWS || 5000);
const SMALL = ROWS < 1000;
fs.mkdirSync(out, { recursive: true });
const made = [];
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run('SET threads=1');
const q = (s) => s.replaceAll("'", "''");

// A table with every scalar type we map, nulls scattered per column but
// text (a null text is refused: duck_null_text below).
await con.run(`CREATE TABLE t AS SELECT
  'doc-' || i AS id,
  CASE WHEN i % 10 = 5 THEN ''
       ELSE 'Text ' || i || ' "quoted" \\ back' || chr(10) || 'line two ü € 𝄞 ' || chr(1) || repeat(' word', (i % 37)::INT) END AS text,
  CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 250 - 125)::TINYINT END AS i8,
  (i * 37 % 65000 - 32500)::SMALLINT AS i16,
  CASE WHEN i % 5 = 1 THEN NULL ELSE (i * 2654435761 % 4294967296 - 2147483648)::INTEGER END AS i32,
  (i * 1000000007 * 1000003 - 4611686018427387904)::BIGINT AS i64,
  (i % 256)::UTINYINT AS u8,
  (i * 2654435761 % 4294967296)::UINTEGER AS u32,
  (18446744073709551615 - i * 1000000007)::UBIGINT AS u64,
  CASE WHEN i % 9 = 0 THEN NULL ELSE (i / 3.0)::FLOAT END AS f,
  CASE WHEN i % 4 = 2 THEN NULL ELSE (i * 0.1 - 7.25)::DOUBLE END AS d,
  CASE WHEN i % 6 = 5 THEN NULL ELSE i % 3 = 0 END AS b,
  DATE '1969-12-25' + (i * 3)::INT AS dt,
  TIMESTAMP '1969-12-31 23:59:58' + to_microseconds(i * 1234567) AS ts,
  CASE WHEN i % 8 = 0 THEN NULL ELSE (TIMESTAMP '2024-01-02 03:04:05' + to_milliseconds(i * 1001))::TIMESTAMP_MS END AS ts_ms,
  (TIMESTAMP '2000-02-29 12:00:00' + to_microseconds(i * 7))::TIMESTAMP_NS AS ts_ns,
  (TIMESTAMPTZ '2021-06-01 00:00:00+00' + to_seconds(i * 3600)) AS tstz,
  (i * 1.125 - 100)::DECIMAL(10,3) AS dec,
  (i * 123456789.0123 - 5)::DECIMAL(18,4) AS dec18,
  (i::HUGEINT * 98765432109876543210 - 7)::DECIMAL(38,10) AS dec38,
  CASE WHEN i % 19 = 0 THEN NULL ELSE 'category ' || (i % 17) END AS cat
FROM range(${ROWS}) r(i)`);

for (const codec of ['UNCOMPRESSED', 'SNAPPY', 'GZIP', 'ZSTD']) {
  const f = path.join(out, `duck_${codec.toLowerCase()}.parquet`);
  await con.run(`COPY t TO '${q(f)}' (FORMAT parquet, CODEC '${codec}', ROW_GROUP_SIZE 1000)`);
  made.push(f);
}
for (const codec of ['SNAPPY', 'ZSTD']) {
  const f = path.join(out, `duck_v2_${codec.toLowerCase()}.parquet`);
  await con.run(`COPY t TO '${q(f)}' (FORMAT parquet, CODEC '${codec}', PARQUET_VERSION V2, ROW_GROUP_SIZE 2048)`);
  made.push(f);
}
// many tiny row groups
{
  const f = path.join(out, 'duck_tiny_groups.parquet');
  await con.run(`COPY (SELECT id, text, i32 FROM t LIMIT 700) TO '${q(f)}' (FORMAT parquet, ROW_GROUP_SIZE 10)`);
  made.push(f);
}
// a multi-megabyte string between small ones, no id column (ids are generated)
{
  const f = path.join(out, 'duck_big_string.parquet');
  await con.run(`COPY (SELECT * FROM (VALUES (0, 'small'), (1, repeat('abcdefghij klmnop ', ${SMALL ? 30 : 300000}) || 'end'), (2, ''), (3, ' '), (4, 'last')) v(k, text) ORDER BY k)
                 TO '${q(f)}' (FORMAT parquet, CODEC 'ZSTD')`);
  made.push(f);
}
// all-null text and a custom text field
{
  const f = path.join(out, 'duck_custom_field.parquet');
  await con.run(`COPY (SELECT i AS doc_no, 'body ' || i AS body, NULL::VARCHAR AS text FROM range(${SMALL ? 20 : 300}) r(i)) TO '${q(f)}' (FORMAT parquet)`);
  made.push(f);
}
// a null text in a later row group: refused by the reader (not listed among
// the fixtures that are read; parquet_duckdb.sh checks the error)
{
  const f = path.join(out, 'duck_null_text.parquet');
  await con.run(`COPY (SELECT 'd' || i AS id, CASE WHEN i = 2500 THEN NULL ELSE 'text ' || i END AS text
                 FROM range(3000) r(i)) TO '${q(f)}' (FORMAT parquet, ROW_GROUP_SIZE 1000)`);
}
// the FineWeb-Edu schema, with real FineWeb text when the shared data is there
{
  const f = path.join(out, 'duck_fineweb_edu.parquet');
  const src = shared && fs.existsSync(shared) && !SMALL
    ? `(SELECT text, row_number() OVER () AS n FROM read_parquet('${q(shared)}/*.parquet'))`
    : `(SELECT 'Synthetic FineWeb text ' || i || repeat(' educational words', (i % 50)::INT) AS text, i AS n FROM range(${SMALL ? 20 : 2000}) r(i))`;
  await con.run(`COPY (SELECT text,
      '<urn:uuid:' || md5(n::VARCHAR) || '>' AS id,
      'CC-MAIN-2024-10' AS dump,
      'https://example.org/' || n AS url,
      's3://commoncrawl/crawl-data/CC-MAIN-2024-10/segments/' || (n % 100) || '.warc.gz' AS file_path,
      'en' AS language,
      0.9 + (n % 100) / 1000.0 AS language_score,
      (length(text) / 4)::BIGINT AS token_count,
      ((n % 500) / 100.0)::FLOAT AS score,
      LEAST(5, GREATEST(0, round((n % 500) / 100.0)))::BIGINT AS int_score
    FROM ${src}) TO '${q(f)}' (FORMAT parquet, CODEC 'SNAPPY', ROW_GROUP_SIZE 1000)`);
  made.push(f);
}

// id columns with a logical type: the id is the value as DuckDB reads it
// (unsigned above 2^63, decimals with their scale, dates, times, timestamps,
// UUIDs), some null (those rows get generated ids)
{
  const n = SMALL ? 20 : 300;
  for (const [name, expr] of [
    ['u64', `CASE WHEN i % 7 = 3 THEN NULL ELSE (18446744073709551615 - i * 1000000007)::UBIGINT END`],
    ['u32', `(4294967295 - i * 7)::UINTEGER`],
    ['u16', `(65535 - i)::USMALLINT`],
    ['i8', `(i % 200 - 100)::TINYINT`],
    ['dec9', `(i * 1.5 - 7)::DECIMAL(9,2)`],
    ['dec18', `(i * 123456789.0123 - 5)::DECIMAL(18,4)`],
    ['dec38', `(i::HUGEINT * 98765432109876543210 - 7)::DECIMAL(38,10)`],
    ['date', `DATE '1969-12-25' + (i * 3)::INT`],
    ['time', `TIME '00:00:01.5' + to_milliseconds(i * 3601001)`],
    ['ts', `TIMESTAMP '1969-12-31 23:59:58' + to_microseconds(i * 1234567)`],
    ['ts_ms', `(TIMESTAMP '2024-01-02 03:04:05' + to_milliseconds(i * 1001))::TIMESTAMP_MS`],
    ['uuid', `md5(i::VARCHAR)::UUID`],
  ]) {
    const f = path.join(out, `duck_id_${name}.parquet`);
    await con.run(`COPY (SELECT ${expr} AS id, 'text ' || i AS text, i AS k FROM range(${n}) r(i)) TO '${q(f)}' (FORMAT parquet)`);
    made.push(f);
  }
}

// hyparquet-writer: page v2 with delta encodings.
{
  const n = SMALL ? ROWS : 3000;
  const ids = [], texts = [], i32 = [], i64 = [], dbl = [], bools = [], sorted = [];
  for (let i = 0; i < n; i++) {
    ids.push(`hyp-${i}`);
    texts.push(i % 17 === 2 ? '' : `shared prefix ${Math.floor(i / 10)} then ${'x'.repeat(i % 23)} ü${i}`);
    i32.push(i % 11 === 0 ? null : (i * 7919) % 100000 - 50000);
    i64.push(BigInt(i) * 1000000000039n - 77n);
    dbl.push(i % 5 === 0 ? null : i / 7);
    bools.push(i % 9 === 0 ? null : i % 2 === 0);
    sorted.push(`https://example.com/path/${String(i).padStart(6, '0')}`);
  }
  const cols = (textEnc) => [
    { name: 'id', data: ids, type: 'STRING', encoding: 'DELTA_LENGTH_BYTE_ARRAY' },
    { name: 'text', data: texts, type: 'STRING', encoding: textEnc },
    { name: 'i32', data: i32, type: 'INT32', encoding: 'DELTA_BINARY_PACKED' },
    { name: 'i64', data: i64, type: 'INT64', encoding: 'DELTA_BINARY_PACKED' },
    { name: 'dbl', data: dbl, type: 'DOUBLE', encoding: 'BYTE_STREAM_SPLIT' },
    { name: 'flag', data: bools, type: 'BOOLEAN', encoding: 'RLE' },
    { name: 'url', data: sorted, type: 'STRING', encoding: 'DELTA_BYTE_ARRAY' },
  ];
  for (const [name, enc, codec] of [['hyp_v2_delta_byte_array', 'DELTA_BYTE_ARRAY', 'SNAPPY'],
                                    ['hyp_v2_delta_length', 'DELTA_LENGTH_BYTE_ARRAY', 'UNCOMPRESSED'],
                                    ['hyp_v2_dict', undefined, 'SNAPPY']]) {
    const f = path.join(out, `${name}.parquet`);
    const c = cols(enc);
    if (!enc) c.forEach((x) => { if (x.name === 'text') delete x.encoding; });
    parquetWriteFile({ filename: f, columnData: c, codec, rowGroupSize: SMALL ? 7 : 700, pageSize: SMALL ? 256 : 4096 });
    made.push(f);
  }
}

// parquet-wasm (arrow-rs): re-encode a DuckDB file.
{
  const srcFile = path.join(out, 'duck_snappy.parquet');
  const table = pw.readParquet(new Uint8Array(fs.readFileSync(srcFile)));
  const v2 = new pw.WriterPropertiesBuilder()
    .setWriterVersion(pw.WriterVersion.V2)
    .setCompression(pw.Compression.ZSTD)
    .setDictionaryEnabled(false)
    .setColumnEncoding('text', pw.Encoding.DELTA_BYTE_ARRAY)
    .setColumnEncoding('id', pw.Encoding.DELTA_LENGTH_BYTE_ARRAY)
    .setColumnEncoding('cat', pw.Encoding.DELTA_BYTE_ARRAY)
    .setColumnEncoding('i64', pw.Encoding.DELTA_BINARY_PACKED)
    .setMaxRowGroupSize(700)
    .setDataPageSizeLimit(8192)
    .build();
  const f1 = path.join(out, 'pw_v2_delta_zstd.parquet');
  fs.writeFileSync(f1, pw.writeParquet(table, v2));
  made.push(f1);
  const table2 = pw.readParquet(new Uint8Array(fs.readFileSync(srcFile)));
  const v1 = new pw.WriterPropertiesBuilder()
    .setWriterVersion(pw.WriterVersion.V1)
    .setCompression(pw.Compression.GZIP)
    .setDictionaryEnabled(true)
    .setMaxRowGroupSize(1500)
    .build();
  const f2 = path.join(out, 'pw_v1_dict_gzip.parquet');
  fs.writeFileSync(f2, pw.writeParquet(table2, v1));
  made.push(f2);
  // many tiny row groups (DuckDB rounds ROW_GROUP_SIZE up to its vector size)
  const table3 = pw.readParquet(new Uint8Array(fs.readFileSync(path.join(out, 'duck_tiny_groups.parquet'))));
  const tiny = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setMaxRowGroupSize(7).build();
  const f3 = path.join(out, 'pw_tiny_groups.parquet');
  fs.writeFileSync(f3, pw.writeParquet(table3, tiny));
  made.push(f3);
  // an unsigned 64-bit id as arrow-rs writes it (INT64, INTEGER(64, unsigned))
  const table4 = pw.readParquet(new Uint8Array(fs.readFileSync(path.join(out, 'duck_id_u64.parquet'))));
  const f4 = path.join(out, 'pw_id_u64.parquet');
  fs.writeFileSync(f4, pw.writeParquet(table4, new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).build()));
  made.push(f4);
}

// 17 million rows of one text in a single row group: DuckDB writes one
// RLE_DICTIONARY data page of 17,000,000 values (finding 3; blalm refused
// pages over 2^24 values). Not in the list (too many rows to compare one by one).
if (!SMALL) {
  const f = path.join(out, 'duck_const_17m.parquet');
  await con.run(`COPY (SELECT 'same' AS text FROM range(17000000)) TO '${q(f)}' (FORMAT parquet, ROW_GROUP_SIZE 20000000)`);
}

for (const f of made) console.log(f);
