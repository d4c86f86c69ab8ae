/* cmd_shard.c - `blalm shard`: rewrite documents as rotating .jsonl.zst shards. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/cli.h"
#include "lib/docs.h"
#include "lib/progress.h"
#include "lib/utf8.h"

BLALM_COMMAND(shard, "rewrite documents of any supported format as .jsonl.zst shards")

static const char usage[] =
    "usage: blalm shard --out DIR [options] FILE...\n"
    "\n"
    "Reads every document of the input files (jsonl, jsonl.gz, jsonl.zst,\n"
    "parquet; chosen by content) in order and writes them to\n"
    "DIR/PREFIX-00000.jsonl.zst, DIR/PREFIX-00001.jsonl.zst, ... starting a new\n"
    "shard when one holds --max-bytes of uncompressed JSON. The run is atomic:\n"
    "shards are written into a hidden folder in DIR and moved into place only\n"
    "when every input has been read, so a failed or killed run leaves DIR as it\n"
    "was. The shards of an earlier run with the same prefix are replaced as a\n"
    "set: none of them stays beside the new ones. An input that is one of the\n"
    "shards the run would replace is refused.\n"
    "Use it to lay out WORK/docs/<source>/ for the other stages.\n"
    "\n"
    "options:\n"
    "  --out DIR           output folder (created)\n"
    "  --prefix NAME       shard name prefix (default: shard); not empty, no '/',\n"
    "                      not starting with '.' (hidden names are skipped)\n"
    "  --max-bytes N       rotate after N bytes of JSON (default 256M; k/M/G\n"
    "                      suffixes); 0: never rotate, one shard\n"
    "  --level N           zstd level (default 3)\n"
    "  --source NAME       source for documents that have none\n"
    "  --text-field NAME   field holding the text (default: text)\n"
    "  --id-field NAME     field holding the id (default: id); documents without\n"
    "                      one get \"<file stem>/<row>\", or, where two inputs\n"
    "                      have the same file name (a/part-0.jsonl,\n"
    "                      b/part-0.jsonl), \"<path without extension>/<row>\"\n"
    "  -q, --quiet         no progress output\n"
    "  -h, --help          this help\n";

int cmd_shard(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},   {"prefix", required_argument, 0, 'p'},
        {"max-bytes", required_argument, 0, 'm'}, {"level", required_argument, 0, 'l'},
        {"source", required_argument, 0, 's'}, {"text-field", required_argument, 0, 't'},
        {"id-field", required_argument, 0, 'i'}, {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},        {0, 0, 0, 0},
    };
    doc_opts o = {0};
    const char *out = NULL, *prefix = "shard";
    unsigned long long max_bytes = 256000000ull, level = 3;
    int quiet = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'p': prefix = optarg; break;
        case 'm':
            if (cli_parse_count(optarg, &max_bytes) < 0)
                return cli_usage_error(usage, "shard: --max-bytes: expected a count like 64M, got '%s'", optarg);
            break;
        case 'l':
            if (cli_parse_count(optarg, &level) < 0 || level < 1 || level > 19)
                return cli_usage_error(usage, "shard: --level: expected 1..19, got '%s'", optarg);
            break;
        case 's': {
            size_t bad;
            if (!utf8_valid(optarg, strlen(optarg), &bad))
                return cli_usage_error(usage, "shard: --source: not valid UTF-8 (byte \\x%02x at offset %zu): a "
                                              "source is JSON text, which must be UTF-8",
                                       (unsigned char)optarg[bad], bad);
            o.default_source = optarg;
            break;
        }
        case 't': o.text_field = optarg; break;
        case 'i': o.id_field = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "shard", opts, argv, optind);
        }
    }
    if (!out) return cli_usage_error(usage, "shard: --out DIR is required");
    if (optind >= argc) return cli_usage_error(usage, "shard: no input files");
    if (strchr(prefix, '/')) return cli_usage_error(usage, "shard: --prefix must not contain '/'");
    /* the other stages skip hidden names: '.x' shards would be read by none of
     * them; '' would name the shards "-00000.jsonl.zst" */
    if (!*prefix) return cli_usage_error(usage, "shard: --prefix must not be empty");
    if (prefix[0] == '.')
        return cli_usage_error(usage, "shard: --prefix '%s' starts with '.': the shards would be hidden, and "
                                      "every stage skips hidden files", prefix);
    if (cli_check_out_dirs("shard", out, NULL)) return 1;
    uint64_t total_bytes = 0;
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0) total_bytes += (uint64_t)st.st_size;
    }
    /* inputs with the same file name get ids from their paths ("part-0/0"
     * from two folders would be one document to dedup); a file name that
     * would be the default source is refused before any output, one that
     * would be generated ids at the first document without an id */
    blalm_err err;
    char **stems;
    if (doc_inputs_prepare(argv + optind, argc - optind, !o.default_source, &stems, &err) < 0) {
        fprintf(stderr, "blalm shard: %s\n", err.msg);
        return 1;
    }
    doc_writer *w = docw_open(out, prefix, max_bytes, (int)level, &err);
    if (!w) {
        doc_id_stems_free(stems, argc - optind);
        fprintf(stderr, "blalm shard: %s\n", err.msg);
        return 1;
    }
    for (int i = optind; i < argc; i++) {
        if (docw_check_input(w, argv[i], &err) < 0) {
            docw_abort(w);
            doc_id_stems_free(stems, argc - optind);
            fprintf(stderr, "blalm shard: %s\n", err.msg);
            return 1;
        }
    }
    progress *pg = prog_start("shard", (uint64_t)(argc - optind), PROG_COUNT, quiet);
    unsigned long long docs = 0;
    for (int i = optind; i < argc; i++) {
        doc_opts oi = o;
        if (stems[i - optind]) oi.id_stem = stems[i - optind];
        doc_reader *r = doc_open(argv[i], &oi, &err);
        int rc = r ? 0 : -1;
        blalm_doc d;
        while (r && (rc = doc_next(r, &d, &err)) == 1) {
            if (docw_write(w, &d, &err) < 0) { rc = -1; break; }
            docs++;
        }
        doc_close(r);
        if (rc < 0) {
            prog_end(pg);
            docw_abort(w);   /* every shard of this run disappears; DIR is as it was */
            doc_id_stems_free(stems, argc - optind);
            fprintf(stderr, "blalm shard: %s\n", err.msg);
            return 1;
        }
        prog_update(pg, (uint64_t)(i - optind + 1));
    }
    prog_end(pg);
    doc_id_stems_free(stems, argc - optind);
    int shards = docw_shards(w), replacing = docw_replacing(w);
    if (docw_close(w, &err) < 0) {
        fprintf(stderr, "blalm shard: %s\n", err.msg);
        return 1;
    }
    if (!quiet) {
        char replaced[80] = "";
        if (replacing)
            snprintf(replaced, sizeof replaced, ", replacing %d shard%s of an earlier run", replacing,
                     replacing == 1 ? "" : "s");
        fprintf(stderr, "blalm shard: %llu documents from %d file%s into %d shard%s in %s (%.1f MB read%s)\n", docs,
                argc - optind, argc - optind == 1 ? "" : "s", shards, shards == 1 ? "" : "s", out, total_bytes / 1e6,
                replaced);
    }
    return 0;
}
