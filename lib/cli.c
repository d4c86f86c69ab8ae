#include "cli.h"

#include <ctype.h>
#include <errno.h>
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
    fprintf(stderr, "\n\n%s", usage);
    return 2;
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
        if (errno) return -1;
        *out = v;
        return 0;
    }
    double v = strtod(s, NULL) * mult;
    if (v >= 1.8e19) return -1;
    *out = (unsigned long long)(v + 0.5);
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
