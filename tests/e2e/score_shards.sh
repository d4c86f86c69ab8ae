#!/usr/bin/env bash
# blalm score sharded (--shard I/N, Slurm array and Open MPI variables): each
# shard scores the document files it owns, N shards write what one process
# writes, stats per shard; completion markers skip finished files.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
export OPENAI_API_KEY=
unset OPENAI_BASE_URL SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_COUNT \
      OMPI_COMM_WORLD_RANK OMPI_COMM_WORLD_SIZE

D=$TMP/docs
mkdir -p "$D/web" "$D/wiki"
for k in 0 1 2; do make_docs "$D/web/part$k.jsonl" $((10 + k * 3)) "w$k-"; done
for k in 0 1; do make_docs "$D/wiki/part$k.jsonl" $((7 + k)) "k$k-"; done
newwork() { mkdir -p "$1" && cp -r "$D" "$1/docs"; }
# edu_llm without latency_ms (the only value that differs between two runs
# that each ask the endpoint)
norm() {
    local f
    for f in $(cd "$1/attributes/edu_llm" && find . -name '*.jsonl.zst' | sort); do
        echo "== $f"
        zstd -dcq "$1/attributes/edu_llm/$f" | "$PY" -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line); o["edu_llm"].pop("latency_ms", None); print(json.dumps(o, sort_keys=True))'
    done
}
same_files() {  # the compressed attribute files, byte for byte
    local f
    [ "$(cd "$1/attributes/edu_llm" && find . -name '*.jsonl.zst' | sort)" = \
      "$(cd "$2/attributes/edu_llm" && find . -name '*.jsonl.zst' | sort)" ] || return 1
    for f in $(cd "$1/attributes/edu_llm" && find . -name '*.jsonl.zst'); do
        cmp -s "$1/attributes/edu_llm/$f" "$2/attributes/edu_llm/$f" || return 1
    done
}

start_peer P
EP=http://127.0.0.1:$P/v1
S="$BLALM score --endpoint $EP --model m --concurrency 4"

# one process
newwork "$TMP/one"
$S --work "$TMP/one" --cache "$TMP/cache1" -q 2>"$TMP/err" || fail score_shards_one "$(cat "$TMP/err")"
r1=$(peer_requests $P)

# two shards by flag, each with a cold cache of its own: the same values
newwork "$TMP/flag"
ok=1
for i in 0 1; do
    $S --work "$TMP/flag" --cache "$TMP/cache-flag-$i" --shard $i/2 2>"$TMP/err.$i" || ok=0
done
if [ $ok = 1 ] && [ "$(norm "$TMP/one")" = "$(norm "$TMP/flag")" ]; then
    pass score_shards_flag_same_values
else
    fail score_shards_flag_same_values "$(cat "$TMP/err.0" "$TMP/err.1")"
fi
# files 0, 2, 4 of the sorted list on shard 0; 1, 3 on shard 1
if grep -q 'in 3 files (0 already done) (shard 0/2)' "$TMP/err.0" &&
   grep -q 'in 2 files (0 already done) (shard 1/2)' "$TMP/err.1" &&
   [ -f "$TMP/flag/stats/score-0-of-2.json" ] && [ -f "$TMP/flag/stats/score-1-of-2.json" ] &&
   [ ! -f "$TMP/flag/stats/score.json" ] &&
   "$PY" -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert a["files"] == 3 and b["files"] == 2 and a["documents"] + b["documents"] == 54, (a, b)
assert a["shard"] == "0/2" and b["shard"] == "1/2"' "$TMP/flag/stats/score-0-of-2.json" "$TMP/flag/stats/score-1-of-2.json"
then pass score_shards_split_and_stats; else fail score_shards_split_and_stats "$(cat "$TMP/err.0" "$TMP/err.1")"; fi

# a shard run again: its files are marked complete, nothing is asked
r2=$(peer_requests $P)
$S --work "$TMP/flag" --cache "$TMP/cache-flag-0" --shard 0/2 2>"$TMP/err"
if grep -q 'in 0 files (3 already done) (shard 0/2)' "$TMP/err" && [ "$(peer_requests $P)" = "$r2" ] &&
   [ -f "$TMP/flag/state/score/edu_llm/web/part0.done" ] && [ -f "$TMP/flag/state/score/edu_llm/wiki/part1.done" ]; then
    pass score_shards_markers
else
    fail score_shards_markers "$(cat "$TMP/err")"
fi

# a Slurm array (--array=1-3) and Open MPI (-np 3) sharing the first run's
# cache: byte-identical attribute files, nothing asked again
r3=$(peer_requests $P)
newwork "$TMP/slurm"
ok=1
for t in 1 2 3; do
    SLURM_ARRAY_TASK_ID=$t SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 \
        $S --work "$TMP/slurm" --cache "$TMP/cache1" -q 2>"$TMP/err" || ok=0
done
[ $ok = 1 ] && same_files "$TMP/one" "$TMP/slurm" && [ -f "$TMP/slurm/stats/score-2-of-3.json" ] &&
    pass score_shards_slurm_bytes || fail score_shards_slurm_bytes "$(cat "$TMP/err")"
newwork "$TMP/mpi"
ok=1
for r in 0 1 2 3; do
    OMPI_COMM_WORLD_RANK=$r OMPI_COMM_WORLD_SIZE=4 \
        $S --work "$TMP/mpi" --cache "$TMP/cache1" -q 2>"$TMP/err" || ok=0
done
[ $ok = 1 ] && same_files "$TMP/one" "$TMP/mpi" && [ -f "$TMP/mpi/stats/score-3-of-4.json" ] &&
    pass score_shards_openmpi_bytes || fail score_shards_openmpi_bytes "$(cat "$TMP/err")"
check score_shards_cache_answered test "$(peer_requests $P)" = "$r3"

# bad shard specifications
$S --work "$TMP/one" --shard 2/2 -q >/dev/null 2>"$TMP/err"; rc=$?
[ $rc -eq 2 ] && grep -q "2/2" "$TMP/err" && pass score_shards_bad_flag || fail score_shards_bad_flag "rc=$rc $(cat "$TMP/err")"
OMPI_COMM_WORLD_RANK=5 OMPI_COMM_WORLD_SIZE=2 $S --work "$TMP/one" -q >/dev/null 2>"$TMP/err"; rc=$?
[ $rc -eq 2 ] && grep -q OMPI_COMM_WORLD_RANK "$TMP/err" && pass score_shards_bad_env || fail score_shards_bad_env "rc=$rc $(cat "$TMP/err")"
stop_peers
