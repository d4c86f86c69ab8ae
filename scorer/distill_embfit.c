/* distill_embfit.c - the word-vector part of a distilled scorer: kernel
 * ridge with a Gaussian kernel on the documents' standardised mean word
 * vectors, in Nystrom form, cross-validated on the linear model's folds and
 * blended with it.
 *
 * Landmarks L [m, d]: the training documents (a seeded sample of max_dual of
 * them beyond that). K_LL = U S U^T (LAPACK dsyevd); directions with an
 * eigenvalue under EIG_FLOOR are dropped (their ridge shrinkage factor
 * s / (s + lambda) is below 0.001 for every lambda of the grid), leaving r.
 * Features F = K(x, L) U_r S_r^-1/2 [r], so F F^T = K on the landmarks: with
 * every training document a landmark this is exact kernel ridge. Ridge with
 * an unpenalised intercept in F: (Fc^T Fc + lambda I) w = Fc^T (y - ybar), by
 * Cholesky (dpotrf). The sums F^T F are accumulated per fold in one pass over
 * the documents (row blocks, dsyrk), so memory is (folds + 1) r^2 doubles,
 * not n r. The score is ybar + (F(x) - Fbar) w = bias + sum_j alpha_j
 * k(x, l_j), alpha = U_r S_r^-1/2 w. BLAS and LAPACK calls in a fixed order:
 * the same data and seed give the same bytes (on the same BLAS build and
 * thread count, as the dual's dsyevd). */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fsutil.h"
#include "scorer/distill_internal.h"

extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                    double *w, double *work, const int *lwork, int *iwork, const int *liwork, int *info);
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
                    double *b, const int *ldb, int *info);

static const double emb_lambdas[] = {0.03, 0.1, 0.3};
static const double emb_weights[] = {0.25, 0.5, 0.75};
#define N_LAMBDA ((int)(sizeof emb_lambdas / sizeof *emb_lambdas))
#define N_WEIGHT ((int)(sizeof emb_weights / sizeof *emb_weights))
#define EIG_FLOOR 1e-4
#define BLOCK 512

typedef struct { uint64_t key; size_t i; } keyed;
static int cmp_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}
static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* k-th smallest of v[0..n) (v is reordered). */
static double select_kth(double *v, size_t n, size_t k)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        double p = v[lo + (hi - lo) / 2];
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < p) i++;
            while (v[j] > p) j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j], v[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return v[k];
    }
    return v[k];
}

/* z [d] of one raw mean vector. */
static void standardise(const float *x, const float *mu, const float *sd, uint32_t d, float *z)
{
    for (uint32_t k = 0; k < d; k++) z[k] = sd[k] > 0 ? (x[k] - mu[k]) / sd[k] : 0.0f;
}

/* out [rows][m] = exp(-gamma |z_i - l_j|^2) */
static void gauss(const float *Z, size_t rows, const float *L, const float *Lsq, size_t m, uint32_t d,
                  double gamma, float *out)
{
    if (rows == 1)   /* scoring, one document: sgemm would pack L on every call */
        cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)m, (int)d, 1.0f, L, (int)d, Z, 1, 0.0f, out, 1);
    else
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)m, (int)d, 1.0f, Z, (int)d, L,
                    (int)d, 0.0f, out, (int)m);
    for (size_t i = 0; i < rows; i++) {
        double zz = 0;
        for (uint32_t k = 0; k < d; k++) zz += (double)Z[i * d + k] * Z[i * d + k];
        float *o = out + i * m;
        for (size_t j = 0; j < m; j++) {
            double d2 = zz + Lsq[j] - 2.0 * o[j];
            o[j] = (float)exp(-gamma * (d2 > 0 ? d2 : 0));
        }
    }
}

double distill_emb_raw(const distill_model *m, const distill_counts *c)
{
    const uint32_t d = m->vec->dim;
    float z[DISTILL_MAX_EMB_DIM];
    if (!c->emb || c->emb_dim != d) return m->emb_bias;
    standardise(c->emb, m->emb_mu, m->emb_sd, d, z);
    /* the kernel row as training computes it (gauss), then its dot with
     * alpha; in stack-sized chunks of landmarks, so there is no allocation
     * that could fail however many landmarks the model has */
    enum { CHUNK = 1024 };
    float k[CHUNK];
    double s = m->emb_bias;
    for (uint32_t j0 = 0; j0 < m->n_land; j0 += CHUNK) {
        uint32_t cnt = m->n_land - j0 < CHUNK ? m->n_land - j0 : CHUNK;
        gauss(z, 1, m->land + (size_t)j0 * d, m->land_sq + j0, cnt, d, m->gamma, k);
        for (uint32_t j = 0; j < cnt; j++) s += m->alpha[j0 + j] * k[j];
    }
    return s;
}

int distill_emb_fit(const distill_examples *ex, const distill_train_opts *o, const int *fold,
                    const double *lin_oof, distill_model *M, distill_emb_report *rep, blalm_err *e)
{
    const size_t n = ex->n;
    const uint32_t d = ex->emb_dim;
    const int K = o->folds;
    size_t maxl = o->max_dual ? o->max_dual : 3000;
    const size_t m = n < maxl ? n : maxl;
    double t0 = now_seconds();
    int rc = -1, r = 0;
    float *Z = malloc(n * d * sizeof *Z), *mu = calloc(d, sizeof *mu), *sd = calloc(d, sizeof *sd);
    float *L = malloc(m * d * sizeof *L), *Lsq = malloc(m * sizeof *Lsq);
    size_t *land = malloc(m * sizeof *land);
    keyed *kk = NULL;
    double *Kll = NULL, *s = NULL, *P = NULL, *G = NULL, *S1 = NULL, *Sy = NULL, *Syy = NULL, *cnt = NULL;
    double *A = NULL, *oof = NULL, *blend = NULL, *Fd = NULL, *Wall = NULL, *ybar = NULL;
    double *fbar = NULL, *dist = NULL;
    float *Phi = NULL, *Pf = NULL, *F = NULL;
    if (!Z || !mu || !sd || !L || !Lsq || !land) goto oom;
    memset(rep, 0, sizeof *rep);
    rep->on = 1;
    rep->dim = d;
    rep->words = M->vec ? M->vec->n : 0;

    /* standardisation over every training document (labels unused) */
    for (uint32_t k = 0; k < d; k++) {
        double a = 0, b = 0;
        for (size_t i = 0; i < n; i++) a += ex->emb[i * d + k];
        a /= (double)n;
        for (size_t i = 0; i < n; i++) b += (ex->emb[i * d + k] - a) * (ex->emb[i * d + k] - a);
        b = sqrt(b / (double)n);
        mu[k] = (float)a;
        sd[k] = b > 1e-12 ? (float)b : 0.0f;
    }
    for (size_t i = 0; i < n; i++) standardise(ex->emb + i * d, mu, sd, d, Z + i * d);

    /* landmarks */
    if (m == n) {
        for (size_t i = 0; i < n; i++) land[i] = i;
    } else {
        if (!(kk = malloc(n * sizeof *kk))) goto oom;
        for (size_t i = 0; i < n; i++) kk[i] = (keyed){distill_splitmix(o->seed ^ distill_splitmix(ex->text_hash[i] + 1)), i};
        qsort(kk, n, sizeof *kk, cmp_keyed);
        for (size_t j = 0; j < m; j++) land[j] = kk[j].i;
        qsort(land, m, sizeof *land, cmp_size);
    }
    for (size_t j = 0; j < m; j++) {
        memcpy(L + j * d, Z + land[j] * d, d * sizeof *L);
        double q = 0;
        for (uint32_t k = 0; k < d; k++) q += (double)L[j * d + k] * L[j * d + k];
        Lsq[j] = (float)q;
    }
    /* gamma: 1 / the median squared distance between two landmarks */
    size_t np = m * (m - 1) / 2;
    if (np) {
        if (!(dist = malloc(np * sizeof *dist))) goto oom;
        size_t q = 0;
        for (size_t a = 0; a < m; a++)
            for (size_t b = a + 1; b < m; b++) {
                double x = 0;
                for (uint32_t k = 0; k < d; k++) {
                    double t = (double)L[a * d + k] - L[b * d + k];
                    x += t * t;
                }
                dist[q++] = x;
            }
        double med = select_kth(dist, np, np / 2);
        rep->gamma = med > 1e-12 ? 1.0 / med : 1.0;
        free(dist);
        dist = NULL;
    } else {
        rep->gamma = 1.0;
    }
    const double gamma = rep->gamma;

    /* K_LL and its eigendecomposition: P = U_r S_r^-1/2, column-major [m][r] as LAPACK leaves U */
    if (!(Kll = malloc(m * m * sizeof *Kll)) || !(s = malloc(m * sizeof *s)) ||
        !(Phi = malloc((size_t)BLOCK * m * sizeof *Phi)))
        goto oom;
    for (size_t a0 = 0; a0 < m; a0 += BLOCK) {
        size_t rows = m - a0 < BLOCK ? m - a0 : BLOCK;
        gauss(L + a0 * d, rows, L, Lsq, m, d, gamma, Phi);
        for (size_t a = 0; a < rows; a++)
            for (size_t b = 0; b < m; b++) Kll[(a0 + a) * m + b] = Phi[a * m + b];
    }
    {
        int nn = (int)m, info = 0, lwork = -1, liwork = -1, iq;
        double wq;
        dsyevd_("V", "U", &nn, Kll, &nn, s, &wq, &lwork, &iq, &liwork, &info);
        lwork = (int)wq;
        liwork = iq;
        double *wk = malloc((size_t)lwork * sizeof *wk);
        int *iwk = malloc((size_t)liwork * sizeof *iwk);
        if (!wk || !iwk) {
            free(wk), free(iwk);
            goto oom;
        }
        dsyevd_("V", "U", &nn, Kll, &nn, s, wk, &lwork, iwk, &liwork, &info);
        free(wk), free(iwk);
        if (info != 0) {
            err_set(e, "the word-vector kernel's eigendecomposition failed (dsyevd info %d)", info);
            goto out;
        }
    }
    /* eigenvalues ascending: keep those above the floor, largest first */
    for (size_t j = m; j-- > 0;)
        if (s[j] > EIG_FLOOR) r++;
    if (r == 0) r = 1;
    rep->rank = (uint32_t)r;
    rep->landmarks = (uint32_t)m;
    if (!(P = malloc(m * (size_t)r * sizeof *P)) || !(Pf = malloc(m * (size_t)r * sizeof *Pf))) goto oom;
    for (int c = 0; c < r; c++) {
        size_t col = m - 1 - (size_t)c;
        double sc = 1.0 / sqrt(fmax(s[col], EIG_FLOOR));
        for (size_t j = 0; j < m; j++) { /* P row-major [m][r] */
            P[j * (size_t)r + (size_t)c] = Kll[col * m + j] * sc;
            Pf[j * (size_t)r + (size_t)c] = (float)P[j * (size_t)r + (size_t)c];
        }
    }
    free(Kll);
    Kll = NULL;

    /* per fold (index K: all): sum F F^T, sum F, sum y F, count, sum y */
    const size_t R = (size_t)r;
    G = calloc((size_t)(K + 1) * R * R, sizeof *G);
    S1 = calloc((size_t)(K + 1) * R, sizeof *S1);
    Sy = calloc((size_t)(K + 1) * R, sizeof *Sy);
    Syy = calloc((size_t)(K + 1), sizeof *Syy);
    cnt = calloc((size_t)(K + 1), sizeof *cnt);
    F = malloc((size_t)BLOCK * R * sizeof *F);
    Fd = malloc((size_t)BLOCK * R * sizeof *Fd);
    if (!G || !S1 || !Sy || !Syy || !cnt || !F || !Fd) goto oom;
    /* rows of one fold together in a block: the documents in fold order */
    size_t *ord = malloc(n * sizeof *ord);
    if (!ord) goto oom;
    {
        size_t q = 0;
        for (int f = 0; f < K; f++)
            for (size_t i = 0; i < n; i++)
                if (fold[i] == f) ord[q++] = i;
    }
    float *Zb = malloc((size_t)BLOCK * d * sizeof *Zb);
    if (!Zb) {
        free(ord);
        goto oom;
    }
#define FEATURES(i0, rows)                                                                              \
    do {                                                                                                \
        for (size_t a = 0; a < (rows); a++) memcpy(Zb + a * d, Z + ord[(i0) + a] * d, d * sizeof *Zb); \
        gauss(Zb, (rows), L, Lsq, m, d, gamma, Phi);                                                    \
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(rows), r, (int)m, 1.0f, Phi,     \
                    (int)m, Pf, r, 0.0f, F, r);                                                         \
        for (size_t a = 0; a < (rows) * R; a++) Fd[a] = F[a];                                           \
    } while (0)
    for (size_t i0 = 0; i0 < n;) {
        int f = fold[ord[i0]];
        size_t rows = 0;
        while (i0 + rows < n && rows < BLOCK && fold[ord[i0 + rows]] == f) rows++;
        FEATURES(i0, rows);
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, r, (int)rows, 1.0, Fd, r, 1.0,
                    G + (size_t)f * R * R, r);
        for (size_t a = 0; a < rows; a++) {
            double y = ex->label[ord[i0 + a]];
            for (size_t c = 0; c < R; c++) {
                S1[(size_t)f * R + c] += Fd[a * R + c];
                Sy[(size_t)f * R + c] += y * Fd[a * R + c];
            }
            Syy[f] += y;
            cnt[f] += 1;
        }
        i0 += rows;
    }
    for (int f = 0; f < K; f++) { /* totals */
        for (size_t q = 0; q < R * R; q++) G[(size_t)K * R * R + q] += G[(size_t)f * R * R + q];
        for (size_t c = 0; c < R; c++) {
            S1[(size_t)K * R + c] += S1[(size_t)f * R + c];
            Sy[(size_t)K * R + c] += Sy[(size_t)f * R + c];
        }
        Syy[K] += Syy[f];
        cnt[K] += cnt[f];
    }

    /* the fit of "all but fold f" (f = K: all) for every lambda: w [(K+1)][N_LAMBDA][R] */
    A = malloc(R * R * sizeof *A);
    Wall = malloc((size_t)(K + 1) * N_LAMBDA * R * sizeof *Wall);
    ybar = malloc((size_t)(K + 1) * sizeof *ybar);
    fbar = malloc((size_t)(K + 1) * R * sizeof *fbar);
    if (!A || !Wall || !ybar || !fbar) {
        free(ord), free(Zb);
        goto oom;
    }
    for (int f = 0; f <= K; f++) {
        const double *Gt = G + (size_t)K * R * R, *S1t = S1 + (size_t)K * R, *Syt = Sy + (size_t)K * R;
        double nt = cnt[K] - (f < K ? cnt[f] : 0), yt = Syy[K] - (f < K ? Syy[f] : 0);
        ybar[f] = yt / nt;
        double *fb = fbar + (size_t)f * R;
        for (size_t c = 0; c < R; c++) fb[c] = (S1t[c] - (f < K ? S1[(size_t)f * R + c] : 0)) / nt;
        for (int li = 0; li < N_LAMBDA; li++) {
            /* A = sum F F^T - nt fbar fbar^T + lambda I (upper triangle, row-major) */
            for (size_t a = 0; a < R; a++)
                for (size_t b = a; b < R; b++)
                    A[a * R + b] = Gt[a * R + b] - (f < K ? G[(size_t)f * R * R + a * R + b] : 0) -
                                   nt * fb[a] * fb[b] + (a == b ? emb_lambdas[li] : 0);
            /* rhs = Fc^T (y - ybar) = sum y F - ybar sum F */
            double *wl = Wall + ((size_t)f * N_LAMBDA + (size_t)li) * R;
            for (size_t c = 0; c < R; c++)
                wl[c] = (Syt[c] - (f < K ? Sy[(size_t)f * R + c] : 0)) - ybar[f] * fb[c] * nt;
            int nn = r, one = 1, info = 0;
            /* row-major upper = column-major lower */
            dpotrf_("L", &nn, A, &nn, &info);
            if (info == 0) dpotrs_("L", &nn, &one, A, &nn, wl, &nn, &info);
            if (info != 0) {
                free(ord), free(Zb);
                err_set(e, "the word-vector part's ridge system is not positive definite (dpotrf info %d)", info);
                goto out;
            }
        }
    }

    /* out-of-fold predictions of every lambda (a second pass over the documents) */
    oof = malloc((size_t)N_LAMBDA * n * sizeof *oof);
    blend = malloc(n * sizeof *blend);
    if (!oof || !blend) {
        free(ord), free(Zb);
        goto oom;
    }
    for (size_t i0 = 0; i0 < n;) {
        int f = fold[ord[i0]];
        size_t rows = 0;
        while (i0 + rows < n && rows < BLOCK && fold[ord[i0 + rows]] == f) rows++;
        FEATURES(i0, rows);
        for (int li = 0; li < N_LAMBDA; li++) {
            const double *wl = Wall + ((size_t)f * N_LAMBDA + (size_t)li) * R, *fb = fbar + (size_t)f * R;
            for (size_t a = 0; a < rows; a++) {
                double p = ybar[f];
                for (size_t c = 0; c < R; c++) p += (Fd[a * R + c] - fb[c]) * wl[c];
                oof[(size_t)li * n + ord[i0 + a]] = p;
            }
        }
        i0 += rows;
    }
#undef FEATURES
    free(ord);
    free(Zb);

    /* choose lambda (the part alone), then the blend's weight */
    int bl = 0;
    double bf = -1, bm = INFINITY;
    rep->n_lambda = N_LAMBDA;
    for (int li = 0; li < N_LAMBDA; li++) {
        double f1, mae = distill_mae(oof + (size_t)li * n, ex->label, n);
        distill_best_threshold(oof + (size_t)li * n, ex->label, n, &f1);
        rep->lambda_f1[li] = f1;
        if (distill_better(f1, mae, bf, bm)) bf = f1, bm = mae, bl = li;
    }
    double lin_f1;
    distill_best_threshold(lin_oof, ex->label, n, &lin_f1);
    rep->linear_f1 = lin_f1;
    int bw = 0;
    bf = -1, bm = INFINITY;
    double bt = 2.5;
    const double *wg = o->emb_weight > 0 ? &o->emb_weight : emb_weights;
    rep->n_weight = o->emb_weight > 0 ? 1 : N_WEIGHT;
    for (int wi = 0; wi < rep->n_weight; wi++) {
        for (size_t i = 0; i < n; i++)
            blend[i] = (1 - wg[wi]) * lin_oof[i] + wg[wi] * oof[(size_t)bl * n + i];
        double f1, mae = distill_mae(blend, ex->label, n);
        double t = distill_best_threshold(blend, ex->label, n, &f1);
        rep->weight_f1[wi] = f1;
        if (distill_better(f1, mae, bf, bm)) bf = f1, bm = mae, bw = wi, bt = t;
    }
    rep->lambda = emb_lambdas[bl];
    rep->weight = wg[bw];
    rep->f1 = bf;
    rep->mae = bm;
    rep->threshold = bt;

    /* the model: alpha = P w, bias = ybar - fbar . w */
    const double *wf = Wall + ((size_t)K * N_LAMBDA + (size_t)bl) * R, *fb = fbar + (size_t)K * R;
    M->alpha = calloc(m, sizeof *M->alpha);
    M->land = malloc(m * d * sizeof *M->land);
    M->land_sq = malloc(m * sizeof *M->land_sq);
    M->emb_mu = malloc(d * sizeof *M->emb_mu);
    M->emb_sd = malloc(d * sizeof *M->emb_sd);
    if (!M->alpha || !M->land || !M->land_sq || !M->emb_mu || !M->emb_sd) goto oom;
    double bias = ybar[K];
    for (size_t c = 0; c < R; c++) bias -= fb[c] * wf[c];
    for (size_t j = 0; j < m; j++) {
        double a = 0;
        for (size_t c = 0; c < R; c++) a += P[j * R + c] * wf[c];
        M->alpha[j] = a;
    }
    memcpy(M->land, L, m * d * sizeof *L);
    memcpy(M->land_sq, Lsq, m * sizeof *Lsq);
    memcpy(M->emb_mu, mu, d * sizeof *mu);
    memcpy(M->emb_sd, sd, d * sizeof *sd);
    M->n_land = (uint32_t)m;
    M->emb_rank = (uint32_t)r;
    M->gamma = gamma;
    M->emb_weight = rep->weight;
    M->emb_bias = bias;
    M->emb_lambda = rep->lambda;
    M->threshold = bt;
    M->offset = 2.5 - bt;
    M->cv_f1 = bf;
    M->cv_mae = bm;
    rep->seconds = now_seconds() - t0;
    rc = 0;
    goto out;
oom:
    err_set(e, "out of memory (the word-vector part: %zu documents, %zu landmarks)", n, m);
out:
    free(Z), free(mu), free(sd), free(L), free(Lsq), free(land), free(kk), free(Kll), free(s), free(P);
    free(G), free(S1), free(Sy), free(Syy), free(cnt), free(A), free(oof), free(blend), free(Fd);
    free(Wall), free(ybar), free(fbar), free(dist), free(Phi), free(Pf), free(F);
    return rc;
}
