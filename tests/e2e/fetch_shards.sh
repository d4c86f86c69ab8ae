#!/usr/bin/env bash
# blalm fetch sharded (lib/shard.h): --shard I/N workers into one --out equal
# one process byte for byte (sidecars too); --shard beats the Slurm and Open
# MPI variables, which beat nothing; bad values are errors naming them;
# --max-words refuses more than one shard. (mpirun and Slurm themselves:
# cluster_shards.sh.)
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_COUNT OMPI_COMM_WORLD_RANK OMPI_COMM_WORLD_SIZE

repo=$TMP/repo; make_repo "$repo"
start_hub "$repo" --page-size 2
F=(fetch --repo $FETCH_REPO --path sample/10BT)

"$BLALM" "${F[@]}" --out "$TMP/one" -q 2>"$TMP/e0" || fail fetch_shards_reference "$(cat "$TMP/e0")"
ok=1
for i in 0 1 2; do
    "$BLALM" "${F[@]}" --out "$TMP/three" --shard $i/3 2>>"$TMP/e1" || { ok=0; fail fetch_shards_run "$i/3: $(tr '\n' ' ' <"$TMP/e1")"; }
done
if [ $ok = 1 ]; then
    diff -r "$TMP/one" "$TMP/three" >"$TMP/d" 2>&1 && pass fetch_shards_equal_one_process ||
        fail fetch_shards_equal_one_process "$(head -c 400 "$TMP/d" | tr '\n' ' ')"
fi
# the 4 sorted files: shard 0 takes indexes 0 and 3, shard 1 index 1, shard 2 index 2
grep -q '^fetch: shard 0/3 (flag), 2 of 4 listed files: 2 files: 2 downloaded' "$TMP/e1" &&
grep -q '^fetch: shard 2/3 (flag), 1 of 4 listed files: 1 files: 1 downloaded' "$TMP/e1" &&
    pass fetch_shards_summary || fail fetch_shards_summary "$(tr '\n' ' ' <"$TMP/e1")"
"$BLALM" "${F[@]}" --dry-run --shard 0/3 >"$TMP/o2" 2>&1
if [ "$(grep -c 'parquet\|extra.bin' "$TMP/o2")" = 2 ] && grep -q '000_00000.parquet' "$TMP/o2" &&
   grep -q 'sub/extra.bin' "$TMP/o2" && grep -q '^shard 0/3 (flag), 2 of 4 listed files: 2 files, 1570000 bytes$' "$TMP/o2"; then
    pass fetch_shards_dry_run
else fail fetch_shards_dry_run "$(tr '\n' ' ' <"$TMP/o2")"; fi

# precedence: --shard over Slurm (with Open MPI inside a task) over Open MPI
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=3 OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=2 \
    "$BLALM" "${F[@]}" --dry-run >"$TMP/o3" 2>&1
# an array task that runs mpirun: its ranks split its share (task 1 of 3,
# rank 0 of 2: shard 2 of 6; every rank took the task's whole share before)
grep -q '^shard 2/6 (slurm+openmpi), 1 of 4 listed files' "$TMP/o3" && pass fetch_shards_slurm_with_openmpi || fail fetch_shards_slurm_with_openmpi "$(tr '\n' ' ' <"$TMP/o3")"
OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 "$BLALM" "${F[@]}" --dry-run >"$TMP/o4" 2>&1
grep -q '^shard 1/2 (openmpi), 2 of 4 listed files' "$TMP/o4" && pass fetch_shards_openmpi || fail fetch_shards_openmpi "$(tr '\n' ' ' <"$TMP/o4")"
SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=3 "$BLALM" "${F[@]}" --dry-run --shard 0/1 >"$TMP/o5" 2>&1
grep -q '^4 files, 1870002 bytes$' "$TMP/o5" && pass fetch_shards_flag_over_environment || fail fetch_shards_flag_over_environment "$(tr '\n' ' ' <"$TMP/o5")"

# bad values
"$BLALM" "${F[@]}" --out "$TMP/x" --shard 3/3 >/dev/null 2>"$TMP/e6"; rc=$?
[ $rc = 2 ] && grep -q "fetch: --shard '3/3': expected I/N" "$TMP/e6" && pass fetch_shards_bad_flag || fail fetch_shards_bad_flag "exit $rc: $(cat "$TMP/e6")"
OMPI_COMM_WORLD_RANK=2 OMPI_COMM_WORLD_SIZE=2 "$BLALM" "${F[@]}" --out "$TMP/x" >/dev/null 2>"$TMP/e7"; rc=$?
[ $rc = 2 ] && grep -q "^blalm fetch: OMPI_COMM_WORLD_RANK='2': expected an integer in 0..1" "$TMP/e7" && [ ! -e "$TMP/x" ] &&
    pass fetch_shards_bad_environment || fail fetch_shards_bad_environment "exit $rc: $(cat "$TMP/e7")"
"$BLALM" "${F[@]}" --out "$TMP/x" --max-words 100 --shard 1/2 >/dev/null 2>"$TMP/e8"; rc=$?
[ $rc = 1 ] && grep -q "cannot be split over shards (this is shard 1/2 from flag)" "$TMP/e8" && [ ! -e "$TMP/x" ] &&
    pass fetch_shards_refuses_max_words || fail fetch_shards_refuses_max_words "exit $rc: $(cat "$TMP/e8")"
"$BLALM" fetch --help | grep -q -- '--shard I/N' && pass fetch_shards_help || fail fetch_shards_help "no --shard in --help"
