/* test_tag.c - the tag stage called as a function: completion markers (DONE
 * after a run, STALE after a changed setting or document file, a killed
 * file's outputs without a marker redone), sharding, the config mapping and
 * bad input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "filters/readability.h"
#include "filters/tag.h"
#include "lib/attrsets.h"
#include "lib/fsutil.h"
#include "lib/marker.h"
#include "test.h"
#include "tests/unit/fixture.h"

typedef fx_work work;

static const char doc_a[] =
    "{\"id\":\"a1\",\"text\":\"The committee met on Tuesday to discuss the budget. It was agreed "
    "that the plan would go ahead after a long and careful debate about the costs.\"}\n"
    "{\"id\":\"a2\",\"text\":\"Short one.\"}\n";
static const char doc_b[] =
    "{\"id\":\"b1\",\"text\":\"Rivers carry water from the hills to the sea. Along the way they "
    "shape valleys, feed farms and give homes to fish and birds.\"}\n";

/* A fresh work directory WORK/<name> with docs src/a.jsonl and src/b.jsonl. */
static void make_work(work *w, const char *name)
{
    fx_work_paths(w, name, "", "tag.json");
    char p[800];
    snprintf(p, sizeof p, "%s/src/a.jsonl", w->docs);
    fx_write_text(p, doc_a);
    snprintf(p, sizeof p, "%s/src/b.jsonl", w->docs);
    fx_write_text(p, doc_b);
}

static tag_opts opts_for(const work *w, const quality_config *q)
{
    tag_opts o = {.docs = w->docs, .attrs = w->attrs, .state = w->state, .stats = w->stats,
                  .taggers = TAG_ALL, .quality = q, .cmudict = NULL, .shard = SHARD_ONE};
    return o;
}

static int have_hyphen_dic(void) { return access(READABILITY_DEFAULT_DIC, R_OK) == 0; }

static int status_of(const tag_opts *o, const char *rel, int set, char *why, size_t cap)
{
    blalm_err e;
    int st = tag_unit_status(o, rel, set, why, cap, &e);
    if (st < 0) snprintf(why, cap, "error: %s", e.msg);
    return st;
}

static long long mtime_of(const char *path)
{
    struct stat st;
    if (stat(path, &st) < 0) return -1;
    return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}

TEST(done_after_run_and_rerun_skips)
{
    if (!have_hyphen_dic()) SKIPF("%s not installed", READABILITY_DEFAULT_DIC);
    work w;
    make_work(&w, "done");
    quality_config q;
    quality_defaults(&q);
    tag_opts o = opts_for(&w, &q);
    char why[512];
    for (int s = 0; s < TAG_NSETS; s++)
        CHECK_EQ_INT(status_of(&o, "src/a.jsonl", s, why, sizeof why), MARKER_ABSENT);
    tag_counts c;
    blalm_err e;
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "tag_run: %s", e.msg);
    CHECK_EQ_INT(c.files, 2);
    CHECK_EQ_INT(c.files_skipped, 0);
    CHECK_EQ_INT(c.docs, 3);
    CHECK_EQ_STR(c.syllables, "pyphen");
    for (int s = 0; s < TAG_NSETS; s++) {
        char path[1200];
        snprintf(path, sizeof path, "%s/%s/src/a.jsonl.zst", w.attrs, tag_set_name(s));
        CHECK_MSG(file_exists(path), "missing %s", path);
        snprintf(path, sizeof path, "%s/tag/%s/src/b.jsonl.done", w.state, tag_set_name(s));
        CHECK_MSG(file_exists(path), "missing marker %s", path);
        CHECK_MSG(status_of(&o, "src/a.jsonl", s, why, sizeof why) == MARKER_DONE, "%s: %s",
                  tag_set_name(s), why);
    }
    CHECK(file_exists(w.stats));
    char attr[1200];
    snprintf(attr, sizeof attr, "%s/c4/src/a.jsonl.zst", w.attrs);
    long long before = mtime_of(attr);
    usleep(20000);
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "rerun: %s", e.msg);
    CHECK_EQ_INT(c.files, 0);
    CHECK_EQ_INT(c.files_skipped, 2);
    CHECK_EQ_INT(c.docs, 0);
    CHECK_EQ_INT(mtime_of(attr), before);
    /* --force measures again */
    o.force = 1;
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "force: %s", e.msg);
    CHECK_EQ_INT(c.files, 2);
    CHECK(mtime_of(attr) != before);
}

TEST(stale_after_changed_setting)
{
    if (!have_hyphen_dic()) SKIPF("%s not installed", READABILITY_DEFAULT_DIC);
    work w;
    make_work(&w, "setting");
    quality_config q;
    quality_defaults(&q);
    tag_opts o = opts_for(&w, &q);
    tag_counts c;
    blalm_err e;
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "tag_run: %s", e.msg);
    q.min_doc_words = 7;
    char why[512];
    CHECK_EQ_INT(status_of(&o, "src/a.jsonl", TAG_SET_GOPHER_QUALITY, why, sizeof why),
                 MARKER_STALE);
    CHECK_CONTAINS(why, "setting min_doc_words was 50, now 7");
    /* each set's records name its own settings: the other sets stay done */
    CHECK_MSG(status_of(&o, "src/a.jsonl", TAG_SET_C4, why, sizeof why) == MARKER_DONE, "c4: %s", why);
    CHECK_MSG(status_of(&o, "src/a.jsonl", TAG_SET_READABILITY, why, sizeof why) == MARKER_DONE,
              "readability: %s", why);
    char c4[1200];
    snprintf(c4, sizeof c4, "%s/c4/src/a.jsonl.zst", w.attrs);
    long long c4_before = mtime_of(c4);
    usleep(20000);
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "rerun: %s", e.msg);
    CHECK_EQ_INT(c.files, 2);
    CHECK_EQ_INT(mtime_of(c4), c4_before);
    for (int s = 0; s < TAG_NSETS; s++)
        CHECK_MSG(status_of(&o, "src/b.jsonl", s, why, sizeof why) == MARKER_DONE, "%s: %s",
                  tag_set_name(s), why);
    /* the syllable method is a setting of readability */
    char dict[800];
    snprintf(dict, sizeof dict, "%s/mini.dict", w.root);
    fx_write_text(dict, "RIVERS  R IH1 V ER0 Z\nWATER  W AO1 T ER0\n");
    o.cmudict = dict;
    CHECK_EQ_INT(status_of(&o, "src/b.jsonl", TAG_SET_READABILITY, why, sizeof why),
                 MARKER_STALE);
    CHECK_CONTAINS(why, "cmudict");
    CHECK(!strstr(why, "record"));
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "cmudict run: %s", e.msg);
    CHECK_EQ_STR(c.syllables, "cmudict+pyphen");
    CHECK_EQ_INT(c.cmudict_words, 2);
    CHECK_EQ_INT(status_of(&o, "src/b.jsonl", TAG_SET_READABILITY, why, sizeof why),
                 MARKER_DONE);
    /* the dictionary's bytes, not its name, are keyed */
    fx_write_text(dict, "RIVERS  R IH1 V ER0 Z\nWATER  W AO1 T ER1 ER0\n");
    CHECK_EQ_INT(status_of(&o, "src/b.jsonl", TAG_SET_READABILITY, why, sizeof why),
                 MARKER_STALE);
    CHECK_CONTAINS(why, "input cmudict changed");
}

TEST(stale_after_changed_document)
{
    if (!have_hyphen_dic()) SKIPF("%s not installed", READABILITY_DEFAULT_DIC);
    work w;
    make_work(&w, "document");
    tag_opts o = opts_for(&w, NULL);
    o.taggers = TAG_C4 | TAG_FINEWEB;
    tag_counts c;
    blalm_err e;
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "tag_run: %s", e.msg);
    char path[800], why[512];
    snprintf(path, sizeof path, "%s/src/a.jsonl", w.docs);
    /* same size, other bytes */
    char edited[sizeof doc_a];
    memcpy(edited, doc_a, sizeof doc_a);
    char *t = strstr(edited, "Tuesday");
    memcpy(t, "Monday ", 7);
    fx_write_text(path, edited);
    CHECK_EQ_INT(status_of(&o, "src/a.jsonl", TAG_SET_C4, why, sizeof why), MARKER_STALE);
    CHECK_CONTAINS(why, "input src/a.jsonl changed: same size, other content");
    CHECK_EQ_INT(status_of(&o, "src/b.jsonl", TAG_SET_C4, why, sizeof why), MARKER_DONE);
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "rerun: %s", e.msg);
    CHECK_EQ_INT(c.files, 1);
    CHECK_EQ_INT(c.files_skipped, 1);
    CHECK_EQ_INT(c.docs, 2);
    /* touched without change: still done */
    fx_write_text(path, edited);
    CHECK_EQ_INT(status_of(&o, "src/a.jsonl", TAG_SET_FINEWEB, why, sizeof why), MARKER_DONE);
}

TEST(killed_file_without_marker_is_redone)
{
    if (!have_hyphen_dic()) SKIPF("%s not installed", READABILITY_DEFAULT_DIC);
    work w;
    make_work(&w, "killed");
    tag_opts o = opts_for(&w, NULL);
    o.taggers = TAG_GOPHER;
    tag_counts c;
    blalm_err e;
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "tag_run: %s", e.msg);
    /* a run killed after renaming the outputs, before committing the marker */
    CHECK(marker_remove(w.state, "tag", "gopher_repetition/src/b.jsonl", &e) == 0);
    char why[512];
    CHECK_EQ_INT(status_of(&o, "src/b.jsonl", TAG_SET_GOPHER_REPETITION, why, sizeof why),
                 MARKER_ABSENT);
    CHECK_EQ_INT(status_of(&o, "src/b.jsonl", TAG_SET_GOPHER_QUALITY, why, sizeof why),
                 MARKER_DONE);
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "rerun: %s", e.msg);
    CHECK_EQ_INT(c.files, 1);
    CHECK_EQ_INT(c.files_skipped, 1);
    CHECK_EQ_INT(status_of(&o, "src/b.jsonl", TAG_SET_GOPHER_REPETITION, why, sizeof why),
                 MARKER_DONE);
    /* an old-format marker (WORK/state/tag/<set>/<stem>.<hash>.done) counts as absent */
    char old[1200];
    snprintf(old, sizeof old, "%s/tag/gopher_quality/src/a.0123456789abcdef.done", w.state);
    fx_write_text(old, "{}\n");
    CHECK(marker_remove(w.state, "tag", "gopher_quality/src/a.jsonl", &e) == 0);
    CHECK_EQ_INT(status_of(&o, "src/a.jsonl", TAG_SET_GOPHER_QUALITY, why, sizeof why),
                 MARKER_ABSENT);
}

static void count_progress(void *arg, uint64_t done, uint64_t total, const char *what)
{
    uint64_t *last = arg;
    if (!strcmp(what, "tag") && total == 0 && done >= *last) *last = done;
    else *last = UINT64_MAX;   /* out of order or unexpected */
}

TEST(shards_split_files_and_progress)
{
    if (!have_hyphen_dic()) SKIPF("%s not installed", READABILITY_DEFAULT_DIC);
    work w;
    make_work(&w, "shards");
    tag_opts o = opts_for(&w, NULL);
    o.taggers = TAG_READABILITY;
    o.shard = (shard_spec){1, 2, "flag"};
    tag_counts c;
    blalm_err e;
    uint64_t last = 0;
    CHECK_MSG(tag_run(&o, &c, count_progress, &last, &e) == 0, "shard 1: %s", e.msg);
    CHECK_EQ_INT(c.files, 1);   /* src/b.jsonl: index 1 in path order */
    CHECK_EQ_INT(last, c.bytes);
    char a[1200], b[1200];
    snprintf(a, sizeof a, "%s/readability/src/a.jsonl.zst", w.attrs);
    snprintf(b, sizeof b, "%s/readability/src/b.jsonl.zst", w.attrs);
    CHECK(!file_exists(a) && file_exists(b));
    o.shard = (shard_spec){0, 2, "flag"};
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "shard 0: %s", e.msg);
    CHECK_EQ_INT(c.files, 1);
    CHECK(file_exists(a));
    o.shard = SHARD_ONE;
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "all: %s", e.msg);
    CHECK_EQ_INT(c.files_skipped, 2);
}

TEST(bad_document_leaves_nothing)
{
    if (!have_hyphen_dic()) SKIPF("%s not installed", READABILITY_DEFAULT_DIC);
    work w;
    make_work(&w, "bad");
    char path[800];
    snprintf(path, sizeof path, "%s/src/a.jsonl", w.docs);
    fx_write_text(path, "{\"id\": \"1\", \"text\": \"fine\"}\n{\"id\": 2, \"text\": \n");
    tag_opts o = opts_for(&w, NULL);
    tag_counts c;
    blalm_err e;
    CHECK(tag_run(&o, &c, NULL, NULL, &e) < 0);
    CHECK_CONTAINS(e.msg, "a.jsonl");
    char why[512];
    for (int s = 0; s < TAG_NSETS; s++) {
        char attr[1200];
        snprintf(attr, sizeof attr, "%s/%s/src/a.jsonl.zst", w.attrs, tag_set_name(s));
        CHECK(!file_exists(attr));
        CHECK_EQ_INT(status_of(&o, "src/a.jsonl", s, why, sizeof why), MARKER_ABSENT);
    }
}

/* The "config" of the record beside attribute file attr ("" when none). */
static void record_config(const char *attr, char *out, size_t cap)
{
    char rec[1200], *text;
    size_t len;
    blalm_err e;
    out[0] = 0;
    snprintf(rec, sizeof rec, "%.*s.record.json", (int)(strlen(attr) - strlen(".jsonl.zst")), attr);
    if (read_file(rec, &text, &len, &e) < 0) return;
    cJSON *r = cJSON_ParseWithLength(text, len);
    free(text);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(r, "config");
    if (cJSON_IsString(c)) snprintf(out, cap, "%s", c->valuestring);
    cJSON_Delete(r);
}

/* The record beside attr with its config replaced (as an earlier blalm wrote it). */
static void record_set_config(const char *attr, const char *config)
{
    char rec[1200], *text;
    size_t len;
    blalm_err e;
    snprintf(rec, sizeof rec, "%.*s.record.json", (int)(strlen(attr) - strlen(".jsonl.zst")), attr);
    if (read_file(rec, &text, &len, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        exit(1);
    }
    cJSON *r = cJSON_ParseWithLength(text, len);
    free(text);
    cJSON_ReplaceItemInObjectCaseSensitive(r, "config", cJSON_CreateString(config));
    char *out = cJSON_PrintUnformatted(r);
    fx_write_text(rec, out);
    free(out);
    cJSON_Delete(r);
}

/* A set's records name its own settings, so running some taggers redoes no
 * other set's files and leaves their records alone (a c4-only run after a
 * full one redid every c4 file, and the next full run redid them again:
 * the record's config hashed every tagger's settings). */
TEST(taggers_switch_keeps_sets)
{
    if (!have_hyphen_dic()) SKIPF("%s not installed", READABILITY_DEFAULT_DIC);
    work w;
    make_work(&w, "switch");
    tag_opts o = opts_for(&w, NULL);
    tag_counts c;
    blalm_err e;
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "all: %s", e.msg);
    CHECK_EQ_INT(c.files, 2);
    char attr[TAG_NSETS][1200], cfg[TAG_NSETS][200], now[200];
    for (int s = 0; s < TAG_NSETS; s++) {
        snprintf(attr[s], sizeof attr[s], "%s/%s/src/a.jsonl.zst", w.attrs, tag_set_name(s));
        record_config(attr[s], cfg[s], sizeof cfg[s]);
        CHECK_MSG(cfg[s][0], "%s: no record", attr[s]);
    }
    static const int only[] = {TAG_C4, TAG_FINEWEB, TAG_GOPHER, TAG_READABILITY, TAG_ALL};
    for (size_t i = 0; i < sizeof only / sizeof only[0]; i++) {
        o.taggers = only[i];
        CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "taggers %d: %s", only[i], e.msg);
        CHECK_MSG(c.files == 0 && c.files_skipped == 2, "taggers %d: %llu files measured", only[i],
                  (unsigned long long)c.files);
        for (int s = 0; s < TAG_NSETS; s++) {
            record_config(attr[s], now, sizeof now);
            CHECK_MSG(!strcmp(now, cfg[s]), "taggers %d: %s's config %s, was %s", only[i],
                      tag_set_name(s), now, cfg[s]);
        }
    }
}

/* Tags w's two files, keeps each set's record config in cfg[set] and makes
 * every record an earlier blalm's, naming the whole run's settings (legacy);
 * 0, or -1 with the reason in why. */
static int tag_then_make_legacy(const work *w, const tag_opts *o, char legacy[200], char cfg[TAG_NSETS][200],
                                char *why, size_t cap)
{
    tag_counts c;
    blalm_err e;
    if (tag_run(o, &c, NULL, NULL, &e) != 0 || tag_legacy_config(o, legacy, 200, &e) != 0) {
        snprintf(why, cap, "%s", e.msg);
        return -1;
    }
    char attr[1200];
    for (int s = 0; s < TAG_NSETS; s++)
        for (int f = 0; f < 2; f++) {
            snprintf(attr, sizeof attr, "%s/%s/src/%c.jsonl.zst", w->attrs, tag_set_name(s), "ab"[f]);
            if (!f) record_config(attr, cfg[s], 200);
            record_set_config(attr, legacy);
        }
    return 0;
}

/* Records of an earlier blalm name the whole run's settings: a run with the
 * same settings and taggers takes them as current (nothing is measured
 * again) and rewrites them in the set's own form, so that a set's files
 * keep one config when some are redone later. */
TEST(legacy_records_accepted_and_rewritten)
{
    if (!have_hyphen_dic()) SKIPF("%s not installed", READABILITY_DEFAULT_DIC);
    work w;
    make_work(&w, "legacy");
    tag_opts o = opts_for(&w, NULL);
    tag_counts c;
    blalm_err e;
    char legacy[200], attr[1200], cfg[TAG_NSETS][200], now[200], why[512];
    CHECK_MSG(tag_then_make_legacy(&w, &o, legacy, cfg, why, sizeof why) == 0, "all: %s", why);
    CHECK(!strncmp(legacy, "tag settings ", 13) && strlen(legacy) == 13 + 16);
    CHECK_MSG(status_of(&o, "src/a.jsonl", TAG_SET_C4, why, sizeof why) == MARKER_DONE, "%s", why);
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "rerun: %s", e.msg);
    CHECK_EQ_INT(c.files, 0);
    CHECK_EQ_INT(c.files_skipped, 2);
    for (int s = 0; s < TAG_NSETS; s++) {
        snprintf(attr, sizeof attr, "%s/%s/src/b.jsonl.zst", w.attrs, tag_set_name(s));
        record_config(attr, now, sizeof now);
        CHECK_MSG(!strcmp(now, cfg[s]), "%s: config %s after the rerun, want %s", tag_set_name(s), now, cfg[s]);
    }
    /* a legacy record of other settings (or other taggers) is not current */
    snprintf(attr, sizeof attr, "%s/c4/src/a.jsonl.zst", w.attrs);
    record_set_config(attr, "tag settings 0123456789abcdef");
    CHECK_EQ_INT(status_of(&o, "src/a.jsonl", TAG_SET_C4, why, sizeof why), MARKER_STALE);
    CHECK_CONTAINS(why, "record");
}

/* A sharded rerun after the upgrade (one Slurm array task, say) gives the
 * other shards' legacy records the set's own form too: a set holding both
 * forms was refused by assembly as two configurations (review finding). */
TEST(legacy_records_sharded_rerun)
{
    if (!have_hyphen_dic()) SKIPF("%s not installed", READABILITY_DEFAULT_DIC);
    work w;
    make_work(&w, "legacy-shard");
    tag_opts o = opts_for(&w, NULL);
    tag_counts c;
    blalm_err e;
    char legacy[200], attr[1200], cfg[TAG_NSETS][200], now[200], why[512];
    CHECK_MSG(tag_then_make_legacy(&w, &o, legacy, cfg, why, sizeof why) == 0, "all: %s", why);
    o.shard = (shard_spec){0, 2, "flag"};   /* owns src/a.jsonl only */
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "shard 0/2: %s", e.msg);
    CHECK_EQ_INT(c.files, 0);
    for (int s = 0; s < TAG_NSETS; s++)
        for (int f = 0; f < 2; f++) {
            snprintf(attr, sizeof attr, "%s/%s/src/%c.jsonl.zst", w.attrs, tag_set_name(s), "ab"[f]);
            record_config(attr, now, sizeof now);
            CHECK_MSG(!strcmp(now, cfg[s]), "%s of %c: config %s after shard 0/2, want %s", tag_set_name(s),
                      "ab"[f], now, cfg[s]);
        }
    /* a record of other settings is not relabelled: its shard redoes it */
    snprintf(attr, sizeof attr, "%s/c4/src/b.jsonl.zst", w.attrs);
    record_set_config(attr, "tag settings 0123456789abcdef");
    CHECK_MSG(tag_run(&o, &c, NULL, NULL, &e) == 0, "shard 0/2 again: %s", e.msg);
    record_config(attr, now, sizeof now);
    CHECK_EQ_STR(now, "tag settings 0123456789abcdef");
}

/* tag's sets are the registry's: the same names, in the TAG_SET_* order */
TEST(set_names_from_registry)
{
    const char *reg[16];
    CHECK_EQ_INT(attrsets_tag_sets(reg, 16), TAG_NSETS);
    for (int s = 0; s < TAG_NSETS; s++) {
        CHECK_EQ_STR(tag_set_name(s), reg[s]);
        CHECK_EQ_STR(attrsets_find(reg[s])->writer, "tag");
    }
    CHECK_EQ_STR(tag_set_name(TAG_SET_READABILITY), "readability");
    CHECK_EQ_STR(tag_set_name(TAG_SET_FINEWEB), "fineweb");
    CHECK(tag_set_name(TAG_NSETS) == NULL && tag_set_name(-1) == NULL);
}

TEST(config_mapping)
{
    char path[800];
    snprintf(path, sizeof path, "%s/cfg/tag.json", test_tmpdir());
    fx_write_text(path, "{\"tag\": {\"gopher_quality\": {\"min_doc_words\": null, \"max_doc_words\": 9},"
                     " \"c4\": {\"filter_policy\": false, \"max_word_length\": 500},"
                     " \"fineweb\": {\"line_punct_exclude_zero\": true},"
                     " \"readability\": {\"cmudict\": \"none\"}}}");
    tag_config c;
    blalm_err e;
    CHECK_MSG(tag_config_load(path, &c, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.quality.min_doc_words, -1);
    CHECK_EQ_INT(c.quality.max_doc_words, 9);
    CHECK_EQ_INT(c.quality.c4_filter_policy, 0);
    CHECK_EQ_INT(c.quality.c4_max_word_length, 500);
    CHECK_EQ_INT(c.quality.line_punct_exclude_zero, 1);
    CHECK_EQ_INT(c.quality.dup_line_frac * 10, 3);   /* untouched: datatrove's default */
    CHECK_EQ_STR(c.cmudict, "none");
    CHECK(c.hyphen_dic == NULL);
    tag_config_free(&c);
    fx_write_text(path, "{\"gopher_repetition\": {\"top_5_gram\": 0.1}}");
    CHECK(tag_config_load(path, &c, &e) < 0);
    CHECK_CONTAINS(e.msg, "top_5_gram");
    CHECK_CONTAINS(e.msg, "gopher_repetition");
    tag_config_free(&c);
    fx_write_text(path, "{\"c4\": {\"max_word_length\": null}}");
    CHECK(tag_config_load(path, &c, &e) < 0);   /* only Gopher rules take null */
    CHECK_CONTAINS(e.msg, "max_word_length");
    tag_config_free(&c);
    int mask;
    char bad[64];
    CHECK(tag_parse_taggers("c4,readability", &mask, bad, sizeof bad) == 0);
    CHECK_EQ_INT(mask, TAG_C4 | TAG_READABILITY);
    CHECK(tag_parse_taggers("gopher,nope", &mask, bad, sizeof bad) < 0);
    CHECK_EQ_STR(bad, "nope");
}

int main(void)
{
    RUN(done_after_run_and_rerun_skips);
    RUN(stale_after_changed_setting);
    RUN(stale_after_changed_document);
    RUN(killed_file_without_marker_is_redone);
    RUN(shards_split_files_and_progress);
    RUN(bad_document_leaves_nothing);
    RUN(taggers_switch_keeps_sets);
    RUN(legacy_records_accepted_and_rewritten);
    RUN(legacy_records_sharded_rerun);
    RUN(set_names_from_registry);
    RUN(config_mapping);
    return test_summary();
}
