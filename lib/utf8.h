/* utf8.h - UTF-8 validation and Python-compatible word counting.
 *
 * A word is what Python's str.split() separates: a maximal run of code
 * points that are not whitespace in Python's sense (Py_UNICODE_ISSPACE):
 * U+0009-000D, U+001C-001F, U+0020, U+0085, U+00A0, U+1680, U+2000-200A,
 * U+2028, U+2029, U+202F, U+205F, U+3000. */
#ifndef BLALM_UTF8_H
#define BLALM_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Returns 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF).
 * Otherwise 0 and *bad = byte offset of the first invalid sequence. */
int utf8_valid(const char *s, size_t n, size_t *bad);

/* Copies s to out replacing each maximal subpart of an invalid sequence (a
 * lead byte and the continuation bytes that still fit it, as Unicode, WHATWG,
 * Rust's from_utf8_lossy and Python's errors="replace" do) with one U+FFFD.
 * Returns the number of replacements. out must hold 3*n bytes. */
size_t utf8_sanitize(const char *s, size_t n, char *out, size_t *out_len);

/* Length of the longest prefix of s[0..n) that is <= max bytes and ends on a
 * code point boundary. */
size_t utf8_prefix(const char *s, size_t n, size_t max);

/* Word counting, one-shot and streaming (chunks may split code points). */
uint64_t words_in(const char *s, size_t n);

typedef struct word_counter {
    uint64_t words;
    int in_word;      /* previous code point was non-space */
    unsigned char pend[4]; /* bytes of a code point split across chunks */
    int npend;
} word_counter;
void wc_init(word_counter *w);
void wc_feed(word_counter *w, const char *s, size_t n);
uint64_t wc_finish(word_counter *w);

/* 1 if the code point is whitespace for Python's str.split(). */
int py_isspace(uint32_t cp);

/* cp lowercased as Python's str.lower() does it (final sigma aside), into
 * out; returns how many code points: 2 for U+0130, capital I with dot above
 * ("i" U+0307, its one unconditional multi-character lowercase), else 1
 * (utf8proc's simple mapping). */
int py_lower(uint32_t cp, uint32_t out[2]);

/* s[0..n) without the whitespace (py_isspace) at either end, as Python's
 * str.strip(): *start and *len give what is left (*len 0 when nothing is).
 * The identity of a text across a corpus's splits (assemble and verify):
 * texts that differ only there hold the same words. */
void utf8_strip(const char *s, size_t n, size_t *start, size_t *len);

/* Decodes the code point at s[i] (i < n) into *cp and returns its length in
 * bytes. An invalid sequence (as utf8proc_iterate judges it) gives U+FFFD
 * over one byte, so a caller can tell it by (length 1, *cp == 0xFFFD). */
size_t utf8_decode_multibyte(const unsigned char *s, size_t n, size_t i, int32_t *cp);
static inline size_t utf8_decode_at(const unsigned char *s, size_t n, size_t i, int32_t *cp)
{
    if (s[i] < 0x80) {   /* ASCII stays inline: the taggers call this per byte */
        *cp = s[i];
        return 1;
    }
    return utf8_decode_multibyte(s, n, i, cp);
}

/* utf8_decode_at that also sets *bad (and never clears it) when the sequence
 * at s[i] is invalid (decoded as U+FFFD over one byte). */
static inline size_t utf8_decode_flag(const unsigned char *s, size_t n, size_t i, int32_t *cp, int *bad)
{
    size_t k = utf8_decode_at(s, n, i, cp);
    if (k == 1 && *cp == 0xFFFD) *bad = 1;
    return k;
}

/* Bytes at s[i..) certainly inside a whitespace-separated piece: the
 * leading run of 0x21..0x7f bytes among the next eight (0 when fewer than
 * eight remain). A byte below 0x21 borrows and one from 0x80 has its top
 * bit; the lowest such byte is flagged exactly. */
static inline size_t utf8_plain_run8(const unsigned char *s, size_t n, size_t i)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (i + 8 > n) return 0;
    uint64_t w;
    __builtin_memcpy(&w, s + i, 8);
    uint64_t m = ((w - 0x2121212121212121ULL) | w) & 0x8080808080808080ULL;
    return m ? (size_t)__builtin_ctzll(m) >> 3 : 8;
#else
    (void)s, (void)n, (void)i;
    return 0;
#endif
}

/* The pieces of Python's str.split() as byte ranges, each with a 64-bit
 * hash of its bytes (utf8_piece_hash), found once per text and shared by
 * the taggers (readability's words, the quality tokenizer's chunks). */
typedef struct ws_span {
    size_t off, end;
    uint64_t hash;
} ws_span;
typedef struct ws_spans {
    ws_span *v;
    size_t n, cap;
    const char *text;   /* what v was made from */
    size_t len;
} ws_spans;
/* Returns 0, or -1 when out of memory (then s->n = 0 and s->text = NULL). */
int ws_split(ws_spans *s, const char *text, size_t len);
void ws_free(ws_spans *s);
/* Nonzero hash of a short byte string, eight bytes per step. */
uint64_t utf8_piece_hash(const void *p, size_t n);

#endif
