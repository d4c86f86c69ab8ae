/* work.h - the WORK directory layout (DESIGN.md §3): WORK/docs,
 * WORK/attributes/<set>/<source>/<path>.jsonl.zst, WORK/state, WORK/stats. */
#ifndef BLALM_WORK_H
#define BLALM_WORK_H

#include "err.h"

/* WORK conventions. Flags override the defaults. */
typedef struct work_dirs {
    char work[4096];
    char docs[4096];      /* default WORK/docs */
    char attrs[4096];     /* default WORK/attributes */
    char state[4096];     /* WORK/state */
    char stats[4096];     /* WORK/stats */
} work_dirs;
int work_dirs_init(work_dirs *w, const char *work, const char *docs, const char *out,
                   blalm_err *e);
/* WORK/attributes/<set>/<rel stem>.jsonl.zst for a document file's rel path. */
void attr_path_for(const work_dirs *w, const char *set, const char *rel, char *out, size_t cap);

#endif
