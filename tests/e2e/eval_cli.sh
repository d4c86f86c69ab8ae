#!/usr/bin/env bash
# blalm eval from the command line: a model with no signal (the initial
# weights, learning rate 0) scores at chance on BLiMP; eval.json records the
# data files' sha256 (equal to the data's SHA256SUMS, entity tracking's
# uncompressed content included); --all-checkpoints writes the learning
# curve; --json; the not-official --score-first-token is labelled; bad usage
# and bad data fail clearly and write nothing.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! need_shared || [ ! -d "$SHARED_DATA/babylm-eval" ]; then
    skip eval_cli "../shared/data/babylm-eval not found"
    exit 0
fi
D="$SHARED_DATA/babylm-eval"
C="$TMP/corpus"; line_corpus "$C" 3 40
# learning rate 0: the run keeps its random initial weights
sed 's/"lr_adamw": 3e-3/"lr_adamw": 0/; s/"lr_muon": 0.02/"lr_muon": 0/; s/"context": 32/"context": 1024/' \
    "$root/configs/model-tiny.json" > "$TMP/zero.json"
R="$TMP/run"
if ! "$BLALM" train --corpus "$C" --model "$TMP/zero.json" --out "$R" --max-steps 20 --test-words-scale 0.001 \
        --track strict-small -q 2>"$TMP/err"; then
    fail eval_cli "train: $(head -c 300 "$TMP/err")"
    exit 0
fi

# (the default, one thread: this run is also the --threads 1 run of
# eval_threads_bit_identical and eval_fast_head_matches_reference below)
if "$BLALM" eval --run "$R" --data "$D" --fast --tasks blimp,entity_tracking,wug_adj,reading \
        --dump "$TMP/t1.dump" --dump-every 3 >"$TMP/table" 2>"$TMP/err"; then
    J="$R/checkpoints/latest.eval_fast.json"
    cp "$J" "$TMP/t1.json"
    "$PY" - "$J" <<'PY' && pass eval_no_signal_at_chance || fail eval_no_signal_at_chance "$(cat "$TMP/py" 2>/dev/null)"
import json, sys
r = json.load(open(sys.argv[1]))
b = r["tasks"]["blimp"]["score"]
ok = 45 <= b <= 55 and len(r["tasks"]["blimp"]["uids"]) == 67 and r["tasks"]["blimp"]["items"] == 13400
print("# blimp_fast accuracy of the initial weights: %.2f" % b)
sys.exit(0 if ok else 1)
PY
    grep -q '^blimp ' "$TMP/table" && grep -q '^overall ' "$TMP/table" && grep -q 'wug_adj (rho x100)' "$TMP/table" \
        && pass eval_table || fail eval_table "$(head -c 400 "$TMP/table")"
    "$PY" - "$J" "$D/SHA256SUMS" <<'PY' && pass eval_data_sha256 || fail eval_data_sha256 "sha256 differs from SHA256SUMS"
import json, sys
r = json.load(open(sys.argv[1]))
sums = {}
for line in open(sys.argv[2]):
    h, p = line.split()
    sums[p] = h
n = 0
for rel, v in r["data"].items():
    key = rel[:-4] if rel.endswith(".zst") else rel   # SHA256SUMS names the uncompressed files
    assert sums[key] == v["sha256"], rel
    n += 1
assert n == 67 + 1 + 1 + 1, n    # blimp_fast, regular entity tracking, wug, reading
assert "sha256_file" in r["data"]["entity_tracking/regular.jsonl.zst"]
PY
else
    fail eval_no_signal_at_chance "$(head -c 400 "$TMP/err")"
fi
# entity tracking stays compressed: nothing decompressed was written anywhere in the run
if find "$R" "$TMP" -name 'regular.jsonl' | grep -q .; then fail eval_et_compressed "found a decompressed file"
else pass eval_et_compressed; fi

# --all-checkpoints: every milestone, learning_curve.json
if "$BLALM" eval --run "$R" --data "$D" --all-checkpoints --tasks wug_adj -q 2>"$TMP/err" \
   && "$PY" - "$R/learning_curve.json" "$R/checkpoints" <<'PY'
import json, os, sys
c = json.load(open(sys.argv[1]))
names = [p["checkpoint"] for p in c["checkpoints"]]
ms = sorted(int(f[5:-5]) for f in os.listdir(sys.argv[2]) if f.startswith("chck_") and f.endswith("M.bin"))
assert len(ms) >= 2 and names == ["chck_%dM" % m for m in ms], (names, ms)
w = [p["words_seen"] for p in c["checkpoints"]]
assert w == sorted(w) and all("wug_adj" in p["tasks"] for p in c["checkpoints"])
assert all(os.path.exists(p["eval_json"]) for p in c["checkpoints"])
PY
then pass eval_all_checkpoints
else fail eval_all_checkpoints "$(head -c 300 "$TMP/err")"; fi

# --json and --score-first-token (labelled, not official)
if "$BLALM" eval --run "$R" --data "$D" --fast --tasks wug_adj --score-first-token --json --out "$TMP/f.json" \
        2>/dev/null >"$TMP/out.json" && "$PY" -c "
import json, sys
r = json.load(open('$TMP/out.json'))
assert r['score_first_token'] is True and 'NOT OFFICIAL' in r['scoring'] and 'wug_adj' in r['tasks']
assert json.load(open('$TMP/f.json'))['overall'] == r['overall']"; then
    pass eval_json_first_token
else fail eval_json_first_token "$(head -c 300 "$TMP/out.json")"; fi

# bad usage and bad data
"$BLALM" eval --data "$D" >/dev/null 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q -- '--run is required' "$TMP/err" && pass eval_usage || fail eval_usage "rc $rc"
"$BLALM" eval --run "$R" --data "$D" --tasks blimp,bogus -q 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "unknown task 'bogus'" "$TMP/err" && pass eval_unknown_task || fail eval_unknown_task "rc $rc $(cat "$TMP/err")"
"$BLALM" eval --run "$R" --data "$D" --tasks ewok -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "no data for task ewok" "$TMP/err" && pass eval_missing_task_data || fail eval_missing_task_data "rc $rc $(cat "$TMP/err")"
mkdir -p "$TMP/bad/wug_adj_nominalization"
printf '{"sentences": "a b\\tc d", "ratio": 0.5}\n{"sentences": "a b\\tc d", "ratio": "x"}\n' > "$TMP/bad/wug_adj_nominalization/w.jsonl"
"$BLALM" eval --run "$R" --data "$TMP/bad" --tasks wug_adj --out "$TMP/bad.json" -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q 'w.jsonl:2: "ratio" "x" is not a finite decimal number' "$TMP/err" && [ ! -e "$TMP/bad.json" ] \
    && pass eval_bad_data || fail eval_bad_data "rc $rc $(cat "$TMP/err")"
printf '{"sentences": "a b\\tc d", "ratio": 0.5}\n{"sentences": "a b\\tc d", "ratio": [0.5]}\n' > "$TMP/bad/wug_adj_nominalization/w.jsonl"
"$BLALM" eval --run "$R" --data "$TMP/bad" --tasks wug_adj --out "$TMP/bad.json" -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q 'w.jsonl:2: expected a number "ratio"' "$TMP/err" && [ ! -e "$TMP/bad.json" ] \
    && pass eval_bad_data_ratio_type || fail eval_bad_data_ratio_type "rc $rc $(cat "$TMP/err")"
"$BLALM" eval --run "$TMP/nowhere" --data "$D" -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "nowhere/checkpoints/latest.bin" "$TMP/err" && pass eval_missing_run || fail eval_missing_run "rc $rc $(cat "$TMP/err")"

# --threads N: whole batches per thread (single-threaded BLAS each, the same
# batches for any N), so every score is the same bits for 1 and 3 threads
# (t1.json and t1.dump: the first eval above, one thread by default)
"$BLALM" eval --run "$R" --data "$D" --fast --tasks blimp,entity_tracking,wug_adj,reading --threads 3 -q \
    --out "$TMP/t3.json" --dump "$TMP/t3.dump" --dump-every 3 2>"$TMP/err3"
if [ -s "$TMP/t1.dump" ] && cmp -s "$TMP/t1.dump" "$TMP/t3.dump" && "$PY" -c "
import json
a, b = (json.load(open('$TMP/t%d.json' % n)) for n in (1, 3))
assert a['tasks'] == b['tasks'] and a['overall'] == b['overall'], 'results differ'"; then
    pass eval_threads_bit_identical
else fail eval_threads_bit_identical "$(head -c 300 "$TMP/err3") $(cmp "$TMP/t1.dump" "$TMP/t3.dump" 2>&1 | head -c 200)"; fi

# --threads N copies the model once per worker that runs, at most one per
# batch (N copies whatever the task were 1.2 GB and 9 s for --threads 4096 on
# wug_adj's tiny model), and N is at most 4096, as for train and generate
if [ -x /usr/bin/time ]; then
    for n in 64 4096; do
        /usr/bin/time -f %M -o "$TMP/rss$n" "$BLALM" eval --run "$R" --data "$D" --tasks wug_adj --threads $n -q \
            --out "$TMP/w$n.json" 2>"$TMP/errw$n"
    done
    if [ -s "$TMP/w4096.json" ] && "$PY" -c "
import json, sys
a, b = (json.load(open('$TMP/w%d.json' % n)) for n in (64, 4096))
r64, r4096 = (int(open('$TMP/rss%d' % n).read().split()[-1]) for n in (64, 4096))
print('# eval wug_adj max RSS: --threads 64 %d KB, --threads 4096 %d KB' % (r64, r4096))
assert a['tasks'] == b['tasks'], 'results differ'
assert r4096 <= 1.5 * r64 + 20000, 'copies beyond the batches'"; then pass eval_threads_copies_per_batch
    else fail eval_threads_copies_per_batch "$(head -c 300 "$TMP/errw4096")"; fi
else skip eval_threads_copies_per_batch "/usr/bin/time not found"; fi
for n in 4097 100000 2000000000 0; do
    "$BLALM" eval --run "$R" --data "$D" --tasks wug_adj --threads $n -q --out "$TMP/wbad.json" 2>"$TMP/err"; rc=$?
    [ $rc = 2 ] && grep -q "eval: --threads wants a count in 1..4096, not '$n'" "$TMP/err" && [ ! -e "$TMP/wbad.json" ] \
        && pass eval_threads_cap_$n || fail eval_threads_cap_$n "rc $rc $(head -c 300 "$TMP/err")"
done

# the scored rows' logits, HEAD_ROWS x HEAD_COLS at a time with an online
# log-sum-exp (AVX2 where the CPU has it) against the reference path
# (--full-logits: every row's logits from the model's head, each row's exps
# summed at once): other GEMM shapes and another summation order, each
# log-prob within 2e-6 (test_eval), sums of up to ~250 of them within 1e-5
"$BLALM" eval --run "$R" --data "$D" --fast --tasks blimp,entity_tracking,wug_adj,reading --full-logits -q \
    --out "$TMP/ref.json" --dump "$TMP/ref.dump" --dump-every 3 2>"$TMP/err"
if [ -s "$TMP/ref.dump" ] && "$PY" - "$TMP/t1.dump" "$TMP/ref.dump" "$TMP/t1.json" "$TMP/ref.json" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) and len(a) > 100
n, worst = 0, 0.0
for x, y in zip(a, b):
    assert x.get("ids") == y.get("ids") and x.get("k") == y.get("k")
    for s, t in zip(x.get("score", []), y.get("score", [])):
        n += 1
        worst = max(worst, abs(s - t))
print("# fast head vs reference: %d log-prob sums, largest difference %.2g" % (n, worst))
assert worst <= 1e-5, worst
ra, rb = (json.load(open(f)) for f in sys.argv[3:5])
for t in ("blimp", "entity_tracking"):
    assert ra["tasks"][t]["uids"] == rb["tasks"][t]["uids"], t
PY
then pass eval_fast_head_matches_reference
else fail eval_fast_head_matches_reference "$(head -c 300 "$TMP/err")"; fi

# aoa from the command line: a hand-made CDI; every milestone's surprisals
# in the official format, aoa.json, and the curve fitness in learning_curve.json
mkdir -p "$TMP/aoa/aoa"
printf '{"the": [{"context": "a"}, {"context": "b"}], "cat": [{"context": "a"}, {"context": "b"}], "dog": [{"context": "c"}, {"context": "d"}]}\n' \
    > "$TMP/aoa/aoa/cdi_childes.json"
printf 'word,16,17,18,19,20\nthe,0.1,0.3,0.5,0.7,0.9\ncat,0.2,0.4,0.6,0.8,0.9\n' > "$TMP/aoa/aoa/cdi_human.csv"
if "$BLALM" eval --run "$R" --data "$TMP/aoa" --all-checkpoints --tasks aoa --aoa-min-context 2 >"$TMP/aoa.out" 2>"$TMP/err" \
   && grep -q '^aoa (curve fitness r)' "$TMP/aoa.out" && "$PY" - "$R" <<'PY'
import json, os, sys
run = sys.argv[1]
c = json.load(open(run + "/learning_curve.json"))
s = json.load(open(run + "/aoa_surprisal.json"))
ms = sorted(int(f[5:-5]) for f in os.listdir(run + "/checkpoints") if f.startswith("chck_") and f.endswith("M.bin"))
assert s["metadata"]["use_bos_only"] is True
assert len(s["results"]) == len(ms) * 6, len(s["results"])
assert [r["step"] for r in s["results"][::6]] == ["chck_%dM" % m for m in ms]
assert all(r["surprisal"] > 0 for r in s["results"])
a = json.load(open(c["aoa"]["aoa_json"]))
assert a["curve_fitness"] == c["aoa"]["curve_fitness"] and a["words"] == 3 and a["min_context"] == 2
assert "aoa/cdi_human.csv" in a["data"] and "aoa/cdi_childes.json" in a["data"]
PY
then pass eval_aoa_cli
else fail eval_aoa_cli "$(head -c 300 "$TMP/err")"; fi
"$BLALM" eval --run "$R" --data "$TMP/aoa" --tasks aoa -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q -- "--all-checkpoints" "$TMP/err" && pass eval_aoa_needs_checkpoints || fail eval_aoa_needs_checkpoints "rc $rc"
# --aoa-min-context where no aoa runs is a usage error (it was ignored, exit 0):
# one checkpoint, --tasks without aoa, --aoa-score, a DIR without the AoA data
aoa_min_refused() { # NAME PATTERN ARGS...
    local name=$1 pat=$2; shift 2
    rm -f "$TMP/amc.json"
    "$BLALM" eval --run "$R" "$@" --aoa-min-context 5 -q 2>"$TMP/err"; local rc=$?
    { [ $rc = 1 ] || [ $rc = 2 ]; } && grep -q -- "$pat" "$TMP/err" && [ ! -e "$TMP/amc.json" ] \
        && pass "$name" || fail "$name" "rc $rc $(head -c 300 "$TMP/err")"
}
aoa_min_refused eval_aoa_min_context_one_checkpoint "--aoa-min-context is for the aoa task, which runs with --all-checkpoints" \
    --data "$D" --fast --tasks blimp --out "$TMP/amc.json"
aoa_min_refused eval_aoa_min_context_tasks_without_aoa "--aoa-min-context is for the aoa task, which --tasks blimp leaves out" \
    --data "$TMP/aoa" --all-checkpoints --tasks blimp
aoa_min_refused eval_aoa_min_context_aoa_score "--aoa-min-context picks the words of the aoa task" \
    --data "$TMP/aoa" --aoa-score "$R/aoa_surprisal.json"
aoa_min_refused eval_aoa_min_context_no_aoa_data "no data for task aoa" --data "$D" --all-checkpoints
# --batch-tokens: trailing garbage, a fraction, beyond 1G, overflow: usage errors
for v in 12x 1.5 1000000001 99999999999999999999 ""; do
    "$BLALM" eval --run "$R" --data "$D" --fast --tasks blimp --batch-tokens "$v" -q 2>"$TMP/err"; rc=$?
    [ $rc = 2 ] && grep -q -- "--batch-tokens wants a count in 1..1G, not '$v'" "$TMP/err" \
        && pass "eval_batch_tokens_refused_${v:-empty}" || fail "eval_batch_tokens_refused_${v:-empty}" "rc $rc $(head -c 300 "$TMP/err")"
done
# a --dump that cannot be written in full (a full disk) is an error naming it,
# and no results file is written; it used to be cut short silently, exit 0
if [ -w /dev/full ]; then
    "$BLALM" eval --run "$R" --data "$D" --fast --tasks wug_adj --out "$TMP/full.json" --dump /dev/full \
        --dump-every 1 -q 2>"$TMP/err"; rc=$?
    { [ $rc = 1 ] && grep -q -- "--dump /dev/full: write error" "$TMP/err" && [ ! -e "$TMP/full.json" ]; } &&
        pass eval_dump_write_error || fail eval_dump_write_error "rc $rc: $(head -c 300 "$TMP/err")"
else
    skip eval_dump_write_error "/dev/full not writable"
fi
