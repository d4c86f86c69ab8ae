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

# line ends and sentence ends: FineWeb counts a line ending in any of
# datatrove's 159 TERMINAL_PUNCTUATION (U+1803 Mongolian full stop, U+17D4
# Khmer khan, ...); a sentence ends at a token in spaCy's 128 punct_chars
# (U+17D4 is not one of them); quotes, commas, U+037E end neither
M=$TMP/marks
mkdir -p "$M/docs/q"
twin gen-marks "$M/docs/q/q.jsonl"
if "$BLALM" tag --work "$M" --taggers c4,fineweb --quiet 2>"$TMP/e2"; then
    check tag_fineweb_terminal_punctuation twin fineweb "$M/docs/q/q.jsonl" "$M/attributes/fineweb/q/q.jsonl.zst"
    check tag_sentencizer_punct_chars twin sents "$M/docs/q/q.jsonl" "$M/attributes/c4/q/q.jsonl.zst"
    # the audit's case: Mongolian lines ending in U+1803 pass FineWeb
    zstd -dc "$M/attributes/fineweb/q/q.jsonl.zst" | grep '"m[0-9]*_U+1803"' | grep -q '"pass":true,' &&
        pass tag_fineweb_mongolian_pass || fail tag_fineweb_mongolian_pass "$(zstd -dc "$M/attributes/fineweb/q/q.jsonl.zst" | grep 'U+1803')"
else
    fail tag_twins_marks_run "$(tail -c 400 "$TMP/e2")"
fi
