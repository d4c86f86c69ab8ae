/* safetensors.c - parameters to and from the safetensors format:
 * u64 LE header length, JSON header {name: {dtype, shape, data_offsets}},
 * padded with spaces to a multiple of 8, then the raw little-endian data. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lib/config.h"
#include "lib/fsutil.h"
#include "trainer/model.h"

unsigned char *safetensors_bytes(const char *what, int n, const st_tensor *ts, size_t *len, blalm_err *e)
{
    cJSON *h = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(h, "__metadata__");
    cJSON_AddStringToObject(meta, "format", "pt");
    cJSON_AddStringToObject(meta, "producer", "blalm " BLALM_VERSION);
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        const st_tensor *t = &ts[i];
        size_t cnt = (size_t)t->rows * (t->cols ? t->cols : 1);
        if (cJSON_GetObjectItemCaseSensitive(h, t->name)) { /* cJSON would write the key twice */
            cJSON_Delete(h);
            err_set(e, "%s: tensor name %s twice: a safetensors header names each tensor once", what, t->name);
            return NULL;
        }
        cJSON *o = cJSON_AddObjectToObject(h, t->name);
        cJSON_AddStringToObject(o, "dtype", "F32");
        cJSON *sh = cJSON_AddArrayToObject(o, "shape");
        cJSON_AddItemToArray(sh, cJSON_CreateNumber(t->rows));
        if (t->cols) cJSON_AddItemToArray(sh, cJSON_CreateNumber(t->cols));
        cJSON *dof = cJSON_AddArrayToObject(o, "data_offsets");
        cJSON_AddItemToArray(dof, cJSON_CreateNumber((double)off));
        cJSON_AddItemToArray(dof, cJSON_CreateNumber((double)(off + cnt * 4)));
        off += cnt * 4;
    }
    char *js = json_print(h, 0);
    cJSON_Delete(h);
    if (!js) {
        err_set(e, "%s: out of memory", what);
        return NULL;
    }
    size_t hl = strlen(js), padded = (hl + 7) / 8 * 8;
    size_t total = 8 + padded + off;
    unsigned char *buf = malloc(total);
    if (!buf) {
        free(js);
        err_set(e, "%s: out of memory", what);
        return NULL;
    }
    for (int b = 0; b < 8; b++) buf[b] = (unsigned char)((uint64_t)padded >> (8 * b));
    memcpy(buf + 8, js, hl);
    memset(buf + 8 + hl, ' ', padded - hl);
    free(js);
    unsigned char *d = buf + 8 + padded;
    for (int i = 0; i < n; i++) {
        size_t cnt = (size_t)ts[i].rows * (ts[i].cols ? ts[i].cols : 1);
        memcpy(d, ts[i].data, cnt * 4); /* x86-64 is little-endian, as the format */
        d += cnt * 4;
    }
    *len = total;
    return buf;
}

int safetensors_write(const char *path, int n, const st_tensor *ts, blalm_err *e)
{
    size_t total;
    unsigned char *buf = safetensors_bytes(path, n, ts, &total, e);
    if (!buf) return -1;
    int rc = write_file_atomic(path, buf, total, e);
    free(buf);
    return rc;
}

/* from = params or grads of m */
static unsigned char *tensors_bytes(const model *m, const float *from, const char *what, size_t *len,
                                    blalm_err *e)
{
    int n = model_num_tensors(m);
    st_tensor *ts = calloc((size_t)n, sizeof *ts);
    if (!ts) {
        err_set(e, "%s: out of memory", what);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        const tensor_info *t = model_tensor(m, i);
        ts[i] = (st_tensor){t->name, t->rows, t->cols, from + t->offset};
    }
    unsigned char *buf = safetensors_bytes(what, n, ts, len, e);
    free(ts);
    return buf;
}

int model_save_tensors(const model *m, const float *from, const char *path, blalm_err *e)
{
    size_t total;
    unsigned char *buf = tensors_bytes(m, from, path, &total, e);
    if (!buf) return -1;
    int rc = write_file_atomic(path, buf, total, e);
    free(buf);
    return rc;
}

int model_save_safetensors(const model *m, const char *path, blalm_err *e)
{
    return model_save_tensors(m, model_params((model *)m), path, e);
}

unsigned char *model_safetensors_bytes(const model *m, const char *what, size_t *len, blalm_err *e)
{
    return tensors_bytes(m, model_params((model *)m), what, len, e);
}

static void shape_text(int rows, int cols, char *out, size_t cap)
{
    if (cols) snprintf(out, cap, "[%d, %d]", rows, cols);
    else snprintf(out, cap, "[%d]", rows);
}

typedef struct {
    size_t b0, b1;
    const char *name;
} st_span;

static int span_cmp(const void *a, const void *b)
{
    const st_span *x = a, *y = b;
    return x->b0 < y->b0 ? -1 : x->b0 > y->b0 ? 1 : x->b1 < y->b1 ? -1 : x->b1 > y->b1;
}

int model_load_safetensors(model *m, const char *path, blalm_err *e)
{
    char *data;
    size_t len;
    if (read_file(path, &data, &len, e) < 0) return -1;
    int rc = -1;
    cJSON *h = NULL;
    unsigned char *seen = NULL;
    st_span *span = calloc((size_t)model_num_tensors(m) + 1, sizeof *span);
    if (!span) {
        free(data);
        return err_set(e, "%s: out of memory", path);
    }
    if (len < 8) {
        err_set(e, "%s: %zu bytes, too short for a safetensors header", path, len);
        goto done;
    }
    uint64_t hl = 0;
    for (int b = 0; b < 8; b++) hl |= (uint64_t)(unsigned char)data[b] << (8 * b);
    if (hl > len - 8) {
        err_set(e, "%s: header length %llu runs past the end (%zu bytes)", path,
                (unsigned long long)hl, len);
        goto done;
    }
    h = cJSON_ParseWithLength(data + 8, hl);
    if (!h) {
        err_set(e, "%s: header is not valid JSON", path);
        goto done;
    }
    /* every tensor of the file must be one of the model's: a file with more
     * (an SWA export loaded into a model without SWA) was read with its
     * extra tensors dropped silently */
    const cJSON *it;
    const char *first = NULL;
    int extra = 0;
    cJSON_ArrayForEach(it, h) {
        if (!it->string || !strcmp(it->string, "__metadata__") || model_find_tensor(m, it->string) >= 0) continue;
        if (!extra++) first = it->string;
    }
    if (extra) {
        char more[64] = "";
        if (extra > 1) snprintf(more, sizeof more, " (and %d more)", extra - 1);
        err_set(e, "%s: tensor %s%s is not one of this model's %d tensors: the file was written for another "
                   "model config", path, first, more, model_num_tensors(m));
        goto done;
    }
    /* a name twice: cJSON finds the first, so the other's bytes would go
     * unread (and, at the same offsets, pass the tiling check). Every name
     * is the model's or __metadata__ here: a mark per tensor finds it in
     * one pass, however long the header. */
    seen = calloc((size_t)model_num_tensors(m) + 1, 1);
    if (!seen) {
        err_set(e, "%s: out of memory", path);
        goto done;
    }
    cJSON_ArrayForEach(it, h) {
        if (!it->string) continue;
        int i = strcmp(it->string, "__metadata__") ? model_find_tensor(m, it->string) : model_num_tensors(m);
        if (seen[i]++) {
            err_set(e, "%s: tensor %s twice in the header: a safetensors file names each tensor once", path,
                    it->string);
            goto done;
        }
    }
    const char *base = data + 8 + hl;
    size_t avail = len - 8 - hl;
    float *p = model_params(m);
    for (int i = 0; i < model_num_tensors(m); i++) {
        const tensor_info *t = model_tensor(m, i);
        size_t n = (size_t)t->rows * (t->cols ? t->cols : 1);
        char want[64], got[256];
        shape_text(t->rows, t->cols, want, sizeof want);
        cJSON *o = cJSON_GetObjectItemCaseSensitive(h, t->name);
        cJSON *dt = cJSON_GetObjectItemCaseSensitive(o, "dtype");
        cJSON *sh = cJSON_GetObjectItemCaseSensitive(o, "shape");
        cJSON *dof = cJSON_GetObjectItemCaseSensitive(o, "data_offsets");
        if (!cJSON_IsObject(o)) {
            err_set(e, "%s: tensor %s missing (expected F32, shape %s)", path, t->name, want);
            goto done;
        }
        if (!cJSON_IsString(dt) || strcmp(dt->valuestring, "F32")) {
            err_set(e, "%s: tensor %s: dtype %s, expected \"F32\"", path, t->name,
                    cJSON_IsString(dt) ? dt->valuestring : "missing or not a string");
            goto done;
        }
        /* the shape as declared: [rows, cols] (cols = 0: a vector, [rows]) */
        int nd = cJSON_IsArray(sh) ? cJSON_GetArraySize(sh) : -1, shape_ok = nd == (t->cols ? 2 : 1);
        size_t gl = 0;
        got[0] = 0;
        for (int d = 0; d < nd && gl < sizeof got; d++) {
            const cJSON *x = cJSON_GetArrayItem(sh, d);
            if (!cJSON_IsNumber(x) || x->valuedouble != (double)(d ? t->cols : t->rows)) shape_ok = 0;
            if (cJSON_IsNumber(x)) gl += (size_t)snprintf(got + gl, sizeof got - gl, "%s%.17g", d ? ", " : "[", x->valuedouble);
            else gl += (size_t)snprintf(got + gl, sizeof got - gl, "%s?", d ? ", " : "[");
        }
        if (nd > 0 && gl < sizeof got) snprintf(got + gl, sizeof got - gl, "]");
        if (!shape_ok) {
            err_set(e, "%s: tensor %s: shape %s, expected %s", path, t->name,
                    nd < 0 ? "missing or not an array" : nd == 0 ? "[]" : got, want);
            goto done;
        }
        const cJSON *o0 = cJSON_GetArrayItem(dof, 0), *o1 = cJSON_GetArrayItem(dof, 1);
        if (!cJSON_IsArray(dof) || cJSON_GetArraySize(dof) != 2 || !cJSON_IsNumber(o0) || !cJSON_IsNumber(o1) ||
            o0->valuedouble != floor(o0->valuedouble) || o1->valuedouble != floor(o1->valuedouble)) {
            err_set(e, "%s: tensor %s: data_offsets must be two integers [begin, end]", path, t->name);
            goto done;
        }
        double b0 = o0->valuedouble, b1 = o1->valuedouble;
        if (b0 < 0 || b1 < b0 || b1 > (double)avail) {
            err_set(e, "%s: tensor %s: data_offsets [%.17g, %.17g] outside the %zu data bytes", path, t->name,
                    b0, b1, avail);
            goto done;
        }
        if (b1 - b0 != (double)(n * 4)) {
            err_set(e, "%s: tensor %s has %.17g bytes at %.17g, expected %zu (F32, shape %s)", path, t->name,
                    b1 - b0, b0, n * 4, want);
            goto done;
        }
        memcpy(p + t->offset, base + (size_t)b0, n * 4);
        span[i] = (st_span){(size_t)b0, (size_t)b1, t->name};
    }
    /* the tensors tile the data exactly, as the format asks (and Python's
     * safetensors checks: InvalidOffset, MetadataIncompleteBuffer): a
     * tensor overlapping another, a gap or bytes after the last one were
     * read as if the file were whole */
    qsort(span, (size_t)model_num_tensors(m), sizeof *span, span_cmp);
    size_t at = 0;
    for (int i = 0; i < model_num_tensors(m); i++) {
        if (span[i].b0 != at) {
            if (i)
                err_set(e, "%s: tensor %s: data_offsets [%zu, %zu] %s tensor %s's [%zu, %zu]: the tensors must "
                           "tile the data, each starting where the one before ends", path, span[i].name,
                        span[i].b0, span[i].b1, span[i].b0 < at ? "overlap" : "leave a gap after",
                        span[i - 1].name, span[i - 1].b0, span[i - 1].b1);
            else
                err_set(e, "%s: tensor %s: data_offsets [%zu, %zu], the first tensor's, must begin at 0", path,
                        span[i].name, span[i].b0, span[i].b1);
            goto done;
        }
        at = span[i].b1;
    }
    if (at != avail) {
        int nt = model_num_tensors(m);
        err_set(e, "%s: %zu data bytes after the last tensor's (%s, ending at %zu of %zu): the file is not "
                   "one safetensors file", path, avail - at, nt ? span[nt - 1].name : "none", at, avail);
        goto done;
    }
    rc = 0;
done:
    free(span), free(seen);
    cJSON_Delete(h);
    free(data);
    return rc;
}
