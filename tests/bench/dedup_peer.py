#!/usr/bin/python3
"""Peer for tests/bench/dedup.sh: MinHash signatures the way datatrove computes
them (FineWeb's text normalisation, word 5-grams, numpy uint64 (a*h + b) mod
2^61-1 over 14 x 8 permutations, min per permutation), except that words are
split with str.split() instead of spaCy (datatrove with spaCy runs at about
0.27 MB/s per core, REFERENCE.md §4). Prints MB of text per CPU second."""
import json, re, subprocess, sys, time, unicodedata
import numpy as np

P = np.uint64((1 << 61) - 1)
# datatrove's simplify_text at its defaults (its PUNCTUATION string deleted)
PUNCTUATION = ("!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»"
               + "".join(map(chr, (x for a, b in ((0, 9), (11, 13), (13, 32), (127, 160)) for x in range(a, b)))))
DELETE = str.maketrans("", "", PUNCTUATION)
NUM = re.compile(r"\d+")
WS = re.compile(r"\s+")

def simplify(t):
    t = WS.sub(" ", t.lower().strip()).translate(DELETE)
    t = "".join(c for c in unicodedata.normalize("NFD", t) if unicodedata.category(c) != "Mn")
    return NUM.sub("0", t).strip()

def main(path, max_bytes):
    raw = subprocess.run(["zstd", "-dcf", path], check=True, capture_output=True).stdout.decode()
    texts, total = [], 0
    for line in raw.splitlines():
        t = json.loads(line)["text"]
        texts.append(t); total += len(t.encode())
        if total >= max_bytes: break
    gen = np.random.RandomState(1)
    a = gen.randint(1, int(P), size=112, dtype=np.uint64)
    b = gen.randint(0, int(P), size=112, dtype=np.uint64)
    t0 = time.process_time()
    with np.errstate(over="ignore"):
        for t in texts:
            w = simplify(t).split()
            if len(w) < 5: continue   # no shingles, no signature (as datatrove)
            sh = np.fromiter((hash(" ".join(w[i:i + 5])) & 0xFFFFFFFFFFFFFFFF for i in range(len(w) - 4)),
                             dtype=np.uint64)
            sig = ((sh[:, None] * a + b) % P).min(axis=0)
    cpu = time.process_time() - t0
    print("%.3f" % (total / 1e6 / cpu))

main(sys.argv[1], int(sys.argv[2]))
