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
