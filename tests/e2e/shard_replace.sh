#!/usr/bin/env bash
# blalm shard into a folder that already holds shards: an input that is one
# of the shards the run would replace is refused before anything is written.
source "$(dirname "$0")/../lib.sh"

"$PY" - "$TMP/d.jsonl" <<'PYEOF'
import json, random, sys
rnd = random.Random(11)
words = "the of and to in law court judge appeal statute clause \u00e9t\u00e9 order".split()
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i in range(400):
        f.write(json.dumps({"id": f"d{i}", "text": " ".join(rnd.choice(words) for _ in range(rnd.randint(20, 400)))}) + "\n")
PYEOF
count() { "$BLALM" count --json -q "$@" | tail -1; }
want=$(count "$TMP/d.jsonl")

# re-sharding a folder's own shards into it (issue: 30 of 200 documents lost, exit 0)
S=$TMP/s
"$BLALM" shard -q --out "$S" --max-bytes 200k "$TMP/d.jsonl" || { fail shard_replace_setup "shard failed"; exit 0; }
before=$(cd "$S" && sha256sum shard-*)
"$BLALM" shard -q --out "$S" --max-bytes 50k "$S/shard-00000.jsonl.zst" "$S/shard-00001.jsonl.zst" 2>"$TMP/e1"; rc=$?
after=$(cd "$S" && sha256sum shard-*)
[ $rc = 1 ] && [ "$before" = "$after" ] && [ -z "$(ls -A "$S" | grep -v '^shard-')" ] &&
    grep -q "s/shard-00000.jsonl.zst: .*shard.* this run would replace" "$TMP/e1" &&
    pass shard_refuses_own_output_as_input || fail shard_refuses_own_output_as_input "rc=$rc $(head -c 300 "$TMP/e1")"
# the same file under another name (a hard link, a symlink) is refused too
ln "$S/shard-00002.jsonl.zst" "$TMP/hard.jsonl.zst"; ln -s "$S/shard-00001.jsonl.zst" "$TMP/soft.jsonl.zst"
"$BLALM" shard -q --out "$S" "$TMP/hard.jsonl.zst" 2>"$TMP/e2"; rc2=$?
"$BLALM" shard -q --out "$S" "$TMP/soft.jsonl.zst" 2>"$TMP/e3"; rc3=$?
after=$(cd "$S" && sha256sum shard-*)
[ $rc2 = 1 ] && [ $rc3 = 1 ] && [ "$before" = "$after" ] && grep -q "hard.jsonl.zst: .*shard-00002.jsonl.zst" "$TMP/e2" &&
    grep -q "soft.jsonl.zst: .*shard-00001.jsonl.zst" "$TMP/e3" &&
    pass shard_refuses_own_output_by_inode || fail shard_refuses_own_output_by_inode "rc=$rc2/$rc3 $(cat "$TMP/e2" "$TMP/e3" | head -c 300)"
[ "$(count "$S"/shard-*)" = "$want" ] && pass shard_refused_run_keeps_documents || fail shard_refused_run_keeps_documents "$(count "$S"/shard-*)"
# another prefix in the same folder reads them fine
"$BLALM" shard -q --out "$S" --prefix re --max-bytes 50k "$S"/shard-* 2>"$TMP/e4" && [ "$(count "$S"/re-*)" = "$want" ] &&
    pass shard_other_prefix_same_folder || fail shard_other_prefix_same_folder "$(head -c 300 "$TMP/e4")"

# shards of an earlier run with this prefix are replaced as a set: none of the
# higher-numbered ones stays mixed with the new ones; other names stay
R=$TMP/r
"$BLALM" shard -q --out "$R" --max-bytes 50k "$TMP/d.jsonl" || { fail shard_replace_setup "shard failed"; exit 0; }
old=$(ls "$R" | wc -l)
: >"$R/shard-00099.jsonl.zst.bak"; : >"$R/shard-7.jsonl.zst"; cp "$R/shard-00000.jsonl.zst" "$R/other-00005.jsonl.zst"
"$BLALM" shard --out "$R" --max-bytes 400k "$TMP/d.jsonl" 2>"$TMP/e5"; rc=$?
new=$(ls "$R" | grep -c '^shard-[0-9]\{5\}\.jsonl\.zst$')
[ $rc = 0 ] && [ "$old" -gt 6 ] && [ "$new" -lt 4 ] && [ "$(count "$R"/shard-[0-9][0-9][0-9][0-9][0-9].jsonl.zst)" = "$want" ] &&
    [ -e "$R/shard-00099.jsonl.zst.bak" ] && [ -e "$R/shard-7.jsonl.zst" ] && [ -e "$R/other-00005.jsonl.zst" ] &&
    [ -z "$(ls -A "$R" | grep '^\.')" ] && grep -q "replacing $old shards of an earlier run" "$TMP/e5" &&
    pass shard_replaces_earlier_runs_shards || fail shard_replaces_earlier_runs_shards "rc=$rc old=$old new=$new $(ls "$R" | tr '\n' ' ') $(cat "$TMP/e5")"
# an input without documents: the prefix's shards are now none
: >"$TMP/empty.jsonl"
"$BLALM" shard -q --out "$R" "$TMP/empty.jsonl" && [ -z "$(ls "$R" | grep '^shard-[0-9]\{5\}\.jsonl\.zst$')" ] &&
    [ -e "$R/other-00005.jsonl.zst" ] && pass shard_empty_run_replaces_all || fail shard_empty_run_replaces_all "$(ls "$R" | tr '\n' ' ')"

# a prefix that no stage would read: '.x' shards are hidden names, which every
# stage skips (tag said "0 documents in 0 files", exit 0); '' named them
# "-00000.jsonl.zst". Both are usage errors before anything is written.
for p in .x '' .; do
    H=$TMP/hidden-prefix
    "$BLALM" shard -q --out "$H" --prefix "$p" "$TMP/d.jsonl" 2>"$TMP/e6"; rc=$?
    [ $rc = 2 ] && [ ! -e "$H" ] && grep -q -- "--prefix" "$TMP/e6" &&
        pass "shard_refuses_prefix_'$p'" || fail "shard_refuses_prefix_'$p'" "rc=$rc $(ls -A "$H" 2>&1 | tr '\n' ' ') $(head -c 300 "$TMP/e6")"
done
grep -q "starts with '.': the shards would be hidden" "$TMP/e6" && pass shard_hidden_prefix_says_why ||
    fail shard_hidden_prefix_says_why "$(head -c 300 "$TMP/e6")"
# --max-bytes 0 never rotates: one shard holding every document
O=$TMP/one
"$BLALM" shard -q --out "$O" --max-bytes 0 "$TMP/d.jsonl" "$TMP/d.jsonl" 2>"$TMP/e7" &&
    [ "$(ls "$O")" = "shard-00000.jsonl.zst" ] && [ "$(count "$O"/shard-00000.jsonl.zst)" = "$(count "$TMP/d.jsonl" "$TMP/d.jsonl")" ] &&
    pass shard_max_bytes_0_one_shard || fail shard_max_bytes_0_one_shard "$(ls "$O" | tr '\n' ' ') $(head -c 300 "$TMP/e7")"
