#!/usr/bin/env bash
# blalm tag's memory on one huge document: for each tagger, the peak RSS of a
# run on a single document of BLALM_TAG_MEMORY_MB (default 64) MB of real
# text (the shared fineweb-legal documents joined by blank lines, repeated in
# shuffled order), minus the peak of a run on a tiny document, per byte of
# the huge document's text, must stay at or below BLALM_TAG_MEMORY_BOUND
# (default 10) bytes. The peak is the child's ru_maxrss (getrusage).
source "$(dirname "$0")/../lib.sh"
if ! need_shared; then
    skip tag_memory "BLALM_SHARED_DATA not set or missing (the huge document is built from it)"
    exit 0
fi
MB=${BLALM_TAG_MEMORY_MB:-64}
BOUND=${BLALM_TAG_MEMORY_BOUND:-10}
san=0
if [ "${SAN:-}" = 1 ]; then
    # AddressSanitizer's allocator and shadow memory are not the program's
    # memory: the runs still go through the huge-document paths, unmeasured
    san=1
    MB=24
fi
mkdir -p "$TMP/huge/docs/s" "$TMP/tiny/docs/s"
if ! bytes=$("$PY" - "$SHARED_DATA/fineweb-legal.jsonl.zst" "$TMP/huge/docs/s/huge.jsonl" \
    "$((MB * 1000000))" <<'PY' 2>"$TMP/gen.err"
import json, random, subprocess, sys
src, out, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
raw = subprocess.run(["zstd", "-dc", src], check=True, capture_output=True).stdout
texts = [json.loads(l)["text"] for l in raw.decode("utf-8").splitlines() if l]
rng = random.Random(1)
parts, n, rnd = [], 0, 0
while n < size:
    order = list(range(len(texts)))
    if rnd:
        rng.shuffle(order)
    for i in order:
        parts.append(texts[i])
        n += len(texts[i].encode()) + 2
        if n >= size:
            break
    rnd += 1
text = "\n\n".join(parts)
with open(out, "w") as f:
    f.write(json.dumps({"id": "huge", "text": text}, ensure_ascii=False) + "\n")
print(len(text.encode()))
PY
); then
    fail tag_memory_document "$(tail -c 400 "$TMP/gen.err")"
    exit 0
fi
echo '{"id":"tiny","text":"A tiny document. It has two sentences."}' >"$TMP/tiny/docs/s/tiny.jsonl"

# peak RSS in KB of one command (its exit status is the helper's)
peak_kb() {
    "$PY" -c '
import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:]).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
sys.exit(rc)' "$@"
}

for t in readability gopher c4 fineweb; do
    if ! small=$(peak_kb "$BLALM" tag --work "$TMP/tiny" --taggers "$t" --cmudict none --quiet \
        2>"$TMP/err"); then
        fail "tag_memory_$t" "tag on the tiny document: $(tail -c 400 "$TMP/err")"
        continue
    fi
    if ! big=$(peak_kb "$BLALM" tag --work "$TMP/huge" --taggers "$t" --cmudict none --quiet \
        2>"$TMP/err"); then
        fail "tag_memory_$t" "tag on the $MB MB document: $(tail -c 400 "$TMP/err")"
        continue
    fi
    per=$("$PY" -c "print(f'{($big - $small) * 1024 / $bytes:.2f}')")
    echo "# tag_memory: $t: peak $big KB on a document of $bytes bytes, $small KB on a tiny one: $per bytes per byte"
    if [ $san = 1 ]; then
        skip "tag_memory_$t" "peak RSS under AddressSanitizer is not the program's ($per bytes per byte measured)"
    elif "$PY" -c "import sys; sys.exit(0 if $per <= $BOUND else 1)"; then
        pass "tag_memory_$t"
    else
        fail "tag_memory_$t" "$per bytes of memory per byte of the document > $BOUND"
    fi
done
# every set has its one line
for s in readability gopher_quality gopher_repetition c4 fineweb; do
    f=$TMP/huge/attributes/$s/s/huge.jsonl.zst
    if [ "$(zstd -dc "$f" 2>/dev/null | wc -l)" = 1 ]; then pass "tag_memory_output_$s"
    else fail "tag_memory_output_$s" "$f does not hold one line"; fi
done
