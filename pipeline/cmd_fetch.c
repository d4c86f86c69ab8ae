/* cmd_fetch.c - `blalm fetch`: options, environment (HF_ENDPOINT, HF_TOKEN,
 * the shard variables) and printing around fetch_run (hub/hub.h), which
 * holds the Hub protocol. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub.h"
#include "lib/cli.h"
#include "lib/err.h"
#include "lib/fsutil.h"
#include "lib/http.h"
#include "lib/progress.h"
#include "lib/shard.h"
#include "pipeline/env.h"

BLALM_COMMAND(fetch, "download a dataset folder from the Hugging Face Hub (verified, resumable)")

static const char usage[] =
    "usage: blalm fetch --repo OWNER/NAME --path PATH --out DIR [options]\n"
    "\n"
    "Lists PATH in a Hugging Face dataset repo (tree API, all pages) and downloads\n"
    "every file under it to DIR, keeping the Hub's path (DIR/PATH/FILE). Downloads\n"
    "run several at once, resume a partial file with Range requests, and are\n"
    "verified (size and LFS sha256 from the listing) before they are renamed into\n"
    "place; a sidecar FILE.meta records revision commit, ETag, size and sha256, so\n"
    "a rerun skips verified files without downloading them.\n"
    "\n"
    "options:\n"
    "  --repo OWNER/NAME   dataset repo, e.g. HuggingFaceFW/fineweb-edu\n"
    "  --path PATH         folder (or file) in the repo, e.g. sample/10BT\n"
    "  --out DIR           where files go, e.g. WORK/docs/fineweb-edu\n"
    "  --revision REV      branch, tag or commit (default: main)\n"
    "  --include GLOB      only files whose path under PATH (or whose name, for a\n"
    "                      GLOB without '/') matches; repeatable\n"
    "  --max-files N       only the first N files (sorted by path; N >= 1)\n"
    "  --max-words N       fetch only enough of the parquet files for N words of\n"
    "                      text (Python str.split), in listing order: read each\n"
    "                      remote footer, then only the row groups needed, and\n"
    "                      write the documents (first rows, whole documents, just\n"
    "                      past N words) as JSON lines compressed with zstd:\n"
    "                      DIR/PATH/<name>-00000.jsonl.zst, not parquet; source =\n"
    "                      the last folder of DIR. FILE.meta records the word count\n"
    "                      so a rerun with the same N reuses it; files not named\n"
    "                      *.parquet are skipped with a note. Refused into a DIR\n"
    "                      holding a listed file whole (its first documents would\n"
    "                      be read twice); a fetch without it removes these\n"
    "                      documents once the whole file is verified\n"
    "  --jobs N            files downloaded at once (default 4)\n"
    "  --shard I/N         only the files whose index in the sorted listing is I\n"
    "                      modulo N (0 <= I < N): N workers into one DIR write what\n"
    "                      one process writes. Without it, a Slurm job array or\n"
    "                      Open MPI (mpirun -np N) sets I and N. Not with\n"
    "                      --max-words, which takes the files in order\n"
    "  --dry-run           list the files and the total size; download nothing\n"
    "  -q, --quiet         no progress, no summary\n"
    "  -h, --help          this help\n"
    "\n"
    "environment:\n"
    "  HF_ENDPOINT   Hub address (default https://huggingface.co)\n"
    "  HF_TOKEN      access token, sent as 'Authorization: Bearer'; needed for\n"
    "                gated or private repos; never printed. Unset, the token\n"
    "                `hf auth login` saved is used, as huggingface_hub does:\n"
    "                $HF_TOKEN_PATH, else $HF_HOME/token, else\n"
    "                $XDG_CACHE_HOME/huggingface/token, else\n"
    "                ~/.cache/huggingface/token (HUGGING_FACE_HUB_TOKEN, the\n"
    "                older name, before it; HF_HUB_DISABLE_IMPLICIT_TOKEN=1: none)\n"
    "  SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_COUNT\n"
    "                this worker's shard in a Slurm job array (without --shard)\n"
    "  OMPI_COMM_WORLD_RANK, OMPI_COMM_WORLD_SIZE\n"
    "                this worker's shard under mpirun (without --shard or Slurm)\n";

typedef struct printer {
    int quiet;
    progress *pg;
} printer;

/* Turns the stage's events into a progress bar and stderr lines. */
static void on_event(void *arg, const fetch_event *ev)
{
    printer *p = arg;
    switch (ev->kind) {
    case FETCH_EV_START: p->pg = prog_start("fetch", ev->n, PROG_BYTES, p->quiet); break;
    case FETCH_EV_BYTES: if (p->pg) prog_add(p->pg, ev->n); break;
    case FETCH_EV_FILE: printf("%14" PRIu64 "  %s\n", ev->n, ev->msg); break;
    /* a message erases the bar first: on a TTY it was glued to the bar's end */
    case FETCH_EV_NOTE: if (!p->quiet) { prog_clear(p->pg); fprintf(stderr, "fetch: %s\n", ev->msg); } break;
    case FETCH_EV_ERROR: prog_clear(p->pg); fprintf(stderr, "blalm fetch: %s\n", ev->msg); break;
    case FETCH_EV_END: if (p->pg) prog_end(p->pg); p->pg = NULL; break;
    }
}

/* The folder asked for, without leading/trailing slashes. */
static void trim_path(const char *in, char *out, size_t cap)
{
    while (*in == '/') in++;
    snprintf(out, cap, "%s", in);
    size_t l = strlen(out);
    while (l && out[l - 1] == '/') out[--l] = 0;
}

int cmd_fetch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"repo", required_argument, 0, 'r'},
        {"path", required_argument, 0, 'p'},
        {"out", required_argument, 0, 'o'},
        {"revision", required_argument, 0, 'R'},
        {"include", required_argument, 0, 'i'},
        {"max-files", required_argument, 0, 'm'},
        {"max-words", required_argument, 0, 'w'},
        {"jobs", required_argument, 0, 'j'},
        {"shard", required_argument, 0, 's'},
        {"dry-run", no_argument, 0, 'n'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    fetch_opts o = {.revision = "main", .path = "", .jobs = 4, .max_files = -1, .refuse_whole = 1};
    o.delay_scale = env_delay_scale();
    const char **inc = NULL;
    const char *shard_flag = NULL;
    int c, quiet = 0;
    unsigned long long v;
    opterr = 0;
    optind = 1;
#define USAGE(...) do { free(inc); return cli_usage_error(usage, __VA_ARGS__); } while (0)
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 'r': o.repo = optarg; break;
        case 'p': o.path = optarg; break;
        case 'o': o.out = optarg; break;
        case 'R': o.revision = optarg; break;
        case 'i': {
            const char **ni = realloc(inc, (size_t)(o.ninclude + 1) * sizeof *ni);
            if (!ni) { free(inc); print_error("fetch: out of memory"); return 1; }
            inc = ni;
            inc[o.ninclude++] = optarg;
            break;
        }
        case 'm':
            /* 0 fetched nothing and then blamed the listing ("no files under ...") */
            if (cli_parse_count(optarg, &v) != 0 || v == 0 || v > 1000000000)
                USAGE("fetch: --max-files wants a positive count up to 1G, got '%s'", optarg);
            o.max_files = (long)v;
            break;
        case 'w':
            if (cli_parse_count(optarg, &v) != 0 || v == 0) USAGE("fetch: --max-words wants a positive count, got '%s'", optarg);
            o.max_words = v;
            break;
        case 'j':
            if (cli_parse_count(optarg, &v) != 0 || v < 1 || v > 64) USAGE("fetch: --jobs wants 1..64, got '%s'", optarg);
            o.jobs = (int)v;
            break;
        case 's': shard_flag = optarg; break;
        case 'n': o.dry_run = 1; break;
        case 'q': quiet = 1; break;
        case 'h': free(inc); return cli_help(usage);
        default: free(inc); return cli_option_error(usage, "fetch", opts, argv, optind);
        }
    }
    if (optind < argc) USAGE("fetch: unexpected argument '%s'", argv[optind]);
    if (!o.repo) USAGE("fetch: --repo is required");
    if (!o.out && !o.dry_run) USAGE("fetch: --out is required");
    if (!hub_repo_valid(o.repo)) USAGE("fetch: --repo '%s' is not OWNER/NAME", o.repo);
    if (!*o.revision) USAGE("fetch: --revision is empty");
    char pathbuf[1100];
    trim_path(o.path, pathbuf, sizeof pathbuf);
    o.path = pathbuf;
    if (*o.path && hub_path_problem(o.path, "")) USAGE("fetch: --path '%s': %s", o.path, hub_path_problem(o.path, ""));
    if (shard_flag) {
        blalm_err se = {{0}};
        if (shard_parse(shard_flag, &o.shard, &se) != 0) USAGE("fetch: %s", se.msg);
    }
    /* HF_ENDPOINT is checked before any request: a line break in it (a
     * file's "\n" kept) would reach later messages raw */
    char endpoint[1024];
    const char *ep = getenv("HF_ENDPOINT");
    if (!ep || !*ep) ep = "https://huggingface.co";
    char why[200];
    if (strlen(ep) >= sizeof endpoint) snprintf(why, sizeof why, "is too long");
    else if (http_url_check(ep, why, sizeof why) == 0) why[0] = 0;
    if (why[0]) {
        char red[300], shown[300];
        http_redact(ep, NULL, red, sizeof red);        /* no password */
        hub_printable(red, shown, sizeof shown);
        USAGE("fetch: HF_ENDPOINT '%s' %s", shown, why);
    }
    snprintf(endpoint, sizeof endpoint, "%s", ep);
    size_t l = strlen(endpoint);
    while (l && endpoint[l - 1] == '/') endpoint[--l] = 0;
    o.endpoint = endpoint;
#undef USAGE
    o.include = inc;
    if (!o.dry_run && cli_check_out_dirs("fetch", o.out, NULL)) { free(inc); return 1; }
    if (env_resolve_shard("fetch", shard_flag, &o.shard) != 0) { free(inc); return 2; }   /* bad usage, as a bad --shard */

    if (env_hf_token("fetch", 1, &o.token) < 0) { free(inc); return 1; }
    /* a token nobody named on this command line: say where it came from */
    if (o.token && !quiet && strcmp(env_hf_token_from, "HF_TOKEN"))
        fprintf(stderr, "blalm fetch: using the Hub token from %s\n", env_hf_token_from);

    /* the listing's bytes are not what --max-words fetches: say what the
     * footers hold instead (two range requests per .parquet file) */
    if (o.dry_run && o.max_words) o.count_rows = o.footers_to_budget = 1;
    printer p = {quiet, NULL};
    fetch_counts n;
    blalm_err e = {{0}};
    double t0 = now_seconds();
    int rc = fetch_run(&o, &n, on_event, &p, &e);
    if (p.pg) prog_end(p.pg);
    free(inc);
    if (rc != 0) {
        fprintf(stderr, "blalm fetch: %s\n", e.msg);
        return 1;
    }
    char shard[128] = "";
    if (o.shard.count > 1)
        snprintf(shard, sizeof shard, "shard %d/%d (%s), %zu of %zu listed files: ", o.shard.index,
                 o.shard.count, o.shard.origin, n.files, n.listed);
    if (o.dry_run) {
        printf("%s%zu files, %" PRIu64 " bytes\n", shard, n.files, n.bytes);
        if (o.max_words) {
            uint64_t est = (uint64_t)((double)n.text_bytes / FETCH_BYTES_PER_WORD);
            size_t unread = n.parquets - n.footers - n.footer_errors;
            char which[80], more[160] = "";
            if (n.footers == n.parquets) snprintf(which, sizeof which, "the %zu", n.footers);
            else snprintf(which, sizeof which, "%zu of the %zu", n.footers, n.parquets);
            if (unread)   /* the fetch stops there too */
                snprintf(more, sizeof more, ": enough, the other %zu not read", unread);
            else if (est < o.max_words)
                snprintf(more, sizeof more, ": fewer than asked for");
            if (n.footer_errors)
                snprintf(more + strlen(more), sizeof more - strlen(more), "; %zu could not be read "
                         "(noted on stderr)", n.footer_errors);
            printf("--max-words %" PRIu64 ": not those bytes, only each file's footer and the row groups "
                   "needed; %s parquet footers hold %" PRIu64 " documents, %" PRIu64 " bytes of text, "
                   "about %" PRIu64 " words (6.1 bytes a word)%s\n", o.max_words, which, n.rows,
                   n.text_bytes, est, more);
        }
        return 0;
    }
    if (o.max_words) {
        if (!quiet)
            fprintf(stderr, "fetch: %" PRIu64 " words wanted: %d files read, %d reused from an earlier "
                    "run%s, %.1f s\n", o.max_words, n.downloaded, n.skipped,
                    n.words_left ? " (the files listed hold fewer words)" : "", now_seconds() - t0);
        return 0;
    }
    if (!quiet) {
        double dt = now_seconds() - t0;
        /* one write: ranks of one mpirun share stderr, and a line written in
         * pieces came out spliced with another rank's */
        char line[768], more[64] = "";
        if (n.untried > 0) snprintf(more, sizeof more, ", %d not tried (access refused)", n.untried);
        snprintf(line, sizeof line, "fetch: %s%zu files: %d downloaded (%.1f MB in %.1f s, %.1f MB/s), %d already "
                 "verified, %d failed%s\n", shard, n.files, n.downloaded, n.bytes_got / 1e6, dt,
                 dt > 0 ? n.bytes_got / 1e6 / dt : 0.0, n.skipped, n.failures, more);
        fputs(line, stderr);
    }
    return n.failures || n.run_failed ? 1 : 0;
}
