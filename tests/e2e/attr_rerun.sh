#!/usr/bin/env bash
# The command an attribute record names ("the command that makes it again",
# which assemble shows for a stale set) remakes the set with the settings it
# was made with: a document file changes after tag, dedup and score ran with
# settings other than the defaults; the test runs what assemble's refusal
# names until assemble accepts, and the sets must equal those of a fresh run
# with the first settings. Before, the records named `blalm tag --taggers T
# [--config F]` (no --cmudict), `blalm dedup` (none of its settings: the
# rerun failed with "bands 20 in the file, 14 in this run") and `blalm score
# --model M [--where R]` (no --sample, --max-chars, ...: every document
# scored with the defaults). Also: switching --taggers redoes no set whose
# settings are unchanged (each set's record names its own settings; before,
# one hash of every tagger's settings).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
no_outside_settings
# the records' commands start with "blalm": this one
blalm() { "$BLALM" "$@"; }

# docs DIR: three document files, a few documents repeated (for dedup)
docs() {
    mkdir -p "$1/docs/web"
    "$PY" - "$1/docs/web" <<'PY'
import json, random, sys
rng = random.Random(11)
words = ("the river runs past old hills where farmers grow wheat and children learn to read "
         "about stars planets rain snow wind and the history of small towns").split()
texts = []
for f in range(3):
    with open(f"{sys.argv[1]}/p{f}.jsonl", "w") as out:
        for i in range(40):
            if texts and rng.random() < 0.15:
                text = rng.choice(texts)
            else:
                n = rng.randint(40, 200)
                text = ". ".join(" ".join(rng.choice(words) for _ in range(10)).capitalize()
                                 for _ in range(n // 10)) + "."
                texts.append(text)
            out.write(json.dumps({"id": f"p{f}-{i}", "text": text, "metadata": {"my score": i % 5}}) + "\n")
PY
}
# change DIR: a document of p1.jsonl rewritten, another appended
change() {
    "$PY" - "$1/docs/web/p1.jsonl" <<'PY'
import json, sys
p = sys.argv[1]
lines = open(p).read().splitlines()
d = json.loads(lines[3]); d["text"] = "Rain falls on the hills. " + d["text"]; lines[3] = json.dumps(d)
lines.append(json.dumps({"id": "new", "text": "Children learn to read about the history of small towns and rivers."}))
open(p, "w").write("\n".join(lines) + "\n")
PY
}
# rerun NAME W: runs the command each refusal of assemble names (with
# --quiet) until assemble accepts W; 1 when it never does or a command fails
rerun() {
    local name=$1 w=$2 i cmd
    for i in 1 2 3 4 5 6 7 8; do
        if "$BLALM" assemble --work "$w" --out "$w/out" --quiet 2>"$TMP/err"; then return 0; fi
        cmd=$(grep -o '`[^`]*`' "$TMP/err" | head -1 | tr -d '`')
        if [ -z "$cmd" ] || [[ "$cmd" != "blalm "* ]] || [[ "$cmd" != *" --work $w" ]]; then
            fail "$name" "no command to rerun in: $(cat "$TMP/err")"; return 1
        fi
        echo "$cmd" >>"$TMP/$name.commands"
        if ! eval "$cmd --quiet" >"$TMP/out" 2>&1; then
            fail "$name" "\`$cmd\` failed: $(tail -c 600 "$TMP/out")"; return 1
        fi
    done
    fail "$name" "assemble still refuses after 8 commands: $(cat "$TMP/err")"
    return 1
}
# same NAME A B SETS...: the decompressed attribute files of SETS in work
# directories A and B hold the same lines (edu_llm's latency_ms aside)
same() {
    local name=$1 a=$2 b=$3; shift 3
    if "$PY" - "$a/attributes" "$b/attributes" "$@" >"$TMP/same" 2>&1 <<'PY'
import json, os, subprocess, sys
a, b, sets = sys.argv[1], sys.argv[2], sys.argv[3:]
def lines(p):
    out = []
    for l in subprocess.run(["zstd", "-dcq", p], check=True, capture_output=True).stdout.splitlines():
        o = json.loads(l)
        o.get("edu_llm", {}).pop("latency_ms", None)
        out.append(o)
    return out
n = 0
for s in sets:
    for root, _, files in os.walk(os.path.join(b, s)):
        for f in sorted(files):
            if not f.endswith(".jsonl.zst"): continue
            rel = os.path.relpath(os.path.join(root, f), b)
            x, y = lines(os.path.join(a, rel)), lines(os.path.join(b, rel))
            assert x == y, f"{rel}: {len(x)} lines, {len(y)} in the fresh run; first difference: " + \
                next((f"{p} / {q}" for p, q in zip(x, y) if p != q), "lengths")
            n += 1
assert n >= 3, f"only {n} files compared"
PY
    then pass "$name"; else fail "$name" "$(tail -c 600 "$TMP/same")"; fi
}

# ---- tag: --config and --cmudict ----
cat >"$TMP/tag.json" <<'JSON'
{"gopher_quality": {"min_doc_words": 30}, "c4": {"min_num_sentences": 2}, "fineweb": {"short_line_thr": 0.5}}
JSON
printf 'RIVER  R IH1 V ER0\nHISTORY  HH IH1 S T ER0 IY0\nCHILDREN  CH IH1 L D R AH0 N\n' >"$TMP/mini.dict"
TAGOPTS=(--config "$TMP/tag.json" --cmudict "$TMP/mini.dict")
T=$TMP/t; docs "$T"
"$BLALM" tag --work "$T" "${TAGOPTS[@]}" --quiet 2>"$TMP/e" || fail tag_setup "$(cat "$TMP/e")"
change "$T"
if rerun tag_record_command_remakes_set "$T"; then
    R=$TMP/t-ref; docs "$R"; change "$R"
    "$BLALM" tag --work "$R" "${TAGOPTS[@]}" --quiet 2>"$TMP/e" || fail tag_setup "$(cat "$TMP/e")"
    same tag_record_command_remakes_set "$T" "$R" readability gopher_quality gopher_repetition c4 fineweb
    grep -q -- "--taggers readability --config $TMP/tag.json --cmudict $TMP/mini.dict --work $T" \
        "$TMP/tag_record_command_remakes_set.commands" && pass tag_record_command_names_cmudict ||
        fail tag_record_command_names_cmudict "$(cat "$TMP/tag_record_command_remakes_set.commands")"
fi
# switching --taggers measures nothing whose settings did not change, and
# leaves the records as they were
find "$T/attributes" -name '*.record.json' | sort | xargs cat >"$TMP/records.before"
ok=1
for t in c4 fineweb gopher readability readability,gopher,c4,fineweb; do
    out=$("$BLALM" tag --work "$T" --taggers $t "${TAGOPTS[@]}" 2>&1)
    [[ "$out" == *"0 documents in 0 files (3 skipped as done)"* ]] || { ok=0; fail tag_switch_taggers_redoes_nothing "--taggers $t: $out"; break; }
done
find "$T/attributes" -name '*.record.json' | sort | xargs cat >"$TMP/records.after"
[ $ok = 1 ] && cmp -s "$TMP/records.before" "$TMP/records.after" && pass tag_switch_taggers_redoes_nothing ||
    { [ $ok = 0 ] || fail tag_switch_taggers_redoes_nothing "records changed"; }

# ---- dedup: every setting ----
DDOPTS=(--bands 20 --rows 5 --shingle 3 --seed 7 --normalize lower,space --no-exact-url --keep-max 'my score' --verify-jaccard 0.5)
D=$TMP/d; docs "$D"
"$BLALM" dedup --work "$D" "${DDOPTS[@]}" --quiet 2>"$TMP/e" || fail dedup_setup "$(cat "$TMP/e")"
change "$D"
if rerun dedup_record_command_remakes_set "$D"; then
    R=$TMP/d-ref; docs "$R"; change "$R"
    "$BLALM" dedup --work "$R" "${DDOPTS[@]}" --quiet 2>"$TMP/e" || fail dedup_setup "$(cat "$TMP/e")"
    same dedup_record_command_remakes_set "$D" "$R" dedup
fi

# stage by stage (README's multi-node recipe): the attributes stage does not
# take --verify-jaccard, yet the record names the one the clusters were made
# with (it named the attributes stage's own flag: none here)
D2=$TMP/d2; docs "$D2"
for st in signatures buckets cluster; do
    "$BLALM" dedup --work "$D2" --stage "$st" --verify-jaccard 0.9 --quiet 2>>"$TMP/e2" || fail dedup_stage_setup "$(cat "$TMP/e2")"
done
"$BLALM" dedup --work "$D2" --stage attributes --quiet 2>>"$TMP/e2" || fail dedup_stage_setup "$(cat "$TMP/e2")"
if grep -q -- '--verify-jaccard 0.9' "$D2/attributes/dedup/web/p0.record.json"; then
    pass dedup_record_stagewise_verify_jaccard
else fail dedup_record_stagewise_verify_jaccard "$(cat "$D2/attributes/dedup/web/p0.record.json")"; fi

# ---- score: --sample, --seed, --max-chars, --temperature, --max-tokens, --json-schema ----
start_peer P
export OPENAI_BASE_URL="http://127.0.0.1:$P/v1" OPENAI_API_KEY=test-key-rerun-5
SCOPTS=(--model stand-in-m --sample 4 --seed 3 --max-chars 120 --temperature 0.5 --max-tokens 64 --json-schema)
S=$TMP/s; docs "$S"
"$BLALM" score --work "$S" "${SCOPTS[@]}" --quiet 2>"$TMP/e" || fail score_setup "$(cat "$TMP/e")"
change "$S"
n0=$(peer_requests $P)
if rerun score_record_command_remakes_set "$S"; then
    n1=$(peer_requests $P)
    R=$TMP/s-ref; docs "$R"; change "$R"
    "$BLALM" score --work "$R" "${SCOPTS[@]}" --quiet 2>"$TMP/e" || fail score_setup "$(cat "$TMP/e")"
    same score_record_command_remakes_set "$S" "$R" edu_llm
    # the sample's documents of the changed file at most (those the cache
    # does not hold), not all 41 of it
    [ $((n1 - n0)) -le 4 ] && pass score_record_command_sends_the_sample ||
        fail score_record_command_sends_the_sample "$((n1 - n0)) requests"
fi
grep -rq "test-key-rerun-5" "$S" && fail score_record_no_key "the API key is in $S" || pass score_record_no_key
