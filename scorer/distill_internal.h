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
};

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
