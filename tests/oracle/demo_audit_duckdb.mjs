// DuckDB reads the demo's `blalm audit --export` parquet file and answers the
// numbers the corpora's manifests claim.
//   node demo_audit_duckdb.mjs AUDIT.parquet
// Prints one JSON object: rows, and per corpus the train documents and words.
import { DuckDBInstance } from '@duckdb/node-api';

const [path] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const src = `read_parquet('${path.replaceAll("'", "''")}')`;
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
const out = { rows: Number((await rows(`SELECT count(*) AS n FROM ${src}`))[0].n) };
for (const c of ['strict', 'strict-small']) {
  const r = (await rows(`SELECT count(*) AS n, coalesce(sum(words), 0) AS w FROM ${src} WHERE "fate.${c}" = 'train'`))[0];
  out[c] = { documents: Number(r.n), words: Number(r.w) };
}
console.log(JSON.stringify(out));
