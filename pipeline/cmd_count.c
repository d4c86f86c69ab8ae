/* cmd_count.c - `blalm count [--json] FILE...`: documents, words, bytes. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/cli.h"
#include "lib/docs.h"
#include "lib/progress.h"
#include "lib/utf8.h"

BLALM_COMMAND(count, "count documents, words (Python str.split) and bytes of text per file")

static const char usage[] =
    "usage: blalm count [options] FILE...\n"
    "\n"
    "Counts documents, words and bytes of text (UTF-8) per file and in total.\n"
    "A word is what Python's str.split() separates: a maximal run of characters\n"
    "that are not Unicode whitespace. It is not wc -w's word: wc -w does not\n"
    "count control characters as words nor split at U+001C..U+001F.\n"
    "\n"
    "options:\n"
    "  --json              print one JSON object per file, and the total\n"
    "                      {\"docs\":..,\"words\":..,\"bytes\":..} on the last line;\n"
    "                      a byte of a file name that is not UTF-8 is written\n"
    "                      as the text \\xNN in \"file\"\n"
    "  --text-field NAME   field holding the text (default: text)\n"
    "  -q, --quiet         no progress output\n"
    "  -h, --help          this help\n";

typedef struct totals {
    unsigned long long docs, words, bytes;
} totals;

static void print_row(const char *name, const totals *t, int json)
{
    if (json) {
        printf("{");
        if (name) {
            fputs("\"file\":", stdout);
            /* names are paths given by the user, JSON-escaped; a byte that is
             * not UTF-8 (JSON text cannot hold it) is written as the text
             * \xNN, as the docs walk's messages show such names */
            putchar('"');
            size_t n = strlen(name), at = 0;
            while (at < n) {
                size_t bad, ok = utf8_valid(name + at, n - at, &bad) ? n - at : bad;
                for (const char *p = name + at; p < name + at + ok; p++) {
                    if (*p == '"' || *p == '\\') putchar('\\');
                    if ((unsigned char)*p < 0x20) printf("\\u%04x", (unsigned char)*p);
                    else putchar(*p);
                }
                at += ok;
                if (at < n) printf("\\\\x%02x", (unsigned char)name[at++]);
            }
            fputs("\",", stdout);
        }
        printf("\"docs\":%llu,\"words\":%llu,\"bytes\":%llu}\n", t->docs, t->words, t->bytes);
    } else {
        printf("%12llu docs %14llu words %16llu bytes  %s\n", t->docs, t->words, t->bytes, name ? name : "total");
    }
}

int cmd_count(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, 0, 'j'},
        {"text-field", required_argument, 0, 't'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    doc_opts o = {0};
    int json = 0, quiet = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 't': o.text_field = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "count", opts, argv, optind);
        }
    }
    if (optind >= argc) return cli_usage_error(usage, "count: no input files");
    o.text_only = 1;   /* parquet: decompress only the text (and id) columns */
    o.names_unused = 1;   /* no ids or sources are printed: any file name is counted */
    totals all = {0};
    int nfiles = argc - optind;
    progress *pg = prog_start("count", (uint64_t)nfiles, PROG_COUNT, quiet);
    for (int i = optind; i < argc; i++) {
        blalm_err err;
        doc_reader *r = doc_open(argv[i], &o, &err);
        if (!r) {
            prog_end(pg);
            fprintf(stderr, "blalm count: %s\n", err.msg);
            return 1;
        }
        totals t = {0};
        blalm_doc d;
        int rc;
        while ((rc = doc_next(r, &d, &err)) == 1) {
            t.docs++;
            t.words += words_in(d.text, d.text_len);
            t.bytes += d.text_len;
        }
        doc_close(r);
        if (rc < 0) {
            prog_end(pg);
            fprintf(stderr, "blalm count: %s\n", err.msg);
            return 1;
        }
        if (nfiles > 1 || json) print_row(argv[i], &t, json);
        all.docs += t.docs;
        all.words += t.words;
        all.bytes += t.bytes;
        prog_update(pg, (uint64_t)(i - optind + 1));
    }
    prog_end(pg);
    print_row(json ? NULL : (nfiles > 1 ? NULL : argv[optind]), &all, json);
    if (!quiet && !json)
        fprintf(stderr, "blalm count: %d file%s, %llu documents, %llu words\n", nfiles, nfiles == 1 ? "" : "s",
                all.docs, all.words);
    return 0;   /* main checks that stdout took it all */
}
