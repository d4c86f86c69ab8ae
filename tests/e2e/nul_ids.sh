#!/usr/bin/env bash
# Document ids are bytes: an id holding a NUL ("\u0000" in JSON lines, a raw
# 0 byte in a parquet id) goes through tag, assemble, verify, audit and
# score --where like any other; attribute lines join on the whole id, not on
# the part before the NUL (parquet audit finding 2). A mismatch shows both
# ids escaped, so the two never print alike.
source "$(dirname "$0")/../lib.sh"

conf='{"corpora": [{"name": "strict", "budget": 100000, "dev_words": 0, "subset_of": null}],
 "rules": [], "ranking": ["readability.words desc"]}'

# pipeline WORK EXPECTED_DOCS NAME: tag, assemble, verify, audit --export and
# score --dry-run --where over WORK's documents
pipeline() {
    local W=$1 n=$2 name=$3
    printf '%s\n' "$conf" >"$W/c.json"
    if ! "$BLALM" tag --work "$W" --taggers readability --quiet 2>"$TMP/e"; then
        fail "${name}_tag" "$(cat "$TMP/e")"; return
    fi
    if "$BLALM" assemble --work "$W" --out "$W/out" --config "$W/c.json" --quiet 2>"$TMP/e"; then
        # every document is in the corpus index under its whole id
        got=$(zstdcat "$W/out/strict/documents.jsonl.zst" | grep -c '"id":"n\\u0000')
        [ "$got" = "$n" ] && pass "${name}_assemble" || fail "${name}_assemble" "$got of $n ids with their NUL"
    else
        fail "${name}_assemble" "$(cat "$TMP/e")"
    fi
    if "$BLALM" verify "$W/out/strict" >"$TMP/o" 2>&1 && grep -q "no repeated ids" "$TMP/o"; then
        pass "${name}_verify"
    else fail "${name}_verify" "$(tail -c 400 "$TMP/o")"; fi
    if "$BLALM" audit --work "$W" --export "$TMP/$name.jsonl" --quiet 2>"$TMP/e"; then
        got=$("$PY" -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
print(sum(r["id"].startswith("n\0") and r["fate.strict"] == "train" for r in rows), len({r["id"] for r in rows}))' "$TMP/$name.jsonl")
        [ "$got" = "$n $n" ] && pass "${name}_audit_export" || fail "${name}_audit_export" "in train / distinct ids: $got, want $n $n"
    else
        fail "${name}_audit_export" "$(cat "$TMP/e")"
    fi
    if out=$("$BLALM" score --work "$W" --endpoint http://127.0.0.1:9/v1 --model m --dry-run \
                 --where 'readability.words > 0' -q 2>&1) && grep -q "$n selected" <<<"$out"; then
        pass "${name}_score_where"
    else fail "${name}_score_where" "$out"; fi
    # the report's examples show the whole id, its NUL as U+2400 (they were cut at the NUL)
    if "$BLALM" report --work "$W" --out "$TMP/$name.html" --quiet 2>"$TMP/e"; then
        if grep -q $'<td>n\u2400[0-9][0-9]*<br>' "$TMP/$name.html" && ! grep -q '<td>n<br>' "$TMP/$name.html"; then
            pass "${name}_report_examples"
        else fail "${name}_report_examples" "$(grep -o '<td>n[^<]*<br>' "$TMP/$name.html" | head -3 | tr '\n' ' ')"; fi
    else fail "${name}_report_examples" "$(tail -c 300 "$TMP/e")"; fi
}

# ---- JSON lines: ids n\u0000<i> ----
W=$TMP/jsonl
mkdir -p "$W/docs/web"
"$PY" - "$W/docs/web/p.jsonl" <<'PY'
import json, random, sys
rng = random.Random(3)
words = "rivers hills wheat stars rain snow towns children read learn grow".split()
with open(sys.argv[1], "w") as out:
    for i in range(30):
        out.write(json.dumps({"id": f"n\0{i}", "text": " ".join(rng.choice(words) for _ in range(rng.randint(20, 60)))}) + "\n")
PY
pipeline "$W" 30 nul_ids_jsonl

# a mismatch after the NUL: both ids escaped, not two equal-looking "n"
# (through a second file: zstd -o truncated the file zstdcat was still reading)
zstdcat "$W/attributes/readability/web/p.jsonl.zst" | sed '1s/"n\\u00000"/"n\\u00000x"/' |
    zstd -q -f -o "$TMP/p.edited.jsonl.zst" && mv "$TMP/p.edited.jsonl.zst" "$W/attributes/readability/web/p.jsonl.zst"
if "$BLALM" audit --work "$W" --export "$TMP/bad.jsonl" --quiet 2>"$TMP/e"; then
    fail nul_ids_mismatch_shown_escaped "exit 0"
elif grep -qF 'id "n\u00000x" does not match document row 0' "$TMP/e" && grep -qF '(id "n\u00000")' "$TMP/e"; then
    pass nul_ids_mismatch_shown_escaped
else fail nul_ids_mismatch_shown_escaped "$(cat "$TMP/e")"; fi

# ---- parquet: raw NUL bytes in a string id column, written by DuckDB ----
if ! have_node_oracles; then
    skip nul_ids_parquet "node or tests/oracle/node_modules missing (make test-deps)"
    exit 0
fi
W=$TMP/pq
mkdir -p "$W/docs/web"
if ! (cd "$ORACLE_DIR" && node --input-type=module - "$W/docs/web/p.parquet" <<'JS') 2>"$TMP/e"; then
import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:'); const con = await db.connect();
await con.run(`COPY (SELECT 'n' || chr(0) || i AS id,
    trim(repeat('rivers hills wheat stars rain ', 5 + i % 7) || 'snow ' || i) AS text
    FROM range(25) r(i)) TO '${process.argv[2]}' (FORMAT parquet)`);
JS
    fail nul_ids_parquet_fixture "$(cat "$TMP/e")"
    exit 0
fi
pipeline "$W" 25 nul_ids_parquet
