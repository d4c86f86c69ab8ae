# Sourced by every tests/bench/*.sh (not a bench: run.sh runs *.sh only).
# A bench must not print a figure, a ratio or "goal: met" from a side that
# failed: a failed blalm call or peer call, or a figure that did not parse,
# used to come out as inf/0.00/nan and exit 0, so `make bench` passed on a
# broken build. These helpers end the bench instead, with
# "FAIL <side>: <what>" and exit status 1, before any ratio is printed.
set -o pipefail
# the bench's own stdout, kept for bench_fail: its message must be seen even
# when it fires inside a command whose output goes to a file
exec {BENCH_STDOUT}>&1

# bench_fail SIDE WHAT...: print "FAIL SIDE: WHAT" and end the bench.
bench_fail() {
    local side=$1; shift
    echo "FAIL $side: $*" >&"$BENCH_STDOUT"
    exit 1
}

# bench_run SIDE WHAT CMD...: run CMD (its output goes where the caller's
# does); fail the bench with its exit status if it fails.
bench_run() {
    local side=$1 what=$2 rc; shift 2
    "$@"; rc=$?
    [ $rc = 0 ] || bench_fail "$side" "$what (exit $rc)"
}

# bench_pos SIDE WHAT VALUE: fail unless VALUE is a positive finite decimal
# number (what every division below it needs).
bench_pos() {
    if ! [[ "$3" =~ ^[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?$ ]] || ! awk -v x="$3" 'BEGIN { exit !(x + 0 > 0) }'; then
        bench_fail "$1" "$2: '$3' is not a positive number"
    fi
}

# bench_same WHAT OURS PEER: the two sides must have done the same work
# (equal word, row, request or document counts).
bench_same() {
    [ "$2" = "$3" ] || bench_fail "mismatch" "$1: blalm $2, peer $3"
}

# bench_best VAR SIDE CMD...: the best (least) of 3 wall times of CMD, in
# seconds, stored in VAR. Not meant for $(...): there a failure of CMD would
# end only the subshell (fetch.sh's figures were then empty, read as 0).
# CMD's stdout is dropped.
bench_best() {
    local var=$1 side=$2 b=999999 t0 t1 rc; shift 2
    for _ in 1 2 3; do
        t0=$(date +%s.%N); "$@" >/dev/null; rc=$?; t1=$(date +%s.%N)
        [ $rc = 0 ] || bench_fail "$side" "$* (exit $rc)"
        b=$(awk -v a="$b" -v x="$t0" -v y="$t1" 'BEGIN{c=y-x; print (c<a)?c:a}')
    done
    printf -v "$var" '%s' "$b"
}

# bench_cpu VAR SIDE CMD...: the best (least) of 3 CPU times (user + sys, by
# /usr/bin/time) of CMD, in seconds, stored in VAR: for a machine shared
# with other work, where wall times are the load's. CMD's stdout is dropped.
bench_cpu() {
    local var=$1 side=$2 b=999999 t rc; shift 2
    t=$(mktemp)
    for _ in 1 2 3; do
        /usr/bin/time -f "%U %S" -o "$t" "$@" >/dev/null 2>"$t.err"; rc=$?
        [ $rc = 0 ] || bench_fail "$side" "$* (exit $rc): $(tail -3 "$t.err")"
        b=$(awk -v a="$b" '{c = $1 + $2; print (c < a) ? c : a}' "$t")
    done
    rm -f "$t" "$t.err"
    printf -v "$var" '%s' "$b"
}

# For cat.sh and shard.sh (a command writing every document as one JSON line,
# beside `zstd -dc | cat_peer.py write`), with $TMP and $here set:
# bench_json_input COPIES: f=$TMP/bench.jsonl.zst, the 2,100 FineWeb documents
# of ../shared/data COPIES times, json= its bytes of JSON; without the shared
# data prints "skip: ..." and ends the bench (exit 0).
bench_json_input() {
    local src=${BLALM_SHARED_DATA:-}/fineweb-legal.jsonl.zst i
    if [ ! -f "$src" ]; then
        echo "skip: ../shared/data/fineweb-legal.jsonl.zst not found"
        exit 0
    fi
    f=$TMP/bench.jsonl.zst
    for i in $(seq "$1"); do zstd -dc "$src"; done | zstd -q -3 -o "$f" || bench_fail setup "making the input"
    json=$(zstd -dc "$f" | wc -c)
    bench_pos setup "bytes of JSON" "$json"
    echo "input: fineweb-legal.jsonl.zst (2,100 real FineWeb documents) x$1, $(awk -v b="$json" 'BEGIN{printf "%.1f", b/1e6}') MB of JSON lines"
}

# bench_json_same WHAT OURS PEER COPIES: the two outputs hold the same
# documents in the same order, compared parsed (cat_peer.py compare), 2,100 x
# COPIES of them (docs= their count); both files are removed.
bench_json_same() {
    local r
    r=$(/usr/bin/python3 "$here/cat_peer.py" compare "$2" "$3" 2>&1) || bench_fail mismatch "$1 and the peer: $r"
    read -r docs _ <<<"$r"
    bench_pos blalm "documents" "$docs"
    bench_same "documents" "$docs" "$((2100 * $4))"
    rm -f "$2" "$3"
}

# bench_json_figures OURS_LABEL PEER_LABEL: MB of JSON per CPU second of
# both sides ($json, $docs, $ours, $theirs) and the ratio.
bench_json_figures() {
    bench_pos blalm "CPU seconds" "$ours"; bench_pos peer "CPU seconds" "$theirs"
    awk -v b="$json" -v n="$docs" -v o="$ours" -v p="$theirs" -v l="$1" -v pl="$2" 'BEGIN{
        printf "%s%*.1f MB of JSON per CPU-s (%.2f CPU-s, %d documents; best of 3)\n", l, 42 - length(l), b/o/1e6, o, n;
        printf "%s%*.1f MB of JSON per CPU-s (%.2f CPU-s, the same documents; best of 3)\n", pl, 42 - length(pl), b/p/1e6, p;
        printf "ratio (peer time / ours): %.2f\n", p/o }'
}
