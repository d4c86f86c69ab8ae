/* cmd_modelcheck.c - `blalm modelcheck`: reference numbers for the PyTorch
 * twin (tests/oracle/trainer_twin.py). From a model config and a seed it
 * writes the initial weights, one batch's logits, loss and every parameter
 * gradient, and the losses of N optimiser steps with AdamW and with Muon. */
#include <getopt.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "lib/cli.h"
#include "lib/config.h"
#include "lib/fsutil.h"
#include "trainer/model.h"
#include "trainer/train.h"

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
    "  DIR/adamw_final.safetensors,             the weights after those N steps\n"
    "  DIR/muon_final.safetensors\n"
    "\n"
    "options:\n"
    "  --mixer mlstm|attention   override the config's mixer\n"
    "  --batch B                 sequences per batch, 1..4096 (default 2; --bench:\n"
    "                            the config's)\n"
    "  --seq S                   tokens per sequence, 1..context (default\n"
    "                            min(context, 16))\n"
    "  --steps N                 optimiser steps per optimiser, 1..100000 (default 10)\n"
    "  --seed N                  weights and batches (default 1)\n"
    "  --weights FILE            start from these weights (a blalm export's\n"
    "                            model.safetensors) instead of the seed's\n"
    "  --threads N               threads, 1..4096 (default 1)\n"
    "  --bench N                 instead (no --out, --seq, --steps, --weights): time\n"
    "                            N >= 1 training steps (forward, backward, AdamW) at\n"
    "                            the config's batch (or --batch) and sequence length,\n"
    "                            and cblas_sgemm's peak; prints JSON\n"
    "  --gen                     with --bench: also generation ms/token at\n"
    "                            positions 128 and 4096\n"
    "  -q, --quiet               no summary line\n"
    "  -h, --help                this help\n";

static cJSON *int_array(const int32_t *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
    return a;
}

static int run_steps(const model_config *c, optim_kind kind, uint64_t seed, const char *weights,
                     int steps, int B, int S, const int32_t *toks, cJSON *out, const char *dir, blalm_err *e)
{
    model *m = model_create(c, e);
    if (!m) return -1;
    model_init_weights(m, seed);
    if (weights && model_load_safetensors(m, weights, e) < 0) {
        model_free(m);
        return -1;
    }
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
        double gn;
        rc = train_step(m, o, &c->train, in, tg, B, S, s, steps, &loss, &gn, e);
        if (!rc) {
            cJSON_AddItemToArray(losses, cJSON_CreateNumber(loss));
            cJSON_AddItemToArray(norms, cJSON_CreateNumber(gn));
        }
        free(in), free(tg);
    }
    if (!rc) { /* the weights after the N steps: the twin compares each tensor */
        char path[4096];
        snprintf(path, sizeof path, "%s/%s_final.safetensors", dir, kind == OPT_MUON ? "muon" : "adamw");
        rc = model_save_safetensors(m, path, e);
    }
    optim_free(o);
    model_free(m);
    return rc;
}

/* Matmul FLOPs per token (6 per weight: forward, and two in the backward)
 * plus the token mixer's (causal score/value products and chunk states). */
static double flops_per_token(const model_config *c, const model *m, int S)
{
    double matmul = 0;
    for (int i = 0; i < model_num_tensors(m); i++) {
        const tensor_info *t = model_tensor(m, i);
        if (t->cols && strcmp(t->name, "embed.weight")) matmul += (double)t->rows * t->cols;
    }
    if (c->tie_embeddings) matmul += (double)c->vocab_size * c->dim; /* the head */
    double dqk = c->qk_head_dim, W = c->v_head_dim + (c->mixer == MIXER_MLSTM ? 1 : 0), mix;
    if (c->mixer == MIXER_MLSTM) {
        double L = c->chunk < S ? c->chunk : S;
        mix = 2.0 * L * (dqk + W) + 4.0 * dqk * W; /* forward, per head */
    } else {
        mix = 2.0 * S * (dqk + W) / 2.0 * 2.0;  /* full S x S products (causal not skipped) */
    }
    return 6.0 * matmul + 3.0 * mix * c->heads * c->layers;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* CPU seconds of this process: on a shared machine, wall time measures the
 * neighbours; both sides of every ratio here use CPU time. */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double sgemm_peak(void)
{
    int n = 512;
    float *a = calloc((size_t)n * n, 4), *b = calloc((size_t)n * n, 4), *cc = calloc((size_t)n * n, 4);
    for (int i = 0; i < n * n; i++) a[i] = (float)(i % 7) * 0.1f, b[i] = (float)(i % 5) * 0.1f;
    double best = 0;
    for (int r = 0; r < 10; r++) {
        double t0 = cpu_seconds();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, cc, n);
        double g = 2.0 * n * n * n / (cpu_seconds() - t0);
        if (g > best) best = g;
    }
    free(a), free(b), free(cc);
    return best;
}

static int run_bench(const model_config *c, int steps, uint64_t seed, int batch, int gen)
{
    blalm_err e;
    model *m = model_create(c, &e);
    if (!m) {
        fprintf(stderr, "blalm modelcheck: %s\n", e.msg);
        return 1;
    }
    model_init_weights(m, seed);
    optimizer *o = optim_create(m, OPT_ADAMW, &c->train);
    int B = batch ? batch : c->train.batch_size, S = c->train.seq_len;
    int32_t *in = malloc((size_t)B * S * 4), *tg = malloc((size_t)B * S * 4);
    uint64_t st = seed + 99;
    for (int i = 0; i < B * S; i++) {
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        in[i] = (int32_t)(st % (uint64_t)c->vocab_size);
        tg[i] = (int32_t)((st >> 20) % (uint64_t)c->vocab_size);
    }
    double t0 = 0, c0 = 0;
    float loss;
    for (int s = 0; s <= steps; s++) {
        if (s == 1) t0 = now_seconds(), c0 = cpu_seconds(); /* step 0 allocates: warm-up */
        if (train_step(m, o, &c->train, in, tg, B, S, s, steps + 1, &loss, NULL, &e) < 0) {
            fprintf(stderr, "blalm modelcheck: %s\n", e.msg);
            return 1;
        }
    }
    double dt = now_seconds() - t0, tps_wall = (double)steps * B * S / dt;
    double tps = (double)steps * B * S / (cpu_seconds() - c0);
    double fpt = flops_per_token(c, m, S), peak = sgemm_peak();
    /* generation: median ms/token over 64 tokens around positions 128 and
     * 4096; two states are advanced untimed to 96 and 4064, then stepped
     * alternately, so that other processes' load hits both alike */
    int gl = 4096 + 33;
    gen_state *g = gen ? gen_create(m, gl) : NULL, *g2 = gen ? gen_create(m, gl) : NULL;
    float *logits = malloc((size_t)c->vocab_size * 4);
    double w128[64], w4096[64];
    int n128 = 0, n4096 = 0;
    for (int p = 0; p < 96 && g; p++) gen_step(m, g, in[p % (B * S)], logits);
    for (int p = 0; p < 4064 && g2; p++) gen_step(m, g2, in[p % (B * S)], logits);
    for (int k = 0; k < 64 && g && g2; k++) {
        gen_state *first = k % 2 ? g2 : g, *second = k % 2 ? g : g2; /* no order bias */
        double a = cpu_seconds();
        gen_step(m, first, in[k % (B * S)], logits);
        double b = cpu_seconds();
        gen_step(m, second, in[k % (B * S)], logits);
        double d = cpu_seconds();
        w128[n128++] = first == g ? b - a : d - b;
        w4096[n4096++] = first == g ? d - b : b - a;
    }
    gen_free(g2);
    qsort(w128, (size_t)n128, sizeof(double), cmp_double);
    qsort(w4096, (size_t)n4096, sizeof(double), cmp_double);
    double t128 = n128 ? w128[n128 / 2] : 0, t4096 = n4096 ? w4096[n4096 / 2] : 0;
    printf("{\"config\":\"%s\",\"mixer\":\"%s\",\"params\":%zu,\"batch\":%d,\"seq\":%d,"
           "\"tokens_per_s\":%.1f,\"tokens_per_wall_s\":%.1f,\"flops_per_token\":%.4g,\"model_gflops\":%.2f,"
           "\"sgemm_peak_gflops\":%.2f,\"fraction_of_peak\":%.3f",
           c->name, c->mixer == MIXER_MLSTM ? "mlstm" : "attention", model_num_params(m), B, S, tps, tps_wall, fpt,
           tps * fpt / 1e9, peak / 1e9, tps * fpt / peak);
    /* generation was timed only with --gen: without it there is no figure
     * (0.0000 would read as a measured one) */
    if (gen) printf(",\"gen_ms_per_token_128\":%.4f,\"gen_ms_per_token_4096\":%.4f", t128 * 1e3, t4096 * 1e3);
    printf("}\n");
    free(logits), free(in), free(tg);
    gen_free(g);
    optim_free(o);
    model_free(m);
    return 0;
}

int cmd_modelcheck(int argc, char **argv)
{
    static const struct option opts[] = {
        {"model", required_argument, 0, 'm'}, {"out", required_argument, 0, 'o'},
        {"mixer", required_argument, 0, 'x'}, {"batch", required_argument, 0, 'b'},
        {"seq", required_argument, 0, 's'},   {"steps", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 'r'},  {"threads", required_argument, 0, 't'},
        {"bench", required_argument, 0, 'B'}, {"weights", required_argument, 0, 'w'}, {"gen", no_argument, 0, 'g'},
        {"quiet", no_argument, 0, 'q'},       {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *cfg_path = NULL, *out = NULL, *mixer = NULL, *weights = NULL;
    int B = 0, S = 0, steps = 10, threads = 1, quiet = 0, bench = 0, gen = 0, c;
    int seq_given = 0, steps_given = 0;
    unsigned long long seed = 1, v;
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 'm': cfg_path = optarg; break;
        case 'o': out = optarg; break;
        case 'x': mixer = optarg; break;
        case 'w': weights = optarg; break;
        case 'b': case 's': case 'n': case 'r': case 't': case 'B':
            if (cli_parse_count(optarg, &v) < 0 || v > 1000000000ull)
                return cli_usage_error(usage, "modelcheck: --%s: bad number '%s'", cli_option_name(opts, c), optarg);
            /* 0 meant the default (--batch, --seq) or nothing (--steps: empty
             * loss arrays; --bench: no bench) without a word */
            if ((c == 'b' || c == 't') && (v < 1 || v > 4096))
                return cli_usage_error(usage, "modelcheck: --%s wants a count in 1..4096, not '%s'",
                                       cli_option_name(opts, c), optarg);
            if (c == 'n' && (v < 1 || v > 100000))
                return cli_usage_error(usage, "modelcheck: --steps wants a count in 1..100000, not '%s'", optarg);
            if ((c == 's' || c == 'B') && v < 1)
                return cli_usage_error(usage, "modelcheck: --%s wants a count of at least 1, not '%s'",
                                       cli_option_name(opts, c), optarg);
            if (c == 'b') B = (int)v;
            else if (c == 's') S = (int)v, seq_given = 1;
            else if (c == 'n') steps = (int)v, steps_given = 1;
            else if (c == 'r') seed = v;
            else if (c == 'B') bench = (int)v;
            else threads = (int)v;
            break;
        case 'g': gen = 1; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "modelcheck", opts, argv, optind);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "modelcheck: unexpected argument '%s'", argv[optind]);
    if (!cfg_path || (!out && !bench))
        return cli_usage_error(usage, "modelcheck: --model and --out are required");
    if (gen && !bench) return cli_usage_error(usage, "modelcheck: --gen is for --bench (it times generation there)");
    if (bench) { /* it runs at the config's sequence length and writes nothing: these were ignored */
        const char *no = seq_given ? "seq" : steps_given ? "steps" : weights ? "weights" : out ? "out" : NULL;
        if (no)
            return cli_usage_error(usage, "modelcheck: --%s is not for --bench (it times --bench N steps at the "
                                          "config's sequence length, from the seed's weights, and prints JSON)", no);
    }
    if (cli_check_out_dirs("modelcheck", out, NULL)) return 1;

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
        /* through the JSON reader, so that the combination is validated too */
        cJSON *mj = model_config_to_json(&mc);
        cJSON_ReplaceItemInObject(mj, "mixer", cJSON_CreateString(mixer));
        int mrc = model_config_from_json(mj, &mc, cfg_path, &e);
        cJSON_Delete(mj);
        if (mrc < 0) {
            fprintf(stderr, "blalm modelcheck: --mixer %s: %s\n", mixer, e.msg);
            return 1;
        }
    }
    if (bench) return run_bench(&mc, bench, seed, B, gen);
    if (!B) B = 2;
    if (!S) S = mc.context < 16 ? mc.context : 16;
    if (S > mc.context)
        return cli_usage_error(usage, "modelcheck: --seq %d exceeds the context (%d) of %s", S, mc.context, cfg_path);
    int rc = 1;
    char path[4096];
    model *m = NULL;
    int32_t *toks = NULL, *in = NULL, *tg = NULL;
    cJSON *j = cJSON_CreateObject();
    if (mkdir_p(out, &e) < 0) goto fail;
    m = model_create(&mc, &e);
    if (!m) goto fail;
    model_init_weights(m, seed);
    if (weights && model_load_safetensors(m, weights, &e) < 0) goto fail;
    /* batches: steps x B x (S + 1) tokens from a fixed generator */
    size_t nt = (size_t)steps * B * (S + 1) + (size_t)B * (S + 1);
    toks = malloc(nt * 4), in = malloc((size_t)B * S * 4), tg = malloc((size_t)B * S * 4);
    if (!toks || !in || !tg) {
        err_set(&e, "out of memory for %zu batch tokens", nt);
        goto fail;
    }
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
    char *cs = json_print(cj, 1);
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
    if (run_steps(&mc, OPT_ADAMW, seed, weights, steps, B, S, toks, j, out, &e) < 0 ||
        run_steps(&mc, OPT_MUON, seed, weights, steps, B, S, toks, j, out, &e) < 0)
        goto fail;
    char *js = json_print(j, 1);
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
