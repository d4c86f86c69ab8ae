/* tag.c - the tag stage (see tag.h): the config mapping, completion markers
 * and tagging one document file. */
#include "filters/tag.h"

#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include <utf8proc.h>

#include "filters/readability.h"
#include "lib/attr.h"
#include "lib/attrsets.h"
#include "lib/config.h"
#include "lib/docs.h"
#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/marker.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"

/* Texts longer than this give their whitespace split back after readability
 * (memory: the quality tokenizer then splits a window at a time). */
#define SPLIT_KEEP_MAX ((size_t)16 << 20)

static const int set_tagger[TAG_NSETS] = {TAG_READABILITY, TAG_GOPHER, TAG_GOPHER, TAG_C4,
                                          TAG_FINEWEB};
static const char *const tagger_names[] = {"readability", "gopher", "c4", "fineweb"};

/* The set names come from the registry (lib/attrsets), whose tag sets are in
 * the order of the TAG_SET_* enum (test_tag checks both agree). */
const char *tag_set_name(int set)
{
    const char *names[TAG_NSETS + 1];
    int n = attrsets_tag_sets(names, TAG_NSETS + 1);
    assert(n == TAG_NSETS);
    return set >= 0 && set < TAG_NSETS && set < n ? names[set] : NULL;
}

int tag_parse_taggers(const char *s, int *mask, char *bad, size_t cap)
{
    *mask = 0;
    if (cap) bad[0] = 0;
    const char *p = s;
    while (*p) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        int found = 0;
        for (int i = 0; i < 4; i++)
            if (strlen(tagger_names[i]) == n && !strncmp(tagger_names[i], p, n)) {
                *mask |= 1 << i;
                found = 1;
            }
        if (!found) {
            snprintf(bad, cap, "%.*s", (int)n, p);
            return -1;
        }
        p += n;
        if (*p == ',') p++;
    }
    return *mask ? 0 : -1;
}

/* ---- the config mapping ---- */

/* One threshold: its set, datatrove's name, how it is read, where it goes.
 * NUMBER_OR_NULL: JSON null disables the rule (-1), as None does in datatrove. */
enum { NUMBER, NUMBER_OR_NULL, BOOLEAN };
typedef struct field {
    int set;
    const char *key;
    int kind;
    size_t off;
} field;

#define Q(member) offsetof(quality_config, member)
static const field fields[] = {
    {TAG_SET_GOPHER_QUALITY, "min_doc_words", NUMBER_OR_NULL, Q(min_doc_words)},
    {TAG_SET_GOPHER_QUALITY, "max_doc_words", NUMBER_OR_NULL, Q(max_doc_words)},
    {TAG_SET_GOPHER_QUALITY, "min_avg_word_length", NUMBER_OR_NULL, Q(min_avg_word_length)},
    {TAG_SET_GOPHER_QUALITY, "max_avg_word_length", NUMBER_OR_NULL, Q(max_avg_word_length)},
    {TAG_SET_GOPHER_QUALITY, "max_symbol_word_ratio", NUMBER_OR_NULL, Q(max_symbol_word_ratio)},
    {TAG_SET_GOPHER_QUALITY, "max_bullet_lines_ratio", NUMBER_OR_NULL, Q(max_bullet_lines_ratio)},
    {TAG_SET_GOPHER_QUALITY, "max_ellipsis_lines_ratio", NUMBER_OR_NULL,
     Q(max_ellipsis_lines_ratio)},
    {TAG_SET_GOPHER_QUALITY, "max_non_alpha_words_ratio", NUMBER_OR_NULL,
     Q(max_non_alpha_words_ratio)},
    {TAG_SET_GOPHER_QUALITY, "min_stop_words", NUMBER_OR_NULL, Q(min_stop_words)},
    {TAG_SET_GOPHER_REPETITION, "dup_line_frac", NUMBER_OR_NULL, Q(dup_line_frac)},
    {TAG_SET_GOPHER_REPETITION, "dup_para_frac", NUMBER_OR_NULL, Q(dup_para_frac)},
    {TAG_SET_GOPHER_REPETITION, "dup_line_char_frac", NUMBER_OR_NULL, Q(dup_line_char_frac)},
    {TAG_SET_GOPHER_REPETITION, "dup_para_char_frac", NUMBER_OR_NULL, Q(dup_para_char_frac)},
    {TAG_SET_GOPHER_REPETITION, "top_2_gram", NUMBER_OR_NULL, Q(top_n_gram_frac[0])},
    {TAG_SET_GOPHER_REPETITION, "top_3_gram", NUMBER_OR_NULL, Q(top_n_gram_frac[1])},
    {TAG_SET_GOPHER_REPETITION, "top_4_gram", NUMBER_OR_NULL, Q(top_n_gram_frac[2])},
    {TAG_SET_GOPHER_REPETITION, "duplicated_5_n_grams", NUMBER_OR_NULL, Q(dup_n_gram_frac[0])},
    {TAG_SET_GOPHER_REPETITION, "duplicated_6_n_grams", NUMBER_OR_NULL, Q(dup_n_gram_frac[1])},
    {TAG_SET_GOPHER_REPETITION, "duplicated_7_n_grams", NUMBER_OR_NULL, Q(dup_n_gram_frac[2])},
    {TAG_SET_GOPHER_REPETITION, "duplicated_8_n_grams", NUMBER_OR_NULL, Q(dup_n_gram_frac[3])},
    {TAG_SET_GOPHER_REPETITION, "duplicated_9_n_grams", NUMBER_OR_NULL, Q(dup_n_gram_frac[4])},
    {TAG_SET_GOPHER_REPETITION, "duplicated_10_n_grams", NUMBER_OR_NULL, Q(dup_n_gram_frac[5])},
    {TAG_SET_C4, "remove_citations", BOOLEAN, Q(c4_remove_citations)},
    {TAG_SET_C4, "filter_no_terminal_punct", BOOLEAN, Q(c4_filter_no_terminal_punct)},
    {TAG_SET_C4, "filter_lorem_ipsum", BOOLEAN, Q(c4_filter_lorem_ipsum)},
    {TAG_SET_C4, "filter_javascript", BOOLEAN, Q(c4_filter_javascript)},
    {TAG_SET_C4, "filter_curly_bracket", BOOLEAN, Q(c4_filter_curly_bracket)},
    {TAG_SET_C4, "filter_policy", BOOLEAN, Q(c4_filter_policy)},
    {TAG_SET_C4, "min_num_sentences", NUMBER, Q(c4_min_num_sentences)},
    {TAG_SET_C4, "min_words_per_line", NUMBER, Q(c4_min_words_per_line)},
    {TAG_SET_C4, "max_word_length", NUMBER, Q(c4_max_word_length)},
    {TAG_SET_FINEWEB, "line_punct_thr", NUMBER, Q(line_punct_thr)},
    {TAG_SET_FINEWEB, "line_punct_exclude_zero", BOOLEAN, Q(line_punct_exclude_zero)},
    {TAG_SET_FINEWEB, "short_line_thr", NUMBER, Q(short_line_thr)},
    {TAG_SET_FINEWEB, "short_line_length", NUMBER, Q(short_line_length)},
    {TAG_SET_FINEWEB, "char_duplicates_ratio", NUMBER, Q(char_duplicates_ratio)},
    {TAG_SET_FINEWEB, "new_line_ratio", NUMBER, Q(new_line_ratio)},
};
#undef Q
#define NFIELDS (sizeof fields / sizeof fields[0])

static double *num_at(quality_config *q, const field *f) { return (double *)((char *)q + f->off); }
static int *bool_at(quality_config *q, const field *f) { return (int *)((char *)q + f->off); }

static int read_field(const cJSON *o, const field *f, quality_config *q, const char *where,
                      blalm_err *e)
{
    if (f->kind == BOOLEAN) return config_bool(o, f->key, *bool_at(q, f), bool_at(q, f), where, e);
    double *d = num_at(q, f);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, f->key);
    if (f->kind == NUMBER_OR_NULL && v && cJSON_IsNull(v)) {
        *d = -1;
        return 0;
    }
    return config_number(o, f->key, *d, d, where, e);
}

/* datatrove's top_n_grams / dup_n_grams, [[n, frac], ...]: fr[n - lo] for
 * the n listed, every other n of lo..hi off (datatrove checks only those
 * listed). blalm measures n = lo..hi, in increasing order (the reason is the
 * first failing n), so other n and other orders are refused. The per-n keys
 * (name_fmt) may not be given too. */
static int read_ngram_list(const cJSON *o, const char *key, int lo, int hi, const char *name_fmt,
                           double *fr, const char *where, blalm_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) return 0;
    for (int n = lo; n <= hi; n++) {
        char single[64];
        snprintf(single, sizeof single, name_fmt, n);
        if (cJSON_GetObjectItemCaseSensitive(o, single))
            return err_set(e, "%s: \"%s\" and \"%s\" both given (use one or the other)", where,
                           key, single);
    }
    if (!cJSON_IsArray(v))
        return err_set(e, "%s: \"%s\" must be a list of [n, frac] pairs", where, key);
    double got[16];
    for (int n = lo; n <= hi; n++) got[n - lo] = -1;
    int i = 0, last = 0;
    for (const cJSON *p = v->child; p; p = p->next, i++) {
        const cJSON *a = cJSON_IsArray(p) ? p->child : NULL, *b = a ? a->next : NULL;
        if (!a || !b || b->next || !cJSON_IsNumber(a) || !cJSON_IsNumber(b))
            return err_set(e, "%s: %s[%d]: expected [n, frac], two numbers", where, key, i);
        double n = a->valuedouble;
        if (n != (int)n || n < lo || n > hi)
            return err_set(e, "%s: %s[%d]: n must be an integer from %d to %d (blalm measures "
                           "those n-grams), not %.17g", where, key, i, lo, hi, n);
        if ((int)n <= last)
            return err_set(e, "%s: %s[%d]: n must increase from one pair to the next (%d after %d)",
                           where, key, i, (int)n, last);
        if (!(b->valuedouble >= 0))
            return err_set(e, "%s: %s[%d]: frac must be a number >= 0", where, key, i);
        last = (int)n;
        got[last - lo] = b->valuedouble;
    }
    for (int n = lo; n <= hi; n++) fr[n - lo] = got[n - lo];
    return 0;
}

/* datatrove's GopherQualityFilter(stop_words=[...]); null: the default */
static int read_stop_words(const cJSON *o, tag_config *c, const char *where, blalm_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "stop_words");
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsArray(v)) return err_set(e, "%s: \"stop_words\" must be a list of strings", where);
    int n = cJSON_GetArraySize(v), i = 0;
    c->stop_words = calloc(n ? (size_t)n : 1, sizeof *c->stop_words);
    if (!c->stop_words) return err_set(e, "out of memory");
    for (const cJSON *p = v->child; p; p = p->next, i++) {
        if (!cJSON_IsString(p)) return err_set(e, "%s: stop_words[%d]: expected a string", where, i);
        c->stop_words[i] = p->valuestring;
    }
    c->n_stop_words = (size_t)n;
    return 0;
}

static int read_set(const cJSON *cfg, int set, const char *path, tag_config *c, blalm_err *e)
{
    quality_config *q = &c->quality;
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(cfg, tag_set_name(set));
    if (!o) return 0;
    const char *keys[NFIELDS + 3];
    size_t n = 0;
    for (size_t i = 0; i < NFIELDS; i++)
        if (fields[i].set == set) keys[n++] = fields[i].key;
    /* datatrove's own names for what the per-n keys above also set */
    if (set == TAG_SET_GOPHER_REPETITION) {
        keys[n++] = "top_n_grams";
        keys[n++] = "dup_n_grams";
    }
    if (set == TAG_SET_GOPHER_QUALITY) keys[n++] = "stop_words";
    keys[n] = NULL;
    char where[4200];
    snprintf(where, sizeof where, "%s: %s", path, tag_set_name(set));
    if (config_check_keys(o, keys, where, e) < 0) return -1;
    for (size_t i = 0; i < NFIELDS; i++)
        if (fields[i].set == set && read_field(o, &fields[i], q, where, e) < 0) return -1;
    if (set == TAG_SET_GOPHER_REPETITION &&
        (read_ngram_list(o, "top_n_grams", 2, 4, "top_%d_gram", q->top_n_gram_frac, where, e) < 0 ||
         read_ngram_list(o, "dup_n_grams", 5, 10, "duplicated_%d_n_grams", q->dup_n_gram_frac,
                         where, e) < 0))
        return -1;
    if (set == TAG_SET_GOPHER_QUALITY && read_stop_words(o, c, where, e) < 0) return -1;
    return 0;
}

int tag_config_load(const char *path, tag_config *c, blalm_err *e)
{
    memset(c, 0, sizeof *c);
    quality_defaults(&c->quality);
    if (!path) return 0;
    cJSON *root = config_load(path, e);
    if (!root) return -1;
    c->json_ = root;
    const cJSON *cfg = root;
    if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "tag"))
        cfg = cJSON_GetObjectItemCaseSensitive(root, "tag");
    const char *top[TAG_NSETS + 2];
    top[0] = "taggers";
    for (int s = 0; s <= TAG_NSETS; s++) top[s + 1] = tag_set_name(s); /* NULL-terminated */
    if (config_check_keys(cfg, (const char *const *)top, path, e) < 0) return -1;
    const cJSON *o;
    if ((o = cJSON_GetObjectItemCaseSensitive(cfg, "taggers"))) {   /* as the run config has it */
        const cJSON *it;
        if (!cJSON_IsArray(o) || !cJSON_GetArraySize(o))
            return err_set(e, "%s: taggers: expected a non-empty array of readability, gopher, c4, fineweb", path);
        cJSON_ArrayForEach(it, o) {
            int m;
            char bad[64];
            if (!cJSON_IsString(it) || strchr(it->valuestring, ',') ||
                tag_parse_taggers(it->valuestring, &m, bad, sizeof bad) < 0)
                return err_set(e, "%s: taggers: \"%s\" is not a tagger (readability, gopher, c4, fineweb)", path,
                               cJSON_IsString(it) ? it->valuestring : "a non-string");
            c->taggers |= m;
        }
    }
    if ((o = cJSON_GetObjectItemCaseSensitive(cfg, "readability"))) {
        static const char *const k[] = {"hyphen_dic", "cmudict", NULL};
        char where[4200];
        snprintf(where, sizeof where, "%s: readability", path);
        if (config_check_keys(o, k, where, e) < 0 ||
            config_string(o, "hyphen_dic", NULL, &c->hyphen_dic, where, e) < 0 ||
            config_string(o, "cmudict", NULL, &c->cmudict, where, e) < 0)
            return -1;
    }
    for (int s = TAG_SET_GOPHER_QUALITY; s < TAG_NSETS; s++)
        if (read_set(cfg, s, path, c, e) < 0) return -1;
    return 0;
}

void tag_config_free(tag_config *c)
{
    cJSON_Delete(c->json_);
    c->json_ = NULL;
    c->hyphen_dic = c->cmudict = NULL;
    free(c->stop_words);
    c->stop_words = NULL;
    c->n_stop_words = 0;
}

/* ---- one run's fixed state ---- */

typedef struct tag_run_ctx {
    const tag_opts *o;
    quality_config q;
    readability_ctx *rc;
    quality_ctx *qc;
    int sets;                       /* bit per TAG_SET_* */
    char set_config[TAG_NSETS][80]; /* each set's records' config: "tag <set> settings <hash>" */
    char legacy_config[64];         /* what an earlier blalm's records named: "tag settings
                                       <hash>", one hash of the whole run's settings */
    sbuf command[TAG_NSETS];        /* each set's records' command */
    doc_identity hyphen_id, cmudict_id;
    const char *method;             /* syllables: "cmudict+pyphen", "pyphen" or "" */
    sbuf read_settings;             /* {"syllables","cmudict","cmudict_words"} */
    sbuf stop_json;                 /* custom stop words as a JSON list; empty: default */
    tag_counts *c;
    progress_fn progress;
    void *progress_arg;
} tag_run_ctx;

/* The completion-marker key of one document file's set. */
static marker_key *key_for(const tag_run_ctx *x, int set, const char *rel,
                           const doc_identity *id)
{
    marker_key *k = marker_key_new("tag");
    if (!k) return NULL;
    marker_key_identity(k, rel, id->size, id->mtime_ns, id->xxh3);
    marker_key_setting(k, "set", tag_set_name(set));
    if (set == TAG_SET_READABILITY) {
        marker_key_identity(k, "hyphen_dic", x->hyphen_id.size, x->hyphen_id.mtime_ns,
                            x->hyphen_id.xxh3);
        if (x->o->cmudict)
            marker_key_identity(k, "cmudict", x->cmudict_id.size, x->cmudict_id.mtime_ns,
                                x->cmudict_id.xxh3);
        marker_key_setting(k, "syllables", x->method);
        /* the rules' revision where they changed what the set holds (no
         * revision: 1): 2, a word holding U+0130 keeps Python's U+0307 for
         * its syllables (and SMOG) and loses it for Gunning fog's */
        marker_key_setting(k, "rules", "2");
        /* \w and the lowering are the linked utf8proc's tables: another
         * Unicode version (a library upgrade) tags the files again */
        marker_key_setting(k, "unicode", utf8proc_unicode_version());
        return k;
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        const field *f = &fields[i];
        if (f->set != set) continue;
        quality_config *q = (quality_config *)&x->q;
        if (f->kind == BOOLEAN) marker_key_setting(k, f->key, *bool_at(q, f) ? "true" : "false");
        else marker_key_settingf(k, f->key, "%.17g", *num_at(q, f));
    }
    /* only when not the default, so earlier markers stay valid */
    if (set == TAG_SET_GOPHER_QUALITY && x->stop_json.len)
        marker_key_setting(k, "stop_words", x->stop_json.data);
    /* the rules' revision where they changed what a set holds: c4 and
     * fineweb 2 (C4's kept characters as datatrove strips blank kept lines;
     * spaCy's 128 sentence ends, datatrove's 159 line ends), so files tagged
     * by an earlier blalm are tagged again; then every quality set (c4 and
     * fineweb 3, the gopher sets 2): the word splitter's icons are spaCy 3's
     * list, with the degree sign ("70°F" is 70 ° F); then c4 4 (U+212A
     * lowers to 'k' in the phrase search) and gopher_quality 3 (distinct
     * stop words, as datatrove counts them) */
    marker_key_setting(k, "rules", set == TAG_SET_C4               ? "4"
                                   : set == TAG_SET_FINEWEB         ? "3"
                                   : set == TAG_SET_GOPHER_QUALITY  ? "3"
                                                                    : "2");
    /* the word splitter's categories and the lowering are the linked
     * utf8proc's tables too, as for readability above */
    marker_key_setting(k, "unicode", utf8proc_unicode_version());
    return k;
}

/* ---- tagging one file ---- */

/* What one set of one document file held when it was tagged: kept in its
 * completion marker ("counts"), so that the stats of a resumed or repeated
 * run still describe the whole set. */
typedef struct set_counts {
    uint64_t docs, invalid_utf8, pass;
} set_counts;

static int unit_status(const tag_run_ctx *x, int set, const char *rel, const char *attr_path,
                       const doc_identity *id, marker_key *k, set_counts *done, int *legacy,
                       char *why, size_t cap, blalm_err *e);
static void attr_path_of(const tag_opts *o, int set, const char *rel, char *out, size_t cap);

/* A set's marker result: its counts, and for readability the syllable
 * settings it was measured with. */
static void marker_result_of(const tag_run_ctx *x, int set, const set_counts *c, sbuf *out)
{
    sb_reset(out);
    if (set == TAG_SET_READABILITY) {
        sb_add(out, x->read_settings.data, x->read_settings.len - 1);   /* without its '}' */
        sb_addc(out, ',');
    } else {
        sb_addc(out, '{');
    }
    sb_printf(out, "\"counts\":{\"docs\":%llu,\"invalid_utf8\":%llu,\"pass\":%llu}}",
              (unsigned long long)c->docs, (unsigned long long)c->invalid_utf8,
              (unsigned long long)c->pass);
}

/* The counts a DONE marker keeps; -1 when it keeps none (a marker that an
 * earlier blalm wrote). */
static int marker_counts(const char *state, const char *unit, set_counts *c)
{
    blalm_err e;
    char *res = marker_result(state, "tag", unit, &e);
    if (!res) return -1;
    cJSON *o = cJSON_Parse(res);
    free(res);
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "counts");
    const char *names[3] = {"docs", "invalid_utf8", "pass"};
    uint64_t *dst[3] = {&c->docs, &c->invalid_utf8, &c->pass};
    int ok = cJSON_IsObject(k);
    for (int i = 0; ok && i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(k, names[i]);
        ok = cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble == (double)(uint64_t)v->valuedouble;
        if (ok) *dst[i] = (uint64_t)v->valuedouble;
    }
    cJSON_Delete(o);
    return ok ? 0 : -1;
}

/* One file's counts into the whole set's: the documents of the first set
 * chosen (every set of a file holds the same documents), the passes of each. */
static void add_to_set(const tag_run_ctx *x, const set_counts *cnt)
{
    tag_counts *tot = x->c;
    int first = 1;
    tot->set_files++;
    for (int s = 0; s < TAG_NSETS; s++) {
        if (!(x->sets & (1 << s))) continue;
        if (first) {
            tot->set_docs += cnt[s].docs;
            tot->set_invalid_utf8 += cnt[s].invalid_utf8;
            first = 0;
        }
        tot->set_pass[s] += cnt[s].pass;
    }
}

static int tag_file(tag_run_ctx *x, const doc_file *f, blalm_err *e)
{
    const tag_opts *o = x->o;
    tag_counts *tot = x->c;
    char paths[TAG_NSETS][8192], units[TAG_NSETS][4200];
    marker_key *keys[TAG_NSETS] = {0};
    attr_writer *w[TAG_NSETS] = {0};
    set_counts cnt[TAG_NSETS];
    memset(cnt, 0, sizeof cnt);
    doc_reader *r = NULL;
    sbuf result;
    sb_init(&result);
    int status = -1;
    /* the document file as it is now: a file edited since its attributes were
     * made is measured again, and the records say what each set was made from */
    doc_identity ident;
    if (doc_identity_of(f->path, &ident, e) < 0) return -1;
    int todo = 0;
    for (int s = 0; s < TAG_NSETS; s++) {
        if (!(x->sets & (1 << s))) continue;
        attr_path_of(o, s, f->rel, paths[s], sizeof paths[s]);
        snprintf(units[s], sizeof units[s], "%s/%s", tag_set_name(s), f->rel);
        if (!(keys[s] = key_for(x, s, f->rel, &ident))) {
            err_set(e, "out of memory");
            goto out;
        }
        int st = MARKER_ABSENT, legacy = 0;
        if (o->state && !o->force) {
            char why[512];
            st = unit_status(x, s, f->rel, paths[s], &ident, keys[s], &cnt[s], &legacy, why,
                             sizeof why, e);
            if (st < 0) goto out;
        }
        if (st != MARKER_DONE) todo |= 1 << s;
        /* an earlier blalm's record of these settings, in the set's own form
         * now: a set's files keep one config as later runs redo some */
        else if (legacy && attr_record_write(paths[s], tag_set_name(s), f->rel, &ident, cnt[s].docs, 1,
                                             x->set_config[s], sb_cstr(&x->command[s]), e) < 0)
            goto out;
    }
    if (!todo) {
        tot->files_skipped++;
        add_to_set(x, cnt);
        status = 0;
        goto out;
    }
    /* redone from here: a marker stays only beside what it proves, so a redo
     * (--force, run --from) killed mid-file is redone by the next run, which
     * also removes the killed writer's temporary */
    for (int s = 0; s < TAG_NSETS; s++)
        if ((todo & (1 << s)) && o->state && marker_remove(o->state, "tag", units[s], e) < 0) goto out;
    doc_opts dopts = {0};
    dopts.default_source = f->source;
    dopts.id_stem = f->id_stem;
    /* taggers see text and id only: parquet metadata columns stay compressed
     * (and one blalm cannot decode, an LZ4 url, does not stop tagging) */
    dopts.text_only = 1;
    if (!(r = doc_open(f->path, &dopts, e))) goto out;
    for (int s = 0; s < TAG_NSETS; s++)
        if ((todo & (1 << s)) && !(w[s] = attrw_open(paths[s], tag_set_name(s), e))) goto out;
    sbuf text_out, clean;
    sb_init(&text_out);
    sb_init(&clean);
    ws_spans split = {0};
    blalm_doc d;
    int rcn;
    uint64_t docs_in_file = 0, invalid_in_file = 0;
    while ((rcn = doc_next(r, &d, e)) == 1) {
        docs_in_file++;
        const char *text = d.text;
        size_t len = d.text_len, bad_at;
        uint64_t invalid = 0;
        if (!utf8_valid(text, len, &bad_at)) {
            sb_reset(&clean);
            sb_reserve(&clean, 3 * len + 1);
            invalid = utf8_sanitize(text, len, clean.data, &clean.len);
            text = clean.data;
            len = clean.len;
        }
        invalid_in_file += invalid;
        /* one whitespace split of the text for readability and the tokenizer
         * (without readability the tokenizer splits a window at a time) */
        quality_use_split(x->qc, NULL);
        sbuf *out = &text_out;
        if (todo & (1 << TAG_SET_READABILITY)) {
            if (ws_split(&split, text, len) < 0) {
                err_set(e, "%s: out of memory splitting document %s", f->path, d.id);
                rcn = -1;
                break;
            }
            quality_use_split(x->qc, &split);
            readability_counts k;
            readability_scores sc;
            readability_count_spans(x->rc, &split, &k);
            k.invalid_utf8 = invalid;
            readability_scores_of(&k, &sc);
            sb_reset(out);
            readability_json(&k, &sc, out);
            cnt[TAG_SET_READABILITY].pass++;
            if (attrw_write(w[TAG_SET_READABILITY], d.id, d.id_len, out->data, out->len, e) < 0) {
                rcn = -1;
                break;
            }
            /* a huge document's split (24 bytes a word) goes before the
             * quality measures build their tables */
            if (len > SPLIT_KEEP_MAX) {
                quality_use_split(x->qc, NULL);
                ws_free(&split);
            }
        }
        if (todo & (1 << TAG_SET_GOPHER_QUALITY)) {
            gopher_quality_stats s;
            gopher_quality_measure(x->qc, text, len, &s);
            sb_reset(out);
            gopher_quality_json(&s, out);
            cnt[TAG_SET_GOPHER_QUALITY].pass += !s.reason;
            if (attrw_write(w[TAG_SET_GOPHER_QUALITY], d.id, d.id_len, out->data, out->len, e) < 0) {
                rcn = -1;
                break;
            }
        }
        if (todo & (1 << TAG_SET_GOPHER_REPETITION)) {
            gopher_repetition_stats s;
            gopher_repetition_measure(x->qc, text, len, &s);
            sb_reset(out);
            gopher_repetition_json(&s, out);
            cnt[TAG_SET_GOPHER_REPETITION].pass += !s.reason;
            if (attrw_write(w[TAG_SET_GOPHER_REPETITION], d.id, d.id_len, out->data, out->len,
                            e) < 0) {
                rcn = -1;
                break;
            }
        }
        if (todo & (1 << TAG_SET_FINEWEB)) {
            fineweb_stats s;
            fineweb_measure(x->qc, text, len, &s);
            sb_reset(out);
            fineweb_json(&s, out);
            cnt[TAG_SET_FINEWEB].pass += !s.reason;
            if (attrw_write(w[TAG_SET_FINEWEB], d.id, d.id_len, out->data, out->len, e) < 0) {
                rcn = -1;
                break;
            }
        }
        if (todo & (1 << TAG_SET_C4)) {
            c4_stats s;
            c4_measure(x->qc, text, len, &s);
            sb_reset(out);
            c4_json(&s, out);
            cnt[TAG_SET_C4].pass += !s.v.reason;
            if (attrw_write(w[TAG_SET_C4], d.id, d.id_len, out->data, out->len, e) < 0) {
                rcn = -1;
                break;
            }
        }
        tot->docs++;
        tot->bytes += d.text_len;
        if (x->progress) x->progress(x->progress_arg, tot->bytes, 0, "tag");
    }
    sb_free(&text_out);
    sb_free(&clean);
    quality_use_split(x->qc, NULL);
    ws_free(&split);
    if (rcn < 0) goto out;
    doc_close(r);
    r = NULL;
    {
        struct stat st;
        if (stat(f->path, &st) < 0 || (uint64_t)st.st_size != ident.size ||
            (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec != ident.mtime_ns) {
            err_set(e, "%s: changed while it was being tagged; run blalm tag again", f->path);
            goto out;
        }
    }
    /* the sets measured now hold this file's documents as read now */
    for (int s = 0; s < TAG_NSETS; s++)
        if (todo & (1 << s)) {
            cnt[s].docs = docs_in_file;
            cnt[s].invalid_utf8 = invalid_in_file;
        }
    /* per set: the attribute file, its record, then (last) its marker */
    for (int s = 0; s < TAG_NSETS; s++) {
        if (!w[s]) continue;
        attr_writer *ws = w[s];
        w[s] = NULL;
        if (attrw_commit(ws, e) < 0) goto out;
        if (attr_record_write(paths[s], tag_set_name(s), f->rel, &ident, docs_in_file, 1,
                              x->set_config[s], sb_cstr(&x->command[s]), e) < 0)
            goto out;
        if (o->state) {
            marker_result_of(x, s, &cnt[s], &result);
            if (marker_commit(o->state, "tag", units[s], keys[s], sb_cstr(&result), e) < 0) goto out;
        }
    }
    tot->files++;
    tot->invalid_utf8 += invalid_in_file;
    for (int s = 0; s < TAG_NSETS; s++)
        if (todo & (1 << s)) tot->pass[s] += cnt[s].pass;
    add_to_set(x, cnt);
    status = 0;
out:
    sb_free(&result);
    for (int s = 0; s < TAG_NSETS; s++) {
        attrw_abort(w[s]);
        marker_key_free(keys[s]);
    }
    if (r) doc_close(r);
    return status;
}

/* ---- the run ---- */

/* The whole set first (every file this run owns, those complete before
 * included), then this run's own work under "this_run". */
static int write_stats(const tag_run_ctx *x, blalm_err *e)
{
    const tag_counts *c = x->c;
    sbuf st;
    sb_init(&st);
    sb_printf(&st, "{\"files\":%llu,\"docs\":%llu,\"invalid_utf8\":%llu,\"pass\":{",
              (unsigned long long)c->set_files, (unsigned long long)c->set_docs,
              (unsigned long long)c->set_invalid_utf8);
    int first = 1;
    for (int s = 1; s < TAG_NSETS; s++) {
        if (!(x->sets & (1 << s))) continue;
        sb_json_key(&st, tag_set_name(s), &first);
        sb_json_uint(&st, c->set_pass[s]);
    }
    sb_adds(&st, "}");
    if (x->rc) {
        sb_adds(&st, ",\"readability\":");
        sb_add(&st, x->read_settings.data, x->read_settings.len);
    }
    sb_printf(&st, ",\"this_run\":{\"files\":%llu,\"files_skipped\":%llu,\"docs\":%llu,\"bytes\":%llu,"
                   "\"invalid_utf8\":%llu,\"seconds\":",
              (unsigned long long)c->files, (unsigned long long)c->files_skipped,
              (unsigned long long)c->docs, (unsigned long long)c->bytes,
              (unsigned long long)c->invalid_utf8);
    sb_json_num(&st, c->seconds);
    sb_adds(&st, ",\"pass\":{");
    first = 1;
    for (int s = 1; s < TAG_NSETS; s++) {
        if (!(x->sets & (1 << s))) continue;
        sb_json_key(&st, tag_set_name(s), &first);
        sb_json_uint(&st, c->pass[s]);
    }
    sb_adds(&st, "}}}\n");
    int rc = write_file_atomic(x->o->stats, st.data, st.len, e);
    sb_free(&st);
    return rc;
}

/* The config the records of set s name (x->sets holds s): a hash of the
 * settings that shape that set's values alone (its thresholds; for
 * readability the hyphenation patterns, the syllable method and the
 * dictionary), so that other taggers and their settings leave it alone. */
static void set_config(tag_run_ctx *x, int s)
{
    const tag_opts *o = x->o;
    sbuf t;
    sb_init(&t);
    sb_adds(&t, tag_set_name(s));
    if (s == TAG_SET_READABILITY) {
        sb_printf(&t, "\nhyphen_dic %s\n", o->hyphen_dic ? o->hyphen_dic : "");
        sb_add(&t, x->read_settings.data, x->read_settings.len);
    }
    for (size_t i = 0; i < NFIELDS; i++) {
        const field *f = &fields[i];
        if (f->set != s) continue;
        if (f->kind == BOOLEAN) sb_printf(&t, "\n%s %s", f->key, *bool_at(&x->q, f) ? "true" : "false");
        else sb_printf(&t, "\n%s %.17g", f->key, *num_at(&x->q, f));
    }
    if (s == TAG_SET_GOPHER_QUALITY && x->stop_json.len) {
        sb_adds(&t, "\nstop_words ");
        sb_add(&t, x->stop_json.data, x->stop_json.len);
    }
    snprintf(x->set_config[s], sizeof x->set_config[s], "tag %s settings %016llx", tag_set_name(s),
             (unsigned long long)xxh3_64(t.data, t.len));
    sb_free(&t);
}

/* The command the records of set s name: `blalm tag` with the options that
 * give its values (x->sets holds s). */
static void set_command(tag_run_ctx *x, int s)
{
    const tag_opts *o = x->o;
    /* the patterns have no option: the environment variable names them */
    sbuf *c = &x->command[s];
    if (s == TAG_SET_READABILITY && o->hyphen_dic) {
        sb_adds(c, "BLALM_HYPHEN_DIC=");
        sb_shell_word(c, o->hyphen_dic);
        sb_addc(c, ' ');
    }
    int tg = set_tagger[s];
    sb_adds(c, "blalm tag");
    sb_shell_opt(c, "taggers",
                 tagger_names[tg == TAG_READABILITY ? 0 : tg == TAG_GOPHER ? 1 : tg == TAG_C4 ? 2 : 3]);
    if (o->config_path) sb_shell_opt(c, "config", o->config_path);
    if (s == TAG_SET_READABILITY) sb_shell_opt(c, "cmudict", o->cmudict ? o->cmudict : "none");
    sb_addc(c, 0);   /* a C string */
    c->len--;
}

/* Everything but the quality taggers: the readability context and the
 * settings that markers and records are keyed by. */
static int setup(tag_run_ctx *x, const tag_opts *o, blalm_err *e)
{
    memset(x, 0, sizeof *x);
    x->o = o;
    x->method = "";
    sb_init(&x->read_settings);
    sb_init(&x->stop_json);
    for (int s = 0; s < TAG_NSETS; s++) sb_init(&x->command[s]);
    if (o->stop_words) {
        int first = 1;
        sb_addc(&x->stop_json, '[');
        for (size_t i = 0; i < o->n_stop_words; i++) {
            if (!first) sb_addc(&x->stop_json, ',');
            first = 0;
            sb_json_str(&x->stop_json, o->stop_words[i], strlen(o->stop_words[i]));
        }
        sb_addc(&x->stop_json, ']');
        sb_addc(&x->stop_json, 0);   /* a C string for the marker */
        x->stop_json.len--;
    }
    if (o->quality) memcpy(&x->q, o->quality, sizeof x->q);   /* padding too: it is hashed */
    else quality_defaults(&x->q);
    for (int s = 0; s < TAG_NSETS; s++)
        if (o->taggers & set_tagger[s]) x->sets |= 1 << s;
    if (!x->sets) return err_set(e, "no taggers chosen");
    if (o->taggers & TAG_READABILITY) {
        if (!(x->rc = readability_new(o->hyphen_dic, e))) return -1;
        x->method = "pyphen";
        if (o->cmudict) {
            if (readability_set_cache_dir(x->rc, o->cache_dir) < 0) return err_set(e, "out of memory");
            if (readability_load_cmudict(x->rc, o->cmudict, e) < 0) return -1;
            x->method = "cmudict+pyphen";
            if (doc_identity_of(o->cmudict, &x->cmudict_id, e) < 0) return -1;
        }
        if (doc_identity_of(o->hyphen_dic ? o->hyphen_dic : READABILITY_DEFAULT_DIC,
                            &x->hyphen_id, e) < 0)
            return -1;
    }
    /* the readability settings: the syllable method and the dictionary used */
    int first = 1;
    const char *cmudict = x->rc && o->cmudict ? o->cmudict : "";
    sb_addc(&x->read_settings, '{');
    sb_json_key(&x->read_settings, "syllables", &first);
    sb_json_str(&x->read_settings, x->method, strlen(x->method));
    sb_json_key(&x->read_settings, "cmudict", &first);
    sb_json_str(&x->read_settings, cmudict, strlen(cmudict));
    sb_json_key(&x->read_settings, "cmudict_words", &first);
    sb_json_uint(&x->read_settings, x->rc ? readability_cmudict_words(x->rc) : 0);
    sb_addc(&x->read_settings, '}');
    /* what the records of an earlier blalm named as their config: one hash
     * of every setting of the run, readability's too when it was not chosen
     * (so switching --taggers redid every set) */
    uint64_t settings = xxh3_64(&x->q, sizeof x->q);
    if (o->hyphen_dic) settings ^= xxh3_64(o->hyphen_dic, strlen(o->hyphen_dic));
    settings ^= 0x9e3779b97f4a7c15ULL * xxh3_64(x->read_settings.data, x->read_settings.len);
    if (x->stop_json.len)   /* default stop words: the hash records had before */
        settings ^= 0xc2b2ae3d27d4eb4fULL * xxh3_64(x->stop_json.data, x->stop_json.len);
    snprintf(x->legacy_config, sizeof x->legacy_config, "tag settings %016llx",
             (unsigned long long)settings);
    for (int s = 0; s < TAG_NSETS; s++)
        if (x->sets & (1 << s)) {
            set_config(x, s);
            set_command(x, s);
        }
    return 0;
}

static void teardown(tag_run_ctx *x)
{
    readability_free(x->rc);
    quality_free(x->qc);
    sb_free(&x->read_settings);
    sb_free(&x->stop_json);
    for (int s = 0; s < TAG_NSETS; s++) sb_free(&x->command[s]);
}

/* A marker DONE but a record not current (another config, the attribute file
 * gone) is redone: every file of a set must carry the same config. A record
 * of an earlier blalm names the whole run's settings instead of the set's
 * (legacy_config): one that this run's settings and taggers give is current,
 * and *legacy (may be NULL) says that its record is to be rewritten in the
 * set's own form. */
static int unit_status(const tag_run_ctx *x, int set, const char *rel, const char *attr_path,
                       const doc_identity *id, marker_key *k, set_counts *done, int *legacy,
                       char *why, size_t cap, blalm_err *e)
{
    char unit[4200];
    snprintf(unit, sizeof unit, "%s/%s", tag_set_name(set), rel);
    if (legacy) *legacy = 0;
    int st = marker_check(x->o->state, "tag", unit, k, why, cap, e);
    if (st == MARKER_DONE && !attr_record_current(attr_path, id, x->set_config[set])) {
        if (attr_record_current(attr_path, id, x->legacy_config)) {
            if (legacy) *legacy = 1;
        } else {
            snprintf(why, cap, "%s or its record is missing or from other settings", attr_path);
            st = MARKER_STALE;
        }
    }
    /* the stats describe the whole set from the markers' counts: a marker
     * without them (an earlier blalm's) is measured again, as tokenize does */
    set_counts c;
    if (st == MARKER_DONE && marker_counts(x->o->state, unit, &c) < 0) {
        snprintf(why, cap, "its marker holds no document counts (written by an earlier blalm)");
        st = MARKER_STALE;
    }
    if (st == MARKER_DONE && done) *done = c;
    return st;
}

static void attr_path_of(const tag_opts *o, int set, const char *rel, char *out, size_t cap)
{
    char stem[4096];
    doc_rel_stem(rel, stem, sizeof stem);
    snprintf(out, cap, "%s/%s/%s.jsonl.zst", o->attrs, tag_set_name(set), stem);
}

int tag_unit_status(const tag_opts *o, const char *doc_rel, int set, char *why, size_t why_cap,
                    blalm_err *e)
{
    if (why_cap) why[0] = 0;
    if (!o->state) return err_set(e, "no state directory: tag keeps no markers");
    if (!tag_set_name(set)) return err_set(e, "attribute set %d: no such set", set);
    tag_run_ctx x;
    int st = -1;
    if (setup(&x, o, e) < 0) goto out;
    if (!(x.sets & (1 << set))) {
        err_set(e, "set %s: its tagger is not chosen", tag_set_name(set));
        goto out;
    }
    char path[8192], attr[8192];
    snprintf(path, sizeof path, "%s/%s", o->docs, doc_rel);
    attr_path_of(o, set, doc_rel, attr, sizeof attr);
    doc_identity id;
    if (doc_identity_of(path, &id, e) < 0) goto out;
    marker_key *k = key_for(&x, set, doc_rel, &id);
    if (!k) {
        err_set(e, "out of memory");
        goto out;
    }
    st = unit_status(&x, set, doc_rel, attr, &id, k, NULL, NULL, why, why_cap, e);
    marker_key_free(k);
out:
    teardown(&x);
    return st;
}

int tag_legacy_config(const tag_opts *o, char *out, size_t cap, blalm_err *e)
{
    tag_run_ctx x;
    int rc = setup(&x, o, e);
    if (rc == 0) snprintf(out, cap, "%s", x.legacy_config);
    teardown(&x);
    return rc;
}

int tag_plan(const tag_opts *o, tag_plan_counts *p, blalm_err *e)
{
    memset(p, 0, sizeof *p);
    if (!o->state) return err_set(e, "no state directory: tag keeps no markers");
    tag_run_ctx x;
    doc_file *files = NULL;
    size_t nfiles = 0;
    int rc = -1;
    if (setup(&x, o, e) < 0 || docs_walk(o->docs, &files, &nfiles, e) < 0) goto out;
    for (size_t i = 0; i < nfiles; i++) {
        if (!shard_owns(&o->shard, i)) continue;
        p->files++;
        doc_identity id;
        if (doc_identity_of(files[i].path, &id, e) < 0) goto out;
        for (int s = 0; s < TAG_NSETS; s++) {
            if (!(x.sets & (1 << s))) continue;
            char attr[8192], why[512] = "";
            attr_path_of(o, s, files[i].rel, attr, sizeof attr);
            marker_key *k = key_for(&x, s, files[i].rel, &id);
            if (!k) {
                err_set(e, "out of memory");
                goto out;
            }
            int st = o->force ? MARKER_ABSENT : unit_status(&x, s, files[i].rel, attr, &id, k, NULL, NULL, why, sizeof why, e);
            marker_key_free(k);
            if (st < 0) goto out;
            if (st == MARKER_DONE) p->done++;
            else if (st == MARKER_ABSENT) p->absent++;
            /* a changed setting says more than a record of other settings */
            else if (!p->stale++ || (strstr(why, "setting ") && !strstr(p->why, ": setting ")))
                snprintf(p->why, sizeof p->why, "%s of %s: %s", tag_set_name(s), files[i].rel, why);
        }
    }
    rc = 0;
out:
    docs_walk_free(files, nfiles);
    teardown(&x);
    return rc;
}

int tag_run(const tag_opts *o, tag_counts *c, progress_fn on_progress, void *progress_arg,
            blalm_err *e)
{
    double t0 = now_seconds();
    memset(c, 0, sizeof *c);
    tag_run_ctx x;
    doc_file *files = NULL;
    size_t nfiles = 0;
    int status = -1;
    if (setup(&x, o, e) < 0) goto done;
    x.c = c;
    x.progress = on_progress;
    x.progress_arg = progress_arg;
    if (!(x.qc = quality_new(&x.q, e))) goto done;
    if (o->stop_words && quality_set_stop_words(x.qc, o->stop_words, o->n_stop_words, e) < 0)
        goto done;
    if (docs_walk_some(o->docs, &files, &nfiles, e) < 0) goto done;
    snprintf(c->syllables, sizeof c->syllables, "%s", x.method);
    c->cmudict_words = x.rc ? readability_cmudict_words(x.rc) : 0;
    if (on_progress) on_progress(progress_arg, 0, 0, "tag");
    for (size_t i = 0; i < nfiles; i++) {
        if (!shard_owns(&o->shard, i)) continue;
        if (tag_file(&x, &files[i], e) < 0) goto done;
    }
    /* the other shards' files: an earlier blalm's record of these settings
     * is given the set's own form here too (tag_file does it for this
     * shard's), so that a set never holds both forms, which assembly would
     * refuse as two configurations, until every shard has run again. Only
     * the small record is read and rewritten; one that names other settings
     * is left for its shard to redo. */
    if (!o->force)
        for (size_t i = 0; i < nfiles; i++) {
            if (shard_owns(&o->shard, i)) continue;
            for (int s = 0; s < TAG_NSETS; s++) {
                if (!(x.sets & (1 << s))) continue;
                char attr[8192];
                attr_path_of(o, s, files[i].rel, attr, sizeof attr);
                if (attr_record_relabel(attr, x.legacy_config, x.set_config[s], sb_cstr(&x.command[s]), e) < 0)
                    goto done;
            }
        }
    c->seconds = now_seconds() - t0;
    if (o->stats && write_stats(&x, e) < 0) goto done;
    status = 0;
done:
    docs_walk_free(files, nfiles);
    teardown(&x);
    return status;
}
