/* test_quality.c - the spaCy-like tokenizer, and each Gopher / C4 / FineWeb
 * rule at, just below and just above its threshold. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/quality.h"
#include "filters/quality_internal.h"
#include "lib/docs.h"
#include "lib/sbuf.h"
#include "tests/unit/test.h"

static quality_ctx *Q;

/* xorshift64: reproducible random test inputs */
static uint64_t rng_next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}


typedef struct toks {
    char buf[2048];
    size_t len;
    const char *text;
} toks;

static void collect(void *arg, size_t off, size_t n)
{
    toks *t = arg;
    if (t->len) t->buf[t->len++] = '|';
    memcpy(t->buf + t->len, t->text + off, n);
    t->len += n;
    t->buf[t->len] = 0;
}

static const char *tokens_of(const char *s, toks *t)
{
    t->len = 0;
    t->buf[0] = 0;
    t->text = s;
    quality_tokenize(Q, s, strlen(s), collect, t);
    return t->buf;
}

TEST(tokenizer_spacy_rules)
{
    static const struct { const char *in, *out; } cases[] = {
        {"Hello, world!", "Hello|,|world|!"},
        {"Don't stop", "Do|n't|stop"},
        {"I'm here and you're there", "I|'m|here|and|you|'re|there"},
        {"John's car.", "John|'s|car|."},
        {"U.S. e.g. Mr. Smith", "U.S.|e.g.|Mr.|Smith"},
        {"well-known", "well|-|known"},
        {"COVID-19 and 2-3", "COVID-19|and|2|-|3"},
        {"$100 10km 50%", "$|100|10|km|50|%"},
        {"http://example.com/a-b.", "http://example.com/a-b|."},
        {"(yes)", "(|yes|)"},
        {"end.Start", "end|.|Start"},
        {"3.14 1,000", "3.14|1,000"},
        {"wait... what", "wait|...|what"},
        {"\"Quoted\"", "\"|Quoted|\""},
        {"and/or", "and|/|or"},
        {"J. Smith", "J.|Smith"},
        {"USA.", "USA|."},
        {"cannot gonna", "can|not|gon|na"},
        {"a\xe2\x80\x94" "b", "a|\xe2\x80\x94|b"},
        /* spaCy 3's icons hold the degree sign (spaCy 2's left it out) */
        {"70\xc2\xb0" "F", "70|\xc2\xb0|F"},
        {"It was 25\xc2\xb0" "C.", "It|was|25|\xc2\xb0|C|."},
        /* the prefix ° goes first; "F." alone has no °F before its stop */
        {"\xc2\xb0" "F.", "\xc2\xb0|F."},
        {"\xc2\xa9" "2024", "\xc2\xa9|2024"},
        /* an So symbol newer than spaCy's list (U+1FA70) is not an icon */
        {"x\xf0\x9f\xa9\xb0y", "x\xf0\x9f\xa9\xb0y"},
        {"x\xf0\x9f\x98\x80y", "x|\xf0\x9f\x98\x80|y"},
    };
    toks t;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_EQ_STR(tokens_of(cases[i].in, &t), cases[i].out);
}

TEST(sentencizer)
{
    const char *s = "Hello world. This is fine! Is it? Yes.";
    CHECK_EQ_INT(quality_sentences(Q, s, strlen(s)), 4);
    s = "Mr. Smith went to Washington.";
    CHECK_EQ_INT(quality_sentences(Q, s, strlen(s)), 1);
    s = "Wait... what happened?";
    CHECK_EQ_INT(quality_sentences(Q, s, strlen(s)), 1);
    CHECK_EQ_INT(quality_sentences(Q, "", 0), 0);
}

/* A text of `n` words "apple" plus two stop words (n+2 non-symbol words). */
static char *words_text(size_t n, const char *word)
{
    size_t wl = strlen(word);
    char *s = malloc((n + 2) * (wl + 1) + 16);
    strcpy(s, "the and");
    size_t p = strlen(s);
    for (size_t i = 0; i < n; i++) {
        s[p++] = ' ';
        memcpy(s + p, word, wl);
        p += wl;
    }
    s[p] = 0;
    return s;
}

static const char *gq_reason(const quality_config *c, const char *s)
{
    quality_ctx *q = quality_new(c, &(blalm_err){{0}});
    gopher_quality_stats o;
    gopher_quality_measure(q, s, strlen(s), &o);
    quality_free(q);
    return o.reason ? o.reason : "pass";
}

TEST(gopher_doc_words_at_threshold)
{
    quality_config c;
    quality_defaults(&c);
    char *s48 = words_text(47, "apple"), *s50 = words_text(48, "apple"), *s51 = words_text(49, "apple");
    CHECK_EQ_STR(gq_reason(&c, s48), "gopher_short_doc");  /* 49 < 50 */
    CHECK_EQ_STR(gq_reason(&c, s50), "pass");              /* 50 */
    CHECK_EQ_STR(gq_reason(&c, s51), "pass");
    c.max_doc_words = 50;
    CHECK_EQ_STR(gq_reason(&c, s50), "pass");
    CHECK_EQ_STR(gq_reason(&c, s51), "gopher_long_doc");
    c.min_doc_words = -1;  /* disabled */
    c.max_doc_words = -1;
    CHECK_EQ_STR(gq_reason(&c, s48), "pass");
    free(s48);
    free(s50);
    free(s51);
}

TEST(gopher_avg_word_length)
{
    quality_config c;
    quality_defaults(&c);
    /* "the and" + 98 words of length L: mean = (6 + 98 L) / 100 */
    char *s = words_text(98, "abc");   /* (6 + 294) / 100 = 3.0 */
    CHECK_EQ_STR(gq_reason(&c, s), "pass");
    free(s);
    s = words_text(98, "ab");          /* 2.02 < 3 */
    CHECK_EQ_STR(gq_reason(&c, s), "gopher_below_avg_threshold");
    free(s);
    s = words_text(98, "abcdefghij");  /* 9.86 */
    CHECK_EQ_STR(gq_reason(&c, s), "pass");
    free(s);
    s = words_text(98, "abcdefghijk"); /* 10.84 > 10 */
    CHECK_EQ_STR(gq_reason(&c, s), "gopher_above_avg_threshold");
    free(s);
}

/* Replaces `k` of the "apple" words with `w`. */
static char *with_some(size_t n, size_t k, const char *w)
{
    sbuf b;
    sb_init(&b);
    sb_adds(&b, "the and");
    for (size_t i = 0; i < n; i++) {
        sb_addc(&b, ' ');
        sb_adds(&b, i < k ? w : "apple");
    }
    return (char *)sb_cstr(&b);
}

TEST(gopher_symbol_ratios)
{
    quality_config c;
    quality_defaults(&c);
    gopher_quality_stats o;
    /* 100 tokens, 10 of which hold one '#' ("a#b" stays one token) -> 0.1 */
    char *s = with_some(98, 10, "ab#cd");
    gopher_quality_measure(Q, s, strlen(s), &o);
    CHECK_EQ_INT(o.n_words, 100);
    CHECK_NEAR(o.hash_word_ratio, 0.1, 1e-12);
    CHECK_EQ_STR(gq_reason(&c, s), "pass");          /* 0.1 is not > 0.1 */
    c.max_symbol_word_ratio = 0.0999;
    CHECK_EQ_STR(gq_reason(&c, s), "gopher_too_many_hashes");
    free(s);
    quality_defaults(&c);
    s = with_some(98, 11, "ab\xe2\x80\xa6" "cd");      /* 11 ellipses in 111 tokens */
    gopher_quality_measure(Q, s, strlen(s), &o);
    CHECK_EQ_INT(o.ellipses, 11);
    c.max_symbol_word_ratio = o.ellipsis_word_ratio;
    CHECK_EQ_STR(gq_reason(&c, s), "pass");
    c.max_symbol_word_ratio = o.ellipsis_word_ratio - 1e-9;
    CHECK_EQ_STR(gq_reason(&c, s), "gopher_too_many_ellipsis");
    free(s);
}

TEST(gopher_lines_bullets_ellipses_alpha_stop)
{
    quality_config c;
    quality_defaults(&c);
    /* 10 lines, 9 start with a bullet: 0.9 is not > 0.9; 10 of 10 is */
    sbuf b;
    sb_init(&b);
    for (int i = 0; i < 10; i++) sb_printf(&b, "%s the and apple pear plum fig kiwi\n", i < 9 ? "- " : "");
    CHECK_EQ_STR(gq_reason(&c, sb_cstr(&b)), "pass");
    sb_reset(&b);
    for (int i = 0; i < 10; i++) sb_adds(&b, "\xe2\x80\xa2 the and apple pear plum fig kiwi\n");
    CHECK_EQ_STR(gq_reason(&c, sb_cstr(&b)), "gopher_too_many_bullets");
    /* 3 of 10 lines end with "..." -> 0.3 passes; 4 fails */
    for (int k = 3; k <= 4; k++) {
        sb_reset(&b);
        for (int i = 0; i < 10; i++)
            sb_printf(&b, "the and apple pear plum fig kiwi%s\n", i < k ? " ..." : "");
        gopher_quality_stats o;
        gopher_quality_measure(Q, b.data, b.len, &o);
        CHECK_NEAR(o.ellipsis_lines_ratio, k / 10.0, 1e-12);
        c.max_symbol_word_ratio = -1;  /* isolate the line rule */
        CHECK_EQ_STR(gq_reason(&c, sb_cstr(&b)), k == 3 ? "pass" : "gopher_too_many_end_ellipsis");
    }
    quality_defaults(&c);
    /* alpha ratio: 80 of 100 tokens with a letter passes, 79 fails */
    for (int k = 20; k <= 21; k++) {
        char *s = with_some(98, (size_t)k, "123");
        CHECK_EQ_STR(gq_reason(&c, s), k == 20 ? "pass" : "gopher_below_alpha_threshold");
        free(s);
    }
    /* stop words: two needed ("The" does not count: case-sensitive) */
    char *s = words_text(60, "apple");
    CHECK_EQ_STR(gq_reason(&c, s), "pass");
    s[0] = 'T';
    CHECK_EQ_STR(gq_reason(&c, s), "gopher_enough_stop_words");
    /* distinct ones, as datatrove's len(stop_words.intersection(set(words))):
     * "the the" is one stop word, "the and" two */
    memcpy(s, "the the", 7);
    CHECK_EQ_STR(gq_reason(&c, s), "gopher_enough_stop_words");
    free(s);
    /* the same with a list of one's own, duplicates in it counted once */
    {
        quality_ctx *q = quality_new(&c, &(blalm_err){{0}});
        const char *const mine[] = {"apple", "pear", "apple"};
        CHECK(quality_set_stop_words(q, mine, 3, &(blalm_err){{0}}) == 0);
        gopher_quality_stats st;
        const char *t1 = "apple apple apple apple";
        gopher_quality_measure(q, t1, strlen(t1), &st);
        CHECK_EQ_INT(st.stop_words, 1);
        const char *t2 = "pear apple pear plum";
        gopher_quality_measure(q, t2, strlen(t2), &st);
        CHECK_EQ_INT(st.stop_words, 2);
        /* the per-document stamp wraps to 0, the stamp of every entry never
         * seen: the stamps are cleared, not taken for this document's */
        CHECK(quality_set_stop_words(q, mine, 3, &(blalm_err){{0}}) == 0);
        q->stop_gen = UINT32_MAX;
        gopher_quality_measure(q, t2, strlen(t2), &st);
        CHECK_EQ_INT(st.stop_words, 2);
        gopher_quality_measure(q, t1, strlen(t1), &st);
        CHECK_EQ_INT(st.stop_words, 1);
        quality_free(q);
    }
    sb_free(&b);
}

static const char *gr_reason(const quality_config *c, const char *s, gopher_repetition_stats *o)
{
    quality_ctx *q = quality_new(c, &(blalm_err){{0}});
    gopher_repetition_measure(q, s, strlen(s), o);
    quality_free(q);
    return o->reason ? o->reason : "pass";
}

/* Each repetition rule: the measured value as threshold passes (rules use
 * >), a hair below fails with the rule's reason. */
TEST(gopher_repetition_rules_at_threshold)
{
    quality_config c;
    gopher_repetition_stats o;
    quality_defaults(&c);
    const char *para = "alpha beta gamma delta.\n\nalpha beta gamma delta.\n\n"
                       "one two three four five six seven eight nine ten.\n\n"
                       "eleven twelve thirteen fourteen fifteen sixteen.";
    gr_reason(&c, para, &o);
    CHECK_NEAR(o.dup_para_frac, 0.25, 1e-12);
    quality_defaults(&c);
    c.dup_para_frac = 0.25;
    c.dup_para_char_frac = c.dup_line_frac = c.dup_line_char_frac = -1;
    for (int k = 0; k < 3; k++) c.top_n_gram_frac[k] = -1;
    for (int k = 0; k < 6; k++) c.dup_n_gram_frac[k] = -1;
    CHECK_EQ_STR(gr_reason(&c, para, &o), "pass");
    c.dup_para_frac = 0.2499;
    CHECK_EQ_STR(gr_reason(&c, para, &o), "dup_para_frac");
    c.dup_para_frac = -1;
    c.dup_para_char_frac = o.dup_para_char_frac;
    CHECK_EQ_STR(gr_reason(&c, para, &o), "pass");
    c.dup_para_char_frac -= 1e-9;
    CHECK_EQ_STR(gr_reason(&c, para, &o), "dup_para_char_frac");
    c.dup_para_char_frac = -1;
    c.dup_line_frac = o.dup_line_frac;
    CHECK_EQ_STR(gr_reason(&c, para, &o), "pass");
    c.dup_line_frac -= 1e-9;
    CHECK_EQ_STR(gr_reason(&c, para, &o), "dup_line_frac");
    c.dup_line_frac = -1;
    c.dup_line_char_frac = o.dup_line_char_frac;
    CHECK_EQ_STR(gr_reason(&c, para, &o), "pass");
    c.dup_line_char_frac -= 1e-9;
    CHECK_EQ_STR(gr_reason(&c, para, &o), "dup_line_char_frac");
    c.dup_line_char_frac = -1;
    /* n-grams: "a b a b a b ..." */
    const char *rep = "red fox red fox red fox red fox jumps over the lazy dog";
    gr_reason(&c, rep, &o);
    /* top 2-gram "red fox" x4, 7 chars each: 28 / 55 */
    CHECK_NEAR(o.top_n_gram_char_frac[0], 28.0 / 55.0, 1e-12);
    c.top_n_gram_frac[0] = o.top_n_gram_char_frac[0];
    CHECK_EQ_STR(gr_reason(&c, rep, &o), "pass");
    c.top_n_gram_frac[0] -= 1e-9;
    CHECK_EQ_STR(gr_reason(&c, rep, &o), "top_2_gram");
    c.top_n_gram_frac[0] = -1;
    const char *dup5 = "one two three four five one two three four five six seven";
    gr_reason(&c, dup5, &o);
    /* the second "one two three four five" repeats: "onetwothreefourfive" = 19 chars */
    CHECK_NEAR(o.dup_n_gram_char_frac[0], 19.0 / 57.0, 1e-12);
    c.dup_n_gram_frac[0] = o.dup_n_gram_char_frac[0];
    CHECK_EQ_STR(gr_reason(&c, dup5, &o), "pass");
    c.dup_n_gram_frac[0] -= 1e-9;
    CHECK_EQ_STR(gr_reason(&c, dup5, &o), "duplicated_5_n_grams");
}

/* Texts with no words (empty, whitespace only): datatrove 0.10's verdict
 * comes from its paragraphs (re.split(r"\n{2,}", text.strip()): one empty
 * one) and lines (re.split("\n+", text)): "\n" is two empty lines, one a
 * duplicate, so dup_line_frac 1/2; " \n\t" has two different ones. The
 * empty text, where datatrove raises ZeroDivisionError (0 / len(text)),
 * passes (README: a ratio over zero is 0). */
TEST(gopher_repetition_blank_texts)
{
    static const struct { const char *text, *reason; } cases[] = {
        {"", "pass"}, {" ", "pass"}, {"   \n\n\t ", "pass"}, {"\n", "dup_line_frac"},
        {"\n\n\n", "dup_line_frac"}, {" \n ", "dup_line_frac"}, {" \n\t", "pass"},
        {"\t\n \n\t", "dup_line_frac"}, {"\xc2\xa0\n\n\xc2\xa0", "dup_line_frac"},
        {"\xe3\x80\x80", "pass"}, {" \n \n \n", "dup_line_frac"},
    };
    quality_config c;
    quality_defaults(&c);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        gopher_repetition_stats o;
        CHECK_MSG(!strcmp(gr_reason(&c, cases[i].text, &o), cases[i].reason), "case %zu: %s, expected %s", i,
                  o.reason ? o.reason : "pass", cases[i].reason);
        CHECK_EQ_INT((long long)o.words, 0);
    }
}

/* datatrove's find_all_duplicate compares "".join(words[i:i+n]): n-grams of
 * other tokens whose joined texts are the same repeat ("aa b c d e" and
 * "a ab c d e" are both "aabcde"; OCR text holds "south of the Oh io" and
 * "sou th of the Ohio"), on the fast and the reference paths. Python:
 * find_all_duplicate(text.split(), 5) == 6, 0 for 6 to 10. */
TEST(gopher_repetition_dup_n_grams_compare_joined_text)
{
    const char *s = "aa b c d e wawa wbwb wcwc wdwd wewe wfwf wgwg whwh a ab c d e";
    for (int fast = 1; fast >= 0; fast--) {
        quality_ctx *q = quality_new(NULL, &(blalm_err){{0}});
        quality_set_fast_paths(q, fast);
        gopher_repetition_stats o;
        gopher_repetition_measure(q, s, strlen(s), &o);
        CHECK_NEAR(o.dup_n_gram_char_frac[0], 6.0 / 61.0, 1e-12);
        for (int k = 1; k < 6; k++) CHECK_NEAR(o.dup_n_gram_char_frac[k], 0.0, 1e-12);
        /* the same tokens in another order join to other texts: nothing repeats */
        const char *t = "aa b c d e wawa wbwb wcwc wdwd wewe wfwf wgwg whwh ab a c d e";
        gopher_repetition_measure(q, t, strlen(t), &o);
        CHECK_NEAR(o.dup_n_gram_char_frac[0], 0.0, 1e-12);
        quality_free(q);
    }
}

/* The fast path finds repeats by a hash of the joined text mod 2^64, where
 * the 2,048 bytes of the Thue-Morse word over {a, b} and of its complement
 * hash alike for every base; they must still count as two texts (compared by
 * their bytes), and the word split another way as the same text. */
static size_t thue_morse_tokens(char *o, int complement, const int *cut)
{
    size_t n = 0;
    for (int k = 0; k < 5; k++) {
        for (int i = cut[k]; i < cut[k + 1]; i++)
            o[n++] = "ab"[(__builtin_popcount((unsigned)i) & 1) ^ complement];
        o[n++] = ' ';
    }
    return n;
}

TEST(gopher_repetition_dup_n_grams_hash_collision)
{
    static const int cut1[] = {0, 410, 820, 1230, 1640, 2048}, cut2[] = {0, 400, 800, 1200, 1600, 2048};
    const char *filler = "wawa wbwb wcwc wdwd wewe wfwf ";
    char *s = malloc(3 * 2048);
    for (int same = 0; same <= 1; same++) {
        size_t n = thue_morse_tokens(s, 0, cut1);
        memcpy(s + n, filler, strlen(filler));
        n += strlen(filler);
        n += thue_morse_tokens(s + n, !same, cut2);
        s[--n] = 0;   /* no trailing space */
        for (int fast = 1; fast >= 0; fast--) {
            quality_ctx *q = quality_new(NULL, &(blalm_err){{0}});
            quality_set_fast_paths(q, fast);
            gopher_repetition_stats o;
            gopher_repetition_measure(q, s, n, &o);
            CHECK_EQ_INT((int)o.words, 16);
            CHECK_NEAR(o.dup_n_gram_char_frac[0], same ? 2048.0 / (double)n : 0.0, 1e-12);
            quality_free(q);
        }
    }
    free(s);
}

/* Tokens of 4,096 bytes or more (the fast path's B^len beyond its table):
 * "A b c d e" and "A' ab c d e", A' one byte shorter than A, join alike, on
 * both paths; the 6- to 10-grams do not repeat. */
TEST(gopher_repetition_dup_n_grams_long_tokens)
{
    for (size_t big = 4095; big <= 5000; big += 905) {
        size_t cap = 2 * big + 200, n = 0;
        char *s = malloc(cap);
        memset(s + n, 'a', big + 1);
        n += big + 1;
        memcpy(s + n, " b c d e wawa wbwb wcwc wdwd wewe wfwf ", 39);
        n += 39;
        memset(s + n, 'a', big);
        n += big;
        memcpy(s + n, " ab c d e", 9);
        n += 9;
        for (int fast = 1; fast >= 0; fast--) {
            quality_ctx *q = quality_new(NULL, &(blalm_err){{0}});
            quality_set_fast_paths(q, fast);
            gopher_repetition_stats o;
            gopher_repetition_measure(q, s, n, &o);
            CHECK_EQ_INT((int)o.words, 16);
            CHECK_NEAR(o.dup_n_gram_char_frac[0], (double)(big + 5) / (double)n, 1e-12);
            for (int k = 1; k < 6; k++) CHECK_NEAR(o.dup_n_gram_char_frac[k], 0.0, 1e-12);
            quality_free(q);
        }
        free(s);
    }
}

static c4_stats c4_of(const quality_config *cfg, const char *s)
{
    quality_ctx *q = quality_new(cfg, &(blalm_err){{0}});
    c4_stats o;
    c4_measure(q, s, strlen(s), &o);
    quality_free(q);
    return o;
}

TEST(c4_rules)
{
    quality_config c;
    quality_defaults(&c);
    /* 5 sentences pass, 4 fail */
    const char *five = "One two three. Four five six.\nSeven eight nine ten.\n"
                       "Eleven twelve thirteen. Fourteen fifteen sixteen.\nshort line";
    c4_stats o = c4_of(&c, five);
    CHECK_EQ_INT(o.v.sentences, 5);
    CHECK(o.v.reason == NULL);
    CHECK_EQ_INT(o.v.lines_kept, 3);
    CHECK_EQ_INT(o.v.lines_no_terminal_punct, 1);
    CHECK_EQ_INT(o.no_punct.lines_kept, 3);  /* "short line" still has < 3 words */
    c.c4_min_num_sentences = 6;
    CHECK_EQ_STR(c4_of(&c, five).v.reason, "too_few_sentences");
    quality_defaults(&c);
    /* words per line: 3 kept, 2 dropped */
    o = c4_of(&c, "Two words.\nThree words here.");
    CHECK_EQ_INT(o.v.lines_too_few_words, 1);
    CHECK_EQ_INT(o.v.lines_kept, 1);
    /* whole-document rules */
    CHECK_EQ_STR(c4_of(&c, "Lorem ipsum dolor sit amet.").v.reason, "lorem_ipsum");
    CHECK_EQ_STR(c4_of(&c, "Use a {brace} in code here.").v.reason, "curly_bracket");
    /* line rules */
    o = c4_of(&c, "Please enable JavaScript to view this.\nRead our privacy policy today.\n"
                  "A fine line of text here.");
    CHECK_EQ_INT(o.v.lines_javascript, 1);
    CHECK_EQ_INT(o.v.lines_policy, 1);
    CHECK_EQ_INT(o.v.lines_kept, 1);
    /* a citation is removed before the punctuation check */
    o = c4_of(&c, "This is a cited claim.[1]\nThis one ends badly. [2]");
    CHECK_EQ_INT(o.v.citations_removed, 2);
    CHECK_EQ_INT(o.v.lines_kept, 1);  /* the second ends with a space after removal */
    /* word length: 1000 chars is fine, 1001 drops the line */
    char *s = malloc(1200);
    memset(s, 'a', 1001);
    strcpy(s + 1000, " is long.");
    CHECK_EQ_INT(c4_of(&c, s).v.lines_too_long_word, 0);
    memset(s, 'a', 1001);
    strcpy(s + 1001, " is long.");
    CHECK_EQ_INT(c4_of(&c, s).v.lines_too_long_word, 1);
    free(s);
    /* ellipsis is not terminal punctuation */
    CHECK_EQ_INT(c4_of(&c, "And then it went on...").v.lines_no_terminal_punct, 1);
}

/* C4's per-line scans (word lengths eight bytes at a time, the lowercased
 * copy for the phrase searches) at every alignment, with multi-byte
 * characters before and inside the words. */
TEST(c4_line_scans_at_every_offset)
{
    quality_config c;
    quality_defaults(&c);
    c.c4_max_word_length = 10;
    static const char *const lead[] = {"", "\xc3\xa9", "\xe2\x80\x94 ", "\xf0\x9f\x98\x80"};
    char text[256];
    for (size_t p = 0; p <= 17; p++) {
        for (size_t l = 0; l < sizeof lead / sizeof *lead; l++) {
            char pre[64];
            snprintf(pre, sizeof pre, "%s%.*s", lead[l], (int)p, "xxxxxxxxxxxxxxxxxx");
            /* 10 code points fit, 11 do not; U+00E9 is two bytes, one code point */
            snprintf(text, sizeof text, "%s ab\xc3\xa9" "defghij ok here.", pre);
            c4_stats o = c4_of(&c, text);
            CHECK_MSG(o.v.lines_too_long_word == (p + (l == 1 || l == 3) > 10),
                      "offset %zu lead %zu: too long %llu", p, l,
                      (unsigned long long)o.v.lines_too_long_word);
            snprintf(text, sizeof text, "%s ab\xc3\xa9" "defghijk ok here.", pre);
            CHECK_MSG(c4_of(&c, text).v.lines_too_long_word == 1, "offset %zu lead %zu", p, l);
            /* phrase searches see every case and alignment */
            quality_defaults(&c);
            snprintf(text, sizeof text, "%s please ENABLE JAVASCRIPT now.", pre);
            CHECK_MSG(c4_of(&c, text).v.lines_javascript == 1, "offset %zu lead %zu", p, l);
            snprintf(text, sizeof text, "%s please ENABLE J@VASCRIPT now.", pre);
            CHECK_MSG(c4_of(&c, text).v.lines_javascript == 0, "offset %zu lead %zu", p, l);
            snprintf(text, sizeof text, "%s read our Privacy POLICY now.", pre);
            CHECK_MSG(c4_of(&c, text).v.lines_policy == 1, "offset %zu lead %zu", p, l);
            snprintf(text, sizeof text, "%s read our Privacy[POLICY now.", pre);
            CHECK_MSG(c4_of(&c, text).v.lines_policy == 0, "offset %zu lead %zu", p, l);
            snprintf(text, sizeof text, "%s LoReM IpSuM dolor sit.", pre);
            CHECK_MSG(c4_of(&c, text).v.lorem_ipsum == 1, "offset %zu lead %zu", p, l);
            c.c4_max_word_length = 10;
        }
    }
}

/* C4's phrase search against a naive one (ASCII-lowercase the line, then
 * strstr) on random lines of phrase fragments, near misses and odd bytes. */
static int naive_has(const char *line, const char *phrase)
{
    char low[512];
    size_t n = strlen(line);
    for (size_t i = 0; i <= n; i++)
        low[i] = (line[i] >= 'A' && line[i] <= 'Z') ? (char)(line[i] + 32) : line[i];
    return strstr(low, phrase) != NULL;
}

TEST(c4_phrases_match_naive_search)
{
    static const char *const frag[] = {
        "lorem", "LOREM", " ", "ipsum", "IpSuM", "java", "SCRIPT", "script", "terms", " of ",
        "use", "USES", "privacy", "Policy", "POLIC", "cookie", "cookies", "Cookies", "use of",
        "of", "s", "x", "@", "[", "`", "\xc3\xa9", "\x01", "jav", "ascript", "  ",
        "Privacy Policy", "TERMS OF USE", "uses cookies", "use of COOKIES", "JavaScript",
        "Lorem Ipsum", "cookie policy", "use cookies"};
    size_t nf = sizeof frag / sizeof *frag;
    static const char *const pol[] = {"terms of use", "privacy policy", "cookie policy",
                                      "uses cookies", "use of cookies", "use cookies"};
    quality_config c;
    quality_defaults(&c);
    quality_ctx *q = quality_new(&c, &(blalm_err){{0}});
    CHECK(q != NULL);
    if (!q) return;
    uint64_t x = 0x2545F4914F6CDD1DULL;
    size_t bad = 0, hits = 0;
    for (int round = 0; round < 20000; round++) {
        char line[400] = "w1 w2 ";
        size_t k = 1 + rng_next(&x) % 12;
        for (size_t i = 0; i < k; i++) strcat(line, frag[rng_next(&x) % nf]);
        strcat(line, " end.");
        int lorem = naive_has(line, "lorem ipsum"), js = naive_has(line, "javascript"), po = 0;
        for (int j = 0; j < 6; j++) po |= naive_has(line, pol[j]);
        hits += lorem || js || po;
        c4_stats o;
        c4_measure(q, line, strlen(line), &o);
        int ok = lorem ? o.v.lorem_ipsum == 1
                       : (o.v.lorem_ipsum == 0 && (int)o.v.lines_javascript == js &&
                          (js || (int)o.v.lines_policy == po));
        if (!ok && bad++ < 3) printf("# phrase search differs on \"%s\"\n", line);
    }
    printf("# c4 phrases: 20000 random lines, %zu with a phrase, %zu differ from the naive search\n",
           hits, bad);
    CHECK(hits > 1000);
    CHECK_EQ_INT(bad, 0);
    quality_free(q);
}

static const char *fw_reason(const quality_config *c, const char *s, fineweb_stats *o)
{
    quality_ctx *q = quality_new(c, &(blalm_err){{0}});
    fineweb_measure(q, s, strlen(s), o);
    quality_free(q);
    return o->reason ? o->reason : "pass";
}

TEST(fineweb_rules_at_threshold)
{
    quality_config c;
    quality_defaults(&c);
    fineweb_stats o;
    CHECK_EQ_STR(fw_reason(&c, "", &o), "empty");
    CHECK_EQ_STR(fw_reason(&c, "  \n \n", &o), "empty");
    CHECK_NEAR(o.list_ratio, 0.0, 0);   /* no words: a zero denominator gives 0, not newlines/1 */
    CHECK_EQ_STR(fw_reason(&c, "\n\n\n\n", &o), "empty");
    CHECK_NEAR(o.list_ratio, 0.0, 0);
    /* line_punct_ratio: 1 of 8 = 0.125 passes 0.12; at thr 0.125 passes (rule is <) */
    const char *t = "a long line of text number one here.\na long line of text number two here\n"
                    "a long line of text number three here\na long line of text number four her\n"
                    "a long line of text number five here\na long line of text number six here\n"
                    "a long line of text number seven her\na long line of text number eight he";
    CHECK_EQ_STR(fw_reason(&c, t, &o), "pass");
    CHECK_NEAR(o.line_punct_ratio, 0.125, 1e-12);
    c.line_punct_thr = 0.125;
    CHECK_EQ_STR(fw_reason(&c, t, &o), "pass");
    c.line_punct_thr = 0.1251;
    CHECK_EQ_STR(fw_reason(&c, t, &o), "line_punct_ratio");
    quality_defaults(&c);
    /* short lines: ratio as threshold passes (rule is >), below fails */
    const char *sl = "short.\nshort too.\nthis line is definitely longer than thirty characters.";
    fw_reason(&c, sl, &o);
    CHECK_NEAR(o.short_line_ratio, 2.0 / 3.0, 1e-12);
    c.short_line_thr = o.short_line_ratio;
    CHECK_EQ_STR(fw_reason(&c, sl, &o), "pass");
    c.short_line_thr -= 1e-9;
    CHECK_EQ_STR(fw_reason(&c, sl, &o), "short_line_ratio");
    quality_defaults(&c);
    const char *dup = "this line repeats itself exactly.\nthis line repeats itself exactly.\n"
                      "and this is a different line of text.";
    fw_reason(&c, dup, &o);
    CHECK_EQ_INT(o.dup_chars, 33);
    c.char_duplicates_ratio = o.char_dup_ratio;
    CHECK_EQ_STR(fw_reason(&c, dup, &o), "pass");
    c.char_duplicates_ratio -= 1e-9;
    CHECK_EQ_STR(fw_reason(&c, dup, &o), "char_dup_ratio");
    quality_defaults(&c);
    const char *list = "one two three four five six seven eight nine ten.\nalpha beta.\ngamma delta.";
    fw_reason(&c, list, &o);
    c.short_line_thr = 1;
    c.new_line_ratio = o.list_ratio;
    CHECK_EQ_STR(fw_reason(&c, list, &o), "pass");
    c.new_line_ratio -= 1e-9;
    CHECK_EQ_STR(fw_reason(&c, list, &o), "list_ratio");
}

TEST(bad_input_no_nan)
{
    static const char *cases[] = {"", "   \n\n\t ", "!!! ... ??? ---", "#"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *s = cases[i];
        size_t n = strlen(s);
        gopher_quality_stats a;
        gopher_repetition_stats b;
        c4_stats c;
        fineweb_stats d;
        gopher_quality_measure(Q, s, n, &a);
        gopher_repetition_measure(Q, s, n, &b);
        c4_measure(Q, s, n, &c);
        fineweb_measure(Q, s, n, &d);
        sbuf out;
        sb_init(&out);
        gopher_quality_json(&a, &out);
        gopher_repetition_json(&b, &out);
        c4_json(&c, &out);
        fineweb_json(&d, &out);
        const char *j = sb_cstr(&out);
        CHECK_MSG(!strstr(j, "nan") && !strstr(j, "inf") && !strstr(j, ":null,\"n"),
                  "case %zu: %s", i, j);
        CHECK(a.reason != NULL);  /* too short for Gopher */
        CHECK(c.v.reason != NULL);
        sb_free(&out);
    }
    /* NUL bytes and invalid UTF-8 */
    const char raw[] = "word\0word \xff\xfe more words\n\x80 here.";
    gopher_quality_stats a;
    gopher_quality_measure(Q, raw, sizeof raw - 1, &a);
    CHECK(a.n_words >= 4);
    c4_stats c;
    c4_measure(Q, raw, sizeof raw - 1, &c);
    CHECK_EQ_INT(c.lines, 2);
}

TEST(large_text)
{
    /* 4 MiB of sentences: exercises table growth */
    size_t n = 4u << 20;
    char *s = malloc(n + 1);
    const char *unit = "The quick brown fox jumps over the lazy dog again. ";
    size_t ul = strlen(unit), p = 0;
    while (p + ul <= n) {
        memcpy(s + p, unit, ul);
        p += ul;
    }
    s[p] = 0;
    gopher_repetition_stats o;
    gopher_repetition_measure(Q, s, p, &o);
    CHECK(o.reason != NULL);  /* one sentence over and over */
    CHECK(o.top_n_gram_char_frac[0] > 0.0);
    CHECK(o.dup_n_gram_char_frac[5] > 0.5);
    free(s);
}

/* Every quality set of one text, as blalm tag writes them, into out. */
static void measure_all(quality_ctx *q, const char *text, size_t len, sbuf *out)
{
    gopher_quality_stats g;
    gopher_repetition_stats gr;
    c4_stats c4;
    fineweb_stats fw;
    sb_reset(out);
    gopher_quality_measure(q, text, len, &g);
    gopher_quality_json(&g, out);
    gopher_repetition_measure(q, text, len, &gr);
    gopher_repetition_json(&gr, out);
    fineweb_measure(q, text, len, &fw);
    fineweb_json(&fw, out);
    c4_measure(q, text, len, &c4);
    c4_json(&c4, out);
}

/* The fast paths (chunk cache, unique 5-gram skip, lazy n-gram hashes) give
 * byte-identical attributes to the reference paths on real documents. */
TEST(fast_paths_match_reference_on_real_data)
{
    const char *dir = test_shared_data();
    if (!dir) SKIPF("BLALM_SHARED_DATA not set");
    char path[4096];
    snprintf(path, sizeof path, "%s/fineweb-legal.jsonl.zst", dir);
    blalm_err e;
    doc_opts o = {0};
    doc_reader *r = doc_open(path, &o, &e);
    if (!r) SKIPF("%s", e.msg);
    quality_ctx *ref = quality_new(NULL, &e);
    CHECK(ref != NULL);
    quality_set_fast_paths(ref, 0);
    /* and Gopher repetition's duplicated n-grams as on a huge document:
     * hashes rolled 1,000 positions at a time */
    quality_ctx *chunked = quality_new(NULL, &e);
    CHECK(chunked != NULL);
    quality_set_join_chunk(chunked, 1000);
    quality_ctx *qs[3] = {Q, ref, chunked};
    sbuf out[3];
    sb_init(&out[0]);
    sb_init(&out[1]);
    sb_init(&out[2]);
    blalm_doc d;
    size_t n = 0, bad = 0;
#if defined(__SANITIZE_ADDRESS__)
    size_t every = 4;   /* the sanitizer run checks a quarter of the documents */
#else
    size_t every = 1;
#endif
    while (doc_next(r, &d, &e) == 1) {
        if (n++ % every) continue;
        for (int k = 0; k < 3; k++) measure_all(qs[k], d.text, d.text_len, &out[k]);
        if (out[0].len != out[1].len || memcmp(out[0].data, out[1].data, out[0].len) ||
            out[2].len != out[1].len || memcmp(out[2].data, out[1].data, out[2].len)) {
            if (!bad) printf("# first difference: %s\n", d.id);
            bad++;
        }
    }
    doc_close(r);
    sb_free(&out[0]);
    sb_free(&out[1]);
    sb_free(&out[2]);
    quality_free(ref);
    quality_free(chunked);
    printf("# fast (and chunked) vs reference paths: %zu documents (every %zu), %zu differ\n", n, every, bad);
    CHECK(n > 0);
    CHECK_EQ_INT(bad, 0);
}

/* Random texts built from a small vocabulary of tokenizer-relevant pieces
 * (contractions, abbreviations, affixes, URLs, units, non-ASCII, long
 * chunks): the fast paths (chunk cache, n-gram pruning chain, lazy hashes)
 * give the same statistics as the reference paths. Small vocabularies make
 * many repeated n-grams and ties. */
TEST(fast_paths_match_reference_on_random_text)
{
    static const char *const pieces[] = {
        "the", "of", "and", "cat", "don't", "can't", "cannot", "gonna", "Mr.", "e.g.",
        "U.S.", "(hello)", "\"quoted\"", "end.", "Yes!", "why?", "3.14", "10km", "$5",
        "http://example.com/a?b", "user@mail.org", "well-known", "a,b", "...", "\xe2\x80\xa6",
        "caf\xc3\xa9", "\xd0\xbc\xd0\xb8\xd1\x80", "\xe4\xb8\xad\xe6\x96\x87", "it\xe2\x80\x99s",
        "#tag", "-", "\xe2\x80\xa2", "x\xef\xbf\xbdy", "aVeryLongChunkThatIsLongerThanTheCacheKeyLimitOfBytes",
        "abcdefghijklmnopqrstuvwxyzabcdefghij" /* 36 bytes: the longest cached chunk */,
        "abcdefghijklmnopqrstuvwxyzabcdefghijk", "abcdefghijklmnopqrstuvwxyz.abcdefgh", "5-7",
        "C++", ":)", "'s", "(U.S.)", "[1]", "{x}", "dont", "I'm", "we're", "they'll", "she'd",
        /* runs of dots, '#', ellipses inside words (Gopher's counts) */
        "....", "......", "#", "##x#", "a...b", ".\xe2\x80\xa6.", "\xe2\x80\xa6\xe2\x80\xa6", "x\xe2\x80",
        /* letters with one closing or opening mark (the splitter's shortcut),
         * special cases among them, and a non-ASCII mark whose low byte is '?' */
        "word,", "end.", "Mr.", "n.", "aB.", "AB.", "Ab.", "cannot,", "(cannot", "(word", "\"Word",
        "[x", "{gonna", "xD!", "it)", "m\xe0\xb8\xbf", "dont?", "I.", "Inc.", "vs.",
        /* tokens whose texts join alike ("a" "ab" and "aa" "b"): the 5- to
         * 10-grams are compared by their joined texts */
        "a", "ab", "b", "aa", "ba", "aab"};
    size_t np = sizeof pieces / sizeof pieces[0];
    blalm_err e;
    quality_ctx *fast = quality_new(NULL, &e), *ref = quality_new(NULL, &e);
    CHECK(fast && ref);
    if (!fast || !ref) return;
    quality_set_fast_paths(ref, 0);
    quality_ctx *qs[2] = {fast, ref};
    sbuf out[2], text;
    sb_init(&out[0]);
    sb_init(&out[1]);
    sb_init(&text);
    ws_spans split = {0};
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    size_t bad = 0, runs = 0;
    for (int round = 0; round < 600; round++) {
        size_t vocab = (size_t[]){2, 3, 5, 12, np}[round % 5];
        size_t base = rng_next(&x) % np;
        size_t n = rng_next(&x) % 400;
        sb_reset(&text);
        for (size_t i = 0; i < n; i++) {
            sb_adds(&text, pieces[(base + rng_next(&x) % vocab) % np]);
            uint64_t r = rng_next(&x) % 16;
            sb_adds(&text, r == 0 ? "\n" : r == 1 ? "\n\n" : " ");
        }
        /* the fast side starts from the caller's split, as blalm tag does */
        CHECK(ws_split(&split, text.data, text.len) == 0);
        quality_use_split(fast, &split);
        /* Gopher repetition's duplicated n-grams as on a huge document too:
         * hashes rolled in chunks of 1, 7 or 64 positions */
        quality_set_join_chunk(fast, (size_t[]){0, 1, 7, 64}[round % 4]);
        for (int k = 0; k < 2; k++) measure_all(qs[k], text.data, text.len, &out[k]);
        runs++;
        if (out[0].len != out[1].len || memcmp(out[0].data, out[1].data, out[0].len)) {
            if (!bad) printf("# first difference in round %d:\n#  fast %.*s\n#  ref  %.*s\n", round,
                             (int)out[0].len, out[0].data, (int)out[1].len, out[1].data);
            bad++;
        }
    }
    printf("# fast vs reference paths on %zu random texts: %zu differ\n", runs, bad);
    CHECK_EQ_INT(bad, 0);
    sb_free(&out[0]);
    sb_free(&out[1]);
    sb_free(&text);
    ws_free(&split);
    quality_free(fast);
    quality_free(ref);
}

/* Python splitlines() boundaries at every offset around the eight-byte
 * ASCII skip in split_lines */
TEST(line_breaks_at_every_offset)
{
    static const char *const brk[] = {"\n", "\r", "\r\n", "\x0b", "\x0c", "\x1c", "\x1d",
                                      "\x1e", "\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9"};
    static const char *const nonbrk[] = {"\x1f", "\t", "\xc3\xa9", "\xe2\x80\xa6", "\xc2\xa0"};
    quality_config c;
    quality_defaults(&c);
    quality_ctx *q = quality_new(&c, &(blalm_err){{0}});
    CHECK(q != NULL);
    if (!q) return;
    char text[128];
    const char *pre = "abcdefghijklmnopqrstu";
    for (size_t p = 0; p <= 20; p++) {
        for (size_t b = 0; b < sizeof brk / sizeof *brk; b++) {
            snprintf(text, sizeof text, "%.*s%sthe tail line here", (int)p, pre, brk[b]);
            gopher_quality_stats o;
            gopher_quality_measure(q, text, strlen(text), &o);
            CHECK_EQ_INT((long long)o.lines, 2);
        }
        for (size_t b = 0; b < sizeof nonbrk / sizeof *nonbrk; b++) {
            snprintf(text, sizeof text, "%.*s%sthe tail line here", (int)p, pre, nonbrk[b]);
            gopher_quality_stats o;
            gopher_quality_measure(q, text, strlen(text), &o);
            CHECK_EQ_INT((long long)o.lines, 1);
        }
    }
    quality_free(q);
}

/* chunk boundaries at every offset around the eight-byte scan */
TEST(whitespace_at_every_offset)
{
    static const char *const ws[] = {" ", "\t", "\n", "\x0b", "\x1c", "\x1f", "\xc2\x85",
                                     "\xc2\xa0", "\xe2\x80\x83", "\xe3\x80\x80"};
    static const char *const nonws[] = {"!", "\x7f", "\x1b", "\xc3\xa9", "\xe2\x80\x8b"};
    const char *pre = "abcdefghijklmnopqrstu";
    char text[128];
    quality_config c;
    quality_defaults(&c);
    quality_ctx *q = quality_new(&c, &(blalm_err){{0}});
    CHECK(q != NULL);
    if (!q) return;
    for (size_t p = 1; p <= 20; p++) {
        for (size_t b = 0; b < sizeof ws / sizeof *ws; b++) {
            snprintf(text, sizeof text, "%.*s%sxyz", (int)p, pre, ws[b]);
            CHECK_EQ_INT((long long)quality_tokenize(q, text, strlen(text), NULL, NULL), 2);
        }
        snprintf(text, sizeof text, "%.*s%sxyz", (int)p, pre, nonws[3]);   /* a letter */
        CHECK_EQ_INT((long long)quality_tokenize(q, text, strlen(text), NULL, NULL), 1);
    }
    quality_free(q);
}

int main(void)
{
    blalm_err e;
    Q = quality_new(NULL, &e);
    if (!Q) {
        printf("FAIL quality_new: %s\n", e.msg);
        return 1;
    }
    RUN(tokenizer_spacy_rules);
    RUN(sentencizer);
    RUN(gopher_doc_words_at_threshold);
    RUN(gopher_avg_word_length);
    RUN(gopher_symbol_ratios);
    RUN(gopher_lines_bullets_ellipses_alpha_stop);
    RUN(gopher_repetition_rules_at_threshold);
    RUN(gopher_repetition_dup_n_grams_compare_joined_text);
    RUN(gopher_repetition_dup_n_grams_hash_collision);
    RUN(gopher_repetition_dup_n_grams_long_tokens);
    RUN(c4_rules);
    RUN(c4_line_scans_at_every_offset);
    RUN(c4_phrases_match_naive_search);
    RUN(fineweb_rules_at_threshold);
    RUN(bad_input_no_nan);
    RUN(large_text);
    RUN(line_breaks_at_every_offset);
    RUN(whitespace_at_every_offset);
    RUN(gopher_repetition_blank_texts);
    RUN(fast_paths_match_reference_on_random_text);
    RUN(fast_paths_match_reference_on_real_data);
    quality_free(Q);
    return test_summary();
}
