#!/usr/bin/env bash
# blalm score against the loopback stand-in answering in 100 ms, --concurrency 64:
# requests per second, the ratio to the ideal 640/s (goal >= 0.95), and the
# client's CPU time per request. The same peer is driven in the same run by
# `curl --parallel --parallel-max 64` with bodies of the same size, so a
# peer that cannot keep up on a busy machine shows in that figure too.
set -u
BLALM=${BLALM_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/bin/blalm}
PY=/usr/bin/python3
PEER=$(cd "$(dirname "$0")/../peers" && pwd)/openai.py
N=${SCORE_BENCH_DOCS:-3000}
TMP=$(mktemp -d); PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
unset OPENAI_API_KEY OPENAI_BASE_URL

"$PY" "$PEER" --latency 0.1 --workers 4 >"$TMP/port" 2>"$TMP/peer.err" & PID=$!
for _ in $(seq 200); do [ -s "$TMP/port" ] && break; sleep 0.05; done
PORT=$(head -1 "$TMP/port")
[ -n "$PORT" ] || { echo "score bench: the peer did not start: $(cat "$TMP/peer.err")"; exit 1; }

mkdir -p "$TMP/w/docs/web"
"$PY" - "$TMP/w/docs/web/bench.jsonl" "$N" "$TMP/body.json" <<'EOF'
import json, sys
path, n, body = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "w") as f:
    for i in range(n):
        text = ("Document %d: rivers carry water from the hills to the sea, and maps show where. " % i) * 14
        f.write(json.dumps({"id": "b%d" % i, "text": text[:1000]}) + "\n")
# the reference client's body: as long as the built-in rubric around 1,000 characters
prompt = "x" * 2900
json.dump({"model": "bench", "messages": [{"role": "user", "content": prompt}], "temperature": 0,
           "max_tokens": 512}, open(body, "w"))
EOF
for i in $(seq "$N"); do
    [ "$i" -gt 1 ] && echo next
    printf 'url = "http://127.0.0.1:%s/v1/chat/completions"\ndata-binary = "@%s"\nheader = "Content-Type: application/json"\noutput = "/dev/null"\n' "$PORT" "$TMP/body.json"
done >"$TMP/curl.cfg"

TIMEFORMAT='%R %U %S'
# warm-up (connections, page cache), not counted
"$BLALM" score --work "$TMP/warm" --docs "$TMP/w/docs" --endpoint "http://127.0.0.1:$PORT/v1" --model warm --concurrency 64 -q --max-requests 200 2>/dev/null

{ time curl -s --fail --parallel --parallel-max 64 -K "$TMP/curl.cfg" >/dev/null 2>&1; echo "rc $?"; } 2>"$TMP/t.curl" >"$TMP/rc.curl"
{ time "$BLALM" score --work "$TMP/w" --endpoint "http://127.0.0.1:$PORT/v1" --model bench --concurrency 64 -q; } 2>"$TMP/t.blalm"
grep -q '^rc 0$' "$TMP/rc.curl" || echo "score bench: curl reported failed transfers"
tail -1 "$TMP/t.blalm" | grep -q '^[0-9.]* [0-9.]* [0-9.]*$' && [ "$(wc -l <"$TMP/t.blalm")" = 1 ] \
    || { echo "score bench: blalm score failed: $(cat "$TMP/t.blalm")"; exit 1; }
read -r cw _ _ <"$TMP/t.curl"
read -r bw bu bs <"$TMP/t.blalm"
# mean latency the client saw per request (peer time + transport): 64 / that is
# what a client that always keeps 64 requests in flight would reach
lat=$(zstd -dcq "$TMP/w/attributes/edu_llm/web/bench.jsonl.zst" | "$PY" -c '
import json, sys
v = [json.loads(l)["edu_llm"]["latency_ms"] for l in sys.stdin]
print(sum(v) / len(v) / 1000)')
awk -v c="$N" -v b="$N" -v lat="$lat" -v cw="$cw" -v bw="$bw" -v bu="$bu" -v bs="$bs" 'BEGIN{
    printf "peer: tests/peers/openai.py, 4 worker processes, 100 ms per answer\n";
    printf "blalm score (--concurrency 64, peer latency 100 ms): %d requests in %.2f s = %.0f req/s; ideal 640/s; ratio %.3f (goal >= 0.95)\n", b, bw, b/bw, b/bw/640;
    printf "client CPU: %.3f ms per request (user %.2f s + sys %.2f s)\n", (bu+bs)*1000/b, bu, bs;
    printf "curl --parallel-max 64 on the same peer, same run: %d requests in %.2f s = %.0f req/s; ratio to ideal %.3f\n", c, cw, c/cw, c/cw/640;
    printf "blalm / curl: %.3f\n", (b/bw)/(c/cw);
    printf "mean latency seen by blalm: %.1f ms; occupancy (req/s over 64/latency): %.3f\n", lat*1000, (b/bw)/(64/lat) }'
