#!/usr/bin/env bash
# Ranks of one mpirun job must agree (trainer/train.c agree_desc, README
# "Threads and ranks"): ranks started with another run length, --stop-after,
# learning rate, optimiser, model size or corpus are refused before the first
# step, naming the field, through "rank R of N: ...; stopping every rank"
# (before: a hang in the all-reduce, a silent rc 0 with drifting weights, or
# MPI_ERR_TRUNCATE); the arguments as given (--corpus, --out, ...) are
# compared before rank 0 writes in RUN, with the working folder when one is
# relative (a rank started elsewhere by mpirun -wdir); --bench's ranks agree on
# N, --batch and the model (another N crashed in MPI). Only rank 0 writes in the run folder: the others open
# its tokenizer and token cache and write nothing there (strace), and a rank
# given another --corpus no longer rewrites rank 0's cache. mpirun runs on
# loopback with its MPMD form (-np 1 A : -np 1 B) to give ranks different
# arguments; skipped without mpirun or an Open MPI build.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
need_mpi train_mpi_agree
C="$TMP/corpus"
synthetic_corpus "$C"   # 300 train and 40 dev documents (tests/lib.sh)
C2="$TMP/corpus2"       # as many documents, other words
mkdir -p "$C2/train" "$C2/dev"
synthetic_docs 300 7 >"$C2/train/synthetic.train"
synthetic_docs 40 8 >"$C2/dev/synthetic.dev"
CFG8="$TMP/tiny8.json"
sed 's/"batch_size": 4/"batch_size": 8/' "$root/configs/model-tiny.json" > "$CFG8"
"$BLALM" train --corpus "$C" --model "$CFG8" --out "$TMP/tokrun" --max-steps 1 -q 2>/dev/null
TOK="$TMP/tokrun/tokenizer.json"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
MPIRUN=(timeout -k 5 60 mpirun --allow-run-as-root --oversubscribe --bind-to none -x ASAN_OPTIONS
        --mca btl self,vader,tcp --mca btl_vader_single_copy_mechanism none
        --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)
n=0
# two_ranks 'RANK 0 ARGS' 'RANK 1 ARGS': each rank's blalm train arguments
# after the common ones (a fresh --out each); $out the output, $rc its status
two_ranks() {
    n=$((n + 1)); RUN="$TMP/r$n"
    local a=(train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$RUN" -q)
    # shellcheck disable=SC2086
    out=$("${MPIRUN[@]}" -np 1 "$BLALM" "${a[@]}" $1 : -np 1 "$BLALM" "${a[@]}" $2 2>&1); rc=$?
}
refused() { # NAME WHAT: rc not 0 (nor a timeout), the field named, and no step logged
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [[ "$out" == *"stopping every rank"* && "$out" == *"$2"* ]] &&
       ! grep -q '"loss"' "$RUN/log.jsonl" 2>/dev/null; then
        pass "$1"
    else
        fail "$1" "rc $rc: $(printf '%s' "$out" | tail -c 400)"
    fi
}

two_ranks "--max-steps 4" "--max-steps 6"
refused train_mpi_agree_max_steps "rank 1's --max-steps is 6, rank 0's 4"
two_ranks "--max-steps 6" "--max-steps 6 --stop-after 2"
refused train_mpi_agree_stop_after "rank 1's --stop-after is 2, rank 0's 0"
two_ranks "--max-steps 4" "--max-steps 4 --optimizer muon"
refused train_mpi_agree_optimizer "rank 1's --optimizer is muon, rank 0's adamw"
sed 's/"lr_adamw": 3e-3/"lr_adamw": 0.002/' "$CFG8" > "$TMP/lr.json"
grep -q '"lr_adamw": 0.002' "$TMP/lr.json" || fail train_mpi_agree_lr "could not set lr_adamw in $TMP/lr.json"
two_ranks "--max-steps 4" "--max-steps 4 --model $TMP/lr.json"
refused train_mpi_agree_lr "rank 1's config.train.lr_adamw is 0.002"
sed 's/"dim": [0-9]*/"dim": 48/' "$CFG8" > "$TMP/dim.json"
two_ranks "--max-steps 4" "--max-steps 4 --model $TMP/dim.json"
refused train_mpi_agree_dim "rank 1's config.dim is 48"

# another --out on rank 1: refused as a difference of the arguments, before
# rank 0 writes in its run folder or rank 1 reads one (it failed with
# "RUN2/tokenizer.json: No such file or directory")
two_ranks "--max-steps 4" "--max-steps 4 --out $TMP/other-out"
refused train_mpi_agree_out "rank 1's --out is $TMP/other-out, rank 0's $RUN"
[ ! -e "$RUN/tokenizer.json" ] && [ ! -e "$TMP/other-out" ] && pass train_mpi_agree_out_nothing_written \
    || fail train_mpi_agree_out_nothing_written "$(ls -A "$RUN" "$TMP/other-out" 2>&1 | tr '\n' ' ')"

# another --corpus on rank 1: refused, and rank 0's token cache is the one
# a single process makes of its corpus
"$BLALM" train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$TMP/ref" --max-steps 4 -q 2>/dev/null
two_ranks "--max-steps 4" "--max-steps 4 --corpus $C2"
refused train_mpi_agree_corpus "rank 1's --corpus is $C2"
# (the arguments are now compared before rank 0 prepares anything: no cache at all)
if [ ! -e "$RUN/tokens" ] || { cmp -s "$TMP/ref/tokens/train.tok" "$RUN/tokens/train.tok" &&
   cmp -s "$TMP/ref/tokens/train.idx" "$RUN/tokens/train.idx" && cmp -s "$TMP/ref/tokens/dev.tok" "$RUN/tokens/dev.tok"; }; then
    pass train_mpi_other_corpus_cache_untouched
else
    fail train_mpi_other_corpus_cache_untouched "$RUN/tokens differs from one process' cache of $C"
fi

# the same relative arguments, but rank 1 started in another folder (mpirun
# -wdir): its RUN is another folder, named as such before rank 0 writes
# (it failed with "r/tokenizer.json: No such file or directory", and with
# an earlier run there it was told apart only by its token counts)
mkdir -p "$TMP/wd0" "$TMP/wd1"
for w in wd0 wd1; do ln -s "$C" "$TMP/$w/c"; cp "$CFG8" "$TMP/$w/m.json"; cp "$TOK" "$TMP/$w/tok.json"; done
a=(train --corpus c --model m.json --tokenizer tok.json --out r --max-steps 4 -q)
out=$("${MPIRUN[@]}" -np 1 -wdir "$TMP/wd0" "$BLALM" "${a[@]}" : -np 1 -wdir "$TMP/wd1" "$BLALM" "${a[@]}" 2>&1); rc=$?
RUN="$TMP/wd0/r"
refused train_mpi_agree_working_folder "rank 1's working folder is $TMP/wd1, rank 0's $TMP/wd0"
[ ! -e "$TMP/wd0/r" ] && [ ! -e "$TMP/wd1/r" ] && pass train_mpi_agree_working_folder_nothing_written \
    || fail train_mpi_agree_working_folder_nothing_written "$(ls -A "$TMP/wd0/r" "$TMP/wd1/r" 2>&1 | tr '\n' ' ')"
# absolute paths: the working folder does not matter
n=$((n + 1)); RUN="$TMP/r$n"
a=(train --corpus "$C" --model "$CFG8" --tokenizer "$TOK" --out "$RUN" --max-steps 4 -q)
out=$("${MPIRUN[@]}" -np 1 -wdir "$TMP/wd0" "$BLALM" "${a[@]}" : -np 1 -wdir "$TMP/wd1" "$BLALM" "${a[@]}" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c '"loss"' "$RUN/log.jsonl" 2>/dev/null)" -eq 4 ]; then pass train_mpi_absolute_paths_any_folder
else fail train_mpi_absolute_paths_any_folder "rc $rc: $(printf '%s' "$out" | tail -c 300)"; fi
# a working folder getcwd cannot give (deeper than PATH_MAX): refused, not
# "(unknown)" on every rank taken as the same folder
D="$TMP/deep"; mkdir -p "$D"
( cd "$D" && for _ in $(seq 1 45); do mkdir "x$(printf '%0100d' 0)" && cd "x$(printf '%0100d' 0)" || exit 1; done; mkdir c )
# shellcheck disable=SC2016
indeep='cd "$0" && for _ in $(seq 1 45); do cd "x$(printf "%0100d" 0)" || exit 8; done && exec "$@"'
a=(train --model "$CFG8" --corpus c --out r -q)
out=$("${MPIRUN[@]}" -np 1 bash -c "$indeep" "$D" "$BLALM" "${a[@]}" : -np 1 bash -c "$indeep" "$D" "$BLALM" "${a[@]}" 2>&1); rc=$?
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [[ "$out" == *"rank 1's working folder is unreadable (getcwd: "*", rank 0's unreadable on rank 0 (getcwd: "* ]]; then
    pass train_mpi_agree_cwd_unreadable
else fail train_mpi_agree_cwd_unreadable "rc $rc: $(printf '%s' "$out" | tail -c 300)"; fi
rm -rf "$D"
# --bench too: another step count crashed in MPI (MPI_ERR_TRUNCATE), another
# --batch or model printed a figure of nothing (rc 0)
bench_ranks() { # NAME WHAT 'RANK 0 ARGS' 'RANK 1 ARGS'
    # shellcheck disable=SC2086
    out=$("${MPIRUN[@]}" -np 1 "$BLALM" train --model "$CFG8" $3 : -np 1 "$BLALM" train --model "$CFG8" $4 2>&1); rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [[ "$out" == *"stopping every rank"* && "$out" == *"$2"* ]] &&
       [[ "$out" != *'"tokens_per_s"'* ]]; then
        pass "$1"
    else
        fail "$1" "rc $rc: $(printf '%s' "$out" | tail -c 400)"
    fi
}
bench_ranks train_mpi_agree_bench_steps "rank 1's --bench is 3, rank 0's 2" "--bench 2" "--bench 3"
bench_ranks train_mpi_agree_bench_batch "rank 1's --batch is 4, rank 0's 8" "--bench 2" "--bench 2 --batch 4"
# (a --batch under the ranks too: it said "2 ranks for a batch of 1 rows")
bench_ranks train_mpi_agree_bench_batch_small "rank 1's --batch is 1, rank 0's 8" "--bench 2" "--bench 2 --batch 1"
bench_ranks train_mpi_agree_bench_model "rank 1's config.dim is 48" "--bench 2" "--bench 2 --model $TMP/dim.json"
out=$("${MPIRUN[@]}" -np 2 "$BLALM" train --model "$CFG8" --bench 2 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c '"ranks":2' <<<"$out")" -eq 1 ]; then pass train_mpi_bench_same_args
else fail train_mpi_bench_same_args "rc $rc: $(printf '%s' "$out" | tail -c 300)"; fi
# the same arguments, --corpus and --tokens: rank 1 (under strace) writes
# nothing in the run folder, and the job trains as one process does
if strace -f -qq -e trace=%file -o "$TMP/st-probe" true 2>/dev/null; then
    "$BLALM" tokenize --corpus "$C" --tokenizer "$TOK" --out "$TMP/toks" >/dev/null 2>&1
    for src in corpus tokens; do
        n=$((n + 1)); RUN="$TMP/r$n"
        if [ $src = corpus ]; then a=(--corpus "$C" --tokenizer "$TOK"); else a=(--tokens "$TMP/toks"); fi
        a=(train "${a[@]}" --model "$CFG8" --out "$RUN" --max-steps 4 -q)
        out=$("${MPIRUN[@]}" -np 1 "$BLALM" "${a[@]}" : -np 1 strace -f -qq -e trace=%file,%desc \
              -o "$TMP/st-$src" "$BLALM" "${a[@]}" 2>&1); rc=$?
        # a write: open for writing or creating, rename, unlink, mkdir (but of a folder that exists),
        # truncate, under the run folder
        wr=$(grep -E "\"$RUN[/\"]" "$TMP/st-$src" | grep -E 'O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|rename|unlink|mkdir|truncate|rmdir|link\(' |
             grep -v 'mkdir(.* = -1 EEXIST' | head -3)
        if [ $rc -eq 0 ] && [ "$(grep -c '"loss"' "$RUN/log.jsonl" 2>/dev/null)" -eq 4 ] && [ -z "$wr" ] &&
           grep -q "\"$RUN/tokens/train.tok\"" "$TMP/st-$src"; then
            pass "train_mpi_rank1_writes_nothing_$src"
        else
            fail "train_mpi_rank1_writes_nothing_$src" "rc $rc: rank 1 wrote: $wr $(printf '%s' "$out" | tail -c 300)"
        fi
    done
else
    skip train_mpi_rank1_writes_nothing "strace cannot trace here"
fi
