# run_helpers.bash - a small `blalm run` job for the run tests: input served by
# the loopback Hub stand-in, scores from the loopback OpenAI stand-in (with a
# request log), a tiny model. Sourced after tests/lib.sh.
#   run_setup          input in $TMP/repo, peers started: HUB_PORT, LLM_PORT, LLM_LOG
#   run_config FILE    writes a config for that job (budgets and steps from
#                      RUN_BUDGET, RUN_SMALL, RUN_STEPS)
#   run_cleanup        stops the peers (also on EXIT)
HUB_PY=$(cd "$(dirname "${BASH_SOURCE[0]}")/../peers" && pwd)/hub.py
LLM_PY=$(cd "$(dirname "${BASH_SOURCE[0]}")/../peers" && pwd)/openai.py
CONFIGS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../configs" && pwd)
RUN_PEERS=()
run_cleanup() {
    local p
    for p in "${RUN_PEERS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    RUN_PEERS=()
}
trap 'run_cleanup; rm -rf "$TMP"' EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1
export BLALM_DELAY_SCALE=0.01

# peer VAR SCRIPT ARGS...: starts a peer, sets VAR to its port
run_peer() {
    local var=$1 script=$2; shift 2
    local f="$TMP/peer.$RANDOM$RANDOM"
    "$PY" "$script" "$@" >"$f" 2>"$f.err" &
    RUN_PEERS+=($!)
    local i
    for i in $(seq 400); do [ -s "$f" ] && break; sleep 0.05; done
    [ -s "$f" ] || { echo "FAIL run_peer: $script did not start: $(cat "$f.err")"; exit 1; }
    printf -v "$var" '%s' "$(head -1 "$f")"
}

run_setup() {
    mkdir -p "$TMP/repo/sample/10BT"
    if need_shared && [ -d "$SHARED_DATA/fineweb-legal" ]; then
        cp "$SHARED_DATA"/fineweb-legal/batch_00000[1-3].parquet "$TMP/repo/sample/10BT/"
        RUN_INPUT="3 real FineWeb parquet files (300 documents)"
        RUN_LLM_DATA=$SHARED_DATA/fineweb-legal.jsonl.zst
    else
        "$PY" "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/usr-share-doc.py" "$TMP/repo/sample/10BT/doc.jsonl" 1500000
        RUN_INPUT="text files under /usr/share/doc (no shared data)"
    fi
    run_peer HUB_PORT "$HUB_PY" --root "$TMP/repo" ${RUN_HUB_RATE:+--rate "$RUN_HUB_RATE"}
    LLM_LOG=$TMP/llm-requests.jsonl
    # with ../shared the stand-in answers with the real LLM's labels of these documents
    local data=()
    [ -n "${RUN_LLM_DATA:-}" ] && data=(--data "$RUN_LLM_DATA")
    run_peer LLM_PORT "$LLM_PY" --latency 0.005 --log "$LLM_LOG" "${data[@]}"
    export HF_ENDPOINT="http://127.0.0.1:$HUB_PORT"
    export OPENAI_BASE_URL="http://127.0.0.1:$LLM_PORT/v1"
    export OPENAI_API_KEY=test-key
}

run_config() {
    local eval_data=${RUN_EVAL_DATA:-$TMP/no-eval-data}
    # a tiny BLaLM whose context holds a BLiMP sentence
    cat >"$TMP/model.json" <<JSON
{"name": "run-test", "vocab_size": 320, "dim": 32, "layers": 2, "heads": 2, "context": 128, "mlp_hidden": 64,
 "mixer": "mlstm", "chunk": 16,
 "train": {"batch_size": 4, "seq_len": 32, "lr_adamw": 3e-3, "warmup_steps": 3, "eval_every": 10,
           "eval_batches": 2, "checkpoint_every": 10, "log_every": 1}}
JSON
    cat >"$1" <<JSON
{
  "sources": [{"name": "web", "hub": {"repo": "HuggingFaceFW/fineweb-edu", "path": "sample/10BT"}}],
  "dedup": {"threads": 1},
  "score": {"model": "stand-in", "where": "gopher_quality.pass && dedup.keep", "concurrency": 8,
            "sample": ${RUN_SAMPLE:-120}},
  "distill": {"labels": "edu_llm.score", "folds": 4, "seed": 1},
  "corpora": {
    "corpora": [{"name": "big", "budget": ${RUN_BUDGET:-60000}, "dev_words": 3000},
                {"name": "small", "budget": ${RUN_SMALL:-20000}, "dev_words": 2000, "subset_of": "big"}],
    "rules": ["gopher_quality.pass", "edu_local.int_score >= 1"],
    "ranking": ["edu_local.score desc"],
    "seed": 0
  },
  "tokenizer": {"vocab_size": ${RUN_VOCAB:-320}},
  "model": "$TMP/model.json",
  "train": {"corpus": "${RUN_TRAIN_CORPUS:-small}", "max_steps": ${RUN_STEPS:-40}, "threads": 1},
  "eval": {"data": "$eval_data", "tasks": "blimp", "fast": true}
}
JSON
}

# outputs_sha WORK: sha256 of every output the run tests compare (attributes,
# the distilled model and its figures, corpora, token shards, checkpoints and their eval.json results
# (model/checkpoints/latest.eval_fast.json)), one "sha  path" a line. Two
# fields are measurements of time, not outputs, and are left out: edu_llm's
# latency_ms and eval.json's seconds; and the work directory's own path, which
# tokens.json and eval.json record, is replaced by WORK. The attribute records
# (<file>.record.json: the document file's mtime and the command that wrote
# the set) describe provenance, not outputs, and are not compared; nor is the
# dedup record's name in a corpus manifest (attributes.sets[dedup].config):
# it fingerprints the clusters file by the document files' sizes and mtimes
# (filters/dedup.c, table_load), and two fetches of the same bytes differ in
# mtime.
outputs_sha() {
    "$PY" - "$1" <<'PYEOF'
import hashlib, json, os, re, subprocess, sys
w = sys.argv[1]
paths = []
for top in ("attributes", "distill", "corpora", "tokens", "model/checkpoints"):
    for root, _, files in os.walk(os.path.join(w, top)):
        paths += [os.path.join(root, f) for f in files if not f.endswith(".record.json")]
def drop_seconds(x):
    if isinstance(x, dict): return {k: drop_seconds(v) for k, v in x.items() if k != "seconds"}
    if isinstance(x, list): return [drop_seconds(v) for v in x]
    return x
for p in sorted(paths):
    rel = os.path.relpath(p, w)
    data = open(p, "rb").read()
    if rel.startswith("attributes/edu_llm/") and p.endswith(".zst"):
        data = re.sub(rb'"latency_ms":[0-9]+,', b"", subprocess.run(["zstd", "-dcq"], input=data, capture_output=True, check=True).stdout)
    elif rel.startswith("corpora/") and rel.endswith("/manifest.json"):
        m = json.loads(data)
        for st in m.get("attributes", {}).get("sets", []):
            if st.get("set") == "dedup": st["config"] = "dedup (clusters fingerprint)"
        data = json.dumps(m, sort_keys=True).encode()
    elif rel.startswith("model/checkpoints/") and rel.endswith(".json"):   # eval.json results
        data = json.dumps(drop_seconds(json.loads(data)), sort_keys=True).encode()
    data = data.replace(os.path.abspath(w).encode(), b"WORK")
    print(hashlib.sha256(data).hexdigest(), rel)
PYEOF
}
