#!/usr/bin/env bash
# blalm score against the loopback stand-in answering in 100 ms, --concurrency 64:
# requests per second, the ratio to the ideal 640/s (goal >= 0.95), and the
# client's CPU time per request. The same peer is driven in the same run by
# `curl --parallel --parallel-max 64` with bodies of the same size, so a
# peer that cannot keep up on a busy machine shows in that figure too.
# Both sides must have done N requests: blalm's attribute file must hold N
# answered lines (a score, a latency, no error) and curl must report N
# transfers with HTTP 200; the bench fails otherwise.
set -u
BLALM=${BLALM_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/bin/blalm}
PY=/usr/bin/python3
PEER=$(cd "$(dirname "$0")/../peers" && pwd)/openai.py
N=${SCORE_BENCH_DOCS:-3000}
. "$(dirname "$0")/lib.bash"
TMP=$(mktemp -d); PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
unset OPENAI_API_KEY OPENAI_BASE_URL

"$PY" "$PEER" --latency 0.1 --workers 4 >"$TMP/port" 2>"$TMP/peer.err" & PID=$!
for _ in $(seq 200); do [ -s "$TMP/port" ] && break; sleep 0.05; done
PORT=$(head -1 "$TMP/port")
[ -n "$PORT" ] || bench_fail peer "tests/peers/openai.py did not start: $(cat "$TMP/peer.err")"

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
[ $? = 0 ] || bench_fail setup "writing the documents"
for i in $(seq "$N"); do
    [ "$i" -gt 1 ] && echo next
    printf 'url = "http://127.0.0.1:%s/v1/chat/completions"\ndata-binary = "@%s"\nheader = "Content-Type: application/json"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' "$PORT" "$TMP/body.json"
done >"$TMP/curl.cfg"

TIMEFORMAT='%R %U %S'
# warm-up (connections, page cache), not counted
"$BLALM" score --work "$TMP/warm" --docs "$TMP/w/docs" --endpoint "http://127.0.0.1:$PORT/v1" --model warm --concurrency 64 -q --max-requests 200 2>"$TMP/warm.err" ||
    bench_fail blalm "score (warm-up): $(cat "$TMP/warm.err")"

{ time curl -s --fail --parallel --parallel-max 64 -K "$TMP/curl.cfg" >"$TMP/codes" 2>"$TMP/curl.err"; echo "rc $?" >"$TMP/rc.curl"; } 2>"$TMP/t.curl"
{ time "$BLALM" score --work "$TMP/w" --endpoint "http://127.0.0.1:$PORT/v1" --model bench --concurrency 64 -q; } 2>"$TMP/t.blalm"
grep -q '^rc 0$' "$TMP/rc.curl" || bench_fail peer "curl $(cat "$TMP/rc.curl"): $(head -3 "$TMP/curl.err")"
tail -1 "$TMP/t.blalm" | grep -q '^[0-9.]* [0-9.]* [0-9.]*$' && [ "$(wc -l <"$TMP/t.blalm")" = 1 ] \
    || bench_fail blalm "score: $(cat "$TMP/t.blalm")"
read -r cw _ _ <"$TMP/t.curl"
read -r bw bu bs <"$TMP/t.blalm"
for x in "$cw" "$bw"; do bench_pos time "wall seconds" "$x"; done
# the work each side did: curl's transfers answered 200, blalm's documents
# answered (a score and a latency, no error)
c=$(grep -c '^200$' "$TMP/codes")
[ "$c" = "$N" ] || bench_fail peer "curl: $c of $N transfers answered HTTP 200"
read -r b lat < <(zstd -dcq "$TMP/w/attributes/edu_llm/web/bench.jsonl.zst" | "$PY" -c '
import json, sys
v = [json.loads(l)["edu_llm"] for l in sys.stdin]
ok = [x["latency_ms"] for x in v if x.get("score") is not None and x.get("latency_ms") is not None and x.get("error") is None]
# mean latency the client saw per request (peer time + transport): 64 / that is
# what a client that always keeps 64 requests in flight would reach
print(len(ok), sum(ok) / len(ok) / 1000 if ok else 0)')
[ "${b:-0}" = "$N" ] || bench_fail blalm "${b:-0} of $N documents answered (attribute lines with a score, no error)"
bench_same "requests answered" "$b" "$c"
bench_pos blalm "mean latency" "$lat"
awk -v c="$c" -v b="$b" -v lat="$lat" -v cw="$cw" -v bw="$bw" -v bu="$bu" -v bs="$bs" 'BEGIN{
    printf "peer: tests/peers/openai.py, 4 worker processes, 100 ms per answer\n";
    printf "blalm score (--concurrency 64, peer latency 100 ms): %d requests in %.2f s = %.0f req/s; ideal 640/s; ratio %.3f (goal >= 0.95)\n", b, bw, b/bw, b/bw/640;
    printf "client CPU: %.3f ms per request (user %.2f s + sys %.2f s)\n", (bu+bs)*1000/b, bu, bs;
    printf "curl --parallel-max 64 on the same peer, same run: %d requests in %.2f s = %.0f req/s; ratio to ideal %.3f\n", c, cw, c/cw, c/cw/640;
    printf "blalm / curl: %.3f\n", (b/bw)/(c/cw);
    printf "mean latency seen by blalm: %.1f ms; occupancy (req/s over 64/latency): %.3f\n", lat*1000, (b/bw)/(64/lat) }'
