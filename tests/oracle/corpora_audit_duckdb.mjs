// DuckDB (an independent SQL engine) reads blalm audit's export and the
// corpus index, and answers from them what the manifest claims.
//   node corpora_audit_duckdb.mjs EXPORT CORPUS_DIR
// Prints one JSON object with the query results.
import { DuckDBInstance } from '@duckdb/node-api';

const [exportPath, corpus] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const src = exportPath.endsWith('.parquet')
  ? `read_parquet('${exportPath}')`
  : `read_json('${exportPath}', format = 'newline_delimited', compression = 'zstd')`;
async function rows(sql) {
  const r = await con.runAndReadAll(sql);
  return r.getRowObjectsJson();
}
const out = {};
out.total = (await rows(`SELECT count(*) AS n FROM ${src}`))[0].n;
// every column read, not only those the queries below touch
out.read_all = (await rows(`SELECT * FROM ${src}`)).length;
out.train = (await rows(`SELECT count(*) AS n, coalesce(sum(words), 0) AS w FROM ${src} WHERE "fate.strict" = 'train'`))[0];
out.dev = (await rows(`SELECT count(*) AS n, coalesce(sum(words), 0) AS w FROM ${src} WHERE "fate.strict" = 'dev'`))[0];
// the kinds of fate, to GROUP BY (fate.<corpus> itself names ranks and words)
out.outcomes = {};
for (const c of ['strict', 'strict-small'])
  out.outcomes[c] = await rows(`SELECT "outcome.${c}" AS o, count(*) AS n FROM ${src} GROUP BY 1 ORDER BY 1`);
out.outcome_excluded_disagree = (await rows(`SELECT count(*) AS n FROM ${src}
  WHERE ("outcome.strict" = 'excluded') <> (excluded_by_index IS NOT NULL OR excluded_by IS NOT NULL)`))[0].n;
out.excluded = await rows(`SELECT excluded_by_index AS i, count(*) AS n FROM ${src} WHERE excluded_by_index IS NOT NULL GROUP BY 1 ORDER BY 1`);
// a rule re-evaluated in SQL over the flattened attributes must agree with the export
out.rule1_disagree = (await rows(`SELECT count(*) AS n FROM ${src}
  WHERE "gopher_quality.pass" AND NOT coalesce("edu_llm.score" >= 2, false)
    AND coalesce(excluded_by_index, -1) <> 1`))[0].n;
const idx = `read_json('${corpus}/documents.jsonl.zst', format = 'newline_delimited', compression = 'zstd')`;
out.index = (await rows(`SELECT count(*) AS n, sum(words) AS w FROM ${idx} WHERE split = 'train'`))[0];
out.dup_ids = (await rows(`SELECT count(*) AS n FROM (SELECT id FROM ${idx} GROUP BY id HAVING count(*) > 1)`))[0].n;
console.log(JSON.stringify(out));
