#!/usr/bin/env bash
# blalm eval against what the official pipeline (babylm/evaluation-pipeline-2025)
# computes from the same scores: wug's rho from float32 softmax
# probabilities (torch.softmax on the float32 sums, scipy's spearmanr); and
# whether the data is the official data (item counts of collate_preds.py,
# SHA256SUMS, the official files' sha256 built into blalm), marked in eval.json and the table when it is not; and
# --predictions, the official predictions.json files, read as collate_preds.py
# reads them.
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
# (this run also writes the --predictions files eval_predictions_collate reads)
P="$TMP/results/run/main/zero_shot/causal"
if "$BLALM" eval --run "$R" --data "$D" --fast --tasks blimp,supplement,entity_tracking,wug_adj,reading \
        --out "$TMP/off.json" --predictions "$P" >"$TMP/table" 2>"$TMP/err" && "$PY" - "$TMP/off.json" <<'PY' && ! grep -q '\*' "$TMP/table"
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

# edited items in a folder without SHA256SUMS (as the organisers' download
# ships): the counts are the official ones, but blalm knows the official
# files' sha256, so the edit is marked (it read official_data true); the
# official files themselves, entity tracking uncompressed as distributed
# (written in $TMP only), are official. An item edited along with a
# SHA256SUMS that lists the edited file is marked too.
N="$TMP/nosums"; mkdir -p "$N/blimp_fast" "$N/entity_tracking"
cp "$D"/blimp_fast/*.jsonl "$N/blimp_fast/"; cp -r "$D/wug_adj_nominalization" "$N/"; chmod -R u+w "$N"
zstd -dcq "$D/entity_tracking/regular.jsonl.zst" > "$N/entity_tracking/regular.jsonl"
sed -i '5s/"sentence_good": "/"sentence_good": "The /' "$N/blimp_fast/wh_island.jsonl"
if "$BLALM" eval --run "$R" --data "$N" --fast --tasks blimp,entity_tracking,wug_adj --out "$TMP/nosums.json" \
        >"$TMP/table" 2>"$TMP/err" \
    && grep -q '^  blimp: content differs from the official data: blimp_fast/wh_island.jsonl$' "$TMP/table" \
    && (cd "$N" && sha256sum blimp_fast/*.jsonl > SHA256SUMS) \
    && "$BLALM" eval --run "$R" --data "$N" --fast --tasks blimp --out "$TMP/nosums2.json" -q 2>"$TMP/err" \
    && "$PY" - "$TMP/nosums.json" "$TMP/nosums2.json" <<'PY'
import json, sys
r, r2 = (json.load(open(f)) for f in sys.argv[1:])
t = r["tasks"]
assert r["official_data"] is False and t["blimp"]["official_data"] is False, r["official_data"]
assert t["blimp"]["data_check"] == ["content differs from the official data: blimp_fast/wh_island.jsonl"], t["blimp"]
assert t["entity_tracking"]["official_data"] is True and "data_check" not in t["entity_tracking"], t["entity_tracking"]
assert t["wug_adj"]["official_data"] is True and "data_check" not in t["wug_adj"], t["wug_adj"]
b2 = r2["tasks"]["blimp"]
assert b2["official_data"] is False, b2
assert b2["data_check"] == ["content differs from the official data: blimp_fast/wh_island.jsonl"], b2
PY
then pass eval_edited_data_without_sums_marked
else fail eval_edited_data_without_sums_marked "$(head -c 300 "$TMP/err") $(cat "$TMP/table")"; fi

# --predictions DIR: the official pipeline's predictions.json files, read the
# way its collate_preds.py reads them for the fast suite: the layout
# DIR/<task>/<dataset>/predictions.json, its size check (_check_size), each
# prediction's "pred" compared with the data's correct text, wug's spearmanr
# of "prob", reading's OLS gains from "pred"/"prev_pred" (numpy's lstsq,
# pandas' dropna rows); every figure equals eval.json's (the files and
# off.json: the run of eval_official_data_marked_official above)
if ! have_py numpy || ! have_py scipy; then
    skip eval_predictions_collate "numpy or scipy not importable by $PY"
elif [ -s "$TMP/off.json" ] && "$PY" - "$P" "$D" "$TMP/off.json" <<'PY' 2>"$TMP/err"
import csv, json, math, os, subprocess, sys
import numpy as np
from scipy.stats import spearmanr
P, D, R = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3]))["tasks"]
BLIMP_FAST, SUPP_FAST, WUG, READING = 200, 50, 200, 1726
ET_FAST = {"regular_0_ops": 606, "regular_1_ops": 607, "regular_2_ops": 606, "regular_3_ops": 606,
           "regular_4_ops": 568, "regular_5_ops": 159}
def load(task, dataset):
    path = os.path.join(P, task, dataset, "predictions.json") if dataset else os.path.join(P, task, "predictions.json")
    return json.load(open(path))      # Python's json reads NaN, as collate_preds's json.load
def sizes_ok(res, want):              # _check_size, fast: keys lowercased
    for k, v in res.items():
        n = want[k.lower()] if isinstance(want, dict) else want
        assert len(v["predictions"]) == n, (k, len(v["predictions"]), n)
def lines(path):
    if path.endswith(".zst"):
        text = subprocess.run(["zstd", "-dcq", path], capture_output=True, check=True).stdout.decode()
    else:
        text = open(path, encoding="utf-8").read()
    return [json.loads(l) for l in text.splitlines() if l.strip()]
def target_acc(res, folder, key):     # _calculate_target_results: pred.strip() == data[key].strip()
    out = {}
    for uid, v in res.items():
        data = lines(os.path.join(D, folder, uid + ".jsonl"))
        ok = sum(p["pred"].strip() == d[key].strip() for p, d in zip(v["predictions"], data))
        assert all(p["id"] == "%s_%d" % (uid, i) for i, p in enumerate(v["predictions"]))
        out[uid] = 100.0 * ok / len(v["predictions"])
    return out
checked = 0
for task, dataset, folder, size in (("blimp", "blimp_fast", "blimp_fast", BLIMP_FAST),
                                    ("supplement", "supplement_fast", "supplement_fast", SUPP_FAST)):
    res = load("blimp", dataset)
    sizes_ok(res, size)
    acc = target_acc(res, folder, "sentence_good")
    assert set(acc) == set(R[task]["uids"]), task
    for uid, a in acc.items():
        assert abs(a - R[task]["uids"][uid]["accuracy"]) < 1e-9, (task, uid, a)
        checked += 1
# entity tracking: regular's items by f"regular_{numops}_ops", pred == options[0]
res = load("entity_tracking", "entity_tracking_fast")
sizes_ok(res, ET_FAST)
by = {}
for d in lines(os.path.join(D, "entity_tracking", "regular.jsonl.zst")):
    by.setdefault("regular_%d_ops" % d["numops"], []).append(d)
for uid, v in res.items():
    ok = sum(p["pred"].strip() == d["options"][0].strip() for p, d in zip(v["predictions"], by[uid]))
    assert abs(100.0 * ok / len(v["predictions"]) - R["entity_tracking"]["uids"][uid]["accuracy"]) < 1e-9, uid
    checked += 1
# wug: spearmanr of "prob" against the human ratios, in file order
res = load("wug_adj", "wug_adj_nominalization")
sizes_ok(res, WUG)
human = [d["ratio"] for d in lines(os.path.join(D, "wug_adj_nominalization", "wug_adj_nominalization.jsonl"))]
rho = spearmanr([p["prob"] for p in res["wug_adj_nominalization"]["predictions"]], human)[0]
assert rho == R["wug_adj"]["spearman"], (rho, R["wug_adj"]["spearman"])
# reading: the rows of reading_data.csv with "pred" and "prev_pred" added
res = load("reading", None)
sizes_ok(res, READING)
preds = res["reading"]["predictions"]
assert [p["id"] for p in preds] == list(range(READING))
rows = list(csv.DictReader(open(os.path.join(D, "reading", "reading_data.csv"))))
NA = {"", "NA", "NaN", "nan", "N/A", "n/a", "NULL", "null", "None", "<NA>", "#N/A"}
def col(r, k): return float("nan") if r[k] in NA else float(r[k])
def r2(y, X):
    A = np.column_stack([np.ones(len(y))] + X)
    b = np.linalg.lstsq(A, y, rcond=None)[0]
    e = y - A @ b
    return 1 - (e @ e) / ((y - y.mean()) @ (y - y.mean()))
def gain(dv, spill):
    base = ["Subtlex_log10", "length", "context_length"] + (["prev_length", "prev_pred"] if spill else [])
    def table(names):
        M = np.array([[col(r, k) if k in r else p[k] for k in [dv] + names] for r, p in zip(rows, preds)], dtype=float)
        return M[~np.isnan(M).any(axis=1)]
    def terms(M, k):
        X = [M[:, 1 + i] for i in range(k)]
        return X + [M[:, 1 + i] * M[:, 1 + j] for i in range(k) for j in range(i + 1, k)]
    B = table(base)
    Mm = table(base + ["pred"])
    rb = r2(B[:, 0], terms(B, len(base)))
    rm = r2(Mm[:, 0], terms(Mm, len(base)) + [Mm[:, -1]])
    return (rm - rb) / (1 - rb) * 100
for dv in ("RTfirstfix", "RTfirstpass", "RTgopast", "RTrightbound"):
    g = gain(dv, False)
    assert abs(g - R["reading"]["measures"][dv]["score"]) < 1e-6, (dv, g)
g = gain("self_paced_reading_time", True)
assert abs(g - R["reading"]["self_paced_reading"]) < 1e-6, g
print("# predictions.json read as collate_preds does: %d per-UID accuracies, wug rho %.6f, reading gains equal" % (checked, rho))
PY
then pass eval_predictions_collate
else fail eval_predictions_collate "$(head -c 300 "$TMP/err")"; fi
# wug's UID is the data file's stem, as the official decode_wug_tasks(raw,
# file_name.stem) makes it: predictions.json is keyed wug_adj_nominalization
# with ids wug_adj_nominalization_<i>, and collate_preds' fast scores carry
# that key into the submission file (blalm keyed it wug_adj, its task name)
if "$BLALM" eval --run "$R" --data "$D" --fast --tasks wug_adj --out "$TMP/wk.json" --predictions "$TMP/wk" -q 2>"$TMP/err" \
    && "$PY" - "$TMP/wk/wug_adj/wug_adj_nominalization/predictions.json" \
        "$D/wug_adj_nominalization/wug_adj_nominalization.jsonl" <<'PY' 2>>"$TMP/err"
import json, sys
res = json.load(open(sys.argv[1]))
assert list(res) == ["wug_adj_nominalization"], list(res)
ids = [p["id"] for p in res["wug_adj_nominalization"]["predictions"]]
n = sum(1 for line in open(sys.argv[2], encoding="utf-8") if line.strip())   # one item a line
assert n > 0 and ids == ["wug_adj_nominalization_%d" % i for i in range(n)], (n, len(ids), ids[:3])
PY
then pass eval_predictions_wug_uid_is_file_stem
else fail eval_predictions_wug_uid_is_file_stem "$(tail -c 300 "$TMP/err")"; fi
# one checkpoint's files: not with --all-checkpoints, and official scoring only
"$BLALM" eval --run "$R" --data "$D" --all-checkpoints --predictions "$TMP/p2" -q 2>"$TMP/err"; rc1=$?
"$BLALM" eval --run "$R" --data "$D" --fast --tasks wug_adj --score-first-token --predictions "$TMP/p2" -q 2>"$TMP/err2"; rc2=$?
[ $rc1 = 2 ] && [ $rc2 = 2 ] && grep -q -- '--predictions .*not with --all-checkpoints' "$TMP/err" \
    && grep -q -- 'not with --score-first-token' "$TMP/err2" && [ ! -e "$TMP/p2" ] \
    && pass eval_predictions_usage || fail eval_predictions_usage "rc $rc1 $rc2 $(head -c 300 "$TMP/err")"
