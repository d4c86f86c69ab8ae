#!/usr/bin/env bash
# assemble takes one document per dedup exact_group and cluster_id, told apart
# by value. cJSON holds a number as a double and ends a string at \u0000, so
# cluster ids 9007199254740992 and 9007199254740993 (two 64-bit cluster
# hashes, say) were one cluster and exact groups "x\u0000a" and "x\u0000b"
# one group: a document dropped as the other's duplicate. The values are now
# read from the bytes of the attribute line; equal ones still group.
source "$(dirname "$0")/../lib.sh"
if ! command -v zstd >/dev/null; then skip assemble_dedup_values "zstd CLI not installed"; exit 0; fi
W=$TMP/w
mkdir -p "$W/docs/s" "$W/attributes/dedup/s"
printf '%s\n' '{"id":"a","text":"alpha beta"}' '{"id":"b","text":"gamma delta"}' '{"id":"c","text":"eps zeta"}' \
    '{"id":"d","text":"eta theta"}' '{"id":"e","text":"iota kappa"}' '{"id":"f","text":"lambda mu"}' >"$W/docs/s/p.jsonl"
printf '%s\n' \
    '{"id":"a","dedup":{"exact_group":null,"cluster_id":9007199254740992}}' \
    '{"id":"b","dedup":{"exact_group":null,"cluster_id":9007199254740993}}' \
    '{"id":"c","dedup":{"exact_group":"x\u0000a","cluster_id":null}}' \
    '{"id":"d","dedup":{"exact_group":"x\u0000b","cluster_id":null}}' \
    '{"id":"e","dedup":{"exact_group":null,"cluster_id":18446744073709551615}}' \
    '{"id":"f","dedup":{"exact_group":null,"cluster_id":18446744073709551615}}' |
    zstd -q -o "$W/attributes/dedup/s/p.jsonl.zst"
echo '{"corpora": [{"name": "c", "budget": 1000, "dev_words": 0}], "rules": [], "ranking": []}' >"$TMP/c.json"
if "$BLALM" assemble --work "$W" --out "$TMP/out" --config "$TMP/c.json" --quiet 2>"$TMP/err"; then
    ids=$(zstd -dc "$TMP/out/c/documents.jsonl.zst" | "$PY" -c 'import json,sys; print(" ".join(sorted(json.loads(l)["id"] for l in sys.stdin)))')
    # e and f share a cluster: one of them
    case "$ids" in
        "a b c d e"|"a b c d f") pass assemble_dedup_values_told_apart ;;
        *) fail assemble_dedup_values_told_apart "took: $ids" ;;
    esac
    "$BLALM" audit --work "$W" a 2>&1 | grep -q '^  c: train' && "$BLALM" audit --work "$W" d 2>&1 | grep -q '^  c: train' &&
        pass assemble_dedup_values_audit_fates || fail assemble_dedup_values_audit_fates "$("$BLALM" audit --work "$W" a 2>&1 | tail -4)"
    check assemble_dedup_values_verify "$BLALM" verify "$TMP/out/c"
else
    fail assemble_dedup_values_told_apart "assemble: $(head -c 300 "$TMP/err")"
fi
