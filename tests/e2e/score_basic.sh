#!/usr/bin/env bash
# blalm score against the loopback OpenAI stand-in: response shapes, the real
# reasoning texts, caching, --where, --dry-run, guards, --json-schema,
# --prompt, --max-chars, --stats, secrets, bad input.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"

W=$TMP/w
mkdir -p "$W/docs/web"
make_docs "$W/docs/web/part0.jsonl" 40
make_docs "$W/docs/web/part1.jsonl" 25 e
export OPENAI_API_KEY=
unset OPENAI_BASE_URL

# ---- usage ----
out=$(OPENAI_API_KEY=sk-help-secret-123 $BLALM score --help 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'usage: blalm score' <<<"$out" && ! grep -q 'sk-help-secret' <<<"$out"; then
    pass score_help; else fail score_help "rc=$rc"; fi
$BLALM score --work "$W" --model m --bogus >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && pass score_unknown_flag || fail score_unknown_flag "rc=$rc"
$BLALM score --work "$W" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && pass score_needs_model || fail score_needs_model "rc=$rc"
$BLALM score --work "$W" --model m --concurrency 0 >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] && pass score_bad_concurrency || fail score_bad_concurrency "rc=$rc"

# ---- each response shape ----
for shape in openai vllm llamacpp reasoning; do
    start_peer P --shape $shape
    SW=$TMP/shape-$shape; mkdir -p "$SW/docs/web"; cp "$W/docs/web/part0.jsonl" "$SW/docs/web/"
    if $BLALM score --work "$SW" --endpoint "http://127.0.0.1:$P/v1" --model test-model --concurrency 4 -q 2>"$TMP/err"; then
        res=$(attrs "$SW/attributes/edu_llm/web/part0.jsonl.zst" | "$PY" -c '
import json, sys
shape = sys.argv[1]
n = bad = 0
for line in sys.stdin:
    o = json.loads(line); a = o["edu_llm"]; n += 1
    ok = (a["selected"] is True and isinstance(a["score"], int) and 0 <= a["score"] <= 5 and a["error"] is None
          and "stand-in" in a["model"] and a["prompt_tokens"] > 0 and a["completion_tokens"] > 0
          and a["attempts"] == 1 and a["finish_reason"] == "stop" and len(a["prompt_sha256"]) == 64
          and isinstance(a["latency_ms"], int) and a["justification"] and a["raw"].rstrip().endswith("Educational score: %d" % a["score"]))
    if shape == "reasoning":
        ok = ok and a.get("reasoning") == a["justification"]
    bad += not ok
print(n, bad)' $shape)
        [ "$res" = "40 0" ] && pass "score_shape_$shape" || fail "score_shape_$shape" "docs/bad: $res"
        if [ $shape = openai ]; then  # 40 requests, 4 at a time, over kept-alive connections
            conns=$(peer_get $P /stats | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["connections"])')
            [ "$conns" -le 6 ] && pass score_keep_alive || fail score_keep_alive "$conns connections for 40 requests at --concurrency 4"
        fi
    else
        fail "score_shape_$shape" "$(cat "$TMP/err")"
    fi
    stop_peers
done

# ---- real reasoning texts from fineweb-legal, the cache, --stats ----
if need_shared && [ -f "$SHARED_DATA/fineweb-legal.jsonl.zst" ]; then
    R=$TMP/real; mkdir -p "$R/docs/legal"
    zstd -dcq "$SHARED_DATA/fineweb-legal.jsonl.zst" | head -300 >"$R/docs/legal/first300.jsonl"
    start_peer P --shape vllm --data "$SHARED_DATA/fineweb-legal.jsonl.zst"
    if $BLALM score --work "$R" --endpoint "http://127.0.0.1:$P/v1" --model m --concurrency 16 -q 2>"$TMP/err"; then
        res=$(attrs "$R/attributes/edu_llm/legal/first300.jsonl.zst" | "$PY" -c '
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
got = [json.loads(l) for l in sys.stdin]
same = sum(1 for d, g in zip(docs, got) if d["id"] == g["id"] and g["edu_llm"]["score"] == d["metadata"]["score"]
           and g["edu_llm"]["justification"] == d["metadata"]["reasoning"].strip())
print(len(got), same)' "$R/docs/legal/first300.jsonl")
        [ "$res" = "300 300" ] && pass score_real_reasoning || fail score_real_reasoning "docs/matching: $res"
        n1=$(peer_requests $P)
        cp "$R/attributes/edu_llm/legal/first300.jsonl.zst" "$TMP/first.zst"
        $BLALM score --work "$R" --endpoint "http://127.0.0.1:$P/v1" --model m --force -q
        n2=$(peer_requests $P)
        if [ "$n1" = 300 ] && [ "$n2" = 300 ] && cmp -s <(attrs "$TMP/first.zst") <(attrs "$R/attributes/edu_llm/legal/first300.jsonl.zst"); then
            pass score_rerun_from_cache; else fail score_rerun_from_cache "requests $n1 then $n2, or attributes differ"; fi
        st=$($BLALM score --work "$R" --stats)
        if grep -q '300 documents in 1 files, 300 selected' <<<"$st" && grep -q 'no score: 0' <<<"$st"; then
            pass score_stats; else fail score_stats "$st"; fi
        [ -s "$R/stats/score.json" ] && pass score_stats_file || fail score_stats_file "no WORK/stats/score.json"
    else
        fail score_real_reasoning "$(cat "$TMP/err")"
    fi
    stop_peers
else
    skip score_real_reasoning "no \$BLALM_SHARED_DATA/fineweb-legal.jsonl.zst"
fi

start_peer P
EP="http://127.0.0.1:$P/v1"

# ---- --where over attributes already written; unselected lines keep alignment ----
for part in part0 part1; do
    mkdir -p "$W/attributes/toy/web"
    "$PY" -c '
import json, sys
for i, line in enumerate(open(sys.argv[1], encoding="utf-8")):
    d = json.loads(line)
    print(json.dumps({"id": d["id"], "toy": {"pass": i % 3 != 0, "len": len(d["text"])}}))' "$W/docs/web/$part.jsonl" | zstd -q -o "$W/attributes/toy/web/$part.jsonl.zst"
done
before=$(peer_requests $P)
if $BLALM score --work "$W" --endpoint "$EP" --model m --where 'toy.pass && toy.len > 0' -q 2>"$TMP/err"; then
    sent=$(( $(peer_requests $P) - before ))
    res=$(for part in part0 part1; do attrs "$W/attributes/edu_llm/web/$part.jsonl.zst"; done | "$PY" -c '
import json, sys
n = sel = bad = 0
for i, line in enumerate(sys.stdin):
    a = json.loads(line)["edu_llm"]; n += 1
    sel += a["selected"]
    if not a["selected"] and (a["score"] is not None or a["raw"] is not None): bad += 1
print(n, sel, bad)')
    # part0: 40 docs, 26 pass; part1: 25 docs, 16 pass
    [ "$res" = "65 42 0" ] && [ "$sent" = 42 ] && pass score_where || fail score_where "docs/selected/bad: $res, sent $sent"
else
    fail score_where "$(cat "$TMP/err")"
fi
$BLALM score --work "$W" --endpoint "$EP" --model m --where 'nosuch.pass' -q 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q nosuch "$TMP/err" && pass score_where_unknown_set || fail score_where_unknown_set "rc=$rc $(cat "$TMP/err")"
$BLALM score --work "$W" --endpoint "$EP" --model m --where 'toy.nokey > 1' -q 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q nokey "$TMP/err" && pass score_where_unknown_key || fail score_where_unknown_key "rc=$rc $(cat "$TMP/err")"
$BLALM score --work "$W" --endpoint "$EP" --model m --where 'toy.pass &&' -q 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && pass score_where_syntax || fail score_where_syntax "rc=$rc $(cat "$TMP/err")"

# ---- --dry-run sends nothing, writes nothing ----
D=$TMP/dry; mkdir -p "$D/docs/web"; cp "$W/docs/web/part0.jsonl" "$D/docs/web/"
before=$(peer_requests $P)
out=$($BLALM score --work "$D" --endpoint "$EP" --model m --dry-run -q 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '40 documents' <<<"$out" && grep -q '40 would be sent' <<<"$out" \
   && [ "$(peer_requests $P)" = "$before" ] && [ ! -e "$D/attributes" ]; then
    pass score_dry_run; else fail score_dry_run "rc=$rc $out"; fi
# audit s37 #5: each text counted once, the spending guards applied; what
# the real run then sends
D2=$TMP/dry2; mkdir -p "$D2/docs/web"
"$PY" -c '
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(30):
        f.write(json.dumps({"id": "d%d" % i, "text": "The same lesson %d about rivers." % (i % 10)}) + "\n")' "$D2/docs/web/a.jsonl"
for guard in "" "--max-requests 4"; do
    out=$($BLALM score --work "$D2" --endpoint "$EP" --model m --dry-run $guard -q 2>&1)
    would=$(sed -n 's/.* \([0-9]*\) would be sent.*/\1/p' <<<"$out")
    before=$(peer_requests $P)
    $BLALM score --work "$D2" --endpoint "$EP" --model m --cache "$TMP/dry2cache.$RANDOM" --force $guard -q 2>/dev/null
    sent=$(( $(peer_requests $P) - before ))
    want=10; [ -n "$guard" ] && want=4
    [ "$would" = "$sent" ] && [ "$sent" = $want ] && pass "score_dry_run_counts_once${guard:+_guard}" \
        || fail "score_dry_run_counts_once${guard:+_guard}" "dry run says $would, the run sent $sent (want $want): $out"
done

# ---- WORK/stats/score.json describes the whole set; this_run the invocation ----
# (a rerun that found every file complete wrote 0 documents and an empty
# histogram, losing the tokens the set's answers cost)
S=$TMP/stats; mkdir -p "$S/docs/web"; cp "$W/docs/web/part0.jsonl" "$W/docs/web/part1.jsonl" "$S/docs/web/"
score_stats_check() { # FILES_DONE FILES_SKIPPED SENT
    "$PY" - "$S" "$@" <<'PY'
import json, subprocess, sys
w, files, skipped, sent = sys.argv[1], *map(int, sys.argv[2:])
st = json.load(open(f"{w}/stats/score.json"))
docs, hist, pt, ct = 0, [0] * 6, 0, 0
for part in ["part0", "part1"]:
    out = subprocess.run(["zstd", "-dcq", f"{w}/attributes/edu_llm/web/{part}.jsonl.zst"], check=True, capture_output=True).stdout
    for line in out.decode().splitlines():
        a = json.loads(line)["edu_llm"]; docs += 1
        hist[a["score"]] += 1; pt += a["prompt_tokens"]; ct += a["completion_tokens"]
want = {"files": 2, "documents": docs, "selected": docs, "scored": docs, "histogram": hist,
        "prompt_tokens": pt, "completion_tokens": ct}
got = {k: st.get(k) for k in want}
assert got == want and docs == 65 and pt > 0, (got, want)
r = st["this_run"]
assert (r["files"], r["files_skipped"], r["sent"]) == (files, skipped, sent), r
assert sent or r["prompt_tokens"] == 0, r
assert skipped < 2 or r["documents"] == 0, r
PY
}
$BLALM score --work "$S" --endpoint "$EP" --model m -q 2>"$TMP/err" && score_stats_check 2 0 65 >"$TMP/out" 2>&1 &&
$BLALM score --work "$S" --endpoint "$EP" --model m -q 2>>"$TMP/err" && score_stats_check 0 2 0 >>"$TMP/out" 2>&1 &&
    pass score_stats_whole_set_after_rerun || fail score_stats_whole_set_after_rerun "$(cat "$TMP/err"; tail -c 400 "$TMP/out")"
# one file redone (its marker gone), its answers from the cache: the set as before
rm "$(find "$S/state/score" -name 'part1*.done')"
$BLALM score --work "$S" --endpoint "$EP" --model m -q 2>"$TMP/err" && score_stats_check 1 1 0 >"$TMP/out" 2>&1 &&
    "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1]))["this_run"]; assert (r["documents"], r["cached"]) == (25, 25), r' "$S/stats/score.json" 2>>"$TMP/out" &&
    pass score_stats_whole_set_partial_redo || fail score_stats_whole_set_partial_redo "$(cat "$TMP/err"; tail -c 400 "$TMP/out")"

# ---- spending guards: stop sending, mark unsent, resume later without paying twice ----
G=$TMP/guard; mkdir -p "$G/docs/web"; cp "$W/docs/web/part0.jsonl" "$G/docs/web/"
before=$(peer_requests $P)
$BLALM score --work "$G" --endpoint "$EP" --model m --max-requests 7 --concurrency 3 -q 2>"$TMP/err"; rc=$?
sent=$(( $(peer_requests $P) - before ))
unsent=$(attrs "$G/attributes/edu_llm/web/part0.jsonl.zst" | grep -c '"error":"not sent: --max-requests 7 reached"')
[ $rc -eq 0 ] && [ $sent = 7 ] && [ "$unsent" = 33 ] && pass score_max_requests || fail score_max_requests "rc=$rc sent=$sent unsent=$unsent"
$BLALM score --work "$G" --endpoint "$EP" --model m -q 2>"$TMP/err"
sent=$(( $(peer_requests $P) - before ))
left=$(attrs "$G/attributes/edu_llm/web/part0.jsonl.zst" | grep -c '"score":null')
[ $sent = 40 ] && [ "$left" = 0 ] && pass score_guard_resume || fail score_guard_resume "sent=$sent null scores=$left"
G2=$TMP/guard2; mkdir -p "$G2/docs/web"; cp "$W/docs/web/part0.jsonl" "$G2/docs/web/"
before=$(peer_requests $P)
$BLALM score --work "$G2" --endpoint "$EP" --model m --max-prompt-tokens 3000 --concurrency 2 -q 2>/dev/null
sent=$(( $(peer_requests $P) - before ))
[ "$sent" -ge 1 ] && [ "$sent" -lt 10 ] && pass score_max_prompt_tokens || fail score_max_prompt_tokens "sent=$sent"

# ---- --json-schema ----
J=$TMP/json; mkdir -p "$J/docs/web"; cp "$W/docs/web/part0.jsonl" "$J/docs/web/"
if $BLALM score --work "$J" --endpoint "$EP" --model m --json-schema -q 2>"$TMP/err"; then
    res=$(attrs "$J/attributes/edu_llm/web/part0.jsonl.zst" | "$PY" -c '
import json, sys
ok = 0
for l in sys.stdin:
    a = json.loads(l)["edu_llm"]
    r = json.loads(a["raw"])
    ok += a["score"] == r["score"] and a["justification"] == r["justification"].strip()
print(ok)')
    [ "$res" = 40 ] && pass score_json_schema || fail score_json_schema "matching $res/40"
else fail score_json_schema "$(cat "$TMP/err")"; fi

# ---- --cache DIR is shared across work directories ----
X1=$TMP/x1; X2=$TMP/x2; mkdir -p "$X1/docs/web" "$X2/docs/other"
make_docs "$X1/docs/web/x.jsonl" 12 x; cp "$X1/docs/web/x.jsonl" "$X2/docs/other/y.jsonl"
before=$(peer_requests $P)
$BLALM score --work "$X1" --endpoint "$EP" --model m --cache "$TMP/shared-cache" -q 2>"$TMP/err"
$BLALM score --work "$X2" --endpoint "$EP" --model m --cache "$TMP/shared-cache" -q 2>>"$TMP/err"
sent=$(( $(peer_requests $P) - before ))
[ $sent = 12 ] && cmp -s <(attrs "$X1/attributes/edu_llm/web/x.jsonl.zst") <(attrs "$X2/attributes/edu_llm/other/y.jsonl.zst") \
    && pass score_cache_shared || fail score_cache_shared "sent $sent (want 12) $(cat "$TMP/err")"

# ---- --config: defaults from JSON, flags win, unknown keys refused ----
C=$TMP/cfg; mkdir -p "$C/docs/web"; make_docs "$C/docs/web/c.jsonl" 5 c
printf '{"score": {"endpoint": "%s", "model": "from-config", "json_schema": true, "max_tokens": 300}}\n' "$EP" >"$C/cfg.json"
if $BLALM score --work "$C" --config "$C/cfg.json" --max-tokens 400 -q 2>"$TMP/err"; then
    n=$(attrs "$C/attributes/edu_llm/web/c.jsonl.zst" | grep '"model":"stand-in[^"]*asked for from-config' | grep -c '"raw":"{')
    [ "$n" = 5 ] && pass score_config || fail score_config "$n of 5 lines show the config's model and JSON replies"
else fail score_config "$(cat "$TMP/err")"; fi
printf '{"score": {"modle": "x"}}\n' >"$C/bad.json"
$BLALM score --work "$C" --config "$C/bad.json" -q 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q '"modle"' "$TMP/err" && pass score_config_unknown_key || fail score_config_unknown_key "rc=$rc $(cat "$TMP/err")"
# a run config's score member, with the run's "sample" (refused as an unknown key before)
printf '{"sources": [], "tag": {"taggers": ["c4"]}, "score": {"endpoint": "%s", "model": "from-run", "sample": 2, "seed": 3}}\n' "$EP" >"$C/run.json"
if $BLALM score --work "$C" --config "$C/run.json" -q 2>"$TMP/err"; then
    n=$(attrs "$C/attributes/edu_llm/web/c.jsonl.zst" | grep -c '"selected":true')
    [ "$n" = 2 ] && pass score_config_run_config_sample || fail score_config_run_config_sample "$n of 5 selected, want 2"
else fail score_config_run_config_sample "$(cat "$TMP/err")"; fi
printf '{"score": {"sample": 0}}\n' >"$C/bad0.json"
$BLALM score --work "$C" --config "$C/bad0.json" -q 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q 'score: sample must be in 1\.\.' "$TMP/err" && pass score_config_sample_zero || fail score_config_sample_zero "rc=$rc $(cat "$TMP/err")"
# --seed and the config's seed take the same values, refuse the same with the
# same words (the flag took -5, " 5" and 2^63-1; the config -5 and 1.5, cut to 1)
ok=1; why=
for s in -5 " 5" +5 1.5 1e3 9007199254740992 9223372036854775807 x ""; do
    $BLALM score --work "$C" --endpoint "$EP" --model m --seed "$s" --dry-run -q 2>"$TMP/err"; rc=$?
    { [ $rc -eq 2 ] && grep -qF -- "--seed '$s': expected a whole number from 0 to 9007199254740991" "$TMP/err"; } ||
        { ok=0; why="$why [flag '$s'] rc=$rc $(head -c 200 "$TMP/err")"; }
done
for s in -5 1.5 9007199254740992 '"5"' null; do
    printf '{"score": {"seed": %s}}\n' "$s" >"$C/seed.json"
    $BLALM score --work "$C" --endpoint "$EP" --model m --config "$C/seed.json" --dry-run -q 2>"$TMP/err"; rc=$?
    { [ $rc -eq 1 ] && grep -qF "seed: expected a whole number from 0 to 9007199254740991" "$TMP/err"; } ||
        { ok=0; why="$why [config $s] rc=$rc $(head -c 200 "$TMP/err")"; }
done
for s in 0 9007199254740991; do
    printf '{"score": {"seed": %s}}\n' "$s" >"$C/seed.json"
    $BLALM score --work "$C" --endpoint "$EP" --model m --seed "$s" --dry-run >/dev/null 2>"$TMP/err" &&
        $BLALM score --work "$C" --endpoint "$EP" --model m --config "$C/seed.json" --dry-run >/dev/null 2>>"$TMP/err" ||
        { ok=0; why="$why [$s refused] $(head -c 200 "$TMP/err")"; }
done
[ $ok = 1 ] && pass score_seed_flag_and_config_agree || fail score_seed_flag_and_config_agree "$why"
# the config's counts are whole numbers, as the flags' and a run config's
# (max_requests 1.5 was cut to 1, concurrency 2.5 to 2)
ok=1; why=
for kv in '"max_requests": 1.5' '"max_chars": 10.7' '"concurrency": 2.5' '"max_attempts": 1.5' '"max_tokens": 1.5' \
          '"max_prompt_tokens": 0.5' '"sample": 2.5'; do
    printf '{"score": {%s}}\n' "$kv" >"$C/frac.json"
    $BLALM score --work "$C" --endpoint "$EP" --model m --config "$C/frac.json" --dry-run -q 2>"$TMP/err"; rc=$?
    k=${kv%%\":*}; k=${k#\"}
    { [ $rc -eq 1 ] && grep -qF "score: $k must be a whole number" "$TMP/err"; } ||
        { ok=0; why="$why [$kv] rc=$rc $(head -c 200 "$TMP/err")"; }
done
[ $ok = 1 ] && pass score_config_counts_whole || fail score_config_counts_whole "$why"

# ---- a docs tree of other names (dolma's .json.gz): refused, naming them, nothing sent ----
G=$TMP/dolma; mkdir -p "$G/docs/s"
printf '{"id":"a","text":"hello world"}\n' | gzip >"$G/docs/s/part-0000.json.gz"
before=$(peer_requests $P)
ok=1; why=
for args in "--model m --dry-run" "--model m" ""; do
    # shellcheck disable=SC2086
    $BLALM score --work "$G" --endpoint "$EP" $args -q 2>"$TMP/err"; rc=$?
    { [ $rc -eq 1 ] && grep -qF "$G/docs: no document files (names ending in .parquet" "$TMP/err" &&
      grep -qF "so skipped: $G/docs/s/part-0000.json.gz" "$TMP/err"; } || { ok=0; why="$why [$args] rc=$rc $(head -c 200 "$TMP/err")"; }
done
[ $ok = 1 ] && [ "$(peer_requests $P)" = "$before" ] && [ ! -e "$G/attributes" ] &&
    pass score_refuses_docs_of_other_names || fail score_refuses_docs_of_other_names "$why"

# ---- --prompt FILE and --max-chars: the exact text sent ----
T=$TMP/tpl; mkdir -p "$T/docs/web"
printf '%s\n' '{"id":"u1","text":"été à Zürich — 東京 and more text follows here"}' '{"id":"u2","text":"ab"}' >"$T/docs/web/u.jsonl"
printf 'Rate this: [{text}] then end with Educational score: N\n' >"$T/prompt.txt"
before=$(peer_get $P /stats)
if $BLALM score --work "$T" --endpoint "$EP" --model m --prompt "$T/prompt.txt" --max-chars 7 -q 2>"$TMP/err"; then
    res=$("$PY" - "$T/prompt.txt" "$T/docs/web/u.jsonl" <<EOF
import hashlib, json, sys
tpl = open(sys.argv[1], encoding="utf-8").read()
after = json.loads('''$(peer_get $P /stats)''')["by_text"]
ok = 0
for line in open(sys.argv[2], encoding="utf-8"):
    text = json.loads(line)["text"][:7]
    ok += hashlib.sha256(tpl.replace("{text}", text).encode()).hexdigest() in after
print(ok)
EOF
)
    sha=$(sha256sum "$T/prompt.txt" | cut -c1-64)
    n=$(attrs "$T/attributes/edu_llm/web/u.jsonl.zst" | grep -c "\"prompt_sha256\":\"$sha\"")
    [ "$res" = 2 ] && [ "$n" = 2 ] && pass score_prompt_and_max_chars || fail score_prompt_and_max_chars "texts matched $res, sha matched $n"
else fail score_prompt_and_max_chars "$(cat "$TMP/err")"; fi
printf 'no placeholder\n' >"$T/bad.txt"
$BLALM score --work "$T" --endpoint "$EP" --model m --prompt "$T/bad.txt" -q 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && grep -q '{text}' "$TMP/err" && pass score_prompt_without_placeholder || fail score_prompt_without_placeholder "rc=$rc"

# ---- --rps and --tpm pace the requests ----
L=$TMP/rps; mkdir -p "$L/docs/web"; make_docs "$L/docs/web/r.jsonl" 30 r
t0=$(date +%s%N)
$BLALM score --work "$L" --endpoint "$EP" --model m --rps 20 -q 2>"$TMP/err"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
# 30 starts at 20/s: the first at once, 29 more over >= 1.45 s
[ $rc -eq 0 ] && [ $ms -ge 1300 ] && [ $ms -le 15000 ] && pass score_rps || fail score_rps "rc=$rc ${ms} ms"
L=$TMP/tpm; mkdir -p "$L/docs/web"; make_docs "$L/docs/web/t.jsonl" 40 t
est=$($BLALM score --work "$L" --endpoint "$EP" --model m --dry-run -q | sed 's/.*about \([0-9]*\) prompt tokens.*/\1/')
tpm=$(( est * 60 / 4 ))   # a quarter of the job per second: >= 3 s for the whole
t0=$(date +%s%N)
$BLALM score --work "$L" --endpoint "$EP" --model m --tpm $tpm -q 2>"$TMP/err"; rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $rc -eq 0 ] && [ $ms -ge 2500 ] && [ $ms -le 20000 ] && pass score_tpm || fail score_tpm "rc=$rc ${ms} ms for $est estimated tokens at --tpm $tpm"

# ---- bad input: a malformed document line fails clearly, nothing half-written ----
B=$TMP/bad; mkdir -p "$B/docs/web"
printf '%s\n' '{"id":"a","text":"fine"}' '{"id":"b","text":' >"$B/docs/web/broken.jsonl"
$BLALM score --work "$B" --endpoint "$EP" --model m -q 2>"$TMP/err"; rc=$?
if [ $rc -eq 1 ] && grep -q 'broken.jsonl' "$TMP/err" && [ -z "$(find "$B/attributes" -type f 2>/dev/null)" ]; then
    pass score_bad_document; else fail score_bad_document "rc=$rc $(cat "$TMP/err")"; fi
$BLALM score --work "$TMP/nowhere" --endpoint "$EP" --model m -q 2>"$TMP/err"; rc=$?
[ $rc -eq 1 ] && pass score_missing_docs || fail score_missing_docs "rc=$rc"
stop_peers

# ---- the API key never leaves the Authorization header ----
KEY="sk-blalm-test-$RANDOM$RANDOM-secret"
start_peer P --require-key "$KEY"
K=$TMP/key; mkdir -p "$K/docs/web"; cp "$W/docs/web/part1.jsonl" "$K/docs/web/"
printf '%s\n' "$KEY" >"$TMP/keyfile"
OPENAI_API_KEY=$KEY OPENAI_BASE_URL="http://127.0.0.1:$P/v1" $BLALM score --work "$K" --model m >"$TMP/log1" 2>&1; rc1=$?
$BLALM score --work "$K" --model m --endpoint "http://127.0.0.1:$P/v1" --api-key-file "$TMP/keyfile" --force >"$TMP/log2" 2>&1; rc2=$?
$BLALM score --work "$K" --model m --endpoint "http://127.0.0.1:$P/v1" --stats >"$TMP/log3" 2>&1
$BLALM score --work "$K" --model m --endpoint "http://127.0.0.1:$P/v1" --api-key-file "$TMP/keyfile" --help >"$TMP/log4" 2>&1
WRONG="sk-wrong-$RANDOM$RANDOM-key"
OPENAI_API_KEY=$WRONG $BLALM score --work "$K" --model m2 --endpoint "http://127.0.0.1:$P/v1" >"$TMP/log5" 2>&1; rc5=$?
leaks=$(grep -rl -e "$KEY" -e "$WRONG" "$K" "$TMP"/log* 2>/dev/null | wc -l)
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ $rc5 -eq 1 ] && grep -q 401 "$TMP/log5" && [ "$leaks" = 0 ]; then
    pass score_api_key_secret; else fail score_api_key_secret "rc $rc1 $rc2 $rc5, files with the key: $leaks: $(cat "$TMP/log5")"; fi
stop_peers

# ---- progress: a total when every file is parquet (the footers' rows) ----
# plain lines off a terminal read "score: DONE / TOTAL ..." (the bar had no
# total); a rerun that skips complete files counts their documents at once;
# JSON lines are counted first (they gave no total: "score: 25 elapsed ...")
start_peer P
if need_shared; then
    G=$TMP/progress; mkdir -p "$G/docs/legal"
    cp "$SHARED_DATA"/fineweb-legal/batch_00000{1,2}.parquet "$G/docs/legal/"
    BLALM_PROGRESS_SECONDS=0.000001 $BLALM score --work "$G" --endpoint "http://127.0.0.1:$P/v1" --model m \
        --max-chars 200 --concurrency 8 >/dev/null 2>"$TMP/pg1"; rc1=$?
    rm "$G/attributes/edu_llm/legal/batch_000002."*   # one file to redo, one to skip
    BLALM_PROGRESS_SECONDS=0.000001 $BLALM score --work "$G" --endpoint "http://127.0.0.1:$P/v1" --model m \
        --max-chars 200 --concurrency 8 >/dev/null 2>"$TMP/pg2"; rc2=$?
    rows=$("$BLALM" count --json -q "$G"/docs/legal/*.parquet | tail -1 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["docs"])')
    last1=$(grep '^score: ' "$TMP/pg1" | tail -1); last2=$(grep '^score: ' "$TMP/pg2" | tail -1)
    first2=$(grep '^score: ' "$TMP/pg2" | head -1 | cut -d' ' -f2)
    if [ $rc1 = 0 ] && [ $rc2 = 0 ] && [[ $last1 == "score: $rows / $rows "* ]] && [[ $last2 == "score: $rows / $rows "* ]] \
       && [ "$first2" -ge 100 ]; then
        pass score_progress_total
    else fail score_progress_total "rc $rc1/$rc2, $rows rows; last lines '$last1' / '$last2', first of the rerun $first2"; fi
else
    skip score_progress_total "needs ../shared/data (fineweb-legal parquet)"
fi
J=$TMP/progress-jsonl; mkdir -p "$J/docs/web"; cp "$W/docs/web/part1.jsonl" "$J/docs/web/"
BLALM_PROGRESS_SECONDS=0.000001 $BLALM score --work "$J" --endpoint "http://127.0.0.1:$P/v1" --model m >/dev/null 2>"$TMP/pg3"
last3=$(grep '^score: ' "$TMP/pg3" | tail -1)
first3=$(grep '^score: ' "$TMP/pg3" | head -1)
# and with --sample, whose first pass counts them (a second file, the first one done)
cp "$W/docs/web/part1.jsonl" "$J/docs/web/part2.jsonl"
BLALM_PROGRESS_SECONDS=0.000001 $BLALM score --work "$J" --endpoint "http://127.0.0.1:$P/v1" --model m --sample 5 \
    >/dev/null 2>"$TMP/pg4"
last4=$(grep '^score: ' "$TMP/pg4" | tail -1)
[[ $last3 == "score: 25 / 25 "* ]] && [[ $first3 == "score: "*" / 25 "* ]] && [[ $last4 == "score: 50 / 50 "* ]] \
    && pass score_progress_jsonl_total || fail score_progress_jsonl_total "last lines '$last3' / '$last4', first '$first3'"
# a rerun over files an earlier run scored takes their counts from the
# attribute records (size and mtime unchanged), not from a pass over each
# file: it opens the document files as often as a rerun without progress
# (-q, no total) does, not once more each
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
    $BLALM score --work "$J" --endpoint "http://127.0.0.1:$P/v1" --model m -q >/dev/null 2>&1   # all done now
    ASAN_OPTIONS=detect_leaks=0 strace -f -e trace=open,openat -o "$TMP/st5" \
        $BLALM score --work "$J" --endpoint "http://127.0.0.1:$P/v1" --model m -q >/dev/null 2>&1; rcq=$?
    ASAN_OPTIONS=detect_leaks=0 BLALM_PROGRESS_SECONDS=0.000001 strace -f -e trace=open,openat -o "$TMP/st6" \
        $BLALM score --work "$J" --endpoint "http://127.0.0.1:$P/v1" --model m >/dev/null 2>"$TMP/pg6"; rc=$?
    q=$(grep -c 'docs/web/part[12].jsonl"' "$TMP/st5"); p=$(grep -c 'docs/web/part[12].jsonl"' "$TMP/st6")
    last6=$(grep '^score: ' "$TMP/pg6" | tail -1)
    [ $rcq = 0 ] && [ $rc = 0 ] && [ "$q" -gt 0 ] && [ "$p" = "$q" ] && [[ $last6 == "score: 50 / 50 "* ]] &&
        pass score_progress_total_from_records ||
        fail score_progress_total_from_records "rc $rcq/$rc, the document files opened $q times with -q, $p with progress; last line '$last6'"
else
    skip score_progress_total_from_records "no strace, or tracing not allowed here"
fi

# a document file rewritten with the same size and modification time (other
# documents, fewer of them): the progress total trusts the record's count (a
# display hint only), the marker hashes the bytes, so the file is scored again
# and edu_llm holds its new documents line for line
S=$TMP/same-stat; mkdir -p "$S/docs/web"; make_docs "$S/docs/web/a.jsonl" 6 s
$BLALM score --work "$S" --endpoint "http://127.0.0.1:$P/v1" --model m -q 2>"$TMP/ss1"
"$PY" - "$S/docs/web/a.jsonl" <<'PY'
import json, os, sys
p = sys.argv[1]; st = os.stat(p)
lines = [json.dumps({"id": "n%d" % i, "text": "other text %d" % i}) for i in range(4)]
body = "\n".join(lines) + "\n"
pad = st.st_size - len(body.encode())
assert pad >= 0
lines[-1] = json.dumps({"id": "n3", "text": "other text 3" + "z" * pad})
with open(p, "w") as f: f.write("\n".join(lines) + "\n")
assert os.path.getsize(p) == st.st_size
os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
PY
BLALM_PROGRESS_SECONDS=0.000001 $BLALM score --work "$S" --endpoint "http://127.0.0.1:$P/v1" --model m >/dev/null 2>"$TMP/ss2"; rc=$?
got=$(attrs "$S/attributes/edu_llm/web/a.jsonl.zst" | "$PY" -c 'import json,sys; print(" ".join(json.loads(l)["id"] for l in sys.stdin))')
[ $rc = 0 ] && [ "$got" = "n0 n1 n2 n3" ] && grep -q "(0 already done)" "$TMP/ss2" \
    && pass score_same_size_mtime_rescored || fail score_same_size_mtime_rescored "rc=$rc ids '$got': $(tail -c 300 "$TMP/ss2")"

# ---- one process per document file: a second would pay again ----
# (latency 0.5 s a request: the first process is still sending when the
# second starts, also on a loaded machine)
start_peer PL --latency 0.5
L=$TMP/lock; mkdir -p "$L/docs/web"; make_docs "$L/docs/web/a.jsonl" 10 l
$BLALM score --work "$L" --endpoint "http://127.0.0.1:$PL/v1" --model m --concurrency 1 -q 2>"$TMP/lk1" & LK=$!
for i in $(seq 100); do [ "$(peer_requests $PL)" -ge 1 ] && break; sleep 0.05; done
out=$($BLALM score --work "$L" --endpoint "http://127.0.0.1:$PL/v1" --model m --concurrency 1 -q 2>&1); rc=$?
# a shard of the same work directory owns a file the first one scores
out2=$($BLALM score --work "$L" --endpoint "http://127.0.0.1:$PL/v1" --model m --concurrency 1 --shard 0/2 -q 2>&1); rc2=$?
wait $LK; rc1=$?
req=$(peer_requests $PL)
rows=$(attrs "$L/attributes/edu_llm/web/a.jsonl.zst" 2>/dev/null | grep -c '"score":[0-5]')
[ $rc -eq 1 ] && [[ "$out" == *"another blalm score of this work directory is running here (pid $LK, scoring $L/docs/web/a.jsonl"* ]] \
    && [ $rc1 -eq 0 ] && [ "$req" = 10 ] && [ "$rows" = 10 ] && pass score_second_process_refused \
    || fail score_second_process_refused "rc=$rc rc1=$rc1 requests=$req rows=$rows: $out"
[ $rc2 -eq 1 ] && [[ "$out2" == *"(pid $LK, scoring $L/docs/web/a.jsonl"* ]] && [ "$req" = 10 ] \
    && pass score_shard_beside_unsharded_refused || fail score_shard_beside_unsharded_refused "rc=$rc2 requests=$req: $out2"
# two shards of one run go at once (the second starts while the first is
# still sending); another sharding that owns a file of a running shard stops
L2=$TMP/lock2; mkdir -p "$L2/docs/web"; make_docs "$L2/docs/web/a.jsonl" 6 m; make_docs "$L2/docs/web/b.jsonl" 6 n
r0=$(peer_requests $PL)
$BLALM score --work "$L2" --endpoint "http://127.0.0.1:$PL/v1" --model m --concurrency 1 --shard 0/2 -q & S0=$!
for i in $(seq 100); do [ "$(peer_requests $PL)" -gt "$r0" ] && break; sleep 0.05; done
out3=$($BLALM score --work "$L2" --endpoint "http://127.0.0.1:$PL/v1" --model m --concurrency 1 --shard 0/3 -q 2>&1); rc3=$?
kill -0 $S0 2>/dev/null; alive=$?
$BLALM score --work "$L2" --endpoint "http://127.0.0.1:$PL/v1" --model m --concurrency 1 --shard 1/2 -q; rcs1=$?
wait $S0; rcs0=$?
[ $rcs0 -eq 0 ] && [ $rcs1 -eq 0 ] && [ $alive -eq 0 ] && [ -f "$L2/attributes/edu_llm/web/a.jsonl.zst" ] && [ -f "$L2/attributes/edu_llm/web/b.jsonl.zst" ] \
    && pass score_two_shards_at_once || fail score_two_shards_at_once "rc $rcs0/$rcs1, first still running when the second started: $alive"
[ $rc3 -eq 1 ] && [[ "$out3" == *"(pid $S0, scoring $L2/docs/web/a.jsonl"* ]] \
    && pass score_other_sharding_refused || fail score_other_sharding_refused "rc=$rc3: $out3"
stop_peers
