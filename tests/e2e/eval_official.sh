#!/usr/bin/env bash
# blalm eval against what the official pipeline (babylm/evaluation-pipeline-2025)
# computes from the same scores: wug's rho from float32 softmax
# probabilities (torch.softmax on the float32 sums, scipy's spearmanr).
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! need_shared || [ ! -d "$SHARED_DATA/babylm-eval/blimp_fast" ]; then
    skip eval_official "../shared/data/babylm-eval not found"
    exit 0
fi
D="$SHARED_DATA/babylm-eval"
# the tiny model, trained a little on a repetitive text: its wug probabilities
# are near 1, where float32 ties many of them (as eval_twin.sh)
sed 's/"context": 32/"context": 1024/' "$root/configs/model-tiny.json" > "$TMP/tiny.json"
C="$TMP/corpus"; mkdir -p "$C/train"
for i in $(seq 1 200); do echo "The cat $i sat on the box and the dog $((i % 7)) ran to the house. Box $((i % 5)) contains the red card."; echo; done > "$C/train/x.train"
R="$TMP/run"
if ! "$BLALM" train --corpus "$C" --model "$TMP/tiny.json" --out "$R" --max-steps 20 -q 2>"$TMP/err"; then
    fail eval_official "train: $(head -c 300 "$TMP/err")"
    exit 0
fi

# wug: rho over softmax(sums)[0] computed in float32 as torch does, with
# scipy's average ranks for the ties float32 makes
if ! have_py torch || ! have_py scipy; then
    skip eval_wug_rho_float32 "torch or scipy not importable by $PY (Debian python3-torch, python3-scipy)"
elif "$BLALM" eval --run "$R" --data "$D" --fast --tasks wug_adj --out "$TMP/wug.json" --dump "$TMP/wug.dump" \
        --dump-every 1 -q 2>"$TMP/err" \
    && "$PY" - "$TMP/wug.json" "$TMP/wug.dump" "$D/wug_adj_nominalization/wug_adj_nominalization.jsonl" <<'PY'
import json, sys
import numpy as np, torch
from scipy.stats import spearmanr
r = json.load(open(sys.argv[1]))["tasks"]["wug_adj"]
dump = [json.loads(l) for l in open(sys.argv[2])]
dump = sorted((d for d in dump if d["task"] == "wug_adj"), key=lambda d: d["item"])
human = [json.loads(l)["ratio"] for l in open(sys.argv[3]) if l.strip()]
assert len(dump) == len(human) == 200, (len(dump), len(human))
sums = torch.tensor(np.array([d["score"] for d in dump], dtype=np.float32))
prob = torch.softmax(sums, dim=1)[:, 0]
rho = spearmanr([p.item() for p in prob], human)[0]
wide = torch.softmax(torch.tensor([d["score"] for d in dump], dtype=torch.float64), dim=1)[:, 0]
print("# wug_adj rho: float32 %.12f (%d distinct probabilities), blalm %.12f, double %.12f"
      % (rho, len(set(prob.tolist())), r["spearman"], spearmanr(wide.tolist(), human)[0]))
assert r["spearman"] == rho, (r["spearman"], rho)
assert r["score"] == 100 * rho
PY
then pass eval_wug_rho_float32
else fail eval_wug_rho_float32 "$(head -c 300 "$TMP/err")"; fi
