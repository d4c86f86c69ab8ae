#!/usr/bin/env bash
# blalm generate (the command: loading the checkpoint and tokenizer, encoding
# the prompt, the model's recurrent step, the draw, decoding and printing the
# text), one thread, greedy (--temperature 0), beside a PyTorch peer
# (tests/bench/generate_peer.py, one thread) running the same model's
# recurrent step, written there, from `blalm export`'s model.safetensors,
# with argmax and the decode. Greedy, both sides must produce the same tokens:
# the peer's ids, decoded with tokenizer.json's vocabulary, must give blalm's
# text byte for byte, on 8 prompts of 64 tokens each and on the timed
# generation (else FAIL mismatch); and the same number of tokens.
# The model: configs/model-demo.json (mLSTM, dim 64, 2 layers, vocabulary
# 2,048; the tokenizer trained here on the FineWeb documents of
# ../shared/data, or Debian's text under /usr/share/doc) with init_std 1.0,
# after one training step: random weights whose logits are far apart, so
# that greedy text is varied and any difference in the step shows (a forget
# gate off by half in the peer fails at byte 84). Trained for 100 to 600
# steps, model-demo's greedy text soon repeated one word from every prompt,
# and after 200 steps it was the same with the peer's output gate replaced
# by 0.5: no check.
# Timed: GEN_BENCH_SAMPLES (default 16) greedy samples of up to 256 tokens
# from the first prompt (blalm generate --samples: the same text each time;
# the peer the same, each from a fresh state), CPU seconds, best of 3 each
# (the machine may be shared): blalm's whole command
# (with its start and loading); the peer's prompt, steps, argmax and decode
# (not Python's start, the torch import or reading the weights).
set -u
BLALM=${BLALM_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/lib.bash"
PY=/usr/bin/python3
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
"$PY" -c "import torch" 2>/dev/null || bench_fail peer "torch is not importable by $PY (Debian python3-torch)"
ntok=256 nsamp=${GEN_BENCH_SAMPLES:-16}
src=${BLALM_SHARED_DATA:-}/fineweb-legal.jsonl.zst
"$PY" - "$src" "$TMP/c" "$TMP/prompts" <<'PYEOF' || bench_fail setup "making the corpus"
import gzip, json, os, subprocess, sys
src, out, prompts = sys.argv[1:4]
docs = []
if os.path.isfile(src):
    docs = [json.loads(l)["text"] for l in subprocess.run(["zstd", "-dc", src], capture_output=True, check=True).stdout.decode().splitlines()]
    print("corpus: %d FineWeb documents (fineweb-legal.jsonl.zst)" % len(docs))
else:
    for root, dirs, files in os.walk("/usr/share/doc"):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            try:
                t = (gzip.open(p).read() if f.endswith(".gz") else open(p, "rb").read()).decode("utf-8")
            except Exception:
                continue
            if t.strip() and len(docs) < 3000:
                docs.append(t)
    print("corpus: %d text files under /usr/share/doc (../shared/data absent)" % len(docs))
dev = docs[len(docs) * 9 // 10:]
for split, part in (("train", docs[:len(docs) * 9 // 10]), ("dev", dev)):
    os.makedirs(os.path.join(out, split))
    open(os.path.join(out, split, "g." + split), "w", encoding="utf-8").write("\n\n".join(part) + "\n")
# prompts: the first 4 words of the first 8 held-out documents with 4 words
ps = [" ".join(d.split()[:4]) for d in dev if len(d.split()) >= 4][:8]
open(prompts, "w", encoding="utf-8").write("\n".join(ps) + "\n")
PYEOF
"$BLALM" tokenizer train --quiet --threads 1 --corpus "$TMP/c" --out "$TMP/tok" --vocab 2048 2>"$TMP/err" ||
    bench_fail blalm "tokenizer train: $(head -c 300 "$TMP/err")"
sed 's/"mixer": "mlstm",/"mixer": "mlstm", "init_std": 1.0,/' "$root/configs/model-demo.json" >"$TMP/model.json"
grep -q '"init_std": 1.0' "$TMP/model.json" || bench_fail setup "init_std not set in model-demo.json's copy"
"$BLALM" train --corpus "$TMP/c" --tokenizer "$TMP/tok/tokenizer.json" --model "$TMP/model.json" \
    --out "$TMP/run" --max-steps 1 --threads 1 -q 2>"$TMP/err" ||
    bench_fail blalm "train (the model, one step): $(head -c 300 "$TMP/err")"
"$BLALM" export --run "$TMP/run" --out "$TMP/exp" -q 2>"$TMP/err" || bench_fail blalm "export: $(head -c 300 "$TMP/err")"

# gen PROMPT MAX_NEW OUT: blalm's text to OUT.b and its token count to OUT.bn;
# the peer's text to OUT.p, its "TOKENS CPU IDS" to OUT.pr
gen() {
    local ids
    "$BLALM" generate --run "$TMP/run" --prompt "$1" --temperature 0 --max-new "$2" >"$3.b" 2>"$TMP/err" ||
        bench_fail blalm "generate --prompt '$1': $(head -c 300 "$TMP/err")"
    sed -n 's/^blalm generate: \([0-9]*\) tokens.*/\1/p' "$TMP/err" >"$3.bn"
    ids=$(printf %s "$1" | "$BLALM" tokenizer encode --tokenizer "$TMP/exp/tokenizer.json" --no-special 2>"$TMP/err") ||
        bench_fail blalm "tokenizer encode '$1': $(head -c 300 "$TMP/err")"
    "$PY" "$here/generate_peer.py" "$TMP/exp" "$ids" "$2" "$3.p" >"$3.pr" 2>"$TMP/err" ||
        bench_fail peer "generate_peer.py '$1': $(head -c 300 "$TMP/err")"
    bench_same "tokens generated from '$1'" "$(cat "$3.bn")" "$(cut -d' ' -f1 "$3.pr")"
    cmp -s "$3.b" "$3.p" || bench_fail mismatch "greedy from '$1': blalm's text and the peer's differ ($(cmp "$3.b" "$3.p" 2>&1 | head -1))"
}
n=0 distinct=$TMP/distinct
while IFS= read -r pr; do
    n=$((n + 1))
    gen "$pr" 64 "$TMP/check$n"
    cut -d' ' -f3 "$TMP/check$n.pr" >>"$distinct"
done <"$TMP/prompts"
[ "$n" = 8 ] || bench_fail setup "8 prompts expected, $n made"
echo "checked: 8 prompts x 64 greedy tokens, the same text from both ($(sort -u "$distinct" | wc -l) distinct continuations); e.g. $(head -c 120 "$TMP/check1.b" | tr '\n' ' ')"

prompt=$(head -1 "$TMP/prompts")
gen "$prompt" "$ntok" "$TMP/timed"
pids=$(printf %s "$prompt" | "$BLALM" tokenizer encode --tokenizer "$TMP/exp/tokenizer.json" --no-special 2>/dev/null)
"$BLALM" generate --run "$TMP/run" --prompt "$prompt" --temperature 0 --max-new "$ntok" --samples "$nsamp" >/dev/null 2>"$TMP/err" ||
    bench_fail blalm "generate --samples $nsamp: $(head -c 300 "$TMP/err")"
tokens=$(sed -n "s/^blalm generate: $nsamp samples, \([0-9]*\) tokens.*/\1/p" "$TMP/err")
bench_pos blalm "tokens generated (--samples $nsamp)" "$tokens"
bench_same "tokens of $nsamp samples" "$tokens" "$(( $(cat "$TMP/timed.bn") * nsamp ))"
bench_cpu ours blalm "$BLALM" generate --run "$TMP/run" --prompt "$prompt" --temperature 0 --max-new "$ntok" --samples "$nsamp" -q
peer=999999
for _ in 1 2 3; do
    "$PY" "$here/generate_peer.py" "$TMP/exp" "$pids" "$ntok" "$TMP/t.p" "$nsamp" >"$TMP/t.pr" 2>"$TMP/err" ||
        bench_fail peer "generate_peer.py: $(head -c 300 "$TMP/err")"
    read -r pn pc _ <"$TMP/t.pr"
    bench_same "tokens generated (timed)" "$tokens" "$pn"
    bench_pos peer "CPU seconds of generate_peer.py" "$pc"
    peer=$(awk -v a="$peer" -v b="$pc" 'BEGIN { print (b < a) ? b : a }')
done
bench_pos blalm "CPU seconds" "$ours"
awk -v t="$tokens" -v o="$ours" -v p="$peer" -v n="$nsamp" 'BEGIN{
    printf "blalm generate (model-demo, random weights), greedy, %d samples:  %8.0f tokens per CPU-s (%.3f CPU-s for %d tokens, with start and loading; best of 3)\n", n, t/o, o, t;
    printf "PyTorch recurrent step + argmax + decode (1 thread):     %8.0f tokens per CPU-s (%.3f CPU-s, the same %d tokens; best of 3)\n", t/p, p, t;
    printf "ratio (peer time / ours): %.2f\n", p/o }'
