/* sample.c - stratified random sample of candidates (see sample.h). */
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "scorer/sample.h"

typedef struct stratum {
    uint64_t key;          /* source hash and length bucket */
    uint64_t *h;           /* candidate hashes */
    size_t n, cap;
    uint64_t quota, cut;   /* chosen: the quota smallest hashes, i.e. h <= cut */
} stratum;

struct llm_sample {
    uint64_t wanted, seed, total, chosen;
    stratum *st;
    int n, cap, finished;
};

static int length_bucket(size_t len)
{
    int b = 8;
    while (b < 17 && ((size_t)1 << (b + 1)) <= len) b++;
    return b;
}

static uint64_t stratum_key(const char *source, size_t source_len, size_t text_len)
{
    return xxh64(source, source_len, 0x7374726174756dULL) * 32 + (uint64_t)length_bucket(text_len);
}

static uint64_t doc_hash(uint64_t seed, const char *rel, uint64_t row)
{
    return xxh64(rel, strlen(rel), seed ^ (row * 0x9e3779b97f4a7c15ULL));
}

llm_sample *sample_new(uint64_t wanted, uint64_t seed)
{
    llm_sample *s = calloc(1, sizeof *s);
    if (s) {
        s->wanted = wanted;
        s->seed = seed;
    }
    return s;
}

static stratum *find(const llm_sample *s, uint64_t key)
{
    for (int i = 0; i < s->n; i++)
        if (s->st[i].key == key) return &s->st[i];
    return NULL;
}

int sample_add(llm_sample *s, const char *source, size_t source_len, size_t text_len,
               const char *rel, uint64_t row, blalm_err *e)
{
    uint64_t key = stratum_key(source, source_len, text_len);
    stratum *t = find(s, key);
    if (!t) {
        if (s->n == s->cap) {
            int cap = s->cap ? 2 * s->cap : 16;
            stratum *n = realloc(s->st, (size_t)cap * sizeof *n);
            if (!n) return err_set(e, "out of memory");
            s->st = n;
            s->cap = cap;
        }
        t = &s->st[s->n++];
        memset(t, 0, sizeof *t);
        t->key = key;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        uint64_t *h = realloc(t->h, cap * sizeof *h);
        if (!h) return err_set(e, "out of memory");
        t->h = h;
        t->cap = cap;
    }
    t->h[t->n++] = doc_hash(s->seed, rel, row);
    s->total++;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int sample_finish(llm_sample *s, blalm_err *e)
{
    (void)e;
    uint64_t want = s->wanted < s->total ? s->wanted : s->total, given = 0;
    /* proportional shares, then the largest remainders */
    double *rem = calloc((size_t)(s->n ? s->n : 1), sizeof *rem);
    if (!rem) return err_set(e, "out of memory");
    for (int i = 0; i < s->n; i++) {
        double share = (double)want * (double)s->st[i].n / (double)s->total;
        s->st[i].quota = (uint64_t)share;
        rem[i] = share - (double)s->st[i].quota;
        given += s->st[i].quota;
    }
    while (given < want) {
        int best = -1;
        for (int i = 0; i < s->n; i++)
            if (s->st[i].quota < s->st[i].n && (best < 0 || rem[i] > rem[best])) best = i;
        if (best < 0) break;
        s->st[best].quota++;
        rem[best] = -1;
        given++;
    }
    free(rem);
    for (int i = 0; i < s->n; i++) {
        stratum *t = &s->st[i];
        qsort(t->h, t->n, sizeof *t->h, cmp_u64);
        t->cut = t->quota ? t->h[t->quota - 1] : 0;
        s->chosen += t->quota;
        free(t->h);   /* the cut is all that is needed from here on */
        t->h = NULL;
    }
    s->finished = 1;
    return 0;
}

int sample_has(const llm_sample *s, const char *source, size_t source_len, size_t text_len,
               const char *rel, uint64_t row)
{
    const stratum *t = find(s, stratum_key(source, source_len, text_len));
    return t && t->quota && doc_hash(s->seed, rel, row) <= t->cut;
}

static int cmp_stratum(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

uint64_t sample_fingerprint(const llm_sample *s)
{
    /* (key, quota, cut) per stratum, in key order (strata are made in the
     * order documents come, which a file added before others changes) */
    uint64_t *v = malloc((size_t)(s->n ? s->n : 1) * 3 * sizeof *v);
    if (!v) return 0;
    for (int i = 0; i < s->n; i++) {
        v[3 * i] = s->st[i].key;
        v[3 * i + 1] = s->st[i].quota;
        v[3 * i + 2] = s->st[i].cut;
    }
    qsort(v, (size_t)s->n, 3 * sizeof *v, cmp_stratum);
    uint64_t h = xxh64(v, (size_t)s->n * 3 * sizeof *v, s->seed);
    free(v);
    return h;
}

uint64_t sample_candidates(const llm_sample *s) { return s->total; }
uint64_t sample_chosen(const llm_sample *s) { return s->chosen; }
int sample_strata(const llm_sample *s) { return s->n; }

void sample_free(llm_sample *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) free(s->st[i].h);
    free(s->st);
    free(s);
}
