#!/usr/bin/env bash
# Parquet reader and writer against DuckDB.
#  - fixtures written in this run by DuckDB, hyparquet-writer and parquet-wasm
#    (every codec, pages v1 and v2, dictionary, PLAIN, delta and byte-stream-split
#    encodings, nulls, empty strings, a multi-megabyte string, many row groups,
#    the FineWeb-Edu schema, ids of every type we print as text): every document
#    our reader produces equals DuckDB's reading of the same file (id, text,
#    every metadata value with its type);
#  - the real pyarrow files in $BLALM_SHARED_DATA/fineweb-legal (58 files);
#  - files written by our writer (pqw_*): DuckDB reads back the values given;
#  - `blalm cat` on a fixture, when the build has it;
#  - FLOAT16 and INTERVAL columns as DuckDB reads them; DECIMALs wider than
#    16 bytes exact; binary of a type blalm does not render refused, naming it;
#    a data page of 17,000,000 values;
#  - corrupt files: a clear error naming the file, non-zero exit.
source "$(dirname "$0")/../lib.sh"
HELPER=${BLALM_UNIT_DIR:-}/test_parquet
if ! have_node_oracles; then skip parquet_duckdb "node or tests/oracle/node_modules missing (make test-deps)"; exit 0; fi
if [ ! -x "$HELPER" ]; then skip parquet_duckdb "$HELPER not built (make unit-bins)"; exit 0; fi

FX=$TMP/fx
fineweb=
need_shared && [ -d "$SHARED_DATA/fineweb-legal" ] && fineweb=$SHARED_DATA/fineweb-legal
if ! node "$ORACLE_DIR/parquet_gen.mjs" "$FX" "$fineweb" >"$TMP/fixtures.txt" 2>"$TMP/gen.err"; then
    fail parquet_fixtures "fixture generation failed: $(tail -c 600 "$TMP/gen.err")"
    exit 0
fi
pass "parquet_fixtures ($(wc -l <"$TMP/fixtures.txt") files from DuckDB, hyparquet-writer, parquet-wasm)"

# comparisons are queued and run by one node process at the end
JOBS=$TMP/jobs.tsv
: >"$JOBS"
compare() { # name mode file ours [opts]
    local IFS=$'\t'
    printf '%s\n' "$*" >>"$JOBS"
}

while read -r f; do
    b=$(basename "$f" .parquet)
    opts=()
    [ "$b" = duck_custom_field ] && opts=(--text-field body --id-field doc_no)
    if ! "$HELPER" --dump "${opts[@]}" "$f" >"$TMP/$b.jsonl" 2>"$TMP/$b.err"; then
        fail "parquet_read_$b" "$(head -c 600 "$TMP/$b.err")"
        continue
    fi
    compare "parquet_read_$b" read "$f" "$TMP/$b.jsonl" "${opts[@]}"
done <"$TMP/fixtures.txt"

# text-only projection: same ids and texts, metadata skipped
"$HELPER" --dump --text-only "$FX/duck_zstd.parquet" >"$TMP/textonly.jsonl" 2>"$TMP/to.err" &&
    grep -q '"metadata":{}' "$TMP/textonly.jsonl" &&
    compare parquet_read_text_only read "$FX/duck_zstd.parquet" "$TMP/textonly.jsonl" --ids-only ||
    fail parquet_read_text_only "$(head -c 300 "$TMP/to.err")"

# the real pyarrow files
if [ -n "$fineweb" ]; then
    files=("$fineweb"/*.parquet)
    if LC_ALL=C "$HELPER" --dump "${files[@]}" >"$TMP/fineweb.jsonl" 2>"$TMP/fw.err"; then
        n=$(wc -l <"$TMP/fineweb.jsonl")
        compare "parquet_fineweb_legal (${#files[@]} files, $n rows)" read "$fineweb/*.parquet" "$TMP/fineweb.jsonl" --concat
    else
        fail parquet_fineweb_legal "$(head -c 600 "$TMP/fw.err")"
    fi
else
    skip parquet_fineweb_legal "shared data (fineweb-legal) not found"
fi

# our writer, read back by DuckDB
mkdir -p "$TMP/w"
if "$HELPER" --write "$TMP/w" 2>"$TMP/w.err"; then
    for f in "$TMP"/w/*.parquet; do
        b=$(basename "$f" .parquet)
        compare "parquet_write_$b" write "$f" "$TMP/w/$b.expect.jsonl"
    done
    ls -a "$TMP/w" | grep -q '\.tmp\.' && fail parquet_write_no_temp "temporary files left in $TMP/w" || pass parquet_write_no_temp
else
    fail parquet_write "$(head -c 600 "$TMP/w.err")"
fi

# `blalm cat` reads parquet through docs.h (once the build has cat)
if "$BLALM" cat --help >/dev/null 2>&1; then
    if "$BLALM" cat "$FX/duck_snappy.parquet" >"$TMP/cat.jsonl" 2>"$TMP/cat.err"; then
        compare parquet_blalm_cat read "$FX/duck_snappy.parquet" "$TMP/cat.jsonl"
    else
        fail parquet_blalm_cat "$(head -c 600 "$TMP/cat.err")"
    fi
    # typed ids (unsigned, decimal, date, time, timestamp, uuid) through the
    # command itself: the id is DuckDB's reading of the value
    # and FLOAT16 and INTERVAL columns: floats and DuckDB's interval text
    for f in "$FX"/duck_id_*.parquet "$FX"/pw_id_u64.parquet "$FX"/hyp_float16.parquet "$FX"/*interval*.parquet; do
        b=$(basename "$f" .parquet)
        if "$BLALM" cat "$f" >"$TMP/cat_$b.jsonl" 2>"$TMP/cat_$b.err"; then
            compare "parquet_blalm_cat_$b" read "$f" "$TMP/cat_$b.jsonl"
        else
            fail "parquet_blalm_cat_$b" "$(head -c 600 "$TMP/cat_$b.err")"
        fi
    done
else
    skip parquet_blalm_cat "this build has no 'blalm cat' yet"
fi

out=$(node "$ORACLE_DIR/parquet_compare.mjs" --jobs "$JOBS" 2>&1)
printf '%s\n' "$out" | grep -E '^(PASS|FAIL) '
[ "$(printf '%s\n' "$out" | grep -cE '^(PASS|FAIL) ')" -eq "$(wc -l <"$JOBS")" ] ||
    fail parquet_compare "comparison script ended early: $(printf '%s' "$out" | tail -c 600 | tr '\n' ' ')"

# a null text is an error naming the file, the row and its row group (it was
# read as an empty document; a JSON-lines null text is an error too)
"$BLALM" count "$FX/duck_null_text.parquet" >/dev/null 2>"$TMP/nt.err"; rc=$?
"$HELPER" --dump "$FX/duck_null_text.parquet" >"$TMP/nt.jsonl" 2>"$TMP/nt2.err"; rc2=$?
if [ $rc = 1 ] && [ $rc2 != 0 ] &&
   grep -q "duck_null_text.parquet: row 2500 (row group [1-9][0-9]*, its row [0-9]*): column 'text' is null; expected a string value for the text field" "$TMP/nt.err" &&
   [ "$(wc -l <"$TMP/nt.jsonl")" = 2500 ]; then
    pass parquet_null_text_refused
else
    fail parquet_null_text_refused "rc=$rc/$rc2 $(head -c 300 "$TMP/nt.err")"
fi

# DECIMALs wider than 16 bytes (17 to 256, and variable-length ones) are
# formatted exactly: the text of each value is computed by parquet_gen.mjs
# from the BigInt it gave the writer (DuckDB misreads these widths). They
# were raw bytes in a JSON string, invalid UTF-8 that blalm's own shards
# then refused.
if "$BLALM" cat "$FX/hyp_decimal_wide.parquet" >"$TMP/wide.jsonl" 2>"$TMP/wide.err" &&
   cmp -s "$TMP/wide.jsonl" "$FX/hyp_decimal_wide.expect.jsonl"; then
    pass "parquet_decimal_wide_exact ($(wc -l <"$TMP/wide.jsonl") rows, 17 to 256 bytes)"
else
    fail parquet_decimal_wide_exact "$(head -c 300 "$TMP/wide.err") $(diff "$TMP/wide.jsonl" "$FX/hyp_decimal_wide.expect.jsonl" | head -c 600)"
fi
# binary columns blalm cannot render are refused, naming the column and the
# type (not "not valid UTF-8", never raw bytes); a text-only read (count)
# does not decode them
for c in "hyp_decimal_257|column 'huge': DECIMAL stored in 257 bytes is not supported|2" \
         "hyp_geometry|column 'geom' has type GEOMETRY (on BYTE_ARRAY), which is not supported|1" \
         "hyp_bson|column 'doc' has type BSON (on BYTE_ARRAY), which is not supported|1"; do
    IFS='|' read -r b msg docs <<<"$c"
    "$BLALM" cat "$FX/$b.parquet" >"$TMP/$b.out" 2>"$TMP/$b.err"; rc=$?
    n=$("$BLALM" count -q "$FX/$b.parquet" 2>/dev/null | awk '{print $1}')
    if [ $rc = 1 ] && [ ! -s "$TMP/$b.out" ] && grep -qF "$b.parquet: $msg" "$TMP/$b.err" && [ "$n" = "$docs" ]; then
        pass "parquet_refused_$b"
    else
        fail "parquet_refused_$b" "rc=$rc count=$n $(head -c 300 "$TMP/$b.err")"
    fi
done

# a data page of 17,000,000 values (DuckDB's one dictionary page for a
# constant column in a big row group) is read, not refused as corrupt
if [ -f "$FX/duck_const_17m.parquet" ]; then
    n=$("$BLALM" count -q "$FX/duck_const_17m.parquet" 2>"$TMP/17m.err" | awk '{print $1}')
    if [ "$n" = 17000000 ]; then
        pass parquet_page_17m_values
    else
        fail parquet_page_17m_values "count gave '$n': $(head -c 300 "$TMP/17m.err")"
    fi
fi

# corrupt files: clear error naming the file and a byte offset, non-zero exit
src=$FX/duck_snappy.parquet
size=$(stat -c %s "$src")
head -c $((size - 100)) "$src" >"$TMP/truncated.parquet"
head -c $((size / 2)) "$src" >"$TMP/half.parquet"; tail -c 8 "$src" >>"$TMP/half.parquet"
printf 'PAR1 not really' >"$TMP/garbage.parquet"
for c in truncated half garbage; do
    if "$HELPER" --dump "$TMP/$c.parquet" >/dev/null 2>"$TMP/$c.err"; then
        fail "parquet_corrupt_$c" "exit 0 on a corrupt file"
    elif grep -q "$c.parquet.*byte [0-9]" "$TMP/$c.err"; then
        pass "parquet_corrupt_$c: $(head -c 160 "$TMP/$c.err")"
    else
        fail "parquet_corrupt_$c" "message lacks file or byte offset: $(head -c 300 "$TMP/$c.err")"
    fi
done
