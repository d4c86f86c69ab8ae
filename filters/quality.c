/* quality.c - the context behind filters/quality.h (thresholds, scratch
 * reused across documents), the splitter's public entry points, and the text
 * helpers the measures share: lines, strip, duplicate ranges, code points,
 * JSON members. The measures are in gopher_quality.c, gopher_repetition.c,
 * c4.c and fineweb.c; the words in words_spacy.c. */
#include "filters/quality_internal.h"

#include "lib/mem.h"
#include "lib/utf8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void quality_defaults(quality_config *c)
{
    memset(c, 0, sizeof *c);
    c->min_doc_words = 50;
    c->max_doc_words = 100000;
    c->min_avg_word_length = 3;
    c->max_avg_word_length = 10;
    c->max_symbol_word_ratio = 0.1;
    c->max_bullet_lines_ratio = 0.9;
    c->max_ellipsis_lines_ratio = 0.3;
    c->max_non_alpha_words_ratio = 0.8;
    c->min_stop_words = 2;
    c->dup_line_frac = 0.3;
    c->dup_para_frac = 0.3;
    c->dup_line_char_frac = 0.2;
    c->dup_para_char_frac = 0.2;
    c->top_n_gram_frac[0] = 0.20;
    c->top_n_gram_frac[1] = 0.18;
    c->top_n_gram_frac[2] = 0.16;
    for (int i = 0; i < 6; i++) c->dup_n_gram_frac[i] = 0.15 - 0.01 * i;
    c->c4_remove_citations = 1;
    c->c4_filter_no_terminal_punct = 1;
    c->c4_filter_lorem_ipsum = 1;
    c->c4_filter_javascript = 1;
    c->c4_filter_curly_bracket = 1;
    c->c4_filter_policy = 1;
    c->c4_min_num_sentences = 5;
    c->c4_min_words_per_line = 3;
    c->c4_max_word_length = 1000;
    c->line_punct_thr = 0.12;
    c->line_punct_exclude_zero = 0;
    c->short_line_thr = 0.67;
    c->short_line_length = 30;
    c->char_duplicates_ratio = 0.01;
    c->new_line_ratio = 0.3;
}

quality_ctx *quality_new(const quality_config *cfg, blalm_err *e)
{
    quality_ctx *q = calloc(1, sizeof *q);
    if (!q) {
        err_set(e, "out of memory");
        return NULL;
    }
    if (cfg) q->cfg = *cfg;
    else quality_defaults(&q->cfg);
    int ec;
    PCRE2_SIZE eo;
    /* C4's CITATION_REGEX; \d is Unicode Nd as in Python 3 */
    q->citation = pcre2_compile((PCRE2_SPTR) "\\[\\d*]|\\[edit]|\\[citation needed]",
                                PCRE2_ZERO_TERMINATED,
                                PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &ec, &eo, NULL);
    if (!q->citation) {
        free(q);
        err_set(e, "citation regex: PCRE2 error %d", ec);
        return NULL;
    }
    words_init(&q->w);
    c4_phrases_init(&q->ph);
    q->jit = pcre2_jit_compile(q->citation, PCRE2_JIT_COMPLETE) == 0;
    q->md = pcre2_match_data_create_from_pattern(q->citation, NULL);
    if (!q->md) {
        quality_free(q);
        err_set(e, "out of memory");
        return NULL;
    }
    return q;
}

void quality_set_fast_paths(quality_ctx *q, int on)
{
    q->reference = !on;
    q->w.no_cache = !on;
    q->w.tok_valid = 0;
    q->text_cps_ok = 0;
}

void quality_set_join_chunk(quality_ctx *q, size_t chunk)
{
    q->join_chunk = chunk;
}

/* by length, then bytes: a token is compared with the words of its length */
static int stop_cmp(const struct stop_word *a, const char *s, size_t n)
{
    if (a->len != n) return a->len < n ? -1 : 1;
    return memcmp(a->s, s, n);
}

static int stop_qsort_cmp(const void *x, const void *y)
{
    const struct stop_word *b = y;
    return stop_cmp(x, b->s, b->len);
}

int quality_set_stop_words(quality_ctx *q, const char *const *words, size_t n, blalm_err *e)
{
    free(q->stop);
    free(q->stop_text);
    free(q->stop_seen);
    q->stop = NULL;
    q->stop_text = NULL;
    q->stop_seen = NULL;
    q->nstop = 0;
    q->stop_custom = words != NULL;
    if (!words) return 0;
    size_t total = 1;
    for (size_t i = 0; i < n; i++) total += strlen(words[i]);
    q->stop = malloc((n ? n : 1) * sizeof *q->stop);
    q->stop_text = malloc(total);
    q->stop_seen = calloc(n ? n : 1, sizeof *q->stop_seen);
    q->stop_gen = 0;
    if (!q->stop || !q->stop_text || !q->stop_seen) return err_set(e, "out of memory");
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t k = strlen(words[i]);
        memcpy(q->stop_text + off, words[i], k);
        q->stop[i].s = q->stop_text + off;
        q->stop[i].len = k;
        off += k;
    }
    q->nstop = n;
    qsort(q->stop, n, sizeof *q->stop, stop_qsort_cmp);
    return 0;
}

long quality_stop_index(const quality_ctx *q, const char *t, size_t len)
{
    size_t lo = 0, hi = q->nstop; /* the first entry not below t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (stop_cmp(&q->stop[mid], t, len) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < q->nstop && !stop_cmp(&q->stop[lo], t, len) ? (long)lo : -1;
}

void quality_free(quality_ctx *q)
{
    if (!q) return;
    free(q->stop);
    free(q->stop_text);
    free(q->stop_seen);
    words_free(&q->w);
    gopher_repetition_scratch_free(q->rep);
    free(q->buf);
    free(q->spv);
    free(q->dup_h);
    free(q->dup_idx);
    free(q->c4l);
    if (q->md) pcre2_match_data_free(q->md);
    if (q->citation) pcre2_code_free(q->citation);
    free(q);
}


void *quality_xrealloc(void *p, size_t n)
{
    void *r = mem_big_realloc(p, n ? n : 1);
    if (!r) abort();  /* out of memory: nothing sensible to continue with */
    return r;
}

void quality_use_split(quality_ctx *q, const ws_spans *sp)
{
    q->w.ext = sp;
    q->w.tok_valid = 0;   /* tokens made from an earlier split are another text's */
    q->text_cps_ok = 0;
}

uint64_t quality_text_cps(quality_ctx *q, const char *text, size_t len)
{
    const ws_spans *sp = q->w.ext;
    if (q->reference || !sp || sp->text != text || sp->len != len)
        return quality_cp_count(text, len);
    if (!q->text_cps_ok) {
        q->text_cps = quality_cp_count(text, len);
        q->text_cps_ok = 1;
    }
    return q->text_cps;
}

size_t quality_tokenize(quality_ctx *q, const char *text, size_t len,
                        void (*fn)(void *arg, size_t off, size_t n), void *arg)
{
    words_split(&q->w, text, len);
    if (fn)
        for (size_t i = 0; i < q->w.ntoks; i++) fn(arg, q->w.toks[i].off, q->w.toks[i].len);
    return q->w.ntoks;
}

size_t quality_sentences(quality_ctx *q, const char *text, size_t len)
{
    words_split(&q->w, text, len);
    return words_sentences(q->w.toks, q->w.ntoks);
}

/* ---------- text helpers ---------- */

int quality_in_sorted(uint32_t c, const uint32_t *t, size_t n)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid] == c) return 1;
        if (t[mid] < c) lo = mid + 1;
        else hi = mid;
    }
    return 0;
}

uint64_t quality_cp_count(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    uint64_t k = 0;
    for (size_t i = 0; i < n;) {
        uint64_t w;
        if (i + 8 <= n && (memcpy(&w, u + i, 8), !(w & 0x8080808080808080ULL))) {
            i += 8;   /* eight ASCII bytes: eight code points */
            k += 8;
            continue;
        }
        if (u[i] < 0x80) {
            i++;
        } else {
            int32_t c;
            i += utf8_decode_at(u, n, i, &c);
        }
        k++;
    }
    return k;
}


void quality_find_duplicates(quality_ctx *q, const char *text, const span *sp, size_t n,
                            uint64_t *dups, uint64_t *dup_chars)
{
    *dups = *dup_chars = 0;
    if (!n) return;
    size_t cap = 16;
    while (cap < n * 2) cap <<= 1;
    if (cap > q->dup_cap) {
        q->dup_h = quality_xrealloc(q->dup_h, cap * sizeof *q->dup_h);
        q->dup_idx = quality_xrealloc(q->dup_idx, cap * sizeof *q->dup_idx);
        q->dup_cap = cap;
    }
    uint64_t *h = q->dup_h;
    size_t *idx = q->dup_idx;
    memset(h, 0, cap * sizeof *h);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = utf8_piece_hash(text + sp[i].off, sp[i].len);
        size_t j = x & (cap - 1);
        int found = 0;
        while (h[j]) {
            const span *o = &sp[idx[j]];
            if (h[j] == x && o->len == sp[i].len && !memcmp(text + o->off, text + sp[i].off, o->len)) {
                found = 1;
                break;
            }
            j = (j + 1) & (cap - 1);
        }
        if (found) {
            (*dups)++;
            *dup_chars += quality_cp_count(text + sp[i].off, sp[i].len);
        } else {
            h[j] = x;
            idx[j] = i;
        }
    }
}

void quality_span_push(span_list *l, size_t off, size_t len)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = quality_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = (span){off, len};
}

/* Python str.splitlines() boundaries at s[i]; returns the boundary's byte
 * length (0 = none). */
static size_t line_break_at(const unsigned char *s, size_t n, size_t i)
{
    unsigned char b = s[i];
    if (b == '\n' || b == 0x0B || b == 0x0C || b == 0x1C || b == 0x1D || b == 0x1E) return 1;
    if (b == '\r') return i + 1 < n && s[i + 1] == '\n' ? 2 : 1;
    if (b == 0xC2 && i + 1 < n && s[i + 1] == 0x85) return 2;
    if (b == 0xE2 && i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
        return 3;
    return 0;
}

void quality_split_lines(const char *text, size_t len, span_list *out)
{
    const unsigned char *s = (const unsigned char *)text;
    out->n = 0;
    size_t st = 0, i = 0;
    while (i < len) {
        uint64_t w;
        /* eight bytes in 0x20..0x7f hold no line boundary */
        if (i + 8 <= len && (memcpy(&w, s + i, 8),
                             !(((w - 0x2020202020202020ULL) | w) & 0x8080808080808080ULL))) {
            i += 8;
            continue;
        }
        size_t k = line_break_at(s, len, i);
        if (!k) {
            i++;
            continue;
        }
        quality_span_push(out, st, i - st);
        i += k;
        st = i;
    }
    if (st < len) quality_span_push(out, st, len - st);
}

void quality_strip_span(const char *text, size_t *off, size_t *len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t a = *off, b = *off + *len;
    while (a < b) {
        int32_t c;
        size_t k = utf8_decode_at(s, b, a, &c);
        if (!is_py_space(c)) break;
        a += k;
    }
    while (b > a) {
        size_t k = 1;
        while (k < 4 && b - k > a && (s[b - k] & 0xC0) == 0x80) k++;
        int32_t c;
        size_t got = utf8_decode_at(s, b, b - k, &c);
        if (got != k) c = 0xFFFD;
        if (!is_py_space(c)) break;
        b -= k;
    }
    *off = a;
    *len = b - a;
}

size_t quality_count_sub(const char *s, size_t n, const char *needle)
{
    size_t k = strlen(needle), c = 0;
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *f = k == 1 ? memchr(p, needle[0], (size_t)(end - p))
                               : memmem(p, (size_t)(end - p), needle, k);
        if (!f) break;
        c++;
        p = f + k;
    }
    return c;
}

int quality_ends_with(const char *s, size_t n, const char *suf)
{
    size_t k = strlen(suf);
    return n >= k && !memcmp(s + n - k, suf, k);
}


/* ---------- JSON ---------- */

void quality_json_num(sbuf *b, int *first, const char *k, double v)
{
    sb_json_key(b, k, first);
    sb_json_num(b, isfinite(v) ? v : 0.0);
}
void quality_json_uint(sbuf *b, int *first, const char *k, uint64_t v)
{
    sb_json_key(b, k, first);
    sb_json_uint(b, v);
}
void quality_json_verdict(sbuf *b, int *first, const char *pass_key, const char *reason_key,
                          const char *reason)
{
    sb_json_key(b, pass_key, first);
    sb_json_bool(b, reason == NULL);
    sb_json_key(b, reason_key, first);
    if (reason) sb_json_str(b, reason, strlen(reason));
    else sb_adds(b, "null");
}
