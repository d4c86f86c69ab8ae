#!/usr/bin/env bash
# The C decoder against its PyTorch twin (trainer_twin.py, torch autograd):
# logits and loss within 1e-4, every parameter gradient within 1e-3, and 10
# steps each of AdamW and Muon with losses within 1e-3 (relative), for the
# mLSTM and the attention mixer. Sequence length 13 is not a multiple of the
# chunk (8).
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if ! have_py torch; then
    skip trainer_twin "torch not importable by $PY (Debian python3-torch)"
    exit 0
fi
for mixer in mlstm attention; do
    out="$TMP/$mixer"
    if ! "$BLALM" modelcheck --model "$root/configs/model-tiny.json" --mixer "$mixer" \
            --seq 13 --batch 3 --steps 10 --seed 5 --out "$out" -q 2>"$TMP/err"; then
        fail "twin_$mixer" "modelcheck: $(head -c 300 "$TMP/err")"
        continue
    fi
    if ! "$PY" "$here/trainer_twin.py" check "$out" >"$TMP/res.json" 2>"$TMP/err"; then
        fail "twin_$mixer" "twin: $(tail -c 400 "$TMP/err" | tr '\n' ' ')"
        continue
    fi
    "$PY" - "$TMP/res.json" "$mixer" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); m = sys.argv[2]
print("# twin %s: %s" % (m, json.dumps(r)))
def verdict(name, ok, why):
    print(("PASS %s" % name) if ok else ("FAIL %s: %s" % (name, why)))
verdict("twin_%s_logits_loss" % m, r["logits_rel"] <= 1e-4 and r["loss_rel"] <= 1e-4,
        "logits rel %g, loss rel %g" % (r["logits_rel"], r["loss_rel"]))
verdict("twin_%s_grads" % m, r["grad_rel"] <= 1e-3, "worst grad rel %g at %s" % (r["grad_rel"], r["grad_worst"]))
verdict("twin_%s_adamw_10_steps" % m, r["adamw_loss_rel"] <= 1e-3, "loss rel %g" % r["adamw_loss_rel"])
verdict("twin_%s_muon_10_steps" % m, r["muon_loss_rel"] <= 1e-3, "loss rel %g" % r["muon_loss_rel"])
PY
done
