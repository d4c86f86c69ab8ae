#!/usr/bin/env bash
# blalm assemble and friends when the document files are not what they seem:
# a file changed while assemble runs, two files of one stem, and other edges.
source "$(dirname "$0")/../lib.sh"

# docs DIR/FILE N PREFIX WORDS: N JSONL documents, ids PREFIX0.., WORDS words each
docs() {
    "$PY" - "$@" <<'EOF'
import json, sys
path, n, prefix, words = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
with open(path, 'w') as f:
    for i in range(n):
        f.write(json.dumps({'id': f'{prefix}{i}', 'text': ' '.join([f'{prefix}{i}'] + ['w'] * (words - 1))}) + '\n')
EOF
}

# --- a document file changed during the write pass --------------------------
# The slow-write hook holds the write pass on a.jsonl while z.jsonl is swapped:
# the corpus must not be written from the new z.jsonl with the old z's counts.
race() {  # race NAME REPLACEMENT-MAKER EXPECTED-TEXT
    local name=$1 make=$2 want=$3 D=$TMP/$1
    mkdir -p "$D/w/docs/s"
    docs "$D/w/docs/s/a.jsonl" 20 a 2
    docs "$D/w/docs/s/z.jsonl" 10 z 2
    $make "$D/z.new"
    echo '{"corpora":[{"name":"c","budget":1000,"dev_words":0}],"rules":[],"ranking":[]}' >"$D/c.json"
    BLALM_TEST_SLOW_WRITE=50000 "$BLALM" assemble --work "$D/w" --out "$D/o" --config "$D/c.json" --quiet \
        2>"$D/err" &
    local pid=$! i=0
    while ! ls -d "$D"/o/.c.tmp.* >/dev/null 2>&1 && [ $i -lt 1000 ]; do sleep 0.01; i=$((i + 1)); done
    mv "$D/z.new" "$D/w/docs/s/z.jsonl"
    wait $pid
    local rc=$?
    if [ $rc = 1 ] && grep -qF "z.jsonl: document file changed while assembling (" "$D/err" &&
       grep -qF "$want" "$D/err" && grep -qF "); run assemble again" "$D/err" &&
       [ ! -e "$D/o/c" ] && ! ls -d "$D"/o/.c.tmp.* >/dev/null 2>&1; then
        pass "$name"
    else
        fail "$name" "rc $rc, $(ls -A "$D/o" 2>&1 | tr '\n' ' ') $(head -c 300 "$D/err")"
    fi
}
other_text() { docs "$1" 10 other 50; }
fewer_rows() { docs "$1" 7 z 2; }
more_rows() { docs "$1" 12 z 2; }
race assemble_file_replaced_refused other_text 'id "other0" or its text is not what the scan read'
race assemble_file_shrunk_refused fewer_rows 'row 7: the file now ends before this row'
race assemble_file_grown_refused more_rows 'row 10: a document the scan did not read'

# --- two document files of one stem: every command over WORK/docs refuses ---
# web/p.jsonl and web/p.jsonl.zst gave one id stem (web/p): a generated id
# collided (a document dropped as a duplicate id), tag wrote both files'
# attributes to one file (assemble then called it stale, forever).
S=$TMP/stem
mkdir -p "$S/w/docs/web"
printf '%s\n' '{"text":"hello there"}' >"$S/w/docs/web/p.jsonl"
printf '%s\n' '{"text":"other file"}' | zstd -q >"$S/w/docs/web/p.jsonl.zst"
echo '{"corpora":[{"name":"c","budget":100,"dev_words":0}],"rules":[],"ranking":[]}' >"$S/c.json"
for cmd in "tag --taggers gopher" "dedup" "assemble --out $S/o --config $S/c.json" "audit web/p/0"; do
    name=stem_collision_refused_${cmd%% *}
    "$BLALM" $cmd --work "$S/w" --quiet >/dev/null 2>"$S/err"; rc=$?
    if [ $rc = 1 ] && grep -qF "web/p.jsonl and $S/w/docs/web/p.jsonl.zst: two document files with one name but for the extension (web/p)" "$S/err" &&
       grep -qF "rename or remove one" "$S/err"; then
        pass "$name"
    else
        fail "$name" "rc $rc $(head -c 300 "$S/err")"
    fi
done
[ ! -e "$S/o/c" ] && [ ! -e "$S/w/attributes/gopher_quality" ] && pass stem_collision_nothing_written ||
    fail stem_collision_nothing_written "$(find "$S/o" "$S/w/attributes" 2>/dev/null | head)"

# --- smaller edges -----------------------------------------------------------
L=$TMP/low
mkdir -p "$L/w/docs/web"
printf '%s\n' '{"id":"a","text":"hello there"}' '{"id":"b","text":"another doc"}' >"$L/w/docs/web/p.jsonl"
echo '{"corpora":[{"name":"c","budget":100,"dev_words":0}],"rules":[],"ranking":[]}' >"$L/c.json"
# --track for a corpus of another name: recorded, so verify checks it
"$BLALM" assemble --work "$L/w" --out "$L/o2" --config "$L/c.json" --track strict-small --quiet 2>"$L/err"
if grep -q '"track": "strict-small"' "$L/o2/c/manifest.json" 2>/dev/null &&
   "$BLALM" verify "$L/o2/c" 2>&1 | grep -q "track strict-small (its manifest)"; then pass assemble_track_recorded
else fail assemble_track_recorded "$(grep '"track"' "$L/o2/c/manifest.json" 2>&1 | head -1) $(head -c 200 "$L/err")"; fi
# nothing eligible: exit 0, but a warning and the manifest say the corpus is empty and why
mkdir -p "$L/e/docs/web"
printf '%s\n' '{"id":"a","text":" "}' >"$L/e/docs/web/p.jsonl"
"$BLALM" assemble --work "$L/e" --out "$L/eo" --config "$L/c.json" --quiet 2>"$L/err"; rc=$?
if [ $rc = 0 ] && grep -q "warning: the corpora are empty: no document is eligible (none passed the rules or none has a word; 1 documents in the pool" "$L/err" &&
   grep -q '"note": "empty: no document is eligible' "$L/eo/c/manifest.json"; then pass assemble_empty_warns
else fail assemble_empty_warns "rc $rc $(head -c 300 "$L/err")"; fi
# its summary line says so too (it said "every eligible document taken")
"$BLALM" assemble --work "$L/e" --out "$L/eo2" --config "$L/c.json" 2>"$L/err"
if grep -q "c 0/100 words .* (no eligible document);" "$L/err" && ! grep -q "every eligible document taken" "$L/err"; then
    pass assemble_empty_summary
else fail assemble_empty_summary "$(head -c 400 "$L/err")"; fi
# --out inside the docs folder: refused up front, naming both
for o in "$L/w/docs/out" "$L/w/docs"; do
    "$BLALM" assemble --work "$L/w" --out "$o" --config "$L/c.json" --quiet 2>"$L/err"; rc=$?
    if [ $rc = 1 ] && grep -qF -- "--out $o is inside the docs folder $L/w/docs" "$L/err" && [ ! -e "$L/w/docs/out" ]; then
        pass "assemble_out_in_docs_refused_${o##*/}"
    else fail "assemble_out_in_docs_refused_${o##*/}" "rc $rc $(head -c 300 "$L/err")"; fi
done
mkdir -p "$L/d2/web" && cp "$L/w/docs/web/p.jsonl" "$L/d2/web/"
"$BLALM" assemble --work "$L/w" --docs "$L/d2" --out "$L/d2/x/o" --config "$L/c.json" --quiet 2>"$L/err"; rc=$?
[ $rc = 1 ] && grep -qF "is inside the docs folder $L/d2" "$L/err" && pass assemble_out_in_docs_option_refused ||
    fail assemble_out_in_docs_option_refused "rc $rc $(head -c 300 "$L/err")"
# a subset with dev_words whose parent has none: said so
cat >"$L/s.json" <<'EOF'
{"corpora":[{"name":"p","budget":100,"dev_words":0},{"name":"s","budget":50,"dev_words":5,"subset_of":"p"}],
 "rules":[],"ranking":[]}
EOF
"$BLALM" assemble --work "$L/w" --out "$L/so" --config "$L/s.json" --quiet 2>"$L/err"; rc=$?
if [ $rc = 0 ] && grep -q 'warning: corpus "s": dev_words 5, but its parent "p" has no dev split' "$L/err" &&
   grep -q '"note": .*dev_words 5, but its parent p has no dev split' "$L/so/s/manifest.json"; then pass assemble_subset_dev_orphan_noted
else fail assemble_subset_dev_orphan_noted "rc $rc $(head -c 300 "$L/err")"; fi
# dev_words, but every document drawn for dev is larger: the dev split ended
# empty with no word of why (a subset: its parent's dev documents are all
# larger than its dev_words; ablate then said "the dev split holds no text")
mkdir -p "$L/dv/docs/web"
docs "$L/dv/docs/web/p.jsonl" 60 d 50
cat >"$L/dv.json" <<'EOF'
{"corpora":[{"name":"p","budget":2000,"dev_words":400},{"name":"s","budget":500,"dev_words":20,"subset_of":"p"},
            {"name":"t","budget":2000,"dev_words":20}],
 "rules":[],"ranking":[]}
EOF
"$BLALM" assemble --work "$L/dv" --out "$L/dvo" --config "$L/dv.json" --quiet 2>"$L/err"; rc=$?
if [ $rc = 0 ] && grep -q '"dev": {"budget": 20, "words": 0' "$L/dvo/s/manifest.json" &&
   grep -q 'warning: corpus "s": dev split empty (dev_words 20): .* dev documents of its parent p are all larger than the 20 dev words (the smallest has 50 words' "$L/err" &&
   grep -q '"note": .*dev documents of its parent p are all larger than the 20 dev words' "$L/dvo/s/manifest.json" &&
   ! grep -q 'corpus "p"' "$L/err"; then pass assemble_subset_dev_all_too_large_noted
else fail assemble_subset_dev_all_too_large_noted "rc $rc $(head -c 600 "$L/err") $(grep '"note"\|"dev"' "$L/dvo/s/manifest.json")"; fi
if [ $rc = 0 ] && grep -q '"dev": {"budget": 20, "words": 0' "$L/dvo/t/manifest.json" &&
   grep -q 'warning: corpus "t": dev split empty (dev_words 20): the [0-9]* documents drawn for dev are all larger than the 20 dev words (they went to training' "$L/err" &&
   grep -q '"note": .*documents drawn for dev are all larger than the 20 dev words' "$L/dvo/t/manifest.json"; then
    pass assemble_dev_all_too_large_noted
else fail assemble_dev_all_too_large_noted "rc $rc $(head -c 600 "$L/err") $(grep '"note"\|"dev"' "$L/dvo/t/manifest.json")"; fi
"$BLALM" verify "$L/dvo/s" >/dev/null 2>&1 && pass assemble_dev_empty_verifies || fail assemble_dev_empty_verifies "verify $L/dvo/s"
# a JSON-lines file starting with a byte-order mark: said so
printf '\xef\xbb\xbf{"id":"z","text":"hi"}\n' >"$L/w/docs/web/q.jsonl"
"$BLALM" assemble --work "$L/w" --out "$L/o3" --config "$L/c.json" --quiet 2>"$L/err"; rc=$?
[ $rc = 1 ] && grep -q "q.jsonl:1: column 1: the file starts with a UTF-8 byte-order mark" "$L/err" && pass assemble_bom_named ||
    fail assemble_bom_named "rc $rc $(head -c 300 "$L/err")"
