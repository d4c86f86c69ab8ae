#!/usr/bin/env bash
# generate, export and modelcheck: a stray positional argument is a usage
# error (exit 2) as in train and tokenize (`generate --run R --max-new 5 "The
# water cycle"` exited 0 with an empty prompt); modelcheck --weights refuses a
# safetensors file holding tensors the model does not have (an SWA export
# loaded into a model without SWA dropped 12 tensors silently); export keeps
# a --test-words-scale run marked not BabyLM-compliant and refuses --out RUN.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
C="$TMP/corpus"; line_corpus "$C" 3 60
tiny="$root/configs/model-tiny.json"
R="$TMP/run"
"$BLALM" train --corpus "$C" --model "$tiny" --out "$R" --max-steps 3 --track strict-small \
    --test-words-scale 0.001 -q 2>/dev/null || fail model_io_setup "train failed"

# stray arguments
g=ok
stray() { # NAME ARGS...: exit 2 naming the argument, nothing written
    local n=$1; shift
    "$BLALM" "$@" "The water cycle" >"$TMP/out" 2>"$TMP/err"; local rc=$?
    { [ $rc = 2 ] && grep -qF "$n: unexpected argument 'The water cycle'" "$TMP/err" && [ ! -s "$TMP/out" ]; } \
        || g="$n: rc $rc $(head -c 200 "$TMP/err")"
}
stray generate generate --run "$R" --max-new 5 -q
stray export export --run "$R" --out "$TMP/ex-stray" -q
stray modelcheck modelcheck --model "$tiny" --out "$TMP/mc-stray" -q
[ "$g" = ok ] && [ ! -e "$TMP/ex-stray" ] && [ ! -e "$TMP/mc-stray" ] && pass model_io_stray_arguments \
    || fail model_io_stray_arguments "$g"

# export: the non-compliance marker travels with the weights
"$BLALM" export --run "$R" --out "$TMP/ex" -q 2>"$TMP/err"; rc=$?
[ $rc = 0 ] && "$PY" - "$TMP/ex/config.json" <<'PY' && pass export_keeps_not_compliant || fail export_keeps_not_compliant "rc $rc: $(head -c 300 "$TMP/err")"
import json, sys
c = json.load(open(sys.argv[1]))
assert c.get("babylm_compliant") is False and c.get("test_words_scale") == 0.001, c
PY
# --out the run folder (however spelled): refused, the run's files untouched
sum0=$(cat "$R/config.json" "$R/tokenizer.json" | md5sum)
"$BLALM" export --run "$R" --out "$R/../run/." -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "is the run folder" "$TMP/err" && [ "$(cat "$R/config.json" "$R/tokenizer.json" | md5sum)" = "$sum0" ] \
    && [ ! -e "$R/model.safetensors" ] && pass export_out_is_run_refused || fail export_out_is_run_refused "rc $rc: $(head -c 300 "$TMP/err")"
# --out RUN/checkpoints: the four files beside the checkpoints, nothing of
# the run replaced, and eval still reads the run
sums() { find "$R" -type f ! -name '*.eval*.json' | sort | xargs md5sum; }
sums > "$TMP/sum1"
"$BLALM" export --run "$R" --out "$R/checkpoints" -q 2>"$TMP/err"; rc=$?
sums | grep -v -e '/checkpoints/config.json$' -e '/checkpoints/tokenizer.json$' -e '/checkpoints/tokenizer_config.json$' \
    -e '/checkpoints/model.safetensors$' > "$TMP/sum2"
[ $rc = 0 ] && cmp -s "$TMP/sum1" "$TMP/sum2" && [ -s "$R/checkpoints/model.safetensors" ] \
    && "$BLALM" generate --run "$R" --prompt "the" --max-new 2 --temperature 0 -q >/dev/null 2>>"$TMP/err" \
    && pass export_out_run_checkpoints_safe || fail export_out_run_checkpoints_safe "rc $rc: $(head -c 300 "$TMP/err")"
rm -f "$R/checkpoints/config.json" "$R/checkpoints/tokenizer.json" "$R/checkpoints/tokenizer_config.json" \
    "$R/checkpoints/model.safetensors"

# modelcheck --weights: an export of the model itself loads; one of an SWA
# model into the model without SWA is refused, naming a tensor
"$BLALM" train --corpus "$C" --model "$root/configs/model-tiny-swa.json" --out "$TMP/swa" --max-steps 2 -q 2>/dev/null
# --out another run's folder: refused (its config.json and tokenizer.json
# were replaced by the export's), its files untouched
sum0=$(cd "$TMP/swa" && cat config.json tokenizer.json | md5sum)
"$BLALM" export --run "$R" --out "$TMP/swa" -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "is a run folder (it holds checkpoints/)" "$TMP/err" \
    && [ "$(cd "$TMP/swa" && cat config.json tokenizer.json | md5sum)" = "$sum0" ] && [ ! -e "$TMP/swa/model.safetensors" ] \
    && pass export_out_other_run_refused || fail export_out_other_run_refused "rc $rc: $(head -c 300 "$TMP/err")"
# --out too long: for OUT/checkpoints to be checked (4090 characters), or
# short enough for that but too long for OUT/tokenizer_config.json (4075:
# the folders were made first, 22 of them): refused, nothing made
for case in l:4090:export_out_path_too_long m:4075:export_out_names_too_long_nothing_made; do
    IFS=: read -r top len name <<<"$case"
    long=$("$PY" -c '
import sys
t, n = sys.argv[1], int(sys.argv[2])
while len(t) < n: t += "/" + "a" * min(200, n - len(t) - 1)
print(t)' "$TMP/$top" "$len")
    "$BLALM" export --run "$R" --out "$long" -q 2>"$TMP/err"; rc=$?
    [ $rc = 1 ] && grep -q "path too long" "$TMP/err" && [ ! -e "$TMP/$top" ] \
        && pass "$name" || fail "$name" "rc $rc: $(head -c 300 "$TMP/err" | cut -c1-200)"
done
"$BLALM" export --run "$TMP/swa" --out "$TMP/exswa" -q 2>/dev/null
"$PY" - "$TMP/exswa/config.json" "$TMP/noswa.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
for k in [k for k in c if k.startswith("swa_")] + ["format"]: c.pop(k, None)
json.dump(c, open(sys.argv[2], "w"))
PY
"$BLALM" modelcheck --model "$TMP/exswa/config.json" --weights "$TMP/exswa/model.safetensors" --out "$TMP/mc-ok" \
    --steps 1 -q 2>"$TMP/err" && pass modelcheck_weights_same_model || fail modelcheck_weights_same_model "$(head -c 300 "$TMP/err")"
"$BLALM" modelcheck --model "$TMP/noswa.json" --weights "$TMP/exswa/model.safetensors" --out "$TMP/mc-bad" \
    --steps 1 -q 2>"$TMP/err"; rc=$?
[ $rc = 1 ] && grep -q "tensor layers\.[0-9]*\.mixer\.swa_[a-z_]*\.weight (and [0-9]* more) is not one of this model's" "$TMP/err" \
    && pass modelcheck_weights_foreign_tensors || fail modelcheck_weights_foreign_tensors "rc $rc: $(head -c 300 "$TMP/err")"

# the export's safetensors, read from the format's specification alone (struct,
# json, numpy): u64 LE header length, a multiple of 8, the JSON padded with
# spaces; __metadata__ string to string; names once; F32 tensors tiling the
# data in header order; their floats are the checkpoint's parameters, bit for bit
if ! "$PY" -c "import numpy" 2>/dev/null; then skip export_safetensors_spec "python3-numpy missing"; else
for r in "$R" "$TMP/swa"; do
    t=export_safetensors_spec_$(basename "$r")   # one name for PASS and FAIL
    "$BLALM" export --run "$r" --out "$TMP/exspec" -q 2>"$TMP/err" || { fail "$t" "export: $(head -c 300 "$TMP/err")"; continue; }
    "$PY" - "$TMP/exspec/model.safetensors" "$r/checkpoints/latest.bin" <<'PY' && pass "$t" || fail "$t" "$r"
import json, struct, sys
import numpy as np
b = open(sys.argv[1], "rb").read()
n, = struct.unpack("<Q", b[:8])
assert n % 8 == 0 and b[8:9] == b"{", n
hb = b[8:8 + n]
assert hb.rstrip(b" ").endswith(b"}") and len(hb) - len(hb.rstrip(b" ")) < 8
pairs = json.loads(hb.decode("utf-8"), object_pairs_hook=lambda p: p)
names = [k for k, _ in pairs]
assert len(names) == len(set(names)), "a name twice"
h = {k: dict(v) if isinstance(v, list) else v for k, v in pairs}
meta = h.pop("__metadata__")
assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()), meta
data, at, flat = b[8 + n:], 0, []
for name, t in h.items():
    assert set(t) == {"dtype", "shape", "data_offsets"} and t["dtype"] == "F32", (name, t)
    s, e = t["data_offsets"]
    assert s == at and e - s == 4 * int(np.prod(t["shape"])), (name, t, at)
    flat.append(np.frombuffer(data[s:e], "<u4"))
    at = e
assert at == len(data), (at, len(data))
c = open(sys.argv[2], "rb").read()
hl, = struct.unpack("<Q", c[16:24])
np_, = struct.unpack("<Q", c[24 + hl:32 + hl])
params = np.frombuffer(c[32 + hl:32 + hl + 4 * np_], "<u4")
assert np.array_equal(params, np.concatenate(flat)), "the floats are not the checkpoint's"
PY
done
fi
