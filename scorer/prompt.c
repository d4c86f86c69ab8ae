/* prompt.c - prompt templates, truncation, request bodies and cache keys. */
#include "scorer/llm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/utf8.h"

static const char placeholder[] = "{text}";

int llm_template_load(llm_template *t, const char *path, blalm_err *e)
{
    memset(t, 0, sizeof *t);
    if (!path) {
        t->len = strlen(llm_prompt_edu5);
        t->text = malloc(t->len + 1);
        if (!t->text) return err_set(e, "out of memory");
        memcpy(t->text, llm_prompt_edu5, t->len + 1);
        snprintf(t->name, sizeof t->name, "edu5 (built-in)");
    } else {
        if (read_file(path, &t->text, &t->len, e) < 0) return -1;
        snprintf(t->name, sizeof t->name, "%s", path);
        size_t bad;
        if (!utf8_valid(t->text, t->len, &bad)) {
            err_set(e, "%s: byte %zu: invalid UTF-8 in the prompt template", path, bad);
            llm_template_free(t);
            return -1;
        }
        if (memchr(t->text, 0, t->len)) {
            err_set(e, "%s: NUL byte in the prompt template", path);
            llm_template_free(t);
            return -1;
        }
    }
    if (!strstr(t->text, placeholder)) {
        err_set(e, "%s: the prompt template has no {text} placeholder", t->name);
        llm_template_free(t);
        return -1;
    }
    sha256_hex(t->text, t->len, t->sha256);
    return 0;
}

void llm_template_free(llm_template *t)
{
    free(t->text);
    t->text = NULL;
    t->len = 0;
}

size_t llm_cut_chars(const char *s, size_t n, size_t max_chars)
{
    /* Counts code points by their lead bytes; invalid bytes count as one each
     * (documents were validated on read, so this is only a safety net). */
    size_t chars = 0, i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
        if (i + len > n) len = n - i;
        for (size_t k = 1; k < len; k++)
            if (((unsigned char)s[i + k] & 0xC0) != 0x80) { len = k; break; }
        if (chars == max_chars) break;
        chars++;
        i += len;
    }
    return i;
}

void llm_render(const llm_template *t, const char *text, size_t n, sbuf *out)
{
    const char *p = t->text, *end = t->text + t->len;
    for (;;) {
        const char *hit = strstr(p, placeholder);
        if (!hit) break;
        sb_add(out, p, (size_t)(hit - p));
        sb_add(out, text, n);
        p = hit + sizeof placeholder - 1;
    }
    sb_add(out, p, (size_t)(end - p));
}

uint64_t llm_estimate_tokens(size_t prompt_bytes)
{
    return (prompt_bytes + 3) / 4;
}

static void response_format_json(sbuf *b)
{
    sb_adds(b, "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"educational_score\","
               "\"strict\":true,\"schema\":{\"type\":\"object\",\"properties\":{"
               "\"justification\":{\"type\":\"string\"},"
               "\"score\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":5}},"
               "\"required\":[\"justification\",\"score\"],\"additionalProperties\":false}}}");
}

void llm_params_json(const llm_params *p, sbuf *out)
{
    int first = 1;
    sb_addc(out, '{');
    sb_json_key(out, "temperature", &first);
    if (p->no_temperature) sb_adds(out, "null"); else sb_json_num(out, p->temperature);
    /* the default's name is left out: every cache key made before the
     * option stays what it was */
    sb_json_key(out, p->max_completion_tokens ? "max_completion_tokens" : "max_tokens", &first);
    sb_json_int(out, p->max_tokens);
    sb_json_key(out, "seed", &first);
    if (p->has_seed) sb_json_int(out, p->seed); else sb_adds(out, "null");
    sb_json_key(out, "response_format", &first);
    if (p->json_schema) response_format_json(out); else sb_adds(out, "null");
    sb_addc(out, '}');
}

void llm_request_body(const llm_params *p, const char *prompt, size_t n, sbuf *out)
{
    int first = 1;
    sb_addc(out, '{');
    sb_json_key(out, "model", &first);
    sb_json_str(out, p->model, strlen(p->model));
    sb_json_key(out, "messages", &first);
    sb_adds(out, "[{\"role\":\"user\",\"content\":");
    sb_json_str(out, prompt, n);
    sb_adds(out, "}]");
    if (!p->no_temperature) {
        sb_json_key(out, "temperature", &first);
        sb_json_num(out, p->temperature);
    }
    sb_json_key(out, p->max_completion_tokens ? "max_completion_tokens" : "max_tokens", &first);
    sb_json_int(out, p->max_tokens);
    if (p->has_seed) {
        sb_json_key(out, "seed", &first);
        sb_json_int(out, p->seed);
    }
    if (p->json_schema) {
        sb_json_key(out, "response_format", &first);
        response_format_json(out);
    }
    sb_adds(out, ",\"stream\":false}");
}

void llm_cache_key(const llm_params *p, const char *template_sha, const char *prompt, size_t n,
                   uint8_t key[32])
{
    /* Fields are length-prefixed so that no two different tuples hash alike. */
    sbuf b;
    sb_init(&b);
    sbuf params;
    sb_init(&params);
    llm_params_json(p, &params);
    const char *parts[5] = {p->base_url, p->model, template_sha, sb_cstr(&params), prompt};
    size_t lens[5] = {strlen(p->base_url), strlen(p->model), strlen(template_sha), params.len, n};
    sb_adds(&b, "blalm-score-cache-v1");
    for (int i = 0; i < 5; i++) {
        sb_printf(&b, "\n%zu:", lens[i]);
        sb_add(&b, parts[i], lens[i]);
    }
    sha256(b.data, b.len, key);
    sb_free(&params);
    sb_free(&b);
}
