#!/usr/bin/env bash
# SIGTERM (a Slurm time limit) and SIGINT (Ctrl-C) during `blalm score`
# (audit s37): nothing more is sent, the requests on the wire are waited for
# and their answers made durable in the cache, no temp file is left, and the
# exit status is 128 + the signal's number; the rerun pays for none of the
# answers received.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
no_outside_settings

for sig in TERM INT; do
    W=$TMP/w$sig; mkdir -p "$W/docs/web"; make_docs "$W/docs/web/a.jsonl" 60
    start_peer P --latency 0.6
    EP="http://127.0.0.1:$P/v1"
    # INT: a background job of a script ignores SIGINT unless it resets it
    if [ $sig = INT ]; then
        "$PY" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
            $BLALM score --work "$W" --endpoint "$EP" --model m --concurrency 4 -q 2>"$TMP/err" &
    else
        $BLALM score --work "$W" --endpoint "$EP" --model m --concurrency 4 -q 2>"$TMP/err" &
    fi
    pid=$!
    for i in $(seq 100); do [ "$(peer_requests $P)" -ge 6 ] && break; sleep 0.05; done
    kill -$sig $pid
    wait $pid; rc=$?
    at_exit=$(peer_requests $P)
    want=$(( 128 + $(kill -l $sig) ))
    chk=$(cache_check "$W/state/score/cache/score-cache.jsonl")
    tmps=$(find "$W" -name '*.tmp*' | wc -l)
    if [ $rc -eq $want ] && [ "$chk" = "valid $at_exit bad 0" ] && [ "$tmps" = 0 ] && [ "$at_exit" -lt 60 ] \
       && grep -q "interrupted by SIG$sig" "$TMP/err"; then
        pass score_sig${sig,,}_drains
    else
        fail score_sig${sig,,}_drains "rc=$rc (want $want) cache '$chk' for $at_exit requests, $tmps temps: $(head -c 300 "$TMP/err")"
    fi
    # the rerun sends only what was never answered
    peer_control $P '{"latency": 0}'
    $BLALM score --work "$W" --endpoint "$EP" --model m --concurrency 4 -q 2>"$TMP/err"; rc=$?
    total=$(peer_requests $P)
    [ $rc -eq 0 ] && [ "$total" = 60 ] && pass score_sig${sig,,}_rerun_pays_once \
        || fail score_sig${sig,,}_rerun_pays_once "rc=$rc, $total requests in all for 60 documents"
    stop_peers
done

# ---- a second signal during the wait for the requests on the wire ends the run at once ----
W=$TMP/w2nd; mkdir -p "$W/docs/web"; make_docs "$W/docs/web/a.jsonl" 20
start_peer P --latency 4
EP="http://127.0.0.1:$P/v1"
$BLALM score --work "$W" --endpoint "$EP" --model m --concurrency 4 -q 2>"$TMP/err" &
pid=$!
for i in $(seq 100); do [ "$(peer_requests $P)" -ge 4 ] && break; sleep 0.05; done
kill -TERM $pid; sleep 0.3
t0=$(date +%s.%N)
kill -TERM $pid
wait $pid; rc=$?
dt=$("$PY" -c 'import sys, time; print("%.1f" % (time.time() - float(sys.argv[1])))' "$t0")
if [ $rc -eq 143 ] && "$PY" -c 'import sys; sys.exit(float(sys.argv[1]) >= 2.5)' "$dt"; then
    pass score_second_signal_ends_at_once
else
    fail score_second_signal_ends_at_once "rc=$rc, ${dt}s after the second SIGTERM (the answers were 4 s away): $(head -c 300 "$TMP/err")"
fi
stop_peers

# ---- --dry-run stops at SIGTERM at once, not at the end of the corpus ----
W=$TMP/wdry; mkdir -p "$W/docs/web"
"$PY" -c '
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(600000): f.write(json.dumps({"id": "d%d" % i, "text": "A lesson on tides number %d." % i}) + "\n")' "$W/docs/web/a.jsonl"
$BLALM score --work "$W" --endpoint http://127.0.0.1:9/v1 --model m --dry-run -q >"$TMP/out" 2>"$TMP/err" &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid; rc=$?
[ $rc -eq 143 ] && grep -q "interrupted by SIGTERM: the dry run stopped" "$TMP/err" && pass score_dry_run_sigterm_stops \
    || fail score_dry_run_sigterm_stops "rc=$rc $(head -c 300 "$TMP/err")"

# ---- SIGTERM while requests wait in curl for the first connection: those are not sent ----
W=$TMP/wpw; mkdir -p "$W/docs/web"; make_docs "$W/docs/web/a.jsonl" 8
start_peer P --latency 2
EP="http://127.0.0.1:$P/v1"
$BLALM score --work "$W" --endpoint "$EP" --model m --concurrency 4 -q 2>"$TMP/err" &
pid=$!
for i in $(seq 100); do [ "$(peer_requests $P)" -ge 1 ] && break; sleep 0.05; done
sleep 0.2
kill -TERM $pid
wait $pid; rc=$?
sleep 0.3
req=$(peer_requests $P)
[ $rc -eq 143 ] && [ "$req" = 1 ] && grep -q "nothing more was sent" "$TMP/err" && pass score_sigterm_waiting_handles_not_sent \
    || fail score_sigterm_waiting_handles_not_sent "rc=$rc, $req requests reached the server for 1 on the wire: $(head -c 300 "$TMP/err")"
stop_peers

# ---- blalm run: SIGTERM during its score stage ends it as blalm score ends (exit 143, was 1) ----
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$TMP/wrun; mkdir -p "$TMP/rsrc/web"; make_docs "$TMP/rsrc/web/a.jsonl" 40
start_peer P --latency 0.6
cat >"$TMP/run.json" <<JSON
{
  "sources": [{"name": "web", "files": "$TMP/rsrc"}],
  "score": {"endpoint": "http://127.0.0.1:$P/v1", "model": "m", "concurrency": 4},
  "corpora": {"corpora": [{"name": "big", "budget": 1000}], "rules": [], "seed": 0},
  "model": "$ROOT/configs/model-tiny.json",
  "train": {"corpus": "big", "max_steps": 1}
}
JSON
$BLALM run "$TMP/run.json" --work "$W" -q >"$TMP/out" 2>"$TMP/err" &
pid=$!
for i in $(seq 400); do [ "$(peer_requests $P)" -ge 6 ] && break; sleep 0.05; done
kill -TERM $pid
wait $pid; rc=$?
tmps=$(find "$W" -name '*.tmp*' | wc -l)
[ $rc -eq 143 ] && [ "$tmps" = 0 ] && grep -q "blalm run: .*interrupted by SIGTERM" "$TMP/err" && pass run_sigterm_in_score_exits_143 \
    || fail run_sigterm_in_score_exits_143 "rc=$rc, $tmps temps: $(head -c 300 "$TMP/err")"
stop_peers

# ---- blalm run: SIGTERM during its train stage saves latest.bin after the
# current step (it lost every step since the last checkpoint: train's
# stop_on_signal was blalm train's only), exits 143, and the next run resumes
# there and ends with the bytes of an uninterrupted run ----
sed 's/"checkpoint_every": 10,/"checkpoint_every": 100000,/' "$ROOT/configs/model-tiny.json" >"$TMP/tiny-ck.json"
for w in wtrain wtref; do
    cat >"$TMP/$w.json" <<JSON
{
  "sources": [{"name": "web", "files": "$TMP/rsrc"}],
  "corpora": {"corpora": [{"name": "big", "budget": 1000}], "rules": [], "seed": 0},
  "model": "$TMP/tiny-ck.json",
  "train": {"corpus": "big", "max_steps": 4000, "threads": 1}
}
JSON
done
W=$TMP/wtrain
$BLALM run "$TMP/wtrain.json" --work "$W" -q >"$TMP/out" 2>"$TMP/err" &
pid=$!
for i in $(seq 6000); do   # up to 5 minutes (the sanitizer build)
    [ -f "$W/model/log.jsonl" ] && [ "$(grep -c '"loss"' "$W/model/log.jsonl")" -ge 30 ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
done
kill -TERM $pid
wait $pid; rc=$?
st=$(grep -o 'interrupted by SIGTERM after step [0-9]* of 4000' "$TMP/err" | awk '{print $6}')
$BLALM run "$TMP/wtrain.json" --work "$W" >"$TMP/out2" 2>&1; rc2=$?
$BLALM run "$TMP/wtref.json" --work "$TMP/wtref" -q >/dev/null 2>&1
if [ $rc -eq 143 ] && [ -n "$st" ] && [ "$st" -lt 4000 ] && [ $rc2 = 0 ] &&
   grep -q "resuming from" "$TMP/out2" && cmp -s "$W/model/checkpoints/latest.bin" "$TMP/wtref/model/checkpoints/latest.bin"; then
    pass run_sigterm_in_train_saves_and_resumes
else
    fail run_sigterm_in_train_saves_and_resumes "rc=$rc step '$st' rerun rc=$rc2: $(head -c 300 "$TMP/err") | $(grep -i 'train' "$TMP/out2" | head -3)"
fi
# the message names the stage once ("blalm run: train: train: interrupted" before)
grep -q '^blalm run: train: interrupted by SIGTERM after step' "$TMP/err" && pass run_sigterm_in_train_names_stage_once \
    || fail run_sigterm_in_train_names_stage_once "$(grep interrupted "$TMP/err")"
