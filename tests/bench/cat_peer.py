#!/usr/bin/python3
"""The peer of tests/bench/cat.sh and shard.sh, and their comparison.

  zstd -dc F | cat_peer.py write SOURCE   each JSON line as blalm cat prints
      it: {"id","text","source","metadata"} (source SOURCE where the document
      has none, metadata {} where none, id "SOURCE/ROW" where none; as the
      bench's input has every id, the file stem rule of blalm is not needed)
  cat_peer.py compare A B   A and B (plain JSON lines) hold the same
      documents in the same order, compared parsed (JSON escapes may differ);
      prints "DOCUMENTS BYTES_OF_TEXT" or exits 1 at the first difference"""
import json
import sys


def write(source):
    out = sys.stdout
    for row, line in enumerate(sys.stdin):
        d = json.loads(line)
        out.write(json.dumps({"id": d.get("id", "%s/%d" % (source, row)), "text": d["text"],
                              "source": d.get("source", source), "metadata": d.get("metadata", {})},
                             ensure_ascii=False, separators=(",", ":")) + "\n")


def compare(a, b):
    n = nbytes = 0
    with open(a, encoding="utf-8") as fa, open(b, encoding="utf-8") as fb:
        for la, lb in zip(fa, fb):
            da, db = json.loads(la), json.loads(lb)
            if da != db:
                sys.exit("document %d differs: blalm %s, peer %s" % (n + 1, la[:200], lb[:200]))
            n += 1
            nbytes += len(da["text"].encode("utf-8"))
        rest = (fa.readline(), fb.readline())
        if any(rest):
            sys.exit("after %d documents only one side has more: blalm %r, peer %r" % (n, rest[0][:80], rest[1][:80]))
    print(n, nbytes)


if __name__ == "__main__":
    write(sys.argv[2]) if sys.argv[1] == "write" else compare(sys.argv[2], sys.argv[3])
