#!/usr/bin/env bash
# A malformed shard variable (OMPI_COMM_WORLD_RANK, SLURM_ARRAY_TASK_ID) is a
# bad invocation in every sharded stage: exit 2, naming the variable, as a bad
# --shard I/N and as run and ablate say it; nothing made. Before, tokenize
# exited 2 and fetch, tag, dedup and score 1.
source "$(dirname "$0")/../lib.sh"
W="$TMP/w"; mkdir -p "$W/docs"
stage() {   # stage NAME: the stage's command line, reaching its shard check
    case $1 in
        fetch) echo fetch --repo a/b --path p --out "$TMP/f" --dry-run ;;
        tag) echo tag --work "$W" -q ;;
        dedup) echo dedup --work "$W" --stage signatures -q ;;
        score) echo score --work "$W" --model m -q ;;
        tokenize) echo tokenize --corpus "$TMP/c" --tokenizer "$TMP/t.json" --out "$TMP/o" ;;
    esac
}
for s in fetch tag dedup score tokenize; do
    for v in "OMPI_COMM_WORLD_RANK=x OMPI_COMM_WORLD_SIZE=2@OMPI_COMM_WORLD_RANK='x'" \
             "SLURM_ARRAY_TASK_ID=x SLURM_ARRAY_TASK_COUNT=2@SLURM_ARRAY_TASK_ID='x'"; do
        name=${v%%=*}
        env ${v%%@*} "$BLALM" $(stage $s) >"$TMP/out" 2>"$TMP/err"; rc=$?
        # nothing made: no fetch or tokenize output, and the work directory
        # (tag's and score's attributes, dedup's signatures, a lock) holds
        # its docs alone
        { [ $rc = 2 ] && grep -qF "blalm $s: ${v#*@}" "$TMP/err" && [ ! -e "$TMP/f" ] && [ ! -e "$TMP/o" ] \
            && [ "$(ls -A "$W")" = docs ] && [ -z "$(ls -A "$W/docs")" ]; } \
            && pass "${s}_bad_${name}_exit_2" \
            || fail "${s}_bad_${name}_exit_2" "rc=$rc, in $W: $(cd "$W" && find . | tr '\n' ' ') $(head -c 200 "$TMP/err")"
    done
done
