#!/usr/bin/env bash
# blalm report on a real small pipeline run (tag, dedup, score through the
# loopback stand-in, assemble, audit, a tiny DynMod training run, eval --fast
# on its milestone checkpoints when ../shared/data/babylm-eval is present):
# the report's numbers equal what assemble, audit, score and dedup report;
# hostile document text is shown as text; absent data is said to be absent;
# bad input fails naming the file and leaves nothing written; and headless
# Chromium renders every chart (coloured pixels inside each chart's box) with
# no console message.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"   # start_peer / stop_peers (its trap removes $TMP)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CHECK="$PY $here/report_check.py"

# every chromium this test starts runs in its own process group with a
# profile folder under $TMP; both are used to stop it, also on failure
CHROME_PGIDS=()
PROFILE=$TMP/chromium-profile
# ours: the pids with an argument exactly --user-data-dir=$PROFILE (one grep over
# /proc; anchored, so that grep's own argument, which starts with ^, is not one)
ours() {
    grep -lzE -- "^--user-data-dir=$PROFILE\$" /proc/[0-9]*/cmdline 2>/dev/null | sed 's|^/proc/\([0-9]*\)/cmdline$|\1|'
}
stop_chromium() {
    local g p
    for g in "${CHROME_PGIDS[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
    for p in $(ours); do kill -KILL "$p" 2>/dev/null; done   # helpers that left the group
    CHROME_PGIDS=()
}
trap 'stop_chromium; stop_peers; rm -rf "$TMP"' EXIT

W=$TMP/work OUT=$TMP/corpora RUN=$TMP/run
mkdir -p "$W/docs/fw" "$W/docs/a-hostile"

# ---- the documents: real FineWeb when present (four files that share documents,
# so dedup finds clusters), else synthetic ones with repeats; plus hostile text
if need_shared && [ -d "$SHARED_DATA/fineweb-legal" ]; then
    for n in 01 49 52 54; do cp "$SHARED_DATA/fineweb-legal/batch_0000$n.parquet" "$W/docs/fw/"; done
    real=1
else
    echo "SKIP report_real_text: ../shared/data not found; synthetic documents instead of FineWeb"
    "$PY" - "$W/docs/fw" <<'EOF'
import json, random, sys
rnd = random.Random(5)
words = ("the river carried water from the mountains to the sea and people built towns along it "
         "students learned how plants use light to make food and why the seasons change each year").split()
docs = []
for i in range(240):
    sents = [" ".join(rnd.choice(words) for _ in range(rnd.randint(8, 16))).capitalize() + "." for _ in range(rnd.randint(20, 60))]
    docs.append({"id": "syn-%d" % i, "text": " ".join(sents)})
for f in range(3):
    with open("%s/part-%d.jsonl" % (sys.argv[1], f), "w") as out:
        for d in docs[f * 60:(f + 1) * 60] + docs[:15]:     # the first 15 repeat in every file
            out.write(json.dumps(d) + "\n")
EOF
    real=0
fi
MARK=pwned
"$PY" - "$W/docs/a-hostile/h.jsonl" "$MARK" <<'EOF'
import json, sys
path, mark = sys.argv[1], sys.argv[2]
prose = ("The council met on Tuesday to discuss the new library. Members agreed that the building "
         "should open in the spring, and they asked the town to publish the plans. ") * 6
bad = ('<b id="%s">bold</b> </script><script>document.title="%s"</script> <!-- x --> '
       '&amp; &lt; "double" \'single\' <svg onload=alert(1)> ]]> \u0000 \u0007 end. ' % (mark, mark))
lines = []
for i in range(6):
    d = {"id": '<i id="%s-id-%d">&"\'' % (mark, i), "text": (prose if i % 2 else "") + bad + prose[: 40 * i]}
    lines.append(json.dumps(d).encode())
open(path, "wb").write(b"\n".join(lines) + b"\n")
EOF

# ---- the pipeline, as the demo runs it ----
ok=1
run_stage() { local name=$1; shift; "$@" >"$TMP/$name.out" 2>&1 || { fail "report_pipeline" "$name: $(tail -c 500 "$TMP/$name.out")"; ok=0; }; }
run_stage tag "$BLALM" tag --work "$W" -q
[ $ok = 1 ] && run_stage dedup "$BLALM" dedup --work "$W" -q
if [ $ok = 1 ]; then
    start_peer P --latency 0
    run_stage score env OPENAI_API_KEY=test-key "$BLALM" score --work "$W" --endpoint "http://127.0.0.1:$P/v1" \
        --model stand-in --concurrency 8 --where 'gopher_quality.pass && dedup.keep' -q
    stop_peers
fi
# the local scorer, learnt from those labels, scores every document (edu_local)
[ $ok = 1 ] && run_stage distill_train "$BLALM" distill train --work "$W" --labels edu_llm.score --skip-unlabelled \
    --folds 3 --out "$TMP/edu.distill" -q
[ $ok = 1 ] && run_stage distill_score "$BLALM" distill score --work "$W" --model "$TMP/edu.distill" -q
cat >"$TMP/corpora.json" <<'EOF'
{"corpora": [{"name": "strict", "budget": 60000, "dev_words": 3000},
             {"name": "strict-small", "budget": 8000, "dev_words": 1000, "subset_of": "strict"}],
 "rules": ["gopher_quality.pass", "fineweb.pass", "edu_llm.score >= 1", "readability.flesch_reading_ease >= 30"],
 "ranking": ["edu_llm.score desc", "readability.flesch_reading_ease desc"], "seed": 0}
EOF
[ $ok = 1 ] && run_stage assemble "$BLALM" assemble --work "$W" --out "$OUT" --config "$TMP/corpora.json" -q
[ $ok = 1 ] && run_stage audit "$BLALM" audit --work "$W" --export "$TMP/audit.jsonl" -q
# a tiny DynMod model; the milestones scaled down so that two checkpoints exist
sed 's/"context": 32/"context": 1024/' "$root/configs/model-tiny-swa-dynmod.json" >"$TMP/model.json"
[ $ok = 1 ] && run_stage train "$BLALM" train --corpus "$OUT/strict-small" --model "$TMP/model.json" --out "$RUN" \
    --max-steps 70 --test-words-scale 0.001 --track strict-small -q
have_eval=0
if [ $ok = 1 ] && need_shared && [ -d "$SHARED_DATA/babylm-eval" ]; then
    run_stage eval "$BLALM" eval --run "$RUN" --data "$SHARED_DATA/babylm-eval" --all-checkpoints --tasks blimp -q
    have_eval=$ok
elif [ $ok = 1 ]; then
    echo "SKIP report_eval_data: ../shared/data/babylm-eval not found; the report's eval section is checked as absent"
fi
[ $ok = 1 ] || exit 0

# ---- the report and its numbers ----
H=$TMP/report.html
if "$BLALM" report --work "$W" --corpora "$OUT" --run "$RUN" --out "$H" 2>"$TMP/err" && [ -s "$H" ]; then
    pass report_builds
else
    fail report_builds "$(cat "$TMP/err")"; exit 0
fi
check report_numbers $CHECK numbers "$H" "$W" "$OUT" "$RUN" "$TMP/audit.jsonl"
grep -q 'STAND-IN endpoint' "$H" && grep -q 'stand-in: blalm loopback test peer' "$H" \
    && pass report_standin_labelled || fail report_standin_labelled "no stand-in label"
charts="funnel llm-score local-score readability dedup corpora loss alpha"
[ $have_eval = 1 ] && charts="$charts eval-tasks eval-blimp"
missing=
for c in $charts; do grep -q "<figure class=\"chart\" id=\"chart-$c\">" "$H" || missing="$missing $c"; done
[ -z "$missing" ] && pass report_charts_present || fail report_charts_present "missing:$missing"
if [ $have_eval = 1 ]; then
    grep -q '<td>syntax</td>\|syntax (fast)' "$H" && pass report_blimp_fields || fail report_blimp_fields "no BLiMP field"
    # the real fast BLiMP data: eval marks it official, and the table says so
    grep -q '<td>blimp</td><td class="n">[^<]*</td><td>official</td></tr>' "$H" && pass report_eval_official \
        || fail report_eval_official "$(grep -o '<td>blimp</td>.\{0,120\}' "$H" | head -2)"
else
    grep -q 'No data: no RUN/checkpoints/' "$H" && pass report_eval_absent || fail report_eval_absent "no absent note"
fi
# kept and dropped examples; a rule-dropped one shows the values its rule read, as audit does
grep -q '<tr class="kept">' "$H" \
    && grep -q '<tr class="dropped"><td>dropped</td><td>excluded by rules\[2\]: edu_llm.score &gt;= 1 (read: edu_llm.score = \(0\|null\))' "$H" \
    && pass report_examples || fail report_examples "no kept and rule-dropped examples"

# ---- absent data is said to be absent ----
# (its source folder's name is markup: shown escaped; a name that is not
# UTF-8 is refused, as every command that walks WORK/docs refuses it, with
# its bytes escaped and no page written)
A=$TMP/bare
mkdir -p "$A/docs/"$'<b id="pwned2">\xff' && cp "$W/docs/a-hostile/h.jsonl" "$A/docs/"$'<b id="pwned2">\xff/'
"$BLALM" report --work "$A" --out "$TMP/bare.html" -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && [ ! -e "$TMP/bare.html" ] && grep -qF '\xff' "$TMP/err" && ! grep -q $'\xff' "$TMP/err" \
    && pass report_source_name_not_utf8 || fail report_source_name_not_utf8 "rc $rc: $(head -c 300 "$TMP/err")"
rm -rf "$A/docs"
src='<b id="pwned2">'
mkdir -p "$A/docs/$src" && cp "$W/docs/a-hostile/h.jsonl" "$A/docs/$src/"
if "$BLALM" report --work "$A" --out "$TMP/bare.html" -q 2>"$TMP/err"; then
    grep -qF '&lt;b id=&quot;pwned2&quot;&gt;/h.jsonl row 0' "$TMP/bare.html" \
        && ! grep -q 'pwned2">' "$TMP/bare.html" && "$PY" -c 'import sys; open(sys.argv[1], encoding="utf-8").read()' "$TMP/bare.html" \
        && pass report_hostile_source_name || fail report_hostile_source_name "not escaped or not UTF-8"
    n=$(grep -c '<p class="absent">No data: ' "$TMP/bare.html")
    # scorer, funnel, LLM scores, local scores, readability, dedup, corpora, loss, alpha, eval
    [ "$n" -ge 10 ] && ! grep -q '<figure class="chart"' "$TMP/bare.html" \
        && pass report_absent_sections || fail report_absent_sections "$n absent notes"
else
    fail report_absent_sections "$(cat "$TMP/err")"
fi

# ---- bad input: a clear error naming the file, nothing written ----
# bad NAME EXPECTED-IN-MESSAGE ARGS...: fails with status 1, says EXPECTED, keeps the old --out file
bad() {
    local name=$1 want=$2; shift 2
    echo old >"$TMP/bad.html"
    "$BLALM" report "$@" --out "$TMP/bad.html" 2>"$TMP/err"; local rc=$?
    if [ $rc = 1 ] && grep -qF -- "$want" "$TMP/err" && [ "$(cat "$TMP/bad.html")" = old ] \
       && [ -z "$(find "$TMP" -maxdepth 1 -name '.bad.html*')" ]; then
        pass "$name"
    else
        fail "$name" "rc=$rc: $(cat "$TMP/err")"
    fi
}
bad report_missing_work "$TMP/nowhere: no such work directory" --work "$TMP/nowhere"
bad report_missing_run "$TMP/norun: no such run directory" --work "$W" --run "$TMP/norun"
R2=$TMP/badrun; mkdir -p "$R2/checkpoints"
head -3 "$RUN/log.jsonl" >"$R2/log.jsonl"; echo '{"step": 4, "loss": 1.5' >>"$R2/log.jsonl"
bad report_corrupt_log "$R2/log.jsonl:4: expected a JSON object" --work "$W" --run "$R2"
# a last line without its newline is one training is writing while the
# report reads: left out with a note, the lines before it drawn
head -3 "$RUN/log.jsonl" >"$R2/log.jsonl"; printf '{"step": 4, "loss": 1.' >>"$R2/log.jsonl"
if "$BLALM" report --work "$W" --run "$R2" --out "$TMP/partial.html" -q 2>"$TMP/err"; then
    want=$(head -3 "$RUN/log.jsonl" | grep -c '"loss":')
    got=$($CHECK data "$TMP/partial.html" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["run"]["loss_points"])')
    grep -qF "$R2/log.jsonl:4: the last line has no newline" "$TMP/err" && [ "$want" -ge 1 ] && [ "$got" = "$want" ] \
        && pass report_log_partial_last_line || fail report_log_partial_last_line "loss points $got, want $want: $(cat "$TMP/err")"
else
    fail report_log_partial_last_line "$(cat "$TMP/err")"
fi
head -3 "$RUN/log.jsonl" >"$R2/log.jsonl"
printf '{"tasks": {"blimp": {"score": 50}' >"$R2/checkpoints/chck_1M.eval_fast.json"
bad report_corrupt_eval "$R2/checkpoints/chck_1M.eval_fast.json: byte 32: expected JSON" --work "$W" --run "$R2"
echo '{"checkpoint": "x"}' >"$R2/checkpoints/chck_1M.eval_fast.json"
bad report_eval_without_tasks "chck_1M.eval_fast.json: expected an eval.json with a \"tasks\" object" --work "$W" --run "$R2"
C2=$TMP/badcorpora; mkdir -p "$C2/strict"; echo '{"budget": 5,' >"$C2/strict/manifest.json"
bad report_corrupt_manifest "$C2/strict/manifest.json: byte" --work "$W" --corpora "$C2"
"$BLALM" report --work "$W" --out "$H/r.html" 2>"$TMP/err"   # its folder is a file
[ $? = 1 ] && grep -q 'report.html' "$TMP/err" && pass report_unwritable_out || fail report_unwritable_out "$(cat "$TMP/err")"
"$BLALM" report --work "$W" >/dev/null 2>&1; [ $? = 2 ] && pass report_needs_out || fail report_needs_out "not a usage error"
# --out naming a folder: said so before anything is written (it said "rename
# .../.adir.tmp.PID -> .../adir: Is a directory" after building the page)
mkdir -p "$TMP/adir"
"$BLALM" report --work "$W" --out "$TMP/adir" -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "adir: a folder, expected a file to write" "$TMP/err" && [ -z "$(ls -A "$TMP/adir")" ] \
    && [ -z "$(ls -a "$TMP" | grep '^\.adir\.tmp')" ] && pass report_out_folder_refused || fail report_out_folder_refused "rc $rc $(head -c 300 "$TMP/err")"
"$BLALM" report --help | grep -q '^usage: blalm report --work WORK' && pass report_help || fail report_help "no usage"

# decisions whose corpus was replaced since (an interrupted assemble) are shown with a warning
cp -r "$OUT" "$TMP/corpora.bak"
sed -i 's/\("index": {[^}]*"sha256": "\)[0-9a-f]*/\10000/' "$OUT/strict/manifest.json"
"$BLALM" report --work "$W" --out "$TMP/stale.html" -q 2>"$TMP/err" \
    && grep -q "id=\"stale\">Warning: $OUT/strict/manifest.json: its index differs" "$TMP/stale.html" \
    && ! grep -q 'id="stale"' "$H" && pass report_stale_decisions_warned || fail report_stale_decisions_warned "$(cat "$TMP/err")"
rm -rf "$OUT" && mv "$TMP/corpora.bak" "$OUT"
# a manifest that is there but not valid JSON is named as such in that
# warning (it said "missing")
cp "$OUT/strict/manifest.json" "$TMP/manifest.bak"
printf '{"budget": 5,' >"$OUT/strict/manifest.json"
"$BLALM" report --work "$W" --out "$TMP/stale.html" -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && grep -q "id=\"stale\">Warning: $OUT/strict/manifest.json: byte [0-9]*: expected JSON (the file is not valid JSON); so the assemble decisions cannot be matched" "$TMP/stale.html" \
    && ! grep -q "manifest.json: missing" "$TMP/stale.html" \
    && pass report_stale_manifest_corrupt || fail report_stale_manifest_corrupt "rc $rc: $(grep -o 'id="stale">[^<]*' "$TMP/stale.html") $(head -c 300 "$TMP/err")"
cp "$TMP/manifest.bak" "$OUT/strict/manifest.json"
# corpora moved since assemble (a copied job): found under --corpora by
# name, so no warning; without --corpora the warning says they are missing
# from where assemble wrote them, as audit says it (it said "these decisions
# belong to another assemble run", also with --corpora naming the moved folder)
mv "$OUT" "$TMP/moved"
"$BLALM" report --work "$W" --corpora "$TMP/moved" --out "$TMP/moved.html" -q 2>"$TMP/err"; rc=$?
"$BLALM" report --work "$W" --out "$TMP/moved2.html" -q 2>>"$TMP/err"; rc2=$?
mv "$TMP/moved" "$OUT"
[ $rc = 0 ] && [ $rc2 = 0 ] && ! grep -q 'class="absent[^"]*"[^>]*>Warning' "$TMP/moved.html" \
    && grep -q "id=\"stale\">Warning: $OUT/str[a-z-]*/manifest.json: missing, but assemble wrote corpus &#39;str[a-z-]*&#39; there (run.json): moved or deleted since?" "$TMP/moved2.html" \
    && ! grep -q 'another assemble run' "$TMP/moved2.html" \
    && pass report_corpora_moved || fail report_corpora_moved "rc $rc $rc2: $(grep -o 'Warning: [^<]*' "$TMP/moved.html" "$TMP/moved2.html" | head -3) $(head -c 300 "$TMP/err")"

# --corpora from another assemble run than WORK's decisions (a corpus whose
# index differs from the one run.json records, one run.json does not name):
# the corpora section warns (it said nothing)
C5=$TMP/corpora5; cp -r "$OUT" "$C5"
sed -i 's/\("index": {[^}]*"sha256": "\)[0-9a-f]*/\1abcd/' "$C5/strict/manifest.json"
mv "$C5/strict-small" "$C5/other"
"$PY" -c 'import json,sys; p=sys.argv[1]; m=json.load(open(p)); m["corpus"]="other"; json.dump(m,open(p,"w"))' "$C5/other/manifest.json"
"$BLALM" report --work "$W" --corpora "$C5" --out "$TMP/c5.html" -q 2>"$TMP/err"; rc=$?
sec=$(sed -n '/<section id="corpora">/,/<\/section>/p' "$TMP/c5.html")
[ $rc = 0 ] && printf '%s' "$sec" | grep -q "Warning: $C5/strict/manifest.json: corpus &#39;strict&#39; has index sha256 abcd…, but the assemble decisions in WORK record [0-9a-f]\{12\}… for it" \
    && printf '%s' "$sec" | grep -q "Warning: $C5/other/manifest.json: the assemble decisions in WORK record no corpus &#39;other&#39;" \
    && ! sed -n '/<section id="corpora">/,/<\/section>/p' "$H" | grep -q 'Warning' \
    && pass report_corpora_other_assemble || fail report_corpora_other_assemble "rc $rc: $(printf '%s' "$sec" | grep -o 'Warning: [^<]*' | head -3) $(head -c 300 "$TMP/err")"
rm -rf "$C5"
# more than 8 warnings: every one is shown and in the data block (the page
# kept the first 8 and dropped the rest without a word)
C6=$TMP/corpora6; mkdir -p "$C6"
for i in $(seq 10); do
    mkdir "$C6/c$i"
    "$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); m["corpus"]=sys.argv[3]; json.dump(m,open(sys.argv[2],"w"))' \
        "$OUT/strict/manifest.json" "$C6/c$i/manifest.json" "c$i"
done
"$BLALM" report --work "$W" --corpora "$C6" --out "$TMP/c6.html" -q 2>"$TMP/err"; rc=$?
n_page=$(grep -c "Warning: $C6/c[0-9]*/manifest.json: the assemble decisions in WORK record no corpus" "$TMP/c6.html")
n_data=$($CHECK data "$TMP/c6.html" | "$PY" -c 'import json,sys; print(sum(w.get("section") == "corpora" for w in json.load(sys.stdin)["warnings"]))')
[ $rc = 0 ] && [ "$n_page" = 10 ] && [ "$n_data" = 10 ] && grep -q "Warning: $C6/c9/manifest.json" "$TMP/c6.html" \
    && pass report_all_warnings_shown || fail report_all_warnings_shown "rc $rc: $n_page on the page, $n_data in the data of 10"
rm -rf "$C6"

# ---- the audit's findings (report.c) ----
# data() HTML: the embedded report-data JSON, for python one-liners
data() { $CHECK data "$1"; }
# the data block holds the numbers behind the corpora chart (words per
# source, as the manifests say), the tagger verdict table and the eval files'
# tasks (README said "the numbers behind the charts" before they were there)
got=$(data "$H" | "$PY" -c '
import json, os, sys
d = json.load(sys.stdin); out = sys.argv[1]
ok = [c["sources"] == json.load(open(os.path.join(out, c["corpus"], "manifest.json")))["sources"] for c in d["corpora"]]
print(len(d["corpora"]) == 2 and all(ok), len(d["verdicts"]) > 0 and all(0 <= v["pass"] <= v["documents"] for v in d["verdicts"]),
      len(d["evals"]) == d["run"]["eval_files"] and all("tasks" in e for e in d["evals"]))' "$OUT")
[ "$got" = "True True True" ] && pass report_data_block_numbers || fail report_data_block_numbers "corpora, verdicts, evals: $got"
# a complete job's page has no warning
! grep -q 'class="absent warning"' "$H" && [ "$(data "$H" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["warnings"]))')" = 0 ] \
    && pass report_complete_no_warning || fail report_complete_no_warning "$(grep -o 'Warning: [^<]*' "$H" | head -3)"
# the readability bin "<0" in a bar's tooltip is escaped (a raw "<0" is a parse error)
! grep -q '<title>[^<]*<0' "$H" && grep -q ', &lt;0: [0-9]*</title>' "$H" \
    && pass report_tooltip_escaped || fail report_tooltip_escaped "$(grep -o '<title>[^<]*<0[^/]*/title>' "$H" | head -2)"
# --out "": a usage error before any work, nothing written
(cd "$TMP" && "$BLALM" report --work "$W" --out "" 2>"$TMP/err"); rc=$?
[ $rc = 2 ] && grep -q -- '--out is empty' "$TMP/err" && [ -z "$(ls -a "$TMP" | grep '\.tmp\.')" ] \
    && pass report_empty_out_usage || fail report_empty_out_usage "rc $rc: $(head -c 300 "$TMP/err")"

# a rule longer than the old 512-byte decision buffer (it wrote past it): the
# dropped example shows the whole rule and the values it read
WL=$TMP/wlong; cp -r "$W" "$WL"; rm -rf "$WL/state/assemble"
long_rule="gopher_quality.pass$(printf ' && readability.words >= 0%.0s' $(seq 25))"
printf '{"corpora": [{"name": "strict", "budget": 60000, "dev_words": 3000}], "rules": ["%s"], "ranking": ["readability.flesch_reading_ease desc"], "seed": 0}\n' \
    "$long_rule" >"$TMP/long.json"
if "$BLALM" assemble --work "$WL" --out "$TMP/clong" --config "$TMP/long.json" -q 2>"$TMP/err" \
   && "$BLALM" report --work "$WL" --out "$TMP/long.html" -q 2>>"$TMP/err"; then
    want="excluded by rules[0]: $(printf '%s' "$long_rule" | sed 's/&/\&amp;/g; s/>/\&gt;/g') (read: gopher_quality.pass = false; readability.words = "
    grep -qF "$want" "$TMP/long.html" && grep -q 'readability.words = [0-9]*)</td>' "$TMP/long.html" && pass report_long_rule \
        || fail report_long_rule "$(grep -o 'excluded by rules\[0\]: .\{0,80\}' "$TMP/long.html" | head -1)"
else
    fail report_long_rule "$(cat "$TMP/err")"
fi
# the funnel chart cuts that rule with an ellipsis (it was cut at ~143 bytes
# mid-word with none), the whole rule its tooltip; the table shows it whole
fun=$(sed -n '/<figure class="chart" id="chart-funnel">/,/<\/figure>/p' "$TMP/long.html")
esc_rule=$(printf '%s' "$long_rule" | sed 's/&/\&amp;/g; s/>/\&gt;/g')
printf '%s' "$fun" | grep -qF "<title>$esc_rule</title>passes rules[0] gopher_quality.pass" \
    && printf '%s' "$fun" | grep -q '…</text>' \
    && grep -qF "<tr><td>passes rules[0] $esc_rule</td>" "$TMP/long.html" \
    && pass report_long_rule_funnel || fail report_long_rule_funnel "$(printf '%s' "$fun" | grep -o 'passes rules\[0\].\{0,200\}' | head -1)"
rm -rf "$WL" "$TMP/clong"

# files under docs/ passed over for their names are named in a warning at the
# top, as tag and the other stages warn (the page said "0 document files" and
# nothing else when docs/ held only such files)
WN=$TMP/wnames; mkdir -p "$WN/docs/x"; echo '{"id":"a","text":"b."}' >"$WN/docs/x/part-0.json"
"$BLALM" report --work "$WN" --out "$TMP/names.html" -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && grep -qF "Warning: $WN/docs: no document files (names ending in .parquet" "$TMP/names.html" \
    && grep -qF "so skipped: $WN/docs/x/part-0.json" "$TMP/names.html" || { fail report_skipped_names "rc $rc: $(grep -o 'Warning: [^<]*' "$TMP/names.html" | head -2)"; rc=9; }
cp "$WN/docs/x/part-0.json" "$WN/docs/x/part-0.jsonl"
[ $rc = 0 ] && "$BLALM" report --work "$WN" --out "$TMP/names.html" -q 2>"$TMP/err" \
    && grep -qF "Warning: skipped 1 file under $WN/docs whose names are not document file names" "$TMP/names.html" \
    && grep -qF "blalm report: warning: skipped 1 file under $WN/docs whose names" "$TMP/err" \
    && pass report_skipped_names || { [ $rc = 9 ] || fail report_skipped_names "$(grep -o 'Warning: [^<]*' "$TMP/names.html" | head -2)"; }
rm -rf "$WN"

# a 100,000-character id: shown cut to 200 bytes and an ellipsis (the page
# was 829,432 px wide), and table cells may wrap anywhere
WI=$TMP/wid; mkdir -p "$WI/docs/x"
"$PY" -c 'import json; print(json.dumps({"id": "i" * 100000, "text": "A short document."}))' >"$WI/docs/x/a.jsonl"
"$BLALM" tag --work "$WI" -q 2>"$TMP/err" && "$BLALM" report --work "$WI" --out "$TMP/id.html" -q 2>>"$TMP/err"; rc=$?
[ $rc = 0 ] && grep -q "<td>$(printf 'i%.0s' $(seq 200))…<br><small>" "$TMP/id.html" && ! grep -q 'iiiiiiiiii\{201\}' "$TMP/id.html" \
    && [ "$(stat -c %s "$TMP/id.html")" -lt 90000 ] && grep -q 'td,th{[^}]*overflow-wrap:anywhere' "$TMP/id.html" \
    && pass report_long_id_cut || fail report_long_id_cut "rc $rc: $(head -c 300 "$TMP/err")"
rm -rf "$WI"

# cut_last: the funnel's train words are the words the corpora hold (the cut
# document counts its first N words, as the manifest does), checked in full
# against the manifests, stats and audit as above
WC=$TMP/wcut OC=$TMP/corpcut; cp -r "$W" "$WC"; rm -rf "$WC/state/assemble"
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["cut_last"]=True; json.dump(c,open(sys.argv[2],"w"))' \
    "$TMP/corpora.json" "$TMP/cut.json"
if "$BLALM" assemble --work "$WC" --out "$OC" --config "$TMP/cut.json" -q 2>"$TMP/err" \
   && "$BLALM" audit --work "$WC" --export "$TMP/audit-cut.jsonl" -q 2>>"$TMP/err" \
   && "$BLALM" report --work "$WC" --corpora "$OC" --run "$RUN" --out "$TMP/cut.html" -q 2>>"$TMP/err"; then
    if grep -q '"train (cut to [0-9]* of' "$TMP/audit-cut.jsonl"; then
        check report_cut_last_numbers $CHECK numbers "$TMP/cut.html" "$WC" "$OC" "$RUN" "$TMP/audit-cut.jsonl"
    else
        fail report_cut_last_numbers "no document was cut: the case tests nothing"
    fi
else
    fail report_cut_last_numbers "$(cat "$TMP/err")"
fi
rm -rf "$WC" "$OC"

# unexpected JSON types: a manifest's "corpus" that is not a string is an error
# naming the file and the key (it crashed); an eval.json's own "file" key is
# not taken for its file name (a number crashed, a string was shown)
C3=$TMP/corpora3; cp -r "$OUT" "$C3"
"$PY" -c 'import json,sys; p=sys.argv[1]; m=json.load(open(p)); m["corpus"]=None; json.dump(m,open(p,"w"))' "$C3/strict/manifest.json"
bad report_manifest_corpus_not_string "$C3/strict/manifest.json: \"corpus\": expected a string" --work "$W" --corpora "$C3"
rm -rf "$C3"
R3=$TMP/run3; mkdir -p "$R3/checkpoints"; cp "$RUN/log.jsonl" "$R3/"
echo '{"words_seen": 1000, "suite": "fast", "file": 7, "tasks": {"blimp": {"score": 50}}}' >"$R3/checkpoints/chck_1M.eval_fast.json"
echo '{"words_seen": 2000, "suite": "fast", "file": "other.json", "tasks": {"blimp": {"score": 60, "official_data": false, "data_check": ["wh_island: 20 items, <b>x</b>"]}}}' >"$R3/checkpoints/chck_2M.eval_fast.json"
"$BLALM" report --work "$W" --run "$R3" --out "$TMP/r3.html" -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && grep -q '<tr><td>chck_1M.eval_fast.json</td>' "$TMP/r3.html" && grep -q '<tr><td>chck_2M.eval_fast.json</td>' "$TMP/r3.html" \
    && ! grep -q 'other.json' "$TMP/r3.html" && pass report_eval_file_key || fail report_eval_file_key "rc $rc: $(head -c 300 "$TMP/err")"
# eval's mark of data that is not the official one shows beside the score (escaped)
grep -q '<td><b>not the official data</b>: wh_island: 20 items, &lt;b&gt;x&lt;/b&gt;</td>' "$TMP/r3.html" \
    && grep -q '<td>(not recorded)</td>' "$TMP/r3.html" && pass report_eval_not_official \
    || fail report_eval_not_official "$(grep -o '<td>blimp</td>.\{0,160\}' "$TMP/r3.html" | head -2)"
rm -rf "$R3"
# reading has no "score": its two scores (eye tracking, self-paced reading)
# are shown as eval prints them, each a line of the chart; a score eval wrote
# as null (wug_adj's rho of constant predictions) is "n/a" (the table said
# "nan" for both, and reading's legend entry had no line)
R4=$TMP/run4; mkdir -p "$R4/checkpoints"; cp "$RUN/log.jsonl" "$R4/"
echo '{"words_seen": 1000, "suite": "fast", "tasks": {"reading": {"eye_tracking": 0.6387, "self_paced_reading": 0.2547, "items": 1726, "official_data": true}, "wug_adj": {"spearman": null, "metric": "spearman_x100", "score": null, "official_data": true}}}' >"$R4/checkpoints/chck_1M.eval_fast.json"
echo '{"words_seen": 2000, "suite": "fast", "tasks": {"reading": {"eye_tracking": 0.4369, "self_paced_reading": 0.3386, "items": 1726, "official_data": true}}}' >"$R4/checkpoints/chck_2M.eval_fast.json"
"$BLALM" report --work "$W" --run "$R4" --out "$TMP/r4.html" -q 2>"$TMP/err"; rc=$?
lines=$(sed -n '/id="chart-eval-tasks"/,/<\/figure>/p' "$TMP/r4.html" | grep -c '<polyline [^>]*points="[0-9.]*,[0-9.]* [0-9.]*,[0-9.]* "')
[ $rc = 0 ] && grep -q '<td>reading (eye tracking)</td><td class="n">0.6387</td><td>official</td>' "$TMP/r4.html" \
    && grep -q '<td>reading (self-paced)</td><td class="n">0.3386</td><td>official</td>' "$TMP/r4.html" \
    && grep -q '<td>wug_adj</td><td class="n">n/a</td>' "$TMP/r4.html" && ! grep -qi '>-\?nan\(%\)\?<' "$TMP/r4.html" \
    && [ "$lines" = 2 ] && pass report_eval_reading_scores \
    || fail report_eval_reading_scores "rc $rc, $lines lines: $(grep -o '<td>\(reading\|wug_adj\)[^<]*</td><td class="n">[^<]*' "$TMP/r4.html" | head -4)"
rm -rf "$R4"
# a decision whose "corpora" is an array (its fates have no corpus name): the file and line named
WJ=$TMP/wjson; cp -r "$W" "$WJ"; dj="$WJ/state/assemble/decisions/a-hostile/h.jsonl.zst"
zstd -dcq "$dj" | "$PY" -c 'import json,sys; L=sys.stdin.read().split("\n"); d=json.loads(L[2]); d["assemble"]["corpora"]=["train"]; L[2]=json.dumps(d); sys.stdout.write("\n".join(L))' \
    | zstd -qf -o "$dj.new" && mv "$dj.new" "$dj"   # not -o "$dj": the pipe's reader and writer raced on one file
bad report_decision_corpora_not_object "$dj:3: \"assemble\".\"corpora\": expected an object" --work "$WJ"
rm -rf "$WJ"

# a missing decisions file (run.json lists its document file) or a missing
# run.json: audit refuses; the report shows the funnel with a warning naming it
WD=$TMP/wdec; cp -r "$W" "$WD"
gone=$(cd "$WD/state/assemble/decisions" && find . -name '*.jsonl.zst' | sort | tail -1 | sed 's|^\./||')
rm "$WD/state/assemble/decisions/$gone"
"$BLALM" report --work "$WD" --out "$TMP/dec.html" -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && grep -q "class=\"absent warning\">Warning: the decisions of 1 document file that assemble decided (run.json lists them) are missing, so the funnel leaves out their [1-9][0-9]* documents.*decisions/$gone)" "$TMP/dec.html" \
    && pass report_missing_decisions_warned || fail report_missing_decisions_warned "rc $rc: $(grep -o 'Warning: [^<]*' "$TMP/dec.html" | head -2) $(head -c 300 "$TMP/err")"
rm "$WD/state/assemble/decisions/run.json"
"$BLALM" report --work "$WD" --out "$TMP/dec.html" -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && grep -qF "Warning: $WD/state/assemble/decisions/run.json: missing, but" "$TMP/dec.html" \
    && [ "$(data "$TMP/dec.html" | "$PY" -c 'import json,sys; print(sum(w.get("section") == "funnel" for w in json.load(sys.stdin)["warnings"]))')" = 1 ] \
    && pass report_missing_run_json_warned || fail report_missing_run_json_warned "rc $rc: $(grep -o 'Warning: [^<]*' "$TMP/dec.html" | head -2)"
rm -rf "$WD"

# cluster ids past 2^53 (another tool's 64-bit hashes) are told apart as
# assemble tells them: read as doubles, 2^53 and 2^53 + 1 were one id, and
# two clusters of 2 counted as one
WB=$TMP/wbig; mkdir -p "$WB/docs/s" "$WB/attributes/dedup/s"
"$PY" - "$WB" <<'PYEOF'
import json, sys
w = sys.argv[1]
ids = [2**53, 2**53, 2**53 + 1, 2**53 + 1]
with open(f"{w}/docs/s/a.jsonl", "w") as f:
    for i in range(4): f.write(json.dumps({"id": f"d{i}", "text": f"document {i} about cats and dogs"}) + "\n")
with open(f"{w}/attributes/dedup/s/a.jsonl", "w") as f:
    for i, c in enumerate(ids):
        f.write(json.dumps({"id": f"d{i}", "dedup": {"exact_group": i, "exact_size": 1, "cluster_id": c, "cluster_size": 2,
                                                     "representative": i % 2 == 0, "keep": i % 2 == 0}}) + "\n")
PYEOF
zstd -q --rm "$WB/attributes/dedup/s/a.jsonl"
"$BLALM" report --work "$WB" --out "$TMP/big.html" -q 2>"$TMP/err"; rc=$?
cl=$(data "$TMP/big.html" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["clusters"])')
[ $rc = 0 ] && [ "$cl" = "[[2, 2]]" ] && pass report_big_cluster_ids_apart || fail report_big_cluster_ids_apart "rc $rc: $cl $(head -c 300 "$TMP/err")"

# a document file deleted after dedup and assemble, then the whole folder a
# dangling link: the report said nothing (its figures silently differed from
# the manifests; the dedup table counted fractional clusters, "34.33"), or
# "0 document files" with every section "has not run"; now a warning at the
# top names the attribute and decision files without a document file, and
# clusters are counted whole
WO=$TMP/worph; cp -r "$W" "$WO"
gone=$(cd "$WO/docs" && find fw -type f | sort | tail -1)
rm "$WO/docs/$gone"
"$BLALM" report --work "$WO" --out "$TMP/orph.html" -q 2>"$TMP/err"; rc=$?
dd=$(sed -n '/<section id="dedup">/,/<\/section>/p' "$TMP/orph.html")
[ $rc = 0 ] && sed -n '/<h1>/,/<section/p' "$TMP/orph.html" | grep -q "Warning: [1-9][0-9]* attribute or decision files have no document file in $WO/docs (.*${gone%.*}" \
    && ! printf '%s' "$dd" | grep -q 'class="n">[0-9]*\.[0-9]' \
    && data "$TMP/orph.html" | "$PY" -c 'import json,sys; c=json.load(sys.stdin)["clusters"]; assert c and all(float(n).is_integer() for _, n in c), c' \
    && pass report_orphans_warned || fail report_orphans_warned "rc $rc: $(grep -o 'Warning: [^<]*' "$TMP/orph.html" | head -3) $(printf '%s' "$dd" | grep -o '<tr>.*' | head -5)"
rm -rf "$WO/docs/fw" && ln -s "$TMP/nowhere" "$WO/docs/fw"
"$BLALM" report --work "$WO" --out "$TMP/orph.html" -q 2>"$TMP/err"; rc=$?
n=$(sed -n 's/.*Warning: \([0-9]*\) attribute or decision files have no document file.*/\1/p' "$TMP/orph.html" | head -1)
nattr=$(cd "$W" && find attributes state/assemble/decisions -path '*fw/*' -name '*.jsonl.zst' | wc -l)
[ $rc = 0 ] && [ -n "$n" ] && [ "$n" = "$((nattr))" ] && pass report_orphans_dangling_docs || fail report_orphans_dangling_docs "rc $rc, $n of $nattr orphans: $(head -c 300 "$TMP/err")"
rm -rf "$WO"

# an attribute set that lacks a file (a killed score leaves only some) or has
# one left unfinished: each section that shows it says so, with the count
WA=$TMP/wattr; cp -r "$W" "$WA"
nf=$(find "$WA/attributes/edu_llm" -name '*.jsonl.zst' | wc -l)
rm "$(find "$WA/attributes/edu_llm" -name '*.jsonl.zst' | sort | head -1)"
rec=$(find "$WA/attributes/readability" -name '*.record.json' | sort | head -1)
"$PY" -c 'import json,sys; p=sys.argv[1]; m=json.load(open(p)); m["complete"]=False; json.dump(m,open(p,"w"))' "$rec"
"$BLALM" report --work "$WA" --out "$TMP/attr.html" -q 2>"$TMP/err"; rc=$?
n_llm=$(grep -c "Warning: attribute set &#39;edu_llm&#39; is complete for $((nf - 1)) of $nf document files (1 has no attribute file)" "$TMP/attr.html")
n_read=$(grep -c "Warning: attribute set &#39;readability&#39; is complete for $((nf - 1)) of $nf document files (1 was left unfinished)" "$TMP/attr.html")
cov=$(data "$TMP/attr.html" | "$PY" -c 'import json,sys; d={s["set"]: (s["missing"], s["incomplete"]) for s in json.load(sys.stdin)["attribute_sets"]}; print(d["edu_llm"], d["readability"])')
# edu_llm: the scorer's section and the score histogram; readability: its histogram
[ $rc = 0 ] && [ "$n_llm" = 2 ] && [ "$n_read" = 1 ] && [ "$cov" = "(1, 0) (0, 1)" ] \
    && pass report_partial_sets_warned || fail report_partial_sets_warned "rc $rc, $n_llm/$n_read warnings, coverage $cov: $(head -c 300 "$TMP/err")"
# a document file changed since its sets were made (same ids): audit refuses
# such stale sets; the report names them in a warning at the top of the page
"$PY" -c 'import json,sys; p=sys.argv[1]; L=open(p).read().splitlines(); d=json.loads(L[1]); d["text"]+=" changed"; L[1]=json.dumps(d); open(p,"w").write("\n".join(L)+"\n")' \
    "$WA/docs/a-hostile/h.jsonl"
"$BLALM" report --work "$WA" --out "$TMP/attr.html" -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && sed -n '/<h1>/,/<section/p' "$TMP/attr.html" | grep -q "Warning: attribute set &#39;[a-z_0-9]*&#39; is stale: 1 document files changed since it was made from them (a-hostile/h.jsonl)" \
    && pass report_stale_sets_warned || fail report_stale_sets_warned "rc $rc: $(grep -o 'Warning: [^<]*' "$TMP/attr.html" | head -3) $(head -c 300 "$TMP/err")"
# a stale set whose document file lost a row, gained one, or was replaced by
# another of the same name (its rows' ids differ): the report warned only when
# the ids were unchanged and otherwise failed "misaligned or stale"; now the
# stale files are left out of the join and the page names them
cp "$WA/docs/a-hostile/h.jsonl" "$TMP/h.keep"
for how in drop add replace; do
    case $how in
        drop) sed -i 1d "$WA/docs/a-hostile/h.jsonl" ;;
        add) cp "$TMP/h.keep" "$WA/docs/a-hostile/h.jsonl"; echo '{"id":"new-row","text":"A new row."}' >>"$WA/docs/a-hostile/h.jsonl" ;;
        replace) printf '{"id":"other-%s","text":"Another file of the same name."}\n' 1 2 3 4 5 6 >"$WA/docs/a-hostile/h.jsonl" ;;
    esac
    "$BLALM" report --work "$WA" --out "$TMP/attr.html" -q 2>"$TMP/err"; rc=$?
    [ $rc = 0 ] && sed -n '/<h1>/,/<section/p' "$TMP/attr.html" | grep -q "is stale: 1 document files changed since it was made from them (a-hostile/h.jsonl)" \
        && grep -q 'Warning: stale attribute files left out of the figures below: [1-9]' "$TMP/attr.html" \
        && grep -q 'Warning: 1 document file changed since assemble decided it (a-hostile/h.jsonl): the funnel leaves out their [0-9]* documents' "$TMP/attr.html" \
        && pass "report_stale_rows_$how" || fail "report_stale_rows_$how" "rc $rc: $(head -c 300 "$TMP/err")"
done
rm -rf "$WA"
# a document file changed since assemble whose sets were then remade (tag; the
# other sets lack its file), so that none is stale: the report failed the
# join ("attributes are misaligned or stale", exit 1); its decisions are now
# left out by run.json's record of the file, with a warning that does not ask
# to remake sets. A set remade with another config since assemble (dedup
# --seed 7) is named, as audit refuses it
WB=$TMP/wremade; cp -r "$W" "$WB"
sed -i 1d "$WB/docs/a-hostile/h.jsonl"
find "$WB/attributes" -path '*/a-hostile/h.*' \( -path '*/edu_llm/*' -o -path '*/edu_local/*' -o -path '*/dedup/*' \) -delete
rm -rf "$WB/state/dedup"
"$BLALM" tag --work "$WB" -q && "$BLALM" dedup --work "$WB" --seed 7 -q || fail report_remade_sets "tag/dedup failed"
"$BLALM" report --work "$WB" --out "$TMP/remade.html" -q 2>"$TMP/err"; rc=$?
"$BLALM" audit --work "$WB" --export "$TMP/remade.jsonl" -q 2>"$TMP/aerr"; arc=$?
[ $rc = 0 ] && grep -q 'Warning: 1 document file changed since assemble decided it (a-hostile/h.jsonl): the funnel leaves out their 5 documents; run blalm assemble again' "$TMP/remade.html" \
    && grep -q "Warning: $WB/attributes/dedup: attribute set changed since assemble (made by config [^<]* then, [^<]* now): the funnel" "$TMP/remade.html" \
    && [ $arc != 0 ] && grep -q 'changed since assemble' "$TMP/aerr" \
    && pass report_remade_sets || fail report_remade_sets "rc $rc, audit rc $arc: $(grep -o 'Warning: [^<]*' "$TMP/remade.html" | head -4) $(head -c 300 "$TMP/err")"
rm -rf "$WB"

# the local scorer's training figures (WORK/distill/edu.distill.json, blalm
# run's) are shown only when they are edu_local's model's; it is called
# learnt from a stand-in's labels only when those figures say it learnt from
# edu_llm's and an edu_llm model is a stand-in (it showed another model's
# figures, and the stand-in mark whenever any edu_llm model was one)
WF=$TMP/wfig; cp -r "$W" "$WF"; mkdir -p "$WF/distill"
lm=$(data "$H" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["local_scorer"]["model"])')
figs() { printf '{"model": "%s", "labels": "%s", "documents": 9, "kind": "ridge", "cv_f1_at3": 0.4321}\n' "$1" "$2" >"$WF/distill/edu.distill.json"; }
local_sec() { sed -n '/<section id="local">/,/<\/section>/p' "$TMP/fig.html"; }
figs distill-other edu_llm.score
"$BLALM" report --work "$WF" --out "$TMP/fig.html" -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && ! local_sec | grep -q '0.4321' && ! local_sec | grep -q 'STAND-IN' \
    && local_sec | grep -q "holds the training figures of model distill-other, not of edu_local&#39;s model $lm: they are not shown" \
    && [ "$(data "$TMP/fig.html" | "$PY" -c 'import json,sys; print("training" in json.load(sys.stdin)["local_scorer"])')" = False ] \
    && pass report_local_other_figures || fail report_local_other_figures "rc $rc: $(local_sec | head -c 600)"
figs "$lm" score
"$BLALM" report --work "$WF" --out "$TMP/fig.html" -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && local_sec | grep -q '0.4321' && local_sec | grep -q 'learnt from the labels <code>score</code>' && ! local_sec | grep -q 'STAND-IN' \
    && pass report_local_real_labels || fail report_local_real_labels "rc $rc: $(local_sec | head -c 600)"
figs "$lm" edu_llm.score
"$BLALM" report --work "$WF" --out "$TMP/fig.html" -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && local_sec | grep -q "learnt from the labels <code>edu_llm.score</code> <strong class=\"standin\">(a STAND-IN endpoint" \
    && [ "$(data "$TMP/fig.html" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["local_scorer"]["stand_in"])')" = True ] \
    && pass report_local_standin_labels || fail report_local_standin_labels "rc $rc: $(local_sec | head -c 600)"
rm -rf "$WF"

# every edu_llm model is named, with its documents: a ninth one (and whether
# it was a stand-in) was dropped silently, the page kept the first eight
WM=$TMP/wmodels; cp -r "$W" "$WM"
for f in $(find "$WM/attributes/edu_llm" -name '*.jsonl.zst'); do
    zstd -q -dc "$f" | "$PY" -c '
import json, sys
for i, line in enumerate(sys.stdin):
    r = json.loads(line)
    if r["edu_llm"]["model"]: r["edu_llm"]["model"] = "m%d" % (i % 10)
    print(json.dumps(r))' | zstd -q -o "$f.new" && mv "$f.new" "$f"
done
"$BLALM" report --work "$WM" --out "$TMP/models.html" -q 2>"$TMP/err"; rc=$?
got=$(data "$TMP/models.html" | "$PY" -c '
import json, sys
m = json.load(sys.stdin)["llm_models"]
print(len(m), sum(x["documents"] for x in m), sorted(x["model"] for x in m)[-1])')
want=$(find "$WM/attributes/edu_llm" -name '*.jsonl.zst' -exec zstd -q -dc {} + | "$PY" -c '
import json, sys
ms = [json.loads(l)["edu_llm"]["model"] for l in sys.stdin]
print(len(set(m for m in ms if m)), sum(1 for m in ms if m), "m9")')
[ $rc = 0 ] && [ "$got" = "$want" ] && [ "${got%% *}" = 10 ] && grep -q '<code>m9</code>: ' "$TMP/models.html" \
    && pass report_all_llm_models || fail report_all_llm_models "rc $rc: got '$got', want '$want': $(head -c 300 "$TMP/err")"
rm -rf "$WM"

# a source name of 128 bytes or more is one source (each document was one)
WS=$TMP/wsrc; long=$(printf 's%.0s' $(seq 130)); mkdir -p "$WS/docs/$long"
for i in 1 2 3; do printf '{"id":"a%s","text":"one two three."}\n{"id":"b%s","text":"four five."}\n' $i $i >"$WS/docs/$long/f$i.jsonl"; done
"$BLALM" report --work "$WS" --out "$TMP/src.html" -q 2>"$TMP/err"
got=$(data "$TMP/src.html" | "$PY" -c 'import json,sys; s=json.load(sys.stdin)["sources"]; print(len(s), [v["documents"] for v in s.values()])')
[ "$got" = "1 [6]" ] && grep -q "$long" "$TMP/src.html" && pass report_long_source_name || fail report_long_source_name "sources: $got"
rm -rf "$WS"

# C1 controls and noncharacters (in a source folder's name, an id, a text)
# are U+FFFD on the page and \uXXXX in the data block, whose values stay
# exact: HTML's parser reports each as an error
# (control-character-in-input-stream, noncharacter-in-input-stream); they
# were copied into the page as they were
WU=$TMP/wuni
"$PY" - "$WU" <<'PYEOF'
import json, os, sys
name = "s\u0085x\ufdd0\U0001ffff"
os.makedirs(os.path.join(sys.argv[1], "docs", name))
with open(os.path.join(sys.argv[1], "docs", name, "a.jsonl"), "w", encoding="utf-8") as f:
    doc = {"id": "id-\u009b-\ufffe", "text": "One \u0080 two \uffff three \U0010fffe four."}
    f.write(json.dumps(doc, ensure_ascii=False) + "\n")
PYEOF
if "$BLALM" report --work "$WU" --out "$TMP/uni.html" -q 2>"$TMP/err"; then
    msg=$("$PY" - "$TMP/uni.html" "$($CHECK data "$TMP/uni.html")" 2>&1 <<'PYEOF'
import json, re, sys
h = open(sys.argv[1], encoding="utf-8").read()
bad = re.findall("[\u0080-\u009f\ufdd0-\ufdef\ufffe\uffff\U0001fffe\U0001ffff\U0010fffe\U0010ffff]", h)
d = json.loads(sys.argv[2])
want = "s\u0085x\ufdd0\U0001ffff"
ok = not bad and list(d["sources"]) == [want] and "id-\ufffd-\ufffd" in h and "One \ufffd two \ufffd three \ufffd four." in h
sys.exit(0 if ok else "left in the page: %s; sources %s" % ([hex(ord(c)) for c in bad], [ascii(k) for k in d["sources"]]))
PYEOF
)
    [ $? = 0 ] && pass report_c1_noncharacters || fail report_c1_noncharacters "$msg"
else
    fail report_c1_noncharacters "$(head -c 300 "$TMP/err")"
fi
rm -rf "$WU"

# a long run's log: at most 2,000 points drawn per line, its spikes kept, the
# page small; the point counts in the data stay exact
WB=$TMP/wbig RB=$TMP/runbig; mkdir -p "$WB/docs/x" "$RB"; echo '{"id":"a","text":"hello world."}' >"$WB/docs/x/a.jsonl"
"$PY" - "$RB/log.jsonl" <<'PYEOF'
import json, random, sys
rnd = random.Random(3)
with open(sys.argv[1], "w") as f:
    for s in range(1, 50001):
        f.write(json.dumps({"step": s, "loss": 100.0 if s == 31337 else 3 + rnd.random(),
                            "swa_alpha": [rnd.random() for _ in range(4)]}) + "\n")
PYEOF
if "$BLALM" report --work "$WB" --run "$RB" --out "$TMP/big.html" -q 2>"$TMP/err"; then
    got=$("$PY" - "$TMP/big.html" <<'PYEOF'
import json, os, re, sys
h = open(sys.argv[1], encoding="utf-8").read()
loss = re.search(r'id="chart-loss">.*?points="([^"]*)"', h, re.S).group(1).split()
lines = re.findall(r'points="([^"]*)"', h)
d = json.loads(re.search(r'id="report-data">(.*?)</script>', h, re.S).group(1))
top = min(float(p.split(",")[1]) for p in loss)   # the spike: near the chart's top (y 12)
print(max(len(l.split()) for l in lines) <= 2000, top < 30, os.path.getsize(sys.argv[1]) < 1_000_000,
      d["run"]["loss_points"], float(loss[-1].split(",")[0]) > 589)
PYEOF
)
    [ "$got" = "True True True 50000 True" ] && pass report_long_log_bounded || fail report_long_log_bounded "max points, spike, size, loss points, last: $got"
else
    fail report_long_log_bounded "$(cat "$TMP/err")"
fi
rm -rf "$WB" "$RB"

# ---- a real browser ----
if ! command -v chromium >/dev/null 2>&1; then
    skip report_chromium "chromium not installed (scripts/deps.sh test installs Debian's chromium)"
    exit 0
fi
# chrome ARGS...: headless chromium in its own process group, killed after 120 s
chrome() {
    setsid timeout -s KILL 120 chromium --headless --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$PROFILE" --enable-logging=stderr --v=0 "$@" &
    local pid=$!
    CHROME_PGIDS+=("$pid")
    wait "$pid"
}
# A copy of the report with a script that writes each chart's box into the DOM
# (the report itself has no script); the screenshot is of the report itself.
sed 's|</body></html>||' "$H" >"$TMP/inst.html"
cat >>"$TMP/inst.html" <<'EOF'
<pre id="rects"><script>
(function () {
  var out = [], figs = document.querySelectorAll("figure.chart");
  for (var i = 0; i < figs.length; i++) {
    var r = figs[i].querySelector("svg").getBoundingClientRect();
    out.push([figs[i].id, r.left + window.scrollX, r.top + window.scrollY, r.width, r.height].join(" "));
  }
  out.push("pwned-count " + document.querySelectorAll("#pwned, [onload], [onerror]").length);
  out.push("resources " + performance.getEntriesByType("resource").length);
  out.push("height " + Math.ceil(document.documentElement.scrollHeight));
  document.getElementById("rects").textContent = out.join("\n");
})();
</script></pre></body></html>
EOF
if chrome --window-size=1100,2000 --dump-dom "file://$TMP/inst.html" >"$TMP/dom.html" 2>"$TMP/chrome1.err" \
   && grep -q '^height [0-9]' "$TMP/dom.html"; then
    sed -n '/<pre id="rects">/,/<\/pre>/p' "$TMP/dom.html" | sed 's/<[^>]*>//g' >"$TMP/rects"
    height=$(sed -n 's/^height \([0-9]*\)$/\1/p' "$TMP/rects")
    n_rects=$(grep -c '^chart-' "$TMP/rects")
    n_want=$(echo $charts | wc -w)
    [ "$n_rects" = "$n_want" ] && pass report_chart_boxes || fail report_chart_boxes "$n_rects boxes for $n_want charts"
    grep -q '^resources 0$' "$TMP/rects" && pass report_loads_nothing || fail report_loads_nothing "$(grep resources "$TMP/rects")"
    check report_hostile_text_escaped $CHECK hostile "$H" "$TMP/dom.html" "$MARK"
    [ "$height" -gt 16000 ] && height=16000
    if chrome --window-size=1100,"$height" --hide-scrollbars --screenshot="$TMP/shot.png" "file://$H" \
           >/dev/null 2>"$TMP/chrome2.err" && [ -s "$TMP/shot.png" ]; then
        check report_charts_rendered $CHECK pixels "$TMP/shot.png" "$TMP/rects"
        if grep -q 'CONSOLE' "$TMP/chrome1.err" "$TMP/chrome2.err"; then
            fail report_console_clean "$(grep -h CONSOLE "$TMP/chrome1.err" "$TMP/chrome2.err" | head -c 400)"
        else
            pass report_console_clean
        fi
    else
        fail report_charts_rendered "screenshot failed: $(tail -c 400 "$TMP/chrome2.err")"
    fi
else
    if grep -q 'error while loading shared libraries\|cannot open display\|Failed to launch' "$TMP/chrome1.err"; then
        skip report_chromium "chromium does not run here: $(head -c 300 "$TMP/chrome1.err")"
    else
        fail report_chromium "dump-dom failed: $(tail -c 400 "$TMP/chrome1.err")"
    fi
fi
stop_chromium
sleep 0.5
left=$(ours | tr '\n' ' ')
[ -z "$left" ] && pass report_chromium_stopped || fail report_chromium_stopped "still running:$left"
