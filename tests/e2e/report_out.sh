#!/usr/bin/env bash
# blalm report --out never replaces what the report reads: a file under
# WORK/docs (also through a linked source folder: the user's own data),
# WORK/state, WORK/attributes, WORK/stats, --corpora or --run, nor the same
# file under another name; nor, like every atomic write, a symbolic link, a
# FIFO or a device at --out. Each refusal exits 1 naming the path and leaves
# every input byte for byte; --work naming a file says it is not a directory;
# an unwritable --out is named as given, not by its temporary file.
source "$(dirname "$0")/../lib.sh"

W=$TMP/work USER_DATA=$TMP/mydata RUN=$TMP/run OUT=$TMP/corpora
sums() { find "$W" "$USER_DATA" "$RUN" "$OUT" -type f | sort | xargs sha256sum; }
# the inputs, made afresh before each case (so that one case overwriting them
# cannot decide the next)
setup() {
    rm -rf "$W" "$USER_DATA" "$RUN" "$OUT" "$TMP/hardlink.jsonl"
    mkdir -p "$W/docs/s" "$USER_DATA" "$RUN/checkpoints" "$OUT/strict" "$W/state/assemble" "$W/stats"
    synthetic_docs 20 3 | awk 'BEGIN{RS=""; i=0} {gsub(/"/, ""); gsub(/\n/, " "); printf "{\"id\": \"d%d\", \"text\": \"%s\"}\n", i++, $0}' >"$W/docs/s/a.jsonl"
    synthetic_docs 10 4 | awk 'BEGIN{RS=""; i=0} {gsub(/"/, ""); gsub(/\n/, " "); printf "{\"id\": \"u%d\", \"text\": \"%s\"}\n", i++, $0}' >"$USER_DATA/u.jsonl"
    ln -s "$USER_DATA" "$W/docs/linked"          # a `files` source: a link to the user's folder
    echo '{"step": 1, "loss": 3.5}' >"$RUN/log.jsonl"
    echo '{"tasks": {"blimp": {"accuracy": 0.5}}}' >"$RUN/checkpoints/latest.eval_fast.json"
    echo '{"budget": 100, "words": 90, "sources": {}}' >"$OUT/strict/manifest.json"
    echo '{"tag": {}}' >"$W/stats/tag.json"
    echo '{}' >"$W/state/assemble/x.json"
    ln "$W/docs/s/a.jsonl" "$TMP/hardlink.jsonl"   # the same file under another name

    before=$(sums)
}

# refused: rc 1, the message, no input changed, no page written
refused() {   # NAME OUT-PATTERN-IN-MESSAGE ARGS...
    local n=$1 pat=$2; shift 2
    setup
    "$BLALM" report --work "$W" "$@" >"$TMP/o" 2>"$TMP/e"; local rc=$?
    if [ $rc = 1 ] && grep -q -- "$pat" "$TMP/e" && [ "$(sums)" = "$before" ] && ! grep -q wrote "$TMP/e"; then
        pass "$n"
    else
        fail "$n" "rc=$rc $(head -c 400 "$TMP/e")"
    fi
}
refused report_out_refuses_docs_file "lies inside .*WORK/docs.*refusing" --out "$W/docs/s/a.jsonl"
refused report_out_refuses_new_file_in_docs "lies inside .*WORK/docs" --out "$W/docs/s/r.html"
refused report_out_refuses_linked_source "lies inside $W/docs/linked (WORK/docs, the report's input, through a link)" \
    --out "$USER_DATA/u.jsonl"
refused report_out_refuses_linked_source_new_file "through a link" --out "$USER_DATA/r.html"
refused report_out_refuses_same_file_other_name "is the same file as $W/docs/s/a.jsonl" --out "$TMP/hardlink.jsonl"
refused report_out_refuses_run_log "lies inside $RUN (--run" --run "$RUN" --out "$RUN/log.jsonl"
refused report_out_refuses_eval_results "lies inside" --run "$RUN" --out "$RUN/checkpoints/latest.eval_fast.json"
refused report_out_refuses_run_through_dotdot "lies inside" --run "$RUN" --out "$RUN/checkpoints/../log.jsonl"
refused report_out_refuses_manifest "lies inside $OUT (--corpora" --corpora "$OUT" --out "$OUT/strict/manifest.json"
# the corpus folders assemble's decisions name (the report reads their
# manifests), also without --corpora
refused_run_json() {
    setup
    mkdir -p "$W/state/assemble/decisions"
    printf '{"corpora": [{"name": "strict", "path": "%s/strict"}]}\n' "$OUT" >"$W/state/assemble/decisions/run.json"
    before=$(sums)
    "$BLALM" report --work "$W" --out "$OUT/strict/manifest.json" >"$TMP/o" 2>"$TMP/e"; local rc=$?
    [ $rc = 1 ] && grep -q "lies inside $OUT/strict (a corpus folder that WORK/state/assemble/decisions/run.json names" "$TMP/e" &&
        [ "$(sums)" = "$before" ] && pass report_out_refuses_decisions_corpus || fail report_out_refuses_decisions_corpus "rc=$rc $(head -c 400 "$TMP/e")"
}
refused_run_json
refused report_out_refuses_state "WORK/state" --out "$W/state/assemble/x.json"
refused report_out_refuses_stats "WORK/stats" --out "$W/stats/tag.json"
refused report_out_refuses_attributes_not_made_yet "WORK/attributes" --out "$W/attributes/r.html"
[ ! -e "$W/attributes" ] && pass report_out_refusal_makes_no_folder || fail report_out_refusal_makes_no_folder "$(ls "$W")"

# not a regular file at --out: refused, left as it was
ln -s "$TMP/elsewhere.html" "$TMP/link.html"
refused report_out_refuses_symlink "link.html exists and is not a regular file (a symbolic link to $TMP/elsewhere.html); refusing to replace it" \
    --out "$TMP/link.html"
[ -L "$TMP/link.html" ] && [ ! -e "$TMP/elsewhere.html" ] && pass report_out_symlink_kept || fail report_out_symlink_kept "$(ls -l "$TMP")"
mkfifo "$TMP/fifo.html"
refused report_out_refuses_fifo "fifo.html exists and is not a regular file (a FIFO); refusing to replace it" --out "$TMP/fifo.html"
[ -p "$TMP/fifo.html" ] && pass report_out_fifo_kept || fail report_out_fifo_kept "$(ls -l "$TMP")"

# --out ending in '/' names a folder: refused before anything is made (it
# made the folder r.html, then refused it as "a folder")
refused report_out_trailing_slash_refused "$TMP/nd/r.html/: ends in '/', a folder; expected a file to write" \
    --out "$TMP/nd/r.html/"
[ ! -e "$TMP/nd" ] && pass report_out_trailing_slash_makes_nothing || fail report_out_trailing_slash_makes_nothing "$(find "$TMP/nd")"

# an unwritable --out is named as given
refused report_out_unwritable_names_path "/proc/r.html: cannot write it" --out /proc/r.html
# --work naming a file
refused report_work_file_not_a_directory "--work $W/docs/s/a.jsonl is not a directory" --work "$W/docs/s/a.jsonl" --out "$TMP/r.html"

# allowed: WORK/report.html (where blalm run puts it), a regular file replaced,
# and missing folders made
setup
"$BLALM" report -q --work "$W" --run "$RUN" --corpora "$OUT" --out "$W/report.html" 2>"$TMP/e" && [ -s "$W/report.html" ] &&
    pass report_out_in_work_root || fail report_out_in_work_root "$(head -c 300 "$TMP/e")"
echo old >"$TMP/old.html"
"$BLALM" report -q --work "$W" --out "$TMP/old.html" 2>"$TMP/e" && grep -q '<html' "$TMP/old.html" &&
    pass report_out_replaces_regular_file || fail report_out_replaces_regular_file "$(head -c 300 "$TMP/e")"
"$BLALM" report -q --work "$W" --out "$TMP/new/dir/r.html" 2>"$TMP/e" && [ -s "$TMP/new/dir/r.html" ] &&
    pass report_out_makes_missing_folders || fail report_out_makes_missing_folders "$(head -c 300 "$TMP/e")"
