#!/usr/bin/env bash
# What assemble and verify can be trusted with: seeds past 2^53 (refused, not
# rounded), word counts over every character Python's str.split() takes as
# whitespace (and lookalikes it does not), the exact track limits, a manifest
# whose track its words break, a corpus edited with every figure made to agree
# (verify cannot tell; assembling again from its manifest's config can), and
# audit of an id in two files or in none.
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)

if ! command -v zstd >/dev/null; then skip corpora_trust "zstd CLI not installed"; exit 0; fi
W=$TMP/fx
"$PY" "$here/corpora_fixture.py" "$W/work" || { fail corpora_trust_fixture "fixture generator failed"; exit 0; }
# cfg SEED: the fixture's config with that seed (its text as written)
cfg() {
    cat <<EOF
{"corpora": [{"name": "strict", "budget": 200, "dev_words": 30, "track": "strict"},
             {"name": "strict-small", "budget": 80, "dev_words": 10}],
 "rules": ["gopher_quality.pass"], "ranking": ["edu_llm.score desc"], "seed": $1}
EOF
}

# --- seeds: 2^53 - 1 is read exactly; 2^53 + 1 read as a double is 2^53, and
# was assembled with seed 9007199254740992 (exit 0): refused now, as is 2^53
for s in 9007199254740993 9007199254740992 18446744073709551615; do
    cfg $s >"$W/c.json"
    if "$BLALM" assemble --work "$W/work" --out "$W/o-$s" --config "$W/c.json" >/dev/null 2>"$W/err"; then
        fail "assemble_refuses_seed_$s" "exit 0: $(grep -o '"seed": [0-9]*' "$W/o-$s/strict/manifest.json")"
    elif grep -qF '"seed" must be an integer from 0 to 9007199254740991' "$W/err" && [ ! -e "$W/o-$s/strict" ]; then
        pass "assemble_refuses_seed_$s"
    else
        fail "assemble_refuses_seed_$s" "$(cat "$W/err")"
    fi
done
cfg 9007199254740991 >"$W/c.json"
if "$BLALM" assemble --work "$W/work" --out "$W/out" --config "$W/c.json" >/dev/null 2>"$W/err" &&
   grep -q '^  "seed": 9007199254740991,$' "$W/out/strict/manifest.json" &&
   grep -q '"seed":9007199254740991,' "$W/out/strict/manifest.json" &&
   "$BLALM" verify "$W/out/strict" >/dev/null 2>>"$W/err"; then
    pass assemble_seed_2p53_minus_1_exact
else
    fail assemble_seed_2p53_minus_1_exact "$(cat "$W/err")"
fi
# a manifest with seed 2^53 (what an older blalm wrote for 2^53 + 1), its
# config's hash made to agree: verify read both as the same double and passed
rm -rf "$W/s53"; cp -r "$W/out/strict" "$W/s53"
"$PY" - "$W/s53/manifest.json" <<'EOF'
import hashlib, json, sys
p = sys.argv[1]; m = json.load(open(p))
m["seed"] = m["config"]["seed"] = 9007199254740992
m["config_sha256"] = hashlib.sha256(json.dumps(m["config"], separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
json.dump(m, open(p, "w"), indent=2)
EOF
if "$BLALM" verify "$W/s53" >/dev/null 2>"$W/err"; then
    fail verify_refuses_seed_2p53 "exit 0"
elif grep -qF '"seed" is not an integer from 0 to 9007199254740991' "$W/err" &&
     ! grep -q 'config.*has sha256' "$W/err"; then
    pass verify_refuses_seed_2p53
else
    fail verify_refuses_seed_2p53 "$(cat "$W/err")"
fi
# the same for the other whole numbers verify compares: the config's budget
# and dev_words of the manifest's corpus (at 2^53 the comparison with the
# manifest's own was skipped: exit 0) and a source's figures (refused before
# too, but as "is 0, its files say N": the unread figure is not compared)
for k in budget dev_words source_words source_dev_documents; do
    rm -rf "$W/s53"; cp -r "$W/out/strict" "$W/s53"
    "$PY" - "$W/s53/manifest.json" "$k" <<'EOF'
import hashlib, json, sys
p, k = sys.argv[1], sys.argv[2]; m = json.load(open(p))
if k.startswith("source_"):
    m["sources"][sorted(m["sources"])[0]][k[len("source_"):]] = 9007199254740992
else:
    m["config"]["corpora"][0][k] = 9007199254740992
m["config_sha256"] = hashlib.sha256(json.dumps(m["config"], separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
json.dump(m, open(p, "w"), indent=2)
EOF
    if "$BLALM" verify "$W/s53" >/dev/null 2>"$W/err"; then
        fail "verify_refuses_${k}_2p53" "exit 0"
    elif grep -qF "${k#source_}\" is not an integer from 0 to 9007199254740991" "$W/err" &&
         ! grep -q 'config.*has sha256' "$W/err" && ! grep -q " is 0, its files say" "$W/err"; then
        pass "verify_refuses_${k}_2p53"
    else
        fail "verify_refuses_${k}_2p53" "$(cat "$W/err")"
    fi
done

# a file entry whose figures verify cannot read is said once; its source's
# sums, which would miss it, are not compared ("sources.X.words is N, its
# files say N - w" was a second, false problem)
rm -rf "$W/fe"; cp -r "$W/out/strict" "$W/fe"
"$PY" - "$W/fe/manifest.json" <<'EOF'
import json, sys
p = sys.argv[1]; m = json.load(open(p))
m["files"][0]["words"] = m["files"][0]["words"] + 0.5
json.dump(m, open(p, "w"), indent=2)
EOF
if "$BLALM" verify "$W/fe" >/dev/null 2>"$W/err"; then fail verify_bad_file_entry_said_once "exit 0"
elif grep -q 'files\[0\]: expected path, words, documents, bytes, sha256' "$W/err" &&
     ! grep -q 'its files say' "$W/err"; then pass verify_bad_file_entry_said_once
else fail verify_bad_file_entry_said_once "$(cat "$W/err")"; fi

# --- a document's text replaced by as many other words, every count, offset
# and sha256 made to agree: verify checks the corpus against itself and its
# manifest, not against the inputs, so it passes; assembling again from the
# manifest's config (output is byte-identical for the same inputs) shows it
rm -rf "$W/forged"; cp -r "$W/out/strict" "$W/forged"; "$PY" "$here/corpora_forge.py" "$W/forged" retext
grep -q '^forged forged' "$W/forged/train/"*.train && "$BLALM" verify "$W/forged" >/dev/null 2>&1 &&
    pass verify_cannot_tell_a_consistent_forgery || fail verify_cannot_tell_a_consistent_forgery "not forged, or verify refused it"
"$PY" -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["config"], open(sys.argv[2], "w"))' \
    "$W/forged/manifest.json" "$W/again.json"
if "$BLALM" assemble --work "$W/work" --out "$W/again" --config "$W/again.json" >/dev/null 2>"$W/err" &&
   diff -r "$W/again/strict" "$W/out/strict" >/dev/null && ! cmp -s "$W/again/strict/manifest.json" "$W/forged/manifest.json"; then
    pass reassemble_from_manifest_config_shows_forgery
else
    fail reassemble_from_manifest_config_shows_forgery "$(cat "$W/err")"
fi

# --- word counts: every character str.split() splits on, and three it does
# not (zero width space, byte order mark, Mongolian vowel separator), against
# /usr/bin/python3 per document and in all
mkdir -p "$W/ws/docs/s"
"$PY" - "$W/ws/docs/s/d.jsonl" <<'EOF'
import json, sys
ws = [chr(c) for c in range(0x110000) if chr(c).isspace()]
assert "\x1c" in ws and "\x85" in ws and "\u3000" in ws and len(ws) == 29, len(ws)
look = ["\u200b", "\ufeff", "\u180e"]
assert not any(c.split() == [] for c in look)
with open(sys.argv[1], "w") as f:
    for i, c in enumerate(ws):
        f.write(json.dumps({"id": "ws%d" % i, "text": "a" + c + "b" + c + c + "c" + c}) + "\n")
    for i, c in enumerate(look):
        f.write(json.dumps({"id": "lk%d" % i, "text": c + "a" + c + "b c" + c}) + "\n")
    f.write(json.dumps({"id": "all", "text": "x".join(ws) + "y" + "p".join(look) + "q"}) + "\n")
EOF
cat >"$W/ws.json" <<'EOF'
{"corpora": [{"name": "ws", "budget": 100000, "dev_words": 0}], "rules": [], "ranking": [], "seed": 1}
EOF
if "$BLALM" assemble --work "$W/ws" --out "$W/wso" --config "$W/ws.json" >/dev/null 2>"$W/err" &&
   "$BLALM" verify "$W/wso/ws" >/dev/null 2>>"$W/err" &&
   "$PY" - "$W/ws/docs/s/d.jsonl" "$W/wso/ws" >>"$W/err" 2>&1 <<'EOF'
import json, subprocess, sys
src = {d["id"]: d["text"] for d in map(json.loads, open(sys.argv[1]))}
d = sys.argv[2]
rows = [json.loads(l) for l in subprocess.run(["zstd", "-dc", d + "/documents.jsonl.zst"], capture_output=True, check=True).stdout.decode().splitlines()]
assert len(rows) == len(src), (len(rows), len(src))
for r in rows:
    t = src[r["id"]]
    assert r["words"] == len(t.split()), (r["id"], r["words"], len(t.split()))
    assert open(d + "/" + r["file"], "rb").read()[r["offset"]:r["offset"] + r["length"]] == t.encode(), r["id"]
m = json.load(open(d + "/manifest.json"))
assert m["words"] == sum(len(t.split()) for t in src.values()), m["words"]
EOF
then
    pass assemble_words_are_python_split_every_whitespace
else
    fail assemble_words_are_python_split_every_whitespace "$(tail -c 600 "$W/err")"
fi

# --- the track limit is inclusive: 10,000,000 words pass strict-small, one
# more fails it, however the track was named (--track, the manifest, the folder)
mkdir -p "$W/big/docs/s"
"$PY" - "$W/big/docs/s/d.jsonl" <<'EOF'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(10):  # ten texts (dedup takes one document per text)
        f.write(json.dumps({"id": "m%d" % i, "text": " ".join(["w%d" % i] * 1000000)}) + "\n")
EOF
cat >"$W/b10.json" <<'EOF'
{"corpora": [{"name": "ten", "budget": 10000000, "dev_words": 0, "track": "strict-small"}], "rules": [], "ranking": [], "seed": 1}
EOF
if "$BLALM" assemble --work "$W/big" --out "$W/bo" --config "$W/b10.json" >/dev/null 2>"$W/err" &&
   "$BLALM" verify "$W/bo/ten" 2>>"$W/err" | grep -q 'OK: 10000000 words <= budget 10000000, track strict-small (its manifest)'; then
    pass strict_small_limit_exactly_accepted
else
    fail strict_small_limit_exactly_accepted "$(tail -c 600 "$W/err")"
fi
sed 's/10000000/10000001/' "$W/b10.json" >"$W/b11.json"
if "$BLALM" assemble --work "$W/big" --out "$W/bo11" --config "$W/b11.json" >/dev/null 2>"$W/err"; then
    fail strict_small_budget_plus_one_refused "exit 0"
else
    grep -qF 'budget 10000001 above the strict-small track limit of 10000000 words' "$W/err" && [ ! -e "$W/bo11/ten" ] &&
        pass strict_small_budget_plus_one_refused || fail strict_small_budget_plus_one_refused "$(cat "$W/err")"
fi
# 10,000,001 words in a corpus of no track, then held to strict-small
printf '%s\n' '{"id": "one", "text": "w"}' >"$W/big/docs/s/e.jsonl"
cat >"$W/bmine.json" <<'EOF'
{"corpora": [{"name": "mine", "budget": 10000001, "dev_words": 0}], "rules": [], "ranking": [], "seed": 1}
EOF
"$BLALM" assemble --work "$W/big" --out "$W/bm" --config "$W/bmine.json" >/dev/null 2>"$W/err" ||
    fail strict_small_assemble_mine "$(cat "$W/err")"
LIMIT='train split holds 10000001 words, above the strict-small track limit of 10000000'
"$BLALM" verify "$W/bm/mine" >/dev/null 2>&1 && pass verify_mine_no_track_passes || fail verify_mine_no_track_passes "refused"
if "$BLALM" verify "$W/bm/mine" --track strict-small >/dev/null 2>"$W/err"; then fail verify_track_flag_plus_one_refused "exit 0"
else grep -qF "$LIMIT" "$W/err" && pass verify_track_flag_plus_one_refused || fail verify_track_flag_plus_one_refused "$(cat "$W/err")"; fi
medit() { "$PY" -c 'import json,sys; p=sys.argv[1]+"/manifest.json"; m=json.load(open(p)); exec(sys.argv[2]); json.dump(m,open(p,"w"),indent=2)' "$@"; }
rm -rf "$W/bt"; cp -r "$W/bm/mine" "$W/bt"; medit "$W/bt" 'm["track"] = "strict-small"'
if "$BLALM" verify "$W/bt" >/dev/null 2>"$W/err"; then fail verify_manifest_track_plus_one_refused "exit 0"
else grep -qF "$LIMIT" "$W/err" && pass verify_manifest_track_plus_one_refused || fail verify_manifest_track_plus_one_refused "$(cat "$W/err")"; fi
medit "$W/bt" 'm["track"] = "STRICT-SMALL"'
if "$BLALM" verify "$W/bt" >/dev/null 2>"$W/err"; then fail verify_manifest_track_upper_refused "exit 0"
else grep -qF 'unknown track "STRICT-SMALL"' "$W/err" && pass verify_manifest_track_upper_refused || fail verify_manifest_track_upper_refused "$(cat "$W/err")"; fi
rm -rf "$W/fold/strict-small"; mkdir -p "$W/fold"; cp -r "$W/bm/mine" "$W/fold/strict-small"
if "$BLALM" verify "$W/fold/strict-small" >/dev/null 2>"$W/err"; then fail verify_folder_name_plus_one_refused "exit 0"
else grep -qF "$LIMIT" "$W/err" && pass verify_folder_name_plus_one_refused || fail verify_folder_name_plus_one_refused "$(cat "$W/err")"; fi

# --- audit: an id in two input files shows both, the lower-ranked as the
# duplicate of the other by its file and row; an id in no file says so, exit 1
mkdir -p "$W/au/docs/s"
printf '%s\n' '{"id": "d", "text": "one two three"}' '{"id": "x", "text": "other"}' >"$W/au/docs/s/a.jsonl"
printf '%s\n' '{"id": "y", "text": "more"}' '{"id": "d", "text": "four five six seven"}' >"$W/au/docs/s/b.jsonl"
cat >"$W/au.json" <<'EOF'
{"corpora": [{"name": "c", "budget": 1000, "dev_words": 0}], "rules": [], "ranking": [], "seed": 1}
EOF
"$BLALM" assemble --work "$W/au" --out "$W/auo" --config "$W/au.json" >/dev/null 2>&1
out=$("$BLALM" audit --work "$W/au" d 2>&1); rc=$?
if [ $rc = 0 ] && printf '%s\n' "$out" | grep -q '^== s/a.jsonl row 0 (line 1), source s$' &&
   printf '%s\n' "$out" | grep -q '^== s/b.jsonl row 1 (line 2), source s$' &&
   printf '%s\n' "$out" | grep -q '2 locations of id "d"' &&
   [ "$(printf '%s\n' "$out" | grep -c '^  c: train$')" = 1 ] &&
   printf '%s\n' "$out" | grep -Eq '^  c: duplicate: same id as s/(a.jsonl#0|b.jsonl#1), which ranked higher'; then
    pass audit_id_in_two_files
else
    fail audit_id_in_two_files "rc $rc: $out"
fi
out=$("$BLALM" audit --work "$W/au" no-such-id 2>&1); rc=$?
[ $rc = 1 ] && [ "$out" = "blalm audit: no document with id \"no-such-id\" under $W/au" ] &&
    pass audit_unknown_id_message || fail audit_unknown_id_message "rc $rc: $out"
