#!/usr/bin/env bash
# Word counts against Python's len(s.split()) on random Unicode text (every
# whitespace code point Python knows, controls, combining marks, astral
# characters), and against LC_ALL=C wc -w on ASCII-whitespace text.
source "$(dirname "$0")/../lib.sh"
[ -x "$PY" ] || { skip words_python "/usr/bin/python3 not found"; exit 0; }

"$PY" - "$TMP" <<'PYEOF'
import json, random, sys
rnd = random.Random(20261129)
spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
pool = (list("abcxyz019.,;!?-'\"") + spaces * 3 + ["\u00e9", "\u0301", "\u200b", "\ufeff", "\U0001F600",
        "\u4e2d", "\u00a1", "\u1681", "\u2000", "\u200a", "\u200c", "\x00", "\x01", "\x7f", "\x85"])
for f in range(100):
    with open(f"{sys.argv[1]}/r{f:03d}.jsonl", "w", encoding="utf-8") as out, \
         open(f"{sys.argv[1]}/r{f:03d}.want", "w") as want:
        total = 0
        for d in range(10):
            t = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 400)))
            total += len(t.split())
            out.write(json.dumps({"id": f"{f}-{d}", "text": t}, ensure_ascii=rnd.random() < 0.5) + "\n")
        want.write(str(total))
# ASCII-whitespace text for wc -w
with open(f"{sys.argv[1]}/ascii.jsonl", "w") as out, open(f"{sys.argv[1]}/ascii.txt", "w") as txt:
    for d in range(300):
        t = "".join(rnd.choice("ab c\t\n\r\x0b\x0c  xy.,") for _ in range(rnd.randint(0, 300)))
        out.write(json.dumps({"id": str(d), "text": t}) + "\n")
        txt.write(t + "\n")
PYEOF

bad=0
"$BLALM" count --json -q "$TMP"/r*.jsonl >"$TMP/counts" 2>"$TMP/err" || bad=1
i=0
for w in "$TMP"/r*.want; do
    i=$((i + 1))
    got=$(sed -n "${i}p" "$TMP/counts" | sed 's/.*"words":\([0-9]*\).*/\1/')
    [ "$got" = "$(cat "$w")" ] || { bad=1; echo "mismatch $(basename "$w"): got $got want $(cat "$w")" >&2; }
done
[ $bad -eq 0 ] && pass words_equal_python_split_random_unicode || fail words_equal_python_split_random_unicode "see stderr"

got=$("$BLALM" count --json -q "$TMP/ascii.jsonl" | tail -1 | sed 's/.*"words":\([0-9]*\).*/\1/')
want=$(LC_ALL=C wc -w <"$TMP/ascii.txt")
[ "$got" = "$want" ] && pass words_equal_wc_ascii || fail words_equal_wc_ascii "got $got, wc -w $want"
