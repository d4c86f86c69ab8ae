/* internal.h - helpers shared by the corpora stage's files only (not a public surface). */
#ifndef BLALM_CORPORA_INTERNAL_H
#define BLALM_CORPORA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"

/* External sort of fixed-size records: sorted in memory up to mem_bytes,
 * then as sorted runs in unlinked temporary files merged on reading. The
 * comparator must be a total order, so the result is deterministic. */
typedef struct xsort xsort;
xsort *xs_open(size_t rec_size, int (*cmp)(const void *, const void *), size_t mem_bytes,
               const char *tmpdir, blalm_err *e);
int xs_add(xsort *s, const void *rec, blalm_err *e);
int xs_finish(xsort *s, blalm_err *e);            /* then xs_next from the start */
int xs_next(xsort *s, void *rec, blalm_err *e);   /* 1, 0 at end, -1 */
uint64_t xs_count(const xsort *s);
int xs_runs(const xsort *s);
void xs_close(xsort *s);

/* Open-addressing map from a non-zero 64-bit hash to a 64-bit value. */
typedef struct u64map {
    uint64_t *keys, *vals;
    size_t cap, n;
} u64map;
void u64map_init(u64map *m);
void u64map_free(u64map *m);
/* Returns 1 and *val when present. */
int u64map_get(const u64map *m, uint64_t key, uint64_t *val);
void u64map_put(u64map *m, uint64_t key, uint64_t val);

/* rm -rf, for our own temporary folders only. */
int rm_tree(const char *path);

/* Byte length of the prefix of s holding the first k words (ending at the
 * end of the k-th word). */
size_t prefix_bytes_for_words(const char *s, size_t n, uint64_t k);

/* Packs a document reference (file index, row) into 64 bits. */
static inline uint64_t docref_pack(uint32_t file, uint64_t row)
{
    return ((uint64_t)file << 40) | (row & ((1ULL << 40) - 1));
}
static inline uint32_t docref_file(uint64_t r) { return (uint32_t)(r >> 40); }
static inline uint64_t docref_row(uint64_t r) { return r & ((1ULL << 40) - 1); }

#endif
