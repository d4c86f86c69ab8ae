#!/usr/bin/env bash
# blalm fetch --max-words on parquet without ids (or with null ids), across
# many row groups: the generated ids are "<source>/<path in the repo without
# extension>/<row>", the ids the docs walk gives the same file fetched whole
# (they were ".train/<row>", from the hidden sparse file, the same for
# same-named files in other folders); rows keep the file's numbering across
# row groups; the documents are DuckDB's reading of the file, in order. The
# fixtures are written by hyparquet-writer (row groups of 37 rows).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"
if ! have_node_oracles; then skip fetch_words_ids "node or tests/oracle/node_modules missing (make test-deps)"; exit 0; fi

ln -s "$ORACLE_DIR/node_modules" "$TMP/node_modules"   # node resolves modules next to the script
repo=$TMP/repo
mkdir -p "$repo/data/a" "$repo/data/b"
cat >"$TMP/gen.mjs" <<'JS'
import { parquetWriteFile } from 'hyparquet-writer';
const [repo] = process.argv.slice(2);
const n = 500;
const text = (f, i) => `file ${f} document ${i} ` + 'word '.repeat(i % 13);
for (const f of ['a', 'b']) {
  const cols = [{ name: 'text', data: Array.from({ length: n }, (_, i) => text(f, i)), type: 'STRING' }];
  if (f === 'b')   // an id column, null from row 100 on: those rows get generated ids
    cols.unshift({ name: 'id', data: Array.from({ length: n }, (_, i) => (i < 100 ? `b-${i}` : null)), type: 'STRING' });
  parquetWriteFile({ filename: `${repo}/data/${f}/train.parquet`, columnData: cols, codec: 'SNAPPY', rowGroupSize: 37 });
}
JS
node "$TMP/gen.mjs" "$repo" 2>"$TMP/gen.err"
[ $? = 0 ] || { fail fetch_words_ids_fixtures "$(cat "$TMP/gen.err")"; exit 0; }
start_hub "$repo"

# DuckDB's reading of each file: text, and the id or null, in file order
cat >"$TMP/duck.mjs" <<'JS'
import { DuckDBInstance } from '@duckdb/node-api';
const con = await (await DuckDBInstance.create(':memory:')).connect();
for (const f of process.argv.slice(2)) {
  const id = f.includes('/b/') ? "COALESCE(id, '')" : "''";
  const r = await con.runAndReadAll(`SELECT ${id} AS id, text FROM read_parquet('${f}', file_row_number=true) ORDER BY file_row_number`);
  for (const row of r.getRowObjectsJS()) console.log(JSON.stringify([row.id, row.text]));
}
JS
node "$TMP/duck.mjs" "$repo/data/a/train.parquet" >"$TMP/duck_a" 2>"$TMP/duck.err" &&
    node "$TMP/duck.mjs" "$repo/data/b/train.parquet" >"$TMP/duck_b" 2>>"$TMP/duck.err"
[ $? = 0 ] || { fail fetch_words_ids_duckdb "$(cat "$TMP/duck.err")"; exit 0; }

# a budget of all of file a (14 row groups) and file b's first 310 rows (in
# its 9th row group), counted as Python's str.split does
budget=$("$PY" - "$TMP/duck_a" "$TMP/duck_b" <<'PY'
import json, sys
a = [json.loads(l)[1] for l in open(sys.argv[1])]
b = [json.loads(l)[1] for l in open(sys.argv[2])]
print(sum(len(t.split()) for t in a) + sum(len(t.split()) for t in b[:310]))
PY
)
W=$TMP/w
"$BLALM" fetch --repo $FETCH_REPO --path data --max-words $budget --out "$W/docs/web" -q 2>"$TMP/e1" ||
    { fail fetch_words_ids_run "$(cat "$TMP/e1")"; exit 0; }
# the same files fetched whole, read through the docs walk (tag writes each document's id)
W2=$TMP/w2
"$BLALM" fetch --repo $FETCH_REPO --path data --out "$W2/docs/web" -q 2>"$TMP/e2" &&
    "$BLALM" tag --work "$W2" --taggers readability --quiet 2>>"$TMP/e2" || { fail fetch_words_ids_walk "$(cat "$TMP/e2")"; exit 0; }

"$PY" - "$W/docs/web/data" "$W2/attributes/readability/web/data" "$TMP/duck_a" "$TMP/duck_b" <<'PY' >"$TMP/chk" 2>&1
import json, subprocess, sys
out, walk, duck_a, duck_b = sys.argv[1:]
def zlines(p):
    return [json.loads(l) for l in subprocess.run(["zstd", "-dc", p], capture_output=True, check=True).stdout.splitlines()]
bad = []
for f, duck in (("a", duck_a), ("b", duck_b)):
    got = zlines(f"{out}/{f}/train-00000.jsonl.zst")
    whole = zlines(f"{walk}/{f}/train.jsonl.zst")
    want = [json.loads(l) for l in open(duck)]
    if f == "b" and len(got) != 310:
        bad.append(f"b: {len(got)} documents, expected 310 (the budget ends in row group 9)")
    if f == "a" and len(got) != len(want):
        bad.append(f"a: {len(got)} documents of {len(want)}")
    for i, d in enumerate(got):
        wid = want[i][0] or f"web/data/{f}/train/{i}"
        if d["id"] != wid or d["text"] != want[i][1] or d["id"] != whole[i]["id"]:
            bad.append(f"{f} row {i}: id {d['id']!r} text {d['text'][:30]!r}; DuckDB {wid!r} {want[i][1][:30]!r}; walk {whole[i]['id']!r}")
            break
ids = [d["id"] for f in "ab" for d in zlines(f"{out}/{f}/train-00000.jsonl.zst")]
if len(ids) != len(set(ids)):
    bad.append("ids repeat across the two files")
print("\n".join(bad) if bad else "ok")
PY
[ "$(cat "$TMP/chk")" = ok ] && pass "fetch_words_ids_generated_as_docs_walk (rows across row groups equal DuckDB's, ids unique across same-named files)" ||
    fail fetch_words_ids_generated_as_docs_walk "$(head -c 800 "$TMP/chk")"
