/* marker.c - see marker.h. */
#include "marker.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attr.h"
#include "config.h"
#include "fsutil.h"
#include "hash.h"
#include "sbuf.h"

typedef struct marker_input {
    char *name;
    uint64_t size;
    int64_t mtime_ns;
    uint64_t xxh3;
} marker_input;

typedef struct marker_setting {
    char *name, *value;
} marker_setting;

struct marker_key {
    char *stage;
    marker_input *in;
    size_t nin, capin;
    marker_setting *set;
    size_t nset, capset;
    char hex[65];
};

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (!p) abort();  /* as sbuf: small allocations do not fail recoverably */
    memcpy(p, s, n);
    return p;
}

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap * 2 : 8;
    while (c < need) c *= 2;
    void *q = realloc(p, c * elem);
    if (!q) abort();
    *cap = c;
    return q;
}

marker_key *marker_key_new(const char *stage)
{
    marker_key *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    k->stage = dupstr(stage);
    return k;
}

void marker_key_free(marker_key *k)
{
    if (!k) return;
    for (size_t i = 0; i < k->nin; i++) free(k->in[i].name);
    for (size_t i = 0; i < k->nset; i++) {
        free(k->set[i].name);
        free(k->set[i].value);
    }
    free(k->in);
    free(k->set);
    free(k->stage);
    free(k);
}

void marker_key_identity(marker_key *k, const char *name, uint64_t size, int64_t mtime_ns,
                         uint64_t xxh3)
{
    k->in = grow(k->in, &k->capin, k->nin + 1, sizeof *k->in);
    k->in[k->nin++] = (marker_input){dupstr(name), size, mtime_ns, xxh3};
}

int marker_key_file(marker_key *k, const char *name, const char *path, blalm_err *e)
{
    doc_identity id;
    if (doc_identity_of(path, &id, e) < 0) return -1;
    marker_key_identity(k, name, id.size, id.mtime_ns, id.xxh3);
    return 0;
}

void marker_key_setting(marker_key *k, const char *name, const char *value)
{
    k->set = grow(k->set, &k->capset, k->nset + 1, sizeof *k->set);
    k->set[k->nset++] = (marker_setting){dupstr(name), dupstr(value ? value : "")};
}

void marker_key_settingf(marker_key *k, const char *name, const char *fmt, ...)
{
    sbuf b;
    sb_init(&b);
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    sb_reserve(&b, (size_t)n + 1);
    vsnprintf(b.data, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b.len = (size_t)n;
    marker_key_setting(k, name, sb_cstr(&b));
    sb_free(&b);
}

/* Length-prefixed fields, so that no choice of names can make two different
 * keys hash the same text. */
static void field(sbuf *b, const char *s)
{
    sb_printf(b, "%zu:", strlen(s));
    sb_adds(b, s);
}

const char *marker_key_hex(marker_key *k)
{
    sbuf b;
    sb_init(&b);
    sb_adds(&b, "blalm-marker-v1;");
    field(&b, k->stage);
    for (size_t i = 0; i < k->nin; i++) {
        sb_adds(&b, "in;");
        field(&b, k->in[i].name);
        sb_printf(&b, "%" PRIu64 ";%016" PRIx64 ";", k->in[i].size, k->in[i].xxh3);
    }
    for (size_t i = 0; i < k->nset; i++) {
        sb_adds(&b, "set;");
        field(&b, k->set[i].name);
        field(&b, k->set[i].value);
    }
    sha256_hex(b.data, b.len, k->hex);
    sb_free(&b);
    return k->hex;
}

int marker_path_of(const char *state_dir, const char *stage, const char *unit, char *out,
                   size_t cap, blalm_err *e)
{
    if (!path_is_plain_relative(unit) || !path_is_plain_relative(stage))
        return err_set(e, "completion marker: unit '%s/%s' is not a relative path without "
                          "'.' or '..' components", stage ? stage : "", unit ? unit : "");
    int n = snprintf(out, cap, "%s/%s/%s.done", state_dir, stage, unit);
    if (n < 0 || (size_t)n >= cap) return err_set(e, "completion marker path too long: %s", unit);
    return 0;
}

static void json_key_u64hex(sbuf *b, const char *key, uint64_t v, int *first)
{
    char hx[17];
    snprintf(hx, sizeof hx, "%016" PRIx64, v);
    sb_json_key(b, key, first);
    sb_json_str(b, hx, 16);
}

int marker_commit(const char *state_dir, const char *stage, const char *unit, marker_key *k,
                  const char *result_json, blalm_err *e)
{
    char path[8192];
    if (marker_path_of(state_dir, stage, unit, path, sizeof path, e) < 0) return -1;
    if (result_json) {
        cJSON *r = cJSON_Parse(result_json);
        if (!r) return err_set(e, "completion marker %s: result is not one JSON value", path);
        cJSON_Delete(r);
    }
    const char *hex = marker_key_hex(k);
    sbuf b;
    sb_init(&b);
    int first = 1;
    sb_addc(&b, '{');
    sb_json_key(&b, "version", &first);
    sb_json_int(&b, 1);
    sb_json_key(&b, "stage", &first);
    sb_json_str(&b, k->stage, strlen(k->stage));
    sb_json_key(&b, "unit", &first);
    sb_json_str(&b, unit, strlen(unit));
    sb_json_key(&b, "key", &first);
    sb_json_str(&b, hex, 64);
    sb_json_key(&b, "inputs", &first);
    sb_addc(&b, '[');
    for (size_t i = 0; i < k->nin; i++) {
        int f2 = 1;
        if (i) sb_addc(&b, ',');
        sb_addc(&b, '{');
        sb_json_key(&b, "name", &f2);
        sb_json_str(&b, k->in[i].name, strlen(k->in[i].name));
        sb_json_key(&b, "size", &f2);
        sb_json_uint(&b, k->in[i].size);
        sb_json_key(&b, "mtime_ns", &f2);
        sb_json_int(&b, k->in[i].mtime_ns);
        json_key_u64hex(&b, "xxh3", k->in[i].xxh3, &f2);
        sb_addc(&b, '}');
    }
    sb_addc(&b, ']');
    sb_json_key(&b, "settings", &first);
    sb_addc(&b, '[');
    for (size_t i = 0; i < k->nset; i++) {
        if (i) sb_addc(&b, ',');
        sb_addc(&b, '[');
        sb_json_str(&b, k->set[i].name, strlen(k->set[i].name));
        sb_addc(&b, ',');
        sb_json_str(&b, k->set[i].value, strlen(k->set[i].value));
        sb_addc(&b, ']');
    }
    sb_addc(&b, ']');
    sb_json_key(&b, "result", &first);
    sb_adds(&b, result_json ? result_json : "{}");
    sb_adds(&b, "}\n");
    int rc = mkdir_parent(path, e) < 0 ? -1 : write_file_atomic(path, b.data, b.len, e);
    sb_free(&b);
    return rc;
}

static cJSON *load(const char *path, blalm_err *e)
{
    char *data;
    size_t len;
    if (read_file(path, &data, &len, e) < 0) return NULL;
    cJSON *j = cJSON_ParseWithLength(data, len);
    free(data);
    if (!j) err_set(e, "%s: not JSON", path);
    return j;
}

/* The first difference between the stored marker and k, for people. */

/* s shown around byte d, at most about 120 bytes: from 40 bytes before d
 * (at a character's start), "..." where cut. */
static void around(const char *s, size_t d, char *out, size_t cap)
{
    size_t n = strlen(s), from = d > 40 ? d - 40 : 0, len = 120;
    while (from > 0 && ((unsigned char)s[from] & 0xC0) == 0x80) from--;
    if (from + len >= n) len = n - from;
    else
        while (len > 0 && ((unsigned char)s[from + len] & 0xC0) == 0x80) len--;
    snprintf(out, cap, "%s%.*s%s", from ? "..." : "", (int)len, s + from, from + len < n ? "..." : "");
}

static void explain(const cJSON *m, const marker_key *k, char *why, size_t cap)
{
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(m, "inputs");
    const cJSON *sets = cJSON_GetObjectItemCaseSensitive(m, "settings");
    if (!cJSON_IsArray(ins) || !cJSON_IsArray(sets)) {
        snprintf(why, cap, "marker written by another version of blalm");
        return;
    }
    for (size_t i = 0; i < k->nin; i++) {
        const cJSON *it = NULL, *x;
        cJSON_ArrayForEach(x, ins) {
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(x, "name");
            if (cJSON_IsString(nm) && strcmp(nm->valuestring, k->in[i].name) == 0) {
                it = x;
                break;
            }
        }
        if (!it) {
            snprintf(why, cap, "input %s is new", k->in[i].name);
            return;
        }
        const cJSON *sz = cJSON_GetObjectItemCaseSensitive(it, "size");
        const cJSON *hx = cJSON_GetObjectItemCaseSensitive(it, "xxh3");
        char now[17];
        snprintf(now, sizeof now, "%016" PRIx64, k->in[i].xxh3);
        /* compared as doubles (the marker's number is one): a corrupt size
         * (1e30, 2.5, -1) is a change, never cast out of range */
        if (!cJSON_IsNumber(sz) || sz->valuedouble != (double)k->in[i].size) {
            snprintf(why, cap, "input %s changed: %.17g -> %" PRIu64 " bytes", k->in[i].name,
                     cJSON_IsNumber(sz) ? sz->valuedouble : -1.0, k->in[i].size);
            return;
        }
        if (!cJSON_IsString(hx) || strcmp(hx->valuestring, now) != 0) {
            snprintf(why, cap, "input %s changed: same size, other content", k->in[i].name);
            return;
        }
    }
    if ((size_t)cJSON_GetArraySize(ins) != k->nin) {
        snprintf(why, cap, "the inputs differ: %d then, %zu now", cJSON_GetArraySize(ins), k->nin);
        return;
    }
    for (size_t i = 0; i < k->nset; i++) {
        const cJSON *x;
        int found = 0;
        cJSON_ArrayForEach(x, sets) {
            const cJSON *n = cJSON_GetArrayItem(x, 0), *v = cJSON_GetArrayItem(x, 1);
            if (!cJSON_IsString(n) || !cJSON_IsString(v) || strcmp(n->valuestring, k->set[i].name))
                continue;
            found = 1;
            if (strcmp(v->valuestring, k->set[i].value) != 0) {
                /* long values (a whole config) are shown around their first
                 * difference, which may lie past any fixed cut */
                const char *a = v->valuestring, *b = k->set[i].value;
                size_t d = 0;
                while (a[d] && a[d] == b[d]) d++;
                char wa[200], wb[200];
                around(a, d, wa, sizeof wa);
                around(b, d, wb, sizeof wb);
                snprintf(why, cap, "setting %s was %s, now %s", k->set[i].name, wa, wb);
                return;
            }
        }
        if (!found) {
            snprintf(why, cap, "setting %s is new", k->set[i].name);
            return;
        }
    }
    snprintf(why, cap, "the settings differ (order or number)");
}

int marker_check(const char *state_dir, const char *stage, const char *unit, marker_key *k,
                 char *why, size_t why_cap, blalm_err *e)
{
    char path[8192], scratch[8];
    if (!why) {
        why = scratch;
        why_cap = sizeof scratch;
    }
    if (why_cap) why[0] = 0;
    if (marker_path_of(state_dir, stage, unit, path, sizeof path, e) < 0) return -1;
    if (access(path, F_OK) != 0) return MARKER_ABSENT;
    blalm_err le;
    cJSON *m = load(path, &le);
    if (!m) {
        snprintf(why, why_cap, "unreadable marker: %s", le.msg);
        return MARKER_STALE;
    }
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(m, "key");
    const char *hex = marker_key_hex(k);
    int rc;
    if (cJSON_IsString(key) && strcmp(key->valuestring, hex) == 0) rc = MARKER_DONE;
    else {
        explain(m, k, why, why_cap);
        rc = MARKER_STALE;
    }
    cJSON_Delete(m);
    return rc;
}

int marker_remove(const char *state_dir, const char *stage, const char *unit, blalm_err *e)
{
    char path[8192];
    if (marker_path_of(state_dir, stage, unit, path, sizeof path, e) < 0) return -1;
    if (unlink(path) < 0 && errno != ENOENT) return err_errno(e, "removing %s", path);
    return 0;
}

int marker_result_get(const char *state_dir, const char *stage, const char *unit, char **out, blalm_err *e)
{
    char path[8192];
    *out = NULL;
    if (marker_path_of(state_dir, stage, unit, path, sizeof path, e) < 0) return -1;
    cJSON *m = load(path, e);
    if (!m) return -1;
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "result");
    int rc = 0;
    if (!r) rc = MARKER_NO_RESULT, err_set(e, "%s: no \"result\"", path);
    else if (!(*out = json_print(r, 0))) rc = err_set(e, "%s: out of memory", path);
    cJSON_Delete(m);
    return rc;
}

char *marker_result(const char *state_dir, const char *stage, const char *unit, blalm_err *e)
{
    char *out;
    marker_result_get(state_dir, stage, unit, &out, e);
    return out;
}
