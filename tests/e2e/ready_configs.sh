#!/usr/bin/env bash
# Every shipped configs/*.json that is not a model config (model-*.json) is a
# job config `blalm run` loads: README points newcomers at configs/, and
# `make install` copies all of them. `--dry-run --only tag` reads and checks
# the whole config (every section) without a listing, a request or a write;
# nothing listens at the endpoints. configs/demo-corpora.json, the old demo's
# assemble config, was left there and refused by `blalm run`.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
no_outside_settings
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
n=0
bad=
for f in "$ROOT"/configs/*.json; do
    case $(basename "$f") in model-*) continue ;; esac
    n=$((n + 1))
    w=$TMP/w-$(basename "$f" .json)
    out=$(HF_ENDPOINT=http://127.0.0.1:9 OPENAI_BASE_URL=http://127.0.0.1:9/v1 \
          "$BLALM" run "$f" --work "$w" --dry-run --only tag -q 2>&1); rc=$?
    last=$(printf '%s\n' "$out" | tail -n 1)
    [ $rc = 0 ] && [ ! -e "$w" ] && [ "$last" = "run: plan only (--dry-run): nothing was written and no request was sent" ] ||
        bad="${bad}$(basename "$f"): rc $rc: $last; "
done
[ $n -ge 4 ] && [ -z "$bad" ] && pass ready_configs_load || fail ready_configs_load "$n configs; $bad"
