#!/usr/bin/env bash
# blalm fetch and the Hub's redirects of a file's metadata HEAD: a renamed
# (or moved) repo answers 307 with a relative Location to its new path and
# none of the file's headers; the HEAD follows such a redirect on the same
# origin (as huggingface_hub's get_hf_file_metadata does), so the
# X-Linked-Size / X-Linked-Etag checks and the commit pinning
# (X-Repo-Commit) still happen, and a rerun skips what it verified without
# asking again. A loop stops; a bare redirect to another origin (where the
# token must not go, and which says nothing about the file) is an error, not
# a silent success.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"

repo=$TMP/repo; make_repo "$repo"
files=(sample/10BT/000_00000.parquet sample/10BT/000_00001.parquet sample/10BT/000_00002.parquet sample/10BT/sub/extra.bin)
OLD=OldOrg/fineweb-edu-old
COMMIT=4f1c0a7d2e9b8c6a5f3e1d0c9b8a7f6e5d4c3b2a
fetch() { "$BLALM" fetch --repo $OLD --path sample/10BT --jobs 2 "$@"; }
nofiles() { [ -z "$(find "$1" -type f 2>/dev/null)" ]; }
# sidecar_commits DIR: the "commit" of every sidecar under DIR, one a line
sidecar_commits() {
    "$PY" - "$1" <<'PY'
import json, os, sys
for d, _, fs in sorted(os.walk(sys.argv[1])):
    for f in sorted(fs):
        if f.endswith(".meta"):
            print(json.load(open(os.path.join(d, f)))["commit"])
PY
}
all_commit() { local n; n=$(sidecar_commits "$1" | grep -cx "$COMMIT"); [ "$n" = "$2" ] && [ "$(sidecar_commits "$1" | wc -l)" = "$2" ]; }

# 1. the repo was renamed: the listing and every file's HEAD are redirected
# (relative Location); the HEAD is followed, the GETs are pinned to the
# commit it answered, and the sidecars record that commit (an LFS file and
# one kept in git alike)
start_hub "$repo" --page-size 2 --renamed-from $OLD --plain '*.bin'
out=$TMP/out1
fetch --out "$out" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 0 ] && cmp_tree "$repo" "$out" "${files[@]}" >/dev/null && [ "$(hub_stat renamed)" -ge 8 ] &&
   [ "$(hub_stat head)" = 4 ] && [ "$(hub_stat resolve)" -ge 4 ] && [ "$(hub_stat resolve_commit)" = "$(hub_stat resolve)" ] &&
   all_commit "$out" 4; then pass fetch_renamed_repo_head_followed
else fail fetch_renamed_repo_head_followed "rc $rc heads $(hub_stat head) resolve $(hub_stat resolve) pinned $(hub_stat resolve_commit) commits [$(sidecar_commits "$out" | tr '\n' ' ')]; $(tail -c 400 "$TMP/e")"; fi

# a rerun skips every file without a HEAD (the sidecars are complete; the
# old code got an ETag from the GET, so this held before too)
heads=$(hub_stat head); rheads=$(hub_stat renamed_head)
fetch --out "$out" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 0 ] && [ "$(hub_stat head)" = "$heads" ] && [ "$(hub_stat renamed_head)" = "$rheads" ] &&
    grep -q "4 already verified" "$TMP/o" "$TMP/e" && pass fetch_renamed_repo_rerun_no_head ||
    fail fetch_renamed_repo_rerun_no_head "rc $rc heads $heads -> $(hub_stat head), at the old name $rheads -> $(hub_stat renamed_head); $(tail -c 400 "$TMP/e") $(tail -c 200 "$TMP/o")"

# a file in place without its sidecar (a run killed between rename and
# sidecar) gets one with the commit, from the (redirected) HEAD
rm "$out/sample/10BT/000_00001.parquet.meta"
fetch --out "$out" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 0 ] && grep -q "4 already verified" "$TMP/o" "$TMP/e" && all_commit "$out" 4 && [ "$(hub_stat head)" = $((heads + 1)) ] &&
    pass fetch_renamed_repo_sidecar_repaired || fail fetch_renamed_repo_sidecar_repaired "rc $rc heads $(hub_stat head) commits [$(sidecar_commits "$out" | tr '\n' ' ')]; $(tail -c 400 "$TMP/e")"
# and the rerun after that asks nothing again (the old code wrote that
# sidecar with an empty commit and ETag, so every rerun sent the HEAD again)
heads=$(hub_stat head); rheads=$(hub_stat renamed_head)
fetch --out "$out" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 0 ] && [ "$(hub_stat head)" = "$heads" ] && [ "$(hub_stat renamed_head)" = "$rheads" ] &&
    pass fetch_renamed_repo_repaired_rerun_no_head ||
    fail fetch_renamed_repo_repaired_rerun_no_head "rc $rc heads $heads -> $(hub_stat head), at the old name $rheads -> $(hub_stat renamed_head)"

# the listing of a renamed repo with relative next-page links (libcurl
# follows the listing's redirect itself; each next page is asked at the old
# name and redirected again)
start_hub "$repo" --page-size 2 --renamed-from $OLD --fault link-relative
fetch --out "$TMP/out-rel" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 0 ] && cmp_tree "$repo" "$TMP/out-rel" "${files[@]}" >/dev/null && [ "$(hub_stat tree)" = 3 ] && all_commit "$TMP/out-rel" 4 &&
    pass fetch_renamed_repo_relative_next_links || fail fetch_renamed_repo_relative_next_links "rc $rc tree $(hub_stat tree); $(head -c 400 "$TMP/e")"

# 2. the checks against the listing still run behind the redirect: a file
# that changed on the Hub since the listing is refused, nothing downloaded
start_hub "$repo" --renamed-from $OLD --fault etag-moved
fetch --out "$TMP/out-etag" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 1 ] && grep -q "sample/10BT/000_00001.parquet: the file changed on the Hub since it was listed" "$TMP/e" &&
   [ "$(hub_stat cdn)" = 0 ] && nofiles "$TMP/out-etag"; then pass fetch_renamed_repo_linked_etag_checked
else fail fetch_renamed_repo_linked_etag_checked "rc $rc cdn $(hub_stat cdn); $(head -c 500 "$TMP/e")"; fi

# the same in --max-words mode (real parquet files, shared data): its ranges
# are pinned to the commit too
if need_shared && [ -d "$SHARED_DATA/fineweb-legal" ]; then
    real=$TMP/realrepo; mkdir -p "$real/sample/10BT"
    for f in $(ls "$SHARED_DATA/fineweb-legal" | head -2); do ln -s "$SHARED_DATA/fineweb-legal/$f" "$real/sample/10BT/$f"; done
    start_hub "$real" --renamed-from $OLD
    fetch --max-words 3000 --out "$TMP/mw/fineweb-edu" >"$TMP/o" 2>"$TMP/e"; rc=$?
    [ $rc = 0 ] && [ "$(hub_stat head)" -ge 1 ] && [ "$(hub_stat resolve)" -ge 3 ] &&
        [ "$(hub_stat resolve_commit)" = "$(hub_stat resolve)" ] && all_commit "$TMP/mw" "$(find "$TMP/mw" -name '*.meta' | wc -l)" &&
        pass fetch_renamed_repo_max_words_pinned ||
        fail fetch_renamed_repo_max_words_pinned "rc $rc resolve $(hub_stat resolve) pinned $(hub_stat resolve_commit) commits [$(sidecar_commits "$TMP/mw" | tr '\n' ' ')]; $(tail -c 300 "$TMP/e")"
else
    skip fetch_renamed_repo_max_words_pinned "shared data (fineweb-legal) not found"
fi

# 3. a HEAD redirected back to itself: stops with a clear error, not 10 hops
start_hub "$repo" --fault resolve-loop
timeout 60 "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --jobs 1 --out "$TMP/out-loop" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 1 ] && grep -q "sample/10BT/000_00000.parquet: the HEAD of /resolve/ redirects in a loop" "$TMP/e" &&
   [ "$(hub_stat head)" -le 8 ] && nofiles "$TMP/out-loop"; then pass fetch_head_redirect_loop_stops
else fail fetch_head_redirect_loop_stops "rc $rc heads $(hub_stat head); $(head -c 500 "$TMP/e")"; fi

# 4. a bare redirect to another origin (no X-Repo-Commit / X-Linked-*): not
# followed (the token would go along) and not taken for the file's answer;
# an error naming the origin only, and the token is never printed
start_hub "$repo" --fault resolve-away
HF_TOKEN=hf_redirsecret123 timeout 60 "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --jobs 1 --out "$TMP/out-away" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 1 ] && grep -q "sample/10BT/000_00000.parquet: the HEAD of /resolve/ answered HTTP 307, a redirect to another origin (http://other.invalid:1)" "$TMP/e" &&
   grep -q "X-Repo-Commit" "$TMP/e" && ! grep -q "redirsecret" "$TMP/o" "$TMP/e" && [ "$(hub_stat cdn)" = 0 ] &&
   [ "$(hub_stat resolve)" = 0 ] && nofiles "$TMP/out-away"; then pass fetch_head_bare_redirect_away_refused
else fail fetch_head_bare_redirect_away_refused "rc $rc resolve $(hub_stat resolve); $(head -c 600 "$TMP/e")"; fi

# the same origin over https (HF_ENDPOINT typed http:// for a server that
# moves to https): the error says to set HF_ENDPOINT to https
start_hub "$repo" --fault resolve-https
timeout 60 "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --jobs 1 --out "$TMP/out-https" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 1 ] && grep -q "answered HTTP 301, a redirect to another origin (https://127.0.0.1:" "$TMP/e" &&
   grep -q "set HF_ENDPOINT to its https:// URL" "$TMP/e" && nofiles "$TMP/out-https"; then pass fetch_head_redirect_to_https_hint
else fail fetch_head_redirect_to_https_hint "rc $rc; $(head -c 600 "$TMP/e")"; fi

# 5. a gated repo reached by its old name: the 403 comes from the Hub (its
# new /resolve/ path), not from the file host: the gated hint, and the run
# stops starting more files (the 403 was taken for an expired signed link)
start_hub "$repo" --renamed-from $OLD --fault gated
"$BLALM" fetch --repo $OLD --path sample/10BT --jobs 1 --out "$TMP/out-403" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 1 ] && grep -q "HTTP 403" "$TMP/e" && grep -q "accept its terms" "$TMP/e" && ! grep -q "signed link" "$TMP/e" &&
   [ "$(grep -c "HTTP 403" "$TMP/e")" = 1 ] && grep -q "3 not tried" "$TMP/e" && nofiles "$TMP/out-403"; then
    pass fetch_renamed_repo_gated_stops
else fail fetch_renamed_repo_gated_stops "rc $rc heads $(hub_stat head); $(head -c 600 "$TMP/e")"; fi

# HF_ENDPOINT spelling the host in a form libcurl rewrites (a decimal IPv4
# address: http://2130706433:P is http://127.0.0.1:P): the renamed repo's
# redirect is still on the same origin (it was refused as "a redirect to
# another origin (http://127.0.0.1:P)", the raw and the rewritten URL
# compared as text)
start_hub "$repo" --page-size 2 --renamed-from $OLD --plain '*.bin'
out=$TMP/out-decimal
(export HF_ENDPOINT="http://2130706433:${HF_ENDPOINT##*:}"; fetch --out "$out") >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 0 ] && cmp_tree "$repo" "$out" "${files[@]}" >/dev/null && all_commit "$out" 4 && ! grep -q "another origin" "$TMP/e" \
    && pass fetch_renamed_endpoint_spelled_otherwise || fail fetch_renamed_endpoint_spelled_otherwise "rc $rc; $(tail -c 400 "$TMP/e")"
