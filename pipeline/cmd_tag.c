/* cmd_tag.c - `blalm tag`: readability and quality measurements for every
 * document, written as attribute files line-aligned with the documents (the
 * stage itself is filters/tag.c). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/readability.h"
#include "filters/tag.h"
#include "lib/cli.h"
#include "lib/err.h"
#include "lib/fsutil.h"
#include "lib/work.h"
#include "lib/progress.h"
#include "lib/utf8.h"
#include "pipeline/env.h"

BLALM_COMMAND(tag, "measure readability and Gopher/C4/FineWeb quality of every document")

static const char usage[] =
    "usage: blalm tag --work WORK [--taggers LIST] [--docs DIR] [--out DIR]\n"
    "                 [--config FILE] [--cmudict FILE|none] [--shard I/N] [--force]\n"
    "                 [--quiet]\n"
    "       blalm tag --syllables [--cmudict FILE|none] < words.txt\n"
    "\n"
    "Measures every document under WORK/docs (or --docs) and writes, for each\n"
    "document file and attribute set, WORK/attributes/<set>/<file>.jsonl.zst with\n"
    "one line {\"id\":...,\"<set>\":{...}} per document, in document order. Tagging\n"
    "drops nothing; thresholds only decide the recorded pass/reason.\n"
    "\n"
    "taggers (--taggers, comma-separated; default the --config's taggers, else all):\n"
    "  readability  set readability: words, sentences, syllables, letters,\n"
    "               polysyllables, difficult_words, fog_difficult_words,\n"
    "               characters, tokens, flesch_reading_ease,\n"
    "               flesch_kincaid_grade, automated_readability_index,\n"
    "               coleman_liau_index, smog_index, gunning_fog, dale_chall,\n"
    "               invalid_utf8\n"
    "  gopher       sets gopher_quality and gopher_repetition (datatrove's rules)\n"
    "  c4           set c4: datatrove's C4QualityFilter verdict, with and without\n"
    "               the terminal-punctuation rule, fraction of lines/chars kept\n"
    "  fineweb      set fineweb: datatrove's FineWebQualityFilter ratios\n"
    "\n"
    "definitions (readability), as textstat 0.7.11 (\\w: a Unicode letter or number, or _):\n"
    "  core       a token's \\w code points and its apostrophes that precede t/s/d/ve/ll/re\n"
    "             as written (textstat's remove_punctuation), lowercased afterwards\n"
    "  word       a whitespace-separated token holding a \\w code point\n"
    "  letters    \\w code points; characters: non-whitespace code points; tokens\n"
    "  syllables  CMUdict first (stressed phonemes of the core's first pronunciation),\n"
    "             else hyphenation points + 1 of the core as pyphen counts them with\n"
    "             hyph_en_US.dic (left 2, right 2)\n"
    "  sentence   textstat's re.findall(r\"\\b[^.!?]+[.!?]*\"): a segment runs from a \\w\n"
    "             to the end of the next run of . ! ?; segments of <= 2 words are no\n"
    "             sentences; a non-empty text has >= 1\n"
    "  difficult  a word not on textstat's easy-word list (New Dale-Chall, no\n"
    "             inflections); fog_difficult_words: those of >= 3 syllables\n"
    "  no words   every score 0; smog_index 3.1291 for a non-empty text (textstat)\n"
    "pronouncing dictionary: --cmudict FILE, else the config's readability.cmudict,\n"
    "  else $BLALM_CMUDICT, else the copy scripts/deps.sh installs (CMUdict 0.7a,\n"
    "  npm cmudict, NLTK's edition); none found: a warning, pyphen alone. The method\n"
    "  is recorded in the completion markers and WORK/stats/tag.json. Its parsed\n"
    "  table is cached in $BLALM_CACHE_DIR ('none': no cache), else\n"
    "  $XDG_CACHE_HOME/blalm, else ~/.cache/blalm (keyed by the file's bytes).\n"
    "definitions (quality): as datatrove 0.10 with English words split by spaCy's\n"
    "  tokenizer rules (reimplemented); a ratio whose denominator is 0 is 0.\n"
    "\n"
    "options:\n"
    "  --work WORK      work directory (docs in WORK/docs, output in WORK/attributes)\n"
    "  --docs DIR       read documents from DIR instead\n"
    "  --out DIR        write attribute sets under DIR instead\n"
    "  --config FILE    JSON thresholds: {\"readability\":{\"hyphen_dic\":PATH,\n"
    "                   \"cmudict\":PATH},\n"
    "                   \"gopher_quality\":{...},\"gopher_repetition\":{...},\"c4\":{...},\n"
    "                   \"fineweb\":{...},\"taggers\":[...]} with datatrove's parameter\n"
    "                   names; a \"tag\" member, when present, is used instead of\n"
    "                   the whole file (a run config); taggers (an array, as in\n"
    "                   the run config) applies when --taggers is not given;\n"
    "                   null disables a Gopher rule; top_n_grams/dup_n_grams as\n"
    "                   [[n, frac], ...] (n 2-4 / 5-10, increasing; an n not listed\n"
    "                   is off) or top_2_gram..duplicated_10_n_grams; stop_words a\n"
    "                   list of strings; unknown keys are errors\n"
    "  --cmudict FILE   the CMU Pronouncing Dictionary (cmudict text, NLTK's\n"
    "                   corpora/cmudict/cmudict or npm cmu-pronouncing-dictionary's\n"
    "                   index.js); 'none': syllables by pyphen alone\n"
    "  --shard I/N      process only document files with index % N == I (files in\n"
    "                   path order); without it SLURM_ARRAY_TASK_ID/MIN/COUNT, else\n"
    "                   OMPI_COMM_WORLD_RANK/SIZE\n"
    "  --force          recompute files whose completion markers exist\n"
    "  --syllables      read words (one per line) on stdin, print their syllables\n"
    "                   (the dictionary, else pyphen; each word as given, lowercased)\n"
    "  --quiet          no progress and no summary\n"
    "  --help           this text\n"
    "\n"
    "Invalid UTF-8 in a text is an error naming the file and the line or row (the\n"
    "readers refuse it, as Python's json and pyarrow do); readability.invalid_utf8 is\n"
    "kept for the set's layout and is 0.\n"
    "Memory: each tagger needs at most about 10 bytes per byte of the largest\n"
    "document's text (README: \"Measuring documents\").\n"
    "Completion markers: WORK/state/tag/<set>/<file>.done, keyed by the document\n"
    "file (size, xxh3 of its bytes) and every setting that changes the set; beside\n"
    "each attribute file, <stem>.record.json records the document file it was made\n"
    "from (size, mtime, xxh3 of its bytes), the settings and the command. A rerun\n"
    "with the same settings skips finished files whose document file is unchanged.\n"
    "Run statistics:\n"
    "WORK/stats/tag.json (tag-I-of-N.json when sharded).\n";

/* ---- the pronouncing dictionary ---- */

/* The dictionary named by --cmudict or the config, else $BLALM_CMUDICT or the
 * first default copy that exists (env_cmudict_default); NULL for "none" or when
 * none is found (a warning unless quiet: syllables by pyphen alone). */
static const char *choose_cmudict(const char *flag, const char *cfg, int quiet)
{
    const char *named = flag ? flag : cfg;
    if (named && !*named) named = NULL;
    if (named) return strcmp(named, "none") ? named : NULL;
    const char *env = env_cmudict();
    if (env && !strcmp(env, "none")) return NULL;
    const char *d = env_cmudict_default();
    if (!d && !quiet)
        fprintf(stderr, "blalm tag: warning: no CMU Pronouncing Dictionary found (run "
                        "scripts/deps.sh, or pass --cmudict FILE); syllables by pyphen alone, "
                        "so readability scores differ from textstat's\n");
    return d;
}

/* ---- --syllables ---- */

static int run_syllables(const char *dic, const char *cmudict_flag, const char *cmudict_cfg)
{
    blalm_err e;
    readability_ctx *rc = readability_new(dic, &e);
    if (!rc) {
        fprintf(stderr, "blalm tag: %s\n", e.msg);
        return 1;
    }
    const char *cmudict = choose_cmudict(cmudict_flag, cmudict_cfg, 0);
    if (readability_set_cache_dir(rc, env_cache_dir()) < 0) {
        fprintf(stderr, "blalm tag: out of memory\n");
        readability_free(rc);
        return 1;
    }
    if (cmudict && readability_load_cmudict(rc, cmudict, &e) < 0) {
        fprintf(stderr, "blalm tag: %s\n", e.msg);
        readability_free(rc);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    size_t lineno = 0, bad;
    int status = 0;
    while ((n = getline(&line, &cap, stdin)) >= 0 && !ferror(stdout)) {
        lineno++;
        if (n && line[n - 1] == '\n') n--;
        /* the documents' readers refuse invalid UTF-8; so does this */
        if (!utf8_valid(line, (size_t)n, &bad)) {
            fflush(stdout);
            fprintf(stderr, "blalm tag: stdin:%zu: byte %zu: invalid UTF-8 (a word is UTF-8 text)\n",
                    lineno, bad + 1);
            status = 1;
            break;
        }
        printf("%d\n", readability_syllables(rc, line, (size_t)n));
    }
    free(line);
    readability_free(rc);
    /* a full disk or /dev/full: say so, as every command does (pipeline/main.c) */
    int fl = fflush(stdout), err = errno;
    if (fl != 0 || ferror(stdout)) {
        fprintf(stderr, "blalm tag: write error on stdout%s%s\n", fl ? ": " : "", fl ? strerror(err) : "");
        return 1;
    }
    return status;
}

int cmd_tag(int argc, char **argv)
{
    static const struct option opts[] = {
        {"work", required_argument, 0, 'w'},   {"docs", required_argument, 0, 'd'},
        {"out", required_argument, 0, 'o'},    {"config", required_argument, 0, 'c'},
        {"taggers", required_argument, 0, 't'}, {"shard", required_argument, 0, 's'},
        {"force", no_argument, 0, 'f'},        {"quiet", no_argument, 0, 'q'},
        {"syllables", no_argument, 0, 'y'},    {"help", no_argument, 0, 'h'},
        {"cmudict", required_argument, 0, 'm'},
        {0, 0, 0, 0}};
    const char *work = NULL, *docs = NULL, *out = NULL, *config = NULL, *cmudict_flag = NULL;
    const char *taggers = NULL, *shard_flag = NULL;   /* no --taggers: the config's, else all */
    int force = 0, quiet = 0, syllables = 0, c, si, sn;
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 'w': work = optarg; break;
        case 'd': docs = optarg; break;
        case 'o': out = optarg; break;
        case 'c': config = optarg; break;
        case 't': taggers = optarg; break;
        case 's':
            if (cli_parse_shard(optarg, &si, &sn) < 0)
                return cli_usage_error(usage, "tag: --shard expects I/N with 0 <= I < N, got '%s'",
                                       optarg);
            shard_flag = optarg;
            break;
        case 'f': force = 1; break;
        case 'q': quiet = 1; break;
        case 'y': syllables = 1; break;
        case 'm': cmudict_flag = optarg; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "tag", opts, argv, optind);
        }
    }
    if (optind < argc)
        return cli_usage_error(usage, "tag: unexpected argument '%s'", argv[optind]);
    int mask = TAG_ALL;
    char bad[256] = "";
    if (taggers && tag_parse_taggers(taggers, &mask, bad, sizeof bad) < 0)
        return cli_usage_error(usage,
                               "tag: unknown tagger '%s' (known taggers: readability, gopher, "
                               "c4, fineweb)",
                               bad);
    if (cli_check_out_dirs("tag", work, out)) return 1;
    blalm_err e;
    tag_config cfg;
    if (tag_config_load(config, &cfg, &e) < 0) {
        fprintf(stderr, "blalm tag: %s\n", e.msg);
        tag_config_free(&cfg);
        return 1;
    }
    if (!taggers && cfg.taggers) mask = cfg.taggers;
    const char *dic = cfg.hyphen_dic ? cfg.hyphen_dic : env_hyphen_dic();
    if (syllables) {
        int rc = run_syllables(dic, cmudict_flag, cfg.cmudict);
        tag_config_free(&cfg);
        return rc;
    }
    work_dirs wd;
    if (work_dirs_init(&wd, work, docs, out, &e) < 0) {
        tag_config_free(&cfg);
        return cli_usage_error(usage, "tag: %s", e.msg);
    }
    tag_opts o = {.docs = wd.docs, .attrs = wd.attrs, .taggers = mask,
                  .quality = &cfg.quality, .hyphen_dic = dic, .config_path = config,
                  .stop_words = cfg.stop_words, .n_stop_words = cfg.n_stop_words,
                  .cache_dir = env_cache_dir(), .force = force};
    if (env_resolve_shard("tag", shard_flag, &o.shard) < 0) {
        tag_config_free(&cfg);
        return 2;   /* bad usage, as a bad --shard */
    }
    char stats[8400], suffix[64];
    shard_suffix(&o.shard, suffix, sizeof suffix);
    if (wd.work[0]) {
        o.state = wd.state;
        snprintf(stats, sizeof stats, "%s/tag%s.json", wd.stats, suffix);
        o.stats = stats;
    }
    if (mask & TAG_READABILITY) o.cmudict = choose_cmudict(cmudict_flag, cfg.cmudict, quiet);
    prog_relay bars;
    env_prog_relay(quiet, PROG_BYTES, &bars);
    tag_counts tot;
    cli_warn_skipped_docs("tag", wd.docs);
    int rc = tag_run(&o, &tot, prog_relay_fn, &bars, &e);
    prog_relay_end(&bars);
    tag_config_free(&cfg);
    if (rc < 0) {
        fprintf(stderr, "blalm tag: %s\n", e.msg);
        return 1;
    }
    if (!quiet)
        fprintf(stderr, "blalm tag: %llu documents in %llu files (%llu skipped as done), "
                        "%.1f MB of text in %.1f s (%.2f MB/s)\n",
                (unsigned long long)tot.docs, (unsigned long long)tot.files,
                (unsigned long long)tot.files_skipped, tot.bytes / 1e6, tot.seconds,
                tot.seconds > 0 ? tot.bytes / 1e6 / tot.seconds : 0.0);
    return 0;
}
