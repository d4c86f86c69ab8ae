/* test_model.c - the decoder on its own (no PyTorch): finite-difference
 * gradient check for both mixers, generation equals the training forward,
 * optimiser sanity, safetensors round trip, config errors. */
#include "tests/unit/test.h"
#include "trainer/model.h"
#include "trainer/train.h"
#include "lib/docs.h"

#include <stdint.h>
#include <time.h>
#include <unistd.h>

static uint64_t rs = 0x1234567ull;
static double urand(void)
{
    rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
    return ((rs >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* The xLSTM-7B switches, with caps small enough to bend the tiny model's values. */
#define XLSTM_SWITCHES                                                                     \
    "\"gate_soft_cap\":2.5,\"logit_soft_cap\":1.5,\"head_norm\":\"layer\",\"qk_dim_factor\":0.5," \
    "\"igate_bias_mean\":-1,\"norm_eps\":1e-6"

/* extra: more JSON members ("" for none). */
static model *tiny_with(const char *mixer, int tie, const char *extra, blalm_err *e)
{
    char js[1024];
    snprintf(js, sizeof js,
             "{\"name\":\"t\",\"vocab_size\":29,\"dim\":16,\"layers\":2,\"heads\":2,"
             "\"context\":16,\"mlp_hidden\":24,\"mixer\":\"%s\",\"chunk\":4,"
             "\"tie_embeddings\":%s,\"init_std\":0.3%s%s}",
             mixer, tie ? "true" : "false", *extra ? "," : "", extra);
    cJSON *j = cJSON_Parse(js);
    model_config c;
    int rc = model_config_from_json(j, &c, "tiny", e);
    cJSON_Delete(j);
    if (rc < 0) return NULL;
    model *m = model_create(&c, e);
    if (!m) return NULL;
    model_init_weights(m, 7);
    /* move every parameter off its init (zero gate weights, unit norms) */
    float *p = model_params(m);
    for (size_t x = 0; x < model_num_params(m); x++) p[x] += (float)(0.2 * (urand() - 0.5));
    return m;
}

static model_config config_of(const char *js, blalm_err *e, int *rc)
{
    model_config c;
    cJSON *j = cJSON_Parse(js);
    *rc = model_config_from_json(j, &c, "x.json", e);
    cJSON_Delete(j);
    return c;
}

static model *tiny(const char *mixer, int tie, blalm_err *e) { return tiny_with(mixer, tie, "", e); }

static void tokens_for(int32_t *tok, int32_t *tgt, int n, int V)
{
    for (int i = 0; i < n; i++) tok[i] = (int32_t)(urand() * V), tgt[i] = (int32_t)(urand() * V);
    tgt[3] = -1; /* an ignored position */
}

static void grad_check(const char *mixer, int tie, const char *extra)
{
    blalm_err e;
    model *m = tiny_with(mixer, tie, extra, &e);
    CHECK_MSG(m, "%s", e.msg);
    int B = 2, S = 10; /* S not a multiple of the chunk (4) */
    int32_t tok[20], tgt[20];
    tokens_for(tok, tgt, B * S, 29);
    float loss;
    CHECK(model_forward(m, tok, tgt, B, S, &loss, &e) == 0);
    model_zero_grad(m);
    CHECK(model_backward(m, &e) == 0);
    /* Directional derivatives, one random direction per tensor: the sum over
     * many entries lifts the signal far above float rounding of the loss.
     * The loss has kinks (|den| against exp(-m) in the mLSTM normaliser, the
     * max stabiliser); a direction whose central differences at h and h/2
     * disagree crosses one, and another direction is drawn (3 at most). */
    float *p = model_params(m), *g = model_grads(m);
    int checked = 0, redrawn = 0;
    double worst = 0;
    char worst_name[80] = "";
    for (int t = 0; t < model_num_tensors(m); t++) {
        const tensor_info *ti = model_tensor(m, t);
        size_t n = (size_t)ti->rows * (ti->cols ? ti->cols : 1);
        float *save = malloc(n * 4), *dir = malloc(n * 4);
        memcpy(save, p + ti->offset, n * 4);
        double an = 0, fd = 0;
        for (int attempt = 0; attempt < 3; attempt++) {
            an = 0;
            for (size_t x = 0; x < n; x++) {
                dir[x] = (float)(urand() - 0.5);
                an += (double)dir[x] * g[ti->offset + x];
            }
            /* small steps where the slope is large (curvature), larger where it is tiny (rounding) */
            float h = (float)(1e-3 * fmin(30.0, fmax(1.0, 0.02 / (fabs(an) + 1e-9))));
            double fds[2];
            for (int k = 0; k < 2; k++) {
                float hk = k ? h / 2 : h, lp, lm;
                for (size_t x = 0; x < n; x++) p[ti->offset + x] = save[x] + hk * dir[x];
                model_forward(m, tok, tgt, B, S, &lp, &e);
                for (size_t x = 0; x < n; x++) p[ti->offset + x] = save[x] - hk * dir[x];
                model_forward(m, tok, tgt, B, S, &lm, &e);
                fds[k] = ((double)lp - lm) / (2.0 * hk);
            }
            memcpy(p + ti->offset, save, n * 4);
            fd = fds[0];
            if (fabs(fds[0] - fds[1]) <= 1e-2 * (fmax(fabs(fds[0]), fabs(fds[1])) + 1e-3)) break;
            redrawn++;
        }
        free(save), free(dir);
        double err = fabs(fd - an) / (fmax(fabs(fd), fabs(an)) + 1e-3);
        if (getenv("GRADCHECK_VERBOSE")) printf("# %-28s fd %.6g an %.6g\n", ti->name, fd, an);
        if (err > worst) worst = err, snprintf(worst_name, sizeof worst_name, "%s", ti->name);
        checked++;
    }
    if (getenv("GRADCHECK_VERBOSE")) printf("# %d directions redrawn (kinks)\n", redrawn);
    CHECK_MSG(redrawn < checked / 4, "%d of %d tensors needed another direction", redrawn, checked);
    model_free(m);
    CHECK(checked > 20);
    CHECK_MSG(worst < 2e-2, "%s: worst relative gradient error %g at %s", mixer, worst, worst_name);
}

TEST(finite_differences_mlstm) { grad_check("mlstm", 1, ""); }
TEST(finite_differences_attention) { grad_check("attention", 0, ""); }
TEST(finite_differences_xlstm_switches) { grad_check("mlstm", 0, XLSTM_SWITCHES); }
TEST(finite_differences_shortconv_mlstm) { grad_check("mlstm", 1, "\"conv_kernel\":4"); }
TEST(finite_differences_shortconv_attention) { grad_check("attention", 1, "\"conv_kernel\":3"); }
#define SWA(mix) "\"swa_window\":4,\"swa_mix\":\"" mix "\",\"swa_alpha_init\":0.6"
TEST(finite_differences_hedgehog_two) { grad_check("mlstm", 1, "\"hedgehog\":\"two_softmax\""); }
TEST(finite_differences_hedgehog_one) { grad_check("mlstm", 1, "\"hedgehog\":\"one_softmax\",\"qk_scale\":0.5"); }
TEST(finite_differences_swa_sum) { grad_check("mlstm", 1, SWA("sum")); }
TEST(finite_differences_swa_dynmod) { grad_check("mlstm", 1, SWA("dynmod")); }
TEST(finite_differences_swa_dynmod_bounded) { grad_check("mlstm", 1, SWA("dynmod_bounded")); }
TEST(finite_differences_swa_memory) { grad_check("mlstm", 1, SWA("dynmod") ",\"swa_memory\":3"); }
TEST(finite_differences_swa_attention) { grad_check("attention", 0, SWA("dynmod")); }

/* Token-by-token generation (recurrent mLSTM / KV cache) = training forward. */
static void gen_matches(const char *mixer, const char *extra)
{
    blalm_err e;
    model *m = tiny_with(mixer, 1, extra, &e);
    CHECK_MSG(m, "%s", e.msg);
    int S = 13;
    int32_t tok[13];
    for (int i = 0; i < S; i++) tok[i] = (int32_t)(urand() * 29);
    CHECK(model_forward(m, tok, NULL, 1, S, NULL, &e) == 0);
    const float *ref = model_logits(m);
    gen_state *gs = gen_create(m, S);
    float logits[29];
    double worst = 0, mx = 0;
    for (int t = 0; t < S; t++) {
        CHECK(gen_step(m, gs, tok[t], logits) == 0);
        for (int v = 0; v < 29; v++) {
            worst = fmax(worst, fabs(logits[v] - ref[(size_t)t * 29 + v]));
            mx = fmax(mx, fabs(ref[(size_t)t * 29 + v]));
        }
    }
    CHECK(gen_step(m, gs, 0, logits) == -1); /* past max_len */
    gen_free(gs);
    model_free(m);
    CHECK_MSG(worst / mx < 1e-5, "%s: generation vs forward rel %g", mixer, worst / mx);
}

TEST(generation_matches_forward_mlstm) { gen_matches("mlstm", ""); }
TEST(generation_matches_forward_attention) { gen_matches("attention", ""); }
TEST(generation_matches_forward_xlstm_switches) { gen_matches("mlstm", XLSTM_SWITCHES); }
TEST(generation_matches_forward_shortconv_mlstm) { gen_matches("mlstm", "\"conv_kernel\":4"); }
TEST(generation_matches_forward_shortconv_attention) { gen_matches("attention", "\"conv_kernel\":4"); }
TEST(generation_matches_forward_shortconv_kernel1) { gen_matches("mlstm", "\"conv_kernel\":1"); }
TEST(generation_matches_forward_swa)
{
    gen_matches("mlstm", SWA("sum"));
    gen_matches("mlstm", SWA("dynmod_bounded"));
    gen_matches("attention", SWA("dynmod"));
    gen_matches("mlstm", "\"swa_window\":40"); /* window past the generation length */
    gen_matches("mlstm", SWA("sum") ",\"swa_memory\":3");
    gen_matches("attention", "\"swa_window\":40,\"swa_memory\":70"); /* slots past a tile */
}

TEST(generation_matches_forward_hedgehog)
{
    gen_matches("mlstm", "\"hedgehog\":\"two_softmax\"");
    gen_matches("mlstm", "\"hedgehog\":\"one_softmax\",\"qk_scale\":0.5," SWA("dynmod"));
}

/* Identity-initialised Hedgehog: the maps are I per head, so the cell sees
 * phi(q) = [softmax(q), softmax(-q)] (two) or softmax([q, -q]) (one) of the
 * projected q itself (the PyTorch twin computes those from the formula on
 * the initial weights); Hedgehog refuses the attention mixer. */
TEST(hedgehog_identity_init_feature_map)
{
    for (int one = 0; one < 2; one++) {
        blalm_err e;
        int rc;
        model_config c = config_of(one ? "{\"dim\":8,\"heads\":2,\"hedgehog\":\"one_softmax\"}"
                                       : "{\"dim\":8,\"heads\":2,\"hedgehog\":\"two_softmax\"}", &e, &rc);
        CHECK_MSG(rc == 0, "%s", e.msg);
        model *m = model_create(&c, &e);
        CHECK(m);
        model_init_weights(m, 1);
        const tensor_info *t = model_tensor(m, model_find_tensor(m, "layers.0.mixer.hh_q.weight"));
        const float *W = model_params(m) + t->offset;
        CHECK_EQ_INT(t->rows, 8);
        CHECK_EQ_INT(t->cols, 4);
        for (int r = 0; r < 8; r++)
            for (int k = 0; k < 4; k++) CHECK(W[r * 4 + k] == (r % 4 == k ? 1.0f : 0.0f));
        model_free(m); /* the map phi itself at this init: trainer_twin.sh's hh-two case */
    }
    blalm_err e;
    int rc;
    config_of("{\"dim\":8,\"heads\":2,\"mixer\":\"attention\",\"hedgehog\":\"two_softmax\"}", &e, &rc);
    CHECK(rc < 0);
    CHECK_MSG(strstr(e.msg, "hedgehog"), "message \"%s\" lacks hedgehog", e.msg);
}

/* DynMod with alpha = 0 is the plain mLSTM (same shared weights), and the
 * SWA branch's gradients are exactly zero; alpha's own is not. */
TEST(dynmod_alpha_zero_is_plain_mlstm)
{
    blalm_err e;
    model *sw = tiny_with("mlstm", 1, "\"swa_window\":4,\"swa_mix\":\"dynmod\",\"swa_alpha_init\":0", &e);
    model *pl = tiny_with("mlstm", 1, "", &e);
    CHECK(sw && pl);
    float *ps = model_params(sw), *pp = model_params(pl);
    int shared = 0;
    for (int t = 0; t < model_num_tensors(sw); t++) {
        const tensor_info *ti = model_tensor(sw, t);
        if (strstr(ti->name, "swa_alpha")) ps[ti->offset] = 0.0f; /* tiny() perturbed it */
        int u = model_find_tensor(pl, ti->name);
        if (u < 0) continue;
        memcpy(pp + model_tensor(pl, u)->offset, ps + ti->offset,
               (size_t)ti->rows * (ti->cols ? ti->cols : 1) * 4);
        shared++;
    }
    CHECK_EQ_INT(shared, model_num_tensors(pl));
    int32_t tok[20], tgt[20];
    tokens_for(tok, tgt, 20, 29);
    float l1, l2;
    CHECK(model_forward(sw, tok, tgt, 2, 10, &l1, &e) == 0);
    CHECK(model_forward(pl, tok, tgt, 2, 10, &l2, &e) == 0);
    /* equal up to float rounding: the fused projection is wider with the
     * branch, and OpenBLAS may block the shared columns' sums differently */
    double worst = 0, top = 0;
    for (int x = 0; x < 20 * 29; x++) {
        worst = fmax(worst, fabs(model_logits(sw)[x] - model_logits(pl)[x]));
        top = fmax(top, fabs(model_logits(pl)[x]));
    }
    printf("# alpha 0 vs plain mLSTM: logits differ by %.3g relative, loss %.9g vs %.9g\n", worst / top, l1, l2);
    CHECK_MSG(worst / top < 1e-6, "alpha 0: logits rel %g from the plain mLSTM", worst / top);
    model_zero_grad(sw);
    CHECK(model_backward(sw, &e) == 0);
    const float *g = model_grads(sw);
    for (int t = 0; t < model_num_tensors(sw); t++) {
        const tensor_info *ti = model_tensor(sw, t);
        size_t n = (size_t)ti->rows * (ti->cols ? ti->cols : 1);
        double mx = 0;
        for (size_t x = 0; x < n; x++) mx = fmax(mx, fabs(g[ti->offset + x]));
        if (strstr(ti->name, "swa_alpha"))
            CHECK_MSG(mx > 0, "%s: zero gradient", ti->name);
        else if (strstr(ti->name, "swa_"))
            CHECK_MSG(mx == 0, "%s: gradient %g with alpha 0", ti->name, mx);
    }
    double al[8];
    CHECK_EQ_INT(model_swa_alpha(sw, al), 2);
    CHECK(al[0] == 0 && al[1] == 0);
    model_free(sw), model_free(pl);
}

/* Causality of the whole decoder (and so of ShortConv): tokens after t do
 * not change the logits up to t, bit for bit. */
static void causal(const char *mixer, const char *extra)
{
    blalm_err e;
    model *m = tiny_with(mixer, 1, extra, &e);
    CHECK_MSG(m, "%s", e.msg);
    int S = 14, t = 6;
    int32_t tok[14];
    for (int i = 0; i < S; i++) tok[i] = (int32_t)(urand() * 29);
    CHECK(model_forward(m, tok, NULL, 1, S, NULL, &e) == 0);
    float *ref = malloc((size_t)S * 29 * 4);
    memcpy(ref, model_logits(m), (size_t)S * 29 * 4);
    for (int i = t + 1; i < S; i++) tok[i] = (tok[i] + 5) % 29;
    CHECK(model_forward(m, tok, NULL, 1, S, NULL, &e) == 0);
    CHECK_MSG(!memcmp(ref, model_logits(m), (size_t)(t + 1) * 29 * 4), "%s %s: logits up to %d changed", mixer, extra, t);
    CHECK(memcmp(ref + (t + 1) * 29, model_logits(m) + (t + 1) * 29, (size_t)(S - t - 1) * 29 * 4));
    free(ref);
    model_free(m);
}

/* The variants' training form against their generation path on a real
 * document: its bytes as tokens (vocab 256), log-probability summed both
 * ways must agree within 1e-5 relative. */
static const char *const variants[][2] = {
    {"mlstm", ""},
    {"attention", ""},
    {"mlstm", XLSTM_SWITCHES},
    {"mlstm", "\"conv_kernel\":4"},
    {"attention", "\"conv_kernel\":4"},
    {"mlstm", "\"swa_window\":32,\"swa_mix\":\"sum\""},
    {"mlstm", "\"swa_window\":32,\"swa_mix\":\"dynmod\",\"swa_alpha_init\":0.5"},
    {"mlstm", "\"swa_window\":32,\"swa_mix\":\"dynmod_bounded\",\"swa_alpha_init\":0.5,\"conv_kernel\":4"},
    {"mlstm", "\"hedgehog\":\"two_softmax\""},
    {"mlstm", "\"swa_window\":32,\"swa_memory\":4,\"swa_mix\":\"dynmod\""},
    {"mlstm", "\"hedgehog\":\"one_softmax\",\"swa_window\":32"},
};

TEST(real_document_logprob_training_vs_generation)
{
    const char *dir = test_shared_data();
    if (!dir) SKIPF("BLALM_SHARED_DATA not set: real-document log-probabilities not checked");
    char path[4096];
    snprintf(path, sizeof path, "%s/fineweb-legal.jsonl.zst", dir);
    blalm_err e;
    doc_opts o = {0};
    doc_reader *r = doc_open(path, &o, &e);
    if (!r) SKIPF("%s", e.msg);
    blalm_doc d;
    CHECK(doc_next(r, &d, &e) == 1);
    enum { S = 200 };
    int32_t tok[S], tgt[S];
    CHECK(d.text_len > S + 1);
    for (int i = 0; i < S; i++) tok[i] = (unsigned char)d.text[i], tgt[i] = (unsigned char)d.text[i + 1];
    doc_close(r);
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        char js[1024];
        snprintf(js, sizeof js,
                 "{\"vocab_size\":256,\"dim\":32,\"layers\":2,\"heads\":2,\"context\":256,"
                 "\"mlp_hidden\":48,\"mixer\":\"%s\",\"chunk\":16,\"init_std\":0.2%s%s}",
                 variants[v][0], *variants[v][1] ? "," : "", variants[v][1]);
        cJSON *j = cJSON_Parse(js);
        model_config c;
        CHECK_MSG(model_config_from_json(j, &c, "variant", &e) == 0, "%s", e.msg);
        cJSON_Delete(j);
        model *m = model_create(&c, &e);
        CHECK(m);
        model_init_weights(m, 11);
        float *p = model_params(m);
        for (size_t x = 0; x < model_num_params(m); x++) p[x] += (float)(0.1 * (urand() - 0.5));
        float loss;
        CHECK(model_forward(m, tok, tgt, 1, S, &loss, &e) == 0);
        double lp_train = -(double)loss * S, lp_gen = 0;
        gen_state *g = gen_create(m, S);
        float logits[256];
        for (int t = 0; t < S; t++) {
            CHECK(gen_step(m, g, tok[t], logits) == 0);
            double mx = logits[0], sum = 0;
            for (int k = 1; k < 256; k++) mx = fmax(mx, logits[k]);
            for (int k = 0; k < 256; k++) sum += exp(logits[k] - mx);
            lp_gen += logits[tgt[t]] - mx - log(sum);
        }
        gen_free(g);
        model_free(m);
        double rel = fabs(lp_train - lp_gen) / fabs(lp_gen);
        printf("# %s %s: log p = %.6f (training form) vs %.6f (generation), rel %.2g\n", variants[v][0],
               variants[v][1], lp_train, lp_gen, rel);
        CHECK_MSG(rel < 1e-5, "%s %s: rel %g", variants[v][0], variants[v][1], rel);
    }
}

TEST(shortconv_causal)
{
    causal("mlstm", "\"conv_kernel\":4");
    causal("attention", "\"conv_kernel\":4");
}


/* Head sizes: qk and v follow their own factors; an explicit qk_head_dim no
 * longer shrinks v. */
TEST(config_head_sizes)
{
    blalm_err e;
    int rc;
    model_config c = config_of("{\"dim\":64,\"heads\":4,\"qk_head_dim\":8}", &e, &rc);
    CHECK_MSG(rc == 0, "%s", e.msg);
    CHECK_EQ_INT(c.qk_head_dim, 8);
    CHECK_EQ_INT(c.v_head_dim, 16);
    c = config_of("{\"dim\":64,\"heads\":4,\"qk_dim_factor\":0.5,\"v_dim_factor\":2}", &e, &rc);
    CHECK_MSG(rc == 0, "%s", e.msg);
    CHECK_EQ_INT(c.qk_head_dim, 8);
    CHECK_EQ_INT(c.v_head_dim, 32);
    c = config_of("{\"dim\":64,\"heads\":4,\"qk_dim_factor\":0.3}", &e, &rc);
    CHECK(rc < 0);
    CHECK_MSG(strstr(e.msg, "qk_dim_factor"), "message \"%s\" lacks qk_dim_factor", e.msg);
    c = config_of("{\"dim\":64,\"heads\":4,\"head_norm\":\"group\"}", &e, &rc);
    CHECK(rc < 0);
    CHECK_MSG(strstr(e.msg, "head_norm"), "message \"%s\" lacks head_norm", e.msg);
    c = config_of("{\"dim\":64,\"heads\":4,\"init\":\"kaiming\"}", &e, &rc);
    CHECK(rc < 0);
    CHECK_MSG(strstr(e.msg, "init"), "message \"%s\" lacks init", e.msg);
    c = config_of("{\"dim\":64,\"heads\":4,\"gate_soft_cap\":-1}", &e, &rc);
    CHECK(rc < 0);
    /* defaults are today's model: no caps, RMS head norm, GPT-2 init, tied */
    c = config_of("{\"dim\":64,\"heads\":4}", &e, &rc);
    CHECK(rc == 0 && c.gate_soft_cap == 0 && c.logit_soft_cap == 0 && c.head_norm == HEAD_NORM_RMS &&
          c.init == INIT_GPT2 && c.tie_embeddings && c.igate_bias_mean == 0 && c.igate_bias_std == 0.1);
    /* round trip through JSON keeps every switch */
    model_config d = config_of("{\"dim\":64,\"heads\":4,\"init\":\"xlstm\"," XLSTM_SWITCHES "}", &e, &rc);
    CHECK_MSG(rc == 0, "%s", e.msg);
    cJSON *j = model_config_to_json(&d);
    model_config d2;
    CHECK(model_config_from_json(j, &d2, "rt", &e) == 0);
    cJSON_Delete(j);
    char what[160];
    CHECK_MSG(!model_config_diff(&d, &d2, what, sizeof what), "round trip changed %s", what);
    CHECK(model_config_diff(&c, &d, what, sizeof what));
    CHECK_MSG(strstr(what, "qk_head_dim"), "diff \"%s\" lacks qk_head_dim", what);
    d2.head_norm = HEAD_NORM_RMS;
    CHECK(model_config_diff(&d, &d2, what, sizeof what));
    CHECK_MSG(!strcmp(what, "head_norm layer vs rms"), "diff \"%s\"", what);
}

/* a run's config.json (test_words_scale, babylm_compliant added by train) is a
 * valid model config: the two keys describe the run, not the model */
TEST(config_reads_run_config_json)
{
    blalm_err e;
    int rc;
    model_config c = config_of("{\"dim\":64,\"heads\":4,\"test_words_scale\":0.01,\"babylm_compliant\":false}",
                               &e, &rc);
    CHECK_MSG(rc == 0, "%s", e.msg);
    model_config d = config_of("{\"dim\":64,\"heads\":4}", &e, &rc);
    char what[160];
    CHECK_MSG(!model_config_diff(&c, &d, what, sizeof what), "the run keys changed %s", what);
    static const char *const bad[] = {
        "{\"dim\":64,\"heads\":4,\"test_words_scale\":\"0.01\"}",
        "{\"dim\":64,\"heads\":4,\"test_words_scale\":0}",
        "{\"dim\":64,\"heads\":4,\"test_words_scale\":1.5}",
        "{\"dim\":64,\"heads\":4,\"babylm_compliant\":\"no\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        config_of(bad[i], &e, &rc);
        CHECK_MSG(rc < 0, "%s accepted", bad[i]);
        CHECK_MSG(rc < 0 && (strstr(e.msg, "\"test_words_scale\"") || strstr(e.msg, "\"babylm_compliant\"")),
                  "message \"%s\" names no key", e.msg);
    }
}

static double sample_std(const float *p, size_t n)
{
    double s = 0, ss = 0;
    for (size_t x = 0; x < n; x++) s += p[x], ss += (double)p[x] * p[x];
    return sqrt(ss / n - (s / n) * (s / n));
}

/* xLSTM init: small_init sqrt(2/(5D)) for inputs, wang 2/(L sqrt(D)) for
 * output projections; igate bias -10 exactly with std 0. */
TEST(xlstm_init)
{
    blalm_err e;
    int rc;
    model_config c = config_of("{\"vocab_size\":512,\"dim\":128,\"heads\":4,\"layers\":4,"
                               "\"init\":\"xlstm\",\"igate_bias_mean\":-10,\"igate_bias_std\":0}",
                               &e, &rc);
    CHECK_MSG(rc == 0, "%s", e.msg);
    model *m = model_create(&c, &e);
    CHECK(m);
    model_init_weights(m, 3);
    const float *p = model_params(m);
    const tensor_info *t = model_tensor(m, model_find_tensor(m, "layers.1.mixer.q.weight"));
    double want = sqrt(2.0 / (5 * 128)), got = sample_std(p + t->offset, (size_t)t->rows * t->cols);
    CHECK_MSG(fabs(got / want - 1) < 0.03, "q std %g, small_init %g", got, want);
    t = model_tensor(m, model_find_tensor(m, "embed.weight"));
    got = sample_std(p + t->offset, (size_t)t->rows * t->cols);
    CHECK_MSG(fabs(got / want - 1) < 0.03, "embed std %g, small_init %g", got, want);
    t = model_tensor(m, model_find_tensor(m, "layers.2.mlp.down.weight"));
    want = 2.0 / (4 * sqrt(128.0)), got = sample_std(p + t->offset, (size_t)t->rows * t->cols);
    CHECK_MSG(fabs(got / want - 1) < 0.03, "down std %g, wang %g", got, want);
    t = model_tensor(m, model_find_tensor(m, "layers.0.mixer.igate.bias"));
    for (int i = 0; i < t->rows; i++) CHECK_MSG(p[t->offset + i] == -10.0f, "igate bias %g", p[t->offset + i]);
    model_free(m);
    /* gpt2 (default): N(0, 0.02) */
    c = config_of("{\"vocab_size\":512,\"dim\":128,\"heads\":4,\"layers\":4}", &e, &rc);
    m = model_create(&c, &e);
    model_init_weights(m, 3);
    t = model_tensor(m, model_find_tensor(m, "layers.1.mixer.q.weight"));
    got = sample_std(model_params(m) + t->offset, (size_t)t->rows * t->cols);
    CHECK_MSG(fabs(got / 0.02 - 1) < 0.03, "q std %g, gpt2 0.02", got);
    model_free(m);
}

/* Soft caps bound what they cap: logits within +-cap however large the weights. */
TEST(logit_soft_cap_bounds)
{
    blalm_err e;
    model *m = tiny_with("mlstm", 1, "\"logit_soft_cap\":1.5", &e);
    CHECK_MSG(m, "%s", e.msg);
    float *p = model_params(m);
    for (size_t x = 0; x < model_num_params(m); x++) p[x] *= 20.0f;
    int32_t tok[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    CHECK(model_forward(m, tok, NULL, 1, 8, NULL, &e) == 0);
    const float *l = model_logits(m);
    float mx = 0;
    for (int x = 0; x < 8 * 29; x++) mx = fmaxf(mx, fabsf(l[x]));
    CHECK_MSG(mx <= 1.5f && mx > 1.0f, "max |logit| %g with cap 1.5", mx);
    model_free(m);
}

/* A few optimiser steps on a fixed batch lower the loss (both optimisers). */
static void overfits(optim_kind k)
{
    blalm_err e;
    model *m = tiny("mlstm", 1, &e);
    CHECK_MSG(m, "%s", e.msg);
    model_config c = *model_cfg(m);
    c.train.warmup_steps = 2;
    c.train.lr_adamw = 1e-2;
    c.train.lr_muon = 0.02;
    optimizer *o = optim_create(m, k, &c.train);
    int32_t tok[20], tgt[20];
    tokens_for(tok, tgt, 20, 29);
    float first = 0, loss = 0;
    for (int s = 0; s < 30; s++) {
        CHECK(model_forward(m, tok, tgt, 2, 10, &loss, &e) == 0);
        if (!s) first = loss;
        model_zero_grad(m);
        CHECK(model_backward(m, &e) == 0);
        grad_clip(m, 1.0);
        optim_step(o, m, lr_schedule(&c.train, s, 30));
    }
    optim_free(o);
    model_free(m);
    CHECK_MSG(loss < 0.7 * first && isfinite(loss), "loss %g -> %g", first, loss);
}

TEST(adamw_lowers_loss) { overfits(OPT_ADAMW); }
TEST(muon_lowers_loss) { overfits(OPT_MUON); }

/* Newton-Schulz output has singular values near 1: X X^T close to I (wide). */
TEST(muon_newton_schulz)
{
    int r = 8, c = 20;
    float X[160], A[64];
    for (int i = 0; i < r * c; i++) X[i] = (float)(urand() - 0.5);
    muon_orthogonalise(X, r, c);
    for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++) {
            double s = 0;
            for (int k = 0; k < c; k++) s += X[i * c + k] * X[j * c + k];
            A[i * r + j] = (float)s;
        }
    for (int i = 0; i < r; i++) CHECK_MSG(A[i * r + i] > 0.5 && A[i * r + i] < 1.5, "diag %g", A[i * r + i]);
    /* tall matrices go through the transpose */
    float Y[160];
    for (int i = 0; i < r * c; i++) Y[i] = (float)(urand() - 0.5);
    muon_orthogonalise(Y, c, r);
    for (int i = 0; i < r * c; i++) CHECK(isfinite(Y[i]));
}

TEST(schedules)
{
    model_config c;
    model_config_defaults(&c);
    c.train.warmup_steps = 10;
    c.train.min_lr_frac = 0.1;
    CHECK_NEAR(lr_schedule(&c.train, 0, 100), 0.1, 1e-12);
    CHECK_NEAR(lr_schedule(&c.train, 9, 100), 1.0, 1e-12);
    CHECK_NEAR(lr_schedule(&c.train, 10, 100), 1.0, 1e-12);
    CHECK_NEAR(lr_schedule(&c.train, 100, 100), 0.1, 1e-12);
    snprintf(c.train.schedule, sizeof c.train.schedule, "wsd");
    c.train.decay_frac = 0.2;
    CHECK_NEAR(lr_schedule(&c.train, 50, 100), 1.0, 1e-12);
    CHECK_NEAR(lr_schedule(&c.train, 79, 100), 1.0, 1e-12);
    CHECK_NEAR(lr_schedule(&c.train, 80, 100), 1.0 - 0.9 / 20, 1e-12);  /* the decay's first step */
    CHECK_NEAR(lr_schedule(&c.train, 89, 100), 0.55, 1e-12);
    /* the last step runs at exactly min_lr_frac, the final rate */
    CHECK_NEAR(lr_schedule(&c.train, 99, 100), 0.1, 1e-12);
    c.train.warmup_steps = 3, c.train.decay_frac = 0.2;   /* the audit's 20-step run: 4 decay steps */
    CHECK_NEAR(lr_schedule(&c.train, 19, 20), 0.1, 1e-12);
    CHECK_NEAR(lr_schedule(&c.train, 16, 20), 1.0 - 0.9 / 4, 1e-12);
}

TEST(safetensors_round_trip)
{
    blalm_err e;
    model *m = tiny("mlstm", 0, &e), *m2 = tiny("mlstm", 0, &e);
    CHECK(m && m2);
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", test_tmpdir());
    CHECK_MSG(model_save_safetensors(m, path, &e) == 0, "%s", e.msg);
    CHECK_MSG(model_load_safetensors(m2, path, &e) == 0, "%s", e.msg);
    CHECK(!memcmp(model_params(m), model_params(m2), model_num_params(m) * 4));
    /* a truncated file is refused */
    FILE *f = fopen(path, "r+b");
    CHECK(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fclose(f);
    CHECK(truncate(path, len - 10) == 0);
    CHECK(model_load_safetensors(m2, path, &e) < 0);
    CHECK_MSG(strstr(e.msg, "model.safetensors"), "message \"%s\" lacks %s", e.msg, "model.safetensors");
    model_free(m), model_free(m2);
}

/* Rewrites a safetensors file with its header's entry for tensor NAME
 * changed: key set to the JSON value json (NULL: key removed). */
static int st_rewrite(const char *path, const char *name, const char *key, const char *json)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    unsigned char *b = malloc((size_t)len);
    if (!b || fread(b, 1, (size_t)len, f) != (size_t)len) {
        fclose(f);
        free(b);
        return -1;
    }
    fclose(f);
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)b[i] << (8 * i);
    cJSON *h = cJSON_ParseWithLength((const char *)b + 8, hl), *o = cJSON_GetObjectItemCaseSensitive(h, name);
    if (!o) {
        cJSON_Delete(h);
        free(b);
        return -1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    if (json) cJSON_AddItemToObject(o, key, cJSON_Parse(json));
    char *js = cJSON_PrintUnformatted(h);
    cJSON_Delete(h);
    size_t nl = strlen(js), padded = (nl + 7) / 8 * 8;
    f = fopen(path, "wb");
    unsigned char lb[8];
    for (int i = 0; i < 8; i++) lb[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    fwrite(lb, 1, 8, f);
    fwrite(js, 1, nl, f);
    for (size_t i = nl; i < padded; i++) fputc(' ', f);
    fwrite(b + 8 + hl, 1, (size_t)len - 8 - hl, f);
    fclose(f);
    free(js);
    free(b);
    return 0;
}

/* A header whose shapes, dtype or data_offsets do not describe the model's
 * tensors is refused even when the byte count fits (a 2-D tensor declared
 * transposed loaded as if correct), naming the tensor and both shapes. */
TEST(safetensors_header_checked)
{
    blalm_err e;
    model *m = tiny("mlstm", 0, &e), *m2 = tiny("mlstm", 0, &e);
    CHECK(m && m2);
    const tensor_info *t = NULL;
    for (int i = 0; i < model_num_tensors(m) && !t; i++)
        if (model_tensor(m, i)->cols && model_tensor(m, i)->cols != model_tensor(m, i)->rows) t = model_tensor(m, i);
    CHECK(t);
    size_t bytes = (size_t)t->rows * t->cols * 4;
    char path[512], tr[64], want[200], big[64], frac[64], swapped[64];
    snprintf(path, sizeof path, "%s/hdr.safetensors", test_tmpdir());
    snprintf(tr, sizeof tr, "[%d,%d]", t->cols, t->rows);
    snprintf(swapped, sizeof swapped, "shape [%d, %d], expected [%d, %d]", t->cols, t->rows, t->rows, t->cols);
    snprintf(big, sizeof big, "[%zu,%zu]", model_num_params(m) * 4, model_num_params(m) * 4 + bytes);
    snprintf(frac, sizeof frac, "[0.5,%zu.5]", bytes);
    const char *cases[][3] = {
        {"shape", tr, swapped},
        {"shape", "[1]", "shape [1], expected"},
        {"shape", NULL, "shape missing or not an array"},
        {"dtype", "\"F16\"", "dtype F16, expected \"F32\""},
        {"data_offsets", frac, "data_offsets must be two integers"},
        {"data_offsets", "[\"0\",\"64\"]", "data_offsets must be two integers"},
        {"data_offsets", big, "outside the"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        CHECK_MSG(model_save_safetensors(m, path, &e) == 0, "%s", e.msg);
        CHECK(st_rewrite(path, t->name, cases[c][0], cases[c][1]) == 0);
        CHECK_MSG(model_load_safetensors(m2, path, &e) < 0, "%s %s accepted", cases[c][0],
                  cases[c][1] ? cases[c][1] : "(absent)");
        snprintf(want, sizeof want, "tensor %s: ", t->name);
        CHECK_MSG(strstr(e.msg, want) && strstr(e.msg, cases[c][2]) && strstr(e.msg, "hdr.safetensors"),
                  "message \"%s\" lacks %s%s", e.msg, want, cases[c][2]);
    }
    /* the tensors must tile the data, as Python's safetensors checks: a
     * tensor overlapping the one before, a gap, or bytes after the last were
     * loaded as if the file were whole */
    const tensor_info *t0 = model_tensor(m, 0), *u = model_tensor(m, 1);
    size_t u0 = (size_t)t0->rows * (t0->cols ? t0->cols : 1) * 4, ub = (size_t)u->rows * (u->cols ? u->cols : 1) * 4;
    char moved[2][64], what[2][200];
    snprintf(moved[0], sizeof moved[0], "[%zu,%zu]", u0 - 4, u0 - 4 + ub);
    snprintf(what[0], sizeof what[0], "tensor %s: data_offsets [%zu, %zu] overlap tensor %s's [0, %zu]", u->name,
             u0 - 4, u0 - 4 + ub, t0->name, u0);
    snprintf(moved[1], sizeof moved[1], "[%zu,%zu]", u0 + 4, u0 + 4 + ub);
    snprintf(what[1], sizeof what[1], "tensor %s: data_offsets [%zu, %zu] leave a gap after tensor %s's", u->name,
             u0 + 4, u0 + 4 + ub, t0->name);
    for (int c = 0; c < 2; c++) {
        CHECK_MSG(model_save_safetensors(m, path, &e) == 0, "%s", e.msg);
        CHECK(st_rewrite(path, u->name, "data_offsets", moved[c]) == 0);
        CHECK_MSG(model_load_safetensors(m2, path, &e) < 0, "data_offsets %s accepted", moved[c]);
        CHECK_MSG(strstr(e.msg, what[c]) && strstr(e.msg, "hdr.safetensors"), "message \"%s\" lacks %s", e.msg,
                  what[c]);
    }
    CHECK_MSG(model_save_safetensors(m, path, &e) == 0, "%s", e.msg);
    FILE *f = fopen(path, "ab");
    CHECK(f && fwrite("\0\0\0\0", 1, 4, f) == 4);
    if (f) fclose(f);
    CHECK_MSG(model_load_safetensors(m2, path, &e) < 0, "%s", "4 bytes after the last tensor accepted");
    CHECK_MSG(strstr(e.msg, "hdr.safetensors: 4 data bytes after the last tensor's"), "message \"%s\"", e.msg);
    /* the header rewritten as it was loads */
    CHECK_MSG(model_save_safetensors(m, path, &e) == 0, "%s", e.msg);
    snprintf(tr, sizeof tr, "[%d,%d]", t->rows, t->cols);
    CHECK(st_rewrite(path, t->name, "shape", tr) == 0);
    CHECK_MSG(model_load_safetensors(m2, path, &e) == 0, "%s", e.msg);
    CHECK(!memcmp(model_params(m), model_params(m2), model_num_params(m) * 4));
    model_free(m), model_free(m2);
}

/* A tensor name twice in a header is an error, read or written: cJSON
 * found the first, the other's bytes unread, and a second entry at the
 * same offsets passed the tiling check; writing, cJSON wrote the key twice. */
TEST(safetensors_duplicate_names)
{
    blalm_err e;
    model *m = tiny("mlstm", 0, &e), *m2 = tiny("mlstm", 0, &e);
    CHECK(m && m2);
    char path[512], want[300];
    snprintf(path, sizeof path, "%s/dup.safetensors", test_tmpdir());
    CHECK_MSG(model_save_safetensors(m, path, &e) == 0, "%s", e.msg);
    FILE *f = fopen(path, "rb");
    CHECK(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    unsigned char *b = malloc((size_t)len);
    CHECK(b && fread(b, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    uint64_t hl = 0;
    for (int i = 0; i < 8; i++) hl |= (uint64_t)b[i] << (8 * i);
    const char *name = model_tensor(m, 0)->name;
    cJSON *h = cJSON_ParseWithLength((const char *)b + 8, hl);
    char *entry = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(h, name));
    CHECK(entry);
    /* {"NAME": ENTRY, <the header as it was>: NAME's entry twice, same offsets */
    size_t nl = strlen(name) + strlen(entry) + 8 + (size_t)hl, padded = (nl + 7) / 8 * 8;
    char *js = calloc(padded + 1, 1);
    int w = snprintf(js, padded + 1, "{\"%s\":%s,%.*s", name, entry, (int)hl - 1, (const char *)b + 9);
    memset(js + w, ' ', padded - (size_t)w);
    f = fopen(path, "wb");
    unsigned char lb[8];
    for (int i = 0; i < 8; i++) lb[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    CHECK(f && fwrite(lb, 1, 8, f) == 8 && fwrite(js, 1, padded, f) == padded &&
          fwrite(b + 8 + hl, 1, (size_t)len - 8 - hl, f) == (size_t)len - 8 - hl);
    fclose(f);
    CHECK_MSG(model_load_safetensors(m2, path, &e) < 0, "%s", "a tensor named twice accepted");
    snprintf(want, sizeof want, "dup.safetensors: tensor %s twice in the header", name);
    CHECK_MSG(strstr(e.msg, want), "message \"%s\" lacks %s", e.msg, want);
    /* written: two tensors of one name */
    float x[2] = {1, 2};
    st_tensor ts[2] = {{"a.weight", 2, 0, x}, {"a.weight", 2, 0, x}};
    size_t sl;
    unsigned char *sb = safetensors_bytes("out.safetensors", 2, ts, &sl, &e);
    CHECK_MSG(!sb, "%s", "two tensors of one name written");
    CHECK_MSG(strstr(e.msg, "out.safetensors: tensor name a.weight twice"), "message \"%s\"", e.msg);
    free(sb), free(js), free(entry), free(b);
    cJSON_Delete(h);
    model_free(m), model_free(m2);
}

/* A header of 100,000 names, foreign or one tensor's over and over, fails
 * in one pass: the duplicate check compared each name with every earlier
 * one, minutes for such a header. */
static void st_write_header(const char *path, const char *js)
{
    size_t n = strlen(js), padded = (n + 7) / 8 * 8;
    FILE *f = fopen(path, "wb");
    CHECK(f);
    unsigned char lb[8];
    for (int i = 0; i < 8; i++) lb[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    int ok = fwrite(lb, 1, 8, f) == 8 && fwrite(js, 1, n, f) == n;
    for (size_t i = n; i < padded; i++) fputc(' ', f);
    ok &= fclose(f) == 0;
    CHECK(ok);
}

TEST(safetensors_long_header_fails_fast)
{
    blalm_err e;
    model *m = tiny("mlstm", 0, &e);
    CHECK(m);
    char path[512];
    snprintf(path, sizeof path, "%s/long.safetensors", test_tmpdir());
    enum { NAMES = 100000 };
    const char *name = model_tensor(m, 0)->name;
    size_t cap = NAMES * (strlen(name) + 64) + 16, l;
    char *js = malloc(cap);
    CHECK(js);
    for (int kind = 0; kind < 2; kind++) {
        l = (size_t)snprintf(js, cap, "{");
        for (int i = 0; i < NAMES; i++)
            l += kind ? (size_t)snprintf(js + l, cap - l, "%s\"%s\":{}", i ? "," : "", name)
                      : (size_t)snprintf(js + l, cap - l, "%s\"x%d\":{}", i ? "," : "", i);
        snprintf(js + l, cap - l, "}");
        st_write_header(path, js);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK(model_load_safetensors(m, path, &e) < 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        char want[300];
        if (kind) snprintf(want, sizeof want, "long.safetensors: tensor %s twice in the header", name);
        else snprintf(want, sizeof want, "long.safetensors: tensor x0 (and %d more) is not one of", NAMES - 1);
        CHECK_MSG(strstr(e.msg, want), "message \"%s\" lacks %s", e.msg, want);
        CHECK_MSG(s < 30, "%s header: %.1f s", kind ? "repeated-name" : "foreign", s);
    }
    free(js);
    model_free(m);
}

/* A shape past INT_MAX tokens (the forward counts them in int), about
 * 10^18: refused before any malloc (no allocator's answer is relied on);
 * the message gives the activations' size in MiB, at least the logits' N x V
 * floats. */
TEST(activations_out_of_memory_mib)
{
    blalm_err e;
    int rc;
    model_config c = config_of("{\"vocab_size\":29,\"dim\":16,\"layers\":2,\"heads\":2,"
                               "\"context\":1000000000,\"mixer\":\"mlstm\",\"chunk\":4}",
                               &e, &rc);
    CHECK_MSG(rc == 0, "%s", e.msg);
    model *m = model_create(&c, &e);
    CHECK_MSG(m, "%s", e.msg);
    int S = 1000000000, B = 1 << 30;
    int32_t tok[1] = {0};
    CHECK(model_forward(m, tok, NULL, B, S, NULL, &e) < 0);
    char want[128];
    snprintf(want, sizeof want, "batch %d x %d = %.0f tokens: one forward takes at most 2147483647 (", B, S,
             (double)B * S);
    const char *p = strstr(e.msg, want);
    CHECK_MSG(p && strstr(e.msg, " MiB of activations)"), "message \"%s\"", e.msg);
    double mib = strtod(p + strlen(want), NULL), logits = (double)B * S * model_cfg(m)->vocab_size * 4 / 1048576;
    CHECK_MSG(mib >= logits && mib < logits * 1000, "%.0f MiB, the logits alone %.0f MiB", mib, logits);
    model_free(m);
}

TEST(config_errors)
{
    blalm_err e;
    model_config c;
    cJSON *j = cJSON_Parse("{\"dim\":16,\"heads\":2,\"mixer\":\"rnn\"}");
    CHECK(model_config_from_json(j, &c, "x.json", &e) < 0);
    CHECK_MSG(strstr(e.msg, "mixer"), "message \"%s\" lacks %s", e.msg, "mixer");
    cJSON_Delete(j);
    j = cJSON_Parse("{\"dim\":16,\"hedas\":2}");
    CHECK(model_config_from_json(j, &c, "x.json", &e) < 0);
    CHECK_MSG(strstr(e.msg, "hedas"), "message \"%s\" lacks %s", e.msg, "hedas");
    cJSON_Delete(j);
    j = cJSON_Parse("{\"dim\":15,\"heads\":2}");
    CHECK(model_config_from_json(j, &c, "x.json", &e) < 0);
    cJSON_Delete(j);
    /* token outside the vocabulary */
    model *m = tiny("mlstm", 1, &e);
    int32_t tok[2] = {1, 99};
    CHECK(model_forward(m, tok, NULL, 1, 2, NULL, &e) < 0);
    CHECK_MSG(strstr(e.msg, "vocabulary"), "message \"%s\" lacks %s", e.msg, "vocabulary");
    model_free(m);
}

/* The model config js is refused with a message naming the file and holding want. */
static void config_refused_at(const char *js, const char *want, int *ok)
{
    *ok = 0;
    cJSON *j = cJSON_Parse(js);
    if (!j) return;
    blalm_err e;
    model_config c;
    int rc = model_config_from_json(j, &c, "x.json", &e);
    cJSON_Delete(j);
    *ok = rc < 0 && strstr(e.msg, want) && strstr(e.msg, "x.json");
    if (!*ok) fprintf(stderr, "%s: %s (message \"%s\", want %s)\n", js, rc < 0 ? "refused" : "accepted",
                      rc < 0 ? e.msg : "", want);
}
#define config_refused(js, want) do { int ok_; config_refused_at(js, want, &ok_); CHECK(ok_); } while (0)

/* Training hyper-parameters out of range (gradient ascent, a clip that never
 * clips, a beta that never forgets, a non-finite number) and a seq_len past
 * the context are refused, naming the key and the allowed range. */
TEST(config_train_ranges)
{
    static const char *const bad[][2] = {
        {"\"lr_adamw\":-1", "\"lr_adamw\" must be >= 0, got -1"},
        {"\"lr_muon\":-0.02", "\"lr_muon\" must be >= 0, got -0.02"},
        {"\"weight_decay\":-0.1", "\"weight_decay\" must be >= 0"},
        {"\"muon_weight_decay\":-0.1", "\"muon_weight_decay\" must be >= 0"},
        {"\"swa_lr_mult\":-1", "\"swa_lr_mult\" must be >= 0"},
        {"\"beta1\":1", "\"beta1\" must be in [0, 1), got 1"},
        {"\"beta2\":1.5", "\"beta2\" must be in [0, 1), got 1.5"},
        {"\"beta2\":-0.5", "\"beta2\" must be in [0, 1)"},
        {"\"muon_momentum\":1", "\"muon_momentum\" must be in [0, 1)"},
        {"\"adam_eps\":0", "\"adam_eps\" must be > 0, got 0"},
        {"\"grad_clip\":-1", "\"grad_clip\" must be >= 0, got -1"},
        {"\"min_lr_frac\":1.1", "\"min_lr_frac\" must be in [0, 1], got 1.1"},
        {"\"decay_frac\":-0.1", "\"decay_frac\" must be in [0, 1]"},
        {"\"warmup_steps\":-3", "\"warmup_steps\" must be an integer >= 0"},
        /* the upper bound said, the value in full (was "must be an integer >= 0, got 3e+09") */
        {"\"warmup_steps\":3e9", "\"warmup_steps\" must be an integer >= 0 and <= 1000000000, got 3000000000"},
        {"\"warmup_steps\":2.5", "\"warmup_steps\" must be an integer >= 0 and <= 1000000000, got 2.5"},
        {"\"lr_adamw\":1e999", "\"lr_adamw\" must be a finite number, got inf"},
        {"\"grad_clip\":-1e999", "\"grad_clip\" must be a finite number"},
        {"\"seq_len\":64", "\"seq_len\" 64 exceeds \"context\" 32"},
    };
    char js[512];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(js, sizeof js, "{\"dim\":16,\"heads\":2,\"context\":32,\"train\":{%s}}", bad[i][0]);
        config_refused(js, bad[i][1]);
    }
    static const char *const model_bad[][2] = {
        {"\"rope_theta\":0", "\"rope_theta\" must be > 0"},
        {"\"init_std\":-0.02", "\"init_std\" must be >= 0"},
        {"\"igate_bias_std\":-1", "\"igate_bias_std\" must be >= 0"},
        {"\"fgate_bias_hi\":1e999", "\"fgate_bias_hi\" must be a finite number"},
    };
    for (size_t i = 0; i < sizeof model_bad / sizeof *model_bad; i++) {
        snprintf(js, sizeof js, "{\"dim\":16,\"heads\":2,%s}", model_bad[i][0]);
        config_refused(js, model_bad[i][1]);
    }
    /* the edges of each range are taken; seq_len 0 (or absent) is the context */
    cJSON *j = cJSON_Parse("{\"dim\":16,\"heads\":2,\"context\":32,\"train\":{\"lr_adamw\":0,\"lr_muon\":0,"
                           "\"weight_decay\":0,\"beta1\":0,\"beta2\":0.999,\"grad_clip\":0,\"min_lr_frac\":1,"
                           "\"decay_frac\":0,\"warmup_steps\":0,\"seq_len\":0}}");
    blalm_err e;
    model_config c;
    CHECK_MSG(model_config_from_json(j, &c, "x.json", &e) == 0, "%s", e.msg);
    cJSON_Delete(j);
    CHECK_EQ_INT(c.train.seq_len, 32);
}

/* Every shipped config (the sizes and their named variants) loads. */
TEST(shipped_configs_load)
{
    const char *names[] = {"tiny", "small", "strict-small", "strict"};
    const char *vars[] = {"", "-transformer", "-shortconv", "-swa", "-swa-memory", "-swa-dynmod",
                          "-swa-dynmod-bounded", "-hedgehog", "-hedgehog-swa"};
    int n = 0;
    for (int i = 0; i < 4; i++)
        for (int v = 0; v < 9; v++) {
            char path[256];
            snprintf(path, sizeof path, "configs/model-%s%s.json", names[i], vars[v]);
            if (access(path, R_OK)) SKIPF("%s not found (run from the repository root)", path);
            blalm_err e;
            model_config c;
            CHECK_MSG(model_config_load(path, &c, &e) == 0, "%s", e.msg);
            n++;
        }
    CHECK_EQ_INT(n, 36);
}

TEST(babylm_milestones)
{
    uint64_t w[64];
    int n = babylm_milestones(TRACK_STRICT_SMALL, w, 64);
    CHECK_EQ_INT(n, 19); /* 1M..10M, then 20M..100M */
    CHECK_EQ_INT(w[0], 1000000);
    CHECK_EQ_INT(w[9], 10000000);
    CHECK_EQ_INT(w[10], 20000000);
    CHECK_EQ_INT(w[18], 100000000);
    n = babylm_milestones(TRACK_STRICT, w, 64);
    CHECK_EQ_INT(n, 28); /* and 200M..1B */
    CHECK_EQ_INT(w[19], 200000000);
    CHECK_EQ_INT(w[27], 1000000000);
    CHECK_EQ_INT(babylm_milestones(TRACK_NONE, w, 64), 0);
}

int main(void)
{
    model_set_threads(1);
    RUN(finite_differences_mlstm);
    RUN(finite_differences_attention);
    RUN(finite_differences_xlstm_switches);
    RUN(generation_matches_forward_mlstm);
    RUN(generation_matches_forward_attention);
    RUN(generation_matches_forward_xlstm_switches);
    RUN(finite_differences_shortconv_mlstm);
    RUN(finite_differences_shortconv_attention);
    RUN(generation_matches_forward_shortconv_mlstm);
    RUN(generation_matches_forward_shortconv_attention);
    RUN(generation_matches_forward_shortconv_kernel1);
    RUN(shortconv_causal);
    RUN(finite_differences_hedgehog_two);
    RUN(finite_differences_hedgehog_one);
    RUN(generation_matches_forward_hedgehog);
    RUN(hedgehog_identity_init_feature_map);
    RUN(finite_differences_swa_sum);
    RUN(finite_differences_swa_dynmod);
    RUN(finite_differences_swa_dynmod_bounded);
    RUN(finite_differences_swa_memory);
    RUN(finite_differences_swa_attention);
    RUN(generation_matches_forward_swa);
    RUN(dynmod_alpha_zero_is_plain_mlstm);
    RUN(real_document_logprob_training_vs_generation);
    RUN(config_head_sizes);
    RUN(config_reads_run_config_json);
    RUN(xlstm_init);
    RUN(logit_soft_cap_bounds);
    RUN(adamw_lowers_loss);
    RUN(muon_lowers_loss);
    RUN(muon_newton_schulz);
    RUN(schedules);
    RUN(safetensors_round_trip);
    RUN(safetensors_header_checked);
    RUN(safetensors_duplicate_names);
    RUN(safetensors_long_header_fails_fast);
    RUN(activations_out_of_memory_mib);
    RUN(config_errors);
    RUN(config_train_ranges);
    RUN(shipped_configs_load);
    RUN(babylm_milestones);
    return test_summary();
}
