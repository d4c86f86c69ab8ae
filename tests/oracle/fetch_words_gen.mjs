// fetch_words_gen.mjs REPO_DIR FINEWEB_LEGAL_DIR
// Writes two parquet files with many row groups (hyparquet-writer, an
// independent writer) from real FineWeb text, for `blalm fetch --max-words`:
//   REPO_DIR/sample/10BT/000_00000.parquet  2,000 rows, row groups of 100
//   REPO_DIR/sample/10BT/000_00001.parquet  1,000 rows, row groups of 250
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetWriteFile } from 'hyparquet-writer';
import fs from 'node:fs';
import path from 'node:path';

const [repo, shared] = process.argv.slice(2);
const dir = path.join(repo, 'sample', '10BT');
fs.mkdirSync(dir, { recursive: true });
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run('SET threads=1');
const q = (s) => s.replaceAll("'", "''");
const rows = (await con.runAndReadAll(
  `SELECT id, text, url, score::INTEGER AS score FROM read_parquet('${q(shared)}/batch_*.parquet', filename=true)
   ORDER BY filename, file_row_number LIMIT 3000`)).getRowObjects();
const write = (name, part, rg) => {
  parquetWriteFile({
    filename: path.join(dir, name),
    columnData: [
      { name: 'id', data: part.map((r) => r.id), type: 'STRING' },
      { name: 'text', data: part.map((r) => r.text), type: 'STRING' },
      { name: 'url', data: part.map((r) => r.url), type: 'STRING' },
      { name: 'score', data: part.map((r) => r.score), type: 'INT32' },
    ],
    codec: 'SNAPPY',
    rowGroupSize: rg,
  });
};
write('000_00000.parquet', rows.slice(0, 2000), 100);
write('000_00001.parquet', rows.slice(2000, 3000), 250);
console.log(rows.length);
