#!/usr/bin/env bash
# blalm tag against Python twins of datatrove 0.10's C4 and FineWeb rules and
# spaCy's Sentencizer (tests/e2e/tag_twin.py): C4's kept characters when
# citation removal blanks kept lines, FineWeb's line_punct_ratio over
# datatrove's TERMINAL_PUNCTUATION, sentence ends from spaCy's punct_chars.
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
twin() { "$PY" "$here/tag_twin.py" "$@"; }

# C4: "\n".join(kept).strip() strips blank kept lines (a line of citations
# only has its words counted before the removal) and their newlines
W=$TMP/c4
mkdir -p "$W/docs/q"
twin gen "$W/docs/q/q.jsonl"
if "$BLALM" tag --work "$W" --taggers c4 --quiet 2>"$TMP/e1"; then
    check tag_c4_chars_kept_strip twin c4 "$W/docs/q/q.jsonl" "$W/attributes/c4/q/q.jsonl.zst"
else
    fail tag_c4_chars_kept_strip "$(tail -c 400 "$TMP/e1")"
fi

# line ends and sentence ends: FineWeb counts a line ending in any of
# datatrove's 159 TERMINAL_PUNCTUATION (U+1803 Mongolian full stop, U+17D4
# Khmer khan, ...); a sentence ends at a token in spaCy's 128 punct_chars
# (U+17D4 is not one of them); quotes, commas, U+037E end neither
M=$TMP/marks
mkdir -p "$M/docs/q"
twin gen-marks "$M/docs/q/q.jsonl"
if "$BLALM" tag --work "$M" --taggers c4,fineweb --quiet 2>"$TMP/e2"; then
    check tag_fineweb_terminal_punctuation twin fineweb "$M/docs/q/q.jsonl" "$M/attributes/fineweb/q/q.jsonl.zst"
    check tag_sentencizer_punct_chars twin sents "$M/docs/q/q.jsonl" "$M/attributes/c4/q/q.jsonl.zst"
    # the audit's case: Mongolian lines ending in U+1803 pass FineWeb
    zstd -dc "$M/attributes/fineweb/q/q.jsonl.zst" | grep '"m[0-9]*_U+1803"' | grep -q '"pass":true,' &&
        pass tag_fineweb_mongolian_pass || fail tag_fineweb_mongolian_pass "$(zstd -dc "$M/attributes/fineweb/q/q.jsonl.zst" | grep 'U+1803')"
else
    fail tag_twins_marks_run "$(tail -c 400 "$TMP/e2")"
fi

# --config with datatrove's own parameter names: top_n_grams / dup_n_grams
# ([[n, frac], ...]; an n not listed is off) and stop_words
C=$TMP/cfg
mkdir -p "$C/docs/q"
"$PY" - "$C/docs/q/q.jsonl" <<'PY'
import json, sys
rep = "the cat sat on the mat " * 40
words = ("the cat and the dog sat with a bird that was to be of some use and have fun "
         "while the sun set over the hill and a cat ran to the dog ") * 4
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"id": "rep", "text": rep.strip() + "."}) + "\n")
    f.write(json.dumps({"id": "words", "text": words.strip() + "."}) + "\n")
PY
cfgrun() {  # cfgrun NAME JSON: tag gopher with that gopher_* config into $C/NAME
    printf '%s\n' "$2" >"$C/$1.json"
    "$BLALM" tag --docs "$C/docs" --out "$C/$1" --config "$C/$1.json" --taggers gopher --quiet 2>"$C/$1.err"
}
field() {  # field NAME SET ID KEY: one value of an attribute row
    zstd -dc "$C/$1/$2/q/q.jsonl.zst" | "$PY" -c "
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r['id'] == '$3': print(json.dumps(r['$2']['$4']))"
}
if cfgrun lists '{"gopher_repetition": {"top_n_grams": [[2, 0.25], [3, 0.2], [4, 0.18]], "dup_n_grams": [[5, 0.3], [6, 0.29], [7, 0.28], [8, 0.27], [9, 0.26], [10, 0.25]]}}' &&
   cfgrun keys '{"gopher_repetition": {"top_2_gram": 0.25, "top_3_gram": 0.2, "top_4_gram": 0.18, "duplicated_5_n_grams": 0.3, "duplicated_6_n_grams": 0.29, "duplicated_7_n_grams": 0.28, "duplicated_8_n_grams": 0.27, "duplicated_9_n_grams": 0.26, "duplicated_10_n_grams": 0.25}}' &&
   cmp -s <(zstd -dc "$C/lists/gopher_repetition/q/q.jsonl.zst") <(zstd -dc "$C/keys/gopher_repetition/q/q.jsonl.zst"); then
    pass tag_config_ngram_lists_as_keys
else
    fail tag_config_ngram_lists_as_keys "$(cat "$C"/lists.err "$C"/keys.err 2>/dev/null | tail -c 400)"
fi
# the n not listed are off: the repeated text fails top_2_gram by default,
# top_3_gram when only 3 is listed, a dup rule when no top n is, nothing when neither
cfgrun def '{}' && cfgrun only3 '{"gopher_repetition": {"top_n_grams": [[3, 0.1]]}}' &&
  cfgrun notop '{"gopher_repetition": {"top_n_grams": [], "dup_n_grams": [[7, 0.1]]}}' &&
  cfgrun none '{"gopher_repetition": {"top_n_grams": [], "dup_n_grams": []}}'
got="$(field def gopher_repetition rep reason) $(field only3 gopher_repetition rep reason) $(field notop gopher_repetition rep reason) $(field none gopher_repetition rep reason)"
[ "$got" = '"top_2_gram" "top_3_gram" "duplicated_7_n_grams" null' ] && pass tag_config_ngram_lists_unlisted_off ||
    fail tag_config_ngram_lists_unlisted_off "reasons: $got"

# stop_words: the distinct words of the list the text holds (case-sensitive),
# as datatrove's len(self.stop_words.intersection(set(words)))
want=$("$PY" -c "
import json
t = [json.loads(l) for l in open('$C/docs/q/q.jsonl')][1]['text'].rstrip('.')
w = set(t.split())
print(len(w & {'the', 'be', 'to', 'of', 'and', 'that', 'have', 'with'}), len(w & {'cat', 'dog', 'The'}))")
cfgrun stop '{"gopher_quality": {"stop_words": ["cat", "dog", "The"]}}' &&
  cfgrun stopnull '{"gopher_quality": {"stop_words": null}}'
got="$(field def gopher_quality words stop_words) $(field stop gopher_quality words stop_words)"
[ "$got" = "$want" ] && [ "$(field stopnull gopher_quality words stop_words)" = "${want%% *}" ] &&
    pass tag_config_stop_words || fail tag_config_stop_words "got $got, twin $want"
# a changed list is a changed setting: the marker's key holds it
W2=$TMP/cfgw
mkdir -p "$W2"
cp -r "$C/docs" "$W2/docs"
printf '%s\n' '{"gopher_quality": {"stop_words": ["cat"]}}' >"$TMP/s1.json"
printf '%s\n' '{"gopher_quality": {"stop_words": ["cat", "dog"]}}' >"$TMP/s2.json"
"$BLALM" tag --work "$W2" --taggers gopher --config "$TMP/s1.json" --quiet &&
  a=$(zstd -dc "$W2/attributes/gopher_quality/q/q.jsonl.zst" | grep '"words"' | grep -o '"stop_words":[0-9]*') &&
  "$BLALM" tag --work "$W2" --taggers gopher --config "$TMP/s2.json" --quiet &&
  b=$(zstd -dc "$W2/attributes/gopher_quality/q/q.jsonl.zst" | grep '"words"' | grep -o '"stop_words":[0-9]*') &&
  "$BLALM" tag --work "$W2" --taggers gopher --quiet &&
  c=$(zstd -dc "$W2/attributes/gopher_quality/q/q.jsonl.zst" | grep '"words"' | grep -o '"stop_words":[0-9]*')
read -r n1 n2 < <("$PY" -c "
import json
w = [json.loads(l) for l in open('$C/docs/q/q.jsonl')][1]['text'].rstrip('.').split()
print(int('cat' in w), int('cat' in w) + int('dog' in w))")
[ "${a:-}" = "\"stop_words\":$n1" ] && [ "${b:-}" = "\"stop_words\":$n2" ] && [ "${c:-}" = "\"stop_words\":${want%% *}" ] &&
    pass tag_config_stop_words_rerun || fail tag_config_stop_words_rerun "${a:-} ${b:-} ${c:-} (want $n1 $n2 ${want%% *})"

# refused with the file, the set, the entry and what was expected
bad() {  # bad NAME JSON EXPECTED-MESSAGE
    printf '%s\n' "$2" >"$TMP/$1.json"
    "$BLALM" tag --docs "$C/docs" --out "$TMP/$1.out" --config "$TMP/$1.json" --taggers gopher --quiet 2>"$TMP/$1.err"
    local rc=$?
    [ $rc = 1 ] && grep -qF -- "$3" "$TMP/$1.err" && [ ! -e "$TMP/$1.out" ] && pass "tag_config_refuses_$1" ||
        fail "tag_config_refuses_$1" "rc=$rc $(cat "$TMP/$1.err")"
}
bad order '{"gopher_repetition": {"top_n_grams": [[4, 0.1], [2, 0.2]]}}' \
    "$TMP/order.json: gopher_repetition: top_n_grams[1]: n must increase from one pair to the next (2 after 4)"
bad range '{"gopher_repetition": {"dup_n_grams": [[5, 0.1], [11, 0.1]]}}' \
    "dup_n_grams[1]: n must be an integer from 5 to 10 (blalm measures those n-grams), not 11"
bad pair '{"gopher_repetition": {"top_n_grams": [[2, 0.1, 3]]}}' "top_n_grams[0]: expected [n, frac], two numbers"
bad both '{"gopher_repetition": {"top_n_grams": [[2, 0.1]], "top_3_gram": 0.1}}' \
    '"top_n_grams" and "top_3_gram" both given (use one or the other)'
bad negative '{"gopher_repetition": {"dup_n_grams": [[5, -1]]}}' "dup_n_grams[0]: frac must be a number >= 0"
bad stopstr '{"gopher_quality": {"stop_words": "the"}}' '"stop_words" must be a list of strings'
bad stopnum '{"gopher_quality": {"stop_words": ["the", 3]}}' "gopher_quality: stop_words[1]: expected a string"
