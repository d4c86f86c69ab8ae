#!/usr/bin/env bash
# --checkpoint means one thing in generate, export and eval
# (run_checkpoint_path): the name of a checkpoint in RUN/checkpoints, with or
# without ".bin"; a path (a name with '/') is bad usage (exit 2) in all
# three (generate and export used to open it, relative to the current
# folder); a name that is not a regular file is an error naming it.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
synthetic_corpus "$TMP/corpus"
R="$TMP/run"
if ! "$BLALM" train --corpus "$TMP/corpus" --model "$root/configs/model-tiny.json" --out "$R" --max-steps 20 \
        --test-words-scale 0.001 --track strict-small -q 2>"$TMP/err" || [ ! -f "$R/checkpoints/chck_1M.bin" ]; then
    fail checkpoint_names "train: $(head -c 300 "$TMP/err")"
    exit 0
fi
D="$TMP/data"; mkdir -p "$D/wug_adj_nominalization"
for r in 0.1 0.7 0.3 0.9 0.5; do
    printf '{"sentences": "the cat %s sat.\\tthe dog %s ran.", "ratio": %s}\n' "$r" "$r" "$r"
done > "$D/wug_adj_nominalization/w.jsonl"

gen() { "$BLALM" generate --run "$R" --prompt "the cat" --max-new 8 --temperature 0 -q "$@"; }
exp() { "$BLALM" export --run "$R" -q "$@"; }
ev() { "$BLALM" eval --run "$R" --data "$D" --tasks wug_adj -q "$@"; }

# NAME and NAME.bin are the same checkpoint, in all three
gen --checkpoint chck_1M >"$TMP/g1" 2>"$TMP/err" && gen --checkpoint chck_1M.bin >"$TMP/g2" 2>>"$TMP/err" \
    && [ -s "$TMP/g1" ] && cmp -s "$TMP/g1" "$TMP/g2" \
    && pass checkpoint_bin_suffix_generate || fail checkpoint_bin_suffix_generate "$(head -c 300 "$TMP/err")"
exp --checkpoint chck_1M --out "$TMP/x1" 2>"$TMP/err" && exp --checkpoint chck_1M.bin --out "$TMP/x2" 2>>"$TMP/err" \
    && cmp -s "$TMP/x1/model.safetensors" "$TMP/x2/model.safetensors" \
    && pass checkpoint_bin_suffix_export || fail checkpoint_bin_suffix_export "$(head -c 300 "$TMP/err")"
if ev --checkpoint chck_1M.bin 2>"$TMP/err" && [ -f "$R/checkpoints/chck_1M.eval.json" ] \
   && [ ! -e "$R/checkpoints/chck_1M.bin.eval.json" ] \
   && "$PY" -c "import json, sys; assert json.load(open(sys.argv[1]))['checkpoint'] == 'chck_1M'" \
        "$R/checkpoints/chck_1M.eval.json"; then
    pass checkpoint_bin_suffix_eval
else fail checkpoint_bin_suffix_eval "$(head -c 300 "$TMP/err")"; fi

# a path is refused by all three, before anything is read: exit 2
cp "$R/checkpoints/chck_1M.bin" "$TMP/elsewhere.bin"
for c in gen exp ev; do
    for p in "$TMP/elsewhere.bin" "../../etc/passwd" "checkpoints/chck_1M"; do
        extra=; [ $c = exp ] && extra="--out $TMP/xp"
        $c --checkpoint "$p" $extra >"$TMP/out" 2>"$TMP/err"; rc=$?
        if [ $rc != 2 ] || ! grep -q "not a path" "$TMP/err"; then
            fail checkpoint_path_refused_$c "--checkpoint $p: rc $rc $(head -c 200 "$TMP/err")"
            continue 2
        fi
    done
    [ ! -e "$TMP/xp" ] && pass checkpoint_path_refused_$c || fail checkpoint_path_refused_$c "export wrote $TMP/xp"
done

# not a regular file, or missing: an error naming RUN/checkpoints/NAME.bin
mkdir "$R/checkpoints/adir.bin"
for c in gen exp ev; do
    extra=; [ $c = exp ] && extra="--out $TMP/xd"
    $c --checkpoint adir $extra >/dev/null 2>"$TMP/err"; rc=$?
    $c --checkpoint nope.bin $extra >/dev/null 2>"$TMP/err2"; rc2=$?
    [ $rc = 1 ] && grep -q "checkpoints/adir.bin: not a regular file" "$TMP/err" \
        && [ $rc2 = 1 ] && grep -q "checkpoints/nope.bin: No such file" "$TMP/err2" \
        && pass checkpoint_not_a_file_$c \
        || fail checkpoint_not_a_file_$c "rc $rc $rc2 $(head -c 200 "$TMP/err") $(head -c 200 "$TMP/err2")"
done

# a checkpoint is read with the tokenizer it was trained with: one copied
# into another run whose tokenizer has as many tokens (the config's
# vocab_size, reached on both corpora) is refused by all three, naming both
# sha256s; it was scored, sampled and exported with other words for its ids
line_corpus "$TMP/other" 5 40
O="$TMP/orun"
if "$BLALM" train --corpus "$TMP/other" --model "$root/configs/model-tiny.json" --out "$O" --max-steps 5 -q \
        2>"$TMP/err" && ! cmp -s "$O/tokenizer.json" "$R/tokenizer.json"; then
    cp "$O/checkpoints/latest.bin" "$R/checkpoints/foreign.bin"
    osha=$(sha256sum "$O/tokenizer.json" | cut -c1-16); rsha=$(sha256sum "$R/tokenizer.json" | cut -c1-16)
    for c in gen exp ev; do
        extra=; [ $c = exp ] && extra="--out $TMP/xf"
        $c --checkpoint foreign $extra >/dev/null 2>"$TMP/err"; rc=$?
        [ $rc = 1 ] && grep -qF "checkpoints/foreign.bin: trained with another tokenizer (sha256 $osha...) than $R/tokenizer.json (sha256 $rsha...)" "$TMP/err" \
            && [ ! -e "$TMP/xf" ] && pass checkpoint_other_tokenizer_refused_$c \
            || fail checkpoint_other_tokenizer_refused_$c "rc $rc $(head -c 300 "$TMP/err")"
    done
    # its own run reads it
    "$BLALM" generate --run "$O" --prompt "the cat" --max-new 4 -q >/dev/null 2>"$TMP/err" \
        && pass checkpoint_own_tokenizer_read || fail checkpoint_own_tokenizer_read "$(head -c 300 "$TMP/err")"
else
    fail checkpoint_other_tokenizer "setup: $(head -c 300 "$TMP/err")"
fi
# a run whose tokenizer.json is cut short is named as a file that does not
# load, not as "trained with another tokenizer" (its hash differs too, and
# export and eval, which check the hash before loading it, said that)
T="$TMP/trun"
mkdir -p "$T" && cp -r "$R/checkpoints" "$R/config.json" "$T/" && head -c 100 "$R/tokenizer.json" >"$T/tokenizer.json"
for c in generate export eval; do
    extra=; [ $c = export ] && extra="--out $TMP/xt"; [ $c = eval ] && extra="--data $D --tasks wug_adj"
    # shellcheck disable=SC2086
    "$BLALM" $c --run "$T" $extra -q >/dev/null 2>"$TMP/err"; rc=$?
    [ $rc = 1 ] && grep -q "$T/tokenizer.json: byte [0-9]*: invalid JSON" "$TMP/err" && ! grep -q "another tokenizer" "$TMP/err" \
        && [ ! -e "$TMP/xt" ] && pass checkpoint_truncated_tokenizer_named_$c \
        || fail checkpoint_truncated_tokenizer_named_$c "rc $rc $(head -c 300 "$TMP/err")"
done
