#!/usr/bin/env python3
"""Independent checks of an assembled work directory (stdlib + zstd CLI).

    corpora_check.py words OUT/<corpus>          Python str.split() over train/*.train
                                                  == manifest words <= budget
    corpora_check.py fates WORK EXPORT.jsonl.zst RULES_JSON
        every excluded document's reason (from audit --export) equals the first
        failing rule, evaluated here in Python from the attribute files; chosen
        documents pass every rule; refusals for room really did not fit.
    corpora_check.py sets OUT                    strict-small within strict (train and dev):
                                                  each document's text the same as in strict
                                                  or a prefix of it (cut), never longer,
                                                  at most one document per id / exact group / cluster
Prints what it checked; exits 1 with the first difference.
"""
import glob, json, os, re, subprocess, sys


def zlines(path):
    data = subprocess.run(["zstd", "-dc", path], capture_output=True, check=True).stdout
    return [json.loads(l) for l in data.decode("utf-8").splitlines() if l.strip()]


def die(msg):
    print("MISMATCH: " + msg)
    sys.exit(1)


def words(corpus):
    m = json.load(open(os.path.join(corpus, "manifest.json")))
    total = 0
    for f in sorted(glob.glob(os.path.join(corpus, "train", "*.train"))):
        total += len(open(f, encoding="utf-8").read().split())
    dev = sum(len(open(f, encoding="utf-8").read().split())
              for f in glob.glob(os.path.join(corpus, "dev", "*.dev")))
    if total != m["words"]:
        die(f"python split {total} != manifest words {m['words']}")
    if total > m["budget"]:
        die(f"{total} words above budget {m['budget']}")
    if dev != m["dev"]["words"]:
        die(f"dev: python split {dev} != manifest {m['dev']['words']}")
    # each indexed document: its bytes hold the words the index says
    for d in zlines(os.path.join(corpus, "documents.jsonl.zst")):
        raw = open(os.path.join(corpus, d["file"]), "rb").read()
        piece = raw[d["offset"]:d["offset"] + d["length"]].decode("utf-8")
        if len(piece.split()) != d["words"]:
            die(f"{d['id']}: {len(piece.split())} words at its offset, index says {d['words']}")
    print(f"words ok: {total} train words (budget {m['budget']}), {dev} dev words")


def attrs_of(work):
    """{(path, row): {set: obj}} from every attribute file."""
    out = {}
    for setdir in sorted(glob.glob(os.path.join(work, "attributes", "*"))):
        s = os.path.basename(setdir)
        for f in sorted(glob.glob(os.path.join(setdir, "**", "*.jsonl.zst"), recursive=True)):
            rel = os.path.relpath(f, setdir)[:-len(".jsonl.zst")]
            for row, line in enumerate(zlines(f)):
                out.setdefault((rel, row), {})[s] = line[s]
    return out


def get(a, ref):
    s, k = ref.split(".", 1)
    return a.get(s, {}).get(k)


def cmp(v, op, lit):
    if v is None or isinstance(v, bool) and not isinstance(lit, bool):
        return False
    return {"==": v == lit, "!=": v != lit, "<": v < lit, "<=": v <= lit, ">": v > lit, ">=": v >= lit}[op]


def eval_rule(rule, a):
    """The small rule language, for the forms the test uses: conjunctions of
    bare refs, !refs and comparisons with numbers."""
    ok = True
    for part in [p.strip() for p in rule.split("&&")]:
        m = re.fullmatch(r"(!?)([a-z_]+\.[a-z_]+)\s*(?:(==|!=|<=|>=|<|>)\s*(-?[0-9.]+))?", part)
        if not m:
            raise SystemExit("checker cannot read rule part: " + part)
        neg, ref, op, lit = m.groups()
        v = get(a, ref)
        if op:
            r = cmp(v, op, float(lit))
        else:
            r = v is True or (isinstance(v, (int, float)) and not isinstance(v, bool) and v != 0)
        ok = ok and (not r if neg else r)
    return ok


def fates(work, export, rules_json):
    rules = json.loads(rules_json)
    attrs = attrs_of(work)
    rows = zlines(export)
    n_excl = n_ok = n_room = 0
    for r in rows:
        stem = r["path"].rsplit(".jsonl", 1)[0]
        a = attrs.get((stem, r["row"]), {})
        first = next((i for i, rule in enumerate(rules) if not eval_rule(rule, a)), None)
        if first is not None:
            if r["excluded_by_index"] != first or r["excluded_by"] != rules[first]:
                die(f"{r['path']}#{r['row']} ({r['id']}): audit says {r['excluded_by_index']} "
                    f"{r['excluded_by']!r}, rules say {first} {rules[first]!r}")
            n_excl += 1
        else:
            if r["words"] == 0:
                if r["excluded_by"] != "no words":
                    die(f"{r['id']}: empty document not reported as 'no words'")
                continue
            if r["excluded_by"] is not None or not r["eligible"]:
                die(f"{r['path']}#{r['row']}: passes every rule but audit says {r['excluded_by']!r}")
            n_ok += 1
        for k, v in r.items():
            if not k.startswith("fate."):
                continue
            m = re.match(r"budget full \(rank \d+; (\d+) words > (\d+) words left\)", v or "")
            if m:
                n_room += 1
                if int(m.group(1)) <= int(m.group(2)):
                    die(f"{r['id']}: refused for room although {m.group(1)} <= {m.group(2)}")
    print(f"fates ok: {len(rows)} documents, {n_excl} excluded by the rule Python names, "
          f"{n_ok} eligible, {n_room} refusals for room checked")


def sets(out):
    def chosen(c):
        return zlines(os.path.join(out, c, "documents.jsonl.zst"))
    def text(c, d):
        with open(os.path.join(out, c, d["file"]), "rb") as f:
            f.seek(d["offset"])
            return f.read(d["length"])
    big, small = chosen("strict"), chosen("strict-small")
    key = lambda d: (d["key"]["path"], d["key"]["row"])
    bt = {key(d): d for d in big if d["split"] == "train"}
    bd = {key(d): d for d in big if d["split"] == "dev"}
    for d in small:
        b = (bt if d["split"] == "train" else bd).get(key(d))
        if b is None:
            die(f"strict-small {d['split']} document {d['id']} is not in strict's {d['split']}")
        # the ids alone missed a subset holding the whole of a text strict cut
        st, bt_ = text("strict-small", d), text("strict", b)
        if not bt_.startswith(st):
            die(f"strict-small {d['split']} document {d['id']} holds text strict does not "
                f"({d['words']} words, strict holds {b['words']})")
    print(f"subset ok: strict-small {len(small)} documents within strict {len(big)}")


def groups(work, out, corpus):
    attrs = attrs_of(work)
    seen = {}
    for d in zlines(os.path.join(out, corpus, "documents.jsonl.zst")):
        stem = d["key"]["path"].rsplit(".jsonl", 1)[0]
        a = attrs.get((stem, d["key"]["row"]), {})
        for name, val in (("id", d["id"]), ("exact_group", get(a, "dedup.exact_group")),
                          ("cluster_id", get(a, "dedup.cluster_id"))):
            if val is None:
                continue
            if (name, val) in seen:
                die(f"{corpus}: two documents with {name} {val!r}: {seen[(name, val)]} and {d['id']}")
            seen[(name, val)] = d["id"]
    print(f"groups ok: {corpus}: one document per id, exact group and cluster")


cmd = sys.argv[1]
if cmd == "words":
    words(sys.argv[2])
elif cmd == "fates":
    fates(sys.argv[2], sys.argv[3], sys.argv[4])
elif cmd == "sets":
    sets(sys.argv[2])
elif cmd == "groups":
    groups(sys.argv[2], sys.argv[3], sys.argv[4])
