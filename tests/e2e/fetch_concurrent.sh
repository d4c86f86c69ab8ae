#!/usr/bin/env bash
# Two fetches into one --out at once (a `blalm run` beside a manual fetch,
# two array tasks given the same shard): a whole download holds flock on its
# part file, so the second fetch does not write the same part file (it
# downloaded it again beside the first and failed with "rename ... No such
# file or directory" once the first had put it in place). It fails that file
# at once with a message naming the lock, touches nothing, and a rerun after
# the first is done verifies it. A part file replaced or removed between
# open and flock (another fetch finished or gave it up) is opened again
# (a preloaded flock shim removes the part file once, after locking it).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"

repo=$TMP/repo; mkdir -p "$repo/d"
head -c 200000 /dev/urandom >"$repo/d/big.parquet"
start_hub "$repo" --rate 40000          # about 5 s for the file
out=$TMP/out
"$BLALM" fetch --repo $FETCH_REPO --path d --out "$out" -q 2>"$TMP/e1" & p1=$!
part=
for i in $(seq 400); do
    part=$(find "$out" -name '.big.parquet.*.part' 2>/dev/null | head -1)
    [ -n "$part" ] && [ -s "$part" ] && break
    sleep 0.05
done
if [ -z "$part" ]; then
    fail fetch_concurrent_second_refused "no part file appeared: $(cat "$TMP/e1")"
else
    "$BLALM" fetch --repo $FETCH_REPO --path d --out "$out" 2>"$TMP/e2"; rc=$?
    still=$(kill -0 $p1 2>/dev/null && echo running)
    [ $rc = 1 ] && grep -q "d/big.parquet: another blalm fetch is downloading it into $out now (it holds the lock on $part); run this fetch again when that one is done" "$TMP/e2" &&
        grep -q "0 downloaded .*1 failed" "$TMP/e2" && [ "$still" = running ] &&
        pass fetch_concurrent_second_refused ||
        fail fetch_concurrent_second_refused "rc $rc, first $still: $(tail -c 600 "$TMP/e2")"
fi
wait $p1; rc1=$?
[ $rc1 = 0 ] && cmp -s "$repo/d/big.parquet" "$out/d/big.parquet" && [ -z "$(find "$out" -name '*.part')" ] &&
    pass fetch_concurrent_first_unharmed || fail fetch_concurrent_first_unharmed "rc $rc1: $(cat "$TMP/e1")"
"$BLALM" fetch --repo $FETCH_REPO --path d --out "$out" 2>"$TMP/e3"; rc=$?
[ $rc = 0 ] && grep -q "0 downloaded .*1 already verified, 0 failed" "$TMP/e3" &&
    pass fetch_concurrent_rerun_verified || fail fetch_concurrent_rerun_verified "rc $rc: $(tail -c 400 "$TMP/e3")"
stop_hub

CC=${CC:-cc}
if ! command -v "$CC" >/dev/null; then
    skip fetch_concurrent_part_replaced "no C compiler ($CC) to build the preload shim"
    exit 0
fi
cat >"$TMP/dropflock.c" <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* flock, and then, the first time a ".part" file is locked, that file
 * removed: as if another fetch had given it up between open and flock */
int flock(int fd, int op)
{
    static int done;
    int (*real)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "flock");
    int r = real(fd, op);
    char l[64], p[PATH_MAX];
    snprintf(l, sizeof l, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(l, p, sizeof p - 1);
    if (r == 0 && !done && n > 5 && (p[n] = 0, !strcmp(p + n - 5, ".part"))) {
        done = 1;
        unlink(p);
        FILE *m = getenv("SHIM_MARK") ? fopen(getenv("SHIM_MARK"), "w") : NULL;
        if (m) fclose(m);
    }
    return r;
}
C
if ! "$CC" -shared -fPIC -O1 -o "$TMP/dropflock.so" "$TMP/dropflock.c" -ldl 2>"$TMP/cc.err"; then
    fail fetch_concurrent_shim "$(head -c 400 "$TMP/cc.err")"
    exit 0
fi
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
start_hub "$repo"
SHIM_MARK=$TMP/fired LD_PRELOAD=$TMP/dropflock.so "$BLALM" fetch --repo $FETCH_REPO --path d --out "$TMP/out2" 2>"$TMP/e4"; rc=$?
[ $rc = 0 ] && cmp -s "$repo/d/big.parquet" "$TMP/out2/d/big.parquet" && grep -q "1 downloaded" "$TMP/e4" &&
    [ -e "$TMP/fired" ] && [ -z "$(find "$TMP/out2" -name '*.part')" ] &&
    pass fetch_concurrent_part_replaced || fail fetch_concurrent_part_replaced "rc $rc: $(tail -c 400 "$TMP/e4")"
