/* test_parallel.c - data-parallel gradients (trainer/parallel.h): any thread
 * count gives the same bits (gradient, loss, parameters after AdamW and
 * Muon steps), and the result is the gradient of the whole batch. */
#include "tests/unit/test.h"
#include "trainer/model.h"
#include "trainer/parallel.h"

#include <stdint.h>

static uint64_t rs = 0x9e3779b9ull;
static double urand(void)
{
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    return ((rs >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

#define V 37
#define S 12

static model *tiny(const char *extra, blalm_err *e)
{
    char js[1024];
    snprintf(js, sizeof js,
             "{\"name\":\"t\",\"vocab_size\":%d,\"dim\":16,\"layers\":2,\"heads\":2,\"context\":16,"
             "\"mlp_hidden\":24,\"chunk\":4,\"init_std\":0.3%s%s}",
             V, *extra ? "," : "", extra);
    cJSON *j = cJSON_Parse(js);
    model_config c;
    int rc = model_config_from_json(j, &c, "tiny", e);
    cJSON_Delete(j);
    if (rc < 0) return NULL;
    model *m = model_create(&c, e);
    if (m) model_init_weights(m, 11);
    return m;
}

static void batch(int32_t *in, int32_t *tg, int B)
{
    rs = 0x9e3779b9ull;
    for (int i = 0; i < B * S; i++) in[i] = (int32_t)(urand() * V), tg[i] = (int32_t)(urand() * V);
    tg[5] = -1; /* ignored targets count in no slice */
    tg[S + 2] = -1;
}

/* Gradient and loss of batch B with T threads. */
static int grads_with(const char *extra, int T, int B, float *g, float *loss, blalm_err *e)
{
    model *m = tiny(extra, e);
    if (!m) return -1;
    dp_ctx *d = dp_create(m, T, 0, 1, e);
    int32_t in[8 * S], tg[8 * S];
    batch(in, tg, B);
    int rc = d ? dp_step(d, in, tg, B, S, loss, NULL, e) : -1;
    if (rc == 0) memcpy(g, model_grads(m), model_num_params(m) * sizeof *g);
    dp_free(d);
    model_free(m);
    return rc;
}

static const char *const variants[] = {
    "",
    "\"mixer\":\"attention\"",
    "\"conv_kernel\":3,\"swa_window\":4,\"swa_memory\":2,\"swa_mix\":\"dynmod\"",
    "\"hedgehog\":\"two_softmax\",\"tie_embeddings\":false",
};

TEST(threads_give_identical_bits)
{
    blalm_err e;
    for (size_t v = 0; v < sizeof variants / sizeof *variants; v++) {
        model *m = tiny(variants[v], &e);
        CHECK_MSG(m, "%s", e.msg);
        size_t n = model_num_params(m);
        model_free(m);
        for (int B = 1; B <= 7; B += 3) { /* 1, 4, 7 rows: one leaf, a full tree, a ragged one */
            float *g1 = malloc(n * 4), *gt = malloc(n * 4), l1, lt;
            CHECK_MSG(grads_with(variants[v], 1, B, g1, &l1, &e) == 0, "%s", e.msg);
            for (int T = 2; T <= 3; T++) {
                CHECK_MSG(grads_with(variants[v], T, B, gt, &lt, &e) == 0, "%s", e.msg);
                CHECK_MSG(memcmp(&l1, &lt, sizeof l1) == 0, "variant %zu B %d: loss %.9g with 1 thread, %.9g with %d",
                          v, B, l1, lt, T);
                CHECK_MSG(memcmp(g1, gt, n * 4) == 0, "variant %zu B %d: gradients differ with %d threads", v, B, T);
            }
            free(g1), free(gt);
        }
    }
}

TEST(equals_the_whole_batch_gradient)
{
    blalm_err e;
    int B = 5;
    model *m = tiny("", &e);
    CHECK_MSG(m, "%s", e.msg);
    size_t n = model_num_params(m);
    int32_t in[8 * S], tg[8 * S];
    batch(in, tg, B);
    float loss_whole, loss_dp;
    CHECK(model_forward(m, in, tg, B, S, &loss_whole, &e) == 0);
    model_zero_grad(m);
    CHECK(model_backward(m, &e) == 0);
    float *gw = malloc(n * 4), *gd = malloc(n * 4);
    memcpy(gw, model_grads(m), n * 4);
    model_free(m);
    CHECK_MSG(grads_with("", 2, B, gd, &loss_dp, &e) == 0, "%s", e.msg);
    CHECK_NEAR(loss_dp, loss_whole, 1e-5 * loss_whole);
    double num = 0, den = 0;
    for (size_t x = 0; x < n; x++) num += (gd[x] - gw[x]) * (double)(gd[x] - gw[x]), den += (double)gw[x] * gw[x];
    CHECK_MSG(sqrt(num / den) < 1e-5, "relative difference %g from the whole-batch gradient", sqrt(num / den));
    free(gw), free(gd);
}

/* Steps of the optimiser on the data-parallel gradient: parameters after
 * them, per thread count. */
static int train_with(optim_kind kind, int T, float *out, size_t *n, blalm_err *e)
{
    model *m = tiny("", e);
    if (!m) return -1;
    model_config c = *model_cfg(m);
    model_set_threads(T); /* Muon's matrices go over the threads too */
    optimizer *o = optim_create(m, kind, &c.train);
    dp_ctx *d = dp_create(m, T, 0, 1, e);
    int32_t in[8 * S], tg[8 * S];
    int rc = 0;
    for (int s = 0; s < 4 && !rc; s++) {
        batch(in, tg, 6);
        in[s] = s; /* a different batch every step */
        float loss;
        rc = dp_step(d, in, tg, 6, S, &loss, NULL, e);
        grad_clip(m, 1.0);
        optim_step(o, m, 1.0);
    }
    *n = model_num_params(m);
    memcpy(out, model_params(m), *n * 4);
    dp_free(d);
    optim_free(o);
    model_free(m);
    model_set_threads(1);
    return rc;
}

TEST(optimiser_steps_identical_for_any_thread_count)
{
    blalm_err e;
    static float p1[200000], pt[200000];
    size_t n;
    for (int k = 0; k < 2; k++) {
        optim_kind kind = k ? OPT_MUON : OPT_ADAMW;
        CHECK_MSG(train_with(kind, 1, p1, &n, &e) == 0, "%s", e.msg);
        CHECK(n <= 200000);
        for (int T = 2; T <= 3; T++) {
            CHECK_MSG(train_with(kind, T, pt, &n, &e) == 0, "%s", e.msg);
            CHECK_MSG(memcmp(p1, pt, n * 4) == 0, "%s: parameters differ after 4 steps with %d threads",
                      k ? "muon" : "adamw", T);
        }
    }
}

TEST(rows_split_like_the_tree)
{
    int lo, hi;
    dp_rows(7, 0, 2, &lo, &hi);
    CHECK(lo == 0 && hi == 3); /* the tree over 7 rows splits at 0 + 7/2 = 3 */
    dp_rows(7, 1, 2, &lo, &hi);
    CHECK(lo == 3 && hi == 7);
    dp_rows(16, 3, 4, &lo, &hi);
    CHECK(lo == 12 && hi == 16);
}

TEST(errors_name_the_row)
{
    blalm_err e;
    model *m = tiny("", &e);
    CHECK_MSG(m, "%s", e.msg);
    dp_ctx *d = dp_create(m, 2, 0, 1, &e);
    int32_t in[4 * S], tg[4 * S];
    batch(in, tg, 4);
    in[2 * S + 1] = V + 5; /* outside the vocabulary, row 2 */
    float loss;
    CHECK(dp_step(d, in, tg, 4, S, &loss, NULL, &e) < 0);
    CHECK_CONTAINS(e.msg, "row 2");
    CHECK_CONTAINS(e.msg, "outside the vocabulary");
    for (int i = 0; i < 4 * S; i++) tg[i] = -1;
    in[2 * S + 1] = 0;
    CHECK(dp_step(d, in, tg, 4, S, &loss, NULL, &e) < 0);
    CHECK_CONTAINS(e.msg, "no targets");
    dp_free(d);
    model_free(m);
}

int main(void)
{
    RUN(threads_give_identical_bits);
    RUN(equals_the_whole_batch_gradient);
    RUN(optimiser_steps_identical_for_any_thread_count);
    RUN(rows_split_like_the_tree);
    RUN(errors_name_the_row);
    return test_summary();
}
