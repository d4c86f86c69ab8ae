/* readability.c - counts and formulas; definitions in readability.h.
 *
 * Syllables: pyphen's algorithm on the hyph_en_US.dic patterns, reimplemented
 * here rather than calling libhyphen, because libhyphen adds a first
 * hyphenation level of its own (breaks at '-', '\'', U+2013, U+2019) and
 * applies its minimums in bytes, which pyphen (the reference textstat uses)
 * does not. The patterns file is the same Debian one. */
#include "filters/readability.h"
#include "lib/mem.h"
#include "lib/utf8.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "filters/dale_chall_words.inc"

/* Words longer than this (in code points) are hyphenated over their first
 * MAX_CORE code points only: such "words" are URLs or encoded data, and this
 * bounds time and memory on a 64 MiB line. */
#define MAX_CORE 1000
#define CACHE_MAX_ENTRIES (1u << 21)
#define AC_W 32   /* merged output vectors: values at back distances 0..31 */
#define AC_MAX_BYTES ((size_t)32 << 20)   /* larger automata: the reference matcher */

/* ---------- memory ---------- */


/* ---------- UTF-8 ---------- */

/* Decodes one code point at s[i]; invalid sequences give U+FFFD over one byte
 * and set *bad. Returns the number of bytes consumed (>= 1). */
static size_t decode_cp(const unsigned char *s, size_t n, size_t i, int32_t *cp, int *bad)
{
    size_t k = utf8_decode_at(s, n, i, cp);
    if (k == 1 && *cp == 0xFFFD) *bad = 1;
    return k;
}

static size_t encode_cp(int32_t cp, unsigned char *out)
{
    return (size_t)utf8proc_encode_char(cp, out);
}


static int cat_of(int32_t c) { return (int)utf8proc_category(c); }
static int is_letter_cat(int k)
{
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}
static int is_number_cat(int k)
{
    return k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO;
}
static int32_t lower_cp(int32_t c)
{
    if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    return utf8proc_tolower(c);
}

/* ---------- hashing and tables ---------- */

static uint64_t fnv1a(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}
#define FNV_SEED 0xcbf29ce484222325ULL

typedef struct pattern {
    uint64_t hash;
    char *key;           /* UTF-8 letters of the pattern */
    uint32_t key_len;
    uint8_t offset;      /* index of the first non-zero value */
    uint8_t nvalues;
    uint8_t values[24];
} pattern;

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
typedef struct tok_entry {
    uint64_t hash;
    uint16_t letters;
    int16_t syllables;
    uint8_t difficult;
    uint8_t uses;   /* frequent tokens stay: a miss evicts only an unused entry */
    uint8_t flags;  /* TE_*: what the sentence rules need to know */
} tok_entry;
_Static_assert(sizeof(tok_entry) * TOK_WAYS == 64, "a set of token entries is one cache line");
enum { TE_FIRST_CAPITAL = 1, TE_FIRST_OTHER = 2, TE_FIRST_MASK = 3, TE_TERMINAL = 4 };
struct token_scan;

typedef struct word_set {
    uint64_t *hashes;
    char **keys;
    uint8_t *lens;   /* strlen of each key (the list's words are short) */
    size_t cap;
} word_set;

struct readability_ctx {
    pattern *pats;       /* open addressing, cap a power of two */
    size_t pat_cap;
    /* hashes of every prefix of every pattern (open addressing, 0 = empty):
     * the matcher stops extending a substring that starts no pattern */
    uint64_t *prefix;
    size_t prefix_cap;
    int maxlen;          /* longest pattern, in code points */
    /* The same patterns as an Aho-Corasick automaton over code point
     * classes (build_automaton); the hash tables above stay as the reference
     * matcher (tests). */
    uint16_t cls_ascii[128];
    int32_t *cls_cp;     /* non-ASCII key code points, sorted, with their classes */
    uint16_t *cls_id;
    size_t ncls_cp;
    uint16_t dot_cls;
    size_t ncls;         /* classes 0..ncls-1 */
    uint16_t *ac_delta;  /* automaton (build_automaton); NULL: reference matcher */
    uint16_t *ac_vid;
    uint8_t *ac_vecs;
    int hyph_ref;        /* the reference matcher: tests, or patterns too big for the automaton */
    cache_entry *cache;
    size_t cache_cap, cache_n;
    word_set familiar;
    _Alignas(64) tok_entry toks[TOK_SLOTS];
    struct token_scan *scan;   /* scratch for one token */
    ws_spans own;              /* the split of a text readability_count was given */
    int no_token_cache;        /* reference path only (tests) */
    /* scratch for one hyphenation */
    int32_t cps[MAX_CORE + 2];
    unsigned char ubytes[4 * (MAX_CORE + 2)];
    size_t boff[MAX_CORE + 3];
    uint8_t refs[MAX_CORE + 4];
    uint8_t acrefs[AC_W + MAX_CORE + 4];   /* refs after AC_W bytes of slack */
};

static uint64_t nonzero(uint64_t h) { return h ? h : 1; }

static pattern *pat_find(readability_ctx *c, uint64_t h, const unsigned char *k, size_t n)
{
    size_t mask = c->pat_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        pattern *p = &c->pats[i];
        if (!p->key) return NULL;
        if (p->hash == h && p->key_len == n && !memcmp(p->key, k, n)) return p;
    }
}

static int pat_insert(readability_ctx *c, const pattern *np)
{
    size_t mask = c->pat_cap - 1;
    for (size_t i = np->hash & mask;; i = (i + 1) & mask) {
        pattern *p = &c->pats[i];
        if (!p->key) {
            *p = *np;
            return 0;
        }
        if (p->hash == np->hash && p->key_len == np->key_len &&
            !memcmp(p->key, np->key, np->key_len)) {
            free(p->key);  /* a later duplicate replaces the earlier (dict semantics) */
            *p = *np;
            return 0;
        }
    }
}

/* Parses one pattern line the way pyphen does: pairs (digit?)(non-digit?),
 * letters joined as the key, digits as values; zeros trimmed at both ends. */
static int parse_pattern(const char *line, size_t n, pattern *out)
{
    unsigned char key[256];
    uint8_t vals[128];
    size_t klen = 0, nv = 0, i = 0;
    const unsigned char *s = (const unsigned char *)line;
    while (i <= n) {
        uint8_t v = 0;
        if (i < n && s[i] >= '0' && s[i] <= '9') v = (uint8_t)(s[i++] - '0');
        if (i >= n) {  /* the final match is (digit?)(empty) */
            if (nv < sizeof vals) vals[nv++] = v;
            break;
        }
        int32_t cp;
        int bad = 0;
        size_t k = decode_cp(s, n, i, &cp, &bad);
        if (klen + 4 >= sizeof key || nv >= sizeof vals) return -1;
        klen += encode_cp(cp, key + klen);
        vals[nv++] = v;
        i += k;
    }
    size_t start = 0, end = nv;
    while (start < end && !vals[start]) start++;
    while (end > start && !vals[end - 1]) end--;
    if (start == end) return 1;  /* only zeros: skipped */
    if (end - start > sizeof out->values || start > 255) return -1;
    memset(out, 0, sizeof *out);
    out->key = malloc(klen + 1);
    if (!out->key) return -1;
    memcpy(out->key, key, klen);
    out->key[klen] = 0;
    out->key_len = (uint32_t)klen;
    out->hash = fnv1a(FNV_SEED, key, klen);
    out->offset = (uint8_t)start;
    out->nvalues = (uint8_t)(end - start);
    memcpy(out->values, vals + start, end - start);
    return 0;
}

static size_t cp_count(const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ((unsigned char)s[i] & 0xC0) != 0x80;
    return k;
}

static int load_patterns(readability_ctx *c, const char *path, blalm_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(e, "%s: cannot open hyphenation patterns (install hyphen-en-us)", path);
    c->pat_cap = 1 << 15;
    c->pats = mem_big_calloc(c->pat_cap * sizeof *c->pats);
    if (!c->pats) {
        fclose(f);
        return err_set(e, "out of memory");
    }
    char line[512];
    size_t lineno = 0, count = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
                     line[n - 1] == '\t'))
            n--;
        size_t st = 0;
        while (st < n && (line[st] == ' ' || line[st] == '\t')) st++;
        const char *p = line + st;
        n -= st;
        if (lineno == 1) {  /* charset */
            if (n != 5 || strncmp(p, "UTF-8", 5)) {
                fclose(f);
                return err_set(e, "%s:1: expected charset UTF-8", path);
            }
            continue;
        }
        if (!n || p[0] == '%' || p[0] == '#' || !strncmp(p, "LEFTHYPHENMIN", 13) ||
            !strncmp(p, "RIGHTHYPHENMIN", 14) || !strncmp(p, "COMPOUNDLEFTHYPHENMIN", 21) ||
            !strncmp(p, "COMPOUNDRIGHTHYPHENMIN", 22))
            continue;
        if (memchr(p, '/', n) && memchr(p, '=', n)) {
            /* nonstandard alternatives: the en_US file has none; keep the plain part */
            n = (size_t)((const char *)memchr(p, '/', n) - p);
        }
        if (count * 2 >= c->pat_cap) {
            fclose(f);
            return err_set(e, "%s:%zu: too many patterns", path, lineno);
        }
        pattern np;
        int rc = parse_pattern(p, n, &np);
        if (rc < 0) {
            fclose(f);
            return err_set(e, "%s:%zu: pattern too long", path, lineno);
        }
        if (rc > 0) continue;
        int len = (int)cp_count(np.key, np.key_len);
        if (len > c->maxlen) c->maxlen = len;
        pat_insert(c, &np);
        count++;
    }
    fclose(f);
    if (!count) return err_set(e, "%s: no hyphenation patterns", path);
    return 0;
}

static void prefix_add(readability_ctx *c, uint64_t h)
{
    size_t mask = c->prefix_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (c->prefix[i] == h) return;
        if (!c->prefix[i]) {
            c->prefix[i] = h;
            return;
        }
    }
}

static int prefix_has(const readability_ctx *c, uint64_t h)
{
    size_t mask = c->prefix_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (c->prefix[i] == h) return 1;
        if (!c->prefix[i]) return 0;
    }
}

static int build_prefixes(readability_ctx *c, blalm_err *e)
{
    c->prefix_cap = 1 << 17;
    c->prefix = mem_big_calloc(c->prefix_cap * sizeof *c->prefix);
    if (!c->prefix) return err_set(e, "out of memory");
    for (size_t i = 0; i < c->pat_cap; i++) {
        const pattern *p = &c->pats[i];
        if (!p->key) continue;
        uint64_t h = FNV_SEED;
        const unsigned char *k = (const unsigned char *)p->key;
        for (size_t b = 0; b < p->key_len;) {
            size_t n = 1;
            while (b + n < p->key_len && (k[b + n] & 0xC0) == 0x80) n++;
            h = fnv1a(h, k + b, n);
            b += n;
            prefix_add(c, h ? h : 1);
        }
    }
    return 0;
}

/* ---------- pattern automaton ---------- */

/* The code points of the pattern keys are mapped to classes 1..ncls-1;
 * class 0 is every other code point, which no pattern holds. */
static uint16_t class_of(const readability_ctx *c, int32_t cp)
{
    if (cp >= 0 && cp < 128) return c->cls_ascii[cp];
    size_t lo = 0, hi = c->ncls_cp;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->cls_cp[mid] < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < c->ncls_cp && c->cls_cp[lo] == cp ? c->cls_id[lo] : 0;
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Decodes a pattern key (valid UTF-8: parse_pattern encoded it). */
static size_t key_cps(const pattern *p, int32_t *out, size_t max)
{
    size_t n = 0;
    for (size_t b = 0; b < p->key_len && n < max;) {
        int bad = 0;
        b += decode_cp((const unsigned char *)p->key, p->key_len, b, &out[n++], &bad);
    }
    return n;
}

/* Returns 0, 1 when the keys hold over 1023 distinct code points (the
 * reference matcher is used then), -1 out of memory. */
static int build_classes(readability_ctx *c, blalm_err *e)
{
    int32_t kc[256];
    size_t nbig = 0, bigcap = 0;
    int32_t *big = NULL;
    int seen_ascii[128] = {0};
    for (size_t i = 0; i < c->pat_cap; i++) {
        const pattern *p = &c->pats[i];
        if (!p->key) continue;
        size_t n = key_cps(p, kc, 256);
        for (size_t k = 0; k < n; k++) {
            if (kc[k] < 128) {
                seen_ascii[kc[k]] = 1;
                continue;
            }
            if (nbig == bigcap) {
                bigcap = bigcap ? 2 * bigcap : 64;
                int32_t *nb = realloc(big, bigcap * sizeof *nb);
                if (!nb) {
                    free(big);
                    return err_set(e, "out of memory");
                }
                big = nb;
            }
            big[nbig++] = kc[k];
        }
    }
    if (big) qsort(big, nbig, sizeof *big, cmp_i32);
    size_t u = 0;
    for (size_t k = 0; k < nbig; k++)
        if (!u || big[u - 1] != big[k]) big[u++] = big[k];
    size_t ncls = 0;
    for (int a = 0; a < 128; a++) c->cls_ascii[a] = seen_ascii[a] ? (uint16_t)++ncls : 0;
    c->cls_cp = big;
    c->ncls_cp = u;
    c->cls_id = malloc((u ? u : 1) * sizeof *c->cls_id);
    if (!c->cls_id) return err_set(e, "out of memory");
    if (ncls + u > 1023) return 1;   /* the automaton would be too large */
    for (size_t k = 0; k < u; k++) c->cls_id[k] = (uint16_t)++ncls;
    c->dot_cls = c->cls_ascii['.'];
    c->ncls = ncls + 1;
    return 0;
}

/* Builds the Aho-Corasick automaton of the pattern keys over the classes:
 * ac_delta[s * K + k] is the state after class k from state s (failure
 * transitions folded in, so one lookup per code point), and each state's
 * output is the max, aligned at the match's end, of the values of every
 * pattern that is a suffix of the state's string. Returns 1 when the patterns
 * do not fit (more than 65535 states, keys over AC_W - 1 code points or a
 * table over AC_MAX_BYTES): the reference matcher is used then. */
static int build_automaton(readability_ctx *c, blalm_err *e)
{
    int32_t kc[256];
    size_t K = c->ncls;
    if (c->maxlen > AC_W - 1) return 1;
    size_t cap = 1024, ns = 1;
    uint16_t *d = mem_big_calloc(cap * K * sizeof *d);   /* trie children first; 0 = none */
    int32_t *own = malloc(cap * sizeof *own);  /* pattern ending here: index in pats, -1 */
    uint8_t *depth = calloc(cap, 1);
    uint16_t *fail = NULL, *queue = NULL, *vid = NULL;
    uint8_t *vecs = NULL;
    int rc = -1;
    if (!d || !own || !depth) goto oom;
    own[0] = -1;
    for (size_t i = 0; i < c->pat_cap; i++) {
        const pattern *p = &c->pats[i];
        if (!p->key) continue;
        size_t n = key_cps(p, kc, 256);
        size_t s = 0;
        for (size_t k = 0; k < n; k++) {
            size_t cl = class_of(c, kc[k]);
            if (!d[s * K + cl]) {
                if (ns == 0xFFFF || (ns == cap && 2 * cap * K * sizeof *d > AC_MAX_BYTES)) {
                    rc = 1;
                    goto oom;
                }
                if (ns == cap) {
                    uint16_t *nd = realloc(d, 2 * cap * K * sizeof *nd);
                    if (!nd) goto oom;
                    d = nd;
                    memset(d + cap * K, 0, cap * K * sizeof *d);
                    int32_t *no = realloc(own, 2 * cap * sizeof *no);
                    if (!no) goto oom;
                    own = no;
                    uint8_t *ndp = realloc(depth, 2 * cap);
                    if (!ndp) goto oom;
                    depth = ndp;
                    cap *= 2;
                }
                own[ns] = -1;
                depth[ns] = (uint8_t)(depth[s] + 1);
                d[s * K + cl] = (uint16_t)ns++;
            }
            s = d[s * K + cl];
        }
        own[s] = (int32_t)i;
    }
    fail = calloc(ns, sizeof *fail);
    queue = malloc(ns * sizeof *queue);
    vid = calloc(ns, sizeof *vid);
    size_t vcap = 1024, nv = 1;   /* vector 0: all zeros */
    vecs = calloc(vcap, AC_W);
    size_t hcap = 1024;
    while (hcap < 2 * ns + 2) hcap *= 2;   /* at most ns vectors: the table never fills */
    uint32_t *vh = calloc(hcap, sizeof *vh);   /* dedup: 1 + vector index, 0 = empty */
    if (!fail || !queue || !vid || !vecs || !vh) {
        free(vh);
        goto oom;
    }
    vh[fnv1a(FNV_SEED, vecs, AC_W) & (hcap - 1)] = 1;   /* vector 0, the zeros: no output */
    /* breadth first: a state's failure state is shallower, so its row is
     * complete and its output merged when the state is reached */
    size_t qh = 0, qt = 0;
    queue[qt++] = 0;
    while (qh < qt) {
        size_t s = queue[qh++];
        uint8_t v[AC_W];
        memcpy(v, vecs + (size_t)vid[fail[s]] * AC_W, AC_W);
        if (s && own[s] >= 0) {
            const pattern *p = &c->pats[own[s]];
            for (size_t k = 0; k < p->nvalues; k++) {
                size_t back = (size_t)depth[s] - p->offset - k;   /* offset + k <= depth */
                uint8_t *x = &v[AC_W - 1 - back];
                if (p->values[k] > *x) *x = p->values[k];
            }
        }
        uint64_t h = fnv1a(FNV_SEED, v, AC_W);
        size_t slot = h & (hcap - 1);
        for (; vh[slot]; slot = (slot + 1) & (hcap - 1))
            if (!memcmp(vecs + (size_t)(vh[slot] - 1) * AC_W, v, AC_W)) break;
        if (!vh[slot]) {
            if (nv == vcap) {
                uint8_t *nvv = realloc(vecs, 2 * vcap * AC_W);
                if (!nvv) {
                    free(vh);
                    goto oom;
                }
                vecs = nvv;
                vcap *= 2;
            }
            memcpy(vecs + nv * AC_W, v, AC_W);
            vh[slot] = (uint32_t)++nv;
        }
        vid[s] = (uint16_t)(vh[slot] - 1);
        for (size_t cl = 0; cl < K; cl++) {
            uint16_t *t = &d[s * K + cl];
            if (*t) {   /* a trie child */
                fail[*t] = s ? d[fail[s] * K + cl] : 0;
                queue[qt++] = *t;
            } else {
                *t = s ? d[fail[s] * K + cl] : 0;
            }
        }
    }
    free(vh);
    /* renumber the states in breadth-first order: the shallow states, where
     * most walks stay, share cache lines */
    size_t tsz = (ns * K + ns) * sizeof *d;
    tsz = (tsz + AC_W - 1) / AC_W * AC_W;
    unsigned char *mem = mem_big_calloc(tsz + nv * AC_W);   /* the three tables, one block */
    if (!mem) goto oom;
    uint16_t *nd = (uint16_t *)mem, *nvid = nd + ns * K;
    for (size_t q = 0; q < ns; q++) fail[queue[q]] = (uint16_t)q;   /* fail: now new ids */
    for (size_t q = 0; q < ns; q++) {
        size_t o = queue[q];
        nvid[q] = vid[o];
        for (size_t cl = 0; cl < K; cl++) nd[q * K + cl] = fail[d[o * K + cl]];
    }
    memcpy(mem + tsz, vecs, nv * AC_W);
    c->ac_delta = nd;
    c->ac_vid = nvid;
    c->ac_vecs = mem + tsz;
    rc = 0;
oom:
    free(d);
    free(own);
    free(depth);
    free(fail);
    free(queue);
    free(vid);
    free(vecs);
    if (rc < 0) err_set(e, "out of memory");
    return rc;
}

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

static int set_has(const word_set *s, const char *w, size_t n)
{
    uint64_t h = nonzero(fnv1a(FNV_SEED, (const unsigned char *)w, n));
    size_t mask = s->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (!s->hashes[i]) return 0;
        if (s->hashes[i] == h && s->lens[i] == n && !memcmp(s->keys[i], w, n))
            return 1;
    }
}

readability_ctx *readability_new(const char *dic_path, blalm_err *e)
{
    readability_ctx *c = mem_big_calloc(sizeof *c);
    if (!c) {
        err_set(e, "out of memory");
        return NULL;
    }
    if (!dic_path) {
        const char *env = getenv("BLALM_HYPHEN_DIC");
        dic_path = env && *env ? env : READABILITY_DEFAULT_DIC;
    }
    int rc = load_patterns(c, dic_path, e);
    if (!rc) rc = build_classes(c, e);
    if (!rc) rc = build_automaton(c, e);
    /* the reference matcher's prefix table only when it is needed */
    if (rc == 1) {
        c->hyph_ref = 1;
        rc = 0;
    }
    if (!rc && c->hyph_ref) rc = build_prefixes(c, e);
    if (rc < 0) {
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
    for (size_t i = 0; i < sizeof dale_chall_words / sizeof dale_chall_words[0]; i++)
        set_add(&c->familiar, dale_chall_words[i]);
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
    if (c->pats) {
        for (size_t i = 0; i < c->pat_cap; i++) free(c->pats[i].key);
        free(c->pats);
    }
    free(c->prefix);
    free(c->ac_delta);   /* holds ac_vid and ac_vecs too */
    free(c->cls_cp);
    free(c->cls_id);
    if (c->cache) {
        cache_clear(c);
        free(c->cache);
    }
    free(c->familiar.hashes);
    free(c->familiar.keys);
    free(c->familiar.lens);
    free(c->scan);
    ws_free(&c->own);
    free(c);
}

/* ---------- syllables (pyphen) ---------- */

/* Points of c->refs[0..n+2] (references of the pointed word): pyphen keeps
 * position r-1 for each odd reference r within 2 <= pos <= n-2; + 1. */
static int count_points(const readability_ctx *c, size_t n)
{
    int points = 0;
    for (size_t r = 0; r <= n + 2; r++) {
        if (!(c->refs[r] & 1)) continue;
        long pos = (long)r - 1;
        if (pos >= 2 && pos <= (long)n - 2) points++;
    }
    return points + 1;
}

/* Hyphenation points of the lowercased code points c->cps[0..n) (n <= MAX_CORE)
 * within pyphen's minimums, + 1: the reference matcher, pyphen's loop as
 * written (every substring of the pointed word looked up by hash). */
static int hyphenate_count_ref(readability_ctx *c, size_t n)
{
    /* pointed word ".w." as UTF-8 with code point offsets */
    size_t pw = n + 2, b = 0;
    c->boff[0] = 0;
    c->ubytes[b++] = '.';
    for (size_t i = 0; i < n; i++) {
        c->boff[i + 1] = b;
        b += encode_cp(c->cps[i], c->ubytes + b);
    }
    c->boff[n + 1] = b;
    c->ubytes[b++] = '.';
    c->boff[n + 2] = b;
    memset(c->refs, 0, pw + 1);
    for (size_t i = 0; i + 1 < pw; i++) {
        size_t jmax = i + (size_t)c->maxlen < pw ? i + (size_t)c->maxlen : pw;
        uint64_t h = FNV_SEED;
        for (size_t j = i + 1; j <= jmax; j++) {
            h = fnv1a(h, c->ubytes + c->boff[j - 1], c->boff[j] - c->boff[j - 1]);
            if (!prefix_has(c, h ? h : 1)) break;  /* no pattern starts like this */
            const pattern *p = pat_find(c, h, c->ubytes + c->boff[i], c->boff[j] - c->boff[i]);
            if (!p) continue;
            for (size_t k = 0; k < p->nvalues; k++) {
                size_t r = i + p->offset + k;
                if (r <= pw && p->values[k] > c->refs[r]) c->refs[r] = p->values[k];
            }
        }
    }
    return count_points(c, n);
}

/* The state's merged values, max'ed into the AC_W references from r on.
 * States without output (vector 0, zeros) take the same path: a branch on
 * them mispredicts more than the two max instructions cost. */
static inline void ac_apply(const readability_ctx *c, size_t s, uint8_t *r)
{
    const uint8_t *v = c->ac_vecs + (size_t)c->ac_vid[s] * AC_W;
#ifdef __SSE2__
    __m128i a = _mm_loadu_si128((const __m128i *)r);
    __m128i b = _mm_loadu_si128((const __m128i *)(r + 16));
    a = _mm_max_epu8(a, _mm_loadu_si128((const __m128i *)v));
    b = _mm_max_epu8(b, _mm_loadu_si128((const __m128i *)(v + 16)));
    _mm_storeu_si128((__m128i *)r, a);
    _mm_storeu_si128((__m128i *)(r + 16), b);
#else
    for (size_t k = 0; k < AC_W; k++) r[k] = v[k] > r[k] ? v[k] : r[k];
#endif
}

/* The same count by the automaton, straight from the lowercased UTF-8 word
 * (its first MAX_CORE code points): one transition per code point of the
 * pointed word; after code point j the state's merged values land on the
 * references j + 2 - AC_W .. j + 1. It also finds a match starting at the
 * final '.', which pyphen's loop skips: that can only be the key "." and its
 * values land at references n + 1 and n + 2, never counted. */
static int hyphenate_count_ac(readability_ctx *c, const unsigned char *w, size_t len)
{
    size_t K = c->ncls, n = 0;
    uint8_t *refs = c->acrefs + AC_W;
    memset(refs, 0, (len < MAX_CORE ? len : MAX_CORE) + 3);
    const uint16_t *d = c->ac_delta;
    size_t s = d[c->dot_cls];
    ac_apply(c, s, refs + 2 - AC_W);
    for (size_t k = 0; k < len && n < MAX_CORE;) {
        int32_t cp = w[k];
        if (cp < 0x80) {
            k++;
        } else {
            int bad = 0;
            k += decode_cp(w, len, k, &cp, &bad);
        }
        s = d[s * K + class_of(c, cp)];
        n++;
        ac_apply(c, s, refs + n + 2 - AC_W);
    }
    s = d[s * K + c->dot_cls];
    ac_apply(c, s, refs + n + 3 - AC_W);
    int points = 0;
    for (size_t r = 3; r + 1 <= n; r++) points += refs[r] & 1;
    return points + 1;
}


/* Syllables of a lowercased UTF-8 word (its first MAX_CORE code points). The
 * automaton takes less time than a probe of a cache of a corpus's vocabulary
 * (several MiB, so a miss in the CPU caches), so only the reference matcher's
 * counts are cached. */
static int syllables_lower(readability_ctx *c, const char *w, size_t len)
{
    if (!c->hyph_ref) return hyphenate_count_ac(c, (const unsigned char *)w, len);
    uint64_t h = utf8_piece_hash(w, len);
    size_t mask = c->cache_cap - 1, i;
    for (i = h & mask; c->cache[i].hash; i = (i + 1) & mask)
        if (c->cache[i].hash == h) return c->cache[i].syllables;
    size_t n = 0;
    for (size_t k = 0; k < len && n < MAX_CORE;) {
        int bad = 0;
        k += decode_cp((const unsigned char *)w, len, k, &c->cps[n++], &bad);
    }
    int syl = hyphenate_count_ref(c, n);
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

int readability_syllables(readability_ctx *c, const char *word, size_t len)
{
    unsigned char buf[4 * MAX_CORE + 8];
    size_t b = 0, ncp = 0;
    int bad = 0;
    for (size_t i = 0; i < len && ncp < MAX_CORE;) {
        int32_t cp;
        i += decode_cp((const unsigned char *)word, len, i, &cp, &bad);
        b += encode_cp(lower_cp(cp), buf + b);
        ncp++;
    }
    return syllables_lower(c, (const char *)buf, b);
}

/* ---------- familiar words ---------- */

/* textstat's Dale-Chall test on a word's core (lowercased letters, digits,
 * '_' and ASCII apostrophes): apostrophes are kept only before a contraction
 * ending (t, s, d, ve, ll, re) that ends the word, and the result must be on
 * the list as it stands (no inflections; numbers are not on it). */
static int familiar_core(const readability_ctx *c, const unsigned char *core, size_t n)
{
    static const char *const sufs[] = {"t", "s", "d", "ve", "ll", "re"};
    char w[64];
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = core[i];
        if (ch >= 0x80) return 0;   /* the list is ASCII */
        if (ch == '\'') {
            const unsigned char *r = core + i + 1;
            size_t rn = n - i - 1, keep = 0;
            for (size_t k = 0; k < 6 && !keep; k++) {
                size_t sl = strlen(sufs[k]);
                keep = rn >= sl && !memcmp(r, sufs[k], sl) && (rn == sl || r[sl] == '\'');
            }
            if (!keep) continue;
        }
        if (m >= sizeof w) return 0;
        w[m++] = (char)ch;
    }
    return m && set_has(&c->familiar, w, m);
}

/* ---------- sentences ---------- */

static int is_terminal(int32_t c)
{
    return c == '!' || c == '?' || c == 0xFF01 || c == 0xFF1F || c == 0x203C ||
           c == 0x2047 || c == 0x2048 || c == 0x2049 || c == 0x3002 || c == 0xFF61;
}

/* Abbreviations that do not end a sentence, whatever follows. */
static const char *const abbrev_never[] = {
    "mr", "mrs", "ms", "dr", "prof", "rev", "gen", "sen", "rep", "gov", "st", "mt", "capt",
    "lt", "col", "sgt", "vs", "cf", "fig", "approx", "dept", "e.g", "i.e", NULL};
/* Abbreviations that end a sentence only when the next word is capitalised. */
static const char *const abbrev_maybe[] = {
    "etc", "inc", "ltd", "co", "corp", "bros", "jr", "sr", "al", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "esq", "llc", NULL};

static int in_list(const char *const *list, const char *w, size_t n)
{
    if (n < 2 || n > 6) return 0;   /* the lists' words have 2 to 6 bytes */
    for (; *list; list++)
        if ((*list)[0] == w[0] && strlen(*list) == n && !memcmp(*list, w, n)) return 1;
    return 0;
}

/* Sentences follow textstat 0.7.11 (re.findall(r"\b[^.!?]+[.!?]*") and its
 * rule that segments of 1-2 words are no sentences), plus the exceptions the
 * issue asks for: decimals, abbreviations, initials and dotted acronyms,
 * and ellipses before a lowercase word. A run of terminal marks ends the open
 * segment; its words are the pieces of whitespace tokens, split at breaks,
 * that hold a letter or digit. */
enum { RUN_BREAK, RUN_NO, RUN_IF_NEXT_CAPITAL };

/* 0: not a letter/digit; 1: capital letter or digit; 2: other letter/digit */
static int alnum_class(int32_t c)
{
    if (c < 0x80) {
        if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
        return (c >= 'a' && c <= 'z') ? 2 : 0;
    }
    int k = cat_of(c);
    if (k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LT) return 1;
    return is_letter_cat(k) || is_number_cat(k) ? 2 : 0;
}

typedef struct sent_state {
    uint64_t seg_words;   /* words in the open segment */
    int pending;          /* a run waits for the next letter/digit (capital: break) */
    int piece_word;       /* the token's current piece has a letter/digit */
    char stem[16];        /* the piece after its opening punctuation, ASCII lowercase */
    size_t stem_len;
    size_t part_len;      /* code points since the stem's last kept '.' */
    int part_upper1;      /* ... the first of them is a capital letter */
    int in_run, run_bang, run_dots, run_ellipsis;
    int32_t before_run;
} sent_state;

static void sent_break(sent_state *st, uint64_t *sentences)
{
    st->seg_words += (uint64_t)st->piece_word;
    st->piece_word = 0;
    if (st->seg_words >= 3) (*sentences)++;
    st->seg_words = 0;
    st->stem_len = st->part_len = 0;
    st->part_upper1 = 0;
    st->pending = 0;
}

/* The open run ends; next: the code point right after it in the token
 * (-1 at the token's end). */
static int run_kind(const sent_state *st, int32_t next)
{
    if (st->run_bang) return RUN_BREAK;
    if (st->run_ellipsis || st->run_dots >= 2) return RUN_IF_NEXT_CAPITAL;
    if (st->before_run >= '0' && st->before_run <= '9' && next >= '0' && next <= '9')
        return RUN_NO;                                       /* decimal "3.14" */
    if (!st->stem_len) return RUN_BREAK;
    /* an initial "J." or the last letter of "U.S."; "A." and "I." more often
     * end a sentence ("under Subsection A.", "so did I.") */
    if (st->part_len == 1 && st->part_upper1 &&
        !(st->stem_len == 1 && (st->stem[0] == 'a' || st->stem[0] == 'i')))
        return RUN_NO;
    /* the first dot of "e.g." and "i.e." */
    if (st->stem_len == 1 && (st->stem[0] == 'e' || st->stem[0] == 'i') && next >= 0 &&
        alnum_class(next))
        return RUN_NO;
    if (st->stem_len < sizeof st->stem) {
        if (in_list(abbrev_never, st->stem, st->stem_len)) return RUN_NO;
        if (in_list(abbrev_maybe, st->stem, st->stem_len)) return RUN_IF_NEXT_CAPITAL;
    }
    return RUN_BREAK;
}

static void run_end(sent_state *st, int32_t next, uint64_t *sentences)
{
    int k = run_kind(st, next);
    st->in_run = 0;
    if (k == RUN_BREAK) {
        sent_break(st, sentences);
    } else if (k == RUN_NO) {
        if (st->stem_len < sizeof st->stem) st->stem[st->stem_len++] = '.';
        st->part_len = 0;
    } else {
        st->pending = 1;
    }
}

/* One code point of a token. */
static void sent_cp(sent_state *st, int32_t cp, uint64_t *sentences)
{
    int dot = cp == '.', ell = cp == 0x2026,
        bang = cp < 0x80 ? cp == '?' || cp == '!' : is_terminal(cp);
    if (dot || ell || bang) {
        if (!st->in_run) {
            st->in_run = 1;
            st->run_bang = st->run_dots = st->run_ellipsis = 0;
        }
        st->run_bang |= bang;
        st->run_dots += dot;
        st->run_ellipsis |= ell;
        return;
    }
    if (st->in_run) run_end(st, cp, sentences);
    int ac = alnum_class(cp);
    if (ac && st->pending) {
        if (ac == 1) sent_break(st, sentences);
        st->pending = 0;
    }
    if (ac) st->piece_word = 1;
    if (ac || st->stem_len) {
        if (!st->part_len) st->part_upper1 = ac == 1 && !(cp >= '0' && cp <= '9');
        st->part_len++;
        if (st->stem_len < sizeof st->stem)
            st->stem[st->stem_len++] = (char)(cp < 0x80 ? lower_cp(cp) : '?');
        else
            st->stem_len = sizeof st->stem;   /* too long for any list */
    }
    st->before_run = cp;
}

static void sent_token_start(sent_state *st)
{
    st->piece_word = 0;
    st->stem_len = st->part_len = 0;
    st->part_upper1 = 0;
    st->in_run = 0;
    st->before_run = -1;
}

static void sent_token_end(sent_state *st, uint64_t *sentences)
{
    if (st->in_run) run_end(st, -1, sentences);
    st->seg_words += (uint64_t)st->piece_word;
    st->piece_word = 0;
}

/* ---------- counting ---------- */

typedef struct token_scan {
    unsigned char core[4 * MAX_CORE + 8];   /* lowercased letters/digits/_/' */
    size_t core_len, core_cps;
    uint64_t letters;
} token_scan;



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
    size_t i = 0;
    sent_state st;
    memset(&st, 0, sizeof st);
    if (!text || (!c->scan && !(c->scan = malloc(sizeof *c->scan)))) return;
    token_scan *t = c->scan;
    /* the cache slot of the token 16 ahead is prefetched */
    const ws_span *tv = sp->v;
    size_t ntv = sp->n;
    for (size_t ti = 0; ti < ntv; ti++) {
        if (ti + 16 < ntv) __builtin_prefetch(&c->toks[tv[ti + 16].hash & (TOK_SLOTS - TOK_WAYS)]);
        size_t tend = tv[ti].end;
        uint64_t th = tv[ti].hash;
        i = tv[ti].off;
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
        uint64_t letters;
        int syl = 1, difficult = 0;
        if (hit && !(te->flags & TE_TERMINAL)) {
            /* no terminal mark: only its first letter/digit matters to sentences */
            int fc = te->flags & TE_FIRST_MASK;
            if (fc && st.pending) {
                if (fc == TE_FIRST_CAPITAL) sent_break(&st, &out->sentences);
                st.pending = 0;
            }
            letters = te->letters;
            st.seg_words += letters > 0;
            syl = te->syllables;
            difficult = te->difficult;
            i = tend;
        } else {
            t->core_len = t->core_cps = 0;
            t->letters = 0;
            int any_bad = 0, term = 0, first = 0;
            sent_token_start(&st);
            while (i < tend) {
                int32_t cp;
                int bad = 0;
                size_t k = decode_cp(s, len, i, &cp, &bad);
                if (bad) out->invalid_utf8++, any_bad = 1;
                i += k;
                sent_cp(&st, cp, &out->sentences);
                if (cp < 0x80 ? (cp == '.' || cp == '!' || cp == '?')
                              : (cp == 0x2026 || is_terminal(cp)))
                    term = 1;
                if (hit) continue;
                int letter, number;
                if (cp < 0x80) {   /* ASCII inline: most code points of a word */
                    letter = (cp | 32) >= 'a' && (cp | 32) <= 'z';
                    number = cp >= '0' && cp <= '9';
                } else {
                    int k2 = cat_of(cp);
                    letter = is_letter_cat(k2);
                    number = is_number_cat(k2);
                }
                if (letter || number) {
                    t->letters++;
                    if (!first) first = alnum_class(cp) == 1 ? TE_FIRST_CAPITAL : TE_FIRST_OTHER;
                }
                if ((letter || number || cp == '_' || cp == '\'') && t->core_cps < MAX_CORE) {
                    if (cp < 0x80)
                        t->core[t->core_len++] = (unsigned char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
                    else
                        t->core_len += encode_cp(lower_cp(cp), t->core + t->core_len);
                    t->core_cps++;
                }
            }
            sent_token_end(&st, &out->sentences);
            if (hit) {
                letters = te->letters;
                syl = te->syllables;
                difficult = te->difficult;
            } else {
                letters = t->letters;
                if (t->letters) {
                    syl = t->core_len ? syllables_lower(c, (const char *)t->core, t->core_len) : 1;
                    difficult = !familiar_core(c, t->core, t->core_len);
                }
                if (store && !any_bad && letters <= 0xFFFF) {
                    te->hash = th;
                    te->letters = (uint16_t)letters;
                    te->syllables = (int16_t)(syl < 32767 ? syl : 32767);
                    te->difficult = (uint8_t)difficult;
                    te->flags = (uint8_t)(first | (term ? TE_TERMINAL : 0));
                    te->uses = 1;
                }
            }
        }
        if (letters) {
            out->words++;
            out->letters += letters;
            out->syllables += (uint64_t)syl;
            if (syl >= 3) out->polysyllables++;
            out->difficult_words += (uint64_t)difficult;
        }
    }
    if (st.in_run) run_end(&st, -1, &out->sentences);
    sent_break(&st, &out->sentences);
    if (out->words && !out->sentences) out->sentences = 1;
}

void readability_set_token_cache(readability_ctx *c, int on) { c->no_token_cache = !on; }

int readability_set_hyphen_automaton(readability_ctx *c, int on)
{
    if (on && !c->ac_delta) return -1;   /* the patterns did not fit it */
    blalm_err e;
    if (!on && !c->prefix && build_prefixes(c, &e) < 0) return -1;
    c->hyph_ref = !on;
    /* cached counts came from the other matcher */
    cache_clear(c);
    memset(c->toks, 0, sizeof c->toks);
    return 0;
}

void readability_scores_of(const readability_counts *k, readability_scores *o)
{
    memset(o, 0, sizeof *o);
    if (!k->words) return;  /* documented: no words -> every score 0 */
    double W = (double)k->words, S = (double)(k->sentences ? k->sentences : 1);
    double Y = (double)k->syllables, L = (double)k->letters, P = (double)k->polysyllables;
    double D = (double)k->difficult_words;
    /* operation order as in the npm packages, so results agree to the last bits */
    o->flesch_reading_ease = 206.835 - 1.015 * (W / S) - 84.6 * (Y / W);
    o->flesch_kincaid_grade = 0.39 * (W / S) + 11.8 * (Y / W) - 15.59;
    o->automated_readability_index = 4.71 * (L / W) + 0.5 * (W / S) - 21.43;
    o->coleman_liau_index = 0.0588 * ((L / W) * 100) - 0.296 * ((S / W) * 100) - 15.8;
    o->smog_index = 3.1291 + 1.043 * sqrt(P * (30 / S));
    o->gunning_fog = 0.4 * (W / S + 100 * (P / W));
    double pd = D / W;
    o->dale_chall = 0.1579 * pd * 100 + (0.0496 * W) / S;
    if (pd > 0.05) o->dale_chall += 3.6365;
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
