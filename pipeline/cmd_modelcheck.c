/* cmd_modelcheck.c - `blalm modelcheck`: reference numbers for the PyTorch
 * twin (tests/oracle/trainer_twin.py). From a model config and a seed it
 * writes the initial weights, one batch's logits, loss and every parameter
 * gradient, and the losses of N optimiser steps with AdamW and with Muon. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/fsutil.h"
#include "trainer/model.h"

BLALM_COMMAND(modelcheck, "write weights, gradients and optimiser losses for the PyTorch twin")

static const char usage[] =
    "usage: blalm modelcheck --model CONFIG --out DIR [options]\n"
    "\n"
    "Initialises the model of CONFIG from a seed and writes, for the PyTorch twin:\n"
    "  DIR/config.json, DIR/model.safetensors   the initial weights\n"
    "  DIR/logits.safetensors                   logits of batch 0\n"
    "  DIR/grads.safetensors                    every parameter's gradient on batch 0\n"
    "  DIR/check.json                           batches, loss, and the losses of\n"
    "                                           N steps of AdamW and of Muon\n"
    "\n"
    "options:\n"
    "  --mixer mlstm|attention   override the config's mixer\n"
    "  --batch B                 sequences per batch (default 2)\n"
    "  --seq S                   tokens per sequence (default min(context, 16))\n"
    "  --steps N                 optimiser steps per optimiser (default 10)\n"
    "  --seed N                  weights and batches (default 1)\n"
    "  --threads N               threads (default 1)\n"
    "  -q, --quiet               no summary line\n"
    "  -h, --help                this help\n";

static cJSON *int_array(const int32_t *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static int run_steps(const model_config *c, optim_kind kind, uint64_t seed, int steps, int B, int S,
                     const int32_t *toks, cJSON *out, blalm_err *e)
{
    model *m = model_create(c, e);
    if (!m) return -1;
    model_init_weights(m, seed);
    optimizer *o = optim_create(m, kind, &c->train);
    if (!o) {
        model_free(m);
        return err_set(e, "out of memory for the optimiser");
    }
    cJSON *losses = cJSON_AddArrayToObject(out, kind == OPT_MUON ? "muon_losses" : "adamw_losses");
    cJSON *norms = cJSON_AddArrayToObject(out, kind == OPT_MUON ? "muon_grad_norms" : "adamw_grad_norms");
    int rc = 0;
    for (int s = 0; s < steps && !rc; s++) {
        const int32_t *b = toks + (size_t)s * B * (S + 1);
        int32_t *in = malloc((size_t)B * S * 4), *tg = malloc((size_t)B * S * 4);
        for (int r = 0; r < B; r++)
            for (int t = 0; t < S; t++) {
                in[r * S + t] = b[r * (S + 1) + t];
                tg[r * S + t] = b[r * (S + 1) + t + 1];
            }
        float loss;
        rc = model_forward(m, in, tg, B, S, &loss, e);
        if (!rc) {
            model_zero_grad(m);
            rc = model_backward(m, e);
        }
        if (!rc) {
            double gn = grad_clip(m, c->train.grad_clip);
            optim_step(o, m, lr_schedule(&c->train, s, steps));
            cJSON_AddItemToArray(losses, cJSON_CreateNumber(loss));
            cJSON_AddItemToArray(norms, cJSON_CreateNumber(gn));
        }
        free(in), free(tg);
    }
    optim_free(o);
    model_free(m);
    return rc;
}

int cmd_modelcheck(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"out", required_argument, 0, 'o'},
        {"mixer", required_argument, 0, 'x'}, {"batch", required_argument, 0, 'b'},
        {"seq", required_argument, 0, 's'},   {"steps", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 'r'},  {"threads", required_argument, 0, 't'},
        {"quiet", no_argument, 0, 'q'},       {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *cfg_path = NULL, *out = NULL, *mixer = NULL;
    int B = 2, S = 0, steps = 10, threads = 1, quiet = 0, c;
    unsigned long long seed = 1, v;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'm': cfg_path = optarg; break;
        case 'o': out = optarg; break;
        case 'x': mixer = optarg; break;
        case 'b': case 's': case 'n': case 'r': case 't':
            if (cli_parse_count(optarg, &v) < 0 || v > 1000000000ull)
                return cli_usage_error(usage, "modelcheck: bad number '%s'", optarg);
            if (c == 'b') B = (int)v;
            else if (c == 's') S = (int)v;
            else if (c == 'n') steps = (int)v;
            else if (c == 'r') seed = v;
            else threads = (int)v;
            break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_usage_error(usage, "modelcheck: unknown option '%s'", argv[optind - 1]);
        }
    }
    if (!cfg_path || !out) return cli_usage_error(usage, "modelcheck: --model and --out are required");
    if (B < 1) return cli_usage_error(usage, "modelcheck: --batch must be at least 1");
    model_set_threads(threads);
    blalm_err e;
    model_config mc;
    if (model_config_load(cfg_path, &mc, &e) < 0) {
        fprintf(stderr, "blalm modelcheck: %s\n", e.msg);
        return 1;
    }
    if (mixer) {
        if (strcmp(mixer, "mlstm") && strcmp(mixer, "attention"))
            return cli_usage_error(usage, "modelcheck: --mixer must be mlstm or attention");
        mc.mixer = strcmp(mixer, "mlstm") ? MIXER_ATTENTION : MIXER_MLSTM;
    }
    if (!S) S = mc.context < 16 ? mc.context : 16;
    if (S > mc.context) return cli_usage_error(usage, "modelcheck: --seq exceeds the context");
    int rc = 1;
    char path[4096];
    model *m = NULL;
    int32_t *toks = NULL, *in = NULL, *tg = NULL;
    cJSON *j = cJSON_CreateObject();
    if (mkdir_p(out, &e) < 0) goto fail;
    m = model_create(&mc, &e);
    if (!m) goto fail;
    model_init_weights(m, seed);
    /* batches: steps x B x (S + 1) tokens from a fixed generator */
    size_t nt = (size_t)steps * B * (S + 1) + (size_t)B * (S + 1);
    toks = malloc(nt * 4), in = malloc((size_t)B * S * 4), tg = malloc((size_t)B * S * 4);
    uint64_t st = seed * 0x9E3779B97F4A7C15ull + 12345;
    /* a learnable stream (each row a bigram chain from a random start, with
     * 1 in 8 tokens random) so that the losses move with the optimiser */
    for (size_t i = 0; i < nt; i++) {
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        int row_start = i % (size_t)(S + 1) == 0;
        if (row_start || st % 8 == 0)
            toks[i] = (int32_t)((st >> 8) % (uint64_t)mc.vocab_size);
        else
            toks[i] = (int32_t)((toks[i - 1] * 5 + 3) % mc.vocab_size);
    }
    for (int r = 0; r < B; r++)
        for (int t = 0; t < S; t++) {
            in[r * S + t] = toks[r * (S + 1) + t];
            tg[r * S + t] = toks[r * (S + 1) + t + 1];
        }
    cJSON *cj = model_config_to_json(&mc);
    char *cs = cJSON_Print(cj);
    cJSON_Delete(cj);
    snprintf(path, sizeof path, "%s/config.json", out);
    int wrc = write_file_atomic(path, cs, strlen(cs), &e);
    free(cs);
    if (wrc < 0) goto fail;
    snprintf(path, sizeof path, "%s/model.safetensors", out);
    if (model_save_safetensors(m, path, &e) < 0) goto fail;
    float loss;
    if (model_forward(m, in, tg, B, S, &loss, &e) < 0) goto fail;
    st_tensor lt = {"logits", B * S, mc.vocab_size, model_logits(m)};
    snprintf(path, sizeof path, "%s/logits.safetensors", out);
    if (safetensors_write(path, 1, &lt, &e) < 0) goto fail;
    model_zero_grad(m);
    if (model_backward(m, &e) < 0) goto fail;
    snprintf(path, sizeof path, "%s/grads.safetensors", out);
    if (model_save_tensors(m, model_grads(m), path, &e) < 0) goto fail;
    cJSON_AddNumberToObject(j, "batch", B);
    cJSON_AddNumberToObject(j, "seq", S);
    cJSON_AddNumberToObject(j, "steps", steps);
    cJSON_AddNumberToObject(j, "loss", loss);
    cJSON_AddItemToObject(j, "batches", int_array(toks, (int)nt));
    if (run_steps(&mc, OPT_ADAMW, seed, steps, B, S, toks, j, &e) < 0 ||
        run_steps(&mc, OPT_MUON, seed, steps, B, S, toks, j, &e) < 0)
        goto fail;
    char *js = cJSON_Print(j);
    snprintf(path, sizeof path, "%s/check.json", out);
    wrc = write_file_atomic(path, js, strlen(js), &e);
    free(js);
    if (wrc < 0) goto fail;
    if (!quiet)
        fprintf(stderr, "blalm modelcheck: %s, %zu parameters, loss %.6f, %d steps x 2 optimisers -> %s\n",
                mc.mixer == MIXER_MLSTM ? "mlstm" : "attention", model_num_params(m), loss, steps, out);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "blalm modelcheck: %s\n", e.msg);
done:
    cJSON_Delete(j);
    free(toks), free(in), free(tg);
    model_free(m);
    return rc;
}
