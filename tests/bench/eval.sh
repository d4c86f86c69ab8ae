#!/usr/bin/env bash
# blalm eval speed, one thread: full BLiMP (filtered) + supplement (about
# 130k sentences) through the model-strict-small config (goal < 10 minutes),
# beside the PyTorch twin scoring a sample of the same sentences the same way
# (equal-length batches, no gradient) in the same run; CPU seconds, since the
# machine is shared. The model is a strict-small run of one step at learning
# rate 0 (its initial weights: speed does not depend on them) with a
# 16,384-token BPE trained on the FineWeb documents of ../shared/data.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BLALM=${BLALM_BIN:-$root/bin/blalm}
PY=/usr/bin/python3
. "$root/tests/bench/lib.bash"
D=${BLALM_SHARED_DATA:-}/babylm-eval
src=${BLALM_SHARED_DATA:-}/fineweb-legal.jsonl.zst
if [ ! -d "$D" ] || [ ! -f "$src" ]; then
    echo "eval bench skipped: ../shared/data (babylm-eval, fineweb-legal.jsonl.zst) not found"; exit 0
fi
# the twin is the peer: without torch there is no ratio, so the bench fails
# (as train.sh does) instead of passing as "skipped"
if ! "$PY" -c "import torch" 2>/dev/null; then
    echo "FAIL peer missing: no torch for $PY, so no PyTorch twin (make bench installs it through scripts/deps.sh test)"; exit 1
fi
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
mkdir -p "$TMP/c/train" "$TMP/c/dev"
zstd -dc "$src" | "$PY" -c "
import json, sys
docs = [json.loads(l)['text'] for l in sys.stdin]
open('$TMP/c/train/fw.train', 'w').write('\n\n'.join(docs[50:]) + '\n')
open('$TMP/c/dev/fw.dev', 'w').write('\n\n'.join(docs[:50]) + '\n')" || bench_fail setup "writing the corpus"
sed 's/"lr_adamw": 2e-3/"lr_adamw": 0/; s/"lr_muon": 0.02/"lr_muon": 0/; s/"batch_size": 16/"batch_size": 1/' \
    "$root/configs/model-strict-small.json" > "$TMP/ss.json"
bench_run blalm "train (the model to evaluate)" "$BLALM" train --corpus "$TMP/c" --model "$TMP/ss.json" --out "$TMP/run" --max-steps 1 --threads 1 -q
TIMEFORMAT='%R %U %S'
{ time "$BLALM" eval --run "$TMP/run" --data "$D" --tasks blimp,supplement --threads 1 -q \
      --dump "$TMP/dump.jsonl" --dump-every 20 ; } 2>"$TMP/time" || bench_fail blalm "eval: $(cat "$TMP/time")"
J="$TMP/run/checkpoints/latest.eval.json"
read -r wall user sys < <(tail -1 "$TMP/time")
bench_pos blalm "CPU seconds of eval" "$(awk -v u="${user:-}" -v s="${sys:-}" 'BEGIN { print u + s }')"
"$PY" - "$J" "$wall" "$user" "$sys" <<'PY' || bench_fail blalm "reading $J"
import json, sys
r = json.load(open(sys.argv[1]))
wall, cpu = float(sys.argv[2]), float(sys.argv[3]) + float(sys.argv[4])
n = r["tasks"]["blimp"]["sequences"] + r["tasks"]["supplement"]["sequences"]
print("blalm eval strict-small, full BLiMP + supplement: %d sentences (%d unique, %d tokens forward) "
      "in %.1f s CPU (%.1f s wall), %.0f sentences/s (goal: under 600 s)"
      % (n, r["unique_sequences"], r["tokens_forward"], cpu, wall, n / cpu))
PY
rate=$("$PY" -c "import json,sys; r=json.load(open('$J')); n=r['tasks']['blimp']['sequences']+r['tasks']['supplement']['sequences']; print(n/($user+$sys))") ||
    bench_fail blalm "reading $J"
bench_pos blalm "sentences per CPU-s" "$rate"
bench_run blalm "export" "$BLALM" export --run "$TMP/run" --out "$TMP/export" -q
twin=$("$PY" "$root/tests/oracle/eval_twin.py" bench "$TMP/export" "$TMP/dump.jsonl") || bench_fail peer "eval_twin.py bench"
echo "twin: $twin"
trate=$(printf '%s' "$twin" | sed -n 's/.*"sentences_per_s": \([0-9.e+-]*\).*/\1/p')
bench_pos peer "sentences_per_s" "$trate"
awk -v a="$rate" -v b="$trate" 'BEGIN { printf "eval strict-small: blalm %.0f sentences/s, PyTorch twin %.0f sentences/s, ratio %.2f\n", a, b, a / b }'
