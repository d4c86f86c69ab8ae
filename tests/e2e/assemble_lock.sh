#!/usr/bin/env bash
# Two assemble runs to one --out: the second is refused with a clear message
# while the first holds OUT/.lock, and a run removes only the temporary
# folders of processes that are gone (issue 20 defect 10: each run deleted
# the other's, and 7 of 20 concurrent pairs failed with a rename error).
source "$(dirname "$0")/../lib.sh"
W=$TMP/w
mkdir -p "$W/docs/web"
"$PY" - "$W/docs/web" <<'PY'
import json, random, sys
rng = random.Random(3)
words = "rivers hills wheat stars rain snow towns children read learn grow".split()
for f in range(8):
    with open(f"{sys.argv[1]}/p{f}.jsonl", "w") as out:
        for i in range(300):
            out.write(json.dumps({"text": " ".join(rng.choice(words) for _ in range(rng.randint(50, 400)))}) + "\n")
PY
cat >"$W/c.json" <<'JSON'
{"corpora": [{"name": "a", "budget": 200000, "dev_words": 1000, "subset_of": null},
             {"name": "b", "budget": 20000, "dev_words": 0, "subset_of": "a"}],
 "rules": [], "ranking": ["readability.words desc"]}
JSON
"$BLALM" tag --work "$W" --taggers readability --quiet || { fail assemble_lock_setup "tag failed"; exit 0; }
OUT=$W/out
mkdir -p "$OUT"
dead=$(dead_pid)
# a killed run's folders go; a live process's stay
mkdir -p "$OUT/.a.tmp.$dead/train" "$OUT/.a.tmp.$$/train" "$OUT/.b.tmp.$dead.old.$dead"
"$BLALM" assemble --work "$W" --out "$OUT" --config "$W/c.json" --quiet 2>"$TMP/e0" || fail assemble_lock_first "$(cat "$TMP/e0")"
if [ ! -e "$OUT/.a.tmp.$dead" ] && [ ! -e "$OUT/.b.tmp.$dead.old.$dead" ] && [ -d "$OUT/.a.tmp.$$" ]; then
    pass assemble_removes_only_dead_temps
else fail assemble_removes_only_dead_temps "$(ls -a "$OUT" | tr '\n' ' ')"; fi
rm -rf "$OUT/.a.tmp.$$"
# another process holds the lock: refused, naming it, nothing touched
sum_before=$(cat "$OUT"/a/manifest.json | sha256sum)
touch "$OUT/.lock"
"$PY" -c '
import fcntl, sys, time
f = open(sys.argv[1], "r+")
fcntl.lockf(f, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(30)
' "$OUT/.lock" >"$TMP/holder" &
holder=$!
for i in $(seq 1 100); do grep -q locked "$TMP/holder" && break; sleep 0.05; done
if "$BLALM" assemble --work "$W" --out "$OUT" --config "$W/c.json" --quiet 2>"$TMP/e1"; then
    fail assemble_lock_refuses "exit 0 while another process held the lock"
elif grep -q "another blalm assemble --out is running here (pid $holder" "$TMP/e1"; then
    pass assemble_lock_refuses
else fail assemble_lock_refuses "$(cat "$TMP/e1")"; fi
kill $holder 2>/dev/null; wait $holder 2>/dev/null
[ "$(cat "$OUT"/a/manifest.json | sha256sum)" = "$sum_before" ] && pass assemble_lock_untouched ||
    fail assemble_lock_untouched "the corpus changed"
# concurrent pairs: each run either finishes or is refused by the lock; never
# a rename error, and the corpora verify
bad=0
for i in $(seq 1 6); do
    "$BLALM" assemble --work "$W" --out "$OUT" --config "$W/c.json" --quiet 2>"$TMP/p1" & p1=$!
    "$BLALM" assemble --work "$W" --out "$OUT" --config "$W/c.json" --quiet 2>"$TMP/p2" & p2=$!
    wait $p1; r1=$?; wait $p2; r2=$?
    for k in 1 2; do
        r=$([ $k = 1 ] && echo $r1 || echo $r2)
        if [ "$r" != 0 ] && ! grep -q "is running here" "$TMP/p$k"; then bad=1; echo "pair $i run $k: $(cat "$TMP/p$k")"; fi
    done
    [ $r1 = 0 ] || [ $r2 = 0 ] || { bad=1; echo "pair $i: both refused"; }
done >"$TMP/pairs"
"$BLALM" verify "$OUT/a" --quiet 2>>"$TMP/pairs" || bad=1
[ $bad = 0 ] && pass assemble_lock_concurrent || fail assemble_lock_concurrent "$(head -c 600 "$TMP/pairs")"
