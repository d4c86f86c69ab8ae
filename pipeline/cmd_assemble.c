/* cmd_assemble.c - `blalm assemble`: word-budgeted BabyLM corpora. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpora/corpora.h"
#include "lib/cli.h"
#include "lib/docs.h"
#include "lib/err.h"
#include "lib/fsutil.h"
#include "lib/work.h"
#include "pipeline/env.h"

BLALM_COMMAND(assemble, "build word-budgeted STRICT / STRICT-SMALL corpora from documents and attributes")

static const char usage[] =
    "usage: blalm assemble --work WORK --out OUT [--config corpora.json] [options]\n"
    "\n"
    "Applies the selection rules to the documents in WORK/docs using the attribute\n"
    "sets in WORK/attributes, ranks the eligible pool, and fills each corpus's word\n"
    "budget with whole documents (a document larger than the words left is skipped\n"
    "and the next one tried). At most one document per id, exact-duplicate group\n"
    "(dedup.exact_group), near-duplicate cluster (dedup.cluster_id) and text: the\n"
    "best-ranked eligible member. Writes, per corpus, in the BabyLM layout:\n"
    "  OUT/<corpus>/train/<source>.train   documents separated by a blank line\n"
    "  OUT/<corpus>/dev/<source>.dev       held-out documents (outside the budget)\n"
    "  OUT/<corpus>/manifest.json          budget, words, files, sha256, rules, config hash\n"
    "  OUT/<corpus>/documents.jsonl.zst    key, id, file, offset, length, words, scores\n"
    "and every document's fate to WORK/state/assemble/decisions (see blalm audit).\n"
    "A word is what Python's str.split() separates.\n"
    "\n"
    "Every attribute set must cover every document file, with one configuration,\n"
    "and be made from the document files as they are now (each attribute file's\n"
    "<stem>.record.json holds the document file's size and content hash and the\n"
    "settings); otherwise assemble refuses, naming the set, the files and the\n"
    "command to rerun. Sets without any record (made by hand) are accepted as\n"
    "unrecorded; the manifest's \"attributes\" lists every set and its state.\n"
    "One assemble at a time per OUT (OUT/.lock) and per WORK (WORK/state/assemble/.lock):\n"
    "a second is refused, naming the first's pid.\n"
    "\n"
    "options:\n"
    "  --work WORK        work directory\n"
    "  --out OUT          where the corpora go\n"
    "  --config FILE      corpora config (JSON, below); without it, the defaults\n"
    "  --docs DIR         documents (default WORK/docs)\n"
    "  --attributes DIR   attribute sets (default WORK/attributes)\n"
    "  --track T          strict | strict-small: refuse any budget above the track limit\n"
    "  --mem SIZE         sort memory before spilling to disk (default 256M; k/M/G)\n"
    "  --allow-partial    use attribute sets that lack files for some documents (a\n"
    "                     killed tag, dedup or score run); the manifest says so\n"
    "  --quiet            no progress, no summary\n"
    "  --help\n"
    "\n"
    "defaults (no --config), over whichever attribute sets exist:\n"
    "  corpora  strict (100,000,000 words, dev 1,000,000) and strict-small\n"
    "           (10,000,000 words, dev 100,000), strict-small a subset of strict\n"
    "  rules    gopher_quality.pass, gopher_repetition.pass, c4.pass, fineweb.pass\n"
    "           (each set that exists), edu_llm.score >= 3 (if edu_llm exists)\n"
    "  ranking  edu_llm.score desc, then readability.flesch_reading_ease desc\n"
    "           (those that exist); ties and unranked pools in seeded random order\n"
    "  dedup    one document per id, dedup.exact_group, dedup.cluster_id and text\n"
    "\n"
    "config (unknown keys are errors):\n"
    "  {\"corpora\": [{\"name\": \"strict\", \"budget\": 100000000, \"dev_words\": 1000000,\n"
    "                \"track\": \"strict\"},\n"
    "               {\"name\": \"strict-small\", \"budget\": 10000000, \"subset_of\": \"strict\"}],\n"
    "   \"rules\": [\"gopher_quality.pass\", \"edu_llm.score >= 3\",\n"
    "             \"readability.flesch_reading_ease >= 30 && readability.flesch_reading_ease <= 100\"],\n"
    "   \"ranking\": [\"edu_llm.score desc\", \"readability.flesch_reading_ease desc\"],\n"
    "   \"sources\": {\"fineweb-edu\": {\"weight\": 0.8}, \"wiki\": {\"weight\": 0.2, \"max_words\": 5000000}},\n"
    "   \"seed\": 0, \"dedup\": true, \"cut_last\": false, \"text_field\": \"text\", \"id_field\": \"id\"}\n"
    "  A corpus named strict or strict-small gets that track (and its budget) unless\n"
    "  given; \"subset_of\": null makes strict-small independent. dev_words defaults to\n"
    "  1% of the budget; when the pool runs out and dev took as many words as\n"
    "  training or more, assemble refuses (lower dev_words). Rules are checked in\n"
    "  order; a document's fate names the first that excluded it. Weights split each\n"
    "  budget between sources (hard caps).\n"
    "  cut_last: cut the last document at a word boundary to fill the budget exactly.\n"
    "  seed, budget, dev_words and max_words are integers from 0 to 2^53 - 1.\n"
    "  A run config works as --config too: its \"corpora\" member (an object, where\n"
    "  this format's \"corpora\" is an array) is read; the rest of the file is not.\n";

int cmd_assemble(int argc, char **argv)
{
    static const struct option opts[] = {
        {"work", required_argument, 0, 'w'}, {"out", required_argument, 0, 'o'},
        {"config", required_argument, 0, 'c'}, {"docs", required_argument, 0, 'd'},
        {"attributes", required_argument, 0, 'a'}, {"track", required_argument, 0, 't'},
        {"mem", required_argument, 0, 'm'}, {"quiet", no_argument, 0, 'q'},
        {"allow-partial", no_argument, 0, 'P'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *work = NULL, *out = NULL, *config = NULL, *docs = NULL, *attrs = NULL,
               *track = NULL;
    unsigned long long mem = 256ULL << 20;
    int quiet = 0, allow_partial = 0, ch;
    optind = 1;
    opterr = 0;
    while ((ch = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (ch) {
        case 'w': work = optarg; break;
        case 'o': out = optarg; break;
        case 'c': config = optarg; break;
        case 'd': docs = optarg; break;
        case 'a': attrs = optarg; break;
        case 't': track = optarg; break;
        case 'm':
            switch (cli_parse_count(optarg, &mem)) {
            case -1:
                return cli_usage_error(usage, "assemble: --mem: expected a size in bytes such as 256M "
                                              "(suffix k, M or G), got '%s'", optarg);
            case -2:
                return cli_usage_error(usage, "assemble: --mem: '%s' is too large (more than 2^64 bytes)", optarg);
            }
            if (mem < 64000)
                return cli_usage_error(usage, "assemble: --mem: expected a size of at least 64k, got '%s'", optarg);
            break;
        case 'q': quiet = 1; break;
        case 'P': allow_partial = 1; break;
        case 'h': return cli_help(usage);
        default:
            return cli_option_error(usage, "assemble", opts, argv, optind);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "assemble: unexpected argument '%s'", argv[optind]);
    if (!work) return cli_usage_error(usage, "assemble: --work is required");
    if (!out) return cli_usage_error(usage, "assemble: --out is required");
    if (track && !track_words(track))
        return cli_usage_error(usage, "assemble: --track: expected strict or strict-small, got '%s'", track);
    if (cli_check_out_dirs("assemble", work, out)) return 1;

    blalm_err e = {{0}};
    work_dirs w;
    if (work_dirs_init(&w, work, docs, attrs, &e) < 0) {
        fprintf(stderr, "blalm assemble: %s\n", e.msg);
        return 1;
    }
    if (!is_dir(w.docs)) {   /* before the config's checks, which would blame the config */
        fprintf(stderr, "blalm assemble: %s: not a folder (expected the documents as %s/<source>/...)\n",
                w.docs, w.docs);
        return 1;
    }
    /* a tree of other files (part-0.json.gz) says so before the config's checks */
    if (docs_require_some(w.docs, &e) < 0) {
        fprintf(stderr, "blalm assemble: %s\n", e.msg);
        return 1;
    }
    {   /* corpora written under the docs root would be walked as documents next time */
        char ad[PATH_MAX], ao[PATH_MAX];
        if (path_resolve_lenient(w.docs, ad, sizeof ad) == 0 && path_resolve_lenient(out, ao, sizeof ao) == 0 &&
            path_is_within(ao, ad)) {
            fprintf(stderr, "blalm assemble: --out %s is inside the docs folder %s: the corpora would be read as "
                            "documents by the next command; write them elsewhere\n", out, w.docs);
            return 1;
        }
    }
    cli_warn_skipped_docs("assemble", w.docs);
    attr_schema *schema = schema_scan(w.attrs, &e);
    if (!schema) {
        fprintf(stderr, "blalm assemble: %s\n", e.msg);
        return 1;
    }
    corpora_config cfg;
    int rc = corpora_config_load(&cfg, config, schema, track, &e);
    schema_free(schema);
    if (rc < 0) {
        fprintf(stderr, "blalm assemble: %s\n", e.msg);
        return 1;
    }
    for (int k = 0; k < cfg.ncorpora; k++)
        if (corpora_subset_dev_orphan(&cfg, k))
            fprintf(stderr, "blalm assemble: warning: corpus \"%s\": dev_words %llu, but its parent \"%s\" has no "
                            "dev split (dev_words 0): a subset's dev documents are its parent's, so its dev split "
                            "will be empty\n", cfg.corpora[k].name, (unsigned long long)cfg.corpora[k].dev_words,
                    cfg.corpora[cfg.corpora[k].parent].name);
    assemble_opts o = {.work = work, .docs = docs, .attrs = attrs, .out = out,
                       .config = &cfg, .mem_bytes = (size_t)mem, .quiet = quiet,
                       .allow_partial = allow_partial,
                       .test_slow_write_us = env_test_slow_write_us()};
    prog_relay bars;
    env_prog_relay(quiet, PROG_BYTES, &bars);
    o.progress = prog_relay_fn;
    o.progress_arg = &bars;
    assemble_result r;
    rc = corpora_assemble(&o, &r, &e);
    prog_relay_end(&bars);
    if (rc < 0) {
        fprintf(stderr, "blalm assemble: %s\n", e.msg);
        corpora_config_free(&cfg);
        return 1;
    }
    /* dev_words but no dev document (the orphan subset was warned of above) */
    for (int k = 0; k < r.ncorpora; k++)
        if (r.corpora[k].dev_empty[0] && !corpora_subset_dev_orphan(&cfg, k))
            fprintf(stderr, "blalm assemble: warning: corpus \"%s\": %s\n", r.corpora[k].name, r.corpora[k].dev_empty);
    if (r.eligible_docs == 0)
        fprintf(stderr, "blalm assemble: warning: the corpora are empty: no document is eligible (none passed the rules or none has a word; %llu "
                        "documents in the pool, none eligible; the counts per rule are in %s/stats/assemble.json's "
                        "\"excluded\")\n", (unsigned long long)r.pool_docs, work);
    if (!quiet) {  /* one line: each corpus, then the pool and the cost */
        fprintf(stderr, "blalm assemble:");
        for (int k = 0; k < r.ncorpora; k++) {
            const corpus_result *c = &r.corpora[k];
            fprintf(stderr, " %s %llu/%llu words (%.2f%%) in %llu docs + dev %llu words in %llu docs%s;",
                    c->name, (unsigned long long)c->words, (unsigned long long)c->budget,
                    c->budget ? 100.0 * (double)c->words / (double)c->budget : 0.0,
                    (unsigned long long)c->docs, (unsigned long long)c->dev_words,
                    (unsigned long long)c->dev_docs,
                    !c->pool_short ? ""
                    : !r.eligible_docs ? " (no eligible document)"
                    : c->dev_words ? " (eligible pool smaller than the budget plus the dev split: every eligible "
                                     "document taken, split between train and dev as shown)"
                                   : " (eligible pool smaller than the budget: every eligible document taken)");
        }
        fprintf(stderr, " pool %llu docs, %llu words, %llu eligible; %.2fs, %.1f MB/s of text, peak memory %.1f MB, %d sort runs spilled\n",
                (unsigned long long)r.pool_docs, (unsigned long long)r.pool_words,
                (unsigned long long)r.eligible_docs, r.seconds,
                r.seconds > 0 ? (double)r.pool_bytes / 1e6 / r.seconds : 0.0,
                (double)r.peak_rss_kb / 1024.0, r.spilled_runs);
    }
    corpora_config_free(&cfg);
    return 0;
}
