/* test_sample.c - next-token sampling (trainer/sample.h): greedy, temperature
 * (frequencies match softmax(logits / T)), top-k, top-p, seed determinism,
 * and the same tokens as the sampler `blalm generate` had inside it before
 * it moved here (a copy kept below pins them). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "lib/fsutil.h"
#include "trainer/sample.h"

/* ---- the sampler as cmd_generate.c had it, to pin its output ---- */
static uint64_t old_rand(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

static int old_sample(const float *logits, int V, double temp, int topk, uint64_t *rs, int *idx, float *pr)
{
    int best = 0;
    for (int v = 1; v < V; v++) if (logits[v] > logits[best]) best = v;
    if (temp <= 0) return best;
    int n = V;
    for (int v = 0; v < V; v++) idx[v] = v;
    if (topk > 0 && topk < V) {
        for (int a = 0; a < topk; a++) {
            int m = a;
            for (int b = a + 1; b < V; b++) if (logits[idx[b]] > logits[idx[m]]) m = b;
            int t = idx[a]; idx[a] = idx[m]; idx[m] = t;
        }
        n = topk;
    }
    double sum = 0, mx = logits[best];
    for (int a = 0; a < n; a++) sum += (pr[a] = (float)exp((logits[idx[a]] - mx) / temp));
    double u = (double)(old_rand(rs) >> 11) / 9007199254740992.0 * sum;
    for (int a = 0; a < n; a++) {
        u -= pr[a];
        if (u <= 0) return idx[a];
    }
    return idx[n - 1];
}

static void fill_logits(float *l, int V, uint64_t seed)
{
    uint64_t s = seed * 2654435761u + 7;
    for (int v = 0; v < V; v++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        l[v] = (float)((double)(s >> 40) / (double)(1 << 24) * 8.0 - 4.0);
        if (v % 17 == 3) l[v] = l[v - 1];   /* ties too */
    }
}

TEST(same_tokens_as_before)
{
    enum { V = 300 };
    float logits[V], pr[V];
    int idx[V];
    static const double temps[] = {0, 0.3, 0.8, 1.5};
    static const int ks[] = {0, 1, 40, 299, 300, 1000};
    for (int ti = 0; ti < 4; ti++)
        for (int ki = 0; ki < 6; ki++)
            for (uint64_t seed = 1; seed <= 3; seed++) {
                sampler s;
                sample_opts o = {temps[ti], ks[ki], 1.0};
                blalm_err e;
                CHECK_MSG(sampler_init(&s, V, &o, seed, &e) == 0, "%s", e.msg);
                /* select_top's 7 * V ints only where it runs (checked after the free) */
                int sel_ok = (s.sel != NULL) == (ks[ki] > 0 && ks[ki] < V);
                uint64_t rs = seed * 0x9E3779B97F4A7C15ull + 1;
                int same = 1;
                for (int step = 0; step < 50; step++) {
                    fill_logits(logits, V, seed * 1000 + (uint64_t)step);
                    int a = sampler_next(&s, logits), b = old_sample(logits, V, temps[ti], ks[ki], &rs, idx, pr);
                    same &= a == b;
                }
                sampler_free(&s);
                CHECK_MSG(sel_ok, "k %d: select_top's arrays %s", ks[ki], sel_ok ? "" : "wrongly (not) allocated");
                CHECK_MSG(same, "T %g k %d seed %llu differs", temps[ti], ks[ki], (unsigned long long)seed);
            }
}

/* A few NaN logits (a diverged model): top-k takes select_top's NaN
 * fallback, the selection sort, and every choice is still the one the old
 * sampler made (its comparisons and sums with NaN included). */
TEST(nan_logits_same_tokens_as_before)
{
    enum { V = 300 };
    float logits[V], pr[V];
    int idx[V];
    static const double temps[] = {0, 0.8};
    static const int ks[] = {0, 1, 40, 299};
    for (int ti = 0; ti < 2; ti++)
        for (int ki = 0; ki < 4; ki++)
            for (uint64_t seed = 1; seed <= 3; seed++) {
                sampler s;
                sample_opts o = {temps[ti], ks[ki], 1.0};
                blalm_err e;
                CHECK_MSG(sampler_init(&s, V, &o, seed, &e) == 0, "%s", e.msg);
                uint64_t rs = seed * 0x9E3779B97F4A7C15ull + 1;
                int same = 1;
                for (int step = 0; step < 30; step++) {
                    fill_logits(logits, V, seed * 1000 + (uint64_t)step);
                    for (int v = 5 + step; v < V; v += 61) logits[v] = NAN;
                    if (step % 5 == 0) logits[0] = NAN;   /* the first logit too */
                    int a = sampler_next(&s, logits), b = old_sample(logits, V, temps[ti], ks[ki], &rs, idx, pr);
                    same &= a == b && a >= 0 && a < V;
                }
                CHECK_MSG(same, "NaN logits: T %g k %d seed %llu differs", temps[ti], ks[ki],
                          (unsigned long long)seed);
                sampler_free(&s);
            }
}

TEST(greedy_takes_the_first_largest_and_draws_nothing)
{
    float l[5] = {0.5f, 2.0f, -1.0f, 2.0f, 1.0f};
    sampler s;
    sample_opts o = {0, 40, 0.5};
    blalm_err e;
    CHECK(sampler_init(&s, 5, &o, 9, &e) == 0);
    uint64_t r0 = s.rng;
    for (int i = 0; i < 10; i++) CHECK_EQ_INT(sampler_next(&s, l), 1);
    CHECK(s.rng == r0);
    sampler_free(&s);
}

/* frequencies of n draws from l[V] under o */
static void draw(const float *l, int V, const sample_opts *o, uint64_t seed, int n, int *count)
{
    sampler s;
    blalm_err e;
    memset(count, 0, (size_t)V * sizeof *count);
    if (sampler_init(&s, V, o, seed, &e) != 0) return;
    for (int i = 0; i < n; i++) count[sampler_next(&s, l)]++;
    sampler_free(&s);
}

TEST(temperature_matches_softmax)
{
    /* probabilities 0.1, 0.2, 0.3, 0.4 at T = 1 */
    float l[4] = {(float)log(0.1), (float)log(0.2), (float)log(0.3), (float)log(0.4)};
    int c[4], n = 40000;
    sample_opts o = {1.0, 0, 1.0};
    draw(l, 4, &o, 5, n, c);
    for (int v = 0; v < 4; v++) CHECK_NEAR((double)c[v] / n, 0.1 * (v + 1), 0.01);
    /* T = 2: p ~ sqrt(p) */
    o.temperature = 2.0;
    draw(l, 4, &o, 6, n, c);
    double z = sqrt(0.1) + sqrt(0.2) + sqrt(0.3) + sqrt(0.4);
    for (int v = 0; v < 4; v++) CHECK_NEAR((double)c[v] / n, sqrt(0.1 * (v + 1)) / z, 0.01);
}

TEST(top_k_and_top_p_restrict_the_candidates)
{
    /* probabilities 0.5, 0.05, 0.3, 0.15 */
    float l[4] = {(float)log(0.5), (float)log(0.05), (float)log(0.3), (float)log(0.15)};
    int c[4], n = 20000;
    sample_opts o = {1.0, 2, 1.0};   /* top 2: tokens 0 and 2, renormalised 0.625 / 0.375 */
    draw(l, 4, &o, 7, n, c);
    CHECK(c[1] == 0 && c[3] == 0);
    CHECK_NEAR((double)c[0] / n, 0.625, 0.015);
    o = (sample_opts){1.0, 0, 0.7};  /* nucleus 0.7: 0.5 + 0.3 reaches it: tokens 0 and 2 */
    draw(l, 4, &o, 8, n, c);
    CHECK(c[1] == 0 && c[3] == 0 && c[0] > 0 && c[2] > 0);
    CHECK_NEAR((double)c[2] / n, 0.375, 0.015);
    o.top_p = 0.45;                  /* 0.5 alone reaches it */
    draw(l, 4, &o, 9, n, c);
    CHECK_EQ_INT(c[0], n);
    o.top_p = 0.9;                   /* 0.5 + 0.3 + 0.15 */
    draw(l, 4, &o, 10, n, c);
    CHECK(c[1] == 0 && c[3] > 0);
    o = (sample_opts){1.0, 1, 0.9};  /* top-k first: one token left */
    draw(l, 4, &o, 11, n, c);
    CHECK_EQ_INT(c[0], n);
}

TEST(seed_determinism)
{
    enum { V = 50 };
    float l[V];
    for (int v = 0; v < V; v++) l[v] = 0;   /* uniform: every draw matters */
    sample_opts o = {1.0, 0, 0.95};
    sampler a, b, c;
    blalm_err e;
    CHECK(sampler_init(&a, V, &o, 42, &e) == 0 && sampler_init(&b, V, &o, 42, &e) == 0 &&
          sampler_init(&c, V, &o, 43, &e) == 0);
    int same_ab = 1, same_ac = 1;
    for (int i = 0; i < 100; i++) {
        int x = sampler_next(&a, l), y = sampler_next(&b, l), z = sampler_next(&c, l);
        same_ab &= x == y;
        same_ac &= x == z;
    }
    CHECK(same_ab);
    CHECK(!same_ac);
    sampler_free(&a), sampler_free(&b), sampler_free(&c);
    CHECK(sampler_init(&a, 0, &o, 1, &e) == -1);
}

/* Logits of a few values only (ties everywhere) and a near-uniform
 * temperature, so any change in the order of the top k shows in the draws:
 * the same tokens as the selection sort gave. */
TEST(top_k_order_with_many_ties)
{
    enum { V = 500 };
    static float logits[V], pr[V];
    static int idx[V];
    static const int ks[] = {1, 2, 3, 7, 50, 123, 250, 499};
    for (int ki = 0; ki < 8; ki++)
        for (uint64_t seed = 1; seed <= 4; seed++) {
            sampler s;
            sample_opts o = {1000.0, ks[ki], 1.0};
            blalm_err e;
            CHECK_MSG(sampler_init(&s, V, &o, seed, &e) == 0, "%s", e.msg);
            uint64_t rs = seed * 0x9E3779B97F4A7C15ull + 1, x = seed + 99;
            int same = 1;
            for (int step = 0; step < 200; step++) {
                for (int v = 0; v < V; v++) {
                    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                    logits[v] = (float)(x % (2 + step % 6));
                }
                int a = sampler_next(&s, logits), b = old_sample(logits, V, 1000.0, ks[ki], &rs, idx, pr);
                same &= a == b;
            }
            CHECK_MSG(same, "k %d seed %llu differs", ks[ki], (unsigned long long)seed);
            sampler_free(&s);
        }
}

static int desc_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

/* A large top-k draws only among the k largest; it costs about V log k, not
 * k * V (before: about 105 ms a token for top-k 8,000 of 16,384 tokens): the
 * time is printed, not asserted (tests check behaviour, not a clock). */
TEST(large_top_k)
{
    enum { V = 16384 };
    static float logits[V];
    sampler s;
    sample_opts o = {0.8, 8000, 1.0};
    blalm_err e;
    CHECK(sampler_init(&s, V, &o, 5, &e) == 0);
    fill_logits(logits, V, 11);
    static float sorted[V];
    memcpy(sorted, logits, sizeof sorted);
    qsort(sorted, V, sizeof *sorted, desc_float);
    float kth = sorted[8000 - 1];
    double t0 = now_seconds();
    int ok = 1;
    for (int i = 0; i < 30; i++) {
        int id = sampler_next(&s, logits);
        ok &= id >= 0 && id < V && logits[id] >= kth;   /* one of the 8,000 largest */
    }
    double dt = now_seconds() - t0;
    CHECK(ok);
    printf("# 30 tokens with top-k 8000 of %d: %.3f s\n", V, dt);
    sampler_free(&s);
}

int main(void)
{
    RUN(same_tokens_as_before);
    RUN(nan_logits_same_tokens_as_before);
    RUN(greedy_takes_the_first_largest_and_draws_nothing);
    RUN(temperature_matches_softmax);
    RUN(top_k_and_top_p_restrict_the_candidates);
    RUN(seed_determinism);
    RUN(top_k_order_with_many_ties);
    RUN(large_top_k);
    return test_summary();
}
