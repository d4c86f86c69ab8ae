/* cmd_ablate.c - `blalm ablate`: variants x optimizers x seeds on one corpus
 * (trainer/ablate.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cli.h"
#include "pipeline/env.h"
#include "trainer/ablate.h"

BLALM_COMMAND(ablate, "train and evaluate variants x optimizers x seeds; the paper's tables")

/* the last seed --seeds may name (N or LAST): a run per seed, variant and optimizer */
#define ABLATE_MAX_SEED 1000000

#ifndef BLALM_CONFIGS_DEFAULT
#define BLALM_CONFIGS_DEFAULT "configs"
#endif
#ifndef BLALM_CONFIGS_INSTALLED
#define BLALM_CONFIGS_INSTALLED ""
#endif

/* The help text; the %s are the variant registry (ablate_variant_list),
 * wrapped, and the two folders of --model-size NAME. */
static const char usage_fmt[] =
    "usage: blalm ablate --corpus DIR --variants LIST --optimizers adamw,muon --seeds N\n"
    "                    --tokens N --out DIR [--model-size NAME] [--eval-tasks LIST]\n"
    "                    [--eval-data DIR] [--eval-full] [--threads N]\n"
    "\n"
    "Trains every variant x optimizer x seed on the same corpus, token budget and\n"
    "data order, each in OUT/runs/<variant>-<optimizer>-s<seed>/ (a run finished\n"
    "with the same settings, recorded in its ablate.json, is skipped; one finished\n"
    "with other evaluation settings is re-evaluated, with other training settings\n"
    "(tokens, config content, corpus, tokenizer) trained again, each with a note;\n"
    "an interrupted one is resumed; SIGTERM or SIGINT during a run's steps saves\n"
    "its checkpoint after the current step and exits 128 + the signal), evaluates\n"
    "each (dev perplexity per token and per word; the zero-shot tasks of\n"
    "`blalm eval`, fast subsets by default) and\n"
    "writes OUT/ablation.csv (one row per run), OUT/ablation.md (mean +- sd over\n"
    "seeds: mechanism x PPL x zero-shot average, AdamW versus Muon, per task),\n"
    "OUT/dev_loss.svg and OUT/alpha.svg (DynMod alpha per layer, when logged).\n"
    "\n"
    "options:\n"
    "  --corpus DIR         BabyLM layout with a dev split\n"
    "  --variants LIST      variant names, or several joined by '+', each model once;\n"
    "                       this build has:\n"
    "%s\n"
    "  --optimizers LIST    adamw, muon (each once)\n"
    "  --seeds N            seeds 1..N (added to the config's train.seed); FIRST-LAST:\n"
    "                       only those (ablations of other seeds may run beside it);\n"
    "                       N and LAST at most 1000000\n"
    "  --tokens N           training tokens per run (k/M/G suffixes)\n"
    "  --out DIR            ablation folder\n"
    "  --model-size NAME    model-NAME.json from the source tree blalm was built from,\n"
    "                       %s/,\n"
    "                       else from `make install`'s %s/\n"
    "                       (from any folder); a config path is taken as given,\n"
    "                       relative to this folder (default small)\n"
    "  --eval-tasks LIST    zero-shot tasks (default: the fast suite's tasks with data)\n"
    "  --eval-data DIR      evaluation data, a readable folder (default $BLALM_EVAL_DATA;\n"
    "                       none or empty: no zero-shot)\n"
    "  --eval-full          full instead of fast subsets\n"
    "  --threads N          training and evaluation threads (default 1, at most 4096)\n"
    "  -q, --quiet          no per-run lines\n"
    "  -h, --help           this help\n";

/* The first item of a comma list that appears twice (into item), else 0:
 * `--variants mlstm,mlstm` would give two rows of one run and a seed spread
 * of 0.00 that is not one. */
static int repeated(const char *list, char *item, size_t cap)
{
    for (const char *a = list; *a;) {
        size_t la = strcspn(a, ",");
        for (const char *b = a + la; *b;) {
            b += *b == ',';
            size_t lb = strcspn(b, ",");
            if (la && la == lb && !strncmp(a, b, la)) {
                snprintf(item, cap, "%.*s", (int)la, a);
                return 1;
            }
            b += lb;
        }
        a += la;
        a += *a == ',';
    }
    return 0;
}

/* --model-size NAME: model-NAME.json of the source tree this binary was
 * built from, else of `make install`'s share folder, wherever blalm runs
 * (as the CMUdict default, pipeline/env.c); a path is taken as given. */
static int config_by_name(const char *name, char *out, size_t cap)
{
    const char *dirs[] = {BLALM_CONFIGS_DEFAULT, BLALM_CONFIGS_INSTALLED};
    for (int i = 0; i < 2; i++) {
        if (!dirs[i][0]) continue;
        snprintf(out, cap, "%s/model-%s.json", dirs[i], name);
        if (access(out, R_OK) == 0) return 0;
    }
    return -1;
}

static void on_run(void *arg, int i, int n, const char *name, int skipped)
{
    (void)arg;
    fprintf(stderr, "blalm ablate: [%d/%d] %s%s\n", i, n, name,
            skipped == 1 ? " (finished before with these settings: skipped)" : skipped == 2 ? " (re-evaluated)" : "");
}

static void on_note(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "blalm ablate: note: %s\n", msg);
}

/* usage_fmt with the registered variants, indented and wrapped at 80 columns. */
static const char *usage_text(void)
{
    static char text[4096];
    char names[1024], list[2048];
    size_t n = 0, col = 0;
    ablate_variant_list(names, sizeof names);
    for (char *save = NULL, *t = strtok_r(names, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        size_t l = strlen(t);
        if (n + l + 100 > sizeof list) break; /* cannot happen with names this short */
        if (col && col + 1 + l > 78) n += (size_t)snprintf(list + n, sizeof list - n, "\n"), col = 0;
        if (!col) n += (size_t)snprintf(list + n, sizeof list - n, "%23s", ""), col = 23;
        else n += (size_t)snprintf(list + n, sizeof list - n, " "), col++;
        n += (size_t)snprintf(list + n, sizeof list - n, "%s", t), col += l;
        if (n >= sizeof list) break;
    }
    snprintf(text, sizeof text, usage_fmt, list, BLALM_CONFIGS_DEFAULT,
             *BLALM_CONFIGS_INSTALLED ? BLALM_CONFIGS_INSTALLED : "(none)");
    return text;
}

int cmd_ablate(int argc, char **argv)
{
    const char *usage = usage_text();
    static const struct option opts[] = {
        {"corpus", required_argument, 0, 'c'},     {"variants", required_argument, 0, 'v'},
        {"optimizers", required_argument, 0, 'o'}, {"seeds", required_argument, 0, 's'},
        {"tokens", required_argument, 0, 't'},     {"out", required_argument, 0, 'O'},
        {"model-size", required_argument, 0, 'm'}, {"eval-tasks", required_argument, 0, 'T'},
        {"eval-data", required_argument, 0, 'd'},  {"eval-full", no_argument, 0, 'F'},
        {"threads", required_argument, 0, 'j'},    {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0},
    };
    ablate_opts o = {0};
    const char *size = "small";
    int quiet = 0, c;
    unsigned long long v;
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 'c': o.corpus = optarg; break;
        case 'v': o.variants = optarg; break;
        case 'o': o.optimizers = optarg; break;
        case 'O':
            /* "--out -q" took the option as the folder: an ablation in "-q", not quiet */
            if (!*optarg || (*optarg == '-' && optarg == argv[optind - 1]))   /* "--out=-x" is meant */
                return cli_usage_error(usage, "ablate: --out wants a folder, not '%s'%s", optarg,
                                       *optarg ? " (an option? a folder whose name starts with '-': ./-name or --out=-name)" : "");
            o.out = optarg;
            break;
        case 'm': size = optarg; break;
        case 'T': o.eval_tasks = optarg; break;
        case 'd': o.eval_data = optarg; break;
        case 'F': o.eval_full = 1; break;
        case 'q': quiet = 1; break;
        case 's':
            if (strchr(optarg, '-')) { /* FIRST-LAST */
                unsigned long long a, b;
                char *dash = strchr(optarg, '-'), first[32];
                snprintf(first, sizeof first, "%.*s", (int)(dash - optarg), optarg);
                if (cli_parse_count(first, &a) < 0 || cli_parse_count(dash + 1, &b) < 0 || a < 1 || b < a ||
                    b > ABLATE_MAX_SEED)
                    return cli_usage_error(usage, "ablate: --seeds expects N or FIRST-LAST (1 <= FIRST <= LAST <= %d), "
                                           "got '%s'", ABLATE_MAX_SEED, optarg);
                o.seed_first = (int)a, o.seeds = (int)b;
                break;
            }
            /* fall through */
        case 't': case 'j': {
            /* each says its range, as the other commands do (0 and junk
             * said "expects a positive number") */
            int pr = cli_parse_count(optarg, &v), bad = pr < 0 || v < 1;
            if (c == 'j' && (bad || v > 4096)) /* as train and eval */
                return cli_usage_error(usage, "ablate: --threads wants a count in 1..4096, not '%s'", optarg);
            if (c == 't' && pr == -2)
                return cli_usage_error(usage, "ablate: --tokens '%s' is too large (a count up to 2^64 - 1)", optarg);
            if (c == 't' && bad)
                return cli_usage_error(usage, "ablate: --tokens wants a count >= 1 (k/M/G suffixes), not '%s'", optarg);
            if (c == 's' && (bad || v > ABLATE_MAX_SEED)) /* as FIRST-LAST (it was cast to int: 4294967297 ran seed 1 alone) */
                return cli_usage_error(usage, "ablate: --seeds expects N or FIRST-LAST (1 <= FIRST <= LAST <= %d), "
                                       "got '%s'", ABLATE_MAX_SEED, optarg);
            if (c == 's') o.seeds = (int)v;
            else if (c == 't') o.tokens = v;
            else o.threads = (int)v;
            break;
        }
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "ablate", opts, argv, optind);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "ablate: unexpected argument '%s'", argv[optind]);
    if (!o.corpus || !o.variants || !o.optimizers || !o.seeds || !o.tokens || !o.out)
        return cli_usage_error(usage, "ablate: --corpus, --variants, --optimizers, --seeds, --tokens and --out are required");
    char dup[256];
    if (repeated(o.variants, dup, sizeof dup))
        return cli_usage_error(usage, "ablate: --variants names '%s' twice", dup);
    if (repeated(o.optimizers, dup, sizeof dup))
        return cli_usage_error(usage, "ablate: --optimizers names '%s' twice", dup);
    if (cli_check_out_dirs("ablate", o.out, NULL)) return 1;
    char cfg[4096];
    if (strchr(size, '/') || strstr(size, ".json")) snprintf(cfg, sizeof cfg, "%s", size);
    else if (config_by_name(size, cfg, sizeof cfg) < 0) {
        fprintf(stderr, "blalm ablate: --model-size %s: no model-%s.json in %s%s%s (a config path also works)\n",
                size, size, BLALM_CONFIGS_DEFAULT, *BLALM_CONFIGS_INSTALLED ? " or " : "", BLALM_CONFIGS_INSTALLED);
        return 1;
    }
    o.model_cfg = cfg;
    const char *ev_from = "--eval-data";
    if (!o.eval_data && (o.eval_data = getenv("BLALM_EVAL_DATA"))) {
        ev_from = "$BLALM_EVAL_DATA";
        if (!*o.eval_data) o.eval_data = NULL; /* set but empty: none */
    }
    /* a folder that is not there would be trained for and then evaluated as
     * nothing (zero-shot "nan", no warning): refuse it before any training */
    struct stat st;
    const char *why = NULL;
    if (o.eval_data && stat(o.eval_data, &st) != 0) why = strerror(errno);
    else if (o.eval_data && !S_ISDIR(st.st_mode)) why = "not a folder";
    else if (o.eval_data && access(o.eval_data, R_OK | X_OK) != 0) why = strerror(errno);
    if (why) {
        fprintf(stderr, "blalm ablate: %s '%s': %s (the zero-shot evaluation data; without it, no zero-shot)\n",
                ev_from, o.eval_data, why);
        return 1;
    }
    if (!quiet) o.on_run = on_run;
    o.on_note = on_note; /* also with -q: numbers are being replaced */
    /* each copy of a job would work on the same runs: ablate trains them one
     * after another, not data-parallel (the runs' locks would stop all but one
     * copy, after each had read its inputs) */
    if (env_refuse_parallel("ablate", "run it once (or once per --seeds range, as the tasks of a Slurm "
                                      "array may), without mpirun or srun -n N") < 0)
        return 2;
    blalm_err e;
    ablate_summary s;
    int rc = ablate_run(&o, &s, &e);
    if (rc == ABLATE_USAGE) return cli_usage_error(usage, "ablate: %s", e.msg);
    if (rc == ABLATE_STOPPED) { /* SIGTERM (a Slurm time limit) or Ctrl-C during a run's steps */
        fprintf(stderr, "blalm ablate: %s\n", e.msg);
        return 128 + s.stopped_by;
    }
    if (rc < 0) {
        fprintf(stderr, "blalm ablate: %s\n", e.msg);
        return 1;
    }
    char reev[64] = "";
    if (s.reevaluated) snprintf(reev, sizeof reev, ", %d re-evaluated", s.reevaluated);
    if (!quiet)
        fprintf(stderr, "blalm ablate: %d runs (%d trained, %d skipped%s) -> %s/ablation.md, ablation.csv%s\n",
                s.runs, s.trained, s.skipped, reev, o.out, o.eval_data ? "" : " (no zero-shot: no --eval-data)");
    return 0;
}
