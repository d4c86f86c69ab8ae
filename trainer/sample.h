/* sample.h - choosing the next token from a model's logits, as `blalm
 * generate` does: greedy, or temperature sampling restricted to the top k
 * tokens and/or the smallest set whose probability reaches top_p (nucleus).
 *
 * The random stream is xorshift64 seeded from the user's seed, one draw per
 * sampled token, so the same seed, options and logits give the same tokens
 * on any machine and in any thread. A sampler is used by one thread. */
#ifndef BLALM_TRAINER_SAMPLE_H
#define BLALM_TRAINER_SAMPLE_H

#include <stdint.h>

#include "lib/err.h"
#include "trainer/model.h"

typedef struct sample_opts {
    double temperature;   /* <= 0: greedy (the first largest logit) */
    int top_k;            /* 0 or >= V: all tokens */
    double top_p;         /* in (0, 1): nucleus; >= 1 (or <= 0): off */
} sample_opts;

typedef struct sampler {
    sample_opts o;
    int vocab;
    uint64_t rng;         /* xorshift64 state, never 0 */
    int *idx;             /* [vocab] candidate token ids */
    float *pr;            /* [vocab] their unnormalised probabilities */
    struct sample_cand *cand; /* [vocab] for sorting every token (nucleus without top-k) */
    int *sel;             /* [7 * vocab] select_top's bookkeeping (NULL unless 0 < top_k < vocab) */
} sampler;

/* 0, or -1 (out of memory, or vocab < 1) with e set. */
int sampler_init(sampler *s, int vocab, const sample_opts *o, uint64_t seed, blalm_err *e);
void sampler_free(sampler *s);
/* The next token for logits[vocab]; draws one random number unless greedy. */
int sampler_next(sampler *s, const float *logits);

typedef struct generate_opts {
    sample_opts sample;
    int max_new;          /* tokens generated per sample, at most */
    int32_t eot;          /* the end-of-text token: fed first, and a sample stops when drawn */
    uint64_t seed;        /* sample i is drawn with seed + i */
    int samples;          /* continuations (>= 1) */
    int threads;          /* samples generated at once (>= 1); the tokens do not depend on it */
} generate_opts;

/* Generates o->samples continuations of prompt[0..n) (the model reads eot,
 * then the prompt, then samples, as a document starts in training), each
 * with its own recurrent state and sampler, o->threads at a time (OpenMP,
 * single-threaded BLAS in each). out[i] (malloc'd, caller frees) gets sample
 * i's tokens, without the eot that ended it, and out_n[i] their count; the
 * same for any thread count. 0, or -1 with e set (out of memory, a token out
 * of the vocabulary); then every out[i] is NULL. */
int generate_samples(model *m, const int32_t *prompt, size_t n, const generate_opts *o, uint32_t **out,
                     int *out_n, blalm_err *e);

#endif
