#!/usr/bin/env bash
# `make demo`'s script (scripts/demo.sh) as a newcomer meets it: once with the
# shared real data beside the checkout, once in a copy of the checkout with no
# ../shared beside it (CI always has ../shared, so the test hides it itself).
# Each run gets a fresh work directory; both corpora must pass verify, the
# model run must exist, DuckDB must read the audit export back, and no process
# the demo started may be alive afterwards (checked by PID). Then the demo is
# interrupted mid-run with SIGINT and with SIGTERM: it must stop, non-zero,
# and leave nothing running.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v zstd >/dev/null || [ ! -x "$PY" ]; then skip demo "zstd or $PY missing (make test-deps)"; exit 0; fi

# a copy of the checkout's demo inputs with no ../shared beside it
hidden=$TMP/newcomer/clone
mkdir -p "$hidden"
(cd "$root" && tar -cf - scripts configs tests/peers) | (cd "$hidden" && tar -xf -)

# watch_tree PID FILE: appends every process under PID to FILE until PID exits
watch_tree() {
    local top=$1 file=$2
    while kill -0 "$top" 2>/dev/null; do
        ps -e -o pid=,ppid= | awk -v t="$top" '
            { parent[$1] = $2 }
            END { for (p in parent) { q = p; n = 0
                    while ((q in parent) && q != t && q > 1 && n++ < 64) q = parent[q]
                    if (q == t && p != t) print p } }' | while read -r p; do
            echo "$p $( { tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-100; } 2>/dev/null)"; done >>"$file"
        sleep 0.1
    done
}
# still_alive PIDFILE WORK: the watched pids that still run (zombies aside), and any process naming WORK
still_alive() {
    local p
    for p in $(cut -d' ' -f1 "$1" | sort -u); do
        [ -r "/proc/$p/status" ] || continue
        grep -q '^State:[[:space:]]*Z' "/proc/$p/status" 2>/dev/null && continue
        echo "$p $( { tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-100; } 2>/dev/null)"
    done
    for p in $(pgrep -f "$2" 2>/dev/null); do echo "$p $( { tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-100; } 2>/dev/null)"; done
}
# run_demo NAME DIR WORK [SIGNAL FILE]: runs DIR/scripts/demo.sh; with SIGNAL, sends it
# once WORK/FILE exists and is not empty. Sets rc, log and pids (the file of watched pids).
run_demo() {
    local name=$1 dir=$2 work=$3 sig=${4:-} at=${5:-}
    log=$TMP/$name.log; pids=$TMP/$name.pids; : >"$pids"
    set -m   # a process group of its own: a plain background job would ignore SIGINT
    # SIGINT and SIGQUIT back to their defaults first: a shell that started
    # this test in the background without job control has them ignored, and
    # bash cannot trap a signal ignored when it starts (as after Ctrl-C in a
    # terminal, which signals the whole foreground group, demo.sh must see it)
    DEMO_WORK=$work BLALM_BIN=$BLALM "$PY" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL); signal.signal(signal.SIGQUIT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' bash "$dir/scripts/demo.sh" >"$log" 2>&1 &
    local pid=$!
    set +m
    watch_tree "$pid" "$pids" &
    local watcher=$!
    if [ -n "$sig" ]; then
        for _ in $(seq 12000); do [ -s "$work/$at" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        sleep 0.3   # the watcher's next look
        kill -"$sig" "$pid" 2>/dev/null
    fi
    rc=0; wait "$pid" 2>/dev/null || rc=$?   # no "Killed" notice from the shell
    wait "$watcher" 2>/dev/null
    sleep 0.3
}

check_outputs() { # name work
    local name=$1 w=$2 ok=1 why=
    for c in strict strict-small; do
        "$BLALM" verify "$w/corpora/$c" >"$TMP/v.out" 2>&1 || { ok=0; why+="verify $c: $(tail -c 300 "$TMP/v.out"); "; }
    done
    [ $ok = 1 ] && pass "${name}_corpora_verify" || fail "${name}_corpora_verify" "$why"
    [ -s "$w/model/log.jsonl" ] && [ -s "$w/model/config.json" ] && ls "$w"/model/checkpoints/*.bin >/dev/null 2>&1 \
        && pass "${name}_model_run" || fail "${name}_model_run" "no log.jsonl, config.json or checkpoint in $w/model"
    # one `blalm run` did the job, and it ended saying where the outputs are
    grep -q '^run: done in ' "$log" && grep -q "^  corpora  $w/corpora" "$log" && grep -q "^  model    $w/model" "$log" \
        && grep -q '^  report   ' "$log" && pass "${name}_run_says_where" || fail "${name}_run_says_where" "$(grep -A5 '^run: done' "$log" | tr '\n' '|')"
    grep -q '^dev perplexity: ' "$log" && grep -q 'STAND-IN endpoint' "$log" && grep -q '^corpus strict-small ' "$log" \
        && grep -Eq '^documents in: +[1-9][0-9,]* \([1-9][0-9,]* words\) in [1-9][0-9]* file' "$log" && pass "${name}_summary" || fail "${name}_summary" "$(tail -12 "$log" | tr '\n' '|')"
    if ! have_node_oracles; then skip "${name}_audit_duckdb" "node or @duckdb/node-api missing (make test-deps)"; return; fi
    local res
    if ! res=$(cd "$ORACLE_DIR" && node demo_audit_duckdb.mjs "$w/audit.parquet" 2>&1); then
        fail "${name}_audit_duckdb" "$(printf '%s' "$res" | tail -c 400)"; return
    fi
    "$PY" - "$res" "$w" "${name}_audit_duckdb" <<'PYEOF'
import json, sys
r, w, name = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
problems = []
for c in ("strict", "strict-small"):
    m = json.load(open(f"{w}/corpora/{c}/manifest.json"))
    if r["rows"] != m["pool"]["documents"]: problems.append(f"{c}: {r['rows']} rows != pool {m['pool']['documents']}")
    if (r[c]["documents"], r[c]["words"]) != (m["documents"], m["words"]):
        problems.append(f"{c}: DuckDB {r[c]} != manifest {m['documents']} docs / {m['words']} words")
print(("PASS " + name) if not problems else ("FAIL " + name + ": " + "; ".join(problems)))
PYEOF
}
nothing_left() { # name work
    local left; left=$(still_alive "$pids" "$2")
    [ -z "$left" ] && pass "$1_no_process_left" || { fail "$1_no_process_left" "$(echo "$left" | tr '\n' '|')"; pkill -f "$2" 2>/dev/null; }
}

if need_shared && [ -d "$SHARED_DATA/fineweb-legal" ] && [ -d "$root/../shared/data/fineweb-legal" ]; then
    run_demo shared "$root" "$TMP/w-shared"
    if [ $rc = 0 ] && grep -q 'input: 58 real FineWeb parquet files' "$log"; then pass demo_shared_data; else fail demo_shared_data "exit $rc: $(tail -c 600 "$log" | tr '\n' ' ')"; fi
    [ $rc = 0 ] && check_outputs demo_shared "$TMP/w-shared"
    if [ -d "$root/../shared/data/babylm-eval" ]; then
        [ -s "$TMP/w-shared/model/checkpoints/latest.eval_fast.json" ] && grep -q '^zero-shot blimp: ' "$log" && pass demo_shared_eval \
            || fail demo_shared_eval "no model/checkpoints/latest.eval_fast.json or zero-shot line: $(grep 'eval' "$log" | tr '\n' '|')"
    fi
    nothing_left demo_shared "$TMP/w-shared"
else
    skip demo_shared_data "../shared/data not found; the demo runs on /usr/share/doc below"
fi

run_demo hidden "$hidden" "$TMP/w-hidden"
if [ $rc = 0 ] && grep -q 'input: text files under /usr/share/doc' "$log"; then pass demo_without_shared; else fail demo_without_shared "exit $rc: $(tail -c 600 "$log" | tr '\n' ' ')"; fi
[ $rc = 0 ] && check_outputs demo_hidden "$TMP/w-hidden"
grep -q 'run: eval      skipped: the evaluation data .* is not here' "$log" && [ ! -e "$TMP/w-hidden/model/checkpoints/latest.eval_fast.json" ] \
    && pass demo_hidden_eval_skipped_says_why || fail demo_hidden_eval_skipped_says_why "$(grep 'eval' "$log" | tr '\n' '|')"
nothing_left demo_hidden "$TMP/w-hidden"

# interrupted: SIGINT once the LLM stand-in is up, SIGTERM once tag has written its
# statistics (both leave seconds of work, so the demo is mid-run when the signal comes)
run_demo int "$hidden" "$TMP/w-int" INT openai.py.port
[ $rc -ne 0 ] && grep -q 'demo: interrupted' "$log" && pass demo_sigint_stops || fail demo_sigint_stops "exit $rc: $(tail -c 300 "$log" | tr '\n' ' ')"
# the interruption came while there was something to stop
grep -q 'peers/openai.py' "$pids" && grep -q 'peers/hub.py' "$pids" && pass demo_sigint_peers_were_running \
    || fail demo_sigint_peers_were_running "the stand-ins were not running when SIGINT came"
nothing_left demo_sigint "$TMP/w-int"
run_demo term "$hidden" "$TMP/w-term" TERM stats/tag.json
[ $rc -ne 0 ] && grep -q 'demo: terminated' "$log" && pass demo_sigterm_stops || fail demo_sigterm_stops "exit $rc: $(tail -c 300 "$log" | tr '\n' ' ')"
grep -q 'peers/hub.py' "$pids" && grep -q 'blalm run' "$pids" && pass demo_sigterm_stage_was_running \
    || fail demo_sigterm_stage_was_running "the Hub stand-in and blalm run were not both seen running"
nothing_left demo_sigterm "$TMP/w-term"
# SIGHUP (the terminal closed): the same cleanup, and it says so (it said nothing)
run_demo hup "$hidden" "$TMP/w-hup" HUP stats/tag.json
[ $rc = 129 ] && grep -q 'demo: hangup' "$log" && pass demo_sighup_stops || fail demo_sighup_stops "exit $rc: $(tail -c 300 "$log" | tr '\n' ' ')"
nothing_left demo_sighup "$TMP/w-hup"
# SIGKILL (an OOM kill, a CI timeout): no trap runs. The stand-ins exit by
# themselves (--parent-pid), and the next demo in the same WORK stops what the
# killed one left running before it reuses the folder.
run_demo kill "$hidden" "$TMP/w-kill" KILL stats/tag.json
cp "$pids" "$TMP/kill1.pids"
grep -q 'peers/openai.py' "$TMP/kill1.pids" && [ "$rc" = 137 ] && pass demo_sigkill_peers_were_running \
    || fail demo_sigkill_peers_were_running "exit $rc; the stand-ins were not seen running"
for _ in $(seq 30); do [ -z "$(still_alive "$TMP/kill1.pids" "$TMP/w-kill" | grep 'tests/peers/')" ] && break; sleep 0.1; done
left=$(still_alive "$TMP/kill1.pids" "$TMP/w-kill" | grep 'tests/peers/')
[ -z "$left" ] && pass demo_sigkill_peers_exit_by_themselves \
    || { fail demo_sigkill_peers_exit_by_themselves "$(echo "$left" | tr '\n' '|')"; pkill -f "$TMP/w-kill" 2>/dev/null; }
run_demo kill2 "$hidden" "$TMP/w-kill" INT openai.py.port
left=$(still_alive "$TMP/kill1.pids" "$TMP/w-kill")
[ -z "$left" ] && pass demo_sigkill_next_demo_leaves_nothing \
    || { fail demo_sigkill_next_demo_leaves_nothing "$(echo "$left" | tr '\n' '|')"; pkill -f "$TMP/w-kill" 2>/dev/null; }
