/* optim.c - AdamW and Muon, gradient clipping, learning-rate schedules.
 *
 * AdamW: decoupled weight decay (p -= lr*wd*p, on matrices and embeddings,
 * not on norms and gates), bias-corrected moments.
 * Muon (for PG_MATRIX tensors when chosen): momentum buffer b = mu*b + g,
 * Nesterov update u = g + mu*b, orthogonalised by 5 Newton-Schulz quintic
 * iterations on u/||u||_F, scaled by sqrt(max(1, rows/cols)); no weight
 * decay (as in Keller Jordan's Muon). Everything else stays on AdamW. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trainer/model.h"

struct optimizer {
    optim_kind kind;
    train_config tc;
    size_t n;
    float *state; /* [2n]: AdamW m, v (Muon tensors use m as momentum) */
    long t;
    float *ns_x, *ns_a, *ns_b, *ns_t, *ns_y; /* Newton-Schulz scratch */
};

static void ns_scratch_size(model *m, size_t *xs, size_t *as)
{
    *xs = *as = 0;
    for (int i = 0; i < model_num_tensors(m); i++) {
        const tensor_info *ti = model_tensor(m, i);
        if (ti->group != PG_MATRIX) continue;
        size_t r = (size_t)ti->rows, c = (size_t)ti->cols, s = r < c ? r : c;
        if (r * c > *xs) *xs = r * c;
        if (s * s > *as) *as = s * s;
    }
}

optimizer *optim_create(model *m, optim_kind kind, const train_config *tc)
{
    optimizer *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->kind = kind;
    o->tc = *tc;
    o->n = model_num_params(m);
    o->state = calloc(2 * o->n, sizeof(float));
    size_t xs, as;
    ns_scratch_size(m, &xs, &as);
    o->ns_x = malloc((xs + 1) * sizeof(float));
    o->ns_t = malloc((xs + 1) * sizeof(float));
    o->ns_y = malloc((xs + 1) * sizeof(float));
    o->ns_a = malloc((as + 1) * sizeof(float));
    o->ns_b = malloc((as + 1) * sizeof(float));
    if (!o->state || !o->ns_x || !o->ns_t || !o->ns_y || !o->ns_a || !o->ns_b) {
        optim_free(o);
        return NULL;
    }
    return o;
}

void optim_free(optimizer *o)
{
    if (!o) return;
    free(o->state), free(o->ns_x), free(o->ns_t), free(o->ns_a), free(o->ns_b), free(o->ns_y);
    free(o);
}

size_t optim_state_floats(const optimizer *o) { return 2 * o->n; }
float *optim_state(optimizer *o) { return o->state; }
long *optim_step_count(optimizer *o) { return &o->t; }

/* X [r, c] with r <= c, scratch A, B [r, r], T [r, c]. */
static void newton_schulz_wide(float *X, int r, int c, float *A, float *B, float *T)
{
    const float a = 3.4445f, b = -4.7750f, cc = 2.0315f;
    for (int it = 0; it < 5; it++) {
        /* A = X X^T;  B = b A + c A A;  X = a X + B X */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, r, r, c, 1.0f, X, c, X, c, 0.0f, A, r);
        memcpy(B, A, (size_t)r * r * sizeof *B);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, r, r, cc, A, r, A, r, b, B, r);
        memcpy(T, X, (size_t)r * c * sizeof *T);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, r, c, r, 1.0f, B, r, T, c, a, X, c);
    }
}

static void orthogonalise(float *X, int rows, int cols, float *A, float *B, float *T, float *Y)
{
    double ss = 0;
    for (size_t x = 0; x < (size_t)rows * cols; x++) ss += (double)X[x] * X[x];
    float inv = (float)(1.0 / (sqrt(ss) + 1e-7));
    for (size_t x = 0; x < (size_t)rows * cols; x++) X[x] *= inv;
    if (rows <= cols) {
        newton_schulz_wide(X, rows, cols, A, B, T);
        return;
    }
    /* tall: work on the transpose */
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) Y[(size_t)j * rows + i] = X[(size_t)i * cols + j];
    newton_schulz_wide(Y, cols, rows, A, B, T);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) X[(size_t)i * cols + j] = Y[(size_t)j * rows + i];
}

void muon_orthogonalise(float *X, int rows, int cols)
{
    int s = rows < cols ? rows : cols;
    float *A = malloc((size_t)s * s * 4), *B = malloc((size_t)s * s * 4);
    float *T = malloc((size_t)rows * cols * 4), *Y = malloc((size_t)rows * cols * 4);
    if (A && B && T && Y) orthogonalise(X, rows, cols, A, B, T, Y);
    free(A), free(B), free(T), free(Y);
}

void optim_step(optimizer *o, model *m, double lr_mult)
{
    const train_config *tc = &o->tc;
    float *p = model_params(m), *g = model_grads(m);
    float *mom = o->state, *var = o->state + o->n;
    o->t++;
    double bc1 = 1.0 - pow(tc->beta1, (double)o->t), bc2 = 1.0 - pow(tc->beta2, (double)o->t);
    float lr_a = (float)(tc->lr_adamw * lr_mult), lr_m = (float)(tc->lr_muon * lr_mult);
    float b1 = (float)tc->beta1, b2 = (float)tc->beta2, eps = (float)tc->adam_eps;
    float wd = (float)tc->weight_decay, mu = (float)tc->muon_momentum;
    for (int i = 0; i < model_num_tensors(m); i++) {
        const tensor_info *ti = model_tensor(m, i);
        size_t off = ti->offset, n = (size_t)ti->rows * (ti->cols ? ti->cols : 1);
        float *pp = p + off, *gg = g + off, *mm = mom + off, *vv = var + off;
        if (o->kind == OPT_MUON && ti->group == PG_MATRIX) {
            float *u = o->ns_x;
            for (size_t x = 0; x < n; x++) {
                mm[x] = mu * mm[x] + gg[x];
                u[x] = gg[x] + mu * mm[x];
            }
            orthogonalise(u, ti->rows, ti->cols, o->ns_a, o->ns_b, o->ns_t, o->ns_y);
            float scale = sqrtf(fmaxf(1.0f, (float)ti->rows / (float)ti->cols));
            for (size_t x = 0; x < n; x++) pp[x] -= lr_m * scale * u[x];
            continue;
        }
        float decay = (ti->group == PG_MATRIX || ti->group == PG_EMBED) ? wd : 0.0f;
        float keep = 1.0f - lr_a * decay, ib1 = (float)(1.0 / bc1), ib2 = (float)(1.0 / bc2);
        for (size_t x = 0; x < n; x++) { /* float only, so that it vectorises */
            float gx = gg[x];
            float mx = mm[x] = b1 * mm[x] + (1.0f - b1) * gx;
            float vx = vv[x] = b2 * vv[x] + (1.0f - b2) * gx * gx;
            pp[x] = keep * pp[x] - lr_a * (mx * ib1) / (sqrtf(vx * ib2) + eps);
        }
    }
}

double grad_clip(model *m, double max_norm)
{
    float *g = model_grads(m);
    size_t n = model_num_params(m);
    double ss = 0;
    for (size_t x = 0; x < n; x++) ss += (double)g[x] * g[x];
    double norm = sqrt(ss);
    if (max_norm > 0 && norm > max_norm) {
        float s = (float)(max_norm / (norm + 1e-6));
        for (size_t x = 0; x < n; x++) g[x] *= s;
    }
    return norm;
}

double lr_schedule(const train_config *tc, long step, long total)
{
    if (step < tc->warmup_steps) return (double)(step + 1) / tc->warmup_steps;
    double lo = tc->min_lr_frac;
    if (total <= tc->warmup_steps) return 1.0;
    if (!strcmp(tc->schedule, "wsd")) {
        long start = (long)(total * (1.0 - tc->decay_frac));
        if (start < tc->warmup_steps) start = tc->warmup_steps;
        if (step < start) return 1.0;
        double p = (double)(step - start) / (double)(total - start);
        return 1.0 - (1.0 - lo) * (p > 1 ? 1 : p);
    }
    double p = (double)(step - tc->warmup_steps) / (double)(total - tc->warmup_steps);
    if (p > 1) p = 1;
    return lo + (1.0 - lo) * 0.5 * (1.0 + cos(M_PI * p));
}
