#!/usr/bin/env bash
# blalm eval against what the official pipeline (babylm/evaluation-pipeline-2025)
# computes from the same scores: wug's rho from float32 softmax
# probabilities (torch.softmax on the float32 sums, scipy's spearmanr); and
# whether the data is the official data (item counts of collate_preds.py,
# SHA256SUMS), marked in eval.json and the table when it is not.
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

# the official data: every task's item counts are the official ones (the
# constants of collate_preds.py) and its files those of SHA256SUMS; no mark
if "$BLALM" eval --run "$R" --data "$D" --fast --tasks blimp,supplement,entity_tracking,wug_adj,reading \
        --out "$TMP/off.json" >"$TMP/table" 2>"$TMP/err" && "$PY" - "$TMP/off.json" <<'PY' && ! grep -q '\*' "$TMP/table"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["official_data"] is True, r["official_data"]
for k, t in r["tasks"].items():
    assert t["official_data"] is True and "data_check" not in t, (k, t.get("data_check"))
PY
then pass eval_official_data_marked_official
else fail eval_official_data_marked_official "$(head -c 300 "$TMP/err") $(head -c 300 "$TMP/table")"; fi

# a paradigm cut short at a line boundary reads 100% on 20 items: the score
# is not the BabyLM score, and the JSON and the table say so (it was printed
# as the BLiMP score with no warning)
mkdir -p "$TMP/part/blimp_fast"
cp "$D"/blimp_fast/*.jsonl "$TMP/part/blimp_fast/"; cp "$D/SHA256SUMS" "$TMP/part/"
head -20 "$D/blimp_fast/wh_island.jsonl" > "$TMP/part/blimp_fast/wh_island.jsonl"
if "$BLALM" eval --run "$R" --data "$TMP/part" --fast --tasks blimp --out "$TMP/part.json" >"$TMP/table" 2>"$TMP/err" \
    && grep -q '^blimp  *[0-9.]*\* *13220$' "$TMP/table" && grep -q '^\* not the official data' "$TMP/table" \
    && grep -q '^  blimp: wh_island: 20 items, the official data has 200; content differs from SHA256SUMS: blimp_fast/wh_island.jsonl$' "$TMP/table" \
    && "$PY" - "$TMP/part.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
b = r["tasks"]["blimp"]
assert r["official_data"] is False and b["official_data"] is False, r["official_data"]
assert b["data_check"] == ["wh_island: 20 items, the official data has 200",
                           "content differs from SHA256SUMS: blimp_fast/wh_island.jsonl"], b["data_check"]
PY
then pass eval_short_data_marked
else fail eval_short_data_marked "$(head -c 300 "$TMP/err") $(cat "$TMP/table")"; fi
# a deleted paradigm, and data blalm cannot check (wug past tense: no
# official counts here, no SHA256SUMS): marked '?', official_data null
rm "$TMP/part/blimp_fast/wh_island.jsonl"; mkdir -p "$TMP/part/wug_past_tense"
printf '{"sentences": "the cat sat.\\tthe cats sat.", "ratio": 0.5}\n{"sentences": "a dog ran.\\ta dogs ran.", "ratio": 0.2}\n' \
    > "$TMP/part/wug_past_tense/wug_past_tense.jsonl"
if "$BLALM" eval --run "$R" --data "$TMP/part" --fast --tasks blimp,wug_past --out "$TMP/part2.json" >"$TMP/table" 2>"$TMP/err" \
    && grep -q '^wug_past (rho x100)  *[-0-9.]*? *2$' "$TMP/table" && grep -q '^? not checked against the official data' "$TMP/table" \
    && "$PY" - "$TMP/part2.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
b, w = r["tasks"]["blimp"], r["tasks"]["wug_past"]
assert b["data_check"] == ["official UIDs missing: wh_island", "in SHA256SUMS, not read: blimp_fast/wh_island.jsonl"], b["data_check"]
assert w["official_data"] is None and w["data_check"][0].startswith("not checked"), w
assert r["official_data"] is False
PY
then pass eval_missing_and_unchecked_data_marked
else fail eval_missing_and_unchecked_data_marked "$(head -c 300 "$TMP/err") $(cat "$TMP/table")"; fi
