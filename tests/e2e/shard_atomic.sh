#!/usr/bin/env bash
# blalm shard is atomic as a whole run: its shards are written into a hidden
# folder inside --out and moved into place only when every input has been
# read, so a failed, interrupted or killed run leaves --out as it was (a
# killed run's hidden folder is removed by the next run).
source "$(dirname "$0")/../lib.sh"

"$PY" - "$TMP/a.jsonl" "$TMP/b.jsonl" <<'PYEOF'
import json, random, sys
rnd = random.Random(5)
words = "the of and to in river field school garden letter \u00e9t\u00e9 \u4e2d\u6587".split()
for path, n in zip(sys.argv[1:], (300, 200)):
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": f"{path[-7]}{i}", "text": " ".join(rnd.choice(words) for _ in range(rnd.randint(20, 300)))}) + "\n")
PYEOF
count() { "$BLALM" count --json -q "$@" | tail -1; }
listing() { (cd "$1" && ls -A | sort && sha256sum -- * 2>/dev/null); }

# a bad line in the second input: the first input's finished shards do not stay behind
cp "$TMP/b.jsonl" "$TMP/bad.jsonl"; echo '{"id":"z","text":oops}' >>"$TMP/bad.jsonl"
"$BLALM" shard -q --out "$TMP/n/s" --max-bytes 40k "$TMP/a.jsonl" "$TMP/bad.jsonl" 2>"$TMP/e1"; rc=$?
[ $rc = 1 ] && grep -q 'bad.jsonl:201: ' "$TMP/e1" && [ ! -e "$TMP/n" ] &&
    pass shard_failed_run_leaves_no_folder || fail shard_failed_run_leaves_no_folder "rc=$rc $(ls -AR "$TMP/n" 2>&1 | head -5 | tr '\n' ' ')"
# a failed run removes exactly the folders it made: "nothere/../keep/sub"
# makes nothere alone (cutting the path string removed the user's empty
# keep/sub and keep, and left nothere)
mkdir -p "$TMP/p/keep/sub"
(cd "$TMP/p" && "$BLALM" shard -q --out nothere/../keep/sub/s --max-bytes 40k "$TMP/a.jsonl" "$TMP/bad.jsonl" 2>"$TMP/e1b"); rc=$?
[ $rc = 1 ] && [ -d "$TMP/p/keep/sub" ] && [ ! -e "$TMP/p/nothere" ] && [ ! -e "$TMP/p/keep/sub/s" ] &&
    pass shard_failed_run_keeps_user_folders || fail shard_failed_run_keeps_user_folders "rc=$rc $(cd "$TMP/p" && find . | tr '\n' ' ')"
# the same into a folder holding an earlier run's shards: they stay as they were, nothing is added
O=$TMP/o
"$BLALM" shard -q --out "$O" --max-bytes 40k "$TMP/b.jsonl" || { fail shard_atomic_setup "shard failed"; exit 0; }
before=$(listing "$O")
"$BLALM" shard -q --out "$O" --max-bytes 40k "$TMP/a.jsonl" "$TMP/bad.jsonl" 2>"$TMP/e2"; rc=$?
[ $rc = 1 ] && [ "$(listing "$O")" = "$before" ] &&
    pass shard_failed_run_keeps_earlier_shards || fail shard_failed_run_keeps_earlier_shards "rc=$rc $(ls -A "$O" | tr '\n' ' ')"
# a missing input: exit 1 naming it, no --out folder made
"$BLALM" shard -q --out "$TMP/m" "$TMP/a.jsonl" "$TMP/nope.jsonl" 2>"$TMP/e3"; rc=$?
[ $rc = 1 ] && grep -q 'nope.jsonl' "$TMP/e3" && [ ! -e "$TMP/m" ] &&
    pass shard_missing_input_makes_no_folder || fail shard_missing_input_makes_no_folder "rc=$rc $(cat "$TMP/e3") $(ls -A "$TMP/m" 2>&1)"

# killed mid-run: no visible shard of that run; the next run removes its hidden folder
for i in $(seq 40); do cat "$TMP/a.jsonl"; done >"$TMP/big.jsonl"
ok=1
# (not INT: a background job of a non-interactive shell ignores SIGINT)
for sig in KILL TERM HUP; do
    K=$TMP/k-$sig; mkdir "$K"
    "$BLALM" shard -q --out "$K" --max-bytes 100k --level 19 "$TMP/big.jsonl" "$TMP/big.jsonl" "$TMP/big.jsonl" &
    pid=$!
    for _ in $(seq 200); do [ -n "$(find "$K" -name 'shard-00002.jsonl.zst')" ] && break; sleep 0.05; done
    kill -$sig $pid 2>/dev/null; wait $pid 2>/dev/null
    [ -z "$(find "$K" -name 'shard-00002.jsonl.zst')" ] && { ok=0; echo "$sig: the run was not caught mid-way" >&2; }
    [ -z "$(ls "$K")" ] || { ok=0; echo "$sig: visible: $(ls "$K")" >&2; }
done
[ $ok = 1 ] && pass shard_killed_run_leaves_nothing_visible || fail shard_killed_run_leaves_nothing_visible "see stderr"
left=$(ls -A "$TMP/k-KILL" | grep -c '^\.shard-shards\.tmp\.')
"$BLALM" shard -q --out "$TMP/k-KILL" --max-bytes 40k "$TMP/a.jsonl" 2>"$TMP/e4"
[ "$left" = 1 ] && [ "$(ls -A "$TMP/k-KILL" | grep -c '^\.')" = 0 ] && [ "$(count "$TMP"/k-KILL/*)" = "$(count "$TMP/a.jsonl")" ] &&
    pass shard_next_run_removes_killed_runs_folder || fail shard_next_run_removes_killed_runs_folder "$(ls -A "$TMP/k-KILL" | tr '\n' ' ')"

# SIGINT while the shards are being renamed into place: it waits until every
# shard is there, then ends the run (exit 130). It was held off only in the
# thread doing the renames, so a signal delivered to another thread (OpenBLAS
# starts workers at load) killed the run mid-rename with part of the new
# shards in DIR (signals audit finding 1). Many small shards make the rename
# window long; a watcher sends SIGINT once the first shard appears in DIR.
for i in $(seq 8); do cat "$TMP/a.jsonl" "$TMP/b.jsonl"; done >"$TMP/big.jsonl"
"$BLALM" shard -q --out "$TMP/ref" --max-bytes 1k "$TMP/big.jsonl" || fail shard_sigint_setup "shard failed"
want=$(ls "$TMP/ref" | wc -l)
"$PY" - "$BLALM" "$TMP/big.jsonl" "$TMP/race" >"$TMP/race.out" 2>&1 <<'PYEOF'
import os, signal, subprocess, sys
blalm, src, out = sys.argv[1:]
p = subprocess.Popen([blalm, "shard", "-q", "--out", out, "--max-bytes", "1k", src],
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
sent = False
while p.poll() is None:
    try:
        names = os.listdir(out)
    except FileNotFoundError:
        continue
    if any(not n.startswith(".") for n in names):
        os.kill(p.pid, signal.SIGINT)
        sent = True
        break
rc = p.wait()
# exit 0: the signal came after the run had ended (the watcher was
# descheduled on a loaded machine), which says nothing either way
print("sent" if sent and rc != 0 else "late", rc)
PYEOF
read -r how rc <"$TMP/race.out"
got=$(ls "$TMP/race" 2>/dev/null | wc -l)
hidden=$(ls -A "$TMP/race" 2>/dev/null | grep -c '^\.')
if [ "$how" = late ]; then
    skip shard_sigint_during_renames "the run ended before the watcher saw a shard ($(cat "$TMP/race.out"))"
elif [ "$rc" = -2 ] && [ "$got" = "$want" ] && [ "$hidden" = 0 ] &&
     cmp -s <(cat "$TMP/ref"/*) <(cat "$TMP/race"/*); then
    pass shard_sigint_during_renames
else
    fail shard_sigint_during_renames "rc=$rc (-2: SIGINT), $got of $want shards in DIR, $hidden hidden entries"
fi
