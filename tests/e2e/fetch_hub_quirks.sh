#!/usr/bin/env bash
# blalm fetch against Hub answers that are legal or plausible but unusual
# (tests/peers/hub.py's quirk faults): a dataset file named like a sidecar,
# a file that changed on the Hub after the listing, Link headers in several
# lines or relative, a looping next link, a compressed listing, a listed
# file that is gone, a 416 to a resume.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"

repo=$TMP/repo; make_repo "$repo"
files=(sample/10BT/000_00000.parquet sample/10BT/000_00001.parquet sample/10BT/000_00002.parquet sample/10BT/sub/extra.bin)
fetch() { "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --jobs 2 "$@"; }
nofiles() { [ -z "$(find "$1" -type f 2>/dev/null)" ]; }

# 1. X and X.meta both in the listing: X's sidecar would overwrite the
# dataset's X.meta; refused before anything is downloaded
mrepo=$TMP/mrepo; make_repo "$mrepo"
printf 'the dataset own notes\n' >"$mrepo/sample/10BT/000_00001.parquet.meta"
start_hub "$mrepo" --page-size 2
fetch --out "$TMP/out-meta" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 1 ] && grep -q '"sample/10BT/000_00001.parquet" and "sample/10BT/000_00001.parquet.meta"' "$TMP/e" &&
   grep -q "nothing was downloaded" "$TMP/e" && nofiles "$TMP/out-meta" && [ "$(hub_stat head)" = 0 ]; then
    pass fetch_refuses_listing_with_sidecar_name
else fail fetch_refuses_listing_with_sidecar_name "rc $rc heads $(hub_stat head); $(head -c 400 "$TMP/e")"; fi
# leaving one of them out with --include works
fetch --include '*.parquet' --out "$TMP/out-meta2" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 0 ] && cmp -s "$mrepo/sample/10BT/000_00001.parquet" "$TMP/out-meta2/sample/10BT/000_00001.parquet" &&
    pass fetch_sidecar_name_clash_include_avoids || fail fetch_sidecar_name_clash_include_avoids "rc $rc; $(head -c 400 "$TMP/e")"

# X and .X.<12 hex>.part (the name of a part file of X) both in the listing:
# X's download deleted the other ("a partial download of another version")
# and the run ended "0 failed" without it; refused before anything is downloaded
prepo=$TMP/prepo; make_repo "$prepo"
printf 'a listed file\n' >"$prepo/sample/10BT/.000_00001.parquet.0123456789ab.part"
start_hub "$prepo" --page-size 2
fetch --jobs 1 --out "$TMP/out-part" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 1 ] && grep -q '"sample/10BT/000_00001.parquet" and "sample/10BT/.000_00001.parquet.0123456789ab.part"' "$TMP/e" &&
   grep -q "nothing was downloaded" "$TMP/e" && nofiles "$TMP/out-part" && [ "$(hub_stat head)" = 0 ]; then
    pass fetch_refuses_listing_with_part_name
else fail fetch_refuses_listing_with_part_name "rc $rc heads $(hub_stat head); $(head -c 400 "$TMP/e"); $(ls -a "$TMP/out-part/sample/10BT" 2>&1 | tr '\n' ' ')"; fi

# 2. the file changed on the Hub after the listing: X-Linked-Etag (same size)
# or X-Linked-Size differ from the listing; refused naming both values
start_hub "$repo" --fault etag-moved
fetch --out "$TMP/out-etag" >"$TMP/o" 2>"$TMP/e"; rc=$?
sha=$(sha256sum "$repo/sample/10BT/000_00001.parquet" | cut -c1-64)
if [ $rc = 1 ] && grep -q "sample/10BT/000_00001.parquet: the file changed on the Hub since it was listed: the listing says sha256 $sha, the Hub now says" "$TMP/e" &&
   grep -q "X-Linked-Etag); rerun to list again" "$TMP/e" && nofiles "$TMP/out-etag" && [ "$(hub_stat cdn)" = 0 ]; then
    pass fetch_linked_etag_changed_refused
else fail fetch_linked_etag_changed_refused "rc $rc cdn $(hub_stat cdn); $(head -c 600 "$TMP/e")"; fi

# every request after the HEAD names the commit it answered (X-Repo-Commit),
# not the revision, so all bytes of a file come from one version
start_hub "$repo" --page-size 2 --fault cut-once
fetch --out "$TMP/out-pin" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 0 ] && cmp_tree "$repo" "$TMP/out-pin" "${files[@]}" >/dev/null && [ "$(hub_stat resolve)" -ge 5 ] &&
   [ "$(hub_stat resolve_commit)" = "$(hub_stat resolve)" ]; then pass fetch_gets_pinned_to_commit
else fail fetch_gets_pinned_to_commit "rc $rc resolve $(hub_stat resolve) pinned $(hub_stat resolve_commit); $(tail -c 300 "$TMP/e")"; fi

# the same in --max-words mode (real parquet files, shared data)
if need_shared && [ -d "$SHARED_DATA/fineweb-legal" ]; then
    real=$TMP/realrepo; mkdir -p "$real/sample/10BT"
    for f in $(ls "$SHARED_DATA/fineweb-legal" | head -2); do ln -s "$SHARED_DATA/fineweb-legal/$f" "$real/sample/10BT/$f"; done
    first=$(ls "$real/sample/10BT" | head -1)
    for fault in etag-moved size-moved; do
        start_hub "$real" --fault $fault
        fetch --max-words 3000 --out "$TMP/mw-$fault/fineweb-edu" >"$TMP/o" 2>"$TMP/e"; rc=$?
        if [ $rc = 1 ] && grep -q "sample/10BT/$first: the file changed on the Hub since it was listed" "$TMP/e" &&
           [ "$(hub_stat cdn)" = 0 ] && nofiles "$TMP/mw-$fault"; then pass fetch_max_words_linked_${fault//-/_}_refused
        else fail fetch_max_words_linked_${fault//-/_}_refused "rc $rc cdn $(hub_stat cdn); $(head -c 500 "$TMP/e")"; fi
    done
    start_hub "$real"
    fetch --max-words 3000 --out "$TMP/mw-pin/fineweb-edu" >"$TMP/o" 2>"$TMP/e"; rc=$?
    [ $rc = 0 ] && [ "$(hub_stat resolve)" -ge 3 ] && [ "$(hub_stat resolve_commit)" = "$(hub_stat resolve)" ] &&
        pass fetch_max_words_ranges_pinned_to_commit ||
        fail fetch_max_words_ranges_pinned_to_commit "rc $rc resolve $(hub_stat resolve) pinned $(hub_stat resolve_commit); $(tail -c 300 "$TMP/e")"
    # range answers that end early without an error (a half body closed by
    # the server; 206s for at most 100000 bytes): the rest is asked for, and
    # the documents are those of the run above
    start_hub "$real" --fault short-once --fault short-range
    fetch --max-words 3000 --out "$TMP/mw-short/fineweb-edu" >"$TMP/o" 2>"$TMP/e"; rc=$?
    same=1
    for z in "$TMP"/mw-pin/fineweb-edu/sample/10BT/*.jsonl.zst; do
        cmp -s <(zstd -dcq "$z") <(zstd -dcq "$TMP/mw-short/fineweb-edu/sample/10BT/${z##*/}" 2>/dev/null) || same=0
    done
    [ $rc = 0 ] && [ $same = 1 ] && [ "$(hub_stat ranges)" -gt 3 ] && pass fetch_max_words_short_ranges_resumed ||
        fail fetch_max_words_short_ranges_resumed "rc $rc same $same ranges $(hub_stat ranges); $(tail -c 300 "$TMP/e")"
else
    skip fetch_max_words_linked_checks "shared data (fineweb-legal) not found"
fi

# 3. the next link in the first of two Link field lines: the whole listing
start_hub "$repo" --page-size 2 --fault link-split
fetch --out "$TMP/out-split" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 0 ] && cmp_tree "$repo" "$TMP/out-split" "${files[@]}" >/dev/null && [ "$(hub_stat tree)" = 3 ] &&
    pass fetch_link_in_several_field_lines || fail fetch_link_in_several_field_lines "rc $rc tree $(hub_stat tree); $(tail -c 300 "$TMP/e"); $(find "$TMP/out-split" -type f | wc -l) files"

# 4. a listed file that is gone now: says so (not "check the spelling"), with
# the Hub's X-Error-Message, printable
start_hub "$repo" --fault gone
"$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --jobs 1 --out "$TMP/out-gone" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 1 ] && grep -q "HTTP 404" "$TMP/e" && grep -q "was in the listing but is gone now" "$TMP/e" &&
   ! grep -q "check the spelling" "$TMP/e" && grep -q "the Hub says: Entry not found: ?\[31msample/10BT/000_00000.parquet" "$TMP/e" &&
   ! grep -q $'\x1b' "$TMP/e"; then pass fetch_404_listed_file_gone
else fail fetch_404_listed_file_gone "rc $rc; $(cat -v "$TMP/e" | head -c 600)"; fi

# a 416 to a resume: the part file is dropped and the file starts over once
start_hub "$repo" --fault cut-once --fault 416-range
fetch --out "$TMP/out-416" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 0 ] && cmp_tree "$repo" "$TMP/out-416" "${files[@]}" >/dev/null && grep -q "HTTP 416 (range not satisfiable) when the download resumed" "$TMP/e" &&
   [ -z "$(find "$TMP/out-416" -name '*.part')" ]; then pass fetch_416_on_resume_starts_over
else fail fetch_416_on_resume_starts_over "rc $rc; $(tail -c 600 "$TMP/e")"; fi

# the same for a part file an earlier run left: not the same failure on every rerun
f1=sample/10BT/000_00001.parquet
part=$TMP/out-416b/sample/10BT/.000_00001.parquet.$(sha256sum "$repo/$f1" | cut -c1-12).part
mkdir -p "$(dirname "$part")"; head -c 1000 "$repo/$f1" >"$part"
start_hub "$repo" --fault 416-range
fetch --out "$TMP/out-416b" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 0 ] && cmp_tree "$repo" "$TMP/out-416b" "${files[@]}" >/dev/null && [ "$(hub_stat ranges)" = 1 ] &&
   grep -q "$f1: the server answered HTTP 416" "$TMP/e" && [ ! -e "$part" ]; then pass fetch_416_on_rerun_part_starts_over
else fail fetch_416_on_rerun_part_starts_over "rc $rc ranges $(hub_stat ranges); $(tail -c 600 "$TMP/e")"; fi

# 5. a listing body that is not JSON (gzip nobody asked for): printable, and
# the Content-Encoding named
start_hub "$repo" --fault listing-gzip
fetch --out "$TMP/out-gz" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 1 ] && grep -q "listing page 1: expected a JSON array of entries, got" "$TMP/e" &&
   grep -q "Content-Encoding: gzip" "$TMP/e" && ! LC_ALL=C grep -q '[^[:print:][:space:]]' "$TMP/e"; then
    pass fetch_listing_not_json_printable
else fail fetch_listing_not_json_printable "rc $rc; $(cat -v "$TMP/e" | head -c 500)"; fi

# 6. a next link to a page already fetched: stops (the old code looped forever)
start_hub "$repo" --page-size 2 --fault link-loop
timeout 60 "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/out-loop" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "is page 2 again: the server's pagination loops" "$TMP/e" && [ "$(hub_stat tree)" = 2 ] && nofiles "$TMP/out-loop" &&
    pass fetch_next_link_loop_stops || fail fetch_next_link_loop_stops "rc $rc tree $(hub_stat tree); $(head -c 400 "$TMP/e")"

# a relative next link (RFC 3986: "?cursor=2" keeps the page's path) is followed
start_hub "$repo" --page-size 2 --fault link-relative
fetch --out "$TMP/out-rel" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 0 ] && cmp_tree "$repo" "$TMP/out-rel" "${files[@]}" >/dev/null && [ "$(hub_stat tree)" -ge 3 ] &&
    pass fetch_relative_next_link || fail fetch_relative_next_link "rc $rc tree $(hub_stat tree); $(head -c 400 "$TMP/e")"

# userinfo in HF_ENDPOINT is no part of its origin: the next-page links (to
# http://127.0.0.1:P/...) are followed (the origin was compared as text)
start_hub "$repo" --page-size 2
HF_ENDPOINT="http://user:pw@${HF_ENDPOINT#http://}" fetch --out "$TMP/out-ui" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 0 ] && cmp_tree "$repo" "$TMP/out-ui" "${files[@]}" >/dev/null && [ "$(hub_stat tree)" -ge 3 ] \
    && ! grep -q "pw@" "$TMP/e" && pass fetch_endpoint_userinfo_pages \
    || fail fetch_endpoint_userinfo_pages "rc $rc tree $(hub_stat tree); $(head -c 400 "$TMP/e")"

# a failed file leaves no empty part file behind
start_hub "$repo" --fault cdn-403
fetch --out "$TMP/out-empty" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && [ -z "$(find "$TMP/out-empty" -name '*.part' -size 0)" ] && pass fetch_no_empty_part_files ||
    fail fetch_no_empty_part_files "rc $rc; $(find "$TMP/out-empty" -name '*.part' -size 0)"
