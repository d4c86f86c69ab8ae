/* sample.h - a stratified random sample of the documents to label
 * (`blalm score --sample N --seed S`).
 *
 * Strata: the document's source and the power of two of its text length in
 * bytes (<= 256 B, 512 B, ..., >= 128 KiB). Each stratum gets its share of N
 * in proportion to its size (largest remainders, ties to the earlier
 * stratum); inside a stratum the documents with the smallest
 * xxh64(seed, file, row) are taken, so the sample depends only on the
 * candidates and the seed, not on the order files are read in. */
#ifndef BLALM_SAMPLE_H
#define BLALM_SAMPLE_H

#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"

typedef struct llm_sample llm_sample;

llm_sample *sample_new(uint64_t wanted, uint64_t seed);
/* Records a candidate: rel is the document file's path under the docs root. */
int sample_add(llm_sample *s, const char *source, size_t source_len, size_t text_len,
               const char *rel, uint64_t row, blalm_err *e);
/* After the last sample_add: fixes the quotas. */
int sample_finish(llm_sample *s, blalm_err *e);
/* 1 if the candidate is in the sample (after sample_finish). */
int sample_has(const llm_sample *s, const char *source, size_t source_len, size_t text_len,
               const char *rel, uint64_t row);
/* After sample_finish: a hash of what the sample takes (each stratum's
 * quota and cut), the same for the same candidates and seed. A file's
 * choices depend on every other file's candidates: a file added or removed
 * elsewhere can change them, and this is what a file's marker keys on. */
uint64_t sample_fingerprint(const llm_sample *s);
uint64_t sample_candidates(const llm_sample *s);
uint64_t sample_chosen(const llm_sample *s);
int sample_strata(const llm_sample *s);
void sample_free(llm_sample *s);

#endif
