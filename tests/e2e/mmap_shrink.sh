#!/usr/bin/env bash
# A file blalm has mapped that shrinks under it (truncated, or rewritten in
# place by another process) is an error naming the file and the byte, exit 1;
# it was a SIGBUS (exit 135, nothing on stderr) in every reader that maps its
# input: verify, tokenize, tokenizer train, train's token shards, dedup's
# --verify-jaccard shingles and tag's pronouncing dictionary (lib/fmap.h). A
# preloaded shim truncates the file named by SHRINK_SUFFIX to 0 bytes right
# after blalm maps it, so the window is hit every time.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null; then
    skip mmap_shrink "no C compiler ($CC) to build the preload shim"
    exit 0
fi
cat >"$TMP/shim.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
/* mmap, then truncate the file to 0 bytes if its path ends in $SHRINK_SUFFIX */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    static void *(*real)(void *, size_t, int, int, int, off_t);
    if (!real) real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
    void *p = real(addr, len, prot, flags, fd, off);
    const char *suffix = getenv("SHRINK_SUFFIX");
    if (p != MAP_FAILED && fd >= 0 && suffix && *suffix) {
        char link[64], target[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        size_t s = strlen(suffix);
        if (n > 0) {
            target[n] = 0;
            if ((size_t)n >= s && !strcmp(target + n - s, suffix)) {
                int rc = truncate(target, 0);
                (void)rc;
            }
        }
    }
    return p;
}
C
if ! "$CC" -shared -fPIC -O1 -o "$TMP/shim.so" "$TMP/shim.c" -ldl 2>"$TMP/cc.err"; then
    fail mmap_shrink_shim "$(head -c 400 "$TMP/cc.err")"
    exit 0
fi
# the sanitizer build checks that its runtime comes first among preloads
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

# shrunk NAME SUFFIX FILE_EXPECTED CMD...: CMD, with files ending in SUFFIX
# truncated once mapped, exits 1 naming FILE_EXPECTED (a path) and the sizes
shrunk() {
    local name=$1 suffix=$2 file=$3; shift 3
    local size
    size=$(stat -c %s "$file" 2>/dev/null)
    SHRINK_SUFFIX=$suffix LD_PRELOAD=$TMP/shim.so "$@" >"$TMP/$name.out" 2>"$TMP/$name.err"
    local rc=$?
    local want="blalm: error: $file: byte N: the file shrank while it was read ($size bytes when opened, now 0); another process truncated or rewrote it in place"
    if [ $rc = 1 ] && sed -E 's/: byte [0-9]+: /: byte N: /' "$TMP/$name.err" | grep -qxF "$want"; then
        pass "$name"
    else
        fail "$name" "exit $rc (135 is SIGBUS); want '$want'; stderr: $(tail -c 400 "$TMP/$name.err" | tr '\n' ' ')"
    fi
}

# a corpus: tag, assemble
W=$TMP/w
mkdir -p "$W/docs/web"
synthetic_docs 200 5 | awk 'BEGIN { RS = ""; n = 0 } { gsub(/\n/, " "); printf "{\"id\": \"d%d\", \"text\": \"%s\"}\n", n++, $0 }' \
    >"$W/docs/web/p.jsonl"
printf '%s\n' '{"corpora": [{"name": "strict", "budget": 100000, "dev_words": 300, "subset_of": null}],
 "rules": [], "ranking": ["readability.words desc"]}' >"$W/c.json"
if ! "$BLALM" tag --work "$W" --taggers readability --cmudict none --quiet 2>"$TMP/e" ||
   ! "$BLALM" assemble --work "$W" --out "$W/out" --config "$W/c.json" --quiet 2>>"$TMP/e"; then
    fail mmap_shrink_fixture "$(tail -c 400 "$TMP/e")"
    exit 0
fi
TRAIN=$(ls "$W"/out/strict/train/*.train | head -1)

# each case gets its own copy, since the shim empties the file
cp -r "$W/out/strict" "$TMP/v"
shrunk verify_shrunk_file .train "$TMP/v/train/$(basename "$TMP/v"/train/*.train)" \
    "$BLALM" verify "$TMP/v"

"$BLALM" tokenizer train --corpus "$W/out/strict" --out "$TMP/tok" --vocab 300 --min-frequency 2 --quiet \
    2>"$TMP/e" || fail mmap_shrink_tokenizer_fixture "$(tail -c 300 "$TMP/e")"
cp -r "$W/out/strict" "$TMP/t1"
shrunk tokenizer_train_shrunk_file .train "$TMP/t1/train/$(basename "$TRAIN")" \
    "$BLALM" tokenizer train --corpus "$TMP/t1" --out "$TMP/tok1" --vocab 300 --min-frequency 2 --quiet
[ ! -e "$TMP/tok1/tokenizer.json" ] && pass tokenizer_train_shrunk_writes_nothing ||
    fail tokenizer_train_shrunk_writes_nothing "$(ls "$TMP/tok1")"

cp -r "$W/out/strict" "$TMP/t2"
shrunk tokenize_shrunk_file .train "$TMP/t2/train/$(basename "$TRAIN")" \
    "$BLALM" tokenize --corpus "$TMP/t2" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/shards2" --threads 1 --quiet

# train maps the token shards it reads (*.tok)
"$BLALM" tokenize --corpus "$W/out/strict" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/shards" --threads 1 \
    --quiet 2>"$TMP/e" || fail mmap_shrink_tokenize_fixture "$(tail -c 300 "$TMP/e")"
TOK=$(ls "$TMP"/shards/train/*.tok 2>/dev/null | head -1)
# the failed tokenize, its file restored, reruns to the same shards as an undisturbed one
cp "$TRAIN" "$TMP/t2/train/"
if "$BLALM" tokenize --corpus "$TMP/t2" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/shards2" --threads 1 \
    --quiet 2>"$TMP/e" && diff -r -q -x '*.json' -x state "$TMP/shards" "$TMP/shards2" >"$TMP/diff" 2>&1; then
    pass tokenize_rerun_after_shrink
else fail tokenize_rerun_after_shrink "$(tail -c 300 "$TMP/e") $(head -c 300 "$TMP/diff")"; fi
if [ -n "$TOK" ]; then
    shrunk train_shrunk_token_shard .tok "$TOK" \
        "$BLALM" train --tokens "$TMP/shards" --model "$root/configs/model-tiny.json" \
        --out "$TMP/run" --max-steps 2 --threads 1 -q
else
    fail train_shrunk_token_shard "no .tok file in $(ls -R "$TMP/shards" | head -c 300)"
fi

# tag's pronouncing dictionary
printf ';;; test\nSHORT  SH AO1 R T\nHERE  HH IY1 R\n' >"$TMP/ok.dict"
shrunk tag_cmudict_shrunk "ok.dict" "$TMP/ok.dict" \
    "$BLALM" tag --work "$W" --out "$TMP/attr2" --taggers readability --cmudict "$TMP/ok.dict" --quiet

# dedup's shingle files, read back for --verify-jaccard
D=$TMP/d
mkdir -p "$D/docs/web"
# each document twice, the copy with one more word: near duplicates to verify
{ cat "$W/docs/web/p.jsonl"; sed 's/"id": "d/"id": "e/; s/"}$/ again"}/' "$W/docs/web/p.jsonl"; } >"$D/docs/web/p.jsonl"
if "$BLALM" dedup --work "$D" --stage signatures --verify-jaccard 0.5 --quiet 2>"$TMP/e" &&
   "$BLALM" dedup --work "$D" --stage buckets --verify-jaccard 0.5 --quiet 2>>"$TMP/e"; then
    SH=$(find "$D/state/dedup/shingles" -name '*.shg' -type f | head -1)
    if [ -n "$SH" ]; then
        shrunk dedup_shrunk_shingles "$(basename "$SH")" "$SH" \
            "$BLALM" dedup --work "$D" --stage cluster --verify-jaccard 0.5 --quiet
    else
        fail dedup_shrunk_shingles "no shingle file under $D: $(find "$D" -type f | head -c 400)"
    fi
else
    fail mmap_shrink_dedup_fixture "$(tail -c 300 "$TMP/e")"
fi
