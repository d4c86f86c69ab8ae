#!/usr/bin/env bash
# Temporary files that a killed run left (".<name>.tmp.<pid>" of a process
# that is gone) are removed when their file is written again, for every
# writer: completion markers and statistics (write_file_atomic), dedup's
# signatures, bucket pairs and clusters (its binary writers). A live
# process's temporary file stays.
source "$(dirname "$0")/../lib.sh"
W=$TMP/w
mkdir -p "$W/docs/src"
"$PY" - "$W/docs/src" <<'PY'
import json, sys
d = sys.argv[1]
with open(f"{d}/one.jsonl", "w") as f:
    for i in range(20):
        f.write(json.dumps({"id": f"d{i}", "text": f"Document {i} tells a short story about the sea and boats. " * 5}) + "\n")
PY
dead=$(dead_pid)
"$BLALM" tag --work "$W" --taggers readability --quiet || { fail stale_temps_setup "tag failed"; exit 0; }
"$BLALM" dedup --work "$W" --quiet || { fail stale_temps_setup "dedup failed"; exit 0; }
# the outputs a killed run would not have finished, with its leftovers beside them
marker=$(find "$W/state/tag" -name '*.done' | head -1)
sig=$(find "$W/state/dedup/signatures" -name '*.sig' | head -1)
pairs=$(find "$W/state/dedup/buckets" -name '*.pairs' | head -1)
clusters=$W/state/dedup/clusters.bin
stats=$W/stats/tag.json
planted=()
for f in "$marker" "$sig" "$pairs" "$clusters" "$stats"; do
    [ -n "$f" ] && [ -e "$f" ] || { fail stale_temps_setup "missing output '$f'"; exit 0; }
    t="$(dirname "$f")/.$(basename "$f").tmp.$dead"
    : >"$t"; planted+=("$t")
done
live="$(dirname "$stats")/.tag.json.tmp.$$"; : >"$live"
rm -f "$marker" "$sig" "$pairs" "$clusters"
"$BLALM" tag --work "$W" --taggers readability --quiet 2>"$TMP/e1" || fail stale_temps_tag "$(cat "$TMP/e1")"
"$BLALM" dedup --work "$W" --quiet 2>"$TMP/e2" || fail stale_temps_dedup "$(cat "$TMP/e2")"
left=()
for t in "${planted[@]}"; do [ -e "$t" ] && left+=("${t#$W/}"); done
if [ ${#left[@]} = 0 ]; then pass stale_temps_removed; else fail stale_temps_removed "left: ${left[*]}"; fi
[ -e "$live" ] && pass stale_temps_live_kept || fail stale_temps_live_kept "a live process's temporary file was removed"
rm -f "$live"

# A run killed where nothing reaps it (a container whose first process is a
# shell, not an init) stays a zombie: it writes nothing more, so its
# temporary files are a killed run's too. The zombie is a child its parent
# does not wait for, while the parent lives.
"$PY" -c '
import os, sys, time
pid = os.fork()
if pid == 0:
    os._exit(0)
print(pid, flush=True)
time.sleep(60)
' >"$TMP/zombie" &
zparent=$!
for _ in $(seq 50); do [ -s "$TMP/zombie" ] && break; sleep 0.1; done
zpid=$(cat "$TMP/zombie")
# a zombie before dedup looks (on a loaded machine the child may end late)
for _ in $(seq 100); do [ "$(awk '{print $3}' "/proc/$zpid/stat" 2>/dev/null)" = Z ] && break; sleep 0.05; done
sig=$(find "$W/state/dedup/signatures" -name '*.sig' | head -1)
zt="$(dirname "$sig")/.$(basename "$sig").tmp.$zpid"
: >"$zt"
rm -f "$sig"
"$BLALM" dedup --work "$W" --quiet 2>"$TMP/e3" || fail stale_temps_zombie_dedup "$(cat "$TMP/e3")"
state=$(awk '{print $3}' "/proc/$zpid/stat" 2>/dev/null)
if [ "$state" != Z ]; then
    skip stale_temps_zombie_removed "process $zpid is not a zombie here ('$state')"
elif [ -e "$zt" ]; then
    fail stale_temps_zombie_removed "a zombie's temporary file ${zt#$W/} stayed"
else
    pass stale_temps_zombie_removed
fi
kill "$zparent" 2>/dev/null; wait "$zparent" 2>/dev/null
rm -f "$zt"
