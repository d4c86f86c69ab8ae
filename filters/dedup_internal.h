/* dedup_internal.h - the pure core of filters/dedup (normalisation,
 * shingling, MinHash, LSH bands, union-find, Jaccard) and the
 * binary file formats. Used by filters/dedup*.c and the unit tests only. */
#ifndef BLALM_FILTERS_DEDUP_INTERNAL_H
#define BLALM_FILTERS_DEDUP_INTERNAL_H

#include <stdio.h>
#include "filters/dedup.h"
#include "lib/extsort.h"

#define DD_MERSENNE61 ((UINT64_C(1) << 61) - 1)

/* Growable scratch owned by one thread (reused across documents). */
typedef struct dd_scratch {
    char *norm;        size_t norm_cap;
    int32_t *cps;      size_t cps_cap;     /* utf8proc code point buffer */
    uint64_t *words;   size_t words_cap;   /* word hashes */
    uint64_t *shingles; size_t shingles_cap;
    unsigned char *kept; size_t kept_cap;  /* a non-ASCII run less its deleted punctuation */
    char *sigma;       size_t sigma_cap;   /* the text with final capital sigmas as ς */
    char *nfkc;        size_t nfkc_cap;    /* the NFKC text whose final sigmas are decided */
    unsigned char cls[128], map[128];      /* ASCII tables for tab_flags */
    unsigned tab_flags;
    int tab_ready;
} dd_scratch;
void dd_scratch_free(dd_scratch *s);

/* Normalises s[0..n) by flags into sc->norm; returns its length. */
size_t dd_normalize(const char *s, size_t n, unsigned flags, dd_scratch *sc);

/* A --keep-max value given as a string: a decimal number ("3", " -1.5e3 ")
 * or an ISO-8601 date-time YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][Z|(+|-)hh[:]mm]
 * (no zone: UTC) as seconds since 1970-01-01T00:00:00Z. 0 and *out set, or
 * -1 when the string is neither (nan and inf are not numbers here). */
int dd_keep_string(const char *s, double *out);

/* Permutations (a_i, b_i), i < bands*rows, from the seed (splitmix64). */
typedef struct dd_minhash {
    int bands, rows, shingle, nhash;
    uint64_t a[DD_MAX_HASHES], b[DD_MAX_HASHES];
} dd_minhash;
void dd_minhash_init(dd_minhash *m, int bands, int rows, int shingle, uint64_t seed);

/* Shingle hashes of normalised text (words split on whitespace): one per
 * window of m->shingle consecutive words; a text with fewer words gives one
 * shingle of all of them; no words gives none. Result in sc->shingles. */
size_t dd_shingles(const dd_minhash *m, const char *norm, size_t n, dd_scratch *sc);
/* Sorted, unique (in place); returns the new count. */
size_t dd_sort_unique(uint64_t *v, size_t n);
/* sig[nhash] = min over shingles of ((a*h + b) mod 2^64) mod (2^61-1). */
void dd_minhash_sig(const dd_minhash *m, const uint64_t *sh, size_t n, uint64_t *sig);
/* The same without SIMD (dd_minhash_sig uses AVX2 when the CPU has it). */
void dd_minhash_sig_portable(const dd_minhash *m, const uint64_t *sh, size_t n, uint64_t *sig);
/* band[i] = hash of sig[i*rows .. (i+1)*rows), never 0. */
void dd_band_hashes(const dd_minhash *m, const uint64_t *sig, uint64_t *band);
/* Jaccard of two sorted unique sets. */
double dd_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb);

/* Union-find over 0..n-1; the root of a set is always its smallest member. */
typedef struct dd_uf { uint32_t *parent; uint64_t n; } dd_uf;
int dd_uf_init(dd_uf *u, uint64_t n);
void dd_uf_free(dd_uf *u);
uint32_t dd_uf_find(dd_uf *u, uint32_t x);
int dd_uf_union(dd_uf *u, uint32_t a, uint32_t b);   /* 1 if merged */

/* Sorted (key, val) pairs: lib/extsort.h's xs_open_kv. */
typedef xs_kv dd_kv;

/* ---- binary files ---------------------------------------------------
 * Every file starts with dd_header; a file whose kind, version or config
 * differs, or whose size disagrees with its record count, is refused. */
#define DD_MAGIC "BLDEDUP\0"
/* DD_VERSION, the rules of the files' contents: in dedup.h */
enum { DD_FILE_SIG = 1, DD_FILE_SHINGLES = 2, DD_FILE_PAIRS = 3, DD_FILE_CLUSTERS = 4 };

typedef struct dd_header {
    char magic[8];
    uint32_t version, kind;
    uint32_t bands, rows, shingle, flags;       /* flags: store_shingles, exact_* bits */
    uint64_t seed;
    uint32_t minhash_norm, exact_norm;
    uint64_t keep_field_hash;
    uint64_t count;        /* records (docs, pairs) */
    uint64_t aux;          /* kind-specific: pairs -> unit; clusters -> files */
    uint64_t aux2;         /* pairs -> total docs */
} dd_header;

/* One document's signature record. */
typedef struct dd_sigrec {
    uint64_t id_hash, text_hash, url_hash;   /* 0 = absent */
    double keep_value;                       /* NaN = missing */
    uint64_t band[];                         /* bands entries; 0 = no shingles */
} dd_sigrec;
static inline size_t dd_sigrec_size(int bands) { return 32 + 8 * (size_t)bands; }

void dd_header_fill(dd_header *h, const dd_config *c, uint32_t kind);
/* Checks magic, version, kind and config; names the file and the mismatch. */
int dd_header_check(const dd_header *h, const dd_config *c, uint32_t kind,
                    const char *path, blalm_err *e);
/* Opens a file, reads and checks its header, and checks its size:
 * header + count * recsize (+ extra bytes given by the caller). */
FILE *dd_open_checked(const char *path, const dd_config *c, uint32_t kind,
                      size_t recsize, dd_header *h, blalm_err *e);

/* Atomic binary writer: temp name beside path, renamed by commit. */
typedef struct dd_bwriter dd_bwriter;
dd_bwriter *dd_bw_open(const char *path, blalm_err *e);
int dd_bw_write(dd_bwriter *w, const void *p, size_t n, blalm_err *e);
/* Rewrites the header at offset 0, then fsync + rename. */
int dd_bw_commit(dd_bwriter *w, const dd_header *h, blalm_err *e);
void dd_bw_abort(dd_bwriter *w);
/* Atomic small text file. */
/* Waits for an exclusive lock on WORK/stats/.dedup.json.lock (beside
 * stats) and returns its descriptor; close() releases it. Every
 * read-modify-write of the stats file holds it, so shards that finish at
 * the same time keep each other's entries. */
int dd_stats_lock(const char *stats, blalm_err *e);
int dd_write_small(const char *path, const char *data, size_t n, blalm_err *e);
int dd_mkdirs(const char *path, blalm_err *e);

#endif
