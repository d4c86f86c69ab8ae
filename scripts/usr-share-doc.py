#!/usr/bin/env python3
"""Real English prose that every Debian machine has: the text documentation
under /usr/share/doc, in path order, changelogs and copyright files left out
(package logs and licences, not prose), files of fewer than 50 words skipped,
until MAX_BYTES of text (default 40,000,000: about the size of the shared
FineWeb sample). Writes OUT as JSON lines {"id": path, "text": ...}; prints
"documents bytes" to stdout when --count is given.
Used by make demo (scripts/demo.sh), the run tests and docs/real-ablation."""
import gzip, json, os, sys

args = [a for a in sys.argv[1:] if a != "--count"]
if not 1 <= len(args) <= 2:
    sys.exit("usage: usr-share-doc.py OUT.jsonl [MAX_BYTES] [--count]")
limit = int(args[1]) if len(args) > 1 else 40_000_000
n = size = 0
with open(args[0], "w", encoding="utf-8") as out:
    for root, _, files in sorted(os.walk("/usr/share/doc")):
        if size >= limit:
            break
        for f in sorted(files):
            if "changelog" in f.lower() or f == "copyright":
                continue
            p = os.path.join(root, f)
            try:
                t = (gzip.open(p).read() if f.endswith(".gz") else open(p, "rb").read()).decode("utf-8")
            except Exception:
                continue
            if len(t.split()) < 50:
                continue
            out.write(json.dumps({"id": p, "text": t}) + "\n")
            n += 1
            size += len(t.encode())
if "--count" in sys.argv[1:]:
    print(n, size)
