/* cmd_export.c - `blalm export`: a run's model as model.safetensors +
 * config.json + the tokenizer, for use from Python. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/config.h"
#include "lib/fsutil.h"
#include "trainer/tokenizer.h"
#include "trainer/train.h"

BLALM_COMMAND(export, "write a run's model as safetensors + config.json + tokenizer")

static const char usage[] =
    "usage: blalm export --run RUN --out DIR [--checkpoint NAME]\n"
    "\n"
    "Writes DIR/model.safetensors (F32, PyTorch (out, in) layout, names as in\n"
    "tests/oracle/trainer_twin.py), DIR/config.json, DIR/tokenizer.json and\n"
    "DIR/tokenizer_config.json from RUN's latest checkpoint (or checkpoints/NAME.bin).\n"
    "\n"
    "options:\n"
    "  --checkpoint NAME   RUN/checkpoints/NAME.bin instead of latest (NAME or\n"
    "                      NAME.bin, e.g. chck_10M; a name, not a path)\n"
    "  -q, --quiet         no summary line\n"
    "  -h, --help          this help\n";

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"run", required_argument, 0, 'r'}, {"out", required_argument, 0, 'o'},
        {"checkpoint", required_argument, 0, 'c'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    const char *run = NULL, *out = NULL, *ckpt = NULL;
    int quiet = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 'r': run = optarg; break;
        case 'o': out = optarg; break;
        case 'c': ckpt = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "export", opts, argv, optind);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "export: unexpected argument '%s'", argv[optind]);
    if (!run || !out) return cli_usage_error(usage, "export: --run and --out are required");
    if (cli_check_out_dirs("export", out, NULL)) return 1;
    blalm_err e;
    char p[4096];
    if (ckpt && run_checkpoint_name(ckpt, p, sizeof p, &e) < 0) return cli_usage_error(usage, "export: %s", e.msg);
    char rr[PATH_MAX], ro[PATH_MAX];
    if (realpath(run, rr) && realpath(out, ro) && !strcmp(rr, ro)) {
        /* the export's config.json and tokenizer.json would replace the run's */
        fprintf(stderr, "blalm export: --out %s is the run folder %s: give another folder\n", out, run);
        return 1;
    }
    if ((size_t)snprintf(p, sizeof p, "%s/checkpoints", out) >= sizeof p) {
        fprintf(stderr, "blalm export: --out %.80s...: path too long\n", out);
        return 1;
    }
    if (is_dir(p)) { /* another run's config.json and tokenizer.json would be replaced */
        fprintf(stderr, "blalm export: --out %s is a run folder (it holds checkpoints/): give another folder\n", out);
        return 1;
    }
    /* pos: a run of --test-words-scale stays marked not BabyLM-compliant;
     * from the read the weights come from (the file was read again for it) */
    ckpt_pos pos;
    model *m = run_load_model_pos(run, ckpt, &pos, &e);
    bpe_tokenizer *tok = NULL;
    int rc = 1;
    if (!m) goto fail;
    if ((size_t)snprintf(p, sizeof p, "%s/tokenizer.json", run) >= sizeof p) {
        err_set(&e, "--run %.80s...: path too long", run);
        goto fail;
    }
    tok = bpe_load(p, &e);
    if (!tok) goto fail;
    if ((int)bpe_vocab_size(tok) != model_cfg(m)->vocab_size) {
        err_set(&e, "%s: vocabulary %u, the model has %d", p, bpe_vocab_size(tok), model_cfg(m)->vocab_size);
        goto fail;
    }
    /* The four files are written under temporary names first and renamed
     * only when all four are complete, model.safetensors last: a failure
     * leaves neither a half export nor new weights beside an older
     * tokenizer (a killed export's temporaries go at the next one). */
    static const char *const names[] = {"tokenizer_config.json", "tokenizer.json", "config.json",
                                        "model.safetensors"};
    file_set fs;
    if (file_set_begin(&fs, out, names, 4, &e) < 0) goto fail;
    cJSON *cj = model_config_to_json(model_cfg(m));
    cJSON_AddStringToObject(cj, "format", "blalm");
    if (pos.words_scale != 1.0) {
        cJSON_AddNumberToObject(cj, "test_words_scale", pos.words_scale);
        cJSON_AddFalseToObject(cj, "babylm_compliant");
    }
    char *cs = json_print(cj, 1);
    cJSON_Delete(cj);
    size_t tcn, tjn, stn = 0;
    char *tc = bpe_config_json(tok, &tcn), *tj = bpe_to_json(tok, &tjn);
    unsigned char *st = model_safetensors_bytes(m, fs.fin[3], &stn, &e);
    int ok = st && file_set_write(&fs, 0, tc, tcn, &e) == 0 && file_set_write(&fs, 1, tj, tjn, &e) == 0 &&
             file_set_write(&fs, 2, cs, strlen(cs), &e) == 0 && file_set_write(&fs, 3, st, stn, &e) == 0;
    free(cs);
    free(tc);
    free(tj);
    free(st);
    if (file_set_end(&fs, ok, &e) < 0) goto fail;
    if (!quiet)
        fprintf(stderr, "blalm export: %zu parameters, vocabulary %d -> %s\n", model_num_params(m),
                model_cfg(m)->vocab_size, out);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "blalm export: %s\n", e.msg);
done:
    bpe_free(tok);
    model_free(m);
    return rc;
}
