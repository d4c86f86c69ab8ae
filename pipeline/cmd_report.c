/* cmd_report.c - `blalm report`: one HTML page showing what a job did. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/cli.h"
#include "lib/err.h"
#include "lib/fsutil.h"
#include "lib/work.h"
#include "pipeline/report.h"

BLALM_COMMAND(report, "one self-contained HTML page: funnel, histograms, corpora, loss, eval, examples")

static const char usage[] =
    "usage: blalm report --work WORK [--corpora OUT] [--run RUN] --out report.html\n"
    "\n"
    "Writes one self-contained HTML file (inline SVG charts, no script, nothing\n"
    "fetched) that shows what a job did:\n"
    "  - the LLM scorer's model name (a stand-in endpoint labelled as one);\n"
    "  - the funnel of documents and words through each assembly rule and each\n"
    "    corpus's fates (from WORK/state/assemble/decisions), and the tagger verdicts;\n"
    "  - histograms of LLM score and Flesch reading ease per source;\n"
    "  - dedup cluster sizes;\n"
    "  - words per source in each corpus against its budget (OUT/<corpus>/manifest.json);\n"
    "  - training and dev loss and DynMod alpha per layer (RUN/log.jsonl);\n"
    "  - zero-shot scores per task and per BLiMP field across checkpoints\n"
    "    (RUN/checkpoints/NAME.eval.json, NAME.eval_fast.json);\n"
    "  - example kept and dropped documents with the rule that decided each.\n"
    "A section whose data is absent says so. The file is written atomically.\n"
    "\n"
    "options:\n"
    "  --work WORK     work directory (WORK/docs, WORK/attributes, WORK/state)\n"
    "  --corpora OUT   assemble's output folder (optional)\n"
    "  --run RUN       train's output folder (optional)\n"
    "  --out FILE      the HTML file to write; missing folders are made; never\n"
    "                  inside WORK/docs, attributes, state, stats, distill,\n"
    "                  --corpora or --run (links resolved): those are its input\n"
    "  --quiet         no summary line\n"
    "  --help\n";

typedef struct {
    const char *out;       /* --out as given */
    char real[PATH_MAX];   /* its resolved path */
    int exists;            /* out exists: compare files by device and inode */
    struct stat st;
    char hit[PATH_MAX];    /* the input it would replace, or the folder it lies in */
    int depth;
    struct { dev_t dev; ino_t ino; } *seen;   /* folders walked: links may loop */
    size_t nseen, capseen;
} out_guard;

/* 1 when --out would replace a file under the input path p (a folder walked
 * with its links followed, so that a linked source's own folder counts), or
 * lie inside such a folder; g->hit names it. */
static int guard_walk(out_guard *g, const char *p)
{
    struct stat st;
    if (stat(p, &st) < 0) return 0;
    if (g->exists && st.st_dev == g->st.st_dev && st.st_ino == g->st.st_ino) {
        snprintf(g->hit, sizeof g->hit, "%s", p);
        return 1;
    }
    if (!S_ISDIR(st.st_mode) || g->depth > 40) return 0;
    for (size_t i = 0; i < g->nseen; i++)
        if (g->seen[i].dev == st.st_dev && g->seen[i].ino == st.st_ino) return 0;
    if (g->nseen == g->capseen) {
        size_t cap = g->capseen ? 2 * g->capseen : 64;
        void *m = realloc(g->seen, cap * sizeof *g->seen);
        if (!m) return 0;
        g->seen = m;
        g->capseen = cap;
    }
    g->seen[g->nseen].dev = st.st_dev;
    g->seen[g->nseen++].ino = st.st_ino;
    char rp[PATH_MAX];
    if (realpath(p, rp) && path_is_within(g->real, rp)) {
        snprintf(g->hit, sizeof g->hit, "%s", p);
        return 1;
    }
    DIR *d = opendir(p);
    if (!d) return 0;
    struct dirent *de;
    int found = 0;
    g->depth++;
    while (!found && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        if (!g->exists && de->d_type == DT_REG) continue;   /* only folders matter then */
        char q[PATH_MAX];
        if ((size_t)snprintf(q, sizeof q, "%s/%s", p, de->d_name) >= sizeof q) continue;
        found = guard_walk(g, q);
    }
    g->depth--;
    closedir(d);
    return found;
}

/* The report's inputs must not be its output: --out inside WORK/docs,
 * WORK/attributes, WORK/state, WORK/stats, WORK/distill, --corpora or --run
 * (after links: WORK/docs/<name> may be a link to the user's own folder), or
 * the same file as any file there, is refused before anything is read. */
static int check_out_not_input(const struct report_opts *o)
{
    blalm_err e = {{0}};
    work_dirs w;
    if (work_dirs_init(&w, o->work, NULL, NULL, &e) < 0) {
        fprintf(stderr, "blalm report: %s\n", e.msg);
        return 1;
    }
    out_guard g = {.out = o->out};
    if (path_resolve_lenient(o->out, g.real, sizeof g.real) < 0) {
        fprintf(stderr, "blalm report: --out %s: path too long\n", o->out);
        return 1;
    }
    g.exists = stat(o->out, &g.st) == 0;
    char distill[4200];
    snprintf(distill, sizeof distill, "%s/distill", w.work);
    const char *what[] = {"WORK/docs", "WORK/attributes", "WORK/state", "WORK/stats", "WORK/distill", "--corpora",
                          "--run"};
    const char *dirs[] = {w.docs, w.attrs, w.state, w.stats, distill, o->corpora, o->run};
    /* and the corpus folders assemble's decisions name: the report reads
     * their manifests to tell whether the decisions are stale */
    enum { NBASE = 7, NMAX = NBASE + 32 };
    const char *what_all[NMAX], *dirs_all[NMAX];
    size_t nd = 0;
    for (; nd < NBASE; nd++) what_all[nd] = what[nd], dirs_all[nd] = dirs[nd];
    char rj[4400];
    snprintf(rj, sizeof rj, "%s/assemble/decisions/run.json", w.state);
    char *text = NULL;
    size_t len = 0;
    cJSON *run = read_file(rj, &text, &len, &e) == 0 ? cJSON_ParseWithLength(text, len) : NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(run, "corpora")) {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(it, "path");
        if (nd < NMAX && cJSON_IsString(path) && *path->valuestring) {
            what_all[nd] = "a corpus folder that WORK/state/assemble/decisions/run.json names";
            dirs_all[nd++] = path->valuestring;
        }
    }
    int rc = 0;
    for (size_t i = 0; i < nd && !rc; i++) {
        if (!dirs_all[i]) continue;
        char rd[PATH_MAX];   /* also a folder not made yet: report would make it */
        if (path_resolve_lenient(dirs_all[i], rd, sizeof rd) == 0 && path_is_within(g.real, rd)) {
            snprintf(g.hit, sizeof g.hit, "%s", dirs_all[i]);
        } else if (!guard_walk(&g, dirs_all[i])) {
            continue;
        }
        if (g.exists && strcmp(g.hit, dirs_all[i]) && !is_dir(g.hit))
            fprintf(stderr, "blalm report: --out %s is the same file as %s, which the report reads (under %s %s); "
                            "refusing to overwrite it: write the page elsewhere, e.g. %s/report.html\n",
                    o->out, g.hit, what_all[i], dirs_all[i], w.work);
        else
            fprintf(stderr, "blalm report: --out %s lies inside %s (%s, the report's input%s); refusing to "
                            "write there: write the page elsewhere, e.g. %s/report.html\n",
                    o->out, g.hit, what_all[i], strcmp(g.hit, dirs_all[i]) ? ", through a link" : "", w.work);
        rc = 1;
    }
    cJSON_Delete(run);
    free(text);
    free(g.seen);
    return rc;
}

int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"work", required_argument, 0, 'w'}, {"corpora", required_argument, 0, 'c'},
        {"run", required_argument, 0, 'r'},  {"out", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},      {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    blalm_err e = {{0}};
    struct report_opts o = {.err = &e};
    int quiet = 0, ch;
    optind = 1;
    opterr = 0;
    while ((ch = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (ch) {
        case 'w': o.work = optarg; break;
        case 'c': o.corpora = optarg; break;
        case 'r': o.run = optarg; break;
        case 'o': o.out = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "report", opts, argv, optind);
        }
    }
    if (optind != argc) return cli_usage_error(usage, "report: unexpected argument '%s'", argv[optind]);
    if (!o.work) return cli_usage_error(usage, "report: --work is required");
    if (!o.out) return cli_usage_error(usage, "report: --out is required");
    if (!*o.out) return cli_usage_error(usage, "report: --out is empty; expected the HTML file to write");
    struct stat wst;
    if (stat(o.work, &wst) == 0 && !S_ISDIR(wst.st_mode)) {
        fprintf(stderr, "blalm report: --work %s is not a directory; expected the work directory (WORK/docs, "
                        "WORK/attributes, WORK/state)\n", o.work);
        return 1;
    }
    if (cli_check_out_file("report", o.out)) return 1;
    if (check_out_not_input(&o)) return 1;
    {
        /* on stderr too, as the other commands that walk WORK/docs say it */
        char docs[8192];
        snprintf(docs, sizeof docs, "%s/docs", o.work);
        cli_warn_skipped_docs("report", docs);
    }
    if (report_build(&o) < 0) {
        fprintf(stderr, "blalm report: %s\n", e.msg);
        return 1;
    }
    if (!quiet) fprintf(stderr, "blalm report: wrote %s\n", o.out);
    return 0;
}
