#!/usr/bin/env bash
# blalm tag against Python twins of datatrove 0.10's C4 and FineWeb rules and
# spaCy's Sentencizer (tests/e2e/tag_twin.py): C4's kept characters when
# citation removal blanks kept lines, FineWeb's line_punct_ratio over
# datatrove's TERMINAL_PUNCTUATION, sentence ends from spaCy's punct_chars.
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
twin() { "$PY" "$here/tag_twin.py" "$@"; }

# C4: "\n".join(kept).strip() strips blank kept lines (a line of citations
# only has its words counted before the removal) and their newlines
W=$TMP/c4
mkdir -p "$W/docs/q"
twin gen "$W/docs/q/q.jsonl"
if "$BLALM" tag --work "$W" --taggers c4 --quiet 2>"$TMP/e1"; then
    check tag_c4_chars_kept_strip twin c4 "$W/docs/q/q.jsonl" "$W/attributes/c4/q/q.jsonl.zst"
else
    fail tag_c4_chars_kept_strip "$(tail -c 400 "$TMP/e1")"
fi
