#!/usr/bin/env bash
# `blalm run` after a config change: the work directory must end as a fresh
# run of the new config would leave it. WORK/docs mirrors the sources (a
# narrower selection, a max_words switch or a removed source leaves nothing
# behind in any stage's input), and nothing is written outside WORK.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/run_helpers.bash"
if ! command -v zstd >/dev/null; then skip run_changes "zstd missing"; exit 0; fi
run_setup
run_config "$TMP/job.json"
W=$TMP/work
# jq-less config edits: edit FILE OUT PYTHON-STATEMENT (on j, the config)
edit() { "$PY" -c "import json,sys; j=json.load(open(sys.argv[1])); $3; json.dump(j, open(sys.argv[2], 'w'))" "$1" "$2"; }
nfiles() { find "$TMP/repo" -name '*.parquet' -o -name '*.jsonl' | wc -l; }

if ! $BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/full" 2>&1; then
    fail run_changes_full_job "$(tail -c 800 "$TMP/full" | tr '\n' '|')"
    exit 0
fi
full=$(outputs_sha "$W")

# 1. a narrower selection: WORK/docs holds the first file only, and every
# output equals a fresh run of the narrow config (same requests from the cache)
edit "$TMP/job.json" "$TMP/narrow.json" "j['sources'][0]['hub']['max_files'] = 1"
$BLALM run "$TMP/narrow.json" --work "$W" -q >"$TMP/narrow" 2>&1; rc=$?
$BLALM run "$TMP/narrow.json" --work "$TMP/fresh" -q >"$TMP/fresh.out" 2>&1; rc2=$?
left=$(find "$W/docs" -type f | wc -l)
if [ "$(nfiles)" -lt 2 ]; then
    skip run_changes_narrower "the input is one file (no ../shared/data)"
elif [ $rc = 0 ] && [ $rc2 = 0 ] && [ "$left" = 2 ] && [ "$(outputs_sha "$W")" = "$(outputs_sha "$TMP/fresh")" ] \
   && grep -q 'fetch .*web: removed [1-9][0-9]* files the config no longer selects' "$TMP/narrow" \
   && grep -q 'fetch .*removed [1-9][0-9]* attribute files of documents no longer in' "$TMP/narrow"; then
    pass run_changes_narrower
else
    fail run_changes_narrower "rc $rc/$rc2, $left files in WORK/docs; $(diff <(outputs_sha "$W") <(outputs_sha "$TMP/fresh") | head -4 | tr '\n' '|') $(grep fetch "$TMP/narrow" | tr '\n' '|')"
fi

# 2. max_words, then whole files again: the .jsonl.zst part does not stay
# beside its parquet file (its documents would be taken twice)
edit "$TMP/job.json" "$TMP/words.json" "j['sources'][0]['max_words'] = 30000"
$BLALM run "$TMP/words.json" --work "$W" -q --only fetch >"$TMP/words" 2>&1; rc=$?
nw=$(find "$W/docs" -name '*.jsonl.zst' | wc -l)
$BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/whole" 2>&1; rc2=$?
if [ "$(nfiles)" -lt 2 ]; then
    skip run_changes_max_words "the input is not parquet (no ../shared/data)"
elif [ $rc = 0 ] && [ $rc2 = 0 ] && [ "$nw" -gt 0 ] && [ -z "$(find "$W/docs" -name '*.jsonl.zst')" ] \
   && [ "$(outputs_sha "$W")" = "$full" ]; then
    pass run_changes_max_words
else
    fail run_changes_max_words "rc $rc/$rc2, $nw max_words parts; $(find "$W/docs" -type f | tr '\n' ' ') $(diff <(outputs_sha "$W") <(echo "$full") | head -4 | tr '\n' '|')"
fi

# 3. a source removed from the config: its link goes (the folder it points
# to stays untouched), and so do its documents' attributes
mkdir -p "$TMP/extra"
"$PY" -c 'import json
for i in range(5): print(json.dumps({"id": "x%d" % i, "text": " ".join(["word%d" % ((i * 7 + k) % 50) for k in range(120)]) + "."}))' >"$TMP/extra/x.jsonl"
edit "$TMP/job.json" "$TMP/extra.json" "j['sources'].append({'name': 'extra', 'files': '$TMP/extra'})"
$BLALM run "$TMP/extra.json" --work "$W" -q --only fetch >"$TMP/ex1" 2>&1 \
    && $BLALM run "$TMP/extra.json" --work "$W" -q --only tag >>"$TMP/ex1" 2>&1; rc=$?
had=$(find "$W/attributes" -path '*/extra/*' | wc -l)
$BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/ex2" 2>&1; rc2=$?
if [ $rc = 0 ] && [ $rc2 = 0 ] && [ "$had" -gt 0 ] && [ ! -e "$W/docs/extra" ] && [ -s "$TMP/extra/x.jsonl" ] \
   && [ -z "$(find "$W/attributes" -path '*/extra/*')" ] && [ "$(outputs_sha "$W")" = "$full" ] \
   && grep -q "fetch .*removed $W/docs/extra (not a source in the config)" "$TMP/ex2"; then
    pass run_changes_source_removed
else
    fail run_changes_source_removed "rc $rc/$rc2, extra attributes before: $had; $(ls "$W/docs" | tr '\n' ' ') $(diff <(outputs_sha "$W") <(echo "$full") | head -4 | tr '\n' '|') $(tail -c 400 "$TMP/ex2" | tr '\n' '|')"
fi

# 4. a source switched from files to hub and back: the Hub files go into a
# folder of WORK, never through the old link into the user's folder; back to
# files, WORK's folder makes way for the link; back to hub, it is fetched again
mkdir -p "$TMP/userdocs"
cp "$TMP/extra/x.jsonl" "$TMP/userdocs/"
edit "$TMP/job.json" "$TMP/files.json" "j['sources'] = [{'name': 'web', 'files': '$TMP/userdocs'}]"
W4=$TMP/work4   # a new work directory: its first source is the files one
$BLALM run "$TMP/files.json" --work "$W4" -q --only fetch >"$TMP/sw1" 2>&1; r1=$?
$BLALM run "$TMP/job.json" --work "$W4" -q --only fetch >"$TMP/sw2" 2>&1; r2=$?
user=$(cd "$TMP/userdocs" && find . | sort | tr '\n' ' ')
nhub=$(find "$W4/docs/web" -type f ! -name '*.meta' | wc -l)
$BLALM run "$TMP/files.json" --work "$W4" -q --only fetch >"$TMP/sw3" 2>&1; r3=$?
back=$(readlink "$W4/docs/web")
$BLALM run "$TMP/job.json" --work "$W4" -q >"$TMP/sw4" 2>&1; r4=$?
if [ "$r1$r2$r3$r4" = 0000 ] && [ "$user" = ". ./x.jsonl " ] && [ "$nhub" -ge 1 ] && [ "$back" = "$TMP/userdocs" ] \
   && [ -d "$W4/docs/web" ] && [ ! -L "$W4/docs/web" ] && [ "$(outputs_sha "$W4")" = "$full" ] \
   && grep -q 'removed the link .* (a files source before' "$TMP/sw2" \
   && grep -q "removed $W4/docs/web (the Hub files of this source before)" "$TMP/sw3"; then
    pass run_changes_files_to_hub
else
    fail run_changes_files_to_hub "rc $r1$r2$r3$r4; user folder now: $user; $nhub Hub files; link back: $back; $(tail -c 300 "$TMP/sw2" "$TMP/sw3" "$TMP/sw4" | tr '\n' '|')"
fi

# 5. training killed after a checkpoint. run_kill CONFIG STEPS: runs CONFIG
# on $W and kills it (SIGKILL) once the run of STEPS steps has made 2 checkpoints
run_kill() {
    $BLALM run "$1" --work "$W" -q >"$TMP/kill.out" 2>&1 &
    local pid=$! i
    for i in $(seq 1200); do
        if head -1 "$W/model/log.jsonl" 2>/dev/null | grep -q "\"total_steps\":$2," \
           && [ "$(grep -c '"dev_loss"' "$W/model/log.jsonl")" -ge 2 ]; then break; fi
        sleep 0.05
    done
    kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
    head -1 "$W/model/log.jsonl" | grep -q "\"total_steps\":$2,"   # killed while training, not after
}
# a retrain because a setting changed, killed, resumes like a first training
edit "$TMP/job.json" "$TMP/s3000.json" "j['train']['max_steps'] = 3000"
if run_kill "$TMP/s3000.json" 3000; then
    $BLALM run "$TMP/s3000.json" --work "$W" -q >"$TMP/resume" 2>&1; rc=$?
    starts=$(grep -c '"event":"start"' "$W/model/log.jsonl")
    if [ $rc = 0 ] && grep -q 'train .*resuming from' "$TMP/resume" && ! grep -q 'train .*a new run' "$TMP/resume" \
       && [ "$starts" = 1 ] && grep -q 'train .*3000 steps' "$TMP/resume"; then
        pass run_changes_retrain_resumes
    else
        fail run_changes_retrain_resumes "rc $rc, $starts starts in log.jsonl; $(grep train "$TMP/resume" | tr '\n' '|')"
    fi
else
    fail run_changes_retrain_resumes "the training was not killed while it ran: $(tail -c 300 "$TMP/kill.out" | tr '\n' '|')"
fi
# killed, then a setting changed: a new run (not the trainer's refusal, not
# the flags of blalm train); and back to the first config, the first outputs
edit "$TMP/job.json" "$TMP/s2000.json" "j['train']['max_steps'] = 2000"
edit "$TMP/job.json" "$TMP/s60.json" "j['train']['max_steps'] = 60"
# (the first training of this work directory: no finished run's marker)
rm -rf "$W/model" "$W/state/run/train.done" "$W/state/run/train-started.done"
if run_kill "$TMP/s2000.json" 2000; then
    $BLALM run "$TMP/s60.json" --work "$W" -q >"$TMP/changed" 2>&1; rc=$?
    $BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/back" 2>&1; rc2=$?
    if [ $rc = 0 ] && [ $rc2 = 0 ] && grep -q 'train .*a new run in .*(the checkpoints are of a run with other inputs or settings: train.max_steps was 2000, now 60)' "$TMP/changed" \
       && grep -q 'train .*60 steps' "$TMP/changed" && ! grep -q -- '--resume\|--max-steps\|--out' "$TMP/changed" \
       && [ "$(outputs_sha "$W")" = "$full" ]; then
        pass run_changes_killed_then_changed
    else
        fail run_changes_killed_then_changed "rc $rc/$rc2: $(grep -E 'train|blalm' "$TMP/changed" | tr '\n' '|' | tail -c 500)"
    fi
else
    fail run_changes_killed_then_changed "the training was not killed while it ran: $(tail -c 300 "$TMP/kill.out" | tr '\n' '|')"
fi

# 6. a changed dedup setting redoes dedup (its files of the old settings are
# refused by dedup itself, not mixed); back to the first settings, the first outputs
edit "$TMP/job.json" "$TMP/dedup.json" "j['dedup'].update(bands=10, rows=5)"
$BLALM run "$TMP/dedup.json" --work "$W" -q >"$TMP/dd1" 2>&1; rc=$?
$BLALM run "$TMP/job.json" --work "$W" -q >"$TMP/dd2" 2>&1; rc2=$?
if [ $rc = 0 ] && [ $rc2 = 0 ] && grep -q 'dedup .*redone: setting bands was 14, now 10' "$TMP/dd1" \
   && grep -q 'dedup .*redone: setting bands was 10, now 14' "$TMP/dd2" && [ "$(outputs_sha "$W")" = "$full" ]; then
    pass run_changes_dedup_setting
else
    fail run_changes_dedup_setting "rc $rc/$rc2: $(grep -E 'dedup|blalm' "$TMP/dd1" "$TMP/dd2" | tr '\n' '|' | tail -c 600)"
fi

# 7. a corpus removed from the config leaves WORK/corpora and the report
edit "$TMP/job.json" "$TMP/one.json" "j['corpora']['corpora'] = [{'name': 'small', 'budget': 20000, 'dev_words': 2000}]"
$BLALM run "$TMP/one.json" --work "$W" -q >"$TMP/one" 2>&1; rc=$?
if [ $rc = 0 ] && [ ! -e "$W/corpora/big" ] && [ -s "$W/corpora/small/manifest.json" ] \
   && ! grep -q '<tr><td>big</td>' "$W/report.html" && grep -q '<tr><td>small</td>' "$W/report.html" \
   && grep -q "assemble .*removed $W/corpora/big (a corpus the config no longer has)" "$TMP/one"; then
    pass run_changes_corpus_removed
else
    fail run_changes_corpus_removed "rc $rc: $(ls "$W/corpora" | tr '\n' ' ') $(grep -E 'assemble|blalm' "$TMP/one" | tr '\n' '|' | tail -c 500)"
fi

# 8. progress (plain lines off a terminal): score's count advances to the
# documents it wrote (it stayed at "score: 1": its callback gives each step,
# and run passed the step as the count); tag's bar is in bytes of text
BLALM_PROGRESS_SECONDS=0.000001 $BLALM run "$TMP/job.json" --work "$W4" --only score >"$TMP/pg.out" 2>"$TMP/pg.err"; rc=$?
BLALM_PROGRESS_SECONDS=0.000001 $BLALM run "$TMP/job.json" --work "$W4" --only tag >/dev/null 2>"$TMP/pg2.err"; rc2=$?
ndocs=$(sed -n 's/.*score .* \([0-9][0-9]*\) documents, .* selected.*/\1/p' "$TMP/pg.out")
last=$(grep '^score: ' "$TMP/pg.err" | tail -1 | cut -d' ' -f2)
steps=$(grep -c '^score: ' "$TMP/pg.err")
if [ $rc = 0 ] && [ $rc2 = 0 ] && [ -n "$ndocs" ] && [ "$last" = "$ndocs" ] && [ "$steps" -ge 3 ] \
   && grep '^score: ' "$TMP/pg.err" | cut -d' ' -f2 | sort -n -c 2>/dev/null \
   && grep -q '^tag: [0-9.]* [KM]\?B ' "$TMP/pg2.err"; then
    pass run_changes_score_progress
else
    fail run_changes_score_progress "rc $rc/$rc2, $ndocs documents, last score line: $(grep '^score: ' "$TMP/pg.err" | tail -1), $steps lines; $(tail -1 "$TMP/pg2.err")"
fi

# 9. a threshold change that changes no attribute value (every document has
# 100 words or more: min_doc_words 100 changes no verdict; it rewrites every
# tag set's record, which names the whole tag config): distill is not
# retrained, nor the tokenizer (assemble is redone: the corpus manifest names
# the sets' records), and the outputs equal a fresh run's of that config
edit "$TMP/job.json" "$TMP/words100.json" "j['tag'] = {'gopher_quality': {'min_doc_words': 100}}"
before=$(find "$W4/attributes" -name '*.jsonl.zst' | sort | xargs cat | sha256sum)
$BLALM run "$TMP/words100.json" --work "$W4" -q >"$TMP/w100" 2>&1; rc=$?
after=$(find "$W4/attributes" -name '*.jsonl.zst' | sort | xargs cat | sha256sum)
$BLALM run "$TMP/words100.json" --work "$TMP/fresh100" -q >"$TMP/w100f" 2>&1; rc2=$?
if [ "$before" != "$after" ]; then
    skip run_changes_same_values "min_doc_words 100 changed a verdict of this input ($RUN_INPUT)"
elif [ $rc = 0 ] && [ $rc2 = 0 ] && grep -q 'tag .* files (0 complete before)' "$TMP/w100" \
   && grep -q 'distill .*model complete' "$TMP/w100" && grep -q 'tokenizer .*complete, skipped' "$TMP/w100" \
   && grep -q 'train .*complete, skipped' "$TMP/w100" && grep -q 'assemble .*redone: input .*record.json changed' "$TMP/w100" \
   && [ "$(outputs_sha "$W4")" = "$(outputs_sha "$TMP/fresh100")" ]; then
    pass run_changes_same_values
else
    fail run_changes_same_values "rc $rc/$rc2: $(grep -E 'tag|distill|assemble|tokenizer|train' "$TMP/w100" | tr '\n' '|' | tail -c 700) $(diff <(outputs_sha "$W4") <(outputs_sha "$TMP/fresh100") | head -4 | tr '\n' '|')"
fi

# 10. --dry-run after a threshold change that changes what score.where
# selects: the plan says tag is redone and why, bounds what score may send
# whatever tag then selects (it said "0 to send" on the old attributes, and
# the run sent 57), and says the later stages wait on tag's redo
edit "$TMP/job.json" "$TMP/words800.json" "j['tag'] = {'gopher_quality': {'min_doc_words': 800}}"
$BLALM run "$TMP/words800.json" --work "$W4" --dry-run -q >"$TMP/plan800" 2>&1; rc=$?
$BLALM run "$TMP/words800.json" --work "$W4" -q >"$TMP/run800" 2>&1; rc2=$?
bound=$(sed -n 's/.*score .*: at most \([0-9][0-9]*\) to send.*/\1/p' "$TMP/plan800")
sent=$(sed -n 's/.*score .* selected, \([0-9][0-9]*\) sent,.*/\1/p' "$TMP/run800")
if [ $rc = 0 ] && [ $rc2 = 0 ] && [ -n "$bound" ] && [ -n "$sent" ] && [ "$sent" -le "$bound" ] \
   && grep -q 'tag .*would measure .* redone: gopher_quality of .*: setting min_doc_words was 100, now 800' "$TMP/plan800" \
   && grep -q 'score .*tag runs before it (.*setting min_doc_words was 100, now 800).*on the current attributes, which may not hold then' "$TMP/plan800" \
   && grep -q 'dedup .*complete with these settings' "$TMP/plan800" \
   && grep -q 'distill .*complete with the current inputs; tag is redone before it' "$TMP/plan800" \
   && grep -q 'train .*complete with the current inputs; tag is redone before it' "$TMP/plan800"; then
    pass run_changes_plan_after_change
else
    fail run_changes_plan_after_change "rc $rc/$rc2, bound $bound, sent $sent: $(grep -E 'tag|dedup|score|distill|train' "$TMP/plan800" | grep -v ' plan$' | tr '\n' '|' | tail -c 900)"
fi
# and with nothing to redo, the plan says each stage would be skipped
$BLALM run "$TMP/words800.json" --work "$W4" --dry-run -q >"$TMP/plan800b" 2>&1; rc=$?
n=$(grep -c 'complete: would be skipped\|complete with these settings: would be skipped' "$TMP/plan800b")
if [ $rc = 0 ] && [ "$n" -ge 6 ] && ! grep -q 'would redo\|would run\|would measure' "$TMP/plan800b"; then
    pass run_changes_plan_all_complete
else
    fail run_changes_plan_all_complete "rc $rc, $n stages complete: $(grep -v ' plan$' "$TMP/plan800b" | tr '\n' '|' | tail -c 900)"
fi

# 11-14: a tiny job of two Hub sources (ta, tb: each run takes about a
# second), served by a Hub stand-in of their own (it lists its files at start)
for s in ta tb; do
    mkdir -p "$TMP/repo2/$s"
    "$PY" -c 'import json,sys
for i in range(20): print(json.dumps({"id": "%s%d" % (sys.argv[1], i), "text": " ".join(["%s%d" % (sys.argv[1], (i * 13 + k) % 90) for k in range(80)]) + "."}))' "$s" >"$TMP/repo2/$s/doc.jsonl"
done
run_peer HUB2_PORT "$HUB_PY" --root "$TMP/repo2"
export HF_ENDPOINT="http://127.0.0.1:$HUB2_PORT"
cat >"$TMP/tab.json" <<JSON
{"sources": [{"name": "ta", "hub": {"repo": "HuggingFaceFW/fineweb-edu", "path": "ta"}},
             {"name": "tb", "hub": {"repo": "HuggingFaceFW/fineweb-edu", "path": "tb"}}],
 "dedup": {"threads": 1},
 "corpora": {"corpora": [{"name": "c", "budget": 1000, "dev_words": 100}], "rules": [], "seed": 0},
 "tokenizer": {"vocab_size": 320}, "model": "$TMP/model.json",
 "train": {"corpus": "c", "max_steps": 5, "threads": 1}}
JSON
edit "$TMP/tab.json" "$TMP/ta.json" "j['sources'] = j['sources'][:1]"
W6=$TMP/work6
$BLALM run "$TMP/tab.json" --work "$W6" -q >"$TMP/t1" 2>&1; rc=$?
full6=$(outputs_sha "$W6")

# 11. a source removed and then added back is fetched again (its fetch marker
# went with its folder: it was taken as complete, and the run went on
# without its documents); a source folder removed by hand is fetched again too
$BLALM run "$TMP/ta.json" --work "$W6" -q >"$TMP/t2" 2>&1; rc2=$?
$BLALM run "$TMP/tab.json" --work "$W6" -q >"$TMP/t3" 2>&1; rc3=$?
back=$(find "$W6/docs/tb" -name doc.jsonl 2>/dev/null | wc -l)
rm -rf "$W6/docs/tb"
$BLALM run "$TMP/tab.json" --work "$W6" -q >"$TMP/t4" 2>&1; rc4=$?
if [ "$rc$rc2$rc3$rc4" = 0000 ] && [ "$back" = 1 ] && [ -s "$W6/docs/tb/tb/doc.jsonl" ] \
   && grep -q "fetch .*removed $W6/docs/tb (not a source in the config)" "$TMP/t2" \
   && ! grep -q 'tb: complete' "$TMP/t3" "$TMP/t4" && [ "$(outputs_sha "$W6")" = "$full6" ]; then
    pass run_changes_source_back
else
    fail run_changes_source_back "rc $rc$rc2$rc3$rc4, tb back: $back; $(grep -E 'fetch|blalm' "$TMP/t3" "$TMP/t4" | tr '\n' '|' | tail -c 600)"
fi

# 12. a retrain of another setting killed, then the config set back: a new
# run, not the killed run's partial checkpoints taken for the finished model
# (the finished run's marker matched again)
W9=$TMP/work9
$BLALM run "$TMP/ta.json" --work "$W9" -q >"$TMP/t5a" 2>&1; rc=$?
full9=$(outputs_sha "$W9")
edit "$TMP/ta.json" "$TMP/s200k.json" "j['train']['max_steps'] = 200000"
# (this corpus has no dev split: run_kill's wait for dev losses does not fit)
$BLALM run "$TMP/s200k.json" --work "$W9" -q >"$TMP/kill.out" 2>&1 &
pid=$!
for i in $(seq 1200); do
    head -1 "$W9/model/log.jsonl" 2>/dev/null | grep -q '"total_steps":200000,' \
        && [ -e "$W9/model/checkpoints/latest.bin" ] && break
    sleep 0.05
done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
if [ $rc = 0 ] && [ -e "$W9/model/checkpoints/latest.bin" ] && head -1 "$W9/model/log.jsonl" | grep -q '"total_steps":200000,'; then
    $BLALM run "$TMP/ta.json" --work "$W9" -q >"$TMP/t5" 2>&1; rc=$?
    if [ $rc = 0 ] && ! grep -q 'train .*complete, skipped' "$TMP/t5" \
       && grep -q 'train .*a new run in .*(the checkpoints are of a run with other inputs or settings: train.max_steps was 200000, now 5)' "$TMP/t5" \
       && [ "$(outputs_sha "$W9")" = "$full9" ]; then
        pass run_changes_killed_then_reverted
    else
        fail run_changes_killed_then_reverted "rc $rc: $(grep -E 'train|blalm' "$TMP/t5" | tr '\n' '|' | tail -c 500)"
    fi
else
    fail run_changes_killed_then_reverted "rc $rc; the training was not killed while it ran: $(tail -c 300 "$TMP/kill.out" | tr '\n' '|')"
fi

# 13. the fetch removes from WORK/docs only what blalm run made: never
# through a WORK/docs that is a link, and never a folder laid out by hand
# (refused, naming it, nothing removed: left there it would feed every stage)
W7=$TMP/work7
mkdir -p "$TMP/bigdisk/docs/mine" "$W7"
echo '{"id":"m1","text":"my own sharded documents"}' >"$TMP/bigdisk/docs/mine/shard-00000.jsonl"
echo keep >"$TMP/bigdisk/docs/README.txt"
ln -s "$TMP/bigdisk/docs" "$W7/docs"
$BLALM run "$TMP/ta.json" --work "$W7" -q >"$TMP/t6" 2>&1; rc=$?
mkdir -p "$W6/docs/mine"
cp "$TMP/bigdisk/docs/mine/shard-00000.jsonl" "$W6/docs/mine/"
$BLALM run "$TMP/ta.json" --work "$W6" -q >"$TMP/t7" 2>&1; rc2=$?
if [ $rc != 0 ] && [ $rc2 != 0 ] && [ -s "$TMP/bigdisk/docs/mine/shard-00000.jsonl" ] && [ -s "$TMP/bigdisk/docs/README.txt" ] \
   && [ -s "$W6/docs/mine/shard-00000.jsonl" ] && [ -s "$W6/docs/tb/tb/doc.jsonl" ] \
   && grep -q "$W7/docs/[A-Za-z.]*: not a source of the config, and $W7/docs is a link: blalm run removes nothing through it" "$TMP/t6" \
   && grep -q "$W6/docs/mine: not a source of the config and not made by blalm run: nothing removed" "$TMP/t7"; then
    pass run_changes_not_run_s
else
    fail run_changes_not_run_s "rc $rc/$rc2; $(cd "$TMP/bigdisk" && find . | tr '\n' ' '); $(ls "$W6/docs" | tr '\n' ' '); $(tail -c 300 "$TMP/t6" "$TMP/t7" | tr '\n' '|')"
fi
rm -rf "$W6/docs/mine"
# a WORK/docs link holding only the config's sources is read through (the
# documents on another disk)
rm -rf "$TMP/bigdisk/docs/mine" "$TMP/bigdisk/docs/README.txt"
$BLALM run "$TMP/ta.json" --work "$W7" -q >"$TMP/t8" 2>&1; rc=$?
[ $rc = 0 ] && [ -L "$W7/docs" ] && [ -n "$(ls "$TMP/bigdisk/docs")" ] && pass run_changes_docs_link_read_through \
    || fail run_changes_docs_link_read_through "rc $rc: $(tail -c 400 "$TMP/t8" | tr '\n' '|')"

# 14. a files source whose folder holds no documents (a disk not mounted) is
# refused: taken as it was, every attribute of its documents was removed
mkdir -p "$TMP/fdocs" "$TMP/unmounted"
cp "$TMP/extra/x.jsonl" "$TMP/fdocs/"
edit "$TMP/ta.json" "$TMP/tf.json" "j['sources'].append({'name': 'f', 'files': '$TMP/fdocs'})"
W8=$TMP/work8
$BLALM run "$TMP/tf.json" --work "$W8" -q >"$TMP/t8" 2>&1; rc=$?
had=$(find "$W8/attributes" -path '*/f/*' | wc -l)
mv "$TMP/fdocs/x.jsonl" "$TMP/unmounted/"
$BLALM run "$TMP/tf.json" --work "$W8" -q >"$TMP/t9" 2>&1; rc2=$?
left=$(find "$W8/attributes" -path '*/f/*' | wc -l)
if [ $rc = 0 ] && [ $rc2 != 0 ] && [ "$had" -gt 0 ] && [ "$left" = "$had" ] \
   && grep -q "fetch f: the files source's folder $TMP/fdocs holds no document files .*nothing removed" "$TMP/t9"; then
    pass run_changes_files_empty
else
    fail run_changes_files_empty "rc $rc/$rc2, f's attribute files $had, then $left; $(tail -c 400 "$TMP/t8" "$TMP/t9" | tr '\n' '|')"
fi
