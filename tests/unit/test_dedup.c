/* test_dedup.c - the pure core of filters/dedup: normalisation, shingles,
 * MinHash, LSH band collision rates, union-find, external sort, headers. */
#include <stdint.h>
#include <unistd.h>
#include "tests/unit/test.h"
#include "filters/dedup_internal.h"

static const char *norm(const char *s, unsigned flags, dd_scratch *sc)
{
    dd_normalize(s, strlen(s), flags, sc);
    return sc->norm;
}

TEST(normalise_fineweb)
{
    dd_scratch sc = {0};
    unsigned f = DD_NORM_MINHASH_DEFAULT;
    CHECK_EQ_STR(norm("  Hello,   World!  ", f, &sc), "hello world");
    CHECK_EQ_STR(norm("In 1999 it cost $3.50 (approx.)", f, &sc), "in 0 it cost 0 approx");

    CHECK_EQ_STR(norm("Café déjà vu — “naïve”", f, &sc), "cafe deja vu naive");
    /* decomposed e + U+0301 equals precomposed é */
    CHECK_EQ_STR(norm("Cafe\xcc\x81", f, &sc), "cafe");
    CHECK_EQ_STR(norm("ÀÉÎ", f, &sc), "aei");
    CHECK_EQ_STR(norm("tab\there\nnew\xc2\xa0line", f, &sc), "tab here new line");
    /* datatrove's simplify_text (what Python prints for each, with its spaces
     * collapsed): its punctuation deleted, not a separator; other symbols
     * kept; NFD minus Mn only (Devanagari's Mc vowel signs and the Me U+20DD
     * stay); \d+ -> 0 after the deletion; controls deleted, U+0085 and U+001C
     * whitespace */
    CHECK_EQ_STR(norm("Don't e-mail the U.S. 1,000,000 times", f, &sc),
                 "dont email the us 0 times");
    CHECK_EQ_STR(norm("a - b", f, &sc),
                 "a b");
    CHECK_EQ_STR(norm("\xe0\xa4\x95\xe0\xa4\xbe \xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6\xe0\xa5\x80", f, &sc),
                 "\xe0\xa4\x95\xe0\xa4\xbe \xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa4\xa6\xe0\xa5\x80");
    CHECK_EQ_STR(norm("x\xe2\x83\x9d y", f, &sc),
                 "x\xe2\x83\x9d y");
    CHECK_EQ_STR(norm("\xe2\x80\x98quoted\xe2\x80\x99 \xc2\xabguillemets\xc2\xbb \xe3\x80\x88x\xe3\x80\x89 \xe2\x91\xa0\xe2\x91\xa1", f, &sc),
                 "\xe2\x80\x98quoted guillemets x \xe2\x91\xa0\xe2\x91\xa1");
    CHECK_EQ_STR(norm("\xd9\xa1\xd9\xa2\xd9\xa3 and \xef\xbc\x95\xef\xbc\x96", f, &sc),
                 "0 and 0");
    CHECK_EQ_STR(norm("\xe2\x82\xac" "5 \xc2\xa9 2024 \xc2\xbd", f, &sc),
                 "\xe2\x82\xac" "0 \xc2\xa9 0 \xc2\xbd");
    CHECK_EQ_STR(norm("a\x01" "b\xc2\x85" "c\x1c" "d", f, &sc),
                 "ab c d");
    CHECK_EQ_STR(norm("1.2.3 abc12def", f, &sc),
                 "0 abc0def");
    CHECK_EQ_STR(norm("r\xc3\xa9sum\xc3\xa9 2.5-3.5%", f, &sc),
                 "resume 0");
    /* deleted before decomposition, as datatrove does: U+037E and U+1FEF are
     * not in its set, though their NFD (';' and '`') are */
    CHECK_EQ_STR(norm("x\xcd\xbey \xe1\xbf\xafz", f, &sc),
                 "x;y `z");
    CHECK_EQ_STR(norm("caf\xc3\xa9-\xcd\xbe" "1,2\xcc\x81", f, &sc),
                 "cafe;0");
    dd_scratch_free(&sc);
}

/* Python's str.lower() (datatrove's first step) makes a word-final capital
 * sigma final ς: after a cased letter, with no cased letter after it
 * (case-ignorable characters such as ' . U+0301 skipped). Expected values:
 * Python's lower() of each, then datatrove's other steps. */
TEST(normalise_final_sigma)
{
    dd_scratch sc = {0};
    unsigned f = DD_NORM_MINHASH_DEFAULT;
    CHECK_EQ_STR(norm("\xce\x9f\xce\x94\xce\x9f\xce\xa3 \xce\xa3\xce\x9f\xce\xa6\xce\x9f\xce\xa3", f, &sc),
                 "\xce\xbf\xce\xb4\xce\xbf\xcf\x82 \xcf\x83\xce\xbf\xcf\x86\xce\xbf\xcf\x82");
    CHECK_EQ_STR(norm("\xce\xa3", f, &sc), "\xcf\x83");                        /* alone: σ */
    CHECK_EQ_STR(norm("\xce\x91\xce\xa3.", f, &sc), "\xce\xb1\xcf\x82");          /* ΑΣ. */
    CHECK_EQ_STR(norm("\xce\x91\xce\xa3's", f, &sc), "\xce\xb1\xcf\x83s");        /* ΑΣ's: ' skipped, s cased */
    CHECK_EQ_STR(norm("A\xce\xa3", f, &sc), "a\xcf\x82");                       /* after a Latin letter */
    CHECK_EQ_STR(norm("1\xce\xa3", f, &sc), "0\xcf\x83");                       /* after a digit: σ */
    CHECK_EQ_STR(norm("\xce\x91\xce\xa3\xcc\x81", f, &sc), "\xce\xb1\xcf\x82");     /* ΑΣ + U+0301 */
    CHECK_EQ_STR(norm("\xce\x91\xce\xa3\xcc\x81\xce\x91", f, &sc), "\xce\xb1\xcf\x83\xce\xb1");
    CHECK_EQ_STR(norm("\xce\x9f\xce\x94\xce\x9f\xce\xa3, \xce\x9a\xce\x91\xce\x99", f, &sc),
                 "\xce\xbf\xce\xb4\xce\xbf\xcf\x82 \xce\xba\xce\xb1\xce\xb9");
    /* the exact-text key lowercases the same way */
    CHECK_EQ_STR(norm("\xce\x9f\xce\x94\xce\x9f\xce\xa3", DD_NORM_EXACT_DEFAULT, &sc),
                 "\xce\xbf\xce\xb4\xce\xbf\xcf\x82");
    /* invalid UTF-8 around it is U+FFFD, neither cased nor case-ignorable */
    CHECK_EQ_STR(norm("\xff\xce\xa3", f, &sc), "\xef\xbf\xbd\xcf\x83");
    CHECK_EQ_STR(norm("A\xce\xa3\xff", f, &sc), "a\xcf\x82\xef\xbf\xbd");
    CHECK_EQ_STR(norm("\xa3\xce\xa3\xce", f, &sc), "\xef\xbf\xbd\xcf\x83\xef\xbf\xbd");
    /* with nfkc, decided on the NFKC text, as Python's normalize('NFKC', t).lower()
     * (Python 3.11's values): U+03F9 and U+1D6BA become Σ, ㎖ (U+3396) "ml" */
    unsigned x = DD_NORM_EXACT_DEFAULT;
    CHECK_EQ_STR(norm("\xce\x91\xcf\xb9 x", x, &sc), "\xce\xb1\xcf\x82 x");            /* ΑϹ x: ας x */
    CHECK_EQ_STR(norm("\xe3\x8e\x96\xce\xa3 x", x, &sc), "ml\xcf\x82 x");               /* ㎖Σ x: mlς x */
    CHECK_EQ_STR(norm("\xce\x91\xf0\x9d\x9a\xba x", x, &sc), "\xce\xb1\xcf\x82 x");   /* Α𝚺 x: ας x */
    CHECK_EQ_STR(norm("\xce\xa3\xe3\x8e\x96 x", x, &sc), "\xcf\x83ml x");               /* Σ㎖ x: σml x */
    CHECK_EQ_STR(norm("\xce\x91\xce\xa3 x", x, &sc), "\xce\xb1\xcf\x82 x");
    /* without nfkc, ㎖ is no letter: σ */
    CHECK_EQ_STR(norm("\xe3\x8e\x96\xce\xa3 x", DD_NORM_LOWER, &sc), "\xe3\x8e\x96\xcf\x83 x");
    /* without lower, Σ stays */
    CHECK_EQ_STR(norm("\xce\x91\xce\xa3", DD_NORM_SPACE, &sc), "\xce\x91\xce\xa3");
    dd_scratch_free(&sc);
}

/* Python's lower() maps İ (U+0130) to two code points, i and U+0307 (its
 * only unconditional multi-character lowercase; utf8proc's simple mapping
 * gives i alone), so "İstanbul" and "istanbul" are different exact-text keys.
 * FineWeb's MinHash normalisation drops the U+0307 with the other marks. */
TEST(normalise_lower_dotted_capital_i)
{
    dd_scratch sc = {0};
    CHECK_EQ_STR(norm("\xc4\xb0stanbul", DD_NORM_LOWER, &sc), "i\xcc\x87stanbul");
    CHECK_EQ_STR(norm("\xc4\xb0STANBUL \xc4\xb0", DD_NORM_EXACT_DEFAULT, &sc),
                 "i\xcc\x87stanbul i\xcc\x87");
    CHECK_EQ_STR(norm("I\xcc\x87stanbul", DD_NORM_EXACT_DEFAULT, &sc), "i\xcc\x87stanbul");
    CHECK_EQ_STR(norm("\xc4\xb0stanbul", DD_NORM_MINHASH_DEFAULT, &sc), "istanbul");
    CHECK_EQ_STR(norm("\xc4\xb0stanbul", DD_NORM_LOWER | DD_NORM_DIACRITICS, &sc), "istanbul");
    /* a final capital sigma after it: İ is cased */
    CHECK_EQ_STR(norm("\xc4\xb0\xce\xa3", DD_NORM_LOWER, &sc), "i\xcc\x87\xcf\x82");
    dd_scratch_free(&sc);
}

TEST(normalise_exact_nfkc)
{
    dd_scratch sc = {0};
    unsigned f = DD_NORM_EXACT_DEFAULT;
    CHECK_EQ_STR(norm("The  \xef\xac\x81nal  ANSWER. ", f, &sc), "the final answer.");
    CHECK_EQ_STR(norm("\xef\xbc\xa1\xef\xbc\x91", f, &sc), "a1");     /* fullwidth A1 */
    CHECK_EQ_STR(norm("Cafe\xcc\x81", f, &sc), "caf\xc3\xa9");         /* NFC composes */
    CHECK_EQ_STR(norm("Ab,  c", 0, &sc), "Ab,  c");
    CHECK_EQ_STR(norm("Ab,  c", DD_NORM_LOWER, &sc), "ab,  c");
    CHECK_EQ_STR(norm("Ab,  c", DD_NORM_PUNCT, &sc), "Ab   c");
    /* invalid UTF-8 does not crash and becomes U+FFFD */
    CHECK_EQ_STR(norm("a\xff" "b", DD_NORM_LOWER, &sc), "a\xef\xbf\xbd" "b");
    dd_scratch_free(&sc);
}

TEST(norm_parse)
{
    blalm_err e;
    unsigned f;
    CHECK(dd_norm_parse("nfkc,lower,space", &f, &e) == 0);
    CHECK_EQ_INT(f, DD_NORM_EXACT_DEFAULT);
    CHECK(dd_norm_parse("fineweb", &f, &e) == 0);
    CHECK_EQ_INT(f, DD_NORM_MINHASH_DEFAULT);
    CHECK(dd_norm_parse("none", &f, &e) == 0 && f == 0);
    CHECK(dd_norm_parse("lower,bogus", &f, &e) == -1);
    CHECK_CONTAINS(e.msg, "bogus");
    /* an empty spec or name is an error, not "none" */
    CHECK(dd_norm_parse("", &f, &e) == -1);
    CHECK_CONTAINS(e.msg, "give none");
    CHECK(dd_norm_parse("nfkc,", &f, &e) == -1 && dd_norm_parse("nfkc,,lower", &f, &e) == -1 &&
          dd_norm_parse(",lower", &f, &e) == -1);
    char buf[128];
    dd_norm_format(DD_NORM_MINHASH_DEFAULT, buf, sizeof buf);
    CHECK_EQ_STR(buf, "lower,digits,dtpunct,diacritics,space");
    CHECK(dd_norm_parse("lower,dtpunct", &f, &e) == 0 && f == (DD_NORM_LOWER | DD_NORM_DTPUNCT));
}

TEST(shingles_count)
{
    dd_minhash m;
    dd_minhash_init(&m, 14, 8, 5, 1);
    dd_scratch sc = {0};
    const char *t = "a b c d e f g";
    CHECK_EQ_INT(dd_shingles(&m, t, strlen(t), &sc), 3);
    /* fewer words than a shingle: none (datatrove writes no signature) */
    CHECK_EQ_INT(dd_shingles(&m, "a b", 3, &sc), 0);
    CHECK_EQ_INT(dd_shingles(&m, "a b c d", 7, &sc), 0);
    CHECK_EQ_INT(dd_shingles(&m, "a b c d e", 9, &sc), 1);
    CHECK_EQ_INT(dd_shingles(&m, "   ", 3, &sc), 0);
    /* same words, different spacing: same shingles */
    uint64_t h1 = (dd_shingles(&m, "x y z w v", 9, &sc), sc.shingles[0]);
    uint64_t h2 = (dd_shingles(&m, " x  y z\tw v ", 12, &sc), sc.shingles[0]);
    CHECK(h1 == h2);
    dd_scratch_free(&sc);
}

static uint64_t rng(uint64_t *x)
{
    *x ^= *x << 13; *x ^= *x >> 7; *x ^= *x << 17;
    return *x;
}

TEST(simd_matches_portable)
{
    dd_minhash m;
    dd_minhash_init(&m, 14, 8, 5, 3);
    uint64_t x = 42, sh[1003], s1[112], s2[112];
    for (int i = 0; i < 1003; i++) sh[i] = rng(&x);
    sh[5] = 0;
    sh[6] = UINT64_MAX;
    size_t sizes[] = {1, 3, 4, 5, 63, 64, 65, 1003};
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
        dd_minhash_sig(&m, sh, sizes[k], s1);
        dd_minhash_sig_portable(&m, sh, sizes[k], s2);
        CHECK_MSG(!memcmp(s1, s2, sizeof s1), "differs at n=%zu", sizes[k]);
    }
}

TEST(permutations_in_range)
{
    dd_minhash m, m2;
    dd_minhash_init(&m, 14, 8, 5, 1);
    dd_minhash_init(&m2, 14, 8, 5, 1);
    for (int i = 0; i < m.nhash; i++) {
        CHECK(m.a[i] >= 1 && m.a[i] < DD_MERSENNE61);
        CHECK(m.b[i] < DD_MERSENNE61);
        CHECK(m.a[i] == m2.a[i] && m.b[i] == m2.b[i]);
    }
    uint64_t sh[3] = {1, 2, UINT64_MAX}, sig[112];
    dd_minhash_sig(&m, sh, 3, sig);
    for (int j = 0; j < 112; j++) {
        CHECK(sig[j] < DD_MERSENNE61);
        /* reference: wrapping 64-bit a*h+b, then mod p with the % operator */
        uint64_t best = UINT64_MAX;
        for (int s = 0; s < 3; s++) {
            uint64_t v = (m.a[j] * sh[s] + m.b[j]) % DD_MERSENNE61;
            if (v < best) best = v;
        }
        CHECK(sig[j] == best);
    }
}


/* Sets with a known Jaccard: MinHash agreement rate estimates it, and the
 * band collision rate follows 1 - (1 - J^8)^14. */
TEST(minhash_estimates_jaccard)
{
    dd_minhash m;
    dd_minhash_init(&m, 14, 8, 5, 7);
    uint64_t x = 88172645463325252ULL;
    double targets[3] = {0.5, 0.8, 0.9};
    for (int t = 0; t < 3; t++) {
        int trials = 200, agree = 0, total = 0, collide = 0;
        for (int tr = 0; tr < trials; tr++) {
            /* |A ∩ B| = c, |A ∪ B| = 1000 */
            int uni = 1000, c = (int)(targets[t] * uni);
            uint64_t a[1000], b[1000];
            int na = 0, nb = 0;
            for (int i = 0; i < c; i++) { uint64_t v = rng(&x); a[na++] = v; b[nb++] = v; }
            for (int i = c; i < uni; i++) {
                if (i % 2) a[na++] = rng(&x); else b[nb++] = rng(&x);
            }
            uint64_t sa[112], sb[112], ba[14], bb[14];
            dd_minhash_sig(&m, a, (size_t)na, sa);
            dd_minhash_sig(&m, b, (size_t)nb, sb);
            for (int j = 0; j < 112; j++) agree += sa[j] == sb[j];
            total += 112;
            dd_band_hashes(&m, sa, ba);
            dd_band_hashes(&m, sb, bb);
            int hit = 0;
            for (int j = 0; j < 14; j++) hit |= ba[j] == bb[j];
            collide += hit;
        }
        double est = (double)agree / total;
        CHECK_NEAR(est, targets[t], 0.03);
        double p = 1 - pow(1 - pow(targets[t], 8), 14);
        CHECK_NEAR((double)collide / trials, p, 0.08);
    }
}

TEST(jaccard_sets)
{
    uint64_t a[] = {1, 2, 3, 4}, b[] = {3, 4, 5, 6};
    CHECK_NEAR(dd_jaccard(a, 4, b, 4), 2.0 / 6, 1e-12);
    CHECK_NEAR(dd_jaccard(a, 4, a, 4), 1.0, 1e-12);
    CHECK_NEAR(dd_jaccard(a, 0, b, 0), 1.0, 1e-12);
    uint64_t v[] = {5, 3, 5, 1, 3};
    CHECK_EQ_INT(dd_sort_unique(v, 5), 3);
    CHECK(v[0] == 1 && v[1] == 3 && v[2] == 5);
}

TEST(union_find_root_is_smallest)
{
    dd_uf u;
    CHECK(dd_uf_init(&u, 10) == 0);
    dd_uf_union(&u, 9, 7);
    dd_uf_union(&u, 7, 3);
    dd_uf_union(&u, 5, 8);
    dd_uf_union(&u, 8, 9);
    CHECK_EQ_INT(dd_uf_find(&u, 9), 3);
    CHECK_EQ_INT(dd_uf_find(&u, 5), 3);
    CHECK_EQ_INT(dd_uf_find(&u, 4), 4);
    CHECK_EQ_INT(dd_uf_union(&u, 3, 8), 0);
    dd_uf_free(&u);
}

TEST(header_refuses_other_config_and_truncation)
{
    dd_config c;
    dd_config_default(&c);
    char path[600];
    snprintf(path, sizeof path, "%s/h/x.sig", test_tmpdir());
    blalm_err e;
    dd_bwriter *w = dd_bw_open(path, &e);
    CHECK(w != NULL);
    uint64_t rec[4] = {1, 2, 3, 4};
    CHECK(dd_bw_write(w, rec, sizeof rec, &e) == 0);
    dd_header h;
    dd_header_fill(&h, &c, DD_FILE_SIG);
    h.count = 1;
    CHECK(dd_bw_commit(w, &h, &e) == 0);
    dd_header g;
    FILE *f = dd_open_checked(path, &c, DD_FILE_SIG, 32, &g, &e);
    CHECK_MSG(f != NULL, "%s", e.msg);
    fclose(f);
    dd_config c2 = c;
    c2.bands = 20;
    CHECK(dd_open_checked(path, &c2, DD_FILE_SIG, 32, &g, &e) == NULL);
    CHECK_CONTAINS(e.msg, "another configuration: bands 14 in the file, 20 in this run");
    c2 = c;
    c2.seed = 99;
    CHECK(dd_open_checked(path, &c2, DD_FILE_SIG, 32, &g, &e) == NULL);
    CHECK_CONTAINS(e.msg, "seed");
    CHECK(dd_open_checked(path, &c, DD_FILE_PAIRS, 32, &g, &e) == NULL);
    CHECK_CONTAINS(e.msg, "is a signature file, expected a bucket file");
    CHECK(truncate(path, sizeof(dd_header) + 20) == 0);
    CHECK(dd_open_checked(path, &c, DD_FILE_SIG, 32, &g, &e) == NULL);
    CHECK_CONTAINS(e.msg, "truncated");
    CHECK(truncate(path, 10) == 0);
    CHECK(dd_open_checked(path, &c, DD_FILE_SIG, 32, &g, &e) == NULL);
    CHECK_CONTAINS(e.msg, "truncated");
}

/* --keep-max strings: decimal numbers and ISO-8601 date-times (UTC seconds) */
TEST(keep_string)
{
    double v = 0;
    CHECK(dd_keep_string("3", &v) == 0 && v == 3);
    CHECK(dd_keep_string(" -1.5e3 ", &v) == 0 && v == -1500);
    CHECK(dd_keep_string(".5", &v) == 0 && v == 0.5);
    CHECK(dd_keep_string("1970-01-01T00:00:00Z", &v) == 0 && v == 0);
    /* FineWeb's timestamp column */
    CHECK(dd_keep_string("2026-01-02T08:43:38.124488Z", &v) == 0 && fabs(v - 1767343418.124488) < 1e-5);
    CHECK(dd_keep_string("2024-02-29 23:30:00", &v) == 0 && v == 1709249400);
    CHECK(dd_keep_string("2024-03-01T00:00:00+01:00", &v) == 0 && v == 1709247600);
    CHECK(dd_keep_string("2024-03-01T00:00:00-0130", &v) == 0 && v == 1709256600);
    CHECK(dd_keep_string("2024-03-01T00:00", &v) == 0 && v == 1709251200);
    /* an hours-only offset, as Python 3.11's fromisoformat (1709233200.0) */
    CHECK(dd_keep_string("2024-03-01T00:00:00+05", &v) == 0 && v == 1709233200);
    CHECK(dd_keep_string("2024-03-01T00:00+05", &v) == 0 && v == 1709233200);
    /* a bare year is a number, not a date (fromisoformat refuses it too) */
    CHECK(dd_keep_string("2024", &v) == 0 && v == 2024);
    CHECK(dd_keep_string("2024-03-01", &v) == 0 && v == 1709251200);
    CHECK(dd_keep_string("1969-12-31T23:59:59Z", &v) == 0 && v == -1);
    CHECK(dd_keep_string("0001-01-01", &v) == 0 && v == -62135596800.0);
    static const char *const bad[] = {"", " ", "nan", "inf", "-inf", "0x10", "1e", "1.2.3", "abc",
                                      "3 apples", "2023-02-29", "2024-13-01", "2024-01-01T24:00",
                                      "2024-01-01T10:00:00Q", "2024-01-01T10:00:00.", "e5", ".",
                                      "2024-05", "2024-01-01T10:00+05:", "2024-01-01T10:00+5",
                                      /* fromisoformat: "second must be in 0..59", "year 0 is
                                       * out of range" */
                                      "2016-12-31T23:59:60Z", "2016-12-31 23:59:60.5",
                                      "0000-01-01", "0000-03-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (dd_keep_string(bad[i], &v) == 0) FAILF("'%s' read as %g", bad[i], v);
}

int main(void)
{
    RUN(normalise_fineweb);
    RUN(normalise_exact_nfkc);
    RUN(norm_parse);
    RUN(shingles_count);
    RUN(permutations_in_range);
    RUN(simd_matches_portable);
    RUN(minhash_estimates_jaccard);
    RUN(jaccard_sets);
    RUN(union_find_root_is_smallest);
    RUN(header_refuses_other_config_and_truncation);
    RUN(keep_string);
    RUN(normalise_final_sigma);
    RUN(normalise_lower_dotted_capital_i);
    return test_summary();
}
