/* libFuzzer harness: what hub/list.c reads from the Hub's tree API - a
 * listing page's JSON body (hub_listing_add_page) and the next-page Link
 * header (hub_next_page) - and hub_listing_finish over the pages.
 *
 * The input: byte 0 picks the folder asked for (none, "data", "data/en"),
 * byte 1 the include globs (none, "*.parquet", or the one of "data/" and a star); then the page
 * body, up to a line "\n--link--\n" after which comes the Link header value.
 * Invariants: a page that fails keeps nothing of itself (the count is back to
 * the one before); every kept entry passes hub_path_problem under the folder
 * and the include globs, its sha256 is "" or 64 lowercase hex digits, its
 * git oid "" or 40, and not both; after finish the paths are sorted, unique
 * and at most max_files; an error message is NUL-terminated and, quoting a
 * body that is not an array, never holds the bearer key; a next-page URL is NULL on error or has the endpoint's
 * origin. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/hub.h"
#include "lib/http.h"

static int hex_n(const char *s, size_t n)
{
    if (strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* NUL-terminated; page > 0: a body quoted (not an array) never shows the key */
static void check_err(const blalm_err *e, int page)
{
    if (!memchr(e->msg, 0, sizeof e->msg)) abort();
    char quoted[64];
    snprintf(quoted, sizeof quoted, "listing page %d: expected a JSON array", page);
    if (page && !strncmp(e->msg, quoted, strlen(quoted)) && strstr(e->msg, "sk-K3yZ7q")) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    static const char *const prefixes[] = {"", "data", "data/en"};
    static const char *const globs[] = {"*.parquet", "data/*"};
    const char *prefix = prefixes[data[0] % 3];
    int ninc = data[1] % 3;
    const char *const *inc = ninc == 2 ? globs + 1 : globs;
    if (ninc == 2) ninc = 1;
    const uint8_t *body = data + 2;
    size_t n = size - 2, blen = n;
    const char *sep = "\n--link--\n";
    const uint8_t *link_at = memmem(body, n, sep, strlen(sep));
    char *link = NULL;
    if (link_at) {
        blen = (size_t)(link_at - body);
        size_t ll = n - blen - strlen(sep);
        link = malloc(ll + 1);
        memcpy(link, link_at + strlen(sep), ll);
        link[ll] = 0;
    }
    const char *headers[] = {"Authorization: Bearer sk-K3yZ7q", NULL};
    hub_listing l = {0};
    for (int page = 1; page <= 2; page++) {   /* the same page twice: finish drops the repeats */
        size_t before = l.n;
        blalm_err e = {{0}};
        int rc = hub_listing_add_page(&l, (const char *)body, blen, page, prefix, inc, ninc, headers, &e);
        if (rc != 0 && rc != -1) abort();
        if (rc) {
            if (l.n != before || !e.msg[0]) abort();
            check_err(&e, page);
        }
    }
    for (size_t i = 0; i < l.n; i++) {
        const hub_entry *f = &l.v[i];
        if (hub_path_problem(f->path, prefix)) abort();
        if (!hub_include_match(f->path, prefix, inc, ninc)) abort();
        if (f->sha256[0] && !hex_n(f->sha256, 64)) abort();
        if (f->git_oid[0] && !hex_n(f->git_oid, 40)) abort();
        if (f->sha256[0] && f->git_oid[0]) abort();
        if (f->size > 9007199254740992ull) abort();
    }
    long max_files = (long)(size % 5) - 1;
    hub_listing_finish(&l, max_files);
    if (max_files >= 0 && l.n > (size_t)max_files) abort();
    for (size_t i = 1; i < l.n; i++)
        if (strcmp(l.v[i - 1].path, l.v[i].path) >= 0) abort();
    hub_listing_free(&l);

    if (link) {
        static const char *const endpoints[] = {"https://huggingface.co", "http://127.0.0.1:8080"};
        const char *ep = endpoints[size & 1];
        char base[200];
        snprintf(base, sizeof base, "%s/api/datasets/o/r/tree/main/data?recursive=true", ep);
        char *next = (char *)1;
        blalm_err e = {{0}};
        int rc = hub_next_page(link, base, ep, 3, &next, &e);
        if (rc != 0 && rc != -1) abort();
        if (rc) {
            if (next || !e.msg[0]) abort();
            check_err(&e, 0);
        } else if (next) {
            if (!http_same_origin(next, ep)) abort();
            free(next);
        }
        free(link);
    }
    return 0;
}
