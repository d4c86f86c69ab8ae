#!/usr/bin/env bash
# blalm assemble over a pool of >= 1 GB of text, vs `zstd -dc | LC_ALL=C wc -w`
# over the same documents in the same run (the least any word-budgeted
# assembler must do: decompress and count). Prints throughput (MB/s of text),
# peak memory, the ratio, and how the pool was made.
#   POOL_MB=1024 (default) sets the pool size; ASSEMBLE_MEM=256M the sort memory.
set -u
BLALM=${BLALM_BIN:?}
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
cat >"$TMP/c.json" <<'JSON'
{"corpora": [{"name": "strict", "budget": 100000000, "dev_words": 1000000},
             {"name": "strict-small", "budget": 10000000, "dev_words": 100000}],
 "rules": ["edu_llm.score >= 1"], "ranking": ["edu_llm.score desc"]}
JSON

t0=$(date +%s.%N)
"$BLALM" assemble --work "$W" --out "$TMP/out" --config "$TMP/c.json" --mem "${ASSEMBLE_MEM:-256M}" 2>"$TMP/err" || { cat "$TMP/err"; exit 1; }
t1=$(date +%s.%N)
cat "$TMP/err" | sed 's/^/  /'
bytes=$(sed -n 's/.*"pool_bytes": \([0-9]*\).*/\1/p' "$W/stats/assemble.json")
peak=$(sed -n 's/.*"peak_rss_mb": \([0-9.]*\).*/\1/p' "$W/stats/assemble.json")
"$BLALM" verify "$TMP/out/strict" --track strict | sed 's/^/  /'
rm -rf "$TMP/out"
t2=$(date +%s.%N)
zstd -dc "$W"/docs/pool/*.jsonl.zst | LC_ALL=C wc -w >/dev/null
t3=$(date +%s.%N)
awk -v b="$bytes" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v t3="$t3" -v m="$peak" 'BEGIN{
    o = t1 - t0; p = t3 - t2;
    printf "blalm assemble (strict + strict-small): %7.1f MB/s of text (%.1f s for %.0f MB), peak memory %.0f MB\n", b/o/1e6, o, b/1e6, m;
    printf "zstd -dc | LC_ALL=C wc -w (same docs):  %7.1f MB/s of text (%.1f s)\n", b/p/1e6, p;
    printf "ratio (peer time / ours): %.2f\n", p/o }'
