#!/usr/bin/env bash
# blalm fetch resumes: a part file left by an earlier run is continued with
# a Range request (only the missing bytes travel); a killed run leaves no
# file in place and the next run finishes it; a corrupt part is caught by
# the sha256 check, deleted, and the rerun succeeds.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"

repo=$TMP/repo; make_repo "$repo"
f=sample/10BT/000_00000.parquet
src=$repo/$f
size=$(stat -c %s "$src")
sha=$(sha256sum "$src" | cut -c1-12)
fetch() { "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --include 000_00000.parquet "$@"; }

# 1. a part file from an earlier run: only the rest is downloaded
start_hub "$repo"
out=$TMP/out1; mkdir -p "$out/sample/10BT"
part="$out/sample/10BT/.000_00000.parquet.$sha.part"
head -c 700000 "$src" >"$part"
if fetch --out "$out" 2>"$TMP/e1" && cmp -s "$src" "$out/$f" && [ ! -e "$part" ]; then pass fetch_resume_part_file_identical
else fail fetch_resume_part_file_identical "$(cat "$TMP/e1")"; fi
[ "$(hub_stat cdn_bytes)" = $((size - 700000)) ] && [ "$(hub_stat ranges)" = 1 ] && pass fetch_resume_sends_only_missing_bytes ||
    fail fetch_resume_sends_only_missing_bytes "cdn_bytes $(hub_stat cdn_bytes), ranges $(hub_stat ranges), want $((size - 700000))"

# 2. killed mid-download (slow peer): nothing in place, then the rerun finishes it
start_hub "$repo" --rate 400000
out=$TMP/out2
# blalm itself in the background, not the fetch function: $! would be the
# subshell running it, and kill -9 left blalm running (retrying, for
# minutes, after the test had ended)
"$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --include 000_00000.parquet --out "$out" -q 2>"$TMP/e2" &
pid=$!
for i in $(seq 100); do
    p=$(ls "$out"/sample/10BT/.*.part 2>/dev/null | head -1)
    [ -n "$p" ] && [ "$(stat -c %s "$p")" -gt 100000 ] && break
    sleep 0.1
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
got=$(stat -c %s "$out"/sample/10BT/.*.part 2>/dev/null || echo 0)
if [ ! -e "$out/$f" ] && [ "$got" -gt 0 ] && [ "$got" -lt "$size" ]; then pass fetch_killed_leaves_no_file_in_place
else fail fetch_killed_leaves_no_file_in_place "part $got bytes; dest $(ls "$out/sample/10BT" 2>&1)"; fi
left=$(pgrep -f -- "--out $out" | tr '\n' ' ')
[ -z "$left" ] && pass fetch_killed_run_not_left_running ||
    { fail fetch_killed_run_not_left_running "still running: pid $left"; kill -9 $left 2>/dev/null; }
start_hub "$repo"
if fetch --out "$out" 2>"$TMP/e2b" && cmp -s "$src" "$out/$f" && [ "$(hub_stat ranges)" = 1 ] &&
   [ "$(hub_stat cdn_bytes)" -le $((size - got)) ]; then pass fetch_rerun_after_kill_resumes
else fail fetch_rerun_after_kill_resumes "ranges $(hub_stat ranges) bytes $(hub_stat cdn_bytes) (had $got of $size); $(cat "$TMP/e2b")"; fi

# 3. a corrupt part file: sha256 mismatch, part deleted, rerun succeeds
out=$TMP/out3; mkdir -p "$out/sample/10BT"
part="$out/sample/10BT/.000_00000.parquet.$sha.part"
head -c 500000 /dev/urandom >"$part"
fetch --out "$out" 2>"$TMP/e3"; rc=$?
if [ $rc = 1 ] && grep -q "sha256 mismatch" "$TMP/e3" && [ ! -e "$part" ] && [ ! -e "$out/$f" ]; then pass fetch_corrupt_part_detected
else fail fetch_corrupt_part_detected "rc $rc; $(cat "$TMP/e3")"; fi
fetch --out "$out" -q 2>"$TMP/e3b" && cmp -s "$src" "$out/$f" && pass fetch_rerun_after_corrupt_part || fail fetch_rerun_after_corrupt_part "$(cat "$TMP/e3b")"

# 4. a part file longer than the file is not trusted
out=$TMP/out4; mkdir -p "$out/sample/10BT"
part="$out/sample/10BT/.000_00000.parquet.$sha.part"
head -c $((size + 10)) /dev/urandom >"$part"
fetch --out "$out" -q 2>"$TMP/e4" && cmp -s "$src" "$out/$f" && pass fetch_oversized_part_restarts || fail fetch_oversized_part_restarts "$(cat "$TMP/e4")"

# 5. a run killed between a file's rename and its sidecar leaves the file
# without FILE.meta; the rerun writes the sidecar an uninterrupted run writes
# (commit and ETag from a HEAD, where it wrote them empty from the listing).
# A sidecar with an empty commit, as earlier versions left, is refreshed;
# once every sidecar is whole, a rerun sends no HEAD at all.
start_hub "$repo"
out=$TMP/out5
fetch5() { "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$out" -q "$@"; }
fetch5 2>"$TMP/e5" || fail fetch_sidecar_setup "$(cat "$TMP/e5")"
cp -r "$out" "$TMP/ref5"
metas=$(cd "$TMP/ref5" && find . -name '*.meta' | sort)
a=sample/10BT/000_00001.parquet.meta b=sample/10BT/sub/extra.bin.meta
rm "$out/$a"
sed -i 's/"commit":"[^"]*"/"commit":""/; s/"etag":"[^"]*"/"etag":""/' "$out/$b"
[ "$(echo "$metas" | wc -l)" -ge 3 ] && grep -q '"commit":"[0-9a-f]' "$TMP/ref5/$a" && grep -q '"commit":""' "$out/$b" ||
    fail fetch_sidecar_setup "$metas $(cat "$TMP/ref5/$a" "$out/$b")"
start_hub "$repo"
if fetch5 2>"$TMP/e5b" && cmp -s "$TMP/ref5/$a" "$out/$a" && cmp -s "$TMP/ref5/$b" "$out/$b" &&
   [ "$(hub_stat cdn_bytes)" = 0 ]
then pass fetch_sidecar_after_kill_as_uninterrupted
else fail fetch_sidecar_after_kill_as_uninterrupted "$(cat "$TMP/e5b"; cat "$out/$a" "$out/$b" 2>&1; echo; cat "$TMP/ref5/$a" "$TMP/ref5/$b"; echo cdn $(hub_stat cdn_bytes))"; fi
start_hub "$repo"
differ=$(for m in $metas; do cmp -s "$TMP/ref5/$m" "$out/$m" || echo "$m"; done)
if fetch5 2>"$TMP/e5c" && [ -z "$differ" ] && [ "$(hub_stat head)" = 0 ] && [ "$(hub_stat cdn_bytes)" = 0 ]
then pass fetch_whole_sidecars_rerun_sends_nothing
else fail fetch_whole_sidecars_rerun_sends_nothing "differ: $differ; heads $(hub_stat head); $(cat "$TMP/e5c")"; fi
# A sidecar with an ETag but no commit (what a server that sends no
# X-Repo-Commit, e.g. a mirror behind HF_ENDPOINT, leaves) is whole: no HEAD,
# on every rerun, for it.
sed -i 's/"commit":"[^"]*"/"commit":""/' "$out/$b"
start_hub "$repo"
if fetch5 2>"$TMP/e5d" && [ "$(hub_stat head)" = 0 ] && grep -q '"commit":""' "$out/$b" && grep -q '"etag":"[^"]' "$out/$b"
then pass fetch_etag_only_sidecar_sends_no_head
else fail fetch_etag_only_sidecar_sends_no_head "heads $(hub_stat head); $(cat "$TMP/e5d" "$out/$b")"; fi
