#!/usr/bin/env bash
# `blalm distill train` on fineweb-legal's 58 parquet shards (5,800 rows, 2,100
# documents: separate LLM calls labelled the repeats, sometimes differently)
# uses each document once with its first label, and counts the repeats and
# those whose label differs. DuckDB counts the same from the same files.
source "$(dirname "$0")/../lib.sh"
if ! need_shared || [ ! -d "$SHARED_DATA/fineweb-legal" ]; then
    skip distill_repeats_duckdb "../shared/data/fineweb-legal not found"; exit 0
fi
if ! have_node_oracles; then skip distill_repeats_duckdb "node or @duckdb/node-api missing (make test-deps)"; exit 0; fi
mkdir -p "$TMP/w/docs"
ln -s "$SHARED_DATA/fineweb-legal" "$TMP/w/docs/legal"
if ! "$BLALM" distill train --work "$TMP/w" --label-field score --attr-features none --model-type ridge \
        --out "$TMP/m.bin" --json >"$TMP/train.json" 2>"$TMP/err"; then
    fail distill_repeats_duckdb "train: $(cat "$TMP/err")"; exit 0
fi
(cd "$ORACLE_DIR" && node distill_repeats_duckdb.mjs "$SHARED_DATA/fineweb-legal/*.parquet") >"$TMP/duck.json" 2>"$TMP/err" ||
    { fail distill_repeats_duckdb "duckdb: $(cat "$TMP/err")"; exit 0; }
check distill_repeats_duckdb "$PY" -c "
import json; b = json.load(open('$TMP/train.json')); d = json.load(open('$TMP/duck.json'))
print('INFO blalm: used', b['used'], 'duplicates', b['duplicates_id'], '+', b['duplicates_text'], 'label_conflicts', b['label_conflicts'],
      '| duckdb:', d)
assert (b['documents'], b['used']) == (d['documents'], d['documents']), (b, d)
assert b['duplicates_id'] + b['duplicates_text'] == d['repeats'], (b, d)
assert b['label_conflicts'] == d['conflicts'] and d['conflicts'] > 0, (b, d)"
