/* extsort.h - the one external sort: fixed-size records, sorted in a memory
 * budget, spilled as sorted runs to one unlinked temporary file per sorter
 * (nothing is left behind when the process is killed; one descriptor however
 * many runs) and merged with a min-heap. The merge's read buffers come from
 * the same budget (4 to 64 KiB a run); when the runs outnumber what the
 * budget gives 4 KiB each (or 256), passes first merge groups of them into
 * longer runs (in a second file, replacing the first).
 *
 *   xsort *s = xs_open(sizeof(rec), cmp, 256 << 20, tmpdir, &e);
 *   xs_add(s, &r, &e) ...;  xs_finish(s, &e);
 *   while ((rc = xs_next(s, &r, &e)) == 1) use(&r);
 *   xs_close(s);
 *
 * Records that compare equal come out in the order of the runs that hold
 * them, so a total order (as every caller uses) gives one output whatever
 * the memory budget. xs_open_kv sorts {key, val} pairs of uint64 by (key,
 * val) with a radix pass on the key's top bits first (keys are hashes):
 * dedup's signatures and buckets. */
#ifndef BLALM_EXTSORT_H
#define BLALM_EXTSORT_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

typedef struct xs_kv {
    uint64_t key, val;
} xs_kv;

typedef struct xsort xsort;
/* tmpdir NULL or "" = /tmp; it is created when the first run spills. */
xsort *xs_open(size_t rec_size, int (*cmp)(const void *, const void *), size_t mem_bytes,
               const char *tmpdir, blalm_err *e);
xsort *xs_open_kv(size_t mem_bytes, const char *tmpdir, blalm_err *e);
int xs_add(xsort *s, const void *rec, blalm_err *e);
int xs_finish(xsort *s, blalm_err *e);            /* then xs_next from the start */
int xs_next(xsort *s, void *rec, blalm_err *e);   /* 1, 0 at end, -1 */
uint64_t xs_count(const xsort *s);
int xs_runs(const xsort *s);                      /* runs spilled from memory */
int xs_merge_passes(const xsort *s);              /* passes before the final merge */
void xs_close(xsort *s);                          /* closes (and so frees) its runs */

#endif
