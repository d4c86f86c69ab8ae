#!/usr/bin/env python3
"""Edits an assembled corpus the way a hand-edit that hides its traces would:
every count, checksum and offset made to agree again, so only verify's
deeper checks can tell.

    corpora_forge.py CORPUS MODE

MODE:
  widen        a train document's text copied into dev under a new id, and
               the train document's index span widened by the 2-byte "\\n\\n"
               after it (the dev copy no longer hashed equal byte for byte)
  ws-twin      a train document's text plus "\\n" copied into dev under a new id
  reorder      the index lines reversed (files, offsets, counts unchanged)
  subset-text  the first train document's first byte changed to "Q"
  subset-newid the first train document's id changed to "forged-id"
  dup-train    the shortest train document's text again in train, right after
               it, under the id "forged-dup-id"
  dup-train-nodedup  the same, and the manifest's config set to "dedup": false
               (its config_sha256 recomputed) and its one_text_per_split to false
  dup-train-old  the same as dup-train, and the manifest's one_text_per_split
               removed (as an older blalm wrote it, dedup still on)
  retext       the first train document's text replaced by as many words
               "forged" (no other document changed: a corpus that no longer
               follows from its inputs and rules, every figure consistent)

The files are rewritten as assemble writes them (document, "\\n\\n", ...,
document, "\\n"); manifest.json's words, documents, bytes, sha256s, sources,
fill, budget_filled and index are recomputed.
"""
import hashlib, json, subprocess, sys

d, mode = sys.argv[1], sys.argv[2]
idx = d + "/documents.jsonl.zst"
rows = [json.loads(l) for l in subprocess.run(["zstd", "-dc", idx], capture_output=True, check=True).stdout.decode().splitlines()]
m = json.load(open(d + "/manifest.json"))
data = {f["path"]: open(d + "/" + f["path"], "rb").read() for f in m["files"]}
docs = [dict(r=r, text=data[r["file"]][r["offset"]:r["offset"] + r["length"]]) for r in rows]
widen = None


def first_train(not_last=False):
    tr = [x for x in docs if x["r"]["split"] == "train" and x["r"]["words"] > 0]
    if not_last:
        tr = [x for x in tr if any(y["r"]["file"] == x["r"]["file"] for y in tr[tr.index(x) + 1:])]
    return tr[0]


def into_dev(text):
    dv = next(x for x in docs if x["r"]["split"] == "dev")
    docs.insert(docs.index(dv), dict(r=dict(dv["r"], id="forged-dev-id"), text=text))


if mode == "widen":
    t = first_train(not_last=True)
    into_dev(t["text"])
    widen = t
elif mode == "ws-twin":
    into_dev(first_train()["text"] + b"\n")
elif mode == "reorder":
    pass
elif mode == "subset-text":
    t = first_train()
    t["text"] = b"Q" + t["text"][1:]
elif mode == "subset-newid":
    first_train()["r"]["id"] = "forged-id"
elif mode in ("dup-train", "dup-train-nodedup", "dup-train-old"):
    t = min((x for x in docs if x["r"]["split"] == "train" and x["r"]["words"] > 0), key=lambda x: x["r"]["words"])
    docs.insert(docs.index(t) + 1, dict(r=dict(t["r"], id="forged-dup-id"), text=t["text"]))
    if mode == "dup-train-nodedup":
        m["config"]["dedup"] = False
        m["config_sha256"] = hashlib.sha256(json.dumps(m["config"], separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
        m["one_text_per_split"] = False
    if mode == "dup-train-old":
        assert m.pop("one_text_per_split") is True and m["config"]["dedup"] is True
elif mode == "retext":
    t = first_train()
    t["text"] = " ".join(["forged"] * t["r"]["words"]).encode()
else:
    sys.exit("unknown mode " + mode)

files = {f["path"]: bytearray() for f in m["files"]}
out = []
for x in docs:
    r, buf = dict(x["r"]), files[x["r"]["file"]]
    if buf:
        buf += b"\n\n"
    r.update(offset=len(buf), length=len(x["text"]), words=len(x["text"].decode().split()))
    buf += x["text"]
    if x is widen:
        r["length"] += 2
    out.append(r)
for b in files.values():
    b += b"\n"
if mode == "reorder":
    out.reverse()
for p, b in files.items():
    open(d + "/" + p, "wb").write(b)
subprocess.run(["zstd", "-q", "-f", "-o", idx], input="".join(json.dumps(r) + "\n" for r in out).encode(), check=True)

tot = {"train": [0, 0, 0], "dev": [0, 0, 0]}
for s in m["sources"].values():
    s.update(words=0, documents=0, dev_words=0, dev_documents=0)
for f in m["files"]:
    b = bytes(files[f["path"]])
    n = sum(1 for r in out if r["file"] == f["path"])
    f.update(documents=n, words=len(b.decode().split()), bytes=len(b), sha256=hashlib.sha256(b).hexdigest())
    t = tot[f["split"]]
    t[0] += f["words"]; t[1] += n; t[2] += len(b)
    s = m["sources"][f["source"]]
    pre = "dev_" if f["split"] == "dev" else ""
    s[pre + "words"] += f["words"]; s[pre + "documents"] += n
m["words"], m["documents"], m["bytes"] = tot["train"]
m["dev"].update(words=tot["dev"][0], documents=tot["dev"][1], bytes=tot["dev"][2])
m["fill"] = round(m["words"] / m["budget"], 6) if m["budget"] else 0.0
m["budget_filled"] = m["words"] == m["budget"] or m["words"] >= 0.999 * m["budget"]
m["index"].update(documents=len(out), sha256=hashlib.sha256(open(idx, "rb").read()).hexdigest())
json.dump(m, open(d + "/manifest.json", "w"), indent=2)
