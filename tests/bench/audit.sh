#!/usr/bin/env bash
# blalm audit --export X.parquet (one row per document: the documents joined
# with every attribute set, flattened) on a tagged and deduplicated work
# directory, beside DuckDB (npm @duckdb/node-api, threads=1) writing the same
# rows to parquet from blalm's own .jsonl.zst export of them
# (tests/oracle/audit_bench.mjs: read_json + COPY TO parquet, zstd). DuckDB
# reads both parquet files back: the same rows, the same column names, the
# same sums of words and bytes, distinct ids, and no row of blalm's missing
# from DuckDB's by (path, row, id, words, bytes, eligible) (else FAIL
# mismatch). Rows per CPU second, best of 3 each (the machine may be shared):
# blalm's whole command (reading the documents and the five tag sets and
# dedup's, and writing); DuckDB's query alone (the rows already joined, in
# one file: less work than blalm's). The work directory: the 2,100 FineWeb
# documents of ../shared/data, AUDIT_BENCH_COPIES (default 4) copies with
# their own ids, tagged by every tagger and deduplicated (not timed).
set -u
BLALM=${BLALM_BIN:?}
here=$(cd "$(dirname "$0")" && pwd)
oracle=$(cd "$here/../oracle" && pwd)
. "$here/lib.bash"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
src=${BLALM_SHARED_DATA:-}/fineweb-legal.jsonl.zst
if [ ! -f "$src" ]; then
    echo "skip: ../shared/data/fineweb-legal.jsonl.zst not found"
    exit 0
fi
if [ ! -d "$oracle/node_modules/@duckdb/node-api" ] || ! command -v node >/dev/null; then
    echo "FAIL peer missing: node or DuckDB in tests/oracle/node_modules (make bench installs them through scripts/deps.sh test)"; exit 1
fi
copies=${AUDIT_BENCH_COPIES:-4}
W=$TMP/w
mkdir -p "$W/docs/fw"
for i in $(seq "$copies"); do
    zstd -dc "$src" | /usr/bin/python3 -c '
import json, sys
for l in sys.stdin:
    d = json.loads(l); d["id"] = "%s#r%s" % (d["id"], sys.argv[1]); print(json.dumps(d, ensure_ascii=False))' "$i" |
        zstd -q -o "$W/docs/fw/r$i.jsonl.zst" || bench_fail setup "copy $i of the documents"
done
"$BLALM" tag --work "$W" --quiet 2>"$TMP/err" || bench_fail blalm "tag (setup): $(tail -3 "$TMP/err")"
"$BLALM" dedup --work "$W" --threads 1 --quiet 2>"$TMP/err" || bench_fail blalm "dedup (setup): $(tail -3 "$TMP/err")"
echo "work dir: fineweb-legal.jsonl.zst (2,100 real FineWeb documents) x$copies, tagged (all taggers) and deduplicated"

bench_run blalm "audit --export .parquet" "$BLALM" audit --work "$W" --export "$TMP/ours.parquet" --quiet
bench_run blalm "audit --export .jsonl.zst" "$BLALM" audit --work "$W" --export "$TMP/ours.jsonl.zst" --quiet
r=$(cd "$oracle" && node audit_bench.mjs write "$TMP/ours.jsonl.zst" "$TMP/peer.parquet" 3) ||
    bench_fail peer "audit_bench.mjs write (DuckDB COPY TO parquet)"
read -r prows _ pcpu <<<"$r"
bench_pos peer "rows" "${prows:-}"
bench_pos peer "CPU seconds" "${pcpu:-}"
r=$(cd "$oracle" && node audit_bench.mjs compare "$TMP/ours.parquet" "$TMP/peer.parquet") ||
    bench_fail peer "audit_bench.mjs compare"
read -r rows ncols why < <(/usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1]); a, b = r["a"], r["b"]
why = [k for k in ("n", "w", "b", "ids", "columns") if a[k] != b[k]]
if r["a_not_b"] != "0": why.append("%s rows of blalm not in DuckDB" % r["a_not_b"])
print(a["n"], len(a["columns"]), "|".join(why) or "-")' "$r") || bench_fail setup "reading the comparison"
[ "$why" = - ] || bench_fail mismatch "blalm's parquet and DuckDB's differ: $why"
bench_pos blalm "rows" "$rows"
bench_same "rows written" "$rows" "$prows"
bench_cpu ours blalm "$BLALM" audit --work "$W" --export "$TMP/t.parquet" --quiet
bench_pos blalm "CPU seconds" "$ours"
awk -v n="$rows" -v c="$ncols" -v o="$ours" -v p="$pcpu" -v f="$(stat -c %s "$TMP/ours.parquet")" -v g="$(stat -c %s "$TMP/peer.parquet")" 'BEGIN{
    printf "blalm audit --export .parquet: %8.0f rows per CPU-s (%.2f CPU-s for %d rows of %d columns; %.1f MB file; best of 3)\n", n/o, o, n, c, f/1e6;
    printf "DuckDB (threads=1), .jsonl.zst export -> parquet: %8.0f rows per CPU-s (%.2f CPU-s, the same rows and columns; %.1f MB file; best of 3)\n", n/p, p, g/1e6;
    printf "ratio (peer time / ours): %.2f\n", p/o }'
