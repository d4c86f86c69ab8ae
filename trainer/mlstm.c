/* mlstm.c - mLSTM cell: recurrent, parallel and chunkwise forms, forward and
 * exact backward (see mlstm.h for conventions).
 *
 * One trick runs through the file: the value rows are augmented with a
 * constant 1 (v' = [v, 1], width W = dv + 1), so one product gives both the
 * numerator (first dv columns) and the normaliser sum den (last column). The
 * exact backward is then the backward of that linear form, fed with
 * dout' = [dh / nu, ds], where ds carries the normaliser path. The gate
 * gradients follow from two identities of the log-decay matrix
 * logD_tj = F_t - F_j + i_j: its row sums of dlogD are q_t . dq_t and its
 * column sums k_j . dk_j. The stabiliser m reaches h only through the eps
 * term, dL/dm_t = eps * g_t with g_t = -(dh_t . h_t) / nu_t, which flows to
 * the argmax of m_t. */
#include "trainer/mlstm.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NEG_M 80.0f /* clamp of -m in exp(-m): exp(80) is far below FLT_MAX */

float mlstm_logsigmoid(float x)
{
    return (x < 0 ? x : 0.0f) - log1pf(expf(-fabsf(x)));
}

static float lower_bound(float m)
{
    float x = -m;
    return expf(x > MAX_NEG_M ? MAX_NEG_M : x);
}

/* The score scale: the shape's, else dqk^-1/2. */
static float qk_scale(const mlstm_shape *sh)
{
    return sh->scale > 0 ? sh->scale : 1.0f / sqrtf((float)sh->dqk);
}

static int n_chunks(const mlstm_shape *sh)
{
    return (sh->S + sh->chunk - 1) / sh->chunk;
}

size_t mlstm_cache_floats(const mlstm_shape *sh)
{
    size_t W = (size_t)sh->dv + 1, nc = (size_t)n_chunks(sh);
    return 3 * (size_t)sh->S + (nc + 1) + nc * (size_t)sh->dqk * W;
}

/* cache layout: m[S], nu[S], den[S], mstate[nc + 1], states[nc][dqk][W] */
typedef struct cache_view {
    float *m, *nu, *den, *mstate, *states;
} cache_view;

static cache_view view_cache(const mlstm_shape *sh, const float *cache)
{
    cache_view c;
    c.m = (float *)cache;
    c.nu = c.m + sh->S;
    c.den = c.nu + sh->S;
    c.mstate = c.den + sh->S;
    c.states = c.mstate + n_chunks(sh) + 1;
    return c;
}

/* Copies rows t0..t0+n of v into vp [n][W] with a trailing 1. */
static void augment_v(const float *v, int ldv, int t0, int n, int dv, float *vp)
{
    int W = dv + 1;
    for (int s = 0; s < n; s++) {
        memcpy(vp + (size_t)s * W, v + (size_t)(t0 + s) * ldv, (size_t)dv * sizeof(float));
        vp[(size_t)s * W + dv] = 1.0f;
    }
}

/* From out' = [num, den] rows: h = num / nu, with nu saved. */
static void normalise_rows(const float *outp, int n, int dv, const float *m, float *nu,
                           float *den, float *h, int ldh)
{
    int W = dv + 1;
    for (int s = 0; s < n; s++) {
        const float *o = outp + (size_t)s * W;
        float d = o[dv], lb = lower_bound(m[s]);
        float a = fabsf(d);
        float nus = (a > lb ? a : lb) + MLSTM_EPS;
        den[s] = d;
        nu[s] = nus;
        float inv = 1.0f / nus;
        for (int c = 0; c < dv; c++) h[(size_t)s * ldh + c] = o[c] * inv;
    }
}

/* dout' rows [dh / nu, ds] for steps t0..t0+n. */
static void dout_rows(const float *h, int ldh, const float *dh, int lddh, const float *m,
                      const float *nu, const float *den, int t0, int n, int dv, float *doutp)
{
    int W = dv + 1;
    for (int s = 0; s < n; s++) {
        int t = t0 + s;
        const float *ht = h + (size_t)t * ldh, *dht = dh + (size_t)t * lddh;
        float inv = 1.0f / nu[t], dot = 0.0f;
        for (int c = 0; c < dv; c++) {
            doutp[(size_t)s * W + c] = dht[c] * inv;
            dot += dht[c] * ht[c];
        }
        float g = -dot * inv, ds = 0.0f;
        if (fabsf(den[t]) > lower_bound(m[t])) ds = den[t] > 0 ? g : -g;
        doutp[(size_t)s * W + dv] = ds;
    }
}

/* Gate gradients from dq, dk (see the file comment), plus the stabiliser
 * path. m's argmax is found with the recurrent rule
 * m_t = max(lf_t + m_{t-1}, i_t), m_0 = 0; -1 names the initial-state path. */
static int gate_backward(const mlstm_shape *sh, const float *q, int ldq, const float *k,
                         int ldk, const float *ig, const float *fg, const float *h, int ldh,
                         const float *dh, int lddh, const float *nu, mlstm_grads *g)
{
    int S = sh->S;
    double *dF = malloc((size_t)S * sizeof *dF);
    if (!dF) return -1;
    for (int t = 0; t < S; t++) {
        const float *qt = q + (size_t)t * ldq, *kt = k + (size_t)t * ldk;
        const float *dqt = g->dq + (size_t)t * g->lddq, *dkt = g->dk + (size_t)t * g->lddk;
        double qdq = 0, kdk = 0;
        for (int c = 0; c < sh->dqk; c++) {
            qdq += (double)qt[c] * dqt[c];
            kdk += (double)kt[c] * dkt[c];
        }
        dF[t] = qdq - kdk;
        g->di[t] = (float)kdk;
    }
    float mrun = 0.0f;
    int am = -1;
    for (int t = 0; t < S; t++) {
        float cand = mlstm_logsigmoid(fg[t]) + mrun;
        if (ig[t] >= cand) { /* ties as in mlstm_step */
            am = t;
            mrun = ig[t];
        } else {
            mrun = cand;
        }
        const float *ht = h + (size_t)t * ldh, *dht = dh + (size_t)t * lddh;
        double dot = 0;
        for (int c = 0; c < sh->dv; c++) dot += (double)dht[c] * ht[c];
        double dm = MLSTM_EPS * (-dot / nu[t]);
        dF[t] += dm;
        if (am >= 0) {
            g->di[am] += (float)dm;
            dF[am] -= dm;
        }
    }
    double acc = 0;
    for (int t = S - 1; t >= 0; t--) {
        acc += dF[t];
        float sig_neg = 1.0f / (1.0f + expf(fg[t])); /* sigmoid(-f) = d logsig(f)/df */
        g->df[t] = (float)(acc * sig_neg);
    }
    free(dF);
    return 0;
}

/* ---------------------------------------------------------------- recurrent */

void mlstm_step(int dqk, int dv, mlstm_state *st, const float *q, const float *k,
                const float *v, float ig, float fg, float *h)
{
    mlstm_step_scaled(dqk, dv, 1.0f / sqrtf((float)dqk), st, q, k, v, ig, fg, h);
}

void mlstm_step_scaled(int dqk, int dv, float scale, mlstm_state *st, const float *q,
                       const float *k, const float *v, float ig, float fg, float *h)
{
    int W = dv + 1;
    float lf = mlstm_logsigmoid(fg);
    float mnew = lf + st->m > ig ? lf + st->m : ig;
    float fa = expf(lf + st->m - mnew), ia = expf(ig - mnew);
    float num_den[W];
    memset(num_den, 0, sizeof num_den);
    for (int a = 0; a < dqk; a++) {
        float *row = st->C + (size_t)a * W, ka = ia * k[a], qa = scale * q[a];
        for (int c = 0; c < dv; c++) {
            row[c] = fa * row[c] + ka * v[c];
            num_den[c] += qa * row[c];
        }
        row[dv] = fa * row[dv] + ka;
        num_den[dv] += qa * row[dv];
    }
    st->m = mnew;
    float lb = lower_bound(mnew), a = fabsf(num_den[dv]);
    float inv = 1.0f / ((a > lb ? a : lb) + MLSTM_EPS);
    for (int c = 0; c < dv; c++) h[c] = num_den[c] * inv;
}

int mlstm_recurrent_forward(const mlstm_shape *sh, const float *q, int ldq, const float *k,
                            int ldk, const float *v, int ldv, const float *ig,
                            const float *fg, float *h, int ldh, float *cache,
                            mlstm_state *final)
{
    int dqk = sh->dqk, dv = sh->dv, W = dv + 1;
    cache_view cv = view_cache(sh, cache);
    float *C = calloc((size_t)dqk * W, sizeof *C);
    if (!C) return -1;
    mlstm_state st = {C, 0.0f};
    for (int t = 0; t < sh->S; t++) {
        mlstm_step_scaled(dqk, dv, qk_scale(sh), &st, q + (size_t)t * ldq, k + (size_t)t * ldk,
                   v + (size_t)t * ldv, ig[t], fg[t], h + (size_t)t * ldh);
        /* recover den and nu from the state for the backward */
        float scale = qk_scale(sh), den = 0.0f;
        for (int a = 0; a < dqk; a++) den += scale * q[(size_t)t * ldq + a] * C[(size_t)a * W + dv];
        float lb = lower_bound(st.m), ad = fabsf(den);
        cv.m[t] = st.m;
        cv.den[t] = den;
        cv.nu[t] = (ad > lb ? ad : lb) + MLSTM_EPS;
    }
    if (final) {
        memcpy(final->C, C, (size_t)dqk * W * sizeof *C);
        final->m = st.m;
    }
    free(C);
    return 0;
}

int mlstm_recurrent_backward(const mlstm_shape *sh, const float *q, int ldq, const float *k,
                             int ldk, const float *v, int ldv, const float *ig,
                             const float *fg, const float *h, int ldh, const float *dh,
                             int lddh, const float *cache, mlstm_grads *g)
{
    /* The reference backward keeps its states in double: rounding in a long
     * chain of decays would otherwise dominate the comparison with the others. */
    int S = sh->S, dqk = sh->dqk, dv = sh->dv, W = dv + 1;
    double scale = sh->scale > 0 ? (double)sh->scale : 1.0 / sqrt((double)dqk);
    cache_view cv = view_cache(sh, cache);
    double *C = calloc((size_t)dqk * W, sizeof *C);
    float *dout = malloc((size_t)S * W * sizeof *dout);
    float *vp = malloc((size_t)W * sizeof *vp);
    if (!C || !dout || !vp) {
        free(C), free(dout), free(vp);
        return -1;
    }
    dout_rows(h, ldh, dh, lddh, cv.m, cv.nu, cv.den, 0, S, dv, dout);
    /* forward again for dq_t = scale * C_t dout'_t (m fixed at the saved values) */
    for (int t = 0; t < S; t++) {
        double mprev = t ? cv.m[t - 1] : 0.0, lf = mlstm_logsigmoid(fg[t]);
        double fa = exp(lf + mprev - cv.m[t]), ia = exp(ig[t] - (double)cv.m[t]);
        const float *kt = k + (size_t)t * ldk, *vt = v + (size_t)t * ldv, *dt = dout + (size_t)t * W;
        float *dqt = g->dq + (size_t)t * g->lddq;
        for (int a = 0; a < dqk; a++) {
            double *row = C + (size_t)a * W, ka = ia * kt[a], acc = 0.0;
            for (int c = 0; c < dv; c++) {
                row[c] = fa * row[c] + ka * vt[c];
                acc += row[c] * dt[c];
            }
            row[dv] = fa * row[dv] + ka;
            acc += row[dv] * dt[dv];
            dqt[a] = (float)(scale * acc);
        }
    }
    /* backward through time: dC_t accumulates scale q_t dout'_t^T, decays by fa */
    double *dC = C;
    memset(dC, 0, (size_t)dqk * W * sizeof *dC);
    for (int t = S - 1; t >= 0; t--) {
        double mprev = t ? cv.m[t - 1] : 0.0, lf = mlstm_logsigmoid(fg[t]);
        double fa = exp(lf + mprev - cv.m[t]), ia = exp(ig[t] - (double)cv.m[t]);
        const float *qt = q + (size_t)t * ldq, *kt = k + (size_t)t * ldk, *dt = dout + (size_t)t * W;
        memcpy(vp, v + (size_t)t * ldv, (size_t)dv * sizeof *vp);
        vp[dv] = 1.0f;
        float *dkt = g->dk + (size_t)t * g->lddk, *dvt = g->dv + (size_t)t * g->lddv;
        double dvacc[W];
        for (int c = 0; c < dv; c++) dvacc[c] = 0.0;
        for (int a = 0; a < dqk; a++) {
            double *row = dC + (size_t)a * W, qa = scale * qt[a], acc = 0.0;
            for (int c = 0; c < W; c++) {
                row[c] += qa * dt[c];
                acc += row[c] * vp[c];
            }
            dkt[a] = (float)(ia * acc);
            for (int c = 0; c < dv; c++) dvacc[c] += ia * kt[a] * row[c];
            for (int c = 0; c < W; c++) row[c] *= fa;
        }
        for (int c = 0; c < dv; c++) dvt[c] = (float)dvacc[c];
    }
    int rc = gate_backward(sh, q, ldq, k, ldk, ig, fg, h, ldh, dh, lddh, cv.nu, g);
    free(C), free(dout), free(vp);
    return rc;
}

/* ----------------------------------------------------------------- parallel */

/* E[t][j] = exp(F_t - F_j + i_j - m_t) for j <= t (0 above), and m. */
static int parallel_decay(const mlstm_shape *sh, const float *ig, const float *fg, float *E,
                          float *m)
{
    int S = sh->S;
    double F = 0;
    double *Fs = malloc((size_t)S * sizeof *Fs); /* double: F_t - F_j over long spans */
    if (!Fs) return -1;
    for (int t = 0; t < S; t++) {
        F += mlstm_logsigmoid(fg[t]);
        Fs[t] = F;
    }
    for (int t = 0; t < S; t++) {
        double mt = Fs[t]; /* the initial-state path (m0 = 0) */
        for (int j = 0; j <= t; j++) {
            double l = Fs[t] - Fs[j] + ig[j];
            if (l > mt) mt = l;
        }
        m[t] = (float)mt;
        float *Et = E + (size_t)t * S;
        for (int j = 0; j <= t; j++) Et[j] = (float)exp(Fs[t] - Fs[j] + ig[j] - mt);
        for (int j = t + 1; j < S; j++) Et[j] = 0.0f;
    }
    free(Fs);
    return 0;
}

int mlstm_parallel_forward(const mlstm_shape *sh, const float *q, int ldq, const float *k,
                           int ldk, const float *v, int ldv, const float *ig,
                           const float *fg, float *h, int ldh, float *cache)
{
    int S = sh->S, dqk = sh->dqk, dv = sh->dv, W = dv + 1;
    float scale = qk_scale(sh);
    cache_view cv = view_cache(sh, cache);
    float *E = malloc((size_t)S * S * sizeof *E), *P = malloc((size_t)S * S * sizeof *P);
    float *vp = malloc((size_t)S * W * sizeof *vp), *out = malloc((size_t)S * W * sizeof *out);
    if (!E || !P || !vp || !out) {
        free(E), free(P), free(vp), free(out);
        return -1;
    }
    if (parallel_decay(sh, ig, fg, E, cv.m) < 0) {
        free(E), free(P), free(vp), free(out);
        return -1;
    }
    augment_v(v, ldv, 0, S, dv, vp);
    /* P = scale Q K^T ⊙ E   [S, S] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, S, S, dqk, scale, q, ldq, k, ldk,
                0.0f, P, S);
    for (size_t x = 0; x < (size_t)S * S; x++) P[x] *= E[x];
    /* out' = P V'   [S, W] */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, S, W, S, 1.0f, P, S, vp, W, 0.0f,
                out, W);
    normalise_rows(out, S, dv, cv.m, cv.nu, cv.den, h, ldh);
    free(E), free(P), free(vp), free(out);
    return 0;
}

int mlstm_parallel_backward(const mlstm_shape *sh, const float *q, int ldq, const float *k,
                            int ldk, const float *v, int ldv, const float *ig,
                            const float *fg, const float *h, int ldh, const float *dh,
                            int lddh, const float *cache, mlstm_grads *g)
{
    int S = sh->S, dqk = sh->dqk, dv = sh->dv, W = dv + 1;
    float scale = qk_scale(sh);
    cache_view cv = view_cache(sh, cache);
    float *E = malloc((size_t)S * S * sizeof *E), *P = malloc((size_t)S * S * sizeof *P);
    float *dP = malloc((size_t)S * S * sizeof *dP), *mtmp = malloc((size_t)S * sizeof *mtmp);
    float *vp = malloc((size_t)S * W * sizeof *vp), *dout = malloc((size_t)S * W * sizeof *dout);
    float *dvp = malloc((size_t)S * W * sizeof *dvp);
    int rc = -1;
    if (!E || !P || !dP || !mtmp || !vp || !dout || !dvp) goto done;
    if (parallel_decay(sh, ig, fg, E, mtmp) < 0) goto done;
    augment_v(v, ldv, 0, S, dv, vp);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, S, S, dqk, scale, q, ldq, k, ldk,
                0.0f, P, S);
    for (size_t x = 0; x < (size_t)S * S; x++) P[x] *= E[x];
    dout_rows(h, ldh, dh, lddh, cv.m, cv.nu, cv.den, 0, S, dv, dout);
    /* dP = dout' V'^T ⊙ E = dA (gradient of the scaled scores) */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, S, S, W, 1.0f, dout, W, vp, W, 0.0f,
                dP, S);
    for (size_t x = 0; x < (size_t)S * S; x++) dP[x] *= E[x];
    /* dV' = P^T dout' */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, S, W, S, 1.0f, P, S, dout, W, 0.0f,
                dvp, W);
    for (int t = 0; t < S; t++)
        memcpy(g->dv + (size_t)t * g->lddv, dvp + (size_t)t * W, (size_t)dv * sizeof(float));
    /* dQ = scale dA K, dK = scale dA^T Q */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, S, dqk, S, scale, dP, S, k, ldk,
                0.0f, g->dq, g->lddq);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, S, dqk, S, scale, dP, S, q, ldq,
                0.0f, g->dk, g->lddk);
    rc = gate_backward(sh, q, ldq, k, ldk, ig, fg, h, ldh, dh, lddh, cv.nu, g);
done:
    free(E), free(P), free(dP), free(mtmp), free(vp), free(dout), free(dvp);
    return rc;
}

/* ---------------------------------------------------------------- chunkwise */

/* Per-chunk quantities shared by forward and backward. Within the chunk
 * (steps t0..t0+n): b_s = cumulative logsig(f), and given the state's m
 * before the chunk (mprev) and per-step m_s:
 *   E_sj = exp(b_s - b_j + i_j - m_s) (j <= s),  winter_s = exp(b_s + mprev - m_s). */
typedef struct chunk_work {
    float *b, *winter, *wa, *E, *A, *vp, *out, *tmp, *dA, *dvp, *dkc, *dqc;
} chunk_work;

static float *carve(float **p, size_t n)
{
    float *r = *p;
    *p += n;
    return r;
}

static float *chunk_work_alloc(chunk_work *w, int L, int dqk, int W)
{
    size_t LL = (size_t)L * L, LW = (size_t)L * W, LD = (size_t)L * dqk;
    size_t tmpn = LW > LD ? LW : LD;
    float *mem = malloc((3 * (size_t)L + 3 * LL + 4 * LW + tmpn + 2 * LD) * sizeof *mem);
    if (!mem) return NULL;
    float *p = mem;
    w->b = carve(&p, L);
    w->winter = carve(&p, L);
    w->wa = carve(&p, L);
    w->E = carve(&p, LL);
    w->A = carve(&p, LL);
    w->dA = carve(&p, LL);
    w->vp = carve(&p, LW);
    w->out = carve(&p, LW);
    w->dvp = carve(&p, LW);
    w->tmp = carve(&p, tmpn);
    w->dkc = carve(&p, LD);
    w->dqc = carve(&p, LD);
    (void)carve(&p, LW);
    return mem;
}

static void chunk_cumsum(const float *fg, int t0, int n, float *b)
{
    float acc = 0.0f;
    for (int s = 0; s < n; s++) {
        acc += mlstm_logsigmoid(fg[t0 + s]);
        b[s] = acc;
    }
}

/* Fills E and winter; computes m_s when m_out is non-NULL, else reads m_in. */
static void chunk_decay(const float *ig, int t0, int n, int L, const float *b, float mprev,
                        float *m_io, int compute_m, float *E, float *winter)
{
    for (int s = 0; s < n; s++) {
        float ms;
        if (compute_m) {
            ms = b[s] + mprev;
            for (int j = 0; j <= s; j++) {
                float l = b[s] - b[j] + ig[t0 + j];
                if (l > ms) ms = l;
            }
            m_io[s] = ms;
        } else {
            ms = m_io[s];
        }
        float *Es = E + (size_t)s * L;
        for (int j = 0; j <= s; j++) Es[j] = expf(b[s] - b[j] + ig[t0 + j] - ms);
        for (int j = s + 1; j < n; j++) Es[j] = 0.0f;
        winter[s] = expf(b[s] + mprev - ms);
    }
}

/* The state after the chunk: m_new and weights wa_s = exp(g - b_s + i_s - m_new). */
static float chunk_state_weights(const float *ig, int t0, int n, const float *b, float mprev,
                                 float *wa, float *decay)
{
    float gsum = b[n - 1], mnew = gsum + mprev;
    for (int s = 0; s < n; s++) {
        float a = gsum - b[s] + ig[t0 + s];
        if (a > mnew) mnew = a;
    }
    for (int s = 0; s < n; s++) wa[s] = expf(gsum - b[s] + ig[t0 + s] - mnew);
    *decay = expf(gsum + mprev - mnew);
    return mnew;
}

int mlstm_chunkwise_forward(const mlstm_shape *sh, const float *q, int ldq, const float *k,
                            int ldk, const float *v, int ldv, const float *ig,
                            const float *fg, float *h, int ldh, float *cache,
                            mlstm_state *final)
{
    int S = sh->S, dqk = sh->dqk, dv = sh->dv, W = dv + 1, L = sh->chunk, nc = n_chunks(sh);
    float scale = qk_scale(sh);
    cache_view cv = view_cache(sh, cache);
    chunk_work w;
    float *mem = chunk_work_alloc(&w, L, dqk, W);
    if (!mem) return -1;
    float *C = cv.states; /* state before chunk c lives at states + c*dqk*W */
    memset(C, 0, (size_t)dqk * W * sizeof *C);
    float mprev = 0.0f;
    cv.mstate[0] = 0.0f;
    for (int c = 0; c < nc; c++) {
        int t0 = c * L, n = S - t0 < L ? S - t0 : L;
        float *Cprev = cv.states + (size_t)c * dqk * W;
        const float *qc = q + (size_t)t0 * ldq, *kc = k + (size_t)t0 * ldk;
        chunk_cumsum(fg, t0, n, w.b);
        chunk_decay(ig, t0, n, L, w.b, mprev, cv.m + t0, 1, w.E, w.winter);
        augment_v(v, ldv, t0, n, dv, w.vp);
        /* A = scale Qc Kc^T ⊙ E   [n, n] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, dqk, scale, qc, ldq, kc, ldk,
                    0.0f, w.A, L);
        for (int s = 0; s < n; s++)
            for (int j = 0; j < n; j++) w.A[(size_t)s * L + j] *= w.E[(size_t)s * L + j];
        /* out' = A V' + diag(winter) scale Qc C'prev   [n, W] */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, W, dqk, scale, qc, ldq, Cprev,
                    W, 0.0f, w.out, W);
        for (int s = 0; s < n; s++)
            for (int x = 0; x < W; x++) w.out[(size_t)s * W + x] *= w.winter[s];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, W, n, 1.0f, w.A, L, w.vp, W,
                    1.0f, w.out, W);
        normalise_rows(w.out, n, dv, cv.m + t0, cv.nu + t0, cv.den + t0, h + (size_t)t0 * ldh,
                       ldh);
        /* C'next = decay C'prev + Kc^T diag(wa) V'   [dqk, W] */
        float decay;
        float mnew = chunk_state_weights(ig, t0, n, w.b, mprev, w.wa, &decay);
        for (int s = 0; s < n; s++)
            for (int x = 0; x < W; x++) w.tmp[(size_t)s * W + x] = w.wa[s] * w.vp[(size_t)s * W + x];
        float *Cnext = c + 1 < nc ? cv.states + (size_t)(c + 1) * dqk * W : NULL;
        float *dst = Cnext ? Cnext : (final ? final->C : NULL);
        if (dst) {
            if (dst != Cprev) memcpy(dst, Cprev, (size_t)dqk * W * sizeof *dst);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dqk, W, n, 1.0f, kc, ldk, w.tmp,
                        W, decay, dst, W);
        }
        mprev = mnew;
        cv.mstate[c + 1] = mnew;
    }
    if (final) final->m = mprev;
    free(mem);
    return 0;
}

int mlstm_chunkwise_backward(const mlstm_shape *sh, const float *q, int ldq, const float *k,
                             int ldk, const float *v, int ldv, const float *ig,
                             const float *fg, const float *h, int ldh, const float *dh,
                             int lddh, const float *cache, mlstm_grads *g)
{
    int S = sh->S, dqk = sh->dqk, dv = sh->dv, W = dv + 1, L = sh->chunk, nc = n_chunks(sh);
    float scale = qk_scale(sh);
    cache_view cv = view_cache(sh, cache);
    chunk_work w;
    float *mem = chunk_work_alloc(&w, L, dqk, W);
    float *dC = calloc((size_t)dqk * W, sizeof *dC);
    float *dout = malloc((size_t)L * W * sizeof *dout);
    if (!mem || !dC || !dout) {
        free(mem), free(dC), free(dout);
        return -1;
    }
    for (int c = nc - 1; c >= 0; c--) {
        int t0 = c * L, n = S - t0 < L ? S - t0 : L;
        const float *Cprev = cv.states + (size_t)c * dqk * W;
        const float *qc = q + (size_t)t0 * ldq, *kc = k + (size_t)t0 * ldk;
        float mprev = cv.mstate[c];
        chunk_cumsum(fg, t0, n, w.b);
        chunk_decay(ig, t0, n, L, w.b, mprev, cv.m + t0, 0, w.E, w.winter);
        augment_v(v, ldv, t0, n, dv, w.vp);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, dqk, scale, qc, ldq, kc, ldk,
                    0.0f, w.A, L);
        for (int s = 0; s < n; s++)
            for (int j = 0; j < n; j++) w.A[(size_t)s * L + j] *= w.E[(size_t)s * L + j];
        dout_rows(h, ldh, dh, lddh, cv.m, cv.nu, cv.den, t0, n, dv, dout);
        float decay;
        (void)chunk_state_weights(ig, t0, n, w.b, mprev, w.wa, &decay);

        /* through the state update: dKc = diag(wa) V' dC^T, dV' = diag(wa) Kc dC */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, dqk, W, 1.0f, w.vp, W, dC, W,
                    0.0f, w.dkc, dqk);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, W, dqk, 1.0f, kc, ldk, dC, W,
                    0.0f, w.dvp, W);
        for (int s = 0; s < n; s++) {
            for (int a = 0; a < dqk; a++) w.dkc[(size_t)s * dqk + a] *= w.wa[s];
            for (int x = 0; x < W; x++) w.dvp[(size_t)s * W + x] *= w.wa[s];
        }
        /* intra-chunk: dA = (dout' V'^T) ⊙ E, dV' += A^T dout' */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, W, 1.0f, dout, W, w.vp, W,
                    0.0f, w.dA, L);
        for (int s = 0; s < n; s++)
            for (int j = 0; j < n; j++) w.dA[(size_t)s * L + j] *= w.E[(size_t)s * L + j];
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, W, n, 1.0f, w.A, L, dout, W,
                    1.0f, w.dvp, W);
        /* dQc = scale dA Kc + diag(winter) scale dout' C'prev^T;  dKc += scale dA^T Qc */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, dqk, W, scale, dout, W, Cprev, W,
                    0.0f, w.dqc, dqk);
        for (int s = 0; s < n; s++)
            for (int a = 0; a < dqk; a++) w.dqc[(size_t)s * dqk + a] *= w.winter[s];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, dqk, n, scale, w.dA, L, kc, ldk,
                    1.0f, w.dqc, dqk);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, dqk, n, scale, w.dA, L, qc, ldq,
                    1.0f, w.dkc, dqk);
        /* dC'prev = decay dC + scale Qc^T diag(winter) dout' */
        for (int s = 0; s < n; s++)
            for (int x = 0; x < W; x++) w.tmp[(size_t)s * W + x] = w.winter[s] * dout[(size_t)s * W + x];
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, dqk, W, n, scale, qc, ldq, w.tmp, W,
                    decay, dC, W);
        for (int s = 0; s < n; s++) {
            memcpy(g->dq + (size_t)(t0 + s) * g->lddq, w.dqc + (size_t)s * dqk, (size_t)dqk * sizeof(float));
            memcpy(g->dk + (size_t)(t0 + s) * g->lddk, w.dkc + (size_t)s * dqk, (size_t)dqk * sizeof(float));
            memcpy(g->dv + (size_t)(t0 + s) * g->lddv, w.dvp + (size_t)s * W, (size_t)dv * sizeof(float));
        }
    }
    int rc = gate_backward(sh, q, ldq, k, ldk, ig, fg, h, ldh, dh, lddh, cv.nu, g);
    free(mem), free(dC), free(dout);
    return rc;
}
