#!/usr/bin/env bash
# blalm fetch vs the curl command line: ~200 MB in 8 files from the loopback
# Hub stand-in (tests/peers/hub.py), 4 transfers at once each, same run.
# Ours also lists, HEADs each file, hashes (sha256), fsyncs and renames;
# curl follows the redirects and writes (timed with and without a `sync` of
# its files). Best of 3 wall times; the machine is shared, so it is noisy.
# Every file either side wrote is compared with the served bytes (cmp).
set -u
BLALM=${BLALM_BIN:?}
PY=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.bash"
TMP=$(mktemp -d)
HUB_PID=
trap '[ -n "$HUB_PID" ] && kill $HUB_PID 2>/dev/null; rm -rf "$TMP"' EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy HF_TOKEN HUGGING_FACE_HUB_TOKEN
export HF_HUB_DISABLE_IMPLICIT_TOKEN=1   # not the token `hf auth login` saved either
export BLALM_PROGRESS_SECONDS=3600
repo=$TMP/repo; mkdir -p "$repo/sample/10BT"
nfiles=8; mb=25
for i in $(seq 0 $((nfiles - 1))); do
    head -c $((mb * 1000000)) /dev/urandom >"$repo/sample/10BT/000_0000$i.parquet"
done
"$PY" "$here/../peers/hub.py" --root "$repo" >"$TMP/port" 2>/dev/null &
HUB_PID=$!
for _ in $(seq 200); do [ -s "$TMP/port" ] && break; sleep 0.05; done
export HF_ENDPOINT=http://127.0.0.1:$(head -1 "$TMP/port")
[ -n "$(head -1 "$TMP/port")" ] || bench_fail peer "the Hub stand-in (tests/peers/hub.py) did not start"
bytes=$((nfiles * mb * 1000000))

run_ours() { rm -rf "$TMP/o"; "$BLALM" fetch --repo HuggingFaceFW/fineweb-edu --path sample/10BT --jobs 4 -q --out "$TMP/o"; }
run_curl() {
    rm -rf "$TMP/c"; mkdir -p "$TMP/c"
    local args=() i
    for i in $(seq 0 $((nfiles - 1))); do
        args+=(-o "$TMP/c/$i" "$HF_ENDPOINT/datasets/HuggingFaceFW/fineweb-edu/resolve/main/sample/10BT/000_0000$i.parquet")
    done
    curl -sSfL --no-progress-meter --parallel --parallel-max 4 "${args[@]}"
}
# like for like: ours fsyncs each verified file before renaming it
run_curl_sync() { run_curl && sync "$TMP"/c/*; }
# each side's files must be the served bytes, all of them
same_files() { # SIDE DIR NAME-OF-FILE-i
    local i
    for i in $(seq 0 $((nfiles - 1))); do
        cmp -s "$repo/sample/10BT/000_0000$i.parquet" "$(printf "$3" "$2" "$i")" ||
            bench_fail mismatch "$1: file $i is not the served bytes"
    done
}
bench_best ours blalm run_ours
same_files "blalm fetch" "$TMP/o" '%s/sample/10BT/000_0000%s.parquet'
bench_best peer peer run_curl_sync
same_files "curl" "$TMP/c" '%s/%s'
bench_best raw peer run_curl
same_files "curl" "$TMP/c" '%s/%s'
for x in "$ours" "$peer" "$raw"; do bench_pos time "wall seconds" "$x"; done
awk -v b="$bytes" -v o="$ours" -v p="$peer" -v r="$raw" -v n="$nfiles" 'BEGIN{
    printf "blalm fetch (sha256-verified, fsynced): %7.1f MB/s (%.2f s for %d files, %.0f MB)\n", b/o/1e6, o, n, b/1e6;
    printf "curl --parallel -L, then sync FILES:    %7.1f MB/s (%.2f s)\n", b/p/1e6, p;
    printf "curl --parallel -L (page cache only):   %7.1f MB/s (%.2f s)\n", b/r/1e6, r;
    printf "ratio (curl+sync time / ours): %.2f   (curl alone / ours: %.2f)\n", p/o, r/o }'
