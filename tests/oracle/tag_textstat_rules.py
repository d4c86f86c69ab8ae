"""blalm tag's readability set against a Python twin of textstat 0.7.11's
counting rules, on texts the 2,100 recorded documents do not cover: empty and
whitespace-only texts, punctuation only, words without vowels, numbers,
decimals, ellipses, abbreviations, hyphens, apostrophes (ASCII, curly,
uppercase contractions), non-ASCII letters and combining marks, U+0130,
Python's every whitespace character, long words, and random texts of those
characters and of tricky tokens.

usage: tag_textstat_rules.py BLALM CMUDICT REPO_ROOT WORKDIR
CMUDICT is the 2007 release of CMUdict 0.7a (scripts/deps.sh); the twin
brings it to NLTK's revision with filters/cmudict_nltk.inc and takes the
familiar words from filters/dale_chall_words.inc (less "ma"), so what is
compared is the rules, not the word lists. Syllables by python3-pyphen
(en_US, Debian's hyph_en_US.dic, the file blalm reads).

The rules, as textstat 0.7.11's source has them:
  remove_punctuation: drop ' not followed by t s d ve ll re, then [^\\w\\s']
  words (lexicon_count): remove_punctuation(text).split()
  syllables: for w in remove_punctuation(text).lower().split():
             CMUdict's first pronunciation's stressed phonemes, else
             len(pyphen.positions(w)) + 1
  polysyllables: words w of list_words(text) with count_syllables(w) >= 3
  difficult words (threshold T: 0 Dale-Chall, 3 Gunning fog): words w of
             remove_punctuation(text).split() with w.lower() not on the list
             and count_syllables(w.lower()) >= T
  sentences: 0 for "", else max(1, segments of
             re.findall(r"\\b[^.!?]+[.!?]*") less those of <= 2 words)
  characters: non-whitespace code points; tokens: text.split();
  letters: \\w code points
  each score 0.0 where textstat catches ZeroDivisionError or a term is 0.
Prints PASS/FAIL lines (tests/lib.sh style)."""
import json
import os
import random
import re
import subprocess
import sys

import pyphen

RE_NONCONTRACTION = re.compile(r"\'(?![tsd]|ve|ll|re)")
RE_PUNCT = re.compile(r"[^\w\s\']")
RE_SENT = re.compile(r"\b[^.!?]+[.!?]*")
KEYS = ["words", "sentences", "syllables", "letters", "polysyllables", "difficult_words",
        "fog_difficult_words", "characters", "tokens", "flesch_reading_ease",
        "flesch_kincaid_grade", "automated_readability_index", "coleman_liau_index",
        "smog_index", "gunning_fog", "dale_chall"]


class Textstat:
    def __init__(self, cmudict, root):
        inc = open(os.path.join(root, "filters/dale_chall_words.inc")).read()
        self.easy = set(re.findall(r'"([^"]+)"', inc.split("*/", 1)[1])) - {"ma"}
        self.cmu = {}
        for line in open(cmudict, encoding="latin-1"):
            if line.startswith(";;;"):
                continue
            word, _, phones = line.strip().partition("  ")
            word = word.lower()
            if word.endswith(")"):   # alternative pronunciations: the first counts
                continue
            self.cmu.setdefault(word, sum(p[-1].isdigit() for p in phones.split()))
        fixes = open(os.path.join(root, "filters/cmudict_nltk.inc")).read()
        for word, syl in re.findall(r'\{"([^"]+)",\s*(-?\w+)\}', fixes):
            if syl == "CMUDICT_ABSENT":
                self.cmu.pop(word, None)
            else:
                self.cmu[word] = int(syl)
        self.pyphen = pyphen.Pyphen(lang="en_US")

    @staticmethod
    def rp(text):
        return RE_PUNCT.sub("", RE_NONCONTRACTION.sub("", text))

    def count_syllables(self, text):
        if not text:
            return 0
        n = 0
        for w in self.rp(text).lower().split():
            n += self.cmu[w] if w in self.cmu else len(self.pyphen.positions(w)) + 1
        return n

    def count_words(self, text):
        return len(self.rp(text).split())

    def count_sentences(self, text):
        if len(text) == 0:
            return 0
        segs = RE_SENT.findall(text)
        return max(1, len(segs) - sum(self.count_words(s) <= 2 for s in segs))

    def difficult(self, text, threshold):
        return sum(1 for w in self.rp(text).split()
                   if w.lower() not in self.easy and self.count_syllables(w.lower()) >= threshold)

    def measure(self, t):
        W, S, Y = self.count_words(t), self.count_sentences(t), self.count_syllables(t)
        T, C = len(t.split()), len(re.sub(r"\s", "", t))
        L = len(re.sub(r"[^\w\s]", "", re.sub(r"\s", "", t)))
        P = sum(1 for w in self.rp(t).split() if self.count_syllables(w) >= 3)
        D, F = self.difficult(t, 0), self.difficult(t, 3)

        def div(a, b):
            return a / b if b else 0.0
        wps, spw, cpw = div(W, S), div(Y, W), div(C, T)
        lpw, spw100 = div(L, W) * 100, div(S, W) * 100
        r = dict(words=W, sentences=S, syllables=Y, letters=L, polysyllables=P,
                 difficult_words=D, fog_difficult_words=F, characters=C, tokens=T)
        r["flesch_reading_ease"] = 0.0 if wps == 0 or spw == 0 else 206.835 - 1.015 * wps - 84.6 * spw
        r["flesch_kincaid_grade"] = 0.0 if wps == 0 or spw == 0 else (0.39 * wps) + (11.8 * spw) - 15.59
        r["automated_readability_index"] = 0.0 if cpw == 0 or wps == 0 else (4.71 * cpw) + (0.5 * wps) - 21.43
        r["coleman_liau_index"] = 0.0 if lpw == 0 or spw100 == 0 else (0.058 * lpw) - (0.296 * spw100) - 15.8
        r["smog_index"] = (1.043 * (30 * (P / S)) ** 0.5) + 3.1291 if S else 0.0
        r["gunning_fog"] = 0.4 * (wps + 100 * F / W) if W else 0.0
        if W:
            pd = 100 * D / W
            r["dale_chall"] = (0.1579 * pd) + (0.0496 * wps) + (3.6365 if pd > 5 else 0)
        else:
            r["dale_chall"] = 0.0
        return r


# Python's str.isspace() characters, each a separator of str.split() and \s
PY_SPACES = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())

CASES = {
    "empty": "", "spaces": "  \t\n ", "nbsp_only": "\u00a0\u00a0", "one_word": "Hello",
    "no_vowel": "rhythm", "nth": "nth", "digits": "1999 2000",
    "decimals": "Pi is 3.14 and e is 2.718 roughly here.",
    "no_terminal": "the cat sat on the mat and then it went to sleep for a long time",
    "ellipsis_runs": "Wait... what is going on here?! I do not know really. Maybe not...",
    "abbreviations": "Dr. Smith went to Washington today. He saw e.g. the big monument there.",
    "hyphens": "This is a well-known fact about state-of-the-art systems.",
    "apostrophes": "I don't think it's fine. We can\u2019t say it isn\u2019t true at all.",
    "upper_contractions": "DON'T WON'T I'D WE'VE THEY'LL YOU'RE it's 'S 'T 'The 'the",
    "quotes": "dogs' rock'n'roll 'tis ' '' 's o'clock y'all ma'am",
    "non_ascii": "Caf\u00e9 na\u00efve d\u00e9j\u00e0 vu. \u041f\u0440\u0438\u0432\u0435\u0442 \u043c\u0438\u0440 "
                 "\u043a\u0430\u043a \u0434\u0435\u043b\u0430. \u6211\u4eec\u662f\u5b66\u751f \u4eca\u5929 \u5f88\u597d\u3002",
    "combining": "e\u0301te\u0301 cafe\u0301 na\u0308ive the end.",
    "dotted_i": "POL\u0130T\u0130CAL MUS\u0130C C\u0130TY \u0130stanbul DEMOCRAT\u0130C's \u0130s it.",
    "numbers": "\u00bd \u216b \u00b2 \u0663\u0664 \U0001d400\U0001d401 \U0001f600 \u2460 ___ __init__",
    "long_word": "Supercalifragilisticexpialidociousnessabcdefghij is a long word indeed here.",
    "url": "Visit https://example.com/path?a=1&b=2 for more info about this.",
    "all_caps": "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG.",
    "punctuation_only": "!!! ... ??? --- ,,,",
    "separators": "one\ttwo\r\nthree\u00a0four\x1cfive\x85six\u2028seven\u3000eight. nine ten eleven.",
    "zero_width": "word\u200bword another\u2060line here.",
    "one_sentence_smog": "Extraordinary organizations systematically underestimate international complications.",
    "smog_31": " ".join(["Extraordinary international organizations communicate."] * 31),
}

TOKENS = ["the", "cat", "e.g.", "Dr.", "3.14", "don't", "DON'T", "can\u2019t", "well-known", "...", "?!",
          "rhythm", "nth", "caf\u00e9", "\u041f\u0440\u0438\u0432\u0435\u0442", "\u6211\u4eec",
          "https://x.com/a?b=1", "extraordinary", "organization", "'tis", "dogs'", "'s", "'",
          "__init__", "1999", "\u00bd", "\u0130stanbul", "POL\u0130T\u0130CAL", "POL\u0130T\u0130CAL.",
          "\u039f\u0394\u039f\u03a3", "e\u0301te\u0301", "word\u200bword", "a", "I", "internationalization",
          "ma", "hello", "'The", "you're", "WE'VE", "biometric", "google", "jr", "solely", "-", "\u2014",
          "(quietly)", "\"quoted\"", "end.", ".start", "a.b.c", "x" * 40]
CHARS = list("aeioustdvlrnTSDVLRE'''..!!??  \t\n_-,;:\"()0123") + [
    "\u00e9", "\u0301", "\u00a0", "\u2019", "\u0130", "\u03a3", "\u00df", "\u200b", "\x1c", "\u01c5",
    "\u00bd", "\u3002", "\u6211", "\x85", "\u2028"]


def texts():
    out = dict(CASES)
    rnd = random.Random(1)
    for i in range(600):
        n = rnd.choice([1, 2, 3, 5, 10, 50, 200])
        out[f"tokens_{i}"] = "".join(rnd.choice(TOKENS) + rnd.choice(PY_SPACES + "   ") for _ in range(n))
    for i in range(1500):
        n = rnd.choice([1, 2, 3, 5, 8, 20, 60, 200])
        out[f"chars_{i}"] = "".join(rnd.choice(CHARS) for _ in range(n))
    return out


def main():
    blalm, cmudict, root, work = sys.argv[1:5]
    ts = Textstat(cmudict, root)
    docs = texts()
    os.makedirs(os.path.join(work, "docs", "t"), exist_ok=True)
    with open(os.path.join(work, "docs", "t", "t.jsonl"), "w") as f:
        for k, v in docs.items():
            f.write(json.dumps({"id": k, "text": v}) + "\n")
    run = subprocess.run([blalm, "tag", "--work", work, "--taggers", "readability", "--cmudict", cmudict,
                          "--quiet", "--force"], capture_output=True, text=True)
    if run.returncode:
        print(f"FAIL tag_textstat_rules_run: {run.stderr[-400:]}")
        return
    out = subprocess.run(["zstd", "-dc", os.path.join(work, "attributes", "readability", "t", "t.jsonl.zst")],
                         check=True, capture_output=True).stdout.decode().splitlines()
    got = {r["id"]: r["readability"] for r in map(json.loads, out)}
    bad = []
    for k, t in docs.items():
        want = ts.measure(t)
        diff = {x: (want[x], got[k][x]) for x in KEYS if abs(want[x] - got[k][x]) > 1e-9}
        if diff:
            bad.append(f"{k} {t[:60]!r}: (textstat, blalm) {diff}")
    name = "tag_textstat_rules"
    if bad:
        print(f"FAIL {name}: {len(bad)} of {len(docs)} texts differ; first: " + " | ".join(bad[:3]))
    else:
        print(f"PASS {name} ({len(docs)} texts: edge cases and random ones, every count and score)")


if __name__ == "__main__":
    main()
