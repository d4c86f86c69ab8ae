#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "sbuf.h"

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
        size_t line = 1, col = 1;
        for (size_t i = 0; i < off && i < len; i++) {
            if (text[i] == '\n') { line++; col = 1; }
            else col++;
        }
        if (lineno) err_set(e, "%s: column %zu: not valid JSON (expected one JSON value per line)", at, col);
        else err_set(e, "%s:%zu:%zu: invalid JSON", at, line, col);
        return NULL;
    }
    /* trailing garbage after the value */
    if (end) {
        while ((size_t)(end - text) < len && (*end == ' ' || *end == '\n' || *end == '\t' || *end == '\r')) end++;
        if ((size_t)(end - text) < len) {
            cJSON_Delete(j);
            err_set(e, "%s: unexpected text after the JSON value at byte %zu", at, (size_t)(end - text));
            return NULL;
        }
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
