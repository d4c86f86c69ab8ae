"""Syllables: blalm tag --syllables --cmudict none (pyphen alone) against
python3-pyphen on every distinct word of the fineweb-legal texts.

usage: tag_syllables.py BLALM DOCS.jsonl.zst MIN_RATE
A word is blalm's word core: a whitespace token's letters, digits, '_' and
apostrophes, lowercased (tokens without a letter or digit are not words)."""
import json
import subprocess
import sys

import pyphen


def main():
    blalm, docs, need = sys.argv[1], sys.argv[2], float(sys.argv[3])
    data = subprocess.run(["zstd", "-dc", docs], check=True, capture_output=True).stdout
    words = set()
    for line in data.decode("utf-8").splitlines():
        for tok in json.loads(line)["text"].split():
            core = "".join(ch for ch in tok if ch.isalnum() or ch in "_'").lower()
            if core and any(ch.isalnum() for ch in core):
                words.add(core[:1000])
    words = sorted(w for w in words if "\n" not in w)
    out = subprocess.run([blalm, "tag", "--syllables", "--cmudict", "none"], input="\n".join(words).encode() + b"\n",
                         check=True, capture_output=True).stdout.decode().split()
    if len(out) != len(words):
        print(f"FAIL tag_syllables_pyphen: {len(out)} answers for {len(words)} words")
        return
    dic = pyphen.Pyphen(lang="en_US")
    bad = []
    for w, o in zip(words, out):
        want = len(dic.positions(w)) + 1
        if int(o) != want:
            bad.append(f"{w!r}: ours {o}, pyphen {want}")
    rate = 1 - len(bad) / len(words)
    print(f"# syllables: {len(words)} distinct words, agreement {rate:.6f}, "
          f"disagreement rate {len(bad) / len(words):.6f}")
    if bad:
        print("# examples: " + "; ".join(bad[:10]))
    if rate >= need:
        print("PASS tag_syllables_pyphen")
    else:
        print(f"FAIL tag_syllables_pyphen: agreement {rate:.6f} < {need}")


if __name__ == "__main__":
    main()
