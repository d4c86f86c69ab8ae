#!/usr/bin/env bash
# The real comparison of issue 16, as it was run (README: "The real comparison").
# WORK outside the repository; ../shared/data read in place, never copied.
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
common=(--corpus "$W/corpora/strict-small" --tokens 131072 --model-size "$here/model-abl.json"
        --eval-data "$D/babylm-eval" --eval-tasks blimp,supplement,wug_adj,reading --threads 1)
# one tokenizer for every run: the first ablation trains it, the others copy it
"$B" ablate "${common[@]}" --variants mlstm --optimizers adamw --seeds 1 --out "$W/A"
mkdir -p "$W/B"; cp "$W/A/tokenizer.json" "$W/B/"
# seeds side by side (each a separate process; run them in parallel on more cores)
for s in 1 2 3; do "$B" ablate "${common[@]}" --variants mlstm,transformer --optimizers adamw,muon --seeds $s-$s --out "$W/A"; done
"$B" ablate "${common[@]}" --variants mlstm,transformer --optimizers adamw,muon --seeds 3 --out "$W/A"   # tables of all
mkdir -p "$W/B/runs"; ln -sfn "$W/A/runs/mlstm-adamw-s1" "$W/B/runs/"
"$B" ablate "${common[@]}" --variants mlstm,swa,swa-dynmod,swa-memory,swa-dynmod-bounded --optimizers adamw --seeds 1 --out "$W/B"
