#!/usr/bin/env bash
# DuckDB queries over `blalm audit --export` (jsonl.zst, and parquet when the
# writer is in this build) and documents.jsonl.zst agree with the manifest;
# attribute strings holding \u0000 and integers beyond 2^53 come out exact.
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
kinds = {"train", "dev", "excluded", "duplicate", "budget_full", "dev_budget_full", "quota_full", "not_in_parent"}
for c, groups in r["outcomes"].items():
    got = {g["o"]: n(g["n"]) for g in groups}
    if not set(got) <= kinds: problems.append(f"outcome.{c} has {sorted(map(str, set(got) - kinds))}")
    if sum(got.values()) != n(r["total"]): problems.append(f"outcome.{c} counts {got} do not add up to {r['total']}")
    if len(got) < 3: problems.append(f"outcome.{c} has only {got}")
    if c == "strict" and (got.get("train") != m["documents"] or got.get("dev") != m["dev"]["documents"]):
        problems.append(f"outcome.strict {got} != manifest {m['documents']} train / {m['dev']['documents']} dev")
if n(r["outcome_excluded_disagree"]) != 0:
    problems.append(f"{r['outcome_excluded_disagree']} rows where outcome 'excluded' disagrees with excluded_by")
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

# --- exact values: a set written by hand with a string holding \u0000 (cJSON
# ended it there) and integers beyond 2^53 (they went through a double)
"$PY" - "$W/work" <<'PY'
import json, subprocess, sys
w = sys.argv[1]
ids = [json.loads(l)["id"] for l in open(f"{w}/docs/web/part-0.jsonl")]
lines = []
for i, d in enumerate(ids):
    o = {"str": f"nul\u0000byte {i} \u2028 \U0001F600 \"q\" \\", "big": 9007199254740993 + i,
         "min": -9223372036854775808, "u64": 18446744073709551615 - i, "mixed": [1, "a\u0000b", 2**63 + i] if i % 2 else 7}
    lines.append(json.dumps({"id": d, "exact": o}))
subprocess.run(["mkdir", "-p", f"{w}/attributes/exact/web"], check=True)
subprocess.run(["zstd", "-q", "-f", "-o", f"{w}/attributes/exact/web/part-0.jsonl.zst"], input="\n".join(lines).encode() + b"\n", check=True)
PY
exact_check() { # name export
    local res
    if ! (cd "$ORACLE_DIR" && node corpora_audit_exact.mjs "$2") >"$W/exact.out" 2>&1; then
        fail "$1" "$(tail -c 400 "$W/exact.out")"; return
    fi
    "$PY" - "$1" "$W/work/docs/web/part-0.jsonl" "$W/exact.out" <<'PY'
import json, sys
name, docs, out = sys.argv[1:]
ids = [json.loads(l)["id"] for l in open(docs)]
rows = [json.loads(l) for l in open(out) if l.strip()]
bad = [] if len(rows) == len(ids) else [f"{len(rows)} rows of {len(ids)}"]
for i, (r, d) in enumerate(zip(rows, ids)):
    s = f"nul\u0000byte {i} \u2028 \U0001F600 \"q\" \\"
    mixed = json.dumps([1, "a\u0000b", 2**63 + i], separators=(",", ":")) if i % 2 else "7"
    want = [d, s, len(s), str(9007199254740993 + i), "-9223372036854775808", str(18446744073709551615 - i)]
    got = r[:6]
    if got != want or r[7] != "BIGINT" or json.loads(r[6]) != json.loads(mixed):
        bad.append(f"row {i}: {r!r} != {want + [mixed, 'BIGINT']!r}")
        break
print(("PASS " + name) if not bad else ("FAIL " + name + ": " + "; ".join(bad))[:900])
PY
}
if "$BLALM" audit --work "$W/work" --export "$W/x.jsonl.zst" --quiet 2>"$W/x.err"; then
    exact_check audit_export_exact_jsonl_zst "$W/x.jsonl.zst"
else fail audit_export_exact_jsonl_zst "$(cat "$W/x.err")"; fi
if "$BLALM" audit --work "$W/work" --export "$W/x.parquet" --quiet 2>"$W/x.err"; then
    exact_check audit_export_exact_parquet "$W/x.parquet"
else fail audit_export_exact_parquet "$(cat "$W/x.err")"; fi
# audit ID shows the same values
id0=$(head -1 "$W/work/docs/web/part-0.jsonl" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
"$BLALM" audit --work "$W/work" "$id0" >"$W/show" 2>&1
grep -qF 'exact.str = "nul\u0000byte 0 ' "$W/show" && grep -qF 'exact.big = 9007199254740993' "$W/show" &&
    grep -qF 'exact.u64 = 18446744073709551615' "$W/show" && pass audit_show_exact ||
    fail audit_show_exact "$(grep 'exact\.' "$W/show" | head -5)"
