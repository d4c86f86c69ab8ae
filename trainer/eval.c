/* eval.c - the BabyLM 2025 zero-shot suite (see eval.h for the rules).
 *
 * Flow: each task's files become items, each item a few candidates; a
 * candidate is one token sequence ("job") with the index k of its first
 * scored token. All jobs of a task are scored together: sorted by length,
 * identical sequences merged, equal-length sequences stacked into one
 * forward [B, n - 1] of their tokens[:-1] (no padding), and
 * lp[t] = log softmax(logits[t-1])[ids[t]] summed over t in [k, n). Then the task's aggregation runs on the scores. */
#include "trainer/eval.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "lib/config.h"
#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/utf8.h"
#include "lib/zio.h"
#include "trainer/model.h"
#include "trainer/tokenizer.h"
#include "trainer/train.h"

/* ------------------------------------------------------------ pure pieces */

int eval_first_scored(const size_t *ends, int n, size_t comp_start)
{
    for (int t = 1; t < n; t++)
        if (ends[t] > comp_start) return t;
    return n;
}

double eval_sum_from(const double *lp, int n, int k)
{
    double s = 0;
    for (int t = k < 1 ? 1 : k; t < n; t++) s += lp[t];
    return s;
}

int eval_choose(const double *scores, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (scores[i] > scores[best]) best = i;
    return best;
}

/* exp(x) for x <= 0 as straight-line float code, so the loop below
 * vectorises: 2^n * p(r), r = x - n ln2 in [-ln2/2, ln2/2], p of degree 7
 * (relative error ~2e-8 before rounding). */
static inline float exp_nonpos(float x)
{
    x = x < -87.0f ? -87.0f : x;
    float t = x * 1.44269504088896341f;
    int n = (int)(t - 0.5f); /* t <= 0: truncation of t - 0.5 rounds to nearest */
    float r = x - (float)n * 0.693145751953125f - (float)n * 1.42860682030941723e-6f;
    float p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 + r * (1.0f / 120 +
                     r * (1.0f / 720 + r * (1.0f / 5040)))))));
    union { uint32_t u; float f; } s = {.u = (uint32_t)(n + 127) << 23};
    return p * s.f;
}

/* The head's inner loops: max and sum of exps over a tile of logits. The
 * baseline x86-64 build (SSE2) leaves the exp loop scalar (the clamp is a
 * branch to GCC without -ffast-math), and the fold of a 16,384-logit row was
 * a fifth of eval's time, so x86-64 CPUs with AVX2 (checked at run time) get
 * it 8 wide: the same operations as exp_nonpos, in the same order (no FMA),
 * only the partial sums' order differs. */
static float tile_max_scalar(const float *x, int n)
{
    float mx = x[0];
    for (int v = 1; v < n; v++) mx = x[v] > mx ? x[v] : mx;
    return mx;
}

/* sum of exp(x - mx) over x[0..n), float partial sums of 256 added in double */
static double tile_expsum_scalar(const float *x, int n, float mx)
{
    double sum = 0;
    for (int v0 = 0; v0 < n; v0 += 256) {
        int v1 = v0 + 256 < n ? v0 + 256 : n;
        float part = 0.0f;
        for (int v = v0; v < v1; v++) part += exp_nonpos(x[v] - mx);
        sum += part;
    }
    return sum;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define EVAL_AVX2 1

__attribute__((target("avx2"))) static float tile_max_avx2(const float *x, int n)
{
    if (n < 8) return tile_max_scalar(x, n);
    __m256 m = _mm256_loadu_ps(x);
    int v = 8;
    for (; v + 8 <= n; v += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + v));
    float l[8];
    _mm256_storeu_ps(l, m);
    float mx = l[0];
    for (int i = 1; i < 8; i++) mx = l[i] > mx ? l[i] : mx;
    for (; v < n; v++) mx = x[v] > mx ? x[v] : mx;
    return mx;
}

__attribute__((target("avx2"))) static double tile_expsum_avx2(const float *x, int n, float mx)
{
    const __m256 m = _mm256_set1_ps(mx), lo = _mm256_set1_ps(-87.0f), l2e = _mm256_set1_ps(1.44269504088896341f),
                 half = _mm256_set1_ps(0.5f), ln2a = _mm256_set1_ps(0.693145751953125f),
                 ln2b = _mm256_set1_ps(1.42860682030941723e-6f), one = _mm256_set1_ps(1.0f);
    const __m256 c[6] = {_mm256_set1_ps(1.0f / 720), _mm256_set1_ps(1.0f / 120), _mm256_set1_ps(1.0f / 24),
                         _mm256_set1_ps(1.0f / 6), _mm256_set1_ps(0.5f), _mm256_set1_ps(1.0f)};
    const __m256i bias = _mm256_set1_epi32(127);
    double sum = 0;
    for (int v0 = 0; v0 < n; v0 += 256) {
        int v1 = v0 + 256 < n ? v0 + 256 : n, v = v0;
        __m256 acc = _mm256_setzero_ps();
        for (; v + 8 <= v1; v += 8) {
            /* max(lo, x): x itself when it is NaN, as the scalar clamp */
            __m256 xv = _mm256_max_ps(lo, _mm256_sub_ps(_mm256_loadu_ps(x + v), m));
            __m256i ni = _mm256_cvttps_epi32(_mm256_sub_ps(_mm256_mul_ps(xv, l2e), half));
            __m256 fn = _mm256_cvtepi32_ps(ni);
            __m256 r = _mm256_sub_ps(_mm256_sub_ps(xv, _mm256_mul_ps(fn, ln2a)), _mm256_mul_ps(fn, ln2b));
            __m256 p = _mm256_set1_ps(1.0f / 5040);
            for (int i = 0; i < 6; i++) p = _mm256_add_ps(c[i], _mm256_mul_ps(r, p));
            p = _mm256_add_ps(one, _mm256_mul_ps(r, p));
            __m256 sc = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(ni, bias), 23));
            acc = _mm256_add_ps(acc, _mm256_mul_ps(p, sc));
        }
        float l[8], part = 0.0f;
        _mm256_storeu_ps(l, acc);
        for (int i = 0; i < 8; i++) part += l[i];
        for (; v < v1; v++) part += exp_nonpos(x[v] - mx);
        sum += part;
    }
    return sum;
}
#endif

static int use_avx2(void)
{
#ifdef EVAL_AVX2
    static int have = -1;
    int h;
#pragma omp atomic read
    h = have;
    if (h < 0) {
        __builtin_cpu_init();
        h = __builtin_cpu_supports("avx2") ? 1 : 0;
#pragma omp atomic write
        have = h;
    }
    return h;
#else
    return 0;
#endif
}

static float tile_max(const float *x, int n)
{
#ifdef EVAL_AVX2
    if (use_avx2()) return tile_max_avx2(x, n);
#endif
    return tile_max_scalar(x, n);
}

static double tile_expsum(const float *x, int n, float mx)
{
#ifdef EVAL_AVX2
    if (use_avx2()) return tile_expsum_avx2(x, n, mx);
#endif
    return tile_expsum_scalar(x, n, mx);
}

void eval_lse_fold(const float *x, int n, float *mx, double *sum)
{
    if (n <= 0) return;
    float m = tile_max(x, n);
    if (*sum == 0.0) {
        *mx = m;
    } else if (m > *mx) { /* rescale what is there to the new maximum */
        *sum *= exp((double)*mx - (double)m);
        *mx = m;
    }
    *sum += tile_expsum(x, n, *mx);
}

double eval_log_softmax_at(const float *row, int V, int t)
{
    float mx = row[0];
#pragma omp simd reduction(max : mx)
    for (int v = 0; v < V; v++) mx = row[v] > mx ? row[v] : mx;
    double sum = 0; /* float partial sums of 256, added in double */
    for (int v0 = 0; v0 < V; v0 += 256) {
        int v1 = v0 + 256 < V ? v0 + 256 : V;
        float part = 0.0f;
#pragma omp simd reduction(+ : part)
        for (int v = v0; v < v1; v++) part += exp_nonpos(row[v] - mx);
        sum += part;
    }
    return (double)row[t] - (double)mx - log(sum);
}

static void ranks(const double *x, int n, double *r, int *idx)
{
    for (int i = 0; i < n; i++) idx[i] = i;
    for (int w = 1; w < n; w *= 2) { /* bottom-up merge sort of idx by x */
        int *tmp = malloc((size_t)n * sizeof *tmp);
        if (!tmp) return;
        for (int lo = 0; lo < n; lo += 2 * w) {
            int mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            int a = lo, b = mid, o = lo;
            while (a < mid && b < hi) tmp[o++] = x[idx[b]] < x[idx[a]] ? idx[b++] : idx[a++];
            while (a < mid) tmp[o++] = idx[a++];
            while (b < hi) tmp[o++] = idx[b++];
        }
        memcpy(idx, tmp, (size_t)n * sizeof *tmp);
        free(tmp);
    }
    for (int i = 0; i < n;) {
        int j = i;
        while (j + 1 < n && x[idx[j + 1]] == x[idx[i]]) j++;
        double avg = (i + j) / 2.0 + 1.0;
        for (int q = i; q <= j; q++) r[idx[q]] = avg;
        i = j + 1;
    }
}

static double pearson(const double *a, const double *b, int n)
{
    double ma = 0, mb = 0;
    for (int i = 0; i < n; i++) ma += a[i], mb += b[i];
    ma /= n, mb /= n;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) {
        double da = a[i] - ma, db = b[i] - mb;
        sab += da * db, saa += da * da, sbb += db * db;
    }
    if (saa == 0 || sbb == 0) return NAN;
    return sab / sqrt(saa * sbb);
}

double eval_spearman(const double *x, const double *y, int n)
{
    if (n < 2) return NAN;
    double *rx = malloc((size_t)n * sizeof *rx), *ry = malloc((size_t)n * sizeof *ry);
    int *idx = malloc((size_t)n * sizeof *idx);
    double rho = NAN;
    if (rx && ry && idx) {
        ranks(x, n, rx, idx);
        ranks(y, n, ry, idx);
        rho = pearson(rx, ry, n);
    }
    free(rx), free(ry), free(idx);
    return rho;
}

/* Householder QR least squares on [1 | X]; returns R2 = 1 - RSS/TSS. A
 * column that the earlier ones already span (relative residual < 1e-10) is
 * left out, which gives the same fit as a pseudo-inverse (statsmodels). */
double eval_ols_r2(const double *X, const double *y, int n, int k)
{
    int p = k + 1, r = 0; /* r: rank so far = next pivot row */
    if (n <= p) return NAN;
    double *A = malloc((size_t)n * p * sizeof *A), *b = malloc((size_t)n * sizeof *b);
    double r2 = NAN;
    if (!A || !b) goto out;
    for (int i = 0; i < n; i++) { /* column-major: A[j*n + i] */
        A[i] = 1.0;
        for (int j = 0; j < k; j++) A[(size_t)(j + 1) * n + i] = X[(size_t)i * k + j];
        b[i] = y[i];
    }
    for (int j = 0; j < p; j++) {
        double *a = A + (size_t)j * n, full = 0, norm = 0;
        for (int i = 0; i < n; i++) full += a[i] * a[i];
        for (int i = r; i < n; i++) norm += a[i] * a[i];
        norm = sqrt(norm);
        if (norm <= 1e-10 * sqrt(full)) continue; /* spanned already */
        double alpha = a[r] > 0 ? -norm : norm;
        a[r] -= alpha; /* v = a - alpha e_r, in place */
        double vv = 0;
        for (int i = r; i < n; i++) vv += a[i] * a[i];
        for (int c = j + 1; c < p; c++) {
            double *ac = A + (size_t)c * n, d = 0;
            for (int i = r; i < n; i++) d += a[i] * ac[i];
            d = 2 * d / vv;
            for (int i = r; i < n; i++) ac[i] -= d * a[i];
        }
        double d = 0;
        for (int i = r; i < n; i++) d += a[i] * b[i];
        d = 2 * d / vv;
        for (int i = r; i < n; i++) b[i] -= d * a[i];
        r++;
    }
    double rss = 0, my = 0, tss = 0;
    for (int i = r; i < n; i++) rss += b[i] * b[i];
    for (int i = 0; i < n; i++) my += y[i];
    my /= n;
    for (int i = 0; i < n; i++) tss += (y[i] - my) * (y[i] - my);
    if (tss > 0) r2 = 1.0 - rss / tss;
out:
    free(A), free(b);
    return r2;
}

/* ------------------------------------------------------------ jobs */

typedef struct job {
    size_t off; /* ids in the pool */
    int n, k;
    double score;
} job;

typedef struct jobset {
    int32_t *ids;
    size_t nids, cap_ids;
    job *v;
    int n, cap;
} jobset;

static void jobs_free(jobset *J) { free(J->ids), free(J->v), memset(J, 0, sizeof *J); }

static int jobs_add(jobset *J, const int32_t *ids, int n, int k, blalm_err *e)
{
    if (J->nids + (size_t)n > J->cap_ids) {
        size_t c = J->cap_ids ? J->cap_ids * 2 : 1 << 16;
        while (c < J->nids + (size_t)n) c *= 2;
        int32_t *p = realloc(J->ids, c * sizeof *p);
        if (!p) return err_set(e, "out of memory for token ids");
        J->ids = p, J->cap_ids = c;
    }
    if (J->n == J->cap) {
        int c = J->cap ? J->cap * 2 : 1024;
        job *p = realloc(J->v, (size_t)c * sizeof *p);
        if (!p) return err_set(e, "out of memory for candidates");
        J->v = p, J->cap = c;
    }
    memcpy(J->ids + J->nids, ids, (size_t)n * sizeof *ids);
    J->v[J->n] = (job){J->nids, n, k, 0.0};
    J->nids += (size_t)n;
    return J->n++;
}

static int cmp_jobs(const void *pa, const void *pb, void *arg)
{
    const jobset *J = arg;
    const job *a = &J->v[*(const int *)pa], *b = &J->v[*(const int *)pb];
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    int c = memcmp(J->ids + a->off, J->ids + b->off, (size_t)a->n * sizeof(int32_t));
    if (c) return c;
    return *(const int *)pa < *(const int *)pb ? -1 : 1;
}

typedef struct scorer {
    model *m;
    int batch_tokens;
    const char *task;
    void (*progress)(void *, const char *, uint64_t, uint64_t);
    void *arg;
    uint64_t unique, tokens; /* totals, for the summary */
    int threads;             /* workers, each with its own model (replicas) */
    int full_logits;         /* testing: logits of every row from model_forward (the reference) */
    model **rep;             /* rep[1..nrep-1]: copies of m, made as workers need them */
    int nrep;                /* models in rep (m included); 0 before the first copy */
} scorer;

static void scorer_free(scorer *sc)
{
    for (int i = 1; i < sc->nrep; i++) model_free(sc->rep[i]);
    free(sc->rep);
    sc->rep = NULL;
    sc->nrep = 0;
}

/* The worker models for T workers: m itself and T-1 copies of its weights,
 * no more (a task of 3 batches copies the model twice whatever --threads
 * says); a later task with more batches adds the copies it lacks. */
static int scorer_replicas(scorer *sc, int T, blalm_err *e)
{
    if (T <= sc->nrep) return 0;
    if (!sc->rep) {
        if (!(sc->rep = calloc((size_t)sc->threads, sizeof *sc->rep))) return err_set(e, "out of memory");
        sc->rep[0] = sc->m;
        sc->nrep = 1;
    }
    while (sc->nrep < T) {
        model *r = model_create(model_cfg(sc->m), e);
        if (!r) return -1;
        memcpy(model_params(r), model_params(sc->m), model_num_params(sc->m) * sizeof(float));
        sc->rep[sc->nrep++] = r;
    }
    return 0;
}

/* One forward [B, n]: the unique sequences u0..u1 (all of length n). */
typedef struct batch {
    int u0, u1, n;
} batch;

/* The head for the gathered rows: logits [HEAD_ROWS, HEAD_COLS] at a time
 * (2 MB, in cache), folded into each row's running log-sum-exp. Many rows
 * per GEMM, since each GEMM packs the head's columns it spans (the whole
 * 16 MB head per row block): 64 rows of the full vocabulary per GEMM were
 * ~20% slower than this. */
#define HEAD_ROWS 512
#define HEAD_COLS 1024

typedef struct worker {
    int32_t *tok, *in; /* [B, n] the batch; [B, n - 1] the model's inputs */
    double *lp;         /* [B, n]: lp[b*n + t] = log p(token t of b | tokens before) */
    float *hid, *lg;    /* [HEAD_ROWS, dim], [HEAD_ROWS, HEAD_COLS] */
    int *row;           /* [HEAD_ROWS]: where each gathered row's log-prob goes */
    int32_t *target;    /* [HEAD_ROWS]: the token each gathered row predicts */
    float *mx, *tl;     /* [HEAD_ROWS]: running maximum, the target's logit */
    double *sum;        /* [HEAD_ROWS]: running sum of exp(logit - mx) */
    size_t tok_cap, lp_cap;
    blalm_err err;
    int failed;
} worker;

static void worker_free(worker *w)
{
    free(w->tok), free(w->in), free(w->lp), free(w->hid), free(w->lg), free(w->row), free(w->target);
    free(w->mx), free(w->tl), free(w->sum);
}

/* log-probs of the R gathered rows: logits = hid head^T (soft-capped as the
 * model does), a tile of columns at a time, then the log-softmax at each
 * row's target */
static void head_rows(const model_config *c, const float *head, worker *w, int R)
{
    int V = c->vocab_size, D = c->dim;
    for (int r = 0; r < R; r++) w->sum[r] = 0.0;
    for (int v0 = 0; v0 < V; v0 += HEAD_COLS) {
        int nv = V - v0 < HEAD_COLS ? V - v0 : HEAD_COLS;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, R, nv, D, 1.0f, w->hid, D,
                    head + (size_t)v0 * D, D, 0.0f, w->lg, nv);
        if (c->logit_soft_cap > 0) {
            float cap = (float)c->logit_soft_cap;
            for (size_t x = 0; x < (size_t)R * nv; x++) w->lg[x] = cap * tanhf(w->lg[x] / cap);
        }
        for (int r = 0; r < R; r++) {
            const float *x = w->lg + (size_t)r * nv;
            eval_lse_fold(x, nv, &w->mx[r], &w->sum[r]);
            if (w->target[r] >= v0 && w->target[r] < v0 + nv) w->tl[r] = x[w->target[r] - v0];
        }
    }
    for (int r = 0; r < R; r++) w->lp[w->row[r]] = (double)w->tl[r] - (double)w->mx[r] - log(w->sum[r]);
}

static int score_batch(model *m, jobset *J, const int *order, const int *ustart, const batch *bt,
                       int full_logits, worker *w, blalm_err *e)
{
    const model_config *c = model_cfg(m);
    int n = bt->n, B = bt->u1 - bt->u0, V = c->vocab_size, D = c->dim;
    size_t N = (size_t)B * n;
    if (N > w->tok_cap) {
        free(w->tok), free(w->in), free(w->lp);
        w->tok_cap = w->lp_cap = N;
        w->tok = malloc(N * sizeof *w->tok);
        w->in = malloc(N * sizeof *w->in);
        w->lp = malloc(N * sizeof *w->lp);
        if (!w->tok || !w->in || !w->lp) return w->tok_cap = w->lp_cap = 0, err_set(e, "out of memory");
    }
    if (!full_logits && !w->hid) {
        w->hid = malloc((size_t)HEAD_ROWS * D * sizeof *w->hid);
        w->lg = malloc((size_t)HEAD_ROWS * HEAD_COLS * sizeof *w->lg);
        w->row = malloc(HEAD_ROWS * sizeof *w->row);
        w->target = malloc(HEAD_ROWS * sizeof *w->target);
        w->mx = malloc(HEAD_ROWS * sizeof *w->mx);
        w->tl = malloc(HEAD_ROWS * sizeof *w->tl);
        w->sum = malloc(HEAD_ROWS * sizeof *w->sum);
        if (!w->hid || !w->lg || !w->row || !w->target || !w->mx || !w->tl || !w->sum)
            return err_set(e, "out of memory");
    }
    for (int b = 0; b < B; b++)
        memcpy(w->tok + (size_t)b * n, J->ids + J->v[order[ustart[bt->u0 + b]]].off, (size_t)n * sizeof *w->tok);
    /* The last token of a sequence predicts nothing, so the model runs on
     * tokens[:-1], as the official pipeline's inputs: the state at position t
     * depends only on tokens 0..t, so the rows are those of the whole
     * sequence (up to the rounding of a GEMM of other shape), and 1/n of the
     * blocks' work (a tenth on BLiMP) is not done. */
    int ni = n - 1;
    for (int b = 0; b < B; b++)
        memcpy(w->in + (size_t)b * ni, w->tok + (size_t)b * n, (size_t)ni * sizeof *w->in);
    if (full_logits) { /* the reference: every row's logits from the model [B*ni, V] */
        if (model_forward(m, w->in, NULL, B, ni, NULL, e) < 0) return -1;
        const float *logits = model_logits(m);
        for (int b = 0; b < B; b++) {
            int k0 = n;
            for (int i = ustart[bt->u0 + b]; i < ustart[bt->u0 + b + 1]; i++)
                if (J->v[order[i]].k < k0) k0 = J->v[order[i]].k;
            for (int t = k0 < 1 ? 1 : k0; t < n; t++)
                w->lp[(size_t)b * n + t] = eval_log_softmax_at(logits + ((size_t)b * ni + t - 1) * V, V,
                                                                w->tok[(size_t)b * n + t]);
        }
    } else { /* only the rows that predict a scored token, HEAD_ROWS at a time */
        if (model_forward_hidden(m, w->in, B, ni, e) < 0) return -1;
        const float *hid = model_hidden(m), *head = model_head(m);
        int R = 0;
        for (int b = 0; b < B; b++) {
            int k0 = n;
            for (int i = ustart[bt->u0 + b]; i < ustart[bt->u0 + b + 1]; i++)
                if (J->v[order[i]].k < k0) k0 = J->v[order[i]].k;
            for (int t = k0 < 1 ? 1 : k0; t < n; t++) {
                size_t at = (size_t)b * n + t; /* predicted by input row b*ni + t-1 */
                memcpy(w->hid + (size_t)R * D, hid + ((size_t)b * ni + t - 1) * D, (size_t)D * sizeof *hid);
                w->row[R] = (int)at;
                w->target[R++] = w->tok[at];
                if (R == HEAD_ROWS) head_rows(c, head, w, R), R = 0;
            }
        }
        if (R) head_rows(c, head, w, R);
    }
    for (int b = 0; b < B; b++)
        for (int i = ustart[bt->u0 + b]; i < ustart[bt->u0 + b + 1]; i++) {
            job *j = &J->v[order[i]];
            j->score = j->k < n ? eval_sum_from(w->lp + (size_t)b * n, n, j->k) : 0.0;
        }
    return 0;
}

/* Scores every job of J (see the file comment). The batches are planned
 * first and do not depend on the thread count; each is computed whole by
 * one worker with single-threaded BLAS, so the scores are the same bits for
 * any number of threads. */
static int score_jobs(scorer *sc, jobset *J, blalm_err *e)
{
    if (!J->n) return 0;
    const model_config *c = model_cfg(sc->m);
    int *order = malloc((size_t)J->n * sizeof *order);
    int *ustart = malloc(((size_t)J->n + 1) * sizeof *ustart);
    batch *plan = malloc(((size_t)J->n + 1) * sizeof *plan);
    worker *wk = NULL;
    int rc = -1, nu = 0, nb = 0;
    if (!order || !ustart || !plan) goto oom;
    for (int i = 0; i < J->n; i++) order[i] = i;
    qsort_r(order, (size_t)J->n, sizeof *order, cmp_jobs, J);
    /* unique sequences: ustart[u] = first position in order */
    for (int i = 0; i < J->n; i++) {
        const job *a = &J->v[order[i]];
        if (i && a->n == J->v[order[i - 1]].n &&
            !memcmp(J->ids + a->off, J->ids + J->v[order[i - 1]].off, (size_t)a->n * sizeof(int32_t)))
            continue;
        ustart[nu++] = i;
    }
    ustart[nu] = J->n;
    int bt = sc->batch_tokens > 0 ? sc->batch_tokens : 2048;
    for (int u0 = 0; u0 < nu;) {
        int n = J->v[order[ustart[u0]]].n;
        int bmax = bt / (n > 0 ? n : 1);
        if (bmax < 1) bmax = 1;
        int u1 = u0;
        while (u1 < nu && u1 - u0 < bmax && J->v[order[ustart[u1]]].n == n) u1++;
        int need = 0; /* does any job of these score a token? */
        for (int i = ustart[u0]; i < ustart[u1]; i++)
            if (J->v[order[i]].k < n) need = 1;
        if (n >= 2 && need) {
            if (n - 1 > c->context) { /* its inputs are tokens[:-1] */
                err_set(e, "%s: a sequence of %d tokens needs %d positions, more than the model's context (%d)",
                        sc->task, n, n - 1, c->context);
                goto out;
            }
            plan[nb++] = (batch){u0, u1, n};
            sc->tokens += (uint64_t)(u1 - u0) * (uint64_t)(n - 1);
        } else {
            for (int i = ustart[u0]; i < ustart[u1]; i++) J->v[order[i]].score = 0.0;
        }
        sc->unique += (uint64_t)(u1 - u0);
        u0 = u1;
    }
    int T = sc->threads > 1 && nb > 1 ? (sc->threads < nb ? sc->threads : nb) : 1;
    if (T > 1 && scorer_replicas(sc, T, e) < 0) goto out;
    if (!(wk = calloc((size_t)T, sizeof *wk))) goto oom;
    uint64_t done = 0;
    int next = 0, stop = 0;
#pragma omp parallel num_threads(T)
    {
#ifdef _OPENMP
        int me = omp_get_thread_num();
#else
        int me = 0;
#endif
        model *m = me ? sc->rep[me] : sc->m;
        for (;;) {
            int b;
#pragma omp atomic capture
            b = next++;
            int halt;
#pragma omp atomic read
            halt = stop;
            if (b >= nb || halt) break;
            if (score_batch(m, J, order, ustart, &plan[b], sc->full_logits, &wk[me], &wk[me].err) < 0) {
                wk[me].failed = 1;
#pragma omp atomic write
                stop = 1;
                break;
            }
            uint64_t d = (uint64_t)(ustart[plan[b].u1] - ustart[plan[b].u0]), now;
#pragma omp atomic capture
            now = done += d;
            if (me == 0 && sc->progress) sc->progress(sc->arg, sc->task, now, (uint64_t)J->n);
        }
    }
    for (int i = 0; i < T; i++)
        if (wk[i].failed) {
            *e = wk[i].err;
            goto out;
        }
    if (sc->progress) sc->progress(sc->arg, sc->task, (uint64_t)J->n, (uint64_t)J->n);
    rc = 0;
    goto out;
oom:
    err_set(e, "out of memory while scoring %s", sc->task);
out:
    for (int i = 0; wk && i < T; i++) worker_free(&wk[i]);
    free(wk), free(order), free(ustart), free(plan);
    return rc;
}

/* ------------------------------------------------------------ encoding */

typedef struct encoder {
    const bpe_tokenizer *tok;
    bpe_encoder *enc;
    int first_token;
    int32_t *ids;
    size_t *ends;
    size_t cap;
} encoder;

static int enc_grow(encoder *x, size_t n, blalm_err *e)
{
    if (n <= x->cap) return 0;
    size_t c = x->cap ? x->cap : 256;
    while (c < n) c *= 2;
    int32_t *a = realloc(x->ids, c * sizeof *a);
    if (!a) return err_set(e, "out of memory");
    x->ids = a;
    size_t *b = realloc(x->ends, c * sizeof *b);
    if (!b) return err_set(e, "out of memory");
    x->ends = b, x->cap = c;
    return 0;
}

/* Tokenises text (the Hugging Face way: special tokens' text is special),
 * optionally after <|endoftext|>; fills x->ids, x->ends (byte end of each
 * token in text; the prefix ends at 0). Returns the count or -1. */
static int enc_text(encoder *x, const char *text, size_t len, int prefix, int flags, blalm_err *e)
{
    size_t n;
    const uint32_t *ids = bpe_encode(x->enc, text, len, flags, &n, e);
    if (!ids) return -1;
    int pre = prefix ? 1 : 0;
    if (enc_grow(x, n + (size_t)pre + 1, e) < 0) return -1;
    if (pre) {
        x->ids[0] = (int32_t)bpe_eot_id(x->tok);
        x->ends[0] = 0;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l;
        bpe_token_bytes(x->tok, ids[i], &l);
        at += l;
        x->ids[pre + i] = (int32_t)ids[i];
        x->ends[pre + i] = at;
    }
    return (int)(n + (size_t)pre);
}

/* A candidate: text whose completion starts at byte comp_start. */
static int add_candidate(encoder *x, jobset *J, const char *text, size_t comp_start, blalm_err *e)
{
    int n = enc_text(x, text, strlen(text), x->first_token, BPE_ALLOW_SPECIAL, e);
    if (n < 0) return -1;
    int k = eval_first_scored(x->ends, n, comp_start);
    return jobs_add(J, x->ids, n, k, e);
}

/* ------------------------------------------------------------ items */

#define MAX_META 3

typedef struct strtab {
    char **s;
    int n, cap;
} strtab;

static int strtab_id(strtab *t, const char *s, blalm_err *e)
{
    for (int i = t->n - 1; i >= 0; i--)
        if (!strcmp(t->s[i], s)) return i;
    if (t->n == t->cap) {
        int c = t->cap ? t->cap * 2 : 16;
        char **p = realloc(t->s, (size_t)c * sizeof *p);
        if (!p) return err_set(e, "out of memory");
        t->s = p, t->cap = c;
    }
    if (!(t->s[t->n] = strdup(s))) return err_set(e, "out of memory");
    return t->n++;
}

static void strtab_free(strtab *t)
{
    for (int i = 0; i < t->n; i++) free(t->s[i]);
    free(t->s);
    memset(t, 0, sizeof *t);
}

typedef struct item {
    int cand0, ncand;
    int uid;
    int meta[MAX_META];
    double ratio; /* wug */
} item;

typedef enum { K_PAIRS, K_EWOK, K_ET, K_WUG, K_COMPS, K_READING } task_kind;

typedef struct task_def {
    const char *name, *dir_full, *dir_fast;
    task_kind kind;
    int in_fast;
} task_def;

static const task_def TASKS[] = {
    {"blimp", "blimp_filtered", "blimp_fast", K_PAIRS, 1},
    {"supplement", "supplement_filtered", "supplement_fast", K_PAIRS, 1},
    {"ewok", "ewok_filtered", "ewok_fast", K_EWOK, 1},
    {"entity_tracking", "entity_tracking", "entity_tracking_fast", K_ET, 1},
    {"wug_adj", "wug_adj_nominalization", "wug_adj_nominalization", K_WUG, 1},
    {"wug_past", "wug_past_tense", "wug_past_tense", K_WUG, 1},
    {"comps", "comps", "comps", K_COMPS, 0},
    {"reading", "reading", "reading", K_READING, 1},
};
#define NTASKS ((int)(sizeof TASKS / sizeof TASKS[0]))

typedef struct task_state {
    const task_def *def;
    jobset J;
    item *items;
    int nitems, cap;
    strtab uids, metav[MAX_META];
    const char *metak[MAX_META];
    int nmeta;
    cJSON *files; /* relative path -> sha256 */
    cJSON *dump;  /* array of dumped items (testing) */
    char *pred;   /* --predictions: each candidate's "pred" text (by job index), NUL-separated */
    size_t *pred_at, pred_len, pred_cap;
    int npred;
} task_state;

static void task_free(task_state *t)
{
    jobs_free(&t->J);
    free(t->items);
    strtab_free(&t->uids);
    for (int i = 0; i < MAX_META; i++) strtab_free(&t->metav[i]);
    cJSON_Delete(t->files);
    cJSON_Delete(t->dump);
    free(t->pred), free(t->pred_at);
}

/* Keeps candidate j's "pred" text: the official prediction is the chosen
 * candidate's completion (the option, " " + Target), COMPS's whole sentence. */
static int keep_pred(task_state *t, const char *s, blalm_err *e)
{
    size_t l = strlen(s);
    if (t->pred_len + l + 1 > t->pred_cap) {
        size_t c = t->pred_cap ? t->pred_cap : 1 << 16;
        while (c < t->pred_len + l + 1) c *= 2;
        char *p = realloc(t->pred, c);
        if (!p) return err_set(e, "out of memory");
        t->pred = p, t->pred_cap = c;
    }
    size_t *a = realloc(t->pred_at, ((size_t)t->npred + 1) * sizeof *a);
    if (!a) return err_set(e, "out of memory");
    t->pred_at = a;
    t->pred_at[t->npred++] = t->pred_len;
    memcpy(t->pred + t->pred_len, s, l + 1);
    t->pred_len += l + 1;
    return 0;
}

static item *new_item(task_state *t, blalm_err *e)
{
    if (t->nitems == t->cap) {
        int c = t->cap ? t->cap * 2 : 1024;
        item *p = realloc(t->items, (size_t)c * sizeof *p);
        if (!p) return err_set(e, "out of memory"), NULL;
        t->items = p, t->cap = c;
    }
    item *it = &t->items[t->nitems];
    memset(it, 0, sizeof *it);
    it->cand0 = t->J.n;
    return it;
}

/* ------------------------------------------------------------ files */

typedef struct data_file {
    char *buf;
    size_t len;
    char path[4096], rel[1024], stem[256];
} data_file;

/* Reads a whole (possibly compressed) file into memory and records its
 * content's sha256 (and the file's own, when compressed) under rel. */
static int slurp(data_file *f, cJSON *files, blalm_err *e)
{
    zreader *r = zr_open(f->path, e);
    if (!r) return -1;
    size_t cap = 1 << 16;
    f->buf = malloc(cap + 1);
    f->len = 0;
    for (;;) {
        if (!f->buf) {
            zr_close(r);
            return err_set(e, "%s: out of memory", f->path);
        }
        long got = zr_read(r, f->buf + f->len, cap - f->len, e);
        if (got < 0) {
            zr_close(r);
            return -1;
        }
        if (got == 0) break;
        f->len += (size_t)got;
        if (f->len == cap) {
            cap *= 2;
            char *p = realloc(f->buf, cap + 1);
            if (!p) free(f->buf);
            f->buf = p;
        }
    }
    int compressed = zr_format(r) != ZFMT_PLAIN;
    zr_close(r);
    f->buf[f->len] = 0;
    char hex[65];
    sha256_hex(f->buf, f->len, hex);
    cJSON *o = cJSON_AddObjectToObject(files, f->rel);
    cJSON_AddStringToObject(o, "sha256", hex);
    if (compressed) {
        if (sha256_file_hex(f->path, hex, e) < 0) return -1;
        cJSON_AddStringToObject(o, "sha256_file", hex);
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.jsonl[.zst|.gz] files of dir, sorted; *names freed by caller. */
static int list_jsonl(const char *dir, char ***names, int *n, blalm_err *e)
{
    DIR *d = opendir(dir);
    if (!d) return err_errno(e, "%s", dir);
    *names = NULL;
    *n = 0;
    int cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *s = strstr(de->d_name, ".jsonl");
        if (!s || (strcmp(s, ".jsonl") && strcmp(s, ".jsonl.zst") && strcmp(s, ".jsonl.gz")))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 32;
            char **p = realloc(*names, (size_t)cap * sizeof *p);
            if (!p) break;
            *names = p;
        }
        (*names)[(*n)++] = strdup(de->d_name);
    }
    closedir(d);
    if (*n) qsort(*names, (size_t)*n, sizeof **names, cmp_str);
    return 0;
}

/* ------------------------------------------------------------ JSON lines */

static const char *jstr(const cJSON *o, const char *k, const char *where, long line, blalm_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsString(v)) {
        err_set(e, "%s:%ld: expected a string member \"%s\"", where, line, k);
        return NULL;
    }
    return v->valuestring;
}

/* Is name a member that parse_item reads from line o for a task of kind
 * k? (Keep in step with parse_item: a pair's "UID" and "linguistics_term"
 * are read only beside a "field".) */
static int member_read(int k, const char *name, const cJSON *o)
{
    if (k == K_PAIRS && (!strcmp(name, "UID") || !strcmp(name, "linguistics_term")))
        return cJSON_GetObjectItemCaseSensitive(o, "field") != NULL;
    static const char *const pairs[] = {"sentence_good", "sentence_bad", "field", "UID", "linguistics_term", 0},
                             *ewok[] = {"Context1", "Target1", "Target2", "Domain", "ContextType", "ContextDiff",
                                        "TargetDiff", 0},
                             *et[] = {"input_prefix", "options", "numops", 0}, *wug[] = {"sentences", "ratio", 0},
                             *comps[] = {"prefix_acceptable", "prefix_unacceptable", "property_phrase", 0};
    const char *const *l = k == K_PAIRS ? pairs : k == K_EWOK ? ewok : k == K_ET ? et : k == K_WUG ? wug
                         : k == K_COMPS ? comps : NULL;
    for (; l && *l; l++)
        if (!strcmp(name, *l)) return 1;
    return 0;
}

/* Does a member of object line p[0..l) (parsed as o) that a task of kind k
 * reads hold U+0000 (a \u0000 escape, or a raw 0 byte), in its name or
 * anywhere in its value? cJSON keeps it, but its strings end there, so the
 * text would be cut short without a word (Python's json.loads keeps it),
 * and a name would be cut to another ("field\u0000x" found as "field").
 * Members eval does not read are let be, as the official reader ignores
 * them. The raw members are matched to o's by their order (cJSON keeps
 * every member, duplicates included, in the order written), so a member is
 * known by the name cJSON gives it. 1 with key set to the member
 * ("\"NAME\"", or "a member name (read as \"NAME\")" when it is in the
 * name), else 0. */
static int json_line_nul(const char *p, size_t l, const cJSON *o, int k, char *key, size_t cap)
{
    const cJSON *m = NULL; /* the top-level member the scan is in */
    int depth = 0;
    for (size_t i = 0; i < l; i++) {
        if (p[i] == '{' || p[i] == '[') depth++;
        else if (p[i] == '}' || p[i] == ']') depth--;
        if (p[i] != '"') continue;
        int nul = 0;
        for (i++; i < l && p[i] != '"'; i++) {
            if (!p[i]) nul = 1;
            else if (p[i] == '\\' && i + 1 < l) {
                i++;
                if (p[i] == 'u' && i + 4 < l && !memcmp(p + i + 1, "0000", 4)) nul = 1;
            }
        }
        size_t j = i + 1;
        while (j < l && (p[j] == ' ' || p[j] == '\t' || p[j] == '\r')) j++;
        int is_name = j < l && p[j] == ':';
        if (is_name && depth == 1) m = m ? m->next : o->child;
        if (nul && m && member_read(k, m->string, o)) {
            if (is_name && depth == 1) snprintf(key, cap, "a member name (read as \"%.200s\")", m->string);
            else snprintf(key, cap, "\"%.200s\"", m->string);
            return 1;
        }
    }
    return 0;
}

/* Length of the whitespace code point at s (UTF-8) that Python's float()
 * strips: ASCII \t\n\v\f\r and space, and U+0085,
 * U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000;
 * 0 when there is none. */
static size_t py_space(const unsigned char *s)
{
    if ((*s >= 9 && *s <= 13) || *s == ' ') return 1;
    if (s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0)) return 2;
    if (s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) return 3;
    if (s[0] == 0xe2 && s[1] == 0x80 && ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf))
        return 3;
    if (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) return 3;
    if (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80) return 3;
    return 0;
}

/* Length of the whitespace code point at s that str.strip() removes: what
 * py_space takes and the separators U+001C..U+001F too (str.isspace() holds
 * them, float() does not strip them). */
static size_t py_strip_space(const unsigned char *s)
{
    return *s >= 0x1c && *s <= 0x1f ? 1 : py_space(s);
}

/* [*s, *end) without the whitespace `space` takes at its start and end, as
 * Python's strip() and float() drop theirs (a code point at a time). */
static void py_trim(const unsigned char **s, const unsigned char **end, size_t (*space)(const unsigned char *))
{
    size_t k;
    while (*s < *end && (k = space(*s)) && k <= (size_t)(*end - *s)) *s += k;
    while (*end > *s) {
        const unsigned char *q = *end - 1;
        while (q > *s && (*q & 0xc0) == 0x80) q--; /* the last code point */
        if (space(q) != (size_t)(*end - q)) break;
        *end = q;
    }
}

/* A finite decimal number written as Python's float() reads a string: the
 * official decode_wug does float(raw_dict["ratio"]), so "0.5" is 0.5.
 * Surrounding whitespace (py_space), an optional sign, digits with a point
 * and/or an exponent, single underscores between digits ("1_000"); not
 * inf/nan (nor a number too large for a double), hex, or non-ASCII digits
 * (which float() takes: "٠.٥").
 * 0 with *out, -1 otherwise. */
static int py_float(const char *str, double *out)
{
    const unsigned char *s = (const unsigned char *)str, *end = s + strlen(str);
    py_trim(&s, &end, py_space);
    char buf[256];
    size_t n = 0;
    if (end - s > 200) return -1; /* no ratio is written so */
    int digits = 0, prev_digit = 0;
    const unsigned char *p = s;
    if (p < end && (*p == '+' || *p == '-')) buf[n++] = (char)*p++;
    /* mantissa: digits [. digits] or . digits; then [eE [sign] digits] */
    for (int part = 0; part < 3 && p < end; part++) {
        if (part == 1 && *p != '.') continue;
        if (part == 2) {
            if ((*p != 'e' && *p != 'E') || !digits) return -1;
            buf[n++] = 'e', p++;
            if (p < end && (*p == '+' || *p == '-')) buf[n++] = (char)*p++;
            digits = 0;
        } else if (part == 1) {
            buf[n++] = '.', p++;
        }
        prev_digit = 0;
        while (p < end && ((*p >= '0' && *p <= '9') || *p == '_')) {
            if (*p == '_') { /* between two digits only */
                if (!prev_digit || p + 1 >= end || p[1] < '0' || p[1] > '9') return -1;
                prev_digit = 0, p++;
                continue;
            }
            buf[n++] = (char)*p++, digits++, prev_digit = 1;
        }
        if (part == 2 && !prev_digit) return -1; /* "1e" */
    }
    if (p != end || !digits) return -1;
    buf[n] = 0;
    char *e;
    double v = strtod(buf, &e);
    if (*e || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

/* Joins a, sep, b into a fresh string. */
static char *join3(const char *a, const char *sep, const char *b)
{
    size_t la = strlen(a), ls = strlen(sep), lb = strlen(b);
    char *s = malloc(la + ls + lb + 1);
    if (!s) return NULL;
    memcpy(s, a, la), memcpy(s + la, sep, ls), memcpy(s + la + ls, b, lb);
    s[la + ls + lb] = 0;
    return s;
}

typedef struct ctx {
    const eval_opts *o;
    encoder *x;
    long dumped;
    int context; /* eval_check_context: the model's context (0: no check); the
                  * reader prefixes the item's file and line to the error */
} ctx;

/* A candidate of n tokens runs through the model as its n - 1 inputs
 * (tokens[:-1]); more than the context is refused, naming the item. */
static int check_len(const ctx *c, const task_state *t, const char *text, int n, blalm_err *e)
{
    if (!c->context || n - 1 <= c->context) return 0;
    return err_set(e, "%s: a candidate of %d tokens (\"%.60s%s\") needs %d positions, more than "
                   "the model's context (%d); the official pipeline does not truncate either: use a model "
                   "with a context of at least %d or leave the task out",
                   t->def->name, n, text, strlen(text) > 60 ? "..." : "", n - 1, c->context, n - 1);
}

/* Adds candidates texts[i] with completions starting at comp[i]. */
static int add_cands(ctx *c, task_state *t, item *it, char **texts, const size_t *comp, int n,
                     blalm_err *e)
{
    for (int i = 0; i < n; i++) {
        int j = add_candidate(c->x, &t->J, texts[i], comp[i], e);
        if (j < 0 || check_len(c, t, texts[i], t->J.v[j].n, e) < 0) return -1;
        /* no token to score: its sum would be 0, the best possible score, and
         * the candidate would win silently (the official code fails on an
         * empty sentence; the first token is never scored) */
        if (t->J.v[j].k >= t->J.v[j].n)
            return err_set(e, "%s: candidate %d (\"%.60s%s\") has no token to score: the first token is never "
                           "scored, so an empty or one-token sentence (or an empty completion) has none",
                           t->def->name, i, texts[i], strlen(texts[i]) > 60 ? "..." : "");
        if (c->o->predictions && keep_pred(t, t->def->kind == K_COMPS ? texts[i] : texts[i] + comp[i], e) < 0)
            return -1;
    }
    it->ncand = n;
    if (c->o->dump && c->o->dump_every > 0 && t->nitems % c->o->dump_every == 0) {
        cJSON *d = cJSON_CreateObject(), *tx = cJSON_AddArrayToObject(d, "text"),
              *cs = cJSON_AddArrayToObject(d, "completion_start");
        cJSON_AddNumberToObject(d, "item", t->nitems);
        for (int i = 0; i < n; i++) {
            cJSON_AddItemToArray(tx, cJSON_CreateString(texts[i]));
            cJSON_AddItemToArray(cs, cJSON_CreateNumber((double)comp[i]));
        }
        cJSON_AddItemToArray(t->dump, d);
    }
    return 0;
}

static int parse_item(ctx *c, task_state *t, const data_file *f, long line, const cJSON *o,
                      blalm_err *e)
{
    const task_def *d = t->def;
    const char *w = f->path;
    char *texts[8] = {0};
    size_t comp[8];
    int n = 0, rc = -1;
    item *it = new_item(t, e);
    if (!it) return -1;
    if (d->kind == K_PAIRS) {
        const char *g = jstr(o, "sentence_good", w, line, e), *b = g ? jstr(o, "sentence_bad", w, line, e) : NULL;
        if (!b) return -1;
        texts[0] = strdup(g), texts[1] = strdup(b);
        comp[0] = comp[1] = 0, n = 2;
        const char *uid = f->stem, *field = "supplement", *term = "supplement";
        if (cJSON_GetObjectItemCaseSensitive(o, "field")) {
            if (!(field = jstr(o, "field", w, line, e)) || !(uid = jstr(o, "UID", w, line, e)) ||
                !(term = jstr(o, "linguistics_term", w, line, e)))
                goto out;
            if (!strcmp(field, "syntax_semantics")) field = "syntax/semantics";
        }
        if ((it->uid = strtab_id(&t->uids, uid, e)) < 0 ||
            (it->meta[0] = strtab_id(&t->metav[0], field, e)) < 0 ||
            (it->meta[1] = strtab_id(&t->metav[1], term, e)) < 0)
            goto out;
    } else if (d->kind == K_EWOK) {
        const char *c1 = jstr(o, "Context1", w, line, e), *t1 = c1 ? jstr(o, "Target1", w, line, e) : NULL,
                   *t2 = t1 ? jstr(o, "Target2", w, line, e) : NULL,
                   *dom = t2 ? jstr(o, "Domain", w, line, e) : NULL,
                   *ct = dom ? jstr(o, "ContextType", w, line, e) : NULL,
                   *cd = ct ? jstr(o, "ContextDiff", w, line, e) : NULL,
                   *td = cd ? jstr(o, "TargetDiff", w, line, e) : NULL;
        if (!td) return -1;
        texts[0] = join3(c1, " ", t1), texts[1] = join3(c1, " ", t2);
        comp[0] = comp[1] = strlen(c1); /* " " + Target is scored */
        n = 2;
        if ((it->uid = strtab_id(&t->uids, dom, e)) < 0 ||
            (it->meta[0] = strtab_id(&t->metav[0], ct, e)) < 0 ||
            (it->meta[1] = strtab_id(&t->metav[1], cd, e)) < 0 ||
            (it->meta[2] = strtab_id(&t->metav[2], td, e)) < 0)
            goto out;
    } else if (d->kind == K_ET) {
        const char *pre = jstr(o, "input_prefix", w, line, e);
        const cJSON *ops = cJSON_GetObjectItemCaseSensitive(o, "options"),
                    *nops = cJSON_GetObjectItemCaseSensitive(o, "numops");
        if (!pre) return -1;
        if (!cJSON_IsArray(ops) || cJSON_GetArraySize(ops) < 1 || cJSON_GetArraySize(ops) > 8 ||
            !cJSON_IsNumber(nops))
            return err_set(e, "%s:%ld: expected \"options\" (1 to 8 strings) and \"numops\" (a number)", w, line);
        /* the UID's number of operations (0 to 5 in the official files):
         * 1e30 or 2.5 would be cast to an int (undefined, or cut) */
        if (!(nops->valuedouble >= 0 && nops->valuedouble <= 1000) || nops->valuedouble != floor(nops->valuedouble))
            return err_set(e, "%s:%ld: expected \"numops\" to be a whole number from 0 to 1000, got %.17g", w, line,
                           nops->valuedouble);
        const cJSON *op;
        cJSON_ArrayForEach(op, ops) {
            if (!cJSON_IsString(op)) {
                err_set(e, "%s:%ld: expected strings in \"options\"", w, line);
                goto out;
            }
            comp[n] = strlen(pre);
            texts[n++] = join3(pre, "", op->valuestring);
        }
        char uid[300];
        snprintf(uid, sizeof uid, "%s_%d_ops", f->stem, (int)nops->valuedouble);
        if ((it->uid = strtab_id(&t->uids, uid, e)) < 0 ||
            (it->meta[0] = strtab_id(&t->metav[0], f->stem, e)) < 0)
            goto out;
    } else if (d->kind == K_WUG) {
        const char *s = jstr(o, "sentences", w, line, e);
        const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "ratio");
        if (!s) return -1;
        /* the official decode_wug: float(raw_dict["ratio"]), so a numeric string too */
        if (cJSON_IsString(r)) {
            if (py_float(r->valuestring, &it->ratio) < 0)
                return err_set(e, "%s:%ld: \"ratio\" \"%.60s\" is not a finite decimal number", w, line,
                               r->valuestring);
        } else if (!cJSON_IsNumber(r)) {
            return err_set(e, "%s:%ld: expected a number \"ratio\"", w, line);
        } else {
            it->ratio = r->valuedouble;
        }
        for (const char *p = s;; ) {
            const char *tab = strchr(p, '\t');
            size_t l = tab ? (size_t)(tab - p) : strlen(p);
            if (n == 8) {
                err_set(e, "%s:%ld: more than 8 tab-separated sentences", w, line);
                goto out;
            }
            texts[n] = strndup(p, l);
            comp[n++] = 0;
            if (!tab) break;
            p = tab + 1;
        }
        if (n < 2) {   /* texts[0] is freed at out */
            err_set(e, "%s:%ld: expected two tab-separated sentences", w, line);
            goto out;
        }
        /* the official decode_wug_tasks(raw, file_name.stem): the UID, and so
         * predictions.json's key and ids, is the file's stem */
        if ((it->uid = strtab_id(&t->uids, f->stem, e)) < 0) goto out;
    } else if (d->kind == K_COMPS) {
        const char *pa = jstr(o, "prefix_acceptable", w, line, e),
                   *pu = pa ? jstr(o, "prefix_unacceptable", w, line, e) : NULL,
                   *pp = pu ? jstr(o, "property_phrase", w, line, e) : NULL;
        if (!pp) return -1;
        texts[0] = join3(pa, " ", pp), texts[1] = join3(pu, " ", pp);
        comp[0] = strlen(pa) + 1, comp[1] = strlen(pu) + 1; /* property_phrase alone */
        n = 2;
        const char *sub = !strcmp(f->stem, "comps_base") ? "base"
                        : !strcmp(f->stem, "comps_wugs") ? "wugs"
                        : !strcmp(f->stem, "comps_wugs_dist-before") ? "wugs_dist_before"
                                                                    : "wugs_dist_in_between";
        if ((it->uid = strtab_id(&t->uids, sub, e)) < 0) goto out;
    }
    for (int i = 0; i < n; i++)
        if (!texts[i]) {
            err_set(e, "out of memory");
            goto out;
        }
    if (add_cands(c, t, it, texts, comp, n, e) < 0) {
        err_prefix(e, "%s:%ld", w, line);
        goto out;
    }
    t->nitems++;
    rc = 0;
out:
    for (int i = 0; i < n; i++) free(texts[i]);
    return rc;
}

static int load_jsonl_task(ctx *c, task_state *t, const char *dir, const char *reldir, blalm_err *e)
{
    char **names = NULL;
    int nn = 0, rc = -1;
    if (list_jsonl(dir, &names, &nn, e) < 0) return -1;
    if (!nn) {
        err_set(e, "%s: no .jsonl files", dir);
        goto out;
    }
    /* x.jsonl beside x.jsonl.gz (or .zst) would be read twice under one UID
     * (the stem), mixing two copies' items; the official reader takes only
     * *.jsonl, so which one is meant is not ours to guess */
    for (int i = 0; i < nn; i++)
        for (int j = i + 1; j < nn; j++) {
            size_t li = (size_t)(strstr(names[i], ".jsonl") - names[i]);
            if (!strncmp(names[i], names[j], li) && !strncmp(names[j] + li, ".jsonl", 6)) {
                err_set(e, "%s: %s and %s are the same data file (stem %.*s), plain and compressed: "
                        "keep one", dir, names[i], names[j], (int)li, names[i]);
                goto out;
            }
        }
    for (int i = 0; i < nn; i++) {
        data_file f = {0};
        snprintf(f.path, sizeof f.path, "%s/%s", dir, names[i]);
        snprintf(f.rel, sizeof f.rel, "%s/%s", reldir, names[i]);
        snprintf(f.stem, sizeof f.stem, "%.*s", (int)(strstr(names[i], ".jsonl") - names[i]), names[i]);
        /* entity tracking's fast subset is the regular file */
        if (t->def->kind == K_ET && c->o->fast && strcmp(f.stem, "regular")) continue;
        if (slurp(&f, t->files, e) < 0) goto out;
        int before = t->nitems;
        long line = 0;
        /* lines end as in the official reader's text-mode file (universal
         * newlines): at \n, \r\n or a lone \r, so "{...}\r\r\n" is a line
         * and then a blank one */
        for (char *p = f.buf, *end = f.buf + f.len, *next; p < end; p = next) {
            char *nl = p;
            while (nl < end && *nl != '\n' && *nl != '\r') nl++;
            size_t l = (size_t)(nl - p);
            next = nl == end ? end : nl + (*nl == '\r' && nl + 1 < end && nl[1] == '\n' ? 2 : 1);
            line++;
            /* json.loads(line.strip()): strip() removes what str.isspace()
             * calls whitespace (py_strip_space), not only what JSON allows
             * around a value; those bytes become spaces, so the line is then
             * read whole and every column counts from its start */
            const unsigned char *ts = (const unsigned char *)p, *te = ts + l;
            py_trim(&ts, &te, py_strip_space);
            char *q = p + (ts - (const unsigned char *)p), *qe = p + (te - (const unsigned char *)p);
            memset(p, ' ', (size_t)(q - p));
            memset(qe, ' ', (size_t)(p + l - qe));
            if (q == qe) { /* json.loads(line.strip()) refuses it */
                err_set(e, "%s:%ld: a blank line (the official reader refuses it: one JSON object per line)",
                        f.path, line);
                free(f.buf);
                goto out;
            }
            /* a UTF-8 BOM, on any line, the first too: the official reader
             * opens the file as plain UTF-8 (not utf-8-sig), and json.loads
             * refuses a string that starts with U+FEFF */
            if (qe - q >= 3 && !memcmp(q, "\xEF\xBB\xBF", 3)) {
                err_set(e, "%s:%ld: a byte order mark (U+FEFF) starts the line: the official reader refuses "
                        "it (save the file as UTF-8 without a BOM)", f.path, line);
                free(f.buf);
                goto out;
            }
            /* the official reader decodes the file as UTF-8 and fails on
             * bytes that are not; cJSON would take them into a sentence */
            size_t bad;
            if (!utf8_valid(p, l, &bad)) {
                err_set(e, "%s:%ld: column %zu: not UTF-8 (byte 0x%02x; the official reader decodes the file "
                        "as UTF-8)", f.path, line, bad + 1, (unsigned char)p[bad]);
                free(f.buf);
                goto out;
            }
            /* one object per line, as json.loads(line.strip()): cJSON stops
             * after the first value, so whatever follows it (a second object
             * of a file concatenated without newlines) would be dropped */
            const char *after = NULL;
            cJSON *o = cJSON_ParseWithLengthOpts(p, l, &after, 0);
            if (!cJSON_IsObject(o)) {
                /* cJSON's error column: a line cut short gives its last
                 * byte, which may be one of the blanked ones: the last byte
                 * of what strip() keeps, as on the line without them */
                long col = after && after >= p ? (long)(after - p) + 1 : 1;
                if (col > (long)(qe - p)) col = (long)(qe - p);
                if (o) err_set(e, "%s:%ld: expected a JSON object", f.path, line);
                else err_set(e, "%s:%ld: column %ld: not valid JSON", f.path, line, col);
                cJSON_Delete(o);
                free(f.buf);
                goto out;
            }
            const char *rest = after;
            while (rest < p + l && (*rest == ' ' || *rest == '\t')) rest++;
            if (rest < p + l) {
                cJSON_Delete(o);
                err_set(e, "%s:%ld: expected one JSON object, found more after column %ld", f.path, line,
                        (long)(after - p));
                free(f.buf);
                goto out;
            }
            char key[256];
            if (json_line_nul(p, l, o, t->def->kind, key, sizeof key)) {
                cJSON_Delete(o);
                err_set(e, "%s:%ld: %s holds U+0000 (\\u0000): the text would end there, cut short",
                        f.path, line, key);
                free(f.buf);
                goto out;
            }
            /* cJSON takes more than json.loads does: raw control characters
             * in strings, bytes below 0x20 between tokens, leading zeros, and
             * a member given twice (json.loads keeps the last, cJSON's lookup
             * the first); the strict reader of the project's own JSON lines
             * refuses each, naming the column */
            cJSON *strict = config_parse_line(p, l, f.path, (unsigned long long)line, e);
            if (!strict) {
                cJSON_Delete(o);
                free(f.buf);
                goto out;
            }
            cJSON_Delete(strict);
            int r = parse_item(c, t, &f, line, o, e);
            cJSON_Delete(o);
            if (r < 0) {
                free(f.buf);
                goto out;
            }
        }
        free(f.buf);
        if (t->nitems == before) { /* a UID would be missing from the average, unseen */
            err_set(e, "%s: no items (an empty file: a failed download?)", f.path);
            goto out;
        }
    }
    if (!t->nitems) {
        err_set(e, "%s: no items", dir);
        goto out;
    }
    rc = 0;
out:
    for (int i = 0; i < nn; i++) free(names[i]);
    free(names);
    return rc;
}

/* ------------------------------------------------------------ aggregation */

static double pct(long c, long n) { return n ? 100.0 * (double)c / (double)n : NAN; }

static cJSON *num_or_null(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

/* Accuracy tasks: per UID, per metadata value (pooled), task score. */
static cJSON *aggregate_acc(task_state *t, double *score)
{
    int nu = t->uids.n;
    long *uc = calloc((size_t)nu, sizeof *uc), *ut = calloc((size_t)nu, sizeof *ut);
    long *mc[MAX_META] = {0}, *mt[MAX_META] = {0};
    for (int k = 0; k < t->nmeta; k++) {
        mc[k] = calloc((size_t)t->metav[k].n + 1, sizeof **mc);
        mt[k] = calloc((size_t)t->metav[k].n + 1, sizeof **mt);
    }
    double sc[8];
    for (int i = 0; i < t->nitems; i++) {
        const item *it = &t->items[i];
        for (int j = 0; j < it->ncand; j++) sc[j] = t->J.v[it->cand0 + j].score;
        int ok = eval_choose(sc, it->ncand) == 0;
        uc[it->uid] += ok, ut[it->uid]++;
        for (int k = 0; k < t->nmeta; k++) mc[k][it->meta[k]] += ok, mt[k][it->meta[k]]++;
    }
    cJSON *r = cJSON_CreateObject(), *u = cJSON_AddObjectToObject(r, "uids");
    double sum = 0;
    for (int i = 0; i < nu; i++) {
        cJSON *o = cJSON_AddObjectToObject(u, t->uids.s[i]);
        cJSON_AddNumberToObject(o, "accuracy", pct(uc[i], ut[i]));
        cJSON_AddNumberToObject(o, "correct", (double)uc[i]);
        cJSON_AddNumberToObject(o, "total", (double)ut[i]);
        sum += pct(uc[i], ut[i]);
    }
    if (t->def->kind == K_ET) { /* UIDs within each file, then the files */
        cJSON *fo = cJSON_AddObjectToObject(r, "files");
        double fsum = 0;
        int nf = 0;
        for (int k = 0; k < t->metav[0].n; k++) {
            const char *stem = t->metav[0].s[k];
            double s = 0;
            int m = 0;
            for (int i = 0; i < nu; i++)
                if (!strncmp(t->uids.s[i], stem, strlen(stem)) && t->uids.s[i][strlen(stem)] == '_' &&
                    t->uids.s[i][strlen(stem) + 1] >= '0' && t->uids.s[i][strlen(stem) + 1] <= '9')
                    s += pct(uc[i], ut[i]), m++;
            if (m) {
                cJSON_AddNumberToObject(fo, stem, s / m);
                fsum += s / m, nf++;
            }
        }
        *score = nf ? fsum / nf : NAN;
    } else {
        *score = nu ? sum / nu : NAN;
        static const char *const pooled_names[] = {"fields", "linguistics_terms", ""};
        static const char *const ewok_names[] = {"context_type", "context_contrast", "target_contrast"};
        for (int k = 0; k < t->nmeta; k++) {
            const char *nm = t->def->kind == K_EWOK ? ewok_names[k] : pooled_names[k];
            cJSON *o = cJSON_AddObjectToObject(r, nm);
            for (int v = 0; v < t->metav[k].n; v++)
                cJSON_AddNumberToObject(o, t->metav[k].s[v], pct(mc[k][v], mt[k][v]));
        }
    }
    cJSON_AddNumberToObject(r, "items", t->nitems);
    free(uc), free(ut);
    for (int k = 0; k < t->nmeta; k++) free(mc[k]), free(mt[k]);
    return r;
}

/* exp(d) as PyTorch's CPU kernels compute it in float: SLEEF's expf_u10
 * (Cody-Waite reduction by ln 2, then a degree-6 minimax polynomial; the
 * split of ln 2 and the coefficients are SLEEF's published constants, Boost
 * Software License), with fused multiply-adds: bit-identical to torch.exp
 * and torch.softmax on the CPU over 200,000 arguments (PyTorch 1.13, AVX2). */
static float torch_expf(float d)
{
    float q = rintf(d * 1.442695040888963407359924681001892137f);
    float s = fmaf(q, -0.693145751953125f, d);
    s = fmaf(q, -1.428606765330187045e-06f, s);
    float u = 0.000198527617612853646278381f;
    u = fmaf(u, s, 0.00139304355252534151077271f);
    u = fmaf(u, s, 0.00833336077630519866943359f);
    u = fmaf(u, s, 0.0416664853692054748535156f);
    u = fmaf(u, s, 0.166666671633720397949219f);
    u = fmaf(u, s, 0.5f);
    u = 1.0f + fmaf(s * s, u, s);
    u = ldexpf(u, (int)q);
    return d < -104.0f ? 0.0f : u;
}

/* softmax(scores)[0] as the official pipeline computes the wug ratio: the
 * sums are float32 tensors, torch.softmax subtracts the maximum, takes exp,
 * and multiplies by the reciprocal of the sum, all in float. Near 1 a float
 * has a resolution of ~6e-8, so many items tie; the ties are part of the
 * official rho (double precision gave -24.11 where the official is -24.13). */
static double wug_prob0(const job *cand, int n)
{
    float s[8], mx = -INFINITY, sum = 0.0f;
    for (int j = 0; j < n; j++) s[j] = (float)cand[j].score, mx = s[j] > mx ? s[j] : mx;
    float e0 = 0.0f;
    for (int j = 0; j < n; j++) {
        float ej = torch_expf(s[j] - mx);
        if (!j) e0 = ej;
        sum += ej;
    }
    return (double)(e0 * (1.0f / sum));
}

static cJSON *aggregate_wug(task_state *t, double *score)
{
    int n = t->nitems;
    double *mr = malloc((size_t)n * sizeof *mr), *human = malloc((size_t)n * sizeof *human);
    cJSON *r = cJSON_CreateObject();
    if (!mr || !human) {
        free(mr), free(human);
        *score = NAN;
        return r;
    }
    for (int i = 0; i < n; i++) {
        const item *it = &t->items[i];
        mr[i] = wug_prob0(&t->J.v[it->cand0], it->ncand); /* softmax(scores)[0], in float */
        human[i] = it->ratio;
    }
    double rho = eval_spearman(mr, human, n);
    cJSON_AddItemToObject(r, "spearman", num_or_null(rho));
    cJSON_AddNumberToObject(r, "items", n);
    *score = 100.0 * rho;
    free(mr), free(human);
    return r;
}

/* ------------------------------------------------------------ reading */

/* pandas.read_csv's default missing-value strings */
static int is_na(const char *s)
{
    static const char *const na[] = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN",
                                     "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL",
                                     "NaN", "None", "n/a", "nan", "null"};
    for (size_t i = 0; i < sizeof na / sizeof na[0]; i++)
        if (!strcmp(s, na[i])) return 1;
    return 0;
}

/* One RFC 4180 record from *p; fields are written NUL-terminated into out
 * (in place is not possible with quotes, so a copy). Returns the count. */
static int csv_record(const char **p, const char *end, char *out, char **fields, int cap)
{
    const char *s = *p;
    int n = 0;
    for (;;) {
        char *f = out;
        if (s < end && *s == '"') {
            s++;
            while (s < end) {
                if (*s == '"') {
                    if (s + 1 < end && s[1] == '"') *out++ = '"', s += 2;
                    else { s++; break; }
                } else *out++ = *s++;
            }
        }
        while (s < end && *s != ',' && *s != '\n' && *s != '\r') *out++ = *s++;
        *out++ = 0;
        if (n < cap) fields[n] = f;
        n++;
        if (s < end && *s == ',') { s++; continue; }
        if (s < end && *s == '\r') s++;
        if (s < end && *s == '\n') s++;
        break;
    }
    *p = s;
    return n;
}

static long count_newlines(const char *a, const char *b)
{
    long n = 0;
    for (; a < b && (a = memchr(a, '\n', (size_t)(b - a))); a++) n++;
    return n;
}

enum { RC_ITEM, RC_WORD, RC_SUBTLEX, RC_LENGTH, RC_CTXLEN, RC_FIX, RC_FPASS, RC_GOPAST,
       RC_RIGHT, RC_SPR, RC_PWORD, RC_PITEM, RC_PLEN, RC_N };
static const char *const READING_COLS[RC_N] = {
    "item", "word", "Subtlex_log10", "length", "context_length", "RTfirstfix", "RTfirstpass",
    "RTgopast", "RTrightbound", "self_paced_reading_time", "prev_word", "prev_item", "prev_length"};

typedef struct reading_row {
    double v[RC_N]; /* numeric columns (NaN if missing) */
    int q0, nq;     /* surprisal queries of the word */
    int p0, np;     /* of the previous word (np = 0: missing) */
} reading_row;

typedef struct reading {
    reading_row *rows;
    int n;
} reading;

/* Queries for -ln p(word | context) the official way (get_p2): the context
 * tokenised as is, the word without a leading space; for a multi-token word
 * each further token t is predicted after context + decode(previous tokens),
 * re-tokenised, with target encode(decode(t))[0]. decode is the tokenizer's
 * of ONE token, lossy: a token holding part of a character decodes to
 * U+FFFD (from_utf8_lossy), so a non-ASCII word cut mid-character is scored
 * as the official pipeline scores it, never on its raw bytes. */
static int add_surprisal(encoder *x, jobset *J, const char *context, const char *word, int *q0,
                         int *nq, blalm_err *e)
{
    size_t nw;
    const uint32_t *w = bpe_encode(x->enc, word, strlen(word), 0, &nw, e);
    if (!w) return -1;
    if (!nw) return err_set(e, "the word \"%s\" has no tokens", word);
    uint32_t *word_ids = malloc(nw * sizeof *word_ids);
    size_t cl = strlen(context), cap = cl + strlen(word) * 4 + 64, dcap = 0;
    char *sent = malloc(cap), *dec = NULL;
    int rc = -1;
    if (!word_ids || !sent) {
        err_set(e, "out of memory");
        goto out;
    }
    memcpy(word_ids, w, nw * sizeof *w);
    memcpy(sent, context, cl);
    *q0 = J->n, *nq = 0;
    for (size_t i = 0; i < nw; i++) {
        size_t tl, bl;
        const char *tb = bpe_token_bytes(x->tok, word_ids[i], &bl);
        if (bl * 3 > dcap) { /* decode(t): the bytes, each invalid part one U+FFFD */
            char *p = realloc(dec, dcap = bl * 3 + 16);
            if (!p) {
                err_set(e, "out of memory");
                goto out;
            }
            dec = p;
        }
        utf8_sanitize(tb, bl, dec, &tl);
        tb = dec;
        int32_t target = (int32_t)word_ids[i];
        if (i > 0) { /* target = encode(decode(t))[0] */
            size_t m;
            const uint32_t *r = bpe_encode(x->enc, tb, tl, 0, &m, e);
            if (!r) goto out;
            if (!m) {
                err_set(e, "token %u of \"%s\" re-encodes to nothing", word_ids[i], word);
                goto out;
            }
            target = (int32_t)r[0];
        }
        int n = enc_text(x, sent, cl, 0, BPE_ALLOW_SPECIAL, e);
        if (n < 0 || enc_grow(x, (size_t)n + 1, e) < 0) goto out;
        x->ids[n] = target;
        if (jobs_add(J, x->ids, n + 1, n, e) < 0) goto out;
        (*nq)++;
        if (cl + tl + 1 > cap) {
            cap = (cl + tl + 1) * 2;
            char *p = realloc(sent, cap);
            if (!p) {
                err_set(e, "out of memory");
                goto out;
            }
            sent = p;
        }
        memcpy(sent + cl, tb, tl);
        cl += tl;
    }
    rc = 0;
out:
    free(word_ids), free(sent), free(dec);
    return rc;
}

static int load_reading(ctx *c, task_state *t, reading *rd, const char *dir, const char *reldir,
                        blalm_err *e)
{
    data_file f = {0};
    snprintf(f.path, sizeof f.path, "%s/reading_data.csv", dir);
    snprintf(f.rel, sizeof f.rel, "%s/reading_data.csv", reldir);
    if (slurp(&f, t->files, e) < 0) return -1;
    int rc = -1, col[RC_N];
    char *scratch = malloc(f.len + 1), *fields[64];
    const char *p = f.buf, *end = f.buf + f.len;
    if (!scratch) {
        err_set(e, "out of memory");
        goto out;
    }
    int nh = csv_record(&p, end, scratch, fields, 64);
    for (int k = 0; k < RC_N; k++) {
        col[k] = -1;
        for (int i = 0; i < nh && i < 64; i++)
            if (!strcmp(fields[i], READING_COLS[k])) col[k] = i;
        if (col[k] < 0) {
            err_set(e, "%s:1: expected a column \"%s\"", f.path, READING_COLS[k]);
            goto out;
        }
    }
    /* a record's line is the file line it starts on: a quoted field may
     * hold newlines, so the lines are counted, not the records */
    long line = 1, next = 1 + count_newlines(f.buf, p);
    int cap = 0;
    while (p < end) {
        const char *r0 = p;
        line = next;
        int nf = csv_record(&p, end, scratch, fields, 64);
        next += count_newlines(r0, p);
        if (nf == 1 && !fields[0][0]) continue; /* blank line */
        if (nf != nh) {
            err_set(e, "%s:%ld: %d fields, the header has %d", f.path, line, nf, nh);
            goto out;
        }
        if (rd->n == cap) {
            cap = cap ? cap * 2 : 2048;
            reading_row *q = realloc(rd->rows, (size_t)cap * sizeof *q);
            if (!q) {
                err_set(e, "out of memory");
                goto out;
            }
            rd->rows = q;
        }
        reading_row *r = &rd->rows[rd->n];
        memset(r, 0, sizeof *r);
        for (int k = 0; k < RC_N; k++) {
            const char *s = fields[col[k]];
            r->v[k] = NAN;
            if (k == RC_ITEM || k == RC_WORD || k == RC_PWORD || k == RC_PITEM || is_na(s)) continue;
            char *ep;
            r->v[k] = strtod(s, &ep);
            if (*ep) {
                err_set(e, "%s:%ld: column %s: expected a number, got \"%.40s\"", f.path, line,
                        READING_COLS[k], s);
                goto out;
            }
        }
        /* pandas: item read as str with NaN filled by "None"; prev_item NaN -> no prev */
        const char *itm = is_na(fields[col[RC_ITEM]]) ? "None" : fields[col[RC_ITEM]];
        const char *word = fields[col[RC_WORD]];
        int j0 = t->J.n;
        if (add_surprisal(c->x, &t->J, itm, word, &r->q0, &r->nq, e) < 0) goto row_err;
        if (!is_na(fields[col[RC_PITEM]]) && !is_na(fields[col[RC_PWORD]])) {
            if (add_surprisal(c->x, &t->J, fields[col[RC_PITEM]], fields[col[RC_PWORD]], &r->p0,
                              &r->np, e) < 0)
                goto row_err;
        }
        for (int j = j0; c->context && j < t->J.n; j++) /* as check_len, for the row's queries */
            if (t->J.v[j].n - 1 > c->context) {
                int prev = j >= r->q0 + r->nq;
                const char *qw = prev ? fields[col[RC_PWORD]] : word, *qi = prev ? fields[col[RC_PITEM]] : itm;
                err_set(e, "reading: a query of %d tokens (the %sword \"%.40s\" after \"%.60s%s\") needs %d "
                        "positions, more than the model's context (%d); the official pipeline does not truncate "
                        "either: use a model with a context of at least %d or leave the task out",
                        t->J.v[j].n, prev ? "previous " : "", qw, qi, strlen(qi) > 60 ? "..." : "",
                        t->J.v[j].n - 1, c->context, t->J.v[j].n - 1);
                goto row_err;
            }
        rd->n++;
        continue;
row_err:
        err_prefix(e, "%s:%ld", f.path, line);
        goto out;
    }
    if (!rd->n) {
        err_set(e, "%s: no rows", f.path);
        goto out;
    }
    rc = 0;
out:
    free(scratch), free(f.buf);
    return rc;
}

static double surprisal(const jobset *J, int q0, int nq)
{
    double s = 0;
    for (int i = 0; i < nq; i++) s -= J->v[q0 + i].score;
    return s;
}

/* OLS gains: eye tracking (4 RT measures) and self-paced reading with
 * spill-over (previous word's surprisal and length), as reading/run.py. */
static cJSON *aggregate_reading(task_state *t, const reading *rd, double *eye, double *spr)
{
    int n = rd->n;
    double *X = malloc((size_t)n * 16 * sizeof *X), *y = malloc((size_t)n * sizeof *y),
           *pred = malloc((size_t)n * sizeof *pred), *ppred = malloc((size_t)n * sizeof *ppred);
    cJSON *r = cJSON_CreateObject(), *ms = cJSON_AddObjectToObject(r, "measures");
    *eye = *spr = NAN;
    if (!X || !y || !pred || !ppred) goto out;
    for (int i = 0; i < n; i++) {
        pred[i] = surprisal(&t->J, rd->rows[i].q0, rd->rows[i].nq);
        ppred[i] = rd->rows[i].np ? surprisal(&t->J, rd->rows[i].p0, rd->rows[i].np) : NAN;
    }
    static const int dvs[] = {RC_FIX, RC_FPASS, RC_GOPAST, RC_RIGHT, RC_SPR};
    double eye_sum = 0;
    int eye_n = 0;
    for (int d = 0; d < 5; d++) {
        int dv = dvs[d], spill = dv == RC_SPR;
        /* rows where every variable of the fit is present */
        int m = 0;
        int k = spill ? 15 : 6;
        for (int i = 0; i < n; i++) {
            const double *v = rd->rows[i].v;
            double S = v[RC_SUBTLEX], L = v[RC_LENGTH], C = v[RC_CTXLEN];
            if (isnan(v[dv]) || isnan(S) || isnan(L) || isnan(C)) continue;
            double *x = X + (size_t)m * 16;
            if (spill) {
                double PL = v[RC_PLEN], PP = ppred[i];
                if (isnan(PL) || isnan(PP)) continue;
                double a[5] = {S, L, C, PL, PP};
                int q = 0;
                for (int u = 0; u < 5; u++) x[q++] = a[u];
                for (int u = 0; u < 5; u++)
                    for (int w = u + 1; w < 5; w++) x[q++] = a[u] * a[w];
            } else {
                x[0] = S, x[1] = L, x[2] = C, x[3] = S * L, x[4] = S * C, x[5] = L * C;
            }
            x[k] = pred[i];
            y[m++] = v[dv];
        }
        /* fits use stride 16: repack [m, k] and [m, k+1] */
        double *Xb = malloc((size_t)m * (k + 1) * sizeof *Xb);
        if (!Xb) goto out;
        for (int i = 0; i < m; i++) memcpy(Xb + (size_t)i * k, X + (size_t)i * 16, (size_t)k * sizeof *Xb);
        double r2b = eval_ols_r2(Xb, y, m, k);
        for (int i = 0; i < m; i++)
            memcpy(Xb + (size_t)i * (k + 1), X + (size_t)i * 16, (size_t)(k + 1) * sizeof *Xb);
        double r2m = eval_ols_r2(Xb, y, m, k + 1);
        free(Xb);
        double gain = (r2m - r2b) / (1 - r2b) * 100;
        cJSON *o = cJSON_AddObjectToObject(ms, READING_COLS[dv]);
        cJSON_AddItemToObject(o, "r2_baseline", num_or_null(r2b));
        cJSON_AddItemToObject(o, "r2_model", num_or_null(r2m));
        cJSON_AddItemToObject(o, "score", num_or_null(gain));
        cJSON_AddNumberToObject(o, "rows", m);
        if (spill) *spr = gain;
        else eye_sum += gain, eye_n++;
    }
    *eye = eye_sum / eye_n;
    cJSON_AddItemToObject(r, "eye_tracking", num_or_null(*eye));
    cJSON_AddItemToObject(r, "self_paced_reading", num_or_null(*spr));
    cJSON_AddNumberToObject(r, "items", n);
out:
    free(X), free(y), free(pred), free(ppred);
    return r;
}

/* Every row's surprisal and the previous word's (testing: the OLS check). */
static void dump_reading_rows(FILE *df, const task_state *t, const reading *rd)
{
    cJSON *o = cJSON_CreateObject(), *pr = cJSON_AddArrayToObject(o, "pred"),
          *pp = cJSON_AddArrayToObject(o, "prev_pred");
    cJSON_AddStringToObject(o, "task", "reading_rows");
    for (int i = 0; i < rd->n; i++) {
        cJSON_AddItemToArray(pr, cJSON_CreateNumber(surprisal(&t->J, rd->rows[i].q0, rd->rows[i].nq)));
        cJSON_AddItemToArray(pp, rd->rows[i].np ? cJSON_CreateNumber(surprisal(&t->J, rd->rows[i].p0,
                                                                               rd->rows[i].np))
                                                : cJSON_CreateNull());
    }
    char *txt = json_print(o, 0);
    fprintf(df, "%s\n", txt);
    free(txt);
    cJSON_Delete(o);
}

/* ------------------------------------------------------------ official predictions */

/* The official pipeline's predictions.json of a task (what
 * sentence_zero_shot/compute_results.py saves with --save_predictions and
 * collate_preds.py reads): {UID: {"predictions": [{"id": "UID_i", "pred":
 * the chosen candidate's completion}]}}, UIDs in order of appearance, each
 * UID's items in data order (collate_preds pairs them with the file's
 * lines); wug adds "prob", softmax(sums)[0] in float32. */
static cJSON *task_predictions(const task_state *t)
{
    cJSON *r = cJSON_CreateObject();
    int *seen = calloc((size_t)t->uids.n + 1, sizeof *seen);
    if (!seen) return r;
    double sc[8];
    for (int i = 0; i < t->nitems; i++) {
        const item *it = &t->items[i];
        for (int j = 0; j < it->ncand; j++) sc[j] = t->J.v[it->cand0 + j].score;
        int c = eval_choose(sc, it->ncand);
        const char *uid = t->uids.s[it->uid];
        cJSON *u = cJSON_GetObjectItemCaseSensitive(r, uid);
        if (!u) cJSON_AddArrayToObject(u = cJSON_AddObjectToObject(r, uid), "predictions");
        char id[400];
        snprintf(id, sizeof id, "%s_%d", uid, seen[it->uid]++);
        cJSON *p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "id", id);
        cJSON_AddStringToObject(p, "pred", t->pred + t->pred_at[it->cand0 + c]);
        if (t->def->kind == K_WUG) cJSON_AddNumberToObject(p, "prob", wug_prob0(&t->J.v[it->cand0], it->ncand));
        cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(u, "predictions"), p);
    }
    free(seen);
    return r;
}

/* reading/run.py's predictions.json: {"reading": {"predictions": [{"id":
 * row index, "pred": surprisal, "prev_pred": the previous word's or NaN}]}},
 * written as Python's json.dump writes it (NaN, which its json.load reads). */
static char *reading_predictions(const task_state *t, const reading *rd, size_t *len)
{
    size_t cap = (size_t)rd->n * 128 + 64, at = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    at += (size_t)snprintf(s + at, cap - at, "{\"reading\": {\"predictions\": [");
    for (int i = 0; i < rd->n; i++) {
        char prev[40];
        if (rd->rows[i].np) snprintf(prev, sizeof prev, "%.17g", surprisal(&t->J, rd->rows[i].p0, rd->rows[i].np));
        else snprintf(prev, sizeof prev, "NaN");
        at += (size_t)snprintf(s + at, cap - at, "%s{\"id\": %d, \"pred\": %.17g, \"prev_pred\": %s}", i ? ", " : "", i,
                               surprisal(&t->J, rd->rows[i].q0, rd->rows[i].nq), prev);
    }
    at += (size_t)snprintf(s + at, cap - at, "]}}\n");
    *len = at;
    return s;
}

/* Where the official pipeline puts task d's predictions.json under its
 * zero_shot/causal folder: --task/dataset, the dataset being the official
 * data folder's name (supplement is run as task blimp; the fast entity
 * tracking as entity_tracking_fast even when read from entity_tracking/). */
static void predictions_path(const eval_opts *o, const task_def *d, char *p, size_t cap)
{
    if (d->kind == K_READING) snprintf(p, cap, "%s/reading/predictions.json", o->predictions);
    else
        snprintf(p, cap, "%s/%s/%s/predictions.json", o->predictions,
                 !strcmp(d->name, "supplement") ? "blimp" : d->name, o->fast ? d->dir_fast : d->dir_full);
}

typedef struct pred_file {
    char path[4096];
    char *text;
    size_t len;
} pred_file;

/* ------------------------------------------------------------ the run */

/* "run": the run folder as an absolute path (as given, relative to the
 * folder eval ran in, it named nothing once read from elsewhere) */
static void add_run_path(cJSON *o, const char *run)
{
    char abs[PATH_MAX];
    cJSON_AddStringToObject(o, "run", realpath(run, abs) ? abs : run);
}



static int task_wanted(const eval_opts *o, const task_def *d, int *explicit)
{
    *explicit = 0;
    if (!o->tasks) return o->fast ? d->in_fast : 1;
    size_t l = strlen(d->name);
    for (const char *p = o->tasks; *p;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (n == l && !strncmp(p, d->name, l)) return *explicit = 1;
        if (!c) break;
        p = c + 1;
    }
    return 0;
}

int eval_in_list(const char *list, const char *name)
{
    size_t l = strlen(name);
    for (const char *p = list; p && *p;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (n == l && !strncmp(p, name, l)) return 1;
        if (!c) break;
        p = c + 1;
    }
    return 0;
}

/* A --tasks list: NULL (every task), or comma-separated names of
 * EVAL_TASKS; an empty list or an empty name is refused (an empty list
 * used to run nothing and overwrite the results file with no tasks). */
int eval_check_tasks(const char *tasks, blalm_err *e)
{
    if (!tasks) return 0;
    if (!*tasks) return err_set(e, "empty list (tasks: %s)", EVAL_TASKS);
    for (const char *p = tasks;;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if (!n) return err_set(e, "an empty task name in '%s' (tasks: %s)", tasks, EVAL_TASKS);
        int ok = n == 3 && !strncmp(p, "aoa", 3);
        for (int i = 0; i < NTASKS; i++)
            if (strlen(TASKS[i].name) == n && !strncmp(p, TASKS[i].name, n)) ok = 1;
        if (!ok) return err_set(e, "unknown task '%.*s' (tasks: %s)", (int)n, p, EVAL_TASKS);
        if (!c) break;
        p = c + 1;
    }
    return 0;
}

/* A checked --tasks list rewritten in place as its set: each task once, in
 * EVAL_TASKS' order ("ewok,blimp,blimp" -> "blimp,ewok"). The tasks run and
 * the results are the same; a completion key made from it then is too. */
void eval_tasks_normalise(char *tasks)
{
    if (!tasks || !*tasks) return;
    size_t cap = strlen(tasks) + 1, len = 0;
    char *out = malloc(cap);
    if (!out) return;   /* left as given: only a key differs */
    out[0] = 0;
    static const char *const aoa = "aoa";
    for (int i = 0; i <= NTASKS; i++) {
        const char *name = i < NTASKS ? TASKS[i].name : aoa;
        if (!eval_in_list(tasks, name)) continue;
        size_t n = strlen(name);
        if (len + (len ? 1 : 0) + n + 1 > cap) break;   /* cannot be: a set of the list's names */
        if (len) out[len++] = ',';
        memcpy(out + len, name, n + 1);
        len += n;
    }
    memcpy(tasks, out, len + 1);
    free(out);
}

/* Writes the dumped items of a task with their token ids and scores. */
static void dump_task(FILE *df, const task_state *t)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, t->dump) {
        int i = cJSON_GetObjectItem(d, "item")->valueint;
        const item *it = &t->items[i];
        cJSON *o = cJSON_Duplicate(d, 1), *ids = cJSON_AddArrayToObject(o, "ids"),
              *ks = cJSON_AddArrayToObject(o, "k"), *sc = cJSON_AddArrayToObject(o, "score");
        cJSON_AddStringToObject(o, "task", t->def->name);
        double s[8];
        for (int j = 0; j < it->ncand; j++) {
            const job *jb = &t->J.v[it->cand0 + j];
            cJSON_AddItemToArray(ids, cJSON_CreateIntArray(t->J.ids + jb->off, jb->n));
            cJSON_AddItemToArray(ks, cJSON_CreateNumber(jb->k));
            cJSON_AddItemToArray(sc, cJSON_CreateNumber(jb->score));
            s[j] = jb->score;
        }
        cJSON_AddNumberToObject(o, "chosen", eval_choose(s, it->ncand));
        char *txt = json_print(o, 0);
        fprintf(df, "%s\n", txt);
        free(txt);
        cJSON_Delete(o);
    }
}

/* Reading queries are dumped directly (every dump_every-th query). */
static void dump_reading(FILE *df, const task_state *t, int every)
{
    for (int q = 0; q < t->J.n; q += every) {
        const job *jb = &t->J.v[q];
        cJSON *o = cJSON_CreateObject(), *ids = cJSON_AddArrayToObject(o, "ids"),
              *ks = cJSON_AddArrayToObject(o, "k"), *sc = cJSON_AddArrayToObject(o, "score");
        cJSON_AddStringToObject(o, "task", "reading");
        cJSON_AddItemToArray(ids, cJSON_CreateIntArray(t->J.ids + jb->off, jb->n));
        cJSON_AddItemToArray(ks, cJSON_CreateNumber(jb->k));
        cJSON_AddItemToArray(sc, cJSON_CreateNumber(jb->score));
        char *txt = json_print(o, 0);
        fprintf(df, "%s\n", txt);
        free(txt);
        cJSON_Delete(o);
    }
}

/* The task's data folder under o->data (its fast subset with --fast); entity
 * tracking's fast subset is the full folder's regular file when it has none. */
static const char *task_dir(const eval_opts *o, const task_def *d, char *dir, size_t cap)
{
    const char *sub = o->fast ? d->dir_fast : d->dir_full;
    snprintf(dir, cap, "%s/%s", o->data, sub);
    if (d->kind == K_ET && o->fast && !file_exists(dir)) {
        sub = d->dir_full;
        snprintf(dir, cap, "%s/%s", o->data, sub);
    }
    return sub;
}

/* Loads task d's items into t (and rd, for reading) from its data folder
 * (dir receives its path, *sub the folder's name under o->data): 1 = loaded; 0 = not wanted, or its folder is
 * missing and it was not named in --tasks (recorded in skipped, when given);
 * -1 = a named task without data, or bad items (t and rd are then freed). */
static int task_load(ctx *c, const task_def *d, task_state *t, reading *rd, char dir[4096],
                     const char **subp, cJSON *skipped, blalm_err *e)
{
    int explicit;
    if (!task_wanted(c->o, d, &explicit)) return 0;
    const char *sub = *subp = task_dir(c->o, d, dir, 4096);
    if (!file_exists(dir)) {
        if (explicit) return err_set(e, "%s: no data for task %s (expected the official layout)", dir, d->name);
        if (skipped) cJSON_AddStringToObject(skipped, d->name, "no data folder");
        return 0;
    }
    *t = (task_state){.def = d, .files = cJSON_CreateObject(), .dump = cJSON_CreateArray()};
    t->nmeta = d->kind == K_PAIRS ? 2 : d->kind == K_EWOK ? 3 : d->kind == K_ET ? 1 : 0;
    *rd = (reading){0};
    int lr = d->kind == K_READING ? load_reading(c, t, rd, dir, sub, e) : load_jsonl_task(c, t, dir, sub, e);
    if (lr < 0) {
        free(rd->rows);
        task_free(t);
        return -1;
    }
    return 1;
}

static int aoa_paths(const char *data, char json[4096], char csv[4096]);

int eval_tasks_present(const eval_opts *o)
{
    int n = 0, explicit;
    for (int ti = 0; ti < NTASKS; ti++) {
        char dir[4096];
        if (!task_wanted(o, &TASKS[ti], &explicit)) continue;
        task_dir(o, &TASKS[ti], dir, sizeof dir);
        n += is_dir(dir);
    }
    return n;
}

int eval_check_context(const eval_opts *o, const char *tokenizer, int context, blalm_err *e)
{
    if (!o->data) return 0;
    if (eval_check_tasks(o->tasks, e) < 0) return err_prefix(e, "tasks");
    bpe_tokenizer *tok = bpe_load(tokenizer, e);
    if (!tok) return -1;
    encoder x = {0};
    int rc = -1;
    x.tok = tok;
    x.first_token = o->score_first_token;
    if (!(x.enc = bpe_encoder_new(tok, e))) goto out;
    eval_opts lo = *o;
    lo.dump = NULL; /* reading the items only */
    for (int ti = 0; ti < NTASKS; ti++) {
        const task_def *d = &TASKS[ti];
        char dir[4096];
        task_state t;
        reading rd;
        const char *sub;
        ctx c = {&lo, &x, 0, context};
        int lr = task_load(&c, d, &t, &rd, dir, &sub, NULL, e);
        if (lr < 0) goto out;
        if (lr == 0) continue;
        free(rd.rows); /* every candidate and query was checked as it was read */
        task_free(&t);
    }
    rc = 0;
out:
    bpe_encoder_free(x.enc);
    free(x.ids), free(x.ends);
    bpe_free(tok);
    return rc;
}

/* Is res's string k the same as old's (both present)? */
static int same_str(const cJSON *old, const cJSON *res, const char *k)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(old, k), *b = cJSON_GetObjectItemCaseSensitive(res, k);
    return cJSON_IsString(a) && cJSON_IsString(b) && !strcmp(a->valuestring, b->valuestring);
}

/* Does old's "data" record exactly the files task d reads from its folder
 * sub under o->data now (a file added since is not in the old results)? */
static int same_file_set(const eval_opts *o, const task_def *d, const char *sub, const cJSON *old)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", o->data, sub);
    size_t fl = strlen(sub);
    int recorded = 0, now = 0, ok = 1;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(old, "data"))
        recorded += !strncmp(f->string, sub, fl) && f->string[fl] == '/';
    if (d->kind == K_READING) return recorded == 1; /* reading_data.csv, by its sha256 (same_task_data) */
    char **names = NULL;
    int nn = 0;
    blalm_err ig;
    if (list_jsonl(dir, &names, &nn, &ig) < 0) return 0;
    for (int i = 0; i < nn; i++) {
        size_t sl = (size_t)(strstr(names[i], ".jsonl") - names[i]);
        if (d->kind == K_ET && o->fast && (sl != 7 || strncmp(names[i], "regular", 7))) continue;
        char key[2048];
        snprintf(key, sizeof key, "%s/%s", sub, names[i]);
        now++;
        if (!cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(old, "data"), key)) ok = 0;
    }
    for (int i = 0; i < nn; i++) free(names[i]);
    free(names);
    return ok && now == recorded;
}

/* Do the data files that task ot's results were computed on (old's "data"
 * entries under its folder) still have their sha256 under o->data? why
 * says which does not. */
static int same_task_data(const eval_opts *o, const cJSON *old, const char *name, const cJSON *ot, char *why,
                          size_t cap)
{
    const cJSON *folder = cJSON_GetObjectItemCaseSensitive(ot, "folder"), *f;
    if (!cJSON_IsString(folder)) return snprintf(why, cap, "its %s records no data folder", name), 0;
    size_t fl = strlen(folder->valuestring);
    int n = 0;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(old, "data")) {
        if (strncmp(f->string, folder->valuestring, fl) || f->string[fl] != '/') continue;
        const cJSON *h = cJSON_GetObjectItemCaseSensitive(f, "sha256_file"); /* a compressed file's own */
        if (!h) h = cJSON_GetObjectItemCaseSensitive(f, "sha256");
        char p[4096], hex[65];
        snprintf(p, sizeof p, "%s/%s", o->data, f->string);
        blalm_err ig;
        if (!cJSON_IsString(h) || !file_exists(p) || sha256_file_hex(p, hex, &ig) < 0 || strcmp(hex, h->valuestring))
            return snprintf(why, cap, "its %s was computed on %s, which %s has no longer", name, f->string,
                            o->data), 0;
        n++;
    }
    if (!n) return snprintf(why, cap, "its %s records no data files", name), 0;
    return 1;
}

/* A --tasks run adds its tasks to the results file it writes (path): the
 * tasks of the file already there that this run did not compute are kept
 * when that file was computed on the same checkpoint bytes and tokenizer
 * (checkpoint_sha256, tokenizer_sha256), the same suite and scoring, and
 * the data files it records for them still have their sha256 under
 * o->data, with no file added to their folders (same_file_set); otherwise
 * it is replaced. res gets "previous": {"file", "kept":
 * [tasks]} or {"file", "replaced": why}. A run of every task (no --tasks)
 * replaces the file. */
static int merge_previous(const eval_opts *o, const char *path, cJSON *res, blalm_err *e)
{
    if (!o->tasks || o->replace || !file_exists(path)) return 0;
    char *txt = NULL, why[1024] = "";
    size_t len;
    if (read_file(path, &txt, &len, e) < 0) return -1;
    cJSON *old = cJSON_ParseWithLength(txt, len);
    free(txt);
    cJSON *tasks = cJSON_GetObjectItemCaseSensitive(res, "tasks");
    const cJSON *otasks = cJSON_GetObjectItemCaseSensitive(old, "tasks"), *ot;
    if (!cJSON_IsObject(otasks) || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(old, "data")) ||
        !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(old, "skipped")))
        snprintf(why, sizeof why, "not a results file of blalm eval");
    else if (!cJSON_GetObjectItemCaseSensitive(old, "checkpoint_sha256"))
        snprintf(why, sizeof why, "it records no checkpoint_sha256 (written by an older blalm)");
    else if (!same_str(old, res, "checkpoint_sha256"))
        snprintf(why, sizeof why, "it was computed on other checkpoint bytes (checkpoint_sha256)");
    else if (!same_str(old, res, "tokenizer_sha256"))
        snprintf(why, sizeof why, "it was computed with another tokenizer.json (tokenizer_sha256)");
    else if (!same_str(old, res, "suite"))
        snprintf(why, sizeof why, "it holds the %s suite", cJSON_GetStringValue(cJSON_GetObjectItem(old, "suite")));
    else if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(old, "score_first_token")) != !o->score_first_token)
        snprintf(why, sizeof why, "it was scored %s --score-first-token", o->score_first_token ? "without" : "with");
    else
        cJSON_ArrayForEach(ot, otasks) {
            if (cJSON_GetObjectItemCaseSensitive(tasks, ot->string)) continue; /* recomputed */
            if (!same_task_data(o, old, ot->string, ot, why, sizeof why)) break;
            const task_def *d = NULL; /* and no file added to its folder since */
            for (int i = 0; i < NTASKS && !d; i++)
                if (!strcmp(TASKS[i].name, ot->string)) d = &TASKS[i];
            const char *folder = cJSON_GetObjectItemCaseSensitive(ot, "folder")->valuestring;
            if (d && !same_file_set(o, d, folder, old)) {
                snprintf(why, sizeof why, "its %s was computed on other files than %s/%s holds now (a file was added)",
                         ot->string, o->data, folder);
                break;
            }
        }
    cJSON *prev = cJSON_AddObjectToObject(res, "previous");
    cJSON_AddStringToObject(prev, "file", path);
    if (*why) {
        cJSON_AddStringToObject(prev, "replaced", why);
        cJSON_Delete(old);
        return 0;
    }
    /* the suite's order; the previous file's data and skipped entries of the tasks kept */
    cJSON *merged = cJSON_CreateObject(), *kept = cJSON_AddArrayToObject(prev, "kept");
    cJSON *data = cJSON_GetObjectItemCaseSensitive(res, "data"), *skipped = cJSON_GetObjectItemCaseSensitive(res, "skipped");
    for (int i = 0; i < NTASKS; i++) {
        const char *nm = TASKS[i].name;
        cJSON *t = cJSON_DetachItemFromObjectCaseSensitive(tasks, nm);
        if (t) {
            cJSON_AddItemToObject(merged, nm, t);
            continue;
        }
        if (!(ot = cJSON_GetObjectItemCaseSensitive(otasks, nm))) continue;
        cJSON_AddItemToObject(merged, nm, cJSON_Duplicate(ot, 1));
        cJSON_AddItemToArray(kept, cJSON_CreateString(nm));
        const char *folder = cJSON_GetObjectItemCaseSensitive(ot, "folder")->valuestring;
        size_t fl = strlen(folder);
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(old, "data"))
            if (!strncmp(f->string, folder, fl) && f->string[fl] == '/' && !cJSON_GetObjectItemCaseSensitive(data, f->string))
                cJSON_AddItemToObject(data, f->string, cJSON_Duplicate(f, 1));
    }
    cJSON_ArrayForEach(ot, cJSON_GetObjectItemCaseSensitive(old, "skipped"))
        if (!cJSON_GetObjectItemCaseSensitive(merged, ot->string) && !cJSON_GetObjectItemCaseSensitive(skipped, ot->string))
            cJSON_AddItemToObject(skipped, ot->string, cJSON_Duplicate(ot, 1));
    cJSON_ReplaceItemInObjectCaseSensitive(res, "tasks", merged);
    cJSON_Delete(old);
    return 0;
}

/* ------------------------------------------------------------ official data */

/* Items per UID of the official data, the constants of the official
 * collate_preds.py (_check_size), kept only where the files in
 * ../shared/data/babylm-eval confirm them item for item: BLiMP (67 UIDs;
 * fast: 200 each), supplement (fast: 50 each), entity tracking (fast: the
 * regular file's six), wug_adj (200) and reading (1,726 rows). EWoK, wug
 * past tense and COMPS are not there to check: those are compared with the
 * data folder's SHA256SUMS when it lists them, else left unchecked. The
 * official code lowercases the UIDs (principle_A_... is principle_a_...). */
typedef struct uid_size {
    const char *uid;
    int n;
} uid_size;

static const uid_size BLIMP_SIZES[] = {
    {"superlative_quantifiers_2", 986}, {"superlative_quantifiers_1", 979}, {"anaphor_gender_agreement", 971},
    {"principle_a_reconstruction", 967}, {"irregular_past_participle_adjectives", 961},
    {"sentential_subject_island", 961}, {"wh_island", 960}, {"left_branch_island_simple_question", 951},
    {"coordinate_structure_constraint_object_extraction", 949}, {"tough_vs_raising_1", 948},
    {"left_branch_island_echo_question", 947}, {"principle_a_c_command", 946},
    {"regular_plural_subject_verb_agreement_2", 945}, {"irregular_past_participle_verbs", 942},
    {"determiner_noun_agreement_with_adj_2", 941}, {"principle_a_domain_3", 941},
    {"determiner_noun_agreement_with_adjective_1", 933}, {"anaphor_number_agreement", 931},
    {"determiner_noun_agreement_2", 931}, {"existential_there_quantifiers_1", 930},
    {"determiner_noun_agreement_1", 929}, {"matrix_question_npi_licensor_present", 929}, {"adjunct_island", 928},
    {"existential_there_subject_raising", 924}, {"animate_subject_trans", 923}, {"drop_argument", 920},
    {"tough_vs_raising_2", 920}, {"wh_vs_that_with_gap", 919}, {"sentential_negation_npi_licensor_present", 919},
    {"principle_a_case_2", 915}, {"principle_a_domain_2", 915}, {"principle_a_domain_1", 914},
    {"npi_present_2", 914}, {"principle_a_case_1", 912}, {"existential_there_quantifiers_2", 911},
    {"wh_vs_that_with_gap_long_distance", 910}, {"npi_present_1", 909},
    {"coordinate_structure_constraint_complex_left_branch", 906}, {"passive_2", 903},
    {"wh_questions_subject_gap", 898}, {"animate_subject_passive", 895},
    {"irregular_plural_subject_verb_agreement_2", 892}, {"regular_plural_subject_verb_agreement_1", 890},
    {"only_npi_licensor_present", 882}, {"wh_vs_that_no_gap_long_distance", 875},
    {"distractor_agreement_relative_clause", 871}, {"sentential_negation_npi_scope", 871}, {"intransitive", 868},
    {"transitive", 868}, {"wh_vs_that_no_gap", 861}, {"wh_questions_object_gap", 859},
    {"wh_questions_subject_gap_long_distance", 857}, {"inchoative", 855}, {"complex_np_island", 846},
    {"passive_1", 840}, {"determiner_noun_agreement_with_adj_irregular_2", 840}, {"only_npi_scope", 837},
    {"ellipsis_n_bar_2", 828}, {"determiner_noun_agreement_irregular_2", 820}, {"causative", 818},
    {"existential_there_object_raising", 812}, {"irregular_plural_subject_verb_agreement_1", 804},
    {"ellipsis_n_bar_1", 802}, {"distractor_agreement_relational_noun", 788}, {"expletive_it_object_raising", 759},
    {"determiner_noun_agreement_with_adj_irregular_1", 718}, {"determiner_noun_agreement_irregular_1", 681},
    {NULL, 0}};
static const uid_size SUPPLEMENT_SIZES[] = {{"hypernym", 842}, {"qa_congruence_easy", 64},
    {"qa_congruence_tricky", 165}, {"subject_aux_inversion", 3867}, {"turn_taking", 280}, {NULL, 0}};
static const uid_size ENTITY_TRACKING_SIZES[] = {
    {"regular_0_ops", 606}, {"regular_1_ops", 607}, {"regular_2_ops", 606}, {"regular_3_ops", 606},
    {"regular_4_ops", 568}, {"regular_5_ops", 159}, {"ambiref_0_ops", 607}, {"ambiref_1_ops", 607},
    {"ambiref_2_ops", 604}, {"ambiref_3_ops", 604}, {"ambiref_4_ops", 615}, {"ambiref_5_ops", 187},
    {"move_contents_0_ops", 605}, {"move_contents_1_ops", 606}, {"move_contents_2_ops", 605},
    {"move_contents_3_ops", 606}, {"move_contents_4_ops", 529}, {"move_contents_5_ops", 156}, {NULL, 0}};
#define BLIMP_FAST_SIZE 200
#define SUPPLEMENT_FAST_SIZE 50
#define WUG_ADJ_SIZE 200
#define READING_SIZE 1726

/* The sha256 of each file of the official 2025 data (the organisers'
 * evaluation_data, as ../shared/data/babylm-eval holds it, entity tracking
 * by its uncompressed content: the files as distributed), so that an edited
 * item is seen where the data folder has no SHA256SUMS (the organisers'
 * download has none). The lines of that folder's SHA256SUMS, sorted:
 *   sort -k2 SHA256SUMS | awk '{printf "    {\"%s\", \"%s\"},\n", $2, $1}'
 * (entries over 120 columns wrapped). Folders not there (ewok_*,
 * entity_tracking_fast, wug_past_tense, comps) have no entries. */
typedef struct official_file {
    const char *path, *sha256;
} official_file;

static const official_file OFFICIAL_SHA256[] = {
    {"blimp_fast/adjunct_island.jsonl", "f0b43e74ceec4efc2524f4331897f77bd3073cc6b81013b7bef7042b833a3b52"},
    {"blimp_fast/anaphor_gender_agreement.jsonl", "91cabb226936fdcd776a42b9002dba0ebd4ad42c9c8314d0a9b1acd96e0b1178"},
    {"blimp_fast/anaphor_number_agreement.jsonl", "e5842f488517f6d6bbc6af086b7e1e39558dd98aef2e6d85f10e21dfe3aee160"},
    {"blimp_fast/animate_subject_passive.jsonl", "494dbee7ee60e6d738ead6da4b046f27ffadbbe0fdba370448f0dd663b500486"},
    {"blimp_fast/animate_subject_trans.jsonl", "279ca80d1c00e20c9e9c899708c867838675aaed116e07d4766ed66f688d0ada"},
    {"blimp_fast/causative.jsonl", "8ca103dce976a5bb54c2662d938f0f88c4106144a492c4e94253e1f18609a7ed"},
    {"blimp_fast/complex_NP_island.jsonl", "c604a8b3c01b70ddf4d7e490cff56b1f9198178684869ff201c31f80c2f3d330"},
    {"blimp_fast/coordinate_structure_constraint_complex_left_branch.jsonl",
     "58b90875e00bb4d84f51417ba78c497cb10c58c30af4971426c5cdd8dfac382b"},
    {"blimp_fast/coordinate_structure_constraint_object_extraction.jsonl",
     "d714a65436542613991a467831784e575b02cfb23550bc0f93170403e41efd8b"},
    {"blimp_fast/determiner_noun_agreement_1.jsonl",
     "5ffe38f4ddbdf52649b93714aa8461f86f83a20ea70e56954b3e27cab58fe16a"},
    {"blimp_fast/determiner_noun_agreement_2.jsonl",
     "ba89494896ca3735bf3c9576c38ee90869610048ccd87bd262849b6e5bd6aa63"},
    {"blimp_fast/determiner_noun_agreement_irregular_1.jsonl",
     "3c3e20c1513c969632c8d6b7c803af2799505d213dfaf9de49261a0cf29b88f2"},
    {"blimp_fast/determiner_noun_agreement_irregular_2.jsonl",
     "f9991a9b14487d1c8f9744044ad95bf3cd3872cc948d0a5c0046001e922bd5c6"},
    {"blimp_fast/determiner_noun_agreement_with_adj_2.jsonl",
     "e00717276dc8c0eba5ca023ce5ffc40c99104e4a7f270966047d3789be50cc5f"},
    {"blimp_fast/determiner_noun_agreement_with_adj_irregular_1.jsonl",
     "d9ef70cddcdb26b4da5f5ee75a029d5d9a7815eab13e803470454b6da89a1bd1"},
    {"blimp_fast/determiner_noun_agreement_with_adj_irregular_2.jsonl",
     "9395f390adbf2a4b8e1a6c47b7f5d031cf9f512559885d5abf8a13ae5add83c5"},
    {"blimp_fast/determiner_noun_agreement_with_adjective_1.jsonl",
     "7dc66d3d35832214dab5651468072175a0698d02b72a0123c639864e8469e5e6"},
    {"blimp_fast/distractor_agreement_relational_noun.jsonl",
     "41bb3701339cc97acf865cd720eacaf0d513f7e764972b32f00b37c98eafcf43"},
    {"blimp_fast/distractor_agreement_relative_clause.jsonl",
     "43fab885cdaf94536c941cf2e65882e246bcf2d1bdf336ca34062b0133dc2602"},
    {"blimp_fast/drop_argument.jsonl", "beef7acc3808c0e240d9e3c2366b76cbe3a790a92027f4ad7072effbcdc3bfd0"},
    {"blimp_fast/ellipsis_n_bar_1.jsonl", "c0f9b45349a64e56e42a3bcadbe0ef8de2defdf585bbb29670bded05cd86e5b4"},
    {"blimp_fast/ellipsis_n_bar_2.jsonl", "58ec22bbe53a322b4301b92ea67b9740a4a29785882e9eff4bb51024620ff740"},
    {"blimp_fast/existential_there_object_raising.jsonl",
     "cfdfbd32a8d0c042c8671a1565ed2e1d78fa34dd2fa6d2b15250969714947d89"},
    {"blimp_fast/existential_there_quantifiers_1.jsonl",
     "287fc091481a3599bcb356c7f06b5591f8c2357eb3847261021be70cf48ee78a"},
    {"blimp_fast/existential_there_quantifiers_2.jsonl",
     "732361c41bc8c420a49478491d2d9d803ce87ddabf7def5dbc58ea3b41c05506"},
    {"blimp_fast/existential_there_subject_raising.jsonl",
     "3b5f87c4216c384b6681e2689f3d351624a7d00783bbd9211859ed6f6d9ddfae"},
    {"blimp_fast/expletive_it_object_raising.jsonl",
     "1e43c6bcb657f73dc3bbe801474e2b33c17340a1831e0350b57a246239053ed4"},
    {"blimp_fast/inchoative.jsonl", "15e4f292d2e9267190126d5fa5c2dbd1e933e3bcaaa5bfa8a5761594d92bba15"},
    {"blimp_fast/intransitive.jsonl", "7e1d90304e52c382b3770db00190567ce61cd2d026c7ee166d43c7d3613549c1"},
    {"blimp_fast/irregular_past_participle_adjectives.jsonl",
     "f0e8089481f5973273379d53edde8bb394e12726425af2547e1efccd91985265"},
    {"blimp_fast/irregular_past_participle_verbs.jsonl",
     "4d0539c25a24d5d9e65d09bdace8d825e9aae908e37312b9745107e4779ed4bf"},
    {"blimp_fast/irregular_plural_subject_verb_agreement_1.jsonl",
     "a877a49912581ece39bf37ec4056c8690546905f35f9438b56b86abfe66c1f69"},
    {"blimp_fast/irregular_plural_subject_verb_agreement_2.jsonl",
     "fbe335fbfdfbcd2c0850f19473e7d5e5cbd6ddc209de7882b8588c81b81f0978"},
    {"blimp_fast/left_branch_island_echo_question.jsonl",
     "a0446a82664a1c3442652ba308ce8ef039a4097e3e8cd5c0fd0fd7026d93b4f6"},
    {"blimp_fast/left_branch_island_simple_question.jsonl",
     "04a60390475ee356058ff28aafaec9deaee9643e0efcd62b79f2f1a8fb4c625f"},
    {"blimp_fast/matrix_question_npi_licensor_present.jsonl",
     "8306cefb0a23a518202c1ecacd361dd2579d95dc545fb3f66d6ddc5a93be92ac"},
    {"blimp_fast/npi_present_1.jsonl", "30f9b2e5a8c62e668dda16e37f9f8ffd4ea1d3c934e83d5d14578d36c33a69b8"},
    {"blimp_fast/npi_present_2.jsonl", "8a4e6cd6f447010bf68fd92f4e53617a6d6bfd786485201f9e9cb93bc4d257cd"},
    {"blimp_fast/only_npi_licensor_present.jsonl", "e6e8238da16ec80285e7eafec437e7f2bf0bc93c704bfad9cde1ebe83db4b330"},
    {"blimp_fast/only_npi_scope.jsonl", "230d88198dc66c2ad4fe02d6ac8288d4e982fb416bc06f897995e93fdc32dba4"},
    {"blimp_fast/passive_1.jsonl", "337e2c7522cb48a1b0f3e7ffb4c0ee7f6664a14f199ce11775f0283f006f4ef1"},
    {"blimp_fast/passive_2.jsonl", "82d9b88a7f710387bbbb79875cd51bd20643beecc2313203f5cbe6ac7796c539"},
    {"blimp_fast/principle_A_c_command.jsonl", "2a18cde4aeb4a59148f7bb34970bf19f1d35cedeae10f1b95343e54edd2e89bb"},
    {"blimp_fast/principle_A_case_1.jsonl", "9880052a511b1cd29e338ba0f536f4c07560357d2867e3e5fc9d627c7b9ea4a9"},
    {"blimp_fast/principle_A_case_2.jsonl", "20bb16b721aa3ffa53e5def130f2067c4ad50a27d6cb9bbb161db8fb02f00c48"},
    {"blimp_fast/principle_A_domain_1.jsonl", "2bd00b2953794546c65c729a377ae2e1f8c037ba7ff010d5201442346f29090a"},
    {"blimp_fast/principle_A_domain_2.jsonl", "37e5c96792f453a2a5063ae1aec9b1abdde10ce16d5ce16ded03ab51212b401a"},
    {"blimp_fast/principle_A_domain_3.jsonl", "1409dbe4326916338e931562f2e23c084c326dd8930c87a8386601acb3cc8940"},
    {"blimp_fast/principle_A_reconstruction.jsonl", "d1604a587fe217a1591f271f53f8714dd669a775cd1f9160e70fad773204e6e1"},
    {"blimp_fast/regular_plural_subject_verb_agreement_1.jsonl",
     "a9c6bb022b0c04df8a6a77fe9a631385870cddd9acd98c2acdcf770fede3bb5e"},
    {"blimp_fast/regular_plural_subject_verb_agreement_2.jsonl",
     "bedf77ce7ef84b6404dce3556673fe450d265063bca50f9b93f5c9a20d0a8ac3"},
    {"blimp_fast/sentential_negation_npi_licensor_present.jsonl",
     "f11f7a48f9e2b8a19b7dc4cfbf19b18f2a01b5456eca1d7c9b334408e9076f54"},
    {"blimp_fast/sentential_negation_npi_scope.jsonl",
     "00be8ad809e13fb2dfad32b4e8eca006fe5c8d5ccfdd6ab06fad32f5d8a823ed"},
    {"blimp_fast/sentential_subject_island.jsonl", "255543b72c2e0e1269c32a68d5edd08d07deaaedfbc49c8036a4b35632be08e0"},
    {"blimp_fast/superlative_quantifiers_1.jsonl", "0cb12f9ca3a85b6fcf8731cac7d56d0d4702bcd609b6f31ee05a24e1a4ca03b9"},
    {"blimp_fast/superlative_quantifiers_2.jsonl", "55c314118cf368e43e0359a00291cdbe56ac09390592eb5b5f0d346f24e7a273"},
    {"blimp_fast/tough_vs_raising_1.jsonl", "862c503e3a8ce2c683c74137c72f9c46598f71e8fbd7f389f99fb233ce000bfc"},
    {"blimp_fast/tough_vs_raising_2.jsonl", "9786b6a3faa7522ba840cb5f2f7342d9b3acc0d01fcee29cfb1fa8385edd0364"},
    {"blimp_fast/transitive.jsonl", "9487d61d16cb99eec8a44730b2c7b5a04cb334cfad9b4c76c334004c518be648"},
    {"blimp_fast/wh_island.jsonl", "1e09c3aa762fd591a2968e7628bd3c8d455a8a598bb6bb0246c854c998790584"},
    {"blimp_fast/wh_questions_object_gap.jsonl", "580157666019105f386d531d095c14c719a39e001e9f68b045fa9a04bc4c9eab"},
    {"blimp_fast/wh_questions_subject_gap.jsonl", "7dc383e73f292049f815d35920934e9b1c47f9f36811a50914dabef5ea61e267"},
    {"blimp_fast/wh_questions_subject_gap_long_distance.jsonl",
     "ad9b341c8149a47061c15bc7fe3d4c372067f27016ec501b93149e60c72dcb54"},
    {"blimp_fast/wh_vs_that_no_gap.jsonl", "8467f501d768fe34b861ce95d7e887770d0647def26b8ddaa3ebe9f9cb1d2ffe"},
    {"blimp_fast/wh_vs_that_no_gap_long_distance.jsonl",
     "485aa9c1720bf4d677992a24a1ef41fa53dd181b6adf8e4dc085f2366769058f"},
    {"blimp_fast/wh_vs_that_with_gap.jsonl", "9c88f87bbc197aeaec44462e80a7e9c777e6685cd8088b9bee8d26c819138de5"},
    {"blimp_fast/wh_vs_that_with_gap_long_distance.jsonl",
     "6866191ec68f96d746eafcc1b8221859ad3fce0c3e15d5c8dc7671db7ca8f20a"},
    {"blimp_filtered/adjunct_island.jsonl", "0b4f2feeeac8c8c26908fdc7847883bccc0d5c71c423fcc59526c6996d7fb48a"},
    {"blimp_filtered/anaphor_gender_agreement.jsonl",
     "726e5d5b163c26ef6c9e2d2ec4fff6c7c19d48ef089fb4d84429a38fa3aadee0"},
    {"blimp_filtered/anaphor_number_agreement.jsonl",
     "9a096c82dba58f62434816d9b77317e458dfaa43276470ffe566df94bf625bc3"},
    {"blimp_filtered/animate_subject_passive.jsonl",
     "a0f46ddc0bd9b03ac9110c4f78027aca5240ff21b5f58ccd6ad6726ac2979ca6"},
    {"blimp_filtered/animate_subject_trans.jsonl", "5adad562f2ebd40035e1224741ed6bedda39e250961a0bc883fcb86748db4235"},
    {"blimp_filtered/causative.jsonl", "ff1f0c8e87722d60ae890841ec2becb5a7690f3b33d24ac1281e5330ee5b49a1"},
    {"blimp_filtered/complex_NP_island.jsonl", "d0e8ba538e57bad749fe9d443c2831d90e83af00921d517795d99ef5057db9e1"},
    {"blimp_filtered/coordinate_structure_constraint_complex_left_branch.jsonl",
     "b35d04c62d979074faf20a79a7f2a1a941aa4e36e3be0deac7761673256a4d1c"},
    {"blimp_filtered/coordinate_structure_constraint_object_extraction.jsonl",
     "eee09da7f82cd5ee5ac41162d6c22b250a846b59f46f4c441ec62e2bf5a026e1"},
    {"blimp_filtered/determiner_noun_agreement_1.jsonl",
     "03d9aa691d4b73cd88e11cc29ce1ffc5bdd7193c51c54be8528d0ca769129eda"},
    {"blimp_filtered/determiner_noun_agreement_2.jsonl",
     "252963d44176313bb6e8e7de8731262a7d6bfe99456d56c4cbb2a70673027704"},
    {"blimp_filtered/determiner_noun_agreement_irregular_1.jsonl",
     "8c085e9b9b896f51c68c5d55ab96e6104ae6370e643c4a9b6c5d741c245708c0"},
    {"blimp_filtered/determiner_noun_agreement_irregular_2.jsonl",
     "ff26de5c3ee9d833ea5aff76810667b03d3cf789784c946a00057563af1acddd"},
    {"blimp_filtered/determiner_noun_agreement_with_adj_2.jsonl",
     "2c18fa13d093ab036866b5ecb04571c4b618bcbbf6d46d9d9ce4fea435e9d295"},
    {"blimp_filtered/determiner_noun_agreement_with_adj_irregular_1.jsonl",
     "9340a9c445fd698e4db83f4c27c8e9844f3146d7c9e7a824b5ebc88e9a457eca"},
    {"blimp_filtered/determiner_noun_agreement_with_adj_irregular_2.jsonl",
     "93fdeb726e7b3b33186f8ebec15178efdf87a05645e3f241e2414cbc4a3b08d9"},
    {"blimp_filtered/determiner_noun_agreement_with_adjective_1.jsonl",
     "2bd8560d0ae8dadbd007470f0edb144f701634d89f03a17d270008c7778cd625"},
    {"blimp_filtered/distractor_agreement_relational_noun.jsonl",
     "5687edeac9d7441e0adca066c5fa96283a6bff4203aae37780dd5c613ac8672e"},
    {"blimp_filtered/distractor_agreement_relative_clause.jsonl",
     "9834935576750042547b9e83d0dc2738ae905fe921a970c89ff0022eb636b1ae"},
    {"blimp_filtered/drop_argument.jsonl", "2796e2e62f7e19726ea846e91ecb53e7232a70b0a5b6ba185f5bc7239028f940"},
    {"blimp_filtered/ellipsis_n_bar_1.jsonl", "994ef730be5783bc45dd035ee0d0604e81376b96522bf8409e8090d7958876e7"},
    {"blimp_filtered/ellipsis_n_bar_2.jsonl", "08a40b94a61efee289cd225924dd38d74b5d578d9d343b75ab4971010d5715f1"},
    {"blimp_filtered/existential_there_object_raising.jsonl",
     "1a531337e5daf6d1f9788e928bb78a25cb0d1361033550f97178e161726736bb"},
    {"blimp_filtered/existential_there_quantifiers_1.jsonl",
     "7b4aa5d9cb2735e64310cbe623e28ab6e81a9bbda3f65d408bbc95c43815685c"},
    {"blimp_filtered/existential_there_quantifiers_2.jsonl",
     "d4b649fcc13bc5ba390ff91ded0464340c39d0719ebfaa082d237a5f607113ce"},
    {"blimp_filtered/existential_there_subject_raising.jsonl",
     "436236db69b7a6c0ddd0a1820d97d510b2ea2d0bb1415c0744c6fe8d404f04dd"},
    {"blimp_filtered/expletive_it_object_raising.jsonl",
     "c0acde5e83c1b4bd19acd81ef0485daa19f17bf2e2ee2aa4ba538260d8fdf57d"},
    {"blimp_filtered/inchoative.jsonl", "f23f2687c33298c75d583e2bed32b2978b2c5b3cb1222d283cd2141e0e19e2a0"},
    {"blimp_filtered/intransitive.jsonl", "cd57ea044ee3226eda0e6649ae51ecc0ff01621c05745a1782ac1f5b9bb41ef1"},
    {"blimp_filtered/irregular_past_participle_adjectives.jsonl",
     "346545feb4d37d48552ffc5366584d55723cdd609fd9c350995ec511ccaeea6a"},
    {"blimp_filtered/irregular_past_participle_verbs.jsonl",
     "177d48c02d91edcec179bad119a20e474c724ddd3b8a78eeb29a90e23f00a893"},
    {"blimp_filtered/irregular_plural_subject_verb_agreement_1.jsonl",
     "8a8e3ffc578452de40c05e96ba76cde5b950d4b003d8980f6c17d301a8ed58b5"},
    {"blimp_filtered/irregular_plural_subject_verb_agreement_2.jsonl",
     "6d157c760a8be53f7a02d7464687ee10b8985afcf1f3f51c4431523dea2a844d"},
    {"blimp_filtered/left_branch_island_echo_question.jsonl",
     "cfa75f6584f4ef9af72feea3f6e7d624adffa9c554745bd0ba8c96c7f2476835"},
    {"blimp_filtered/left_branch_island_simple_question.jsonl",
     "60df4320859a807c69e7320853e5d439ba6cf1c3dceae489b8cced11cba09ee2"},
    {"blimp_filtered/matrix_question_npi_licensor_present.jsonl",
     "47a7fd49341a32993b762a4daa55f1694deb84184378e22f5e02ba08df400246"},
    {"blimp_filtered/npi_present_1.jsonl", "0150e6e51d48bde7520cb047682999af4f958eae41cb3f5ab40c846787bf44bf"},
    {"blimp_filtered/npi_present_2.jsonl", "fb358e96486b71605ae686e02324d9ea4c85c9ff3a8e42f065ab7d736a496df4"},
    {"blimp_filtered/only_npi_licensor_present.jsonl",
     "26df99e9824ee6b69e2fd5f4a51ff56bb3f0cd0ccbc9a6f65ba699a271b2e287"},
    {"blimp_filtered/only_npi_scope.jsonl", "f2ca338ace8810d109429d6e68ca1c802675af31466de0287ba92143e33b56bc"},
    {"blimp_filtered/passive_1.jsonl", "e11fb302e4bfd265711797a361dfe1e9f67f008f5b6b1f331f5cda799272c10f"},
    {"blimp_filtered/passive_2.jsonl", "ce094e69c724ae62d60dea98f0e70eb43b76f2b710a4eee9bfe771e4be1f4e60"},
    {"blimp_filtered/principle_A_c_command.jsonl", "fd87dc5923d9b7a9746a1f81368cc72461a170f742cd36cba068b0b9e82059ab"},
    {"blimp_filtered/principle_A_case_1.jsonl", "999320d075001af21ddcbdcfe37c79f5c2ef7059babbbb74453e1a682d57fb8b"},
    {"blimp_filtered/principle_A_case_2.jsonl", "037c6f444228aec72bea04e95205703576f29b6e100ebeaa0312ea23e6f8bfd6"},
    {"blimp_filtered/principle_A_domain_1.jsonl", "e5ccd8d666c0ea41db83d49e737bc9955ff9e057b1218ea65bfb8f3d83e15e13"},
    {"blimp_filtered/principle_A_domain_2.jsonl", "1aed7bcf1ba75151bcb268ae58cf103244e36061e473301d48670d646352ac80"},
    {"blimp_filtered/principle_A_domain_3.jsonl", "c25090413cb33c31193d30e214ca26aca7dd9ddf7c4436b6edac07904ea91721"},
    {"blimp_filtered/principle_A_reconstruction.jsonl",
     "efa433bb7a05e7776b1bffd2829642c92df26c2d76d24f8522246c34439d9cbb"},
    {"blimp_filtered/regular_plural_subject_verb_agreement_1.jsonl",
     "b2a65c1f2a602c4f8081f2aaf58f65a618ab6d665d97330a046f3b5da700327d"},
    {"blimp_filtered/regular_plural_subject_verb_agreement_2.jsonl",
     "5a0da162b326bc38384b5e5bad1fc436782d7eb53863dc7ee4ab13716cef73e6"},
    {"blimp_filtered/sentential_negation_npi_licensor_present.jsonl",
     "4391b597185d481469dbf8c5d80102d1e8a331c577fa6b6e6b4072a781dedfaf"},
    {"blimp_filtered/sentential_negation_npi_scope.jsonl",
     "d1da967b590037f75556798f417e5c4f7f2f219988675be239f931b004134270"},
    {"blimp_filtered/sentential_subject_island.jsonl",
     "311b29f8e221bfb4a277d4668a41f03cfc6bf10cf1672bb9f9ea5703be97ae55"},
    {"blimp_filtered/superlative_quantifiers_1.jsonl",
     "5fc1cd93dd87a66e99d54267bdd93a9d43d60581c080ba4b07f30df16fd09533"},
    {"blimp_filtered/superlative_quantifiers_2.jsonl",
     "5b506244f14a15b76800d4fccff2c69969dd8a78037ba2f2803c0887181a9cb0"},
    {"blimp_filtered/tough_vs_raising_1.jsonl", "ffd40653b84443583ca7e99a8d9ffbb521b32f6b3970068448da891080b5932f"},
    {"blimp_filtered/tough_vs_raising_2.jsonl", "2e9c8e060ba202f7ab70cf5c2b4814809cfb51492600bdd247d3273f59767925"},
    {"blimp_filtered/transitive.jsonl", "aef85a75f505afd0932009bb6383ab93ac1049a16ed0d83c93f464964363cf84"},
    {"blimp_filtered/wh_island.jsonl", "cd0039cdcb6a9d25eb2a6cbdf7fe4dd325af0545696143aa38aa77806486898e"},
    {"blimp_filtered/wh_questions_object_gap.jsonl",
     "aef42c33ede354cc981bf26c7b278e5e321fd8b14e9bf909b9bc3e4565a0cc16"},
    {"blimp_filtered/wh_questions_subject_gap.jsonl",
     "71d07f65b18f1d83307796e43273ba795925f847cafe3dc9203e453fc400a07b"},
    {"blimp_filtered/wh_questions_subject_gap_long_distance.jsonl",
     "6a3718d0780aaf4ae3d59a1d2edc134abe531f60f0bc15c84e70651e6117b3d8"},
    {"blimp_filtered/wh_vs_that_no_gap.jsonl", "8fab09f7b1759ff1da543d78000fe0df2969bcaf3cd7ae0000b841022884fab7"},
    {"blimp_filtered/wh_vs_that_no_gap_long_distance.jsonl",
     "bbc89b0851030c9d0aa77b60f735982c1cfcb5c6e2e9f670d9db8040148e9aa7"},
    {"blimp_filtered/wh_vs_that_with_gap.jsonl", "afb4d60c721b65f7040ae36aa724c889f36c709d8af1e2eadb8a07e13dc721f9"},
    {"blimp_filtered/wh_vs_that_with_gap_long_distance.jsonl",
     "cc2bd762fcb12353fd9f66fcfa196fc894615aeea4bad9cd3dc067d4c76a4614"},
    {"entity_tracking/ambiref.jsonl", "2167978ef9d1916fc47c2c2260e8dda63ba8658da419addffc4058b144efd6eb"},
    {"entity_tracking/move_contents.jsonl", "be3bddc321c6d48bcd8b9bc91551318aba06e583431f71136e35bc0469999622"},
    {"entity_tracking/regular.jsonl", "47382f53407b245cf1fdaa37e19b7eddadb796ebb555fc83ff9ef68bb705969e"},
    {"reading/reading_data.csv", "45204bc7ccfb10bdb6140797b5e60e83e9a85cc62d195a84ad4566cb429f0065"},
    {"supplement_fast/hypernym.jsonl", "0e0d0c3b0b0d86f71a00ba5d9759c4af8ccbd03384262857c38240c6c9ebcd76"},
    {"supplement_fast/qa_congruence_easy.jsonl", "3a5a0616f3539c2110b4d1e25ddfe1e85a9d8d36f6433e15626f0a14e096973b"},
    {"supplement_fast/qa_congruence_tricky.jsonl", "75de5ae2fd2467674e8fc77eb00bf89e2822e9bc4c9aa6e5d9ccd49b11f84ed9"},
    {"supplement_fast/subject_aux_inversion.jsonl", "85bbef86bc72607cc1f0b99b8e35078e41ffedd61f49ddec1b40418cfda5bf4d"},
    {"supplement_fast/turn_taking.jsonl", "d784fa1359113924c1ebb450ef7d7aef9299459f1cae2e7f142acdb81b2b1b64"},
    {"supplement_filtered/hypernym.jsonl", "4f8a46b377aa3c84275f3f812b14ed3266d0354aa13be9c94610eb287d17659f"},
    {"supplement_filtered/qa_congruence_easy.jsonl",
     "25c94dc5ef2ad7d8012a9695100e525a424135c94650e0dba1f74dbc10d44887"},
    {"supplement_filtered/qa_congruence_tricky.jsonl",
     "8df41ef003adb0ca43ba6b286cf406925f3f766c5a59b1c9a96e05326c0a2334"},
    {"supplement_filtered/subject_aux_inversion.jsonl",
     "2a246a1ac90dd79d68e4c10e3f5ba81fd4a8563e385193a60c658c671aabb865"},
    {"supplement_filtered/turn_taking.jsonl", "a350fdbd8669e9f84e2608503ed94af1cfe5bf29ceda9a3e0a2c3efc9665c9db"},
    {"wug_adj_nominalization/wug_adj_nominalization.jsonl",
     "f308a861e0861ef4d6a25c1e5a43ef4f29cd8238362a3bf9dd5855f0a78177d4"},
    {NULL, NULL}};

static int same_uid(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if ((*a >= 'A' && *a <= 'Z' ? *a + 32 : *a) != (*b >= 'A' && *b <= 'Z' ? *b + 32 : *b)) return 0;
    return *a == *b;
}

/* Appends "what: a, b, c (and N more)" for names[0..n) to why. */
static void add_names(cJSON *why, const char *what, const char **names, int n)
{
    if (!n) return;
    char buf[1024];
    int at = snprintf(buf, sizeof buf, "%s: ", what);
    for (int i = 0; i < n && i < 5 && at < (int)sizeof buf; i++)
        at += snprintf(buf + at, sizeof buf - (size_t)at, "%s%s", i ? ", " : "", names[i]);
    if (n > 5 && at < (int)sizeof buf) snprintf(buf + at, sizeof buf - (size_t)at, " (and %d more)", n - 5);
    cJSON_AddItemToArray(why, cJSON_CreateString(buf));
}

/* Counts of task tr (its "uids" totals, or "items") against the official
 * sizes; differences go to why. 0 = no sizes known for this task. */
static int check_counts(const char *task, int fast, const cJSON *tr, cJSON *why)
{
    const uid_size *tab = NULL;
    int each = 0;
    const char *prefix = NULL; /* entity tracking's fast subset: the regular file's UIDs */
    if (!strcmp(task, "blimp")) tab = BLIMP_SIZES, each = fast ? BLIMP_FAST_SIZE : 0;
    else if (!strcmp(task, "supplement")) tab = SUPPLEMENT_SIZES, each = fast ? SUPPLEMENT_FAST_SIZE : 0;
    else if (!strcmp(task, "entity_tracking")) tab = ENTITY_TRACKING_SIZES, prefix = fast ? "regular_" : NULL;
    else if (!strcmp(task, "wug_adj") || !strcmp(task, "reading")) {
        int want = !strcmp(task, "reading") ? READING_SIZE : WUG_ADJ_SIZE;
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(tr, "items");
        int got = cJSON_IsNumber(it) ? it->valueint : -1;
        if (got != want) {
            char buf[160];
            snprintf(buf, sizeof buf, "%d %s, the official data has %d", got,
                     !strcmp(task, "reading") ? "rows" : "items", want);
            cJSON_AddItemToArray(why, cJSON_CreateString(buf));
        }
        return 1;
    } else
        return 0;
    const cJSON *uids = cJSON_GetObjectItemCaseSensitive(tr, "uids"), *u;
    const char *missing[128], *unknown[128];
    int nmiss = 0, nunk = 0;
    for (const uid_size *s = tab; s->uid; s++) {
        if (prefix && strncmp(s->uid, prefix, strlen(prefix))) continue;
        int want = each ? each : s->n;
        const cJSON *found = NULL;
        cJSON_ArrayForEach(u, uids) if (same_uid(u->string, s->uid)) found = u;
        if (!found) {
            if (nmiss < 128) missing[nmiss++] = s->uid;
            continue;
        }
        const cJSON *tot = cJSON_GetObjectItemCaseSensitive(found, "total");
        int got = cJSON_IsNumber(tot) ? tot->valueint : -1;
        if (got != want) {
            char buf[300];
            snprintf(buf, sizeof buf, "%s: %d items, the official data has %d", found->string, got, want);
            cJSON_AddItemToArray(why, cJSON_CreateString(buf));
        }
    }
    cJSON_ArrayForEach(u, uids) {
        int known = 0;
        for (const uid_size *s = tab; s->uid && !known; s++)
            known = (!prefix || !strncmp(s->uid, prefix, strlen(prefix))) && same_uid(u->string, s->uid);
        if (!known && nunk < 128) unknown[nunk++] = u->string;
    }
    add_names(why, "official UIDs missing", missing, nmiss);
    add_names(why, "UIDs not in the official data", unknown, nunk);
    return 1;
}

/* The data folder's SHA256SUMS ("hex  path" lines, paths under the folder),
 * as an object path -> hex; NULL when there is none. */
static cJSON *load_sums(const char *data)
{
    char p[4096], *txt = NULL;
    size_t len;
    blalm_err ig;
    snprintf(p, sizeof p, "%s/SHA256SUMS", data);
    if (!file_exists(p) || read_file(p, &txt, &len, &ig) < 0) return NULL;
    cJSON *sums = cJSON_CreateObject();
    for (char *line = txt, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) *nl = 0;
        char hex[65], path[4096];
        if (sscanf(line, "%64s %4095s", hex, path) == 2 && strlen(hex) == 64)
            cJSON_AddStringToObject(sums, path[0] == '*' ? path + 1 : path, hex); /* '*': sha256sum's binary mode */
    }
    free(txt);
    return sums;
}

/* OFFICIAL_SHA256 as an object path -> hex, as load_sums returns. */
static cJSON *official_sums(void)
{
    cJSON *sums = cJSON_CreateObject();
    for (const official_file *f = OFFICIAL_SHA256; f->path; f++) cJSON_AddStringToObject(sums, f->path, f->sha256);
    return sums;
}

/* Task tr's files (data entries under its folder) against sums (what names
 * them: "SHA256SUMS", "the official data"), by the content's sha256 (a
 * compressed file's is of its uncompressed content, which sums lists): a
 * file not listed, listed with another hash, or listed but not read.
 * 0 = sums lists nothing in the folder. */
static int check_sums(const cJSON *sums, const char *what, const char *task, int fast, const cJSON *tr,
                      const cJSON *data, cJSON *why)
{
    const cJSON *folder = cJSON_GetObjectItemCaseSensitive(tr, "folder"), *f;
    if (!sums || !cJSON_IsString(folder)) return 0;
    size_t fl = strlen(folder->valuestring);
    int listed = 0;
    cJSON_ArrayForEach(f, sums) listed += !strncmp(f->string, folder->valuestring, fl) && f->string[fl] == '/';
    if (!listed) return 0;
    const char *bad[128], *unlisted[128], *unread[128];
    int nbad = 0, nunl = 0, nunr = 0;
    cJSON_ArrayForEach(f, data) {
        if (strncmp(f->string, folder->valuestring, fl) || f->string[fl] != '/') continue;
        char key[1024];
        snprintf(key, sizeof key, "%s", f->string);
        size_t kl = strlen(key);
        if (kl > 4 && !strcmp(key + kl - 4, ".zst")) key[kl - 4] = 0;
        else if (kl > 3 && !strcmp(key + kl - 3, ".gz")) key[kl - 3] = 0;
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(sums, key);
        const char *got = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "sha256"));
        if (!want) {
            if (nunl < 128) unlisted[nunl++] = f->string;
        } else if (!got || strcmp(got, want->valuestring)) {
            if (nbad < 128) bad[nbad++] = f->string;
        }
    }
    cJSON_ArrayForEach(f, sums) {
        if (strncmp(f->string, folder->valuestring, fl) || f->string[fl] != '/') continue;
        /* the fast suite's entity tracking reads the regular file alone */
        if (fast && !strcmp(task, "entity_tracking") && strncmp(f->string + fl + 1, "regular.", 8)) continue;
        int read = 0;
        const cJSON *g;
        cJSON_ArrayForEach(g, data) {
            size_t gl = strlen(f->string);
            if (!strncmp(g->string, f->string, gl) &&
                (!g->string[gl] || !strcmp(g->string + gl, ".zst") || !strcmp(g->string + gl, ".gz")))
                read = 1;
        }
        if (!read && nunr < 128) unread[nunr++] = f->string;
    }
    char label[128];
    snprintf(label, sizeof label, "content differs from %s", what);
    add_names(why, label, bad, nbad);
    snprintf(label, sizeof label, "not in %s", what);
    add_names(why, label, unlisted, nunl);
    snprintf(label, sizeof label, "in %s, not read", what);
    add_names(why, label, unread, nunr);
    return 1;
}

/* Marks every task of res (kept ones too) "official_data": true when its
 * item counts equal the official data's and its files the data folder's
 * SHA256SUMS and the official files' sha256 built in (OFFICIAL_SHA256;
 * where any is known), false with the differences in
 * "data_check", or null when neither can be checked (saying so in
 * "data_check"); res's own "official_data" is false when a task's is,
 * else null when one is unchecked, else true. A score on other data is no
 * BabyLM score, whatever the table shows, so it is marked, not hidden. */
static void mark_official(const eval_opts *o, cJSON *res)
{
    cJSON *sums = load_sums(o->data), *official = official_sums(), *t;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(res, "data");
    int fast = !strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(res, "suite")), "fast");
    int any_false = 0, any_null = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(res, "tasks")) {
        cJSON_DeleteItemFromObjectCaseSensitive(t, "official_data");
        cJSON_DeleteItemFromObjectCaseSensitive(t, "data_check");
        cJSON *why = cJSON_CreateArray();
        int counted = check_counts(t->string, fast, t, why);
        int n = cJSON_GetArraySize(why);
        int summed = check_sums(sums, "SHA256SUMS", t->string, fast, t, data, why);
        /* the official files' own hashes: what a folder without SHA256SUMS
         * (the organisers' download) is checked by, and what catches an
         * item edited along with SHA256SUMS */
        cJSON *owhy = cJSON_CreateArray();
        summed |= check_sums(official, "the official data", t->string, fast, t, data, owhy);
        if (cJSON_GetArraySize(why) == n) /* SHA256SUMS said it already: not twice */
            while (cJSON_GetArraySize(owhy)) cJSON_AddItemToArray(why, cJSON_DetachItemFromArray(owhy, 0));
        cJSON_Delete(owhy);
        if (cJSON_GetArraySize(why)) {
            cJSON_AddFalseToObject(t, "official_data");
            any_false = 1;
        } else if (counted || summed) {
            cJSON_AddTrueToObject(t, "official_data");
        } else {
            cJSON_AddNullToObject(t, "official_data");
            cJSON_AddItemToArray(why, cJSON_CreateString("not checked: blalm knows no official item counts or files "
                                                         "for this task and the data folder's SHA256SUMS does not "
                                                         "list it"));
            any_null = 1;
        }
        if (cJSON_GetArraySize(why)) cJSON_AddItemToObject(t, "data_check", why);
        else cJSON_Delete(why);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(res, "official_data");
    cJSON_AddItemToObject(res, "official_data", any_false ? cJSON_CreateFalse()
                                                : any_null ? cJSON_CreateNull() : cJSON_CreateTrue());
    cJSON_Delete(sums), cJSON_Delete(official);
}

/* "overall", the BabyLM average: the mean of the scores of every task of
 * the suite (fast: all but comps; full: all eight; reading counts as two,
 * eye tracking and self-paced reading), or null when one lacks a score,
 * with those tasks in "overall_missing". The official pipeline
 * (collate_preds.py) refuses results that lack a task of the suite; an
 * average over some of the tasks is not that average. */
static void add_overall(cJSON *res, int fast)
{
    const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(res, "tasks");
    cJSON *missing = cJSON_CreateArray();
    double sum = 0;
    int n = 0;
    for (int i = 0; i < NTASKS; i++) {
        const task_def *d = &TASKS[i];
        if (fast && !d->in_fast) continue;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(tasks, d->name);
        const char *keys[2] = {"score", NULL};
        if (d->kind == K_READING) keys[0] = "eye_tracking", keys[1] = "self_paced_reading";
        int ok = t != NULL;
        for (int k = 0; ok && k < 2 && keys[k]; k++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, keys[k]);
            if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) sum += v->valuedouble, n++;
            else ok = 0;
        }
        if (!ok) cJSON_AddItemToArray(missing, cJSON_CreateString(d->name));
    }
    int complete = !cJSON_GetArraySize(missing);
    cJSON_AddItemToObject(res, "overall", complete ? cJSON_CreateNumber(sum / n) : cJSON_CreateNull());
    cJSON_AddItemToObject(res, "overall_missing", missing);
    cJSON_AddNumberToObject(res, "scores_averaged", complete ? n : 0);
}

int eval_run(const eval_opts *o, cJSON **result, blalm_err *e)
{
    *result = NULL;
    if (!o->run || !o->data) return err_set(e, "eval needs a run and a data folder");
    if (eval_check_tasks(o->tasks, e) < 0) return err_prefix(e, "tasks");
    if (eval_in_list(o->tasks, "aoa"))
        return err_set(e, "aoa: age of acquisition needs every milestone checkpoint (--all-checkpoints)");
    if (!is_dir(o->data))   /* else every task is "skipped: no data" and an empty result is written */
        return err_set(e, "%s: %s (the BabyLM evaluation data folder)", o->data,
                       file_exists(o->data) ? "not a folder" : "no such folder");
    char p[4096], ck[4096], name[1024];
    if (run_checkpoint_name(o->checkpoint, name, sizeof name, e) < 0 ||
        run_checkpoint_path(o->run, name, ck, sizeof ck, e) < 0)
        return -1;
    double t0 = now_seconds();
    model_config cfg;
    ckpt_pos pos;
    model *m = NULL;
    bpe_tokenizer *tok = NULL;
    encoder x = {0};
    FILE *df = NULL;
    cJSON *res = NULL;
    scorer sc = {0};
    pred_file *pf = NULL;
    int npf = 0, rc = -1;
    if (ckpt_read_config(ck, &cfg, e) < 0) return -1;
    if (!(m = model_create(&cfg, e))) return -1;
    if (ckpt_load(ck, m, NULL, NULL, &pos, e) < 0) goto out;
    char ck_sha[65], tok_sha[65]; /* what the results were computed on (merge_previous) */
    if (sha256_file_hex(ck, ck_sha, e) < 0) goto out;
    snprintf(p, sizeof p, "%s/tokenizer.json", o->run);
    if (ckpt_check_tokenizer(ck, &pos, p, cfg.vocab_size, e) < 0) goto out;
    if (!(tok = bpe_load(p, e)) || sha256_file_hex(p, tok_sha, e) < 0) goto out;
    if ((int)bpe_vocab_size(tok) != cfg.vocab_size) {
        err_set(e, "%s: vocabulary %u, the model has %d", p, bpe_vocab_size(tok), cfg.vocab_size);
        goto out;
    }
    if (o->score_first_token && bpe_eot_id(tok) == BPE_NO_ID) {
        err_set(e, "%s: no %s token for --score-first-token", p, BPE_EOT);
        goto out;
    }
    x.tok = tok;
    x.first_token = o->score_first_token;
    if (!(x.enc = bpe_encoder_new(tok, e))) goto out;
    /* threads work on whole batches, each with single-threaded BLAS */
    model_set_threads(1);
    if (o->dump && !(df = fopen(o->dump, "w"))) {
        err_errno(e, "%s", o->dump);
        goto out;
    }

    res = cJSON_CreateObject();
    add_run_path(res, o->run);
    cJSON_AddStringToObject(res, "checkpoint", name);
    cJSON_AddStringToObject(res, "checkpoint_sha256", ck_sha);
    cJSON_AddStringToObject(res, "tokenizer_sha256", tok_sha);
    cJSON_AddStringToObject(res, "model", cfg.name);
    cJSON_AddNumberToObject(res, "params", (double)model_num_params(m));
    cJSON_AddNumberToObject(res, "step", (double)pos.step);
    cJSON_AddNumberToObject(res, "tokens_seen", (double)pos.tokens_seen);
    cJSON_AddNumberToObject(res, "words_seen", pos.words_seen);
    cJSON_AddStringToObject(res, "suite", o->fast ? "fast" : "full");
    cJSON_AddStringToObject(res, "scoring",
                            o->score_first_token
                                ? "NOT OFFICIAL: <|endoftext|> prefixed, first token scored"
                                : "official (nothing prepended, first token not scored)");
    cJSON_AddBoolToObject(res, "score_first_token", o->score_first_token);
    cJSON *tasks = cJSON_AddObjectToObject(res, "tasks"), *skipped = cJSON_CreateObject();
    cJSON *data = cJSON_CreateObject();
    sc = (scorer){m, o->batch_tokens, NULL, o->progress, o->arg, 0, 0, o->threads > 0 ? o->threads : 1,
                  o->full_logits, NULL, 0};
    for (int ti = 0; ti < NTASKS; ti++) {
        const task_def *d = &TASKS[ti];
        char dir[4096];
        task_state t;
        reading rd;
        const char *sub;
        ctx c = {o, &x, 0, cfg.context}; /* an item too long for the model is refused as read, by file and line */
        int lr = task_load(&c, d, &t, &rd, dir, &sub, skipped, e);
        if (lr < 0) {
            cJSON_Delete(skipped), cJSON_Delete(data);
            goto out;
        }
        if (lr == 0) continue;
        sc.task = d->name;
        if (score_jobs(&sc, &t.J, e) < 0) {
            free(rd.rows);
            task_free(&t);
            cJSON_Delete(skipped), cJSON_Delete(data);
            goto out;
        }
        double score = NAN;
        cJSON *tr;
        if (d->kind == K_READING) {
            double eye, spr;
            tr = aggregate_reading(&t, &rd, &eye, &spr);
        } else {
            tr = d->kind == K_WUG ? aggregate_wug(&t, &score) : aggregate_acc(&t, &score);
            cJSON_AddStringToObject(tr, "metric", d->kind == K_WUG ? "spearman_x100" : "accuracy");
            cJSON_AddItemToObject(tr, "score", num_or_null(score));
        }
        cJSON_AddNumberToObject(tr, "sequences", t.J.n);
        cJSON_AddStringToObject(tr, "folder", sub);
        cJSON_AddItemToObject(tasks, d->name, tr);
        while (t.files->child) { /* move the files' hashes into "data" */
            cJSON *f = cJSON_DetachItemViaPointer(t.files, t.files->child);
            char *key = f->string;
            f->string = NULL;
            cJSON_AddItemToObject(data, key, f);
            free(key);
        }
        if (df) {
            if (d->kind == K_READING) {
                dump_reading(df, &t, o->dump_every > 0 ? o->dump_every : 50);
                dump_reading_rows(df, &t, &rd);
            }
            else dump_task(df, &t);
        }
        if (o->predictions) { /* written with the results, once every task is scored */
            pred_file *q = realloc(pf, ((size_t)npf + 1) * sizeof *pf);
            if (q) {
                pf = q;
                predictions_path(o, d, pf[npf].path, sizeof pf[npf].path);
                if (d->kind == K_READING) {
                    pf[npf].text = reading_predictions(&t, &rd, &pf[npf].len);
                } else {
                    cJSON *pj = task_predictions(&t);
                    pf[npf].text = json_print(pj, 0);
                    cJSON_Delete(pj);
                    if (pf[npf].text) {
                        pf[npf].len = strlen(pf[npf].text);
                        pf[npf].text[pf[npf].len++] = '\n'; /* replaces the NUL */
                    }
                }
            }
            if (!q || !pf[npf].text) {
                free(rd.rows);
                task_free(&t);
                cJSON_Delete(skipped), cJSON_Delete(data);
                err_set(e, "out of memory for the predictions of %s", d->name);
                goto out;
            }
            npf++;
        }
        free(rd.rows);
        task_free(&t);
    }
    if (!cJSON_GetArraySize(tasks)) {   /* nothing evaluated: say so, keep any earlier results */
        cJSON_Delete(skipped), cJSON_Delete(data);
        err_set(e, "%s holds the data of none of the tasks (%s%s): nothing was evaluated (the BabyLM 2025 "
                   "evaluation layout: blimp_fast/, supplement_fast/, ...)", o->data, o->tasks ? "--tasks " : "",
                o->tasks ? o->tasks : o->fast ? "the fast suite" : "the full suite");
        goto out;
    }
    cJSON_AddItemToObject(res, "data", data);
    if (df) { /* a dump cut short (a full disk) is an error, not a silent partial file */
        /* errno is the flush's or the close's; a write that failed earlier
         * (ferror) left none that still holds: EIO then */
        int bad = 0, en = EIO;
        if (fflush(df) != 0) bad = 1, en = errno;
        else if (ferror(df)) bad = 1;
        if (fclose(df) != 0 && !bad) bad = 1, en = errno;
        df = NULL;
        if (bad) {
            cJSON_Delete(skipped);
            errno = en;
            err_errno(e, "--dump %s: write error", o->dump);
            goto out;
        }
    }
    char aj[4096], ac[4096];
    if (!o->tasks && aoa_paths(o->data, aj, ac))
        cJSON_AddStringToObject(skipped, "aoa", "needs every milestone checkpoint (--all-checkpoints)");
    cJSON_AddItemToObject(res, "skipped", skipped);
    if (o->out) snprintf(p, sizeof p, "%s", o->out);
    else snprintf(p, sizeof p, "%s/checkpoints/%s.eval%s.json", o->run, name, o->fast ? "_fast" : "");
    if (merge_previous(o, p, res, e) < 0) goto out;
    mark_official(o, res);
    add_overall(res, o->fast);
    cJSON_AddNumberToObject(res, "unique_sequences", (double)sc.unique); /* this run's work */
    cJSON_AddNumberToObject(res, "tokens_forward", (double)sc.tokens);
    cJSON_AddNumberToObject(res, "seconds", now_seconds() - t0);
    /* the predictions first: a results file says that everything was written */
    for (int i = 0; i < npf; i++)
        if (mkdir_parent(pf[i].path, e) < 0 || write_file_atomic(pf[i].path, pf[i].text, pf[i].len, e) < 0) goto out;
    if (npf) {
        cJSON *pa = cJSON_AddArrayToObject(res, "predictions");
        for (int i = 0; i < npf; i++) cJSON_AddItemToArray(pa, cJSON_CreateString(pf[i].path));
    }
    char *txt = json_print(res, 1);
    size_t tl = strlen(txt);
    txt[tl] = '\n'; /* trailing newline: replace the NUL, write tl + 1 bytes */
    int wr = write_file_atomic(p, txt, tl + 1, e);
    free(txt);
    if (wr < 0) goto out;
    cJSON_AddStringToObject(res, "path", p);
    *result = res;
    res = NULL;
    rc = 0;
out:
    for (int i = 0; i < npf; i++) free(pf[i].text);
    free(pf);
    if (df) fclose(df);
    cJSON_Delete(res);
    bpe_encoder_free(x.enc);
    free(x.ids), free(x.ends);
    bpe_free(tok);
    scorer_free(&sc);
    model_free(m);
    return rc;
}

/* ------------------------------------------------------------ age of acquisition */

/* DIR/aoa/cdi_childes.json (or DIR/cdi_childes/cdi_childes.json, where the
 * AoA README puts it) and cdi_human.csv beside it or in DIR/aoa/. */
static int aoa_paths(const char *data, char json[4096], char csv[4096])
{
    static const char *const dirs[] = {"aoa", "cdi_childes"};
    for (int i = 0; i < 2; i++) {
        snprintf(json, 4096, "%s/%s/cdi_childes.json", data, dirs[i]);
        if (!file_exists(json)) continue;
        snprintf(csv, 4096, "%s/%s/cdi_human.csv", data, dirs[i]);
        if (file_exists(csv)) return 1;
        snprintf(csv, 4096, "%s/aoa/cdi_human.csv", data);
        if (file_exists(csv)) return 1;
    }
    return 0;
}

typedef struct aoa_words {
    char **word; /* keys of cdi_childes.json, in order */
    int *contexts;
    int n;
} aoa_words;

static void aoa_words_free(aoa_words *w)
{
    for (int i = 0; i < w->n; i++) free(w->word[i]);
    free(w->word), free(w->contexts);
    memset(w, 0, sizeof *w);
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* load_eval: words longer than one character with at least min_context
 * contexts ({"context": ...} objects). */
static int aoa_load_words(const char *path, int min_context, aoa_words *w, cJSON *files, blalm_err *e)
{
    data_file f = {0};
    snprintf(f.path, sizeof f.path, "%s", path);
    snprintf(f.rel, sizeof f.rel, "%s", strstr(path, "/aoa/") ? "aoa/cdi_childes.json" : "cdi_childes/cdi_childes.json");
    if (slurp(&f, files, e) < 0) return -1;
    cJSON *doc = cJSON_ParseWithLength(f.buf, f.len);
    int rc = -1;
    if (!cJSON_IsObject(doc)) {
        err_set(e, "%s: expected a JSON object {word: [{\"context\": ...}, ...]}", path);
        goto out;
    }
    int cap = cJSON_GetArraySize(doc);
    w->word = calloc((size_t)cap + 1, sizeof *w->word);
    w->contexts = calloc((size_t)cap + 1, sizeof *w->contexts);
    if (!w->word || !w->contexts) {
        err_set(e, "out of memory");
        goto out;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, doc) {
        if (!cJSON_IsArray(it)) {
            err_set(e, "%s: word \"%.60s\": expected an array of contexts", path, it->string);
            goto out;
        }
        const cJSON *c;
        cJSON_ArrayForEach(c, it) {
            if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "context"))) {
                err_set(e, "%s: word \"%.60s\": expected objects with a string \"context\"", path, it->string);
                goto out;
            }
        }
        int nc = cJSON_GetArraySize(it);
        if (utf8_chars(it->string) <= 1 || nc < min_context) continue;
        if (!(w->word[w->n] = strdup(it->string))) {
            err_set(e, "out of memory");
            goto out;
        }
        w->contexts[w->n++] = nc;
    }
    if (!w->n) {
        err_set(e, "%s: no word with at least %d contexts", path, min_context);
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(doc);
    free(f.buf);
    return rc;
}

/* Python's str.strip() for ASCII whitespace (the CDI words are ASCII). */
static void strip_copy(const char *s, char *out, size_t cap)
{
    while (*s == ' ' || (*s >= '\t' && *s <= '\r')) s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || (s[n - 1] >= '\t' && s[n - 1] <= '\r'))) n--;
    if (n >= cap) n = cap - 1;
    memcpy(out, s, n);
    out[n] = 0;
}

/* Each word's surprisal at checkpoint NAME: <|endoftext|> + word, every
 * token after <|endoftext|> scored (the official use_bos_only input). */
static int aoa_surprisals(const eval_opts *o, const char *name, const aoa_words *w, double *out,
                          blalm_err *e)
{
    char ck[4096], p[4096];
    snprintf(ck, sizeof ck, "%s/checkpoints/%s.bin", o->run, name);
    model_config cfg;
    model *m = NULL;
    bpe_tokenizer *tok = NULL;
    encoder x = {0};
    jobset J = {0};
    int rc = -1;
    if (ckpt_read_config(ck, &cfg, e) < 0) return -1;
    if (!(m = model_create(&cfg, e))) return -1;
    ckpt_pos pos;
    if (ckpt_load(ck, m, NULL, NULL, &pos, e) < 0) goto out;
    snprintf(p, sizeof p, "%s/tokenizer.json", o->run);
    if (ckpt_check_tokenizer(ck, &pos, p, cfg.vocab_size, e) < 0) goto out;
    if (!(tok = bpe_load(p, e))) goto out;
    if ((int)bpe_vocab_size(tok) != cfg.vocab_size) {
        err_set(e, "%s: vocabulary %u, the model has %d", p, bpe_vocab_size(tok), cfg.vocab_size);
        goto out;
    }
    if (bpe_eot_id(tok) == BPE_NO_ID) {
        err_set(e, "%s: no %s token (AoA scores a word after the tokenizer's bos_token)", p, BPE_EOT);
        goto out;
    }
    x.tok = tok;
    if (!(x.enc = bpe_encoder_new(tok, e))) goto out;
    model_set_threads(1);
    for (int i = 0; i < w->n; i++) {
        char word[1024];
        strip_copy(w->word[i], word, sizeof word);
        int n = enc_text(&x, word, strlen(word), 1, BPE_ALLOW_SPECIAL, e);
        if (n < 0 || jobs_add(&J, x.ids, n, 1, e) < 0) goto out;
    }
    scorer sc = {m, o->batch_tokens, "aoa", NULL, NULL, 0, 0, o->threads > 0 ? o->threads : 1, o->full_logits, NULL, 0};
    int sr = score_jobs(&sc, &J, e);
    scorer_free(&sc);
    if (sr < 0) goto out;
    for (int i = 0; i < w->n; i++) out[i] = -J.v[i].score;
    rc = 0;
out:
    if (rc < 0) err_prefix(e, "%s", ck);
    jobs_free(&J);
    bpe_encoder_free(x.enc);
    free(x.ids), free(x.ends);
    bpe_free(tok);
    model_free(m);
    return rc;
}

/* AoAEvaluator.extract_step_number: the first number, then K/M/B. */
static double step_number(const cJSON *v)
{
    if (cJSON_IsNumber(v)) return v->valuedouble;
    if (!cJSON_IsString(v)) return NAN;
    const char *s = v->valuestring;
    while (*s && !(*s >= '0' && *s <= '9')) s++;
    if (!*s) return NAN;
    const char *q = s;
    while (*q >= '0' && *q <= '9') q++;
    if (*q == '.' && q[1] >= '0' && q[1] <= '9')
        for (q++; *q >= '0' && *q <= '9'; q++) {}
    double num = strtod(s, NULL);
    while (*q == ' ' || (*q >= '\t' && *q <= '\r')) q++;
    int u = *q >= 'a' && *q <= 'z' ? *q - 32 : *q;
    return num * (u == 'K' ? 1e3 : u == 'M' ? 1e6 : u == 'B' ? 1e9 : 1);
}

typedef struct aoa_word_data {
    const char *word;
    double *steps, *surp;
    int n, cap;
} aoa_word_data;

int eval_aoa_fitness(const cJSON *doc, const char *csv, size_t len, const char *where, cJSON **out,
                     blalm_err *e)
{
    *out = NULL;
    const cJSON *results = cJSON_GetObjectItemCaseSensitive(doc, "results");
    if (!cJSON_IsArray(results) || !cJSON_GetArraySize(results))
        return err_set(e, "AoA: no results found in the surprisal data");
    /* the CDI table: word, then the age columns 16..30 that are present */
    char *scratch = malloc(len + 1), *fields[128];
    int rc = -1, nw = 0, cap = 0, agecol[15], nages = 0, wordcol = -1;
    double ages[15];
    char **cdi_word = NULL;
    double *cdi = NULL; /* [row][nages] */
    aoa_word_data *wd = NULL;
    int nwd = 0;
    double *maoa = NULL, *caoa = NULL;
    cJSON *valid = NULL;
    if (!scratch) return err_set(e, "out of memory");
    const char *p = csv, *end = csv + len;
    int nh = csv_record(&p, end, scratch, fields, 128);
    for (int i = 0; i < nh && i < 128; i++)
        if (!strcmp(fields[i], "word")) wordcol = i;
    for (int a = 16; a <= 30; a++)
        for (int i = 0; i < nh && i < 128; i++) {
            char nm[8];
            snprintf(nm, sizeof nm, "%d", a);
            if (!strcmp(fields[i], nm)) {
                agecol[nages] = i, ages[nages++] = a;
                break;
            }
        }
    if (wordcol < 0 || !nages) {
        err_set(e, "%s:1: expected a column \"word\" and age columns \"16\" .. \"30\"", where);
        goto out;
    }
    long line = 1, next = 1 + count_newlines(csv, p); /* the line a record starts on (quoted newlines) */
    while (p < end) {
        const char *r0 = p;
        line = next;
        int nf = csv_record(&p, end, scratch, fields, 128);
        next += count_newlines(r0, p);
        if (nf == 1 && !fields[0][0]) continue;
        if (nf != nh) {
            err_set(e, "%s:%ld: %d fields, the header has %d", where, line, nf, nh);
            goto out;
        }
        if (nw == cap) {
            cap = cap ? 2 * cap : 256;
            char **a = realloc(cdi_word, (size_t)cap * sizeof *a);
            if (a) cdi_word = a;
            double *b = realloc(cdi, (size_t)cap * nages * sizeof *b);
            if (b) cdi = b;
            if (!a || !b) {
                err_set(e, "out of memory");
                goto out;
            }
        }
        const char *wf = fields[wordcol];
        cdi_word[nw] = is_na(wf) ? NULL : strdup(wf); /* pandas: NaN matches no word */
        for (int k = 0; k < nages; k++) {
            const char *s = fields[agecol[k]];
            char *ep;
            double v = is_na(s) ? NAN : strtod(s, &ep);
            if (!is_na(s) && *ep) {
                nw++;
                err_set(e, "%s:%ld: column %.0f: expected a number, got \"%.40s\"", where, line, ages[k], s);
                goto out;
            }
            cdi[(size_t)nw * nages + k] = v;
        }
        nw++;
    }
    /* results grouped by word, in first-appearance order */
    int nres = cJSON_GetArraySize(results);
    wd = calloc((size_t)nres, sizeof *wd);
    if (!wd) {
        err_set(e, "out of memory");
        goto out;
    }
    const cJSON *r;
    int ri = 0;
    cJSON_ArrayForEach(r, results) {
        const cJSON *tw = cJSON_GetObjectItemCaseSensitive(r, "target_word"),
                    *sv = cJSON_GetObjectItemCaseSensitive(r, "surprisal");
        if (!cJSON_IsString(tw)) {
            err_set(e, "AoA: result %d: expected a string \"target_word\"", ri);
            goto out;
        }
        ri++;
        double st = step_number(cJSON_GetObjectItemCaseSensitive(r, "step"));
        if (!cJSON_IsNumber(sv) || isnan(st)) continue; /* skipped, as the official code does */
        int k = nwd - 1;
        if (k < 0 || strcmp(wd[k].word, tw->valuestring)) /* usually the previous word's */
            for (k = 0; k < nwd && strcmp(wd[k].word, tw->valuestring); k++) {}
        if (k == nwd) wd[nwd++].word = tw->valuestring;
        aoa_word_data *d = &wd[k];
        if (d->n == d->cap) {
            d->cap = d->cap ? 2 * d->cap : 32;
            double *a = realloc(d->steps, (size_t)d->cap * sizeof *a);
            if (a) d->steps = a;
            double *b = realloc(d->surp, (size_t)d->cap * sizeof *b);
            if (b) d->surp = b;
            if (!a || !b) {
                err_set(e, "out of memory");
                goto out;
            }
        }
        d->steps[d->n] = st, d->surp[d->n++] = sv->valuedouble;
    }
    maoa = malloc(((size_t)nwd + 1) * sizeof *maoa);
    caoa = malloc(((size_t)nwd + 1) * sizeof *caoa);
    valid = cJSON_CreateArray();
    if (!maoa || !caoa) {
        err_set(e, "out of memory");
        goto out;
    }
    int nv = 0;
    for (int k = 0; k < nwd; k++) {
        int row = -1;
        for (int i = 0; i < nw && row < 0; i++)
            if (cdi_word[i] && !strcmp(cdi_word[i], wd[k].word)) row = i;
        if (row < 0) continue;
        double ca = eval_child_aoa(ages, cdi + (size_t)row * nages, nages);
        if (isnan(ca)) continue;
        double ma = eval_model_aoa(wd[k].steps, wd[k].surp, wd[k].n);
        if (isnan(ma)) continue;
        maoa[nv] = ma, caoa[nv++] = ca;
        cJSON_AddItemToArray(valid, cJSON_CreateString(wd[k].word));
    }
    cJSON *o = cJSON_CreateObject();
    if (nv < 3) {
        cJSON_AddNumberToObject(o, "curve_fitness", 0.0);
        cJSON_AddNumberToObject(o, "n_words", nv);
    } else {
        double rr = eval_pearson(maoa, caoa, nv);
        cJSON_AddItemToObject(o, "curve_fitness", num_or_null(rr));
        cJSON_AddItemToObject(o, "p_value", num_or_null(eval_pearson_p(rr, nv)));
        cJSON_AddNumberToObject(o, "n_words", nv);
        cJSON *ms = cJSON_CreateObject();
        double msum = 0;
        for (int k = 0; k < nages; k++) {
            double s = 0;
            int c = 0;
            for (int i = 0; i < nw; i++)
                if (!isnan(cdi[(size_t)i * nages + k])) s += cdi[(size_t)i * nages + k], c++;
            char nm[16];
            snprintf(nm, sizeof nm, "month_%.0f", ages[k]);
            cJSON_AddItemToObject(ms, nm, num_or_null(c ? s / c : NAN));
            msum += c ? s / c : NAN;
        }
        cJSON_AddItemToObject(o, "mean_monthly_score", num_or_null(msum / nages));
        cJSON_AddItemToObject(o, "monthly_scores", ms);
        cJSON_AddItemToObject(o, "valid_words", valid);
        valid = NULL;
        cJSON_AddItemToObject(o, "model_aoas", cJSON_CreateDoubleArray(maoa, nv));
        cJSON_AddItemToObject(o, "child_aoas", cJSON_CreateDoubleArray(caoa, nv));
    }
    *out = o;
    rc = 0;
out:
    for (int i = 0; i < nw; i++) free(cdi_word[i]);
    free(cdi_word), free(cdi), free(scratch);
    for (int k = 0; k < nwd; k++) free(wd[k].steps), free(wd[k].surp);
    free(wd), free(maoa), free(caoa);
    cJSON_Delete(valid);
    return rc;
}

int eval_aoa_score_file(const char *path, const char *data, cJSON **out, blalm_err *e)
{
    *out = NULL;
    char aj[4096], ac[4096];
    if (!aoa_paths(data, aj, ac))
        return err_set(e, "%s: no aoa/cdi_childes.json with cdi_human.csv (the official AoA data)", data);
    data_file s = {0}, c = {0};
    cJSON *files = cJSON_CreateObject(), *doc = NULL;
    int rc = -1;
    snprintf(s.path, sizeof s.path, "%s", path);
    snprintf(s.rel, sizeof s.rel, "surprisal");
    snprintf(c.path, sizeof c.path, "%s", ac);
    snprintf(c.rel, sizeof c.rel, "cdi_human.csv");
    if (slurp(&s, files, e) < 0 || slurp(&c, files, e) < 0) goto out;
    if (!(doc = cJSON_ParseWithLength(s.buf, s.len))) {
        err_set(e, "%s: not JSON (expected the official surprisal.json)", path);
        goto out;
    }
    if (eval_aoa_fitness(doc, c.buf, c.len, c.path, out, e) < 0) goto out;
    cJSON_AddItemToObject(*out, "data", files);
    files = NULL;
    rc = 0;
out:
    cJSON_Delete(files), cJSON_Delete(doc);
    free(s.buf), free(c.buf);
    return rc;
}

static int write_json(const char *path, const cJSON *o, blalm_err *e)
{
    char *txt = json_print(o, 1);
    if (!txt) return err_set(e, "out of memory");
    size_t tl = strlen(txt);
    txt[tl] = '\n';
    int wr = write_file_atomic(path, txt, tl + 1, e);
    free(txt);
    return wr;
}

typedef struct milestone {
    char name[64];
    double m;
} milestone;

/* Surprisals of every word at every milestone -> RUN/aoa_surprisal.json
 * (the official format) -> the fitness -> RUN/aoa.json; returns it. */
static cJSON *run_aoa(const eval_opts *o, const milestone *ms, int nms, const char *aj, const char *ac,
                      blalm_err *e)
{
    aoa_words w = {0};
    cJSON *files = cJSON_CreateObject(), *doc = NULL, *fit = NULL;
    double *s = NULL;
    data_file c = {0};
    int min_ctx = o->aoa_min_context > 0 ? o->aoa_min_context : 20;
    if (aoa_load_words(aj, min_ctx, &w, files, e) < 0) goto fail;
    s = malloc((size_t)nms * w.n * sizeof *s);
    if (!s) {
        err_set(e, "out of memory");
        goto fail;
    }
    for (int i = 0; i < nms; i++) {
        if (aoa_surprisals(o, ms[i].name, &w, s + (size_t)i * w.n, e) < 0) goto fail;
        if (o->progress) o->progress(o->arg, "aoa", (uint64_t)i + 1, (uint64_t)nms);
    }
    doc = cJSON_CreateObject();
    cJSON *md = cJSON_AddObjectToObject(doc, "metadata"), *res = cJSON_AddArrayToObject(doc, "results");
    cJSON_AddStringToObject(md, "model_name", o->run);
    cJSON_AddBoolToObject(md, "use_bos_only", 1);
    cJSON_AddNumberToObject(md, "total_steps", nms);
    cJSON_AddNumberToObject(md, "completed_steps", nms);
    for (int i = 0; i < nms; i++)
        for (int k = 0; k < w.n; k++)
            for (int ci = 0; ci < w.contexts[k]; ci++) {
                cJSON *r = cJSON_CreateObject();
                cJSON_AddStringToObject(r, "step", ms[i].name);
                cJSON_AddNumberToObject(r, "word_count", ms[i].m * 1e6);
                cJSON_AddStringToObject(r, "target_word", w.word[k]);
                cJSON_AddNumberToObject(r, "context_id", ci);
                cJSON_AddStringToObject(r, "context", "BOS_ONLY");
                cJSON_AddNumberToObject(r, "surprisal", s[(size_t)i * w.n + k]);
                cJSON_AddItemToArray(res, r);
            }
    char p[4096];
    snprintf(p, sizeof p, "%s/aoa_surprisal.json", o->run);
    if (write_json(p, doc, e) < 0) goto fail;
    snprintf(c.path, sizeof c.path, "%s", ac);
    snprintf(c.rel, sizeof c.rel, "%s", strstr(ac, "/aoa/") ? "aoa/cdi_human.csv" : "cdi_childes/cdi_human.csv");
    if (slurp(&c, files, e) < 0 || eval_aoa_fitness(doc, c.buf, c.len, c.path, &fit, e) < 0) goto fail;
    cJSON_AddStringToObject(fit, "surprisal", p);
    cJSON_AddNumberToObject(fit, "words", w.n);
    cJSON_AddNumberToObject(fit, "min_context", min_ctx);
    cJSON *cks = cJSON_AddArrayToObject(fit, "checkpoints");
    for (int i = 0; i < nms; i++) cJSON_AddItemToArray(cks, cJSON_CreateString(ms[i].name));
    cJSON_AddItemToObject(fit, "data", files);
    files = NULL;
    snprintf(p, sizeof p, "%s/aoa.json", o->run);
    if (write_json(p, fit, e) < 0) goto fail;
    cJSON_AddStringToObject(fit, "path", p);
    goto done;
fail:
    cJSON_Delete(fit);
    fit = NULL;
done:
    aoa_words_free(&w);
    free(s), free(c.buf);
    cJSON_Delete(files), cJSON_Delete(doc);
    return fit;
}

/* ------------------------------------------------------------ learning curve */

static int cmp_ms(const void *a, const void *b)
{
    double x = ((const milestone *)a)->m, y = ((const milestone *)b)->m;
    return x < y ? -1 : x > y;
}

/* --all-checkpoints after an interruption: checkpoint NAME's results file
 * (RUN/checkpoints/NAME.eval_fast.json) is reused, not recomputed, when it
 * was written by this blalm (official_data) on the same checkpoint bytes
 * and tokenizer, with the same suite and scoring, and holds every task this
 * run would compute (exactly those, without --tasks) on the same data
 * files: the test merge_previous applies, and what eval_run would write.
 * Returns the file's results (with "path") or NULL. */
static cJSON *reusable_results(const eval_opts *o, const char *name)
{
    char p[4096], ck[4096], hex[65];
    blalm_err ig;
    snprintf(p, sizeof p, "%s/checkpoints/%s.eval%s.json", o->run, name, o->fast ? "_fast" : "");
    char *txt = NULL;
    size_t len;
    if (o->dump || !file_exists(p) || read_file(p, &txt, &len, &ig) < 0) return NULL;
    cJSON *old = cJSON_ParseWithLength(txt, len), *res = cJSON_CreateObject();
    free(txt);
    const cJSON *otasks = cJSON_GetObjectItemCaseSensitive(old, "tasks");
    int ok = cJSON_IsObject(otasks) && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(old, "data")) &&
             cJSON_GetObjectItemCaseSensitive(old, "official_data") &&
             cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(old, "words_seen")) &&
             run_checkpoint_path(o->run, name, ck, sizeof ck, &ig) == 0 && sha256_file_hex(ck, hex, &ig) == 0;
    if (ok) {
        cJSON_AddStringToObject(res, "checkpoint_sha256", hex);
        char tp[4096];
        snprintf(tp, sizeof tp, "%s/tokenizer.json", o->run);
        ok = sha256_file_hex(tp, hex, &ig) == 0;
        if (ok) cJSON_AddStringToObject(res, "tokenizer_sha256", hex);
        cJSON_AddStringToObject(res, "suite", o->fast ? "fast" : "full");
    }
    ok = ok && same_str(old, res, "checkpoint_sha256") && same_str(old, res, "tokenizer_sha256") &&
         same_str(old, res, "suite") &&
         !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(old, "score_first_token")) == !o->score_first_token;
    int wanted = 0;
    for (int ti = 0; ok && ti < NTASKS; ti++) {
        const task_def *d = &TASKS[ti];
        int explicit;
        char dir[4096], why[1024];
        if (!task_wanted(o, d, &explicit)) continue;
        const char *sub = task_dir(o, d, dir, sizeof dir);
        if (!file_exists(dir)) {
            ok = !explicit; /* eval_run says what is missing */
            continue;
        }
        const cJSON *ot = cJSON_GetObjectItemCaseSensitive(otasks, d->name);
        const cJSON *folder = cJSON_GetObjectItemCaseSensitive(ot, "folder");
        ok = ot && cJSON_IsString(folder) && !strcmp(folder->valuestring, sub) &&
             same_task_data(o, old, d->name, ot, why, sizeof why) && same_file_set(o, d, sub, old);
        wanted++;
    }
    if (ok && !o->tasks) ok = cJSON_GetArraySize(otasks) == wanted; /* a run of every task replaces the file */
    cJSON_Delete(res);
    if (!ok) {
        cJSON_Delete(old);
        return NULL;
    }
    cJSON_AddStringToObject(old, "path", p);
    cJSON_AddBoolToObject(old, "reused", 1);
    return old;
}

int eval_all_checkpoints(const eval_opts *o, cJSON **result, blalm_err *e)
{
    *result = NULL;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/checkpoints", o->run);
    DIR *d = opendir(dir);
    if (!d) return err_errno(e, "%s", dir);
    milestone ms[256];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 256) {
        unsigned long long v;
        char tail[8];
        if (sscanf(de->d_name, "chck_%lluM%7s", &v, tail) == 2 && !strcmp(tail, ".bin")) {
            snprintf(ms[n].name, sizeof ms[n].name, "chck_%lluM", v);
            ms[n++].m = (double)v;
        }
    }
    closedir(d);
    if (!n) return err_set(e, "%s: no milestone checkpoints (chck_*M.bin)", dir);
    qsort(ms, (size_t)n, sizeof *ms, cmp_ms);
    if (eval_check_tasks(o->tasks, e) < 0) return err_prefix(e, "tasks");
    /* AoA runs over all checkpoints at once; the other tasks per checkpoint */
    char aj[4096], ac[4096], rest[1024] = "";
    int has_aoa = aoa_paths(o->data, aj, ac), want_aoa = o->tasks ? eval_in_list(o->tasks, "aoa") : has_aoa;
    if ((want_aoa || o->aoa_min_context) && !has_aoa) /* --aoa-min-context: for the aoa task */
        return err_set(e, "%s: no data for task aoa (expected aoa/cdi_childes.json and aoa/cdi_human.csv)", o->data);
    int per_ckpt = 1;
    if (o->tasks) {
        for (int i = 0; i < NTASKS; i++)
            if (eval_in_list(o->tasks, TASKS[i].name))
                snprintf(rest + strlen(rest), sizeof rest - strlen(rest), "%s%s", *rest ? "," : "", TASKS[i].name);
        per_ckpt = *rest != 0;
    }
    cJSON *curve = cJSON_CreateObject(), *pts = cJSON_AddArrayToObject(curve, "checkpoints");
    add_run_path(curve, o->run);
    cJSON_AddStringToObject(curve, "suite", o->fast ? "fast" : "full");
    for (int i = 0; i < n && per_ckpt; i++) {
        eval_opts one = *o;
        one.checkpoint = ms[i].name;
        one.out = NULL;
        if (o->tasks) one.tasks = rest;
        cJSON *r = reusable_results(&one, ms[i].name);
        if (!r && eval_run(&one, &r, e) < 0) {
            err_prefix(e, "%s", ms[i].name);
            cJSON_Delete(curve);
            return -1;
        }
        cJSON *pt = cJSON_CreateObject(), *ts = cJSON_AddObjectToObject(pt, "tasks");
        cJSON_AddStringToObject(pt, "checkpoint", ms[i].name);
        cJSON_AddNumberToObject(pt, "words_seen", cJSON_GetObjectItem(r, "words_seen")->valuedouble);
        cJSON_AddItemToObject(pt, "overall", cJSON_Duplicate(cJSON_GetObjectItem(r, "overall"), 1));
        cJSON_AddItemToObject(pt, "official_data", cJSON_Duplicate(cJSON_GetObjectItem(r, "official_data"), 1));
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(r, "tasks")) {
            const cJSON *s = cJSON_GetObjectItem(t, "score");
            if (s) cJSON_AddItemToObject(ts, t->string, cJSON_Duplicate(s, 1));
            else { /* reading */
                cJSON_AddItemToObject(ts, "reading_eye_tracking",
                                      cJSON_Duplicate(cJSON_GetObjectItem(t, "eye_tracking"), 1));
                cJSON_AddItemToObject(ts, "reading_self_paced",
                                      cJSON_Duplicate(cJSON_GetObjectItem(t, "self_paced_reading"), 1));
            }
        }
        cJSON_AddStringToObject(pt, "eval_json", cJSON_GetObjectItem(r, "path")->valuestring);
        cJSON_AddBoolToObject(pt, "reused", cJSON_IsTrue(cJSON_GetObjectItem(r, "reused")));
        /* what a --tasks run did to the results file already there (kept or
         * replaced: merge_previous), said per checkpoint by blalm eval */
        const cJSON *prev = cJSON_GetObjectItem(r, "previous");
        if (prev && !cJSON_IsTrue(cJSON_GetObjectItem(r, "reused")))
            cJSON_AddItemToObject(pt, "previous", cJSON_Duplicate(prev, 1));
        cJSON_AddItemToArray(pts, pt);
        if (o->progress) o->progress(o->arg, ms[i].name, (uint64_t)i + 1, (uint64_t)n);
        cJSON_Delete(r);
    }
    if (want_aoa) {
        cJSON *fit = run_aoa(o, ms, n, aj, ac, e);
        if (!fit) {
            cJSON_Delete(curve);
            return -1;
        }
        cJSON *a = cJSON_AddObjectToObject(curve, "aoa");
        cJSON_AddItemToObject(a, "curve_fitness", cJSON_Duplicate(cJSON_GetObjectItem(fit, "curve_fitness"), 1));
        cJSON_AddItemToObject(a, "n_words", cJSON_Duplicate(cJSON_GetObjectItem(fit, "n_words"), 1));
        cJSON_AddItemToObject(a, "aoa_json", cJSON_Duplicate(cJSON_GetObjectItem(fit, "path"), 1));
        cJSON_Delete(fit);
    }
    char p[4096];
    snprintf(p, sizeof p, "%s/learning_curve.json", o->run);
    char *txt = json_print(curve, 1);
    size_t tl = strlen(txt);
    txt[tl] = '\n';
    int wr = write_file_atomic(p, txt, tl + 1, e);
    free(txt);
    if (wr < 0) {
        cJSON_Delete(curve);
        return -1;
    }
    cJSON_AddStringToObject(curve, "path", p);
    *result = curve;
    return 0;
}
