// parquet_bench.mjs make OUTDIR SHARED_FINEWEB_DIR MB  -> writes bench_snappy.parquet, bench_zstd.parquet
//                                                        (real FineWeb text replicated to ~MB megabytes)
// parquet_bench.mjs time FILE REPS                     -> "bytes rows best_seconds" of DuckDB,
//                                                        one thread, SELECT sum(strlen(text))
import { DuckDBInstance } from '@duckdb/node-api';
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
  for (const codec of ['snappy', 'zstd']) {
    await con.run(`COPY big TO '${q(path.join(out, `bench_${codec}.parquet`))}' (FORMAT parquet, CODEC '${codec}')`);
  }
  console.log(`replicated x${k}`);
} else {
  const reps = Number(b || 3);
  let best = Infinity, bytes = 0, rows = 0;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    const r = (await con.runAndReadAll(`SELECT sum(strlen(text))::BIGINT, count(*)::BIGINT FROM read_parquet('${q(a)}')`)).getRowsJS()[0];
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    bytes = Number(r[0]); rows = Number(r[1]);
    if (s < best) best = s;
  }
  console.log(`${bytes} ${rows} ${best.toFixed(6)}`);
}
