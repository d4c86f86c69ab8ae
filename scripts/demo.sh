#!/usr/bin/env bash
# The offline end-to-end job, every stage for real on this machine, as
# `blalm run configs/demo.json`: fetch (from a loopback Hub stand-in) -> tag ->
# dedup -> score (through a loopback OpenAI-compatible stand-in) -> assemble
# (+ verify) -> tokenizer -> tokenize -> train (a small BLaLM) -> eval (when
# ../shared/data/babylm-eval is there) -> report; then audit, generate and a
# summary.
# Input: the real FineWeb parquet files of ../shared/data when present, else
# documentation that Debian ships (as .jsonl.zst). No step depends on which
# input was chosen or on its file format. The two services are stand-ins
# started from tests/peers/ and say so; point HF_ENDPOINT / OPENAI_BASE_URL at
# real ones for the real job (see README.md).
# Every process the demo starts is stopped when it ends, also on an error,
# SIGINT or SIGTERM: each command runs in the background and is waited for,
# so a signal reaches the trap at once and the trap stops it and the peers.
# After a SIGKILL (no trap runs) the peers exit by themselves (--parent-pid)
# and the next demo stops the command that was running (WORK/demo.pids).
set -euo pipefail
BLALM=${BLALM_BIN:-bin/blalm}
root=$(cd "$(dirname "$0")/.." && pwd)
PY=/usr/bin/python3
WORK=${DEMO_WORK:-$root/.work/demo}
OUT=$WORK/corpora
RUN=$WORK/model

pids=()      # the peers, for the life of the demo
child=       # the command being waited for
cleanup() {
    local p
    # and every job of this shell: a signal that comes between a command's
    # start and `child=$!` (or `pids+=`) would otherwise leave it running
    for p in $child "${pids[@]}" $(jobs -p); do kill -TERM "$p" 2>/dev/null || true; done
    for p in $child "${pids[@]}" $(jobs -p); do wait "$p" 2>/dev/null || true; done
    child=; pids=()
}
trap cleanup EXIT
trap 'echo "demo: interrupted" >&2; cleanup; trap - EXIT; exit 130' INT
trap 'echo "demo: terminated" >&2; cleanup; trap - EXIT; exit 143' TERM
trap 'echo "demo: hangup" >&2; cleanup; trap - EXIT; exit 129' HUP
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
export no_proxy=127.0.0.1 NO_PROXY=127.0.0.1

step() {
    if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then printf '\n\033[1m== demo: %s\033[0m\n' "$*"; else printf '\n== demo: %s\n' "$*"; fi
}
# run CMD...: runs it as a waited-for child (a trapped signal interrupts `wait`,
# not a foreground command); its exit status is the function's.
run() {
    "$@" <&0 &   # explicit: a background job would otherwise read /dev/null
    child=$!
    echo "$child" >>"$WORK/demo.pids"
    local rc=0
    wait "$child" || rc=$?
    child=
    return $rc
}
# start_peer NAME VAR ARGS...: starts tests/peers/NAME, sets VAR to its port.
start_peer() {
    local name=$1 var=$2; shift 2
    # --parent-pid: the peer exits by itself if the demo is SIGKILLed (no trap runs then)
    "$PY" "$root/tests/peers/$name" --parent-pid $$ "$@" >"$WORK/$name.port" 2>"$WORK/$name.log" &
    pids+=($!)
    echo "$!" >>"$WORK/demo.pids"
    local i
    for i in $(seq 200); do [ -s "$WORK/$name.port" ] && break; sleep 0.05; done
    [ -s "$WORK/$name.port" ] || { echo "demo: $name did not start; see $WORK/$name.log" >&2; return 1; }
    printf -v "$var" '%s' "$(head -1 "$WORK/$name.port")"
}

# A demo killed with SIGKILL ran no trap: its command may still be running
# (its peers exit by themselves); stop what it recorded before reusing WORK,
# only processes still running from this checkout (a pid can be reused).
# They must be gone before WORK is removed: one still writing would write
# into the new WORK. SIGTERM, up to 10 s to finish, then SIGKILL.
ours() {   # ours PID: PID still runs (not a zombie) a command of this checkout's demo
    [ -r "/proc/$1/cmdline" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF -e "$root/tests/peers/" -e "$WORK"
}
if [ -f "$WORK/demo.pids" ]; then
    old=()
    while read -r p; do
        if ours "$p"; then kill -TERM "$p" 2>/dev/null || true; old+=("$p"); fi
    done <"$WORK/demo.pids"
    for _ in $(seq 100); do
        left=()
        for p in "${old[@]}"; do ours "$p" && left+=("$p"); done
        [ ${#left[@]} = 0 ] && break
        sleep 0.1
    done
    for p in "${left[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    # a killed process can take a moment to go (a sanitizer build unmaps a lot)
    for _ in $(seq 100); do
        gone=1
        for p in "${left[@]}"; do ours "$p" && gone=0; done
        [ $gone = 1 ] && break
        sleep 0.1
    done
fi
rm -rf "$WORK"; mkdir -p "$WORK/repo/sample/10BT"
shared=$root/../shared/data
if [ -d "$shared/fineweb-legal" ]; then
    step "input: 58 real FineWeb parquet files (pyarrow, 5,800 rows) from ../shared/data"
    cp "$shared"/fineweb-legal/*.parquet "$WORK/repo/sample/10BT/"
    reasoning=(--data "$shared/fineweb-legal.jsonl.zst")
else
    step "input: text files under /usr/share/doc, the first 40 MB in path order but changelogs and copyright files (../shared/data not found)"
    run "$PY" "$root/scripts/usr-share-doc.py" "$WORK/repo/sample/10BT/usr-share-doc.jsonl"
    run zstd -q --rm "$WORK/repo/sample/10BT/usr-share-doc.jsonl"
    reasoning=()
fi

step "run: blalm run configs/demo.json -- every stage in one process, resumable"
echo "   fetch from a loopback Hugging Face Hub stand-in (tests/peers/hub.py), tag, dedup,"
echo "   score through a loopback OpenAI-compatible STAND-IN (tests/peers/openai.py, not a model),"
echo "   assemble with budgets SCALED DOWN for the demo (1M and 100k words, not BabyLM's 100M and 10M),"
echo "   tokenizer, tokenize, a few minutes of BLaLM (mLSTM) training, zero-shot eval, report"
start_peer hub.py hub_port --root "$WORK/repo"
start_peer openai.py llm_port --latency 0.005 --log "$WORK/openai-requests.jsonl" "${reasoning[@]}"
export HF_ENDPOINT="http://127.0.0.1:$hub_port"
# the stand-in wants no token: not the user's (HF_TOKEN, or the one `hf auth
# login` saved, which fetch reads when HF_TOKEN is unset)
unset HF_TOKEN HUGGING_FACE_HUB_TOKEN
export HF_HUB_DISABLE_IMPLICIT_TOKEN=1
export OPENAI_BASE_URL="http://127.0.0.1:$llm_port/v1"
export OPENAI_API_KEY=demo-key-not-secret
run "$BLALM" run "$root/configs/demo.json" --work "$WORK" --dry-run
run "$BLALM" run "$root/configs/demo.json" --work "$WORK"

step "audit: the fate of one document, and every document as parquet"
# the first document the small corpus kept (its index is the same whatever the input format)
run zstd -dcq "$OUT/strict-small/documents.jsonl.zst" -o "$WORK/kept.jsonl"
id=$("$PY" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["id"])' "$WORK/kept.jsonl")
run "$BLALM" audit --work "$WORK" "$id" >"$WORK/audit.txt"
sed -n 1,40p "$WORK/audit.txt"
run "$BLALM" audit --work "$WORK" --export "$WORK/audit.parquet"
run "$BLALM" generate --run "$RUN" --prompt "The students learned" --max-new 30
docs=()   # the document files fetch wrote, whatever their format (the .meta files are fetch's own)
while IFS= read -r -d '' f; do docs+=("$f"); done < <(find -L "$WORK/docs" -type f ! -name '*.meta' ! -name '.*' -print0 | sort -z)
run "$BLALM" count -q --json "${docs[@]}" >"$WORK/count.json"

step "summary"
run "$PY" - "$WORK" "$OUT" "$RUN" "${#docs[@]}" <<'PYEOF'
import json, math, os, sys
work, out, run, files = sys.argv[1:4] + [int(sys.argv[4])]
def load(p):
    with open(p) as f: return json.load(f)
tot = [json.loads(l) for l in open(os.path.join(work, "count.json")) if l.strip()][-1]   # the last line: the total
score = load(os.path.join(work, "stats", "score.json"))
model = score.get("model", "?")
print(f"documents in:   {tot['docs']:,} ({tot['words']:,} words) in {files} file(s)")
print(f"LLM scores:     {score.get('scored', 0):,} documents scored by '{model}'"
      + (" -- a STAND-IN endpoint (tests/peers/openai.py), not a model" if 'stand-in' in model or '127.0.0.1' in os.environ.get('OPENAI_BASE_URL', '') else ""))
for c in sorted(os.listdir(out)):
    mp = os.path.join(out, c, "manifest.json")
    if not os.path.exists(mp): continue
    m = load(mp)
    dev = m.get("dev") or {}
    print(f"corpus {c:<12} {m['words']:>10,} / {m['budget']:,} train words ({100*m['words']/m['budget']:.1f}%), "
          f"{m['documents']:,} documents kept + {dev.get('documents', 0):,} dev; budget scaled down for the demo (track {m.get('track')})")
ppl = None
with open(os.path.join(run, "log.jsonl")) as f:
    for line in f:
        r = json.loads(line)
        if "dev_ppl" in r: ppl = r
if ppl: print(f"dev perplexity: {ppl['dev_ppl']:.2f} per token (dev loss {ppl['dev_loss']:.4f}) after {ppl['step']} steps of a tiny model")
ev = os.path.join(run, "checkpoints", "latest.eval_fast.json")   # blalm eval --fast names it so
if os.path.exists(ev):
    for t, r in load(ev).get("tasks", {}).items():
        if isinstance(r, dict) and "score" in r: print(f"zero-shot {t}: {r['score']:.2f} (fast set)")
else:
    print("zero-shot eval: skipped (../shared/data/babylm-eval not found)")
report = os.path.join(work, "report.html")
print("outputs:")
for what, p in [("documents", os.path.join(work, "docs")), ("attributes", os.path.join(work, "attributes")),
                ("corpora", out), ("audit table", os.path.join(work, "audit.parquet")), ("model run", run),
                ("report", report if os.path.exists(report) else "(not built by this blalm)")]:
    print(f"  {what:<12} {p}")
PYEOF
