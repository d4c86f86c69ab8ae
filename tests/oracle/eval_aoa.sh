#!/usr/bin/env bash
# AoA curve fitness (blalm eval --aoa-score) against scipy's curve_fit and
# pearsonr on fixtures in the official format with noisy curves (eval_aoa.py):
# the same words kept, AoAs within 1e-5, r and p within 1e-6.
source "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
if ! have_py scipy || ! have_py numpy; then
    skip eval_aoa_scipy "scipy or numpy not importable by $PY (Debian python3-scipy, python3-numpy)"
    exit 0
fi
"$PY" "$here/eval_aoa.py" make "$TMP/d" || { fail eval_aoa_scipy "fixture"; exit 0; }
if ! "$BLALM" eval --aoa-score "$TMP/d/surprisal.json" --data "$TMP/d" --json >"$TMP/out.json" 2>"$TMP/err"; then
    fail eval_aoa_scipy "$(head -c 300 "$TMP/err")"
    exit 0
fi
if out=$("$PY" "$here/eval_aoa.py" check "$TMP/d" "$TMP/out.json" 2>"$TMP/err"); then
    echo "# $out"
    pass eval_aoa_scipy
else
    fail eval_aoa_scipy "$(tail -c 600 "$TMP/err" | tr '\n' ' ')"
fi
