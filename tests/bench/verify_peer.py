#!/usr/bin/env python3
"""The peer of tests/bench/verify.sh: a corpus verifier in Python, one thread,
doing the checks `blalm verify` does that cost time, on a corpus blalm
assembled (README, Corpora: the manifest and documents.jsonl.zst):

- manifest.json parsed (repeated keys refused);
- every listed train/dev file read whole: its byte count, sha256, strict UTF-8
  decode and str.split() word count against the manifest;
- documents.jsonl.zst: its sha256 against the manifest, decompressed with
  `zstd -dc`, every document located by its byte range in its file,
  recounted, and its count compared;
- ids unique; no text (sha256 of its bytes) in both train and dev;
- the training words within the budget and the STRICT limit (100,000,000).

Prints "peer: OK: N words, T train + D dev documents (W dev words), F files"
and exits 0, or prints each problem on stderr and exits 1. Not a product
part: it exists to time blalm verify against the same work."""
import hashlib
import json
import os
import subprocess
import sys


def no_dupes(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise ValueError(f"repeated key {k!r}")
        d[k] = v
    return d


def main():
    corpus = sys.argv[1]
    problems = []
    with open(os.path.join(corpus, "manifest.json"), "rb") as f:
        man = json.loads(f.read(), object_pairs_hook=no_dupes)
    data = {}
    for fe in man["files"]:
        with open(os.path.join(corpus, fe["path"]), "rb") as f:
            raw = f.read()
        if len(raw) != fe["bytes"]:
            problems.append(f"{fe['path']}: {len(raw)} bytes, manifest {fe['bytes']}")
        if hashlib.sha256(raw).hexdigest() != fe["sha256"]:
            problems.append(f"{fe['path']}: sha256 differs from the manifest's")
        # line by line, so no list of every word of a 100 MB file is made:
        # every line break splitlines() knows is whitespace to str.split()
        words = sum(len(line.split()) for line in raw.decode("utf-8").splitlines())
        if words != fe["words"]:
            problems.append(f"{fe['path']}: {words} words, manifest {fe['words']}")
        data[fe["path"]] = raw
    ipath = os.path.join(corpus, man["index"]["path"])
    with open(ipath, "rb") as f:
        if hashlib.sha256(f.read()).hexdigest() != man["index"]["sha256"]:
            problems.append("documents.jsonl.zst: sha256 differs from the manifest's")
    index = subprocess.run(["zstd", "-dc", ipath], capture_output=True, check=True).stdout
    ids = set()
    texts = {"train": set(), "dev": set()}
    count = {"train": [0, 0], "dev": [0, 0]}
    for n, line in enumerate(index.splitlines(), 1):
        d = json.loads(line)
        raw = data[d["file"]][d["offset"]:d["offset"] + d["length"]]
        words = len(raw.decode("utf-8").split())
        if words != d["words"]:
            problems.append(f"documents.jsonl.zst line {n}: {words} words at its range, index {d['words']}")
        if d["id"] in ids:
            problems.append(f"documents.jsonl.zst line {n}: id {d['id']} repeated")
        ids.add(d["id"])
        texts[d["split"]].add(hashlib.sha256(raw).digest())
        count[d["split"]][0] += 1
        count[d["split"]][1] += words
    if texts["train"] & texts["dev"]:
        problems.append(f"{len(texts['train'] & texts['dev'])} texts in both train and dev")
    train_words = sum(fe["words"] for fe in man["files"] if fe["split"] == "train")
    if count["train"][1] != train_words or train_words != man["words"]:
        problems.append(f"train words: files {train_words}, documents {count['train'][1]}, manifest {man['words']}")
    if train_words > min(man["budget"], 100_000_000):
        problems.append(f"{train_words} train words over the budget or the STRICT limit")
    for p in problems:
        print(f"verify_peer: {corpus}: {p}", file=sys.stderr)
    if problems:
        return 1
    print(f"peer: OK: {train_words} words, {count['train'][0]} train + {count['dev'][0]} dev documents "
          f"({count['dev'][1]} dev words), {len(man['files'])} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
