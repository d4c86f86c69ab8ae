/* eval_aoa.c - the age-of-acquisition (AoA) statistics of `blalm eval`,
 * as the official pipeline computes them (babylm/evaluation-pipeline-2025,
 * evaluation_pipeline/utils.py AoAEvaluator, after Chang & Bergen 2022):
 *
 *   f(x) = a / (1 + exp(-b (x - c))) + d, fitted by least squares;
 *   child AoA: f over the CDI ages (16..30 months) of the proportion of
 *     children producing the word, box bounds a in [0, 2], b in [0, 1],
 *     c in [first age, last age], d in [-0.5, 0.5]; AoA = the age where
 *     f = 0.5, kept only inside the ages;
 *   model AoA: f over x = log10(words seen + 1) of -surprisal (no bounds);
 *     threshold = log2(300000) - 0.5 (log2(300000) - min surprisal) (the
 *     official code mixes log2 here with natural-log surprisals; kept as is);
 *     AoA = the x where f = -threshold, kept only when 10^x - 1 lies between
 *     the first and last words-seen values;
 *   curve fitness = Pearson's r between model and child AoAs over the words
 *     with both (0 when fewer than 3), with its two-sided p-value.
 *
 * scipy's curve_fit runs MINPACK's Levenberg-Marquardt (unbounded) or a
 * trust-region-reflective method (bounded), each to relative tolerances of
 * about 1e-8. Here one Levenberg-Marquardt with the exact Jacobian (and, with
 * bounds, the variables at a bound that the gradient pushes outwards held
 * fixed) converges to the same minimiser, to relative 1e-14; the AoAs then
 * differ from scipy's by scipy's own stopping error (measured: up to 1.6e-6
 * for model AoAs, 6.7e-6 months for child AoAs; tests/oracle/eval_aoa.sh
 * allows 1e-5, and 1e-6 on r and p). A fit
 * that scipy abandons (1000 evaluations without converging) is abandoned
 * here after 1000 evaluations of this method, which need not be the same
 * words on pathological curves. Pure functions: no I/O. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/eval.h"

double eval_sigmoid(double x, const double p[4])
{
    return p[0] / (1.0 + exp(-p[1] * (x - p[2]))) + p[3];
}

/* 0.5 * sum of squared residuals; NaN/inf propagate (a rejected step) */
static double half_sse(const double *x, const double *y, int n, const double p[4])
{
    double s = 0;
    for (int i = 0; i < n; i++) {
        double r = eval_sigmoid(x[i], p) - y[i];
        s += r * r;
    }
    return 0.5 * s;
}

/* J^T J [4x4] and J^T r [4] with the exact derivatives of f. */
static void normal_eqs(const double *x, const double *y, int n, const double p[4], double A[4][4],
                       double g[4])
{
    memset(A, 0, 16 * sizeof(double));
    memset(g, 0, 4 * sizeof(double));
    for (int i = 0; i < n; i++) {
        double e = exp(-p[1] * (x[i] - p[2])), s = 1.0 / (1.0 + e), ds = s * (1.0 - s);
        if (!isfinite(e)) s = 0, ds = 0;
        double J[4] = {s, p[0] * ds * (x[i] - p[2]), -p[0] * ds * p[1], 1.0};
        double r = p[0] * s + p[3] - y[i];
        for (int a = 0; a < 4; a++) {
            g[a] += J[a] * r;
            for (int b = 0; b < 4; b++) A[a][b] += J[a] * J[b];
        }
    }
}

/* Solves M z = rhs for the variables in free[] (Gaussian elimination with
 * partial pivoting); -1 when singular. */
static int solve_free(double M[4][4], const double rhs[4], const int free_[4], double z[4])
{
    int idx[4], k = 0;
    for (int i = 0; i < 4; i++)
        if (free_[i]) idx[k++] = i;
    double a[4][5];
    for (int r = 0; r < k; r++) {
        for (int c = 0; c < k; c++) a[r][c] = M[idx[r]][idx[c]];
        a[r][k] = rhs[idx[r]];
    }
    for (int c = 0; c < k; c++) {
        int piv = c;
        for (int r = c + 1; r < k; r++)
            if (fabs(a[r][c]) > fabs(a[piv][c])) piv = r;
        if (!(fabs(a[piv][c]) > 0)) return -1;
        for (int j = 0; j <= k; j++) {
            double t = a[c][j];
            a[c][j] = a[piv][j], a[piv][j] = t;
        }
        for (int r = c + 1; r < k; r++) {
            double f = a[r][c] / a[c][c];
            for (int j = c; j <= k; j++) a[r][j] -= f * a[c][j];
        }
    }
    double sol[4];
    for (int r = k - 1; r >= 0; r--) {
        double s = a[r][k];
        for (int j = r + 1; j < k; j++) s -= a[r][j] * sol[j];
        sol[r] = s / a[r][r];
    }
    memset(z, 0, 4 * sizeof(double));
    for (int r = 0; r < k; r++) z[idx[r]] = sol[r];
    return 0;
}

int eval_sigmoid_fit(const double *x, const double *y, int n, double p[4], const double *lo,
                     const double *hi, int max_nfev)
{
    if (n < 1) return -1;
    for (int j = 0; j < 4; j++)
        if (!isfinite(p[j]) || (lo && (p[j] < lo[j] || p[j] > hi[j]))) return -1;
    double cost = half_sse(x, y, n, p), mu = 1e-3;
    int nfev = 1;
    if (!isfinite(cost)) return -1;
    for (;;) {
        double A[4][4], g[4];
        normal_eqs(x, y, n, p, A, g);
        int free_[4] = {1, 1, 1, 1}, nfree = 0;
        if (lo)
            for (int j = 0; j < 4; j++) /* held at a bound the descent direction leaves */
                if ((p[j] <= lo[j] && g[j] > 0) || (p[j] >= hi[j] && g[j] < 0)) free_[j] = 0;
        double gmax = 0;
        for (int j = 0; j < 4; j++)
            if (free_[j]) nfree++, gmax = fmax(gmax, fabs(g[j]));
        if (!nfree || gmax == 0) return 0; /* a stationary point (or a corner) */
        int accepted = 0;
        while (!accepted) {
            if (nfev >= max_nfev) return -1;
            double M[4][4], rhs[4], z[4], q[4];
            for (int a = 0; a < 4; a++) {
                for (int b = 0; b < 4; b++) M[a][b] = A[a][b];
                /* Marquardt's scaling, floored so that a flat direction still moves */
                M[a][a] += mu * fmax(A[a][a], 1e-12);
                rhs[a] = -g[a];
            }
            if (solve_free(M, rhs, free_, z) < 0) {
                mu *= 10;
                if (mu > 1e30) return -1;
                continue;
            }
            double step = 0, size = 0;
            for (int j = 0; j < 4; j++) {
                q[j] = p[j] + z[j];
                if (lo) q[j] = q[j] < lo[j] ? lo[j] : q[j] > hi[j] ? hi[j] : q[j];
                step += (q[j] - p[j]) * (q[j] - p[j]);
                size += p[j] * p[j];
            }
            double nc = half_sse(x, y, n, q);
            nfev++;
            if (isfinite(nc) && nc < cost) {
                double drop = cost - nc;
                memcpy(p, q, 4 * sizeof(double));
                cost = nc;
                mu = fmax(mu / 3, 1e-15);
                accepted = 1;
                if (drop <= 1e-14 * cost || sqrt(step) <= 1e-14 * (sqrt(size) + 1e-14) || cost == 0)
                    return 0;
            } else {
                mu *= 2;
                /* no step of any size lowers the cost: converged to rounding */
                if (sqrt(step) <= 1e-15 * (sqrt(size) + 1e-15) || mu > 1e30) return 0;
            }
        }
    }
}

double eval_child_aoa(const double *ages, const double *props, int n)
{
    double x[64], y[64];
    int m = 0;
    for (int i = 0; i < n && m < 64; i++)
        if (!isnan(props[i])) x[m] = ages[i], y[m++] = props[i];
    if (m < 3) return NAN;
    double mean = 0;
    for (int i = 0; i < m; i++) mean += x[i];
    mean /= m;
    double p[4] = {1.0, 0.1, mean, 0.0};
    double lo[4] = {0, 0, x[0], -0.5}, hi[4] = {2.0, 1.0, x[m - 1], 0.5};
    if (eval_sigmoid_fit(x, y, m, p, lo, hi, 1000) < 0) return NAN;
    double a = p[0], b = p[1], c = p[2], d = p[3], t = 0.5;
    if (b <= 0 || a <= 0) return NAN;
    if (t <= d || t >= a + d) return NAN;
    double aoa = c - log(a / (t - d) - 1) / b;
    if (aoa < x[0] || aoa > x[m - 1]) return NAN;
    return aoa;
}

double eval_model_aoa(const double *steps, const double *surprisal, int n)
{
    if (n < 3) return NAN;
    double *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    double r = NAN;
    int m = 0;
    if (!x || !y) goto out;
    double first = NAN, last = NAN, mins = INFINITY;
    for (int i = 0; i < n; i++) {
        if (isnan(surprisal[i])) continue;
        if (!m) first = steps[i];
        last = steps[i];
        mins = fmin(mins, surprisal[i]);
        x[m] = log10(steps[i] + 1);
        y[m++] = -surprisal[i];
    }
    if (!m) goto out;
    double chance = log2(300000.0), thr = chance - 0.5 * (chance - mins);
    double ymax = -INFINITY, ymin = INFINITY, mean = 0;
    for (int i = 0; i < m; i++) ymax = fmax(ymax, y[i]), ymin = fmin(ymin, y[i]), mean += x[i];
    mean /= m;
    double p[4] = {ymax - ymin, 1.0, mean, ymin};
    /* MINPACK refuses fewer residuals than parameters (curve_fit raises) */
    if (m < 4 || eval_sigmoid_fit(x, y, m, p, NULL, NULL, 1000) < 0) goto out;
    double a = p[0], b = p[1], c = p[2], d = p[3], nt = -thr;
    if (b <= 0 || a <= 0) goto out;
    if (nt <= d || nt >= a + d) goto out;
    double la = c - log(a / (nt - d) - 1) / b, st = pow(10.0, la) - 1;
    if (st < first || st > last) goto out;
    r = la;
out:
    free(x), free(y);
    return r;
}

/* Regularised incomplete beta I_x(a, b) by Lentz's continued fraction. */
static double betacf(double a, double b, double x)
{
    const double tiny = 1e-300;
    double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny) d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 10000; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny) d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < 1e-16) break;
    }
    return h;
}

double eval_betai(double a, double b, double x)
{
    if (!(a > 0) || !(b > 0) || isnan(x)) return NAN;
    if (x <= 0) return 0;
    if (x >= 1) return 1;
    double lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x);
    if (x < (a + 1) / (a + b + 2)) return exp(lbt) * betacf(a, b, x) / a;
    return 1 - exp(lbt) * betacf(b, a, 1 - x) / b;
}

double eval_pearson_p(double r, int n)
{
    if (n < 3 || isnan(r)) return NAN;
    double ar = fmin(fabs(r), 1.0), ab = n / 2.0 - 1;
    /* scipy.stats.pearsonr: 2 * sf(|r|) of Beta(n/2-1, n/2-1) on [-1, 1] */
    return 2 * eval_betai(ab, ab, (1 - ar) / 2);
}

double eval_pearson(const double *a, const double *b, int n)
{
    if (n < 2) return NAN;
    double ma = 0, mb = 0;
    for (int i = 0; i < n; i++) ma += a[i], mb += b[i];
    ma /= n, mb /= n;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) {
        double da = a[i] - ma, db = b[i] - mb;
        sab += da * db, saa += da * da, sbb += db * db;
    }
    if (saa == 0 || sbb == 0) return NAN;
    double r = sab / sqrt(saa * sbb);
    return r > 1 ? 1 : r < -1 ? -1 : r;
}
