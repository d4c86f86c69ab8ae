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
    float *idf;               /* [D] */
    float *w;                 /* [outputs][D] */
    double bias[DISTILL_MAX_OUTPUTS];
    uint64_t n_seen;
    uint64_t *seen;           /* [n_seen], ascending */
    char name[64];
};

/* Raw model output before the offset: ridge's prediction, or the expected
 * class under the logistic model. */
double distill_raw(const distill_model *m, const distill_counts *c);
/* Names a freshly trained model after the checksum of its bytes. */
void distill_model_seal(distill_model *m);

#endif
