// The peer of tests/bench/audit.sh: DuckDB (threads=1) writes the rows of
// `blalm audit --export X.jsonl.zst` to parquet, and compares two parquet
// files' rows and columns.
//   node audit_bench.mjs write JSONL_ZST OUT.parquet REPS -> "rows best_wall best_cpu"
//     (read_json of the export, every column, COPY ... TO parquet, zstd;
//     best of REPS; CPU seconds from process.cpuUsage, the query alone)
//   node audit_bench.mjs compare A.parquet B.parquet -> one JSON line:
//     rows, columns (sorted names), sums of words and bytes, distinct ids,
//     and the rows of A not in B by (path, row, id, words, bytes, eligible)
import { DuckDBInstance } from '@duckdb/node-api';

const [mode, a, b, reps] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
await con.run('SET threads=1');
async function rows(sql) {
  return (await con.runAndReadAll(sql)).getRowObjectsJson();
}
if (mode === 'write') {
  let bw = Infinity, bc = Infinity, n = 0;
  for (let i = 0; i < Number(reps); i++) {
    const t0 = process.hrtime.bigint(), c0 = process.cpuUsage();
    await con.run(`COPY (SELECT * FROM read_json('${a}', format = 'newline_delimited', compression = 'zstd'))
                   TO '${b}' (FORMAT parquet, COMPRESSION zstd)`);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const cu = process.cpuUsage(c0), cs = (cu.user + cu.system) / 1e6;
    bw = Math.min(bw, s); bc = Math.min(bc, cs);
  }
  n = (await rows(`SELECT count(*) AS n FROM read_parquet('${b}')`))[0].n;
  console.log(`${n} ${bw} ${bc}`);
} else if (mode === 'compare') {
  const out = {};
  for (const [k, f] of [['a', a], ['b', b]]) {
    const src = `read_parquet('${f}')`;
    const r = (await rows(`SELECT count(*) AS n, sum(words) AS w, sum(bytes) AS b, count(DISTINCT id) AS ids FROM ${src}`))[0];
    r.columns = (await rows(`DESCRIBE SELECT * FROM ${src}`)).map((c) => c.column_name).sort();
    out[k] = r;
  }
  const key = 'path, "row", id, words, bytes, eligible';
  out.a_not_b = (await rows(`SELECT count(*) AS n FROM (SELECT ${key} FROM read_parquet('${a}')
                              EXCEPT ALL SELECT ${key} FROM read_parquet('${b}'))`))[0].n;
  console.log(JSON.stringify(out));
} else {
  console.error('usage: audit_bench.mjs write JSONL_ZST OUT.parquet REPS | compare A.parquet B.parquet');
  process.exit(2);
}
