/* cmd_audit.c - `blalm audit`: why a document is (not) in a corpus. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpora/corpora.h"
#include "lib/cli.h"
#include "lib/err.h"
#include "lib/work.h"
#include "pipeline/env.h"

BLALM_COMMAND(audit, "show a document's locations, attributes and fate; export all for SQL")

static const char usage[] =
    "usage: blalm audit --work WORK ID\n"
    "       blalm audit --work WORK --export FILE.{jsonl.zst,jsonl,parquet}\n"
    "\n"
    "With an ID: prints, for each document with that id (ids may repeat), its\n"
    "source, file and row, the start of its text, every attribute of every set in\n"
    "WORK/attributes, and its fate from the last blalm assemble: the corpus and\n"
    "split it went to, or the first rule that excluded it (with the values the rule\n"
    "read), or \"budget full\" with its rank, or the duplicate that took its place.\n"
    "\n"
    "With --export: one row per document: source, path, row, id, words, bytes,\n"
    "eligible, excluded_by, excluded_by_index, rank; for each corpus fate.<corpus>\n"
    "(the fate as audit ID prints it) and outcome.<corpus> (its kind: train, dev,\n"
    "excluded, duplicate, budget_full, dev_budget_full, quota_full, not_in_parent);\n"
    "and every attribute flattened to a column \"<set>.<key>\", e.g. in DuckDB:\n"
    "  SELECT \"outcome.strict\", count(*) FROM read_parquet('audit.parquet') GROUP BY 1;\n"
    "\n"
    "options:\n"
    "  --work WORK        work directory\n"
    "  --docs DIR         documents (default WORK/docs)\n"
    "  --attributes DIR   attribute sets (default WORK/attributes)\n"
    "  --export FILE      write every document (.jsonl.zst, .jsonl or .parquet)\n"
    "  --chars N          bytes of text to show, 1 to 1000000 (default 300)\n"
    "  --quiet            no progress, no summary\n"
    "  --help\n";

int cmd_audit(int argc, char **argv)
{
    static const struct option opts[] = {
        {"work", required_argument, 0, 'w'}, {"docs", required_argument, 0, 'd'},
        {"attributes", required_argument, 0, 'a'}, {"export", required_argument, 0, 'x'},
        {"chars", required_argument, 0, 'c'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    audit_opts o = {0};
    unsigned long long chars = 300;
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (ch) {
        case 'w': o.work = optarg; break;
        case 'd': o.docs = optarg; break;
        case 'a': o.attrs = optarg; break;
        case 'x': o.export_path = optarg; break;
        case 'c':
            if (cli_parse_count(optarg, &chars) < 0 || chars < 1 || chars > 1000000)   /* 0 meant the default */
                return cli_usage_error(usage, "audit: --chars: expected a count in 1..1000000, got '%s'", optarg);
            break;
        case 'q': o.quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "audit", opts, argv, optind);
        }
    }
    o.text_chars = (int)chars;
    if (!o.work) return cli_usage_error(usage, "audit: --work is required");
    if (o.export_path) {
        if (optind != argc) return cli_usage_error(usage, "audit: --export takes no ID");
    } else {
        if (optind != argc - 1) return cli_usage_error(usage, "audit: expected one ID (or --export FILE)");
        o.id = argv[optind];
    }
    if (cli_check_out_file("audit", o.export_path)) return 1;
    blalm_err e = {{0}};
    work_dirs w;
    if (work_dirs_init(&w, o.work, o.docs, o.attrs, &e) == 0) cli_warn_skipped_docs("audit", w.docs);
    prog_relay bars;
    env_prog_relay(o.quiet, PROG_COUNT, &bars);
    o.progress = prog_relay_fn;
    o.progress_arg = &bars;
    long n = corpora_audit(&o, stdout, &e);
    prog_relay_end(&bars);
    if (n < 0) {
        fprintf(stderr, "blalm audit: %s\n", e.msg);
        return 1;
    }
    if (o.export_path) {
        if (!o.quiet) fprintf(stderr, "blalm audit: exported %ld documents to %s\n", n, o.export_path);
        return 0;
    }
    if (n == 0) {
        fprintf(stderr, "blalm audit: no document with id \"%s\" under %s\n", o.id, o.work);
        return 1;
    }
    if (!o.quiet) fprintf(stderr, "blalm audit: %ld location%s of id \"%s\"\n", n, n == 1 ? "" : "s", o.id);
    return 0;
}
