/* attention.h - causal softmax attention for one (batch, head), tiled in the
 * manner of FlashAttention: queries and keys go through in tiles, each
 * query row keeps its running max and sum, and the S x S probability matrix
 * is never stored. The forward saves one log-sum-exp per row; the backward
 * recomputes the probabilities tile by tile from it. Memory beyond inputs
 * and outputs is O(S); time is O(S * min(S, window)).
 *
 *   y_t = sum_j p_tj v_j,  p_tj = softmax_j(scale q_t . k_j)  over t - window < j <= t
 *
 * window = 0 means every earlier key (plain causal attention). q, k, v, y
 * (and their gradients) are [S, d] with row strides; lse is [S]. */
#ifndef BLALM_ATTENTION_H
#define BLALM_ATTENTION_H

#include <stddef.h>

typedef struct attn_shape {
    int S;        /* sequence length */
    int d;        /* head size (q, k and v alike) */
    int window;   /* keys per query, the query's own included; 0 = all */
    float scale;  /* score scale, usually 1/sqrt(d) */
} attn_shape;

/* Memory slots (attention sinks): M extra keys and values [M, d] (row
 * stride ld) that every query sees besides its causal window; the backward
 * adds their gradients to dk, dv (stride ldd). */
typedef struct attn_memory {
    int M;
    const float *k, *v;
    int ld;
    float *dk, *dv;
    int ldd;
} attn_memory;

/* Forward: writes y and lse (row log-sum-exp of the scaled scores). mem may
 * be NULL. Returns 0, or -1 when out of memory (tile scratch). */
int attn_forward(const attn_shape *sh, const attn_memory *mem, const float *q, int ldq,
                 const float *k, int ldk, const float *v, int ldv, float *y, int ldy, float *lse);

/* Backward: given dy, overwrites dq, dk, dv (and adds to mem->dk, mem->dv).
 * y and lse are the forward's. */
int attn_backward(const attn_shape *sh, const attn_memory *mem, const float *q, int ldq,
                  const float *k, int ldk, const float *v, int ldv, const float *y, int ldy,
                  const float *lse, const float *dy, int lddy, float *dq, int lddq, float *dk,
                  int lddk, float *dv, int lddv);

#endif
