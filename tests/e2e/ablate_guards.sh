#!/usr/bin/env bash
# blalm ablate's guards and statistics: one invocation per run (overlapping
# --seeds ranges: the second stops at once, naming the run's lock and the
# holder's pid; before, both trained one run from each other's checkpoints);
# bad inputs refused before anything is made (an unknown --eval-tasks name
# and a spec error exit 2, a corpus folder that is not there or without a
# dev split exit 1); train_seconds of a run resumed after its training is the
# training's, not the last invocation's; ablation.md and ablation.json give
# the 95% confidence interval of each mean and Welch's t-test of each
# variant against the first, as scipy.stats computes them (1e-9 relative).
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
C="$TMP/corpus"; line_corpus "$C" 5 60
sed 's/"context": 32/"context": 1024/' "$root/configs/model-tiny.json" > "$TMP/tiny.json"
abl() { "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --model-size "$TMP/tiny.json" "$@"; }

# overlapping seed ranges on one folder
O="$TMP/ov"
"$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --model-size "$TMP/tiny.json" \
    --seeds 1-2 --tokens 100M --out "$O" -q 2>"$TMP/first.err" &
first=$!   # blalm itself (not a subshell), to match the pid named and to kill it
for _ in $(seq 1 300); do grep -q '"loss"' "$O/runs/mlstm-adamw-s1/log.jsonl" 2>/dev/null && break; sleep 0.2; done
timeout 60 "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --model-size "$TMP/tiny.json" \
    --seeds 1-1 --tokens 100M --out "$O" -q 2>"$TMP/err"; rc=$?
alive=0; kill -0 "$first" 2>/dev/null && alive=1
kill "$first" 2>/dev/null; wait "$first" 2>/dev/null
if [ $rc = 1 ] && [ $alive = 1 ] && grep -qF "$O/runs/mlstm-adamw-s1/.lock" "$TMP/err" && grep -q "(pid $first," "$TMP/err"; then
    pass ablate_overlapping_seeds_refused
else fail ablate_overlapping_seeds_refused "rc $rc, first alive $alive: $(head -c 300 "$TMP/err")"; fi

# inputs checked before anything is made
g=ok
abl --seeds 1 --tokens 1k --out "$TMP/a1" --eval-data "$root/tests" --eval-tasks blimp,nosuch -q 2>"$TMP/err"; rc=$?
{ [ $rc = 2 ] && grep -q "eval-tasks: unknown task 'nosuch'" "$TMP/err" && [ ! -e "$TMP/a1" ]; } || g="eval-tasks: rc $rc $(head -c 200 "$TMP/err")"
mkdir -p "$TMP/nodev/train"; cp "$C/train/x.train" "$TMP/nodev/train/"
"$BLALM" ablate --corpus "$TMP/nodev" --variants mlstm --optimizers adamw --seeds 1 --tokens 1k --model-size "$TMP/tiny.json" \
    --out "$TMP/a2" -q 2>"$TMP/err"; rc=$?
{ [ $rc = 1 ] && grep -q "the dev split holds no text" "$TMP/err" && [ ! -e "$TMP/a2" ]; } || g="no dev: rc $rc $(head -c 200 "$TMP/err")"
"$BLALM" ablate --corpus "$TMP/nosuch" --variants mlstm --optimizers adamw --seeds 1 --tokens 1k --model-size "$TMP/tiny.json" \
    --out "$TMP/a3" -q 2>"$TMP/err"; rc=$?
{ [ $rc = 1 ] && grep -qF "$TMP/nosuch: No such file or directory" "$TMP/err" && [ ! -e "$TMP/a3" ]; } || g="no corpus: rc $rc $(head -c 200 "$TMP/err")"
for a in "--variants ''@--variants '' names no variant" "--variants ,@--variants ',' names no variant" \
         "--optimizers ''@--optimizers '' names no optimizer"; do
    eval "set -- --variants mlstm --optimizers adamw ${a%%@*}"
    "$BLALM" ablate --corpus "$C" "$@" --seeds 1 --tokens 1k --model-size "$TMP/tiny.json" --out "$TMP/a4" -q 2>"$TMP/err"; rc=$?
    { [ $rc = 2 ] && grep -qF -- "${a#*@}" "$TMP/err" && [ ! -e "$TMP/a4" ]; } || g="${a%%@*}: rc $rc $(head -c 200 "$TMP/err")"
done
OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_RANK=1 "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds 1 --tokens 1k \
    --model-size "$TMP/tiny.json" --out "$TMP/a5" -q 2>"$TMP/err"; rc=$?
{ [ $rc = 2 ] && grep -q "started by mpirun as rank 1 of ranks 0..1: ablate is not data-parallel" "$TMP/err" && [ ! -e "$TMP/a5" ]; } || g="mpirun: rc $rc $(head -c 200 "$TMP/err")"
SLURM_STEP_NUM_TASKS=2 SLURM_NTASKS=2 SLURM_PROCID=1 sh -c 'SLURM_TASK_PID=$$ exec "$0" "$@"' "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds 1 --tokens 1k \
    --model-size "$TMP/tiny.json" --out "$TMP/a5s" -q 2>"$TMP/err"; rc=$?
{ [ $rc = 2 ] && grep -q "started by srun as task 1 of tasks 0..1: ablate is not data-parallel" "$TMP/err" && [ ! -e "$TMP/a5s" ]; } || g="srun: rc $rc $(head -c 200 "$TMP/err")"
[ "$g" = ok ] && pass ablate_inputs_checked_first || fail ablate_inputs_checked_first "$g"
# an empty name beside others is a usage error naming the option (it was
# skipped: 'mlstm,' ran mlstm alone, exit 0); so are more names than fit and
# --threads over 4096 (as train and eval)
g=ok
for a in "--variants mlstm,@--variants 'mlstm,': an empty name" "--optimizers adamw,@--optimizers 'adamw,': an empty name" \
         "--optimizers ,muon@--optimizers ',muon': an empty name" \
         "--variants mlstm,,transformer@--variants 'mlstm,,transformer': an empty name" \
         "--variants $(seq -s, -f 'v%g' 33)@more than 32 names" \
         "--threads 4097@ablate: --threads wants a count in 1..4096, not '4097'"; do
    eval "set -- --variants mlstm --optimizers adamw ${a%%@*}"
    "$BLALM" ablate --corpus "$C" "$@" --seeds 1 --tokens 1k --model-size "$TMP/tiny.json" --out "$TMP/a6" -q 2>"$TMP/err"; rc=$?
    { [ $rc = 2 ] && grep -qF -- "${a#*@}" "$TMP/err" && [ ! -e "$TMP/a6" ]; } || g="${a%%@*}: rc $rc $(head -c 200 "$TMP/err")"
    rm -rf "$TMP/a6"
done
[ "$g" = ok ] && pass ablate_list_names_checked || fail ablate_list_names_checked "$g"

# a run resumed once its training was done (killed while evaluating: no
# ablate.json) reports its training's seconds, not those of the last invocation
T="$TMP/ts"
ts() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["train_seconds"])' "$T/runs/mlstm-adamw-s1/ablate.json"; }
if abl --seeds 1 --tokens 150k --out "$T" -q 2>"$TMP/err" && t1=$(ts) && rm "$T/runs/mlstm-adamw-s1/ablate.json" \
   && abl --seeds 1 --tokens 150k --out "$T" -q 2>"$TMP/err" && t2=$(ts) \
   && "$PY" -c 'import sys; a, b = map(float, sys.argv[1:]); sys.exit(not (a > 0.3 and abs(a - b) <= 0.05 * a))' "$t1" "$t2"; then
    pass ablate_train_seconds_all_segments
else fail ablate_train_seconds_all_segments "first ${t1:-?} s, resumed ${t2:-?} s: $(head -c 300 "$TMP/err")"; fi
# a task of a Slurm job array runs (each task may take its own --seeds
# range), also of an array with a step, which the sharded stages refuse (it
# was refused: "worker 1 of 4 (by a Slurm array)" or a shard error); here
# the finished run is skipped and the tables written
rm -f "$T/ablation.csv"
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=6 SLURM_ARRAY_TASK_COUNT=4 SLURM_ARRAY_TASK_STEP=2 \
    abl --seeds 1 --tokens 150k --out "$T" -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && [ -s "$T/ablation.csv" ] && pass ablate_slurm_array_task_runs \
    || fail ablate_slurm_array_task_runs "rc $rc: $(head -c 300 "$TMP/err")"

# statistics: 2 variants x 3 seeds, against scipy
S="$TMP/st"
# (the corpus and the model given relative to the current folder: ablation.json
# records them absolute)
if (cd "$TMP" && "$BLALM" ablate --corpus corpus --variants mlstm,transformer --optimizers adamw --seeds 3 --tokens 2k \
        --model-size tiny.json --out "$S" -q 2>"$TMP/err"); then
    if ! "$PY" -c 'import scipy' 2>/dev/null; then skip ablate_stats_match_scipy "scipy not importable by $PY (Debian python3-scipy)"
    else "$PY" - "$S" <<'PY' && pass ablate_stats_match_scipy || fail ablate_stats_match_scipy "$(head -c 600 "$S/ablation.md")"
import glob, json, math, re, sys
from scipy import stats
s = sys.argv[1]
runs = [json.load(open(p)) for p in glob.glob(s + "/runs/*/ablate.json")]
j = json.load(open(s + "/ablation.json"))
import os
assert os.path.isabs(j["corpus"]) and os.path.isdir(j["corpus"]) and os.path.isfile(j["model"]), (j["corpus"], j["model"])
def rel(a, b): return abs(a - b) <= 1e-9 * abs(b)
vals = lambda v, k: [r[k] for r in runs if r["variant"] == v]
assert j["baseline"] == "mlstm" and len(j["groups"]) == 2
seen = set(r["tokens_seen"] for r in runs)
assert j["tokens_seen"]["min"] == j["tokens_seen"]["max"] == seen.pop()
for g in j["groups"]:
    for k in ("dev_loss", "dev_ppl", "dev_ppl_word"):
        x, m = vals(g["variant"], k), g["metrics"][k]
        assert m["n"] == 3
        mean, sd = sum(x) / 3, stats.tstd(x)
        lo, hi = stats.t.interval(0.95, 2, loc=mean, scale=stats.sem(x))
        assert rel(m["mean"], mean) and rel(m["sd"], sd) and rel(m["ci95"][0], lo) and rel(m["ci95"][1], hi), (k, m, lo, hi)
        if g["variant"] == "mlstm":
            assert "welch" not in m
            continue
        b = vals("mlstm", k)
        r = stats.ttest_ind(x, b, equal_var=False)
        va, vb = stats.tvar(x) / 3, stats.tvar(b) / 3
        df = (va + vb) ** 2 / (va ** 2 / 2 + vb ** 2 / 2)
        w = m["welch"]
        assert rel(w["t"], r.statistic) and rel(w["p"], r.pvalue) and rel(w["df"], df), (k, w, r, df)
md = open(s + "/ablation.md").read()
assert re.search(r"\| transformer \| PPL \| [+-][0-9.]+ \| -?[0-9.]+ \| [0-9.]+ \| [0-9.e-]+ \|", md), md
assert re.search(r"\| mlstm \| 3 \| [0-9.]+ ± [0-9.]+ \[[0-9.]+, [0-9.]+\] \|", md), md
assert "Against `mlstm` (Welch's t-test" in md
assert "%d training tokens per run (`--tokens 2000` in whole steps)" % runs[0]["tokens_seen"] in md, md[:400]
PY
    fi
else fail ablate_stats_match_scipy "$(head -c 300 "$TMP/err")"; fi

# a run whose loss is not finite stops the ablation, exit 1, naming the run
# and the step, with no tables (a table without the run would read as the
# whole ablation); run again, it fails the same way (README's account)
sed 's/"lr_adamw": 3e-3/"lr_adamw": 1e4/' "$TMP/tiny.json" > "$TMP/div.json"
D="$TMP/div"
g=ok
for i in 1 2; do
    "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds 2 --tokens 4k --model-size "$TMP/div.json" \
        --out "$D" -q 2>"$TMP/err"; rc=$?
    { [ $rc = 1 ] && grep -qE "$D/runs/mlstm-adamw-s1: step [0-9]+: loss is -?nan; lower the learning rate" "$TMP/err" \
      && [ ! -e "$D/ablation.csv" ] && [ ! -e "$D/ablation.md" ] && [ ! -e "$D/ablation.json" ] \
      && [ ! -e "$D/runs/mlstm-adamw-s1/ablate.json" ]; } || g="invocation $i: rc $rc $(head -c 300 "$TMP/err")"
done
[ "$g" = ok ] && pass ablate_failed_run_stops || fail ablate_failed_run_stops "$g"

# a run that learnt nothing (Muon's learning rate far too high: uniform
# predictions, dev PPL exactly the vocabulary size 320, both seeds alike to
# the last digit, so sd 0 and a CI of width 0) is flagged in ablation.md,
# ablation.json's "warnings" and on stderr; it read as a result before
sed 's/"lr_muon": [^,]*/"lr_muon": 1e6/' "$TMP/tiny.json" > "$TMP/col.json"
"$BLALM" ablate --corpus "$C" --variants mlstm --optimizers muon --seeds 2 --tokens 2k --model-size "$TMP/col.json" \
    --out "$TMP/col" -q 2>"$TMP/err"; rc=$?
w=$("$PY" - "$TMP/col" <<'PY' 2>&1
import csv, json, sys
a = sys.argv[1]
rows = list(csv.DictReader(open(a + "/ablation.csv")))
assert [float(r["dev_ppl"]) for r in rows] == [320.0, 320.0], rows
w = json.load(open(a + "/ablation.json"))["warnings"]
assert len(w) == 2 and w[0].startswith("mlstm-muon-s1 learnt nothing: its dev perplexity 320.00 is at least the vocabulary size (320)"), w
md = open(a + "/ablation.md").read()
assert md.count("**Warning:** `mlstm-muon-s") == 2, md[:600]
print("ok")
PY
)
[ $rc = 0 ] && [ "$w" = ok ] && [ "$(grep -c 'learnt nothing' "$TMP/err")" = 2 ] \
    && pass ablate_learnt_nothing_flagged || fail ablate_learnt_nothing_flagged "rc $rc: $w $(head -c 300 "$TMP/err")"

# SIGTERM (a Slurm time limit) during a run's steps: as blalm train, the run
# saves checkpoints/latest.bin after the current step, ablate says so and
# exits 143; the same invocation again resumes it and ends with the bytes and
# numbers of an uninterrupted ablation (before: killed at once, exit 143 and
# no word, every step since the last checkpoint lost)
abl --seeds 1 --tokens 100k --out "$TMP/sref" -q 2>/dev/null
SG="$TMP/sg"
"$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --model-size "$TMP/tiny.json" \
    --seeds 1 --tokens 100k --out "$SG" -q 2>"$TMP/sg.err" &
pid=$!   # blalm itself, not a subshell
for _ in $(seq 1 300); do
    n=$(grep -c '"loss"' "$SG/runs/mlstm-adamw-s1/log.jsonl" 2>/dev/null)
    [ "${n:-0}" -ge 35 ] && break
    sleep 0.05
done
kill -TERM "$pid"; wait "$pid"; rc=$?
st=$(grep -o 'stopped by SIGTERM after step [0-9]* of' "$TMP/sg.err" | cut -d' ' -f6)
cols() { cut -d, -f1-10 "$1/ablation.csv"; }   # all but train_seconds
if [ $rc = 143 ] && [ -n "$st" ] && grep -q "run the same blalm ablate again to resume it" "$TMP/sg.err" &&
   ckline=$(grep "\"step\":$st,\"event\":\"checkpoint\"" "$SG/runs/mlstm-adamw-s1/log.jsonl") && [ ! -e "$SG/ablation.csv" ] &&
   abl --seeds 1 --tokens 100k --out "$SG" -q 2>>"$TMP/sg.err" &&
   # resumed, not trained again from step 0 (which ends in the same bytes):
   # the log keeps the stopped run's lines up to its checkpoint, whose
   # train_seconds (wall time to the millisecond) a new run would not repeat
   grep -qxF "$ckline" "$SG/runs/mlstm-adamw-s1/log.jsonl" &&
   cmp -s "$SG/runs/mlstm-adamw-s1/checkpoints/latest.bin" "$TMP/sref/runs/mlstm-adamw-s1/checkpoints/latest.bin" &&
   [ "$(cols "$SG")" = "$(cols "$TMP/sref")" ]; then
    pass ablate_sigterm_saves_and_resumes
else fail ablate_sigterm_saves_and_resumes "rc $rc, stopped at '$st': $(head -c 400 "$TMP/sg.err")"; fi

# a first run that fails after training its tokenizer (here: the evaluation
# cannot run on a 32-token context) leaves it in OUT/tokenizer.json for the
# rerun, which trains the run from the start (before: none was kept, and
# every rerun trained the tokenizer again)
"$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds 1 --tokens 2k --out "$TMP/tk" \
    --model-size "$root/configs/model-tiny.json" --eval-data "$root/tests" --eval-tasks blimp -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "not training: the evaluation" "$TMP/err" && [ -f "$TMP/tk/tokenizer.from.json" ] &&
    cmp -s "$TMP/tk/tokenizer.json" "$TMP/tk/runs/mlstm-adamw-s1/tokenizer.json" \
    && pass ablate_failed_run_keeps_tokenizer \
    || fail ablate_failed_run_keeps_tokenizer "rc $rc, OUT has: $(ls "$TMP/tk" | tr '\n' ' ') $(head -c 300 "$TMP/err")"

# OUT/tokenizer.json is kept only with its tokenizer.from.json: that record is
# written first, so a failure between the two leaves no tokenizer.json that a
# later invocation would take as put there by hand (used unchecked, whatever
# corpus it was trained on); here the record cannot be written (a folder
# that is not empty)
mkdir -p "$TMP/kt/tokenizer.from.json/x"
abl --seeds 1 --tokens 1k --out "$TMP/kt" -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "tokenizer.from.json" "$TMP/err" && [ ! -e "$TMP/kt/tokenizer.json" ] \
    && pass ablate_tokenizer_kept_with_its_record \
    || fail ablate_tokenizer_kept_with_its_record "rc $rc, tokenizer.json $([ -e "$TMP/kt/tokenizer.json" ] && echo left || echo absent): $(head -c 200 "$TMP/err")"
# a record left without its tokenizer (a failure between the two writes) is
# removed when the next invocation starts, before anything else can fail: it
# would be taken for the record of a tokenizer.json put there by hand later
mkdir -p "$TMP/orph/runs/mlstm-adamw-s1"
echo '{"corpus": "another", "vocab_size": 1}' > "$TMP/orph/tokenizer.from.json"
echo '{}' > "$TMP/orph/runs/mlstm-adamw-s1/ablate.json"
abl --seeds 1 --tokens 1k --out "$TMP/orph" -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "records no settings" "$TMP/err" && [ ! -e "$TMP/orph/tokenizer.from.json" ] \
    && pass ablate_orphan_tokenizer_record_removed \
    || fail ablate_orphan_tokenizer_record_removed "rc $rc, OUT has: $(ls "$TMP/orph" | tr '\n' ' ') $(head -c 200 "$TMP/err")"

# a dev split too short for one dev evaluation (fewer tokens than a sequence)
# is refused before the first step (before: the run trained to its end and
# then failed with 'log.jsonl: no dev evaluation in the log (a dev split is
# needed)', beside a dev split that was there)
mkdir -p "$TMP/shortdev/train" "$TMP/shortdev/dev"; cp "$C/train/x.train" "$TMP/shortdev/train/"; echo "the cat." > "$TMP/shortdev/dev/x.dev"
"$BLALM" ablate --corpus "$TMP/shortdev" --variants mlstm --optimizers adamw --seeds 1 --tokens 10k --model-size "$TMP/tiny.json" \
    --out "$TMP/sd" -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -qE "the dev split has [0-9]+ tokens, fewer than one sequence of 33: no dev evaluation is possible \(not training\)" "$TMP/err" \
    && ! grep -q '"loss"' "$TMP/sd/runs/mlstm-adamw-s1/log.jsonl" 2>/dev/null \
    && pass ablate_short_dev_refused_before_training \
    || fail ablate_short_dev_refused_before_training "rc $rc: $(head -c 300 "$TMP/err")"
