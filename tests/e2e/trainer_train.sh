#!/usr/bin/env bash
# blalm train / generate / export on a small synthetic corpus: the loss falls,
# a killed-and-resumed run is bit-identical (also across an epoch, also after
# a SIGKILL; its losses, final weights and checkpoint), the data
# order is the documented shuffle of the recorded seed (words seen recomputed
# from it), BabyLM milestones and limits, a resume refuses a changed config,
# optimizer, track, length or train split (also one of the same length), and
# bad input (foreign or truncated checkpoint, empty corpus, vocabulary
# mismatch, bad flags) fails clearly.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
CFG="$root/configs/model-tiny.json"
C="$TMP/corpus"
synthetic_corpus "$C"   # 300 train and 40 dev documents (tests/lib.sh)

R="$TMP/run"
# 90 steps: two epochs of 73 steps' windows (293 windows, 4 rows a step)
if "$BLALM" train --corpus "$C" --model "$CFG" --out "$R" --max-steps 90 -q 2>"$TMP/err"; then
    first=$(grep -m1 '"loss"' "$R/log.jsonl" | sed 's/.*"loss":\([0-9.]*\).*/\1/')
    last=$(grep '"loss"' "$R/log.jsonl" | tail -1 | sed 's/.*"loss":\([0-9.]*\).*/\1/')
    if awk -v a="$first" -v b="$last" 'BEGIN { exit !(b < a - 0.3) }'; then pass train_loss_falls
    else fail train_loss_falls "first $first last $last"; fi
    if grep -q '"dev_ppl_word"' "$R/log.jsonl" && grep -q '"words_seen"' "$R/log.jsonl" \
       && [ -f "$R/tokenizer.json" ] && [ -f "$R/config.json" ] && [ -f "$R/tokens/train.tok" ] \
       && [ -f "$R/checkpoints/latest.bin" ]; then pass train_run_folder
    else fail train_run_folder "missing files or log keys: $(ls "$R")"; fi
else
    fail train_loss_falls "$(head -c 400 "$TMP/err")"
fi

# killed at step 17 (checkpoint at 10), resumed, killed at step 85 (in the
# second epoch; checkpoint at 80), resumed: same losses bit for bit
R2="$TMP/run2"
"$BLALM" train --corpus "$C" --model "$CFG" --out "$R2" --max-steps 90 --stop-after 17 -q 2>/dev/null
"$BLALM" train --corpus "$C" --model "$CFG" --out "$R2" --max-steps 90 --resume --stop-after 75 -q 2>"$TMP/err"
"$BLALM" train --corpus "$C" --model "$CFG" --out "$R2" --resume -q 2>>"$TMP/err"
if diff <(sed -E 's/"(tok_s|train_seconds)":[0-9.]*//' "$R/log.jsonl") <(sed -E 's/"(tok_s|train_seconds)":[0-9.]*//' "$R2/log.jsonl") >"$TMP/diff"; then
    pass train_resume_bit_exact
else
    fail train_resume_bit_exact "$(head -c 400 "$TMP/diff") $(head -c 200 "$TMP/err")"
fi
# the same weights too (the losses say nothing of the last update), and a
# run killed by SIGKILL (not --stop-after) after a checkpoint resumes to them
"$BLALM" export --run "$R" --out "$TMP/exp-r" -q 2>"$TMP/err"
"$BLALM" export --run "$R2" --out "$TMP/exp-r2" -q 2>>"$TMP/err"
if cmp -s "$TMP/exp-r/model.safetensors" "$TMP/exp-r2/model.safetensors"; then pass train_resume_weights_bit_exact
else fail train_resume_weights_bit_exact "exports differ: $(head -c 300 "$TMP/err")"; fi
RK="$TMP/run-sigkill"
"$BLALM" train --corpus "$C" --model "$CFG" --out "$RK" --max-steps 90 -q 2>"$TMP/errk" & kpid=$!
seen=0 died=0
for _ in $(seq 1 3000); do   # until the checkpoint at step 20, 30 or 40 is logged (at most 30 s)
    grep -q '"step":[234]0,"event":"checkpoint"' "$RK/log.jsonl" 2>/dev/null && { seen=1; break; }
    kill -0 $kpid 2>/dev/null || { died=1; break; }
    sleep 0.01
done
# killed only after a checkpoint (a slow machine that logged none in 30 s
# skips: the resume had no checkpoint to start from and failed); a run that
# failed by itself fails the test
if [ $seen = 1 ]; then kill -9 $kpid 2>/dev/null; elif [ $died = 0 ]; then kill $kpid 2>/dev/null; fi
wait $kpid 2>/dev/null; krc=$?
if [ $krc -ne 0 ] && [ $krc -ne 137 ] && { [ $seen = 1 ] || [ $died = 1 ]; }; then
    fail train_sigkill_resume_bit_exact "the run failed by itself (status $krc): $(head -c 300 "$TMP/errk")"
elif [ $seen = 0 ] && [ $died = 0 ]; then
    skip train_sigkill_resume_bit_exact "no checkpoint at step 20, 30 or 40 logged in 30 s (still running; stopped)"
elif [ $krc -ne 137 ]; then
    skip train_sigkill_resume_bit_exact "the run ended (status $krc) before the kill"
else
    "$BLALM" train --corpus "$C" --model "$CFG" --out "$RK" --resume -q 2>"$TMP/err" \
        && "$BLALM" export --run "$RK" --out "$TMP/exp-rk" -q 2>>"$TMP/err"
    if diff <(sed -E 's/"(tok_s|train_seconds)":[0-9.]*//' "$R/log.jsonl") <(sed -E 's/"(tok_s|train_seconds)":[0-9.]*//' "$RK/log.jsonl") >"$TMP/diff" \
        && cmp -s "$TMP/exp-r/model.safetensors" "$TMP/exp-rk/model.safetensors"; then
        pass train_sigkill_resume_bit_exact
    else fail train_sigkill_resume_bit_exact "$(head -c 300 "$TMP/diff") $(head -c 300 "$TMP/err")"; fi
fi

# Muon with weight decay and Moonshot scaling resumes bit for bit too; the
# log's start line shows the groups as optim.h's table assigns them
MCFG="$TMP/muonwd.json"
sed 's/"warmup_steps": 3,/"warmup_steps": 3, "muon_weight_decay": 0.1, "muon_scale": "moonshot",/; s/"lr_muon": 0.02/"lr_muon": 0.004/' "$CFG" > "$MCFG"
"$BLALM" train --corpus "$C" --model "$MCFG" --out "$TMP/rmw" --max-steps 24 --optimizer muon -q 2>"$TMP/err"
# the summary's dev loss: n/a without a dev evaluation (it printed 0.0000, a
# perfect model); a resumed segment that ends before the next evaluation
# reports the last one in log.jsonl
mkdir -p "$TMP/nodev/train"; cp "$C/train/synthetic.train" "$TMP/nodev/train/"
"$BLALM" train --corpus "$TMP/nodev" --model "$CFG" --out "$TMP/rnd" --max-steps 3 2>"$TMP/nd.err"
grep -q "dev loss n/a (no dev evaluation)" "$TMP/nd.err" && pass train_summary_no_dev_na ||
    fail train_summary_no_dev_na "$(tail -c 300 "$TMP/nd.err")"
"$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/rdl" --max-steps 40 --stop-after 12 2>"$TMP/dl1.err"
"$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/rdl" --max-steps 40 --resume --stop-after 1 2>"$TMP/dl2.err"
want=$(grep '"dev_loss"' "$TMP/rdl/log.jsonl" | tail -1 | sed 's/.*"dev_loss":\([0-9.e+-]*\).*/\1/')
got=$(sed -n 's/.*, dev loss \([0-9.]*\),.*/\1/p' "$TMP/dl2.err")
if [ -n "$want" ] && [ -n "$got" ] && awk -v a="$want" -v b="$got" 'BEGIN { exit !(a > 0 && (a - b < 0.0001 && b - a < 0.0001)) }'; then
    pass train_summary_resume_last_dev_loss
else fail train_summary_resume_last_dev_loss "log $want, summary '$got': $(tail -c 300 "$TMP/dl2.err")"; fi
"$BLALM" train --corpus "$C" --model "$MCFG" --out "$TMP/rmw2" --max-steps 24 --optimizer muon --stop-after 15 -q 2>>"$TMP/err"
"$BLALM" train --corpus "$C" --model "$MCFG" --out "$TMP/rmw2" --resume -q 2>>"$TMP/err"
# (and the final checkpoints, weights and optimiser state, byte for byte)
if [ -s "$TMP/rmw/log.jsonl" ] && diff <(sed -E 's/"(tok_s|train_seconds)":[0-9.]*//' "$TMP/rmw/log.jsonl") <(sed -E 's/"(tok_s|train_seconds)":[0-9.]*//' "$TMP/rmw2/log.jsonl") >"$TMP/diff" \
        && cmp "$TMP/rmw/checkpoints/latest.bin" "$TMP/rmw2/checkpoints/latest.bin" >>"$TMP/diff"; then
    pass train_resume_bit_exact_muon_wd
else
    fail train_resume_bit_exact_muon_wd "$(head -c 300 "$TMP/diff") $(head -c 200 "$TMP/err")"
fi
if [ -x "$PY" ] && "$PY" - "$TMP/rmw/log.jsonl" <<'PY'
import json, sys
g = json.loads(open(sys.argv[1]).readline())["groups"]
assert set(g) == {"matrix", "embed", "norm", "gate"}, g
assert g["matrix"]["muon_tensors"] == g["matrix"]["tensors"] == 16 and g["matrix"]["lr"] == 0.004 and g["matrix"]["decay"] == 0.1, g
assert g["embed"]["muon_tensors"] == 0 and g["embed"]["lr"] == 0.003 and g["embed"]["decay"] == 0.1, g
assert g["norm"]["decay"] == 0 and g["gate"]["decay"] == 0 and g["gate"]["muon_tensors"] == 0, g
assert sum(x["params"] for x in g.values()) == 33256, g
PY
then pass train_log_groups; else fail train_log_groups "start line groups"; fi
# the SWA branch's q/k/v/out go to the swa group (Muon, its own rate multiplier),
# its memory slots to the memory group (AdamW, no decay)
"$PY" - "$root/configs/model-tiny-swa-memory.json" "$TMP/swa-groups.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["train"]["swa_lr_mult"] = 0.5; json.dump(c, open(sys.argv[2], "w"))
PY
if "$BLALM" train --corpus "$C" --model "$TMP/swa-groups.json" --out "$TMP/rswag" --max-steps 2 --optimizer muon -q 2>"$TMP/err" \
   && "$PY" - "$TMP/rswag/log.jsonl" "$TMP/swa-groups.json" <<'PY'
import json, sys
g = json.loads(open(sys.argv[1]).readline())["groups"]; c = json.load(open(sys.argv[2]))
L, lm = c["layers"], c["train"]["lr_muon"]
assert g["swa"]["tensors"] == g["swa"]["muon_tensors"] == 4 * L and abs(g["swa"]["lr"] - 0.5 * lm) < 1e-12, g["swa"]
assert g["memory"]["tensors"] == 2 * L and g["memory"]["muon_tensors"] == 0 and g["memory"]["decay"] == 0, g["memory"]
PY
then pass train_swa_groups; else fail train_swa_groups "$(head -c 300 "$TMP/err")"; fi
# every model variant: killed and resumed bit-exact, and it generates
variant() { # name, JSON members merged into the tiny config
    "$PY" - "$CFG" "$TMP/variant-$1.json" "{$2}" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c.update(json.loads(sys.argv[3])); json.dump(c, open(sys.argv[2], "w"))
PY
}
variant xlstm7b '"gate_soft_cap": 15, "logit_soft_cap": 30, "head_norm": "layer", "qk_dim_factor": 0.5, "init": "xlstm", "igate_bias_mean": -10, "igate_bias_std": 0, "norm_eps": 1e-6, "tie_embeddings": false'
variant transformer-shortconv '"mixer": "attention", "conv_kernel": 4'
variant hedgehog1-swa-dynmod-bounded-shortconv '"hedgehog": "one_softmax", "swa_window": 8, "swa_mix": "dynmod_bounded", "conv_kernel": 4'
# the named configs (configs/model-tiny-<variant>.json) and a few other combinations
for v in transformer shortconv swa swa-memory swa-dynmod swa-dynmod-bounded hedgehog hedgehog-swa \
         xlstm7b transformer-shortconv hedgehog1-swa-dynmod-bounded-shortconv; do
    VC="$root/configs/model-tiny-$v.json"
    [ -f "$VC" ] || VC="$TMP/variant-$v.json"
    "$BLALM" train --corpus "$C" --model "$VC" --out "$TMP/v-$v" --max-steps 20 -q 2>"$TMP/err"
    "$BLALM" train --corpus "$C" --model "$VC" --out "$TMP/v2-$v" --max-steps 20 --stop-after 13 -q 2>>"$TMP/err"
    "$BLALM" train --corpus "$C" --model "$VC" --out "$TMP/v2-$v" --max-steps 20 --resume -q 2>>"$TMP/err"
    if [ -s "$TMP/v-$v/log.jsonl" ] && diff <(sed -E 's/"(tok_s|train_seconds)":[0-9.]*//' "$TMP/v-$v/log.jsonl") \
            <(sed -E 's/"(tok_s|train_seconds)":[0-9.]*//' "$TMP/v2-$v/log.jsonl") >"$TMP/diff" \
            && cmp "$TMP/v-$v/checkpoints/latest.bin" "$TMP/v2-$v/checkpoints/latest.bin" >>"$TMP/diff"; then
        pass "train_resume_bit_exact_$v"
    else
        fail "train_resume_bit_exact_$v" "$(head -c 300 "$TMP/diff") $(head -c 300 "$TMP/err")"
    fi
    if out=$("$BLALM" generate --run "$TMP/v-$v" --prompt "the cat" --max-new 8 -q 2>"$TMP/err") && [ -n "$out" ]; then
        pass "generate_$v"
    else fail "generate_$v" "$(head -c 300 "$TMP/err")"; fi
done

# a variant that cannot take the attention mixer is refused, naming why
if ! "$BLALM" modelcheck --model "$root/configs/model-tiny-hedgehog.json" --mixer attention --out "$TMP/mc-bad" -q 2>"$TMP/err" \
        && grep -q "hedgehog" "$TMP/err"; then pass modelcheck_mixer_override_validated
else fail modelcheck_mixer_override_validated "$(head -c 300 "$TMP/err")"; fi

# modelcheck's counts: 0 and out-of-range values are usage errors (--batch 0
# and --seq 0 silently meant the defaults, --steps 0 wrote empty loss arrays,
# --threads 0 was taken), and so are options --bench or its absence ignores
# (--gen without --bench; --seq, --steps, --weights, --out with it)
g=ok
for a in "--batch 0@--batch wants a count in 1..4096" "--batch 4097@--batch wants a count in 1..4096" \
         "--seq 0@--seq wants a count of at least 1" "--seq 33@--seq 33 exceeds the context (32)" \
         "--steps 0@--steps wants a count in 1..100000" "--threads 0@--threads wants a count in 1..4096" \
         "--threads 5000@--threads wants a count in 1..4096" "--gen@--gen is for --bench" \
         "--bench 0@--bench wants a count of at least 1"; do
    eval "set -- ${a%%@*}"
    "$BLALM" modelcheck --model "$CFG" --out "$TMP/mc0" "$@" -q 2>"$TMP/err"; rc=$?
    { [ $rc = 2 ] && grep -qF -- "modelcheck: ${a#*@}" "$TMP/err" && [ ! -e "$TMP/mc0" ]; } || g="${a%%@*}: rc $rc $(head -c 200 "$TMP/err")"
    rm -rf "$TMP/mc0"
done
for a in "--seq 8" "--steps 3" "--weights $TMP/w.safetensors" "--out $TMP/mc0"; do
    "$BLALM" modelcheck --model "$CFG" --bench 1 $a >/dev/null 2>"$TMP/err"; rc=$?
    { [ $rc = 2 ] && grep -qF -- "modelcheck: ${a%% *} is not for --bench" "$TMP/err" && [ ! -e "$TMP/mc0" ]; } \
        || g="--bench 1 $a: rc $rc $(head -c 200 "$TMP/err")"
done
"$BLALM" modelcheck --model "$CFG" --out "$TMP/mc1" --batch 1 --seq 4 --steps 1 --threads 2 -q 2>"$TMP/err" \
    && "$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); assert j['batch']==1 and j['seq']==4 and j['steps']==1" \
        "$TMP/mc1/check.json" || g="--batch 1 --seq 4 --steps 1: $(head -c 200 "$TMP/err")"
[ "$g" = ok ] && pass modelcheck_counts_checked || fail modelcheck_counts_checked "$g"

# --bench prints generation ms/token only with --gen: without it nothing was
# timed, and 0.0000 read as a measured (infinitely fast) generation
g=ok
r=$("$BLALM" modelcheck --model "$CFG" --bench 1 2>"$TMP/err") || g="--bench 1: $(head -c 200 "$TMP/err")"
printf '%s' "$r" | "$PY" -c "import json,sys; j=json.loads(sys.stdin.read()); assert 'tokens_per_s' in j and not any(k.startswith('gen_') for k in j), j" \
    2>>"$TMP/err" || g="--bench 1 without --gen: $r"
r=$("$BLALM" modelcheck --model "$CFG" --bench 1 --batch 1 --gen 2>"$TMP/err") || g="--bench 1 --gen: $(head -c 200 "$TMP/err")"
printf '%s' "$r" | "$PY" -c "import json,sys; j=json.loads(sys.stdin.read()); assert j['gen_ms_per_token_128'] > 0 and j['gen_ms_per_token_4096'] > 0, j" \
    2>>"$TMP/err" || g="--bench 1 --gen: $r"
[ "$g" = ok ] && pass modelcheck_bench_gen_only_when_timed || fail modelcheck_bench_gen_only_when_timed "$g"

# the named variant configs are what scripts/variant-configs.py writes
if out=$("$PY" "$root/scripts/variant-configs.py" --check 2>&1); then pass variant_configs_current
else fail variant_configs_current "$out"; fi

# DynMod logs each layer's alpha_l per step (the trajectory of the paper's Figure 3)
if "$PY" - "$TMP/v-swa-dynmod/log.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
a = [r["swa_alpha"] for r in rows]
assert len(a) == 20 and all(len(x) == 2 for x in a), a[:2]
assert a[0] != a[-1], "alpha did not move"
PY
then pass train_log_swa_alpha; else fail train_log_swa_alpha "no per-layer swa_alpha trajectory in log.jsonl"; fi

# the token cache is reused: resuming does not rewrite the shards
stamp1=$(stat -c %Y.%s "$R/tokens/train.tok")
sleep 1
"$BLALM" train --corpus "$C" --model "$CFG" --out "$R2" --max-steps 90 --resume -q 2>/dev/null
"$BLALM" train --corpus "$C" --model "$CFG" --out "$R" --max-steps 90 --resume -q 2>/dev/null
stamp2=$(stat -c %Y.%s "$R/tokens/train.tok")
[ "$stamp1" = "$stamp2" ] && pass train_token_cache || fail train_token_cache "shards rewritten"

# BabyLM milestones (budgets and milestones scaled down by 1000 for the test)
R3="$TMP/run3"
if "$BLALM" train --corpus "$C" --model "$CFG" --out "$R3" --max-steps 40 --test-words-scale 0.001 \
        --track strict-small -q 2>"$TMP/err" && [ -f "$R3/checkpoints/chck_1M.bin" ] \
        && [ -f "$R3/checkpoints/chck_4M.bin" ] && [ ! -f "$R3/checkpoints/chck_5M.bin" ]; then
    pass train_milestones
else
    fail train_milestones "$(ls "$R3/checkpoints" 2>&1 | tr '\n' ' ') $(head -c 300 "$TMP/err")"
fi
# each milestone checkpoint holds the first step whose words seen reach it
if [ -x "$PY" ] && [ -f "$R3/checkpoints/chck_1M.bin" ]; then
    if "$PY" - "$R3" 0.001 <<'PY'
import glob, json, re, struct, sys
run, scale = sys.argv[1], float(sys.argv[2])
seen = {l["step"]: l["words_seen"] for l in map(json.loads, open(run + "/log.jsonl")) if "loss" in l}
files = glob.glob(run + "/checkpoints/chck_*M.bin")
assert len(files) == 4, files
for f in files:
    mw = int(re.search(r"chck_(\d+)M", f).group(1)) * 1e6 * scale
    raw = open(f, "rb").read()
    hl, = struct.unpack("<Q", raw[16:24])
    h = json.loads(raw[24:24 + hl])
    st = h["step"]
    assert h["track"] == "strict-small" and h["words_seen"] == seen[st], (f, h["words_seen"], seen[st])
    assert seen[st] >= mw and (st == 1 or seen[st - 1] < mw), (f, st, seen[st - 1], seen[st], mw)
PY
    then pass train_milestones_first_step; else fail train_milestones_first_step "a milestone checkpoint at the wrong step"; fi
fi
if ! "$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/r4" --max-steps 5 --test-words-scale 0.0001 \
        --track strict-small -q 2>"$TMP/err" && grep -q "over the strict-small budget" "$TMP/err"; then
    pass train_refuses_over_budget
else fail train_refuses_over_budget "$(head -c 300 "$TMP/err")"; fi
# the scale is an explicit option, recorded wherever the run is described; the
# environment cannot change a BabyLM limit (BLALM_WORDS_SCALE once could)
"$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/r4s" --max-steps 3 --test-words-scale 0.001 \
    --track strict-small 2>"$TMP/err4s"
if grep -q "NOT BabyLM-compliant: --test-words-scale 0.001" "$TMP/err4s" \
        && grep -q '"babylm_compliant":[[:space:]]*false' "$TMP/r4s/config.json" \
        && head -1 "$TMP/r4s/log.jsonl" | grep -q '"babylm_compliant":false' \
        && grep -aq '"test_words_scale":0.001,"babylm_compliant":false' "$TMP/r4s/checkpoints/latest.bin"; then
    pass train_test_scale_recorded
else fail train_test_scale_recorded "$(head -c 300 "$TMP/err4s")"; fi
if "$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/r4s" --max-steps 3 --resume --track strict-small -q \
        2>"$TMP/err" ; then fail train_resume_refuses_changed_scale "accepted"
elif grep -q "changed --test-words-scale: 0.001 in the checkpoint, 1 now" "$TMP/err"; then pass train_resume_refuses_changed_scale
else fail train_resume_refuses_changed_scale "$(head -c 300 "$TMP/err")"; fi
# a run's config.json (with test_words_scale and babylm_compliant) is a valid
# --model: the resume message says to resume with it
cp "$TMP/r4s/config.json" "$TMP/r4s-config.json"
if "$BLALM" train --corpus "$C" --model "$TMP/r4s-config.json" --out "$TMP/r4s" --max-steps 3 --resume \
        --track strict-small --test-words-scale 0.001 -q 2>"$TMP/err"; then pass train_resume_with_run_config
else fail train_resume_with_run_config "$(head -c 300 "$TMP/err")"; fi
sed 's/"babylm_compliant":[[:space:]]*false/"babylm_compliant": 0/' "$TMP/r4s/config.json" >"$TMP/r4s-bad.json"
if "$BLALM" train --corpus "$C" --model "$TMP/r4s-bad.json" --out "$TMP/r4sb" --max-steps 3 -q 2>"$TMP/err"; then
    fail train_run_config_keys_typed "babylm_compliant: 0 accepted"
elif grep -q '"babylm_compliant" must be' "$TMP/err"; then pass train_run_config_keys_typed
else fail train_run_config_keys_typed "$(head -c 300 "$TMP/err")"; fi
if BLALM_WORDS_SCALE=0.0001 "$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/r4e" --max-steps 3 \
        --track strict-small 2>"$TMP/err" && ! grep -q "compliant" "$TMP/err" && ! grep -q compliant "$TMP/r4e/config.json"; then
    pass train_environment_cannot_scale_limits
else fail train_environment_cannot_scale_limits "$(head -c 300 "$TMP/err")"; fi
bad_ok=1
for bad in 2 0 -1 abc; do
    "$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/r4b" --test-words-scale "$bad" -q 2>"$TMP/err"; rc=$?
    [ $rc = 2 ] && grep -q "must be a number in (0, 1]" "$TMP/err" || { bad_ok=0; fail train_test_scale_bad_values "$bad: rc=$rc $(head -c 200 "$TMP/err")"; }
done
[ $bad_ok = 1 ] && pass train_test_scale_bad_values
if ! "$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/r5" --max-steps 4000 --track strict -q \
        2>"$TMP/err" && grep -q "at most 10" "$TMP/err"; then
    pass train_refuses_11_epochs
else fail train_refuses_11_epochs "$(head -c 300 "$TMP/err")"; fi

# Muon runs too
if "$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/rm" --max-steps 10 --optimizer muon -q 2>"$TMP/err"; then
    pass train_muon
else fail train_muon "$(head -c 300 "$TMP/err")"; fi

# generate and export
if out=$("$BLALM" generate --run "$R" --prompt "the cat" --max-new 20 --seed 3 -q 2>"$TMP/err") \
        && [[ "$out" == "the cat"* ]]; then pass generate
else fail generate "$out $(head -c 300 "$TMP/err")"; fi
# a full stdout: README's "write error on stdout" (was "stdout: write failed")
if [ -w /dev/full ]; then
    "$BLALM" generate --run "$R" --prompt "the cat" --max-new 5 -q >/dev/full 2>"$TMP/err"; rc=$?
    [ $rc = 1 ] && grep -q "^blalm generate: write error on stdout" "$TMP/err" && pass generate_stdout_full \
        || fail generate_stdout_full "rc $rc $(head -c 300 "$TMP/err")"
    "$BLALM" generate --run "$R" --timing -q >/dev/full 2>"$TMP/err"; rc=$?
    [ $rc = 1 ] && grep -q "^blalm generate: write error on stdout" "$TMP/err" && pass generate_timing_stdout_full \
        || fail generate_timing_stdout_full "rc $rc $(head -c 300 "$TMP/err")"
else skip generate_stdout_full "/dev/full not writable here"; fi
if "$BLALM" export --run "$R" --out "$TMP/exp" -q 2>"$TMP/err" && [ -s "$TMP/exp/model.safetensors" ] \
        && [ -s "$TMP/exp/config.json" ] && [ -s "$TMP/exp/tokenizer.json" ]; then pass export
else fail export "$(head -c 300 "$TMP/err")"; fi
if [ -s "$TMP/exp/model.safetensors" ] && [ -x "$PY" ]; then
    if "$PY" - "$TMP/exp/model.safetensors" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n, = struct.unpack("<Q", raw[:8]); h = json.loads(raw[8:8 + n])
assert h["embed.weight"]["dtype"] == "F32" and h["embed.weight"]["shape"][1] == 32
end = max(v["data_offsets"][1] for k, v in h.items() if k != "__metadata__")
assert 8 + n + end == len(raw), (8 + n + end, len(raw))
PY
    then pass export_safetensors_layout; else fail export_safetensors_layout "header/data size mismatch"; fi
fi
# an export that cannot write one of its files writes none: no new weights
# beside a missing or older tokenizer (it renamed each file in as written)
mkdir -p "$TMP/exf/tokenizer.json"
if "$BLALM" export --run "$R" --out "$TMP/exf" -q 2>"$TMP/err"; then fail export_fails_whole "succeeded"
elif grep -q "exf/tokenizer.json: a folder, expected a file to write" "$TMP/err" &&
     [ "$(ls -A "$TMP/exf")" = "tokenizer.json" ]; then pass export_fails_whole
else fail export_fails_whole "$(head -c 300 "$TMP/err"); $(ls -A "$TMP/exf")"; fi
# an older export (another run's weights) stays whole when a new one fails
"$BLALM" export --run "$TMP/rdl" --out "$TMP/exo" -q 2>/dev/null
cp "$TMP/exo/model.safetensors" "$TMP/exo.old"; rm "$TMP/exo/tokenizer_config.json"; mkdir "$TMP/exo/tokenizer_config.json"
"$BLALM" export --run "$R" --out "$TMP/exo" -q 2>/dev/null
if ! cmp -s "$TMP/exp/model.safetensors" "$TMP/exo.old" && cmp -s "$TMP/exo.old" "$TMP/exo/model.safetensors" &&
   [ -z "$(find "$TMP/exo" -name '.*.tmp.*')" ]; then pass export_failure_keeps_old_export
else fail export_failure_keeps_old_export "$(ls -A "$TMP/exo")"; fi
# a kill of an earlier version left "..NAME.tmp.PID.tmp.PID" (each file had
# an atomic write of its own under the set's temporary name; a partial
# model.safetensors among them): the next export removes a dead process's
# and writes none itself (a folder at the name this process would use)
mkdir -p "$TMP/exd"; dead=$(dead_pid)
head -c 131072 /dev/zero >"$TMP/exd/..model.safetensors.tmp.$dead.tmp.$dead"; : >"$TMP/exd/..config.json.tmp.$dead.tmp.$dead"
if bash -c 'for f in tokenizer_config.json tokenizer.json config.json model.safetensors; do mkdir "$1/..$f.tmp.$$.tmp.$$"; done
            exec "$2" export --run "$3" --out "$1" -q' _ "$TMP/exd" "$BLALM" "$R" 2>"$TMP/err" &&
   [ "$(LC_ALL=C ls -A "$TMP/exd" | grep -v "^\.\..*\.tmp\.[0-9]*\.tmp\.[0-9]*$" | tr '\n' ' ')" = "config.json model.safetensors tokenizer.json tokenizer_config.json " ] &&
   [ "$(LC_ALL=C ls -A "$TMP/exd" | grep -c "tmp\.$dead")" = 0 ] && cmp -s "$TMP/exd/model.safetensors" "$TMP/exp/model.safetensors"
then pass export_no_double_temps
else fail export_no_double_temps "$(head -c 300 "$TMP/err"); $(ls -A "$TMP/exd")"; fi


# words seen: documents count in proportion to their tokens consumed, the
# windows taken in the order train.h documents, from the seed the run
# recorded (config.json, the log's start line); train.shuffle "none" reads
# them in corpus order, which gives other counts
words_check() { # run, order (windows|none)
    "$PY" - "$1" "$2" <<'PY'
import json, struct, sys
run, want_order = sys.argv[1], sys.argv[2]
raw = open(run + "/tokens/train.idx", "rb").read()
assert raw[:8] == b"BLALMIX1"
n_docs, = struct.unpack("<Q", raw[16:24])
docs = [struct.unpack("<QQQ", raw[32 + 24 * i:56 + 24 * i]) for i in range(n_docs)]
cfg = json.load(open(run + "/config.json"))
tc = cfg["train"]
lines = [json.loads(l) for l in open(run + "/log.jsonl")]
start = lines[0]
assert start.get("event") == "start" and start["shuffle"] == tc["shuffle"] == want_order, start
assert start["shuffle_seed"] == tc["shuffle_seed"], (start, tc)
M = (1 << 64) - 1
def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
def order(seed, epoch, n):
    s = mix((mix(seed) + epoch) & M)
    perm = list(range(n))
    for i in range(n - 1, 0, -1):
        k = i + 1
        while True:
            s = (s + 0x9E3779B97F4A7C15) & M
            r = mix(s)
            if r >= ((1 << 64) - k) % k:
                break
        j = r % k
        perm[i], perm[j] = perm[j], perm[i]
    return perm
S, B = tc["seq_len"], start["rows"]
n = (start["train_tokens"] - 1) // S
per_epoch = n // B
assert (n, per_epoch) == (start["windows"], start["steps_per_epoch"]), start
def words(a, b):
    return sum(w * max(0, min(b, o + c) - max(a, o)) / c for o, c, w in docs)
def run_words(shuffled):
    total, cum = 0.0, [0.0]
    for step in range(max(l["step"] for l in lines)):
        e, j = divmod(step, per_epoch)
        if j == 0:
            perm = order(tc["shuffle_seed"], e, n) if shuffled else list(range(n))
        for w in perm[j * B:(j + 1) * B]:
            total += words(w * S + 1, w * S + 1 + S)
        cum.append(total)
    return cum
cum = run_words(want_order == "windows")
other = run_words(want_order != "windows")
steps = [l for l in lines if "loss" in l]
for rec in steps:
    assert abs(rec["words_seen"] - cum[rec["step"]]) <= 1e-9 * cum[rec["step"]], (rec["step"], rec["words_seen"], cum[rec["step"]])
    assert rec["epoch"] == (rec["step"] - 1) // per_epoch, rec
assert any(abs(rec["words_seen"] - other[rec["step"]]) > 1e-3 for rec in steps), "the other order gives the same counts"
PY
}
if [ -x "$PY" ] && [ -f "$R/tokens/train.idx" ]; then
    if words_check "$R" windows 2>"$TMP/err"; then pass train_words_seen_shuffled_order
    else fail train_words_seen_shuffled_order "$(tail -c 400 "$TMP/err")"; fi
    sed 's/"warmup_steps": 3,/"warmup_steps": 3, "shuffle": "none",/' "$CFG" > "$TMP/noshuffle.json"
    if "$BLALM" train --corpus "$C" --model "$TMP/noshuffle.json" --out "$TMP/rns" --max-steps 80 -q 2>"$TMP/err" \
            && words_check "$TMP/rns" none 2>"$TMP/err"; then pass train_words_seen_corpus_order
    else fail train_words_seen_corpus_order "$(tail -c 400 "$TMP/err")"; fi
    # another shuffle_seed, another order (and the config records it)
    sed 's/"warmup_steps": 3,/"warmup_steps": 3, "shuffle_seed": 77,/' "$CFG" > "$TMP/seed77.json"
    if "$BLALM" train --corpus "$C" --model "$TMP/seed77.json" --out "$TMP/r77" --max-steps 20 -q 2>"$TMP/err" \
            && grep -q '"shuffle_seed":	77' "$TMP/r77/config.json" && words_check "$TMP/r77" windows 2>"$TMP/err" \
            && ! diff -q <(grep -o '"words_seen":[0-9.e+]*' "$TMP/r77/log.jsonl") \
                         <(grep -o '"words_seen":[0-9.e+]*' "$R/log.jsonl" | head -20) >/dev/null; then
        pass train_shuffle_seed
    else fail train_shuffle_seed "$(tail -c 400 "$TMP/err")"; fi
fi

# a corpus with documents.jsonl.zst: its byte ranges, not blank lines, delimit documents
D="$TMP/dcorpus"
if [ -x "$PY" ] && command -v zstd >/dev/null; then
    mkdir -p "$D/train" "$D/dev"
    "$PY" - "$D" <<'PY'
import json, sys
d = sys.argv[1]
docs = {"train": ["the cat sat.\n\nthe dog ran.", "a big red tree was over the house.", "she ran to the mat."] * 40,
        "dev": ["he sat on a mat.", "it was blue.\n\nit was small."] * 10}
lines = []
for split, ds in docs.items():
    rel = "%s/x.%s" % (split, split)
    data, off = b"", 0
    for t in ds:
        b = t.encode()
        lines.append({"key": {"source": "x", "path": "p", "row": len(lines)}, "id": str(len(lines)), "split": split,
                      "file": rel, "offset": len(data), "length": len(b), "words": len(t.split())})
        data += b + b"\n\n"
    open(d + "/" + rel, "wb").write(data)
open(d + "/documents.jsonl", "w").write("".join(json.dumps(l) + "\n" for l in lines))
PY
    zstd -q --rm "$D/documents.jsonl"
    if "$BLALM" train --corpus "$D" --model "$CFG" --out "$TMP/rd" --max-steps 2 -q 2>"$TMP/err" && "$PY" - "$TMP/rd" <<'PY'
import struct, sys
raw = open(sys.argv[1] + "/tokens/train.idx", "rb").read()
n, = struct.unpack("<Q", raw[16:24]); assert n == 120, n
words = sum(struct.unpack("<QQQ", raw[32 + 24 * i:56 + 24 * i])[2] for i in range(n)); assert words == 40 * (6 + 8 + 5), words
PY
    then pass train_documents_jsonl_ranges; else fail train_documents_jsonl_ranges "$(head -c 300 "$TMP/err")"; fi
fi

# a finite loss with a nan gradient (weights so large that the norms'
# squares overflow: 0 forward, nan backward) is no update: the run fails at
# that step (it exited 0 with every weight nan in its last checkpoint)
sed 's/"lr_adamw": 3e-3/"lr_adamw": 1e20/; s/"warmup_steps": 3/"warmup_steps": 0/' "$CFG" > "$TMP/nangrad.json"
if ! "$BLALM" train --corpus "$C" --model "$TMP/nangrad.json" --out "$TMP/nangrad" --max-steps 2 -q 2>"$TMP/err" \
        && grep -qE "step 2: gradient norm is -?nan \(loss [0-9.]+\); lower the learning rate" "$TMP/err" \
        && [ ! -e "$TMP/nangrad/checkpoints/latest.bin" ]; then pass train_nan_gradient_fails
else fail train_nan_gradient_fails "$(head -c 300 "$TMP/err") $(ls "$TMP/nangrad/checkpoints" 2>&1)"; fi

# weights gone to nan in one step with a finite loss and gradient norm: the
# dev evaluation says so (null in the log, bare nan is not JSON) and the run
# fails before its checkpoint; without a dev evaluation a checkpoint of inf
# weights is refused (both exited 0, "dev_loss":nan / inf weights in latest.bin)
sed 's/"lr_adamw": 3e-3/"lr_adamw": 3e38/' "$CFG" > "$TMP/nandev.json"
if ! "$BLALM" train --corpus "$C" --model "$TMP/nandev.json" --out "$TMP/nandev" --max-steps 1 -q 2>"$TMP/err" \
        && grep -qE "step 1: dev loss is -?nan \(train loss [0-9.]+\); lower the learning rate" "$TMP/err" \
        && grep -q '"dev_loss":null,"dev_ppl":null' "$TMP/nandev/log.jsonl" \
        && "$PY" -c 'import json, sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/nandev/log.jsonl" \
        && [ ! -e "$TMP/nandev/checkpoints/latest.bin" ]; then pass train_nan_dev_loss_fails
else fail train_nan_dev_loss_fails "$(head -c 300 "$TMP/err") $(grep dev_loss "$TMP/nandev/log.jsonl") $(ls "$TMP/nandev/checkpoints" 2>&1)"; fi
# a milestone reached at that step is not saved either: the evaluation comes
# first (chck_1M.bin held the weights of the nan dev loss); 64 rows reach
# 1M words at step 1 with milestones scaled down by 1000
sed 's/"lr_adamw": 3e-3/"lr_adamw": 3e38/; s/"batch_size": 4/"batch_size": 64/' "$CFG" > "$TMP/nanms.json"
if ! "$BLALM" train --corpus "$C" --model "$TMP/nanms.json" --out "$TMP/nanms" --max-steps 1 --test-words-scale 0.001 \
        --track strict-small -q 2>"$TMP/err" && grep -qE "step 1: dev loss is -?nan" "$TMP/err" \
        && [ -z "$(ls "$TMP/nanms/checkpoints" 2>/dev/null)" ]; then pass train_nan_dev_loss_no_milestone
else fail train_nan_dev_loss_no_milestone "$(head -c 300 "$TMP/err") $(ls "$TMP/nanms/checkpoints" 2>&1)"; fi
# (3.4e38 at full rate: the step plus the decay pass FLT_MAX, inf weights)
sed 's/"lr_adamw": 3e-3/"lr_adamw": 3.4e38/; s/"warmup_steps": 3/"warmup_steps": 0/; s/"eval_every": 10/"eval_every": 0/' "$CFG" > "$TMP/nanw.json"
if ! "$BLALM" train --corpus "$C" --model "$TMP/nanw.json" --out "$TMP/nanw" --max-steps 1 -q 2>"$TMP/err" \
        && grep -qE "step 1: weight [0-9]+ of [0-9]+ is -?(nan|inf) after the update .*\(no checkpoint written\)" "$TMP/err" \
        && ! grep -q '"step":1,"event":"checkpoint"' "$TMP/nanw/log.jsonl" \
        && [ ! -e "$TMP/nanw/checkpoints/latest.bin" ]; then pass train_nan_weights_no_checkpoint
else fail train_nan_weights_no_checkpoint "$(head -c 300 "$TMP/err") $(grep event "$TMP/nanw/log.jsonl") $(ls "$TMP/nanw/checkpoints" 2>&1)"; fi

# bad input
cp -r "$R" "$TMP/trunc"
f="$TMP/trunc/checkpoints/latest.bin"; head -c $(( $(stat -c %s "$f") - 100 )) "$f" > "$f.t" && mv "$f.t" "$f"
if ! "$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/trunc" --max-steps 40 --resume -q 2>"$TMP/err" \
        && grep -q "truncated or corrupt" "$TMP/err"; then pass bad_truncated_checkpoint
else fail bad_truncated_checkpoint "$(head -c 300 "$TMP/err")"; fi
sed 's/"dim": 32/"dim": 48/' "$CFG" > "$TMP/other.json"
if ! "$BLALM" train --corpus "$C" --model "$TMP/other.json" --out "$R" --max-steps 40 --resume -q 2>"$TMP/err" \
        && grep -q "changed config: dim: 32 in the checkpoint, 48 now" "$TMP/err"; then pass bad_foreign_checkpoint
else fail bad_foreign_checkpoint "$(head -c 300 "$TMP/err")"; fi
# --resume refuses what would change the run, naming it; cadences may change
refuse() { # name, expected message, extra args...
    local name=$1 want=$2; shift 2
    if ! "$BLALM" train --corpus "$C" --out "$R" --resume -q "$@" 2>"$TMP/err" && grep -qF -- "$want" "$TMP/err"; then
        pass "$name"
    else fail "$name" "$(head -c 300 "$TMP/err")"; fi
}
refuse resume_refuses_norm_eps "changed config: norm_eps: 1.0000000000000001e-05 in the checkpoint, 9.9999999999999995e-07 now" \
    --model <(sed 's/"chunk": 8,/"chunk": 8, "norm_eps": 1e-6,/' "$CFG")
refuse resume_refuses_chunk "changed config: chunk: 8 in the checkpoint, 16 now" --model <(sed 's/"chunk": 8,/"chunk": 16,/' "$CFG")
refuse resume_refuses_rope_theta "changed config: rope_theta: 10000 in the checkpoint, 500000 now" \
    --model <(sed 's/"chunk": 8,/"chunk": 8, "rope_theta": 500000,/' "$CFG")
refuse resume_refuses_lr "changed config: train.lr_adamw: 0.0030000000000000001 in the checkpoint, 0.001 now" \
    --model <(sed 's/"lr_adamw": 3e-3/"lr_adamw": 1e-3/' "$CFG")
refuse resume_refuses_muon_wd "changed config: train.muon_weight_decay: 0 in the checkpoint, 0.10000000000000001 now" \
    --model <(sed 's/"warmup_steps": 3,/"warmup_steps": 3, "muon_weight_decay": 0.1,/' "$CFG")
refuse resume_refuses_shuffle_seed "changed config: train.shuffle_seed: 1234 in the checkpoint, 5 now" \
    --model <(sed 's/"warmup_steps": 3,/"warmup_steps": 3, "shuffle_seed": 5,/' "$CFG")
refuse resume_refuses_optimizer "changed optimizer: adamw in the checkpoint, muon now" --model "$CFG" --optimizer muon
refuse resume_refuses_track "changed track: none in the checkpoint, strict-small now" --model "$CFG" --track strict-small
refuse resume_refuses_length "changed length: 91 steps asked (--max-steps/--max-tokens), the run has 90" --model "$CFG" --max-steps 91
# the checkpoint's length rules the BabyLM epoch limit too: asking for 4000
# steps on resume is refused as a changed length, not checked and ignored
refuse resume_refuses_epoch_limit_length "changed length: 4000 steps asked" --model "$CFG" --max-steps 4000
if "$BLALM" train --corpus "$C" --out "$R" --resume -q --max-tokens 11520 --optimizer adamw \
        --model <(sed 's/"log_every": 1}/"log_every": 5}/; s/"eval_every": 10/"eval_every": 20/' "$CFG") 2>"$TMP/err"; then
    pass resume_takes_cadence_and_same_length
else fail resume_takes_cadence_and_same_length "$(head -c 300 "$TMP/err")"; fi
# a train split of the same length but other content (a word replaced by
# one of as many tokens) is refused, naming train_hash; a checkpoint of a
# blalm before train_hash (header without it) still resumes on its count,
# and the checkpoints it writes carry the hash
ntok() { "$PY" -c 'import struct,sys; print(struct.unpack_from("<Q", open(sys.argv[1],"rb").read(), 16)[0])' "$1"; }
"$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/rh" --max-steps 20 --stop-after 12 -q 2>/dev/null
cp -r "$TMP/rh" "$TMP/rh-old"
cp -r "$C" "$TMP/cdog"; sed -i 's/\bcat\b/dog/' "$TMP/cdog/train/synthetic.train"
if ! "$BLALM" train --corpus "$TMP/cdog" --model "$CFG" --out "$TMP/rh" --resume -q 2>"$TMP/err" \
        && grep -q "changed corpus: train_hash [0-9a-f]\{16\} in the checkpoint, .*/rh/tokens/train holds [0-9a-f]\{16\} now" "$TMP/err" \
        && [ "$(ntok "$TMP/rh/tokens/train.tok")" = "$(ntok "$TMP/rh-old/tokens/train.tok")" ] \
        && ! cmp -s "$TMP/rh/tokens/train.tok" "$TMP/rh-old/tokens/train.tok"; then
    pass resume_refuses_same_length_other_train_split
else fail resume_refuses_same_length_other_train_split "$(head -c 300 "$TMP/err")"; fi
# the checkpoint rewritten as an older blalm wrote it: no train_hash (xxh64 re-sealed)
PYTHONPATH="$(dirname "$0")" "$PY" - "$TMP/rh-old/checkpoints/latest.bin" <<'PY'
import json, struct, sys
from xxh64_twin import xxh64
b = open(sys.argv[1], "rb").read()
assert xxh64(b[:-8]) == struct.unpack("<Q", b[-8:])[0], "xxh64 of the checkpoint"
hl = struct.unpack_from("<Q", b, 16)[0]
h = json.loads(b[24:24 + hl]); del h["train_hash"]
hj = json.dumps(h, separators=(",", ":")).encode()
out = b[:16] + struct.pack("<Q", len(hj)) + hj + b[24 + hl:-8]
open(sys.argv[1], "wb").write(out + struct.pack("<Q", xxh64(out)))
PY
if "$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/rh-old" --resume -q 2>"$TMP/err" \
        && grep -aq '"step":20,.*"train_hash":"[0-9a-f]\{16\}"' "$TMP/rh-old/checkpoints/latest.bin"; then
    pass resume_old_checkpoint_without_train_hash
else fail resume_old_checkpoint_without_train_hash "$(head -c 300 "$TMP/err")"; fi
# a checkpoint of another variant (same shapes) is refused, naming the switch
sed 's/"chunk": 8,/"chunk": 8, "head_norm": "layer",/' "$CFG" > "$TMP/variant.json"
if ! "$BLALM" train --corpus "$C" --model "$TMP/variant.json" --out "$R" --max-steps 40 --resume -q 2>"$TMP/err" \
        && grep -q 'head_norm: "rms" in the checkpoint, "layer" now' "$TMP/err"; then pass bad_variant_checkpoint
else fail bad_variant_checkpoint "$(head -c 300 "$TMP/err")"; fi
mkdir -p "$TMP/empty/train"; : > "$TMP/empty/train/x.train"
if ! "$BLALM" train --corpus "$TMP/empty" --model "$CFG" --out "$TMP/re" -q 2>"$TMP/err" \
        && grep -q "no text" "$TMP/err"; then pass bad_empty_corpus
else fail bad_empty_corpus "$(head -c 300 "$TMP/err")"; fi
# a tokenizer of another vocabulary than the run's model
sed 's/"vocab_size": 320/"vocab_size": 300/' "$CFG" > "$TMP/v300.json"
"$BLALM" train --corpus "$C" --model "$TMP/v300.json" --out "$TMP/rv" --max-steps 2 -q 2>/dev/null
cp "$TMP/rv/tokenizer.json" "$TMP/run2/tokenizer.json"
if ! "$BLALM" generate --run "$TMP/run2" --max-new 3 -q >/dev/null 2>"$TMP/err" && grep -q "vocabulary" "$TMP/err"; then
    pass bad_vocabulary_mismatch
else fail bad_vocabulary_mismatch "$(head -c 300 "$TMP/err")"; fi
if ! "$BLALM" train --corpus "$C" --model "$CFG" --out "$R" -q 2>"$TMP/err" && grep -q "use --resume" "$TMP/err"; then
    pass bad_existing_run
else fail bad_existing_run "$(head -c 300 "$TMP/err")"; fi
"$BLALM" train --bogus >/dev/null 2>&1; [ $? -eq 2 ] && pass train_unknown_flag || fail train_unknown_flag "exit not 2"
# --max-steps 0 / --max-tokens 0 are refused like -1 (exit 2, naming the
# option), not read as "no length given" (a full epoch)
ok=1
for bad in "--max-steps 0" "--max-tokens 0" "--max-tokens 0k" "--max-steps -1"; do
    # shellcheck disable=SC2086
    "$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/r0" -q $bad >/dev/null 2>"$TMP/err"; rc=$?
    { [ $rc -eq 2 ] && grep -q -- "${bad% *}" "$TMP/err" && [ ! -e "$TMP/r0/checkpoints/latest.bin" ]; } ||
        { ok=0; fail train_zero_length_refused "'$bad' exit $rc: $(head -c 200 "$TMP/err")"; }
    rm -rf "$TMP/r0"
done
[ $ok = 1 ] && pass train_zero_length_refused
"$BLALM" train --help | grep -q "usage: blalm train" && pass train_help || fail train_help "no usage"

# one token-shard builder: train --tokens DIR from blalm tokenize's output
# gives the same token cache and the same losses as train tokenizing itself
losses() { "$PY" -c 'import json,sys
K=("step","loss","dev_loss","lr","grad_norm","tokens_seen","words_seen","epoch")
for l in open(sys.argv[1]):
    r=json.loads(l)
    if "loss" in r or "dev_loss" in r: print(json.dumps({k:v for k,v in r.items() if k in K},sort_keys=True))' "$1"; }
"$BLALM" tokenize --corpus "$C" --tokenizer "$R/tokenizer.json" --out "$TMP/tk" -q 2>"$TMP/err" &&
"$BLALM" train --corpus "$C" --tokenizer "$R/tokenizer.json" --model "$CFG" --out "$TMP/rtc" --max-steps 12 -q 2>>"$TMP/err" &&
"$BLALM" train --tokens "$TMP/tk" --model "$CFG" --out "$TMP/rtk" --max-steps 12 -q 2>>"$TMP/err"
if [ $? -eq 0 ] && cmp -s "$TMP/rtc/tokens/train.tok" "$TMP/rtk/tokens/train.tok" &&
   cmp -s "$TMP/rtc/tokens/dev.idx" "$TMP/rtk/tokens/dev.idx" &&
   [ "$(losses "$TMP/rtc/log.jsonl")" = "$(losses "$TMP/rtk/log.jsonl")" ] && [ -n "$(losses "$TMP/rtk/log.jsonl")" ]; then
    pass train_from_tokenize_same_losses
else fail train_from_tokenize_same_losses "$(head -c 300 "$TMP/err")"; fi
# a tokenizer other than the shards' is refused, naming both
"$BLALM" train --tokens "$TMP/tk" --tokenizer "$TMP/rv/tokenizer.json" --model "$CFG" --out "$TMP/rtx" -q 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "shards were made by" "$TMP/err" && pass train_tokens_other_tokenizer ||
    fail train_tokens_other_tokenizer "$(head -c 300 "$TMP/err")"
# shards of another tokenizer under a tokens.json of this one (what a
# re-tokenize killed part-way left before tokens.json went first) are refused,
# naming the shard and the header byte: the shards agreeing with each other
# is not enough
# (another tokenizer of the same vocabulary size, learned with another pattern)
"$BLALM" tokenizer train --corpus "$C" --out "$TMP/tkpat" --vocab 320 -q --pattern ' ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+' 2>/dev/null
"$BLALM" tokenize --corpus "$C" --tokenizer "$TMP/tkpat/tokenizer.json" --out "$TMP/tkB" -q 2>/dev/null
cp -r "$TMP/tk" "$TMP/tkmix" && cp "$TMP/tkB/train/synthetic.train.tok" "$TMP/tkB/train/synthetic.train.idx" "$TMP/tkmix/train/"
"$BLALM" train --tokens "$TMP/tkmix" --model "$CFG" --out "$TMP/rtmix" --max-steps 2 -q 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "tkmix/train/synthetic.train.tok: byte 32: made by the tokenizer with sha256" "$TMP/err" &&
    pass train_tokens_shard_of_other_tokenizer || fail train_tokens_shard_of_other_tokenizer "$(head -c 300 "$TMP/err")"
# tokens.json records the tokenizer so that train --tokens finds it from any
# directory: absolute, or relative to the tokens folder when inside it (the
# folder moves whole); it recorded the path as typed, relative to where
# tokenize ran. A recorded tokenizer that is gone is named as tokens.json's,
# and leaves no run folder.
(cd "$TMP" && "$BLALM" tokenize --corpus corpus --tokenizer run/tokenizer.json --out tkrel -q 2>/dev/null)
(cd / && "$BLALM" train --tokens "$TMP/tkrel" --model "$CFG" --out "$TMP/rtrel" --max-steps 1 -q 2>"$TMP/err")
[ $? -eq 0 ] && grep -q "\"tokenizer\": \"$TMP/run/tokenizer.json\"" "$TMP/tkrel/tokens.json" &&
    pass train_tokens_from_other_directory || fail train_tokens_from_other_directory "$(head -c 300 "$TMP/err")"
mkdir -p "$TMP/tkin" && cp "$R/tokenizer.json" "$TMP/tkin/tokenizer.json"
"$BLALM" tokenize --corpus "$C" --tokenizer "$TMP/tkin/tokenizer.json" --out "$TMP/tkin" -q 2>/dev/null
mv "$TMP/tkin" "$TMP/tkmoved"
(cd / && "$BLALM" train --tokens "$TMP/tkmoved" --model "$CFG" --out "$TMP/rtmoved" --max-steps 1 -q 2>"$TMP/err")
[ $? -eq 0 ] && grep -q '"tokenizer": "tokenizer.json"' "$TMP/tkmoved/tokens.json" &&
    pass train_tokens_folder_moved_whole || fail train_tokens_folder_moved_whole "$(head -c 300 "$TMP/err")"
rm "$TMP/tkmoved/tokenizer.json"
"$BLALM" train --tokens "$TMP/tkmoved" --model "$CFG" --out "$TMP/rtgone" --max-steps 1 -q 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "tkmoved/tokens.json: \"tokenizer\": .*tkmoved/tokenizer.json" "$TMP/err" && [ ! -e "$TMP/rtgone" ] &&
    pass train_tokens_tokenizer_gone || fail train_tokens_tokenizer_gone "$(head -c 300 "$TMP/err"; ls "$TMP/rtgone" 2>&1)"
# an unfinished tokenize output (no tokens.json) is refused
"$BLALM" train --tokens "$TMP/nothing" --model "$CFG" --out "$TMP/rty" -q 2>"$TMP/err"
[ $? -eq 1 ] && grep -q "not a finished blalm tokenize output" "$TMP/err" && pass train_tokens_unfinished ||
    fail train_tokens_unfinished "$(head -c 300 "$TMP/err")"
"$BLALM" train --tokens "$TMP/tk" --corpus "$C" --model "$CFG" --out "$TMP/rtz" -q 2>/dev/null
[ $? -eq 2 ] && pass train_tokens_and_corpus_usage || fail train_tokens_and_corpus_usage "exit not 2"
# a rerun after a changed corpus file rejoins the tokens (markers, not stamp.txt)
"$BLALM" train --corpus "$C" --tokenizer "$R/tokenizer.json" --model "$CFG" --out "$TMP/rtc2" --max-steps 2 -q 2>/dev/null
synthetic_docs 5 9 >> "$C/dev/synthetic.dev"
rm -rf "$TMP/rtc2/checkpoints" "$TMP/rtc2/log.jsonl"
"$BLALM" train --corpus "$C" --tokenizer "$R/tokenizer.json" --model "$CFG" --out "$TMP/rtc2" --max-steps 2 -q 2>"$TMP/err"
n_old=$("$PY" -c 'import struct,sys; print(struct.unpack_from("<Q", open(sys.argv[1],"rb").read(), 16)[0])' "$TMP/rtc/tokens/dev.idx")
n_new=$("$PY" -c 'import struct,sys; print(struct.unpack_from("<Q", open(sys.argv[1],"rb").read(), 16)[0])' "$TMP/rtc2/tokens/dev.idx")
[ "$n_new" -gt "$n_old" ] && pass train_tokens_redone_on_change || fail train_tokens_redone_on_change "dev docs $n_old -> $n_new: $(head -c 300 "$TMP/err")"
