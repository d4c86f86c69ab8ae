/* test_dedup_stages.c - dedup's four stages called as functions: completion
 * markers through lib/marker (every unit DONE after a run and skipped on a
 * rerun; a document file whose bytes changed redoes its signatures and
 * everything after; a touched one does not; a unit whose marker is missing,
 * as after a kill, or in the old format is redone), sharding and progress;
 * concurrent shards recording their figures in WORK/stats/dedup.json lose
 * none of them. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "filters/dedup.h"
#include "lib/fsutil.h"
#include "lib/marker.h"
#include "test.h"
#include "tests/unit/fixture.h"

typedef struct dwork {
    char root[600], docs[700], attrs[700], state[700], stats[700];
    dd_paths p;
} dwork;

/* docs s/a.jsonl (3 documents, two near-copies), s/b.jsonl (2 documents, one
 * a copy of a's first) */
static void make_work(dwork *w, const char *name)
{
    snprintf(w->root, sizeof w->root, "%s/%s", test_tmpdir(), name);
    snprintf(w->docs, sizeof w->docs, "%s/docs", w->root);
    snprintf(w->attrs, sizeof w->attrs, "%s/attributes", w->root);
    snprintf(w->state, sizeof w->state, "%s/state/dedup", w->root);
    snprintf(w->stats, sizeof w->stats, "%s/stats/dedup.json", w->root);
    char p[800];
    snprintf(p, sizeof p, "%s/s/a.jsonl", w->docs);
    fx_write_text(p, "{\"id\":\"a1\",\"text\":\"the quick brown fox jumps over the lazy dog near the "
                  "river bank at dawn\"}\n"
                  "{\"id\":\"a2\",\"text\":\"the quick brown fox jumps over the lazy dog near the "
                  "river bank at dusk\"}\n"
                  "{\"id\":\"a3\",\"text\":\"an entirely different text about ships sailing on "
                  "the open sea\"}\n");
    snprintf(p, sizeof p, "%s/s/b.jsonl", w->docs);
    fx_write_text(p, "{\"id\":\"b1\",\"text\":\"the quick brown fox jumps over the lazy dog near the "
                  "river bank at dawn\"}\n"
                  "{\"id\":\"b2\",\"text\":\"mountains rise above the clouds where eagles nest "
                  "in spring\"}\n");
    w->p = (dd_paths){w->docs, w->attrs, w->state, w->stats};
}

typedef struct run_counts {
    dd_stats st[4];
} run_counts;

static int run_all(const dwork *w, const dd_config *c, const dd_run_opts *o, run_counts *r,
                   blalm_err *e)
{
    memset(r, 0, sizeof *r);
    if (dd_stage_signatures(c, &w->p, o, &r->st[0], e) < 0) return -1;
    if (dd_stage_buckets(c, &w->p, o, &r->st[1], e) < 0) return -1;
    if (dd_stage_cluster(c, &w->p, o, &r->st[2], e) < 0) return -1;
    return dd_stage_attributes(c, &w->p, o, &r->st[3], e);
}

static int small_config(dd_config *c)
{
    dd_config_default(c);
    c->bands = 4;
    c->rows = 2;
    c->shingle = 2;
    return 0;
}

/* The marker file's status for a unit (stage dir "dedup" under WORK/state). */
static int marker_present(const dwork *w, const char *unit)
{
    char path[1600];
    snprintf(path, sizeof path, "%s/%s.done", w->state, unit);
    char *text = NULL;
    size_t n;
    blalm_err e;
    if (!file_exists(path) || read_file(path, &text, &n, &e) < 0) return 0;
    int ok = strstr(text, "\"version\":1") && strstr(text, "\"stage\":\"dedup\"");
    free(text);
    return ok;
}

static char *read_all(const char *path)
{
    char *text = NULL;
    size_t n;
    blalm_err e;
    if (read_file(path, &text, &n, &e) < 0) return NULL;
    return text;
}

TEST(markers_after_run_and_rerun_skips)
{
    dwork w;
    make_work(&w, "rerun");
    dd_config c;
    small_config(&c);
    dd_run_opts o = {.shard = 0, .nshards = 1, .threads = 1, .mem_bytes = 1 << 20};
    run_counts r;
    blalm_err e;
    CHECK_MSG(run_all(&w, &c, &o, &r, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(r.st[0].files, 2);
    CHECK_EQ_INT(r.st[0].files_skipped, 0);
    CHECK(marker_present(&w, "signatures/s/a.jsonl"));
    CHECK(marker_present(&w, "signatures/s/b.jsonl"));
    CHECK(marker_present(&w, "buckets/band-00"));
    CHECK(marker_present(&w, "buckets/exact-text"));
    CHECK(marker_present(&w, "cluster"));
    CHECK(marker_present(&w, "attributes/s/a.jsonl"));
    char attr[1200];
    snprintf(attr, sizeof attr, "%s/dedup/s/b.jsonl.zst", w.attrs);
    char *before = read_all(attr);
    CHECK(before != NULL);
    CHECK_MSG(run_all(&w, &c, &o, &r, &e) == 0, "rerun: %s", e.msg);
    CHECK_EQ_INT(r.st[0].files_skipped, 2);
    CHECK_EQ_INT(r.st[1].files_skipped, 4 + 3);
    CHECK_EQ_INT(r.st[2].files_skipped, 1);
    CHECK_EQ_INT(r.st[3].files_skipped, 2);
    /* a document file touched without change is still done */
    char doc[800];
    snprintf(doc, sizeof doc, "%s/s/a.jsonl", w.docs);
    char *same = read_all(doc);
    usleep(20000);
    fx_write_text(doc, same);
    free(same);
    CHECK_MSG(run_all(&w, &c, &o, &r, &e) == 0, "touched: %s", e.msg);
    CHECK_EQ_INT(r.st[0].files_skipped, 2);
    CHECK_EQ_INT(r.st[3].files_skipped, 2);
    char *after = read_all(attr);
    CHECK(after && !strcmp(before, after));
    free(before);
    free(after);
}

TEST(changed_document_redoes_its_signatures_and_all_after)
{
    dwork w;
    make_work(&w, "changed");
    dd_config c;
    small_config(&c);
    dd_run_opts o = {.shard = 0, .nshards = 1, .threads = 1, .mem_bytes = 1 << 20};
    run_counts r;
    blalm_err e;
    CHECK_MSG(run_all(&w, &c, &o, &r, &e) == 0, "%s", e.msg);
    /* b's second document becomes a copy of a3 (same size: other bytes) */
    char doc[800];
    snprintf(doc, sizeof doc, "%s/s/b.jsonl", w.docs);
    fx_write_text(doc, "{\"id\":\"b1\",\"text\":\"the quick brown fox jumps over the lazy dog near "
                    "the river bank at dawn\"}\n"
                    "{\"id\":\"b2\",\"text\":\"an entirely different text about ships sailing "
                    "on the open sea\"}\n");
    CHECK_MSG(run_all(&w, &c, &o, &r, &e) == 0, "rerun: %s", e.msg);
    CHECK_EQ_INT(r.st[0].files, 2);
    CHECK_EQ_INT(r.st[0].files_skipped, 1);
    CHECK_EQ_INT(r.st[1].files_skipped, 0);
    CHECK_EQ_INT(r.st[2].files_skipped, 0);
    CHECK_EQ_INT(r.st[3].files_skipped, 0);
    char attr[1200];
    snprintf(attr, sizeof attr, "%s/dedup/s/b.jsonl.zst", w.attrs);
    CHECK(file_exists(attr));
}

TEST(unit_without_marker_is_redone)
{
    dwork w;
    make_work(&w, "killed");
    dd_config c;
    small_config(&c);
    dd_run_opts o = {.shard = 0, .nshards = 1, .threads = 1, .mem_bytes = 1 << 20};
    run_counts r;
    blalm_err e;
    CHECK_MSG(run_all(&w, &c, &o, &r, &e) == 0, "%s", e.msg);
    char root[800];
    snprintf(root, sizeof root, "%s/state", w.root);
    /* killed after the outputs were renamed, before the marker */
    CHECK(marker_remove(root, "dedup", "attributes/s/b.jsonl", &e) == 0);
    CHECK(marker_remove(root, "dedup", "buckets/band-02", &e) == 0);
    /* a marker of the old format (before lib/marker): redone */
    char old[1200];
    snprintf(old, sizeof old, "%s/signatures/s/a.jsonl.done", w.state);
    fx_write_text(old, "{\"clusters\":\"0123456789abcdef0123456789abcdef\"}\n");
    CHECK_MSG(run_all(&w, &c, &o, &r, &e) == 0, "rerun: %s", e.msg);
    CHECK_EQ_INT(r.st[0].files_skipped, 1);
    CHECK(marker_present(&w, "signatures/s/a.jsonl"));
    /* same signatures (same table): the one bucket unit, then nothing else */
    CHECK_EQ_INT(r.st[1].files_skipped, 4 + 3 - 1);
    CHECK_EQ_INT(r.st[2].files_skipped, 1);
    CHECK_EQ_INT(r.st[3].files_skipped, 1);
    CHECK(marker_present(&w, "attributes/s/b.jsonl"));
    CHECK(marker_present(&w, "buckets/band-02"));
}

static void last_progress(void *arg, uint64_t done, uint64_t total, const char *what)
{
    char *buf = arg;
    snprintf(buf, 128, "%s %llu/%llu", what, (unsigned long long)done, (unsigned long long)total);
}

TEST(shards_and_progress)
{
    dwork w;
    make_work(&w, "shards");
    dd_config c;
    small_config(&c);
    char last[128] = "";
    dd_run_opts o = {.shard = 1, .nshards = 2, .threads = 1, .mem_bytes = 1 << 20,
                     .progress = last_progress, .progress_arg = last};
    dd_stats st;
    blalm_err e;
    memset(&st, 0, sizeof st);
    CHECK_MSG(dd_stage_signatures(&c, &w.p, &o, &st, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(st.files, 1);   /* s/b.jsonl, index 1 in path order */
    CHECK_EQ_STR(last, "dedup signatures 1/2");
    CHECK(marker_present(&w, "signatures/s/b.jsonl"));
    CHECK(!marker_present(&w, "signatures/s/a.jsonl"));
    /* the buckets stage needs every shard's signatures */
    memset(&st, 0, sizeof st);
    CHECK(dd_stage_buckets(&c, &w.p, &o, &st, &e) < 0);
    CHECK_CONTAINS(e.msg, "a.jsonl.sig");
    o.shard = 0;
    memset(&st, 0, sizeof st);
    CHECK_MSG(dd_stage_signatures(&c, &w.p, &o, &st, &e) == 0, "%s", e.msg);
    CHECK(marker_present(&w, "signatures/s/a.jsonl"));
    memset(&st, 0, sizeof st);
    CHECK_MSG(dd_stage_buckets(&c, &w.p, &o, &st, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(st.files, 4);   /* units 0, 2, 4, 6 of 7 */
    CHECK(marker_present(&w, "buckets/band-00") && !marker_present(&w, "buckets/band-01"));
}

/* 8 processes (shards running at once) each record 25 stage entries in one
 * stats file: every entry must survive (each record is a read-modify-write
 * of the whole file, so without a lock writers overwrite each other). */
TEST(concurrent_stats_records_lose_nothing)
{
    dwork w;
    make_work(&w, "stats_race");
    enum { PROCS = 8, EACH = 25 };
    pid_t kids[PROCS];
    for (int k = 0; k < PROCS; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            int bad = 0;
            for (int i = 0; i < EACH; i++) {
                char name[64];
                snprintf(name, sizeof name, "signatures-%d-of-%d-run%d", k, PROCS, i);
                dd_stats st;
                memset(&st, 0, sizeof st);
                st.files = (uint64_t)(k * 100 + i);
                blalm_err e;
                if (dd_stats_record(&w.p, name, &st, &e) < 0) {
                    fprintf(stderr, "%s\n", e.msg);
                    bad = 1;
                }
            }
            _exit(bad);
        }
        CHECK(kids[k] > 0);
    }
    int failed = 0;
    for (int k = 0; k < PROCS; k++) {
        int status = 0;
        waitpid(kids[k], &status, 0);
        failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    CHECK_EQ_INT(failed, 0);
    char *text = NULL;
    size_t n = 0;
    blalm_err e;
    CHECK_MSG(read_file(w.stats, &text, &n, &e) == 0, "%s", e.msg);
    cJSON *j = cJSON_ParseWithLength(text, n);
    free(text);
    cJSON *stages = cJSON_GetObjectItemCaseSensitive(j, "stages");
    CHECK_EQ_INT(cJSON_GetArraySize(stages), PROCS * EACH);
    cJSON *one = cJSON_GetObjectItemCaseSensitive(stages, "signatures-7-of-8-run24");
    cJSON *units = cJSON_GetObjectItemCaseSensitive(one, "units");
    CHECK(cJSON_IsNumber(units) && units->valuedouble == 724);
    cJSON_Delete(j);
}

int main(void)
{
    RUN(markers_after_run_and_rerun_skips);
    RUN(changed_document_redoes_its_signatures_and_all_after);
    RUN(unit_without_marker_is_redone);
    RUN(shards_and_progress);
    RUN(concurrent_stats_records_lose_nothing);
    return test_summary();
}
