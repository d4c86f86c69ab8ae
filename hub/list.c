/* list.c - Hub names, path checks and the paginated tree listing (hub.h). */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "hub/hub.h"
#include "hub/internal.h"
#include "lib/sbuf.h"

void hub_url_encode(sbuf *b, const char *s, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/'))
            sb_addc(b, (char)c);
        else {
            sb_addc(b, '%');
            sb_addc(b, hex[c >> 4]);
            sb_addc(b, hex[c & 15]);
        }
    }
}

int hub_repo_valid(const char *r)
{
    int slashes = 0;
    if (!*r || *r == '/' || r[strlen(r) - 1] == '/') return 0;
    for (const char *p = r; *p; p++) {
        if (*p == '/') { if (++slashes > 1) return 0; continue; }
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return 0;
    }
    return !strstr(r, "..");
}

const char *hub_path_problem(const char *p, const char *prefix)
{
    if (!*p) return "empty path";
    if (p[0] == '/') return "absolute path";
    if (strlen(p) > 1024) return "path longer than 1024 bytes";
    for (const unsigned char *c = (const unsigned char *)p; *c; c++) {
        if (*c < 0x20 || *c == 0x7f) return "control character in path";
        if (*c == '\\') return "backslash in path";
    }
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0) return "empty path component";
        if (n == 1 && s[0] == '.') return "'.' path component";
        if (n == 2 && s[0] == '.' && s[1] == '.') return "'..' path component";
        s += n;
        if (*s == '/' && !*++s) return "empty path component";   /* trailing '/' */
    }
    size_t pl = strlen(prefix);
    if (pl && !(strncmp(p, prefix, pl) == 0 && (p[pl] == 0 || p[pl] == '/')))
        return "path outside the folder asked for";
    return NULL;
}

void hub_printable(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s && o + 1 < cap; s++) out[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    out[o] = 0;
}

const char *hub_hint(long status, int have_token)
{
    switch (status) {
    case 401:
        return have_token ? "the Hub refused the token (HF_TOKEN, or the one `hf auth login` saved): check that "
                            "it is valid and has read access"
                          : "the Hub wants a token: set HF_TOKEN to a read token "
                            "(https://huggingface.co/settings/tokens), or log in with `hf auth login`";
    case 403:
        return have_token ? "access denied to the token's account (HF_TOKEN, or the one `hf auth login` saved): for a "
                            "gated repo that account must accept its terms on the Hub page, or be granted access"
                          : "access denied: for a gated repo accept its terms on the Hub page, and use a token "
                            "(HF_TOKEN, or `hf auth login`)";
    case 404:
        return "not found: check the spelling of --repo (OWNER/NAME), --path and --revision";
    default:
        return NULL;
    }
}

/* The first bytes of a body for a message: printable ASCII only (a
 * compressed or binary body must not reach the terminal raw), "..." when
 * cut, "nothing" when empty. */
static void body_head(const char *body, size_t len, char *out, size_t cap)
{
    if (!body || !len) { snprintf(out, cap, "nothing"); return; }
    size_t o = 0, i = 0;
    for (; i < len && o + 4 < cap; i++) {
        unsigned char c = (unsigned char)body[i];
        out[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    if (i < len) { memcpy(out + o, "...", 3); o += 3; }
    out[o] = 0;
}

/* The head of s (up to 399 bytes of it) for a message: without the token
 * or a signed query (a server may echo either), cut to cap by body_head;
 * 0 when nothing is left of s. */
static int redacted_head(const char *s, const char *const *headers, char *out, size_t cap)
{
    char red[400];
    http_redact(s, headers, red, sizeof red);
    body_head(red, strlen(red), out, cap);
    return red[0] != 0;
}

void hub_add_error_message(const http_response *r, const char *const *headers, blalm_err *e)
{
    const char *m = r ? http_header_get(r, "x-error-message") : NULL;
    if (!m || !*m) return;
    char shown[240];
    if (!redacted_head(m, headers, shown, sizeof shown)) return;
    if (strstr(e->msg, shown)) return;             /* the body said the same */
    char msg[BLALM_ERR_MAX];
    snprintf(msg, sizeof msg, "%s (the Hub says: %s)", e->msg, shown);
    memcpy(e->msg, msg, sizeof msg);
}

int hub_include_match(const char *path, const char *prefix, const char *const *inc, int ninc)
{
    if (!ninc) return 1;
    size_t pl = strlen(prefix);
    const char *rel = path;
    if (pl && !strncmp(path, prefix, pl) && path[pl] == '/') rel = path + pl + 1;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (int i = 0; i < ninc; i++) {
        const char *subject = strchr(inc[i], '/') ? rel : base;
        if (fnmatch(inc[i], subject, 0) == 0) return 1;
    }
    return 0;
}

/* n lowercase hex digits, nothing else? */
static int is_hex(const char *s, size_t n)
{
    if (strlen(s) != n) return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* "sha256:<64 hex>" or "<64 hex>" into out; -1 when not a sha256. */
static int parse_oid(const char *o, char out[65])
{
    if (!strncmp(o, "sha256:", 7)) o += 7;
    if (!is_hex(o, 64)) return -1;
    memcpy(out, o, 65);
    return 0;
}

int hub_listing_add_page(hub_listing *l, const char *body, size_t len, int page_no,
                         const char *prefix, const char *const *inc, int ninc,
                         const char *const *headers, blalm_err *e)
{
    cJSON *arr = cJSON_ParseWithLength(body ? body : "", len);
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(arr);
        /* the body's first bytes, NUL-free, without the token (a server
         * may echo the Authorization it got) before they are cut */
        char head[400], shown[88];
        size_t hl = 0;
        for (; body && hl < len && hl + 1 < sizeof head; hl++) head[hl] = body[hl] ? body[hl] : '?';
        head[hl] = 0;
        redacted_head(head, headers, shown, 84);
        size_t sl = strlen(shown);
        if (hl < len && (sl < 3 || strcmp(shown + sl - 3, "..."))) strcat(shown, "...");
        return err_set(e, "listing page %d: expected a JSON array of entries, got %s", page_no, shown);
    }
    size_t keep = l->n;                   /* on error, the page is dropped whole */
    int rc = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(it, "type");
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(it, "path");
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(it, "size");
        if (!cJSON_IsString(type) || !cJSON_IsString(path)) {
            rc = err_set(e, "listing page %d: entry without type/path", page_no);
            break;
        }
        if (strcmp(type->valuestring, "file")) continue;
        const char *why = hub_path_problem(path->valuestring, prefix);
        if (why) {
            char shown[300];
            hub_printable(path->valuestring, shown, sizeof shown);
            rc = err_set(e, "listing page %d: refusing entry \"%s\": %s; nothing was downloaded",
                         page_no, shown, why);
            break;
        }
        /* a whole number of bytes that a double holds exactly (a JSON
         * number is a double here): 1e20 or 2.5 is no size */
        if (!cJSON_IsNumber(size) || !(size->valuedouble >= 0 && size->valuedouble <= 9007199254740992.0) ||
            size->valuedouble != (double)(uint64_t)size->valuedouble) {
            rc = err_set(e, "listing page %d: %s: missing or negative size, or not a whole number of "
                            "bytes up to 2^53",
                         page_no, path->valuestring);
            break;
        }
        const cJSON *lfs = cJSON_GetObjectItemCaseSensitive(it, "lfs");
        const cJSON *oid = lfs ? cJSON_GetObjectItemCaseSensitive(lfs, "oid") : NULL;
        char sha[65] = "";
        if (lfs && !cJSON_IsNull(lfs) && !cJSON_IsString(oid)) {
            /* the entry's own "oid" is then the LFS pointer's blob id, which
             * the content never hashes to: no check to download it by */
            rc = err_set(e, "listing page %d: %s: lfs without an oid (the file's sha256)", page_no,
                         path->valuestring);
            break;
        }
        if (cJSON_IsString(oid) && parse_oid(oid->valuestring, sha) != 0) {
            rc = err_set(e, "listing page %d: %s: lfs.oid is not a sha256", page_no,
                         path->valuestring);
            break;
        }
        /* a file kept in git (no LFS): its "oid" is the git blob id,
         * sha1("blob <size>\0" + bytes), the only check of its content */
        char git_oid[41] = "";
        const cJSON *goid = cJSON_GetObjectItemCaseSensitive(it, "oid");
        if (!sha[0] && goid) {
            if (!cJSON_IsString(goid) || !is_hex(goid->valuestring, 40)) {
                rc = err_set(e, "listing page %d: %s: oid is not a git sha1 (40 hex digits)", page_no,
                             path->valuestring);
                break;
            }
            memcpy(git_oid, goid->valuestring, sizeof git_oid);
        }
        if (!hub_include_match(path->valuestring, prefix, inc, ninc)) continue;
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 64;
            hub_entry *nv = realloc(l->v, cap * sizeof *nv);
            if (!nv) { rc = err_set(e, "listing page %d: out of memory", page_no); break; }
            l->v = nv;
            l->cap = cap;
        }
        hub_entry *f = &l->v[l->n];
        f->path = strdup(path->valuestring);
        if (!f->path) { rc = err_set(e, "listing page %d: out of memory", page_no); break; }
        f->size = (uint64_t)size->valuedouble;
        memcpy(f->sha256, sha, sizeof sha);
        memcpy(f->git_oid, git_oid, sizeof git_oid);
        l->n++;
    }
    cJSON_Delete(arr);
    if (rc) {
        for (size_t i = keep; i < l->n; i++) free(l->v[i].path);
        l->n = keep;
        return -1;
    }
    l->pages = page_no;
    return 0;
}

int hub_next_page(const char *link, const char *base, const char *endpoint, int page_no, char **next,
                  blalm_err *e)
{
    *next = NULL;
    char *ref = http_link_next(link);
    if (!ref) return 0;
    /* RFC 3986 section 5: "?cursor=1" is this page's path with another
     * query, "/p" this page's origin, "p" this page's folder */
    *next = http_url_resolve(base, ref);
    if (!*next) {
        char shown[200];
        http_redact(ref, NULL, shown, sizeof shown);
        free(ref);
        return err_set(e, "listing page %d: the next-page link (%s) is not a URL, nor a reference "
                          "relative to the page's own URL", page_no, shown);
    }
    free(ref);
    /* the link's scheme, host and port must be the endpoint's (as libcurl
     * parses both: "https://h:443" is "https://h", userinfo aside; compared
     * as text, an explicit default port or a user:pw@ in HF_ENDPOINT refused
     * every next-page link) */
    if (!http_same_origin(*next, endpoint)) {
        char shown[200], ep_shown[1100];
        http_redact(*next, NULL, shown, sizeof shown);
        http_redact(endpoint, NULL, ep_shown, sizeof ep_shown);
        free(*next);
        *next = NULL;
        return err_set(e, "listing page %d: refusing to follow a next-page link to another origin "
                          "(%s); HF_ENDPOINT is %s", page_no, shown, ep_shown);
    }
    return 0;
}

static int cmp_entries(const void *a, const void *b)
{
    return strcmp(((const hub_entry *)a)->path, ((const hub_entry *)b)->path);
}

void hub_listing_finish(hub_listing *l, long max_files)
{
    if (l->n) qsort(l->v, l->n, sizeof *l->v, cmp_entries);
    size_t w = 0;                               /* drop duplicates across pages */
    for (size_t i = 0; i < l->n; i++) {
        if (w && !strcmp(l->v[w - 1].path, l->v[i].path)) { free(l->v[i].path); continue; }
        l->v[w++] = l->v[i];
    }
    l->n = w;
    if (max_files >= 0 && (size_t)max_files < l->n) {
        for (size_t i = (size_t)max_files; i < l->n; i++) free(l->v[i].path);
        l->n = (size_t)max_files;
    }
}

void hub_listing_free(hub_listing *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->v[i].path);
    free(l->v);
    memset(l, 0, sizeof *l);
}

int hub_list(http_client *http, const hub_where *w, const char *const *inc, int ninc,
             long max_files, hub_listing *out, long *status, blalm_err *e)
{
    *status = 0;
    sbuf url;
    sb_init(&url);
    sb_adds(&url, w->endpoint);
    sb_adds(&url, "/api/datasets/");
    sb_adds(&url, w->repo);
    sb_adds(&url, "/tree/");
    hub_url_encode(&url, w->revision, 0);
    if (*w->path) { sb_addc(&url, '/'); hub_url_encode(&url, w->path, 1); }
    sb_adds(&url, "?recursive=true");
    char *next = (char *)sb_cstr(&url);       /* owns url's buffer now */
    char **seen = NULL;                       /* the pages fetched, as libcurl writes their URLs */
    int page = 0, rc = 0;
    while (next && !rc) {
        char *norm = http_url_resolve(next, next);
        if (!norm) norm = strdup(next);
        for (int i = 0; norm && i < page; i++) {
            if (strcmp(seen[i], norm)) continue;
            char shown[200];
            http_redact(norm, NULL, shown, sizeof shown);
            rc = err_set(e, "listing page %d: the next-page link (%s) is page %d again: the server's "
                            "pagination loops, so the listing would never end; nothing was downloaded",
                         page, shown, i + 1);
            break;
        }
        char **ns = norm && !rc ? realloc(seen, (size_t)(page + 1) * sizeof *seen) : NULL;
        if (!ns) {
            free(norm);
            if (!rc) rc = err_set(e, "listing page %d: out of memory", page + 1);
            break;
        }
        seen = ns;
        seen[page] = norm;
        http_request rq = {.url = next, .headers = w->headers, .follow_redirects = 1,
                           .max_body = 64u << 20};
        http_response r;
        if (http_fetch(http, &rq, &r, e) != 0) {
            *status = r.status;
            const char *h = hub_hint(r.status, w->have_token);
            err_prefix(e, "listing failed");
            hub_add_error_message(&r, w->headers, e);
            if (h) {
                char m[BLALM_ERR_MAX];
                snprintf(m, sizeof m, "%s\n  hint: %s", e->msg, h);
                memcpy(e->msg, m, sizeof m);
            }
            http_response_free(&r);
            free(seen[page]);
            rc = -1;
            break;
        }
        page++;
        rc = hub_listing_add_page(out, r.body, r.body_len, page, w->path, inc, ninc, w->headers, e);
        if (rc) {
            const char *ce = http_header_get(&r, "content-encoding");
            if (ce && r.body && (r.body_len == 0 || r.body[0] != '[')) {
                char shown[80];
                hub_printable(ce, shown, sizeof shown);
                char m[BLALM_ERR_MAX];
                snprintf(m, sizeof m, "%s (the server sent it with Content-Encoding: %s, which was "
                         "not asked for and is not decoded)", e->msg, shown);
                memcpy(e->msg, m, sizeof m);
            }
        }
        /* the Link field may come as several lines: each may hold rel="next" */
        char *link = rc ? NULL : http_header_join(&r, "link");
        char *cur = next;
        next = NULL;
        if (!rc) rc = hub_next_page(link, cur, w->endpoint, page, &next, e);
        free(link);
        free(cur);
        http_response_free(&r);
    }
    for (int i = 0; i < page; i++) free(seen[i]);
    free(seen);
    free(next);
    if (rc) return -1;
    hub_listing_finish(out, max_files);
    return 0;
}
