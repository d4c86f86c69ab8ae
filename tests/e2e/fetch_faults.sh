#!/usr/bin/env bash
# blalm fetch under the Hub stand-in's injected faults: each either ends
# with files byte-identical to the originals, or with a clear refusal and
# nothing half-written.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"

repo=$TMP/repo; make_repo "$repo"
files=(sample/10BT/000_00000.parquet sample/10BT/000_00001.parquet sample/10BT/000_00002.parquet sample/10BT/sub/extra.bin)
fetch() { "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --jobs 4 "$@"; }

# recovers NAME FAULT... : the fault is retried away and the files are identical
recovers() {
    local name=$1; shift
    local args=() f; for f in "$@"; do args+=(--fault "$f"); done
    start_hub "$repo" --page-size 2 "${args[@]}"
    local out=$TMP/out-$name
    if fetch --out "$out" >"$TMP/o-$name" 2>"$TMP/e-$name"; then
        if r=$(cmp_tree "$repo" "$out" "${files[@]}"); then pass "$name"; else fail "$name" "$r"; fi
    else fail "$name" "exit $?: $(tail -c 500 "$TMP/e-$name")"; fi
}

recovers fetch_500_then_success 500-once
[ "$(hub_stat cdn sample/10BT/000_00000.parquet)" -ge 2 ] && pass fetch_500_was_retried || fail fetch_500_was_retried "cdn requests $(hub_stat cdn sample/10BT/000_00000.parquet)"
start=$SECONDS
recovers fetch_429_retry_after 429-once
[ $((SECONDS - start)) -lt 15 ] && pass fetch_429_delay_scaled || fail fetch_429_delay_scaled "took $((SECONDS - start)) s"
[ "$(hub_stat resolve sample/10BT/000_00001.parquet)" -ge 2 ] && pass fetch_429_resolve_retried || fail fetch_429_resolve_retried "$(hub_stat resolve sample/10BT/000_00001.parquet)"
recovers fetch_429_ratelimit_header_only ratelimit-once
[ "$(hub_stat tree)" -ge 4 ] && pass fetch_429_listing_retried || fail fetch_429_listing_retried "tree requests $(hub_stat tree)"
recovers fetch_cut_mid_body_resumes cut-once
# the retry asked only for the rest: fewer bytes than 1.5 copies went out
sent=$(hub_stat cdn_bytes)
[ "$(hub_stat ranges)" -ge 1 ] && [ "$sent" -lt 2400000 ] && pass fetch_cut_resumes_with_range || fail fetch_cut_resumes_with_range "ranges $(hub_stat ranges) bytes $sent"
[ "$(hub_stat resolve sample/10BT/000_00000.parquet)" -ge 2 ] && pass fetch_range_retry_goes_through_resolve || fail fetch_range_retry_goes_through_resolve "resolve $(hub_stat resolve sample/10BT/000_00000.parquet)"
recovers fetch_cut_server_ignores_range cut-once ignore-range
recovers fetch_all_faults_at_once 500-once 429-once cut-once
# a body that ends early with no error (close-delimited, no Content-Length):
# the rest is asked for with Range in the same run, the bytes already there kept
recovers fetch_short_body_resumes short-once
sent=$(hub_stat cdn_bytes)
[ "$(hub_stat ranges)" -ge 1 ] && [ "$sent" -lt 2000000 ] && grep -q "ended at byte 750000 of 1500000" "$TMP/e-fetch_short_body_resumes" &&
    pass fetch_short_body_keeps_its_bytes || fail fetch_short_body_keeps_its_bytes "ranges $(hub_stat ranges) bytes $sent; $(tail -c 300 "$TMP/e-fetch_short_body_resumes")"
# a server that answers each Range with at most 100000 bytes (a 206 for less
# than asked): one run still ends with every file whole
recovers fetch_short_ranges_resume short-once short-range
# every answer brings at most 1000 bytes: the rest is asked for 32 times,
# then the file fails with the 33,000 bytes it got kept for a rerun
start_hub "$repo" --fault trickle
out=$TMP/out-trickle
fetch --out "$out" >"$TMP/o" 2>"$TMP/e"; rc=$?
big=$(grep -c "ended at byte 33000 of [0-9]* (the listed size) without an error, after asking for the rest 32 times in this run (partial file kept for resume)" "$TMP/e")
kept=$(find "$out" -name '.*.part' -size 33000c 2>/dev/null | wc -l)
[ $rc = 1 ] && [ "$big" -ge 1 ] && [ "$kept" = "$big" ] && [ "$(hub_stat cdn sample/10BT/000_00000.parquet)" = 33 ] \
    && pass fetch_short_answers_capped || fail fetch_short_answers_capped "rc $rc, $big failed, $kept kept, cdn $(hub_stat cdn sample/10BT/000_00000.parquet); $(tail -c 300 "$TMP/e")"
# the file host's copy is shorter than the listing says: the request for the
# rest gets a 416, a size mismatch, and the partial file is deleted
start_hub "$repo" --fault truncated
out=$TMP/out-truncated
fetch --out "$out" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "000_00000.parquet: size mismatch: the listing says [0-9]* bytes, the server's file ends at byte [0-9]* (HTTP 416 to a request for the rest); deleted the partial file" "$TMP/e" \
    && [ -z "$(find "$out" -name '*.part' 2>/dev/null)" ] && [ ! -e "$out/sample/10BT/000_00000.parquet" ] \
    && pass fetch_short_then_416_deletes || fail fetch_short_then_416_deletes "rc $rc; $(tail -c 400 "$TMP/e"); $(find "$out" -type f 2>/dev/null | head -3)"

# wrong sha256 in the listing: refused, part file deleted, said so
start_hub "$repo" --fault bad-sha
out=$TMP/out-sha
fetch --out "$out" >"$TMP/o" 2>"$TMP/e"; rc=$?
if [ $rc = 1 ] && grep -q "sha256 mismatch" "$TMP/e" && grep -q "deleted the partial file" "$TMP/e" &&
   [ -z "$(find "$out" -type f 2>/dev/null)" ]; then pass fetch_wrong_sha256_refused
else fail fetch_wrong_sha256_refused "rc $rc; $(head -c 400 "$TMP/e"); files: $(find "$out" -type f 2>/dev/null | head -3)"; fi

# on a terminal, each failure starts its own line: the bar is erased first
# (it was glued to the end of the bar's line)
if command -v script >/dev/null; then
    script -qec "'$BLALM' fetch --repo $FETCH_REPO --path sample/10BT --jobs 4 --out '$TMP/out-sha-tty'" /dev/null >"$TMP/tty" 2>&1
    if grep -q "sha256 mismatch" "$TMP/tty" && "$PY" - "$TMP/tty" <<'PYEOF'
import re, sys
t = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
n = t.count("blalm fetch: ")
ok = len(re.findall(r"(?:^|\n|\r\x1b\[K)blalm fetch: ", t))
sys.exit(0 if n and ok == n else 1)
PYEOF
    then pass fetch_tty_errors_on_own_line
    else fail fetch_tty_errors_on_own_line "$(cat -v "$TMP/tty" | head -c 600)"; fi
else
    skip fetch_tty_errors_on_own_line "no 'script' command to make a pseudo-terminal"
fi

# hostile listing paths: refused before anything is written
for kind in dotdot abs ctrl; do
    start_hub "$repo" --fault hostile-$kind
    out=$TMP/h-$kind/out
    rm -f /tmp/blalm-hub-escaped.parquet
    fetch --out "$out" >"$TMP/o" 2>"$TMP/e"; rc=$?
    if [ $rc = 1 ] && grep -q "refusing entry" "$TMP/e" && [ ! -e "$out" ] && [ ! -e "$TMP/h-$kind/escaped.parquet" ] &&
       [ ! -e "$TMP/escaped.parquet" ] && [ ! -e /tmp/blalm-hub-escaped.parquet ] && ! grep -q $'\x1b' "$TMP/e"; then
        pass fetch_hostile_path_$kind
    else fail fetch_hostile_path_$kind "rc $rc; $(cat -v "$TMP/e" | head -c 300)"; fi
done

# a next-page link to another origin is not followed (the token would go along)
start_hub "$repo" --page-size 2 --fault redirect-away
HF_TOKEN=secret-token-xyz fetch --out "$TMP/out-away" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "another origin" "$TMP/e" && ! grep -q secret-token-xyz "$TMP/e" && pass fetch_refuses_foreign_next_link || fail fetch_refuses_foreign_next_link "rc $rc; $(cat "$TMP/e")"

# 401 without a token: fails fast, says to set HF_TOKEN
start_hub "$repo" --require-token secret-token-xyz
fetch --out "$TMP/out-401" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "HTTP 401" "$TMP/e" && grep -q "set HF_TOKEN" "$TMP/e" && [ "$(hub_stat tree)" = 1 ] && pass fetch_401_says_set_token || fail fetch_401_says_set_token "rc $rc tree=$(hub_stat tree); $(cat "$TMP/e")"
HF_TOKEN=wrong-token-abc fetch --out "$TMP/out-401b" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "refused the token (HF_TOKEN" "$TMP/e" && ! grep -q wrong-token-abc "$TMP/e" && pass fetch_401_bad_token_not_printed || fail fetch_401_bad_token_not_printed "rc $rc; $(cat "$TMP/e")"

# the right token works, and never appears in any output or written file
export BLALM_PROGRESS_SECONDS=0.001   # progress lines too must not show it
HF_TOKEN=secret-token-xyz fetch --out "$TMP/out-tok" >"$TMP/o-tok" 2>"$TMP/e-tok"; rc=$?
unset BLALM_PROGRESS_SECONDS
if [ $rc = 0 ] && cmp_tree "$repo" "$TMP/out-tok" "${files[@]}" >/dev/null &&
   ! grep -rqa secret-token-xyz "$TMP/o-tok" "$TMP/e-tok" "$TMP/out-tok"; then pass fetch_token_sent_never_shown
else fail fetch_token_sent_never_shown "rc $rc; $(grep -rla secret-token-xyz "$TMP/o-tok" "$TMP/e-tok" "$TMP/out-tok"; tail -c 300 "$TMP/e-tok")"; fi
grep -Eq '^fetch: [0-9.]+ [kKMG]?B / 1.9 MB \([0-9.]+ [kKMG]?B/s\)( ETA [0-9]+m[0-9]+s)?$' "$TMP/e-tok" && pass fetch_progress_bytes_rate_eta ||
    fail fetch_progress_bytes_rate_eta "$(head -3 "$TMP/e-tok")"
# a failing download with the token set (404 on a file) does not print it either
start_hub "$repo" --require-token secret-token-xyz --fault bad-sha
HF_TOKEN=secret-token-xyz fetch --out "$TMP/out-tok2" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && ! grep -qa secret-token-xyz "$TMP/o" "$TMP/e" && ! grep -rqa secret-token-xyz "$TMP/out-tok2" 2>/dev/null && pass fetch_token_not_in_failures || fail fetch_token_not_in_failures "rc $rc"

# gated repo (403 on /resolve/): says what to do, and stops starting more files
start_hub "$repo" --fault gated
"$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --jobs 1 --out "$TMP/out-403" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "HTTP 403" "$TMP/e" && grep -q "accept its terms" "$TMP/e" && [ "$(hub_stat head)" = 1 ] &&
    [ "$(grep -c "HTTP 403" "$TMP/e")" = 1 ] && grep -q "3 not tried" "$TMP/e" && [ -z "$(find "$TMP/out-403" -type f 2>/dev/null)" ] &&
    pass fetch_403_gated_stops || fail fetch_403_gated_stops "rc $rc heads $(hub_stat head); $(cat "$TMP/e")"

# the same with HF_ENDPOINT's scheme in capitals: still the Hub's 403 (curl
# reports the URL as http://, and every Hub 401/403 was taken for the file host's)
HF_ENDPOINT="HTTP://${HF_ENDPOINT#http://}" "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --jobs 1 --out "$TMP/out-403u" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "accept its terms" "$TMP/e" && grep -q "3 not tried" "$TMP/e" &&
    pass fetch_403_gated_stops_endpoint_any_case || fail fetch_403_gated_stops_endpoint_any_case "rc $rc; $(cat "$TMP/e")"
# with a token sent, the hint is about that token's account, not "use a token"
HF_TOKEN=hf_gated-77 "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --jobs 1 --out "$TMP/out-403t" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "HTTP 403" "$TMP/e" && grep -q "the token's account .* must accept its terms on the Hub page, or be granted access" "$TMP/e" \
    && ! grep -q "use a token" "$TMP/e" && ! grep -q "hf_gated" "$TMP/e" \
    && pass fetch_403_gated_with_token_hint || fail fetch_403_gated_with_token_hint "rc $rc; $(cat "$TMP/e")"

# 403 from the CDN (an expired signed link), not from the Hub: no gated-repo
# hint, the other files are still tried, the signed query is not shown
start_hub "$repo" --fault cdn-403
"$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --jobs 1 --out "$TMP/out-cdn403" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && [ "$(grep -c "HTTP 403" "$TMP/e")" = 4 ] && grep -q "refused the signed link" "$TMP/e" &&
    ! grep -q "accept its terms" "$TMP/e" && ! grep -q "sig=" "$TMP/e" && grep -q "parquet?\.\.\.</Url>" "$TMP/e" &&
    grep -q "4 failed" "$TMP/e" && ! grep -q "not tried" "$TMP/e" &&
    grep -q "no byte received, nothing kept" "$TMP/e" && ! grep -q "partial file kept" "$TMP/e" &&
    [ -z "$(find "$TMP/out-cdn403" -name '*.part' 2>/dev/null)" ] &&
    pass fetch_403_cdn_goes_on_redacted || fail fetch_403_cdn_goes_on_redacted "rc $rc; $(cat "$TMP/e")"

# 404: wrong path / repo / revision: fails fast with a spelling hint
start_hub "$repo"
for what in "--path sample/10XT" "--path sample/10BT --revision mian"; do
    "$BLALM" fetch --repo $FETCH_REPO $what --out "$TMP/out-404" >"$TMP/o" 2>"$TMP/e"; rc=$?
    if [ $rc = 1 ] && grep -q "HTTP 404" "$TMP/e" && grep -q "check the spelling" "$TMP/e" && grep -q "(1 attempt)" "$TMP/e"; then :; else
        fail fetch_404_fails_fast "$what: rc $rc; $(cat "$TMP/e")"; break; fi
done
[ "${rc:-}" = 1 ] && grep -q "check the spelling" "$TMP/e" && pass fetch_404_fails_fast
"$BLALM" fetch --repo HuggingFaceFW/fineweb-edux --path sample/10BT --out "$TMP/out-404" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "Repository not found" "$TMP/e" && [ ! -e "$TMP/out-404" ] && pass fetch_404_repo || fail fetch_404_repo "rc $rc; $(cat "$TMP/e")"

# unreachable endpoint: retried, then a clear error
stop_hub
HF_ENDPOINT=http://127.0.0.1:9 fetch --out "$TMP/out-down" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "gave up after" "$TMP/e" && pass fetch_unreachable_endpoint || fail fetch_unreachable_endpoint "rc $rc; $(cat "$TMP/e")"
