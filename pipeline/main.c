/* main.c - the `blalm` entry point: dispatches git-style subcommands.
 * The command table is generated from BLALM_COMMAND(...) lines in
 * pipeline/cmd_*.c (see Makefile), so adding a command touches one file. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/cli.h"
#include "pipeline/env.h"

#undef BLALM_COMMAND
#define BLALM_COMMAND(name, summary) int cmd_##name(int argc, char **argv);
#include "commands.h"
#undef BLALM_COMMAND

typedef struct command {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} command;

#define BLALM_COMMAND(name, summary) {#name, cmd_##name, summary},
static const command commands[] = {
#include "commands.h"
};
#undef BLALM_COMMAND

static void print_usage(FILE *f)
{
    fprintf(f, "usage: blalm [--version] [--help] <command> [<args>]\n\n"
               "From FineWeb-Edu to BabyLM-compliant corpora and BLaLM models.\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'blalm <command> --help' describes a command.\n"
               "environment: HF_ENDPOINT, HF_TOKEN, OPENAI_BASE_URL, OPENAI_API_KEY, NO_COLOR,\n"
               "  BLALM_ZSTD_WINDOW_MAX (the largest zstd window read; default 128M)\n");
}

/* Output to stdout can fail late (a full disk, /dev/full): what a command
 * printed is then lost, and a success exit would hide it. A command that
 * failed has said why already. */
static int finish(int rc, const char *name)
{
    int flush = fflush(stdout), err = errno;
    if (rc == 0 && (flush != 0 || ferror(stdout))) {
        fprintf(stderr, "blalm%s%s: write error on stdout%s%s\n", name ? " " : "", name ? name : "",
                flush ? ": " : "", flush ? strerror(err) : "");
        return 1;
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        return 2;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        print_usage(stdout);
        return finish(0, NULL);
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("blalm %s\n", BLALM_VERSION);
        return finish(0, NULL);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name)) {
            if (env_zstd_window() < 0) return 2;
            return finish(commands[i].fn(argc - 1, argv + 1), name);
        }
    fprintf(stderr, "blalm: '%s' is not a blalm command\n\n", name);
    print_usage(stderr);
    return 2;
}
