#!/usr/bin/env bash
# Seeds for fuzz_distill_model: small real model files (2^10 features), one of
# each kind and one with a word-vector part, trained by bin/blalm on synthetic
# labelled documents.
set -euo pipefail
out=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
blalm=$root/bin/blalm
[ -x "$blalm" ] || { echo "seed-distill_model: build bin/blalm first (make)"; exit 0; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/docs/s"
for i in $(seq 0 59); do
    printf '{"id":"%d","text":"w%d a%d b%d shared words here","metadata":{"score":%d}}\n' "$i" $((i % 6)) $((i % 6)) $((i % 7)) $((i % 6))
done >"$tmp/docs/s/x.jsonl"
for kind in ridge logistic ensemble; do
    "$blalm" distill train --work "$tmp" --label-field score --hash-bits 10 --folds 3 --model-type $kind \
        --out "$out/model-$kind.bin" -q
done
printf '%s\n' "w0 1 0 0" "w1 0 1 0" "w2 0 0 1" "w3 1 1 0" "w4 0 1 1" "w5 1 0 1" "shared 0.1 0.1 0.1" >"$tmp/vec.txt"
"$blalm" distill train --work "$tmp" --label-field score --hash-bits 10 --folds 3 --model-type ridge \
    --embeddings "$tmp/vec.txt" --out "$out/model-emb.bin" -q
