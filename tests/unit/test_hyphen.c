/* test_hyphen.c - filters/hyphen: pyphen's counts on hyph_en_US.dic, the
 * pattern automaton against the reference matcher (random strings, odd
 * pattern files, files the automaton cannot hold), and bad pattern files. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/hyphen.h"
#include "filters/readability.h"
#include "tests/unit/test.h"

/* The patterns at path (NULL: the default hyph_en_US.dic); NULL on error. */
static hyphen_dict *load(const char *path)
{
    blalm_err e;
    hyphen_dict *h = hyphen_load(path ? path : READABILITY_DEFAULT_DIC, &e);
    if (!h) printf("# %s\n", e.msg);
    return h;
}

/* The same patterns counted by the reference matcher. */
static hyphen_dict *ref_dict(const char *path)
{
    hyphen_dict *h = load(path);
    if (h && hyphen_set_automaton(h, 0) < 0) {
        hyphen_free(h);
        return NULL;
    }
    return h;
}

static const char *write_dic(const char *name, const char *text)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    fputs(text, f);
    fclose(f);
    return path;
}

/* pyphen 0.13 (python3-pyphen) with hyph_en_US.dic and left = right = 2:
 * len(positions(w)) + 1 for these words. */
TEST(counts_as_pyphen)
{
    hyphen_dict *h = load(NULL);
    CHECK(h != NULL);
    CHECK_EQ_INT(hyphen_automaton_on(h), 1);
    static const struct { const char *w; int n; } cases[] = {
        {"hyphenation", 3}, {"readability", 4}, {"cat", 1}, {"a", 1}, {"", 1},
        {"extraordinary", 5}, {"university", 4}, {"the", 1},
    };
    hyphen_dict *ref = ref_dict(NULL);
    CHECK(ref != NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = strlen(cases[i].w);
        CHECK_MSG(hyphen_count(h, cases[i].w, n) == cases[i].n, "%s: %d, pyphen %d", cases[i].w,
                  hyphen_count(h, cases[i].w, n), cases[i].n);
        CHECK_EQ_INT(hyphen_count(ref, cases[i].w, n), cases[i].n);
    }
    /* back and forth */
    CHECK_EQ_INT(hyphen_set_automaton(ref, 1), 0);
    CHECK_EQ_INT(hyphen_automaton_on(ref), 1);
    hyphen_free(h);
    hyphen_free(ref);
}

TEST(bad_pattern_files_name_file_and_line)
{
    blalm_err e;
    CHECK(hyphen_load("/nonexistent/hyph.dic", &e) == NULL);
    CHECK_MSG(strstr(e.msg, "/nonexistent/hyph.dic") != NULL, "%s", e.msg);
    const char *p = write_dic("latin1.dic", "ISO8859-1\na1b\n");
    CHECK(hyphen_load(p, &e) == NULL);
    CHECK_MSG(strstr(e.msg, "latin1.dic:1: expected charset UTF-8") != NULL, "%s", e.msg);
    p = write_dic("empty.dic", "UTF-8\n% nothing\n");
    CHECK(hyphen_load(p, &e) == NULL);
    CHECK_MSG(strstr(e.msg, "no hyphenation patterns") != NULL, "%s", e.msg);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Pattern letters (English frequencies, roughly), '.', apostrophe, digits,
 * capitals, the ligatures and 'é' of hyph_en_US, other multi-byte letters
 * (ß ñ д ж 中 語) and a lone invalid byte. */
static size_t random_piece(uint64_t *rs, char *out)
{
    static const char freq[] = "eeeeeeeeeeeetttttttttaaaaaaaaooooooooiiiiiiinnnnnnnsssssshhhhhh"
                               "rrrrrrdddddlllllcccuuummwwffggyyppbbvkjxqz";
    static const char *const other[] = {".", "'", "0", "7", "E", "Q", "\xc3\xa9", "\xc3\x9f",
                                        "\xc3\xb1", "\xd0\xb4", "\xd0\x96", "\xe4\xb8\xad",
                                        "\xe8\xaa\x9e", "\xef\xac\x81", "\xef\xac\x80",
                                        "\xef\xac\x84", "\xc3\x89", "\xff", "_", "-"};
    uint64_t r = rng_next(rs);
    if (r % 8) {
        out[0] = freq[(r >> 8) % (sizeof freq - 1)];
        return 1;
    }
    const char *o = other[(r >> 8) % (sizeof other / sizeof *other)];
    size_t n = strlen(o);
    memcpy(out, o, n);
    return n;
}

/* Syllables of every random string by both matchers; returns the number
 * that differ (the first few printed). */
static size_t compare_random(hyphen_dict *fast, hyphen_dict *ref, size_t count,
                             uint64_t seed)
{
    char *buf = malloc(4 * 1600 + 8);
    uint64_t rs = seed;
    size_t bad = 0;
    for (size_t i = 0; i < count; i++) {
        uint64_t r = rng_next(&rs);
        /* lengths 0..40 code points, one string in 500 over MAX_CORE (1000) */
        size_t len = r % 500 == 0 ? 990 + (r >> 16) % 600 : (r >> 16) % 41;
        size_t n = 0;
        for (size_t k = 0; k < len; k++) n += random_piece(&rs, buf + n);
        int a = hyphen_count(fast, buf, n), b = hyphen_count(ref, buf, n);
        if (a != b && bad++ < 5)
            printf("# differ: \"%.*s\": automaton %d, reference %d\n", (int)(n < 80 ? n : 80),
                   buf, a, b);
    }
    free(buf);
    return bad;
}

TEST(automaton_matches_reference_on_random_strings)
{
    hyphen_dict *fast = load(NULL), *ref = ref_dict(NULL);
    CHECK(fast != NULL && ref != NULL);
    size_t bad = compare_random(fast, ref, 300000, 0x9E3779B97F4A7C15ULL);
    hyphen_free(fast);
    hyphen_free(ref);
    CHECK_EQ_INT(bad, 0);
}

/* A small patterns file with the cases hyph_en_US lacks: a key ".", keys of
 * non-ASCII letters and digits, one key a suffix of another, a duplicate (the
 * later wins), a pattern of zeros only. */
TEST(automaton_matches_reference_on_odd_patterns)
{
    static const char dic[] =
        "UTF-8\nLEFTHYPHENMIN 2\n% comment\n1.\n.1\n2.a\na1\n1b\nab3c\n3ab\nb1c\nbc2\n"
        "\xc3\xa9" "1x\n2\xc3\x9f\n1\xd0\xb4" "2\n\xef\xac\x81" "1\n'1\n1'\n5e\ne4\n"
        "7a7a7a7a\na1a\n0x0y0\nzz3\nzz1\n3e2e1e\n.e1e\n9\n";
    char path[600];
    snprintf(path, sizeof path, "%s/odd.dic", test_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    fwrite(dic, 1, sizeof dic - 1, f);
    fclose(f);
    hyphen_dict *fast = load(path);
    CHECK(fast != NULL);
    hyphen_dict *ref = ref_dict(path);
    CHECK(ref != NULL);
    size_t bad = compare_random(fast, ref, 100000, 12345);
    /* overlapping patterns on one word: ab3c, 3ab, b1c, bc2, a1, 1b */
    CHECK_EQ_INT(hyphen_count(fast, "abcabc", 6), hyphen_count(ref, "abcabc", 6));
    hyphen_free(fast);
    hyphen_free(ref);
    CHECK_EQ_INT(bad, 0);
}

/* A key longer than the automaton holds: the reference matcher is used. */
TEST(long_pattern_falls_back_to_reference)
{
    char dic[256] = "UTF-8\n";
    strcat(dic, "a1b\n");
    strcat(dic, "x1yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\n");   /* 40 code points */
    char path[600];
    snprintf(path, sizeof path, "%s/long.dic", test_tmpdir());
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    fputs(dic, f);
    fclose(f);
    hyphen_dict *c = load(path);
    CHECK(c != NULL);
    CHECK_EQ_INT(hyphen_automaton_on(c), 0);
    CHECK_EQ_INT(hyphen_set_automaton(c, 1), -1);
    CHECK_EQ_INT(hyphen_count(c, "aabbaa", 6), 2);   /* aa-bbaa */
    CHECK_EQ_INT(hyphen_count(c, "qxyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyq", 42), 2);
    hyphen_free(c);
    /* over 1023 distinct letters (CJK keys): the reference matcher too */
    snprintf(path, sizeof path, "%s/wide.dic", test_tmpdir());
    f = fopen(path, "wb");
    CHECK(f != NULL);
    fputs("UTF-8\na1b\n", f);
    for (unsigned k = 0; k < 1100; k++) {
        unsigned cp = 0x4E00 + k;   /* three UTF-8 bytes */
        fprintf(f, "%c%c%c1\n", 0xE0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F));
    }
    fclose(f);
    c = load(path);
    CHECK(c != NULL);
    CHECK_EQ_INT(hyphen_set_automaton(c, 1), -1);
    CHECK_EQ_INT(hyphen_count(c, "aabbaa", 6), 2);
    /* U+4E00 U+4E01 U+4E02 U+4E03 U+4E04: a point after each, kept at 2 and 3 */
    CHECK_EQ_INT(hyphen_count(c, "\xe4\xb8\x80\xe4\xb8\x81\xe4\xb8\x82\xe4\xb8\x83"
                                          "\xe4\xb8\x84", 15), 3);
    hyphen_free(c);
}


int main(void)
{
    hyphen_dict *h = load(NULL);
    if (!h) {
        printf("SKIP hyphen: %s not loadable\n", READABILITY_DEFAULT_DIC);
        return 0;
    }
    hyphen_free(h);
    RUN(counts_as_pyphen);
    RUN(bad_pattern_files_name_file_and_line);
    RUN(automaton_matches_reference_on_random_strings);
    RUN(automaton_matches_reference_on_odd_patterns);
    RUN(long_pattern_falls_back_to_reference);
    return test_summary();
}
