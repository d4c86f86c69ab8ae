#!/usr/bin/env bash
# `blalm run` and secrets: a password in the LLM endpoint (the config's
# score.endpoint or OPENAI_BASE_URL) never shows in the plan, the progress
# lines or an error; tokens from the environment are checked and trimmed as
# a key file's are. The stand-in endpoint is tests/peers/openai.py.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/score_helpers.bash"
no_outside_settings
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PW=s3cr3tpw-run-41

start_peer P
mkdir -p "$TMP/src/web"
make_docs "$TMP/src/web/a.jsonl" 3 a
# config FILE ENDPOINT-JSON: a small job over local files ("" = no score.endpoint)
config() {
    local ep=""
    [ -n "$2" ] && ep="\"endpoint\": \"$2\", "
    cat >"$1" <<JSON
{
  "sources": [{"name": "web", "files": "$TMP/src"}],
  "score": {${ep}"model": "m"},
  "corpora": {"corpora": [{"name": "big", "budget": 1000}], "rules": [], "seed": 0},
  "model": "$ROOT/configs/model-tiny.json",
  "train": {"corpus": "big", "max_steps": 1}
}
JSON
}
# plan_clean NAME OUT: the plan ran, shows the endpoint as ***@ and never the password
plan_clean() {
    local name=$1 rc=$2 out=$3
    if [ "$rc" = 0 ] && grep -q "score .*model m at http://\*\*\*@127.0.0.1:$P/v1" <<<"$out" && ! grep -q "$PW" <<<"$out"; then
        pass "$name"
    else
        fail "$name" "rc=$rc $(printf '%s' "$out" | grep -E 'score|$PW' | tr '\n' '|' | tail -c 600)"
    fi
}

# the plan before anything is fetched (no documents yet)
config "$TMP/c1.json" "http://usr:$PW@127.0.0.1:$P/v1"
out=$($BLALM run "$TMP/c1.json" --work "$TMP/w1" --dry-run 2>&1); rc=$?
plan_clean run_dry_run_endpoint_password_redacted $rc "$out"
# the plan over documents already here (score's own dry run counts them)
mkdir -p "$TMP/w2/docs/web"; cp "$TMP/src/web/a.jsonl" "$TMP/w2/docs/web/"
out=$($BLALM run "$TMP/c1.json" --work "$TMP/w2" --dry-run 2>&1); rc=$?
plan_clean run_dry_run_counted_endpoint_password_redacted $rc "$out"
# the endpoint from OPENAI_BASE_URL
config "$TMP/c2.json" ""
out=$(OPENAI_BASE_URL="http://usr:$PW@127.0.0.1:$P/v1" $BLALM run "$TMP/c2.json" --work "$TMP/w3" --dry-run 2>&1); rc=$?
plan_clean run_dry_run_env_endpoint_password_redacted $rc "$out"


# an endpoint libcurl would take but that is not an http(s) URL is refused
# before anything starts, naming the setting, never quoting the password
config "$TMP/c3.json" "usr:$PW@127.0.0.1:$P/v1"
out=$($BLALM run "$TMP/c3.json" --work "$TMP/w4" --dry-run 2>&1); rc=$?
[ $rc -ne 0 ] && [[ "$out" == *"c3.json: score.endpoint must start with http:// or https://"* ]] && [[ "$out" != *"$PW"* ]] \
    && pass run_config_endpoint_refused || fail run_config_endpoint_refused "rc=$rc $(printf '%s' "$out" | tail -c 400)"
out=$(OPENAI_BASE_URL="ftp://usr:$PW@127.0.0.1:$P/v1" $BLALM run "$TMP/c2.json" --work "$TMP/w5" --dry-run 2>&1); rc=$?
[ $rc -ne 0 ] && [[ "$out" == *"score: OPENAI_BASE_URL must start with http:// or https://"* ]] && [[ "$out" != *"$PW"* ]] \
    && [ ! -e "$TMP/w5" ] && pass run_env_endpoint_refused || fail run_env_endpoint_refused "rc=$rc $(printf '%s' "$out" | tail -c 400)"
# the whole chat/completions URL: score adds /chat/completions itself
config "$TMP/c3.json" "http://usr:$PW@127.0.0.1:$P/v1/chat/completions"
out=$($BLALM run "$TMP/c3.json" --work "$TMP/w4" --dry-run 2>&1); rc=$?
[ $rc -ne 0 ] && [[ "$out" == *"c3.json: score.endpoint ends in /chat/completions"* ]] && [[ "$out" != *"$PW"* ]] \
    && pass run_config_endpoint_full_url || fail run_config_endpoint_full_url "rc=$rc $(printf '%s' "$out" | tail -c 400)"
out=$(OPENAI_BASE_URL="http://127.0.0.1:$P/v1/chat/completions/" $BLALM run "$TMP/c2.json" --work "$TMP/w5" --dry-run 2>&1); rc=$?
[ $rc -ne 0 ] && [[ "$out" == *"score: OPENAI_BASE_URL ends in /chat/completions"* ]] \
    && [ ! -e "$TMP/w5" ] && pass run_env_endpoint_full_url || fail run_env_endpoint_full_url "rc=$rc $(printf '%s' "$out" | tail -c 400)"
# the scheme's case does not matter (curl's does not either)
config "$TMP/c4.json" "HTTP://usr:$PW@127.0.0.1:$P/v1"
out=$($BLALM run "$TMP/c4.json" --work "$TMP/w6" --dry-run 2>&1); rc=$?
[ $rc = 0 ] && grep -q "score .*model m at HTTP://\*\*\*@127.0.0.1:$P/v1" <<<"$out" && [[ "$out" != *"$PW"* ]] \
    && pass run_endpoint_scheme_any_case || fail run_endpoint_scheme_any_case "rc=$rc $(printf '%s' "$out" | grep score | tail -c 400)"

# tokens from the environment: the same rule as for score and fetch, checked
# before anything starts
out=$(OPENAI_API_KEY=$'sk-run-inj\r\nX-Injected: yes' $BLALM run "$TMP/c1.json" --work "$TMP/w7" --dry-run 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *"OPENAI_API_KEY contains a control character"* ]] && [[ "$out" != *"sk-run-inj"* ]] \
    && [ ! -e "$TMP/w7" ] && pass run_env_key_refused || fail run_env_key_refused "rc=$rc $(printf '%s' "$out" | tail -c 300)"
out=$(HF_TOKEN='hf_run tok' $BLALM run "$TMP/c1.json" --work "$TMP/w8" --dry-run 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *"HF_TOKEN contains whitespace"* ]] && [[ "$out" != *"hf_run"* ]] \
    && pass run_env_token_refused || fail run_env_token_refused "rc=$rc $(printf '%s' "$out" | tail -c 300)"
# a reply that is never valid JSON stops the run; the message names the
# endpoint redacted (run prints the stage's error as it comes)
mkdir -p "$TMP/w9/docs/web"
printf '{"id": "t0", "text": "[[fault:truncated]] A lesson cut short every time."}\n' >"$TMP/w9/docs/web/t.jsonl"
out=$($BLALM run "$TMP/c1.json" --work "$TMP/w9" --only score 2>&1); rc=$?
[ $rc = 1 ] && [[ "$out" == *"not valid JSON"* ]] && [[ "$out" == *"http://***@127.0.0.1:$P"* ]] && [[ "$out" != *"$PW"* ]] \
    && pass run_score_error_endpoint_redacted \
    || fail run_score_error_endpoint_redacted "rc=$rc $(printf '%s' "$out" | tr '\n' '|' | tail -c 300)"
stop_peers
