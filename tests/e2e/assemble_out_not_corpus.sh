#!/usr/bin/env bash
# assemble replaces OUT/<corpus> whole. A folder there that is not a corpus
# (the user's files, no manifest.json), or a regular file, was removed with
# the old corpus without a word. Now it is refused before anything is read,
# naming it, exit 1, left as it was; a corpus, an empty folder or a symbolic
# link (the link goes, its target stays) is replaced as before.
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v zstd >/dev/null; then skip assemble_out_not_corpus "zstd CLI not installed"; exit 0; fi
W=$TMP/w
mkdir -p "$W/docs/s"
printf '%s\n' '{"id":"a","text":"alpha beta"}' '{"id":"b","text":"gamma delta"}' >"$W/docs/s/p.jsonl"
echo '{"corpora": [{"name": "c", "budget": 1000, "dev_words": 0}], "rules": [], "ranking": []}' >"$TMP/c.json"
asm() { "$BLALM" assemble --work "$W" --out "$1" --config "$TMP/c.json" --quiet 2>"$TMP/err"; }

mkdir -p "$TMP/o1/c" && echo keep >"$TMP/o1/c/precious.txt"
asm "$TMP/o1"; rc=$?
[ $rc = 1 ] && [ "$(cat "$TMP/o1/c/precious.txt" 2>/dev/null)" = keep ] && [ ! -e "$TMP/o1/c/manifest.json" ] &&
    grep -qF "$TMP/o1/c: a folder that is not a corpus (no manifest.json) is where assemble would write corpus 'c'" "$TMP/err" &&
    pass assemble_out_refuses_foreign_folder || fail assemble_out_refuses_foreign_folder "rc $rc $(head -c 300 "$TMP/err"; ls -a "$TMP/o1/c")"

mkdir -p "$TMP/o2" && echo keep >"$TMP/o2/c"
asm "$TMP/o2"; rc=$?
[ $rc = 1 ] && [ "$(cat "$TMP/o2/c" 2>/dev/null)" = keep ] &&
    grep -qF "$TMP/o2/c: a file that is not a corpus is where assemble would write corpus 'c'" "$TMP/err" &&
    pass assemble_out_refuses_file || fail assemble_out_refuses_file "rc $rc $(head -c 300 "$TMP/err")"

# an empty folder, a corpus (a rerun) and a link are replaced
mkdir -p "$TMP/o3/c"
if asm "$TMP/o3" && asm "$TMP/o3" && "$BLALM" verify "$TMP/o3/c" >/dev/null 2>&1; then pass assemble_out_replaces_empty_and_corpus
else fail assemble_out_replaces_empty_and_corpus "$(head -c 300 "$TMP/err")"; fi
mkdir -p "$TMP/o4" "$TMP/tgt" && echo keep >"$TMP/tgt/precious.txt" && ln -s "$TMP/tgt" "$TMP/o4/c"
if asm "$TMP/o4" && [ ! -L "$TMP/o4/c" ] && "$BLALM" verify "$TMP/o4/c" >/dev/null 2>&1 &&
   [ "$(cat "$TMP/tgt/precious.txt")" = keep ]; then pass assemble_out_replaces_link_keeps_target
else fail assemble_out_replaces_link_keeps_target "$(head -c 300 "$TMP/err")"; fi

# a dangling link is replaced too (the link, not its target): swap_in asked
# stat, which follows it, "not there", and the rename onto the link failed
# at the very end with "Not a directory"
mkdir -p "$TMP/o5" && ln -s "$TMP/nowhere" "$TMP/o5/c"
if asm "$TMP/o5" && [ ! -L "$TMP/o5/c" ] && "$BLALM" verify "$TMP/o5/c" >/dev/null 2>&1 && [ ! -e "$TMP/nowhere" ] &&
   [ -z "$(ls -A "$TMP/o5" | grep -v -e '^c$' -e '^\.lock$')" ]; then pass assemble_out_replaces_dangling_link
else fail assemble_out_replaces_dangling_link "$(head -c 300 "$TMP/err"; ls -a "$TMP/o5" | tr '\n' ' ')"; fi


# the check is made again, with OUT locked, just before the corpora move in:
# a folder made at OUT/<corpus> while assemble ran was removed with the old
# corpus. strace holds the run 3 s in its open of OUT/.lock (after the first
# check, before the swap) while the folder is made.
if ! strace -f -qq -e trace=%file -o "$TMP/st-probe" true 2>/dev/null; then
    skip assemble_out_refuses_folder_made_while_running "strace cannot trace here"
else
    mkdir -p "$TMP/o6"
    ASAN_OPTIONS=detect_leaks=0 strace -f -o "$TMP/o6.st" -P "$TMP/o6/.lock" -e trace=openat \
        -e inject=openat:delay_enter=3000000 "$BLALM" assemble --work "$W" --out "$TMP/o6" --config "$TMP/c.json" \
        --quiet 2>"$TMP/err" &
    spid=$!
    trap 'kill $spid 2>/dev/null; rm -rf "$TMP"' EXIT
    for _ in $(seq 600); do grep -q '\.lock' "$TMP/o6.st" 2>/dev/null && break; sleep 0.05; done
    mkdir "$TMP/o6/c" && echo keep >"$TMP/o6/c/precious.txt"
    wait $spid; rc=$?
    trap 'rm -rf "$TMP"' EXIT
    if ! grep -q '\.lock' "$TMP/o6.st"; then skip assemble_out_refuses_folder_made_while_running "strace did not trace the lock"
    elif [ $rc = 1 ] && [ "$(cat "$TMP/o6/c/precious.txt" 2>/dev/null)" = keep ] &&
         grep -qF "$TMP/o6/c: a folder that is not a corpus (no manifest.json) is where assemble would write corpus 'c'" "$TMP/err" &&
         [ -z "$(ls -A "$TMP/o6" | grep -v -e '^c$' -e '^\.lock$')" ] && [ "$(ls -A "$TMP/o6/c")" = precious.txt ]; then
        pass assemble_out_refuses_folder_made_while_running
    else fail assemble_out_refuses_folder_made_while_running "rc $rc $(head -c 300 "$TMP/err"; ls -a "$TMP/o6" "$TMP/o6/c" | tr '\n' ' ')"; fi
fi
