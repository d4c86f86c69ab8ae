#!/usr/bin/env bash
# blalm tag against independent implementations on the 2,100 fineweb-legal
# documents: syllables vs python3-pyphen, formulas vs the npm formula
# packages, values vs textstat 0.7.11 (reference file; with the CMUdict that
# scripts/deps.sh installs, and by pyphen alone), Spearman vs textstat and
# npm text-readability (run here), verdicts vs datatrove 0.10.0 (reference file);
# and, without the shared data, a Python twin of textstat's rules on edge cases
# (tag_textstat_rules.py).
# BLALM_FULL_ORACLE=1 runs text-readability on all documents (default: every
# 4th, 525 documents, to keep the tier under a minute).
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
cmudict=$here/../../deps/cmudict/node_modules/cmudict/lib/cmu/cmudict.0.7a

# textstat 0.7.11's rules (a Python twin) on edge cases and random texts the
# recorded documents do not cover; needs no shared data
if ! have_py pyphen; then
    skip tag_textstat_rules "python3-pyphen not installed for $PY"
elif [ ! -f "$cmudict" ]; then
    skip tag_textstat_rules "the CMU Pronouncing Dictionary is not installed (scripts/deps.sh)"
else
    # a crash prints a traceback and no FAIL line of its own
    "$PY" "$here/tag_textstat_rules.py" "$BLALM" "$cmudict" "$here/../.." "$TMP/rules" ||
        { rc=$?; fail tag_textstat_rules "twin exited $rc"; }
fi

if ! need_shared; then
    skip tag_oracles "BLALM_SHARED_DATA not set or missing"
    exit 0
fi
docs=$SHARED_DATA/fineweb-legal.jsonl.zst
mkdir -p "$TMP/w/docs/fineweb-legal"
ln -s "$docs" "$TMP/w/docs/fineweb-legal/fineweb-legal.jsonl.zst"
if ! "$BLALM" tag --work "$TMP/w" --quiet 2>"$TMP/tag.err"; then
    fail tag_oracles_run "$(tail -c 400 "$TMP/tag.err")"
    exit 0
fi
attrs=$TMP/w/attributes
rfile=$attrs/readability/fineweb-legal/fineweb-legal.jsonl.zst
method=$(cat "$TMP"/w/state/tag/readability/fineweb-legal/*.done 2>/dev/null)

# values vs textstat 0.7.11: the issue's goal is >= 99% of documents within
# 0.1 for every score, met by the default dictionary (README: "Readability
# and textstat"); pyphen alone is far below for the four scores that use
# syllables (labelled BELOW, held to regression floors).
if have_py numpy; then
    if [ -f "$cmudict" ] && [[ $method == *cmudict+pyphen* ]]; then
        "$PY" "$here/tag_textstat.py" cmudict "$rfile" "$SHARED_DATA/textstat-ref.jsonl.zst" \
            flesch_reading_ease=0.99/0.9999,flesch_kincaid_grade=0.99/0.9999,automated_readability_index=0.99,coleman_liau_index=0.99,smog_index=0.99/0.9999,gunning_fog=0.99/0.9999,dale_chall=0.99
    else
        skip tag_textstat_cmudict "the CMU Pronouncing Dictionary is not installed (scripts/deps.sh); marker: ${method:-none}"
    fi
    if "$BLALM" tag --work "$TMP/p" --docs "$TMP/w/docs" --taggers readability --cmudict none \
        --quiet 2>"$TMP/tagp.err"; then
        "$PY" "$here/tag_textstat.py" pyphen \
            "$TMP/p/attributes/readability/fineweb-legal/fineweb-legal.jsonl.zst" \
            "$SHARED_DATA/textstat-ref.jsonl.zst" \
            flesch_reading_ease=0/0.98,flesch_kincaid_grade=0/0.99,automated_readability_index=0.99,coleman_liau_index=0.99,smog_index=0/0.98,gunning_fog=0/0.98,dale_chall=0.99
    else
        fail tag_textstat_pyphen_run "$(tail -c 400 "$TMP/tagp.err")"
    fi
fi

if have_py pyphen; then
    "$PY" "$here/tag_syllables.py" "$BLALM" "$docs" 0.999
else
    skip tag_syllables_pyphen "python3-pyphen not installed for $PY"
fi

npm_out=
if have_node_oracles && [ -d "$ORACLE_DIR/node_modules/flesch" ]; then
    zstd -dc "$rfile" | node "$here/tag_formulas.mjs"
    every=4
    [ "${SAN:-}" = 1 ] && every=8   # the sanitizer run keeps the peer short
    [ "${BLALM_FULL_ORACLE:-0}" = 1 ] && every=1
    npm_out=$TMP/text-readability.jsonl
    zstd -dc "$docs" | awk -v k="$every" '(NR - 1) % k == 0' |
        node "$here/tag_text_readability.mjs" >"$npm_out" || npm_out=
else
    skip tag_formulas "npm oracle packages not installed (tests/oracle/node_modules)"
fi

if have_py numpy; then
    "$PY" "$here/tag_readability_spearman.py" "$rfile" "$SHARED_DATA/textstat-ref.jsonl.zst" 0.95 $npm_out
    "$PY" "$here/tag_datatrove.py" "$SHARED_DATA/datatrove-ref.jsonl.zst" "$attrs" 0.97
else
    skip tag_spearman "python3-numpy not installed for $PY"
fi
