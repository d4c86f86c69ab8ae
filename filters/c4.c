/* c4.c - datatrove's C4QualityFilter (c4_filters.py) line by line: the
 * verdict with the configured rules and without the terminal-punctuation
 * rule, with the lines and characters each keeps. */
#include "filters/quality_internal.h"


#include <stdio.h>
#include <string.h>

typedef struct c4_line {
    size_t off, len;          /* the line after strip(), before citation removal */
    int too_long, punct_ok, lorem, js, curly, policy;
    uint64_t words, citations;
    uint64_t kept_cps;        /* code points after citation removal */
    /* whitespace code points that citation removal left at the line's two
     * ends; blank: nothing else is left (then lead_ws == kept_cps) */
    uint64_t lead_ws, trail_ws;
    int blank;
    size_t sentences;         /* computed lazily; (size_t)-1 = not yet */
    size_t buf_off, buf_len;  /* citation-removed text in q->buf-like storage */
} c4_line;

/* chars_kept is len("\n".join(kept).strip()). Kept lines were stripped
 * before citation removal, so only what that removal exposed can be
 * stripped: the outer strip() eats the blank kept lines at either end with
 * their join newlines, and the whitespace at the outer ends of the first and
 * last non-blank kept lines; blank lines between two non-blank ones stay. */
static void c4_run(const c4_line *ls, size_t n, int use_punct, const quality_config *c,
                   c4_variant *v)
{
    memset(v, 0, sizeof *v);
    uint64_t chars = 0;   /* the join from the first non-blank kept line on */
    uint64_t tail = 0;    /* of which strippable at the end */
    int started = 0;
    for (size_t i = 0; i < n; i++) {
        const c4_line *l = &ls[i];
        if (c->c4_max_word_length >= 0 && l->too_long) {
            v->lines_too_long_word++;
            continue;
        }
        v->citations_removed += l->citations;
        if (use_punct && !l->punct_ok) {
            v->lines_no_terminal_punct++;
            continue;
        }
        if ((double)l->words < c->c4_min_words_per_line) {
            v->lines_too_few_words++;
            continue;
        }
        if (c->c4_filter_lorem_ipsum && l->lorem) {
            v->lorem_ipsum = 1;
            v->reason = "lorem_ipsum";
            break;
        }
        if (c->c4_filter_javascript && l->js) {
            v->lines_javascript++;
            continue;
        }
        if (c->c4_filter_curly_bracket && l->curly) {
            v->curly_bracket = 1;
            v->reason = "curly_bracket";
            break;
        }
        if (c->c4_filter_policy && l->policy) {
            v->lines_policy++;
            continue;
        }
        v->sentences += l->sentences;
        v->lines_kept++;
        if (!started) {
            if (l->blank) continue;   /* stripped away with its newline */
            started = 1;
            chars = l->kept_cps - l->lead_ws;
            tail = l->trail_ws;
        } else {
            chars += 1 + l->kept_cps;   /* the "\n" join and the line */
            tail = l->blank ? tail + 1 + l->kept_cps : l->trail_ws;
        }
    }
    v->chars_kept = chars - tail;
    if (!v->reason && (double)v->sentences < c->c4_min_num_sentences) v->reason = "too_few_sentences";
}

void c4_measure(quality_ctx *q, const char *text, size_t len, c4_stats *o)
{
    const quality_config *c = &q->cfg;
    memset(o, 0, sizeof *o);
    o->chars = quality_text_cps(q, text, len);
    span_list lines = {q->spv, 0, q->spv_cap};
    quality_split_lines(text, len, &lines);
    o->lines = lines.n;
    /* Line boundaries are whitespace, so no token crosses a line: a line's
     * sentences can be counted over the document's tokens in its range
     * (lines changed by citation removal are tokenized on their own). */
    words_split(&q->w, text, len);
    uint64_t text_hash = q->w.tok_hash;   /* the text's xxh3, for handing the tokens back */
    int text_ext = q->w.tok_ext, text_thash = q->w.thash_ok;
    token *dtoks = q->w.toks;
    uint64_t *dhash = q->w.thash;
    size_t ndtoks = q->w.ntoks, tk = 0, dcap = q->w.tok_cap, dhcap = q->w.thash_cap;
    q->w.toks = NULL;
    q->w.thash = NULL;
    q->w.ntoks = q->w.tok_cap = q->w.thash_cap = 0;
    q->w.tok_valid = 0;
    if (lines.n > q->c4l_cap) {
        q->c4l_cap = lines.n;
        q->c4l = quality_xrealloc(q->c4l, q->c4l_cap * sizeof *q->c4l);
    }
    c4_line *ls = q->c4l;
    if (lines.n) memset(ls, 0, lines.n * sizeof *ls);
    if (q->buf_cap < len + 1) {
        q->buf_cap = len + 1;
        q->buf = quality_xrealloc(q->buf, q->buf_cap);
    }
    size_t bufp = 0;
    uint64_t max_word = c->c4_max_word_length >= 0 ? (uint64_t)c->c4_max_word_length : UINT64_MAX;
    for (size_t i = 0; i < lines.n; i++) {
        c4_line *l = &ls[i];
        size_t off = lines.v[i].off, n = lines.v[i].len;
        quality_strip_span(text, &off, &n);
        l->off = off;
        l->len = n;
        /* words = line.split(); any longer than max_word_length? */
        const unsigned char *s = (const unsigned char *)text;
        uint64_t wl = 0;   /* code points of the current word */
        int in = 0;
        for (size_t k = off, end = off + n; k < end;) {
            size_t run = utf8_plain_run8(s, end, k);   /* up to 8 ASCII non-space bytes */
            int32_t cp;
            if (run) {
                k += run;
            } else if (s[k] < 0x80) {
                cp = s[k++];
                run = !((cp >= 9 && cp <= 13) || (cp >= 0x1c && cp <= 0x20));
            } else {
                k += utf8_decode_at(s, end, k, &cp);
                run = !is_py_space(cp);
            }
            if (!run) {
                in = 0;
                wl = 0;
                continue;
            }
            l->words += !in;
            in = 1;
            wl += run;
            if (wl > max_word) l->too_long = 1;
        }
        /* citations removed (PCRE2) */
        char *dst = q->buf + bufp;
        size_t dl = 0;
        if (c->c4_remove_citations && memchr(text + off, '[', n)) {
            size_t st = 0;
            for (;;) {
                int rc = q->jit ? pcre2_jit_match(q->citation, (PCRE2_SPTR)(text + off), n, st, 0,
                                                  q->md, NULL)
                                : pcre2_match(q->citation, (PCRE2_SPTR)(text + off), n, st, 0,
                                              q->md, NULL);
                if (rc < 0) break;
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(q->md);
                memcpy(dst + dl, text + off + st, ov[0] - st);
                dl += ov[0] - st;
                l->citations++;
                st = ov[1];  /* the pattern never matches empty */
                if (st >= n) break;
            }
            if (st < n) {
                memcpy(dst + dl, text + off + st, n - st);
                dl += n - st;
            }
        } else {
            memcpy(dst, text + off, n);
            dl = n;
        }
        l->buf_off = bufp;
        l->buf_len = dl;
        bufp += dl;
        const char *t = dst;
        l->punct_ok = dl > 0 &&
                      (t[dl - 1] == '.' || t[dl - 1] == '?' || t[dl - 1] == '!' ||
                       t[dl - 1] == '"' || t[dl - 1] == '\'') &&
                      !quality_ends_with(t, dl, "...");
        int ph = c4_phrases_find(&q->ph, t, dl);
        l->lorem = (ph & PH_LOREM) != 0;
        l->js = (ph & PH_JS) != 0;
        l->policy = (ph & PH_POLICY) != 0;
        l->curly = memchr(t, '{', dl) != NULL;
        l->kept_cps = quality_cp_count(t, dl);
        {
            size_t so = 0, sn = dl;
            quality_strip_span(t, &so, &sn);
            l->blank = sn == 0;
            l->lead_ws = l->blank ? l->kept_cps : quality_cp_count(t, so);
            l->trail_ws = l->blank ? 0 : quality_cp_count(t + so + sn, dl - so - sn);
        }
        l->sentences = 0;
        /* sentences only matter for lines some variant may keep */
        while (tk < ndtoks && dtoks[tk].off < off) tk++;
        size_t te = tk;
        while (te < ndtoks && dtoks[te].off < off + n) te++;
        if (!l->too_long && (double)l->words >= c->c4_min_words_per_line && dl) {
            if (!l->citations) {
                l->sentences = words_sentences(dtoks + tk, te - tk);
            } else {
                l->sentences = quality_sentences(q, t, dl);
            }
        }
        tk = te;
    }
    c4_run(ls, lines.n, c->c4_filter_no_terminal_punct, c, &o->v);
    c4_run(ls, lines.n, 0, c, &o->no_punct);
    q->spv = lines.v;
    q->spv_cap = lines.cap;
    /* hand the document's tokens back, still valid for later measures */
    free(q->w.toks);
    free(q->w.thash);
    q->w.toks = dtoks;
    q->w.thash = dhash;
    q->w.ntoks = ndtoks;
    q->w.tok_cap = dcap;
    q->w.thash_cap = dhcap;
    q->w.tok_len = len;
    q->w.tok_hash = text_hash;
    q->w.tok_ext = text_ext;
    q->w.thash_ok = text_thash;
    q->w.tok_valid = 1;
}

static void c4_variant_json(sbuf *b, int *f, const c4_variant *v, const c4_stats *s,
                            const char *suffix)
{
    char k[96];
#define K(name) (snprintf(k, sizeof k, "%s%s", name, suffix), k)
    quality_json_num(b, f, K("lines_kept_frac"), quality_ratio((double)v->lines_kept, (double)s->lines));
    quality_json_num(b, f, K("chars_kept_frac"), quality_ratio((double)v->chars_kept, (double)s->chars));
    quality_json_uint(b, f, K("sentences"), v->sentences);
    quality_json_uint(b, f, K("lines_kept"), v->lines_kept);
    quality_json_uint(b, f, K("chars_kept"), v->chars_kept);
#undef K
}

void c4_json(const c4_stats *s, sbuf *b)
{
    int f = 1;
    sb_addc(b, '{');
    quality_json_verdict(b, &f, "pass", "reason", s->v.reason);
    quality_json_verdict(b, &f, "pass_no_terminal_punct_rule", "reason_no_terminal_punct_rule",
                s->no_punct.reason);
    c4_variant_json(b, &f, &s->v, s, "");
    c4_variant_json(b, &f, &s->no_punct, s, "_no_terminal_punct_rule");
    quality_json_uint(b, &f, "lines", s->lines);
    quality_json_uint(b, &f, "chars", s->chars);
    quality_json_uint(b, &f, "lines_too_long_word", s->v.lines_too_long_word);
    quality_json_uint(b, &f, "lines_no_terminal_punct", s->v.lines_no_terminal_punct);
    quality_json_uint(b, &f, "lines_too_few_words", s->v.lines_too_few_words);
    quality_json_uint(b, &f, "lines_javascript", s->v.lines_javascript);
    quality_json_uint(b, &f, "lines_policy", s->v.lines_policy);
    quality_json_uint(b, &f, "citations_removed", s->v.citations_removed);
    sb_json_key(b, "lorem_ipsum", &f);
    sb_json_bool(b, s->v.lorem_ipsum);
    sb_json_key(b, "curly_bracket", &f);
    sb_json_bool(b, s->v.curly_bracket);
    sb_addc(b, '}');
}
