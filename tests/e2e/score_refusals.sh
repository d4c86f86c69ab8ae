#!/usr/bin/env bash
# blalm score when the endpoint refuses the request itself (audit s37): a 400
# every request gets (OpenAI's "Unsupported parameter: 'max_tokens'", an
# unknown model on a gateway) stops the run instead of being written on every
# document; refused documents leave their file without a completion marker,
# so a rerun asks for them again; --max-tokens-param and --temperature none
# make OpenAI's reasoning models usable.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
no_outside_settings

# ---- the same 400 for every request: the run stops after 8, nothing marked done ----
W=$TMP/w; mkdir -p "$W/docs/web"; make_docs "$W/docs/web/a.jsonl" 40
start_peer P --fault-all param400
EP="http://127.0.0.1:$P/v1"
$BLALM score --work "$W" --endpoint "$EP" --model m --concurrency 2 -q 2>"$TMP/err"; rc=$?
req=$(peer_requests $P)
if [ $rc -ne 0 ] && grep -q "refused each of the first 8 requests" "$TMP/err" \
   && grep -q "Unsupported parameter" "$TMP/err" && grep -q -- "--max-tokens-param" "$TMP/err" && [ "$req" -le 10 ]; then
    pass score_same_refusal_stops
else
    fail score_same_refusal_stops "rc=$rc requests=$req $(head -c 600 "$TMP/err")"
fi
n=$(find "$W/state" -name '*.done' 2>/dev/null | wc -l)
[ "$n" = 0 ] && pass score_same_refusal_no_marker || fail score_same_refusal_no_marker "$n markers"
# the server fixed: the rerun sends every document
peer_control $P '{"fault_all": null}'
before=$(peer_requests $P)
$BLALM score --work "$W" --endpoint "$EP" --model m --concurrency 2 -q 2>"$TMP/err"; rc=$?
sent=$(( $(peer_requests $P) - before ))
[ $rc -eq 0 ] && [ "$sent" = 40 ] && pass score_refusal_rerun_sends_all \
    || fail score_refusal_rerun_sends_all "rc=$rc sent=$sent $(head -c 300 "$TMP/err")"

# ---- fewer documents than the streak: nothing scored is a failure ----
W2=$TMP/w2; mkdir -p "$W2/docs/web"; make_docs "$W2/docs/web/a.jsonl" 3
start_peer P2 --fault-all param400
$BLALM score --work "$W2" --endpoint "http://127.0.0.1:$P2/v1" --model m -q 2>"$TMP/err2"; rc=$?
if [ $rc -ne 0 ] && grep -q "none of the 3 selected documents got a score" "$TMP/err2" && grep -q "Unsupported parameter" "$TMP/err2"; then
    pass score_nothing_scored_fails
else
    fail score_nothing_scored_fails "rc=$rc $(head -c 400 "$TMP/err2")"
fi

# ---- one refused document: the run goes on, the file gets no marker, a rerun asks again ----
W3=$TMP/w3; mkdir -p "$W3/docs/web"
"$PY" - "$W3/docs/web/f.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(6):
        marker = "[[fault:400*1]] " if i == 2 else ""
        f.write(json.dumps({"id": "f%d" % i, "text": "%sA short lesson about lakes number %d." % (marker, i)}) + "\n")
EOF
start_peer P3
EP3="http://127.0.0.1:$P3/v1"
$BLALM score --work "$W3" --endpoint "$EP3" --model m -q 2>"$TMP/err3"; rc=$?
n=$(find "$W3/state" -name '*.done' 2>/dev/null | wc -l)
[ $rc -eq 0 ] && [ "$n" = 0 ] && pass score_refused_doc_no_marker || fail score_refused_doc_no_marker "rc=$rc markers=$n $(head -c 300 "$TMP/err3")"
# ... yet its rows are usable downstream: the attribute record says complete
rec=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("complete"))' "$W3/attributes/edu_llm/web/f.record.json" 2>&1)
[ "$rec" = True ] && pass score_refused_doc_record_complete || fail score_refused_doc_record_complete "record: $rec"
before=$(peer_requests $P3)
$BLALM score --work "$W3" --endpoint "$EP3" --model m -q 2>"$TMP/err3"; rc=$?
sent=$(( $(peer_requests $P3) - before ))
ok=$(attrs "$W3/attributes/edu_llm/web/f.jsonl.zst" | "$PY" -c 'import json,sys; print(sum(json.loads(l)["edu_llm"]["error"] is None for l in sys.stdin))')
n=$(find "$W3/state" -name '*.done' 2>/dev/null | wc -l)
[ $rc -eq 0 ] && [ "$sent" = 1 ] && [ "$ok" = 6 ] && [ "$n" = 1 ] && pass score_refused_doc_retried_on_rerun \
    || fail score_refused_doc_retried_on_rerun "rc=$rc sent=$sent ok=$ok markers=$n"

# ---- OpenAI's reasoning models: max_completion_tokens, no temperature ----
W4=$TMP/w4; mkdir -p "$W4/docs/web"; make_docs "$W4/docs/web/a.jsonl" 10
start_peer P4 --reasoning-api
EP4="http://127.0.0.1:$P4/v1"
$BLALM score --work "$W4" --endpoint "$EP4" --model o4 -q 2>"$TMP/err4"; rc=$?
[ $rc -ne 0 ] && grep -q "max_completion_tokens" "$TMP/err4" && pass score_reasoning_api_default_refused \
    || fail score_reasoning_api_default_refused "rc=$rc $(head -c 300 "$TMP/err4")"
$BLALM score --work "$W4" --endpoint "$EP4" --model o4 --max-tokens-param max_completion_tokens --temperature none \
    -q 2>"$TMP/err4"; rc=$?
ok=$(attrs "$W4/attributes/edu_llm/web/a.jsonl.zst" 2>/dev/null | "$PY" -c 'import json,sys; print(sum(isinstance(json.loads(l)["edu_llm"]["score"], int) for l in sys.stdin))')
[ $rc -eq 0 ] && [ "$ok" = 10 ] && pass score_max_completion_tokens_flags \
    || fail score_max_completion_tokens_flags "rc=$rc scored=$ok $(head -c 300 "$TMP/err4")"
# the same through --config
W5=$TMP/w5; mkdir -p "$W5/docs/web"; make_docs "$W5/docs/web/a.jsonl" 4
printf '{"score": {"model": "o4", "max_tokens_param": "max_completion_tokens", "temperature": "none"}}\n' >"$TMP/c.json"
$BLALM score --work "$W5" --endpoint "$EP4" --config "$TMP/c.json" -q 2>"$TMP/err5"; rc=$?
[ $rc -eq 0 ] && pass score_max_completion_tokens_config || fail score_max_completion_tokens_config "rc=$rc $(head -c 300 "$TMP/err5")"
printf '{"score": {"model": "o4", "temperature": "hot"}}\n' >"$TMP/c2.json"
$BLALM score --work "$W5" --endpoint "$EP4" --config "$TMP/c2.json" -q 2>"$TMP/err5"; rc=$?
[ $rc -ne 0 ] && grep -q 'none' "$TMP/err5" && pass score_temperature_config_checked || fail score_temperature_config_checked "rc=$rc $(cat "$TMP/err5")"
$BLALM score --work "$W5" --endpoint "$EP4" --model o4 --max-tokens-param max_tok -q 2>"$TMP/err5"; rc=$?
[ $rc -eq 2 ] && grep -q 'max_completion_tokens' "$TMP/err5" && pass score_max_tokens_param_checked || fail score_max_tokens_param_checked "rc=$rc $(cat "$TMP/err5")"
# ---- a content filter refuses documents 10-19 of 30: per document, and reruns reach later files ----
W6=$TMP/w6; mkdir -p "$W6/docs/web"
mkfilt() {  # FILE N FIRST LAST [FAULT]: N documents, those in FIRST..LAST content-filtered (or FAULT)
"$PY" - "$@" <<'EOF'
import json, sys
path, n, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fault = sys.argv[5] if len(sys.argv) > 5 else "filtered"
with open(path, "w") as f:
    for i in range(n):
        marker = "[[fault:%s]] " % fault if lo <= i <= hi else ""
        f.write(json.dumps({"id": "%s%d" % (path[-7], i), "text": "%sA lesson on tides, part %d of %s." % (marker, i, path[-7:])}) + "\n")
EOF
}
mkfilt "$W6/docs/web/a.jsonl" 30 10 19
start_peer P6
EP6="http://127.0.0.1:$P6/v1"
$BLALM score --work "$W6" --endpoint "$EP6" --model m --concurrency 1 -q 2>"$TMP/err6"; rc=$?
ok=$(attrs "$W6/attributes/edu_llm/web/a.jsonl.zst" | "$PY" -c 'import json,sys; print(sum(json.loads(l)["edu_llm"]["error"] is None for l in sys.stdin))')
[ $rc -eq 0 ] && [ "$ok" = 20 ] && pass score_content_filter_first_run || fail score_content_filter_first_run "rc=$rc ok=$ok $(head -c 300 "$TMP/err6")"
mkfilt "$W6/docs/web/b.jsonl" 5 99 99
$BLALM score --work "$W6" --endpoint "$EP6" --model m --concurrency 1 -q 2>"$TMP/err6"; rc=$?
okb=$(attrs "$W6/attributes/edu_llm/web/b.jsonl.zst" 2>/dev/null | "$PY" -c 'import json,sys; print(sum(json.loads(l)["edu_llm"]["error"] is None for l in sys.stdin))')
[ $rc -eq 0 ] && [ "$okb" = 5 ] && ! grep -q "refused each of the first" "$TMP/err6" && pass score_content_filter_rerun_reaches_later_files \
    || fail score_content_filter_rerun_reaches_later_files "rc=$rc b scored=$okb $(head -c 400 "$TMP/err6")"
# the same again: everything else cached (b marked done), a's 10 refused again: still exit 0
before=$(peer_requests $P6)
$BLALM score --work "$W6" --endpoint "$EP6" --model m --concurrency 1 -q 2>"$TMP/err6"; rc=$?
sent=$(( $(peer_requests $P6) - before ))
[ $rc -eq 0 ] && [ "$sent" = 10 ] && pass score_content_filter_rerun_rc0 || fail score_content_filter_rerun_rc0 "rc=$rc sent=$sent $(head -c 300 "$TMP/err6")"
# a first run whose first 9 documents are content-filtered goes on to the rest
W7=$TMP/w7; mkdir -p "$W7/docs/web"; mkfilt "$W7/docs/web/c.jsonl" 12 0 8
$BLALM score --work "$W7" --endpoint "$EP6" --model m --concurrency 1 -q 2>"$TMP/err7"; rc=$?
ok=$(attrs "$W7/attributes/edu_llm/web/c.jsonl.zst" 2>/dev/null | "$PY" -c 'import json,sys; print(sum(json.loads(l)["edu_llm"]["error"] is None for l in sys.stdin))')
[ $rc -eq 0 ] && [ "$ok" = 3 ] && pass score_content_filter_first_eight || fail score_content_filter_first_eight "rc=$rc ok=$ok $(head -c 300 "$TMP/err7")"
# any per-document 400 (context length) on 10-19: a rerun's cached answers count as answers
W9=$TMP/w9; mkdir -p "$W9/docs/web"; mkfilt "$W9/docs/web/a.jsonl" 30 10 19 400
$BLALM score --work "$W9" --endpoint "$EP6" --model m --concurrency 1 -q 2>"$TMP/err9"; rc1=$?
mkfilt "$W9/docs/web/b.jsonl" 5 99 99
$BLALM score --work "$W9" --endpoint "$EP6" --model m --concurrency 1 -q 2>"$TMP/err9"; rc=$?
okb=$(attrs "$W9/attributes/edu_llm/web/b.jsonl.zst" 2>/dev/null | "$PY" -c 'import json,sys; print(sum(json.loads(l)["edu_llm"]["error"] is None for l in sys.stdin))')
[ $rc1 -eq 0 ] && [ $rc -eq 0 ] && [ "$okb" = 5 ] && pass score_cached_answers_count_as_answers \
    || fail score_cached_answers_count_as_answers "rc=$rc1,$rc b scored=$okb $(head -c 400 "$TMP/err9")"
# only content-filtered documents in a run: no score, yet no failure
W8=$TMP/w8; mkdir -p "$W8/docs/web"; mkfilt "$W8/docs/web/d.jsonl" 2 0 1
$BLALM score --work "$W8" --endpoint "$EP6" --model m -q 2>"$TMP/err8"; rc=$?
[ $rc -eq 0 ] && pass score_content_filter_only_rc0 || fail score_content_filter_only_rc0 "rc=$rc $(head -c 300 "$TMP/err8")"
# a 200 whose reply the content filter stopped (finish_reason content_filter) counts as
# a content filter's refusal too: named in the row, and a run of only those exits 0
W10=$TMP/w10; mkdir -p "$W10/docs/web"; mkfilt "$W10/docs/web/e.jsonl" 2 0 1 finfilter
$BLALM score --work "$W10" --endpoint "$EP6" --model m -q 2>"$TMP/err10"; rc=$?
why=$(attrs "$W10/attributes/edu_llm/web/e.jsonl.zst" 2>/dev/null | "$PY" -c 'import json,sys; print(sum("finish_reason content_filter" in (json.loads(l)["edu_llm"]["error"] or "") for l in sys.stdin))')
[ $rc -eq 0 ] && [ "$why" = 2 ] && pass score_finish_content_filter_rc0 || fail score_finish_content_filter_rc0 "rc=$rc named=$why $(head -c 300 "$TMP/err10")"
stop_peers

# a model name that is not UTF-8 (a config's strings are read as their
# bytes) is refused before anything, from the command line and from a
# config alike: it went into each request's JSON body, which the endpoint
# refused ("could not parse the JSON body") on every document
WU=$TMP/wu; mkdir -p "$WU/docs/web"; make_docs "$WU/docs/web/a.jsonl" 3
printf '{"score": {"model": "gpt\xe9", "endpoint": "%s"}}' "$EP" >"$TMP/u8.json"
before=$(peer_requests $P)
$BLALM score --work "$WU" --endpoint "$EP" --model $'gpt\xe9' -q 2>"$TMP/err"; rc=$?
$BLALM score --work "$WU" --config "$TMP/u8.json" -q 2>"$TMP/err2"; rc2=$?
msg="blalm score: the model name is not valid UTF-8 (byte \\xe9 at offset 3); it is sent in each request's JSON body"
[ $rc = 1 ] && [ $rc2 = 1 ] && [ "$(cat "$TMP/err")" = "$msg" ] && [ "$(cat "$TMP/err2")" = "$msg" ] \
    && [ "$(peer_requests $P)" = "$before" ] && [ ! -e "$WU/attributes" ] \
    && pass score_model_not_utf8_refused || fail score_model_not_utf8_refused "rc $rc $rc2: $(head -c 300 "$TMP/err" "$TMP/err2")"
