#include "utf8.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ASCII whitespace for Python's str.split(): 0x09-0x0D, 0x1C-0x20. */
static const unsigned char ascii_space[128] = {
    [0x09] = 1, [0x0A] = 1, [0x0B] = 1, [0x0C] = 1, [0x0D] = 1,
    [0x1C] = 1, [0x1D] = 1, [0x1E] = 1, [0x1F] = 1, [0x20] = 1,
};

int py_isspace(uint32_t cp)
{
    if (cp < 128) return ascii_space[cp];
    switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
        return 1;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 if invalid. */
int py_lower(uint32_t cp, uint32_t out[2])
{
    if (cp < 0x80) {
        out[0] = cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
        return 1;
    }
    if (cp == 0x130) {
        out[0] = 'i', out[1] = 0x307;
        return 2;
    }
    out[0] = (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
    return 1;
}

static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c < 0xC2) return 0;
    if (c < 0xE0) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;  /* overlong */
        if (c == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
        return 3;
    }
    if (c < 0xF5) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;  /* overlong */
        if (c == 0xF4 && s[1] >= 0x90) return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

int utf8_valid(const char *str, size_t n, size_t *bad)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        /* ASCII fast path, 8 bytes at a time */
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull) break;
            i += 8;
        }
        if (i >= n) break;
        if (s[i] < 0x80) { i++; continue; }
        size_t k = utf8_seq(s + i, n - i);
        if (!k) {
            if (bad) *bad = i;
            return 0;
        }
        i += k;
    }
    return 1;
}

size_t utf8_sanitize(const char *str, size_t n, char *out, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, o = 0, bad = 0;
    while (i < n) {
        size_t k = utf8_seq(s + i, n - i);
        if (k) {
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
            continue;
        }
        /* one U+FFFD per maximal subpart (Unicode ch. 3, "U+FFFD Substitution
         * of Maximal Subparts"; WHATWG's decoder, Rust's from_utf8_lossy,
         * Python's errors="replace"): a lead byte and the continuation bytes
         * that still fit it, so a character cut short is one U+FFFD, not one
         * per byte. A byte that starts nothing is a subpart of its own. */
        bad++;
        out[o++] = (char)0xEF; out[o++] = (char)0xBF; out[o++] = (char)0xBD;
        unsigned c = s[i++], need = 0, lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) need = 1;
        else if (c >= 0xE0 && c <= 0xEF) need = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        else if (c >= 0xF0 && c <= 0xF4) need = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        for (unsigned j = 0; j < need && i < n && s[i] >= lo && s[i] <= hi; j++) {
            i++;
            lo = 0x80, hi = 0xBF;   /* only the second byte's range depends on the lead */
        }
    }
    *out_len = o;
    return bad;
}

size_t utf8_prefix(const char *s, size_t n, size_t max)
{
    if (n <= max) return n;
    size_t k = max;
    while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
    return k;
}

/* Multi-byte lead bytes that can start a Python whitespace code point:
 * C2 (U+0085, U+00A0), E1 (U+1680), E2 (U+2000-200A, 2028, 2029, 202F, 205F),
 * E3 (U+3000). Every other lead starts a non-space code point, and the
 * continuation bytes after it leave the state unchanged. */
static inline int maybe_space_lead(unsigned c)
{
    return c == 0xC2 || c == 0xE1 || c == 0xE2 || c == 0xE3;
}

static inline uint32_t decode_at(const unsigned char *s, size_t k)
{
    if (k == 2) return ((uint32_t)(s[0] & 0x1F) << 6) | (s[1] & 0x3F);
    return ((uint32_t)(s[0] & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
}

/* Counts from s; returns how many trailing bytes were left unconsumed
 * because they start a possibly-space code point cut by the chunk end. */
static size_t count_chunk(word_counter *w, const unsigned char *s, size_t n)
{
    uint64_t words = w->words;
    int in_word = w->in_word;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        int sp;
        if (c < 0x80) {
            sp = ascii_space[c];
            i++;
        } else if (maybe_space_lead(c)) {
            size_t k = c == 0xC2 ? 2 : 3;
            if (i + k > n) {
                /* might be an incomplete sequence: keep for the next chunk */
                int complete_invalid = 0;
                for (size_t j = i + 1; j < n; j++)
                    if ((s[j] & 0xC0) != 0x80) complete_invalid = 1;
                if (!complete_invalid) {
                    w->words = words;
                    w->in_word = in_word;
                    return n - i;
                }
                sp = 0;
                i++;
            } else if ((s[i + 1] & 0xC0) == 0x80 && (k == 2 || (s[i + 2] & 0xC0) == 0x80)) {
                sp = py_isspace(decode_at(s + i, k));
                i += k;
            } else {
                sp = 0;   /* invalid sequence: counts as a non-space byte */
                i++;
            }
        } else {
            sp = 0;
            i++;
        }
        words += (uint64_t)(!sp & !in_word);
        in_word = !sp;
    }
    w->words = words;
    w->in_word = in_word;
    return 0;
}

void wc_init(word_counter *w) { memset(w, 0, sizeof *w); }

void wc_feed(word_counter *w, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    if (w->npend) {
        /* Finish the code point cut by the previous chunk: count the pending
         * bytes together with up to three new ones. */
        unsigned char tmp[8];
        size_t have = (size_t)w->npend, take = n < 3 ? n : 3, total = have + take;
        memcpy(tmp, w->pend, have);
        memcpy(tmp + have, s, take);
        w->npend = 0;
        size_t left = count_chunk(w, tmp, total), consumed = total - left;
        if (left && (consumed < have || take == n)) {
            /* the data really ends inside a sequence: keep waiting */
            memcpy(w->pend, tmp + consumed, left);
            w->npend = (int)left;
            return;
        }
        /* new bytes already counted; a sequence cut only by tmp's end is
         * counted again below from s */
        s += consumed - have;
        n -= consumed - have;
    }
    size_t left = count_chunk(w, s, n);
    if (left) {
        memcpy(w->pend, s + n - left, left);
        w->npend = (int)left;
    }
}

uint64_t wc_finish(word_counter *w)
{
    if (w->npend) {
        /* an incomplete sequence at the very end is a non-space byte run */
        if (!w->in_word) w->words++;
        w->in_word = 1;
        w->npend = 0;
    }
    return w->words;
}

void utf8_strip(const char *s, size_t n, size_t *start, size_t *len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t a = 0, b = n;
    while (a < b) {
        int32_t cp;
        size_t k = utf8_decode_at(u, b, a, &cp);
        if (!py_isspace((uint32_t)cp)) break;   /* U+FFFD (an invalid byte) is not space */
        a += k;
    }
    while (b > a) {
        size_t c = b - 1;   /* the last code point's first byte (at most 3 back) */
        while (c > a && b - c < 4 && (u[c] & 0xC0) == 0x80) c--;
        int32_t cp;
        size_t k = utf8_decode_at(u, b, c, &cp);
        if (c + k != b || !py_isspace((uint32_t)cp)) break;
        b = c;
    }
    *start = a;
    *len = b - a;
}

uint64_t words_in(const char *s, size_t n)
{
    word_counter w;
    wc_init(&w);
    size_t left = count_chunk(&w, (const unsigned char *)s, n);
    if (left && !w.in_word) w.words++;
    return w.words;
}

size_t utf8_decode_multibyte(const unsigned char *s, size_t n, size_t i, int32_t *cp)
{
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &c);
    if (k <= 0) {
        *cp = 0xFFFD;
        return 1;
    }
    *cp = c;
    return (size_t)k;
}

uint64_t utf8_piece_hash(const void *p, size_t n)
{
    const unsigned char *u = p;
    uint64_t h = 0xcbf29ce484222325ULL ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, u + i, 8);
        h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
        h ^= h >> 29;
    }
    for (; i < n; i++) h = (h ^ u[i]) * 0x100000001b3ULL;
    h ^= h >> 32;
    return h ? h : 1;
}

int ws_split(ws_spans *sp, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    sp->n = 0;
    sp->text = NULL;
    sp->len = 0;
    /* Room for a piece per 4 bytes (web text has about one per 6) before the
     * first: growing by copying would hold the old and the new array at
     * once, and the pages not reached are never touched. */
    size_t want = len / 4 + 1024;
    if (sp->cap < want) {
        ws_span *nv = mem_big_alloc(want * sizeof *nv);
        if (!nv) return -1;
        free(sp->v);
        sp->v = nv;
        sp->cap = want;
    }
    while (i < len) {
        int32_t cp;
        if (s[i] < 0x80) {
            if (ascii_space[s[i]]) {
                i++;
                continue;
            }
        } else {
            size_t k = utf8_decode_multibyte(s, len, i, &cp);
            if (py_isspace((uint32_t)cp)) {
                i += k;
                continue;
            }
        }
        size_t j = i;
        while (j < len) {
            size_t run = utf8_plain_run8(s, len, j);
            if (run) {
                j += run;
                continue;
            }
            if (s[j] < 0x80) {
                if (ascii_space[s[j]]) break;
                j++;
                continue;
            }
            size_t k = utf8_decode_multibyte(s, len, j, &cp);
            if (py_isspace((uint32_t)cp)) break;
            j += k;
        }
        if (sp->n == sp->cap) {
            size_t ncap = sp->cap ? 2 * sp->cap : 1024;
            ws_span *nv = mem_big_realloc(sp->v, ncap * sizeof *nv);
            if (!nv) {
                sp->n = 0;
                return -1;
            }
            sp->v = nv;
            sp->cap = ncap;
        }
        sp->v[sp->n++] = (ws_span){i, j, utf8_piece_hash(s + i, j - i)};
        i = j;
    }
    sp->text = text;
    sp->len = len;
    return 0;
}

void ws_free(ws_spans *sp)
{
    free(sp->v);
    memset(sp, 0, sizeof *sp);
}
