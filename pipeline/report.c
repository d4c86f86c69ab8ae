/* report.c - `blalm report`: what a job did, as one self-contained HTML page.
 *
 * Three readers fill one struct rpt (work directory, corpora, run), then one
 * writer turns it into HTML with inline SVG charts. The page has no script
 * and loads nothing: every chart is an <svg> of fixed size inside a
 * <figure class="chart" id="chart-..."> so a test can find its box. The
 * numbers behind the charts are also embedded as JSON in
 * <script type="application/json" id="report-data"> (data, not code), so a
 * test can compare them with what the stages report. */
#include "pipeline/report.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "corpora/corpora.h"
#include "lib/attr.h"
#include "lib/attrsets.h"
#include "lib/cli.h"
#include "lib/config.h"
#include "lib/docs.h"
#include "lib/fsutil.h"
#include "lib/rules.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"
#include "lib/work.h"

#define RPT_SOURCES 12        /* sources charted one by one; the rest are "(other)" */
#define RPT_SETS 64
#define RPT_RULES 64
#define RPT_EXAMPLES_PER_KIND 2
#define RPT_EXAMPLES 40
#define RPT_SNIPPET 400       /* bytes of text shown per example */
#define RPT_ID_SHOWN 200      /* bytes of an example's id shown (then an ellipsis) */
#define FRE_BINS 12           /* <0, [0,10), ..., [90,100), >=100 */
#define LLM_BINS 7            /* 0..5, then "no score" */
#define FATE_KINDS 8
#define RPT_CHART_POINTS 2000 /* points drawn per line at most; the tables keep every number */

static const char *const fate_kind_name[FATE_KINDS] = {
    "train", "dev", "duplicate", "not in parent corpus", "budget full", "dev budget full", "source quota full",
    "other"};

typedef struct src_stats {
    char *name;                       /* whole: a truncated name would never match again */
    uint64_t docs, words;
    uint64_t llm[LLM_BINS];
    uint64_t local[LLM_BINS];         /* edu_local's int_score (the distilled scorer) */
    uint64_t fre[FRE_BINS];
} src_stats;

typedef struct size_count {
    uint64_t size, docs, clusters;    /* clusters: distinct cluster ids among the documents read */
} size_count;

typedef struct cluster_ref {
    uint64_t size, id;
} cluster_ref;

typedef struct example {
    char *id, *source, *where, *text, *decision, *kind;
    int kept;
    uint64_t words;
} example;

typedef struct corpus_fates {
    char name[64];
    uint64_t docs[FATE_KINDS], words[FATE_KINDS];
} corpus_fates;

/* An eval.json and its file name, kept apart: the file may have a "file" key of its own. */
typedef struct eval_file {
    cJSON *j;
    char *file;
} eval_file;

typedef struct run_point {
    double x, y;
} run_point;

typedef struct series {
    char name[96];
    run_point *p;
    size_t n, cap;
} series;

typedef struct rpt {
    /* work */
    const char *work;
    uint64_t docs, words, files;
    src_stats src[RPT_SOURCES + 1];
    int nsrc;
    int have_llm, have_fre, have_dedup, have_decisions;
    char *stale;                      /* why the decisions may not describe the corpora, or NULL */
    int sets_refused;                 /* attr_sets_check found stale, mixed or unrecorded sets */
    cJSON *run_corpora;               /* run.json's "corpora": each corpus's index_sha256 as assemble decided it */
    struct { const char *section; char *text; } *warn;   /* what the page must not hide: all of them */
    int nwarn, capwarn;
    cJSON *coverage;                  /* attr_sets_check's summary: each set's files, missing, incomplete */
    char *partial_set[RPT_SETS], *partial_text[RPT_SETS];   /* sets that leave files out, and why */
    int npartial;
    char *verdict_set[RPT_SETS];      /* tagger sets with a "pass" verdict */
    uint64_t verdict_pass[RPT_SETS], verdict_docs[RPT_SETS];
    int nverdict;
    char *rule[RPT_RULES];            /* assemble's rules, by index */
    rule *parsed[RPT_RULES];          /* parsed on first use, for the values an example's rule read */
    int nrules;
    uint64_t rule_docs[RPT_RULES + 1], rule_words[RPT_RULES + 1];  /* [nrules]: "no words" */
    uint64_t decided_docs, decided_words, eligible_docs, eligible_words;
    corpus_fates fates[CORPORA_MAX];
    int nfates;
    size_count *clusters;
    size_t nclusters;
    cluster_ref *cl_ids;              /* (size, cluster_id) of each document in a cluster of 2 or more */
    size_t ncl_ids, cl_ids_cap;
    uint64_t split_clusters;          /* clusters with fewer documents read than their size */
    sbuf rawtmp;                      /* scratch of corpora_dedup_value_hash (zeroed: empty) */
    char **llm_model;                 /* every model name edu_llm's rows give (grows) */
    uint64_t *llm_model_docs;
    int nllm_models, capllm_models;
    uint64_t llm_scored, llm_errors;
    char *local_model;                /* edu_local's model name (the first seen) */
    uint64_t local_docs;
    cJSON *distill;                   /* WORK/distill/edu.distill.json (blalm run's figures), or NULL */
    example ex[RPT_EXAMPLES];
    int nex;
    /* corpora */
    cJSON *manifests;                 /* array of manifest objects, or NULL */
    /* run */
    series loss, dev_loss, *alpha;
    int nalpha;
    eval_file *evals;                 /* the eval.json files, by words seen */
    size_t nevals;
    char *run_model;
} rpt;

/* ---- small helpers ------------------------------------------------------------ */

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (!d) abort();
    memcpy(d, s, n);
    return d;
}

static void series_add(series *s, double x, double y)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->p = realloc(s->p, s->cap * sizeof *s->p);
        if (!s->p) abort();
    }
    s->p[s->n].x = x;
    s->p[s->n].y = y;
    s->n++;
}

/* Parses a whole JSON file; NULL with e naming the file on any problem. */
static cJSON *read_json_file(const char *path, blalm_err *e)
{
    char *text;
    size_t len;
    if (read_file(path, &text, &len, e) < 0) return NULL;
    const char *end = NULL;
    cJSON *j = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!j) {
        size_t off = end ? (size_t)(end - text) : 0;
        err_set(e, "%s: byte %zu: expected JSON (the file is not valid JSON)", path, off);
    } else if (!cJSON_IsObject(j)) {
        err_set(e, "%s: expected a JSON object", path);
        cJSON_Delete(j);
        j = NULL;
    }
    free(text);
    return j;
}

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }
static const char *str_or(const cJSON *o, const char *k, const char *dflt)
{
    const cJSON *v = get(o, k);
    return cJSON_IsString(v) ? v->valuestring : dflt;
}

static int src_index(rpt *r, const char *name)
{
    for (int i = 0; i < r->nsrc && i < RPT_SOURCES; i++)
        if (!strcmp(r->src[i].name, name)) return i;
    if (r->nsrc < RPT_SOURCES) {
        r->src[r->nsrc].name = dup_str(name);
        return r->nsrc++;
    }
    if (r->nsrc == RPT_SOURCES) {
        r->src[r->nsrc].name = dup_str("(other sources)");
        r->nsrc++;
    }
    return RPT_SOURCES;
}

/* The kind of a fate string as assemble writes it (corpora/assemble.c, fate_text). */
static int fate_kind(const char *s)
{
    /* corpora_fate_outcome's kinds, in the order of fate_kind_name (the
     * training budget's apart from the dev split's, as assemble's stats count
     * too_large); excluded and unknown texts are the last kind */
    static const char *const outcome[] = {"train",       "dev",     "duplicate", "not_in_parent", "budget_full",
                                          "dev_budget_full", "quota_full"};
    const char *o = corpora_fate_outcome(s);
    for (int k = 0; o && k < FATE_KINDS - 1; k++)
        if (!strcmp(o, outcome[k])) return k;
    return FATE_KINDS - 1;
}

/* ---- the work directory ----------------------------------------------------- */

typedef struct joined {
    char path[RPT_SETS + 1][4352];
    const char *name[RPT_SETS + 1];
    int n;
} joined;

static int example_wanted(const rpt *r, const char *kind);

/* s[0..n) as a C string for display, each NUL byte shown as U+2400 (SYMBOL
 * FOR NULL): ids and texts are bytes and may hold NULs, which would cut a
 * C string there. */
static char *display_bytes(const char *s, size_t n)
{
    sbuf b;
    sb_init(&b);
    for (size_t i = 0; i < n; i++) {
        const char *z = memchr(s + i, 0, n - i);
        size_t m = z ? (size_t)(z - (s + i)) : n - i;
        sb_add(&b, s + i, m);
        i += m;
        if (i < n) sb_adds(&b, "\xe2\x90\x80");
    }
    char *r = dup_str(sb_cstr(&b));
    sb_free(&b);
    return r;
}

/* Keeps the first RPT_EXAMPLES_PER_KIND documents of each kind of decision. */
static void add_example(rpt *r, const doc_file *f, const blalm_doc *d, uint64_t words, int kept,
                        const char *kind, const char *decision)
{
    if (!example_wanted(r, kind)) return;
    example *x = &r->ex[r->nex++];
    sbuf b;
    sb_init(&b);
    /* a long id is cut for display (a 100,000-character id made the page
     * 829,432 px wide) */
    size_t idn = utf8_prefix(d->id, d->id_len, RPT_ID_SHOWN);
    x->id = display_bytes(d->id, idn);
    if (idn < d->id_len) {
        size_t l = strlen(x->id);
        x->id = realloc(x->id, l + 4);
        if (!x->id) abort();
        memcpy(x->id + l, "\u2026", 4);
    }
    x->source = dup_str(f->source);
    sb_printf(&b, "%s row %llu", f->rel, (unsigned long long)d->row);
    x->where = dup_str(sb_cstr(&b));
    size_t n = utf8_prefix(d->text, d->text_len, RPT_SNIPPET);
    sb_reset(&b);
    char *t = display_bytes(d->text, n);
    sb_adds(&b, t);
    free(t);
    if (n < d->text_len) sb_adds(&b, " \xe2\x80\xa6");  /* " ..." */
    x->text = dup_str(sb_cstr(&b));
    x->decision = dup_str(decision);
    x->kind = dup_str(kind);
    x->kept = kept;
    x->words = words;
    sb_free(&b);
}

static double num_or_nan(const cJSON *o, const char *k)
{
    const cJSON *v = get(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* A document of a cluster of size documents (cluster_id id, if has_id):
 * clusters are counted by their distinct ids among the documents read, so a
 * cluster whose other members were not read (their document file is gone)
 * still counts as one, never as a fraction. */
static void count_cluster(rpt *r, uint64_t size, int has_id, uint64_t id)
{
    size_t i;
    for (i = 0; i < r->nclusters && r->clusters[i].size != size; i++) {}
    if (i == r->nclusters) {
        r->clusters = realloc(r->clusters, (r->nclusters + 1) * sizeof *r->clusters);
        if (!r->clusters) abort();
        r->clusters[r->nclusters++] = (size_count){.size = size};
    }
    r->clusters[i].docs++;
    if (size == 1) {
        r->clusters[i].clusters++;
        return;
    }
    if (!has_id) id = UINT64_MAX - r->clusters[i].docs / size;   /* no id: every size documents one cluster */
    if (r->ncl_ids == r->cl_ids_cap) {
        r->cl_ids_cap = r->cl_ids_cap ? 2 * r->cl_ids_cap : 256;
        r->cl_ids = realloc(r->cl_ids, r->cl_ids_cap * sizeof *r->cl_ids);
        if (!r->cl_ids) abort();
    }
    r->cl_ids[r->ncl_ids++] = (cluster_ref){size, id};
}

static int cmp_cluster_ref(const void *a, const void *b)
{
    const cluster_ref *x = a, *y = b;
    if (x->size != y->size) return x->size < y->size ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The clusters of each size: distinct ids; and how many have fewer
 * documents read than their size. */
static void count_cluster_ids(rpt *r)
{
    if (r->ncl_ids) qsort(r->cl_ids, r->ncl_ids, sizeof *r->cl_ids, cmp_cluster_ref);
    for (size_t k = 0; k < r->ncl_ids;) {
        size_t e = k;
        while (e < r->ncl_ids && r->cl_ids[e].size == r->cl_ids[k].size && r->cl_ids[e].id == r->cl_ids[k].id) e++;
        for (size_t i = 0; i < r->nclusters; i++)
            if (r->clusters[i].size == r->cl_ids[k].size) r->clusters[i].clusters++;
        if (e - k < r->cl_ids[k].size) r->split_clusters++;
        k = e;
    }
}

static int verdict_index(rpt *r, const char *set)
{
    for (int i = 0; i < r->nverdict; i++)
        if (!strcmp(r->verdict_set[i], set)) return i;
    if (r->nverdict == RPT_SETS) return -1;
    r->verdict_set[r->nverdict] = dup_str(set);
    return r->nverdict++;
}

static void note_llm_model(rpt *r, const char *m)
{
    for (int i = 0; i < r->nllm_models; i++)
        if (!strcmp(r->llm_model[i], m)) {
            r->llm_model_docs[i]++;
            return;
        }
    /* all of them: a ninth model (and whether it is a stand-in) was dropped */
    if (r->nllm_models == r->capllm_models) {
        r->capllm_models = r->capllm_models ? 2 * r->capllm_models : 8;
        r->llm_model = realloc(r->llm_model, (size_t)r->capllm_models * sizeof *r->llm_model);
        r->llm_model_docs = realloc(r->llm_model_docs, (size_t)r->capllm_models * sizeof *r->llm_model_docs);
        if (!r->llm_model || !r->llm_model_docs) abort();
    }
    r->llm_model[r->nllm_models] = dup_str(m);
    r->llm_model_docs[r->nllm_models++] = 1;
}

static int example_wanted(const rpt *r, const char *kind)
{
    if (r->nex >= RPT_EXAMPLES) return 0;
    int same = 0;
    for (int i = 0; i < r->nex; i++)
        if (!strcmp(r->ex[i].kind, kind)) same++;
    return same < RPT_EXAMPLES_PER_KIND;
}

typedef struct refs_ctx {
    const char *const *names;
    cJSON **sets;
    int n;
    sbuf *out;
} refs_ctx;

/* Appends " set.key = value;" for one key a rule read. */
static void add_ref(void *ctx, const char *set, const char *key)
{
    refs_ctx *c = ctx;
    sbuf needle;
    sb_init(&needle);
    sb_printf(&needle, " %s.%s = ", set, key);
    int seen = strstr(sb_cstr(c->out), sb_cstr(&needle)) != NULL;
    sb_free(&needle);
    if (seen) return;   /* a key read twice (a <= x && x <= b): once */
    const cJSON *v = NULL;
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->names[i], set)) v = get(c->sets[i], key);
    char *t = v ? json_print(v, 0) : NULL;
    sb_printf(c->out, " %s.%s = %.60s;", set, key, t ? t : "(missing)");
    free(t);
}

/* The words a corpus's train split holds of a document: all of them, or the
 * N of a "train (cut to N of M words ...)" fate (assemble's cut_last), which
 * is what the corpus's manifest counts. */
static uint64_t train_words(const char *fate, uint64_t words)
{
    static const char cut[] = "train (cut to ";
    if (strncmp(fate, cut, sizeof cut - 1)) return words;
    char *end;
    unsigned long long n = strtoull(fate + sizeof cut - 1, &end, 10);
    return end > fate + sizeof cut - 1 && !strncmp(end, " of ", 4) && n <= words ? (uint64_t)n : words;
}

/* One document with its joined sets; dec is the "assemble" decision or NULL.
 * -1 with e saying what is wrong with the decision (the caller names the
 * file and line). */
static int take_doc(rpt *r, const doc_file *f, const blalm_doc *d, const char *const *names, int n,
                    cJSON **sets, const cJSON *dec, const char *dedup_raw, size_t dedup_len, blalm_err *e)
{
    const cJSON *read = NULL, *dedup = NULL, *llm = NULL, *loc = NULL;
    const cJSON *cor = dec ? get(dec, "corpora") : NULL;
    if (cor && !cJSON_IsObject(cor))
        return err_set(e, "\"assemble\".\"corpora\": expected an object (each corpus's fate by name)");
    /* outside text of any length (a rule, a tagger's reason): grown, never cut */
    sbuf first_fail, decision, kind;
    sb_init(&first_fail);
    sb_init(&decision);
    sb_init(&kind);
    for (int i = 0; i < n; i++) {
        if (!strcmp(names[i], "readability")) read = sets[i];
        else if (!strcmp(names[i], "dedup")) dedup = sets[i];
        else if (!strcmp(names[i], "edu_llm")) llm = sets[i];
        else if (!strcmp(names[i], "edu_local")) loc = sets[i];
        const cJSON *pass = get(sets[i], "pass");
        if (cJSON_IsBool(pass)) {
            int v = verdict_index(r, names[i]);
            if (v >= 0) {
                r->verdict_docs[v]++;
                if (cJSON_IsTrue(pass)) r->verdict_pass[v]++;
            }
            if (!cJSON_IsTrue(pass) && !first_fail.len) {
                const cJSON *why = get(sets[i], "reason");
                sb_printf(&first_fail, "%s: %s", names[i], cJSON_IsString(why) ? why->valuestring : "fails");
            }
        }
    }
    const cJSON *dw = dec ? get(dec, "words") : NULL;
    uint64_t words = cJSON_IsNumber(dw) ? (uint64_t)dw->valuedouble : words_in(d->text, d->text_len);
    int s = src_index(r, f->source);
    src_stats *st = &r->src[s];
    st->docs++;
    st->words += words;
    r->docs++;
    r->words += words;
    if (read) {
        double fre = num_or_nan(read, "flesch_reading_ease");
        if (isfinite(fre)) {
            int b = fre < 0 ? 0 : fre >= 100 ? FRE_BINS - 1 : 1 + (int)(fre / 10);
            st->fre[b]++;
            r->have_fre = 1;
        }
    }
    if (llm) {
        r->have_llm = 1;
        const cJSON *sel = get(llm, "selected");
        const cJSON *sc = get(llm, "score");
        if (cJSON_IsNumber(sc) && sc->valuedouble >= 0 && sc->valuedouble <= 5) {
            st->llm[(int)sc->valuedouble]++;
            r->llm_scored++;
        } else if (!cJSON_IsFalse(sel)) {
            st->llm[LLM_BINS - 1]++;
        }
        if (cJSON_IsString(get(llm, "error")) && get(llm, "error")->valuestring[0]) r->llm_errors++;
        const cJSON *m = get(llm, "model");
        if (cJSON_IsString(m) && m->valuestring[0]) note_llm_model(r, m->valuestring);
    }
    if (loc) {
        const cJSON *is = get(loc, "int_score"), *m = get(loc, "model");
        int bin = cJSON_IsNumber(is) && is->valuedouble >= 0 && is->valuedouble <= 5 ? (int)is->valuedouble
                                                                                    : LLM_BINS - 1;
        st->local[bin]++;
        r->local_docs++;
        if (!r->local_model && cJSON_IsString(m)) r->local_model = dup_str(m->valuestring);
    }
    if (dedup) {
        const cJSON *cs = get(dedup, "cluster_size");
        const cJSON *cid = get(dedup, "cluster_id");
        if (cJSON_IsNumber(cs) && cs->valuedouble >= 1) {
            /* the id as assemble groups it, from the line's bytes: as a
             * double, ids past 2^53 (64-bit hashes) fell together, two
             * clusters counted as one */
            uint64_t id = cJSON_IsNumber(cid) ? (uint64_t)cid->valuedouble : 0;
            blalm_err e2;
            if (cJSON_IsNumber(cid) &&
                corpora_dedup_value_hash(dedup, dedup_raw, dedup_len, NULL, 0, "cluster_id", 0xc1c1c1c1ULL,
                                         &r->rawtmp, &id, &e2) < 0)
                id = (uint64_t)cid->valuedouble;   /* not strict JSON: as cJSON read it */
            count_cluster(r, (uint64_t)cs->valuedouble, cJSON_IsNumber(cid) && cid->valuedouble >= 0, id);
            r->have_dedup = 1;
        }
    }
    int kept = 0;
    if (dec) {
        r->decided_docs++;
        r->decided_words += words;
        const cJSON *by = get(dec, "excluded_by");
        if (cJSON_IsObject(by)) {
            const cJSON *ix = get(by, "index"), *rtext = get(by, "rule");
            int k = cJSON_IsNumber(ix) && ix->valuedouble >= 0 && ix->valuedouble < RPT_RULES
                        ? (int)ix->valuedouble : -1;
            if (k >= r->nrules) {
                for (int q = r->nrules; q <= k; q++) r->rule[q] = NULL;
                r->nrules = k + 1;
            }
            if (k >= 0 && !r->rule[k] && cJSON_IsString(rtext)) r->rule[k] = dup_str(rtext->valuestring);
            int slot = k >= 0 ? k : RPT_RULES;
            r->rule_docs[slot]++;
            r->rule_words[slot] += words;
            if (k >= 0)
                sb_printf(&decision, "excluded by rules[%d]: %s", k,
                          cJSON_IsString(rtext) ? rtext->valuestring : "?");
            else
                sb_adds(&decision, "excluded: no words");
            sb_adds(&kind, sb_cstr(&decision));
            if (k >= 0 && r->rule[k] && example_wanted(r, sb_cstr(&kind))) {
                blalm_err ignored;
                if (!r->parsed[k]) r->parsed[k] = rule_parse(r->rule[k], &ignored);
                if (r->parsed[k]) {   /* the values it read, as audit shows them */
                    sb_adds(&decision, " (read:");
                    refs_ctx rc = {names, sets, n, &decision};
                    rule_refs(r->parsed[k], add_ref, &rc);
                    if (decision.data[decision.len - 1] == ';') decision.len--;
                    sb_addc(&decision, ')');
                }
            }
        } else {
            r->eligible_docs++;
            r->eligible_words += words;
        }
        /* each corpus's fate; an excluded document is counted under its rule */
        const cJSON *it;
        int k = 0;
        cJSON_ArrayForEach(it, cor) {
            if (!cJSON_IsString(it) || k >= CORPORA_MAX) continue;
            if (k >= r->nfates) {
                snprintf(r->fates[k].name, sizeof r->fates[k].name, "%s", it->string);
                r->nfates = k + 1;
            }
            if (!cJSON_IsObject(by)) {
                int fk = fate_kind(it->valuestring);
                r->fates[k].docs[fk]++;
                r->fates[k].words[fk] += fk == 0 ? train_words(it->valuestring, words) : words;
                if (k == 0) {   /* the example's fate: the first corpus's */
                    kept = fk <= 1;
                    sb_printf(&decision, "%s: %s", it->string, it->valuestring);
                    sb_printf(&kind, "%s: %s", it->string, fate_kind_name[fk]);
                }
            }
            k++;
        }
        if (!cJSON_IsObject(by) && !k) {
            sb_adds(&decision, "eligible (no corpus recorded)");
            sb_adds(&kind, sb_cstr(&decision));
        }
    } else {
        kept = !first_fail.len;
        sb_adds(&decision, kept ? "passes every tagger verdict" : sb_cstr(&first_fail));
        sb_adds(&kind, sb_cstr(&decision));
    }
    add_example(r, f, d, words, kept, sb_cstr(&kind), sb_cstr(&decision));
    sb_free(&first_fail);
    sb_free(&decision);
    sb_free(&kind);
    return 0;
}

static void add_warning(rpt *r, const char *section, const char *text)
{
    if (r->nwarn == r->capwarn) {
        r->capwarn = r->capwarn ? 2 * r->capwarn : 8;
        r->warn = realloc(r->warn, (size_t)r->capwarn * sizeof *r->warn);
        if (!r->warn) abort();
    }
    r->warn[r->nwarn].section = section;
    r->warn[r->nwarn++].text = dup_str(text);
}

/* Each attribute set's coverage by its records (lib/attr.h), as audit and
 * assemble check it: a set that lacks files or has unfinished ones (a killed
 * tag or score) is shown with a warning in its sections, since its counts
 * and charts then leave documents out; a stale or mixed set, which audit
 * refuses, is shown with a warning at the top of the page. */
static int read_coverage(rpt *r, const work_dirs *w, const doc_file *files, size_t nfiles,
                         const attr_schema *schema, int nsets, blalm_err *e)
{
    const char *sets[RPT_SETS];
    for (int i = 0; i < nsets; i++) sets[i] = schema_set(schema, i);
    sbuf sum, fix;
    sb_init(&sum);
    sb_init(&fix);
    attr_fix_args(&fix, w->work, NULL, NULL);
    blalm_err why;
    int partial = 0;
    if (attr_sets_check(w->attrs, files, nfiles, sets, nsets, ATTR_PARTIAL_ALLOW, sb_cstr(&fix), &sum, &partial,
                        &why) < 0) {
        add_warning(r, "attributes", why.msg);
        r->sets_refused = 1;
    }
    r->coverage = cJSON_Parse(sb_cstr(&sum));
    sb_free(&sum);
    sb_free(&fix);
    if (!cJSON_IsArray(r->coverage)) return err_set(e, "%s: report: cannot read the attribute sets' records", w->attrs);
    const cJSON *it;
    cJSON_ArrayForEach(it, r->coverage) {
        double missing = num_or_nan(it, "missing"), incomplete = num_or_nan(it, "incomplete");
        const cJSON *set = get(it, "set");
        if (!(missing > 0 || incomplete > 0) || !cJSON_IsString(set) || r->npartial == RPT_SETS) continue;
        const attrset_info *info = attrsets_find(set->valuestring);
        sbuf t;
        sb_init(&t);
        sb_printf(&t, "attribute set '%s' is complete for %.0f of %zu document files (", set->valuestring,
                  (double)nfiles - missing - incomplete, nfiles);
        if (missing > 0)
            sb_printf(&t, "%.0f %s no attribute file%s", missing, missing == 1 ? "has" : "have",
                      incomplete > 0 ? ", " : "");
        if (incomplete > 0) sb_printf(&t, "%.0f %s left unfinished", incomplete, incomplete == 1 ? "was" : "were");
        sb_adds(&t, "), so what is shown from it leaves out those files' documents; ");
        if (info) sb_printf(&t, "was `blalm %s` killed? Run it again with --work %s to finish it", info->writer, w->work);
        else sb_printf(&t, "run the command that made it again to finish it");
        r->partial_set[r->npartial] = dup_str(set->valuestring);
        r->partial_text[r->npartial++] = dup_str(sb_cstr(&t));
        sb_free(&t);
    }
    return 0;
}

static int cmp_cstr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Whether a document file's size differs from what run.json recorded when
 * assemble decided it: 1 changed, 0 the same or not recorded, -1 a
 * malformed record. audit also refuses a changed mtime; the report, a view,
 * does not leave decisions out for it, since a copied work folder (cp -r)
 * has every mtime changed (a same-size rewrite whose rows moved still fails
 * the join, naming the file). A file that cannot be stat'ed is left to the
 * join to name. */
static int changed_since_assemble(const doc_file *f, const cJSON **decided, size_t n)
{
    const cJSON *d = corpora_member_find(decided, n, f->rel);
    if (!d) return 0;
    const cJSON *size = get(d, "size"), *mtime = get(d, "mtime");
    if (!cJSON_IsNumber(size) || !cJSON_IsString(mtime)) return -1;
    struct stat st;
    if (stat(f->path, &st) < 0) return 0;
    return (double)st.st_size != size->valuedouble;
}

/* run.json records the config of each attribute set assemble read; a set
 * remade since with another config (tag --cmudict, a dedup threshold, a new
 * score model) holds values the fates were not decided from: said at the top
 * of the funnel, as audit refuses such a set. A set removed since is not. */
static void warn_sets_changed(rpt *r, const char *attrs, const cJSON *was)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, was) {
        const char *s0, *s1;
        if (corpora_run_set_changed(it, r->coverage, &s0, &s1) != 1) continue;
        sbuf t;
        sb_init(&t);
        sb_printf(&t, "%s/%s: attribute set changed since assemble (made by config %s then, %s now): the funnel "
                  "and the examples' fates were decided from its old values, the histograms show the new ones; "
                  "run blalm assemble again", attrs, get(it, "set")->valuestring, s0, s1);
        add_warning(r, "funnel", sb_cstr(&t));
        sb_free(&t);
    }
}

/* Orphans: attribute files (and assemble decisions) under dir whose
 * document file is not in WORK/docs (deleted, moved, or a dangling link):
 * their documents are in no figure. stems: the present files' stems, sorted. */
typedef struct orphans {
    uint64_t n;
    sbuf names;                       /* the first few, "set/stem" */
} orphans;

static void find_orphans(const char *dir, const char *sub, const char *label, char *const *stems, size_t nstems,
                         orphans *o, int depth)
{
    char p[8400];
    snprintf(p, sizeof p, "%s%s%s", dir, *sub ? "/" : "", sub);
    DIR *d = depth < 32 ? opendir(p) : NULL;
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char rel[4400], full[8400];
        snprintf(rel, sizeof rel, "%s%s%s", sub, *sub ? "/" : "", de->d_name);
        snprintf(full, sizeof full, "%s/%s", dir, rel);
        if (is_dir(full)) {
            find_orphans(dir, rel, label, stems, nstems, o, depth + 1);
            continue;
        }
        size_t len = strlen(rel), sl = strlen(".jsonl.zst");
        if (len <= sl || strcmp(rel + len - sl, ".jsonl.zst")) continue;
        rel[len - sl] = 0;
        const char *key = rel;
        if (bsearch(&key, stems, nstems, sizeof *stems, cmp_cstr)) continue;
        if (o->n++ < 3) sb_printf(&o->names, "%s%s/%s", o->names.len ? ", " : "", label, rel);
    }
    closedir(d);
}

static int read_work(rpt *r, const char *work, const char *corpora, blalm_err *e)
{
    if (!is_dir(work)) return err_set(e, "%s: no such work directory", work);
    work_dirs w;
    if (work_dirs_init(&w, work, NULL, NULL, e) < 0) return -1;
    if (!is_dir(w.docs)) return err_set(e, "%s: no documents folder (expected WORK/docs)", w.docs);
    doc_file *files = NULL;
    size_t nfiles = 0;
    if (docs_walk(w.docs, &files, &nfiles, e) < 0) return -1;
    r->files = nfiles;
    {   /* files passed over for their names, as tag and the other stages warn */
        char msg[2048];
        blalm_err why;
        if (!nfiles && docs_require_some(w.docs, &why) < 0)
            add_warning(r, "attributes", why.msg);   /* "no document files (...)", naming the skipped */
        else if (nfiles && docs_skipped(w.docs, msg, sizeof msg))
            add_warning(r, "attributes", msg);
    }
    attr_schema *schema = NULL;
    cJSON *run = NULL;
    const char **listed = NULL;   /* run.json's "files", sorted: the files assemble decided */
    size_t nlisted = 0;
    sbuf lost;                    /* document files whose decisions are missing */
    sb_init(&lost);
    uint64_t lost_files = 0, lost_docs = 0, lost_words = 0, new_files = 0, new_docs = 0, stale_left_out = 0;
    uint64_t stale_dec_files = 0, stale_dec_docs = 0, stale_dec_sets = 0;
    sbuf stale_dec;               /* document files whose decisions were made before they changed */
    sb_init(&stale_dec);
    const cJSON **decided = NULL; /* run.json's "documents" (each file's size and mtime then), sorted by name */
    size_t ndecided = 0;
    if (is_dir(w.attrs) && !(schema = schema_scan(w.attrs, e))) goto fail;
    int nsets = schema ? schema_nsets(schema) : 0;
    if (nsets > RPT_SETS) nsets = RPT_SETS;
    if (nsets && read_coverage(r, &w, files, nfiles, schema, nsets, e) < 0) goto fail;
    char dec_dir[4400];
    snprintf(dec_dir, sizeof dec_dir, "%s/assemble/decisions", w.state);
    char run_path[4500];
    snprintf(run_path, sizeof run_path, "%s/run.json", dec_dir);
    if (file_exists(run_path)) {
        /* assemble's rules in order, so a rule that excluded nothing still shows */
        if (!(run = read_json_file(run_path, e))) goto fail;
        if (cJSON_IsObject(get(run, "corpora"))) r->run_corpora = cJSON_Duplicate(get(run, "corpora"), 1);
        const cJSON *rules = get(get(run, "config"), "rules"), *it;
        cJSON_ArrayForEach(it, rules) {
            if (r->nrules < RPT_RULES && cJSON_IsString(it)) r->rule[r->nrules++] = dup_str(it->valuestring);
        }
        /* as audit: decisions whose corpora have since been replaced describe
         * another assemble run; the report shows them with a warning */
        cJSON_ArrayForEach(it, get(run, "corpora")) {
            const cJSON *path = get(it, "path"), *want = get(it, "index_sha256");
            if (!cJSON_IsString(path) || !cJSON_IsString(want) || r->stale) continue;
            char mp[4600];
            blalm_err ignored;
            snprintf(mp, sizeof mp, "%s/manifest.json", path->valuestring);
            int exists = file_exists(mp);
            if (!exists && corpora && it->string) {
                /* moved since (a copied job): --corpora holds a corpus of
                 * that name, which read_corpora compares with want */
                char cp[4600];
                if ((size_t)snprintf(cp, sizeof cp, "%s/%s/manifest.json", corpora, it->string) < sizeof cp &&
                    file_exists(cp))
                    continue;
            }
            cJSON *m = exists ? read_json_file(mp, &ignored) : NULL;
            const cJSON *have = get(get(m, "index"), "sha256");
            if (!exists) {   /* as audit says it: not another assemble run's */
                char msg[5000];
                snprintf(msg, sizeof msg, "%s: missing, but assemble wrote corpus '%s' there (run.json): moved or "
                         "deleted since? The funnel's fates cannot be checked against that corpus; move it back, or "
                         "give its new folder's parent as --corpora", mp, it->string ? it->string : "?");
                r->stale = dup_str(msg);
            } else if (!m) {   /* not "missing": it is there, but not a manifest to compare */
                char msg[5000];
                snprintf(msg, sizeof msg, "%s; so the assemble decisions cannot be matched to that corpus, and the "
                         "funnel and the examples' fates may be wrong (run blalm assemble again)", ignored.msg);
                r->stale = dup_str(msg);
            } else if (!cJSON_IsString(have) || strcmp(have->valuestring, want->valuestring)) {
                char msg[5000];
                snprintf(msg, sizeof msg, "%s: its index differs from the one the decisions recorded; these "
                         "decisions belong to another assemble run, so the funnel and the examples' fates may be "
                         "wrong (run blalm assemble again)", mp);
                r->stale = dup_str(msg);
            }
            cJSON_Delete(m);
        }
        /* as audit: every document file run.json lists has its decisions
         * (missing ones are counted below and named in a warning) */
        const cJSON *fl = get(run, "files");
        if (fl && !cJSON_IsArray(fl)) {
            err_set(e, "%s: \"files\": expected an array (the document files assemble decided)", run_path);
            goto fail;
        }
        if (fl) {
            listed = malloc(sizeof *listed * (size_t)(cJSON_GetArraySize(fl) + 1));
            if (!listed) abort();
            cJSON_ArrayForEach(it, fl) {
                if (!cJSON_IsString(it)) {
                    err_set(e, "%s: files[%zu]: expected a string (a document file's path)", run_path, nlisted);
                    goto fail;
                }
                listed[nlisted++] = it->valuestring;
            }
            qsort(listed, nlisted, sizeof *listed, cmp_cstr);
        }
        /* run.json records each document file's size and mtime (older
         * decisions do not: nothing to check). A file changed since,
         * whose sets were then remade (so none is stale), has decisions
         * made from other rows: they are left out of the join, as a stale
         * set's are, instead of failing it as misaligned */
        const cJSON *dd = get(run, "documents");
        if (dd && !cJSON_IsObject(dd)) {
            err_set(e, "%s: \"documents\": expected an object (each document file's size and mtime)", run_path);
            goto fail;
        }
        if (dd && !(decided = corpora_members_sorted(dd, &ndecided))) abort();
        warn_sets_changed(r, w.attrs, get(run, "attributes"));
    } else if (dir_has_entries(dec_dir) > 0) {
        char msg[9200];
        snprintf(msg, sizeof msg, "%s: missing, but %s holds decisions: without it they cannot be matched to "
                 "the corpora, so the funnel and the examples' fates may describe another assemble run "
                 "(audit refuses them; run blalm assemble again)", run_path, dec_dir);
        add_warning(r, "funnel", msg);
    }
    cJSON *sets[RPT_SETS + 1];
    for (size_t fi = 0; fi < nfiles; fi++) {
        const doc_file *f = &files[fi];
        joined j;
        j.n = 0;
        doc_identity id;
        int have_id = 0, file_stale = 0;
        for (int i = 0; i < nsets; i++) {
            attr_path_for(&w, schema_set(schema, i), f->rel, j.path[j.n], sizeof j.path[0]);
            if (!file_exists(j.path[j.n])) continue;
            if (!r->sets_refused) {   /* no stale set: each document file is hashed once */
                j.name[j.n++] = schema_set(schema, i);
                continue;
            }
            /* a stale set's file (the document file changed since it was
             * made: rows or ids may differ) is left out of the join; the
             * warning at the top of the page (read_coverage) names it */
            if (!have_id && doc_identity_of(f->path, &id, e) < 0) goto fail;
            have_id = 1;
            if (attr_record_stale(j.path[j.n], &id)) {
                stale_left_out++;
                file_stale = 1;
                continue;
            }
            j.name[j.n++] = schema_set(schema, i);
        }
        char stem[4096];
        doc_rel_stem(f->rel, stem, sizeof stem);
        int dec = -1;
        snprintf(j.path[j.n], sizeof j.path[0], "%s/%s.jsonl.zst", dec_dir, stem);
        int was_listed = listed && bsearch(&f->rel, listed, nlisted, sizeof *listed, cmp_cstr);
        int dec_stale = 0;
        if (!file_stale && ndecided) {
            int c = changed_since_assemble(f, decided, ndecided);
            if (c < 0) {
                err_set(e, "%s: documents.%s: expected {size, mtime}", run_path, f->rel);
                goto fail;
            }
            dec_stale = c;
        }
        if ((file_stale || dec_stale) && file_exists(j.path[j.n])) {
            /* assemble refuses stale sets, so its decisions were made before
             * the document file changed: left out of the join as well */
            stale_dec_files++;
            stale_dec_sets += file_stale;
            if (stale_dec_files <= 3) sb_printf(&stale_dec, "%s%s", stale_dec.len ? ", " : "", f->rel);
        } else if (file_exists(j.path[j.n])) {
            j.name[j.n] = "assemble";
            dec = j.n++;
            r->have_decisions = 1;
        } else if (was_listed && !file_stale && !dec_stale) {
            if (lost_files++ < 3) sb_printf(&lost, "%s%s (%s)", lost.len ? ", " : "", f->rel, j.path[j.n]);
        }
        if (listed && !was_listed) new_files++;
        const char *pp[RPT_SETS + 1];
        for (int i = 0; i < j.n; i++) pp[i] = j.path[i];
        doc_opts dopts = {.default_source = f->source, .id_stem = f->id_stem, .text_only = 1};
        attr_join *aj = attrj_open(f->path, &dopts, pp, j.name, j.n, e);
        if (!aj) goto fail;
        blalm_doc d;
        int rc;
        int nattr = dec >= 0 ? j.n - 1 : j.n;   /* the decisions are last */
        uint64_t docs0 = r->docs, words0 = r->words;
        int dd = -1;   /* the dedup set's index: its lines' bytes give its ids exactly */
        for (int i = 0; i < nattr; i++)
            if (!strcmp(j.name[i], "dedup")) dd = i;
        while ((rc = attrj_next(aj, &d, sets, e)) == 1) {
            size_t dlen = 0;
            const char *draw = dd >= 0 && sets[dd] ? attrj_raw(aj, dd, &dlen, NULL, NULL) : NULL;
            if (take_doc(r, f, &d, j.name, nattr, sets, dec >= 0 ? sets[dec] : NULL, draw, dlen, e) < 0) {
                const char *path;
                size_t len;
                uint64_t line;
                attrj_raw(aj, dec, &len, &path, &line);
                err_prefix(e, "%s:%llu", path, (unsigned long long)line);
                rc = -1;
                break;
            }
        }
        attrj_close(aj);
        if (rc < 0) goto fail;
        if (dec < 0 && was_listed && (file_stale || dec_stale)) stale_dec_docs += r->docs - docs0;
        else if (dec < 0 && was_listed) lost_docs += r->docs - docs0, lost_words += r->words - words0;
        if (listed && !was_listed) new_docs += r->docs - docs0;
    }
    {   /* attribute files and decisions whose document file is gone */
        char **stems = malloc(sizeof *stems * (nfiles + 1));
        if (!stems) abort();
        for (size_t fi = 0; fi < nfiles; fi++) {
            char stem[4096];
            doc_rel_stem(files[fi].rel, stem, sizeof stem);
            stems[fi] = dup_str(stem);
        }
        qsort(stems, nfiles, sizeof *stems, cmp_cstr);
        orphans o = {0};
        sb_init(&o.names);
        for (int i = 0; i < nsets; i++) {
            char d[4400];
            snprintf(d, sizeof d, "%s/%s", w.attrs, schema_set(schema, i));
            find_orphans(d, "", schema_set(schema, i), stems, nfiles, &o, 0);
        }
        find_orphans(dec_dir, "", "assemble decisions", stems, nfiles, &o, 0);
        if (o.n) {
            sbuf t;
            sb_init(&t);
            sb_printf(&t, "%llu attribute or decision file%s %s no document file in %s (%s%s): was a document "
                      "file deleted or moved? The figures below leave out their documents, and may not match "
                      "the corpora, the manifests or assemble's stats", (unsigned long long)o.n,
                      o.n == 1 ? "" : "s", o.n == 1 ? "has" : "have", w.docs, sb_cstr(&o.names),
                      o.n > 3 ? ", ..." : "");
            add_warning(r, "attributes", sb_cstr(&t));
            sb_free(&t);
        }
        sb_free(&o.names);
        for (size_t fi = 0; fi < nfiles; fi++) free(stems[fi]);
        free(stems);
    }
    count_cluster_ids(r);
    if (r->split_clusters) {
        char msg[400];
        snprintf(msg, sizeof msg, "%llu dedup cluster%s fewer documents here than dedup found in %s (the "
                 "others' document files are gone?): each counts as one cluster of the size dedup recorded",
                 (unsigned long long)r->split_clusters, r->split_clusters == 1 ? " has" : "s have",
                 r->split_clusters == 1 ? "it" : "them");
        add_warning(r, "dedup", msg);
    }
    if (stale_left_out) {
        char msg[300];
        snprintf(msg, sizeof msg, "stale attribute files left out of the figures below: %llu (each was made "
                 "before its document file changed)", (unsigned long long)stale_left_out);
        add_warning(r, "attributes", msg);
    }
    if (stale_dec_files) {
        sbuf t;
        sb_init(&t);
        sb_printf(&t, "%llu document file%s changed since assemble decided %s (%s%s): the funnel leaves out "
                  "their %llu documents; %srun blalm assemble again",
                  (unsigned long long)stale_dec_files, stale_dec_files == 1 ? "" : "s",
                  stale_dec_files == 1 ? "it" : "them", sb_cstr(&stale_dec), stale_dec_files > 3 ? ", ..." : "",
                  (unsigned long long)stale_dec_docs, stale_dec_sets ? "remake the stale attribute sets, then " : "");
        add_warning(r, "funnel", sb_cstr(&t));
        sb_free(&t);
    }
    if (lost_files) {
        sbuf t;
        sb_init(&t);
        sb_printf(&t, "the decisions of %llu document file%s that assemble decided (run.json lists them) are "
                  "missing, so the funnel leaves out their %llu documents (%llu words) and counts fewer than "
                  "the corpora hold: %s%s (audit refuses such decisions; run blalm assemble again)",
                  (unsigned long long)lost_files, lost_files == 1 ? "" : "s", (unsigned long long)lost_docs,
                  (unsigned long long)lost_words, sb_cstr(&lost), lost_files > 3 ? ", ..." : "");
        add_warning(r, "funnel", sb_cstr(&t));
        sb_free(&t);
    }
    if (new_files && r->have_decisions) {
        char msg[200];
        snprintf(msg, sizeof msg, "%llu document files (%llu documents) were added after assemble ran: the "
                 "funnel does not count them until blalm assemble runs again",
                 (unsigned long long)new_files, (unsigned long long)new_docs);
        add_warning(r, "funnel", msg);
    }
    {   /* the distilled scorer's training figures, where blalm run trained it */
        char p[4400];
        snprintf(p, sizeof p, "%s/distill/edu.distill.json", work);
        if (file_exists(p) && !(r->distill = read_json_file(p, e))) goto fail;
    }
    {   /* dedup's figures: ids that are not unique drop documents that differ */
        char p[4400];
        blalm_err ignored;
        snprintf(p, sizeof p, "%s/stats/dedup.json", work);
        cJSON *j = file_exists(p) ? read_json_file(p, &ignored) : NULL;
        const cJSON *by = j ? get(j, "exact_duplicates_by") : NULL;
        const cJSON *n = by ? get(by, "same_id_different_text") : NULL;
        const cJSON *id = by ? get(by, "id") : NULL;
        if (cJSON_IsNumber(n) && n->valuedouble > 0 && cJSON_IsNumber(id)) {
            char msg[600];
            snprintf(msg, sizeof msg, "%.0f of the %.0f documents dedup counted as exact duplicates for an "
                     "equal id have a different text from the first document with that id, and were dropped "
                     "all the same (ids that are not unique across files?); blalm dedup --no-exact-id, or "
                     "\"exact_id\": false in a run config's dedup section, turns that rule off (counts in %s)", n->valuedouble, id->valuedouble, p);
            add_warning(r, "dedup", msg);
        }
        cJSON_Delete(j);
    }
    r->work = work;
    free(listed);
    free(decided);
    cJSON_Delete(run);
    sb_free(&lost);
    sb_free(&stale_dec);
    schema_free(schema);
    docs_walk_free(files, nfiles);
    return 0;
fail:
    free(listed);
    free(decided);
    cJSON_Delete(run);
    sb_free(&lost);
    sb_free(&stale_dec);
    schema_free(schema);
    docs_walk_free(files, nfiles);
    return -1;
}

/* ---- corpora and run ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted names of dir's entries for which keep() holds; NULL on error. */
static char **list_dir(const char *dir, int (*keep)(const char *dir, const char *name), size_t *n,
                       blalm_err *e)
{
    DIR *d = opendir(dir);
    if (!d) {
        err_errno(e, "%s", dir);
        return NULL;
    }
    char **v = NULL;
    size_t cnt = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || !keep(dir, de->d_name)) continue;
        v = realloc(v, (cnt + 1) * sizeof *v);
        if (!v) abort();
        v[cnt++] = dup_str(de->d_name);
    }
    closedir(d);
    if (cnt) qsort(v, cnt, sizeof *v, cmp_str);
    *n = cnt;
    if (!v) v = calloc(1, sizeof *v);
    return v;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static int has_manifest(const char *dir, const char *name)
{
    char p[8200];
    snprintf(p, sizeof p, "%s/%s/manifest.json", dir, name);
    return file_exists(p);
}

static int read_corpora(rpt *r, const char *dir, blalm_err *e)
{
    if (!is_dir(dir)) return err_set(e, "%s: no such corpora directory", dir);
    size_t n;
    char **names = list_dir(dir, has_manifest, &n, e);
    if (!names) return -1;
    r->manifests = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        char p[8200];
        snprintf(p, sizeof p, "%s/%s/manifest.json", dir, names[i]);
        cJSON *m = read_json_file(p, e);
        if (!m) goto fail;
        if (!cJSON_IsNumber(get(m, "budget")) || !cJSON_IsNumber(get(m, "words")) ||
            !cJSON_IsObject(get(m, "sources"))) {
            cJSON_Delete(m);
            err_set(e, "%s: expected a manifest with \"budget\", \"words\" and \"sources\"", p);
            goto fail;
        }
        const cJSON *name = get(m, "corpus");
        if (name && !cJSON_IsString(name)) {
            cJSON_Delete(m);
            err_set(e, "%s: \"corpus\": expected a string (the corpus's name)", p);
            goto fail;
        }
        if (!name) cJSON_AddStringToObject(m, "corpus", names[i]);
        /* --corpora from another assemble run than the decisions': the
         * funnel's fates then do not describe these corpora */
        const char *cname = str_or(m, "corpus", names[i]);
        const cJSON *want = get(get(r->run_corpora, cname), "index_sha256"), *have = get(get(m, "index"), "sha256");
        if (r->run_corpora && cJSON_IsString(have) &&
            (!cJSON_IsString(want) || strcmp(want->valuestring, have->valuestring))) {
            sbuf t;
            sb_init(&t);
            if (cJSON_IsString(want))
                sb_printf(&t, "%s: corpus '%s' has index sha256 %.12s…, but the assemble decisions in WORK record "
                          "%.12s… for it: these corpora come from another assemble run, so the funnel's fates do "
                          "not describe them", p, cname, have->valuestring, want->valuestring);
            else
                sb_printf(&t, "%s: the assemble decisions in WORK record no corpus '%s': these corpora come from "
                          "another assemble run, so the funnel's fates do not describe them", p, cname);
            add_warning(r, "corpora", sb_cstr(&t));
            sb_free(&t);
        }
        cJSON_AddItemToArray(r->manifests, m);
    }
    free_list(names, n);
    return 0;
fail:
    free_list(names, n);
    return -1;
}

static int is_eval_json(const char *dir, const char *name)
{
    (void)dir;
    size_t n = strlen(name);
    return (n > 10 && !strcmp(name + n - 10, ".eval.json")) ||
           (n > 15 && !strcmp(name + n - 15, ".eval_fast.json"));
}

static int cmp_eval(const void *a, const void *b)
{
    const eval_file *x = a, *y = b;
    double wx = num_or_nan(x->j, "words_seen"), wy = num_or_nan(y->j, "words_seen");
    if (wx < wy) return -1;
    if (wx > wy) return 1;
    return strcmp(x->file, y->file);
}

static int read_log(rpt *r, const char *path, blalm_err *e)
{
    char *text;
    size_t len;
    if (read_file(path, &text, &len, e) < 0) return -1;
    size_t line = 0;
    int rc = 0;
    snprintf(r->loss.name, sizeof r->loss.name, "train loss");
    snprintf(r->dev_loss.name, sizeof r->dev_loss.name, "dev loss");
    for (char *s = text, *nl; s < text + len && !rc; s = nl + 1) {
        nl = memchr(s, '\n', (size_t)(text + len - s));
        if (!nl) nl = text + len;
        line++;
        size_t n = (size_t)(nl - s);
        if (!n) continue;
        cJSON *j = cJSON_ParseWithLength(s, n);
        const cJSON *step = get(j, "step");
        if ((!cJSON_IsObject(j) || !cJSON_IsNumber(step)) && nl == text + len) {
            /* a last line without its newline: the trainer writes each line
             * with its newline in one go, so this is a line being written
             * while we read (a report during training), not a corrupt log */
            fprintf(stderr, "blalm report: %s:%zu: the last line has no newline and is not a whole log line "
                            "(training is writing it); left out\n", path, line);
        } else if (!cJSON_IsObject(j) || !cJSON_IsNumber(step)) {
            rc = err_set(e, "%s:%zu: expected a JSON object with a numeric \"step\" (a training log line)",
                         path, line);
        } else {
            double x = step->valuedouble, v;
            if (isfinite(v = num_or_nan(j, "loss"))) series_add(&r->loss, x, v);
            if (isfinite(v = num_or_nan(j, "dev_loss"))) series_add(&r->dev_loss, x, v);
            const cJSON *al = get(j, "swa_alpha");
            if (cJSON_IsArray(al)) {
                int k = cJSON_GetArraySize(al);
                if (k > r->nalpha) {
                    r->alpha = realloc(r->alpha, (size_t)k * sizeof *r->alpha);
                    if (!r->alpha) abort();
                    for (int q = r->nalpha; q < k; q++) {
                        memset(&r->alpha[q], 0, sizeof r->alpha[q]);
                        snprintf(r->alpha[q].name, sizeof r->alpha[q].name, "layer %d", q);
                    }
                    r->nalpha = k;
                }
                for (int q = 0; q < k; q++) {
                    const cJSON *a = cJSON_GetArrayItem(al, q);
                    if (cJSON_IsNumber(a)) series_add(&r->alpha[q], x, a->valuedouble);
                }
            }
        }
        cJSON_Delete(j);
    }
    free(text);
    return rc;
}

static int read_run(rpt *r, const char *run, blalm_err *e)
{
    if (!is_dir(run)) return err_set(e, "%s: no such run directory", run);
    char p[8200];
    snprintf(p, sizeof p, "%s/log.jsonl", run);
    if (file_exists(p) && read_log(r, p, e) < 0) return -1;
    snprintf(p, sizeof p, "%s/config.json", run);
    if (file_exists(p)) {
        cJSON *c = read_json_file(p, e);
        if (!c) return -1;
        const cJSON *name = get(get(c, "model"), "name");
        if (!cJSON_IsString(name)) name = get(c, "name");
        if (cJSON_IsString(name)) r->run_model = dup_str(name->valuestring);
        cJSON_Delete(c);
    }
    char dir[8200];
    snprintf(dir, sizeof dir, "%s/checkpoints", run);
    if (!is_dir(dir)) return 0;
    size_t n;
    char **names = list_dir(dir, is_eval_json, &n, e);
    if (!names) return -1;
    r->evals = calloc(n + 1, sizeof *r->evals);   /* rpt_free frees what is read */
    if (!r->evals) abort();
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        cJSON *j = read_json_file(p, e);
        if (!j) {
            rc = -1;
        } else if (!cJSON_IsObject(get(j, "tasks"))) {
            rc = err_set(e, "%s: expected an eval.json with a \"tasks\" object", p);
            cJSON_Delete(j);
        } else {
            r->evals[r->nevals].j = j;
            r->evals[r->nevals++].file = dup_str(names[i]);
        }
    }
    if (!rc && r->nevals) qsort(r->evals, r->nevals, sizeof *r->evals, cmp_eval);
    free_list(names, n);
    return rc;
}

/* ---- HTML ------------------------------------------------------------------------ */

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"};
#define NPALETTE (sizeof palette / sizeof palette[0])
#define CHART_W 760
#define CHART_H 260

/* Code points that HTML's parser reports as errors wherever they stand
 * ("control-character-in-input-stream", "noncharacter-in-input-stream"):
 * the C1 controls and the noncharacters. The C0 controls and DEL are
 * handled byte by byte. */
static int html_disallowed(int32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe;
}

/* Text as HTML: invalid UTF-8 and control characters (C0, DEL, C1) and
 * noncharacters become U+FFFD, markup characters become entities, so any
 * document text is shown as text and the page parses without an error. */
static void esc_n(sbuf *b, const char *s, size_t n)
{
    char *clean = malloc(3 * n + 1);
    if (!clean) abort();
    size_t m;
    utf8_sanitize(s, n, clean, &m);
    for (size_t i = 0; i < m; i++) {
        unsigned char c = (unsigned char)clean[i];
        if (c >= 0x80) {   /* a valid sequence: utf8_sanitize made it so */
            int32_t cp;
            size_t k = utf8_decode_at((const unsigned char *)clean, m, i, &cp);
            if (html_disallowed(cp)) sb_adds(b, "\xef\xbf\xbd");
            else sb_add(b, clean + i, k);
            i += k - 1;
            continue;
        }
        switch (c) {
        case '&': sb_adds(b, "&amp;"); break;
        case '<': sb_adds(b, "&lt;"); break;
        case '>': sb_adds(b, "&gt;"); break;
        case '"': sb_adds(b, "&quot;"); break;
        case '\'': sb_adds(b, "&#39;"); break;
        default:
            if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) sb_adds(b, "\xef\xbf\xbd");
            else sb_addc(b, (char)c);
        }
    }
    free(clean);
}

static void esc(sbuf *b, const char *s) { esc_n(b, s, strlen(s)); }

static void fmt_count(char *out, size_t cap, double v)
{
    if (!isfinite(v)) snprintf(out, cap, "-");
    else if (fabs(v) >= 1e9) snprintf(out, cap, "%.2fG", v / 1e9);
    else if (fabs(v) >= 1e6) snprintf(out, cap, "%.2fM", v / 1e6);
    else if (fabs(v) >= 1e4) snprintf(out, cap, "%.1fk", v / 1e3);
    else if (v == floor(v)) snprintf(out, cap, "%.0f", v);
    else snprintf(out, cap, "%.4g", v);
}

static void chart_open(sbuf *b, const char *id, const char *title, int h)
{
    sb_printf(b, "<figure class=\"chart\" id=\"chart-%s\"><figcaption>", id);
    esc(b, title);
    sb_printf(b, "</figcaption>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                 "viewBox=\"0 0 %d %d\" role=\"img\">\n",
              CHART_W, h, CHART_W, h);
}

static void chart_close(sbuf *b) { sb_adds(b, "</svg></figure>\n"); }

static void svg_text(sbuf *b, double x, double y, const char *anchor, const char *s)
{
    sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", x, y, anchor);
    esc(b, s);
    sb_adds(b, "</text>\n");
}

static void legend(sbuf *b, const char *const *names, int n, int x0)
{
    for (int i = 0; i < n && i < 14; i++) {
        sb_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/>", x0, 16 + 16 * i,
                  palette[i % NPALETTE]);
        svg_text(b, x0 + 14, 25 + 16 * i, "start", names[i]);
    }
}

/* Grouped bars: ncat categories along x, nser series per category; v[s*ncat + c]. */
static void bar_chart(sbuf *b, const char *id, const char *title, const char *const *cats, int ncat,
                      const char *const *sers, int nser, const double *v, const char *ylabel)
{
    const int L = 60, R = 170, T = 12, B = 40, h = CHART_H;
    double max = 0;
    for (int i = 0; i < ncat * nser; i++)
        if (v[i] > max) max = v[i];
    if (max <= 0) max = 1;
    chart_open(b, id, title, h);
    double pw = CHART_W - L - R, ph = h - T - B, cw = pw / ncat, bw = cw * 0.8 / (nser ? nser : 1);
    sb_printf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", L, T + ph, L + pw, T + ph);
    sb_printf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\"/>\n", L, T, L, T + ph);
    for (int t = 0; t <= 2; t++) {
        char s[32];
        fmt_count(s, sizeof s, max * t / 2);
        svg_text(b, L - 4, T + ph - ph * t / 2 + 4, "end", s);
    }
    for (int c = 0; c < ncat; c++) {
        for (int s = 0; s < nser; s++) {
            double val = v[s * ncat + c], bh = ph * val / max;
            char tip[64];
            fmt_count(tip, sizeof tip, val);
            sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
                      L + c * cw + cw * 0.1 + s * bw, T + ph - bh, bw, bh, palette[s % NPALETTE]);
            esc(b, sers[s]);
            sb_adds(b, ", ");
            esc(b, cats[c]);   /* "<0" is a category: raw, it would start a tag */
            sb_printf(b, ": %s</title></rect>\n", tip);
        }
        svg_text(b, L + c * cw + cw / 2, T + ph + 16, "middle", cats[c]);
    }
    svg_text(b, L + pw / 2, h - 6, "middle", ylabel);
    legend(b, sers, nser, CHART_W - R + 12);
    chart_close(b);
}

/* The points of s to draw: all of them when there are at most
 * RPT_CHART_POINTS; else, in order, the lowest and the highest point of each
 * of RPT_CHART_POINTS / 2 - 1 runs of consecutive points, and the last point,
 * so that a long run's page stays small (every logged step drawn made pages
 * of tens of MB) while spikes still show. At most RPT_CHART_POINTS points. */
static size_t chart_points(const series *s, run_point *out)
{
    if (s->n <= RPT_CHART_POINTS) {
        if (s->n) memcpy(out, s->p, s->n * sizeof *out);
        return s->n;
    }
    size_t nb = RPT_CHART_POINTS / 2 - 1, m = 0;
    for (size_t q = 0; q < nb; q++) {
        size_t a = s->n * q / nb, z = s->n * (q + 1) / nb, lo = a, hi = a;
        for (size_t k = a + 1; k < z; k++) {
            if (s->p[k].y < s->p[lo].y) lo = k;
            if (s->p[k].y > s->p[hi].y) hi = k;
        }
        out[m++] = s->p[lo < hi ? lo : hi];
        if (lo != hi) out[m++] = s->p[lo < hi ? hi : lo];
    }
    if (out[m - 1].x != s->p[s->n - 1].x || out[m - 1].y != s->p[s->n - 1].y) out[m++] = s->p[s->n - 1];
    return m;
}

/* Lines of (x, y) points, with a dot at each point when there are few. */
static void line_chart(sbuf *b, const char *id, const char *title, const series *s, int ns,
                       const char *xlabel)
{
    const int L = 60, R = 170, T = 12, B = 40, h = CHART_H;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < ns; i++)
        for (size_t k = 0; k < s[i].n; k++) {
            x0 = fmin(x0, s[i].p[k].x), x1 = fmax(x1, s[i].p[k].x);
            y0 = fmin(y0, s[i].p[k].y), y1 = fmax(y1, s[i].p[k].y);
        }
    if (!(x1 > x0)) x0 -= 1, x1 += 1;
    if (!(y1 > y0)) y0 -= 0.5, y1 += 0.5;
    double pad = (y1 - y0) * 0.05;
    y0 -= pad, y1 += pad;
    double pw = CHART_W - L - R, ph = h - T - B;
    chart_open(b, id, title, h);
    sb_printf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", L, T + ph, L + pw, T + ph);
    sb_printf(b, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%.1f\"/>\n", L, T, L, T + ph);
    char t[32];
    for (int k = 0; k <= 2; k++) {
        fmt_count(t, sizeof t, y0 + (y1 - y0) * k / 2);
        svg_text(b, L - 4, T + ph - ph * k / 2 + 4, "end", t);
        fmt_count(t, sizeof t, x0 + (x1 - x0) * k / 2);
        svg_text(b, L + pw * k / 2, T + ph + 16, "middle", t);
    }
    svg_text(b, L + pw / 2, h - 6, "middle", xlabel);
    const char *names[64];
    run_point *pt = malloc(RPT_CHART_POINTS * sizeof *pt);
    if (!pt) abort();
    for (int i = 0; i < ns && i < 64; i++) {
        names[i] = s[i].name;
        const char *col = palette[i % NPALETTE];
        sb_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
        size_t np = chart_points(&s[i], pt);
        for (size_t k = 0; k < np; k++)
            sb_printf(b, "%.1f,%.1f ", L + pw * (pt[k].x - x0) / (x1 - x0), T + ph - ph * (pt[k].y - y0) / (y1 - y0));
        sb_adds(b, "\"/>\n");
        if (s[i].n <= 40)
            for (size_t k = 0; k < s[i].n; k++)
                sb_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>",
                          L + pw * (s[i].p[k].x - x0) / (x1 - x0),
                          T + ph - ph * (s[i].p[k].y - y0) / (y1 - y0), col);
    }
    free(pt);
    legend(b, names, ns < 64 ? ns : 64, CHART_W - R + 12);
    chart_close(b);
}

typedef struct hbar {
    char label[160];                  /* cut with an ellipsis where full is longer */
    const char *full;                 /* the whole label, or NULL when label holds it */
    double docs, words;
    const char *note;
} hbar;

/* label = text, cut on a code point boundary with an ellipsis when it does not
 * fit; full then points to text (which must outlive h). */
static void hbar_label(hbar *h, const char *prefix, const char *text)
{
    int n = snprintf(h->label, sizeof h->label, "%s%s", prefix, text);
    h->full = NULL;
    if (n < 0 || (size_t)n < sizeof h->label) return;
    size_t keep = utf8_prefix(h->label, sizeof h->label - 1, sizeof h->label - 4);
    memcpy(h->label + keep, "\u2026", 4);
    h->full = text;
}

/* One horizontal bar per row, length by words, labelled with documents and words. */
static void funnel_chart(sbuf *b, const char *id, const char *title, const hbar *rows, int n)
{
    const int L = 300, R = 170, T = 8, rowh = 22;
    int h = T + rowh * n + 10;
    double max = 0;
    for (int i = 0; i < n; i++) max = fmax(max, rows[i].words);
    if (max <= 0) max = 1;
    double pw = CHART_W - L - R;
    chart_open(b, id, title, h);
    for (int i = 0; i < n; i++) {
        double y = T + rowh * i, w = pw * rows[i].words / max;
        if (rows[i].full) {   /* the whole label as the cut one's tooltip */
            sb_printf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\"><title>", (double)(L - 6), y + 15);
            esc(b, rows[i].full);
            sb_adds(b, "</title>");
            esc(b, rows[i].label);
            sb_adds(b, "</text>\n");
        } else {
            svg_text(b, L - 6, y + 15, "end", rows[i].label);
        }
        sb_printf(b, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"16\" fill=\"%s\"/>", L, y + 2,
                  w > 0 && w < 1 ? 1.0 : w, palette[(rows[i].note ? 1 : 0)]);
        char d[32], wd[32], s[96];
        fmt_count(d, sizeof d, rows[i].docs);
        fmt_count(wd, sizeof wd, rows[i].words);
        snprintf(s, sizeof s, "%s docs, %s words", d, wd);
        svg_text(b, L + w + 6, y + 15, "start", s);
    }
    chart_close(b);
}

static void absent(sbuf *b, const char *what)
{
    sb_adds(b, "<p class=\"absent\">No data: ");
    esc(b, what);
    sb_adds(b, "</p>\n");
}

static void warning(sbuf *b, const char *text)
{
    sb_adds(b, "<p class=\"absent warning\">Warning: ");
    esc(b, text);
    sb_adds(b, "</p>\n");
}

/* The warning of a set that leaves document files out, where its data is shown. */
static int set_warning(sbuf *b, const rpt *r, const char *set)
{
    for (int i = 0; i < r->npartial; i++)
        if (!strcmp(r->partial_set[i], set)) {
            warning(b, r->partial_text[i]);
            return 1;
        }
    return 0;
}

static void section_warnings(sbuf *b, const rpt *r, const char *section)
{
    for (int i = 0; i < r->nwarn; i++)
        if (!strcmp(r->warn[i].section, section)) warning(b, r->warn[i].text);
}

/* A number in a table cell; "n/a" where there is none (a score eval wrote as
 * null, a key the file lacks), not "nan". */
static void num_cell(sbuf *b, double v)
{
    char s[48];
    if (!isfinite(v)) snprintf(s, sizeof s, "n/a");
    else if (v == floor(v) && fabs(v) < 1e15) snprintf(s, sizeof s, "%.0f", v);
    else snprintf(s, sizeof s, "%.4g", v);
    sb_printf(b, "<td class=\"n\">%s</td>", s);
}

static int stand_in(const char *model) { return strstr(model, "stand-in") != NULL; }

static void section_llm_model(sbuf *b, const rpt *r)
{
    sb_adds(b, "<section id=\"llm\"><h2>LLM scorer</h2>\n");
    set_warning(b, r, "edu_llm");
    if (!r->nllm_models) {
        absent(b, "no edu_llm attribute set with a model name (blalm score has not run on this work directory)");
    } else {
        sb_adds(b, "<ul>");
        for (int i = 0; i < r->nllm_models; i++) {
            sb_adds(b, "<li>model <code>");
            esc(b, r->llm_model[i]);
            sb_printf(b, "</code>: %llu documents", (unsigned long long)r->llm_model_docs[i]);
            if (stand_in(r->llm_model[i]))
                sb_adds(b, " <strong class=\"standin\">STAND-IN endpoint: the scores are not a model's "
                           "judgement</strong>");
            sb_adds(b, "</li>");
        }
        sb_printf(b, "</ul><p>%llu documents scored, %llu with an error.</p>\n",
                  (unsigned long long)r->llm_scored, (unsigned long long)r->llm_errors);
    }
    sb_adds(b, "</section>\n");
}

static void section_funnel(sbuf *b, const rpt *r)
{
    sb_adds(b, "<section id=\"funnel\"><h2>Funnel: documents and words through each rule</h2>\n");
    if (!r->have_decisions) {
        section_warnings(b, r, "funnel");   /* run.json lists files whose decisions are all missing */
        absent(b, "no assemble decisions under WORK/state/assemble/decisions (blalm assemble has not run)");
    } else {
        if (r->stale) {
            sb_adds(b, "<p class=\"absent\" id=\"stale\">Warning: ");
            esc(b, r->stale);
            sb_adds(b, "</p>\n");
        }
        section_warnings(b, r, "funnel");
        int n = 0;
        hbar rows[RPT_RULES + 4 + 3 * CORPORA_MAX * FATE_KINDS];
        double docs = (double)r->decided_docs, words = (double)r->decided_words;
        hbar_label(&rows[n], "all documents", "");
        rows[n].docs = docs, rows[n].words = words, rows[n++].note = NULL;
        for (int k = 0; k <= r->nrules; k++) {
            int slot = k < r->nrules ? k : RPT_RULES;
            if (k == r->nrules && !r->rule_docs[slot]) break;
            docs -= (double)r->rule_docs[slot];
            words -= (double)r->rule_words[slot];
            char prefix[48];
            snprintf(prefix, sizeof prefix, "passes rules[%d] ", k);
            if (k < r->nrules) hbar_label(&rows[n], prefix, r->rule[k] ? r->rule[k] : "?");
            else hbar_label(&rows[n], "has words", "");
            rows[n].docs = docs, rows[n].words = words, rows[n++].note = NULL;
        }
        for (int c = 0; c < r->nfates; c++) {
            for (int kind = 0; kind < FATE_KINDS; kind++) {
                if (!r->fates[c].docs[kind] && kind > 1) continue;
                snprintf(rows[n].label, sizeof rows[n].label, "%s: %s", r->fates[c].name, fate_kind_name[kind]);
                rows[n].full = NULL;
                rows[n].docs = (double)r->fates[c].docs[kind];
                rows[n].words = (double)r->fates[c].words[kind];
                rows[n++].note = kind > 1 ? "dropped" : NULL;
            }
        }
        funnel_chart(b, "funnel", "Documents left after each rule (bars: words), then each corpus's fates", rows, n);
        sb_adds(b, "<table><tr><th>step</th><th>documents</th><th>words</th></tr>\n");
        for (int i = 0; i < n; i++) {
            sb_adds(b, "<tr><td>");
            if (rows[i].full) {   /* the table has room for the whole rule */
                sb_printf(b, "passes rules[%d] ", i - 1);
                esc(b, rows[i].full);
            } else {
                esc(b, rows[i].label);
            }
            sb_adds(b, "</td>");
            num_cell(b, rows[i].docs);
            num_cell(b, rows[i].words);
            sb_adds(b, "</tr>\n");
        }
        sb_adds(b, "</table>\n");
    }
    if (r->nverdict) {
        sb_adds(b, "<h3>Tagger verdicts (each alone)</h3>\n");
        for (int i = 0; i < r->nverdict; i++) set_warning(b, r, r->verdict_set[i]);
        sb_adds(b, "<table><tr><th>set</th><th>pass</th><th>of</th></tr>\n");
        for (int i = 0; i < r->nverdict; i++) {
            sb_adds(b, "<tr><td>");
            esc(b, r->verdict_set[i]);
            sb_adds(b, "</td>");
            num_cell(b, (double)r->verdict_pass[i]);
            num_cell(b, (double)r->verdict_docs[i]);
            sb_adds(b, "</tr>\n");
        }
        sb_adds(b, "</table>\n");
    }
    sb_adds(b, "</section>\n");
}

/* the bins of a 0-5 score chart (LLM and local) */
static const char *const score_cats[LLM_BINS] = {"0", "1", "2", "3", "4", "5", "no score"};

static void section_histograms(sbuf *b, const rpt *r)
{
    const char *sers[RPT_SOURCES + 1];
    double v[(RPT_SOURCES + 1) * FRE_BINS];
    for (int s = 0; s < r->nsrc; s++) sers[s] = r->src[s].name;
    sb_adds(b, "<section id=\"scores\"><h2>LLM score per source</h2>\n");
    set_warning(b, r, "edu_llm");
    if (!r->have_llm) {
        absent(b, "no edu_llm attribute set (blalm score has not run)");
    } else {
        for (int s = 0; s < r->nsrc; s++)
            for (int c = 0; c < LLM_BINS; c++) v[s * LLM_BINS + c] = (double)r->src[s].llm[c];
        bar_chart(b, "llm-score", "Documents by LLM score (0-5), per source", score_cats, LLM_BINS, sers, r->nsrc, v,
                  "edu_llm.score");
    }
    sb_adds(b, "</section>\n<section id=\"readability\"><h2>Readability per source</h2>\n");
    set_warning(b, r, "readability");
    if (!r->have_fre) {
        absent(b, "no readability attribute set (blalm tag has not run)");
    } else {
        static const char *const cats[FRE_BINS] = {"<0", "0", "10", "20", "30", "40", "50",
                                                   "60", "70", "80", "90", "100+"};
        for (int s = 0; s < r->nsrc; s++)
            for (int c = 0; c < FRE_BINS; c++) v[s * FRE_BINS + c] = (double)r->src[s].fre[c];
        bar_chart(b, "readability", "Documents by Flesch reading ease (bins of 10), per source", cats, FRE_BINS,
                  sers, r->nsrc, v, "readability.flesch_reading_ease");
    }
    sb_adds(b, "</section>\n");
}

static void fig_row(sbuf *b, const char *label, const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    if (!v) return;
    sb_adds(b, "<tr><td>");
    esc(b, label);
    sb_adds(b, "</td>");
    if (cJSON_IsNumber(v)) {
        num_cell(b, v->valuedouble);
    } else {
        sb_adds(b, "<td>");
        if (cJSON_IsString(v)) esc(b, v->valuestring);
        else sb_adds(b, cJSON_IsTrue(v) ? "yes" : "no");
        sb_adds(b, "</td>");
    }
    sb_adds(b, "</tr>\n");
}

/* WORK/distill/edu.distill.json's training figures when they are those of
 * edu_local's model, else NULL (they describe another model). */
static const cJSON *local_figures(const rpt *r)
{
    const cJSON *m = get(r->distill, "model");
    return r->local_model && cJSON_IsString(m) && !strcmp(m->valuestring, r->local_model) ? r->distill : NULL;
}

/* edu_local was learnt from a stand-in endpoint's labels: its figures say it
 * learnt from edu_llm's, and an edu_llm model is a stand-in. */
static int local_stand_in(const rpt *r)
{
    const cJSON *fig = local_figures(r), *labels = get(fig, "labels");
    if (!cJSON_IsString(labels) || strncmp(labels->valuestring, "edu_llm.", 8)) return 0;
    for (int i = 0; i < r->nllm_models; i++)
        if (stand_in(r->llm_model[i])) return 1;
    return 0;
}

static void section_local(sbuf *b, const rpt *r)
{
    sb_adds(b, "<section id=\"local\"><h2>Local scorer (distilled)</h2>\n");
    set_warning(b, r, "edu_local");
    if (!r->local_docs) {
        absent(b, "no edu_local attribute set (blalm distill score has not run)");
        sb_adds(b, "</section>\n");
        return;
    }
    sb_adds(b, "<p>model <code>");
    esc(b, r->local_model ? r->local_model : "?");
    sb_printf(b, "</code>: %llu documents scored on the CPU", (unsigned long long)r->local_docs);
    const cJSON *fig = local_figures(r);
    const char *labels = fig ? str_or(fig, "labels", NULL) : NULL;
    if (labels) {
        sb_adds(b, ", learnt from the labels <code>");
        esc(b, labels);
        sb_adds(b, "</code>");
        if (local_stand_in(r)) sb_adds(b, " <strong class=\"standin\">(a STAND-IN endpoint's labels)</strong>");
    }
    sb_adds(b, ".</p>\n");
    if (r->distill && !fig) {
        /* WORK/distill/edu.distill.json describes the model blalm run trained;
         * edu_local was made by another (a distill score with another --model) */
        sbuf t;
        sb_init(&t);
        sb_printf(&t, "%s/distill/edu.distill.json holds the training figures of model %s, not of edu_local's "
                  "model %s: they are not shown", r->work, str_or(r->distill, "model", "(unnamed)"),
                  r->local_model ? r->local_model : "?");
        absent(b, sb_cstr(&t));
        sb_free(&t);
    }
    if (fig) {
        sb_adds(b, "<table><tr><th>training (blalm run's distill stage)</th><th></th></tr>\n");
        static const char *const rows[][2] = {
            {"labels", "labels"}, {"documents read", "documents"}, {"labelled documents used", "labelled"},
            {"unlabelled, skipped", "unlabelled_skipped"}, {"repeated ids left out", "duplicates_id"},
            {"repeated texts left out", "duplicates_text"}, {"model kind", "kind"}, {"lambda", "lambda"},
            {"cross-validation folds", "folds"}, {"cross-validated F1 at label >= 3", "cv_f1_at3"},
            {"cross-validated MAE", "cv_mae"}, {"word vectors", "embeddings"}};
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) fig_row(b, rows[i][0], fig, rows[i][1]);
        sb_adds(b, "</table>\n");
    }
    const char *sers[RPT_SOURCES + 1];
    double v[(RPT_SOURCES + 1) * LLM_BINS];
    for (int s = 0; s < r->nsrc; s++) {
        sers[s] = r->src[s].name;
        for (int c = 0; c < LLM_BINS; c++) v[s * LLM_BINS + c] = (double)r->src[s].local[c];
    }
    bar_chart(b, "local-score", "Documents by local score (int_score 0-5), per source", score_cats, LLM_BINS, sers,
              r->nsrc, v, "edu_local.int_score");
    sb_adds(b, "</section>\n");
}

static int cmp_size(const void *a, const void *b)
{
    const size_count *x = a, *y = b;
    return x->size < y->size ? -1 : x->size > y->size;
}

static void section_dedup(sbuf *b, rpt *r)
{
    sb_adds(b, "<section id=\"dedup\"><h2>Dedup cluster sizes</h2>\n");
    set_warning(b, r, "dedup");
    section_warnings(b, r, "dedup");
    if (!r->have_dedup) {
        absent(b, "no dedup attribute set (blalm dedup has not run)");
    } else {
        qsort(r->clusters, r->nclusters, sizeof *r->clusters, cmp_size);
        /* bins 1, 2, 3-4, 5-8, ..., so that one huge cluster does not hide the rest */
        const char *cats[24];
        char labels[24][32];
        double v[24] = {0};
        int nb = 0;
        for (size_t i = 0; i < r->nclusters; i++) {
            uint64_t s = r->clusters[i].size;
            int bin = 0;
            while (bin < 23 && (1ULL << bin) < s) bin++;
            if (bin + 1 > nb) nb = bin + 1;
            v[bin] += (double)r->clusters[i].clusters;
        }
        for (int i = 0; i < nb; i++) {
            uint64_t lo = i ? (1ULL << (i - 1)) + 1 : 1, hi = 1ULL << i;
            if (lo == hi) snprintf(labels[i], sizeof labels[i], "%llu", (unsigned long long)hi);
            else snprintf(labels[i], sizeof labels[i], "%llu-%llu", (unsigned long long)lo, (unsigned long long)hi);
            cats[i] = labels[i];
        }
        static const char *const sers[1] = {"clusters"};
        bar_chart(b, "dedup", "Clusters by size (documents per cluster)", cats, nb, sers, 1, v, "cluster size");
        sb_adds(b, "<table><tr><th>cluster size</th><th>clusters</th><th>documents</th></tr>\n");
        for (size_t i = 0; i < r->nclusters; i++) {
            sb_printf(b, "<tr><td>%llu</td>", (unsigned long long)r->clusters[i].size);
            num_cell(b, (double)r->clusters[i].clusters);
            num_cell(b, (double)r->clusters[i].docs);
            sb_adds(b, "</tr>\n");
        }
        sb_adds(b, "</table>\n");
    }
    sb_adds(b, "</section>\n");
}

/* Per corpus one stacked bar of words per source, the budget marked. */
static void section_corpora(sbuf *b, const rpt *r, const char *dir)
{
    sb_adds(b, "<section id=\"corpora\"><h2>Corpora: words per source against the budget</h2>\n");
    section_warnings(b, r, "corpora");
    int n = r->manifests ? cJSON_GetArraySize(r->manifests) : 0;
    if (!dir) absent(b, "no --corpora given");
    else if (!n) absent(b, "no corpus with a manifest.json under the --corpora folder");
    if (n) {
        const int L = 130, R = 170, T = 8, rowh = 34;
        int h = T + rowh * n + 10;
        double max = 1;
        const char *srcs[64];
        int nsrcs = 0;
        const cJSON *m, *it;
        cJSON_ArrayForEach(m, r->manifests) {
            max = fmax(max, fmax(num_or_nan(m, "budget"), num_or_nan(m, "words")));
            cJSON_ArrayForEach(it, get(m, "sources")) {
                int k = 0;
                while (k < nsrcs && strcmp(srcs[k], it->string)) k++;
                if (k == nsrcs && nsrcs < 64) srcs[nsrcs++] = it->string;
            }
        }
        double pw = CHART_W - L - R;
        chart_open(b, "corpora", "Training words per source (bars) and the word budget (black line)", h);
        int row = 0;
        cJSON_ArrayForEach(m, r->manifests) {
            double y = T + rowh * row++, x = L;
            svg_text(b, L - 6, y + 18, "end", get(m, "corpus")->valuestring);
            cJSON_ArrayForEach(it, get(m, "sources")) {
                int k = 0;
                while (k < nsrcs && strcmp(srcs[k], it->string)) k++;
                double w = pw * num_or_nan(it, "words") / max;
                if (!isfinite(w)) continue;
                sb_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"20\" fill=\"%s\"/>", x, y + 4, w,
                          palette[k % NPALETTE]);
                x += w;
            }
            double bx = L + pw * num_or_nan(m, "budget") / max;
            sb_printf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-width=\"3\"/>\n",
                      bx, y, bx, y + 28);
        }
        legend(b, srcs, nsrcs, CHART_W - R + 12);
        chart_close(b);
        sb_adds(b, "<table><tr><th>corpus</th><th>track</th><th>source</th><th>train words</th><th>documents</th>"
                   "<th>dev words</th><th>budget</th><th>fill</th></tr>\n");
        cJSON_ArrayForEach(m, r->manifests) {
            cJSON_ArrayForEach(it, get(m, "sources")) {
                sb_adds(b, "<tr><td>");
                esc(b, get(m, "corpus")->valuestring);
                sb_adds(b, "</td><td>");
                if (cJSON_IsString(get(m, "track"))) esc(b, get(m, "track")->valuestring);
                sb_adds(b, "</td><td>");
                esc(b, it->string);
                sb_adds(b, "</td>");
                num_cell(b, num_or_nan(it, "words"));
                num_cell(b, num_or_nan(it, "documents"));
                num_cell(b, num_or_nan(it, "dev_words"));
                num_cell(b, num_or_nan(m, "budget"));
                double fill = 100 * num_or_nan(it, "words") / num_or_nan(m, "budget");
                if (isfinite(fill)) sb_printf(b, "<td class=\"n\">%.1f%%</td></tr>\n", fill);
                else sb_adds(b, "<td class=\"n\">n/a</td></tr>\n");
            }
        }
        sb_adds(b, "</table>\n");
    }
    sb_adds(b, "</section>\n");
}

static void section_training(sbuf *b, const rpt *r, const char *run)
{
    sb_adds(b, "<section id=\"training\"><h2>Training</h2>\n");
    if (r->run_model) {
        sb_adds(b, "<p>model <code>");
        esc(b, r->run_model);
        sb_adds(b, "</code></p>\n");
    }
    if (!run) absent(b, "no --run given");
    else if (!r->loss.n && !r->dev_loss.n) absent(b, "no loss in RUN/log.jsonl (training has not logged)");
    else {
        series s[2] = {r->loss, r->dev_loss};
        line_chart(b, "loss", "Training and dev loss (nats per token)", s, 2, "step");
    }
    sb_adds(b, "<h3>DynMod &#945; per layer</h3>\n");
    if (!r->nalpha) absent(b, run ? "no swa_alpha in the training log (the model has no DynMod mixing)" : "no --run given");
    else line_chart(b, "alpha", "DynMod alpha per layer (swa_alpha)", r->alpha, r->nalpha, "step");
    sb_adds(b, "</section>\n");
}

/* A task's scores as eval prints them: its "score", or reading's two
 * ("eye_tracking" and "self_paced_reading"; reading has no "score"). Up to 2
 * into name[] (the task's name, reading's with the measure) and v[] (NaN
 * where eval wrote null). */
static int task_scores(const cJSON *t, char name[2][96], double v[2])
{
    if (!get(t, "score") && (get(t, "eye_tracking") || get(t, "self_paced_reading"))) {
        snprintf(name[0], sizeof name[0], "%s (eye tracking)", t->string);
        snprintf(name[1], sizeof name[1], "%s (self-paced)", t->string);
        v[0] = num_or_nan(t, "eye_tracking");
        v[1] = num_or_nan(t, "self_paced_reading");
        return 2;
    }
    snprintf(name[0], sizeof name[0], "%s", t->string);
    v[0] = num_or_nan(t, "score");
    return 1;
}

/* One row of the eval table: a task's score (one of reading's two) in one eval file. */
static void eval_row(sbuf *b, const eval_file *f, const cJSON *task, const char *name, double score)
{
    const cJSON *ev = f->j;
    sb_adds(b, "<tr><td>");
    esc(b, f->file);
    sb_adds(b, "</td><td>");
    if (cJSON_IsString(get(ev, "suite"))) esc(b, get(ev, "suite")->valuestring);
    sb_adds(b, "</td>");
    num_cell(b, floor(num_or_nan(ev, "words_seen")));
    sb_adds(b, "<td>");
    esc(b, name);
    sb_adds(b, "</td>");
    num_cell(b, score);
    /* eval's check of the data against the official item counts
     * and SHA256SUMS: a score on other data is no BabyLM score */
    const cJSON *od = get(task, "official_data"), *why;
    sb_adds(b, "<td>");
    if (cJSON_IsTrue(od)) sb_adds(b, "official");
    else if (cJSON_IsFalse(od) || cJSON_IsNull(od)) {
        sb_adds(b, cJSON_IsFalse(od) ? "<b>not the official data</b>" : "not checked");
        int k = 0;
        cJSON_ArrayForEach(why, get(task, "data_check")) {
            if (!cJSON_IsString(why) || cJSON_IsNull(od)) continue;
            sb_adds(b, k++ ? "; " : ": ");
            esc(b, why->valuestring);
        }
    } else sb_adds(b, "(not recorded)");
    sb_adds(b, "</td></tr>\n");
}

static void section_eval(sbuf *b, const rpt *r, const char *run)
{
    sb_adds(b, "<section id=\"eval\"><h2>Zero-shot evaluation across checkpoints</h2>\n");
    size_t n = r->nevals;
    if (!run) absent(b, "no --run given");
    else if (!n) absent(b, "no RUN/checkpoints/*.eval.json or *.eval_fast.json (blalm eval has not run)");
    if (n) {
        series task[32], field[32];
        int nt = 0, nf = 0;
        memset(task, 0, sizeof task);
        memset(field, 0, sizeof field);
        const cJSON *it;
        for (size_t i = 0; i < n; i++) {
            const cJSON *ev = r->evals[i].j;
            double x = num_or_nan(ev, "words_seen");
            const cJSON *suite = get(ev, "suite");
            const char *sfx = cJSON_IsString(suite) && !strcmp(suite->valuestring, "fast") ? " (fast)" : "";
            cJSON_ArrayForEach(it, get(ev, "tasks")) {
                char tn[2][96];
                double y[2];
                int ns = task_scores(it, tn, y);
                for (int q = 0; q < ns; q++) {
                    char name[96];
                    snprintf(name, sizeof name, "%s%s", tn[q], sfx);
                    int k = 0;
                    while (k < nt && strcmp(task[k].name, name)) k++;
                    if (k == nt && nt < 32) snprintf(task[nt++].name, sizeof task[0].name, "%s", name);
                    if (k < 32 && isfinite(y[q]) && isfinite(x)) series_add(&task[k], x, y[q]);
                }
            }
            const cJSON *f;
            cJSON_ArrayForEach(f, get(get(get(ev, "tasks"), "blimp"), "fields")) {
                char name[96];
                snprintf(name, sizeof name, "%s%s", f->string, sfx);
                int k = 0;
                while (k < nf && strcmp(field[k].name, name)) k++;
                if (k == nf && nf < 32) snprintf(field[nf++].name, sizeof field[0].name, "%s", name);
                if (k < 32 && cJSON_IsNumber(f) && isfinite(x)) series_add(&field[k], x, f->valuedouble);
            }
        }
        line_chart(b, "eval-tasks", "Task scores by words seen", task, nt, "words seen");
        if (nf) line_chart(b, "eval-blimp", "BLiMP accuracy per field by words seen", field, nf, "words seen");
        else absent(b, "no BLiMP fields in the eval.json files");
        sb_adds(b, "<table><tr><th>checkpoint</th><th>suite</th><th>words seen</th><th>task</th><th>score</th>"
                   "<th>data</th></tr>\n");
        for (size_t i = 0; i < n; i++) {
            cJSON_ArrayForEach(it, get(r->evals[i].j, "tasks")) {
                char tn[2][96];
                double y[2];
                int ns = task_scores(it, tn, y);
                for (int q = 0; q < ns; q++) eval_row(b, &r->evals[i], it, tn[q], y[q]);
            }
        }
        sb_adds(b, "</table>\n");
        for (int i = 0; i < 32; i++) free(task[i].p), free(field[i].p);
    }
    sb_adds(b, "</section>\n");
}

static void section_examples(sbuf *b, const rpt *r)
{
    sb_adds(b, "<section id=\"examples\"><h2>Example documents and the rule that decided each</h2>\n");
    if (!r->nex) absent(b, "no documents under WORK/docs");
    else {
        sb_adds(b, "<table class=\"ex\"><tr><th>fate</th><th>decided by</th><th>document</th><th>words</th>"
                   "<th>text (start)</th></tr>\n");
        for (int k = 1; k >= 0; k--)
            for (int i = 0; i < r->nex; i++) {
                const example *x = &r->ex[i];
                if (x->kept != k) continue;
                sb_printf(b, "<tr class=\"%s\"><td>%s</td><td>", k ? "kept" : "dropped", k ? "kept" : "dropped");
                esc(b, x->decision);
                sb_adds(b, "</td><td>");
                esc(b, x->id);
                sb_adds(b, "<br><small>");
                esc(b, x->where);
                sb_adds(b, "</small></td>");
                num_cell(b, (double)x->words);
                sb_adds(b, "<td><div class=\"text\">");
                esc(b, x->text);
                sb_adds(b, "</div></td></tr>\n");
            }
        sb_adds(b, "</table>\n");
    }
    sb_adds(b, "</section>\n");
}

/* The numbers behind the charts, for tests and other tools. '<' is escaped so
 * that no text can end the data block. */
static void data_json(sbuf *b, const rpt *r)
{
    cJSON *j = cJSON_CreateObject(), *o, *a;
    o = cJSON_AddObjectToObject(j, "work");
    cJSON_AddNumberToObject(o, "files", (double)r->files);
    cJSON_AddNumberToObject(o, "documents", (double)r->docs);
    cJSON_AddNumberToObject(o, "words", (double)r->words);
    if (r->have_decisions) {
        o = cJSON_AddObjectToObject(j, "funnel");
        cJSON_AddNumberToObject(o, "documents", (double)r->decided_docs);
        cJSON_AddNumberToObject(o, "words", (double)r->decided_words);
        a = cJSON_AddArrayToObject(o, "rules");
        for (int k = 0; k < r->nrules; k++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "rule", r->rule[k] ? r->rule[k] : "?");
            cJSON_AddNumberToObject(x, "excluded_documents", (double)r->rule_docs[k]);
            cJSON_AddNumberToObject(x, "excluded_words", (double)r->rule_words[k]);
            cJSON_AddItemToArray(a, x);
        }
        cJSON_AddNumberToObject(o, "no_words", (double)r->rule_docs[RPT_RULES]);
        cJSON_AddNumberToObject(o, "eligible_documents", (double)r->eligible_docs);
        cJSON_AddNumberToObject(o, "eligible_words", (double)r->eligible_words);
        cJSON *c = cJSON_AddObjectToObject(o, "corpora");
        for (int k = 0; k < r->nfates; k++) {
            cJSON *x = cJSON_AddObjectToObject(c, r->fates[k].name);
            for (int f = 0; f < FATE_KINDS; f++) {
                cJSON *y = cJSON_AddObjectToObject(x, fate_kind_name[f]);
                cJSON_AddNumberToObject(y, "documents", (double)r->fates[k].docs[f]);
                cJSON_AddNumberToObject(y, "words", (double)r->fates[k].words[f]);
            }
        }
    }
    o = cJSON_AddObjectToObject(j, "sources");
    for (int s = 0; s < r->nsrc; s++) {
        cJSON *x = cJSON_AddObjectToObject(o, r->src[s].name);
        cJSON_AddNumberToObject(x, "documents", (double)r->src[s].docs);
        cJSON_AddNumberToObject(x, "words", (double)r->src[s].words);
        double v[FRE_BINS];
        for (int k = 0; k < LLM_BINS; k++) v[k] = (double)r->src[s].llm[k];
        if (r->have_llm) cJSON_AddItemToObject(x, "llm_score", cJSON_CreateDoubleArray(v, LLM_BINS));
        for (int k = 0; k < LLM_BINS; k++) v[k] = (double)r->src[s].local[k];
        if (r->local_docs) cJSON_AddItemToObject(x, "local_score", cJSON_CreateDoubleArray(v, LLM_BINS));
        for (int k = 0; k < FRE_BINS; k++) v[k] = (double)r->src[s].fre[k];
        if (r->have_fre) cJSON_AddItemToObject(x, "flesch_reading_ease", cJSON_CreateDoubleArray(v, FRE_BINS));
    }
    if (r->have_dedup) {
        a = cJSON_AddArrayToObject(j, "clusters");
        for (size_t i = 0; i < r->nclusters; i++) {
            double v[2] = {(double)r->clusters[i].size, (double)r->clusters[i].clusters};
            cJSON_AddItemToArray(a, cJSON_CreateDoubleArray(v, 2));
        }
    }
    a = cJSON_AddArrayToObject(j, "llm_models");
    for (int i = 0; i < r->nllm_models; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "model", r->llm_model[i]);
        cJSON_AddNumberToObject(x, "documents", (double)r->llm_model_docs[i]);
        cJSON_AddBoolToObject(x, "stand_in", stand_in(r->llm_model[i]));
        cJSON_AddItemToArray(a, x);
    }
    if (r->local_docs) {
        o = cJSON_AddObjectToObject(j, "local_scorer");
        cJSON_AddStringToObject(o, "model", r->local_model ? r->local_model : "");
        cJSON_AddNumberToObject(o, "documents", (double)r->local_docs);
        if (local_figures(r)) cJSON_AddItemToObject(o, "training", cJSON_Duplicate(r->distill, 1));
        cJSON_AddBoolToObject(o, "stand_in", local_stand_in(r));
    }
    o = cJSON_AddObjectToObject(j, "run");
    cJSON_AddNumberToObject(o, "loss_points", (double)r->loss.n);
    cJSON_AddNumberToObject(o, "dev_loss_points", (double)r->dev_loss.n);
    cJSON_AddNumberToObject(o, "alpha_layers", r->nalpha);
    cJSON_AddNumberToObject(o, "eval_files", (double)r->nevals);
    cJSON_AddNumberToObject(j, "examples", r->nex);
    a = cJSON_AddArrayToObject(j, "verdicts");
    for (int i = 0; i < r->nverdict; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "set", r->verdict_set[i]);
        cJSON_AddNumberToObject(x, "pass", (double)r->verdict_pass[i]);
        cJSON_AddNumberToObject(x, "documents", (double)r->verdict_docs[i]);
        cJSON_AddItemToArray(a, x);
    }
    if (r->manifests) {   /* each corpus's budget, words and dev words, and its words per source */
        a = cJSON_AddArrayToObject(j, "corpora");
        const cJSON *m;
        cJSON_ArrayForEach(m, r->manifests) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "corpus", str_or(m, "corpus", ""));
            static const char *const keys[] = {"budget", "words", "documents"};
            for (size_t k = 0; k < 3; k++)
                if (cJSON_IsNumber(get(m, keys[k])))
                    cJSON_AddNumberToObject(x, keys[k], get(m, keys[k])->valuedouble);
            if (cJSON_IsObject(get(m, "dev"))) cJSON_AddItemToObject(x, "dev", cJSON_Duplicate(get(m, "dev"), 1));
            cJSON_AddItemToObject(x, "sources", cJSON_Duplicate(get(m, "sources"), 1));
            cJSON_AddItemToArray(a, x);
        }
    }
    a = cJSON_AddArrayToObject(j, "evals");   /* each eval file's tasks, as eval wrote them */
    for (size_t i = 0; i < r->nevals; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "file", r->evals[i].file);
        const cJSON *ws = get(r->evals[i].j, "words_seen");
        if (cJSON_IsNumber(ws)) cJSON_AddNumberToObject(x, "words_seen", ws->valuedouble);
        cJSON_AddItemToObject(x, "tasks", cJSON_Duplicate(get(r->evals[i].j, "tasks"), 1));
        cJSON_AddItemToArray(a, x);
    }
    if (r->coverage) cJSON_AddItemToObject(j, "attribute_sets", cJSON_Duplicate(r->coverage, 1));
    a = cJSON_AddArrayToObject(j, "warnings");
    if (r->stale) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "section", "funnel");
        cJSON_AddStringToObject(x, "text", r->stale);
        cJSON_AddItemToArray(a, x);
    }
    for (int i = 0; i < r->nwarn; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "section", r->warn[i].section);
        cJSON_AddStringToObject(x, "text", r->warn[i].text);
        cJSON_AddItemToArray(a, x);
    }
    for (int i = 0; i < r->npartial; i++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "set", r->partial_set[i]);
        cJSON_AddStringToObject(x, "text", r->partial_text[i]);
        cJSON_AddItemToArray(a, x);
    }
    char *raw = json_print(j, 0);
    cJSON_Delete(j);
    /* names (sources, sets) are bytes from the file system: valid UTF-8 only */
    size_t n = strlen(raw), m;
    char *t = malloc(3 * n + 1);
    if (!t) abort();
    utf8_sanitize(raw, n, t, &m);
    t[m] = 0;
    free(raw);
    sb_adds(b, "<script type=\"application/json\" id=\"report-data\">");
    for (size_t i = 0; i < m; i++) {
        unsigned char c = (unsigned char)t[i];
        int32_t cp;
        size_t k;
        if (c >= 0x80) {
            /* inside a JSON string (cJSON writes nothing else above ASCII):
             * a C1 control or noncharacter as \uXXXX, so that the value
             * stays exact and the page is valid HTML */
            k = utf8_decode_at((const unsigned char *)t, m, i, &cp);
            if (!html_disallowed(cp)) sb_add(b, t + i, k);
            else if (cp > 0xffff) sb_printf(b, "\\u%04x\\u%04x", 0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
            else sb_printf(b, "\\u%04x", cp);
            i += k - 1;
        } else if (c == '<') sb_adds(b, "\\u003c");
        else if (c == '>') sb_adds(b, "\\u003e");
        else if (c == '&') sb_adds(b, "\\u0026");
        else sb_addc(b, (char)c);
    }
    sb_adds(b, "</script>\n");
    free(t);
}

static const char css[] =
    "body{font:14px/1.4 sans-serif;margin:24px auto;max-width:1000px;color:#222;background:#fff}"
    "h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:4px;margin-top:32px}"
    "figure.chart{margin:12px 0;width:760px}figcaption{font-weight:bold;margin-bottom:4px}"
    "svg{display:block;background:#fff}svg text{font:11px sans-serif;fill:#333}"
    ".axis{stroke:#888;stroke-width:1}table{border-collapse:collapse;margin:8px 0}"
    "td,th{border:1px solid #ddd;padding:2px 6px;vertical-align:top;text-align:left;overflow-wrap:anywhere}td.n{text-align:right}"
    ".absent{color:#a33;font-style:italic}.standin{color:#b00}"
    "table.ex td .text{white-space:pre-wrap;max-width:520px;max-height:9em;overflow:hidden;font-size:12px}"
    "tr.kept td:first-child{color:#2a7a2a}tr.dropped td:first-child{color:#a33}";

static void page(sbuf *b, rpt *r, const struct report_opts *o)
{
    sb_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>blalm report: ");
    esc(b, o->work);
    sb_printf(b, "</title>\n<style>%s</style>\n</head><body>\n<h1>blalm report</h1>\n<p>work <code>", css);
    esc(b, o->work);
    sb_adds(b, "</code>");
    if (o->corpora) {
        sb_adds(b, ", corpora <code>");
        esc(b, o->corpora);
        sb_adds(b, "</code>");
    }
    if (o->run) {
        sb_adds(b, ", run <code>");
        esc(b, o->run);
        sb_adds(b, "</code>");
    }
    sb_printf(b, "; %llu document files, %llu documents, %llu words. Made by blalm %s.</p>\n",
              (unsigned long long)r->files, (unsigned long long)r->docs, (unsigned long long)r->words,
              BLALM_VERSION);
    /* problems with attribute sets that no section shows: stale or mixed
     * sets (audit refuses them), and partial sets without a section of their own */
    section_warnings(b, r, "attributes");
    for (int i = 0; i < r->npartial; i++) {
        const char *set = r->partial_set[i];
        int shown = !strcmp(set, "edu_llm") || !strcmp(set, "readability") || !strcmp(set, "edu_local") ||
                    !strcmp(set, "dedup");
        for (int k = 0; k < r->nverdict && !shown; k++) shown = !strcmp(r->verdict_set[k], set);
        if (!shown) warning(b, r->partial_text[i]);
    }
    section_llm_model(b, r);
    section_funnel(b, r);
    section_histograms(b, r);
    section_local(b, r);
    section_dedup(b, r);
    section_corpora(b, r, o->corpora);
    section_training(b, r, o->run);
    section_eval(b, r, o->run);
    section_examples(b, r);
    data_json(b, r);
    sb_adds(b, "</body></html>\n");
}

static void rpt_free(rpt *r)
{
    sb_free(&r->rawtmp);
    for (int i = 0; i < r->nverdict; i++) free(r->verdict_set[i]);
    for (int i = 0; i < r->nsrc; i++) free(r->src[i].name);
    for (int i = 0; i < r->nrules; i++) free(r->rule[i]), rule_free(r->parsed[i]);
    for (int i = 0; i < r->nllm_models; i++) free(r->llm_model[i]);
    free(r->llm_model);
    free(r->llm_model_docs);
    for (int i = 0; i < r->nex; i++) {
        example *x = &r->ex[i];
        free(x->id), free(x->source), free(x->where), free(x->text), free(x->decision), free(x->kind);
    }
    free(r->clusters);
    free(r->cl_ids);
    cJSON_Delete(r->manifests);
    for (size_t i = 0; i < r->nevals; i++) cJSON_Delete(r->evals[i].j), free(r->evals[i].file);
    free(r->evals);
    free(r->loss.p);
    free(r->dev_loss.p);
    for (int i = 0; i < r->nalpha; i++) free(r->alpha[i].p);
    free(r->alpha);
    free(r->run_model);
    free(r->stale);
    cJSON_Delete(r->run_corpora);
    for (int i = 0; i < r->nwarn; i++) free(r->warn[i].text);
    free(r->warn);
    for (int i = 0; i < r->npartial; i++) free(r->partial_set[i]), free(r->partial_text[i]);
    cJSON_Delete(r->coverage);
    free(r->local_model);
    cJSON_Delete(r->distill);
}

int report_build(const struct report_opts *o)
{
    blalm_err local, *e = o->err ? o->err : &local;
    if (!o->work || !o->out) return err_set(e, "report: work and out are required");
    rpt *r = calloc(1, sizeof *r);
    if (!r) return err_set(e, "report: out of memory");
    int rc = read_work(r, o->work, o->corpora, e);
    if (!rc && o->corpora) rc = read_corpora(r, o->corpora, e);
    if (!rc && o->run) rc = read_run(r, o->run, e);
    if (!rc) {
        sbuf b;
        sb_init(&b);
        page(&b, r, o);
        rc = write_file_atomic(o->out, b.data, b.len, e);
        sb_free(&b);
    }
    rpt_free(r);
    free(r);
    return rc;
}
