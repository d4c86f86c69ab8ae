#!/usr/bin/env bash
# cat and shard write each metadata name once: a field both flat and in
# "metadata" (the flat one wins, as in datatrove's `metadata | data`), a name
# repeated at one level (the last wins, as Python's json reads it), a second
# "metadata" object (it replaces the first). They once wrote
# "metadata":{"url":"flat","url":"nested"}, which DuckDB refuses ("duplicate
# key"). Checked with a Python parser that refuses repeated names, against
# Python's own reading of the input, and with DuckDB's read_json.
source "$(dirname "$0")/../lib.sh"

cat >"$TMP/d.jsonl" <<'JSONL'
{"id":"a","text":"x","url":"flat","metadata":{"url":"nested"}}
{"id":"b","text":"x","metadata": { "url" : "nested" , "k": [1, {"url": 2}] },"url":"flat","n":1,"n":2}
{"id":"c","text":"x","metadata":{"a":1,"b":2},"metadata":{"b":3},"z":0}
{"id":"d","text":"x","metadata": {"u\u0072l": 1, "x": 2 }, "url": 5}
{"id":"e","text":"x","metadata": {"a": 1, "a": 2}}
{"id":"f","text":"x","metadata": {"p": 1 , "q":2} , "r": 3}
JSONL

ok=1; why=
"$BLALM" cat "$TMP/d.jsonl" >"$TMP/cat.jsonl" 2>"$TMP/err" || { ok=0; why="cat: $(cat "$TMP/err")"; }
"$BLALM" shard --out "$TMP/s" --quiet "$TMP/d.jsonl" 2>"$TMP/err" || { ok=0; why="$why shard: $(cat "$TMP/err")"; }
zstd -dc "$TMP"/s/*.jsonl.zst >"$TMP/shard.jsonl" 2>/dev/null || { ok=0; why="$why no shard written"; }
if [ $ok = 1 ] && "$PY" - "$TMP/d.jsonl" "$TMP/cat.jsonl" "$TMP/shard.jsonl" >"$TMP/py" 2>&1 <<'PYEOF'
import json, sys
def strict(pairs):
    names = [k for k, _ in pairs]
    dup = {k for k in names if names.count(k) > 1}
    if dup:
        raise ValueError("repeated names %s" % sorted(dup))
    return dict(pairs)
want = []
for line in open(sys.argv[1]):
    d = json.loads(line)          # Python: the last of repeated names
    meta = d.pop("metadata", {})
    for k in ("id", "text", "source"):
        d.pop(k, None)
    want.append(meta | d)         # datatrove's default adapter
for path in sys.argv[2:]:
    got = [json.loads(l, object_pairs_hook=strict)["metadata"] for l in open(path)]
    assert got == want, (path, got, want)
PYEOF
then pass metadata_names_unique_python; else fail metadata_names_unique_python "$why $(tail -c 400 "$TMP/py")"; fi

# dedup reads the same winner (the flat "url" and --keep-max "score", though
# "metadata" comes first on the line, where it once read the nested ones):
# the two documents share a url, and a (score 5) is kept over b (score 2)
mkdir -p "$TMP/w/docs/s"
cat >"$TMP/w/docs/s/d.jsonl" <<'JSONL'
{"id":"a","text":"one two three four five six seven","metadata":{"url":"http://a","score":1},"url":"http://same","score":5}
{"id":"b","text":"eight nine ten eleven twelve thirteen","metadata":{"url":"http://b","score":9},"url":"http://same","score":2}
JSONL
if "$BLALM" dedup --work "$TMP/w" --keep-max score --quiet 2>"$TMP/err" &&
    zstd -dc "$TMP/w/attributes/dedup/s/d.jsonl.zst" >"$TMP/dd.jsonl" 2>>"$TMP/err" &&
    "$PY" - "$TMP/dd.jsonl" 2>>"$TMP/err" <<'PYEOF'
import json, sys
r = {d["id"]: d["dedup"] for d in map(json.loads, open(sys.argv[1]))}
assert r["a"]["exact_size"] == 2 and r["a"]["exact_group"] == r["b"]["exact_group"], r
assert r["a"]["keep"] and not r["b"]["keep"], r
PYEOF
then pass metadata_dedup_reads_the_winner; else fail metadata_dedup_reads_the_winner "$(tail -c 400 "$TMP/err")"; fi

if ! have_node_oracles; then
    skip metadata_names_unique_duckdb "node or tests/oracle/node_modules missing (make test-deps)"
    exit 0
fi
if [ $ok = 1 ] && (cd "$ORACLE_DIR" && node --input-type=module - "$TMP/cat.jsonl" "$TMP/shard.jsonl") >"$TMP/duck" 2>&1 <<'JS'
import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:'); const con = await db.connect();
for (const f of process.argv.slice(2)) {
    // every row's metadata read as a struct (count(*) alone parses nothing)
    const r = await con.runAndReadAll(`SELECT id, metadata::VARCHAR AS m FROM read_json('${f}', format = 'newline_delimited')`);
    const n = r.getRowObjects().length;
    if (n !== 6) throw new Error(`${f}: ${n} rows, expected 6`);
}
JS
then pass metadata_names_unique_duckdb; else fail metadata_names_unique_duckdb "$why $(tail -c 400 "$TMP/duck")"; fi
