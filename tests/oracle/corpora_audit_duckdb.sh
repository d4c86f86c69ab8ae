#!/usr/bin/env bash
# DuckDB queries over `blalm audit --export` (jsonl.zst, and parquet when the
# writer is in this build) and documents.jsonl.zst agree with the manifest.
source "$(dirname "$0")/../lib.sh"
e2e=$(cd "$(dirname "$0")/../e2e" && pwd)
if ! have_node_oracles; then skip corpora_duckdb "node or @duckdb/node-api missing (make test-deps)"; exit 0; fi
if ! command -v zstd >/dev/null; then skip corpora_duckdb "zstd CLI missing"; exit 0; fi
W=$TMP/w
"$PY" "$e2e/corpora_fixture.py" "$W/work"
cat >"$W/c.json" <<'JSON'
{"corpora": [{"name": "strict", "budget": 200, "dev_words": 30}, {"name": "strict-small", "budget": 80}],
 "rules": ["gopher_quality.pass", "edu_llm.score >= 2"], "ranking": ["edu_llm.score desc"]}
JSON
"$BLALM" assemble --work "$W/work" --out "$W/out" --config "$W/c.json" --quiet || { fail corpora_duckdb "assemble failed"; exit 0; }
compare() { # name export
    local res
    if ! res=$(cd "$ORACLE_DIR" && node corpora_audit_duckdb.mjs "$2" "$W/out/strict" 2>&1); then
        fail "$1" "$(printf '%s' "$res" | tail -c 400)"; return
    fi
    "$PY" - "$res" "$W/out/strict/manifest.json" "$1" <<'PY'
import json, sys
r, m, name = json.loads(sys.argv[1]), json.load(open(sys.argv[2])), sys.argv[3]
n = lambda x: int(x)
problems = []
if n(r["total"]) != m["pool"]["documents"]: problems.append(f"rows {r['total']} != pool {m['pool']['documents']}")
if n(r["read_all"]) != n(r["total"]): problems.append(f"SELECT * read {r['read_all']} rows of {r['total']}")
if n(r["train"]["n"]) != m["documents"] or n(r["train"]["w"]) != m["words"]:
    problems.append(f"train {r['train']} != manifest {m['documents']} docs / {m['words']} words")
if n(r["dev"]["n"]) != m["dev"]["documents"] or n(r["dev"]["w"]) != m["dev"]["words"]:
    problems.append(f"dev {r['dev']} != manifest {m['dev']}")
if n(r["index"]["n"]) != m["documents"] or n(r["index"]["w"]) != m["words"]:
    problems.append(f"index {r['index']} != manifest")
if n(r["dup_ids"]) != 0: problems.append(f"{r['dup_ids']} repeated ids in the index")
if n(r["rule1_disagree"]) != 0: problems.append(f"{r['rule1_disagree']} rows where SQL's rules[1] disagrees")
if not r["excluded"]: problems.append("no excluded rows")
print(("PASS " + name) if not problems else ("FAIL " + name + ": " + "; ".join(problems)))
PY
}
"$BLALM" audit --work "$W/work" --export "$W/a.jsonl.zst" --quiet && compare duckdb_export_jsonl_zst "$W/a.jsonl.zst" ||
    fail duckdb_export_jsonl_zst "export failed"
if "$BLALM" audit --work "$W/work" --export "$W/a.parquet" --quiet 2>"$W/pq.err"; then
    compare duckdb_export_parquet "$W/a.parquet"
elif grep -q 'not supported by this build' "$W/pq.err"; then
    skip duckdb_export_parquet "parquet writer not in this build"
else
    fail duckdb_export_parquet "$(cat "$W/pq.err")"
fi
