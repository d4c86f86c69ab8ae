#!/usr/bin/env bash
# blalm score and secrets: an endpoint that is not an http(s) URL is refused
# before any request, naming the setting and never its password; tokens from
# the environment follow a key file's rule; a redirect from the endpoint is
# reported, not retried. The stand-in endpoint is tests/peers/openai.py.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
no_outside_settings
PW=s3cr3tpw-score-29

W=$TMP/w; mkdir -p "$W/docs/web"; make_docs "$W/docs/web/a.jsonl" 3 a

# ---- endpoints libcurl would take (and echo in its errors) but that are not http(s) URLs ----
# refused NAME WANT CMD...: exit 2 or 1, WANT in the message, no password, nothing written
refused() {
    local name=$1 want=$2; shift 2
    local out rc
    out=$("$@" 2>&1); rc=$?
    # a refusal comes before anything is written; a failed request may leave the set's folder
    if [ $rc -ne 0 ] && [[ "$out" == *"$want"* ]] && [[ "$out" != *"$PW"* ]] \
       && { [[ "$want" == Failed* ]] || [ ! -e "$W/attributes" ]; }; then
        pass "$name"
    else
        fail "$name" "rc=$rc $(printf '%s' "$out" | tail -c 400 | tr '\n' '|')"
    fi
    rm -rf "$W/attributes" "$W/state"
}
i=0
for ep in "HTTP://usr:$PW@127.0.0.1:1/v1" "usr:$PW@127.0.0.1:1/v1" "http:/usr:$PW@127.0.0.1:1/v1" \
          "ftp://usr:$PW@127.0.0.1:1/v1" "http://usr:$PW/x@127.0.0.1:1/v1"; do
    i=$((i + 1))
    case "$ep" in HTTP://*) want="Failed to connect";; http://*) want="--endpoint is not a URL";;
                  *) want="--endpoint must start with http:// or https://";; esac
    refused "score_endpoint_form_$i" "$want" $BLALM score --work "$W" --endpoint "$ep" --model m -q --max-attempts 1
done
refused score_env_endpoint_refused "OPENAI_BASE_URL must start with http:// or https://" \
    env OPENAI_BASE_URL="usr:$PW@127.0.0.1:1/v1" $BLALM score --work "$W" --model m -q
printf '{"score": {"endpoint": "ftp://usr:%s@127.0.0.1:1/v1", "model": "m"}}\n' "$PW" >"$TMP/score.json"
refused score_config_endpoint_refused "score.json: score: endpoint must start with http:// or https://" \
    $BLALM score --work "$W" --config "$TMP/score.json" -q
# the whole chat/completions URL (as in a server's curl example): score adds
# that part itself, so it would POST .../chat/completions/chat/completions
i=0
for ep in "http://usr:$PW@127.0.0.1:1/v1/chat/completions" "http://127.0.0.1:1/v1/chat/completions/" \
          "https://127.0.0.1:1/openai/chat/completions?api-version=$PW"; do
    i=$((i + 1))
    refused "score_endpoint_full_url_$i" "--endpoint ends in /chat/completions, which score adds to it" \
        $BLALM score --work "$W" --endpoint "$ep" --model m -q --max-attempts 1
done
refused score_env_endpoint_full_url "OPENAI_BASE_URL ends in /chat/completions" \
    env OPENAI_BASE_URL="http://127.0.0.1:1/v1/chat/completions" $BLALM score --work "$W" --model m -q
printf '{"score": {"endpoint": "http://usr:%s@127.0.0.1:1/v1/chat/completions", "model": "m"}}\n' "$PW" >"$TMP/score.json"
refused score_config_endpoint_full_url "score.json: score: endpoint ends in /chat/completions" \
    $BLALM score --work "$W" --config "$TMP/score.json" -q
# an empty port ("http://127.0.0.1:$PORT/v1" with PORT unset): curl (and
# Python's urllib) take the scheme's default, so every request went to port 80
i=0
for ep in "http://usr:$PW@127.0.0.1:/v1" "http://127.0.0.1:" "https://[::1]:/v1" "http://h:?x=$PW"; do
    i=$((i + 1))
    refused "score_endpoint_empty_port_$i" "--endpoint has an empty port" \
        $BLALM score --work "$W" --endpoint "$ep" --model m -q --max-attempts 1
done
refused score_env_endpoint_empty_port "OPENAI_BASE_URL has an empty port" \
    env OPENAI_BASE_URL="http://127.0.0.1:/v1" $BLALM score --work "$W" --model m -q
printf '{"score": {"endpoint": "http://usr:%s@127.0.0.1:/v1", "model": "m"}}\n' "$PW" >"$TMP/score.json"
refused score_config_endpoint_empty_port "score.json: score: endpoint has an empty port" \
    $BLALM score --work "$W" --config "$TMP/score.json" -q

# ---- OPENAI_API_KEY follows a key file's rule ----
stop_peers
start_peer K --require-key right-key
EP="http://127.0.0.1:$K/v1"
# a line break in the key would inject a header: refused before any request,
# naming the variable, never quoting it
n0=$(peer_requests $K)
out=$(OPENAI_API_KEY=$'sk-inj-55\r\nX-Injected: yes' $BLALM score --work "$W" --endpoint "$EP" --model m -q 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *"OPENAI_API_KEY contains a control character"* ]] && [[ "$out" != *"sk-inj-55"* ]] \
    && [[ "$out" != *"Injected"* ]] && [ "$(peer_requests $K)" = "$n0" ] && [ ! -e "$W/attributes" ] \
    && pass score_env_key_line_break_refused || fail score_env_key_line_break_refused "rc=$rc $(printf '%s' "$out" | tail -c 300)"
out=$(OPENAI_API_KEY='sk-in ner-55' $BLALM score --work "$W" --endpoint "$EP" --model m -q 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *"OPENAI_API_KEY contains whitespace"* ]] && [[ "$out" != *"ner-55"* ]] \
    && [ "$(peer_requests $K)" = "$n0" ] && pass score_env_key_inner_space_refused \
    || fail score_env_key_inner_space_refused "rc=$rc $(printf '%s' "$out" | tail -c 300)"
# surrounding whitespace is dropped, as from a key file: the right key goes out
OPENAI_API_KEY=$'  right-key\t\n' $BLALM score --work "$W" --endpoint "$EP" --model m -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && [ "$(attrs "$W/attributes/edu_llm/web/a.jsonl.zst" | grep -c '"error":null')" = 3 ] \
    && pass score_env_key_trimmed || fail score_env_key_trimmed "rc=$rc $(cat "$TMP/err")"
rm -rf "$W/attributes" "$W/state"
# the key as sent is what is redacted: a server that echoes it (401 body) shows ***
out=$(OPENAI_API_KEY=$'wrong-key-echo-77\t' $BLALM score --work "$W" --endpoint "$EP" --model m -q 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *401* ]] && [[ "$out" != *"wrong-key-echo-77"* ]] \
    && pass score_env_key_echo_redacted || fail score_env_key_echo_redacted "rc=$rc $(printf '%s' "$out" | tail -c 300)"
rm -rf "$W/attributes" "$W/state"
# a long key (a JWT-like bearer token) echoed across the 300th byte of the
# body, where the error text is cut: no part of it survives (the cut came
# before the redaction, and 249 characters of it were shown)
long="eyJhbGciOiJSUzI1NiJ9.$(printf 'A%.0s' $(seq 1 380)).SIGxyz"
out=$(OPENAI_API_KEY="$long" $BLALM score --work "$W" --endpoint "$EP" --model m -q 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *"Incorrect API key provided: ***"* ]] && [[ "$out" != *eyJhbGci* ]] && [[ "$out" != *AAAA* ]] \
    && pass score_env_key_long_echo_cut_redacted || fail score_env_key_long_echo_cut_redacted "rc=$rc $(printf '%s' "$out" | tail -c 300)"
rm -rf "$W/attributes" "$W/state"
# a short dummy key (vLLM's EMPTY, "o") is replaced only as a whole word: the
# message stays readable ("d***cument", "c***mpleti***ns" before)
out=$(OPENAI_API_KEY=o $BLALM score --work "$W" --endpoint "$EP" --model m -q 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *document*completions* ]] && [[ "$out" == *"provided: ***."* ]] \
    && pass score_short_key_message_readable || fail score_short_key_message_readable "rc=$rc $(printf '%s' "$out" | tail -c 300)"
rm -rf "$W/attributes" "$W/state"
# an endpoint with a query (Azure's ?api-version=): the path goes before it,
# as the OpenAI clients join them (it went after: "?api-version=X/chat/completions")
OPENAI_API_KEY=right-key $BLALM score --work "$W" --endpoint "$EP?api-version=2024-10-21" --model m -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && peer_get $K /stats | "$PY" -c 'import json,sys; q = json.load(sys.stdin)["queries"]; assert q.get("api-version=2024-10-21") == 3, q' \
    && pass score_endpoint_query_kept || fail score_endpoint_query_kept "rc=$rc $(tail -c 300 "$TMP/err")"
rm -rf "$W/attributes" "$W/state"
# a query value echoed by the server (a 404 naming the path and query) is redacted like the key
out=$(OPENAI_API_KEY=right-key $BLALM score --work "$W" --endpoint "http://127.0.0.1:$K/nope?key=QSECRET-8" --model m -q 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *"HTTP 404"* ]] && [[ "$out" != *QSECRET* ]] \
    && pass score_endpoint_query_value_redacted || fail score_endpoint_query_value_redacted "rc=$rc $(printf '%s' "$out" | tail -c 300)"
rm -rf "$W/attributes" "$W/state"
# echoed masked, as OpenAI's 401 shows a key (sk-wro****ABCD): neither end is shown
out=$(OPENAI_API_KEY='sk-wrong-echo-77-ABCD' $BLALM score --work "$W" --endpoint "$EP" --model m -q 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *"Incorrect API key provided: ***."* ]] && [[ "$out" != *"sk-wro"* ]] && [[ "$out" != *ABCD* ]] \
    && pass score_env_key_masked_echo_redacted || fail score_env_key_masked_echo_redacted "rc=$rc $(printf '%s' "$out" | tail -c 300)"
rm -rf "$W/attributes" "$W/state"
# the records' command (what makes edu_llm again, shown by assemble for a
# stale set) names the endpoint as the markers do: no password, no query
# value, never the key; a stale set's message shows it so
OPENAI_API_KEY=right-key $BLALM score --work "$W" --endpoint "http://usr:$PW@127.0.0.1:$K/v1?key=QSECRET-9" --model m \
    --max-chars 50 -q 2>"$TMP/err"; rc=$?
rec=$(cat "$W/attributes/edu_llm/web/a.record.json" 2>/dev/null)
[ $rc = 0 ] && [[ "$rec" == *'"command":"blalm score --model m --endpoint '\''http://***@127.0.0.1:'$K'/v1?...'\'' --max-chars 50 '* ]] \
    && ! grep -rq -e "$PW" -e QSECRET -e right-key "$W" \
    && pass score_record_command_redacted || fail score_record_command_redacted "rc=$rc $rec $(tail -c 300 "$TMP/err")"
make_docs "$W/docs/web/a.jsonl" 4 a
out=$($BLALM assemble --work "$W" --out "$TMP/out" 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *"run \`blalm score --model m --endpoint 'http://***@127.0.0.1:$K/v1?...' --max-chars 50 "*"--work $W\`"* ]] \
    && [[ "$out" != *"$PW"* ]] && [[ "$out" != *QSECRET* ]] \
    && pass score_stale_message_redacted || fail score_stale_message_redacted "rc=$rc $(printf '%s' "$out" | tail -c 400)"
make_docs "$W/docs/web/a.jsonl" 3 a
rm -rf "$W/attributes" "$W/state"
# a key file under the same rule: whitespace inside its line is refused
printf 'right key\n' >"$TMP/key"
out=$($BLALM score --work "$W" --endpoint "$EP" --model m --api-key-file "$TMP/key" -q 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *"$TMP/key: the API key contains whitespace"* ]] && [[ "$out" != *"right key"* ]] \
    && pass score_key_file_inner_space_refused || fail score_key_file_inner_space_refused "rc=$rc $(printf '%s' "$out" | tail -c 300)"
# a gateway taking the key in the URL's path: the records and markers hold
# the endpoint with the key masked (only userinfo and query were)
PK=sk-path-key-$RANDOM$RANDOM
start_peer G --path-prefix "/$PK"
rm -rf "$W/attributes" "$W/state"
OPENAI_API_KEY=$PK $BLALM score --work "$W" --endpoint "http://127.0.0.1:$G/$PK/v1" --model m --max-chars 50 -q \
    2>"$TMP/err"; rc=$?
rec=$(cat "$W/attributes/edu_llm/web/a.record.json" 2>/dev/null)
[ $rc = 0 ] && [[ "$rec" == *"--endpoint 'http://127.0.0.1:$G/***/v1'"* ]] && ! grep -rq -e "$PK" "$W" \
    && pass score_record_key_in_path_masked || fail score_record_key_in_path_masked "rc=$rc $rec $(tail -c 300 "$TMP/err")"
stop_peers
