/* cmd_report.c - `blalm report`: one HTML page showing what a job did. */
#include <getopt.h>
#include <stdio.h>

#include "lib/cli.h"
#include "lib/err.h"
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
    "  --out FILE      the HTML file to write\n"
    "  --quiet         no summary line\n"
    "  --help\n";

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
    while ((ch = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
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
    if (cli_check_out_file("report", o.out)) return 1;
    if (report_build(&o) < 0) {
        fprintf(stderr, "blalm report: %s\n", e.msg);
        return 1;
    }
    if (!quiet) fprintf(stderr, "blalm report: wrote %s\n", o.out);
    return 0;
}
