/* cmd_run.c - `blalm run CONFIG`: the whole job from one config (pipeline/run.h). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/fsutil.h"
#include "pipeline/env.h"
#include "pipeline/report.h"
#include "pipeline/run.h"

BLALM_COMMAND(run, "the whole job from one JSON config: fetch to eval, resumable")

static const char usage[] =
    "usage: blalm run CONFIG [--work DIR] [--from STAGE | --only STAGE] [--dry-run] [-q]\n"
    "\n"
    "Runs every stage of the job that CONFIG describes, in one process and one work\n"
    "directory: fetch, tag, dedup, score, distill, assemble, tokenizer, tokenize, train,\n"
    "eval, report. Complete work is skipped (completion markers); work a kill interrupted\n"
    "is resumed or redone, so rerunning after SIGKILL finishes the job with the same\n"
    "outputs as one uninterrupted run.\n"
    "\n"
    "options:\n"
    "  --work DIR     the work directory (default: the config's \"work\")\n"
    "  --from STAGE   redo STAGE and every later stage (earlier ones run if incomplete)\n"
    "  --only STAGE   run and redo STAGE alone (its inputs must be there)\n"
    "  --dry-run      print the plan and stop: files and bytes to download, documents\n"
    "                 and estimated prompt tokens, words against each budget, training\n"
    "                 steps and time (a 2-step speed test of the model); nothing is\n"
    "                 written; the Hub gets its listings and, per parquet file, two\n"
    "                 range requests for the footer (documents and text before any\n"
    "                 download); the endpoint gets one GET /models\n"
    "  -q, --quiet    no progress bars\n"
    "  -h, --help     this help\n"
    "\n"
    "A plan that cannot work is refused before anything starts: a missing input\n"
    "(local sources, model config, prompt, eval data with \"required\"), an endpoint\n"
    "that does not answer GET {base}/models, a budget over its track's limit\n"
    "(strict 100,000,000 words, strict-small 10,000,000).\n"
    "\n"
    "CONFIG (JSON; relative paths are relative to its folder; unknown keys are errors):\n"
    "  {\"comment\": TEXT,                                   (a note, ignored)\n"
    "   \"work\": DIR,\n"
    "   \"sources\": [{\"name\": S, \"hub\": {\"repo\": O/N, \"revision\": \"main\", \"path\": P,\n"
    "                \"include\": [GLOB], \"max_files\": N}, \"max_words\": N}\n"
    "               | {\"name\": S, \"files\": DIR}],\n"
    "   \"tag\": {\"taggers\": [\"readability\", \"gopher\", \"c4\", \"fineweb\"],\n"
    "           \"gopher_quality\": {...}, ...},             (blalm tag --config's format)\n"
    "   \"dedup\": {\"bands\", \"rows\", \"shingle\", \"seed\", \"threads\", \"exact_id\",\n"
    "             \"exact_text\", \"exact_url\", \"keep_max\", \"normalize\",\n"
    "             \"exact_normalize\", \"verify_jaccard\"},      (blalm dedup --config's keys)\n"
    "   \"score\": {\"model\", \"endpoint\", \"prompt\", \"where\", \"concurrency\", \"max_chars\",\n"
    "             \"max_tokens\", \"max_tokens_param\", \"temperature\" (or \"none\"), \"seed\",\n"
    "             \"max_requests\", \"max_prompt_tokens\", \"sample\"},\n"
    "   \"distill\": {\"labels\": \"edu_llm.score\" | \"label_field\": F, \"model_type\", \"folds\",\n"
    "               \"seed\", \"max_chars\", \"attr_features\", \"embeddings\", \"emb_words\",\n"
    "               \"emb_weight\", \"skip_unlabelled\": true},  (a local scorer learnt from\n"
    "               the labels, e.g. score's sample; then edu_local for every document)\n"
    "   \"corpora\": {\"corpora\": [...], \"rules\": [...], ...}, (blalm assemble --config's)\n"
    "   \"tokenizer\": {\"vocab_size\": N},                     (>= 258; default: the model's)\n"
    "   \"model\": FILE,                                        (a model config)\n"
    "   \"train\": {\"corpus\", \"max_steps\", \"max_tokens\", \"optimizer\", \"threads\",\n"
    "             \"track\"},\n"
    "   \"eval\": {\"data\": DIR, \"tasks\": \"blimp,...\", \"fast\": true, \"required\": false},\n"
    "   \"report\": true}\n"
    "\n"
    "outputs: WORK/docs, attributes, distill/edu.distill (and .json), corpora/<corpus>,\n"
    "tokenizer/tokenizer.json, tokens, model (checkpoints/ with latest.eval_fast.json,\n"
    "log.jsonl), report.html;\n"
    "completion markers in WORK/state.\n"
    "environment: HF_ENDPOINT, HF_TOKEN, OPENAI_BASE_URL, OPENAI_API_KEY, NO_COLOR\n";

typedef struct printer {
    prog_relay bars;
    int quiet;
} printer;

/* The stages' units: fetch, tag and assemble report bytes (of files, of
 * text), the rest counts (documents, steps, examples). */
static void run_progress(void *arg, uint64_t done, uint64_t total, const char *what)
{
    prog_relay *r = arg;
    r->unit = !strcmp(what, "fetch") || !strcmp(what, "tag") || !strncmp(what, "assemble", 8) ? PROG_BYTES
                                                                                             : PROG_COUNT;
    prog_relay_fn(arg, done, total, what);
}

static void say_line(void *arg, const char *stage, const char *line)
{
    printer *p = arg;
    prog_relay_end(&p->bars);
    printf("run: %-9s %s\n", stage, line);
    fflush(stdout);
}

/* The report (pipeline/report.h) at the end of a run. */
static int build_report(void *arg, const char *work, const char *corpora, const char *run,
                        const char *out, blalm_err *e)
{
    (void)arg;
    struct report_opts ro = {work, corpora, run, out, e};
    return report_build(&ro);
}

int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"work", required_argument, 0, 'w'}, {"from", required_argument, 0, 'f'},
        {"only", required_argument, 0, 'o'}, {"dry-run", no_argument, 0, 'n'},
        {"quiet", no_argument, 0, 'q'},      {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *work = NULL;
    int from = -1, only = -1, dry = 0, quiet = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 'w':
            /* "--work --dry-run" took the option as the folder and ran the job */
            if (!*optarg || (*optarg == '-' && optarg == argv[optind - 1]))   /* "--work=-x" is meant */
                return cli_usage_error(usage, "run: --work wants a folder, not '%s'%s", optarg,
                                       *optarg ? " (an option? a folder whose name starts with '-': ./-name or --work=-name)" : "");
            work = optarg;
            break;
        case 'f': case 'o': {
            int s = run_stage_parse(optarg);
            if (s < 0)
                return cli_usage_error(usage, "run: --%s: '%s' is not a stage (fetch, tag, dedup, score, distill, assemble, "
                                       "tokenizer, tokenize, train, eval, report)", c == 'f' ? "from" : "only", optarg);
            if (c == 'f') from = s;
            else only = s;
            break;
        }
        case 'n': dry = 1; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "run", opts, argv, optind);
        }
    }
    if (optind >= argc) return cli_usage_error(usage, "run: CONFIG is required");
    if (optind + 1 < argc) return cli_usage_error(usage, "run: unexpected argument '%s'", argv[optind + 1]);
    if (from >= 0 && only >= 0) return cli_usage_error(usage, "run: give --from or --only, not both");
    /* every rank would run the whole job in the same work directory: all but
     * one stopped at its lock, and mpirun then killed the one left mid-stage */
    if (env_refuse_parallel("run", "run it once, without mpirun or srun -n N (its stages' own commands shard under "
                                   "mpirun; a Slurm array's tasks may each run a config with its own work "
                                   "directory)") < 0)
        return 2;
    blalm_err e = {{0}};
    run_config *cfg = run_config_load(argv[optind], &e);
    if (!cfg) {
        fprintf(stderr, "blalm run: %s\n", e.msg);
        return 1;
    }
    if (!work) work = cfg->work;
    if (!work) {
        run_config_free(cfg);
        return cli_usage_error(usage, "run: no work directory: give --work DIR or the config's \"work\"");
    }
    if (cli_check_out_dirs("run", work, NULL)) {
        run_config_free(cfg);
        return 1;
    }
    printer pr;
    memset(&pr, 0, sizeof pr);
    env_prog_relay(quiet, PROG_COUNT, &pr.bars);
    run_opts o;
    memset(&o, 0, sizeof o);
    o.cfg = cfg;
    o.work = work;
    o.from = from;
    o.only = only;
    o.dry_run = dry;
    o.hf_endpoint = env_hf_endpoint();
    o.openai_base_url = env_openai_base_url();
    /* the token `hf auth login` saved only for a job that fetches from the
     * Hub (a token file that cannot be read must not stop one that never
     * uses it); HF_TOKEN is checked always */
    int hub = 0;
    for (int i = 0; i < cfg->nsources; i++) hub |= cfg->sources[i].repo != NULL;
    if (env_hf_token("run", hub, &o.hf_token) < 0 || env_openai_api_key("run", &o.openai_api_key) < 0) {
        run_config_free(cfg);
        return 1;
    }
    if (o.hf_token && !quiet && strcmp(env_hf_token_from, "HF_TOKEN"))
        fprintf(stderr, "blalm run: using the Hub token from %s\n", env_hf_token_from);
    o.hyphen_dic = env_hyphen_dic();
    o.cmudict = env_cmudict_default();
    o.cache_dir = env_cache_dir();
    o.delay_scale = env_delay_scale();
    o.quiet = 1;
    o.say = say_line;
    o.say_arg = &pr;
    o.progress = run_progress;
    o.progress_arg = &pr.bars;
    o.report = build_report;
    run_result r;
    int rc = run_execute(&o, &r, &e);
    prog_relay_end(&pr.bars);
    if (rc < 0) {
        fprintf(stderr, "blalm run: %s\n", e.msg);
        run_config_free(cfg);
        if (r.stop_signal) {
            /* score kept its answers and stopped: end as the signal would
             * have, exit status 128 + sig, as blalm score does */
            fflush(NULL);
            signal(r.stop_signal, SIG_DFL);
            raise(r.stop_signal);
        }
        return 1;
    }
    if (dry) {
        /* the requests the plan sent (run_execute): the Hub's listings and
         * footers for a Hub source, GET /models when score is planned */
        int models = cfg->score && (only < 0 || only == RUN_SCORE) && (from < 0 || from <= RUN_SCORE);
        /* (--from still lists a Hub source: the plan checks the earlier stages' files) */
        int listed = hub && (only < 0 || only == RUN_FETCH);
        printf("run: plan only (--dry-run): nothing was written and no request was sent%s%s%s\n",
               listed || models ? " but " : "", listed ? (models ? "the listings, the parquet footers and " :
                                                                  "the listings and the parquet footers") : "",
               models ? "one GET /models" : "");
    } else {
        printf("run: done in %s\n  corpora  %s\n  model    %s\n", work, r.corpora, r.model);
        if (r.eval[0]) printf("  eval     %s\n", r.eval);
        if (r.report_earlier == 2)
            printf("  report   (not rebuilt: the report stage did not run; %s is an earlier run's, "
                   "which may not show this one; this config builds none (\"report\": false), and its "
                   "report stage removes that page)\n", r.report);
        else if (r.report_earlier)
            printf("  report   (not rebuilt: the report stage did not run; %s is an earlier run's, "
                   "which may not show this one: --only report rebuilds it)\n", r.report);
        else
            printf("  report   %s\n", r.report[0]      ? r.report
                                    : r.report_ran ? "(not built: see the report line above)"
                                                   : "(not built: the report stage did not run)");
    }
    run_config_free(cfg);
    return 0;
}
