// DuckDB (an independent parquet reader and SQL engine) counts what
// `blalm distill train` reports about repeated documents in parquet shards:
// documents by id, rows beyond the first of each, and rows whose score
// differs from the first row's (files in name order, rows in file order).
//   node distill_repeats_duckdb.mjs 'GLOB'
// Prints one JSON object.
import { DuckDBInstance } from '@duckdb/node-api';

const [glob] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const r = await con.runAndReadAll(`
  WITH t AS (SELECT id, score, filename, file_row_number
             FROM read_parquet('${glob}', filename = true, file_row_number = true)),
       f AS (SELECT id, arg_min(score, (filename, file_row_number)) AS first, count(*) AS n
             FROM t GROUP BY id)
  SELECT (SELECT count(*) FROM f) AS documents,
         (SELECT sum(n - 1) FROM f) AS repeats,
         (SELECT count(*) FROM t JOIN f USING (id) WHERE t.score <> f.first) AS conflicts,
         (SELECT count(*) FROM f WHERE id IN (SELECT id FROM t GROUP BY id HAVING count(DISTINCT score) > 1)) AS documents_relabelled`);
const o = r.getRowObjectsJson()[0];
for (const k of Object.keys(o)) o[k] = Number(o[k]);
console.log(JSON.stringify(o));
