/* cmd_tokenize.c - `blalm tokenize`: token shards for a corpus (trainer/tokshard.h). */
#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "corpora/corpora.h"
#include "lib/cli.h"
#include "lib/fsutil.h"
#include "lib/progress.h"
#include "pipeline/env.h"
#include "trainer/tokenize.h"
#include "trainer/tokenizer.h"

BLALM_COMMAND(tokenize, "write token shards (.tok/.idx) of a corpus for the trainer")

static const char usage[] =
    "usage: blalm tokenize --corpus DIR --tokenizer FILE --out DIR [--threads N] [--shard I/N]\n"
    "\n"
    "Encodes every split file of a BabyLM-layout corpus (DIR/train/*.train,\n"
    "DIR/dev/*.dev) into a token shard OUT/<split>/<file>.tok with its index\n"
    "OUT/<split>/<file>.idx (format: trainer/tokshard.h): uint16 tokens when the\n"
    "vocabulary fits, else uint32; per document its token offset, token count and\n"
    "word count (Python str.split); the sha256 of the tokenizer.json. Every\n"
    "document ends with <|endoftext|>; text inside a document that spells a\n"
    "special token is encoded as ordinary text.\n"
    "\n"
    "Document boundaries come from DIR/documents.jsonl.zst (byte offset and length\n"
    "of each document in its file). Without it, documents are taken to be\n"
    "separated by blank lines, which splits documents that hold blank lines of\n"
    "their own; a warning says so. OUT/tokens.json summarises the shards once all\n"
    "are done. A rerun skips shards finished before (completion markers in\n"
    "OUT/state/tokenize/: same tokenizer, same bytes of the source file and of\n"
    "its documents' list; a touched but unchanged file stays done) unless --force.\n"
    "\n"
    "Sharding: worker I of N encodes the split files whose index (train files\n"
    "sorted, then dev files sorted) is I modulo N; I/N comes from --shard, else a\n"
    "Slurm array (SLURM_ARRAY_TASK_ID/MIN/COUNT), else Open MPI\n"
    "(OMPI_COMM_WORLD_RANK/SIZE). The worker that finds every shard done writes\n"
    "tokens.json; N workers leave the same bytes as one. blalm train --tokens OUT\n"
    "trains from these shards.\n"
    "\n"
    "options:\n"
    "  --corpus DIR       the corpus (BabyLM layout)\n"
    "  --tokenizer FILE   tokenizer.json or tokenizer.bin (blalm tokenizer train)\n"
    "  --out DIR          where the shards go\n"
    "  --threads N        threads encoding each file's documents (default: the number of\n"
    "                     cores); any N writes the same bytes\n"
    "  --force            redo shards that an earlier run finished\n"
    "  --shard I/N        encode only this worker's files (0 <= I < N)\n"
    "  -q, --quiet        no progress or summary\n"
    "  -h, --help         this help\n";

typedef struct prog_ctx {
    progress *pg;
    int quiet;
} prog_ctx;

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
    prog_ctx *p = arg;
    if (!p->pg) p->pg = prog_start("tokenize", total, PROG_BYTES, p->quiet);
    prog_update(p->pg, done);
}

static void on_warn(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "blalm tokenize: warning: %s\n", msg);
}

int cmd_tokenize(int argc, char **argv)
{
    static const struct option opts[] = {
        {"corpus", required_argument, 0, 'c'},
        {"tokenizer", required_argument, 0, 't'},
        {"out", required_argument, 0, 'o'},
        {"threads", required_argument, 0, 'j'},
        {"force", no_argument, 0, 'f'},
        {"shard", required_argument, 0, 's'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *corpus = NULL, *tokpath = NULL, *out = NULL, *shard_flag = NULL;
    unsigned long long threads = 0;
    int quiet = 0, force = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 'c': corpus = optarg; break;
        case 't': tokpath = optarg; break;
        case 'o': out = optarg; break;
        case 'j':
            if (cli_parse_count(optarg, &threads) != 0 || threads == 0 || threads > 1024)
                return cli_usage_error(usage, "tokenize: --threads: expected 1 to 1024, got '%s'", optarg);
            break;
        case 'f': force = 1; break;
        case 's': shard_flag = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "tokenize", opts, argv, optind);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "tokenize: unexpected argument '%s'", argv[optind]);
    if (!corpus || !tokpath || !out)
        return cli_usage_error(usage, "tokenize: --corpus, --tokenizer and --out are required");
    if (cli_check_out_dirs("tokenize", out, NULL)) return 1;
    tokenize_opts o = {0};
    if (env_resolve_shard("tokenize", shard_flag, &o.shard) != 0) return 2;
    double t0 = now_seconds();
    blalm_err e;
    if (corpora_check_readable(corpus, &e) < 0) {
        fprintf(stderr, "blalm tokenize: %s\n", e.msg);
        return 1;
    }
    bpe_tokenizer *t = bpe_load(tokpath, &e);
    if (!t) {
        fprintf(stderr, "blalm tokenize: %s\n", e.msg);
        return 1;
    }
    if (bpe_eot_id(t) == BPE_NO_ID) {
        fprintf(stderr, "blalm tokenize: %s: the tokenizer has no %s token to end documents with\n", tokpath, BPE_EOT);
        bpe_free(t);
        return 1;
    }
    o.corpus = corpus;
    o.tok = t;
    o.tokenizer_name = tokpath;
    o.out = out;
    o.threads = threads ? (int)threads : omp_get_num_procs();
    o.force = force;
    o.warn = quiet ? NULL : on_warn;
    prog_ctx pc = {NULL, quiet};
    tokenize_counts n;
    int rc = tokenize_run(&o, &n, on_progress, &pc, &e);
    if (pc.pg) prog_end(pc.pg);
    bpe_free(t);
    if (rc != 0) {
        fprintf(stderr, "blalm tokenize: %s\n", e.msg);
        return 1;
    }
    if (n.word_mismatch && !quiet)
        fprintf(stderr, "blalm tokenize: warning: %llu documents' word counts differ from documents.jsonl.zst; "
                "the shards hold the recounted (str.split) values\n", (unsigned long long)n.word_mismatch);
    if (!quiet) {
        double dt = now_seconds() - t0;
        char part[96] = "";
        if (o.shard.count > 1)
            snprintf(part, sizeof part, " (shard %d/%d: %zu of %zu files; %s)", o.shard.index, o.shard.count,
                     n.files_mine, n.files, n.manifest_written ? "all shards done" : "tokens.json waits for the other shards");
        fprintf(stderr, "blalm tokenize: %zu file%s (%zu done before)%s, %llu documents, %llu words, %.1f MB -> %llu tokens "
                "(%.2f tokens/word), %.1fs -> %s\n", n.files_mine, n.files_mine == 1 ? "" : "s", n.files_done_before, part,
                (unsigned long long)n.docs, (unsigned long long)n.words, n.bytes / 1e6, (unsigned long long)n.tokens,
                n.words ? (double)n.tokens / n.words : 0.0, dt, out);
    }
    return 0;
}
