/* model.c - BLaLM decoder: config, parameter table, forward, exact backward,
 * generation. Shapes: N = B*S rows, D = dim, V = vocab, H = heads,
 * Hq = H*dqk, Hv = H*dv, F = mlp_hidden, P = width of the fused input
 * projection (its slots and their offsets: proj_layout). */
#include "trainer/model.h"

#include <assert.h>
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/blas.h"
#include "lib/config.h"
#include "trainer/attention.h"
#include "trainer/mlstm.h"

/* ------------------------------------------------------------------ config */

void model_config_defaults(model_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "custom");
    c->vocab_size = 256;
    c->dim = 64;
    c->layers = 2;
    c->heads = 2;
    c->context = 128;
    c->mixer = MIXER_MLSTM;
    c->qk_dim_factor = 1.0;
    c->v_dim_factor = 1.0;
    c->chunk = 64;
    c->tie_embeddings = 1;
    c->rope_theta = 10000.0;
    c->norm_eps = 1e-5;
    c->init = INIT_GPT2;
    c->init_std = 0.02;
    c->fgate_bias_lo = 3.0;
    c->fgate_bias_hi = 6.0;
    c->igate_bias_mean = 0.0;
    c->igate_bias_std = 0.1;
    c->gate_soft_cap = 0.0;
    c->logit_soft_cap = 0.0;
    c->head_norm = HEAD_NORM_RMS;
    c->conv_kernel = 0;
    c->swa_window = 0;
    c->swa_head_dim = 0;
    c->swa_mix = SWA_SUM;
    c->swa_alpha_init = 0.1;
    c->hedgehog = HH_NONE;
    c->swa_memory = 0;
    c->qk_scale = 0.0;
    train_config *t = &c->train;
    t->batch_size = 8;
    t->seq_len = 0;
    t->lr_adamw = 3e-3;
    t->lr_muon = 0.02;
    t->weight_decay = 0.1;
    t->beta1 = 0.9;
    t->beta2 = 0.95;
    t->adam_eps = 1e-8;
    t->muon_momentum = 0.95;
    t->warmup_steps = 100;
    snprintf(t->schedule, sizeof t->schedule, "cosine");
    t->min_lr_frac = 0.1;
    t->decay_frac = 0.2;
    t->grad_clip = 1.0;
    t->eval_every = 200;
    t->eval_batches = 8;
    t->checkpoint_every = 500;
    t->log_every = 10;
    t->seed = 1234;
    t->muon_weight_decay = 0.0;
    snprintf(t->muon_scale, sizeof t->muon_scale, "shape");
    t->swa_lr_mult = 1.0;
    snprintf(t->shuffle, sizeof t->shuffle, "windows");
    t->shuffle_seed = t->seed;
}

static int get_int(const cJSON *j, const char *key, int *out, int minv, const char *where,
                   blalm_err *e)
{
    double d;
    if (config_number(j, key, *out, &d, where, e) < 0) return -1;
    if (d != floor(d) || d < minv || d > 1e9) { /* got 3e+09 said nothing of the upper bound */
        char got[64];
        snprintf(got, sizeof got, d == floor(d) && fabs(d) < 1e18 ? "%.0f" : "%.17g", d);
        return err_set(e, "%s: \"%s\" must be an integer >= %d and <= 1000000000, got %s", where, key, minv, got);
    }
    *out = (int)d;
    return 0;
}

static int get_dbl(const cJSON *j, const char *key, double *out, const char *where, blalm_err *e)
{
    if (config_number(j, key, *out, out, where, e) < 0) return -1;
    if (!isfinite(*out)) /* cJSON reads 1e999 as inf */
        return err_set(e, "%s: \"%s\" must be a finite number, got %g", where, key, *out);
    return 0;
}

/* A number in [lo, hi] (lo_open, hi_open: that end excluded; hi = HUGE_VAL:
 * no upper end), refused naming the key and the range. */
static int get_dbl_in(const cJSON *j, const char *key, double *out, double lo, int lo_open, double hi,
                      int hi_open, const char *where, blalm_err *e)
{
    if (get_dbl(j, key, out, where, e) < 0) return -1;
    double v = *out;
    if ((lo_open ? v > lo : v >= lo) && (hi_open ? v < hi : v <= hi)) return 0;
    if (hi == HUGE_VAL)
        return err_set(e, "%s: \"%s\" must be %s %g, got %g", where, key, lo_open ? ">" : ">=", lo, v);
    return err_set(e, "%s: \"%s\" must be in %c%g, %g%c, got %g", where, key, lo_open ? '(' : '[', lo, hi,
                   hi_open ? ')' : ']', v);
}

static int train_from_json(const cJSON *j, train_config *t, const char *where, blalm_err *e)
{
    static const char *const keys[] = {
        "batch_size", "seq_len", "lr_adamw", "lr_muon", "weight_decay", "beta1", "beta2",
        "adam_eps", "muon_momentum", "warmup_steps", "schedule", "min_lr_frac", "decay_frac",
        "grad_clip", "eval_every", "eval_batches", "checkpoint_every", "log_every", "seed",
        "muon_weight_decay", "muon_scale", "swa_lr_mult", "shuffle", "shuffle_seed", NULL};
    char w[256];
    snprintf(w, sizeof w, "%s: train", where);
    if (config_check_keys(j, keys, w, e) < 0) return -1;
    int seed = (int)(t->seed & 0x3fffffff), shuffle_seed = -1;
    const char *sched = t->schedule, *mscale = t->muon_scale, *shuffle = t->shuffle;
    if (get_int(j, "batch_size", &t->batch_size, 1, w, e) < 0 ||
        get_int(j, "seq_len", &t->seq_len, 0, w, e) < 0 ||
        get_dbl_in(j, "lr_adamw", &t->lr_adamw, 0, 0, HUGE_VAL, 0, w, e) < 0 ||
        get_dbl_in(j, "lr_muon", &t->lr_muon, 0, 0, HUGE_VAL, 0, w, e) < 0 ||
        get_dbl_in(j, "weight_decay", &t->weight_decay, 0, 0, HUGE_VAL, 0, w, e) < 0 ||
        get_dbl_in(j, "beta1", &t->beta1, 0, 0, 1, 1, w, e) < 0 ||
        get_dbl_in(j, "beta2", &t->beta2, 0, 0, 1, 1, w, e) < 0 ||
        get_dbl_in(j, "adam_eps", &t->adam_eps, 0, 1, HUGE_VAL, 0, w, e) < 0 ||
        get_dbl_in(j, "muon_momentum", &t->muon_momentum, 0, 0, 1, 1, w, e) < 0 ||
        get_int(j, "warmup_steps", &t->warmup_steps, 0, w, e) < 0 ||
        config_string(j, "schedule", t->schedule, &sched, w, e) < 0 ||
        get_dbl_in(j, "min_lr_frac", &t->min_lr_frac, 0, 0, 1, 0, w, e) < 0 ||
        get_dbl_in(j, "decay_frac", &t->decay_frac, 0, 0, 1, 0, w, e) < 0 ||
        get_dbl_in(j, "grad_clip", &t->grad_clip, 0, 0, HUGE_VAL, 0, w, e) < 0 ||
        get_int(j, "eval_every", &t->eval_every, 0, w, e) < 0 ||
        get_int(j, "eval_batches", &t->eval_batches, 0, w, e) < 0 ||
        get_int(j, "checkpoint_every", &t->checkpoint_every, 0, w, e) < 0 ||
        get_int(j, "log_every", &t->log_every, 1, w, e) < 0 ||
        get_int(j, "seed", &seed, 0, w, e) < 0 ||
        get_dbl_in(j, "muon_weight_decay", &t->muon_weight_decay, 0, 0, HUGE_VAL, 0, w, e) < 0 ||
        config_string(j, "muon_scale", t->muon_scale, &mscale, w, e) < 0 ||
        get_dbl_in(j, "swa_lr_mult", &t->swa_lr_mult, 0, 0, HUGE_VAL, 0, w, e) < 0 ||
        config_string(j, "shuffle", t->shuffle, &shuffle, w, e) < 0 ||
        (cJSON_GetObjectItemCaseSensitive(j, "shuffle_seed") &&
         get_int(j, "shuffle_seed", &shuffle_seed, 0, w, e) < 0))
        return -1;
    if (strcmp(sched, "cosine") && strcmp(sched, "wsd"))
        return err_set(e, "%s: \"schedule\" must be \"cosine\" or \"wsd\", got \"%s\"", w, sched);
    if (strcmp(mscale, "shape") && strcmp(mscale, "moonshot"))
        return err_set(e, "%s: \"muon_scale\" must be \"shape\" or \"moonshot\", got \"%s\"", w,
                       mscale);
    if (strcmp(shuffle, "windows") && strcmp(shuffle, "none"))
        return err_set(e, "%s: \"shuffle\" must be \"windows\" or \"none\", got \"%s\"", w, shuffle);
    /* the strings may alias t's own fields */
    char tmp[sizeof t->schedule], tms[sizeof t->muon_scale], tsh[sizeof t->shuffle];
    snprintf(tmp, sizeof tmp, "%s", sched);
    snprintf(tms, sizeof tms, "%s", mscale);
    snprintf(tsh, sizeof tsh, "%s", shuffle);
    memcpy(t->schedule, tmp, sizeof tmp);
    memcpy(t->muon_scale, tms, sizeof tms);
    memcpy(t->shuffle, tsh, sizeof tsh);
    t->seed = (uint64_t)seed;
    t->shuffle_seed = shuffle_seed >= 0 ? (uint64_t)shuffle_seed : t->seed;
    return 0;
}

static const char *mixer_name(mixer_kind k) { return k == MIXER_MLSTM ? "mlstm" : "attention"; }
static const char *init_name(init_kind k) { return k == INIT_XLSTM ? "xlstm" : "gpt2"; }
static const char *head_norm_name(head_norm_kind k) { return k == HEAD_NORM_LAYER ? "layer" : "rms"; }
static const char *hedgehog_name(hedgehog_kind k)
{
    return k == HH_TWO_SOFTMAX ? "two_softmax" : k == HH_ONE_SOFTMAX ? "one_softmax" : "none";
}
static const char *swa_mix_name(swa_mix_kind k)
{
    return k == SWA_DYNMOD ? "dynmod" : k == SWA_DYNMOD_BOUNDED ? "dynmod_bounded" : "sum";
}

/* Head size dim * factor / heads (qk and v separately, as xLSTM's
 * qk_dim_factor and v_dim_factor): it must come out a positive integer. */
static int head_dim_from(const model_config *c, double factor, const char *which, int *out,
                         const char *where, blalm_err *e)
{
    double total = c->dim * factor;
    if (!(factor > 0) || total != floor(total) || (long)total % c->heads)
        return err_set(e, "%s: dim %d x %s_dim_factor %g is not a multiple of heads %d", where,
                       c->dim, which, factor, c->heads);
    *out = (int)((long)total / c->heads);
    return 0;
}

int model_config_from_json(const cJSON *j, model_config *c, const char *where, blalm_err *e)
{
    static const char *const keys[] = {
        "name", "comment", "format", "vocab_size", "dim", "layers", "heads", "context", "mlp_hidden",
        "qk_head_dim", "v_head_dim", "qk_dim_factor", "v_dim_factor", "mixer", "chunk",
        "tie_embeddings", "rope_theta", "norm_eps", "init", "init_std", "fgate_bias_lo",
        "fgate_bias_hi", "igate_bias_mean", "igate_bias_std", "gate_soft_cap", "logit_soft_cap",
        "head_norm", "conv_kernel", "swa_window", "swa_head_dim", "swa_mix", "swa_alpha_init",
        "hedgehog", "qk_scale", "swa_memory", "train", "test_words_scale", "babylm_compliant", NULL};
    model_config_defaults(c);
    if (config_check_keys(j, keys, where, e) < 0) return -1;
    /* train adds these two to RUN/config.json of a --test-words-scale run; they
     * describe that run, not the model, so a run's config.json stays a valid
     * --model (a resume checks the scale against its checkpoint, and a new run
     * is scaled by its own --test-words-scale alone): type-checked, ignored */
    const cJSON *ws = cJSON_GetObjectItemCaseSensitive(j, "test_words_scale"),
                *bc = cJSON_GetObjectItemCaseSensitive(j, "babylm_compliant");
    if (ws && !(cJSON_IsNumber(ws) && ws->valuedouble > 0 && ws->valuedouble <= 1))
        return err_set(e, "%s: \"test_words_scale\" must be a number in (0, 1] (what train records of a "
                          "--test-words-scale run)", where);
    if (bc && !cJSON_IsBool(bc)) return err_set(e, "%s: \"babylm_compliant\" must be true or false", where);
    const char *name = c->name, *mixer = "mlstm", *init = "gpt2", *head_norm = "rms", *swa_mix = "sum",
               *hedgehog = "none";
    c->qk_head_dim = c->v_head_dim = c->mlp_hidden = 0;
    if (config_string(j, "name", "custom", &name, where, e) < 0) return -1;
    snprintf(c->name, sizeof c->name, "%s", name);
    if (get_int(j, "vocab_size", &c->vocab_size, 2, where, e) < 0 ||
        get_int(j, "dim", &c->dim, 1, where, e) < 0 ||
        get_int(j, "layers", &c->layers, 1, where, e) < 0 ||
        get_int(j, "heads", &c->heads, 1, where, e) < 0 ||
        get_int(j, "context", &c->context, 1, where, e) < 0 ||
        get_int(j, "mlp_hidden", &c->mlp_hidden, 0, where, e) < 0 ||
        get_int(j, "qk_head_dim", &c->qk_head_dim, 0, where, e) < 0 ||
        get_int(j, "v_head_dim", &c->v_head_dim, 0, where, e) < 0 ||
        get_dbl(j, "qk_dim_factor", &c->qk_dim_factor, where, e) < 0 ||
        get_dbl(j, "v_dim_factor", &c->v_dim_factor, where, e) < 0 ||
        config_string(j, "mixer", "mlstm", &mixer, where, e) < 0 ||
        get_int(j, "chunk", &c->chunk, 1, where, e) < 0 ||
        config_bool(j, "tie_embeddings", 1, &c->tie_embeddings, where, e) < 0 ||
        get_dbl_in(j, "rope_theta", &c->rope_theta, 0, 1, HUGE_VAL, 0, where, e) < 0 ||
        get_dbl(j, "norm_eps", &c->norm_eps, where, e) < 0 ||
        config_string(j, "init", "gpt2", &init, where, e) < 0 ||
        get_dbl_in(j, "init_std", &c->init_std, 0, 0, HUGE_VAL, 0, where, e) < 0 ||
        get_dbl(j, "fgate_bias_lo", &c->fgate_bias_lo, where, e) < 0 ||
        get_dbl(j, "fgate_bias_hi", &c->fgate_bias_hi, where, e) < 0 ||
        get_dbl(j, "igate_bias_mean", &c->igate_bias_mean, where, e) < 0 ||
        get_dbl_in(j, "igate_bias_std", &c->igate_bias_std, 0, 0, HUGE_VAL, 0, where, e) < 0 ||
        get_dbl(j, "gate_soft_cap", &c->gate_soft_cap, where, e) < 0 ||
        get_dbl(j, "logit_soft_cap", &c->logit_soft_cap, where, e) < 0 ||
        get_int(j, "conv_kernel", &c->conv_kernel, 0, where, e) < 0 ||
        get_int(j, "swa_window", &c->swa_window, 0, where, e) < 0 ||
        get_int(j, "swa_head_dim", &c->swa_head_dim, 0, where, e) < 0 ||
        config_string(j, "swa_mix", "sum", &swa_mix, where, e) < 0 ||
        get_dbl(j, "swa_alpha_init", &c->swa_alpha_init, where, e) < 0 ||
        config_string(j, "hedgehog", "none", &hedgehog, where, e) < 0 ||
        get_dbl(j, "qk_scale", &c->qk_scale, where, e) < 0 ||
        get_int(j, "swa_memory", &c->swa_memory, 0, where, e) < 0 ||
        config_string(j, "head_norm", "rms", &head_norm, where, e) < 0)
        return -1;
    if (!strcmp(init, "gpt2"))
        c->init = INIT_GPT2;
    else if (!strcmp(init, "xlstm"))
        c->init = INIT_XLSTM;
    else
        return err_set(e, "%s: \"init\" must be \"gpt2\" or \"xlstm\", got \"%s\"", where, init);
    if (!strcmp(head_norm, "rms"))
        c->head_norm = HEAD_NORM_RMS;
    else if (!strcmp(head_norm, "layer"))
        c->head_norm = HEAD_NORM_LAYER;
    else
        return err_set(e, "%s: \"head_norm\" must be \"rms\" or \"layer\", got \"%s\"", where,
                       head_norm);
    int mi = 0;
    for (; mi < 3 && strcmp(swa_mix, swa_mix_name((swa_mix_kind)mi)); mi++) {}
    if (mi == 3)
        return err_set(e, "%s: \"swa_mix\" must be \"sum\", \"dynmod\" or \"dynmod_bounded\", got \"%s\"",
                       where, swa_mix);
    c->swa_mix = (swa_mix_kind)mi;
    for (mi = 0; mi < 3 && strcmp(hedgehog, hedgehog_name((hedgehog_kind)mi)); mi++) {}
    if (mi == 3)
        return err_set(e, "%s: \"hedgehog\" must be \"none\", \"two_softmax\" or \"one_softmax\", got \"%s\"",
                       where, hedgehog);
    c->hedgehog = (hedgehog_kind)mi;
    if (c->qk_scale < 0) return err_set(e, "%s: \"qk_scale\" must be >= 0 (0 = 1/sqrt(qk size))", where);
    if (c->gate_soft_cap < 0 || c->logit_soft_cap < 0)
        return err_set(e, "%s: soft caps must be >= 0 (0 = off)", where);
    if (!(c->norm_eps > 0)) return err_set(e, "%s: \"norm_eps\" must be > 0, got %g", where, c->norm_eps);
    if (!strcmp(mixer, "mlstm"))
        c->mixer = MIXER_MLSTM;
    else if (!strcmp(mixer, "attention"))
        c->mixer = MIXER_ATTENTION;
    else
        return err_set(e, "%s: \"mixer\" must be \"mlstm\" or \"attention\", got \"%s\"", where,
                       mixer);
    if ((!c->qk_head_dim && head_dim_from(c, c->qk_dim_factor, "qk", &c->qk_head_dim, where, e) < 0) ||
        (!c->v_head_dim && head_dim_from(c, c->v_dim_factor, "v", &c->v_head_dim, where, e) < 0))
        return -1;
    if (c->mixer == MIXER_ATTENTION && c->hedgehog != HH_NONE)
        return err_set(e, "%s: \"hedgehog\" maps the mLSTM's q and k; it needs \"mixer\": \"mlstm\"", where);
    if (c->mixer == MIXER_ATTENTION && (c->v_head_dim != c->qk_head_dim || c->qk_head_dim % 2))
        return err_set(e, "%s: attention needs v_head_dim == qk_head_dim, even", where);
    if (c->swa_window && !c->swa_head_dim) {
        if (c->dim % c->heads)
            return err_set(e, "%s: dim %d is not a multiple of heads %d", where, c->dim, c->heads);
        c->swa_head_dim = c->dim / c->heads;
    }
    if (c->swa_memory && !c->swa_window)
        return err_set(e, "%s: \"swa_memory\" needs the SWA branch (\"swa_window\" > 0)", where);
    if (c->swa_window && c->swa_head_dim % 2)
        return err_set(e, "%s: swa_head_dim %d must be even (rotary pairs)", where, c->swa_head_dim);
    if (!c->mlp_hidden) c->mlp_hidden = ((c->dim * 8 / 3) + 31) / 32 * 32;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "train");
    if (t && train_from_json(t, &c->train, where, e) < 0) return -1;
    if (!c->train.seq_len) c->train.seq_len = c->context;
    if (c->train.seq_len > c->context) /* the model has no positions past its context */
        return err_set(e, "%s: train: \"seq_len\" %d exceeds \"context\" %d (0 or absent = the context)",
                       where, c->train.seq_len, c->context);
    return 0;
}

int model_config_load(const char *path, model_config *c, blalm_err *e)
{
    cJSON *j = config_load(path, e);
    if (!j) return -1;
    int rc = model_config_from_json(j, c, path, e);
    cJSON_Delete(j);
    return rc;
}

cJSON *model_config_to_json(const model_config *c)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", c->name);
    cJSON_AddNumberToObject(j, "vocab_size", c->vocab_size);
    cJSON_AddNumberToObject(j, "dim", c->dim);
    cJSON_AddNumberToObject(j, "layers", c->layers);
    cJSON_AddNumberToObject(j, "heads", c->heads);
    cJSON_AddNumberToObject(j, "context", c->context);
    cJSON_AddNumberToObject(j, "mlp_hidden", c->mlp_hidden);
    cJSON_AddNumberToObject(j, "qk_head_dim", c->qk_head_dim);
    cJSON_AddNumberToObject(j, "v_head_dim", c->v_head_dim);
    cJSON_AddNumberToObject(j, "qk_dim_factor", c->qk_dim_factor);
    cJSON_AddNumberToObject(j, "v_dim_factor", c->v_dim_factor);
    cJSON_AddStringToObject(j, "mixer", mixer_name(c->mixer));
    cJSON_AddNumberToObject(j, "chunk", c->chunk);
    cJSON_AddBoolToObject(j, "tie_embeddings", c->tie_embeddings);
    cJSON_AddNumberToObject(j, "rope_theta", c->rope_theta);
    cJSON_AddNumberToObject(j, "norm_eps", c->norm_eps);
    cJSON_AddStringToObject(j, "init", init_name(c->init));
    cJSON_AddNumberToObject(j, "init_std", c->init_std);
    cJSON_AddNumberToObject(j, "fgate_bias_lo", c->fgate_bias_lo);
    cJSON_AddNumberToObject(j, "fgate_bias_hi", c->fgate_bias_hi);
    cJSON_AddNumberToObject(j, "igate_bias_mean", c->igate_bias_mean);
    cJSON_AddNumberToObject(j, "igate_bias_std", c->igate_bias_std);
    cJSON_AddNumberToObject(j, "gate_soft_cap", c->gate_soft_cap);
    cJSON_AddNumberToObject(j, "logit_soft_cap", c->logit_soft_cap);
    cJSON_AddStringToObject(j, "head_norm", head_norm_name(c->head_norm));
    cJSON_AddNumberToObject(j, "conv_kernel", c->conv_kernel);
    cJSON_AddNumberToObject(j, "swa_window", c->swa_window);
    cJSON_AddNumberToObject(j, "swa_head_dim", c->swa_head_dim);
    cJSON_AddStringToObject(j, "swa_mix", swa_mix_name(c->swa_mix));
    cJSON_AddNumberToObject(j, "swa_alpha_init", c->swa_alpha_init);
    cJSON_AddStringToObject(j, "hedgehog", hedgehog_name(c->hedgehog));
    cJSON_AddNumberToObject(j, "swa_memory", c->swa_memory);
    cJSON_AddNumberToObject(j, "qk_scale", c->qk_scale);
    const train_config *t = &c->train;
    cJSON *tj = cJSON_AddObjectToObject(j, "train");
    cJSON_AddNumberToObject(tj, "batch_size", t->batch_size);
    cJSON_AddNumberToObject(tj, "seq_len", t->seq_len);
    cJSON_AddNumberToObject(tj, "lr_adamw", t->lr_adamw);
    cJSON_AddNumberToObject(tj, "lr_muon", t->lr_muon);
    cJSON_AddNumberToObject(tj, "weight_decay", t->weight_decay);
    cJSON_AddNumberToObject(tj, "beta1", t->beta1);
    cJSON_AddNumberToObject(tj, "beta2", t->beta2);
    cJSON_AddNumberToObject(tj, "adam_eps", t->adam_eps);
    cJSON_AddNumberToObject(tj, "muon_momentum", t->muon_momentum);
    cJSON_AddNumberToObject(tj, "warmup_steps", t->warmup_steps);
    cJSON_AddStringToObject(tj, "schedule", t->schedule);
    cJSON_AddNumberToObject(tj, "min_lr_frac", t->min_lr_frac);
    cJSON_AddNumberToObject(tj, "decay_frac", t->decay_frac);
    cJSON_AddNumberToObject(tj, "grad_clip", t->grad_clip);
    cJSON_AddNumberToObject(tj, "eval_every", t->eval_every);
    cJSON_AddNumberToObject(tj, "eval_batches", t->eval_batches);
    cJSON_AddNumberToObject(tj, "checkpoint_every", t->checkpoint_every);
    cJSON_AddNumberToObject(tj, "log_every", t->log_every);
    cJSON_AddNumberToObject(tj, "seed", (double)t->seed);
    cJSON_AddNumberToObject(tj, "muon_weight_decay", t->muon_weight_decay);
    cJSON_AddStringToObject(tj, "muon_scale", t->muon_scale);
    cJSON_AddNumberToObject(tj, "swa_lr_mult", t->swa_lr_mult);
    cJSON_AddStringToObject(tj, "shuffle", t->shuffle);
    cJSON_AddNumberToObject(tj, "shuffle_seed", (double)t->shuffle_seed);
    return j;
}

int model_config_diff(const model_config *a, const model_config *b, char *what, size_t cap)
{
#define FI(x)                                                                 \
    if (a->x != b->x) {                                                       \
        snprintf(what, cap, "%s %d vs %d", #x, (int)a->x, (int)b->x);         \
        return 1;                                                             \
    }
#define FD(x)                                                                 \
    if (a->x != b->x) {                                                       \
        snprintf(what, cap, "%s %g vs %g", #x, a->x, b->x);                   \
        return 1;                                                             \
    }
#define FS(x, name)                                                           \
    if (a->x != b->x) {                                                       \
        snprintf(what, cap, "%s %s vs %s", #x, name(a->x), name(b->x));       \
        return 1;                                                             \
    }
    FS(mixer, mixer_name) FI(vocab_size) FI(dim) FI(layers) FI(heads) FI(context) FI(mlp_hidden)
    FI(qk_head_dim) FI(v_head_dim) FI(tie_embeddings) FI(chunk) FS(head_norm, head_norm_name) FI(conv_kernel)
    FI(swa_window) FI(swa_head_dim) FS(swa_mix, swa_mix_name) FD(swa_alpha_init)
    FS(hedgehog, hedgehog_name) FD(qk_scale) FI(swa_memory)
    FD(gate_soft_cap) FD(logit_soft_cap) FD(rope_theta) FD(norm_eps) FS(init, init_name)
    FD(init_std) FD(fgate_bias_lo) FD(fgate_bias_hi) FD(igate_bias_mean) FD(igate_bias_std)
#undef FI
#undef FD
#undef FS
    return 0;
}

/* ------------------------------------------------------------ the tables */

/* The mixer's fused input projection: one matrix win [P, D] per layer whose
 * row blocks are these slots, in this order (a slot of width 0 is absent).
 * Each slot is also a tensor of its own in the table, so checkpoints and
 * exports name them separately; proj [N, P] holds the slots' outputs at the
 * same column offsets (model.po). */
typedef enum { PJ_Q, PJ_K, PJ_V, PJ_O, PJ_I, PJ_F, PJ_SQ, PJ_SK, PJ_SV, PJ_COUNT } proj_slot;

static const char *const proj_names[PJ_COUNT] = {
    "mixer.q.weight",     "mixer.k.weight",     "mixer.v.weight",
    "mixer.ogate.weight", "mixer.igate.weight", "mixer.fgate.weight",
    "mixer.swa_q.weight", "mixer.swa_k.weight", "mixer.swa_v.weight"};
static const param_group proj_groups[PJ_COUNT] = {PG_MATRIX, PG_MATRIX, PG_MATRIX,
                                                  PG_MATRIX, PG_GATE,   PG_GATE,
                                                  PG_SWA,    PG_SWA,    PG_SWA};

typedef struct layer_w {
    float *norm1, *win;                 /* win [P, D]: the proj slots' rows, contiguous */
    float *bi, *bf, *outnorm;           /* mlstm: [H], [H], [Hv] */
    float *conv;                        /* ShortConv: [Cc, K] for the q, k, v columns, contiguous */
    float *hhq, *hhk;                   /* Hedgehog: [H*dqk, dqk] (head h's W_h: rows h*dqk..) */
    float *wout;                        /* [D, Hv] */
    float *wswo, *alpha;                /* SWA: output projection [D, Hs]; DynMod alpha_l [1] */
    float *memk, *memv;                 /* SWA memory: [M, Hs] keys and values (head h: columns h*dsw..) */
    float *norm2, *wgu, *wdown;         /* [D], [2F, D] (gate rows then up rows), [D, F] */
} layer_w;

typedef struct layer_a {
    float *x, *n1, *r1, *proj;          /* [N,D] [N,D] [N] [N,P] */
    float *convx;                       /* ShortConv: [N, Cc] the q, k, v columns before it */
    float *ig, *fg, *cache, *hc;        /* mlstm: gates [BH*S] x2 (capped), [BH*cache], [N,Hv] */
    float *hr, *hmu;                    /* mlstm head norm: rstd and mean (0 for RMS) [N*H] */
    float *lse;                         /* attention: [BH*S] row log-sum-exp (tiled, attention.h) */
    float *ysw, *lsesw, *hsw;           /* SWA: [N,Hs] attention out, [BH*S] lse, [N,D] its projection */
    float *fq, *fk;                     /* Hedgehog: [N, Hf] features of q and k */
    float *y;                           /* [N,Hv] input of the output projection */
    float *xm, *n2, *r2, *gu, *act;     /* [N,D] [N,D] [N] [N,2F] [N,F] */
} layer_a;

#define LAYER_TENSORS_MAX 32

struct model {
    model_config cfg;
    int P, Hq, Hv, F;
    int pw[PJ_COUNT], po[PJ_COUNT];     /* width and column offset of each proj slot */
    int Cc;                             /* ShortConv channels: the q, k, v slots (2Hq + Hv) */
    int Hs;                             /* SWA: heads * swa_head_dim (0 without the branch) */
    int dcell, Hf;                      /* mLSTM cell's qk size (2 dqk with Hedgehog), H * dcell */
    int layer_nt;                       /* tensors per layer (layer l's start at 1 + l*layer_nt) */
    int ntensors;
    tensor_info *tensors;
    size_t nparams;
    float *params, *grads;
    layer_w *lw, *lg;                   /* parameter and gradient pointers per layer */
    float *embed, *head, *normf, *gembed, *ghead, *gnormf;
    /* activations, for (B, S) */
    int B, S;
    size_t cache_floats;                /* mlstm cache per (b, head) */
    size_t acts_cap, gs_cap, tok_cap;   /* floats / ids allocated (kept across shapes) */
    int no_head;                        /* model_forward_hidden: stop before the head */
    float *acts;
    layer_a *la;
    float *xf, *nf, *rf, *logits;
    const int32_t *tokens_ref;
    int32_t *tokens, *targets;
    int n_valid;
    double loss_sum;                    /* sum of the last forward's token losses */
    int shared_params;                  /* a replica: params belong to another model */
    grad_ready_fn grad_ready;           /* called as regions of the gradient become final */
    void *grad_ready_arg;
    /* backward scratch */
    float *gscratch;
    float *dx, *dxb, *dproj, *dhc, *dy, *dgu, *dact, *dig, *dfg, *dysw, *dfq, *dfk, *dz;
    float *dmem;                        /* SWA memory: [BH][2][M][dsw] per (b, head), summed after */
};

const model_config *model_cfg(const model *m) { return &m->cfg; }
size_t model_num_params(const model *m) { return m->nparams; }
float *model_params(model *m) { return m->params; }
float *model_grads(model *m) { return m->grads; }
int model_num_tensors(const model *m) { return m->ntensors; }
const tensor_info *model_tensor(const model *m, int i) { return &m->tensors[i]; }

int model_find_tensor(const model *m, const char *name)
{
    for (int i = 0; i < m->ntensors; i++)
        if (!strcmp(m->tensors[i].name, name)) return i;
    return -1;
}

/* Proj slot widths and offsets from the config. */
static void proj_layout(model *m)
{
    const model_config *c = &m->cfg;
    int mlstm = c->mixer == MIXER_MLSTM;
    m->Hs = c->swa_window ? c->heads * c->swa_head_dim : 0;
    m->dcell = c->hedgehog != HH_NONE ? 2 * c->qk_head_dim : c->qk_head_dim;
    m->Hf = c->heads * m->dcell;
    int w[PJ_COUNT] = {m->Hq, m->Hq, m->Hv, mlstm ? m->Hv : 0, mlstm ? c->heads : 0,
                       mlstm ? c->heads : 0, m->Hs, m->Hs, m->Hs};
    m->P = 0;
    for (int s = 0; s < PJ_COUNT; s++) {
        m->pw[s] = w[s];
        m->po[s] = m->P;
        m->P += w[s];
    }
    m->Cc = m->po[PJ_V] + m->pw[PJ_V] - m->po[PJ_Q]; /* q, k, v: contiguous columns */
}

/* One tensor of a layer: its name after "layers.L.", shape, optimiser group
 * and where its pointer lives in layer_w (NO_FIELD: a row block reached
 * through the pointer of the block's first tensor, as the proj slots). */
#define NO_FIELD ((size_t)-1)
typedef struct layer_tensor {
    const char *name;
    int rows, cols;
    param_group group;
    size_t field;
} layer_tensor;

/* Every layer's tensors in table order, which is also their order in
 * parameter memory: the table, the layer pointers and the fused blocks all
 * follow from this list. Returns the count. */
static int layer_tensors(const model *m, layer_tensor *t)
{
    const model_config *c = &m->cfg;
    int D = c->dim, H = c->heads, n = 0;
#define LT(nm, r, cc, g, f) (t[n++] = (layer_tensor){nm, r, cc, g, f})
    LT("norm1.weight", D, 0, PG_NORM, offsetof(layer_w, norm1));
    for (int s = 0; s < PJ_COUNT; s++) /* the fused input projection, contiguous */
        if (m->pw[s])
            LT(proj_names[s], m->pw[s], D, proj_groups[s], s == PJ_Q ? offsetof(layer_w, win) : NO_FIELD);
    if (c->mixer == MIXER_MLSTM) {
        LT("mixer.igate.bias", H, 0, PG_GATE, offsetof(layer_w, bi));
        LT("mixer.fgate.bias", H, 0, PG_GATE, offsetof(layer_w, bf));
        LT("mixer.outnorm.weight", m->Hv, 0, PG_NORM, offsetof(layer_w, outnorm));
        if (c->hedgehog != HH_NONE) {
            LT("mixer.hh_q.weight", m->Hq, c->qk_head_dim, PG_HEDGEHOG, offsetof(layer_w, hhq));
            LT("mixer.hh_k.weight", m->Hq, c->qk_head_dim, PG_HEDGEHOG, offsetof(layer_w, hhk));
        }
    }
    if (c->conv_kernel) { /* one [Cc, K] block: q, k, v channels in proj order */
        LT("mixer.conv_q.weight", m->pw[PJ_Q], c->conv_kernel, PG_CONV, offsetof(layer_w, conv));
        LT("mixer.conv_k.weight", m->pw[PJ_K], c->conv_kernel, PG_CONV, NO_FIELD);
        LT("mixer.conv_v.weight", m->pw[PJ_V], c->conv_kernel, PG_CONV, NO_FIELD);
    }
    LT("mixer.out.weight", D, m->Hv, PG_MATRIX, offsetof(layer_w, wout));
    if (c->swa_window) {
        LT("mixer.swa_out.weight", D, m->Hs, PG_SWA, offsetof(layer_w, wswo));
        if (c->swa_mix != SWA_SUM) LT("mixer.swa_alpha", 1, 0, PG_ALPHA, offsetof(layer_w, alpha));
        if (c->swa_memory) {
            LT("mixer.swa_mem_k", c->swa_memory, m->Hs, PG_MEMORY, offsetof(layer_w, memk));
            LT("mixer.swa_mem_v", c->swa_memory, m->Hs, PG_MEMORY, offsetof(layer_w, memv));
        }
    }
    LT("norm2.weight", D, 0, PG_NORM, offsetof(layer_w, norm2));
    LT("mlp.gate.weight", m->F, D, PG_MATRIX, offsetof(layer_w, wgu)); /* gate then up, contiguous */
    LT("mlp.up.weight", m->F, D, PG_MATRIX, NO_FIELD);
    LT("mlp.down.weight", D, m->F, PG_MATRIX, offsetof(layer_w, wdown));
#undef LT
    assert(n <= LAYER_TENSORS_MAX);
    return n;
}

static void add_tensor(model *m, const char *name, int rows, int cols, param_group g)
{
    tensor_info *t = &m->tensors[m->ntensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->rows = rows;
    t->cols = cols;
    t->offset = m->nparams;
    t->group = g;
    m->nparams += (size_t)rows * (cols ? cols : 1);
}

/* The tensor table (names as in the PyTorch twin): embed, the layers', norm, head. */
static int build_table(model *m)
{
    const model_config *c = &m->cfg;
    layer_tensor lt[LAYER_TENSORS_MAX];
    int nl = m->layer_nt = layer_tensors(m, lt);
    m->tensors = calloc(1 + (size_t)c->layers * nl + 2, sizeof *m->tensors);
    if (!m->tensors) return -1;
    add_tensor(m, "embed.weight", c->vocab_size, c->dim, PG_EMBED);
    char nm[64];
    for (int l = 0; l < c->layers; l++)
        for (int i = 0; i < nl; i++) {
            snprintf(nm, sizeof nm, "layers.%d.%s", l, lt[i].name);
            add_tensor(m, nm, lt[i].rows, lt[i].cols, lt[i].group);
        }
    add_tensor(m, "norm.weight", c->dim, 0, PG_NORM);
    if (!c->tie_embeddings) add_tensor(m, "head.weight", c->vocab_size, c->dim, PG_EMBED);
    /* the fused blocks' row offsets are what the proj slots say */
    for (int s = 0, i = 1; s < PJ_COUNT; s++)
        if (m->pw[s]) {
            assert(m->tensors[1 + i].offset == m->tensors[2].offset + (size_t)m->po[s] * c->dim);
            i++;
        }
    return 0;
}

/* Points lw (and embed, head, normf) into base (params or grads). */
static void set_pointers(model *m, float *base, layer_w *lw, float **embed, float **head,
                         float **normf)
{
    const model_config *c = &m->cfg;
    layer_tensor lt[LAYER_TENSORS_MAX];
    int nl = layer_tensors(m, lt);
    *embed = base + m->tensors[0].offset;
    for (int l = 0; l < c->layers; l++)
        for (int i = 0; i < nl; i++)
            if (lt[i].field != NO_FIELD)
                *(float **)((char *)&lw[l] + lt[i].field) = base + m->tensors[1 + l * nl + i].offset;
    *normf = base + m->tensors[1 + c->layers * nl].offset;
    *head = c->tie_embeddings ? *embed : base + m->tensors[2 + c->layers * nl].offset;
}

model *model_create(const model_config *c, blalm_err *e)
{
    model *m = calloc(1, sizeof *m);
    if (!m) {
        err_set(e, "out of memory");
        return NULL;
    }
    m->cfg = *c;
    m->Hq = c->heads * c->qk_head_dim;
    m->Hv = c->heads * c->v_head_dim;
    m->F = c->mlp_hidden;
    proj_layout(m);
    int trc = build_table(m);
    m->params = calloc(m->nparams, sizeof(float));
    m->grads = calloc(m->nparams, sizeof(float));
    m->lw = calloc((size_t)c->layers, sizeof *m->lw);
    m->lg = calloc((size_t)c->layers, sizeof *m->lg);
    if (trc < 0 || !m->params || !m->grads || !m->lw || !m->lg) {
        size_t np = m->nparams;
        model_free(m);
        err_set(e, "out of memory for %s (%zu parameters)", c->name, np);
        return NULL;
    }
    set_pointers(m, m->params, m->lw, &m->embed, &m->head, &m->normf);
    set_pointers(m, m->grads, m->lg, &m->gembed, &m->ghead, &m->gnormf);
    return m;
}

void model_free(model *m)
{
    if (!m) return;
    if (!m->shared_params) free(m->params);
    free(m->tensors), free(m->grads), free(m->lw), free(m->lg);
    free(m->acts), free(m->la), free(m->gscratch), free(m->tokens), free(m->targets);
    free(m);
}

model *model_replica(model *m, blalm_err *e)
{
    model *r = model_create(&m->cfg, e);
    if (!r) return NULL;
    free(r->params);
    r->params = m->params;
    r->shared_params = 1;
    set_pointers(r, r->params, r->lw, &r->embed, &r->head, &r->normf);
    return r;
}

void model_on_grad_ready(model *m, grad_ready_fn fn, void *arg)
{
    m->grad_ready = fn;
    m->grad_ready_arg = arg;
}

/* Region k of the gradient is final: 0 the final norm (and untied head),
 * 1..L the layers from the last down, L+1 the embedding. */
static void grad_ready(model *m, int k)
{
    if (!m->grad_ready) return;
    int L = m->cfg.layers, nl = m->layer_nt;
    size_t first0 = m->tensors[1].offset, normf = m->tensors[1 + L * nl].offset, a, b;
    if (k == 0) {
        a = normf, b = m->nparams;
    } else if (k <= L) {
        int l = L - k;
        a = m->tensors[1 + l * nl].offset;
        b = l + 1 < L ? m->tensors[1 + (l + 1) * nl].offset : normf;
    } else {
        a = 0, b = first0;
    }
    m->grad_ready(m->grad_ready_arg, k, a, b);
}

void model_grads_all_ready(model *m)
{
    for (int k = 0; k < m->cfg.layers + 2; k++) grad_ready(m, k);
}

void model_set_threads(int n)
{
    if (n < 1) n = 1;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

/* ------------------------------------------------------------------ init */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_normal(rng *r)
{
    double u1 = ((rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    double u2 = ((rng_next(r) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    return sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
}

void model_init_weights(model *m, uint64_t seed)
{
    const model_config *c = &m->cfg;
    rng r = {seed * 0x2545F4914F6CDD1Dull + 1};
    /* gpt2: N(0, init_std), output projections init_std / sqrt(2L); xlstm:
     * small_init sqrt(2 / (5 D)) (Nguyen & Salazar), output projections
     * wang_init 2 / (L sqrt(D)) */
    double in_std = c->init == INIT_XLSTM ? sqrt(2.0 / (5.0 * c->dim)) : c->init_std;
    double out_std = c->init == INIT_XLSTM ? 2.0 / (c->layers * sqrt((double)c->dim))
                                           : c->init_std / sqrt(2.0 * c->layers);
    for (int i = 0; i < m->ntensors; i++) {
        const tensor_info *t = &m->tensors[i];
        float *p = m->params + t->offset;
        size_t n = (size_t)t->rows * (t->cols ? t->cols : 1);
        const char *nm = strchr(t->name, '.') ? t->name : t->name;
        if (t->group == PG_NORM) {
            for (size_t x = 0; x < n; x++) p[x] = 1.0f;
        } else if (strstr(nm, "igate.weight") || strstr(nm, "fgate.weight")) {
            memset(p, 0, n * sizeof *p); /* xLSTM: gates start from their biases */
        } else if (strstr(nm, "fgate.bias")) {
            /* forget-gate bias spread across heads: linspace(lo, hi) */
            for (size_t x = 0; x < n; x++)
                p[x] = (float)(n > 1 ? c->fgate_bias_lo + (c->fgate_bias_hi - c->fgate_bias_lo) *
                                                              (double)x / (double)(n - 1)
                                     : c->fgate_bias_lo);
        } else if (t->group == PG_HEDGEHOG) { /* identity per head */
            for (size_t x = 0; x < n; x++) p[x] = (x / t->cols) % t->cols == x % t->cols ? 1.0f : 0.0f;
        } else if (t->group == PG_ALPHA) {
            for (size_t x = 0; x < n; x++) p[x] = (float)c->swa_alpha_init;
        } else if (t->group == PG_CONV) {
            /* as torch's nn.Conv1d: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = K (depthwise) */
            double bound = 1.0 / sqrt((double)t->cols);
            for (size_t x = 0; x < n; x++)
                p[x] = (float)(bound * (2.0 * ((rng_next(&r) >> 11) * (1.0 / 9007199254740992.0)) - 1.0));
        } else if (strstr(nm, "igate.bias")) {
            for (size_t x = 0; x < n; x++)
                p[x] = (float)(c->igate_bias_mean + c->igate_bias_std * rng_normal(&r));
        } else {
            double sd = strstr(nm, "out.weight") || strstr(nm, "down.weight") ? out_std
                                                                              : in_std;
            for (size_t x = 0; x < n; x++) p[x] = (float)(sd * rng_normal(&r));
        }
    }
}

/* ------------------------------------------------------------ activations */

static int ensure_acts(model *m, int B, int S, blalm_err *e)
{
    if (m->acts && m->B == B && m->S == S) return 0;
    const model_config *c = &m->cfg;
    size_t cf = 0; /* m->cache_floats once the shape is taken */
    if (c->mixer == MIXER_MLSTM) {
        mlstm_shape sh = {S, m->dcell, c->v_head_dim, c->chunk, (float)c->qk_scale};
        cf = mlstm_cache_floats(&sh);
    }
    /* The float counts, once in size_t (exact unless past 2^64) and once in
     * double (never wraps): a count the double puts past half of what a
     * malloc's byte count can hold is refused before any malloc. */
#define ACT_FLOATS(T, N, total, gs)                                                              \
    do {                                                                                         \
        T D_ = c->dim, H_ = c->heads, BH_ = (T)B * H_, Hv_ = m->Hv, P_ = m->P, F_ = m->F;        \
        T V_ = c->vocab_size, Hs_ = m->Hs, hh_ = c->hedgehog != HH_NONE ? 2 * N * m->Hf : 0;     \
        T mix_ = c->mixer == MIXER_MLSTM ? 2 * BH_ * S + BH_ * (T)cf + N * Hv_ + 2 * N * H_      \
                                         : BH_ * S;                                              \
        T conv_ = c->conv_kernel ? N * m->Cc : 0, swa_ = Hs_ ? N * Hs_ + BH_ * S + N * D_ : 0;   \
        T per_layer_ = N * D_ * 2 + N + N * P_ + conv_ + mix_ + swa_ + hh_ + N * Hv_ +           \
                       N * D_ * 2 + N + N * 2 * F_ + N * F_;                                     \
        total = per_layer_ * c->layers + N * D_ * 2 + N + N * V_;                                \
        gs = N * D_ * 2 + N * P_ + N * Hv_ * 2 + N * 2 * F_ + N * F_ + 2 * BH_ * S + N * Hs_ +   \
             (hh_ ? hh_ + N * m->Hq : 0) + 2 * BH_ * c->swa_memory * c->swa_head_dim;           \
    } while (0)
    size_t N = (size_t)B * S, D = c->dim, H = c->heads, BH = (size_t)B * H, Hv = m->Hv, P = m->P, F = m->F,
           V = c->vocab_size, Hs = m->Hs, hh = c->hedgehog != HH_NONE ? 2 * N * m->Hf : 0, total, gs;
    double dN = (double)B * S, dtotal, dgs;
    ACT_FLOATS(size_t, N, total, gs);
    ACT_FLOATS(double, dN, dtotal, dgs);
#undef ACT_FLOATS
    /* the forward counts tokens in int */
    if (dN > INT_MAX)
        return err_set(e, "batch %d x %d = %.0f tokens: one forward takes at most %d (%.0f MiB of activations)",
                       B, S, dN, INT_MAX, (dtotal + dgs) * sizeof(float) / 1048576.0);
    /* defensive: with at most INT_MAX tokens only weights too large to
     * allocate reach this (not tested) */
    if (dtotal + dgs > (double)(SIZE_MAX / sizeof(float) / 2))
        return err_set(e, "out of memory for activations (batch %d x %d tokens, %.0f MiB)", B, S,
                       (dtotal + dgs) * sizeof(float) / 1048576.0);
    m->cache_floats = cf;
    /* A shape that fits the blocks already there reuses them: eval changes
     * (B, S) almost every forward, and fresh blocks (page faults on first
     * touch) made a forward 3.5x slower than the same one on warm memory. */
    if (!m->acts || total > m->acts_cap || gs > m->gs_cap || N > m->tok_cap) {
        free(m->acts), free(m->la), free(m->gscratch), free(m->tokens), free(m->targets);
        m->acts = malloc(total * sizeof(float));
        m->gscratch = malloc(gs * sizeof(float));
        m->la = calloc((size_t)c->layers, sizeof *m->la);
        m->tokens = malloc(N * sizeof *m->tokens);
        m->targets = malloc(N * sizeof *m->targets);
        m->acts_cap = total, m->gs_cap = gs, m->tok_cap = N;
        if (!m->acts || !m->gscratch || !m->la || !m->tokens || !m->targets) {
            free(m->acts), free(m->la), free(m->gscratch), free(m->tokens), free(m->targets);
            m->acts = m->gscratch = NULL;
            m->la = NULL;
            m->tokens = m->targets = NULL;
            m->acts_cap = m->gs_cap = m->tok_cap = 0;
            return err_set(e, "out of memory for activations (batch %d x %d tokens, %.0f MiB)", B, S,
                           (dtotal + dgs) * sizeof(float) / 1048576.0);
        }
    } else {
        memset(m->la, 0, (size_t)c->layers * sizeof *m->la);
    }
    float *p = m->acts;
#define CARVE(dst, n) (dst = p, p += (n))
    for (int l = 0; l < c->layers; l++) {
        layer_a *a = &m->la[l];
        CARVE(a->x, N * D);
        CARVE(a->n1, N * D);
        CARVE(a->r1, N);
        CARVE(a->proj, N * P);
        if (c->conv_kernel) CARVE(a->convx, N * (size_t)m->Cc);
        if (c->mixer == MIXER_MLSTM) {
            CARVE(a->ig, BH * S);
            CARVE(a->fg, BH * S);
            CARVE(a->cache, BH * m->cache_floats);
            CARVE(a->hc, N * Hv);
            CARVE(a->hr, N * H);
            CARVE(a->hmu, N * H);
        } else {
            CARVE(a->lse, BH * (size_t)S);
        }
        if (hh) {
            CARVE(a->fq, N * m->Hf);
            CARVE(a->fk, N * m->Hf);
        }
        if (Hs) {
            CARVE(a->ysw, N * Hs);
            CARVE(a->lsesw, BH * S);
            CARVE(a->hsw, N * D);
        }
        CARVE(a->y, N * Hv);
        CARVE(a->xm, N * D);
        CARVE(a->n2, N * D);
        CARVE(a->r2, N);
        CARVE(a->gu, N * 2 * F);
        CARVE(a->act, N * F);
    }
    CARVE(m->xf, N * D);
    CARVE(m->nf, N * D);
    CARVE(m->rf, N);
    CARVE(m->logits, N * V);
    p = m->gscratch;
    CARVE(m->dx, N * D);
    CARVE(m->dxb, N * D);
    CARVE(m->dproj, N * P);
    CARVE(m->dhc, N * Hv);
    CARVE(m->dy, N * Hv);
    CARVE(m->dgu, N * 2 * F);
    CARVE(m->dact, N * F);
    CARVE(m->dig, BH * S);
    CARVE(m->dfg, BH * S);
    if (Hs) CARVE(m->dysw, N * Hs);
    if (c->swa_memory) CARVE(m->dmem, 2 * BH * (size_t)c->swa_memory * c->swa_head_dim);
    if (hh) {
        CARVE(m->dfq, N * m->Hf);
        CARVE(m->dfk, N * m->Hf);
        CARVE(m->dz, N * m->Hq);
    }
#undef CARVE
    m->B = B;
    m->S = S;
    return 0;
}

/* ------------------------------------------------------------- layers */

/* y = x W^T: x [N, in], W [out, in], y [N, out] (row strides ldx, ldy) */
static void matmul_forward(float *y, int ldy, const float *x, int ldx, const float *W, int N,
                           int in, int out)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, out, in, 1.0f, x, ldx, W, in, 0.0f,
                y, ldy);
}

/* dx (+)= dy W; dW += dy^T x. dx may be NULL. */
static void matmul_backward(float *dx, int lddx, float beta, float *dW, const float *dy, int lddy,
                            const float *x, int ldx, const float *W, int N, int in, int out)
{
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, in, out, 1.0f, dy, lddy, W, in,
                    beta, dx, lddx);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, N, 1.0f, dy, lddy, x, ldx, 1.0f,
                dW, in);
}

/* RMSNorm over rows of width C: y = x * rstd * w,  rstd = 1/sqrt(mean(x^2) + eps) */
static void rmsnorm_forward(float *y, float *rstd, const float *x, const float *w, int N, int C,
                            float eps)
{
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * C;
        float *yr = y + (size_t)n * C;
        float ss = 0.0f;
        for (int i = 0; i < C; i++) ss += xr[i] * xr[i];
        float r = 1.0f / sqrtf(ss / C + eps);
        rstd[n] = r;
        for (int i = 0; i < C; i++) yr[i] = xr[i] * r * w[i];
    }
}

/* dx = (beta ? dx : 0) + rstd * (dy*w - xhat * mean(dy*w*xhat)); dw += sum dy*xhat.
 * dw accumulation is serial over rows so results do not depend on threads. */
static void rmsnorm_backward(float *dx, int accumulate, float *dw, const float *dy,
                             const float *x, const float *rstd, const float *w, int N, int C)
{
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * C, *dyr = dy + (size_t)n * C;
        float *dxr = dx + (size_t)n * C, r = rstd[n], dot = 0.0f;
        for (int i = 0; i < C; i++) dot += dyr[i] * w[i] * xr[i] * r;
        dot /= C;
        for (int i = 0; i < C; i++) {
            float v = r * (dyr[i] * w[i] - xr[i] * r * dot);
            dxr[i] = accumulate ? dxr[i] + v : v;
        }
    }
    for (int n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * C, *dyr = dy + (size_t)n * C;
        float r = rstd[n];
        for (int i = 0; i < C; i++) dw[i] += dyr[i] * xr[i] * r;
    }
}

static float sigmoidf(float x) { return 1.0f / (1.0f + expf(-x)); }

/* xLSTM-7B's soft cap: cap * tanh(x / cap); its slope from the capped value y. */
static float soft_cap(float x, float cap) { return cap * tanhf(x / cap); }
static float soft_cap_slope(float y, float cap)
{
    float t = y / cap;
    return 1.0f - t * t;
}

/* Per-head norm statistics of x [n]: the rstd, and in *mu the mean (LayerNorm)
 * or 0 (RMSNorm, which does not centre). */
static float head_norm_stats(const float *x, int n, int layer, float eps, float *mu)
{
    float mean = 0.0f, ss = 0.0f;
    if (layer) {
        for (int i = 0; i < n; i++) mean += x[i];
        mean /= n;
    }
    for (int i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
    *mu = mean;
    return 1.0f / sqrtf(ss / n + eps);
}

/* SwiGLU: act = silu(gate) * up; gu [N, 2F] holds gate then up columns */
static void swiglu_forward(float *act, const float *gu, int N, int F)
{
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        for (int i = 0; i < F; i++) {
            float g = gu[(size_t)n * 2 * F + i], u = gu[(size_t)n * 2 * F + F + i];
            act[(size_t)n * F + i] = g * sigmoidf(g) * u;
        }
}

static void swiglu_backward(float *dgu, const float *dact, const float *gu, int N, int F)
{
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        for (int i = 0; i < F; i++) {
            float g = gu[(size_t)n * 2 * F + i], u = gu[(size_t)n * 2 * F + F + i];
            float s = sigmoidf(g), d = dact[(size_t)n * F + i];
            dgu[(size_t)n * 2 * F + i] = d * u * s * (1.0f + g * (1.0f - s));
            dgu[(size_t)n * 2 * F + F + i] = d * g * s;
        }
}

/* Rotary embedding (rotate-half pairs i, i + dh/2) on columns [col0, col0 + H*dh)
 * of rows [N, ld]; position = row % S. sign = -1 applies the inverse (backward). */
static void rope_apply(float *x, int ld, int col0, int N, int S, int H, int dh, double theta,
                       int sign)
{
    int half = dh / 2;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        int pos = n % S;
        for (int i = 0; i < half; i++) {
            double ang = pos * pow(theta, -2.0 * i / dh);
            float c = (float)cos(ang), s = (float)(sign * sin(ang));
            for (int h = 0; h < H; h++) {
                float *p = x + (size_t)n * ld + col0 + (size_t)h * dh;
                float a = p[i], b = p[i + half];
                p[i] = a * c - b * s;
                p[i + half] = b * c + a * s;
            }
        }
    }
}

/* BLAS calls inside our OpenMP loops must run single-threaded: the
 * pthreads OpenBLAS would otherwise contend for its one thread pool.
 * The end restores what was set before (1 under data parallelism). */
static int blas_serial_omp(void)
{
    return blas_serial_begin(omp_get_max_threads() > 1);
}

/* ---- ShortConv: causal depthwise conv (kernel K, no bias) then SiLU on the
 * q, k, v columns of proj, in place; the columns before it go to convx.
 * u_t = sum_j w_j x_{t-K+1+j} (x before the sequence start = 0), z_t = silu(u_t) */

static float conv_at(const float *x, int ldx, int s, const float *wk, int K)
{
    float u = 0.0f;
    for (int j = 0; j < K; j++) {
        int src = s - (K - 1) + j;
        if (src >= 0) u += wk[j] * x[(size_t)src * ldx];
    }
    return u;
}

static void shortconv_forward(model *m, layer_a *a, const layer_w *w)
{
    int B = m->B, S = m->S, P = m->P, Cc = m->Cc, K = m->cfg.conv_kernel, c0 = m->po[PJ_Q];
    for (size_t n = 0; n < (size_t)B * S; n++)
        memcpy(a->convx + n * Cc, a->proj + n * P + c0, (size_t)Cc * sizeof(float));
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < Cc; ch++)
        for (int b = 0; b < B; b++) {
            const float *x = a->convx + (size_t)b * S * Cc + ch;
            float *z = a->proj + (size_t)b * S * P + c0 + ch;
            for (int s = 0; s < S; s++) {
                float u = conv_at(x, Cc, s, w->conv + (size_t)ch * K, K);
                z[(size_t)s * P] = u * sigmoidf(u);
            }
        }
}

/* dproj's q, k, v columns: d(z) in, d(x) out; kernel grads into g->conv.
 * In place, ascending s: dx_s needs du at s..s+K-1 only. */
static void shortconv_backward(model *m, layer_a *a, const layer_w *w, layer_w *g)
{
    int B = m->B, S = m->S, P = m->P, Cc = m->Cc, K = m->cfg.conv_kernel, c0 = m->po[PJ_Q];
#pragma omp parallel for schedule(static)
    for (int ch = 0; ch < Cc; ch++) {
        const float *wk = w->conv + (size_t)ch * K;
        float *gk = g->conv + (size_t)ch * K;
        for (int b = 0; b < B; b++) {
            const float *x = a->convx + (size_t)b * S * Cc + ch;
            float *d = m->dproj + (size_t)b * S * P + c0 + ch;
            for (int s = 0; s < S; s++) { /* du = dz silu'(u) */
                float u = conv_at(x, Cc, s, wk, K), sg = sigmoidf(u);
                d[(size_t)s * P] *= sg * (1.0f + u * (1.0f - sg));
            }
            for (int s = 0; s < S; s++) {
                float dx = 0.0f;
                for (int j = 0; j < K; j++) {
                    int dst = s + (K - 1) - j; /* the output that x_s fed through w_j */
                    if (dst < S) dx += wk[j] * d[(size_t)dst * P];
                    int src = s - (K - 1) + j;
                    if (src >= 0) gk[j] += d[(size_t)s * P] * x[(size_t)src * Cc];
                }
                d[(size_t)s * P] = dx;
            }
        }
    }
}

/* ---- Hedgehog: per head z = W_h x, then phi = [softmax(z), softmax(-z)]
 * (two softmaxes) or softmax([z, -z]) (one), width 2d, for the cell's q, k. */

/* phi [2d] from z held in phi[0..d) on entry. */
static void hh_phi_row(float *phi, int d, int one)
{
    float zmax = phi[0], zmin = phi[0];
    for (int i = 1; i < d; i++) zmax = phi[i] > zmax ? phi[i] : zmax, zmin = phi[i] < zmin ? phi[i] : zmin;
    if (one) { /* one softmax over [z, -z]: shift by max |z| */
        float mx = zmax > -zmin ? zmax : -zmin, sum = 0.0f;
        for (int i = 0; i < d; i++) sum += (phi[d + i] = expf(-phi[i] - mx));
        for (int i = 0; i < d; i++) sum += (phi[i] = expf(phi[i] - mx));
        float inv = 1.0f / sum;
        for (int i = 0; i < 2 * d; i++) phi[i] *= inv;
    } else {
        float sp = 0.0f, sn = 0.0f;
        for (int i = 0; i < d; i++) sn += (phi[d + i] = expf(-phi[i] + zmin));
        for (int i = 0; i < d; i++) sp += (phi[i] = expf(phi[i] - zmax));
        float ip = 1.0f / sp, in = 1.0f / sn;
        for (int i = 0; i < d; i++) phi[i] *= ip, phi[d + i] *= in;
    }
}

/* dz [d] from phi [2d] and dphi [2d] (softmax backward). */
static void hh_dz_row(const float *phi, const float *dphi, int d, int one, float *dz)
{
    if (one) {
        float dot = 0.0f;
        for (int i = 0; i < 2 * d; i++) dot += phi[i] * dphi[i];
        for (int i = 0; i < d; i++) dz[i] = phi[i] * (dphi[i] - dot) - phi[d + i] * (dphi[d + i] - dot);
    } else {
        float dp = 0.0f, dn = 0.0f;
        for (int i = 0; i < d; i++) dp += phi[i] * dphi[i], dn += phi[d + i] * dphi[d + i];
        for (int i = 0; i < d; i++) dz[i] = phi[i] * (dphi[i] - dp) - phi[d + i] * (dphi[d + i] - dn);
    }
}

/* phi [N, Hf] from x (proj columns, ld P) through W [H*d, d]. */
static void hedgehog_forward(model *m, const float *x, const float *W, float *phi)
{
    const model_config *c = &m->cfg;
    int N = m->B * m->S, H = c->heads, d = c->qk_head_dim, P = m->P, Hf = m->Hf;
    int one = c->hedgehog == HH_ONE_SOFTMAX;
    for (int h = 0; h < H; h++) /* z_h = x_h W_h^T into the first half of phi_h */
        matmul_forward(phi + (size_t)h * 2 * d, Hf, x + (size_t)h * d, P, W + (size_t)h * d * d, N, d, d);
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        for (int h = 0; h < H; h++) hh_phi_row(phi + (size_t)n * Hf + (size_t)h * 2 * d, d, one);
}

/* dphi [N, Hf] in; dx into the proj columns of dproj (overwritten), dW += . */
static void hedgehog_backward(model *m, const float *x, const float *W, const float *phi,
                              const float *dphi, float *dx, float *dW)
{
    const model_config *c = &m->cfg;
    int N = m->B * m->S, H = c->heads, d = c->qk_head_dim, P = m->P, Hf = m->Hf, Hq = m->Hq;
    int one = c->hedgehog == HH_ONE_SOFTMAX;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        for (int h = 0; h < H; h++) {
            size_t o = (size_t)n * Hf + (size_t)h * 2 * d;
            hh_dz_row(phi + o, dphi + o, d, one, m->dz + (size_t)n * Hq + (size_t)h * d);
        }
    for (int h = 0; h < H; h++)
        matmul_backward(dx + (size_t)h * d, P, 0.0f, dW + (size_t)h * d * d, m->dz + (size_t)h * d, Hq,
                        x + (size_t)h * d, P, W + (size_t)h * d * d, N, d, d);
}

/* ---- mLSTM mixer: proj -> cell per (b, head) -> per-head RMSNorm -> sigmoid(o) gate */

static int mlstm_mixer_forward(model *m, layer_a *a, const layer_w *w)
{
    const model_config *c = &m->cfg;
    int B = m->B, S = m->S, H = c->heads, dv = c->v_head_dim, P = m->P;
    int N = B * S, Hv = m->Hv;
    int offk = m->po[PJ_K], offv = m->po[PJ_V], offo = m->po[PJ_O], offi = m->po[PJ_I], offf = m->po[PJ_F];
    int hh = c->hedgehog != HH_NONE, dc = m->dcell, ld = hh ? m->Hf : P; /* the cell's q, k */
    mlstm_shape sh = {S, dc, dv, c->chunk, (float)c->qk_scale};
    const float *qs = hh ? a->fq : a->proj + m->po[PJ_Q], *ks = hh ? a->fk : a->proj + offk;
    if (hh) {
        hedgehog_forward(m, a->proj + m->po[PJ_Q], w->hhq, a->fq);
        hedgehog_forward(m, a->proj + offk, w->hhk, a->fk);
    }
    /* gates to contiguous [B, H, S] with biases, soft-capped when asked */
    float gc = (float)c->gate_soft_cap;
    for (int n = 0; n < N; n++) {
        int b = n / S, s = n % S;
        for (int h = 0; h < H; h++) {
            float ig = a->proj[(size_t)n * P + offi + h] + w->bi[h];
            float fg = a->proj[(size_t)n * P + offf + h] + w->bf[h];
            a->ig[((size_t)b * H + h) * S + s] = gc > 0 ? soft_cap(ig, gc) : ig;
            a->fg[((size_t)b * H + h) * S + s] = gc > 0 ? soft_cap(fg, gc) : fg;
        }
    }
    int fail = 0, nt = blas_serial_omp();
#pragma omp parallel for schedule(static) reduction(| : fail)
    for (int bh = 0; bh < B * H; bh++) {
        int b = bh / H, h = bh % H;
        const float *base = a->proj + (size_t)b * S * P;
        size_t qk = (size_t)b * S * ld + (size_t)h * dc;
        fail |= mlstm_chunkwise_forward(&sh, qs + qk, ld, ks + qk, ld, base + offv + (size_t)h * dv, P,
                                        a->ig + (size_t)bh * S,
                                        a->fg + (size_t)bh * S, a->hc + (size_t)b * S * Hv + (size_t)h * dv,
                                        Hv, a->cache + (size_t)bh * m->cache_floats, NULL) != 0;
    }
    blas_serial_end(nt);
    if (fail) return -1;
    float eps = (float)c->norm_eps;
    int layer = c->head_norm == HEAD_NORM_LAYER;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        for (int h = 0; h < H; h++) {
            const float *hc = a->hc + (size_t)n * Hv + (size_t)h * dv;
            const float *o = a->proj + (size_t)n * P + offo + (size_t)h * dv;
            const float *wn = w->outnorm + (size_t)h * dv;
            float *y = a->y + (size_t)n * Hv + (size_t)h * dv;
            float mu, r = head_norm_stats(hc, dv, layer, eps, &mu);
            a->hr[(size_t)n * H + h] = r;
            a->hmu[(size_t)n * H + h] = mu;
            for (int i = 0; i < dv; i++) y[i] = sigmoidf(o[i]) * (hc[i] - mu) * r * wn[i];
        }
    return 0;
}

/* m->dy holds dL/dy; writes m->dproj (all P columns) and gate/bias grads. */
static int mlstm_mixer_backward(model *m, layer_a *a, const layer_w *w, layer_w *g)
{
    const model_config *c = &m->cfg;
    int B = m->B, S = m->S, H = c->heads, dv = c->v_head_dim, P = m->P;
    int N = B * S, Hv = m->Hv;
    int offk = m->po[PJ_K], offv = m->po[PJ_V], offo = m->po[PJ_O], offi = m->po[PJ_I], offf = m->po[PJ_F];
    int hh = c->hedgehog != HH_NONE, dc = m->dcell, ld = hh ? m->Hf : P; /* the cell's q, k */
    mlstm_shape sh = {S, dc, dv, c->chunk, (float)c->qk_scale};
    const float *qs = hh ? a->fq : a->proj + m->po[PJ_Q], *ks = hh ? a->fk : a->proj + offk;
    float *dqs = hh ? m->dfq : m->dproj + m->po[PJ_Q], *dks = hh ? m->dfk : m->dproj + offk;
    int layer = c->head_norm == HEAD_NORM_LAYER;
    /* through the output gate and the per-head norm */
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        for (int h = 0; h < H; h++) {
            const float *hc = a->hc + (size_t)n * Hv + (size_t)h * dv;
            const float *o = a->proj + (size_t)n * P + offo + (size_t)h * dv;
            const float *wn = w->outnorm + (size_t)h * dv;
            const float *dy = m->dy + (size_t)n * Hv + (size_t)h * dv;
            float *dhc = m->dhc + (size_t)n * Hv + (size_t)h * dv;
            float *dop = m->dproj + (size_t)n * P + offo + (size_t)h * dv;
            float r = a->hr[(size_t)n * H + h], mu = a->hmu[(size_t)n * H + h], dot = 0.0f, dsum = 0.0f;
            for (int i = 0; i < dv; i++) {
                float s = sigmoidf(o[i]), xhat = (hc[i] - mu) * r;
                dop[i] = dy[i] * xhat * wn[i] * s * (1.0f - s);
                float dn = dy[i] * s * wn[i]; /* d(normed) before the weight */
                dhc[i] = dn;                  /* stash; finished below */
                dot += dn * xhat;
                dsum += dn;
            }
            dot /= dv;
            dsum /= dv;
            /* RMSNorm: r (dn - xhat mean(dn xhat)); LayerNorm also - r mean(dn) */
            if (layer)
                for (int i = 0; i < dv; i++) dhc[i] = r * (dhc[i] - dsum - (hc[i] - mu) * r * dot);
            else
                for (int i = 0; i < dv; i++) dhc[i] = r * (dhc[i] - hc[i] * r * dot);
        }
    for (int n = 0; n < N; n++) /* outnorm weight grad, serial for determinism */
        for (int h = 0; h < H; h++) {
            const float *hc = a->hc + (size_t)n * Hv + (size_t)h * dv;
            const float *o = a->proj + (size_t)n * P + offo + (size_t)h * dv;
            const float *dy = m->dy + (size_t)n * Hv + (size_t)h * dv;
            float r = a->hr[(size_t)n * H + h], mu = a->hmu[(size_t)n * H + h];
            for (int i = 0; i < dv; i++)
                g->outnorm[(size_t)h * dv + i] += dy[i] * sigmoidf(o[i]) * (hc[i] - mu) * r;
        }
    int fail = 0, nt = blas_serial_omp();
#pragma omp parallel for schedule(static) reduction(| : fail)
    for (int bh = 0; bh < B * H; bh++) {
        int b = bh / H, h = bh % H;
        const float *base = a->proj + (size_t)b * S * P;
        float *dbase = m->dproj + (size_t)b * S * P;
        size_t qk = (size_t)b * S * ld + (size_t)h * dc;
        mlstm_grads gr = {dqs + qk, ld, dks + qk, ld, dbase + offv + (size_t)h * dv, P,
                          m->dig + (size_t)bh * S, m->dfg + (size_t)bh * S};
        fail |= mlstm_chunkwise_backward(&sh, qs + qk, ld, ks + qk, ld, base + offv + (size_t)h * dv, P,
                                         a->ig + (size_t)bh * S,
                                         a->fg + (size_t)bh * S, a->hc + (size_t)b * S * Hv + (size_t)h * dv,
                                         Hv, m->dhc + (size_t)b * S * Hv + (size_t)h * dv, Hv,
                                         a->cache + (size_t)bh * m->cache_floats, &gr) != 0;
    }
    blas_serial_end(nt);
    if (fail) return -1;
    if (hh) {
        hedgehog_backward(m, a->proj + m->po[PJ_Q], w->hhq, a->fq, m->dfq, m->dproj + m->po[PJ_Q], g->hhq);
        hedgehog_backward(m, a->proj + offk, w->hhk, a->fk, m->dfk, m->dproj + offk, g->hhk);
    }
    float gc = (float)c->gate_soft_cap;
    for (int n = 0; n < N; n++) {
        int b = n / S, s = n % S;
        for (int h = 0; h < H; h++) {
            size_t at = ((size_t)b * H + h) * S + s;
            float di = m->dig[at], df = m->dfg[at];
            if (gc > 0) { /* d(cap tanh(x/cap))/dx = 1 - (capped/cap)^2 */
                di *= soft_cap_slope(a->ig[at], gc);
                df *= soft_cap_slope(a->fg[at], gc);
            }
            m->dproj[(size_t)n * P + offi + h] = di;
            m->dproj[(size_t)n * P + offf + h] = df;
            g->bi[h] += di;
            g->bf[h] += df;
        }
    }
    return 0;
}

/* ---- attention mixer: RoPE(q, k) -> tiled causal softmax per (b, head) (attention.h) */

static int attention_forward(model *m, layer_a *a)
{
    const model_config *c = &m->cfg;
    int B = m->B, S = m->S, H = c->heads, dh = c->qk_head_dim, P = m->P, Hq = m->Hq;
    int offq = m->po[PJ_Q], offk = m->po[PJ_K], offv = m->po[PJ_V];
    attn_shape sh = {S, dh, 0, 1.0f / sqrtf((float)dh)};
    rope_apply(a->proj, P, offq, B * S, S, H, dh, c->rope_theta, 1);
    rope_apply(a->proj, P, offk, B * S, S, H, dh, c->rope_theta, 1);
    int fail = 0, nt = blas_serial_omp();
#pragma omp parallel for schedule(static) reduction(| : fail)
    for (int bh = 0; bh < B * H; bh++) {
        int b = bh / H, h = bh % H;
        const float *base = a->proj + (size_t)b * S * P;
        fail |= attn_forward(&sh, NULL, base + offq + (size_t)h * dh, P, base + offk + (size_t)h * dh, P,
                             base + offv + (size_t)h * dh, P, a->y + (size_t)b * S * Hq + (size_t)h * dh,
                             Hq, a->lse + (size_t)bh * S) != 0;
    }
    blas_serial_end(nt);
    return fail ? -1 : 0;
}

static int attention_backward(model *m, layer_a *a)
{
    const model_config *c = &m->cfg;
    int B = m->B, S = m->S, H = c->heads, dh = c->qk_head_dim, P = m->P, Hq = m->Hq;
    int offq = m->po[PJ_Q], offk = m->po[PJ_K], offv = m->po[PJ_V];
    attn_shape sh = {S, dh, 0, 1.0f / sqrtf((float)dh)};
    int fail = 0, nt = blas_serial_omp();
#pragma omp parallel for schedule(static) reduction(| : fail)
    for (int bh = 0; bh < B * H; bh++) {
        int b = bh / H, h = bh % H;
        const float *base = a->proj + (size_t)b * S * P;
        float *dbase = m->dproj + (size_t)b * S * P;
        size_t yo = (size_t)b * S * Hq + (size_t)h * dh;
        fail |= attn_backward(&sh, NULL, base + offq + (size_t)h * dh, P, base + offk + (size_t)h * dh, P,
                              base + offv + (size_t)h * dh, P, a->y + yo, Hq, a->lse + (size_t)bh * S,
                              m->dy + yo, Hq, dbase + offq + (size_t)h * dh, P,
                              dbase + offk + (size_t)h * dh, P, dbase + offv + (size_t)h * dh, P) != 0;
    }
    blas_serial_end(nt);
    rope_apply(m->dproj, P, offq, B * S, S, H, dh, c->rope_theta, -1);
    rope_apply(m->dproj, P, offk, B * S, S, H, dh, c->rope_theta, -1);
    return fail ? -1 : 0;
}

/* ---- SWA branch: own q, k, v (proj slots SQ, SK, SV) with rotary
 * embeddings -> sliding-window attention per (b, head) -> own output
 * projection hsw = ysw Wswo^T, added to the mixer's output scaled by
 * swa_factor (1, alpha_l or tanh(alpha_l)). */

static float swa_factor(const model_config *c, const layer_w *w)
{
    return c->swa_mix == SWA_SUM ? 1.0f : c->swa_mix == SWA_DYNMOD ? w->alpha[0] : tanhf(w->alpha[0]);
}

static int swa_forward(model *m, layer_a *a, const layer_w *w)
{
    const model_config *c = &m->cfg;
    int B = m->B, S = m->S, H = c->heads, dh = c->swa_head_dim, P = m->P, Hs = m->Hs, D = c->dim;
    int oq = m->po[PJ_SQ], ok = m->po[PJ_SK], ov = m->po[PJ_SV], N = B * S;
    attn_shape sh = {S, dh, c->swa_window, 1.0f / sqrtf((float)dh)};
    rope_apply(a->proj, P, oq, N, S, H, dh, c->rope_theta, 1);
    rope_apply(a->proj, P, ok, N, S, H, dh, c->rope_theta, 1);
    int fail = 0, nt = blas_serial_omp();
#pragma omp parallel for schedule(static) reduction(| : fail)
    for (int bh = 0; bh < B * H; bh++) {
        int b = bh / H, h = bh % H;
        const float *base = a->proj + (size_t)b * S * P;
        attn_memory mem = {c->swa_memory, c->swa_memory ? w->memk + (size_t)h * dh : NULL,
                           c->swa_memory ? w->memv + (size_t)h * dh : NULL, Hs, NULL, NULL, 0};
        fail |= attn_forward(&sh, c->swa_memory ? &mem : NULL, base + oq + (size_t)h * dh, P, base + ok + (size_t)h * dh, P,
                             base + ov + (size_t)h * dh, P, a->ysw + (size_t)b * S * Hs + (size_t)h * dh,
                             Hs, a->lsesw + (size_t)bh * S) != 0;
    }
    blas_serial_end(nt);
    if (fail) return -1;
    matmul_forward(a->hsw, D, a->ysw, Hs, w->wswo, N, Hs, D);
    float f = swa_factor(c, w);
    for (size_t x = 0; x < (size_t)N * D; x++) a->xm[x] += f * a->hsw[x];
    return 0;
}

/* m->dx = dL/dxm in; SWA slots of dproj, wswo and alpha grads out (m->dxb as scratch). */
static int swa_backward(model *m, layer_a *a, const layer_w *w, layer_w *g)
{
    const model_config *c = &m->cfg;
    int B = m->B, S = m->S, H = c->heads, dh = c->swa_head_dim, P = m->P, Hs = m->Hs, D = c->dim;
    int oq = m->po[PJ_SQ], ok = m->po[PJ_SK], ov = m->po[PJ_SV], N = B * S;
    attn_shape sh = {S, dh, c->swa_window, 1.0f / sqrtf((float)dh)};
    float f = swa_factor(c, w);
    if (c->swa_mix != SWA_SUM) { /* d alpha = sum dxm . hsw (times tanh' when bounded) */
        double da = 0;
        for (size_t x = 0; x < (size_t)N * D; x++) da += (double)m->dx[x] * a->hsw[x];
        g->alpha[0] += (float)(c->swa_mix == SWA_DYNMOD ? da : da * (1.0 - (double)f * f));
    }
    for (size_t x = 0; x < (size_t)N * D; x++) m->dxb[x] = f * m->dx[x];
    matmul_backward(m->dysw, Hs, 0.0f, g->wswo, m->dxb, D, a->ysw, Hs, w->wswo, N, Hs, D);
    int fail = 0, nt = blas_serial_omp();
#pragma omp parallel for schedule(static) reduction(| : fail)
    for (int bh = 0; bh < B * H; bh++) {
        int b = bh / H, h = bh % H;
        const float *base = a->proj + (size_t)b * S * P;
        float *dbase = m->dproj + (size_t)b * S * P;
        size_t yo = (size_t)b * S * Hs + (size_t)h * dh;
        int M = c->swa_memory;
        float *dm = M ? m->dmem + (size_t)bh * 2 * M * dh : NULL;
        if (M) memset(dm, 0, 2 * (size_t)M * dh * sizeof *dm);
        attn_memory mem = {M, M ? w->memk + (size_t)h * dh : NULL, M ? w->memv + (size_t)h * dh : NULL,
                           Hs, dm, M ? dm + (size_t)M * dh : NULL, dh};
        fail |= attn_backward(&sh, M ? &mem : NULL, base + oq + (size_t)h * dh, P, base + ok + (size_t)h * dh, P,
                              base + ov + (size_t)h * dh, P, a->ysw + yo, Hs, a->lsesw + (size_t)bh * S,
                              m->dysw + yo, Hs, dbase + oq + (size_t)h * dh, P,
                              dbase + ok + (size_t)h * dh, P, dbase + ov + (size_t)h * dh, P) != 0;
    }
    blas_serial_end(nt);
    for (int bh = 0; c->swa_memory && bh < B * H; bh++) { /* slot grads, summed in order */
        int M = c->swa_memory, h = bh % H;
        const float *dm = m->dmem + (size_t)bh * 2 * M * dh;
        for (int j = 0; j < M; j++)
            for (int x = 0; x < dh; x++) {
                g->memk[(size_t)j * Hs + (size_t)h * dh + x] += dm[(size_t)j * dh + x];
                g->memv[(size_t)j * Hs + (size_t)h * dh + x] += dm[(size_t)(M + j) * dh + x];
            }
    }
    rope_apply(m->dproj, P, oq, N, S, H, dh, c->rope_theta, -1);
    rope_apply(m->dproj, P, ok, N, S, H, dh, c->rope_theta, -1);
    return fail ? -1 : 0;
}

int model_swa_alpha(const model *m, double *out)
{
    const model_config *c = &m->cfg;
    if (!c->swa_window || c->swa_mix == SWA_SUM) return 0;
    for (int l = 0; l < c->layers; l++) out[l] = m->lw[l].alpha[0];
    return c->layers;
}

/* ------------------------------------------------------------ model pass */

int model_forward(model *m, const int32_t *tokens, const int32_t *targets, int B, int S,
                  float *loss, blalm_err *e)
{
    const model_config *c = &m->cfg;
    if (S > c->context) return err_set(e, "sequence length %d exceeds context %d", S, c->context);
    if (ensure_acts(m, B, S, e) < 0) return -1;
    int N = B * S, D = c->dim, V = c->vocab_size, P = m->P, F = m->F, Hv = m->Hv;
    float eps = (float)c->norm_eps;
    for (int n = 0; n < N; n++) {
        if (tokens[n] < 0 || tokens[n] >= V)
            return err_set(e, "token %d at position %d is outside the vocabulary (%d)", tokens[n],
                           n, V);
        m->tokens[n] = tokens[n];
        memcpy(m->la[0].x + (size_t)n * D, m->embed + (size_t)tokens[n] * D, (size_t)D * sizeof(float));
    }
    for (int l = 0; l < c->layers; l++) {
        layer_a *a = &m->la[l];
        const layer_w *w = &m->lw[l];
        float *xout = l + 1 < c->layers ? m->la[l + 1].x : m->xf;
        rmsnorm_forward(a->n1, a->r1, a->x, w->norm1, N, D, eps);
        matmul_forward(a->proj, P, a->n1, D, w->win, N, D, P);
        if (c->conv_kernel) shortconv_forward(m, a, w);
        if (c->mixer == MIXER_MLSTM) {
            if (mlstm_mixer_forward(m, a, w) < 0) return err_set(e, "out of memory in mLSTM");
        } else if (attention_forward(m, a) < 0) {
            return err_set(e, "out of memory in attention");
        }
        matmul_forward(a->xm, D, a->y, Hv, w->wout, N, Hv, D);
        for (size_t x = 0; x < (size_t)N * D; x++) a->xm[x] += a->x[x];
        if (c->swa_window && swa_forward(m, a, w) < 0) return err_set(e, "out of memory in SWA");
        rmsnorm_forward(a->n2, a->r2, a->xm, w->norm2, N, D, eps);
        matmul_forward(a->gu, 2 * F, a->n2, D, w->wgu, N, D, 2 * F);
        swiglu_forward(a->act, a->gu, N, F);
        matmul_forward(xout, D, a->act, F, w->wdown, N, F, D);
        for (size_t x = 0; x < (size_t)N * D; x++) xout[x] += a->xm[x];
    }
    rmsnorm_forward(m->nf, m->rf, m->xf, m->normf, N, D, eps);
    if (m->no_head) return 0; /* model_forward_hidden */
    matmul_forward(m->logits, V, m->nf, D, m->head, N, D, V);
    if (c->logit_soft_cap > 0) {
        float lc = (float)c->logit_soft_cap;
        for (size_t x = 0; x < (size_t)N * V; x++) m->logits[x] = soft_cap(m->logits[x], lc);
    }
    m->n_valid = 0;
    m->loss_sum = 0;
    if (!targets) return 0;
    double total = 0;
    int valid = 0;
    for (int n = 0; n < N; n++) {
        m->targets[n] = targets[n];
        if (targets[n] < 0) continue;
        if (targets[n] >= V)
            return err_set(e, "target %d at position %d is outside the vocabulary (%d)",
                           targets[n], n, V);
        const float *row = m->logits + (size_t)n * V;
        float mx = row[0];
        for (int v = 1; v < V; v++) mx = row[v] > mx ? row[v] : mx;
        double sum = 0;
        for (int v = 0; v < V; v++) sum += expf(row[v] - mx);
        total += log(sum) + mx - row[targets[n]];
        valid++;
    }
    m->n_valid = valid;
    m->loss_sum = total;
    if (loss) *loss = valid ? (float)(total / valid) : 0.0f;
    return 0;
}

const float *model_logits(const model *m) { return m->logits; }

/* ---- eval (issue 16): the forward without the head */
int model_forward_hidden(model *m, const int32_t *tokens, int B, int S, blalm_err *e)
{
    m->no_head = 1;
    int rc = model_forward(m, tokens, NULL, B, S, NULL, e);
    m->no_head = 0;
    m->n_valid = 0;
    return rc;
}

const float *model_hidden(const model *m) { return m->nf; }
const float *model_head(const model *m) { return m->head; }
/* ---- end of the eval block */

void model_zero_grad(model *m) { memset(m->grads, 0, m->nparams * sizeof(float)); }

double model_loss_sum(const model *m) { return m->loss_sum; }
int model_valid_targets(const model *m) { return m->n_valid; }

int model_backward(model *m, blalm_err *e)
{
    if (!m->acts || !m->n_valid) return err_set(e, "backward needs a forward with targets");
    return model_backward_scaled(m, 1.0f / m->n_valid, e);
}

int model_backward_scaled(model *m, float inv, blalm_err *e)
{
    const model_config *c = &m->cfg;
    if (!m->acts || !m->n_valid) return err_set(e, "backward needs a forward with targets");
    int N = m->B * m->S, D = c->dim, V = c->vocab_size, P = m->P, F = m->F, Hv = m->Hv;
    float lc = (float)c->logit_soft_cap;
    /* dlogits = (softmax - onehot) / n_valid, in place (times the soft cap's slope) */
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        float *row = m->logits + (size_t)n * V;
        if (m->targets[n] < 0) {
            memset(row, 0, (size_t)V * sizeof *row);
            continue;
        }
        if (lc > 0) {
            float mx = row[0], sum = 0.0f;
            for (int v = 1; v < V; v++) mx = row[v] > mx ? row[v] : mx;
            for (int v = 0; v < V; v++) sum += expf(row[v] - mx);
            float s = inv / sum;
            for (int v = 0; v < V; v++) {
                float l = row[v], d = expf(l - mx) * s - (v == m->targets[n] ? inv : 0.0f);
                row[v] = d * soft_cap_slope(l, lc);
            }
            continue;
        }
        float mx = row[0], sum = 0.0f;
        for (int v = 1; v < V; v++) mx = row[v] > mx ? row[v] : mx;
        for (int v = 0; v < V; v++) sum += (row[v] = expf(row[v] - mx));
        float s = inv / sum;
        for (int v = 0; v < V; v++) row[v] *= s;
        row[m->targets[n]] -= inv;
    }
    /* head: logits = nf head^T */
    matmul_backward(m->dxb, D, 0.0f, m->ghead, m->logits, V, m->nf, D, m->head, N, D, V);
    rmsnorm_backward(m->dx, 0, m->gnormf, m->dxb, m->xf, m->rf, m->normf, N, D);
    grad_ready(m, 0); /* a tied head's gradient is the embedding's: region L+1 */
    for (int l = c->layers - 1; l >= 0; l--) {
        layer_a *a = &m->la[l];
        const layer_w *w = &m->lw[l];
        layer_w *g = &m->lg[l];
        /* m->dx = dL/d(layer output) */
        matmul_backward(m->dact, F, 0.0f, g->wdown, m->dx, D, a->act, F, w->wdown, N, F, D);
        swiglu_backward(m->dgu, m->dact, a->gu, N, F);
        matmul_backward(m->dxb, D, 0.0f, g->wgu, m->dgu, 2 * F, a->n2, D, w->wgu, N, D, 2 * F);
        rmsnorm_backward(m->dx, 1, g->norm2, m->dxb, a->xm, a->r2, w->norm2, N, D);
        /* m->dx = dL/dxm */
        matmul_backward(m->dy, Hv, 0.0f, g->wout, m->dx, D, a->y, Hv, w->wout, N, Hv, D);
        if (c->swa_window && swa_backward(m, a, w, g) < 0) return err_set(e, "out of memory in SWA");
        if (c->mixer == MIXER_MLSTM) {
            if (mlstm_mixer_backward(m, a, w, g) < 0) return err_set(e, "out of memory in mLSTM");
        } else if (attention_backward(m, a) < 0) {
            return err_set(e, "out of memory in attention");
        }
        if (c->conv_kernel) shortconv_backward(m, a, w, g);
        matmul_backward(m->dxb, D, 0.0f, g->win, m->dproj, P, a->n1, D, w->win, N, D, P);
        rmsnorm_backward(m->dx, 1, g->norm1, m->dxb, a->x, a->r1, w->norm1, N, D);
        grad_ready(m, c->layers - l);
    }
    for (int n = 0; n < N; n++) {
        float *ge = m->gembed + (size_t)m->tokens[n] * D;
        const float *d = m->dx + (size_t)n * D;
        for (int i = 0; i < D; i++) ge[i] += d[i];
    }
    grad_ready(m, c->layers + 1);
    return 0;
}

/* ------------------------------------------------------------ generation */

struct gen_state {
    int pos, max_len;
    float *mem;             /* one allocation; what follows points into it (NULL: unused) */
    float *C;               /* mlstm: [L][H][dqk][dv+1] */
    float *mst;             /* mlstm: [L][H] */
    float *kcache, *vcache; /* attention: [L][max_len][Hq] */
    float *att;             /* attention: [max_len] scores */
    float *convbuf;         /* ShortConv: [L][K-1][Cc], the last K-1 inputs (ring by position) */
    int swa_ring;           /* SWA: KV cache rows, min(window, max_len) (ring by position) */
    float *kswa, *vswa;     /* SWA: [L][swa_ring][Hs] */
    float *attsw, *ysw;     /* SWA: [swa_ring] scores, [Hs] output */
    float *fq, *fk;         /* Hedgehog: [Hf] features of q and k */
    float *x, *n, *proj, *hc, *y, *gu, *act, *tmp;
};

gen_state *gen_create(const model *m, int max_len)
{
    const model_config *c = &m->cfg;
    gen_state *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    size_t L = c->layers, H = c->heads, D = c->dim, ml = max_len > 0 ? (size_t)max_len : 0;
    int mlstm = c->mixer == MIXER_MLSTM, K = c->conv_kernel;
    g->max_len = max_len;
    size_t ring = c->swa_window ? (size_t)(c->swa_window < max_len ? c->swa_window : max_len) : 0;
    g->swa_ring = (int)ring;
    /* the generation state, one line per part */
    struct {
        float **dst;
        size_t n;
    } parts[] = {
        {&g->C, mlstm ? L * H * m->dcell * (c->v_head_dim + 1) : 0},
        {&g->fq, c->hedgehog != HH_NONE ? (size_t)m->Hf : 0},
        {&g->fk, c->hedgehog != HH_NONE ? (size_t)m->Hf : 0},
        {&g->mst, mlstm ? L * H : 0},
        {&g->kcache, mlstm ? 0 : L * ml * m->Hq},
        {&g->vcache, mlstm ? 0 : L * ml * m->Hq},
        {&g->att, mlstm ? 0 : ml},
        {&g->convbuf, K > 1 ? L * (size_t)(K - 1) * m->Cc : 0},
        {&g->kswa, L * ring * m->Hs}, {&g->vswa, L * ring * m->Hs},
        {&g->attsw, ring ? ring + (size_t)c->swa_memory : 0},
        {&g->ysw, (size_t)m->Hs},
        {&g->x, D}, {&g->n, D}, {&g->tmp, D}, {&g->proj, (size_t)m->P}, {&g->hc, (size_t)m->Hv},
        {&g->y, (size_t)m->Hv}, {&g->gu, 2 * (size_t)m->F}, {&g->act, (size_t)m->F},
    };
    size_t total = 0, np = sizeof parts / sizeof parts[0];
    for (size_t i = 0; i < np; i++) total += parts[i].n;
    g->mem = calloc(total ? total : 1, sizeof(float));
    if (!g->mem) {
        free(g);
        return NULL;
    }
    float *p = g->mem;
    for (size_t i = 0; i < np; i++) {
        *parts[i].dst = parts[i].n ? p : NULL;
        p += parts[i].n;
    }
    return g;
}

void gen_free(gen_state *g)
{
    if (!g) return;
    free(g->mem);
    free(g);
}

static void vec_matmul(float *y, const float *x, const float *W, int in, int out)
{
    cblas_sgemv(CblasRowMajor, CblasNoTrans, out, in, 1.0f, W, in, x, 1, 0.0f, y, 1);
}

/* Rotary embedding of one row's H heads at position pos (as rope_apply). */
static void rope_row(float *p, int H, int dh, int pos, double theta)
{
    int half = dh / 2;
    for (int h = 0; h < H; h++)
        for (int i = 0; i < half; i++) {
            double ang = pos * pow(theta, -2.0 * i / dh);
            float cs = (float)cos(ang), sn = (float)sin(ang);
            float *q = p + (size_t)h * dh, a0 = q[i], b0 = q[i + half];
            q[i] = a0 * cs - b0 * sn;
            q[i + half] = b0 * cs + a0 * sn;
        }
}

/* SWA for one position: KV cache of the last min(window, max_len) rows;
 * adds swa_factor * (ysw Wswo^T) to x. */
static void swa_step(const model *m, gen_state *g, int l, const layer_w *w)
{
    const model_config *c = &m->cfg;
    int H = c->heads, dh = c->swa_head_dim, Hs = m->Hs, ring = g->swa_ring, pos = g->pos, D = c->dim;
    float *sq = g->proj + m->po[PJ_SQ], *sk = g->proj + m->po[PJ_SK], *sv = g->proj + m->po[PJ_SV];
    rope_row(sq, H, dh, pos, c->rope_theta);
    rope_row(sk, H, dh, pos, c->rope_theta);
    float *kc = g->kswa + (size_t)l * ring * Hs, *vc = g->vswa + (size_t)l * ring * Hs;
    memcpy(kc + (size_t)(pos % ring) * Hs, sk, (size_t)Hs * sizeof(float));
    memcpy(vc + (size_t)(pos % ring) * Hs, sv, (size_t)Hs * sizeof(float));
    int n = pos + 1 < c->swa_window ? pos + 1 : c->swa_window, M = c->swa_memory;
    float scale = 1.0f / sqrtf((float)dh);
    for (int h = 0; h < H; h++) {
        const float *q = sq + (size_t)h * dh;
        float mx = 0.0f, sum = 0.0f;
        for (int i = 0; i < M; i++) { /* memory slots first, then the window */
            const float *k = w->memk + (size_t)i * Hs + (size_t)h * dh;
            float sc = 0.0f;
            for (int x = 0; x < dh; x++) sc += q[x] * k[x];
            g->attsw[n + i] = sc * scale;
            mx = i == 0 || g->attsw[n + i] > mx ? g->attsw[n + i] : mx;
        }
        for (int i = 0; i < n; i++) {
            const float *k = kc + (size_t)((pos - n + 1 + i) % ring) * Hs + (size_t)h * dh;
            float sc = 0.0f;
            for (int x = 0; x < dh; x++) sc += q[x] * k[x];
            g->attsw[i] = sc * scale;
            mx = (i == 0 && !M) || g->attsw[i] > mx ? g->attsw[i] : mx;
        }
        for (int i = 0; i < n + M; i++) sum += (g->attsw[i] = expf(g->attsw[i] - mx));
        float *y = g->ysw + (size_t)h * dh;
        memset(y, 0, (size_t)dh * sizeof *y);
        for (int i = 0; i < M; i++) {
            const float *v = w->memv + (size_t)i * Hs + (size_t)h * dh;
            for (int x = 0; x < dh; x++) y[x] += g->attsw[n + i] * v[x];
        }
        for (int i = 0; i < n; i++) {
            const float *v = vc + (size_t)((pos - n + 1 + i) % ring) * Hs + (size_t)h * dh;
            for (int x = 0; x < dh; x++) y[x] += g->attsw[i] * v[x];
        }
        for (int x = 0; x < dh; x++) y[x] /= sum;
    }
    vec_matmul(g->tmp, g->ysw, w->wswo, Hs, D);
    float f = swa_factor(c, w);
    for (int i = 0; i < D; i++) g->x[i] += f * g->tmp[i];
}

/* ShortConv for one position: the q, k, v columns of proj, in place (the
 * same sums in the same order as conv_at). */
static void shortconv_step(const model *m, gen_state *g, int l, const float *wconv)
{
    int K = m->cfg.conv_kernel, Cc = m->Cc, c0 = m->po[PJ_Q], pos = g->pos;
    float *ring = K > 1 ? g->convbuf + (size_t)l * (K - 1) * Cc : NULL;
    for (int ch = 0; ch < Cc; ch++) {
        const float *wk = wconv + (size_t)ch * K;
        float xn = g->proj[c0 + ch], u = 0.0f;
        for (int j = 0; j < K - 1; j++) {
            int src = pos - (K - 1) + j;
            if (src >= 0) u += wk[j] * ring[(size_t)(src % (K - 1)) * Cc + ch];
        }
        u += wk[K - 1] * xn;
        if (K > 1) ring[(size_t)(pos % (K - 1)) * Cc + ch] = xn; /* replaces pos - (K-1), read above */
        g->proj[c0 + ch] = u * sigmoidf(u);
    }
}


int gen_step(model *m, gen_state *g, int32_t token, float *logits)
{
    const model_config *c = &m->cfg;
    if (g->pos >= g->max_len || token < 0 || token >= c->vocab_size) return -1;
    int D = c->dim, H = c->heads, dqk = c->qk_head_dim, dv = c->v_head_dim, P = m->P, F = m->F;
    int Hq = m->Hq, Hv = m->Hv, W = dv + 1;
    float eps = (float)c->norm_eps, rstd, gc = (float)c->gate_soft_cap;
    memcpy(g->x, m->embed + (size_t)token * D, (size_t)D * sizeof(float));
    for (int l = 0; l < c->layers; l++) {
        const layer_w *w = &m->lw[l];
        rmsnorm_forward(g->n, &rstd, g->x, w->norm1, 1, D, eps);
        vec_matmul(g->proj, g->n, w->win, D, P);
        if (c->conv_kernel) shortconv_step(m, g, l, w->conv);
        if (c->mixer == MIXER_MLSTM) {
            int offk = m->po[PJ_K], offv = m->po[PJ_V], offo = m->po[PJ_O], offi = m->po[PJ_I], offf = m->po[PJ_F];
            int hh = c->hedgehog != HH_NONE, dc = m->dcell;
            float scale = c->qk_scale > 0 ? (float)c->qk_scale : 1.0f / sqrtf((float)dc);
            const float *qs = hh ? g->fq : g->proj + m->po[PJ_Q], *ks = hh ? g->fk : g->proj + offk;
            for (int h = 0; hh && h < H; h++) { /* Hedgehog features, as hedgehog_forward */
                vec_matmul(g->fq + (size_t)h * dc, g->proj + m->po[PJ_Q] + (size_t)h * dqk,
                           w->hhq + (size_t)h * dqk * dqk, dqk, dqk);
                vec_matmul(g->fk + (size_t)h * dc, g->proj + offk + (size_t)h * dqk,
                           w->hhk + (size_t)h * dqk * dqk, dqk, dqk);
                hh_phi_row(g->fq + (size_t)h * dc, dqk, c->hedgehog == HH_ONE_SOFTMAX);
                hh_phi_row(g->fk + (size_t)h * dc, dqk, c->hedgehog == HH_ONE_SOFTMAX);
            }
            for (int h = 0; h < H; h++) {
                mlstm_state st = {g->C + ((size_t)l * H + h) * dc * W, g->mst[l * H + h]};
                float ig = g->proj[offi + h] + w->bi[h], fg = g->proj[offf + h] + w->bf[h];
                if (gc > 0) ig = soft_cap(ig, gc), fg = soft_cap(fg, gc);
                mlstm_step_scaled(dc, dv, scale, &st, qs + (size_t)h * dc, ks + (size_t)h * dc,
                                  g->proj + offv + (size_t)h * dv, ig, fg, g->hc + (size_t)h * dv);
                g->mst[l * H + h] = st.m;
                const float *hc = g->hc + (size_t)h * dv, *o = g->proj + offo + (size_t)h * dv;
                float mu, r = head_norm_stats(hc, dv, c->head_norm == HEAD_NORM_LAYER, eps, &mu);
                for (int i = 0; i < dv; i++)
                    g->y[(size_t)h * dv + i] = sigmoidf(o[i]) * (hc[i] - mu) * r * w->outnorm[(size_t)h * dv + i];
            }
        } else {
            int dh = dqk, half = dh / 2, pos = g->pos;
            float scale = 1.0f / sqrtf((float)dh);
            for (int part = 0; part < 2; part++)
                for (int h = 0; h < H; h++)
                    for (int i = 0; i < half; i++) {
                        double ang = pos * pow(c->rope_theta, -2.0 * i / dh);
                        float cs = (float)cos(ang), sn = (float)sin(ang);
                        float *p = g->proj + m->po[part ? PJ_K : PJ_Q] + (size_t)h * dh;
                        float a0 = p[i], b0 = p[i + half];
                        p[i] = a0 * cs - b0 * sn;
                        p[i + half] = b0 * cs + a0 * sn;
                    }
            float *kc = g->kcache + (size_t)l * g->max_len * Hq, *vc = g->vcache + (size_t)l * g->max_len * Hq;
            memcpy(kc + (size_t)pos * Hq, g->proj + m->po[PJ_K], (size_t)Hq * sizeof(float));
            memcpy(vc + (size_t)pos * Hq, g->proj + m->po[PJ_V], (size_t)Hq * sizeof(float));
            for (int h = 0; h < H; h++) {
                /* scores = K_h q * scale; y = V_h^T softmax(scores)   (K_h, V_h: [pos+1, dh], ld Hq) */
                const float *q = g->proj + m->po[PJ_Q] + (size_t)h * dh;
                cblas_sgemv(CblasRowMajor, CblasNoTrans, pos + 1, dh, scale, kc + (size_t)h * dh, Hq, q, 1,
                            0.0f, g->att, 1);
                float mx = g->att[0], sum = 0.0f;
                for (int j = 1; j <= pos; j++) mx = g->att[j] > mx ? g->att[j] : mx;
                for (int j = 0; j <= pos; j++) sum += (g->att[j] = expf(g->att[j] - mx));
                cblas_sgemv(CblasRowMajor, CblasTrans, pos + 1, dh, 1.0f / sum, vc + (size_t)h * dh, Hq,
                            g->att, 1, 0.0f, g->y + (size_t)h * dh, 1);
            }
        }
        vec_matmul(g->tmp, g->y, w->wout, Hv, D);
        for (int i = 0; i < D; i++) g->x[i] += g->tmp[i];
        if (c->swa_window) swa_step(m, g, l, w);
        rmsnorm_forward(g->n, &rstd, g->x, w->norm2, 1, D, eps);
        vec_matmul(g->gu, g->n, w->wgu, D, 2 * F);
        swiglu_forward(g->act, g->gu, 1, F);
        vec_matmul(g->tmp, g->act, w->wdown, F, D);
        for (int i = 0; i < D; i++) g->x[i] += g->tmp[i];
    }
    rmsnorm_forward(g->n, &rstd, g->x, m->normf, 1, D, eps);
    vec_matmul(logits, g->n, m->head, D, c->vocab_size);
    if (c->logit_soft_cap > 0)
        for (int v = 0; v < c->vocab_size; v++) logits[v] = soft_cap(logits[v], (float)c->logit_soft_cap);
    g->pos++;
    return 0;
}
