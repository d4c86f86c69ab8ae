#!/usr/bin/env bash
# blalm tag's memory on one huge document: for each tagger, the peak RSS of a
# run on a single document of BLALM_TAG_MEMORY_MB (default 64) MB of real
# text (the shared fineweb-legal documents joined by blank lines, repeated in
# shuffled order), minus the peak of a run on a tiny document, per byte of
# the huge document's text, must stay at or below BLALM_TAG_MEMORY_BOUND
# (default 10) bytes. The peak is the child's ru_maxrss (getrusage). A 5 MB
# document (about a million words) is held to BLALM_TAG_MEMORY_BOUND_5MB
# (default 14): gopher measured 13.0 there (a document's fixed costs weigh
# more than in 64 MB), and 18.1 when it kept 24 bytes of joined-text hashes
# per word for documents of up to 2^20 words.
source "$(dirname "$0")/../lib.sh"
if ! need_shared; then
    skip tag_memory "BLALM_SHARED_DATA not set or missing (the huge document is built from it)"
    exit 0
fi
MB=${BLALM_TAG_MEMORY_MB:-64}
BOUND=${BLALM_TAG_MEMORY_BOUND:-10}
BOUND5=${BLALM_TAG_MEMORY_BOUND_5MB:-14}
san=0
if [ "${SAN:-}" = 1 ]; then
    # AddressSanitizer's allocator and shadow memory are not the program's
    # memory: the runs still go through the huge-document paths, unmeasured
    san=1
    MB=24
fi
mkdir -p "$TMP/huge/docs/s" "$TMP/mid/docs/s" "$TMP/tiny/docs/s"
# gen MB NAME: the document of MB MB in $TMP/NAME, its bytes printed
gen() {
    "$PY" - "$SHARED_DATA/fineweb-legal.jsonl.zst" "$TMP/$2/docs/s/$2.jsonl" "$(($1 * 1000000))" "$2" <<'PY'
import json, random, subprocess, sys
src, out, size, name = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
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
    f.write(json.dumps({"id": name, "text": text}, ensure_ascii=False) + "\n")
print(len(text.encode()))
PY
}
if ! bytes=$(gen "$MB" huge 2>"$TMP/gen.err") || ! mbytes=$(gen 5 mid 2>"$TMP/gen.err"); then
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
    for d in "huge $MB $bytes $BOUND" "mid 5 $mbytes $BOUND5"; do
        read -r name mb n bound <<<"$d"
        test=tag_memory_$t; [ "$name" = mid ] && test=tag_memory_5mb_$t
        if ! big=$(peak_kb "$BLALM" tag --work "$TMP/$name" --taggers "$t" --cmudict none --quiet \
            2>"$TMP/err"); then
            fail "$test" "tag on the $mb MB document: $(tail -c 400 "$TMP/err")"
            continue
        fi
        per=$("$PY" -c "print(f'{($big - $small) * 1024 / $n:.2f}')")
        echo "# tag_memory: $t: peak $big KB on a document of $n bytes, $small KB on a tiny one: $per bytes per byte"
        if [ $san = 1 ]; then
            skip "$test" "peak RSS under AddressSanitizer is not the program's ($per bytes per byte measured)"
        elif "$PY" -c "import sys; sys.exit(0 if $per <= $bound else 1)"; then
            pass "$test"
        else
            fail "$test" "$per bytes of memory per byte of the $mb MB document > $bound"
        fi
    done
done
# every set has its one line
for s in readability gopher_quality gopher_repetition c4 fineweb; do
    f=$TMP/huge/attributes/$s/s/huge.jsonl.zst
    if [ "$(zstd -dc "$f" 2>/dev/null | wc -l)" = 1 ]; then pass "tag_memory_output_$s"
    else fail "tag_memory_output_$s" "$f does not hold one line"; fi
done
