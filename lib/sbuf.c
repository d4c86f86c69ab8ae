#include "sbuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_init(sbuf *b) { b->data = NULL; b->len = b->cap = 0; }
void sb_free(sbuf *b) { free(b->data); sb_init(b); }
void sb_reset(sbuf *b) { b->len = 0; }

void sb_reserve(sbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1) cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        fprintf(stderr, "blalm: out of memory (%zu bytes)\n", cap);
        abort();
    }
    b->data = p;
    b->cap = cap;
}

void sb_add(sbuf *b, const void *p, size_t n)
{
    sb_reserve(b, n);
    if (n) memcpy(b->data + b->len, p, n);
    b->len += n;
}

void sb_addc(sbuf *b, char c)
{
    sb_reserve(b, 1);
    b->data[b->len++] = c;
}

void sb_adds(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    sb_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *sb_cstr(sbuf *b)
{
    sb_reserve(b, 0);
    b->data[b->len] = 0;
    return b->data;
}

void sb_json_str(sbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    sb_reserve(b, n + 2);
    b->data[b->len++] = '"';
    size_t run = 0;  /* start of the pending run of bytes that need no escape */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        sb_add(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': sb_add(b, "\\\"", 2); break;
        case '\\': sb_add(b, "\\\\", 2); break;
        case '\n': sb_add(b, "\\n", 2); break;
        case '\r': sb_add(b, "\\r", 2); break;
        case '\t': sb_add(b, "\\t", 2); break;
        case '\b': sb_add(b, "\\b", 2); break;
        case '\f': sb_add(b, "\\f", 2); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            sb_add(b, u, 6);
        }
        }
    }
    sb_add(b, s + run, n - run);
    sb_addc(b, '"');
}

void sb_json_num(sbuf *b, double v)
{
    if (!isfinite(v)) {
        sb_add(b, "null", 4);
        return;
    }
    if (fabs(v) < 1e15 && v == (double)(long long)v) {   /* range first: the cast of a huge double is UB */
        sb_json_int(b, (int64_t)v);
        return;
    }
    char tmp[40];
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v) break;
    }
    if (n > 0) sb_add(b, tmp, (size_t)n);
}

/* Decimal digits by hand: integers are most of a tagger's output, and
 * printf's format parsing (twice, in sb_printf) cost more than the digits. */
static void add_u64(sbuf *b, uint64_t v, int neg)
{
    char tmp[24];
    char *p = tmp + sizeof tmp;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (neg) *--p = '-';
    sb_add(b, p, (size_t)(tmp + sizeof tmp - p));
}

void sb_json_int(sbuf *b, int64_t v)
{
    if (v < 0) add_u64(b, 0 - (uint64_t)v, 1);   /* unsigned negate: INT64_MIN too */
    else add_u64(b, (uint64_t)v, 0);
}
void sb_json_uint(sbuf *b, uint64_t v) { add_u64(b, v, 0); }
void sb_json_bool(sbuf *b, int v) { sb_adds(b, v ? "true" : "false"); }

void sb_json_key(sbuf *b, const char *key, int *first)
{
    if (!*first) sb_addc(b, ',');
    *first = 0;
    sb_json_str(b, key, strlen(key));
    sb_addc(b, ':');
}
