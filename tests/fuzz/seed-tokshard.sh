#!/usr/bin/env bash
# Seeds for fuzz_tokshard: valid shards in the harness's input form (u16 LE
# length of the .tok bytes, the .tok bytes, the .idx bytes), 2- and 4-byte
# tokens, empty and several documents.
#   seed-tokshard.sh CORPUS_DIR
set -eu
out=${1:?corpus dir}
/usr/bin/python3 - "$out" <<'PY'
import struct, sys
out = sys.argv[1]
def shard(docs, vocab, eot):
    bpt = 2 if vocab <= 65536 else 4
    toks, recs = [], []
    for d in docs:
        recs.append((len(toks), len(d) + 1, len(d)))
        toks += d + [eot]
    tok = struct.pack("<8sIIQII", b"BLALMTK1", 1, bpt, len(toks), vocab, eot) + bytes(range(32))
    tok += b"".join(struct.pack("<H" if bpt == 2 else "<I", t) for t in toks)
    idx = struct.pack("<8sIIQQ", b"BLALMIX1", 1, 0, len(recs), len(toks))
    idx += b"".join(struct.pack("<QQQ", *r) for r in recs)
    return struct.pack("<H", len(tok)) + tok + idx
seeds = {"empty": shard([], 10, 9), "one": shard([[1, 2, 3]], 10, 9),
         "three": shard([[5], [], [1, 2, 3, 4, 5, 6]], 300, 299),
         "wide": shard([[70000, 1], [2]], 70001, 70000)}
for n, b in seeds.items(): open(f"{out}/{n}.bin", "wb").write(b)
PY
echo "seed-tokshard: $(ls "$out" | wc -l) corpus files"
