/* distill_internal.h - the model's layout, shared by distill_fit.c and
 * distill_model.c; not part of scorer/'s public surface. */
#ifndef BLALM_DISTILL_INTERNAL_H
#define BLALM_DISTILL_INTERNAL_H

#include "scorer/distill.h"

struct distill_model {
    distill_features feat;
    uint32_t kind;            /* DISTILL_RIDGE or DISTILL_LOGISTIC */
    uint32_t outputs;         /* 1 (ridge), DISTILL_CLASSES (logistic), 1 + DISTILL_CLASSES (ensemble) */
    uint32_t folds;
    uint64_t seed, n_train, cv_docs;
    double lambda, lambda2, threshold, offset, cv_f1, cv_mae;
    uint32_t n_attr;          /* attribute features, after the hashed columns */
    char **attr_names;        /* [n_attr] "set.key" */
    double *attr_mu, *attr_sd;/* [n_attr] standardisation of the (transformed) value */
    uint8_t *attr_log;        /* [n_attr] 1: log(1 + v) before standardising */
    float *idf;               /* [H] (H = distill_hashed_dim) */
    float *w;                 /* [outputs][H + n_attr] */
    double bias[DISTILL_MAX_OUTPUTS];
    uint64_t n_seen;
    uint64_t *seen;           /* [n_seen], ascending */
    char name[64];
    /* the word-vector part (vec NULL: none): score = (1 - emb_weight) linear
     * + emb_weight (emb_bias + sum_j alpha[j] exp(-gamma |z - land_j|^2)),
     * z = (mean vector - emb_mu) / emb_sd */
    distill_vectors *vec;
    uint32_t n_land, emb_rank;
    double gamma, emb_weight, emb_bias, emb_lambda;
    float *emb_mu, *emb_sd;   /* [dim] */
    float *land;              /* [n_land][dim] */
    float *land_sq;           /* [n_land] |land_j|^2 (not stored; computed on load) */
    double *alpha;            /* [n_land] */
};

struct distill_vectors {
    uint32_t n, dim;
    char *blob;               /* n NUL-terminated words */
    size_t blob_len;
    uint32_t *off;            /* [n] offset of word i in blob */
    float *vec;               /* [n][dim] */
    uint32_t *slot, mask;     /* open addressing: word index + 1, 0 = empty */
    uint32_t repeated;        /* loading: lines skipped, their word (lowercased) kept already */
};
/* off[] and the hash table from blob; a repeated word keeps its first vector. */
int distill_vectors_index(distill_vectors *v, blalm_err *e);
distill_vectors *distill_vectors_copy(const distill_vectors *v, blalm_err *e);
/* The word-vector part's raw score for c->emb. */
double distill_emb_raw(const distill_model *m, const distill_counts *c);
/* The scorer's tokens: runs of ASCII letters and digits and of bytes of
 * non-ASCII code points (so words of other scripts stay whole). */
static inline int distill_token_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}
#define DISTILL_FNV_OFFSET 0xcbf29ce484222325ULL
#define DISTILL_FNV_PRIME 0x100000001b3ULL
/* The token starting at s[*i] (a token byte): moves *i past it and returns
 * its length; *h = the FNV-1a state of its ASCII-lowercased bytes (callers
 * finish it with hash_fmix64). Shared by the hashed features and the word
 * vectors, so both see the same tokens. */
static inline size_t distill_token(const unsigned char *s, size_t len, size_t *i, uint64_t *h)
{
    size_t j = *i;
    uint64_t x = DISTILL_FNV_OFFSET;
    for (; j < len && distill_token_byte(s[j]); j++) {
        unsigned char c = s[j];
        if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
        x = (x ^ c) * DISTILL_FNV_PRIME;
    }
    size_t l = j - *i;
    *i = j;
    *h = x;
    return l;
}
/* Helpers of distill_fit.c that the word-vector part shares: the seeded mix,
 * the MAE of scores clipped to 0..5, and "a is the better candidate" (higher
 * F1@3, then lower MAE). */
uint64_t distill_splitmix(uint64_t x);
double distill_mae(const double *pred, const double *label, size_t n);
int distill_better(double f1_a, double mae_a, double f1_b, double mae_b);
/* Best F1@3 threshold of out-of-fold predictions (distill_fit.c). */
double distill_best_threshold(const double *pred, const double *label, size_t n, double *f1);
/* The examples' word-vector part: cross-validated on the folds (lin_oof: the
 * chosen linear model's out-of-fold predictions), then fitted on all and
 * put into m, whose threshold, offset and CV figures become the blend's. */
int distill_emb_fit(const distill_examples *ex, const distill_train_opts *o, const int *fold,
                    const double *lin_oof, distill_model *m, distill_emb_report *rep, blalm_err *e);

/* Raw model output before the offset: ridge's prediction, or the expected
 * class under the logistic model. */
double distill_raw(const distill_model *m, const distill_counts *c);
/* Row scales of the blocks: [0] words, [1] characters (each block's TF-IDF
 * L2-normalised, then scaled), [2] each standardised attribute. The
 * attribute block takes attr_weight of a row's expected squared norm when
 * there are attributes, the text blocks share the rest equally; words alone
 * keep a unit norm. */
void distill_block_scales(const distill_features *f, uint32_t n_attr, double scale[3]);
/* The standardised, clipped value of attribute k (0 for a missing one). */
double distill_attr_z(const distill_model *m, uint32_t k, double raw);
/* Names a freshly trained model after the checksum of its bytes. */
void distill_model_seal(distill_model *m);

#endif
