#!/usr/bin/env bash
# blalm fetch --max-words against the loopback Hub stand-in serving parquet
# files with many row groups (written by hyparquet-writer from real FineWeb
# text): only the footer and the row groups needed travel, and the
# documents written equal DuckDB's reading of the source's first rows, with
# just enough words (Python str.split).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"
if ! have_node_oracles; then skip fetch_max_words "node or tests/oracle/node_modules missing (make test-deps)"; exit 0; fi
if ! need_shared || [ ! -d "$SHARED_DATA/fineweb-legal" ]; then skip fetch_max_words "shared data (fineweb-legal) not found"; exit 0; fi

repo=$TMP/repo
if ! node "$ORACLE_DIR/fetch_words_gen.mjs" "$repo" "$SHARED_DATA/fineweb-legal" >"$TMP/gen" 2>&1; then
    fail fetch_max_words_fixtures "$(tail -c 500 "$TMP/gen")"; exit 0
fi
start_hub "$repo"
src0=$repo/sample/10BT/000_00000.parquet
src1=$repo/sample/10BT/000_00001.parquet
size0=$(stat -c %s "$src0")
# words per row of the first file, Python str.split
words_of() { "$PY" -c '
import json, sys
for line in sys.stdin: print(len(json.loads(line)["text"].split()))' ; }
"$BLALM" cat "$src0" | words_of >"$TMP/w0"
"$BLALM" cat "$src1" | words_of >"$TMP/w1"
total0=$(awk '{s+=$1} END {print s}' "$TMP/w0")

# 1. a budget inside the first file's third row group
budget=$(awk 'NR<=250 {s+=$1} END {print s}' "$TMP/w0")
out=$TMP/out/fineweb-edu
if "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words "$budget" --out "$out" 2>"$TMP/e1"; then
    ours=$out/sample/10BT/000_00000-00000.jsonl.zst
    cp "$ours" "$TMP/snap1.jsonl.zst"   # DuckDB checks run together at the end
    sent=$(hub_stat cdn_bytes)
    [ "$sent" -lt $((size0 * 35 / 100)) ] && pass fetch_max_words_fetches_only_needed_row_groups ||
        fail fetch_max_words_fetches_only_needed_row_groups "$sent of $size0 bytes"
    grep -q '"row_groups":3,"row_groups_total":20' "$out/sample/10BT/000_00000.parquet.meta" &&
        pass fetch_max_words_sidecar || fail fetch_max_words_sidecar "$(cat "$out/sample/10BT/000_00000.parquet.meta")"
    [ ! -e "$out/sample/10BT/000_00001-00000.jsonl.zst" ] && [ -z "$(find "$out" -name '*.part')" ] &&
        pass fetch_max_words_no_extra_files || fail fetch_max_words_no_extra_files "$(find "$out")"
    "$BLALM" count "$ours" >/dev/null 2>&1 && pass fetch_max_words_output_readable || fail fetch_max_words_output_readable "blalm count failed"
else
    fail fetch_max_words_docs_equal_duckdb "$(tail -c 600 "$TMP/e1")"
fi

# 2. one word more than the first file holds: all of it, then one document of the next
before=$(hub_stat cdn_bytes)
if "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words $((total0 + 1)) --out "$out" -q 2>"$TMP/e2"; then
    cp "$out/sample/10BT/000_00000-00000.jsonl.zst" "$TMP/snap2a.jsonl.zst"
    cp "$out/sample/10BT/000_00001-00000.jsonl.zst" "$TMP/snap2b.jsonl.zst"
else fail fetch_max_words_spans_files "$(tail -c 600 "$TMP/e2")"; fi

# 3. rerun with the same budget: reused, nothing fetched
before=$(hub_stat cdn)
"$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words $((total0 + 1)) --out "$out" 2>"$TMP/e3" &&
    [ "$(hub_stat cdn)" = "$before" ] && grep -q "2 reused" "$TMP/e3" && pass fetch_max_words_rerun_reuses ||
    fail fetch_max_words_rerun_reuses "cdn $before -> $(hub_stat cdn); $(cat "$TMP/e3")"

# 4. a smaller budget afterwards: the second file's earlier output is removed
k4=$(awk '{s+=$1; n++; if (s>=1000) {print n; exit}}' "$TMP/w0")
if "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 1000 --out "$out" 2>"$TMP/e4" &&
   [ ! -e "$out/sample/10BT/000_00001-00000.jsonl.zst" ]; then
    cp "$out/sample/10BT/000_00000-00000.jsonl.zst" "$TMP/snap4.jsonl.zst"
else fail fetch_max_words_smaller_budget_replaces "$(cat "$TMP/e4")"; fi

# DuckDB's reading of the sources against the outputs kept above (one node run)
if [ -f "$TMP/snap1.jsonl.zst" ] && [ -f "$TMP/snap2a.jsonl.zst" ] && [ -f "$TMP/snap4.jsonl.zst" ]; then
    node "$ORACLE_DIR/fetch_words_check.mjs" "$src0" "$TMP/snap1.jsonl.zst" "$src0" "$TMP/snap2a.jsonl.zst" \
        "$src1" "$TMP/snap2b.jsonl.zst" "$src0" "$TMP/snap4.jsonl.zst" >"$TMP/chk" 2>&1
    mapfile -t r <"$TMP/chk"
    [ "${r[0]:-}" = "ok 250" ] && pass fetch_max_words_docs_equal_duckdb || fail fetch_max_words_docs_equal_duckdb "${r[0]:-$(cat "$TMP/chk")}"
    [ "${r[1]:-}" = "ok 2000" ] && [ "${r[2]:-}" = "ok 1" ] && pass fetch_max_words_spans_files || fail fetch_max_words_spans_files "${r[1]:-} / ${r[2]:-}"
    [ "${r[3]:-}" = "ok $k4" ] && pass fetch_max_words_smaller_budget_replaces || fail fetch_max_words_smaller_budget_replaces "${r[3]:-} (want ok $k4)"
fi

# 5. a file that is not parquet: a clear error, nothing left behind
mkdir -p "$TMP/bad/sample/10BT"; head -c 5000 /dev/urandom >"$TMP/bad/sample/10BT/x.parquet"
start_hub "$TMP/bad"
"$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 100 --out "$TMP/badout" >"$TMP/o5" 2>"$TMP/e5"; rc=$?
[ $rc = 1 ] && grep -q "PAR1" "$TMP/e5" && [ -z "$(find "$TMP/badout" -type f 2>/dev/null)" ] && pass fetch_max_words_not_parquet ||
    fail fetch_max_words_not_parquet "rc $rc; $(cat "$TMP/e5"); $(find "$TMP/badout" -type f 2>/dev/null)"
