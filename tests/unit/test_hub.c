/* test_hub.c - the Hub client (hub/hub.h): path checks, listing pages on
 * captured bytes, Link pagination, and hub_list/fetch_run against the
 * loopback Hub stand-in (tests/peers/hub.py, started here and stopped at
 * exit, also when a test fails). */
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hub/hub.h"
#include "hub/internal.h"
#include "lib/fsutil.h"
#include "test.h"

/* ---- path and name checks -------------------------------------------- */

TEST(path_checks_refuse_traversal)
{
    CHECK_EQ_STR(hub_path_problem("../x.parquet", ""), "'..' path component");
    CHECK_EQ_STR(hub_path_problem("sample/10BT/../../etc/passwd", "sample/10BT"),
                 "'..' path component");
    CHECK_EQ_STR(hub_path_problem("sample/10BT/..", "sample/10BT"), "'..' path component");
    CHECK_EQ_STR(hub_path_problem("sample/./a", ""), "'.' path component");
    CHECK_EQ_STR(hub_path_problem("sample//a", ""), "empty path component");
    CHECK_EQ_STR(hub_path_problem("sample/a/", ""), "empty path component");
    CHECK_EQ_STR(hub_path_problem("", ""), "empty path");
}

TEST(path_checks_refuse_absolute_and_odd_bytes)
{
    CHECK_EQ_STR(hub_path_problem("/etc/passwd", ""), "absolute path");
    CHECK_EQ_STR(hub_path_problem("/sample/10BT/a", "sample/10BT"), "absolute path");
    CHECK_EQ_STR(hub_path_problem("a\\..\\b", ""), "backslash in path");
    CHECK_EQ_STR(hub_path_problem("bad\x1bname.parquet", ""), "control character in path");
    CHECK_EQ_STR(hub_path_problem("a\nb", ""), "control character in path");
    CHECK_EQ_STR(hub_path_problem("a\x7f", ""), "control character in path");
    char longp[1100];
    memset(longp, 'a', sizeof longp - 1);
    longp[sizeof longp - 1] = 0;
    CHECK_EQ_STR(hub_path_problem(longp, ""), "path longer than 1024 bytes");
    longp[1024] = 0;
    CHECK(hub_path_problem(longp, "") == NULL);
}

TEST(path_checks_keep_to_the_folder)
{
    CHECK(hub_path_problem("sample/10BT/000_00000.parquet", "sample/10BT") == NULL);
    CHECK(hub_path_problem("sample/10BT", "sample/10BT") == NULL);
    /* a sibling whose name starts with the folder's is outside it */
    CHECK_EQ_STR(hub_path_problem("sample/10BTX/a.parquet", "sample/10BT"),
                 "path outside the folder asked for");
    CHECK_EQ_STR(hub_path_problem("data/a.parquet", "sample"), "path outside the folder asked for");
    CHECK(hub_path_problem("data/a.parquet", "") == NULL);
}

TEST(path_checks_accept_odd_but_harmless_names)
{
    CHECK(hub_path_problem("sample/a b.parquet", "") == NULL);        /* space */
    CHECK(hub_path_problem("sample/...", "") == NULL);                /* not '..' */
    CHECK(hub_path_problem("sample/a..b", "") == NULL);
    CHECK(hub_path_problem(".hidden/.x", "") == NULL);
    CHECK(hub_path_problem("données/ü%20.parquet", "") == NULL);     /* UTF-8, '%' */
    char shown[32];
    hub_printable("bad\x1bname\n", shown, sizeof shown);
    CHECK_EQ_STR(shown, "bad?name?");
}

TEST(repo_names)
{
    CHECK(hub_repo_valid("HuggingFaceFW/fineweb-edu"));
    CHECK(hub_repo_valid("a_b/c.d-1"));
    CHECK(!hub_repo_valid("a/../b"));
    CHECK(!hub_repo_valid("a/b/c"));
    CHECK(!hub_repo_valid("/a/b"));
    CHECK(!hub_repo_valid("a/b/"));
    CHECK(!hub_repo_valid("a/b?x=1"));
    CHECK(!hub_repo_valid(""));
    CHECK(!hub_repo_valid("a..b/c"));
}

TEST(include_globs)
{
    const char *by_name[] = {"*.parquet"};
    const char *by_path[] = {"sub/*"};
    CHECK(hub_include_match("sample/10BT/sub/x.parquet", "sample/10BT", by_name, 1));
    CHECK(!hub_include_match("sample/10BT/sub/x.bin", "sample/10BT", by_name, 1));
    CHECK(hub_include_match("sample/10BT/sub/x.bin", "sample/10BT", by_path, 1));
    CHECK(!hub_include_match("sample/10BT/x.bin", "sample/10BT", by_path, 1));
    CHECK(hub_include_match("anything", "sample", NULL, 0));
}

/* ---- listing pages on captured bytes ----------------------------------- */

static const char page1[] =
    "[{\"type\":\"directory\",\"oid\":\"1\",\"size\":0,\"path\":\"sample/10BT/sub\"},"
    "{\"type\":\"file\",\"oid\":\"2\",\"size\":300001,\"path\":\"sample/10BT/b.parquet\","
    "\"lfs\":{\"oid\":\"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
    "\"size\":300001,\"pointerSize\":134}},"
    "{\"type\":\"file\",\"oid\":\"a0423896973644771497bdc03eb99d5281615b51\",\"size\":12,"
    "\"path\":\"sample/10BT/README.md\"}]";

TEST(listing_page_keeps_files_only)
{
    hub_listing l = {0};
    blalm_err e = {{0}};
    CHECK_MSG(hub_listing_add_page(&l, page1, strlen(page1), 1, "sample/10BT", NULL, 0, NULL, &e) == 0,
              "%s", e.msg);
    CHECK_EQ_INT(l.n, 2);
    CHECK_EQ_INT(l.pages, 1);
    CHECK_EQ_STR(l.v[0].path, "sample/10BT/b.parquet");
    CHECK_EQ_INT(l.v[0].size, 300001);
    CHECK_EQ_STR(l.v[0].sha256, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    CHECK_EQ_STR(l.v[1].path, "sample/10BT/README.md");
    CHECK_EQ_STR(l.v[0].git_oid, "");                      /* an LFS file's oid is its pointer's */
    CHECK_EQ_STR(l.v[1].sha256, "");                       /* plain git file */
    CHECK_EQ_STR(l.v[1].git_oid, "a0423896973644771497bdc03eb99d5281615b51");
    hub_listing_free(&l);
}

/* Each malformed page fails with a message naming the page and the fault,
 * and leaves what earlier pages gave untouched. */
TEST(listing_malformed_pages)
{
    static const struct { const char *body, *want; } cases[] = {
        {"{\"error\":\"Repository not found\"}", "listing page 2: expected a JSON array of entries, got {\"error\""},
        {"[{\"type\":\"file\",\"size\":1", "listing page 2: expected a JSON array"},
        {"", "listing page 2: expected a JSON array of entries, got "},
        {"[{\"type\":\"file\",\"size\":1}]", "listing page 2: entry without type/path"},
        {"[{\"path\":\"sample/10BT/x\",\"size\":1}]", "listing page 2: entry without type/path"},
        {"[{\"type\":\"file\",\"path\":\"sample/10BT/x\"}]", "listing page 2: sample/10BT/x: missing or negative size"},
        {"[{\"type\":\"file\",\"path\":\"sample/10BT/x\",\"size\":-4}]", "missing or negative size"},
        {"[{\"type\":\"file\",\"path\":\"sample/10BT/x\",\"size\":\"4\"}]", "missing or negative size"},
        {"[{\"type\":\"file\",\"path\":\"sample/10BT/x\",\"size\":4,\"lfs\":{\"oid\":\"sha256:abc\"}}]",
         "listing page 2: sample/10BT/x: lfs.oid is not a sha256"},
        {"[{\"type\":\"file\",\"path\":\"sample/10BT/x\",\"size\":4,\"lfs\":{\"oid\":"
         "\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}}]",
         "lfs.oid is not a sha256"},
        /* an LFS entry without its sha256: its "oid" is the pointer file's blob
         * id, which the content never hashes to (was taken for the content's) */
        {"[{\"type\":\"file\",\"oid\":\"0123456789012345678901234567890123456789\",\"path\":"
         "\"sample/10BT/x\",\"size\":4,\"lfs\":{\"size\":4}}]",
         "listing page 2: sample/10BT/x: lfs without an oid (the file's sha256)"},
        {"[{\"type\":\"file\",\"path\":\"sample/10BT/x\",\"size\":4,\"lfs\":{\"oid\":5}}]",
         "lfs without an oid"},
        {"[{\"type\":\"file\",\"oid\":\"3\",\"path\":\"sample/10BT/x\",\"size\":4}]",
         "listing page 2: sample/10BT/x: oid is not a git sha1 (40 hex digits)"},
        {"[{\"type\":\"file\",\"oid\":7,\"path\":\"sample/10BT/x\",\"size\":4}]", "oid is not a git sha1"},
        {"[{\"type\":\"file\",\"path\":\"sample/10BT/ok\",\"size\":4},"
         "{\"type\":\"file\",\"path\":\"sample/10BT/../../escaped.parquet\",\"size\":4}]",
         "listing page 2: refusing entry \"sample/10BT/../../escaped.parquet\": '..' path component; "
         "nothing was downloaded"},
        {"[{\"type\":\"file\",\"path\":\"/tmp/x\",\"size\":4}]", "refusing entry \"/tmp/x\": absolute path"},
        {"[{\"type\":\"file\",\"path\":\"sample/10BT/bad\\u001bname\",\"size\":4}]",
         "refusing entry \"sample/10BT/bad?name\": control character in path"},
        {"[{\"type\":\"file\",\"path\":\"other/x\",\"size\":4}]",
         "refusing entry \"other/x\": path outside the folder asked for"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        hub_listing l = {0};
        blalm_err e = {{0}};
        CHECK(hub_listing_add_page(&l, page1, strlen(page1), 1, "sample/10BT", NULL, 0, NULL, &e) == 0);
        int rc = hub_listing_add_page(&l, cases[i].body, strlen(cases[i].body), 2, "sample/10BT",
                                      NULL, 0, NULL, &e);
        size_t n = l.n;
        int pages = l.pages;
        hub_listing_free(&l);
        CHECK_MSG(rc == -1, "case %zu accepted", i);
        CHECK_MSG(strstr(e.msg, cases[i].want), "case %zu: \"%s\" lacks \"%s\"", i, e.msg, cases[i].want);
        CHECK_MSG(n == 2 && pages == 1, "case %zu: %zu entries kept, pages %d", i, n, pages);
    }
}

/* A size is a whole number of bytes a double holds exactly: 1e20 (cast to
 * uint64_t: undefined) and 2.5 (read as 2) are refused like a negative one;
 * 0 and 2^53 are sizes. */
TEST(listing_sizes_are_whole_numbers)
{
    static const char *bad[] = {"1e20", "2.5", "1e300", "9007199254740994", "-0.5", "0.000001"};
    char body[300];
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(body, sizeof body, "[{\"type\":\"file\",\"path\":\"sample/10BT/x\",\"size\":%s}]", bad[i]);
        hub_listing l = {0};
        blalm_err e = {{0}};
        int rc = hub_listing_add_page(&l, body, strlen(body), 3, "sample/10BT", NULL, 0, NULL, &e);
        size_t n = l.n;
        hub_listing_free(&l);
        CHECK_MSG(rc == -1 && n == 0, "size %s accepted", bad[i]);
        CHECK_MSG(strstr(e.msg, "listing page 3: sample/10BT/x: missing or negative size, or not a "
                                "whole number of bytes up to 2^53"),
                  "size %s: %s", bad[i], e.msg);
    }
    static const struct { const char *json; uint64_t size; } good[] = {
        {"0", 0}, {"-0", 0}, {"4", 4}, {"1e3", 1000}, {"9007199254740992", 9007199254740992ull}};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        snprintf(body, sizeof body, "[{\"type\":\"file\",\"path\":\"sample/10BT/x\",\"size\":%s}]",
                 good[i].json);
        hub_listing l = {0};
        blalm_err e = {{0}};
        int rc = hub_listing_add_page(&l, body, strlen(body), 1, "sample/10BT", NULL, 0, NULL, &e);
        CHECK_MSG(rc == 0 && l.n == 1 && l.v[0].size == good[i].size, "size %s: rc %d %s", good[i].json,
                  rc, e.msg);
        hub_listing_free(&l);
    }
}

TEST(listing_finish_sorts_dedups_and_cuts)
{
    hub_listing l = {0};
    blalm_err e = {{0}};
    const char *p2 = "[{\"type\":\"file\",\"path\":\"sample/10BT/a.parquet\",\"size\":1},"
                     "{\"type\":\"file\",\"path\":\"sample/10BT/b.parquet\",\"size\":300001}]";
    CHECK(hub_listing_add_page(&l, page1, strlen(page1), 1, "sample/10BT", NULL, 0, NULL, &e) == 0);
    CHECK(hub_listing_add_page(&l, p2, strlen(p2), 2, "sample/10BT", NULL, 0, NULL, &e) == 0);
    CHECK_EQ_INT(l.n, 4);
    hub_listing_finish(&l, -1);
    CHECK_EQ_INT(l.n, 3);        /* b.parquet listed twice (overlapping pages) */
    CHECK_EQ_STR(l.v[0].path, "sample/10BT/README.md");   /* strcmp order: 'R' < 'a' */
    CHECK_EQ_STR(l.v[1].path, "sample/10BT/a.parquet");
    CHECK_EQ_STR(l.v[2].path, "sample/10BT/b.parquet");
    hub_listing_finish(&l, 2);
    CHECK_EQ_INT(l.n, 2);
    CHECK_EQ_STR(l.v[1].path, "sample/10BT/a.parquet");
    hub_listing_free(&l);
}

/* ---- Link headers --------------------------------------------------------- */

TEST(next_page_links)
{
    const char *ep = "http://127.0.0.1:8000";
    char *next = (char *)1;
    blalm_err e = {{0}};
    CHECK(hub_next_page(NULL, ep, ep, 1, &next, &e) == 0 && next == NULL);
    CHECK(hub_next_page("<http://127.0.0.1:8000/x?c=1>; rel=\"prev\"", ep, ep, 1, &next, &e) == 0 &&
          next == NULL);
    CHECK(hub_next_page("<http://127.0.0.1:8000/api/t?cursor=2>; rel=\"next\"", ep, ep, 1, &next, &e) == 0);
    CHECK_EQ_STR(next, "http://127.0.0.1:8000/api/t?cursor=2");
    free(next);
    CHECK(hub_next_page("<http://127.0.0.1:8000/p?c=0>; rel=\"prev\", <http://127.0.0.1:8000/n?c=4>; rel=\"next\"",
                        ep, ep, 1, &next, &e) == 0);
    CHECK_EQ_STR(next, "http://127.0.0.1:8000/n?c=4");
    free(next);
    /* relative: made absolute on the endpoint's origin (its path dropped) */
    CHECK(hub_next_page("</api/t?cursor=2>; rel=\"next\"", "http://127.0.0.1:8000/mirror/api/x/tree/main",
                        "http://127.0.0.1:8000/mirror", 1, &next, &e) == 0);
    CHECK_EQ_STR(next, "http://127.0.0.1:8000/api/t?cursor=2");
    free(next);
    /* RFC 3986 references against the page's own URL: a query alone keeps
     * its path; a relative path replaces its last segment */
    const char *page = "http://127.0.0.1:8000/api/datasets/o/n/tree/main/sample?recursive=true";
    CHECK_MSG(hub_next_page("<?recursive=true&cursor=1>; rel=\"next\"", page, ep, 1, &next, &e) == 0, "%s", e.msg);
    CHECK_EQ_STR(next, "http://127.0.0.1:8000/api/datasets/o/n/tree/main/sample?recursive=true&cursor=1");
    free(next);
    CHECK(hub_next_page("<other?cursor=2>; rel=\"next\"", page, ep, 1, &next, &e) == 0);
    CHECK_EQ_STR(next, "http://127.0.0.1:8000/api/datasets/o/n/tree/main/other?cursor=2");
    free(next);
    CHECK(hub_next_page("<//127.0.0.1:8000/api/t?cursor=3>; rel=\"next\"", page, ep, 1, &next, &e) == 0);
    CHECK_EQ_STR(next, "http://127.0.0.1:8000/api/t?cursor=3");
    free(next);
    /* two Link field lines joined with ", " (http_header_join): the next
     * link in the first line is found */
    CHECK(hub_next_page("<http://127.0.0.1:8000/n?c=4>; rel=\"next\", <http://127.0.0.1:8000/f>; rel=\"first\"",
                        page, ep, 1, &next, &e) == 0);
    CHECK_EQ_STR(next, "http://127.0.0.1:8000/n?c=4");
    free(next);
    /* a relative reference to another origin is refused as an absolute one */
    CHECK(hub_next_page("<//evil.invalid/api/t>; rel=\"next\"", page, ep, 2, &next, &e) == -1 && next == NULL);
    CHECK_CONTAINS(e.msg, "another origin");
}

TEST(next_page_refuses_other_origins)
{
    const char *ep = "http://127.0.0.1:8000";
    static const char *bad[] = {
        "<http://evil.invalid:1/api/t?cursor=2>; rel=\"next\"",
        "<http://127.0.0.1:80001/api/t>; rel=\"next\"",          /* a longer port */
        "<http://127.0.0.1:8000.evil.invalid/api/t>; rel=\"next\"",
        "<https://127.0.0.1:8000/api/t>; rel=\"next\"",           /* another scheme */
        "<http://127.0.0.1:8001/api/t?token=secret>; rel=\"next\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *next = NULL;
        blalm_err e = {{0}};
        CHECK_MSG(hub_next_page(bad[i], ep, ep, 3, &next, &e) == -1 && next == NULL, "accepted %s", bad[i]);
        /* libcurl takes no port above 65535 nor a port "8000.evil.invalid":
         * those are no URL at all, refused as such */
        if (strstr(bad[i], ":80001") || strstr(bad[i], "8000.evil")) {
            CHECK_CONTAINS(e.msg, "listing page 3: the next-page link (http://127.0.0.1:800");
            CHECK_CONTAINS(e.msg, ") is not a URL");
        } else {
            CHECK_CONTAINS(e.msg, "listing page 3: refusing to follow a next-page link to another origin");
            CHECK_CONTAINS(e.msg, "HF_ENDPOINT is http://127.0.0.1:8000");
        }
        CHECK_MSG(!strstr(e.msg, "secret"), "query string in message: %s", e.msg);
    }
}

/* ---- against the loopback Hub stand-in ------------------------------------ */

static pid_t hub_pid;
static int hub_out = -1;
static char hub_endpoint[64];

static void stop_hub(void)
{
    if (hub_pid > 0) {
        kill(hub_pid, SIGTERM);
        waitpid(hub_pid, NULL, 0);
        hub_pid = 0;
    }
    if (hub_out >= 0) { close(hub_out); hub_out = -1; }
}

/* tests/peers/hub.py next to this file (the tree the binary was built from). */
static int peer_script(char *out, size_t cap)
{
    const char *self = __FILE__;                 /* tests/unit/test_hub.c */
    const char *cut = strstr(self, "unit/test_hub.c");
    if (!cut) return -1;
    snprintf(out, cap, "%.*speers/hub.py", (int)(cut - self), self);
    return access(out, R_OK) == 0 && access("/usr/bin/python3", X_OK) == 0 ? 0 : -1;
}

/* Starts hub.py on root with extra flags; 0 when it answers. */
static int start_hub(const char *root, const char *const *flags)
{
    stop_hub();
    char script[1024];
    if (peer_script(script, sizeof script) != 0) return -1;
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);       /* dies with this test even if it crashes */
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        const char *argv[16] = {"/usr/bin/python3", script, "--root", root, "--page-size", "2"};
        int a = 6;
        for (int i = 0; flags && flags[i] && a < 15; i++) argv[a++] = flags[i];
        argv[a] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    hub_pid = pid;
    hub_out = fds[0];            /* kept open: the peer may write its line in pieces */
    close(fds[1]);
    char port[32] = "";
    size_t n = 0;
    while (n + 1 < sizeof port && !strchr(port, '\n')) {
        ssize_t k = read(hub_out, port + n, sizeof port - 1 - n);
        if (k <= 0) break;
        n += (size_t)k;
        port[n] = 0;
    }
    if (!strchr(port, '\n')) { stop_hub(); return -1; }
    snprintf(hub_endpoint, sizeof hub_endpoint, "http://127.0.0.1:%d", atoi(port));
    return 0;
}

static void put_file(const char *root, const char *rel, size_t n, unsigned seed)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    blalm_err e;
    mkdir_parent(p, &e);
    FILE *f = fopen(p, "wb");
    for (size_t i = 0; i < n; i++) fputc((int)((i * 2654435761u + seed) >> 7 & 0xff), f);
    fclose(f);
}

static const char *repo_root(void)
{
    static char root[600];
    if (!root[0]) {
        snprintf(root, sizeof root, "%s/repo", test_tmpdir());
        put_file(root, "sample/10BT/000_00000.parquet", 5000, 1);
        put_file(root, "sample/10BT/000_00001.parquet", 3001, 2);
        put_file(root, "sample/10BT/000_00002.parquet", 1, 3);
        put_file(root, "sample/10BT/sub/extra.bin", 700, 4);
        put_file(root, "sample/10BT/z odd name.bin", 10, 5);
        put_file(root, "data/CC-MAIN-2024-10/train.parquet", 100, 6);
    }
    return root;
}

static hub_where where_of(const char *path)
{
    return (hub_where){hub_endpoint, "HuggingFaceFW/fineweb-edu", "main", path, NULL, 0};
}

TEST(list_follows_every_page)
{
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("ALL_PROXY");
    unsetenv("all_proxy");
    if (start_hub(repo_root(), NULL) != 0) SKIPF("tests/peers/hub.py or /usr/bin/python3 not found");
    blalm_err e = {{0}};
    http_client *h = http_client_new(NULL, &e);
    CHECK(h);
    hub_listing l = {0};
    long status;
    hub_where w = where_of("sample/10BT");
    int rc = hub_list(h, &w, NULL, 0, -1, &l, &status, &e);
    http_client_free(h);
    size_t n = l.n;
    int pages = l.pages;
    char first[200] = "", last[200] = "";
    if (n) {
        snprintf(first, sizeof first, "%s", l.v[0].path);
        snprintf(last, sizeof last, "%s", l.v[n - 1].path);
    }
    hub_listing_free(&l);
    CHECK_MSG(rc == 0, "%s", e.msg);
    CHECK_EQ_INT(n, 5);
    /* 5 files and 1 directory entry, 2 per page */
    CHECK_EQ_INT(pages, 3);
    CHECK_EQ_STR(first, "sample/10BT/000_00000.parquet");
    CHECK_EQ_STR(last, "sample/10BT/z odd name.bin");
}

static int list_with_fault(const char *fault, const char *path, long *status, blalm_err *e)
{
    const char *flags[] = {"--fault", fault, NULL};
    if (start_hub(repo_root(), fault ? flags : NULL) != 0) return -2;
    http_client *h = http_client_new(NULL, e);
    if (!h) return -1;
    hub_listing l = {0};
    hub_where w = where_of(path);
    int rc = hub_list(h, &w, NULL, 0, -1, &l, status, e);
    http_client_free(h);
    hub_listing_free(&l);
    return rc;
}

TEST(list_refuses_hostile_entries)
{
    static const struct { const char *fault, *want; } cases[] = {
        {"hostile-dotdot", "refusing entry \"sample/10BT/../../escaped.parquet\": '..' path component"},
        {"hostile-abs", "refusing entry \"/tmp/blalm-hub-escaped.parquet\": absolute path"},
        {"hostile-ctrl", "refusing entry \"sample/10BT/bad?name.parquet\": control character in path"},
        {"redirect-away", "listing page 1: refusing to follow a next-page link to another origin"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        blalm_err e = {{0}};
        long status;
        int rc = list_with_fault(cases[i].fault, "sample/10BT", &status, &e);
        if (rc == -2) SKIPF("tests/peers/hub.py or /usr/bin/python3 not found");
        CHECK_MSG(rc == -1, "%s: listing accepted", cases[i].fault);
        CHECK_MSG(strstr(e.msg, cases[i].want), "%s: \"%s\" lacks \"%s\"", cases[i].fault, e.msg,
                  cases[i].want);
    }
}

TEST(list_http_errors_give_hints)
{
    blalm_err e = {{0}};
    long status;
    int rc = list_with_fault(NULL, "no/such/folder", &status, &e);
    if (rc == -2) SKIPF("tests/peers/hub.py or /usr/bin/python3 not found");
    CHECK(rc == -1);
    CHECK_EQ_INT(status, 404);
    CHECK_CONTAINS(e.msg, "listing failed: ");
    CHECK_CONTAINS(e.msg, "\n  hint: not found: check the spelling of --repo");
}

/* ---- fetch_run: shards ------------------------------------------------------ */

typedef struct seen { int start, end, errors; uint64_t bytes; char files[8][200]; int nfiles; } seen;

static void on_event(void *arg, const fetch_event *ev)
{
    seen *s = arg;
    if (ev->kind == FETCH_EV_START) s->start++;
    if (ev->kind == FETCH_EV_END) s->end++;
    if (ev->kind == FETCH_EV_ERROR) s->errors++;
    if (ev->kind == FETCH_EV_BYTES) s->bytes += ev->n;
    if (ev->kind == FETCH_EV_FILE && s->nfiles < 8) snprintf(s->files[s->nfiles++], 200, "%s", ev->msg);
}

static int same_file(const char *a, const char *b)
{
    char *x, *y;
    size_t nx, ny;
    blalm_err e;
    if (read_file(a, &x, &nx, &e) != 0) return 0;
    if (read_file(b, &y, &ny, &e) != 0) { free(x); return 0; }
    int same = nx == ny && memcmp(x, y, nx) == 0;
    free(x);
    free(y);
    return same;
}

TEST(fetch_run_shards_split_the_sorted_listing)
{
    if (start_hub(repo_root(), NULL) != 0) SKIPF("tests/peers/hub.py or /usr/bin/python3 not found");
    char out[700];
    snprintf(out, sizeof out, "%s/out-shards", test_tmpdir());
    static const char *names[] = {"sample/10BT/000_00000.parquet", "sample/10BT/000_00001.parquet",
                                  "sample/10BT/000_00002.parquet", "sample/10BT/sub/extra.bin",
                                  "sample/10BT/z odd name.bin"};
    /* dry run of shard 1 of 3: indexes 1 and 4 */
    fetch_opts o = {.endpoint = hub_endpoint, .repo = "HuggingFaceFW/fineweb-edu", .revision = "main",
                    .path = "sample/10BT", .out = out, .max_files = -1, .jobs = 2,
                    .shard = {1, 3, "flag"}, .dry_run = 1};
    fetch_counts c;
    blalm_err e = {{0}};
    seen s = {0};
    CHECK_MSG(fetch_run(&o, &c, on_event, &s, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.listed, 5);
    CHECK_EQ_INT(c.files, 2);
    CHECK_EQ_INT(s.nfiles, 2);
    CHECK_EQ_STR(s.files[0], names[1]);
    CHECK_EQ_STR(s.files[1], names[4]);
    CHECK(!file_exists(out));
    /* the three shards, one after another, write every file exactly once */
    o.dry_run = 0;
    int got = 0;
    for (int i = 0; i < 3; i++) {
        o.shard = (shard_spec){i, 3, "flag"};
        memset(&s, 0, sizeof s);
        CHECK_MSG(fetch_run(&o, &c, on_event, &s, &e) == 0, "shard %d: %s", i, e.msg);
        CHECK_EQ_INT(c.failures, 0);
        CHECK_EQ_INT(s.errors, 0);
        CHECK_EQ_INT(s.start, 1);
        CHECK_EQ_INT(s.end, 1);
        CHECK_EQ_INT(c.files, i < 2 ? 2 : 1);
        got += c.downloaded;
    }
    CHECK_EQ_INT(got, 5);
    for (size_t i = 0; i < 5; i++) {
        char a[1200], b[1200];
        snprintf(a, sizeof a, "%s/%s", repo_root(), names[i]);
        snprintf(b, sizeof b, "%s/%s", out, names[i]);
        CHECK_MSG(same_file(a, b), "%s differs or is missing", names[i]);
    }
    /* a rerun of one shard finds its files verified */
    o.shard = (shard_spec){0, 3, "flag"};
    CHECK(fetch_run(&o, &c, NULL, NULL, &e) == 0);
    CHECK_EQ_INT(c.skipped, 2);
    CHECK_EQ_INT(c.downloaded, 0);
}

TEST(fetch_run_refuses_bad_options)
{
    fetch_opts o = {.endpoint = "http://127.0.0.1:1", .repo = "a/b", .revision = "main", .path = "",
                    .out = "x", .max_files = -1, .jobs = 4, .shard = {0, 2, "openmpi"},
                    .max_words = 1000};
    fetch_counts c;
    blalm_err e = {{0}};
    CHECK(fetch_run(&o, &c, NULL, NULL, &e) == -1);
    CHECK_CONTAINS(e.msg, "--max-words takes the listed files in order");
    CHECK_CONTAINS(e.msg, "shard 0/2 from openmpi");
    o.max_words = 0;
    o.shard = SHARD_ONE;
    o.endpoint = "ftp://x";
    CHECK(fetch_run(&o, &c, NULL, NULL, &e) == -1);
    CHECK_CONTAINS(e.msg, "HF_ENDPOINT must start with http:// or https://");
    o.endpoint = "http://127.0.0.1:1";
    o.repo = "a/../b";
    CHECK(fetch_run(&o, &c, NULL, NULL, &e) == -1);
    CHECK_CONTAINS(e.msg, "not OWNER/NAME");
    o.repo = "a/b";
    o.path = "../up";
    CHECK(fetch_run(&o, &c, NULL, NULL, &e) == -1);
    CHECK_CONTAINS(e.msg, "'..' path component");
}

/* ---- hub_listed: a path of the listing? ------------------------------ */

/* the reference: a scan of the listing (what hub_drop_words_output did for
 * each file, quadratic over a listing of thousands of shards) */
static int listed_naive(const fetch_ctx *x, const char *rel)
{
    for (size_t i = 0; i < x->nfiles; i++)
        if (!strcmp(x->files[i].path, rel)) return 1;
    return 0;
}

TEST(listed_matches_scan)
{
    enum { N = 3000 };
    hub_file *files = calloc(N, sizeof *files);
    char (*names)[64] = calloc(N, sizeof *names);
    CHECK(files && names);
    fetch_ctx x = {.files = files, .nfiles = N};
    /* listing order, not sorted: shards and their --max-words outputs,
     * some listed too (a repository holding such names), a prefix of another */
    for (size_t i = 0; i < N; i++) {
        size_t k = (i * 7919) % N;
        if (k % 5 == 0) snprintf(names[i], sizeof names[i], "data/d%zu/train-%05zu-00000.jsonl.zst", k % 3, k);
        else if (k % 7 == 0) snprintf(names[i], sizeof names[i], "data/d%zu/train-%05zu", k % 3, k);
        else snprintf(names[i], sizeof names[i], "data/d%zu/train-%05zu.parquet", k % 3, k);
        files[i].path = names[i];
    }
    char q[80];
    size_t hits = 0;
    for (size_t k = 0; k < N + 10; k++) {
        static const char *const form[] = {"data/d%zu/train-%05zu-00000.jsonl.zst", "data/d%zu/train-%05zu",
                                           "data/d%zu/train-%05zu.parquet", "data/d%zu/train-%05zu.parquet0"};
        for (size_t f = 0; f < 4; f++) {
            snprintf(q, sizeof q, form[f], k % 3, k);
            int want = listed_naive(&x, q);
            hits += want;
            if (hub_listed(&x, q) != want) FAILF("'%s': %d, the scan says %d", q, !want, want);
        }
    }
    CHECK_EQ_INT(hits, N);
    CHECK(!hub_listed(&x, "") && !hub_listed(&x, "data"));
    hub_listed_free(&x);
    fetch_ctx none = {0};
    CHECK(!hub_listed(&none, "a"));
    hub_listed_free(&none);
    free(files);
    free(names);
}

int main(void)
{
    atexit(stop_hub);
    RUN(listed_matches_scan);
    RUN(path_checks_refuse_traversal);
    RUN(path_checks_refuse_absolute_and_odd_bytes);
    RUN(path_checks_keep_to_the_folder);
    RUN(path_checks_accept_odd_but_harmless_names);
    RUN(repo_names);
    RUN(include_globs);
    RUN(listing_page_keeps_files_only);
    RUN(listing_malformed_pages);
    RUN(listing_sizes_are_whole_numbers);
    RUN(listing_finish_sorts_dedups_and_cuts);
    RUN(next_page_links);
    RUN(next_page_refuses_other_origins);
    RUN(list_follows_every_page);
    RUN(list_refuses_hostile_entries);
    RUN(list_http_errors_give_hints);
    RUN(fetch_run_shards_split_the_sorted_listing);
    RUN(fetch_run_refuses_bad_options);
    stop_hub();
    return test_summary();
}
