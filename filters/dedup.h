/* dedup.h - exact and MinHash LSH near-duplicate detection.
 *
 * Four stages, as in datatrove, each runnable alone and sharded:
 *   signatures  per document file: exact keys + LSH band hashes -> WORK/state/dedup/signatures/
 *   buckets     per band: sorted (band hash, doc) runs -> candidate pairs -> WORK/state/dedup/buckets/
 *   cluster     union-find over all pairs (streamed from disk) -> WORK/state/dedup/clusters.bin
 *   attributes  per document file: the `dedup` attribute set -> WORK/attributes/dedup/
 * Every file is written under a temporary name and renamed when complete; an
 * existing output is the stage's completion marker for that unit. */
#ifndef BLALM_FILTERS_DEDUP_H
#define BLALM_FILTERS_DEDUP_H

#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"
#include "lib/progress.h"

/* Text normalisation steps (applied in this order). */
enum {
    DD_NORM_NFKC = 1,        /* Unicode NFKC (utf8proc) */
    DD_NORM_LOWER = 2,       /* lowercase (utf8proc_tolower per code point) */
    DD_NORM_DIGITS = 4,      /* each run \d+(\.\d+)? becomes "0" (FineWeb) */
    DD_NORM_PUNCT = 8,       /* punctuation, symbols, controls become spaces */
    DD_NORM_DIACRITICS = 16, /* canonical decomposition, nonspacing marks (Mn) dropped */
    DD_NORM_SPACE = 32,      /* whitespace runs become one space; trimmed */
    DD_NORM_DTPUNCT = 64,    /* datatrove's PUNCTUATION deleted (not a separator: a
                                digit run goes on across it, "1,000" is one number) */
};
/* FineWeb's (datatrove's simplify_text): lowercase, whitespace, delete
 * datatrove's punctuation, NFD minus Mn, \d+ -> 0. */
#define DD_NORM_MINHASH_DEFAULT (DD_NORM_LOWER | DD_NORM_DIGITS | DD_NORM_DTPUNCT | \
                                 DD_NORM_DIACRITICS | DD_NORM_SPACE)
#define DD_NORM_EXACT_DEFAULT (DD_NORM_NFKC | DD_NORM_LOWER | DD_NORM_SPACE)

/* "nfkc,lower,digits,punct,dtpunct,diacritics,space", "none" or "fineweb". */
int dd_norm_parse(const char *spec, unsigned *flags, blalm_err *e);
void dd_norm_format(unsigned flags, char *out, size_t cap);

/* The version of dedup's state files (WORK/state/dedup): a file of another
 * version is refused, and `blalm run` keys it so an upgrade redoes dedup.
 * 2: `fineweb` deletes datatrove's punctuation, `diacritics` drops Mn only,
 * and a text under one shingle has no shingles (1 made these differently).
 * 3: a --keep-max string holding a number or an ISO-8601 date-time is that
 * number (2 stored such values as missing), signatures hold the exact-text
 * key whenever exact_id is on (for "same id, different text"), and `lower`
 * makes a word-final capital sigma ς as Python's lower() does (2: σ).
 * 4: `lower` makes İ (U+0130) i + U+0307, as Python's lower() does (3: i;
 * the exact-text key of a text holding it changes) */
#define DD_VERSION 4

#define DD_MAX_HASHES 1024
#define DD_MAX_SHINGLE 64   /* words per shingle */
#define DD_MAX_THREADS 1024 /* --threads, the config's "threads" */
#define DD_KEEP_FIELD_MAX 64

typedef struct dd_config {
    int bands, rows;           /* LSH: bands x rows hashes (14 x 8) */
    int shingle;               /* words per shingle (5) */
    uint64_t seed;             /* permutation seed (1) */
    unsigned minhash_norm, exact_norm;
    int exact_id, exact_text, exact_url;   /* which exact keys count (all 1) */
    int store_shingles;        /* keep shingle sets, for --verify-jaccard */
    char keep_field[DD_KEEP_FIELD_MAX];     /* metadata number to maximise; "" = none */
} dd_config;

void dd_config_default(dd_config *c);
int dd_config_check(const dd_config *c, blalm_err *e);

typedef struct dd_paths {
    const char *docs;     /* document root (WORK/docs) */
    const char *attrs;    /* attribute root (WORK/attributes) */
    const char *state;    /* WORK/state/dedup */
    const char *stats;    /* WORK/stats/dedup.json */
} dd_paths;

typedef struct dd_run_opts {
    int shard, nshards;   /* this worker's share: units with index % nshards == shard */
    int threads;          /* OpenMP threads inside this process */
    size_t mem_bytes;     /* sort buffer budget for buckets */
    double verify_jaccard;  /* > 0: verify LSH pairs by true Jaccard */
    progress_fn progress; /* units done per stage ("dedup signatures", "dedup buckets",
                             "dedup cluster", "dedup attributes"); may be NULL */
    void *progress_arg;
} dd_run_opts;

/* Per-stage counters; the cluster stage fills the totals. */
typedef struct dd_stats {
    uint64_t files, files_skipped, docs, text_bytes;
    uint64_t pairs_lsh, pairs_exact;
    uint64_t verified, rejected;
    uint64_t exact_groups, exact_dups, clusters, multi_clusters, dropped;
    /* cluster stage: duplicates each exact rule finds (id, text, url: a group
     * of k equal keys counts k - 1), and of the id duplicates, those whose
     * exact-text key differs from their group's first document's */
    uint64_t dups_by[3], id_text_differs;
    char id_text_example[1024];   /* "id \"X\" in FILE:LINE and FILE:LINE" when any */
    /* cluster stage, --keep-max: documents with a usable value and without */
    uint64_t keep_usable, keep_unusable;
    char keep_example[512];       /* FILE:LINE of the first one without */
    double seconds, cpu_seconds;   /* wall; user+system CPU of this process */
    long max_rss_kb;
} dd_stats;

int dd_stage_signatures(const dd_config *c, const dd_paths *p, const dd_run_opts *o,
                        dd_stats *st, blalm_err *e);
int dd_stage_buckets(const dd_config *c, const dd_paths *p, const dd_run_opts *o,
                     dd_stats *st, blalm_err *e);
int dd_stage_cluster(const dd_config *c, const dd_paths *p, const dd_run_opts *o,
                     dd_stats *st, blalm_err *e);
int dd_stage_attributes(const dd_config *c, const dd_paths *p, const dd_run_opts *o,
                        dd_stats *st, blalm_err *e);

/* The cluster stage's warnings (i = 0, 1), each written to out without a
 * prefix ("warning: ..."); returns 1 when warning i applies, else 0.
 * 0: documents counted as duplicates for an equal id whose text differs
 * (id_off: how to turn that rule off, e.g. "remove WORK/state/dedup, then
 * rerun with --no-exact-id"; stats: where the counts are). 1: --keep-max
 * values that are not usable. blalm dedup and blalm run both print them. */
#define DD_CLUSTER_WARNINGS 2
int dd_cluster_warning(int i, const dd_config *c, const dd_stats *st, const char *id_off,
                       const char *stats, char *out, size_t cap);

/* Records one stage run's figures under "stages" in WORK/stats/dedup.json
 * (the cluster stage writes the totals and keeps these entries). */
int dd_stats_record(const dd_paths *p, const char *name, const dd_stats *st, blalm_err *e);

/* Benchmark helper: writes synthetic signature files for ndocs documents
 * (dup_rate of them near-copies of an earlier one) into state/signatures/. */
int dd_synthetic_signatures(const dd_config *c, const dd_paths *p, uint64_t ndocs,
                            double dup_rate, int files, blalm_err *e);

#endif
