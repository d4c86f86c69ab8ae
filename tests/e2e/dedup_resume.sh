#!/usr/bin/env bash
# Stages killed with SIGKILL at different moments and rerun give the same
# attributes as an uninterrupted run, and no visible file is ever half-written.
source "$(dirname "$0")/../lib.sh"
GT="$(dirname "$0")/../oracle/dedup_groundtruth.py"
[ -x "$PY" ] || { skip dedup_resume "needs /usr/bin/python3"; exit 0; }
mkdir -p "$TMP/data"
"$PY" "$GT" make "$TMP/data" synthetic 7 2>/dev/null || { fail dedup_resume_make "helper failed"; exit 0; }
DOCS="$TMP/data/docs"
OPTS=(--keep-max score --quiet --verify-jaccard 0.5)
"$BLALM" dedup --work "$TMP/ref" --docs "$DOCS" "${OPTS[@]}" || { fail dedup_resume_reference "run failed"; exit 0; }
# the completion markers record the linked utf8proc's Unicode version (the
# normalisation's tables): a library upgrade redoes the stages
nou=$(find "$TMP/ref/state" -name '*.done' | while read -r f; do grep -q '\["unicode","[1-9][0-9.]*"\]' "$f" || echo "$f"; done)
[ -n "$(find "$TMP/ref/state" -name '*.done')" ] && [ -z "$nou" ] && pass dedup_markers_record_unicode ||
    fail dedup_markers_record_unicode "no unicode setting: $nou"
visible_ok() { # every visible output is complete
    local f
    for f in $(find "$1/attributes" -name '*.zst' 2>/dev/null); do zstd -tq "$f" 2>/dev/null || return 1; done
    return 0
}
same_attrs() {
    local a
    for a in "$TMP/ref/attributes/dedup/test/"*.jsonl.zst; do
        cmp -s <(zstd -dc "$a") <(zstd -dc "$1/attributes/dedup/test/$(basename "$a")") || return 1
    done
}
kill_after() { # seconds, args...
    local d=$1; shift
    "$BLALM" dedup "$@" >/dev/null 2>&1 &
    local pid=$!
    sleep "$d"; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
}
# whole runs killed at growing delays, each rerun continuing the last
W="$TMP/w1"; bad=0
for d in 0.01 0.03 0.06 0.1 0.15 0.2 0.3 0.45 0.6; do
    kill_after $d --work "$W" --docs "$DOCS" "${OPTS[@]}"
    visible_ok "$W" || bad=1
done
[ $bad = 0 ] && pass dedup_resume_no_half_files || fail dedup_resume_no_half_files "a visible attribute file is incomplete"
if "$BLALM" dedup --work "$W" --docs "$DOCS" "${OPTS[@]}" 2>"$TMP/err"; then
    same_attrs "$W" && pass dedup_resume_killed_runs || fail dedup_resume_killed_runs "attributes differ after resuming"
else
    fail dedup_resume_killed_runs "rerun failed: $(cat "$TMP/err")"
fi
# each stage alone, killed mid-way, then rerun
W="$TMP/w2"; ok=1
for stage in signatures buckets cluster attributes; do
    for d in 0.02 0.08; do kill_after $d --work "$W" --docs "$DOCS" --stage $stage "${OPTS[@]}"; done
    "$BLALM" dedup --work "$W" --docs "$DOCS" --stage $stage "${OPTS[@]}" 2>"$TMP/err" || { ok=0; fail dedup_resume_stage_$stage "$(cat "$TMP/err")"; }
done
[ $ok = 1 ] && { same_attrs "$W" && pass dedup_resume_killed_stages || fail dedup_resume_killed_stages "attributes differ"; }
# sort runs of a killed buckets stage are removed by the next one
W="$TMP/w3"
"$BLALM" dedup --work "$W" --docs "$DOCS" --stage signatures --quiet
for d in 0.05 0.1 0.2; do kill_after $d --work "$W" --docs "$DOCS" --stage buckets --mem 1 --quiet; done
"$BLALM" dedup --work "$W" --docs "$DOCS" --stage buckets --mem 1 --quiet
left=$(find "$W/state/dedup/tmp" -type f 2>/dev/null | wc -l)
[ "$left" = 0 ] && pass dedup_resume_no_stale_sort_runs || fail dedup_resume_no_stale_sort_runs "$left sort run files left"
# a finished run is skipped: nothing is rewritten
touch "$TMP/stamp"; sleep 0.05
"$BLALM" dedup --work "$W" --docs "$DOCS" "${OPTS[@]}" 2>"$TMP/err2"
changed=$(find "$W/state" "$W/attributes" -type f ! -name '*.done' -newer "$TMP/stamp" | wc -l)
[ "$changed" = 0 ] && pass dedup_resume_skips_finished || fail dedup_resume_skips_finished "$changed files rewritten"
# a document file edited after a run: its signatures and everything after are redone
W="$TMP/w4"; mkdir -p "$W/docs/s"
for i in $(seq 1 20); do printf '{"id":"d%d","text":"alpha beta gamma delta epsilon zeta eta theta iota kappa %d"}\n' $i $((i % 3)); done > "$W/docs/s/a.jsonl"
"$BLALM" dedup --work "$W" --quiet
for i in $(seq 1 20); do w=$(echo "$i" | tr 0-9 a-j); printf '{"id":"d%d","text":"text %s is unique %sx lorem %sy words %sz"}\n' $i $w $w $w $w; done > "$W/docs/s/a.jsonl"
touch -d '+1 second' "$W/docs/s/a.jsonl"
"$BLALM" dedup --work "$W" --quiet
kept=$(zstd -dc "$W/attributes/dedup/s/a.jsonl.zst" | grep -c '"keep":true')
[ "$kept" = 20 ] && pass dedup_resume_redone_after_edit || fail dedup_resume_redone_after_edit "$kept of 20 kept (stale results?)"
