#!/usr/bin/env bash
# Training throughput on one thread: blalm (C, OpenBLAS) vs the PyTorch twin
# (same config, same chunkwise mLSTM algorithm, torch.set_num_threads(1)),
# measured in the same run (CPU time of each process: the machine is shared);
# model FLOP/s as a fraction of cblas_sgemm's
# measured peak; generation ms/token at positions 128 and 4096.
# BENCH_STEPS (default 2) timed steps per side after one warm-up step.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BLALM=${BLALM_BIN:-$root/bin/blalm}
PY=/usr/bin/python3
steps=${BENCH_STEPS:-2}
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
have_torch=0; "$PY" -c "import torch" 2>/dev/null && have_torch=1
for cfg in small strict-small; do
    f="$root/configs/model-$cfg.json"
    # strict-small: batch 4 (not 16) keeps the benchmark short; the optimiser step weighs more
    batch=$([ "$cfg" = small ] && echo 8 || echo 4)
    seq=$("$PY" -c "import json,sys; c=json.load(open(sys.argv[1])); print(c['train'].get('seq_len') or c['context'])" "$f" 2>/dev/null || echo 256)
    ours=$("$BLALM" modelcheck --model "$f" --bench "$steps" --batch "$batch")
    echo "blalm $cfg: $ours"
    ctps=$(printf '%s' "$ours" | sed 's/.*"tokens_per_s":\([0-9.]*\).*/\1/')
    if [ $have_torch = 1 ]; then
        twin=$("$PY" "$root/tests/oracle/trainer_twin.py" bench "$f" "$seq" "$batch" "$steps")
        ttps=$(printf '%s' "$twin" | sed 's/.*"tokens_per_s": \([0-9.]*\).*/\1/')
        echo "twin  $cfg: $twin"
        awk -v a="$ctps" -v b="$ttps" -v c="$cfg" 'BEGIN { printf "%s: blalm %.1f tok/s, PyTorch twin %.1f tok/s, ratio %.2f (goal >= 1.5)\n", c, a, b, a / b }'
    else
        echo "FAIL peer missing: $cfg: blalm $ctps tok/s; no torch for $PY, so no PyTorch twin (make bench installs it through scripts/deps.sh test)"; peer_missing=1
    fi
done
# generation: mLSTM (recurrent form) vs attention (KV cache), small config
for mixer in mlstm attention; do
    sed "s/\"mixer\": \"mlstm\"/\"mixer\": \"$mixer\"/" "$root/configs/model-small.json" > /tmp/blalm-bench-$$.json
    g=$("$BLALM" modelcheck --model /tmp/blalm-bench-$$.json --bench 1 --batch 1 --gen)
    printf '%s' "$g" | awk -v m="$mixer" '{ match($0, /"gen_ms_per_token_128":[0-9.]*/); a = substr($0, RSTART + 23, RLENGTH - 23);
        match($0, /"gen_ms_per_token_4096":[0-9.]*/); b = substr($0, RSTART + 24, RLENGTH - 24);
        printf "generation %s: %.3f ms/token at 128, %.3f at 4096, ratio %.2f%s\n", m, a, b, b / a, m == "mlstm" ? " (goal <= 1.1)" : "" }'
done
rm -f /tmp/blalm-bench-$$.json
exit ${peer_missing:-0}
