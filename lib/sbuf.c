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

/* The reference: the first of %.15g, %.16g, %.17g that reads back as v. */
int sb_num_ref(double v, char out[40])
{
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(out, 40, "%.*g", prec, v);
        if (strtod(out, NULL) == v) break;
    }
    return n > 0 ? n : 0;
}

typedef unsigned __int128 u128;

/* The same text as sb_num_ref, by exact integer arithmetic, for finite
 * 1e-5 <= |v| < 1e15 (the range of a tagger's ratios and scores); returns 0
 * outside it. With v = m 2^-s (s <= 69 there), the P-digit decimal
 * q 10^-k (k = P-1-X, X the decimal exponent, k <= 21) is m 10^k 2^-s
 * rounded half to even, and it reads back as v when it lies within half a
 * binary step: |q 2^(s+1) - 2m 10^k| < 10^k (a quarter step below a power
 * of two; ties go to even m). Every product stays below 2^127. */
int sb_num_fast(double v, char out[40])
{
    static const uint64_t p10[20] = {
        1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
        100000000ULL, 1000000000ULL, 10000000000ULL, 100000000000ULL, 1000000000000ULL,
        10000000000000ULL, 100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
        100000000000000000ULL, 1000000000000000000ULL, 10000000000000000000ULL};
    double a = fabs(v);
    if (!(a >= 1e-5 && a < 1e15)) return 0;
    uint64_t bits;
    memcpy(&bits, &a, 8);
    int s = 1075 - (int)(bits >> 52);
    uint64_t m = (bits & ((1ULL << 52) - 1)) | (1ULL << 52);
    int x = (int)floor(log10(a));   /* corrected below when off by one */
    for (int p = 15; p <= 17; p++) {
        u128 q, pk;
        int k;
        /* truncated m 10^k 2^-s has p digits exactly when x = floor(log10 a) */
        for (;;) {
            k = p - 1 - x;
            if (k < 0 || k > 21) return 0;
            pk = k > 19 ? (u128)p10[19] * p10[k - 19] : (u128)p10[k];
            u128 n = (u128)m * pk;
            q = n >> s;
            if (q >= p10[p]) {
                x++;
                continue;
            }
            if (q < p10[p - 1]) {
                x--;
                continue;
            }
            u128 r = n - (q << s), half = (u128)1 << (s - 1);
            if (r > half || (r == half && (q & 1))) q++;
            break;
        }
        u128 lhs = q << (s + 1), rhs = (u128)(2 * m) * pk;
        int below = lhs < rhs;
        u128 d = below ? rhs - lhs : lhs - rhs;
        if (below && m == 1ULL << 52) d *= 2;   /* the step below a power of two is half */
        if (!(d < pk || (d == pk && !(m & 1)))) continue;
        int xe = x;   /* rounding up to 10^p carries into the exponent */
        if (q == p10[p]) {
            q = p10[p - 1];
            xe++;
        }
        if (xe >= p) return 0;   /* %g's exponent form: not in this range */
        /* %.{p}g text of q 10^(xe-p+1) */
        char dig[20];
        uint64_t qq = (uint64_t)q;
        for (int i = p - 1; i >= 0; i--) {
            dig[i] = (char)('0' + qq % 10);
            qq /= 10;
        }
        int nd = p;
        while (nd > 1 && dig[nd - 1] == '0') nd--;
        char *o = out;
        if (v < 0) *o++ = '-';
        if (xe < -4) {   /* d.ddde-05 */
            *o++ = dig[0];
            if (nd > 1) {
                *o++ = '.';
                memcpy(o, dig + 1, (size_t)nd - 1);
                o += nd - 1;
            }
            *o++ = 'e';
            *o++ = '-';
            *o++ = (char)('0' + (-xe) / 10);
            *o++ = (char)('0' + (-xe) % 10);
        } else if (xe < 0) {   /* 0.000ddd */
            *o++ = '0';
            *o++ = '.';
            for (int i = 0; i < -xe - 1; i++) *o++ = '0';
            memcpy(o, dig, (size_t)nd);
            o += nd;
        } else {   /* ddd.ddd */
            int ip = xe + 1;
            memcpy(o, dig, (size_t)ip);
            o += ip;
            if (nd > ip) {
                *o++ = '.';
                memcpy(o, dig + ip, (size_t)(nd - ip));
                o += nd - ip;
            }
        }
        *o = 0;
        return (int)(o - out);
    }
    return 0;
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
    int n = sb_num_fast(v, tmp);
    if (!n) n = sb_num_ref(v, tmp);
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

void sb_shell_word(sbuf *b, const char *s)
{
    int plain = *s != 0;
    for (const char *p = s; *p && plain; p++) {
        unsigned char c = (unsigned char)*p;
        plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                strchr("_-./:,=+@%", c) != NULL;
    }
    if (plain) {
        sb_adds(b, s);
        return;
    }
    sb_addc(b, '\'');
    for (const char *p = s; *p; p++) {
        if (*p == '\'') sb_adds(b, "'\\''");
        else sb_addc(b, *p);
    }
    sb_addc(b, '\'');
}

void sb_shell_opt(sbuf *b, const char *name, const char *value)
{
    sb_adds(b, " --");
    sb_adds(b, name);
    if (value) {
        sb_addc(b, ' ');
        sb_shell_word(b, value);
    }
}
