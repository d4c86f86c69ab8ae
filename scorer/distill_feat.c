/* distill_feat.c - hashed word, word-bigram and character n-gram counts of
 * a text. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/utf8.h"
#include "scorer/distill_internal.h"

void distill_features_default(distill_features *f)
{
    memset(f, 0, sizeof *f);
    f->version = DISTILL_FEATURES_VERSION;
    f->hash_bits = 18;
    f->ngram_max = 2;
    f->min_token = 2;
    f->attr_weight = 0.1;
}

void distill_block_scales(const distill_features *f, uint32_t n_attr, double scale[3])
{
    double share = n_attr ? f->attr_weight : 0.0;
    double text = (1.0 - share) / (f->char_max ? 2.0 : 1.0);
    scale[0] = scale[1] = sqrt(text);
    scale[2] = n_attr ? sqrt(share / (double)n_attr) : 0.0;
}

size_t distill_hashed_dim(const distill_features *f)
{
    return ((size_t)1 << f->hash_bits) * (f->char_max ? 2 : 1);
}

int distill_features_check(const distill_features *f, blalm_err *e)
{
    if (f->version != DISTILL_FEATURES_VERSION)
        return err_set(e, "feature configuration version %u, this build knows version %u",
                       f->version, DISTILL_FEATURES_VERSION);
    if (f->hash_bits < 10 || f->hash_bits > 24)
        return err_set(e, "feature configuration: hash_bits %u, expected 10..24", f->hash_bits);
    if (f->ngram_max < 1 || f->ngram_max > 2)
        return err_set(e, "feature configuration: ngram_max %u, expected 1 or 2", f->ngram_max);
    if (f->min_token < 1 || f->min_token > 16)
        return err_set(e, "feature configuration: min_token %u, expected 1..16", f->min_token);
    if (!((f->char_min == 0 && f->char_max == 0) ||
          (f->char_min >= 1 && f->char_min <= f->char_max && f->char_max <= 8)))
        return err_set(e, "feature configuration: character n-grams %u..%u, expected 0..0 (none) or "
                          "a range within 1..8", f->char_min, f->char_max);
    if (!(f->attr_weight > 0 && f->attr_weight < 1))
        return err_set(e, "feature configuration: attribute weight %g, expected between 0 and 1",
                       f->attr_weight);
    return 0;
}

/* Final avalanche of a 64-bit FNV-1a state (murmur3's fmix64). */
static inline uint64_t fmix64(uint64_t h) { return hash_fmix64(h); }

static int counts_push(distill_counts *c, uint32_t idx)
{
    if (c->dense[idx] == 0.0f) {
        if (c->n == c->cap) {
            size_t cap = c->cap ? c->cap * 2 : 1024;
            uint32_t *ni = realloc(c->idx, cap * sizeof *ni);
            if (!ni) return -1;
            c->idx = ni;
            float *nc = realloc(c->cnt, cap * sizeof *nc);
            if (!nc) return -1;
            c->cnt = nc;
            c->cap = cap;
        }
        c->idx[c->n++] = idx;
    }
    c->dense[idx] += 1.0f;
    return 0;
}

/* Sorts v[0..n) ascending: insertion sort when short, else an LSD radix
 * sort on 11-bit digits (passes over digits no key has skipped), through tmp. */
static void sort_u32(uint32_t *v, uint32_t *tmp, size_t n)
{
    if (n < 64) {
        for (size_t i = 1; i < n; i++) {
            uint32_t x = v[i];
            size_t j = i;
            for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
            v[j] = x;
        }
        return;
    }
    uint32_t any = 0;
    for (size_t i = 0; i < n; i++) any |= v[i];
    uint32_t *src = v, *dst = tmp;
    for (int shift = 0; shift < 32; shift += 11) {
        if (!((any >> shift) & 0x7ff)) continue;
        size_t cnt[2048] = {0};
        for (size_t i = 0; i < n; i++) cnt[(src[i] >> shift) & 0x7ff]++;
        size_t sum = 0;
        for (int b = 0; b < 2048; b++) {
            size_t c = cnt[b];
            cnt[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) dst[cnt[(src[i] >> shift) & 0x7ff]++] = src[i];
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v) memcpy(v, src, n * sizeof *v);
}

int distill_count_text(const distill_features *f, const char *text, size_t len,
                       distill_counts *out, blalm_err *e)
{
    const size_t dim = distill_hashed_dim(f);
    if (out->dense && out->dense_dim != dim) {
        free(out->dense);
        out->dense = NULL;
    }
    if (!out->dense) {
        out->dense = calloc(dim, sizeof *out->dense);
        if (!out->dense) return err_set(e, "out of memory");
        out->dense_dim = dim;
    }
    out->n = 0;
    if (f->max_bytes && len > f->max_bytes) len = utf8_prefix(text, len, f->max_bytes);
    const unsigned char *s = (const unsigned char *)text;
    const unsigned shift = 64 - f->hash_bits;
    uint64_t prev = 0;
    int have_prev = 0;
    size_t i = 0;
    while (i < len) {
        if (!distill_token_byte(s[i])) {
            i++;
            continue;
        }
        uint64_t h;
        if (distill_token(s, len, &i, &h) < f->min_token) continue;   /* skipped; does not break a bigram */
        uint64_t uni = fmix64(h);
        if (counts_push(out, (uint32_t)(uni >> shift)) < 0) return err_set(e, "out of memory");
        if (f->ngram_max >= 2 && have_prev) {
            uint64_t bi = fmix64(prev * 0x9e3779b97f4a7c15ULL ^ (uni + 0x632be59bd9b4e019ULL));
            if (counts_push(out, (uint32_t)(bi >> shift)) < 0) return err_set(e, "out of memory");
        }
        prev = uni;
        have_prev = 1;
    }
    if (f->char_max) {
        /* byte n-grams of the lowercased text, whitespace runs as one space,
         * into the second block: index 2^hash_bits + (hash >> shift) */
        const uint32_t base = (uint32_t)1 << f->hash_bits;
        const unsigned cmin = f->char_min, cmax = f->char_max;
        unsigned char win[8];
        size_t have = 0;   /* bytes in the window so far (up to cmax) */
        int last_space = 1;
        for (i = 0; i < len; i++) {
            unsigned char c = s[i];
            if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
                if (last_space) continue;
                c = ' ';
                last_space = 1;
            } else {
                last_space = 0;
                if (c >= 'A' && c <= 'Z') c = (unsigned char)(c + 32);
            }
            memmove(win, win + 1, cmax - 1);
            win[cmax - 1] = c;
            if (have < cmax) have++;
            /* the n-grams ending here: the last n bytes of the window */
            uint64_t h = DISTILL_FNV_OFFSET;
            for (unsigned n = 1; n <= have; n++) {
                h = (h ^ win[cmax - n]) * DISTILL_FNV_PRIME;
                if (n >= cmin &&
                    counts_push(out, base + (uint32_t)(fmix64(h + n) >> shift)) < 0)
                    return err_set(e, "out of memory");
            }
        }
    }
    if (out->n > out->cap_tmp) {
        uint32_t *t = realloc(out->tmp, out->cap * sizeof *t);
        if (!t) return err_set(e, "out of memory");
        out->tmp = t;
        out->cap_tmp = out->cap;
    }
    sort_u32(out->idx, out->tmp, out->n);
    for (size_t k = 0; k < out->n; k++) {
        out->cnt[k] = out->dense[out->idx[k]];
        out->dense[out->idx[k]] = 0.0f;
    }
    return 0;
}

void distill_counts_free(distill_counts *c)
{
    free(c->idx);
    free(c->cnt);
    free(c->dense);
    free(c->attr);
    free(c->emb);
    free(c->tmp);
    memset(c, 0, sizeof *c);
}

int distill_examples_add(distill_examples *ex, const distill_counts *c, double label,
                         uint64_t text_hash, blalm_err *e)
{
    if (ex->n + 2 > ex->cap_rows) {
        size_t cap = ex->cap_rows ? ex->cap_rows * 2 : 1024;
        uint64_t *r = realloc(ex->row, cap * sizeof *r);
        if (!r) return err_set(e, "out of memory");
        ex->row = r;
        double *l = realloc(ex->label, cap * sizeof *l);
        if (!l) return err_set(e, "out of memory");
        ex->label = l;
        uint64_t *t = realloc(ex->text_hash, cap * sizeof *t);
        if (!t) return err_set(e, "out of memory");
        ex->text_hash = t;
        ex->cap_rows = cap;
        if (ex->n == 0) ex->row[0] = 0;
    }
    if (ex->nnz + c->n > ex->cap_nnz) {
        size_t cap = ex->cap_nnz ? ex->cap_nnz : 65536;
        while (cap < ex->nnz + c->n) cap *= 2;
        uint32_t *col = realloc(ex->col, cap * sizeof *col);
        if (!col) return err_set(e, "out of memory");
        ex->col = col;
        float *cnt = realloc(ex->cnt, cap * sizeof *cnt);
        if (!cnt) return err_set(e, "out of memory");
        ex->cnt = cnt;
        ex->cap_nnz = cap;
    }
    if (c->n) {
        memcpy(ex->col + ex->nnz, c->idx, c->n * sizeof *c->idx);
        memcpy(ex->cnt + ex->nnz, c->cnt, c->n * sizeof *c->cnt);
    }
    ex->nnz += c->n;
    if (ex->n_attr) {
        if (c->n_attr != ex->n_attr) return err_set(e, "internal: %u attribute values, expected %u", c->n_attr, ex->n_attr);
        double *a = realloc(ex->attr, ex->cap_rows * ex->n_attr * sizeof *a);
        if (!a) return err_set(e, "out of memory");
        ex->attr = a;
        memcpy(ex->attr + ex->n * ex->n_attr, c->attr, ex->n_attr * sizeof *a);
    }
    if (ex->n == 0) ex->emb_dim = c->emb_dim;
    if (ex->emb_dim) {
        if (c->emb_dim != ex->emb_dim) return err_set(e, "internal: a %u-long word vector, expected %u", c->emb_dim, ex->emb_dim);
        float *x = realloc(ex->emb, ex->cap_rows * ex->emb_dim * sizeof *x);
        if (!x) return err_set(e, "out of memory");
        ex->emb = x;
        memcpy(ex->emb + ex->n * ex->emb_dim, c->emb, ex->emb_dim * sizeof *x);
    }
    ex->label[ex->n] = label;
    ex->text_hash[ex->n] = text_hash;
    ex->n++;
    ex->row[ex->n] = ex->nnz;
    return 0;
}

void distill_examples_free(distill_examples *ex)
{
    free(ex->row);
    free(ex->col);
    free(ex->cnt);
    free(ex->label);
    free(ex->text_hash);
    for (uint32_t k = 0; k < ex->n_attr; k++) free(ex->attr_names[k]);
    free(ex->attr_names);
    free(ex->attr);
    free(ex->emb);
    memset(ex, 0, sizeof *ex);
}

uint64_t distill_text_hash(const char *text, size_t len)
{
    return xxh64(text, len, 0x64697374696c6cULL);
}

int distill_int_score(double score)
{
    if (!(score >= 0.5)) return 0;   /* also NaN */
    if (score >= 4.5) return 5;
    return (int)(score + 0.5);
}
