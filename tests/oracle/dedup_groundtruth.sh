#!/usr/bin/env bash
# dedup against brute-force ground truth: near-copies of real FineWeb text
# (and of synthetic text, which always runs) at known edit rates; recall of
# pairs with true word-5-gram Jaccard >= 0.85 and pair precision (J >= 0.5).
source "$(dirname "$0")/../lib.sh"
GT="$(dirname "$0")/dedup_groundtruth.py"
if ! have_py numpy || ! command -v zstd >/dev/null; then
    skip dedup_groundtruth "needs /usr/bin/python3 with numpy and the zstd program"
    exit 0
fi
run_case() { # name src files
    local w="$TMP/$1"
    mkdir -p "$w"
    if ! "$PY" "$GT" make "$w" "$2" "$3" 2>"$w.log"; then fail "$1_make" "$(tail -c 400 "$w.log")"; return; fi
    if ! "$BLALM" dedup --work "$w" --keep-max score --threads 2 --quiet 2>"$w.log"; then
        fail "$1_run" "$(tail -c 400 "$w.log")"; return
    fi
    "$PY" "$GT" score "$w" 2000 | sed "s/^\(PASS\|FAIL\|SKIP\) dedup_/\1 $1_/"
}
run_case synthetic synthetic 4
# --verify-jaccard: candidate pairs checked by true Jaccard, reported in the stats
w="$TMP/synthetic"
if "$BLALM" dedup --work "$TMP/verify" --docs "$w/docs" --keep-max score --verify-jaccard 0.8 --quiet 2>"$TMP/v.log"; then
    "$PY" - "$w/stats/dedup.json" "$TMP/verify/stats/dedup.json" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ok = b["verified_pairs"] > 0 and b["rejected_pairs"] > 0 and b["config"]["verify_jaccard"] == 0.8 \
    and b["clusters"] >= a["clusters"] and a["verified_pairs"] == 0
print("verify-jaccard 0.8: %d candidate pairs verified, %d rejected; clusters %d -> %d"
      % (b["verified_pairs"], b["rejected_pairs"], a["clusters"], b["clusters"]))
print("PASS synthetic_verify_jaccard" if ok else "FAIL synthetic_verify_jaccard: stats %r" % b)
PYEOF
else
    fail synthetic_verify_jaccard "$(tail -c 300 "$TMP/v.log")"
fi
if need_shared && [ -f "$SHARED_DATA/fineweb-legal.jsonl.zst" ]; then
    run_case real "$SHARED_DATA/fineweb-legal.jsonl.zst" 3
else
    skip real_groundtruth "BLALM_SHARED_DATA/fineweb-legal.jsonl.zst not found"
fi
