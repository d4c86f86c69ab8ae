#!/usr/bin/env bash
# blalm fetch against the loopback Hub stand-in: listing with pagination,
# downloads byte-identical, sidecars, rerun skips, --dry-run, --include,
# --max-files, usage errors.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../peers/hub_lib.sh"

repo=$TMP/repo; make_repo "$repo"
files=(sample/10BT/000_00000.parquet sample/10BT/000_00001.parquet sample/10BT/000_00002.parquet sample/10BT/sub/extra.bin)
start_hub "$repo" --page-size 2

out=$TMP/out
if "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$out" --jobs 3 >"$TMP/o1" 2>"$TMP/e1"; then
    if r=$(cmp_tree "$repo" "$out" "${files[@]}"); then pass fetch_downloads_identical; else fail fetch_downloads_identical "$r"; fi
else fail fetch_downloads_identical "exit $?: $(tail -c 400 "$TMP/e1")"; fi

n=$(find "$out" -type f ! -name '*.meta' | wc -l)
[ "$n" -eq 4 ] && [ ! -e "$out/data" ] && pass fetch_keeps_hub_paths_only_under_path || fail fetch_keeps_hub_paths_only_under_path "$n files: $(find "$out" -type f)"
[ "$(hub_stat tree)" -ge 3 ] && pass fetch_follows_pagination || fail fetch_follows_pagination "tree requests: $(hub_stat tree)"
if "$PY" - "$out/sample/10BT/000_00001.parquet.meta" "$repo/sample/10BT/000_00001.parquet" <<'PY'
import hashlib, json, sys
m = json.load(open(sys.argv[1])); b = open(sys.argv[2], "rb").read()
assert m["sha256"] == hashlib.sha256(b).hexdigest(), m
assert m["size"] == len(b) and m["path"] == "sample/10BT/000_00001.parquet", m
assert len(m["commit"]) == 40 and m["etag"].strip('"') == m["sha256"] and m["revision"] == "main", m
PY
then pass fetch_sidecar_records_commit_etag_size_sha; else fail fetch_sidecar_records_commit_etag_size_sha "$(cat "$out/sample/10BT/000_00001.parquet.meta")"; fi
[ -z "$(find "$out" -name '*.part')" ] && pass fetch_leaves_no_part_files || fail fetch_leaves_no_part_files "$(find "$out" -name '*.part')"
grep -q "4 downloaded" "$TMP/e1" && pass fetch_summary_line || fail fetch_summary_line "$(cat "$TMP/e1")"

# rerun: nothing downloaded (the peer's counters prove it)
before_cdn=$(hub_stat cdn); before_res=$(hub_stat resolve); before_head=$(hub_stat head)
if "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$out" 2>"$TMP/e2" &&
   [ "$(hub_stat cdn)" = "$before_cdn" ] && [ "$(hub_stat resolve)" = "$before_res" ] && [ "$(hub_stat head)" = "$before_head" ] &&
   grep -q "4 already verified" "$TMP/e2"; then
    pass fetch_rerun_skips_verified_files
else fail fetch_rerun_skips_verified_files "cdn $before_cdn -> $(hub_stat cdn); $(cat "$TMP/e2")"; fi

# a file whose sidecar is gone but bytes are right is re-hashed, not re-downloaded
rm "$out/sample/10BT/000_00000.parquet.meta"
before_cdn=$(hub_stat cdn)
if "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$out" -q 2>"$TMP/e3" && [ "$(hub_stat cdn)" = "$before_cdn" ] &&
   [ -f "$out/sample/10BT/000_00000.parquet.meta" ]; then pass fetch_rehashes_file_without_sidecar
else fail fetch_rehashes_file_without_sidecar "cdn $before_cdn -> $(hub_stat cdn); $(cat "$TMP/e3")"; fi

# a file changed on disk (size kept) is downloaded again
printf 'XXXX' | dd of="$out/sample/10BT/000_00001.parquet" bs=1 seek=100 conv=notrunc 2>/dev/null
rm "$out/sample/10BT/000_00001.parquet.meta"
if "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$out" -q 2>"$TMP/e4" &&
   cmp -s "$repo/sample/10BT/000_00001.parquet" "$out/sample/10BT/000_00001.parquet"; then pass fetch_redownloads_damaged_file
else fail fetch_redownloads_damaged_file "$(cat "$TMP/e4")"; fi

# --dry-run: lists and totals, writes nothing
if "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/dry" --dry-run >"$TMP/o5" 2>"$TMP/e5" &&
   grep -q "^4 files, 1870002 bytes$" "$TMP/o5" && grep -q "sample/10BT/sub/extra.bin" "$TMP/o5" && [ ! -e "$TMP/dry" ]; then
    pass fetch_dry_run_lists_total
else fail fetch_dry_run_lists_total "$(cat "$TMP/o5" "$TMP/e5")"; fi

# the scheme of HF_ENDPOINT is case-insensitive (RFC 3986, as curl and huggingface_hub take it)
if HF_ENDPOINT="HTTP://${HF_ENDPOINT#http://}" "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --dry-run >"$TMP/o5u" 2>"$TMP/e5u" &&
   grep -q "^4 files, 1870002 bytes$" "$TMP/o5u"; then pass fetch_endpoint_scheme_any_case
else fail fetch_endpoint_scheme_any_case "$(cat "$TMP/o5u" "$TMP/e5u")"; fi

# --include and --max-files
"$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --include '*.parquet' --max-files 2 --dry-run >"$TMP/o6" 2>&1
if [ "$(grep -c parquet "$TMP/o6")" = 2 ] && grep -q "000_00000.parquet" "$TMP/o6" && grep -q "000_00001.parquet" "$TMP/o6" && ! grep -q extra.bin "$TMP/o6"; then
    pass fetch_include_and_max_files
else fail fetch_include_and_max_files "$(cat "$TMP/o6")"; fi
"$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --include 'sub/*' --dry-run >"$TMP/o7" 2>&1
grep -q "^1 files" "$TMP/o7" && grep -q extra.bin "$TMP/o7" && pass fetch_include_glob_with_folder || fail fetch_include_glob_with_folder "$(cat "$TMP/o7")"

# revision pinned to a commit, whole repo listing from the root
"$BLALM" fetch --repo $FETCH_REPO --path data --revision 4f1c0a7d2e9b8c6a5f3e1d0c9b8a7f6e5d4c3b2a --out "$TMP/o8d" -q 2>"$TMP/e8"
cmp -s "$repo/data/CC-MAIN-2024-10/train-00000-of-00001.parquet" "$TMP/o8d/data/CC-MAIN-2024-10/train-00000-of-00001.parquet" &&
    pass fetch_revision_commit || fail fetch_revision_commit "$(cat "$TMP/e8")"

# usage errors exit 2; --help exits 0
"$BLALM" fetch --help >"$TMP/h" 2>&1 && grep -q -- "--max-words" "$TMP/h" && grep -q jsonl.zst "$TMP/h" && pass fetch_help || fail fetch_help "$(head -5 "$TMP/h")"
"$BLALM" fetch --path x --out y >/dev/null 2>&1; [ $? = 2 ] && pass fetch_requires_repo || fail fetch_requires_repo "exit not 2"
"$BLALM" fetch --repo a/b --out y --bogus >/dev/null 2>&1; [ $? = 2 ] && pass fetch_unknown_flag || fail fetch_unknown_flag "exit not 2"
"$BLALM" fetch --repo 'a/../b' --out y >/dev/null 2>&1; [ $? = 2 ] && pass fetch_bad_repo_name || fail fetch_bad_repo_name "exit not 2"
"$BLALM" fetch --repo a/b --path '../x' --out y >/dev/null 2>&1; [ $? = 2 ] && pass fetch_bad_path_flag || fail fetch_bad_path_flag "exit not 2"
# --max-files 0 fetched nothing and then said "no files under 'sample/10BT'" of a
# folder holding 4: a usage error, before anything is listed
"$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-files 0 --out "$TMP/mf0" >/dev/null 2>"$TMP/emf0"; rc=$?
[ $rc = 2 ] && grep -q -- "--max-files wants a positive count" "$TMP/emf0" && [ ! -e "$TMP/mf0" ] &&
    pass fetch_max_files_zero_usage_error || fail fetch_max_files_zero_usage_error "rc=$rc $(head -3 "$TMP/emf0")"
# an HF_ENDPOINT that is not a URL (a file's line break kept) is refused
# before any request, named and shown printable (no raw line break)
trees=$(hub_stat tree)
HF_ENDPOINT="$HF_ENDPOINT"$'\n' "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/nl" >/dev/null 2>"$TMP/enl"; rc=$?
[ $rc = 2 ] && grep -q "^blalm: fetch: HF_ENDPOINT 'http://127.0.0.1:[0-9]*?' holds a control character (\\\\n)" "$TMP/enl" \
    && [ "$(grep -c "127.0.0.1" "$TMP/enl")" = 1 ] && [ ! -e "$TMP/nl" ] && [ "$(hub_stat tree)" = "$trees" ] \
    && pass fetch_bad_endpoint_refused || fail fetch_bad_endpoint_refused "rc=$rc $(head -3 "$TMP/enl")"
# a host outside ASCII: libcurl parses it but refuses the request (exit 1
# after the listing's request failed); a usage error before any request
HF_ENDPOINT="http://bücher.example:1" "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/idn" >/dev/null 2>"$TMP/eidn"; rc=$?
[ $rc = 2 ] && grep -q "HF_ENDPOINT .* has a host name that is not ASCII (write it in its xn-- form)" "$TMP/eidn" \
    && [ ! -e "$TMP/idn" ] && pass fetch_non_ascii_endpoint_usage_error || fail fetch_non_ascii_endpoint_usage_error "rc=$rc $(head -3 "$TMP/eidn")"

# real FineWeb parquet files (shared data), when present
if need_shared && [ -d "$SHARED_DATA/fineweb-legal" ]; then
    real=$TMP/realrepo; mkdir -p "$real/sample/10BT"
    for f in $(ls "$SHARED_DATA/fineweb-legal" | head -6); do ln -s "$SHARED_DATA/fineweb-legal/$f" "$real/sample/10BT/$f"; done
    start_hub "$real" --page-size 4
    if "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/realout" -q 2>"$TMP/e9"; then
        ok=1; for f in $(ls "$real/sample/10BT"); do cmp -s "$real/sample/10BT/$f" "$TMP/realout/sample/10BT/$f" || ok=0; done
        [ $ok = 1 ] && pass fetch_real_parquet_identical || fail fetch_real_parquet_identical "bytes differ"
    else fail fetch_real_parquet_identical "$(cat "$TMP/e9")"; fi
else
    skip fetch_real_parquet_identical "shared data (fineweb-legal) not found"
fi

# --max-words on the real pyarrow files (one row group each): the first
# documents of the first file, checked against `blalm cat` of the original
if need_shared && [ -d "$SHARED_DATA/fineweb-legal" ]; then
    start_hub "$real" --page-size 4
    first=$(ls "$real/sample/10BT" | head -1); stem=${first%.parquet}
    if "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 3000 --out "$TMP/mw/fineweb-edu" -q 2>"$TMP/e10"; then
        ours=$TMP/mw/fineweb-edu/sample/10BT/$stem-00000.jsonl.zst
        "$BLALM" cat "$ours" >"$TMP/mw.ours" 2>/dev/null
        k=$(wc -l <"$TMP/mw.ours")
        "$BLALM" cat "$real/sample/10BT/$first" 2>/dev/null | head -n "$k" >"$TMP/mw.want"
        # id, text and metadata must match; "source" is compared apart (ours: the --out folder)
        keys() { "$PY" -c 'import json,sys
for l in open(sys.argv[1], encoding="utf-8", errors="replace"):
    d = json.loads(l); print(json.dumps([d["id"], d["text"], d["metadata"]]))' "$1"; }
        keys "$TMP/mw.ours" >"$TMP/mw.ours.k"; keys "$TMP/mw.want" >"$TMP/mw.want.k"
        w=$("$PY" -c 'import json,sys; print(sum(len(json.loads(l)["text"].split()) for l in open(sys.argv[1])))' "$TMP/mw.ours")
        src_ok=$("$PY" -c 'import json,sys; print(all(json.loads(l)["source"] == "fineweb-edu" for l in open(sys.argv[1])))' "$TMP/mw.ours")
        if [ "$k" -ge 1 ] && cmp -s "$TMP/mw.ours.k" "$TMP/mw.want.k" && [ "$w" -ge 3000 ] && [ "$src_ok" = True ] && [ "$(ls "$TMP/mw/fineweb-edu/sample/10BT" | grep -c jsonl.zst)" = 1 ]; then
            pass fetch_max_words_real_parquet
        else fail fetch_max_words_real_parquet "k=$k words=$w source_ok=$src_ok; $(diff "$TMP/mw.ours.k" "$TMP/mw.want.k" | head -c 300)"; fi
    else fail fetch_max_words_real_parquet "$(cat "$TMP/e10")"; fi
    # a README before the parquet files in the listing is skipped, not read as parquet
    readme=$TMP/readmerepo; mkdir -p "$readme/sample/10BT"
    ln -s "$real/sample/10BT/$first" "$readme/sample/10BT/$first"
    printf '# FineWeb\n' >"$readme/sample/10BT/README.md"
    start_hub "$readme"
    if "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 3000 --out "$TMP/mwr/fineweb-edu" 2>"$TMP/e12" &&
       grep -q "README.md: skipped, not a .parquet file" "$TMP/e12" &&
       cmp -s <(zstd -dc "$TMP/mw/fineweb-edu/sample/10BT/$stem-00000.jsonl.zst") <(zstd -dc "$TMP/mwr/fineweb-edu/sample/10BT/$stem-00000.jsonl.zst") &&
       [ ! -e "$TMP/mwr/fineweb-edu/sample/10BT/README.md" ]; then
        pass fetch_max_words_skips_non_parquet
    else fail fetch_max_words_skips_non_parquet "$(tail -c 400 "$TMP/e12")"; fi
    # the same under injected faults: Range reads retried and resumed
    start_hub "$real" --fault cut-once --fault 500-once --fault 429-once
    if "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 3000 --out "$TMP/mwf/fineweb-edu" -q 2>"$TMP/e11" &&
       cmp -s <(zstd -dc "$TMP/mw/fineweb-edu/sample/10BT/$stem-00000.jsonl.zst") <(zstd -dc "$TMP/mwf/fineweb-edu/sample/10BT/$stem-00000.jsonl.zst"); then
        pass fetch_max_words_under_faults
    else fail fetch_max_words_under_faults "$(cat "$TMP/e11")"; fi
    # the whole files fetched into a --max-words run's folder: its documents
    # of the first file, left beside the whole file, were read twice by
    # every command reading the folder; they are removed once it is verified
    start_hub "$real"
    cp -a "$TMP/mw" "$TMP/mww"
    mwdir=$TMP/mww/fineweb-edu/sample/10BT
    if "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/mww/fineweb-edu" 2>"$TMP/e13" &&
       [ ! -e "$mwdir/$stem-00000.jsonl.zst" ] && [ -z "$(find "$TMP/mww" -name '*.jsonl.zst')" ] &&
       grep -q "removed .*$stem-00000.jsonl.zst (an earlier --max-words run's first documents of sample/10BT/$first" "$TMP/e13" &&
       cmp -s "$real/sample/10BT/$first" "$mwdir/$first" && grep -q '"kind":"file"' "$mwdir/$first.meta"; then
        pass fetch_whole_after_max_words_drops_its_documents
    else fail fetch_whole_after_max_words_drops_its_documents "$(tail -c 400 "$TMP/e13"); $(ls "$mwdir")"; fi
    # the state a whole fetch killed after the first file's "file" sidecar
    # left, when the documents were removed only after every file: the whole
    # file, its "file" sidecar and the documents beside it; the next run took
    # the file as verified and kept them for good (read twice)
    cp "$TMP/mw/fineweb-edu/sample/10BT/$stem-00000.jsonl.zst" "$mwdir/"
    "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/mww/fineweb-edu" 2>"$TMP/e13b"; rc=$?
    [ $rc = 0 ] && [ -z "$(find "$TMP/mww" -name '*.jsonl.zst')" ] && grep -q "already verified" "$TMP/e13b" &&
        grep -q "removed .*$stem-00000.jsonl.zst (an earlier --max-words run's first documents" "$TMP/e13b" &&
        pass fetch_whole_removes_documents_beside_verified_file ||
        fail fetch_whole_removes_documents_beside_verified_file "rc $rc; $(tail -c 400 "$TMP/e13b"); $(ls "$mwdir")"
    # killed once the first file's sidecar says "file" (a slow peer, one
    # file at a time): its documents are gone by then, and stay gone
    start_hub "$real" --rate 200000
    cp -a "$TMP/mw" "$TMP/mwk"; kdir=$TMP/mwk/fineweb-edu/sample/10BT
    trap '[ -n "$kpid" ] && kill -9 $kpid 2>/dev/null; stop_hub; rm -rf "$TMP"' EXIT
    "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --jobs 1 --out "$TMP/mwk/fineweb-edu" -q 2>"$TMP/e13k" &
    kpid=$!
    for i in $(seq 3000); do grep -qs '"kind":"file"' "$kdir/$first.meta" && break; sleep 0.02; done
    kill -9 $kpid 2>/dev/null; wait $kpid 2>/dev/null; kpid=
    docs_at_kill=$(ls "$kdir" | grep -c 'jsonl\.zst$'); whole_at_kill=$(ls "$kdir" | grep -c '\.parquet$')
    start_hub "$real"
    "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/mwk/fineweb-edu" 2>"$TMP/e13l"; rc=$?
    [ "$docs_at_kill" = 0 ] && [ "$whole_at_kill" -lt "$(ls "$real/sample/10BT" | grep -c '\.parquet$')" ] && [ $rc = 0 ] &&
        [ -z "$(find "$TMP/mwk" -name '*.jsonl.zst')" ] && cmp -s "$real/sample/10BT/$first" "$kdir/$first" &&
        pass fetch_whole_killed_leaves_no_documents_beside ||
        fail fetch_whole_killed_leaves_no_documents_beside "at the kill: $docs_at_kill documents, $whole_at_kill whole files; rc $rc; $(tail -c 300 "$TMP/e13l"); $(ls "$kdir")"
    # and the reverse: --max-words into a folder holding the whole files is
    # refused before any request for a file (it wrote the first documents
    # beside the whole file, and its sidecar over the whole file's)
    metas=$(cat "$mwdir"/*.meta | md5sum); ranges=$(hub_stat ranges); heads=$(hub_stat head)
    "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 3000 --out "$TMP/mww/fineweb-edu" >"$TMP/o14" 2>"$TMP/e14"; rc=$?
    [ $rc = 1 ] && grep -q "$mwdir/$first is here whole (a fetch without --max-words downloaded it).*read them twice; nothing was fetched" "$TMP/e14" &&
        [ -z "$(find "$TMP/mww" -name '*.jsonl.zst' -o -name '*.part')" ] && [ "$(cat "$mwdir"/*.meta | md5sum)" = "$metas" ] &&
        [ "$(hub_stat ranges)" = "$ranges" ] && [ "$(hub_stat head)" = "$heads" ] &&
        pass fetch_max_words_refuses_whole_files_beside ||
        fail fetch_max_words_refuses_whole_files_beside "rc $rc; $(tail -c 400 "$TMP/e14"); $(ls "$mwdir")"
    # --dry-run --max-words: the listing's total is not what is fetched; the
    # footers' documents, text bytes and estimated words are printed (the
    # words within 1% of Python's count for all files, 5% for one), footers read in listing order only
    # until the budget, as the fetch reads them (3000 words: the first file's,
    # two range requests); a budget past them all reads every footer. The
    # listing is whole either way, and nothing is written to --out.
    n=$(ls "$real/sample/10BT" | grep -c '\.parquet$')
    count_words() { "$PY" -c 'import json,sys; print(sum(len(json.loads(l)["text"].split()) for l in sys.stdin))'; }
    words1=$("$BLALM" cat "$real/sample/10BT/$first" 2>/dev/null | count_words)
    words=$(for f in "$real"/sample/10BT/*.parquet; do "$BLALM" cat "$f" 2>/dev/null; done | count_words)
    ranges=$(hub_stat ranges)
    "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 3000 --dry-run --out "$TMP/mw-dry" >"$TMP/o15" 2>"$TMP/e15"; rc=$?
    ranges=$(( $(hub_stat ranges) - ranges ))
    est=$(sed -n "s/^--max-words 3000: not those bytes, only each file's footer and the row groups needed; 1 of the $n parquet footers hold 100 documents, [0-9]* bytes of text, about \([0-9]*\) words (6.1 bytes a word): enough, the other $((n - 1)) not read$/\1/p" "$TMP/o15")
    [ $rc = 0 ] && [ -n "$est" ] && "$PY" -c "import sys; sys.exit(abs($est - $words1) > $words1 / 20)" &&
        [ "$ranges" = 2 ] && [ "$(grep -c '\.parquet$' "$TMP/o15")" = "$n" ] && [ ! -e "$TMP/mw-dry" ] &&
        pass fetch_dry_run_max_words_reads_footers_until_budget ||
        fail fetch_dry_run_max_words_reads_footers_until_budget "rc $rc est '$est' words $words1 ranges $ranges; $(ls "$TMP/mw-dry" 2>&1); $(cat "$TMP/o15" "$TMP/e15" | tail -c 400)"
    "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 100000000 --dry-run --out "$TMP/mw-dry" >"$TMP/o15b" 2>"$TMP/e15b"; rc=$?
    est=$(sed -n "s/^--max-words 100000000: not those bytes, only each file's footer and the row groups needed; the $n parquet footers hold $((n * 100)) documents, [0-9]* bytes of text, about \([0-9]*\) words (6.1 bytes a word): fewer than asked for$/\1/p" "$TMP/o15b")
    [ $rc = 0 ] && [ -n "$est" ] && "$PY" -c "import sys; sys.exit(abs($est - $words) > $words / 100)" &&
        [ ! -e "$TMP/mw-dry" ] && pass fetch_dry_run_max_words_counts_footers ||
        fail fetch_dry_run_max_words_counts_footers "rc $rc est '$est' words $words; $(cat "$TMP/o15b" "$TMP/e15b" | tail -c 400)"
    # a .parquet file that is not parquet: the plan lists every file and
    # notes that footer (not counted) instead of failing part way
    bad=$TMP/badrepo; mkdir -p "$bad/sample/10BT"
    for f in $(ls "$real/sample/10BT"); do ln -s "$real/sample/10BT/$f" "$bad/sample/10BT/$f"; done
    head -c 300001 /dev/urandom >"$bad/sample/10BT/batch_000000.parquet"
    start_hub "$bad"
    "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 3000 --dry-run >"$TMP/o15c" 2>"$TMP/e15c"; rc=$?
    [ $rc = 0 ] && [ "$(grep -c '\.parquet$' "$TMP/o15c")" = $((n + 1)) ] &&
        grep -q "^fetch: sample/10BT/batch_000000.parquet: byte 299997: expected the parquet magic PAR1 .*(its footer is not counted; the fetch would stop with this error when it reaches the file)$" "$TMP/e15c" &&
        grep -q "^--max-words 3000: .*; 1 of the $((n + 1)) parquet footers hold 100 documents, .*: enough, the other $((n - 1)) not read; 1 could not be read (noted on stderr)$" "$TMP/o15c" &&
        pass fetch_dry_run_max_words_notes_unreadable_footer ||
        fail fetch_dry_run_max_words_notes_unreadable_footer "rc $rc; $(cat "$TMP/o15c" "$TMP/e15c" | tail -c 600)"
    start_hub "$real"
    # the sparse copy a killed --max-words run leaves (.X.parquet.sparse.part,
    # the remote file's size; never resumed) is removed by the next run, with
    # or without --max-words, also for a file that run does not reach
    last=$(ls "$real/sample/10BT" | grep '\.parquet$' | tail -1)
    sp=$TMP/mws/fineweb-edu/sample/10BT/.$last.sparse.part
    mkdir -p "${sp%/*}"; truncate -s 400000 "$sp"
    "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 3000 --out "$TMP/mws/fineweb-edu" 2>"$TMP/e16"; rc=$?
    truncate -s 400000 "$TMP/mws/fineweb-edu/sample/10BT/.$first.sparse.part"
    "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/mws2" -q && cp -a "$TMP/mws/fineweb-edu/sample/10BT/.$first.sparse.part" "$TMP/mws2/sample/10BT/" &&
        "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/mws2" 2>"$TMP/e17"; rc2=$?
    [ $rc = 0 ] && [ ! -e "$sp" ] && grep -q "removed .*/\.$last\.sparse\.part (a killed --max-words run's partial copy of sample/10BT/$last)" "$TMP/e16" &&
        [ $rc2 = 0 ] && [ -z "$(find "$TMP/mws2" -name '*.sparse.part')" ] && grep -q "removed .*/\.$first\.sparse\.part" "$TMP/e17" &&
        pass fetch_removes_killed_max_words_sparse_copies ||
        fail fetch_removes_killed_max_words_sparse_copies "rc $rc $rc2; $(tail -c 300 "$TMP/e16"); $(tail -c 300 "$TMP/e17" 2>/dev/null); $(find "$TMP/mws" "$TMP/mws2" -name '*.sparse.part')"
    # a live --max-words run's sparse copy (it holds flock on it; here a
    # Python process does) is not a killed run's: another --max-words fetch
    # into the folder stops on it naming it, a whole fetch leaves it and
    # fails that file naming it (it would put the whole file beside that
    # run's first documents: tests/e2e/fetch_concurrent_words.sh), and once
    # the lock is gone the next fetch removes it
    lk=$TMP/mwl/fineweb-edu/sample/10BT/.$first.sparse.part
    mkdir -p "${lk%/*}"; truncate -s 400000 "$lk"
    trap '[ -n "$kpid" ] && kill -9 $kpid 2>/dev/null; [ -n "$lpid" ] && kill -9 $lpid 2>/dev/null; stop_hub; rm -rf "$TMP"' EXIT
    "$PY" -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+"); fcntl.flock(f, fcntl.LOCK_EX); open(sys.argv[2], "w").close(); time.sleep(120)' "$lk" "$TMP/locked" &
    lpid=$!
    for i in $(seq 200); do [ -e "$TMP/locked" ] && break; sleep 0.05; done
    "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --max-words 3000 --out "$TMP/mwl/fineweb-edu" 2>"$TMP/e18"; rc=$?
    "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/mwl/fineweb-edu" 2>"$TMP/e19"; rc2=$?
    size_locked=$(stat -c %s "$lk" 2>/dev/null)
    parts2=$(find "$TMP/mwl" -name ".$first.*.part" ! -name '*.sparse.part')
    kill -9 $lpid 2>/dev/null; wait $lpid 2>/dev/null; lpid=
    "$BLALM" fetch --repo $FETCH_REPO --path sample/10BT --out "$TMP/mwl/fineweb-edu" 2>"$TMP/e20"; rc3=$?
    [ $rc = 1 ] && grep -q "$lk: another --max-words fetch into this folder is reading this file now" "$TMP/e18" &&
        [ -z "$(find "$TMP/mwl" -name '*.jsonl.zst')" ] && [ $rc2 = 1 ] &&
        grep -q "sample/10BT/$first: a blalm fetch --max-words is reading it into $TMP/mwl/fineweb-edu now (it holds the lock on $lk)" "$TMP/e19" &&
        ! grep -q 'removed .*sparse' "$TMP/e19" && [ -z "$parts2" ] &&
        [ "$size_locked" = 400000 ] && [ $rc3 = 0 ] && [ ! -e "$lk" ] && grep -q "removed $lk (a killed --max-words run's" "$TMP/e20" &&
        pass fetch_leaves_live_max_words_sparse_copy ||
        fail fetch_leaves_live_max_words_sparse_copy "rc $rc $rc2 $rc3, locked copy '$size_locked' bytes; $(tail -c 300 "$TMP/e18"); $(tail -c 200 "$TMP/e19"); $(tail -c 200 "$TMP/e20")"
else
    skip fetch_max_words_real_parquet "shared data (fineweb-legal) not found"
    skip fetch_max_words_under_faults "shared data (fineweb-legal) not found"
    skip fetch_max_words_skips_non_parquet "shared data (fineweb-legal) not found"
    skip fetch_whole_after_max_words_drops_its_documents "shared data (fineweb-legal) not found"
    skip fetch_whole_removes_documents_beside_verified_file "shared data (fineweb-legal) not found"
    skip fetch_whole_killed_leaves_no_documents_beside "shared data (fineweb-legal) not found"
    skip fetch_max_words_refuses_whole_files_beside "shared data (fineweb-legal) not found"
    skip fetch_dry_run_max_words_reads_footers_until_budget "shared data (fineweb-legal) not found"
    skip fetch_dry_run_max_words_counts_footers "shared data (fineweb-legal) not found"
    skip fetch_dry_run_max_words_notes_unreadable_footer "shared data (fineweb-legal) not found"
    skip fetch_removes_killed_max_words_sparse_copies "shared data (fineweb-legal) not found"
    skip fetch_leaves_live_max_words_sparse_copy "shared data (fineweb-legal) not found"
fi
