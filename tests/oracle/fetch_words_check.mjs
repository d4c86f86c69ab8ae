// fetch_words_check.mjs SOURCE.parquet OURS.jsonl.zst
// DuckDB reads the first rows of the source parquet and our jsonl.zst;
// prints "ok K" when our K documents equal the source's first K rows (id,
// text, in order), else what differs.
import { DuckDBInstance } from '@duckdb/node-api';

const [src, ours] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run('SET threads=1');
const q = (s) => s.replaceAll("'", "''");
const got = (await con.runAndReadAll(
  `SELECT id, text FROM read_json('${q(ours)}', format='newline_delimited', columns={id:'VARCHAR', text:'VARCHAR'})`)).getRowObjects();
const want = (await con.runAndReadAll(
  `SELECT id, text FROM read_parquet('${q(src)}') LIMIT ${got.length}`)).getRowObjects();
for (let i = 0; i < got.length; i++) {
  if (!want[i] || got[i].id !== want[i].id || got[i].text !== want[i].text) {
    console.log(`row ${i}: ours id ${got[i].id}, source id ${want[i] ? want[i].id : '(none)'}`);
    process.exit(0);
  }
}
console.log(`ok ${got.length}`);
