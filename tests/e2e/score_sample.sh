#!/usr/bin/env bash
# blalm score --sample N --seed S: a stratified random sample of the candidates
# is labelled, the rest get {"selected": false}; then (with the real data) the
# whole loop of issue 21: sample -> LLM labels -> distill train -> distill score.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
export OPENAI_API_KEY=
unset OPENAI_BASE_URL

W=$TMP/w
"$PY" - "$W" <<'PY'
import json, os, random, sys
w = sys.argv[1]
rng = random.Random(3)
for src, n in (("news", 150), ("wiki", 50)):
    os.makedirs(f"{w}/docs/{src}", exist_ok=True)
    for part in range(2):
        with open(f"{w}/docs/{src}/p{part}.jsonl", "w") as f:
            for i in range(n // 2):
                words = rng.choice([30, 300, 3000])   # three length strata
                text = " ".join(rng.choice(["alpha", "beta", "gamma", "delta"]) for _ in range(words))
                f.write(json.dumps({"id": f"{src}{part}-{i}", "text": text}) + "\n")
PY
start_peer P
run_sample() { # WORK SEED N
    $BLALM score --work "$1" --endpoint "http://127.0.0.1:$P/v1" --model m --sample "$3" --seed "$2" \
        --concurrency 8 2>"$TMP/err"
}
selected() { # WORK -> "id" lines of the selected documents
    for f in "$1"/attributes/edu_llm/*/*.jsonl.zst; do zstd -dcq "$f"; done |
        "$PY" -c 'import json,sys
for l in sys.stdin:
    r = json.loads(l)
    if r["edu_llm"]["selected"]: print(r["id"])' | sort
}
before=$(peer_requests "$P")
if run_sample "$W" 1 40; then pass score_sample_runs; else fail score_sample_runs "$(cat "$TMP/err")"; fi
check score_sample_summary grep -q -- "--sample 40: 40 of 200 candidates chosen from 6 strata" "$TMP/err"
selected "$W" >"$TMP/s1"
check score_sample_count test "$(wc -l <"$TMP/s1")" -eq 40
after=$(peer_requests "$P")
check score_sample_paid_only_sample test "$((after - before))" -eq 40
# proportional: each (source, length) stratum within one of its share
check score_sample_stratified "$PY" - "$W" "$TMP/s1" <<'PY'
import json, sys, glob, collections
w, sel = sys.argv[1], set(open(sys.argv[2]).read().split())
tot, got = collections.Counter(), collections.Counter()
for p in glob.glob(f"{w}/docs/*/*.jsonl"):
    for l in open(p):
        d = json.loads(l)
        b = len(d["text"].encode()).bit_length()
        k = (p.split("/")[-2], b)
        tot[k] += 1
        got[k] += d["id"] in sel
for k in tot:
    share = 40 * tot[k] / 200
    assert abs(got[k] - share) <= 1, (k, got[k], share)
PY
# same candidates and seed: the same sample (a fresh work directory, files
# read in the same order); another seed: another sample
W2=$TMP/w2; mkdir -p "$W2"; cp -r "$W/docs" "$W2/"
run_sample "$W2" 1 40 && selected "$W2" >"$TMP/s2"
check score_sample_deterministic cmp "$TMP/s1" "$TMP/s2"
W3=$TMP/w3; mkdir -p "$W3"; cp -r "$W/docs" "$W3/"
run_sample "$W3" 2 40 && selected "$W3" >"$TMP/s3"
if ! cmp -s "$TMP/s1" "$TMP/s3" && [ "$(wc -l <"$TMP/s3")" -eq 40 ]; then pass score_sample_seed; else fail score_sample_seed "same sample for seed 2"; fi
# N above the candidates: all of them
W4=$TMP/w4; mkdir -p "$W4"; cp -r "$W/docs" "$W4/"
run_sample "$W4" 1 1000 && selected "$W4" >"$TMP/s4"
check score_sample_all test "$(wc -l <"$TMP/s4")" -eq 200
# a count that is not a whole number from 1 up: a usage error naming it,
# nothing sent (the stand-in, given as the endpoint, counts no request)
bad=
before=$(peer_requests "$P")
for n in 0 -1 abc 3x 1e3 '' 99999999999999999999; do
    $BLALM score --work "$W" --endpoint "http://127.0.0.1:$P/v1" --model m --sample "$n" >/dev/null 2>"$TMP/err"; rc=$?
    [ $rc -eq 2 ] && grep -qF -- "--sample wants a positive count, not '$n'" "$TMP/err" || bad="$bad '$n' rc=$rc"
done
after=$(peer_requests "$P")
[ "$after" = "$before" ] || bad="$bad; $((after - before)) requests sent"
[ -z "$bad" ] && pass score_sample_usage || fail score_sample_usage "$bad"
# blank documents are never sent, so they are no candidates: --sample 10 of
# 40 documents, 20 of them blank, labels 10
W5=$TMP/w5; mkdir -p "$W5/docs/web"
"$PY" -c 'import json
for i in range(40): print(json.dumps({"id": "b%d" % i, "text": "A lesson %d." % i if i % 2 else " \u00a0 "}))' >"$W5/docs/web/a.jsonl"
run_sample "$W5" 3 10
sel=$(selected "$W5" | tr '\n' ' ')
if grep -q -- "--sample 10: 10 of 20 candidates" "$TMP/err" && grep -q "10 scored, 0 parse errors, 0 refused, 0 empty" "$TMP/err" \
   && [ "$(selected "$W5" | wc -l)" -eq 10 ] && ! selected "$W5" | grep -qE 'b[0-9]*[02468]$'; then
    pass score_sample_skips_blank_docs
else fail score_sample_skips_blank_docs "selected: $sel; $(tr '\n' '|' <"$TMP/err" | tail -c 400)"; fi
stop_peers

# ---- the loop of issue 21 on real documents ----
if ! need_shared; then
    skip score_sample_distill_loop "../shared/data not found"
    exit 0
fi
L=$TMP/legal
mkdir -p "$L/docs/legal"
zstd -dcq "$SHARED_DATA/fineweb-legal.jsonl.zst" | head -n 1400 >"$L/docs/legal/a.jsonl"
zstd -dcq "$SHARED_DATA/fineweb-legal.jsonl.zst" | tail -n 700 >"$TMP/held.jsonl"
start_peer P --data "$SHARED_DATA/fineweb-legal.jsonl.zst"
if $BLALM score --work "$L" --endpoint "http://127.0.0.1:$P/v1" --model m --sample 600 --seed 4 \
        --max-chars 100000 --concurrency 16 -q 2>"$TMP/err" &&
   $BLALM distill train --work "$L" --labels edu_llm.score --out "$TMP/legal.bin" --json >"$TMP/t.json" 2>"$TMP/err" &&
   $BLALM distill score --work "$L" --model "$TMP/legal.bin" -q 2>"$TMP/err"; then
    pass score_sample_distill_loop
else
    fail score_sample_distill_loop "$(cat "$TMP/err")"
fi
stop_peers
mkdir -p "$TMP/h/docs/legal" && mv "$TMP/held.jsonl" "$TMP/h/docs/legal/"
$BLALM distill eval --work "$TMP/h" --model "$TMP/legal.bin" --label-field score --json >"$TMP/e.json" 2>"$TMP/err"
check score_sample_distill_quality "$PY" -c "
import json; t = json.load(open('$TMP/t.json')); r = json.load(open('$TMP/e.json'))
assert t['documents'] == 600, t['documents']
assert r['documents'] == 700 and r['at3']['f1'] > 0.8, r
print('F1@3 on 700 unseen after 600 sampled labels:', r['at3']['f1'])"
n=$(zstd -dcq "$L/attributes/edu_local/legal/a.jsonl.zst" | wc -l)
check score_sample_distill_aligned test "$n" -eq 1400
