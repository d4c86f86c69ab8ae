/* internal.h - helpers shared by the corpora stage's files only (not a public surface). */
#ifndef BLALM_CORPORA_INTERNAL_H
#define BLALM_CORPORA_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"
#include "lib/extsort.h"



/* rm -rf, for our own temporary folders only. */
int rm_tree(const char *path);

/* A source's name as its files are named (train/<it>.train, dev/<it>.dev):
 * bytes other than letters, digits, '-', '_' and a '.' not first become
 * '_'; "" becomes "_". assemble names the files, verify checks them. */
void sanitize_source(const char *in, char *out, size_t cap);

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
