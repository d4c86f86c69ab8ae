# tests/peers/hub_lib.sh - start/stop the loopback Hub stand-in (hub.py) from
# e2e scripts; sourced after tests/lib.sh. Not a test itself.
PEERS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
unset HF_TOKEN
HUB_PID=
trap 'stop_hub; rm -rf "$TMP"' EXIT

# start_hub ROOT [hub.py flags...]: sets HUB_PID and exports HF_ENDPOINT.
start_hub() {
    local root=$1; shift
    stop_hub
    : >"$TMP/hub.port"
    "$PY" "$PEERS/hub.py" --root "$root" "$@" >"$TMP/hub.port" 2>"$TMP/hub.err" &
    HUB_PID=$!
    local i
    for i in $(seq 200); do [ -s "$TMP/hub.port" ] && break; sleep 0.05; done
    export HF_ENDPOINT="http://127.0.0.1:$(head -1 "$TMP/hub.port")"
}
stop_hub() {
    if [ -n "$HUB_PID" ]; then kill "$HUB_PID" 2>/dev/null; wait "$HUB_PID" 2>/dev/null; HUB_PID=; fi
    return 0
}
# hub_stat KEY [FILE]: a request counter of the running peer.
hub_stat() {
    "$PY" - "$HF_ENDPOINT/_control/stats" "$@" <<'PYEOF'
import json, sys, urllib.request
d = json.load(urllib.request.urlopen(sys.argv[1]))
print(d["files"].get(sys.argv[3], {}).get(sys.argv[2], 0) if len(sys.argv) > 3 else d[sys.argv[2]])
PYEOF
}
# hub_rescan: the running peer reads its root again (the repo changed upstream).
hub_rescan() {
    "$PY" -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=b"", method="POST")).read()' \
        "$HF_ENDPOINT/_control/rescan"
}
# make_repo DIR: a small repo with files of several sizes under sample/10BT
# (random bytes: download tests need no real parquet) and one outside it.
make_repo() {
    local d=$1
    mkdir -p "$d/sample/10BT/sub" "$d/data/CC-MAIN-2024-10"
    head -c 1500000 /dev/urandom >"$d/sample/10BT/000_00000.parquet"
    head -c 300001 /dev/urandom >"$d/sample/10BT/000_00001.parquet"
    head -c 1 /dev/urandom >"$d/sample/10BT/000_00002.parquet"
    head -c 70000 /dev/urandom >"$d/sample/10BT/sub/extra.bin"
    head -c 1000 /dev/urandom >"$d/data/CC-MAIN-2024-10/train-00000-of-00001.parquet"
}
# cmp_tree SRC DST PATH...: every PATH identical in both.
cmp_tree() {
    local s=$1 d=$2; shift 2
    local p
    for p in "$@"; do cmp -s "$s/$p" "$d/$p" || { echo "differs: $p"; return 1; }; done
}
FETCH_REPO=HuggingFaceFW/fineweb-edu
