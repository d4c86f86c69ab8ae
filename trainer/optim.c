/* optim.c - AdamW and Muon, gradient clipping, learning-rate schedules.
 *
 * Which tensors take which update, decay and learning rate is the group
 * table below (documented in optim.h).
 * AdamW: decoupled weight decay p -= lr*wd*p, bias-corrected moments.
 * Muon: momentum buffer b = mu*b + g, Nesterov update u = g + mu*b,
 * orthogonalised by 5 Newton-Schulz quintic iterations on u/||u||_F, then
 *   p = (1 - lr*muon_weight_decay) p - lr * s * O
 * with s = sqrt(max(1, rows/cols)) ("shape", Keller Jordan's Muon) or
 * s = 0.2*sqrt(max(rows, cols)) ("moonshot", Liu et al. 2025, "Muon is
 * Scalable for LLM Training": the update's RMS matches AdamW's, so lr_muon
 * can be set to lr_adamw). */
#include "trainer/optim.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "lib/blas.h"

static const param_group_rule group_rules[] = {
    [PG_MATRIX] = {"matrix", 1, 1, LR_MULT_NONE},
    [PG_EMBED] = {"embed", 0, 1, LR_MULT_NONE},
    [PG_NORM] = {"norm", 0, 0, LR_MULT_NONE},
    [PG_GATE] = {"gate", 0, 0, LR_MULT_NONE},
    [PG_CONV] = {"conv", 0, 0, LR_MULT_NONE},
    [PG_HEDGEHOG] = {"hedgehog", 0, 0, LR_MULT_NONE},
    [PG_ALPHA] = {"alpha", 0, 0, LR_MULT_NONE},
    [PG_BIAS] = {"bias", 0, 0, LR_MULT_NONE},
    [PG_SWA] = {"swa", 1, 1, LR_MULT_SWA},
    [PG_MEMORY] = {"memory", 0, 0, LR_MULT_NONE},
};
_Static_assert(sizeof group_rules / sizeof group_rules[0] == PG_COUNT,
               "every param_group needs a row in group_rules");

const param_group_rule *param_group_rule_of(param_group g)
{
    return &group_rules[(unsigned)g < PG_COUNT ? g : PG_MATRIX];
}

double param_group_lr_mult(const param_group_rule *r, const train_config *tc)
{
    return r->lr_mult == LR_MULT_SWA ? tc->swa_lr_mult : 1.0;
}

struct optimizer {
    optim_kind kind;
    train_config tc;
    size_t n;
    float *state; /* [2n]: AdamW m, v (Muon tensors use m as momentum) */
    long t;
    int ntensors;
    param_group *group; /* [ntensors]: the model's, unless regrouped */
    size_t ns_xs, ns_as;                     /* scratch sizes in floats */
    float *ns_x, *ns_a, *ns_b, *ns_t, *ns_y; /* Newton-Schulz scratch */
    int ns_threads;                          /* scratch sets for threads 1.. (set 0 is the above) */
    float **ns_more;                         /* [ns_threads - 1][5]: x, t, y, a, b */
};

static void free_more(optimizer *o);

static int takes_muon(const optimizer *o, const tensor_info *ti, param_group g)
{
    return o->kind == OPT_MUON && ti->cols > 0 && param_group_rule_of(g)->muon;
}

/* Sizes Newton-Schulz scratch for every tensor Muon takes. */
static int ns_scratch(optimizer *o, model *m)
{
    size_t xs = 0, as = 0;
    for (int i = 0; i < model_num_tensors(m); i++) {
        const tensor_info *ti = model_tensor(m, i);
        if (!takes_muon(o, ti, o->group[i])) continue;
        size_t r = (size_t)ti->rows, c = (size_t)ti->cols, s = r < c ? r : c;
        if (r * c > xs) xs = r * c;
        if (s * s > as) as = s * s;
    }
    if (xs <= o->ns_xs && as <= o->ns_as && o->ns_x) return 0;
    if (o->ns_threads > 1) free_more(o);
    free(o->ns_x), free(o->ns_t), free(o->ns_y), free(o->ns_a), free(o->ns_b);
    o->ns_x = malloc((xs + 1) * sizeof(float));
    o->ns_t = malloc((xs + 1) * sizeof(float));
    o->ns_y = malloc((xs + 1) * sizeof(float));
    o->ns_a = malloc((as + 1) * sizeof(float));
    o->ns_b = malloc((as + 1) * sizeof(float));
    o->ns_xs = xs, o->ns_as = as;
    return o->ns_x && o->ns_t && o->ns_y && o->ns_a && o->ns_b ? 0 : -1;
}

optimizer *optim_create(model *m, optim_kind kind, const train_config *tc)
{
    optimizer *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->kind = kind;
    o->tc = *tc;
    o->ns_threads = 1;
    o->n = model_num_params(m);
    o->state = calloc(2 * o->n, sizeof(float));
    o->ntensors = model_num_tensors(m);
    o->group = malloc(((size_t)o->ntensors + 1) * sizeof *o->group);
    if (!o->state || !o->group) {
        optim_free(o);
        return NULL;
    }
    for (int i = 0; i < o->ntensors; i++) o->group[i] = model_tensor(m, i)->group;
    if (ns_scratch(o, m) < 0) {
        optim_free(o);
        return NULL;
    }
    return o;
}

static void free_more(optimizer *o)
{
    for (int i = 0; i < 5 * (o->ns_threads - 1); i++) free(o->ns_more[i]);
    free(o->ns_more);
    o->ns_more = NULL;
    o->ns_threads = 1;
}

/* Scratch for T threads orthogonalising matrices at once (0, or -1). */
static int ns_scratch_threads(optimizer *o, int T)
{
    if (T <= o->ns_threads) return 0;
    free_more(o);
    o->ns_more = calloc((size_t)5 * (T - 1), sizeof *o->ns_more);
    if (!o->ns_more) return -1;
    o->ns_threads = T;
    for (int t = 0; t < T - 1; t++) {
        size_t sz[5] = {o->ns_xs, o->ns_xs, o->ns_xs, o->ns_as, o->ns_as};
        for (int k = 0; k < 5; k++)
            if (!(o->ns_more[5 * t + k] = malloc((sz[k] + 1) * sizeof(float)))) {
                free_more(o);
                return -1;
            }
    }
    return 0;
}

void optim_free(optimizer *o)
{
    if (!o) return;
    if (o->ns_threads > 1) free_more(o);
    free(o->state), free(o->ns_x), free(o->ns_t), free(o->ns_a), free(o->ns_b), free(o->ns_y);
    free(o->group);
    free(o);
}

int optim_regroup(optimizer *o, model *m, int i, param_group g)
{
    o->group[i] = g;
    return ns_scratch(o, m);
}

optim_plan optim_tensor_plan(const optimizer *o, const model *m, int i)
{
    const tensor_info *ti = model_tensor(m, i);
    const param_group_rule *r = param_group_rule_of(o->group[i]);
    optim_plan p = {o->group[i], takes_muon(o, ti, o->group[i]), 0, 0};
    double mult = param_group_lr_mult(r, &o->tc);
    p.lr = (p.muon ? o->tc.lr_muon : o->tc.lr_adamw) * mult;
    if (r->decay) p.decay = p.muon ? o->tc.muon_weight_decay : o->tc.weight_decay;
    return p;
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

static float muon_scale(const train_config *tc, int rows, int cols)
{
    if (!strcmp(tc->muon_scale, "moonshot")) return 0.2f * sqrtf((float)(rows > cols ? rows : cols));
    return sqrtf(fmaxf(1.0f, (float)rows / (float)cols));
}

/* Muon on tensor i with scratch x, t, y, a, b: momentum, Nesterov,
 * Newton-Schulz, update. */
static void muon_tensor(optimizer *o, model *m, int i, double lr_mult, float **scr)
{
    const train_config *tc = &o->tc;
    const tensor_info *ti = model_tensor(m, i);
    optim_plan plan = optim_tensor_plan(o, m, i);
    size_t off = ti->offset, n = (size_t)ti->rows * ti->cols;
    float *pp = model_params(m) + off, *gg = model_grads(m) + off, *mm = o->state + off;
    float lr = (float)(plan.lr * lr_mult), keep = 1.0f - lr * (float)plan.decay;
    float mu = (float)tc->muon_momentum, *u = scr[0];
    for (size_t x = 0; x < n; x++) {
        mm[x] = mu * mm[x] + gg[x];
        u[x] = gg[x] + mu * mm[x];
    }
    orthogonalise(u, ti->rows, ti->cols, scr[3], scr[4], scr[1], scr[2]);
    float step = lr * muon_scale(tc, ti->rows, ti->cols);
    for (size_t x = 0; x < n; x++) pp[x] = keep * pp[x] - step * u[x];
}

void optim_step(optimizer *o, model *m, double lr_mult)
{
    const train_config *tc = &o->tc;
    float *p = model_params(m), *g = model_grads(m);
    float *mom = o->state, *var = o->state + o->n;
    o->t++;
    double bc1 = 1.0 - pow(tc->beta1, (double)o->t), bc2 = 1.0 - pow(tc->beta2, (double)o->t);
    float b1 = (float)tc->beta1, b2 = (float)tc->beta2, eps = (float)tc->adam_eps;
    int nt = model_num_tensors(m), nmuon = 0;
    for (int i = 0; i < nt; i++) {
        const tensor_info *ti = model_tensor(m, i);
        optim_plan plan = optim_tensor_plan(o, m, i);
        if (plan.muon) {
            nmuon++;
            continue;
        }
        size_t off = ti->offset, n = (size_t)ti->rows * (ti->cols ? ti->cols : 1);
        float *pp = p + off, *gg = g + off, *mm = mom + off, *vv = var + off;
        float lr = (float)(plan.lr * lr_mult), keep = 1.0f - lr * (float)plan.decay;
        float ib1 = (float)(1.0 / bc1), ib2 = (float)(1.0 / bc2);
        for (size_t x = 0; x < n; x++) { /* float only, so that it vectorises */
            float gx = gg[x];
            float mx = mm[x] = b1 * mm[x] + (1.0f - b1) * gx;
            float vx = vv[x] = b2 * vv[x] + (1.0f - b2) * gx * gx;
            pp[x] = keep * pp[x] - lr * (mx * ib1) / (sqrtf(vx * ib2) + eps);
        }
    }
    if (!nmuon) return;
    /* Muon's matrices are independent: one per thread at a time, each with
     * single-threaded BLAS, so the result does not depend on the threads */
    int T = omp_get_max_threads();
    if (T > nmuon) T = nmuon;
    if (T > 1 && ns_scratch_threads(o, T) < 0) T = 1; /* out of memory: serially */
    int blas = blas_serial_begin(T > 1);
#pragma omp parallel for schedule(dynamic, 1) num_threads(T)
    for (int i = 0; i < nt; i++) {
        if (!optim_tensor_plan(o, m, i).muon) continue;
        int t = omp_get_thread_num();
        float *own[5] = {o->ns_x, o->ns_t, o->ns_y, o->ns_a, o->ns_b};
        muon_tensor(o, m, i, lr_mult, t ? &o->ns_more[5 * (t - 1)] : own);
    }
    blas_serial_end(blas);
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
        /* the decay's k-th step (k = 1 .. total - start) runs at k/(total - start)
         * of the way down, so the last step (total - 1) runs at exactly
         * min_lr_frac, the final rate (it stopped one step short: 0.325x
         * instead of 0.1x over a 10-step decay) */
        double p = (double)(step + 1 - start) / (double)(total - start);
        return 1.0 - (1.0 - lo) * (p > 1 ? 1 : p);
    }
    double p = (double)(step - tc->warmup_steps) / (double)(total - tc->warmup_steps);
    if (p > 1) p = 1;
    return lo + (1.0 - lo) * 0.5 * (1.0 + cos(M_PI * p));
}
