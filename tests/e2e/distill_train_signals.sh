#!/usr/bin/env bash
# SIGINT and SIGTERM to `blalm distill train` in its reading phase (the
# documents read, repeats skipped by id and text) and in its cross-validation:
# it ends as the signal would (130, 143), the model at --out is the one there
# before (byte for byte) and no temporary is left beside it.
source "$(dirname "$0")/../lib.sh"
W=$TMP/w; mkdir -p "$W/docs/s"
# 60 labelled documents, then 150,000 repeats of their texts under other ids:
# the reading phase skips them, long enough for a signal to land there
"$PY" - "$W/docs/s" <<'PY'
import json, random, sys
rng = random.Random(1)
docs = []
for i in range(60):
    words = " ".join("w%dx%d" % (i % 6, rng.randrange(40)) for _ in range(30))
    docs.append({"id": "a%d" % i, "text": "doc %d %s" % (i, words), "metadata": {"score": i % 6}})
with open(sys.argv[1] + "/a.jsonl", "w") as f:
    for d in docs: f.write(json.dumps(d) + "\n")
with open(sys.argv[1] + "/b.jsonl", "w") as f:
    for k in range(150000):
        d = docs[k % 60]
        f.write(json.dumps({"id": "r%d" % k, "text": d["text"], "metadata": d["metadata"]}) + "\n")
PY

# start_train SIG OUT WORK: train in the background (pid in $pid), SIGINT not
# ignored (a background job of a script ignores it unless it resets it)
start_train() {
    local sig=$1 out=$2 work=$3
    if [ "$sig" = INT ]; then
        "$PY" -c 'import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' \
            $BLALM distill train --work "$work" --label-field score --out "$out" --folds 2 -q 2>"$TMP/err" &
    else
        $BLALM distill train --work "$work" --label-field score --out "$out" --folds 2 -q 2>"$TMP/err" &
    fi
    pid=$!
}
# reading PID FILE: 0 while PID has FILE open
reading() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q -- "$2"; }
# cpu_ticks PID: its user + system CPU time in clock ticks (empty once gone)
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null; }

# expect_stopped NAME SIG OUT: the exit status is 128 + SIG's number, OUT
# is still the old model and its folder holds no temporary
expect_stopped() {
    local name=$1 sig=$2 out=$3 rc
    wait $pid; rc=$?
    local want=$(( 128 + $(kill -l $sig) ))
    local tmps; tmps=$(find "$(dirname "$out")" -name '*.tmp*' | wc -l)
    if [ $rc -eq $want ] && cmp -s "$out" "$TMP/old.bin" && [ "$tmps" = 0 ]; then
        pass "$name"
    else
        fail "$name" "rc=$rc (want $want), $tmps temporaries, --out $(cmp -s "$out" "$TMP/old.bin" && echo kept || echo changed): $(head -c 300 "$TMP/err")"
    fi
}
printf 'an earlier model\n' >"$TMP/old.bin"

for sig in INT TERM; do
    O=$TMP/o$sig; mkdir -p "$O"; cp "$TMP/old.bin" "$O/m.bin"
    start_train $sig "$O/m.bin" "$W"
    for i in $(seq 1000); do reading $pid b.jsonl && break; kill -0 $pid 2>/dev/null || break; sleep 0.01; done
    if reading $pid b.jsonl; then
        kill -$sig $pid
        expect_stopped distill_train_sig${sig,,}_reading $sig "$O/m.bin"
    else
        wait $pid
        fail distill_train_sig${sig,,}_reading "the signal did not land while the repeats were read: $(head -c 300 "$TMP/err")"
    fi
done

# the cross-validation: 1,500 real documents take tens of seconds there
# (--json: seconds_read 0.3, seconds_cv 10.5, seconds_fit 3.0). train prints
# no sign of its phase (-q; nor without it), so the sign taken is its CPU
# time: the documents read (a.jsonl opened, then closed, no file of the
# work directory open) and 1 s of CPU spent since, a third of the way into
# the cross-validation's CPU time. A run that shows neither is skipped.
if need_shared && [ -f "$SHARED_DATA/fineweb-legal.jsonl.zst" ]; then
    R=$TMP/real; mkdir -p "$R/docs/src"
    zstd -dc "$SHARED_DATA/fineweb-legal.jsonl.zst" | head -n 1500 >"$R/docs/src/a.jsonl"
    tck=$(getconf CLK_TCK)
    for sig in TERM INT; do
        O=$TMP/c$sig; mkdir -p "$O"; cp "$TMP/old.bin" "$O/m.bin"
        start_train $sig "$O/m.bin" "$R"
        seen=
        for i in $(seq 1000); do reading $pid a.jsonl && seen=1 && break; kill -0 $pid 2>/dev/null || break; sleep 0.01; done
        for i in $(seq 1000); do reading $pid "$R/" || break; sleep 0.01; done
        t0=$(cpu_ticks $pid); t=$t0
        # up to 60 s of wall time for 1 s of CPU (a loaded machine)
        for i in $(seq 600); do
            t=$(cpu_ticks $pid); [ -n "$t" ] && [ -n "$t0" ] && [ $((t - t0)) -lt "$tck" ] || break
            sleep 0.1
        done
        if ! kill -0 $pid 2>/dev/null; then # ended on its own: an error or a crash fails
            wait $pid; rc=$?
            if [ $rc = 0 ]; then skip distill_train_sig${sig,,}_cv "train finished before the cross-validation could be signalled"
            else fail distill_train_sig${sig,,}_cv "train ended before the signal (exit $rc): $(head -c 300 "$TMP/err")"; fi
        elif [ -z "$seen" ] || reading $pid "$R/" || [ -z "$t" ] || [ -z "$t0" ] || [ $((t - t0)) -lt "$tck" ]; then
            kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
            skip distill_train_sig${sig,,}_cv "the cross-validation was not seen (a.jsonl read: ${seen:-no}; CPU ticks after reading: $((${t:-0} - ${t0:-0})) of $tck)"
        elif kill -$sig $pid 2>/dev/null; then
            expect_stopped distill_train_sig${sig,,}_cv $sig "$O/m.bin"
        else
            wait $pid
            fail distill_train_sig${sig,,}_cv "train ended before the signal: $(head -c 300 "$TMP/err")"
        fi
    done
else
    skip distill_train_sig_cv "../shared/data/fineweb-legal.jsonl.zst not found"
fi
