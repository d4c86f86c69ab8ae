#!/usr/bin/env bash
# MinHash normalisation `fineweb` is datatrove's simplify_text: a document and
# its copy with the punctuation inside words deleted (don't -> dont, e-mail ->
# email, 1,000 -> 1000) normalise to the same text, so they are one cluster;
# a text shorter than one shingle is never a near duplicate (datatrove writes
# no signature for it), though an exact copy of it still is one.
source "$(dirname "$0")/../lib.sh"
[ -x "$PY" ] || { skip dedup_normalise "needs /usr/bin/python3"; exit 0; }
W=$TMP/w
mkdir -p "$W/docs/x"
"$PY" - "$W/docs/x/d.jsonl" <<'PY' || { fail dedup_normalise_make "twin failed"; exit 0; }
import json, re, sys, unicodedata
# datatrove's simplify_text at its defaults (its PUNCTUATION string deleted)
P = ("!/—”:％１〈&(、━\\【#%「」，】；+^]~“《„';’{|∶´[=-`*．（–？！：$～«〉,><》)?）。…@_.\"}►»"
     + "".join(map(chr, (x for a, b in ((0, 9), (11, 13), (13, 32), (127, 160)) for x in range(a, b)))))
def simplify(t):
    t = re.sub(r"\s+", " ", t.lower().strip()).translate(str.maketrans("", "", P))
    t = "".join(c for c in unicodedata.normalize("NFD", t) if unicodedata.category(c) != "Mn")
    return re.sub(r"\d+", "0", t).strip()
words = ("the council's e-mail of 12,500 words didn't reach the U.S. office; its co-chair, "
         "Mr. O'Neil, re-sent it at 9.30 a.m. and the state-of-the-art well-known system's "
         "log shows 1,024 retries, 3.5% loss and a mother-in-law's note").split()
a = " ".join(words[i % len(words)] for i in range(400))
b = re.sub(r"(?<=\w)[-'’,.](?=\w)", "", a)
assert a != b and simplify(a) == simplify(b)
docs = [("A", a), ("B", b), ("unrelated", " ".join("word%d is here" % i for i in range(150))),
        ("p404", "Page not found (404)"), ("p500", "Page not found - 500"),
        ("s1", "Click here to subscribe!"), ("s2", "Click here to subscribe!")]
with open(sys.argv[1], "w") as f:
    for i, t in docs: f.write(json.dumps({"id": i, "text": t}) + "\n")
PY
check dedup_normalise_runs "$BLALM" dedup --work "$W" --quiet
attrs() { zstd -dc "$W/attributes/dedup/x/d.jsonl.zst"; }
"$PY" - <(attrs) <<'PY' >"$TMP/res" 2>&1
import json, sys
r = {}
for l in open(sys.argv[1]):
    o = json.loads(l); r[o["id"]] = o["dedup"]
ok = []
ok.append(("same_cluster", r["A"]["cluster_id"] == r["B"]["cluster_id"] and r["A"]["cluster_size"] == 2
           and r["A"]["keep"] and not r["B"]["keep"]))
ok.append(("unrelated_alone", r["unrelated"]["cluster_size"] == 1 and r["unrelated"]["keep"]))
ok.append(("short_texts_not_near_dups", all(r[k]["cluster_size"] == 1 and r[k]["keep"] for k in ("p404", "p500"))))
ok.append(("short_exact_copy_still_dup", r["s1"]["exact_size"] == 2 and r["s1"]["keep"] != r["s2"]["keep"]))
for n, v in ok: print(("PASS" if v else "FAIL") + " " + n + " " + json.dumps(r))
PY
for n in same_cluster unrelated_alone short_texts_not_near_dups short_exact_copy_still_dup; do
    if grep -q "^PASS $n " "$TMP/res"; then pass dedup_normalise_$n
    else fail dedup_normalise_$n "$(grep " $n " "$TMP/res" || head -c 600 "$TMP/res")"; fi
done
