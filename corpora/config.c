/* config.c - the assembly config (corpora.json) and the attribute schema of
 * a work directory, both validated before anything is written. */
#include "corpora/corpora.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/attrsets.h"
#include "lib/config.h"
#include "lib/docs.h"
#include "lib/rules.h"
#include "lib/zio.h"

/* ---- schema ------------------------------------------------------------- */

typedef struct sset {
    char *name;
    char *dir;                 /* WORK/attributes/<name>, for find_key */
    char **keys;
    int nkeys;
} sset;

struct attr_schema {
    sset *sets;
    int n;
    blalm_err scan_err;        /* find_key's, when a lookup could not read the set */
    int scan_failed;
};

static int add_key(sset *s, const char *k)
{
    for (int i = 0; i < s->nkeys; i++)
        if (!strcmp(s->keys[i], k)) return 0;
    char **nk = realloc(s->keys, (size_t)(s->nkeys + 1) * sizeof *nk);
    if (!nk) return -1;
    s->keys = nk;
    s->keys[s->nkeys] = strdup(k);
    if (!s->keys[s->nkeys]) return -1;
    s->nkeys++;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Samples the keys of the first lines of a set's first attribute file: the
 * keys most configs name, known without reading the set (find_key reads the
 * files for any other). */
static int sample_keys(sset *s, const char *setdir, blalm_err *e)
{
    doc_file *files = NULL;
    size_t n = 0;
    if (docs_walk(setdir, &files, &n, e) < 0) return -1;
    int rc = 0;
    if (n > 0) {
        zreader *r = zr_open(files[0].path, e);
        if (!r) { rc = -1; goto out; }
        const char *line;
        size_t len;
        for (int i = 0; i < 200; i++) {
            int lr = zr_line(r, &line, &len, e);
            if (lr < 0) { rc = -1; break; }
            if (lr == 0) break;
            cJSON *o = cJSON_ParseWithLength(line, len);
            if (!o) {
                rc = err_set(e, "%s:%llu: attribute line is not valid JSON", files[0].path,
                             (unsigned long long)zr_lineno(r));
                break;
            }
            const cJSON *obj = cJSON_GetObjectItemCaseSensitive(o, s->name);
            for (const cJSON *it = obj ? obj->child : NULL; it; it = it->next)
                if (it->string && add_key(s, it->string) < 0) rc = err_set(e, "out of memory");
            cJSON_Delete(o);
            if (rc) break;
        }
        zr_close(r);
    }
out:
    docs_walk_free(files, n);
    return rc;
}

/* 1 when a line of one of the set's attribute files gives the set's object
 * the key, 0 when none does, -1 on a read or JSON error (e). For a key the
 * sample did not show: one present only where it applies (a score for some
 * documents) or only in a later file. It stops at the first line that has
 * it; a line that holds neither "key" nor a backslash (an escaped key) cannot
 * have it and is not parsed, so a key that is nowhere costs about one
 * decompression of the set. */
static int find_key(sset *s, const char *key, blalm_err *e)
{
    char needle[160];
    int plain = 1;         /* the key is written as is in JSON (no escapes) */
    for (const char *p = key; *p; p++)
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) plain = 0;
    int nl = snprintf(needle, sizeof needle, "\"%s\"", key);
    if (nl < 0 || (size_t)nl >= sizeof needle) plain = 0;
    doc_file *files = NULL;
    size_t n = 0;
    if (docs_walk(s->dir, &files, &n, e) < 0) return -1;
    int rc = 0;
    for (size_t fi = 0; fi < n && rc == 0; fi++) {
        zreader *r = zr_open(files[fi].path, e);
        if (!r) { rc = -1; break; }
        const char *line;
        size_t len;
        int lr;
        while (rc == 0 && (lr = zr_line(r, &line, &len, e)) == 1) {
            if (plain && !memmem(line, len, needle, (size_t)nl) && !memchr(line, '\\', len)) continue;
            cJSON *o = cJSON_ParseWithLength(line, len);
            if (!o) {
                rc = err_set(e, "%s:%llu: attribute line is not valid JSON", files[fi].path,
                             (unsigned long long)zr_lineno(r));
                break;
            }
            const cJSON *obj = cJSON_GetObjectItemCaseSensitive(o, s->name);
            if (cJSON_IsObject(obj) && cJSON_GetObjectItemCaseSensitive(obj, key))
                rc = add_key(s, key) < 0 ? err_set(e, "out of memory") : 1;
            cJSON_Delete(o);
        }
        if (rc == 0 && lr < 0) rc = -1;
        zr_close(r);
    }
    docs_walk_free(files, n);
    return rc;
}

attr_schema *schema_scan(const char *attrs_dir, blalm_err *e)
{
    attr_schema *s = calloc(1, sizeof *s);
    if (!s) { err_set(e, "out of memory"); return NULL; }
    DIR *d = opendir(attrs_dir);
    if (!d) return s;  /* no attributes at all: an empty schema */
    char **names = NULL;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char p[4352];
        snprintf(p, sizeof p, "%s/%s", attrs_dir, de->d_name);
        DIR *sub = opendir(p);
        if (!sub) continue;
        closedir(sub);
        char **nn = realloc(names, (size_t)(n + 1) * sizeof *nn);
        if (!nn) break;
        names = nn;
        names[n++] = strdup(de->d_name);
    }
    closedir(d);
    if (n) qsort(names, (size_t)n, sizeof *names, cmp_str);
    s->sets = calloc((size_t)(n ? n : 1), sizeof *s->sets);
    for (int i = 0; i < n; i++) {
        sset *ss = &s->sets[s->n++];
        ss->name = names[i];
        /* the registry's fixed keys (DESIGN.md §3), then what the files add */
        const char *const *fk = attrsets_fixed_keys(ss->name);
        for (int k = 0; fk && fk[k]; k++) add_key(ss, fk[k]);
        char p[4352];
        snprintf(p, sizeof p, "%s/%s", attrs_dir, ss->name);
        ss->dir = strdup(p);
        if (!ss->dir) {
            err_set(e, "out of memory");
            free(names);
            schema_free(s);
            return NULL;
        }
        if (sample_keys(ss, p, e) < 0) {
            err_prefix(e, "attribute set '%s'", ss->name);
            free(names);
            schema_free(s);
            return NULL;
        }
    }
    free(names);
    return s;
}

void schema_free(attr_schema *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) {
        for (int k = 0; k < s->sets[i].nkeys; k++) free(s->sets[i].keys[k]);
        free(s->sets[i].keys);
        free(s->sets[i].name);
        free(s->sets[i].dir);
    }
    free(s->sets);
    free(s);
}

static const sset *find_set(const attr_schema *s, const char *set)
{
    for (int i = 0; s && i < s->n; i++)
        if (!strcmp(s->sets[i].name, set)) return &s->sets[i];
    return NULL;
}

int schema_has_set(const attr_schema *s, const char *set) { return find_set(s, set) != NULL; }
int schema_nsets(const attr_schema *s) { return s ? s->n : 0; }
const char *schema_set(const attr_schema *s, int i) { return s->sets[i].name; }

int schema_known(void *schema, const char *set, const char *key)
{
    attr_schema *s = schema;
    sset *ss = (sset *)find_set(s, set);
    if (!ss) return -1;
    for (int i = 0; i < ss->nkeys; i++)
        if (!strcmp(ss->keys[i], key)) return 1;
    /* not in the registry or the sample: the files decide (a read error is
     * kept for the caller, schema_error, which the rule check cannot pass) */
    if (!ss->dir || s->scan_failed) return 0;
    int k = find_key(ss, key, &s->scan_err);
    if (k < 0) {
        err_prefix(&s->scan_err, "attribute set '%s'", ss->name);
        s->scan_failed = 1;
        return 0;
    }
    return k;
}

const char *schema_error(const attr_schema *s)
{
    return s && s->scan_failed ? s->scan_err.msg : NULL;
}

/* ---- config --------------------------------------------------------------- */

int corpora_subset_dev_orphan(const corpora_config *c, int k)
{
    const corpus_spec *sp = &c->corpora[k];
    return sp->parent >= 0 && sp->dev_words > 0 && c->corpora[sp->parent].dev_words == 0;
}

uint64_t track_words(const char *track)
{
    if (!track) return 0;
    if (!strcmp(track, "strict")) return TRACK_STRICT_WORDS;
    if (!strcmp(track, "strict-small")) return TRACK_STRICT_SMALL_WORDS;
    return 0;
}

static int valid_name(const char *s)
{
    if (!*s || *s == '.' || strlen(s) >= 64) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.') return 0;
    return 1;
}

static int get_count(const cJSON *obj, const char *key, uint64_t dflt, uint64_t *out,
                     const char *where, blalm_err *e)
{
    double v;
    if (config_number(obj, key, (double)dflt, &v, where, e) < 0) return -1;
    /* below 2^53 only: a double holds every integer up to it, but from it on
     * 9007199254740993 reads as 9007199254740992 (a seed silently another) */
    if (!(v >= 0) || v != floor(v) || v >= 9007199254740992.0)
        return err_set(e, "%s: \"%s\" must be an integer from 0 to 9007199254740991 (2^53 - 1: "
                          "a larger one is not read exactly)", where, key);
    *out = (uint64_t)v;
    return 0;
}

/* "set.key" into rank key; order given separately. */
static int parse_ref(const char *s, char *set, char *key, const char *where, blalm_err *e)
{
    const char *dot = strchr(s, '.');
    if (!dot || dot == s || !dot[1] || (size_t)(dot - s) >= 64 || strlen(dot + 1) >= 64)
        return err_set(e, "%s: expected set.key, got \"%s\"", where, s);
    memcpy(set, s, (size_t)(dot - s));
    set[dot - s] = 0;
    snprintf(key, 64, "%s", dot + 1);
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
            return err_set(e, "%s: expected set.key, got \"%s\"", where, s);
    return 0;
}

static int add_rank(corpora_config *c, const char *spec, const char *where, blalm_err *e)
{
    if (c->nranking >= CORPORA_MAX_RANK)
        return err_set(e, "%s: at most %d ranking keys", where, CORPORA_MAX_RANK);
    char ref[160], order[32] = "desc";
    int n = sscanf(spec, "%159s %31s", ref, order);
    if (n < 1) return err_set(e, "%s: empty ranking key", where);
    char extra[8];
    if (sscanf(spec, "%*s %*s %7s", extra) == 1)
        return err_set(e, "%s: expected \"set.key [asc|desc]\", got \"%s\"", where, spec);
    rank_key *rk = &c->ranking[c->nranking];
    if (parse_ref(ref, rk->set, rk->key, where, e) < 0) return -1;
    if (!strcmp(order, "desc")) rk->desc = 1;
    else if (!strcmp(order, "asc")) rk->desc = 0;
    else return err_set(e, "%s: unknown order \"%s\" (expected asc or desc)", where, order);
    c->nranking++;
    return 0;
}

static void add_corpus(corpora_config *c, const char *name, uint64_t budget, uint64_t dev,
                       const char *track, int parent)
{
    corpus_spec *cs = &c->corpora[c->ncorpora++];
    snprintf(cs->name, sizeof cs->name, "%s", name);
    cs->budget = budget;
    cs->dev_words = dev;
    snprintf(cs->track, sizeof cs->track, "%s", track ? track : "");
    cs->parent = parent;
}

static int add_rule(corpora_config *c, const char *src, blalm_err *e)
{
    if (c->nrules >= CORPORA_MAX_RULES) return err_set(e, "at most %d rules", CORPORA_MAX_RULES);
    c->rules[c->nrules] = strdup(src);
    if (!c->rules[c->nrules]) return err_set(e, "out of memory");
    c->nrules++;
    return 0;
}

static int defaults(corpora_config *c, const attr_schema *schema, blalm_err *e)
{
    c->defaults = 1;
    add_corpus(c, "strict", TRACK_STRICT_WORDS, 1000000, "strict", -1);
    add_corpus(c, "strict-small", TRACK_STRICT_SMALL_WORDS, 100000, "strict-small", 0);
    /* every registered set with a document verdict (gopher_quality,
     * gopher_repetition, c4, fineweb: attrsets.h) that is present */
    char buf[128];
    for (int i = 0; i < attrsets_count(); i++) {
        const char *set = attrsets_at(i)->name;
        if (attrsets_has_fixed_key(set, "pass") == 1 && schema_has_set(schema, set)) {
            snprintf(buf, sizeof buf, "%s.pass", set);
            if (add_rule(c, buf, e) < 0) return -1;
        }
    }
    if (schema_has_set(schema, "edu_llm")) {
        if (add_rule(c, "edu_llm.score >= 3", e) < 0) return -1;
        if (add_rank(c, "edu_llm.score desc", "defaults", e) < 0) return -1;
    }
    if (schema_has_set(schema, "readability") &&
        add_rank(c, "readability.flesch_reading_ease desc", "defaults", e) < 0)
        return -1;
    return 0;
}

static int parse_corpora(corpora_config *c, const cJSON *arr, const char *file, blalm_err *e)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
        return err_set(e, "%s: \"corpora\" must be a non-empty array", file);
    if (cJSON_GetArraySize(arr) > CORPORA_MAX)
        return err_set(e, "%s: at most %d corpora", file, CORPORA_MAX);
    static const char *const allowed[] = {"name", "budget", "dev_words", "track", "subset_of",
                                          NULL};
    int i = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        char where[256];
        snprintf(where, sizeof where, "%s: corpora[%d]", file, i);
        if (!cJSON_IsObject(it)) return err_set(e, "%s: expected an object", where);
        if (config_check_keys(it, allowed, where, e) < 0) return -1;
        const char *name, *track, *parent;
        if (config_string(it, "name", NULL, &name, where, e) < 0) return -1;
        if (!name) return err_set(e, "%s: \"name\" is required", where);
        if (!valid_name(name))
            return err_set(e, "%s: name \"%s\" must be letters, digits, '-', '_', '.'", where,
                           name);
        for (int k = 0; k < c->ncorpora; k++)
            if (!strcmp(c->corpora[k].name, name))
                return err_set(e, "%s: corpus \"%s\" named twice", where, name);
        /* a corpus named after a track gets that track's defaults */
        uint64_t tw = track_words(name);
        const cJSON *tj = cJSON_GetObjectItemCaseSensitive(it, "track");
        if (cJSON_IsNull(tj)) {
            /* null is "no track" (the manifest's recorded config says so for
             * a corpus without one), but a corpus named after a track keeps
             * it: a folder strict/ holding 150M words would pass for one */
            if (tw)
                return err_set(e, "%s: corpus \"%s\" is held to the %s track: \"track\": null "
                                  "would lift its limit (give the corpus another name)",
                               where, name, name);
            track = NULL;
        } else if (config_string(it, "track", tw ? name : NULL, &track, where, e) < 0) {
            return -1;
        }
        /* "" is no track name either: it once turned the limit off */
        if (track && !track_words(track))
            return err_set(e, "%s: unknown track \"%s\" (expected strict or strict-small)",
                           where, track);
        /* nor may a corpus named after one track claim the other's limit: a
         * folder strict-small holding 100M words would mislead every reader */
        if (tw && track && strcmp(track, name))
            return err_set(e, "%s: corpus \"%s\" is held to the %s track, not \"track\": \"%s\" "
                              "(name it otherwise to use that track)",
                           where, name, name, track);
        uint64_t dflt_budget = track ? track_words(track) : 0;
        uint64_t budget, dev;
        if (get_count(it, "budget", dflt_budget, &budget, where, e) < 0) return -1;
        if (budget == 0) return err_set(e, "%s: \"budget\" is required (words, > 0)", where);
        if (budget > 4000000000ULL)
            return err_set(e, "%s: budget %llu above 4,000,000,000 words", where,
                           (unsigned long long)budget);
        if (track && budget > track_words(track))
            return err_set(e, "%s: budget %llu above the %s track limit of %llu words", where,
                           (unsigned long long)budget, track,
                           (unsigned long long)track_words(track));
        if (get_count(it, "dev_words", budget / 100, &dev, where, e) < 0) return -1;
        if (dev > 4000000000ULL) return err_set(e, "%s: dev_words too large", where);
        int pidx = -1;
        const cJSON *pj = cJSON_GetObjectItemCaseSensitive(it, "subset_of");
        if (pj && !cJSON_IsNull(pj)) {
            if (config_string(it, "subset_of", NULL, &parent, where, e) < 0) return -1;
            for (int k = 0; k < c->ncorpora; k++)
                if (!strcmp(c->corpora[k].name, parent)) pidx = k;
            if (pidx < 0)
                return err_set(e, "%s: subset_of \"%s\" names no earlier corpus", where, parent);
        } else if (!pj && !strcmp(name, "strict-small")) {
            for (int k = 0; k < c->ncorpora; k++)
                if (!strcmp(c->corpora[k].name, "strict")) pidx = k;
        }
        add_corpus(c, name, budget, dev, track, pidx);
        i++;
    }
    return 0;
}

static int check_rules(corpora_config *c, attr_schema *schema, const char *file,
                       blalm_err *e)
{
    for (int i = 0; i < c->nrules; i++) {
        rule *r = rule_parse(c->rules[i], e);
        if (!r) return err_prefix(e, "%s: rules[%d]", file, i);
        int rc = rule_check(r, schema_known, schema, e);
        rule_free(r);
        if (rc < 0 && schema_error(schema)) return err_set(e, "%s", schema_error(schema));
        if (rc < 0) return err_prefix(e, "%s: rules[%d]", file, i);
    }
    for (int i = 0; i < c->nranking; i++) {
        int k = schema_known(schema, c->ranking[i].set, c->ranking[i].key);
        if (schema_error(schema)) return err_set(e, "%s", schema_error(schema));
        if (k < 0)
            return err_set(e, "%s: ranking[%d]: unknown attribute set \"%s\" (present: %s)",
                           file, i, c->ranking[i].set, schema_nsets(schema) ? "see WORK/attributes" : "none");
        if (k == 0)
            return err_set(e, "%s: ranking[%d]: unknown key \"%s\" in attribute set \"%s\"",
                           file, i, c->ranking[i].key, c->ranking[i].set);
    }
    return 0;
}

int corpora_config_load(corpora_config *c, const char *path, const attr_schema *schema,
                        const char *track_limit, blalm_err *e)
{
    memset(c, 0, sizeof *c);
    c->dedup = 1;
    snprintf(c->text_field, sizeof c->text_field, "text");
    snprintf(c->id_field, sizeof c->id_field, "id");
    if (track_limit && !track_words(track_limit))
        return err_set(e, "unknown track \"%s\" (expected strict or strict-small)", track_limit);
    char file_l[4200];   /* for messages: the file, or "FILE: corpora" for a run config */
    snprintf(file_l, sizeof file_l, "%s", path ? path : "defaults");
    const char *file = file_l;
    if (!path) {
        if (defaults(c, schema, e) < 0) return -1;
    } else {
        cJSON *root = config_load(path, e);
        if (!root) return -1;
        int rc = -1;
        /* a run config: its "corpora" member (an object, where this format's own
         * "corpora" is an array) is this config */
        const cJSON *cfg = root;
        const cJSON *member = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "corpora") : NULL;
        if (cJSON_IsObject(member)) {
            cfg = member;
            snprintf(file_l, sizeof file_l, "%s: corpora", path);
        }
        static const char *const allowed[] = {"corpora", "rules", "ranking", "sources", "seed",
                                              "dedup", "cut_last", "text_field", "id_field",
                                              NULL};
        if (!cJSON_IsObject(cfg)) { err_set(e, "%s: expected a JSON object", file_l); goto done; }
        if (config_check_keys(cfg, allowed, file_l, e) < 0) goto done;
        const cJSON *cj = cJSON_GetObjectItemCaseSensitive(cfg, "corpora");
        if (cj) {
            if (parse_corpora(c, cj, file_l, e) < 0) goto done;
        } else {
            add_corpus(c, "strict", TRACK_STRICT_WORDS, 1000000, "strict", -1);
            add_corpus(c, "strict-small", TRACK_STRICT_SMALL_WORDS, 100000, "strict-small", 0);
        }
        const cJSON *rj = cJSON_GetObjectItemCaseSensitive(cfg, "rules"), *it;
        if (rj && !cJSON_IsArray(rj)) {
            err_set(e, "%s: \"rules\" must be an array of strings", file_l);
            goto done;
        }
        int i = 0;
        cJSON_ArrayForEach(it, rj) {
            if (!cJSON_IsString(it)) {
                err_set(e, "%s: rules[%d] must be a string", file_l, i);
                goto done;
            }
            if (add_rule(c, it->valuestring, e) < 0) goto done;
            i++;
        }
        const cJSON *kj = cJSON_GetObjectItemCaseSensitive(cfg, "ranking");
        if (kj && !cJSON_IsArray(kj)) {
            err_set(e, "%s: \"ranking\" must be an array", file_l);
            goto done;
        }
        i = 0;
        cJSON_ArrayForEach(it, kj) {
            char where[256];
            snprintf(where, sizeof where, "%s: ranking[%d]", file_l, i);
            if (cJSON_IsString(it)) {
                if (add_rank(c, it->valuestring, where, e) < 0) goto done;
            } else if (cJSON_IsObject(it)) {
                static const char *const rk_allowed[] = {"key", "order", NULL};
                const char *key, *order;
                char spec[256];
                if (config_check_keys(it, rk_allowed, where, e) < 0 ||
                    config_string(it, "key", NULL, &key, where, e) < 0 ||
                    config_string(it, "order", "desc", &order, where, e) < 0)
                    goto done;
                if (!key) { err_set(e, "%s: \"key\" is required", where); goto done; }
                snprintf(spec, sizeof spec, "%s %s", key, order);
                if (add_rank(c, spec, where, e) < 0) goto done;
            } else {
                err_set(e, "%s: expected \"set.key desc\" or {\"key\", \"order\"}", where);
                goto done;
            }
            i++;
        }
        const cJSON *sj = cJSON_GetObjectItemCaseSensitive(cfg, "sources");
        if (sj && !cJSON_IsObject(sj)) {
            err_set(e, "%s: \"sources\" must be an object {source: {weight, max_words}}", file_l);
            goto done;
        }
        cJSON_ArrayForEach(it, sj) {
            char where[256];
            snprintf(where, sizeof where, "%s: sources.%s", file_l, it->string);
            static const char *const s_allowed[] = {"weight", "max_words", NULL};
            if (!cJSON_IsObject(it)) { err_set(e, "%s: expected an object", where); goto done; }
            if (config_check_keys(it, s_allowed, where, e) < 0) goto done;
            if (c->nsources >= CORPORA_MAX_SOURCES) {
                err_set(e, "%s: too many sources", file_l);
                goto done;
            }
            source_quota *q = &c->sources[c->nsources];
            snprintf(q->name, sizeof q->name, "%s", it->string);
            if (config_number(it, "weight", 0, &q->weight, where, e) < 0) goto done;
            if (!(q->weight >= 0) || !isfinite(q->weight)) {
                err_set(e, "%s: weight must be >= 0", where);
                goto done;
            }
            if (get_count(it, "max_words", 0, &q->max_words, where, e) < 0) goto done;
            c->nsources++;
        }
        uint64_t seed;
        int b;
        const char *s;
        if (get_count(cfg, "seed", 0, &seed, file_l, e) < 0) goto done;
        c->seed = seed;
        if (config_bool(cfg, "dedup", 1, &b, file_l, e) < 0) goto done;
        c->dedup = b;
        if (config_bool(cfg, "cut_last", 0, &b, file_l, e) < 0) goto done;
        c->cut_last = b;
        if (config_string(cfg, "text_field", "text", &s, file_l, e) < 0) goto done;
        snprintf(c->text_field, sizeof c->text_field, "%s", s);
        if (config_string(cfg, "id_field", "id", &s, file_l, e) < 0) goto done;
        snprintf(c->id_field, sizeof c->id_field, "%s", s);
        rc = 0;
    done:
        cJSON_Delete(root);
        if (rc < 0) { corpora_config_free(c); return -1; }
    }
    if (track_limit) {
        for (int i = 0; i < c->ncorpora; i++) {
            if (c->corpora[i].budget > track_words(track_limit)) {
                err_set(e, "%s: corpus \"%s\": budget %llu above the %s track limit of %llu words",
                        file, c->corpora[i].name, (unsigned long long)c->corpora[i].budget,
                        track_limit, (unsigned long long)track_words(track_limit));
                corpora_config_free(c);
                return -1;
            }
            /* a corpus of no track of its own is held to --track's: its
             * manifest records it, so verify checks the limit too */
            if (!c->corpora[i].track[0])
                snprintf(c->corpora[i].track, sizeof c->corpora[i].track, "%s", track_limit);
        }
    }
    /* the schema is const to the caller, but schema_known may learn keys
     * from the files (a cache of what they hold, not a change to them) */
    /* no schema: the attribute sets are not made yet (blalm run checks a
     * config before its stages): the rules' and keys' syntax only */
    if (schema && check_rules(c, (attr_schema *)schema, file, e) < 0) { corpora_config_free(c); return -1; }
    if (!schema)
        for (int i = 0; i < c->nrules; i++) {
            rule *r = rule_parse(c->rules[i], e);
            if (!r) {
                err_prefix(e, "%s: rules[%d]", file, i);
                corpora_config_free(c);
                return -1;
            }
            rule_free(r);
        }
    return 0;
}

void corpora_config_free(corpora_config *c)
{
    for (int i = 0; i < c->nrules; i++) free(c->rules[i]);
    c->nrules = 0;
}

char *corpora_config_json(const corpora_config *c)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(o, "corpora");
    for (int i = 0; i < c->ncorpora; i++) {
        const corpus_spec *cs = &c->corpora[i];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "name", cs->name);
        cJSON_AddNumberToObject(x, "budget", (double)cs->budget);
        cJSON_AddNumberToObject(x, "dev_words", (double)cs->dev_words);
        if (cs->track[0]) cJSON_AddStringToObject(x, "track", cs->track);
        else cJSON_AddNullToObject(x, "track");
        if (cs->parent >= 0) cJSON_AddStringToObject(x, "subset_of", c->corpora[cs->parent].name);
        else cJSON_AddNullToObject(x, "subset_of");
        cJSON_AddItemToArray(arr, x);
    }
    cJSON *rules = cJSON_AddArrayToObject(o, "rules");
    for (int i = 0; i < c->nrules; i++) cJSON_AddItemToArray(rules, cJSON_CreateString(c->rules[i]));
    cJSON *rank = cJSON_AddArrayToObject(o, "ranking");
    for (int i = 0; i < c->nranking; i++) {
        char buf[160];
        snprintf(buf, sizeof buf, "%s.%s %s", c->ranking[i].set, c->ranking[i].key,
                 c->ranking[i].desc ? "desc" : "asc");
        cJSON_AddItemToArray(rank, cJSON_CreateString(buf));
    }
    cJSON *src = cJSON_AddObjectToObject(o, "sources");
    for (int i = 0; i < c->nsources; i++) {
        cJSON *x = cJSON_AddObjectToObject(src, c->sources[i].name);
        cJSON_AddNumberToObject(x, "weight", c->sources[i].weight);
        cJSON_AddNumberToObject(x, "max_words", (double)c->sources[i].max_words);
    }
    cJSON_AddNumberToObject(o, "seed", (double)c->seed);
    cJSON_AddBoolToObject(o, "dedup", c->dedup);
    cJSON_AddBoolToObject(o, "cut_last", c->cut_last);
    cJSON_AddStringToObject(o, "text_field", c->text_field);
    cJSON_AddStringToObject(o, "id_field", c->id_field);
    char *s = json_print(o, 0);
    cJSON_Delete(o);
    return s;
}
