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
    '{"id":"d","text":"eta theta"}' '{"id":"e","text":"iota kappa"}' '{"id":"f","text":"lambda mu"}' \
    '{"id":"g","text":"nu xi"}' '{"id":"h","text":"omicron pi"}' '{"id":"i","text":"rho sigma"}' \
    '{"id":"j","text":"tau upsilon"}' '{"id":"k","text":"phi chi"}' >"$W/docs/s/p.jsonl"
printf '%s\n' \
    '{"id":"a","dedup":{"exact_group":null,"cluster_id":9007199254740992}}' \
    '{"id":"b","dedup":{"exact_group":null,"cluster_id":9007199254740993}}' \
    '{"id":"c","dedup":{"exact_group":"x\u0000a","cluster_id":null}}' \
    '{"id":"d","dedup":{"exact_group":"x\u0000b","cluster_id":null}}' \
    '{"id":"e","dedup":{"exact_group":null,"cluster_id":18446744073709551615}}' \
    '{"id":"f","dedup":{"exact_group":null,"cluster_id":18446744073709551615}}' \
    '{"id":"g","dedup":{"exact_group":null,"cluster_id":1234567890123456}}' \
    '{"id":"h","dedup":{"exact_group":null,"cluster_id":1234567890123456.0}}' \
    '{"id":"i","dedup":{"exact_group":null,"cluster_id":1.234567890123456e15}}' \
    '{"id":"j","dedup":{"exact_group":null,"cluster_id":100000000000000000}}' \
    '{"id":"k","dedup":{"exact_group":null,"cluster_id":1e17}}' |
    zstd -q -o "$W/attributes/dedup/s/p.jsonl.zst"
echo '{"corpora": [{"name": "c", "budget": 1000, "dev_words": 0}], "rules": [], "ranking": []}' >"$TMP/c.json"
if "$BLALM" assemble --work "$W" --out "$TMP/out" --config "$TMP/c.json" --quiet 2>"$TMP/err"; then
    ids=$(zstd -dc "$TMP/out/c/documents.jsonl.zst" | "$PY" -c 'import json,sys; print(" ".join(sorted(json.loads(l)["id"] for l in sys.stdin)))')
    # e and f share a cluster: one of them; so do g, h and i (one value
    # written three ways, as Python's == has it) and j and k (1e17 is exact)
    got=$(echo "$ids" | tr ' ' '\n' | "$PY" -c 'import sys
ids = set(sys.stdin.read().split())
groups = [{"a"}, {"b"}, {"c"}, {"d"}, {"e", "f"}, {"g", "h", "i"}, {"j", "k"}]
print("ok" if all(len(ids & g) == 1 for g in groups) and len(ids) == len(groups) else "no")')
    [ "$got" = ok ] && pass assemble_dedup_values_told_apart || fail assemble_dedup_values_told_apart "took: $ids"
    "$BLALM" audit --work "$W" a 2>&1 | grep -q '^  c: train' && "$BLALM" audit --work "$W" d 2>&1 | grep -q '^  c: train' &&
        pass assemble_dedup_values_audit_fates || fail assemble_dedup_values_audit_fates "$("$BLALM" audit --work "$W" a 2>&1 | tail -4)"
    check assemble_dedup_values_verify "$BLALM" verify "$TMP/out/c"
else
    fail assemble_dedup_values_told_apart "assemble: $(head -c 300 "$TMP/err")"
fi

# a dedup line cJSON takes but strict JSON does not (a leading zero, a raw
# tab in a string): its values cannot be read exactly, so assemble stops
# naming the file and line, as audit --export does, instead of hashing the
# same cluster id two ways
W2=$TMP/w2
mkdir -p "$W2/docs/s" "$W2/attributes/dedup/s"
printf '%s\n' '{"id":"a","text":"alpha beta"}' '{"id":"b","text":"gamma delta"}' >"$W2/docs/s/p.jsonl"
printf '%s\n' '{"id":"a","dedup":{"exact_group":null,"cluster_id":9007199254740993}}' \
    '{"id":"b","dedup":{"note":01,"exact_group":null,"cluster_id":9007199254740993}}' |
    zstd -q -o "$W2/attributes/dedup/s/p.jsonl.zst"
"$BLALM" assemble --work "$W2" --out "$TMP/out2" --config "$TMP/c.json" --quiet 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -qF "dedup/s/p.jsonl.zst:2: column " "$TMP/err" && grep -q "not strict JSON" "$TMP/err" &&
    [ ! -e "$TMP/out2/c" ] && pass assemble_dedup_values_not_strict_json ||
    fail assemble_dedup_values_not_strict_json "rc $rc: $(head -c 300 "$TMP/err")"
