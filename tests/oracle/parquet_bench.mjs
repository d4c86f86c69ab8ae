// parquet_bench.mjs make OUTDIR SHARED_FINEWEB_DIR MB  -> writes arrow_snappy, arrow_zstd (arrow-rs via parquet-wasm,
//                                                        1 MB pages) and duckdb_snappy (100 MB pages) .parquet
//                                                        (real FineWeb text replicated to ~MB megabytes)
// parquet_bench.mjs time FILE REPS                     -> "bytes rows best_wall best_cpu" of DuckDB,
//                                                        one thread, SELECT sum(strlen(text))
import { DuckDBInstance } from '@duckdb/node-api';
import * as pw from 'parquet-wasm';
import fs from 'node:fs';
import path from 'node:path';

const [cmd, a, b, c] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run('SET threads=1');
const q = (s) => s.replaceAll("'", "''");
if (cmd === 'make') {
  const out = a, shared = b, mb = Number(c || 200);
  const src = shared && fs.existsSync(shared)
    ? `SELECT text FROM read_parquet('${q(shared)}/*.parquet')`
    : `SELECT string_agg(chr(97 + (i * 7 + j) % 26::INT), '') || ' words and more words' AS text FROM range(3000) r(i), range(400) s(j) GROUP BY i`;
  await con.run(`CREATE TABLE src AS ${src}`);
  const per = Number((await con.runAndReadAll('SELECT sum(strlen(text)) FROM src')).getRowsJS()[0][0]);
  const k = Math.max(1, Math.ceil((mb * 1e6) / per));
  // a copy number at the front keeps every text distinct (no dictionary for DuckDB to exploit)
  await con.run(`CREATE TABLE big AS SELECT 'copy ' || k || ': ' || text AS text, 'id-' || k || '-' || row_number() OVER () AS id FROM range(${k}) r(k), src`);
  // DuckDB's own layout: ~100 MB pages
  await con.run(`COPY big TO '${q(path.join(out, 'duckdb_snappy.parquet'))}' (FORMAT parquet, CODEC 'snappy')`);
  // arrow's layout (pyarrow, which wrote FineWeb-Edu, and arrow-rs): 1 MB pages
  const plain = path.join(out, 'plain.parquet');
  await con.run(`COPY big TO '${q(plain)}' (FORMAT parquet, CODEC 'uncompressed')`);
  const bytes = new Uint8Array(fs.readFileSync(plain));
  for (const [name, codec] of [['arrow_snappy', pw.Compression.SNAPPY], ['arrow_zstd', pw.Compression.ZSTD]]) {
    const props = new pw.WriterPropertiesBuilder().setCompression(codec).setDictionaryEnabled(false)
      .setDataPageSizeLimit(1 << 20).setMaxRowGroupSize(100000).build();
    fs.writeFileSync(path.join(out, `${name}.parquet`), pw.writeParquet(pw.readParquet(bytes), props));
  }
  fs.unlinkSync(plain);
  console.log(`replicated x${k}`);
} else {
  const reps = Number(b || 3);
  let best = Infinity, bestCpu = Infinity, bytes = 0, rows = 0;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
    const r = (await con.runAndReadAll(`SELECT sum(strlen(text))::BIGINT, count(*)::BIGINT FROM read_parquet('${q(a)}')`)).getRowsJS()[0];
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const cu = process.cpuUsage(c0), cs = (cu.user + cu.system) / 1e6;
    bytes = Number(r[0]); rows = Number(r[1]);
    if (s < best) best = s;
    if (cs < bestCpu) bestCpu = cs;
  }
  console.log(`${bytes} ${rows} ${best.toFixed(6)} ${bestCpu.toFixed(6)}`);
}
