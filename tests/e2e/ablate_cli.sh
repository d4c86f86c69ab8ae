#!/usr/bin/env bash
# blalm ablate on a small synthetic corpus: mlstm and transformer x adamw and
# muon x 2 seeds with the tiny config; every run folder, ablation.csv with a
# row per run, ablation.md's tables with mean +- sd, well-formed SVG charts;
# a rerun skips the finished runs and an interrupted run resumes; unknown
# variants and bad flags fail clearly.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
C="$TMP/corpus"; line_corpus "$C" 5 60
sed 's/"context": 32/"context": 1024/' "$root/configs/model-tiny.json" > "$TMP/tiny.json"
ev=()
if need_shared && [ -d "$SHARED_DATA/babylm-eval" ]; then ev=(--eval-data "$SHARED_DATA/babylm-eval" --eval-tasks wug_adj); fi
A="$TMP/abl"
if "$BLALM" ablate --corpus "$C" --variants mlstm,transformer --optimizers adamw,muon --seeds 2 --tokens 2k \
        --model-size "$TMP/tiny.json" --out "$A" "${ev[@]}" 2>"$TMP/err"; then
    n=$(ls "$A/runs" | wc -l)
    [ "$n" = 8 ] && [ -f "$A/runs/transformer-muon-s2/ablate.json" ] && pass ablate_runs || fail ablate_runs "$n runs: $(ls "$A/runs")"
    "$PY" - "$A" "${#ev[@]}" <<'PY' && pass ablate_outputs || fail ablate_outputs "$(cat "$A/ablation.md" | head -c 400)"
import csv, json, sys, xml.dom.minidom as xm
a, have_eval = sys.argv[1], sys.argv[2] != "0"
rows = list(csv.DictReader(open(a + "/ablation.csv")))
assert len(rows) == 8, len(rows)
assert {r["variant"] for r in rows} == {"mlstm", "transformer"} and {r["optimizer"] for r in rows} == {"adamw", "muon"}
assert all(float(r["dev_ppl"]) > 1 and float(r["dev_ppl_word"]) >= float(r["dev_ppl"]) for r in rows)
assert all(int(r["tokens_seen"]) >= 2000 for r in rows)
# the seeds differ (different initial weights), the data order does not
s = {(r["variant"], r["optimizer"]): [] for r in rows}
for r in rows: s[(r["variant"], r["optimizer"])].append(float(r["dev_loss"]))
assert all(len(v) == 2 and v[0] != v[1] for v in s.values())
md = open(a + "/ablation.md").read()
assert "## Mechanism (adamw)" in md and "## Optimizer" in md and " ± " in md
if have_eval:
    assert all(r["wug_adj"] not in ("", "nan") for r in rows) and "## Zero-shot tasks" in md
xm.parse(a + "/dev_loss.svg"); xm.parse(a + "/alpha.svg")
svg = open(a + "/dev_loss.svg").read()
assert svg.count("<polyline") == 8
# one legend entry per variant x optimizer (its seeds share colour and dash), Muon dashed
assert svg.count("(2 runs)</text>") == 4 and svg.count(">mlstm-muon (2 runs)<") == 1, svg[-800:]
assert svg.count('stroke-dasharray="7 4"') == 4 + 2, svg.count('stroke-dasharray="7 4"')
PY
else
    fail ablate_runs "$(head -c 400 "$TMP/err")"
fi
# an evaluation item longer than the context is refused before any training
# step (with the run's tokenizer), naming the task, file, line and lengths
mkdir -p "$TMP/ev/blimp_fast"
long=$(printf 'the cat sat on a mat %.0s' $(seq 12))
{ printf '{"sentence_good": "the cat sat.", "sentence_bad": "cat the sat.", "field": "f", "linguistics_term": "t", "UID": "u"}\n'
  printf '{"sentence_good": "%s.", "sentence_bad": "the cat sat.", "field": "f", "linguistics_term": "t", "UID": "u"}\n' "$long"; } \
    > "$TMP/ev/blimp_fast/u.jsonl"
if ! "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds 1 --tokens 2k \
        --model-size "$root/configs/model-tiny.json" --out "$TMP/abl_ctx" --eval-data "$TMP/ev" --eval-tasks blimp 2>"$TMP/err" \
   && grep -q 'not training' "$TMP/err" && grep -q 'u.jsonl:2: blimp: a candidate of [0-9]* tokens' "$TMP/err" \
   && grep -q "more than the model's context (32)" "$TMP/err" \
   && [ -f "$TMP/abl_ctx/runs/mlstm-adamw-s1/tokenizer.json" ] && [ ! -e "$TMP/abl_ctx/runs/mlstm-adamw-s1/checkpoints/latest.bin" ]; then
    pass ablate_eval_context_checked_first
else fail ablate_eval_context_checked_first "$(tail -c 400 "$TMP/err")"; fi
# a rerun skips everything; a run whose marker is gone resumes from its checkpoint
before=$(cat "$A/ablation.csv")
rm "$A/runs/mlstm-muon-s1/ablate.json"
if "$BLALM" ablate --corpus "$C" --variants mlstm,transformer --optimizers adamw,muon --seeds 2 --tokens 2k \
        --model-size "$TMP/tiny.json" --out "$A" "${ev[@]}" 2>"$TMP/err" \
   && grep -q '7 skipped' "$TMP/err" && [ "$(cut -d, -f1-9 "$A/ablation.csv")" = "$(printf '%s\n' "$before" | cut -d, -f1-9)" ]; then
    pass ablate_resume
else fail ablate_resume "$(tail -c 300 "$TMP/err")"; fi
# --seeds FIRST-LAST: only those seeds (beside another invocation's); then all of them, skipped
if "$BLALM" ablate --corpus "$C" --variants mlstm,transformer --optimizers adamw,muon --seeds 3-3 --tokens 2k \
        --model-size "$TMP/tiny.json" --out "$A" "${ev[@]}" 2>"$TMP/err" \
   && grep -q '4 runs (4 trained, 0 skipped)' "$TMP/err" && [ "$(wc -l < "$A/ablation.csv")" = 5 ] \
   && grep -q 'seeds 3-3' "$A/ablation.md" \
   && "$BLALM" ablate --corpus "$C" --variants mlstm,transformer --optimizers adamw,muon --seeds 3 --tokens 2k \
        --model-size "$TMP/tiny.json" --out "$A" "${ev[@]}" 2>"$TMP/err" \
   && grep -q '12 runs (0 trained, 12 skipped)' "$TMP/err" && [ "$(wc -l < "$A/ablation.csv")" = 13 ]; then
    pass ablate_seed_range
else fail ablate_seed_range "$(tail -c 300 "$TMP/err")"; fi
"$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds 3-2 --tokens 1k --out "$TMP/a6" -q 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "FIRST-LAST" "$TMP/err" && [ ! -d "$TMP/a6" ] && pass ablate_bad_seed_range || fail ablate_bad_seed_range "rc $rc"
"$BLALM" ablate --corpus "$C" --variants mlstm,+nosuch --optimizers adamw --seeds 1 --tokens 1k \
    --model-size "$TMP/tiny.json" --out "$TMP/a2" -q 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "variant '+nosuch': unknown part 'nosuch'" "$TMP/err" && [ ! -d "$TMP/a2" ] \
    && pass ablate_unknown_variant || fail ablate_unknown_variant "rc $rc $(cat "$TMP/err")"
"$BLALM" ablate --corpus "$C" --variants mlstm,transformer+hedgehog --optimizers adamw --seeds 1 --tokens 1k \
    --model-size "$TMP/tiny.json" --out "$TMP/a2b" -q 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "variant transformer+hedgehog" "$TMP/err" && grep -qi "hedgehog" "$TMP/err" && [ ! -d "$TMP/a2b" ] \
    && pass ablate_impossible_combination || fail ablate_impossible_combination "rc $rc $(cat "$TMP/err")"
# the paper's variants run, combined with '+'; DynMod's alpha per layer is charted
if "$BLALM" ablate --corpus "$C" --variants +swa-dynmod,+shortconv+hedgehog-swa --optimizers muon --seeds 1 --tokens 1k \
        --model-size "$TMP/tiny.json" --out "$TMP/a4" -q 2>"$TMP/err"; then
    n=$(grep -c '<polyline' "$TMP/a4/alpha.svg" 2>/dev/null)
    [ "${n:-0}" -ge 2 ] && [ "$(ls "$TMP/a4/runs" | wc -l)" = 2 ] && pass ablate_paper_variants \
        || fail ablate_paper_variants "alpha.svg has ${n:-0} lines; runs: $(ls "$TMP/a4/runs" | tr '\n' ' ')"
else fail ablate_paper_variants "$(head -c 400 "$TMP/err")"; fi
# --help lists the variant registry, and every name it lists trains (all in one
# ablation: each is checked alone on the base, not on the one before it)
names=$("$BLALM" ablate --help | sed -n '/this build has:/,/--optimizers/p' | sed '1d;$d' | tr -d ' \n')
if [ "$names" = "mlstm,transformer,shortconv,swa,swa-memory,swa-dynmod,swa-dynmod-bounded,hedgehog,hedgehog-swa" ] \
   && "$BLALM" ablate --corpus "$C" --variants "$names" --optimizers adamw --seeds 1 --tokens 1k \
        --model-size "$TMP/tiny.json" --out "$TMP/a5" -q 2>"$TMP/err" \
   && [ "$(ls "$TMP/a5/runs" | wc -l)" = 9 ] && [ "$(wc -l < "$TMP/a5/ablation.csv")" = 10 ]; then
    pass ablate_help_variants_accepted
else fail ablate_help_variants_accepted "help lists '$names'; $(head -c 300 "$TMP/err")"; fi
# a variant or optimizer named twice would be one run twice, its rows a seed
# spread of 0.00 that is not one: refused before anything is trained, as are
# two names of one model; --seeds takes N or FIRST-LAST, not a list
rep=ok
for a in "--variants mlstm,swa,mlstm --optimizers adamw:names 'mlstm' twice" \
         "--variants mlstm --optimizers adamw,muon,adamw:names 'adamw' twice"; do
    "$BLALM" ablate --corpus "$C" ${a%%:*} --seeds 1 --tokens 1k --model-size "$TMP/tiny.json" \
        --out "$TMP/a7" -q 2>"$TMP/err"; rc=$?
    { [ $rc = 2 ] && grep -q -- "${a#*:}" "$TMP/err" && [ ! -d "$TMP/a7" ]; } || rep="rc $rc for ${a%%:*}: $(head -c 200 "$TMP/err")"
done
"$BLALM" ablate --corpus "$C" --variants mlstm,shortconv+swa,+mlstm --optimizers adamw --seeds 1 --tokens 1k \
    --model-size "$TMP/tiny.json" --out "$TMP/a7" -q 2>"$TMP/err"; rc=$?
{ [ $rc = 2 ] && grep -q "variants 'mlstm' and '+mlstm' are the same model" "$TMP/err" && [ ! -d "$TMP/a7" ]; } \
    || rep="rc $rc for mlstm,+mlstm: $(head -c 200 "$TMP/err")"
for sd in 1,1 1-3,2; do
    "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds $sd --tokens 1k \
        --model-size "$TMP/tiny.json" --out "$TMP/a7" -q 2>"$TMP/err"; rc=$?
    { [ $rc = 2 ] && grep -q -- "--seeds expects" "$TMP/err"; } || rep="rc $rc for --seeds $sd"
done
[ "$rep" = ok ] && pass ablate_repeated_names || fail ablate_repeated_names "$rep"
# --seeds N has the bound of FIRST-LAST, 1000000 (N was cast to int unchecked:
# 4294967297 trained seed 1 alone and exited 0, 99999999999 ran for minutes
# before its first run); timeout: the old code would not stop
sb=ok
for sd in 4294967297 1000001 1-1000001 99999999999; do
    timeout 60 "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds $sd --tokens 1k \
        --model-size "$TMP/tiny.json" --out "$TMP/a7s" -q 2>"$TMP/err"; rc=$?
    { [ $rc = 2 ] && grep -qF -- "--seeds expects N or FIRST-LAST (1 <= FIRST <= LAST <= 1000000), got '$sd'" "$TMP/err" \
      && [ ! -e "$TMP/a7s" ]; } || { sb="rc $rc for --seeds $sd: $(head -c 200 "$TMP/err")"; break; }
done
[ "$sb" = ok ] && pass ablate_seed_count_bounded || fail ablate_seed_count_bounded "$sb"
# --out takes the next argument: "--out -q" made the ablation in a folder "-q"
# (an option after it: refused for every command by cli_getopt; any other
# value starting with '-', ablate's own check)
(cd "$TMP" && "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds 1 --tokens 1k \
    --model-size "$TMP/tiny.json" --out -q) >"$TMP/oo" 2>&1; rc=$?
(cd "$TMP" && "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds 1 --tokens 1k \
    --model-size "$TMP/tiny.json" --out -x) >"$TMP/oo2" 2>&1; rc2=$?
[ $rc = 2 ] && grep -qF -- "ablate: option '--out' needs a value, and '-q' after it is an option" "$TMP/oo" \
    && [ $rc2 = 2 ] && grep -qF -- "ablate: --out wants a folder, not '-x'" "$TMP/oo2" \
    && [ ! -e "$TMP/-q" ] && [ ! -e "$TMP/-x" ] \
    && pass ablate_out_not_an_option || fail ablate_out_not_an_option "rc $rc $rc2: $(head -c 300 "$TMP/oo" "$TMP/oo2")"
# evaluation data that is not there is refused before any training, naming
# it and where it came from (before: trained, then zero-shot "nan", rc 0); a
# folder with no task's data stops at the first evaluation
ed=ok
for how in "--eval-data:$TMP/no/such:No such file" "env:$TMP/no/such:No such file" "env:$C/train/x.train:not a folder"; do
    IFS=: read -r src dir msg <<<"$how"
    if [ "$src" = env ]; then BLALM_EVAL_DATA=$dir "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw \
            --seeds 1 --tokens 1k --model-size "$TMP/tiny.json" --out "$TMP/a8" -q 2>"$TMP/err"; rc=$?; want='$BLALM_EVAL_DATA'
    else "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds 1 --tokens 1k \
            --model-size "$TMP/tiny.json" --out "$TMP/a8" --eval-data "$dir" -q 2>"$TMP/err"; rc=$?; want=--eval-data; fi
    { [ $rc = 1 ] && grep -qF -- "$want '$dir': $msg" "$TMP/err" && [ ! -d "$TMP/a8" ]; } \
        || { ed="rc $rc for $how: $(head -c 200 "$TMP/err")"; break; }
done
mkdir -p "$TMP/ev_empty"
if [ "$ed" = ok ]; then
    "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds 1 --tokens 1k \
        --model-size "$TMP/tiny.json" --out "$TMP/a8" --eval-data "$TMP/ev_empty" -q 2>"$TMP/err"; rc=$?
    { [ $rc = 1 ] && grep -q "ev_empty holds the data of none of the tasks (the fast suite)" "$TMP/err" \
        && [ ! -f "$TMP/a8/ablation.csv" ]; } || ed="rc $rc for an empty folder: $(head -c 200 "$TMP/err")"
fi
[ "$ed" = ok ] && pass ablate_eval_data_checked || fail ablate_eval_data_checked "$ed"
# --model-size NAME (and the default, small) is the built-in config from any
# folder, not configs/ under the current one (before: only from the
# repository root); a path stays relative to the current folder
mkdir -p "$TMP/elsewhere"
if (cd "$TMP/elsewhere" && "$BLALM" ablate --corpus "$C" --variants mlstm,+mlstm --optimizers adamw --seeds 1 --tokens 1k \
        --out "$TMP/a9" -q 2>"$TMP/err"); [ $? = 2 ] && grep -q "same model on /.*/configs/model-small.json" "$TMP/err" \
   && (cd "$TMP/elsewhere" && "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds 1 --tokens 1k \
        --model-size tiny --out "$TMP/a9" -q 2>"$TMP/err") && grep -q "base config \`/.*/configs/model-tiny.json\`" "$TMP/a9/ablation.md" \
   && cp "$TMP/tiny.json" "$TMP/elsewhere/my.json" \
   && (cd "$TMP/elsewhere" && "$BLALM" ablate --corpus "$C" --variants mlstm --optimizers adamw --seeds 1 --tokens 1k \
        --model-size my.json --out "$TMP/a9b" -q 2>"$TMP/err") && grep -q "base config \`my.json\`" "$TMP/a9b/ablation.md"; then
    pass ablate_model_size_from_any_folder
else fail ablate_model_size_from_any_folder "$(head -c 300 "$TMP/err")"; fi
# each run records what its numbers depend on (settings in ablate.json); a
# finished run is reused only with the same settings: other tokens, model
# config content or corpus train it again, other evaluation data or tasks
# re-evaluate its checkpoint, each with a note; ablation.md never shows old
# numbers under new options (before: every finished run was skipped)
S="$TMP/abl_set"; C2="$TMP/corpus2"; cp -r "$C" "$C2"
mkdir -p "$TMP/ev2/blimp_fast"
printf '{"sentence_good": "the cat sat.", "sentence_bad": "cat the sat.", "field": "f", "linguistics_term": "t", "UID": "u"}\n' > "$TMP/ev2/blimp_fast/u.jsonl"
mkdir -p "$TMP/ev2/blimp_filtered"; cp "$TMP/ev2/blimp_fast/u.jsonl" "$TMP/ev2/blimp_filtered/"
cp "$TMP/tiny.json" "$TMP/tiny_s.json"
abl() { "$BLALM" ablate --variants mlstm --optimizers adamw --seeds 1 --model-size "$TMP/tiny_s.json" --out "$S" "$@" 2>"$TMP/err"; }
tok() { "$PY" -c 'import csv,sys; r=list(csv.DictReader(open(sys.argv[1]))); print(r[0]["tokens_seen"], r[0]["zero_shot_avg"], len(r))' "$S/ablation.csv"; }
st=ok
abl --corpus "$C" --tokens 1k && t1=$(tok) || st="first: $(head -c 200 "$TMP/err")"
[ "$st" = ok ] && { abl --corpus "$C" --tokens 2k && grep -q 'note: mlstm-adamw-s1: trained with other settings (tokens 1000 before, 2000 now): training it again' "$TMP/err" \
    && grep -q '1 runs (1 trained, 0 skipped)' "$TMP/err" && [ "$(tok)" != "$t1" ] && grep -q "$(tok | cut -d' ' -f1) training tokens per run (\`--tokens 2000\` in whole steps)" "$S/ablation.md"; } \
    || [ "$st" != ok ] || st="--tokens: $(head -c 300 "$TMP/err")"
sed -i 's/"layers": *[0-9]*/"layers": 1/' "$TMP/tiny_s.json"
[ "$st" = ok ] && { abl --corpus "$C" --tokens 2k && grep -q 'trained with other settings (model [0-9a-f]\{12\}\.\.\. before' "$TMP/err" \
    && grep -q '(1 trained, 0 skipped)' "$TMP/err"; } || [ "$st" != ok ] || st="config content: $(head -c 300 "$TMP/err")"
printf 'the red tree was big.\n' >> "$C2/train/x.train"
[ "$st" = ok ] && { abl --corpus "$C2" --tokens 2k && grep -q 'trained with other settings (corpus ' "$TMP/err" \
    && grep -q "tokenizer.json was trained with other settings (corpus " "$TMP/err" && grep -q '(1 trained, 0 skipped)' "$TMP/err"; } \
    || [ "$st" != ok ] || st="corpus: $(head -c 300 "$TMP/err")"
[ "$st" = ok ] && { t2=$(tok); abl --corpus "$C2" --tokens 2k --eval-data "$TMP/ev2" -q \
    && grep -q 'evaluated with other settings (eval data none before, [0-9a-f]\{12\}\.\.\. now): evaluating its checkpoint again' "$TMP/err" \
    && [ "$(tok | cut -d' ' -f1)" = "${t2%% *}" ] && [ "$(tok | cut -d' ' -f2)" != nan ] && grep -q 'fast suite' "$S/ablation.md"; } \
    || [ "$st" != ok ] || st="--eval-data: $(head -c 300 "$TMP/err")"
[ "$st" = ok ] && { abl --corpus "$C2" --tokens 2k --eval-data "$TMP/ev2" --eval-full \
    && grep -q "evaluated with other settings (eval full false before, true now)" "$TMP/err" && grep -q '1 re-evaluated' "$TMP/err" \
    && abl --corpus "$C2" --tokens 2k --eval-data "$TMP/ev2" --eval-full && grep -q '(0 trained, 1 skipped)' "$TMP/err" \
    && ! grep -q note "$TMP/err"; } || [ "$st" != ok ] || st="--eval-full: $(head -c 300 "$TMP/err")"
# a re-evaluation gives exactly the tasks asked (eval keeps the other tasks of
# its results file for `blalm eval --tasks`; ablate's rows must not), and a
# linked --eval-data folder is fingerprinted by what it links to (it hashed
# as empty: a changed file under the link went unnoticed)
mkdir -p "$TMP/ev3/supplement_fast"; cp -r "$TMP/ev2/blimp_fast" "$TMP/ev3/"
printf '{"sentence_good": "the dog ran.", "sentence_bad": "dog the ran."}\n' > "$TMP/ev3/supplement_fast/hyp.jsonl"
ln -s "$TMP/ev3" "$TMP/ev3link"
zs() { "$PY" -c 'import json,sys; print(",".join(sorted(json.load(open(sys.argv[1]))["zero_shot"])))' "$S/runs/mlstm-adamw-s1/ablate.json"; }
[ "$st" = ok ] && { abl --corpus "$C2" --tokens 2k --eval-data "$TMP/ev3" --eval-tasks blimp,supplement && [ "$(zs)" = blimp,supplement ] \
    && abl --corpus "$C2" --tokens 2k --eval-data "$TMP/ev3" --eval-tasks supplement && grep -q '1 re-evaluated' "$TMP/err" \
    && [ "$(zs)" = supplement ]; } || [ "$st" != ok ] || st="fewer tasks: zero_shot $(zs); $(head -c 300 "$TMP/err")"
[ "$st" = ok ] && { abl --corpus "$C2" --tokens 2k --eval-data "$TMP/ev3link" --eval-tasks supplement && grep -q '(0 trained, 1 skipped)' "$TMP/err" \
    && printf '{"sentence_good": "a cat ran.", "sentence_bad": "cat a ran."}\n' >> "$TMP/ev3/supplement_fast/hyp.jsonl" \
    && abl --corpus "$C2" --tokens 2k --eval-data "$TMP/ev3link" --eval-tasks supplement && grep -q 'evaluated with other settings (eval data' "$TMP/err"; } \
    || [ "$st" != ok ] || st="linked eval data: $(head -c 300 "$TMP/err")"
# an interrupted run (no ablate.json) asked with other settings starts again
# instead of refusing the resume; one with the same settings resumes
rm "$S/runs/mlstm-adamw-s1/ablate.json"
[ "$st" = ok ] && { abl --corpus "$C2" --tokens 3k && grep -q 'the interrupted run was trained with other settings (tokens 2000 before, 3000 now): training it from the start' "$TMP/err"; } \
    || [ "$st" != ok ] || st="interrupted: $(head -c 300 "$TMP/err")"
# a finished run that records no settings (an older blalm) is refused, named
"$PY" -c 'import json,sys; p=sys.argv[1]; d=json.load(open(p)); del d["settings"]; json.dump(d, open(p, "w"))' "$S/runs/mlstm-adamw-s1/ablate.json" 2>/dev/null
[ "$st" = ok ] && { ! abl --corpus "$C2" --tokens 3k && grep -q 'mlstm-adamw-s1/ablate.json records no settings (an older blalm)' "$TMP/err"; } \
    || [ "$st" != ok ] || st="legacy: $(head -c 300 "$TMP/err")"
[ "$st" = ok ] && pass ablate_settings_recorded || fail ablate_settings_recorded "$st"
"$BLALM" ablate --corpus "$C" --variants mlstm --optimizers sgd --seeds 1 --tokens 1k --out "$TMP/a3" -q 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "optimizer 'sgd'" "$TMP/err" && [ ! -d "$TMP/a3" ] && pass ablate_bad_optimizer || fail ablate_bad_optimizer "rc $rc"
"$BLALM" ablate --corpus "$C" --variants mlstm -q 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "are required" "$TMP/err" && pass ablate_usage || fail ablate_usage "rc $rc"
