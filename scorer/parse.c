/* parse.c - chat.completion bodies and the score inside a reply. */
#include "scorer/llm.h"
#include "lib/utf8.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A copy of what a server sent, each invalid UTF-8 sequence as U+FFFD: it
 * goes into the cache and edu_llm, JSON that Python and jq must read. */
static char *dup_len(const char *s, size_t n)
{
    size_t bad;
    if (utf8_valid(s, n, &bad)) {
        char *d = malloc(n + 1);
        if (!d) abort();
        memcpy(d, s, n);
        d[n] = 0;
        return d;
    }
    char *d = malloc(3 * n + 1);
    if (!d) abort();
    size_t m;
    utf8_sanitize(s, n, d, &m);
    d[m] = 0;
    return d;
}

static char *dup_str(const char *s) { return dup_len(s, strlen(s)); }

/* The text of a part list's "thinking" entry: a string, or parts of its own
 * (Mistral's [{"type":"text","text":..}]). */
static void add_part_text(sbuf *b, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        sb_adds(b, v->valuestring);
        return;
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, v) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(p, "text");
        if (cJSON_IsString(t)) sb_adds(b, t->valuestring);
    }
}

/* content as a list of parts (Mistral's reasoning models, some gateways):
 * the text parts joined are the content, the thinking parts the reasoning,
 * a refusal part the note. */
static void content_parts(const cJSON *content, llm_response *r, sbuf *think)
{
    sbuf text, note;
    sb_init(&text);
    sb_init(&note);
    const cJSON *p;
    cJSON_ArrayForEach(p, content) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "type");
        const char *t = cJSON_IsString(type) ? type->valuestring : "";
        if (cJSON_IsString(p)) {
            sb_adds(&text, p->valuestring);
        } else if (!strcmp(t, "text") || !strcmp(t, "output_text")) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "text");
            if (cJSON_IsString(v)) sb_adds(&text, v->valuestring);
        } else if (!strcmp(t, "thinking") || !strcmp(t, "reasoning")) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, t);
            add_part_text(think, v ? v : cJSON_GetObjectItemCaseSensitive(p, "text"));
        } else if (!strcmp(t, "refusal")) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, "refusal");
            if (cJSON_IsString(v)) sb_printf(&note, "the model refused: %.300s", v->valuestring);
        }
    }
    r->content = dup_len(text.data ? text.data : "", text.len);
    if (note.len) r->note = dup_len(note.data, note.len);
    sb_free(&text);
    sb_free(&note);
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
    sbuf think;
    sb_init(&think);
    if (cJSON_IsString(content)) r->content = dup_str(content->valuestring);
    else if (!content || cJSON_IsNull(content)) r->content = dup_str("");
    else if (cJSON_IsArray(content)) content_parts(content, r, &think);
    else {
        /* a chat completion all the same: asking again gets the same */
        err_set(e, "choices[0].message.content is a %s, neither a string, a list of parts nor null",
                cJSON_IsNumber(content) ? "number" : cJSON_IsObject(content) ? "JSON object" : "boolean");
        rc = 1;
        goto out;
    }
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(msg, "reasoning_content");
    if (!cJSON_IsString(reason)) reason = cJSON_GetObjectItemCaseSensitive(msg, "reasoning");
    if (cJSON_IsString(reason)) r->reasoning = dup_str(reason->valuestring);
    else if (think.len) r->reasoning = dup_len(think.data, think.len);
    sb_free(&think);
    if (!r->note && !r->content[0]) {
        /* no text: say why, or the row only says "no score line" */
        const cJSON *refusal = cJSON_GetObjectItemCaseSensitive(msg, "refusal");
        const cJSON *tools = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
        char note[400];
        note[0] = 0;
        if (cJSON_IsString(refusal) && refusal->valuestring[0])
            snprintf(note, sizeof note, "the model refused: %.300s", refusal->valuestring);
        else if (cJSON_IsArray(tools) && cJSON_GetArraySize(tools) > 0)
            snprintf(note, sizeof note, "the reply holds %d tool call%s and no text",
                     cJSON_GetArraySize(tools), cJSON_GetArraySize(tools) == 1 ? "" : "s");
        if (note[0]) r->note = dup_str(note);
    }
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
    if (rc != 0) llm_response_free(r);
    return rc;
}

void llm_response_free(llm_response *r)
{
    free(r->content);
    free(r->reasoning);
    free(r->finish_reason);
    free(r->model);
    free(r->note);
    r->content = r->reasoning = r->finish_reason = r->model = r->note = NULL;
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

/* Any value over 5 is out of range: digits saturate here, so a long run of
 * them is read to its end (never cut short and its rest taken for another
 * number) without overflowing. */
#define SCORE_SATURATE 1000000L

/* '%.*s' arguments quoting s[a..b), at most 60 bytes, not cut inside a
 * UTF-8 character (the quote goes into JSON). */
static int quote_len(const char *s, size_t a, size_t b)
{
    size_t q = b - a < 60 ? b - a : 60;
    if (q < b - a)
        while (q && ((unsigned char)s[a + q] & 0xc0) == 0x80) q--;
    return (int)q;
}

/* "point" or "points" as a word at s[i]: its length, else 0. */
static size_t points_word(const char *s, size_t n, size_t i)
{
    if (i + 5 > n || strncasecmp(s + i, "point", 5)) return 0;
    size_t k = i + 5;
    if (k < n && (s[k] == 's' || s[k] == 'S')) k++;
    return k < n && isalnum((unsigned char)s[k]) ? 0 : k - i;
}

/* One number of a score line at s[*i] (a digit): all its digits, an
 * optional ".0...", "/5", then "point(s)". *i ends after the number (before
 * the word). Returns 0 with *v, or -1 with why. */
static int read_term(const char *s, size_t n, size_t *i, long *v, char *why, size_t cap)
{
    size_t d0 = *i, k = *i;
    long x = 0;
    while (k < n && isdigit((unsigned char)s[k])) {
        x = x * 10 + (s[k++] - '0');
        if (x > SCORE_SATURATE) x = SCORE_SATURATE;
    }
    if (k < n && s[k] == '.' && k + 1 < n && isdigit((unsigned char)s[k + 1])) {
        size_t f = k + 1;
        int nonzero = 0;
        while (f < n && isdigit((unsigned char)s[f])) nonzero |= s[f++] != '0';
        if (nonzero) {
            snprintf(why, cap, "score %.*s is not a whole number", quote_len(s, d0, f), s + d0);
            return -1;
        }
        k = f;
    }
    size_t j = skip_emph(s, n, k);
    if (j < n && s[j] == '/') {
        size_t m = skip_emph(s, n, j + 1), m0 = m;
        long den = 0;
        while (m < n && isdigit((unsigned char)s[m])) {
            den = den * 10 + (s[m++] - '0');
            if (den > SCORE_SATURATE) den = SCORE_SATURATE;
        }
        if (m == m0 || den != 5) {
            snprintf(why, cap, "contradictory score '%.*s' (expected N or N/5)",
                     quote_len(s, d0, m), s + d0);
            return -1;
        }
        k = m;
    }
    *i = k;
    *v = x;
    return 0;
}

enum { OP_PLUS, OP_MINUS, OP_EQ, OP_ALT, OP_OTHER };

/* An operator at s[k]: its length and kind, else 0. OP_EQ: '=' or an arrow;
 * OP_ALT: what joins two alternative scores ("3-4" is caught as OP_MINUS). */
static size_t op_at(const char *s, size_t n, size_t k, int *op)
{
    static const struct { const char *t; int op; int word; } ops[] = {
        {"->", OP_EQ, 0}, {"=>", OP_EQ, 0}, {"=", OP_EQ, 0},
        {"\xe2\x86\x92", OP_EQ, 0}, {"\xe2\x87\x92", OP_EQ, 0},   /* → ⇒ */
        {"\xe2\x9f\xb6", OP_EQ, 0}, {"\xe2\x9f\xb9", OP_EQ, 0},   /* ⟶ ⟹ */
        {"+", OP_PLUS, 0}, {"-", OP_MINUS, 0}, {"\xe2\x88\x92", OP_MINUS, 0},   /* − */
        {",", OP_ALT, 0}, {"|", OP_ALT, 0}, {"&", OP_ALT, 0},
        {"\xe2\x80\x93", OP_ALT, 0}, {"\xe2\x80\x94", OP_ALT, 0},   /* en and em dash */
        {"or", OP_ALT, 1}, {"to", OP_ALT, 1}, {"and", OP_ALT, 1},
        {"\xc3\x97", OP_OTHER, 0}, {"x", OP_OTHER, 1},   /* × */
    };
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        size_t l = strlen(ops[o].t);
        if (k + l > n || strncasecmp(s + k, ops[o].t, l)) continue;
        if (ops[o].word && (k + l >= n || !is_emph(s[k + l]))) continue;
        *op = ops[o].op;
        return l;
    }
    return 0;
}

/* A word (a letter, not "point(s)" nor an operator word) after the number
 * that ends at s[t]: the number begins prose ("1 for relevance"). */
static int word_follows(const char *s, size_t n, size_t t)
{
    size_t k = skip_emph(s, n, t);
    int op;
    if (k >= n || !isalpha((unsigned char)s[k]) || points_word(s, n, k) || op_at(s, n, k, &op)) return 0;
    return 1;
}

/* The score at s[i], just after the phrase's colon. A number, "N.0", "N/5"
 * or "N points" is the score. A line that goes on with another number is
 * no guess either way: "3-4", "3 or 4", "3 and 4", "3, 4" and "3 4" are
 * contradictory; a sum with its total ("1 + 1 + 1 = 3", "5 - 1 = 4", an
 * arrow for '=') gives the total when every side has the same value, and is
 * refused otherwise (its summands are not the score). A word or punctuation
 * after the number ends it ("3 (points 1, 2 and 3)", "2 - coherent"), and
 * so does a dash after "N points" whose number begins prose ("3 points - 1
 * for relevance, 1 for coherence, 1 for readability" is 3). A sum with a number over 5 is
 * refused: every score is 0..5, so its total could only be a guess.
 * Returns 0..5 or -1 with why. */
static int parse_number_at(const char *s, size_t n, size_t i, char *why, size_t cap)
{
    if (i >= n || !isdigit((unsigned char)s[i])) {
        snprintf(why, cap, "no number after 'Educational score:'");
        return -1;
    }
    size_t d0 = i;
    long v;
    if (read_term(s, n, &i, &v, why, cap) < 0) return -1;
    size_t last1 = i;   /* where the last number read ends */
    long long side = v, first_side = 0;
    long maxterm = v;
    int terms = 1, minus = 0, eqs = 0, unequal = 0, other = 0;
    for (;;) {
        size_t k = skip_emph(s, n, i);
        size_t pw = points_word(s, n, k);
        k = skip_emph(s, n, k + pw);
        int op = OP_ALT;               /* a bare second number: "3 4" */
        size_t ol = op_at(s, n, k, &op);
        size_t t = skip_emph(s, n, k + ol);
        if (t >= n || !isdigit((unsigned char)s[t])) break;   /* prose, not a number */
        long w;
        if (read_term(s, n, &t, &w, why, cap) < 0) return -1;
        if (op == OP_ALT) {
            snprintf(why, cap, "contradictory score '%.*s'", quote_len(s, d0, t), s + d0);
            return -1;
        }
        if (op == OP_MINUS && terms == 1 && pw && word_follows(s, n, t))
            break;   /* "3 points - 1 for relevance, 1 for ...": a dash, then prose
                      * ("3-4 for this extract" stays a range) */
        if (op != OP_EQ && w > maxterm) maxterm = w;   /* a summand; a total over 5 is out of range below */
        terms++;
        if (op == OP_EQ) {
            if (eqs++ == 0) first_side = side;
            else if (side != first_side) unequal = 1;
            side = w;
        } else if (op == OP_PLUS) {
            side += w;
        } else if (op == OP_MINUS) {
            minus++;
            side -= w;
        } else {
            other = 1;
        }
        last1 = t;
        i = t;
    }
    if (terms == 1) {
        if (v > 5) {
            snprintf(why, cap, "score %.*s is out of range 0-5", quote_len(s, d0, i), s + d0);
            return -1;
        }
        return (int)v;
    }
    int ql = quote_len(s, d0, last1);
    if (eqs == 0 && terms == 2 && minus == 1) {   /* "3-4": a range */
        snprintf(why, cap, "contradictory score '%.*s'", ql, s + d0);
        return -1;
    }
    if (other || eqs == 0) {
        snprintf(why, cap, "score line holds an expression without a total: '%.*s'", ql, s + d0);
        return -1;
    }
    if (maxterm > 5) {   /* saturated terms cannot be added; no real sum needs them */
        snprintf(why, cap, "score line holds a number out of range 0-5: '%.*s'", ql, s + d0);
        return -1;
    }
    if (unequal || side != first_side) {
        snprintf(why, cap, "score line holds an expression that does not add up: '%.*s'", ql, s + d0);
        return -1;
    }
    if (side < 0 || side > 5) {
        snprintf(why, cap, "score %lld (the total of '%.*s') is out of range 0-5", side, ql, s + d0);
        return -1;
    }
    return (int)side;
}

/* After "Educational score:": emphasis, blank lines ("**Educational
 * score:**\n\n**3**") and no-break or thin spaces (U+00A0, U+2009,
 * U+202F) before the number. */
static size_t skip_gap(const char *s, size_t n, size_t i)
{
    for (;;) {
        i = skip_emph(s, n, i);
        if (i < n && (s[i] == '\n' || s[i] == '\r')) i++;
        else if (i + 1 < n && !memcmp(s + i, "\xc2\xa0", 2)) i += 2;
        else if (i + 2 < n && (!memcmp(s + i, "\xe2\x80\x89", 3) || !memcmp(s + i, "\xe2\x80\xaf", 3))) i += 3;
        else return i;
    }
}

/* The line from s[i] holds only a number ("**3**", "3/5", "3 points."). */
static int bare_number_line(const char *s, size_t n, size_t i)
{
    for (; i < n && s[i] != '\n' && s[i] != '\r'; i++) {
        size_t pw = points_word(s, n, i);
        if (pw) i += pw - 1;
        else if (!isdigit((unsigned char)s[i]) && !is_emph(s[i]) && !strchr("/.", s[i])) return 0;
    }
    return 1;
}

/* A number in brackets or quotes that ends its line ("<3>", "[3/5]", "(4)",
 * '"2"': a model that copies the template's "<total points>" or quotes its
 * answer): where the number begins, else i. What follows the number is
 * left to parse_number_at; only emphasis and a full stop may follow the
 * closer ("(1) Relevance: ..." begins a list and stays refused). */
static size_t skip_bracket(const char *s, size_t n, size_t i)
{
    static const char open[] = "<[(\"'", close[] = ">])\"'";
    const char *o = i < n && s[i] ? strchr(open, s[i]) : NULL;
    if (!o) return i;
    size_t k = skip_emph(s, n, i + 1), d = k;
    if (k >= n || !isdigit((unsigned char)s[k])) return i;
    while (k < n && (isdigit((unsigned char)s[k]) || is_emph(s[k]) || s[k] == '/' || s[k] == '.')) k++;
    if (k >= n || s[k] != close[o - open]) return i;
    for (k++; k < n && s[k] != '\n' && s[k] != '\r'; k++)
        if (!is_emph(s[k]) && s[k] != '.') return i;
    return d;
}

/* The last "Educational score: N"; *line_start is where its line begins,
 * *line_end where the number's line ends. */
static int parse_text_score2(const char *s, size_t n, size_t *line_start, size_t *line_end, char *why,
                             size_t cap)
{
    size_t before = n, plen = sizeof score_phrase - 1;
    int seen = 0;
    for (;;) {
        size_t at = find_phrase_before(s, n, before);
        if (at == (size_t)-1) break;
        seen = 1;
        size_t i = skip_emph(s, n, at + plen);
        /* ':', '=' or a fullwidth colon (U+FF1A, from models that write CJK) */
        size_t cl = i < n && (s[i] == ':' || s[i] == '=') ? 1
                    : i + 2 < n && !memcmp(s + i, "\xef\xbc\x9a", 3) ? 3 : 0;
        if (cl) {
            size_t c = i + cl;
            size_t g = skip_gap(s, n, c);
            i = skip_bracket(s, n, g);   /* i > g: a bracketed number ends its line */
            if (memchr(s + c, '\n', g - c) && i == g && !bare_number_line(s, n, i)) {
                /* "Educational score:\n\n1. Relevance ...": a list, not the score */
                snprintf(why, cap, "no number after 'Educational score:'");
                return -1;
            }
            size_t ls = at;
            while (ls > 0 && s[ls - 1] != '\n') ls--;
            *line_start = ls;
            size_t le = i;
            while (le < n && s[le] != '\n') le++;
            *line_end = le;
            return parse_number_at(s, n, i, why, cap);
        }
        if (at == 0) break;
        before = at + plen - 1;
    }
    snprintf(why, cap, seen ? "'Educational score' is never followed by ': N'"
                            : "no 'Educational score: N' line in the reply");
    return -1;
}

static int parse_text_score(const char *s, size_t n, size_t *line_start, char *why, size_t cap)
{
    size_t le;
    return parse_text_score2(s, n, line_start, &le, why, cap);
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

/* Case-insensitive search for t in s[from..n): its offset, else (size_t)-1;
 * last: the last occurrence instead of the first. */
static size_t find_tag(const char *s, size_t n, size_t from, const char *t, int last)
{
    size_t tl = strlen(t), at = (size_t)-1;
    for (size_t i = from; i + tl <= n; i++) {
        if (strncasecmp(s + i, t, tl)) continue;
        at = i;
        if (!last) break;
    }
    return at;
}

int llm_split_think(const char *s, size_t n, size_t *answer, size_t *think0, size_t *think1)
{
    *answer = 0;
    *think0 = *think1 = 0;
    size_t b = 0;
    while (b < n && isspace((unsigned char)s[b])) b++;
    if (n - b >= 7 && !strncasecmp(s + b, "<think>", 7)) {
        /* A block opens the reply: the first </think> closes it (a model
         * ends its block with the first one it writes), and the answer
         * after it may mention the tag. */
        size_t close = find_tag(s, n, b + 7, "</think>", 0);
        *think0 = b + 7;
        if (close == (size_t)-1) {
            *think1 = *answer = n;
            return 2;
        }
        *think1 = close;
        *answer = close + 8;
        return 1;
    }
    /* The template opened the block in the prompt (DeepSeek-R1, Qwen3
     * thinking): the reply holds only its end, a </think> on a line of its
     * own. A <think> or an inline </think> anywhere else is text. */
    for (size_t at = 0; (at = find_tag(s, n, at, "</think>", 0)) != (size_t)-1; at++) {
        size_t l = at, r = at + 8;
        while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r')) l--;
        while (r < n && (s[r] == ' ' || s[r] == '\t' || s[r] == '\r')) r++;
        if ((l == 0 || s[l - 1] == '\n') && (r == n || s[r] == '\n')) {
            if (find_tag(s, at, 0, "<think>", 0) != (size_t)-1) return 0;
            *think1 = at;
            *answer = at + 8;
            return 1;
        }
    }
    return 0;
}

int llm_parse_score(const char *content, size_t n, int json_mode, sbuf *just,
                    char *why, size_t why_cap)
{
    why[0] = 0;
    size_t ans, t0, t1;
    int think = llm_split_think(content, n, &ans, &t0, &t1);
    if (think == 2) {
        /* what a musing says is no verdict, however it is worded */
        snprintf(why, why_cap, "the reply ended inside a <think> block, before any answer "
                               "(a reasoning model needs a larger --max-tokens)");
        return -1;
    }
    content += ans;
    n -= ans;
    if (json_mode) {
        int rc = parse_json_score(content, n, just, why, why_cap);
        if (rc != -2) return rc;
    }
    size_t ls = 0, le = n;
    int score = parse_text_score2(content, n, &ls, &le, why, why_cap);
    size_t a = 0;
    while (a < ls && isspace((unsigned char)content[a])) a++;
    if (a < ls) {
        trim_into(just, content, ls);
    } else if (score >= 0 && le < n) {
        /* the score first, its reasons after it ("Educational score: 3\n\n
         * Justification: ..."): those are the justification */
        const char *r = content + le;
        size_t rn = n - le;
        while (rn && (isspace((unsigned char)*r) || is_emph(*r))) r++, rn--;
        if (rn >= 14 && !strncasecmp(r, "justification", 13)) {
            size_t k = skip_emph(r, rn, 13);
            if (k < rn && r[k] == ':') {
                r += k + 1;
                rn -= k + 1;
            }
        }
        trim_into(just, r, rn);
    }
    return score;
}
