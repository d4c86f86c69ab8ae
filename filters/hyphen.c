/* hyphen.c - pyphen's hyphenation count; see hyphen.h. Moved out of
 * readability.c unchanged (issue 14): the same patterns, automaton and
 * reference matcher, so counts are byte for byte those of before. */
#include "filters/hyphen.h"
#include "lib/mem.h"
#include "lib/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAX_CORE HYPHEN_MAX_CP
#define AC_W 32   /* merged output vectors: values at back distances 0..31 */
#define AC_MAX_BYTES ((size_t)32 << 20)   /* larger automata: the reference matcher */

static size_t encode_cp(int32_t cp, unsigned char *out)
{
    return (size_t)utf8proc_encode_char(cp, out);
}

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

struct hyphen_dict {
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
    /* scratch for one hyphenation */
    int32_t cps[MAX_CORE + 2];
    unsigned char ubytes[4 * (MAX_CORE + 2)];
    size_t boff[MAX_CORE + 3];
    uint8_t refs[MAX_CORE + 4];
    uint8_t acrefs[AC_W + MAX_CORE + 4];   /* refs after AC_W bytes of slack */
};

/* ---------- pattern tables ---------- */

static pattern *pat_find(hyphen_dict *c, uint64_t h, const unsigned char *k, size_t n)
{
    size_t mask = c->pat_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        pattern *p = &c->pats[i];
        if (!p->key) return NULL;
        if (p->hash == h && p->key_len == n && !memcmp(p->key, k, n)) return p;
    }
}

static int pat_insert(hyphen_dict *c, const pattern *np)
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
        size_t k = utf8_decode_flag(s, n, i, &cp, &bad);
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

static int load_patterns(hyphen_dict *c, const char *path, blalm_err *e)
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

static void prefix_add(hyphen_dict *c, uint64_t h)
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

static int prefix_has(const hyphen_dict *c, uint64_t h)
{
    size_t mask = c->prefix_cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        if (c->prefix[i] == h) return 1;
        if (!c->prefix[i]) return 0;
    }
}

static int build_prefixes(hyphen_dict *c, blalm_err *e)
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
static uint16_t class_of(const hyphen_dict *c, int32_t cp)
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
        b += utf8_decode_flag((const unsigned char *)p->key, p->key_len, b, &out[n++], &bad);
    }
    return n;
}

/* Returns 0, 1 when the keys hold over 1023 distinct code points (the
 * reference matcher is used then), -1 out of memory. */
static int build_classes(hyphen_dict *c, blalm_err *e)
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
static int build_automaton(hyphen_dict *c, blalm_err *e)
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

/* ---------- counting ---------- */

/* Points of c->refs[0..n+2] (references of the pointed word): pyphen keeps
 * position r-1 for each odd reference r within 2 <= pos <= n-2; + 1. */
static int count_points(const hyphen_dict *c, size_t n)
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
static int hyphenate_count_ref(hyphen_dict *c, size_t n)
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
static inline void ac_apply(const hyphen_dict *c, size_t s, uint8_t *r)
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
static int hyphenate_count_ac(hyphen_dict *c, const unsigned char *w, size_t len)
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
            k += utf8_decode_flag(w, len, k, &cp, &bad);
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

/* ---------- the interface ---------- */

hyphen_dict *hyphen_load(const char *path, blalm_err *e)
{
    hyphen_dict *c = mem_big_calloc(sizeof *c);
    if (!c) {
        err_set(e, "out of memory");
        return NULL;
    }
    int rc = load_patterns(c, path, e);
    if (!rc) rc = build_classes(c, e);
    if (!rc) rc = build_automaton(c, e);
    /* the reference matcher's prefix table only when it is needed */
    if (rc == 1) {
        c->hyph_ref = 1;
        rc = 0;
    }
    if (!rc && c->hyph_ref) rc = build_prefixes(c, e);
    if (rc < 0) {
        hyphen_free(c);
        return NULL;
    }
    return c;
}

void hyphen_free(hyphen_dict *c)
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
    free(c);
}

int hyphen_count(hyphen_dict *c, const char *w, size_t len)
{
    if (!c->hyph_ref) return hyphenate_count_ac(c, (const unsigned char *)w, len);
    size_t n = 0;
    for (size_t k = 0; k < len && n < MAX_CORE;) {
        int bad = 0;
        k += utf8_decode_flag((const unsigned char *)w, len, k, &c->cps[n++], &bad);
    }
    return hyphenate_count_ref(c, n);
}

int hyphen_automaton_on(const hyphen_dict *c) { return !c->hyph_ref; }

int hyphen_set_automaton(hyphen_dict *c, int on)
{
    if (on && !c->ac_delta) return -1;   /* the patterns did not fit it */
    blalm_err e;
    if (!on && !c->prefix && build_prefixes(c, &e) < 0) return -1;
    c->hyph_ref = !on;
    return 0;
}
