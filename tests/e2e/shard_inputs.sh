#!/usr/bin/env bash
# blalm shard: names of its inputs (generated ids, default source) and the
# --source option.
source "$(dirname "$0")/../lib.sh"

ids() { "$BLALM" cat "$1"/*.jsonl.zst | "$PY" -c '
import json, sys; print(" ".join(json.loads(l)["id"] for l in sys.stdin))'; }

# Same-named inputs in different folders got the same generated ids
# (part-0/0, part-0/1 twice): dedup then dropped distinct documents as
# exact-id duplicates. They get "<path without extension>/<row>".
mkdir -p "$TMP/E/in/2023" "$TMP/E/in/2024"
printf '{"text":"a one"}\n{"text":"a two"}\n' >"$TMP/E/in/2023/part-0.jsonl"
printf '{"text":"b one"}\n{"text":"b two"}\n' >"$TMP/E/in/2024/part-0.jsonl"
printf '{"text":"c one"}\n' >"$TMP/E/in/other.jsonl"
(cd "$TMP" && "$BLALM" shard -q --out E/docs/web E/in/2023/part-0.jsonl E/in/2024/part-0.jsonl E/in/other.jsonl) 2>"$TMP/err"
got=$(ids "$TMP/E/docs/web")
[ "$got" = "E/in/2023/part-0/0 E/in/2023/part-0/1 E/in/2024/part-0/0 E/in/2024/part-0/1 other/0" ] \
    && pass shard_same_names_unique_ids || fail shard_same_names_unique_ids "$got $(cat "$TMP/err")"
# the common case (no two names alike) keeps its ids
"$BLALM" shard -q --out "$TMP/one" "$TMP/E/in/2023/part-0.jsonl" "$TMP/E/in/other.jsonl" 2>"$TMP/err"
got=$(ids "$TMP/one")
[ "$got" = "part-0/0 part-0/1 other/0" ] && pass shard_unique_names_keep_ids || fail shard_unique_names_keep_ids "$got"
# an absolute path: without its leading '/'
"$BLALM" shard -q --out "$TMP/abs" "$TMP/E/in/2023/part-0.jsonl" "$TMP/E/in/2024/part-0.jsonl" 2>"$TMP/err"
got=$(ids "$TMP/abs")
want="${TMP#/}/E/in/2023/part-0/0 ${TMP#/}/E/in/2023/part-0/1 ${TMP#/}/E/in/2024/part-0/0 ${TMP#/}/E/in/2024/part-0/1"
[ "$got" = "$want" ] && pass shard_same_names_absolute || fail shard_same_names_absolute "$got"

# A file name that is not UTF-8 became raw bytes in the shards' ids and
# "source" (exit 0, shards nothing could read back): refused, nothing written
mkdir -p "$TMP/j"
printf '{"text":"x"}\n' >"$TMP/j/nid"$'\xe9'".jsonl"
"$BLALM" shard -q --out "$TMP/s8" "$TMP/j/nid"$'\xe9'".jsonl" 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && [ ! -e "$TMP/s8" ] || [ -z "$(ls -A "$TMP/s8" 2>/dev/null)" ] && \
    grep -qF 'nid\xe9.jsonl: file name is not valid UTF-8 (byte \xe9 at offset 3 of its name' "$TMP/err" \
    && pass shard_name_not_utf8_refused || fail shard_name_not_utf8_refused "rc=$rc $(cat "$TMP/err")"
# --source that is not UTF-8: a usage error
"$BLALM" shard -q --source $'web\xff' --out "$TMP/s9" "$TMP/E/in/other.jsonl" 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && [ ! -e "$TMP/s9" ] && grep -qF 'shard: --source: not valid UTF-8 (byte \xff at offset 3)' "$TMP/err" \
    && pass shard_source_not_utf8 || fail shard_source_not_utf8 "rc=$rc $(cat "$TMP/err")"
# a folder that is not UTF-8 named only where its name becomes ids
mkdir -p "$TMP/d"$'\xe9' "$TMP/d2"
printf '{"text":"x"}\n' >"$TMP/d"$'\xe9'"/p.jsonl"
printf '{"text":"y"}\n' >"$TMP/d2/p.jsonl"
"$BLALM" shard -q --out "$TMP/s10" "$TMP/d"$'\xe9'"/p.jsonl" 2>"$TMP/err" && [ "$(ids "$TMP/s10")" = "p/0" ] \
    && pass shard_folder_not_utf8_unused || fail shard_folder_not_utf8_unused "$(cat "$TMP/err")"
"$BLALM" shard -q --out "$TMP/s11" "$TMP/d"$'\xe9'"/p.jsonl" "$TMP/d2/p.jsonl" 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && [ -z "$(ls -A "$TMP/s11" 2>/dev/null)" ] \
    && grep -qF 'd\xe9/p.jsonl:1: the document has no id, and its generated id' "$TMP/err" \
    && pass shard_folder_not_utf8_in_ids || fail shard_folder_not_utf8_in_ids "rc=$rc $(cat "$TMP/err")"

# A name that is not UTF-8 was refused even when never used (--source given,
# every document with an id): read; one without an id is refused at that
# document, and nothing is written (shard is atomic).
printf '{"id":"doc1","text":"x","source":"web"}\n' >"$TMP/j/caf"$'\xe9'".jsonl"
"$BLALM" shard -q --source web --out "$TMP/s12" "$TMP/j/caf"$'\xe9'".jsonl" 2>"$TMP/err" \
    && [ "$(ids "$TMP/s12")" = "doc1" ] \
    && pass shard_name_not_utf8_unused || fail shard_name_not_utf8_unused "$(cat "$TMP/err")"
"$BLALM" shard -q --source web --out "$TMP/s13" "$TMP/j/caf"$'\xe9'".jsonl" "$TMP/j/nid"$'\xe9'".jsonl" 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && [ -z "$(ls -A "$TMP/s13" 2>/dev/null)" ] \
    && grep -qF 'nid\xe9.jsonl:1: the document has no id, and its generated id "nid\xe9/<row>" would not be valid UTF-8' "$TMP/err" \
    && pass shard_name_not_utf8_for_ids || fail shard_name_not_utf8_for_ids "rc=$rc $(cat "$TMP/err")"

# Generated ids could still collide: an input keeping its file name against
# another's path (p.jsonl p.jsonl.zst ../w/p.jsonl.jsonl: "p.jsonl/0" twice).
# The whole set is now unique; the same path twice keeps its ids (the same
# documents twice).
mkdir -p "$TMP/st/x" "$TMP/st/w"
printf '{"text":"A"}\n' >"$TMP/st/x/p.jsonl"
printf '{"text":"B"}\n' | zstd -q -c >"$TMP/st/x/p.jsonl.zst"
printf '{"text":"D"}\n' >"$TMP/st/w/p.jsonl.jsonl"
(cd "$TMP/st/x" && "$BLALM" shard -q --out ../s14 p.jsonl p.jsonl.zst ../w/p.jsonl.jsonl) 2>"$TMP/err"
got=$(ids "$TMP/st/s14")
[ "$got" = "p.jsonl/0 p.jsonl.zst/0 ../w/p.jsonl/0" ] && pass shard_ids_whole_set_unique \
    || fail shard_ids_whole_set_unique "$got $(cat "$TMP/err")"
(cd "$TMP/st/x" && "$BLALM" shard -q --out ../s15 p.jsonl p.jsonl) 2>"$TMP/err"; rc=$?
got=$(ids "$TMP/st/s15")
[ $rc = 0 ] && [ "$got" = "p.jsonl/0 p.jsonl/0" ] && pass shard_same_path_twice_same_ids \
    || fail shard_same_path_twice_same_ids "rc=$rc $got $(cat "$TMP/err")"
