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
#     of 3 on the same slice;
#  4. training time on one pre-token of 500 KB (random letters, vocabulary
#     1,258: each merge scans the word once; it took about 30 s when each
#     merge looked up each of its pairs). No peer;
#  5. `blalm generate --timing`'s sample_ms (the mean draw from the logits)
#     with --top-k 40 and 8,000 on this 16,384-token vocabulary; beside torch.topk + softmax + multinomial on logits of
#     the same size when torch is importable, else "no peer".
# BENCH_TOKENIZER_WORDS (default 10000000) sets the training text's words
# (a smaller value, 2000000 or more, for a quick check of the bench itself:
# the 16,384-token vocabulary needs that many distinct pre-tokens).
set -u
BLALM=${BLALM_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
oracle=$(cd "$here/../oracle" && pwd)
. "$here/lib.bash"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
export OMP_NUM_THREADS=1
src=${BLALM_SHARED_DATA:-}/fineweb-legal.jsonl.zst

# base text: FineWeb documents (when present) + /usr/share/doc text, documents separated by blank lines
target=${BENCH_TOKENIZER_WORDS:-10000000}
read -r n_fw n_deb base_words < <(/usr/bin/python3 - "$src" "$TMP/base.txt" "$target" <<'PYEOF'
import gzip, json, os, subprocess, sys
src, out, half = sys.argv[1], sys.argv[2], int(sys.argv[3]) // 2
docs, fw = [], 0
if os.path.isfile(src):
    for l in subprocess.run(["zstd", "-dc", src], capture_output=True, check=True).stdout.decode().splitlines():
        docs.append(json.loads(l)["text"]); fw += 1
# Debian's text up to half the 10M-word target with FineWeb, so the replication factor is 2
# (a small target: the FineWeb documents up to it)
if docs and half < 5_000_000:
    kept, w = [], 0
    for d in docs:
        if w >= half:
            break
        kept.append(d); w += len(d.split())
    docs, fw = kept, len(kept)
deb, words = 0, sum(len(d.split()) for d in docs)
for root, dirs, files in os.walk("/usr/share/doc"):
    dirs.sort()
    if words >= half:
        break
    for f in sorted(files):
        p = os.path.join(root, f)
        try:
            t = (gzip.open(p).read() if f.endswith(".gz") else open(p, "rb").read()).decode("utf-8")
        except Exception:
            continue
        if t.strip() and words < half:
            docs.append(t); deb += 1; words += len(t.split())
open(out, "w", encoding="utf-8").write("\n\n".join(docs) + "\n")
print(fw, deb, sum(len(d.split()) for d in docs))
PYEOF
)
bench_pos setup "words of base text" "${base_words:-}"
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

# one pre-token of 500 KB: 1,000 merges, each one scan of the word
mkdir -p "$TMP/long/train"
/usr/bin/python3 -c 'import random, sys; r = random.Random(1); sys.stdout.write("".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(500000)))' \
    >"$TMP/long/train/long.train" || bench_fail setup "the 500 KB pre-token"
{ time "$BLALM" tokenizer train --quiet --threads 1 --corpus "$TMP/long" --out "$TMP/longtok" --vocab 1258 ; } 2>"$TMP/long.time" ||
    bench_fail blalm "tokenizer train of one 500 KB pre-token: $(cat "$TMP/long.time")"
read -r lg_wall lg_user lg_sys < <(tail -1 "$TMP/long.time")
bench_pos blalm "wall seconds of tokenizer train (one 500 KB pre-token)" "$lg_wall"
awk -v w="$lg_wall" -v u="$lg_user" -v s="$lg_sys" 'BEGIN{
    printf "blalm tokenizer train, one 500 KB pre-token (vocab 1258, 1 thread): %.2f s wall, %.2f s CPU; no peer\n", w, u+s }'

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

# generation with --top-k 40 and 8,000 of this 16,384-token vocabulary: a tiny
# model (dim 32, one training step); its sample_ms times the draws apart
/usr/bin/python3 - "$TMP/base.txt" "$TMP/gc" <<'PYEOF' || bench_fail setup "the generation corpus"
import os, sys
t = open(sys.argv[1], encoding="utf-8").read()
a = t.rfind("\n\n", 0, 1_000_000); a = a if a > 0 else len(t) * 9 // 10
b = t.rfind("\n\n", a + 1, a + 100_000); b = b if b > a else len(t)
for split, text in (("train", t[:a]), ("dev", t[a:b])):
    os.makedirs(os.path.join(sys.argv[2], split))
    open(os.path.join(sys.argv[2], split, "g." + split), "w", encoding="utf-8").write(text.strip() + "\n")
PYEOF
sed 's/"vocab_size": 320/"vocab_size": 16384/' "$here/../../configs/model-tiny.json" >"$TMP/gen.json"
"$BLALM" train --corpus "$TMP/gc" --tokenizer "$TMP/tok/tokenizer.json" --model "$TMP/gen.json" --out "$TMP/grun" \
    --max-steps 1 --threads 1 -q 2>"$TMP/err" || bench_fail blalm "train (the generation model): $(head -c 300 "$TMP/err")"
for k in 40 8000; do
    r=$("$BLALM" generate --run "$TMP/grun" --timing --prompt "The" --top-k "$k" 2>"$TMP/err") ||
        bench_fail blalm "generate --timing --top-k $k: $(head -c 300 "$TMP/err")"
    ms=$(sed -n 's/.*"sample_ms":\([0-9.]*\).*/\1/p' <<<"$r")
    bench_pos blalm "ms a draw of generate --top-k $k" "$ms"
    printf -v "gen_$k" '%s' "$ms"
done
if /usr/bin/python3 -c "import torch" 2>/dev/null; then
    peer=$(/usr/bin/python3 - <<'PYEOF'
import time, torch
torch.set_num_threads(1); torch.manual_seed(0)
x = torch.randn(16384) * 3
for k in (40, 8000):
    n = 2000; t0 = time.process_time()
    for _ in range(n):
        v, i = torch.topk(x, k); int(i[torch.multinomial(torch.softmax(v / 0.8, 0), 1)])
    print((time.process_time() - t0) / n * 1e3, end=" ")
PYEOF
) || bench_fail peer "torch.topk + multinomial"
    read -r peer_40 peer_8000 <<<"$peer"
    bench_pos peer "ms of torch top-k 40" "${peer_40:-}"; bench_pos peer "ms of torch top-k 8000" "${peer_8000:-}"
    pv=$(printf 'torch.topk + softmax + multinomial (1 thread): %.3f ms (k 40), %.3f ms (k 8000) a draw' "$peer_40" "$peer_8000")
else pv="no peer (no torch for /usr/bin/python3)"; fi
awk -v a="$gen_40" -v b="$gen_8000" -v p="$pv" 'BEGIN{
    printf "blalm generate (16384 vocab), ms a draw (sample_ms): %.3f with --top-k 40, %.3f with --top-k 8000\n", a, b;
    printf "peer: %s\n", p }'
