#!/usr/bin/env bash
# What each exact rule finds is counted and shown: stats/dedup.json's
# exact_duplicates_by (id, text, url, and the id duplicates whose text
# differs), a warning naming an example when equal ids hold different texts
# (ids restarting at 0 in every shard), and --keep-max values that are
# missing, misspelt or not numbers (numeric strings and ISO-8601 date-times
# are read as numbers).
source "$(dirname "$0")/../lib.sh"
json() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

# ---- ids restarting at 0 in each file: same id, different text -----------
W="$TMP/ids"; mkdir -p "$W/docs/src"
for f in a b; do
    for i in 0 1 2; do
        printf '{"id":"%d","text":"file %s holds document number %d with words of its own %s%d"}\n' $i $f $i $f $i
    done > "$W/docs/src/$f.jsonl"
done
printf '{"id":"9","text":"File A holds document number 0 with words of its own a0"}\n' >> "$W/docs/src/b.jsonl"
"$BLALM" dedup --work "$W" --quiet >"$TMP/out" 2>"$TMP/err"; rc=$?
[ $rc -eq 0 ] && pass dedup_rules_ids_exit || fail dedup_rules_ids_exit "exit $rc: $(head -c 300 "$TMP/err")"
if grep -q 'warning: 3 of the 3 documents counted as exact duplicates for an equal id have a different text' "$TMP/err" &&
   grep -q 'id "0" in .*/docs/src/a.jsonl:1 and .*/docs/src/b.jsonl:1' "$TMP/err" &&
   grep -q -- "remove $W/state/dedup, then rerun with --no-exact-id" "$TMP/err"; then pass dedup_rules_ids_warning
else fail dedup_rules_ids_warning "$(head -c 400 "$TMP/err")"; fi
got=$(json "$W/stats/dedup.json" 'd["exact_duplicates_by"]')
[ "$got" = "{'id': 3, 'text': 1, 'url': 0, 'same_id_different_text': 3}" ] && pass dedup_rules_ids_stats ||
    fail dedup_rules_ids_stats "exact_duplicates_by $got"
# --no-exact-id: the rule is off, no warning, its counts null
rm -rf "$W/state" "$W/stats" "$W/attributes"
"$BLALM" dedup --work "$W" --quiet --no-exact-id >"$TMP/out" 2>"$TMP/err"
got=$(json "$W/stats/dedup.json" 'd["exact_duplicates_by"]')
[ ! -s "$TMP/err" ] && [ "$got" = "{'id': None, 'text': 1, 'url': 0, 'same_id_different_text': None}" ] &&
    pass dedup_rules_no_exact_id || fail dedup_rules_no_exact_id "$got; $(head -c 300 "$TMP/err")"
# --no-exact-text: the id check compares the texts' bytes (no exact-text key is
# normalised for it), so an id whose text differs only in case counts too
printf '{"id":"0","text":"FILE A HOLDS DOCUMENT NUMBER 0 WITH WORDS OF ITS OWN A0"}\n' > "$W/docs/src/c.jsonl"
rm -rf "$W/state" "$W/stats" "$W/attributes"
"$BLALM" dedup --work "$W" --quiet --no-exact-text >"$TMP/out" 2>"$TMP/err"
got=$(json "$W/stats/dedup.json" 'd["exact_duplicates_by"]')
grep -q 'warning: 4 of the 4 documents counted as exact duplicates for an equal id' "$TMP/err" &&
    [ "$got" = "{'id': 4, 'text': None, 'url': 0, 'same_id_different_text': 4}" ] &&
    pass dedup_rules_no_exact_text_id_bytes || fail dedup_rules_no_exact_text_id_bytes "$got; $(head -c 300 "$TMP/err")"
rm -f "$W/docs/src/c.jsonl"
# equal ids with equal texts: duplicates, no warning
W2="$TMP/same"; mkdir -p "$W2/docs/src"
printf '{"id":"x","text":"one and the same text of several words"}\n' > "$W2/docs/src/a.jsonl"
cp "$W2/docs/src/a.jsonl" "$W2/docs/src/b.jsonl"
"$BLALM" dedup --work "$W2" --quiet >"$TMP/out" 2>"$TMP/err"
got=$(json "$W2/stats/dedup.json" 'd["exact_duplicates_by"]')
[ ! -s "$TMP/err" ] && [ "$got" = "{'id': 1, 'text': 1, 'url': 0, 'same_id_different_text': 0}" ] &&
    pass dedup_rules_same_id_same_text || fail dedup_rules_same_id_same_text "$got; $(head -c 300 "$TMP/err")"

# ---- --keep-max: numbers, numeric strings, ISO-8601 date-times -------------
# three copies of one text; the one with the latest crawl (or largest score)
# must be kept, whatever form its value takes
K="$TMP/keep"; mkdir -p "$K/docs/src"
txt="the very same text of this crawled page appears three times in the corpus"
cat > "$K/docs/src/a.jsonl" <<J
{"id":"k0","text":"$txt","metadata":{"timestamp":"2024-01-02T08:43:38.124488Z","score":"2","n":1}}
{"id":"k1","text":"$txt","metadata":{"timestamp":"2024-03-01 00:00:00+01:00","score":"17.5","n":2}}
{"id":"k2","text":"$txt","metadata":{"timestamp":"2024-02-29T23:30:00Z","score":"not a number","n":3}}
J
kept() { zstd -dc "$1/attributes/dedup/src/a.jsonl.zst" | "$PY" -c '
import json,sys
for l in sys.stdin:
    d = json.loads(l)
    v = d.get("attributes", d)
    v = v.get("dedup", v)
    if v["keep"]: print(d["id"])'; }
"$BLALM" dedup --work "$K" --quiet --keep-max timestamp >"$TMP/out" 2>"$TMP/err"; rc=$?
got=$(kept "$K")
# 2024-03-01T00:00+01:00 is 2024-02-29T23:00Z: earlier than k2's 23:30Z
[ $rc -eq 0 ] && [ "$got" = k2 ] && [ ! -s "$TMP/err" ] && pass dedup_rules_keep_iso_timestamp ||
    fail dedup_rules_keep_iso_timestamp "exit $rc, kept '$got': $(head -c 300 "$TMP/err")"
got=$(json "$K/stats/dedup.json" 'd["keep_max_values"]')
[ "$got" = "{'usable': 3, 'missing_or_unreadable': 0}" ] && pass dedup_rules_keep_stats ||
    fail dedup_rules_keep_stats "keep_max_values $got"
# numeric strings are numbers; one unreadable value: a warning naming it
rm -rf "$K/state" "$K/stats" "$K/attributes"
"$BLALM" dedup --work "$K" --quiet --keep-max score >"$TMP/out" 2>"$TMP/err"; rc=$?
got=$(kept "$K")
[ $rc -eq 0 ] && [ "$got" = k1 ] && pass dedup_rules_keep_numeric_string ||
    fail dedup_rules_keep_numeric_string "exit $rc, kept '$got': $(head -c 300 "$TMP/err")"
grep -q "warning: --keep-max 'score': 1 of the 3 documents have no usable value .*src/a.jsonl:3" "$TMP/err" &&
    pass dedup_rules_keep_warns_unreadable || fail dedup_rules_keep_warns_unreadable "$(head -c 400 "$TMP/err")"
got=$(json "$K/stats/dedup.json" 'd["keep_max_values"]')
[ "$got" = "{'usable': 2, 'missing_or_unreadable': 1}" ] && pass dedup_rules_keep_stats_unreadable ||
    fail dedup_rules_keep_stats_unreadable "keep_max_values $got"
# a misspelt field: no document has it, an error naming field and file:line, no attributes
rm -rf "$K/state" "$K/stats" "$K/attributes"
"$BLALM" dedup --work "$K" --quiet --keep-max scroe >"$TMP/out" 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q "keep-max 'scroe': none of the 3 documents has a usable value .*src/a.jsonl:1.*field name" "$TMP/err" &&
    [ ! -e "$K/attributes/dedup/src/a.jsonl.zst" ] && [ ! -e "$K/state/dedup/clusters.bin" ] &&
    pass dedup_rules_keep_typo_fails || fail dedup_rules_keep_typo_fails "exit $rc: $(head -c 400 "$TMP/err")"
# its way out works: remove the state it names, then rerun with the right field
# (rerunning at once is refused: the signatures hold the field they were made with)
"$BLALM" dedup --work "$K" --quiet --keep-max score >"$TMP/out" 2>"$TMP/err2"; rc2=$?
grep -q "remove $K/state/dedup, then rerun with the right field" "$TMP/err" && [ $rc2 -ne 0 ] &&
    rm -rf "$K/state/dedup" && "$BLALM" dedup --work "$K" --quiet --keep-max score >"$TMP/out" 2>"$TMP/err2" &&
    pass dedup_rules_keep_typo_way_out || fail dedup_rules_keep_typo_way_out "exit $rc2: $(head -c 400 "$TMP/err") | $(head -c 300 "$TMP/err2")"
# FineWeb's parquet timestamp (a string in the metadata) is read as a date-time
if need_shared && [ -f "$SHARED_DATA/fineweb-legal/batch_000001.parquet" ]; then
    P="$TMP/pq"; mkdir -p "$P/docs/fw"
    ln -s "$SHARED_DATA/fineweb-legal/batch_000001.parquet" "$P/docs/fw/b1.parquet"
    "$BLALM" dedup --work "$P" --quiet --keep-max timestamp >"$TMP/out" 2>"$TMP/err"; rc=$?
    got=$(json "$P/stats/dedup.json" 'd["keep_max_values"]["missing_or_unreadable"]' 2>&1)
    [ $rc -eq 0 ] && [ "$got" = 0 ] && pass dedup_rules_keep_parquet_timestamp ||
        fail dedup_rules_keep_parquet_timestamp "exit $rc, unreadable $got: $(head -c 300 "$TMP/err")"
else
    skip dedup_rules_keep_parquet_timestamp "BLALM_SHARED_DATA not set"
fi

# ---- state from other settings: refused naming the settings, not numbers ---
refused() { # name, message part, args...
    local n=$1 msg=$2; shift 2
    "$BLALM" dedup --work "$K" --quiet "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
    if [ $rc -eq 1 ] && grep -q -- "$msg" "$TMP/err"; then pass "$n"
    else fail "$n" "exit $rc: $(head -c 400 "$TMP/err")"; fi
}
rm -rf "$K/state" "$K/stats" "$K/attributes"
"$BLALM" dedup --work "$K" --quiet --stage signatures
refused dedup_rules_state_keep_added "made without --keep-max, this run has --keep-max 'score'" --keep-max score
refused dedup_rules_state_norm "from another configuration: --normalize 'lower,digits,dtpunct,diacritics,space (fineweb)' in the file, 'lower' in this run" --normalize lower
refused dedup_rules_state_exact_norm "--exact-normalize 'nfkc,lower,space' in the file, 'none' in this run" --exact-normalize none
refused dedup_rules_state_exact_keys "exact keys id,text,url in the file, id,text in this run" --no-exact-url
rm -rf "$K/state" "$K/stats" "$K/attributes"
"$BLALM" dedup --work "$K" --quiet --stage signatures --keep-max score
refused dedup_rules_state_keep_other "made with --keep-max another field than this run's 'n'" --keep-max n
refused dedup_rules_state_keep_dropped "made with --keep-max (some field), this run has none"
