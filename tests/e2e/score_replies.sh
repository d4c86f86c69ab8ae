#!/usr/bin/env bash
# blalm score and replies that are chat completions but not plain ones
# (audit s37): <think> blocks in content, content as a list of parts, an
# OpenAI refusal or tool_calls instead of text, bytes that are no UTF-8, a
# 200 HTML page. Each is chosen by a [[fault:NAME]] marker (tests/peers/openai.py).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
no_outside_settings

W=$TMP/w; mkdir -p "$W/docs/web"
"$PY" - "$W/docs/web/f.jsonl" <<'EOF'
import json, sys
faults = ["ok", "think", "thinkcut", "parts", "weird", "refusal", "toolcalls", "badutf8", "ok", "scorefirst", "nbsp", "400utf8", "thinklit", "thinkclose"]
with open(sys.argv[1], "w") as f:
    for i, name in enumerate(faults):
        marker = "" if name == "ok" else "[[fault:%s]] " % name
        f.write(json.dumps({"id": "r%d-%s" % (i, name),
                            "text": "%sA short lesson about rivers number %d." % (marker, i)}) + "\n")
EOF
start_peer P --log "$TMP/peer.log"
EP="http://127.0.0.1:$P/v1"
$BLALM score --work "$W" --endpoint "$EP" --model m --concurrency 4 -q 2>"$TMP/err"; rc=$?
if [ $rc -ne 0 ]; then
    fail score_replies_run "rc=$rc $(cat "$TMP/err")"
else
    # strict UTF-8: what Python's json module and jq read
    attrs "$W/attributes/edu_llm/web/f.jsonl.zst" >"$TMP/out.jsonl"
    expect() {
        local name=$1 id=$2 cond=$3 got
        got=$("$PY" -c '
import json, sys
for l in open(sys.argv[1], encoding="utf-8", errors="strict"):
    o = json.loads(l)
    if o["id"] == sys.argv[2]:
        a = o["edu_llm"]
        print("yes" if eval(sys.argv[3]) else "no: " + json.dumps(a)[:500])' "$TMP/out.jsonl" "$id" "$cond" 2>&1)
        [ "$got" = yes ] && pass "$name" || fail "$name" "${got:-no line for $id}"
    }
    # the peer's first guess inside <think> is 5 - score: never taken
    expect score_think_answer_after_block r1-think 'a["error"] is None and "First guess" not in a["raw"] and "First guess" in a["reasoning"] and a["raw"].rstrip().endswith("Educational score: %d" % a["score"]) and not a["raw"].startswith("<think>")'
    expect score_think_cut_is_no_answer r2-thinkcut 'a["score"] is None and "inside a <think> block" in a["error"] and "--max-tokens" in a["error"] and a["raw"] == "" and a["reasoning"].startswith("First guess")'
    expect score_content_parts_joined r3-parts 'a["error"] is None and isinstance(a["score"], int) and a["reasoning"] == "Mulling it over." and a["attempts"] == 1'
    expect score_content_unusable_not_retried r4-weird 'a["score"] is None and a["error"].startswith("unusable reply") and "number" in a["error"] and a["attempts"] == 1'
    expect score_refusal_text_kept r5-refusal 'a["score"] is None and "the model refused: I" in a["error"] and "cannot help" in a["error"]'
    expect score_tool_calls_said r6-toolcalls 'a["score"] is None and "tool call" in a["error"]'
    expect score_bad_utf8_replaced r7-badutf8 'a["error"] is None and "\ufffd" in a["raw"]'
    expect score_replies_ok r8-ok 'a["error"] is None'
    expect score_first_justification_kept r9-scorefirst 'a["error"] is None and a["justification"] and a["justification"].startswith("Stand-in judgement")'
    expect score_error_body_utf8_replaced r11-400utf8 'a["error"].startswith("request refused") and "bad input \ufffd" in a["error"]'
    expect score_bold_line_nbsp r10-nbsp 'a["error"] is None and isinstance(a["score"], int) and a["justification"].startswith("Stand-in")'
    # a <think> or </think> mentioned in the text is text: score, raw and justification whole
    expect score_think_literal_is_text r12-thinklit 'a["error"] is None and a["score"] is not None and "HTML <think> tag" in a["raw"] and a["raw"].rstrip().endswith("Educational score: %d" % a["score"]) and a.get("reasoning") is None'
    expect score_think_close_mention_is_text r13-thinkclose 'a["error"] is None and a["raw"].startswith("Stand-in") and "stray </think> tag verbatim" in a["justification"] and a["justification"].startswith("Stand-in")'
    # the unusable content was asked for once, not retried
    n=$("$PY" -c 'import json,sys; print(max(json.loads(l)["nth"] for l in open(sys.argv[1])))' "$TMP/peer.log")
    [ "$n" = 1 ] && pass score_replies_each_asked_once || fail score_replies_each_asked_once "a text was asked for $n times"
    # the cache holds valid UTF-8 JSON too
    "$PY" -c '
import json, sys
for l in open(sys.argv[1], encoding="utf-8", errors="strict"): json.loads(l)' "$W/state/score/cache/score-cache.jsonl" 2>"$TMP/perr" \
        && pass score_cache_valid_utf8 || fail score_cache_valid_utf8 "$(tail -1 "$TMP/perr")"
fi

# ---- --json-schema: a justification holding "<think>...</think>" keeps its score ----
WJ=$TMP/wj; mkdir -p "$WJ/docs/web"
printf '%s\n' '{"id":"j0","text":"[[fault:thinkjust]] A lesson about markup."}' >"$WJ/docs/web/a.jsonl"
$BLALM score --work "$WJ" --endpoint "$EP" --model m --json-schema -q 2>"$TMP/errj"; rc=$?
got=$(attrs "$WJ/attributes/edu_llm/web/a.jsonl.zst" 2>/dev/null | "$PY" -c '
import json, sys
a = json.loads(sys.stdin.readline())["edu_llm"]
print("yes" if a["error"] is None and isinstance(a["score"], int) and "<think>x</think>" in a["justification"] and "<think>x</think>" in a["raw"] else json.dumps(a)[:400])')
[ $rc -eq 0 ] && [ "$got" = yes ] && pass score_json_justification_mentions_think || fail score_json_justification_mentions_think "rc=$rc $got $(head -c 300 "$TMP/errj")"

# ---- a 200 HTML page (a login portal at the endpoint): one message, the run stops, no 8 retries ----
W2=$TMP/w2; mkdir -p "$W2/docs/web"; make_docs "$W2/docs/web/a.jsonl" 5
start_peer P2 --fault-all html
$BLALM score --work "$W2" --endpoint "http://127.0.0.1:$P2/v1" --model m --concurrency 1 -q 2>"$TMP/err2"; rc=$?
req=$(peer_requests $P2)
if [ $rc -ne 0 ] && grep -q "text/html" "$TMP/err2" && grep -q "Please log in" "$TMP/err2" && [ "$req" -le 2 ]; then
    pass score_html_page_stops
else
    fail score_html_page_stops "rc=$rc requests=$req $(head -c 400 "$TMP/err2")"
fi
stop_peers

# ---- hints: an endpoint without /v1 (404), no API key (401); empty documents are not sent ----
W3=$TMP/w3; mkdir -p "$W3/docs/web"; make_docs "$W3/docs/web/a.jsonl" 3
start_peer P3 --path-prefix /x
$BLALM score --work "$W3" --endpoint "http://127.0.0.1:$P3" --model m -q 2>"$TMP/err3"; rc=$?
[ $rc -ne 0 ] && grep -q "404" "$TMP/err3" && grep -q "has no /v1" "$TMP/err3" && pass score_404_hint_v1 \
    || fail score_404_hint_v1 "rc=$rc $(head -c 400 "$TMP/err3")"
# a versioned path (Gemini's /v1beta/openai) or Azure's /openai/deployments/D:
# a 404 there is about the model or the deployment, no /v1 is missing
for ep in "http://127.0.0.1:$P3/v1beta/openai" "http://127.0.0.1:$P3/openai/deployments/d?api-version=2024-10-21"; do
    $BLALM score --work "$W3" --endpoint "$ep" --model m -q 2>"$TMP/err3b"; rc=$?
    [ $rc -ne 0 ] && grep -q "HTTP 404" "$TMP/err3b" && ! grep -q "has no /v1" "$TMP/err3b" && pass "score_404_no_v1_hint ${ep#*$P3}" \
        || fail "score_404_no_v1_hint ${ep#*$P3}" "rc=$rc $(head -c 400 "$TMP/err3b")"
done
start_peer P4 --require-key sk-test-0123456789abcdef
$BLALM score --work "$W3" --endpoint "http://127.0.0.1:$P4/v1" --model m -q 2>"$TMP/err4"; rc=$?
[ $rc -ne 0 ] && grep -q "401" "$TMP/err4" && grep -q "OPENAI_API_KEY" "$TMP/err4" && pass score_401_hint_key \
    || fail score_401_hint_key "rc=$rc $(head -c 400 "$TMP/err4")"
W5=$TMP/w5; mkdir -p "$W5/docs/web"
printf '%s\n' '{"id":"e0","text":""}' '{"id":"e1","text":"  \n\t "}' '{"id":"e2","text":"A lesson about the moon."}' \
    '{"id":"e3","text":"\u00a0\u3000 \u2003\u0085"}' >"$W5/docs/web/a.jsonl"
start_peer P5
$BLALM score --work "$W5" --endpoint "http://127.0.0.1:$P5/v1" --model m -q 2>"$TMP/err5"; rc=$?
res=$(attrs "$W5/attributes/edu_llm/web/a.jsonl.zst" 2>/dev/null | "$PY" -c '
import json, sys
rows = [json.loads(l)["edu_llm"] for l in sys.stdin]
print(" ".join("empty" if (r["error"] or "").startswith("empty document") else "score" if r["score"] is not None else "other" for r in rows))')
[ $rc -eq 0 ] && [ "$res" = "empty empty score empty" ] && [ "$(peer_requests $P5)" = 1 ] && pass score_empty_docs_not_sent \
    || fail score_empty_docs_not_sent "rc=$rc rows=$res requests=$(peer_requests $P5) $(head -c 300 "$TMP/err5")"
# ... and every summary counts them: 4 selected = 1 scored + 3 empty
sum=$($BLALM score --work "$W5" --endpoint "http://127.0.0.1:$P5/v1" --model m --force 2>&1)
dry=$(rm -rf "$W5/state/score/edu_llm"; $BLALM score --work "$W5" --endpoint "http://127.0.0.1:$P5/v1" --model m --dry-run 2>&1)
st=$($BLALM score --work "$W5" --stats 2>&1)
js=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["empty"], d["this_run"]["empty"])' "$W5/stats/score.json" 2>&1)
[[ "$sum" == *"1 scored, 0 parse errors, 0 refused, 3 empty, 0 not sent;"* ]] && [[ "$dry" == *"3 empty (never sent)"* ]] \
    && [[ "$st" == *"no score: 3 (parse errors 0, requests refused 0, empty documents 3,"* ]] && [ "$js" = "3 3" ] \
    && pass score_empty_docs_counted \
    || fail score_empty_docs_counted "summary: $sum | dry: $dry | stats: $(grep 'no score' <<<"$st") | json: $js"
stop_peers
