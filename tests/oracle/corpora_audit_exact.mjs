// DuckDB reads blalm audit's export and gives the "exact.*" attribute
// columns of every row, as JSON lines [id, str, str_length, big, min, u64, mixed]
// (strings as DuckDB holds them, integers as their decimal text).
//   node corpora_audit_exact.mjs EXPORT
import { DuckDBInstance } from '@duckdb/node-api';

const [exportPath] = process.argv.slice(2);
const con = await (await DuckDBInstance.create(':memory:')).connect();
const src = exportPath.endsWith('.parquet')
  ? `read_parquet('${exportPath}')`
  : `read_json('${exportPath}', format = 'newline_delimited', compression = 'zstd', sample_size = -1)`;
const r = await con.runAndReadAll(`SELECT id, "exact.str" AS s, length("exact.str") AS n,
    "exact.big"::VARCHAR AS big, "exact.min"::VARCHAR AS min, "exact.u64"::VARCHAR AS u64,
    "exact.mixed"::VARCHAR AS mixed, typeof("exact.big") AS big_type
  FROM ${src} WHERE "exact.big" IS NOT NULL ORDER BY row`);
for (const o of r.getRowObjectsJS())
  console.log(JSON.stringify([o.id, o.s, Number(o.n), o.big, o.min, o.u64, o.mixed, o.big_type]));
