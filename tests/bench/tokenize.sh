#!/usr/bin/env bash
# `blalm tokenize` with 1 and 2 threads on one big train file (a corpus is
# often one file per source, so the threads share a file's documents): wall
# and CPU seconds, MB/s of wall and per CPU-second, and whether the shards
# are the same bytes. On a machine other jobs share, wall understates: the
# CPU efficiency (MB per CPU-s, 2 threads / 1) times 2 is what 2 idle cores
# would give. Text: the FineWeb documents of ../shared/data when present,
# else text under /usr/share/doc, replicated to ~TOK_BENCH_MB (default 40) MB.
set -u
BLALM=${BLALM_BIN:?}
. "$(dirname "$0")/lib.bash"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
mb=${TOK_BENCH_MB:-40}
src=${BLALM_SHARED_DATA:-}/fineweb-legal.jsonl.zst
mkdir -p "$TMP/c/train" "$TMP/c/dev"
/usr/bin/python3 - "$src" "$TMP/base.txt" <<'PYEOF'
import gzip, json, os, subprocess, sys
src, out = sys.argv[1], sys.argv[2]
docs = []
if os.path.isfile(src):
    docs = [json.loads(l)["text"] for l in subprocess.run(["zstd", "-dc", src], capture_output=True, check=True).stdout.decode().splitlines()]
size = sum(len(d) for d in docs)
for root, dirs, files in os.walk("/usr/share/doc"):
    dirs.sort()
    for f in sorted(files):
        if size > 8_000_000: break
        p = os.path.join(root, f)
        try: t = (gzip.open(p).read() if f.endswith(".gz") else open(p, "rb").read()).decode("utf-8")
        except Exception: continue
        if t.strip(): docs.append(t); size += len(t)
open(out, "w", encoding="utf-8").write("\n\n".join(d.strip() for d in docs if d.strip()) + "\n")
PYEOF
[ $? = 0 ] && [ -s "$TMP/base.txt" ] || bench_fail setup "writing the text"
while [ "$(stat -c %s "$TMP/c/train/big.train" 2>/dev/null || echo 0)" -lt $((mb * 1000000)) ]; do
    cat "$TMP/base.txt" >>"$TMP/c/train/big.train"; echo >>"$TMP/c/train/big.train"
done
head -c 200000 "$TMP/base.txt" >"$TMP/c/dev/small.dev"
bytes=$(stat -c %s "$TMP/c/train/big.train")
bench_run blalm "tokenizer train" "$BLALM" tokenizer train --quiet --corpus "$TMP/c" --out "$TMP/tok" --vocab 8192
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(getconf _NPROCESSORS_ONLN) CPUs; one train file of $((bytes / 1000000)) MB"
TIMEFORMAT='%R %U %S'
declare -A wall cpu
for t in 1 2; do
    { time "$BLALM" tokenize --quiet --corpus "$TMP/c" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/out$t" --threads $t ; } 2>"$TMP/time$t" ||
        bench_fail blalm "tokenize --threads $t: $(cat "$TMP/time$t")"
    read -r w u s < <(tail -1 "$TMP/time$t")
    wall[$t]=$w; cpu[$t]=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
    bench_pos blalm "wall seconds, $t threads" "$w"
    bench_pos blalm "CPU seconds, $t threads" "${cpu[$t]}"
    awk -v t=$t -v w="$w" -v c="${cpu[$t]}" -v b="$bytes" 'BEGIN {
        printf "blalm tokenize --threads %d: %.2f s wall, %.2f CPU-s: %.1f MB/s wall, %.1f MB per CPU-s\n", t, w, c, b / w / 1e6, b / c / 1e6 }'
done
same=no
diff -r --exclude=state "$TMP/out1" "$TMP/out2" >/dev/null && same=yes
awk -v w1="${wall[1]}" -v w2="${wall[2]}" -v c1="${cpu[1]}" -v c2="${cpu[2]}" -v same=$same 'BEGIN {
    printf "2 threads vs 1: wall x%.2f, CPU efficiency %.2f (2 idle cores: x%.2f); shards identical: %s\n", w1 / w2, c1 / c2, 2 * c1 / c2, same }'
[ $same = yes ] || bench_fail mismatch "the shards of 1 and 2 threads differ"
