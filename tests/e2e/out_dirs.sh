#!/usr/bin/env bash
# Every command that writes under a folder the user names (WORK, --out, the
# folder of --out FILE) checks it first: a regular file or a dangling
# symbolic link there is refused with exit 1 and a message naming the path
# as given, before anything is read or written. The messages named a marker
# or temporary file under it ("removing afile/state/tag/...: Not a
# directory", "dangling/.tokenizer.json.tmp.N: No such file or directory").
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TMP" || exit 1
line_corpus c 1 20
mkdir -p w/docs/src
printf '{"id":"a","text":"The cat sat on the mat. It was a sunny day."}\n' >w/docs/src/a.jsonl
"$BLALM" tokenizer train --corpus c --out tok --vocab 300 -q 2>err || { fail out_dirs_setup "$(cat err)"; exit 0; }
MODEL=$root/configs/model-tiny.json
cat >job.json <<JSON
{"sources": [{"name": "web", "hub": {"repo": "HuggingFaceFW/fineweb-edu", "path": "sample/10BT"}}],
 "corpora": {"corpora": [{"name": "small", "budget": 20000, "dev_words": 2000}]},
 "tokenizer": {"vocab_size": 320}, "model": "$MODEL", "train": {"corpus": "small", "max_steps": 2}}
JSON
: >afile
ln -s "$TMP/nowhere/x" dangling
export HF_ENDPOINT=http://127.0.0.1:9 BLALM_DELAY_SCALE=0 OPENAI_BASE_URL=http://127.0.0.1:9/v1
unset OPENAI_API_KEY HF_TOKEN

# refused NAME PATH CMD...: exit 1, the message for PATH, afile still empty,
# the link still dangling
refused() {
    local name=$1 p=$2; shift 2
    local want="$p exists and is not a directory"
    [ "$p" = dangling ] && want="dangling is a dangling symbolic link to $TMP/nowhere/x"
    "$@" -q >out 2>err; local rc=$?
    if [ $rc = 1 ] && grep -qF -- "$want" err && [ ! -s afile ] && [ ! -e nowhere ] && [ -L dangling ]; then pass "$name"
    else fail "$name" "exit $rc: $(head -c 300 err)"; fi
}
for p in afile dangling; do
    refused "out_dirs_tokenize_$p" $p "$BLALM" tokenize --corpus c --tokenizer tok/tokenizer.json --out $p
    refused "out_dirs_tokenizer_train_$p" $p "$BLALM" tokenizer train --corpus c --out $p --vocab 300
    refused "out_dirs_export_$p" $p "$BLALM" export --run norun --out $p
    refused "out_dirs_train_$p" $p "$BLALM" train --corpus c --model "$MODEL" --out $p --max-steps 1
    refused "out_dirs_shard_$p" $p "$BLALM" shard --out $p w/docs/src/a.jsonl
    refused "out_dirs_fetch_$p" $p "$BLALM" fetch --repo a/b --path p --out $p
    refused "out_dirs_assemble_work_$p" $p "$BLALM" assemble --work $p --out corp
    refused "out_dirs_assemble_out_$p" $p "$BLALM" assemble --work w --out $p
    refused "out_dirs_tag_work_$p" $p "$BLALM" tag --work $p --docs w/docs --taggers c4
    refused "out_dirs_tag_out_$p" $p "$BLALM" tag --work w --out $p --taggers c4
    refused "out_dirs_dedup_work_$p" $p "$BLALM" dedup --work $p --docs w/docs
    refused "out_dirs_dedup_out_$p" $p "$BLALM" dedup --work w --out $p
    refused "out_dirs_score_work_$p" $p "$BLALM" score --work $p --docs w/docs --model m
    refused "out_dirs_score_out_$p" $p "$BLALM" score --work w --out $p --model m
    refused "out_dirs_distill_score_$p" $p "$BLALM" distill score --work $p --docs w/docs --model nomodel
    refused "out_dirs_distill_train_$p" $p "$BLALM" distill train --work w --labels edu_llm.score --out $p/m.distill
    refused "out_dirs_ablate_$p" $p "$BLALM" ablate --corpus c --variants mlstm --optimizers adamw --seeds 1 --tokens 1000 --out $p
    refused "out_dirs_modelcheck_$p" $p "$BLALM" modelcheck --model "$MODEL" --out $p
    refused "out_dirs_run_$p" $p "$BLALM" run job.json --work $p --dry-run
    refused "out_dirs_report_$p" $p "$BLALM" report --work w --out $p/r.html
    refused "out_dirs_eval_$p" $p "$BLALM" eval --run norun --data nodata --out $p/e.json
    refused "out_dirs_audit_export_$p" $p "$BLALM" audit --work w --export $p/x.jsonl
done
# the file itself (--out FILE, --export FILE): a symbolic link or a FIFO there
# is refused before anything is read (a rename over it replaced the link, or
# as root a device node such as /dev/stdout), and left as it was
# (named .jsonl: audit --export wants a document file's name)
ln -s "$TMP/nowhere/f" flink.jsonl
mkfifo fifo.jsonl
for p in flink.jsonl fifo.jsonl; do
    want="$p exists and is not a regular file (a symbolic link to $TMP/nowhere/f); refusing to replace it"
    [ $p = fifo.jsonl ] && want="fifo.jsonl exists and is not a regular file (a FIFO); refusing to replace it"
    for c in "report --work w --out $p" "eval --run norun --data nodata --out $p" "audit --work w --export $p" \
             "distill train --work w --labels edu_llm.score --out $p"; do
        n=out_file_$(echo "$c" | awk '{print ($1 == "distill") ? $1 "_" $2 : $1}')_${p%.jsonl}
        $BLALM $c -q >out 2>err; rc=$?
        if [ $rc = 1 ] && grep -qF -- "$want" err && [ -L flink.jsonl ] && [ ! -e nowhere ] && [ -p fifo.jsonl ]; then pass "$n"
        else fail "$n" "exit $rc: $(head -c 300 err)"; fi
    done
done
# --out FILE through a folder that is not there and out again by '..', and
# --out FILE ending in '/': refused before anything is made (distill train
# made w/docs/src/nodir, inside the tree it reads, to write w/x.jsonl; report
# made the folder x.jsonl, then refused it as a folder)
for c in "report --work w --out" "eval --run norun --data nodata --out" "audit --work w --export" \
         "distill train --work w --labels edu_llm.score --out"; do
    n=$(echo "$c" | awk '{print ($1 == "distill") ? $1 "_" $2 : $1}')
    $BLALM $c w/docs/src/nodir/../../../x.jsonl -q >out 2>err; rc=$?
    if [ $rc = 1 ] && grep -qF "w/docs/src/nodir does not exist, and the '..' after it would leave it again" err &&
        [ ! -e w/docs/src/nodir ] && [ ! -e w/x.jsonl ]; then pass "out_file_pass_through_${n}"
    else fail "out_file_pass_through_${n}" "exit $rc: $(head -c 300 err) $(ls w/docs/src)"; fi
    $BLALM $c nd/x.jsonl/ -q >out 2>err; rc=$?
    if [ $rc = 1 ] && grep -qF "nd/x.jsonl/: ends in '/', a folder; expected a file to write" err && [ ! -e nd ]; then
        pass "out_file_trailing_slash_${n}"
    else fail "out_file_trailing_slash_${n}" "exit $rc: $(head -c 300 err) $(ls -R nd 2>&1)"; fi
done
# two folders not there, then '..': the folder named is the one it leaves
# (it named the first not there: "new does not exist")
$BLALM report --work w --out new/a/../b/r.html -q >out 2>err; rc=$?
if [ $rc = 1 ] && grep -qF "new/a/../b/r.html: new/a does not exist, and the '..' after it would leave it again" err &&
    [ ! -e new ]; then pass out_file_pass_through_names_folder_left
else fail out_file_pass_through_names_folder_left "exit $rc: $(head -c 300 err)"; fi
# a deeper path: the component that is not a folder is named
refused out_dirs_inner_component afile "$BLALM" tag --work afile/sub/w --docs w/docs --taggers c4
# nothing was made anywhere (nor under the link's target)
[ -z "$(ls -A w | grep -v '^docs$')" ] && [ ! -e corp ] && pass out_dirs_nothing_written ||
    fail out_dirs_nothing_written "$(ls -A w)"
# a link to a folder is a folder: followed as before
mkdir real && ln -s "$TMP/real" linked
"$BLALM" tokenizer train --corpus c --out linked --vocab 300 -q 2>err && [ -s real/tokenizer.json ] &&
    pass out_dirs_link_to_folder_followed || fail out_dirs_link_to_folder_followed "$(cat err)"
