/* score_config.c - score_opts' defaults, its --config mapping and the API
 * key file (contracts in score.h). */
#include "scorer/score.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/config.h"
#include "lib/http.h"
#include "scorer/llm.h"
#include "lib/fsutil.h"

void score_opts_default(score_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_chars = 1000;
    o->max_tokens = 512;
    o->concurrency = 8;
    o->timeout_s = 120;
    o->max_attempts = 8;
    o->retry_budget_s = 900;
    o->shard = SHARD_ONE;
}

/* A number key of cfg in [lo, hi] into *dst (left alone when absent). */
static int number_in(const cJSON *cfg, const char *key, double lo, double hi, double *dst, const char *where,
                     blalm_err *e)
{
    double v;
    if (config_number(cfg, key, *dst, &v, where, e) < 0) return -1;
    if (v < lo || v > hi) return err_set(e, "%s: %s must be in %g..%g", where, key, lo, hi);
    *dst = v;
    return 0;
}

/* number_in for a count: a fraction is refused, as --flags and a run config's
 * score section refuse it (it was cut: max_requests 1.5 sent 1) */
static int count_in(const cJSON *cfg, const char *key, double lo, double hi, double *dst, const char *where,
                    blalm_err *e)
{
    if (number_in(cfg, key, lo, hi, dst, where, e) < 0) return -1;
    if (*dst != floor(*dst)) return err_set(e, "%s: %s must be a whole number, not %g", where, key, *dst);
    return 0;
}

int score_opts_config(score_opts *o, const char **api_key_file, const cJSON *root, const char *path,
                      blalm_err *e)
{
    static const char *const keys[] = {"endpoint", "api_key_file", "model", "prompt", "max_chars",
        "temperature", "max_tokens", "max_tokens_param", "seed", "json_schema", "concurrency", "rps", "tpm", "timeout",
        "max_attempts", "retry_budget", "max_requests", "max_prompt_tokens", "where", "cache", "sample", NULL};
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "score");
    char where[4200];
    snprintf(where, sizeof where, "%s%s", path, cJSON_IsObject(cfg) ? ": score" : "");
    if (!cJSON_IsObject(cfg)) cfg = root;
    if (!cJSON_IsObject(cfg)) return err_set(e, "%s: expected a JSON object", path);
    if (config_check_keys(cfg, keys, where, e) < 0) return -1;
    const char **strs[] = {&o->base_url, api_key_file, &o->model, &o->prompt_path, &o->where,
                           &o->cache_dir};
    static const char *const snames[] = {"endpoint", "api_key_file", "model", "prompt", "where", "cache"};
    for (int i = 0; i < 6; i++)
        if (config_string(cfg, snames[i], *strs[i], strs[i], where, e) < 0) return -1;
    char why[200];
    if (cJSON_GetObjectItemCaseSensitive(cfg, "endpoint") && llm_endpoint_check(o->base_url, why, sizeof why) < 0)
        return err_set(e, "%s: endpoint %s", where, why);
    /* every number through a double, as JSON has them */
    double max_chars = (double)o->max_chars, max_tokens = o->max_tokens, conc = o->concurrency,
           attempts = o->max_attempts, max_req = (double)o->max_requests,
           max_pt = (double)o->max_prompt_tokens, sample = (double)o->sample;
    const cJSON *temp = cJSON_GetObjectItemCaseSensitive(cfg, "temperature");
    if (cJSON_IsString(temp)) {
        if (strcmp(temp->valuestring, "none"))
            return err_set(e, "%s: temperature must be a number in 0..2 or \"none\"", where);
        o->no_temperature = 1;
    }
    const char *mtp = NULL;
    if (config_string(cfg, "max_tokens_param", NULL, &mtp, where, e) < 0) return -1;
    if (mtp && score_max_tokens_param(mtp, &o->max_completion_tokens) < 0)
        return err_set(e, "%s: max_tokens_param must be \"max_tokens\" or \"max_completion_tokens\"", where);
    if (count_in(cfg, "max_chars", 1, 1e12, &max_chars, where, e) < 0 ||
        (!cJSON_IsString(temp) && number_in(cfg, "temperature", 0, 2, &o->temperature, where, e) < 0) ||
        count_in(cfg, "max_tokens", 1, 1e6, &max_tokens, where, e) < 0 ||
        count_in(cfg, "concurrency", 1, 4096, &conc, where, e) < 0 ||
        number_in(cfg, "rps", 0, 1e9, &o->rps, where, e) < 0 ||
        number_in(cfg, "tpm", 0, 1e15, &o->tpm, where, e) < 0 ||
        number_in(cfg, "timeout", 0.001, 1e6, &o->timeout_s, where, e) < 0 ||
        count_in(cfg, "max_attempts", 1, 100, &attempts, where, e) < 0 ||
        number_in(cfg, "retry_budget", 0.001, 1e9, &o->retry_budget_s, where, e) < 0 ||
        count_in(cfg, "max_requests", 0, 1e15, &max_req, where, e) < 0 ||
        count_in(cfg, "max_prompt_tokens", 0, 1e15, &max_pt, where, e) < 0 ||
        (cJSON_GetObjectItemCaseSensitive(cfg, "sample") && count_in(cfg, "sample", 1, 1e15, &sample, where, e) < 0))
        return -1;
    o->max_chars = (uint64_t)max_chars;
    o->max_tokens = (int)max_tokens;
    o->concurrency = (int)conc;
    o->max_attempts = (int)attempts;
    const cJSON *sj = cJSON_GetObjectItemCaseSensitive(cfg, "seed");
    if (sj) {
        /* as a run config's score.seed and --seed: no sign, no fraction */
        if (!cJSON_IsNumber(sj) || !isfinite(sj->valuedouble) || sj->valuedouble != floor(sj->valuedouble) ||
            sj->valuedouble < 0 || sj->valuedouble > (double)CLI_SEED_MAX)
            return err_set(e, "%s: seed: expected a whole number from 0 to %llu", where, CLI_SEED_MAX);
        o->seed = (long long)sj->valuedouble, o->has_seed = 1;
    }
    if (cJSON_GetObjectItemCaseSensitive(cfg, "max_requests"))
        o->max_requests = (uint64_t)max_req, o->has_max_requests = 1;
    if (cJSON_GetObjectItemCaseSensitive(cfg, "sample")) {
        o->sample = (uint64_t)sample, o->has_sample = 1;
    }
    if (cJSON_GetObjectItemCaseSensitive(cfg, "max_prompt_tokens"))
        o->max_prompt_tokens = (uint64_t)max_pt, o->has_max_prompt_tokens = 1;
    int b;
    if (config_bool(cfg, "json_schema", o->json_schema, &b, where, e) < 0) return -1;
    o->json_schema = b;
    return 0;
}

int score_max_tokens_param(const char *s, int *completion)
{
    if (!strcmp(s, "max_tokens")) *completion = 0;
    else if (!strcmp(s, "max_completion_tokens")) *completion = 1;
    else return -1;
    return 0;
}

int score_read_api_key(const char *path, char *out, size_t cap, blalm_err *e)
{
    char *data;
    size_t len;
    if (read_file(path, &data, &len, e) < 0) return -1;
    /* the first line that is not blank, under the rule for every credential
     * (http_token_clean: also HF_TOKEN and OPENAI_API_KEY) */
    size_t a = 0, b = 0;
    while (a < len && (data[a] == ' ' || data[a] == '\t' || data[a] == '\r' || data[a] == '\n')) a++;
    b = a;
    while (b < len && data[b] != '\n' && data[b] != '\r') b++;
    int rc = 0;
    const char *why = NULL;
    /* a shell or .env line ("OPENAI_API_KEY=sk-...", "export NAME=..."):
     * its name would go along as the key, and the 401 would not say why.
     * A key has no '=' followed by more (base64 pads only at its end). */
    size_t nm = a;
    if (b - a > 7 && !strncmp(data + a, "export ", 7)) nm = a + 7;
    size_t k = nm;
    while (k < b && (isalnum((unsigned char)data[k]) || data[k] == '_')) k++;
    size_t r = k;
    while (r < b && data[r] == '=') r++;
    int assign = k > nm && !isdigit((unsigned char)data[nm]) && r == k + 1 && r < b;
    if (b == a) rc = err_set(e, "%s: no API key in the file", path);
    else if (assign)
        rc = err_set(e, "%s: the first line is an assignment (%.*s=...), not a key: the file must hold "
                        "the key alone",
                     path, (int)(k - a > 64 ? 64 : k - a), data + a);
    else if (b - a >= cap) rc = err_set(e, "%s: API key longer than %zu bytes", path, cap - 1);
    else if (http_token_clean(data + a, b - a, out, cap, &why) < 0)
        rc = err_set(e, "%s: the API key %s", path, why);
    memset(data, 0, len);
    free(data);
    return rc;
}
