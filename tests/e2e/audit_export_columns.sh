#!/usr/bin/env bash
# audit --export names each column <set>.<key>: two things that would share a
# name (a set "fate" whose key is a corpus name, set "q" key "r.z" beside set
# "q.r" key "z") kept one of them and dropped the other's values without a
# word, and a key longer than 127 bytes was cut, so two long keys sharing
# that prefix became one column of nulls. Now a shared name is an error that
# names both, nothing written, and a long key is its whole name.
source "$(dirname "$0")/../lib.sh"
if ! command -v zstd >/dev/null; then skip audit_export_columns "zstd CLI not installed"; exit 0; fi
W=$TMP/w
mkdir -p "$W/docs/s"
printf '%s\n' '{"id":"a","text":"alpha beta gamma"}' '{"id":"b","text":"delta"}' >"$W/docs/s/p.jsonl"
attr() { # set line...
    local s=$1; shift
    mkdir -p "$W/attributes/$s/s"
    printf '%s\n' "$@" | zstd -q -f -o "$W/attributes/$s/s/p.jsonl.zst"
}
echo '{"corpora": [{"name": "c1", "budget": 1000, "dev_words": 0}], "rules": [], "ranking": []}' >"$TMP/c.json"
asm() { "$BLALM" assemble --work "$W" --out "$TMP/out" --config "$TMP/c.json" --quiet 2>"$TMP/asm.err"; }

# --- a set named "fate" with the corpus's name as a key
attr fate '{"id":"a","fate":{"c1":1}}' '{"id":"b","fate":{"c1":2}}'
if asm; then
    for ext in jsonl.zst parquet; do
        "$BLALM" audit --work "$W" --export "$TMP/f.$ext" --quiet 2>"$TMP/err"; rc=$?
        [ $rc = 1 ] && [ ! -e "$TMP/f.$ext" ] &&
            grep -qF 'attributes/fate/s/p.jsonl.zst:1: key "c1" of attribute set "fate" would be the export column "fate.c1", which holds the fate of corpus '"'c1'" "$TMP/err" &&
            pass "audit_export_fate_column_clash_$ext" || fail "audit_export_fate_column_clash_$ext" "rc $rc $(head -c 300 "$TMP/err")"
    done
else
    fail audit_export_fate_column_clash "assemble: $(head -c 300 "$TMP/asm.err")"
fi
rm -rf "$W/attributes/fate"

# --- set "q" key "r.z" and set "q.r" key "z": both "q.r.z"
K=$("$PY" -c 'print("k" * 150)')
attr q "{\"id\":\"a\",\"q\":{\"r.z\":5,\"${K}1\":1,\"${K}2\":2}}" "{\"id\":\"b\",\"q\":{\"r.z\":6,\"${K}1\":3,\"${K}2\":4}}"
attr q.r '{"id":"a","q.r":{"z":7}}' '{"id":"b","q.r":{"z":8}}'
if asm; then
    "$BLALM" audit --work "$W" --export "$TMP/q.jsonl" --quiet 2>"$TMP/err"; rc=$?
    [ $rc = 1 ] && [ ! -e "$TMP/q.jsonl" ] &&
        grep -qF 'would both be the export column "q.r.z"; rename a set or a key' "$TMP/err" &&
        grep -qF 'key "r.z" of set "q"' "$TMP/err" &&
        pass audit_export_set_key_clash || fail audit_export_set_key_clash "rc $rc $(head -c 300 "$TMP/err")"
else
    fail audit_export_set_key_clash "assemble: $(head -c 300 "$TMP/asm.err")"
fi
rm -rf "$W/attributes/q.r"

# --- keys longer than 127 bytes keep their whole names and their values
if asm && "$BLALM" audit --work "$W" --export "$TMP/k.jsonl" --quiet 2>"$TMP/err"; then
    "$PY" - "$TMP/k.jsonl" "$K" >"$TMP/chk" 2>&1 <<'PY' && pass audit_export_long_keys_whole || fail audit_export_long_keys_whole "$(head -c 400 "$TMP/chk")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
k = sys.argv[2]
got = [(r["id"], r.get("q." + k + "1"), r.get("q." + k + "2"), r.get("q.r.z")) for r in rows]
want = [("a", 1, 2, 5), ("b", 3, 4, 6)]
assert sorted(got) == want, got
PY
else
    fail audit_export_long_keys_whole "$(head -c 300 "$TMP/asm.err" "$TMP/err")"
fi

# --- keys "A" and "a" of one set: two columns to us, one to DuckDB, which
# matches column names without regard to case (it renamed the second "q.a_1"
# and SELECT "q.a" read q.A's values, silently)
rm -rf "$W/attributes/q"
attr q '{"id":"a","q":{"A":1,"a":2}}' '{"id":"b","q":{"A":3,"a":4}}'
if asm; then
    "$BLALM" audit --work "$W" --export "$TMP/c.parquet" --quiet 2>"$TMP/err"; rc=$?
    [ $rc = 1 ] && [ ! -e "$TMP/c.parquet" ] &&
        grep -qF 'key "a" of attribute set "q" and key "A" of set "q" would both be the export column "q.a" ("q.A" to DuckDB, which matches names without regard to case)' "$TMP/err" &&
        pass audit_export_case_clash || fail audit_export_case_clash "rc $rc $(head -c 300 "$TMP/err")"
else
    fail audit_export_case_clash "assemble: $(head -c 300 "$TMP/asm.err")"
fi

# --- a number written with a fraction or exponent is a float, as JSON
# readers (Python, DuckDB's read_json) have it: a column of 2.0 and 3.0 was a
# BIGINT, its .jsonl.zst said 2 and 3 where the line said 2.0 and 3.0 (and
# `audit ID` said 2.0); 1e2 beside 5 is a DOUBLE; integers stay BIGINT
rm -rf "$W/attributes/q"
attr num '{"id":"a","num":{"f":2.0,"g":1e2,"h":3}}' '{"id":"b","num":{"f":3.0,"g":5,"h":4}}'
if asm && "$BLALM" audit --work "$W" --export "$TMP/n.jsonl.zst" --quiet 2>"$TMP/err" &&
        "$BLALM" audit --work "$W" --export "$TMP/n.parquet" --quiet 2>>"$TMP/err"; then
    zstd -dc "$TMP/n.jsonl.zst" | "$PY" -c '
import json, sys
r = {d["id"]: d for d in map(json.loads, sys.stdin)}
got = [(r[i]["num.f"], type(r[i]["num.f"]).__name__, r[i]["num.g"], type(r[i]["num.g"]).__name__, r[i]["num.h"],
        type(r[i]["num.h"]).__name__) for i in "ab"]
want = [(2.0, "float", 100.0, "float", 3, "int"), (3.0, "float", 5.0, "float", 4, "int")]
sys.exit(0 if got == want else f"{got} != {want}")' 2>"$TMP/chk" && pass audit_export_float_literals_jsonl ||
        fail audit_export_float_literals_jsonl "$(head -c 300 "$TMP/chk")"
    if have_node_oracles; then
        types=$(cd "$ORACLE_DIR" && node --input-type=module -e "
import { DuckDBInstance } from '@duckdb/node-api';
const con = await (await DuckDBInstance.create(':memory:')).connect();
const r = await con.runAndReadAll(\"SELECT typeof(\\\"num.f\\\"), typeof(\\\"num.g\\\"), typeof(\\\"num.h\\\"), sum(\\\"num.f\\\") FROM read_parquet('$TMP/n.parquet') GROUP BY ALL\");
console.log(r.getRows().map(x => x.join(' ')).join(';'));" 2>&1)
        [ "$types" = "DOUBLE DOUBLE BIGINT 5" ] && pass audit_export_float_literals_parquet ||
            fail audit_export_float_literals_parquet "DuckDB: $types"
    else skip audit_export_float_literals_parquet "node or @duckdb/node-api missing"; fi
else
    fail audit_export_float_literals_jsonl "$(head -c 300 "$TMP/asm.err" "$TMP/err")"
fi

# --- a top-level key "q\u0000x" before the set "q": a key is its whole
# decoded bytes, as Python's json has it, so the set is the object under "q".
# cJSON's lookup ended the key at its \u0000 and took it for "q": `audit ID`
# and assemble refused the line (`expected an object under "q"`, the 5) while
# audit --export read "q"; an object there would have been read as the set.
rm -rf "$W/attributes"
attr q '{"id":"a","q\u0000x":5,"q":{"a":1}}' '{"id":"b","q":{"a":2}}'
if asm && "$BLALM" audit --work "$W" a >"$TMP/id.out" 2>"$TMP/err" &&
        "$BLALM" audit --work "$W" --export "$TMP/z.jsonl" --quiet 2>>"$TMP/err"; then
    got=$("$PY" -c 'import json, sys; print([(r["id"], r["q.a"]) for r in map(json.loads, open(sys.argv[1]))])' "$TMP/z.jsonl")
    [ "$got" = "[('a', 1), ('b', 2)]" ] && grep -qF 'q.a = 1' "$TMP/id.out" &&
        pass audit_export_key_with_nul_not_the_set ||
        fail audit_export_key_with_nul_not_the_set "$got $(head -c 300 "$TMP/id.out")"
else
    fail audit_export_key_with_nul_not_the_set "$(head -c 300 "$TMP/asm.err" "$TMP/err")"
fi

