#!/usr/bin/env bash
# Seeds for fuzz_safetensors: model.safetensors of configs/model-tiny.json,
# from a 2-step bin/blalm train and bin/blalm export.
#   seed-safetensors.sh CORPUS_DIR
set -eu
out=${1:?corpus dir}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/c/train"
for i in $(seq 200); do echo "the cat sat on the mat and the dog ran home number $i."; echo; done >"$tmp/c/train/x.train"
if [ -x "$root/bin/blalm" ] &&
   "$root/bin/blalm" train --corpus "$tmp/c" --model "$root/configs/model-tiny.json" --out "$tmp/r" --max-steps 2 -q &&
   "$root/bin/blalm" export --run "$tmp/r" --out "$tmp/hf" -q; then
    cp "$tmp"/hf/*.safetensors "$out/"
else
    echo "seed-safetensors: no bin/blalm or train/export failed; no seed" >&2
fi
