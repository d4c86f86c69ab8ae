#!/usr/bin/env bash
# blalm cat / count over jsonl, jsonl.gz, jsonl.zst; byte-exact round trips; bad input.
source "$(dirname "$0")/../lib.sh"

# A file with escapes, surrogate pairs, NUL, Unicode spaces and a document without id.
"$PY" - "$TMP/in.jsonl" <<'PYEOF'
import json, sys
docs = [
    {"id": "e1", "text": "caf\u00e9 \U0001F600 tab\there\nnew line \"quoted\" back\\slash", "metadata": {"url": "http://x", "score": 3}},
    {"id": "e2", "text": "nbsp\u00a0ideo\u3000ls\u2028ps\u2029fs\x1cend \x00nul"},
    {"text": "no id here", "dump": "CC-MAIN-2024-10", "token_count": 3},
    {"id": "e4", "text": ""},
]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for d in docs:
        f.write(json.dumps(d, ensure_ascii=(d.get("id") == "e1")) + "\n")
PYEOF
gzip -k -c "$TMP/in.jsonl" >"$TMP/in.jsonl.gz"
zstd -q -c "$TMP/in.jsonl" >"$TMP/in.jsonl.zst"
cp "$TMP/in.jsonl.zst" "$TMP/lying-name.jsonl"

for f in in.jsonl in.jsonl.gz in.jsonl.zst lying-name.jsonl; do
    if "$BLALM" cat "$TMP/$f" >"$TMP/$f.out" 2>"$TMP/err" && "$PY" - "$TMP/in.jsonl" "$TMP/$f.out" <<'PYEOF'
import json, sys
src = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
out = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(src) == len(out), (len(src), len(out))
for i, (s, o) in enumerate(zip(src, out)):
    assert s["text"] == o["text"], i
    stem = sys.argv[2].rsplit("/", 1)[1].split(".")[0]
    assert o["id"] == s.get("id", f"{stem}/{i}"), (o["id"], i)
    meta = dict(s.get("metadata", {}))
    meta.update({k: v for k, v in s.items() if k not in ("id", "text", "metadata", "source")})
    assert o["metadata"] == meta, (o["metadata"], meta)
    assert o["source"] == "in" or sys.argv[2].endswith("lying-name.jsonl.out"), o["source"]
PYEOF
    then pass "cat_roundtrip_$f"; else fail "cat_roundtrip_$f" "$(cat "$TMP/err")"; fi
done

# count --json equals Python's str.split over the same texts
want=$("$PY" -c '
import json,sys
d=[json.loads(l)["text"] for l in open(sys.argv[1],encoding="utf-8")]
print(json.dumps({"docs":len(d),"words":sum(len(t.split()) for t in d),"bytes":sum(len(t.encode()) for t in d)}, separators=(",",":")))' "$TMP/in.jsonl")
got=$("$BLALM" count --json -q "$TMP/in.jsonl.zst" | tail -1)
[ "$got" = "$want" ] && pass count_json_matches_python || fail count_json_matches_python "got $got want $want"

got=$("$BLALM" count --json -q "$TMP/in.jsonl" "$TMP/in.jsonl.gz" | tail -1)
"$PY" -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); assert a=={k:2*v for k,v in b.items()}' "$got" "$want" \
    && pass count_totals_over_files || fail count_totals_over_files "$got"

# bad input: each a clear error naming the file (and line), exit 1, nothing on stdout
printf '{"id":"1","text":"ok"}\n{"id":"2","text":"broken}\n' >"$TMP/malformed.jsonl"
"$BLALM" count "$TMP/malformed.jsonl" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'malformed.jsonl:2: column' "$TMP/e" && pass bad_malformed_line || fail bad_malformed_line "rc=$rc $(cat "$TMP/e")"

printf '{"id":"1","text":"bad \xff byte"}\n' >"$TMP/invalid-utf8.jsonl"
"$BLALM" cat "$TMP/invalid-utf8.jsonl" >"$TMP/o" 2>"$TMP/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'invalid-utf8.jsonl:1: column 23: expected valid UTF-8' "$TMP/e" && [ ! -s "$TMP/o" ] \
    && pass bad_invalid_utf8 || fail bad_invalid_utf8 "rc=$rc $(cat "$TMP/e")"

printf '{"id":"1","content":"x"}\n' >"$TMP/notext.jsonl"
"$BLALM" count "$TMP/notext.jsonl" >/dev/null 2>"$TMP/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'notext.jsonl:1: missing "text" field' "$TMP/e" && pass bad_missing_text || fail bad_missing_text "rc=$rc"
"$BLALM" count --text-field content -q "$TMP/notext.jsonl" | grep -q '1 docs' && pass text_field_flag || fail text_field_flag "--text-field"

"$PY" -c 'import json
with open("'"$TMP"'/big.jsonl","w") as f:
    for i in range(20000): f.write(json.dumps({"id":str(i),"text":"word "*50})+"\n")'
zstd -q -c "$TMP/big.jsonl" >"$TMP/big.jsonl.zst"
size=$(stat -c %s "$TMP/big.jsonl.zst")
head -c $((size / 2)) "$TMP/big.jsonl.zst" >"$TMP/truncated.jsonl.zst"
"$BLALM" count "$TMP/truncated.jsonl.zst" >/dev/null 2>"$TMP/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'truncated.jsonl.zst: truncated zstd frame' "$TMP/e" && pass bad_truncated_zstd || fail bad_truncated_zstd "rc=$rc $(cat "$TMP/e")"
gzip -c "$TMP/big.jsonl" | head -c 20000 >"$TMP/truncated.jsonl.gz"
"$BLALM" count "$TMP/truncated.jsonl.gz" >/dev/null 2>"$TMP/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'truncated gzip' "$TMP/e" && pass bad_truncated_gzip || fail bad_truncated_gzip "rc=$rc $(cat "$TMP/e")"

"$BLALM" count "$TMP/does-not-exist.jsonl" >/dev/null 2>"$TMP/e"; rc=$?
[ $rc -eq 1 ] && grep -q 'does-not-exist.jsonl: No such file' "$TMP/e" && pass bad_missing_file || fail bad_missing_file "rc=$rc"

# a document with a 64 MiB text: counted exactly, printed byte-exactly
"$PY" -c '
import json
t = ("alpha beta\u00a0gamma \u00e9t\u00e9 " * 2900000)[:64*1024*1024//2]
open("'"$TMP"'/huge.jsonl","w",encoding="utf-8").write(json.dumps({"id":"h","text":t},ensure_ascii=False)+"\n")
open("'"$TMP"'/huge.want","w").write(json.dumps({"docs":1,"words":len(t.split()),"bytes":len(t.encode())},separators=(",",":")))'
got=$("$BLALM" count --json -q "$TMP/huge.jsonl" | tail -1)
[ "$got" = "$(cat "$TMP/huge.want")" ] && pass huge_document_count || fail huge_document_count "got $got want $(cat "$TMP/huge.want")"
"$BLALM" cat "$TMP/huge.jsonl" | "$PY" -c '
import json,sys
a=json.loads(sys.stdin.readline()); b=json.loads(open(sys.argv[1],encoding="utf-8").readline())
assert a["text"]==b["text"]' "$TMP/huge.jsonl" && pass huge_document_cat || fail huge_document_cat "text differs"

# the real FineWeb text, when present
if need_shared; then
    got=$("$BLALM" count --json -q "$SHARED_DATA/fineweb-legal.jsonl.zst" | tail -1)
    want=$(zstd -dc "$SHARED_DATA/fineweb-legal.jsonl.zst" | "$PY" -c '
import json,sys
d=[json.loads(l)["text"] for l in sys.stdin]
print(json.dumps({"docs":len(d),"words":sum(len(t.split()) for t in d),"bytes":sum(len(t.encode()) for t in d)},separators=(",",":")))')
    [ "$got" = "$want" ] && pass shared_fineweb_count_matches_python || fail shared_fineweb_count_matches_python "got $got want $want"
else
    skip shared_fineweb_count_matches_python "../shared/data not present"
fi

# pipes and process substitutions are read once (format sniffed from the bytes read)
want=$("$BLALM" count --json -q "$TMP/in.jsonl" | tail -1)
got=$("$BLALM" count --json -q <(zstd -q -c "$TMP/in.jsonl") | tail -1)
[ "$got" = "$want" ] && pass count_from_zstd_pipe || fail count_from_zstd_pipe "got $got want $want"
got=$(cat "$TMP/in.jsonl" | "$BLALM" count --json -q /dev/stdin | tail -1)
[ "$got" = "$want" ] && pass count_from_stdin || fail count_from_stdin "got $got want $want"

# ---- issue 20: parquet that once read as fewer documents, or as bad text ----
PQW="${BLALM_UNIT_DIR:-}/test_parquet"
if [ -x "$PQW" ] && mkdir -p "$TMP/pq" && "$PQW" --write "$TMP/pq" small >/dev/null 2>&1; then
    # defect 7: a zero-byte .parquet file is an error, not 0 documents
    : >"$TMP/empty.parquet"
    "$BLALM" count "$TMP/empty.parquet" >"$TMP/o" 2>"$TMP/e"; rc=$?
    [ $rc -eq 1 ] && grep -q 'empty.parquet: byte 0: empty file (0 bytes); expected a parquet file' "$TMP/e" \
        && pass parquet_zero_bytes_refused || fail parquet_zero_bytes_refused "rc=$rc $(cat "$TMP/e")"
    # defect 7: a dangling .parquet symlink under WORK/docs is an error, not skipped
    mkdir -p "$TMP/dl/docs/web"
    cp "$TMP/pq/w_plain_none.parquet" "$TMP/dl/docs/web/a.parquet"
    ln -s "$TMP/gone.parquet" "$TMP/dl/docs/web/b.parquet"
    "$BLALM" tag --work "$TMP/dl" --taggers readability -q >/dev/null 2>"$TMP/e"; rc=$?
    [ $rc -eq 1 ] && grep -q "b.parquet: symbolic link to '$TMP/gone.parquet', which does not exist" "$TMP/e" \
        && pass parquet_dangling_symlink_refused || fail parquet_dangling_symlink_refused "rc=$rc $(cat "$TMP/e")"
    # defect 15: parquet through a pipe gets a parquet error, not a JSON one
    "$BLALM" count /dev/stdin <"$TMP/pq/w_plain_none.parquet" >/dev/null 2>"$TMP/e"; rc=$?
    cat "$TMP/pq/w_plain_none.parquet" | "$BLALM" cat /dev/stdin >/dev/null 2>"$TMP/e2"; rc2=$?
    [ $rc -eq 0 ] && [ $rc2 -eq 1 ] && grep -q 'parquet data (PAR1) in a pipe or other stream' "$TMP/e2" \
        && pass parquet_from_pipe_named || fail parquet_from_pipe_named "rc=$rc/$rc2 $(cat "$TMP/e" "$TMP/e2")"
    # defect 6: a flipped byte in a text page is refused by cat and count, nothing printed
    "$PY" - "$TMP/pq/w_plain_none.parquet" "$TMP/badtext.parquet" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.index(b"Row 1 says")
b[i + 1] = 0xff
open(sys.argv[2], "wb").write(b)
EOF
    "$BLALM" cat "$TMP/badtext.parquet" >"$TMP/o" 2>"$TMP/e"; rc=$?
    "$BLALM" count "$TMP/badtext.parquet" >/dev/null 2>"$TMP/e2"; rc2=$?
    [ $rc -eq 1 ] && [ $rc2 -eq 1 ] && grep -q "badtext.parquet: byte [0-9]*: column 'text': row 1: value is not valid UTF-8" "$TMP/e" \
        && ! grep -q 'Row 1' "$TMP/o" && pass parquet_invalid_utf8_refused \
        || fail parquet_invalid_utf8_refused "rc=$rc/$rc2 $(cat "$TMP/e" "$TMP/e2")"
else
    skip parquet_zero_bytes_refused "test_parquet --write unavailable (build the unit tests)"
fi

# issue 20, defect 15: JSON errors say what was expected (not "expected unterminated string")
printf '{"id":"1","text":"no end}\n' >"$TMP/unterminated.jsonl"
printf '{"id":"1","text":"raw\001ctl"}\n' >"$TMP/ctl.jsonl"
"$BLALM" count "$TMP/unterminated.jsonl" >/dev/null 2>"$TMP/e"; rc=$?
"$BLALM" count "$TMP/ctl.jsonl" >/dev/null 2>"$TMP/e2"; rc2=$?
[ $rc -eq 1 ] && [ $rc2 -eq 1 ] && grep -q "unterminated.jsonl:1: column 26: expected a closing '\"' (the string is unterminated)" "$TMP/e" \
    && grep -q 'ctl.jsonl:1: column 22: expected an escaped control character' "$TMP/e2" \
    && ! grep -q 'expected unterminated\|expected control' "$TMP/e" "$TMP/e2" \
    && pass json_error_wording || fail json_error_wording "rc=$rc/$rc2 $(cat "$TMP/e" "$TMP/e2")"

# --json: one object per file, then the total, also for one file
printf '%s\n' '{"id":"a","text":"one two"}' >"$TMP/one.jsonl"
got=$("$BLALM" count --json -q "$TMP/one.jsonl")
want="{\"file\":\"$TMP/one.jsonl\",\"docs\":1,\"words\":2,\"bytes\":7}
{\"docs\":1,\"words\":2,\"bytes\":7}"
[ "$got" = "$want" ] && pass count_json_one_file || fail count_json_one_file "$got"

# stdout that fails late (a full disk): exit 1 and say so, whatever the command
if [ -w /dev/full ]; then
    for cmd in count cat --help --version count_help tag_syllables; do
        case $cmd in
        count|cat) args=("$cmd" "$TMP/one.jsonl") ;;
        count_help) args=(count --help) ;;
        tag_syllables) args=(tag --syllables --cmudict none) ;;   # exited 1 saying nothing
        *) args=("$cmd") ;;
        esac
        "$BLALM" "${args[@]}" >/dev/full 2>"$TMP/full.err" <<<"hello"; rc=$?
        [ $rc = 1 ] && grep -q "write error on stdout" "$TMP/full.err" && pass "stdout_full_${cmd#--}" ||
            fail "stdout_full_${cmd#--}" "exit $rc: $(head -c 200 "$TMP/full.err")"
    done
else
    skip stdout_full "/dev/full not writable here"
fi

# A file name that is not UTF-8 became raw bytes in cat's "id" and "source"
# (invalid JSON): refused, naming the file with its bytes escaped. count
# prints no ids: it counts, and --json writes the byte as the text \xNN.
mkdir -p "$TMP/nu"
printf '{"text":"x y"}\n' >"$TMP/nu/nid"$'\xe9'".jsonl"
"$BLALM" cat "$TMP/nu/nid"$'\xe9'".jsonl" >"$TMP/nu.out" 2>"$TMP/nu.err"; rc=$?
[ $rc = 1 ] && [ ! -s "$TMP/nu.out" ] \
    && grep -qF 'nid\xe9.jsonl: file name is not valid UTF-8 (byte \xe9 at offset 3 of its name' "$TMP/nu.err" \
    && pass cat_name_not_utf8_refused || fail cat_name_not_utf8_refused "rc=$rc $(cat "$TMP/nu.out" "$TMP/nu.err")"
got=$("$BLALM" count -q --json "$TMP/nu/nid"$'\xe9'".jsonl" 2>&1)
printf '%s\n' "$got" | "$PY" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin.buffer.read().decode("utf-8").splitlines()]
assert rows[0]["file"].endswith("/nu/nid\\xe9.jsonl"), rows[0]
assert rows[0]["words"] == 2 and rows[1] == {"docs": 1, "words": 2, "bytes": 3}, rows' \
    && pass count_json_name_not_utf8 || fail count_json_name_not_utf8 "$got"
# ... but only where the name is used: with --source, a file whose documents
# all have ids was refused too (rc 1). The default source is checked for all
# inputs before any output (t.jsonl's documents were printed, then rc 1);
# a generated id from the name fails at the first document that needs it.
printf '{"id":"doc1","text":"x","source":"web"}\n' >"$TMP/nu/caf"$'\xe9'".jsonl"
printf '{"text":"t"}\n' >"$TMP/nu/t.jsonl"
got=$("$BLALM" cat --source web "$TMP/nu/caf"$'\xe9'".jsonl" 2>&1)
[ "$got" = '{"id":"doc1","text":"x","source":"web","metadata":{}}' ] && pass cat_name_not_utf8_unused \
    || fail cat_name_not_utf8_unused "$got"
"$BLALM" cat "$TMP/nu/t.jsonl" "$TMP/nu/caf"$'\xe9'".jsonl" >"$TMP/nu.out" 2>"$TMP/nu.err"; rc=$?
[ $rc = 1 ] && [ ! -s "$TMP/nu.out" ] \
    && grep -qF 'caf\xe9.jsonl: file name is not valid UTF-8 (byte \xe9 at offset 3 of its name; bytes shown as \xNN): a document file'"'"'s name becomes its default "source"' "$TMP/nu.err" \
    && pass cat_name_not_utf8_checked_first || fail cat_name_not_utf8_checked_first "rc=$rc $(cat "$TMP/nu.out" "$TMP/nu.err")"
"$BLALM" cat --source web "$TMP/nu/nid"$'\xe9'".jsonl" >"$TMP/nu.out" 2>"$TMP/nu.err"; rc=$?
[ $rc = 1 ] && [ ! -s "$TMP/nu.out" ] \
    && grep -qF 'nid\xe9.jsonl:1: the document has no id, and its generated id "nid\xe9/<row>" would not be valid UTF-8' "$TMP/nu.err" \
    && pass cat_name_not_utf8_for_ids || fail cat_name_not_utf8_for_ids "rc=$rc $(cat "$TMP/nu.out" "$TMP/nu.err")"

# Generated ids could still collide between inputs: one keeping its file
# name against another's path (p.jsonl/0 twice), and /d/p.jsonl against
# d/p.jsonl (the leading '/' dropped). The whole set is now unique; the same
# path given twice is refused before any output.
mkdir -p "$TMP/gi/x" "$TMP/gi/w" "$TMP/gi/abs/d"
printf '{"text":"A"}\n' >"$TMP/gi/x/p.jsonl"
printf '{"text":"B"}\n' | zstd -q -c >"$TMP/gi/x/p.jsonl.zst"
printf '{"text":"D"}\n' >"$TMP/gi/w/p.jsonl.jsonl"
printf '{"text":"E"}\n' >"$TMP/gi/abs/d/p.jsonl"
idsof() { "$PY" -c 'import json, sys; print(" ".join(json.loads(l)["id"] for l in sys.stdin))'; }
got=$(cd "$TMP/gi/x" && "$BLALM" cat p.jsonl p.jsonl.zst ../w/p.jsonl.jsonl 2>&1 | idsof)
[ "$got" = "p.jsonl/0 p.jsonl.zst/0 ../w/p.jsonl/0" ] && pass cat_ids_whole_set_unique || fail cat_ids_whole_set_unique "$got"
rel="${TMP#/}/gi/abs/d/p.jsonl"
got=$(cd / && "$BLALM" cat "/$rel" "$rel" 2>&1 | idsof)
[ "$got" = "/$rel/0 $rel/0" ] && pass cat_ids_absolute_vs_relative || fail cat_ids_absolute_vs_relative "$got"
# one path given twice: the same documents twice, with the same ids (exact
# duplicates), not refused
got=$(cd "$TMP/gi/x" && "$BLALM" cat p.jsonl ../w/p.jsonl.jsonl p.jsonl 2>&1 | idsof)
[ "$got" = "p.jsonl/0 ../w/p.jsonl/0 p.jsonl/0" ] && pass cat_same_path_twice_same_ids || fail cat_same_path_twice_same_ids "$got"
# --id-field naming the text field: JSON lines gave generated ids (the "id"
# went to metadata), parquet called the text column "BYTE_ARRAY, which
# cannot be an id (expected a string ...)". Both refused alike.
printf '{"id":"z","text":"a b"}\n' >"$TMP/idtext.jsonl"
"$BLALM" cat --id-field text "$TMP/idtext.jsonl" >"$TMP/it.out" 2>"$TMP/it.err"; rc=$?
[ $rc = 1 ] && [ ! -s "$TMP/it.out" ] \
    && grep -qF "idtext.jsonl: the id field 'text' is the text field (--text-field); the id field must be another field (--id-field)" "$TMP/it.err" \
    && pass cat_id_field_is_text_field || fail cat_id_field_is_text_field "rc=$rc $(cat "$TMP/it.out" "$TMP/it.err")"
# --source that is not UTF-8: a usage error
"$BLALM" cat --source $'web\xff' "$TMP/one.jsonl" >"$TMP/src.out" 2>"$TMP/src.err"; rc=$?
[ $rc = 2 ] && [ ! -s "$TMP/src.out" ] && grep -qF 'cat: --source: not valid UTF-8 (byte \xff at offset 3)' "$TMP/src.err" \
    && pass cat_source_not_utf8 || fail cat_source_not_utf8 "rc=$rc $(cat "$TMP/src.out" "$TMP/src.err")"

# zstd files starting with a skippable frame (all of pzstd's output) were
# taken for text ("expected a JSON object")
printf '{"text":"a b"}\n{"text":"c"}\n' >"$TMP/pz.jsonl"
if command -v pzstd >/dev/null; then
    pzstd -q -f -p 2 "$TMP/pz.jsonl" -o "$TMP/pz.jsonl.zst" 2>/dev/null
else   # a skippable frame by hand, then a zstd frame
    { printf '\x50\x2a\x4d\x18\x04\x00\x00\x00\x01\x02\x03\x04'; zstd -q -c "$TMP/pz.jsonl"; } >"$TMP/pz.jsonl.zst"
fi
got=$("$BLALM" count -q --json "$TMP/pz.jsonl.zst" 2>&1 | tail -1)
[ "$got" = '{"docs":2,"words":3,"bytes":4}' ] && pass count_skippable_frame_zstd || fail count_skippable_frame_zstd "$got"

# a long-window zstd file (zstd --long=30, size unknown: a 1 GiB window) was
# "corrupt ... Frame requires too much memory"; then every reader accepted
# a 2 GiB window (a 64 KB hostile file: 2 GB RSS). Now libzstd's 128 MiB
# limit by default, refused with the window needed and how to read it;
# BLALM_ZSTD_WINDOW_MAX raises it, and a malformed value is an error.
zstd -q --long=30 -c <"$TMP/pz.jsonl" >"$TMP/long.jsonl.zst"
zstd -q --long=28 -c <"$TMP/pz.jsonl" >"$TMP/long28.jsonl.zst"
"$BLALM" count -q --json "$TMP/long28.jsonl.zst" >"$TMP/lw.out" 2>"$TMP/lw.err"; rc=$?
[ $rc = 1 ] && [ ! -s "$TMP/lw.out" ] && ! grep -q corrupt "$TMP/lw.err" \
    && grep -qF "long28.jsonl.zst: zstd frame near decompressed byte 0 needs a window of 256 MiB, above the 128 MiB limit (written with zstd --long?); set BLALM_ZSTD_WINDOW_MAX=256M to read it, or recompress without --long" "$TMP/lw.err" \
    && pass long_window_zstd_refused_by_default || fail long_window_zstd_refused_by_default "rc=$rc $(cat "$TMP/lw.err")"
got=$(BLALM_ZSTD_WINDOW_MAX=256M "$BLALM" count -q --json "$TMP/long28.jsonl.zst" 2>&1 | tail -1)
[ "$got" = '{"docs":2,"words":3,"bytes":4}' ] && pass long_window_zstd_read_with_env || fail long_window_zstd_read_with_env "$got"
got=$(BLALM_ZSTD_WINDOW_MAX=1G "$BLALM" cat "$TMP/long.jsonl.zst" 2>&1 | wc -l)
[ "$got" = 2 ] && pass count_long_window_zstd || fail count_long_window_zstd "$got"
BLALM_ZSTD_WINDOW_MAX=512M "$BLALM" cat "$TMP/long.jsonl.zst" >"$TMP/lw.out" 2>"$TMP/lw.err"; rc=$?
[ $rc = 1 ] && [ ! -s "$TMP/lw.out" ] && grep -qF "needs a window of 1024 MiB, above the 512 MiB limit" "$TMP/lw.err" \
    && pass long_window_zstd_above_raised_limit || fail long_window_zstd_above_raised_limit "rc=$rc $(cat "$TMP/lw.err")"
for v in 3G 100M abc; do
    BLALM_ZSTD_WINDOW_MAX=$v "$BLALM" count -q "$TMP/long28.jsonl.zst" >"$TMP/lw.out" 2>"$TMP/lw.err"; rc=$?
    [ $rc = 2 ] && [ ! -s "$TMP/lw.out" ] && grep -qF "blalm: BLALM_ZSTD_WINDOW_MAX: '$v' " "$TMP/lw.err" \
        && grep -qF "expected a power of two from 1K to 2G" "$TMP/lw.err" \
        && pass "window_max_invalid_$v" || fail "window_max_invalid_$v" "rc=$rc $(cat "$TMP/lw.err")"
done

# xz, bzip2 and lz4 files were "expected a JSON object ('{')": named
for z in xz bzip2 lz4; do
    command -v $z >/dev/null || { skip "compression_named_$z" "no $z"; continue; }
    $z -c <"$TMP/pz.jsonl" >"$TMP/pz.$z"
    "$BLALM" cat "$TMP/pz.$z" >/dev/null 2>"$TMP/z.err"; rc=$?
    [ $rc = 1 ] && grep -qF "pz.$z: byte 0: $z-compressed data is not supported (decompress it first, or recompress it with zstd)" "$TMP/z.err" \
        && pass "compression_named_$z" || fail "compression_named_$z" "rc=$rc $(cat "$TMP/z.err")"
done

# cat of same-named files from two folders: ids from their paths (they were
# part-0/0 twice); a lone name keeps its ids
mkdir -p "$TMP/E/2023" "$TMP/E/2024"
printf '{"text":"a"}\n' >"$TMP/E/2023/part-0.jsonl"
printf '{"text":"b"}\n' >"$TMP/E/2024/part-0.jsonl"
printf '{"text":"c"}\n' >"$TMP/E/other.jsonl"
got=$(cd "$TMP" && "$BLALM" cat E/2023/part-0.jsonl ./E/2024/part-0.jsonl E/other.jsonl 2>&1 | "$PY" -c '
import json, sys; print(" ".join(json.loads(l)["id"] + "=" + json.loads(l)["source"] for l in sys.stdin))')
[ "$got" = "E/2023/part-0/0=part-0 E/2024/part-0/0=part-0 other/0=other" ] && pass cat_same_names_unique_ids \
    || fail cat_same_names_unique_ids "$got"

# count's words are Python's str.split(), not wc -w's: control characters
# are words and U+001C..U+001F separate them. The help (and README) said they
# equal LC_ALL=C wc -w on ASCII-whitespace text, which is false.
printf '%s\n' '{"text":"a \u0001 b"}' '{"text":"a\u001cb"}' >"$TMP/ctlw.jsonl"
got=$("$BLALM" count -q --json "$TMP/ctlw.jsonl" | tail -1)
wcw=$(printf 'a \001 b\na\034b' | LC_ALL=C wc -w)
[ "$got" = '{"docs":2,"words":5,"bytes":8}' ] && [ "$wcw" != 5 ] \
    && ! "$BLALM" count --help | grep -q 'LC_ALL=C wc -w)' && "$BLALM" count --help | grep -q "It is not wc -w's word" \
    && pass count_words_not_wc_w || fail count_words_not_wc_w "$got (wc -w: $wcw)"
