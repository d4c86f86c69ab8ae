#!/usr/bin/env python3
"""Builds a small hand-made work directory for the corpora tests.

    corpora_fixture.py WORK [--ascii]

WORK/docs/web/part-0.jsonl (60 documents, some with Unicode whitespace, blank
lines inside, a repeated id, near-duplicate clusters, an empty text) and
WORK/docs/wiki/a.jsonl (20 ASCII-only documents), with the attribute sets
readability, gopher_quality, dedup and edu_llm under WORK/attributes, written
line-aligned as .jsonl.zst (zstd CLI). Deterministic (fixed seed).
"""
import json, os, random, subprocess, sys

work = sys.argv[1]
ascii_only = "--ascii" in sys.argv
rng = random.Random(7)
VOCAB = ("the cat sat on a mat and the dog ran to see what it was about while "
         "children read books about rivers mountains and the sea every day").split()
SPACES = [" ", " ", " ", "\n", "\t"] + ([] if ascii_only else ["\u00a0", "\u3000", "\u2028", "\u2003"])


def text_of(n):
    if n == 0:
        return ""
    out = []
    for i in range(n):
        out.append(rng.choice(VOCAB))
        if i < n - 1:
            out.append("\n\n" if rng.random() < 0.05 else rng.choice(SPACES))
    return "".join(out)


def write_zst(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = "".join(json.dumps(l, ensure_ascii=False) + "\n" for l in lines).encode()
    subprocess.run(["zstd", "-q", "-f", "-o", path], input=data, check=True)


def build(source, rel, n, ascii_src):
    global SPACES
    saved = SPACES
    if ascii_src:
        SPACES = [" ", " ", "\n", "\t"]
    docs, attrs = [], {"readability": [], "gopher_quality": [], "dedup": [], "edu_llm": []}
    for i in range(n):
        words = rng.choice([1, 2, 3, 5, 8, 13, 20, 35, 60, 90, 150])
        did = f"{source}-{i}"
        text = text_of(words)
        cluster = f"{source}-c{i // 3}" if i % 7 == 0 or i % 7 == 1 else f"{source}-s{i}"
        exact = did
        if source == "web" and i == 50:          # an exact duplicate of row 3, same id
            did, text, exact = "web-3", docs[3]["text"], "web-3"
        if source == "web" and i == 55:          # empty text, passes every rule
            text = ""
        docs.append({"id": did, "text": text, "metadata": {"n": i}})
        fre = round(rng.uniform(-20, 130), 2)
        gq = rng.random() > 0.15
        score = None if rng.random() < 0.1 else rng.randint(0, 5)
        if source == "web" and i in (50, 55):
            gq, fre, score = True, 80.0, 5
        attrs["readability"].append({"id": did, "readability": {"words": len(text.split()), "flesch_reading_ease": fre}})
        # "note" is null everywhere: an export column with no value (a real one: c4.reason_no_terminal_punct_rule)
        attrs["gopher_quality"].append({"id": did, "gopher_quality": {"pass": gq, "reason": None if gq else "gopher_short_doc", "note": None}})
        attrs["dedup"].append({"id": did, "dedup": {"exact_group": exact, "cluster_id": cluster,
                                                   "cluster_size": 3 if cluster.count("-c") else 1,
                                                   "representative": f"{source}/{rel}#{i}", "keep": True}})
        edu = {"selected": True, "score": score, "justification": f"scored {score}"}
        attrs["edu_llm"].append({"id": did, "edu_llm": edu})
    d = os.path.join(work, "docs", source)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, rel), "w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    stem = rel[:-len(".jsonl")]
    for s, lines in attrs.items():
        write_zst(os.path.join(work, "attributes", s, source, stem + ".jsonl.zst"), lines)
    SPACES = saved


build("web", "part-0.jsonl", 60, ascii_only)
build("wiki", "a.jsonl", 20, True)
