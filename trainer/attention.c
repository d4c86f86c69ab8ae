/* attention.c - tiled causal (optionally sliding-window) softmax attention,
 * forward and exact backward (see attention.h).
 *
 * Forward, per query tile Q_i: for each key tile K_c that the tile can see,
 * S = scale Q_i K_c^T; per row the new max m' = max(m, max_j S_j), the old
 * accumulator and sum are rescaled by exp(m - m'), P = exp(S - m') on the
 * visible entries, l += rowsum P, O += P V_c. At the end y = O / l and
 * lse = m + log l.
 *
 * Backward (FlashAttention-2's): with D_t = dy_t . y_t and P recomputed as
 * exp(S - lse), dV_c += P^T dY_i, dP = dY_i V_c^T, dS = P (dP - D),
 * dQ_i += scale dS K_c, dK_c += scale dS^T Q_i. */
#include "trainer/attention.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TILE 64

/* Keys visible to query t: [lo(t), t]. */
static int first_key(const attn_shape *sh, int t)
{
    return sh->window > 0 && t - sh->window + 1 > 0 ? t - sh->window + 1 : 0;
}

/* One block of nc keys for nr query rows: row r sees block columns
 * [lo[r], hi[r]] (lo > hi: none). Forward: the online-softmax update of O,
 * mrow, lrow. */
static void fwd_block(const attn_shape *sh, int nr, int nc, const float *q, int ldq,
                      const float *k, int ldk, const float *v, int ldv, const int *lo,
                      const int *hi, float *Sb, float *O, float *mrow, float *lrow)
{
    int d = sh->d;
    /* S = scale Q K^T   [nr, nc] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, nc, d, sh->scale, q, ldq, k, ldk,
                0.0f, Sb, TILE);
    for (int r = 0; r < nr; r++) {
        float *row = Sb + (size_t)r * TILE;
        int l0 = lo[r], h0 = hi[r];
        if (l0 > h0) { /* nothing visible in this block */
            memset(row, 0, (size_t)nc * sizeof *row);
            continue;
        }
        float mx = row[l0];
        for (int j = l0 + 1; j <= h0; j++) mx = row[j] > mx ? row[j] : mx;
        float mnew = lrow[r] > 0 && mrow[r] > mx ? mrow[r] : mx, sum = 0.0f;
        for (int j = 0; j < l0; j++) row[j] = 0.0f;
        for (int j = l0; j <= h0; j++) sum += (row[j] = expf(row[j] - mnew));
        for (int j = h0 + 1; j < nc; j++) row[j] = 0.0f;
        if (lrow[r] > 0 && mnew != mrow[r]) { /* rescale what came before */
            float a = expf(mrow[r] - mnew);
            lrow[r] *= a;
            for (int x = 0; x < d; x++) O[(size_t)r * d + x] *= a;
        }
        mrow[r] = mnew;
        lrow[r] += sum;
    }
    /* O += P V   [nr, d] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nr, d, nc, 1.0f, Sb, TILE, v, ldv, 1.0f,
                O, d);
}

/* Backward of one block: dq (rows) += , dk, dv (block keys) += . */
static void bwd_block(const attn_shape *sh, int nr, int nc, const float *q, int ldq,
                      const float *k, int ldk, const float *v, int ldv, const int *lo,
                      const int *hi, const float *lse, const float *D, const float *dy, int lddy,
                      float *dq, int lddq, float *dk, int lddk, float *dv, int lddv, float *P,
                      float *dP)
{
    int d = sh->d;
    /* P = exp(scale Q K^T - lse) on the visible entries, else 0 */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, nc, d, sh->scale, q, ldq, k, ldk,
                0.0f, P, TILE);
    for (int r = 0; r < nr; r++) {
        float *row = P + (size_t)r * TILE;
        for (int j = 0; j < nc; j++) row[j] = j >= lo[r] && j <= hi[r] ? expf(row[j] - lse[r]) : 0.0f;
    }
    /* dV += P^T dY   [nc, d] */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nc, d, nr, 1.0f, P, TILE, dy, lddy, 1.0f,
                dv, lddv);
    /* dP = dY V^T; dS = P (dP - D)   [nr, nc] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, nc, d, 1.0f, dy, lddy, v, ldv, 0.0f,
                dP, TILE);
    for (int r = 0; r < nr; r++) {
        const float *pr = P + (size_t)r * TILE;
        float *dr = dP + (size_t)r * TILE, Dt = D[r];
        for (int j = 0; j < nc; j++) dr[j] = pr[j] * (dr[j] - Dt);
    }
    /* dQ += scale dS K;  dK += scale dS^T Q */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nr, d, nc, sh->scale, dP, TILE, k, ldk,
                1.0f, dq, lddq);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nc, d, nr, sh->scale, dP, TILE, q, ldq,
                1.0f, dk, lddk);
}

int attn_forward(const attn_shape *sh, const attn_memory *mem, const float *q, int ldq,
                 const float *k, int ldk, const float *v, int ldv, float *y, int ldy, float *lse)
{
    int S = sh->S, d = sh->d;
    float *Sb = malloc((size_t)TILE * TILE * sizeof *Sb);
    float *O = malloc((size_t)TILE * d * sizeof *O);
    float mrow[TILE], lrow[TILE];
    int lo[TILE], hi[TILE];
    if (!Sb || !O) {
        free(Sb), free(O);
        return -1;
    }
    for (int r0 = 0; r0 < S; r0 += TILE) {
        int nr = S - r0 < TILE ? S - r0 : TILE;
        memset(O, 0, (size_t)nr * d * sizeof *O);
        for (int r = 0; r < nr; r++) mrow[r] = 0.0f, lrow[r] = 0.0f;
        for (int m0 = 0; mem && m0 < mem->M; m0 += TILE) { /* memory slots: seen by every query */
            int nc = mem->M - m0 < TILE ? mem->M - m0 : TILE;
            for (int r = 0; r < nr; r++) lo[r] = 0, hi[r] = nc - 1;
            fwd_block(sh, nr, nc, q + (size_t)r0 * ldq, ldq, mem->k + (size_t)m0 * mem->ld, mem->ld,
                      mem->v + (size_t)m0 * mem->ld, mem->ld, lo, hi, Sb, O, mrow, lrow);
        }
        int kstart = first_key(sh, r0) / TILE * TILE, kend = r0 + nr; /* keys [kstart, kend) */
        for (int c0 = kstart; c0 < kend; c0 += TILE) {
            int nc = kend - c0 < TILE ? kend - c0 : TILE;
            for (int r = 0; r < nr; r++) {
                int t = r0 + r;
                lo[r] = first_key(sh, t) - c0 > 0 ? first_key(sh, t) - c0 : 0;
                hi[r] = t - c0 < nc - 1 ? t - c0 : nc - 1;
            }
            fwd_block(sh, nr, nc, q + (size_t)r0 * ldq, ldq, k + (size_t)c0 * ldk, ldk,
                      v + (size_t)c0 * ldv, ldv, lo, hi, Sb, O, mrow, lrow);
        }
        for (int r = 0; r < nr; r++) {
            float inv = 1.0f / lrow[r];
            for (int x = 0; x < d; x++) y[(size_t)(r0 + r) * ldy + x] = O[(size_t)r * d + x] * inv;
            lse[r0 + r] = mrow[r] + logf(lrow[r]);
        }
    }
    free(Sb), free(O);
    return 0;
}

int attn_backward(const attn_shape *sh, const attn_memory *mem, const float *q, int ldq,
                  const float *k, int ldk, const float *v, int ldv, const float *y, int ldy,
                  const float *lse, const float *dy, int lddy, float *dq, int lddq, float *dk,
                  int lddk, float *dv, int lddv)
{
    int S = sh->S, d = sh->d;
    float *P = malloc((size_t)TILE * TILE * sizeof *P), *dP = malloc((size_t)TILE * TILE * sizeof *dP);
    float *D = malloc((size_t)S * sizeof *D);
    int lo[TILE], hi[TILE];
    if (!P || !dP || !D) {
        free(P), free(dP), free(D);
        return -1;
    }
    for (int t = 0; t < S; t++) {
        const float *yt = y + (size_t)t * ldy, *dyt = dy + (size_t)t * lddy;
        float s = 0.0f;
        for (int x = 0; x < d; x++) s += dyt[x] * yt[x];
        D[t] = s;
        memset(dq + (size_t)t * lddq, 0, (size_t)d * sizeof *dq);
        memset(dk + (size_t)t * lddk, 0, (size_t)d * sizeof *dk);
        memset(dv + (size_t)t * lddv, 0, (size_t)d * sizeof *dv);
    }
    for (int r0 = 0; r0 < S; r0 += TILE) {
        int nr = S - r0 < TILE ? S - r0 : TILE;
        for (int m0 = 0; mem && m0 < mem->M; m0 += TILE) {
            int nc = mem->M - m0 < TILE ? mem->M - m0 : TILE;
            for (int r = 0; r < nr; r++) lo[r] = 0, hi[r] = nc - 1;
            bwd_block(sh, nr, nc, q + (size_t)r0 * ldq, ldq, mem->k + (size_t)m0 * mem->ld, mem->ld,
                      mem->v + (size_t)m0 * mem->ld, mem->ld, lo, hi, lse + r0, D + r0,
                      dy + (size_t)r0 * lddy, lddy, dq + (size_t)r0 * lddq, lddq,
                      mem->dk + (size_t)m0 * mem->ldd, mem->ldd, mem->dv + (size_t)m0 * mem->ldd,
                      mem->ldd, P, dP);
        }
        int kstart = first_key(sh, r0) / TILE * TILE, kend = r0 + nr;
        for (int c0 = kstart; c0 < kend; c0 += TILE) {
            int nc = kend - c0 < TILE ? kend - c0 : TILE;
            for (int r = 0; r < nr; r++) {
                int t = r0 + r;
                lo[r] = first_key(sh, t) - c0 > 0 ? first_key(sh, t) - c0 : 0;
                hi[r] = t - c0 < nc - 1 ? t - c0 : nc - 1;
            }
            bwd_block(sh, nr, nc, q + (size_t)r0 * ldq, ldq, k + (size_t)c0 * ldk, ldk,
                      v + (size_t)c0 * ldv, ldv, lo, hi, lse + r0, D + r0, dy + (size_t)r0 * lddy,
                      lddy, dq + (size_t)r0 * lddq, lddq, dk + (size_t)c0 * lddk, lddk,
                      dv + (size_t)c0 * lddv, lddv, P, dP);
        }
    }
    free(P), free(dP), free(D);
    return 0;
}
