# score_helpers.bash - shared by tests/e2e/score_*.sh and tests/bench/score.sh
# (sourced after tests/lib.sh; not a test itself: run.sh only picks *.sh).
PEER_PY=$(cd "$(dirname "${BASH_SOURCE[0]}")/../peers" && pwd)/openai.py
PEER_PIDS=()

# no_outside_settings: none of the user's credentials, endpoints or proxies
# reach the test (the secrets tests set their own); no retry waits.
no_outside_settings() {
    unset OPENAI_API_KEY OPENAI_BASE_URL HF_TOKEN HF_ENDPOINT
    unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
    export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
    export BLALM_DELAY_SCALE=0
}

# start_peer VAR ARGS...: starts the stand-in endpoint, sets VAR to its port.
# It is stopped by the EXIT trap below (bash runs it on INT and TERM too), and
# exits by itself when this shell is gone (--parent-pid: after a SIGKILL no
# trap runs).
start_peer() {
    local var=$1; shift
    local f="$TMP/peer.$RANDOM$RANDOM"
    "$PY" "$PEER_PY" --parent-pid $$ "$@" >"$f" 2>"$f.err" &
    PEER_PIDS+=($!)
    local i
    for i in $(seq 200); do [ -s "$f" ] && break; sleep 0.05; done
    [ -s "$f" ] || { echo "FAIL peer: did not start: $(cat "$f.err")"; exit 1; }
    printf -v "$var" '%s' "$(head -1 "$f")"
}
stop_peers() {
    local p
    for p in "${PEER_PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    PEER_PIDS=()
}
trap 'stop_peers; rm -rf "$TMP"' EXIT

peer_get() { curl -s --max-time 5 "http://127.0.0.1:$1$2"; }
peer_control() { curl -s --max-time 5 -X POST -H 'Content-Type: application/json' -d "$2" "http://127.0.0.1:$1/v1/control" >/dev/null; }
peer_requests() { peer_get "$1" /stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }

# attrs FILE: the decompressed edu_llm lines
attrs() { zstd -dcq "$1"; }

# make_docs FILE N [PREFIX]: N synthetic documents, some with non-ASCII text
make_docs() {
    "$PY" - "$1" "$2" "${3:-d}" <<'EOF'
import json, sys
path, n, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
words = ["river", "école", "photosynthesis", "map", "fraction", "poem", "Ωmega", "volcano", "東京", "history"]
with open(path, "w", encoding="utf-8") as f:
    for i in range(n):
        text = " ".join(words[(i * 7 + k * 3) % len(words)] for k in range(20 + i % 40))
        f.write(json.dumps({"id": "%s%d" % (prefix, i), "text": "Document %s%d. %s." % (prefix, i, text)}, ensure_ascii=False) + "\n")
EOF
}

# cache_check FILE: prints "valid N bad M" and the text_sha256 of valid records to FILE.shas
cache_check() {
    "$PY" - "$1" <<'EOF'
import json, sys, zlib
path = sys.argv[1]
valid = bad = 0
shas = []
head = b'{"crc32":"'
with open(path, "rb") as f:
    data = f.read()
lines = data.split(b"\n")
tail = lines.pop()          # after the last newline: empty unless torn
if tail:
    bad += 1
for line in lines:
    if not line:
        continue
    ok = line.startswith(head) and line[18:26] == b'","rec":' and line.endswith(b"}")
    if ok:
        rec = line[26:-1]
        ok = "%08x" % zlib.crc32(rec) == line[10:18].decode()
    if ok:
        valid += 1
        shas.append(json.loads(rec)["text_sha256"])
    else:
        bad += 1
with open(path + ".shas", "w") as f:
    f.write("\n".join(shas))
print("valid", valid, "bad", bad)
EOF
}
