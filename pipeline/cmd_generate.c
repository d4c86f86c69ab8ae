/* cmd_generate.c - `blalm generate`: sample text from a trained run, one
 * token at a time (recurrent form for mLSTM: constant cost per token). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/fsutil.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"
#include "trainer/sample.h"
#include "trainer/tokenizer.h"
#include "trainer/train.h"

BLALM_COMMAND(generate, "sample text from a trained model (temperature, top-k, top-p)")

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
    "  --max-new N           at most N tokens to generate; a sample stops earlier\n"
    "                        when it draws end-of-text (not printed) (default 100);\n"
    "                        bytes that are not UTF-8 print as U+FFFD\n"
    "  --temperature T       a finite decimal number >= 0; 0 = greedy (default 0.8)\n"
    "  --top-k K             sample among the K most likely, 0..100000000 (default 40;\n"
    "                        0 = all)\n"
    "  --top-p P             then among the fewest most likely whose probability\n"
    "                        reaches P (nucleus; default 1 = off)\n"
    "  --seed N              sampling seed, 0..2^64-1 (default 1); sample i gets seed\n"
    "                        N+i-1\n"
    "  --samples N           N continuations of the prompt, in order, each after a\n"
    "                        line '=== sample I (seed S) ===' when N > 1 (default 1)\n"
    "  --threads T           samples generated at once (default 1); the output is the\n"
    "                        same for any T\n"
    "  --checkpoint NAME     RUN/checkpoints/NAME.bin instead of latest (NAME or\n"
    "                        NAME.bin, e.g. chck_10M; a name, not a path)\n"
    "  --timing              print ms/token at positions 128 and 4096 as JSON (benchmark;\n"
    "                        the model's step alone, and sample_ms: the mean draw):\n"
    "                        one sample from the prompt (at most 111 tokens) to position\n"
    "                        4111, drawn with --temperature, --top-k, --top-p, --seed;\n"
    "                        not with --max-new or --samples\n"
    "  -q, --quiet           no summary line\n"
    "  -h, --help            this help\n";

/* --timing: ms per token around positions 128 and 4096 of one sample: the
 * 32 generated tokens at positions 112..143 and 4080..4111 (position 0 is
 * the end-of-text before the prompt). */
enum { TIMING_LAST = 4096 + 15, TIMING_PROMPT_MAX = 128 - 16 - 1 };
static int run_timing(model *m, const bpe_tokenizer *tok, const uint32_t *ids, size_t nids, const sample_opts *so,
                      uint64_t seed, int max_new)
{
    int V = model_cfg(m)->vocab_size;
    gen_state *g = gen_create(m, (int)nids + 1 + max_new);
    float *logits = malloc((size_t)V * sizeof *logits);
    sampler smp;
    blalm_err e;
    if (!g || !logits || sampler_init(&smp, V, so, seed, &e) < 0) {
        fprintf(stderr, "blalm generate: out of memory\n");
        free(logits);
        gen_free(g);
        return 1;
    }
    double t128 = 0, t4096 = 0, tsample = 0;
    gen_step(m, g, (int32_t)bpe_eot_id(tok), logits);
    for (size_t i = 0; i < nids; i++) gen_step(m, g, (int32_t)ids[i], logits);
    for (int i = 0; i < max_new; i++) {
        double ts = now_seconds();
        int next = sampler_next(&smp, logits), pos = (int)nids + 1 + i;
        double t0 = now_seconds();
        tsample += t0 - ts;
        gen_step(m, g, next, logits);
        double dt = now_seconds() - t0;
        if (pos >= 128 - 16 && pos < 128 + 16) t128 += dt / 32;
        if (pos >= 4096 - 16 && pos < 4096 + 16) t4096 += dt / 32;
    }
    /* the model's steps and, apart, the draws (sampler_next) of all max_new tokens */
    printf("{\"mixer\":\"%s\",\"ms_per_token_at_128\":%.4f,\"ms_per_token_at_4096\":%.4f,\"ratio\":%.3f,"
           "\"sample_ms\":%.4f}\n",
           model_cfg(m)->mixer == MIXER_MLSTM ? "mlstm" : "attention", t128 * 1e3, t4096 * 1e3, t4096 / t128,
           max_new > 0 ? tsample / max_new * 1e3 : 0.0);
    sampler_free(&smp);
    free(logits);
    gen_free(g);
    return 0;
}

/* The samples, in order: the prompt and its continuation each, with a
 * header line before each when there are several. */
static int run_samples(model *m, const bpe_tokenizer *tok, const char *prompt, const uint32_t *ids, size_t nids,
                       const sample_opts *so, uint64_t seed, int max_new, int samples, int threads, int quiet,
                       const char *run)
{
    generate_opts go = {*so, max_new, (int32_t)bpe_eot_id(tok), seed, samples, threads};
    int32_t *p = malloc((nids + 1) * sizeof *p);
    uint32_t **out = calloc((size_t)samples, sizeof *out);
    int *out_n = calloc((size_t)samples, sizeof *out_n);
    blalm_err e;
    int rc = 1;
    if (!p || !out || !out_n) {
        fprintf(stderr, "blalm generate: out of memory\n");
        goto done;
    }
    for (size_t i = 0; i < nids; i++) p[i] = (int32_t)ids[i];
    if (generate_samples(m, p, nids, &go, out, out_n, &e) < 0) {
        fprintf(stderr, "blalm generate: %s\n", e.msg);
        goto done;
    }
    long tokens = 0;
    for (int i = 0; i < samples; i++) {
        sbuf s;
        sb_init(&s);
        sb_adds(&s, prompt);
        if (bpe_decode(tok, out[i], (size_t)out_n[i], 1, &s, &e) < 0) {
            sb_free(&s);
            fprintf(stderr, "blalm generate: %s\n", e.msg);
            goto done;
        }
        /* byte-level tokens can end a sample inside a character or draw bytes
         * that are no UTF-8 at all: the text is printed as the Hugging Face
         * tokenizer's decode gives it (from_utf8_lossy: one U+FFFD for each
         * maximal invalid subpart), the prompt and continuation as one, so a
         * character split between them stays whole */
        char *txt = malloc(3 * s.len + 1);
        size_t tlen = 0;
        if (!txt) {
            sb_free(&s);
            fprintf(stderr, "blalm generate: out of memory\n");
            goto done;
        }
        utf8_sanitize(s.data ? s.data : "", s.len, txt, &tlen);
        if (samples > 1) printf("=== sample %d (seed %llu) ===\n", i + 1, (unsigned long long)(seed + (uint64_t)i));
        fwrite(txt, 1, tlen, stdout);
        fputc('\n', stdout);
        free(txt);
        sb_free(&s);
        tokens += out_n[i];
    }
    int fl = fflush(stdout), err = errno;
    if (fl != 0 || ferror(stdout)) { /* README's words, as every command says it (pipeline/main.c) */
        fprintf(stderr, "blalm generate: write error on stdout%s%s\n", fl ? ": " : "", fl ? strerror(err) : "");
        goto done;
    }
    if (!quiet) {
        if (samples > 1) fprintf(stderr, "blalm generate: %d samples, %ld tokens from %s\n", samples, tokens, run);
        else fprintf(stderr, "blalm generate: %ld tokens from %s\n", tokens, run);
    }
    rc = 0;
done:
    for (int i = 0; out && i < samples; i++) free(out[i]);
    free(out), free(out_n), free(p);
    return rc;
}

int cmd_generate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"run", required_argument, 0, 'r'},      {"prompt", required_argument, 0, 'p'},
        {"max-new", required_argument, 0, 'n'},  {"temperature", required_argument, 0, 'T'},
        {"top-k", required_argument, 0, 'k'},    {"top-p", required_argument, 0, 'P'},
        {"seed", required_argument, 0, 's'},
        {"checkpoint", required_argument, 0, 'c'}, {"timing", no_argument, 0, 't'},
        {"samples", required_argument, 0, 'N'},  {"threads", required_argument, 0, 'j'},
        {"quiet", no_argument, 0, 'q'},          {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *run = NULL, *prompt = "", *ckpt = NULL;
    int max_new = 100, max_new_set = 0, topk = 40, timing = 0, quiet = 0, samples = 1, threads = 1, c;
    double temp = 0.8, top_p = 1;
    unsigned long long v, seed = 1;
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 'r': run = optarg; break;
        case 'p': prompt = optarg; break;
        case 'c': ckpt = optarg; break;
        case 't': timing = 1; break;
        case 'T': {
            if (cli_parse_real(optarg, &temp) < 0 || temp < 0)   /* not "", nan, inf, hex, " 1" */
                return cli_usage_error(usage, "generate: --temperature wants a finite number >= 0 "
                                              "(0 = greedy), not '%s'", optarg);
            break;
        }
        case 'P': {
            if (cli_parse_real(optarg, &top_p) < 0 || !(top_p > 0 && top_p <= 1))
                return cli_usage_error(usage, "generate: --top-p wants a number in (0, 1], not '%s'", optarg);
            break;
        }
        case 'N': case 'j':
            if (cli_parse_count(optarg, &v) < 0 || v < 1 || v > 4096)
                return cli_usage_error(usage, "generate: --%s wants a count in 1..4096, not '%s'",
                                       c == 'N' ? "samples" : "threads", optarg);
            if (c == 'N') samples = (int)v;
            else threads = (int)v;
            break;
        case 'n': case 'k':
            if (cli_parse_count(optarg, &v) < 0 || v > 100000000ull)
                return cli_usage_error(usage, "generate: --%s wants a count in 0..100000000, not '%s'",
                                       cli_option_name(opts, c), optarg);
            if (c == 'n') max_new = (int)v, max_new_set = 1;
            else topk = (int)v;
            break;
        case 's':   /* any 64-bit seed: sample i gets seed + i - 1 (mod 2^64) */
            if (cli_parse_count(optarg, &v) < 0)
                return cli_usage_error(usage, "generate: --seed wants an integer in 0..18446744073709551615, "
                                              "not '%s'", optarg);
            seed = v;
            break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "generate", opts, argv, optind);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "generate: unexpected argument '%s'", argv[optind]);
    if (!run) return cli_usage_error(usage, "generate: --run is required");
    if (timing && samples > 1) return cli_usage_error(usage, "generate: --timing times one sample, not --samples");
    /* --timing generates to position 4111 itself: it raised a smaller
     * --max-new silently, and 4100 timed 21 of the 32 tokens around 4096 */
    if (timing && max_new_set)
        return cli_usage_error(usage, "generate: --timing generates the tokens up to position %d itself; "
                                      "--max-new does not apply", TIMING_LAST);
    model_set_threads(1);
    blalm_err e;
    char p[4096];
    if (ckpt && run_checkpoint_name(ckpt, p, sizeof p, &e) < 0) return cli_usage_error(usage, "generate: %s", e.msg);
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
    sample_opts so = {temp, topk, top_p};
    if (timing && nids > TIMING_PROMPT_MAX) {   /* position 128's tokens would be the prompt's, not timed */
        rc = cli_usage_error(usage, "generate: --timing: the prompt is %zu tokens; at most %d leave the "
                                    "tokens around position 128 to the timed sample", nids, TIMING_PROMPT_MAX);
        bpe_encoder_free(enc);
        goto out_early;
    }
    if (timing) max_new = TIMING_LAST - (int)nids;
    rc = timing ? run_timing(m, tok, ids, nids, &so, seed, max_new)
                : run_samples(m, tok, prompt, ids, nids, &so, seed, max_new, samples, threads, quiet, run);
    bpe_encoder_free(enc);
out_early:
    model_free(m);
    bpe_free(tok);
    return rc;
}
