/* test_quality_parts.c - the pieces behind filters/quality.h on their own
 * (quality_internal.h): C4's phrase search, the spaCy sentencizer over token
 * flags, and the text helpers the measures share (splitlines, strip,
 * duplicate ranges, code points), each against a naive version. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters/quality_internal.h"
#include "lib/utf8.h"
#include "tests/unit/test.h"

/* xorshift64: reproducible random test inputs */
static uint64_t rng_next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* Random text of n fragments from frag[] into buf (NUL-terminated). */
static size_t random_text(char *buf, size_t cap, uint64_t *x, const char *const *frag,
                          size_t nfrag, size_t n)
{
    size_t len = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const char *f = frag[rng_next(x) % nfrag];
        size_t k = strlen(f);
        if (len + k + 1 > cap) break;
        memcpy(buf + len, f, k + 1);
        len += k;
    }
    return len;
}

static int naive_has(const char *s, size_t n, const char *phrase)
{
    char low[1024];
    for (size_t i = 0; i < n; i++)
        low[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] + 32) : s[i];
    low[n] = 0;
    return memmem(low, n, phrase, strlen(phrase)) != NULL;
}

TEST(c4_phrases_find_matches_naive_search)
{
    static const char *const frag[] = {
        "lorem", "LOREM", " ", "ipsum", "IpSuM", "java", "SCRIPT", "script", "terms", " of ",
        "use", "USES", "privacy", "Policy", "POLIC", "cookie", "cookies", "Cookies", "use of",
        "of", "s", "x", "@", "[", "`", "\xc3\xa9", "\x01", "jav", "ascript", "  ", "\xff",
        "Privacy Policy", "TERMS OF USE", "uses cookies", "use of COOKIES", "JavaScript",
        "Lorem Ipsum", "cookie policy", "use cookies", "lorem ipsu", "javascrip"};
    static const char *const pol[] = {"terms of use", "privacy policy", "cookie policy",
                                      "uses cookies", "use of cookies", "use cookies"};
    c4_phrases p;
    c4_phrases_init(&p);
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    size_t bad = 0, seen[3] = {0, 0, 0};
    for (int round = 0; round < 50000; round++) {
        char line[600];
        size_t n = random_text(line, sizeof line, &x, frag, sizeof frag / sizeof *frag,
                               rng_next(&x) % 14);
        int want = (naive_has(line, n, "lorem ipsum") ? PH_LOREM : 0) |
                   (naive_has(line, n, "javascript") ? PH_JS : 0);
        for (int j = 0; j < 6; j++)
            if (naive_has(line, n, pol[j])) want |= PH_POLICY;
        int got = c4_phrases_find(&p, line, n);
        for (int k = 0; k < 3; k++) seen[k] += (want >> k) & 1;
        if (got != want && bad++ < 3) printf("# \"%s\": found %d, expected %d\n", line, got, want);
    }
    printf("# c4_phrases_find: 50000 random lines (lorem %zu, javascript %zu, policy %zu), "
           "%zu differ from the naive search\n", seen[0], seen[1], seen[2], bad);
    CHECK(seen[0] > 500 && seen[1] > 500 && seen[2] > 500);
    CHECK_EQ_INT(bad, 0);
    /* a phrase cut by the end of the range is not found */
    CHECK_EQ_INT(c4_phrases_find(&p, "see the javascript", 17), 0);
    CHECK_EQ_INT(c4_phrases_find(&p, "see the javascript", 18), PH_JS);
    CHECK_EQ_INT(c4_phrases_find(&p, "", 0), 0);
    /* U+212A KELVIN SIGN lowers to 'k' in Python: "COO\u212aIES" holds "cookies" */
    const char *kel = "this site uses COO\xE2\x84\xAAIES for tracking";
    CHECK_EQ_INT(c4_phrases_find(&p, kel, strlen(kel)), PH_POLICY);
    const char *kel2 = "\xE2\x84\xAA then use of coo\xE2\x84\xAAies";
    CHECK_EQ_INT(c4_phrases_find(&p, kel2, strlen(kel2)), PH_POLICY);
    CHECK_EQ_INT(c4_phrases_find(&p, kel2, strlen(kel2) - 3), 0); /* cut before the last letters */
    /* a line longer than the stack copy (512 bytes): the copy is on the heap */
    char lng[2000];
    memset(lng, 'x', sizeof lng);
    memcpy(lng + 1500, " uses coo\xE2\x84\xAAies ", 16);
    memcpy(lng + 10, "\xE2\x84\xAA", 3);
    CHECK_EQ_INT(c4_phrases_find(&p, lng, sizeof lng), PH_POLICY);
    /* a NUL byte is not a space; a phrase at every offset of the nine-byte step */
    CHECK_EQ_INT(c4_phrases_find(&p, "use\0cookies", 11), 0);
    for (size_t s = 0; s < 12; s++) {
        char line[64];
        memset(line, 'x', sizeof line);
        memcpy(line + s, "USE Cookies", 11);
        CHECK_EQ_INT(c4_phrases_find(&p, line, s + 11), PH_POLICY);
        CHECK_EQ_INT(c4_phrases_find(&p, line, s + 10), 0);
    }
}

/* spaCy's sentencizer: a sentence starts at a token that is neither
 * punctuation nor sentence punct and follows a sentence punct. */
TEST(words_sentences_over_flags)
{
    static const struct {
        const char *flags;   /* w word, . sentence punct (also punct), p other punct */
        size_t want;
    } cases[] = {
        {"", 0}, {"w", 1}, {".", 1}, {"w.", 1}, {"w.w", 2}, {"w..w", 2}, {"w.pw", 2},
        {"w.p.pw.w", 3}, {"..w", 2}, {"w.w.w.", 3}, {"pw", 1}, {"w.ppp", 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        token t[16];
        size_t n = strlen(cases[c].flags);
        memset(t, 0, sizeof t);
        for (size_t i = 0; i < n; i++) {
            char f = cases[c].flags[i];
            t[i].flags = f == '.' ? TF_SENT | TF_PUNCT : f == 'p' ? TF_PUNCT : TF_ALPHA;
        }
        size_t got = words_sentences(t, n);
        if (got != cases[c].want) FAILF("\"%s\": %zu sentences, expected %zu", cases[c].flags, got, cases[c].want);
    }
    CHECK(words_is_sent_punct('.') && words_is_sent_punct('?') && words_is_sent_punct(0x3002));
    CHECK(!words_is_sent_punct(',') && !words_is_sent_punct('"') && !words_is_sent_punct('a'));
    /* spaCy's 128 punct_chars: first, last, Mongolian, Balinese, Sharada, SignWriting;
     * datatrove's TERMINAL_PUNCTUATION has 31 more (Khmer U+17D4, Kawi U+11F43) */
    CHECK(words_is_sent_punct(0x589) && words_is_sent_punct(0x1803) && words_is_sent_punct(0x1B5F) &&
          words_is_sent_punct(0x111CD) && words_is_sent_punct(0x1DA88) && words_is_sent_punct(0xFF61));
    CHECK(!words_is_sent_punct(0x17D4) && !words_is_sent_punct(0x11F43) && !words_is_sent_punct(0x61D) &&
          !words_is_sent_punct(0x37E) && !words_is_sent_punct(0x2026) && !words_is_sent_punct(0x10FFFF));
    CHECK(fineweb_is_terminal_punct('.') && fineweb_is_terminal_punct(0x1803) &&
          fineweb_is_terminal_punct(0x17D4) && fineweb_is_terminal_punct(0x11F43) &&
          fineweb_is_terminal_punct(0x61D) && fineweb_is_terminal_punct(0x1DA88));
    CHECK(!fineweb_is_terminal_punct('"') && !fineweb_is_terminal_punct(',') &&
          !fineweb_is_terminal_punct(0x201D) && !fineweb_is_terminal_punct(0x37E) &&
          !fineweb_is_terminal_punct(0x2026) && !fineweb_is_terminal_punct(0));
    {   /* spaCy's list is inside datatrove's; 128 and 159 code points */
        size_t ns = 0, nd = 0;
        for (int32_t c = 0; c < 0x110000; c++) {
            ns += words_is_sent_punct(c);
            nd += fineweb_is_terminal_punct(c);
            if (words_is_sent_punct(c) && !fineweb_is_terminal_punct(c)) FAILF("U+%04X", (unsigned)c);
        }
        if (ns != 128 || nd != 159) FAILF("%zu spaCy punct_chars, %zu terminals", ns, nd);
    }
}

/* Python str.splitlines(), decoding code points one by one. */
static size_t naive_splitlines(const char *s, size_t n, span *out)
{
    size_t k = 0, st = 0;
    for (size_t i = 0; i < n;) {
        int32_t c;
        size_t w = utf8_decode_at((const unsigned char *)s, n, i, &c);
        int br = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D ||
                 c == 0x1E || c == 0x85 || c == 0x2028 || c == 0x2029;
        if (!br) {
            i += w;
            continue;
        }
        out[k++] = (span){st, i - st};
        if (c == '\r' && i + 1 < n && s[i + 1] == '\n') w = 2;
        i += w;
        st = i;
    }
    if (st < n) out[k++] = (span){st, n - st};
    return k;
}

static const char *const line_frag[] = {
    "a", "word ", "  ", "\t", "\n", "\r", "\r\n", "\n\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e",
    "\x1f", "\xc2\x85", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xc2\xa0", "\xe3\x80\x80", "\xc3\xa9",
    "\xe2\x80\xa6", "\xff", "\xc2", "\xe2\x80", "abcdefghij", "0123456789 x"};

TEST(split_lines_matches_python_splitlines)
{
    uint64_t x = 12345;
    span_list got = {NULL, 0, 0};
    static span want[700];
    size_t bad = 0;
    for (int round = 0; round < 20000; round++) {
        char text[700];
        size_t n = random_text(text, sizeof text, &x, line_frag,
                               sizeof line_frag / sizeof *line_frag, rng_next(&x) % 40);
        size_t k = naive_splitlines(text, n, want);
        quality_split_lines(text, n, &got);
        int same = got.n == k;
        for (size_t i = 0; same && i < k; i++)
            same = got.v[i].off == want[i].off && got.v[i].len == want[i].len;
        bad += !same;
    }
    free(got.v);
    CHECK_EQ_INT(bad, 0);
}

TEST(strip_and_code_points_match_naive)
{
    uint64_t x = 777;
    size_t bad_strip = 0, bad_cps = 0;
    for (int round = 0; round < 20000; round++) {
        char text[700];
        size_t n = random_text(text, sizeof text, &x, line_frag,
                               sizeof line_frag / sizeof *line_frag, rng_next(&x) % 30);
        /* naive: decode every code point; strip Python whitespace at both ends */
        size_t offs[701], ncp = 0;
        int32_t cps[700];
        for (size_t i = 0; i < n;) {
            offs[ncp] = i;
            i += utf8_decode_at((const unsigned char *)text, n, i, &cps[ncp]);
            ncp++;
        }
        offs[ncp] = n;
        size_t a = 0, b = ncp;
        while (a < b && py_isspace((uint32_t)cps[a])) a++;
        while (b > a && py_isspace((uint32_t)cps[b - 1])) b--;
        size_t off = 0, len = n;
        quality_strip_span(text, &off, &len);
        if (a == b ? len != 0 : (off != offs[a] || off + len != offs[b])) bad_strip++;
        if (quality_cp_count(text, n) != ncp) bad_cps++;
    }
    CHECK_EQ_INT(bad_strip, 0);
    CHECK_EQ_INT(bad_cps, 0);
    /* Python str.count: non-overlapping */
    CHECK_EQ_INT(quality_count_sub("....", 4, "..."), 1);
    CHECK_EQ_INT(quality_count_sub("......", 6, "..."), 2);
    CHECK_EQ_INT(quality_count_sub("#a##", 4, "#"), 3);
    CHECK(quality_ends_with("end...", 6, "...") && !quality_ends_with("..", 2, "..."));
}

TEST(find_duplicates_matches_naive)
{
    quality_ctx *q = quality_new(NULL, &(blalm_err){{0}});
    CHECK(q != NULL);
    if (!q) return;
    static const char *const frag[] = {"a", "b", "ab", "\xc3\xa9", "\n"};
    uint64_t x = 4242;
    size_t bad = 0;
    for (int round = 0; round < 5000; round++) {
        char text[400];
        size_t n = random_text(text, sizeof text, &x, frag, sizeof frag / sizeof *frag,
                               rng_next(&x) % 120);
        span_list lines = {NULL, 0, 0};
        quality_split_lines(text, n, &lines);
        uint64_t want = 0, want_chars = 0;
        for (size_t i = 0; i < lines.n; i++)
            for (size_t j = 0; j < i; j++)
                if (lines.v[i].len == lines.v[j].len &&
                    !memcmp(text + lines.v[i].off, text + lines.v[j].off, lines.v[i].len)) {
                    want++;
                    want_chars += quality_cp_count(text + lines.v[i].off, lines.v[i].len);
                    break;
                }
        uint64_t got, got_chars;
        quality_find_duplicates(q, text, lines.v, lines.n, &got, &got_chars);
        bad += got != want || got_chars != want_chars;
        free(lines.v);
    }
    CHECK_EQ_INT(bad, 0);
    quality_free(q);
}

/* words_split without the caller's split works a 1 MiB window at a time;
 * the tokens must equal those over the caller's whole split, on a text of
 * several windows with every kind of whitespace and long chunks. */
TEST(windowed_split_matches_whole_split)
{
    static const char *const frag[] = {
        "word", "Don't", "U.S.", "(yes)", "e.g.", "well-known", "$100", "http://a.bc/d",
        " ", "  ", "\n", "\n\n", "\t", "\xc2\xa0", "\xe3\x80\x80", "\xe2\x80\xa8", "\x0b",
        "\xc3\xa9t\xc3\xa9", "...", "\xff", "-", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"};
    size_t cap = (size_t)5 << 20;
    char *text = malloc(cap + 1);
    CHECK(text != NULL);
    if (!text) return;
    uint64_t x = 99;
    size_t len = 0;
    while (len + 64 < cap) {
        const char *f = frag[rng_next(&x) % (sizeof frag / sizeof *frag)];
        size_t k = strlen(f);
        memcpy(text + len, f, k);
        len += k;
        if (rng_next(&x) % 4000 == 0) {   /* now and then a long run without ASCII space */
            for (size_t i = 0; i < 3000 && len + 64 < cap; i += 3, len += 3)
                memcpy(text + len, "\xe3\x80\x80", 3);
        }
    }
    words_ctx whole, win;
    words_init(&whole);
    words_init(&win);
    ws_spans sp = {0};
    CHECK(ws_split(&sp, text, len) == 0);
    whole.ext = &sp;
    words_split(&whole, text, len);
    words_split(&win, text, len);
    CHECK(whole.ntoks > 200000);
    CHECK_EQ_INT(win.ntoks, whole.ntoks);
    size_t bad = 0;
    for (size_t i = 0; i < whole.ntoks && i < win.ntoks; i++)
        bad += memcmp(&whole.toks[i], &win.toks[i], sizeof(token)) != 0;
    printf("# windowed split: %zu bytes, %zu tokens, %zu differ\n", len, whole.ntoks, bad);
    CHECK_EQ_INT(bad, 0);
    ws_free(&sp);
    words_free(&whole);
    words_free(&win);
    free(text);
}

int main(void)
{
    RUN(c4_phrases_find_matches_naive_search);
    RUN(words_sentences_over_flags);
    RUN(split_lines_matches_python_splitlines);
    RUN(strip_and_code_points_match_naive);
    RUN(find_duplicates_matches_naive);
    RUN(windowed_split_matches_whole_split);
    return test_summary();
}
