/* mlstm.h - the mLSTM cell of xLSTM (Beck et al. 2024, arXiv:2405.04517) for one (batch, head), in three
 * forms that compute the same function: recurrent (reference, generation),
 * parallel (reference) and chunkwise (training). Each has a forward and an
 * exact backward: the gradient of h as computed, through the normaliser
 * (abs and max) and through the max stabiliser m (its argmax path), as torch
 * autograd gives it. The NX-AI "custbw" backward, which drops the normaliser
 * path, is not what these compute.
 *
 * Conventions (those of NX-AI mlstm_kernels, native forms):
 *   q, k: [S, dqk] (row stride ldq/ldk), v: [S, dv] (ldv), i, f: [S] gate
 *   pre-activations (contiguous), h: [S, dv] (ldh). q is scaled by the
 *   shape's scale (default dqk^-1/2) inside. Input gate exp(i), forget gate sigmoid(f) in log space.
 *   All three forms use the m0 = 0 stabiliser convention of the recurrent
 *   and chunkwise forms (the parallel form includes the initial-state path
 *   as a candidate of the max), so they agree to float rounding.
 *   eps = 1e-6 sits outside the max: h = num / (max(|den|, exp(-m)) + eps).
 *   exp(-m) is computed with its exponent clamped at 80 so that absurd gate
 *   values cannot overflow float (no infinities are ever relied upon).
 *
 * The state is C' = [C | n]: dqk rows of dv + 1 floats (n is the last
 * column), stabilised, plus m. The "true" memory is C' * exp(m). */
#ifndef BLALM_MLSTM_H
#define BLALM_MLSTM_H

#include <stddef.h>

#define MLSTM_EPS 1e-6f

typedef struct mlstm_shape {
    int S;      /* sequence length */
    int dqk;    /* query/key head size */
    int dv;     /* value head size */
    int chunk;  /* chunk length for the chunkwise form (any S allowed) */
    float scale; /* q . k score scale; 0 = dqk^-1/2 */
} mlstm_shape;

typedef struct mlstm_state {
    float *C;   /* [dqk][dv + 1], caller-owned */
    float m;
} mlstm_state;

/* Floats the forward saves for its backward (m, nu, den per step; the
 * chunkwise form also the state before every chunk). */
size_t mlstm_cache_floats(const mlstm_shape *sh);

/* Forward. cache: mlstm_cache_floats() floats. final (may be NULL): receives
 * the state after the last step (recurrent and chunkwise forms only).
 * Return 0, or -1 when out of memory. */
int mlstm_recurrent_forward(const mlstm_shape *sh, const float *q, int ldq, const float *k,
                            int ldk, const float *v, int ldv, const float *ig,
                            const float *fg, float *h, int ldh, float *cache,
                            mlstm_state *final);
int mlstm_parallel_forward(const mlstm_shape *sh, const float *q, int ldq, const float *k,
                           int ldk, const float *v, int ldv, const float *ig,
                           const float *fg, float *h, int ldh, float *cache);
int mlstm_chunkwise_forward(const mlstm_shape *sh, const float *q, int ldq, const float *k,
                            int ldk, const float *v, int ldv, const float *ig,
                            const float *fg, float *h, int ldh, float *cache,
                            mlstm_state *final);

/* Backward: given dh, writes (overwrites) dq, dk, dv, di, df. h and cache
 * are what the same form's forward produced. */
typedef struct mlstm_grads {
    float *dq; int lddq;
    float *dk; int lddk;
    float *dv; int lddv;
    float *di, *df;  /* [S] */
} mlstm_grads;

int mlstm_recurrent_backward(const mlstm_shape *sh, const float *q, int ldq, const float *k,
                             int ldk, const float *v, int ldv, const float *ig,
                             const float *fg, const float *h, int ldh, const float *dh,
                             int lddh, const float *cache, mlstm_grads *g);
int mlstm_parallel_backward(const mlstm_shape *sh, const float *q, int ldq, const float *k,
                            int ldk, const float *v, int ldv, const float *ig,
                            const float *fg, const float *h, int ldh, const float *dh,
                            int lddh, const float *cache, mlstm_grads *g);
int mlstm_chunkwise_backward(const mlstm_shape *sh, const float *q, int ldq, const float *k,
                             int ldk, const float *v, int ldv, const float *ig,
                             const float *fg, const float *h, int ldh, const float *dh,
                             int lddh, const float *cache, mlstm_grads *g);

/* One recurrent step (generation): updates st in place and writes h[dv].
 * q, k: [dqk], v: [dv]; st->C starts zeroed with m = 0. */
void mlstm_step(int dqk, int dv, mlstm_state *st, const float *q, const float *k,
                const float *v, float ig, float fg, float *h);
/* The same with the score scale given (mlstm_step uses dqk^-1/2). */
void mlstm_step_scaled(int dqk, int dv, float scale, mlstm_state *st, const float *q,
                       const float *k, const float *v, float ig, float fg, float *h);

/* Numerically stable log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)). */
float mlstm_logsigmoid(float x);

#endif
