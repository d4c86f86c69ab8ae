/* test_extsort.c - lib/extsort.h (records with a comparator; kv pairs with
 * the radix pass) and lib/hashmap.h, each against a naive reference. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/extsort.h"
#include "lib/hashmap.h"
#include "tests/unit/test.h"

typedef struct rec { uint64_t key, idx, pad; } rec;

static int cmp_rec(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static uint64_t rng64(uint64_t *s) { return lcg(s) << 32 ^ lcg(s); }

static int sort_matches_passes(size_t n, size_t mem, int *runs, int *passes)
{
    blalm_err e;
    xsort *s = xs_open(sizeof(rec), cmp_rec, mem, test_tmpdir(), &e);
    rec *ref = malloc((n ? n : 1) * sizeof *ref);
    uint64_t seed = 42;
    for (size_t i = 0; i < n; i++) {
        rec r = {lcg(&seed) % 1000, i, 0};
        ref[i] = r;
        if (xs_add(s, &r, &e) < 0) return 0;
    }
    qsort(ref, n, sizeof *ref, cmp_rec);
    if (xs_finish(s, &e) < 0) return 0;
    *runs = xs_runs(s);
    if (passes) *passes = xs_merge_passes(s);
    rec r;
    size_t i = 0;
    int ok = 1, rc;
    while ((rc = xs_next(s, &r, &e)) == 1) {
        if (i >= n || memcmp(&r, &ref[i], sizeof r)) ok = 0;
        i++;
    }
    ok = ok && rc == 0 && i == n && xs_count(s) == n;
    xs_close(s);
    free(ref);
    return ok;
}

static int sort_matches(size_t n, size_t mem, int *runs)
{
    return sort_matches_passes(n, mem, runs, NULL);
}

TEST(xsort_in_memory)
{
    int runs;
    CHECK(sort_matches(5000, 1 << 20, &runs));
    CHECK_EQ_INT(runs, 0);
}

TEST(xsort_spills_and_merges)
{
    int runs;
    CHECK(sort_matches(20000, 64 * sizeof(rec), &runs));
    CHECK(runs > 100);
}

/* Many runs and a small budget: the runs outnumber the fan-in (budget /
 * 4 KiB, at least 2), so passes merge groups of them first; the output is
 * the reference sort's, whatever the number of passes. */
TEST(xsort_multi_pass_merge)
{
    int runs, passes;
    /* 1,536 bytes: a fan-in of 2; 20,000 records in runs of 64: 313 runs,
     * 8 passes before the final merge of 2 */
    CHECK(sort_matches_passes(20000, 64 * sizeof(rec), &runs, &passes));
    CHECK_EQ_INT(runs, 313);
    CHECK_EQ_INT(passes, 8);
    /* 16 KiB: runs of 682 records (16,368 bytes, so a fan-in of 3): 30
     * runs, 3 passes (30 -> 10 -> 4 -> 2) */
    CHECK(sort_matches_passes(20000, 16384, &runs, &passes));
    CHECK_EQ_INT(runs, 30);
    CHECK_EQ_INT(passes, 3);
    /* 1 MiB: one merge takes every run */
    CHECK(sort_matches_passes(200000, 1 << 20, &runs, &passes));
    CHECK(runs > 1);
    CHECK_EQ_INT(passes, 0);
}

/* The lowest free descriptor number. */
static int lowest_free_fd(void)
{
    int fd = dup(0);
    if (fd >= 0) close(fd);
    return fd;
}

/* Runs share one file: 313 runs under an open-file limit that leaves three
 * descriptors free (each run once held its own, and a small budget failed
 * with "Too many open files" under ulimit -n 1024). */
TEST(xsort_many_runs_few_descriptors)
{
    struct rlimit old, lim;
    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
    lim = old;
    lim.rlim_cur = (rlim_t)lowest_free_fd() + 3;
    CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0);
    int runs, passes;
    int ok = sort_matches_passes(20000, 64 * sizeof(rec), &runs, &passes);
    setrlimit(RLIMIT_NOFILE, &old);
    CHECK(ok);
    CHECK_EQ_INT(runs, 313);
}

/* No descriptor left: the error names the folder, what failed and the two
 * ways out (it once named a .blalm-sort-XXXXXX file that never existed). */
TEST(xsort_out_of_descriptors_is_a_clear_error)
{
    struct rlimit old, lim;
    CHECK(getrlimit(RLIMIT_NOFILE, &old) == 0);
    blalm_err e;
    xsort *x = xs_open_kv(1024 * 2 * sizeof(xs_kv), test_tmpdir(), &e);
    CHECK(x != NULL);
    lim = old;
    lim.rlim_cur = (rlim_t)lowest_free_fd();
    CHECK(setrlimit(RLIMIT_NOFILE, &lim) == 0);
    int rc = 0;
    for (uint64_t i = 0; i < 5000 && rc == 0; i++) rc = xs_add(x, &(xs_kv){i, i}, &e);
    setrlimit(RLIMIT_NOFILE, &old);
    CHECK(rc < 0);
    CHECK_MSG(strstr(e.msg, test_tmpdir()) && strstr(e.msg, "cannot create a temporary sort file") &&
                  strstr(e.msg, "ulimit -n") && strstr(e.msg, "--mem") && !strstr(e.msg, "XXXXXX"),
              "message: %s", e.msg);
    xs_close(x);
}

TEST(xsort_empty)
{
    int runs;
    CHECK(sort_matches(0, 4096, &runs));
}

static int kv_ref_cmp(const void *pa, const void *pb)
{
    const xs_kv *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->val < b->val ? -1 : a->val > b->val;
}

/* Full 64-bit keys (hash-like) with repeats and small keys (all in one radix
 * bucket), in memory and spilled: the order of qsort. Runs are unlinked
 * files, so nothing is left in the folder (which the first spill creates). */
TEST(xsort_kv_matches_qsort)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/xsort-kv", test_tmpdir());
    size_t n = 50000;
    xs_kv *ref = malloc(n * sizeof *ref);
    for (int small = 0; small < 2; small++) {
        uint64_t r = 777 + (uint64_t)small;
        for (size_t i = 0; i < n; i++) {
            ref[i].key = i % 7 == 0 && i ? ref[i / 2].key : small ? rng64(&r) % 500 : rng64(&r);
            ref[i].val = rng64(&r) % 1000;
        }
        size_t mems[2] = {(size_t)1 << 24, 1024 * 2 * sizeof(xs_kv)};
        int sorted = 0;
        for (int m = 0; m < 2; m++) {
            blalm_err e;
            xsort *x = xs_open_kv(mems[m], dir, &e);
            CHECK(x != NULL);
            for (size_t i = 0; i < n; i++) CHECK(xs_add(x, &ref[i], &e) == 0);
            CHECK(xs_finish(x, &e) == 0);
            if (m == 0) CHECK_EQ_INT(xs_runs(x), 0);
            else CHECK(xs_runs(x) >= 48);
            if (!sorted) {
                qsort(ref, n, sizeof *ref, kv_ref_cmp);
                sorted = 1;
            }
            xs_kv kv;
            size_t k = 0;
            int rc;
            while ((rc = xs_next(x, &kv, &e)) == 1) {
                CHECK_MSG(k < n && kv.key == ref[k].key && kv.val == ref[k].val,
                          "record %zu differs (small keys %d, memory %zu)", k, small, mems[m]);
                k++;
            }
            CHECK_EQ_INT(rc, 0);
            CHECK_EQ_INT(k, n);
            xs_close(x);
        }
    }
    free(ref);
    /* the folder exists (made by the first spill) and is empty */
    CHECK(access(dir, F_OK) == 0);
    CHECK(rmdir(dir) == 0);
}

TEST(xsort_kv_vals_order_within_key)
{
    blalm_err e;
    xsort *x = xs_open_kv(1 << 20, test_tmpdir(), &e);
    xs_add(x, &(xs_kv){5, 9}, &e);
    xs_add(x, &(xs_kv){5, 2}, &e);
    xs_add(x, &(xs_kv){1, 7}, &e);
    xs_finish(x, &e);
    xs_kv kv;
    CHECK(xs_next(x, &kv, &e) == 1 && kv.key == 1);
    CHECK(xs_next(x, &kv, &e) == 1 && kv.key == 5 && kv.val == 2);
    CHECK(xs_next(x, &kv, &e) == 1 && kv.val == 9);
    CHECK(xs_next(x, &kv, &e) == 0);
    xs_close(x);
}

TEST(xsort_unwritable_tmpdir_is_an_error)
{
    blalm_err e;
    xsort *x = xs_open_kv(1024 * 2 * sizeof(xs_kv), "/proc/no-such-dir/sorts", &e);
    int rc = 0;
    for (uint64_t i = 0; i < 5000 && rc == 0; i++) rc = xs_add(x, &(xs_kv){i, i}, &e);
    CHECK(rc < 0);
    CHECK_MSG(strstr(e.msg, "/proc/no-such-dir") != NULL, "message: %s", e.msg);
    xs_close(x);
}

/* Every key, 0 and UINT64_MAX included, against a sorted-array reference. */
TEST(u64map_matches_reference)
{
    u64map m = {0};
    enum { N = 30000 };
    uint64_t *keys = malloc(N * sizeof *keys), *vals = malloc(N * sizeof *vals);
    uint64_t s = 9;
    size_t nk = 0;
    for (int i = 0; i < N; i++) {
        uint64_t k = i == 0 ? 0 : i == 1 ? UINT64_MAX : i % 3 ? rng64(&s) : (uint64_t)i * 7919;
        int added;
        uint64_t *v = u64map_put(&m, k, (uint64_t)i, &added);
        size_t j;
        for (j = 0; j < nk && keys[j] != k; j++) {}
        if (j == nk && nk < 2000) {    /* keep the naive reference small */
            keys[nk] = k;
            vals[nk++] = (uint64_t)i;
            CHECK(added);
        } else if (j < nk) {
            CHECK(!added);
            *v = vals[j] = (uint64_t)i + 1000000;
        }
    }
    for (size_t j = 0; j < nk; j++) {
        const uint64_t *v = u64map_get(&m, keys[j]);
        CHECK_MSG(v && *v == vals[j], "key %llu", (unsigned long long)keys[j]);
    }
    CHECK(u64map_get(&m, 3) == NULL);
    CHECK(*u64map_get(&m, 0) == 0 && *u64map_get(&m, UINT64_MAX) == 1);
    size_t before = m.n;
    *u64map_put(&m, UINT64_MAX, 5, NULL) = 77;
    CHECK(m.n == before && *u64map_get(&m, UINT64_MAX) == 77);
    u64map_free(&m);
    CHECK(u64map_get(&m, 0) == NULL && m.n == 0);
    free(keys);
    free(vals);
}

int main(void)
{
    RUN(xsort_in_memory);
    RUN(xsort_spills_and_merges);
    RUN(xsort_multi_pass_merge);
    RUN(xsort_many_runs_few_descriptors);
    RUN(xsort_out_of_descriptors_is_a_clear_error);
    RUN(xsort_empty);
    RUN(xsort_kv_matches_qsort);
    RUN(xsort_kv_vals_order_within_key);
    RUN(xsort_unwritable_tmpdir_is_an_error);
    RUN(u64map_matches_reference);
    return test_summary();
}
