#!/usr/bin/env bash
# An assemble killed between replacing OUT/strict and OUT/strict-small leaves
# strict new, strict-small and the decisions old; audit must not report the
# old fates as if they described the corpora in place (issue 20 defect 12).
# The kill is reproduced exactly: the state after two complete runs with the
# first run's strict-small and decisions put back.
source "$(dirname "$0")/../lib.sh"
W=$TMP/w
mkdir -p "$W/docs/web"
"$PY" - "$W/docs/web" <<'PY'
import json, random, sys
rng = random.Random(5)
words = "rivers hills wheat stars rain snow towns children read learn grow".split()
with open(f"{sys.argv[1]}/p.jsonl", "w") as out:
    for i in range(400):
        out.write(json.dumps({"id": f"d{i}", "text": " ".join(rng.choice(words) for _ in range(rng.randint(20, 200)))}) + "\n")
PY
conf() { # budget of strict, ranking direction
cat <<JSON
{"corpora": [{"name": "strict", "budget": $1, "dev_words": 0, "subset_of": null},
             {"name": "strict-small", "budget": 3000, "dev_words": 0, "subset_of": "strict"}],
 "rules": [], "ranking": ["readability.words $2"]}
JSON
}
conf 20000 desc >"$W/c1.json"; conf 20000 asc >"$W/c2.json"
"$BLALM" tag --work "$W" --taggers readability --quiet || { fail audit_stale_setup "tag failed"; exit 0; }
"$BLALM" assemble --work "$W" --out "$W/out" --config "$W/c1.json" --quiet 2>"$TMP/e" || { fail audit_stale_setup "$(cat "$TMP/e")"; exit 0; }
check audit_current "$BLALM" audit --work "$W" d1
cp -r "$W/out/strict-small" "$TMP/old-small"; cp -r "$W/state/assemble/decisions" "$TMP/old-dec"
"$BLALM" assemble --work "$W" --out "$W/out" --config "$W/c2.json" --quiet 2>"$TMP/e" || { fail audit_stale_setup "$(cat "$TMP/e")"; exit 0; }
# the kill: strict replaced, strict-small and the decisions not yet
rm -rf "$W/out/strict-small" "$W/state/assemble/decisions"
cp -r "$TMP/old-small" "$W/out/strict-small"; cp -r "$TMP/old-dec" "$W/state/assemble/decisions"
if "$BLALM" audit --work "$W" d1 >"$TMP/o" 2>"$TMP/e"; then
    fail audit_detects_stale_decisions "exit 0: $(grep -m2 strict "$TMP/o" | tr '\n' ' ')"
elif grep -q "another assemble run" "$TMP/e" && grep -q "out/strict" "$TMP/e" && grep -q "run blalm assemble again" "$TMP/e"; then
    pass audit_detects_stale_decisions
else fail audit_detects_stale_decisions "$(cat "$TMP/e")"; fi
"$BLALM" audit --work "$W" --export "$TMP/a.jsonl.zst" --quiet 2>"$TMP/e" && fail audit_export_detects_stale "exit 0" || pass audit_export_detects_stale
# a rerun puts everything back in step
"$BLALM" assemble --work "$W" --out "$W/out" --config "$W/c2.json" --quiet 2>"$TMP/e" || fail audit_stale_rerun "$(cat "$TMP/e")"
check audit_after_rerun "$BLALM" audit --work "$W" d1

# --- the decisions' record itself: unreadable or missing is an error, and so is
# a decisions file missing for a document file assemble decided; a document
# file added since is "not assembled yet"
dec=$W/state/assemble/decisions
cp "$dec/run.json" "$TMP/run.json.good"
echo '{"out":' >"$dec/run.json"
if "$BLALM" audit --work "$W" --export "$TMP/b.jsonl" --quiet 2>"$TMP/e"; then
    fail audit_corrupt_run_json "exit 0"
elif grep -q "run.json" "$TMP/e"; then pass audit_corrupt_run_json; else fail audit_corrupt_run_json "$(cat "$TMP/e")"; fi
rm "$dec/run.json"
if "$BLALM" audit --work "$W" d1 >"$TMP/o" 2>"$TMP/e"; then
    fail audit_missing_run_json "exit 0"
elif grep -q "run.json: missing, but .* holds decisions" "$TMP/e"; then pass audit_missing_run_json
else fail audit_missing_run_json "$(cat "$TMP/e")"; fi
cp "$TMP/run.json.good" "$dec/run.json"
mv "$dec/web/p.jsonl.zst" "$TMP/p.dec"
if "$BLALM" audit --work "$W" --export "$TMP/c.jsonl" --quiet 2>"$TMP/e"; then
    fail audit_missing_decisions_file "exit 0"
elif grep -q "web/p.jsonl.zst: missing: assemble decided web/p.jsonl" "$TMP/e"; then pass audit_missing_decisions_file
else fail audit_missing_decisions_file "$(cat "$TMP/e")"; fi
mv "$TMP/p.dec" "$dec/web/p.jsonl.zst"
printf '%s\n' '{"id":"new1","text":"a document added after the assembly"}' >"$W/docs/web/q.jsonl"
"$BLALM" tag --work "$W" --taggers readability --quiet
if "$BLALM" audit --work "$W" new1 >"$TMP/o" 2>"$TMP/e" && grep -q "not assembled yet" "$TMP/o"; then
    pass audit_new_file_not_assembled
else fail audit_new_file_not_assembled "$(cat "$TMP/e" "$TMP/o" | tail -c 400)"; fi
