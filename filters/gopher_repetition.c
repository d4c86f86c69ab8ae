/* gopher_repetition.c - datatrove's GopherRepetitionFilter statistics and
 * verdict (gopher_repetition_filter.py): duplicate paragraphs and lines, the
 * top 2-4-gram and the duplicated 5-10-grams over spaCy words. */
#include "filters/quality_internal.h"

#include "lib/hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tables for more tokens than this are freed after the measure. */
#define REP_KEEP_MAX ((size_t)1 << 22)

/* ---------- growable key tables ---------- */

/* Open addressing from nonzero 64-bit keys to dense indexes 0, 1, 2, ... in
 * order of first insertion. The slots hold only index + 1 (0 = empty); the
 * keys sit in a dense array of entries by index, so that growing the slots needs no
 * second copy of the keys, and the table is sized by the distinct keys, not
 * by the positions looked up: on a huge document that is the difference
 * between a table per token and one per word type. Half full at most. */
typedef struct key_map {
    uint32_t *slot;
    size_t used, alloc;   /* slots in use (a power of two) and allocated */
    int shift;            /* 64 - log2(used) */
    struct map_entry *ent;   /* per index: the key and two numbers of the caller's */
    size_t n, cap;           /* indexes held and allocated */
} key_map;

/* One cache line holds four: a probe that hits reads its slot and its entry. */
typedef struct map_entry {
    uint64_t key;
    uint32_t a, b;   /* vocabulary: first token, occurrences; n-grams: count, start */
} map_entry;

/* Gopher repetition's scratch, one per quality_ctx, reused across documents. */
typedef struct rep_scratch {
    key_map vocab;     /* token strings (by utf8_piece_hash) -> ids; a: first token
                        * (to compare bytes), b: occurrences */
    uint32_t *id;      /* per token: its id */
    uint32_t *cls;     /* per position: the class of its repeated n-gram
                        * (chain_gram), then dup_gram_chars' bitsets */
    uint8_t *uniq;     /* per position: its n-gram occurs once */
    size_t pos_cap;
    key_map grams;     /* n-grams -> classes (chain_gram; a: count, b: first
                        * position), or a set (dup_gram_chars) */
    /* the reference path (tests): every n-gram's hash, a table per position */
    uint64_t *hs;
    size_t hs_cap;
    struct ngram_slot *rgrams;
    size_t rgrams_cap;
    /* dup_gram_chars: per token id its bytes' hash (joined_word_hashes);
     * B^k for the lengths below JOIN_POW */
    uint64_t *wh;
    size_t wh_cap;
    uint64_t *pw;
    /* dup_gram_chars: per position the hash of its joined n-gram, made the
     * (n+1)-gram's in place by the next n; per token its bytes' hash and
     * B^(its bytes) */
    uint64_t *jh;
    struct join_tok *jt_tok;
    size_t jh_cap;
    /* the reference path: two n-grams' joined texts */
    char *jt[2];
    size_t jt_cap[2];
} rep_scratch;

static size_t map_slot(const key_map *m, uint64_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> m->shift);
}

/* Sets m to `used` empty slots, keeping its allocation when it is enough. */
static void map_slots(key_map *m, size_t used)
{
    if (m->alloc < used) {
        free(m->slot);
        m->slot = quality_xrealloc(NULL, used * sizeof *m->slot);
        m->alloc = used;
    }
    m->used = used;
    m->shift = 64 - __builtin_ctzll((unsigned long long)used);
    memset(m->slot, 0, used * sizeof *m->slot);
}

/* Empties m, with slots for `expect` keys (at most 2^16: a huge document's
 * tables grow to what they hold). */
static void map_clear(key_map *m, size_t expect)
{
    size_t used = 1024;
    while (used < 2 * expect && used < ((size_t)1 << 17)) used <<= 1;
    map_slots(m, used);
    m->n = 0;
}

/* Room for one more key: doubles the slots when half full (placing every
 * key again from the dense array) and grows the dense array. */
static void map_room(key_map *m)
{
    if (m->n + 1 > m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1024;
        m->ent = quality_xrealloc(m->ent, m->cap * sizeof *m->ent);
    }
    if ((m->n + 1) * 2 <= m->used) return;
    map_slots(m, m->used * 2);
    size_t mask = m->used - 1;
    for (size_t i = 0; i < m->n; i++) {
        size_t j = map_slot(m, m->ent[i].key);
        while (m->slot[j]) j = (j + 1) & mask;
        m->slot[j] = (uint32_t)i + 1;
    }
}

/* The index of key (which differs from every other key by value), added as
 * the next index when absent (*added = 1). Call map_room first. */
static uint32_t map_add(key_map *m, uint64_t key, int *added)
{
    size_t j = map_slot(m, key), mask = m->used - 1;
    while (m->slot[j]) {
        uint32_t k = m->slot[j] - 1;
        if (m->ent[k].key == key) {
            *added = 0;
            return k;
        }
        j = (j + 1) & mask;
    }
    *added = 1;
    m->ent[m->n] = (map_entry){key, 0, 0};
    m->slot[j] = (uint32_t)m->n + 1;
    return (uint32_t)m->n++;
}

static rep_scratch *rep_of(quality_ctx *q)
{
    if (!q->rep) {
        q->rep = calloc(1, sizeof *q->rep);
        if (!q->rep) abort();   /* out of memory, as quality_xrealloc */
    }
    return q->rep;
}

void gopher_repetition_scratch_free(rep_scratch *r)
{
    if (!r) return;
    free(r->vocab.slot);
    free(r->vocab.ent);
    free(r->id);
    free(r->cls);
    free(r->uniq);
    free(r->grams.slot);
    free(r->grams.ent);
    free(r->hs);
    free(r->rgrams);
    free(r->wh);
    free(r->pw);
    free(r->jh);
    free(r->jt_tok);
    free(r->jt[0]);
    free(r->jt[1]);
    free(r);
}

/* ---------- token ids ---------- */

/* Interns token strings: equal strings get equal ids, in order of first
 * occurrence; r->id[i] is token i's id and r->vocab.ent[id].b counts its
 * occurrences. Strings are told apart by their bytes, the hash only places
 * them. */
static void assign_ids(quality_ctx *q, rep_scratch *r, const char *text)
{
    const token *t = q->w.toks;
    size_t W = q->w.ntoks;
    if (W > r->pos_cap) {
        free(r->id);
        free(r->cls);
        free(r->uniq);
        r->id = quality_xrealloc(NULL, W * sizeof *r->id);
        r->cls = quality_xrealloc(NULL, W * sizeof *r->cls);
        r->uniq = quality_xrealloc(NULL, W);
        r->pos_cap = W;
    }
    key_map *m = &r->vocab;
    /* a text has fewer word types than tokens: slots for W / 2 at first
     * (map_room doubles them when needed) */
    map_clear(m, W / 2);
    /* the splitter's hashes of the tokens (the reference path hashes them here) */
    const uint64_t *th = q->reference || !q->w.thash_ok ? NULL : q->w.thash;
    for (size_t i = 0; i < W; i++) {
        uint64_t h = th ? th[i] : utf8_piece_hash(text + t[i].off, t[i].len);
        map_room(m);
        size_t j = map_slot(m, h), mask = m->used - 1;
        uint32_t id;
        for (;;) {
            if (!m->slot[j]) {   /* new: the next id */
                id = (uint32_t)m->n++;
                m->ent[id] = (map_entry){h, (uint32_t)i, 1};
                m->slot[j] = id + 1;
                break;
            }
            uint32_t k = m->slot[j] - 1;
            map_entry *e = &m->ent[k];
            if (e->key == h) {
                const token *o = &t[e->a];
                if (o->len == t[i].len && !memcmp(text + o->off, text + t[i].off, t[i].len)) {
                    id = k;
                    e->b++;
                    break;
                }
            }
            j = (j + 1) & mask;
        }
        r->id[i] = id;
    }
}

/* ---------- n-grams ---------- */

typedef struct ngram_slot {
    uint64_t hash;   /* 0 = empty */
    uint32_t start, count;
} ngram_slot;

static uint64_t fmix64(uint64_t h)
{
    h = hash_fmix64(h);
    return h ? h : 1; /* 0 marks an empty slot */
}

/* n-grams are compared by a 64-bit hash of their token ids (a polynomial
 * rolling hash, then mixed): a false match needs a 2^-64 collision. */
#define GRAM_B 0x100000001b3ULL

/* code points of the n-gram at i, with the n-1 joining spaces or without */
static uint64_t gram_chars(const token *t, size_t i, int n, int spaces)
{
    uint64_t c = spaces ? (uint64_t)(n - 1) : 0;
    for (int k = 0; k < n; k++) c += t[i + k].ncp;
    return c;
}

/* Rolling hashes of every n-gram: out[i] for the n-gram starting at i. */
static void gram_hashes(const uint32_t *id, size_t W, int n, uint64_t *out)
{
    size_t G = W - (size_t)n + 1;
    uint64_t h = 0, top = 1;
    for (int k = 0; k < n - 1; k++) top *= GRAM_B;
    for (int k = 0; k < n; k++) h = h * GRAM_B + id[k] + 1;
    for (size_t i = 0; i < G; i++) {
        out[i] = fmix64(h ^ (uint64_t)n);
        if (i + 1 < G) h = (h - (id[i] + 1) * top) * GRAM_B + id[i + (size_t)n] + 1;
    }
}

/* The reference path (tests): datatrove find_top_duplicate over every
 * position, one table slot per position. The most frequent n-gram (first
 * seen wins a tie, as Counter.most_common does), its " "-joined length times
 * its count. */
static uint64_t top_gram_chars(quality_ctx *q, rep_scratch *r, int n)
{
    size_t W = q->w.ntoks;
    if (W < (size_t)n) return 0;
    size_t G = W - (size_t)n + 1;
    gram_hashes(r->id, W, n, r->hs);
    size_t cap = 1024;
    while (cap < G * 2) cap <<= 1;
    if (cap > r->rgrams_cap) {
        r->rgrams = quality_xrealloc(r->rgrams, cap * sizeof *r->rgrams);
        r->rgrams_cap = cap;
    }
    memset(r->rgrams, 0, cap * sizeof *r->rgrams);
    ngram_slot *best = NULL;
    for (size_t i = 0; i < G; i++) {
        uint64_t h = r->hs[i];
        size_t j = h & (cap - 1);
        while (r->rgrams[j].hash && r->rgrams[j].hash != h) j = (j + 1) & (cap - 1);
        ngram_slot *s = &r->rgrams[j];
        if (!s->hash) {
            s->hash = h;
            s->start = (uint32_t)i;
        }
        s->count++;
        if (!best || s->count > best->count || (s->count == best->count && s->start < best->start))
            best = s;
    }
    return gram_chars(q->w.toks, best->start, n, 1) * best->count;
}

/* Fast path for the counts (the reference counts every position with
 * top_gram_chars). An n-gram that contains an (n-1)-gram occurring once in
 * the document occurs once itself, and every occurrence of a repeated n-gram
 * has repeated (n-1)-grams at i and i+1. So for each n only those positions
 * are counted; all others are n-grams of count 1. A counted n-gram is named
 * exactly, without hashing its n tokens: by the class of its (n-1)-gram
 * (for n = 2 the token id) and its last token, and its own class (an index
 * in order of first occurrence) becomes cls[i] for n+1.
 * r->uniq holds "occurs once" for the (n-1)-grams on entry (W-n+2 entries)
 * and for the n-grams on return (G = W-n+1 entries); a counted position is
 * marked 2 until its n-gram's count is known. Returns the top n-gram's
 * characters times its count (find_top_duplicate: the most frequent, the
 * first seen among equals), and the number of positions that repeat in *rest. */
static uint64_t chain_gram(quality_ctx *q, rep_scratch *r, int n, size_t *rest)
{
    size_t W = q->w.ntoks, G = W - (size_t)n + 1;
    uint8_t *uniq = r->uniq;
    uint32_t *cls = r->cls;
    const uint32_t *id = r->id;
    if (n == 2) memcpy(cls, id, W * sizeof *cls);
    key_map *m = &r->grams;
    /* the table is sized by the positions counted, not by G (clearing a
     * table of 2G slots for each n cost more than the counting) */
    size_t expect = 0, i0 = 0;
    for (; i0 + 9 <= G; i0 += 8) {   /* eight at a time: uniq holds 0 or 1 here */
        uint64_t a, b;
        memcpy(&a, uniq + i0, 8);
        memcpy(&b, uniq + i0 + 1, 8);
        /* bytes of 0 or 1: their sum in the top byte (no popcount instruction
         * in the baseline x86-64 target) */
        expect += 8 - (size_t)((((a | b) & 0x0101010101010101ULL) * 0x0101010101010101ULL) >> 56);
    }
    for (; i0 < G; i0++) expect += !(uniq[i0] | uniq[i0 + 1]);
    map_clear(m, expect);
    size_t nc = 0;
    uint32_t best = UINT32_MAX;
    for (size_t i = 0; i < G; i++) {
        uint64_t a, b;
        if (i + 9 <= G && (memcpy(&a, uniq + i, 8), memcpy(&b, uniq + i + 1, 8),
                           ((a | b) & 0x0101010101010101ULL) == 0x0101010101010101ULL)) {
            memset(uniq + i, 1, 8);   /* eight positions, each next to a unique (n-1)-gram */
            i += 7;
            continue;
        }
        if (uniq[i] | uniq[i + 1]) {
            uniq[i] = 1;
            continue;
        }
        /* cls[i] is read here for the last time: it becomes the n-gram's class
         * (bit 63 keeps every key nonzero; classes and ids are below 2^32) */
        uint64_t key = (uint64_t)cls[i] << 32 | id[i + (size_t)n - 1] | 1ULL << 63;
        int added;
        map_room(m);
        uint32_t k = map_add(m, key, &added);
        map_entry *e = &m->ent[k];
        if (added) e->b = (uint32_t)i;
        e->a++;
        cls[i] = k;
        uniq[i] = 2;
        nc++;
        if (best == UINT32_MAX || e->a > m->ent[best].a ||
            (e->a == m->ent[best].a && e->b < m->ent[best].b))
            best = k;
    }
    *rest = 0;
    if (!nc) return gram_chars(q->w.toks, 0, n, 1);   /* all unique: the first wins */
    for (size_t i = 0; i < G; i++) {
        uint64_t w8;
        if (i + 8 <= G && (memcpy(&w8, uniq + i, 8), w8 == 0x0101010101010101ULL)) {
            i += 7;
            continue;
        }
        if (uniq[i] != 2) continue;
        if (m->ent[cls[i]].a > 1) {
            uniq[i] = 0;
            (*rest)++;
        } else {
            uniq[i] = 1;
        }
    }
    if (m->ent[best].a == 1) return gram_chars(q->w.toks, 0, n, 1);
    return gram_chars(q->w.toks, m->ent[best].b, n, 1) * m->ent[best].a;
}

/* ---------- duplicated n-grams ---------- */

/* datatrove's find_all_duplicate compares "".join(words[i:i+n]), the words
 * joined without spaces: n-grams of other tokens repeat when their joined
 * texts are the same ("aa b c d e" and "a ab c d e" are both "aabcde").
 *
 * The fast path hashes each n-gram's joined text as a polynomial over its
 * bytes, sum of (c_k + 1) * B^(L-1-k) mod 2^64, which does not depend on
 * where the tokens split it: the (n+1)-gram's at i is the n-gram's times
 * B^(the next token's bytes) plus that token's hash, so a document's hashes
 * are kept per position and each n appends one token to the last n's
 * (joined_4_grams, join_hashes); a huge document's roll from one position to
 * the next in two steps (the last token in, the first out), a chunk of
 * positions at a time, for each pass. A first pass over every position
 * sets the hash's bit (join_bit, one of M) in bitset A, or in B when it is set
 * in A already; an n-gram whose bit is not in B occurs once in the document
 * (every other n-gram's bit differs), so it is never repeated
 * and the walk steps over it without remembering it, as datatrove's walk
 * remembers it but never meets it again. The bitsets take r->cls (32 bits
 * per token), free once the top n-grams are counted. The other positions are
 * remembered in r->grams under their hash, and an n-gram is found there only
 * when its joined bytes equal those of the one remembered: a hash collision
 * (mod 2^64 some texts are made to collide) can cost time, never change a
 * value. */
#define JOIN_B UINT64_C(0x9E3779B97F4A7C15)   /* odd */
#define JOIN_POW 4096
#define JOIN_AHEAD 16
#define JOIN_CACHED ((uint64_t)1 << 21)   /* bitset cells (512 KB) */

/* B^k mod 2^64 */
static inline uint64_t join_pow(const rep_scratch *r, uint64_t k)
{
    if (k < JOIN_POW) return r->pw[k];
    uint64_t p = 1, b = JOIN_B;
    for (; k; k >>= 1, b *= b)
        if (k & 1) p *= b;
    return p;
}

/* r->pw, and per token id the hash of its bytes in r->wh */
static void joined_word_hashes(quality_ctx *q, rep_scratch *r, const char *text)
{
    if (!r->pw) {
        r->pw = quality_xrealloc(NULL, JOIN_POW * sizeof *r->pw);
        r->pw[0] = 1;
        for (size_t k = 1; k < JOIN_POW; k++) r->pw[k] = r->pw[k - 1] * JOIN_B;
    }
    size_t V = r->vocab.n;
    if (V > r->wh_cap) {
        free(r->wh);
        r->wh = quality_xrealloc(NULL, V * sizeof *r->wh);
        r->wh_cap = V;
    }
    for (size_t v = 0; v < V; v++) {
        const token *o = &q->w.toks[r->vocab.ent[v].a];
        const unsigned char *c = (const unsigned char *)text + o->off;
        uint64_t h = 0;
        for (uint32_t k = 0; k < o->len; k++) h = h * JOIN_B + c[k] + 1u;
        r->wh[v] = h;
    }
}

/* The rolling hash of the n-gram at i (its joined text: h, of len bytes). */
typedef struct join_roll {
    size_t i;
    uint64_t h, len;
} join_roll;

static void roll_start(const quality_ctx *q, const rep_scratch *r, int n, join_roll *s)
{
    s->i = 0;
    s->h = 0;
    s->len = 0;
    for (int k = 0; k < n; k++) {
        uint32_t l = q->w.toks[k].len;
        s->h = s->h * join_pow(r, l) + r->wh[r->id[k]];
        s->len += l;
    }
}

/* to the n-gram at i + 1 (which exists): the first token out (its hash
 * times B^(the bytes after it)), the next one in (bytes l1) */
static inline void roll_next(const quality_ctx *q, const rep_scratch *r, int n, join_roll *s)
{
    const token *t = q->w.toks;
    size_t i = s->i, j = i + (size_t)n;
    uint64_t l1 = t[j].len, len = s->len - t[i].len + l1;
    /* (h - out B^(len - l1)) B^l1 + in, with one product on h's chain */
    s->h = s->h * join_pow(r, l1) + (r->wh[r->id[j]] - r->wh[r->id[i]] * join_pow(r, len));
    s->len = len;
    s->i = i + 1;
}

/* A token's part in a joined text's hash: h = h * pow + wh appends it. */
typedef struct join_tok {
    uint64_t wh, pow;   /* its bytes' hash, B^(its bytes) */
} join_tok;

/* Documents up to this many tokens (eight times the longest FineWeb
 * document of ../shared/data) keep every position's hash (r->jh, and
 * r->jt_tok: 24 bytes a token, 1.5 MB at most); a larger one rolls them
 * JOIN_CHUNK positions at a time into r->jh, twice per n, in the memory it
 * had, so a long document's peak does not grow by 24 bytes a word
 * (tag_memory.sh's 5 MB document: 18.1 bytes per byte at 2^20) */
#define JOIN_KEEP_MAX ((size_t)1 << 16)
#define JOIN_CHUNK ((size_t)1 << 14)

/* positions per chunk of hashes: every position when the document keeps
 * them (SIZE_MAX) */
static size_t join_chunk(const quality_ctx *q)
{
    if (q->join_chunk) return q->join_chunk;
    return q->w.ntoks > JOIN_KEEP_MAX ? JOIN_CHUNK : SIZE_MAX;
}

/* r->jt_tok for every token, and r->jh[i] = the hash of the joined 4-gram
 * at i, for every 4-gram: each longer n appends its last token (in
 * dup_gram_chars), so the n = 5 to 10 share the work and no position's hash
 * is rolled twice. */
static void joined_4_grams(quality_ctx *q, rep_scratch *r)
{
    const token *t = q->w.toks;
    size_t W = q->w.ntoks;
    if (join_chunk(q) != SIZE_MAX) {   /* a huge document: rolled in chunks of jh */
        if (join_chunk(q) > r->jh_cap) {
            free(r->jh);
            free(r->jt_tok);
            r->jt_tok = NULL;
            r->jh = quality_xrealloc(NULL, join_chunk(q) * sizeof *r->jh);
            r->jh_cap = join_chunk(q);
        }
        return;
    }
    if (W > r->jh_cap || !r->jt_tok) {
        free(r->jh);
        free(r->jt_tok);
        r->jh = quality_xrealloc(NULL, W * sizeof *r->jh);
        r->jt_tok = quality_xrealloc(NULL, W * sizeof *r->jt_tok);
        r->jh_cap = W;
    }
    uint64_t *jh = r->jh;
    join_tok *jt = r->jt_tok;
    for (size_t i = 0; i < W; i++) {
        jt[i] = (join_tok){r->wh[r->id[i]], join_pow(r, t[i].len)};
        jh[i] = jt[i].wh;
    }
    for (size_t k = 1; k < 4; k++)
        for (size_t i = 0; i + k < W; i++) jh[i] = jh[i] * jt[i + k].pow + jt[i + k].wh;
}

/* A hash's bit among 2^(64 - shift): its top bits once multiplied (which
 * every byte reaches). */
static inline uint64_t join_bit(uint64_t h, int shift)
{
    return (h * UINT64_C(0xff51afd7ed558ccd)) >> shift;
}

/* Whether the n-grams at a and b join to the same bytes. */
static int joined_equal(const quality_ctx *q, const rep_scratch *r, const char *text, size_t a,
                        size_t b, int n)
{
    int same = 1;
    for (int k = 0; k < n && same; k++) same = r->id[a + (size_t)k] == r->id[b + (size_t)k];
    if (same) return 1;
    const token *t = q->w.toks;
    size_t ea = a + (size_t)n, eb = b + (size_t)n, oa = 0, ob = 0;
    while (a < ea && b < eb) {
        size_t ra = t[a].len - oa, rb = t[b].len - ob, m = ra < rb ? ra : rb;
        if (memcmp(text + t[a].off + oa, text + t[b].off + ob, m)) return 0;
        oa += m;
        ob += m;
        if (oa == t[a].len) a++, oa = 0;
        if (ob == t[b].len) b++, ob = 0;
    }
    /* one ran out: equal only when both did (tokens are never empty) */
    return a == ea && b == eb;
}

/* The reference path (tests): the n-gram at i joined, in r->jt[which]. */
static const char *joined_text(const quality_ctx *q, rep_scratch *r, const char *text, size_t i,
                               int n, int which, size_t *len)
{
    const token *t = q->w.toks;
    size_t L = 0;
    for (int k = 0; k < n; k++) L += t[i + (size_t)k].len;
    if (L + 1 > r->jt_cap[which]) {
        r->jt_cap[which] = L + 1;
        r->jt[which] = quality_xrealloc(r->jt[which], L + 1);
    }
    char *o = r->jt[which];
    for (int k = 0; k < n; k++) {
        memcpy(o, text + t[i + (size_t)k].off, t[i + (size_t)k].len);
        o += t[i + (size_t)k].len;
    }
    *len = L;
    return r->jt[which];
}

/* The reference path (tests): datatrove find_all_duplicate as written, a set
 * of the joined texts of the positions the walk stops at (compared by their
 * bytes; hashed by utf8_piece_hash). */
static uint64_t dup_gram_chars_ref(quality_ctx *q, rep_scratch *r, int n, const char *text)
{
    size_t G = q->w.ntoks - (size_t)n + 1;
    key_map *m = &r->grams;
    map_clear(m, G);
    uint64_t rep = 0;
    size_t i = 0;
    while (i < G) {
        size_t L, L2;
        const char *s = joined_text(q, r, text, i, n, 0, &L);
        uint64_t h = fmix64(utf8_piece_hash(s, L));
        map_room(m);
        size_t j = map_slot(m, h), mask = m->used - 1;
        int found = 0;
        while (m->slot[j]) {
            const map_entry *e = &m->ent[m->slot[j] - 1];
            if (e->key == h) {
                const char *o = joined_text(q, r, text, e->a, n, 1, &L2);
                if (L2 == L && !memcmp(o, s, L)) {
                    found = 1;
                    break;
                }
            }
            j = (j + 1) & mask;
        }
        if (found) {
            rep += gram_chars(q->w.toks, i, n, 0);
            i += (size_t)n;
        } else {
            m->ent[m->n] = (map_entry){h, (uint32_t)i, 0};
            m->slot[j] = (uint32_t)m->n++ + 1;
            i++;
        }
    }
    return rep;
}

/* The hashes of the n-grams at positions [c0, c1), at returned[0..c1 - c0):
 * r->jh itself where every position's is kept (made the n-grams' from the
 * (n-1)-grams' when `level`), else rolled by s (at or before c0) into r->jh
 * (c1 - c0 at most its chunk). */
static const uint64_t *join_hashes(const quality_ctx *q, rep_scratch *r, int n, join_roll *s,
                                   size_t c0, size_t c1, int level)
{
    if (join_chunk(q) == SIZE_MAX) {
        if (level) {
            uint64_t *jh = r->jh;
            const join_tok *last = r->jt_tok + n - 1;   /* at i: the n-gram's last token */
            for (size_t i = c0; i < c1; i++) jh[i] = jh[i] * last[i].pow + last[i].wh;
        }
        return r->jh + c0;
    }
    while (s->i < c0) roll_next(q, r, n, s);
    uint64_t *o = r->jh;
    for (size_t i = c0;; i++) {
        o[i - c0] = s->h;
        if (i + 1 == c1) break;
        roll_next(q, r, n, s);
    }
    return o;
}

/* datatrove find_all_duplicate: walk; an n-gram whose joined text was seen
 * adds that text's length and jumps n words, a new one is remembered and
 * steps one word. */
static uint64_t dup_gram_chars(quality_ctx *q, rep_scratch *r, int n, const char *text)
{
    size_t W = q->w.ntoks;
    if (W < (size_t)n) return 0;
    if (q->reference) return dup_gram_chars_ref(q, r, n, text);
    size_t G = W - (size_t)n + 1;
    /* bitsets A and B of M bits each in cls (W 32-bit words: M is the
     * largest power of two up to 16 W, at least 8 W), interleaved: bit b of
     * A is bit 2 (b mod 16) of word b / 16, B's the next (one cache line) */
    int shift = 64 - 4;
    while (((uint64_t)1 << (64 - shift + 1)) <= (uint64_t)W * 16) shift--;
    uint64_t M = (uint64_t)1 << (64 - shift);
    uint32_t *bits = r->cls;
    memset(bits, 0, (size_t)(M / 16) * sizeof *bits);
    /* the hashes of positions [c0, c1) at h[0..c1 - c0): kept (every position's,
     * made the n-grams' by the first pass) or rolled a chunk at a time; their
     * bits JOIN_AHEAD positions ahead are prefetched, as a huge document's
     * bitsets are far larger than the caches (small ones sit in the caches:
     * no prefetching) */
    const size_t chunk = join_chunk(q), ahead = M > JOIN_CACHED ? JOIN_AHEAD : 0;
    const int keep = chunk == SIZE_MAX;
    join_roll s;
    if (!keep) roll_start(q, r, n, &s);
    size_t cand = 0;   /* bits set in B */
    for (size_t c0 = 0; c0 < G;) {
        size_t c1 = G - c0 <= chunk ? G : c0 + chunk;
        const uint64_t *h = join_hashes(q, r, n, &s, c0, c1, 1);
        for (size_t i = c0; i < c1; i++) {
            if (ahead && i + ahead < c1)
                __builtin_prefetch(&bits[join_bit(h[i + ahead - c0], shift) >> 4], 1);
            /* without branches: which bit is set is unpredictable */
            uint64_t b = join_bit(h[i - c0], shift);
            uint32_t *w = &bits[b >> 4], v = *w, sh = (uint32_t)(b & 15) * 2;
            uint32_t a = (v >> sh) & 1;   /* in A already */
            cand += a & ~(v >> (sh + 1));
            *w = v | 1u << sh | a << (sh + 1);
        }
        c0 = c1;
    }
    if (!cand) return 0;   /* every joined n-gram is unique: nothing repeats */
    key_map *m = &r->grams;
    map_clear(m, cand);
    uint64_t rep = 0;
    if (!keep) roll_start(q, r, n, &s);
    const uint64_t *h = r->jh;
    size_t c0 = 0, c1 = keep ? G : 0;
    for (size_t i = 0; i < G;) {
        if (i >= c1) {
            c0 = i;
            c1 = G - i <= chunk ? G : i + chunk;
            h = join_hashes(q, r, n, &s, c0, c1, 0);
        }
        if (ahead && i + ahead < c1) __builtin_prefetch(&bits[join_bit(h[i + ahead - c0], shift) >> 4]);
        /* step over the n-grams that occur once (new, never seen again) */
        uint64_t hi = h[i - c0], b = join_bit(hi, shift);
        if (!((bits[b >> 4] >> ((b & 15) * 2 + 1)) & 1)) {
            i++;
            continue;
        }
        map_room(m);
        size_t j = map_slot(m, hi), mask = m->used - 1;
        int found = 0;
        while (m->slot[j]) {
            const map_entry *e = &m->ent[m->slot[j] - 1];
            if (e->key == hi && joined_equal(q, r, text, e->a, i, n)) {
                found = 1;
                break;
            }
            j = (j + 1) & mask;
        }
        if (found) {
            rep += gram_chars(q->w.toks, i, n, 0);
            i += (size_t)n;
        } else {
            m->ent[m->n] = (map_entry){hi, (uint32_t)i, 0};
            m->slot[j] = (uint32_t)m->n++ + 1;
            i++;
        }
    }
    return rep;
}

void gopher_repetition_measure(quality_ctx *q, const char *text, size_t len,
                               gopher_repetition_stats *o)
{
    const quality_config *c = &q->cfg;
    memset(o, 0, sizeof *o);
    o->chars = quality_text_cps(q, text, len);
    double L = (double)o->chars;
    span_list sp = {q->spv, 0, q->spv_cap};
    /* paragraphs: re.split(r"\n{2,}", text.strip()) */
    size_t off = 0, n = len;
    quality_strip_span(text, &off, &n);
    {
        size_t st = off, i = off, e = off + n;
        while (i < e) {
            const char *nl = memchr(text + i, '\n', e - i);
            if (!nl) break;
            i = (size_t)(nl - text);
            if (i + 1 < e && text[i + 1] == '\n') {
                quality_span_push(&sp, st, i - st);
                while (i < e && text[i] == '\n') i++;
                st = i;
            } else {
                i++;
            }
        }
        quality_span_push(&sp, st, e - st);
    }
    uint64_t d, dc;
    quality_find_duplicates(q, text, sp.v, sp.n, &d, &dc);
    o->paragraphs = sp.n;
    o->dup_paragraphs = d;
    o->dup_para_frac = quality_ratio((double)d, (double)sp.n);
    o->dup_para_char_frac = quality_ratio((double)dc, L);
    /* lines: re.split("\n+", text) */
    sp.n = 0;
    {
        size_t st = 0, i = 0;
        while (i < len) {
            const char *nl = memchr(text + i, '\n', len - i);
            if (!nl) break;
            i = (size_t)(nl - text);
            quality_span_push(&sp, st, i - st);
            while (i < len && text[i] == '\n') i++;
            st = i;
        }
        quality_span_push(&sp, st, len - st);
    }
    quality_find_duplicates(q, text, sp.v, sp.n, &d, &dc);
    o->lines = sp.n;
    o->dup_lines = d;
    o->dup_line_frac = quality_ratio((double)d, (double)sp.n);
    o->dup_line_char_frac = quality_ratio((double)dc, L);
    q->spv = sp.v;
    q->spv_cap = sp.cap;

    words_split(&q->w, text, len);
    rep_scratch *rs = rep_of(q);
    assign_ids(q, rs, text);
    size_t W = q->w.ntoks;
    o->words = W;
    if (q->reference) {
        if (W + 1 > rs->hs_cap) {
            rs->hs_cap = W + 1;
            rs->hs = quality_xrealloc(rs->hs, rs->hs_cap * sizeof *rs->hs);
        }
        for (int k = 0; k < 3; k++)
            o->top_n_gram_char_frac[k] = quality_ratio((double)top_gram_chars(q, rs, k + 2), L);
    } else if (W >= 2) {
        /* 1-grams: tokens that occur once; then 2, 3, 4 */
        for (size_t i = 0; i < W; i++) rs->uniq[i] = rs->vocab.ent[rs->id[i]].b == 1;
        for (int nn = 2; nn <= 4 && (size_t)nn <= W; nn++) {
            size_t rest;
            uint64_t top = chain_gram(q, rs, nn, &rest);
            o->top_n_gram_char_frac[nn - 2] = quality_ratio((double)top, L);
        }
    }
    if (W >= 5) {
        if (!q->reference) {
            joined_word_hashes(q, rs, text);
            joined_4_grams(q, rs);
        }
        for (int k = 0; k < 6; k++)
            o->dup_n_gram_char_frac[k] =
                quality_ratio((double)dup_gram_chars(q, rs, k + 5, text), L);
    }

    static const char *const top_names[] = {"top_2_gram", "top_3_gram", "top_4_gram"};
    static const char *const dup_names[] = {"duplicated_5_n_grams", "duplicated_6_n_grams",
                                            "duplicated_7_n_grams", "duplicated_8_n_grams",
                                            "duplicated_9_n_grams", "duplicated_10_n_grams"};
    const char *r = NULL;
    if (quality_rule_on(c->dup_para_frac) && o->dup_para_frac > c->dup_para_frac) r = "dup_para_frac";
    else if (quality_rule_on(c->dup_para_char_frac) && o->dup_para_char_frac > c->dup_para_char_frac)
        r = "dup_para_char_frac";
    else if (quality_rule_on(c->dup_line_frac) && o->dup_line_frac > c->dup_line_frac) r = "dup_line_frac";
    else if (quality_rule_on(c->dup_line_char_frac) && o->dup_line_char_frac > c->dup_line_char_frac)
        r = "dup_line_char_frac";
    for (int k = 0; !r && k < 3; k++)
        if (c->top_n_gram_frac[k] >= 0 && o->words >= (uint64_t)(k + 2) &&
            o->top_n_gram_char_frac[k] > c->top_n_gram_frac[k])
            r = top_names[k];
    for (int k = 0; !r && k < 6; k++)
        if (c->dup_n_gram_frac[k] >= 0 && o->dup_n_gram_char_frac[k] > c->dup_n_gram_frac[k])
            r = dup_names[k];
    o->reason = r;
    /* a huge document's tables go back now: the measures after this one
     * (C4's, FineWeb's) would otherwise build theirs on top of them */
    if (W > REP_KEEP_MAX) {
        gopher_repetition_scratch_free(rs);
        q->rep = NULL;
    }
}

void gopher_repetition_json(const gopher_repetition_stats *s, sbuf *b)
{
    static const char *const top_keys[] = {"top_2_gram_char_frac", "top_3_gram_char_frac",
                                           "top_4_gram_char_frac"};
    static const char *const dup_keys[] = {"dup_5_gram_char_frac", "dup_6_gram_char_frac",
                                           "dup_7_gram_char_frac", "dup_8_gram_char_frac",
                                           "dup_9_gram_char_frac", "dup_10_gram_char_frac"};
    int f = 1;
    sb_addc(b, '{');
    quality_json_verdict(b, &f, "pass", "reason", s->reason);
    quality_json_num(b, &f, "dup_para_frac", s->dup_para_frac);
    quality_json_num(b, &f, "dup_para_char_frac", s->dup_para_char_frac);
    quality_json_num(b, &f, "dup_line_frac", s->dup_line_frac);
    quality_json_num(b, &f, "dup_line_char_frac", s->dup_line_char_frac);
    for (int i = 0; i < 3; i++) quality_json_num(b, &f, top_keys[i], s->top_n_gram_char_frac[i]);
    for (int i = 0; i < 6; i++) quality_json_num(b, &f, dup_keys[i], s->dup_n_gram_char_frac[i]);
    quality_json_uint(b, &f, "paragraphs", s->paragraphs);
    quality_json_uint(b, &f, "lines", s->lines);
    quality_json_uint(b, &f, "words", s->words);
    quality_json_uint(b, &f, "chars", s->chars);
    sb_addc(b, '}');
}
