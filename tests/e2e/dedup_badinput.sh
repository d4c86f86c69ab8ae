#!/usr/bin/env bash
# Bad input: truncated or foreign-configuration signature and bucket files are
# refused (not merged), bad documents and bad flags fail clearly, and nothing
# half-written is left visible.
source "$(dirname "$0")/../lib.sh"
mk_docs() { # dir
    mkdir -p "$1/docs/src"
    local i
    for f in a b; do
        for i in $(seq 1 30); do
            printf '{"id":"%s%d","text":"document %s number %d says the quick brown fox jumps over the lazy dog again and again","metadata":{"url":"https://x.example/%s%d","score":%d}}\n' $f $i $f $((i % 7)) $f $i $i
        done > "$1/docs/src/$f.jsonl"
    done
}
expect_fail() { # name, rc wanted, message part, args...
    local n=$1 want=$2 msg=$3; shift 3
    "$BLALM" dedup "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
    if [ $rc -ne "$want" ]; then fail "$n" "exit $rc, wanted $want: $(head -c 300 "$TMP/err")"
    elif ! grep -q -- "$msg" "$TMP/err"; then fail "$n" "message lacks '$msg': $(head -c 300 "$TMP/err")"
    else pass "$n"; fi
}
W="$TMP/w"; mk_docs "$W"
check dedup_bad_baseline "$BLALM" dedup --work "$W" --quiet
SIG="$W/state/dedup/signatures/src/a.jsonl.sig"
BAND="$W/state/dedup/buckets/band-03.pairs"
[ -f "$SIG" ] && [ -f "$BAND" ] || fail dedup_bad_layout "signature or bucket file missing"

# signature file from another configuration (seed, band count)
expect_fail dedup_bad_sig_other_seed 1 "another configuration: seed 1 in the file, 2 in this run" \
    --work "$W" --stage buckets --seed 2 --quiet
expect_fail dedup_bad_sig_other_bands 1 "another configuration: bands 14 in the file, 20 in this run" \
    --work "$W" --stage cluster --bands 20 --quiet
W2="$TMP/w2"; mk_docs "$W2"
"$BLALM" dedup --work "$W2" --seed 7 --quiet
cp "$W2/state/dedup/signatures/src/a.jsonl.sig" "$SIG"
rm -rf "$W/state/dedup/buckets"
expect_fail dedup_bad_sig_foreign_file 1 "a.jsonl.sig: signature file from another configuration: seed 7" \
    --work "$W" --stage buckets --quiet
[ -z "$(ls "$W/state/dedup/buckets" 2>/dev/null)" ] && pass dedup_bad_sig_nothing_written || fail dedup_bad_sig_nothing_written "bucket files appeared"
# a signature file of an older dedup version (other rules): refused, saying how to redo it
rm -rf "$W"; mk_docs "$W"; "$BLALM" dedup --work "$W" --quiet
printf '\001\000\000\000' | dd of="$SIG" bs=1 seek=8 conv=notrunc 2>/dev/null
expect_fail dedup_bad_sig_old_version 1 "a.jsonl.sig: dedup file version 1, this blalm writes version 4 .*remove WORK/state/dedup to redo it" \
    --work "$W" --quiet
# truncated signature file
"$BLALM" dedup --work "$W2" --seed 7 --quiet
rm -rf "$W"; mk_docs "$W"; "$BLALM" dedup --work "$W" --quiet
truncate -s -50 "$SIG"
rm -f "$BAND"
expect_fail dedup_bad_sig_truncated 1 "a.jsonl.sig: truncated or corrupt" --work "$W" --stage buckets --quiet
[ ! -f "$BAND" ] && pass dedup_bad_sig_truncated_no_output || fail dedup_bad_sig_truncated_no_output "bucket file written"
truncate -s 10 "$SIG"
expect_fail dedup_bad_sig_header_truncated 1 "truncated" --work "$W" --stage buckets --quiet
printf 'garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage' > "$SIG"
expect_fail dedup_bad_sig_magic 1 "not a blalm dedup file" --work "$W" --stage cluster --quiet

# bucket files: truncated, from another configuration
rm -rf "$W"; mk_docs "$W"; "$BLALM" dedup --work "$W" --quiet
rm -f "$W/state/dedup/clusters.bin"
truncate -s -4 "$BAND"
expect_fail dedup_bad_bucket_truncated 1 "band-03.pairs: truncated or corrupt" --work "$W" --stage cluster --quiet
[ ! -f "$W/state/dedup/clusters.bin" ] && pass dedup_bad_bucket_no_output || fail dedup_bad_bucket_no_output "clusters.bin written"
rm -rf "$W"; mk_docs "$W"; "$BLALM" dedup --work "$W" --quiet
cp "$W2/state/dedup/buckets/band-03.pairs" "$BAND"
rm -f "$W/state/dedup/clusters.bin"
expect_fail dedup_bad_bucket_foreign 1 "band-03.pairs: bucket file from another configuration: seed 7" \
    --work "$W" --stage cluster --quiet
cp "$W/state/dedup/buckets/band-04.pairs" "$BAND"
expect_fail dedup_bad_bucket_other_band 1 "another band" --work "$W" --stage cluster --quiet

# stages out of order
W3="$TMP/w3"; mk_docs "$W3"
expect_fail dedup_bad_no_signatures 1 "run the signatures stage" --work "$W3" --stage buckets --quiet
"$BLALM" dedup --work "$W3" --stage signatures --quiet
expect_fail dedup_bad_no_buckets 1 "run the buckets stage" --work "$W3" --stage cluster --quiet
expect_fail dedup_bad_no_clusters 1 "run the cluster stage" --work "$W3" --stage attributes --quiet
expect_fail dedup_bad_verify_needs_shingles 1 "shingle" --work "$W3" --stage cluster --verify-jaccard 0.8 --quiet
# a document file edited after its signatures were made (same size, same
# number of documents): the attributes stage refuses it, naming the file,
# rather than writing the old clusters against the new rows
W3b="$TMP/w3b"; mk_docs "$W3b"
for s in signatures buckets cluster; do "$BLALM" dedup --work "$W3b" --stage $s --quiet; done
sed -i '3s/quick/quack/' "$W3b/docs/src/b.jsonl"
expect_fail dedup_bad_docs_changed_since_signatures 1 "src/b.jsonl: changed since its signatures were made" --work "$W3b" --stage attributes --quiet
[ ! -f "$W3b/attributes/dedup/src/b.jsonl.zst" ] && pass dedup_bad_docs_changed_no_attrs || fail dedup_bad_docs_changed_no_attrs "attributes written for the edited file"
# a whole run redoes that file's signatures and everything after
check dedup_bad_docs_changed_rerun "$BLALM" dedup --work "$W3b" --quiet

# bad documents: clear error naming file and line, no signature for that file
W4="$TMP/w4"; mk_docs "$W4"
printf '{"id":"x","text":"fine"}\n{"id":"y","text": nope}\n' > "$W4/docs/src/c.jsonl"
expect_fail dedup_bad_json_line 1 "c.jsonl:2" --work "$W4" --quiet
[ ! -f "$W4/state/dedup/signatures/src/c.jsonl.sig" ] && pass dedup_bad_json_no_sig || fail dedup_bad_json_no_sig "signature written"
[ -z "$(find "$W4" -name '*.tmp.*')" ] && pass dedup_bad_json_no_temp || fail dedup_bad_json_no_temp "temp file left"
printf '\x28\xb5\x2f\xfd garbage' > "$W4/docs/src/c.jsonl"
expect_fail dedup_bad_zstd 1 "c.jsonl" --work "$W4" --quiet
# a truncated .jsonl.zst: the message names the file and the line it ends in
rm -f "$W4/docs/src/c.jsonl"
for i in $(seq 1 3000); do printf '{"id":"t%d","text":"row %d of a file cut short: %s"}\n' $i $i "$(printf '%*s' $((i % 97)) '' | tr ' ' x)"; done \
    | zstd -q -1 -o "$TMP/t.jsonl.zst"
head -c $(( $(wc -c <"$TMP/t.jsonl.zst") * 2 / 3 )) "$TMP/t.jsonl.zst" >"$W4/docs/src/t.jsonl.zst"
expect_fail dedup_bad_zstd_truncated_line 1 "src/t.jsonl.zst: truncated zstd frame (stream ends at decompressed byte [0-9]*, in line [0-9]" --work "$W4" --quiet
rm -f "$W4/docs/src/t.jsonl.zst"
expect_fail dedup_bad_missing_docs 1 "empty/docs: No such file" --work "$TMP/empty" --quiet
mkdir -p "$TMP/empty/docs"
expect_fail dedup_bad_no_docs 1 "no document files" --work "$TMP/empty" --quiet
# files of other names (dolma's .json.gz) are named in the refusal
mkdir -p "$TMP/empty/docs/s"; printf '{"id":"a","text":"x"}\n' | gzip >"$TMP/empty/docs/s/part-0000.json.gz"
expect_fail dedup_no_docs_names_skipped 1 "not document file names, so skipped: $TMP/empty/docs/s/part-0000.json.gz" --work "$TMP/empty" --quiet

# flags
expect_fail dedup_bad_flag 2 "unknown option" --work "$W" --bogus
expect_fail dedup_bad_shard 2 "expected I/N" --work "$W" --stage buckets --shard 3/2
expect_fail dedup_bad_shard_needs_stage 2 "add --stage" --work "$W" --shard 0/2
expect_fail dedup_bad_stage 2 "expected signatures" --work "$W" --stage nope
expect_fail dedup_bad_norm 2 "normalisation 'bogus' unknown" --work "$W" --normalize lower,bogus
expect_fail dedup_bad_verify 2 "verify-jaccard" --work "$W" --verify-jaccard 1.5
# --shingle's range is 1-64 (the message said 1-1024, bands' and rows' range)
expect_fail dedup_bad_shingle_big 2 "shingle '2000': expected an integer from 1 to 64" --work "$W" --shingle 2000
expect_fail dedup_bad_shingle_zero 2 "shingle '0': expected an integer from 1 to 64" --work "$W" --shingle 0
expect_fail dedup_bad_shingle_65 2 "shingle '65': expected an integer from 1 to 64" --work "$W" --shingle 65
printf '{"shingle": 65}\n' > "$TMP/c_sh.json"
expect_fail dedup_bad_shingle_config 1 "shingle" --work "$W" --config "$TMP/c_sh.json"
expect_fail dedup_bad_rows_big 2 "rows '2000': expected an integer from 1 to 1024" --work "$W" --rows 2000
expect_fail dedup_bad_no_work 2 "--work WORK is required"
"$BLALM" dedup --help | grep -q "usage: blalm dedup" && pass dedup_help || fail dedup_help "no usage"

# config file: unknown keys named; flags override it; a changed config is refused
printf '{"bands": 14, "bogus": 1}\n' > "$TMP/c1.json"
expect_fail dedup_bad_config_key 1 'unknown key "bogus"' --work "$W" --config "$TMP/c1.json"
printf '{"rows": "eight"}\n' > "$TMP/c2.json"
expect_fail dedup_bad_config_type 1 'rows' --work "$W" --config "$TMP/c2.json"
W5="$TMP/w5"; mk_docs "$W5"
printf '{"bands": 20, "rows": 5, "keep_max": "score"}\n' > "$TMP/c3.json"
check dedup_config_run "$BLALM" dedup --work "$W5" --config "$TMP/c3.json" --quiet
grep -q '"bands":20,"rows":5' "$W5/stats/dedup.json" && pass dedup_config_applied || fail dedup_config_applied "stats: $(head -c 200 "$W5/stats/dedup.json")"
expect_fail dedup_config_flag_overrides 1 "bands 20 in the file, 14 in this run" --work "$W5" --config "$TMP/c3.json" --bands 14 --quiet
# a run config: its "dedup" member is the config (score's --config took its
# member; dedup's refused the run config's other keys)
W6="$TMP/w6"; mk_docs "$W6"
printf '{"sources": [], "tag": {"taggers": ["c4"]}, "dedup": {"bands": 20, "rows": 5, "threads": 2}}\n' > "$TMP/run.json"
check dedup_config_run_config "$BLALM" dedup --work "$W6" --config "$TMP/run.json" --quiet
grep -q '"bands":20,"rows":5' "$W6/stats/dedup.json" && pass dedup_config_run_config_applied || fail dedup_config_run_config_applied "stats: $(head -c 200 "$W6/stats/dedup.json" 2>&1)"
printf '{"sources": [], "dedup": {"bandz": 20}}\n' > "$TMP/run2.json"
expect_fail dedup_config_run_config_unknown_key 1 'run2.json: dedup: unknown key "bandz"' --work "$W6" --config "$TMP/run2.json" --quiet
# --seed: the range --config allows (integers a JSON number holds exactly), never wrapped
# (cli_parse_seed, as score and distill read theirs: no suffix, sign or fraction)
for s in -1 99999999999999999999999 9007199254740993 9007199254740992 ' 5' 1e3 1k 5.0 +5; do
    expect_fail "dedup_seed_refused_'$s'" 2 "--seed '$s': expected a whole number from 0 to 9007199254740991" --work "$W" --seed "$s" --quiet
done
# the same in --config: 9007199254740993 reads as the double 2^53, so 2^53
# is out too (it was taken, and 2^53 + 1 ran as 2^53)
for s in 9007199254740993 9007199254740992; do
    printf '{"seed": %s}\n' "$s" > "$TMP/seed.json"
    expect_fail "dedup_config_seed_refused_$s" 1 'seed.json: "seed": expected an integer in 0..9007199254740991' \
        --work "$W" --config "$TMP/seed.json" --quiet
done
