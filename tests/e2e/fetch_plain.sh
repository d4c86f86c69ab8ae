#!/usr/bin/env bash
# blalm fetch of files the Hub keeps in git, not LFS (JSONL, README: the
# listing has no lfs.oid, only the git blob id "oid", and /resolve/ serves
# the bytes itself with that id as ETag; the stand-in's --plain). Their
# content is checked against the blob id, sha1("blob <size>\0" + bytes); the
# part file is named by that id, so a part of another version is never
# resumed (it is removed); a rerun after the file changed upstream downloads
# it again rather than calling the old copy verified.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"

repo=$TMP/repo; mkdir -p "$repo/data"
f=data/train.jsonl
src=$repo/$f
size=300000
fill() { head -c $size /dev/zero | tr '\0' "$1" >"$src"; }   # one version of the file: all one letter
blob() { git hash-object "$1"; }                               # git's own blob id, independent of blalm
fetch() { "$BLALM" fetch --repo $FETCH_REPO --path data "$@"; }
fill A
head -c 2000 /dev/urandom >"$repo/data/other.bin"             # an LFS file beside it
start_hub "$repo" --plain '*.jsonl'

# 1. a plain download: identical, its sidecar keeps the blob id
out=$TMP/out1
if fetch --out "$out" 2>"$TMP/e1" && cmp -s "$src" "$out/$f" && cmp -s "$repo/data/other.bin" "$out/data/other.bin" &&
   "$PY" - "$out/$f.meta" "$(blob "$src")" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["lfs"] is False and m["git_oid"] == sys.argv[2] and m["etag"].strip('"') == sys.argv[2], m
PY
then pass fetch_plain_sidecar_has_git_oid; else fail fetch_plain_sidecar_has_git_oid "$(cat "$TMP/e1" "$out/$f.meta" 2>&1)"; fi
fetch --out "$out" 2>"$TMP/e1b" && grep -q "2 already verified" "$TMP/e1b" && pass fetch_plain_rerun_skips ||
    fail fetch_plain_rerun_skips "$(cat "$TMP/e1b")"

# 2. the file changes upstream (same size): the rerun downloads it again
fill B; hub_rescan
if fetch --out "$out" 2>"$TMP/e2" && cmp -s "$src" "$out/$f" && grep -q "1 downloaded" "$TMP/e2"; then
    pass fetch_plain_changed_upstream_redownloaded
else fail fetch_plain_changed_upstream_redownloaded "$(cat "$TMP/e2"); content $(tr -s 'AB' <"$out/$f")"; fi

# 3. a part of the old version (interrupted run, then the file changed): not resumed, removed
fill A; old=$(blob "$src"); fill C; hub_rescan
out=$TMP/out3; mkdir -p "$out/data"
head -c 110000 /dev/zero | tr '\0' A >"$out/data/.train.jsonl.${old:0:12}.part"
head -c 110000 /dev/zero | tr '\0' A >"$out/data/.train.jsonl.plain.part"      # what older runs named it
if fetch --out "$out" --include train.jsonl 2>"$TMP/e3" && cmp -s "$src" "$out/$f" &&
   [ -z "$(find "$out" -name '*.part')" ]; then
    pass fetch_plain_other_version_part_discarded
else fail fetch_plain_other_version_part_discarded "$(cat "$TMP/e3"); content $(tr -s 'AC' <"$out/$f" 2>&1); parts $(find "$out" -name '*.part')"; fi

# 4. a part of this version is resumed with Range (only the rest travels)
now=$(blob "$src")
out=$TMP/out4; mkdir -p "$out/data"
head -c 100000 "$src" >"$out/data/.train.jsonl.${now:0:12}.part"
before=$(hub_stat cdn_bytes)
if fetch --out "$out" --include train.jsonl 2>"$TMP/e4" && cmp -s "$src" "$out/$f" &&
   [ $(( $(hub_stat cdn_bytes) - before )) = $((size - 100000)) ]; then pass fetch_plain_same_version_resumed
else fail fetch_plain_same_version_resumed "bytes $(( $(hub_stat cdn_bytes) - before )); $(cat "$TMP/e4")"; fi

# 5. corrupt bytes in that part: the blob id check fails, the part goes, the rerun succeeds
out=$TMP/out5; mkdir -p "$out/data"
part="$out/data/.train.jsonl.${now:0:12}.part"
head -c 100000 /dev/zero | tr '\0' X >"$part"
fetch --out "$out" --include train.jsonl 2>"$TMP/e5"; rc=$?
if [ $rc = 1 ] && grep -q "git blob id mismatch: the listing says $now" "$TMP/e5" && [ ! -e "$part" ] && [ ! -e "$out/$f" ]; then
    pass fetch_plain_corrupt_part_detected
else fail fetch_plain_corrupt_part_detected "rc $rc; $(cat "$TMP/e5")"; fi
fetch --out "$out" -q 2>"$TMP/e5b" && cmp -s "$src" "$out/$f" && pass fetch_plain_rerun_after_corrupt_part ||
    fail fetch_plain_rerun_after_corrupt_part "$(cat "$TMP/e5b")"

# 6. a file in place without a sidecar (or with one from an older blalm, no
#    git_oid): hashed once, kept when its blob id matches, fetched when not
out=$TMP/out6; mkdir -p "$out/data"
cp "$src" "$out/$f"
before=$(hub_stat cdn_bytes)
if fetch --out "$out" --include train.jsonl 2>"$TMP/e6" && grep -q "1 already verified" "$TMP/e6" &&
   [ "$(hub_stat cdn_bytes)" = "$before" ] && grep -q "\"git_oid\":\"$now\"" "$out/$f.meta"; then
    pass fetch_plain_in_place_rehashed
else fail fetch_plain_in_place_rehashed "$(cat "$TMP/e6")"; fi
"$PY" - "$out/$f.meta" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); m.pop("git_oid", None); json.dump(m, open(sys.argv[1], "w"))
PY
fill D; hub_rescan
if fetch --out "$out" --include train.jsonl 2>"$TMP/e6b" && cmp -s "$src" "$out/$f" && grep -q "1 downloaded" "$TMP/e6b"; then
    pass fetch_plain_old_sidecar_not_trusted
else fail fetch_plain_old_sidecar_not_trusted "$(cat "$TMP/e6b")"; fi

# 7. a listing whose oid does not match the bytes served: refused, nothing in place
start_hub "$repo" --plain '*.jsonl' --fault bad-sha
out=$TMP/out7
fetch --out "$out" --include train.jsonl 2>"$TMP/e7"; rc=$?
if [ $rc = 1 ] && grep -q "git blob id mismatch" "$TMP/e7" && [ ! -e "$out/$f" ] && [ -z "$(find "$out" -name '*.part')" ]; then
    pass fetch_plain_wrong_oid_refused
else fail fetch_plain_wrong_oid_refused "rc $rc; $(cat "$TMP/e7")"; fi

# 8. a file listed with neither an lfs.oid nor a git oid (only its size): a
#    part left by an interrupted run is never resumed (the file changed
#    upstream, same size: old bytes + new bytes were joined, exit 0), and a
#    sidecar of the old version is not trusted (its ETag differs)
start_hub "$repo" --plain '*.jsonl' --fault no-oid
fill A
out=$TMP/out8; mkdir -p "$out/data"
head -c 100000 /dev/zero | tr '\0' A >"$out/data/.train.jsonl.plain.part"
fill E; hub_rescan
fetch --out "$out" --include train.jsonl 2>"$TMP/e8"; rc=$?
if [ $rc = 0 ] && cmp -s "$src" "$out/$f" && [ -z "$(find "$out" -name '*.part')" ]; then
    pass fetch_no_oid_part_not_resumed
else fail fetch_no_oid_part_not_resumed "rc $rc; $(cat "$TMP/e8"); content $(tr -s 'AE' <"$out/$f" 2>&1)"; fi
fill F; hub_rescan
fetch --out "$out" --include train.jsonl 2>"$TMP/e8b"; rc=$?
if [ $rc = 0 ] && cmp -s "$src" "$out/$f" && grep -q "1 downloaded" "$TMP/e8b"; then
    pass fetch_no_oid_changed_upstream_redownloaded
else fail fetch_no_oid_changed_upstream_redownloaded "rc $rc; $(cat "$TMP/e8b"); content $(tr -s 'EF' <"$out/$f" 2>&1)"; fi
fetch --out "$out" --include train.jsonl 2>"$TMP/e8c" && grep -q "1 already verified" "$TMP/e8c" \
    && pass fetch_no_oid_unchanged_skipped || fail fetch_no_oid_unchanged_skipped "$(cat "$TMP/e8c")"

# 9. such a file's answer ends early in this run: the rest is asked for with
#    Range from the byte received (the part is this run's, from this HEAD's
#    version), not from byte 0 again; one that never comes whole is not said
#    to be "kept for resume" (a rerun starts over)
start_hub "$repo" --plain '*.jsonl' --fault no-oid --fault short-once
out=$TMP/out9
before=$(hub_stat cdn_bytes)
fetch --out "$out" --include train.jsonl 2>"$TMP/e9"; rc=$?
if [ $rc = 0 ] && cmp -s "$src" "$out/$f" && [ "$(hub_stat ranges)" -ge 1 ] &&
   [ $(( $(hub_stat cdn_bytes) - before )) = $size ]; then
    pass fetch_no_oid_short_answer_resumed_in_run
else fail fetch_no_oid_short_answer_resumed_in_run "rc $rc; ranges $(hub_stat ranges); bytes $(( $(hub_stat cdn_bytes) - before )); $(cat "$TMP/e9")"; fi
# a server that names no commit is asked by revision, which may have moved
# between the answer that ended early and the rest: the file starts over
start_hub "$repo" --plain '*.jsonl' --fault no-oid --fault no-commit --fault short-once
out=$TMP/out9c
before=$(hub_stat cdn_bytes)
fetch --out "$out" --include train.jsonl 2>"$TMP/e9c"; rc=$?
if [ $rc = 0 ] && cmp -s "$src" "$out/$f" && [ "$(hub_stat ranges)" = 0 ] &&
   [ $(( $(hub_stat cdn_bytes) - before )) -gt $size ]; then
    pass fetch_no_oid_no_commit_starts_over
else fail fetch_no_oid_no_commit_starts_over "rc $rc; ranges $(hub_stat ranges); bytes $(( $(hub_stat cdn_bytes) - before )); $(cat "$TMP/e9c")"; fi
start_hub "$repo" --plain '*.jsonl' --fault no-oid --fault trickle
out=$TMP/out9b
fetch --out "$out" --include train.jsonl 2>"$TMP/e9b"; rc=$?
if [ $rc = 1 ] && grep -q "ended at byte 33000 of $size .*after asking for the rest 32 times in this run (not resumable across runs: nothing listed to check it by; the next run starts over)" "$TMP/e9b" &&
   ! grep -q "kept for resume" "$TMP/e9b"; then
    pass fetch_no_oid_trickle_message
else fail fetch_no_oid_trickle_message "rc $rc; $(cat "$TMP/e9b")"; fi

# 10. a rerun asks such a file's ETag with the download's own HEAD (in
#     parallel, --jobs), not with one more HEAD first: a changed file gets one
#     HEAD, not two
start_hub "$repo" --plain '*.jsonl' --fault no-oid
out=$TMP/out10
fetch --out "$out" --include train.jsonl -q 2>"$TMP/e10"
fill G; hub_rescan
h0=$(hub_stat head)
fetch --out "$out" --include train.jsonl 2>"$TMP/e10b"; rc=$?
if [ $rc = 0 ] && cmp -s "$src" "$out/$f" && grep -q "1 downloaded" "$TMP/e10b" && [ $(( $(hub_stat head) - h0 )) = 1 ]; then
    pass fetch_no_oid_changed_one_head
else fail fetch_no_oid_changed_one_head "rc $rc; heads $(( $(hub_stat head) - h0 )); $(cat "$TMP/e10" "$TMP/e10b")"; fi
h0=$(hub_stat head)
fetch --out "$out" --include train.jsonl 2>"$TMP/e10c" && grep -q "1 already verified" "$TMP/e10c" &&
    [ $(( $(hub_stat head) - h0 )) = 1 ] && pass fetch_no_oid_unchanged_one_head ||
    fail fetch_no_oid_unchanged_one_head "heads $(( $(hub_stat head) - h0 )); $(cat "$TMP/e10c")"

# 11. a server that sends no ETag: such a file is downloaded again on every
#     run (nothing tells its version), and the run says why
start_hub "$repo" --plain '*.jsonl' --fault no-oid --fault no-etag
out=$TMP/out11
fetch --out "$out" --include train.jsonl -q 2>"$TMP/e11"
h0=$(hub_stat head)
fetch --out "$out" --include train.jsonl 2>"$TMP/e11b"; rc=$?
if [ $rc = 0 ] && cmp -s "$src" "$out/$f" && grep -q "1 downloaded" "$TMP/e11b" &&
   grep -q "data/train.jsonl: the server gives no ETag and nothing is listed to check it by: downloaded again" "$TMP/e11b" &&
   [ $(( $(hub_stat head) - h0 )) = 1 ]; then
    pass fetch_no_oid_no_etag_noted
else fail fetch_no_oid_no_etag_noted "rc $rc; heads $(( $(hub_stat head) - h0 )); $(cat "$TMP/e11" "$TMP/e11b")"; fi

# 12. --max-words output of such a file is reused only while the HEAD's ETag
#     is the one its sidecar records (the size alone matched a changed file:
#     the old version's documents were kept)
if need_shared && [ -d "$SHARED_DATA/fineweb-legal" ]; then
    repo12=$TMP/repo12; mkdir -p "$repo12/d"
    pq=$(ls "$SHARED_DATA/fineweb-legal" | head -1)
    ln -s "$SHARED_DATA/fineweb-legal/$pq" "$repo12/d/$pq"
    start_hub "$repo12" --plain '*.parquet' --fault no-oid
    out=$TMP/out12
    mw() { "$BLALM" fetch --repo $FETCH_REPO --path d --max-words 3000 --out "$out" "$@"; }
    mw -q 2>"$TMP/e12"
    mw 2>"$TMP/e12b"
    grep -q "1 reused from an earlier run" "$TMP/e12b" && pass fetch_no_oid_words_unchanged_reused ||
        fail fetch_no_oid_words_unchanged_reused "$(cat "$TMP/e12" "$TMP/e12b")"
    "$PY" - "$out/d/$pq.meta" <<'PY'
import json, sys
m = json.load(open(sys.argv[1])); assert m["kind"] == "max-words", m; m["etag"] = '"an older version"'
json.dump(m, open(sys.argv[1], "w"))
PY
    mw 2>"$TMP/e12c"; rc=$?
    if [ $rc = 0 ] && grep -q "0 reused from an earlier run" "$TMP/e12c" && ! grep -q "an older version" "$out/d/$pq.meta"; then
        pass fetch_no_oid_words_other_etag_not_reused
    else fail fetch_no_oid_words_other_etag_not_reused "rc $rc; $(cat "$TMP/e12c" "$out/d/$pq.meta")"; fi
else skip fetch_no_oid_words "BLALM_SHARED_DATA (fineweb-legal) not set"; fi
