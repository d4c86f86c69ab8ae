/* test_readability.c - syllables, word/sentence counts on hand-checked
 * passages, formulas, and bad input for filters/readability. */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <string.h>

#include <utf8proc.h>

#include "filters/readability.h"
#include "lib/docs.h"
#include "lib/hash.h"
#include "lib/sbuf.h"
#include "tests/unit/test.h"

static readability_ctx *ctx;

static readability_counts count(const char *s)
{
    readability_counts k;
    readability_count(ctx, s, strlen(s), &k);
    return k;
}

TEST(syllables_match_pyphen)
{
    /* expected values from len(pyphen.Pyphen(lang='en_US').positions(w)) + 1 */
    static const struct { const char *w; int n; } cases[] = {
        {"hello", 2}, {"readability", 4}, {"cat", 1}, {"beautiful", 3}, {"university", 4},
        {"extraordinary", 5}, {"the", 1}, {"table", 2}, {"na\xc3\xafve", 1},
        {"d\xc3\xa9j\xc3\xa0", 1}, {"supercalifragilistic", 6}, {"Caterpillar", 3},
        {"education", 4}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int got = readability_syllables(ctx, cases[i].w, strlen(cases[i].w));
        CHECK_MSG(got == cases[i].n, "%s: %d syllables, pyphen says %d", cases[i].w, got,
                  cases[i].n);
        /* the cached path gives the same answer */
        CHECK(readability_syllables(ctx, cases[i].w, strlen(cases[i].w)) == cases[i].n);
    }
}

TEST(simple_sentences)
{
    readability_counts k = count("The cat sat on the mat. The dog ran away fast!");
    CHECK_EQ_INT(k.words, 11);
    CHECK_EQ_INT(k.sentences, 2);
    CHECK_EQ_INT(k.letters, 34);
    CHECK_EQ_INT(k.tokens, 11);
    CHECK_EQ_INT(k.characters, 36);
}

/* textstat 0.7.11's re.findall(r"\b[^.!?]+[.!?]*") with segments of <= 2
 * words ignored; expected values from textstat's rule run in Python. */
TEST(sentences_as_textstat_counts_them)
{
    static const struct { const char *text; int words, sentences; } cases[] = {
        {"It costs 3.14 dollars today. Then the price rose again.", 10, 3},
        {"Mr. Smith went to Washington today. He left early.", 9, 2},
        {"We painted the house.Then we sold it quickly.", 8, 2},
        {"Thanks! We will see you tomorrow at noon.", 8, 1},
        {"A heading over here\n\nThe body text goes on.", 9, 1},
        {"He waited a while\xe2\x80\xa6 Then it rained very hard.", 9, 1},   /* U+2026: no end */
        {"Use tools, e.g. hammers and saws, for the job. Be careful.", 11, 2},
        {"... (Hello there friend) !? ok", 4, 1},
        {"One two three\xe3\x80\x82 Four five six\xe3\x80\x82", 6, 1},   /* U+3002: no end */
        {"\"Go home now,\" she said. \"It is late.\" He went home then.", 12, 3},
        {"   \n\t  ", 0, 1},   /* a non-empty text has one */
        {"... !!! ??? -- ,,,", 0, 1},
        {"", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        readability_counts k = count(cases[i].text);
        CHECK_MSG(k.words == (uint64_t)cases[i].words && k.sentences == (uint64_t)cases[i].sentences,
                  "%s: %llu words, %llu sentences; textstat %d, %d", cases[i].text,
                  (unsigned long long)k.words, (unsigned long long)k.sentences, cases[i].words,
                  cases[i].sentences);
    }
}

/* remove_punctuation(rm_apostrophe=False) with textstat 0.7.11's
 * r"\'(?![tsd]|ve|ll|re)": an apostrophe stays only before t s d ve ll re,
 * tested on the text as written (case-sensitive) and with no word boundary
 * after them, for syllables and difficult words alike. */
TEST(apostrophes_and_punctuation_as_textstat)
{
    readability_counts k = count("DON'T don't");
    CHECK_EQ_INT(k.words, 2);
    CHECK_EQ_INT(k.letters, 8);
    CHECK_EQ_INT(k.difficult_words, 1);   /* "dont" is not on the list, "don't" is */
    /* "what's" is on the list, "whats" not; "'the" and "'sin" keep their
     * apostrophe (followed by t, s), "'The" and "'or" lose it */
    CHECK_EQ_INT(count("what's WHAT'S").difficult_words, 1);
    CHECK_EQ_INT(count("'The 'or the or").difficult_words, 0);
    CHECK_EQ_INT(count("'the 'sin 'done'").difficult_words, 3);
    k = count("'the");
    CHECK_EQ_INT(k.syllables, (uint64_t)readability_syllables(ctx, "'the", 4));
    k = count("' '' 's ___");
    CHECK_EQ_INT(k.words, 2);   /* "'s" and "___" ('_' is \w) */
    CHECK_EQ_INT(k.letters, 4);
    CHECK_EQ_INT(k.tokens, 4);
    CHECK_EQ_INT(k.characters, 8);
    CHECK_EQ_INT(k.difficult_words, 2);
    /* a combining mark is not \w: removed, but a character for ARI */
    k = count("e\xcc\x81 Hello , world !");
    CHECK_EQ_INT(k.words, 3);
    CHECK_EQ_INT(k.letters, 11);
    CHECK_EQ_INT(k.characters, 14);
    CHECK_EQ_INT(k.tokens, 5);
}

TEST(unicode_words_and_punctuation_tokens)
{
    readability_counts k = count("Caf\xc3\xa9 d\xc3\xa9j\xc3\xa0 vu \xc3\xbc" "ber na\xc3\xafve , \xe2\x80\x94 !");
    CHECK_EQ_INT(k.words, 5);
    CHECK_EQ_INT(k.letters, 19);
    CHECK_EQ_INT(count("Hello , world !").words, 2);
    CHECK_EQ_INT(count("2024 was a year").words, 4);
}

TEST(polysyllables_and_difficult_words)
{
    readability_counts k = count("The university offered extraordinary education.");
    CHECK_EQ_INT(k.words, 5);
    CHECK_EQ_INT(k.polysyllables, 3);  /* university 4, extraordinary 5, education 4 */
    CHECK_EQ_INT(k.syllables, 1 + 4 + 2 + 5 + 4);
}

TEST(familiar_words_and_inflections)
{
    readability_counts k = count("The dogs were running and jumped magnificently.");
    /* textstat's rule: the word as it stands must be on the list; "dogs",
     * "jumped" and "magnificently" are not (inflections are not looked up) */
    CHECK_EQ_INT(k.words, 7);
    CHECK_EQ_INT(k.difficult_words, 3);
    CHECK_EQ_INT(k.fog_difficult_words, 1);   /* magnificently: 5 syllables */
    /* hyphens go ("wellknown" is not listed); apostrophes before t s d ve
     * ll re stay (don't, and "'dog", not listed); textstat's list lacks "ma" */
    k = count("Well-known 'dog' don't ma");
    CHECK_EQ_INT(k.difficult_words, 3);
    /* numbers are not on the list */
    CHECK_EQ_INT(count("In 2024 we ran").difficult_words, 1);
    /* U+0130 (capital I with dot): Python's str.lower() spells it "i"
     * U+0307, so a word holding it is never on the (ASCII) list; textstat's
     * count_syllables lowers after removing punctuation (list_words(text,
     * lowercase=True)), so the U+0307 stays in the word it looks up in
     * CMUdict (never there) and hyphenates: "poli\u0307ti\u0307cal" is 2 by
     * pyphen, not "political"'s 4 from CMUdict */
    k = count("\xc4\xb0s it big");
    CHECK_EQ_INT(k.words, 3);
    CHECK_EQ_INT(k.difficult_words, 1);
    CHECK_EQ_INT(k.syllables, 3);
    k = count("POL\xc4\xb0T\xc4\xb0" "CAL MUS\xc4\xb0" "C C\xc4\xb0TY");
    CHECK_EQ_INT(k.syllables, 2 + 1 + 2);
    CHECK_EQ_INT(k.polysyllables, 0);
    CHECK_EQ_INT(k.difficult_words, 3);
    /* but Gunning fog's is_difficult_word hands word.lower() to
     * count_syllables, which removes punctuation again, the U+0307 with it:
     * "political" is 4 by pyphen, so fog counts it where SMOG does not */
    CHECK_EQ_INT(k.fog_difficult_words, 1);
    /* the apostrophe path builds its core apart */
    CHECK_EQ_INT(count("POL\xc4\xb0T\xc4\xb0" "CAL's").syllables, 2);
    CHECK_EQ_INT(readability_syllables(ctx, "DEMOCRAT\xc4\xb0" "C", 11), 1);
    /* through the apostrophe path too ("it's" is on the list) */
    CHECK_EQ_INT(count("It's").difficult_words, 0);
    CHECK_EQ_INT(count("\xc4\xb0t's").difficult_words, 1);
    CHECK_EQ_INT(count("Is it big").difficult_words, 0);
}

TEST(formulas_from_counts)
{
    readability_counts k = {0};
    k.words = 100;
    k.sentences = 5;
    k.syllables = 150;
    k.letters = 450;
    k.characters = 520;
    k.tokens = 104;
    k.polysyllables = 10;
    k.difficult_words = 8;
    k.fog_difficult_words = 6;
    readability_scores s;
    readability_scores_of(&k, &s);
    CHECK_NEAR(s.flesch_reading_ease, 206.835 - 1.015 * 20 - 84.6 * 1.5, 1e-12);
    CHECK_NEAR(s.flesch_kincaid_grade, 0.39 * 20 + 11.8 * 1.5 - 15.59, 1e-12);
    CHECK_NEAR(s.automated_readability_index, 4.71 * 5.0 + 0.5 * 20 - 21.43, 1e-12);
    CHECK_NEAR(s.coleman_liau_index, 0.058 * 450 - 0.296 * 5 - 15.8, 1e-12);
    CHECK_NEAR(s.smog_index, 3.1291 + 1.043 * sqrt(10 * 30.0 / 5), 1e-12);
    CHECK_NEAR(s.gunning_fog, 0.4 * (20 + 6), 1e-12);
    CHECK_NEAR(s.dale_chall, 0.1579 * 8 + 0.0496 * 20 + 3.6365, 1e-12);
    k.difficult_words = 5;  /* exactly 5%: no adjustment */
    readability_scores_of(&k, &s);
    CHECK_NEAR(s.dale_chall, 0.1579 * 5 + 0.0496 * 20, 1e-12);
    /* textstat returns 0 where a term is 0: no syllables (every word "hmm") */
    k.syllables = 0;
    readability_scores_of(&k, &s);
    CHECK(s.flesch_reading_ease == 0 && s.flesch_kincaid_grade == 0);
}

TEST(bad_input_is_finite)
{
    const char *cases[] = {"", "   \n\t  ", "... !!! ??? -- ,,,", "\xe2\x80\x94\xe2\x80\x94"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        readability_counts k = count(cases[i]);
        readability_scores s;
        readability_scores_of(&k, &s);
        /* no words: every score 0, but SMOG 3.1291 for a non-empty text (textstat) */
        CHECK_MSG(k.words == 0 && k.sentences == (i ? 1u : 0u) && s.flesch_reading_ease == 0 &&
                      s.dale_chall == 0 && s.gunning_fog == 0 &&
                      s.automated_readability_index == 0 && s.coleman_liau_index == 0 &&
                      s.smog_index == (i ? 3.1291 : 0),
                  "case %zu", i);
        sbuf b;
        sb_init(&b);
        readability_json(&k, &s, &b);
        CHECK(!strstr(sb_cstr(&b), "nan") && !strstr(sb_cstr(&b), "inf") &&
              !strstr(sb_cstr(&b), "null"));
        sb_free(&b);
    }
    /* NUL bytes and invalid UTF-8 */
    const char raw[] = "Hello\0world \xff\xfe bad \xc3( bytes here.";
    readability_counts k;
    readability_count(ctx, raw, sizeof raw - 1, &k);
    CHECK_EQ_INT(k.invalid_utf8, 3);
    CHECK_EQ_INT(k.words, 4);
    CHECK_EQ_INT(k.sentences, 1);
}

/* ---------- CMUdict ---------- */

static const char *write_tmp(const char *name, const char *body)
{
    static char path[700];
    snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "wb");
    if (!f) return NULL;
    fputs(body, f);
    fclose(f);
    return path;
}

TEST(cmudict_text_and_js_formats)
{
    blalm_err e;
    readability_ctx *c = readability_new(NULL, &e);
    CHECK(c != NULL);
    /* pyphen alone first */
    CHECK_EQ_INT(readability_cmudict_words(c), 0);
    CHECK_EQ_INT(readability_syllables(c, "readability", 11), 4);
    readability_counts before;
    readability_count(c, "Readability readability hmm", 27, &before);
    /* CMUdict 0.7b style: upper case, ";;;" comments, "(1)" alternatives;
     * the first pronunciation counts; "HMM" has no stressed phoneme */
    const char *p = write_tmp("dict.txt", ";;; comment\nREADABILITY  R IY2 D AH0 B IH1 L IH0 T IY0\n"
                                          "READABILITY(1)  R EH1 D\nHMM  HH M\nDON'T  D OW1 N T\n");
    CHECK(p != NULL);
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), 3);
    CHECK_EQ_INT(readability_cmudict_words(c), 3);
    CHECK_EQ_INT(readability_syllables(c, "Readability", 11), 5);
    CHECK_EQ_INT(readability_syllables(c, "hmm", 3), 0);
    CHECK_EQ_INT(readability_syllables(c, "don't", 5), 1);
    CHECK_EQ_INT(readability_syllables_pyphen(c, "readability", 11), 4);
    readability_counts k;
    readability_count(c, "Readability readability hmm", 27, &k);   /* the token cache was reset */
    CHECK_EQ_INT(before.syllables, 4 + 4 + 1);
    CHECK_EQ_INT(k.syllables, 5 + 5 + 0);
    CHECK_EQ_INT(k.polysyllables, 2);
    /* cmusphinx cmudict.dict style: lower case, "(2)", "#" notes */
    p = write_tmp("cmudict.dict", "aalborg AO1 L B AO0 R G # place, danish\naalborg(2) AO1 L\n");
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), 1);
    CHECK_EQ_INT(readability_syllables(c, "aalborg", 7), 2);
    CHECK_EQ_INT(readability_syllables(c, "readability", 11), 4);   /* replaced: pyphen again */
    /* npm cmu-pronouncing-dictionary's index.js */
    p = write_tmp("index.js", "/** @type {{ [word: string]: string }} */\n"
                              "export const dictionary = {\n"
                              "  \"'bout\": \"B AW1 T\",\n"
                              "  \"a\": \"AH0\",\n  \"a(2)\": \"EY1\",\n"
                              "  \"aalto\": \"AA1 L T OW2 # name, finnish\"\n}\n");
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), 3);
    CHECK_EQ_INT(readability_syllables(c, "'bout", 5), 1);
    CHECK_EQ_INT(readability_syllables(c, "aalto", 5), 2);
    /* NLTK's corpora/cmudict/cmudict (what textstat 0.7.9+ reads): "WORD N
     * PHONES", N counting the word's pronunciations from 1; the first line of
     * a word counts (NLTK's dict() keeps the file's order), whatever its N */
    p = write_tmp("cmudict", "A 1 AH0\nA. 1 EY1\nA 2 EY1\n"
                             "EXTRAORDINARY 1 IH0 K S T R AO1 R D AH0 N EH2 R IY0\n"
                             "EXTRAORDINARY 2 EH2 K S T R AH0 AO1 R D AH0 N EH2 R IY0\n"
                             "FAMILIES 2 F AE1 M L IY0 Z\nFAMILIES 1 F AE1 M AH0 L IY0 Z\n");
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), 4);
    CHECK_EQ_INT(readability_syllables(c, "a", 1), 1);
    CHECK_EQ_INT(readability_syllables(c, "extraordinary", 13), 5);
    CHECK_EQ_INT(readability_syllables(c, "families", 8), 2);
    /* the October 2007 release of 0.7a (npm cmudict) is brought to NLTK's
     * revision for the words of filters/cmudict_nltk.inc; the same entries
     * without its first line are taken as they are */
    const char *body = "NOV  N OW1 V\nGOOGLE  G UW1 G AH0 L\nSOLELY  S OW1 AH0 L IY0\n"
                       "CAT  K AE1 T\nKILOMETRE  K IH2 L AO1 M AH2 T ER0\n";
    char rel[256];
    snprintf(rel, sizeof rel, ";;; # CMUdict  --  Major Version: 0.07a [102007]\n%s", body);
    p = write_tmp("cmudict.0.7a", rel);
    /* 5 words less GOOGLE and KILOMETRE, + the 15 fixed words the file
     * lacks (JR, OCT, DOUGLASS, NGO, ...) */
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), 18);
    CHECK_EQ_INT(readability_syllables(c, "douglass", 8), 3);
    CHECK_EQ_INT(readability_syllables(c, "ngos", 4), 1);
    CHECK_EQ_INT(readability_syllables(c, "kilometre", 9),
                 readability_syllables_pyphen(c, "kilometre", 9));
    CHECK(readability_syllables_pyphen(c, "kilometre", 9) != 4);
    CHECK_EQ_INT(readability_syllables(c, "Nov", 3), 3);
    CHECK_EQ_INT(readability_syllables(c, "solely", 6), 2);
    CHECK_EQ_INT(readability_syllables(c, "jr", 2), 2);
    CHECK_EQ_INT(readability_syllables(c, "google", 6), readability_syllables_pyphen(c, "google", 6));
    CHECK(readability_syllables_pyphen(c, "google", 6) != 2);
    CHECK_EQ_INT(readability_syllables(c, "cat", 3), 1);
    p = write_tmp("other.dict", body);
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), 5);
    CHECK_EQ_INT(readability_syllables(c, "nov", 3), 1);
    CHECK_EQ_INT(readability_syllables(c, "solely", 6), 3);
    CHECK_EQ_INT(readability_syllables(c, "google", 6), 2);
    /* a counter that is not a number is a phoneme, and a malformed one */
    p = write_tmp("cmudict.bad", "A 1 AH0\nB 1x B IY1\n");
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), -1);
    CHECK_MSG(strstr(e.msg, "cmudict.bad:2:") != NULL, "%s", e.msg);
    /* a malformed line's bytes show escaped (an ESC would drive the
     * terminal): control bytes and invalid UTF-8 as \xNN, valid UTF-8 as is */
    p = write_tmp("cmudict.raw", "A 1 AH0\nB\x1b[31m\x01\xff caf\xc3\xa9\\ 1x\n");
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), -1);
    CHECK_MSG(strstr(e.msg, "cmudict.raw:2: expected a word and ARPAbet phonemes (AH0 B ...), got "
                            "'B\\x1b[31m\\x01\\xff caf\xc3\xa9\\x5c 1x' (bytes shown as \\xNN)") != NULL,
              "%s", e.msg);
    /* decoded forward: a cut at 80 bytes loses no invalid byte (a line of
     * continuation bytes showed as ''); C1 controls and bidi overrides
     * (valid UTF-8) show escaped too */
    char line[160];
    memcpy(line, "WORD \xff\xff\xff", 8);
    memset(line + 8, 0x80, 100);
    memcpy(line + 108, " 1x\n", 5);
    p = write_tmp("cmudict.cut", line);
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), -1);
    CHECK_MSG(strstr(e.msg, "got 'WORD \\xff\\xff\\xff\\x80") != NULL, "%s", e.msg);
    const char *tail = strstr(e.msg, "' (bytes shown");
    CHECK_MSG(tail && tail - strstr(e.msg, "got '") - 5 == 5 + 75 * 4, "%s", e.msg);
    p = write_tmp("cmudict.c1", "B\xc2\x9b" "31m\xe2\x80\xae 1x\n");
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), -1);
    CHECK_MSG(strstr(e.msg, "got 'B\\xc2\\x9b31m\\xe2\\x80\\xae 1x' (bytes shown as \\xNN)") != NULL,
              "%s", e.msg);
    readability_free(c);
}

/* The dictionary's parsed table is cached: the second load reads the cache
 * and gives the same table; a corrupt or foreign cache file is ignored and
 * made again; another dictionary (other bytes) gets its own file; without a
 * cache folder nothing is written. The real dictionary when present, else a
 * small one. */
TEST(cmudict_cache_matches_parse)
{
    blalm_err e;
    char dir[700], dict[700];
    snprintf(dir, sizeof dir, "%s/cmucache/sub", test_tmpdir());
    const char *real = getenv("BLALM_CMUDICT");
    if (real && access(real, R_OK) == 0) {
        snprintf(dict, sizeof dict, "%s", real);
    } else {
        const char *p = write_tmp("cache.dict", "READABILITY  R IY2 D AH0 B IH1 L IH0 T IY0\n"
                                                "HMM  HH M\nDON'T  D OW1 N T\nAALTO  AA1 L T OW2\n");
        CHECK(p != NULL);
        snprintf(dict, sizeof dict, "%s", p);
    }
    readability_ctx *plain = readability_new(NULL, &e), *c = readability_new(NULL, &e);
    CHECK(plain && c);
    if (!plain || !c) return;
    long words = readability_load_cmudict(plain, dict, &e);
    CHECK(words > 0);
    CHECK_EQ_INT(readability_cmudict_from_cache(plain), 0);
    uint64_t want = readability_cmudict_digest(plain);
    CHECK(want != 0);
    CHECK_EQ_INT(readability_set_cache_dir(c, dir), 0);
    /* first load: parsed, cache written (the folder made) */
    CHECK_EQ_INT(readability_load_cmudict(c, dict, &e), words);
    CHECK_EQ_INT(readability_cmudict_from_cache(c), 0);
    CHECK(readability_cmudict_digest(c) == want);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    char table[1500] = "";
    struct dirent *de;
    int files = 0;
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.') {
            snprintf(table, sizeof table, "%s/%s", dir, de->d_name);
            files++;
        }
    if (d) closedir(d);
    CHECK_EQ_INT(files, 1);
    /* second load: from the cache, the same table and counts */
    CHECK_EQ_INT(readability_load_cmudict(c, dict, &e), words);
    CHECK_EQ_INT(readability_cmudict_from_cache(c), 1);
    CHECK(readability_cmudict_digest(c) == want);
    CHECK_EQ_INT(readability_syllables(c, "readability", 11),
                 readability_syllables(plain, "readability", 11));
    /* a flipped byte in the slots (the checksum), then a flipped byte in the
     * header (the key): ignored, parsed again, the cache made again */
    struct stat st;
    CHECK(stat(table, &st) == 0);
    long offs[2] = {(long)st.st_size - 3, 20};
    for (int k = 0; k < 2; k++) {
        FILE *f = fopen(table, "r+b");
        CHECK(f != NULL);
        if (!f) break;
        fseek(f, offs[k], SEEK_SET);
        int ch = fgetc(f);
        fseek(f, offs[k], SEEK_SET);
        fputc(ch ^ 0x5a, f);
        fclose(f);
        CHECK_EQ_INT(readability_load_cmudict(c, dict, &e), words);
        CHECK_EQ_INT(readability_cmudict_from_cache(c), 0);
        CHECK(readability_cmudict_digest(c) == want);
        CHECK_EQ_INT(readability_load_cmudict(c, dict, &e), words);
        CHECK_EQ_INT(readability_cmudict_from_cache(c), 1);
        CHECK(readability_cmudict_digest(c) == want);
    }
    /* a truncated cache file is ignored too */
    CHECK(truncate(table, 100) == 0);
    CHECK_EQ_INT(readability_load_cmudict(c, dict, &e), words);
    CHECK_EQ_INT(readability_cmudict_from_cache(c), 0);
    CHECK(readability_cmudict_digest(c) == want);
    /* another dictionary: parsed (not the other's table), a file of its own */
    const char *other = write_tmp("other.dict", "HMM  HH M1\n");
    CHECK_EQ_INT(readability_load_cmudict(c, other, &e), 1);
    CHECK_EQ_INT(readability_cmudict_from_cache(c), 0);
    CHECK_EQ_INT(readability_syllables(c, "hmm", 3), 1);
    CHECK_EQ_INT(readability_load_cmudict(c, other, &e), 1);
    CHECK_EQ_INT(readability_cmudict_from_cache(c), 1);
    CHECK_EQ_INT(readability_syllables(c, "hmm", 3), 1);
    /* no cache folder: parsed every time */
    CHECK_EQ_INT(readability_set_cache_dir(c, NULL), 0);
    CHECK_EQ_INT(readability_load_cmudict(c, dict, &e), words);
    CHECK_EQ_INT(readability_cmudict_from_cache(c), 0);
    /* an unwritable cache folder is no error */
    CHECK_EQ_INT(readability_set_cache_dir(c, "/proc/blalm-no-such-cache"), 0);
    CHECK_EQ_INT(readability_load_cmudict(c, dict, &e), words);
    CHECK(readability_cmudict_digest(c) == want);
    readability_free(plain);
    readability_free(c);
}

TEST(cmudict_errors_name_file_and_line)
{
    blalm_err e;
    readability_ctx *c = readability_new(NULL, &e);
    CHECK(c != NULL);
    const char *p = write_tmp("ok.txt", "CAT  K AE1 T\n");
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), 1);
    CHECK_EQ_INT(readability_load_cmudict(c, "/nonexistent/cmudict.dict", &e), -1);
    CHECK(strstr(e.msg, "/nonexistent/cmudict.dict") != NULL);
    p = write_tmp("bad.txt", "CAT  K AE1 T\nDOG  D ao1 G\n");
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), -1);
    CHECK_MSG(strstr(e.msg, "bad.txt:2:") != NULL, "%s", e.msg);
    p = write_tmp("empty.txt", ";;; nothing\n\n");
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), -1);
    CHECK(strstr(e.msg, "no dictionary entries") != NULL);
    p = write_tmp("bad.js", "export const dictionary = {\n  \"cat\": \"K AE1 T,\n}\n");
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), -1);
    CHECK_MSG(strstr(e.msg, "bad.js:2:") != NULL, "%s", e.msg);
    /* a word without phonemes is no entry: a plain word list, the npm
     * package's cmudict.0.7a.symbols, a cut last line, an empty .js value,
     * a pronunciation that is only a note (these loaded, 0 syllables each) */
    static const struct { const char *name, *body, *where; } nophones[] = {
        {"words.txt", "the\ncat\nbeautiful\n", "words.txt:1:"},
        {"cmudict.0.7a.symbols", "AA\nAA0\nAA1\n", "cmudict.0.7a.symbols:1:"},
        {"cut.txt", "CAT  K AE1 T\nHELLO\n", "cut.txt:2:"},
        {"cut2.txt", "CAT  K AE1 T\nHELLO  \t \r\n", "cut2.txt:2:"},
        {"nltk.txt", "cat 1 K AE1 T\nhello 1\n", "nltk.txt:2:"},
        {"note.txt", "CAT  K AE1 T\nHELLO # HH AH0 L OW1\n", "note.txt:2:"},
        {"empty.js", "export default {\n  \"cat\": \"K AE1 T\",\n  \"dog\": \"\",\n}\n",
         "empty.js:3:"},
    };
    for (size_t k = 0; k < sizeof nophones / sizeof nophones[0]; k++) {
        p = write_tmp(nophones[k].name, nophones[k].body);
        CHECK_EQ_INT(readability_load_cmudict(c, p, &e), -1);
        CHECK_MSG(strstr(e.msg, nophones[k].where) && strstr(e.msg, "ARPAbet phonemes"), "%s",
                  e.msg);
    }
    /* a pronunciation without a vowel is one (CMUdict's FS, THS) */
    p = write_tmp("novowel.txt", "FS  F S\nCAT  K AE1 T\n");
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), 2);
    p = write_tmp("ok.txt", "CAT  K AE1 T\n");
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), 1);
    /* a failed load changes nothing */
    p = write_tmp("words2.txt", "cat\n");
    CHECK_EQ_INT(readability_load_cmudict(c, p, &e), -1);
    CHECK_EQ_INT(readability_cmudict_words(c), 1);
    CHECK_EQ_INT(readability_syllables(c, "cat", 3), 1);
    readability_free(c);
}

/* A table an older blalm cached (its magic "blalm cmudict 1") is not read:
 * that blalm took a word list for a dictionary of 0-syllable words, so its
 * table of such a file would hide the error. The test makes that file's
 * cache entry from a good table with the old magic and the word list's key. */
TEST(cmudict_cache_of_older_blalm_is_not_read)
{
    blalm_err e;
    char dir[700];
    snprintf(dir, sizeof dir, "%s/cmucache-old", test_tmpdir());
    readability_ctx *c = readability_new(NULL, &e);
    CHECK(c != NULL);
    if (!c) return;
    CHECK_EQ_INT(readability_set_cache_dir(c, dir), 0);
    char good[700];
    snprintf(good, sizeof good, "%s",
             write_tmp("good-old.dict", "CAT  K AE1 T\nBEAUTIFUL  B Y UW1 T AH0 F AH0 L\n"));
    CHECK_EQ_INT(readability_load_cmudict(c, good, &e), 2);
    CHECK_EQ_INT(readability_load_cmudict(c, good, &e), 2);
    CHECK_EQ_INT(readability_cmudict_from_cache(c), 1);
    char table[1500] = "";
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.') snprintf(table, sizeof table, "%s/%s", dir, de->d_name);
    if (d) closedir(d);
    CHECK(table[0] != 0);
    FILE *f = fopen(table, "rb");
    CHECK(f != NULL);
    if (!f) return;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    CHECK(n > 40 && n < sizeof buf && !memcmp(buf, "blalm cmudict ", 14));
    const char *words = "cat\nbeautiful\n";
    const char *wl = write_tmp("wordlist-old.txt", words);
    uint64_t size = strlen(words), x = xxh3_64(words, size);
    memcpy(buf, "blalm cmudict 1", 16);
    memcpy(buf + 16, &size, 8);
    memcpy(buf + 24, &x, 8);
    char old[1500];
    snprintf(old, sizeof old, "%s/cmudict-%016llx-%llu.table", dir, (unsigned long long)x,
             (unsigned long long)size);
    f = fopen(old, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(buf, 1, n, f) == n);
    fclose(f);
    CHECK_EQ_INT(readability_load_cmudict(c, wl, &e), -1);
    CHECK_MSG(strstr(e.msg, "wordlist-old.txt:1:") != NULL, "%s", e.msg);
    /* the good dictionary still loads (from its own cache entry) */
    CHECK_EQ_INT(readability_load_cmudict(c, good, &e), 2);
    CHECK_EQ_INT(readability_cmudict_from_cache(c), 1);
    readability_free(c);
}

TEST(huge_word_and_long_text)
{
    size_t n = 8u << 20;  /* one 8 MiB word: hyphenated over its first 1000 code points */
    char *s = malloc(n + 1);
    memset(s, 'a', n);
    s[n] = 0;
    readability_counts k;
    readability_count(ctx, s, n, &k);
    CHECK_EQ_INT(k.words, 1);
    CHECK_EQ_INT(k.letters, n);
    CHECK(k.syllables >= 1);
    for (size_t i = 0; i + 6 <= n; i += 6) memcpy(s + i, "word. ", 6);
    readability_count(ctx, s, n, &k);
    CHECK_EQ_INT(k.words, n / 6 + (n % 6 != 0));
    CHECK_EQ_INT(k.sentences, 1);  /* one-word fragments are not sentences */
    free(s);
}

/* The per-token cache (fast path) gives exactly the counts of the reference
 * path on every real document. */
TEST(token_cache_matches_reference_on_real_data)
{
    const char *dir = test_shared_data();
    if (!dir) SKIPF("BLALM_SHARED_DATA not set");
    char path[4096];
    snprintf(path, sizeof path, "%s/fineweb-legal.jsonl.zst", dir);
    blalm_err e;
    doc_opts o = {0};
    doc_reader *r = doc_open(path, &o, &e);
    if (!r) SKIPF("%s", e.msg);
    readability_ctx *ref = readability_new(NULL, &e);
    CHECK(ref != NULL);
    readability_set_token_cache(ref, 0);
    blalm_doc d;
    size_t n = 0, bad = 0;
    ws_spans split = {0};
    while (doc_next(r, &d, &e) == 1) {
        readability_counts a, b;
        /* the fast side counts over a caller's split, as blalm tag does */
        CHECK(ws_split(&split, d.text, d.text_len) == 0);
        readability_count_spans(ctx, &split, &a);
        readability_count(ref, d.text, d.text_len, &b);
        if (memcmp(&a, &b, sizeof a)) {
            if (!bad) printf("# first difference: %s\n", d.id);
            bad++;
        }
        n++;
    }
    doc_close(r);
    ws_free(&split);
    readability_free(ref);
    printf("# token cache (over the caller's split) vs reference path: %zu documents, %zu differ\n",
           n, bad);
    CHECK(n > 0);
    CHECK_EQ_INT(bad, 0);
}

/* token boundaries at every offset around the eight-byte scan */
TEST(whitespace_at_every_offset)
{
    static const char *const ws[] = {" ", "\t", "\n", "\x0b", "\x1c", "\x1f", "\xc2\x85",
                                     "\xc2\xa0", "\xe2\x80\x83", "\xe3\x80\x80"};
    static const char *const nonws[] = {"!", "\x7f", "\x1b", "\xc3\xa9", "\xe2\x80\x8b"};
    const char *pre = "abcdefghijklmnopqrstu";
    char text[128];
    for (size_t p = 1; p <= 20; p++) {
        for (size_t b = 0; b < sizeof ws / sizeof *ws; b++) {
            snprintf(text, sizeof text, "%.*s%sxyz", (int)p, pre, ws[b]);
            CHECK_EQ_INT((long long)count(text).words, 2);
        }
        for (size_t b = 0; b < sizeof nonws / sizeof *nonws; b++) {
            snprintf(text, sizeof text, "%.*s%sxyz", (int)p, pre, nonws[b]);
            CHECK_EQ_INT((long long)count(text).words, 1);
        }
    }
}

/* ---------- the pattern automaton against the reference matcher ----------
 * (hyphen.h's own tests are in test_hyphen.c; here whole documents) */

static readability_ctx *ref_ctx(const char *dic)
{
    blalm_err e;
    readability_ctx *r = readability_new(dic, &e);
    if (r && readability_set_hyphen_automaton(r, 0) < 0) {
        readability_free(r);
        return NULL;
    }
    return r;
}

/* Every distinct word core (and every raw whitespace token) of the real
 * texts gets the same syllables from both matchers. */
TEST(automaton_matches_reference_on_real_words)
{
    const char *dir = test_shared_data();
    if (!dir) SKIPF("BLALM_SHARED_DATA not set");
    char path[4096];
    snprintf(path, sizeof path, "%s/fineweb-legal.jsonl.zst", dir);
    blalm_err e;
    doc_opts o = {0};
    doc_reader *r = doc_open(path, &o, &e);
    if (!r) SKIPF("%s", e.msg);
    readability_ctx *ref = ref_ctx(NULL);
    CHECK(ref != NULL);
    size_t cap = 1u << 21, distinct = 0, bad = 0, bad_docs = 0;
    uint64_t *seen = calloc(cap, sizeof *seen);   /* 64-bit hashes of words tried */
    char *core = malloc(1 << 16);
    blalm_doc d;
    while (doc_next(r, &d, &e) == 1) {
        readability_counts ka, kb;   /* whole documents too */
        readability_count(ctx, d.text, d.text_len, &ka);
        readability_count(ref, d.text, d.text_len, &kb);
        if (memcmp(&ka, &kb, sizeof ka) && bad_docs++ < 5) printf("# counts differ: %s\n", d.id);
        const unsigned char *s = (const unsigned char *)d.text;
        size_t i = 0, n = d.text_len;
        while (i < n) {
            while (i < n && s[i] <= ' ') i++;
            size_t st = i;
            while (i < n && s[i] > ' ') i++;
            if (i == st || i - st > 60000) continue;
            /* the core as readability_count builds it: L*, N*, '_', '\'' */
            size_t cn = 0;
            for (size_t k = st; k < i;) {
                utf8proc_int32_t cp;
                utf8proc_ssize_t m = utf8proc_iterate(s + k, (utf8proc_ssize_t)(i - k), &cp);
                if (m < 1) {
                    k++;
                    continue;
                }
                utf8proc_category_t cat = utf8proc_category(cp);
                if ((cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO) ||
                    (cat >= UTF8PROC_CATEGORY_ND && cat <= UTF8PROC_CATEGORY_NO) || cp == '_' ||
                    cp == '\'')
                    memcpy(core + cn, s + k, (size_t)m), cn += (size_t)m;
                k += (size_t)m;
            }
            const char *w[2] = {(const char *)s + st, core};
            size_t wl[2] = {i - st, cn};
            for (int v = 0; v < 2; v++) {
                if (!wl[v]) continue;
                uint64_t h = 0xcbf29ce484222325ULL;
                for (size_t k = 0; k < wl[v]; k++)
                    h = (h ^ (unsigned char)w[v][k]) * 0x100000001b3ULL;
                h += !h;
                size_t j = h & (cap - 1);
                while (seen[j] && seen[j] != h) j = (j + 1) & (cap - 1);
                if (seen[j] || distinct * 2 >= cap) continue;
                seen[j] = h;
                distinct++;
                int a = readability_syllables(ctx, w[v], wl[v]);
                int b = readability_syllables(ref, w[v], wl[v]);
                if (a != b && bad++ < 5)
                    printf("# differ: \"%.*s\": automaton %d, reference %d\n", (int)wl[v], w[v],
                           a, b);
            }
        }
    }
    doc_close(r);
    readability_free(ref);
    free(seen);
    free(core);
    printf("# automaton vs reference: %zu distinct words and tokens, %zu differ; "
           "documents' counts: %zu differ\n", distinct, bad, bad_docs);
    CHECK(distinct > 100000);
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(bad_docs, 0);
}

int main(void)
{
    blalm_err e;
    ctx = readability_new(NULL, &e);
    if (!ctx) {
        printf("SKIP readability: %s\n", e.msg);
        return 0;
    }
    RUN(syllables_match_pyphen);
    RUN(token_cache_matches_reference_on_real_data);
    RUN(simple_sentences);
    RUN(sentences_as_textstat_counts_them);
    RUN(apostrophes_and_punctuation_as_textstat);
    RUN(unicode_words_and_punctuation_tokens);
    RUN(polysyllables_and_difficult_words);
    RUN(familiar_words_and_inflections);
    RUN(formulas_from_counts);
    RUN(bad_input_is_finite);
    RUN(cmudict_text_and_js_formats);
    RUN(cmudict_cache_matches_parse);
    RUN(cmudict_errors_name_file_and_line);
    RUN(cmudict_cache_of_older_blalm_is_not_read);
    RUN(huge_word_and_long_text);
    RUN(whitespace_at_every_offset);
    RUN(automaton_matches_reference_on_real_words);
    readability_free(ctx);
    return test_summary();
}
