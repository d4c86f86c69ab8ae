/* gopher_quality.c - datatrove's GopherQualityFilter statistics and verdict
 * (gopher_quality_filter.py): word counts and lengths over spaCy words,
 * symbol ratios, bullet and ellipsis lines, alphabetic and stop words. */
#include "filters/quality_internal.h"

#include <stdint.h>
#include <string.h>

/* text.count("#") and text.count("...") + text.count("\u2026") in one pass
 * (the reference path counts each with quality_count_sub): a run of r dots
 * holds r / 3 non-overlapping "...", and eight bytes with no '#', '.' or
 * non-ASCII byte are skipped at once. */
static void count_marks(const char *text, size_t n, uint64_t *hashes, uint64_t *ellipses)
{
    const unsigned char *s = (const unsigned char *)text;
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t h = 0, e = 0;
    size_t i = 0;
    while (i < n) {
        if (i + 8 <= n) {
            uint64_t w, a, b;
            memcpy(&w, s + i, 8);
            a = w ^ (ones * '#');
            b = w ^ (ones * '.');
            /* a zero byte of a or b is a '#' or a '.' */
            if (!((((a - ones) & ~a) | ((b - ones) & ~b) | w) & highs)) {
                i += 8;
                continue;
            }
        }
        if (s[i] == '#') {
            h++;
            i++;
        } else if (s[i] == '.') {
            size_t r = i;
            while (r < n && s[r] == '.') r++;
            e += (r - i) / 3;
            i = r;
        } else if (s[i] == 0xE2 && i + 2 < n && s[i + 1] == 0x80 && s[i + 2] == 0xA6) {
            e++;
            i += 3;
        } else {
            i++;
        }
    }
    *hashes = h;
    *ellipses = e;
}

void gopher_quality_measure(quality_ctx *q, const char *text, size_t len, gopher_quality_stats *o)
{
    const quality_config *c = &q->cfg;
    memset(o, 0, sizeof *o);
    words_split(&q->w, text, len);
    uint64_t nonsym_len = 0;
    o->n_words = q->w.ntoks;
    /* distinct stop words, as datatrove's
     * len(self.stop_words.intersection(set(words))): "the the" is one */
    unsigned seen = 0; /* default list: bit i for words_stop_index i */
    if (q->stop_custom && ++q->stop_gen == 0) { /* wrapped: the old stamps could match */
        memset(q->stop_seen, 0, q->nstop * sizeof *q->stop_seen);
        q->stop_gen = 1;
    }
    for (size_t i = 0; i < q->w.ntoks; i++) {
        const token *t = &q->w.toks[i];
        if (t->flags & TF_NONSYM) {
            o->n_non_symbol_words++;
            nonsym_len += t->ncp;
        }
        if (t->flags & TF_ALPHA) o->alpha_words++;
        if (q->stop_custom) {
            long k = quality_stop_index(q, text + t->off, t->len);
            if (k >= 0 && q->stop_seen[k] != q->stop_gen) q->stop_seen[k] = q->stop_gen, o->stop_words++;
        } else if (t->flags & TF_STOP) {
            int k = words_stop_index(text + t->off, t->len); /* >= 0: TF_STOP is its test */
            if (k >= 0 && !(seen & 1u << k)) seen |= 1u << k, o->stop_words++;
        }
    }
    o->avg_word_length = quality_ratio((double)nonsym_len, (double)o->n_non_symbol_words);
    if (q->reference) {
        o->hashes = quality_count_sub(text, len, "#");
        o->ellipses = quality_count_sub(text, len, "...") +
                      quality_count_sub(text, len, "\xe2\x80\xa6");
    } else {
        count_marks(text, len, &o->hashes, &o->ellipses);
    }
    o->hash_word_ratio = quality_ratio((double)o->hashes, (double)o->n_words);
    o->ellipsis_word_ratio = quality_ratio((double)o->ellipses, (double)o->n_words);
    span_list lines = {q->spv, 0, q->spv_cap};
    quality_split_lines(text, len, &lines);
    o->lines = lines.n;
    for (size_t i = 0; i < lines.n; i++) {
        size_t off = lines.v[i].off, n = lines.v[i].len;
        quality_strip_span(text, &off, &n);
        const char *l = text + off;
        if (n && (l[0] == '-' || (n >= 3 && !memcmp(l, "\xe2\x80\xa2", 3)))) o->bullet_lines++;
        if (quality_ends_with(l, n, "...") || quality_ends_with(l, n, "\xe2\x80\xa6")) o->ellipsis_lines++;
    }
    q->spv = lines.v;
    q->spv_cap = lines.cap;
    o->bullet_lines_ratio = quality_ratio((double)o->bullet_lines, (double)o->lines);
    o->ellipsis_lines_ratio = quality_ratio((double)o->ellipsis_lines, (double)o->lines);
    o->alpha_words_ratio = quality_ratio((double)o->alpha_words, (double)o->n_words);

    double nw = (double)o->n_non_symbol_words;
    const char *r = NULL;
    if (quality_rule_on(c->min_doc_words) && nw < c->min_doc_words) r = "gopher_short_doc";
    else if (quality_rule_on(c->max_doc_words) && nw > c->max_doc_words) r = "gopher_long_doc";
    else if (quality_rule_on(c->min_avg_word_length) && o->avg_word_length < c->min_avg_word_length)
        r = "gopher_below_avg_threshold";
    else if (quality_rule_on(c->max_avg_word_length) && o->avg_word_length > c->max_avg_word_length)
        r = "gopher_above_avg_threshold";
    else if (quality_rule_on(c->max_symbol_word_ratio) && o->hash_word_ratio > c->max_symbol_word_ratio)
        r = "gopher_too_many_hashes";
    else if (quality_rule_on(c->max_symbol_word_ratio) && o->ellipsis_word_ratio > c->max_symbol_word_ratio)
        r = "gopher_too_many_ellipsis";
    else if (quality_rule_on(c->max_bullet_lines_ratio) && o->bullet_lines_ratio > c->max_bullet_lines_ratio)
        r = "gopher_too_many_bullets";
    else if (quality_rule_on(c->max_ellipsis_lines_ratio) &&
             o->ellipsis_lines_ratio > c->max_ellipsis_lines_ratio)
        r = "gopher_too_many_end_ellipsis";
    else if (quality_rule_on(c->max_non_alpha_words_ratio) &&
             o->alpha_words_ratio < c->max_non_alpha_words_ratio)
        r = "gopher_below_alpha_threshold";
    else if (quality_rule_on(c->min_stop_words) && (double)o->stop_words < c->min_stop_words)
        r = "gopher_enough_stop_words";
    o->reason = r;
}

void gopher_quality_json(const gopher_quality_stats *s, sbuf *b)
{
    int f = 1;
    sb_addc(b, '{');
    quality_json_verdict(b, &f, "pass", "reason", s->reason);
    quality_json_uint(b, &f, "n_words", s->n_words);
    quality_json_uint(b, &f, "n_non_symbol_words", s->n_non_symbol_words);
    quality_json_num(b, &f, "avg_word_length", s->avg_word_length);
    quality_json_num(b, &f, "hash_word_ratio", s->hash_word_ratio);
    quality_json_num(b, &f, "ellipsis_word_ratio", s->ellipsis_word_ratio);
    quality_json_num(b, &f, "bullet_lines_ratio", s->bullet_lines_ratio);
    quality_json_num(b, &f, "ellipsis_lines_ratio", s->ellipsis_lines_ratio);
    quality_json_num(b, &f, "alpha_words_ratio", s->alpha_words_ratio);
    quality_json_uint(b, &f, "stop_words", s->stop_words);
    quality_json_uint(b, &f, "lines", s->lines);
    sb_addc(b, '}');
}
