/* assemble.c - word-budgeted corpora from a work directory.
 *
 * Three streaming passes, memory bounded by the sort limit:
 *   1. scan: every document with its attributes; rules decide eligibility;
 *      eligible documents become fixed-size candidate records (sorted by rank),
 *      excluded ones become fate records directly;
 *   2. select: candidates in rank order; each corpus takes whole documents
 *      while they fit, at most one per id / exact group / cluster; every
 *      candidate's fate is recorded (sorted back into document order);
 *   3. write: documents again, in order, zipped with their fates: corpus
 *      files, documents.jsonl.zst and the per-file decision records.
 * Corpora are built in OUT/.<name>.tmp.<pid> and renamed when complete. */
#include "corpora/corpora.h"
#include "corpora/internal.h"

#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/attr.h"
#include "lib/cli.h"
#include "lib/config.h"
#include "lib/docs.h"
#include "lib/fsutil.h"
#include "lib/work.h"
#include "lib/hash.h"
#include "lib/hashmap.h"
#include "lib/json.h"
#include "lib/progress.h"
#include "lib/rules.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"
#include "lib/zio.h"

enum {
    F_NONE = 0,       /* excluded before selection (see rule) */
    F_TRAIN, F_DEV, F_CUT,
    F_DUP_ID, F_DUP_EXACT, F_DUP_CLUSTER,
    F_BUDGET_FULL, F_TOO_LARGE, F_DEV_TOO_LARGE, F_QUOTA, F_NOT_IN_PARENT,
    F_CUT_IS_DEV,     /* too large, and cut to the words left it would be a dev text */
    F_CUT_IS_TAKEN,   /* too large, and cut it would be a train text taken (dedup on) */
};

#define RULE_ELIGIBLE (-1)
#define RULE_NO_WORDS (-2)

typedef struct cand {
    double key[CORPORA_MAX_RANK];  /* normalised: smaller ranks first; missing = +inf */
    uint64_t tie;                  /* seeded hash of the key: deterministic tie-break */
    uint64_t idh, exact, cluster;  /* 0 = none */
    uint64_t texth;                /* the text's bytes (what the corpus files hold) */
    uint64_t textid;               /* the text without whitespace at its ends: its identity
                                    * across the splits, as verify's (text_id_hash) */
    uint64_t check;                /* doc_check: the write pass's proof of the same document */
    uint64_t row, words;
    uint32_t file, src;
} cand;

typedef struct fate {
    uint32_t file;
    int32_t rule;                  /* RULE_ELIGIBLE, RULE_NO_WORDS or the excluding rule */
    uint64_t row, rank, words;
    uint64_t dup_of;               /* docref + 1 of the document that took the slot */
    uint64_t check;                /* doc_check of the document scanned */
    double key[CORPORA_MAX_RANK];
    uint32_t rem[CORPORA_MAX];     /* words left when refused; words kept when cut */
    uint8_t code[CORPORA_MAX];
} fate;

static int cmp_cand(const void *a, const void *b)
{
    const cand *x = a, *y = b;
    for (int i = 0; i < CORPORA_MAX_RANK; i++) {
        if (x->key[i] < y->key[i]) return -1;
        if (x->key[i] > y->key[i]) return 1;
    }
    if (x->tie != y->tie) return x->tie < y->tie ? -1 : 1;
    if (x->file != y->file) return x->file < y->file ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int cmp_fate(const void *a, const void *b)
{
    const fate *x = a, *y = b;
    if (x->file != y->file) return x->file < y->file ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

/* ---- per-corpus selection state ------------------------------------------ */

typedef struct cstate {
    const corpus_spec *spec;
    uint64_t rem, dev_rem;
    double dev_p;
    u64map taken;
    uint64_t *src_rem;             /* per source; UINT64_MAX = no quota */
    uint64_t too_large, full, dups, quota;
    uint64_t dev_drawn, dev_too_large; /* documents drawn for dev (a subset: its parent's dev documents, not
                                          duplicates), and those larger than the dev words left */
    uint64_t dev_min_large;        /* the fewest words of those (0: none) */
} cstate;

typedef struct outfile {
    FILE *f;
    sha256_ctx *sha;
    uint64_t bytes, words, docs;
    int used;
} outfile;

typedef struct cout {
    char tmp[4352], final[4352];
    outfile *files;                /* [split * nsrc + src] */
    zwriter *index;
    uint64_t index_docs;
    char idx_sha[65];              /* sha256 of documents.jsonl.zst, for run.json */
} cout;

typedef struct asm_ctx {
    const assemble_opts *o;
    const corpora_config *cfg;
    work_dirs w;
    doc_file *files;
    size_t nfiles;
    attr_schema *schema;
    rule *rules[CORPORA_MAX_RULES];
    uint64_t *rule_hits;           /* documents excluded by each rule */
    uint64_t no_words;
    char **srcs;                   /* source names (from docs_walk) */
    uint32_t *file_src;
    int nsrc;
    xsort *cands, *fates;
    cstate cs[CORPORA_MAX];
    cout co[CORPORA_MAX];
    char dec_tmp[4352], dec_final[4352];
    assemble_result *r;
    char *config_json;
    char config_sha[65];
    int lock_out, lock_state;      /* OUT/.lock and WORK/state/assemble/.lock */
    sbuf attr_summary;             /* attr_sets_check's JSON array, for the manifest */
    struct stat *file_st;          /* each document file as the scan found it, for run.json */
    int attr_partial;              /* some set lacks files (--allow-partial) */
    const char *phase;             /* progress: the phase's name, bytes done of total */
    uint64_t phase_done, phase_total;
    /* the text of the last document select read to cut it (cut_text_id) */
    char *cut_text;
    size_t cut_len;
    uint32_t cut_file;
    uint64_t cut_row;
    int cut_have;
} asm_ctx;

static void phase_start(asm_ctx *c, const char *what, uint64_t total)
{
    c->phase = what;
    c->phase_done = 0;
    c->phase_total = total;
    if (c->o->progress) c->o->progress(c->o->progress_arg, 0, total, what);
}

static void phase_add(asm_ctx *c, uint64_t bytes)
{
    c->phase_done += bytes;
    if (c->o->progress) c->o->progress(c->o->progress_arg, c->phase_done, c->phase_total, c->phase);
}

/* ---- helpers ---------------------------------------------------------------- */

static int set_index(const char *const *sets, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(sets[i], name)) return i;
    return -1;
}

/* Hash of an attribute value for grouping; 0 when absent or null. */
static uint64_t value_hash(const cJSON *v, uint64_t seed)
{
    uint64_t h = 0;
    if (cJSON_IsString(v)) h = xxh64(v->valuestring, strlen(v->valuestring), seed);
    else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        h = xxh64(&d, sizeof d, seed ^ 0x9e3779b97f4a7c15ULL);
    } else if (cJSON_IsBool(v)) h = xxh64(cJSON_IsTrue(v) ? "t" : "f", 1, seed);
    return h ? h : (v && !cJSON_IsNull(v) ? 1 : 0);
}

/* The bytes s[v0, v1) of the first member named key of the object s[o0, o1):
 * 1; 0 when there is none; -1 on malformed JSON (*at the offending byte,
 * *what what was expected). */
static int raw_member_span(const char *s, size_t o0, size_t o1, const char *key, size_t *v0, size_t *v1,
                           sbuf *tmp, size_t *at, const char **what)
{
    size_t pos = o0, kl = strlen(key);
    int first = 1, k;
    *what = NULL;
    while ((k = json_object_next(s, o1, &pos, &first, tmp, v0, v1, what)) == 1)
        if (tmp->len == kl && !memcmp(tmp->data, key, kl)) return 1;
    *at = pos;
    return k < 0 ? -1 : 0;
}

/* Whether the JSON integer s[0, n) (an optional '-', then digits) is the
 * double d exactly: glibc prints a double's exact decimal value with %.0f. */
static int int_text_is_double(const char *s, size_t n, double d)
{
    char buf[400];
    int k = snprintf(buf, sizeof buf, "%.0f", d);
    return k > 0 && (size_t)k < sizeof buf && (size_t)k == n && !memcmp(buf, s, n);
}

/* corpora.h: value_hash of dedup's exact_group or cluster_id into *out, from the bytes
 * of its attribute line where cJSON loses what tells two values apart: an
 * integer that a double cannot hold exactly (cJSON reads 2^53 and 2^53 + 1,
 * or two 64-bit cluster hashes, as one number: two clusters taken for one, a
 * document dropped as the other's near duplicate) is hashed as written, and
 * a string is hashed whole (cJSON's ends at a \u0000). Every other value
 * hashes as value_hash does, so an exact value groups with itself however
 * it is written (1e17, 100000000000000000 and 100000000000000000.0 are one
 * group, as Python's == has them) and ordinary ids group as before. A line
 * that is not strict JSON (cJSON took it: a leading zero, a raw tab in a
 * string) is an error naming the file and line, as audit --export says:
 * its values could not be told apart the same way. */
int corpora_dedup_value_hash(const cJSON *set, const char *raw, size_t rawlen, const char *path,
                             uint64_t lineno, const char *key, uint64_t seed, struct sbuf *tmp, uint64_t *out,
                             blalm_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(set, key);
    *out = value_hash(v, seed);
    if (!raw || !(cJSON_IsNumber(v) || cJSON_IsString(v))) return 0;
    size_t d0, d1, v0, v1, at = 0;
    const char *what = NULL;
    int k = raw_member_span(raw, 0, rawlen, "dedup", &d0, &d1, tmp, &at, &what);
    if (k == 1 && raw[d0] == '{') k = raw_member_span(raw, d0, d1, key, &v0, &v1, tmp, &at, &what);
    else if (k == 1) k = 0;
    if (k == 1 && raw[v0] == '"') {
        size_t pos = v0;
        sb_reset(tmp);
        if (json_decode_string(raw, v1, &pos, tmp, &what) < 0) k = -1, at = pos;
        else {
            uint64_t h = xxh64(tmp->data ? tmp->data : "", tmp->len, seed);
            *out = h ? h : 1;
            return 0;
        }
    }
    if (k < 0)
        return err_set(e, "%s:%llu: column %zu: expected %s (the dedup set's line is not strict JSON, so its %s "
                       "cannot be read exactly)", path ? path : "dedup attributes", (unsigned long long)lineno,
                       at + 1, what ? what : "JSON", key);
    if (k == 0) return 0;
    for (size_t i = v0; i < v1; i++)
        if (!((raw[i] >= '0' && raw[i] <= '9') || (i == v0 && raw[i] == '-'))) return 0;   /* not an integer */
    if (int_text_is_double(raw + v0, v1 - v0, v->valuedouble)) return 0;
    uint64_t h = xxh64(raw + v0, v1 - v0, seed ^ 0x5bd1e9955bd1e995ULL);
    *out = h ? h : 1;
    return 0;
}

static double value_num(const cJSON *v, int *ok)
{
    *ok = 1;
    if (cJSON_IsNumber(v)) return v->valuedouble;
    if (cJSON_IsBool(v)) return cJSON_IsTrue(v) ? 1 : 0;
    *ok = 0;
    return 0;
}

/* Which sets exist for a document file: fills paths/names, returns count. */
static int sets_for_file(const asm_ctx *c, const doc_file *f, char paths[][4352],
                         const char **names)
{
    int n = 0;
    for (int i = 0; i < schema_nsets(c->schema); i++) {
        attr_path_for(&c->w, schema_set(c->schema, i), f->rel, paths[n], 4352);
        if (file_exists(paths[n])) names[n++] = schema_set(c->schema, i);
    }
    return n;
}

/* ---- pass 1: scan ---------------------------------------------------------- */

static uint64_t id_hash(const blalm_doc *d)
{
    uint64_t h = xxh64(d->id, d->id_len, 0x1d1d1d1dULL);
    return h ? h : 1;
}

static uint64_t text_hash(const blalm_doc *d) { return xxh64(d->text, d->text_len, 0x7e7e7e7eULL); }

/* The text as one in both splits is told: without whitespace at its ends
 * (utf8_strip), so "A" and "A\n", which hold the same words and look alike
 * between the files' blank lines, are one text, as verify takes them. */
static uint64_t text_id_hash(const blalm_doc *d)
{
    size_t a, n;
    utf8_strip(d->text, d->text_len, &a, &n);
    return xxh64(d->text + a, n, 0x7e7e7e7eULL);
}

/* The id and text of a document in one hash: the write pass reads each
 * document file again and must find the documents the scan decided on (a
 * file replaced or rewritten in between would put other words in the
 * corpora than the budget counted). */
static uint64_t doc_check(uint64_t idh, uint64_t texth)
{
    uint64_t v[2] = {idh, texth};
    return xxh64(v, sizeof v, 0xc4ec4ec4ULL);
}

static int scan_file(asm_ctx *c, uint32_t fi, blalm_err *e)
{
    const corpora_config *cfg = c->cfg;
    const doc_file *f = &c->files[fi];
    char (*paths)[4352] = malloc(sizeof(*paths) * (size_t)(schema_nsets(c->schema) + 1));
    const char *names[256];
    if (!paths) return err_set(e, "out of memory");
    int n = sets_for_file(c, f, paths, names);
    const char *pp[256];
    for (int i = 0; i < n; i++) pp[i] = paths[i];
    doc_opts dopts = {.text_field = cfg->text_field, .id_field = cfg->id_field,
                      .default_source = f->source, .id_stem = f->id_stem, .text_only = 1};
    attr_join *j = attrj_open(f->path, &dopts, pp, names, n, e);
    free(paths);
    if (!j) return -1;
    sbuf rawtmp;   /* dedup values read from their line's bytes */
    sb_init(&rawtmp);
    int rank_idx[CORPORA_MAX_RANK], dedup_idx = set_index(names, n, "dedup");
    for (int k = 0; k < cfg->nranking; k++) rank_idx[k] = set_index(names, n, cfg->ranking[k].set);
    uint64_t fseed = xxh64(f->rel, strlen(f->rel), cfg->seed);
    cJSON *sets[256];
    blalm_doc d;
    int rc;
    while ((rc = attrj_next(j, &d, sets, e)) == 1) {
        uint64_t words = words_in(d.text, d.text_len);
        c->r->pool_docs++;
        c->r->pool_bytes += d.text_len;
        c->r->pool_words += words;
        int32_t excluded = RULE_ELIGIBLE;
        if (cfg->nrules) {
            cJSON *all = cJSON_CreateObject();
            for (int i = 0; i < n; i++) cJSON_AddItemReferenceToObject(all, names[i], sets[i]);
            for (int i = 0; i < cfg->nrules && excluded == RULE_ELIGIBLE; i++) {
                int v = rule_eval(c->rules[i], all, e);
                if (v < 0) {
                    err_prefix(e, "%s: row %llu (id \"%.200s\"): rules[%d]", f->path,
                               (unsigned long long)d.row, d.id, i);
                    cJSON_Delete(all);
                    attrj_close(j);
                    sb_free(&rawtmp);
                    return -1;
                }
                if (v == 0) excluded = i;
            }
            cJSON_Delete(all);
        }
        if (excluded == RULE_ELIGIBLE && words == 0) excluded = RULE_NO_WORDS;
        if (excluded != RULE_ELIGIBLE) {
            if (excluded >= 0) c->rule_hits[excluded]++;
            else c->no_words++;
            fate ft;
            memset(&ft, 0, sizeof ft);
            ft.file = fi;
            ft.row = d.row;
            ft.rule = excluded;
            ft.words = words;
            ft.check = doc_check(id_hash(&d), text_hash(&d));
            for (int k = 0; k < CORPORA_MAX_RANK; k++) ft.key[k] = INFINITY;
            if (xs_add(c->fates, &ft, e) < 0) { attrj_close(j); sb_free(&rawtmp); return -1; }
        } else {
            cand cd;
            memset(&cd, 0, sizeof cd);
            for (int k = 0; k < CORPORA_MAX_RANK; k++) cd.key[k] = INFINITY;
            for (int k = 0; k < cfg->nranking; k++) {
                if (rank_idx[k] < 0) continue;
                int ok;
                const cJSON *rv = cJSON_GetObjectItemCaseSensitive(sets[rank_idx[k]], cfg->ranking[k].key);
                double v = value_num(rv, &ok);
                if (ok && isfinite(v)) cd.key[k] = cfg->ranking[k].desc ? -v : v;
                else if (rv && !cJSON_IsNull(rv) && !ok) {
                    /* a string (an array, an object) has no place in a numeric
                     * order: ranked last, it would pass unnoticed, as a rule
                     * comparing it with a number would not */
                    size_t rawlen = 0;
                    const char *apath = NULL;
                    uint64_t lineno = 0;
                    attrj_raw(j, rank_idx[k], &rawlen, &apath, &lineno);
                    char *txt = json_print(rv, 0);
                    err_set(e, "%s:%llu: ranking[%d] \"%s.%s %s\": %s.%s is not a number but %s %.120s%s "
                               "(document %s row %llu, id \"%.200s\"); rank by a numeric key",
                            apath ? apath : "?", (unsigned long long)lineno, k, cfg->ranking[k].set,
                            cfg->ranking[k].key, cfg->ranking[k].desc ? "desc" : "asc", cfg->ranking[k].set,
                            cfg->ranking[k].key,
                            cJSON_IsString(rv) ? "a string" : cJSON_IsArray(rv) ? "an array" : "an object",
                            txt ? txt : "", txt && strlen(txt) > 120 ? "..." : "", f->path,
                            (unsigned long long)d.row, d.id);
                    free(txt);
                    attrj_close(j);
                    sb_free(&rawtmp);
                    return -1;
                }
            }
            uint64_t row = d.row;
            cd.tie = xxh64(&row, sizeof row, fseed);
            cd.idh = id_hash(&d);
            cd.texth = text_hash(&d);
            cd.textid = text_id_hash(&d);
            cd.check = doc_check(cd.idh, cd.texth);
            if (dedup_idx >= 0) {
                size_t rawlen = 0;
                const char *apath = NULL;
                uint64_t lineno = 0;
                const char *raw = attrj_raw(j, dedup_idx, &rawlen, &apath, &lineno);
                if (corpora_dedup_value_hash(sets[dedup_idx], raw, rawlen, apath, lineno, "exact_group",
                                             0xe0e0e0e0ULL, &rawtmp, &cd.exact, e) < 0 ||
                    corpora_dedup_value_hash(sets[dedup_idx], raw, rawlen, apath, lineno, "cluster_id",
                                             0xc1c1c1c1ULL, &rawtmp, &cd.cluster, e) < 0) {
                    attrj_close(j);
                    sb_free(&rawtmp);
                    return -1;
                }
            }
            cd.row = d.row;
            cd.words = words;
            cd.file = fi;
            cd.src = c->file_src[fi];
            c->r->eligible_docs++;
            c->r->eligible_words += words;
            if (xs_add(c->cands, &cd, e) < 0) { attrj_close(j); sb_free(&rawtmp); return -1; }
        }
        phase_add(c, d.text_len);
    }
    attrj_close(j);
    sb_free(&rawtmp);
    return rc < 0 ? -1 : 0;
}

/* ---- pass 2: select ---------------------------------------------------------- */

static int is_taken(const fate *ft, int k)
{
    return ft->code[k] == F_TRAIN || ft->code[k] == F_DEV || ft->code[k] == F_CUT;
}


/* The taken-map key of a text in one split (0 train, 1 dev). */
static uint64_t text_key(uint64_t texth, int split)
{
    uint64_t k = xxh64(&texth, sizeof texth, split ? 0xde7de7ULL : 0x7a17a1ULL);
    return k ? k : 1;
}

/* 1 and *ref when key was taken by an earlier document of the corpus. */
static int taken_get(const u64map *m, uint64_t key, uint64_t *ref)
{
    const uint64_t *v = u64map_get(m, key);
    if (v) *ref = *v;
    return v != NULL;
}
static int changed_err(blalm_err *e, const char *path, uint64_t row, const char *what);

/* The text identity (text_id_hash) of the first `words` words of a document,
 * as the write pass will write it cut: select holds only hashes, so the
 * document is read again from its file (once: a subset cutting the same
 * document uses the copy). At most one document per corpus is cut. */
static int cut_text_id(asm_ctx *c, const cand *cd, uint64_t words, uint64_t *out, blalm_err *e)
{
    if (!c->cut_have || c->cut_file != cd->file || c->cut_row != cd->row) {
        const doc_file *f = &c->files[cd->file];
        doc_opts dopts = {.text_field = c->cfg->text_field, .id_field = c->cfg->id_field,
                          .default_source = f->source, .id_stem = f->id_stem, .text_only = 1};
        doc_reader *dr = doc_open(f->path, &dopts, e);
        if (!dr) {
            char msg[BLALM_ERR_MAX];
            snprintf(msg, sizeof msg, "%s", e->msg);
            return err_set(e, "%s (the document file changed while assembling; run assemble again)", msg);
        }
        blalm_doc d;
        int rc;
        while ((rc = doc_next(dr, &d, e)) == 1 && d.row < cd->row) {}
        if (rc == 1 && (d.row != cd->row || doc_check(id_hash(&d), text_hash(&d)) != cd->check))
            rc = changed_err(e, f->path, cd->row, "the document is not what the scan read");
        else if (rc == 0)
            rc = changed_err(e, f->path, cd->row, "the file now ends before this row, which the scan read");
        if (rc == 1) {
            char *t = malloc(d.text_len ? d.text_len : 1);
            if (!t) rc = err_set(e, "out of memory");
            else {
                memcpy(t, d.text, d.text_len);
                free(c->cut_text);
                c->cut_text = t;
                c->cut_len = d.text_len;
                c->cut_file = cd->file;
                c->cut_row = cd->row;
                c->cut_have = 1;
            }
        }
        doc_close(dr);
        if (rc != 1) return -1;
    }
    size_t len = prefix_bytes_for_words(c->cut_text, c->cut_len, words), a, n;
    utf8_strip(c->cut_text, len, &a, &n);
    *out = xxh64(c->cut_text + a, n, 0x7e7e7e7eULL);
    return 0;
}

/* words of a train document taken from the corpus' budget and its source's
 * quota (UINT64_MAX: none) */
static void take_words(cstate *s, uint32_t src, uint64_t words)
{
    s->rem -= words;
    if (s->src_rem[src] != UINT64_MAX) s->src_rem[src] -= words;
}

static int decide(asm_ctx *c, int k, const cand *cd, fate *ft, blalm_err *e)
{
    cstate *s = &c->cs[k];
    const corpus_spec *sp = s->spec;
    int dev = 0;
    /* the words of the document the corpus would hold */
    uint64_t words = cd->words;
    int parent_cut = 0;
    if (sp->parent >= 0) {
        if (!is_taken(ft, sp->parent)) { ft->code[k] = F_NOT_IN_PARENT; return 0; }
        dev = ft->code[sp->parent] == F_DEV;
        /* A document its parent cut is in the parent only up to the cut: the
         * subset holds at most those words (its own cut, or the parent's),
         * never the whole text, which would put words in the subset that no
         * file of its parent has. */
        if (ft->code[sp->parent] == F_CUT) {
            words = ft->rem[sp->parent];
            parent_cut = 1;
        }
    } else if (s->dev_rem > 0) {
        /* a hash independent of the tie-break order, so dev documents are not
         * simply the first of each run of equal ranks */
        uint64_t h = xxh64(&cd->tie, sizeof cd->tie, 0xdefdefULL);
        double u = (double)(h >> 11) * (1.0 / 9007199254740992.0);
        dev = u < s->dev_p;
    }
    uint64_t ref = docref_pack(cd->file, cd->row) + 1, other;
    /* One document per id, and the same text never in both splits, whatever
     * the config and whether a dedup set exists (verify refuses either); with
     * dedup on, one per exact group, cluster and text. */
    int to_dev = dev && cd->words <= s->dev_rem, code = 0;
    if (taken_get(&s->taken, cd->idh, &other)) code = F_DUP_ID;
    else if (c->cfg->dedup && cd->exact && taken_get(&s->taken, cd->exact, &other)) code = F_DUP_EXACT;
    else if (c->cfg->dedup && cd->cluster && taken_get(&s->taken, cd->cluster, &other)) code = F_DUP_CLUSTER;
    else if (taken_get(&s->taken, text_key(cd->textid, !to_dev), &other) ||
             (c->cfg->dedup && taken_get(&s->taken, text_key(cd->textid, to_dev), &other)))
        code = F_DUP_EXACT;
    if (code) {
        ft->code[k] = (uint8_t)code;
        if (!ft->dup_of) ft->dup_of = other;
        s->dups++;
        return 0;
    }
    int accepted = 0;
    if (dev) {
        s->dev_drawn++;
        if (cd->words > s->dev_rem) {
            s->dev_too_large++;
            if (!s->dev_min_large || cd->words < s->dev_min_large) s->dev_min_large = cd->words;
        }
        if (cd->words <= s->dev_rem) {
            s->dev_rem -= cd->words;
            ft->code[k] = F_DEV;
            accepted = 1;
        } else if (sp->parent >= 0) {
            /* a parent's dev document never enters a subset's training split */
            ft->code[k] = F_DEV_TOO_LARGE;
            ft->rem[k] = (uint32_t)s->dev_rem;
            return 0;
        }
    }
    /* a cut document is in train only up to the cut: that text, as written,
     * must not be a dev text of the corpus (verify refuses the same text in
     * both splits), and a dev document after it must not be its text */
    uint64_t cutid = 0;
    int cut = 0;
    if (!accepted) {
        uint64_t cap = s->rem;
        if (s->src_rem[cd->src] < cap) cap = s->src_rem[cd->src];
        if (s->rem == 0) {
            ft->code[k] = F_BUDGET_FULL;
            s->full++;
        } else if (cap == 0) {
            ft->code[k] = F_QUOTA;
            s->quota++;
        } else if (words <= cap && parent_cut) {
            /* the parent's cut: its text was checked against the parent's dev
             * texts, which hold this corpus's */
            if (cut_text_id(c, cd, words, &cutid, e) < 0) return -1;
            cut = 1;
            ft->code[k] = F_CUT;
            ft->rem[k] = (uint32_t)words;
            take_words(s, cd->src, words);
            accepted = 1;
        } else if (words <= cap) {
            ft->code[k] = F_TRAIN;
            take_words(s, cd->src, words);
            accepted = 1;
        } else if (c->cfg->cut_last && cap == s->rem) {
            if (cut_text_id(c, cd, cap, &cutid, e) < 0) return -1;
            if (taken_get(&s->taken, text_key(cutid, 1), &other)) {
                /* cut, it would be the text of a dev document: it does not fit */
                ft->code[k] = F_CUT_IS_DEV;
                ft->rem[k] = (uint32_t)cap;
                s->too_large++;
                return 0;
            }
            if (c->cfg->dedup && taken_get(&s->taken, text_key(cutid, 0), &other)) {
                /* cut, it would be a text training already holds: with dedup
                 * on, one document per text */
                ft->code[k] = F_CUT_IS_TAKEN;
                ft->rem[k] = (uint32_t)cap;
                s->too_large++;
                return 0;
            }
            cut = 1;
            ft->code[k] = F_CUT;
            ft->rem[k] = (uint32_t)cap;
            take_words(s, cd->src, cap);
            accepted = 1;
        } else {
            ft->code[k] = cap < s->rem ? F_QUOTA : F_TOO_LARGE;
            ft->rem[k] = (uint32_t)cap;
            if (cap < s->rem) s->quota++;
            else s->too_large++;
        }
    }
    if (accepted) {
        *u64map_put(&s->taken, cd->idh, ref, NULL) = ref;
        *u64map_put(&s->taken, text_key(cd->textid, ft->code[k] == F_DEV), ref, NULL) = ref;
        if (c->cfg->dedup && cd->exact) *u64map_put(&s->taken, cd->exact, ref, NULL) = ref;
        if (c->cfg->dedup && cd->cluster) *u64map_put(&s->taken, cd->cluster, ref, NULL) = ref;
        if (cut) *u64map_put(&s->taken, text_key(cutid, 0), ref, NULL) = ref;
    }
    return 0;
}

static int select_pass(asm_ctx *c, blalm_err *e)
{
    const corpora_config *cfg = c->cfg;
    for (int k = 0; k < cfg->ncorpora; k++) {
        cstate *s = &c->cs[k];
        s->spec = &cfg->corpora[k];
        s->rem = s->spec->budget;
        s->dev_rem = s->spec->dev_words;
        /* dev documents are drawn at twice the dev share, so the dev split
         * fills from the same (high-ranked) part of the pool as training */
        s->dev_p = s->spec->budget ? 2.0 * (double)s->spec->dev_words / (double)s->spec->budget : 1;
        if (s->dev_p > 1) s->dev_p = 1;
        s->taken = (u64map){0};
        s->src_rem = malloc(sizeof *s->src_rem * (size_t)(c->nsrc ? c->nsrc : 1));
        if (!s->src_rem) return err_set(e, "out of memory");
        double wsum = 0;
        for (int q = 0; q < cfg->nsources; q++) wsum += cfg->sources[q].weight;
        for (int si = 0; si < c->nsrc; si++) {
            uint64_t cap = UINT64_MAX;
            const source_quota *q = NULL;
            for (int qi = 0; qi < cfg->nsources; qi++)
                if (!strcmp(cfg->sources[qi].name, c->srcs[si])) q = &cfg->sources[qi];
            if (wsum > 0) cap = q ? (uint64_t)floor((double)s->spec->budget * q->weight / wsum) : 0;
            if (q && q->max_words && q->max_words < cap) cap = q->max_words;
            s->src_rem[si] = cap;
        }
    }
    if (xs_finish(c->cands, e) < 0) return -1;
    cand cd;
    int rc;
    uint64_t rank = 0;
    while ((rc = xs_next(c->cands, &cd, e)) == 1) {
        fate ft;
        memset(&ft, 0, sizeof ft);
        ft.file = cd.file;
        ft.row = cd.row;
        ft.rule = RULE_ELIGIBLE;
        ft.rank = ++rank;
        ft.words = cd.words;
        ft.check = cd.check;
        memcpy(ft.key, cd.key, sizeof ft.key);
        for (int k = 0; k < cfg->ncorpora; k++)
            if (decide(c, k, &cd, &ft, e) < 0) return -1;
        if (xs_add(c->fates, &ft, e) < 0) return -1;
    }
    return rc < 0 ? -1 : 0;
}

/* A pool too small for both splits must not yield a corpus whose dev split
 * is as large as its training split (dev_words above the pool once gave 0
 * training words and exit 0): refuse, saying what each split got. */
static int check_splits(const asm_ctx *c, blalm_err *e)
{
    for (int k = 0; k < c->cfg->ncorpora; k++) {
        const cstate *s = &c->cs[k];
        const corpus_spec *sp = s->spec;
        uint64_t train = sp->budget - s->rem, dev = sp->dev_words - s->dev_rem;
        int pool_short = s->rem > 0 && s->too_large == 0 && s->full == 0;
        if (pool_short && dev > 0 && dev >= train)
            return err_set(e, "corpus '%s': the eligible pool ran out before the training budget was filled, and "
                              "the dev split took %llu words (dev_words %llu) while training got only %llu of its "
                              "%llu budget words; lower dev_words (or set it to 0), or widen the pool",
                           sp->name, (unsigned long long)dev, (unsigned long long)sp->dev_words,
                           (unsigned long long)train, (unsigned long long)sp->budget);
    }
    return 0;
}

/* ---- pass 3: write ------------------------------------------------------------ */

static const char *split_name(int split) { return split ? "dev" : "train"; }

static int out_open(asm_ctx *c, int k, blalm_err *e)
{
    cout *co = &c->co[k];
    snprintf(co->final, sizeof co->final, "%s/%s", c->o->out, c->cfg->corpora[k].name);
    snprintf(co->tmp, sizeof co->tmp, "%s/.%s.tmp.%ld", c->o->out, c->cfg->corpora[k].name,
             (long)getpid());
    rm_tree(co->tmp);
    char p[4400];
    snprintf(p, sizeof p, "%s/train", co->tmp);
    if (mkdir_p(p, e) < 0) return -1;
    snprintf(p, sizeof p, "%s/dev", co->tmp);
    if (mkdir_p(p, e) < 0) return -1;
    co->files = calloc((size_t)(2 * (c->nsrc ? c->nsrc : 1)), sizeof *co->files);
    if (!co->files) return err_set(e, "out of memory");
    snprintf(p, sizeof p, "%s/documents.jsonl.zst", co->tmp);
    co->index = zw_open(p, 3, e);
    return co->index ? 0 : -1;
}

static void file_rel(const asm_ctx *c, int split, uint32_t src, char *out, size_t cap)
{
    char s[256];
    sanitize_source(c->srcs[src], s, sizeof s);
    snprintf(out, cap, "%s/%s.%s", split_name(split), s, split_name(split));
}

static int out_write(asm_ctx *c, int k, int split, uint32_t src, const blalm_doc *d,
                     size_t len, uint64_t words, const fate *ft, sbuf *line, blalm_err *e)
{
    cout *co = &c->co[k];
    outfile *of = &co->files[split * c->nsrc + (int)src];
    char rel[512];
    file_rel(c, split, src, rel, sizeof rel);
    if (!of->used) {
        char p[4900];
        snprintf(p, sizeof p, "%s/%s", co->tmp, rel);
        of->f = fopen(p, "wb");
        if (!of->f) return err_errno(e, "%s", p);
        of->sha = sha256_begin();
        of->used = 1;
    }
    if (of->bytes) {
        if (fwrite("\n\n", 1, 2, of->f) != 2) return err_errno(e, "%s/%s", co->tmp, rel);
        sha256_update(of->sha, "\n\n", 2);
        of->bytes += 2;
    }
    uint64_t offset = of->bytes;
    if (len && fwrite(d->text, 1, len, of->f) != len) return err_errno(e, "%s/%s", co->tmp, rel);
    sha256_update(of->sha, d->text, len);
    of->bytes += len;
    of->words += words;
    of->docs++;
    /* documents.jsonl.zst: where the document is, and why it ranked there */
    const doc_file *f = &c->files[ft->file];
    sb_reset(line);
    int first = 1;
    sb_addc(line, '{');
    sb_json_key(line, "key", &first);
    sb_adds(line, "{\"source\":");
    sb_json_str(line, f->source, strlen(f->source));
    sb_adds(line, ",\"path\":");
    sb_json_str(line, f->rel, strlen(f->rel));
    sb_adds(line, ",\"row\":");
    sb_json_uint(line, ft->row);
    sb_addc(line, '}');
    sb_json_key(line, "id", &first);
    sb_json_str(line, d->id, d->id_len);
    sb_json_key(line, "split", &first);
    sb_adds(line, split ? "\"dev\"" : "\"train\"");
    sb_json_key(line, "file", &first);
    sb_json_str(line, rel, strlen(rel));
    sb_json_key(line, "offset", &first);
    sb_json_uint(line, offset);
    sb_json_key(line, "length", &first);
    sb_json_uint(line, len);
    sb_json_key(line, "words", &first);
    sb_json_uint(line, words);
    if (len < d->text_len) {
        sb_json_key(line, "cut_from_words", &first);
        sb_json_uint(line, ft->words);
    }
    sb_json_key(line, "rank", &first);
    sb_json_uint(line, ft->rank);
    sb_json_key(line, "scores", &first);
    sb_addc(line, '{');
    int f2 = 1;
    for (int i = 0; i < c->cfg->nranking; i++) {
        char name[140];
        snprintf(name, sizeof name, "%s.%s", c->cfg->ranking[i].set, c->cfg->ranking[i].key);
        sb_json_key(line, name, &f2);
        double v = ft->key[i];
        if (isinf(v)) sb_adds(line, "null");
        else sb_json_num(line, c->cfg->ranking[i].desc ? -v : v);
    }
    sb_adds(line, "}}");
    co->index_docs++;
    return zw_line(co->index, line->data, line->len, e);
}

/* The fate of a document as people read it, per corpus. */
static void fate_text(const asm_ctx *c, const fate *ft, int k, sbuf *b)
{
    const corpus_spec *sp = &c->cfg->corpora[k];
    switch (ft->code[k]) {
    case F_TRAIN: sb_adds(b, "train"); break;
    case F_DEV: sb_adds(b, "dev"); break;
    case F_CUT:
        if (sp->parent >= 0 && ft->code[sp->parent] == F_CUT && ft->rem[k] == ft->rem[sp->parent])
            sb_printf(b, "train (cut to %u of %llu words, as %s holds it)", ft->rem[k],
                      (unsigned long long)ft->words, c->cfg->corpora[sp->parent].name);
        else
            sb_printf(b, "train (cut to %u of %llu words to fill the budget)", ft->rem[k],
                      (unsigned long long)ft->words);
        break;
    case F_DUP_ID: case F_DUP_EXACT: case F_DUP_CLUSTER: {
        const char *what = ft->code[k] == F_DUP_ID ? "same id as"
                         : ft->code[k] == F_DUP_EXACT ? "exact duplicate of"
                                                      : "near-duplicate (same cluster) of";
        uint64_t ref = ft->dup_of - 1;
        const doc_file *f = &c->files[docref_file(ref)];
        sb_printf(b, "duplicate: %s %s#%llu, which ranked higher (this document's rank %llu)", what, f->rel,
                  (unsigned long long)docref_row(ref), (unsigned long long)ft->rank);
        break;
    }
    case F_BUDGET_FULL:
        sb_printf(b, "budget full (rank %llu; %llu words; budget %llu reached)",
                  (unsigned long long)ft->rank, (unsigned long long)ft->words,
                  (unsigned long long)sp->budget);
        break;
    case F_TOO_LARGE:
        sb_printf(b, "budget full (rank %llu; %llu words > %u words left)",
                  (unsigned long long)ft->rank, (unsigned long long)ft->words, ft->rem[k]);
        break;
    case F_CUT_IS_DEV:
        sb_printf(b, "budget full (rank %llu; %llu words > %u words left, and cut to them it would be the text "
                     "of a dev document)",
                  (unsigned long long)ft->rank, (unsigned long long)ft->words, ft->rem[k]);
        break;
    case F_CUT_IS_TAKEN:
        sb_printf(b, "budget full (rank %llu; %llu words > %u words left, and cut to them it would be the text "
                     "of a training document already taken)",
                  (unsigned long long)ft->rank, (unsigned long long)ft->words, ft->rem[k]);
        break;
    case F_DEV_TOO_LARGE:
        sb_printf(b, "dev budget full (rank %llu; %llu words > %u dev words left)",
                  (unsigned long long)ft->rank, (unsigned long long)ft->words, ft->rem[k]);
        break;
    case F_QUOTA:
        sb_printf(b, "source quota full (rank %llu; %llu words > %u words left for source %s)",
                  (unsigned long long)ft->rank, (unsigned long long)ft->words, ft->rem[k],
                  c->srcs[c->file_src[ft->file]]);
        break;
    case F_NOT_IN_PARENT:
        sb_printf(b, "not in %s (subset)", c->cfg->corpora[sp->parent].name);
        break;
    default:
        if (ft->rule >= 0) sb_printf(b, "excluded by rules[%d]: %s", ft->rule, c->cfg->rules[ft->rule]);
        else sb_adds(b, "excluded: no words");
    }
}

static void decision_line(const asm_ctx *c, const blalm_doc *d, const fate *ft, sbuf *b, sbuf *tmp)
{
    sb_reset(b);
    sb_adds(b, "{\"id\":");
    sb_json_str(b, d->id, d->id_len);
    sb_adds(b, ",\"assemble\":{\"words\":");
    sb_json_uint(b, ft->words);
    sb_adds(b, ",\"eligible\":");
    sb_json_bool(b, ft->rule == RULE_ELIGIBLE);
    sb_adds(b, ",\"excluded_by\":");
    if (ft->rule >= 0) {
        sb_adds(b, "{\"index\":");
        sb_json_int(b, ft->rule);
        sb_adds(b, ",\"rule\":");
        sb_json_str(b, c->cfg->rules[ft->rule], strlen(c->cfg->rules[ft->rule]));
        sb_addc(b, '}');
    } else if (ft->rule == RULE_NO_WORDS) {
        sb_adds(b, "{\"index\":null,\"rule\":\"no words\"}");
    } else {
        sb_adds(b, "null");
    }
    sb_adds(b, ",\"rank\":");
    if (ft->rank) sb_json_uint(b, ft->rank);
    else sb_adds(b, "null");
    sb_adds(b, ",\"corpora\":{");
    int first = 1;
    for (int k = 0; k < c->cfg->ncorpora; k++) {
        sb_json_key(b, c->cfg->corpora[k].name, &first);
        sb_reset(tmp);
        fate_text(c, ft, k, tmp);
        sb_json_str(b, tmp->data, tmp->len);
    }
    sb_adds(b, "}}}");
}

/* The error when the write pass does not find the documents the scan read. */
static int changed_err(blalm_err *e, const char *path, uint64_t row, const char *what)
{
    return err_set(e, "%s: document file changed while assembling (row %llu: %s); run assemble again",
                   path, (unsigned long long)row, what);
}

/* The next fate, from *pend when one is held back. */
static int fate_next(asm_ctx *c, fate *pend, int *have, fate *ft, blalm_err *e)
{
    if (*have) {
        *ft = *pend;
        *have = 0;
        return 1;
    }
    return xs_next(c->fates, ft, e);
}

static int write_pass(asm_ctx *c, blalm_err *e)
{
    const corpora_config *cfg = c->cfg;
    if (xs_finish(c->fates, e) < 0) return -1;
    sbuf line, dl, tmp;
    sb_init(&line); sb_init(&dl); sb_init(&tmp);
    int rc = 0;
    long slow_us = c->o->test_slow_write_us;  /* test hook: widens the kill window */
    fate pend;
    int have = 0;
    for (uint32_t fi = 0; fi < c->nfiles && rc == 0; fi++) {
        const doc_file *f = &c->files[fi];
        doc_opts dopts = {.text_field = cfg->text_field, .id_field = cfg->id_field,
                          .default_source = f->source, .id_stem = f->id_stem, .text_only = 1};
        doc_reader *dr = doc_open(f->path, &dopts, e);
        if (!dr) {  /* it opened for the scan */
            char msg[BLALM_ERR_MAX];
            snprintf(msg, sizeof msg, "%s", e->msg);
            rc = err_set(e, "%s (the document file changed while assembling; run assemble again)", msg);
            break;
        }
        char stem[4096], dpath[8500];
        doc_rel_stem(f->rel, stem, sizeof stem);
        snprintf(dpath, sizeof dpath, "%s/%s.jsonl.zst", c->dec_tmp, stem);
        zwriter *dw = NULL;
        if (mkdir_parent(dpath, e) < 0 || !(dw = zw_open(dpath, 3, e))) { doc_close(dr); rc = -1; break; }
        blalm_doc d;
        int dr_rc;
        while ((dr_rc = doc_next(dr, &d, e)) == 1) {
            fate ft;
            int fr = fate_next(c, &pend, &have, &ft, e);
            if (fr < 0) { rc = -1; break; }
            if (fr == 1 && ft.file < fi) {
                /* a row of an earlier file the write pass never met */
                rc = changed_err(e, c->files[ft.file].path, ft.row,
                                 "the file now ends before this row, which the scan read");
                break;
            }
            if (fr == 0 || ft.file != fi || ft.row != d.row) {
                rc = changed_err(e, f->path, d.row, "a document the scan did not read");
                break;
            }
            if (ft.check != doc_check(id_hash(&d), text_hash(&d))) {
                char what[400];
                snprintf(what, sizeof what, "id \"%.200s\" or its text is not what the scan read", d.id);
                rc = changed_err(e, f->path, d.row, what);
                break;
            }
            for (int k = 0; k < cfg->ncorpora && rc == 0; k++) {
                if (!is_taken(&ft, k)) continue;
                int split = ft.code[k] == F_DEV;
                size_t len = d.text_len;
                uint64_t words = ft.words;
                if (ft.code[k] == F_CUT) {
                    len = prefix_bytes_for_words(d.text, d.text_len, ft.rem[k]);
                    words = ft.rem[k];
                }
                rc = out_write(c, k, split, c->file_src[fi], &d, len, words, &ft, &line, e);
                if (slow_us) usleep((useconds_t)slow_us);
            }
            if (rc) break;
            decision_line(c, &d, &ft, &dl, &tmp);
            if (zw_line(dw, dl.data, dl.len, e) < 0) { rc = -1; break; }
            phase_add(c, d.text_len);
        }
        if (dr_rc < 0) rc = -1;
        doc_close(dr);
        if (rc == 0) {
            /* every row the scan read was met: the next fate is a later file's */
            int fr = fate_next(c, &pend, &have, &pend, e);
            if (fr < 0) rc = -1;
            else if (fr == 1 && pend.file <= fi)
                rc = changed_err(e, c->files[pend.file].path, pend.row,
                                 "the file now ends before this row, which the scan read");
            else have = fr;
        }
        if (rc == 0) rc = zw_commit(dw, e);
        else zw_abort(dw);
    }
    if (rc == 0 && have)  /* cannot be: a fate of no file */
        rc = err_set(e, "assemble: a decision for file %u row %llu, which the write pass did not meet",
                     pend.file, (unsigned long long)pend.row);
    sb_free(&line); sb_free(&dl); sb_free(&tmp);
    return rc;
}

/* ---- manifests and the final swap ---------------------------------------------- */

static int cmp_idx_name(const void *a, const void *b, void *ctx)
{
    char **names = ctx;
    return strcmp(names[*(const int *)a], names[*(const int *)b]);
}

/* Why a corpus with dev_words ended with an empty dev split, into out ("" when
 * it did not): a parent without a dev split, a parent whose dev documents are
 * all larger than the subset's dev_words, documents drawn for dev all larger
 * than dev_words, or none drawn at all. */
static void dev_empty_reason(const asm_ctx *c, int k, uint64_t dev_words, char *out, size_t cap)
{
    const cstate *s = &c->cs[k];
    const corpus_spec *sp = s->spec;
    const corpora_config *cfg = c->cfg;
    *out = 0;
    if (sp->dev_words == 0 || dev_words > 0) return;
    unsigned long long want = (unsigned long long)sp->dev_words;
    unsigned long long drawn = (unsigned long long)s->dev_drawn, big = (unsigned long long)s->dev_too_large;
    unsigned long long least = (unsigned long long)s->dev_min_large;
    const char *parent = sp->parent >= 0 ? cfg->corpora[sp->parent].name : NULL;
    if (corpora_subset_dev_orphan(cfg, k))
        snprintf(out, cap, "dev_words %llu, but its parent %s has no dev split (dev_words 0): a subset's dev "
                           "documents are its parent's, so its dev split is empty", want, parent);
    else if (c->r->eligible_docs == 0)
        return;   /* the note and the warning say the corpus is empty */
    else if (parent && drawn == 0)
        snprintf(out, cap, "dev split empty (dev_words %llu): a subset's dev documents are its parent's, and "
                           "no dev document of its parent %s is among the subset's documents", want, parent);
    else if (parent && big == drawn)
        snprintf(out, cap, "dev split empty (dev_words %llu): a subset's dev documents are its parent's, and "
                           "the %llu dev document%s of its parent %s %s larger than the %llu dev words (the "
                           "smallest has %llu words: dev_words %llu or more takes it)",
                 want, drawn, drawn == 1 ? "" : "s", parent, drawn == 1 ? "is" : "are all", want, least, least);
    else if (drawn == 0)
        snprintf(out, cap, "dev split empty (dev_words %llu): no eligible document was drawn for dev (dev "
                           "documents are drawn at twice the dev share of the budget; the pool is too small)", want);
    else if (big == drawn)
        snprintf(out, cap, "dev split empty (dev_words %llu): the %llu document%s drawn for dev %s larger than "
                           "the %llu dev words (%s to training; the smallest has %llu words: dev_words %llu or "
                           "more takes it)", want, drawn, drawn == 1 ? "" : "s", drawn == 1 ? "is" : "are all", want,
                 drawn == 1 ? "it went" : "they went", least, least);
    else
        snprintf(out, cap, "dev split empty (dev_words %llu): of the %llu documents drawn for dev, %llu %s larger "
                           "than the dev words and the others duplicates", want, drawn, big, big == 1 ? "is" : "are");
}

static int finish_corpus(asm_ctx *c, int k, blalm_err *e)
{
    const corpora_config *cfg = c->cfg;
    const corpus_spec *sp = &cfg->corpora[k];
    cout *co = &c->co[k];
    cstate *s = &c->cs[k];
    corpus_result *cr = &c->r->corpora[k];
    if (zw_commit(co->index, e) < 0) { co->index = NULL; return -1; }
    co->index = NULL;
    char p[4900], idx_sha[65];
    snprintf(p, sizeof p, "%s/documents.jsonl.zst", co->tmp);
    if (sha256_file_hex(p, idx_sha, e) < 0) return -1;
    memcpy(co->idx_sha, idx_sha, sizeof idx_sha);
    int *order = malloc(sizeof *order * (size_t)(c->nsrc ? c->nsrc : 1));
    if (!order) return err_set(e, "out of memory");
    for (int i = 0; i < c->nsrc; i++) order[i] = i;
    qsort_r(order, (size_t)c->nsrc, sizeof *order, cmp_idx_name, c->srcs);
    char shas[2][CORPORA_MAX_SOURCES][65];
    uint64_t tot[2][3] = {{0}};
    for (int split = 0; split < 2; split++)
        for (int i = 0; i < c->nsrc; i++) {
            outfile *of = &co->files[split * c->nsrc + i];
            if (!of->used) continue;
            if (fwrite("\n", 1, 1, of->f) != 1) { free(order); return err_errno(e, "%s", co->tmp); }
            sha256_update(of->sha, "\n", 1);
            of->bytes += 1;
            sha256_end_hex(of->sha, shas[split][i]);
            of->sha = NULL;
            if (fflush(of->f) != 0 || fsync(fileno(of->f)) != 0 || fclose(of->f) != 0) {
                of->f = NULL;
                free(order);
                return err_errno(e, "%s: writing", co->tmp);
            }
            of->f = NULL;
            tot[split][0] += of->words;
            tot[split][1] += of->docs;
            tot[split][2] += of->bytes;
        }
    snprintf(cr->name, sizeof cr->name, "%s", sp->name);
    cr->budget = sp->budget;
    cr->words = tot[0][0];
    cr->docs = tot[0][1];
    cr->dev_budget = sp->dev_words;
    cr->dev_words = tot[1][0];
    cr->dev_docs = tot[1][1];
    /* the pool ran out: no eligible document was refused for want of room,
     * in the budget or in its source's quota */
    cr->pool_short = s->rem > 0 && s->too_large == 0 && s->full == 0 && s->quota == 0;

    sbuf m;
    sb_init(&m);
    sb_adds(&m, "{\n  \"corpus\": ");
    sb_json_str(&m, sp->name, strlen(sp->name));
    sb_adds(&m, ",\n  \"track\": ");
    if (sp->track[0]) sb_json_str(&m, sp->track, strlen(sp->track));
    else sb_adds(&m, "null");
    sb_printf(&m, ",\n  \"budget\": %llu,\n  \"words\": %llu,\n  \"documents\": %llu",
              (unsigned long long)sp->budget, (unsigned long long)cr->words,
              (unsigned long long)cr->docs);
    sb_printf(&m, ",\n  \"bytes\": %llu", (unsigned long long)tot[0][2]);
    sb_printf(&m, ",\n  \"fill\": %.6f", sp->budget ? (double)cr->words / (double)sp->budget : 0.0);
    sb_adds(&m, ",\n  \"budget_filled\": ");
    sb_json_bool(&m, s->rem == 0 || (double)cr->words >= 0.999 * (double)sp->budget);
    sb_adds(&m, ",\n  \"note\": ");
    char note[1600] = "";
    if (s->rem > 0 && c->r->eligible_docs == 0)
        snprintf(note, sizeof note,
                 "empty: no document is eligible (none passed the rules or none has a word; %llu documents in the pool: see "
                 "\"excluded\" in WORK/stats/assemble.json)",
                 (unsigned long long)c->r->pool_docs);
    else if (s->rem > 0) {
        if (cr->pool_short && cr->dev_words)
            snprintf(note, sizeof note,
                     "eligible pool smaller than the budget plus the dev split: took every eligible document "
                     "(%llu of %llu budget words to train, %llu of %llu dev_words to dev; %llu duplicates and "
                     "%llu over a source quota left out)",
                     (unsigned long long)cr->words, (unsigned long long)sp->budget,
                     (unsigned long long)cr->dev_words, (unsigned long long)sp->dev_words,
                     (unsigned long long)s->dups, (unsigned long long)s->quota);
        else if (cr->pool_short)
            snprintf(note, sizeof note,
                     "eligible pool smaller than the budget: took every eligible document "
                     "(%llu of %llu budget words; %llu duplicates and %llu over a source quota left out)",
                     (unsigned long long)cr->words, (unsigned long long)sp->budget,
                     (unsigned long long)s->dups, (unsigned long long)s->quota);
        else if (s->quota == 0)
            snprintf(note, sizeof note,
                     "%llu budget words left: each of the %llu remaining eligible documents is "
                     "larger than that",
                     (unsigned long long)s->rem, (unsigned long long)s->too_large);
        else
            snprintf(note, sizeof note,
                     "%llu budget words left: %llu eligible documents over a source quota left out "
                     "(the source weights split the budget), %llu larger than the words left",
                     (unsigned long long)s->rem, (unsigned long long)s->quota,
                     (unsigned long long)s->too_large);
    }
    /* dev_words but an empty dev split: why (a subset's orphan parent included) */
    dev_empty_reason(c, k, cr->dev_words, cr->dev_empty, sizeof cr->dev_empty);
    if (cr->dev_empty[0]) {
        size_t n = strlen(note);
        snprintf(note + n, sizeof note - n, "%s%s", n ? "; " : "", cr->dev_empty);
    }
    if (note[0]) sb_json_str(&m, note, strlen(note));
    else sb_adds(&m, "null");
    sb_printf(&m, ",\n  \"dev\": {\"budget\": %llu, \"words\": %llu, \"documents\": %llu, \"bytes\": %llu}",
              (unsigned long long)sp->dev_words, (unsigned long long)cr->dev_words,
              (unsigned long long)cr->dev_docs, (unsigned long long)tot[1][2]);
    sb_adds(&m, ",\n  \"subset_of\": ");
    if (sp->parent >= 0) sb_json_str(&m, cfg->corpora[sp->parent].name, strlen(cfg->corpora[sp->parent].name));
    else sb_adds(&m, "null");
    /* the parent this subset was cut from (an earlier corpus: finished
     * before it), for verify to tell it from a parent assembled since */
    sb_adds(&m, ",\n  \"subset_of_index_sha256\": ");
    if (sp->parent >= 0) sb_printf(&m, "\"%s\"", c->co[sp->parent].idx_sha);
    else sb_adds(&m, "null");
    /* what verify holds the corpus to: with dedup on, one document per text
     * in each split (an older blalm wrote no such key, and could repeat one) */
    sb_printf(&m, ",\n  \"one_text_per_split\": %s", cfg->dedup ? "true" : "false");
    sb_adds(&m, ",\n  \"word_definition\": ");
    sb_json_str(&m, CORPORA_WORD_DEFINITION, strlen(CORPORA_WORD_DEFINITION));
    sb_adds(&m, ",\n  \"files\": [");
    int nf = 0;
    for (int split = 0; split < 2; split++)
        for (int oi = 0; oi < c->nsrc; oi++) {
            int i = order[oi];
            outfile *of = &co->files[split * c->nsrc + i];
            if (!of->used) continue;
            char rel[512];
            file_rel(c, split, (uint32_t)i, rel, sizeof rel);
            sb_adds(&m, nf++ ? ",\n    {\"path\": " : "\n    {\"path\": ");
            sb_json_str(&m, rel, strlen(rel));
            sb_printf(&m, ", \"split\": \"%s\", \"source\": ", split_name(split));
            sb_json_str(&m, c->srcs[i], strlen(c->srcs[i]));
            sb_printf(&m, ", \"documents\": %llu, \"words\": %llu, \"bytes\": %llu, \"sha256\": \"%s\"}",
                      (unsigned long long)of->docs, (unsigned long long)of->words,
                      (unsigned long long)of->bytes, shas[split][i]);
        }
    sb_adds(&m, nf ? "\n  ],\n  \"sources\": {" : "],\n  \"sources\": {");
    int ns = 0;
    for (int oi = 0; oi < c->nsrc; oi++) {
        int i = order[oi];
        outfile *t = &co->files[i], *dv = &co->files[c->nsrc + i];
        if (!t->used && !dv->used) continue;
        sb_adds(&m, ns++ ? ",\n    " : "\n    ");
        sb_json_str(&m, c->srcs[i], strlen(c->srcs[i]));
        sb_printf(&m, ": {\"words\": %llu, \"documents\": %llu, \"dev_words\": %llu, \"dev_documents\": %llu}",
                  (unsigned long long)t->words, (unsigned long long)t->docs,
                  (unsigned long long)dv->words, (unsigned long long)dv->docs);
    }
    free(order);
    sb_adds(&m, ns ? "\n  },\n  \"index\": {\"path\": \"documents.jsonl.zst\", " : "},\n  \"index\": {\"path\": \"documents.jsonl.zst\", ");
    sb_printf(&m, "\"documents\": %llu, \"sha256\": \"%s\"}", (unsigned long long)co->index_docs, idx_sha);
    sb_adds(&m, ",\n  \"rules\": [");
    for (int i = 0; i < cfg->nrules; i++) {
        if (i) sb_adds(&m, ", ");
        sb_json_str(&m, cfg->rules[i], strlen(cfg->rules[i]));
    }
    sb_adds(&m, "],\n  \"ranking\": [");
    for (int i = 0; i < cfg->nranking; i++) {
        char buf[160];
        snprintf(buf, sizeof buf, "%s.%s %s", cfg->ranking[i].set, cfg->ranking[i].key,
                 cfg->ranking[i].desc ? "desc" : "asc");
        if (i) sb_adds(&m, ", ");
        sb_json_str(&m, buf, strlen(buf));
    }
    sb_printf(&m, "],\n  \"seed\": %llu", (unsigned long long)cfg->seed);
    sb_printf(&m, ",\n  \"pool\": {\"documents\": %llu, \"words\": %llu, \"eligible_documents\": %llu, "
                  "\"eligible_words\": %llu}",
              (unsigned long long)c->r->pool_docs, (unsigned long long)c->r->pool_words,
              (unsigned long long)c->r->eligible_docs, (unsigned long long)c->r->eligible_words);
    /* what the attributes were: every set, and any exception allowed */
    sb_adds(&m, ",\n  \"attributes\": {\"complete\": ");
    sb_json_bool(&m, !c->attr_partial);
    sb_adds(&m, ", \"exception\": ");
    if (c->attr_partial)
        sb_adds(&m, "\"--allow-partial: some attribute sets lack files for some documents, whose "
                    "documents were judged without them (see sets)\"");
    else
        sb_adds(&m, "null");
    sb_adds(&m, ", \"sets\": ");
    sb_adds(&m, sb_cstr(&c->attr_summary));
    sb_adds(&m, "}");
    sb_adds(&m, ",\n  \"config\": ");
    sb_adds(&m, c->config_json);
    sb_printf(&m, ",\n  \"config_sha256\": \"%s\"", c->config_sha);
    sb_printf(&m, ",\n  \"tool\": \"blalm %s\"\n}\n", BLALM_VERSION);
    snprintf(p, sizeof p, "%s/manifest.json", co->tmp);
    int rc = write_file_atomic(p, m.data, m.len, e);
    sb_free(&m);
    return rc;
}

/* OUT/<corpus> is replaced whole: only a corpus (its manifest.json), an
 * empty folder or a symbolic link may be there, never a file or a folder
 * of other files (they were removed with it). Checked before anything is
 * read, and again with OUT locked just before the corpora move in: a
 * folder made there while assemble ran is refused too, not removed. */
static int check_out_slots(const char *out, const corpora_config *cfg, blalm_err *e)
{
    for (int k = 0; k < cfg->ncorpora; k++) {
        char fin[4400], man[4500];
        struct stat lst;
        snprintf(fin, sizeof fin, "%s/%s", out, cfg->corpora[k].name);
        if (lstat(fin, &lst) != 0 || S_ISLNK(lst.st_mode)) continue;   /* a link goes, its target stays */
        if (!S_ISDIR(lst.st_mode))
            return err_set(e, "%s: a file that is not a corpus is where assemble would write corpus '%s', and "
                              "replacing it would remove it; move it away or choose another --out",
                           fin, cfg->corpora[k].name);
        snprintf(man, sizeof man, "%s/manifest.json", fin);
        struct stat mst;
        if (lstat(man, &mst) == 0 && S_ISREG(mst.st_mode)) continue;
        if (dir_has_entries(fin) > 0)
            return err_set(e, "%s: a folder that is not a corpus (no manifest.json) is where assemble would write "
                              "corpus '%s', and replacing it would remove its files; move it away or choose another "
                              "--out",
                           fin, cfg->corpora[k].name);
    }
    return 0;
}

/* Replaces final with tmp: the old corpus moves aside first (to old, which
 * is set to "" when there was none), so at every moment OUT/<name> is either
 * absent or a complete corpus. The caller removes old once every corpus is
 * in: removing a large corpus takes a while, and a kill in that time left a
 * subset from the old config beside its new parent. */
static int swap_in(const char *tmp, const char *final, char *old, size_t cap, blalm_err *e)
{
    snprintf(old, cap, "%s.old.%ld", tmp, (long)getpid());
    struct stat lst;   /* lstat: a link (dangling too) moves aside, its target stays */
    if (lstat(final, &lst) != 0) {
        old[0] = 0;
    } else if (rename(final, old) != 0) {
        old[0] = 0;
        return err_errno(e, "rename %s", final);
    }
    if (rename(tmp, final) != 0) {
        old[0] = 0;   /* aside, with nothing in its place: the next run's clean_stale removes it */
        return err_errno(e, "rename %s -> %s", tmp, final);
    }
    return 0;
}

/* Removes temp folders that killed runs left, e.g. OUT/.strict.tmp.1234
 * (and .strict.tmp.1234.old.1234): only those whose process is gone. With
 * name NULL, those of every corpus name (OUT is assemble's: an interrupted
 * run of other corpora leaves its own). */
static void clean_stale(const char *dir, const char *name)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        long pid = temp_name_pid(de->d_name, name, ".old.");
        if (!pid || pid == (long)getpid() || !pid_is_dead(pid)) continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        rm_tree(p);
    }
    closedir(d);
}

static int write_stats(asm_ctx *c, blalm_err *e)
{
    const corpora_config *cfg = c->cfg;
    sbuf b;
    sb_init(&b);
    assemble_result *r = c->r;
    sb_printf(&b, "{\n  \"pool_documents\": %llu,\n  \"pool_words\": %llu,\n  \"pool_bytes\": %llu,\n"
                  "  \"eligible_documents\": %llu,\n  \"eligible_words\": %llu,\n  \"excluded\": {",
              (unsigned long long)r->pool_docs, (unsigned long long)r->pool_words,
              (unsigned long long)r->pool_bytes, (unsigned long long)r->eligible_docs,
              (unsigned long long)r->eligible_words);
    int first = 1;
    for (int i = 0; i < cfg->nrules; i++) {
        sb_json_key(&b, cfg->rules[i], &first);
        sb_json_uint(&b, c->rule_hits[i]);
    }
    sb_json_key(&b, "no words", &first);
    sb_json_uint(&b, c->no_words);
    sb_adds(&b, "},\n  \"corpora\": {");
    for (int k = 0; k < cfg->ncorpora; k++) {
        corpus_result *cr = &r->corpora[k];
        cstate *s = &c->cs[k];
        sb_adds(&b, k ? ",\n    " : "\n    ");
        sb_json_str(&b, cr->name, strlen(cr->name));
        sb_printf(&b, ": {\"budget\": %llu, \"words\": %llu, \"documents\": %llu, \"dev_words\": %llu, "
                      "\"dev_documents\": %llu, \"duplicates\": %llu, \"too_large\": %llu, \"quota\": %llu}",
                  (unsigned long long)cr->budget, (unsigned long long)cr->words,
                  (unsigned long long)cr->docs, (unsigned long long)cr->dev_words,
                  (unsigned long long)cr->dev_docs, (unsigned long long)s->dups,
                  (unsigned long long)s->too_large, (unsigned long long)s->quota);
    }
    sb_printf(&b, "\n  },\n  \"seconds\": %.3f,\n  \"mb_per_second\": %.2f,\n  \"peak_rss_mb\": %.1f,\n"
                  "  \"sort_runs_spilled\": %d,\n  \"config_sha256\": \"%s\"\n}\n",
              r->seconds, r->seconds > 0 ? (double)r->pool_bytes / 1e6 / r->seconds : 0.0,
              (double)r->peak_rss_kb / 1024.0, r->spilled_runs, c->config_sha);
    char p[4400];
    snprintf(p, sizeof p, "%s/assemble.json", c->w.stats);
    int rc = mkdir_p(c->w.stats, e) < 0 ? -1 : write_file_atomic(p, b.data, b.len, e);
    sb_free(&b);
    return rc;
}

static void ctx_free(asm_ctx *c)
{
    free(c->cut_text);
    for (int i = 0; i < CORPORA_MAX_RULES; i++) rule_free(c->rules[i]);
    free(c->rule_hits);
    for (int k = 0; k < CORPORA_MAX; k++) {
        u64map_free(&c->cs[k].taken);
        free(c->cs[k].src_rem);
        cout *co = &c->co[k];
        if (co->index) zw_abort(co->index);
        if (co->files) {
            for (int i = 0; i < 2 * c->nsrc; i++) {
                if (co->files[i].f) fclose(co->files[i].f);
                if (co->files[i].sha) { char h[65]; sha256_end_hex(co->files[i].sha, h); }
            }
            free(co->files);
        }
        if (co->tmp[0]) rm_tree(co->tmp);
    }
    if (c->dec_tmp[0]) rm_tree(c->dec_tmp);
    xs_close(c->cands);
    xs_close(c->fates);
    for (int i = 0; i < c->nsrc; i++) free(c->srcs[i]);
    free(c->srcs);
    free(c->file_src);
    docs_walk_free(c->files, c->nfiles);
    schema_free(c->schema);
    free(c->config_json);
    sb_free(&c->attr_summary);
    free(c->file_st);
    lock_release(c->lock_out);
    lock_release(c->lock_state);
}

int corpora_assemble(const assemble_opts *o, assemble_result *r, blalm_err *e)
{
    double t0 = now_seconds();
    asm_ctx c;
    memset(&c, 0, sizeof c);
    memset(r, 0, sizeof *r);
    c.o = o;
    c.cfg = o->config;
    c.r = r;
    c.lock_out = c.lock_state = -1;
    const corpora_config *cfg = o->config;
    int rc = -1;
    if (work_dirs_init(&c.w, o->work, o->docs, o->attrs, e) < 0) return -1;
    {   /* one assemble at a time per work directory's decisions (and, below,
         * per output, locked once the config proved valid: a refused config
         * leaves no OUT) */
        char sd[4400];
        snprintf(sd, sizeof sd, "%s/assemble", c.w.state);
        if ((c.lock_state = lock_dir(sd, "blalm assemble of this work directory", e)) < 0) goto out;
    }
    if (docs_walk_some(c.w.docs, &c.files, &c.nfiles, e) < 0) goto out;
    if (!(c.schema = schema_scan(c.w.attrs, e))) goto out;
    if (schema_nsets(c.schema) > 250) {
        err_set(e, "%s: more than 250 attribute sets", c.w.attrs);
        goto out;
    }
    {   /* every set complete, current and of one config, before anything is read */
        const char *sets[256];
        for (int i = 0; i < schema_nsets(c.schema); i++) sets[i] = schema_set(c.schema, i);
        sbuf fix;
        sb_init(&fix);
        attr_fix_args(&fix, o->docs || o->attrs ? NULL : c.w.work, c.w.docs, c.w.attrs);
        int partial_rule = o->allow_partial ? ATTR_PARTIAL_ALLOW : ATTR_PARTIAL_OFFER;
        int crc = attr_sets_check(c.w.attrs, c.files, c.nfiles, sets, schema_nsets(c.schema), partial_rule,
                                  sb_cstr(&fix), &c.attr_summary, &c.attr_partial, e);
        sb_free(&fix);
        if (crc < 0) {
            err_prefix(e, "assemble");
            goto out;
        }
    }
    for (int i = 0; i < cfg->nrules; i++)
        if (!(c.rules[i] = rule_parse(cfg->rules[i], e))) goto out;
    c.rule_hits = calloc((size_t)cfg->nrules + 1, sizeof *c.rule_hits);
    c.file_src = calloc(c.nfiles, sizeof *c.file_src);
    c.srcs = calloc(CORPORA_MAX_SOURCES, sizeof *c.srcs);
    if (!c.rule_hits || !c.file_src || !c.srcs) { err_set(e, "out of memory"); goto out; }
    for (size_t i = 0; i < c.nfiles; i++) {
        int s = -1;
        for (int k = 0; k < c.nsrc; k++)
            if (!strcmp(c.srcs[k], c.files[i].source)) s = k;
        if (s < 0) {
            if (c.nsrc >= CORPORA_MAX_SOURCES) {
                err_set(e, "%s: more than %d sources", c.w.docs, CORPORA_MAX_SOURCES);
                goto out;
            }
            /* two sources must not share an output file name */
            char a[256], b[256];
            sanitize_source(c.files[i].source, a, sizeof a);
            for (int k = 0; k < c.nsrc; k++) {
                sanitize_source(c.srcs[k], b, sizeof b);
                if (!strcmp(a, b)) {
                    err_set(e, "%s: sources \"%s\" and \"%s\" would share the file name %s.train",
                            c.w.docs, c.srcs[k], c.files[i].source, a);
                    goto out;
                }
            }
            s = c.nsrc;
            c.srcs[c.nsrc++] = strdup(c.files[i].source);
        }
        c.file_src[i] = (uint32_t)s;
    }
    for (int q = 0; q < cfg->nsources; q++) {
        int found = 0;
        for (int k = 0; k < c.nsrc; k++) found |= !strcmp(c.srcs[k], cfg->sources[q].name);
        if (!found) {
            err_set(e, "config: sources.%s: no such source under %s", cfg->sources[q].name, c.w.docs);
            goto out;
        }
    }
    c.config_json = corpora_config_json(cfg);
    sha256_hex(c.config_json, strlen(c.config_json), c.config_sha);
    char tmpdir[4400];
    snprintf(tmpdir, sizeof tmpdir, "%s/assemble", c.w.state);
    if (mkdir_p(tmpdir, e) < 0) goto out;
    size_t mem = o->mem_bytes ? o->mem_bytes : (size_t)256 << 20;
    if (!(c.cands = xs_open(sizeof(cand), cmp_cand, mem / 2, tmpdir, e))) goto out;
    if (!(c.fates = xs_open(sizeof(fate), cmp_fate, mem / 2, tmpdir, e))) goto out;

    if (!(c.file_st = calloc(c.nfiles ? c.nfiles : 1, sizeof *c.file_st))) {
        err_set(e, "out of memory");
        goto out;
    }
    if (check_out_slots(o->out, cfg, e) < 0) goto out;
    phase_start(&c, "assemble: scan", 0);
    for (uint32_t fi = 0; fi < c.nfiles; fi++) {
        if (stat(c.files[fi].path, &c.file_st[fi]) < 0) {
            err_errno(e, "%s", c.files[fi].path);
            goto out;
        }
        if (scan_file(&c, fi, e) < 0) goto out;
    }
    if (select_pass(&c, e) < 0) goto out;
    if (check_splits(&c, e) < 0) goto out;
    r->spilled_runs = xs_runs(c.cands) + xs_runs(c.fates);
    xs_close(c.cands);
    c.cands = NULL;
    for (int k = 0; k < cfg->ncorpora; k++) u64map_free(&c.cs[k].taken);  /* not needed to write */

    if ((c.lock_out = lock_dir(o->out, "blalm assemble --out", e)) < 0) goto out;
    clean_stale(o->out, NULL);
    for (int k = 0; k < cfg->ncorpora; k++)
        if (out_open(&c, k, e) < 0) goto out;
    clean_stale(tmpdir, "decisions");
    snprintf(c.dec_final, sizeof c.dec_final, "%s/assemble/decisions", c.w.state);
    snprintf(c.dec_tmp, sizeof c.dec_tmp, "%s/assemble/.decisions.tmp.%ld", c.w.state, (long)getpid());
    rm_tree(c.dec_tmp);
    if (mkdir_p(c.dec_tmp, e) < 0) goto out;
    phase_start(&c, "assemble: write", r->pool_bytes);
    if (write_pass(&c, e) < 0) goto out;
    for (int k = 0; k < cfg->ncorpora; k++)
        if (finish_corpus(&c, k, e) < 0) goto out;
    {   /* what the decisions belong to, for audit */
        sbuf b;
        sb_init(&b);
        sb_adds(&b, "{\"out\":");
        sb_json_str(&b, o->out, strlen(o->out));
        sb_adds(&b, ",\"config\":");
        sb_adds(&b, c.config_json);
        sb_printf(&b, ",\"config_sha256\":\"%s\"", c.config_sha);
        /* the corpora these decisions belong to: audit refuses decisions
         * that do not match the corpora in place (a run killed between
         * its renames leaves some corpora new and the decisions old) */
        char absout[PATH_MAX];
        if (!realpath(o->out, absout)) snprintf(absout, sizeof absout, "%s", o->out);
        sb_adds(&b, ",\"corpora\":{");
        for (int k = 0; k < cfg->ncorpora; k++) {
            char cp[PATH_MAX + 80];
            snprintf(cp, sizeof cp, "%s/%s", absout, cfg->corpora[k].name);
            if (k) sb_addc(&b, ',');
            sb_json_str(&b, cfg->corpora[k].name, strlen(cfg->corpora[k].name));
            sb_adds(&b, ":{\"path\":");
            sb_json_str(&b, cp, strlen(cp));
            sb_printf(&b, ",\"index_sha256\":\"%s\"}", c.co[k].idx_sha);
        }
        /* the document files decided: audit tells a decisions file that is
         * missing from one for a document file added since */
        sb_adds(&b, "},\"files\":[");
        for (size_t i = 0; i < c.nfiles; i++) {
            if (i) sb_addc(&b, ',');
            sb_json_str(&b, c.files[i].rel, strlen(c.files[i].rel));
        }
        /* each document file's size and modification time, and each
         * attribute set's config, as decided: audit refuses fates shown
         * beside documents or attributes that changed since */
        sb_adds(&b, "],\"documents\":{");
        for (size_t i = 0; i < c.nfiles; i++) {
            struct stat st;
            const struct stat *was = &c.file_st[i];
            if (stat(c.files[i].path, &st) < 0 || st.st_size != was->st_size ||
                st.st_mtim.tv_sec != was->st_mtim.tv_sec || st.st_mtim.tv_nsec != was->st_mtim.tv_nsec) {
                err_set(e, "%s: document file changed while assembling (its size or modification time is "
                           "not the scan's); run assemble again", c.files[i].path);
                sb_free(&b);
                goto out;
            }
            if (i) sb_addc(&b, ',');
            sb_json_str(&b, c.files[i].rel, strlen(c.files[i].rel));
            sb_printf(&b, ":{\"size\":%llu,\"mtime\":\"%lld.%09ld\"}", (unsigned long long)was->st_size,
                      (long long)was->st_mtim.tv_sec, (long)was->st_mtim.tv_nsec);
        }
        sb_adds(&b, "},\"attributes\":");
        sb_adds(&b, c.attr_summary.len ? sb_cstr(&c.attr_summary) : "[]");
        sb_adds(&b, "}\n");
        char p[4500];
        snprintf(p, sizeof p, "%s/run.json", c.dec_tmp);
        int wr = write_file_atomic(p, b.data, b.len, e);
        sb_free(&b);
        if (wr < 0) goto out;
    }
    {   /* every corpus and the decisions in, then the old ones out */
        char olds[CORPORA_MAX + 1][4400];
        int nold = 0, swapped = 0;
        if (check_out_slots(o->out, cfg, e) < 0) goto out;   /* OUT is locked now: as it is to be replaced */
        for (int k = 0; k < cfg->ncorpora; k++) {
            if (swap_in(c.co[k].tmp, c.co[k].final, olds[nold], sizeof olds[nold], e) < 0) break;
            nold++;
            c.co[k].tmp[0] = 0;
        }
        if (nold == cfg->ncorpora && swap_in(c.dec_tmp, c.dec_final, olds[nold], sizeof olds[nold], e) == 0) {
            nold++;
            c.dec_tmp[0] = 0;
            swapped = 1;
        }
        for (int i = 0; i < nold; i++)
            if (olds[i][0]) rm_tree(olds[i]);
        if (!swapped) goto out;
    }
    r->ncorpora = cfg->ncorpora;
    r->seconds = now_seconds() - t0;
    r->peak_rss_kb = peak_rss_kb();
    if (write_stats(&c, e) < 0) goto out;
    rc = 0;
out:
    ctx_free(&c);
    return rc;
}
