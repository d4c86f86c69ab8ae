#!/usr/bin/env bash
# SIGKILL `blalm score` at random moments, rerun, and check that
#  - the final attributes equal an uninterrupted run's (latency_ms aside), and
#  - the endpoint never got a second request for a document whose answer
#    was stored (in the cache, crc-valid) before the process died.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
unset OPENAI_API_KEY OPENAI_BASE_URL
TRIALS=${SCORE_KILL_TRIALS:-6}

mkdir -p "$TMP/docs/web"
if need_shared && [ -f "$SHARED_DATA/fineweb-legal.jsonl.zst" ]; then
    zstd -dcq "$SHARED_DATA/fineweb-legal.jsonl.zst" | head -400 >"$TMP/docs/web/legal.jsonl"
    src="400 real documents"
else
    make_docs "$TMP/docs/web/legal.jsonl" 400 k
    src="400 synthetic documents (no shared data)"
fi
make_docs "$TMP/docs/web/more.jsonl" 150 m

# the reference: one uninterrupted run against its own peer
start_peer PA --latency 0.05
A=$TMP/a; mkdir -p "$A"; cp -r "$TMP/docs" "$A/"
if ! $BLALM score --work "$A" --endpoint "http://127.0.0.1:$PA/v1" --model m --concurrency 8 -q 2>"$TMP/err"; then
    fail score_kill_reference "$(cat "$TMP/err")"; exit 0
fi

start_peer PB --latency 0.05
B=$TMP/b; mkdir -p "$B"; cp -r "$TMP/docs" "$B/"
CACHE=$B/state/score/cache/score-cache.jsonl
# check STORED BEFORE AFTER NEXT: counts stored documents requested again
# between the two peer snapshots, then lists what the cache holds now
# (crc-valid records) into NEXT
check() {
    "$PY" - "$CACHE" "$@" <<'EOF'
import json, os, sys, zlib
cache, stored_f, before_f, after_f, next_f = sys.argv[1:6]
stored = [l for l in open(stored_f).read().split("\n") if l]
before = json.load(open(before_f))["by_text"]
after = json.load(open(after_f))["by_text"]
print(sum(1 for s in stored if after.get(s, 0) != before.get(s, 0)))
shas = []
if os.path.exists(cache):
    for line in open(cache, "rb").read().split(b"\n"):
        if line.startswith(b'{"crc32":"') and line[18:26] == b'","rec":' and line.endswith(b"}"):
            rec = line[26:-1]
            if "%08x" % zlib.crc32(rec) == line[10:18].decode():
                shas.append(json.loads(rec)["text_sha256"])
open(next_f, "w").write("\n".join(shas))
EOF
}
violations=0 kills=0
: >"$TMP/stored.0"
peer_get "$PB" /stats >"$TMP/snap.0"
for t in $(seq "$TRIALS"); do
    $BLALM score --work "$B" --endpoint "http://127.0.0.1:$PB/v1" --model m --concurrency 8 -q 2>/dev/null &
    pid=$!
    sleep "0.$(( RANDOM % 45 + 5 ))"
    if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
    wait "$pid" 2>/dev/null
    peer_get "$PB" /stats >"$TMP/snap.$t"
    v=$(check "$TMP/stored.$((t - 1))" "$TMP/snap.$((t - 1))" "$TMP/snap.$t" "$TMP/stored.$t")
    violations=$((violations + v))
done
# finish the job
$BLALM score --work "$B" --endpoint "http://127.0.0.1:$PB/v1" --model m --concurrency 8 -q 2>"$TMP/err"; rc=$?
peer_get "$PB" /stats >"$TMP/snap.final"
v=$(check "$TMP/stored.$TRIALS" "$TMP/snap.$TRIALS" "$TMP/snap.final" "$TMP/stored.final")
violations=$((violations + v))
[ $rc -eq 0 ] || { fail score_kill_resume "final run rc=$rc: $(cat "$TMP/err")"; exit 0; }
stored_before_last=$(grep -c . "$TMP/stored.$TRIALS")

same=1
for f in legal more; do
    if ! cmp -s <(attrs "$A/attributes/edu_llm/web/$f.jsonl.zst" | sed 's/"latency_ms":[0-9]*,//') \
                <(attrs "$B/attributes/edu_llm/web/$f.jsonl.zst" | sed 's/"latency_ms":[0-9]*,//'); then same=0; fi
done
total=$(peer_requests "$PB")
left=$(find "$B/attributes" -name '.*.tmp.*' | wc -l)
[ "$left" = 0 ] && pass score_kill_no_temp_files_left || fail score_kill_no_temp_files_left "$left temporary files of killed runs remain"

[ $same = 1 ] && pass score_kill_attributes_equal || fail score_kill_attributes_equal "attributes differ from the uninterrupted run"
[ $violations = 0 ] && pass score_kill_never_resends_stored \
    || fail score_kill_never_resends_stored "$violations stored documents were requested again"
echo "# $kills of $TRIALS trials killed mid-run ($src + 150 synthetic); peer saw $total requests for 550 documents; $stored_before_last answers stored before the last run"
# at most the requests in flight (--concurrency 8) are lost per kill
[ "$total" -le $((550 + 8 * kills)) ] && pass score_kill_loses_only_in_flight \
    || fail score_kill_loses_only_in_flight "$total requests for 550 documents and $kills kills"
[ "$kills" -ge 5 ] && pass score_kill_trials || fail score_kill_trials "only $kills of $TRIALS runs were still running when killed"
