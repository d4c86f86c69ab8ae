/* cmd_verify.c - `blalm verify`: a corpus checked against its manifest. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpora/corpora.h"
#include "lib/cli.h"
#include "lib/err.h"

BLALM_COMMAND(verify, "check a corpus: words recounted, budget, checksums, ids, manifest")

static const char usage[] =
    "usage: blalm verify OUT/<corpus> [--track strict|strict-small] [--allow-partial] [--quiet]\n"
    "\n"
    "Recounts every word of every train/ and dev/ file (Python str.split()), checks\n"
    "the training split against the budget (and the track's limit: 100,000,000 words\n"
    "for strict, 10,000,000 for strict-small), recomputes every sha256, locates and\n"
    "recounts every document of documents.jsonl.zst, and checks that no id appears\n"
    "twice or in both train and dev, that no text is in both train and dev (by\n"
    "content, whatever its id) nor, when the manifest records one_text_per_split\n"
    "(assemble with dedup on), twice in one split (a manifest of an older blalm,\n"
    "without that key, gets a note for such repeats), that every file is valid\n"
    "UTF-8, that manifest.json parses strictly (no trailing text, no repeated\n"
    "key), and that the folder holds only manifest.json, documents.jsonl.zst,\n"
    "train/, dev/ and the files the manifest lists.\n"
    "Without --track, the track is the manifest's, or, when it records none, the\n"
    "one a corpus named strict or strict-small is held to; a folder named strict\n"
    "or strict-small is held to that track when it is the stricter. The summary\n"
    "names the track checked and where it came from, or says that no BabyLM track\n"
    "was.\n"
    "Exit 0 with a one-line summary on stdout; otherwise exit 1 with each problem on\n"
    "stderr. A corpus whose assembly was killed has no folder, and fails.\n"
    "The manifest must record the attribute sets the corpus was made from\n"
    "(\"attributes\"); a corpus assembled with --allow-partial (sets lacking files)\n"
    "fails unless --allow-partial is given here too.\n"
    "It checks the corpus against itself and its manifest, not against the\n"
    "documents and attribute sets it was made from: to check that, assemble again\n"
    "from the manifest's \"config\" and compare (see README).\n"
    "\n"
    "options:\n"
    "  --track T          strict or strict-small: the track to hold the corpus to\n"
    "  --allow-partial    accept a corpus assembled with --allow-partial\n"
    "  -q, --quiet        no summary line and no note (problems are still printed)\n"
    "  -h, --help         this help\n";

int cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {{"track", required_argument, 0, 't'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"allow-partial", no_argument, 0, 'P'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *track = NULL;
    int quiet = 0, allow_partial = 0, ch;
    optind = 1;
    opterr = 0;
    while ((ch = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (ch) {
        case 't': track = optarg; break;
        case 'q': quiet = 1; break;
        case 'P': allow_partial = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "verify", opts, argv, optind);
        }
    }
    if (optind != argc - 1) return cli_usage_error(usage, "verify: expected one corpus folder");
    if (track && !track_words(track))
        return cli_usage_error(usage, "verify: --track: expected strict or strict-small, got '%s'", track);
    const char *dir = argv[optind];
    blalm_err e = {{0}};
    verify_result r;
    char *problems = NULL;
    int n = corpora_verify(dir, track, &r, &problems, &e);
    if (n < 0) {
        fprintf(stderr, "blalm verify: %s: %s\n", dir, e.msg);
        free(problems);
        return 1;
    }
    if (n > 0) {
        for (char *line = strtok(problems, "\n"); line; line = strtok(NULL, "\n"))
            fprintf(stderr, "blalm verify: %s: %s\n", dir, line);
        fprintf(stderr, "blalm verify: %s: FAILED with %d problem%s\n", dir, n, n == 1 ? "" : "s");
        free(problems);
        return 1;
    }
    free(problems);
    if (r.partial && !allow_partial) {
        fprintf(stderr, "blalm verify: %s: FAILED: assembled with --allow-partial (some attribute "
                        "sets lacked files; see \"attributes\" in manifest.json); pass --allow-partial "
                        "to accept that\n", dir);
        return 1;
    }
    /* the track checked, from --track, the manifest or the corpus name, or
     * that none was: an OK without a track is no BabyLM compliance */
    char tr[96];
    if (r.track[0])
        snprintf(tr, sizeof tr, ", track %s (%s)", r.track,
                 track ? "--track" : r.track_by_name == 2 ? "its folder's name" : r.track_by_name ? "its corpus name" : "its manifest");
    else
        snprintf(tr, sizeof tr, ", no BabyLM track checked");
    if (!quiet && r.note[0]) fprintf(stderr, "blalm verify: %s: note: %s\n", dir, r.note);
    if (!quiet)
        printf("blalm verify: %s: OK: %llu words <= budget %llu%s, %llu train + %llu dev documents "
               "(%llu dev words), %llu files, checksums match, no repeated ids\n",
               dir, (unsigned long long)r.words, (unsigned long long)r.budget, tr, (unsigned long long)r.docs,
               (unsigned long long)r.dev_docs, (unsigned long long)r.dev_words,
               (unsigned long long)r.files);
    return 0;
}
