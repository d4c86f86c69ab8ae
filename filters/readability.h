/* readability.h - readability counts and the seven classic formulas.
 *
 * Definitions (also in `blalm tag --help`):
 *  - Text is UTF-8; each invalid byte sequence counts as one U+FFFD (and is
 *    counted in `invalid_utf8`). NUL bytes are ordinary control characters.
 *  - A token is a maximal run of non-whitespace code points (Python's
 *    str.split()). A token is a *word* when it holds at least one letter or
 *    digit (Unicode L* or N*); tokens of only punctuation/symbols are not words.
 *  - letters: code points of category L* or N* inside words.
 *  - A word's *core* is the word without the code points that are not letters,
 *    marks, digits, '_' or ASCII apostrophe (textstat's remove_punctuation),
 *    lowercased: "Well-known," -> "wellknown".
 *  - syllables: hyphenation points of the core + 1, computed exactly as
 *    pyphen 0.13 does (`len(Pyphen(lang='en_US').positions(w)) + 1`) with the
 *    patterns of hyph_en_US.dic (Debian hyphen-en-us) and left = right = 2.
 *  - polysyllables: words of 3 or more syllables.
 *  - difficult_words: words whose core, with apostrophes kept only before a
 *    contraction ending (n't 's 'd 've 'll 're), is not on the New Dale-Chall
 *    familiar list as it stands (textstat 0.7.11's rule: no inflections;
 *    numbers and words with non-ASCII letters are not on the list).
 *  - sentences (textstat 0.7.11's rule plus the usual exceptions): a run of
 *    . ! ? (or an ellipsis) ends a segment, wherever it is ("house.Then",
 *    "5 p.m. The"); line breaks do not. A segment of 1-2 words (pieces of
 *    whitespace tokens, split at the breaks, that hold a letter or digit) is
 *    no sentence ("Thanks!", "1."). Exceptions, where a '.' does not end one:
 *      * decimals ("3.14": a digit on both sides),
 *      * abbreviations (Mr. Dr. St. vs. e.g. i.e. ..., see readability.c;
 *        etc. Inc. Co. and months end one only before a capital),
 *      * initials and dotted acronyms ("J.", "U.S."), except "A." and "I.",
 *      * an ellipsis ("..", "...", U+2026) followed by a lowercase word.
 *    A text with words has at least one sentence.
 *  - Zero words: every count is 0 and every score is 0 (never NaN or inf).
 *
 * Formulas (REFERENCE.md §5; W words, S sentences, Y syllables, L letters,
 * P polysyllables, D difficult words):
 *   flesch_reading_ease         206.835 - 1.015 W/S - 84.6 Y/W
 *   flesch_kincaid_grade        0.39 W/S + 11.8 Y/W - 15.59
 *   automated_readability_index 4.71 L/W + 0.5 W/S - 21.43
 *   coleman_liau_index          0.0588 (100 L/W) - 0.296 (100 S/W) - 15.8
 *   smog_index                  3.1291 + 1.043 sqrt(P 30/S)
 *   gunning_fog                 0.4 (W/S + 100 P/W)
 *   dale_chall                  0.1579 (100 D/W) + 0.0496 W/S, + 3.6365 if D/W > 0.05
 */
#ifndef BLALM_FILTERS_READABILITY_H
#define BLALM_FILTERS_READABILITY_H

#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"

#define READABILITY_DEFAULT_DIC "/usr/share/hyphen/hyph_en_US.dic"

typedef struct readability_counts {
    uint64_t words, sentences, syllables, letters, polysyllables, difficult_words;
    uint64_t invalid_utf8;
} readability_counts;

typedef struct readability_scores {
    double flesch_reading_ease, flesch_kincaid_grade, automated_readability_index,
        coleman_liau_index, smog_index, gunning_fog, dale_chall;
} readability_scores;

/* Holds the hyphenation patterns (as an automaton), the familiar-word set and
 * a per-token cache. Not thread-safe: one per thread. */
typedef struct readability_ctx readability_ctx;

/* dic_path NULL = READABILITY_DEFAULT_DIC (or $BLALM_HYPHEN_DIC when set). */
readability_ctx *readability_new(const char *dic_path, blalm_err *e);
void readability_free(readability_ctx *c);

/* Syllables of one word as pyphen counts them (lowercases first); the word is
 * used as given (no core extraction), over its first 1000 code points. */
int readability_syllables(readability_ctx *c, const char *word, size_t len);

void readability_count(readability_ctx *c, const char *text, size_t len,
                       readability_counts *out);
/* The same over a text already split (ws_split; sp->text is the text). */
void readability_count_spans(readability_ctx *c, const ws_spans *sp, readability_counts *out);
/* on = 0 turns the per-token cache off: every token takes the reference path
 * (tests check that both give identical counts). Default on. */
void readability_set_token_cache(readability_ctx *c, int on);
/* on = 0 hyphenates with the reference matcher (every substring of the word
 * looked up in a hash table, pyphen's loop) instead of the pattern automaton
 * (tests check that both give identical counts); clears the caches. Default on
 * (off by itself for a patterns file the automaton cannot hold: over 65535
 * states, a key over 31 code points, over 1023 distinct letters or 32 MiB).
 * Returns 0, or -1 (nothing changed) when the reference tables cannot be
 * allocated or the automaton is missing. */
int readability_set_hyphen_automaton(readability_ctx *c, int on);
/* Pure function of the counts; every score is finite. */
void readability_scores_of(const readability_counts *k, readability_scores *out);

/* Appends the `readability` attribute object ({"words":...,"dale_chall":...}). */
void readability_json(const readability_counts *k, const readability_scores *s, sbuf *out);

#endif
