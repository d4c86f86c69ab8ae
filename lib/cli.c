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

int cli_parse_count(const char *s, unsigned long long *out)
{
    if (!s || !*s || *s == '-') return -1;
    errno = 0;
    char *end;
    double mult = 1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s) return -1;
    if (*end == '.') {  /* 1.5M */
        double d = strtod(s, &end);
        switch (*end) {
        case 'k': case 'K': mult = 1e3; end++; break;
        case 'M': mult = 1e6; end++; break;
        case 'G': case 'B': mult = 1e9; end++; break;
        default: return -1;
        }
        if (*end) return -1;
        *out = (unsigned long long)(d * mult + 0.5);
        return 0;
    }
    switch (*end) {
    case 0: break;
    case 'k': case 'K': mult = 1e3; end++; break;
    case 'M': mult = 1e6; end++; break;
    case 'G': case 'B': mult = 1e9; end++; break;
    default: return -1;
    }
    if (*end) return -1;
    *out = v * (unsigned long long)mult;
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
