/* distill_work.c - the distill stages over a work directory: collect labelled
 * documents (deduplicated), score every document into edu_local, evaluate. */
#include <cjson/cJSON.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/attr.h"
#include "lib/attrsets.h"
#include "lib/blas.h"
#include "lib/config.h"
#include "lib/docs.h"
#include "lib/hash.h"
#include "lib/marker.h"
#include "lib/sbuf.h"
#include "lib/sighold.h"
#include "lib/utf8.h"
#include "scorer/distill_internal.h"

/* Where d is in its file, for messages: "PATH:LINE" for jsonl (lines count
 * from 1, as the reader's own errors say), "PATH: row N (from 0)" for parquet. */
static const char *doc_at(const char *path, const blalm_doc *d, char *buf, size_t cap)
{
    if (d->line) snprintf(buf, cap, "%s:%llu", path, (unsigned long long)d->line);
    else snprintf(buf, cap, "%s: row %llu (from 0)", path, (unsigned long long)d->row);
    return buf;
}

/* ---- a map of 64-bit keys to the label first seen with each (open
 * addressing; the key 0 is kept aside by a flag) ---- */

typedef struct keymap { uint64_t *k; double *label; size_t cap, n; int has_zero; double zero_label; } keymap;

/* The label stored for K: LABEL if K is new (*fresh = 1), else the first
 * one (*fresh = 0); valid until the next put. NULL: out of memory. */
static double *keymap_put(keymap *s, uint64_t k, double label, int *fresh)
{
    *fresh = 0;
    if (k == 0) {
        if (!s->has_zero) {
            *fresh = s->has_zero = 1;
            s->zero_label = label;
        }
        return &s->zero_label;
    }
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 4096;
        uint64_t *v = calloc(cap, sizeof *v);
        double *l = malloc(cap * sizeof *l);
        if (!v || !l) {
            free(v);
            free(l);
            return NULL;
        }
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->k[i]) continue;
            size_t j = (size_t)(s->k[i] * 0x9e3779b97f4a7c15ULL) & (cap - 1);
            while (v[j]) j = (j + 1) & (cap - 1);
            v[j] = s->k[i];
            l[j] = s->label[i];
        }
        free(s->k);
        free(s->label);
        s->k = v;
        s->label = l;
        s->cap = cap;
    }
    size_t j = (size_t)(k * 0x9e3779b97f4a7c15ULL) & (s->cap - 1);
    while (s->k[j]) {
        if (s->k[j] == k) return &s->label[j];
        j = (j + 1) & (s->cap - 1);
    }
    s->k[j] = k;
    s->label[j] = label;
    s->n++;
    *fresh = 1;
    return &s->label[j];
}

static void keymap_free(keymap *s)
{
    free(s->k);
    free(s->label);
    memset(s, 0, sizeof *s);
}

/* ---- attribute features ---- */

enum { MAX_FEAT_SETS = 16 };

/* The attribute sets joined for features and where each feature is found. */
typedef struct feat_sets {
    int nsets;
    const char *sets[MAX_FEAT_SETS];
    uint32_t n;                              /* features (0 until known) */
    char *const *names;                      /* [n] "set.key" */
    int set_of[DISTILL_MAX_ATTRS];
    const char *key_of[DISTILL_MAX_ATTRS];
    const char *model;                       /* the model's name, for messages (score, eval) */
} feat_sets;

/* train: the sets of `blalm tag` to use (AUTO: those the attributes root has). */
static int feat_sets_for_train(const distill_work_opts *o, feat_sets *fs, blalm_err *e)
{
    memset(fs, 0, sizeof *fs);
    if (o->attrs == DISTILL_ATTRS_NONE) return 0;
    const char *tag[MAX_FEAT_SETS];
    int nt = attrsets_tag_sets(tag, MAX_FEAT_SETS);
    for (int i = 0; i < nt && i < MAX_FEAT_SETS; i++) {
        char dir[8192];
        snprintf(dir, sizeof dir, "%s/%s", o->dirs->attrs, tag[i]);
        if (o->attrs == DISTILL_ATTRS_AUTO && !is_dir(dir)) continue;
        fs->sets[fs->nsets++] = tag[i];
    }
    (void)e;
    return 0;
}

/* score, eval: the model's features, grouped by set. */
static int feat_sets_for_model(const distill_model *m, feat_sets *fs, blalm_err *e)
{
    memset(fs, 0, sizeof *fs);
    fs->model = distill_model_name(m);
    fs->n = distill_model_n_attrs(m);
    fs->names = m->attr_names;
    for (uint32_t k = 0; k < fs->n; k++) {
        const char *nm = m->attr_names[k], *dot = strchr(nm, '.');
        size_t sl = (size_t)(dot - nm);
        int si = -1;
        for (int j = 0; j < fs->nsets; j++)
            if (strlen(fs->sets[j]) == sl && !memcmp(fs->sets[j], nm, sl)) si = j;
        if (si < 0) {
            if (fs->nsets == MAX_FEAT_SETS)
                return err_set(e, "the model uses attributes of more than %d sets", MAX_FEAT_SETS);
            char *set = strndup(nm, sl);
            if (!set) return err_set(e, "out of memory");
            si = fs->nsets;
            fs->sets[fs->nsets++] = set;
        }
        fs->set_of[k] = si;
        fs->key_of[k] = dot + 1;
    }
    return 0;
}

static void feat_sets_free(feat_sets *fs)
{
    if (fs->model)
        for (int j = 0; j < fs->nsets; j++) free((char *)fs->sets[j]);
    memset(fs, 0, sizeof *fs);
}

/* The numeric and boolean keys of the sets' objects of one document, in the
 * sets' order and each object's key order: the features of a new model. */
static int feat_names_from(feat_sets *fs, cJSON *const *objs, distill_examples *ex, blalm_err *e)
{
    uint32_t n = 0;
    for (int j = 0; j < fs->nsets; j++) {
        const cJSON *it;
        cJSON_ArrayForEach(it, objs[j])
            if (cJSON_IsNumber(it) || cJSON_IsBool(it)) n++;
    }
    if (n > DISTILL_MAX_ATTRS)
        return err_set(e, "%u numeric attributes in the sets joined, at most %d", n, DISTILL_MAX_ATTRS);
    ex->attr_names = calloc(n ? n : 1, sizeof *ex->attr_names);
    if (!ex->attr_names) return err_set(e, "out of memory");
    uint32_t k = 0;
    for (int j = 0; j < fs->nsets; j++) {
        const cJSON *it;
        cJSON_ArrayForEach(it, objs[j]) {
            if (!(cJSON_IsNumber(it) || cJSON_IsBool(it))) continue;
            size_t l = strlen(fs->sets[j]) + 1 + strlen(it->string) + 1;
            char *nm = malloc(l);
            if (!nm) return err_set(e, "out of memory");
            snprintf(nm, l, "%s.%s", fs->sets[j], it->string);
            ex->attr_names[k] = nm;
            ex->n_attr = ++k;
            fs->set_of[k - 1] = j;
            fs->key_of[k - 1] = nm + strlen(fs->sets[j]) + 1;
        }
    }
    fs->n = n;
    fs->names = ex->attr_names;
    return 0;
}

/* "a string \"3\"", "true", "an array [3]": a JSON value of the wrong
 * type, as an error shows it (its text cut at about 40 bytes). */
static void describe_value(const cJSON *v, char *out, size_t cap)
{
    char *t = json_print(v, 0);
    const char *kind = cJSON_IsString(v) ? "a string " : cJSON_IsArray(v) ? "an array " :
                       cJSON_IsObject(v) ? "an object " : "";
    size_t n = t ? utf8_prefix(t, strlen(t), 40) : 1;   /* whole characters */
    snprintf(out, cap, "%s%.*s%s", kind, (int)n, t ? t : "?", t && strlen(t) > n ? "..." : "");
    free(t);
}

/* Raw values of the features (NaN: null or not a number, as `blalm tag`
 * writes an undefined value; booleans 0/1). A key absent from a set's object
 * is refused: `blalm tag` writes every key of a set on every line, so its
 * absence means the attributes come from another tag version or another
 * program, and filling it with the mean would score every document as if
 * the feature were average. */
static int feat_values(const feat_sets *fs, cJSON *const *objs, const char *path, const blalm_doc *d,
                       distill_counts *c, blalm_err *e)
{
    if (fs->n > c->cap_attr) {
        double *a = realloc(c->attr, fs->n * sizeof *a);
        if (!a) return err_set(e, "out of memory");
        c->attr = a;
        c->cap_attr = fs->n;
    }
    for (uint32_t k = 0; k < fs->n; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(objs[fs->set_of[k]], fs->key_of[k]);
        if (!v) {
            char at[8300];
            return err_set(e, "%s: id %s: attribute set '%s' has no key '%s', a feature %s%s; "
                              "those attributes were not written by this `blalm tag` (rerun it with --force)",
                           doc_at(path, d, at, sizeof at), d->id, fs->sets[fs->set_of[k]], fs->key_of[k],
                           fs->model ? "of the model " : "taken from the first document",
                           fs->model ? fs->model : "");
        }
        c->attr[k] = cJSON_IsNumber(v) ? v->valuedouble : cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? 1.0 : 0.0)
                                                                           : NAN;
    }
    c->n_attr = fs->n;
    return 0;
}

/* Every document file must have each set, complete and current. */
static int feat_sets_check(const distill_work_opts *o, const feat_sets *fs, const doc_file *files,
                           size_t nfiles, blalm_err *e)
{
    if (fs->nsets == 0) return 0;
    sbuf list;
    sb_init(&list);
    for (int j = 0; j < fs->nsets; j++) sb_printf(&list, "%s%s", j ? ", " : "", fs->sets[j]);
    char who[512];
    if (fs->model)
        snprintf(who, sizeof who, "the model %s uses attribute features of the sets %s (made by `blalm tag`)",
                 fs->model, sb_cstr(&list));
    else
        snprintf(who, sizeof who, "attribute features from the sets %s (give --attr-features none to "
                                  "train without them)", sb_cstr(&list));
    sb_free(&list);
    const char *work = o->dirs->work[0] ? o->dirs->work : "WORK";
    for (int j = 0; j < fs->nsets; j++)
        for (size_t i = 0; i < nfiles; i++) {
            char ap[8192];
            attr_path_for(o->dirs, fs->sets[j], files[i].rel, ap, sizeof ap);
            if (!file_exists(ap))
                return err_set(e, "%s: missing: attribute set '%s' for %s; %s: run `blalm tag --work %s`",
                               ap, fs->sets[j], files[i].path, who, work);
        }
    sbuf fix;
    sb_init(&fix);
    attr_fix_args(&fix, work, NULL, NULL);
    int crc = attr_sets_check(o->dirs->attrs, files, nfiles, fs->sets, fs->nsets, ATTR_PARTIAL_REFUSE, sb_cstr(&fix),
                              NULL, NULL, e);
    sb_free(&fix);
    if (crc == 0) return 0;
    err_prefix(e, "%s: %s", o->dirs->attrs, who);
    return -1;
}

/* A document's features: the hashed counts, and its mean word vector when
 * there are vectors (train: the --embeddings file; score, eval: the model's). */
static int count_doc(const distill_features *f, const distill_vectors *v, const blalm_doc *d,
                     distill_counts *c, blalm_err *e)
{
    if (distill_count_text(f, d->text, d->text_len, c, e) < 0) return -1;
    return v ? distill_count_embed(v, f, d->text, d->text_len, c, e) : 0;
}

/* ---- labelled documents ---- */

typedef int (*labelled_fn)(void *ctx, const blalm_doc *d, double label, const doc_file *f,
                           cJSON *const *fobjs, blalm_err *e);

static const char *label_name(const distill_label_src *l, char *buf, size_t cap)
{
    if (l->field) snprintf(buf, cap, "metadata field '%s'", l->field);
    else snprintf(buf, cap, "attribute %s.%s", l->set, l->key);
    return buf;
}

static int walk_labelled(const distill_work_opts *o, const feat_sets *fs, labelled_fn fn, void *ctx,
                         distill_work_counts *n, blalm_err *e)
{
    const distill_label_src *L = &o->labels;
    doc_file *files = NULL;
    size_t nfiles = 0;
    char lname[256];
    label_name(L, lname, sizeof lname);
    if (docs_walk_some(o->dirs->docs, &files, &nfiles, e) < 0) return -1;
    keymap ids = {0}, texts = {0};
    int rc = -1;
    if (feat_sets_check(o, fs, files, nfiles, e) < 0) goto out;
    for (size_t fi = 0; fi < nfiles; fi++) {
        const doc_file *f = &files[fi];
        doc_opts dopt;
        memset(&dopt, 0, sizeof dopt);
        dopt.default_source = f->source;
        dopt.id_stem = f->id_stem;
        /* of the metadata, only a --label-field is read */
        const char *label_meta[2] = {L->field, NULL};
        dopt.text_only = 1;
        dopt.meta_fields = label_meta;
        doc_reader *dr = NULL;
        attr_join *aj = NULL;
        char apath[1 + MAX_FEAT_SETS][8192];
        const char *paths[1 + MAX_FEAT_SETS], *sets[1 + MAX_FEAT_SETS];
        int nj = 0, f0 = L->set ? 1 : 0;
        if (L->set) {
            attr_path_for(o->dirs, L->set, f->rel, apath[0], sizeof apath[0]);
            if (!file_exists(apath[0])) {
                err_set(e, "%s: missing: the labels %s.%s for %s", apath[0], L->set, L->key, f->path);
                goto out;
            }
            paths[nj] = apath[nj];
            sets[nj++] = L->set;
        }
        for (int j = 0; j < fs->nsets; j++) {
            attr_path_for(o->dirs, fs->sets[j], f->rel, apath[nj], sizeof apath[nj]);
            paths[nj] = apath[nj];
            sets[nj++] = fs->sets[j];
        }
        cJSON *objs[1 + MAX_FEAT_SETS];
        if (nj) {
            aj = attrj_open(f->path, &dopt, paths, sets, nj, e);
            if (!aj) goto out;
        } else {
            dr = doc_open(f->path, &dopt, e);
            if (!dr) goto out;
        }
        n->files++;
        for (;;) {
            blalm_doc d;
            cJSON *meta = NULL;
            int got = aj ? attrj_next(aj, &d, objs, e) : doc_next(dr, &d, e);
            if (got < 0) {
                doc_close(dr);
                attrj_close(aj);
                goto out;
            }
            if (got == 0) break;
            n->docs++;
            if (o->progress) o->progress(o->progress_ctx, n->docs);
            const cJSON *v;
            if (L->set) {
                const cJSON *sel = cJSON_GetObjectItemCaseSensitive(objs[0], "selected");
                if (cJSON_IsFalse(sel)) {   /* not in the labelled sample */
                    n->unlabelled++;
                    continue;
                }
                v = cJSON_GetObjectItemCaseSensitive(objs[0], L->key);
            } else {
                meta = cJSON_ParseWithLength(d.metadata, d.metadata_len);
                v = cJSON_GetObjectItemCaseSensitive(meta, L->field);
            }
            int has = cJSON_IsNumber(v);
            double label = has ? v->valuedouble : NAN;
            if (v && !has && !cJSON_IsNull(v)) {
                /* a label of the wrong type ("3", true, [3]) is not a missing
                 * one: --skip-unlabelled would drop every document of a
                 * column written as strings without a word */
                char at[8300], shown[80];
                describe_value(v, shown, sizeof shown);
                err_set(e, "%s: id %s: the label %s is %s, not a number", doc_at(f->path, &d, at, sizeof at), d.id,
                        lname, shown);
                cJSON_Delete(meta);
                doc_close(dr);
                attrj_close(aj);
                goto out;
            }
            cJSON_Delete(meta);
            if (!has) {
                if (L->skip_unlabelled) {
                    n->unlabelled++;
                    continue;
                }
                char at[8300];
                err_set(e, "%s: id %s: no label (%s is missing or not a number); "
                           "give --skip-unlabelled to leave out the documents without one",
                        doc_at(f->path, &d, at, sizeof at), d.id, lname);
                doc_close(dr);
                attrj_close(aj);
                goto out;
            }
            if (!(label >= 0 && label <= 5)) {
                /* the label as given, to the last digit: 5.0000001 is not shown as 5 */
                char at[8300], num[40];
                if (isfinite(label)) sb_num_ref(label, num);
                else snprintf(num, sizeof num, "%s", label > 0 ? "beyond a double's range (read as inf)"
                                                               : "beyond a double's range (read as -inf)");
                err_set(e, "%s: id %s: label %s outside 0..5 (%s)", doc_at(f->path, &d, at, sizeof at), d.id,
                        num, lname);
                doc_close(dr);
                attrj_close(aj);
                goto out;
            }
            /* a repeat keeps the first label; one that differs is counted.
             * A new id with a repeated text stores the kept label, so that
             * its own repeats are compared with that */
            int fa, fb = 0;
            double *la = keymap_put(&ids, xxh64(d.id, d.id_len, 1), label, &fa);
            double *lb = la && fa ? keymap_put(&texts, distill_text_hash(d.text, d.text_len), label, &fb) : NULL;
            if (!la || (fa && !lb)) {
                err_set(e, "out of memory");
                doc_close(dr);
                attrj_close(aj);
                goto out;
            }
            if (!fa || !fb) {
                if (fa) {   /* a new id with a repeated text: it takes the kept label */
                    *la = *lb;
                    n->dup_text++;
                } else {
                    n->dup_id++;
                }
                if (*la != label) n->label_conflicts++;
                continue;
            }
            n->labelled++;
            n->hist[distill_int_score(label)]++;
            if (fn(ctx, &d, label, f, objs + f0, e) < 0) {
                doc_close(dr);
                attrj_close(aj);
                goto out;
            }
        }
        doc_close(dr);
        attrj_close(aj);
    }
    rc = 0;
out:
    keymap_free(&ids);
    keymap_free(&texts);
    docs_walk_free(files, nfiles);
    return rc;
}

typedef struct collect_ctx {
    const distill_features *f;
    distill_examples *ex;
    distill_counts c;
    feat_sets *fs;
    const distill_vectors *vectors;
} collect_ctx;

static int collect_one(void *vctx, const blalm_doc *d, double label, const doc_file *f,
                       cJSON *const *fobjs, blalm_err *e)
{
    collect_ctx *c = vctx;
    if (c->fs->nsets && c->ex->n == 0 && c->fs->n == 0 && feat_names_from(c->fs, fobjs, c->ex, e) < 0)
        return -1;
    if (c->fs->n && feat_values(c->fs, fobjs, f->path, d, &c->c, e) < 0) return -1;
    if (count_doc(c->f, c->vectors, d, &c->c, e) < 0) return -1;
    return distill_examples_add(c->ex, &c->c, label, distill_text_hash(d->text, d->text_len), e);
}

int distill_collect(const distill_work_opts *o, const distill_features *f, distill_examples *ex,
                    distill_work_counts *n, blalm_err *e)
{
    memset(n, 0, sizeof *n);
    feat_sets fs;
    if (feat_sets_for_train(o, &fs, e) < 0) return -1;
    collect_ctx c = {f, ex, {0}, &fs, o->vectors};
    int rc = walk_labelled(o, &fs, collect_one, &c, n, e);
    distill_counts_free(&c.c);
    if (rc == 0 && ex->n == 0) {
        char lname[256];
        return err_set(e, "%s: no labelled documents among %llu (%s)", o->dirs->docs,
                       (unsigned long long)n->docs, label_name(&o->labels, lname, sizeof lname));
    }
    return rc;
}

/* ---- edu_local ---- */

/* The marker key of one document file: the file's identity, the model
 * file's identity (size and xxh3 of its bytes) and the model's name. */
static marker_key *score_key(const char *rel, const doc_identity *doc, const doc_identity *model,
                             const char *model_name, blalm_err *e)
{
    marker_key *k = marker_key_new("distill_score");
    if (!k) {
        err_set(e, "out of memory");
        return NULL;
    }
    marker_key_identity(k, rel, doc->size, doc->mtime_ns, doc->xxh3);
    marker_key_identity(k, "model", model->size, model->mtime_ns, model->xxh3);
    marker_key_setting(k, "model_name", model_name);
    return k;
}

static void score_unit(const char *rel, char *out, size_t cap)
{
    char stem[4096];
    doc_rel_stem(rel, stem, sizeof stem);
    snprintf(out, cap, "edu_local/%s", stem);
}

/* SIGINT or SIGTERM during distill_score_work: the file being written is
 * dropped (no temporary left), then the signal takes its course; the same
 * signal again ends the process at once (sig_stop_install). */
static volatile sig_atomic_t score_stop;

static void on_score_stop(int sig)
{
    if (!score_stop) score_stop = sig;
}

/* One document file into edu_local; *skipped = 1 when its marker says done.
 * 1 (nothing touched, its marker included) when a signal came before the
 * file was begun. */
static int score_file(const distill_work_opts *o, const distill_model *m, const feat_sets *fs,
                      const doc_file *f, const doc_identity *model_id, distill_counts *c, sbuf *line,
                      distill_work_counts *n, int *skipped, blalm_err *e)
{
    const work_dirs *w = o->dirs;
    const char *name = distill_model_name(m);
    char out[8192], unit[4200], config[160];
    attr_path_for(w, "edu_local", f->rel, out, sizeof out);
    score_unit(f->rel, unit, sizeof unit);
    snprintf(config, sizeof config, "distill %s", name);
    *skipped = 0;
    if (score_stop) return 1;
    doc_identity ident;
    if (doc_identity_of(f->path, &ident, e) < 0) return -1;
    marker_key *key = NULL;
    int markers = w->state[0] && model_id;
    if (markers) {
        key = score_key(f->rel, &ident, model_id, name, e);
        if (!key) return -1;
        /* the attribute files the features come from: re-tagged, scored again */
        for (int j = 0; j < fs->nsets; j++) {
            char ap[8192], label[256];
            doc_identity aid;
            attr_path_for(w, fs->sets[j], f->rel, ap, sizeof ap);
            if (doc_identity_of(ap, &aid, e) < 0) goto fail;
            snprintf(label, sizeof label, "attributes/%s", fs->sets[j]);
            marker_key_identity(key, label, aid.size, aid.mtime_ns, aid.xxh3);
        }
        int st = o->force ? MARKER_ABSENT : marker_check(w->state, "distill_score", unit, key, NULL, 0, e);
        if (st < 0) goto fail;
        if (st == MARKER_DONE && attr_record_current(out, &ident, config)) {
            *skipped = 1;
            marker_key_free(key);
            return 0;
        }
        if (score_stop) {   /* came while this file was checked: not begun */
            marker_key_free(key);
            return 1;
        }
        /* redone from here: a marker stays only beside what it proves */
        if (marker_remove(w->state, "distill_score", unit, e) < 0) goto fail;
    }
    doc_opts dopt;
    memset(&dopt, 0, sizeof dopt);
    dopt.default_source = f->source;
    dopt.id_stem = f->id_stem;
    dopt.text_only = 1;   /* features come from text and attributes, never metadata */
    doc_reader *dr = NULL;
    attr_join *aj = NULL;
    cJSON *objs[MAX_FEAT_SETS];
    if (fs->nsets) {
        char apath[MAX_FEAT_SETS][8192];
        const char *paths[MAX_FEAT_SETS];
        for (int j = 0; j < fs->nsets; j++) {
            attr_path_for(w, fs->sets[j], f->rel, apath[j], sizeof apath[j]);
            paths[j] = apath[j];
        }
        aj = attrj_open(f->path, &dopt, paths, fs->sets, fs->nsets, e);
        if (!aj) goto fail;
    } else {
        dr = doc_open(f->path, &dopt, e);
        if (!dr) goto fail;
    }
    remove_stale_temps(out);
    attr_writer *aw = attrw_open(out, "edu_local", e);
    if (!aw) {
        doc_close(dr);
        attrj_close(aj);
        goto fail;
    }
    int got;
    uint64_t docs0 = n->docs;
    blalm_doc d;
    while (!score_stop && (got = aj ? attrj_next(aj, &d, objs, e) : doc_next(dr, &d, e)) == 1) {
        if (fs->n && feat_values(fs, objs, f->path, &d, c, e) < 0) {
            got = -1;
            break;
        }
        if (count_doc(distill_model_features(m), distill_model_vectors(m), &d, c, e) < 0) {
            got = -1;
            break;
        }
        double s = distill_predict(m, c);
        if (!isfinite(s)) {
            char at[8300];
            err_set(e, "%s: id %s: the model %s gives a score that is not a finite number; the model file "
                       "is corrupt (retrain it with `blalm distill train`)",
                    doc_at(f->path, &d, at, sizeof at), d.id, name);
            got = -1;
            break;
        }
        int first = 1;
        sb_reset(line);
        sb_addc(line, '{');
        sb_json_key(line, "score", &first);
        sb_json_num(line, s);
        sb_json_key(line, "int_score", &first);
        sb_json_int(line, distill_int_score(s));
        sb_json_key(line, "model", &first);
        sb_json_str(line, name, strlen(name));
        sb_addc(line, '}');
        if (attrw_write(aw, d.id, d.id_len, line->data, line->len, e) < 0) {
            got = -1;
            break;
        }
        n->docs++;
        n->hist[distill_int_score(s)]++;
        if (o->progress) o->progress(o->progress_ctx, n->docs);
    }
    doc_close(dr);
    attrj_close(aj);
    if (score_stop) {
        got = -1;
        err_set(e, "interrupted by %s: %s was not written (a rerun resumes)",
                sig_stop_name(score_stop), out);
    }
    if (got < 0) {
        attrw_abort(aw);
        goto fail;
    }
    if (attrw_commit(aw, e) < 0) goto fail;
    /* the model file is distill score's one setting (its name when the
     * caller gave no path) */
    sbuf command;
    sb_init(&command);
    sb_adds(&command, "blalm distill score");
    sb_shell_opt(&command, "model", o->model_path ? o->model_path : name);
    int wrc = attr_record_write(out, "edu_local", f->rel, &ident, n->docs - docs0, 1, config,
                                sb_cstr(&command), e);
    sb_free(&command);
    if (wrc < 0) goto fail;
    if (markers) {
        char result[64];
        snprintf(result, sizeof result, "{\"documents\":%llu}", (unsigned long long)(n->docs - docs0));
        if (marker_commit(w->state, "distill_score", unit, key, result, e) < 0) goto fail;
    }
    marker_key_free(key);
    return 0;
fail:
    marker_key_free(key);
    return -1;
}

int distill_score_work(const distill_work_opts *o, const distill_model *m, distill_work_counts *n,
                       blalm_err *e)
{
    memset(n, 0, sizeof *n);
    doc_file *files = NULL;
    size_t nfiles = 0;
    doc_identity model_id;
    if (o->model_path && doc_identity_of(o->model_path, &model_id, e) < 0) return -1;
    if (docs_walk_some(o->dirs->docs, &files, &nfiles, e) < 0) return -1;
    feat_sets fs;
    if (feat_sets_for_model(m, &fs, e) < 0 || feat_sets_check(o, &fs, files, nfiles, e) < 0) {
        feat_sets_free(&fs);
        docs_walk_free(files, nfiles);
        return -1;
    }
    distill_counts c = {0};
    sbuf line;
    sb_init(&line);
    int rc = 0, nt = blas_serial_begin(1);  /* one document at a time: see lib/blas.h */
    sig_stop_saved old_sig;
    score_stop = 0;
    sig_stop_install(&old_sig, on_score_stop);
    for (size_t fi = 0; fi < nfiles && rc == 0 && !score_stop; fi++) {
        int skipped = 0;
        rc = score_file(o, m, &fs, &files[fi], o->model_path ? &model_id : NULL, &c, &line, n, &skipped, e);
        if (rc == 1) rc = 0;   /* stopped before it began: the message names no file */
        else if (rc == 0) {
            if (skipped) n->skipped++;
            else n->files++;
        }
    }
    blas_serial_end(nt);
    sb_free(&line);
    distill_counts_free(&c);
    feat_sets_free(&fs);
    docs_walk_free(files, nfiles);
    sig_stop_restore(&old_sig);
    if (score_stop) {   /* files committed before it stay */
        if (rc == 0) err_set(e, "interrupted by %s", sig_stop_name(score_stop));
        n->stop_signal = score_stop;
        rc = -1;
    }
    return rc;
}

/* ---- eval ---- */

typedef struct eval_ctx {
    const distill_model *m;
    distill_counts c;
    double *label, *score;
    size_t n, cap;
    distill_work_counts *counts;
    const feat_sets *fs;
} eval_ctx;

static int eval_one(void *vctx, const blalm_doc *d, double label, const doc_file *f,
                    cJSON *const *fobjs, blalm_err *e)
{
    eval_ctx *c = vctx;
    if (c->fs->n && feat_values(c->fs, fobjs, f->path, d, &c->c, e) < 0) return -1;
    if (distill_model_saw(c->m, distill_text_hash(d->text, d->text_len))) {
        c->counts->seen++;
        return 0;
    }
    if (count_doc(distill_model_features(c->m), distill_model_vectors(c->m), d, &c->c, e) < 0) return -1;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 1024;
        double *l = realloc(c->label, cap * sizeof *l);
        if (!l) return err_set(e, "out of memory");
        c->label = l;
        double *s = realloc(c->score, cap * sizeof *s);
        if (!s) return err_set(e, "out of memory");
        c->score = s;
        c->cap = cap;
    }
    double s = distill_predict(c->m, &c->c);
    if (!isfinite(s)) {
        char at[8300];
        return err_set(e, "%s: id %s: the model %s gives a score that is not a finite number; the model file "
                          "is corrupt (retrain it with `blalm distill train`)",
                       doc_at(f->path, d, at, sizeof at), d->id, distill_model_name(c->m));
    }
    c->label[c->n] = label;
    c->score[c->n] = s;
    c->n++;
    return 0;
}

int distill_eval_work(const distill_work_opts *o, const distill_model *m, distill_metrics *met,
                      distill_work_counts *n, blalm_err *e)
{
    memset(n, 0, sizeof *n);
    feat_sets fs;
    if (feat_sets_for_model(m, &fs, e) < 0) {
        feat_sets_free(&fs);
        return -1;
    }
    eval_ctx c = {m, {0}, NULL, NULL, 0, 0, n, &fs};
    int nt = blas_serial_begin(1);
    int rc = walk_labelled(o, &fs, eval_one, &c, n, e);
    blas_serial_end(nt);
    feat_sets_free(&fs);
    if (rc == 0 && c.n == 0) {
        char lname[256];
        rc = err_set(e, "%s: no labelled documents the model has not seen (%llu labelled, %llu of "
                        "them training documents; %s)",
                     o->dirs->docs, (unsigned long long)n->labelled, (unsigned long long)n->seen,
                     label_name(&o->labels, lname, sizeof lname));
    }
    if (rc == 0) distill_metrics_compute(c.label, c.score, c.n, met);
    distill_counts_free(&c.c);
    free(c.label);
    free(c.score);
    return rc;
}
