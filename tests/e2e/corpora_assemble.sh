#!/usr/bin/env bash
# blalm assemble / verify / audit on a small hand-built work directory:
# word counts (Python str.split, LC_ALL=C wc -w), rules against audit's
# reasons, dedup, subsets, determinism, budget edges, bad configs, a kill.
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
CHECK="$PY $here/corpora_check.py"

if ! command -v zstd >/dev/null; then skip corpora_fixture "zstd CLI not installed"; exit 0; fi
W=$TMP/fx
"$PY" "$here/corpora_fixture.py" "$W/work" || { fail corpora_fixture "fixture generator failed"; exit 0; }
RULES='["gopher_quality.pass", "edu_llm.score >= 2", "readability.flesch_reading_ease >= 10 && readability.flesch_reading_ease <= 110"]'
cat >"$W/c.json" <<EOF
{"corpora": [{"name": "strict", "budget": 200, "dev_words": 30, "track": "strict"},
             {"name": "strict-small", "budget": 80, "dev_words": 10}],
 "rules": $RULES,
 "ranking": ["edu_llm.score desc", "readability.flesch_reading_ease desc"], "seed": 3}
EOF

# --- assemble + verify ------------------------------------------------------
if "$BLALM" assemble --work "$W/work" --out "$W/out" --config "$W/c.json" 2>"$W/err"; then
    pass assemble_fixture
else
    fail assemble_fixture "$(tail -c 400 "$W/err")"
fi
check verify_strict "$BLALM" verify "$W/out/strict" --track strict
check verify_strict_small "$BLALM" verify "$W/out/strict-small" --track strict-small
check words_python_strict $CHECK words "$W/out/strict"
check words_python_small $CHECK words "$W/out/strict-small"
check subset_small_in_strict $CHECK sets "$W/out"
check one_per_group_strict $CHECK groups "$W/work" "$W/out" strict
grep -q '"word_definition": "Python str.split()' "$W/out/strict/manifest.json" &&
    grep -q '"config_sha256": "[0-9a-f]\{64\}"' "$W/out/strict/manifest.json" &&
    grep -q '"tool": "blalm ' "$W/out/strict/manifest.json" &&
    pass manifest_fields || fail manifest_fields "word_definition / config_sha256 / tool missing"
# the definition does not claim LC_ALL=C wc -w's count, which differs on
# control characters (cat_count.sh's count_words_not_wc_w shows how)
grep -q '"word_definition": "[^"]*not wc -w.s word' "$W/out/strict/manifest.json" &&
    ! grep -q 'equals LC_ALL=C wc -w' "$W/out/strict/manifest.json" &&
    pass manifest_word_definition_not_wc || fail manifest_word_definition_not_wc "$(grep word_definition "$W/out/strict/manifest.json")"

# --- every excluded document's reason, as audit exports it, against the rules
if "$BLALM" audit --work "$W/work" --export "$W/audit.jsonl.zst" --quiet 2>"$W/err"; then
    check audit_reasons_match_rules $CHECK fates "$W/work" "$W/audit.jsonl.zst" "$RULES"
else
    fail audit_reasons_match_rules "export failed: $(tail -c 300 "$W/err")"
fi

# --- audit one id: a repeated id shows both locations, attributes and fate --
out=$("$BLALM" audit --work "$W/work" web-3 2>&1)
n=$(printf '%s\n' "$out" | grep -c '^== web/part-0.jsonl row ')
if [ "$n" = 2 ] && printf '%s\n' "$out" | grep -q 'excluded by rules\[1\]: edu_llm.score >= 2' &&
   printf '%s\n' "$out" | grep -q '    edu_llm.score = 0' &&
   printf '%s\n' "$out" | grep -q 'dedup.cluster_id = ' &&
   printf '%s\n' "$out" | grep -q '  strict: train'; then
    pass audit_repeated_id
else
    fail audit_repeated_id "$(printf '%s' "$out" | head -c 600)"
fi
if "$BLALM" audit --work "$W/work" no-such-id >/dev/null 2>&1; then fail audit_unknown_id "exit 0"; else pass audit_unknown_id; fi
# --chars N shows N bytes of the text; 0 is refused (it meant the default, 300)
"$BLALM" audit --work "$W/work" web-3 --chars 0 >/dev/null 2>"$W/err"; rc=$?
[ $rc = 2 ] && grep -q -- "--chars: expected a count in 1..1000000, got '0'" "$W/err" && pass audit_chars_zero_refused \
    || fail audit_chars_zero_refused "rc $rc $(head -c 200 "$W/err")"

# --- a run config as --config: its "corpora" member (an object; this format's own
# "corpora" is an array) is the assemble config, so the same corpora come out
{ echo '{"sources": [], "tag": {"taggers": ["c4"]}, "dedup": {"bands": 20}, "corpora": '; cat "$W/c.json"; echo '}'; } >"$W/run.json"
if "$BLALM" assemble --work "$W/work" --out "$W/outrun" --config "$W/run.json" --quiet 2>"$W/err" &&
   diff -r "$W/out" "$W/outrun" >"$W/diff" 2>&1; then pass assemble_config_run_config
else fail assemble_config_run_config "$(head -c 300 "$W/err" "$W/diff")"; fi
echo '{"sources": [], "corpora": {"rules": ["gopher_quality.pass &&"]}}' >"$W/runbad.json"
"$BLALM" assemble --work "$W/work" --out "$W/outrunbad" --config "$W/runbad.json" --quiet 2>"$W/err"; rc=$?
[ $rc = 1 ] && grep -qF "runbad.json: corpora: rules[0]" "$W/err" && [ ! -e "$W/outrunbad" ] &&
    pass assemble_config_run_config_error_names_member || fail assemble_config_run_config_error_names_member "rc $rc $(head -c 300 "$W/err")"

# --- document files of other names (dolma's .json.gz) were read as no documents:
# audit exported 0 documents, exit 0. audit and assemble refuse, naming them.
G=$TMP/dolma; mkdir -p "$G/docs/s"
printf '{"id":"a","text":"hello world"}\n' | gzip >"$G/docs/s/part-0000.json.gz"
ok=1; why=
for cmd in "audit --export $G/a.jsonl" "audit a" "assemble --out $G/out"; do
    # shellcheck disable=SC2086
    "$BLALM" $cmd --work "$G" --quiet >/dev/null 2>"$G/err"; rc=$?
    { [ $rc = 1 ] && grep -qF "$G/docs: no document files (names ending in .parquet" "$G/err" &&
      grep -qF "so skipped: $G/docs/s/part-0000.json.gz" "$G/err"; } || { ok=0; why="$why [$cmd] rc=$rc $(head -c 200 "$G/err")"; }
done
[ $ok = 1 ] && [ ! -e "$G/a.jsonl" ] && [ ! -e "$G/out" ] && pass audit_assemble_refuse_docs_of_other_names ||
    fail audit_assemble_refuse_docs_of_other_names "$why"

# --- deterministic: same inputs, byte-identical corpora (also when spilling) -
"$BLALM" assemble --work "$W/work" --out "$W/out2" --config "$W/c.json" --mem 64k --quiet 2>"$W/err"
if diff -r "$W/out" "$W/out2" >"$W/diff" 2>&1; then pass deterministic; else fail deterministic "$(head -c 300 "$W/diff")"; fi

# --- LC_ALL=C wc -w agrees on a corpus whose whitespace is ASCII ------------
A=$TMP/ascii
"$PY" "$here/corpora_fixture.py" "$A/work" --ascii
echo '{"corpora": [{"name": "strict", "budget": 300, "dev_words": 0}], "rules": ["gopher_quality.pass"]}' >"$A/c.json"
if "$BLALM" assemble --work "$A/work" --out "$A/out" --config "$A/c.json" --quiet 2>"$A/err"; then
    wc_words=$(cat "$A/out/strict"/train/*.train | LC_ALL=C wc -w)
    m_words=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["words"])' "$A/out/strict/manifest.json")
    py_words=$("$PY" -c 'import glob,sys; print(sum(len(open(f).read().split()) for f in glob.glob(sys.argv[1]+"/train/*.train")))' "$A/out/strict")
    if [ "$wc_words" = "$m_words" ] && [ "$py_words" = "$m_words" ] && [ "$m_words" -le 300 ]; then
        pass wc_w_agrees_ascii
    else
        fail wc_w_agrees_ascii "wc -w $wc_words, python $py_words, manifest $m_words"
    fi
else
    fail wc_w_agrees_ascii "assemble failed: $(tail -c 300 "$A/err")"
fi

# --- budget edges ------------------------------------------------------------
# three documents of 50, 100 and 30 words ranked in that order by edu_llm.score
E=$TMP/edge
mkdir -p "$E/work/docs/s" "$E/work/attributes/edu_llm/s"
"$PY" - "$E/work" <<'EOF'
import json, sys
w = sys.argv[1]
with open(w + "/docs/s/d.jsonl", "w") as f, open(w + "/edu.jsonl", "w") as a:
    for i, (n, score) in enumerate([(50, 5), (100, 4), (30, 3)]):
        f.write(json.dumps({"id": f"d{i}", "text": " ".join(["word"] * n)}) + "\n")
        a.write(json.dumps({"id": f"d{i}", "edu_llm": {"score": score}}) + "\n")
EOF
zstd -q -f "$E/work/edu.jsonl" -o "$E/work/attributes/edu_llm/s/d.jsonl.zst"
edge() { # name budget
    echo "{\"corpora\": [{\"name\": \"c\", \"budget\": $2, \"dev_words\": 0}], \"ranking\": [\"edu_llm.score desc\"]}" >"$E/$1.json"
    "$BLALM" assemble --work "$E/work" --out "$E/$1" --config "$E/$1.json" 2>"$E/$1.err"
}
mwords() { "$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["words"], m["documents"], m["note"] is None)' "$E/$1/c/manifest.json"; }
if edge skip 90 && [ "$(mwords skip)" = "80 2 False" ] &&
   "$BLALM" audit --work "$E/work" d1 2>/dev/null | grep -q 'c: budget full (rank 2; 100 words > 40 words left)' &&
   "$BLALM" verify "$E/skip/c" >/dev/null; then
    pass budget_oversized_skipped_next_tried
else
    fail budget_oversized_skipped_next_tried "$(mwords skip 2>&1) $(tail -c 300 "$E/skip.err")"
fi
if edge fit 80 && [ "$(mwords fit)" = "80 2 True" ] && grep -q '"fill": 1.000000' "$E/fit/c/manifest.json" &&
   "$BLALM" verify "$E/fit/c" >/dev/null; then
    pass budget_exact_fit
else
    fail budget_exact_fit "$(mwords fit 2>&1)"
fi
if edge all 1000 && [ "$(mwords all)" = "180 3 False" ] &&
   grep -q 'eligible pool smaller than the budget' "$E/all.err" &&
   grep -q 'eligible pool smaller than the budget: took every eligible document' "$E/all/c/manifest.json"; then
    pass budget_pool_smaller_takes_all
else
    fail budget_pool_smaller_takes_all "$(mwords all 2>&1) $(tail -c 300 "$E/all.err")"
fi
# cut_last: the last document is cut at a word boundary to fill exactly
echo '{"corpora": [{"name": "c", "budget": 95, "dev_words": 0}], "ranking": ["edu_llm.score desc"], "cut_last": true}' >"$E/cut.json"
if "$BLALM" assemble --work "$E/work" --out "$E/cut" --config "$E/cut.json" --quiet 2>"$E/cut.err" &&
   [ "$(mwords cut)" = "95 2 True" ] && "$BLALM" verify "$E/cut/c" >/dev/null &&
   $CHECK words "$E/cut/c" >/dev/null; then
    pass budget_cut_last
else
    fail budget_cut_last "$(mwords cut 2>&1) $(tail -c 300 "$E/cut.err")"
fi

# --- per-source mixture weights and quotas; independent strict-small --------
cat >"$W/mix.json" <<'EOF'
{"corpora": [{"name": "strict", "budget": 100, "dev_words": 0},
             {"name": "strict-small", "budget": 40, "dev_words": 0, "subset_of": null}],
 "sources": {"web": {"weight": 3}, "wiki": {"weight": 1, "max_words": 20}}}
EOF
if "$BLALM" assemble --work "$W/work" --out "$W/mix" --config "$W/mix.json" --quiet 2>"$W/mix.err"; then
    res=$("$PY" -c '
import json, sys
m = json.load(open(sys.argv[1] + "/strict/manifest.json"))
s = json.load(open(sys.argv[1] + "/strict-small/manifest.json"))
g = lambda x, k: x["sources"].get(k, {}).get("words", 0)
web, wiki, sweb, swiki = g(m, "web"), g(m, "wiki"), g(s, "web"), g(s, "wiki")
ok = 70 <= web <= 75 and 15 <= wiki <= 20 and sweb <= 30 and swiki <= 10 and s["subset_of"] is None
print("ok" if ok else "web %d wiki %d small web %d wiki %d subset_of %s" % (web, wiki, sweb, swiki, s["subset_of"]))
' "$W/mix")
    if [ "$res" = ok ] && "$BLALM" audit --work "$W/work" --export "$W/mix.jsonl" --quiet &&
       grep -q 'source quota full' "$W/mix.jsonl" && "$BLALM" verify "$W/mix/strict-small" >/dev/null; then
        pass source_weights_and_quotas
    else
        fail source_weights_and_quotas "$res"
    fi
else
    fail source_weights_and_quotas "$(tail -c 300 "$W/mix.err")"
fi

# --- a subset never holds words its parent lacks: strict cut X (cut_last) and
# strict-small, with room for all of X, took it whole; and documents left out
# by a source quota are no "pool smaller than the budget"
S=$TMP/subcut
mkdir -p "$S/work/docs/web" "$S/work/docs/wiki"
"$PY" - "$S/work/docs" <<'EOF'
import json, sys
doc = lambda i, n: json.dumps({"id": i, "text": " ".join(f"{i}w{k}" for k in range(n))}) + "\n"
open(sys.argv[1] + "/web/a.jsonl", "w").write(doc("W1", 50))
open(sys.argv[1] + "/wiki/a.jsonl", "w").write(doc("K1", 35) + doc("X", 25))
EOF
cat >"$S/c.json" <<'EOF'
{"corpora": [{"name": "strict", "budget": 100, "dev_words": 0},
             {"name": "strict-small", "budget": 60, "dev_words": 0}],
 "sources": {"web": {"weight": 1}, "wiki": {"weight": 1}}, "ranking": [], "cut_last": true}
EOF
if "$BLALM" assemble --work "$S/work" --out "$S/out" --config "$S/c.json" 2>"$S/err"; then
    res=$(zstd -dc "$S/out/strict-small/documents.jsonl.zst" | "$PY" -c '
import json, sys
print(" ".join("%s:%s:%s" % (r["id"], r["words"], r.get("cut_from_words")) for r in map(json.loads, sys.stdin)))')
    if [ "$res" = "X:15:25" ] && $CHECK sets "$S/out" >"$S/chk" 2>&1 &&
       "$BLALM" verify "$S/out/strict-small" >/dev/null 2>&1 &&
       "$BLALM" audit --work "$S/work" X 2>/dev/null | grep -q 'strict-small: train (cut to 15 of 25 words, as strict holds it)'; then
        pass subset_holds_parent_cut_only
    else
        fail subset_holds_parent_cut_only "$res $(cat "$S/chk")"
    fi
    if ! grep -q 'strict-small[^;]*every eligible document taken' "$S/err" &&
       ! grep -q 'took every eligible document' "$S/out/strict-small/manifest.json" &&
       grep -q '"note": "45 budget words left: 2 eligible documents over a source quota left out' "$S/out/strict-small/manifest.json"; then
        pass quota_refusals_are_no_short_pool
    else
        fail quota_refusals_are_no_short_pool "$(cat "$S/err") $(grep '"note"' "$S/out/strict-small/manifest.json")"
    fi
else
    fail subset_holds_parent_cut_only "$(tail -c 300 "$S/err")"
fi

# --- cut_last never cuts a document to a dev document's text: "alpha beta
# gamma delta epsilon", cut to 3 words, is "alpha beta gamma", the dev text
# "alpha beta gamma\n" but for the whitespace at its end, and verify (and run,
# which verifies) refused the corpus: the same text in train and dev. Whichever
# comes first in the ranking, and for a subset's own further cut too.
D=$TMP/cutdev
mkdir -p "$D/work/docs/a"
"$PY" - "$D/work/docs/a/p.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as f:
    print(json.dumps({"id": "D", "text": "alpha beta gamma\n"}), file=f)
    print(json.dumps({"id": "T", "text": "alpha beta gamma delta epsilon"}), file=f)
    for i in range(6):
        print(json.dumps({"id": "f%d" % i, "text": " ".join("f%d_%d" % (i, j) for j in range(4))}), file=f)
EOF
# OUT CORPUS: verify accepts it, D is in dev, and no train text is D's (stripped)
cutdev_ok() {
    "$BLALM" verify "$1/$2" >"$D/v.out" 2>&1 || return 1
    zstd -dc "$1/$2/documents.jsonl.zst" | "$PY" -c '
import json, sys
out = sys.argv[1]
rows = [json.loads(l) for l in sys.stdin]
def text(r):
    with open(out + "/" + r["file"], "rb") as f:
        f.seek(r["offset"]); return f.read(r["length"]).decode().strip()
dev = {text(r) for r in rows if r["split"] == "dev"}
train = [text(r) for r in rows if r["split"] == "train"]
ok = [r["split"] for r in rows if r["id"] == "D"] == ["dev"] and "alpha beta gamma" in dev and not dev & set(train)
sys.exit(0 if ok else 1)' "$1/$2"
}
# 1: D (dev) ranks before T, which the budget's last 3 words would cut to D's text
echo '{"corpora": [{"name": "mine", "budget": 23, "dev_words": 6}], "rules": [], "ranking": [], "seed": 17, "cut_last": true}' >"$D/c1.json"
if "$BLALM" assemble --work "$D/work" --out "$D/o1" --config "$D/c1.json" --quiet 2>"$D/e1" && cutdev_ok "$D/o1" mine &&
   [ "$("$PY" -c 'import json;print(json.load(open("'"$D/o1"'/mine/manifest.json"))["words"])')" = 23 ] &&
   "$BLALM" audit --work "$D/work" T 2>/dev/null |
       grep -q 'mine: budget full (rank [0-9]*; 5 words > 3 words left, and cut to them it would be the text of a dev document)'; then
    pass cut_last_not_to_dev_text
else
    fail cut_last_not_to_dev_text "$(cat "$D/e1" "$D/v.out" 2>/dev/null | tail -c 400)"
fi
# 2: T ranks first and is cut; D, drawn for dev after it, is its duplicate
echo '{"corpora": [{"name": "mine", "budget": 19, "dev_words": 4}], "rules": [], "ranking": [], "seed": 22, "cut_last": true}' >"$D/c2.json"
if "$BLALM" assemble --work "$D/work" --out "$D/o2" --config "$D/c2.json" --quiet 2>"$D/e2" &&
   "$BLALM" verify "$D/o2/mine" >"$D/v.out" 2>&1 &&
   zstd -dc "$D/o2/mine/documents.jsonl.zst" | grep -q '"id":"T","split":"train".*"words":3,"cut_from_words":5' &&
   "$BLALM" audit --work "$D/work" D 2>/dev/null | grep -q 'mine: duplicate: exact duplicate of a/p.jsonl#1'; then
    pass cut_last_text_not_drawn_for_dev_later
else
    fail cut_last_text_not_drawn_for_dev_later "$(cat "$D/e2" "$D/v.out" 2>/dev/null | tail -c 400)"
fi
# 3: the parent holds T whole; the subset's own cut would be D's text
echo '{"corpora": [{"name": "p", "budget": 40, "dev_words": 6}, {"name": "s", "budget": 11, "dev_words": 6, "subset_of": "p"}], "rules": [], "ranking": [], "seed": 23, "cut_last": true}' >"$D/c3.json"
if "$BLALM" assemble --work "$D/work" --out "$D/o3" --config "$D/c3.json" --quiet 2>"$D/e3" &&
   cutdev_ok "$D/o3" p && cutdev_ok "$D/o3" s &&
   "$BLALM" audit --work "$D/work" T 2>/dev/null | grep -q 's: budget full (.*it would be the text of a dev document)'; then
    pass cut_last_subset_cut_not_to_dev_text
else
    fail cut_last_subset_cut_not_to_dev_text "$(cat "$D/e3" "$D/v.out" 2>/dev/null | tail -c 400)"
fi

# --- bad configs: clear error naming the problem, nothing written ------------
bad() { # name expected-text config-json [flags...]
    local name=$1 want=$2 cfg=$3; shift 3
    printf '%s\n' "$cfg" >"$W/bad.json"
    rm -rf "$W/badout"
    if "$BLALM" assemble --work "$W/work" --out "$W/badout" --config "$W/bad.json" "$@" 2>"$W/bad.err"; then
        fail "$name" "exit 0"
    elif [ -e "$W/badout" ]; then
        fail "$name" "output written: $(ls -R "$W/badout" | head -c 200)"
    elif ! grep -qF -- "$want" "$W/bad.err"; then
        fail "$name" "error does not say '$want': $(cat "$W/bad.err")"
    else
        pass "$name"
    fi
}
bad bad_config_unknown_set "unknown attribute set 'nosuch'" '{"rules": ["nosuch.pass"]}'
bad bad_config_unknown_key "unknown key 'nokey'" '{"rules": ["readability.nokey > 1"]}'
bad bad_config_unknown_operator 'rules[1]' '{"rules": ["gopher_quality.pass", "edu_llm.score => 3"]}'
bad bad_config_unknown_config_key 'budgett' '{"budgett": 5}'
bad bad_config_unknown_corpus_key 'dev_wrds' '{"corpora": [{"name": "strict", "dev_wrds": 5}]}'
bad bad_config_ranking_key 'nokey' '{"ranking": ["edu_llm.nokey desc"]}'
bad bad_config_ranking_order 'sideways' '{"ranking": ["edu_llm.score sideways"]}'
bad bad_config_track_limit 'above the strict-small track limit' '{"corpora": [{"name": "strict-small", "budget": 20000000}]}'
bad bad_config_track_flag 'above the strict-small track limit' '{"corpora": [{"name": "mine", "budget": 10000001}]}' --track strict-small
bad bad_config_not_json 'bad.json' '{"rules": ['
# "" was taken as no track: strict/ filled to 150M words with a manifest that verify passed
bad bad_config_empty_track 'unknown track ""' '{"corpora": [{"name": "strict", "budget": 150000000, "dev_words": 0, "track": ""}]}'
bad bad_config_empty_track_other_name 'unknown track ""' '{"corpora": [{"name": "mine", "budget": 100, "track": ""}]}'
# null is "no track" (the manifest's config says so), but not for a corpus named after a track
bad bad_config_null_track_on_track_name 'corpus "strict-small" is held to the strict-small track' '{"corpora": [{"name": "strict-small", "budget": 100, "track": null}]}'
# nor the other track's limit: a folder strict-small holding up to 100M words
bad bad_config_track_name_other_track 'corpus "strict-small" is held to the strict-small track, not "track": "strict"' '{"corpora": [{"name": "strict-small", "budget": 100, "track": "strict"}]}'
bad bad_config_unknown_source 'sources.nosuch' '{"sources": {"nosuch": {"weight": 1}}}'
bad bad_rule_type_error 'rules[0]' '{"rules": ["edu_llm.score >= \"x\""]}'

# --- kill during assemble: nothing that verify accepts -----------------------
K=$TMP/kill
BLALM_TEST_SLOW_WRITE=20000 "$BLALM" assemble --work "$W/work" --out "$K" --config "$W/c.json" --quiet 2>/dev/null &
pid=$!
for _ in $(seq 1 200); do ls -d "$K"/.strict.tmp.* >/dev/null 2>&1 && break; sleep 0.02; done
sleep 0.1
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
if [ -e "$K/strict" ] || [ -e "$K/strict-small" ]; then
    fail kill_leaves_no_corpus "a corpus folder appeared: $(ls -a "$K")"
elif "$BLALM" verify "$K/strict" >/dev/null 2>&1; then
    fail kill_leaves_no_corpus "verify accepted a killed run"
else
    pass kill_leaves_no_corpus
fi
# the rerun cleans up and completes
if "$BLALM" assemble --work "$W/work" --out "$K" --config "$W/c.json" --quiet 2>/dev/null &&
   "$BLALM" verify "$K/strict" >/dev/null && [ -z "$(ls -A "$K" | grep '^\.' | grep -vx '.lock')" ]; then
    pass kill_then_rerun
else
    fail kill_then_rerun "$(ls -a "$K")"
fi

# --- verify catches tampering ---------------------------------------------------
cp -r "$W/out/strict" "$TMP/tamper"
printf 'extra words here\n' >>"$TMP/tamper/train/web.train"
if "$BLALM" verify "$TMP/tamper" 2>"$TMP/tamper.err"; then fail verify_rejects_tampering "exit 0"
elif grep -q 'sha256' "$TMP/tamper.err" && grep -q 'words, manifest says' "$TMP/tamper.err"; then pass verify_rejects_tampering
else fail verify_rejects_tampering "$(cat "$TMP/tamper.err")"; fi
cp -r "$W/out/strict" "$TMP/overbudget"
if "$BLALM" verify "$TMP/overbudget" --track strict-small >/dev/null 2>&1 ||
   ! "$BLALM" verify "$TMP/overbudget" --track strict-small 2>&1 | grep -q 'built for track strict'; then
    fail verify_track_mismatch "not reported"
else
    pass verify_track_mismatch
fi
# a corpus named after a track whose manifest records none (an older blalm's
# "track": "", or an edit) is held to the track its name gives, without --track
notrack() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); m["track"]=None; m["budget"]='"$2"'; json.dump(m,open(p,"w"),indent=2)' "$1"; }
rm -rf "$TMP/nt"; cp -r "$W/out/strict" "$TMP/nt"; notrack "$TMP/nt" 150000000
"$BLALM" verify "$TMP/nt" >/dev/null 2>"$TMP/nt.err"; rc=$?
[ $rc = 1 ] && grep -q 'budget 150000000 above the strict track limit of 100000000' "$TMP/nt.err" &&
    pass verify_track_from_corpus_name || fail verify_track_from_corpus_name "exit $rc: $(head -c 300 "$TMP/nt.err")"
"$BLALM" verify "$TMP/nt" --track strict-small >/dev/null 2>"$TMP/nt.err"; rc=$?
[ $rc = 1 ] && grep -q 'corpus strict (no track recorded: held to the strict track by its name), checked as strict-small' "$TMP/nt.err" &&
    pass verify_track_name_mismatch || fail verify_track_name_mismatch "exit $rc: $(head -c 300 "$TMP/nt.err")"
# with no corpus name in the manifest, the folder's name, also written with a trailing /
rm -rf "$TMP/ntf/strict"; mkdir -p "$TMP/ntf"; cp -r "$TMP/nt" "$TMP/ntf/strict"
"$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); del m["corpus"]; json.dump(m,open(p,"w"),indent=2)' "$TMP/ntf/strict"
"$BLALM" verify "$TMP/ntf/strict/" >/dev/null 2>"$TMP/nt.err"; rc=$?
[ $rc = 1 ] && grep -q 'above the strict track limit' "$TMP/nt.err" &&
    pass verify_track_from_folder_name_trailing_slash || fail verify_track_from_folder_name_trailing_slash "exit $rc: $(head -c 300 "$TMP/nt.err")"
# the OK line says which track was checked, and from where, or that none was
notrack "$TMP/nt" 200
o1=$("$BLALM" verify "$TMP/nt" 2>&1); o2=$("$BLALM" verify "$W/out/strict" 2>&1)
o3=$("$BLALM" verify "$W/out/strict" --track strict 2>&1)
if [[ "$o1" == *"budget 200, track strict (its corpus name), "* && "$o2" == *"budget 200, track strict (its manifest), "* &&
      "$o3" == *"budget 200, track strict (--track), "* ]]; then
    pass verify_ok_line_names_track
else
    fail verify_ok_line_names_track "$o1 / $o2 / $o3"
fi
# a folder named after a track holds its corpus to it when that is stricter:
# a corpus assembled as "mine" (no track) or as strict, then moved into a
# folder strict or strict-small, passed as "no BabyLM track checked" / strict
# (as assembled so: the config's corpus renamed and given that track and budget
# too, its config_sha256 made to agree)
retrack() { "$PY" -c '
import hashlib, json, sys
p = sys.argv[1] + "/manifest.json"; m = json.load(open(p)); old, new = m["corpus"], sys.argv[2]
m["corpus"] = new; m["track"] = None if sys.argv[3] == "-" else sys.argv[3]; m["budget"] = int(sys.argv[4])
for c in m["config"]["corpora"]:
    if c["name"] == old: c["name"], c["track"], c["budget"] = new, m["track"], m["budget"]
    if c["subset_of"] == old: c["subset_of"] = new
m["config_sha256"] = hashlib.sha256(json.dumps(m["config"], separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
json.dump(m, open(p, "w"), indent=2)' "$@"; }
rm -rf "$TMP/fold"; mkdir -p "$TMP/fold"; cp -r "$W/out/strict" "$TMP/fold/strict"; cp -r "$W/out/strict" "$TMP/fold/strict-small"
retrack "$TMP/fold/strict" mine - 150000000; retrack "$TMP/fold/strict-small" strict strict 150000000
"$BLALM" verify "$TMP/fold/strict" >/dev/null 2>"$TMP/f1.err"; r1=$?
"$BLALM" verify "$TMP/fold/strict-small" >/dev/null 2>"$TMP/f2.err"; r2=$?
retrack "$TMP/fold/strict" mine - 200; retrack "$TMP/fold/strict-small" strict strict 200
o1=$("$BLALM" verify "$TMP/fold/strict" 2>&1); o2=$("$BLALM" verify "$TMP/fold/strict-small" 2>&1)
o3=$("$BLALM" verify "$TMP/fold/strict-small" --track strict 2>&1)
if [ $r1 = 1 ] && grep -q 'budget 150000000 above the strict track limit' "$TMP/f1.err" &&
   [ $r2 = 1 ] && grep -q 'budget 150000000 above the strict-small track limit' "$TMP/f2.err" &&
   [[ "$o1" == *"track strict (its folder's name), "* && "$o2" == *"track strict-small (its folder's name), "* &&
      "$o3" == *"track strict (--track), "* ]]; then
    pass verify_track_from_folder_when_stricter
else
    fail verify_track_from_folder_when_stricter "$r1 $(head -c 200 "$TMP/f1.err") / $r2 $(head -c 200 "$TMP/f2.err") / $o1 / $o2 / $o3"
fi
rm "$TMP/overbudget/manifest.json"
if "$BLALM" verify "$TMP/overbudget" >/dev/null 2>&1; then fail verify_no_manifest "exit 0"; else pass verify_no_manifest; fi

# an index whose ids repeat (manifest checksum updated to match): both kinds listed
retag() { # corpus-copy mode(train|dev)
    "$PY" - "$1" "$2" <<'EOF'
import hashlib, json, subprocess, sys
d, mode = sys.argv[1], sys.argv[2]
idx = d + "/documents.jsonl.zst"
rows = [json.loads(l) for l in subprocess.run(["zstd", "-dc", idx], capture_output=True, check=True).stdout.decode().splitlines()]
train = [r for r in rows if r["split"] == "train"]
dev = [r for r in rows if r["split"] == "dev"]
(train[1] if mode == "train" else dev[0])["id"] = train[0]["id"]
data = "".join(json.dumps(r) + "\n" for r in rows).encode()
subprocess.run(["zstd", "-q", "-f", "-o", idx], input=data, check=True)
m = json.load(open(d + "/manifest.json"))
m["index"]["sha256"] = hashlib.sha256(open(idx, "rb").read()).hexdigest()
json.dump(m, open(d + "/manifest.json", "w"))
EOF
}
for mode in train dev; do
    rm -rf "$TMP/ids"; cp -r "$W/out/strict" "$TMP/ids"; retag "$TMP/ids" $mode
    "$BLALM" verify "$TMP/ids" 2>"$TMP/ids.err" >/dev/null
    want='appears twice in train'; [ $mode = dev ] && want='is in both train and dev'
    if grep -q "$want" "$TMP/ids.err" && [ "$(grep -c 'problem' "$TMP/ids.err")" = 1 ]; then
        pass verify_repeated_id_$mode
    else
        fail verify_repeated_id_$mode "$(cat "$TMP/ids.err")"
    fi
done
# --- issue 20, defect 8: tampering that verify once missed ----------------------
tamper() { # name expected-text setup-command
    local name=$1 want=$2; shift 2
    rm -rf "$TMP/t8"; cp -r "$W/out/strict" "$TMP/t8"
    "$@" "$TMP/t8"
    if "$BLALM" verify "$TMP/t8" >/dev/null 2>"$TMP/t8.err"; then fail "$name" "exit 0"
    elif grep -qF -- "$want" "$TMP/t8.err"; then pass "$name"
    else fail "$name" "does not say '$want': $(cat "$TMP/t8.err")"; fi
}
extra_root() { cp "$1/train/web.train" "$1/web.train"; }
extra_folder() { mkdir "$1/train2"; cp "$1/train/web.train" "$1/train2/web.train"; }
brace() { printf '}' >>"$1/manifest.json"; }
dupkey() { "$PY" -c 'import sys; p=sys.argv[1]+"/manifest.json"; t=open(p).read(); open(p,"w").write(t.replace("{", "{\"words\": 1, ", 1))' "$1"; }
tamper verify_rejects_extra_file_at_root 'web.train: not listed in manifest.json' extra_root
tamper verify_rejects_extra_folder 'train2/: a folder that is not part of the corpus layout' extra_folder
tamper verify_rejects_trailing_text_in_manifest 'unexpected text after the JSON value' brace
tamper verify_rejects_repeated_manifest_key 'duplicate key "words"' dupkey
# the manifest's "config" (what assemble ran with) against its "config_sha256":
# an edited seed or budget there, or an edited hash, passed
cfg_seed() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); m["config"]["seed"]+=1; json.dump(m,open(p,"w"),indent=2)' "$1"; }
cfg_hash() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); m["config_sha256"]="0"*64; json.dump(m,open(p,"w"),indent=2)' "$1"; }
cfg_gone() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); del m["config"]; json.dump(m,open(p,"w"),indent=2)' "$1"; }
tamper verify_rejects_edited_config '"config_sha256" says '"$(grep -o '"config_sha256": "[0-9a-f]*' "$W/out/strict/manifest.json" | cut -d'"' -f4)"': the config or its hash was edited' cfg_seed
tamper verify_rejects_edited_config_sha256 '"config_sha256" says 0000000000000000000000000000000000000000000000000000000000000000' cfg_hash
tamper verify_rejects_missing_config '"config" missing or not an object' cfg_gone
# the figures the manifest repeats from its config: an edited budget (fill and
# budget_filled made to agree), seed or rule list passed
top_budget() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); m["budget"]=m["words"]; m["fill"]=1.0; m["budget_filled"]=True; json.dump(m,open(p,"w"),indent=2)' "$1"; }
top_seed() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); m["seed"]+=1; json.dump(m,open(p,"w"),indent=2)' "$1"; }
top_rules() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); m["rules"]=m["rules"][1:]; json.dump(m,open(p,"w"),indent=2)' "$1"; }
tamper verify_rejects_budget_not_configs '"budget" 199, but its config gives corpus strict a budget of 200' top_budget
tamper verify_rejects_seed_not_configs '"seed" 4, but its config'"'"'s seed is 3' top_seed
tamper verify_rejects_rules_not_configs '"rules" is not its config'"'"'s "rules"' top_rules
top_dev_budget() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); m["dev"]["budget"]=m["dev"]["words"]; json.dump(m,open(p,"w"),indent=2)' "$1"; }
tamper verify_rejects_dev_budget_not_configs 'dev.budget 25, but its config gives corpus strict dev_words 30' top_dev_budget
# the corpus renamed in its manifest alone escaped the budget check
top_name() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); m["corpus"]="other"; m["budget"]=m["words"]; json.dump(m,open(p,"w"),indent=2)' "$1"; }
tamper verify_rejects_corpus_not_in_config 'corpus "other" is none of its config'"'"'s corpora' top_name
# a train text copied into dev under a new id, every count and checksum updated
dup_into_dev() {
    "$PY" - "$1" <<'EOF'
import hashlib, json, subprocess, sys
d = sys.argv[1]
idx = d + "/documents.jsonl.zst"
rows = [json.loads(l) for l in subprocess.run(["zstd", "-dc", idx], capture_output=True, check=True).stdout.decode().splitlines()]
t = next(r for r in rows if r["split"] == "train" and r["words"] > 0)
text = open(d + "/" + t["file"], "rb").read()[t["offset"]:t["offset"] + t["length"]]
m = json.load(open(d + "/manifest.json"))
f = next(x for x in m["files"] if x["split"] == "dev")
dev = open(d + "/" + f["path"], "rb").read()
off = len(dev) + 2
dev += b"\n\n" + text
open(d + "/" + f["path"], "wb").write(dev)
rows.append(dict(t, id="brand-new-id", split="dev", file=f["path"], offset=off))
subprocess.run(["zstd", "-q", "-f", "-o", idx], input="".join(json.dumps(r) + "\n" for r in rows).encode(), check=True)
f.update(sha256=hashlib.sha256(dev).hexdigest(), bytes=len(dev), words=len(dev.decode().split()), documents=f["documents"] + 1)
m["dev"]["words"] += t["words"]; m["dev"]["documents"] += 1
s = m["sources"][f["source"]]; s["dev_words"] += t["words"]; s["dev_documents"] += 1
m["index"]["sha256"] = hashlib.sha256(open(idx, "rb").read()).hexdigest()
json.dump(m, open(d + "/manifest.json", "w"), indent=2)
EOF
}
tamper verify_rejects_same_text_in_both_splits 'the same text is in train and dev' dup_into_dev
if [ "$(grep -c 'problem' "$TMP/t8.err")" = 1 ]; then pass verify_same_text_only_problem
else fail verify_same_text_only_problem "more problems than the duplicate: $(cat "$TMP/t8.err")"; fi
# defect 6: an invalid byte in a train file (checksum updated) is refused
bad_utf8() {
    "$PY" - "$1" <<'EOF'
import hashlib, json, sys
d = sys.argv[1]
m = json.load(open(d + "/manifest.json"))
f = next(x for x in m["files"] if x["split"] == "train")
b = bytearray(open(d + "/" + f["path"], "rb").read())
i = next(k for k in range(len(b)) if 0x61 <= b[k] <= 0x7a)
b[i] = 0xff
open(d + "/" + f["path"], "wb").write(b)
f["sha256"] = hashlib.sha256(b).hexdigest()
json.dump(m, open(d + "/manifest.json", "w"), indent=2)
EOF
}
tamper verify_rejects_invalid_utf8 'not valid UTF-8' bad_utf8

# --- '..' is a path component, not a substring; index lines parse as strictly as the manifest
# edit_index CORPUS PYTHON-CODE: rewrites documents.jsonl.zst's lines (`lines`,
# a list of str; `m` is the manifest, `d` the folder) and updates the manifest
edit_index() {
    "$PY" - "$1" "$2" <<'EOF'
import hashlib, json, os, subprocess, sys
d, code = sys.argv[1], sys.argv[2]
idx = d + "/documents.jsonl.zst"
lines = subprocess.run(["zstd", "-dc", idx], capture_output=True, check=True).stdout.decode().splitlines()
m = json.load(open(d + "/manifest.json"))
exec(code)
subprocess.run(["zstd", "-q", "-f", "-o", idx], input="".join(l + "\n" for l in lines).encode(), check=True)
m["index"]["sha256"] = hashlib.sha256(open(idx, "rb").read()).hexdigest()
json.dump(m, open(d + "/manifest.json", "w"), indent=2)
EOF
}
# a source file named web..2024.train: a correct corpus (renamed, its source
# too, manifest and index to match)
dotdot_name() {
    edit_index "$1" '
os.rename(d + "/train/web.train", d + "/train/web..2024.train")
S = m["sources"]
for f in m["files"]:
    if f["path"] == "train/web.train":
        f["path"], f["source"] = "train/web..2024.train", "web..2024"
        S["web..2024"] = {"words": S["web"]["words"], "documents": S["web"]["documents"], "dev_words": 0, "dev_documents": 0}
        S["web"]["words"] = S["web"]["documents"] = 0
if not any(f["source"] == "web" for f in m["files"]): del S["web"]
rows = [json.loads(l) for l in lines]
for r in rows:
    if r["file"] == "train/web.train": r["file"], r["key"]["source"] = "train/web..2024.train", "web..2024"
lines = [json.dumps(r) for r in rows]'
}
rm -rf "$TMP/dd"; cp -r "$W/out/strict" "$TMP/dd"; dotdot_name "$TMP/dd"
"$BLALM" verify "$TMP/dd" --track strict >/dev/null 2>"$TMP/dd.err" && pass verify_accepts_dotdot_in_a_file_name ||
    fail verify_accepts_dotdot_in_a_file_name "$(cat "$TMP/dd.err")"
# a '..' component still leaves the corpus
dotdot_path() {
    edit_index "$1" '
for f in m["files"]:
    if f["path"] == "train/web.train": f["path"] = "train/../train/web.train"'
}
tamper verify_rejects_dotdot_component 'train/../train/web.train: path leaves the corpus' dotdot_path
# text after an index line's object, and a key given twice in one line
index_trailing() { edit_index "$1" 'lines[2] += " GARBAGE"'; }
index_dupkey() { edit_index "$1" 'lines[4] = lines[4][:-1] + ", \"id\": \"other\"}"'; }
tamper verify_rejects_trailing_text_in_index 'documents.jsonl.zst:3: unexpected text after the JSON value' index_trailing
tamper verify_rejects_repeated_index_key 'documents.jsonl.zst:5: duplicate key "id"' index_dupkey

# --- verify holds a corpus to the exact layout assemble writes; corpora_forge.py
# makes every count, checksum and offset agree again after its edit
FORGE="$PY $here/corpora_forge.py"
# medit CORPUS PYTHON-CODE: edits manifest.json (`m`) alone
medit() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); exec(sys.argv[2]); json.dump(m,open(p,"w"),indent=2)' "$@"; }
# a train text copied into dev under a new id, the train span widened by the
# "\n\n" after it (its bytes no longer equal the dev copy's): passed before
forge_widen() { $FORGE "$1" widen; }
tamper verify_rejects_span_holding_the_separator 'after exactly the "\n\n" that ends the one before it' forge_widen
grep -qF 'the same text is in train and dev' "$TMP/t8.err" && pass verify_widened_span_still_same_text ||
    fail verify_widened_span_still_same_text "$(cat "$TMP/t8.err")"
# the same text in dev with a "\n" after it: one text (whitespace at its ends
# is not part of a text's identity)
forge_twin() { $FORGE "$1" ws-twin; }
tamper verify_rejects_text_in_both_splits_but_end_whitespace 'the same text is in train and dev' forge_twin
# the index lines reordered, all else consistent: said once per file, not as a
# list of overlaps and words between documents
forge_reorder() { $FORGE "$1" reorder; }
# a train text again in train under a new id, all else consistent: with the
# manifest's config saying dedup (one document per text) it passed
forge_dup() { $FORGE "$1" dup-train; }
tamper verify_rejects_text_twice_in_train_with_dedup 'the same text is twice in train (documents.jsonl.zst lines ' forge_dup
rm -rf "$TMP/t8"; cp -r "$W/out/strict" "$TMP/t8"; $FORGE "$TMP/t8" dup-train-nodedup
"$BLALM" verify "$TMP/t8" >"$TMP/t8.out" 2>&1 && grep -q 'OK: 200 words' "$TMP/t8.out" && pass verify_text_twice_without_dedup_passes ||
    fail verify_text_twice_without_dedup_passes "$(head -c 400 "$TMP/t8.out")"
# the same, in a manifest without one_text_per_split (an older blalm, whose
# dedup could take a text twice under two ids, wrote none): a note, exit 0
# (it failed as an edit)
rm -rf "$TMP/t8"; cp -r "$W/out/strict" "$TMP/t8"; $FORGE "$TMP/t8" dup-train-old
"$BLALM" verify "$TMP/t8" >"$TMP/t8.out" 2>"$TMP/t8.err" && grep -q 'OK: 200 words' "$TMP/t8.out" &&
    grep -q 'note: 1 text repeated within a split (the first: train, documents.jsonl.zst lines [0-9]* and [0-9]*), though its config has dedup on: its manifest records no one_text_per_split (written by an older blalm' "$TMP/t8.err" &&
    ! grep -q 'the same text is twice' "$TMP/t8.err" &&
    pass verify_text_twice_in_older_manifest_is_a_note ||
    fail verify_text_twice_in_older_manifest_is_a_note "$(head -c 600 "$TMP/t8.out" "$TMP/t8.err")"
# -q keeps the note back, as it does the OK line
"$BLALM" verify -q "$TMP/t8" >"$TMP/t8.out" 2>&1 && [ ! -s "$TMP/t8.out" ] && pass verify_quiet_older_manifest_silent ||
    fail verify_quiet_older_manifest_silent "$(head -c 400 "$TMP/t8.out")"
# assemble records the guarantee; one_text_per_split edited against its config
grep -q '"one_text_per_split": true,' "$W/out/strict/manifest.json" && pass manifest_one_text_per_split ||
    fail manifest_one_text_per_split "$(grep -c one_text_per_split "$W/out/strict/manifest.json")"
m_otps_false() { medit "$1" 'm["one_text_per_split"] = False'; }
m_otps_str() { medit "$1" 'm["one_text_per_split"] = "yes"'; }
tamper verify_rejects_one_text_per_split_against_config '"one_text_per_split" is false, but its config has dedup on' m_otps_false
tamper verify_rejects_one_text_per_split_not_bool '"one_text_per_split": expected true or false' m_otps_str
tamper verify_says_index_not_in_file_order 'the index is not in file order' forge_reorder
grep -q 'FAILED with 2 problems' "$TMP/t8.err" && pass verify_index_order_one_problem_per_file ||
    fail verify_index_order_one_problem_per_file "$(cat "$TMP/t8.err")"
# the manifest's other figures: bytes, index.documents, fill, budget_filled, dev.budget
m_bytes() { medit "$1" 'm["bytes"] += 1'; }
m_dev_bytes() { medit "$1" 'm["dev"]["bytes"] -= 1'; }
m_ixdocs() { medit "$1" 'm["index"]["documents"] = 5'; }
m_fill() { medit "$1" 'm["fill"] = 0.5'; }
m_filled() { medit "$1" 'm["budget_filled"] = not m["budget_filled"]'; }
m_devbudget() { medit "$1" 'm["dev"]["budget"] = 10'; }
m_budget() { medit "$1" 'm["budget"] = 100000'; }
tamper verify_checks_manifest_bytes 'train files hold ' m_bytes
tamper verify_checks_manifest_dev_bytes 'dev files hold ' m_dev_bytes
tamper verify_checks_manifest_index_documents "manifest's index.documents says 5" m_ixdocs
tamper verify_checks_manifest_fill '"fill" is 0.500000, but ' m_fill
tamper verify_checks_manifest_budget_filled '"budget_filled" is ' m_filled
tamper verify_checks_manifest_dev_budget 'above its budget (dev.budget' m_devbudget
tamper verify_budget_raised_alone_is_seen 'of a budget of 100000 are ' m_budget
# a symbolic link for train/: said to be one, not "not listed" and "missing"
link_train() { mv "$1/train" "$1.train-real"; ln -s "../$(basename "$1").train-real" "$1/train"; }
rm -rf "$TMP/t8.train-real"
tamper verify_says_train_is_a_symlink 'train: a symbolic link, not a folder' link_train
grep -q 'FAILED with 1 problem$' "$TMP/t8.err" && pass verify_symlinked_train_one_problem ||
    fail verify_symlinked_train_one_problem "$(cat "$TMP/t8.err")"
rm -rf "$TMP/t8.train-real"
# a subset holds only its parent's documents: subset_of_index_sha256 names
# the parent, and each document (id, file, text) is looked up in it
for mode in subset-text subset-newid; do
    rm -rf "$TMP/sub"; cp -r "$W/out" "$TMP/sub"; $FORGE "$TMP/sub/strict-small" $mode
    "$BLALM" verify "$TMP/sub/strict-small" >/dev/null 2>"$TMP/sub.err"; rc=$?
    want='nor the start of it'; [ $mode = subset-newid ] && want='it has no document of that id'
    if [ $rc = 1 ] && grep -q 'is not a document of the parent ../strict' "$TMP/sub.err" && grep -q "$want" "$TMP/sub.err"; then
        pass verify_subset_document_in_parent_$mode
    else
        fail verify_subset_document_in_parent_$mode "exit $rc: $(cat "$TMP/sub.err")"
    fi
done
# the folder's name however the path is written: strict-small, ./strict-small/.
# and . inside it all hold a corpus with no track to strict-small's limit
rm -rf "$TMP/rp"; mkdir -p "$TMP/rp"; cp -r "$W/out/strict" "$TMP/rp/strict-small"
retrack "$TMP/rp/strict-small" mine - 20000000; medit "$TMP/rp/strict-small" 'm["fill"] = round(m["words"] / m["budget"], 6)'
r=""
for p in strict-small ./strict-small/. strict-small/; do
    (cd "$TMP/rp" && "$BLALM" verify "$p" >/dev/null 2>"$TMP/rp.err"); r="$r $?"
    grep -q 'budget 20000000 above the strict-small track limit' "$TMP/rp.err" || r="$r(no message)"
done
(cd "$TMP/rp/strict-small" && "$BLALM" verify . >/dev/null 2>"$TMP/rp.err"); r="$r $?"
grep -q 'budget 20000000 above the strict-small track limit' "$TMP/rp.err" || r="$r(no message)"
[ "$r" = " 1 1 1 1" ] && pass verify_folder_track_however_the_path_is_written ||
    fail verify_folder_track_however_the_path_is_written "exit codes$r"
# a symbolic link named strict-small to a folder of another name is held to
# strict-small too (the name it is submitted under; realpath alone lost it),
# and a link of another name to a strict-small folder keeps its target's
rm -rf "$TMP/rl"; mkdir -p "$TMP/rl/lnk" "$TMP/rl/lnk2"; cp -r "$TMP/rp/strict-small" "$TMP/rl/mine"
ln -s "$TMP/rl/mine" "$TMP/rl/lnk/strict-small"; ln -s "$TMP/rp/strict-small" "$TMP/rl/lnk2/other"
r=""
for p in "$TMP/rl/lnk/strict-small" "$TMP/rl/lnk/strict-small/." "$TMP/rl/lnk2/other"; do
    "$BLALM" verify "$p" >/dev/null 2>"$TMP/rl.err"; r="$r $?"
    grep -q 'budget 20000000 above the strict-small track limit' "$TMP/rl.err" || r="$r(no message)"
done
"$BLALM" verify "$TMP/rl/mine" >/dev/null 2>&1; r="$r $?"
[ "$r" = " 1 1 1 0" ] && pass verify_folder_track_symlink_both_names ||
    fail verify_folder_track_symlink_both_names "exit codes$r"
# assemble keeps texts that differ only by whitespace at their ends out of
# both splits (without a dedup set: dedup false), as verify tells them apart
TW=$TMP/twin; rm -rf "$TW"; mkdir -p "$TW/work/docs/wiki" "$TW/work/docs/twin"
cp "$W/work/docs/wiki/a.jsonl" "$TW/work/docs/wiki/"
"$PY" -c '
import json, sys
with open(sys.argv[2], "w") as f:
    for l in open(sys.argv[1]):
        r = json.loads(l); r["id"] = "twin-" + r["id"]; r["text"] += "\n"; f.write(json.dumps(r) + "\n")
' "$TW/work/docs/wiki/a.jsonl" "$TW/work/docs/twin/a.jsonl"
echo '{"corpora": [{"name": "c", "budget": 300, "dev_words": 200}], "dedup": false}' >"$TW/c.json"
if "$BLALM" assemble --work "$TW/work" --out "$TW/out" --config "$TW/c.json" 2>"$TW/err"; then
    both=$("$PY" -c '
import json, subprocess, sys
d = sys.argv[1]
rows = [json.loads(l) for l in subprocess.run(["zstd", "-dc", d + "/documents.jsonl.zst"], capture_output=True, check=True).stdout.decode().splitlines()]
text = {}
for r in rows:
    t = open(d + "/" + r["file"], "rb").read()[r["offset"]:r["offset"] + r["length"]].decode().strip()
    text.setdefault(t, set()).add(r["split"])
print(sum(1 for s in text.values() if len(s) == 2))
' "$TW/out/c")
    grep -q '"one_text_per_split": false,' "$TW/out/c/manifest.json" && pass manifest_one_text_per_split_false_without_dedup ||
        fail manifest_one_text_per_split_false_without_dedup "$(grep one_text_per_split "$TW/out/c/manifest.json")"
    if [ "$both" = 0 ] && "$BLALM" verify "$TW/out/c" >/dev/null 2>"$TW/verr"; then pass assemble_whitespace_twins_not_in_both_splits
    else fail assemble_whitespace_twins_not_in_both_splits "$both texts in both splits; verify: $(cat "$TW/verr" 2>/dev/null)"; fi
else
    fail assemble_whitespace_twins_not_in_both_splits "$(tail -c 300 "$TW/err")"
fi

# --- issue 20, defect 9: dev_words above the pool is refused, not a corpus of dev only
echo '{"corpora": [{"name": "c", "budget": 1000, "dev_words": 500}], "ranking": ["edu_llm.score desc"]}' >"$E/devbig.json"
if "$BLALM" assemble --work "$E/work" --out "$E/devbig" --config "$E/devbig.json" 2>"$E/devbig.err"; then
    fail assemble_dev_larger_than_pool_refused "exit 0: $(cat "$E/devbig.err")"
elif [ -e "$E/devbig/c" ]; then
    fail assemble_dev_larger_than_pool_refused "a corpus was written"
elif grep -q "corpus 'c': the eligible pool ran out before the training budget was filled, and the dev split took 180 words (dev_words 500) while training got only 0 of its 1000 budget words" "$E/devbig.err"; then
    pass assemble_dev_larger_than_pool_refused
else
    fail assemble_dev_larger_than_pool_refused "$(cat "$E/devbig.err")"
fi

# --- defaults without --config, over the sets that exist -----------------------
if "$BLALM" assemble --work "$W/work" --out "$W/dflt" 2>"$W/dflt.err" &&
   grep -q '"rules": \["gopher_quality.pass", "edu_llm.score >= 3"\]' "$W/dflt/strict/manifest.json" &&
   grep -q '"subset_of": "strict"' "$W/dflt/strict-small/manifest.json" &&
   "$BLALM" verify "$W/dflt/strict" --track strict >/dev/null; then
    pass defaults_without_config
else
    fail defaults_without_config "$(tail -c 300 "$W/dflt.err")"
fi
# --help and usage errors
"$BLALM" assemble --help | grep -q 'defaults (no --config)' && pass assemble_help || fail assemble_help "no defaults in --help"
"$BLALM" assemble --bogus >/dev/null 2>&1; [ $? = 2 ] && pass assemble_usage_error || fail assemble_usage_error "exit not 2"

# --- one document per id and no text in both splits, with no dedup set and with
# "dedup": false (assemble once wrote corpora that verify refused)
N=$TMP/nodedup
mkdir -p "$N/work/docs/src"
"$PY" - "$N/work/docs/src/d.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(40):
        f.write(json.dumps({"id": f"doc{i}", "text": f"Document {i}: the court ruled on the contract dispute today. " * 8}) + "\n")
    for i in range(20):
        f.write(json.dumps({"id": f"same{i}", "text": "This identical paragraph about contract law appears many times. " * 6}) + "\n")
    f.write(json.dumps({"id": "dupid", "text": "First version of a document about law. " * 4}) + "\n")
    f.write(json.dumps({"id": "dupid", "text": "Second version of a document about courts. " * 4}) + "\n")
PY
for dd in true false; do
    echo "{\"corpora\": [{\"name\": \"c\", \"budget\": 5000, \"dev_words\": 1500}], \"rules\": [], \"ranking\": [], \"dedup\": $dd}" >"$N/c-$dd.json"
    if ! "$BLALM" assemble --work "$N/work" --out "$N/out-$dd" --config "$N/c-$dd.json" --quiet 2>"$N/err-$dd"; then
        fail "assemble_no_dedup_set_dedup_$dd" "$(tail -c 300 "$N/err-$dd")"; continue
    fi
    if ! "$BLALM" verify "$N/out-$dd/c" >"$N/v-$dd" 2>&1; then
        fail "assemble_no_dedup_set_dedup_$dd" "verify refused: $(tail -c 400 "$N/v-$dd")"; continue
    fi
    res=$(zstd -dc "$N/out-$dd/c/documents.jsonl.zst" | "$PY" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
same = {r["split"] for r in rows if r["id"].startswith("same")}
print(sum(r["id"] == "dupid" for r in rows), sum(r["id"].startswith("same") for r in rows), len(same))')
    set -- $res
    # dupid once; the repeated text once with dedup, else in one split only
    if [ "$1" = 1 ] && [ "$3" = 1 ] && { [ $dd = false ] || [ "$2" = 1 ]; } && { [ $dd = true ] || [ "$2" -gt 1 ]; }; then
        pass "assemble_no_dedup_set_dedup_$dd"
    else
        fail "assemble_no_dedup_set_dedup_$dd" "dupid x$1, repeated text x$2 in $3 split(s)"
    fi
done

# --- audit prints attribute values that read back exactly (cJSON alone printed
# 29.999999999999996 as 30 next to "excluded by my.x >= 30")
P=$TMP/precision
mkdir -p "$P/work/docs/src" "$P/work/attributes/my/src"
printf '%s\n' '{"id":"d0","text":"Document zero about the law of contracts and courts."}' \
    '{"id":"d1","text":"Document one about the law of contracts and courts."}' >"$P/work/docs/src/x.jsonl"
printf '%s\n' '{"id":"d0","my":{"x":29.999999999999996}}' '{"id":"d1","my":{"x":76.13893253012051}}' |
    zstd -q -o "$P/work/attributes/my/src/x.jsonl.zst"
echo '{"corpora": [{"name": "c", "budget": 1000}], "rules": ["my.x >= 30"], "ranking": []}' >"$P/c.json"
if "$BLALM" assemble --work "$P/work" --out "$P/out" --config "$P/c.json" --quiet 2>"$P/err" &&
   "$BLALM" audit --work "$P/work" d0 >"$P/a0" 2>&1 && "$BLALM" audit --work "$P/work" --export "$P/a.jsonl" --quiet; then
    res=$("$PY" - "$P/a.jsonl" "$P/a0" <<'PY'
import json, sys
rows = {r["id"]: r for r in map(json.loads, open(sys.argv[1]))}
shown = open(sys.argv[2]).read()
ok = (rows["d0"]["my.x"] == 29.999999999999996 and rows["d1"]["my.x"] == 76.13893253012051
      and rows["d0"]["excluded_by"] == "my.x >= 30" and "my.x = 29.999999999999996" in shown)
print("ok" if ok else f"export {rows['d0']['my.x']!r} {rows['d1']['my.x']!r}; audit: {shown[-300:]}")
PY
)
    [ "$res" = ok ] && pass audit_values_exact || fail audit_values_exact "$res"
else
    fail audit_values_exact "$(tail -c 300 "$P/err")"
fi

# a corpus without a track says so when verified, and the config its manifest
# records ("track": null) rebuilds it byte for byte (null was refused)
o=$("$BLALM" verify "$P/out/c" 2>&1)
[[ "$o" == *", no BabyLM track checked, "* ]] && pass verify_ok_line_no_track || fail verify_ok_line_no_track "$o"
"$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["config"]))' "$P/out/c/manifest.json" >"$P/re.json"
if grep -q '"track": null' "$P/re.json" &&
   "$BLALM" assemble --work "$P/work" --out "$P/re" --config "$P/re.json" --quiet 2>"$P/err" &&
   cmp -s "$P/out/c/manifest.json" "$P/re/c/manifest.json" && cmp -s "$P/out/c/train/src.train" "$P/re/c/train/src.train"; then
    pass assemble_from_manifest_config_without_track
else
    fail assemble_from_manifest_config_without_track "$(head -c 300 "$P/err"); $(head -c 200 "$P/re.json")"
fi

# --- documents holding blank lines (and blank lines at their ends) are one
# document each to assemble and verify, counted by the index, not by blank lines
B=$TMP/blanks
mkdir -p "$B/work/docs/src"
"$PY" -c 'import json
for i, t in enumerate(["A\n\nB", "\n\nlead", "trail\n\n", "x\n\n\n\ny z", "plain"]): print(json.dumps({"id": "b%d" % i, "text": t}))' >"$B/work/docs/src/x.jsonl"
echo '{"corpora": [{"name": "c", "budget": 100, "dev_words": 0}], "rules": [], "ranking": []}' >"$B/c.json"
if "$BLALM" assemble --work "$B/work" --out "$B/out" --config "$B/c.json" --quiet 2>"$B/err" &&
   o=$("$BLALM" verify "$B/out/c" 2>&1) && [[ "$o" == *"OK: 8 words <= budget 100, "*", 5 train + 0 dev documents"* ]] &&
   [ "$("$PY" -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["documents"], m["files"][0]["documents"])' "$B/out/c/manifest.json")" = "5 5" ]; then
    pass verify_documents_with_blank_lines_counted_by_index
else
    fail verify_documents_with_blank_lines_counted_by_index "$(head -c 300 "$B/err") $o"
fi

# --- with dedup on, a cut_last cut that would leave the text of a training
# document already taken put that text in training twice ("alpha" taken, then
# "alpha beta gamma" cut to 1 word): the cut is not made
K=$TMP/cutdup
mkdir -p "$K/work/docs/s" "$K/work/attributes/my/s"
printf '%s\n' '{"id":"d0","text":"alpha"}' '{"id":"d1","text":"alpha beta gamma"}' >"$K/work/docs/s/x.jsonl"
printf '%s\n' '{"id":"d0","my":{"x":2}}' '{"id":"d1","my":{"x":1}}' | zstd -q -o "$K/work/attributes/my/s/x.jsonl.zst"
echo '{"corpora": [{"name": "c", "budget": 2, "dev_words": 0}], "rules": [], "ranking": ["my.x desc"], "cut_last": true}' >"$K/c.json"
if "$BLALM" assemble --work "$K/work" --out "$K/out" --config "$K/c.json" --quiet 2>"$K/err" &&
   [ "$(cat "$K/out/c/train/s.train")" = alpha ] && "$BLALM" verify "$K/out/c" >/dev/null 2>&1 &&
   "$BLALM" audit --work "$K/work" d1 2>/dev/null | grep -qF 'c: budget full (rank 2; 3 words > 1 words left, and cut to them it would be the text of a training document already taken)'; then
    pass assemble_cut_not_a_taken_text
else
    fail assemble_cut_not_a_taken_text "$(head -c 300 "$K/err") $(head -c 100 "$K/out/c/train/s.train" | od -c | head -3)"
fi
# without dedup a text may be taken twice: the cut is made
sed 's/"cut_last": true/"cut_last": true, "dedup": false/' "$K/c.json" >"$K/c2.json"
"$BLALM" assemble --work "$K/work" --out "$K/out2" --config "$K/c2.json" --quiet 2>"$K/err" &&
    [ "$(cat "$K/out2/c/train/s.train")" = "$(printf 'alpha\n\nalpha')" ] && pass assemble_cut_taken_text_without_dedup ||
    fail assemble_cut_taken_text_without_dedup "$(head -c 300 "$K/err")"

# --- a ranking key whose value is a string ranked that document last, silently
# (a rule comparing it with a number is an error): an error naming the
# attribute file, its line, the ranking and the value; null or missing rank last
R=$TMP/rankstr
mkdir -p "$R/work/docs/src" "$R/work/attributes/my/src"
printf '%s\n' '{"id":"d0","text":"one two three"}' '{"id":"d1","text":"four five six"}' \
    '{"id":"d2","text":"seven eight nine"}' '{"id":"d3","text":"ten eleven twelve"}' >"$R/work/docs/src/x.jsonl"
printf '%s\n' '{"id":"d0","my":{"x":2}}' '{"id":"d1","my":{"x":"hi"}}' '{"id":"d2","my":{"x":null}}' \
    '{"id":"d3","my":{}}' | zstd -q -o "$R/work/attributes/my/src/x.jsonl.zst"
echo '{"corpora": [{"name": "c", "budget": 100}], "rules": [], "ranking": ["my.x desc"]}' >"$R/c.json"
"$BLALM" assemble --work "$R/work" --out "$R/out" --config "$R/c.json" --quiet 2>"$R/err"; rc=$?
[ $rc = 1 ] && [ ! -e "$R/out/c" ] &&
    grep -qF 'attributes/my/src/x.jsonl.zst:2: ranking[0] "my.x desc": my.x is not a number but a string "hi" (document ' "$R/err" &&
    grep -qF 'row 1, id "d1")' "$R/err" && pass assemble_rank_by_string_refused ||
    fail assemble_rank_by_string_refused "rc $rc $(head -c 400 "$R/err")"
printf '%s\n' '{"id":"d0","my":{"x":2}}' '{"id":"d1","my":{"x":3}}' '{"id":"d2","my":{"x":null}}' \
    '{"id":"d3","my":{}}' | zstd -q -f -o "$R/work/attributes/my/src/x.jsonl.zst"
if "$BLALM" assemble --work "$R/work" --out "$R/out" --config "$R/c.json" --quiet 2>"$R/err" &&
   [ "$(zstd -dc "$R/out/c/documents.jsonl.zst" | "$PY" -c 'import json,sys; print(" ".join(json.loads(l)["id"]+":"+str(json.loads(l)["rank"]) for l in sys.stdin))')" = "d0:2 d1:1 d2:3 d3:4" ] ||
   [ "$(zstd -dc "$R/out/c/documents.jsonl.zst" | "$PY" -c 'import json,sys; print(" ".join(json.loads(l)["id"]+":"+str(json.loads(l)["rank"]) for l in sys.stdin))')" = "d0:2 d1:1 d2:4 d3:3" ]; then
    pass assemble_rank_null_missing_last
else
    fail assemble_rank_null_missing_last "$(head -c 300 "$R/err") $(zstd -dc "$R/out/c/documents.jsonl.zst" 2>&1 | head -c 600)"
fi

# --- rule and ranking keys are known from every line of every attribute file,
# not from the first 200 lines of the first ("unknown key" for a key that is
# present only where it applies, or only in a later file)
L=$TMP/latekeys
mkdir -p "$L/work/docs/s" "$L/work/attributes/my/s"
"$PY" - "$L/work" <<'EOF'
import json, sys
w = sys.argv[1]
for part in ("a", "b"):
    docs, attrs = [], []
    for i in range(300):
        docs.append(json.dumps({"id": f"{part}{i}", "text": f"words of {part} {i}"}))
        my = {"x": i}
        if part == "a" and i >= 250:
            my["lang_score"] = 0.9            # only from row 250 of the first file
        if part == "a" and i == 280:
            my["esc_key"] = 1
        if part == "b" and i == 7:
            my["late_file"] = i               # only in the second file
        line = json.dumps({"id": f"{part}{i}", "my": my})
        if part == "a" and i == 280:          # the key written with an escape
            line = line.replace('"esc_key"', '"esc\\u005fkey"')
        attrs.append(line)
    open(f"{w}/docs/s/{part}.jsonl", "w").write("\n".join(docs) + "\n")
    open(f"{w}/attributes/my/s/{part}.jsonl", "w").write("\n".join(attrs) + "\n")
EOF
for f in a b; do zstd -q --rm "$L/work/attributes/my/s/$f.jsonl" -o "$L/work/attributes/my/s/$f.jsonl.zst"; done
echo '{"corpora": [{"name": "c", "budget": 100000, "dev_words": 0}], "rules": ["my.lang_score >= 0.5", "!(my.esc_key == 1)"], "ranking": ["my.late_file desc"]}' >"$L/c.json"
if "$BLALM" assemble --work "$L/work" --out "$L/out" --config "$L/c.json" --quiet 2>"$L/err" &&
   [ "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["documents"])' "$L/out/c/manifest.json")" = 49 ]; then
    pass rule_keys_known_beyond_sample
else
    fail rule_keys_known_beyond_sample "$(head -c 300 "$L/err")"
fi
# a key that is nowhere is still refused, named, and nothing written
echo '{"corpora": [{"name": "c", "budget": 100000, "dev_words": 0}], "rules": ["my.lang_scor >= 0.5"]}' >"$L/c2.json"
"$BLALM" assemble --work "$L/work" --out "$L/out2" --config "$L/c2.json" --quiet 2>"$L/err2"; rc=$?
[ $rc = 1 ] && grep -q "unknown key 'lang_scor' in attribute set 'my'" "$L/err2" && [ ! -e "$L/out2" ] &&
    pass rule_key_unknown_after_full_scan || fail rule_key_unknown_after_full_scan "exit $rc: $(head -c 300 "$L/err2")"

# --- a --work that is not a work directory is named as such, and nothing is created in it
"$BLALM" assemble --work "$TMP/nonexist" --out "$TMP/o9" --config "$W/c.json" --quiet 2>"$TMP/e9"; rc=$?
if [ $rc = 1 ] && grep -q "nonexist/docs: not a folder" "$TMP/e9" && [ ! -e "$TMP/nonexist" ] && [ ! -e "$TMP/o9" ]; then
    pass assemble_bad_work_named
else
    fail assemble_bad_work_named "exit $rc: $(head -c 300 "$TMP/e9"); $(ls -d "$TMP/nonexist" "$TMP/o9" 2>&1 | tr '\n' ' ')"
fi

# --- temp folders that killed runs of other corpus names left in OUT are removed
# too (their process is gone); a live process's are kept
dead=$(sh -c 'echo $$')
mkdir -p "$W/out/.other.tmp.$dead/train" "$W/out/.other.tmp.$dead.old.$dead" "$W/out/.live.tmp.$$"
if "$BLALM" assemble --work "$W/work" --out "$W/out" --config "$W/c.json" --quiet 2>"$TMP/e10" &&
   [ ! -e "$W/out/.other.tmp.$dead" ] && [ ! -e "$W/out/.other.tmp.$dead.old.$dead" ] && [ -d "$W/out/.live.tmp.$$" ]; then
    pass assemble_removes_stale_temps_of_other_names
else
    fail assemble_removes_stale_temps_of_other_names "$(head -c 300 "$TMP/e10"); $(ls -a "$W/out" | tr '\n' ' ')"
fi
rm -rf "$W/out/.live.tmp.$$"

# --- a folder given as the config file is named as a folder
"$BLALM" assemble --work "$W/work" --out "$TMP/o11" --config "$TMP" --quiet 2>"$TMP/e11"; rc=$?
[ $rc = 1 ] && grep -q "$TMP: a folder, expected a file" "$TMP/e11" && pass assemble_config_folder_named ||
    fail assemble_config_folder_named "exit $rc: $(head -c 300 "$TMP/e11")"

# --- manifest counts are whole numbers: 199996.4 words was truncated and passed
frac_words() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); m["words"]+=0.4; json.dump(m,open(p,"w"),indent=2)' "$1"; }
neg_budget() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); m["budget"]=-1; json.dump(m,open(p,"w"),indent=2)' "$1"; }
tamper verify_rejects_fractional_words '"words" missing or not a whole number >= 0' frac_words
tamper verify_rejects_negative_budget '"budget" missing or not a whole number >= 0' neg_budget

# --- "sources" lists exactly the files' sources, and a file's "split" is its
# path's: a manifest without sources.wiki, with a phantom source, or with a
# train file called dev (and sources' dev figures summed to match) passed
msrc() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); exec(sys.argv[2]); json.dump(m,open(p,"w"),indent=2)' "$2" "$1"; }
no_wiki() { msrc 'del m["sources"]["wiki"]' "$1"; }
phantom() { msrc 'm["sources"]["zzz"]={"words":0,"documents":0,"dev_words":0,"dev_documents":0}' "$1"; }
flip_split() { msrc '
f=next(f for f in m["files"] if f["path"]=="train/wiki.train"); f["split"]="dev"
s=m["sources"]["wiki"]; s["dev_words"]+=s["words"]; s["dev_documents"]+=s["documents"]; s["words"]=s["documents"]=0' "$1"; }
tamper verify_rejects_source_not_in_sources 'train/wiki.train is of source "wiki", which "sources" does not list' no_wiki
tamper verify_rejects_phantom_source 'sources.zzz: no file of the corpus is of that source' phantom
tamper verify_rejects_split_not_path '(train/wiki.train): "split" is "dev", its path says "train"' flip_split
# "sources" as an array crashed verify (a member without a name); an entry's
# place in "files" was counted over the valid entries only
src_array() { msrc 'm["sources"]=[1,2]' "$1"; }
tamper verify_rejects_sources_array '"sources" missing or not an object' src_array
bad_then_flip() { msrc '
w=next(f for f in m["files"] if f["path"]=="train/wiki.train"); o=next(f for f in m["files"] if f is not w)
m["files"]=[o, w]+[f for f in m["files"] if f is not w and f is not o]; del o["sha256"]; w["split"]="dev"' "$1"; }
tamper verify_names_entry_place 'files[1] (train/wiki.train): "split" is "dev"' bad_then_flip

# --- a file's "source" is the one its path names (train/<source>.train): two
# files' sources swapped with their train figures, or one file's source
# merged into another's (its figures added), passed
swap_src() { msrc '
a=next(f for f in m["files"] if f["path"]=="train/web.train"); b=next(f for f in m["files"] if f["path"]=="train/wiki.train")
a["source"], b["source"] = "wiki", "web"
S=m["sources"]
for k in ("words", "documents"): S["web"][k], S["wiki"][k] = S["wiki"][k], S["web"][k]' "$1"; }
merge_src() { msrc '
b=next(f for f in m["files"] if f["path"]=="train/wiki.train"); b["source"]="web"
S=m["sources"]
for k in ("words", "documents"): S["web"][k] += S["wiki"][k]; S["wiki"][k] = 0
if not any(f["source"] == "wiki" for f in m["files"]): del S["wiki"]' "$1"; }
tamper verify_rejects_swapped_sources 'train/web.train is said to be of source "wiki", whose files are train/wiki.train and dev/wiki.dev' swap_src
tamper verify_rejects_merged_sources 'train/wiki.train is said to be of source "web", whose files are train/web.train and dev/web.dev' merge_src
# and each document's "key": {"source"} in the index is its file's source
idx_src() { edit_index "$1" '
rows = [json.loads(l) for l in lines]
r = next(r for r in rows if r["file"] == "train/web.train"); r["key"]["source"] = "wiki"
lines = [json.dumps(r) for r in rows]'; }
tamper verify_rejects_index_source_not_files '"key": {"source": "wiki"}, but train/web.train is of source "web" in manifest.json' idx_src

# --- tokenize and train read a blalm corpus only as verify accepts it (they
# once tokenized a corpus whose train file no longer matched its manifest)
if "$BLALM" tokenizer train --corpus "$W/out/strict" --out "$TMP/tk" --vocab 300 --allow-smaller --quiet 2>"$TMP/tk.err"; then
    rm -rf "$TMP/t12"; cp -r "$W/out/strict" "$TMP/t12"
    printf 'extra words' >>"$TMP/t12/train/web.train"
    "$BLALM" tokenize --corpus "$TMP/t12" --tokenizer "$TMP/tk/tokenizer.json" --out "$TMP/tok12" --quiet 2>"$TMP/e12"; rc=$?
    [ $rc = 1 ] && grep -q "blalm verify finds .* problem.* in this corpus" "$TMP/e12" && [ ! -e "$TMP/tok12/tokens.json" ] &&
        pass tokenize_refuses_tampered_corpus || fail tokenize_refuses_tampered_corpus "exit $rc: $(head -c 300 "$TMP/e12")"
    echo '{"d_model": 16, "n_layers": 1, "n_heads": 1, "context": 16}' >"$TMP/m12.json"
    "$BLALM" train --corpus "$TMP/t12" --model "$TMP/m12.json" --out "$TMP/run12" --max-steps 1 --quiet 2>"$TMP/e13"; rc=$?
    [ $rc = 1 ] && grep -q "blalm verify finds" "$TMP/e13" && pass train_refuses_tampered_corpus ||
        fail train_refuses_tampered_corpus "exit $rc: $(head -c 300 "$TMP/e13")"
    check tokenize_reads_verified_corpus "$BLALM" tokenize --corpus "$W/out/strict" --tokenizer "$TMP/tk/tokenizer.json" --out "$TMP/tok13" --quiet
else
    fail tokenize_refuses_tampered_corpus "tokenizer train: $(head -c 300 "$TMP/tk.err")"
fi
