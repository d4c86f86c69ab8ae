#!/usr/bin/env bash
# blalm shard (the sharded .jsonl.zst writer), atomic shards under SIGKILL,
# and progress output (TTY bar, plain lines, --quiet, NO_COLOR).
source "$(dirname "$0")/../lib.sh"

"$PY" - "$TMP/in.jsonl" <<'PYEOF'
import json, random, sys
rnd = random.Random(7)
words = "the of and to in education learning student teacher \u00e9cole \u4e2d\u6587 read write".split()
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i in range(30000):
        f.write(json.dumps({"id": f"d{i}", "text": " ".join(rnd.choice(words) for _ in range(rnd.randint(5, 120)))}) + "\n")
PYEOF
want=$("$BLALM" count --json -q "$TMP/in.jsonl" | tail -1)

"$BLALM" shard -q --out "$TMP/out" --max-bytes 1M "$TMP/in.jsonl" 2>"$TMP/err"
n=$(ls "$TMP/out" | wc -l)
got=$("$BLALM" count --json -q "$TMP"/out/*.jsonl.zst | tail -1)
[ "$n" -gt 3 ] && [ "$got" = "$want" ] && pass shard_roundtrip_rotates || fail shard_roundtrip_rotates "n=$n got=$got want=$want"
"$BLALM" cat "$TMP"/out/*.jsonl.zst | "$PY" -c '
import json,sys
a=[json.loads(l) for l in sys.stdin]; b=[json.loads(l) for l in open(sys.argv[1])]
assert [(d["id"],d["text"]) for d in a]==[(d["id"],d["text"]) for d in b]' "$TMP/in.jsonl" \
    && pass shard_preserves_order_and_text || fail shard_preserves_order_and_text "documents differ"

# SIGKILL mid-write: every visible shard is complete; the unfinished one is only a hidden temp file
for i in $(seq 6); do cat "$TMP/in.jsonl"; done >"$TMP/big.jsonl"
ok=1
for delay in 0.05 0.2 0.4; do
    rm -rf "$TMP/k"
    "$BLALM" shard -q --out "$TMP/k" --max-bytes 2M --level 19 "$TMP/big.jsonl" &
    pid=$!; sleep $delay; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
    for f in "$TMP"/k/*.jsonl.zst; do
        [ -e "$f" ] || continue
        zstd -tq "$f" 2>/dev/null || { ok=0; echo "visible shard $f is incomplete" >&2; }
    done
    # the reader's walk and the count ignore the hidden temp file
done
[ $ok -eq 1 ] && pass shard_sigkill_leaves_no_visible_partial || fail shard_sigkill_leaves_no_visible_partial "partial shard visible"

# bad input in the middle: error names the file, no partial shard left visible
printf '{"id":"x","text":"ok"}\n{"id":"y","text":oops}\n' >"$TMP/bad.jsonl"
"$BLALM" shard -q --out "$TMP/b" "$TMP/bad.jsonl" 2>"$TMP/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'bad.jsonl:2: column' "$TMP/e" && [ -z "$(ls -A "$TMP/b" 2>/dev/null)" ] \
    && pass shard_bad_input_leaves_nothing || fail shard_bad_input_leaves_nothing "rc=$rc $(ls -A "$TMP/b")"

# progress: plain periodic lines when stderr is not a TTY; nothing with --quiet
for i in $(seq 5); do cp "$TMP/in.jsonl" "$TMP/p$i.jsonl"; done
BLALM_PROGRESS_SECONDS=0.000001 "$BLALM" count "$TMP"/p*.jsonl >/dev/null 2>"$TMP/plain"
grep -q '^count: 5 / 5' "$TMP/plain" && ! grep -q $'\e' "$TMP/plain" && pass progress_plain_lines || fail progress_plain_lines "$(head -3 "$TMP/plain")"
BLALM_PROGRESS_SECONDS=0.000001 "$BLALM" count -q "$TMP"/p*.jsonl >/dev/null 2>"$TMP/quiet"
[ ! -s "$TMP/quiet" ] && pass progress_quiet || fail progress_quiet "$(cat "$TMP/quiet")"
if command -v script >/dev/null; then
    # a pseudo-terminal: a redrawn bar with colour, and without colour under NO_COLOR
    script -qec "'$BLALM' shard --out '$TMP/t1' --max-bytes 1M $TMP/p1.jsonl $TMP/p2.jsonl $TMP/p3.jsonl" /dev/null >"$TMP/tty" 2>&1
    grep -q $'\r' "$TMP/tty" && grep -q $'\e\[1m' "$TMP/tty" && pass progress_tty_bar || fail progress_tty_bar "no bar drawn"
    NO_COLOR=1 script -qec "'$BLALM' shard --out '$TMP/t2' --max-bytes 1M $TMP/p1.jsonl $TMP/p2.jsonl" /dev/null >"$TMP/tty2" 2>&1
    grep -q $'\r' "$TMP/tty2" && ! grep -q $'\e\[1m' "$TMP/tty2" && pass progress_no_color || fail progress_no_color "colour despite NO_COLOR"
    # TERM=dumb: a terminal that cannot erase a line gets the plain lines, no escapes
    TERM=dumb BLALM_PROGRESS_SECONDS=0.000001 script -qec "'$BLALM' count $TMP/p1.jsonl $TMP/p2.jsonl $TMP/p3.jsonl" /dev/null >"$TMP/tty3" 2>&1
    grep -q '^count: 3 / 3' "$TMP/tty3" && ! grep -q $'\e' "$TMP/tty3" && pass progress_term_dumb_plain \
        || fail progress_term_dumb_plain "$(head -c 300 "$TMP/tty3" | od -c | head -5)"
else
    skip progress_tty_bar "no 'script' command to make a pseudo-terminal"
fi
