/* cmd_fetch.c - `blalm fetch`: download a dataset folder from the Hugging
 * Face Hub (REFERENCE.md §3) with verification and resume.
 *
 *   list   GET {ep}/api/datasets/{repo}/tree/{rev}/{path}?recursive=true,
 *          following Link rel="next" (same origin only: the token goes along)
 *   head   HEAD {ep}/datasets/{repo}/resolve/{rev}/{file} (no redirect):
 *          X-Repo-Commit, X-Linked-Etag, X-Linked-Size for the sidecar
 *   get    GET .../resolve/... following the 302, Range from the bytes
 *          already in the part file; every retry goes through /resolve/
 *          again because the signed CDN URL covers one range only
 *   verify size and LFS sha256, then rename into place and write the
 *          sidecar FILE.meta; a rerun trusts a matching sidecar.
 * --max-words takes the footer and the first row groups only (see
 * fetch_words below). */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/cli.h"
#include "lib/docs.h"
#include "lib/err.h"
#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/http.h"
#include "lib/parquet.h"
#include "lib/progress.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"
#include "pipeline/env.h"

BLALM_COMMAND(fetch, "download a dataset folder from the Hugging Face Hub (verified, resumable)")

static const char usage[] =
    "usage: blalm fetch --repo OWNER/NAME --path PATH --out DIR [options]\n"
    "\n"
    "Lists PATH in a Hugging Face dataset repo (tree API, all pages) and downloads\n"
    "every file under it to DIR, keeping the Hub's path (DIR/PATH/FILE). Downloads\n"
    "run several at once, resume a partial file with Range requests, and are\n"
    "verified (size and LFS sha256 from the listing) before they are renamed into\n"
    "place; a sidecar FILE.meta records revision commit, ETag, size and sha256, so\n"
    "a rerun skips verified files without downloading them.\n"
    "\n"
    "options:\n"
    "  --repo OWNER/NAME   dataset repo, e.g. HuggingFaceFW/fineweb-edu\n"
    "  --path PATH         folder (or file) in the repo, e.g. sample/10BT\n"
    "  --out DIR           where files go, e.g. WORK/docs/fineweb-edu\n"
    "  --revision REV      branch, tag or commit (default: main)\n"
    "  --include GLOB      only files whose path under PATH (or whose name, for a\n"
    "                      GLOB without '/') matches; repeatable\n"
    "  --max-files N       only the first N files (sorted by path)\n"
    "  --max-words N       fetch only enough of the parquet files for N words of\n"
    "                      text (Python str.split), in listing order: read each\n"
    "                      remote footer, then only the row groups needed, and\n"
    "                      write the documents (first rows, whole documents, just\n"
    "                      past N words) as JSON lines compressed with zstd:\n"
    "                      DIR/PATH/<name>-00000.jsonl.zst, not parquet; source =\n"
    "                      the last folder of DIR. FILE.meta records the word count\n"
    "                      so a rerun with the same N reuses it\n"
    "  --jobs N            files downloaded at once (default 4)\n"
    "  --dry-run           list the files and the total size; download nothing\n"
    "  -q, --quiet         no progress, no summary\n"
    "  -h, --help          this help\n"
    "\n"
    "environment:\n"
    "  HF_ENDPOINT   Hub address (default https://huggingface.co)\n"
    "  HF_TOKEN      access token, sent as 'Authorization: Bearer'; needed for\n"
    "                gated or private repos; never printed\n";

/* ---- files and state --------------------------------------------------- */

typedef struct hub_file {
    char *path;                /* path in the repo, validated */
    uint64_t size;
    char sha256[65];           /* LFS oid; "" for plain git files */
    char *dest, *part, *meta;
    /* download state */
    int fd;
    uint64_t have;             /* bytes in the part file when the GET started */
    sha256_ctx *hash;
    uint64_t hashed;           /* bytes fed to hash, in order */
    int hash_broken;           /* bytes arrived out of order: rehash the file */
    char commit[80], etag[160];
    int failed;
} hub_file;

typedef struct fetch_ctx {
    const char *endpoint, *repo, *revision, *path, *out;
    const char *token;
    const char *source;        /* --max-words: documents' default source */
    char *auth;                /* "Authorization: Bearer ..." or NULL */
    const char *headers[3];
    int jobs, quiet;
    http_client *http;
    hub_file *files;
    size_t nfiles;
    size_t next;               /* next file to start */
    int active;
    progress *pg;
    int failures, downloaded, skipped;
    int stop;                  /* 401/403: start no more files */
    uint64_t bytes_got;
} fetch_ctx;

/* ---- URL and path helpers ---------------------------------------------- */

/* Percent-encodes s; keeps '/' when keep_slash. */
static void url_encode(sbuf *b, const char *s, int keep_slash)
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

static int valid_repo(const char *r)
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

/* A listing path is data from the network: it must be relative, without
 * '.', '..' or empty components, without control characters or '\\', and
 * under the folder asked for. Returns NULL if fine, else why not. */
static const char *hostile_path(const char *p, const char *prefix)
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
        if (*s == '/') s++;
    }
    size_t pl = strlen(prefix);
    if (pl && !(strncmp(p, prefix, pl) == 0 && (p[pl] == 0 || p[pl] == '/')))
        return "path outside the folder asked for";
    return NULL;
}

/* Writes a path for messages: control characters become '?'. */
static void printable(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    for (; *s && o + 1 < cap; s++) out[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    out[o] = 0;
}

static char *xstrdup_or_die(const char *s)
{
    char *d = strdup(s);
    if (!d) { fputs("blalm fetch: out of memory\n", stderr); exit(1); }
    return d;
}

static char *path_join(const char *a, const char *b, const char *pre, const char *suf)
{
    /* a/b, or a/dir(b)/<pre>base(b)<suf> */
    sbuf s;
    sb_init(&s);
    sb_adds(&s, a);
    if (s.len && s.data[s.len - 1] != '/') sb_addc(&s, '/');
    const char *slash = strrchr(b, '/');
    if (slash) sb_add(&s, b, (size_t)(slash - b + 1));
    sb_adds(&s, pre);
    sb_adds(&s, slash ? slash + 1 : b);
    sb_adds(&s, suf);
    return (char *)sb_cstr(&s);
}

/* Tells the user what to do about an HTTP failure. */
static const char *hint_for(long status, int have_token)
{
    switch (status) {
    case 401:
        return have_token ? "the Hub refused HF_TOKEN: check that the token is valid and has read access"
                          : "the Hub wants a token: set HF_TOKEN to a read token "
                            "(https://huggingface.co/settings/tokens)";
    case 403:
        return "access denied: for a gated repo accept its terms on the Hub page, and set HF_TOKEN";
    case 404:
        return "not found: check the spelling of --repo (OWNER/NAME), --path and --revision";
    default:
        return NULL;
    }
}

static void report_http(fetch_ctx *x, const char *what, long status, const blalm_err *e)
{
    if (status == 401 || status == 403) x->stop = 1;   /* every other file would fail alike */
    const char *h = hint_for(status, x->token != NULL);
    fprintf(stderr, "blalm fetch: %s: %s%s%s\n", what, e->msg, h ? "\n  hint: " : "", h ? h : "");
}

/* ---- listing ----------------------------------------------------------- */

static int same_origin(const char *url, const char *endpoint)
{
    /* scheme://host[:port] of the endpoint must prefix the URL */
    const char *s = strstr(endpoint, "://");
    if (!s) return 0;
    const char *h = strchr(s + 3, '/');
    size_t n = h ? (size_t)(h - endpoint) : strlen(endpoint);
    return strncmp(url, endpoint, n) == 0 && (url[n] == '/' || url[n] == 0);
}

static int include_match(const char *path, const char *prefix, char **inc, int ninc)
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

static int cmp_files(const void *a, const void *b)
{
    return strcmp(((const hub_file *)a)->path, ((const hub_file *)b)->path);
}

static int list_files(fetch_ctx *x, char **inc, int ninc, long max_files)
{
    sbuf url;
    sb_init(&url);
    sb_adds(&url, x->endpoint);
    sb_adds(&url, "/api/datasets/");
    sb_adds(&url, x->repo);
    sb_adds(&url, "/tree/");
    url_encode(&url, x->revision, 0);
    if (*x->path) { sb_addc(&url, '/'); url_encode(&url, x->path, 1); }
    sb_adds(&url, "?recursive=true");
    char *next = xstrdup_or_die(sb_cstr(&url));
    sb_free(&url);
    size_t cap = 0;
    int pages = 0, rc = 0;
    while (next) {
        http_request rq = {.url = next, .headers = x->headers, .follow_redirects = 1,
                           .max_body = 64u << 20};
        http_response r;
        blalm_err e = {{0}};
        if (http_fetch(x->http, &rq, &r, &e) != 0) {
            report_http(x, "listing failed", r.status, &e);
            http_response_free(&r);
            rc = -1;
            break;
        }
        pages++;
        cJSON *arr = cJSON_ParseWithLength(r.body ? r.body : "", r.body_len);
        if (!cJSON_IsArray(arr)) {
            fprintf(stderr, "blalm fetch: listing page %d: expected a JSON array of entries, got %.80s\n",
                    pages, r.body ? r.body : "nothing");
            cJSON_Delete(arr);
            http_response_free(&r);
            rc = -1;
            break;
        }
        cJSON *it;
        cJSON_ArrayForEach(it, arr) {
            const cJSON *type = cJSON_GetObjectItemCaseSensitive(it, "type");
            const cJSON *path = cJSON_GetObjectItemCaseSensitive(it, "path");
            const cJSON *size = cJSON_GetObjectItemCaseSensitive(it, "size");
            if (!cJSON_IsString(type) || !cJSON_IsString(path)) {
                fprintf(stderr, "blalm fetch: listing page %d: entry without type/path\n", pages);
                rc = -1;
                break;
            }
            if (strcmp(type->valuestring, "file")) continue;
            const char *why = hostile_path(path->valuestring, x->path);
            if (why) {
                char shown[300];
                printable(path->valuestring, shown, sizeof shown);
                fprintf(stderr, "blalm fetch: listing page %d: refusing entry \"%s\": %s; nothing "
                        "was downloaded\n", pages, shown, why);
                rc = -1;
                break;
            }
            if (!cJSON_IsNumber(size) || size->valuedouble < 0) {
                fprintf(stderr, "blalm fetch: listing page %d: %s: missing or negative size\n",
                        pages, path->valuestring);
                rc = -1;
                break;
            }
            const cJSON *lfs = cJSON_GetObjectItemCaseSensitive(it, "lfs");
            const cJSON *oid = lfs ? cJSON_GetObjectItemCaseSensitive(lfs, "oid") : NULL;
            char sha[65] = "";
            if (cJSON_IsString(oid)) {
                const char *o = oid->valuestring;
                if (!strncmp(o, "sha256:", 7)) o += 7;
                size_t ol = strlen(o);
                int hex = ol == 64;
                for (size_t i = 0; hex && i < ol; i++)
                    hex = (o[i] >= '0' && o[i] <= '9') || (o[i] >= 'a' && o[i] <= 'f');
                if (!hex) {
                    fprintf(stderr, "blalm fetch: listing page %d: %s: lfs.oid is not a sha256\n",
                            pages, path->valuestring);
                    rc = -1;
                    break;
                }
                memcpy(sha, o, 65);
            }
            if (!include_match(path->valuestring, x->path, inc, ninc)) continue;
            if (x->nfiles == cap) {
                cap = cap ? cap * 2 : 64;
                hub_file *nf = realloc(x->files, cap * sizeof *nf);
                if (!nf) { fputs("blalm fetch: out of memory\n", stderr); exit(1); }
                x->files = nf;
            }
            hub_file *f = &x->files[x->nfiles++];
            memset(f, 0, sizeof *f);
            f->path = xstrdup_or_die(path->valuestring);
            f->size = (uint64_t)size->valuedouble;
            memcpy(f->sha256, sha, sizeof sha);
            f->fd = -1;
        }
        cJSON_Delete(arr);
        free(next);
        next = rc ? NULL : http_link_next(http_header_get(&r, "link"));
        if (next && next[0] == '/') {          /* relative link */
            sbuf b;
            sb_init(&b);
            const char *s = strstr(x->endpoint, "://");
            const char *h = s ? strchr(s + 3, '/') : NULL;
            sb_add(&b, x->endpoint, h ? (size_t)(h - x->endpoint) : strlen(x->endpoint));
            sb_adds(&b, next);
            free(next);
            next = (char *)sb_cstr(&b);
        }
        if (next && !same_origin(next, x->endpoint)) {
            char shown[200], ep_shown[1100];
            http_redact(next, NULL, shown, sizeof shown);
            http_redact(x->endpoint, NULL, ep_shown, sizeof ep_shown);
            fprintf(stderr, "blalm fetch: listing page %d: refusing to follow a next-page link to "
                    "another origin (%s); HF_ENDPOINT is %s\n", pages, shown, ep_shown);
            free(next);
            next = NULL;
            rc = -1;
        }
        http_response_free(&r);
    }
    if (rc) return -1;
    qsort(x->files, x->nfiles, sizeof *x->files, cmp_files);
    size_t w = 0;                                  /* drop duplicates across pages */
    for (size_t i = 0; i < x->nfiles; i++) {
        if (w && !strcmp(x->files[w - 1].path, x->files[i].path)) { free(x->files[i].path); continue; }
        x->files[w++] = x->files[i];
    }
    x->nfiles = w;
    if (max_files >= 0 && (size_t)max_files < x->nfiles) {
        for (size_t i = (size_t)max_files; i < x->nfiles; i++) free(x->files[i].path);
        x->nfiles = (size_t)max_files;
    }
    return 0;
}

/* ---- sidecars ---------------------------------------------------------- */

static int sidecar_matches(const hub_file *f, const char *want_kind)
{
    char *data;
    size_t len;
    blalm_err e;
    if (read_file(f->meta, &data, &len, &e) != 0) return 0;
    cJSON *j = cJSON_ParseWithLength(data, len);
    free(data);
    int ok = 0;
    if (cJSON_IsObject(j)) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "path");
        const cJSON *sz = cJSON_GetObjectItemCaseSensitive(j, "size");
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(j, "sha256");
        const cJSON *kd = cJSON_GetObjectItemCaseSensitive(j, "kind");
        ok = cJSON_IsString(p) && !strcmp(p->valuestring, f->path) && cJSON_IsNumber(sz) &&
             (uint64_t)sz->valuedouble == f->size && cJSON_IsString(sh) &&
             (!f->sha256[0] || !strcmp(sh->valuestring, f->sha256)) && cJSON_IsString(kd) &&
             !strcmp(kd->valuestring, want_kind);
    }
    cJSON_Delete(j);
    return ok;
}

static int write_sidecar(const fetch_ctx *x, const hub_file *f, const char *sha, const char *kind,
                         const char *extra_json, blalm_err *e)
{
    sbuf b;
    sb_init(&b);
    int first = 1;
    sb_addc(&b, '{');
    sb_json_key(&b, "repo", &first); sb_json_str(&b, x->repo, strlen(x->repo));
    sb_json_key(&b, "revision", &first); sb_json_str(&b, x->revision, strlen(x->revision));
    sb_json_key(&b, "commit", &first); sb_json_str(&b, f->commit, strlen(f->commit));
    sb_json_key(&b, "path", &first); sb_json_str(&b, f->path, strlen(f->path));
    sb_json_key(&b, "size", &first); sb_json_uint(&b, f->size);
    sb_json_key(&b, "sha256", &first); sb_json_str(&b, sha, strlen(sha));
    sb_json_key(&b, "lfs", &first); sb_json_bool(&b, f->sha256[0] != 0);
    sb_json_key(&b, "etag", &first); sb_json_str(&b, f->etag, strlen(f->etag));
    sb_json_key(&b, "kind", &first); sb_json_str(&b, kind, strlen(kind));
    if (extra_json) sb_adds(&b, extra_json);
    sb_adds(&b, "}\n");
    int rc = write_file_atomic(f->meta, b.data, b.len, e);
    sb_free(&b);
    return rc;
}

/* ---- downloads --------------------------------------------------------- */

static void start_more(fetch_ctx *x);

static void file_failed(fetch_ctx *x, hub_file *f)
{
    f->failed = 1;
    x->failures++;
    if (f->fd >= 0) { close(f->fd); f->fd = -1; }
    if (f->hash) { char junk[65]; sha256_end_hex(f->hash, junk); f->hash = NULL; }
}

static void file_finished(fetch_ctx *x)
{
    x->active--;
    start_more(x);
}

static int on_file_data(void *user, uint64_t off, const void *p, size_t n, blalm_err *e)
{
    hub_file *f = user;
    const char *c = p;
    size_t left = n;
    uint64_t at = off;
    if (off + n > f->size)
        return err_set(e, "%s: the server sent bytes past the listed size %" PRIu64, f->path, f->size);
    while (left) {
        ssize_t k = pwrite(f->fd, c, left, (off_t)at);
        if (k < 0) return err_errno(e, "%s: write", f->part);
        c += k;
        left -= (size_t)k;
        at += (uint64_t)k;
    }
    if (off == f->hashed && !f->hash_broken) {
        sha256_update(f->hash, p, n);
        f->hashed += n;
    } else {
        f->hash_broken = 1;
    }
    return 0;
}

/* Hashes part[0..n) into f->hash. */
static int hash_prefix(hub_file *f, uint64_t n, blalm_err *e)
{
    char buf[1 << 16];
    uint64_t at = 0;
    while (at < n) {
        size_t want = n - at < sizeof buf ? (size_t)(n - at) : sizeof buf;
        ssize_t k = pread(f->fd, buf, want, (off_t)at);
        if (k < 0) return err_errno(e, "%s: read", f->part);
        if (k == 0) return err_set(e, "%s: byte %" PRIu64 ": file ends early", f->part, at);
        sha256_update(f->hash, buf, (size_t)k);
        at += (uint64_t)k;
    }
    f->hashed = n;
    return 0;
}

static void on_get_done(void *user, int rc, http_response *r, const blalm_err *e);

static void progress_data_hook(fetch_ctx *x, uint64_t n)
{
    x->bytes_got += n;
    prog_add(x->pg, n);
}

typedef struct get_user { fetch_ctx *x; hub_file *f; } get_user;

static int on_data_progress(void *user, uint64_t off, const void *p, size_t n, blalm_err *e)
{
    get_user *g = user;
    if (on_file_data(g->f, off, p, n, e) != 0) return -1;
    progress_data_hook(g->x, n);
    return 0;
}

static void finish_file(fetch_ctx *x, hub_file *f)
{
    blalm_err e = {{0}};
    char sha[65];
    struct stat st;
    if (fsync(f->fd) != 0 || fstat(f->fd, &st) != 0) {
        err_errno(&e, "%s", f->part);
        fprintf(stderr, "blalm fetch: %s\n", e.msg);
        file_failed(x, f);
        return;
    }
    if ((uint64_t)st.st_size != f->size) {
        fprintf(stderr, "blalm fetch: %s: size mismatch: the listing says %" PRIu64 " bytes, got %lld; "
                "deleted the partial file %s\n", f->path, f->size, (long long)st.st_size, f->part);
        unlink(f->part);
        file_failed(x, f);
        return;
    }
    if (f->hash_broken || f->hashed != f->size) {
        char junk[65];
        sha256_end_hex(f->hash, junk);
        f->hash = sha256_begin();
        f->hash_broken = 0;
        if (hash_prefix(f, f->size, &e) != 0) {
            fprintf(stderr, "blalm fetch: %s\n", e.msg);
            file_failed(x, f);
            return;
        }
    }
    sha256_end_hex(f->hash, sha);
    f->hash = NULL;
    close(f->fd);
    f->fd = -1;
    if (f->sha256[0] && strcmp(sha, f->sha256)) {
        fprintf(stderr, "blalm fetch: %s: sha256 mismatch: the listing says %s, the downloaded bytes "
                "hash to %s; deleted the partial file %s\n", f->path, f->sha256, sha, f->part);
        unlink(f->part);
        file_failed(x, f);
        return;
    }
    if (rename(f->part, f->dest) != 0) {
        err_errno(&e, "rename %s -> %s", f->part, f->dest);
        fprintf(stderr, "blalm fetch: %s\n", e.msg);
        file_failed(x, f);
        return;
    }
    if (write_sidecar(x, f, sha, "file", NULL, &e) != 0) {
        fprintf(stderr, "blalm fetch: %s\n", e.msg);
        file_failed(x, f);
        return;
    }
    x->downloaded++;
}

static void on_get_done(void *user, int rc, http_response *r, const blalm_err *e)
{
    get_user *g = user;
    fetch_ctx *x = g->x;
    hub_file *f = g->f;
    free(g);
    if (rc != 0) {
        char what[1200];
        snprintf(what, sizeof what, "%s: download failed (partial file kept for resume)", f->path);
        report_http(x, what, r->status, e);
        file_failed(x, f);
    } else {
        const char *et = http_header_get(r, "etag");
        if (!f->etag[0] && et) snprintf(f->etag, sizeof f->etag, "%s", et);
        finish_file(x, f);
    }
    file_finished(x);
}

static void resolve_url(const fetch_ctx *x, const char *rev, const char *path, sbuf *u)
{
    sb_adds(u, x->endpoint);
    sb_adds(u, "/datasets/");
    sb_adds(u, x->repo);
    sb_adds(u, "/resolve/");
    url_encode(u, rev, 0);
    sb_addc(u, '/');
    url_encode(u, path, 1);
}

static void start_get(fetch_ctx *x, hub_file *f)
{
    blalm_err e = {{0}};
    if (mkdir_parent(f->dest, &e) != 0) {
        fprintf(stderr, "blalm fetch: %s\n", e.msg);
        file_failed(x, f);
        file_finished(x);
        return;
    }
    f->fd = open(f->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct stat st;
    if (f->fd < 0 || fstat(f->fd, &st) != 0) {
        err_errno(&e, "%s", f->part);
        fprintf(stderr, "blalm fetch: %s\n", e.msg);
        file_failed(x, f);
        file_finished(x);
        return;
    }
    f->have = (uint64_t)st.st_size;
    if (f->have > f->size) {          /* not ours to trust: start over */
        if (ftruncate(f->fd, 0) != 0) { /* fall through; the size check catches it */ }
        f->have = 0;
    }
    f->hash = sha256_begin();
    f->hashed = 0;
    if (f->have && hash_prefix(f, f->have, &e) != 0) {
        fprintf(stderr, "blalm fetch: %s\n", e.msg);
        file_failed(x, f);
        file_finished(x);
        return;
    }
    prog_add(x->pg, f->have);
    if (f->have == f->size) {         /* a previous run got every byte */
        finish_file(x, f);
        file_finished(x);
        return;
    }
    sbuf u;
    sb_init(&u);
    resolve_url(x, x->revision, f->path, &u);
    get_user *g = malloc(sizeof *g);
    if (!g) { fputs("blalm fetch: out of memory\n", stderr); exit(1); }
    g->x = x;
    g->f = f;
    http_request rq = {.url = sb_cstr(&u), .headers = x->headers, .follow_redirects = 1,
                       .has_range = f->have > 0, .range_start = f->have, .resume = 1,
                       .on_data = on_data_progress, .on_done = on_get_done, .user = g};
    if (!http_submit(x->http, &rq, &e)) {
        free(g);
        fprintf(stderr, "blalm fetch: %s: %s\n", f->path, e.msg);
        file_failed(x, f);
        file_finished(x);
    }
    sb_free(&u);
}

static void on_head_done(void *user, int rc, http_response *r, const blalm_err *e)
{
    get_user *g = user;
    fetch_ctx *x = g->x;
    hub_file *f = g->f;
    free(g);
    if (rc != 0) {
        char what[1100];
        snprintf(what, sizeof what, "%s", f->path);
        report_http(x, what, r->status, e);
        file_failed(x, f);
        file_finished(x);
        return;
    }
    const char *commit = http_header_get(r, "x-repo-commit");
    const char *etag = http_header_get(r, "x-linked-etag");
    if (!etag) etag = http_header_get(r, "etag");
    const char *lsize = http_header_get(r, "x-linked-size");
    snprintf(f->commit, sizeof f->commit, "%s", commit ? commit : "");
    snprintf(f->etag, sizeof f->etag, "%s", etag ? etag : "");
    if (lsize && strtoull(lsize, NULL, 10) != f->size) {
        fprintf(stderr, "blalm fetch: %s: the listing says %" PRIu64 " bytes but the resolver says "
                "%s (the revision moved?): rerun to list again\n", f->path, f->size, lsize);
        file_failed(x, f);
        file_finished(x);
        return;
    }
    start_get(x, f);
}

static void start_head(fetch_ctx *x, hub_file *f)
{
    sbuf u;
    sb_init(&u);
    resolve_url(x, x->revision, f->path, &u);
    get_user *g = malloc(sizeof *g);
    if (!g) { fputs("blalm fetch: out of memory\n", stderr); exit(1); }
    g->x = x;
    g->f = f;
    http_request rq = {.method = "HEAD", .url = sb_cstr(&u), .headers = x->headers,
                       .on_done = on_head_done, .user = g};
    blalm_err e = {{0}};
    if (!http_submit(x->http, &rq, &e)) {
        free(g);
        fprintf(stderr, "blalm fetch: %s: %s\n", f->path, e.msg);
        file_failed(x, f);
        file_finished(x);
    }
    sb_free(&u);
}

static void start_more(fetch_ctx *x)
{
    while (x->active < x->jobs && x->next < x->nfiles && !x->stop) {
        hub_file *f = &x->files[x->next++];
        if (f->failed || !f->part) continue;   /* skipped or settled before */
        x->active++;
        start_head(x, f);
    }
}

/* A file already in place: trust a matching sidecar; with no sidecar but
 * the right size, hash it once and write the sidecar. 1 = skip it. */
static int already_verified(fetch_ctx *x, hub_file *f)
{
    struct stat st;
    if (stat(f->dest, &st) != 0 || (uint64_t)st.st_size != f->size) return 0;
    if (sidecar_matches(f, "file")) return 1;
    if (!f->sha256[0]) return 0;
    char sha[65];
    blalm_err e;
    if (sha256_file_hex(f->dest, sha, &e) != 0 || strcmp(sha, f->sha256)) return 0;
    return write_sidecar(x, f, sha, "file", NULL, &e) == 0;
}

/* ---- --max-words: footer, then the first row groups -------------------- */

/* Fetches bytes [off, off+len) of a file through /resolve/ into buf (len
 * bytes) or, with fd >= 0, into fd at the same offset. */
typedef struct range_sink { uint8_t *buf; int fd; uint64_t base; } range_sink;

static int range_data(void *user, uint64_t off, const void *p, size_t n, blalm_err *e)
{
    range_sink *s = user;
    if (s->buf) {
        memcpy(s->buf + (off - s->base), p, n);
        return 0;
    }
    const char *c = p;
    while (n) {
        ssize_t k = pwrite(s->fd, c, n, (off_t)off);
        if (k < 0) return err_errno(e, "write");
        c += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

static int fetch_range(fetch_ctx *x, const hub_file *f, uint64_t off, uint64_t len, uint8_t *buf,
                       int fd, blalm_err *e)
{
    sbuf u;
    sb_init(&u);
    resolve_url(x, x->revision, f->path, &u);
    range_sink s = {buf, fd, off};
    http_request rq = {.url = sb_cstr(&u), .headers = x->headers, .follow_redirects = 1,
                       .has_range = 1, .range_start = off, .range_end = off + len, .resume = 1,
                       .on_data = range_data, .user = &s};
    http_response r;
    int rc = http_fetch(x->http, &rq, &r, e);
    if (rc == 0 && r.bytes != len)
        rc = err_set(e, "%s: asked for %" PRIu64 " bytes at %" PRIu64 ", got %" PRIu64, f->path, len,
                     off, r.bytes);
    if (rc == 0) prog_add(x->pg, len);
    if (rc != 0 && r.status) {
        const char *h = hint_for(r.status, x->token != NULL);
        if (h) {
            char m[BLALM_ERR_MAX];
            snprintf(m, sizeof m, "%s\n  hint: %s", e->msg, h);
            memcpy(e->msg, m, sizeof m);
        }
    }
    http_response_free(&r);
    sb_free(&u);
    return rc;
}

/* DIR/PATH-folder/<stem>-00000.jsonl.zst: what docw_open names the one shard. */
static char *words_output(const fetch_ctx *x, const hub_file *f)
{
    const char *base = strrchr(f->path, '/');
    base = base ? base + 1 : f->path;
    char stem[1024], name[1100];
    doc_rel_stem(base, stem, sizeof stem);
    snprintf(name, sizeof name, "%s-00000.jsonl.zst", stem);
    char *dir = path_join(x->out, f->path, "", "");
    char *slash = strrchr(dir, '/');
    slash[1] = 0;
    sbuf b;
    sb_init(&b);
    sb_adds(&b, dir);
    sb_adds(&b, name);
    free(dir);
    return (char *)sb_cstr(&b);
}

/* A --max-words sidecar from an earlier run of this file with the same
 * word budget (or a whole file that fits in it): its words, or -1. */
static int64_t words_reusable(const fetch_ctx *x, const hub_file *f, uint64_t budget)
{
    char *out = words_output(x, f);
    int have = file_exists(out);
    free(out);
    if (!have || !sidecar_matches(f, "max-words")) return -1;
    char *data;
    size_t len;
    blalm_err e;
    if (read_file(f->meta, &data, &len, &e) != 0) return -1;
    cJSON *j = cJSON_ParseWithLength(data, len);
    free(data);
    int64_t r = -1;
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(j, "words");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(j, "budget");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "complete");
    if (cJSON_IsNumber(w) && cJSON_IsNumber(b) &&
        ((uint64_t)b->valuedouble == budget || (cJSON_IsTrue(c) && (uint64_t)w->valuedouble <= budget)))
        r = (int64_t)w->valuedouble;
    cJSON_Delete(j);
    return r;
}

/* Builds a sparse local copy holding the footer and the first row groups
 * at their true offsets (the rest are holes), decodes them with the parquet
 * reader and writes documents until `budget` words. */
static int fetch_words_file(fetch_ctx *x, hub_file *f, uint64_t *budget, blalm_err *e)
{
    int64_t reuse = words_reusable(x, f, *budget);
    if (reuse >= 0) {
        *budget -= (uint64_t)reuse < *budget ? (uint64_t)reuse : *budget;
        x->skipped++;
        return 0;
    }
    if (f->size < 12) return err_set(e, "%s: %" PRIu64 " bytes is too small for parquet", f->path, f->size);
    /* commit and ETag for the sidecar (HEAD, no redirect) */
    {
        sbuf u;
        sb_init(&u);
        resolve_url(x, x->revision, f->path, &u);
        http_request rq = {.method = "HEAD", .url = sb_cstr(&u), .headers = x->headers};
        http_response r;
        int rc = http_fetch(x->http, &rq, &r, e);
        sb_free(&u);
        if (rc != 0) {
            const char *h = hint_for(r.status, x->token != NULL);
            http_response_free(&r);
            return h ? err_prefix(e, "%s (hint: %s)", f->path, h) : err_prefix(e, "%s", f->path);
        }
        const char *c = http_header_get(&r, "x-repo-commit");
        const char *et = http_header_get(&r, "x-linked-etag");
        if (!et) et = http_header_get(&r, "etag");
        snprintf(f->commit, sizeof f->commit, "%s", c ? c : "");
        snprintf(f->etag, sizeof f->etag, "%s", et ? et : "");
        http_response_free(&r);
    }
    uint8_t tail[8];
    if (fetch_range(x, f, f->size - 8, 8, tail, -1, e) != 0) return -1;
    if (memcmp(tail + 4, "PAR1", 4))
        return err_set(e, "%s: byte %" PRIu64 ": expected the parquet magic PAR1 at the end of the file",
                       f->path, f->size - 4);
    uint32_t flen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
                    (uint32_t)tail[3] << 24;
    if ((uint64_t)flen + 12 > f->size)
        return err_set(e, "%s: byte %" PRIu64 ": footer length %u does not fit in a %" PRIu64
                       "-byte file", f->path, f->size - 8, flen, f->size);
    uint64_t foff = f->size - 8 - flen;
    uint8_t *footer = malloc(flen ? flen : 1);
    if (!footer) return err_set(e, "out of memory");
    if (fetch_range(x, f, foff, flen, footer, -1, e) != 0) { free(footer); return -1; }
    pq_meta *m = pq_meta_parse(footer, flen, e);
    if (!m) { free(footer); return err_prefix(e, "%s: footer at byte %" PRIu64, f->path, foff); }

    char *sparse = path_join(x->out, f->path, ".", ".sparse.part");
    int fd = -1, rc = -1, ngroups = pq_meta_row_groups(m), used = 0, complete = 0;
    doc_writer *w = NULL;
    uint64_t words = 0, docs = 0, want = *budget, fetched = 0;
    if (mkdir_parent(sparse, e) != 0) goto out;
    fd = open(sparse, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) { err_errno(e, "%s", sparse); goto out; }
    if (ftruncate(fd, (off_t)f->size) != 0 || pwrite(fd, "PAR1", 4, 0) != 4 ||
        pwrite(fd, footer, flen, (off_t)foff) != (ssize_t)flen ||
        pwrite(fd, tail, 8, (off_t)(f->size - 8)) != 8) {
        err_errno(e, "%s", sparse);
        goto out;
    }
    {
        char *dir = path_join(x->out, f->path, "", "");
        *strrchr(dir, '/') = 0;
        const char *base = strrchr(f->path, '/');
        char stem[1024];
        doc_rel_stem(base ? base + 1 : f->path, stem, sizeof stem);
        w = docw_open(dir, stem, 0, 3, e);
        free(dir);
        if (!w) goto out;
    }
    for (int g = 0; g < ngroups && words < want; g++) {
        uint64_t off, len;
        if (pq_meta_row_group_range(m, g, &off, &len) != 0 || off < 4 || off + len > foff) {
            err_set(e, "%s: row group %d: byte range outside the file's data section", f->path, g);
            goto out;
        }
        if (fetch_range(x, f, off, len, NULL, fd, e) != 0) goto out;
        fetched += len;
        used = g + 1;
        /* decode what is there so far; rows already written are skipped */
        doc_opts o = {0};
        o.max_row_groups = used;
        o.default_source = x->source;
        doc_reader *rd = doc_open(sparse, &o, e);
        if (!rd) { err_prefix(e, "%s", f->path); goto out; }
        blalm_doc d;
        int k;
        uint64_t row = 0;
        while (words < want && (k = doc_next(rd, &d, e)) == 1) {
            if (row++ < docs) continue;
            if (docw_write(w, &d, e) != 0) { k = -1; break; }
            words += words_in(d.text, d.text_len);
            docs++;
        }
        if (words < want && k == 0 && used == ngroups) complete = 1;
        doc_close(rd);
        if (k < 0) { err_prefix(e, "%s", f->path); goto out; }
    }
    if (ngroups == 0) complete = 1;
    rc = docw_close(w, e);
    w = NULL;
    if (rc != 0) goto out;
    *budget -= words < *budget ? words : *budget;
    {
        char extra[300];
        snprintf(extra, sizeof extra, ",\"budget\":%" PRIu64 ",\"row_groups\":%d,\"row_groups_total\":%d,"
                 "\"bytes_fetched\":%" PRIu64 ",\"docs\":%" PRIu64 ",\"words\":%" PRIu64 ",\"complete\":%s",
                 want, used, ngroups, fetched + flen + 8, docs, words, complete ? "true" : "false");
        /* sha256 here is the whole remote file's (from the listing) */
        if (write_sidecar(x, f, f->sha256, "max-words", extra, e) != 0) { rc = -1; goto out; }
    }
    if (!x->quiet)
        fprintf(stderr, "fetch: %s: %d of %d row groups (%.1f of %.1f MB), %" PRIu64 " documents, %"
                PRIu64 " words\n", f->path, used, ngroups, (fetched + flen + 8) / 1e6, f->size / 1e6,
                docs, words);
out:
    if (w) docw_abort(w);
    if (fd >= 0) close(fd);
    unlink(sparse);
    free(sparse);
    pq_meta_free(m);
    free(footer);
    return rc;
}

/* Removes an earlier --max-words output of a file this run does not need,
 * so DIR holds exactly the documents asked for. */
static void drop_stale_words_output(fetch_ctx *x, hub_file *f)
{
    if (!sidecar_matches(f, "max-words")) return;
    char *out = words_output(x, f);
    if (file_exists(out) && unlink(out) == 0 && !x->quiet)
        fprintf(stderr, "fetch: removed %s (from an earlier --max-words run; not needed now)\n", out);
    unlink(f->meta);
    free(out);
}

/* ---- command ----------------------------------------------------------- */

int cmd_fetch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"repo", required_argument, 0, 'r'},
        {"path", required_argument, 0, 'p'},
        {"out", required_argument, 0, 'o'},
        {"revision", required_argument, 0, 'R'},
        {"include", required_argument, 0, 'i'},
        {"max-files", required_argument, 0, 'm'},
        {"max-words", required_argument, 0, 'w'},
        {"jobs", required_argument, 0, 'j'},
        {"dry-run", no_argument, 0, 'n'},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    fetch_ctx x = {0};
    x.revision = "main";
    x.path = "";
    x.jobs = 4;
    char **inc = NULL;
    int ninc = 0, dry = 0, c;
    long max_files = -1;
    unsigned long long max_words = 0, v;
    int have_max_words = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'r': x.repo = optarg; break;
        case 'p': x.path = optarg; break;
        case 'o': x.out = optarg; break;
        case 'R': x.revision = optarg; break;
        case 'i': {
            char **ni = realloc(inc, (size_t)(ninc + 1) * sizeof *ni);
            if (!ni) return 1;
            inc = ni;
            inc[ninc++] = optarg;
            break;
        }
        case 'm':
            if (cli_parse_count(optarg, &v) != 0) { free(inc); return cli_usage_error(usage, "fetch: --max-files wants a count, got '%s'", optarg); }
            max_files = (long)v;
            break;
        case 'w':
            if (cli_parse_count(optarg, &v) != 0 || v == 0) { free(inc); return cli_usage_error(usage, "fetch: --max-words wants a positive count, got '%s'", optarg); }
            max_words = v;
            have_max_words = 1;
            break;
        case 'j':
            if (cli_parse_count(optarg, &v) != 0 || v < 1 || v > 64) { free(inc); return cli_usage_error(usage, "fetch: --jobs wants 1..64, got '%s'", optarg); }
            x.jobs = (int)v;
            break;
        case 'n': dry = 1; break;
        case 'q': x.quiet = 1; break;
        case 'h': free(inc); return cli_help(usage);
        default: free(inc); return cli_option_error(usage, "fetch", opts, argv, optind);
        }
    }
    if (optind < argc) { free(inc); return cli_usage_error(usage, "fetch: unexpected argument '%s'", argv[optind]); }
    if (!x.repo) { free(inc); return cli_usage_error(usage, "fetch: --repo is required"); }
    if (!x.out && !dry) { free(inc); return cli_usage_error(usage, "fetch: --out is required"); }
    if (!valid_repo(x.repo)) { free(inc); return cli_usage_error(usage, "fetch: --repo '%s' is not OWNER/NAME", x.repo); }
    if (!*x.revision) { free(inc); return cli_usage_error(usage, "fetch: --revision is empty"); }
    /* the folder asked for, without leading/trailing slashes */
    char pathbuf[1100];
    {
        const char *p = x.path;
        while (*p == '/') p++;
        snprintf(pathbuf, sizeof pathbuf, "%s", p);
        size_t l = strlen(pathbuf);
        while (l && pathbuf[l - 1] == '/') pathbuf[--l] = 0;
        x.path = pathbuf;
        if (*x.path && hostile_path(x.path, "")) {
            free(inc);
            return cli_usage_error(usage, "fetch: --path '%s': %s", x.path, hostile_path(x.path, ""));
        }
    }
    char endpoint[1024];
    {
        const char *ep = getenv("HF_ENDPOINT");
        snprintf(endpoint, sizeof endpoint, "%s", ep && *ep ? ep : "https://huggingface.co");
        size_t l = strlen(endpoint);
        while (l && endpoint[l - 1] == '/') endpoint[--l] = 0;
        if (strncmp(endpoint, "http://", 7) && strncmp(endpoint, "https://", 8)) {
            fprintf(stderr, "blalm fetch: HF_ENDPOINT must start with http:// or https://\n");
            free(inc);
            return 1;
        }
        x.endpoint = endpoint;
    }
    const char *tok = getenv("HF_TOKEN");
    if (tok && *tok) {
        x.token = tok;
        size_t n = strlen(tok) + 32;
        x.auth = malloc(n);
        if (!x.auth) return 1;
        snprintf(x.auth, n, "Authorization: Bearer %s", tok);
        x.headers[0] = x.auth;
    }
    int status = 0;
    blalm_err e = {{0}};
    http_client_opts ho = {0};
    ho.max_in_flight = x.jobs;
    ho.delay_scale = env_delay_scale();
    x.http = http_client_new(&ho, &e);
    if (!x.http) {
        fprintf(stderr, "blalm fetch: %s\n", e.msg);
        free(inc);
        free(x.auth);
        return 1;
    }
    double t0 = now_seconds();
    if (list_files(&x, inc, ninc, max_files) != 0) { status = 1; goto done; }
    if (x.nfiles == 0) {
        fprintf(stderr, "blalm fetch: no files under '%s' in %s at %s%s\n", x.path, x.repo, x.revision,
                ninc ? " match --include" : "");
        status = 1;
        goto done;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < x.nfiles; i++) total += x.files[i].size;
    if (dry) {
        for (size_t i = 0; i < x.nfiles; i++) printf("%14" PRIu64 "  %s\n", x.files[i].size, x.files[i].path);
        printf("%zu files, %" PRIu64 " bytes\n", x.nfiles, total);
        goto done;
    }
    for (size_t i = 0; i < x.nfiles; i++) {
        hub_file *f = &x.files[i];
        char suffix[40];
        snprintf(suffix, sizeof suffix, ".%.12s.part", f->sha256[0] ? f->sha256 : "plain");
        f->dest = path_join(x.out, f->path, "", "");
        f->part = path_join(x.out, f->path, ".", suffix);
        f->meta = path_join(x.out, f->path, "", ".meta");
    }
    if (have_max_words) {
        /* as docs_walk would name it: the folder under WORK/docs */
        static char srcbuf[256];
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s", x.out);
        size_t l = strlen(tmp);
        while (l > 1 && tmp[l - 1] == '/') tmp[--l] = 0;
        const char *b = strrchr(tmp, '/');
        snprintf(srcbuf, sizeof srcbuf, "%s", b ? b + 1 : tmp);
        x.source = srcbuf;
        x.pg = prog_start("fetch", 0, PROG_BYTES, x.quiet);
        uint64_t budget = max_words;
        for (size_t i = 0; i < x.nfiles && !status; i++) {
            hub_file *f = &x.files[i];
            if (budget == 0) { drop_stale_words_output(&x, f); continue; }
            int before = x.skipped;
            if (fetch_words_file(&x, f, &budget, &e) != 0) {
                fprintf(stderr, "blalm fetch: %s\n", e.msg);
                status = 1;
            } else if (x.skipped == before) {
                x.downloaded++;
            }
        }
        prog_end(x.pg);
        if (!x.quiet && !status)
            fprintf(stderr, "fetch: %llu words wanted: %d files read, %d reused from an earlier run%s, "
                    "%.1f s\n", max_words, x.downloaded, x.skipped,
                    budget ? " (the files listed hold fewer words)" : "", now_seconds() - t0);
        goto done;
    }
    uint64_t need = 0;
    for (size_t i = 0; i < x.nfiles; i++) {
        hub_file *f = &x.files[i];
        if (already_verified(&x, f)) {
            x.skipped++;
            free(f->part);
            f->part = NULL;        /* marks "nothing to do" for start_more */
        } else {
            need += f->size;
        }
    }
    x.pg = prog_start("fetch", need, PROG_BYTES, x.quiet);
    start_more(&x);
    if (http_run(x.http, &e) != 0) {
        fprintf(stderr, "blalm fetch: %s\n", e.msg);
        status = 1;
    }
    prog_end(x.pg);
    if (x.failures) status = 1;
    if (!x.quiet) {
        double dt = now_seconds() - t0;
        int untried = (int)x.nfiles - x.downloaded - x.skipped - x.failures;
        fprintf(stderr, "fetch: %zu files: %d downloaded (%.1f MB in %.1f s, %.1f MB/s), %d already "
                "verified, %d failed", x.nfiles, x.downloaded, x.bytes_got / 1e6, dt,
                dt > 0 ? x.bytes_got / 1e6 / dt : 0.0, x.skipped, x.failures);
        if (untried > 0) fprintf(stderr, ", %d not tried (access refused)", untried);
        fputc('\n', stderr);
    }
done:
    http_client_free(x.http);
    for (size_t i = 0; i < x.nfiles; i++) {
        free(x.files[i].path);
        free(x.files[i].dest);
        free(x.files[i].part);
        free(x.files[i].meta);
    }
    free(x.files);
    free(inc);
    if (x.auth) {
        memset(x.auth, 0, strlen(x.auth));
        free(x.auth);
    }
    return status;
}
