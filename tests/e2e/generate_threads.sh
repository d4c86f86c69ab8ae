#!/usr/bin/env bash
# blalm generate: --samples N in order, sample 1 the single sample of the same
# seed, sample i the single sample of seed + i - 1, the same output for any
# --threads; --top-p restricts (1 = off, the default output); bad flags (a
# temperature of nan, inf or "" too) fail.
source "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
C="$TMP/c"
synthetic_corpus "$C"
R="$TMP/run"
if ! "$BLALM" train --corpus "$C" --model "$root/configs/model-tiny.json" --out "$R" --max-steps 20 -q 2>"$TMP/err"; then
    fail generate_setup "$(head -c 300 "$TMP/err")"; exit 0
fi
gen() { "$BLALM" generate --run "$R" --prompt "the cat" --max-new 24 -q "$@"; }
gen --seed 7 --samples 4 --threads 1 >"$TMP/t1" 2>"$TMP/err1"
gen --seed 7 --samples 4 --threads 3 >"$TMP/t3" 2>"$TMP/err3"
if [ -s "$TMP/t1" ] && cmp -s "$TMP/t1" "$TMP/t3"; then pass generate_threads_same_output
else fail generate_threads_same_output "$(cat "$TMP/err1" "$TMP/err3"; diff "$TMP/t1" "$TMP/t3" | head -5)"; fi
[ "$(grep -ac '^=== sample [1-4] (seed [0-9]*) ===$' "$TMP/t1")" = 4 ] && pass generate_samples_headed ||
    fail generate_samples_headed "$(head -c 300 "$TMP/t1")"
# sample i is the single sample of seed 7 + i - 1
ok=1
for i in 1 2 3 4; do
    want=$(gen --seed $((6 + i)))
    got=$(awk -v h="=== sample $i (seed $((6 + i))) ===" '$0 == h { on = 1; next } /^=== sample / { on = 0 } on' "$TMP/t1")
    [ "$want" = "$got" ] || { ok=0; fail generate_sample_is_its_seed "sample $i: '$got' vs '$want'"; }
done
[ $ok = 1 ] && pass generate_sample_is_its_seed
# the samples differ (the seeds matter)
[ "$(grep -av '^===' "$TMP/t1" | LC_ALL=C sort -u | wc -l)" -gt 1 ] && pass generate_samples_differ ||
    fail generate_samples_differ "$(cat "$TMP/t1")"
# --top-p 1 is the default; a tiny top-p is greedy
[ "$(gen --seed 3 --top-p 1)" = "$(gen --seed 3)" ] && pass generate_top_p_one_is_off || fail generate_top_p_one_is_off "differs"
[ "$(gen --seed 3 --top-p 0.000001)" = "$(gen --seed 9 --temperature 0)" ] && pass generate_top_p_tiny_is_greedy ||
    fail generate_top_p_tiny_is_greedy "$(gen --seed 3 --top-p 0.000001)"
ok=1
for bad in "--top-p 0" "--top-p 1.5" "--samples 0" "--threads 0" "--timing --samples 2"; do
    # shellcheck disable=SC2086
    gen $bad >/dev/null 2>&1; rc=$?
    [ $rc = 2 ] || { ok=0; fail generate_bad_flags "'$bad' exit $rc"; }
done
[ $ok = 1 ] && pass generate_bad_flags
# a temperature that is not a finite number >= 0 is refused like -1 (exit 2,
# naming the option), not read as 0 (greedy) or sampled from with NaN
ok=1
for bad in nan NaN inf -inf infinity "" " " -1 1x 0.8.1 0x10 " 1" "1 " 0x1p3; do
    gen --temperature "$bad" >/dev/null 2>"$TMP/err"; rc=$?
    { [ $rc = 2 ] && grep -q -- "--temperature wants a finite number >= 0" "$TMP/err"; } ||
        { ok=0; fail generate_bad_temperature "'$bad' exit $rc: $(head -c 200 "$TMP/err")"; }
done
for bad in nan inf "" -1; do
    gen --top-p "$bad" >/dev/null 2>&1; rc=$?
    [ $rc = 2 ] || { ok=0; fail generate_bad_temperature "--top-p '$bad' exit $rc"; }
done
[ $ok = 1 ] && pass generate_bad_temperature
# --seed takes any 64-bit integer, whole (before, anything over 100,000,000 was
# "bad number"): seed 2^32+1 is not seed 1, and sample 2 of seed 2^64-1 is seed 0
# (mod 2^64); --max-new and --top-k state their range
ok=1
big=$(gen --seed 1234567890 2>"$TMP/err"); rc=$?
[ $rc = 0 ] && [ -n "$big" ] || { ok=0; fail generate_seed_range "--seed 1234567890 exit $rc: $(head -c 200 "$TMP/err")"; }
[ "$(gen --seed 4294967297)" != "$(gen --seed 1)" ] || { ok=0; fail generate_seed_range "seed 2^32+1 samples as seed 1"; }
gen --seed 18446744073709551615 --samples 2 >"$TMP/wrap" 2>"$TMP/err"
grep -q '^=== sample 2 (seed 0) ===$' "$TMP/wrap" &&
    [ "$(awk '$0 == "=== sample 2 (seed 0) ===" { on = 1; next } on' "$TMP/wrap")" = "$(gen --seed 0)" ] ||
    { ok=0; fail generate_seed_range "seed 2^64-1 + 1: $(head -c 300 "$TMP/wrap" "$TMP/err")"; }
gen --seed 18446744073709551616 >/dev/null 2>"$TMP/err"; rc=$?
{ [ $rc = 2 ] && grep -q -- "--seed wants an integer in 0..18446744073709551615, not '18446744073709551616'" "$TMP/err"; } ||
    { ok=0; fail generate_seed_range "2^64 exit $rc: $(head -c 200 "$TMP/err")"; }
for o in max-new top-k; do
    gen --$o 100000001 >/dev/null 2>"$TMP/err"; rc=$?
    { [ $rc = 2 ] && grep -q -- "--$o wants a count in 0..100000000, not '100000001'" "$TMP/err"; } ||
        { ok=0; fail generate_seed_range "--$o 100000001 exit $rc: $(head -c 200 "$TMP/err")"; }
done
[ $ok = 1 ] && pass generate_seed_range
# --help says --max-new is an upper bound: a sample ends at end-of-text
"$BLALM" generate --help | grep -A1 -- "--max-new N" | grep -q "stops earlier" && pass generate_help_max_new ||
    fail generate_help_max_new "$("$BLALM" generate --help | grep -A1 -- --max-new)"
# the output is UTF-8 whatever the byte-level tokens drawn: bytes that are not
# UTF-8 print as U+FFFD, one per maximal invalid subpart (the Hugging Face
# decode; Python's errors="replace"). A flat distribution over the 256 byte
# tokens draws stray continuation and lead bytes at once; a prompt ending
# inside a character prints that part as one U+FFFD. Before, the raw bytes
# went to stdout and a UTF-8 reader of it failed.
gen --temperature 1e30 --top-k 0 --max-new 200 --samples 3 --seed 5 >"$TMP/flat" 2>"$TMP/err"; rc=$?
"$BLALM" generate --run "$R" --prompt "$(printf 'caf\303')" --max-new 0 -q >"$TMP/cut" 2>>"$TMP/err"
if [ $rc = 0 ] && "$PY" - "$TMP/flat" "$TMP/cut" <<'PY'
import sys
flat = open(sys.argv[1], "rb").read().decode("utf-8")   # raises on any invalid byte
assert "\ufffd" in flat and flat.count("=== sample") == 3, flat[:200]
assert open(sys.argv[2], "rb").read() == "caf\ufffd\n".encode(), open(sys.argv[2], "rb").read()
PY
then pass generate_output_utf8
else fail generate_output_utf8 "exit $rc: $(head -c 200 "$TMP/err")"; fi
# an attention model keeps the keys and values of every position, allocated
# up front for the prompt and --max-new: when that does not fit, the error
# says so and names --max-new (it said only "out of memory for a sample's
# state"). 10^8 positions of the tiny Transformer are 48 GiB: refused on a
# machine with less memory (or under ASAN, told to return NULL); where the
# allocation succeeds (lazily), the case has nothing to check.
RA="$TMP/run_att"
if "$BLALM" train --corpus "$C" --model "$root/configs/model-tiny-transformer.json" --out "$RA" --max-steps 2 -q \
        2>"$TMP/err"; then
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1" \
        timeout 60 "$BLALM" generate --run "$RA" --max-new 100000000 --temperature 0 -q >/dev/null 2>"$TMP/err"; rc=$?
    # (where it succeeds, the sample may run long: a minute is enough to know)
    if [ $rc = 0 ] || [ $rc = 124 ]; then skip generate_attention_state_names_max_new "the 48 GiB allocation succeeded here"
    elif [ $rc = 1 ] && grep -q "keys and values of all 100000001 positions (prompt + --max-new 100000000)" "$TMP/err"; then
        pass generate_attention_state_names_max_new
    else fail generate_attention_state_names_max_new "rc $rc: $(head -c 300 "$TMP/err")"; fi
else
    fail generate_attention_state_names_max_new "train: $(head -c 300 "$TMP/err")"
fi
# --timing generates to position 4111 itself: --max-new is refused (it was
# raised to 4100 silently, which timed 21 of the 32 tokens around 4096), and
# so is a prompt that leaves no generated tokens around position 128 (it
# printed ms_per_token_at_128 0 and ratio inf); a short prompt is timed
"$BLALM" generate --run "$R" --timing --max-new 5 >"$TMP/tm1" 2>"$TMP/err1"; rc1=$?
long=$(yes 'the cat sat on the mat' | head -60 | tr '\n' ' ')
"$BLALM" generate --run "$R" --timing --prompt "$long" >"$TMP/tm2" 2>"$TMP/err2"; rc2=$?
"$BLALM" generate --run "$R" --timing --prompt "the cat" --temperature 0 >"$TMP/tm3" 2>"$TMP/err3"; rc3=$?
[ $rc1 = 2 ] && grep -q "generate: --timing generates the tokens up to position 4111 itself; --max-new does not apply" "$TMP/err1" \
    && [ $rc2 = 2 ] && grep -q "generate: --timing: the prompt is [0-9]* tokens; at most 111 " "$TMP/err2" \
    && [ $rc3 = 0 ] && grep -qE '^\{"mixer":"mlstm","ms_per_token_at_128":[0-9.]+,"ms_per_token_at_4096":[0-9.]+,"ratio":[0-9.]+,"sample_ms":[0-9.]+\}$' "$TMP/tm3" \
    && ! grep -q '"ms_per_token_at_128":0.0000' "$TMP/tm3" \
    && pass generate_timing_args \
    || fail generate_timing_args "rc $rc1 $rc2 $rc3: $(cat "$TMP/tm1" "$TMP/tm2" "$TMP/tm3" | head -c 200) $(head -c 200 "$TMP/err1" "$TMP/err2")"
