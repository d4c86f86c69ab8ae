#!/usr/bin/env bash
# blalm fetch and HF_TOKEN: the token follows a key file's rule (surrounding
# whitespace dropped; a control character or whitespace inside refused,
# naming the variable, never quoting it), against the loopback Hub stand-in.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"
export BLALM_DELAY_SCALE=0
repo=$TMP/repo; make_repo "$repo"
start_hub "$repo" --require-token hf_tok-31
fetch() { "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --jobs 2 "$@"; }

HF_TOKEN=$'hf_tok-31\r\nX-Injected: yes' fetch --out "$TMP/o1" >/dev/null 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "HF_TOKEN contains a control character" "$TMP/e" && ! grep -q "hf_tok-31\|Injected" "$TMP/e" \
    && [ "$(hub_stat tree)" = 0 ] && [ ! -e "$TMP/o1" ] \
    && pass fetch_token_line_break_refused || fail fetch_token_line_break_refused "rc $rc tree=$(hub_stat tree); $(cat "$TMP/e")"
HF_TOKEN=$'hf_tok\t-31' fetch --out "$TMP/o2" >/dev/null 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "HF_TOKEN contains" "$TMP/e" && ! grep -q "hf_tok" "$TMP/e" && [ "$(hub_stat tree)" = 0 ] \
    && pass fetch_token_inner_tab_refused || fail fetch_token_inner_tab_refused "rc $rc; $(cat "$TMP/e")"
# surrounding whitespace is dropped: the token as the Hub issued it goes out
HF_TOKEN=$' hf_tok-31\t\n' fetch --out "$TMP/o3" >/dev/null 2>"$TMP/e"; rc=$?
[ $rc = 0 ] && cmp_tree "$repo" "$TMP/o3" sample/10BT/000_00000.parquet && ! grep -rqa "hf_tok-31" "$TMP/e" "$TMP/o3" \
    && pass fetch_token_trimmed || fail fetch_token_trimmed "rc $rc; $(tail -c 400 "$TMP/e")"
