/* test_attention.c - the tiled attention kernel (trainer/attention.h) against
 * the textbook form computed in double (the full S x S softmax, as the
 * decoder's attention was before tiling): forward and gradients, causal and
 * sliding-window, over several tiles with a ragged last one. */
#include "tests/unit/test.h"
#include "trainer/attention.h"

#include <stdint.h>

static uint64_t rs = 0x9e3779b97f4a7c15ull;
static double urand(void)
{
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    return ((rs >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Reference in double: y and, given dy, dq, dk, dv. Rows contiguous [S, d]. */
static void reference(int S, int d, int window, double scale, const float *q, const float *k,
                      const float *v, const float *dy, double *y, double *dq, double *dk,
                      double *dv)
{
    double *p = malloc((size_t)S * sizeof *p), *dp = malloc((size_t)S * sizeof *dp);
    memset(dq, 0, (size_t)S * d * sizeof *dq);
    memset(dk, 0, (size_t)S * d * sizeof *dk);
    memset(dv, 0, (size_t)S * d * sizeof *dv);
    for (int t = 0; t < S; t++) {
        int lo = window > 0 && t - window + 1 > 0 ? t - window + 1 : 0;
        double mx = -1e300, sum = 0;
        for (int j = lo; j <= t; j++) {
            double s = 0;
            for (int x = 0; x < d; x++) s += (double)q[t * d + x] * k[j * d + x];
            p[j] = s * scale;
            if (p[j] > mx) mx = p[j];
        }
        for (int j = lo; j <= t; j++) sum += (p[j] = exp(p[j] - mx));
        for (int j = lo; j <= t; j++) p[j] /= sum;
        for (int x = 0; x < d; x++) {
            double a = 0;
            for (int j = lo; j <= t; j++) a += p[j] * v[j * d + x];
            y[t * d + x] = a;
        }
        /* dp_j = dy . v_j; ds_j = p_j (dp_j - sum_i p_i dp_i) */
        double dot = 0;
        for (int j = lo; j <= t; j++) {
            double s = 0;
            for (int x = 0; x < d; x++) s += (double)dy[t * d + x] * v[j * d + x];
            dp[j] = s;
            dot += p[j] * s;
        }
        for (int j = lo; j <= t; j++) {
            double ds = p[j] * (dp[j] - dot) * scale;
            for (int x = 0; x < d; x++) {
                dq[t * d + x] += ds * k[j * d + x];
                dk[j * d + x] += ds * q[t * d + x];
                dv[j * d + x] += p[j] * dy[t * d + x];
            }
        }
    }
    free(p), free(dp);
}

static double rel_err(const float *a, const double *b, size_t n)
{
    double worst = 0, mx = 0;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs(a[i] - b[i]));
        mx = fmax(mx, fabs(b[i]));
    }
    return mx > 0 ? worst / mx : worst; /* all-zero reference: absolute */
}

static void check_against_reference(int S, int d, int window)
{
    size_t n = (size_t)S * d;
    float *q = malloc(n * 4), *k = malloc(n * 4), *v = malloc(n * 4), *dy = malloc(n * 4);
    float *y = malloc(n * 4), *lse = malloc((size_t)S * 4), *dq = malloc(n * 4), *dk = malloc(n * 4),
          *dv = malloc(n * 4);
    double *ry = malloc(n * 8), *rdq = malloc(n * 8), *rdk = malloc(n * 8), *rdv = malloc(n * 8);
    for (size_t i = 0; i < n; i++) {
        q[i] = (float)(3 * (urand() - 0.5)); /* peaked rows: the running max matters */
        k[i] = (float)(3 * (urand() - 0.5));
        v[i] = (float)(urand() - 0.5);
        dy[i] = (float)(urand() - 0.5);
    }
    float scale = 1.0f / sqrtf((float)d);
    attn_shape sh = {S, d, window, scale};
    CHECK(attn_forward(&sh, NULL, q, d, k, d, v, d, y, d, lse) == 0);
    CHECK(attn_backward(&sh, NULL, q, d, k, d, v, d, y, d, lse, dy, d, dq, d, dk, d, dv, d) == 0);
    reference(S, d, window, scale, q, k, v, dy, ry, rdq, rdk, rdv);
    double ey = rel_err(y, ry, n), eq = rel_err(dq, rdq, n), ek = rel_err(dk, rdk, n), ev = rel_err(dv, rdv, n);
    CHECK_MSG(ey < 1e-6, "S %d window %d: y rel %g", S, window, ey);
    CHECK_MSG(eq < 1e-5 && ek < 1e-5 && ev < 1e-5, "S %d window %d: dq %g dk %g dv %g", S, window, eq, ek, ev);
    free(q), free(k), free(v), free(dy), free(y), free(lse), free(dq), free(dk), free(dv);
    free(ry), free(rdq), free(rdk), free(rdv);
}

TEST(causal_matches_full_softmax)
{
    check_against_reference(150, 16, 0); /* three tiles, the last ragged */
    check_against_reference(7, 8, 0);
    check_against_reference(64, 8, 0);
}

TEST(window_matches_banded_softmax)
{
    check_against_reference(150, 16, 37);  /* window inside a tile */
    check_against_reference(200, 8, 70);   /* window across tiles */
    check_against_reference(150, 16, 1);   /* each query sees only itself */
}

/* A window as long as the sequence is plain causal attention, bit for bit. */
TEST(window_at_least_sequence_is_causal)
{
    int S = 130, d = 8;
    size_t n = (size_t)S * d;
    float *q = malloc(n * 4), *k = malloc(n * 4), *v = malloc(n * 4), *y0 = malloc(n * 4),
          *y1 = malloc(n * 4), *l0 = malloc(S * 4), *l1 = malloc(S * 4);
    for (size_t i = 0; i < n; i++) q[i] = (float)urand(), k[i] = (float)urand(), v[i] = (float)urand();
    attn_shape full = {S, d, 0, 0.3f}, win = {S, d, S, 0.3f}, wide = {S, d, 10 * S, 0.3f};
    CHECK(attn_forward(&full, NULL, q, d, k, d, v, d, y0, d, l0) == 0);
    CHECK(attn_forward(&win, NULL, q, d, k, d, v, d, y1, d, l1) == 0);
    CHECK(!memcmp(y0, y1, n * 4) && !memcmp(l0, l1, S * 4));
    CHECK(attn_forward(&wide, NULL, q, d, k, d, v, d, y1, d, l1) == 0);
    CHECK(!memcmp(y0, y1, n * 4));
    free(q), free(k), free(v), free(y0), free(y1), free(l0), free(l1);
}

/* Causality: changing keys/values after t leaves y_t alone. */
TEST(causal)
{
    int S = 100, d = 8, t = 40;
    size_t n = (size_t)S * d;
    float *q = malloc(n * 4), *k = malloc(n * 4), *v = malloc(n * 4), *y0 = malloc(n * 4),
          *y1 = malloc(n * 4), *l = malloc(S * 4);
    for (size_t i = 0; i < n; i++) q[i] = (float)urand(), k[i] = (float)urand(), v[i] = (float)urand();
    attn_shape sh = {S, d, 0, 0.35f};
    CHECK(attn_forward(&sh, NULL, q, d, k, d, v, d, y0, d, l) == 0);
    for (size_t i = (size_t)(t + 1) * d; i < n; i++) k[i] += 5.0f, v[i] -= 3.0f;
    CHECK(attn_forward(&sh, NULL, q, d, k, d, v, d, y1, d, l) == 0);
    CHECK(!memcmp(y0, y1, (size_t)(t + 1) * d * 4));
    CHECK(memcmp(y0 + (size_t)(t + 1) * d, y1 + (size_t)(t + 1) * d, (n - (size_t)(t + 1) * d) * 4));
    free(q), free(k), free(v), free(y0), free(y1), free(l);
}

/* Memory slots: softmax over M slots and the window, against the reference
 * with the slots as extra keys; their gradients summed over queries. */
TEST(memory_slots_match_reference)
{
    int S = 140, d = 8, M = 5, window = 20;
    int T = M + S; /* reference sequence: slots first, then the tokens */
    size_t n = (size_t)S * d;
    float *q = malloc(n * 4), *kv[2], *dy = malloc(n * 4), *y = malloc(n * 4), *lse = malloc(S * 4);
    float *dq = malloc(n * 4), *dk = malloc(n * 4), *dv = malloc(n * 4), *mk = malloc(M * d * 4),
          *mv = malloc(M * d * 4), *dmk = calloc(M * d, 4), *dmv = calloc(M * d, 4);
    kv[0] = malloc(n * 4), kv[1] = malloc(n * 4);
    for (size_t i = 0; i < n; i++)
        q[i] = (float)(2 * (urand() - 0.5)), kv[0][i] = (float)(2 * (urand() - 0.5)),
        kv[1][i] = (float)(urand() - 0.5), dy[i] = (float)(urand() - 0.5);
    for (int i = 0; i < M * d; i++) mk[i] = (float)(2 * (urand() - 0.5)), mv[i] = (float)(urand() - 0.5);
    attn_shape sh = {S, d, window, 0.4f};
    attn_memory mem = {M, mk, mv, d, dmk, dmv, d};
    CHECK(attn_forward(&sh, &mem, q, d, kv[0], d, kv[1], d, y, d, lse) == 0);
    CHECK(attn_backward(&sh, &mem, q, d, kv[0], d, kv[1], d, y, d, lse, dy, d, dq, d, dk, d, dv, d) == 0);
    /* reference in double, query t (token) sees slots 0..M-1 and tokens t-w+1..t */
    double *ry = calloc(n, 8), *rdq = calloc(n, 8), *rdk = calloc((size_t)T * d, 8), *rdv = calloc((size_t)T * d, 8);
    double *p = malloc((size_t)T * 8), *dp = malloc((size_t)T * 8);
    for (int t = 0; t < S; t++) {
        int lo = t - window + 1 > 0 ? t - window + 1 : 0;
        double mx = -1e300, sum = 0, dot = 0;
        for (int j = 0; j < T; j++) {
            int vis = j < M || (j - M >= lo && j - M <= t);
            p[j] = 0;
            if (!vis) continue;
            const float *kj = j < M ? mk + j * d : kv[0] + (j - M) * d;
            double sc = 0;
            for (int x = 0; x < d; x++) sc += (double)q[t * d + x] * kj[x];
            p[j] = sc * 0.4f;
            mx = fmax(mx, p[j]);
        }
        for (int j = 0; j < T; j++)
            if (j < M || (j - M >= lo && j - M <= t)) sum += (p[j] = exp(p[j] - mx));
        for (int j = 0; j < T; j++) {
            if (!(j < M || (j - M >= lo && j - M <= t))) continue;
            p[j] /= sum;
            const float *vj = j < M ? mv + j * d : kv[1] + (j - M) * d;
            double s2 = 0;
            for (int x = 0; x < d; x++) ry[t * d + x] += p[j] * vj[x], s2 += (double)dy[t * d + x] * vj[x];
            dp[j] = s2;
            dot += p[j] * s2;
        }
        for (int j = 0; j < T; j++) {
            if (!(j < M || (j - M >= lo && j - M <= t))) continue;
            const float *kj = j < M ? mk + j * d : kv[0] + (j - M) * d;
            double ds = p[j] * (dp[j] - dot) * 0.4f;
            for (int x = 0; x < d; x++) {
                rdq[t * d + x] += ds * kj[x];
                rdk[j * d + x] += ds * q[t * d + x];
                rdv[j * d + x] += p[j] * dy[t * d + x];
            }
        }
    }
    double e1 = rel_err(y, ry, n), e2 = rel_err(dq, rdq, n), e3 = rel_err(dk, rdk + M * d, n),
           e4 = rel_err(dv, rdv + M * d, n), e5 = rel_err(dmk, rdk, (size_t)M * d), e6 = rel_err(dmv, rdv, (size_t)M * d);
    CHECK_MSG(e1 < 1e-6 && e2 < 1e-5 && e3 < 1e-5 && e4 < 1e-5 && e5 < 1e-5 && e6 < 1e-5,
              "y %g dq %g dk %g dv %g dmem_k %g dmem_v %g", e1, e2, e3, e4, e5, e6);
    free(q), free(kv[0]), free(kv[1]), free(dy), free(y), free(lse), free(dq), free(dk), free(dv);
    free(mk), free(mv), free(dmk), free(dmv), free(ry), free(rdq), free(rdk), free(rdv), free(p), free(dp);
}

int main(void)
{
    RUN(causal_matches_full_softmax);
    RUN(window_matches_banded_softmax);
    RUN(window_at_least_sequence_is_causal);
    RUN(causal);
    RUN(memory_slots_match_reference);
    return test_summary();
}
