#!/usr/bin/env bash
# A whole fetch and a --max-words fetch of the same parquet file into one
# --out at once: the whole download holds flock on its part file and the
# --max-words run on its sparse copy; each, once it holds its own lock,
# checks the other's, so the second to start fails that file at once with a
# message naming the lock and writes nothing, and OUT never ends with the
# whole file and its first documents beside it (every reader would read
# those twice) nor with a half-written output. Both orders.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"

if ! need_shared || [ ! -d "$SHARED_DATA/fineweb-legal" ]; then
    skip fetch_concurrent_words "BLALM_SHARED_DATA (fineweb-legal) not set"
    exit 0
fi
repo=$TMP/repo; mkdir -p "$repo/d"
f=$(ls "$SHARED_DATA/fineweb-legal" | head -1); stem=${f%.parquet}
ln -s "$SHARED_DATA/fineweb-legal/$f" "$repo/d/$f"
start_hub "$repo" --rate 60000          # about 8 s for the whole file
# wait_for OUT GLOB: a non-empty file matching GLOB under OUT appears
wait_for() {
    local i p
    for i in $(seq 400); do
        p=$(find "$1" -name "$2" -size +0 2>/dev/null | head -1)
        [ -n "$p" ] && { echo "$p"; return 0; }
        sleep 0.05
    done
    return 1
}
# settled OUT: the whole file alone, or the documents alone; no part files
settled() {
    local o=$1/d
    [ -z "$(find "$1" -name '*.part')" ] || return 1
    if [ -e "$o/$f" ]; then [ ! -e "$o/$stem-00000.jsonl.zst" ] && cmp -s "$repo/d/$f" "$o/$f"
    else zstd -t -q "$o/$stem-00000.jsonl.zst"; fi
}

# whole first, then --max-words
out=$TMP/out1
"$BLALM" fetch --repo $FETCH_REPO --path d --out "$out" -q 2>"$TMP/e1" & p1=$!
if ! part=$(wait_for "$out" ".$f.*.part"); then
    fail fetch_concurrent_words_after_whole "no part file appeared: $(cat "$TMP/e1")"
else
    "$BLALM" fetch --repo $FETCH_REPO --path d --out "$out" --max-words 3000 2>"$TMP/e2"; rc=$?
    still=$(kill -0 $p1 2>/dev/null && echo running)
    [ $rc = 1 ] && grep -q "d/$f: another blalm fetch is downloading it whole into $out now (it holds the lock on $part)" "$TMP/e2" &&
        [ ! -e "$out/d/$stem-00000.jsonl.zst" ] && [ "$still" = running ] &&
        pass fetch_concurrent_words_after_whole ||
        fail fetch_concurrent_words_after_whole "rc $rc, first $still: $(tail -c 600 "$TMP/e2")"
fi
wait $p1; rc1=$?
[ $rc1 = 0 ] && settled "$out" && pass fetch_concurrent_words_whole_unharmed ||
    fail fetch_concurrent_words_whole_unharmed "rc $rc1: $(cat "$TMP/e1"); $(ls -a "$out/d")"

# --max-words first, then whole
out=$TMP/out2
"$BLALM" fetch --repo $FETCH_REPO --path d --out "$out" --max-words 3000 -q 2>"$TMP/e3" & p1=$!
if ! sparse=$(wait_for "$out" ".$f.sparse.part"); then
    fail fetch_concurrent_whole_after_words "no sparse copy appeared: $(cat "$TMP/e3")"
else
    "$BLALM" fetch --repo $FETCH_REPO --path d --out "$out" 2>"$TMP/e4"; rc=$?
    still=$(kill -0 $p1 2>/dev/null && echo running)
    [ $rc = 1 ] && grep -q "d/$f: a blalm fetch --max-words is reading it into $out now (it holds the lock on $sparse)" "$TMP/e4" &&
        grep -q "0 downloaded .*1 failed" "$TMP/e4" && [ ! -e "$out/d/$f" ] && [ "$still" = running ] &&
        pass fetch_concurrent_whole_after_words ||
        fail fetch_concurrent_whole_after_words "rc $rc, first $still: $(tail -c 600 "$TMP/e4")"
fi
wait $p1; rc1=$?
[ $rc1 = 0 ] && settled "$out" && [ -e "$out/d/$stem-00000.jsonl.zst" ] && pass fetch_concurrent_words_unharmed ||
    fail fetch_concurrent_words_unharmed "rc $rc1: $(cat "$TMP/e3"); $(ls -a "$out/d")"
stop_hub
