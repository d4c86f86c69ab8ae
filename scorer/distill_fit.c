/* distill_fit.c - ridge and multinomial logistic regression over hashed
 * TF-IDF features, fitted in the dual with LAPACK/BLAS, hyperparameters and
 * threshold by stratified k-fold cross-validation.
 *
 * Notation (shapes as in llm.c): m training rows, D = 2^hash_bits features,
 * X [m, D] sparse (L2-normalised TF-IDF), mu [D] its column mean,
 * Kc = (X - 1 mu^T)(X - 1 mu^T)^T [m, m], Kc = U S U^T (dsyevd).
 * Ridge:    alpha = U (S + lambda)^-1 U^T (y - ybar),  w = X^T alpha.
 * Logistic: Z = U S^1/2 [m, r], logits = Z B + c, B [r, 6];
 *           w_k = X^T U S^-1/2 B[:, k]  (then (x - mu) w_k = z B[:, k]).
 * Final form of every output k: f_k(x) = x w_k + bias_k. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/blas.h"
#include "lib/fsutil.h"
#include "lib/hash.h"
#include "scorer/distill_internal.h"

/* LAPACK (Fortran symbol, in Debian's libopenblas; no lapacke.h needed). */
extern void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
                    double *w, double *work, const int *lwork, int *iwork, const int *liwork,
                    int *info);

static const double ridge_grid[] = {0.1, 0.3, 1.0, 3.0};
static const double logistic_grid[] = {0.03, 0.1, 0.3};

static int label_class(double y)
{
    return distill_int_score(y);
}

/* ---- features of a subset ---- */

/* idf [D] = ln((1 + m) / (1 + df)) + 1 over rows rows[0..m), for the D
 * hashed columns (the attribute columns after them have none). */
static float *idf_of(const distill_examples *ex, const size_t *rows, size_t m, size_t D)
{
    uint32_t *df = calloc(D, sizeof *df);
    float *idf = malloc(D * sizeof *idf);
    if (!df || !idf) {
        free(df);
        free(idf);
        return NULL;
    }
    for (size_t a = 0; a < m; a++)
        for (uint64_t p = ex->row[rows[a]]; p < ex->row[rows[a] + 1]; p++)
            if (ex->col[p] < D) df[ex->col[p]]++;
    for (size_t j = 0; j < D; j++)
        idf[j] = (float)(log((1.0 + (double)m) / (1.0 + (double)df[j])) + 1.0);
    free(df);
    return idf;
}

/* val [nnz]: (1 + ln tf) idf, each block of each row (words below 2^hash_bits,
 * characters up to H) L2-normalised and scaled; the attribute columns (H and
 * beyond, already standardised) scaled. */
static void weigh(const distill_examples *ex, const float *idf, const distill_features *f,
                  uint32_t n_attr, float *val)
{
    const size_t H = distill_hashed_dim(f);
    const uint32_t half = (uint32_t)1 << f->hash_bits;
    double scale[3];
    distill_block_scales(f, n_attr, scale);
    for (size_t i = 0; i < ex->n; i++) {
        double ss[2] = {0, 0};
        for (uint64_t p = ex->row[i]; p < ex->row[i + 1]; p++) {
            if (ex->col[p] >= H) {
                val[p] = (float)(ex->cnt[p] * scale[2]);
                continue;
            }
            double v = (1.0 + log((double)ex->cnt[p])) * idf[ex->col[p]];
            val[p] = (float)v;
            ss[ex->col[p] >= half] += v * v;
        }
        double inv[2];
        for (int b = 0; b < 2; b++) inv[b] = ss[b] > 0 ? scale[b] / sqrt(ss[b]) : 0.0;
        for (uint64_t p = ex->row[i]; p < ex->row[i + 1]; p++)
            if (ex->col[p] < H) val[p] = (float)(val[p] * inv[ex->col[p] >= half]);
    }
}

static double row_dot(const distill_examples *ex, const float *val, size_t i, const float *w)
{
    double s = 0;
    for (uint64_t p = ex->row[i]; p < ex->row[i + 1]; p++) s += (double)val[p] * w[ex->col[p]];
    return s;
}

/* K [m, m] (column-major, full) = X_rows X_rows^T, by scattering one row
 * into a dense [D] buffer and dotting the others against it. */
static void kernel(const distill_examples *ex, const float *val, const size_t *rows, size_t m,
                   double *buf, double *K)
{
    for (size_t a = 0; a < m; a++) {
        size_t i = rows[a];
        for (uint64_t p = ex->row[i]; p < ex->row[i + 1]; p++) buf[ex->col[p]] = val[p];
        for (size_t b = 0; b <= a; b++) {
            size_t j = rows[b];
            double s = 0;
            for (uint64_t p = ex->row[j]; p < ex->row[j + 1]; p++) s += val[p] * buf[ex->col[p]];
            K[a * m + b] = K[b * m + a] = s;
        }
        for (uint64_t p = ex->row[i]; p < ex->row[i + 1]; p++) buf[ex->col[p]] = 0;
    }
}

/* Kc = H K H with H = I - 11^T/m, in place. */
static void center(double *K, size_t m)
{
    double *r = malloc(m * sizeof *r);
    if (!r) abort();
    double g = 0;
    for (size_t a = 0; a < m; a++) {
        double s = 0;
        for (size_t b = 0; b < m; b++) s += K[a * m + b];
        r[a] = s / (double)m;
        g += r[a];
    }
    g /= (double)m;
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < m; b++) K[a * m + b] += g - r[a] - r[b];
    free(r);
}

/* Eigendecomposition of the symmetric K [m, m] in place: columns of K become
 * U (ascending eigenvalues s). */
static int eig(double *K, size_t m, double *s, blalm_err *e)
{
    int n = (int)m, info = 0, lwork = -1, liwork = -1, iq;
    double wq;
    dsyevd_("V", "U", &n, K, &n, s, &wq, &lwork, &iq, &liwork, &info);
    if (info != 0) return err_set(e, "dsyevd workspace query failed (info %d)", info);
    lwork = (int)wq + 1;
    liwork = iq;
    double *work = malloc((size_t)lwork * sizeof *work);
    int *iwork = malloc((size_t)liwork * sizeof *iwork);
    if (!work || !iwork) {
        free(work);
        free(iwork);
        return err_set(e, "out of memory (eigendecomposition of %zu documents)", m);
    }
    dsyevd_("V", "U", &n, K, &n, s, work, &lwork, iwork, &liwork, &info);
    free(work);
    free(iwork);
    if (info != 0) return err_set(e, "dsyevd did not converge (info %d)", info);
    return 0;
}

/* ---- L-BFGS (two-loop recursion, backtracking Armijo line search) ---- */

typedef double (*objective)(void *ctx, const double *x, double *grad);

static void lbfgs(objective f, void *ctx, double *x, size_t n, int max_iter)
{
    enum { HIST = 8 };
    double *mem = calloc((size_t)(2 * HIST + 3) * n, sizeof *mem);
    if (!mem) abort();
    double *S = mem, *Y = mem + HIST * n, *g = mem + 2 * HIST * n, *d = g + n, *xn = d + n;
    double rho[HIST], al[HIST];
    double *gn = malloc(n * sizeof *gn);
    if (!gn) abort();
    double fx = f(ctx, x, g);
    int k = 0;
    for (int it = 0; it < max_iter; it++) {
        double gmax = 0;
        for (size_t i = 0; i < n; i++) gmax = fmax(gmax, fabs(g[i]));
        if (gmax < 1e-6) break;
        /* d = -H g */
        for (size_t i = 0; i < n; i++) d[i] = -g[i];
        int h = k < HIST ? k : HIST;
        for (int j = 0; j < h; j++) {
            int c = (k - 1 - j) % HIST;
            al[c] = rho[c] * cblas_ddot((int)n, S + (size_t)c * n, 1, d, 1);
            cblas_daxpy((int)n, -al[c], Y + (size_t)c * n, 1, d, 1);
        }
        if (h) {
            int c = (k - 1) % HIST;
            double yy = cblas_ddot((int)n, Y + (size_t)c * n, 1, Y + (size_t)c * n, 1);
            cblas_dscal((int)n, 1.0 / (rho[c] * yy), d, 1);
        } else {
            cblas_dscal((int)n, 1.0 / fmax(1.0, sqrt(cblas_ddot((int)n, g, 1, g, 1))), d, 1);
        }
        for (int j = h - 1; j >= 0; j--) {
            int c = (k - 1 - j) % HIST;
            double b = rho[c] * cblas_ddot((int)n, Y + (size_t)c * n, 1, d, 1);
            cblas_daxpy((int)n, al[c] - b, S + (size_t)c * n, 1, d, 1);
        }
        double gd = cblas_ddot((int)n, g, 1, d, 1);
        if (gd >= 0) { /* not a descent direction: restart from steepest descent */
            for (size_t i = 0; i < n; i++) d[i] = -g[i];
            gd = -cblas_ddot((int)n, g, 1, g, 1);
            k = 0;
        }
        double step = 1.0, fn = fx;
        int ok = 0;
        for (int ls = 0; ls < 30; ls++) {
            for (size_t i = 0; i < n; i++) xn[i] = x[i] + step * d[i];
            fn = f(ctx, xn, gn);
            if (fn <= fx + 1e-4 * step * gd) {
                ok = 1;
                break;
            }
            step *= 0.5;
        }
        if (!ok) break;
        int c = k % HIST;
        double sy = 0;
        for (size_t i = 0; i < n; i++) {
            S[(size_t)c * n + i] = xn[i] - x[i];
            Y[(size_t)c * n + i] = gn[i] - g[i];
            sy += S[(size_t)c * n + i] * Y[(size_t)c * n + i];
        }
        double rel = (fx - fn) / fmax(1.0, fabs(fx));
        memcpy(x, xn, n * sizeof *x);
        memcpy(g, gn, n * sizeof *g);
        fx = fn;
        if (sy > 1e-12) {
            rho[c] = 1.0 / sy;
            k++;
        }
        if (rel < 1e-10) break;
    }
    free(gn);
    free(mem);
}

/* ---- logistic regression on the embedding Z [m, r] ---- */

typedef struct logit_ctx {
    const double *Z;    /* [m, r] column-major (ld m) */
    size_t m, r;
    const int *cls;     /* [m] */
    double lambda;
    double *L;          /* [m, 6] column-major scratch */
} logit_ctx;

/* x = [B (r x 6, column-major), c (6)]. Loss sum_a CE + lambda/2 |B|^2 + 1e-6/2 |c|^2. */
static double logit_obj(void *vctx, const double *x, double *grad)
{
    logit_ctx *c = vctx;
    const size_t m = c->m, r = c->r, K = DISTILL_CLASSES;
    const double *B = x, *bias = x + r * K;
    /* L = Z B : [m, r] x [r, 6] */
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)K, (int)r, 1.0, c->Z,
                (int)m, B, (int)r, 0.0, c->L, (int)m);
    double loss = 0, gb[DISTILL_CLASSES] = {0};
    for (size_t a = 0; a < m; a++) {
        double mx = -INFINITY, l[DISTILL_CLASSES];
        for (size_t k = 0; k < K; k++) {
            l[k] = c->L[k * m + a] + bias[k];
            mx = fmax(mx, l[k]);
        }
        double se = 0;
        for (size_t k = 0; k < K; k++) se += exp(l[k] - mx);
        double lse = mx + log(se);
        loss += lse - l[c->cls[a]];
        for (size_t k = 0; k < K; k++) {
            double g = exp(l[k] - lse) - (c->cls[a] == (int)k);
            c->L[k * m + a] = g;   /* L becomes G = P - Y */
            gb[k] += g;
        }
    }
    /* dB = Z^T G + lambda B : [r, m] x [m, 6] */
    memcpy(grad, B, r * K * sizeof *grad);
    cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, (int)r, (int)K, (int)m, 1.0, c->Z, (int)m,
                c->L, (int)m, c->lambda, grad, (int)r);
    double bb = cblas_ddot((int)(r * K), B, 1, B, 1), cc = 0;
    for (size_t k = 0; k < K; k++) {
        grad[r * K + k] = gb[k] + 1e-6 * bias[k];
        cc += bias[k] * bias[k];
    }
    return loss + 0.5 * c->lambda * bb + 0.5e-6 * cc;
}

/* ---- one fit on rows[0..m) with a given idf-weighted val ---- */

typedef struct dual {
    size_t m, r;        /* rows, kept eigenpairs (the largest r) */
    double *U;          /* [m, m] eigenvectors (ascending) */
    double *s;          /* [m] */
    double *Z;          /* [m, r] = U_r S_r^1/2 (only when logistic is wanted) */
    double *lx;         /* logistic parameters (warm start across lambdas) */
} dual;

static void dual_free(dual *d)
{
    free(d->U);
    free(d->s);
    free(d->Z);
    free(d->lx);
    memset(d, 0, sizeof *d);
}

/* Kc of rows[0..m) from the full kernel Kall [n, n], centred, eigendecomposed. */
static int dual_make(const double *Kall, size_t n, const size_t *rows, size_t m, dual *d,
                     blalm_err *e)
{
    memset(d, 0, sizeof *d);
    d->m = m;
    d->U = malloc(m * m * sizeof *d->U);
    d->s = malloc(m * sizeof *d->s);
    if (!d->U || !d->s) {
        dual_free(d);
        return err_set(e, "out of memory (kernel of %zu documents)", m);
    }
    for (size_t a = 0; a < m; a++)
        for (size_t b = 0; b < m; b++) d->U[a * m + b] = Kall[rows[a] * n + rows[b]];
    center(d->U, m);
    if (eig(d->U, m, d->s, e) < 0) {
        dual_free(d);
        return -1;
    }
    double smax = d->s[m - 1];
    size_t r = 0;
    while (r < m && d->s[m - 1 - r] > 1e-9 * smax && d->s[m - 1 - r] > 0) r++;
    d->r = r;
    return 0;
}

/* Coefficients C [m, outputs] (row a's weight in w_k = sum_a C[a,k] x_a) and
 * the intercept on centred inputs, for one candidate. */
static int dual_fit(dual *d, const double *y, const int *cls, distill_kind kind, double lambda,
                    double *C, double *b0, blalm_err *e)
{
    const size_t m = d->m, r = d->r, K = DISTILL_CLASSES;
    const double *Ur = d->U + (m - r) * m;   /* the r largest, ascending */
    const double *sr = d->s + (m - r);
    if (kind == DISTILL_RIDGE) {
        double ybar = 0;
        for (size_t a = 0; a < m; a++) ybar += y[a];
        ybar /= (double)m;
        double *yc = malloc(m * sizeof *yc), *t = malloc((r ? r : 1) * sizeof *t);
        if (!yc || !t) abort();
        for (size_t a = 0; a < m; a++) yc[a] = y[a] - ybar;
        /* t = U_r^T yc [r]; t /= (s + lambda); C = U_r t */
        cblas_dgemv(CblasColMajor, CblasTrans, (int)m, (int)r, 1.0, Ur, (int)m, yc, 1, 0.0, t, 1);
        for (size_t j = 0; j < r; j++) t[j] /= sr[j] + lambda;
        cblas_dgemv(CblasColMajor, CblasNoTrans, (int)m, (int)r, 1.0, Ur, (int)m, t, 1, 0.0, C, 1);
        b0[0] = ybar;
        free(yc);
        free(t);
        return 0;
    }
    if (!d->Z) {
        d->Z = malloc(m * (r ? r : 1) * sizeof *d->Z);
        d->lx = calloc(r * K + K, sizeof *d->lx);
        if (!d->Z || !d->lx) return err_set(e, "out of memory (embedding of %zu documents)", m);
        for (size_t j = 0; j < r; j++) {
            double q = sqrt(sr[j]);
            for (size_t a = 0; a < m; a++) d->Z[j * m + a] = Ur[j * m + a] * q;
        }
    }
    logit_ctx c = {d->Z, m, r, cls, lambda, malloc(m * K * sizeof(double))};
    if (!c.L) return err_set(e, "out of memory");
    lbfgs(logit_obj, &c, d->lx, r * K + K, 300);
    free(c.L);
    /* C = U_r S_r^-1/2 B : [m, r] x [r, 6] */
    double *Bs = malloc((r ? r : 1) * K * sizeof *Bs);
    if (!Bs) abort();
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < r; j++) Bs[k * r + j] = d->lx[k * r + j] / sqrt(sr[j]);
    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)K, (int)r, 1.0, Ur, (int)m,
                Bs, (int)r, 0.0, C, (int)m);
    free(Bs);
    for (size_t k = 0; k < K; k++) b0[k] = d->lx[r * K + k];
    return 0;
}

/* Dense weights w [outputs, D] from C, and bias so that f_k(x) = x w_k + bias_k. */
static void to_primal(const distill_examples *ex, const float *val, const size_t *rows, size_t m,
                      const double *C, const double *b0, int outputs, size_t D, float *w,
                      double *bias)
{
    double *acc = calloc(D, sizeof *acc);
    if (!acc) abort();
    for (int k = 0; k < outputs; k++) {
        memset(acc, 0, D * sizeof *acc);
        for (size_t a = 0; a < m; a++) {
            double ca = C[(size_t)k * m + a];
            size_t i = rows[a];
            for (uint64_t p = ex->row[i]; p < ex->row[i + 1]; p++) acc[ex->col[p]] += ca * val[p];
        }
        float *wk = w + (size_t)k * D;
        for (size_t j = 0; j < D; j++) wk[j] = (float)acc[j];
        /* mu w_k = mean over the rows of x_a w_k */
        double mw = 0;
        for (size_t a = 0; a < m; a++) mw += row_dot(ex, val, rows[a], wk);
        bias[k] = b0[k] - mw / (double)m;
    }
    free(acc);
}

static double output_of(const distill_examples *ex, const float *val, size_t i, const float *w,
                        const double *bias, int outputs, size_t D)
{
    if (outputs == 1) return row_dot(ex, val, i, w) + bias[0];
    double l[DISTILL_CLASSES], mx = -INFINITY;
    for (int k = 0; k < DISTILL_CLASSES; k++) {
        l[k] = row_dot(ex, val, i, w + (size_t)k * D) + bias[k];
        mx = fmax(mx, l[k]);
    }
    double se = 0, ev = 0;
    for (int k = 0; k < DISTILL_CLASSES; k++) {
        double p = exp(l[k] - mx);
        se += p;
        ev += k * p;
    }
    return ev / se;
}

/* ---- threshold ---- */

typedef struct scored { double p; int pos; } scored;

static int cmp_scored_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->p, y = ((const scored *)b)->p;
    return (x < y) - (x > y);
}

/* The threshold t maximising binary F1 of (pred >= t) vs (label >= 2.5: the label rounded half up >= 3). */
static double best_threshold(const double *pred, const double *label, size_t n, double *f1)
{
    scored *v = malloc(n * sizeof *v);
    if (!v) abort();
    size_t P = 0;
    for (size_t i = 0; i < n; i++) {
        v[i].p = pred[i];
        v[i].pos = label[i] >= 2.5;
        P += (size_t)v[i].pos;
    }
    qsort(v, n, sizeof *v, cmp_scored_desc);
    double best = 0, t = 2.5;
    size_t tp = 0;
    for (size_t j = 0; j < n; j++) {
        tp += (size_t)v[j].pos;
        if (j + 1 < n && v[j + 1].p == v[j].p) continue;   /* cut only between distinct scores */
        double f = 2.0 * (double)tp / (double)(j + 1 + P);
        if (f > best) {
            best = f;
            t = j + 1 < n ? 0.5 * (v[j].p + v[j + 1].p) : v[j].p - 1e-9;
        }
    }
    free(v);
    *f1 = best;
    return t;
}

/* ---- folds ---- */

uint64_t distill_splitmix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

typedef struct order_key { int cls; uint64_t h; size_t i; } order_key;

static int cmp_order(const void *a, const void *b)
{
    const order_key *x = a, *y = b;
    if (x->cls != y->cls) return x->cls - y->cls;
    if (x->h != y->h) return x->h < y->h ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* ---- training ---- */

int distill_better(double f1_a, double mae_a, double f1_b, double mae_b)
{
    return f1_a > f1_b + 1e-12 || (fabs(f1_a - f1_b) <= 1e-12 && mae_a < mae_b);
}

double distill_mae(const double *pred, const double *label, size_t n)
{
    double mae = 0;
    for (size_t i = 0; i < n; i++) mae += fabs(fmin(5, fmax(0, pred[i])) - label[i]);
    return mae / (double)n;
}

/* Better of two candidates: higher F1@3, then lower MAE. */
static int better(const distill_candidate *a, const distill_candidate *b)
{
    return distill_better(a->f1_at3, a->mae, b->f1_at3, b->mae);
}

/* With both kinds cross-validated (AUTO or ENSEMBLE): the candidate that
 * averages the best ridge's and the best logistic model's out-of-fold scores,
 * its threshold tuned the same way (no extra fit: the folds are the same). */
static void add_ensemble(distill_train_report *rep, double *pred, const double *label, size_t n,
                         distill_kind want)
{
    int br = -1, bl = -1;
    for (int c = 0; c < rep->n_cand; c++) {
        int *b = rep->cand[c].kind == DISTILL_RIDGE ? &br : &bl;
        if (*b < 0 || better(&rep->cand[c], &rep->cand[*b])) *b = c;
    }
    if (br < 0 || bl < 0) return;
    distill_candidate *cd = &rep->cand[rep->n_cand];
    double *p = pred + (size_t)rep->n_cand * n;
    for (size_t i = 0; i < n; i++) p[i] = 0.5 * (pred[(size_t)br * n + i] + pred[(size_t)bl * n + i]);
    cd->kind = DISTILL_ENSEMBLE;
    cd->lambda = rep->cand[br].lambda;
    cd->lambda2 = rep->cand[bl].lambda;
    cd->threshold = best_threshold(p, label, n, &cd->f1_at3);
    cd->mae = distill_mae(p, label, n);
    if (want == DISTILL_ENSEMBLE || better(cd, &rep->cand[rep->best])) rep->best = rep->n_cand;
    rep->n_cand++;
}

static void report_step(const distill_train_opts *o, const char *what, int step, int steps)
{
    if (o->progress) o->progress(o->progress_ctx, what, step, steps);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Stratified folds: within each class, a seeded shuffle dealt round-robin. */
static void make_folds(const distill_examples *ex, int folds, uint64_t seed, int *fold, order_key *ord)
{
    const size_t n = ex->n;
    for (size_t i = 0; i < n; i++) {
        ord[i].cls = label_class(ex->label[i]);
        ord[i].h = distill_splitmix(seed ^ distill_splitmix(ex->text_hash[i]));
        ord[i].i = i;
    }
    qsort(ord, n, sizeof *ord, cmp_order);
    for (size_t q = 0; q < n; q++) fold[ord[q].i] = (int)(q % (size_t)folds);
}

/* Thresholds and figures of every candidate from its out-of-fold
 * predictions, the best one (then the ensemble, if both kinds ran). */
static void choose(distill_train_report *rep, const double *pred, const double *label, size_t n,
                   distill_kind want)
{
    rep->best = 0;
    for (int c = 0; c < rep->n_cand; c++) {
        distill_candidate *cd = &rep->cand[c];
        const double *p = pred + (size_t)c * n;
        cd->threshold = best_threshold(p, label, n, &cd->f1_at3);
        cd->mae = distill_mae(p, label, n);
        if (better(cd, &rep->cand[rep->best])) rep->best = c;
    }
    add_ensemble(rep, (double *)pred, label, n, want);
}

/* The attribute features' standardisation, from every training document
 * (labels unused, like the IDF). */
typedef struct attr_spec {
    uint32_t n;
    char *const *names;   /* borrowed from the examples */
    double *mu, *sd;
    uint8_t *logt;
} attr_spec;

static void attr_spec_free(attr_spec *a)
{
    free(a->mu);
    free(a->sd);
    free(a->logt);
    memset(a, 0, sizeof *a);
}

/* The model of the chosen candidate; takes idf and w on success. */
static distill_model *make_model(const distill_examples *ex, const distill_train_opts *o,
                                 const distill_candidate *best, float *idf, float *w,
                                 const double *bias, const attr_spec *as, blalm_err *e)
{
    const size_t n = ex->n, D = distill_hashed_dim(&o->feat) + as->n;
    distill_model *M = calloc(1, sizeof *M);
    if (!M) return err_set(e, "out of memory"), NULL;
    uint32_t na = as->n;
    M->attr_names = calloc(na ? na : 1, sizeof *M->attr_names);
    M->attr_mu = malloc((na ? na : 1) * sizeof *M->attr_mu);
    M->attr_sd = malloc((na ? na : 1) * sizeof *M->attr_sd);
    M->attr_log = malloc(na ? na : 1);
    if (!M->attr_names || !M->attr_mu || !M->attr_sd || !M->attr_log) {
        distill_model_free(M);
        return err_set(e, "out of memory"), NULL;
    }
    for (uint32_t k = 0; k < na; k++) {
        M->attr_names[k] = strdup(as->names[k]);
        if (!M->attr_names[k]) {
            distill_model_free(M);
            return err_set(e, "out of memory"), NULL;
        }
        M->n_attr = k + 1;
        M->attr_mu[k] = as->mu[k];
        M->attr_sd[k] = as->sd[k];
        M->attr_log[k] = as->logt[k];
    }
    M->feat = o->feat;
    M->kind = best->kind;
    M->outputs = best->kind == DISTILL_RIDGE ? 1 : best->kind == DISTILL_LOGISTIC ? DISTILL_CLASSES
                                                                          : DISTILL_MAX_OUTPUTS;
    M->lambda2 = best->lambda2;
    M->folds = (uint32_t)o->folds;
    M->seed = o->seed;
    M->n_train = n;
    M->cv_docs = n;
    M->lambda = best->lambda;
    M->threshold = best->threshold;
    M->offset = 2.5 - best->threshold;
    M->cv_f1 = best->f1_at3;
    M->cv_mae = best->mae;
    memcpy(M->bias, bias, M->outputs * sizeof *bias);
    float *wk = malloc(D * M->outputs * sizeof *M->w);
    M->seen = malloc((n ? n : 1) * sizeof *M->seen);
    if (!wk || !M->seen) {
        free(wk);
        distill_model_free(M);
        return err_set(e, "out of memory"), NULL;
    }
    memcpy(wk, w, D * M->outputs * sizeof *wk);
    free(w);
    M->idf = idf;
    M->w = wk;
    memcpy(M->seen, ex->text_hash, n * sizeof *M->seen);
    qsort(M->seen, n, sizeof *M->seen, cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || M->seen[u - 1] != M->seen[i]) M->seen[u++] = M->seen[i];
    M->n_seen = u;
    return M;
}

/* With word vectors: the blend with the word-vector part, cross-validated on
 * the same folds (lin_oof: the chosen candidate's out-of-fold scores). */
static int add_emb(const distill_examples *ex, const distill_train_opts *o, const int *fold,
                   const double *lin_oof, distill_model *M, distill_train_report *rep, blalm_err *e)
{
    if (!ex->emb_dim || !o->vectors) return 0;
    if (ex->emb_dim != distill_vectors_dim(o->vectors))
        return err_set(e, "internal: examples with %u-long word vectors, the vectors have %u", ex->emb_dim,
                       distill_vectors_dim(o->vectors));
    report_step(o, "word-vector part", o->folds + 1, o->folds + 1);
    if (!(M->vec = distill_vectors_copy(o->vectors, e))) return -1;
    return distill_emb_fit(ex, o, fold, lin_oof, M, &rep->emb, e);
}

/* ---- the primal: every document, when there are more than max_dual ----
 *
 * Ridge with an unpenalised intercept over the hashed features, solved as
 * (Xc^T Xc + lambda I) w = Xc^T (y - ybar), Xc = X - 1 mu^T [m, D], by
 * conjugate gradients with a Jacobi preconditioner; Xc is never formed:
 *   Xc^T Xc v = X^T u - mu (1^T u),  u = X v - (mu . v) 1  [m].
 * Every sum runs in a fixed order on one thread, so the bytes are the same
 * for the same data and seed. Memory: the examples plus a few [D] vectors. */

typedef struct primal {
    const distill_examples *ex;
    const float *val;
    const size_t *rows;
    size_t m, D;
    double *mu;     /* [D] column mean of the rows */
    double *diag;   /* [D] diag(Xc^T Xc) */
    double *u;      /* [m] scratch */
} primal;

/* out [D] = (Xc^T Xc + lambda I) v */
static void primal_matvec(const primal *P, const double *v, double lambda, double *out)
{
    const distill_examples *ex = P->ex;
    double muv = 0, su = 0;
    for (size_t j = 0; j < P->D; j++) muv += P->mu[j] * v[j];
    for (size_t a = 0; a < P->m; a++) {
        size_t i = P->rows[a];
        double s = 0;
        for (uint64_t p = ex->row[i]; p < ex->row[i + 1]; p++) s += (double)P->val[p] * v[ex->col[p]];
        P->u[a] = s - muv;
        su += P->u[a];
    }
    for (size_t j = 0; j < P->D; j++) out[j] = lambda * v[j] - P->mu[j] * su;
    for (size_t a = 0; a < P->m; a++) {
        size_t i = P->rows[a];
        double ua = P->u[a];
        for (uint64_t p = ex->row[i]; p < ex->row[i + 1]; p++) out[ex->col[p]] += (double)P->val[p] * ua;
    }
}

/* mu, diag and the right-hand side b = Xc^T (y - ybar) [D]; returns ybar. */
static double primal_setup(primal *P, const double *label, double *b)
{
    const distill_examples *ex = P->ex;
    const size_t D = P->D, m = P->m;
    memset(P->mu, 0, D * sizeof *P->mu);
    memset(P->diag, 0, D * sizeof *P->diag);
    memset(b, 0, D * sizeof *b);
    double ybar = 0;
    for (size_t a = 0; a < m; a++) ybar += label[P->rows[a]];
    ybar /= (double)m;
    for (size_t a = 0; a < m; a++) {
        size_t i = P->rows[a];
        double yc = label[i] - ybar;
        for (uint64_t p = ex->row[i]; p < ex->row[i + 1]; p++) {
            double x = P->val[p];
            P->mu[ex->col[p]] += x;
            P->diag[ex->col[p]] += x * x;
            b[ex->col[p]] += x * yc;   /* X^T yc; mu (1^T yc) = 0 */
        }
    }
    for (size_t j = 0; j < D; j++) {
        P->mu[j] /= (double)m;
        P->diag[j] -= (double)m * P->mu[j] * P->mu[j];
        if (P->diag[j] < 0) P->diag[j] = 0;
    }
    return ybar;
}

/* Preconditioned CG from the warm start w [D]; scratch [4 D]. Stops at
 * |r| <= tol |b| or max_iter steps; returns the steps taken. */
static int primal_cg(const primal *P, const double *b, double lambda, double *w, double *scratch)
{
    const size_t D = P->D;
    const double tol = 1e-5;
    const int max_iter = 400;
    double *r = scratch, *z = r + D, *d = z + D, *q = d + D;
    primal_matvec(P, w, lambda, q);
    double bb = 0, rz = 0, rr = 0;
    for (size_t j = 0; j < D; j++) {
        r[j] = b[j] - q[j];
        z[j] = r[j] / (P->diag[j] + lambda);
        d[j] = z[j];
        bb += b[j] * b[j];
        rz += r[j] * z[j];
        rr += r[j] * r[j];
    }
    int it = 0;
    while (it < max_iter && rr > tol * tol * bb && rz > 0) {
        primal_matvec(P, d, lambda, q);
        double dq = 0;
        for (size_t j = 0; j < D; j++) dq += d[j] * q[j];
        if (!(dq > 0)) break;
        double alpha = rz / dq, rzn = 0;
        rr = 0;
        for (size_t j = 0; j < D; j++) {
            w[j] += alpha * d[j];
            r[j] -= alpha * q[j];
            z[j] = r[j] / (P->diag[j] + lambda);
            rzn += r[j] * z[j];
            rr += r[j] * r[j];
        }
        double beta = rzn / rz;
        rz = rzn;
        for (size_t j = 0; j < D; j++) d[j] = z[j] + beta * d[j];
        it++;
    }
    return it;
}

/* Weights w [D] (float) and the bias ybar - mu . w. */
static double primal_weights(const primal *P, const double *wd, double ybar, float *w)
{
    double mw = 0;
    for (size_t j = 0; j < P->D; j++) {
        w[j] = (float)wd[j];
        mw += P->mu[j] * (double)w[j];
    }
    return ybar - mw;
}

static distill_model *train_primal(const distill_examples *ex, const distill_train_opts *o,
                                   const attr_spec *as, distill_train_report *rep, blalm_err *e)
{
    const size_t n = ex->n, H = distill_hashed_dim(&o->feat), D = H + as->n;
    const int folds = o->folds;
    if (o->kind == DISTILL_LOGISTIC || o->kind == DISTILL_ENSEMBLE)
        return err_set(e, "%zu labelled documents, more than --max-docs %zu: beyond it only ridge is "
                          "fitted (in the primal); give --model-type ridge or auto, or a larger --max-docs",
                       n, o->max_dual ? o->max_dual : (size_t)3000), NULL;
    rep->docs = rep->cv_docs = n;
    const double *g = o->lambdas ? o->lambdas : ridge_grid;
    int ng = o->lambdas ? o->n_lambdas : (int)(sizeof ridge_grid / sizeof *ridge_grid);
    if (ng > 64) ng = 64;
    /* strongest regularisation first: each solve warm-starts the next */
    int *gi = malloc((size_t)ng * sizeof *gi);
    order_key *ord = malloc(n * sizeof *ord);
    int *fold = malloc(n * sizeof *fold);
    size_t *rows = malloc(n * sizeof *rows);
    double *pred = calloc((size_t)(ng + 1) * n, sizeof *pred);
    float *idf = NULL, *val = malloc((ex->nnz ? ex->nnz : 1) * sizeof *val), *w = malloc(D * sizeof *w);
    double *work = malloc(D * 8 * sizeof *work), *u = malloc(n * sizeof *u);
    distill_model *M = NULL;
    if (!gi || !ord || !fold || !rows || !pred || !val || !w || !work || !u) {
        err_set(e, "out of memory (%zu documents in the primal)", n);
        goto out;
    }
    for (int j = 0; j < ng; j++) gi[j] = j;
    for (int j = 1; j < ng; j++)   /* descending lambda (insertion sort: stable) */
        for (int q = j; q > 0 && g[gi[q]] > g[gi[q - 1]]; q--) {
            int t = gi[q];
            gi[q] = gi[q - 1];
            gi[q - 1] = t;
        }
    for (int j = 0; j < ng; j++) {
        rep->cand[j].kind = DISTILL_RIDGE;
        rep->cand[j].lambda = g[gi[j]];
    }
    rep->n_cand = ng;
    make_folds(ex, folds, o->seed, fold, ord);
    for (size_t i = 0; i < n; i++) rows[i] = i;
    idf = idf_of(ex, rows, n, H);
    if (!idf) {
        err_set(e, "out of memory");
        goto out;
    }
    weigh(ex, idf, &o->feat, as->n, val);
    double *mu = work, *diag = work + D, *b = work + 2 * D, *wd = work + 3 * D, *cg = work + 4 * D;
    primal P = {ex, val, rows, 0, D, mu, diag, u};
    double t0 = now_seconds(), bias = 0;
    for (int f = 0; f <= folds; f++) {
        int final = f == folds;
        if (final) {
            rep->seconds_cv = now_seconds() - t0;
            t0 = now_seconds();
            choose(rep, pred, ex->label, n, DISTILL_RIDGE);
        }
        report_step(o, final ? "final fit" : "cross-validation fold", f + 1, folds + 1);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (final || fold[i] != f) rows[m++] = i;
        P.m = m;
        double ybar = primal_setup(&P, ex->label, b);
        memset(wd, 0, D * sizeof *wd);
        for (int c = 0; c < rep->n_cand; c++) {
            if (final && c != rep->best) continue;
            rep->cg_steps += (uint64_t)primal_cg(&P, b, rep->cand[c].lambda, wd, cg);
            bias = primal_weights(&P, wd, ybar, w);
            if (final) break;
            for (size_t i = 0; i < n; i++)
                if (fold[i] == f) pred[(size_t)c * n + i] = row_dot(ex, val, i, w) + bias;
        }
    }
    M = make_model(ex, o, &rep->cand[rep->best], idf, w, &bias, as, e);
    if (M) {
        idf = NULL;
        w = NULL;
        M->cv_docs = n;
        if (add_emb(ex, o, fold, pred + (size_t)rep->best * n, M, rep, e) < 0) {
            distill_model_free(M);
            M = NULL;
        } else {
            distill_model_seal(M);
        }
    }
    rep->seconds_fit = now_seconds() - t0;
out:
    free(gi); free(ord); free(fold); free(rows); free(pred);
    free(idf); free(val); free(w); free(work); free(u);
    return M;
}

static distill_model *train_on(const distill_examples *ex, const distill_train_opts *o,
                               const attr_spec *as, distill_train_report *rep, blalm_err *e)
{
    const size_t n = ex->n, H = distill_hashed_dim(&o->feat), D = H + as->n;
    const int folds = o->folds;
    if (folds < 2) return err_set(e, "need at least 2 folds, not %d", folds), NULL;
    if (n < (size_t)folds * 2)
        return err_set(e, "%zu labelled documents: too few for %d-fold cross-validation", n, folds), NULL;
    int hist[DISTILL_CLASSES] = {0}, classes = 0;
    for (size_t i = 0; i < n; i++) hist[label_class(ex->label[i])]++;
    for (int k = 0; k < DISTILL_CLASSES; k++) classes += hist[k] > 0;
    if (classes < 2) {
        int only = 0;
        for (int k = 0; k < DISTILL_CLASSES; k++)
            if (hist[k]) only = k;
        return err_set(e, "all %zu labelled documents have label %d: a single class, nothing to learn",
                       n, only), NULL;
    }
    /* the model, its kind and the threshold are chosen by F1 at 3 (rounded
     * label >= 3): with every label on one side there is nothing to choose
     * by, and the threshold would shift every score (up to 2.5) */
    size_t high = (size_t)hist[3] + (size_t)hist[4] + (size_t)hist[5];
    if (high == 0 || high == n)
        return err_set(e, "all %zu labelled documents have a label %s (rounded): one side of the cut at 3, "
                       "by which the model and its threshold are chosen; label documents on both sides",
                       n, high ? ">= 3" : "< 3"), NULL;
    size_t max_dual = o->max_dual ? o->max_dual : 3000;
    if (n > max_dual) return train_primal(ex, o, as, rep, e);
    rep->docs = rep->cv_docs = n;

    order_key *ord = malloc(n * sizeof *ord);
    int *fold = malloc(n * sizeof *fold);
    size_t *rows = malloc(n * sizeof *rows);
    double *pred = NULL;
    distill_model *M = NULL;
    if (!ord || !fold || !rows) goto oom;
    make_folds(ex, folds, o->seed, fold, ord);

    /* Candidates. */
    distill_kind kinds[2];
    int nk = 0;
    int both = o->kind == DISTILL_AUTO || o->kind == DISTILL_ENSEMBLE;
    if (both || o->kind == DISTILL_RIDGE) kinds[nk++] = DISTILL_RIDGE;
    if (both || o->kind == DISTILL_LOGISTIC) kinds[nk++] = DISTILL_LOGISTIC;
    for (int k = 0; k < nk; k++) {
        const double *g = o->lambdas ? o->lambdas : kinds[k] == DISTILL_RIDGE ? ridge_grid : logistic_grid;
        int ng = o->lambdas ? o->n_lambdas
                            : kinds[k] == DISTILL_RIDGE ? (int)(sizeof ridge_grid / sizeof *ridge_grid)
                                                        : (int)(sizeof logistic_grid / sizeof *logistic_grid);
        /* logistic warm-starts from strong to weak regularisation */
        for (int j = 0; j < ng && rep->n_cand < 64; j++) {
            int jj = kinds[k] == DISTILL_LOGISTIC ? ng - 1 - j : j;
            rep->cand[rep->n_cand].kind = kinds[k];
            rep->cand[rep->n_cand].lambda = g[jj];
            rep->n_cand++;
        }
    }
    pred = calloc((size_t)(rep->n_cand + 1) * n, sizeof *pred);
    if (!pred) goto oom;
    double M_bias_tmp[DISTILL_MAX_OUTPUTS] = {0};

    /* IDF from every training document (labels unused), so the kernel of all
     * documents is computed once and each fold takes its block. */
    double t0 = now_seconds();
    float *idf = NULL, *val = NULL, *w = NULL;
    double *Kall = NULL, *buf = NULL, *y = NULL, *C = NULL;
    int *cls = NULL;
    for (size_t i = 0; i < n; i++) rows[i] = i;
    idf = idf_of(ex, rows, n, H);
    val = malloc((ex->nnz ? ex->nnz : 1) * sizeof *val);
    w = malloc(D * DISTILL_MAX_OUTPUTS * sizeof *w);
    Kall = malloc(n * n * sizeof *Kall);
    buf = calloc(D, sizeof *buf);
    y = malloc(n * sizeof *y);
    C = malloc(n * DISTILL_CLASSES * sizeof *C);
    cls = malloc(n * sizeof *cls);
    if (!idf || !val || !w || !Kall || !buf || !y || !C || !cls) {
        err_set(e, "out of memory (kernel of %zu documents: %zu MB)", n, n * n * 8 >> 20);
        goto fail_work;
    }
    weigh(ex, idf, &o->feat, as->n, val);
    report_step(o, "kernel", 0, folds + 1);
    kernel(ex, val, rows, n, buf, Kall);
    free(buf);
    buf = NULL;
    for (int f = 0; f <= folds; f++) {
        /* folds 0..k-1: cross-validation; fold k: the final fit on everything */
        int final = f == folds;
        if (final) {
            rep->seconds_cv = now_seconds() - t0;
            t0 = now_seconds();
            choose(rep, pred, ex->label, n, o->kind);
        }
        report_step(o, final ? "final fit" : "cross-validation fold", f + 1, folds + 1);
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (final || fold[i] != f) rows[m++] = i;
        for (size_t a = 0; a < m; a++) {
            y[a] = ex->label[rows[a]];
            cls[a] = label_class(y[a]);
        }
        dual d;
        if (dual_make(Kall, n, rows, m, &d, e) < 0) goto fail_work;
        if (final) {
            const distill_candidate *bc = &rep->cand[rep->best];
            int parts = bc->kind == DISTILL_ENSEMBLE ? 2 : 1;
            size_t off = 0;
            for (int q = 0; q < parts; q++) {
                distill_kind kind = parts == 2 ? (q == 0 ? DISTILL_RIDGE : DISTILL_LOGISTIC) : bc->kind;
                int outs = kind == DISTILL_RIDGE ? 1 : DISTILL_CLASSES;
                double b0[DISTILL_CLASSES];
                if (dual_fit(&d, y, cls, kind, q == 0 ? bc->lambda : bc->lambda2, C, b0, e) < 0) {
                    dual_free(&d);
                    goto fail_work;
                }
                to_primal(ex, val, rows, m, C, b0, outs, D, w + off * D, M_bias_tmp + off);
                off += (size_t)outs;
            }
            dual_free(&d);
            break;
        }
        for (int c = 0; c < rep->n_cand; c++) {
            double b0[DISTILL_CLASSES], bias[DISTILL_CLASSES];
            distill_kind kind = rep->cand[c].kind;
            int outs = kind == DISTILL_RIDGE ? 1 : DISTILL_CLASSES;
            if (dual_fit(&d, y, cls, kind, rep->cand[c].lambda, C, b0, e) < 0) {
                dual_free(&d);
                goto fail_work;
            }
            to_primal(ex, val, rows, m, C, b0, outs, D, w, bias);
            for (size_t i = 0; i < n; i++)
                if (fold[i] == f) pred[(size_t)c * n + i] = output_of(ex, val, i, w, bias, outs, D);
        }
        dual_free(&d);
    }

    M = make_model(ex, o, &rep->cand[rep->best], idf, w, M_bias_tmp, as, e);
    if (!M) goto fail_work;
    idf = NULL;
    w = NULL;
    if (add_emb(ex, o, fold, pred + (size_t)rep->best * n, M, rep, e) < 0) goto fail_work;
    distill_model_seal(M);
    rep->seconds_fit = now_seconds() - t0;
    free(val); free(Kall); free(y); free(C); free(cls);
    free(ord); free(fold); free(rows); free(pred);
    return M;
fail_work:
    free(idf); free(val); free(w); free(Kall); free(buf); free(y); free(C); free(cls);
    goto fail;
oom:
    err_set(e, "out of memory");
fail:
    distill_model_free(M);
    free(ord);
    free(fold);
    free(rows);
    free(pred);
    return NULL;
}

/* Standardisation of the attribute features over every training document:
 * a feature whose values are all >= 0 with a maximum above 20 (counts,
 * lengths) is taken as log(1 + v) first; missing values (NaN) are left out
 * of the mean and sd and become 0 (the mean) after standardising. */
static int attr_spec_make(const distill_examples *ex, attr_spec *as, blalm_err *e)
{
    const uint32_t na = ex->n_attr;
    memset(as, 0, sizeof *as);
    as->n = na;
    as->names = ex->attr_names;
    as->mu = calloc(na ? na : 1, sizeof *as->mu);
    as->sd = calloc(na ? na : 1, sizeof *as->sd);
    as->logt = calloc(na ? na : 1, 1);
    if (!as->mu || !as->sd || !as->logt) {
        attr_spec_free(as);
        return err_set(e, "out of memory");
    }
    for (uint32_t k = 0; k < na; k++) {
        double lo = INFINITY, hi = -INFINITY;
        for (size_t i = 0; i < ex->n; i++) {
            double v = ex->attr[i * na + k];
            if (!isfinite(v)) continue;
            lo = fmin(lo, v);
            hi = fmax(hi, v);
        }
        as->logt[k] = lo >= 0 && hi > 20;
        double s = 0, ss = 0;
        size_t c = 0;
        for (size_t i = 0; i < ex->n; i++) {
            double v = ex->attr[i * na + k];
            if (!isfinite(v)) continue;
            if (as->logt[k]) v = log1p(v);
            s += v;
            c++;
        }
        double mu = c ? s / (double)c : 0.0;
        for (size_t i = 0; i < ex->n; i++) {
            double v = ex->attr[i * na + k];
            if (!isfinite(v)) continue;
            if (as->logt[k]) v = log1p(v);
            ss += (v - mu) * (v - mu);
        }
        as->mu[k] = mu;
        as->sd[k] = c > 1 ? sqrt(ss / (double)c) : 0.0;
        if (!(as->sd[k] > 1e-12)) as->sd[k] = 0.0;   /* constant: contributes nothing */
    }
    return 0;
}

/* z of one raw value under the spec (as distill_attr_z does for a model). */
static double spec_z(const attr_spec *as, uint32_t k, double raw)
{
    if (!isfinite(raw) || !(as->sd[k] > 0)) return 0.0;
    double v = as->logt[k] ? log1p(fmax(raw, 0.0)) : raw;
    double z = (v - as->mu[k]) / as->sd[k];
    return z > 5 ? 5 : z < -5 ? -5 : z;
}

/* The examples with the standardised attributes as extra columns H + k. */
static int augment(const distill_examples *ex, const attr_spec *as, size_t H, distill_examples *aug,
                   blalm_err *e)
{
    const uint32_t na = as->n;
    memset(aug, 0, sizeof *aug);
    aug->n = ex->n;
    aug->nnz = ex->nnz + ex->n * na;
    aug->row = malloc((ex->n + 1) * sizeof *aug->row);
    aug->col = malloc((aug->nnz ? aug->nnz : 1) * sizeof *aug->col);
    aug->cnt = malloc((aug->nnz ? aug->nnz : 1) * sizeof *aug->cnt);
    if (!aug->row || !aug->col || !aug->cnt) {
        free(aug->row);
        free(aug->col);
        free(aug->cnt);
        return err_set(e, "out of memory");
    }
    aug->label = ex->label;           /* borrowed */
    aug->text_hash = ex->text_hash;   /* borrowed */
    aug->emb = ex->emb;               /* borrowed */
    aug->emb_dim = ex->emb_dim;
    uint64_t q = 0;
    aug->row[0] = 0;
    for (size_t i = 0; i < ex->n; i++) {
        for (uint64_t p = ex->row[i]; p < ex->row[i + 1]; p++) {
            aug->col[q] = ex->col[p];
            aug->cnt[q++] = ex->cnt[p];
        }
        for (uint32_t k = 0; k < na; k++) {
            double z = spec_z(as, k, ex->attr[i * na + k]);
            if (z == 0) continue;
            aug->col[q] = (uint32_t)(H + k);
            aug->cnt[q++] = (float)z;
        }
        aug->row[i + 1] = q;
    }
    aug->nnz = q;
    return 0;
}

static distill_model *train(const distill_examples *ex, const distill_train_opts *o,
                            distill_train_report *rep, blalm_err *e)
{
    memset(rep, 0, sizeof *rep);
    if (distill_features_check(&o->feat, e) < 0) return NULL;
    if (ex->n_attr > DISTILL_MAX_ATTRS)
        return err_set(e, "%u attribute features, at most %d", ex->n_attr, DISTILL_MAX_ATTRS), NULL;
    attr_spec as;
    if (attr_spec_make(ex, &as, e) < 0) return NULL;
    if (as.n == 0) {
        distill_model *M = train_on(ex, o, &as, rep, e);
        attr_spec_free(&as);
        return M;
    }
    distill_examples aug;
    if (augment(ex, &as, distill_hashed_dim(&o->feat), &aug, e) < 0) {
        attr_spec_free(&as);
        return NULL;
    }
    distill_model *M = train_on(&aug, o, &as, rep, e);
    free(aug.row);
    free(aug.col);
    free(aug.cnt);
    attr_spec_free(&as);
    return M;
}

/* OpenBLAS splits dgemm, dsyrk and the eigensolver's updates across its
 * threads, and how a sum is split changes its rounding: a model's bytes
 * depended on OPENBLAS_NUM_THREADS. Training runs them on one thread, so
 * the same data and seed give the same bytes (see lib/blas.h). */
distill_model *distill_train(const distill_examples *ex, const distill_train_opts *o,
                             distill_train_report *rep, blalm_err *e)
{
    int nt = blas_serial_begin(1);
    distill_model *M = train(ex, o, rep, e);
    blas_serial_end(nt);
    return M;
}

double distill_best_threshold(const double *pred, const double *label, size_t n, double *f1)
{
    return best_threshold(pred, label, n, f1);
}
