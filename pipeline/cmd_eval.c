/* cmd_eval.c - `blalm eval`: the BabyLM 2025 zero-shot suite over a run's
 * checkpoint (trainer/eval.h); prints a table or the JSON. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cli.h"
#include "lib/config.h"
#include "lib/fsutil.h"
#include "lib/progress.h"
#include "trainer/eval.h"
#include "trainer/train.h"

BLALM_COMMAND(eval, "BabyLM zero-shot evaluation (BLiMP, supplement, entity tracking, wug, reading, AoA)")

static const char usage[] =
    "usage: blalm eval --run RUN [--checkpoint NAME | --all-checkpoints] [--tasks LIST]\n"
    "                  [--data DIR] [--fast] [--threads N] [--json] [--score-first-token]\n"
    "       blalm eval --aoa-score SURPRISAL.json --data DIR [--json]\n"
    "\n"
    "Scores RUN's model on the BabyLM 2025 zero-shot tasks exactly as the official\n"
    "pipeline (babylm/evaluation-pipeline-2025) scores a causal model: sum of token\n"
    "log-probabilities over the tokens overlapping the completion, nothing prepended,\n"
    "first token not scored, ties correct, accuracy per UID averaged per task.\n"
    "Writes RUN/checkpoints/NAME.eval.json (NAME.eval_fast.json with --fast): per UID,\n"
    "per field, per task, the data files' sha256 and the overall average, which\n"
    "needs every task of the suite (else null, and the missing tasks are listed).\n"
    "With --tasks, the file's other tasks are kept when it was computed on the same\n"
    "checkpoint bytes, tokenizer, suite, scoring and data (else it is replaced,\n"
    "and eval says why).\n"
    "\n"
    "tasks (" EVAL_TASKS "):\n"
    "  blimp, supplement, entity_tracking, wug_adj, reading: in ../shared/data/babylm-eval;\n"
    "  ewok, wug_past, comps: when DIR holds the official folders (ewok_filtered/,\n"
    "  ewok_fast/, wug_past_tense/, comps/). Without --tasks, every task whose folder\n"
    "  is there (the fast suite leaves out comps).\n"
    "  aoa: age of acquisition, with --all-checkpoints, when DIR holds the official\n"
    "  aoa/cdi_childes.json and aoa/cdi_human.csv: each word's surprisal after\n"
    "  <|endoftext|> at every milestone checkpoint (RUN/aoa_surprisal.json), a sigmoid\n"
    "  per word, Pearson's r with the children's AoA (RUN/aoa.json).\n"
    "\n"
    "options:\n"
    "  --run RUN             run folder (blalm train --out)\n"
    "  --checkpoint NAME     RUN/checkpoints/NAME.bin (default: latest; NAME or\n"
    "                        NAME.bin, e.g. chck_10M; a name, not a path)\n"
    "  --all-checkpoints     every milestone checkpoint (chck_*M), fast suite; writes\n"
    "                        RUN/learning_curve.json\n"
    "  --tasks LIST          comma-separated task names (not empty)\n"
    "  --data DIR            evaluation data in the official layout\n"
    "                        (default: $BLALM_EVAL_DATA)\n"
    "  --fast                the fast subsets (blimp_fast, supplement_fast, ewok_fast,\n"
    "                        regular entity tracking)\n"
    "  --threads N           threads for the forward (default 1, at most 4096)\n"
    "  --batch-tokens N      tokens per forward (default 2048)\n"
    "  --out FILE            eval.json elsewhere (missing parent folders are created)\n"
    "  --predictions DIR     also the official pipeline's predictions.json files, for a\n"
    "                        submission: DIR/<task>/<dataset>/predictions.json, DIR being\n"
    "                        its results/MODEL/REVISION/zero_shot/causal (one checkpoint)\n"
    "  --json                print the JSON instead of the table\n"
    "  --score-first-token   NOT OFFICIAL: prefix <|endoftext|> so every word counts\n"
    "  --aoa-min-context N   AoA: words with at least N contexts (default 20, as the\n"
    "                        organisers' eval_aoa.sh); only where aoa runs\n"
    "  --aoa-score FILE      score an official AoA surprisal.json (any model's) against\n"
    "                        DIR's cdi_human.csv; prints the curve fitness\n"
    "  --full-logits         testing: the reference path (every row's logits from the\n"
    "                        model's own head) instead of only the scored rows'\n"
    "  --dump FILE           testing: every --dump-every-th item's token ids and scores\n"
    "  --dump-every N        (default 50)\n"
    "  -q, --quiet           no progress, no table\n"
    "  -h, --help            this help\n";

static void on_progress(void *arg, const char *task, uint64_t done, uint64_t total)
{
    progress **pp = arg;
    static char last[64];
    if (!*pp || strcmp(last, task)) {
        if (*pp) prog_end(*pp);
        snprintf(last, sizeof last, "%s", task);
        *pp = prog_start(last, total, PROG_COUNT, 0);
    }
    prog_update(*pp, done);
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* A score's mark: '*' computed on other data than the official (eval.json's
 * official_data false), '?' not checked (null), ' ' the official data. */
static char data_mark(const cJSON *o)
{
    const cJSON *v = cJSON_GetObjectItem(o, "official_data");
    return cJSON_IsFalse(v) ? '*' : cJSON_IsNull(v) ? '?' : ' ';
}

/* The tasks marked m and why (their data_check). */
static void print_data_notes(const cJSON *r, char m, const char *title)
{
    const cJSON *t, *s;
    int head = 0;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(r, "tasks")) {
        if (data_mark(t) != m) continue;
        if (!head++) printf("%c %s\n", m, title);
        printf("  %s:", t->string);
        int i = 0;
        cJSON_ArrayForEach(s, cJSON_GetObjectItem(t, "data_check")) printf("%s %s", i++ ? ";" : "", s->valuestring);
        printf("\n");
    }
}

static void print_table(const cJSON *r)
{
    printf("%-28s %10s %8s\n", "task", "score", "items");
    const cJSON *t, *s;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(r, "tasks")) {
        char m = data_mark(t);
        if (cJSON_GetObjectItem(t, "eye_tracking")) {
            printf("%-28s %10.2f%c %7.0f\n", "reading (eye tracking)", num(t, "eye_tracking"), m, num(t, "items"));
            printf("%-28s %10.2f%c %7.0f\n", "reading (self-paced)", num(t, "self_paced_reading"), m, num(t, "items"));
            continue;
        }
        char nm[64];
        snprintf(nm, sizeof nm, "%s%s", t->string,
                 !strcmp(cJSON_GetObjectItem(t, "metric")->valuestring, "accuracy") ? "" : " (rho x100)");
        printf("%-28s %10.2f%c %7.0f\n", nm, num(t, "score"), m, num(t, "items"));
    }
    if (cJSON_IsNumber(cJSON_GetObjectItem(r, "overall"))) {
        printf("%-28s %10.2f%c\n", "overall", num(r, "overall"), data_mark(r));
    } else { /* the BabyLM average needs every task of the suite */
        printf("%-28s %10s  missing:", "overall", "n/a");
        cJSON_ArrayForEach(s, cJSON_GetObjectItem(r, "overall_missing")) printf(" %s", s->valuestring);
        printf("\n");
    }
    print_data_notes(r, '*', "not the official data (not a BabyLM score):");
    print_data_notes(r, '?', "not checked against the official data:");
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(r, "skipped"))
        printf("skipped %s: %s\n", s->string, s->valuestring);
    if (cJSON_IsTrue(cJSON_GetObjectItem(r, "score_first_token")))
        printf("scoring: %s\n", cJSON_GetObjectItem(r, "scoring")->valuestring);
}

static void print_aoa(const cJSON *a)
{
    printf("%-28s %10.4f %8.0f\n", "aoa (curve fitness r)", num(a, "curve_fitness"), num(a, "n_words"));
    if (cJSON_GetObjectItem(a, "p_value")) printf("%-28s %10.4g\n", "aoa p-value", num(a, "p_value"));
}

/* What a --tasks run did to the results file already there (its
 * "previous": merge_previous): replaced is said even with -q, since results
 * were dropped; kept is said unless quiet. ck names the checkpoint under
 * --all-checkpoints (NULL otherwise). */
static void say_previous(const cJSON *prev, const char *ck, int quiet)
{
    const cJSON *k;
    if (cJSON_GetObjectItem(prev, "replaced"))
        fprintf(stderr, "blalm eval: %s%sreplaced %s, whose other tasks were not kept: %s\n", ck ? ck : "",
                ck ? ": " : "", cJSON_GetObjectItem(prev, "file")->valuestring,
                cJSON_GetObjectItem(prev, "replaced")->valuestring);
    else if (cJSON_GetArraySize(cJSON_GetObjectItem(prev, "kept")) && !quiet) {
        fprintf(stderr, "blalm eval: %s%skept from the results already there (same checkpoint, tokenizer, data):",
                ck ? ck : "", ck ? ": " : "");
        cJSON_ArrayForEach(k, cJSON_GetObjectItem(prev, "kept")) fprintf(stderr, " %s", k->valuestring);
        fprintf(stderr, "\n");
    }
}

/* Makes folder dir (and its missing parents) before the scoring, so that
 * a path that cannot be written is refused before minutes of work, not
 * after; made gets the folders it made, for made_dirs_undo when the eval
 * fails (exactly those: "new/../old/sub" made "new" alone, and old and
 * old/sub were the user's). On failure, says so ("blalm eval: WHAT DIR:
 * why") and returns 1. */
static int make_out_dir(const char *what, const char *dir, made_dirs *made)
{
    blalm_err e;
    made->dir = NULL, made->n = 0;
    if (!dir || !*dir) return 0;
    if (mkdir_p_made(dir, made, &e) < 0) {
        fprintf(stderr, "blalm eval: %s %s: %s\n", what, dir, e.msg);
        return 1;
    }
    return 0;
}

/* $BLALM_EVAL_DATA, or NULL when unset or set but empty (as ablate takes it:
 * an empty value was looked up as the folder "") */
static const char *eval_data_env(void)
{
    const char *d = getenv("BLALM_EVAL_DATA");
    return d && *d ? d : NULL;
}

/* --aoa-score: an official surprisal.json against the CDI of --data */
static int score_aoa_file(const char *path, const char *data, int json)
{
    if (!data) data = eval_data_env();
    if (!data) return cli_usage_error(usage, "eval: --aoa-score needs --data DIR (or BLALM_EVAL_DATA)");
    blalm_err e;
    cJSON *r = NULL;
    if (eval_aoa_score_file(path, data, &r, &e) < 0) {
        fprintf(stderr, "blalm eval: %s\n", e.msg);
        return 1;
    }
    if (json) {
        char *s = json_print(r, 1);
        printf("%s\n", s);
        free(s);
    } else {
        printf("%-28s %10s %8s\n", "task", "score", "words");
        print_aoa(r);
    }
    cJSON_Delete(r);
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"run", required_argument, 0, 'r'},        {"checkpoint", required_argument, 0, 'c'},
        {"all-checkpoints", no_argument, 0, 'A'},  {"tasks", required_argument, 0, 't'},
        {"data", required_argument, 0, 'd'},       {"fast", no_argument, 0, 'f'},
        {"threads", required_argument, 0, 'T'},    {"batch-tokens", required_argument, 0, 'b'},
        {"out", required_argument, 0, 'o'},        {"json", no_argument, 0, 'j'},
        {"score-first-token", no_argument, 0, 'F'}, {"dump", required_argument, 0, 'D'},
        {"dump-every", required_argument, 0, 'E'}, {"quiet", no_argument, 0, 'q'},
        {"aoa-min-context", required_argument, 0, 'M'}, {"aoa-score", required_argument, 0, 'S'},
        {"full-logits", no_argument, 0, 'L'},      {"predictions", required_argument, 0, 'P'},
        {"help", no_argument, 0, 'h'},             {0, 0, 0, 0},
    };
    eval_opts o = {0};
    o.dump_every = 50;
    int all = 0, json = 0, quiet = 0, c;
    const char *aoa_score = NULL;
    unsigned long long v;
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 'r': o.run = optarg; break;
        case 'c': o.checkpoint = optarg; break;
        case 'A': all = 1; break;
        case 't': o.tasks = optarg; break;
        case 'd':
            if (!*optarg) return cli_usage_error(usage, "eval: --data wants a folder, not ''");
            o.data = optarg;
            break;
        case 'f': o.fast = 1; break;
        case 'o': o.out = optarg; break;
        case 'j': json = 1; break;
        case 'F': o.score_first_token = 1; break;
        case 'D': o.dump = optarg; break;
        case 'q': quiet = 1; break;
        case 'S': aoa_score = optarg; break;
        case 'L': o.full_logits = 1; break;
        case 'P': o.predictions = optarg; break;
        case 'T': case 'b': case 'E': case 'M': {
            /* --threads: at most 4096, as train and generate (each worker
             * holds a copy of the model); the others at most 1G, so that a
             * count always fits an int */
            unsigned long long max = c == 'T' ? 4096 : 1000000000;
            if (cli_parse_count(optarg, &v) < 0 || v < 1 || v > max)
                return cli_usage_error(usage, "eval: --%s wants a count in 1..%s, not '%s'",
                                       c == 'T' ? "threads" : c == 'b' ? "batch-tokens" : c == 'M' ? "aoa-min-context" : "dump-every",
                                       c == 'T' ? "4096" : "1G", optarg);
            if (c == 'T') o.threads = (int)v;
            else if (c == 'M') o.aoa_min_context = (int)v;
            else if (c == 'b') o.batch_tokens = (int)v;
            else o.dump_every = (int)v;
            break;
        }
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "eval", opts, argv, optind);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "eval: unexpected argument '%s'", argv[optind]);
    /* --aoa-min-context where no aoa is computed was ignored, silently */
    if (o.aoa_min_context && aoa_score)
        return cli_usage_error(usage, "eval: --aoa-min-context picks the words of the aoa task; --aoa-score scores "
                                      "the surprisal file's words as they are");
    if (o.aoa_min_context && !all)
        return cli_usage_error(usage, "eval: --aoa-min-context is for the aoa task, which runs with --all-checkpoints");
    if (aoa_score) return score_aoa_file(aoa_score, o.data, json);
    if (!o.run) return cli_usage_error(usage, "eval: --run is required");
    blalm_err e;
    if (eval_check_tasks(o.tasks, &e) < 0) return cli_usage_error(usage, "eval: --tasks: %s", e.msg);
    if (o.aoa_min_context && o.tasks && !eval_in_list(o.tasks, "aoa"))
        return cli_usage_error(usage, "eval: --aoa-min-context is for the aoa task, which --tasks %s leaves out",
                               o.tasks);
    char ckname[1024];
    if (o.checkpoint && run_checkpoint_name(o.checkpoint, ckname, sizeof ckname, &e) < 0)
        return cli_usage_error(usage, "eval: %s", e.msg);
    if (all && o.checkpoint)
        return cli_usage_error(usage, "eval: --checkpoint and --all-checkpoints exclude each other");
    if (all && o.out) return cli_usage_error(usage, "eval: --out names one file; not with --all-checkpoints");
    if (all && o.predictions)
        return cli_usage_error(usage, "eval: --predictions writes one checkpoint's (its REVISION folder); not with "
                                      "--all-checkpoints: use --checkpoint chck_NM per checkpoint");
    if (o.predictions && o.score_first_token)
        return cli_usage_error(usage, "eval: --predictions are official predictions; not with --score-first-token");
    if (cli_check_out_file("eval", o.out)) return 1;
    if (!o.data) o.data = eval_data_env();
    if (!o.data)
        return cli_usage_error(usage, "eval: --data DIR is required (or set BLALM_EVAL_DATA)");
    /* --predictions DIR: a folder or nothing yet; it and --out's folder are
     * made now, before the scoring (they were tried only after it) */
    if (o.predictions && cli_check_out_dirs("eval", o.predictions, NULL)) return 1;
    char out_dir[4096] = "";
    made_dirs out_made, pred_made;
    const char *slash = o.out ? strrchr(o.out, '/') : NULL;
    if (slash && slash != o.out) snprintf(out_dir, sizeof out_dir, "%.*s", (int)(slash - o.out), o.out);
    if (make_out_dir("--out", out_dir, &out_made)) return 1;
    if (make_out_dir("--predictions", o.predictions, &pred_made)) {
        made_dirs_undo(&out_made);
        return 1;
    }
    progress *pg = NULL;
    if (!quiet) o.progress = on_progress, o.arg = &pg;
    cJSON *r = NULL;
    int rc;
    if (all) {
        o.fast = 1; /* the organisers' fast suite on every checkpoint */
        rc = eval_all_checkpoints(&o, &r, &e);
    } else {
        rc = eval_run(&o, &r, &e);
    }
    if (pg) prog_end(pg);
    if (rc == 0) made_dirs_free(&pred_made), made_dirs_free(&out_made); /* kept */
    if (rc < 0) {
        made_dirs_undo(&pred_made);
        made_dirs_undo(&out_made);
        fprintf(stderr, "blalm eval: %s\n", e.msg);
        return 1;
    }
    const cJSON *p;
    if (all && !quiet) /* --all-checkpoints after an interruption: what was not recomputed */
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(r, "checkpoints"))
            if (cJSON_IsTrue(cJSON_GetObjectItem(p, "reused")))
                fprintf(stderr, "blalm eval: %s: kept %s (same checkpoint bytes, tokenizer, data and settings)\n",
                        cJSON_GetObjectItem(p, "checkpoint")->valuestring, cJSON_GetObjectItem(p, "eval_json")->valuestring);
    if (json) {
        char *s = json_print(r, 1);
        printf("%s\n", s);
        free(s);
    } else if (!quiet) {
        if (all) {
            printf("%-14s %14s %10s\n", "checkpoint", "words seen", "overall");
            cJSON_ArrayForEach(p, cJSON_GetObjectItem(r, "checkpoints"))
                if (cJSON_IsNumber(cJSON_GetObjectItem(p, "overall")))
                    printf("%-14s %14.0f %10.2f%c\n", cJSON_GetObjectItem(p, "checkpoint")->valuestring,
                           num(p, "words_seen"), num(p, "overall"), data_mark(p));
                else /* not every task of the suite (eval.json's overall_missing) */
                    printf("%-14s %14.0f %10s\n", cJSON_GetObjectItem(p, "checkpoint")->valuestring,
                           num(p, "words_seen"), "n/a");
            if (cJSON_GetObjectItem(r, "aoa")) print_aoa(cJSON_GetObjectItem(r, "aoa"));
        } else {
            print_table(r);
        }
    }
    if (all) /* each checkpoint's results file, as one --checkpoint run says it */
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(r, "checkpoints"))
            say_previous(cJSON_GetObjectItem(p, "previous"), cJSON_GetObjectItem(p, "checkpoint")->valuestring, quiet);
    else
        say_previous(cJSON_GetObjectItem(r, "previous"), NULL, quiet);
    if (!quiet)
        fprintf(stderr, "blalm eval: %s\n", cJSON_GetObjectItem(r, "path")->valuestring);
    cJSON_Delete(r);
    return 0;
}
