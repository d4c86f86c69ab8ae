/* libFuzzer harness: the hyphenation patterns file (filters/hyphen.c,
 * hyph_en_US.dic's TeX-style patterns; `blalm tag` reads the one
 * $BLALM_HYPHEN_DIC names).
 *
 * The input is the file. Invariants: a load that fails leaves a message
 * naming the file; a loaded file counts at least 1 syllable and at most the
 * word's bytes (and 1 more) for fixed words, the input's own
 * whitespace-separated words and the input whole, and the pattern automaton
 * (when the patterns fit it) and the reference matcher give the same counts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/hyphen.h"
#include "tests/fuzz/fuzz_common.h"

static char dir[96];

static int count_both(hyphen_dict *h, const char *w, size_t n)
{
    int a = hyphen_count(h, w, n), b = a;
    if (hyphen_automaton_on(h)) {
        if (hyphen_set_automaton(h, 0) == 0) {
            b = hyphen_count(h, w, n);
            if (hyphen_set_automaton(h, 1) != 0) abort();
        }
    }
    if (a != b || a < 1 || (size_t)a > n + 1) {
        fprintf(stderr, "'%.*s': automaton %d, reference %d\n", (int)n, w, a, b);
        abort();
    }
    return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_scratch(dir, sizeof dir, "hyphen");
    char path[160];
    snprintf(path, sizeof path, "%s/patterns.dic", dir);
    fuzz_put(path, data, size);
    blalm_err e = {{0}};
    hyphen_dict *h = hyphen_load(path, &e);
    if (!h) {
        if (!strstr(e.msg, path) && !strstr(e.msg, "out of memory")) abort();
        return 0;
    }
    static const char *const words[] = {"hyphenation", "readability", "a", "", "extraordinary",
                                        "caf\xc3\xa9", "na\xc3\xafve", "\xd0\xbc\xd0\xb8\xd1\x80",
                                        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) count_both(h, words[i], strlen(words[i]));
    const char *s = (const char *)data;
    for (size_t i = 0; i < size;) {
        while (i < size && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t')) i++;
        size_t st = i;
        while (i < size && s[i] != ' ' && s[i] != '\n' && s[i] != '\t') i++;
        if (i > st) count_both(h, s + st, i - st);
    }
    count_both(h, s, size > 4000 ? 4000 : size);
    hyphen_free(h);
    return 0;
}
