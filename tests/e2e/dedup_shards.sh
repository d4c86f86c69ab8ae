#!/usr/bin/env bash
# The same documents give identical dedup attributes whether the stages run
# in one process, with threads, or sharded over 2 and 7 workers; and whether
# the documents sit in 1, 2 or 7 files (up to the file part of the keys).
source "$(dirname "$0")/../lib.sh"
GT="$(dirname "$0")/../oracle/dedup_groundtruth.py"
[ -x "$PY" ] || { skip dedup_shards "needs /usr/bin/python3"; exit 0; }
for n in 1 2 7; do
    mkdir -p "$TMP/split$n"
    "$PY" "$GT" make "$TMP/split$n" synthetic $n 2>/dev/null || { fail dedup_shards_make "helper failed"; exit 0; }
done
DOCS="$TMP/split7/docs"
OPTS=(--keep-max score --quiet)
check dedup_shards_reference "$BLALM" dedup --work "$TMP/ref" --docs "$DOCS" "${OPTS[@]}"
check dedup_shards_threads "$BLALM" dedup --work "$TMP/thr" --docs "$DOCS" --threads 2 "${OPTS[@]}"
same_attrs() { # work dir vs ref
    local a b
    for a in "$TMP/ref/attributes/dedup/test/"*.jsonl.zst; do
        b="$1/attributes/dedup/test/$(basename "$a")"
        cmp -s <(zstd -dc "$a") <(zstd -dc "$b") || return 1
    done
}
same_attrs "$TMP/thr" && pass dedup_shards_threads_identical || fail dedup_shards_threads_identical "attributes differ"
for n in 2 7; do
    w="$TMP/sh$n"; ok=1
    for stage in signatures buckets cluster attributes; do
        for ((i = 0; i < n; i++)); do
            shard=(--shard $i/$n)
            "$BLALM" dedup --work "$w" --docs "$DOCS" --stage $stage "${shard[@]}" "${OPTS[@]}" 2>"$TMP/err" || { ok=0; fail dedup_shards_$n "$stage $i/$n: $(cat "$TMP/err")"; }
        done
    done
    [ $ok = 1 ] && { same_attrs "$w" && pass dedup_shards_${n}_identical || fail dedup_shards_${n}_identical "attributes differ from the 1-shard run"; }
done
# 1, 2 and 7 document files: the same per-document results in document order,
# representatives compared by the id they point to.
for n in 1 2; do "$BLALM" dedup --work "$TMP/split$n" "${OPTS[@]}" || fail dedup_split_$n "run failed"; done
"$BLALM" dedup --work "$TMP/split7" "${OPTS[@]}" || fail dedup_split_7 "run failed"
"$PY" - "$TMP" <<'PYEOF'
import json, os, subprocess, sys
tmp = sys.argv[1]
def load(n):
    w = os.path.join(tmp, "split%d" % n)
    d = os.path.join(w, "docs", "test")
    ids, rows, keyid = [], [], {}
    for name in sorted(os.listdir(d)):
        with open(os.path.join(d, name)) as f:
            for r, line in enumerate(f):
                doc = json.loads(line); keyid["test/%s#%d" % (name, r)] = doc["id"]; ids.append(doc["id"])
        out = subprocess.run(["zstd", "-dc", os.path.join(w, "attributes/dedup/test", name[:-6] + ".jsonl.zst")],
                             capture_output=True, check=True).stdout.decode()
        rows += [json.loads(l)["dedup"] for l in out.splitlines()]
    for x in rows: x["representative"] = keyid[x["representative"]]
    return ids, rows
ref = load(1)
ok = True
for n in (2, 7):
    got = load(n)
    same = got == ref
    print(("PASS dedup_split_%d_files_identical" % n) if same else ("FAIL dedup_split_%d_files_identical: results differ" % n))
dups = sum(1 for x in ref[1] if not x["keep"])
print(("PASS dedup_split_found_duplicates") if dups > 100 else ("FAIL dedup_split_found_duplicates: only %d dropped" % dups))
PYEOF
