#!/usr/bin/env bash
# The blalm entry point: help, version, unknown commands and flags.
source "$(dirname "$0")/../lib.sh"

out=$("$BLALM" --help); rc=$?
[ $rc -eq 0 ] && grep -q 'commands:' <<<"$out" && grep -q ' cat ' <<<"$out" && grep -q ' count ' <<<"$out" \
    && pass cli_help_lists_commands || fail cli_help_lists_commands "rc=$rc: $out"

"$BLALM" --version | grep -Eq '^blalm [0-9]+\.[0-9]+\.[0-9]+$' && pass cli_version || fail cli_version "bad --version"

"$BLALM" frobnicate >/dev/null 2>"$TMP/err"; rc=$?
[ $rc -eq 2 ] && grep -q "'frobnicate' is not a blalm command" "$TMP/err" && grep -q usage "$TMP/err" \
    && pass cli_unknown_command_exit2 || fail cli_unknown_command_exit2 "rc=$rc"

"$BLALM" >/dev/null 2>&1; [ $? -eq 2 ] && pass cli_no_command_exit2 || fail cli_no_command_exit2 "want 2"

# every subcommand has --help (exit 0, usage on stdout) and rejects unknown flags with 2
for c in $("$BLALM" --help | awk '/^commands:/{f=1;next} f&&/^  [a-z]/{print $1} /^$/&&f>1{exit} f{f++}'); do
    "$BLALM" "$c" --help >"$TMP/h" 2>&1; rc=$?
    [ $rc -eq 0 ] && grep -q "usage: blalm $c" "$TMP/h" && pass "cli_${c}_help" || fail "cli_${c}_help" "rc=$rc"
    "$BLALM" "$c" -h >"$TMP/h2" 2>&1; rc=$?
    [ $rc -eq 0 ] && cmp -s "$TMP/h" "$TMP/h2" && pass "cli_${c}_short_help" || fail "cli_${c}_short_help" "rc=$rc"
    "$BLALM" "$c" --no-such-flag >/dev/null 2>"$TMP/e"; rc=$?
    [ $rc -eq 2 ] && grep -q usage "$TMP/e" && pass "cli_${c}_unknown_flag" || fail "cli_${c}_unknown_flag" "rc=$rc"
    # the message, the synopsis and a pointer to --help: not the whole help,
    # which would scroll the message off the screen
    [ "$(head -1 "$TMP/e" | cut -c1-7)" = "blalm: " ] && [ "$(wc -l <"$TMP/e")" -le 12 ] &&
      [ "$(tail -1 "$TMP/e")" = "Run 'blalm $c --help' for every option." ] &&
      pass "cli_${c}_usage_error_short" || fail "cli_${c}_usage_error_short" "$(wc -l <"$TMP/e") lines: $(head -c 200 "$TMP/e")"
    # an option without its value, or with one it does not take, is named as
    # such (eval, ablate and distill said "unknown option '--run'")
    sub=(); case $c in distill|tokenizer) sub=(train);; esac
    "$BLALM" "$c" "${sub[@]}" --help=1 >/dev/null 2>"$TMP/e"; rc=$?
    [ $rc -eq 2 ] && grep -qF "blalm: $c: option '--help' takes no value" "$TMP/e" \
      && pass "cli_${c}_value_not_taken" || fail "cli_${c}_value_not_taken" "rc=$rc: $(head -1 "$TMP/e")"
    o=$(grep -oE -- '--[a-z][a-z0-9-]* [A-Za-z]' "$TMP/h" | head -1 | cut -d' ' -f1)
    "$BLALM" "$c" "${sub[@]}" "$o" >/dev/null 2>"$TMP/e"; rc=$?
    [ -n "$o" ] && [ $rc -eq 2 ] && grep -qF "blalm: $c: option '$o' needs a value" "$TMP/e" \
      && pass "cli_${c}_missing_value" || fail "cli_${c}_missing_value" "'$o' rc=$rc: $(head -1 "$TMP/e")"
    # an option is not another option's value: "--out --dry-run" ran with
    # --dry-run as the folder (getopt takes the next argument); now refused,
    # naming both, with the "--out=VALUE" form for a value that starts with '-'
    ov=ok
    for v in --help -h -qh --; do
        [ "$c" = cat ] && [ "$v" = -qh ] && continue   # cat has no -q
        (cd "$TMP" && "$BLALM" "$c" "${sub[@]}" "$o" "$v") >/dev/null 2>"$TMP/e"; rc=$?
        { [ $rc -eq 2 ] && grep -qF -- "blalm: $c: option '$o' needs a value, and '$v' after it is an option, not a value (a value that starts with '-': $o=$v)" "$TMP/e" \
            && [ ! -e "$TMP/$v" ]; } || { ov="'$o' '$v' rc=$rc: $(head -1 "$TMP/e")"; break; }
    done
    [ -n "$o" ] && [ "$ov" = ok ] && pass "cli_${c}_option_not_a_value" || fail "cli_${c}_option_not_a_value" "$ov"
done
# --help of every command and subcommand: exit 0, on stdout alone (stderr
# empty), and it lists --help among its options (verify's did not)
hs=ok
for c in $("$BLALM" --help | awk '/^commands:/{f=1;next} f&&/^  [a-z]/{print $1} /^$/&&f>1{exit} f{f++}') \
         "distill train" "distill score" "distill eval" "tokenizer train" "tokenizer encode" "tokenizer decode"; do
    # shellcheck disable=SC2086  # $c is a command and its subcommand
    "$BLALM" $c --help >"$TMP/h" 2>"$TMP/e"; rc=$?
    { [ $rc -eq 0 ] && [ -s "$TMP/h" ] && [ ! -s "$TMP/e" ] && grep -q -- '--help' "$TMP/h"; } \
        || { hs="$c: rc=$rc, $(wc -c <"$TMP/h") bytes out, $(wc -c <"$TMP/e") err, --help listed: $(grep -c -- '--help' "$TMP/h")"; break; }
done
[ "$hs" = ok ] && pass cli_help_on_stdout_lists_help || fail cli_help_on_stdout_lists_help "$hs"

# issue 20, defect 15: an option error says what was wrong with which option
opt_err() { # name expected-text args...
    local name=$1 want=$2; shift 2
    "$BLALM" "$@" >/dev/null 2>"$TMP/oe"; local rc=$?
    [ $rc -eq 2 ] && grep -qF -- "$want" "$TMP/oe" && pass "$name" || fail "$name" "rc=$rc: $(head -3 "$TMP/oe")"
}
opt_err cli_missing_value_tag "tag: option '--work' needs a value" tag --work
opt_err cli_missing_value_dedup "dedup: option '--work' needs a value" dedup --work
opt_err cli_missing_value_assemble "assemble: option '--config' needs a value" assemble --work w --config
opt_err cli_missing_value_score "score: option '--endpoint' needs a value" score --endpoint
opt_err cli_missing_value_tokenizer "tokenizer: option '--vocab' needs a value" tokenizer train --vocab
opt_err cli_unknown_option_named "count: unknown option '--no-such-flag'" count --no-such-flag
opt_err cli_value_not_taken "count: option '--quiet' takes no value" count --quiet=yes
opt_err cli_missing_value_eval "eval: option '--run' needs a value" eval --run
opt_err cli_missing_value_ablate "ablate: option '--out' needs a value" ablate --out
opt_err cli_missing_value_distill "distill: option '--work' needs a value" distill train --work
opt_err cli_value_not_taken_eval "eval: option '--json' takes no value" eval --json=1
opt_err cli_value_not_taken_distill "distill: option '--force' takes no value" distill score --force=1
opt_err cli_value_not_taken_ablate "ablate: option '--eval-full' takes no value" ablate --eval-full=1
opt_err cli_dedup_bands_zero "dedup: --bands '0': expected an integer from 1 to" dedup --work w --bands 0
opt_err cli_assemble_mem_overflow "assemble: --mem: '99999999999G' is too large" assemble --work w --out o --mem 99999999999G
opt_err cli_assemble_mem_not_size "assemble: --mem: expected a size in bytes such as 256M" assemble --work w --out o --mem lots
opt_err cli_assemble_mem_small "assemble: --mem: expected a size of at least 64k" assemble --work w --out o --mem 1k

# BLALM_EVAL_DATA set but empty is unset, as for ablate (eval looked up the
# folder "": "blalm eval: : no such folder", exit 1); an empty --data is a
# usage error
BLALM_EVAL_DATA= "$BLALM" eval --run "$TMP/nowhere" >/dev/null 2>"$TMP/oe"; rc=$?
[ $rc -eq 2 ] && grep -qF "eval: --data DIR is required (or set BLALM_EVAL_DATA)" "$TMP/oe" \
    && pass cli_eval_empty_data_env || fail cli_eval_empty_data_env "rc=$rc: $(head -1 "$TMP/oe")"
BLALM_EVAL_DATA= "$BLALM" eval --aoa-score "$TMP/s.json" >/dev/null 2>"$TMP/oe"; rc=$?
[ $rc -eq 2 ] && grep -qF "eval: --aoa-score needs --data DIR (or BLALM_EVAL_DATA)" "$TMP/oe" \
    && pass cli_eval_aoa_empty_data_env || fail cli_eval_aoa_empty_data_env "rc=$rc: $(head -1 "$TMP/oe")"
opt_err cli_eval_empty_data "eval: --data wants a folder, not ''" eval --run "$TMP/nowhere" --data ''

# the real-number options of score, dedup, distill and train take a plain
# decimal, as generate's do (strtod took hex, " 1", "1," and inf)
for v in 0x1 " 1" "1 " inf nan 0x1p-1 ""; do
    opt_err "cli_real_score_temperature_$(printf %s "$v" | od -An -tx1 | tr -d ' \n')" \
        "--temperature wants a number" score --work "$TMP/rw" --temperature "$v"
    opt_err "cli_real_dedup_verify_$(printf %s "$v" | od -An -tx1 | tr -d ' \n')" \
        "--verify-jaccard '$v': expected a number" dedup --work "$TMP/rw" --verify-jaccard "$v"
    opt_err "cli_real_train_scale_$(printf %s "$v" | od -An -tx1 | tr -d ' \n')" \
        "--test-words-scale must be a number" train --test-words-scale "$v"
    opt_err "cli_real_distill_weight_$(printf %s "$v" | od -An -tx1 | tr -d ' \n')" \
        "--emb-weight wants a number" distill train --emb-weight "$v"
done
for v in 1,0x2 "1," ",1" "1,,2" " 1" inf "1,nan" 1e999; do
    opt_err "cli_real_distill_lambda_$(printf %s "$v" | od -An -tx1 | tr -d ' \n')" \
        "--lambda wants positive numbers" distill train --work "$TMP/rw" --label-field score --out "$TMP/rm" --lambda "$v"
done
# ablate's counts say their range, as the other commands' do (0 and junk
# were "expects a positive number", 5000 threads "a count in 1..4096")
for v in 0 x 5000; do
    opt_err "cli_ablate_threads_range_$v" "ablate: --threads wants a count in 1..4096, not '$v'" ablate --threads "$v"
done
for v in 0 x 1.5x; do
    opt_err "cli_ablate_tokens_range_$v" "ablate: --tokens wants a count >= 1 (k/M/G suffixes), not '$v'" ablate --tokens "$v"
done
# a count past 64 bits is too large, not "< 1"
for v in 99999999999999999999 99999999999G; do
    opt_err "cli_ablate_tokens_too_large_$v" "ablate: --tokens '$v' is too large (a count up to 2^64 - 1)" ablate --tokens "$v"
done
for v in 0 x 1000001 0-2; do
    opt_err "cli_ablate_seeds_range_$v" "ablate: --seeds expects N or FIRST-LAST (1 <= FIRST <= LAST <= 1000000), got '$v'" ablate --seeds "$v"
done
opt_err cli_real_dedup_synth_dups "--synthetic-dups: expected 0..1" dedup --work "$TMP/rw" --synthetic 10 --synthetic-dups 0x.5

# the "--opt=VALUE" form still gives a value that starts with '-', and "-1"
# and "-hello" after an option are values
"$BLALM" eval --out=--x --help >/dev/null 2>"$TMP/e"; rc=$?
"$BLALM" generate --prompt -hello --help >/dev/null 2>>"$TMP/e"; rc2=$?
"$BLALM" generate --prompt -1 --help >/dev/null 2>>"$TMP/e"; rc3=$?
"$BLALM" generate --prompt "--- Chapter 1 ---" --help >/dev/null 2>>"$TMP/e"; rc4=$?
"$BLALM" generate --prompt "--x y" --help >/dev/null 2>>"$TMP/e"; rc5=$?
[ $rc = 0 ] && [ $rc2 = 0 ] && [ $rc3 = 0 ] && [ $rc4 = 0 ] && [ $rc5 = 0 ] && [ ! -s "$TMP/e" ] \
    && pass cli_dash_values_still_values || fail cli_dash_values_still_values "rc $rc $rc2 $rc3 $rc4 $rc5: $(head -3 "$TMP/e")"
