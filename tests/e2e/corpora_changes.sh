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
