/* gopher_repetition.c - datatrove's GopherRepetitionFilter statistics and
 * verdict (gopher_repetition_filter.py): duplicate paragraphs and lines, the
 * top 2-4-gram and the duplicated 5-10-grams over spaCy words. */
#include "filters/quality_internal.h"

#include "lib/hash.h"

#include <stdio.h>
#include <string.h>

typedef struct id_slot {
    uint64_t hash;   /* 0 = empty */
    uint32_t id, tok;
} id_slot;

typedef struct ngram_slot {
    uint64_t hash;   /* 0 = empty */
    uint32_t start, count;
} ngram_slot;

/* Interns token strings: equal strings get equal ids; q->idc[id] counts
 * each id's occurrences. */
static void assign_ids(quality_ctx *q, const char *text)
{
    size_t cap = 1024;
    while (cap < q->w.ntoks * 2) cap <<= 1;
    if (cap > q->ids_cap) {
        q->ids = quality_xrealloc(q->ids, cap * sizeof *q->ids);
        q->ids_cap = cap;
    }
    memset(q->ids, 0, cap * sizeof *q->ids);
    uint32_t next = 0;
    if (q->w.ntoks > q->idc_cap) {
        q->idc_cap = q->w.ntoks;
        q->idc = quality_xrealloc(q->idc, q->idc_cap * sizeof *q->idc);
        q->cls = quality_xrealloc(q->cls, q->idc_cap * sizeof *q->cls);
    }
    for (size_t i = 0; i < q->w.ntoks; i++) {
        token *t = &q->w.toks[i];
        uint64_t h = t->hash ? t->hash : utf8_piece_hash(text + t->off, t->len);
        size_t j = h & (cap - 1);
        for (;;) {
            id_slot *s = &q->ids[j];
            if (!s->hash) {
                s->hash = h;
                s->id = next++;
                s->tok = (uint32_t)i;
                t->id = s->id;
                q->idc[t->id] = 1;
                break;
            }
            const token *o = &q->w.toks[s->tok];
            if (s->hash == h && o->len == t->len && !memcmp(text + o->off, text + t->off, t->len)) {
                t->id = s->id;
                q->idc[t->id]++;
                break;
            }
            j = (j + 1) & (cap - 1);
        }
    }
}

static uint64_t fmix64(uint64_t h)
{
    h = hash_fmix64(h);
    return h ? h : 1; /* 0 marks an empty slot */
}

static void grams_reset(quality_ctx *q, size_t n)
{
    size_t cap = 1024;
    while (cap < n * 2) cap <<= 1;
    if (cap > q->grams_cap) {
        q->grams = quality_xrealloc(q->grams, cap * sizeof *q->grams);
        q->grams_cap = cap;
    }
    q->grams_used = cap;
    memset(q->grams, 0, cap * sizeof *q->grams);
}

/* n-grams are compared by a 64-bit hash of their token ids (a polynomial
 * rolling hash, then mixed): a false match needs a 2^-64 collision. */
#define GRAM_B 0x100000001b3ULL

static ngram_slot *gram_slot(quality_ctx *q, uint64_t h, size_t i, int *inserted)
{
    size_t mask = q->grams_used - 1, j = h & mask;
    *inserted = 0;
    for (;;) {
        ngram_slot *s = &q->grams[j];
        if (!s->hash) {
            s->hash = h;
            s->start = (uint32_t)i;
            s->count = 0;
            *inserted = 1;
            return s;
        }
        if (s->hash == h) return s;
        j = (j + 1) & mask;
    }
}

static uint64_t gram_chars(const token *t, size_t i, int n, int spaces)
{
    uint64_t c = spaces ? (uint64_t)(n - 1) : 0;
    for (int k = 0; k < n; k++) c += t[i + k].ncp;
    return c;
}

/* Rolling hashes of every n-gram: out[i] for the n-gram starting at i. */
static void gram_hashes(const quality_ctx *q, int n, uint64_t *out)
{
    const token *t = q->w.toks;
    size_t W = q->w.ntoks, G = W - (size_t)n + 1;
    uint64_t h = 0, top = 1;
    for (int k = 0; k < n - 1; k++) top *= GRAM_B;
    for (int k = 0; k < n; k++) h = h * GRAM_B + t[k].id + 1;
    for (size_t i = 0; i < G; i++) {
        out[i] = fmix64(h ^ (uint64_t)n);
        if (i + 1 < G) h = (h - (t[i].id + 1) * top) * GRAM_B + t[i + (size_t)n].id + 1;
    }
}

/* The n-gram hash at i computed directly; equals gram_hashes' out[i]. */
static uint64_t gram_hash_at(const token *t, size_t i, int n)
{
    uint64_t h = 0;
    for (int k = 0; k < n; k++) h = h * GRAM_B + t[i + (size_t)k].id + 1;
    return fmix64(h ^ (uint64_t)n);
}

/* datatrove find_top_duplicate: the most frequent n-gram (first seen wins a
 * tie, as Counter.most_common does), its " "-joined length times its count. */
static uint64_t top_gram_chars(quality_ctx *q, int n, uint64_t *hs)
{
    size_t W = q->w.ntoks;
    if (W < (size_t)n) return 0;
    size_t G = W - (size_t)n + 1;
    gram_hashes(q, n, hs);
    grams_reset(q, G);
    ngram_slot *best = NULL;
    for (size_t i = 0; i < G; i++) {
        int ins;
        ngram_slot *s = gram_slot(q, hs[i], i, &ins);
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
 * (its slot at the previous n; the token id for n = 2) and its last token,
 * and its own slot becomes its class for n+1.
 * uniq holds "occurs once" for the (n-1)-grams on entry (W-n+2 entries) and
 * for the n-grams on return (G = W-n+1 entries). Returns the top n-gram's
 * characters times its count (find_top_duplicate: the most frequent, the
 * first seen among equals), and the number of positions that repeat in *rest. */
static uint64_t chain_gram(quality_ctx *q, int n, uint8_t *uniq, size_t *rest)
{
    size_t W = q->w.ntoks, G = W - (size_t)n + 1;
    if (G > q->cand_cap) {
        q->cand_cap = G;
        q->cand = quality_xrealloc(q->cand, q->cand_cap * sizeof *q->cand);
    }
    uint32_t *cls = q->cls;
    if (n == 2)
        for (size_t i = 0; i < W; i++) cls[i] = q->w.toks[i].id;
    size_t nc = 0;
    for (size_t i = 0; i < G; i++) {
        uint64_t a, b;
        if (i + 9 <= G && (memcpy(&a, uniq + i, 8), memcpy(&b, uniq + i + 1, 8),
                           ((a | b) & 0x0101010101010101ULL) == 0x0101010101010101ULL)) {
            memset(uniq + i, 1, 8);   /* eight positions, each next to a unique (n-1)-gram */
            i += 7;
            continue;
        }
        if (!(uniq[i] | uniq[i + 1])) q->cand[nc++] = i;
        uniq[i] = 1;
    }
    *rest = 0;
    if (!nc) return gram_chars(q->w.toks, 0, n, 1);   /* all unique: the first wins */
    grams_reset(q, nc);
    size_t mask = q->grams_used - 1;
    int shift = 64 - __builtin_ctzll((unsigned long long)q->grams_used);
    ngram_slot *best = NULL;
    for (size_t c = 0; c < nc; c++) {
        size_t i = (size_t)q->cand[c];
        /* bit 63 keeps every key nonzero (classes and ids are below 2^32) */
        uint64_t key = (uint64_t)cls[i] << 32 | q->w.toks[i + (size_t)n - 1].id | 1ULL << 63;
        size_t j = (size_t)((key * 0x9E3779B97F4A7C15ULL) >> shift);
        ngram_slot *sl;
        for (;;) {
            sl = &q->grams[j];
            if (!sl->hash) {
                sl->hash = key;
                sl->start = (uint32_t)i;
                sl->count = 0;
                break;
            }
            if (sl->hash == key) break;
            j = (j + 1) & mask;
        }
        sl->count++;
        q->cand[c] = (uint64_t)i | (uint64_t)(sl - q->grams) << 32;
        if (!best || sl->count > best->count ||
            (sl->count == best->count && sl->start < best->start))
            best = sl;
    }
    for (size_t c = 0; c < nc; c++) {
        size_t i = (size_t)(uint32_t)q->cand[c];
        uint32_t slot = (uint32_t)(q->cand[c] >> 32);
        if (q->grams[slot].count > 1) {
            uniq[i] = 0;
            cls[i] = slot;
            (*rest)++;
        }
    }
    if (best->count == 1) return gram_chars(q->w.toks, 0, n, 1);
    return gram_chars(q->w.toks, best->start, n, 1) * best->count;
}

/* datatrove find_all_duplicate: walk; a repeated n-gram adds its ""-joined
 * length and jumps n words, a new one is remembered and steps one word. */
static uint64_t dup_gram_chars(quality_ctx *q, int n, uint64_t *hs, const uint8_t *uniq,
                               size_t rest)
{
    size_t W = q->w.ntoks;
    if (W < (size_t)n) return 0;
    size_t G = W - (size_t)n + 1;
    if (!rest) return 0;   /* every 5-gram is unique: nothing repeats */
    /* few repeated positions: hash just those (the same value as rolling) */
    int lazy = !q->reference && rest < G / 4;
    if (!lazy) gram_hashes(q, n, hs);
    grams_reset(q, rest);
    uint64_t rep = 0;
    size_t i = 0;
    while (i < G) {
        uint64_t w;
        if (i + 8 <= G && (memcpy(&w, uniq + i, 8), w == 0x0101010101010101ULL)) {
            i += 8;   /* eight unique n-grams */
            continue;
        }
        if (uniq[i]) {   /* new, and never seen again */
            i++;
            continue;
        }
        int ins;
        uint64_t h = lazy ? gram_hash_at(q->w.toks, i, n) : hs[i];
        gram_slot(q, h, i, &ins);
        if (!ins) {
            rep += gram_chars(q->w.toks, i, n, 0);
            i += (size_t)n;
        } else {
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
    o->chars = quality_cp_count(text, len);
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
    assign_ids(q, text);
    o->words = q->w.ntoks;
    if (q->w.ntoks + 1 > q->hs_cap) {
        q->hs_cap = q->w.ntoks + 1;
        q->hs = quality_xrealloc(q->hs, q->hs_cap * sizeof *q->hs);
    }
    uint64_t *hs = q->hs;
    if (q->w.ntoks > q->uniq_cap) {
        q->uniq_cap = q->w.ntoks;
        q->uniq = quality_xrealloc(q->uniq, q->uniq_cap);
    }
    size_t rest = q->w.ntoks >= 5 ? q->w.ntoks - 4 : 0;
    if (q->reference) {
        for (int k = 0; k < 3; k++)
            o->top_n_gram_char_frac[k] = quality_ratio((double)top_gram_chars(q, k + 2, hs), L);
        memset(q->uniq, 0, q->w.ntoks);
    } else if (q->w.ntoks >= 2) {
        /* 1-grams: tokens that occur once; then 2, 3, 4 (top) and 5 (unique) */
        for (size_t i = 0; i < q->w.ntoks; i++) q->uniq[i] = q->idc[q->w.toks[i].id] == 1;
        for (int nn = 2; nn <= 5 && (size_t)nn <= q->w.ntoks; nn++) {
            uint64_t top = chain_gram(q, nn, q->uniq, &rest);
            if (nn <= 4) o->top_n_gram_char_frac[nn - 2] = quality_ratio((double)top, L);
        }
    }
    if (q->w.ntoks >= 5) {
        for (int k = 0; k < 6; k++)
            o->dup_n_gram_char_frac[k] =
                quality_ratio((double)dup_gram_chars(q, k + 5, hs, q->uniq, rest), L);
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
}

void gopher_repetition_json(const gopher_repetition_stats *s, sbuf *b)
{
    int f = 1;
    char k[48];
    sb_addc(b, '{');
    quality_json_verdict(b, &f, "pass", "reason", s->reason);
    quality_json_num(b, &f, "dup_para_frac", s->dup_para_frac);
    quality_json_num(b, &f, "dup_para_char_frac", s->dup_para_char_frac);
    quality_json_num(b, &f, "dup_line_frac", s->dup_line_frac);
    quality_json_num(b, &f, "dup_line_char_frac", s->dup_line_char_frac);
    for (int i = 0; i < 3; i++) {
        snprintf(k, sizeof k, "top_%d_gram_char_frac", i + 2);
        quality_json_num(b, &f, k, s->top_n_gram_char_frac[i]);
    }
    for (int i = 0; i < 6; i++) {
        snprintf(k, sizeof k, "dup_%d_gram_char_frac", i + 5);
        quality_json_num(b, &f, k, s->dup_n_gram_char_frac[i]);
    }
    quality_json_uint(b, &f, "paragraphs", s->paragraphs);
    quality_json_uint(b, &f, "lines", s->lines);
    quality_json_uint(b, &f, "words", s->words);
    quality_json_uint(b, &f, "chars", s->chars);
    sb_addc(b, '}');
}
