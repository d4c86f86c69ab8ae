/* fixture.h - fixtures the stage tests share (test_tag, test_dedup_stages,
 * test_score): a text file written whole (the test stops if it cannot be),
 * and the paths of a work directory under the test's temporary folder. */
#ifndef BLALM_TESTS_FIXTURE_H
#define BLALM_TESTS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "lib/fsutil.h"
#include "test.h"

typedef struct fx_work {
    char root[600], docs[700], attrs[700], state[700], stats[700];
} fx_work;

/* path (its folders made) holding text; exits the test on failure. */
static inline void fx_write_text(const char *path, const char *text)
{
    blalm_err e;
    if (mkdir_parent(path, &e) < 0) {
        fprintf(stderr, "%s\n", e.msg);
        exit(1);
    }
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* TMP/<name> with docs/, attributes/, state/<state_sub> ("" for state/) and
 * stats/<stats_file>; creates nothing. */
static inline void fx_work_paths(fx_work *w, const char *name, const char *state_sub, const char *stats_file)
{
    snprintf(w->root, sizeof w->root, "%s/%s", test_tmpdir(), name);
    snprintf(w->docs, sizeof w->docs, "%s/docs", w->root);
    snprintf(w->attrs, sizeof w->attrs, "%s/attributes", w->root);
    snprintf(w->state, sizeof w->state, "%s/state%s%s", w->root, *state_sub ? "/" : "", state_sub);
    snprintf(w->stats, sizeof w->stats, "%s/stats/%s", w->root, stats_file);
}

#endif
