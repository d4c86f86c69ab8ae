/* run_config.c - `blalm run`'s JSON config (pipeline/run.h): every key
 * checked, every error naming the file and the key's path. The tag
 * thresholds and the corpora section are the tag and corpora configs' own
 * formats; they are checked by those stages' loaders (through an in-memory
 * file), with the messages' paths rewritten to this file's. */
#include "pipeline/run.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "corpora/corpora.h"
#include "scorer/llm.h"
#include "scorer/score.h"
#include "filters/tag.h"
#include "lib/cli.h"
#include "lib/config.h"
#include "lib/fsutil.h"
#include "lib/http.h"
#include "lib/rules.h"
#include "lib/utf8.h"
#include "scorer/distill.h"
#include "trainer/eval.h"
#include "trainer/model.h"

static const char *const stage_names[RUN_NSTAGES] = {
    "fetch", "tag", "dedup", "score", "distill", "assemble", "tokenizer", "tokenize", "train", "eval", "report"};

const char *run_stage_name(int stage)
{
    return stage >= 0 && stage < RUN_NSTAGES ? stage_names[stage] : NULL;
}

int run_stage_parse(const char *name)
{
    for (int i = 0; i < RUN_NSTAGES; i++)
        if (!strcmp(name, stage_names[i])) return i;
    return -1;
}

/* ---- key checking: "<file>: <path>.<key>: ..." ---- */

typedef struct pctx {
    const char *file;
    const char *base;        /* folder for relative paths */
    blalm_err *e;
} pctx;

static int check_keys(const pctx *p, const cJSON *obj, const char *path, const char *const *allowed)
{
    if (!cJSON_IsObject(obj))
        return err_set(p->e, "%s: %s: expected a JSON object", p->file, *path ? path : "(top level)");
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        int ok = 0;
        for (int i = 0; allowed[i]; i++)
            if (!strcmp(allowed[i], it->string)) ok = 1;
        if (ok) continue;
        char known[512] = "";
        size_t n = 0;
        for (int i = 0; allowed[i] && n < sizeof known - 64; i++)
            n += (size_t)snprintf(known + n, sizeof known - n, "%s%s", i ? ", " : "", allowed[i]);
        return err_set(p->e, "%s: %s%s%s: unknown key (known keys: %s)", p->file, path, *path ? "." : "",
                       it->string, known);
    }
    return 0;
}

static const cJSON *get(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return v && !cJSON_IsNull(v) ? v : NULL;
}

static int get_str(const pctx *p, const cJSON *obj, const char *path, const char *key, char **out)
{
    const cJSON *v = get(obj, key);
    *out = NULL;
    if (!v) return 0;
    if (!cJSON_IsString(v))
        return err_set(p->e, "%s: %s%s%s: expected a string", p->file, path, *path ? "." : "", key);
    if (!(*out = strdup(v->valuestring))) return err_set(p->e, "out of memory");
    return 0;
}

/* *out made absolute against the config's folder when it is relative (and
 * not empty). */
static int resolve_path(const pctx *p, char **out)
{
    if ((*out)[0] && (*out)[0] != '/' && p->base && *p->base) {
        size_t n = strlen(p->base) + strlen(*out) + 2;
        char *abs = malloc(n);
        if (!abs) return err_set(p->e, "out of memory");
        snprintf(abs, n, "%s%s%s", p->base, p->base[strlen(p->base) - 1] == '/' ? "" : "/", *out);
        free(*out);
        *out = abs;
    }
    return 0;
}

/* A path: relative ones are resolved against the config's folder. An empty
 * string is no path (it was taken as one: "model: : No such file or
 * directory", "work" as none, "eval.data" as data not there). */
static int get_path(const pctx *p, const cJSON *obj, const char *path, const char *key, char **out)
{
    if (get_str(p, obj, path, key, out) < 0) return -1;
    if (!*out) return 0;
    if (!**out)
        return err_set(p->e, "%s: %s%s%s: expected a path, found an empty string",
                       p->file, path, *path ? "." : "", key);
    return resolve_path(p, out);
}

/* A whole number in [lo, hi]; *has = 1 when given. */
static int get_count(const pctx *p, const cJSON *obj, const char *path, const char *key, double lo,
                     double hi, uint64_t *out, int *has)
{
    const cJSON *v = get(obj, key);
    if (has) *has = v != NULL;
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble != floor(v->valuedouble) ||
        v->valuedouble < lo || v->valuedouble > hi)
        return err_set(p->e, "%s: %s%s%s: expected a whole number from %.0f to %.0f", p->file, path, *path ? "." : "", key, lo, hi);
    *out = (uint64_t)v->valuedouble;
    return 0;
}

static int get_num(const pctx *p, const cJSON *obj, const char *path, const char *key, double *out)
{
    const cJSON *v = get(obj, key);
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return err_set(p->e, "%s: %s%s%s: expected a number", p->file, path, *path ? "." : "", key);
    *out = v->valuedouble;
    return 0;
}

/* A number in [lo, hi], as `blalm score` takes it. */
static int get_num_in(const pctx *p, const cJSON *obj, const char *path, const char *key, double lo, double hi,
                      double *out)
{
    double v = *out;
    if (get_num(p, obj, path, key, &v) < 0) return -1;
    if (v < lo || v > hi)
        return err_set(p->e, "%s: %s%s%s: expected a number from %g to %g", p->file, path, *path ? "." : "", key,
                       lo, hi);
    *out = v;
    return 0;
}

static int get_bool(const pctx *p, const cJSON *obj, const char *path, const char *key, int *out)
{
    const cJSON *v = get(obj, key);
    if (!v) return 0;
    if (!cJSON_IsBool(v)) return err_set(p->e, "%s: %s%s%s: expected true or false", p->file, path, *path ? "." : "", key);
    *out = cJSON_IsTrue(v);
    return 0;
}

/* Runs a stage's config loader on obj through an in-memory file and
 * rewrites "<memfd path>: x: msg" into "<file>: <section>.x: msg". */
typedef int (*loader_fn)(const char *path, void *arg, blalm_err *e);

static int load_via_memfd(const pctx *p, const cJSON *obj, const char *section, loader_fn fn, void *arg)
{
    char *text = json_print(obj, 0);
    if (!text) return err_set(p->e, "out of memory");
    int fd = memfd_create("blalm-run-section", MFD_CLOEXEC);
    if (fd < 0) {
        free(text);
        return err_errno(p->e, "memfd_create");
    }
    size_t n = strlen(text), off = 0;
    while (off < n) {
        ssize_t w = write(fd, text + off, n - off);
        if (w <= 0) {
            free(text);
            close(fd);
            return err_errno(p->e, "memfd write");
        }
        off += (size_t)w;
    }
    free(text);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    blalm_err sub = {{0}};
    int rc = fn(path, arg, &sub);
    close(fd);
    if (rc == 0) return 0;
    size_t pl = strlen(path);
    const char *rest = sub.msg;
    if (!strncmp(rest, path, pl)) rest += pl;
    if (!strncmp(rest, ": ", 2)) rest += 2;
    /* "set: msg" -> "section.set: msg"; "msg" -> "section: msg" */
    const char *colon = strstr(rest, ": ");
    const char *space = strchr(rest, ' ');
    if (colon && (!space || colon < space) && rest[0] != '"')
        return err_set(p->e, "%s: %s.%s", p->file, section, rest);
    return err_set(p->e, "%s: %s: %s", p->file, section, rest);
}

static int tag_loader(const char *path, void *arg, blalm_err *e)
{
    tag_config tc;
    int rc = tag_config_load(path, &tc, e);
    tag_config_free(&tc);
    (void)arg;
    return rc;
}

static int corpora_loader(const char *path, void *arg, blalm_err *e)
{
    /* no schema: the rules and ranking name attribute sets that do not exist
     * yet, so their syntax is checked here and their sets when assemble runs */
    corpora_config cc;
    int rc = corpora_config_load(&cc, path, NULL, NULL, e);
    if (rc == 0) {
        run_config *c = arg;
        c->ncorpora = cc.ncorpora;
        /* run.h does not include corpora.h; its arrays must hold every corpus
         * a corpora config may have, and each name and track whole */
        _Static_assert(sizeof c->corpus_budgets / sizeof c->corpus_budgets[0] == CORPORA_MAX &&
                           sizeof c->corpus_names / sizeof c->corpus_names[0] == CORPORA_MAX &&
                           sizeof c->corpus_tracks / sizeof c->corpus_tracks[0] == CORPORA_MAX,
                       "run_config's corpus arrays hold CORPORA_MAX corpora");
        _Static_assert(sizeof c->corpus_names[0] == sizeof cc.corpora[0].name &&
                           sizeof c->corpus_tracks[0] == sizeof cc.corpora[0].track,
                       "run_config's corpus names and tracks are as long as corpora.h's");
        for (int i = 0; i < cc.ncorpora; i++) {
            snprintf(c->corpus_names[i], sizeof c->corpus_names[i], "%s", cc.corpora[i].name);
            c->corpus_budgets[i] = cc.corpora[i].budget;
            snprintf(c->corpus_tracks[i], sizeof c->corpus_tracks[i], "%s", cc.corpora[i].track);
        }
        corpora_config_free(&cc);
    }
    return rc;
}

/* A JSON null where run reads the value itself is an error: taken as "not
 * given" it would quietly mean the default ("max_steps": null, one epoch;
 * "dedup": null, dedup with its defaults). The "tag" and "corpora" sections
 * are their stages' own formats (null disables a Gopher rule there). */
static int check_no_null(const pctx *p, const cJSON *obj, const char *path, int top)
{
    const cJSON *it;
    int i = 0;
    cJSON_ArrayForEach(it, obj) {
        char sub[256];
        if (cJSON_IsArray(obj)) snprintf(sub, sizeof sub, "%s[%d]", path, i);
        else snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", it->string);
        i++;
        if (top && (!strcmp(it->string, "tag") || !strcmp(it->string, "corpora") || !strcmp(it->string, "comment")))
            continue;
        if (cJSON_IsNull(it))
            return err_set(p->e, "%s: %s: null is not a value here (leave the key out for its default%s)", p->file,
                           sub, top ? ", or the section out to skip the stage where it may be left out" : "");
        if ((cJSON_IsObject(it) || cJSON_IsArray(it)) && check_no_null(p, it, sub, 0) < 0) return -1;
    }
    return 0;
}

/* ---- sections ---- */

static int parse_sources(const pctx *p, run_config *c, const cJSON *arr)
{
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) < 1)
        return err_set(p->e, "%s: sources: expected a non-empty array of sources", p->file);
    static const char *const keys[] = {"name", "hub", "files", "max_words", NULL};
    static const char *const hub_keys[] = {"repo", "revision", "path", "include", "max_files", NULL};
    const cJSON *it;
    int i = 0;
    cJSON_ArrayForEach(it, arr) {
        char path[64], hp[80];
        snprintf(path, sizeof path, "sources[%d]", i);
        snprintf(hp, sizeof hp, "sources[%d].hub", i);
        if (i >= RUN_MAX_SOURCES) return err_set(p->e, "%s: sources: at most %d", p->file, RUN_MAX_SOURCES);
        run_source *s = &c->sources[c->nsources++];
        s->max_files = -1;
        if (check_keys(p, it, path, keys) < 0 || get_str(p, it, path, "name", &s->name) < 0 ||
            get_path(p, it, path, "files", &s->files) < 0 ||
            get_count(p, it, path, "max_words", 0, 1e15, &s->max_words, NULL) < 0)
            return -1;
        if (!s->name || !*s->name || strchr(s->name, '/') || s->name[0] == '.')
            return err_set(p->e, "%s: %s.name: expected a source name (a folder name under WORK/docs)",
                           p->file, path);
        size_t bad;   /* the folder's name becomes ids, "source" and JSON text: refused before fetch */
        if (!utf8_valid(s->name, strlen(s->name), &bad))
            return err_set(p->e, "%s: %s.name: not valid UTF-8 (byte \\x%02x at offset %zu): a source name is "
                                 "a folder name under WORK/docs and becomes document ids and JSON text",
                           p->file, path, (unsigned char)s->name[bad], bad);
        for (int j = 0; j < i; j++)
            if (!strcmp(c->sources[j].name, s->name))
                return err_set(p->e, "%s: %s.name: \"%s\" is also sources[%d]'s name", p->file, path,
                               s->name, j);
        const cJSON *hub = get(it, "hub");
        if (!!hub == !!s->files)
            return err_set(p->e, "%s: %s: expected one of \"hub\" (a Hub dataset) or \"files\" (a folder)",
                           p->file, path);
        if (hub) {
            uint64_t mf = 0;
            int has_mf = 0;
            if (check_keys(p, hub, hp, hub_keys) < 0 || get_str(p, hub, hp, "repo", &s->repo) < 0 ||
                get_str(p, hub, hp, "revision", &s->revision) < 0 ||
                get_str(p, hub, hp, "path", &s->path) < 0 ||
                get_count(p, hub, hp, "max_files", 1, 1e9, &mf, &has_mf) < 0)
                return -1;
            if (has_mf) s->max_files = (long)mf;
            if (!s->repo) return err_set(p->e, "%s: %s.repo: required (OWNER/NAME)", p->file, hp);
            if (!s->revision && !(s->revision = strdup("main"))) return err_set(p->e, "out of memory");
            if (!s->path && !(s->path = strdup(""))) return err_set(p->e, "out of memory");
            const cJSON *inc = get(hub, "include"), *g;
            if (inc && !cJSON_IsArray(inc)) return err_set(p->e, "%s: %s.include: expected an array of globs", p->file, hp);
            cJSON_ArrayForEach(g, inc) {
                if (!cJSON_IsString(g) || s->ninclude >= RUN_MAX_INCLUDE)
                    return err_set(p->e, "%s: %s.include: expected at most %d strings", p->file, hp, RUN_MAX_INCLUDE);
                if (!(s->include[s->ninclude++] = strdup(g->valuestring))) return err_set(p->e, "out of memory");
            }
        } else if (s->max_words) {
            return err_set(p->e, "%s: %s.max_words: only for \"hub\" sources", p->file, path);
        }
        i++;
    }
    return 0;
}

static int parse_tag(const pctx *p, run_config *c, const cJSON *tag)
{
    c->taggers = TAG_ALL;
    if (!tag) return 0;
    static const char *const keys[] = {"taggers", "readability", "gopher_quality", "gopher_repetition",
                                       "c4", "fineweb", NULL};
    if (check_keys(p, tag, "tag", keys) < 0) return -1;
    const cJSON *t = get(tag, "taggers"), *it;
    if (t) {
        if (!cJSON_IsArray(t) || !cJSON_GetArraySize(t))
            return err_set(p->e, "%s: tag.taggers: expected a non-empty array of readability, gopher, c4, fineweb", p->file);
        c->taggers = 0;
        cJSON_ArrayForEach(it, t) {
            int m;
            char bad[64];
            if (!cJSON_IsString(it) || tag_parse_taggers(it->valuestring, &m, bad, sizeof bad) < 0 || strchr(it->valuestring, ','))
                return err_set(p->e, "%s: tag.taggers: \"%s\" is not a tagger (readability, gopher, c4, fineweb)",
                               p->file, cJSON_IsString(it) ? it->valuestring : "?");
            c->taggers |= m;
        }
    }
    cJSON *th = cJSON_Duplicate(tag, 1);
    if (!th) return err_set(p->e, "out of memory");
    cJSON_DeleteItemFromObjectCaseSensitive(th, "taggers");
    int rc = load_via_memfd(p, th, "tag", tag_loader, NULL);
    /* the dictionaries' paths, like every path of the config, are relative
     * to its folder: tag reads WORK/state/run/tag.json, so they go in
     * absolute (cmudict "none" is a word, not a file) */
    cJSON *rd = cJSON_GetObjectItemCaseSensitive(th, "readability");
    static const char *const dicts[2] = {"cmudict", "hyphen_dic"};
    for (int i = 0; rc == 0 && i < 2 && cJSON_IsObject(rd); i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(rd, dicts[i]);
        if (!cJSON_IsString(v)) continue;   /* the loader refused other types */
        char *s = strdup(v->valuestring);
        if (!s) rc = err_set(p->e, "out of memory");
        else if (!(i == 0 && !strcmp(s, "none")) && resolve_path(p, &s) < 0) rc = -1;
        else if (!cJSON_ReplaceItemInObjectCaseSensitive(rd, dicts[i], cJSON_CreateString(s)))
            rc = err_set(p->e, "out of memory");
        if (rc == 0) *(i == 0 ? &c->tag_cmudict : &c->tag_hyphen_dic) = s;
        else free(s);
    }
    if (rc == 0 && !(c->tag_json = json_print(th, 0))) rc = err_set(p->e, "out of memory");
    cJSON_Delete(th);
    return rc;
}

static int parse_dedup(const pctx *p, run_config *c, const cJSON *d)
{
    dd_config_default(&c->dedup);
    c->dedup_threads = 1;
    if (!d) return 0;
    static const char *const keys[] = {"bands", "rows", "shingle", "seed", "threads", "exact_id",
                                       "exact_text", "exact_url", "keep_max", "normalize",
                                       "exact_normalize", "verify_jaccard", NULL};
    uint64_t v;
    int has;
    if (check_keys(p, d, "dedup", keys) < 0) return -1;
    /* blalm dedup's --config keys, the same meaning */
    if (get_bool(p, d, "dedup", "exact_id", &c->dedup.exact_id) < 0 ||
        get_bool(p, d, "dedup", "exact_text", &c->dedup.exact_text) < 0 ||
        get_bool(p, d, "dedup", "exact_url", &c->dedup.exact_url) < 0)
        return -1;
    static const char *const norms[2] = {"normalize", "exact_normalize"};
    for (int i = 0; i < 2; i++) {
        const cJSON *n = get(d, norms[i]);
        if (!n) continue;
        if (!cJSON_IsString(n))
            return err_set(p->e, "%s: dedup.%s: expected a string (e.g. \"fineweb\", \"nfkc,lower,space\")",
                           p->file, norms[i]);
        if (dd_norm_parse(n->valuestring, i ? &c->dedup.exact_norm : &c->dedup.minhash_norm, p->e) < 0)
            return err_prefix(p->e, "%s: dedup.%s", p->file, norms[i]);
    }
    const cJSON *km = get(d, "keep_max");
    if (km) {
        if (!cJSON_IsString(km) || !km->valuestring[0] || strlen(km->valuestring) >= DD_KEEP_FIELD_MAX)
            return err_set(p->e, "%s: dedup.keep_max: expected a metadata field name (1 to %d bytes)",
                           p->file, DD_KEEP_FIELD_MAX - 1);
        snprintf(c->dedup.keep_field, sizeof c->dedup.keep_field, "%s", km->valuestring);
    }
    const cJSON *vj = get(d, "verify_jaccard");
    if (vj) {
        if (!cJSON_IsNumber(vj) || !(vj->valuedouble > 0 && vj->valuedouble <= 1))
            return err_set(p->e, "%s: dedup.verify_jaccard: expected a number in (0, 1]", p->file);
        c->dedup_verify = vj->valuedouble;
        c->dedup.store_shingles = 1;
    }
    if (get_count(p, d, "dedup", "bands", 1, DD_MAX_HASHES, &v, &has) < 0) return -1;
    if (has) c->dedup.bands = (int)v;
    if (get_count(p, d, "dedup", "rows", 1, DD_MAX_HASHES, &v, &has) < 0) return -1;
    if (has) c->dedup.rows = (int)v;
    if (get_count(p, d, "dedup", "shingle", 1, DD_MAX_SHINGLE, &v, &has) < 0) return -1;
    if (has) c->dedup.shingle = (int)v;
    if (get_count(p, d, "dedup", "seed", 0, (double)CLI_SEED_MAX, &v, &has) < 0) return -1;
    if (has) c->dedup.seed = v;
    if (get_count(p, d, "dedup", "threads", 1, DD_MAX_THREADS, &v, &has) < 0) return -1;
    if (has) c->dedup_threads = (int)v;
    if (dd_config_check(&c->dedup, p->e) < 0) return err_prefix(p->e, "%s: dedup", p->file);
    return 0;
}

static int parse_score(const pctx *p, run_config *c, const cJSON *s)
{
    if (!s) return 0;
    static const char *const keys[] = {"endpoint", "model", "prompt", "where", "max_chars", "max_tokens",
                                       "max_tokens_param", "temperature", "seed", "concurrency", "max_requests",
                                       "max_prompt_tokens", "sample", NULL};
    c->score = 1;
    c->max_chars = 1000;
    c->max_tokens = 512;
    c->concurrency = 8;
    uint64_t v;
    int has;
    const cJSON *temp = get(s, "temperature");
    if (cJSON_IsString(temp)) {
        if (strcmp(temp->valuestring, "none"))
            return err_set(p->e, "%s: score.temperature: expected a number from 0 to 2 or \"none\"", p->file);
        c->no_temperature = 1;
    }
    char *mtp = NULL;
    if (get_str(p, s, "score", "max_tokens_param", &mtp) < 0) return -1;
    int bad_mtp = mtp && score_max_tokens_param(mtp, &c->max_completion_tokens) < 0;
    free(mtp);
    if (bad_mtp)
        return err_set(p->e, "%s: score.max_tokens_param: expected \"max_tokens\" or \"max_completion_tokens\"",
                       p->file);
    if (check_keys(p, s, "score", keys) < 0 || get_str(p, s, "score", "endpoint", &c->endpoint) < 0 ||
        get_str(p, s, "score", "model", &c->model_name) < 0 || get_path(p, s, "score", "prompt", &c->prompt) < 0 ||
        get_str(p, s, "score", "where", &c->where) < 0 ||
        get_count(p, s, "score", "max_chars", 1, 1e12, &c->max_chars, NULL) < 0 ||
        (!c->no_temperature && get_num_in(p, s, "score", "temperature", 0, 2, &c->temperature) < 0) ||
        get_count(p, s, "score", "max_requests", 0, 1e15, &c->max_requests, &c->has_max_requests) < 0 ||
        get_count(p, s, "score", "max_prompt_tokens", 0, 1e15, &c->max_prompt_tokens, &c->has_max_prompt_tokens) < 0 ||
        get_count(p, s, "score", "sample", 1, 1e15, &c->sample, &c->has_sample) < 0)
        return -1;
    if (get_count(p, s, "score", "max_tokens", 1, 1e6, &v, &has) < 0) return -1;
    if (has) c->max_tokens = (int)v;
    if (get_count(p, s, "score", "concurrency", 1, 4096, &v, &has) < 0) return -1;
    if (has) c->concurrency = (int)v;
    /* left out: 0, as blalm score (v still held the last number read) */
    if (get_count(p, s, "score", "seed", 0, (double)CLI_SEED_MAX, &v, &c->has_seed) < 0) return -1;
    c->seed = c->has_seed ? (long long)v : 0;
    if (!c->model_name) return err_set(p->e, "%s: score.model: required (the endpoint's model name)", p->file);
    char why[200];
    if (c->endpoint && llm_endpoint_check(c->endpoint, why, sizeof why) < 0)   /* never quoted: it may hold a password */
        return err_set(p->e, "%s: score.endpoint %s", p->file, why);
    if (c->where) {
        rule *r = rule_parse(c->where, p->e);
        if (!r) return err_prefix(p->e, "%s: score.where", p->file);
        rule_free(r);
    }
    return 0;
}

static int parse_distill(const pctx *p, run_config *c, const cJSON *d)
{
    if (!d) return 0;
    static const char *const keys[] = {"labels", "label_field", "model_type", "folds", "seed", "max_chars",
                                       "attr_features", "embeddings", "emb_words", "emb_weight",
                                       "skip_unlabelled", NULL};
    c->distill = 1;
    c->distill_folds = 5;
    c->distill_skip_unlabelled = 1;
    c->distill_emb_words = 100000;
    uint64_t v;
    int has;
    char *type = NULL, *attrs = NULL;
    if (check_keys(p, d, "distill", keys) < 0 || get_str(p, d, "distill", "labels", &c->distill_labels) < 0 ||
        get_str(p, d, "distill", "label_field", &c->distill_field) < 0 ||
        get_count(p, d, "distill", "seed", 0, (double)CLI_SEED_MAX, &c->distill_seed, NULL) < 0 ||
        get_count(p, d, "distill", "max_chars", 0, 1e9, &c->distill_max_chars, NULL) < 0 ||
        get_path(p, d, "distill", "embeddings", &c->distill_embeddings) < 0 ||
        get_count(p, d, "distill", "emb_words", 0, 4294967295.0, &c->distill_emb_words, NULL) < 0 ||
        get_num(p, d, "distill", "emb_weight", &c->distill_emb_weight) < 0 ||
        get_bool(p, d, "distill", "skip_unlabelled", &c->distill_skip_unlabelled) < 0 ||
        get_count(p, d, "distill", "folds", 2, 100, &v, &has) < 0)   /* distill train --folds' range */
        return -1;
    if (has) c->distill_folds = (int)v;
    if (c->distill_labels && c->distill_field)
        return err_set(p->e, "%s: distill: give labels (an attribute set's key, e.g. \"edu_llm.score\") or "
                       "label_field (a document metadata field), not both", p->file);
    if (!c->distill_field && !c->distill_labels && !(c->distill_labels = strdup("edu_llm.score")))
        return err_set(p->e, "out of memory");
    if (c->distill_labels) {
        const char *dot = strchr(c->distill_labels, '.');
        if (!dot || dot == c->distill_labels || dot - c->distill_labels > 100 || !dot[1] || strchr(dot + 1, '.') ||
            strchr(c->distill_labels, '/'))
            return err_set(p->e, "%s: distill.labels: expected SET.KEY (e.g. \"edu_llm.score\"), not \"%s\"", p->file,
                           c->distill_labels);
    }
    if (c->distill_emb_weight != 0 && !(c->distill_emb_weight > 0 && c->distill_emb_weight < 1))
        return err_set(p->e, "%s: distill.emb_weight: expected a number between 0 and 1 (exclusive)", p->file);
    if (c->distill_emb_weight != 0 && !c->distill_embeddings)
        return err_set(p->e, "%s: distill.emb_weight: needs distill.embeddings (a word-vector file)", p->file);
    if (get_str(p, d, "distill", "model_type", &type) < 0) return -1;
    int rc = 0;
    if ((c->distill_kind = type ? distill_kind_parse(type) : DISTILL_AUTO) < 0)
        rc = err_set(p->e, "%s: distill.model_type: expected auto, ridge, logistic or ensemble, not \"%s\"", p->file, type);
    free(type);
    if (rc < 0) return -1;
    if (get_str(p, d, "distill", "attr_features", &attrs) < 0) return -1;
    if ((c->distill_attrs = attrs ? distill_attrs_parse(attrs) : DISTILL_ATTRS_AUTO) < 0)
        rc = err_set(p->e, "%s: distill.attr_features: expected auto, none or all, not \"%s\"", p->file, attrs);
    free(attrs);
    if (rc < 0) return -1;
    if (!(c->distill_json = json_print(d, 0))) return err_set(p->e, "out of memory");
    return 0;
}

static int parse_corpora(const pctx *p, run_config *c, const cJSON *cj)
{
    if (!cj) return err_set(p->e, "%s: corpora: required (the corpora and their budgets)", p->file);
    int rc = load_via_memfd(p, cj, "corpora", corpora_loader, c);
    if (rc == 0 && !(c->corpora_json = json_print(cj, 1))) rc = err_set(p->e, "out of memory");
    return rc;
}

static int parse_train(const pctx *p, run_config *c, const cJSON *t)
{
    static const char *const keys[] = {"corpus", "max_steps", "max_tokens", "optimizer", "threads", "track", NULL};
    uint64_t v;
    int has;
    c->optimizer = -1;
    c->train_threads = 1;
    if (!t) return 0;
    char *opt = NULL;
    if (check_keys(p, t, "train", keys) < 0 || get_str(p, t, "train", "corpus", &c->train_corpus) < 0 ||
        get_count(p, t, "train", "max_tokens", 1, 1e15, &c->max_tokens_train, NULL) < 0 ||
        get_str(p, t, "train", "track", &c->train_track) < 0 || get_str(p, t, "train", "optimizer", &opt) < 0)
        return -1;
    /* 0 is not "one epoch": leave the key out for that, as train's --max-steps */
    if (get_count(p, t, "train", "max_steps", 1, 1e12, &v, &has) < 0) return -1;
    if (has) c->max_steps = (long)v;
    if (get_count(p, t, "train", "threads", 1, 4096, &v, &has) < 0) return -1;
    if (has) c->train_threads = (int)v;
    if (opt) {
        int ok = !strcmp(opt, "adamw") || !strcmp(opt, "muon");
        c->optimizer = !strcmp(opt, "muon") ? OPT_MUON : OPT_ADAMW;
        free(opt);
        if (!ok) return err_set(p->e, "%s: train.optimizer: expected \"adamw\" or \"muon\"", p->file);
    }
    if (c->max_steps && c->max_tokens_train)
        return err_set(p->e, "%s: train: give max_steps or max_tokens, not both", p->file);
    if (c->train_track && strcmp(c->train_track, "strict") && strcmp(c->train_track, "strict-small"))
        return err_set(p->e, "%s: train.track: expected \"strict\" or \"strict-small\"", p->file);
    return 0;
}

static int parse_eval(const pctx *p, run_config *c, const cJSON *ev)
{
    if (!ev) return 0;
    static const char *const keys[] = {"data", "tasks", "fast", "required", NULL};
    c->eval = 1;
    c->eval_fast = 1;
    if (check_keys(p, ev, "eval", keys) < 0 || get_path(p, ev, "eval", "data", &c->eval_data) < 0 ||
        get_str(p, ev, "eval", "tasks", &c->eval_tasks) < 0 || get_bool(p, ev, "eval", "fast", &c->eval_fast) < 0 ||
        get_bool(p, ev, "eval", "required", &c->eval_required) < 0)
        return -1;
    if (!c->eval_data) return err_set(p->e, "%s: eval.data: required (the evaluation data folder)", p->file);
    /* checked now, not after training */
    if (c->eval_tasks && eval_check_tasks(c->eval_tasks, p->e) < 0) return err_prefix(p->e, "%s: eval.tasks", p->file);
    /* "blimp,blimp" and "ewok,blimp" ask what "blimp" and "blimp,ewok" do: one
     * spelling, so eval's completion key (and a redo) follows the tasks */
    eval_tasks_normalise(c->eval_tasks);
    for (const char *t = c->eval_tasks; t && (t = strstr(t, "aoa")); t += 3)   /* a whole name of the list */
        if ((t == c->eval_tasks || t[-1] == ',') && (!t[3] || t[3] == ','))
            return err_set(p->e, "%s: eval.tasks: aoa (age of acquisition) needs every milestone checkpoint "
                           "(blalm eval --all-checkpoints), which run's eval stage does not evaluate", p->file);
    return 0;
}

run_config *run_config_parse(const char *text, size_t len, const char *name, const char *base_dir,
                             blalm_err *e)
{
    cJSON *root = config_parse(text, len, name, e);
    if (!root) return NULL;
    run_config *c = calloc(1, sizeof *c);
    pctx p = {name, base_dir, e};
    int rc = -1;
    if (!c || !(c->name = strdup(name))) {
        err_set(e, "out of memory");
        goto done;
    }
    c->report = 1;
    static const char *const keys[] = {"comment", "work", "sources", "tag", "dedup", "score", "distill", "corpora",
                                       "tokenizer", "model", "train", "eval", "report", NULL};
    if (check_keys(&p, root, "", keys) < 0 || check_no_null(&p, root, "", 1) < 0) goto done;
    const cJSON *note = cJSON_GetObjectItemCaseSensitive(root, "comment");
    if (note && !cJSON_IsString(note)) { /* a note for people; any type was taken */
        err_set(e, "%s: comment: expected a string (a note for people, ignored by blalm)", name);
        goto done;
    }
    const cJSON *tok = get(root, "tokenizer");
    uint64_t vocab = 0;
    if (get_path(&p, root, "", "work", &c->work) < 0 || parse_sources(&p, c, get(root, "sources")) < 0 ||
        parse_tag(&p, c, get(root, "tag")) < 0 || parse_dedup(&p, c, get(root, "dedup")) < 0 ||
        parse_score(&p, c, get(root, "score")) < 0 || parse_distill(&p, c, get(root, "distill")) < 0 ||
        parse_corpora(&p, c, get(root, "corpora")) < 0)
        goto done;
    if (tok) {
        static const char *const tkeys[] = {"vocab_size", NULL};
        if (check_keys(&p, tok, "tokenizer", tkeys) < 0 ||
            get_count(&p, tok, "tokenizer", "vocab_size", 258, 1 << 24, &vocab, NULL) < 0)
            goto done;
        c->vocab_size = (uint32_t)vocab;
    }
    if (get_path(&p, root, "", "model", &c->model_cfg) < 0 || parse_train(&p, c, get(root, "train")) < 0 ||
        parse_eval(&p, c, get(root, "eval")) < 0 || get_bool(&p, root, "", "report", &c->report) < 0)
        goto done;
    if (!c->model_cfg) {
        err_set(e, "%s: model: required (a model config file, e.g. \"model-tiny.json\")", name);
        goto done;
    }
    if (!c->train_corpus) {
        /* the smallest corpus by default */
        int best = 0;
        for (int i = 1; i < c->ncorpora; i++)
            if (c->corpus_budgets[i] < c->corpus_budgets[best]) best = i;
        if (!(c->train_corpus = strdup(c->corpus_names[best]))) {
            err_set(e, "out of memory");
            goto done;
        }
    } else {
        int found = 0;
        for (int i = 0; i < c->ncorpora; i++) found |= !strcmp(c->corpus_names[i], c->train_corpus);
        if (!found) {
            err_set(e, "%s: train.corpus: \"%s\" is not one of the corpora", name, c->train_corpus);
            goto done;
        }
    }
    rc = 0;
done:
    cJSON_Delete(root);
    if (rc < 0) {
        run_config_free(c);
        return NULL;
    }
    return c;
}

run_config *run_config_load(const char *path, blalm_err *e)
{
    char *text;
    size_t len;
    if (read_file(path, &text, &len, e) < 0) return NULL;
    char dir[4096], base[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) snprintf(dir, sizeof dir, "/");
    else if (slash) *slash = 0;
    else snprintf(dir, sizeof dir, ".");
    /* absolute, so a relative "files" makes a link that resolves from
     * WORK/docs too, and the run means the same from any working folder */
    if (!realpath(dir, base)) {
        free(text);
        err_errno(e, "%s", dir);
        return NULL;
    }
    /* messages name the file as given: a user with several job.json files
     * (or a script) sees which one */
    run_config *c = run_config_parse(text, len, path, base, e);
    free(text);
    return c;
}

void run_config_free(run_config *c)
{
    if (!c) return;
    free(c->name);
    free(c->work);
    for (int i = 0; i < c->nsources; i++) {
        run_source *s = &c->sources[i];
        free(s->name);
        free(s->repo);
        free(s->revision);
        free(s->path);
        free(s->files);
        for (int j = 0; j < s->ninclude; j++) free(s->include[j]);
    }
    free(c->tag_json);
    free(c->tag_cmudict);
    free(c->tag_hyphen_dic);
    free(c->endpoint);
    free(c->model_name);
    free(c->prompt);
    free(c->where);
    free(c->distill_json);
    free(c->distill_labels);
    free(c->distill_field);
    free(c->distill_embeddings);
    free(c->corpora_json);
    free(c->model_cfg);
    free(c->train_corpus);
    free(c->train_track);
    free(c->eval_data);
    free(c->eval_tasks);
    free(c);
}
