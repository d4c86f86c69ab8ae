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

# unset HF_TOKEN, the token `hf auth login` saved is used, found as
# huggingface_hub finds it ($HF_TOKEN_PATH, else $HF_HOME/token, else
# $XDG_CACHE_HOME/huggingface/token, else ~/.cache/huggingface/token),
# trimmed as a key file's line, and where it came from is said (never the
# token); HF_TOKEN and the older HUGGING_FACE_HUB_TOKEN come first;
# HF_HUB_DISABLE_IMPLICIT_TOKEN=1 uses no saved token
printf 'hf_tok-31\n' >"$TMP/tokfile"; mkdir -p "$TMP/hfhome" "$TMP/xdg/huggingface" "$TMP/home/.cache/huggingface"
printf 'hf_tok-31' >"$TMP/hfhome/token"; printf ' hf_tok-31 \n' >"$TMP/xdg/huggingface/token"
printf 'hf_tok-31\n' >"$TMP/home/.cache/huggingface/token"
saved=ok
for how in "HF_TOKEN_PATH=$TMP/tokfile:$TMP/tokfile" "HF_HOME=$TMP/hfhome:$TMP/hfhome/token" \
           "HF_TOKEN_PATH=~/tokfile:$TMP/tokfile" "HF_HOME=~/hfhome:$TMP/hfhome/token" \
           "XDG_CACHE_HOME=$TMP/xdg:$TMP/xdg/huggingface/token" "HOME=$TMP/home:$TMP/home/.cache/huggingface/token"; do
    var=${how%%:*} file=${how#*:}
    rm -rf "$TMP/os"
    # "~" as Python's expanduser makes it ($HOME), as huggingface_hub reads them
    (unset HF_TOKEN_PATH XDG_CACHE_HOME; [ "${var#*=\~}" != "$var" ] && export HOME=$TMP; export "$var"
     fetch --out "$TMP/os") >/dev/null 2>"$TMP/e"; rc=$?
    { [ $rc = 0 ] && cmp_tree "$repo" "$TMP/os" sample/10BT/000_00000.parquet \
      && grep -qF "blalm fetch: using the Hub token from the token file $file" "$TMP/e" \
      && ! grep -rqa "hf_tok-31" "$TMP/e" "$TMP/os"; } || { saved="$var: rc $rc; $(tail -c 300 "$TMP/e")"; break; }
done
[ "$saved" = ok ] && pass fetch_saved_token_used || fail fetch_saved_token_used "$saved"
printf 'wrong-saved-token\n' >"$TMP/badfile"
rm -rf "$TMP/os"; HF_TOKEN=hf_tok-31 HF_TOKEN_PATH=$TMP/badfile fetch --out "$TMP/os" >/dev/null 2>"$TMP/e"; rc=$?
rm -rf "$TMP/os2"; HUGGING_FACE_HUB_TOKEN=hf_tok-31 HF_TOKEN_PATH=$TMP/badfile fetch --out "$TMP/os2" >/dev/null 2>"$TMP/e2"; rc2=$?
[ $rc = 0 ] && [ $rc2 = 0 ] && ! grep -q "using the Hub token" "$TMP/e" \
    && grep -q "using the Hub token from HUGGING_FACE_HUB_TOKEN" "$TMP/e2" \
    && pass fetch_env_token_before_saved || fail fetch_env_token_before_saved "rc $rc $rc2; $(tail -c 300 "$TMP/e" "$TMP/e2")"
rm -rf "$TMP/os"; HF_HUB_DISABLE_IMPLICIT_TOKEN=1 HF_TOKEN_PATH=$TMP/tokfile fetch --out "$TMP/os" >/dev/null 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q "the Hub wants a token: set HF_TOKEN .* or log in with \`hf auth login\`" "$TMP/e" \
    && ! grep -q "using the Hub token" "$TMP/e" \
    && pass fetch_saved_token_disabled || fail fetch_saved_token_disabled "rc $rc; $(tail -c 300 "$TMP/e")"
# a saved file that is not a token alone, or cannot be read, stops fetch
# before any request, naming the file and never quoting it
printf 'hf_tok 31\n' >"$TMP/spacefile"; mkdir -p "$TMP/dirfile"
bad=ok
for f in "$TMP/spacefile:contains whitespace" "$TMP/dirfile:cannot be read"; do
    rm -rf "$TMP/os"; HF_TOKEN_PATH=${f%%:*} fetch --out "$TMP/os" >/dev/null 2>"$TMP/e"; rc=$?
    { [ $rc = 1 ] && grep -qF "blalm fetch: the Hub token file ${f%%:*} ${f#*:}" "$TMP/e" && ! grep -q "hf_tok" "$TMP/e" \
      && [ ! -e "$TMP/os" ]; } || { bad="${f%%:*}: rc $rc; $(tail -c 300 "$TMP/e")"; break; }
done
[ "$bad" = ok ] && pass fetch_saved_token_bad_file || fail fetch_saved_token_bad_file "$bad"
# a listing page that is a JSON object, not an array, is quoted in the
# error without the token it echoes (the Authorization field sent)
start_hub "$repo" --require-token hf_tok-31 --fault listing-echo
HF_TOKEN=hf_tok-31 fetch --out "$TMP/oe" >/dev/null 2>"$TMP/e"; rc=$?
[ $rc = 1 ] && grep -q 'expected a JSON array of entries, got {"you sent": "\*\*\*"}' "$TMP/e" \
    && ! grep -q "hf_tok" "$TMP/e" && [ ! -e "$TMP/oe" ] \
    && pass fetch_listing_echo_token_redacted || fail fetch_listing_echo_token_redacted "rc $rc; $(tail -c 300 "$TMP/e")"
