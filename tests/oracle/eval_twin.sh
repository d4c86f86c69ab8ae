#!/usr/bin/env bash
# blalm eval against the PyTorch twin (eval_twin.py): on a sample of every
# task of the fast suite (every 25th item, every 50th reading query) the
# candidates' log-probability sums from the exported safetensors agree within
# 1e-4, the candidates are rebuilt from the data files as the official
# decode_* builds them, the first scored token is recomputed from that text by
# the official offset rule, each task's score is recomputed from its per-UID
# counts, and the reading OLS scores agree with numpy's lstsq within 1e-6.
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if ! need_shared || [ ! -d "$SHARED_DATA/babylm-eval" ]; then
    skip eval_twin "../shared/data/babylm-eval not found"
    exit 0
fi
# the tiny model with a context long enough for entity tracking's prefixes
sed 's/"context": 32/"context": 1024/' "$root/configs/model-tiny.json" > "$TMP/tiny.json"
C="$TMP/corpus"; mkdir -p "$C/train"
for i in $(seq 1 200); do echo "The cat $i sat on the box and the dog $((i % 7)) ran to the house. Box $((i % 5)) contains the red card."; echo; done > "$C/train/x.train"
if ! "$BLALM" train --corpus "$C" --model "$TMP/tiny.json" --out "$TMP/run" --max-steps 20 -q 2>"$TMP/err" \
   || ! "$BLALM" export --run "$TMP/run" --out "$TMP/export" -q 2>>"$TMP/err"; then
    fail eval_twin "train/export: $(head -c 300 "$TMP/err")"
    exit 0
fi
if ! "$BLALM" eval --run "$TMP/run" --data "$SHARED_DATA/babylm-eval" --fast --dump "$TMP/dump.jsonl" \
        --dump-every 25 -q 2>"$TMP/err"; then
    fail eval_twin "eval: $(head -c 300 "$TMP/err")"
    exit 0
fi
# the sampled candidates' token ids, as Tokenizers.js (the JavaScript port of
# the Hugging Face library, which the official pipeline tokenises with)
# encodes their text with the exported tokenizer.json, and blalm's decode of
# those ids (tokenizer decode) against Tokenizers.js's and the text: the twin
# below takes blalm's ids and checks only that they spell the text
if ! command -v node >/dev/null || [ ! -d "$ORACLE_DIR/node_modules/@huggingface/tokenizers" ]; then
    skip eval_twin_tokens "node or the npm package @huggingface/tokenizers is missing (make test-deps installs them)"
elif "$PY" - "$TMP/dump.jsonl" "$TMP/tin.jsonl" "$TMP/tids.jsonl" <<'PY' 2>"$TMP/err" \
    && "$BLALM" tokenizer decode --tokenizer "$TMP/export/tokenizer.json" --jsonl "$TMP/tids.jsonl" >"$TMP/tdec.jsonl" 2>>"$TMP/err" \
    && node "$ORACLE_DIR/tokenizer_hf.mjs" "$TMP/export/tokenizer.json" "$TMP/export/tokenizer_config.json" \
        "$TMP/tin.jsonl" "$TMP/tids.jsonl" "$TMP/tdec.jsonl" >"$TMP/tout" 2>&1
import json, sys
n = 0
with open(sys.argv[2], "w") as fi, open(sys.argv[3], "w") as fd:
    for line in open(sys.argv[1], encoding="utf-8"):
        d = json.loads(line)
        for text, ids in zip(d.get("text", []), d.get("ids", [])):
            fi.write(json.dumps(text) + "\n")
            fd.write(json.dumps(ids) + "\n")
            n += 1
assert n > 1000, n
PY
then echo "# $(head -1 "$TMP/tout")"; pass eval_twin_tokens
else fail eval_twin_tokens "$(head -c 400 "$TMP/err" "$TMP/tout" 2>/dev/null | tr '\n' ' ')"; fi
# the torch twin (the token check above needs only node and python)
if ! have_py torch || ! have_py numpy; then
    skip eval_twin "torch or numpy not importable by $PY (Debian python3-torch, python3-numpy)"
elif out=$("$PY" "$here/eval_twin.py" "$TMP/export" "$TMP/dump.jsonl" "$TMP/run/checkpoints/latest.eval_fast.json" \
        "$SHARED_DATA/babylm-eval/reading/reading_data.csv" "$SHARED_DATA/babylm-eval" 2>"$TMP/err"); then
    echo "# $out"
    for t in blimp supplement entity_tracking wug_adj reading reading_ols aggregation; do
        if printf '%s' "$out" | grep -q "\"$t\":"; then pass "eval_twin_$t"; else fail "eval_twin_$t" "no sample: $out"; fi
    done
else
    fail eval_twin "$(tail -c 600 "$TMP/err" | tr '\n' ' ')"
fi
