/* Word counting and UTF-8 validation. Python's str.split() is the reference
 * (see tests/oracle/words_python.sh for the randomised comparison). */
#include "lib/utf8.h"
#include "test.h"

TEST(ascii_words)
{
    CHECK_EQ_INT(words_in("", 0), 0);
    CHECK_EQ_INT(words_in("   ", 3), 0);
    CHECK_EQ_INT(words_in("a", 1), 1);
    { const char *s = " a  b\tc\nd\re\v\ff "; CHECK_EQ_INT(words_in(s, strlen(s)), 6); }
    /* Python counts the C0 separators 0x1c-0x1f as whitespace */
    CHECK_EQ_INT(words_in("a\x1c" "b\x1d" "c\x1e" "d\x1f" "e", 9), 5);
    /* ...but not other controls */
    CHECK_EQ_INT(words_in("a\x01" "b\x7f" "c", 5), 1);
}

TEST(unicode_spaces)
{
    const char *s = "a\xc2\xa0" "b\xe3\x80\x80" "c\xe2\x80\xa8" "d\xe2\x80\xa9" "e\xc2\x85" "f\xe2\x80\xaf"
                    "g\xe2\x81\x9f" "h\xe1\x9a\x80" "i\xe2\x80\x80" "j\xe2\x80\x8a" "k";
    CHECK_EQ_INT(words_in(s, strlen(s)), 11);
    /* zero-width space U+200B and BOM U+FEFF are not whitespace in Python */
    const char *z = "a\xe2\x80\x8b" "b\xef\xbb\xbf" "c";
    CHECK_EQ_INT(words_in(z, strlen(z)), 1);
    /* U+00A1 shares the C2 lead byte but is not a space */
    const char *x = "\xc2\xa1\xc2\xa1 \xc2\xa1";
    CHECK_EQ_INT(words_in(x, strlen(x)), 2);
}

TEST(streaming_equals_one_shot)
{
    /* every split point of a string full of multi-byte spaces */
    const char *s = "\xe3\x80\x80w\xc2\xa0\xc2\xa0x\xe2\x80\xa8y z\xe2\x80\x8bq\xe1\x9a\x80\xc3\xa9t\xe2\x81\x9f";
    size_t n = strlen(s);
    uint64_t want = words_in(s, n);
    CHECK_EQ_INT(want, 5);
    for (size_t a = 0; a <= n; a++)
        for (size_t b = a; b <= n; b++) {
            word_counter w;
            wc_init(&w);
            wc_feed(&w, s, a);
            wc_feed(&w, s + a, b - a);
            wc_feed(&w, s + b, n - b);
            uint64_t got = wc_finish(&w);
            CHECK_MSG(got == want, "split %zu/%zu: %llu words, want %llu", a, b, (unsigned long long)got,
                      (unsigned long long)want);
        }
    /* byte at a time */
    word_counter w;
    wc_init(&w);
    for (size_t i = 0; i < n; i++) wc_feed(&w, s + i, 1);
    CHECK_EQ_INT(wc_finish(&w), want);
}

TEST(validation)
{
    size_t bad = 99;
    CHECK(utf8_valid("plain ascii", 11, &bad));
    CHECK(utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, &bad));
    CHECK(!utf8_valid("ab\xc3", 3, &bad));
    CHECK_EQ_INT(bad, 2);
    CHECK(!utf8_valid("\xc0\xaf", 2, &bad));          /* overlong */
    CHECK(!utf8_valid("\xed\xa0\x80", 3, &bad));      /* surrogate */
    CHECK(!utf8_valid("\xf4\x90\x80\x80", 4, &bad));  /* > U+10FFFF */
    CHECK(!utf8_valid("12345678\x80", 9, &bad));      /* after the 8-byte fast path */
    CHECK_EQ_INT(bad, 8);
}

TEST(sanitize_and_prefix)
{
    char out[64];
    size_t n;
    size_t k = utf8_sanitize("a\xff" "b\xc3", 4, out, &n);
    CHECK_EQ_INT(k, 2);
    CHECK_EQ_INT(n, 8);
    CHECK(!memcmp(out, "a\xef\xbf\xbd" "b\xef\xbf\xbd", 8));
    /* one U+FFFD per maximal subpart, as Python's bytes.decode(errors="replace")
     * (and Rust's from_utf8_lossy, TextDecoder): a character cut short is one */
    static const struct {
        const char *in, *want;   /* want: the output with U+FFFD written as "?" */
    } cases[] = {
        {"\xf0\x9f\x98", "?"},
        {"\xe6\x97", "?"},
        {"\xf0\x9f\x98" "a\xe6\x97" "b", "?a?b"},
        {"\xed\xa0\x80", "???"},         /* a surrogate: ED takes 80-9F only */
        {"\xe0\x80\x80", "???"},         /* overlong: E0 takes A0-BF only */
        {"\xf4\x90\x80\x80", "????"},   /* > U+10FFFF: F4 takes 80-8F only */
        {"\xf4\x8f\x80", "?"},
        {"\xc0\xaf\xf5\xff\x80", "?????"},
        {"\xc3\xa9\xe2\x82", "\xc3\xa9?"},
        {"\xe2\x82\xe2\x82\xac", "?\xe2\x82\xac"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        size_t in = strlen(cases[c].in), m;
        char got[64], want[64];
        size_t w = 0, q = 0;
        for (const char *p = cases[c].want; *p; p++)
            if (*p == '?') memcpy(want + w, "\xef\xbf\xbd", 3), w += 3, q++;
            else want[w++] = *p;
        CHECK_EQ_INT(utf8_sanitize(cases[c].in, in, got, &m), q);
        CHECK_MSG(m == w && !memcmp(got, want, w), "case %zu", c);
    }
    const char *s = "ab\xe2\x82\xac";
    CHECK_EQ_INT(utf8_prefix(s, 5, 3), 2);
    CHECK_EQ_INT(utf8_prefix(s, 5, 5), 5);
    CHECK_EQ_INT(utf8_prefix(s, 5, 2), 2);
}

TEST(py_isspace_table)
{
    int spaces = 0;
    for (uint32_t cp = 0; cp < 0x110000; cp++) spaces += py_isspace(cp);
    /* Python: sum(1 for c in range(0x110000) if chr(c).isspace()) == 29 */
    CHECK_EQ_INT(spaces, 29);
}

/* ws_split against a naive split (decode every code point, py_isspace) on
 * random byte strings: ASCII, each Python whitespace code point, multi-byte
 * letters, invalid bytes; spans and hashes must agree. */
TEST(ws_split_matches_naive)
{
    static const char *const piece[] = {
        "a", "bc", "word", "x.y", "\t", "\n", " ", "  ", "\x0b", "\x0c", "\r", "\x1c", "\x1f",
        "\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x8a", "\xe2\x80\xa8",
        "\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80", "\xe2\x80\x8b" /* ZWSP: no */,
        "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80", "\xff", "\xc3", "\xe2\x80", "\x00",
        "abcdefghijklmnop", "0123456789"};
    size_t np = sizeof piece / sizeof *piece;
    uint64_t x = 0x853c49e6748fea9bULL;
    char text[512];
    ws_spans sp = {0};
    size_t bad = 0, spans = 0;
    for (int round = 0; round < 20000; round++) {
        size_t len = 0, k = (size_t)(x % 40);
        for (size_t i = 0; i < k; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            const char *p = piece[x % np];
            size_t pl = strlen(p) ? strlen(p) : 1;   /* "\x00" is one NUL byte */
            memcpy(text + len, p, pl);
            len += pl;
        }
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        CHECK(ws_split(&sp, text, len) == 0);
        CHECK(sp.text == text && sp.len == len);
        /* naive */
        size_t n = 0, i = 0;
        int ok = 1;
        while (i < len) {
            int32_t cp;
            size_t l = utf8_decode_at((const unsigned char *)text, len, i, &cp);
            if (py_isspace((uint32_t)cp)) {
                i += l;
                continue;
            }
            size_t j = i;
            while (j < len) {
                size_t l2 = utf8_decode_at((const unsigned char *)text, len, j, &cp);
                if (py_isspace((uint32_t)cp)) break;
                j += l2;
            }
            if (n >= sp.n || sp.v[n].off != i || sp.v[n].end != j ||
                sp.v[n].hash != utf8_piece_hash(text + i, j - i))
                ok = 0;
            n++;
            i = j;
        }
        if (n != sp.n) ok = 0;
        spans += n;
        bad += !ok;
    }
    printf("# ws_split: 20000 random texts, %zu pieces, %zu differ from the naive split\n", spans,
           bad);
    CHECK_EQ_INT(bad, 0);
    ws_free(&sp);
}

/* utf8_strip: Python's str.strip() on bytes (the identity assemble and
 * verify give a text across the splits) */
static void strip_is(const char *s, size_t n, size_t want_start, size_t want_len)
{
    size_t a = 99, l = 99;
    utf8_strip(s, n, &a, &l);
    CHECK_EQ_INT(a, want_start);
    CHECK_EQ_INT(l, want_len);
}

TEST(strip_like_python)
{
    strip_is("", 0, 0, 0);
    strip_is(" \n\t", 3, 3, 0);
    strip_is("abc", 3, 0, 3);
    strip_is("abc\n", 4, 0, 3);
    strip_is("\n\nabc d\n\n", 9, 2, 5);
    /* U+3000 and U+00A0 at the ends, U+2028 inside kept */
    strip_is("\xe3\x80\x80" "a\xe2\x80\xa8" "b\xc2\xa0", 10, 3, 5);
    /* a lone continuation byte or an invalid lead is no space */
    strip_is("a\x80", 2, 0, 2);
    strip_is("\xff ", 2, 0, 1);
    /* U+200B (zero width space) is not whitespace for Python */
    strip_is("a\xe2\x80\x8b", 4, 0, 4);
    /* only spaces, Unicode ones included */
    strip_is("\xc2\x85\xe2\x80\x83", 5, 5, 0);
}

int main(void)
{
    RUN(ascii_words);
    RUN(unicode_spaces);
    RUN(streaming_equals_one_shot);
    RUN(validation);
    RUN(sanitize_and_prefix);
    RUN(py_isspace_table);
    RUN(ws_split_matches_naive);
    RUN(strip_like_python);
    return test_summary();
}
