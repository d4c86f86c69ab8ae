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

int attn_forward(const attn_shape *sh, const float *q, int ldq, const float *k, int ldk,
                 const float *v, int ldv, float *y, int ldy, float *lse)
{
    int S = sh->S, d = sh->d;
    float *Sb = malloc((size_t)TILE * TILE * sizeof *Sb);
    float *O = malloc((size_t)TILE * d * sizeof *O);
    float mrow[TILE], lrow[TILE];
    if (!Sb || !O) {
        free(Sb), free(O);
        return -1;
    }
    for (int r0 = 0; r0 < S; r0 += TILE) {
        int nr = S - r0 < TILE ? S - r0 : TILE;
        memset(O, 0, (size_t)nr * d * sizeof *O);
        for (int r = 0; r < nr; r++) mrow[r] = 0.0f, lrow[r] = 0.0f;
        int kstart = first_key(sh, r0) / TILE * TILE, kend = r0 + nr; /* keys [kstart, kend) */
        for (int c0 = kstart; c0 < kend; c0 += TILE) {
            int nc = kend - c0 < TILE ? kend - c0 : TILE;
            /* S = scale Q_i K_c^T   [nr, nc] */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, nc, d, sh->scale,
                        q + (size_t)r0 * ldq, ldq, k + (size_t)c0 * ldk, ldk, 0.0f, Sb, TILE);
            for (int r = 0; r < nr; r++) {
                int t = r0 + r, lo = first_key(sh, t) - c0, hi = t - c0; /* visible cols [lo, hi] */
                float *row = Sb + (size_t)r * TILE;
                if (lo < 0) lo = 0;
                if (hi > nc - 1) hi = nc - 1;
                if (lo > hi) { /* nothing visible in this tile */
                    memset(row, 0, (size_t)nc * sizeof *row);
                    continue;
                }
                float mx = row[lo];
                for (int j = lo + 1; j <= hi; j++) mx = row[j] > mx ? row[j] : mx;
                float mnew = lrow[r] > 0 && mrow[r] > mx ? mrow[r] : mx, sum = 0.0f;
                for (int j = 0; j < lo; j++) row[j] = 0.0f;
                for (int j = lo; j <= hi; j++) sum += (row[j] = expf(row[j] - mnew));
                for (int j = hi + 1; j < nc; j++) row[j] = 0.0f;
                if (lrow[r] > 0 && mnew != mrow[r]) { /* rescale what came before */
                    float a = expf(mrow[r] - mnew);
                    lrow[r] *= a;
                    for (int x = 0; x < d; x++) O[(size_t)r * d + x] *= a;
                }
                mrow[r] = mnew;
                lrow[r] += sum;
            }
            /* O += P V_c   [nr, d] */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nr, d, nc, 1.0f, Sb, TILE,
                        v + (size_t)c0 * ldv, ldv, 1.0f, O, d);
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

int attn_backward(const attn_shape *sh, const float *q, int ldq, const float *k, int ldk,
                  const float *v, int ldv, const float *y, int ldy, const float *lse,
                  const float *dy, int lddy, float *dq, int lddq, float *dk, int lddk, float *dv,
                  int lddv)
{
    int S = sh->S, d = sh->d;
    float *P = malloc((size_t)TILE * TILE * sizeof *P), *dP = malloc((size_t)TILE * TILE * sizeof *dP);
    float *D = malloc((size_t)S * sizeof *D);
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
        int kstart = first_key(sh, r0) / TILE * TILE, kend = r0 + nr;
        for (int c0 = kstart; c0 < kend; c0 += TILE) {
            int nc = kend - c0 < TILE ? kend - c0 : TILE;
            /* P = exp(scale Q_i K_c^T - lse) on the visible entries, else 0 */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, nc, d, sh->scale,
                        q + (size_t)r0 * ldq, ldq, k + (size_t)c0 * ldk, ldk, 0.0f, P, TILE);
            for (int r = 0; r < nr; r++) {
                int t = r0 + r, lo = first_key(sh, t) - c0, hi = t - c0;
                float *row = P + (size_t)r * TILE;
                for (int j = 0; j < nc; j++) row[j] = j >= lo && j <= hi ? expf(row[j] - lse[t]) : 0.0f;
            }
            /* dV_c += P^T dY_i   [nc, d] */
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nc, d, nr, 1.0f, P, TILE,
                        dy + (size_t)r0 * lddy, lddy, 1.0f, dv + (size_t)c0 * lddv, lddv);
            /* dP = dY_i V_c^T; dS = P (dP - D)   [nr, nc] */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nr, nc, d, 1.0f,
                        dy + (size_t)r0 * lddy, lddy, v + (size_t)c0 * ldv, ldv, 0.0f, dP, TILE);
            for (int r = 0; r < nr; r++) {
                const float *pr = P + (size_t)r * TILE;
                float *dr = dP + (size_t)r * TILE, Dt = D[r0 + r];
                for (int j = 0; j < nc; j++) dr[j] = pr[j] * (dr[j] - Dt);
            }
            /* dQ_i += scale dS K_c;  dK_c += scale dS^T Q_i */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nr, d, nc, sh->scale, dP, TILE,
                        k + (size_t)c0 * ldk, ldk, 1.0f, dq + (size_t)r0 * lddq, lddq);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, nc, d, nr, sh->scale, dP, TILE,
                        q + (size_t)r0 * ldq, ldq, 1.0f, dk + (size_t)c0 * lddk, lddk);
        }
    }
    free(P), free(dP), free(D);
    return 0;
}
