#!/usr/bin/env bash
# distill score and eval on documents with no token (empty, whitespace only,
# punctuation only): each gets its line in edu_local, with the model's score
# of a text without features (the same finite score for all three, where no
# attribute sets are read), and eval counts them as documents like any other.
source "$(dirname "$0")/../lib.sh"
W=$TMP/w
E=$TMP/e
"$PY" - "$W" "$E" "$(dirname "$0")" <<'PY'
import json, os, random, sys
w, e = sys.argv[1:3]
sys.path.insert(0, sys.argv[3]); sys.dont_write_bytecode = True
import distill_synth
rng = random.Random(7)
doc = lambda i, label, tag: distill_synth.doc(rng, i, label, tag, 60, 1.0)
for path, docs in ((f"{w}/docs/src/a.jsonl", [doc(i, i % 6, "t") for i in range(120)]),
                   (f"{e}/docs/src/b.jsonl", [doc(i, i % 6, "h") for i in range(30)]
                    + [{"id": f"blank{k}", "text": t, "metadata": {"score": k % 6}}
                       for k, t in enumerate(["", "   \n\t  ", "... !!! --- ()", "x y z"])]
                    + [doc(99, 3, "h")])):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for d in docs: f.write(json.dumps(d) + "\n")
PY
M=$TMP/m.bin
"$BLALM" distill train --work "$W" --label-field score --out "$M" --folds 2 -q 2>"$TMP/err" ||
    fail distill_blank_train "$(cat "$TMP/err")"
"$BLALM" distill score --work "$E" --model "$M" -q 2>"$TMP/err" || fail distill_blank_score "$(cat "$TMP/err")"
check distill_blank_docs_scored "$PY" - "$E" <<'PY'
import json, subprocess, sys, math
e = sys.argv[1]
docs = [json.loads(l) for l in open(f"{e}/docs/src/b.jsonl")]
rows = [json.loads(l) for l in subprocess.run(["zstd", "-dcq", f"{e}/attributes/edu_local/src/b.jsonl.zst"],
                                              capture_output=True, check=True).stdout.decode().splitlines()]
assert [d["id"] for d in docs] == [r["id"] for r in rows], "not line-aligned"
s = {r["id"]: r["edu_local"] for r in rows}
blank = [s[f"blank{k}"] for k in range(4)]
for b in blank:
    assert math.isfinite(b["score"]) and 0 <= b["int_score"] <= 5, b
    assert b["int_score"] == min(5, max(0, math.floor(b["score"] + 0.5))), b
# no token in any of them ("x y z": tokens are two bytes or more): one score
assert blank[0]["score"] == blank[1]["score"] == blank[2]["score"] == blank[3]["score"], blank
PY
"$BLALM" distill eval --work "$E" --model "$M" --label-field score --json >"$TMP/ev.json" 2>"$TMP/err"
check distill_blank_docs_eval_counts "$PY" -c "
import json; r = json.load(open('$TMP/ev.json'))
assert r['documents'] == 35 and r['unlabelled'] == 0, r
assert sum(map(sum, r['confusion'])) == 35, r['confusion']"
