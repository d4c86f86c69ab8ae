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

