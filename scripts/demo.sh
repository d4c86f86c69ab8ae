#!/usr/bin/env bash
# The offline end-to-end job: everything runs on this machine, on real text
# (../shared/data when present, else the documentation Debian ships).
set -euo pipefail
BLALM=${BLALM_BIN:-bin/blalm}
root=$(cd "$(dirname "$0")/.." && pwd)
WORK=${DEMO_WORK:-$root/.work/demo}
rm -rf "$WORK"; mkdir -p "$WORK/docs/demo"
shared="$root/../shared/data/fineweb-legal.jsonl.zst"
if [ -f "$shared" ]; then
    echo "demo: input: 2,100 real FineWeb documents from ../shared/data"
    cp "$shared" "$WORK/docs/demo/fineweb-legal.jsonl.zst"
else
    echo "demo: input: text files under /usr/share/doc (../shared/data not found)"
    /usr/bin/python3 - "$WORK/docs/demo/usr-share-doc.jsonl" <<'PYEOF'
import json, os, sys, gzip
out = open(sys.argv[1], "w", encoding="utf-8"); n = 0
for root, _, files in sorted(os.walk("/usr/share/doc")):
    for f in sorted(files):
        p = os.path.join(root, f)
        try:
            t = (gzip.open(p).read() if f.endswith(".gz") else open(p, "rb").read()).decode("utf-8")
        except Exception:
            continue
        if len(t.split()) < 50: continue
        out.write(json.dumps({"id": p, "text": t}) + "\n"); n += 1
        if n >= 2000: break
PYEOF
fi
echo "demo: blalm count"
"$BLALM" count "$WORK"/docs/demo/*
echo "demo: first document (blalm cat | head -c 300)"
("$BLALM" cat "$WORK"/docs/demo/* || true) | head -c 300; echo
echo "demo: done; work directory $WORK"
