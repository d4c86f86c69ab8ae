#!/usr/bin/env bash
# blalm tokenizer train|encode|decode and blalm tokenize: usage, bad input,
# and token shards read back independently (Python) against the corpus.
source "$(dirname "$0")/../lib.sh"

# expect NAME RC PATTERN CMD...: exit status RC and stderr matching PATTERN
expect() {
    local name=$1 want=$2 pat=$3; shift 3
    "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
    if [ "$rc" -ne "$want" ]; then fail "$name" "exit $rc, expected $want: $(tail -c 300 "$TMP/err")"
    elif [ -n "$pat" ] && ! grep -q -- "$pat" "$TMP/err"; then fail "$name" "stderr lacks '$pat': $(tail -c 300 "$TMP/err")"
    else pass "$name"; fi
}

# A small corpus: three documents per split, one holding blank lines of its own.
mkdir -p "$TMP/c/train" "$TMP/c/dev"
"$PY" - "$TMP/c" <<'PYEOF'
import json, sys
d = sys.argv[1]
docs = {
  "train/web.train": ["The cat sat on the mat.\n\nIt was a sunny day, wasn't it?",
                      "Emoji 👩‍👩‍👧 and café, 日本語 text\u00a0with spaces.",
                      "Numbers 1234 and <|endoftext|> spelled out in text. " * 20],
  "train/books.train": ["Once upon a time there was a tokenizer. " * 30],
  "dev/web.dev": ["A dev document.\n\n\nWith three newlines.", "Short one."],
}
recs = []
for rel, texts in docs.items():
    out = b""
    for i, t in enumerate(texts):
        b = t.encode()
        recs.append({"key": f"{rel}:{i}", "id": f"{rel}-{i}", "file": rel, "offset": len(out),
                     "length": len(b), "words": len(t.split())})
        out += b + b"\n\n"
    open(f"{d}/{rel}", "wb").write(out)
open(f"{d}/documents.jsonl", "w").write("".join(json.dumps(r) + "\n" for r in recs))
PYEOF
zstd -q "$TMP/c/documents.jsonl" -o "$TMP/c/documents.jsonl.zst" && rm "$TMP/c/documents.jsonl"

expect tokenizer_help 0 "" "$BLALM" tokenizer --help
grep -q "tokenizer train" "$TMP/out" && pass tokenizer_help_text || fail tokenizer_help_text "usage not on stdout"
expect tokenize_help 0 "" "$BLALM" tokenize --help
expect tokenizer_no_subcommand 2 "expected a subcommand" "$BLALM" tokenizer
expect tokenizer_bad_subcommand 2 "unknown subcommand" "$BLALM" tokenizer frobnicate
expect tokenizer_unknown_flag 2 "unknown option" "$BLALM" tokenizer train --bogus
expect tokenizer_train_needs_corpus 2 "corpus" "$BLALM" tokenizer train --out "$TMP/t"
expect tokenizer_bad_vocab 2 "vocab" "$BLALM" tokenizer train --corpus "$TMP/c" --out "$TMP/t" --vocab lots
expect tokenize_unknown_flag 2 "unknown option" "$BLALM" tokenize --bogus
# an option of another subcommand is refused, not ignored
expect tokenizer_encode_foreign_option 2 "--pattern is not an option of tokenizer encode" "$BLALM" tokenizer encode --tokenizer "$TMP/t.json" --pattern x
expect tokenizer_train_foreign_option 2 "--no-special is not an option of tokenizer train" "$BLALM" tokenizer train --corpus "$TMP/c" --out "$TMP/t" --no-special
expect tokenizer_decode_foreign_option 2 "--no-special is not an option of tokenizer decode" "$BLALM" tokenizer decode --tokenizer "$TMP/t.json" --no-special
expect tokenizer_empty_pattern 2 "expected a regular expression" "$BLALM" tokenizer train --corpus "$TMP/c" --out "$TMP/t" --pattern ''

# training errors leave nothing behind
mkdir -p "$TMP/empty/train" && : >"$TMP/empty/train/x.train"
expect tokenizer_empty_corpus 1 "empty corpus" "$BLALM" tokenizer train --corpus "$TMP/empty" --out "$TMP/te"
expect tokenizer_no_train_files 1 "no training files" "$BLALM" tokenizer train --corpus "$TMP/nowhere" --out "$TMP/te"
expect tokenizer_vocab_unreachable 1 "cannot be reached" "$BLALM" tokenizer train --corpus "$TMP/c" --out "$TMP/te" --vocab 50000
expect tokenizer_vocab_too_small 1 "cannot hold" "$BLALM" tokenizer train --corpus "$TMP/c" --out "$TMP/te" --vocab 100
[ ! -e "$TMP/te" ] && pass tokenizer_errors_write_nothing || fail tokenizer_errors_write_nothing "$(ls -R "$TMP/te")"

expect tokenizer_train 0 "vocabulary 320" "$BLALM" tokenizer train --corpus "$TMP/c" --out "$TMP/tok" --vocab 320 --min-frequency 2
for f in tokenizer.json tokenizer_config.json tokenizer.bin; do
    [ -s "$TMP/tok/$f" ] || fail tokenizer_train_files "missing $f"
done
# --threads N counts N files at once (the corpus has two): the same tokenizer
"$BLALM" tokenizer train -q --corpus "$TMP/c" --out "$TMP/tok3" --vocab 320 --min-frequency 2 --threads 3 2>"$TMP/err"
cmp -s "$TMP/tok/tokenizer.json" "$TMP/tok3/tokenizer.json" && cmp -s "$TMP/tok/tokenizer.bin" "$TMP/tok3/tokenizer.bin" \
    && pass tokenizer_train_threads_same || fail tokenizer_train_threads_same "$(head -c 300 "$TMP/err")"
# dev text must not be learned: "three newlines" appears only in dev
if grep -q "three" "$TMP/tok/tokenizer.json"; then fail tokenizer_train_only_train_split "a dev-only word became a token"
else pass tokenizer_train_only_train_split; fi
# the three files are one tokenizer: a retrain into the same folder that
# cannot write one of them (a folder at tokenizer_config.json) changes none,
# where it replaced tokenizer.json and left the old tokenizer.bin beside it
cp -r "$TMP/tok" "$TMP/tokre" && cp -r "$TMP/tok" "$TMP/tokold"
rm "$TMP/tokre/tokenizer_config.json" && mkdir "$TMP/tokre/tokenizer_config.json"
expect tokenizer_retrain_fails_whole 1 "tokre/tokenizer_config.json: a folder, expected a file to write" \
    "$BLALM" tokenizer train --corpus "$TMP/c" --out "$TMP/tokre" --vocab 300 -q
cmp -s "$TMP/tokre/tokenizer.json" "$TMP/tokold/tokenizer.json" && cmp -s "$TMP/tokre/tokenizer.bin" "$TMP/tokold/tokenizer.bin" &&
    [ -z "$(find "$TMP/tokre" -name '.*.tmp.*')" ] && pass tokenizer_retrain_failure_keeps_old_set ||
    fail tokenizer_retrain_failure_keeps_old_set "$(ls -lA "$TMP/tokre")"
# a retrain that succeeds replaces all three and removes a killed train's temporaries
rmdir "$TMP/tokre/tokenizer_config.json"
dead=$(dead_pid); : >"$TMP/tokre/.tokenizer.bin.tmp.$dead"
"$BLALM" tokenizer train --corpus "$TMP/c" --out "$TMP/tokre" --vocab 300 -q 2>"$TMP/err"
"$BLALM" tokenizer encode --quiet --tokenizer "$TMP/tokre/tokenizer.bin" <"$TMP/c/train/web.train" >"$TMP/re.bin.ids" 2>/dev/null
"$BLALM" tokenizer encode --quiet --tokenizer "$TMP/tokre/tokenizer.json" <"$TMP/c/train/web.train" >"$TMP/re.json.ids" 2>/dev/null
[ -s "$TMP/re.bin.ids" ] && cmp -s "$TMP/re.bin.ids" "$TMP/re.json.ids" && ! cmp -s "$TMP/tokre/tokenizer.bin" "$TMP/tokold/tokenizer.bin" &&
    [ -s "$TMP/tokre/tokenizer_config.json" ] && [ -z "$(find "$TMP/tokre" -name '.*.tmp.*')" ] &&
    pass tokenizer_retrain_replaces_set || fail tokenizer_retrain_replaces_set "$(cat "$TMP/err"; ls -lA "$TMP/tokre")"
# Earlier versions wrote each file of the set with an atomic write of its own
# under the set's temporary name, so a kill left "..NAME.tmp.PID.tmp.PID",
# which no rerun removed: the next train removes a dead process's (a live
# one's stays), and writes no such file itself (a folder planted at the name
# this very process would have used makes that write fail)
mkdir -p "$TMP/tokdt"; dead=$(dead_pid)
for f in tokenizer.json tokenizer.bin tokenizer_config.json; do head -c 5000 /dev/zero >"$TMP/tokdt/..$f.tmp.$dead.tmp.$dead"; done
: >"$TMP/tokdt/..tokenizer.json.tmp.$$.tmp.$$"
"$BLALM" tokenizer train --corpus "$TMP/c" --out "$TMP/tokdt" --vocab 300 -q 2>"$TMP/err"
[ "$(LC_ALL=C ls -A "$TMP/tokdt" | tr '\n' ' ')" = "..tokenizer.json.tmp.$$.tmp.$$ tokenizer.bin tokenizer.json tokenizer_config.json " ] &&
    pass tokenizer_train_removes_old_double_temps ||
    fail tokenizer_train_removes_old_double_temps "$(cat "$TMP/err"; ls -lA "$TMP/tokdt")"
rm -rf "$TMP/tokdt"; mkdir -p "$TMP/tokdt"
bash -c 'for f in tokenizer.json tokenizer.bin tokenizer_config.json; do mkdir "$1/..$f.tmp.$$.tmp.$$"; done
         exec "$2" tokenizer train --corpus "$3" --out "$1" --vocab 300 -q' _ "$TMP/tokdt" "$BLALM" "$TMP/c" 2>"$TMP/err" &&
    [ "$(LC_ALL=C ls -A "$TMP/tokdt" | grep -vc '^\.\.')" = 3 ] && [ -s "$TMP/tokdt/tokenizer.bin" ] &&
    pass tokenizer_train_writes_no_double_temps ||
    fail tokenizer_train_writes_no_double_temps "$(cat "$TMP/err"; ls -lA "$TMP/tokdt")"

# a corpus folder whose name holds glob characters is that folder: "g[1]"
# was read as the pattern g[1], so the train files of g1 were trained on
mkdir -p "$TMP/g[1]/train" "$TMP/g1/train" "$TMP/plain/train"
cp "$TMP/c/train/"*.train "$TMP/g[1]/train/"; cp "$TMP/c/train/"*.train "$TMP/plain/train/"
printf 'zzz other text\n' >"$TMP/g1/train/other.train"
"$BLALM" tokenizer train -q --corpus "$TMP/plain" --out "$TMP/tokplain" --vocab 300 2>"$TMP/err" &&
"$BLALM" tokenizer train -q --corpus "$TMP/g[1]" --out "$TMP/tokglob" --vocab 300 2>>"$TMP/err" &&
    cmp -s "$TMP/tokplain/tokenizer.json" "$TMP/tokglob/tokenizer.json" && pass tokenizer_train_corpus_glob_chars ||
    fail tokenizer_train_corpus_glob_chars "$(cat "$TMP/err")"
# a folder named x.train is no training file, as tokenize's corpus reader
# skips it (it was an error: "x.train: mmap: No such device")
mkdir -p "$TMP/plain/train/x.train" "$TMP/g1/train/x.train"
"$BLALM" tokenizer train -q --corpus "$TMP/plain" --out "$TMP/tokdir" --vocab 300 2>"$TMP/err" &&
    cmp -s "$TMP/tokplain/tokenizer.json" "$TMP/tokdir/tokenizer.json" && pass tokenizer_train_skips_folders ||
    fail tokenizer_train_skips_folders "$(cat "$TMP/err")"
rm -f "$TMP/g1/train/other.train"
expect tokenizer_train_only_folders 1 "g1/train/\*.train: no training files" \
    "$BLALM" tokenizer train -q --corpus "$TMP/g1" --out "$TMP/tokdir2" --vocab 300
rm -rf "$TMP/g[1]" "$TMP/g1" "$TMP/plain" "$TMP/tokplain" "$TMP/tokglob" "$TMP/tokdir"

# encode / decode
printf '%s\n' '"hello world"' '{"text": "The cat sat."}' '""' >"$TMP/in.jsonl"
expect tokenizer_encode_jsonl 0 "3 inputs" "$BLALM" tokenizer encode --tokenizer "$TMP/tok/tokenizer.json" --jsonl "$TMP/in.jsonl"
cp "$TMP/out" "$TMP/ids.jsonl"
[ "$(wc -l <"$TMP/ids.jsonl")" = 3 ] && [ "$(sed -n 3p "$TMP/ids.jsonl")" = "[]" ] && pass tokenizer_encode_lines ||
    fail tokenizer_encode_lines "$(cat "$TMP/ids.jsonl")"
expect tokenizer_decode 0 "3 lines" "$BLALM" tokenizer decode --tokenizer "$TMP/tok/tokenizer.bin" --jsonl "$TMP/ids.jsonl"
[ "$(cat "$TMP/out")" = "$(printf '%s\n' '"hello world"' '"The cat sat."' '""')" ] && pass tokenizer_decode_text ||
    fail tokenizer_decode_text "$(cat "$TMP/out")"
# one token is "1 token", not "1 tokens"
printf '[65]\n' >"$TMP/one.ids"
expect tokenizer_decode_one_token 0 "1 line, 1 token$" "$BLALM" tokenizer decode --tokenizer "$TMP/tok/tokenizer.bin" --jsonl "$TMP/one.ids"
printf 'caf\xc3\xa9 \xff\xfe raw bytes' >"$TMP/raw.txt"
"$BLALM" tokenizer encode --quiet --tokenizer "$TMP/tok/tokenizer.bin" <"$TMP/raw.txt" >"$TMP/raw.ids" &&
"$BLALM" tokenizer decode --quiet --tokenizer "$TMP/tok/tokenizer.bin" <"$TMP/raw.ids" >"$TMP/raw.dec" &&
[ "$(cat "$TMP/raw.dec")" = '"café �� raw bytes"' ] && pass tokenizer_stdin_invalid_utf8 ||
    fail tokenizer_stdin_invalid_utf8 "$(cat "$TMP/raw.dec" 2>/dev/null)"
echo '"<|endoftext|>"' | "$BLALM" tokenizer encode --quiet --tokenizer "$TMP/tok/tokenizer.json" --jsonl - >"$TMP/sp" &&
[ "$(cat "$TMP/sp")" = "[318]" ] && pass tokenizer_encode_special || fail tokenizer_encode_special "$(cat "$TMP/sp")"
# a text holding many special tokens is encoded in linear time: after each
# <|endoftext|> the rest of the text was searched again for <|padding|>
# (absent), so 100,000 of them in 3.3 MB took about 2 minutes (0.2 s now);
# each <|endoftext|> splits the text, so the ids are the segment's, repeated
"$PY" -c 'import sys; sys.stdout.write("hello world cat dog <|endoftext|>" * 100000)' >"$TMP/manyeot.txt"
printf '"hello world cat dog "\n' | "$BLALM" tokenizer encode -q --tokenizer "$TMP/tok/tokenizer.json" --jsonl - >"$TMP/seg.ids"
if timeout 30 "$BLALM" tokenizer encode -q --tokenizer "$TMP/tok/tokenizer.json" <"$TMP/manyeot.txt" >"$TMP/manyeot.ids" 2>"$TMP/err"; then
    "$PY" - "$TMP/seg.ids" "$TMP/manyeot.ids" <<'PYEOF' >"$TMP/res" 2>&1 && pass tokenizer_encode_many_specials_linear ||
import json, sys
seg, got = (json.load(open(p)) for p in sys.argv[1:])
want = (seg + [318]) * 100000
assert got == want, f"{len(got)} ids, expected {len(want)}; first difference at {next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), None)}"
PYEOF
        fail tokenizer_encode_many_specials_linear "$(cat "$TMP/res")"
else
    fail tokenizer_encode_many_specials_linear "rc $? (124: over 30 s): $(tail -c 300 "$TMP/err")"
fi
printf '"ok"\n{"nottext": 1}\n' >"$TMP/bad.jsonl"
expect tokenizer_encode_bad_line 1 "bad.jsonl:2" "$BLALM" tokenizer encode --tokenizer "$TMP/tok/tokenizer.json" --jsonl "$TMP/bad.jsonl"
printf '[1,2]\n[3,\n' >"$TMP/bad.ids"
expect tokenizer_decode_bad_line 1 "bad.ids:2" "$BLALM" tokenizer decode --tokenizer "$TMP/tok/tokenizer.json" --jsonl "$TMP/bad.ids"
# a UTF-8 byte order mark before a line's JSON value is named as such (before:
# "expected a JSON string or an object ...", which the line looks like)
printf '"a"\n\xef\xbb\xbf"hello"\n' >"$TMP/bom.jsonl"
expect tokenizer_encode_bom_named 1 "bom.jsonl:2:1: a UTF-8 byte order mark (EF BB BF) starts the line" \
    "$BLALM" tokenizer encode --tokenizer "$TMP/tok/tokenizer.json" --jsonl "$TMP/bom.jsonl"
# the id list's errors are whole phrases at line:byte (before, every message
# got "expected " in front: "expected token id too large"), and a leading zero,
# not JSON, is refused (before, [01] decoded as [1])
echo '[7, 4294967296]' >"$TMP/big.ids"
expect tokenizer_decode_id_too_large 1 "big.ids:1:5: token id too large (ids are 0 to 4294967295)$" \
    "$BLALM" tokenizer decode --tokenizer "$TMP/tok/tokenizer.json" --jsonl "$TMP/big.ids"
! grep -q "expected token" "$TMP/err" && pass tokenizer_decode_id_too_large_wording ||
    fail tokenizer_decode_id_too_large_wording "$(cat "$TMP/err")"
echo '[01]' >"$TMP/zero.ids"
expect tokenizer_decode_leading_zero 1 "zero.ids:1:2: a token id with a leading zero is not JSON" \
    "$BLALM" tokenizer decode --tokenizer "$TMP/tok/tokenizer.json" --jsonl "$TMP/zero.ids"
echo '[0, 10]' >"$TMP/zero.ids"
expect tokenizer_decode_zero_and_ten 0 "" "$BLALM" tokenizer decode --tokenizer "$TMP/tok/tokenizer.json" --jsonl "$TMP/zero.ids"
echo '[1, 320]' >"$TMP/oov.ids"
expect tokenizer_decode_out_of_vocab 1 "outside the vocabulary" "$BLALM" tokenizer decode --tokenizer "$TMP/tok/tokenizer.json" --jsonl "$TMP/oov.ids"
head -c 2000 "$TMP/tok/tokenizer.json" >"$TMP/trunc.json"
expect tokenizer_truncated_json 1 "trunc.json: byte" "$BLALM" tokenizer encode --tokenizer "$TMP/trunc.json" --jsonl "$TMP/in.jsonl"
head -c 3000 "$TMP/tok/tokenizer.bin" >"$TMP/trunc.bin"
expect tokenizer_truncated_bin 1 "trunc.bin: checksum" "$BLALM" tokenizer encode --tokenizer "$TMP/trunc.bin" --jsonl "$TMP/in.jsonl"
expect tokenizer_missing_file 1 "nope.json" "$BLALM" tokenizer encode --tokenizer "$TMP/nope.json" --jsonl "$TMP/in.jsonl"

# tokenize, then read the shards back with Python and compare with the corpus
expect tokenize_run 0 "6 documents" "$BLALM" tokenize --corpus "$TMP/c" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/sh" --threads 2
"$PY" - "$TMP/c" "$TMP/sh" "$TMP/tok/tokenizer.json" >"$TMP/check.ids" 2>"$TMP/check.err" <<'PYEOF'
import hashlib, json, struct, sys, zlib, subprocess
corpus, sh, tokjson = sys.argv[1:]
sha = hashlib.sha256(open(tokjson, "rb").read()).digest()
recs = [json.loads(l) for l in subprocess.run(["zstd", "-dc", corpus + "/documents.jsonl.zst"], capture_output=True).stdout.decode().splitlines()]
for rel in ["train/web.train", "train/books.train", "dev/web.dev"]:
    tok = open(f"{sh}/{rel}.tok", "rb").read(); idx = open(f"{sh}/{rel}.idx", "rb").read()
    magic, ver, bpt, n, vocab, eot = struct.unpack_from("<8sIIQII", tok, 0)
    assert magic == b"BLALMTK1" and ver == 1 and bpt == 2 and vocab == 320 and eot == 318, (magic, ver, bpt, vocab, eot)
    assert tok[32:64] == sha, "tokenizer sha256"
    assert len(tok) == 64 + 2 * n
    imagic, iver, res, ndocs, itok = struct.unpack_from("<8sIIQQ", idx, 0)
    assert imagic == b"BLALMIX1" and iver == 1 and res == 0 and itok == n and len(idx) == 32 + 24 * ndocs
    toks = struct.unpack_from(f"<{n}H", tok, 64)
    mine = [r for r in recs if r["file"] == rel]
    assert ndocs == len(mine), (rel, ndocs, len(mine))
    text = open(f"{corpus}/{rel}", "rb").read()
    at = 0
    for i, r in enumerate(mine):
        off, cnt, words = struct.unpack_from("<QQQ", idx, 32 + 24 * i)
        assert off == at and toks[off + cnt - 1] == eot
        doc = text[r["offset"]:r["offset"] + r["length"]].decode()
        assert words == len(doc.split()) == r["words"], (words, len(doc.split()))
        assert eot not in toks[off:off + cnt - 1], "special text must stay text in shards"
        print(json.dumps(list(toks[off:off + cnt - 1])))
        print(json.dumps(doc, ensure_ascii=False), file=sys.stderr)
        at += cnt
    assert at == n
PYEOF
if [ $? -eq 0 ]; then pass tokenize_shards_format; else fail tokenize_shards_format "$(tail -c 400 "$TMP/check.err")"; fi
"$BLALM" tokenizer decode --quiet --tokenizer "$TMP/tok/tokenizer.json" --jsonl "$TMP/check.ids" >"$TMP/check.dec" 2>&1
grep -v '^Traceback' "$TMP/check.err" >"$TMP/check.want"
cmp -s "$TMP/check.dec" "$TMP/check.want" && pass tokenize_shards_decode_to_documents ||
    fail tokenize_shards_decode_to_documents "$(diff "$TMP/check.dec" "$TMP/check.want" | head -c 400)"
grep -q '"boundaries": "documents.jsonl.zst"' "$TMP/sh/tokens.json" && pass tokenize_manifest || fail tokenize_manifest "$(cat "$TMP/sh/tokens.json")"

# without documents.jsonl.zst: blank lines, and a warning saying so
mkdir -p "$TMP/nb/train" && cp "$TMP/c/train/web.train" "$TMP/nb/train/"
expect tokenize_blank_line_fallback 0 "taking blank lines" "$BLALM" tokenize --corpus "$TMP/nb" --tokenizer "$TMP/tok/tokenizer.bin" --out "$TMP/nbsh"
grep -q '"docs": 4' "$TMP/nbsh/tokens.json" && pass tokenize_blank_line_docs || fail tokenize_blank_line_docs "$(cat "$TMP/nbsh/tokens.json")"

# documents.jsonl.zst that does not match the corpus: error, no shard left
mkdir -p "$TMP/bad/train" && cp "$TMP/c/train/books.train" "$TMP/bad/train/"
echo '{"file": "train/books.train", "offset": 10, "length": 999999, "words": 1}' | zstd -q -o "$TMP/bad/documents.jsonl.zst"
expect tokenize_span_past_end 1 "past the end" "$BLALM" tokenize --corpus "$TMP/bad" --tokenizer "$TMP/tok/tokenizer.bin" --out "$TMP/badsh"
[ -z "$(find "$TMP/badsh" -type f 2>/dev/null)" ] && pass tokenize_error_leaves_nothing || fail tokenize_error_leaves_nothing "$(find "$TMP/badsh" -type f)"
echo 'not json' | zstd -q -f -o "$TMP/bad/documents.jsonl.zst"
expect tokenize_bad_documents_line 1 "documents.jsonl.zst:1" "$BLALM" tokenize --corpus "$TMP/bad" --tokenizer "$TMP/tok/tokenizer.bin" --out "$TMP/badsh"
expect tokenize_bad_tokenizer 1 "trunc.json" "$BLALM" tokenize --corpus "$TMP/c" --tokenizer "$TMP/trunc.json" --out "$TMP/badsh"
# a folder that is not there is named as such (it opened as a corpus of no
# files); one that is there without splits has no split files
expect tokenize_no_corpus_folder 1 "nowhere: No such file or directory" "$BLALM" tokenize --corpus "$TMP/nowhere" --tokenizer "$TMP/tok/tokenizer.bin" --out "$TMP/badsh"
mkdir -p "$TMP/nosplits"
expect tokenize_no_split_files 1 "no split files" "$BLALM" tokenize --corpus "$TMP/nosplits" --tokenizer "$TMP/tok/tokenizer.bin" --out "$TMP/badsh"
# the BabyLM organisers' download (train_10M/ or train_100M/ beside dev/):
# refused, naming the folder to link as train/ (it tokenized dev/ alone, exit 0)
mkdir -p "$TMP/babylm/train_10M" "$TMP/babylm/dev"
cp "$TMP/c/train/books.train" "$TMP/babylm/train_10M/childes.train"
cp "$TMP/c/dev/web.dev" "$TMP/babylm/dev/childes.dev"
expect tokenize_babylm_download_layout 1 "train_10M/ holds .train files" "$BLALM" tokenize --corpus "$TMP/babylm" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/bsh"
[ ! -e "$TMP/bsh" ] && pass tokenize_babylm_download_writes_nothing || fail tokenize_babylm_download_writes_nothing "$(find "$TMP/bsh" -type f)"
# tokenizer train, train and ablate give tokenize's refusal (tokenizer train
# said only "train/*.train: no training files", train "the train split holds
# no text to train a tokenizer on", ablate "the train split holds no text")
expect tokenizer_train_babylm_download 1 "train_10M/ holds .train files (the BabyLM download's layout): link it as the train split (ln -s train_10M $TMP/babylm/train) and run blalm tokenizer train again" "$BLALM" tokenizer train --corpus "$TMP/babylm" --out "$TMP/btok"
[ ! -e "$TMP/btok" ] && pass tokenizer_train_babylm_download_writes_nothing || fail tokenizer_train_babylm_download_writes_nothing "$(find "$TMP/btok" -type f)"
expect train_babylm_download 1 "train_10M/ holds .train files.*run blalm train again" "$BLALM" train --corpus "$TMP/babylm" --model "$(cd "$(dirname "$0")/../.." && pwd)/configs/model-tiny.json" --out "$TMP/brun" --max-steps 1 -q
[ ! -e "$TMP/brun" ] && pass train_babylm_download_writes_nothing || fail train_babylm_download_writes_nothing "$(find "$TMP/brun" -type f)"
expect ablate_babylm_download 1 "train_10M/ holds .train files.*run blalm ablate again" "$BLALM" ablate --corpus "$TMP/babylm" --variants mlstm --optimizers adamw --seeds 1 --tokens 1k --model-size "$(cd "$(dirname "$0")/../.." && pwd)/configs/model-tiny.json" --out "$TMP/babl" -q
[ ! -e "$TMP/babl" ] && pass ablate_babylm_download_writes_nothing || fail ablate_babylm_download_writes_nothing "$(find "$TMP/babl" -type f)"
mkdir -p "$TMP/babylm100/train_100M" && cp "$TMP/c/train/books.train" "$TMP/babylm100/train_100M/"
expect tokenize_babylm_download_no_dev 1 "train_100M/ holds .train files" "$BLALM" tokenize --corpus "$TMP/babylm100" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/bsh"
# both downloads beside an empty train/: every train_* folder named, sorted,
# and train/ to be moved away first (ln -s into the existing folder made
# train/train_100M and the rerun failed the same way)
mkdir -p "$TMP/babyboth/train" "$TMP/babyboth/train_10M" "$TMP/babyboth/train_100M" "$TMP/babyboth/dev"
cp "$TMP/c/train/books.train" "$TMP/babyboth/train_10M/" && cp "$TMP/c/train/books.train" "$TMP/babyboth/train_100M/"
cp "$TMP/c/dev/web.dev" "$TMP/babyboth/dev/"
expect tokenize_babylm_download_both_named 1 "train_100M/ and train_10M/ hold .train files" "$BLALM" tokenize --corpus "$TMP/babyboth" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/bsh"
expect tokenize_babylm_download_train_exists 1 "$TMP/babyboth/train holds no .train files: remove or move it" "$BLALM" tokenize --corpus "$TMP/babyboth" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/bsh"
# several: the link example a placeholder (it named train_100M, picked for the reader)
expect tokenize_babylm_download_several_placeholder 1 "(ln -s train_<size> $TMP/babyboth/train)" "$BLALM" tokenize --corpus "$TMP/babyboth" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/bsh"
# a file named train: not a folder (it said "holds no .train files")
mkdir -p "$TMP/babyfile/train_10M" && cp "$TMP/c/train/books.train" "$TMP/babyfile/train_10M/" && : > "$TMP/babyfile/train"
expect tokenize_babylm_download_train_file 1 "$TMP/babyfile/train is not a folder: remove or move it, then link it as the train split (ln -s train_10M $TMP/babyfile/train)" "$BLALM" tokenize --corpus "$TMP/babyfile" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/bsh"
ln -s train_10M "$TMP/babylm/train"
expect tokenize_babylm_download_linked 0 "" "$BLALM" tokenize --corpus "$TMP/babylm" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/bsh" -q
grep -q '"file": "train/childes.train"' "$TMP/bsh/tokens.json" 2>/dev/null && pass tokenize_babylm_download_linked_train ||
    fail tokenize_babylm_download_linked_train "$(cat "$TMP/bsh/tokens.json" 2>&1 | head -c 300)"

# a rerun skips finished shards; a changed source file is redone; --force redoes all
expect tokenize_rerun_skips 0 "(3 done before)" "$BLALM" tokenize --corpus "$TMP/c" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/sh"
grep -q '"docs": 6' "$TMP/sh/tokens.json" && pass tokenize_rerun_manifest ||
    fail tokenize_rerun_manifest "$(cat "$TMP/sh/tokens.json")"
# markers key the bytes (lib/marker.h), not the time: a touched file stays done
touch -d '2001-01-01' "$TMP/c/dev/web.dev"
expect tokenize_rerun_touched_stays_done 0 "(3 done before)" "$BLALM" tokenize --corpus "$TMP/c" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/sh"
printf '\n' >>"$TMP/c/dev/web.dev"
expect tokenize_rerun_redoes_changed 0 "(2 done before)" "$BLALM" tokenize --corpus "$TMP/c" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/sh"
# sharding: two workers leave the same bytes as one (tokens.json by the last)
expect tokenize_shard_0 0 "tokens.json waits" "$BLALM" tokenize --corpus "$TMP/c" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/sh2" --shard 0/2
[ ! -e "$TMP/sh2/tokens.json" ] && [ -e "$TMP/sh2/train/books.train.tok" ] && [ ! -e "$TMP/sh2/train/web.train.tok" ] &&
    pass tokenize_shard_0_files || fail tokenize_shard_0_files "$(cd "$TMP/sh2" && find . -type f | sort | tr '\n' ' ')"
SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=2 \
    expect tokenize_shard_1_slurm 0 "all shards done" "$BLALM" tokenize --corpus "$TMP/c" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/sh2"
same=1
for f in tokens.json train/books.train.tok train/books.train.idx train/web.train.tok train/web.train.idx dev/web.dev.tok dev/web.dev.idx; do
    cmp -s "$TMP/sh/$f" "$TMP/sh2/$f" || { same=0; fail tokenize_shards_equal_one_process "$f differs"; }
done
[ $same = 1 ] && pass tokenize_shards_equal_one_process
expect tokenize_bad_shard 2 "shard" "$BLALM" tokenize --corpus "$TMP/c" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/sh3" --shard 2/2
expect tokenize_force 0 "(0 done before)" "$BLALM" tokenize --corpus "$TMP/c" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/sh" --force

# tokens.json means every shard is done: a re-tokenize (here with another
# tokenizer) that stops part-way takes it away before the first shard
# changes, so `train --tokens` cannot take the mixed shards for the old set
# (a folder where the last shard goes makes the run fail there)
cp -r "$TMP/sh" "$TMP/shk" && rm "$TMP/shk/dev/web.dev.tok" && mkdir "$TMP/shk/dev/web.dev.tok"
expect tokenize_retokenize_stops 1 "web.dev.tok: rename" "$BLALM" tokenize --corpus "$TMP/c" --tokenizer "$TMP/tokre/tokenizer.json" --out "$TMP/shk" -q
"$PY" -c 'import hashlib,sys; a=open(sys.argv[1],"rb").read(64)[32:]; assert a == hashlib.sha256(open(sys.argv[2],"rb").read()).digest()' \
    "$TMP/shk/train/web.train.tok" "$TMP/tokre/tokenizer.json" 2>/dev/null &&
    [ ! -e "$TMP/shk/tokens.json" ] && pass tokenize_retokenize_drops_manifest ||
    fail tokenize_retokenize_drops_manifest "$(ls "$TMP/shk")"

# an object's "text" is decoded whole: a \u0000 is a byte of the text, as in
# a bare string (it cut the text there); a lone surrogate is named as such;
# bytes after the JSON value are refused (line:column)
printf '%s\n' '"a\u0000b c"' '{"id": "x", "text": "a\u0000b c", "n": [1]}' |
    "$BLALM" tokenizer encode -q --tokenizer "$TMP/tok/tokenizer.json" --jsonl - >"$TMP/nul.ids" 2>"$TMP/err"
[ "$(wc -l <"$TMP/nul.ids")" = 2 ] && [ "$(sed -n 1p "$TMP/nul.ids")" = "$(sed -n 2p "$TMP/nul.ids")" ] &&
    grep -q '^\[97,0,98,' "$TMP/nul.ids" && pass tokenizer_encode_text_member_keeps_nul ||
    fail tokenizer_encode_text_member_keeps_nul "$(cat "$TMP/nul.ids" "$TMP/err")"
printf '%s\n' '"ok"' '{"text": "x\ud800y"}' >"$TMP/sur.jsonl"
expect tokenizer_encode_text_lone_surrogate 1 "sur.jsonl:2:12: expected a low surrogate" \
    "$BLALM" tokenizer encode -q --tokenizer "$TMP/tok/tokenizer.json" --jsonl "$TMP/sur.jsonl"
printf '%s\n' '{"text": "é"} trailing' >"$TMP/tail.jsonl"
expect tokenizer_encode_trailing_bytes 1 "tail.jsonl:1:16: expected the line to end after the JSON value" \
    "$BLALM" tokenizer encode -q --tokenizer "$TMP/tok/tokenizer.json" --jsonl "$TMP/tail.jsonl"
printf '%s\n' '{"text": "a", "text": "b"}' >"$TMP/two.jsonl"
expect tokenizer_encode_two_text_members 1 "two.jsonl:1:23: expected one \"text\" member" \
    "$BLALM" tokenizer encode -q --tokenizer "$TMP/tok/tokenizer.json" --jsonl "$TMP/two.jsonl"

# a document listed twice in the index (a repeated line, or ranges that
# overlap) is refused, naming both lines: it was tokenized, and its words
# counted, twice
mkdir -p "$TMP/dup/train" && printf 'Hello world one.\n\nSecond doc here.\n\n' >"$TMP/dup/train/a.train"
printf '%s\n' '{"id":"1","file":"train/a.train","offset":0,"length":16,"words":3}' \
    '{"id":"2","file":"train/a.train","offset":18,"length":16,"words":3}' \
    '{"id":"1","file":"train/a.train","offset":0,"length":16,"words":3}' | zstd -q -o "$TMP/dup/documents.jsonl.zst"
expect tokenize_repeated_document 1 "documents.jsonl.zst:3: train/a.train bytes \[0, +16) repeat those of line 1" \
    "$BLALM" tokenize --corpus "$TMP/dup" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/dupsh"
printf '%s\n' '{"id":"1","file":"train/a.train","offset":0,"length":16,"words":3}' \
    '{"id":"2","file":"train/a.train","offset":6,"length":20,"words":3}' | zstd -q -f -o "$TMP/dup/documents.jsonl.zst"
expect tokenize_overlapping_documents 1 "documents.jsonl.zst:2: train/a.train bytes \[6, +20) overlap those of line 1" \
    "$BLALM" tokenize --corpus "$TMP/dup" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/dupsh"
[ ! -e "$TMP/dupsh" ] && pass tokenize_repeated_document_writes_nothing || fail tokenize_repeated_document_writes_nothing "$(ls -R "$TMP/dupsh")"

# decode shows invalid UTF-8 as the Hugging Face libraries do (Rust's
# from_utf8_lossy, TextDecoder): one U+FFFD per maximal subpart, so ids that
# end inside a character (a sampled or cut sequence) give one U+FFFD, not one
# per byte; a surrogate's bytes stay three
printf '%s\n' '[240,159,152]' '[230,151]' '[240,159,152,97,230,151,98]' '[237,160,128]' |
    "$BLALM" tokenizer decode -q --tokenizer "$TMP/tok/tokenizer.json" >"$TMP/cut.dec" 2>"$TMP/err"
[ "$(cat "$TMP/cut.dec")" = "$(printf '"\xef\xbf\xbd"\n"\xef\xbf\xbd"\n"\xef\xbf\xbda\xef\xbf\xbdb"\n"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"')" ] &&
    pass tokenizer_decode_maximal_subparts || fail tokenizer_decode_maximal_subparts "$(cat "$TMP/cut.dec" "$TMP/err")"

# hand-written tokenizer.json files: an added token with "special": false is
# matched always (also under --no-special, as in shards) and kept by decode
# --skip-special, as the Rust library does (it was taken as special);
# lstrip/rstrip/single_word true are refused rather than ignored; text after
# the JSON object is refused (the Rust library: "trailing characters")
"$PY" - "$TMP/tok/tokenizer.json" "$TMP/hand" <<'PYEOF'
import json, os, sys
d = json.load(open(sys.argv[1])); out = sys.argv[2]; os.makedirs(out, exist_ok=True)
for a in d["added_tokens"]:
    if a["content"] == "<|padding|>": a["special"] = False
json.dump(d, open(out + "/plain.json", "w"))
# "normalized" added tokens are matched only between the others (the Rust
# library's second pass): "xyabc" is "xy" + "abc", not "xyab" + "c"
n = max(a["id"] for a in d["added_tokens"]) + 1
o = json.loads(json.dumps(d))
o["added_tokens"] += [{"id": n, "content": "xyab", "normalized": True, "special": False},
                      {"id": n + 1, "content": "abc", "normalized": False, "special": False}]
json.dump(o, open(out + "/passes.json", "w"))
for k in ("lstrip", "rstrip", "single_word"):
    e = json.loads(json.dumps(d)); e["added_tokens"][0][k] = True
    json.dump(e, open(f"{out}/{k}.json", "w"))
open(out + "/tail.json", "w").write(json.dumps(d) + "\n} x\n")
# the model's "continuing_subword_prefix": "" and "end_of_word_suffix": ""
# (GPT-2's tokenizer.json on the Hub, the Python bindings' and tiktoken
# converters' output) and "dropout": 0 mean none to the Rust library: they
# load (they were refused); "##", "</w>" and 0.1 are still refused
m = json.loads(json.dumps(d)); m["model"].update(continuing_subword_prefix="", end_of_word_suffix="", dropout=0.0)
json.dump(m, open(out + "/empty_affixes.json", "w"))
for k, v in (("continuing_subword_prefix", "##"), ("end_of_word_suffix", "</w>"), ("dropout", 0.1)):
    m = json.loads(json.dumps(d)); m["model"][k] = v
    json.dump(m, open(f"{out}/{k}.json", "w"))
# a \u0000 in a string: cJSON ended the string there, so the added token
# "<x>\0" was "<x>" and matched in "a<x>b" (Tokenizers.js: no match); it is
# refused. An escaped backslash before "u0000" (the text \u0000) is no NUL.
n = max(a["id"] for a in d["added_tokens"]) + 1
for name, text in (("nul", "<x>\0"), ("backslash_u", "\\u0000")):
    m = json.loads(json.dumps(d)); m["added_tokens"].append({"id": n, "content": text, "special": True})
    json.dump(m, open(f"{out}/{name}.json", "w"))
PYEOF
grep -q '"<x>\\u0000"' "$TMP/hand/nul.json" && grep -q '"\\\\u0000"' "$TMP/hand/backslash_u.json" ||
    fail tokenizer_json_nul_fixture "$(grep -o '"content": "[^"]*"' "$TMP/hand/nul.json" "$TMP/hand/backslash_u.json")"
expect tokenizer_json_nul_refused 1 'nul.json: byte [0-9]*: a \\u0000 (NUL) in a string is not supported' \
    "$BLALM" tokenizer encode -q --tokenizer "$TMP/hand/nul.json" --jsonl "$TMP/in.jsonl"
printf '%s\n' '"a\\u0000b"' | "$BLALM" tokenizer encode -q --tokenizer "$TMP/hand/backslash_u.json" --jsonl - >"$TMP/bsu.ids" 2>"$TMP/err" &&
    [ "$(cat "$TMP/bsu.ids")" = "[97,320,98]" ] && pass tokenizer_json_escaped_backslash_u ||
    fail tokenizer_json_escaped_backslash_u "$(cat "$TMP/bsu.ids" "$TMP/err")"
"$BLALM" tokenizer encode -q --tokenizer "$TMP/tok/tokenizer.json" --jsonl "$TMP/in.jsonl" >"$TMP/affix.want" 2>"$TMP/err"
"$BLALM" tokenizer encode -q --tokenizer "$TMP/hand/empty_affixes.json" --jsonl "$TMP/in.jsonl" >"$TMP/affix.got" 2>>"$TMP/err" &&
    [ -s "$TMP/affix.want" ] && cmp -s "$TMP/affix.want" "$TMP/affix.got" &&
    pass tokenizer_json_empty_affixes_load || fail tokenizer_json_empty_affixes_load "$(cat "$TMP/affix.got" "$TMP/err")"
expect tokenizer_json_prefix_refused 1 'continuing_subword_prefix.json: model.continuing_subword_prefix "##" is not supported' \
    "$BLALM" tokenizer encode -q --tokenizer "$TMP/hand/continuing_subword_prefix.json" --jsonl "$TMP/in.jsonl"
expect tokenizer_json_suffix_refused 1 'end_of_word_suffix.json: model.end_of_word_suffix "</w>" is not supported' \
    "$BLALM" tokenizer encode -q --tokenizer "$TMP/hand/end_of_word_suffix.json" --jsonl "$TMP/in.jsonl"
expect tokenizer_json_dropout_refused 1 'dropout.json: model.dropout 0.1 is not supported' \
    "$BLALM" tokenizer encode -q --tokenizer "$TMP/hand/dropout.json" --jsonl "$TMP/in.jsonl"
echo '"x<|padding|>y<|endoftext|>"' | "$BLALM" tokenizer encode -q --no-special --tokenizer "$TMP/hand/plain.json" --jsonl - >"$TMP/plain.ids" 2>"$TMP/err"
echo '[120,319,121,318]' | "$BLALM" tokenizer decode -q --skip-special --tokenizer "$TMP/hand/plain.json" >"$TMP/plain.dec" 2>>"$TMP/err"
grep -q '^\[120,319,121,60,' "$TMP/plain.ids" && [ "$(cat "$TMP/plain.dec")" = '"x<|padding|>y"' ] &&
    pass tokenizer_added_not_special || fail tokenizer_added_not_special "$(cat "$TMP/plain.ids" "$TMP/plain.dec" "$TMP/err")"
printf '%s\n' '"xyabc"' '"xyab c"' | "$BLALM" tokenizer encode -q --no-special --tokenizer "$TMP/hand/passes.json" --jsonl - >"$TMP/passes.ids" 2>"$TMP/err"
[ "$(sed -n 1p "$TMP/passes.ids")" = "[120,121,321]" ] && grep -q '^\[320,' "$TMP/passes.ids" &&
    pass tokenizer_added_normalized_second || fail tokenizer_added_normalized_second "$(cat "$TMP/passes.ids" "$TMP/err")"
for k in lstrip rstrip single_word; do
    expect "tokenizer_added_$k" 1 "added_tokens\[0\] (\"<|endoftext|>\"): $k true is not supported" \
        "$BLALM" tokenizer encode -q --tokenizer "$TMP/hand/$k.json" --jsonl "$TMP/in.jsonl"
done
expect tokenizer_json_trailing_bytes 1 "tail.json: byte [0-9]*: expected the end of the file after the JSON object" \
    "$BLALM" tokenizer encode -q --tokenizer "$TMP/hand/tail.json" --jsonl "$TMP/in.jsonl"

# --pattern: what only PCRE2 takes, or what PCRE2, Oniguruma (the Rust
# library) and JavaScript (Tokenizers.js) read differently, is refused with
# the offset, as is a pattern that can match the empty string; nothing is
# written (tokenizer_hf.sh checks that accepted ones agree)
for case in '(?|a|b)|.@offset 0: (?|a is not accepted' '\p{Xwd}+|.@offset 0: \\p{Xwd} is not accepted' \
            '(*UCP)a|.@offset 0: (\* verbs' '\X@offset 0: \\X is not accepted' '\w+|.@offset 0: \\w is not accepted' \
            'a++|.@offset 2: possessive' '[\S]@offset 1: \\S inside' '\p{L}*@it can match the empty string'; do
    pat=${case%%@*}; want=${case#*@}
    expect "tokenizer_pattern_refused $pat" 1 "pre-tokenizer pattern: $want" \
        "$BLALM" tokenizer train -q --corpus "$TMP/c" --out "$TMP/tpat" --vocab 300 --allow-smaller --pattern "$pat"
done
[ ! -e "$TMP/tpat" ] && pass tokenizer_pattern_refused_writes_nothing || fail tokenizer_pattern_refused_writes_nothing "$(ls "$TMP/tpat")"

# ...but a tokenizer.json that an earlier blalm wrote with such a --pattern
# still loads (its sha256 is recorded in the run's tokens.json and
# checkpoints): compiled as that version compiled it, it gives the ids that
# version gave (tokenizer_old/*: written and encoded by blalm 0.1.0 before
# the pattern checks), with one warning naming the file and the construct;
# training with the pattern is still refused
OLD=$(dirname "$0")/tokenizer_old
for case in 'w@\\w is not accepted' 'caret@'"'"'^'"'"' is not accepted' 'empty@it can match the empty string'; do
    n=${case%%@*}; want=${case#*@}
    "$BLALM" tokenizer encode -q --tokenizer "$OLD/$n.json" --jsonl "$OLD/sample.jsonl" >"$TMP/old.ids" 2>"$TMP/old.err"
    rc=$?
    if [ "$rc" -ne 0 ]; then fail "tokenizer_old_pattern_loads $n" "exit $rc: $(tail -c 300 "$TMP/old.err")"
    elif ! cmp -s "$TMP/old.ids" "$OLD/$n.ids"; then fail "tokenizer_old_pattern_loads $n" "ids differ from the old version's"
    elif [ "$(grep -c "warning: .*$n.json: pre-tokenizer pattern: .*$want.*may tokenize differently" "$TMP/old.err")" -ne 1 ]
    then fail "tokenizer_old_pattern_loads $n" "not one warning naming the file and '$want': $(tail -c 300 "$TMP/old.err")"
    else pass "tokenizer_old_pattern_loads $n"; fi
    pat=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"])' "$OLD/$n.json")
    expect "tokenizer_old_pattern_train_refused $n" 1 "pre-tokenizer pattern: .*$want" \
        "$BLALM" tokenizer train -q --corpus "$TMP/c" --out "$TMP/tpat" --vocab 300 --allow-smaller --pattern "$pat"
done
[ ! -e "$TMP/tpat" ] && pass tokenizer_old_pattern_train_writes_nothing || fail tokenizer_old_pattern_train_writes_nothing "$(ls "$TMP/tpat")"

# a full stdout says what README says (was "<stdout>: write error")
if [ -w /dev/full ]; then
    expect tokenizer_encode_stdout_full 1 "^blalm tokenizer encode: write error on stdout" \
        sh -c '"$1" tokenizer encode -q --tokenizer "$2" --jsonl "$3" >/dev/full' sh "$BLALM" "$TMP/tok/tokenizer.json" "$TMP/in.jsonl"
    expect tokenizer_encode_stdin_stdout_full 1 "^blalm tokenizer encode: write error on stdout" \
        sh -c 'echo hello | "$1" tokenizer encode -q --tokenizer "$2" >/dev/full' sh "$BLALM" "$TMP/tok/tokenizer.json"
    expect tokenizer_decode_stdout_full 1 "^blalm tokenizer decode: write error on stdout" \
        sh -c 'echo "[104,105]" | "$1" tokenizer decode -q --tokenizer "$2" >/dev/full' sh "$BLALM" "$TMP/tok/tokenizer.json"
else skip tokenizer_stdout_full "/dev/full not writable here"; fi

# without documents.jsonl.zst, a CRLF file splits as its LF twin ("\r\n\r\n" is a
# blank line; before, a CRLF corpus was one document per file), and a line of
# only spaces or tabs is not a boundary (as in the BabyLM layout) but is named
# in a warning with the file and the count
mkdir -p "$TMP/crlf/train" "$TMP/lfc/train"
printf 'one\r\ntwo\r\n\r\nthree\r\n\r\n\r\nfour\r\n' >"$TMP/crlf/train/a.train"
printf 'one\ntwo\n\nthree\n\n\nfour\n' >"$TMP/lfc/train/a.train"
printf 'x\n \ny\n\t\r\nz\n\nw\n' >"$TMP/crlf/train/b.train"
"$BLALM" tokenize --corpus "$TMP/crlf" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/crlf.tk" 2>"$TMP/crlf.err" &&
"$BLALM" tokenize --corpus "$TMP/lfc" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/lfc.tk" -q 2>/dev/null
docs=$("$PY" -c 'import json,sys; print(" ".join(str(f["docs"]) for f in json.load(open(sys.argv[1]))["files"]))' "$TMP/crlf.tk/tokens.json" 2>/dev/null)
lfdocs=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["docs"])' "$TMP/lfc.tk/tokens.json" 2>/dev/null)
[ "$docs" = "3 2" ] && [ "$lfdocs" = 3 ] && pass tokenize_crlf_blank_lines ||
    fail tokenize_crlf_blank_lines "docs per file '$docs' (want '3 2'), LF twin '$lfdocs': $(head -c 300 "$TMP/crlf.err")"
grep -qF "$TMP/crlf/train/b.train: 2 lines of only spaces or tabs, not taken as document boundaries" "$TMP/crlf.err" &&
    ! grep -q "a.train: .* spaces or tabs" "$TMP/crlf.err" && pass tokenize_whitespace_lines_warned ||
    fail tokenize_whitespace_lines_warned "$(head -c 500 "$TMP/crlf.err")"
