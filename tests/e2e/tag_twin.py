"""Python twins of the datatrove 0.10 / spaCy rules that tag_twins.sh checks
blalm tag against (neither package is installed here; these follow their
published sources line by line).

usage: tag_twin.py gen|gen-marks DOCS.jsonl   write the C4 / sentence-mark test documents
       tag_twin.py c4 DOCS.jsonl C4.jsonl.zst
       tag_twin.py fineweb DOCS.jsonl FINEWEB.jsonl.zst
       tag_twin.py sents DOCS.jsonl C4.jsonl.zst
Prints one line per mismatch and "mismatches N"; exit 1 when N > 0."""
import json
import random
import re
import subprocess
import sys

# datatrove src/datatrove/utils/text.py TERMINAL_PUNCTUATION (FineWebQualityFilter's
# default stop_chars): 159 code points, no quotes, no comma
DATATROVE_TERMINAL = set(map(chr, [
    0x21, 0x2E, 0x3F, 0x589, 0x61D, 0x61E, 0x61F, 0x6D4, 0x700, 0x701, 0x702, 0x7F9, 0x837,
    0x839, 0x83D, 0x83E, 0x964, 0x965, 0x104A, 0x104B, 0x1362, 0x1367, 0x1368, 0x166E, 0x1735,
    0x1736, 0x17D4, 0x17D5, 0x17D6, 0x17D9, 0x17DA, 0x1803, 0x1809, 0x1944, 0x1945, 0x1AA8,
    0x1AA9, 0x1AAA, 0x1AAB, 0x1B5A, 0x1B5B, 0x1B5E, 0x1B5F, 0x1B7D, 0x1B7E, 0x1C3B, 0x1C3C,
    0x1C7E, 0x1C7F, 0x203C, 0x203D, 0x2047, 0x2048, 0x2049, 0x2E2E, 0x2E3C, 0x2E53, 0x2E54,
    0x3002, 0xA4FF, 0xA60E, 0xA60F, 0xA6F3, 0xA6F7, 0xA876, 0xA877, 0xA8CE, 0xA8CF, 0xA92F,
    0xA9C8, 0xA9C9, 0xAA5D, 0xAA5E, 0xAA5F, 0xAAF0, 0xAAF1, 0xABEB, 0xFE52, 0xFE56, 0xFE57,
    0xFF01, 0xFF0E, 0xFF1F, 0xFF61, 0x10A56, 0x10A57, 0x10F55, 0x10F56, 0x10F57, 0x10F58,
    0x10F59, 0x10F86, 0x10F87, 0x10F88, 0x10F89, 0x11047, 0x11048, 0x110BE, 0x110BF, 0x110C0,
    0x110C1, 0x11141, 0x11142, 0x11143, 0x111C5, 0x111C6, 0x111CD, 0x111DE, 0x111DF, 0x11238,
    0x11239, 0x1123B, 0x1123C, 0x112A9, 0x1144B, 0x1144C, 0x115C2, 0x115C3, 0x115C9, 0x115CA,
    0x115CB, 0x115CC, 0x115CD, 0x115CE, 0x115CF, 0x115D0, 0x115D1, 0x115D2, 0x115D3, 0x115D4,
    0x115D5, 0x115D6, 0x115D7, 0x11641, 0x11642, 0x1173C, 0x1173D, 0x1173E, 0x11944, 0x11946,
    0x11A42, 0x11A43, 0x11A9B, 0x11A9C, 0x11C41, 0x11C42, 0x11EF7, 0x11EF8, 0x11F43, 0x11F44,
    0x16A6E, 0x16A6F, 0x16AF5, 0x16B37, 0x16B38, 0x16B44, 0x16E98, 0x1BC9F, 0x1DA88,
]))
# spaCy spacy/pipeline/sentencizer.pyx Sentencizer.default_punct_chars: 128,
# all of them in TERMINAL_PUNCTUATION too
SPACY_PUNCT_CHARS = DATATROVE_TERMINAL - set(map(chr, [
    0x61D, 0x61E, 0x837, 0x839, 0x83D, 0x83E, 0x17D4, 0x17D5, 0x17D6, 0x17D9, 0x17DA, 0x1B7D,
    0x1B7E, 0x2E53, 0x2E54, 0x10F55, 0x10F56, 0x10F57, 0x10F58, 0x10F59, 0x10F86, 0x10F87,
    0x10F88, 0x10F89, 0x11944, 0x11946, 0x11EF7, 0x11EF8, 0x11F43, 0x11F44, 0x16E98,
]))
assert len(DATATROVE_TERMINAL) == 159 and len(SPACY_PUNCT_CHARS) == 128

CITATION = re.compile(r"\[\d*]|\[edit]|\[citation needed]")
POLICY = ["terms of use", "privacy policy", "cookie policy", "uses cookies", "use of cookies",
          "use cookies"]


def c4(text, punct):
    """datatrove C4QualityFilter.filter with split_paragraph=True: the kept
    lines and len of the text it would keep, or None (document dropped)."""
    kept = []
    for line in text.splitlines():
        line = line.strip()
        words = line.split()
        if any(len(w) > 1000 for w in words):
            continue
        line = CITATION.sub("", line)
        if punct and (not line.endswith((".", "?", "!", '"', "'")) or line.endswith("...")):
            continue
        if len(words) < 3:
            continue
        low = line.lower()
        if "lorem ipsum" in low:
            return None
        if "javascript" in low:
            continue
        if "{" in line:
            return None
        if any(p in low for p in POLICY):
            continue
        kept.append(line)
    return {"lines_kept": len(kept), "chars_kept": len("\n".join(kept).strip())}


def sentencizer(tokens):
    """spaCy's Sentencizer over tokens (is_punct: every code point is P*,
    spaCy's lex_attrs.is_punct): the number of sentences."""
    import unicodedata
    if not tokens:
        return 0
    n, seen = 1, False
    for t in tokens:
        inp = t in SPACY_PUNCT_CHARS
        # the terminals are all Po; Python before 3.12 (Unicode 14) does not
        # know the Unicode 15 ones (U+11F43 Kawi danda) and says Cn
        is_punct = all(c in DATATROVE_TERMINAL or unicodedata.category(c).startswith("P")
                       for c in t)
        if seen and not is_punct and not inp:
            n += 1
            seen = False
        elif inp:
            seen = True
    return n


def gen(path):
    """Documents whose kept lines citation removal leaves blank at either end
    (one or several), in the middle, everywhere, or with whitespace exposed."""
    s1 = "The cat sat on the mat. It was happy there. The dog was not."
    s2 = "Then it rained all day. Everyone went home early. The end came soon."
    s3 = "We met again on Friday. Nobody was late. The plan was agreed."
    cites = ["[1] [2] [3]", "[1][2][3] [4]", "[edit] [12] [citation needed]",
             "[1]\u00a0[2]\u3000[3]", "[] [] []"]
    docs = [
        ("finding", f"[1] [2] [3]\n{s1}\n{s2}\n[4] [5] [6]"),
        ("lead2", f"{cites[0]}\n{cites[1]}\n{s1}\n{s2}"),
        ("trail3", f"{s1}\n{s2}\n{cites[2]}\n{cites[3]}\n{cites[0]}"),
        ("middle", f"{s1}\n{cites[0]}\n{cites[1]}\n{s2}"),
        ("both", f"{cites[4]}\n{s1}\n{cites[0]}\n{s2}\n{cites[3]}\n{cites[1]}"),
        ("allblank", f"{cites[0]}\n{cites[1]}\n{cites[3]}"),
        ("exposed", f"[1] [2] {s1} [3]\n{s2} [4] [5]\n[6] {s3}"),
        ("exposed_blank", f"{cites[0]}\n[1] [2] {s1}\n{s2} [3]\n{cites[2]}"),
        ("unkept_between", f"{cites[0]}\nshort\n{s1}\nno end punct here at all\n{cites[1]}"),
    ]
    rnd = random.Random(11)
    parts = [s1, s2, s3, "Too short.", "three words only", "A line with no final mark",
             "[1] " + s3, s1 + " [2]", "[3] " + s2 + " [4]", "", "   "] + cites * 2
    for i in range(300):
        k = rnd.randint(1, 9)
        docs.append((f"r{i}", rnd.choice(["\n", "\r\n"]).join(rnd.choice(parts) for _ in range(k))))
    with open(path, "w") as f:
        for i, t in docs:
            f.write(json.dumps({"id": i, "text": t}) + "\n")


# P* code points outside both lists: they end neither lines nor sentences
NOT_TERMINAL = [",", ";", ":", '"', "\u2026", ")", "\u0387", "\u037e", "\u00bf", "\u2e2f"]


def gen_marks(path):
    """Lines ending in, and words separated by, every terminal of either list
    and some punctuation in neither: FineWeb's line_punct_ratio and the
    sentencizer's sentence count."""
    rnd = random.Random(12)
    marks = sorted(DATATROVE_TERMINAL) + NOT_TERMINAL
    words = ["alpha", "beta", "gamma", "delta", "sun", "moon", "river", "stone"]
    docs = []
    for i, m in enumerate(marks):
        # eight lines ending in m (a terminal gives line_punct_ratio 1), each
        # with m between words as a token of its own
        lines = [" ".join(rnd.choice(words) for _ in range(3)) + f" {m} " +
                 " ".join(rnd.choice(words) for _ in range(3)) + m for _ in range(8)]
        docs.append((f"m{i:03d}_U+{ord(m):04X}", "\n".join(lines)))
    for i in range(200):
        lines = []
        for _ in range(rnd.randint(1, 8)):
            toks = [rnd.choice(words + marks[:3] + marks[-12:] + [rnd.choice(marks)])
                    for _ in range(rnd.randint(1, 12))]
            # a mark glued to the line's last token cannot start a sentence;
            # elsewhere marks stand alone, so spaCy's tokens are the words
            end = rnd.choice(["", rnd.choice(marks), " " + rnd.choice(marks) + " "])
            lines.append(" ".join(toks) + end)
        docs.append((f"r{i}", "\n".join(lines)))
    with open(path, "w") as f:
        for i, t in docs:
            f.write(json.dumps({"id": i, "text": t}) + "\n")


def rows(path, set_name):
    out = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    return [json.loads(l)[set_name] for l in out.decode().splitlines()]


def main():
    mode, docs_path = sys.argv[1], sys.argv[2]
    if mode in ("gen", "gen-marks"):
        (gen if mode == "gen" else gen_marks)(docs_path)
        return 0
    docs = [json.loads(l) for l in open(docs_path)]
    bad = 0

    def miss(*a):
        nonlocal bad
        bad += 1
        if bad <= 10:
            print(*a)

    if mode == "c4":
        for d, r in zip(docs, rows(sys.argv[3], "c4"), strict=True):
            for punct, suffix in [(True, ""), (False, "_no_terminal_punct_rule")]:
                want = c4(d["text"], punct)
                if want is None:
                    continue
                for k, v in want.items():
                    if r[k + suffix] != v:
                        miss(d["id"], k + suffix, "blalm", r[k + suffix], "twin", v)
    elif mode == "fineweb":
        for d, r in zip(docs, rows(sys.argv[3], "fineweb"), strict=True):
            lines = [l for l in d["text"].split("\n") if l.strip() != ""]
            stop = tuple(DATATROVE_TERMINAL)
            want = sum(1 for l in lines if l.endswith(stop)) / len(lines) if lines else 0
            if abs(r["line_punct_ratio"] - want) > 1e-12:
                miss(d["id"], "line_punct_ratio blalm", r["line_punct_ratio"], "twin", want)
    elif mode == "sents":
        # documents of whitespace-separated words and marks: spaCy's tokens are
        # the whitespace split, and C4 counts the sentences of each kept line
        for d, r in zip(docs, rows(sys.argv[3], "c4"), strict=True):
            want = sum(sentencizer(l.split()) for l in d["text"].splitlines()
                       if len(l.split()) >= 3)
            if r["sentences_no_terminal_punct_rule"] != want:
                miss(d["id"], "sentences blalm", r["sentences_no_terminal_punct_rule"], "twin", want)
    print("mismatches", bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
