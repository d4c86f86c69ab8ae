#!/usr/bin/env bash
# blalm score under endpoint faults (REFERENCE.md §6): each fault is chosen
# by a marker in a document's text, so the stand-in misbehaves for exactly
# that document; retry waits are scaled by BLALM_DELAY_SCALE.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
export BLALM_DELAY_SCALE=${BLALM_DELAY_SCALE:-0.01}
unset OPENAI_API_KEY OPENAI_BASE_URL

W=$TMP/w; mkdir -p "$W/docs/web"
"$PY" - "$W/docs/web/f.jsonl" <<'EOF'
import json, sys
faults = ["ok", "429*2", "429ms*1", "500*1", "503*2", "timeout*1", "reset*1", "truncated*1",
          "missing", "score7", "400", "length", "ok"]
with open(sys.argv[1], "w") as f:
    for i, name in enumerate(faults):
        marker = "" if name == "ok" else "[[fault:%s]] " % name
        f.write(json.dumps({"id": "f%d-%s" % (i, name.split("*")[0]),
                            "text": "%sA short lesson about rivers number %d." % (marker, i)}) + "\n")
EOF
start_peer P --slow 4
EP="http://127.0.0.1:$P/v1"
$BLALM score --work "$W" --endpoint "$EP" --model m --concurrency 4 --timeout 1.5 -q 2>"$TMP/err"; rc=$?
if [ $rc -ne 0 ]; then
    fail score_faults_run "rc=$rc $(cat "$TMP/err")"
else
    attrs "$W/attributes/edu_llm/web/f.jsonl.zst" >"$TMP/out.jsonl"
    # check NAME ID PYTHON-CONDITION-ON-a
    expect() {
        local name=$1 id=$2 cond=$3 got
        got=$("$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["id"] == sys.argv[2]:
        a = o["edu_llm"]
        print("yes" if eval(sys.argv[3]) else "no: " + json.dumps(a)[:400])' "$TMP/out.jsonl" "$id" "$cond")
        [ "$got" = yes ] && pass "$name" || fail "$name" "${got:-no line for $id}"
    }
    ok='a["error"] is None and isinstance(a["score"], int) and a["finish_reason"] == "stop"'
    expect score_fault_none f0-ok "$ok and a[\"attempts\"] == 1"
    expect score_fault_429_retry_after f1-429 "$ok and a[\"attempts\"] == 3"
    expect score_fault_429_retry_after_ms f2-429ms "$ok and a[\"attempts\"] == 2"
    expect score_fault_500_then_success f3-500 "$ok and a[\"attempts\"] == 2"
    expect score_fault_503_then_success f4-503 "$ok and a[\"attempts\"] == 3"
    expect score_fault_timeout f5-timeout "$ok and a[\"attempts\"] == 2 and a[\"latency_ms\"] >= 1400"
    expect score_fault_reset_mid_body f6-reset "$ok and a[\"attempts\"] == 2"
    expect score_fault_truncated_json f7-truncated "$ok and a[\"attempts\"] == 2"
    expect score_fault_missing_score f8-missing 'a["score"] is None and a["error"].startswith("parse error: no") and "cannot decide" in a["raw"] and a["attempts"] == 1'
    expect score_fault_score_7 f9-score7 'a["score"] is None and "out of range" in a["error"] and a["raw"].endswith("Educational score: 7")'
    expect score_fault_400_recorded f10-400 'a["score"] is None and a["error"].startswith("request refused") and "400" in a["error"] and a["attempts"] == 1'
    expect score_fault_finish_length f11-length 'a["finish_reason"] == "length" and a["score"] is None and "max-tokens" in a["error"]'
    expect score_fault_after_all f12-ok "$ok"
    # the answers (also the unparsable ones) are cached; the 400 is not
    before=$(peer_requests $P)
    $BLALM score --work "$W" --endpoint "$EP" --model m --force -q 2>/dev/null
    [ $(( $(peer_requests $P) - before )) = 1 ] && pass score_faults_rerun_pays_once \
        || fail score_faults_rerun_pays_once "$(( $(peer_requests $P) - before )) requests on rerun (want 1: the refused one)"
fi

# ---- a 503 storm longer than the retry budget: clear failure, cache intact, resumable ----
S=$TMP/storm; mkdir -p "$S/docs/web"
make_docs "$S/docs/web/s.jsonl" 30 s
"$PY" -c '
import json, sys
print(json.dumps({"id": "storm", "text": "[[fault:503]] This document always meets a 503 storm."}))' >>"$S/docs/web/s.jsonl"
before=$(peer_requests $P)
$BLALM score --work "$S" --endpoint "$EP" --model m --concurrency 4 --max-attempts 4 -q 2>"$TMP/err"; rc=$?
sent1=$(( $(peer_requests $P) - before ))
chk=$(cache_check "$S/state/score/cache/score-cache.jsonl")
if [ $rc -eq 1 ] && grep -q 'document storm' "$TMP/err" && grep -q '503' "$TMP/err" && grep -q 'gave up after 4 attempts' "$TMP/err" \
   && [ "$chk" = "valid 30 bad 0" ] && [ ! -e "$S/attributes/edu_llm/web/s.jsonl.zst" ]; then
    pass score_fault_503_storm; else fail score_fault_503_storm "rc=$rc cache: $chk; $(cat "$TMP/err")"; fi
# the storm passes: the rerun sends only the storm document
before=$(peer_requests $P)
peer_control $P '{"fault_all": null}'
$BLALM score --work "$S" --endpoint "$EP" --model m --concurrency 4 --max-attempts 2 -q 2>"$TMP/err"; rc=$?
sent2=$(( $(peer_requests $P) - before ))
# still failing for "storm" (its marker stays), but nothing else is paid twice
[ $rc -eq 1 ] && [ $sent2 = 2 ] && pass score_fault_storm_rerun_no_double_pay || fail score_fault_storm_rerun_no_double_pay "rc=$rc sent=$sent2 (first run $sent1)"

# ---- a storm from the server for every request, switched off mid-way ----
S2=$TMP/storm2; mkdir -p "$S2/docs/web"; make_docs "$S2/docs/web/t.jsonl" 10 t
peer_control $P '{"fault_all": "503"}'
$BLALM score --work "$S2" --endpoint "$EP" --model m --max-attempts 3 -q 2>"$TMP/err"; rc1=$?
peer_control $P '{"fault_all": null}'
$BLALM score --work "$S2" --endpoint "$EP" --model m -q 2>>"$TMP/err"; rc2=$?
n=$(attrs "$S2/attributes/edu_llm/web/t.jsonl.zst" 2>/dev/null | grep -c '"error":null')
[ $rc1 -eq 1 ] && [ $rc2 -eq 0 ] && [ "$n" = 10 ] && pass score_fault_storm_then_recovery || fail score_fault_storm_then_recovery "rc $rc1 $rc2, ok lines $n: $(cat "$TMP/err")"

# ---- 404 (a wrong base URL) fails fast too ----
N4=$TMP/nf; mkdir -p "$N4/docs/web"; make_docs "$N4/docs/web/n.jsonl" 5 n
t0=$(date +%s%N)
$BLALM score --work "$N4" --endpoint "http://127.0.0.1:$P/wrong" --model m --concurrency 1 -q 2>"$TMP/err"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc -eq 1 ] && grep -q 'HTTP 404' "$TMP/err" && grep -q '(1 attempt)' "$TMP/err" && pass score_fault_404_fails_fast \
    || fail score_fault_404_fails_fast "rc=$rc ${ms} ms $(cat "$TMP/err")"
# issue 20, defect 16: a password in the endpoint URL is redacted like a key
rm -rf "$N4/state" "$N4/attributes"
$BLALM score --work "$N4" --endpoint "http://someone:pw-s3cr3t-77@127.0.0.1:$P/wrong" --model m --concurrency 1 -q 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'HTTP 404' "$TMP/err" && grep -q 'http://\*\*\*@127.0.0.1' "$TMP/err" && ! grep -q 'pw-s3cr3t-77' "$TMP/err" \
    && ! grep -rq 'pw-s3cr3t-77' "$N4/attributes" "$N4/stats" 2>/dev/null \
    && pass score_endpoint_password_redacted || fail score_endpoint_password_redacted "rc=$rc $(cat "$TMP/err")"

# ---- a redirect (3xx) is not followed: reported with its status and where it
# points (origin only, redacted), not retried, and the run stops ----
R=$TMP/redir; mkdir -p "$R/docs/web"
printf '{"id": "r0", "text": "[[fault:redirect]] A lesson about a moved endpoint."}\n' >"$R/docs/web/r.jsonl"
before=$(peer_requests $P)
$BLALM score --work "$R" --endpoint "$EP" --model m --concurrency 1 -q 2>"$TMP/err"; rc=$?
sent=$(( $(peer_requests $P) - before ))
[ $rc -eq 1 ] && [ $sent = 1 ] && grep -q 'HTTP 307' "$TMP/err" && grep -q 'http://\*\*\*@elsewhere.example:8443' "$TMP/err" \
    && grep -q '(1 attempt)' "$TMP/err" && ! grep -q 'l0c-s3cr3t\|/v2/\|not valid JSON' "$TMP/err" \
    && pass score_fault_redirect_reported || fail score_fault_redirect_reported "rc=$rc sent=$sent $(cat "$TMP/err")"
# ---- 401 fails fast with a clear message ----
stop_peers
start_peer P --require-key right-key
A=$TMP/auth; mkdir -p "$A/docs/web"; make_docs "$A/docs/web/a.jsonl" 20 a
OPENAI_API_KEY=wrong-key-12345 $BLALM score --work "$A" --endpoint "http://127.0.0.1:$P/v1" --model m --concurrency 2 -q 2>"$TMP/err"; rc=$?
n=$(peer_requests $P)
if [ $rc -eq 1 ] && grep -q '401' "$TMP/err" && ! grep -q 'wrong-key-12345' "$TMP/err" && [ "$n" -le 3 ]; then
    pass score_fault_401_fails_fast; else fail score_fault_401_fails_fast "rc=$rc requests=$n $(cat "$TMP/err")"; fi
stop_peers
