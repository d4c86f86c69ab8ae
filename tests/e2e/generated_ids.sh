#!/usr/bin/env bash
# Documents without an id get "<path under the docs root without extension>/<row>":
# unique per (source, path), so two sources with the same file name
# (wiki/part-0.jsonl, books/part-0.jsonl) do not share ids and assemble
# keeps all their documents (issue 20 defect 2: it kept 50 of 100).
source "$(dirname "$0")/../lib.sh"
W=$TMP/w
mkdir -p "$W/docs/wiki" "$W/docs/books"
"$PY" - "$W/docs" <<'PY'
import json, sys
d = sys.argv[1]
for src in ("wiki", "books"):
    with open(f"{d}/{src}/part-0.jsonl", "w") as f:
        for i in range(50):
            f.write(json.dumps({"text": f"{src} text number {i} is about rivers and hills."}) + "\n")
PY
cat >"$W/c.json" <<'JSON'
{"corpora": [{"name": "all", "budget": 100000, "dev_words": 0, "subset_of": null}],
 "rules": [], "ranking": []}
JSON
"$BLALM" tag --work "$W" --taggers readability --quiet 2>"$TMP/e1" || { fail generated_ids_tag "$(cat "$TMP/e1")"; exit 0; }
ids=$(zstd -dc "$W/attributes/readability/wiki/part-0.jsonl.zst" | head -1 | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')
[ "$ids" = "wiki/part-0/0" ] && pass generated_ids_path || fail generated_ids_path "first id '$ids', expected wiki/part-0/0"
if "$BLALM" assemble --work "$W" --out "$W/out" --config "$W/c.json" --quiet 2>"$TMP/e2"; then
    n=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["documents"])' "$W/out/all/manifest.json")
    [ "$n" = 100 ] && pass generated_ids_unique_across_sources || fail generated_ids_unique_across_sources "$n of 100 documents kept"
else
    fail generated_ids_unique_across_sources "$(cat "$TMP/e2")"
fi
# a lone file keeps its name stem
id1=$("$BLALM" cat "$W/docs/books/part-0.jsonl" | head -1 | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])')
[ "$id1" = "part-0/0" ] && pass generated_ids_lone_file || fail generated_ids_lone_file "got '$id1'"
