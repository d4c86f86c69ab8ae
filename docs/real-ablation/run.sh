#!/usr/bin/env bash
# The real comparison of issue 16, as it was run (README: "The real comparison"),
# written as one sequential script. WORK outside the repository; ../shared/data is
# read in place, never copied. On the 2-core machine the runs were spread over two
# `--seeds FIRST-LAST` streams into the same folders (that is what FIRST-LAST is for);
# the last ablate call of each budget then skips every finished run and writes the
# tables and charts of all of them.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd); here=$root/docs/real-ablation
W=${WORK:-/tmp/blalm-real-ablation}; B=$root/bin/blalm; D=$root/../shared/data
mkdir -p "$W/work/docs/fineweb" "$W/work/docs/usr-share-doc"
ln -sf "$D"/fineweb-legal/*.parquet "$W/work/docs/fineweb/"
/usr/bin/python3 "$root/scripts/usr-share-doc.py" "$W/work/docs/usr-share-doc/usr-share-doc.jsonl" --count
zstd -q --rm -f "$W/work/docs/usr-share-doc/usr-share-doc.jsonl"
"$B" tag --work "$W/work"; "$B" dedup --work "$W/work"
"$B" assemble --work "$W/work" --out "$W/corpora" --config "$here/corpora.json"
"$B" verify "$W/corpora/strict-small"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
all=mlstm,transformer,shortconv,swa,swa-memory,swa-dynmod,swa-dynmod-bounded,hedgehog,hedgehog-swa
common=(--corpus "$W/corpora/strict-small" --model-size "$here/model-abl.json" --optimizers adamw,muon
        --eval-data "$D/babylm-eval" --eval-tasks blimp,supplement,wug_adj,reading --threads 1)
# budget 1: 131,072 tokens per run, every variant x AdamW/Muon x seeds 1-3 (54 runs);
# the first run trains the BPE tokenizer, every later run (and budget 2) uses it
for s in 1 2 3; do "$B" ablate "${common[@]}" --tokens 131072 --variants $all --seeds $s-$s --out "$W/all-131k"; done
"$B" ablate "${common[@]}" --tokens 131072 --variants $all --seeds 3 --out "$W/all-131k"
# budget 2: 524,288 tokens per run, mlstm, transformer and swa-dynmod x AdamW/Muon x seeds 1-3 (18 runs)
mkdir -p "$W/core-524k"; cp "$W/all-131k/tokenizer.json" "$W/core-524k/"
"$B" ablate "${common[@]}" --tokens 524288 --variants mlstm,transformer,swa-dynmod --seeds 3 --out "$W/core-524k"
