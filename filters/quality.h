/* quality.h - Gopher quality, Gopher repetition, C4 and FineWeb statistics,
 * each with datatrove 0.10's verdict and reason name.
 *
 * Definitions follow datatrove's filters (gopher_quality_filter.py,
 * gopher_repetition_filter.py, c4_filters.py, fineweb_quality_filter.py):
 *  - words: datatrove's English word_tokenize, i.e. spaCy's tokenizer rules
 *    (spacy.blank("en")), approximated in words_spacy.c: whitespace splits chunks;
 *    prefixes (opening quotes/brackets, currency, most punctuation), suffixes
 *    (closing punctuation, 's, units after numbers, a final period after a
 *    lowercase letter/digit/two capitals) and infixes (hyphens between letters,
 *    ellipses, commas between letters, / : < > = between letters, math between
 *    digits) become tokens of their own; URLs, e-mail addresses and spaCy's
 *    abbreviations ("e.g.", "Mr.", "a."-"z.") and contractions ("do" "n't")
 *    follow spaCy. n-grams compare token sequences.
 *  - lengths are in code points (Python len); lines as in each filter
 *    (str.splitlines() for Gopher quality and C4, re.split("\n+") for Gopher
 *    repetition lines, the non-empty lines of str.split("\n") for FineWeb, as
 *    datatrove 0.10 does); paragraphs split at 2 or more newlines of the
 *    stripped text. FineWeb's "line ends in punctuation" means its last code
 *    point is in datatrove's TERMINAL_PUNCTUATION (159 code points: . ! ? and
 *    the other scripts' terminals; not quotes); sentences end at spaCy's
 *    Sentencizer.default_punct_chars (128 of those).
 *  - Where datatrove would divide by zero (empty text, no lines, no words) the
 *    ratio is 0 (FineWeb's newline/word ratio uses max(words, 1)); such texts
 *    fail the word-count rule first (Gopher), the sentence rule (C4) or
 *    FineWeb's "empty" rule.
 *  - Consecutive measures of the same text share one tokenization (the text
 *    given to quality_use_split, else keyed by an xxh3 hash of the text), so
 *    tagging all sets costs one tokenizer pass.
 *  - Each set records every statistic even after a rule has failed; `reason`
 *    is the first failing rule in datatrove's order, null when all pass.
 */
#ifndef BLALM_FILTERS_QUALITY_H
#define BLALM_FILTERS_QUALITY_H

#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"

/* Thresholds; quality_defaults() sets datatrove's. A negative value (or
 * false) disables a rule, as None / -1 / False do in datatrove. */
typedef struct quality_config {
    /* gopher_quality */
    double min_doc_words, max_doc_words, min_avg_word_length, max_avg_word_length,
        max_symbol_word_ratio, max_bullet_lines_ratio, max_ellipsis_lines_ratio,
        max_non_alpha_words_ratio, min_stop_words;
    /* gopher_repetition */
    double dup_line_frac, dup_para_frac, dup_line_char_frac, dup_para_char_frac;
    double top_n_gram_frac[3];   /* n = 2, 3, 4 */
    double dup_n_gram_frac[6];   /* n = 5..10 */
    /* c4 */
    int c4_remove_citations, c4_filter_no_terminal_punct, c4_filter_lorem_ipsum,
        c4_filter_javascript, c4_filter_curly_bracket, c4_filter_policy;
    double c4_min_num_sentences, c4_min_words_per_line, c4_max_word_length;
    /* fineweb */
    double line_punct_thr, short_line_thr, short_line_length, char_duplicates_ratio,
        new_line_ratio;
    int line_punct_exclude_zero;
} quality_config;

void quality_defaults(quality_config *c);

typedef struct gopher_quality_stats {
    uint64_t n_words, n_non_symbol_words, hashes, ellipses, lines, bullet_lines,
        ellipsis_lines, alpha_words, stop_words;
    double avg_word_length, hash_word_ratio, ellipsis_word_ratio, bullet_lines_ratio,
        ellipsis_lines_ratio, alpha_words_ratio;
    const char *reason;   /* NULL = pass */
} gopher_quality_stats;

typedef struct gopher_repetition_stats {
    uint64_t chars, paragraphs, dup_paragraphs, lines, dup_lines, words;
    double dup_para_frac, dup_para_char_frac, dup_line_frac, dup_line_char_frac;
    double top_n_gram_char_frac[3];  /* n = 2, 3, 4 */
    double dup_n_gram_char_frac[6];  /* n = 5..10 */
    const char *reason;
} gopher_repetition_stats;

typedef struct c4_variant {
    uint64_t lines_kept, chars_kept, sentences;
    uint64_t lines_too_long_word, lines_no_terminal_punct, lines_too_few_words,
        lines_javascript, lines_policy, citations_removed;
    int lorem_ipsum, curly_bracket;
    const char *reason;
} c4_variant;

typedef struct c4_stats {
    uint64_t chars, lines;
    c4_variant v;         /* with the configured rules */
    c4_variant no_punct;  /* the same without the terminal-punctuation rule */
} c4_stats;

typedef struct fineweb_stats {
    uint64_t lines, punct_lines, short_lines, dup_chars, chars_no_newline, newlines, words;
    double line_punct_ratio, short_line_ratio, char_dup_ratio, list_ratio;
    const char *reason;
} fineweb_stats;

/* Scratch reused across documents (token arrays, hash tables, PCRE2 code).
 * One per thread. */
typedef struct quality_ctx quality_ctx;
quality_ctx *quality_new(const quality_config *cfg, blalm_err *e);
/* on = 0 takes the reference paths: no chunk cache in the tokenizer and
 * every n-gram position through the hash tables (tests check that both give
 * identical statistics). Default on. */
void quality_set_fast_paths(quality_ctx *q, int on);
/* Tests: Gopher repetition's duplicated n-grams as on a huge document (the
 * joined hashes rolled `chunk` positions at a time, not kept per position);
 * 0 = by the document's size (the default). */
void quality_set_join_chunk(quality_ctx *q, size_t chunk);
/* Gopher quality's stop words, datatrove's GopherQualityFilter(stop_words=...):
 * a word (token) counts when it equals one of words[0..n) byte for byte.
 * words NULL: datatrove's default (the be to of and that have with). The
 * words are copied. 0, or -1 out of memory. */
int quality_set_stop_words(quality_ctx *q, const char *const *words, size_t n, blalm_err *e);
void quality_free(quality_ctx *q);
/* The measures' tokenizer starts from this split (ws_split) of a text when
 * they are given that same text (sp->text, sp->len), instead of splitting it
 * again, and the measures of that text share one tokenization without
 * hashing the text; sp must stay valid and unchanged while measures use it
 * (call this again after splitting another text into it). NULL: split on
 * our own. */
void quality_use_split(quality_ctx *q, const ws_spans *sp);

/* Each works on any bytes (invalid UTF-8 counts as U+FFFD per bad byte; NUL is
 * an ordinary control character). */
void gopher_quality_measure(quality_ctx *q, const char *text, size_t len, gopher_quality_stats *o);
void gopher_repetition_measure(quality_ctx *q, const char *text, size_t len,
                               gopher_repetition_stats *o);
void c4_measure(quality_ctx *q, const char *text, size_t len, c4_stats *o);
void fineweb_measure(quality_ctx *q, const char *text, size_t len, fineweb_stats *o);

void gopher_quality_json(const gopher_quality_stats *s, sbuf *out);
void gopher_repetition_json(const gopher_repetition_stats *s, sbuf *out);
void c4_json(const c4_stats *s, sbuf *out);
void fineweb_json(const fineweb_stats *s, sbuf *out);

/* datatrove's PUNCTUATION string (datatrove/utils/text.py): ASCII
 * punctuation, C0 and C1 controls but \t and \n, and 34 others (— ” ’ « » …
 * 、 。 fullwidth marks ...). Its filters and simplify_text use it. */
int in_datatrove_punct(int32_t c);

/* The word tokenizer, exposed for tests: calls fn for each token (byte
 * offset and length in text). Returns the number of tokens. */
size_t quality_tokenize(quality_ctx *q, const char *text, size_t len,
                        void (*fn)(void *arg, size_t off, size_t n), void *arg);
/* spaCy sentencizer sentence count over the tokens of text (>= 1 if any token). */
size_t quality_sentences(quality_ctx *q, const char *text, size_t len);

#endif
