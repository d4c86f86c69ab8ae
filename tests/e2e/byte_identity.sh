#!/usr/bin/env bash
# Byte identity of the pipeline's results on a real slice of the shared
# FineWeb data (issue 14: moving stage code must change no output).
#
# Four parquet files of ../shared/data/fineweb-legal (400 rows, 84 of them
# repeating documents of another file) and, as a second source, documents
# 151-300 of fineweb-legal.jsonl.zst go through blalm tag (all taggers),
# dedup, score (the loopback stand-in peer, tests/peers/openai.py, with the
# real reasoning texts), assemble, tokenizer train, tokenize and a 20-step
# single-thread train of configs/model-tiny.json. The sha256 of every result,
# one line per file, must equal tests/e2e/byte_identity.expected.
#
# What is hashed (see the Python below):
#   attributes    WORK/attributes/<set>/<source>/*.jsonl.zst: the decompressed
#                 lines (not the zstd frame); edu_llm without latency_ms;
#   corpora       train/dev split files byte for byte, documents.jsonl.zst
#                 decompressed, manifest.json normalised: without "tool"
#                 (version string), attributes.sets[].config (marker
#                 identities; score's holds the peer's port) and any string
#                 holding this run's path;
#   shards        blalm tokenize's .tok/.idx byte for byte, tokens.json
#                 normalised (its "tokenizer" is an absolute path);
#   tokenizer     tokenizer.json from blalm tokenizer train, byte for byte;
#   train         blalm train's token cache (RUN/tokens/*.tok, *.idx) byte for byte, and
#                 the loss lines of log.jsonl (step, loss, dev_loss, dev_ppl,
#                 dev_ppl_word, lr, grad_norm, tokens_seen, words_seen, epoch;
#                 not tok_s) as one text.
# Left out on purpose: completion markers (*.record.json: mtime_ns; the old
# train cache's stamp.txt: paths and mtimes),
# WORK/state, WORK/stats and shards/state (timings, rss, markers),
# corpora/.lock, and checkpoints and config.json of the run (paths); the
# losses stand for the training run.
#
# BLESS=1 bash tests/e2e/byte_identity.sh rewrites byte_identity.expected.
# RULE: bless only for an intentional behaviour change, and name that change
# (and the files whose lines changed) in the message of the commit that
# changes byte_identity.expected. A refactor must never need a bless.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
EXPECTED=$here/byte_identity.expected
FILES="batch_000001 batch_000002 batch_000031 batch_000051"
if ! need_shared || [ ! -d "$SHARED_DATA/fineweb-legal" ] || [ ! -f "$SHARED_DATA/fineweb-legal.jsonl.zst" ]; then
    skip byte_identity "shared data (fineweb-legal/*.parquet, fineweb-legal.jsonl.zst) not found"; exit 0
fi
for f in $FILES; do
    [ -f "$SHARED_DATA/fineweb-legal/$f.parquet" ] || { skip byte_identity "shared data lacks fineweb-legal/$f.parquet"; exit 0; }
done
# The syllable sources are pinned: the npm CMUdict that make test installs
# (scripts/deps.sh) and Debian's hyph_en_US.dic, whatever the environment says.
CMUDICT=$root/deps/cmudict/node_modules/cmudict/lib/cmu/cmudict.0.7a
if [ ! -f "$CMUDICT" ]; then
    skip byte_identity "$CMUDICT not installed (make test-deps installs it)"; exit 0
fi
unset BLALM_CMUDICT BLALM_HYPHEN_DIC

W=$TMP/work
OUT=$TMP/corpora
mkdir -p "$W/docs/legal"
for f in $FILES; do ln -s "$SHARED_DATA/fineweb-legal/$f.parquet" "$W/docs/legal/$f.parquet"; done
# a second source in the other document format: documents 151-300 of the
# JSONL copy (the first 50 also in batch_000002: duplicates across sources)
mkdir -p "$W/docs/web"
zstd -dcq "$SHARED_DATA/fineweb-legal.jsonl.zst" | sed -n 151,300p | zstd -q -o "$W/docs/web/part0.jsonl.zst"
export OPENAI_API_KEY=
unset OPENAI_BASE_URL

# step NAME CMD...: run one stage; on failure report it and stop
step() {
    local n=$1; shift
    if "$@" >"$TMP/$n.out" 2>"$TMP/$n.err"; then return 0; fi
    fail "byte_identity_$n" "$(tail -c 500 "$TMP/$n.err" | tr '\n' ' ')"; exit 0
}
step tag "$BLALM" tag --work "$W" --cmudict "$CMUDICT" --quiet
step dedup "$BLALM" dedup --work "$W" --threads 1
start_peer P --data "$SHARED_DATA/fineweb-legal.jsonl.zst"
step score "$BLALM" score --work "$W" --endpoint "http://127.0.0.1:$P/v1" --model stand-in --concurrency 4 -q
stop_peers
# no readability rule or ranking: the readability set is due to change (textstat
# exactness), and such a bless should then change the readability lines only
cat >"$TMP/corpora.json" <<'JSON'
{"corpora": [{"name": "strict-small", "budget": 100000, "dev_words": 5000},
             {"name": "tiny", "budget": 30000, "dev_words": 2000, "subset_of": "strict-small"}],
 "rules": ["gopher_quality.pass", "gopher_repetition.pass", "c4.pass", "fineweb.pass", "dedup.keep",
           "edu_llm.score >= 1"],
 "ranking": ["edu_llm.score desc"],
 "seed": 7}
JSON
step assemble "$BLALM" assemble --work "$W" --out "$OUT" --config "$TMP/corpora.json"
step tokenizer "$BLALM" tokenizer train --corpus "$OUT/tiny" --out "$TMP/tok" --vocab 320 --min-frequency 2
step tokenize "$BLALM" tokenize --corpus "$OUT/tiny" --tokenizer "$TMP/tok/tokenizer.json" --out "$TMP/shards" --threads 1
step train "$BLALM" train --corpus "$OUT/tiny" --model "$root/configs/model-tiny.json" --tokenizer "$TMP/tok/tokenizer.json" \
    --out "$TMP/run" --max-steps 20 --threads 1 -q

# one "sha256  name" line per result, names relative to the run's roots
"$PY" - "$TMP" >"$TMP/actual" 2>"$TMP/hash.err" <<'PYEOF'
import hashlib, json, os, subprocess, sys
t = sys.argv[1]
DROP = {"tool", "created", "command", "blalm_version", "version", "seconds", "elapsed", "peak_rss_mb",
        "host", "pid"}   # plus any string value holding this run's temporary path
def sha(b): return hashlib.sha256(b).hexdigest()
def zcat(p): return subprocess.run(["zstd", "-dcq", p], check=True, capture_output=True).stdout
def scrub(o):
    if isinstance(o, dict):
        return {k: scrub(v) for k, v in o.items() if k not in DROP
                and not (isinstance(v, str) and v.startswith(t))}
    if isinstance(o, list): return [scrub(v) for v in o]
    return o
def canon(o):
    # manifest.json: each attribute set's "config" is its completion-marker
    # identity (score's holds the endpoint, i.e. the peer's port), not a result
    for st in (o.get("attributes") or {}).get("sets") or []:
        st.pop("config", None)
    return json.dumps(scrub(o), sort_keys=True, ensure_ascii=False).encode()
def attr(p):
    out = []
    for line in zcat(p).splitlines():
        r = json.loads(line)
        if "edu_llm" in r: r["edu_llm"].pop("latency_ms", None)
        out.append(json.dumps(r, ensure_ascii=False, sort_keys=True))
    return "\n".join(out).encode()
rows = []
def walk(base, label):
    for d, _, fs in os.walk(base):
        for f in fs:
            p = os.path.join(d, f)
            rel = label + "/" + os.path.relpath(p, base)
            if f.endswith(".record.json") or f in (".lock", "stamp.txt") or rel.startswith("shards/state/"): continue
            if label == "attributes": rows.append((sha(attr(p)), rel))
            elif f.endswith(".zst"): rows.append((sha(zcat(p)), rel))
            elif f.endswith(".json") and f != "tokenizer.json": rows.append((sha(canon(json.load(open(p)))), rel + " (normalised)"))
            else: rows.append((sha(open(p, "rb").read()), rel))
walk(t + "/work/attributes", "attributes")
walk(t + "/corpora", "corpora")
walk(t + "/shards", "shards")
rows.append((sha(open(t + "/tok/tokenizer.json", "rb").read()), "tokenizer/tokenizer.json"))
walk(t + "/run/tokens", "train/tokens")
KEEP = ("step", "loss", "dev_loss", "dev_ppl", "dev_ppl_word", "lr", "grad_norm", "tokens_seen", "words_seen", "epoch")
losses = []
for line in open(t + "/run/log.jsonl"):
    r = json.loads(line)
    if "loss" in r or "dev_loss" in r:   # not tok_s (speed) nor the start line's settings
        losses.append(json.dumps({k: v for k, v in r.items() if k in KEEP}, sort_keys=True))
if len(losses) != 22: sys.exit("train/log.jsonl: %d loss lines, expected 20 steps and 2 evaluations" % len(losses))
rows.append((sha("\n".join(losses).encode()), "train/losses (%d lines of log.jsonl)" % len(losses)))
for s, n in sorted(rows, key=lambda r: r[1]): print("%s  %s" % (s, n))
PYEOF
if [ $? -ne 0 ]; then fail byte_identity_hash "$(tail -c 500 "$TMP/hash.err")"; exit 0; fi

if [ "${BLESS:-}" = 1 ]; then
    cp "$TMP/actual" "$EXPECTED"
    echo "byte_identity: blessed $(wc -l <"$EXPECTED") lines into $EXPECTED (name the behaviour change in the commit message)" >&2
fi
if [ ! -f "$EXPECTED" ]; then fail byte_identity "no $EXPECTED (BLESS=1 writes it)"; exit 0; fi
n=$(wc -l <"$TMP/actual")
if cmp -s "$EXPECTED" "$TMP/actual"; then
    echo "byte_identity: $n result files identical" >&2
    pass byte_identity
else
    changed=$("$PY" - "$EXPECTED" "$TMP/actual" <<'PYEOF'
import sys
def read(p): return dict(reversed(l.rstrip("\n").split("  ", 1)) for l in open(p) if l.strip())
a, b = read(sys.argv[1]), read(sys.argv[2])
print("; ".join(["changed " + n for n in sorted(a) if n in b and a[n] != b[n]] +
                ["missing " + n for n in sorted(a) if n not in b] + ["new " + n for n in sorted(b) if n not in a]))
PYEOF
)
    fail byte_identity "results differ from tests/e2e/byte_identity.expected: $changed"
fi
