#!/usr/bin/env bash
# The offline end-to-end job, every stage for real on this machine:
#   fetch (from a loopback Hub stand-in) -> tag -> dedup -> score (through a
#   loopback OpenAI-compatible stand-in) -> assemble -> verify -> audit ->
#   train (tiny BLaLM) -> generate.
# Input: the real FineWeb parquet files of ../shared/data when present, else
# documentation that Debian ships. The two services are stand-ins started from
# tests/peers/ and say so; point HF_ENDPOINT / OPENAI_BASE_URL at real ones
# for the real job (see README.md).
set -euo pipefail
BLALM=${BLALM_BIN:-bin/blalm}
root=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
WORK=${DEMO_WORK:-$root/.work/demo}
OUT=$WORK/corpora
RUN=$WORK/run
rm -rf "$WORK"; mkdir -p "$WORK/repo/sample/10BT"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
step() {
    if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then printf '\n\033[1m== demo: %s\033[0m\n' "$*"; else printf '\n== demo: %s\n' "$*"; fi
}

shared=$root/../shared/data
if [ -d "$shared/fineweb-legal" ]; then
    step "input: 58 real FineWeb parquet files (pyarrow, 5,800 rows) from ../shared/data"
    cp "$shared"/fineweb-legal/*.parquet "$WORK/repo/sample/10BT/"
    reasoning=(--data "$shared/fineweb-legal.jsonl.zst")
else
    step "input: text files under /usr/share/doc (../shared/data not found)"
    "$PY" - "$WORK/repo/sample/10BT/usr-share-doc.jsonl" <<'PYEOF'
import json, os, sys, gzip
out = open(sys.argv[1], "w", encoding="utf-8"); n = 0
for root, _, files in sorted(os.walk("/usr/share/doc")):
    for f in sorted(files):
        p = os.path.join(root, f)
        try:
            t = (gzip.open(p).read() if f.endswith(".gz") else open(p, "rb").read()).decode("utf-8")
        except Exception:
            continue
        if len(t.split()) < 50: continue
        out.write(json.dumps({"id": p, "text": t}) + "\n"); n += 1
PYEOF
    zstd -q --rm "$WORK/repo/sample/10BT/usr-share-doc.jsonl"
    reasoning=()
fi

# a service from tests/peers: prints its port on the first line
start_peer() { # name, args...
    local name=$1; shift
    "$PY" "$root/tests/peers/$name" "$@" >"$WORK/$name.port" 2>"$WORK/$name.log" &
    pids+=($!)
    for _ in $(seq 200); do [ -s "$WORK/$name.port" ] && break; sleep 0.05; done
    head -1 "$WORK/$name.port"
}

step "fetch: blalm fetch from a loopback Hugging Face Hub stand-in (tests/peers/hub.py)"
export HF_ENDPOINT="http://127.0.0.1:$(start_peer hub.py --root "$WORK/repo")"
"$BLALM" fetch --repo HuggingFaceFW/fineweb-edu --path sample/10BT --out "$WORK/docs/fineweb-edu"
"$BLALM" count -q $(ls "$WORK"/docs/fineweb-edu/sample/10BT/* | grep -v '\.meta$') | tail -1

step "tag: readability, Gopher, C4 and FineWeb measurements for every document"
"$BLALM" tag --work "$WORK"

step "dedup: exact and MinHash near-duplicates"
"$BLALM" dedup --work "$WORK"

step "score: the 5-point rubric through a loopback OpenAI-compatible STAND-IN (tests/peers/openai.py)"
export OPENAI_BASE_URL="http://127.0.0.1:$(start_peer openai.py --latency 0.005 "${reasoning[@]}")/v1"
export OPENAI_API_KEY=demo-key-not-secret
"$BLALM" score --work "$WORK" --model stand-in --concurrency 32 \
    --where 'gopher_quality.pass && gopher_repetition.pass && dedup.keep'
"$BLALM" score --work "$WORK" --stats

step "assemble: word-budgeted corpora (configs/demo-corpora.json: 1M and 100k words)"
"$BLALM" assemble --work "$WORK" --out "$OUT" --config "$root/configs/demo-corpora.json"
"$BLALM" verify "$OUT/strict"
"$BLALM" verify "$OUT/strict-small"

step "audit: the fate of one document, and every document as parquet"
files=("$WORK"/docs/fineweb-edu/sample/10BT/*.parquet)   # a glob: no pipe to break under pipefail
first=${files[0]}
id=$("$BLALM" cat "$first" | "$PY" -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"]); sys.stdin.read()')
"$BLALM" audit --work "$WORK" "$id" >"$WORK/audit.txt"
head -40 "$WORK/audit.txt"
"$BLALM" audit --work "$WORK" --export "$WORK/audit.parquet"

step "train: a tiny BLaLM (mLSTM) on strict-small, then generate"
"$BLALM" train --corpus "$OUT/strict-small" --model "$root/configs/model-tiny.json" --out "$RUN" --max-steps 300
"$BLALM" generate --run "$RUN" --prompt "The students learned" --max-new 30

step "done: work directory $WORK (corpora in $OUT, model run in $RUN)"
