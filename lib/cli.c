#include "cli.h"

#include "docs.h"
#include "fsutil.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    fputs("blalm: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    /* the synopsis only (up to the first blank line), so the message stays on
     * screen; the whole text is one --help away */
    const char *end = strstr(usage, "\n\n");
    size_t n = end ? (size_t)(end - usage) + 1 : strlen(usage);
    fprintf(stderr, "\n\n%.*s", (int)n, usage);
    if (end) {
        /* "usage: blalm tokenizer train ..." -> "blalm tokenizer" (a command's
         * --help covers its subcommands) */
        const char *p = !strncmp(usage, "usage: blalm ", 13) ? usage + 13 : "";
        int k = 0;
        while ((p[k] >= 'a' && p[k] <= 'z') || (k && p[k] == '-')) k++;
        fprintf(stderr, "Run 'blalm%s%.*s --help' for every option.\n", k ? " " : "", k, p);
    }
    return 2;
}

/* The option and the argument after it that the last cli_getopt refused as
 * its value (NULL when it refused none). */
static const char *taken_opt, *taken_val;

/* An argument that is an option, not a value: "--", "--name" or
 * "--name=...", or '-' and one or more of the command's short options ("-q",
 * "-h", "-qh"). "-" (stdin), "-1", "-hello" and "--- a heading ---" are
 * values. */
static int option_like(const char *v, const char *shortopts)
{
    if (v[0] != '-' || !v[1]) return 0;
    if (v[1] == '-') {
        /* "--" or "--name[=...]": a letter or digit, then letters, digits,
         * '-' and '_' up to the end or an '='; "--- Chapter 1 ---" (a
         * prompt) or "--x y" is a value */
        if (!v[2]) return 1;
        if (!isalnum((unsigned char)v[2])) return 0;
        const char *p = v + 3;
        while (isalnum((unsigned char)*p) || *p == '-' || *p == '_') p++;
        return !*p || *p == '=';
    }
    for (const char *p = v + 1; *p; p++)
        if (*p == ':' || !strchr(shortopts, *p)) return 0;
    return 1;
}

int cli_getopt(int argc, char *const *argv, const char *shortopts, const struct option *opts)
{
    taken_opt = taken_val = NULL;
    int c = getopt_long(argc, argv, shortopts, opts, NULL);
    if (c == -1 || c == '?' || c == ':' || !optarg) return c;
    /* a value given as the next argument (not "--opt=value", whose optarg
     * points inside its own argument) that is itself an option */
    if (optind >= 2 && optind <= argc && optarg == argv[optind - 1] && option_like(optarg, shortopts)) {
        taken_opt = argv[optind - 2];
        taken_val = optarg;
        return '?';
    }
    return c;
}

const char *cli_option_name(const struct option *opts, int val)
{
    for (int i = 0; opts[i].name; i++)
        if (opts[i].val == val && !opts[i].flag) return opts[i].name;
    return "?";
}

int cli_option_error(const char *usage, const char *cmd, const struct option *opts, char *const *argv,
                     int optind_now)
{
    if (taken_val) {
        const char *o = taken_opt, *v = taken_val;
        taken_opt = taken_val = NULL;
        if (!strncmp(o, "--", 2))
            return cli_usage_error(usage,
                                   "%s: option '%s' needs a value, and '%s' after it is an option, not a value "
                                   "(a value that starts with '-': %s=%s)",
                                   cmd, o, v, o, v);
        return cli_usage_error(usage, "%s: option '%s' needs a value, and '%s' after it is an option, not a value", cmd,
                               o, v);
    }
    const char *arg = optind_now > 0 ? argv[optind_now - 1] : "";
    if (strncmp(arg, "--", 2) || !arg[2]) {
        if (optopt > 32 && optopt < 127) return cli_usage_error(usage, "%s: unknown option '-%c'", cmd, optopt);
        return cli_usage_error(usage, "%s: unknown option '%s'", cmd, arg);
    }
    const char *name = arg + 2, *eq = strchr(name, '=');
    size_t nl = eq ? (size_t)(eq - name) : strlen(name);
    int found = -1, matches = 0;
    for (int i = 0; opts[i].name; i++) {
        if (strncmp(opts[i].name, name, nl)) continue;
        if (strlen(opts[i].name) == nl) { found = i; matches = 1; break; }   /* exact */
        found = i;
        matches++;
    }
    if (matches > 1) return cli_usage_error(usage, "%s: option '--%.*s' is ambiguous", cmd, (int)nl, name);
    if (found < 0) return cli_usage_error(usage, "%s: unknown option '--%.*s'", cmd, (int)nl, name);
    if (opts[found].has_arg == required_argument && !eq)
        return cli_usage_error(usage, "%s: option '--%s' needs a value", cmd, opts[found].name);
    if (opts[found].has_arg == no_argument && eq)
        return cli_usage_error(usage, "%s: option '--%s' takes no value", cmd, opts[found].name);
    return cli_usage_error(usage, "%s: invalid option '%s'", cmd, arg);
}

int cli_help(const char *usage)
{
    fputs(usage, stdout);
    return 0;
}

/* Multiplier of a count suffix: k/K 1e3, M 1e6, G/B 1e9; 0 if not a suffix. */
static double suffix_value(char c)
{
    switch (c) {
    case 'k': case 'K': return 1e3;
    case 'M': return 1e6;
    case 'G': case 'B': return 1e9;
    default: return 0;
    }
}

int cli_parse_seed(const char *s, unsigned long long *out)
{
    unsigned long long v;
    if (!s || !*s || strspn(s, "0123456789") != strlen(s) || cli_parse_count(s, &v) < 0 || v > CLI_SEED_MAX)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_count(const char *s, unsigned long long *out)
{
    if (!s || !isdigit((unsigned char)*s)) return -1;
    const char *p = s;
    while (isdigit((unsigned char)*p)) p++;
    int has_frac = *p == '.';
    if (has_frac) {
        p++;
        if (!isdigit((unsigned char)*p)) return -1;
        while (isdigit((unsigned char)*p)) p++;
    }
    double mult = 1;
    if (*p) {
        mult = suffix_value(*p);
        if (mult == 0 || p[1]) return -1;
    } else if (has_frac) {
        return -1;   /* "1.5" is not a count; "1.5M" is */
    }
    if (!has_frac && mult == 1) {   /* plain integers stay exact */
        errno = 0;
        unsigned long long v = strtoull(s, NULL, 10);
        if (errno) return -2;
        *out = v;
        return 0;
    }
    double v = strtod(s, NULL) * mult;
    if (v >= 1.8e19) return -2;
    *out = (unsigned long long)(v + 0.5);
    return 0;
}

int cli_parse_real(const char *s, double *out)
{
    if (!s) return -1;
    const char *p = s;
    if (*p == '+' || *p == '-') p++;
    int digits = 0;
    while (isdigit((unsigned char)*p)) p++, digits++;
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) p++, digits++;
    }
    if (!digits) return -1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!isdigit((unsigned char)*p)) return -1;
        while (isdigit((unsigned char)*p)) p++;
    }
    if (*p) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end != p || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int cli_parse_shard(const char *s, int *index, int *count)
{
    char *end;
    errno = 0;
    long i = strtol(s, &end, 10);
    if (errno || end == s || *end != '/') return -1;
    const char *p = end + 1;
    long n = strtol(p, &end, 10);
    if (errno || end == p || *end || n < 1 || i < 0 || i >= n || n > 1000000) return -1;
    *index = (int)i;
    *count = (int)n;
    return 0;
}

int cli_check_out_dirs(const char *what, const char *a, const char *b)
{
    const char *paths[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        blalm_err e;
        if (paths[i] && *paths[i] && check_out_dir(paths[i], &e) < 0) {
            fprintf(stderr, "blalm %s: %s\n", what, e.msg);
            return 1;
        }
    }
    return 0;
}

int cli_check_out_file(const char *what, const char *path)
{
    if (!path || !*path) return 0;
    const char *slash = strrchr(path, '/');
    if (slash && slash != path) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
        if (cli_check_out_dirs(what, dir, NULL)) return 1;
    }
    /* the file itself: absent or a regular file (the write renames over it) */
    blalm_err e;
    if (check_no_pass_through(path, &e) < 0 || check_replaceable(path, &e) < 0) {
        fprintf(stderr, "blalm %s: %s\n", what, e.msg);
        return 1;
    }
    return 0;
}

void cli_warn_skipped_docs(const char *what, const char *docs_root)
{
    char msg[2048];
    if (docs_skipped(docs_root, msg, sizeof msg)) fprintf(stderr, "blalm %s: warning: %s\n", what, msg);
}
