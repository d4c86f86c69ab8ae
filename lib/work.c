/* work.c - see work.h. */
#include "work.h"

#include <stdio.h>
#include <string.h>

#include "docs.h"

static int set_dir(char *dst, size_t cap, const char *given, const char *work, const char *sub,
                   const char *what, blalm_err *e)
{
    int n;
    if (given && *given) n = snprintf(dst, cap, "%s", given);
    else if (work && *work) n = snprintf(dst, cap, "%s/%s", work, sub);
    else return err_set(e, "no %s: give --work WORK (or --%s DIR)", what, what);
    if (n < 0 || (size_t)n >= cap) return err_set(e, "%s path too long", what);
    /* drop trailing slashes so joined paths stay canonical */
    size_t len = strlen(dst);
    while (len > 1 && dst[len - 1] == '/') dst[--len] = 0;
    return 0;
}

int work_dirs_init(work_dirs *w, const char *work, const char *docs, const char *out, blalm_err *e)
{
    memset(w, 0, sizeof *w);
    char trimmed[4096];
    if (work && *work) {
        snprintf(trimmed, sizeof trimmed, "%s", work);
        size_t len = strlen(trimmed);
        while (len > 1 && trimmed[len - 1] == '/') trimmed[--len] = 0;
        work = trimmed;
        snprintf(w->work, sizeof w->work, "%s", work);
    }
    if (set_dir(w->docs, sizeof w->docs, docs, work, "docs", "docs", e) < 0) return -1;
    if (set_dir(w->attrs, sizeof w->attrs, out, work, "attributes", "out", e) < 0) return -1;
    if (work && *work) {
        snprintf(w->state, sizeof w->state, "%s/state", work);
        snprintf(w->stats, sizeof w->stats, "%s/stats", work);
    }
    return 0;
}

void attr_path_for(const work_dirs *w, const char *set, const char *rel, char *out, size_t cap)
{
    char stem[4096];
    doc_rel_stem(rel, stem, sizeof stem);
    snprintf(out, cap, "%s/%s/%s.jsonl.zst", w->attrs, set, stem);
}
