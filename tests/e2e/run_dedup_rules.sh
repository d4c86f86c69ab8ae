#!/usr/bin/env bash
# `blalm run`'s dedup: the run config's dedup section takes blalm dedup's
# rules (exact_id, exact_text, exact_url, keep_max, normalize,
# exact_normalize, verify_jaccard), each keyed so a change redoes dedup; run
# warns as blalm dedup does when documents with an equal id but a different
# text are dropped (ids restarting at 0 in each shard), and the report shows
# it; and dedup state files of an older blalm (another DD_VERSION) are redone
# by run itself, the plan saying so, not refused mid-run.
source "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
edit() { "$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); $3; json.dump(j, open(sys.argv[2], 'w'))" "$1" "$2"; }

mkdir -p "$TMP/docs"
# two shards whose ids restart at 0: 20 documents each, every text its own
"$PY" - "$TMP/docs" <<'PYEOF'
import json, random, sys
words = ("river stone garden window morning letter music paper forest yellow quiet simple "
         "market winter travel answer number family little people colour animal summer "
         "teacher station kitchen evening village doctor friend basket mirror silver").split()
for s in range(2):
    rng = random.Random(s)
    with open("%s/shard%d.jsonl" % (sys.argv[1], s), "w") as f:
        for i in range(20):
            t = " ".join(rng.choice(words) for _ in range(600)) + "."
            f.write(json.dumps({"id": str(i), "text": t}) + "\n")
PYEOF
cat >"$TMP/job.json" <<JSON
{"sources": [{"name": "web", "files": "docs"}],
 "dedup": {"threads": 1},
 "corpora": {"corpora": [{"name": "c", "budget": 15000, "dev_words": 2000}], "rules": [], "seed": 0},
 "model": "$ROOT/configs/model-tiny.json",
 "train": {"max_steps": 2, "threads": 1}}
JSON
W=$TMP/work

# 1. equal ids, different texts: run warns (blalm dedup's words), the report too
$BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/r1" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q 'dedup .*warning: 20 of the 20 documents counted as exact duplicates for an equal id have a different text' "$TMP/r1" \
   && grep -q 'id "[0-9]*" in .*shard0.jsonl:[0-9]* and .*shard1.jsonl:[0-9]*' "$TMP/r1" \
   && grep -q '"exact_id": false in the run config' "$TMP/r1" \
   && grep -q 'dedup .*40 documents, 20 exact duplicates, 20 dropped' "$TMP/r1"; then
    pass run_dedup_rules_id_warning
else
    fail run_dedup_rules_id_warning "rc $rc: $(grep -E 'dedup|blalm' "$TMP/r1" | tr '\n' '|' | tail -c 700)"
fi
if grep -q '20 of the 20 documents dedup counted as exact duplicates for an equal id have a different text' "$W/report.html"; then
    pass run_dedup_rules_report
else
    fail run_dedup_rules_report "$(grep -o 'id="dedup".\{0,400\}' "$W/report.html" | head -c 500)"
fi

# 2. "exact_id": false: the plan and the run redo dedup, nothing dropped, no warning
edit "$TMP/job.json" "$TMP/noid.json" "j['dedup']['exact_id'] = False"
$BLALM run "$TMP/noid.json" --work "$W" -q --dry-run >"$TMP/p2" 2>&1; rc=$?
$BLALM run "$TMP/noid.json" --work "$W" -q >"$TMP/r2" 2>&1; rc2=$?
if [ $rc = 0 ] && [ $rc2 = 0 ] && grep -q 'dedup .*would redo: setting exact_id was true, now false' "$TMP/p2" \
   && grep -q 'dedup .*redone: setting exact_id was true, now false' "$TMP/r2" \
   && grep -q 'dedup .*40 documents, 0 exact duplicates, 0 dropped' "$TMP/r2" && ! grep -q 'warning' "$TMP/r2" \
   && "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["exact_duplicates_by"]["id"] is not None)' "$W/stats/dedup.json"; then
    pass run_dedup_rules_exact_id_off
else
    fail run_dedup_rules_exact_id_off "rc $rc/$rc2: $(grep -E 'dedup|blalm' "$TMP/p2" "$TMP/r2" | tr '\n' '|' | tail -c 700)"
fi

# 3. the other keys are taken, keyed, and checked
edit "$TMP/noid.json" "$TMP/keys.json" "j['dedup'].update(exact_text=False, exact_url=False, keep_max='n', normalize='lower,space', exact_normalize='none', verify_jaccard=0.5)"
$BLALM run "$TMP/keys.json" --work "$W" -q --dry-run >"$TMP/p3" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q 'dedup .*would redo: setting exact_text was true, now false' "$TMP/p3"; then
    pass run_dedup_rules_keys
else
    fail run_dedup_rules_keys "rc $rc: $(grep -E 'dedup|blalm' "$TMP/p3" | tr '\n' '|' | tail -c 700)"
fi
bad=0
for b in "exact_url='yes'" "keep_max=''" "normalize='nfkc,shout'" "verify_jaccard=1.5"; do
    edit "$TMP/job.json" "$TMP/bad.json" "j['dedup'].update($b)"
    if $BLALM run "$TMP/bad.json" --work "$TMP/never" -q --dry-run >"$TMP/b" 2>&1 \
       || ! grep -q "bad.json: dedup.${b%%=*}" "$TMP/b" || [ -e "$TMP/never" ]; then
        bad=1; echo "  $b: $(head -c 300 "$TMP/b")"
    fi
done
[ $bad = 0 ] && pass run_dedup_rules_bad_keys || fail run_dedup_rules_bad_keys "see above"

# 4. after an upgrade: state files of dedup version 2 and run's marker of an
# older blalm (its version 2) are redone by run, and the plan says so
$BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/r4" 2>&1
"$PY" - "$W" <<'PYEOF'
import glob, json, struct, sys
w = sys.argv[1]
sigs = glob.glob(w + "/state/dedup/signatures/**/*.sig", recursive=True)
assert sigs, "no signature files"
for p in sigs:
    with open(p, "r+b") as f:
        f.seek(8); f.write(struct.pack("<I", 2))
m = w + "/state/run/dedup.done"
j = json.load(open(m))
# the marker of the blalm before: version 2 (its key differs, as its settings
# do); a blalm whose marker holds no version is left as it wrote it
if any(s[0] == "version" for s in j["settings"]):
    j["settings"] = [s if s[0] != "version" else ["version", "2"] for s in j["settings"]]
    j["key"] = "0" * 64
json.dump(j, open(m, "w"))
PYEOF
# a document file changed since, so dedup reads its state again
printf '{"id":"new","text":"a new document of a few words"}\n' >>"$TMP/docs/shard1.jsonl"
$BLALM run "$TMP/job.json" --work "$W" -q --dry-run >"$TMP/p4" 2>&1; rc=$?
$BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/r4b" 2>&1; rc2=$?
if [ $rc = 0 ] && [ $rc2 = 0 ] && grep -q 'dedup .*would redo: setting version was 2, now 4' "$TMP/p4" \
   && grep -q 'dedup .*redone: setting version was 2, now 4' "$TMP/r4b" \
   && grep -q 'dedup .*41 documents, 20 exact duplicates, 20 dropped' "$TMP/r4b"; then
    pass run_dedup_rules_old_version
else
    fail run_dedup_rules_old_version "rc $rc/$rc2: $(grep -E 'dedup|blalm' "$TMP/p4" "$TMP/r4b" | tr '\n' '|' | tail -c 700)"
fi
