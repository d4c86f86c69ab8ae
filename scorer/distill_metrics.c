/* distill_metrics.c - evaluation figures of a scorer against labels. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scorer/distill.h"

typedef struct ranked { double v; size_t i; } ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return (x->i > y->i) - (x->i < y->i);
}

/* Average ranks (1-based), ties sharing the mean of their positions. */
static void ranks(const double *v, size_t n, double *out)
{
    ranked *r = malloc((n ? n : 1) * sizeof *r);
    if (!r) abort();
    for (size_t i = 0; i < n; i++) r[i] = (ranked){v[i], i};
    qsort(r, n, sizeof *r, cmp_ranked);
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && r[j + 1].v == r[i].v) j++;
        double avg = 0.5 * (double)(i + j) + 1.0;
        for (size_t k = i; k <= j; k++) out[r[k].i] = avg;
        i = j + 1;
    }
    free(r);
}

double distill_spearman(const double *a, const double *b, size_t n)
{
    if (n < 2) return NAN;
    double *ra = malloc(n * sizeof *ra), *rb = malloc(n * sizeof *rb);
    if (!ra || !rb) abort();
    ranks(a, n, ra);
    ranks(b, n, rb);
    double ma = 0, mb = 0;
    for (size_t i = 0; i < n; i++) {
        ma += ra[i];
        mb += rb[i];
    }
    ma /= (double)n;
    mb /= (double)n;
    double sab = 0, saa = 0, sbb = 0;
    for (size_t i = 0; i < n; i++) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    free(ra);
    free(rb);
    return saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
}

static double safe_div(double a, double b) { return b > 0 ? a / b : 0.0; }

void distill_metrics_compute(const double *label, const double *score, size_t n, distill_metrics *m)
{
    memset(m, 0, sizeof *m);
    m->n = n;
    double mae = 0;
    size_t correct = 0;
    for (size_t i = 0; i < n; i++) {
        int t = distill_int_score(label[i]), p = distill_int_score(score[i]);
        m->confusion[t][p]++;
        correct += t == p;
        mae += fabs(fmin(5.0, fmax(0.0, score[i])) - label[i]);
    }
    for (int b = 0; b < 2; b++) {
        int thr = b + 2;
        uint64_t tp = 0, fp = 0, fn = 0;
        for (int t = 0; t < DISTILL_CLASSES; t++)
            for (int p = 0; p < DISTILL_CLASSES; p++) {
                if (t >= thr && p >= thr) tp += m->confusion[t][p];
                else if (t < thr && p >= thr) fp += m->confusion[t][p];
                else if (t >= thr && p < thr) fn += m->confusion[t][p];
            }
        m->precision[b] = safe_div((double)tp, (double)(tp + fp));
        m->recall[b] = safe_div((double)tp, (double)(tp + fn));
        m->f1[b] = safe_div(2.0 * (double)tp, (double)(2 * tp + fp + fn));
    }
    int present = 0;
    double f1sum = 0;
    for (int k = 0; k < DISTILL_CLASSES; k++) {
        uint64_t tp = m->confusion[k][k], row = 0, col = 0;
        for (int j = 0; j < DISTILL_CLASSES; j++) {
            row += m->confusion[k][j];
            col += m->confusion[j][k];
        }
        if (row == 0 && col == 0) continue;
        present++;
        f1sum += safe_div(2.0 * (double)tp, (double)(row + col));
    }
    m->macro_f1 = present ? f1sum / present : 0.0;
    m->accuracy = n ? (double)correct / (double)n : 0.0;
    m->mae = n ? mae / (double)n : 0.0;
    m->spearman = distill_spearman(label, score, n);
}
