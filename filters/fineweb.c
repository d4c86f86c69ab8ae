/* fineweb.c - datatrove's FineWebQualityFilter (fineweb_quality_filter.py):
 * lines ending in punctuation, short lines, duplicated line characters and
 * newlines per word. */
#include "filters/quality_internal.h"

#include <string.h>

/* datatrove's TERMINAL_PUNCTUATION (src/datatrove/utils/text.py), the
 * default stop_chars of FineWebQualityFilter: 159 code points, the 128 of
 * spaCy's sentencizer and 31 more (Khmer, Mandaic, Sogdian, ...; no quotes,
 * no comma), sorted for the binary search. */
static const uint32_t terminal_punctuation[] = {
    0x21, 0x2E, 0x3F, 0x589, 0x61D, 0x61E, 0x61F, 0x6D4,
    0x700, 0x701, 0x702, 0x7F9, 0x837, 0x839, 0x83D, 0x83E,
    0x964, 0x965, 0x104A, 0x104B, 0x1362, 0x1367, 0x1368, 0x166E,
    0x1735, 0x1736, 0x17D4, 0x17D5, 0x17D6, 0x17D9, 0x17DA, 0x1803,
    0x1809, 0x1944, 0x1945, 0x1AA8, 0x1AA9, 0x1AAA, 0x1AAB, 0x1B5A,
    0x1B5B, 0x1B5E, 0x1B5F, 0x1B7D, 0x1B7E, 0x1C3B, 0x1C3C, 0x1C7E,
    0x1C7F, 0x203C, 0x203D, 0x2047, 0x2048, 0x2049, 0x2E2E, 0x2E3C,
    0x2E53, 0x2E54, 0x3002, 0xA4FF, 0xA60E, 0xA60F, 0xA6F3, 0xA6F7,
    0xA876, 0xA877, 0xA8CE, 0xA8CF, 0xA92F, 0xA9C8, 0xA9C9, 0xAA5D,
    0xAA5E, 0xAA5F, 0xAAF0, 0xAAF1, 0xABEB, 0xFE52, 0xFE56, 0xFE57,
    0xFF01, 0xFF0E, 0xFF1F, 0xFF61, 0x10A56, 0x10A57, 0x10F55, 0x10F56,
    0x10F57, 0x10F58, 0x10F59, 0x10F86, 0x10F87, 0x10F88, 0x10F89, 0x11047,
    0x11048, 0x110BE, 0x110BF, 0x110C0, 0x110C1, 0x11141, 0x11142, 0x11143,
    0x111C5, 0x111C6, 0x111CD, 0x111DE, 0x111DF, 0x11238, 0x11239, 0x1123B,
    0x1123C, 0x112A9, 0x1144B, 0x1144C, 0x115C2, 0x115C3, 0x115C9, 0x115CA,
    0x115CB, 0x115CC, 0x115CD, 0x115CE, 0x115CF, 0x115D0, 0x115D1, 0x115D2,
    0x115D3, 0x115D4, 0x115D5, 0x115D6, 0x115D7, 0x11641, 0x11642, 0x1173C,
    0x1173D, 0x1173E, 0x11944, 0x11946, 0x11A42, 0x11A43, 0x11A9B, 0x11A9C,
    0x11C41, 0x11C42, 0x11EF7, 0x11EF8, 0x11F43, 0x11F44, 0x16A6E, 0x16A6F,
    0x16AF5, 0x16B37, 0x16B38, 0x16B44, 0x16E98, 0x1BC9F, 0x1DA88,
};

int fineweb_is_terminal_punct(int32_t c)
{
    if (c < 0x80) return c == '!' || c == '.' || c == '?';
    return quality_in_sorted((uint32_t)c, terminal_punctuation,
                             sizeof terminal_punctuation / sizeof *terminal_punctuation);
}

/* datatrove 0.10: lines are the non-empty lines of text.split("\n"); a line
 * "ends in punctuation" when it ends with one of stop_chars, i.e. its last
 * code point is in TERMINAL_PUNCTUATION (a line ending in spaces does not). */
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
        if (fineweb_is_terminal_punct(last)) o->punct_lines++;
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
