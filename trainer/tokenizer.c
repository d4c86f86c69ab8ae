/* tokenizer.c - byte-level BPE (see tokenizer.h for the model and rules). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "trainer/tokenizer.h"

#include <cjson/cJSON.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/hashmap.h"
#include "trainer/unicode_ln.h"

/* \s of the GPT-2 pattern as Unicode White_Space (Oniguruma's \s, which the
 * Rust library uses), written out so that the PCRE2 version's idea of \s
 * (it adds U+180E) does not matter. */
#define WS "\\t\\n\\x{0B}\\f\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"
const char bpe_gpt2_pattern[] =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^" WS "\\p{L}\\p{N}]+|[" WS "]+(?![^" WS "])|[" WS "]+";

/* \p{L} and \p{N} (and \P{L}, \P{N}) are compiled as explicit code point
 * ranges from trainer/unicode_ln.h (Unicode 16.0.0, as the Rust library
 * follows: UNICODE_LN_VERSION; written by scripts/unicode-ln.mjs), not PCRE2's own
 * tables, whose Unicode version is that of the PCRE2 build (14.0 in 10.42):
 * a letter added later would otherwise be punctuation to one build and a
 * letter to another, and the same tokenizer.json would give other ids. */
static void add_ranges(sbuf *out, const unsigned (*r)[2], size_t n, int negate)
{
    unsigned from = 0;
    for (size_t i = 0; i <= n; i++) {
        unsigned lo = i < n ? r[i][0] : 0x110000, hi = i < n ? r[i][1] : 0;
        if (negate) {   /* the gaps, less the surrogates (no characters in UTF-8) */
            unsigned a = from, b = lo;   /* [a, b) */
            if (a < 0xD800 && b > 0xE000) {
                sb_printf(out, "\\x{%X}-\\x{D7FF}", a);
                a = 0xE000;
            } else if (a >= 0xD800 && a < 0xE000) {
                a = 0xE000;
            } else if (b > 0xD800 && b <= 0xE000) {
                b = 0xD800;
            }
            if (a < b) sb_printf(out, a + 1 == b ? "\\x{%X}" : "\\x{%X}-\\x{%X}", a, b - 1);
            if (i < n) from = hi + 1;
        } else if (i < n) {
            sb_printf(out, lo == hi ? "\\x{%X}" : "\\x{%X}-\\x{%X}", lo, hi);
        }
    }
}

/* The class body of \p{L} (cls 'L') or \p{N} (cls 'N'), negate for \P. */
static void add_ln_class(sbuf *out, char cls, int negate)
{
    if (cls == 'L') add_ranges(out, unicode_L_ranges, UNICODE_L_NRANGES, negate);
    else add_ranges(out, unicode_N_ranges, UNICODE_N_NRANGES, negate);
}

/* ------------------------------------------------------------------ */
/* Byte-level alphabet (GPT-2's bytes_to_unicode): printable bytes stand for
 * themselves, the other 68 map to U+0100.. in byte order. */

typedef struct byte_alphabet {
    uint16_t cp[256];      /* byte -> code point */
    int16_t byte_of[324];  /* code point -> byte, -1 if none */
} byte_alphabet;

static void alphabet_init(byte_alphabet *a)
{
    int n = 0;
    for (int i = 0; i < 324; i++) a->byte_of[i] = -1;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        a->cp[b] = (uint16_t)(printable ? b : 256 + n++);
        a->byte_of[a->cp[b]] = (int16_t)b;
    }
}

/* Appends the byte-level spelling of s[0..n) to out. */
static void to_byte_level(const byte_alphabet *a, const char *s, size_t n, sbuf *out)
{
    sb_reserve(out, 2 * n);
    for (size_t i = 0; i < n; i++) {
        unsigned cp = a->cp[(unsigned char)s[i]];
        if (cp < 0x80) {
            out->data[out->len++] = (char)cp;
        } else {
            out->data[out->len++] = (char)(0xC0 | (cp >> 6));
            out->data[out->len++] = (char)(0x80 | (cp & 0x3F));
        }
    }
}

/* Decodes a byte-level string to bytes; -1 if a character is not in the
 * alphabet. */
static int from_byte_level(const byte_alphabet *a, const char *s, size_t n, sbuf *out)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned cp;
        if (u[i] < 0x80) {
            cp = u[i++];
        } else if ((u[i] & 0xE0) == 0xC0 && i + 1 < n && (u[i + 1] & 0xC0) == 0x80) {
            cp = (unsigned)(u[i] & 0x1F) << 6 | (u[i + 1] & 0x3F);
            i += 2;
        } else {
            return -1;
        }
        if (cp >= 324 || a->byte_of[cp] < 0) return -1;
        sb_addc(out, (char)a->byte_of[cp]);
    }
    return 0;
}

/* Length of the longest valid UTF-8 prefix of s[0..n). */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        unsigned c = s[i];
        size_t k;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) k = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0) k = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0) k = 4, cp = c & 0x07, min = 0x10000;
        else return i;
        if (i + k > n) return i;
        for (size_t j = 1; j < k; j++) {
            if ((s[i + j] & 0xC0) != 0x80) return i;
            cp = cp << 6 | (s[i + j] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += k;
    }
    return n;
}

/* ------------------------------------------------------------------ */
/* Hash maps. */

static inline uint64_t hash_bytes(const char *s, size_t n) { return xxh3_64(s, n); }

/* Byte string -> u64 value; entries are dense and stable (index order =
 * insertion order), bytes live in one arena. */
typedef struct strmap {
    uint64_t *slots;  /* high 32 bits of the hash << 32 | entry index + 1; 0 = empty */
    size_t nslots;
    uint64_t *hash, *off, *val;
    uint32_t *len;
    size_t n, cap;
    char *arena;
    size_t arena_len, arena_cap;
} strmap;

static void strmap_free(strmap *m)
{
    free(m->slots);
    free(m->hash);
    free(m->off);
    free(m->val);
    free(m->len);
    free(m->arena);
    memset(m, 0, sizeof *m);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) {
        fputs("blalm: out of memory\n", stderr);
        abort();
    }
    return q;
}

static void strmap_rehash(strmap *m, size_t nslots)
{
    free(m->slots);
    m->slots = calloc(nslots, sizeof *m->slots);
    if (!m->slots) xrealloc(NULL, (size_t)-1 / 2);
    m->nslots = nslots;
    for (size_t i = 0; i < m->n; i++) {
        size_t s = m->hash[i] & (nslots - 1);
        while (m->slots[s]) s = (s + 1) & (nslots - 1);
        m->slots[s] = (m->hash[i] >> 32) << 32 | (uint64_t)(i + 1);
    }
}

/* Returns the entry index of s (adding it with val 0 when absent; *added). */
static size_t strmap_put(strmap *m, const char *s, size_t n, uint64_t h, int *added)
{
    if (2 * (m->n + 1) > m->nslots) strmap_rehash(m, m->nslots ? 2 * m->nslots : 1024);
    size_t mask = m->nslots - 1, slot = h & mask;
    for (;;) {
        uint64_t v = m->slots[slot];
        if (!v) break;
        size_t e = (uint32_t)v - 1;
        if ((v >> 32) == (h >> 32) && m->len[e] == n && !memcmp(m->arena + m->off[e], s, n)) {
            if (added) *added = 0;
            return e;
        }
        slot = (slot + 1) & mask;
    }
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 1024;
        m->hash = xrealloc(m->hash, m->cap * sizeof *m->hash);
        m->off = xrealloc(m->off, m->cap * sizeof *m->off);
        m->val = xrealloc(m->val, m->cap * sizeof *m->val);
        m->len = xrealloc(m->len, m->cap * sizeof *m->len);
    }
    if (m->arena_len + n > m->arena_cap) {
        m->arena_cap = m->arena_cap * 2 > m->arena_len + n ? m->arena_cap * 2 : m->arena_len + n + 4096;
        m->arena = xrealloc(m->arena, m->arena_cap);
    }
    if (n) memcpy(m->arena + m->arena_len, s, n);   /* "" first: arena is still NULL */
    size_t e = m->n++;
    m->hash[e] = h;
    m->off[e] = m->arena_len;
    m->len[e] = (uint32_t)n;
    m->val[e] = 0;
    m->arena_len += n;
    m->slots[slot] = (h >> 32) << 32 | (uint64_t)(e + 1);
    if (added) *added = 1;
    return e;
}

/* Returns the entry index or -1. */
static long strmap_get(const strmap *m, const char *s, size_t n, uint64_t h)
{
    if (!m->nslots) return -1;
    size_t mask = m->nslots - 1, slot = h & mask;
    for (;;) {
        uint64_t v = m->slots[slot];
        if (!v) return -1;
        size_t e = (uint32_t)v - 1;
        if ((v >> 32) == (h >> 32) && m->len[e] == n && !memcmp(m->arena + m->off[e], s, n)) return (long)e;
        slot = (slot + 1) & mask;
    }
}


static inline uint64_t pair_key(uint32_t a, uint32_t b) { return (uint64_t)a << 32 | b; }

/* ------------------------------------------------------------------ */
/* Pre-tokenisation. */

typedef struct pretok {
    pcre2_code *re;
    pcre2_match_data *md;
    pcre2_match_context *mc;
    pcre2_jit_stack *stack;
    int jit;
} pretok;

#define DIFFERS "its meaning differs between PCRE2 (blalm), Oniguruma (the Rust library) and JavaScript " \
                "(Tokenizers.js)"

/* A pattern other than the default one, as PCRE2 is to compile it so that
 * it means what the Hugging Face libraries read in tokenizer.json (the Rust
 * library compiles it with Oniguruma, Tokenizers.js rewrites it for
 * JavaScript): \s and \S become the explicit White_Space class (PCRE2 adds
 * U+180E), '.' becomes [^\n] (Oniguruma's; PCRE2's depends on its newline
 * setting), and what only PCRE2 takes, or what the three read differently,
 * is refused naming the offset: \w \b \h \v \R \X \K \N \Q \G \A \z \Z \g \k and
 * the other letter escapes, backreferences, \p{X..} (PCRE2's own
 * properties), \p{^..}, (?| (?P (?R (?C (?> (?# and inline options other
 * than i, (* verbs, possessive quantifiers, {,n}, ^ and $, and inside a
 * class \S, [: and an unescaped [ (a nested class to Oniguruma). */
static int translate_pattern(const char *p, sbuf *out, blalm_err *e)
{
    size_t n = strlen(p);
    int in_class = 0;
#define REFUSE(at, ...) \
    do { \
        char why_[400]; \
        snprintf(why_, sizeof why_, __VA_ARGS__); \
        return err_set(e, "pre-tokenizer pattern: offset %zu: %s", (size_t)(at), why_); \
    } while (0)
    for (size_t i = 0; i < n;) {
        char c = p[i];
        if (c == '\\' && i + 1 < n) {
            char x = p[i + 1];
            if (x == 's') {
                sb_adds(out, in_class ? WS : "[" WS "]");
            } else if (x == 'S') {
                if (in_class) REFUSE(i, "\\S inside [...] is not accepted: write the class out");
                sb_adds(out, "[^" WS "]");
            } else if (x == 'p' || x == 'P') {
                size_t j = i + 2;
                if (j >= n || p[j] != '{') REFUSE(i, "\\%c without {NAME} is not accepted: write \\%c{NAME}", x, x);
                while (j < n && p[j] != '}') j++;
                if (i + 3 < n && (p[i + 3] == 'X' || p[i + 3] == '^'))
                    REFUSE(i, "\\%c{%.*s} is not accepted: PCRE2's own property or negation syntax", x,
                           (int)(j - i - 3), p + i + 3);
                if (j == i + 4 && (p[i + 3] == 'L' || p[i + 3] == 'N')) {
                    if (!in_class) sb_addc(out, '[');
                    add_ln_class(out, p[i + 3], x == 'P');
                    if (!in_class) sb_addc(out, ']');
                    i = j + 1;
                    continue;
                }
                sb_add(out, p + i, j < n ? j + 1 - i : n - i);
                i = j < n ? j + 1 : n;
                continue;
            } else if (strchr("dDtnrfx", x)) {
                sb_add(out, p + i, 2);
            } else if (strchr("wWbB", x)) {
                REFUSE(i, "\\%c is not accepted: " DIFFERS "; spell it out with \\p{...}, e.g. [\\p{L}\\p{N}_]", x);
            } else if ((x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z') || (x >= '0' && x <= '9')) {
                REFUSE(i, "\\%c is not accepted: " DIFFERS " (or one of them lacks it)", x);
            } else {
                sb_add(out, p + i, 2);   /* an escaped punctuation or other character: itself */
            }
            i += 2;
            continue;
        }
        if (in_class) {
            if (c == '[') REFUSE(i, "'[' inside [...] is not accepted (a nested class or POSIX class to some "
                                    "of the libraries): write \\[");
            if (c == '&' && i + 1 < n && p[i + 1] == '&') REFUSE(i, "'&&' inside [...] is not accepted: " DIFFERS);
            if (c == ']') in_class = 0;
            sb_addc(out, c);
            i++;
            continue;
        }
        if (c == '[') {
            in_class = 1;
            sb_addc(out, c);
            i++;
            if (i < n && p[i] == '^') sb_addc(out, p[i++]);
            if (i < n && p[i] == ']') sb_addc(out, p[i++]);   /* a literal ']' first */
            continue;
        }
        if (c == '(' && i + 1 < n && p[i + 1] == '*') REFUSE(i, "(* verbs are PCRE2's own");
        if (c == '(' && i + 1 < n && p[i + 1] == '?') {
            const char *g = p + i + 2;
            int ok = (*g == ':' || *g == '=' || *g == '!') ||
                     (g[0] == '<' && (g[1] == '=' || g[1] == '!' || (g[1] >= 'a' && g[1] <= 'z') ||
                                      (g[1] >= 'A' && g[1] <= 'Z'))) ||
                     !strncmp(g, "i)", 2) || !strncmp(g, "i:", 2) || !strncmp(g, "-i)", 3) || !strncmp(g, "-i:", 3);
            if (!ok) REFUSE(i, "(?%.2s is not accepted: only (?: (?= (?! (?<= (?<! (?<name> and the option i, "
                               "as in (?i:...), mean the same to PCRE2, Oniguruma and JavaScript", g);
        }
        if (c == '^' || c == '$') REFUSE(i, "'%c' is not accepted: " DIFFERS, c);
        if ((c == '*' || c == '+' || c == '?' || c == '}') && i + 1 < n && p[i + 1] == '+')
            REFUSE(i + 1, "possessive quantifiers are not accepted: JavaScript lacks them");
        if (c == '{' && i + 1 < n && p[i + 1] == ',') REFUSE(i, "{,n} is not accepted: " DIFFERS "; write {0,n}");
        if (c == '.') {
            sb_adds(out, "[^\\n]");
            i++;
            continue;
        }
        sb_addc(out, c);
        i++;
    }
#undef REFUSE
    return 0;
}

/* The pattern as PCRE2 reads it, untranslated: how every blalm before the
 * translation compiled a pattern. */
static pcre2_code *compile_raw(const char *pattern, blalm_err *e)
{
    int code;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP, &code, &off,
                                   NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(code, msg, sizeof msg);
        err_set(e, "pre-tokenizer pattern: offset %zu: %s", (size_t)off, (const char *)msg);
    }
    return re;
}

/* The translated pattern (translate_pattern), refusing what it refuses and a
 * pattern that can match the empty string. */
static pcre2_code *compile_translated(const char *pattern, blalm_err *e)
{
    sbuf tr;
    sb_init(&tr);
    if (translate_pattern(pattern, &tr, e) != 0) {
        sb_free(&tr);
        return NULL;
    }
    /* the pattern as given first, so a syntax error names its own offset */
    pcre2_code *re = compile_raw(pattern, e);
    if (re && tr.len) {
        pcre2_code_free(re);
        re = compile_raw(sb_cstr(&tr), e);
    }
    sb_free(&tr);
    if (!re) return NULL;
    /* An empty match splits the text between matches other than the Rust
     * library's Split does (blalm steps over one character); refused. */
    uint32_t minlen = 0;
    if (pcre2_pattern_info(re, PCRE2_INFO_MINLENGTH, &minlen) != 0 || minlen == 0) {
        pcre2_code_free(re);
        err_set(e, "pre-tokenizer pattern: it can match the empty string; every alternative must take at least "
                "one character (e.g. \\p{L}+, not \\p{L}*)");
        return NULL;
    }
    return re;
}

/* A new tokenizer's pattern (loaded_from NULL) must translate. A loaded
 * one whose pattern does not was written by a blalm before the translation
 * (which took any PCRE2 pattern) or by another tool: its tokens.json and
 * checkpoints record the file's sha256, so refusing it would strand the run.
 * It is compiled as those versions compiled it, untranslated, so it encodes
 * as it did when it was written, with one warning naming the construct. */
static pcre2_code *compile_pattern(const char *pattern, const char *loaded_from, int *jit, blalm_err *e)
{
    blalm_err local;
    if (!e) e = &local;
    pcre2_code *re = compile_translated(pattern, e);
    if (!re && loaded_from) {
        blalm_err why = *e;
        re = compile_raw(pattern, e);
        if (re) {
            /* once per file: eval and export load a run's tokenizer more than once */
            static char warned[4096];
            if (strcmp(warned, loaded_from) != 0) {
                snprintf(warned, sizeof warned, "%s", loaded_from);
                print_warning("%s: %s; loaded as PCRE2 reads it, as the blalm that wrote it did, so it may "
                              "tokenize differently in the Hugging Face libraries",
                              loaded_from, why.msg);
            }
        }
    }
    if (!re) return NULL;
    *jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
    return re;
}

static int pretok_init(pretok *p, const pcre2_code *re, int jit, blalm_err *e)
{
    memset(p, 0, sizeof *p);
    p->re = (pcre2_code *)re;
    p->jit = jit;
    p->md = pcre2_match_data_create_from_pattern(re, NULL);
    p->mc = pcre2_match_context_create(NULL);
    if (!p->md || !p->mc) return err_set(e, "pre-tokenizer: out of memory");
    if (jit) {
        /* Long whitespace runs backtrack through (?!\S); give the JIT room. */
        p->stack = pcre2_jit_stack_create(32 * 1024, 8 * 1024 * 1024, NULL);
        if (!p->stack) return err_set(e, "pre-tokenizer: out of memory");
        pcre2_jit_stack_assign(p->mc, NULL, p->stack);
    }
    return 0;
}

static void pretok_free(pretok *p)
{
    pcre2_match_data_free(p->md);
    pcre2_match_context_free(p->mc);
    if (p->stack) pcre2_jit_stack_free(p->stack);
    memset(p, 0, sizeof *p);
}

typedef void (*piece_fn)(void *arg, const char *s, size_t n);

/* Pieces of a valid UTF-8 run: each match, and any text between matches (as
 * the Rust library's Isolated split keeps it; the GPT-2 pattern leaves none). */
static int pretok_valid(pretok *p, const char *s, size_t n, piece_fn fn, void *arg, blalm_err *e)
{
    size_t pos = 0, gap = 0;
    while (pos < n) {
        int rc = p->jit ? pcre2_jit_match(p->re, (PCRE2_SPTR)s, n, pos, 0, p->md, p->mc)
                        : pcre2_match(p->re, (PCRE2_SPTR)s, n, pos, PCRE2_NO_UTF_CHECK, p->md, p->mc);
        if (rc == PCRE2_ERROR_NOMATCH) break;
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            return err_set(e, "pre-tokenizer: byte %zu: %s", pos, (const char *)msg);
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(p->md);
        size_t a = ov[0], b = ov[1];
        if (b == a) { /* empty match: step over one character */
            pos = a + 1;
            while (pos < n && ((unsigned char)s[pos] & 0xC0) == 0x80) pos++;
            continue;
        }
        if (a > gap) fn(arg, s + gap, a - gap);
        fn(arg, s + a, b - a);
        pos = gap = b;
    }
    if (n > gap) fn(arg, s + gap, n - gap);
    return 0;
}

/* All pieces of any byte string: valid UTF-8 runs go through the pattern,
 * each byte of an invalid sequence is a piece of its own. */
static int pretok_bytes(pretok *p, const char *s, size_t n, piece_fn fn, void *arg, blalm_err *e)
{
    size_t i = 0;
    while (i < n) {
        size_t v = utf8_valid_len((const unsigned char *)s + i, n - i);
        if (v > 0 && pretok_valid(p, s + i, v, fn, arg, e) != 0) return -1;
        i += v;
        if (i < n) fn(arg, s + i++, 1);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* The tokenizer. */

/* t->special[id]: 0 for a byte-level token, else an added token (its text
 * verbatim) with these bits, as tokenizer.json's added_tokens say:
 * special (matched only under BPE_ALLOW_SPECIAL, left out by decode's
 * skip_special) unless ADDED_PLAIN (matched always, never left out), and
 * ADDED_NORMALIZED ("normalized": true: the Rust library matches such tokens
 * only in the text between the others, its second pass). The binary form
 * stores the byte; files before these bits hold 0 or 1. */
#define ADDED 1
#define ADDED_PLAIN 2
#define ADDED_NORMALIZED 4

struct bpe_tokenizer {
    uint32_t n_vocab, n_merges;
    size_t vocab_cap, merges_cap;
    uint64_t *tok_off;
    uint32_t *tok_len;
    char *blob;
    size_t blob_len, blob_cap;
    uint8_t *special;
    uint32_t *merges;     /* 3 per rank: a, b, out */
    u64map rank_of;       /* pair_key(a, b) -> rank */
    uint32_t byte_id[256];
    uint32_t eot_id, pad_id;
    uint32_t *special_ids;   /* every added token, special or not */
    uint32_t n_special;
    char *pattern;
    int default_pattern;
    pcre2_code *re;
    int jit;
    uint8_t sha[32];
    byte_alphabet abc;
};

static bpe_tokenizer *tok_new(void)
{
    bpe_tokenizer *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->eot_id = t->pad_id = BPE_NO_ID;
    alphabet_init(&t->abc);
    return t;
}

static uint32_t tok_add(bpe_tokenizer *t, const char *s, size_t n, int special)
{
    if (t->n_vocab == t->vocab_cap) {
        size_t cap = t->vocab_cap = t->vocab_cap ? 2 * t->vocab_cap : 512;
        t->tok_off = xrealloc(t->tok_off, cap * sizeof *t->tok_off);
        t->tok_len = xrealloc(t->tok_len, cap * sizeof *t->tok_len);
        t->special = xrealloc(t->special, cap);
    }
    if (t->blob_len + n > t->blob_cap) {
        t->blob_cap = 2 * (t->blob_len + n) + 4096;
        t->blob = xrealloc(t->blob, t->blob_cap);
    }
    memcpy(t->blob + t->blob_len, s, n);
    uint32_t id = t->n_vocab++;
    t->tok_off[id] = t->blob_len;
    t->tok_len[id] = (uint32_t)n;
    t->special[id] = (uint8_t)special;
    t->blob_len += n;
    return id;
}

static void tok_add_merge(bpe_tokenizer *t, uint32_t a, uint32_t b, uint32_t out)
{
    if (t->n_merges == t->merges_cap) {
        size_t cap = t->merges_cap = t->merges_cap ? 2 * t->merges_cap : 256;
        t->merges = xrealloc(t->merges, 3 * cap * sizeof *t->merges);
    }
    uint32_t r = t->n_merges++;
    t->merges[3 * r] = a;
    t->merges[3 * r + 1] = b;
    t->merges[3 * r + 2] = out;
    /* A repeated pair takes its later rank, as in the Rust library and
     * Tokenizers.js (their rank maps are built in order). */
    *u64map_put(&t->rank_of, pair_key(a, b), r, NULL) = r;
}

/* loaded_from: the file's name when the tokenizer is loaded, NULL when it
 * is created (compile_pattern). */
static int tok_set_pattern(bpe_tokenizer *t, const char *pattern, const char *loaded_from, blalm_err *e)
{
    if (!pattern) pattern = bpe_gpt2_pattern;
    t->default_pattern = !strcmp(pattern, bpe_gpt2_pattern);
    t->pattern = strdup(pattern);
    if (!t->pattern) return err_set(e, "out of memory");
    t->re = compile_pattern(pattern, loaded_from, &t->jit, e);
    return t->re ? 0 : -1;
}

static void tok_set_special_ids(bpe_tokenizer *t)
{
    free(t->special_ids);
    t->special_ids = NULL;
    t->n_special = 0;
    t->eot_id = t->pad_id = BPE_NO_ID;
    for (uint32_t id = 0; id < t->n_vocab; id++) {
        if (!t->special[id]) continue;
        t->special_ids = xrealloc(t->special_ids, (t->n_special + 1) * sizeof *t->special_ids);
        t->special_ids[t->n_special++] = id;
        if (t->special[id] & ADDED_PLAIN) continue;   /* <|endoftext|> must be a special token */
        size_t n = t->tok_len[id];
        const char *s = t->blob + t->tok_off[id];
        if (n == strlen(BPE_EOT) && !memcmp(s, BPE_EOT, n)) t->eot_id = id;
        if (n == strlen(BPE_PAD) && !memcmp(s, BPE_PAD, n)) t->pad_id = id;
    }
}

void bpe_free(bpe_tokenizer *t)
{
    if (!t) return;
    free(t->tok_off);
    free(t->tok_len);
    free(t->blob);
    free(t->special);
    free(t->merges);
    u64map_free(&t->rank_of);
    free(t->special_ids);
    free(t->pattern);
    pcre2_code_free(t->re);
    free(t);
}

uint32_t bpe_vocab_size(const bpe_tokenizer *t) { return t->n_vocab; }
uint32_t bpe_merges_count(const bpe_tokenizer *t) { return t->n_merges; }
uint32_t bpe_eot_id(const bpe_tokenizer *t) { return t->eot_id; }
uint32_t bpe_pad_id(const bpe_tokenizer *t) { return t->pad_id; }
const char *bpe_pattern(const bpe_tokenizer *t) { return t->pattern; }
const uint8_t *bpe_json_sha256(const bpe_tokenizer *t) { return t->sha; }
int bpe_is_special(const bpe_tokenizer *t, uint32_t id)
{
    return id < t->n_vocab && t->special[id] && !(t->special[id] & ADDED_PLAIN);
}

const char *bpe_token_bytes(const bpe_tokenizer *t, uint32_t id, size_t *len)
{
    if (id >= t->n_vocab) {
        *len = 0;
        return NULL;
    }
    *len = t->tok_len[id];
    return t->blob + t->tok_off[id];
}

void bpe_merge_at(const bpe_tokenizer *t, uint32_t rank, uint32_t *a, uint32_t *b, uint32_t *out)
{
    *a = t->merges[3 * rank];
    *b = t->merges[3 * rank + 1];
    *out = t->merges[3 * rank + 2];
}

/* ------------------------------------------------------------------ */
/* Counting pre-tokens. */

struct bpe_counter {
    char *pattern;
    pcre2_code *re;
    pretok pt;
    strmap words;  /* pre-token bytes -> count */
    uint64_t total, bytes;
};

bpe_counter *bpe_counter_new(const char *pattern, blalm_err *e)
{
    bpe_counter *c = calloc(1, sizeof *c);
    if (!c) {
        err_set(e, "out of memory");
        return NULL;
    }
    int jit;
    c->pattern = strdup(pattern ? pattern : bpe_gpt2_pattern);
    c->re = c->pattern ? compile_pattern(c->pattern, NULL, &jit, e) : NULL;
    if (!c->re || pretok_init(&c->pt, c->re, jit, e) != 0) {
        bpe_counter_free(c);
        return NULL;
    }
    return c;
}

static void count_piece(void *arg, const char *s, size_t n)
{
    bpe_counter *c = arg;
    size_t i = strmap_put(&c->words, s, n, hash_bytes(s, n), NULL);
    c->words.val[i]++;
    c->total++;
}

int bpe_counter_feed(bpe_counter *c, const char *text, size_t n, blalm_err *e)
{
    c->bytes += n;
    return pretok_bytes(&c->pt, text, n, count_piece, c, e);
}

int bpe_counter_merge(bpe_counter *c, const bpe_counter *o, blalm_err *e)
{
    if (strcmp(c->pattern, o->pattern) != 0) return err_set(e, "counters use different patterns");
    for (size_t i = 0; i < o->words.n; i++) {
        const char *s = o->words.arena + o->words.off[i];
        size_t j = strmap_put(&c->words, s, o->words.len[i], o->words.hash[i], NULL);
        c->words.val[j] += o->words.val[i];
    }
    c->total += o->total;
    c->bytes += o->bytes;
    return 0;
}

uint64_t bpe_counter_pretokens(const bpe_counter *c) { return c->total; }
uint64_t bpe_counter_unique(const bpe_counter *c) { return c->words.n; }
uint64_t bpe_counter_bytes(const bpe_counter *c) { return c->bytes; }

void bpe_counter_free(bpe_counter *c)
{
    if (!c) return;
    pretok_free(&c->pt);
    pcre2_code_free(c->re);
    strmap_free(&c->words);
    free(c->pattern);
    free(c);
}

/* ------------------------------------------------------------------ */
/* Training. */

void bpe_train_opts_default(bpe_train_opts *o)
{
    memset(o, 0, sizeof *o);
    o->vocab_size = BPE_DEFAULT_VOCAB;
    o->min_frequency = BPE_DEFAULT_MIN_FREQUENCY;
}

typedef struct pair_rec {
    uint32_t a, b;
    int64_t count;
    uint32_t *where;  /* words that may hold the pair (may repeat, may be stale) */
    uint32_t nwhere, capwhere;
    uint8_t touched;
} pair_rec;

typedef struct heap_ent {
    int64_t count;
    uint32_t a, b;
} heap_ent;

typedef struct trainer {
    /* words: symbols syms[start[w] .. start[w] + len[w]) with count[w] */
    uint32_t *syms;
    uint64_t *start;
    uint32_t *len;
    int64_t *count;
    size_t n_words;
    pair_rec *pairs;
    size_t n_pairs, cap_pairs;
    u64map pair_index;
    heap_ent *heap;
    size_t n_heap, cap_heap;
    uint32_t *touched;
    size_t n_touched, cap_touched;
} trainer;

/* Max-heap order: higher count first; ties to the lower (a, b). */
static inline int heap_before(const heap_ent *x, const heap_ent *y)
{
    if (x->count != y->count) return x->count > y->count;
    if (x->a != y->a) return x->a < y->a;
    return x->b < y->b;
}

static void heap_push(trainer *tr, int64_t count, uint32_t a, uint32_t b)
{
    if (tr->n_heap == tr->cap_heap) {
        tr->cap_heap = tr->cap_heap ? 2 * tr->cap_heap : 4096;
        tr->heap = xrealloc(tr->heap, tr->cap_heap * sizeof *tr->heap);
    }
    size_t i = tr->n_heap++;
    heap_ent v = {count, a, b};
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_before(&v, &tr->heap[p])) break;
        tr->heap[i] = tr->heap[p];
        i = p;
    }
    tr->heap[i] = v;
}

static heap_ent heap_pop(trainer *tr)
{
    heap_ent top = tr->heap[0], v = tr->heap[--tr->n_heap];
    size_t i = 0, n = tr->n_heap;
    for (;;) {
        size_t l = 2 * i + 1, best = i;
        const heap_ent *bv = &v;
        if (l < n && heap_before(&tr->heap[l], bv)) best = l, bv = &tr->heap[l];
        if (l + 1 < n && heap_before(&tr->heap[l + 1], bv)) best = l + 1;
        if (best == i) break;
        tr->heap[i] = tr->heap[best];
        i = best;
    }
    if (n) tr->heap[i] = v;
    return top;
}

static uint32_t pair_get_or_add(trainer *tr, uint32_t a, uint32_t b)
{
    int added;
    uint64_t *slot = u64map_put(&tr->pair_index, pair_key(a, b), (uint32_t)tr->n_pairs, &added);
    if (added) {
        if (tr->n_pairs == tr->cap_pairs) {
            tr->cap_pairs = tr->cap_pairs ? 2 * tr->cap_pairs : 4096;
            tr->pairs = xrealloc(tr->pairs, tr->cap_pairs * sizeof *tr->pairs);
        }
        tr->pairs[tr->n_pairs++] = (pair_rec){.a = a, .b = b};
    }
    return (uint32_t)*slot;
}

static void pair_note_word(pair_rec *p, uint32_t w)
{
    if (p->nwhere && p->where[p->nwhere - 1] == w) return;
    if (p->nwhere == p->capwhere) {
        p->capwhere = p->capwhere ? 2 * p->capwhere : 4;
        p->where = xrealloc(p->where, p->capwhere * sizeof *p->where);
    }
    p->where[p->nwhere++] = w;
}

static void trainer_free(trainer *tr)
{
    free(tr->syms);
    free(tr->start);
    free(tr->len);
    free(tr->count);
    for (size_t i = 0; i < tr->n_pairs; i++) free(tr->pairs[i].where);
    free(tr->pairs);
    u64map_free(&tr->pair_index);
    free(tr->heap);
    free(tr->touched);
}

/* Adds cnt to pair (x, y) of word w, which holds the merged symbol: it is
 * noted for the word and collected in tr->touched to be pushed on the heap. */
static void pair_add_new(trainer *tr, uint32_t w, uint32_t x, uint32_t y, int64_t cnt)
{
    uint32_t pi = pair_get_or_add(tr, x, y);
    pair_rec *p = &tr->pairs[pi];
    p->count += cnt;
    pair_note_word(p, w);
    if (!p->touched) {
        p->touched = 1;
        if (tr->n_touched == tr->cap_touched) {
            tr->cap_touched = tr->cap_touched ? 2 * tr->cap_touched : 1024;
            tr->touched = xrealloc(tr->touched, tr->cap_touched * sizeof *tr->touched);
        }
        tr->touched[tr->n_touched++] = pi;
    }
}

/* Merges every (a, b) in word w into c (left to right), keeping the pair
 * counts exact: only the pairs that touch a merged occurrence change (the
 * others are the same pairs before and after), so the word's pairs around
 * each occurrence are taken out, the word rewritten and the pairs around
 * each new c put back. The cost beyond one scan of the word is in the
 * occurrences, not the word's length (before, every pair of the word was
 * taken out and put back: a 2 MB pre-token made each merge cost millions of
 * hash lookups). The pairs put back are the only ones that can grow; they
 * are collected in tr->touched to be pushed on the heap. */
static void merge_word(trainer *tr, uint32_t w, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t *s = tr->syms + tr->start[w];
    uint32_t n = tr->len[w];
    int64_t cnt = tr->count[w];
    /* old pairs k = (s[k], s[k + 1]) next to an occurrence at i: k = i - 1,
     * i, i + 1; each taken out once (occurrences a pair apart share one) */
    int found = 0;
    uint32_t next_k = 0;   /* pairs below this one are done */
    for (uint32_t i = 0; i + 1 < n;) {
        if (s[i] != a || s[i + 1] != b) {
            i++;
            continue;
        }
        found = 1;
        for (uint32_t k = i ? i - 1 : 0; k <= i + 1 && k + 1 < n; k++) {
            if (k < next_k) continue;
            const uint64_t *slot = u64map_get(&tr->pair_index, pair_key(s[k], s[k + 1]));
            tr->pairs[*slot].count -= cnt;
            next_k = k + 1;
        }
        i += 2;
    }
    if (!found) return;
    /* rewrite; each new pair (s[j - 1], s[j]) with a merged symbol on
     * either side is put back */
    uint32_t j = 0;
    int prev_merged = 0;
    for (uint32_t i = 0; i < n; i++) {
        int merged = i + 1 < n && s[i] == a && s[i + 1] == b;
        s[j] = merged ? c : s[i];
        if (merged) i++;
        if (j > 0 && (merged || prev_merged)) pair_add_new(tr, w, s[j - 1], s[j], cnt);
        prev_merged = merged;
        j++;
    }
    tr->len[w] = j;
}

bpe_tokenizer *bpe_train(const bpe_counter *c, const bpe_train_opts *o, blalm_err *e)
{
    static const char *const specials[] = {BPE_EOT, BPE_PAD};
    const uint32_t n_special = 2;
    if (o->vocab_size < 256 + n_special) {
        err_set(e, "a vocabulary of %u cannot hold the 256 byte tokens and %u special tokens "
                "(at least %u)", o->vocab_size, n_special, 256 + n_special);
        return NULL;
    }
    if (c->words.n == 0) {
        err_set(e, "empty corpus: no text to train the tokenizer on");
        return NULL;
    }
    uint64_t min_freq = o->min_frequency ? o->min_frequency : 1;
    bpe_tokenizer *t = tok_new();
    trainer tr = {0};
    strmap vocab = {0};  /* token bytes -> id, to reuse an id when two merges spell the same bytes */
    sbuf nb;
    sb_init(&nb);
    if (!t || tok_set_pattern(t, c->pattern, NULL, e) != 0) goto fail;
    for (int b = 0; b < 256; b++) {
        char ch = (char)b;
        t->byte_id[b] = tok_add(t, &ch, 1, 0);
        strmap_put(&vocab, &ch, 1, hash_bytes(&ch, 1), NULL);
        vocab.val[b] = (uint64_t)b;
    }

    /* Words, in the counter's (first-seen) order. */
    tr.n_words = c->words.n;
    tr.syms = xrealloc(NULL, c->words.arena_len * sizeof *tr.syms);
    tr.start = xrealloc(NULL, tr.n_words * sizeof *tr.start);
    tr.len = xrealloc(NULL, tr.n_words * sizeof *tr.len);
    tr.count = xrealloc(NULL, tr.n_words * sizeof *tr.count);
    uint64_t at = 0;
    for (size_t w = 0; w < tr.n_words; w++) {
        const unsigned char *s = (const unsigned char *)c->words.arena + c->words.off[w];
        tr.start[w] = at;
        tr.len[w] = c->words.len[w];
        tr.count[w] = (int64_t)c->words.val[w];
        for (uint32_t i = 0; i < tr.len[w]; i++) tr.syms[at++] = s[i];
        for (uint32_t i = 0; i + 1 < tr.len[w]; i++) {
            const uint32_t *ws = tr.syms + tr.start[w];
            uint32_t pi = pair_get_or_add(&tr, ws[i], ws[i + 1]);
            tr.pairs[pi].count += tr.count[w];
            pair_note_word(&tr.pairs[pi], (uint32_t)w);
        }
    }
    for (size_t i = 0; i < tr.n_pairs; i++) heap_push(&tr, tr.pairs[i].count, tr.pairs[i].a, tr.pairs[i].b);

    uint32_t target = o->vocab_size - n_special;
    uint32_t wanted = target - 256;
    int64_t last_count = 0;
    while (t->n_vocab < target && tr.n_heap > 0) {
        heap_ent top = heap_pop(&tr);
        uint32_t pi = (uint32_t)*u64map_get(&tr.pair_index, pair_key(top.a, top.b));
        int64_t cur = tr.pairs[pi].count;
        if (cur != top.count) { /* stale entry: counts only fall between pushes */
            if (cur > 0) heap_push(&tr, cur, top.a, top.b);
            continue;
        }
        if (cur <= 0 || (uint64_t)cur < min_freq) break;
        last_count = cur;
        sb_reset(&nb);
        size_t la, lb;
        const char *sa = bpe_token_bytes(t, top.a, &la), *sb_ = bpe_token_bytes(t, top.b, &lb);
        sb_add(&nb, sa, la);
        sb_add(&nb, sb_, lb);
        int added;
        size_t vi = strmap_put(&vocab, nb.data, nb.len, hash_bytes(nb.data, nb.len), &added);
        uint32_t id;
        if (added) {
            id = tok_add(t, nb.data, nb.len, 0);
            vocab.val[vi] = id;
        } else {
            id = (uint32_t)vocab.val[vi];
        }
        tok_add_merge(t, top.a, top.b, id);

        uint32_t *where = tr.pairs[pi].where;
        uint32_t nwhere = tr.pairs[pi].nwhere;
        tr.pairs[pi].where = NULL;
        tr.pairs[pi].nwhere = tr.pairs[pi].capwhere = 0;
        tr.n_touched = 0;
        for (uint32_t k = 0; k < nwhere; k++) merge_word(&tr, where[k], top.a, top.b, id);
        free(where);
        for (size_t k = 0; k < tr.n_touched; k++) {
            pair_rec *p = &tr.pairs[tr.touched[k]];
            p->touched = 0;
            if (p->count > 0) heap_push(&tr, p->count, p->a, p->b);
        }
        if (o->on_merge && (t->n_merges & 255) == 0) o->on_merge(o->arg, t->n_vocab - 256, wanted);
    }
    if (t->n_vocab < target && !o->allow_smaller) {
        err_set(e, "the vocabulary of %u cannot be reached: the training text (%llu distinct "
                "pre-tokens) yields only %u tokens from pairs seen at least %llu times%s; "
                "lower --vocab, lower --min-frequency, or give more text",
                o->vocab_size, (unsigned long long)c->words.n, t->n_vocab + n_special,
                (unsigned long long)min_freq, last_count ? "" : " (none at all)");
        goto fail;
    }
    for (uint32_t k = 0; k < n_special; k++) {
        const char *sp = specials[k];
        if (strmap_get(&vocab, sp, strlen(sp), hash_bytes(sp, strlen(sp))) >= 0) {
            err_set(e, "a learned token spells the special token %s; use another pattern", sp);
            goto fail;
        }
        tok_add(t, sp, strlen(sp), 1);
    }
    tok_set_special_ids(t);
    if (o->on_merge) o->on_merge(o->arg, t->n_vocab - 256 - n_special, wanted);
    trainer_free(&tr);
    strmap_free(&vocab);
    sb_free(&nb);
    return t;
fail:
    trainer_free(&tr);
    strmap_free(&vocab);
    sb_free(&nb);
    bpe_free(t);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Encoding. */

#define CACHE_MAX_PIECE 256          /* longer pieces are not cached (Tokenizers.js too) */
#define HEAP_WORD_MIN 128            /* longer words merge with a heap */

typedef struct merge_ent {
    uint32_t rank, pos;
} merge_ent;

/* Piece cache: piece bytes -> ids, one record per piece in an arena
 * ([u32 len][u32 count][bytes][pad to 4][count x u32 ids]); a slot holds the
 * top 24 bits of the hash and the record's offset + 1, so a hit costs two
 * memory accesses. Cleared when full. */
#define PC_MAX_ARENA ((size_t)64 << 20)
typedef struct piece_cache {
    uint64_t *slots;
    size_t nslots, n;
    char *arena;
    size_t len, cap;
} piece_cache;

static void pc_free(piece_cache *c)
{
    free(c->slots);
    free(c->arena);
    memset(c, 0, sizeof *c);
}

static inline const uint32_t *pc_get(const piece_cache *c, const char *s, size_t n, uint64_t h, uint32_t *count)
{
    if (!c->nslots) return NULL;
    size_t mask = c->nslots - 1, slot = h & mask;
    for (;;) {
        uint64_t v = c->slots[slot];
        if (!v) return NULL;
        if ((v >> 40) == (h >> 40)) {
            const char *r = c->arena + ((v & ((1ULL << 40) - 1)) - 1);
            uint32_t rl, rc;
            memcpy(&rl, r, 4);
            memcpy(&rc, r + 4, 4);
            if (rl == n && !memcmp(r + 8, s, n)) {
                *count = rc;
                return (const uint32_t *)(r + 8 + ((n + 3) & ~(size_t)3));
            }
        }
        slot = (slot + 1) & mask;
    }
}

static void pc_insert_slot(piece_cache *c, uint64_t h, size_t off)
{
    size_t mask = c->nslots - 1, slot = h & mask;
    while (c->slots[slot]) slot = (slot + 1) & mask;
    c->slots[slot] = (h >> 40) << 40 | (uint64_t)(off + 1);
}

static void pc_put(piece_cache *c, const char *s, size_t n, uint64_t h, const uint32_t *ids, uint32_t count)
{
    size_t rec = 8 + ((n + 3) & ~(size_t)3) + 4 * (size_t)count;
    if (c->len + rec > PC_MAX_ARENA) { /* full: start over */
        if (c->slots) memset(c->slots, 0, c->nslots * sizeof *c->slots);
        c->n = 0;
        c->len = 0;
    }
    if (2 * (c->n + 1) > c->nslots) {
        size_t ns = c->nslots ? 2 * c->nslots : 4096;
        free(c->slots);
        c->slots = calloc(ns, sizeof *c->slots);
        if (!c->slots) xrealloc(NULL, (size_t)-1 / 2);
        c->nslots = ns;
        for (size_t off = 0; off < c->len;) { /* re-slot every record */
            uint32_t rl, rc;
            memcpy(&rl, c->arena + off, 4);
            memcpy(&rc, c->arena + off + 4, 4);
            pc_insert_slot(c, hash_bytes(c->arena + off + 8, rl), off);
            off += 8 + ((rl + 3) & ~(size_t)3) + 4 * (size_t)rc;
        }
    }
    if (c->len + rec > c->cap) {
        c->cap = 2 * (c->len + rec) + 65536;
        c->arena = xrealloc(c->arena, c->cap);
    }
    char *r = c->arena + c->len;
    uint32_t rl = (uint32_t)n;
    memcpy(r, &rl, 4);
    memcpy(r + 4, &count, 4);
    memcpy(r + 8, s, n);
    memset(r + 8 + n, 0, ((n + 3) & ~(size_t)3) - n);
    memcpy(r + 8 + ((n + 3) & ~(size_t)3), ids, 4 * (size_t)count);
    pc_insert_slot(c, h, c->len);
    c->len += rec;
    c->n++;
}

struct bpe_encoder {
    const bpe_tokenizer *t;
    pretok pt;
    uint32_t *out;
    size_t n_out, cap_out;
    piece_cache cache;
    /* scratch for one word */
    uint32_t *sym, *rank, *next, *prev;
    merge_ent *heap;
    size_t cap_word, n_heap, cap_heap;
    /* next_added's memory, one row of t->n_special per pass (0: the tokens
     * not normalized, 1: the normalized ones, between them): where each
     * token next occurs at or after the last search, ADDED_NONE, or
     * ADDED_UNSEARCHED */
    size_t *added_at;
    blalm_err *err;
};

#define ADDED_NONE SIZE_MAX
#define ADDED_UNSEARCHED (SIZE_MAX - 1)

bpe_encoder *bpe_encoder_new(const bpe_tokenizer *t, blalm_err *e)
{
    bpe_encoder *enc = calloc(1, sizeof *enc);
    if (!enc) {
        err_set(e, "out of memory");
        return NULL;
    }
    enc->t = t;
    enc->added_at = xrealloc(NULL, 2 * (size_t)t->n_special * sizeof *enc->added_at);
    if (pretok_init(&enc->pt, t->re, t->jit, e) != 0) {
        bpe_encoder_free(enc);
        return NULL;
    }
    return enc;
}

void bpe_encoder_free(bpe_encoder *enc)
{
    if (!enc) return;
    pretok_free(&enc->pt);
    free(enc->out);
    pc_free(&enc->cache);
    free(enc->sym);
    free(enc->rank);
    free(enc->next);
    free(enc->prev);
    free(enc->heap);
    free(enc->added_at);
    free(enc);
}

static inline void out_push(bpe_encoder *enc, uint32_t id)
{
    if (enc->n_out == enc->cap_out) {
        enc->cap_out = enc->cap_out ? 2 * enc->cap_out : 4096;
        enc->out = xrealloc(enc->out, enc->cap_out * sizeof *enc->out);
    }
    enc->out[enc->n_out++] = id;
}

static inline uint32_t rank_of(const bpe_tokenizer *t, uint32_t a, uint32_t b)
{
    const uint64_t *r = u64map_get(&t->rank_of, pair_key(a, b));
    return r ? (uint32_t)*r : UINT32_MAX;
}

/* Short words: an array of pair ranks, rescanned for the minimum after each
 * merge (leftmost minimum = lowest rank, then leftmost position). */
static size_t merge_short(const bpe_tokenizer *t, uint32_t *sym, uint32_t *rank, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) rank[i] = rank_of(t, sym[i], sym[i + 1]);
    while (n > 1) {
        size_t best = 0;
        for (size_t i = 1; i + 1 < n; i++)
            if (rank[i] < rank[best]) best = i;
        if (rank[best] == UINT32_MAX) break;
        sym[best] = t->merges[3 * rank[best] + 2];
        memmove(sym + best + 1, sym + best + 2, (n - best - 2) * sizeof *sym);
        memmove(rank + best + 1, rank + best + 2, (n > best + 3 ? n - best - 3 : 0) * sizeof *rank);
        n--;
        if (best > 0) rank[best - 1] = rank_of(t, sym[best - 1], sym[best]);
        if (best + 1 < n) rank[best] = rank_of(t, sym[best], sym[best + 1]);
    }
    return n;
}

static inline int ment_before(merge_ent x, merge_ent y)
{
    return x.rank != y.rank ? x.rank < y.rank : x.pos < y.pos;
}

static void mheap_push(bpe_encoder *enc, uint32_t rank, uint32_t pos)
{
    if (enc->n_heap == enc->cap_heap) {
        enc->cap_heap = enc->cap_heap ? 2 * enc->cap_heap : 256;
        enc->heap = xrealloc(enc->heap, enc->cap_heap * sizeof *enc->heap);
    }
    merge_ent v = {rank, pos};
    size_t i = enc->n_heap++;
    while (i > 0 && ment_before(v, enc->heap[(i - 1) / 2])) {
        enc->heap[i] = enc->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    enc->heap[i] = v;
}

static merge_ent mheap_pop(bpe_encoder *enc)
{
    merge_ent top = enc->heap[0], v = enc->heap[--enc->n_heap];
    size_t i = 0, n = enc->n_heap;
    for (;;) {
        size_t l = 2 * i + 1, best = i;
        merge_ent bv = v;
        if (l < n && ment_before(enc->heap[l], bv)) best = l, bv = enc->heap[l];
        if (l + 1 < n && ment_before(enc->heap[l + 1], bv)) best = l + 1;
        if (best == i) break;
        enc->heap[i] = enc->heap[best];
        i = best;
    }
    if (n) enc->heap[i] = v;
    return top;
}

/* Long words: a linked list of symbols and a heap of (rank, position);
 * entries whose pair has changed are skipped when popped. Same order of
 * merges as merge_short. */
static size_t merge_long(bpe_encoder *enc, size_t n)
{
    const bpe_tokenizer *t = enc->t;
    uint32_t *sym = enc->sym, *next = enc->next, *prev = enc->prev;
    const uint32_t NONE = UINT32_MAX;
    enc->n_heap = 0;
    for (size_t i = 0; i < n; i++) {
        next[i] = i + 1 < n ? (uint32_t)(i + 1) : NONE;
        prev[i] = i > 0 ? (uint32_t)(i - 1) : NONE;
    }
    for (size_t i = 0; i + 1 < n; i++) {
        uint32_t r = rank_of(t, sym[i], sym[i + 1]);
        if (r != UINT32_MAX) mheap_push(enc, r, (uint32_t)i);
    }
    while (enc->n_heap) {
        merge_ent m = mheap_pop(enc);
        uint32_t i = m.pos, j = next[i];
        if (sym[i] == NONE || j == NONE || rank_of(t, sym[i], sym[j]) != m.rank) continue;
        sym[i] = t->merges[3 * m.rank + 2];
        sym[j] = NONE;
        next[i] = next[j];
        if (next[j] != NONE) prev[next[j]] = i;
        if (prev[i] != NONE) {
            uint32_t r = rank_of(t, sym[prev[i]], sym[i]);
            if (r != UINT32_MAX) mheap_push(enc, r, prev[i]);
        }
        if (next[i] != NONE) {
            uint32_t r = rank_of(t, sym[i], sym[next[i]]);
            if (r != UINT32_MAX) mheap_push(enc, r, i);
        }
    }
    size_t k = 0;
    for (uint32_t i = 0; i != NONE; i = next[i]) sym[k++] = sym[i];
    return k;
}

static void encode_piece(void *arg, const char *s, size_t n)
{
    bpe_encoder *enc = arg;
    const bpe_tokenizer *t = enc->t;
    if (n == 1) {
        out_push(enc, t->byte_id[(unsigned char)s[0]]);
        return;
    }
    uint64_t h = 0;
    if (n < CACHE_MAX_PIECE) {
        h = hash_bytes(s, n);
        uint32_t count;
        const uint32_t *ids = pc_get(&enc->cache, s, n, h, &count);
        if (ids) {
            if (enc->n_out + count > enc->cap_out) {
                enc->cap_out = 2 * (enc->n_out + count) + 4096;
                enc->out = xrealloc(enc->out, enc->cap_out * sizeof *enc->out);
            }
            memcpy(enc->out + enc->n_out, ids, count * sizeof *ids);
            enc->n_out += count;
            return;
        }
    }
    if (n > enc->cap_word) {
        enc->cap_word = n > 2 * enc->cap_word ? n : 2 * enc->cap_word;
        enc->sym = xrealloc(enc->sym, enc->cap_word * sizeof *enc->sym);
        enc->rank = xrealloc(enc->rank, enc->cap_word * sizeof *enc->rank);
        enc->next = xrealloc(enc->next, enc->cap_word * sizeof *enc->next);
        enc->prev = xrealloc(enc->prev, enc->cap_word * sizeof *enc->prev);
    }
    for (size_t i = 0; i < n; i++) enc->sym[i] = t->byte_id[(unsigned char)s[i]];
    size_t k = n <= HEAP_WORD_MIN ? merge_short(t, enc->sym, enc->rank, n) : merge_long(enc, n);
    for (size_t i = 0; i < k; i++) out_push(enc, enc->sym[i]);
    if (n < CACHE_MAX_PIECE) {
        pc_put(&enc->cache, s, n, h, enc->sym, (uint32_t)k);
    }
}

/* Earliest occurrence at or after `from` of an added token of this pass
 * (normalized or not) that flags allow (a special token only under
 * BPE_ALLOW_SPECIAL), longest on a tie: the Rust library's leftmost-longest
 * match. Returns its index in t->special_ids or -1. `from` only grows within
 * one pass over s, so each token's last found position (next_at, filled with
 * ADDED_UNSEARCHED when the pass begins) stands until `from` passes it: the
 * text is searched about once per token, not once per match (a text of
 * 100,000 <|endoftext|> took minutes, searching the rest of the text for
 * <|padding|> after each one). */
static int next_added(const bpe_tokenizer *t, const char *s, size_t n, size_t from, int normalized, int flags,
                      size_t *next_at, size_t *at)
{
    int best = -1;
    size_t best_at = n, best_len = 0;
    for (uint32_t k = 0; k < t->n_special; k++) {
        uint32_t id = t->special_ids[k];
        size_t len = t->tok_len[id];
        uint8_t f = t->special[id];
        if (!len || !(f & ADDED_NORMALIZED) != !normalized) continue;
        if (!(f & ADDED_PLAIN) && !(flags & BPE_ALLOW_SPECIAL)) continue;
        size_t pos = next_at[k];
        if (pos == ADDED_UNSEARCHED || (pos != ADDED_NONE && pos < from)) {
            const char *p = memmem(s + from, n - from, t->blob + t->tok_off[id], len);
            next_at[k] = pos = p ? (size_t)(p - s) : ADDED_NONE;
        }
        if (pos == ADDED_NONE) continue;
        if (pos < best_at || (pos == best_at && len > best_len)) {
            best = (int)k;
            best_at = pos;
            best_len = len;
        }
    }
    *at = best_at;
    return best;
}

/* text[0..n): added tokens that are not "normalized" first, then, in the
 * text between them, the normalized ones (the Rust library's two passes),
 * then the pre-tokenizer on what is left. */
static int encode_added(bpe_encoder *enc, const char *text, size_t n, int normalized, int flags, blalm_err *e)
{
    const bpe_tokenizer *t = enc->t;
    size_t from = 0, *next_at = enc->added_at + (normalized ? t->n_special : 0);
    for (uint32_t k = 0; k < t->n_special; k++) next_at[k] = ADDED_UNSEARCHED;
    for (;;) {
        size_t at;
        int k = next_added(t, text, n, from, normalized, flags, next_at, &at);
        if (k < 0) break;
        if (at > from) {
            int rc = normalized ? pretok_bytes(&enc->pt, text + from, at - from, encode_piece, enc, e)
                                : encode_added(enc, text + from, at - from, 1, flags, e);
            if (rc != 0) return -1;
        }
        uint32_t id = t->special_ids[k];
        out_push(enc, id);
        from = at + t->tok_len[id];
    }
    if (n > from)
        return normalized ? pretok_bytes(&enc->pt, text + from, n - from, encode_piece, enc, e)
                          : encode_added(enc, text + from, n - from, 1, flags, e);
    return 0;
}

const uint32_t *bpe_encode(bpe_encoder *enc, const char *text, size_t n, int flags, size_t *n_ids,
                           blalm_err *e)
{
    enc->n_out = 0;
    if (encode_added(enc, text, n, 0, flags, e) != 0) return NULL;
    *n_ids = enc->n_out;
    if (!enc->out) enc->out = xrealloc(NULL, sizeof *enc->out);
    return enc->out;
}

int bpe_decode(const bpe_tokenizer *t, const uint32_t *ids, size_t n, int skip_special, sbuf *out,
               blalm_err *e)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] >= t->n_vocab)
            return err_set(e, "token %zu: id %u outside the vocabulary of %u", i, ids[i], t->n_vocab);
        if (skip_special && bpe_is_special(t, ids[i])) continue;
        sb_add(out, t->blob + t->tok_off[ids[i]], t->tok_len[ids[i]]);
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* tokenizer.json (the Rust library's layout). */

static void json_byte_level(const bpe_tokenizer *t, uint32_t id, sbuf *b, sbuf *tmp)
{
    sb_reset(tmp);
    if (t->special[id])
        sb_add(tmp, t->blob + t->tok_off[id], t->tok_len[id]);
    else
        to_byte_level(&t->abc, t->blob + t->tok_off[id], t->tok_len[id], tmp);
    sb_json_str(b, tmp->data, tmp->len);
}

char *bpe_to_json(bpe_tokenizer *t, size_t *len)
{
    sbuf b, tmp;
    sb_init(&b);
    sb_init(&tmp);
    sb_adds(&b, "{\n  \"version\": \"1.0\",\n  \"truncation\": null,\n  \"padding\": null,\n  \"added_tokens\": [");
    for (uint32_t k = 0; k < t->n_special; k++) {
        uint32_t id = t->special_ids[k];
        sb_printf(&b, "%s\n    {\n      \"id\": %u,\n      \"content\": ", k ? "," : "", id);
        sb_json_str(&b, t->blob + t->tok_off[id], t->tok_len[id]);
        sb_printf(&b, ",\n      \"single_word\": false,\n      \"lstrip\": false,\n      \"rstrip\": false,\n"
                      "      \"normalized\": %s,\n      \"special\": %s\n    }",
                  t->special[id] & ADDED_NORMALIZED ? "true" : "false", t->special[id] & ADDED_PLAIN ? "false" : "true");
    }
    sb_adds(&b, t->n_special ? "\n  ],\n" : "],\n");
    sb_adds(&b, "  \"normalizer\": null,\n  \"pre_tokenizer\": ");
    if (t->default_pattern) {
        sb_adds(&b, "{\n    \"type\": \"ByteLevel\",\n    \"add_prefix_space\": false,\n"
                    "    \"trim_offsets\": true,\n    \"use_regex\": true\n  },\n");
    } else {
        sb_adds(&b, "{\n    \"type\": \"Sequence\",\n    \"pretokenizers\": [\n      {\n"
                    "        \"type\": \"Split\",\n        \"pattern\": {\n          \"Regex\": ");
        sb_json_str(&b, t->pattern, strlen(t->pattern));
        sb_adds(&b, "\n        },\n        \"behavior\": \"Isolated\",\n        \"invert\": false\n      },\n"
                    "      {\n        \"type\": \"ByteLevel\",\n        \"add_prefix_space\": false,\n"
                    "        \"trim_offsets\": true,\n        \"use_regex\": false\n      }\n    ]\n  },\n");
    }
    sb_adds(&b, "  \"post_processor\": null,\n  \"decoder\": {\n    \"type\": \"ByteLevel\",\n"
                "    \"add_prefix_space\": true,\n    \"trim_offsets\": true,\n    \"use_regex\": true\n  },\n");
    sb_adds(&b, "  \"model\": {\n    \"type\": \"BPE\",\n    \"dropout\": null,\n    \"unk_token\": null,\n"
                "    \"continuing_subword_prefix\": null,\n    \"end_of_word_suffix\": null,\n"
                "    \"fuse_unk\": false,\n    \"byte_fallback\": false,\n    \"ignore_merges\": false,\n"
                "    \"vocab\": {");
    for (uint32_t id = 0; id < t->n_vocab; id++) {
        sb_adds(&b, id ? ",\n      " : "\n      ");
        json_byte_level(t, id, &b, &tmp);
        sb_printf(&b, ": %u", id);
    }
    sb_adds(&b, "\n    },\n    \"merges\": [");
    for (uint32_t r = 0; r < t->n_merges; r++) {
        /* "a b": unambiguous, since byte-level tokens never hold a space */
        sb_adds(&b, r ? ",\n      " : "\n      ");
        sb_reset(&tmp);
        to_byte_level(&t->abc, t->blob + t->tok_off[t->merges[3 * r]], t->tok_len[t->merges[3 * r]], &tmp);
        sb_addc(&tmp, ' ');
        to_byte_level(&t->abc, t->blob + t->tok_off[t->merges[3 * r + 1]], t->tok_len[t->merges[3 * r + 1]], &tmp);
        sb_json_str(&b, tmp.data, tmp.len);
    }
    sb_adds(&b, t->n_merges ? "\n    ]\n  }\n}\n" : "]\n  }\n}\n");
    sb_free(&tmp);
    sha256(b.data, b.len, t->sha);
    *len = b.len;
    sb_cstr(&b);
    return b.data;
}

int bpe_save_json(bpe_tokenizer *t, const char *path, blalm_err *e)
{
    size_t n;
    char *s = bpe_to_json(t, &n);
    int rc = write_file_atomic(path, s, n, e);
    free(s);
    return rc;
}

char *bpe_config_json(const bpe_tokenizer *t, size_t *len)
{
    sbuf b;
    sb_init(&b);
    sb_adds(&b, "{\n  \"tokenizer_class\": \"PreTrainedTokenizerFast\",\n  \"model_max_length\": 1000000000,\n"
                "  \"add_prefix_space\": false,\n  \"clean_up_tokenization_spaces\": false");
    const char *names[] = {"bos_token", "eos_token", "unk_token"};
    for (int i = 0; i < 3 && t->eot_id != BPE_NO_ID; i++) {
        sb_printf(&b, ",\n  \"%s\": ", names[i]);
        sb_json_str(&b, t->blob + t->tok_off[t->eot_id], t->tok_len[t->eot_id]);
    }
    if (t->pad_id != BPE_NO_ID) {
        sb_adds(&b, ",\n  \"pad_token\": ");
        sb_json_str(&b, t->blob + t->tok_off[t->pad_id], t->tok_len[t->pad_id]);
    }
    sb_adds(&b, "\n}\n");
    *len = b.len;
    sb_cstr(&b);
    return b.data;
}

static const cJSON *jget(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static int jfalse_or_null(const cJSON *o, const char *k)
{
    const cJSON *v = jget(o, k);
    return !v || cJSON_IsNull(v) || cJSON_IsFalse(v);
}

/* Checks a ByteLevel pre-tokenizer object; returns its use_regex. */
static int check_byte_level(const cJSON *p, const char *name, const char *where, int *use_regex,
                            blalm_err *e)
{
    const cJSON *ty = jget(p, "type");
    if (!cJSON_IsString(ty) || strcmp(ty->valuestring, "ByteLevel") != 0)
        return err_set(e, "%s: %s: type %s is not supported (expected ByteLevel)", name, where,
                       cJSON_IsString(ty) ? ty->valuestring : "(missing)");
    if (!jfalse_or_null(p, "add_prefix_space"))
        return err_set(e, "%s: %s: add_prefix_space true is not supported", name, where);
    const cJSON *ur = jget(p, "use_regex");
    *use_regex = !ur || cJSON_IsTrue(ur);
    return 0;
}

typedef struct id_slot {
    const char *key;   /* vocab key (byte-level) or added content */
    int added, special, seen;
} id_slot;

static bpe_tokenizer *load_json(const char *data, size_t n, const char *name, blalm_err *e)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(data, n, &end, 0);
    if (!root) {
        err_set(e, "%s: byte %zu: invalid JSON (truncated or corrupt tokenizer file)", name,
                end && end >= data ? (size_t)(end - data) : (size_t)0);
        return NULL;
    }
    /* the Rust library refuses text after the object ("trailing characters") */
    for (size_t i = (size_t)(end - data); i < n; i++)
        if (data[i] != ' ' && data[i] != '\n' && data[i] != '\r' && data[i] != '\t') {
            err_set(e, "%s: byte %zu: expected the end of the file after the JSON object", name, i);
            cJSON_Delete(root);
            return NULL;
        }
    /* cJSON ends a string at a \u0000, so an added token "<x>\u0000" would be
     * read as "<x>" and matched where the Hugging Face libraries see none
     * (and a vocab or merge string would be cut short): refused. In valid
     * JSON a backslash is only in a string, and each escape is two bytes
     * or \uXXXX, so stepping over escapes finds exactly the real ones. */
    for (size_t i = 0; i + 1 < n; i++) {
        if (data[i] != '\\') continue;
        if (data[i + 1] == 'u' && i + 6 <= n && !memcmp(data + i + 2, "0000", 4)) {
            err_set(e, "%s: byte %zu: a \\u0000 (NUL) in a string is not supported", name, i);
            cJSON_Delete(root);
            return NULL;
        }
        i++;
    }
    bpe_tokenizer *t = tok_new();
    id_slot *slots = NULL;
    strmap keys = {0}, bytes = {0};
    sbuf tmp, tmp2;
    sb_init(&tmp);
    sb_init(&tmp2);
    const char *pattern = NULL;
    if (!t) goto oom;
    if (!cJSON_IsObject(root)) {
        err_set(e, "%s: expected a JSON object", name);
        goto fail;
    }
    const cJSON *model = jget(root, "model");
    const cJSON *mty = model ? jget(model, "type") : NULL;
    if (!cJSON_IsObject(model) || (mty && (!cJSON_IsString(mty) || strcmp(mty->valuestring, "BPE")))) {
        err_set(e, "%s: model: expected a BPE model", name);
        goto fail;
    }
    /* An empty prefix or suffix and a dropout of 0 are what none is to the
     * Rust library (GPT-2's tokenizer.json on the Hub, and tokenizers that
     * the Python bindings or tiktoken converters write, say "" for both). */
    const char *unsupported[] = {"continuing_subword_prefix", "end_of_word_suffix", "dropout"};
    for (int i = 0; i < 3; i++) {
        const cJSON *v = jget(model, unsupported[i]);
        if (jfalse_or_null(model, unsupported[i]) || (i < 2 && cJSON_IsString(v) && !v->valuestring[0]) ||
            (i == 2 && cJSON_IsNumber(v) && v->valuedouble == 0))
            continue;
        char *shown = cJSON_PrintUnformatted(v);
        err_set(e, "%s: model.%s %.60s is not supported (only %s)", name, unsupported[i], shown ? shown : "",
                i < 2 ? "null or \"\"" : "null or 0");
        free(shown);
        goto fail;
    }
    if (!jfalse_or_null(model, "ignore_merges")) {
        err_set(e, "%s: model.ignore_merges true is not supported", name);
        goto fail;
    }
    const cJSON *norm = jget(root, "normalizer");
    if (norm && !cJSON_IsNull(norm)) {
        err_set(e, "%s: normalizer: only null is supported", name);
        goto fail;
    }
    const cJSON *post = jget(root, "post_processor");
    if (post && !cJSON_IsNull(post)) {
        const cJSON *pty = jget(post, "type");
        if (!cJSON_IsString(pty) || strcmp(pty->valuestring, "ByteLevel") != 0) {
            err_set(e, "%s: post_processor: only null or ByteLevel is supported", name);
            goto fail;
        }
    }
    const cJSON *pre = jget(root, "pre_tokenizer");
    int use_regex;
    if (!cJSON_IsObject(pre)) {
        err_set(e, "%s: pre_tokenizer: expected a ByteLevel pre-tokenizer", name);
        goto fail;
    }
    const cJSON *pty = jget(pre, "type");
    if (cJSON_IsString(pty) && !strcmp(pty->valuestring, "Sequence")) {
        const cJSON *list = jget(pre, "pretokenizers");
        const cJSON *split = cJSON_GetArrayItem(list, 0), *bl = cJSON_GetArrayItem(list, 1);
        const cJSON *sty = split ? jget(split, "type") : NULL;
        const cJSON *pat = split ? jget(jget(split, "pattern"), "Regex") : NULL;
        const cJSON *beh = split ? jget(split, "behavior") : NULL;
        if (cJSON_GetArraySize(list) != 2 || !cJSON_IsString(sty) || strcmp(sty->valuestring, "Split") ||
            !cJSON_IsString(pat) || !cJSON_IsString(beh) || strcmp(beh->valuestring, "Isolated") ||
            !jfalse_or_null(split, "invert")) {
            err_set(e, "%s: pre_tokenizer: a Sequence must be [Split (Regex, Isolated), ByteLevel]", name);
            goto fail;
        }
        if (check_byte_level(bl, name, "pre_tokenizer.pretokenizers[1]", &use_regex, e) != 0) goto fail;
        if (use_regex) {
            err_set(e, "%s: pre_tokenizer.pretokenizers[1]: use_regex must be false after a Split", name);
            goto fail;
        }
        pattern = pat->valuestring;
    } else {
        if (check_byte_level(pre, name, "pre_tokenizer", &use_regex, e) != 0) goto fail;
        if (!use_regex) {
            err_set(e, "%s: pre_tokenizer: ByteLevel without use_regex is not supported", name);
            goto fail;
        }
    }
    const cJSON *dec = jget(root, "decoder");
    if (dec && !cJSON_IsNull(dec) && check_byte_level(dec, name, "decoder", &use_regex, e) != 0) {
        /* the decoder's add_prefix_space is harmless: accept any ByteLevel decoder */
        const cJSON *dty = jget(dec, "type");
        if (!cJSON_IsString(dty) || strcmp(dty->valuestring, "ByteLevel") != 0) goto fail;
    }

    /* ids: vocab and added tokens together must number 0 .. V-1 */
    const cJSON *vocab = jget(model, "vocab"), *merges = jget(model, "merges");
    const cJSON *added = jget(root, "added_tokens");
    if (!cJSON_IsObject(vocab) || !cJSON_IsArray(merges)) {
        err_set(e, "%s: model: expected \"vocab\" (object) and \"merges\" (array)", name);
        goto fail;
    }
    if (added && !cJSON_IsNull(added) && !cJSON_IsArray(added)) {
        err_set(e, "%s: added_tokens: expected an array", name);
        goto fail;
    }
    double max_id = -1;
    const cJSON *it;
    cJSON_ArrayForEach(it, vocab) {
        if (!cJSON_IsNumber(it) || it->valuedouble < 0 || it->valuedouble > 16777216 ||
            it->valuedouble != (double)(uint32_t)it->valuedouble) {
            err_set(e, "%s: model.vocab: token \"%.60s\": expected an id from 0 to 16777216", name, it->string);
            goto fail;
        }
        if (it->valuedouble > max_id) max_id = it->valuedouble;
    }
    int ai = 0;
    cJSON_ArrayForEach(it, added) {
        const cJSON *id = jget(it, "id"), *content = jget(it, "content");
        if (!cJSON_IsNumber(id) || id->valuedouble < 0 || id->valuedouble > 16777216 ||
            id->valuedouble != (double)(uint32_t)id->valuedouble || !cJSON_IsString(content)) {
            err_set(e, "%s: added_tokens: expected {\"id\": number, \"content\": string, ...}", name);
            goto fail;
        }
        /* what the Rust library does with these (strip the whitespace
         * around a match, match whole words only) is not done here: refused
         * rather than ignored */
        static const char *const unsupported_added[] = {"lstrip", "rstrip", "single_word"};
        for (int u = 0; u < 3; u++)
            if (!jfalse_or_null(it, unsupported_added[u])) {
                err_set(e, "%s: added_tokens[%d] (\"%.60s\"): %s true is not supported", name, ai,
                        content->valuestring, unsupported_added[u]);
                goto fail;
            }
        const cJSON *sp = jget(it, "special"), *nz = jget(it, "normalized");
        if ((sp && !cJSON_IsBool(sp)) || (nz && !cJSON_IsBool(nz))) {
            err_set(e, "%s: added_tokens[%d] (\"%.60s\"): \"special\" and \"normalized\" must be true or false",
                    name, ai, content->valuestring);
            goto fail;
        }
        ai++;
        if (id->valuedouble > max_id) max_id = id->valuedouble;
    }
    uint32_t nv = (uint32_t)(max_id + 1);
    if (nv < 256) {
        err_set(e, "%s: model.vocab: %u tokens, fewer than the 256 bytes", name, nv);
        goto fail;
    }
    slots = calloc(nv, sizeof *slots);
    if (!slots) goto oom;
    cJSON_ArrayForEach(it, added) {
        uint32_t id = (uint32_t)jget(it, "id")->valuedouble;
        if (slots[id].seen) {
            err_set(e, "%s: added_tokens: id %u appears twice", name, id);
            goto fail;
        }
        /* absent, as the Rust library reads them: "special" false, "normalized" = !special */
        const cJSON *sp = jget(it, "special"), *nz = jget(it, "normalized");
        int special = cJSON_IsTrue(sp), normalized = nz ? cJSON_IsTrue(nz) : !special;
        slots[id] = (id_slot){jget(it, "content")->valuestring, 1,
                              ADDED | (special ? 0 : ADDED_PLAIN) | (normalized ? ADDED_NORMALIZED : 0), 1};
    }
    cJSON_ArrayForEach(it, vocab) {
        uint32_t id = (uint32_t)it->valuedouble;
        if (slots[id].seen && !(slots[id].added && !strcmp(slots[id].key, it->string))) {
            err_set(e, "%s: model.vocab: id %u is given to \"%.60s\" and \"%.60s\"", name, id,
                    slots[id].key, it->string);
            goto fail;
        }
        if (!slots[id].seen) slots[id] = (id_slot){it->string, 0, 0, 1};
        int is_new;
        size_t ki = strmap_put(&keys, it->string, strlen(it->string), hash_bytes(it->string, strlen(it->string)), &is_new);
        if (!is_new) {
            err_set(e, "%s: model.vocab: token \"%.60s\" appears twice", name, it->string);
            goto fail;
        }
        keys.val[ki] = id;
    }
    /* An added token's text names one id only: the same text elsewhere in
     * model.vocab or added_tokens would be written out twice (and the id a
     * lookup of that text gives would depend on the reader). */
    cJSON_ArrayForEach(it, added) {
        uint32_t id = (uint32_t)jget(it, "id")->valuedouble;
        const char *c = jget(it, "content")->valuestring;
        int is_new;
        size_t ki = strmap_put(&keys, c, strlen(c), hash_bytes(c, strlen(c)), &is_new);
        if (is_new) keys.val[ki] = id;
        else if (keys.val[ki] != id) {
            err_set(e, "%s: added_tokens: \"%.60s\" has id %u, but id %u has the same text", name,
                    c, id, (unsigned)keys.val[ki]);
            goto fail;
        }
    }
    for (uint32_t id = 0; id < nv; id++) {
        if (!slots[id].seen) {
            err_set(e, "%s: model.vocab: no token has id %u (ids must run from 0 to %u)", name, id, nv - 1);
            goto fail;
        }
        if (slots[id].added) {
            tok_add(t, slots[id].key, strlen(slots[id].key), slots[id].special);
            continue;
        }
        sb_reset(&tmp);
        if (from_byte_level(&t->abc, slots[id].key, strlen(slots[id].key), &tmp) != 0 || tmp.len == 0) {
            err_set(e, "%s: model.vocab: token \"%.60s\" (id %u) is not a byte-level token", name,
                    slots[id].key, id);
            goto fail;
        }
        tok_add(t, tmp.data, tmp.len, 0);
        if (tmp.len == 1) t->byte_id[(unsigned char)tmp.data[0]] = id;
        strmap_put(&bytes, tmp.data, tmp.len, hash_bytes(tmp.data, tmp.len), NULL);
    }
    for (int b = 0; b < 256; b++) {
        char ch = (char)b;
        if (strmap_get(&bytes, &ch, 1, hash_bytes(&ch, 1)) < 0) {
            err_set(e, "%s: model.vocab: the byte 0x%02X has no token", name, b);
            goto fail;
        }
    }
    int ri = 0;
    cJSON_ArrayForEach(it, merges) {
        const char *a = NULL, *b = NULL;
        size_t la = 0, lb = 0;
        if (cJSON_IsString(it)) {
            const char *sp = strchr(it->valuestring, ' ');
            if (sp) {
                a = it->valuestring;
                la = (size_t)(sp - a);
                b = sp + 1;
                lb = strlen(b);
            }
        } else if (cJSON_IsArray(it) && cJSON_GetArraySize(it) == 2 &&
                   cJSON_IsString(cJSON_GetArrayItem(it, 0)) && cJSON_IsString(cJSON_GetArrayItem(it, 1))) {
            a = cJSON_GetArrayItem(it, 0)->valuestring;
            b = cJSON_GetArrayItem(it, 1)->valuestring;
            la = strlen(a);
            lb = strlen(b);
        }
        if (!a) {
            err_set(e, "%s: model.merges[%d]: expected \"a b\" or [\"a\", \"b\"]", name, ri);
            goto fail;
        }
        long ka = strmap_get(&keys, a, la, hash_bytes(a, la)), kb = strmap_get(&keys, b, lb, hash_bytes(b, lb));
        sb_reset(&tmp2);
        sb_add(&tmp2, a, la);
        sb_add(&tmp2, b, lb);
        long ko = strmap_get(&keys, tmp2.data, tmp2.len, hash_bytes(tmp2.data, tmp2.len));
        if (ka < 0 || kb < 0 || ko < 0) {
            err_set(e, "%s: model.merges[%d]: \"%.*s\" + \"%.*s\": %s is not in the vocabulary", name, ri,
                    (int)(la > 60 ? 60 : la), a, (int)(lb > 60 ? 60 : lb), b,
                    ka < 0 ? "the first token" : kb < 0 ? "the second token" : "the merged token");
            goto fail;
        }
        tok_add_merge(t, (uint32_t)keys.val[ka], (uint32_t)keys.val[kb], (uint32_t)keys.val[ko]);
        ri++;
    }
    if (tok_set_pattern(t, pattern, name, e) != 0) {
        err_prefix(e, "%s", name);
        goto fail;
    }
    tok_set_special_ids(t);
    sha256(data, n, t->sha);
    cJSON_Delete(root);
    free(slots);
    strmap_free(&keys);
    strmap_free(&bytes);
    sb_free(&tmp);
    sb_free(&tmp2);
    return t;
oom:
    err_set(e, "%s: out of memory", name);
fail:
    cJSON_Delete(root);
    free(slots);
    strmap_free(&keys);
    strmap_free(&bytes);
    sb_free(&tmp);
    sb_free(&tmp2);
    bpe_free(t);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Binary form. */

#define BIN_HEADER 64

static void put32(sbuf *b, uint32_t v)
{
    char p[4] = {(char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24)};
    sb_add(b, p, 4);
}

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

char *bpe_to_bin(const bpe_tokenizer *t, size_t *len)
{
    sbuf b;
    sb_init(&b);
    size_t plen = strlen(t->pattern);
    sb_add(&b, BPE_BIN_MAGIC, 8);
    put32(&b, BPE_BIN_VERSION);
    put32(&b, t->n_vocab);
    put32(&b, t->n_merges);
    put32(&b, (uint32_t)plen);
    sb_add(&b, t->sha, 32);
    put32(&b, 0);
    put32(&b, 0);
    sb_add(&b, t->pattern, plen);
    for (uint32_t id = 0; id < t->n_vocab; id++) {
        put32(&b, t->tok_len[id]);
        sb_addc(&b, (char)t->special[id]);
        sb_add(&b, t->blob + t->tok_off[id], t->tok_len[id]);
    }
    for (uint32_t i = 0; i < 3 * t->n_merges; i++) put32(&b, t->merges[i]);
    uint64_t sum = xxh64(b.data, b.len, 0);
    put32(&b, (uint32_t)sum);
    put32(&b, (uint32_t)(sum >> 32));
    *len = b.len;
    return b.data;
}

int bpe_save_bin(const bpe_tokenizer *t, const char *path, blalm_err *e)
{
    size_t n;
    char *s = bpe_to_bin(t, &n);
    int rc = write_file_atomic(path, s, n, e);
    free(s);
    return rc;
}

static bpe_tokenizer *load_bin(const char *data, size_t n, const char *name, blalm_err *e)
{
    const unsigned char *u = (const unsigned char *)data;
    if (n < BIN_HEADER + 8) {
        err_set(e, "%s: %zu bytes, shorter than the binary header (truncated)", name, n);
        return NULL;
    }
    if (rd32(u + 8) != BPE_BIN_VERSION) {
        err_set(e, "%s: byte 8: version %u, expected %u", name, rd32(u + 8), BPE_BIN_VERSION);
        return NULL;
    }
    uint64_t sum = (uint64_t)rd32(u + n - 8) | (uint64_t)rd32(u + n - 4) << 32;
    if (xxh64(data, n - 8, 0) != sum) {
        err_set(e, "%s: checksum mismatch (truncated or corrupt tokenizer file)", name);
        return NULL;
    }
    uint32_t nv = rd32(u + 12), nm = rd32(u + 16), plen = rd32(u + 20);
    size_t at = BIN_HEADER, end = n - 8;
    bpe_tokenizer *t = tok_new();
    char *pattern = NULL;
    if (!t) {
        err_set(e, "%s: out of memory", name);
        return NULL;
    }
    memcpy(t->sha, u + 24, 32);
    if (nv < 256 || plen > end - at) {
        err_set(e, "%s: byte 12: bad sizes (vocab %u, pattern %u bytes)", name, nv, plen);
        goto fail;
    }
    pattern = strndup(data + at, plen);
    at += plen;
    int seen[256] = {0};
    for (uint32_t id = 0; id < nv; id++) {
        if (end - at < 5) goto short_file;
        uint32_t len = rd32(u + at);
        int special = u[at + 4];
        at += 5;
        if (len > end - at || (!special && len == 0) || (special && !(special & ADDED)) ||
            special > (ADDED | ADDED_PLAIN | ADDED_NORMALIZED))
            goto short_file;
        tok_add(t, data + at, len, special);
        if (!special && len == 1) {
            t->byte_id[u[at]] = id;
            seen[u[at]] = 1;
        }
        at += len;
    }
    for (int b = 0; b < 256; b++)
        if (!seen[b]) {
            err_set(e, "%s: the byte 0x%02X has no token", name, b);
            goto fail;
        }
    if ((uint64_t)nm * 12 != end - at) goto short_file;
    for (uint32_t r = 0; r < nm; r++, at += 12) {
        uint32_t a = rd32(u + at), b = rd32(u + at + 4), o = rd32(u + at + 8);
        if (a >= nv || b >= nv || o >= nv || t->special[a] || t->special[b] || t->special[o] ||
            t->tok_len[o] != t->tok_len[a] + t->tok_len[b] ||
            memcmp(t->blob + t->tok_off[o], t->blob + t->tok_off[a], t->tok_len[a]) ||
            memcmp(t->blob + t->tok_off[o] + t->tok_len[a], t->blob + t->tok_off[b], t->tok_len[b])) {
            err_set(e, "%s: byte %zu: merge %u (%u + %u -> %u) is inconsistent", name, at, r, a, b, o);
            goto fail;
        }
        tok_add_merge(t, a, b, o);
    }
    if (tok_set_pattern(t, pattern, name, e) != 0) {
        err_prefix(e, "%s", name);
        goto fail;
    }
    tok_set_special_ids(t);
    free(pattern);
    return t;
short_file:
    err_set(e, "%s: byte %zu: the sizes in the header do not match the file", name, at);
fail:
    free(pattern);
    bpe_free(t);
    return NULL;
}

bpe_tokenizer *bpe_load_mem(const char *data, size_t n, const char *name, blalm_err *e)
{
    if (n == 0) {
        err_set(e, "%s: empty tokenizer file", name);
        return NULL;
    }
    if (n >= 8 && !memcmp(data, BPE_BIN_MAGIC, 8)) return load_bin(data, n, name, e);
    size_t i = 0;
    while (i < n && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')) i++;
    if (i < n && data[i] == '{') return load_json(data, n, name, e);
    err_set(e, "%s: byte 0: neither a tokenizer.json nor a %s binary tokenizer", name, BPE_BIN_MAGIC);
    return NULL;
}

bpe_tokenizer *bpe_load(const char *path, blalm_err *e)
{
    char *data;
    size_t n;
    if (read_file(path, &data, &n, e) != 0) return NULL;
    bpe_tokenizer *t = bpe_load_mem(data, n, path, e);
    free(data);
    return t;
}
