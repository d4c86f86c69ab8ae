/* cmd_score.c - `blalm score`: options, the environment (OPENAI_BASE_URL,
 * OPENAI_API_KEY, the shard variables) and what is printed; the stage itself
 * is score_run (scorer/score.h). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/attr.h"
#include "lib/cli.h"
#include "lib/config.h"
#include "lib/docs.h"
#include "lib/fsutil.h"
#include "lib/work.h"
#include "lib/http.h"
#include "lib/progress.h"
#include "pipeline/env.h"
#include "scorer/llm.h"
#include "scorer/score.h"

BLALM_COMMAND(score, "score documents with an LLM rubric through an OpenAI-compatible endpoint")

static const char usage[] =
    "usage: blalm score --work WORK [options]\n"
    "       blalm score --work WORK --stats\n"
    "\n"
    "Sends each selected document (its first --max-chars characters inside the\n"
    "rubric prompt) to POST {endpoint}/chat/completions and writes the attribute\n"
    "set edu_llm (score 0-5, justification, raw reply, model, prompt_sha256,\n"
    "latency, tokens, attempts, finish_reason, error) beside the documents.\n"
    "Every answer is cached before it counts, so a rerun never pays twice.\n"
    "\n"
    "options:\n"
    "  --work WORK            work directory (docs in WORK/docs, output in WORK/attributes)\n"
    "  --docs DIR             documents root (default WORK/docs)\n"
    "  --out DIR              attributes root (default WORK/attributes)\n"
    "  --where RULES          score only documents matching these rules over attributes\n"
    "                         already written, e.g. 'gopher_quality.pass && dedup.keep';\n"
    "                         the others get {\"selected\": false}\n"
    "  --endpoint URL         base URL (default $OPENAI_BASE_URL, else https://api.openai.com/v1)\n"
    "  --api-key-file FILE    read the API key from FILE (default $OPENAI_API_KEY)\n"
    "  --model NAME           model name sent to the endpoint (required)\n"
    "  --prompt FILE          prompt template with a {text} placeholder (default: the\n"
    "                         built-in edu5 rubric, scorer/prompts/edu5.txt)\n"
    "  --max-chars N          characters of each document sent (default 1000)\n"
    "  --temperature T        default 0; 'none' sends none (OpenAI's reasoning models\n"
    "                         take only their default)\n"
    "  --max-tokens N         completion limit (default 512)\n"
    "  --max-tokens-param P   the name it is sent under: max_tokens (default) or\n"
    "                         max_completion_tokens (OpenAI's o-series and gpt-5)\n"
    "  --seed N               sampling seed sent to the endpoint (0 to 2^53-1); also seeds --sample\n"
    "  --sample N             label only N of the selected documents: a random sample\n"
    "                         stratified by source and text length (powers of two of\n"
    "                         bytes), the same for the same candidates and --seed; the\n"
    "                         others get {\"selected\": false}. Reads the documents twice.\n"
    "  --json-schema          ask for {\"justification\",\"score\"} through response_format\n"
    "  --concurrency N        requests in flight (default 8)\n"
    "  --rps R                at most R requests started per second\n"
    "  --tpm T                at most T (estimated) tokens per minute\n"
    "  --timeout S            seconds per attempt (default 120)\n"
    "  --max-attempts N       attempts per request incl. the first (default 8)\n"
    "  --retry-budget S       give up a request after S seconds of retrying (default 900)\n"
    "  --max-requests N       send at most N requests in this run\n"
    "  --max-prompt-tokens N  send at most N (estimated) prompt tokens in this run\n"
    "  --cache DIR            result cache, shareable across runs (default WORK/state/score/cache)\n"
    "  --dry-run              count documents to send and estimate prompt tokens; send nothing\n"
    "  --stats                summarise existing edu_llm attributes: scores, errors, tokens\n"
    "  --config FILE          JSON defaults for these options, '_' for '-': endpoint,\n"
    "                         api_key_file, model, prompt, max_chars, temperature,\n"
    "                         max_tokens, max_tokens_param, seed, sample, json_schema, concurrency, rps,\n"
    "                         tpm, timeout, max_attempts, retry_budget, max_requests,\n"
    "                         max_prompt_tokens, where, cache; flags win; no API keys\n"
    "                         (api_key_file names a file). A \"score\" member, when\n"
    "                         present, is used instead of the whole file (a run config)\n"
    "  --force                redo files already marked complete (answers still come from the cache)\n"
    "  --shard I/N            score only document files I, I+N, I+2N, ... of the sorted list\n"
    "                         (default: Slurm array or Open MPI variables, else 0/1); N shards\n"
    "                         write what one process writes; stats go to WORK/stats/score-I-of-N.json\n"
    "  -q, --quiet            no progress or summary\n"
    "  -h, --help             this help\n"
    "\n"
    "Documents whose reply has no valid score get score null and error \"parse error: ...\"\n"
    "with the raw reply kept. Exit status: 0 done (also when a spending guard stopped\n"
    "sending), 1 error (the endpoint failed past the retry budget, or refused with\n"
    "401/403/404), 2 usage.\n";

/* ---- options ---- */

/* What the command itself handles; the stage's settings live in score_opts. */
typedef struct opts {
    const char *work, *docs, *out, *key_file, *shard;
    int stats, quiet;
} opts;

/* ---- printing ---- */

typedef struct bar {
    progress *pg;   /* started with the first document written */
    int quiet;
} bar;

static void on_progress(void *arg, uint64_t docs, uint64_t total)
{
    bar *b = arg;
    if (!b->pg) b->pg = prog_start("score", total, PROG_COUNT, b->quiet);
    else if (total) prog_set_total(b->pg, total);
    prog_add(b->pg, docs);
}

static int print_summary(const score_summary *s)
{
    uint64_t scored = s->hist[0] + s->hist[1] + s->hist[2] + s->hist[3] + s->hist[4] + s->hist[5];
    printf("edu_llm: %llu documents in %llu files, %llu selected, %llu not selected\n",
           (unsigned long long)s->docs, (unsigned long long)s->files,
           (unsigned long long)s->selected, (unsigned long long)(s->docs - s->selected));
    printf("scores (%llu scored):\n", (unsigned long long)scored);
    for (int k = 0; k <= 5; k++) {
        int bar_len = scored ? (int)(40.0 * (double)s->hist[k] / (double)scored + 0.5) : 0;
        printf("  %d  %10llu  %5.1f%%  ", k, (unsigned long long)s->hist[k],
               scored ? 100.0 * (double)s->hist[k] / (double)scored : 0.0);
        for (int i = 0; i < bar_len; i++) putchar('#');
        putchar('\n');
    }
    printf("no score: %llu (parse errors %llu, requests refused %llu, empty documents %llu, not sent %llu, "
           "other %llu)\n",
           (unsigned long long)s->nulls, (unsigned long long)s->parse_errors,
           (unsigned long long)s->refused, (unsigned long long)s->empty, (unsigned long long)s->not_sent,
           (unsigned long long)s->other_errors);
    printf("finish_reason length: %llu\n", (unsigned long long)s->finish_length);
    printf("tokens: %llu prompt, %llu completion; %llu attempts\n",
           (unsigned long long)s->prompt_tokens, (unsigned long long)s->completion_tokens,
           (unsigned long long)s->attempts);
    if (fflush(stdout)) {
        fprintf(stderr, "blalm score: stdout: write failed\n");
        return 1;
    }
    return 0;
}

static void print_summary_line(const opts *o, const score_opts *so, const score_counts *n)
{
    if (so->dry_run) {
        printf("dry run: %llu documents in %llu files, %llu selected, %llu answered by the cache, "
               "%llu duplicates of another (asked once), %llu empty (never sent), %llu would be sent, "
               "about %llu prompt tokens (estimate: bytes/4)",
               (unsigned long long)n->docs, (unsigned long long)n->files_owned,
               (unsigned long long)n->selected, (unsigned long long)n->cached,
               (unsigned long long)n->duplicates, (unsigned long long)n->empty, (unsigned long long)n->sent,
               (unsigned long long)n->est_prompt_tokens);
        if (n->guard_hit)
            printf("; %llu not sent: %s", (unsigned long long)n->not_sent, n->guard);
        printf("\n");
        return;
    }
    if (n->stats_warning[0]) print_warning("score: %s", n->stats_warning);
    if (n->guard_hit)
        print_warning("score: %s: %llu documents not sent (rerun with a higher limit to continue; "
                      "answers so far are cached)", n->guard, (unsigned long long)n->not_sent);
    if (o->quiet) return;
    char shard[80] = "";
    if (so->shard.count > 1)
        snprintf(shard, sizeof shard, " (shard %d/%d)", so->shard.index, so->shard.count);
    fprintf(stderr,
            "blalm score: %llu documents in %llu files (%llu already done)%s, %llu selected: "
            "%llu from the cache, %llu sent (%llu attempts), %llu scored, %llu parse errors, "
            "%llu refused, %llu empty, %llu not sent; %llu prompt + %llu completion tokens; %.1f s\n",
            (unsigned long long)n->docs, (unsigned long long)n->files,
            (unsigned long long)n->files_skipped, shard, (unsigned long long)n->selected,
            (unsigned long long)n->cached, (unsigned long long)n->sent,
            (unsigned long long)n->attempts, (unsigned long long)n->scored,
            (unsigned long long)n->parse_errors, (unsigned long long)n->request_errors,
            (unsigned long long)n->empty, (unsigned long long)n->not_sent, (unsigned long long)n->prompt_tokens,
            (unsigned long long)n->completion_tokens, n->seconds);
    if (so->has_sample)
        fprintf(stderr, "blalm score: --sample %llu: %llu of %llu candidates chosen from %d strata "
                        "(source x length), seed %lld\n",
                (unsigned long long)so->sample, (unsigned long long)n->sample_chosen,
                (unsigned long long)n->sample_candidates, n->sample_strata, so->seed);
}

/* ---- the command ---- */

static int parse_double(const char *s, double lo, double *out)
{
    double v;
    if (cli_parse_real(s, &v) < 0 || v < lo) return -1;   /* not "", hex, " 1", inf, nan */
    *out = v;
    return 0;
}


enum {
    O_WORK = 256, O_DOCS, O_OUT, O_WHERE, O_ENDPOINT, O_KEYFILE, O_MODEL, O_PROMPT, O_MAXCHARS,
    O_TEMP, O_MAXTOK, O_MAXTOKPARAM, O_SEED, O_JSON, O_CONC, O_RPS, O_TPM, O_TIMEOUT, O_ATTEMPTS, O_BUDGET,
    O_MAXREQ, O_MAXPT, O_CACHE, O_DRY, O_STATS, O_FORCE, O_CONFIG, O_SAMPLE, O_SHARD
};


static int score_main(int argc, char **argv, cJSON **config)
{
    static const struct option lopts[] = {
        {"work", required_argument, 0, O_WORK}, {"docs", required_argument, 0, O_DOCS},
        {"out", required_argument, 0, O_OUT}, {"where", required_argument, 0, O_WHERE},
        {"endpoint", required_argument, 0, O_ENDPOINT}, {"api-key-file", required_argument, 0, O_KEYFILE},
        {"model", required_argument, 0, O_MODEL}, {"prompt", required_argument, 0, O_PROMPT},
        {"max-chars", required_argument, 0, O_MAXCHARS}, {"temperature", required_argument, 0, O_TEMP},
        {"max-tokens", required_argument, 0, O_MAXTOK},
        {"max-tokens-param", required_argument, 0, O_MAXTOKPARAM}, {"seed", required_argument, 0, O_SEED},
        {"json-schema", no_argument, 0, O_JSON}, {"concurrency", required_argument, 0, O_CONC},
        {"rps", required_argument, 0, O_RPS}, {"tpm", required_argument, 0, O_TPM},
        {"timeout", required_argument, 0, O_TIMEOUT}, {"max-attempts", required_argument, 0, O_ATTEMPTS},
        {"retry-budget", required_argument, 0, O_BUDGET}, {"max-requests", required_argument, 0, O_MAXREQ},
        {"max-prompt-tokens", required_argument, 0, O_MAXPT}, {"cache", required_argument, 0, O_CACHE},
        {"dry-run", no_argument, 0, O_DRY}, {"stats", no_argument, 0, O_STATS},
        {"force", no_argument, 0, O_FORCE}, {"config", required_argument, 0, O_CONFIG},
        {"sample", required_argument, 0, O_SAMPLE}, {"shard", required_argument, 0, O_SHARD},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    opts o;
    memset(&o, 0, sizeof o);
    score_opts so;
    score_opts_default(&so);
    int c;
    unsigned long long u;
    double dv;
    opterr = 0;
    optind = 1;
    const char *config_path = NULL;
    const char *ep_name = NULL;   /* where the endpoint came from, for messages */
    while ((c = cli_getopt(argc, argv, "qh", lopts)) != -1)
        if (c == O_CONFIG) config_path = optarg;
    if (config_path) {
        blalm_err ce;
        *config = config_load(config_path, &ce);
        if (!*config || score_opts_config(&so, &o.key_file, *config, config_path, &ce) < 0) {
            fprintf(stderr, "blalm score: %s\n", ce.msg);
            return 1;
        }
    }
    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", lopts)) != -1) {
        switch (c) {
        case O_CONFIG: break;
        case O_WORK: o.work = optarg; break;
        case O_DOCS: o.docs = optarg; break;
        case O_OUT: o.out = optarg; break;
        case O_WHERE: so.where = optarg; break;
        case O_ENDPOINT: so.base_url = optarg; ep_name = "--endpoint"; break;
        case O_KEYFILE: o.key_file = optarg; break;
        case O_MODEL: so.model = optarg; break;
        case O_PROMPT: so.prompt_path = optarg; break;
        case O_CACHE: so.cache_dir = optarg; break;
        case O_MAXCHARS:
            if (cli_parse_count(optarg, &u) < 0 || u == 0)
                return cli_usage_error(usage, "score: --max-chars wants a positive count, not '%s'", optarg);
            so.max_chars = u;
            break;
        case O_TEMP:
            so.no_temperature = !strcmp(optarg, "none");
            if (so.no_temperature) break;
            if (parse_double(optarg, 0, &so.temperature) < 0 || so.temperature > 2)
                return cli_usage_error(usage, "score: --temperature wants a number in 0..2 or 'none', not '%s'",
                                       optarg);
            break;
        case O_MAXTOKPARAM:
            if (score_max_tokens_param(optarg, &so.max_completion_tokens) < 0)
                return cli_usage_error(usage, "score: --max-tokens-param wants max_tokens or "
                                       "max_completion_tokens, not '%s'", optarg);
            break;
        case O_MAXTOK:
            if (cli_parse_count(optarg, &u) < 0 || u == 0 || u > 1000000)
                return cli_usage_error(usage, "score: --max-tokens wants a count in 1..1000000, not '%s'", optarg);
            so.max_tokens = (int)u;
            break;
        case O_SEED:
            /* the range a config holds exactly (score --config, a run config's score.seed) */
            if (cli_parse_seed(optarg, &u) < 0)
                return cli_usage_error(usage, "score: --seed '%s': expected a whole number from 0 to %llu",
                                       optarg, CLI_SEED_MAX);
            so.seed = (long long)u;
            so.has_seed = 1;
            break;
        case O_JSON: so.json_schema = 1; break;
        case O_CONC:
            if (cli_parse_count(optarg, &u) < 0 || u == 0 || u > 4096)
                return cli_usage_error(usage, "score: --concurrency wants a count in 1..4096, not '%s'", optarg);
            so.concurrency = (int)u;
            break;
        case O_RPS:
            if (parse_double(optarg, 0, &so.rps) < 0 || so.rps == 0)
                return cli_usage_error(usage, "score: --rps wants a positive number, not '%s'", optarg);
            break;
        case O_TPM:
            if (parse_double(optarg, 0, &so.tpm) < 0 || so.tpm == 0)
                return cli_usage_error(usage, "score: --tpm wants a positive number, not '%s'", optarg);
            break;
        case O_TIMEOUT:
            if (parse_double(optarg, 0, &so.timeout_s) < 0 || so.timeout_s == 0)
                return cli_usage_error(usage, "score: --timeout wants positive seconds, not '%s'", optarg);
            break;
        case O_ATTEMPTS:
            if (cli_parse_count(optarg, &u) < 0 || u == 0 || u > 100)
                return cli_usage_error(usage, "score: --max-attempts wants a count in 1..100, not '%s'", optarg);
            so.max_attempts = (int)u;
            break;
        case O_BUDGET:
            if (parse_double(optarg, 0, &dv) < 0 || dv == 0)
                return cli_usage_error(usage, "score: --retry-budget wants positive seconds, not '%s'", optarg);
            so.retry_budget_s = dv;
            break;
        case O_MAXREQ:
            if (cli_parse_count(optarg, &u) < 0)
                return cli_usage_error(usage, "score: --max-requests wants a count, not '%s'", optarg);
            so.max_requests = u;
            so.has_max_requests = 1;
            break;
        case O_MAXPT:
            if (cli_parse_count(optarg, &u) < 0)
                return cli_usage_error(usage, "score: --max-prompt-tokens wants a count, not '%s'", optarg);
            so.max_prompt_tokens = u;
            so.has_max_prompt_tokens = 1;
            break;
        case O_SAMPLE:
            if (cli_parse_count(optarg, &u) < 0 || u == 0)
                return cli_usage_error(usage, "score: --sample wants a positive count, not '%s'", optarg);
            so.sample = u;
            so.has_sample = 1;
            break;
        case O_SHARD: {
            shard_spec sp;
            blalm_err se;
            if (shard_parse(optarg, &sp, &se) < 0)
                return cli_usage_error(usage, "score: %s", se.msg);
            o.shard = optarg;
            break;
        }
        case O_DRY: so.dry_run = 1; break;
        case O_STATS: o.stats = 1; break;
        case O_FORCE: so.force = 1; break;
        case 'q': o.quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "score", lopts, argv, optind);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "score: unexpected argument '%s'", argv[optind]);
    if (!o.work && !(o.docs && o.out && so.cache_dir))
        return cli_usage_error(usage, "score: give --work WORK (or all of --docs, --out and --cache)");
    if (cli_check_out_dirs("score", o.work, o.out)) return 1;

    blalm_err e = {{0}};
    work_dirs w;
    if (work_dirs_init(&w, o.work, o.docs, o.out, &e) < 0) {
        fprintf(stderr, "blalm score: %s\n", e.msg);
        return 1;
    }

    if (o.stats) {
        score_summary s;
        if (score_summarize(&w, &s, &e) < 0) {
            fprintf(stderr, "blalm score: %s\n", e.msg);
            return 1;
        }
        return print_summary(&s);
    }
    char base[4096], why[200];
    const char *ep = so.base_url ? so.base_url : getenv("OPENAI_BASE_URL");
    if (!ep_name) ep_name = so.base_url ? "the config's endpoint" : "OPENAI_BASE_URL";
    snprintf(base, sizeof base, "%s", ep && *ep ? ep : "https://api.openai.com/v1");
    for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--) base[n - 1] = 0;
    if (llm_endpoint_check(base, why, sizeof why) < 0) {
        fprintf(stderr, "blalm score: %s %s\n", ep_name, why);   /* never the URL: it may hold a password */
        return 1;
    }
    if (!so.model && !so.dry_run) {
        /* a missing documents root is reported before the missing --model */
        if (docs_require_some(w.docs, &e) < 0) {
            fprintf(stderr, "blalm score: %s\n", e.msg);
            return 1;
        }
        return cli_usage_error(usage, "score: --model is required");
    }
    if (env_resolve_shard("score", o.shard, &so.shard) < 0) return 2;   /* bad usage, as a bad --shard */
    char api_key[4096] = "";
    if (o.key_file) {
        if (score_read_api_key(o.key_file, api_key, sizeof api_key, &e) < 0) {
            fprintf(stderr, "blalm score: %s\n", e.msg);
            return 1;
        }
    } else {
        const char *k;
        if (env_openai_api_key("score", &k) < 0) return 1;
        if (k) snprintf(api_key, sizeof api_key, "%s", k);
    }
    sbuf fix;
    sb_init(&fix);
    attr_fix_args(&fix, o.work, w.docs, w.attrs);
    so.dirs = &w;
    so.where_fix = sb_cstr(&fix);
    so.base_url = base;
    so.api_key = api_key;
    so.delay_scale = env_delay_scale();

    score_counts n;
    bar b = {NULL, o.quiet};
    cli_warn_skipped_docs("score", w.docs);
    /* quiet: no callback, so score reads no footers for a total */
    int rc = score_run(&so, &n, o.quiet ? NULL : on_progress, &b, &e);
    prog_end(b.pg);
    sb_free(&fix);
    so.where_fix = NULL;
    if (rc < 0) {
        char msg[BLALM_ERR_MAX + 16], shown[BLALM_ERR_MAX + 16];
        llm_redact(e.msg, api_key[0] ? api_key : NULL, msg, sizeof msg);
        http_redact(msg, NULL, shown, sizeof shown);   /* user:password@ in the endpoint */
        fprintf(stderr, "blalm score: %s\n", shown);
        if (n.cache_records)
            fprintf(stderr, "blalm score: answers received so far are in the cache; a rerun resumes "
                            "without paying for them again\n");
        memset(api_key, 0, sizeof api_key);
        if (n.stop_signal) {
            /* end as the signal would have: exit status 128 + sig */
            signal(n.stop_signal, SIG_DFL);
            raise(n.stop_signal);
        }
        return 1;
    }
    memset(api_key, 0, sizeof api_key);
    print_summary_line(&o, &so, &n);
    return 0;
}

int cmd_score(int argc, char **argv)
{
    cJSON *config = NULL;  /* option strings may point into it */
    int rc = score_main(argc, argv, &config);
    cJSON_Delete(config);
    return rc;
}
