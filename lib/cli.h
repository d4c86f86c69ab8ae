/* cli.h - subcommand plumbing shared by pipeline/cmd_*.c.
 *
 * Every subcommand is `int cmd_<name>(int argc, char **argv)` returning the
 * process exit status: 0 success, 1 failure, 2 usage error. It is registered
 * by one line in its own file, which the Makefile collects:
 *     BLALM_COMMAND(count, "count documents, words and bytes of text")
 * Options are parsed with cli_getopt (getopt_long that refuses an option as
 * another option's value); cli_usage_error() prints the usage and returns 2. */
#ifndef BLALM_CLI_H
#define BLALM_CLI_H

#include <getopt.h>
#include <stdio.h>

#define BLALM_COMMAND(name, summary) /* collected by the Makefile */

#ifndef BLALM_VERSION
#define BLALM_VERSION "0.1.0"
#endif

/* Prints "blalm: <msg>", the usage's synopsis (its text up to the first
 * blank line) and "Run 'blalm <cmd> --help' for every option." to stderr;
 * returns 2. */
int cli_usage_error(const char *usage, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* For getopt_long's '?': says what was wrong with the option argv[optind-1]
 * (unknown, ambiguous, missing its value, or given a value it does not take),
 * prints the usage and returns 2. cmd is "tag", "fetch", ... */
int cli_option_error(const char *usage, const char *cmd, const struct option *opts, char *const *argv,
                     int optind_now);
/* getopt_long (no longindex) for every command: an option's value given as
 * the next argument that is itself an option ("--out --dry-run", "--out -q",
 * "--work --"), which getopt would take as the value, is refused: it returns
 * '?', and cli_option_error then says so, naming both and the "--out=VALUE"
 * form for a value that does start with '-'. "-", "-1", "-hello" and
 * "--- a heading ---" are values. */
int cli_getopt(int argc, char *const *argv, const char *shortopts, const struct option *opts);
/* Name of the long option whose val is val, for messages ("bands" for
 * --bands; "?" if none). */
const char *cli_option_name(const struct option *opts, int val);
/* Prints usage to stdout and returns 0 (for --help). */
int cli_help(const char *usage);
/* Parses a non-negative integer with optional k/M/G suffix (powers of 10 for
 * counts: 10M = 10,000,000). Returns -1 when s is not such a number, -2 when
 * it is one but does not fit in 64 bits. */
int cli_parse_count(const char *s, unsigned long long *out);
/* A seed as a config holds it exactly: decimal digits only (no sign, space,
 * suffix or fraction), 0 to 2^53-1. 0 or -1. */
#define CLI_SEED_MAX 9007199254740991ull
int cli_parse_seed(const char *s, unsigned long long *out);
/* Parses a finite decimal number, the whole string: [+-]digits[.digits][e[+-]digits]
 * or [+-].digits...; no leading or trailing space, no hex ("0x10"), no
 * "inf"/"nan" (which strtod takes). -1 otherwise. */
int cli_parse_real(const char *s, double *out);
/* Parses "I/N" shard specs (0 <= I < N). */
int cli_parse_shard(const char *s, int *index, int *count);

/* The folders a command writes under that the user named (WORK, --out;
 * NULL ones are skipped), checked before anything else with
 * check_out_dir (lib/fsutil.h): on the first that exists as something other
 * than a folder, prints "blalm <what>: PATH exists and is not a directory"
 * (or "PATH is a dangling symbolic link to TARGET") and returns 1; else 0. */
int cli_check_out_dirs(const char *what, const char *a, const char *b);
/* The same for the folder of a file to write (--out FILE, --export FILE);
 * and the file itself must be absent or a regular file (check_replaceable:
 * "PATH exists and is not a regular file (a symbolic link to T)...", "PATH:
 * a folder, expected a file to write"; "PATH: ends in '/'..."), and it may
 * not pass through a missing folder by ".." (check_no_pass_through), before
 * anything is read. */
int cli_check_out_file(const char *what, const char *path);

/* Under a docs root that holds documents, files that are not named as
 * document files are skipped (docs_walk): prints "blalm <what>: warning:
 * skipped N files under ROOT whose names are not document file names (...):
 * A, B, C" when there are any. Nothing when the root holds no documents or
 * cannot be walked: the command's own walk says so. */
void cli_warn_skipped_docs(const char *what, const char *docs_root);

/* Common options every stage takes. */
typedef struct cli_common {
    const char *work, *docs, *out, *config;
    int quiet;
} cli_common;

#endif
