#!/usr/bin/env bash
# blalm tag end to end: attribute files per set, line-aligned and finite,
# completion markers and reruns, shards, config, taggers, bad input.
source "$(dirname "$0")/../lib.sh"
W=$TMP/w
mkdir -p "$W/docs/src"
"$PY" - "$W/docs/src" <<'PY'
import json, sys
d = sys.argv[1]
long = "The committee met on Tuesday to discuss the budget. " * 20
docs = [
    {"id": "a", "text": long + "\nIt was agreed that the plan would go ahead.\n"},
    {"id": "empty", "text": ""},
    {"id": "space", "text": "   \n\n\t "},
    {"id": "punct", "text": "!!! ... ??? --- ,,,"},
    {"id": "nul", "text": "Hello\u0000world, this has a NUL byte inside it."},
    {"id": "accents", "text": "Caf\u00e9 na\u00efve d\u00e9j\u00e0 vu. \u00dcber alles!"},
    {"id": "a", "text": long},
]
with open(f"{d}/one.jsonl", "w") as f:
    for x in docs:
        f.write(json.dumps(x) + "\n")
with open(f"{d}/two.jsonl", "w") as f:
    f.write(json.dumps({"id": "b", "text": "Short text here."}) + "\n")
PY

check tag_help "$BLALM" tag --help
if "$BLALM" tag --work "$W" --quiet 2>"$TMP/err"; then pass tag_runs; else fail tag_runs "$(cat "$TMP/err")"; fi

# every set has one line per document, same ids, finite numbers
if "$PY" - "$W" <<'PY' >"$TMP/out" 2>&1
import json, subprocess, sys, math
w = sys.argv[1]
sets = ["readability", "gopher_quality", "gopher_repetition", "c4", "fineweb"]
ids = [json.loads(l)["id"] for l in open(f"{w}/docs/src/one.jsonl")]
for s in sets:
    rows = [json.loads(l) for l in subprocess.run(["zstd", "-dc", f"{w}/attributes/{s}/src/one.jsonl.zst"],
            check=True, capture_output=True).stdout.decode().splitlines()]
    assert [r["id"] for r in rows] == ids, (s, [r["id"] for r in rows])
    for r in rows:
        for k, v in r[s].items():
            assert v is None and k.startswith("reason") or not isinstance(v, float) or math.isfinite(v), (s, k, v)
        if s != "readability":
            assert isinstance(r[s]["pass"], bool) and "reason" in r[s], r
r = {x["id"]: x["readability"] for x in map(json.loads, subprocess.run(["zstd", "-dc",
     f"{w}/attributes/readability/src/one.jsonl.zst"], capture_output=True).stdout.decode().splitlines())}
for i in ["empty", "space", "punct"]:
    assert r[i]["words"] == 0 and r[i]["flesch_reading_ease"] == 0 and r[i]["dale_chall"] == 0, r[i]
assert r["accents"]["words"] == 6, r["accents"]
assert r["nul"]["words"] >= 8, r["nul"]
PY
then pass tag_attributes_aligned_finite; else fail tag_attributes_aligned_finite "$(tail -c 500 "$TMP/out")"; fi

ls "$W"/state/tag/c4/src/one.*.done >/dev/null 2>&1 && [ -f "$W/stats/tag.json" ] && pass tag_markers_and_stats || fail tag_markers_and_stats "missing marker or stats"
# every set's marker records the linked utf8proc's Unicode version (the
# quality sets' word splitter uses its tables too): an upgrade tags again
nou=$(for d in "$W"/state/tag/*/; do f=$(ls "$d"src/one.*.done 2>/dev/null) || { echo "$d: none"; continue; }
    grep -q '\["unicode","[1-9][0-9.]*"\]' "$f" || echo "$f"; done)
[ -z "$nou" ] && pass tag_markers_record_unicode || fail tag_markers_record_unicode "no unicode setting: $nou"

# rerun skips finished files; --force recomputes
cp "$W/stats/tag.json" "$TMP/tag.first.json"
"$BLALM" tag --work "$W" 2>"$TMP/err2"
grep -q "0 documents in 0 files (2 skipped" "$TMP/err2" && pass tag_rerun_skips || fail tag_rerun_skips "$(cat "$TMP/err2")"
# stats/tag.json describes the whole set, files complete before included (it
# said 0 documents after a rerun); this invocation's work is under this_run.
# The whole set's figures are checked against the attribute files themselves.
tag_stats_check() { # STATS FILES SKIPPED
    "$PY" - "$W" "$@" <<'PY'
import json, subprocess, sys
w, stats, files, skipped = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
st = json.load(open(stats))
sets = ["gopher_quality", "gopher_repetition", "c4", "fineweb"]
docs, passes = 0, {s: 0 for s in sets}
for name in ["one", "two"]:
    docs += sum(1 for _ in open(f"{w}/docs/src/{name}.jsonl"))
    for s in sets:
        out = subprocess.run(["zstd", "-dc", f"{w}/attributes/{s}/src/{name}.jsonl.zst"], check=True, capture_output=True).stdout
        passes[s] += sum(json.loads(l)[s]["pass"] for l in out.decode().splitlines())
want = {"files": 2, "docs": docs, "invalid_utf8": 0, "pass": passes}
got = {k: st.get(k) for k in want}
assert got == want, (got, want)
run = st["this_run"]
assert (run["files"], run["files_skipped"]) == (files, skipped), run
assert skipped < 2 or (run["docs"], run["bytes"]) == (0, 0), run
assert "seconds" in run and 0 < passes["c4"] < docs, (run, passes)
PY
}
tag_stats_check "$TMP/tag.first.json" 2 0 >"$TMP/out" 2>&1 && tag_stats_check "$W/stats/tag.json" 0 2 >>"$TMP/out" 2>&1 &&
    pass tag_stats_whole_set_after_rerun || fail tag_stats_whole_set_after_rerun "$(tail -c 400 "$TMP/out")"
# a file redone for one set only (its c4 marker gone) still counts whole
rm "$W"/state/tag/c4/src/two.*.done
"$BLALM" tag --work "$W" -q 2>"$TMP/err2"
tag_stats_check "$W/stats/tag.json" 1 1 >"$TMP/out" 2>&1 && pass tag_stats_whole_set_partial_redo ||
    fail tag_stats_whole_set_partial_redo "$(tail -c 400 "$TMP/out")"
# a marker keeping no counts (an earlier blalm's) is measured again, not
# left out of the totals
m=$(ls "$W"/state/tag/fineweb/src/one.*.done)
"$PY" -c 'import json,sys; p=sys.argv[1]; m=json.load(open(p)); m["result"]={}; json.dump(m, open(p, "w"))' "$m"
"$BLALM" tag --work "$W" 2>"$TMP/err2"
grep -q "7 documents in 1 files (1 skipped" "$TMP/err2" && tag_stats_check "$W/stats/tag.json" 1 1 >"$TMP/out" 2>&1 &&
    pass tag_stats_marker_without_counts_redone || fail tag_stats_marker_without_counts_redone "$(cat "$TMP/err2"; tail -c 400 "$TMP/out")"
"$BLALM" tag --work "$W" --force --taggers fineweb 2>"$TMP/err3"
grep -q "8 documents in 2 files" "$TMP/err3" && pass tag_force || fail tag_force "$(cat "$TMP/err3")"

# shards split the file list
S=$TMP/s; mkdir -p "$S"; cp -r "$W/docs" "$S/"
"$BLALM" tag --work "$S" --shard 0/2 --taggers c4 --quiet && "$BLALM" tag --work "$S" --shard 1/2 --taggers c4 --quiet
[ -f "$S/attributes/c4/src/one.jsonl.zst" ] && [ -f "$S/attributes/c4/src/two.jsonl.zst" ] && \
  [ -f "$S/stats/tag-0-of-2.json" ] && [ -f "$S/stats/tag-1-of-2.json" ] && pass tag_shards || fail tag_shards "shard outputs missing"

# the same split from a Slurm array (any first index) and from Open MPI; --shard wins
E=$TMP/e; mkdir -p "$E"; cp -r "$W/docs" "$E/"
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=2 \
  "$BLALM" tag --work "$E" --taggers c4 --quiet 2>"$TMP/se1"
[ ! -e "$E/attributes/c4/src/one.jsonl.zst" ] && [ -f "$E/attributes/c4/src/two.jsonl.zst" ] && \
  [ -f "$E/stats/tag-1-of-2.json" ] && pass tag_shard_slurm || fail tag_shard_slurm "$(cat "$TMP/se1") $(find "$E/attributes" "$E/stats" -type f | tr '\n' ' ')"
OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=2 "$BLALM" tag --work "$E" --taggers c4 --quiet 2>"$TMP/se2"
[ -f "$E/attributes/c4/src/one.jsonl.zst" ] && [ -f "$E/stats/tag-0-of-2.json" ] && \
  pass tag_shard_openmpi || fail tag_shard_openmpi "$(cat "$TMP/se2")"
# a one-task Slurm array whose task runs mpirun -np 2: rank 1 is shard 1 of 2
# (0*2+1; before, both ranks took the whole task, the same files at once)
E2=$TMP/e2; mkdir -p "$E2"; cp -r "$W/docs" "$E2/"
SLURM_ARRAY_TASK_ID=4 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=1 OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 \
  "$BLALM" tag --work "$E2" --taggers c4 --quiet 2>"$TMP/se3"
[ ! -e "$E2/attributes/c4/src/one.jsonl.zst" ] && [ -f "$E2/attributes/c4/src/two.jsonl.zst" ] && \
  [ -f "$E2/stats/tag-1-of-2.json" ] && pass tag_shard_slurm_task_with_mpirun || fail tag_shard_slurm_task_with_mpirun "$(cat "$TMP/se3")"
OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 "$BLALM" tag --work "$E" --taggers fineweb --shard 0/1 --quiet 2>"$TMP/se3"
[ -f "$E/attributes/fineweb/src/one.jsonl.zst" ] && [ -f "$E/attributes/fineweb/src/two.jsonl.zst" ] && \
  pass tag_shard_flag_wins || fail tag_shard_flag_wins "$(cat "$TMP/se3")"
OMPI_COMM_WORLD_RANK=2 OMPI_COMM_WORLD_SIZE=2 "$BLALM" tag --work "$E" --taggers c4 --quiet 2>"$TMP/se4"; rc=$?
[ $rc = 2 ] && grep -q "OMPI_COMM_WORLD_RANK" "$TMP/se4" && pass tag_shard_env_bad || fail tag_shard_env_bad "rc=$rc $(cat "$TMP/se4")"

# unknown tagger: usage error naming the known ones
"$BLALM" tag --work "$W" --taggers readability,bogus 2>"$TMP/e4"; rc=$?
[ $rc = 2 ] && grep -q "unknown tagger 'bogus' (known taggers: readability, gopher, c4, fineweb)" "$TMP/e4" && \
  pass tag_unknown_tagger || fail tag_unknown_tagger "rc=$rc $(head -c 300 "$TMP/e4")"
"$BLALM" tag --work "$W" --bogus 2>/dev/null; [ $? = 2 ] && pass tag_unknown_flag || fail tag_unknown_flag "expected exit 2"

# config: unknown key rejected by name; thresholds change verdicts
echo '{"gopher_quality": {"min_doc_word": 1}}' >"$TMP/bad.json"
"$BLALM" tag --work "$W" --config "$TMP/bad.json" 2>"$TMP/e5"; rc=$?
[ $rc = 1 ] && grep -q 'unknown key "min_doc_word"' "$TMP/e5" && pass tag_config_unknown_key || fail tag_config_unknown_key "rc=$rc $(cat "$TMP/e5")"
echo '{"gopher_quality": {"min_doc_words": null}, "fineweb": {"line_punct_thr": 0}}' >"$TMP/ok.json"
# no --force: other thresholds make other completion markers, so this recomputes
"$BLALM" tag --work "$W" --config "$TMP/ok.json" --taggers gopher --quiet
zstd -dc "$W/attributes/gopher_quality/src/two.jsonl.zst" | grep -qv gopher_short_doc && pass tag_config_thresholds || fail tag_config_thresholds "short doc still fails with min_doc_words null"

# bad input: malformed JSON -> error naming the file, nothing half-written
B=$TMP/b; mkdir -p "$B/docs/x"
printf '{"id": "1", "text": "fine"}\n{"id": 2, "text": \n' >"$B/docs/x/bad.jsonl"
"$BLALM" tag --work "$B" --quiet 2>"$TMP/e6"; rc=$?
left=$(find "$B/attributes" -type f 2>/dev/null | wc -l)
[ $rc = 1 ] && grep -q "bad.jsonl" "$TMP/e6" && [ "$left" = 0 ] && pass tag_bad_json_nothing_written || \
  fail tag_bad_json_nothing_written "rc=$rc files=$left $(head -c 300 "$TMP/e6")"
printf '{"id": "1", "text": "caf\xe9"}\n' >"$B/docs/x/bad.jsonl"
"$BLALM" tag --work "$B" --quiet 2>"$TMP/e7"; rc=$?
[ $rc = 1 ] && [ "$(find "$B/attributes" -type f 2>/dev/null | wc -l)" = 0 ] && pass tag_invalid_utf8_json_rejected || \
  fail tag_invalid_utf8_json_rejected "rc=$rc $(head -c 300 "$TMP/e7")"

# one 64 MiB line
L=$TMP/l; mkdir -p "$L/docs/big"
"$PY" - "$L/docs/big/big.jsonl" <<'PY'
import json, sys
chunk = ("x" * 99_999 + " ") + ("word " * 20_000)
text = (chunk * (64 * 2**20 // len(chunk) + 1))[: 64 * 2**20]
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"id": "big", "text": text}) + "\n")
PY
if "$BLALM" tag --work "$L" --quiet 2>"$TMP/e8"; then
  zstd -dc "$L"/attributes/*/big/big.jsonl.zst | grep -qiE 'nan|inf' && fail tag_64mib_line "non-finite value" || pass tag_64mib_line
else fail tag_64mib_line "$(tail -c 300 "$TMP/e8")"; fi

# a killed run's temporary file (".<name>.tmp.<pid>" of a process that is
# gone) is removed when the file is written again; a live process's stays
dead=$(dead_pid)
rdir=$W/attributes/readability/src
: >"$rdir/.one.jsonl.zst.tmp.$dead"
: >"$rdir/.one.jsonl.zst.tmp.$$"
"$BLALM" tag --work "$W" --taggers readability --force --quiet 2>"$TMP/e9"
if [ ! -e "$rdir/.one.jsonl.zst.tmp.$dead" ] && [ -e "$rdir/.one.jsonl.zst.tmp.$$" ]; then
  pass tag_stale_temp_removed
else
  fail tag_stale_temp_removed "dead=$dead: $(ls -a "$rdir" | tr '\n' ' ')"
fi
rm -f "$rdir/.one.jsonl.zst.tmp.$$"

# the pronouncing dictionary: --cmudict FILE|none, errors, the method recorded
C=$TMP/c; mkdir -p "$C/docs/src"
printf '{"id": "b", "text": "Short text here."}\n' >"$C/docs/src/two.jsonl"
"$BLALM" tag --work "$C" --taggers readability --cmudict /nonexistent/cmudict.dict --quiet 2>"$TMP/c1"; rc=$?
[ $rc = 1 ] && grep -q "/nonexistent/cmudict.dict" "$TMP/c1" && [ ! -e "$C/attributes" ] && \
  pass tag_cmudict_missing_file || fail tag_cmudict_missing_file "rc=$rc $(head -c 300 "$TMP/c1")"
printf 'SHORT  SH AO1 R T\nTEXT  t eh1 k s t\n' >"$TMP/bad.dict"
"$BLALM" tag --work "$C" --taggers readability --cmudict "$TMP/bad.dict" --quiet 2>"$TMP/c2"; rc=$?
[ $rc = 1 ] && grep -q "bad.dict:2:" "$TMP/c2" && pass tag_cmudict_bad_line || fail tag_cmudict_bad_line "rc=$rc $(head -c 300 "$TMP/c2")"
# "short" with three stressed phonemes (a made-up entry), "(1)" alternatives ignored
printf ';;; test\nSHORT  SH AO1 R T IY1 IY1\nSHORT(1)  SH AO1 R T\nHERE  HH IY1 R\n' >"$TMP/ok.dict"
"$BLALM" tag --work "$C" --taggers readability --cmudict none --quiet 2>"$TMP/c3"
m1=$(cat "$C/state/tag/readability/src/two.jsonl.done" 2>&1)
# another dictionary: the marker is stale, so the file is measured again
"$BLALM" tag --work "$C" --out "$C/attr2" --taggers readability --cmudict "$TMP/ok.dict" --quiet 2>>"$TMP/c3"
syl() { zstd -dc "$1" | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["readability"]["syllables"])'; }
a=$(syl "$C/attributes/readability/src/two.jsonl.zst"); b=$(syl "$C/attr2/readability/src/two.jsonl.zst")
[ "$a" = 3 ] && [ "$b" = 5 ] && pass tag_cmudict_syllables || fail tag_cmudict_syllables "pyphen $a, cmudict $b $(head -c 300 "$TMP/c3")"
m=$(cat "$C/state/tag/readability/src/two.jsonl.done" 2>&1)
[[ $m1 == *'"settings":[["set","readability"],["syllables","pyphen"],["rules","2"],["unicode","'[1-9]*.*'"]]'* ]] && [[ $m1 != *'"name":"cmudict"'* ]] && \
  [[ $m == *'"name":"cmudict","size":'* ]] && [[ $m == *'["syllables","cmudict+pyphen"]'* ]] && \
  [[ $m == *'"syllables":"cmudict+pyphen","cmudict":"'"$TMP"'/ok.dict","cmudict_words":2'* ]] && \
  grep -q '"readability":{"syllables":"cmudict+pyphen"' "$C/stats/tag.json" && \
  pass tag_cmudict_method_recorded || fail tag_cmudict_method_recorded "markers: $m1 / $m"
# with no dictionary found: a warning, and the method says pyphen
root=$(cd "$(dirname "$0")/../.." && pwd)
default=$root/deps/cmudict/node_modules/cmudict/lib/cmu/cmudict.0.7a
if [ -f "$default" ]; then
  skip tag_cmudict_warning "the default dictionary is installed ($default)"
else
  BLALM_CMUDICT= "$BLALM" tag --work "$C" --out "$C/attr3" --taggers readability 2>"$TMP/c4"
  grep -q "warning: no CMU Pronouncing Dictionary found" "$TMP/c4" && pass tag_cmudict_warning || \
    fail tag_cmudict_warning "$(head -c 300 "$TMP/c4")"
fi

# document files of other names (dolma's part-0000.json.gz) were skipped
# silently: "0 documents in 0 files", exit 0. Now an error naming them.
D=$TMP/dolma; mkdir -p "$D/docs/s"
printf '{"id":"a","text":"hello world"}\n' | gzip >"$D/docs/s/part-0000.json.gz"
"$BLALM" tag --work "$D" 2>"$TMP/d1"; rc=$?
[ $rc = 1 ] && grep -qF "$D/docs: no document files (names ending in .parquet, .jsonl, .jsonl.gz, .jsonl.zst" "$TMP/d1" &&
  grep -qF "not document file names, so skipped: $D/docs/s/part-0000.json.gz" "$TMP/d1" && [ ! -e "$D/attributes" ] &&
  pass tag_refuses_docs_of_other_names || fail tag_refuses_docs_of_other_names "rc=$rc $(head -c 400 "$TMP/d1")"
# hidden shards (a `shard --prefix .x` of old) are named too
mkdir -p "$D/docs/h"; cp "$W/docs/src/two.jsonl" "$D/docs/h/.x-00000.jsonl"; rm "$D/docs/s/part-0000.json.gz"
"$BLALM" tag --work "$D" 2>"$TMP/d2"; rc=$?
[ $rc = 1 ] && grep -qF "hidden (names starting with '.'), so skipped: $D/docs/h/.x-00000.jsonl" "$TMP/d2" &&
  pass tag_refuses_only_hidden_docs || fail tag_refuses_only_hidden_docs "rc=$rc $(head -c 400 "$TMP/d2")"
# with documents beside them, the others are a warning (fetch's .meta sidecars are not)
printf '{"id":"a","text":"hello world"}\n' | gzip >"$D/docs/s/part-0000.json.gz"
cp "$W/docs/src/two.jsonl" "$D/docs/s/two.jsonl"; : >"$D/docs/s/two.jsonl.meta"
"$BLALM" tag --work "$D" --taggers c4 2>"$TMP/d3"; rc=$?
[ $rc = 0 ] && grep -qF "blalm tag: warning: skipped 1 file under $D/docs whose names are not document file names (.parquet" "$TMP/d3" &&
  grep -qF "): $D/docs/s/part-0000.json.gz" "$TMP/d3" && ! grep -q "two.jsonl.meta" "$TMP/d3" &&
  [ -s "$D/attributes/c4/s/two.jsonl.zst" ] &&
  pass tag_warns_of_skipped_files || fail tag_warns_of_skipped_files "rc=$rc $(head -c 400 "$TMP/d3")"

# --config takes a run config: its "tag" member, whose "taggers" (refused as an
# unknown key before) chooses the taggers when --taggers is not given
R=$TMP/runcfg; mkdir -p "$R/docs"; cp -r "$W/docs/src" "$R/docs/"
cat >"$TMP/run.json" <<'JSON'
{"sources": [{"name": "src", "files": "/nowhere"}],
 "tag": {"taggers": ["c4", "fineweb"], "fineweb": {"line_punct_thr": 0}},
 "dedup": {"bands": 20}, "corpora": {"rules": []}}
JSON
"$BLALM" tag --work "$R" --config "$TMP/run.json" -q 2>"$TMP/r1"; rc=$?
[ $rc = 0 ] && [ "$(ls "$R/attributes" | tr '\n' ' ')" = "c4 fineweb " ] &&
  grep -q '"command":"blalm tag --taggers c4 --config ' "$R/attributes/c4/src/two.record.json" &&
  pass tag_config_run_config_taggers || fail tag_config_run_config_taggers "rc=$rc $(ls "$R/attributes" 2>&1 | tr '\n' ' ') $(head -c 300 "$TMP/r1")"
"$BLALM" tag --work "$R" --config "$TMP/run.json" --taggers gopher -q 2>"$TMP/r2"; rc=$?
[ $rc = 0 ] && [ -d "$R/attributes/gopher_quality" ] && [ ! -d "$R/attributes/readability" ] &&
  pass tag_config_taggers_flag_wins || fail tag_config_taggers_flag_wins "rc=$rc $(head -c 300 "$TMP/r2")"
echo '{"tag": {"taggers": ["c4,gopher"]}}' >"$TMP/badtaggers.json"
"$BLALM" tag --work "$R" --config "$TMP/badtaggers.json" -q 2>"$TMP/r3"; rc=$?
[ $rc = 1 ] && grep -q 'taggers: "c4,gopher" is not a tagger' "$TMP/r3" &&
  pass tag_config_bad_taggers || fail tag_config_bad_taggers "rc=$rc $(head -c 300 "$TMP/r3")"

# --syllables refuses invalid UTF-8 as the documents' readers do, naming the
# line and byte (it printed a count for the bytes as they were)
printf 'hello\na\377b\nworld\n' | "$BLALM" tag --syllables --cmudict none >"$TMP/s1" 2>"$TMP/s2"; rc=$?
[ $rc = 1 ] && [ "$(cat "$TMP/s1")" = 2 ] && grep -q 'stdin:2: byte 2: invalid UTF-8' "$TMP/s2" &&
  pass tag_syllables_invalid_utf8 || fail tag_syllables_invalid_utf8 "rc=$rc out=$(head -c 100 "$TMP/s1" | tr '\n' ' ') $(head -c 300 "$TMP/s2")"
