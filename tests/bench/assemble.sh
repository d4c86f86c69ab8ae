#!/usr/bin/env bash
# blalm assemble over a pool of >= 1 GB of text, beside the least any
# word-budgeted assembler must do, over the same documents in the same run:
# decompress, parse each JSON line and count its text's words (`zstd -dc |
# python3`, len(text.split()), README's word). The peer's word count must
# equal the pool_words assemble reports (the bench fails otherwise).
# `zstd -dc | LC_ALL=C wc -w` is printed too, as a floor: it counts the raw
# JSON lines, not the texts' words, so its count is not compared. Prints
# throughput (MB/s of text), peak memory, the ratios, and how the pool was made.
#   POOL_MB=1024 (default) sets the pool size; ASSEMBLE_MEM=256M the sort memory.
set -u
BLALM=${BLALM_BIN:?}
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
POOL_MB=${POOL_MB:-1024}
W=$TMP/work
mkdir -p "$W/docs/pool" "$W/attributes/edu_llm/pool"
# Real text: the FineWeb documents of ../shared/data (when present) and every
# text file Debian ships under /usr/share/doc (plain or .gz), replicated with a
# stated factor until the pool holds POOL_MB of text. Replicas get their own
# ids; each document gets an edu_llm.score (0-5, from a hash of its id).
"$PY" - "$W" "$POOL_MB" "${BLALM_SHARED_DATA:-}" <<'PYEOF'
import gzip, hashlib, json, os, subprocess, sys
work, pool_mb, shared = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base, src_bytes = [], {}
def add(kind, doc_id, text):
    if text.strip():
        base.append((doc_id, json.dumps(text, ensure_ascii=False)))
        src_bytes[kind] = src_bytes.get(kind, 0) + len(text.encode())
p = os.path.join(shared, "fineweb-legal.jsonl.zst") if shared else ""
if p and os.path.exists(p):
    out = subprocess.run(["zstd", "-dc", p], capture_output=True, check=True).stdout
    for line in out.decode().splitlines():
        d = json.loads(line)
        add("fineweb-legal", d["id"], d["text"])
for root, _, files in sorted(os.walk("/usr/share/doc")):
    for f in sorted(files):
        fp = os.path.join(root, f)
        if os.path.islink(fp): continue
        try:
            raw = gzip.open(fp).read() if f.endswith(".gz") else open(fp, "rb").read()
            if b"\0" in raw[:4096]: continue
            add("usr-share-doc", fp, raw.decode("utf-8"))
        except Exception:
            continue
total = sum(src_bytes.values())
factor = max(1, -(-pool_mb * 1000000 // total))
for r in range(factor):
    dz = subprocess.Popen(["zstd", "-q", "-1", "-o", f"{work}/docs/pool/r{r:03d}.jsonl.zst"], stdin=subprocess.PIPE)
    az = subprocess.Popen(["zstd", "-q", "-1", "-o", f"{work}/attributes/edu_llm/pool/r{r:03d}.jsonl.zst"], stdin=subprocess.PIPE)
    dl, al = [], []
    for doc_id, text in base:
        rid = json.dumps(f"{doc_id}#r{r}")
        dl.append('{"id":%s,"text":%s}\n' % (rid, text))
        score = hashlib.blake2b(rid.encode(), digest_size=1).digest()[0] % 6
        al.append('{"id":%s,"edu_llm":{"score":%d}}\n' % (rid, score))
    dz.communicate("".join(dl).encode()); az.communicate("".join(al).encode())
print("pool: " + ", ".join(f"{k} {v/1e6:.1f} MB" for k, v in src_bytes.items()) +
      f" of real text ({len(base)} documents) replicated x{factor} = {total*factor/1e6:.0f} MB")
PYEOF
[ $? = 0 ] || bench_fail setup "making the pool"
cat >"$TMP/c.json" <<'JSON'
{"corpora": [{"name": "strict", "budget": 100000000, "dev_words": 1000000},
             {"name": "strict-small", "budget": 10000000, "dev_words": 100000}],
 "rules": ["edu_llm.score >= 1"], "ranking": ["edu_llm.score desc"]}
JSON

t0=$(date +%s.%N)
"$BLALM" assemble --work "$W" --out "$TMP/out" --config "$TMP/c.json" --mem "${ASSEMBLE_MEM:-256M}" 2>"$TMP/err" || bench_fail blalm "assemble: $(cat "$TMP/err")"
t1=$(date +%s.%N)
sed 's/^/  /' "$TMP/err"
bytes=$(sed -n 's/.*"pool_bytes": \([0-9]*\).*/\1/p' "$W/stats/assemble.json")
words=$(sed -n 's/.*"pool_words": \([0-9]*\).*/\1/p' "$W/stats/assemble.json")
peak=$(sed -n 's/.*"peak_rss_mb": \([0-9.]*\).*/\1/p' "$W/stats/assemble.json")
bench_pos blalm "pool_bytes" "$bytes"
bench_pos blalm "pool_words" "$words"
bench_pos blalm "peak_rss_mb" "$peak"
"$BLALM" verify "$TMP/out/strict" --track strict 2>&1 | sed 's/^/  /' || bench_fail blalm "verify of the assembled strict corpus"
rm -rf "$TMP/out"
t2=$(date +%s.%N)
pw=$(zstd -dc "$W"/docs/pool/*.jsonl.zst | "$PY" -c '
import json, sys
print(sum(len(json.loads(l)["text"].split()) for l in sys.stdin))') || bench_fail peer "zstd -dc | python3 str.split count"
t3=$(date +%s.%N)
bench_same "pool words" "$words" "$pw"
zstd -dc "$W"/docs/pool/*.jsonl.zst | LC_ALL=C wc -w >/dev/null || bench_fail peer "zstd -dc | wc -w"
t4=$(date +%s.%N)
awk -v b="$bytes" -v w="$words" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" -v t4="$t4" -v m="$peak" 'BEGIN{
    o = t1 - t0; p = t3 - t2; f = t4 - t3;
    printf "blalm assemble (strict + strict-small): %7.1f MB/s of text (%.1f s for %.0f MB, %d words), peak memory %.0f MB\n", b/o/1e6, o, b/1e6, w, m;
    printf "zstd -dc | python3 str.split count:     %7.1f MB/s of text (%.1f s, the same %d words)\n", b/p/1e6, p, w;
    printf "ratio (peer time / ours): %.2f\n", p/o;
    printf "floor, zstd -dc | LC_ALL=C wc -w:       %7.1f MB/s (%.1f s; counts the JSON lines, not compared); its time / ours: %.2f\n", b/f/1e6, f, f/o }'
