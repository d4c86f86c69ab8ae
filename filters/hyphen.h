/* hyphen.h - pyphen's hyphenation count on TeX-style patterns (a
 * hyph_en_US.dic file), as textstat counts syllables of words CMUdict lacks.
 *
 * pyphen's algorithm reimplemented rather than calling libhyphen, because
 * libhyphen adds a first hyphenation level of its own (breaks at '-', '\'',
 * U+2013, U+2019) and applies its minimums in bytes, which pyphen does not.
 * The patterns run as an Aho-Corasick automaton over code point classes; a
 * reference matcher (pyphen's loop: every substring of the word looked up in
 * a hash table) checks it in the tests and serves pattern files the
 * automaton cannot hold (over 65535 states, a key over 31 code points, over
 * 1023 distinct letters or 32 MiB). */
#ifndef BLALM_FILTERS_HYPHEN_H
#define BLALM_FILTERS_HYPHEN_H

#include <stddef.h>
#include "lib/err.h"

/* Words are hyphenated over their first HYPHEN_MAX_CP code points. */
#define HYPHEN_MAX_CP 1000

/* Patterns and scratch for one word; not thread-safe: one per thread. */
typedef struct hyphen_dict hyphen_dict;

/* Loads a patterns file (first line "UTF-8"; LEFTHYPHENMIN and the like are
 * ignored: pyphen's minimums, left = right = 2, apply). Returns NULL with an
 * error naming the file (and line) on failure. */
hyphen_dict *hyphen_load(const char *path, blalm_err *e);
void hyphen_free(hyphen_dict *h);

/* Hyphenation points + 1 of a lowercased UTF-8 word (its first HYPHEN_MAX_CP
 * code points) within pyphen's minimums: pyphen's syllable count. */
int hyphen_count(hyphen_dict *h, const char *w, size_t len);

/* 1 when counts come from the automaton, 0 from the reference matcher. */
int hyphen_automaton_on(const hyphen_dict *h);
/* on = 0: the reference matcher from now on; on = 1: the automaton. Returns
 * 0, or -1 (nothing changed) when the automaton is missing (the patterns did
 * not fit it) or the reference tables cannot be allocated. */
int hyphen_set_automaton(hyphen_dict *h, int on);

#endif
