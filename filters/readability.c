/* readability.c - counts and formulas as textstat 0.7.11 computes them;
 * definitions in readability.h.
 *
 * Syllables: a word is looked up in the CMU Pronouncing Dictionary first
 * (loaded at startup into a hash table of 64-bit word hashes, 9 bytes a word),
 * as textstat does; the words it lacks go to pyphen's algorithm.
 *
 * pyphen's algorithm on the hyph_en_US.dic patterns is in filters/hyphen.c. */
#include "filters/readability.h"
#include "filters/hyphen.h"
#include "lib/fmap.h"
#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/mem.h"
#include "lib/utf8.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "filters/cmudict_nltk.inc"
#include "filters/dale_chall_words.inc"

/* Words longer than this (in code points) are hyphenated over their first
 * MAX_CORE code points only: such "words" are URLs or encoded data, and this
 * bounds time and memory on a 64 MiB line. */
#define MAX_CORE HYPHEN_MAX_CP
#define CACHE_MAX_ENTRIES (1u << 21)

/* ---------- memory ---------- */


/* ---------- UTF-8 ---------- */

static int cat_of(int32_t c) { return (int)utf8proc_category(c); }
static int is_letter_cat(int k)
{
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}
static int is_number_cat(int k)
{
    return k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO;
}

/* U+0130, capital I with dot above: Python's str.lower() (the full case
 * mapping) makes it two code points, "i" and U+0307; every other code point
 * lowers to one, as utf8proc's simple mapping gives it. */
#define DOTTED_CAPITAL_I 0x130

/* Writes cp lowercased as Python's str.lower() does (final sigma aside: no
 * pattern or list word holds a sigma) into out; returns the bytes written
 * (at most 4) and adds its code points to *ncp. */
static size_t put_lower(int32_t cp, unsigned char *out, size_t *ncp)
{
    if (cp < 0x80) { /* the common case, without the call */
        out[0] = (unsigned char)((cp >= 'A' && cp <= 'Z') ? cp + 32 : cp);
        ++*ncp;
        return 1;
    }
    uint32_t lc[2];
    int n = py_lower((uint32_t)cp, lc);
    size_t b = 0;
    for (int i = 0; i < n; i++) b += (size_t)utf8proc_encode_char((utf8proc_int32_t)lc[i], out + b);
    *ncp += (size_t)n;
    return b;
}

/* ---------- hashing and tables ---------- */

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}
#define FNV_SEED 0xcbf29ce484222325ULL

/* Syllable cache entry, keyed by a 64-bit hash of the word (a false hit
 * needs a 64-bit collision: about 1e-7 over two million words). 16 bytes, so
 * the table of a corpus's vocabulary stays near the last-level cache. */
typedef struct cache_entry {
    uint64_t hash;       /* 0 = empty */
    int32_t syllables;
    uint32_t pad;
} cache_entry;

/* Per-token cache (4-way set-associative, by a 64-bit hash of the token's
 * bytes): a repeated token costs one probe of one cache line. On the 2,100
 * real documents 87.8% of tokens hit (direct-mapped, the same size: 84.9%). */
#define TOK_SLOTS (1u << 16)
#define TOK_WAYS 4   /* entries per set: 4 x 16 bytes, one cache line */
#define CORE_SLOTS (1u << 14)
#define PEND_DEPTH 16
#define PEND_CORE 48   /* longer cores are looked up at once, not queued */
typedef struct tok_entry {
    uint64_t hash;
    uint16_t letters;    /* \w code points */
    int16_t syllables;
    uint16_t chars;      /* code points */
    uint8_t uses;   /* frequent tokens stay: a miss evicts only an unused entry */
    uint8_t flags;  /* TE_* */
} tok_entry;
_Static_assert(sizeof(tok_entry) * TOK_WAYS == 64, "a set of token entries is one cache line");
/* TE_WORD: a \w code point; TE_TERMINAL: a . ! or ? (the sentence scan needs
 * the code points then); TE_DIFFICULT / TE_FOG: Dale-Chall / Gunning fog */
enum { TE_WORD = 1, TE_TERMINAL = 2, TE_DIFFICULT = 4, TE_FOG = 8 };

/* CMUdict: open addressing over word hashes, one 64-bit slot a word: the
 * hash's top 56 bits and the syllables in the low byte (0 = empty; CMU_GONE:
 * the word is treated as absent, cmudict_nltk.inc). A false hit needs a
 * 56-bit collision (about 2e-12 per lookup with 130,000 words). */
#define CMU_GONE 0xFF
typedef struct cmu_table {
    uint64_t *slots;
    size_t cap, n;
} cmu_table;

typedef struct word_set {
    uint64_t *hashes;
    char **keys;
    uint8_t *lens;   /* strlen of each key (the list's words are short) */
    size_t cap;
} word_set;

struct readability_ctx {
    hyphen_dict *hyph;   /* pyphen's patterns (filters/hyphen.h) */
    cache_entry *cache;
    size_t cache_cap, cache_n;
    word_set familiar;
    cmu_table cmu;
    char *cache_dir;     /* where the dictionary's table is cached; NULL = nowhere */
    int cmu_from_cache;  /* the last load read the cached table */
    /* syllables of recent cores, direct-mapped by their hash (tag in the high
     * 48 bits, syllables + 1 in the low 16): frequent words stay in the CPU's
     * cache instead of a probe of the dictionary's table (MiBs) each time */
    uint64_t core_cache[CORE_SLOTS];
    _Alignas(64) tok_entry toks[TOK_SLOTS];
    ws_spans own;              /* the split of a text readability_count was given */
    int no_token_cache;        /* reference path only (tests) */
    /* scratch for one token: its first code points, its core */
    int32_t tcp[MAX_CORE + 8];
    unsigned char core[4 * MAX_CORE + 8];
    /* words whose syllables are looked up PEND_DEPTH tokens later, their
     * table slots prefetched meanwhile (a dictionary probe is a cache miss) */
    struct pending {
        uint64_t th, h;
        size_t len;
        uint16_t letters, chars;
        uint8_t flags, store;
        unsigned char core[PEND_CORE];
    } pend[PEND_DEPTH];
    size_t pend_head, pend_n;
};

static uint64_t nonzero(uint64_t h) { return h ? h : 1; }

static int set_add(word_set *s, const char *w)
{
    size_t n = strlen(w);
    uint64_t h = nonzero(fnv1a(FNV_SEED, (const unsigned char *)w, n));
    size_t mask = s->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (!s->hashes[i]) {
            s->hashes[i] = h;
            s->keys[i] = (char *)w;
            s->lens[i] = (uint8_t)(n < 255 ? n : 255);
            return 0;
        }
        if (s->hashes[i] == h && !strcmp(s->keys[i], w)) return 0;
    }
}

/* The same, given h = fnv1a(FNV_SEED, w, n). */
static int set_has_h(const word_set *s, const char *w, size_t n, uint64_t h)
{
    h = nonzero(h);
    size_t mask = s->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (!s->hashes[i]) return 0;
        if (s->hashes[i] == h && s->lens[i] == n && !memcmp(s->keys[i], w, n))
            return 1;
    }
}

static int set_has(const word_set *s, const char *w, size_t n)
{
    return set_has_h(s, w, n, fnv1a(FNV_SEED, (const unsigned char *)w, n));
}

readability_ctx *readability_new(const char *dic_path, blalm_err *e)
{
    readability_ctx *c = mem_big_calloc(sizeof *c);
    if (!c) {
        err_set(e, "out of memory");
        return NULL;
    }
    if (!dic_path) dic_path = READABILITY_DEFAULT_DIC;
    c->hyph = hyphen_load(dic_path, e);
    if (!c->hyph) {
        readability_free(c);
        return NULL;
    }
    c->cache_cap = 1 << 14;
    c->cache = calloc(c->cache_cap, sizeof *c->cache);
    c->familiar.cap = 8192;
    c->familiar.hashes = calloc(c->familiar.cap, sizeof *c->familiar.hashes);
    c->familiar.keys = calloc(c->familiar.cap, sizeof *c->familiar.keys);
    c->familiar.lens = calloc(c->familiar.cap, 1);
    if (!c->cache || !c->familiar.hashes || !c->familiar.keys || !c->familiar.lens) {
        readability_free(c);
        err_set(e, "out of memory");
        return NULL;
    }
    /* textstat 0.7.11's resources/en/easy_words.txt holds these words less
     * "ma" (compared word for word; it also repeats a few) */
    for (size_t i = 0; i < sizeof dale_chall_words / sizeof dale_chall_words[0]; i++)
        if (strcmp(dale_chall_words[i], "ma")) set_add(&c->familiar, dale_chall_words[i]);
    return c;
}

static void cache_clear(readability_ctx *c)
{
    memset(c->cache, 0, c->cache_cap * sizeof *c->cache);
    c->cache_n = 0;
}

void readability_free(readability_ctx *c)
{
    if (!c) return;
    hyphen_free(c->hyph);
    if (c->cache) {
        cache_clear(c);
        free(c->cache);
    }
    free(c->familiar.hashes);
    free(c->familiar.keys);
    free(c->familiar.lens);
    free(c->cmu.slots);
    free(c->cache_dir);
    ws_free(&c->own);
    free(c);
}

/* ---------- syllables (pyphen) ---------- */

/* Syllables of a lowercased UTF-8 word (its first MAX_CORE code points). The
 * automaton takes less time than a probe of a cache of a corpus's vocabulary
 * (several MiB, so a miss in the CPU caches), so only the reference matcher's
 * counts are cached. */
static int syllables_lower(readability_ctx *c, const char *w, size_t len)
{
    if (hyphen_automaton_on(c->hyph)) return hyphen_count(c->hyph, w, len);
    uint64_t h = utf8_piece_hash(w, len);
    size_t mask = c->cache_cap - 1, i;
    for (i = h & mask; c->cache[i].hash; i = (i + 1) & mask)
        if (c->cache[i].hash == h) return c->cache[i].syllables;
    int syl = hyphen_count(c->hyph, w, len);
    if (c->cache_n >= CACHE_MAX_ENTRIES) cache_clear(c);
    if ((c->cache_n + 1) * 2 > c->cache_cap) {  /* grow */
        size_t ncap = c->cache_cap * 2;
        cache_entry *nt = mem_big_calloc(ncap * sizeof *nt);
        if (!nt) return syl;  /* keep working without caching */
        for (size_t k = 0; k < c->cache_cap; k++) {
            if (!c->cache[k].hash) continue;
            size_t j = c->cache[k].hash & (ncap - 1);
            while (nt[j].hash) j = (j + 1) & (ncap - 1);
            nt[j] = c->cache[k];
        }
        free(c->cache);
        c->cache = nt;
        c->cache_cap = ncap;
        mask = ncap - 1;
    }
    for (i = h & mask; c->cache[i].hash; i = (i + 1) & mask) {}
    cache_entry *e = &c->cache[i];
    e->hash = h;
    e->syllables = syl;
    c->cache_n++;
    return syl;
}

/* ---------- CMUdict ---------- */

static uint64_t cmu_tag_of(uint64_t h)
{
    h &= ~(uint64_t)0xFF;
    return h ? h : 0x100;
}

static uint64_t cmu_tag(const unsigned char *w, size_t n)
{
    return cmu_tag_of(fnv1a(FNV_SEED, w, n));
}

/* Syllables of a lowercased word (of hash fnv1a h) from the dictionary, or
 * -1 when absent. */
static int cmu_lookup(const cmu_table *t, uint64_t fnv)
{
    if (!t->n) return -1;
    uint64_t h = cmu_tag_of(fnv);
    size_t mask = t->cap - 1;
    for (size_t i = (h >> 8) & mask; t->slots[i]; i = (i + 1) & mask)
        if ((t->slots[i] & ~(uint64_t)0xFF) == h) {
            int syl = (int)(t->slots[i] & 0xFF);
            return syl == CMU_GONE ? -1 : syl;
        }
    return -1;
}

/* Inserts unless present; with replace, sets the word's syllables (CMU_GONE:
 * absent) whether present or not. The table has room (cmu_apply_nltk_fixes
 * grows it first). */
static void cmu_insert(cmu_table *t, const unsigned char *w, size_t n, int syl, int replace)
{
    uint64_t h = cmu_tag(w, n);
    size_t mask = t->cap - 1, i;
    uint64_t v = h | (uint64_t)(syl < CMU_GONE ? syl : CMU_GONE - 1);
    if (syl == CMUDICT_ABSENT) v = h | CMU_GONE;
    for (i = (h >> 8) & mask; t->slots[i]; i = (i + 1) & mask)
        if ((t->slots[i] & ~(uint64_t)0xFF) == h) {
            if (!replace) return;
            int was = (t->slots[i] & 0xFF) != CMU_GONE, now = (v & 0xFF) != CMU_GONE;
            t->slots[i] = v;
            t->n = t->n + (size_t)now - (size_t)was;   /* n: the words present */
            return;
        }
    if ((v & 0xFF) == CMU_GONE) return;   /* absent already */
    t->slots[i] = v;
    t->n++;
}

static int cmu_grow(cmu_table *t)
{
    size_t cap = t->cap * 2;
    uint64_t *ns = mem_big_calloc(cap * sizeof *ns);
    if (!ns) return -1;
    for (size_t k = 0; k < t->cap; k++) {
        if (!t->slots[k]) continue;
        size_t j = (t->slots[k] >> 8) & (cap - 1);
        while (ns[j]) j = (j + 1) & (cap - 1);
        ns[j] = t->slots[k];
    }
    free(t->slots);
    t->slots = ns;
    t->cap = cap;
    return 0;
}

/* Counts the stressed phonemes (ARPAbet letters and a stress digit) of
 * "PH1 ONES" up to a '#' note; -1 when a phoneme is malformed or there is
 * none (a word list, a cut line, cmudict's .symbols file: a word without a
 * pronunciation is no entry; "FS  F S", no vowel, is one of 0 syllables). */
static int stressed_phones(const char *p, size_t n)
{
    int syl = 0, phones = 0;
    size_t i = 0;
    for (;;) {
        while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
        if (i >= n || p[i] == '#') return phones ? syl : -1;
        size_t st = i;
        while (i < n && p[i] >= 'A' && p[i] <= 'Z') i++;
        if (i == st) return -1;
        phones++;
        if (i < n && p[i] >= '0' && p[i] <= '9') {
            syl++;
            i++;
        }
        if (i < n && p[i] != ' ' && p[i] != '\t' && p[i] != '#') return -1;
    }
}

/* Lowercases the key into out (ASCII; keys are ASCII in every CMUdict) and
 * drops a "(n)" suffix. Returns its length, 0 for an empty key. */
static size_t cmu_key(const char *w, size_t n, unsigned char *out, size_t cap)
{
    if (n >= 3 && w[n - 1] == ')') {
        size_t k = n - 2;
        while (k > 0 && w[k] >= '0' && w[k] <= '9') k--;
        if (k < n - 2 && w[k] == '(') n = k;
    }
    if (n > cap) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)w[i];
        out[i] = ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch + 32) : ch;
    }
    return n;
}

/* Entries (tag | syllables) in file order, before the table is built. */
typedef struct cmu_entries {
    uint64_t *v;
    size_t n, cap;
} cmu_entries;

/* A malformed line's first 80 bytes for a message: valid UTF-8 as is; each
 * byte of a control character (C0, DEL, C1), a bidi override or isolate, a
 * backslash and invalid UTF-8 as \xNN (raw, an ESC would drive the
 * terminal). Decoded forward, so an invalid byte is never lost to a cut.
 * out holds at least 4 * 80 + 1 bytes. Returns how many characters and
 * invalid bytes show escaped. */
static size_t cmu_show_line(const char *line, size_t n, char *out)
{
    const unsigned char *s = (const unsigned char *)line;
    size_t o = 0, escaped = 0;
    for (size_t i = 0; i < n;) {
        int32_t cp;
        size_t k = utf8_decode_at(s, n, i, &cp);
        if (i + k > 80) break;
        int bad = k == 1 && s[i] >= 0x80;
        if (bad || cp < 0x20 || cp == 0x7f || cp == '\\' || (cp >= 0x80 && cp <= 0x9f) ||
            (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
            for (size_t j = 0; j < k; j++) o += (size_t)sprintf(out + o, "\\x%02x", s[i + j]);
            escaped++;
        } else {
            memcpy(out + o, s + i, k);
            o += k;
        }
        i += k;
    }
    out[o] = 0;
    return escaped;
}

/* One line (no newline) into the table; 0, or -1 with the error set. */
static int cmu_line(cmu_entries *t, const char *line, size_t n, int js, const char *path,
                    size_t lineno, blalm_err *e)
{
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i == n || line[i] == '#' || (n - i >= 3 && !memcmp(line + i, ";;;", 3))) return 0;
    const char *w, *ph;
    size_t wn, phn;
    if (js) {
        /*   "word": "PH1 ONES # note",   (other lines are the module's frame) */
        if (line[i] != '"') return 0;
        const char *q = memchr(line + i + 1, '"', n - i - 1);
        if (!q || (size_t)(q - line) + 1 >= n || q[1] != ':') return 0;
        w = line + i + 1;
        wn = (size_t)(q - w);
        const char *r = q + 2, *end = line + n;
        while (r < end && *r == ' ') r++;
        const char *r2 = r < end && *r == '"' ? memchr(r + 1, '"', (size_t)(end - r - 1)) : NULL;
        if (!r2) return err_set(e, "%s:%zu: expected \"word\": \"PHONES\"", path, lineno);
        ph = r + 1;
        phn = (size_t)(r2 - ph);
    } else {
        w = line + i;
        size_t k = i;
        while (k < n && line[k] != ' ' && line[k] != '\t') k++;
        wn = k - i;
        /* NLTK's file: "WORD N PHONES", N the pronunciation's number (a
         * phoneme never starts with a digit) */
        while (k < n && (line[k] == ' ' || line[k] == '\t')) k++;
        if (k < n && line[k] >= '0' && line[k] <= '9') {
            size_t d = k;
            while (d < n && line[d] >= '0' && line[d] <= '9') d++;
            if (d == n || line[d] == ' ' || line[d] == '\t') k = d;
        }
        ph = line + k;
        phn = n - k;
    }
    if (memchr(w, '\\', wn))
        return err_set(e, "%s:%zu: escaped characters in a word are not supported", path, lineno);
    unsigned char key[256];
    int syl = stressed_phones(ph, phn);
    size_t kn = cmu_key(w, wn, key, sizeof key);
    if (syl < 0 || !kn) {
        char shown[4 * 80 + 1];
        size_t escaped = cmu_show_line(line + i, n - i, shown);
        return err_set(e, "%s:%zu: expected a word and ARPAbet phonemes (AH0 B ...), got '%s'%s", path,
                       lineno, shown, escaped ? " (bytes shown as \\xNN)" : "");
    }
    if (t->n == t->cap) {
        size_t ncap = t->cap ? 2 * t->cap : 1 << 16;
        uint64_t *nv = realloc(t->v, ncap * sizeof *nv);
        if (!nv) return err_set(e, "out of memory");
        t->v = nv;
        t->cap = ncap;
    }
    t->v[t->n++] = cmu_tag(key, kn) | (uint64_t)(syl < CMU_GONE ? syl : CMU_GONE - 1);
    return 0;
}

/* Builds the table of the entries (file order): sorted stably by home slot
 * first, so the inserts walk the table once instead of jumping through 2
 * MiB (a cache miss each); the first entry of a word counts. Frees the
 * entries. Returns 0, or -1 out of memory. */
static int cmu_build(cmu_table *t, cmu_entries *a)
{
    size_t cap = 1024;
    unsigned bits = 10;
    /* at most half full, with room for the fixes of cmudict_nltk.inc */
    while (cap < 2 * (a->n + 64)) cap *= 2, bits++;
    uint64_t *tmp = malloc((a->n ? a->n : 1) * sizeof *tmp);
    size_t *cnt = malloc(2048 * sizeof *cnt);
    t->slots = mem_big_calloc(cap * sizeof *t->slots);
    if (!tmp || !cnt || !t->slots) {
        free(tmp);
        free(cnt);
        free(t->slots);
        t->slots = NULL;
        free(a->v);
        return -1;
    }
    t->cap = cap;
    t->n = 0;
    for (unsigned sh = 0; sh < bits; sh += 11) {   /* LSD radix sort, 11 bits a pass */
        memset(cnt, 0, 2048 * sizeof *cnt);
        for (size_t k = 0; k < a->n; k++) cnt[(((a->v[k] >> 8) & (cap - 1)) >> sh) & 2047]++;
        size_t sum = 0;
        for (size_t d = 0; d < 2048; d++) {
            size_t c0 = cnt[d];
            cnt[d] = sum;
            sum += c0;
        }
        for (size_t k = 0; k < a->n; k++) tmp[cnt[(((a->v[k] >> 8) & (cap - 1)) >> sh) & 2047]++] = a->v[k];
        uint64_t *sw = a->v;
        a->v = tmp;
        tmp = sw;
    }
    for (size_t k = 0; k < a->n; k++) {
        uint64_t x = a->v[k], h = x & ~(uint64_t)0xFF;
        size_t i, mask = cap - 1;
        for (i = (h >> 8) & mask; t->slots[i]; i = (i + 1) & mask)
            if ((t->slots[i] & ~(uint64_t)0xFF) == h) break;
        if (t->slots[i]) continue;   /* a later pronunciation */
        t->slots[i] = x;
        t->n++;
    }
    free(tmp);
    free(cnt);
    free(a->v);
    return 0;
}

/* The words where NLTK's copy of CMUdict 0.7a (textstat's) differs from the
 * 2007 release (cmudict_nltk.inc). Returns 0, or -1 out of memory. */
static int cmu_apply_nltk_fixes(cmu_table *t)
{
    for (size_t i = 0; i < sizeof cmudict_nltk_fixes / sizeof cmudict_nltk_fixes[0]; i++) {
        const struct cmudict_fix *f = &cmudict_nltk_fixes[i];
        if ((t->n + 1) * 2 > t->cap && cmu_grow(t) < 0) return -1;
        cmu_insert(t, (const unsigned char *)f->word, strlen(f->word), f->syllables, 1);
    }
    return 0;
}

/* ---------- the table, cached ----------
 *
 * Parsing the dictionary costs about 100 M instructions (25 ms) a run; its
 * finished table (2 MiB) is kept in the cache folder as
 * cmudict-<xxh3 of the file>-<size>.table: a header that names what it was
 * made from (the file's size and xxh3, the .js format, the NLTK fixes, the
 * table format and parsing rules: the magic) and an xxh3 of the slots, then the slots. A table whose
 * header or checksum does not match is ignored and made again; it is written
 * atomically (temporary file, rename), and a cache that cannot be written is
 * no error (the next run parses again). */
/* 2: a line without phonemes became an error; tables of such files that an
 * older blalm cached are not read */
#define CMU_CACHE_MAGIC "blalm cmudict 2"
typedef struct cmu_cache_head {
    char magic[16];
    uint64_t src_size, src_xxh3, fixes, js, cap, n, slots_xxh3;
} cmu_cache_head;

/* A hash of cmudict_nltk.inc's fixes: a table made with other fixes differs. */
static uint64_t cmu_fixes_hash(void)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < sizeof cmudict_nltk_fixes / sizeof cmudict_nltk_fixes[0]; i++) {
        const struct cmudict_fix *f = &cmudict_nltk_fixes[i];
        h = hash_fmix64(h ^ xxh3_64(f->word, strlen(f->word)) ^ (uint64_t)(f->syllables + 2));
    }
    return h;
}

static void cmu_cache_path(const readability_ctx *c, uint64_t size, uint64_t x, char *out,
                           size_t cap)
{
    snprintf(out, cap, "%s/cmudict-%016llx-%llu.table", c->cache_dir, (unsigned long long)x,
             (unsigned long long)size);
}

/* The cached table of the file with this head's key, into t; 0, or -1 when
 * there is none that matches (t untouched). */
static int cmu_cache_read(const readability_ctx *c, const cmu_cache_head *key, cmu_table *t)
{
    char path[4200];
    cmu_cache_path(c, key->src_size, key->src_xxh3, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    cmu_cache_head h;
    uint64_t *slots = NULL;
    int ok = fread(&h, sizeof h, 1, f) == 1 && !memcmp(h.magic, key->magic, sizeof h.magic) &&
             h.src_size == key->src_size && h.src_xxh3 == key->src_xxh3 &&
             h.fixes == key->fixes && h.js == key->js && h.cap >= 1024 &&
             !(h.cap & (h.cap - 1)) && h.cap <= ((uint64_t)1 << 28) && h.n && h.n < h.cap;
    if (ok) ok = (slots = mem_big_alloc(h.cap * sizeof *slots)) != NULL;
    if (ok) ok = fread(slots, sizeof *slots, h.cap, f) == h.cap && fgetc(f) == EOF;
    if (ok) ok = xxh3_64(slots, h.cap * sizeof *slots) == h.slots_xxh3;
    fclose(f);
    if (!ok) {
        free(slots);
        return -1;
    }
    t->slots = slots;
    t->cap = h.cap;
    t->n = h.n;
    return 0;
}

static void cmu_cache_write(const readability_ctx *c, const cmu_cache_head *key,
                            const cmu_table *t)
{
    char path[4200];
    cmu_cache_path(c, key->src_size, key->src_xxh3, path, sizeof path);
    size_t bytes = sizeof *key + t->cap * sizeof *t->slots;
    char *buf = malloc(bytes);
    if (!buf) return;
    cmu_cache_head h = *key;
    h.cap = t->cap;
    h.n = t->n;
    h.slots_xxh3 = xxh3_64(t->slots, t->cap * sizeof *t->slots);
    memcpy(buf, &h, sizeof h);
    memcpy(buf + sizeof h, t->slots, t->cap * sizeof *t->slots);
    blalm_err e;
    if (mkdir_p(c->cache_dir, &e) == 0) (void)write_file_atomic(path, buf, bytes, &e);
    free(buf);
}

int readability_set_cache_dir(readability_ctx *c, const char *dir)
{
    free(c->cache_dir);
    c->cache_dir = NULL;
    if (dir && *dir && !(c->cache_dir = strdup(dir))) return -1;
    return 0;
}

int readability_cmudict_from_cache(const readability_ctx *c) { return c->cmu_from_cache; }

uint64_t readability_cmudict_digest(const readability_ctx *c)
{
    return c->cmu.slots ? xxh3_64(c->cmu.slots, c->cmu.cap * sizeof *c->cmu.slots) ^ c->cmu.n
                        : 0;
}

long readability_load_cmudict(readability_ctx *c, const char *path, blalm_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(e, "%s: cannot open the pronouncing dictionary", path);
    size_t plen = strlen(path);
    int js = (plen > 3 && !strcmp(path + plen - 3, ".js")) ||
             (plen > 4 && !strcmp(path + plen - 4, ".mjs"));
    /* the whole file at once (mapped when it is a regular file): a line at a
     * time costs more than the parsing */
    char *buf = NULL, *map = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0) {
        void *m = fmap_map(fileno(f), (size_t)sb.st_size, MAP_PRIVATE | MAP_POPULATE, path);
        if (m != MAP_FAILED) {
            map = m;
            len = (size_t)sb.st_size;
        }
    }
    while (!map) {
        if (len == cap) {
            size_t ncap = cap ? 2 * cap : (size_t)8 << 20;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                rc = err_set(e, "out of memory");
                break;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    if (!rc && !map && ferror(f)) rc = err_set(e, "%s: read error", path);
    fclose(f);
    const char *text = map ? map : buf;
    cmu_table t = {0};
    cmu_entries ents = {0};
    size_t lineno = 0;
    cmu_cache_head key;
    memset(&key, 0, sizeof key);
    int cached = 0;
    if (!rc && c->cache_dir) {
        memcpy(key.magic, CMU_CACHE_MAGIC, sizeof key.magic);
        key.src_size = len;
        key.src_xxh3 = xxh3_64(text, len);
        key.fixes = cmu_fixes_hash();
        key.js = (uint64_t)js;
        cached = cmu_cache_read(c, &key, &t) == 0;
    }
    for (size_t i = 0; !rc && !cached && i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len, n = end - i;
        if (n && text[i + n - 1] == '\r') n--;
        rc = cmu_line(&ents, text + i, n, js, path, ++lineno, e);
        i = end + 1;
    }
    if (rc) free(ents.v);
    else if (!cached && cmu_build(&t, &ents) < 0) rc = err_set(e, "out of memory");
    /* the 2007 release of 0.7a is brought to NLTK's revision, textstat's */
    size_t hl = strlen(CMUDICT_0_7A_2007);
    if (!rc && !cached && t.n && len >= hl && !memcmp(text, CMUDICT_0_7A_2007, hl) &&
        cmu_apply_nltk_fixes(&t) < 0)
        rc = err_set(e, "out of memory");
    if (!rc && !cached && t.n && c->cache_dir) cmu_cache_write(c, &key, &t);
    if (map) fmap_unmap(map, len);
    free(buf);
    if (!rc && !t.n) rc = err_set(e, "%s: no dictionary entries found", path);
    if (rc) {
        free(t.slots);
        return -1;
    }
    free(c->cmu.slots);
    c->cmu = t;
    c->cmu_from_cache = cached;
    /* cached counts came from the old method */
    memset(c->toks, 0, sizeof c->toks);
    memset(c->core_cache, 0, sizeof c->core_cache);
    return (long)t.n;
}

size_t readability_cmudict_words(const readability_ctx *c) { return c->cmu.n; }

/* Syllables of a lowercased core of hash h = fnv1a(w): CMUdict, else pyphen. */
static int word_syllables_h(readability_ctx *c, const unsigned char *w, size_t n, uint64_t h)
{
    uint64_t tag = h & ~(uint64_t)0xFFFF;
    uint64_t *slot = &c->core_cache[h & (CORE_SLOTS - 1)];
    if (tag && (*slot & ~(uint64_t)0xFFFF) == tag) return (int)(*slot & 0xFFFF) - 1;
    int s = cmu_lookup(&c->cmu, h);
    if (s < 0) s = syllables_lower(c, (const char *)w, n);
    if (tag && s < 0xFFFF) *slot = tag | (uint64_t)(s + 1);
    return s;
}

static int word_syllables(readability_ctx *c, const unsigned char *w, size_t n)
{
    return word_syllables_h(c, w, n, fnv1a(FNV_SEED, w, n));
}

static void prefetch_syllables(const readability_ctx *c, uint64_t h)
{
    __builtin_prefetch(&c->core_cache[h & (CORE_SLOTS - 1)]);
    if (c->cmu.n) __builtin_prefetch(&c->cmu.slots[(cmu_tag_of(h) >> 8) & (c->cmu.cap - 1)]);
}

static size_t lower_word(const char *word, size_t len, unsigned char *buf)
{
    size_t b = 0, ncp = 0;
    int bad = 0;
    for (size_t i = 0; i < len && ncp < MAX_CORE;) {
        int32_t cp;
        i += utf8_decode_flag((const unsigned char *)word, len, i, &cp, &bad);
        b += put_lower(cp, buf + b, &ncp);
    }
    return b;
}

int readability_syllables(readability_ctx *c, const char *word, size_t len)
{
    unsigned char buf[4 * MAX_CORE + 8];
    size_t b = lower_word(word, len, buf);
    return word_syllables(c, buf, b);
}

int readability_syllables_pyphen(readability_ctx *c, const char *word, size_t len)
{
    unsigned char buf[4 * MAX_CORE + 8];
    size_t b = lower_word(word, len, buf);
    return syllables_lower(c, (const char *)buf, b);
}

/* ---------- textstat's character classes ---------- */

/* Python's \w for ASCII: letters, digits, '_' */
static const uint8_t ascii_w[128] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['_'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

static int is_w_nonascii(int32_t cp);

/* Python's \w: str.isalnum() (Unicode L* and N*) or '_'. */
static inline int is_w(int32_t cp)
{
    return cp < 0x80 ? (cp >= 0 && ascii_w[cp]) : is_w_nonascii(cp);
}

static int is_w_nonascii(int32_t cp)
{
    int k = cat_of(cp);
    return is_letter_cat(k) || is_number_cat(k);
}

static int is_terminal(int32_t cp) { return cp == '.' || cp == '!' || cp == '?'; }

/* textstat 0.7.11's remove_punctuation keeps an apostrophe at v[i] only when
 * RE_NONCONTRACTION_APOSTROPHE, r"\'(?![tsd]|ve|ll|re)", does not match there:
 * followed by t, s or d, or by ve, ll or re, as written (case-sensitive: the
 * words are lowercased after it, for syllables and difficult words alike). No
 * word boundary is required after them ("'the" and "'sin" keep theirs). */
static int apostrophe_kept(const int32_t *v, size_t n, size_t i)
{
    int32_t a = i + 1 < n ? v[i + 1] : -1, b = i + 2 < n ? v[i + 2] : -1;
    if (a == 't' || a == 's' || a == 'd') return 1;
    return (a == 'v' && b == 'e') || (a == 'l' && b == 'l') || (a == 'r' && b == 'e');
}

/* ---------- sentences ---------- */

/* textstat 0.7.11: re.findall(r"\b[^.!?]+[.!?]*", text); segments whose
 * lexicon_count is <= 2 are not sentences; max(1, rest) for a non-empty
 * text. A segment starts at a \w code point (the characters before it match
 * no \b) and ends after the run of . ! ? that follows; its words are the
 * pieces of tokens inside it that hold a \w code point. */
typedef struct sent_state {
    int in_seg, in_run, piece_w;
    uint64_t seg_words, segments, short_segments;
} sent_state;

static void seg_close(sent_state *st)
{
    st->seg_words += (uint64_t)st->piece_w;
    st->segments++;
    if (st->seg_words <= 2) st->short_segments++;
    st->in_seg = st->in_run = st->piece_w = 0;
    st->seg_words = 0;
}

static void sent_cp(sent_state *st, int32_t cp, int w)
{
    if (is_terminal(cp)) {
        if (st->in_seg) st->in_run = 1;
        return;
    }
    if (st->in_run) seg_close(st);
    if (!st->in_seg) {
        if (w) st->in_seg = st->piece_w = 1;
        return;
    }
    st->piece_w |= w;
}

/* The token ended (whitespace or the text's end follows). */
static void sent_token_end(sent_state *st)
{
    if (!st->in_seg) return;
    st->seg_words += (uint64_t)st->piece_w;
    st->piece_w = 0;
    if (st->in_run) seg_close(st);
}

/* ---------- counting ---------- */

/* Builds into out the core of v[0..n): its \w code points and kept
 * apostrophes, lowercased; at most MAX_CORE code points. Returns its length
 * in bytes. */
static size_t build_core(const int32_t *v, size_t n, unsigned char *out)
{
    size_t b = 0, k = 0;
    for (size_t i = 0; i < n && k < MAX_CORE; i++) {
        int32_t cp = v[i];
        if (!is_w(cp) && !(cp == '\'' && apostrophe_kept(v, n, i))) continue;
        b += put_lower(cp, out + b, &k);
    }
    return b;
}

/* A word holding U+0130 is never familiar: textstat's is_difficult_word
 * looks up word.lower() ("i" U+0307) in the (ASCII) list. Its syllables are
 * those of the core with the U+0307 kept (put_lower): textstat's
 * count_syllables lowers after removing punctuation (list_words(text,
 * lowercase=True)), so CMUdict never has the word and pyphen hyphenates it
 * with the U+0307 in place. */

/* Syllables, difficulty and fog difficulty of a token whose first code points
 * are c->tcp[0..n) and that holds a \w code point. One core serves all three:
 * textstat's list_words removes punctuation from the text as written and
 * lowercases after (syllables) or in is_difficult_word (difficult words), and
 * removing punctuation from a core again changes nothing (fog's syllables)
 * but where U+0130 lowered to U+0307 (above). */
static void token_word(readability_ctx *c, size_t n, int *syl, int *difficult, int *fog)
{
    size_t len = build_core(c->tcp, n, c->core);
    int dotted = 0;   /* U+0130: see DOTTED_CAPITAL_I */
    for (size_t i = 0; i < n; i++) dotted |= c->tcp[i] == DOTTED_CAPITAL_I;
    *syl = word_syllables(c, c->core, len);
    *difficult = dotted || !(len < 64 && set_has(&c->familiar, (const char *)c->core, len));
    if (!dotted) {
        *fog = *difficult && *syl >= 3;
        return;
    }
    /* Gunning fog: is_difficult_word counts the syllables of word.lower()
     * with count_syllables, which removes punctuation again: the U+0307
     * goes (the core holds no other, a combining mark not being \w) */
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        if (i + 1 < len && c->core[i] == 0xCC && c->core[i + 1] == 0x87) i++;
        else c->core[k++] = c->core[i];
    }
    *fog = word_syllables(c, c->core, k) >= 3;
}

/* A word of a token without apostrophes whose syllables are known: the
 * counts that need them, and the token's cache entry (th its hash). */
static void word_done(readability_ctx *c, readability_counts *out, const struct pending *p, int syl)
{
    int flags = p->flags | ((p->flags & TE_DIFFICULT) && syl >= 3 ? TE_FOG : 0);
    out->syllables += (uint64_t)syl;
    if (syl >= 3) out->polysyllables++;
    out->fog_difficult_words += (uint64_t)!!(flags & TE_FOG);
    if (!p->store || syl > 32767) return;
    tok_entry *set = &c->toks[p->th & (TOK_SLOTS - TOK_WAYS)], *te = set;
    for (int w = 0; w < TOK_WAYS; w++)
        if (set[w].hash == p->th) return;   /* stored by an earlier occurrence */
    for (int w = 1; w < TOK_WAYS; w++)
        if (set[w].uses < te->uses) te = &set[w];
    te->hash = p->th;
    te->letters = p->letters;
    te->chars = p->chars;
    te->syllables = (int16_t)syl;
    te->flags = (uint8_t)flags;
    te->uses = 1;
}

/* The oldest pending word. */
static void pend_resolve(readability_ctx *c, readability_counts *out)
{
    struct pending *p = &c->pend[c->pend_head];
    c->pend_head = (c->pend_head + 1) % PEND_DEPTH;
    c->pend_n--;
    word_done(c, out, p, word_syllables_h(c, p->core, p->len, p->h));
}

void readability_count(readability_ctx *c, const char *text, size_t len,
                       readability_counts *out)
{
    if (ws_split(&c->own, text, len) < 0) {   /* out of memory: counts stay 0 */
        memset(out, 0, sizeof *out);
        return;
    }
    readability_count_spans(c, &c->own, out);
}

void readability_count_spans(readability_ctx *c, const ws_spans *sp, readability_counts *out)
{
    memset(out, 0, sizeof *out);
    const char *text = sp->text;
    size_t len = sp->len;
    const unsigned char *s = (const unsigned char *)text;
    sent_state st;
    memset(&st, 0, sizeof st);
    if (!text) return;
    /* the cache slot of the token 16 ahead is prefetched */
    const ws_span *tv = sp->v;
    size_t ntv = sp->n;
    for (size_t ti = 0; ti < ntv; ti++) {
        if (ti + 16 < ntv) __builtin_prefetch(&c->toks[tv[ti + 16].hash & (TOK_SLOTS - TOK_WAYS)]);
        size_t tend = tv[ti].end;
        uint64_t th = tv[ti].hash;
        size_t i = tv[ti].off;
        /* a set of TOK_WAYS entries, one cache line: a hit anywhere in it; a
         * miss replaces the least used entry and ages the others */
        tok_entry *set = &c->toks[th & (TOK_SLOTS - TOK_WAYS)], *te = set;
        int hit = 0;
        if (!c->no_token_cache) {
            for (int w = 0; w < TOK_WAYS; w++)
                if (set[w].hash == th) {
                    te = &set[w];
                    hit = 1;
                    break;
                }
            if (!hit) {
                for (int w = 1; w < TOK_WAYS; w++)
                    if (set[w].uses < te->uses) te = &set[w];
                for (int w = 0; w < TOK_WAYS; w++)
                    if (set[w].uses) set[w].uses--;
            }
        }
        int store = !c->no_token_cache && !hit;
        if (hit && te->uses < 255) te->uses++;
        uint64_t letters, chars;
        int syl = 0, flags;
        if (hit && !(te->flags & TE_TERMINAL)) {
            /* no . ! ?: the token is one piece of the open segment */
            flags = te->flags;
            int w = flags & TE_WORD;
            if (st.in_seg)
                st.seg_words += (uint64_t)w;
            else if (w) {
                st.in_seg = 1;
                st.seg_words = 1;
            }
            letters = te->letters;
            chars = te->chars;
            syl = te->syllables;
        } else {
            size_t ncp = 0, clen = 0, ccp = 0;   /* the core, built as build_core would */
            letters = chars = 0;
            int any_bad = 0, term = 0, apos = 0, dotted = 0;
            st.piece_w = 0;
            while (i < tend) {
                int32_t cp;
                int bad = 0;
                size_t k = utf8_decode_flag(s, len, i, &cp, &bad);
                if (bad) out->invalid_utf8++, any_bad = 1;
                i += k;
                int w = is_w(cp);
                sent_cp(&st, cp, w);
                term |= is_terminal(cp);
                chars++;
                letters += (uint64_t)w;
                dotted |= cp == DOTTED_CAPITAL_I;
                if (!hit && ncp < MAX_CORE + 4) {
                    c->tcp[ncp++] = cp;
                    apos |= cp == '\'';
                    if (w && ccp < MAX_CORE) clen += put_lower(cp, c->core + clen, &ccp);
                }
            }
            sent_token_end(&st);
            if (hit) {
                flags = te->flags;
                syl = te->syllables;
            } else {
                flags = (letters ? TE_WORD : 0) | (term ? TE_TERMINAL : 0);
                if (letters && letters <= 0xFFFF && !apos && !dotted) {
                    /* the common case: syllables looked up PEND_DEPTH words later
                     * (a long core at once); without apostrophes the core is the
                     * \w code points, lowercased (built above) */
                    uint64_t ch = fnv1a(FNV_SEED, c->core, clen);
                    struct pending now, *p = &now;
                    if (clen <= PEND_CORE) {
                        if (c->pend_n == PEND_DEPTH) pend_resolve(c, out);
                        p = &c->pend[(c->pend_head + c->pend_n++) % PEND_DEPTH];
                        memcpy(p->core, c->core, clen);
                        prefetch_syllables(c, ch);
                    }
                    p->len = clen;
                    p->h = ch;
                    if (!(clen < 64 && set_has_h(&c->familiar, (const char *)c->core, clen, ch)))
                        flags |= TE_DIFFICULT;
                    p->th = th;
                    p->letters = (uint16_t)letters;
                    p->chars = (uint16_t)(chars <= 0xFFFF ? chars : 0xFFFF);
                    p->flags = (uint8_t)flags;
                    p->store = (uint8_t)(store && !any_bad && chars <= 0xFFFF);
                    out->tokens++;
                    out->characters += chars;
                    out->letters += letters;
                    out->words++;
                    out->difficult_words += (uint64_t)!!(flags & TE_DIFFICULT);
                    if (p == &now) word_done(c, out, p, word_syllables_h(c, c->core, clen, ch));
                    continue;
                }
                if (letters) {
                    int difficult, fog;
                    token_word(c, ncp, &syl, &difficult, &fog);
                    flags |= (difficult ? TE_DIFFICULT : 0) | (fog ? TE_FOG : 0);
                }
                if (store && !any_bad && chars <= 0xFFFF && syl <= 32767) {
                    te->hash = th;
                    te->letters = (uint16_t)letters;
                    te->chars = (uint16_t)chars;
                    te->syllables = (int16_t)syl;
                    te->flags = (uint8_t)flags;
                    te->uses = 1;
                }
            }
        }
        out->tokens++;
        out->characters += chars;
        out->letters += letters;
        if (flags & TE_WORD) {
            out->words++;
            out->syllables += (uint64_t)syl;
            if (syl >= 3) out->polysyllables++;
            out->difficult_words += (uint64_t)!!(flags & TE_DIFFICULT);
            out->fog_difficult_words += (uint64_t)!!(flags & TE_FOG);
        }
    }
    while (c->pend_n) pend_resolve(c, out);
    if (st.in_seg) seg_close(&st);
    out->sentences = st.segments - st.short_segments;
    if (len && !out->sentences) out->sentences = 1;
}

void readability_set_token_cache(readability_ctx *c, int on) { c->no_token_cache = !on; }

int readability_set_hyphen_automaton(readability_ctx *c, int on)
{
    if (hyphen_set_automaton(c->hyph, on) < 0) return -1;
    /* cached counts came from the other matcher */
    cache_clear(c);
    memset(c->toks, 0, sizeof c->toks);
    memset(c->core_cache, 0, sizeof c->core_cache);
    return 0;
}

void readability_scores_of(const readability_counts *k, readability_scores *o)
{
    memset(o, 0, sizeof *o);
    /* textstat 0.7.11's expressions, in its order of operations, so that
     * results agree to the last bit; a term that is 0 (or a division by 0)
     * makes the score 0 where textstat returns 0.0 */
    double W = (double)k->words, S = (double)k->sentences, Y = (double)k->syllables;
    double L = (double)k->letters, C = (double)k->characters, T = (double)k->tokens;
    double P = (double)k->polysyllables;
    if (k->sentences)   /* SMOG: 3.1291 for a non-empty text without words, as textstat */
        o->smog_index = (1.043 * pow(30 * (P / S), 0.5)) + 3.1291;
    if (!k->words || !k->sentences) return;
    double wps = W / S, spw = Y / W;
    if (spw != 0) {
        o->flesch_reading_ease = 206.835 - 1.015 * wps - 84.6 * spw;
        o->flesch_kincaid_grade = (0.39 * wps) + (11.8 * spw) - 15.59;
    }
    double cpw = k->tokens ? C / T : 0;
    if (cpw != 0) o->automated_readability_index = (4.71 * cpw) + (0.5 * wps) - 21.43;
    double lpw = (L / W) * 100, spw100 = (S / W) * 100;
    if (lpw != 0) o->coleman_liau_index = (0.058 * lpw) - (0.296 * spw100) - 15.8;
    double fog = (double)(100 * k->fog_difficult_words) / W;
    o->gunning_fog = 0.4 * (wps + fog);
    double pd = (double)(100 * k->difficult_words) / W;
    o->dale_chall = (0.1579 * pd) + (0.0496 * wps);
    if (pd > 5) o->dale_chall += 3.6365;
}

void readability_json(const readability_counts *k, const readability_scores *s, sbuf *out)
{
    int first = 1;
    sb_addc(out, '{');
#define U(name, v) sb_json_key(out, name, &first), sb_json_uint(out, v)
#define D(name, v) sb_json_key(out, name, &first), sb_json_num(out, isfinite(v) ? (v) : 0.0)
    U("words", k->words);
    U("sentences", k->sentences);
    U("syllables", k->syllables);
    U("letters", k->letters);
    U("polysyllables", k->polysyllables);
    U("difficult_words", k->difficult_words);
    U("fog_difficult_words", k->fog_difficult_words);
    U("characters", k->characters);
    U("tokens", k->tokens);
    D("flesch_reading_ease", s->flesch_reading_ease);
    D("flesch_kincaid_grade", s->flesch_kincaid_grade);
    D("automated_readability_index", s->automated_readability_index);
    D("coleman_liau_index", s->coleman_liau_index);
    D("smog_index", s->smog_index);
    D("gunning_fog", s->gunning_fog);
    D("dale_chall", s->dale_chall);
    U("invalid_utf8", k->invalid_utf8);
#undef U
#undef D
    sb_addc(out, '}');
}
