#!/usr/bin/env bash
# blalm count over a jsonl.zst of real text vs `zstd -dc FILE | wc -w`, same run.
set -u
BLALM=${BLALM_BIN:?}
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
src=${BLALM_SHARED_DATA:-}/fineweb-legal.jsonl.zst
# ~150 MB of text: the real FineWeb documents replicated (factor printed), or
# Debian's own documentation when ../shared/data is absent.
if [ -f "$src" ]; then
    factor=10
    for i in $(seq $factor); do zstd -dc "$src"; done | zstd -q -3 -o "$TMP/bench.jsonl.zst"
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
    zstd -q -3 --rm "$TMP/bench.jsonl" -o "$TMP/bench.jsonl.zst"
    echo "input: text files under /usr/share/doc (../shared/data absent)"
fi
f=$TMP/bench.jsonl.zst
"$BLALM" count --json -q "$f" >"$TMP/c" || exit 1
bytes=$(tail -1 "$TMP/c" | sed 's/.*"bytes":\([0-9]*\).*/\1/')
best() { # best of 3 wall times of a command, in seconds
    local b=999999 t0 t1
    for _ in 1 2 3; do
        t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
        b=$(awk -v a="$b" -v x="$t0" -v y="$t1" 'BEGIN{c=y-x; print (c<a)?c:a}')
    done
    echo "$b"
}
ours=$(best "$BLALM" count -q "$f")
# wc -w in the C locale (its fastest, and equal to str.split on ASCII whitespace)
peer=$(best sh -c "zstd -dc '$f' | LC_ALL=C wc -w")
awk -v b="$bytes" -v o="$ours" -v p="$peer" 'BEGIN{
    printf "blalm count:               %7.1f MB/s of text (%.2f s for %.1f MB)\n", b/o/1e6, o, b/1e6;
    printf "zstd -dc | LC_ALL=C wc -w: %7.1f MB/s of text (%.2f s)\n", b/p/1e6, p;
    printf "ratio (peer time / ours): %.2f  (goal >= 1.0)\n", p/o }'
