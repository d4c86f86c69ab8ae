#!/usr/bin/env bash
# blalm fetch on a full disk: a write that fails with ENOSPC is an error
# naming the local file it was writing, exit 1, and nothing half-written
# under its final name. A preloaded shim makes pwrite(2) to files whose path
# ends in $FULL_SUFFIX fail with ENOSPC once $FULL_AFTER bytes went to them,
# so no small filesystem needs mounting.
#  - a whole-file download: the part file is named;
#  - --max-words: the sparse copy of the remote parquet file (footer, then
#    the row groups it needs) is named; before, the message said only
#    "GET URL: write: No space left on device", no file.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null; then
    skip fetch_disk_full "no C compiler ($CC) to build the preload shim"
    exit 0
fi
cat >"$TMP/shim.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>
/* pwrite, failing with ENOSPC on a file whose path ends in $FULL_SUFFIX once
 * $FULL_AFTER bytes were written to such files */
static long long written;
static int full(int fd, size_t n)
{
    const char *suffix = getenv("FULL_SUFFIX"), *after = getenv("FULL_AFTER");
    if (suffix && *suffix) {
        char link[64], target[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t k = readlink(link, target, sizeof target - 1);
        size_t s = strlen(suffix);
        if (k > 0 && (size_t)k >= s && !memcmp(target + k - s, suffix, s)) {
            if (written + (long long)n > atoll(after ? after : "0")) return 1;
            written += (long long)n;
        }
    }
    return 0;
}
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    static ssize_t (*real)(int, const void *, size_t, off_t);
    if (!real) real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
    if (full(fd, n)) { errno = ENOSPC; return -1; }
    return real(fd, buf, n, off);
}
ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off)
{
    static ssize_t (*real)(int, const void *, size_t, off_t);
    if (!real) real = (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
    if (full(fd, n)) { errno = ENOSPC; return -1; }
    return real(fd, buf, n, off);
}
C
if ! "$CC" -shared -fPIC -O1 -o "$TMP/shim.so" "$TMP/shim.c" -ldl 2>"$TMP/cc.err"; then
    fail fetch_disk_full_shim "$(head -c 400 "$TMP/cc.err")"
    exit 0
fi
# the sanitizer build checks that its runtime comes first among preloads
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
full() { FULL_SUFFIX=$1 FULL_AFTER=$2 LD_PRELOAD=$TMP/shim.so "${@:3}"; }
nofiles() { [ -z "$(find "$1" -type f 2>/dev/null)" ]; }

# a whole-file download: the part file is named, the file is not there
repo=$TMP/repo; make_repo "$repo"
start_hub "$repo"
full .part 100000 "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --include 000_00000.parquet \
    --out "$TMP/out" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "sample/10BT/\.000_00000\.parquet\.[0-9a-f]*\.part: write: No space left on device" "$TMP/e" &&
    [ ! -e "$TMP/out/sample/10BT/000_00000.parquet" ] && [ ! -e "$TMP/out/sample/10BT/000_00000.parquet.meta" ] &&
    pass fetch_disk_full_names_part_file || fail fetch_disk_full_names_part_file "rc $rc; $(cat "$TMP/e")"

# --max-words: the sparse copy is named; no documents, no sidecar, no sparse file left
if need_shared && [ -d "$SHARED_DATA/fineweb-legal" ]; then
    real=$TMP/realrepo; mkdir -p "$real/sample/10BT"
    f=$(ls "$SHARED_DATA/fineweb-legal" | head -1)
    ln -s "$SHARED_DATA/fineweb-legal/$f" "$real/sample/10BT/$f"
    start_hub "$real"
    # the magic, footer and tail go in first (a few KB), then the row group
    full .sparse.part 65536 "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 3000 \
        --out "$TMP/mw/fineweb-edu" >"$TMP/o" 2>"$TMP/e"; rc=$?
    [ $rc = 1 ] && grep -q "sample/10BT/\.${f%.parquet}\.parquet\.sparse\.part: write: No space left on device" "$TMP/e" &&
        nofiles "$TMP/mw" && pass fetch_max_words_disk_full_names_sparse_file ||
        fail fetch_max_words_disk_full_names_sparse_file "rc $rc; $(cat "$TMP/e"); $(find "$TMP/mw" -type f)"
else
    skip fetch_max_words_disk_full_names_sparse_file "shared data (fineweb-legal) not found"
fi
