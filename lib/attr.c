#include "attr.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "zio.h"

struct attr_writer {
    zwriter *zw;
    char *set;
    sbuf line;
};

attr_writer *attrw_open(const char *path, const char *set, blalm_err *e)
{
    /* level 1 and a 128 KiB window: a tagger writes five of these at once,
     * and larger windows and tables cost more memory to set up than they
     * save on short JSON lines */
    zwriter *zw = zw_open(path, 1, e);
    if (!zw) return NULL;
    zw_set_window_log(zw, 17);
    attr_writer *w = calloc(1, sizeof *w);
    w->zw = zw;
    w->set = strdup(set);
    sb_init(&w->line);
    return w;
}

int attrw_write(attr_writer *w, const char *id, size_t id_len, const char *obj, size_t obj_len, blalm_err *e)
{
    sb_reset(&w->line);
    sb_adds(&w->line, "{\"id\":");
    sb_json_str(&w->line, id, id_len);
    sb_addc(&w->line, ',');
    sb_json_str(&w->line, w->set, strlen(w->set));
    sb_addc(&w->line, ':');
    sb_add(&w->line, obj, obj_len);
    sb_addc(&w->line, '}');
    return zw_line(w->zw, w->line.data, w->line.len, e);
}

static void attrw_free(attr_writer *w)
{
    sb_free(&w->line);
    free(w->set);
    free(w);
}

int attrw_commit(attr_writer *w, blalm_err *e)
{
    int rc = zw_commit(w->zw, e);
    attrw_free(w);
    return rc;
}

void attrw_abort(attr_writer *w)
{
    if (!w) return;
    zw_abort(w->zw);
    attrw_free(w);
}

/* ---- lockstep join ---- */

struct attr_join {
    doc_reader *docs;
    int n;
    zreader **zr;
    char **paths, **sets;
    cJSON **parsed;
};

attr_join *attrj_open(const char *doc_path, const doc_opts *opts, const char *const *attr_paths,
                      const char *const *sets, int nsets, blalm_err *e)
{
    attr_join *j = calloc(1, sizeof *j);
    j->docs = doc_open(doc_path, opts, e);
    if (!j->docs) {
        free(j);
        return NULL;
    }
    j->n = nsets;
    j->zr = calloc((size_t)nsets + 1, sizeof *j->zr);
    j->paths = calloc((size_t)nsets + 1, sizeof *j->paths);
    j->sets = calloc((size_t)nsets + 1, sizeof *j->sets);
    j->parsed = calloc((size_t)nsets + 1, sizeof *j->parsed);
    for (int i = 0; i < nsets; i++) {
        j->paths[i] = strdup(attr_paths[i]);
        j->sets[i] = strdup(sets[i]);
        j->zr[i] = zr_open(attr_paths[i], e);
        if (!j->zr[i]) {
            err_prefix(e, "attribute set '%s' for %s", sets[i], doc_path);
            attrj_close(j);
            return NULL;
        }
    }
    return j;
}

int attrj_next(attr_join *j, blalm_doc *d, cJSON **sets, blalm_err *e)
{
    int rc = doc_next(j->docs, d, e);
    if (rc < 0) return -1;
    for (int i = 0; i < j->n; i++) {
        const char *line;
        size_t len;
        int ar = zr_line(j->zr[i], &line, &len, e);
        if (ar < 0) return -1;
        if (rc == 0) {
            if (ar == 1)
                return err_set(e, "%s:%llu: more attribute lines than documents in %s", j->paths[i],
                               (unsigned long long)zr_lineno(j->zr[i]), doc_path(j->docs));
            continue;
        }
        if (ar == 0)
            return err_set(e, "%s: ends after %llu lines, but %s has more documents (row %llu)", j->paths[i],
                           (unsigned long long)zr_lineno(j->zr[i]), doc_path(j->docs),
                           (unsigned long long)d->row);
        cJSON_Delete(j->parsed[i]);
        j->parsed[i] = cJSON_ParseWithLength(line, len);
        if (!j->parsed[i] || !cJSON_IsObject(j->parsed[i]))
            return err_set(e, "%s:%llu: expected a JSON object {\"id\":...,\"%s\":{...}}", j->paths[i],
                           (unsigned long long)zr_lineno(j->zr[i]), j->sets[i]);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j->parsed[i], "id");
        const char *ids = cJSON_IsString(id) ? id->valuestring : NULL;
        if (!ids || strlen(ids) != d->id_len || memcmp(ids, d->id, d->id_len))
            return err_set(e, "%s:%llu: id %s%.200s%s does not match document row %llu of %s (id \"%.200s\"): "
                              "attributes are misaligned or stale",
                           j->paths[i], (unsigned long long)zr_lineno(j->zr[i]), ids ? "\"" : "",
                           ids ? ids : "(missing)", ids ? "\"" : "", (unsigned long long)d->row,
                           doc_path(j->docs), d->id);
        cJSON *obj = cJSON_GetObjectItemCaseSensitive(j->parsed[i], j->sets[i]);
        if (!cJSON_IsObject(obj))
            return err_set(e, "%s:%llu: expected an object under \"%s\"", j->paths[i],
                           (unsigned long long)zr_lineno(j->zr[i]), j->sets[i]);
        sets[i] = obj;
    }
    return rc;
}

void attrj_close(attr_join *j)
{
    if (!j) return;
    doc_close(j->docs);
    for (int i = 0; i < j->n; i++) {
        zr_close(j->zr[i]);
        free(j->paths[i]);
        free(j->sets[i]);
        cJSON_Delete(j->parsed[i]);
    }
    free(j->zr);
    free(j->paths);
    free(j->sets);
    free(j->parsed);
    free(j);
}
