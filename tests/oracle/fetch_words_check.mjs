// fetch_words_check.mjs SOURCE.parquet OURS.jsonl.zst [SOURCE OURS ...]
// For each pair, DuckDB reads our jsonl.zst and the source parquet's first
// rows; prints one line per pair: "ok K" when our K documents equal the
// source's first K rows (id, text, in order), else what differs.
import { DuckDBInstance } from '@duckdb/node-api';

const args = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run('SET threads=1');
const q = (s) => s.replaceAll("'", "''");
for (let p = 0; p + 1 < args.length; p += 2) {
  const [src, ours] = [args[p], args[p + 1]];
  const got = (await con.runAndReadAll(
    `SELECT id, text FROM read_json('${q(ours)}', format='newline_delimited', columns={id:'VARCHAR', text:'VARCHAR'})`)).getRowObjects();
  const want = (await con.runAndReadAll(
    `SELECT id, text FROM read_parquet('${q(src)}') LIMIT ${got.length}`)).getRowObjects();
  let bad = null;
  for (let i = 0; i < got.length && !bad; i++) {
    if (!want[i] || got[i].id !== want[i].id || got[i].text !== want[i].text)
      bad = `row ${i}: ours id ${got[i].id}, source id ${want[i] ? want[i].id : '(none)'}`;
  }
  console.log(bad || `ok ${got.length}`);
}
