/* test.h - minimal unit-test harness.
 *
 * Each test binary prints one line per test: "PASS name", "FAIL name: why"
 * or "SKIP name: why"; tests/run.sh adds them up. A failing CHECK ends the
 * current test (not the binary).
 *
 *   TEST(parses_numbers) { CHECK(x == 1); CHECK_EQ_STR(s, "a"); }
 *   int main(void) { RUN(parses_numbers); return test_summary(); }
 */
#ifndef BLALM_TEST_H
#define BLALM_TEST_H

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int test_failed_, test_skipped_, tests_failed_total_;
static char test_why_[1024];

#define TEST(name) static void test_##name(void)
#define RUN(name)                                                              \
    do {                                                                       \
        test_failed_ = test_skipped_ = 0;                                      \
        test_why_[0] = 0;                                                      \
        test_##name();                                                         \
        if (test_skipped_)                                                     \
            printf("SKIP %s: %s\n", #name, test_why_);                         \
        else if (test_failed_) {                                               \
            printf("FAIL %s: %s\n", #name, test_why_);                         \
            tests_failed_total_++;                                             \
        } else                                                                 \
            printf("PASS %s\n", #name);                                        \
        fflush(stdout);                                                        \
    } while (0)

#define FAILF(...)                                                             \
    do {                                                                       \
        int test_off_ = snprintf(test_why_, sizeof test_why_, "%s:%d: ", __FILE__, __LINE__); \
        snprintf(test_why_ + test_off_, sizeof test_why_ - test_off_, __VA_ARGS__);          \
        test_failed_ = 1;                                                      \
        return;                                                                \
    } while (0)

#define SKIPF(...)                                                             \
    do {                                                                       \
        snprintf(test_why_, sizeof test_why_, __VA_ARGS__);                    \
        test_skipped_ = 1;                                                     \
        return;                                                                \
    } while (0)

#define CHECK(c)                                                               \
    do { if (!(c)) FAILF("CHECK(%s)", #c); } while (0)
#define CHECK_MSG(c, ...)                                                      \
    do { if (!(c)) FAILF(__VA_ARGS__); } while (0)
#define CHECK_EQ_INT(a, b)                                                     \
    do {                                                                       \
        long long a_ = (long long)(a), b_ = (long long)(b);                    \
        if (a_ != b_) FAILF("%s == %lld, expected %s == %lld", #a, a_, #b, b_); \
    } while (0)
#define CHECK_EQ_STR(a, b)                                                     \
    do {                                                                       \
        const char *a_ = (a), *b_ = (b);                                       \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                 \
            FAILF("%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    } while (0)
#define CHECK_NEAR(a, b, tol)                                                  \
    do {                                                                       \
        double a_ = (a), b_ = (b);                                             \
        if (!(fabs(a_ - b_) <= (tol)))                                         \
            FAILF("%s == %.17g, expected %.17g (tol %g)", #a, a_, b_, (double)(tol)); \
    } while (0)
#define CHECK_CONTAINS(hay, needle)                                            \
    do {                                                                       \
        const char *h_ = (hay), *n_ = (needle);                                \
        if (!h_ || !strstr(h_, n_)) FAILF("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_); \
    } while (0)

static inline int test_summary(void) { return 0; }

static char test_dir_[512];

static int test_rm_entry_(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void test_rm_tmpdir_(void)
{
    if (test_dir_[0] && !getenv("BLALM_KEEP_TEST_TMP"))
        nftw(test_dir_, test_rm_entry_, 16, FTW_DEPTH | FTW_PHYS);
}

/* Scratch directory for a test binary: $TMPDIR/blalm-test-XXXXXX, removed at
 * exit (kept when BLALM_KEEP_TEST_TMP is set, for debugging). */
static inline const char *test_tmpdir(void)
{
    if (!test_dir_[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(test_dir_, sizeof test_dir_, "%s/blalm-test-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(test_dir_)) { perror("mkdtemp"); exit(1); }
        atexit(test_rm_tmpdir_);
    }
    return test_dir_;
}

/* test_tmpdir()/name, in one of eight rotating buffers (a few may be in use
 * at once, e.g. a source and a target). */
static inline char *path_in_tmp(const char *name)
{
    static char buf[8][1024];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", test_tmpdir(), name);
    return buf[k];
}

/* ../shared/data when present: BLALM_SHARED_DATA, or relative to the repo. */
static inline const char *test_shared_data(void)
{
    const char *d = getenv("BLALM_SHARED_DATA");
    return d && *d ? d : NULL;
}

#endif
