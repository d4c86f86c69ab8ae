/* cmd_cat.c - `blalm cat FILE...`: print documents as JSON lines. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "lib/cli.h"
#include "lib/docs.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"

BLALM_COMMAND(cat, "print the documents of jsonl / jsonl.gz / jsonl.zst / parquet files as JSON lines")

static const char usage[] =
    "usage: blalm cat [options] FILE...\n"
    "\n"
    "Prints every document of each file as one JSON line\n"
    "{\"id\",\"text\",\"source\",\"metadata\"} on stdout. The format is chosen by\n"
    "content (zstd, gzip, parquet magic), not by extension.\n"
    "\n"
    "options:\n"
    "  --text-field NAME   field holding the text (default: text)\n"
    "  --id-field NAME     field holding the id (default: id); documents without\n"
    "                      one get \"<file stem>/<row>\"; files of one run with\n"
    "                      the same name (a/part-0.jsonl, b/part-0.jsonl) get\n"
    "                      \"<path without extension>/<row>\" (a/part-0/0), as\n"
    "                      files under a docs root do\n"
    "  --source NAME       source for documents that have none (default: file stem)\n"
    "  -h, --help          this help\n";

int cmd_cat(int argc, char **argv)
{
    static const struct option opts[] = {
        {"text-field", required_argument, 0, 't'},
        {"id-field", required_argument, 0, 'i'},
        {"source", required_argument, 0, 's'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    doc_opts o = {0};
    int c;
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "h", opts)) != -1) {
        switch (c) {
        case 't': o.text_field = optarg; break;
        case 'i': o.id_field = optarg; break;
        case 's': {
            size_t bad;
            if (!utf8_valid(optarg, strlen(optarg), &bad))
                return cli_usage_error(usage, "cat: --source: not valid UTF-8 (byte \\x%02x at offset %zu): a "
                                              "source is JSON text, which must be UTF-8",
                                       (unsigned char)optarg[bad], bad);
            o.default_source = optarg;
            break;
        }
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "cat", opts, argv, optind);
        }
    }
    if (optind >= argc) return cli_usage_error(usage, "cat: no input files");
    /* inputs with the same file name get ids from their paths ("part-0/0"
     * from two folders would be one document to dedup); a file name that
     * would be the default source is refused before any output, one that
     * would be generated ids at the first document without an id */
    blalm_err err;
    char **stems;
    if (doc_inputs_prepare(argv + optind, argc - optind, !o.default_source, &stems, &err) < 0) {
        fprintf(stderr, "blalm cat: %s\n", err.msg);
        return 1;
    }
    sbuf line;
    sb_init(&line);
    int status = 0;
    for (int i = optind; i < argc && !status; i++) {
        doc_opts oi = o;
        if (stems[i - optind]) oi.id_stem = stems[i - optind];
        doc_reader *r = doc_open(argv[i], &oi, &err);
        if (!r) {
            fprintf(stderr, "blalm cat: %s\n", err.msg);
            status = 1;
            break;
        }
        blalm_doc d;
        int rc;
        while ((rc = doc_next(r, &d, &err)) == 1) {
            sb_reset(&line);
            doc_to_json(&d, &line);
            sb_addc(&line, '\n');
            if (fwrite(line.data, 1, line.len, stdout) != line.len) {
                fprintf(stderr, "blalm cat: write error on stdout\n");
                rc = -2;
                break;
            }
        }
        if (rc == -1) fprintf(stderr, "blalm cat: %s\n", err.msg);
        if (rc < 0) status = 1;
        doc_close(r);
    }
    sb_free(&line);
    doc_id_stems_free(stems, argc - optind);
    return status;   /* main checks that stdout took it all */
}
