/* cmd_generate.c - `blalm generate`: sample text from a trained run, one
 * token at a time (recurrent form for mLSTM: constant cost per token). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/fsutil.h"
#include "lib/sbuf.h"
#include "trainer/tokenizer.h"
#include "trainer/train.h"

BLALM_COMMAND(generate, "sample text from a trained model (temperature, top-k)")

static const char usage[] =
    "usage: blalm generate --run RUN [--prompt TEXT] [options]\n"
    "\n"
    "Samples a continuation of TEXT from RUN's latest checkpoint (or --checkpoint\n"
    "NAME, e.g. chck_10M). mLSTM models generate with the recurrent form, so each\n"
    "token costs the same at any position; ShortConv keeps a (kernel-1)-step buffer\n"
    "and the SWA branch a KV cache of its window.\n"
    "\n"
    "options:\n"
    "  --prompt TEXT         text to continue (default: empty, starts after end-of-text)\n"
    "  --max-new N           tokens to generate (default 100)\n"
    "  --temperature T       0 = greedy (default 0.8)\n"
    "  --top-k K             sample among the K most likely (default 40; 0 = all)\n"
    "  --seed N              sampling seed (default 1)\n"
    "  --checkpoint NAME     checkpoints/NAME.bin instead of latest\n"
    "  --timing              print ms/token at positions 128 and 4096 as JSON (benchmark)\n"
    "  -q, --quiet           no summary line\n"
    "  -h, --help            this help\n";

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

static int sample(const float *logits, int V, double temp, int topk, uint64_t *rs, int *idx, float *pr)
{
    int best = 0;
    for (int v = 1; v < V; v++) if (logits[v] > logits[best]) best = v;
    if (temp <= 0) return best;
    int n = V;
    for (int v = 0; v < V; v++) idx[v] = v;
    if (topk > 0 && topk < V) { /* partial selection of the top k */
        for (int a = 0; a < topk; a++) {
            int m = a;
            for (int b = a + 1; b < V; b++) if (logits[idx[b]] > logits[idx[m]]) m = b;
            int t = idx[a]; idx[a] = idx[m]; idx[m] = t;
        }
        n = topk;
    }
    double sum = 0, mx = logits[best];
    for (int a = 0; a < n; a++) sum += (pr[a] = (float)exp((logits[idx[a]] - mx) / temp));
    double u = (double)(next_rand(rs) >> 11) / 9007199254740992.0 * sum;
    for (int a = 0; a < n; a++) {
        u -= pr[a];
        if (u <= 0) return idx[a];
    }
    return idx[n - 1];
}

int cmd_generate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"run", required_argument, 0, 'r'},      {"prompt", required_argument, 0, 'p'},
        {"max-new", required_argument, 0, 'n'},  {"temperature", required_argument, 0, 'T'},
        {"top-k", required_argument, 0, 'k'},    {"seed", required_argument, 0, 's'},
        {"checkpoint", required_argument, 0, 'c'}, {"timing", no_argument, 0, 't'},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *run = NULL, *prompt = "", *ckpt = NULL;
    int max_new = 100, topk = 40, timing = 0, quiet = 0, c;
    double temp = 0.8;
    unsigned long long v, seed = 1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'r': run = optarg; break;
        case 'p': prompt = optarg; break;
        case 'c': ckpt = optarg; break;
        case 't': timing = 1; break;
        case 'T': {
            char *end;
            temp = strtod(optarg, &end);
            if (*end || temp < 0) return cli_usage_error(usage, "generate: bad temperature '%s'", optarg);
            break;
        }
        case 'n': case 'k': case 's':
            if (cli_parse_count(optarg, &v) < 0 || v > 100000000ull)
                return cli_usage_error(usage, "generate: bad number '%s'", optarg);
            if (c == 'n') max_new = (int)v;
            else if (c == 'k') topk = (int)v;
            else seed = v;
            break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "generate", opts, argv, optind);
        }
    }
    if (!run) return cli_usage_error(usage, "generate: --run is required");
    if (timing && max_new < 4100) max_new = 4100;
    model_set_threads(1);
    blalm_err e;
    char p[4096];
    snprintf(p, sizeof p, "%s/tokenizer.json", run);
    bpe_tokenizer *tok = bpe_load(p, &e);
    if (!tok) {
        fprintf(stderr, "blalm generate: %s\n", e.msg);
        return 1;
    }
    model *m = run_load_model(run, ckpt, &e);
    if (!m) {
        fprintf(stderr, "blalm generate: %s\n", e.msg);
        bpe_free(tok);
        return 1;
    }
    int V = model_cfg(m)->vocab_size, rc = 1;
    if ((int)bpe_vocab_size(tok) != V) {
        fprintf(stderr, "blalm generate: %s: vocabulary %u, the model has %d\n", p, bpe_vocab_size(tok), V);
        goto out_early;
    }
    bpe_encoder *enc = bpe_encoder_new(tok, &e);
    size_t nids = 0;
    const uint32_t *ids = enc ? bpe_encode(enc, prompt, strlen(prompt), 0, &nids, &e) : NULL;
    if (!ids) {
        fprintf(stderr, "blalm generate: %s\n", e.msg);
        bpe_encoder_free(enc);
        goto out_early;
    }
    int total = (int)nids + 1 + max_new;
    gen_state *g = gen_create(m, total);
    float *logits = malloc((size_t)V * sizeof *logits), *pr = malloc((size_t)V * sizeof *pr);
    int *idx = malloc((size_t)V * sizeof *idx);
    uint32_t *out = malloc(((size_t)max_new + 1) * sizeof *out);
    uint64_t rs = seed * 0x9E3779B97F4A7C15ull + 1;
    double t128 = 0, t4096 = 0;
    int nout = 0;
    /* the document starts after an end-of-text token, as in training */
    int32_t cur = (int32_t)bpe_eot_id(tok);
    gen_step(m, g, cur, logits);
    for (size_t i = 0; i < nids; i++) gen_step(m, g, (int32_t)ids[i], logits);
    for (int i = 0; i < max_new; i++) {
        int next = sample(logits, V, temp, topk, &rs, idx, pr);
        if (!timing && next == (int)bpe_eot_id(tok)) break;
        out[nout++] = (uint32_t)next;
        int pos = (int)nids + 1 + i;
        double t0 = now_seconds();
        gen_step(m, g, next, logits);
        double dt = now_seconds() - t0;
        if (pos >= 128 - 16 && pos < 128 + 16) t128 += dt / 32;
        if (pos >= 4096 - 16 && pos < 4096 + 16) t4096 += dt / 32;
    }
    if (timing) {
        printf("{\"mixer\":\"%s\",\"ms_per_token_at_128\":%.4f,\"ms_per_token_at_4096\":%.4f,\"ratio\":%.3f}\n",
               model_cfg(m)->mixer == MIXER_MLSTM ? "mlstm" : "attention", t128 * 1e3, t4096 * 1e3,
               t4096 / t128);
    } else {
        sbuf s;
        sb_init(&s);
        sb_adds(&s, prompt);
        if (bpe_decode(tok, out, (size_t)nout, 1, &s, &e) == 0) {
            fwrite(s.data, 1, s.len, stdout);
            fputc('\n', stdout);
        }
        sb_free(&s);
    }
    if (!quiet) fprintf(stderr, "blalm generate: %d tokens from %s\n", nout, run);
    rc = 0;
    free(logits), free(pr), free(idx), free(out);
    gen_free(g);
    bpe_encoder_free(enc);
out_early:
    model_free(m);
    bpe_free(tok);
    return rc;
}
