#!/usr/bin/env bash
# blalm verify of an assembled corpus, beside a Python verifier doing the
# same checks over the same corpus in the same run (tests/bench/verify_peer.py:
# the manifest parsed, every listed file's sha256 and str.split() word count,
# strict UTF-8, the index's sha256, every document located by its byte range
# and recounted, ids unique, no text in both train and dev). Both must accept
# the corpus and agree on its words and documents (the bench fails
# otherwise). Prints MB/s of corpus text (best of 3 each) and the ratio.
#   VERIFY_MB=150 (default) sets the pool's size in MB of text.
set -u
BLALM=${BLALM_BIN:?}
. "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
MB=${VERIFY_MB:-150}
W=$TMP/work
mkdir -p "$W/docs/pool"
# Real text: the FineWeb documents of ../shared/data (when present), then the
# text files Debian ships under /usr/share/doc until the pool holds MB of
# text (replicated when there is less); each replica gets its own id and a
# last line naming it. Texts repeated under /usr/share/doc (licences,
# changelogs) are taken once by assemble, so the corpus is smaller than the
# pool; its size is what the rates are of.
"$PY" - "$W" "$MB" "${BLALM_SHARED_DATA:-}" <<'PYEOF' || bench_fail setup "making the pool"
import gzip, json, os, subprocess, sys
work, mb, shared = sys.argv[1], int(sys.argv[2]), sys.argv[3]
base, nbytes = [], 0
p = os.path.join(shared, "fineweb-legal.jsonl.zst") if shared else ""
if p and os.path.exists(p):
    out = subprocess.run(["zstd", "-dc", p], capture_output=True, check=True).stdout
    for line in out.decode().splitlines():
        d = json.loads(line)
        base.append((d["id"], d["text"]))
        nbytes += len(d["text"].encode())
for root, _, files in sorted(os.walk("/usr/share/doc")):
    if nbytes >= mb * 1000000: break
    for f in sorted(files):
        fp = os.path.join(root, f)
        if os.path.islink(fp): continue
        try:
            raw = gzip.open(fp).read() if f.endswith(".gz") else open(fp, "rb").read()
            if b"\0" in raw[:4096]: continue
            t = raw.decode("utf-8")
            if t.strip():
                base.append((fp, t))
                nbytes += len(t.encode())
        except Exception:
            continue
factor = max(1, -(-mb * 1000000 // nbytes))
for r in range(factor):
    z = subprocess.Popen(["zstd", "-q", "-1", "-o", f"{work}/docs/pool/r{r:03d}.jsonl.zst"], stdin=subprocess.PIPE)
    z.communicate("".join(json.dumps({"id": f"{i}#r{r}", "text": f"{t}\nreplica {r}"}, ensure_ascii=False) + "\n"
                          for i, t in base).encode())
    if z.returncode: sys.exit(1)
print(f"pool: {len(base)} documents of real text ({nbytes/1e6:.1f} MB) replicated x{factor}")
PYEOF
cat >"$TMP/c.json" <<'JSON'
{"corpora": [{"name": "strict", "budget": 100000000, "dev_words": 100000}], "rules": [], "ranking": []}
JSON
"$BLALM" assemble --work "$W" --out "$TMP/out" --config "$TMP/c.json" --quiet 2>"$TMP/err" ||
    bench_fail blalm "assemble (making the corpus): $(cat "$TMP/err")"
C=$TMP/out/strict
rm -rf "$W"   # the corpus alone from here on
bytes=$(find "$C/train" "$C/dev" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
bench_pos setup "corpus bytes" "$bytes"

"$BLALM" verify "$C" --track strict >"$TMP/ours" 2>"$TMP/err" || bench_fail blalm "verify: $(cat "$TMP/err")"
"$PY" "$here/verify_peer.py" "$C" >"$TMP/peer" 2>"$TMP/err" || bench_fail peer "verify_peer.py: $(cat "$TMP/err")"
sed 's/^/  /' "$TMP/ours" "$TMP/peer"
# blalm: "...: OK: N words <= budget ..., T train + D dev documents (W dev words), ..."
ow=$(sed -n 's/.*OK: \([0-9]*\) words.*/\1/p' "$TMP/ours")
od=$(sed -n 's/.*, \([0-9]*\) train + \([0-9]*\) dev documents (\([0-9]*\) dev words).*/\1 \2 \3/p' "$TMP/ours")
# peer: "peer: OK: N words, T train + D dev documents (W dev words), F files"
pw=$(sed -n 's/^peer: OK: \([0-9]*\) words.*/\1/p' "$TMP/peer")
pd=$(sed -n 's/.*, \([0-9]*\) train + \([0-9]*\) dev documents (\([0-9]*\) dev words).*/\1 \2 \3/p' "$TMP/peer")
bench_pos blalm "train words" "$ow"
bench_same "train words" "$ow" "$pw"
[ -n "$od" ] || bench_fail blalm "no document counts in: $(cat "$TMP/ours")"
bench_same "train documents, dev documents, dev words" "$od" "$pd"

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
bench_best to blalm "$BLALM" verify "$C" --track strict
bench_best tp peer "$PY" "$here/verify_peer.py" "$C"
awk -v b="$bytes" -v w="$ow" -v o="$to" -v p="$tp" 'BEGIN{
    printf "blalm verify:          %7.1f MB/s of corpus text (%.2f s for %.0f MB, %d train words; best of 3)\n", b/o/1e6, o, b/1e6, w;
    printf "python3 verify_peer.py: %6.1f MB/s (%.2f s, the same words and documents; best of 3)\n", b/p/1e6, p;
    printf "ratio (peer time / ours): %.2f\n", p/o }'
