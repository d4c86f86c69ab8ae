/* test_mlstm.c - the mLSTM cell: three forms agree, match NX-AI's fixtures
 * (../shared/data/mlstm-fixtures, exact autograd gradients), survive extreme
 * gate pre-activations. */
#include "tests/unit/test.h"
#include "trainer/mlstm.h"

#include <stdint.h>

typedef enum { REC, PAR, CHUNK } form;
static const char *form_name[] = {"recurrent", "parallel", "chunkwise"};

/* One (batch, head) problem with contiguous rows. */
typedef struct problem {
    mlstm_shape sh;
    float *q, *k, *v, *i, *f, *W; /* W = dL/dh */
} problem;

typedef struct result {
    float *h, *dq, *dk, *dv, *di, *df, *C; /* C: final state [dqk][dv+1] */
    float m_last;
} result;

static void result_free(result *r)
{
    free(r->h), free(r->dq), free(r->dk), free(r->dv), free(r->di), free(r->df), free(r->C);
}

static int run_form(const problem *p, form fm, result *r)
{
    const mlstm_shape *sh = &p->sh;
    int S = sh->S, dqk = sh->dqk, dv = sh->dv;
    r->h = calloc((size_t)S * dv, 4);
    r->dq = calloc((size_t)S * dqk, 4), r->dk = calloc((size_t)S * dqk, 4);
    r->dv = calloc((size_t)S * dv, 4), r->di = calloc(S, 4), r->df = calloc(S, 4);
    r->C = calloc((size_t)dqk * (dv + 1), 4);
    float *cache = calloc(mlstm_cache_floats(sh), 4);
    mlstm_state st = {r->C, 0};
    int rc;
    if (fm == REC)
        rc = mlstm_recurrent_forward(sh, p->q, dqk, p->k, dqk, p->v, dv, p->i, p->f, r->h, dv,
                                     cache, &st);
    else if (fm == PAR)
        rc = mlstm_parallel_forward(sh, p->q, dqk, p->k, dqk, p->v, dv, p->i, p->f, r->h, dv,
                                    cache);
    else
        rc = mlstm_chunkwise_forward(sh, p->q, dqk, p->k, dqk, p->v, dv, p->i, p->f, r->h, dv,
                                     cache, &st);
    r->m_last = st.m;
    mlstm_grads g = {r->dq, dqk, r->dk, dqk, r->dv, dv, r->di, r->df};
    if (rc == 0) {
        if (fm == REC)
            rc = mlstm_recurrent_backward(sh, p->q, dqk, p->k, dqk, p->v, dv, p->i, p->f, r->h,
                                          dv, p->W, dv, cache, &g);
        else if (fm == PAR)
            rc = mlstm_parallel_backward(sh, p->q, dqk, p->k, dqk, p->v, dv, p->i, p->f, r->h,
                                         dv, p->W, dv, cache, &g);
        else
            rc = mlstm_chunkwise_backward(sh, p->q, dqk, p->k, dqk, p->v, dv, p->i, p->f, r->h,
                                          dv, p->W, dv, cache, &g);
    }
    free(cache);
    return rc;
}

/* max|a-b| / max|b| over a tensor (the fixtures' metric) */
static double rel_err(const float *a, const float *b, size_t n)
{
    double d = 0, m = 0;
    for (size_t x = 0; x < n; x++) {
        double e = fabs((double)a[x] - b[x]);
        if (!(e <= d)) d = e; /* NaN propagates */
        if (fabs(b[x]) > m) m = fabs(b[x]);
    }
    return m > 0 ? d / m : d;
}

static int all_finite(const float *a, size_t n)
{
    for (size_t x = 0; x < n; x++)
        if (!isfinite(a[x])) return 0;
    return 1;
}

static uint64_t rng_state = 88172645463325252ull;
static double uniform(void)
{
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return ((rng_state >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
static float normal(void)
{
    return (float)(sqrt(-2 * log(uniform())) * cos(6.283185307179586 * uniform()));
}

static problem random_problem(int S, int dqk, int dv, int chunk, float imean, float istd,
                              float fmean, float fstd)
{
    problem p = {{S, dqk, dv, chunk, 0}, 0, 0, 0, 0, 0, 0};
    p.q = malloc((size_t)S * dqk * 4), p.k = malloc((size_t)S * dqk * 4);
    p.v = malloc((size_t)S * dv * 4), p.W = malloc((size_t)S * dv * 4);
    p.i = malloc((size_t)S * 4), p.f = malloc((size_t)S * 4);
    for (int x = 0; x < S * dqk; x++) p.q[x] = normal(), p.k[x] = normal();
    for (int x = 0; x < S * dv; x++) p.v[x] = normal(), p.W[x] = normal();
    for (int t = 0; t < S; t++) p.i[t] = imean + istd * normal(), p.f[t] = fmean + fstd * normal();
    return p;
}

static void problem_free(problem *p)
{
    free(p->q), free(p->k), free(p->v), free(p->i), free(p->f), free(p->W);
}

static double worst_grad(const result *a, const result *b, const mlstm_shape *sh)
{
    size_t nq = (size_t)sh->S * sh->dqk, nv = (size_t)sh->S * sh->dv;
    double e = rel_err(a->dq, b->dq, nq), x;
    if ((x = rel_err(a->dk, b->dk, nq)) > e || isnan(x)) e = x;
    if ((x = rel_err(a->dv, b->dv, nv)) > e || isnan(x)) e = x;
    if ((x = rel_err(a->di, b->di, sh->S)) > e || isnan(x)) e = x;
    if ((x = rel_err(a->df, b->df, sh->S)) > e || isnan(x)) e = x;
    return e;
}

/* Three forms agree on random inputs; S = 37 is not a multiple of chunk 8. */
TEST(forms_agree_random)
{
    int shapes[][4] = {{37, 8, 12, 8}, {64, 16, 16, 16}, {5, 4, 3, 64}, {50, 6, 6, 1}};
    for (size_t c = 0; c < sizeof shapes / sizeof shapes[0]; c++) {
        problem p = random_problem(shapes[c][0], shapes[c][1], shapes[c][2], shapes[c][3],
                                   0, 3, 3, 1.5);
        result r[3];
        for (int fm = 0; fm < 3; fm++) CHECK(run_form(&p, fm, &r[fm]) == 0);
        size_t nh = (size_t)p.sh.S * p.sh.dv;
        for (int fm = 1; fm < 3; fm++) {
            double eh = rel_err(r[fm].h, r[REC].h, nh), eg = worst_grad(&r[fm], &r[REC], &p.sh);
            CHECK_MSG(eh <= 1e-5, "S=%d %s vs recurrent: h rel %g", p.sh.S, form_name[fm], eh);
            CHECK_MSG(eg <= 1e-4, "S=%d %s vs recurrent: grad rel %g", p.sh.S, form_name[fm], eg);
        }
        double es = rel_err(r[CHUNK].C, r[REC].C, (size_t)p.sh.dqk * (p.sh.dv + 1));
        CHECK_MSG(es <= 1e-5, "final state chunkwise vs recurrent rel %g", es);
        CHECK(fabsf(r[CHUNK].m_last - r[REC].m_last) <= 1e-5f * (1 + fabsf(r[REC].m_last)));
        for (int fm = 0; fm < 3; fm++) result_free(&r[fm]);
        problem_free(&p);
    }
}

/* Huge gate pre-activations and long sequences: no NaN or infinity. */
TEST(extreme_gates_stay_finite)
{
    problem p = random_problem(300, 8, 8, 32, 0, 1, 0, 1);
    for (int t = 0; t < 300; t++) {
        int r = t % 7;
        p.i[t] = r == 0 ? 1000.0f : r == 1 ? -1000.0f : r == 2 ? 88.0f : p.i[t] * 30;
        p.f[t] = r == 3 ? 1000.0f : r == 4 ? -1000.0f : r == 5 ? -88.0f : p.f[t] * 30;
    }
    for (int fm = 0; fm < 3; fm++) {
        result r;
        CHECK(run_form(&p, fm, &r) == 0);
        size_t nq = (size_t)p.sh.S * p.sh.dqk, nv = (size_t)p.sh.S * p.sh.dv;
        int ok = all_finite(r.h, nv) && all_finite(r.dq, nq) && all_finite(r.dk, nq) &&
                 all_finite(r.dv, nv) && all_finite(r.di, p.sh.S) && all_finite(r.df, p.sh.S);
        result_free(&r);
        CHECK_MSG(ok, "%s: non-finite value with extreme gates", form_name[fm]);
    }
    /* all input gates very negative: the lower bound exp(-m) is clamped, not infinite */
    for (int t = 0; t < 300; t++) p.i[t] = -500.0f, p.f[t] = 20.0f;
    for (int fm = 0; fm < 3; fm++) {
        result r;
        CHECK(run_form(&p, fm, &r) == 0);
        int ok = all_finite(r.h, (size_t)p.sh.S * p.sh.dv) && all_finite(r.df, p.sh.S) &&
                 all_finite(r.di, p.sh.S);
        result_free(&r);
        CHECK_MSG(ok, "%s: non-finite value with i = -500", form_name[fm]);
    }
    problem_free(&p);
}

/* ---- NX-AI fixtures ---- */

typedef struct fixture {
    char *data;
    size_t len;
} fixture;

static int fixture_load(const char *path, fixture *fx)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    fx->len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    fx->data = malloc(fx->len);
    size_t got = fread(fx->data, 1, fx->len, f);
    fclose(f);
    return got == fx->len && fx->len > 12 && !memcmp(fx->data, "MLSTMFX1", 8) ? 0 : -1;
}

/* Returns a malloc'd copy of tensor `name` (NULL if absent); n = elements. */
static float *fixture_tensor(const fixture *fx, const char *name, size_t *n)
{
    size_t off = 8;
    uint32_t T;
    memcpy(&T, fx->data + off, 4), off += 4;
    for (uint32_t t = 0; t < T; t++) {
        uint32_t L, nd, d;
        memcpy(&L, fx->data + off, 4), off += 4;
        const char *nm = fx->data + off;
        off += L;
        memcpy(&nd, fx->data + off, 4), off += 4;
        size_t cnt = 1;
        for (uint32_t x = 0; x < nd; x++) memcpy(&d, fx->data + off, 4), off += 4, cnt *= d;
        if (strlen(name) == L && !memcmp(nm, name, L)) {
            float *r = malloc(cnt * 4);
            memcpy(r, fx->data + off, cnt * 4);
            if (n) *n = cnt;
            return r;
        }
        off += cnt * 4;
    }
    return NULL;
}

typedef struct fcase {
    const char *stem;
    int B, NH, S, DQK, DV, chunk;
} fcase;

static const fcase cases[] = {
    {"c1_B1_NH1_S8_DQK4_DV4", 1, 1, 8, 4, 4, 4},
    {"c2_B2_NH2_S64_DQK16_DV16", 2, 2, 64, 16, 16, 16},
    {"c3_B1_NH4_S100_DQK32_DV48", 1, 4, 100, 32, 48, 20},
};

/* Runs form fm over every (b, head) of a case; fills whole-case tensors. */
static void run_case(const fcase *c, const fixture *fx, form fm, int chunk, float *h, float *dq,
                     float *dk, float *dv, float *di, float *df, float *Cl, float *nl, float *ml)
{
    float *q = fixture_tensor(fx, "q", NULL), *k = fixture_tensor(fx, "k", NULL);
    float *v = fixture_tensor(fx, "v", NULL), *ig = fixture_tensor(fx, "i", NULL);
    float *fg = fixture_tensor(fx, "f", NULL), *W = fixture_tensor(fx, "W", NULL);
    int S = c->S, dqk = c->DQK, dvv = c->DV;
    for (int bh = 0; bh < c->B * c->NH; bh++) {
        problem p = {{S, dqk, dvv, chunk, 0}, q + (size_t)bh * S * dqk, k + (size_t)bh * S * dqk,
                     v + (size_t)bh * S * dvv, ig + (size_t)bh * S, fg + (size_t)bh * S,
                     W + (size_t)bh * S * dvv};
        result r;
        run_form(&p, fm, &r);
        memcpy(h + (size_t)bh * S * dvv, r.h, (size_t)S * dvv * 4);
        memcpy(dq + (size_t)bh * S * dqk, r.dq, (size_t)S * dqk * 4);
        memcpy(dk + (size_t)bh * S * dqk, r.dk, (size_t)S * dqk * 4);
        memcpy(dv + (size_t)bh * S * dvv, r.dv, (size_t)S * dvv * 4);
        memcpy(di + (size_t)bh * S, r.di, (size_t)S * 4);
        memcpy(df + (size_t)bh * S, r.df, (size_t)S * 4);
        for (int a = 0; a < dqk; a++) {
            memcpy(Cl + ((size_t)bh * dqk + a) * dvv, r.C + (size_t)a * (dvv + 1), (size_t)dvv * 4);
            nl[(size_t)bh * dqk + a] = r.C[(size_t)a * (dvv + 1) + dvv];
        }
        ml[bh] = r.m_last;
        result_free(&r);
    }
    free(q), free(k), free(v), free(ig), free(fg), free(W);
}

static double cmp(const fixture *fx, const char *name, const float *ours, size_t n)
{
    size_t m = 0;
    float *ref = fixture_tensor(fx, name, &m);
    if (!ref || m != n) {
        free(ref);
        return 1e30;
    }
    double e = rel_err(ours, ref, n);
    free(ref);
    return e;
}

TEST(nxai_fixtures)
{
    const char *dir = test_shared_data();
    if (!dir) SKIPF("BLALM_SHARED_DATA unset: NX-AI mLSTM fixtures not checked");
    char path[512];
    for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
        const fcase *c = &cases[ci];
        snprintf(path, sizeof path, "%s/mlstm-fixtures/%s.f64.bin", dir, c->stem);
        fixture fx;
        if (fixture_load(path, &fx) < 0) SKIPF("%s missing or not MLSTMFX1", path);
        size_t BH = (size_t)c->B * c->NH, nq = BH * c->S * c->DQK, nv = BH * c->S * c->DV;
        size_t ns = BH * c->S;
        float *h = malloc(nv * 4), *dq = malloc(nq * 4), *dk = malloc(nq * 4), *dv = malloc(nv * 4);
        float *di = malloc(ns * 4), *df = malloc(ns * 4), *Cl = malloc(BH * c->DQK * c->DV * 4);
        float *nl = malloc(BH * c->DQK * 4), *ml = malloc(BH * 4);
        for (int fm = 0; fm < 3; fm++) {
            /* our chunk: the fixture's, and also 64 (S=100 is no multiple) */
            for (int pass = 0; pass < (fm == CHUNK ? 2 : 1); pass++) {
                int chunk = pass ? 64 : c->chunk;
                run_case(c, &fx, fm, chunk, h, dq, dk, dv, di, df, Cl, nl, ml);
                /* the recurrent/chunkwise m0 convention, exact (autograd) gradients */
                const char *ref = fm == CHUNK ? "chunkwise" : "recurrent";
                char nm[64];
                double e, eg = 0;
                snprintf(nm, sizeof nm, "h_%s", ref);
                e = cmp(&fx, nm, h, nv);
                CHECK_MSG(e <= 1e-5, "%s %s chunk %d: h rel %g", c->stem, form_name[fm], chunk, e);
                const char *gn[] = {"dq", "dk", "dv", "di", "df"};
                const float *gs[] = {dq, dk, dv, di, df};
                size_t gl[] = {nq, nq, nv, ns, ns};
                for (int x = 0; x < 5; x++) {
                    snprintf(nm, sizeof nm, "%s_%s_autograd", gn[x], ref);
                    e = cmp(&fx, nm, gs[x], gl[x]);
                    if (e > eg) eg = e;
                    CHECK_MSG(e <= 5e-4, "%s %s: %s rel %g", c->stem, form_name[fm], nm, e);
                    /* the parallel form's own convention differs only by eps*exp(m) */
                    snprintf(nm, sizeof nm, "%s_parallel_autograd", gn[x]);
                    e = cmp(&fx, nm, gs[x], gl[x]);
                    CHECK_MSG(e <= 5e-4, "%s %s: %s rel %g", c->stem, form_name[fm], nm, e);
                }
                e = cmp(&fx, "h_parallel", h, nv);
                CHECK_MSG(e <= 1e-5, "%s %s: h_parallel rel %g", c->stem, form_name[fm], e);
                if (fm != PAR) {
                    snprintf(nm, sizeof nm, "C_last_%s", ref);
                    e = cmp(&fx, nm, Cl, BH * c->DQK * c->DV);
                    CHECK_MSG(e <= 1e-5, "%s %s: %s rel %g", c->stem, form_name[fm], nm, e);
                    snprintf(nm, sizeof nm, "n_last_%s", ref);
                    e = cmp(&fx, nm, nl, BH * c->DQK);
                    CHECK_MSG(e <= 1e-5, "%s %s: %s rel %g", c->stem, form_name[fm], nm, e);
                    snprintf(nm, sizeof nm, "m_last_%s", ref);
                    e = cmp(&fx, nm, ml, BH);
                    CHECK_MSG(e <= 1e-5, "%s %s: %s rel %g", c->stem, form_name[fm], nm, e);
                }
                if (getenv("MLSTM_VERBOSE"))
                    printf("# %s %s chunk %d: worst grad rel %.3g\n", c->stem, form_name[fm],
                           chunk, eg);
            }
        }
        free(h), free(dq), free(dk), free(dv), free(di), free(df), free(Cl), free(nl), free(ml);
        free(fx.data);
    }
}

/* The c1 float64 file holds central finite differences: our exact gradient
 * should be closer to them than the hand-written (custbw) one. */
TEST(nxai_finite_differences)
{
    const char *dir = test_shared_data();
    if (!dir) SKIPF("BLALM_SHARED_DATA unset: NX-AI finite differences not checked");
    char path[512];
    snprintf(path, sizeof path, "%s/mlstm-fixtures/%s.f64.bin", dir, cases[0].stem);
    fixture fx;
    if (fixture_load(path, &fx) < 0) SKIPF("%s missing", path);
    const fcase *c = &cases[0];
    size_t nq = c->S * c->DQK, nv = c->S * c->DV, ns = c->S;
    float h[32], dq[32], dk[32], dv[32], di[8], df[8], Cl[16], nl[4], ml[1];
    run_case(c, &fx, CHUNK, c->chunk, h, dq, dk, dv, di, df, Cl, nl, ml);
    const char *gn[] = {"dq_fd_parallel", "dk_fd_parallel", "dv_fd_parallel", "di_fd_parallel",
                        "df_fd_parallel"};
    const float *gs[] = {dq, dk, dv, di, df};
    size_t gl[] = {nq, nq, nv, ns, ns};
    for (int x = 0; x < 5; x++) {
        double e = cmp(&fx, gn[x], gs[x], gl[x]);
        CHECK_MSG(e <= 5e-4, "%s rel %g", gn[x], e);
    }
    free(fx.data);
}

int main(void)
{
    RUN(forms_agree_random);
    RUN(extreme_gates_stay_finite);
    RUN(nxai_fixtures);
    RUN(nxai_finite_differences);
    return test_summary();
}
