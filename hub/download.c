/* download.c - the fetch stage: whole-file downloads with Range resume,
 * verification and sidecars, several at once (hub.h). */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <errno.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "hub/hub.h"
#include "hub/internal.h"
#include "lib/fsutil.h"

/* ---- events and helpers ------------------------------------------------ */

void fetch_emit(fetch_ctx *x, int kind, uint64_t n, const char *msg)
{
    if (!x->cb) return;
    fetch_event ev = {kind, n, msg};
    x->cb(x->cb_arg, &ev);
}

void fetch_emitf(fetch_ctx *x, int kind, const char *fmt, ...)
{
    if (!x->cb) return;
    sbuf b;
    sb_init(&b);
    va_list ap;
    va_start(ap, fmt);
    char small[512];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof small) {
        fetch_emit(x, kind, 0, small);
    } else if (n >= 0) {
        sb_reserve(&b, (size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(b.data, (size_t)n + 1, fmt, ap);
        va_end(ap);
        fetch_emit(x, kind, 0, b.data);
    }
    sb_free(&b);
}

/* A commit id as X-Repo-Commit gives it: 40 lowercase hex digits. */
static int is_commit(const char *c)
{
    return c && strlen(c) == 40 && strspn(c, "0123456789abcdef") == 40;
}

void hub_resolve_url(const fetch_ctx *x, const char *path, const char *commit, sbuf *u)
{
    sb_adds(u, x->o->endpoint);
    sb_adds(u, "/datasets/");
    sb_adds(u, x->o->repo);
    sb_adds(u, "/resolve/");
    hub_url_encode(u, is_commit(commit) ? commit : x->o->revision, 0);
    sb_addc(u, '/');
    hub_url_encode(u, path, 1);
}

char *hub_path_join(const char *a, const char *b, const char *pre, const char *suf)
{
    size_t n = strlen(a) + strlen(b) + strlen(pre) + strlen(suf) + 2;
    char *s = malloc(n);
    if (!s) return NULL;
    const char *slash = strrchr(b, '/');
    int sep = *a && a[strlen(a) - 1] != '/';
    snprintf(s, n, "%s%s%.*s%s%s%s", a, sep ? "/" : "", slash ? (int)(slash - b + 1) : 0, b, pre,
             slash ? slash + 1 : b, suf);
    return s;
}

/* 1 when the response came from somewhere else than the file's resolve
 * URL: the file host the Hub redirected to. The origins compare without
 * case (curl reports "http://" for an HF_ENDPOINT typed "HTTP://", which
 * made every 401/403 of the Hub look like the file host's), the rest
 * exactly, except that a /datasets/.../resolve/ URL on the same origin is
 * still the Hub's: that of a renamed repo, which the Hub redirects to
 * (every 403 of a gated repo reached by its old name looked like an expired
 * signed link, and the run went on). */
int hub_from_file_host(const fetch_ctx *x, const hub_file *f, const http_response *r)
{
    if (!r->effective_url) return 0;
    sbuf u;
    sb_init(&u);
    hub_resolve_url(x, f->path, f->commit, &u);
    /* both as libcurl writes URLs (effective_url is libcurl's) */
    char *norm = http_url_resolve(sb_cstr(&u), sb_cstr(&u));
    const char *want = norm ? norm : sb_cstr(&u), *got = r->effective_url;
    size_t a = http_origin_len(got), b = http_origin_len(want);
    int moved = !http_same_origin(got, want);     /* ":443", user:pw@ aside */
    if (!moved && strcmp(got + a, want + b) != 0) {
        const char *d = strstr(got + a, "/datasets/");
        moved = !d || !strstr(d, "/resolve/");
    }
    free(norm);
    sb_free(&u);
    return moved;
}

const char *hub_fail_hint(const fetch_ctx *x, const hub_file *f, const http_response *r)
{
    if (r->status == 403 && hub_from_file_host(x, f, r))
        return "the file host the Hub redirected to refused the signed link (expired, or not valid "
               "for this request); a rerun asks the Hub for a fresh one";
    if (r->status == 404)          /* the listing named it, so the spelling is right */
        return "the file was in the listing but is gone now (removed from the repo, or the revision "
               "moved since): rerun to list again";
    return hub_hint(r->status, x->o->token != NULL);
}

/* An HTTP failure of one file: the message and what to do about it. A 401
 * or 403 from the Hub stops the run (every other file would fail alike);
 * a 403 from the file host is about one signed link, so the others go on. */
static void report_http(fetch_ctx *x, const hub_file *f, const char *what, const http_response *r,
                        const blalm_err *e)
{
    if ((r->status == 401 || r->status == 403) && !hub_from_file_host(x, f, r)) x->stop = 1;
    const char *h = hub_fail_hint(x, f, r);
    blalm_err m = *e;
    hub_add_error_message(r, x->headers, &m);
    fetch_emitf(x, FETCH_EV_ERROR, "%s: %s%s%s", what, m.msg, h ? "\n  hint: " : "", h ? h : "");
}

/* ---- sidecars ---------------------------------------------------------- */

cJSON *hub_sidecar_json(const hub_file *f)
{
    char *data;
    size_t len;
    blalm_err e;
    if (read_file(f->meta, &data, &len, &e) != 0) return NULL;
    cJSON *j = cJSON_ParseWithLength(data, len);
    free(data);
    return j;
}

int hub_sidecar_etag_is(const hub_file *f, const char *etag)
{
    cJSON *j = hub_sidecar_json(f);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "etag");
    int same = cJSON_IsString(t) && !strcmp(t->valuestring, etag);
    cJSON_Delete(j);
    return same;
}

int hub_sidecar_matches(const hub_file *f, const char *want_kind)
{
    cJSON *j = hub_sidecar_json(f);
    int ok = 0;
    if (cJSON_IsObject(j)) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "path");
        const cJSON *sz = cJSON_GetObjectItemCaseSensitive(j, "size");
        const cJSON *sh = cJSON_GetObjectItemCaseSensitive(j, "sha256");
        const cJSON *kd = cJSON_GetObjectItemCaseSensitive(j, "kind");
        const cJSON *go = cJSON_GetObjectItemCaseSensitive(j, "git_oid");
        /* a file kept in git has no sha256 in the listing: its blob id is
         * what changes with its content, so the sidecar must carry the same */
        ok = cJSON_IsString(p) && !strcmp(p->valuestring, f->path) && cJSON_IsNumber(sz) &&
             (uint64_t)sz->valuedouble == f->size && cJSON_IsString(sh) &&
             (!f->sha256[0] || !strcmp(sh->valuestring, f->sha256)) &&
             (!f->git_oid[0] || (cJSON_IsString(go) && !strcmp(go->valuestring, f->git_oid))) &&
             cJSON_IsString(kd) && !strcmp(kd->valuestring, want_kind);
    }
    cJSON_Delete(j);
    return ok;
}

int hub_sidecar_write(const fetch_ctx *x, const hub_file *f, const char *sha, const char *kind,
                      const char *extra_json, blalm_err *e)
{
    const fetch_opts *o = x->o;
    sbuf b;
    sb_init(&b);
    int first = 1;
    sb_addc(&b, '{');
    sb_json_key(&b, "repo", &first); sb_json_str(&b, o->repo, strlen(o->repo));
    sb_json_key(&b, "revision", &first); sb_json_str(&b, o->revision, strlen(o->revision));
    sb_json_key(&b, "commit", &first); sb_json_str(&b, f->commit, strlen(f->commit));
    sb_json_key(&b, "path", &first); sb_json_str(&b, f->path, strlen(f->path));
    sb_json_key(&b, "size", &first); sb_json_uint(&b, f->size);
    sb_json_key(&b, "sha256", &first); sb_json_str(&b, sha, strlen(sha));
    sb_json_key(&b, "lfs", &first); sb_json_bool(&b, f->sha256[0] != 0);
    if (f->git_oid[0]) { sb_json_key(&b, "git_oid", &first); sb_json_str(&b, f->git_oid, strlen(f->git_oid)); }
    sb_json_key(&b, "etag", &first); sb_json_str(&b, f->etag, strlen(f->etag));
    sb_json_key(&b, "kind", &first); sb_json_str(&b, kind, strlen(kind));
    if (extra_json) sb_adds(&b, extra_json);
    sb_adds(&b, "}\n");
    int rc = write_file_atomic(f->meta, b.data, b.len, e);
    sb_free(&b);
    return rc;
}

int hub_check_linked(const hub_file *f, const http_response *r, blalm_err *e)
{
    const char *lsize = http_header_get(r, "x-linked-size");
    const char *let = http_header_get(r, "x-linked-etag");
    char shown[100];
    if (lsize) {
        char *end;
        unsigned long long n = strtoull(lsize, &end, 10);
        if (end == lsize || *end || n != f->size) {
            hub_printable(lsize, shown, sizeof shown);
            return err_set(e, "%s: the file changed on the Hub since it was listed: the listing says "
                              "%" PRIu64 " bytes, the Hub now says %s (X-Linked-Size); rerun to list again",
                           f->path, f->size, shown);
        }
    }
    if (let && f->sha256[0]) {
        /* an LFS file's X-Linked-Etag is its sha256: "<hex>", maybe W/ */
        const char *v = let;
        while (*v == ' ') v++;
        if (!strncmp(v, "W/", 2)) v += 2;
        char got[100];
        snprintf(got, sizeof got, "%s", *v == '"' ? v + 1 : v);
        size_t n = strlen(got);
        while (n && (got[n - 1] == '"' || got[n - 1] == ' ')) got[--n] = 0;
        if (!strncmp(got, "sha256:", 7)) memmove(got, got + 7, strlen(got + 7) + 1);
        if (strcmp(got, f->sha256)) {
            hub_printable(let, shown, sizeof shown);
            return err_set(e, "%s: the file changed on the Hub since it was listed: the listing says "
                              "sha256 %s, the Hub now says %s (X-Linked-Etag); rerun to list again",
                           f->path, f->sha256, shown);
        }
    }
    return 0;
}

/* From a HEAD of f's resolve URL: the commit and ETag for the sidecar; the
 * commit also pins every later request for f. */
static void take_head(hub_file *f, const http_response *r)
{
    const char *c = http_header_get(r, "x-repo-commit");
    const char *et = http_header_get(r, "x-linked-etag");
    if (!et) et = http_header_get(r, "etag");
    snprintf(f->commit, sizeof f->commit, "%s", c ? c : "");
    snprintf(f->etag, sizeof f->etag, "%s", et ? et : "");
}

/* The HEAD of /resolve/ follows redirects itself, as huggingface_hub's
 * get_hf_file_metadata does: a renamed or moved repo answers 307 with a
 * relative Location to its new path and none of the file's headers, and
 * that is followed on the same origin (the token may go there); the
 * answer that carries the Hub's headers of the file (X-Repo-Commit,
 * X-Linked-Size, X-Linked-Etag), the 302 to the file host among them, is
 * the HEAD's answer and is not followed. A bare redirect to another origin
 * is an error: following it would send the token away, and taking it for
 * the answer (as before) checked nothing and pinned nothing, and every
 * rerun asked again. */
#define HEAD_MAX_HOPS 10

typedef struct head_hops {
    int n;                          /* URLs asked so far */
    char *url[HEAD_MAX_HOPS + 1];   /* malloc'd; url[n - 1] is the last one */
} head_hops;

static void head_hops_free(head_hops *h)
{
    for (int i = 0; i < h->n; i++) free(h->url[i]);
    h->n = 0;
}

static int has_file_headers(const http_response *r)
{
    return http_header_get(r, "x-repo-commit") || http_header_get(r, "x-linked-size") ||
           http_header_get(r, "x-linked-etag");
}

/* What the HEAD answer r to h's last URL means: 0 = it is the answer; 1 =
 * a redirect to follow, its URL appended to h; -1 = an error (e: the file,
 * the status and why; URLs without their query, userinfo as ***@). */
static int head_redirect(const fetch_ctx *x, const hub_file *f, const http_response *r, head_hops *h,
                         blalm_err *e)
{
    if (r->status < 300 || r->status >= 400 || has_file_headers(r)) return 0;
    if (!r->location || !*r->location)
        return err_set(e, "%s: the HEAD of /resolve/ answered HTTP %ld without a Location and without "
                          "the Hub's headers of the file (X-Repo-Commit, X-Linked-Size, X-Linked-Etag)",
                       f->path, r->status);
    const char *url = h->url[h->n - 1];
    char *to = http_url_resolve(url, r->location);
    char shown[300];
    if (!to) {
        http_redact(r->location, NULL, shown, sizeof shown);
        return err_set(e, "%s: the HEAD of /resolve/ answered HTTP %ld, a redirect to '%s', which is "
                          "not a URL nor a reference relative to the one asked", f->path, r->status, shown);
    }
    size_t a = http_origin_len(to);
    if (!http_same_origin(to, url)) {
        char origin[300], ep[300];
        snprintf(origin, sizeof origin, "%.*s", (int)(a < 299 ? a : 299), to);
        http_redact(origin, NULL, shown, sizeof shown);
        http_redact(x->o->endpoint, NULL, ep, sizeof ep);
        free(to);
        int up = !strncasecmp(url, "http://", 7) && !strncasecmp(shown, "https://", 8);
        return err_set(e, "%s: the HEAD of /resolve/ answered HTTP %ld, a redirect to another origin "
                          "(%s) without the Hub's headers of the file (X-Repo-Commit, X-Linked-Size, "
                          "X-Linked-Etag): not followed (HF_TOKEN must not go there), and nothing to check "
                          "the file against or pin it to; HF_ENDPOINT is %s (the Hub, or a mirror that "
                          "sends those headers, is expected)%s", f->path, r->status, shown, ep,
                       up ? "; the server moves http:// to https://: set HF_ENDPOINT to its https:// URL" : "");
    }
    for (int i = 0; i < h->n; i++) {
        if (strcmp(h->url[i], to)) continue;
        http_redact(to, NULL, shown, sizeof shown);
        free(to);
        return err_set(e, "%s: the HEAD of /resolve/ redirects in a loop: HTTP %ld back to %s, which "
                          "it asked already", f->path, r->status, shown);
    }
    if (h->n > HEAD_MAX_HOPS) {
        free(to);
        return err_set(e, "%s: the HEAD of /resolve/ was redirected more than %d times (last HTTP %ld)",
                       f->path, HEAD_MAX_HOPS, r->status);
    }
    h->url[h->n++] = to;
    return 1;
}

/* h holds f's resolve URL (asking the revision, never a pinned commit). */
static int head_hops_start(const fetch_ctx *x, hub_file *f, head_hops *h, blalm_err *e)
{
    sbuf u;
    sb_init(&u);
    f->commit[0] = 0;
    hub_resolve_url(x, f->path, NULL, &u);
    h->n = 0;
    /* as libcurl writes it (http://2130706433:P is http://127.0.0.1:P),
     * the form the redirects' targets come back in: compared as text */
    h->url[0] = http_url_resolve(sb_cstr(&u), sb_cstr(&u));
    if (!h->url[0]) h->url[0] = strdup(sb_cstr(&u));
    sb_free(&u);
    if (!h->url[0]) return err_set(e, "%s: out of memory", f->path);
    h->n = 1;
    return 0;
}

int hub_head_file(fetch_ctx *x, hub_file *f, blalm_err *e)
{
    head_hops h;
    if (head_hops_start(x, f, &h, e) != 0) return -1;
    int rc;
    for (;;) {
        http_request rq = {.method = "HEAD", .url = h.url[h.n - 1], .headers = x->headers};
        http_response r;
        rc = http_fetch(x->http, &rq, &r, e);
        if (rc != 0) {
            const char *hint = hub_fail_hint(x, f, &r);
            hub_add_error_message(&r, x->headers, e);
            http_response_free(&r);
            rc = hint ? err_prefix(e, "%s (hint: %s)", f->path, hint) : err_prefix(e, "%s", f->path);
            break;
        }
        int k = head_redirect(x, f, &r, &h, e);
        if (k == 0) {
            rc = hub_check_linked(f, &r, e);
            if (rc == 0) take_head(f, &r);
        }
        http_response_free(&r);
        if (k != 1) {
            if (k < 0) rc = -1;
            break;
        }
    }
    head_hops_free(&h);
    return rc;
}

/* 1 when f's sidecar records a non-empty "commit" or "etag"; else 0, with the sha256
 * it records copied to sha (or "" when it records none). */
static int sidecar_has_commit(const hub_file *f, char sha[65])
{
    char *data;
    size_t len;
    blalm_err e;
    sha[0] = 0;
    if (read_file(f->meta, &data, &len, &e) != 0) return 0;
    cJSON *j = cJSON_ParseWithLength(data, len);
    free(data);
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "commit");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "etag");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(j, "sha256");
    /* Written after a HEAD when either is set: a server that sends no
     * X-Repo-Commit (a mirror behind HF_ENDPOINT) still sends an ETag, and
     * its sidecars must not be refreshed on every run. Only a sidecar written
     * from the listing alone has neither. */
    int ok = (cJSON_IsString(c) && c->valuestring[0]) || (cJSON_IsString(t) && t->valuestring[0]);
    if (!ok && cJSON_IsString(h) && strlen(h->valuestring) == 64) snprintf(sha, 65, "%s", h->valuestring);
    cJSON_Delete(j);
    return ok;
}

/* ---- the download state machine ---------------------------------------- */
/* start_more -> start_head (HEAD /resolve/) -> on_head_done -> start_get
 * (GET with Range) -> on_data ... -> on_get_done -> finish_file; each file's
 * end calls file_finished, which starts the next. */

static void start_more(fetch_ctx *x);
static void start_get(fetch_ctx *x, hub_file *f);

static void file_failed(fetch_ctx *x, hub_file *f)
{
    f->failed = 1;
    x->c->failures++;
    if (f->fd >= 0) {
        /* a part file that got no byte resumes nothing: not left behind */
        struct stat st;
        if (fstat(f->fd, &st) == 0 && st.st_size == 0 && f->part) unlink(f->part);
        close(f->fd);
        f->fd = -1;
    }
    if (f->hash) { char junk[65]; sha256_end_hex(f->hash, junk); f->hash = NULL; }
    if (f->ghash) { char junk[41]; gitblob_end_hex(f->ghash, junk); f->ghash = NULL; }
}

static void file_finished(fetch_ctx *x)
{
    x->active--;
    start_more(x);
}

typedef struct get_user { fetch_ctx *x; hub_file *f; } get_user;

static int on_data(void *user, uint64_t off, const void *p, size_t n, blalm_err *e)
{
    get_user *g = user;
    hub_file *f = g->f;
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
        if (f->ghash) gitblob_update(f->ghash, p, n);
        f->hashed += n;
    } else {
        f->hash_broken = 1;
    }
    g->x->c->bytes_got += n;
    fetch_emit(g->x, FETCH_EV_BYTES, n, NULL);
    return 0;
}

/* Hashes part[0..n) into f->hash (and f->ghash). */
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
        if (f->ghash) gitblob_update(f->ghash, buf, (size_t)k);
        at += (uint64_t)k;
    }
    f->hashed = n;
    return 0;
}

/* All bytes are in the part file: check size and sha256 (LFS) or git blob
 * id (a file kept in git), rename into place, write the sidecar. */
static void finish_file(fetch_ctx *x, hub_file *f)
{
    blalm_err e = {{0}};
    char sha[65];
    struct stat st;
    if (fsync(f->fd) != 0 || fstat(f->fd, &st) != 0) {
        err_errno(&e, "%s", f->part);
        fetch_emit(x, FETCH_EV_ERROR, 0, e.msg);
        file_failed(x, f);
        return;
    }
    if ((uint64_t)st.st_size != f->size) {
        fetch_emitf(x, FETCH_EV_ERROR, "%s: size mismatch: the listing says %" PRIu64 " bytes, got "
                    "%lld; deleted the partial file %s", f->path, f->size, (long long)st.st_size,
                    f->part);
        unlink(f->part);
        file_failed(x, f);
        return;
    }
    if (f->hash_broken || f->hashed != f->size) {
        char junk[65];
        sha256_end_hex(f->hash, junk);
        f->hash = sha256_begin();
        f->hash_broken = 0;
        if (f->ghash) {
            char gjunk[41];
            gitblob_end_hex(f->ghash, gjunk);
            f->ghash = gitblob_begin(f->size);
            if (!f->ghash && f->hash) { sha256_end_hex(f->hash, junk); f->hash = NULL; }
        }
        if (!f->hash) err_set(&e, "%s: out of memory", f->path);
        if (!f->hash || hash_prefix(f, f->size, &e) != 0) {
            fetch_emit(x, FETCH_EV_ERROR, 0, e.msg);
            file_failed(x, f);
            return;
        }
    }
    sha256_end_hex(f->hash, sha);
    f->hash = NULL;
    char git[41] = "";
    if (f->ghash) { gitblob_end_hex(f->ghash, git); f->ghash = NULL; }
    /* f->fd stays open, and its lock held (start_get), until the file is in
     * place with its sidecar: another fetch must not take the part file's
     * name for its own download in between */
    if (f->sha256[0] && strcmp(sha, f->sha256)) {
        fetch_emitf(x, FETCH_EV_ERROR, "%s: sha256 mismatch: the listing says %s, the downloaded "
                    "bytes hash to %s; deleted the partial file %s", f->path, f->sha256, sha, f->part);
        unlink(f->part);
        file_failed(x, f);
        return;
    }
    if (f->git_oid[0] && strcmp(git, f->git_oid)) {
        fetch_emitf(x, FETCH_EV_ERROR, "%s: git blob id mismatch: the listing says %s, the downloaded "
                    "bytes hash to %s (the file changed upstream, or the bytes are corrupt); deleted "
                    "the partial file %s", f->path, f->git_oid, git, f->part);
        unlink(f->part);
        file_failed(x, f);
        return;
    }
    /* before the rename and the "file" sidecar: a run killed after them
     * left an earlier --max-words run's documents beside the whole file for
     * good (the next run took the file as verified) */
    if (hub_drop_words_output(x, f, 1, &e) != 0) {
        fetch_emit(x, FETCH_EV_ERROR, 0, e.msg);
        file_failed(x, f);
        return;
    }
    if (rename(f->part, f->dest) != 0) {
        err_errno(&e, "rename %s -> %s", f->part, f->dest);
        fetch_emit(x, FETCH_EV_ERROR, 0, e.msg);
        file_failed(x, f);
        return;
    }
    if (hub_sidecar_write(x, f, sha, "file", NULL, &e) != 0) {
        fetch_emit(x, FETCH_EV_ERROR, 0, e.msg);
        file_failed(x, f);
        return;
    }
    close(f->fd);
    f->fd = -1;
    x->c->downloaded++;
}

/* Closes f's part file and drops its hashes, so that start_get can open it
 * again (it rehashes what the file holds). */
static void drop_get(hub_file *f)
{
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    if (f->hash) { char junk[65]; sha256_end_hex(f->hash, junk); f->hash = NULL; }
    if (f->ghash) { char junk[41]; gitblob_end_hex(f->ghash, junk); f->ghash = NULL; }
}

/* Answers that may end early (each with new bytes) before a file fails in
 * this run; its part file stays for a rerun (one with a hash listed). */
#define SHORT_BODIES_MAX 32   /* the message below says "32 times" */

/* What becomes of a failed file's partial bytes, for its message: with
 * neither a sha256 nor a git oid listed a rerun cannot tell their version,
 * so it starts over. */
static const char *part_fate(const hub_file *f)
{
    return f->sha256[0] || f->git_oid[0] ? "partial file kept for resume"
                                         : "not resumable across runs: nothing listed to check it "
                                           "by; the next run starts over";
}

/* The GET succeeded but f's part file holds fewer bytes than the listing
 * says: a body that ended without an error (one delimited by the connection's
 * close and cut, or a 206 for less than asked, which RFC 9110 allows). When
 * the answer brought bytes, the rest is asked for with Range; 1 = it was
 * (or f failed: reported), 0 = the file is whole. */
static int resume_short(fetch_ctx *x, hub_file *f)
{
    struct stat st;
    if (f->fd < 0 || fstat(f->fd, &st) != 0 || (uint64_t)st.st_size >= f->size) return 0;
    uint64_t got = (uint64_t)st.st_size;
    if (got > f->have && f->short_bodies < SHORT_BODIES_MAX) {
        f->short_bodies++;
        fetch_emitf(x, FETCH_EV_NOTE, "%s: the server's answer ended at byte %" PRIu64 " of %" PRIu64
                    " without an error; asking for the rest", f->path, got, f->size);
        drop_get(f);
        start_get(x, f);           /* ends in file_finished, as this GET would have */
        return 1;
    }
    fetch_emitf(x, FETCH_EV_ERROR, "%s: download failed: the server's answer ended at byte %" PRIu64
                " of %" PRIu64 " (the listed size) without an error, %s (%s)",
                f->path, got, f->size,
                got > f->have ? "after asking for the rest 32 times in this run" : "with no new bytes",
                part_fate(f));
    file_failed(x, f);
    file_finished(x);
    return 1;
}

static void on_get_done(void *user, int rc, http_response *r, const blalm_err *e)
{
    get_user *g = user;
    fetch_ctx *x = g->x;
    hub_file *f = g->f;
    free(g);
    if (rc != 0 && r->status == 416 && f->short_bodies && f->fd >= 0) {
        /* the rest of an answer that ended early is not there either: the
         * server's file is shorter than the listing says */
        fetch_emitf(x, FETCH_EV_ERROR, "%s: size mismatch: the listing says %" PRIu64 " bytes, the "
                    "server's file ends at byte %" PRIu64 " (HTTP 416 to a request for the rest); "
                    "deleted the partial file %s", f->path, f->size, f->have, f->part);
        unlink(f->part);
        file_failed(x, f);
        file_finished(x);
        return;
    }
    if (rc != 0 && r->status == 416 && !f->restarted && f->fd >= 0) {
        /* the server takes no range from the bytes the part file holds (its
         * file is shorter, or it never serves ranges): those bytes cannot be
         * resumed, and a rerun would ask the same; start over from byte 0,
         * once */
        f->restarted = 1;
        fetch_emitf(x, FETCH_EV_NOTE, "%s: the server answered HTTP 416 (range not satisfiable) when "
                    "the download resumed; deleted the partial file %s and starting over from byte 0",
                    f->path, f->part);
        unlink(f->part);               /* while locked: the name may be another fetch's next */
        drop_get(f);
        start_get(x, f);               /* ends in file_finished, as this GET would have */
        return;
    }
    if (rc != 0) {
        char what[1200];
        struct stat st;   /* file_failed deletes a part file that got no byte */
        int kept = f->fd >= 0 && fstat(f->fd, &st) == 0 && st.st_size > 0;
        snprintf(what, sizeof what, "%s: download failed (%s)", f->path,
                 kept ? part_fate(f) : "no byte received, nothing kept");
        report_http(x, f, what, r, e);
        file_failed(x, f);
    } else {
        const char *et = http_header_get(r, "etag");
        if (!f->etag[0] && et) snprintf(f->etag, sizeof f->etag, "%s", et);
        if (resume_short(x, f)) return;
        finish_file(x, f);
    }
    file_finished(x);
}

/* Fails f with e's message and moves on. */
static void give_up(fetch_ctx *x, hub_file *f, const blalm_err *e)
{
    fetch_emit(x, FETCH_EV_ERROR, 0, e->msg);
    file_failed(x, f);
    file_finished(x);
}

static get_user *new_user(fetch_ctx *x, hub_file *f, blalm_err *e)
{
    get_user *g = malloc(sizeof *g);
    if (!g) { err_set(e, "%s: out of memory", f->path); return NULL; }
    g->x = x;
    g->f = f;
    return g;
}

/* Part files of f from other versions, ".NAME.<12 hex>.part" or the
 * unversioned ".NAME.plain.part" of older runs, other than f->part: their
 * bytes belong to content the listing no longer names, and resuming from
 * them would join two versions, so they go. */
static void drop_other_parts(fetch_ctx *x, hub_file *f)
{
    char *dir = strdup(f->part);
    if (!dir) return;
    char *slash = strrchr(dir, '/');
    const char *mine = slash ? slash + 1 : dir;
    const char *base = strrchr(f->path, '/');
    base = base ? base + 1 : f->path;
    size_t bl = strlen(base);
    if (slash) *slash = 0;
    DIR *d = opendir(slash ? dir : ".");
    if (d) {
        struct dirent *de;
        while ((de = readdir(d))) {
            const char *n = de->d_name;
            size_t nl = strlen(n);
            /* "." + base + "." + key + ".part" */
            if (nl < bl + 7 || n[0] != '.' || strncmp(n + 1, base, bl) || n[bl + 1] != '.' ||
                strcmp(n + nl - 5, ".part") || !strcmp(n, mine))
                continue;
            const char *key = n + bl + 2;
            size_t kl = nl - bl - 2 - 5;
            int versioned = kl == 12 && strspn(key, "0123456789abcdef") >= 12;
            int plain = kl == 5 && !strncmp(key, "plain", 5);
            if (!versioned && !plain) continue;
            char *p = hub_path_join(dir, n, "", "");
            if (p && unlink(p) == 0)
                fetch_emitf(x, FETCH_EV_NOTE, "%s: removed %s, a partial download of another version",
                            f->path, p);
            free(p);
        }
        closedir(d);
    }
    free(dir);
}

static int already_verified(fetch_ctx *x, hub_file *f, int defer, blalm_err *ep);

/* With f's part file locked: a --max-words run into OUT reading f now (it
 * holds its sparse copy's lock, and checks this part file's once it does)
 * would write f's first documents beside the whole file. 0, or -1 (*e; the
 * part file removed when this run made it, empty, and f->fd closed). */
static int words_run_check(fetch_ctx *x, hub_file *f, const struct stat *st, blalm_err *e)
{
    char *sparse = hub_sparse_path(x, f);
    /* no memory for the name: the check is skipped (the run fails soon after) */
    if (!sparse || !hub_lock_held(sparse)) {
        free(sparse);
        return 0;
    }
    if (st->st_size == 0) unlink(f->part);   /* while locked: no other fetch writes it */
    close(f->fd);
    f->fd = -1;
    err_set(e, "%s: a blalm fetch --max-words is reading it into %s now (it holds the lock on %s); run "
               "this fetch again when that one is done", f->path, x->o->out, sparse);
    free(sparse);
    return -1;
}

/* Opens f's part file into f->fd holding flock(LOCK_EX) on it, so that two
 * fetches into one OUT never write one part file at once. 0 = open (and
 * locked, or on a filesystem without flock: unlocked, as before locks);
 * 1 = another fetch has just put f in place (settled: counted as verified);
 * -1 = failed (*e; f->fd closed, the part file left to its owner). */
static int open_part(fetch_ctx *x, hub_file *f, struct stat *st, blalm_err *e)
{
    for (int tries = 0; tries < 3; tries++) {
        f->fd = open(f->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (f->fd < 0 || fstat(f->fd, st) != 0) return err_errno(e, "%s", f->part);
        if (hub_flock_ex_nb(f->fd) != 0) {
            if (errno == EWOULDBLOCK) {
                close(f->fd);
                f->fd = -1;
                return err_set(e, "%s: another blalm fetch is downloading it into %s now (it holds "
                               "the lock on %s); run this fetch again when that one is done",
                               f->path, x->o->out, f->part);
            }
            return 0;   /* no flock here (ENOSYS, ENOLCK, EOPNOTSUPP: some Lustre and FUSE mounts) */
        }
        struct stat now;   /* the name may have moved on between open and flock */
        if (stat(f->part, &now) == 0 && now.st_dev == st->st_dev && now.st_ino == st->st_ino)
            return words_run_check(x, f, st, e);
        close(f->fd);      /* the other fetch's file, renamed into place or removed */
        f->fd = -1;
        blalm_err ve = {{0}};
        int v = already_verified(x, f, 0, &ve);
        if (v < 0) { *e = ve; return -1; }
        if (v) {
            fetch_emitf(x, FETCH_EV_NOTE, "%s: another blalm fetch has just put it in place", f->path);
            return 1;
        }
    }
    return err_set(e, "%s: another process keeps replacing or removing %s", f->path, f->part);
}

/* Opens the part file, hashes what an earlier run left in it, and asks for
 * the rest with Range. */
static void start_get(fetch_ctx *x, hub_file *f)
{
    blalm_err e = {{0}};
    if (mkdir_parent(f->dest, &e) != 0) { give_up(x, f, &e); return; }
    drop_other_parts(x, f);
    struct stat st;
    int o = open_part(x, f, &st, &e);
    if (o < 0) {
        if (f->fd >= 0) close(f->fd);   /* not file_failed's: the part file may be another's */
        f->fd = -1;
        give_up(x, f, &e);
        return;
    }
    if (o == 1) {
        x->c->skipped++;
        file_finished(x);
        return;
    }
    f->have = (uint64_t)st.st_size;
    /* with neither a sha256 nor a blob id listed, nothing tells the part's
     * version from the Hub's now (the same size may hold other bytes):
     * never resumed from an earlier run, so two versions are never joined;
     * in this run (an answer that ended early) its bytes are of the commit
     * this run's HEAD pinned, and the rest is asked for of that commit; a
     * server that named no commit is asked by revision, which may have
     * moved: then it starts over in this run too */
    if (f->have > f->size ||
        (!f->sha256[0] && !f->git_oid[0] && !(f->part_ours && is_commit(f->commit)))) {
        if (ftruncate(f->fd, 0) != 0) { /* fall through; the size check catches it */ }
        f->have = 0;                  /* not ours to trust: start over */
    }
    f->part_ours = 1;
    f->hash = sha256_begin();
    f->ghash = f->git_oid[0] ? gitblob_begin(f->size) : NULL;
    f->hashed = 0;
    if (!f->hash || (f->git_oid[0] && !f->ghash)) {
        err_set(&e, "%s: out of memory", f->path);
        give_up(x, f, &e);
        return;
    }
    if (f->have && hash_prefix(f, f->have, &e) != 0) { give_up(x, f, &e); return; }
    if (!f->short_bodies)             /* after a short answer, on_data counted them */
        fetch_emit(x, FETCH_EV_BYTES, f->have, NULL);
    if (f->have == f->size) {         /* a previous run got every byte */
        finish_file(x, f);
        file_finished(x);
        return;
    }
    get_user *g = new_user(x, f, &e);
    if (!g) { give_up(x, f, &e); return; }
    sbuf u;
    sb_init(&u);
    hub_resolve_url(x, f->path, f->commit, &u);   /* the commit the HEAD answered for */
    http_request rq = {.url = sb_cstr(&u), .headers = x->headers, .follow_redirects = 1,
                       .has_range = f->have > 0, .range_start = f->have, .resume = 1,
                       .on_data = on_data, .on_done = on_get_done, .user = g};
    if (!http_submit(x->http, &rq, &e)) {
        free(g);
        err_prefix(&e, "%s", f->path);
        give_up(x, f, &e);
    }
    sb_free(&u);
}

typedef struct head_user { fetch_ctx *x; hub_file *f; head_hops h; } head_user;

static void submit_head(fetch_ctx *x, head_user *g);

/* f is in place with a matching sidecar but neither a sha256 nor a git oid
 * listed, and its HEAD has answered (in parallel with the others, and the
 * only HEAD it gets): the ETag recorded settles it (1: skipped), else it is
 * downloaded again (0), with a note when the server sends no ETag at all
 * (nothing then tells an unchanged file from a changed one). */
static int etag_settles(fetch_ctx *x, hub_file *f)
{
    f->etag_check = 0;
    if (!f->etag[0]) {
        fetch_emitf(x, FETCH_EV_NOTE, "%s: the server gives no ETag and nothing is listed to check "
                    "it by: downloaded again", f->path);
        return 0;
    }
    if (!hub_sidecar_etag_is(f, f->etag)) return 0;
    fetch_emit(x, FETCH_EV_BYTES, f->size, NULL); /* its size is in the total the progress was given */
    blalm_err e = {{0}};
    /* documents left beside it by a version that removed them only after
     * every file was done, and was killed before that */
    if (hub_drop_words_output(x, f, 0, &e) != 0) {
        fetch_emit(x, FETCH_EV_ERROR, 0, e.msg);
        file_failed(x, f);
        file_finished(x);
        return 1;
    }
    x->c->skipped++;          /* the sidecar records the ETag: nothing to refresh */
    file_finished(x);
    return 1;
}

static void on_head_done(void *user, int rc, http_response *r, const blalm_err *e)
{
    head_user *g = user;
    fetch_ctx *x = g->x;
    hub_file *f = g->f;
    blalm_err ce = {{0}};
    int k = rc == 0 ? head_redirect(x, f, r, &g->h, &ce) : 0;
    if (k == 1) {                  /* a renamed repo: ask its new path */
        submit_head(x, g);
        return;
    }
    head_hops_free(&g->h);
    free(g);
    if (rc != 0) {
        report_http(x, f, f->path, r, e);
        file_failed(x, f);
        file_finished(x);
        return;
    }
    if (k < 0 || hub_check_linked(f, r, &ce) != 0) {
        fetch_emit(x, FETCH_EV_ERROR, 0, ce.msg);
        file_failed(x, f);
        file_finished(x);
        return;
    }
    take_head(f, r);
    if (f->etag_check && etag_settles(x, f)) return;
    start_get(x, f);
}

/* The HEAD of g's last URL (g is freed on failure). */
static void submit_head(fetch_ctx *x, head_user *g)
{
    blalm_err e = {{0}};
    http_request rq = {.method = "HEAD", .url = g->h.url[g->h.n - 1], .headers = x->headers,
                       .on_done = on_head_done, .user = g};
    if (!http_submit(x->http, &rq, &e)) {
        hub_file *f = g->f;
        head_hops_free(&g->h);
        free(g);
        err_prefix(&e, "%s", f->path);
        give_up(x, f, &e);
    }
}

static void start_head(fetch_ctx *x, hub_file *f)
{
    blalm_err e = {{0}};
    head_user *g = malloc(sizeof *g);
    if (!g) { err_set(&e, "%s: out of memory", f->path); give_up(x, f, &e); return; }
    g->x = x;
    g->f = f;
    if (head_hops_start(x, f, &g->h, &e) != 0) { free(g); give_up(x, f, &e); return; }
    submit_head(x, g);
}

static void start_more(fetch_ctx *x)
{
    while (x->active < x->o->jobs && x->next < x->nfiles && !x->stop) {
        hub_file *f = &x->files[x->next++];
        if (f->failed || !f->part) continue;   /* skipped or settled before */
        x->active++;
        start_head(x, f);
    }
}

/* A file already in place: trust a matching sidecar; with no sidecar (or
 * one from before git oids were kept) but the right size, hash it once
 * against the listing's sha256 or git blob id and write the sidecar. The
 * commit and ETag the sidecar records come from a HEAD, as for a download:
 * a run killed between a download's rename and its sidecar leaves the file
 * without one, and a sidecar written from the listing alone recorded an
 * empty commit that no later run repaired. A matching sidecar with an empty
 * commit and an empty ETag (from such a run of an earlier version) is
 * refreshed by a HEAD alone, its sha256 kept: the file was hashed when it was
 * written. An earlier --max-words run's documents of the file are removed
 * before its "file" sidecar is written. 1 = skip it; -1 = it failed (*e). */
static int already_verified(fetch_ctx *x, hub_file *f, int defer, blalm_err *ep)
{
    struct stat st;
    if (stat(f->dest, &st) != 0 || (uint64_t)st.st_size != f->size) return 0;
    char sha[65], git[41];
    blalm_err e;
    if (hub_sidecar_matches(f, "file")) {
        /* nothing listed to check the content by: the HEAD's ETag must be
         * the one recorded (a changed file of the same size matched); with
         * defer, the download's own HEAD decides (etag_settles), in
         * parallel, rather than one more HEAD here, one file at a time */
        if (!f->sha256[0] && !f->git_oid[0]) {
            if (defer) {
                f->etag_check = 1;
                return 0;
            }
            if (hub_head_file(x, f, &e) != 0 || !f->etag[0] || !hub_sidecar_etag_is(f, f->etag))
                return 0;
        }
        /* documents left beside it by a version that removed them only
         * after every file was done, and was killed before that */
        if (hub_drop_words_output(x, f, 0, ep) != 0) return -1;
        if (sidecar_has_commit(f, sha) || !sha[0]) return 1;
        /* a failed HEAD leaves the sidecar for a later run to refresh */
        if (hub_head_file(x, f, &e) == 0 && (f->commit[0] || f->etag[0]))
            (void)hub_sidecar_write(x, f, sha, "file", NULL, &e);
        return 1;
    }
    if (!f->sha256[0] && !f->git_oid[0]) return 0;
    if (f->git_oid[0] && (gitblob_file_hex(f->dest, git, &e) != 0 || strcmp(git, f->git_oid))) return 0;
    if (sha256_file_hex(f->dest, sha, &e) != 0 || (f->sha256[0] && strcmp(sha, f->sha256))) return 0;
    /* no HEAD: download it as usual, whose HEAD fails with a message */
    if (hub_head_file(x, f, &e) != 0) return 0;
    if (hub_drop_words_output(x, f, 1, ep) != 0) return -1;   /* before its "file" sidecar */
    return hub_sidecar_write(x, f, sha, "file", NULL, &e) == 0;
}

static int fetch_files(fetch_ctx *x, blalm_err *e)
{
    fetch_counts *c = x->c;
    uint64_t need = 0;
    for (size_t i = 0; i < x->nfiles; i++) {
        hub_file *f = &x->files[i];
        hub_drop_sparse_part(x, f);
        blalm_err ve = {{0}};
        int v = already_verified(x, f, 1, &ve);
        if (v < 0) {
            fetch_emit(x, FETCH_EV_ERROR, 0, ve.msg);
            file_failed(x, f);
        } else if (v) {
            c->skipped++;
            free(f->part);
            f->part = NULL;        /* marks "nothing to do" for start_more */
        } else {
            need += f->size;
        }
    }
    fetch_emit(x, FETCH_EV_START, need, NULL);
    start_more(x);
    blalm_err re = {{0}};
    if (http_run(x->http, &re) != 0) {
        fetch_emit(x, FETCH_EV_ERROR, 0, re.msg);
        c->run_failed = 1;
    }
    fetch_emit(x, FETCH_EV_END, 0, NULL);
    c->untried = (int)x->nfiles - c->downloaded - c->skipped - c->failures;
    if (c->untried < 0) c->untried = 0;
    if (c->failures || c->untried || c->run_failed) return 0;
    for (size_t i = 0; i < x->nfiles; i++) {
        char *meta = hub_path_join("", x->files[i].path, "", ".meta");
        if (!meta) return err_set(e, "out of memory");
        fetch_emit(x, FETCH_EV_KEEP, 0, x->files[i].path);
        fetch_emit(x, FETCH_EV_KEEP, 0, meta);
        free(meta);
    }
    return 0;
}

/* ---- the stage ------------------------------------------------------------ */

static int cmp_entry_paths(const void *a, const void *b)
{
    return strcmp(((const hub_entry *)a)->path, ((const hub_entry *)b)->path);
}

static int check_opts(const fetch_opts *o, blalm_err *e)
{
    if (!o->repo || !hub_repo_valid(o->repo))
        return err_set(e, "repo '%s' is not OWNER/NAME", o->repo ? o->repo : "");
    if (!o->revision || !*o->revision) return err_set(e, "the revision is empty");
    if (!o->path) return err_set(e, "no path given");
    if (*o->path && hub_path_problem(o->path, ""))
        return err_set(e, "path '%s': %s", o->path, hub_path_problem(o->path, ""));
    if (!o->endpoint || (strncasecmp(o->endpoint, "http://", 7) && strncasecmp(o->endpoint, "https://", 8)))
        return err_set(e, "HF_ENDPOINT must start with http:// or https://");
    if (!o->out && !o->dry_run) return err_set(e, "no output folder given");
    if (o->jobs < 1 || o->jobs > 64) return err_set(e, "jobs %d is not in 1..64", o->jobs);
    if (o->shard.count < 1 || o->shard.index < 0 || o->shard.index >= o->shard.count)
        return err_set(e, "shard %d/%d is not a shard", o->shard.index, o->shard.count);
    if (o->max_words && o->shard.count > 1)
        return err_set(e, "--max-words takes the listed files in order until N words, so it cannot "
                          "be split over shards (this is shard %d/%d from %s); run it as one process",
                       o->shard.index, o->shard.count, o->shard.origin ? o->shard.origin : "?");
    return 0;
}

/* For a listing path DIR/.NAME.KEY.part (KEY: 12 hex digits or "plain"),
 * the name of a download's part file: DIR/NAME, malloc'd; else NULL. */
static char *part_owner(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t bl = strlen(base);
    if (base[0] != '.' || bl < 1 + 1 + 1 + 5 + 5 || strcmp(base + bl - 5, ".part")) return NULL;
    const char *dot = base + bl - 5;              /* ".part" */
    const char *k = dot;
    while (k > base + 1 && k[-1] != '.') k--;     /* KEY starts after the last '.' before it */
    size_t kl = (size_t)(dot - k);
    if (k <= base + 2 || !((kl == 12 && strspn(k, "0123456789abcdef") >= 12) ||
                           (kl == 5 && !strncmp(k, "plain", 5))))
        return NULL;
    size_t dl = (size_t)(base - path), nl = (size_t)(k - 1 - (base + 1));
    char *o = malloc(dl + nl + 1);
    if (!o) return NULL;
    memcpy(o, path, dl);
    memcpy(o + dl, base + 1, nl);
    o[dl + nl] = 0;
    return o;
}

/* Refuses a listing (sorted) that holds both X and X.meta: X's sidecar is
 * OUT/X.meta (the name the other stages read), so the dataset's own X.meta
 * would be overwritten by it, or taken for it. Likewise X and DIR/.X.KEY.part,
 * the name of X's part file (or one of another version's, which X's download
 * deletes: the run ended "0 failed" with that listed file gone). Checked on
 * the whole listing before any download, whichever shard this is. */
static int sidecar_clash(const hub_listing *l, blalm_err *e)
{
    for (size_t i = 0; i < l->n; i++) {
        size_t pl = strlen(l->v[i].path);
        char *owner = part_owner(l->v[i].path);
        if (!owner && (pl < 6 || strcmp(l->v[i].path + pl - 5, ".meta"))) continue;
        hub_entry key = {.path = owner ? owner : strndup(l->v[i].path, pl - 5)};
        if (!key.path) return err_set(e, "out of memory");
        const hub_entry *hit = bsearch(&key, l->v, l->n, sizeof *l->v, cmp_entry_paths);
        free(key.path);
        if (!hit) continue;
        char a[300], b[300];
        hub_printable(hit->path, a, sizeof a);
        hub_printable(l->v[i].path, b, sizeof b);
        if (owner)
            return err_set(e, "the listing holds both \"%s\" and \"%s\": blalm downloads a file into a "
                              "part file named like the second beside it (and deletes those of other "
                              "versions), so the two would clash; nothing was downloaded (--include can "
                              "pick the files wanted without one of the two)", a, b);
        return err_set(e, "the listing holds both \"%s\" and \"%s\": blalm keeps what it knows of a "
                          "downloaded file in FILE.meta beside it, so the second would be overwritten "
                          "by the first one's sidecar; nothing was downloaded (--include can pick the files "
                          "wanted without one of the two)", a, b);
    }
    return 0;
}

/* Keeps this shard's entries of the sorted listing, as hub_files. */
static int take_shard(fetch_ctx *x, hub_listing *l, blalm_err *e)
{
    const fetch_opts *o = x->o;
    x->files = calloc(l->n ? l->n : 1, sizeof *x->files);
    if (!x->files) return err_set(e, "out of memory");
    for (size_t i = 0; i < l->n; i++) {
        if (!shard_owns(&o->shard, i)) continue;
        hub_file *f = &x->files[x->nfiles++];
        f->path = l->v[i].path;
        l->v[i].path = NULL;
        f->size = l->v[i].size;
        memcpy(f->sha256, l->v[i].sha256, sizeof f->sha256);
        memcpy(f->git_oid, l->v[i].git_oid, sizeof f->git_oid);
        f->fd = -1;
        x->c->bytes += f->size;
        if (o->dry_run) continue;
        /* the part file is named by the version it holds, so that a rerun
         * never resumes bytes of another version */
        char suffix[40];
        snprintf(suffix, sizeof suffix, ".%.12s.part",
                 f->sha256[0] ? f->sha256 : f->git_oid[0] ? f->git_oid : "plain");
        f->dest = hub_path_join(o->out, f->path, "", "");
        f->part = hub_path_join(o->out, f->path, ".", suffix);
        f->meta = hub_path_join(o->out, f->path, "", ".meta");
        if (!f->dest || !f->part || !f->meta) return err_set(e, "out of memory");
    }
    x->c->files = x->nfiles;
    return 0;
}

int fetch_run(const fetch_opts *o, fetch_counts *c, fetch_event_fn cb, void *cb_arg, blalm_err *e)
{
    memset(c, 0, sizeof *c);
    if (check_opts(o, e) != 0) return -1;
    fetch_ctx x = {.o = o, .c = c, .cb = cb, .cb_arg = cb_arg};
    int rc = -1;
    hub_listing l = {0};
    if (o->token && *o->token) {
        size_t n = strlen(o->token) + 32;
        x.auth = malloc(n);
        if (!x.auth) return err_set(e, "out of memory");
        snprintf(x.auth, n, "Authorization: Bearer %s", o->token);
        x.headers[0] = x.auth;
    }
    http_client_opts ho = {0};
    ho.max_in_flight = o->jobs;
    ho.delay_scale = o->delay_scale;
    x.http = http_client_new(&ho, e);
    if (!x.http) goto done;
    hub_where w = {o->endpoint, o->repo, o->revision, o->path, x.headers, o->token != NULL};
    long status;
    if (hub_list(x.http, &w, o->include, o->ninclude, o->max_files, &l, &status, e) != 0) goto done;
    c->listed = l.n;
    if (l.n == 0) {
        err_set(e, "no files under '%s' in %s at %s%s", o->path, o->repo, o->revision,
                o->ninclude ? " match --include" : "");
        goto done;
    }
    if (!o->dry_run && sidecar_clash(&l, e) != 0) goto done;
    if (take_shard(&x, &l, e) != 0) goto done;
    if (o->dry_run) {
        rc = 0;
        for (size_t i = 0; i < x.nfiles && rc == 0; i++) {
            fetch_emit(&x, FETCH_EV_FILE, x.files[i].size, x.files[i].path);
            size_t pl = strlen(x.files[i].path);
            if (!o->count_rows || pl < 8 || strcmp(x.files[i].path + pl - 8, ".parquet")) continue;
            c->parquets++;
            /* the fetch reads no footer past its budget either */
            if (o->footers_to_budget && o->max_words &&
                (double)c->text_bytes / FETCH_BYTES_PER_WORD >= (double)o->max_words)
                continue;
            uint64_t rows, tb;
            rc = hub_footer_stats(&x, &x.files[i], &rows, &tb, e);
            if (rc != 0 && o->footers_to_budget) {
                /* a plan, not the fetch: the rest of the listing still shown */
                fetch_emitf(&x, FETCH_EV_NOTE, "%s (its footer is not counted; the fetch would stop "
                            "with this error when it reaches the file)", e->msg);
                memset(e, 0, sizeof *e);
                c->footer_errors++;
                rc = 0;
            } else if (rc == 0) {
                c->rows += rows;
                c->text_bytes += tb;
                c->footers++;
            }
        }
    } else if (o->max_words) {
        rc = fetch_words(&x, e);
    } else {
        rc = fetch_files(&x, e);
    }
done:
    hub_listing_free(&l);
    http_client_free(x.http);
    hub_listed_free(&x);
    for (size_t i = 0; i < x.nfiles; i++) {
        free(x.files[i].path);
        free(x.files[i].dest);
        free(x.files[i].part);
        free(x.files[i].meta);
    }
    free(x.files);
    if (x.auth) {
        memset(x.auth, 0, strlen(x.auth));
        free(x.auth);
    }
    return rc;
}
