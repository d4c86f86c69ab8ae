#!/usr/bin/env bash
# What a fetch's clean-up of an earlier --max-words run may remove, and where
# it must not get in the way:
#  - a repository file named like --max-words documents (d/a-00000.jsonl.zst
#    beside d/a.parquet) that a fetch put there (it has a sidecar of its own)
#    is kept: by the other shard of a sharded fetch, and by a rerun that an
#    --include now leaves it out of (both deleted it once);
#  - a filesystem without flock (some Lustre and FUSE mounts: ENOSYS) runs
#    --max-words unlocked, as before the sparse copy was locked (it failed
#    every file with "lock: Function not implemented");
#  - a rerun over a complete folder on a read-only mount, where unlink of a
#    name that is not there says EROFS, is "already verified", exit 0 (it
#    failed every file: "cannot remove ... Read-only file system").
# The last two use preloaded shims (flock -> ENOSYS; unlink -> EROFS).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"

repo=$TMP/repo; mkdir -p "$repo/d"
head -c 5000 /dev/urandom >"$repo/d/a.parquet"
head -c 3000 /dev/urandom >"$repo/d/a-00000.jsonl.zst"
start_hub "$repo"
out=$TMP/out
"$BLALM" fetch --repo $FETCH_REPO --path d --out "$out" --shard 0/2 -q 2>"$TMP/e0" &&
    "$BLALM" fetch --repo $FETCH_REPO --path d --out "$out" --shard 1/2 2>"$TMP/e1" &&
    "$BLALM" fetch --repo $FETCH_REPO --path d --out "$out" --shard 0/2 -q 2>>"$TMP/e0" &&
    "$BLALM" fetch --repo $FETCH_REPO --path d --out "$out" --shard 1/2 2>>"$TMP/e1"; rc=$?
[ $rc = 0 ] && cmp -s "$repo/d/a-00000.jsonl.zst" "$out/d/a-00000.jsonl.zst" && cmp -s "$repo/d/a.parquet" "$out/d/a.parquet" &&
    ! grep -q removed "$TMP/e1" && pass fetch_shard_keeps_other_shards_jsonl_zst ||
    fail fetch_shard_keeps_other_shards_jsonl_zst "rc $rc; $(cat "$TMP/e0" "$TMP/e1" | tail -c 400); $(ls -a "$out/d" | tr '\n' ' ')"
out2=$TMP/out2
"$BLALM" fetch --repo $FETCH_REPO --path d --out "$out2" -q &&
    "$BLALM" fetch --repo $FETCH_REPO --path d --out "$out2" --include '*.parquet' 2>"$TMP/e2"; rc=$?
[ $rc = 0 ] && cmp -s "$repo/d/a-00000.jsonl.zst" "$out2/d/a-00000.jsonl.zst" && ! grep -q removed "$TMP/e2" &&
    pass fetch_include_keeps_repo_jsonl_zst ||
    fail fetch_include_keeps_repo_jsonl_zst "rc $rc; $(tail -c 400 "$TMP/e2"); $(ls -a "$out2/d" | tr '\n' ' ')"
# the same name written by a --max-words run (no sidecar of its own) beside
# a whole file whose sidecar says "file" (an older blalm left it): removed
if need_shared && [ -d "$SHARED_DATA/fineweb-legal" ]; then
    real=$TMP/realrepo; mkdir -p "$real/sample/10BT"
    f=$(ls "$SHARED_DATA/fineweb-legal" | head -1); stem=${f%.parquet}
    ln -s "$SHARED_DATA/fineweb-legal/$f" "$real/sample/10BT/$f"
    start_hub "$real"
    "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 3000 --out "$TMP/mw" -q &&
        cp "$TMP/mw/sample/10BT/$stem-00000.jsonl.zst" "$TMP/docs.zst" &&
        "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/mw" -q &&
        cp "$TMP/docs.zst" "$TMP/mw/sample/10BT/$stem-00000.jsonl.zst" &&
        "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/mw" 2>"$TMP/e3"; rc=$?
    [ $rc = 0 ] && [ ! -e "$TMP/mw/sample/10BT/$stem-00000.jsonl.zst" ] && grep -q "removed .*$stem-00000.jsonl.zst" "$TMP/e3" &&
        pass fetch_removes_max_words_documents_beside_whole ||
        fail fetch_removes_max_words_documents_beside_whole "rc $rc; $(tail -c 400 "$TMP/e3" 2>/dev/null)"
else
    skip fetch_removes_max_words_documents_beside_whole "shared data (fineweb-legal) not found"
fi

CC=${CC:-cc}
if ! command -v "$CC" >/dev/null; then
    skip fetch_max_words_without_flock "no C compiler ($CC) to build the preload shim"
    skip fetch_rerun_read_only_mount "no C compiler ($CC) to build the preload shim"
    exit 0
fi
cat >"$TMP/noflock.c" <<'C'
#include <errno.h>
#include <sys/file.h>
/* flock, as on a filesystem without it */
int flock(int fd, int op) { (void)fd; (void)op; errno = ENOSYS; return -1; }
C
cat >"$TMP/rounlink.c" <<'C'
#include <errno.h>
#include <unistd.h>
/* unlink, as on a read-only mount: EROFS, also for a name that is not there */
int unlink(const char *p) { (void)p; errno = EROFS; return -1; }
C
if ! "$CC" -shared -fPIC -O1 -o "$TMP/noflock.so" "$TMP/noflock.c" 2>"$TMP/cc.err" ||
   ! "$CC" -shared -fPIC -O1 -o "$TMP/rounlink.so" "$TMP/rounlink.c" 2>>"$TMP/cc.err"; then
    fail fetch_cleanup_shims "$(head -c 400 "$TMP/cc.err")"
    exit 0
fi
# the sanitizer build checks that its runtime comes first among preloads
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
if [ -n "${real:-}" ]; then
    NO_FLOCK=1 LD_PRELOAD=$TMP/noflock.so "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 3000 \
        --out "$TMP/nf" 2>"$TMP/e4"; rc=$?
    [ $rc = 0 ] && [ -s "$TMP/nf/sample/10BT/$stem-00000.jsonl.zst" ] && [ -z "$(find "$TMP/nf" -name '*.sparse.part')" ] &&
        pass fetch_max_words_without_flock || fail fetch_max_words_without_flock "rc $rc; $(tail -c 400 "$TMP/e4")"
else
    skip fetch_max_words_without_flock "shared data (fineweb-legal) not found"
fi
repo3=$TMP/repo3; mkdir -p "$repo3/d"; head -c 5000 /dev/urandom >"$repo3/d/b.parquet"
start_hub "$repo3"
"$BLALM" fetch --repo $FETCH_REPO --path d --out "$TMP/out3" -q &&
    LD_PRELOAD=$TMP/rounlink.so "$BLALM" fetch --repo $FETCH_REPO --path d --out "$TMP/out3" 2>"$TMP/e5"; rc=$?
[ $rc = 0 ] && grep -q "1 already verified, 0 failed" "$TMP/e5" && pass fetch_rerun_read_only_mount ||
    fail fetch_rerun_read_only_mount "rc $rc; $(tail -c 400 "$TMP/e5")"
