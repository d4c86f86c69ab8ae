/* fineweb.c - datatrove's FineWebQualityFilter (fineweb_quality_filter.py):
 * lines ending in punctuation, short lines, duplicated line characters and
 * newlines per word. */
#include "filters/quality_internal.h"

#include <string.h>

/* datatrove 0.10: lines are the non-empty lines of text.split("\n"); a line
 * "ends in punctuation" when its last code point is a sentence terminal
 * (datatrove's TERMINAL_PUNCTUATION, Unicode Sentence_Terminal; not quotes). */
void fineweb_measure(quality_ctx *q, const char *text, size_t len, fineweb_stats *o)
{
    const quality_config *c = &q->cfg;
    memset(o, 0, sizeof *o);
    span_list lines = {q->spv, 0, q->spv_cap};
    size_t st = 0;
    const unsigned char *s = (const unsigned char *)text;
    for (;;) {   /* each line: up to the next "\n" (memchr) or the end */
        const char *nl = memchr(text + st, '\n', len - st);
        size_t i = nl ? (size_t)(nl - text) : len;
        if (nl) o->newlines++;
        size_t so = st, sn = i - st;
        quality_strip_span(text, &so, &sn);
        if (sn) quality_span_push(&lines, st, i - st);
        if (!nl) break;
        st = i + 1;
    }
    o->lines = lines.n;
    for (size_t i = 0; i < lines.n; i++) {
        size_t off = lines.v[i].off, n = lines.v[i].len;
        size_t k = 1;
        while (k < 4 && k < n && (s[off + n - k] & 0xC0) == 0x80) k++;
        int32_t last;
        if (utf8_decode_at(s, off + n, off + n - k, &last) != k) last = 0xFFFD;
        if (words_is_sent_punct(last)) o->punct_lines++;
        if ((double)quality_cp_count(text + off, n) <= c->short_line_length) o->short_lines++;
    }
    uint64_t d;
    quality_find_duplicates(q, text, lines.v, lines.n, &d, &o->dup_chars);
    o->chars_no_newline = quality_text_cps(q, text, len) - o->newlines;
    q->spv = lines.v;
    q->spv_cap = lines.cap;
    words_split(&q->w, text, len);
    o->words = q->w.ntoks;
    o->line_punct_ratio = quality_ratio((double)o->punct_lines, (double)o->lines);
    o->short_line_ratio = quality_ratio((double)o->short_lines, (double)o->lines);
    o->char_dup_ratio = quality_ratio((double)o->dup_chars, (double)o->chars_no_newline);
    o->list_ratio = quality_ratio((double)o->newlines, (double)o->words);   /* 0 with no words */
    const char *r = NULL;
    if (!o->lines) r = "empty";
    else if (o->line_punct_ratio < c->line_punct_thr &&
             !(o->line_punct_ratio == 0 && c->line_punct_exclude_zero))
        r = "line_punct_ratio";
    else if (o->short_line_ratio > c->short_line_thr) r = "short_line_ratio";
    else if (o->char_dup_ratio > c->char_duplicates_ratio) r = "char_dup_ratio";
    else if (o->list_ratio > c->new_line_ratio) r = "list_ratio";
    o->reason = r;
}

void fineweb_json(const fineweb_stats *s, sbuf *b)
{
    int f = 1;
    sb_addc(b, '{');
    quality_json_verdict(b, &f, "pass", "reason", s->reason);
    quality_json_num(b, &f, "line_punct_ratio", s->line_punct_ratio);
    quality_json_num(b, &f, "short_line_ratio", s->short_line_ratio);
    quality_json_num(b, &f, "char_dup_ratio", s->char_dup_ratio);
    quality_json_num(b, &f, "list_ratio", s->list_ratio);
    quality_json_uint(b, &f, "lines", s->lines);
    quality_json_uint(b, &f, "words", s->words);
    sb_addc(b, '}');
}
