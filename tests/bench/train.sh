#!/usr/bin/env bash
# Training throughput on one thread: blalm (C, OpenBLAS) vs the PyTorch twin
# (same config, same chunkwise mLSTM algorithm, torch.set_num_threads(1)),
# measured in the same run (CPU time of each process: the machine is shared);
# model FLOP/s as a fraction of cblas_sgemm's
# measured peak; generation ms/token at positions 128 and 4096; peak memory
# of tiled attention at model-strict's size; the paper's variants (training
# tok/s relative to mLSTM, generation at 128 and 4096) and SWA's cost against T.
# BENCH_STEPS (default 2) timed steps per side after one warm-up step.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
BLALM=${BLALM_BIN:-$root/bin/blalm}
PY=/usr/bin/python3
steps=${BENCH_STEPS:-2}
. "$root/tests/bench/lib.bash"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
# the configs written below live in $TMP (TMPDIR honoured), removed however
# the bench ends: a Ctrl-C or a failure used to leave them in /tmp
TMP=$(mktemp -d "${TMPDIR:-/tmp}/blalm-bench-XXXXXX") || bench_fail setup "mktemp"
cleanup() { rm -rf "$TMP"; }
trap cleanup EXIT
# on Ctrl-C or a kill: clean up, then die of the same signal, so that run.sh
# (which sees how its child ended) stops too instead of going on
trap 'cleanup; trap - INT; kill -INT $$' INT
trap 'cleanup; trap - TERM; kill -TERM $$' TERM
# modelcheck SIDE-WHAT FIELD ARGS...: one `blalm modelcheck` line into $mc;
# fails the bench if it fails or FIELD is not a positive number in it
modelcheck() {
    local what=$1 field=$2; shift 2
    mc=$("$BLALM" modelcheck "$@") || bench_fail blalm "modelcheck $what (exit $?)"
    bench_pos blalm "$field of modelcheck $what" "$(printf '%s' "$mc" | sed -n "s/.*\"$field\":\([0-9.]*\).*/\1/p")"
}
have_torch=0; "$PY" -c "import torch" 2>/dev/null && have_torch=1
for cfg in small strict-small; do
    f="$root/configs/model-$cfg.json"
    # strict-small: batch 4 (not 16) keeps the benchmark short; the optimiser step weighs more
    batch=$([ "$cfg" = small ] && echo 8 || echo 4)
    seq=$("$PY" -c "import json,sys; c=json.load(open(sys.argv[1])); print(c['train'].get('seq_len') or c['context'])" "$f" 2>/dev/null || echo 256)
    modelcheck "$cfg" tokens_per_s --model "$f" --bench "$steps" --batch "$batch"
    echo "blalm $cfg: $mc"
    ctps=$(printf '%s' "$mc" | sed 's/.*"tokens_per_s":\([0-9.]*\).*/\1/')
    if [ $have_torch = 1 ]; then
        twin=$("$PY" "$root/tests/oracle/trainer_twin.py" bench "$f" "$seq" "$batch" "$steps") ||
            bench_fail peer "trainer_twin.py bench $cfg"
        ttps=$(printf '%s' "$twin" | sed -n 's/.*"tokens_per_s": \([0-9.]*\).*/\1/p')
        bench_pos peer "tokens_per_s of the twin ($cfg)" "$ttps"
        echo "twin  $cfg: $twin"
        awk -v a="$ctps" -v b="$ttps" -v c="$cfg" 'BEGIN { printf "%s: blalm %.1f tok/s, PyTorch twin %.1f tok/s, ratio %.2f (goal >= 1.5)\n", c, a, b, a / b }'
    else
        echo "FAIL peer missing: $cfg: blalm $ctps tok/s; no torch for $PY, so no PyTorch twin (make bench installs it through scripts/deps.sh test)"; peer_missing=1
    fi
done
# generation: mLSTM (recurrent form) vs attention (KV cache), small config
for mixer in mlstm attention; do
    sed "s/\"mixer\": \"mlstm\"/\"mixer\": \"$mixer\"/" "$root/configs/model-small.json" > "$TMP/gen.json"
    modelcheck "--gen ($mixer)" gen_ms_per_token_128 --model "$TMP/gen.json" --bench 1 --batch 1 --gen
    bench_pos blalm "gen_ms_per_token_4096 ($mixer)" "$(printf '%s' "$mc" | sed -n 's/.*"gen_ms_per_token_4096":\([0-9.]*\).*/\1/p')"
    printf '%s' "$mc" | awk -v m="$mixer" '{ match($0, /"gen_ms_per_token_128":[0-9.]*/); a = substr($0, RSTART + 23, RLENGTH - 23);
        match($0, /"gen_ms_per_token_4096":[0-9.]*/); b = substr($0, RSTART + 24, RLENGTH - 24);
        printf "generation %s: %.3f ms/token at 128, %.3f at 4096, ratio %.2f%s\n", m, a, b, b / a, m == "mlstm" ? " (goal <= 1.1)" : "" }'
done
# attention memory: model-strict with the attention mixer, batch 4, peak RSS
# of one training step; the untiled form kept B*H*S*S probabilities per layer
# plus their gradient, which this prints beside it
if [ -x /usr/bin/time ]; then
    sed 's/"mixer": "mlstm"/"mixer": "attention"/' "$root/configs/model-strict.json" > "$TMP/attn.json"
    /usr/bin/time -f "%M" -o "$TMP/rss" "$BLALM" modelcheck --model "$TMP/attn.json" --bench 1 --batch 4 >/dev/null 2>"$TMP/err" ||
        bench_fail blalm "modelcheck (attention memory): $(tail -3 "$TMP/err")"
    rss=$(tail -1 "$TMP/rss")
    bench_pos blalm "peak RSS (attention memory)" "$rss"
    "$PY" - "$rss" "$TMP/attn.json" <<'PY' || bench_fail blalm "attention memory report"
import json, sys
rss_kb, c = int(sys.argv[1]), json.load(open(sys.argv[2]))
B, H, S, L = 4, c["heads"], c["train"]["seq_len"], c["layers"]
untiled = (L + 1) * B * H * S * S * 4
print("attention memory, strict, batch 4: peak RSS %.0f MB (tiled); the untiled S x S probabilities "
      "and their gradient would add %.0f MB (%.0f MB at the config's batch %d)"
      % (rss_kb / 1024, untiled / 2**20, untiled / B * c["train"]["batch_size"] / 2**20, c["train"]["batch_size"]))
PY
else
    echo "attention memory: skipped (no /usr/bin/time)"
fi
# the paper's variants at the small size: training tokens/s relative to plain
# mLSTM (same run), and generation ms/token at positions 128 and 4096
tmpd=$TMP
base_tps=""
for v in mlstm transformer shortconv swa swa-memory swa-dynmod swa-dynmod-bounded hedgehog hedgehog-swa; do
    f="$root/configs/model-small-$v.json"; [ $v = mlstm ] && f="$root/configs/model-small.json"
    modelcheck "$v" tokens_per_s --model "$f" --bench "$steps" --batch 8 --gen; r=$mc
    tps=$(printf '%s' "$r" | sed 's/.*"tokens_per_s":\([0-9.]*\).*/\1/')
    g1=$(printf '%s' "$r" | sed 's/.*"gen_ms_per_token_128":\([0-9.]*\).*/\1/')
    g2=$(printf '%s' "$r" | sed 's/.*"gen_ms_per_token_4096":\([0-9.]*\).*/\1/')
    [ -z "$base_tps" ] && base_tps=$tps
    awk -v v="$v" -v t="$tps" -v b="$base_tps" -v a="$g1" -v c="$g2" 'BEGIN {
        printf "variant %-20s train %7.1f tok/s (%.2f of mlstm); generation %.3f ms/token at 128, %.3f at 4096, ratio %.2f%s\n",
               v, t, t / b, a, c, c / a, v == "transformer" ? "" : " (goal <= 1.1)" }'
done
# SWA's cost against T at a fixed window (64): per-token step time of
# small+swa minus small at T = 256, 1024, 4096 (B*T = 4096 tokens per step)
for T in 256 1024 4096; do
    for v in mlstm swa; do
        "$PY" - "$root/configs/model-small.json" "$tmpd/$v-$T.json" "$T" "$v" <<'PY' || bench_fail setup "config $v-$T"
import json, sys
c = json.load(open(sys.argv[1])); T = int(sys.argv[3])
c["context"] = T; c["train"]["seq_len"] = T
if sys.argv[4] == "swa": c["swa_window"] = 64
json.dump(c, open(sys.argv[2], "w"))
PY
        modelcheck "$v T=$T" tokens_per_s --model "$tmpd/$v-$T.json" --bench 1 --batch $((4096 / T))
        printf '%s' "$mc" | sed 's/.*"tokens_per_s":\([0-9.]*\).*/\1/' > "$tmpd/$v-$T.tps"
    done
    awk -v T="$T" -v a="$(cat "$tmpd/mlstm-$T.tps")" -v b="$(cat "$tmpd/swa-$T.tps")" 'BEGIN {
        printf "SWA (window 64) at T = %4d: %.1f us/token over plain mLSTM (%.1f vs %.1f tok/s)\n", T, (1 / b - 1 / a) * 1e6, b, a }'
done
exit ${peer_missing:-0}
