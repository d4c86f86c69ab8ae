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
