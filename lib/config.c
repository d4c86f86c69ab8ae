#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "json.h"
#include "sbuf.h"
#include "utf8.h"

static int cmp_key(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* The first key given twice in an object anywhere in j, with where it is
 * ("corpora[1]", "" for the top level). cJSON keeps both members and lookups
 * return the first, so a repeated key would silently lose its second value.
 * Recursion follows the nesting, which cJSON bounds (CJSON_NESTING_LIMIT). */
static const char *duplicate_key(const cJSON *j, char *where, size_t cap)
{
    size_t wl = strlen(where);
    if (cJSON_IsObject(j)) {
        size_t n = 0;
        for (const cJSON *c = j->child; c; c = c->next) n++;
        if (n > 1) {
            const cJSON **v = malloc(n * sizeof *v);
            if (v) {
                size_t i = 0;
                for (const cJSON *c = j->child; c; c = c->next) v[i++] = c;
                qsort(v, n, sizeof *v, cmp_key);
                for (i = 1; i < n; i++)
                    if (!strcmp(v[i]->string, v[i - 1]->string)) {
                        const char *k = v[i]->string;
                        free(v);
                        return k;
                    }
                free(v);
            }
        }
        for (const cJSON *c = j->child; c; c = c->next) {
            snprintf(where + wl, cap - wl, "%s%s", wl ? "." : "", c->string);
            const char *k = duplicate_key(c, where, cap);
            if (k) return k;
        }
    } else if (cJSON_IsArray(j)) {
        int i = 0;
        for (const cJSON *c = j->child; c; c = c->next, i++) {
            snprintf(where + wl, cap - wl, "[%d]", i);
            const char *k = duplicate_key(c, where, cap);
            if (k) return k;
        }
    }
    where[wl] = 0;
    return NULL;
}

/* ---- what a syntax error expected ---- */

/* A second look at text that cJSON refused, for the message: a plain scan
 * of JSON's grammar that stops at the first byte that cannot continue it,
 * and says what could have come there (e.g. "expected ',' or '}' after the
 * value of \"max_steps\""). 1 with *at and why set; 0 when it finds no
 * error (cJSON refused something else, e.g. nesting past its limit). */
enum { X_VALUE, X_VALUE_OR_CLOSE, X_KEY, X_KEY_OR_CLOSE, X_COLON, X_NEXT, X_END };

static void json_found(const char *t, size_t len, size_t i, char *out, size_t cap)
{
    unsigned char c = i < len ? (unsigned char)t[i] : 0;
    if (i >= len) snprintf(out, cap, "the end of the text");
    else if (c >= 0x20 && c < 0x7f) snprintf(out, cap, "'%c'", c);
    else snprintf(out, cap, "byte 0x%02x", c);
}

static int json_expectation(const char *t, size_t len, size_t *at, char *why, size_t cap)
{
    char stack[1024];   /* '{' or '[' per open container */
    char key[64] = "";  /* the last key read, for the message */
    int depth = 0, x = X_VALUE;
    size_t i = 0;
    for (;;) {
        i = json_ws(t, len, i);
        char found[32];
        json_found(t, len, i, found, sizeof found);
        char c = i < len ? t[i] : 0;
        const char *want = NULL;
        switch (x) {
        case X_VALUE:
        case X_VALUE_OR_CLOSE:
            if (x == X_VALUE_OR_CLOSE && c == ']') {
                depth--;
                i++;
                x = depth ? X_NEXT : X_END;
                continue;
            }
            if (i < len && (c == '{' || c == '[')) {
                if (depth == (int)sizeof stack) return 0;
                stack[depth++] = c;
                i++;
                x = c == '{' ? X_KEY_OR_CLOSE : X_VALUE_OR_CLOSE;
                continue;
            }
            if (c == '"' || c == '-' || (c >= '0' && c <= '9') || c == 't' || c == 'f' || c == 'n') {
                size_t start = i;
                if (c == '"') {
                    for (i++; i < len && t[i] != '"'; i++)
                        if (t[i] == '\\') i++;
                    if (i >= len) {
                        *at = start;
                        snprintf(why, cap, "a string that is never closed (no '\"' after it)");
                        return 1;
                    }
                    i++;
                } else if (c == 't' || c == 'f' || c == 'n') {
                    const char *w = c == 't' ? "true" : c == 'f' ? "false" : "null";
                    size_t n = strlen(w);
                    if (len - i < n || memcmp(t + i, w, n)) {
                        *at = start;
                        snprintf(why, cap, "expected a value (a string in double quotes, a number, an object, "
                                 "an array, true, false or null), found '%c'", c);
                        return 1;
                    }
                    i += n;
                } else {
                    if (c == '-') i++;
                    if (i >= len || t[i] < '0' || t[i] > '9') {
                        json_found(t, len, i, found, sizeof found);
                        *at = i;
                        snprintf(why, cap, "expected a digit, found %s", found);
                        return 1;
                    }
                    while (i < len && ((t[i] >= '0' && t[i] <= '9') || t[i] == '.' || t[i] == 'e' || t[i] == 'E' ||
                                       t[i] == '+' || t[i] == '-'))
                        i++;
                }
                x = depth ? X_NEXT : X_END;
                continue;
            }
            want = x == X_VALUE_OR_CLOSE ? "a value or ']'"
                   : depth && stack[depth - 1] == '[' && i > 0 ? "a value after ',' (JSON has no ',' before ']')"
                   : *key ? NULL
                          : "a JSON value";
            if (!want) {
                *at = i;
                snprintf(why, cap, "expected the value of \"%s\" (a string in double quotes, a number, an "
                         "object, an array, true, false or null), found %s", key, found);
                return 1;
            }
            break;
        case X_KEY:
        case X_KEY_OR_CLOSE:
            if (x == X_KEY_OR_CLOSE && c == '}') {
                depth--;
                i++;
                x = depth ? X_NEXT : X_END;
                continue;
            }
            if (c == '"') {
                size_t s = ++i, k;
                while (i < len && t[i] != '"') i += t[i] == '\\' ? 2 : 1;
                if (i >= len) {
                    *at = s - 1;
                    snprintf(why, cap, "a key that is never closed (no '\"' after it)");
                    return 1;
                }
                k = i - s < sizeof key - 1 ? i - s : sizeof key - 1;
                memcpy(key, t + s, k);
                key[k] = 0;
                i++;
                x = X_COLON;
                continue;
            }
            want = x == X_KEY_OR_CLOSE ? "a key in double quotes or '}'"
                   : c == '}' ? "a key in double quotes after ',' (JSON has no ',' before '}')"
                              : "a key in double quotes after ','";
            break;
        case X_COLON:
            if (c == ':') {
                i++;
                x = X_VALUE;
                continue;
            }
            *at = i;
            snprintf(why, cap, "expected ':' after the key \"%s\", found %s", key, found);
            return 1;
        case X_NEXT:
            if (c == ',') {
                i++;
                x = stack[depth - 1] == '{' ? X_KEY : X_VALUE;
                if (x == X_VALUE) *key = 0;
                continue;
            }
            if (c == (stack[depth - 1] == '{' ? '}' : ']')) {
                depth--;
                i++;
                x = depth ? X_NEXT : X_END;
                continue;
            }
            *at = i;
            if (stack[depth - 1] == '{')
                snprintf(why, cap, "expected ',' or '}' after the value of \"%s\", found %s", key, found);
            else
                snprintf(why, cap, "expected ',' or ']' after an element of the array, found %s", found);
            return 1;
        default:   /* X_END */
            if (i >= len) return 0;
            want = "the end of the text after the JSON value";
            break;
        }
        *at = i;
        snprintf(why, cap, "expected %s, found %s", want, found);
        return 1;
    }
}

/* The strict scanner of document lines (RFC 8259) over the text: 1 with
 * *at and why set at its first error, 0 when the text is JSON (a UTF-8 byte
 * order mark before the value is let through, as cJSON skips it). */
static int json_strict_error(const char *t, size_t len, size_t *at, char *why, size_t cap)
{
    size_t p = len >= 3 && !memcmp(t, "\xEF\xBB\xBF", 3) ? 3 : 0;
    const char *want = NULL;
    if (json_skip_value(t, len, &p, &want) == 0) return 0;
    char found[32];
    json_found(t, len, p, found, sizeof found);
    *at = p;
    if (p < len && t[p] >= '0' && t[p] <= '9' && p > 0 && t[p - 1] == '0') {
        /* a digit stops the scanner only after a number's leading "0"
         * ("03": it took "0" as the number); point at that '0' */
        *at = p - 1;
        snprintf(why, cap, "a number with a leading zero (JSON has none: 3, not 03)");
    } else if (p < len && (unsigned char)t[p] < 0x20 && strstr(want, "control")) {
        snprintf(why, cap, "a raw control character (byte 0x%02x) in a string; JSON writes it escaped "
                 "(\\t, \\n, \\u001f)", (unsigned char)t[p]);
    } else {
        snprintf(why, cap, "expected %s, found %s", want, found);
    }
    return 1;
}

/* The line and column (from 1) of byte off of t, counted after a UTF-8
 * byte order mark (an editor does not show it as three columns). */
static void line_col(const char *t, size_t len, size_t off, size_t *line, size_t *col)
{
    *line = 1, *col = 1;
    for (size_t i = len >= 3 && !memcmp(t, "\xEF\xBB\xBF", 3) ? 3 : 0; i < off && i < len; i++) {
        if (t[i] == '\n') { ++*line; *col = 1; }
        else ++*col;
    }
}

/* config_parse (lineno 0: text is a whole file) and config_parse_line
 * (lineno: text is that line of the file `what`). */
static cJSON *parse_strict(const char *text, size_t len, const char *what, unsigned long long lineno, blalm_err *e)
{
    char at[1100];   /* "what" or "what:LINE" */
    if (lineno) snprintf(at, sizeof at, "%s:%llu", what, lineno);
    else snprintf(at, sizeof at, "%s", what);
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j) {
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        char why[256] = "";
        if (!lineno && json_expectation(text, len, &off, why, sizeof why) == 0 &&
            json_strict_error(text, len, &off, why, sizeof why) == 0)   /* e.g. "1e", "\\x" */
            why[0] = 0;
        size_t line, col;
        line_col(text, len, off, &line, &col);
        if (lineno) err_set(e, "%s: column %zu: not valid JSON (expected one JSON value per line)", at, col);
        else err_set(e, "%s:%zu:%zu: invalid JSON%s%s", at, line, col, *why ? ": " : "", why);
        return NULL;
    }
    /* trailing garbage after the value */
    if (end) {
        while ((size_t)(end - text) < len && (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r')) end++;
        if ((size_t)(end - text) < len) {
            size_t off = (size_t)(end - text), line, col;
            line_col(text, len, off, &line, &col);
            cJSON_Delete(j);
            if (lineno) err_set(e, "%s: unexpected text after the JSON value at byte %zu", at, off);
            else err_set(e, "%s:%zu:%zu: unexpected text after the JSON value (one value per file)", at, line, col);
            return NULL;
        }
    }
    /* cJSON takes more than JSON (RFC 8259): a number with a leading zero
     * ("03" read as 3) or no digit after '.' ("3."), raw control characters
     * and invalid UTF-8 in strings. What it took is scanned again with the
     * strict scanner of document lines, so that a config other JSON readers
     * refuse is refused here too, with its line and column. */
    size_t off = 0;
    char why[256];
    /* Bytes that are not UTF-8 inside a string are let through, as cJSON
     * took them: blalm's own records hold paths (an OUT or WORK folder's
     * real path, byte for byte), which need not be UTF-8, and `audit`
     * refused the decisions record assemble had just written in such a
     * folder. The scan runs on a copy with each such byte made '?' (same
     * offsets; outside a string '?' is still a syntax error); names that
     * must be UTF-8 (sources) are checked where they are read. */
    char *copy = NULL;
    const char *scan = text;
    size_t bad;
    if (!utf8_valid(text, len, &bad)) {
        if (!(copy = malloc(len ? len : 1))) {
            cJSON_Delete(j);
            err_set(e, "%s: out of memory", at);
            return NULL;
        }
        memcpy(copy, text, len);
        for (size_t i = bad; i < len;) {
            int32_t cp;
            int invalid = 0;
            size_t k = utf8_decode_flag((const unsigned char *)copy, len, i, &cp, &invalid);
            if (invalid) copy[i++] = '?';
            else i += k;
        }
        scan = copy;
    }
    int strict_bad = json_strict_error(scan, len, &off, why, sizeof why);
    free(copy);
    if (strict_bad) {
        size_t line, col;
        line_col(text, len, off, &line, &col);
        cJSON_Delete(j);
        if (lineno) err_set(e, "%s: column %zu: not valid JSON (%s)", at, col, why);
        else err_set(e, "%s:%zu:%zu: invalid JSON: %s", at, line, col, why);
        return NULL;
    }
    char where[512] = "";
    const char *dup = duplicate_key(j, where, sizeof where);
    if (dup) {
        err_set(e, "%s: duplicate key \"%s\"%s%s (each key may be given once)", at, dup, *where ? " in " : "",
                where);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

cJSON *config_parse(const char *text, size_t len, const char *what, blalm_err *e)
{
    return parse_strict(text, len, what, 0, e);
}

cJSON *config_parse_line(const char *text, size_t len, const char *what, unsigned long long lineno, blalm_err *e)
{
    return parse_strict(text, len, what, lineno, e);
}

cJSON *config_load(const char *path, blalm_err *e)
{
    char *data;
    size_t len;
    if (read_file(path, &data, &len, e) < 0) return NULL;
    cJSON *j = config_parse(data, len, path, e);
    free(data);
    return j;
}

int config_check_keys(const cJSON *obj, const char *const *allowed, const char *where, blalm_err *e)
{
    if (!cJSON_IsObject(obj)) return err_set(e, "%s: expected a JSON object", where);
    for (const cJSON *c = obj->child; c; c = c->next) {
        int ok = 0;
        for (int i = 0; allowed[i]; i++)
            if (!strcmp(c->string, allowed[i])) ok = 1;
        if (!ok) {
            char list[512] = "";
            for (int i = 0; allowed[i]; i++) {
                if (i) strncat(list, ", ", sizeof list - strlen(list) - 1);
                strncat(list, allowed[i], sizeof list - strlen(list) - 1);
            }
            return err_set(e, "%s: unknown key \"%s\" (known keys: %s)", where, c->string, list);
        }
    }
    return 0;
}

int config_number(const cJSON *obj, const char *key, double dflt, double *out, const char *where, blalm_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) { *out = dflt; return 0; }
    if (!cJSON_IsNumber(v)) return err_set(e, "%s: \"%s\" must be a number", where, key);
    *out = v->valuedouble;
    return 0;
}

int config_string(const cJSON *obj, const char *key, const char *dflt, const char **out, const char *where, blalm_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) { *out = dflt; return 0; }
    if (!cJSON_IsString(v)) return err_set(e, "%s: \"%s\" must be a string", where, key);
    *out = v->valuestring;
    return 0;
}

int config_bool(const cJSON *obj, const char *key, int dflt, int *out, const char *where, blalm_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) { *out = dflt; return 0; }
    if (!cJSON_IsBool(v)) return err_set(e, "%s: \"%s\" must be true or false", where, key);
    *out = cJSON_IsTrue(v);
    return 0;
}

/* 1 when cJSON's own text for number n does not read back as its value. */
static int lossy_number(const cJSON *n)
{
    double d = n->valuedouble;
    if (!isfinite(d) || d == (double)n->valueint) return 0;   /* cJSON: null, or %d */
    char t[64];
    snprintf(t, sizeof t, "%1.15g", d);
    return strtod(t, NULL) != d;
}

static int any_lossy(const cJSON *v)
{
    if (cJSON_IsNumber(v)) return lossy_number(v);
    for (const cJSON *c = v->child; c; c = c->next)
        if (any_lossy(c)) return 1;
    return 0;
}

/* Replaces, in a copy, each lossy number by raw text that reads back exactly. */
static int make_exact(cJSON *v)
{
    for (cJSON *c = v->child; c; c = c->next) {
        if (cJSON_IsNumber(c) && lossy_number(c)) {
            sbuf b;
            sb_init(&b);
            sb_json_num(&b, c->valuedouble);
            char *raw = strdup(sb_cstr(&b));
            sb_free(&b);
            if (!raw) return -1;
            c->type = cJSON_Raw;
            c->valuestring = raw;
        } else if (make_exact(c) < 0) {
            return -1;
        }
    }
    return 0;
}

char *json_print(const cJSON *v, int formatted)
{
    if (!v) return NULL;
    if (!any_lossy(v)) return formatted ? cJSON_Print(v) : cJSON_PrintUnformatted(v);
    cJSON *copy = cJSON_Duplicate(v, 1);
    if (!copy) return NULL;
    char *t = NULL;
    if (cJSON_IsNumber(copy)) {   /* a bare number: no parent to hold raw text */
        sbuf b;
        sb_init(&b);
        sb_json_num(&b, copy->valuedouble);
        t = strdup(sb_cstr(&b));
        sb_free(&b);
    } else if (make_exact(copy) == 0) {
        t = formatted ? cJSON_Print(copy) : cJSON_PrintUnformatted(copy);
    }
    cJSON_Delete(copy);
    return t;
}
