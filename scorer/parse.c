/* parse.c - chat.completion bodies and the score inside a reply. */
#include "scorer/llm.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (!d) abort();
    memcpy(d, s, n + 1);
    return d;
}

static long long token_count(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    /* a count beyond long long (1e300 in a hostile body) is unknown, not UB */
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 0x1p63
               ? (long long)v->valuedouble : -1;
}

int llm_parse_response(const char *body, size_t n, llm_response *r, blalm_err *e)
{
    memset(r, 0, sizeof *r);
    r->prompt_tokens = r->completion_tokens = -1;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, n, &end, 0);
    if (!root) {
        size_t at = end && end >= body && end <= body + n ? (size_t)(end - body) : n;
        return err_set(e, "response body is not valid JSON (byte %zu of %zu)", at, n);
    }
    int rc = -1;
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    const cJSON *c0 = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
    const cJSON *msg = c0 ? cJSON_GetObjectItemCaseSensitive(c0, "message") : NULL;
    if (!cJSON_IsObject(msg)) {
        const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
        const cJSON *m = cJSON_IsObject(err) ? cJSON_GetObjectItemCaseSensitive(err, "message") : NULL;
        if (cJSON_IsString(m))
            err_set(e, "response has no choices[0].message; error: %.300s", m->valuestring);
        else
            err_set(e, "response has no choices[0].message");
        goto out;
    }
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
    if (cJSON_IsString(content)) r->content = dup_str(content->valuestring);
    else if (!content || cJSON_IsNull(content)) r->content = dup_str("");
    else {
        err_set(e, "choices[0].message.content is neither a string nor null");
        goto out;
    }
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(msg, "reasoning_content");
    if (!cJSON_IsString(reason)) reason = cJSON_GetObjectItemCaseSensitive(msg, "reasoning");
    if (cJSON_IsString(reason)) r->reasoning = dup_str(reason->valuestring);
    const cJSON *fin = cJSON_GetObjectItemCaseSensitive(c0, "finish_reason");
    if (cJSON_IsString(fin)) r->finish_reason = dup_str(fin->valuestring);
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (cJSON_IsString(model)) r->model = dup_str(model->valuestring);
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    const cJSON *timings = cJSON_GetObjectItemCaseSensitive(root, "timings");
    if (cJSON_IsObject(usage)) {
        r->prompt_tokens = token_count(usage, "prompt_tokens");
        r->completion_tokens = token_count(usage, "completion_tokens");
    }
    if (cJSON_IsObject(timings)) {  /* llama.cpp's server */
        if (r->prompt_tokens < 0) r->prompt_tokens = token_count(timings, "prompt_n");
        if (r->completion_tokens < 0) r->completion_tokens = token_count(timings, "predicted_n");
    }
    rc = 0;
out:
    cJSON_Delete(root);
    if (rc < 0) llm_response_free(r);
    return rc;
}

void llm_response_free(llm_response *r)
{
    free(r->content);
    free(r->reasoning);
    free(r->finish_reason);
    free(r->model);
    r->content = r->reasoning = r->finish_reason = r->model = NULL;
}

/* ---- scores ---- */

static const char score_phrase[] = "educational score";

static int is_emph(char c)
{
    return c == ' ' || c == '\t' || c == '*' || c == '_' || c == '`' || c == '~';
}

static size_t skip_emph(const char *s, size_t n, size_t i)
{
    while (i < n && is_emph(s[i])) i++;
    return i;
}

/* Position of each case-insensitive occurrence of the phrase, scanned from
 * the end; returns the start or (size_t)-1. */
static size_t find_phrase_before(const char *s, size_t n, size_t before)
{
    size_t plen = sizeof score_phrase - 1;
    if (before > n) before = n;
    while (before >= plen) {
        size_t i = before - plen;
        if (strncasecmp(s + i, score_phrase, plen) == 0) return i;
        before--;
    }
    return (size_t)-1;
}

static void trim_into(sbuf *out, const char *s, size_t n)
{
    size_t a = 0, b = n;
    while (a < b && isspace((unsigned char)s[a])) a++;
    while (b > a && isspace((unsigned char)s[b - 1])) b--;
    sb_add(out, s + a, b - a);
}

/* Parses "N", "N.0", then an optional "/5" or "points" after the phrase's
 * colon at s[i]. Returns 0..5 or -1 with why. */
static int parse_number_at(const char *s, size_t n, size_t i, char *why, size_t cap)
{
    if (i >= n || !isdigit((unsigned char)s[i])) {
        snprintf(why, cap, "no number after 'Educational score:'");
        return -1;
    }
    long v = 0;
    size_t d0 = i;
    while (i < n && isdigit((unsigned char)s[i]) && i - d0 < 6) v = v * 10 + (s[i++] - '0');
    if (i < n && s[i] == '.' && i + 1 < n && isdigit((unsigned char)s[i + 1])) {
        size_t f = i + 1;
        int nonzero = 0;
        while (f < n && isdigit((unsigned char)s[f])) nonzero |= s[f++] != '0';
        if (nonzero) {
            snprintf(why, cap, "score %.*s is not a whole number", (int)(f - d0), s + d0);
            return -1;
        }
        i = f;
    }
    size_t j = skip_emph(s, n, i);
    if (j < n && s[j] == '/') {
        size_t k = skip_emph(s, n, j + 1);
        long den = 0;
        size_t k0 = k;
        while (k < n && isdigit((unsigned char)s[k]) && k - k0 < 6) den = den * 10 + (s[k++] - '0');
        if (k == k0 || den != 5) {
            snprintf(why, cap, "contradictory score '%.*s' (expected N or N/5)",
                     (int)(k - d0 < 40 ? k - d0 : 40), s + d0);
            return -1;
        }
        j = skip_emph(s, n, k);
    }
    /* "3-4", "3 or 4", "3 to 4", "3, 4": two scores in one statement */
    size_t k = j;
    if (k < n && (s[k] == '-' || s[k] == ',' || s[k] == '|')) k = skip_emph(s, n, k + 1);
    else if (k + 2 < n && (!strncasecmp(s + k, "or", 2) || !strncasecmp(s + k, "to", 2)) &&
             is_emph(s[k + 2]))
        k = skip_emph(s, n, k + 2);
    else if (k + 3 < n && (unsigned char)s[k] == 0xE2 && (unsigned char)s[k + 1] == 0x80 &&
             ((unsigned char)s[k + 2] == 0x93 || (unsigned char)s[k + 2] == 0x94))
        k = skip_emph(s, n, k + 3);  /* en or em dash */
    if (k != j && k < n && isdigit((unsigned char)s[k])) {
        size_t stop = k;
        while (stop < n && isdigit((unsigned char)s[stop])) stop++;
        snprintf(why, cap, "contradictory score '%.*s'", (int)(stop - d0), s + d0);
        return -1;
    }
    if (v > 5) {
        snprintf(why, cap, "score %ld is out of range 0-5", v);
        return -1;
    }
    return (int)v;
}

/* The last "Educational score: N"; *line_start is where its line begins. */
static int parse_text_score(const char *s, size_t n, size_t *line_start, char *why, size_t cap)
{
    size_t before = n, plen = sizeof score_phrase - 1;
    int seen = 0;
    for (;;) {
        size_t at = find_phrase_before(s, n, before);
        if (at == (size_t)-1) break;
        seen = 1;
        size_t i = skip_emph(s, n, at + plen);
        if (i < n && (s[i] == ':' || s[i] == '=')) {
            i = skip_emph(s, n, i + 1);
            size_t ls = at;
            while (ls > 0 && s[ls - 1] != '\n') ls--;
            *line_start = ls;
            return parse_number_at(s, n, i, why, cap);
        }
        if (at == 0) break;
        before = at + plen - 1;
    }
    snprintf(why, cap, seen ? "'Educational score' is never followed by ': N'"
                            : "no 'Educational score: N' line in the reply");
    return -1;
}

/* Strips a ```json ... ``` fence. */
static void unfence(const char **s, size_t *n)
{
    const char *p = *s, *end = *s + *n;
    while (p < end && isspace((unsigned char)*p)) p++;
    while (end > p && isspace((unsigned char)end[-1])) end--;
    if (end - p >= 6 && !strncmp(p, "```", 3) && !strncmp(end - 3, "```", 3)) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl && nl < end - 3) {
            p = nl + 1;
            end -= 3;
        }
    }
    *s = p;
    *n = (size_t)(end - p);
}

static int parse_json_score(const char *content, size_t n, sbuf *just, char *why, size_t cap)
{
    const char *s = content;
    size_t len = n;
    unfence(&s, &len);
    if (len == 0 || s[0] != '{') return -2;  /* not JSON: caller tries the text line */
    cJSON *root = cJSON_ParseWithLength(s, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        snprintf(why, cap, "reply is not a valid JSON object");
        return -1;
    }
    int score = -1;
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(root, "score");
    const cJSON *ju = cJSON_GetObjectItemCaseSensitive(root, "justification");
    if (!sc) {
        snprintf(why, cap, "JSON reply has no \"score\" field");
    } else if (!cJSON_IsNumber(sc)) {
        snprintf(why, cap, "JSON \"score\" is not a number");
    } else if (!isfinite(sc->valuedouble) || sc->valuedouble != floor(sc->valuedouble)) {
        /* floor, not a cast to long long: a huge whole number overflows that (UB) */
        snprintf(why, cap, "JSON score %g is not a whole number", sc->valuedouble);
    } else if (sc->valuedouble < 0 || sc->valuedouble > 5) {
        snprintf(why, cap, "score %g is out of range 0-5", sc->valuedouble);
    } else {
        score = (int)sc->valuedouble;
        if (cJSON_IsString(ju)) {
            /* A justification that ends in a different score line contradicts the field. */
            size_t ls;
            char w2[128];
            int inner = parse_text_score(ju->valuestring, strlen(ju->valuestring), &ls, w2, sizeof w2);
            if (inner >= 0 && inner != score) {
                snprintf(why, cap, "contradictory scores: JSON score %d, justification says %d",
                         score, inner);
                score = -1;
            }
        }
    }
    if (cJSON_IsString(ju)) trim_into(just, ju->valuestring, strlen(ju->valuestring));
    cJSON_Delete(root);
    return score;
}

int llm_parse_score(const char *content, size_t n, int json_mode, sbuf *just,
                    char *why, size_t why_cap)
{
    why[0] = 0;
    if (json_mode) {
        int rc = parse_json_score(content, n, just, why, why_cap);
        if (rc != -2) return rc;
    }
    size_t ls = 0;
    int score = parse_text_score(content, n, &ls, why, why_cap);
    if (score >= 0 || ls > 0) trim_into(just, content, ls);
    return score;
}
