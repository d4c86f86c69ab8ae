"""Checks for tests/e2e/report.sh (not a test itself: run.sh only picks *.sh).

  report_check.py data HTML                      print the embedded report-data JSON
  report_check.py numbers HTML WORK OUT RUN AUDIT.jsonl
      the report's numbers against what the stages wrote: assemble's stats and
      manifests, audit's export (every document's fate), score's and dedup's
      stats, the training log and the eval.json files
  report_check.py hostile HTML DOM MARKER        hostile text shown as text, never as markup
  report_check.py pixels PNG RECTS               every chart box holds coloured pixels
"""
import json
import os
import re
import struct
import subprocess
import sys
import zlib


def report_data(html_path):
    html = open(html_path, encoding="utf-8").read()
    m = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    if not m:
        sys.exit("no report-data block in %s" % html_path)
    return json.loads(m.group(1))


def fate_kind(s):
    # the same classification as the report, written independently from
    # assemble's fate texts
    if s.startswith("train"):
        return "train"
    if s == "dev":
        return "dev"
    if s.startswith("duplicate"):
        return "duplicate"
    if s.startswith("not in "):
        return "not in parent corpus"
    if s.startswith("budget full"):
        return "budget full"
    if s.startswith("dev budget full"):
        return "dev budget full"
    if s.startswith("source quota full"):
        return "source quota full"
    return "other"


def numbers(html, work, out, run, audit):
    d = report_data(html)
    problems = []

    def eq(what, got, want):
        if got != want:
            problems.append("%s: report %r, expected %r" % (what, got, want))

    rows = [json.loads(l) for l in open(audit, encoding="utf-8") if l.strip()]
    f = d["funnel"]
    eq("documents", f["documents"], len(rows))
    eq("words", f["words"], sum(r["words"] for r in rows))
    st = json.load(open(os.path.join(work, "stats", "assemble.json")))
    eq("pool documents (stats)", f["documents"], st["pool_documents"])
    eq("pool words (stats)", f["words"], st["pool_words"])
    eq("eligible (stats)", (f["eligible_documents"], f["eligible_words"]),
       (st["eligible_documents"], st["eligible_words"]))
    eq("eligible (audit)", f["eligible_documents"], sum(1 for r in rows if r["eligible"]))
    for i, rule in enumerate(f["rules"]):
        eq("rule %d text" % i, rule["rule"], list(st["excluded"])[i])
        eq("rule %d excluded (stats)" % i, rule["excluded_documents"], st["excluded"][rule["rule"]])
        mine = [r for r in rows if r["excluded_by_index"] == i]
        eq("rule %d excluded (audit)" % i, (rule["excluded_documents"], rule["excluded_words"]),
           (len(mine), sum(r["words"] for r in mine)))
    for c, kinds in f["corpora"].items():
        want = {}
        for r in rows:
            if not r["eligible"]:
                continue
            fate = r["fate." + c]
            k = fate_kind(fate)
            w = want.setdefault(k, [0, 0])
            w[0] += 1
            # cut_last: the corpus holds the first N words of a cut document
            cut = re.match(r"train \(cut to (\d+) of (\d+) words", fate)
            w[1] += int(cut.group(1)) if cut else r["words"]
        for k, v in kinds.items():
            eq("%s %s (audit)" % (c, k), [v["documents"], v["words"]], want.get(k, [0, 0]))
        m = json.load(open(os.path.join(out, c, "manifest.json")))
        eq("%s train (manifest)" % c, (kinds["train"]["documents"], kinds["train"]["words"]),
           (m["documents"], m["words"]))
        eq("%s dev (manifest)" % c, (kinds["dev"]["documents"], kinds["dev"]["words"]),
           (m["dev"]["documents"], m["dev"]["words"]))
        eq("%s duplicates (stats)" % c, kinds["duplicate"]["documents"], st["corpora"][c]["duplicates"])
        # assemble's too_large counts the documents larger than the budget's
        # words left; those after the budget was reached (cut_last) are the
        # rest of "budget full"; the dev split's are apart
        reached = sum(1 for r in rows if r["eligible"] and re.match(r"budget full \(rank \d+; \d+ words; budget", r["fate." + c]))
        eq("%s budget full (stats too_large)" % c, kinds["budget full"]["documents"], st["corpora"][c]["too_large"] + reached)
    # LLM score histogram: the sum over sources is score's own histogram
    sc = json.load(open(os.path.join(work, "stats", "score.json")))
    hist = [0] * 6
    for s in d["sources"].values():
        for i in range(6):
            hist[i] += int(s["llm_score"][i])
    eq("llm histogram (score stats)", hist, sc["histogram"])
    eq("llm model stand-in", [(m["stand_in"], "stand-in" in m["model"]) for m in d["llm_models"]], [(True, True)])
    # the local scorer's histogram: the sum over sources is what edu_local's files hold
    loc = [0] * 7
    n_local = 0
    for root, _, files in os.walk(os.path.join(work, "attributes", "edu_local")):
        for fn in files:
            if fn.endswith(".jsonl.zst"):
                raw = subprocess.run(["zstd", "-dcq", os.path.join(root, fn)], capture_output=True, check=True).stdout
                for line in raw.decode().splitlines():
                    a = json.loads(line)["edu_local"]
                    v = a.get("int_score")
                    loc[v if isinstance(v, int) and 0 <= v <= 5 else 6] += 1
                    n_local += 1
                    model = a["model"]
    got = [0] * 7
    for s in d["sources"].values():
        for i in range(7):
            got[i] += int(s["local_score"][i])
    eq("local histogram (edu_local files)", got, loc)
    eq("local scorer", (d["local_scorer"]["documents"], d["local_scorer"]["model"]), (n_local, model))
    # dedup: clusters by size, against dedup's own histogram
    dd = json.load(open(os.path.join(work, "stats", "dedup.json")))
    eq("dedup clusters (dedup stats)", {str(int(s)): int(n) for s, n in d["clusters"]},
       {k: int(v) for k, v in dd["cluster_size_histogram"].items()})
    # per-source documents and words
    for src, s in d["sources"].items():
        mine = [r for r in rows if r["source"] == src]
        eq("source %s" % src, (s["documents"], s["words"]), (len(mine), sum(r["words"] for r in mine)))
    # the run
    log = [json.loads(l) for l in open(os.path.join(run, "log.jsonl")) if l.strip()]
    eq("loss points", d["run"]["loss_points"], sum(1 for r in log if "loss" in r))
    eq("dev loss points", d["run"]["dev_loss_points"], sum(1 for r in log if "dev_loss" in r))
    eq("alpha layers", d["run"]["alpha_layers"], max(len(r.get("swa_alpha", [])) for r in log))
    ck = os.path.join(run, "checkpoints")
    evals = [n for n in os.listdir(ck) if n.endswith(".eval.json") or n.endswith(".eval_fast.json")]
    eq("eval files", d["run"]["eval_files"], len(evals))
    if problems:
        sys.exit("\n".join(problems))
    print("# funnel: %d documents, %d eligible; %d rules; %d eval files" %
          (f["documents"], f["eligible_documents"], len(f["rules"]), len(evals)))


def hostile(html_path, dom_path, marker):
    html = open(html_path, encoding="utf-8").read()
    dom = open(dom_path, encoding="utf-8", errors="replace").read()
    bad = []
    if "<script>" in html:
        bad.append("a <script> element in the report")
    # text is escaped, so every "<" left in the report starts real markup
    style = "".join(re.findall(r"<style>(.*?)</style>", html, re.S))
    if re.search(r"<(img|link|iframe|object|embed|audio|video|source)\b", html, re.I) \
            or re.search(r"<[a-zA-Z][^>]*\b(src|href)\s*=", html) or "url(" in style or "@import" in style:
        bad.append("the report references something outside itself")
    if ("<b id=\"%s\">" % marker) in html or ("<b id=\"%s\">" % marker) in dom:
        bad.append("hostile markup became markup")
    if ("&lt;b id=&quot;%s&quot;&gt;" % marker) not in html:
        bad.append("the hostile text is not shown escaped in the report")
    if ('&lt;b id="%s"&gt;' % marker) not in dom:
        bad.append("the browser does not show the hostile text as text")
    if "pwned-count 0" not in dom:
        bad.append("the browser's DOM has an element made from document text")
    if bad:
        sys.exit("; ".join(bad))


def read_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or interlace:
                raise ValueError("unsupported PNG: depth %d colour type %d interlace %d" % (depth, ctype, interlace))
            bpp = 3 if ctype == 2 else 4
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        ft = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ft == 1:
                line[x] = (line[x] + a) & 255
            elif ft == 2:
                line[x] = (line[x] + b) & 255
            elif ft == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif ft == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def pixels(png, rects):
    w, h, bpp, rows = read_png(png)
    boxes = []
    for line in open(rects):
        f = line.split()
        if len(f) == 5 and f[0].startswith("chart-"):
            boxes.append((f[0], *map(float, f[1:])))
    if not boxes:
        sys.exit("no chart boxes found")
    bad = []
    for name, x, y, bw, bh in boxes:
        x0, y0, x1, y1 = int(x), int(y), int(x + bw), int(y + bh)
        if x1 > w or y1 > h:
            bad.append("%s: box %d,%d-%d,%d outside the %dx%d screenshot" % (name, x0, y0, x1, y1, w, h))
            continue
        coloured = 0   # data marks are saturated colours; text, axes and background are grey
        for yy in range(y0, y1):
            r = rows[yy]
            for xx in range(x0, x1):
                p = r[xx * bpp:xx * bpp + 3]
                if max(p) - min(p) > 60:
                    coloured += 1
        if coloured < 100:
            bad.append("%s: %d coloured pixels in its box (blank chart?)" % (name, coloured))
        else:
            print("# %s: %dx%d box, %d coloured pixels" % (name, x1 - x0, y1 - y0, coloured))
    if bad:
        sys.exit("; ".join(bad))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "data":
        json.dump(report_data(sys.argv[2]), sys.stdout)
    elif cmd == "numbers":
        numbers(*sys.argv[2:7])
    elif cmd == "hostile":
        hostile(*sys.argv[2:5])
    elif cmd == "pixels":
        pixels(*sys.argv[2:4])
    else:
        sys.exit("unknown command " + cmd)
