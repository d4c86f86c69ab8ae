#!/usr/bin/env bash
# blalm assemble on real FineWeb text (../shared/data/fineweb-legal.jsonl.zst,
# 2,100 documents, 2.4M words): budgets filled to >= 99.9%, words recounted by
# Python's str.split(), verify, byte-identical output when the sort spills,
# and the parquet copy (documents repeated across files) deduplicated by id.
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
CHECK="$PY $here/corpora_check.py"
if ! need_shared || [ ! -f "$SHARED_DATA/fineweb-legal.jsonl.zst" ]; then
    skip corpora_realdata "shared data (fineweb-legal.jsonl.zst) not found"; exit 0
fi
R=$TMP/real
mkdir -p "$R/work/docs/legal"
ln -s "$SHARED_DATA/fineweb-legal.jsonl.zst" "$R/work/docs/legal/fineweb-legal.jsonl.zst"
cat >"$R/c.json" <<'JSON'
{"corpora": [{"name": "strict", "budget": 1000000, "dev_words": 20000, "track": "strict"},
             {"name": "strict-small", "budget": 100000, "dev_words": 2000}], "seed": 11}
JSON
if "$BLALM" assemble --work "$R/work" --out "$R/out" --config "$R/c.json" 2>"$R/err"; then
    pass real_assemble
else
    fail real_assemble "$(tail -c 400 "$R/err")"; exit 0
fi
check real_verify_strict "$BLALM" verify "$R/out/strict" --track strict
check real_verify_small "$BLALM" verify "$R/out/strict-small" --track strict-small
check real_words_python_strict $CHECK words "$R/out/strict"
check real_words_python_small $CHECK words "$R/out/strict-small"
check real_subset $CHECK sets "$R/out"
# strict draws from the whole pool (2.4M words): >= 99.9% of its budget. The
# subset strict-small may only take strict's ~900 documents (mean ~1,100 words),
# so the last gap can be unfillable at this toy scale: >= 99.5% (at real scale,
# 10M from strict's ~100k documents, it fills: see tests/bench/assemble.sh).
fill=$("$PY" -c '
import json, sys
for c, need in (("strict", 0.999), ("strict-small", 0.995)):
    m = json.load(open(sys.argv[1] + "/" + c + "/manifest.json"))
    print(c, m["words"], m["budget"], "ok" if m["words"] >= need * m["budget"] and m["words"] <= m["budget"] else "short")
' "$R/out")
if ! printf '%s\n' "$fill" | grep -q short; then pass real_budget_filled_999; else fail real_budget_filled_999 "$(echo $fill)"; fi
"$BLALM" assemble --work "$R/work" --out "$R/out2" --config "$R/c.json" --mem 64k 2>"$R/err2"
if grep -q '[1-9][0-9]* sort runs spilled' "$R/err2" && diff -r "$R/out" "$R/out2" >/dev/null; then
    pass real_deterministic_spilling
else
    fail real_deterministic_spilling "$(tail -c 300 "$R/err2")"
fi
grep -q '"peak_rss_mb": [0-9]' "$R/work/stats/assemble.json" && pass real_stats_peak_memory ||
    fail real_stats_peak_memory "no peak_rss_mb in WORK/stats/assemble.json"

# parquet: 58 files, 5,800 rows, 2,100 distinct documents
P=$TMP/pq
mkdir -p "$P/work/docs"
ln -s "$SHARED_DATA/fineweb-legal" "$P/work/docs/legal"
echo '{"corpora": [{"name": "all", "budget": 100000000, "dev_words": 0}]}' >"$P/c.json"
if ! "$BLALM" assemble --work "$P/work" --out "$P/out" --config "$P/c.json" 2>"$P/err"; then
    if grep -q 'not supported by this build' "$P/err"; then
        skip real_parquet_dedup_by_id "parquet reader not in this build"
    else
        fail real_parquet_dedup_by_id "$(tail -c 300 "$P/err")"
    fi
else
    n=$("$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["documents"], m["pool"]["documents"])' "$P/out/all/manifest.json")
    if [ "$n" = "2100 5800" ] && "$BLALM" verify "$P/out/all" >/dev/null; then
        pass real_parquet_dedup_by_id
    else
        fail real_parquet_dedup_by_id "documents/pool: $n"
    fi
fi
