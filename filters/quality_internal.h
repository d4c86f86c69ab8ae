/* quality_internal.h - what the files behind filters/quality.h share: the
 * spaCy-style word splitter (words_spacy.c), C4's phrase search
 * (c4_phrases.c), the measures' context and text helpers (quality.c).
 * The measures live in gopher_quality.c, gopher_repetition.c, c4.c and
 * fineweb.c. Used by those files and the unit tests only. */
#ifndef BLALM_FILTERS_QUALITY_INTERNAL_H
#define BLALM_FILTERS_QUALITY_INTERNAL_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "filters/quality.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"

/* ---------- words (words_spacy.c) ---------- */

enum {
    TF_ALPHA = 1,       /* some code point isalpha() */
    TF_NONSYM = 2,      /* some code point not in datatrove's PUNCTUATION_SET */
    TF_PUNCT = 4,       /* every code point is Unicode punctuation (spaCy is_punct) */
    TF_SENT = 8,        /* exactly one sentencizer punct char */
    TF_STOP = 16,       /* one of Gopher's stop words (case-sensitive) */
};

/* 16 bytes a token: a huge document's tokens are the largest table the
 * measures keep (Gopher repetition keeps each token's id apart). */
typedef struct token {
    uint64_t off : 56;   /* byte offset in the text */
    uint64_t flags : 8;  /* TF_* */
    uint32_t len, ncp;   /* bytes, code points */
} token;

/* spaCy's units after a number (km, mph, %, ...): how many, and the most
 * code points in one */
#define N_UNITS 48
#define UNIT_MAX_CPS 4

/* The splitter's state: the last text's tokens and scratch reused across
 * texts (one per thread). */
typedef struct words_ctx {
    token *toks;
    size_t ntoks, tok_cap;
    int32_t *cps;    /* one chunk's code points and byte offsets */
    size_t *offs;
    size_t cp_cap;
    struct chunk_entry *chunks;     /* the chunk cache, allocated on first use */
    uint64_t abbrev_hash[512];      /* spaCy special cases, by code point hash */
    uint8_t abbrev_len[512];
    int32_t unit_cps[N_UNITS][UNIT_MAX_CPS];   /* spaCy's units, as code points */
    uint8_t unit_len[N_UNITS];
    uint8_t ascii_flags[128];       /* TF_ALPHA, TF_NONSYM, TF_PUNCT of each ASCII code point */
    uint64_t *thash;                /* per token: utf8_piece_hash of its bytes */
    size_t thash_cap;
    int thash_ok;                   /* thash holds them (not for huge texts) */
    uint64_t tok_hash;              /* the text toks was made from (xxh3, length) */
    size_t tok_len;
    int tok_valid;
    int tok_ext;                    /* toks was made from ext (no xxh3 taken) */
    ws_spans own;                   /* a text's split, when the caller gave none */
    const ws_spans *ext;            /* the caller's split (quality_use_split) */
    int no_cache;                   /* the reference path: no chunk cache */
} words_ctx;
_Static_assert(sizeof(token) == 16, "a token is 16 bytes");

void words_init(words_ctx *w);
void words_free(words_ctx *w);
/* Splits text into w->toks[0..w->ntoks), with each token's utf8_piece_hash
 * in w->thash[0..w->ntoks) when w->thash_ok (texts up to 1 MiB); a no-op
 * when w->toks already holds this text's tokens (the measures of one
 * document share one split: the tokens made from w->ext stay this text's
 * until quality_use_split is called again, others are recognised by an xxh3
 * of the text). Uses w->ext when it is this text's whitespace split. Aborts
 * when out of memory. */
void words_split(words_ctx *w, const char *text, size_t len);
/* spaCy sentencizer sentences over t[0..n) (>= 1 if n > 0). */
size_t words_sentences(const token *t, size_t n);
/* c is in spaCy's Sentencizer.default_punct_chars (all 128). */
int words_is_sent_punct(int32_t c);
/* Gopher's default stop words (case-sensitive), datatrove's: the index of
 * t[0..len) in "the be to of and that have with" (0..7), -1 for any other. */
int words_stop_index(const char *t, size_t len);
/* c is in datatrove's TERMINAL_PUNCTUATION (FineWeb's line ends). */
int fineweb_is_terminal_punct(int32_t c);
/* c is in the ascending table t[0..n). */
int quality_in_sorted(uint32_t c, const uint32_t *t, size_t n);

/* Python str.isspace() */
static inline int is_py_space(int32_t c) { return c >= 0 && py_isspace((uint32_t)c); }

/* ---------- C4 phrases (c4_phrases.c) ---------- */

enum { PH_LOREM = 1, PH_JS = 2, PH_POLICY = 4 };
typedef struct c4_phrases {
    /* by a byte pair's low five bits each (ASCII case folded): bit j set =
     * some phrase has that pair at offset j (0..8) */
    uint16_t at[1024];
    uint32_t head[8];      /* each phrase's first four bytes */
} c4_phrases;
void c4_phrases_init(c4_phrases *p);
/* Which of C4's phrases t[0..n) contains, ASCII case-insensitively: an OR of
 * PH_LOREM ("lorem ipsum"), PH_JS ("javascript") and PH_POLICY (the policy
 * phrases: "terms of use", "privacy policy", "cookie policy", "uses cookies",
 * "use of cookies", "use cookies"). */
int c4_phrases_find(const c4_phrases *p, const char *t, size_t n);

/* ---------- the measures' context (quality.c) ---------- */

typedef struct span {
    size_t off, len;
} span;

typedef struct span_list {
    span *v;
    size_t n, cap;
} span_list;

struct quality_ctx {
    quality_config cfg;
    words_ctx w;
    struct rep_scratch *rep;    /* Gopher repetition's tables (gopher_repetition.c) */
    int reference;              /* fast paths off (tests) */
    size_t join_chunk;          /* quality_set_join_chunk (tests); 0 = by size */
    uint64_t text_cps;          /* code points of the caller's split's text */
    int text_cps_ok;            /* text_cps is known (until quality_use_split) */
    /* lines and paragraphs, reused across documents (no allocation per document) */
    span *spv;                  /* line/paragraph spans */
    size_t spv_cap;
    uint64_t *dup_h;            /* quality_find_duplicates' table */
    size_t *dup_idx;
    size_t dup_cap;
    /* C4 */
    char *buf;                  /* the lines with citations removed */
    size_t buf_cap;
    struct c4_line *c4l;        /* per-line facts */
    size_t c4l_cap;
    c4_phrases ph;
    pcre2_code *citation;
    pcre2_match_data *md;
    int jit;
    /* Gopher's stop words when not datatrove's default (quality_set_stop_words):
     * stop[0..nstop) sorted by (length, bytes), pointing into stop_text */
    int stop_custom;
    struct stop_word { const char *s; size_t len; } *stop;
    size_t nstop;
    char *stop_text;
    /* stop[i] seen in this document when stop_seen[i] == stop_gen (datatrove
     * counts distinct stop words); a new document moves stop_gen, so nothing
     * is cleared per document */
    uint32_t *stop_seen, stop_gen;
};

/* The index in q->stop of the custom stop word t[0..len) (q->stop_custom),
 * the first of equal ones; -1 when it is none. */
long quality_stop_index(const quality_ctx *q, const char *t, size_t len);

/* Frees the tables behind q->rep (gopher_repetition.c). */
void gopher_repetition_scratch_free(struct rep_scratch *r);

/* Scratch tables grow with the longest document so far, on huge pages once
 * they reach MEM_BIG; aborts when out of memory. */
void *quality_xrealloc(void *p, size_t n);
/* Code points, with each invalid byte counting as one (as U+FFFD would). */
uint64_t quality_cp_count(const char *s, size_t n);
/* The same of a whole text, counted once for all measures when it is the
 * text of the split given to quality_use_split. */
uint64_t quality_text_cps(quality_ctx *q, const char *text, size_t len);
void quality_span_push(span_list *l, size_t off, size_t len);
/* Exact-duplicate counting over byte ranges (datatrove's find_duplicates):
 * the number of ranges equal to an earlier one, and their code points. */
void quality_find_duplicates(quality_ctx *q, const char *text, const span *sp, size_t n,
                             uint64_t *dups, uint64_t *dup_chars);
/* Python str.splitlines() of text into out (out->n reset first). */
void quality_split_lines(const char *text, size_t len, span_list *out);
/* Python str.strip() on a byte range */
void quality_strip_span(const char *text, size_t *off, size_t *len);
/* Non-overlapping occurrences of needle (Python str.count). */
size_t quality_count_sub(const char *s, size_t n, const char *needle);
int quality_ends_with(const char *s, size_t n, const char *suf);
static inline double quality_ratio(double a, double b) { return b > 0 ? a / b : 0.0; }
/* None/0 disable a rule, as in Python truthiness */
static inline int quality_rule_on(double thr) { return thr >= 0 && thr != 0; }

/* JSON members of the attribute records */
void quality_json_num(sbuf *b, int *first, const char *k, double v);
void quality_json_uint(sbuf *b, int *first, const char *k, uint64_t v);
void quality_json_verdict(sbuf *b, int *first, const char *pass_key, const char *reason_key,
                          const char *reason);

#endif
