#!/usr/bin/env bash
# Tokenizer benchmark, one thread:
#  1. training time of `blalm tokenizer train` (vocabulary 16,384) on 10M words
#     of real text: the FineWeb documents of ../shared/data plus text Debian
#     ships under /usr/share/doc, replicated by a stated factor (goal < 60 s);
#  2. encoding throughput of `blalm tokenizer encode` beside the `tiktoken` npm
#     package (GPT-2 encoding, Rust compiled to WebAssembly) on the same text,
#     same run, with the ratio (goal >= 1.0). CPU seconds; blalm's include
#     process start and loading the tokenizer, tiktoken's only the encode call;
#  3. encoding beside Tokenizers.js (@huggingface/tokenizers) loading the very
#     same tokenizer.json, on the first 4 MB of that text (it is slower): the
#     ids must be identical (else FAIL mismatch), one run of it, blalm's best
#     of 3 on the same slice.
set -u
BLALM=${BLALM_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
oracle=$(cd "$here/../oracle" && pwd)
. "$here/lib.bash"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
export OMP_NUM_THREADS=1
src=${BLALM_SHARED_DATA:-}/fineweb-legal.jsonl.zst

# base text: FineWeb documents (when present) + /usr/share/doc text, documents separated by blank lines
read -r n_fw n_deb base_words < <(/usr/bin/python3 - "$src" "$TMP/base.txt" <<'PYEOF'
import gzip, json, os, subprocess, sys
src, out = sys.argv[1], sys.argv[2]
docs, fw = [], 0
if os.path.isfile(src):
    for l in subprocess.run(["zstd", "-dc", src], capture_output=True, check=True).stdout.decode().splitlines():
        docs.append(json.loads(l)["text"]); fw += 1
# Debian's text up to half the 10M-word target with FineWeb, so the replication factor is 2
deb, words = 0, sum(len(d.split()) for d in docs)
for root, dirs, files in os.walk("/usr/share/doc"):
    dirs.sort()
    if words >= 5_000_000:
        break
    for f in sorted(files):
        p = os.path.join(root, f)
        try:
            t = (gzip.open(p).read() if f.endswith(".gz") else open(p, "rb").read()).decode("utf-8")
        except Exception:
            continue
        if t.strip() and words < 5_000_000:
            docs.append(t); deb += 1; words += len(t.split())
open(out, "w", encoding="utf-8").write("\n\n".join(docs) + "\n")
print(fw, deb, sum(len(d.split()) for d in docs))
PYEOF
)
bench_pos setup "words of base text" "${base_words:-}"
target=10000000
factor=$(( (target + base_words - 1) / base_words ))
mkdir -p "$TMP/corpus/train"
for i in $(seq "$factor"); do cat "$TMP/base.txt"; done >"$TMP/corpus/train/bench.train"
total_words=$(( base_words * factor ))
mb=$(du -m "$TMP/corpus/train/bench.train" | cut -f1)
if [ "$n_fw" -gt 0 ]; then what="$n_fw FineWeb documents (fineweb-legal.jsonl.zst) + $n_deb text files under /usr/share/doc"
else what="$n_deb text files under /usr/share/doc (../shared/data absent)"; fi
echo "training text: $what: $base_words words, replicated x$factor = $total_words words ($mb MB)"

TIMEFORMAT='%R %U %S'
{ time "$BLALM" tokenizer train --quiet --threads 1 --corpus "$TMP/corpus" --out "$TMP/tok" --vocab 16384 ; } 2>"$TMP/train.time" ||
    bench_fail blalm "tokenizer train: $(cat "$TMP/train.time")"
read -r tr_wall tr_user tr_sys < <(tail -1 "$TMP/train.time")
bench_pos blalm "wall seconds of tokenizer train" "$tr_wall"
awk -v w="$tr_wall" -v u="$tr_user" -v s="$tr_sys" -v words="$total_words" 'BEGIN{
    printf "blalm tokenizer train (vocab 16384, 1 thread): %.1f s wall, %.1f s CPU for %.1fM words (goal < 60 s)\n", w, u+s, words/1e6 }'

# encoding: the base text once (no replication), one thread
bytes=$(stat -c %s "$TMP/base.txt")
best_enc=999999
for _ in 1 2 3; do
    { time "$BLALM" tokenizer encode --quiet --no-special --tokenizer "$TMP/tok/tokenizer.bin" <"$TMP/base.txt" >"$TMP/ids" ; } 2>"$TMP/enc.time" ||
        bench_fail blalm "tokenizer encode: $(cat "$TMP/enc.time")"
    read -r _ u s < <(tail -1 "$TMP/enc.time")
    best_enc=$(awk -v a="$best_enc" -v c="$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')" 'BEGIN{print (c<a)?c:a}')
done
bench_pos blalm "CPU seconds of tokenizer encode" "$best_enc"
ours_tokens=$(tr -cd ',' <"$TMP/ids" | wc -c); ours_tokens=$((ours_tokens + 1))
if command -v node >/dev/null && [ -d "$oracle/node_modules/tiktoken" ]; then
    best_peer=999999
    for _ in 1 2 3; do
        r=$(node "$oracle/tokenizer_tiktoken_bench.mjs" "$TMP/base.txt") || bench_fail peer "tokenizer_tiktoken_bench.mjs"
        read -r _ _ peer_tokens peer_cpu <<<"$r"
        bench_pos peer "CPU seconds of tiktoken" "${peer_cpu:-}"
        best_peer=$(awk -v a="$best_peer" -v c="$peer_cpu" 'BEGIN{print (c<a)?c:a}')
    done
    awk -v b="$bytes" -v o="$best_enc" -v p="$best_peer" -v ot="$ours_tokens" -v pt="$peer_tokens" 'BEGIN{
        printf "blalm tokenizer encode (16k vocab):  %6.1f MB/s (%.2f s CPU for %.1f MB, %d tokens)\n", b/o/1e6, o, b/1e6, ot;
        printf "tiktoken npm (gpt2, 50k vocab):      %6.1f MB/s (%.2f s CPU, %d tokens)\n", b/p/1e6, p, pt;
        printf "ratio (tiktoken time / ours): %.2f  (goal >= 1.0)\n", p/o }'
else
    echo "FAIL peer missing: node or the npm package tiktoken (make bench installs it through scripts/deps.sh test)"; exit 1
fi

# the same tokenizer.json in Tokenizers.js: whole documents up to 4 MB, ids compared
[ -d "$oracle/node_modules/@huggingface/tokenizers" ] ||
    bench_fail peer "the npm package @huggingface/tokenizers is missing (make bench installs it through scripts/deps.sh test)"
/usr/bin/python3 - "$TMP/base.txt" "$TMP/slice.txt" <<'PYEOF' || bench_fail setup "the 4 MB slice"
import sys
t = open(sys.argv[1], "rb").read()
cut = t.rfind(b"\n\n", 0, 4_000_000)
open(sys.argv[2], "wb").write(t[:cut if cut > 0 else len(t)])
PYEOF
sbytes=$(stat -c %s "$TMP/slice.txt")
best_s=999999
for _ in 1 2 3; do
    { time "$BLALM" tokenizer encode --quiet --tokenizer "$TMP/tok/tokenizer.json" <"$TMP/slice.txt" >"$TMP/slice.ids" ; } 2>"$TMP/enc.time" ||
        bench_fail blalm "tokenizer encode of the slice: $(cat "$TMP/enc.time")"
    read -r _ u s < <(tail -1 "$TMP/enc.time")
    best_s=$(awk -v a="$best_s" -v c="$(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}')" 'BEGIN{print (c<a)?c:a}')
done
bench_pos blalm "CPU seconds of tokenizer encode (slice)" "$best_s"
r=$(node "$oracle/tokenizer_hfjs_bench.mjs" "$TMP/tok/tokenizer.json" "$TMP/slice.txt" "$TMP/slice.peer.ids") ||
    bench_fail peer "tokenizer_hfjs_bench.mjs"
read -r _ _ hf_tokens hf_cpu <<<"$r"
bench_pos peer "CPU seconds of Tokenizers.js" "${hf_cpu:-}"
cmp -s "$TMP/slice.ids" "$TMP/slice.peer.ids" ||
    bench_fail mismatch "the ids of blalm and Tokenizers.js differ on the ${sbytes}-byte slice (blalm $(tr -cd , <"$TMP/slice.ids" | wc -c)+1 ids, Tokenizers.js $hf_tokens)"
awk -v b="$sbytes" -v o="$best_s" -v p="$hf_cpu" -v t="$hf_tokens" 'BEGIN{
    printf "blalm tokenizer encode, %.1f MB slice:  %6.1f MB/s (%.2f s CPU, %d tokens)\n", b/1e6, b/o/1e6, o, t;
    printf "Tokenizers.js, the same tokenizer.json: %6.1f MB/s (%.2f s CPU), the same ids\n", b/p/1e6, p;
    printf "ratio (Tokenizers.js time / ours): %.2f  (goal >= 1.0)\n", p/o }'
