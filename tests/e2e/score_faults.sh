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

# ---- audit F2/F4/F6: answers a document gets that must not stop the run ----
# 413 (a proxy's body limit) and 422 (TGI: one input over its token limit)
# are that document's refusal, as a 400 is; a 200 holding an error object is
# retried after the server's Retry-After (1 s: BLALM_DELAY_SCALE=1 here), not
# at once; a gzip body (sent whether asked for or not) is decoded.
start_peer P
G=$TMP/g; mkdir -p "$G/docs/web"
"$PY" - "$G/docs/web/g.jsonl" <<'PY'
import json, sys
faults = ["413", "422", "gzip", "err200*1", "ok"]
with open(sys.argv[1], "w") as f:
    for i, name in enumerate(faults):
        marker = "" if name == "ok" else "[[fault:%s]] " % name
        f.write(json.dumps({"id": "g%d-%s" % (i, name.split("*")[0]),
                            "text": "%sA short lesson about maps number %d." % (marker, i)}) + "\n")
PY
t0=$(date +%s%N)
BLALM_DELAY_SCALE=1 $BLALM score --work "$G" --endpoint "http://127.0.0.1:$P/v1" --model m --concurrency 4 -q 2>"$TMP/err"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
if [ $rc -ne 0 ]; then
    for n in score_fault_413_recorded score_fault_422_recorded score_fault_gzip_decoded score_fault_err200_backoff; do
        fail $n "the run stopped: rc=$rc $(cat "$TMP/err")"; done
else
    attrs "$G/attributes/edu_llm/web/g.jsonl.zst" >"$TMP/g.jsonl"
    gexpect() {
        local got
        got=$("$PY" -c '
import json, sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["id"] == sys.argv[2]:
        a = o["edu_llm"]
        print("yes" if eval(sys.argv[3]) else "no: " + json.dumps(a)[:400])' "$TMP/g.jsonl" "$2" "$3")
        [ "$got" = yes ] && pass "$1" || fail "$1" "${got:-no line for $2}"
    }
    gexpect score_fault_413_recorded g0-413 'a["score"] is None and a["error"].startswith("request refused: ") and "HTTP 413" in a["error"] and a["attempts"] == 1'
    gexpect score_fault_422_recorded g1-422 'a["score"] is None and a["error"].startswith("request refused: ") and "HTTP 422" in a["error"] and "Input validation error" in a["error"] and a["attempts"] == 1'
    gexpect score_fault_gzip_decoded g2-gzip 'a["error"] is None and isinstance(a["score"], int) and a["attempts"] == 1'
    # the wait is the server's Retry-After: 1 s at least (it was ~1 ms)
    gexpect score_fault_err200_backoff g3-err200 "a[\"error\"] is None and a[\"attempts\"] == 2 and $ms >= 1000 and a[\"latency_ms\"] >= 950"
fi
stop_peers

# ---- review: a 4xx every request would get (410: a retired model) stops
# the run at once, where it was recorded on each document in turn and the
# run ended with exit 0 and every document refused ----
start_peer P
R=$TMP/gone; mkdir -p "$R/docs/web"
"$PY" - "$R/docs/web/r.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(6):
        f.write(json.dumps({"id": "r%d" % i, "text": "[[fault:410]] A lesson about rivers number %d." % i}) + "\n")
PY
$BLALM score --work "$R" --endpoint "http://127.0.0.1:$P/v1" --model m --concurrency 1 -q 2>"$TMP/err"; rc=$?
n=$(peer_requests $P)
if [ $rc -eq 1 ] && grep -q 'HTTP 410' "$TMP/err" && [ "$n" -le 2 ] && [ ! -e "$R/attributes/edu_llm/web/r.jsonl.zst" ]; then
    pass score_fault_410_stops_run; else fail score_fault_410_stops_run "rc=$rc requests=$n $(cat "$TMP/err")"; fi
stop_peers

# ---- audit F4: the attempt cap is one for both kinds of retry: a 200 that is
# no chat.completion, then 503s, ends after --max-attempts requests in all
# (it was 1 + --max-attempts) and says the retries ran out ----
start_peer P
C=$TMP/cap; mkdir -p "$C/docs/web"
printf '{"id": "c0", "text": "[[fault:err200*1]] [[fault:503]] A lesson about a busy gateway."}\n' >"$C/docs/web/c.jsonl"
$BLALM score --work "$C" --endpoint "http://127.0.0.1:$P/v1" --model m --max-attempts 3 -q 2>"$TMP/err"; rc=$?
n=$(peer_requests $P)
[ $rc -eq 1 ] && [ "$n" = 3 ] && grep -q 'HTTP 503' "$TMP/err" && grep -q 'gave up after 3 attempts' "$TMP/err" \
    && grep -q '(retry budget exhausted)' "$TMP/err" \
    && pass score_fault_attempt_cap_shared || fail score_fault_attempt_cap_shared "rc=$rc requests=$n $(cat "$TMP/err")"
# a 200 with an error object every time: the same cap and message
printf '{"id": "c1", "text": "[[fault:err200]] A lesson about an always busy gateway."}\n' >"$C/docs/web/c.jsonl"
rm -rf "$C/state" "$C/attributes"
before=$(peer_requests $P)
$BLALM score --work "$C" --endpoint "http://127.0.0.1:$P/v1" --model m --max-attempts 3 -q 2>"$TMP/err"; rc=$?
n=$(( $(peer_requests $P) - before ))
[ $rc -eq 1 ] && [ "$n" = 3 ] && grep -q 'upstream overloaded' "$TMP/err" && grep -q 'gave up after 3 attempts' "$TMP/err" \
    && grep -q '(retry budget exhausted)' "$TMP/err" \
    && pass score_fault_err200_gives_up || fail score_fault_err200_gives_up "rc=$rc requests=$n $(cat "$TMP/err")"

# ---- audit F2: a failure that is never retried does not claim the retry
# budget ran out ----
printf '{"id": "x0", "text": "[[fault:garbage]] A lesson about a broken proxy."}\n' >"$C/docs/web/c.jsonl"
rm -rf "$C/state" "$C/attributes"
$BLALM score --work "$C" --endpoint "http://127.0.0.1:$P/v1" --model m -q 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q '(1 attempt)' "$TMP/err" && grep -q '(not retryable)' "$TMP/err" && ! grep -q 'retry budget' "$TMP/err" \
    && pass score_fault_not_retryable_message || fail score_fault_not_retryable_message "rc=$rc $(cat "$TMP/err")"
stop_peers

# ---- audit F3: once the run has failed, nothing new goes out: the documents
# on the wire are not retried (they were, for the whole retry budget), and an
# answer that arrives meanwhile is still kept; those curl held back waiting for
# a connection are not sent at all, so 2 to 6 requests reach the stand-in, each
# document at most once ----
start_peer P --slow 4
D=$TMP/drain; mkdir -p "$D/docs/web"
"$PY" - "$D/docs/web/d.jsonl" <<'PY'
import json, sys
faults = ["401", "late"] + ["timeout"] * 4
with open(sys.argv[1], "w") as f:
    for i, name in enumerate(faults):
        f.write(json.dumps({"id": "d%d" % i, "text": "[[fault:%s]] A lesson about rivers number %d." % (name, i)}) + "\n")
PY
$BLALM score --work "$D" --endpoint "http://127.0.0.1:$P/v1" --model m --concurrency 8 --timeout 1.5 --max-attempts 4 -q 2>"$TMP/err"; rc=$?
n=$(peer_requests $P)
chk=$(cache_check "$D/state/score/cache/score-cache.jsonl")
[ $rc -eq 1 ] && grep -q 'HTTP 401' "$TMP/err" && [ "$n" -ge 2 ] && [ "$n" -le 6 ] && [ "$chk" = "valid 1 bad 0" ] \
    && pass score_fault_no_retries_after_failure || fail score_fault_no_retries_after_failure "rc=$rc requests=$n (want 2 to 6) cache: $chk; $(cat "$TMP/err")"
stop_peers

# ---- audit F5: waiting for --rps / --tpm sleeps (it spun a core: user CPU
# was the wall time). The margin is huge: a quarter of the wall time. ----
start_peer P
R=$TMP/rate; mkdir -p "$R/docs/web"; make_docs "$R/docs/web/r.jsonl" 4 r
cpu_share() {   # cpu_share CMD...: "WALL CPU" of the command (seconds)
    "$PY" - "$@" <<'PY'
import resource, subprocess, sys, time
t0 = time.monotonic()
rc = subprocess.call(sys.argv[1:], stderr=subprocess.DEVNULL)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.2f %.2f %d" % (wall, ru.ru_utime + ru.ru_stime, rc))
PY
}
for lim in "--rps 2" "--tpm 30000"; do
    rm -rf "$R/state" "$R/attributes" "$R/stats"
    read -r wall cpu rc < <(cpu_share $BLALM score --work "$R" --endpoint "http://127.0.0.1:$P/v1" --model m $lim -q)
    name=score_rate_limit_sleeps_${lim%% *}; name=${name//-/}
    "$PY" -c "import sys; w, c = $wall, $cpu; sys.exit(0 if $rc == 0 and w >= 1.0 and c < 0.25 * w else 1)" \
        && pass "$name" || fail "$name" "$lim: rc=$rc wall ${wall} s, CPU ${cpu} s"
done
stop_peers
