/* distill_vec.c - pre-trained word vectors (GloVe, word2vec or fastText text
 * format) and a document's mean vector, for the embedding part of a
 * distilled scorer. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"
#include "scorer/distill_internal.h"

#define MAX_WORD 100   /* longer tokens are not looked up (and longer words not kept) */

void distill_vectors_free(distill_vectors *v)
{
    if (!v) return;
    free(v->blob);
    free(v->off);
    free(v->vec);
    free(v->slot);
    free(v);
}

uint32_t distill_vectors_dim(const distill_vectors *v) { return v->dim; }
uint32_t distill_vectors_count(const distill_vectors *v) { return v->n; }
uint32_t distill_vectors_repeated(const distill_vectors *v) { return v->repeated; }

/* A stored word's slot hash: what distill_token gives a token of the same
 * bytes (stored words are matched as they are: the loader lowercases them,
 * as tokens are; a model made before it may hold cased words, never matched). */
static uint64_t word_hash(const char *w, size_t l)
{
    uint64_t h = DISTILL_FNV_OFFSET;
    for (size_t i = 0; i < l; i++) h = (h ^ (unsigned char)w[i]) * DISTILL_FNV_PRIME;
    return hash_fmix64(h);
}

/* off[] and the hash table from blob (n NUL-terminated words); a repeated
 * word keeps its first vector. */
int distill_vectors_index(distill_vectors *v, blalm_err *e)
{
    free(v->off);
    free(v->slot);
    v->off = malloc((v->n ? v->n : 1) * sizeof *v->off);
    uint32_t cap = 16;
    while (cap < 2 * (uint64_t)v->n + 16) cap *= 2;
    v->slot = calloc(cap, sizeof *v->slot);
    v->mask = cap - 1;
    if (!v->off || !v->slot) return err_set(e, "out of memory (%u word vectors)", v->n);
    size_t p = 0;
    for (uint32_t i = 0; i < v->n; i++) {
        if (p >= v->blob_len) return err_set(e, "word vectors: %u words expected, the word list ends at %u", v->n, i);
        const char *w = v->blob + p;
        size_t l = strnlen(w, v->blob_len - p);
        if (l == v->blob_len - p) return err_set(e, "word vectors: word %u is not terminated", i);
        v->off[i] = (uint32_t)p;
        p += l + 1;
        for (uint32_t s = (uint32_t)word_hash(w, l) & v->mask;; s = (s + 1) & v->mask) {
            if (!v->slot[s]) {
                v->slot[s] = i + 1;
                break;
            }
            if (!strcmp(v->blob + v->off[v->slot[s] - 1], w)) break;   /* repeated: first kept */
        }
    }
    if (p != v->blob_len) return err_set(e, "word vectors: %zu bytes after the %u words", v->blob_len - p, v->n);
    return 0;
}

/* The vector of the token t[0..l) read ASCII-lowercased (h: its hash), or NULL. */
static const float *lookup(const distill_vectors *v, const unsigned char *t, size_t l, uint64_t h)
{
    for (uint32_t s = (uint32_t)h & v->mask;; s = (s + 1) & v->mask) {
        uint32_t k = v->slot[s];
        if (!k) return NULL;
        const unsigned char *x = (const unsigned char *)v->blob + v->off[k - 1];
        size_t q = 0;
        for (; q < l; q++) {
            unsigned char c = t[q];
            if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != x[q]) break;
        }
        if (q == l && x[l] == 0) return v->vec + (size_t)(k - 1) * v->dim;
    }
}

size_t distill_vectors_embed(const distill_vectors *v, const char *text, size_t len, float *out)
{
    const uint32_t d = v->dim, d8 = d & ~7u;
    float acc[DISTILL_MAX_EMB_DIM];
    for (uint32_t k = 0; k < d; k++) acc[k] = 0;
    size_t found = 0;
    const unsigned char *s = (const unsigned char *)text;
    for (size_t i = 0; i < len;) {
        if (!distill_token_byte(s[i])) {
            i++;
            continue;
        }
        size_t start = i;
        uint64_t h;
        size_t l = distill_token(s, len, &i, &h);   /* every length counts */
        if (l <= MAX_WORD) {
            const float *x = lookup(v, s + start, l, hash_fmix64(h));
            if (x) { /* blocks of 8 with a fixed trip count, so the compiler vectorises them */
                for (uint32_t k = 0; k < d8; k += 8)
                    for (uint32_t q = 0; q < 8; q++) acc[k + q] += x[k + q];
                for (uint32_t k = d8; k < d; k++) acc[k] += x[k];
                found++;
            }
        }
    }
    for (uint32_t k = 0; k < d; k++) out[k] = found ? (float)((double)acc[k] / (double)found) : 0.0f;
    return found;
}

/* ---- the text file: "word v1 ... vd" per line, an optional word2vec
 * header line "count dim" first ---- */

static int is_uint(const char *s, size_t n)
{
    if (!n) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

/* The words kept while loading, by their hash: a word (lowercased) seen
 * before is skipped. */
typedef struct seen_words {
    uint64_t *off;   /* blob offset + 1 of each slot's word, 0 = empty */
    size_t cap, n;
} seen_words;

/* 1 when w[0..l) is in s (blob: the words so far), else adds it (at blob
 * offset at) and returns 0; -1 out of memory. */
static int seen_add(seen_words *s, const char *blob, const char *w, size_t l, size_t at)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        uint64_t *no = calloc(cap, sizeof *no);
        if (!no) return -1;
        for (size_t k = 0; k < s->cap; k++) {
            if (!s->off[k]) continue;
            const char *x = blob + s->off[k] - 1;
            size_t j = (size_t)word_hash(x, strlen(x)) & (cap - 1);
            while (no[j]) j = (j + 1) & (cap - 1);
            no[j] = s->off[k];
        }
        free(s->off);
        s->off = no;
        s->cap = cap;
    }
    size_t j = (size_t)word_hash(w, l) & (s->cap - 1);
    for (; s->off[j]; j = (j + 1) & (s->cap - 1)) {
        const char *x = blob + s->off[j] - 1;
        if (!strncmp(x, w, l) && x[l] == 0) return 1;
    }
    s->off[j] = (uint64_t)at + 1;
    s->n++;
    return 0;
}

distill_vectors *distill_vectors_load(const char *path, uint32_t max_words, blalm_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(e, "%s: %s", path, strerror(errno)), NULL;
    distill_vectors *v = calloc(1, sizeof *v);
    sbuf blob, vec;
    sb_init(&blob);
    sb_init(&vec);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned long lineno = 0;
    float row[DISTILL_MAX_EMB_DIM];
    seen_words seen = {0};
    if (!v) {
        err_set(e, "out of memory");
        goto fail;
    }
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t l = (size_t)got;
        while (l && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = 0;
        if (!l) {
            err_set(e, "%s:%lu: empty line (expected a word and its vector)", path, lineno);
            goto fail;
        }
        if (memchr(line, 0, l)) {
            err_set(e, "%s:%lu: a NUL byte (not a text word-vector file)", path, lineno);
            goto fail;
        }
        char *sp = strchr(line, ' ');
        if (!sp) {
            err_set(e, "%s:%lu: expected a word, a space and %s numbers", path, lineno,
                    v->dim ? "its" : "the vector's");
            goto fail;
        }
        size_t wl = (size_t)(sp - line);
        if (lineno == 1) { /* word2vec / fastText header: "count dim" */
            char *sp2 = strchr(sp + 1, ' ');
            size_t rest = strlen(sp + 1);
            if (!sp2 && is_uint(line, wl) && is_uint(sp + 1, rest)) continue;
        }
        uint32_t k = 0;
        char *p = sp + 1;
        while (*p) {
            if (k == DISTILL_MAX_EMB_DIM) {
                err_set(e, "%s:%lu: more than %d numbers (the most this build takes)", path, lineno,
                        DISTILL_MAX_EMB_DIM);
                goto fail;
            }
            char *end;
            errno = 0;
            double x = strtod(p, &end);
            if (end == p || (*end && *end != ' ') || !isfinite(x)) {
                err_set(e, "%s:%lu: number %u of word '%.*s' is not a finite number", path, lineno, k + 1,
                        (int)(wl > 40 ? 40 : wl), line);
                goto fail;
            }
            if (fabs(x) > 1e30) {   /* kept as floats, then summed and squared: those must stay finite */
                err_set(e, "%s:%lu: number %u of word '%.*s' is %.*s, beyond the limit of 1e30 in magnitude",
                        path, lineno, k + 1, (int)(wl > 40 ? 40 : wl), line, (int)(end - p > 40 ? 40 : end - p), p);
                goto fail;
            }
            row[k++] = (float)x;
            p = end;
            while (*p == ' ') p++;
        }
        if (!v->dim) {
            if (k < 2) {
                err_set(e, "%s:%lu: %u number(s) after the word, a vector needs at least 2", path, lineno, k);
                goto fail;
            }
            v->dim = k;
        } else if (k != v->dim) {
            err_set(e, "%s:%lu: %u numbers after the word '%.*s', expected %u like the lines before", path,
                    lineno, k, (int)(wl > 40 ? 40 : wl), line, v->dim);
            goto fail;
        }
        if (wl == 0 || wl > MAX_WORD) continue;   /* never looked up */
        /* tokens are looked up ASCII-lowercased, so words are stored so; a
         * cased file's "The" after "the" (or before it) is one word: the
         * first line of it is kept */
        for (size_t q = 0; q < wl; q++)
            if (line[q] >= 'A' && line[q] <= 'Z') line[q] = (char)(line[q] + 32);
        int dup = seen_add(&seen, blob.data, line, wl, blob.len);
        if (dup < 0) {
            err_set(e, "out of memory (%u word vectors)", v->n);
            goto fail;
        }
        if (dup) {
            v->repeated++;
            continue;
        }
        sb_add(&blob, line, wl);
        sb_addc(&blob, 0);
        sb_add(&vec, row, v->dim * sizeof *row);
        if (++v->n == max_words) break;
    }
    if (ferror(f)) {
        err_set(e, "%s: read error: %s", path, strerror(errno));
        goto fail;
    }
    if (!v->n) {
        err_set(e, "%s: no word vectors (expected lines \"word v1 ... vd\")", path);
        goto fail;
    }
    free(line);
    free(seen.off);
    fclose(f);
    v->blob = blob.data;
    v->blob_len = blob.len;
    v->vec = (float *)vec.data;
    if (distill_vectors_index(v, e) < 0) {
        err_prefix(e, "%s", path);
        distill_vectors_free(v);
        return NULL;
    }
    return v;
fail:
    free(line);
    free(seen.off);
    fclose(f);
    sb_free(&blob);
    sb_free(&vec);
    distill_vectors_free(v);
    return NULL;
}

int distill_count_embed(const distill_vectors *v, const distill_features *f, const char *text,
                        size_t len, distill_counts *c, blalm_err *e)
{
    if (c->emb_dim != v->dim) {
        float *x = realloc(c->emb, v->dim * sizeof *x);
        if (!x) return err_set(e, "out of memory");
        c->emb = x;
        c->emb_dim = v->dim;
    }
    if (f->max_bytes && len > f->max_bytes) len = utf8_prefix(text, len, f->max_bytes);   /* as the counts */
    distill_vectors_embed(v, text, len, c->emb);
    return 0;
}

distill_vectors *distill_vectors_copy(const distill_vectors *v, blalm_err *e)
{
    distill_vectors *c = calloc(1, sizeof *c);
    if (!c) return err_set(e, "out of memory"), NULL;
    c->n = v->n;
    c->dim = v->dim;
    c->blob_len = v->blob_len;
    c->blob = malloc(v->blob_len ? v->blob_len : 1);
    c->vec = malloc((size_t)v->n * v->dim * sizeof *c->vec);
    if (!c->blob || !c->vec) {
        distill_vectors_free(c);
        return err_set(e, "out of memory (%u word vectors)", v->n), NULL;
    }
    memcpy(c->blob, v->blob, v->blob_len);
    memcpy(c->vec, v->vec, (size_t)v->n * v->dim * sizeof *c->vec);
    if (distill_vectors_index(c, e) < 0) {
        distill_vectors_free(c);
        return NULL;
    }
    return c;
}
