#!/usr/bin/env bash
# generate, export and modelcheck: a stray positional argument is a usage
# error (exit 2) as in train and tokenize (`generate --run R --max-new 5 "The
# water cycle"` exited 0 with an empty prompt).
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

