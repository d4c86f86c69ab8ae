/* dedup.c - the four stages of `blalm dedup` (see dedup.h).
 *
 * Documents are numbered globally in docs order: files sorted bytewise by
 * path (docs_walk), then row. That number, not the shard a document was
 * processed in, decides cluster ids and ties, so any shard count gives the
 * same attributes. Global numbers are 32-bit (at most 4,294,967,295 docs). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <omp.h>
#include <utf8proc.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "filters/dedup_internal.h"
#include "lib/attr.h"
#include "lib/config.h"
#include "lib/docs.h"
#include "lib/fmap.h"
#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/marker.h"
#include "lib/sbuf.h"

#define PATH_CAP 8192

static long max_rss_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6;
}

static void sig_path(const dd_paths *p, const char *rel, char *out)
{
    snprintf(out, PATH_CAP, "%s/signatures/%s.sig", p->state, rel);
}
/* the marker unit of document file rel's signatures */
static void sig_unit(const char *rel, char *out)
{
    snprintf(out, PATH_CAP, "signatures/%s", rel);
}
/* the marker unit of document file rel's dedup attributes */
static void attr_unit(const char *rel, char *out)
{
    snprintf(out, PATH_CAP, "attributes/%s", rel);
}
static void shingle_path(const dd_paths *p, const char *rel, char *out)
{
    snprintf(out, PATH_CAP, "%s/shingles/%s.shg", p->state, rel);
}
static int nunits(const dd_config *c) { return c->bands + 3; }
static void unit_name(const dd_config *c, int u, char *out, size_t cap)
{
    static const char *const exact[3] = {"exact-id", "exact-text", "exact-url"};
    if (u < c->bands) snprintf(out, cap, "band-%02d", u);
    else snprintf(out, cap, "%s", exact[u - c->bands]);
}
static void pairs_path(const dd_config *c, const dd_paths *p, int u, char *out)
{
    char name[32];
    unit_name(c, u, name, sizeof name);
    snprintf(out, PATH_CAP, "%s/buckets/%s.pairs", p->state, name);
}
static void clusters_path(const dd_paths *p, char *out)
{
    snprintf(out, PATH_CAP, "%s/clusters.bin", p->state);
}

/* Errors raised inside an OpenMP loop: the first one wins, the rest stop. */
typedef struct first_error {
    int failed;
    blalm_err err;
} first_error;

static void fail_once(first_error *fe, const blalm_err *e)
{
#pragma omp critical(dd_error)
    {
        if (!fe->failed) {
            fe->failed = 1;
            fe->err = *e;
        }
    }
}

/* ---- completion markers (lib/marker.h) ------------------------------------ */

/* p->state is <root>/<dir> (WORK/state/dedup): a unit's marker is
 * <p->state>/<unit>.done, i.e. marker_check(root, dir, unit). Units:
 * "signatures/<doc rel>", "buckets/<band-NN|exact-*>", "cluster",
 * "attributes/<doc rel>". */
typedef struct marker_at {
    char root[PATH_CAP], dir[256];
} marker_at;

static void marker_at_of(const dd_paths *p, marker_at *m)
{
    const char *slash = strrchr(p->state, '/');
    if (!slash) {
        snprintf(m->root, sizeof m->root, ".");
        snprintf(m->dir, sizeof m->dir, "%s", p->state);
    } else {
        snprintf(m->root, sizeof m->root, "%.*s", slash == p->state ? 1 : (int)(slash - p->state),
                 p->state);
        snprintf(m->dir, sizeof m->dir, "%s", slash + 1);
    }
}

/* A key holding every setting of c (each changes some stage's output). */
static marker_key *config_key(const dd_config *c, blalm_err *e)
{
    marker_key *k = marker_key_new("dedup");
    if (!k) {
        err_set(e, "out of memory");
        return NULL;
    }
    char mn[128], ex[128];
    dd_norm_format(c->minhash_norm, mn, sizeof mn);
    dd_norm_format(c->exact_norm, ex, sizeof ex);
    marker_key_settingf(k, "version", "%d", DD_VERSION);   /* the rules of the files' contents */
    marker_key_settingf(k, "bands", "%d", c->bands);
    marker_key_settingf(k, "rows", "%d", c->rows);
    marker_key_settingf(k, "shingle", "%d", c->shingle);
    marker_key_settingf(k, "seed", "%llu", (unsigned long long)c->seed);
    marker_key_setting(k, "normalize", mn);
    marker_key_setting(k, "exact_normalize", ex);
    marker_key_settingf(k, "exact_id", "%d", c->exact_id);
    marker_key_settingf(k, "exact_text", "%d", c->exact_text);
    marker_key_settingf(k, "exact_url", "%d", c->exact_url);
    marker_key_settingf(k, "store_shingles", "%d", c->store_shingles);
    marker_key_setting(k, "keep_max", c->keep_field);
    /* the normalisation's categories and lowering are the linked utf8proc's
     * tables: another Unicode version (a library upgrade) redoes the stages */
    marker_key_setting(k, "unicode", utf8proc_unicode_version());
    return k;
}

/* marker_check of the unit against k (why: what differs, when stale). */
static int marker_check_why(const dd_paths *p, const char *unit, marker_key *k, char *why, size_t cap,
                            blalm_err *e)
{
    marker_at m;
    marker_at_of(p, &m);
    why[0] = 0;
    return marker_check(m.root, m.dir, unit, k, why, cap, e);
}

/* 1 when the unit's marker holds k's key, 0 when not, -1 on error. */
static int marker_done(const dd_paths *p, const char *unit, marker_key *k, blalm_err *e)
{
    char why[512];
    int st = marker_check_why(p, unit, k, why, sizeof why, e);
    return st < 0 ? -1 : st == MARKER_DONE;
}

static int marker_done_commit(const dd_paths *p, const char *unit, marker_key *k,
                              blalm_err *e)
{
    marker_at m;
    marker_at_of(p, &m);
    return marker_commit(m.root, m.dir, unit, k, NULL, e);
}

/* The key of one document file's unit: the settings and the file's identity. */
static marker_key *doc_key(const dd_config *c, const doc_file *f, doc_identity *id,
                           blalm_err *e)
{
    if (doc_identity_of(f->path, id, e) < 0) return NULL;
    marker_key *k = config_key(c, e);
    if (k) marker_key_identity(k, f->rel, id->size, id->mtime_ns, id->xxh3);
    return k;
}

/* ---- stage 1: signatures ---------------------------------------------- */

static int file_stat(const char *path, uint64_t *size, uint64_t *mtime)
{
    struct stat sb;
    if (stat(path, &sb) < 0) return -1;
    *size = (uint64_t)sb.st_size;
    *mtime = (uint64_t)sb.st_mtim.tv_sec * 1000000000u + (uint64_t)sb.st_mtim.tv_nsec;
    return 0;
}

/* The signatures file path (sig_path's): its header checked against c
 * (into *h); 0, or -1 when it is from another configuration (refused, not
 * overwritten) or unreadable. */
static int signatures_header(const dd_config *c, const char *path, dd_header *h, blalm_err *e)
{
    FILE *fp = dd_open_checked(path, c, DD_FILE_SIG, dd_sigrec_size(c->bands), h, e);
    if (!fp) return -1;
    fclose(fp);
    return 0;
}

/* marker_check of document file rel's signatures unit against k (why: what
 * differs, when stale). */
static int signatures_marker(const dd_paths *p, const char *rel, marker_key *k, char *why, size_t cap,
                             blalm_err *e)
{
    char unit[PATH_CAP];
    sig_unit(rel, unit);
    return marker_check_why(p, unit, k, why, cap, e);
}

/* 1 when the file's signatures (and shingles, when wanted) are present and
 * their marker holds k (this document file, these settings); 0 when they must
 * be computed; -1 when a file there is from another configuration (refused,
 * not overwritten). */
static int signatures_done(const dd_config *c, const dd_paths *p, const doc_file *f,
                           marker_key *k, blalm_err *e)
{
    char path[PATH_CAP], unit[PATH_CAP];
    sig_path(p, f->rel, path);
    if (!file_exists(path)) return 0;
    dd_header h;
    if (signatures_header(c, path, &h, e) < 0) return -1;
    if (c->store_shingles) {
        shingle_path(p, f->rel, path);
        if (!file_exists(path)) return 0;
    }
    sig_unit(f->rel, unit);
    return marker_done(p, unit, k, e);
}

/* 0 when the document file (identity id) is the one its signatures were
 * made from, as their marker records it; else -1 naming what changed. A
 * file edited after the signatures stage (run stage by stage, or rewritten
 * during a run) would otherwise get the clusters of its old rows; a missing
 * marker (state from before markers, a killed unit) cannot tell, so passes. */
static int signatures_current(const dd_config *c, const dd_paths *p, const doc_file *f,
                              const doc_identity *id, blalm_err *e)
{
    char why[512], path[PATH_CAP];
    dd_header h;
    sig_path(p, f->rel, path);
    if (signatures_header(c, path, &h, e) < 0) return -1;
    /* the signatures' key holds the store_shingles they were made with
     * (--verify-jaccard), which this stage need not repeat */
    dd_config made = *c;
    made.store_shingles = (int)(h.flags & 1u);
    marker_key *k = config_key(&made, e);
    if (!k) return -1;
    marker_key_identity(k, f->rel, id->size, id->mtime_ns, id->xxh3);
    int st = signatures_marker(p, f->rel, k, why, sizeof why, e);
    marker_key_free(k);
    if (st < 0) return -1;
    if (st != MARKER_STALE) return 0;
    return err_set(e, "%s: changed since its signatures were made (%s); rerun dedup from "
                      "the signatures stage", f->path, why);
}

typedef struct doc_hasher {
    dd_minhash mh;
    dd_scratch sc;
    uint64_t *sig;
} doc_hasher;

/* A --keep-max value: a number, a boolean (1 or 0), or a string holding a
 * number or an ISO-8601 date-time (seconds since the epoch: parquet's
 * timestamps reach the metadata as such strings); NaN when missing or none
 * of these (the cluster stage counts those). */
static double metadata_number(const cJSON *item)
{
    if (cJSON_IsNumber(item)) return isfinite(item->valuedouble) ? item->valuedouble : NAN;
    if (cJSON_IsBool(item)) return cJSON_IsTrue(item) ? 1.0 : 0.0;
    double v;
    if (cJSON_IsString(item) && dd_keep_string(item->valuestring, &v) == 0) return v;
    return NAN;
}

static uint64_t nonzero(uint64_t h) { return h ? h : 1; }

/* Fills rec (and leaves sorted unique shingles in dh->sc.shingles, count
 * in *nsh, when want_shingles). */
static void hash_doc(const dd_config *c, doc_hasher *dh, const blalm_doc *d, dd_sigrec *rec,
                     int want_shingles, size_t *nsh)
{
    rec->id_hash = c->exact_id ? nonzero(XXH3_64bits(d->id, d->id_len)) : 0;
    rec->text_hash = 0;
    /* with exact_id on, the text key is also what tells an id duplicate
     * whose text differs (counted and reported by the cluster stage); with
     * exact_text off that is the text's bytes (no normalisation to pay for) */
    if (c->exact_text) {
        size_t n = dd_normalize(d->text, d->text_len, c->exact_norm, &dh->sc);
        rec->text_hash = nonzero(XXH3_64bits(dh->sc.norm, n));
    } else if (c->exact_id) {
        rec->text_hash = nonzero(XXH3_64bits(d->text, d->text_len));
    }
    rec->url_hash = 0;
    rec->keep_value = NAN;
    if ((c->exact_url || c->keep_field[0]) && d->metadata_len > 2) {
        cJSON *m = cJSON_ParseWithLength(d->metadata, d->metadata_len);
        if (m) {
            const cJSON *u = cJSON_GetObjectItemCaseSensitive(m, "url");
            if (c->exact_url && cJSON_IsString(u) && u->valuestring[0])
                rec->url_hash = nonzero(XXH3_64bits(u->valuestring, strlen(u->valuestring)));
            if (c->keep_field[0])
                rec->keep_value = metadata_number(cJSON_GetObjectItemCaseSensitive(m, c->keep_field));
            cJSON_Delete(m);
        }
    }
    size_t n = dd_normalize(d->text, d->text_len, c->minhash_norm, &dh->sc);
    size_t ns = dd_shingles(&dh->mh, dh->sc.norm, n, &dh->sc);
    if (ns == 0) {
        memset(rec->band, 0, (size_t)c->bands * 8);   /* no words: no LSH buckets */
    } else {
        dd_minhash_sig(&dh->mh, dh->sc.shingles, ns, dh->sig);
        dd_band_hashes(&dh->mh, dh->sig, rec->band);
    }
    if (want_shingles) ns = dd_sort_unique(dh->sc.shingles, ns);
    *nsh = ns;
}

static int signatures_for_file(const dd_config *c, const dd_paths *p, const doc_file *f,
                               doc_hasher *dh, uint64_t *docs, uint64_t *bytes, blalm_err *e)
{
    char spath[PATH_CAP], hpath[PATH_CAP];
    sig_path(p, f->rel, spath);
    shingle_path(p, f->rel, hpath);
    uint64_t fsize, fmtime;
    if (file_stat(f->path, &fsize, &fmtime) < 0) return err_errno(e, "%s", f->path);
    /* of the metadata, hash_doc reads url (exact_url) and the --keep-max
     * field only: parquet's other metadata columns are not decompressed */
    const char *meta[3] = {0};
    int nm = 0;
    if (c->exact_url) meta[nm++] = "url";
    if (c->keep_field[0]) meta[nm++] = c->keep_field;
    doc_opts o = {.id_stem = f->id_stem, .text_only = 1, .meta_fields = meta};
    doc_reader *r = doc_open(f->path, &o, e);
    if (!r) return -1;
    dd_bwriter *w = dd_bw_open(spath, e), *ws = NULL;
    uint64_t *offsets = NULL;
    size_t noff = 0, offcap = 0;
    if (w && c->store_shingles) ws = dd_bw_open(hpath, e);
    if (!w || (c->store_shingles && !ws)) {
        dd_bw_abort(w);
        doc_close(r);
        return -1;
    }
    size_t recsize = dd_sigrec_size(c->bands);
    dd_sigrec *rec = malloc(recsize);
    blalm_doc d;
    int rc;
    uint64_t n = 0, total_sh = 0;
    while ((rc = doc_next(r, &d, e)) == 1) {
        size_t nsh;
        hash_doc(c, dh, &d, rec, ws != NULL, &nsh);
        if (dd_bw_write(w, rec, recsize, e) < 0) { rc = -1; break; }
        if (ws) {
            if (noff + 2 > offcap) {
                offcap = offcap ? offcap * 2 : 1024;
                offsets = realloc(offsets, offcap * sizeof *offsets);
            }
            if (!noff) offsets[noff++] = 0;
            total_sh += nsh;
            offsets[noff++] = total_sh;
            if (dd_bw_write(ws, dh->sc.shingles, nsh * 8, e) < 0) { rc = -1; break; }
        }
        n++;
        *bytes += d.text_len;
    }
    doc_close(r);
    free(rec);
    if (n > UINT32_MAX) rc = err_set(e, "%s: more than 2^32 documents in one file", f->path);
    dd_header h;
    if (rc == 0 && ws) {
        /* shingle file: header, shingles, then the (n + 1) offsets */
        if (!noff) offsets = realloc(offsets, sizeof *offsets), offsets[noff++] = 0;
        if (dd_bw_write(ws, offsets, noff * 8, e) < 0) rc = -1;
        dd_header_fill(&h, c, DD_FILE_SHINGLES);
        h.count = n;
        h.aux = total_sh;
        if (rc == 0 && dd_bw_commit(ws, &h, e) < 0) rc = -1;
        ws = NULL;
    }
    free(offsets);
    dd_bw_abort(ws);
    if (rc < 0) {
        dd_bw_abort(w);
        return -1;
    }
    dd_header_fill(&h, c, DD_FILE_SIG);
    h.count = n;
    h.aux = fsize;
    h.aux2 = fmtime;
    if (dd_bw_commit(w, &h, e) < 0) return -1;   /* the signature file commits last */
    *docs += n;
    return 0;
}

static int threads_of(const dd_run_opts *o) { return o->threads > 0 ? o->threads : 1; }

static void report(const dd_run_opts *o, uint64_t done, uint64_t total, const char *what)
{
    if (o->progress) o->progress(o->progress_arg, done, total, what);
}

int dd_stage_signatures(const dd_config *c, const dd_paths *p, const dd_run_opts *o,
                        dd_stats *st, blalm_err *e)
{
    double t0 = now_seconds(), c0 = cpu_seconds();
    if (dd_config_check(c, e) < 0) return -1;
    doc_file *files;
    size_t nf;
    if (docs_walk_some(p->docs, &files, &nf, e) < 0) return -1;
    first_error fe = {0};
    report(o, 0, nf, "dedup signatures");
    uint64_t docs = 0, bytes = 0, done = 0, skipped = 0, mine = 0;
#pragma omp parallel num_threads(threads_of(o)) reduction(+ : docs, bytes, skipped, mine)
    {
        doc_hasher *dh = calloc(1, sizeof *dh);
        dd_minhash_init(&dh->mh, c->bands, c->rows, c->shingle, c->seed);
        dh->sig = malloc((size_t)dh->mh.nhash * 8);
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < nf; i++) {
            if ((int)(i % (size_t)o->nshards) != o->shard || fe.failed) continue;
            mine++;
            blalm_err le;
            doc_identity id;
            char unit[PATH_CAP];
            sig_unit(files[i].rel, unit);
            marker_key *k = doc_key(c, &files[i], &id, &le);
            int dn = k ? signatures_done(c, p, &files[i], k, &le) : -1;
            if (dn == 0 && (signatures_for_file(c, p, &files[i], dh, &docs, &bytes, &le) < 0 ||
                            marker_done_commit(p, unit, k, &le) < 0))
                dn = -1;
            marker_key_free(k);
            if (dn < 0) fail_once(&fe, &le);
            if (dn == 1) skipped++;
#pragma omp critical(dd_progress)
            report(o, ++done, nf, "dedup signatures");
        }
        dd_scratch_free(&dh->sc);
        free(dh->sig);
        free(dh);
    }
    docs_walk_free(files, nf);
    if (fe.failed) {
        *e = fe.err;
        return -1;
    }
    st->files = mine;
    st->files_skipped = skipped;
    st->docs = docs;
    st->text_bytes = bytes;
    st->seconds = now_seconds() - t0;
    st->cpu_seconds = cpu_seconds() - c0;
    st->max_rss_kb = max_rss_kb();
    return 0;
}

/* ---- the global document table ---------------------------------------- */

typedef struct doc_table {
    doc_file *files;
    size_t nf;
    uint64_t *first;      /* first[i] = global number of file i's row 0; first[nf] = total */
    uint64_t fingerprint; /* of the file list and counts */
} doc_table;

static void table_free(doc_table *t)
{
    docs_walk_free(t->files, t->nf);
    free(t->first);
    memset(t, 0, sizeof *t);
}

/* Lists the docs and reads every file's signature header: all must exist. */
static int table_load(const dd_config *c, const dd_paths *p, doc_table *t, blalm_err *e)
{
    memset(t, 0, sizeof *t);
    if (docs_walk_some(p->docs, &t->files, &t->nf, e) < 0) return -1;
    t->first = calloc(t->nf + 1, sizeof *t->first);
    XXH3_state_t *xs = XXH3_createState();
    XXH3_64bits_reset(xs);
    for (size_t i = 0; i < t->nf; i++) {
        char path[PATH_CAP];
        sig_path(p, t->files[i].rel, path);
        if (!file_exists(path)) {
            XXH3_freeState(xs);
            table_free(t);
            return err_set(e, "%s: missing; run the signatures stage on every shard first", path);
        }
        dd_header h;
        FILE *f = dd_open_checked(path, c, DD_FILE_SIG, dd_sigrec_size(c->bands), &h, e);
        if (!f) {
            XXH3_freeState(xs);
            table_free(t);
            return -1;
        }
        fclose(f);
        t->first[i + 1] = t->first[i] + h.count;
        XXH3_64bits_update(xs, t->files[i].rel, strlen(t->files[i].rel) + 1);
        XXH3_64bits_update(xs, &h.count, 8);
        XXH3_64bits_update(xs, &h.aux, 8);    /* the document file's size and mtime */
        XXH3_64bits_update(xs, &h.aux2, 8);
    }
    t->fingerprint = XXH3_64bits_digest(xs);
    XXH3_freeState(xs);
    if (t->first[t->nf] >= UINT32_MAX) {
        table_free(t);
        return err_set(e, "more than 2^32-1 documents: dedup numbers documents in 32 bits");
    }
    return 0;
}

static size_t table_file_of(const doc_table *t, uint64_t g)
{
    size_t lo = 0, hi = t->nf;   /* first[lo] <= g < first[hi] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (t->first[mid] <= g) lo = mid;
        else hi = mid;
    }
    return lo;
}

/* ---- stage 2: buckets ---------------------------------------------------- */

static int unit_enabled(const dd_config *c, int u)
{
    if (u < c->bands) return 1;
    if (u == c->bands) return c->exact_id;
    if (u == c->bands + 1) return c->exact_text;
    return c->exact_url;
}

static uint64_t unit_key(const dd_config *c, const dd_sigrec *r, int u)
{
    if (u < c->bands) return r->band[u];
    if (u == c->bands) return r->id_hash;
    if (u == c->bands + 1) return r->text_hash;
    return r->url_hash;
}

/* The key of a bucket unit, or of the cluster stage (u < 0): the settings,
 * every document file's signatures (the table's fingerprint), the unit. */
static marker_key *table_key(const dd_config *c, const doc_table *t, int u, double verify,
                             char *unit, size_t cap, blalm_err *e)
{
    marker_key *k = config_key(c, e);
    if (!k) return NULL;
    marker_key_identity(k, "signatures", t->first[t->nf], 0, t->fingerprint);
    if (u >= 0) {
        char name[32];
        unit_name(c, u, name, sizeof name);
        snprintf(unit, cap, "buckets/%s", name);
    } else {
        snprintf(unit, cap, "cluster");
        marker_key_settingf(k, "verify_jaccard", "%.17g", verify > 0 ? verify : 0.0);
    }
    return k;
}

static int pairs_done(const dd_config *c, const dd_paths *p, const doc_table *t, int u,
                      blalm_err *e)
{
    char path[PATH_CAP];
    pairs_path(c, p, u, path);
    if (!file_exists(path)) return 0;
    dd_header h;
    FILE *f = dd_open_checked(path, c, DD_FILE_PAIRS, 8, &h, e);
    if (!f) return -1;
    fclose(f);
    if (h.aux2 != t->fingerprint) return 0;   /* stale when the documents changed */
    char unit[64];
    marker_key *k = table_key(c, t, u, 0, unit, sizeof unit, e);
    if (!k) return -1;
    int dn = marker_done(p, unit, k, e);
    marker_key_free(k);
    return dn;
}

/* Emits star edges (first, other) for each run of equal keys. */
static int write_pairs(const dd_config *c, const dd_paths *p, const doc_table *t, int u,
                       xsort *x, uint64_t *npairs, blalm_err *e)
{
    char path[PATH_CAP];
    pairs_path(c, p, u, path);
    if (xs_finish(x, e) < 0) return -1;
    dd_bwriter *w = dd_bw_open(path, e);
    if (!w) return -1;
    uint32_t buf[2 * 4096];
    size_t nb = 0;
    uint64_t n = 0, cur = 0, first = 0;
    int have = 0, rc;
    dd_kv kv;
    while ((rc = xs_next(x, &kv, e)) == 1) {
        if (have && kv.key == cur) {
            buf[2 * nb] = (uint32_t)first;
            buf[2 * nb + 1] = (uint32_t)kv.val;
            n++;
            if (++nb == 4096) {
                if (dd_bw_write(w, buf, sizeof buf, e) < 0) { rc = -1; break; }
                nb = 0;
            }
        } else {
            have = 1;
            cur = kv.key;
            first = kv.val;
        }
    }
    if (rc == 0 && dd_bw_write(w, buf, nb * 8, e) < 0) rc = -1;
    if (rc < 0) {
        dd_bw_abort(w);
        return -1;
    }
    dd_header h;
    dd_header_fill(&h, c, DD_FILE_PAIRS);
    h.count = n;
    h.aux = (uint64_t)u;
    h.aux2 = t->fingerprint;
    *npairs += n;
    return dd_bw_commit(w, &h, e);
}

/* Sort runs of a worker killed on this host (its pid is gone) are removed;
 * other hosts' runs are left alone. */
static void remove_stale_sorts(const dd_paths *p, const char *host)
{
    char tmpdir[PATH_CAP], prefix[300];
    snprintf(tmpdir, sizeof tmpdir, "%s/tmp", p->state);
    snprintf(prefix, sizeof prefix, "sort-%s-", host);
    DIR *d = opendir(tmpdir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, prefix, strlen(prefix))) continue;
        long pid = strtol(de->d_name + strlen(prefix), NULL, 10);
        if (pid == (long)getpid() || !pid_is_dead(pid))
            continue;
        char sub[PATH_CAP * 2];
        snprintf(sub, sizeof sub, "%s/%s", tmpdir, de->d_name);
        DIR *sd = opendir(sub);
        if (sd) {
            struct dirent *fe;
            while ((fe = readdir(sd))) {
                if (fe->d_name[0] == '.') continue;
                char f[PATH_CAP * 3];
                snprintf(f, sizeof f, "%s/%s", sub, fe->d_name);
                unlink(f);
            }
            closedir(sd);
        }
        rmdir(sub);
    }
    closedir(d);
    rmdir(tmpdir);   /* only when empty */
}

int dd_stage_buckets(const dd_config *c, const dd_paths *p, const dd_run_opts *o,
                     dd_stats *st, blalm_err *e)
{
    double t0 = now_seconds(), c0 = cpu_seconds();
    doc_table t;
    if (dd_config_check(c, e) < 0 || table_load(c, p, &t, e) < 0) return -1;
    char host[256] = "host";
    gethostname(host, sizeof host - 1);
    for (char *h = host; *h; h++)
        if (*h == '/' || *h == '-') *h = '_';
    remove_stale_sorts(p, host);
    int nu = nunits(c), todo[DD_MAX_HASHES + 3], ntodo = 0;
    for (int u = 0; u < nu; u++) {
        if (u % o->nshards != o->shard) continue;
        int dn = pairs_done(c, p, &t, u, e);
        if (dn < 0) {
            table_free(&t);
            return -1;
        }
        if (dn) st->files_skipped++;
        else todo[ntodo++] = u;
    }
    st->files = (uint64_t)ntodo + st->files_skipped;
    int rc = 0;
    xsort **xs = calloc((size_t)(ntodo ? ntodo : 1), sizeof *xs);
    size_t recsize = dd_sigrec_size(c->bands);
    unsigned char *rec = malloc(recsize * 4096);
    char sortdir[PATH_CAP];
    snprintf(sortdir, sizeof sortdir, "%s/tmp", p->state);
    for (int k = 0; k < ntodo && rc == 0; k++) {
        xs[k] = xs_open_kv(o->mem_bytes / (size_t)ntodo, sortdir, e);
        if (!xs[k]) rc = -1;
    }
    /* One pass over the signatures feeds every band this worker owns. */
    report(o, 0, t.first[t.nf], "dedup buckets");
    for (size_t i = 0; i < t.nf && rc == 0 && ntodo; i++) {
        char path[PATH_CAP];
        sig_path(p, t.files[i].rel, path);
        dd_header h;
        FILE *f = dd_open_checked(path, c, DD_FILE_SIG, recsize, &h, e);
        if (!f) { rc = -1; break; }
        uint64_t g = t.first[i];
        size_t got;
        while (rc == 0 && (got = fread(rec, recsize, 4096, f)) > 0) {
            for (size_t j = 0; j < got && rc == 0; j++, g++) {
                const dd_sigrec *r = (const dd_sigrec *)(rec + j * recsize);
                for (int k = 0; k < ntodo; k++) {
                    uint64_t key = unit_enabled(c, todo[k]) ? unit_key(c, r, todo[k]) : 0;
                    if (key && xs_add(xs[k], &(xs_kv){key, g}, e) < 0) { rc = -1; break; }
                }
            }
            report(o, g, t.first[t.nf], "dedup buckets");
        }
        if (rc == 0 && ferror(f)) rc = err_errno(e, "%s", path);
        fclose(f);
    }
    uint64_t npairs = 0;
    first_error fe = {0};
#pragma omp parallel for num_threads(threads_of(o)) schedule(dynamic, 1) reduction(+ : npairs)
    for (int k = 0; k < ntodo; k++) {
        if (rc < 0 || fe.failed) continue;
        blalm_err le;
        char unit[64];
        marker_key *mk = NULL;
        if (write_pairs(c, p, &t, todo[k], xs[k], &npairs, &le) < 0 ||
            !(mk = table_key(c, &t, todo[k], 0, unit, sizeof unit, &le)) ||
            marker_done_commit(p, unit, mk, &le) < 0)
            fail_once(&fe, &le);
        marker_key_free(mk);
        xs_close(xs[k]);
        xs[k] = NULL;
    }
    if (fe.failed && rc == 0) {
        *e = fe.err;
        rc = -1;
    }
    for (int k = 0; k < ntodo; k++) xs_close(xs[k]);
    free(xs);
    free(rec);
    char tmpdir[PATH_CAP];
    snprintf(tmpdir, sizeof tmpdir, "%s/tmp", p->state);
    rmdir(tmpdir);   /* only when empty: other workers may be sorting */
    st->docs = t.first[t.nf];
    st->pairs_lsh = npairs;
    table_free(&t);
    st->seconds = now_seconds() - t0;
    st->cpu_seconds = cpu_seconds() - c0;
    st->max_rss_kb = max_rss_kb();
    return rc;
}

/* ---- stage 3: cluster ------------------------------------------------------ */

/* One document's result, as stored in clusters.bin (global numbers). */
typedef struct dd_result {
    uint32_t exact_group, exact_size, cluster_id, cluster_size, representative;
} dd_result;

typedef struct shingle_map {
    const uint64_t *data;   /* shingles, then offsets */
    const uint64_t *off;
    size_t bytes;
    void *base;
} shingle_map;

static int shingles_open(const dd_config *c, const dd_paths *p, const doc_table *t,
                         shingle_map *m, blalm_err *e)
{
    for (size_t i = 0; i < t->nf; i++) {
        char path[PATH_CAP];
        shingle_path(p, t->files[i].rel, path);
        dd_header h;
        FILE *f = dd_open_checked(path, c, DD_FILE_SHINGLES, 0, &h, e);
        if (!f) return err_prefix(e, "--verify-jaccard needs shingle files (rerun the "
                                     "signatures stage with --verify-jaccard)");
        struct stat sb;
        fstat(fileno(f), &sb);
        uint64_t n = t->first[i + 1] - t->first[i];
        uint64_t want = sizeof h + (h.aux + n + 1) * 8;
        if (h.count != n || (uint64_t)sb.st_size != want) {
            fclose(f);
            return err_set(e, "%s: truncated or corrupt: %lld bytes, expected %llu", path,
                           (long long)sb.st_size, (unsigned long long)want);
        }
        void *base = fmap_map(fileno(f), (size_t)sb.st_size, MAP_PRIVATE, path);
        fclose(f);
        if (base == MAP_FAILED) return err_errno(e, "mmap %s", path);
        m[i].base = base;
        m[i].bytes = (size_t)sb.st_size;
        m[i].data = (const uint64_t *)((const char *)base + sizeof h);
        m[i].off = m[i].data + h.aux;
    }
    return 0;
}

static double pair_jaccard(const doc_table *t, const shingle_map *m, uint32_t a, uint32_t b)
{
    size_t fa = table_file_of(t, a), fb = table_file_of(t, b);
    uint64_t ra = a - t->first[fa], rb = b - t->first[fb];
    const shingle_map *ma = &m[fa], *mb = &m[fb];
    return dd_jaccard(ma->data + ma->off[ra], ma->off[ra + 1] - ma->off[ra],
                      mb->data + mb->off[rb], mb->off[rb + 1] - mb->off[rb]);
}

/* The id and where ("path:line", parquet "path row N") of row `row` of
 * document file f, for messages; "?" when it cannot be read. */
static void doc_where(const doc_file *f, uint64_t row, char *id, size_t idcap, char *where,
                      size_t wcap)
{
    snprintf(id, idcap, "?");
    snprintf(where, wcap, "%s row %llu", f->path, (unsigned long long)row);
    blalm_err e;
    doc_opts o = {.id_stem = f->id_stem, .text_only = 1};
    doc_reader *r = doc_open(f->path, &o, &e);
    if (!r) return;
    blalm_doc d;
    while (doc_next(r, &d, &e) == 1) {
        if (d.row != row) continue;
        snprintf(id, idcap, "%.*s", d.id_len > 200 ? 200 : (int)d.id_len, d.id);
        if (d.line) snprintf(where, wcap, "%s:%llu", f->path, (unsigned long long)d.line);
        break;
    }
    doc_close(r);
}

static void where_of(const doc_table *t, uint32_t g, char *id, size_t idcap, char *where,
                     size_t wcap)
{
    size_t f = table_file_of(t, g);
    doc_where(&t->files[f], g - t->first[f], id, idcap, where, wcap);
}

/* Reads every document's exact-text key (into text, when not NULL) and keep
 * value (into keep, when not NULL) from the signature files. */
static int read_sig_columns(const dd_config *c, const dd_paths *p, const doc_table *t,
                            uint64_t *text, double *keep, blalm_err *e)
{
    size_t recsize = dd_sigrec_size(c->bands);
    unsigned char *rec = malloc(recsize * 4096);
    if (!rec) return err_set(e, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < t->nf && rc == 0; i++) {
        char path[PATH_CAP];
        sig_path(p, t->files[i].rel, path);
        dd_header h;
        FILE *f = dd_open_checked(path, c, DD_FILE_SIG, recsize, &h, e);
        if (!f) { rc = -1; break; }
        uint64_t g = t->first[i];
        size_t got;
        while ((got = fread(rec, recsize, 4096, f)) > 0)
            for (size_t j = 0; j < got; j++, g++) {
                const dd_sigrec *r = (const dd_sigrec *)(rec + j * recsize);
                if (text) text[g] = r->text_hash;
                if (keep) keep[g] = r->keep_value;
            }
        if (ferror(f)) rc = err_errno(e, "%s", path);
        fclose(f);
    }
    free(rec);
    return rc;
}

/* Unions the pairs of unit u. id_text (exact-id unit only, may be NULL):
 * every document's exact-text key, to count the id duplicates whose text
 * differs. */
static int union_pairs(const dd_config *c, const dd_paths *p, const doc_table *t, int u,
                       dd_uf *exact, dd_uf *all, const shingle_map *sm, double verify,
                       const uint64_t *id_text, dd_stats *st, blalm_err *e)
{
    char path[PATH_CAP];
    pairs_path(c, p, u, path);
    if (!file_exists(path))
        return err_set(e, "%s: missing; run the buckets stage on every shard first", path);
    dd_header h;
    FILE *f = dd_open_checked(path, c, DD_FILE_PAIRS, 8, &h, e);
    if (!f) return -1;
    if (h.aux != (uint64_t)u || h.aux2 != t->fingerprint) {
        fclose(f);
        return err_set(e, "%s: made from other documents or for another band; rerun the "
                          "buckets stage", path);
    }
    uint32_t buf[2 * 4096];
    size_t got;
    uint64_t ndocs = t->first[t->nf];
    while ((got = fread(buf, 8, 4096, f)) > 0) {
        for (size_t i = 0; i < got; i++) {
            uint32_t a = buf[2 * i], b = buf[2 * i + 1];
            if (a >= ndocs || b >= ndocs) {
                fclose(f);
                return err_set(e, "%s: corrupt: document %u out of range", path,
                               a >= ndocs ? a : b);
            }
            if (u >= c->bands) {
                st->dups_by[u - c->bands]++;
                if (id_text && u == c->bands && id_text[a] && id_text[b] &&
                    id_text[a] != id_text[b] && !st->id_text_differs++) {
                    char ida[256], idb[256], wa[PATH_CAP], wb[PATH_CAP];
                    where_of(t, a, ida, sizeof ida, wa, sizeof wa);
                    where_of(t, b, idb, sizeof idb, wb, sizeof wb);
                    snprintf(st->id_text_example, sizeof st->id_text_example,
                             "id \"%s\" in %s and %s", ida, wa, wb);
                }
                dd_uf_union(exact, a, b);
                dd_uf_union(all, a, b);
                st->pairs_exact++;
                continue;
            }
            st->pairs_lsh++;
            if (verify > 0 && dd_uf_find(all, a) != dd_uf_find(all, b)) {
                st->verified++;
                if (pair_jaccard(t, sm, a, b) < verify) {
                    st->rejected++;
                    continue;
                }
            }
            dd_uf_union(all, a, b);
        }
    }
    int bad = ferror(f);
    fclose(f);
    return bad ? err_errno(e, "%s", path) : 0;
}

static void write_stats(const dd_config *c, const dd_paths *p, const dd_run_opts *o,
                        const dd_stats *st, const uint32_t *hist_size, const uint64_t *hist_n,
                        size_t nh)
{
    sbuf b;
    sb_init(&b);
    char mn[128], ex[128];
    dd_norm_format(c->minhash_norm, mn, sizeof mn);
    dd_norm_format(c->exact_norm, ex, sizeof ex);
    sb_printf(&b, "{\"config\":{\"bands\":%d,\"rows\":%d,\"shingle\":%d,\"seed\":%llu,"
                  "\"minhash_normalize\":\"%s\",\"exact_normalize\":\"%s\",\"exact_id\":%s,"
                  "\"exact_text\":%s,\"exact_url\":%s,\"keep_max\":",
              c->bands, c->rows, c->shingle, (unsigned long long)c->seed, mn, ex,
              c->exact_id ? "true" : "false", c->exact_text ? "true" : "false",
              c->exact_url ? "true" : "false");
    if (c->keep_field[0]) sb_json_str(&b, c->keep_field, strlen(c->keep_field));
    else sb_adds(&b, "null");
    sb_adds(&b, ",\"verify_jaccard\":");
    if (o->verify_jaccard > 0) sb_json_num(&b, o->verify_jaccard);
    else sb_adds(&b, "null");
    sb_printf(&b, "},\"docs\":%llu,\"exact_groups\":%llu,\"exact_duplicates\":%llu,"
                  "\"clusters\":%llu,\"clusters_with_duplicates\":%llu,\"kept\":%llu,"
                  "\"dropped\":%llu,\"candidate_pairs_lsh\":%llu,\"pairs_exact\":%llu,"
                  "\"verified_pairs\":%llu,\"rejected_pairs\":%llu,\"cluster_seconds\":",
              (unsigned long long)st->docs, (unsigned long long)st->exact_groups,
              (unsigned long long)st->exact_dups, (unsigned long long)st->clusters,
              (unsigned long long)st->multi_clusters, (unsigned long long)(st->docs - st->dropped),
              (unsigned long long)st->dropped, (unsigned long long)st->pairs_lsh,
              (unsigned long long)st->pairs_exact, (unsigned long long)st->verified,
              (unsigned long long)st->rejected);
    sb_json_num(&b, st->seconds);
    /* duplicates each exact rule finds (null: the rule is off) */
    static const char *const rule[3] = {"id", "text", "url"};
    const int on[3] = {c->exact_id, c->exact_text, c->exact_url};
    sb_adds(&b, ",\"exact_duplicates_by\":{");
    for (int i = 0; i < 3; i++) {
        sb_printf(&b, "%s\"%s\":", i ? "," : "", rule[i]);
        if (on[i]) sb_printf(&b, "%llu", (unsigned long long)st->dups_by[i]);
        else sb_adds(&b, "null");
    }
    sb_adds(&b, ",\"same_id_different_text\":");
    if (c->exact_id) sb_printf(&b, "%llu", (unsigned long long)st->id_text_differs);
    else sb_adds(&b, "null");
    sb_adds(&b, "}");
    /* --keep-max: documents with a usable value and without (counted lowest) */
    if (c->keep_field[0])
        sb_printf(&b, ",\"keep_max_values\":{\"usable\":%llu,\"missing_or_unreadable\":%llu}",
                  (unsigned long long)st->keep_usable, (unsigned long long)st->keep_unusable);
    sb_printf(&b, ",\"cluster_max_rss_kb\":%ld,\"cluster_size_histogram\":{", st->max_rss_kb);
    for (size_t i = 0; i < nh; i++)
        sb_printf(&b, "%s\"%u\":%llu", i ? "," : "", hist_size[i], (unsigned long long)hist_n[i]);
    sb_adds(&b, "}");
    /* keep the per-stage entries that dd_stats_record() wrote before */
    char *old = NULL;
    size_t oldn;
    blalm_err e;
    int lk = dd_stats_lock(p->stats, &e);
    if (file_exists(p->stats) && read_file(p->stats, &old, &oldn, &e) == 0) {
        cJSON *j = cJSON_ParseWithLength(old, oldn);
        cJSON *stages = j ? cJSON_GetObjectItemCaseSensitive(j, "stages") : NULL;
        char *txt = cJSON_IsObject(stages) ? json_print(stages, 0) : NULL;
        if (txt) sb_printf(&b, ",\"stages\":%s", txt);
        free(txt);
        cJSON_Delete(j);
    }
    free(old);
    sb_adds(&b, "}\n");
    dd_write_small(p->stats, b.data, b.len, &e);   /* stats are a report, not a result */
    if (lk >= 0) close(lk);
    sb_free(&b);
}

int dd_cluster_warning(int i, const dd_config *c, const dd_stats *st, const char *id_off,
                       const char *stats, char *out, size_t cap)
{
    if (i == 0 && c->exact_id && st->id_text_differs) {
        snprintf(out, cap, "warning: %llu of the %llu documents counted as exact duplicates for an "
                           "equal id have a different text from the first document with that id "
                           "(e.g. %s); they are dropped all the same. If ids are not unique across "
                           "files (e.g. restart at 0 in each shard), %s, which turns that rule off "
                           "(counts in %s)",
                 (unsigned long long)st->id_text_differs, (unsigned long long)st->dups_by[0],
                 st->id_text_example, id_off, stats);
        return 1;
    }
    if (i == 1 && c->keep_field[0] && st->keep_unusable) {
        snprintf(out, cap, "warning: --keep-max '%s': %llu of the %llu documents have no usable "
                           "value (metadata.%s missing, or not a number, a numeric string or an "
                           "ISO-8601 date-time; they count as lowest), e.g. %s",
                 c->keep_field, (unsigned long long)st->keep_unusable,
                 (unsigned long long)(st->keep_unusable + st->keep_usable), c->keep_field,
                 st->keep_example);
        return 1;
    }
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Representative of each cluster: the largest keep value (missing = -inf),
 * then the smallest global number. Only the roots' slots are meaningful. */
static int choose_representatives(const dd_config *c, const dd_paths *p, const doc_table *t,
                                  dd_uf *all, uint32_t *rep, dd_stats *st, blalm_err *e)
{
    uint64_t n = t->first[t->nf];
    for (uint64_t g = 0; g < n; g++) rep[g] = UINT32_MAX;
    if (!c->keep_field[0]) {
        for (uint64_t g = 0; g < n; g++) {
            uint32_t r = dd_uf_find(all, (uint32_t)g);
            if (rep[r] == UINT32_MAX) rep[r] = (uint32_t)g;
        }
        return 0;
    }
    double *val = malloc((n ? n : 1) * sizeof *val);
    if (!val) return err_set(e, "out of memory for %llu keep values", (unsigned long long)n);
    int rc = read_sig_columns(c, p, t, NULL, val, e);
    /* missing or unreadable values count as lowest; counted, and none at
     * all is an error (a misspelt field, almost certainly) */
    uint64_t first_bad = UINT64_MAX;
    for (uint64_t g = 0; g < n && rc == 0; g++) {
        if (!isnan(val[g])) {
            st->keep_usable++;
            continue;
        }
        st->keep_unusable++;
        if (first_bad == UINT64_MAX) first_bad = g;
        val[g] = -INFINITY;
    }
    if (rc == 0 && first_bad != UINT64_MAX) {
        char id[256];
        where_of(t, (uint32_t)first_bad, id, sizeof id, st->keep_example, sizeof st->keep_example);
        if (!st->keep_usable)
            rc = err_set(e, "--keep-max '%s': none of the %llu documents has a usable value "
                            "(metadata.%s missing, or not a number, a numeric string or an "
                            "ISO-8601 date-time), e.g. %s: is the field name right? (Its signatures "
                            "hold this one: remove %s, then rerun with the right field)",
                         c->keep_field, (unsigned long long)n, c->keep_field, st->keep_example,
                         p->state);
    }
    for (uint64_t g = 0; g < n && rc == 0; g++) {
        uint32_t r = dd_uf_find(all, (uint32_t)g);
        /* g increases, so a tie keeps the earlier (smaller) document */
        if (rep[r] == UINT32_MAX || val[g] > val[rep[r]]) rep[r] = (uint32_t)g;
    }
    free(val);
    return rc;
}

int dd_stage_cluster(const dd_config *c, const dd_paths *p, const dd_run_opts *o,
                     dd_stats *st, blalm_err *e)
{
    double t0 = now_seconds(), c0 = cpu_seconds();
    char cpath[PATH_CAP];
    clusters_path(p, cpath);
    doc_table t;
    if (dd_config_check(c, e) < 0 || table_load(c, p, &t, e) < 0) return -1;
    uint64_t n = t.first[t.nf];
    char unit[64];
    marker_key *mk = table_key(c, &t, -1, o->verify_jaccard, unit, sizeof unit, e);
    if (!mk) {
        table_free(&t);
        return -1;
    }
    if (file_exists(cpath)) {
        dd_header h;
        FILE *f = dd_open_checked(cpath, c, DD_FILE_CLUSTERS, sizeof(dd_result), &h, e);
        if (!f) {
            marker_key_free(mk);
            table_free(&t);
            return -1;
        }
        fclose(f);
        uint64_t vbits;
        double v = o->verify_jaccard > 0 ? o->verify_jaccard : 0;
        memcpy(&vbits, &v, 8);
        int dn = h.aux2 == t.fingerprint && h.aux == vbits ? marker_done(p, unit, mk, e) : 0;
        if (dn != 0) {
            marker_key_free(mk);
            table_free(&t);
            if (dn < 0) return -1;
            st->files_skipped = 1;
            st->docs = n;
            return 0;
        }
    }
    dd_uf exact = {0}, all = {0};
    shingle_map *sm = NULL;
    int rc = 0;
    if (dd_uf_init(&exact, n) < 0 || dd_uf_init(&all, n) < 0)
        rc = err_set(e, "out of memory for %llu documents", (unsigned long long)n);
    if (rc == 0 && o->verify_jaccard > 0) {
        sm = calloc(t.nf, sizeof *sm);
        rc = shingles_open(c, p, &t, sm, e);
    }
    /* The exact-text keys, when there are id duplicates to compare them on
     * (8 bytes a document, freed before the cluster sizes are counted). */
    uint64_t *id_text = NULL;
    if (rc == 0 && c->exact_id) {
        char ppath[PATH_CAP];
        pairs_path(c, p, c->bands, ppath);
        dd_header ph;
        FILE *pf = file_exists(ppath) ? dd_open_checked(ppath, c, DD_FILE_PAIRS, 8, &ph, e) : NULL;
        if (pf) fclose(pf);
        if (pf && ph.count > 0) {
            id_text = malloc((n ? n : 1) * sizeof *id_text);
            if (!id_text) rc = err_set(e, "out of memory for %llu documents", (unsigned long long)n);
            else rc = read_sig_columns(c, p, &t, id_text, NULL, e);
        }
    }
    /* Exact pairs first: they are never verified. */
    report(o, 0, (uint64_t)nunits(c), "dedup cluster");
    for (int k = 0; k < nunits(c) && rc == 0; k++) {
        int u = (k + c->bands) % nunits(c);
        rc = union_pairs(c, p, &t, u, &exact, &all, sm, o->verify_jaccard,
                         u == c->bands ? id_text : NULL, st, e);
        report(o, (uint64_t)k + 1, (uint64_t)nunits(c), "dedup cluster");
    }
    free(id_text);
    if (sm) {
        for (size_t i = 0; i < t.nf; i++)
            if (sm[i].base) fmap_unmap(sm[i].base, sm[i].bytes);
        free(sm);
    }
    uint32_t *csize = NULL, *esize = NULL, *rep = NULL;
    if (rc == 0) {
        csize = calloc(n ? n : 1, 4);
        esize = calloc(n ? n : 1, 4);
        rep = malloc((n ? n : 1) * 4);
        if (!csize || !esize || !rep)
            rc = err_set(e, "out of memory for %llu documents", (unsigned long long)n);
    }
    if (rc == 0) {
        for (uint64_t g = 0; g < n; g++) {
            csize[dd_uf_find(&all, (uint32_t)g)]++;
            esize[dd_uf_find(&exact, (uint32_t)g)]++;
        }
        rc = choose_representatives(c, p, &t, &all, rep, st, e);
    }
    dd_bwriter *w = rc == 0 ? dd_bw_open(cpath, e) : NULL;
    if (rc == 0 && !w) rc = -1;
    dd_result buf[4096];
    size_t nb = 0;
    for (uint64_t g = 0; g < n && rc == 0; g++) {
        uint32_t cr = dd_uf_find(&all, (uint32_t)g), er = dd_uf_find(&exact, (uint32_t)g);
        dd_result *r = &buf[nb++];
        r->exact_group = er;
        r->exact_size = esize[er];
        r->cluster_id = cr;
        r->cluster_size = csize[cr];
        r->representative = rep[cr];
        if (er == g) st->exact_groups++;
        else st->exact_dups++;
        if (cr == g) {
            st->clusters++;
            if (csize[cr] > 1) st->multi_clusters++;
        }
        if (rep[cr] != g) st->dropped++;
        if (nb == 4096 || g + 1 == n) {
            if (dd_bw_write(w, buf, nb * sizeof *buf, e) < 0) rc = -1;
            nb = 0;
        }
    }
    /* cluster-size histogram: sizes of the roots, sorted */
    uint32_t *sizes = NULL, *hs = NULL;
    uint64_t *hn = NULL;
    size_t nh = 0, ns = 0;
    if (rc == 0) {
        sizes = malloc((st->clusters ? st->clusters : 1) * 4);
        for (uint64_t g = 0; g < n; g++)
            if (dd_uf_find(&all, (uint32_t)g) == g) sizes[ns++] = csize[g];
        qsort(sizes, ns, 4, cmp_u32);
        hs = malloc((ns ? ns : 1) * 4);
        hn = malloc((ns ? ns : 1) * 8);
        for (size_t i = 0; i < ns; i++) {
            if (nh && hs[nh - 1] == sizes[i]) hn[nh - 1]++;
            else hs[nh] = sizes[i], hn[nh++] = 1;
        }
    }
    free(csize);
    free(esize);
    free(rep);
    dd_uf_free(&exact);
    dd_uf_free(&all);
    if (rc == 0) {
        dd_header h;
        dd_header_fill(&h, c, DD_FILE_CLUSTERS);
        h.count = n;
        double v = o->verify_jaccard > 0 ? o->verify_jaccard : 0;
        memcpy(&h.aux, &v, 8);
        h.aux2 = t.fingerprint;
        rc = dd_bw_commit(w, &h, e);
    } else {
        dd_bw_abort(w);
    }
    st->docs = n;
    st->seconds = now_seconds() - t0;
    st->cpu_seconds = cpu_seconds() - c0;
    st->max_rss_kb = max_rss_kb();
    if (rc == 0) write_stats(c, p, o, st, hs, hn, nh);
    if (rc == 0) rc = marker_done_commit(p, unit, mk, e);   /* last: clusters.bin is in place */
    marker_key_free(mk);
    free(sizes);
    free(hs);
    free(hn);
    table_free(&t);
    return rc;
}

/* ---- stage 4: attributes -------------------------------------------------- */

static void key_of(const doc_table *t, uint32_t g, sbuf *out)
{
    size_t f = table_file_of(t, g);
    sb_printf(out, "%s#%llu", t->files[f].rel, (unsigned long long)(g - t->first[f]));
}

/* The command that makes the dedup set again, for its records (the caller
 * adds where the documents are): every setting that shapes it, defaults
 * included, so that it runs against the state these settings made (dedup
 * refuses files of other settings) and gives the same clusters. */
static void record_command(const dd_config *c, double verify_jaccard, sbuf *b)
{
    char norm[160], xnorm[160];
    dd_norm_format(c->minhash_norm, norm, sizeof norm);
    dd_norm_format(c->exact_norm, xnorm, sizeof xnorm);
    sb_printf(b, "blalm dedup --bands %d --rows %d --shingle %d --seed %llu", c->bands, c->rows,
              c->shingle, (unsigned long long)c->seed);
    sb_shell_opt(b, "normalize", norm);
    sb_shell_opt(b, "exact-normalize", xnorm);
    if (!c->exact_id) sb_shell_opt(b, "no-exact-id", NULL);
    if (!c->exact_text) sb_shell_opt(b, "no-exact-text", NULL);
    if (!c->exact_url) sb_shell_opt(b, "no-exact-url", NULL);
    if (c->keep_field[0]) sb_shell_opt(b, "keep-max", c->keep_field);
    if (verify_jaccard > 0) {
        sb_adds(b, " --verify-jaccard ");
        sb_json_num(b, verify_jaccard);
    }
    sb_addc(b, 0);   /* a C string */
    b->len--;
}

/* The attribute file of document file i from clusters.bin (at cf), its
 * record (command: what makes it again), then its marker (k: the settings,
 * the document file as ident, the clusters). */
static int attributes_for_file(const dd_config *c, const dd_paths *p, const doc_table *t,
                               size_t i, FILE *cf, const char *marker, const char *command,
                               const doc_identity *ident, marker_key *k, blalm_err *e)
{
    const doc_file *df = &t->files[i];
    char stem[PATH_CAP], out[PATH_CAP * 2], unit[PATH_CAP];
    doc_rel_stem(df->rel, stem, sizeof stem);
    snprintf(out, sizeof out, "%s/dedup/%s.jsonl.zst", p->attrs, stem);
    attr_unit(df->rel, unit);
    uint64_t n = t->first[i + 1] - t->first[i];
    dd_result *res = malloc((n ? n : 1) * sizeof *res);
    if (fseeko(cf, (off_t)(sizeof(dd_header) + t->first[i] * sizeof *res), SEEK_SET) < 0 ||
        fread(res, sizeof *res, n, cf) != n) {
        free(res);
        return err_errno(e, "reading clusters.bin");
    }
    doc_opts o = {.id_stem = df->id_stem, .text_only = 1};   /* ids and rows only */
    doc_reader *r = doc_open(df->path, &o, e);
    if (!r) {
        free(res);
        return -1;
    }
    attr_writer *w = attrw_open(out, "dedup", e);
    if (!w) {
        doc_close(r);
        free(res);
        return -1;
    }
    sbuf b;
    sb_init(&b);
    blalm_doc d;
    int rc;
    uint64_t row = 0;
    while ((rc = doc_next(r, &d, e)) == 1) {
        if (row >= n) {
            rc = err_set(e, "%s: has more documents than when its signatures were made (%llu); "
                            "rerun dedup from the signatures stage", df->path,
                         (unsigned long long)n);
            break;
        }
        const dd_result *x = &res[row];
        uint32_t g = (uint32_t)(t->first[i] + row);
        sb_reset(&b);
        sb_printf(&b, "{\"exact_group\":%u,\"exact_size\":%u,\"cluster_id\":%u,"
                      "\"cluster_size\":%u,\"representative\":",
                  x->exact_group, x->exact_size, x->cluster_id, x->cluster_size);
        sbuf key;
        sb_init(&key);
        key_of(t, x->representative, &key);
        sb_json_str(&b, key.data, key.len);
        sb_free(&key);
        sb_printf(&b, ",\"keep\":%s}", x->representative == g ? "true" : "false");
        if (attrw_write(w, d.id, d.id_len, b.data, b.len, e) < 0) { rc = -1; break; }
        row++;
    }
    if (rc == 0 && row != n)
        rc = err_set(e, "%s: has %llu documents, its signatures %llu; rerun dedup from the "
                        "signatures stage", df->path, (unsigned long long)row,
                     (unsigned long long)n);
    sb_free(&b);
    doc_close(r);
    free(res);
    if (rc < 0) {
        attrw_abort(w);
        return -1;
    }
    if (attrw_commit(w, e) < 0) return -1;
    /* the record names the clusters (and so every document file) it came from */
    char config[160];
    snprintf(config, sizeof config, "dedup %.*s", (int)strcspn(marker, "\n"), marker);
    if (attr_record_write(out, "dedup", df->rel, ident, n, 1, config, command, e) < 0)
        return -1;
    return marker_done_commit(p, unit, k, e);
}

int dd_stage_attributes(const dd_config *c, const dd_paths *p, const dd_run_opts *o,
                        dd_stats *st, blalm_err *e)
{
    double t0 = now_seconds(), c0 = cpu_seconds();
    doc_table t;
    if (dd_config_check(c, e) < 0 || table_load(c, p, &t, e) < 0) return -1;
    char cpath[PATH_CAP];
    clusters_path(p, cpath);
    if (!file_exists(cpath)) {
        table_free(&t);
        return err_set(e, "%s: missing; run the cluster stage first", cpath);
    }
    dd_header h;
    FILE *cf = dd_open_checked(cpath, c, DD_FILE_CLUSTERS, sizeof(dd_result), &h, e);
    if (!cf) {
        table_free(&t);
        return -1;
    }
    fclose(cf);
    if (h.aux2 != t.fingerprint || h.count != t.first[t.nf]) {
        table_free(&t);
        return err_set(e, "%s: made from other documents; rerun the cluster stage", cpath);
    }
    /* A file's record names the clusters it was written from; its marker is
     * keyed by them and by the document file. */
    uint64_t clusters_hash = XXH3_64bits(&h, sizeof h);
    char marker[128];
    snprintf(marker, sizeof marker, "{\"clusters\":\"%016llx%016llx\"}\n",
             (unsigned long long)h.aux2, (unsigned long long)XXH3_64bits(&h, sizeof h));
    /* the --verify-jaccard the clusters were made with (the cluster stage
     * stores it), not this stage's flag, which it does not need: run stage
     * by stage, the record named a command without it, which made other
     * clusters */
    double made_with;
    memcpy(&made_with, &h.aux, 8);
    sbuf command;
    sb_init(&command);
    record_command(c, made_with, &command);
    first_error fe = {0};
    uint64_t mine = 0, skipped = 0, done = 0;
    report(o, 0, t.nf, "dedup attributes");
#pragma omp parallel num_threads(threads_of(o)) reduction(+ : mine, skipped)
    {
        blalm_err le;
        FILE *f = fopen(cpath, "rb");
        if (!f) {
            err_errno(&le, "%s", cpath);
            fail_once(&fe, &le);
        }
#pragma omp for schedule(dynamic, 1)
        for (size_t i = 0; i < t.nf; i++) {
            if ((int)(i % (size_t)o->nshards) != o->shard || fe.failed || !f) continue;
            mine++;
            char unit[PATH_CAP], stem[PATH_CAP], out[PATH_CAP * 2];
            doc_rel_stem(t.files[i].rel, stem, sizeof stem);
            snprintf(out, sizeof out, "%s/dedup/%s.jsonl.zst", p->attrs, stem);
            attr_unit(t.files[i].rel, unit);
            char rpath[PATH_CAP * 2 + 32];
            attr_record_path(out, rpath, sizeof rpath);
            doc_identity id;
            marker_key *k = doc_key(c, &t.files[i], &id, &le);
            if (k) marker_key_identity(k, "clusters.bin", h.count, 0, clusters_hash);
            int dn = k ? marker_done(p, unit, k, &le) : -1;
            if (dn == 1 && (!file_exists(out) || !file_exists(rpath))) dn = 0;
            if (dn == 1) skipped++;
            else if (dn < 0 || signatures_current(c, p, &t.files[i], &id, &le) < 0 ||
                     attributes_for_file(c, p, &t, i, f, marker, command.data, &id, k, &le) < 0)
                fail_once(&fe, &le);
            marker_key_free(k);
#pragma omp critical(dd_progress)
            report(o, ++done, t.nf, "dedup attributes");
        }
        if (f) fclose(f);
    }
    st->docs = t.first[t.nf];
    st->files = mine;
    st->files_skipped = skipped;
    table_free(&t);
    sb_free(&command);
    st->seconds = now_seconds() - t0;
    st->cpu_seconds = cpu_seconds() - c0;
    st->max_rss_kb = max_rss_kb();
    if (fe.failed) {
        *e = fe.err;
        return -1;
    }
    return 0;
}

/* ---- benchmark helper ------------------------------------------------------ */

static uint64_t mix64(uint64_t x) { return hash_fmix64(x); }

/* Document g is either an original (its own band hashes) or, with
 * probability dup_rate, a near-copy of an earlier original: each of its bands
 * equals the original's with probability 1/2. Band hashes are functions of
 * (original, band), so nothing is held in memory. Empty placeholder document
 * files stand for the documents (only the buckets and cluster stages run). */
int dd_synthetic_signatures(const dd_config *c, const dd_paths *p, uint64_t ndocs,
                            double dup_rate, int files, blalm_err *e)
{
    if (dd_config_check(c, e) < 0) return -1;
    if (files < 1) files = 1;
    if (ndocs >= UINT32_MAX) return err_set(e, "too many synthetic documents");
    size_t recsize = dd_sigrec_size(c->bands);
    dd_sigrec *rec = malloc(recsize);
    uint64_t g = 0, per = (ndocs + (uint64_t)files - 1) / (uint64_t)files;
    uint64_t thresh = (uint64_t)(dup_rate * 18446744073709551615.0);
    for (int fi = 0; fi < files; fi++) {
        char rel[64], dpath[PATH_CAP], spath[PATH_CAP];
        snprintf(rel, sizeof rel, "synthetic/part-%05d.jsonl", fi);
        snprintf(dpath, sizeof dpath, "%s/%s", p->docs, rel);
        if (dd_write_small(dpath, "", 0, e) < 0) { free(rec); return -1; }
        sig_path(p, rel, spath);
        dd_bwriter *w = dd_bw_open(spath, e);
        if (!w) { free(rec); return -1; }
        uint64_t n = 0;
        for (; n < per && g < ndocs; n++, g++) {
            uint64_t r = mix64(g * 0x9e3779b97f4a7c15u + 1);
            uint64_t orig = g;
            if (g > 0 && r < thresh) orig = mix64(r) % g;
            rec->id_hash = nonzero(mix64(g + 0x1234));
            rec->text_hash = nonzero(mix64(g + 0x5678));
            rec->url_hash = 0;
            rec->keep_value = NAN;
            for (int b = 0; b < c->bands; b++) {
                uint64_t same = orig != g && (mix64(g * 131 + (uint64_t)b) & 1);
                rec->band[b] = nonzero(mix64((same ? orig : g) * 1000003u + (uint64_t)b));
            }
            if (dd_bw_write(w, rec, recsize, e) < 0) { dd_bw_abort(w); free(rec); return -1; }
        }
        uint64_t fsize = 0, fmtime = 0;
        file_stat(dpath, &fsize, &fmtime);
        dd_header h;
        dd_header_fill(&h, c, DD_FILE_SIG);
        h.count = n;
        h.aux = fsize;
        h.aux2 = fmtime;
        if (dd_bw_commit(w, &h, e) < 0) { free(rec); return -1; }
    }
    free(rec);
    return 0;
}

/* Adds or replaces stats["stages"][name] in WORK/stats/dedup.json. */
int dd_stats_record(const dd_paths *p, const char *name, const dd_stats *st, blalm_err *e)
{
    char *old = NULL;
    size_t oldn;
    cJSON *j = NULL;
    int lk = dd_stats_lock(p->stats, e);
    if (lk < 0) return -1;
    if (file_exists(p->stats) && read_file(p->stats, &old, &oldn, e) == 0)
        j = cJSON_ParseWithLength(old, oldn);
    free(old);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        j = cJSON_CreateObject();
    }
    cJSON *stages = cJSON_GetObjectItemCaseSensitive(j, "stages");
    if (!cJSON_IsObject(stages)) {
        cJSON_DeleteItemFromObjectCaseSensitive(j, "stages");
        stages = cJSON_AddObjectToObject(j, "stages");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(stages, name);
    cJSON *s = cJSON_AddObjectToObject(stages, name);
    cJSON_AddNumberToObject(s, "seconds", st->seconds);
    cJSON_AddNumberToObject(s, "cpu_seconds", st->cpu_seconds);
    cJSON_AddNumberToObject(s, "max_rss_kb", (double)st->max_rss_kb);
    cJSON_AddNumberToObject(s, "units", (double)st->files);
    cJSON_AddNumberToObject(s, "units_already_done", (double)st->files_skipped);
    cJSON_AddNumberToObject(s, "docs", (double)st->docs);
    if (st->text_bytes) {
        cJSON_AddNumberToObject(s, "text_bytes", (double)st->text_bytes);
        if (st->cpu_seconds > 0)
            cJSON_AddNumberToObject(s, "mb_per_cpu_second", st->text_bytes / 1e6 / st->cpu_seconds);
    }
    char *txt = json_print(j, 0);
    cJSON_Delete(j);
    size_t n = txt ? strlen(txt) : 0;
    char *line = txt ? malloc(n + 2) : NULL;
    int rc;
    if (!line) {
        rc = err_set(e, "out of memory");
    } else {
        memcpy(line, txt, n);
        line[n] = '\n';
        rc = dd_write_small(p->stats, line, n + 1, e);
    }
    free(txt);
    free(line);
    close(lk);
    return rc;
}
