#!/usr/bin/env bash
# blalm eval refuses data that the official pipeline would not score the
# same way, naming the file and line, and writes nothing: more than one JSON
# object on a line (the official json.loads(line) refuses it; eval dropped
# all but the first), the same data file twice (x.jsonl beside
# x.jsonl.gz: read twice), a file with no items, a candidate with no token
# to score (an empty sentence scored 0, the best score), a member eval
# reads holding U+0000 (the text ended there). And reading: a non-ASCII
# word cut mid-character is scored as the official get_p2 does (decode of
# one token is lossy: U+FFFD), not on its raw bytes.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! need_shared || [ ! -d "$SHARED_DATA/babylm-eval/blimp_fast" ]; then
    skip eval_data_checks "../shared/data/babylm-eval not found"
    exit 0
fi
D="$SHARED_DATA/babylm-eval"
C="$TMP/corpus"; line_corpus "$C" 3 40
sed 's/"context": 32/"context": 1024/' "$root/configs/model-tiny.json" > "$TMP/big.json"
R="$TMP/run"
if ! "$BLALM" train --corpus "$C" --model "$TMP/big.json" --out "$R" --max-steps 10 -q 2>"$TMP/err"; then
    fail eval_data_checks "train: $(head -c 300 "$TMP/err")"
    exit 0
fi

# bad_data NAME PATTERN DATA TASK: exit 1, PATTERN on stderr, nothing written
bad_data() {
    local name=$1 pat=$2 data=$3 task=$4
    rm -f "$TMP/o.json"
    "$BLALM" eval --run "$R" --data "$data" --fast --tasks "$task" --out "$TMP/o.json" -q 2>"$TMP/err"; local rc=$?
    if [ $rc = 1 ] && grep -q -- "$pat" "$TMP/err" && [ ! -e "$TMP/o.json" ]; then pass "$name"
    else fail "$name" "rc $rc $(head -c 300 "$TMP/err")"; fi
}

# three objects on one line (a file concatenated without newlines), and
# trailing garbage after an object
mkdir -p "$TMP/multi/blimp_fast"
head -3 "$D/blimp_fast/adjunct_island.jsonl" > "$TMP/multi/blimp_fast/a.jsonl"
head -3 "$D/blimp_fast/adjunct_island.jsonl" | tr -d '\n' >> "$TMP/multi/blimp_fast/a.jsonl"
echo >> "$TMP/multi/blimp_fast/a.jsonl"
col=$(head -1 "$D/blimp_fast/adjunct_island.jsonl" | tr -d '\n' | wc -c)
bad_data eval_several_objects_on_a_line "multi/blimp_fast/a.jsonl:4: expected one JSON object, found more after column $col" \
    "$TMP/multi" blimp
mkdir -p "$TMP/garbage/blimp_fast"
printf '%s\n' '{"sentence_good": "the cat sat.", "sentence_bad": "cat the sat."} xyz' > "$TMP/garbage/blimp_fast/g.jsonl"
bad_data eval_trailing_garbage "garbage/blimp_fast/g.jsonl:1: expected one JSON object, found more after column 65" \
    "$TMP/garbage" blimp

# x.jsonl beside x.jsonl.gz: the same data file twice (its items were counted
# twice under one UID)
mkdir -p "$TMP/dup/supplement_fast"
cp "$D"/supplement_fast/*.jsonl "$TMP/dup/supplement_fast/"
gzip -k "$TMP/dup/supplement_fast/hypernym.jsonl"
bad_data eval_same_file_twice \
    "dup/supplement_fast: hypernym.jsonl and hypernym.jsonl.gz are the same data file (stem hypernym)" "$TMP/dup" supplement

# an empty sentence has no token to score: its sum 0 was the best score, and
# the item counted as correct
mkdir -p "$TMP/empty/blimp_fast"
printf '%s\n' '{"sentence_good": "the dog ran.", "sentence_bad": "dog the ran."}' \
    '{"sentence_good": "", "sentence_bad": "The cat sat on the box."}' > "$TMP/empty/blimp_fast/x.jsonl"
bad_data eval_empty_sentence_refused 'empty/blimp_fast/x.jsonl:2: blimp: candidate 0 ("") has no token to score' \
    "$TMP/empty" blimp

# a file with no items (a failed download): its UID was left out of the
# average, unseen
mkdir -p "$TMP/zero/blimp_fast"
cp "$D"/blimp_fast/*.jsonl "$TMP/zero/blimp_fast/"
: > "$TMP/zero/blimp_fast/adjunct_island.jsonl"
bad_data eval_empty_file_refused "zero/blimp_fast/adjunct_island.jsonl: no items" "$TMP/zero" blimp

# U+0000 in a string (\u0000, or a raw 0 byte): cJSON keeps it but the
# text ended there, so the sentence was scored cut short without a word;
# refused, naming the field. An escaped backslash before u0000 is text.
mkdir -p "$TMP/nul/blimp_fast"
printf '%s\n' '{"sentence_good": "the dog ran.", "sentence_bad": "dog the ran."}' \
    '{"sentence_good": "the cat sat.", "sentence_bad": "cat the\u0000 sat."}' > "$TMP/nul/blimp_fast/x.jsonl"
bad_data eval_nul_in_string_refused 'nul/blimp_fast/x.jsonl:2: "sentence_bad" holds U+0000 (\\u0000)' "$TMP/nul" blimp
mkdir -p "$TMP/nul0/blimp_fast"
printf '{"sentence_good": "the cat sat.", "sentence_bad": "cat the\0 sat."}\n' > "$TMP/nul0/blimp_fast/x.jsonl"
bad_data eval_raw_nul_in_string_refused 'nul0/blimp_fast/x.jsonl:1: "sentence_bad" holds U+0000' "$TMP/nul0" blimp
mkdir -p "$TMP/bs/blimp_fast"
printf '%s\n' '{"sentence_good": "the dog ran.", "sentence_bad": "dog the \\u0000 ran."}' > "$TMP/bs/blimp_fast/x.jsonl"
"$BLALM" eval --run "$R" --data "$TMP/bs" --fast --tasks blimp --out "$TMP/bs.json" -q 2>"$TMP/err" \
    && pass eval_escaped_backslash_u0000_is_text || fail eval_escaped_backslash_u0000_is_text "$(head -c 300 "$TMP/err")"
# only the members eval reads count: U+0000 in a member it ignores (the
# official reader ignores it too), in its value or its name, or nested in
# one, is let be; a name that cJSON would cut to a read one ("field\u0000x"
# found as "field") is refused
mkdir -p "$TMP/nulx/blimp_fast" "$TMP/nulf/blimp_fast"
printf '%s\n' '{"sentence_good": "the dog ran.", "sentence_bad": "dog the ran.", "note": "x\u0000y"}' \
    '{"sentence_good": "the cat sat.", "sentence_bad": "cat the sat.", "no\u0000te": {"sentence_bad": ["\u0000"]}}' \
    > "$TMP/nulx/blimp_fast/x.jsonl"
"$BLALM" eval --run "$R" --data "$TMP/nulx" --fast --tasks blimp --out "$TMP/nulx.json" -q 2>"$TMP/err" \
    && [ -s "$TMP/nulx.json" ] \
    && pass eval_nul_in_ignored_member_accepted || fail eval_nul_in_ignored_member_accepted "$(head -c 300 "$TMP/err")"
printf '%s\n' '{"sentence_good": "the cat sat.", "sentence_bad": "cat the sat.", "field\u0000x": "syntax"}' \
    > "$TMP/nulf/blimp_fast/x.jsonl"
bad_data eval_nul_in_read_member_name_refused 'nulf/blimp_fast/x.jsonl:1: a member name (read as "field") holds U+0000' \
    "$TMP/nulf" blimp

# wug "ratio" as a string: the official decode_wug does float(ratio), so a
# numeric string (Python float's syntax: surrounding whitespace, exponent,
# underscores between digits) scores as the number; anything else, inf and
# nan included, is refused with the file and line
mkdir -p "$TMP/wnum/wug_adj_nominalization" "$TMP/wstr/wug_adj_nominalization" "$TMP/wbad/wug_adj_nominalization"
"$PY" - "$TMP" <<'PY'
import json, random, sys
random.seed(1)
W = "the cat dog sat on a mat and ran".split()
def s(k): return " ".join(random.choice(W) for _ in range(k)) + "."
rows = [{"sentences": s(4) + "\t" + s(4), "ratio": round(random.random(), 6)} for _ in range(12)]
fmts = [repr, lambda v: " %r\n" % v, lambda v: "%.6e" % v, lambda v: "\u00a0" + repr(v) + "\u3000",
        lambda v: "+%r" % v]
def put(d, rs):
    with open(sys.argv[1] + "/" + d + "/wug_adj_nominalization/w.jsonl", "w") as f:
        for r in rs: f.write(json.dumps(r) + "\n")
put("wnum", rows)
put("wstr", [dict(r, ratio=fmts[i % 5](r["ratio"])) for i, r in enumerate(rows)])
put("wbad", rows[:2] + [dict(rows[2], ratio="nan")] + rows[3:])
PY
if "$BLALM" eval --run "$R" --data "$TMP/wnum" --fast --tasks wug_adj --out "$TMP/wnum.json" -q 2>"$TMP/err" \
    && "$BLALM" eval --run "$R" --data "$TMP/wstr" --fast --tasks wug_adj --out "$TMP/wstr.json" -q 2>>"$TMP/err" \
    && "$PY" -c "
import json, sys
a, b = (json.load(open(f))['tasks']['wug_adj'] for f in sys.argv[1:])
assert a['score'] == b['score'] and a['items'] == b['items'] == 12, (a, b)" "$TMP/wnum.json" "$TMP/wstr.json"
then pass eval_wug_ratio_numeric_string
else fail eval_wug_ratio_numeric_string "$(head -c 300 "$TMP/err")"; fi
bad_data eval_wug_ratio_bad_string_refused 'wbad/wug_adj_nominalization/w.jsonl:3: "ratio" "nan" is not a finite decimal number' \
    "$TMP/wbad" wug_adj

# --predictions and --out's folder are checked (and made) before the
# scoring, not after it (minutes of scoring were lost): with bad data, the
# path is what is refused; a folder that was made is removed again when the
# eval fails, and nothing is written
echo '{}' > "$TMP/afile"
"$BLALM" eval --run "$R" --data "$TMP/empty" --fast --tasks blimp --predictions "$TMP/afile" -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "afile exists and is not a directory" "$TMP/err" \
    && pass eval_predictions_file_refused_first || fail eval_predictions_file_refused_first "rc $rc $(head -c 300 "$TMP/err")"
"$BLALM" eval --run "$R" --data "$TMP/empty" --fast --tasks blimp --predictions /proc/x/preds -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "^blalm eval: --predictions /proc/x/preds: mkdir /proc/x" "$TMP/err" \
    && pass eval_predictions_unwritable_refused_first || fail eval_predictions_unwritable_refused_first "rc $rc $(head -c 300 "$TMP/err")"
"$BLALM" eval --run "$R" --data "$TMP/empty" --fast --tasks blimp --out /proc/nope/x.json -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "^blalm eval: --out /proc/nope: mkdir /proc/nope" "$TMP/err" \
    && pass eval_out_unwritable_refused_first || fail eval_out_unwritable_refused_first "rc $rc $(head -c 300 "$TMP/err")"
"$BLALM" eval --run "$R" --data "$TMP/empty" --fast --tasks blimp --out "$TMP/n1/n2/x.json" --predictions "$TMP/p1/p2/" -q \
    2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q 'has no token to score' "$TMP/err" && [ ! -e "$TMP/n1" ] && [ ! -e "$TMP/p1" ] \
    && pass eval_made_folders_removed_on_failure || fail eval_made_folders_removed_on_failure "rc $rc $(ls -d "$TMP"/n1 "$TMP"/p1 2>&1) $(head -c 300 "$TMP/err")"
# the folders removed are exactly those eval made: a path through a folder
# it made ("nothere/../keep2/sub") removed keep2/sub and keep2, the user's
# empty folders, by cutting the path string shorter, and left nothere; an
# --out FILE through a missing folder and out by '..' is now refused before
# anything is made (--predictions below still goes through one)
mkdir -p "$TMP/keep2/sub" "$TMP/keep_me"
"$BLALM" eval --run "$R" --data "$TMP/empty" --fast --tasks blimp --out "$TMP/nothere/../keep2/sub/r.json" -q \
    2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "nothere does not exist, and the '..' after it" "$TMP/err" && [ -d "$TMP/keep2/sub" ] && [ ! -e "$TMP/nothere" ] \
    && pass eval_out_pass_through_refused \
    || fail eval_out_pass_through_refused "rc $rc $(ls -d "$TMP"/keep2/sub "$TMP"/nothere 2>&1) $(head -c 300 "$TMP/err")"
rm -rf "$TMP/nothere"
"$BLALM" eval --run "$R" --data "$TMP/empty" --fast --tasks blimp --predictions "$TMP/nothere/../keep_me" -q \
    2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q 'has no token to score' "$TMP/err" && [ -d "$TMP/keep_me" ] && [ ! -e "$TMP/nothere" ] \
    && pass eval_predictions_failure_keeps_user_folders \
    || fail eval_predictions_failure_keeps_user_folders "rc $rc $(ls -d "$TMP"/keep_me "$TMP"/nothere 2>&1) $(head -c 300 "$TMP/err")"

# reading: an error names the file line the CSV record starts on, a quoted
# field holding a newline counted (it named the record's number, one line
# early after such a field)
mkdir -p "$TMP/rd/reading"
"$PY" - "$D/reading/reading_data.csv" "$TMP/rd/reading/reading_data.csv" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
a = lines[1].replace("0,Arthur placed,", '0,"Arthur\nplaced",', 1)
b = lines[2].split(",")
b[10] = "x3"   # the column "length"
assert lines[0].split(",")[10] == "length"
open(sys.argv[2], "w", encoding="utf-8").write(lines[0] + "\n" + a + "\n" + ",".join(b) + "\n")
PY
bad_data eval_reading_error_names_file_line 'reading_data.csv:4: column length: expected a number, got "x3"' \
    "$TMP/rd" reading

# reading: a word whose tokens cut a character ("é" is the bytes C3 A9, two
# tokens for a tokenizer trained on ASCII): get_p2 appends decode(token) to
# the context, and one token's decode is lossy (U+FFFD for a part of a
# character), with target encode(decode(t))[0]; eval appended the raw
# byte C3 (a context cut mid-character) and scored A9
mkdir -p "$TMP/utf/reading"
"$PY" - "$D/reading/reading_data.csv" "$TMP/utf/reading/reading_data.csv" <<'PY'
import sys
lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
r = lines[1].split(",")
assert lines[0].split(",")[2] == "word" and r[1] == "Arthur placed"
r[2] = "\u00e9"
lines[1] = ",".join(r)
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(lines))
PY
rm -f "$TMP/utf.dump"
if "$BLALM" eval --run "$R" --data "$TMP/utf" --tasks reading --out "$TMP/utf.json" --dump "$TMP/utf.dump" \
        --dump-every 1 -q 2>"$TMP/err"; then
    "$PY" - "$TMP/utf.dump" "$R/tokenizer.json" > "$TMP/utf.out" <<'PY'
import json, sys
q = [json.loads(l) for l in open(sys.argv[1])][:2]
vocab = json.load(open(sys.argv[2]))["model"]["vocab"]
# GPT-2's bytes_to_unicode: each byte's symbol in a byte-level vocabulary
bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
cs, n = bs[:], 0
for b in range(256):
    if b not in bs:
        bs.append(b), cs.append(256 + n)
        n += 1
tid = {b: vocab[chr(c)] for b, c in zip(bs, cs)}
a, b = q[0]["ids"][0], q[1]["ids"][0]
want = a[:-1] + [tid[0xEF], tid[0xBF], tid[0xBD], tid[0xEF]]   # "Arthur placed\ufffd" -> encode("\ufffd")[0]
print("ok" if a[-1] == tid[0xC3] and b == want and q[1]["k"] == [len(want) - 1] else "got %s %s want %s" % (a, b, want))
PY
    grep -qx ok "$TMP/utf.out" && pass eval_reading_word_cut_mid_character_as_official \
        || fail eval_reading_word_cut_mid_character_as_official "$(head -c 400 "$TMP/utf.out")"
else
    fail eval_reading_word_cut_mid_character_as_official "$(head -c 300 "$TMP/err")"
fi

# a blank line: the official reader's json.loads(line.strip()) refuses it; a
# UTF-8 BOM on any line, the first too: the official reader opens the file as
# plain UTF-8 and json.loads refuses a leading U+FEFF; lines end at \n, \r\n
# or a lone \r, as in Python's text mode, so "{...}\r\r\n" ends with a blank line
mkdir -p "$TMP/blank/blimp_fast" "$TMP/bom/blimp_fast" "$TMP/bom2/blimp_fast" "$TMP/crlf/blimp_fast" \
    "$TMP/cr2/blimp_fast"
{ head -2 "$D/blimp_fast/adjunct_island.jsonl"; printf ' \r\n'; head -3 "$D/blimp_fast/adjunct_island.jsonl" | tail -1; } \
    > "$TMP/blank/blimp_fast/a.jsonl"
bad_data eval_blank_line_refused "blank/blimp_fast/a.jsonl:3: a blank line" "$TMP/blank" blimp
{ printf '\357\273\277'; head -3 "$D/blimp_fast/adjunct_island.jsonl"; } > "$TMP/bom/blimp_fast/a.jsonl"
bad_data eval_bom_first_line_refused "bom/blimp_fast/a.jsonl:1: a byte order mark (U+FEFF) starts the line" "$TMP/bom" blimp
{ head -2 "$D/blimp_fast/adjunct_island.jsonl"; printf '\357\273\277'; head -1 "$D/blimp_fast/adjunct_island.jsonl"; } \
    > "$TMP/bom2/blimp_fast/a.jsonl"
bad_data eval_bom_later_line_refused "bom2/blimp_fast/a.jsonl:3: a byte order mark (U+FEFF) starts the line" "$TMP/bom2" blimp
head -3 "$D/blimp_fast/adjunct_island.jsonl" | sed 's/$/\r/' > "$TMP/crlf/blimp_fast/a.jsonl"
rm -f "$TMP/crlf.json"
"$BLALM" eval --run "$R" --data "$TMP/crlf" --fast --tasks blimp --out "$TMP/crlf.json" -q 2>"$TMP/err" \
    && "$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["tasks"]["blimp"]["items"] == 3' "$TMP/crlf.json" \
    && pass eval_crlf_lines_read || fail eval_crlf_lines_read "$(head -c 300 "$TMP/err")"
head -2 "$D/blimp_fast/adjunct_island.jsonl" | sed 's/$/\r\r/' > "$TMP/cr2/blimp_fast/a.jsonl"
bad_data eval_lone_cr_ends_line "cr2/blimp_fast/a.jsonl:2: a blank line" "$TMP/cr2" blimp

# what json.loads(line.strip()) reads, eval reads, and what it refuses, eval
# refuses: strip() removes all of str.isspace() (\f, \v, U+00A0, U+3000 ...),
# so a line ending in them is read; json.loads refuses a raw control
# character in a string, a byte below 0x20 between tokens, a leading zero,
# bytes that are not UTF-8 (the file is decoded first). A member given
# twice is read by json.loads as the last and by cJSON as the first: eval
# refuses it (the one case Python reads). Each case is first checked against
# Python itself.
py_reads() { "$PY" -c '
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f: json.loads(line.strip())' "$1" 2>/dev/null; }
mkdir -p "$TMP/pyws/blimp_fast"
{ head -1 "$D/blimp_fast/adjunct_island.jsonl" | tr -d '\n'; printf '\f\v\302\240\343\200\200\037\n'
  printf '\302\205\034\t'; head -2 "$D/blimp_fast/adjunct_island.jsonl" | tail -1; } > "$TMP/pyws/blimp_fast/a.jsonl"
rm -f "$TMP/pyws.json"
if py_reads "$TMP/pyws/blimp_fast/a.jsonl" \
    && "$BLALM" eval --run "$R" --data "$TMP/pyws" --fast --tasks blimp --out "$TMP/pyws.json" -q 2>"$TMP/err" \
    && "$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["tasks"]["blimp"]["items"] == 2' "$TMP/pyws.json"
then pass eval_python_whitespace_stripped; else fail eval_python_whitespace_stripped "$(head -c 300 "$TMP/err")"; fi
# strict_case NAME PATTERN LINE [PYTHON_READS]: a file of one good line and LINE
strict_case() {
    local name=$1 pat=$2
    mkdir -p "$TMP/$name/blimp_fast"
    { head -1 "$D/blimp_fast/adjunct_island.jsonl"; printf '%b\n' "$3"; } > "$TMP/$name/blimp_fast/a.jsonl"
    if py_reads "$TMP/$name/blimp_fast/a.jsonl"; then
        [ -n "${4:-}" ] || { fail "$name" "Python reads the file: the case is wrong"; return; }
    elif [ -n "${4:-}" ]; then fail "$name" "Python refuses the file: the case is wrong"; return; fi
    bad_data "$name" "$name/blimp_fast/a.jsonl:2: $pat" "$TMP/$name" blimp
}
strict_case eval_raw_tab_in_string 'column 27: not valid JSON (a raw control character (byte 0x09)' \
    '{"sentence_good": "the cat\tsat.", "sentence_bad": "cat the sat."}'
strict_case eval_control_byte_between_tokens 'column 18: not valid JSON' \
    '{"sentence_good":\001 "the cat sat.", "sentence_bad": "cat the sat."}'
strict_case eval_control_byte_before_object 'column 1: not valid JSON' \
    '\001{"sentence_good": "the cat sat.", "sentence_bad": "cat the sat."}'
strict_case eval_leading_zero 'column 72: not valid JSON (a number with a leading zero' \
    '{"sentence_good": "the cat sat.", "sentence_bad": "cat the sat.", "n": 03}'
strict_case eval_member_twice 'duplicate key "sentence_good"' \
    '{"sentence_good": "the cat sat.", "sentence_bad": "cat the sat.", "sentence_good": "sat the cat."}' python-reads
strict_case eval_not_utf8 'column 28: not UTF-8 (byte 0xff' \
    '{"sentence_good": "the cat \377sat.", "sentence_bad": "cat the sat."}'
# the other two cases json.loads reads and eval refuses: NaN, a lone surrogate
strict_case eval_nan_refused 'column 72: not valid JSON$' \
    '{"sentence_good": "the cat sat.", "sentence_bad": "cat the sat.", "n": NaN}' python-reads
strict_case eval_lone_surrogate_refused 'column 24: not valid JSON$' \
    '{"sentence_good": "the \\ud800 cat sat.", "sentence_bad": "cat the sat."}' python-reads
# columns count from the line's start, also after whitespace strip() removes
# (a truncated line: the column where cJSON stopped, the last comma)
strict_case eval_leading_zero_after_tab 'column 73: not valid JSON (a number with a leading zero' \
    '\t{"sentence_good": "the cat sat.", "sentence_bad": "cat the sat.", "n": 03}'
strict_case eval_not_utf8_after_nbsp 'column 30: not UTF-8 (byte 0xff' \
    '\302\240{"sentence_good": "the cat \377sat.", "sentence_bad": "cat the sat."}'
strict_case eval_truncated_line_column 'column 33: not valid JSON$' \
    '{"sentence_good": "the cat sat.",'
strict_case eval_truncated_line_column_before_space 'column 33: not valid JSON$' \
    '{"sentence_good": "the cat sat.",\343\200\200\343\200\200'
