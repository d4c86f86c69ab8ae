#!/usr/bin/env bash
# SIGKILL safety of `blalm run`, tested: the job is killed (kill -9) at random
# moments spread over every stage, rerun after each kill, then run to the end.
# Its outputs must equal an uninterrupted run's (sha256 of attributes, corpora,
# token shards, checkpoints and eval.json; run_helpers.bash's outputs_sha), and
# the stand-in endpoint's request log must show that no answer stored in the
# score cache before a kill was requested again after it.
# RUN_SIGKILL_SEED fixes the random moments (the seed is printed); each stage
# is aimed at RUN_SIGKILL_ROUNDS times (default 1: one per stage, 11, or 10
# without eval data).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/run_helpers.bash"
if ! command -v zstd >/dev/null; then skip run_sigkill "zstd missing"; exit 0; fi
SEED=${RUN_SIGKILL_SEED:-$(( $(date +%s) % 100000 ))}
ROUNDS=${RUN_SIGKILL_ROUNDS:-1}
echo "run_sigkill: seed $SEED (RUN_SIGKILL_SEED=$SEED reproduces the kill moments)"
RANDOM=$SEED
RUN_HUB_RATE=300000 run_setup   # fetch takes about a second: a kill lands mid-download
if need_shared && [ -d "$SHARED_DATA/babylm-eval/blimp_fast" ]; then
    RUN_EVAL_DATA=$SHARED_DATA/babylm-eval
    stages=(fetch tag dedup score distill assemble tokenizer tokenize train eval report)
else
    echo "SKIP run_sigkill_eval: ../shared/data/babylm-eval not found: eval is skipped, so not killed"
    stages=(fetch tag dedup score distill assemble tokenizer tokenize train report)
fi
RUN_STEPS=60 RUN_VOCAB=2048 RUN_BUDGET=150000 RUN_TRAIN_CORPUS=big run_config "$TMP/job.json"
# the endpoint answers slowly enough that a kill lands among requests in flight
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["score"]["concurrency"]=4; json.dump(c,open(sys.argv[1],"w"))' "$TMP/job.json"
curl -s --max-time 5 -X POST -d '{"latency": 0.01}' "http://127.0.0.1:$LLM_PORT/v1/control" >/dev/null

# the reference: one uninterrupted run
if ! $BLALM run "$TMP/job.json" --work "$TMP/a" -q >"$TMP/a.log" 2>&1; then
    fail run_sigkill_reference "$(tail -c 600 "$TMP/a.log" | tr '\n' '|')"; exit 0
fi
outputs_sha "$TMP/a" >"$TMP/a.sha"
B=$TMP/b
mark=$(wc -l <"$LLM_LOG")   # B's requests start here
echo "$mark" >"$TMP/kills"

# valid cache records now (their text_sha256), as in score_kill.sh
stored_now() {
    "$PY" - "$B/state/score/cache/score-cache.jsonl" <<'PYEOF'
import json, os, sys, zlib
p = sys.argv[1]
if os.path.exists(p):
    for line in open(p, "rb").read().split(b"\n"):
        if line.startswith(b'{"crc32":"') and line[18:26] == b'","rec":' and line.endswith(b"}"):
            rec = line[26:-1]
            if "%08x" % zlib.crc32(rec) == line[10:18].decode():
                print(json.loads(rec)["text_sha256"])
PYEOF
}

kills=0 trial=0 hit=() report_kills=0 report_torn=
# aim TARGET: runs the job, kills it a random moment after TARGET starts.
# A stage that is over within milliseconds may be complete before the kill;
# then up to 5 more tries redo it (--from TARGET) with shorter delays.
aim() {
    local target=$1 max_ms=$2 tries=${3:-6} try from=() delay_ms pid at
    for try in $(seq "$tries"); do
        trial=$((trial + 1))
        delay_ms=$(( max_ms > 1 ? RANDOM % max_ms : 0 ))
        $BLALM run "$TMP/job.json" --work "$B" -q "${from[@]}" >"$TMP/b.$trial.log" 2>&1 &
        pid=$!
        for _ in $(seq 20000); do
            grep -q "^run: $target *start" "$TMP/b.$trial.log" 2>/dev/null && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.003
        done
        [ "$delay_ms" -gt 0 ] && sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
        at=$(grep -o '^run: [a-z]* *start' "$TMP/b.$trial.log" | tail -1 | awk '{print $2}')
        if kill -9 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null
            kills=$((kills + 1))
            hit+=("$at")
            echo "run_sigkill: kill $kills (aimed at $target + ${delay_ms} ms${from[*]:+, ${from[*]}}) landed in $at"
            wc -l <"$LLM_LOG" >>"$TMP/kills"
            stored_now >"$TMP/stored.$kills"
            # the page is written whole or not at all: check it here, since
            # the final run below rewrites it
            if [ "$at" = report ] && [ -e "$B/report.html" ] && ! tail -c 200 "$B/report.html" | grep -q '</html>'; then
                report_torn+="kill $kills: $(tail -c 80 "$B/report.html" | tr '\n' '|'); "
            fi
            [ "$at" = report ] && report_kills=$((report_kills + 1))
        else
            wait "$pid" 2>/dev/null
            at=ended
            echo "run_sigkill: try $trial (aimed at $target + ${delay_ms} ms): the run had ended"
        fi
        [ "$at" = "$target" ] && return
        from=(--from "$target")
        max_ms=$((max_ms / 3))
    done
}
for round in $(seq "$ROUNDS"); do
    for target in "${stages[@]}"; do
        case $target in
            tag|train|eval) aim "$target" 1500 ;;
            # score takes ~0.6 s while its answers are not stored (248 prompts,
            # 10 ms each, 4 at a time), but an earlier kill that landed past it
            # stored them all, and then a redo (--from score) is over in 3-11 ms:
            # more tries, down to a kill as soon as its start line shows
            score) aim "$target" 400 12 ;;
            fetch) aim "$target" 600 ;;
            report) aim "$target" 60 ;;   # about 80 ms: the page is written whole or not at all
            *) aim "$target" 20 ;;
        esac
    done
done
# to the end, uninterrupted
if ! $BLALM run "$TMP/job.json" --work "$B" -q >"$TMP/b.final.log" 2>&1; then
    fail run_sigkill_final_run "$(tail -c 600 "$TMP/b.final.log" | tr '\n' '|')"; exit 0
fi
outputs_sha "$B" >"$TMP/b.sha"
# nothing a kill left half-written stays: no temporary, no part file, and the
# page the last run wrote is whole (its closing tag is there)
left=$(find "$B" \( -name '.*.tmp.*' -o -name '*.part' \) | sed "s#^$B/##" | head -5 | tr '\n' ' ')
[ -z "$left" ] && tail -c 200 "$B/report.html" | grep -q '</html>' && pass run_sigkill_nothing_half_written \
    || fail run_sigkill_nothing_half_written "left: ${left:-none}; report.html ends: $(tail -c 80 "$B/report.html" 2>&1 | tr '\n' '|')"
# no kill in report checks nothing: a visible SKIP, not a PASS (the name is
# fixed; the count goes in a '#' line)
echo "# run_sigkill_report_whole_after_kill: $report_kills kills in report"
if [ "$report_kills" = 0 ]; then skip run_sigkill_report_whole_after_kill "no kill landed in report (seed $SEED)"
elif [ -z "$report_torn" ]; then pass run_sigkill_report_whole_after_kill
else fail run_sigkill_report_whole_after_kill "report.html torn: $report_torn"; fi

covered=$(printf '%s\n' "${hit[@]}" | sort -u | tr '\n' ' ')
missing=
for s in "${stages[@]}"; do printf '%s\n' "${hit[@]}" | grep -qx "$s" || missing+="$s "; done
[ "$kills" -ge 8 ] && [ -z "$missing" ] && pass "run_sigkill_kills ($kills kills, in: $covered)" \
    || fail run_sigkill_kills "$kills kills, in: $covered; no kill landed in: $missing(seed $SEED)"
if cmp -s "$TMP/a.sha" "$TMP/b.sha"; then
    pass "run_sigkill_outputs_equal ($(wc -l <"$TMP/a.sha") files)"
else
    first=$(diff "$TMP/a.sha" "$TMP/b.sha" | awk '/^[<>]/ {print $3; exit}')
    why=$("$PY" - "$TMP/a/$first" "$B/$first" <<'PYEOF'
import json, os, sys
missing = [p for p in sys.argv[1:3] if not os.path.isfile(p)]
if missing: print("only in one run: " + sys.argv[1 if missing[0] == sys.argv[2] else 2]); sys.exit()
a, b = (open(p, "rb").read() for p in sys.argv[1:3])
try:
    ja, jb = json.loads(a), json.loads(b)
except Exception:
    print("binary or not JSON: %d vs %d bytes" % (len(a), len(b))); sys.exit()
def walk(x, y, path):
    if type(x) != type(y) or not isinstance(x, (dict, list)):
        if x != y: print("%s: %s vs %s" % (path, json.dumps(x)[:150], json.dumps(y)[:150]))
        return
    keys = sorted(set(x) | set(y)) if isinstance(x, dict) else range(max(len(x), len(y)))
    for k in keys:
        try: walk(x[k], y[k], "%s.%s" % (path, k))
        except (KeyError, IndexError): print("%s.%s: only in one" % (path, k))
walk(ja, jb, "")
PYEOF
)
    fail run_sigkill_outputs_equal "seed $SEED: $(diff "$TMP/a.sha" "$TMP/b.sha" | grep -c '^<') files differ ($(diff "$TMP/a.sha" "$TMP/b.sha" | grep -c '^[<>]') lines), first $first: $(printf '%s' "$why" | head -5 | tr '\n' '|')"
fi
# no stored answer requested again: requests after kill k must not be for an
# answer the cache held at kill k
res=$("$PY" - "$LLM_LOG" "$TMP/kills" "$TMP" "$kills" <<'PYEOF'
import json, sys
log, kills_f, tmp, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
reqs = [json.loads(l)["text_sha256"] for l in open(log) if l.strip()]
marks = [int(x) for x in open(kills_f).read().split()]
bad = total_stored = 0
for k in range(1, n + 1):
    stored = set(l for l in open(f"{tmp}/stored.{k}").read().split() if l)
    total_stored = max(total_stored, len(stored))
    bad += sum(1 for s in reqs[marks[k]:] if s in stored)
b_reqs = reqs[marks[0]:]
print(bad, len(b_reqs), len(set(b_reqs)), total_stored)
PYEOF
)
read -r bad nreq nuniq nstored <<<"$res"
[ "$bad" = 0 ] && [ "$nreq" -gt 0 ] && pass "run_sigkill_no_stored_answer_requested_twice ($nreq requests for $nuniq prompts; $nstored answers stored by the last kill)" \
    || fail run_sigkill_no_stored_answer_requested_twice "$bad requests for answers already stored (of $nreq; seed $SEED)"
