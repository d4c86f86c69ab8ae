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

# --- each value's column, found by its member's place in the set's last line
# (a cache of audit --export) where the key is the same: keys in another
# order, a key twice (the first is the value), "a" beside "ab", "\u0061" for
# "a", and a set ("k") that one document file lacks, so set "m" is the
# second set of p.jsonl's lines and the first of r.jsonl's
W2=$TMP/w2
mkdir -p "$W2/docs/s"
printf '%s\n' '{"id":"a","text":"x"}' '{"id":"b","text":"x"}' >"$W2/docs/s/p.jsonl"
printf '%s\n' '{"id":"c","text":"x"}' '{"id":"d","text":"x"}' >"$W2/docs/s/r.jsonl"
attr2() { # set file line...
    local s=$1 f=$2; shift 2
    mkdir -p "$W2/attributes/$s/s"
    printf '%s\n' "$@" | zstd -q -f -o "$W2/attributes/$s/s/$f.jsonl.zst"
}
attr2 k p '{"id":"a","k":{"x":100}}' '{"id":"b","k":{"x":101}}'
attr2 m p '{"id":"a","m":{"x":1,"y":"s1","a":10,"ab":20,"d":1,"d":2}}' \
          '{"id":"b","m":{"x":2,"y":"s2","\u0061":11,"ab":21,"d":3}}'
attr2 m r '{"id":"c","m":{"\u0061b":22,"\u0061":12,"x":3,"y":"s3"}}' \
          '{"id":"d","m":{"a":13,"x":4,"d":5,"d":6,"y":"s4","ab":23}}'
want='a 1 s1 10 20 1 100;b 2 s2 11 21 3 101;c 3 s3 12 22  ;d 4 s4 13 23 5 '
if "$BLALM" audit --work "$W2" --export "$TMP/m.jsonl.zst" --quiet 2>"$TMP/err" &&
        "$BLALM" audit --work "$W2" --export "$TMP/m.parquet" --quiet 2>>"$TMP/err"; then
    got=$(zstd -dc "$TMP/m.jsonl.zst" | "$PY" -c '
import json, sys
rows = sorted(map(json.loads, sys.stdin), key=lambda r: r["id"])
ks = ["id", "m.x", "m.y", "m.a", "m.ab", "m.d", "k.x"]
print(";".join(" ".join("" if r[k] is None else str(r[k]) for k in ks) for r in rows))' 2>&1)
    [ "$got" = "$want" ] && pass audit_export_member_places_jsonl ||
        fail audit_export_member_places_jsonl "got '$got', want '$want'"
    if have_node_oracles; then
        got=$(cd "$ORACLE_DIR" && node --input-type=module -e "
import { DuckDBInstance } from '@duckdb/node-api';
const con = await (await DuckDBInstance.create(':memory:')).connect();
const r = await con.runAndReadAll(\"SELECT id, \\\"m.x\\\", \\\"m.y\\\", \\\"m.a\\\", \\\"m.ab\\\", \\\"m.d\\\", \\\"k.x\\\" FROM read_parquet('$TMP/m.parquet') ORDER BY id\");
console.log(r.getRows().map(x => x.map(v => v === null ? '' : String(v)).join(' ')).join(';'));" 2>&1)
        [ "$got" = "$want" ] && pass audit_export_member_places_parquet ||
            fail audit_export_member_places_parquet "got '$got', want '$want'"
    else skip audit_export_member_places_parquet "node or @duckdb/node-api missing"; fi
else
    fail audit_export_member_places_jsonl "$(head -c 300 "$TMP/err")"
fi

# --- integers either side of 18 digits (read without strtoll up to 18, with
# it from 19): exact, in both formats; -0 is 0
rm -rf "$W2/attributes"
attr2 n p '{"id":"a","n":{"i":999999999999999999,"j":9223372036854775807}}' \
          '{"id":"b","n":{"i":-999999999999999999,"j":-9223372036854775808}}'
attr2 n r '{"id":"c","n":{"i":1000000000000000000,"j":-1000000000000000000}}' \
          '{"id":"d","n":{"i":-0,"j":0}}'
want='a 999999999999999999 9223372036854775807;b -999999999999999999 -9223372036854775808;c 1000000000000000000 -1000000000000000000;d 0 0'
if "$BLALM" audit --work "$W2" --export "$TMP/i.jsonl.zst" --quiet 2>"$TMP/err" &&
        "$BLALM" audit --work "$W2" --export "$TMP/i.parquet" --quiet 2>>"$TMP/err"; then
    got=$(zstd -dc "$TMP/i.jsonl.zst" | "$PY" -c '
import json, sys
rows = sorted(map(json.loads, sys.stdin), key=lambda r: r["id"])
assert all(type(r[k]) is int for r in rows for k in ("n.i", "n.j")), rows
print(";".join(" ".join(str(r[k]) for k in ("id", "n.i", "n.j")) for r in rows))' 2>&1)
    [ "$got" = "$want" ] && pass audit_export_int_digit_boundary_jsonl ||
        fail audit_export_int_digit_boundary_jsonl "got '$got', want '$want'"
    if have_node_oracles; then
        got=$(cd "$ORACLE_DIR" && node --input-type=module -e "
import { DuckDBInstance } from '@duckdb/node-api';
const con = await (await DuckDBInstance.create(':memory:')).connect();
const r = await con.runAndReadAll(\"SELECT id, \\\"n.i\\\", \\\"n.j\\\", typeof(\\\"n.i\\\"), typeof(\\\"n.j\\\") FROM read_parquet('$TMP/i.parquet') ORDER BY id\");
console.log(r.getRows().map(x => x.slice(0, 3).map(String).join(' ') + (x[3] + x[4] === 'BIGINTBIGINT' ? '' : ' ' + x[3] + x[4])).join(';'));" 2>&1)
        [ "$got" = "$want" ] && pass audit_export_int_digit_boundary_parquet ||
            fail audit_export_int_digit_boundary_parquet "got '$got', want '$want'"
    else skip audit_export_int_digit_boundary_parquet "node or @duckdb/node-api missing"; fi
else
    fail audit_export_int_digit_boundary_jsonl "$(head -c 300 "$TMP/err")"
fi
