#!/usr/bin/env bash
# blalm count over a jsonl.zst of real text, same run, beside the peer that
# does the same work: `zstd -dc FILE | python3` summing len(text.split()) of
# each document (README's word: str.split), whose word count must equal
# blalm's (the bench fails otherwise). `zstd -dc FILE | LC_ALL=C wc -w` is
# printed too, as a floor: it counts the raw JSON lines (ids, keys, "\n"
# escapes), not the texts' words, so its count is not compared.
# COUNT_BENCH_COPIES (default 10) copies of the 2,100 documents (14.8 MB).
set -u
BLALM=${BLALM_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.bash"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
src=${BLALM_SHARED_DATA:-}/fineweb-legal.jsonl.zst
# ~150 MB of text: the real FineWeb documents replicated (factor printed), or
# Debian's own documentation when ../shared/data is absent.
if [ -f "$src" ]; then
    factor=${COUNT_BENCH_COPIES:-10}
    for i in $(seq $factor); do zstd -dc "$src"; done | zstd -q -3 -o "$TMP/bench.jsonl.zst" || bench_fail setup "making the input"
    echo "input: fineweb-legal.jsonl.zst (2,100 real FineWeb documents) replicated x$factor"
else
    /usr/bin/python3 - "$TMP/bench.jsonl" <<'PYEOF'
import json, os, sys, gzip
out = open(sys.argv[1], "w", encoding="utf-8"); n = 0
for root, _, files in os.walk("/usr/share/doc"):
    for f in files:
        p = os.path.join(root, f)
        try:
            t = gzip.open(p).read() if f.endswith(".gz") else open(p, "rb").read()
            t = t.decode("utf-8")
        except Exception:
            continue
        out.write(json.dumps({"id": p, "text": t}) + "\n"); n += len(t)
        if n > 150e6: break
PYEOF
    zstd -q -3 --rm "$TMP/bench.jsonl" -o "$TMP/bench.jsonl.zst" || bench_fail setup "making the input"
    echo "input: text files under /usr/share/doc (../shared/data absent)"
fi
f=$TMP/bench.jsonl.zst
bench_run blalm "count --json" "$BLALM" count --json -q "$f" >"$TMP/c"
bytes=$(tail -1 "$TMP/c" | sed -n 's/.*"bytes":\([0-9]*\).*/\1/p')
words=$(tail -1 "$TMP/c" | sed -n 's/.*"words":\([0-9]*\).*/\1/p')
bench_pos blalm "bytes of text" "$bytes"
bench_pos blalm "words" "$words"
# README's word: what str.split() separates (Unicode whitespace, not only ASCII)
peer_split() {
    zstd -dc "$f" | /usr/bin/python3 -c '
import json, sys
print(sum(len(json.loads(l)["text"].split()) for l in sys.stdin))'
}
bench_run peer "python3 str.split count" peer_split >"$TMP/p"
bench_same "words" "$words" "$(cat "$TMP/p")"
bench_best ours blalm "$BLALM" count -q "$f"
bench_best peer peer peer_split
# wc -w in the C locale: its fastest; the JSON lines' words, not the texts'
bench_best floor "zstd | wc -w" sh -c "zstd -dc '$f' | LC_ALL=C wc -w"
for x in "$ours" "$peer" "$floor"; do bench_pos time "wall seconds" "$x"; done
awk -v b="$bytes" -v w="$words" -v o="$ours" -v p="$peer" -v fl="$floor" 'BEGIN{
    printf "blalm count:                      %7.1f MB/s of text (%.2f s for %.1f MB, %d words)\n", b/o/1e6, o, b/1e6, w;
    printf "zstd -dc | python3 str.split:     %7.1f MB/s of text (%.2f s, the same %d words)\n", b/p/1e6, p, w;
    printf "ratio (peer time / ours): %.2f  (goal >= 1.0)\n", p/o;
    printf "floor, zstd -dc | LC_ALL=C wc -w: %7.1f MB/s (%.2f s; counts the JSON lines, not compared); its time / ours: %.2f\n", b/fl/1e6, fl, fl/o }'
