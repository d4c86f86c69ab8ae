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

// FLBA/binary logical types (audit finding 1). FLOAT16 (hyparquet-writer,
// as pyarrow >= 15 and arrow-rs write it): every one of the 65,536 half
// bit patterns, PLAIN and dictionary-encoded, with nulls; DuckDB reads FLOAT.
{
  const half = (h) => {
    const e = (h >> 10) & 31, m = h & 1023, sign = h & 0x8000 ? -1 : 1;
    if (e === 31) return m ? NaN : sign * Infinity;
    return sign * (e ? (m + 1024) * 2 ** (e - 25) : m * 2 ** -24);
  };
  const n = SMALL ? 300 : 65536;
  const step = SMALL ? 219 : 1;   // SMALL: a spread of patterns, not all
  const score = [], rep = [], ids = [], texts = [];
  for (let i = 0; i < n; i++) {
    const h = (i * step) & 0xffff;
    score.push(i % 97 === 5 ? null : half(h));
    rep.push(i % 13 === 0 ? null : half([0x3c00, 0x0001, 0x03ff, 0x7bff, 0xfc00, 0x8000, 0x3555][i % 7]));
    ids.push(`f16-${i}`);
    texts.push(`half ${h}`);
  }
  const f = path.join(out, 'hyp_float16.parquet');
  parquetWriteFile({ filename: f, columnData: [
    { name: 'id', data: ids, type: 'STRING' }, { name: 'text', data: texts, type: 'STRING' },
    { name: 'score', data: score, type: 'FLOAT16', encoding: 'PLAIN' },
    { name: 'rep', data: rep, type: 'FLOAT16' } ], rowGroupSize: SMALL ? 100 : 20000 });
  made.push(f);
}
// INTERVAL (FIXED_LEN_BYTE_ARRAY(12), converted type 21): as DuckDB writes it,
// and raw bytes DuckDB will not write (months or days of 2^31 and more, which
// DuckDB reads as negative; the most milliseconds 12 bytes hold)
{
  const f = path.join(out, 'duck_interval.parquet');
  await con.run(`COPY (SELECT 'iv-' || i AS id, 'text ' || i AS text,
      CASE WHEN i % 11 = 3 THEN NULL ELSE to_months((i % 30)::INT) + to_days((i * 7 % 45)::INT) + to_milliseconds((i * 3600007 * (i % 5))::BIGINT) END AS iv
    FROM range(${SMALL ? 20 : 400}) r(i)) TO '${q(f)}' (FORMAT parquet)`);
  made.push(f);
  const le = (a, b, c) => { const u = new Uint8Array(12); const dv = new DataView(u.buffer); dv.setUint32(0, a, true); dv.setUint32(4, b, true); dv.setUint32(8, c, true); return u; };
  const raw = [le(0, 0, 0), le(1, 1, 1), le(12, 0, 0), le(13, 31, 500), le(24, 2, 86400000), le(0, 0, 0xffffffff),
    le(0xffffffff, 0, 0), le(0xfffffff3, 0xffffffff, 1), le(0x80000000, 0x80000000, 0xffffffff), le(0x7fffffff, 0x7fffffff, 999),
    le(0, 0, 60000), le(0, 0, 3600000 * 150 + 61001), le(25, 0, 0), le(0xfffffff4, 1, 0)];
  const f2 = path.join(out, 'hyp_interval_raw.parquet');
  parquetWriteFile({ filename: f2, columnData: [{ name: 'text', data: raw.map((_, i) => `raw ${i}`) }, { name: 'iv', data: raw }],
    schema: [{ name: 'root', num_children: 2 }, { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      { name: 'iv', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 12, converted_type: 'INTERVAL', repetition_type: 'REQUIRED' }] });
  made.push(f2);
}
// DECIMALs wider than 16 bytes, FIXED_LEN_BYTE_ARRAY(17, 20, 32, 256) and
// BYTE_ARRAY (hyparquet stores each value in as few bytes as it needs, zero
// in none). DuckDB 1.5 reads these as DOUBLE and misplaces bytes past the
// 16th (12345 in 20 bytes reads as 12345 * 2^32), so it is no oracle here:
// the expected text of each value is computed from the BigInt given to the
// writer, into <name>.expect.jsonl (not in the list DuckDB compares).
{
  const dec = (v, scale) => {
    const neg = v < 0n;
    let d = (neg ? -v : v).toString();
    if (scale > 0) {
      d = d.padStart(scale + 1, '0');
      d = d.slice(0, d.length - scale) + '.' + d.slice(d.length - scale);
    }
    return (neg ? '-' : '') + d;
  };
  const cols = [['d17', 17, 40, 0], ['d20', 20, 45, 2], ['d32', 32, 76, 10], ['d256', 256, 617, 300]];
  const vals = (w) => {
    const lo = -(2n ** BigInt(8 * w - 1)), hi = 2n ** BigInt(8 * w - 1) - 1n;
    return [lo, hi, 0n, -1n, 1n, 12345n, -(10n ** 44n) % hi, 10n ** BigInt(Math.min(2 * w, 600)) + 7n, lo + 1n, -98765432109876543210987654321n];
  };
  const nrows = vals(17).length;
  const schema = [{ name: 'root', num_children: 3 + cols.length },
    { name: 'id', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 20, converted_type: 'DECIMAL', scale: 3, precision: 45, repetition_type: 'REQUIRED' },
    { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' }];
  const data = [{ name: 'id', data: vals(20).map((v, i) => (i === 2 ? 42n : v)) }, { name: 'text', data: vals(17).map((_, i) => `wide ${i}`) }];
  for (const [name, w, p, sc] of cols) {
    schema.push({ name, type: 'FIXED_LEN_BYTE_ARRAY', type_length: w, converted_type: 'DECIMAL', scale: sc, precision: p, repetition_type: 'OPTIONAL' });
    data.push({ name, data: vals(w).map((v, i) => (i === 4 && name === 'd32' ? null : v)) });
  }
  const bvals = [0n, 1n, -1n, 127n, 128n, -128n, -129n, 2n ** 200n + 3n, -(2n ** 255n), 10n ** 59n - 1n];
  schema.push({ name: 'dba', type: 'BYTE_ARRAY', converted_type: 'DECIMAL', scale: 5, precision: 80, repetition_type: 'REQUIRED' });
  data.push({ name: 'dba', data: bvals });
  const f = path.join(out, 'hyp_decimal_wide.parquet');
  parquetWriteFile({ filename: f, columnData: data, schema, rowGroupSize: 4 });
  const lines = [];
  for (let i = 0; i < nrows; i++) {
    const md = {};
    for (const c of data.slice(2)) {
      const sc = schema.find((s) => s.name === c.name).scale;
      md[c.name] = c.data[i] === null ? null : dec(c.data[i], sc);
    }
    const mdText = Object.entries(md).map(([k, v]) => `"${k}":${v}`).join(',');
    lines.push(`{"id":"${dec(data[0].data[i], 3)}","text":"wide ${i}","source":"hyp_decimal_wide","metadata":{${mdText}}}`);
  }
  fs.writeFileSync(path.join(out, 'hyp_decimal_wide.expect.jsonl'), lines.join('\n') + '\n');
  // one byte wider than blalm formats exactly: refused, naming the column
  const f2 = path.join(out, 'hyp_decimal_257.parquet');
  parquetWriteFile({ filename: f2, columnData: [{ name: 'text', data: ['a', 'b'] }, { name: 'huge', data: [1n, -2n] }],
    schema: [{ name: 'root', num_children: 2 }, { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      { name: 'huge', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 257, converted_type: 'DECIMAL', scale: 0, precision: 600, repetition_type: 'REQUIRED' }] });
}
// binary columns of a type blalm does not render (GEOMETRY, BSON): refused,
// naming the type, never shown as raw bytes (not in the DuckDB list)
{
  parquetWriteFile({ filename: path.join(out, 'hyp_geometry.parquet'), columnData: [
    { name: 'text', data: ['a point'], type: 'STRING' }, { name: 'geom', data: [{ type: 'Point', coordinates: [1, 2] }], type: 'GEOMETRY' }] });
  parquetWriteFile({ filename: path.join(out, 'hyp_bson.parquet'), columnData: [{ name: 'text', data: ['a doc'] }, { name: 'doc', data: [Uint8Array.from([5, 0, 0, 0, 0])] }],
    schema: [{ name: 'root', num_children: 2 }, { name: 'text', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
      { name: 'doc', type: 'BYTE_ARRAY', logical_type: { type: 'BSON' }, repetition_type: 'REQUIRED' }] });
}
// 17 million rows of one text in a single row group: DuckDB writes one
// RLE_DICTIONARY data page of 17,000,000 values (finding 3; blalm refused
// pages over 2^24 values). Not in the list (too many rows to compare one by one).
if (!SMALL) {
  const f = path.join(out, 'duck_const_17m.parquet');
  await con.run(`COPY (SELECT 'same' AS text FROM range(17000000)) TO '${q(f)}' (FORMAT parquet, ROW_GROUP_SIZE 20000000)`);
}

for (const f of made) console.log(f);
