/* dedup_core.c - pure functions of the dedup stage: normalisation,
 * shingles, MinHash signatures, LSH band hashes, Jaccard, union-find.
 * No I/O here, so the unit tests exercise all of it directly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "filters/dedup_internal.h"
#include "filters/quality.h"
#include "lib/utf8.h"

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    void *q = realloc(p, c * elem);
    if (!q) abort();   /* out of memory: nothing sensible to do in a hot loop */
    *cap = c;
    return q;
}

void dd_scratch_free(dd_scratch *s)
{
    free(s->norm);
    free(s->cps);
    free(s->words);
    free(s->shingles);
    free(s->sigma);
    free(s->nfkc);
    free(s->kept);
    memset(s, 0, sizeof *s);
}

/* ---- normalisation --------------------------------------------------- */

static const struct { const char *name; unsigned flag; } norm_names[] = {
    {"nfkc", DD_NORM_NFKC},     {"lower", DD_NORM_LOWER},
    {"digits", DD_NORM_DIGITS}, {"punct", DD_NORM_PUNCT},
    {"dtpunct", DD_NORM_DTPUNCT}, {"diacritics", DD_NORM_DIACRITICS},
    {"space", DD_NORM_SPACE},
};

int dd_norm_parse(const char *spec, unsigned *flags, blalm_err *e)
{
    *flags = 0;
    if (!strcmp(spec, "none")) return 0;
    if (!*spec) return err_set(e, "normalisation: empty (give none for no normalisation)");
    if (!strcmp(spec, "fineweb")) { *flags = DD_NORM_MINHASH_DEFAULT; return 0; }
    const char *p = spec;
    while (*p) {
        const char *q = strchr(p, ',');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (!n || (q && !q[1]))
            return err_set(e, "normalisation '%s': an empty name in the list", spec);
        size_t i;
        for (i = 0; i < sizeof norm_names / sizeof norm_names[0]; i++)
            if (strlen(norm_names[i].name) == n && !strncmp(norm_names[i].name, p, n)) break;
        if (i == sizeof norm_names / sizeof norm_names[0])
            return err_set(e, "normalisation '%.*s' unknown (expected a comma list of "
                              "nfkc,lower,digits,punct,dtpunct,diacritics,space, or none, or fineweb)",
                           (int)n, p);
        *flags |= norm_names[i].flag;
        p += n + (q ? 1 : 0);
    }
    return 0;
}

void dd_norm_format(unsigned flags, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < sizeof norm_names / sizeof norm_names[0]; i++)
        if (flags & norm_names[i].flag)
            len += (size_t)snprintf(out + len, len < cap ? cap - len : 0, "%s%s",
                                    len ? "," : "", norm_names[i].name);
    if (!len) snprintf(out, cap, "none");
}

/* Python's str.isspace() set (see lib/utf8.h). */
static int is_space_cp(uint32_t c)
{
    if (c < 0x80) return (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x20);
    return c == 0x85 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
           c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

static inline int ascii_space(unsigned c)
{
    return c == ' ' || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f);
}

static int is_digit_cp(uint32_t c)
{
    if (c < 0x80) return c >= '0' && c <= '9';
    return utf8proc_category((utf8proc_int32_t)c) == UTF8PROC_CATEGORY_ND;
}

/* Punctuation (P*), symbols (S*) and controls (Cc) become separators. */
static int is_punct_cp(uint32_t c)
{
    if (c < 0x80) return c < 0x20 || c == 0x7f || (c >= 0x21 && c <= 0x2f) ||
                         (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60) ||
                         (c >= 0x7b && c <= 0x7e);
    switch (utf8proc_category((utf8proc_int32_t)c)) {
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO: case UTF8PROC_CATEGORY_SM: case UTF8PROC_CATEGORY_SC:
    case UTF8PROC_CATEGORY_SK: case UTF8PROC_CATEGORY_SO: case UTF8PROC_CATEGORY_CC:
        return 1;
    default:
        return 0;
    }
}

typedef struct norm_state {
    char *out;
    size_t len;
    unsigned flags;
    int pending_space;   /* SPACE: a separator was seen since the last output */
    int in_digits;       /* DIGITS: 1 in \d+, 2 in the (\.\d+) part */
} norm_state;

static inline void emit_raw(norm_state *st, uint32_t c)
{
    if (st->pending_space) {
        st->out[st->len++] = ' ';
        st->pending_space = 0;
    }
    if (c < 0x80) {
        st->out[st->len++] = (char)c;
    } else {
        utf8proc_uint8_t buf[4];
        utf8proc_ssize_t k = utf8proc_encode_char((utf8proc_int32_t)c, buf);
        memcpy(st->out + st->len, buf, (size_t)k);
        st->len += (size_t)k;
    }
}

static inline void separator(norm_state *st, uint32_t c)
{
    if (st->flags & DD_NORM_SPACE) {
        if (st->len) st->pending_space = 1;
    } else {
        emit_raw(st, is_space_cp(c) ? c : ' ');
    }
}

/* One code point; next = the following code point (0 at the end), for the
 * '.' lookahead of FineWeb's \d+(\.\d+)? number pattern. */
static inline void put_cp(norm_state *st, uint32_t c, uint32_t next)
{
    unsigned f = st->flags;
    /* (DD_NORM_DTPUNCT never reaches here: put_ascii skips those characters
     * by its table, put_unicode deletes them from the run before it
     * decomposes) */
    if (f & DD_NORM_DIGITS) {
        if (is_digit_cp(c)) {
            if (!st->in_digits) {
                emit_raw(st, '0');
                st->in_digits = 1;
            }
            return;
        }
        if (c == '.' && st->in_digits == 1 && is_digit_cp(next)) {
            st->in_digits = 2;
            return;
        }
        st->in_digits = 0;
    }
    if (is_space_cp(c)) {
        separator(st, c);
        return;
    }
    if ((f & DD_NORM_PUNCT) && is_punct_cp(c)) {
        separator(st, ' ');
        return;
    }
    if (f & DD_NORM_LOWER) { /* Python's lower(): İ is i + U+0307 */
        uint32_t lc[2];
        for (int i = 0, n = py_lower(c, lc); i < n; i++) emit_raw(st, lc[i]);
        return;
    }
    emit_raw(st, c);
}

/* ASCII fast path: a plain character with no pending separator or number
 * state is copied through a 128-entry map; with DD_NORM_SPACE a separator
 * only sets the pending space; everything else takes put_cp(). The tables
 * depend on the flags only, so they are built once per scratch. */
enum { CL_PLAIN = 0, CL_SEP = 1, CL_OTHER = 2, CL_DEL = 3 };

static void ascii_tables(dd_scratch *sc, unsigned flags)
{
    if (sc->tab_ready && sc->tab_flags == flags) return;
    for (unsigned c = 0; c < 128; c++) {
        int sep = is_space_cp(c) || ((flags & DD_NORM_PUNCT) && is_punct_cp(c));
        int num = (flags & DD_NORM_DIGITS) && (c == '.' || (c >= '0' && c <= '9'));
        /* deleted as datatrove deletes it, after its whitespace step: nothing
         * is emitted and a number or word goes on ("e-mail" -> "email") */
        int del = (flags & DD_NORM_DTPUNCT) && !is_space_cp(c) && in_datatrove_punct((int32_t)c);
        sc->cls[c] = del ? CL_DEL : num ? CL_OTHER : sep ? ((flags & DD_NORM_SPACE) ? CL_SEP : CL_OTHER) : CL_PLAIN;
        sc->map[c] = (unsigned char)((flags & DD_NORM_LOWER) && c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    sc->tab_flags = flags;
    sc->tab_ready = 1;
}

static void put_ascii(norm_state *st, const dd_scratch *sc, const unsigned char *s, size_t i,
                      size_t end, size_t n)
{
    const unsigned char *cls = sc->cls, *map = sc->map;
    char *out = st->out;
    /* locals, not st->..., so that stores to out[] do not force reloads */
    size_t len = st->len;
    int pending = st->pending_space, indig = st->in_digits;
    for (; i < end; i++) {
        unsigned c = s[i];
        unsigned k = cls[c];
        if (k == CL_PLAIN && !(pending | indig)) {
            out[len++] = (char)map[c];
        } else if (k == CL_DEL) {
            continue;
        } else if (k == CL_SEP) {
            indig = 0;
            pending = len != 0;
        } else if (k == CL_PLAIN && !indig) {
            out[len++] = ' ';
            out[len++] = (char)map[c];
            pending = 0;
        } else {
            st->len = len;
            st->pending_space = pending;
            st->in_digits = indig;
            put_cp(st, c, i + 1 < n ? s[i + 1] : 0);
            len = st->len;
            pending = st->pending_space;
            indig = st->in_digits;
        }
    }
    st->len = len;
    st->pending_space = pending;
    st->in_digits = indig;
}

/* Lenient UTF-8 decoding: an invalid byte is U+FFFD. */
static uint32_t decode_lenient(const unsigned char *s, size_t n, size_t *i)
{
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate(s + *i, (utf8proc_ssize_t)(n - *i), &c);
    if (k <= 0) {
        (*i)++;
        return 0xfffd;
    }
    *i += (size_t)k;
    return (uint32_t)c;
}

static void put_unicode(norm_state *st, const unsigned char *s, size_t from, size_t to,
                        size_t n, dd_scratch *sc)
{
    /* datatrove deletes its punctuation before it decomposes: U+037E (Greek
     * question mark) is not in the set, though its NFD is ';', which is. So
     * the deletion is done on the run as written, and not again on what
     * decomposition makes. */
    const unsigned char *src = s + from;
    size_t slen = to - from;
    unsigned saved = st->flags;
    if (st->flags & DD_NORM_DTPUNCT) {
        sc->kept = grow(sc->kept, &sc->kept_cap, slen + 1, 1);
        size_t k = 0;
        for (size_t i = from; i < to;) {
            size_t i0 = i;
            uint32_t c = decode_lenient(s, to, &i);
            if (!is_space_cp(c) && in_datatrove_punct((int32_t)c)) continue;
            memcpy(sc->kept + k, s + i0, i - i0);
            k += i - i0;
        }
        src = sc->kept;
        slen = k;
        st->flags &= ~(unsigned)DD_NORM_DTPUNCT;
    }
    utf8proc_option_t opts = 0;
    int strip = (st->flags & DD_NORM_DIACRITICS) != 0;
    if (st->flags & DD_NORM_NFKC) opts |= UTF8PROC_COMPAT | UTF8PROC_COMPOSE;
    /* datatrove: NFD, then every Mn dropped (Mc and Me stay; utf8proc's
     * STRIPMARK would drop them too), left decomposed */
    if (strip) opts = (opts & ~(utf8proc_option_t)UTF8PROC_COMPOSE) | UTF8PROC_DECOMPOSE;
    utf8proc_ssize_t len = -1;
    if (opts) {
        for (;;) {
            len = utf8proc_decompose(src, (utf8proc_ssize_t)slen, sc->cps,
                                     (utf8proc_ssize_t)sc->cps_cap, opts);
            if (len < 0 || (size_t)len <= sc->cps_cap) break;
            sc->cps = grow(sc->cps, &sc->cps_cap, (size_t)len, sizeof *sc->cps);
        }
        if (len >= 0) len = utf8proc_normalize_utf32(sc->cps, len, opts);
    }
    if (len < 0) {   /* no normalisation asked for, or invalid UTF-8 */
        len = 0;
        for (size_t i = 0; i < slen;) {
            sc->cps = grow(sc->cps, &sc->cps_cap, (size_t)len + 1, sizeof *sc->cps);
            sc->cps[len++] = (int32_t)decode_lenient(src, slen, &i);
        }
    }
    for (utf8proc_ssize_t k = 0; k < len; k++) {
        if (strip && utf8proc_category(sc->cps[k]) == UTF8PROC_CATEGORY_MN) continue;
        utf8proc_ssize_t q = k + 1;
        while (strip && q < len && utf8proc_category(sc->cps[q]) == UTF8PROC_CATEGORY_MN) q++;
        uint32_t next = q < len ? (uint32_t)sc->cps[q] : (to < n ? s[to] : 0);
        put_cp(st, (uint32_t)sc->cps[k], next);
    }
    st->flags = saved;
}

/* Python's Cased and Case_Ignorable properties (str.lower()'s final sigma
 * context), from what utf8proc gives: cased = a letter with a case mapping,
 * Lu/Ll/Lt, or ª º; case-ignorable = Mn, Me, Cf, Lm, Sk, or Word_Break
 * MidLetter, MidNumLet and Single_Quote. */
static int cased_cp(uint32_t c)
{
    if (c < 0x80) return (c | 32) >= 'a' && (c | 32) <= 'z';
    if (c == 0xAA || c == 0xBA) return 1;
    utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)c);
    if (k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LL || k == UTF8PROC_CATEGORY_LT)
        return 1;
    return utf8proc_tolower((utf8proc_int32_t)c) != (utf8proc_int32_t)c ||
           utf8proc_toupper((utf8proc_int32_t)c) != (utf8proc_int32_t)c;
}

static int case_ignorable_cp(uint32_t c)
{
    switch (c) {
    case 0x27: case 0x2E: case 0x3A: case 0xB7: case 0x387: case 0x55F: case 0x5F4:
    case 0x2018: case 0x2019: case 0x2024: case 0x2027: case 0xFE13: case 0xFE52:
    case 0xFE55: case 0xFF07: case 0xFF0E: case 0xFF1A:
        return 1;
    }
    if (c < 0x80) return c == '^' || c == '`';   /* Sk */
    utf8proc_category_t k = utf8proc_category((utf8proc_int32_t)c);
    return k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_ME || k == UTF8PROC_CATEGORY_CF ||
           k == UTF8PROC_CATEGORY_LM || k == UTF8PROC_CATEGORY_SK;
}

/* The code point ending just before s[i] (*i moves to its start). */
static uint32_t decode_before(const unsigned char *s, size_t *i)
{
    size_t j = *i - 1, stop = *i >= 4 ? *i - 4 : 0;
    while (j > stop && (s[j] & 0xC0) == 0x80) j--;
    size_t k = j;
    uint32_t c = decode_lenient(s, *i, &k);
    if (k != *i) {   /* not one code point: a stray byte */
        *i -= 1;
        return 0xfffd;
    }
    *i = j;
    return c;
}

/* Python's str.lower() maps U+03A3 to final ς, not σ, when it follows a
 * cased letter and no cased letter follows it (case-ignorable characters
 * between are skipped both ways; CPython's handle_capital_sigma). As that is
 * decided on the text as written, before datatrove's other steps, the final
 * ones are rewritten to ς (same two UTF-8 bytes) in a copy first. Returns
 * the text to normalise: text itself when it has no final capital sigma. */
static const unsigned char *final_sigmas(const unsigned char *s, size_t n, dd_scratch *sc)
{
    const unsigned char *p = memmem(s, n, "\xCE\xA3", 2);
    if (!p) return s;
    unsigned char *out = NULL;
    for (; p; p = memmem(p + 2, n - (size_t)(p + 2 - s), "\xCE\xA3", 2)) {
        size_t at = (size_t)(p - s), i = at;
        uint32_t c = 0;
        int final = 0;
        while (i > 0 && case_ignorable_cp(c = decode_before(s, &i))) c = 0;
        final = c && cased_cp(c);
        for (size_t j = at + 2; final && j < n;) {
            c = decode_lenient(s, n, &j);
            if (case_ignorable_cp(c)) continue;
            final = !cased_cp(c);
            break;
        }
        if (!final) continue;
        if (!out) {
            sc->sigma = grow(sc->sigma, &sc->sigma_cap, n + 1, 1);
            out = (unsigned char *)sc->sigma;
            memcpy(out, s, n);
        }
        out[at] = 0xCF;   /* U+03C2 */
        out[at + 1] = 0x82;
    }
    return out ? out : s;
}

/* Whether NFKC of s may hold a capital sigma: Σ itself, or a code point
 * whose NFKC form is Σ (U+03F9 lunate Ϲ; U+1D6BA, U+1D6F4, U+1D72E, U+1D768,
 * U+1D7A2, the mathematical capital sigmas; no others in Python 3.11's
 * Unicode 14.0 data). */
static int may_hold_sigma_nfkc(const unsigned char *s, size_t n)
{
    if (memmem(s, n, "\xCE\xA3", 2) || memmem(s, n, "\xCF\xB9", 2)) return 1;
    /* U+1D6BA .. U+1D7A2: F0 9D 9A..9E xx */
    for (const unsigned char *p = memmem(s, n, "\xF0\x9D", 2); p;
         p = memmem(p + 2, n - (size_t)(p + 2 - s), "\xF0\x9D", 2)) {
        size_t at = (size_t)(p - s);
        if (at + 3 >= n) break;
        uint32_t c = ((uint32_t)(p[1] & 0x3F) << 12) | ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
        c |= 0x10000;
        if (c == 0x1D6BA || c == 0x1D6F4 || c == 0x1D72E || c == 0x1D768 || c == 0x1D7A2) return 1;
    }
    return 0;
}

size_t dd_normalize(const char *text, size_t n, unsigned flags, dd_scratch *sc)
{
    const unsigned char *s = (const unsigned char *)text;
    if ((flags & DD_NORM_LOWER) && (flags & DD_NORM_NFKC) && may_hold_sigma_nfkc(s, n)) {
        /* Python's normalize('NFKC', t).lower() decides final sigmas on the
         * NFKC text (ΑϹ is ας; ㎖Σ, "mlΣ", is mlς): NFKC first, then the
         * sigmas, then the whole normalisation (NFKC again changes nothing) */
        size_t m = dd_normalize(text, n, DD_NORM_NFKC, sc);
        sc->nfkc = grow(sc->nfkc, &sc->nfkc_cap, m + 1, 1);
        memcpy(sc->nfkc, sc->norm, m + 1);
        n = m;
        s = final_sigmas((const unsigned char *)sc->nfkc, n, sc);
    } else if (flags & DD_NORM_LOWER) {
        s = final_sigmas(s, n, sc);
    }
    /* NFKC can expand a code point to 18 code points of up to 4 bytes each. */
    sc->norm = grow(sc->norm, &sc->norm_cap, n * 18 + 16, 1);
    norm_state st = {sc->norm, 0, flags, 0, 0};
    ascii_tables(sc, flags);
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] < 0x80) j++;
        if (j == n) {
            put_ascii(&st, sc, s, i, n, n);
            break;
        }
        /* The ASCII character before a non-ASCII run may compose with a
         * following combining mark, so it goes through utf8proc with the run. */
        size_t k = j > i ? j - 1 : j;
        put_ascii(&st, sc, s, i, k, n);
        size_t m = j;
        while (m < n && s[m] >= 0x80) m++;
        put_unicode(&st, s, k, m, n, sc);
        i = m;
    }
    st.out[st.len] = 0;
    return st.len;
}

/* ---- MinHash ----------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void dd_minhash_init(dd_minhash *m, int bands, int rows, int shingle, uint64_t seed)
{
    m->bands = bands;
    m->rows = rows;
    m->shingle = shingle;
    m->nhash = bands * rows;
    uint64_t x = seed;
    for (int i = 0; i < m->nhash && i < DD_MAX_HASHES; i++) {
        m->a[i] = 1 + splitmix64(&x) % (DD_MERSENNE61 - 1);   /* a in [1, p) */
        m->b[i] = splitmix64(&x) % DD_MERSENNE61;             /* b in [0, p) */
    }
}

size_t dd_shingles(const dd_minhash *m, const char *norm, size_t n, dd_scratch *sc)
{
    const unsigned char *s = (const unsigned char *)norm;
    size_t nw = 0, i = 0;
    while (i < n) {
        /* skip whitespace */
        while (i < n) {
            if (s[i] < 0x80) {
                if (!ascii_space(s[i])) break;
                i++;
            } else {
                size_t t = i;
                if (!is_space_cp(decode_lenient(s, n, &t))) break;
                i = t;
            }
        }
        if (i >= n) break;
        size_t start = i;
        while (i < n) {
            if (s[i] < 0x80) {
                if (ascii_space(s[i])) break;
                i++;
            } else {
                size_t t = i;
                if (is_space_cp(decode_lenient(s, n, &t))) break;
                i = t;
            }
        }
        sc->words = grow(sc->words, &sc->words_cap, nw + 1, sizeof *sc->words);
        sc->words[nw++] = XXH3_64bits(s + start, i - start);
    }
    size_t k = (size_t)m->shingle, ns;
    /* fewer words than a shingle: no shingles, so no signature and never a
     * near duplicate (datatrove writes no signature for such a text) */
    if (nw < k) return 0;
    ns = nw - k + 1;
    sc->shingles = grow(sc->shingles, &sc->shingles_cap, ns, sizeof *sc->shingles);
    for (size_t w = 0; w < ns; w++)
        sc->shingles[w] = XXH3_64bits(sc->words + w, k * 8);
    return ns;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

size_t dd_sort_unique(uint64_t *v, size_t n)
{
    if (n < 2) return n;
    qsort(v, n, sizeof *v, cmp_u64);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (v[i] != v[k - 1]) v[k++] = v[i];
    return k;
}

/* Wrapping 64-bit a*h + b, as datatrove computes it with numpy uint64,
 * then reduced mod 2^61 - 1 (x = hi*2^61 + lo == hi + lo). */
static inline uint64_t perm(uint64_t a, uint64_t b, uint64_t h)
{
    uint64_t v = a * h + b;
    v = (v & DD_MERSENNE61) + (v >> 61);
    return v >= DD_MERSENNE61 ? v - DD_MERSENNE61 : v;
}

static void minhash_sig_scalar(const dd_minhash *m, const uint64_t *sh, size_t n,
                               uint64_t *sig)
{
    int nh = m->nhash;
    /* Blocks of shingles against all hashes keep sig[] and the block in L1. */
    for (size_t s0 = 0; s0 < n; s0 += 64) {
        size_t s1 = s0 + 64 < n ? s0 + 64 : n;
        for (int j = 0; j < nh; j++) {
            uint64_t a = m->a[j], b = m->b[j], mn = sig[j];
            for (size_t s = s0; s < s1; s++) {
                uint64_t v = perm(a, b, sh[s]);
                mn = v < mn ? v : mn;
            }
            sig[j] = mn;
        }
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define DD_HAVE_AVX2 1
/* AVX2 has no 64x64-bit multiply: a*h mod 2^64 = lo(a)*lo(h) +
 * ((hi(a)*lo(h) + lo(a)*hi(h)) << 32), three 32x32->64 multiplies, four
 * shingles per vector. Values stay below 2^62, so signed compares are safe.
 * Same results as the scalar code, bit for bit. */
__attribute__((target("avx2"))) static void minhash_sig_avx2(const dd_minhash *m,
                                                              const uint64_t *sh, size_t n,
                                                              uint64_t *sig)
{
    const __m256i P = _mm256_set1_epi64x((long long)DD_MERSENNE61);
    const __m256i Pm1 = _mm256_set1_epi64x((long long)(DD_MERSENNE61 - 1));
    size_t n4 = n & ~(size_t)3;
    for (size_t s0 = 0; s0 < n4; s0 += 64) {
        size_t s1 = s0 + 64 < n4 ? s0 + 64 : n4;
        for (int j = 0; j < m->nhash; j++) {
            const __m256i A = _mm256_set1_epi64x((long long)m->a[j]);
            const __m256i Ahi = _mm256_srli_epi64(A, 32);
            const __m256i B = _mm256_set1_epi64x((long long)m->b[j]);
            __m256i mn = P, mn2 = P;   /* above every reduced value */
#define DD_PERM4(h, acc)                                                                   \
    do {                                                                                   \
        __m256i hhi_ = _mm256_srli_epi64(h, 32);                                           \
        __m256i lo_ = _mm256_mul_epu32(A, h);                                              \
        __m256i cr_ = _mm256_add_epi64(_mm256_mul_epu32(Ahi, h), _mm256_mul_epu32(A, hhi_)); \
        __m256i v_ = _mm256_add_epi64(_mm256_add_epi64(lo_, _mm256_slli_epi64(cr_, 32)), B); \
        __m256i r_ = _mm256_add_epi64(_mm256_and_si256(v_, P), _mm256_srli_epi64(v_, 61));  \
        r_ = _mm256_sub_epi64(r_, _mm256_and_si256(_mm256_cmpgt_epi64(r_, Pm1), P));       \
        acc = _mm256_blendv_epi8(acc, r_, _mm256_cmpgt_epi64(acc, r_));                    \
    } while (0)
            size_t s = s0;
            for (; s + 8 <= s1; s += 8) {   /* two chains for more parallelism */
                __m256i h0 = _mm256_loadu_si256((const __m256i *)(sh + s));
                __m256i h1 = _mm256_loadu_si256((const __m256i *)(sh + s + 4));
                DD_PERM4(h0, mn);
                DD_PERM4(h1, mn2);
            }
            for (; s < s1; s += 4) {
                __m256i h0 = _mm256_loadu_si256((const __m256i *)(sh + s));
                DD_PERM4(h0, mn);
            }
#undef DD_PERM4
            mn = _mm256_blendv_epi8(mn, mn2, _mm256_cmpgt_epi64(mn, mn2));
            uint64_t lanes[4];
            _mm256_storeu_si256((__m256i *)lanes, mn);
            for (int k = 0; k < 4; k++)
                if (lanes[k] < sig[j]) sig[j] = lanes[k];
        }
    }
    if (n4 < n) minhash_sig_scalar(m, sh + n4, n - n4, sig);
}
#endif

void dd_minhash_sig(const dd_minhash *m, const uint64_t *sh, size_t n, uint64_t *sig)
{
    for (int j = 0; j < m->nhash; j++) sig[j] = UINT64_MAX;
#ifdef DD_HAVE_AVX2
    if (n >= 4 && __builtin_cpu_supports("avx2")) {
        minhash_sig_avx2(m, sh, n, sig);
        return;
    }
#endif
    minhash_sig_scalar(m, sh, n, sig);
}

/* For tests: the portable path. */
void dd_minhash_sig_portable(const dd_minhash *m, const uint64_t *sh, size_t n, uint64_t *sig)
{
    for (int j = 0; j < m->nhash; j++) sig[j] = UINT64_MAX;
    minhash_sig_scalar(m, sh, n, sig);
}

void dd_band_hashes(const dd_minhash *m, const uint64_t *sig, uint64_t *band)
{
    for (int i = 0; i < m->bands; i++) {
        uint64_t h = XXH3_64bits_withSeed(sig + (size_t)i * m->rows, (size_t)m->rows * 8,
                                          (uint64_t)i);
        band[i] = h ? h : 1;
    }
}

double dd_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    if (!na && !nb) return 1.0;
    size_t i = 0, j = 0, inter = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) i++;
        else if (a[i] > b[j]) j++;
        else { inter++; i++; j++; }
    }
    return (double)inter / (double)(na + nb - inter);
}

/* ---- union-find -------------------------------------------------------- */

int dd_uf_init(dd_uf *u, uint64_t n)
{
    u->n = n;
    u->parent = malloc((n ? n : 1) * sizeof *u->parent);
    if (!u->parent) return -1;
    for (uint64_t i = 0; i < n; i++) u->parent[i] = (uint32_t)i;
    return 0;
}

void dd_uf_free(dd_uf *u)
{
    free(u->parent);
    u->parent = NULL;
}

uint32_t dd_uf_find(dd_uf *u, uint32_t x)
{
    while (u->parent[x] != x) {
        u->parent[x] = u->parent[u->parent[x]];   /* path halving */
        x = u->parent[x];
    }
    return x;
}

int dd_uf_union(dd_uf *u, uint32_t a, uint32_t b)
{
    uint32_t ra = dd_uf_find(u, a), rb = dd_uf_find(u, b);
    if (ra == rb) return 0;
    /* The smaller index becomes the root, so a set's root is its first member
     * in document order whatever order the pairs arrive in. */
    if (ra < rb) u->parent[rb] = ra;
    else u->parent[ra] = rb;
    return 1;
}

/* ---- configuration ----------------------------------------------------- */

void dd_config_default(dd_config *c)
{
    memset(c, 0, sizeof *c);
    c->bands = 14;
    c->rows = 8;
    c->shingle = 5;
    c->seed = 1;
    c->minhash_norm = DD_NORM_MINHASH_DEFAULT;
    c->exact_norm = DD_NORM_EXACT_DEFAULT;
    c->exact_id = c->exact_text = c->exact_url = 1;
}

int dd_config_check(const dd_config *c, blalm_err *e)
{
    if (c->bands < 1 || c->rows < 1 || c->bands * c->rows > DD_MAX_HASHES)
        return err_set(e, "bands x rows must be between 1 and %d (got %d x %d)",
                       DD_MAX_HASHES, c->bands, c->rows);
    if (c->shingle < 1 || c->shingle > DD_MAX_SHINGLE)
        return err_set(e, "shingle size must be between 1 and %d (got %d)", DD_MAX_SHINGLE,
                       c->shingle);
    return 0;
}

/* ---- --keep-max values ------------------------------------------------- */

/* n digits at *p as an int; advances *p. -1 when not n digits. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char ch = (*p)[i];
        if (ch < '0' || ch > '9') return -1;
        v = v * 10 + (ch - '0');
    }
    *p += n;
    return v;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's algorithm). */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int iso_datetime(const char *s, double *out)
{
    const char *p = s;
    int y = digits(&p, 4);
    if (y < 1 || *p++ != '-') return -1;   /* year 0: fromisoformat refuses it */
    int mo = digits(&p, 2);
    if (mo < 1 || mo > 12 || *p++ != '-') return -1;
    int d = digits(&p, 2);
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d < 1 || d > mdays[mo - 1]) return -1;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return -1;
    int hh = 0, mm = 0, ss = 0;
    double frac = 0;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        hh = digits(&p, 2);
        if (hh < 0 || hh > 23 || *p++ != ':') return -1;
        mm = digits(&p, 2);
        if (mm < 0 || mm > 59) return -1;
        if (*p == ':') {
            p++;
            ss = digits(&p, 2);
            if (ss < 0 || ss > 59) return -1;   /* no leap second 60, as fromisoformat */
            if (*p == '.' || *p == ',') {
                p++;
                double scale = 0.1;
                if (*p < '0' || *p > '9') return -1;
                for (; *p >= '0' && *p <= '9'; p++, scale /= 10) frac += (*p - '0') * scale;
            }
        }
        long long off = 0;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1;
            int oh = digits(&p, 2);
            if (oh < 0 || oh > 23) return -1;
            int om = 0;   /* "+05": hours only, as Python's fromisoformat */
            if (*p) {
                if (*p == ':') p++;
                om = digits(&p, 2);
                if (om < 0 || om > 59) return -1;
            }
            off = sign * (oh * 3600LL + om * 60LL);
        }
        if (*p) return -1;
        long long secs = days_from_civil(y, mo, d) * 86400LL + hh * 3600LL + mm * 60LL + ss - off;
        *out = (double)secs + frac;
        return 0;
    }
    if (*p) return -1;
    *out = (double)(days_from_civil(y, mo, d) * 86400LL);
    return 0;
}

int dd_keep_string(const char *s, double *out)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (!n || n > 64) return -1;
    char buf[65];
    memcpy(buf, s, n);
    buf[n] = 0;
    if (iso_datetime(buf, out) == 0) return 0;
    /* a decimal number: digits, at most one point, an exponent; no hex,
     * nan or inf (strtod takes those) */
    const char *p = buf;
    if (*p == '+' || *p == '-') p++;
    int nd = 0;
    while (*p >= '0' && *p <= '9') p++, nd++;
    if (*p == '.') for (p++; *p >= '0' && *p <= '9'; p++) nd++;
    if (!nd) return -1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (*p < '0' || *p > '9') return -1;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (*p) return -1;
    char *end;
    double v = strtod(buf, &end);
    if (*end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}
