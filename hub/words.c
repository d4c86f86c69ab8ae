/* words.c - fetch with --max-words: the footer, then only the first row
 * groups of each parquet file, decoded into .jsonl.zst documents until the
 * word budget is spent (hub.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "hub/hub.h"
#include "hub/internal.h"
#include "lib/docs.h"
#include "lib/fsutil.h"
#include "lib/parquet.h"
#include "lib/utf8.h"

/* Fetches bytes [off, off+len) of a file through /resolve/ into buf (len
 * bytes) or, with fd >= 0, into fd (the file `name`) at the same offset. */
typedef struct range_sink { uint8_t *buf; int fd; uint64_t base; const char *name; } range_sink;

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
        if (k < 0) return err_errno(e, "%s: write", s->name);
        c += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

/* Appends "\n  hint: ..." for a failure that has one. */
static void add_hint(const fetch_ctx *x, const hub_file *f, const http_response *r, blalm_err *e)
{
    hub_add_error_message(r, x->headers, e);
    const char *h = hub_fail_hint(x, f, r);
    if (!h) return;
    char m[BLALM_ERR_MAX];
    snprintf(m, sizeof m, "%s\n  hint: %s", e->msg, h);
    memcpy(e->msg, m, sizeof m);
}

static int fetch_range(fetch_ctx *x, const hub_file *f, uint64_t off, uint64_t len, uint8_t *buf,
                       int fd, const char *fd_name, blalm_err *e)
{
    sbuf u;
    sb_init(&u);
    hub_resolve_url(x, f->path, f->commit, &u);   /* pinned after fetch_words_file's HEAD */
    range_sink s = {buf, fd, off, fd_name};
    http_request rq = {.url = sb_cstr(&u), .headers = x->headers, .follow_redirects = 1,
                       .has_range = 1, .range_start = off, .range_end = off + len, .resume = 1,
                       .on_data = range_data, .user = &s};
    http_response r;
    int rc = http_fetch(x->http, &rq, &r, e);
    /* an answer may end early without an error (a 206 for fewer bytes than
     * asked, which RFC 9110 allows, or a body delimited by the connection's
     * close and cut): the rest is asked for while each answer brings bytes,
     * as download.c does for whole files */
    uint64_t got = rc == 0 ? r.bytes : 0;
    for (int tries = 1; rc == 0 && got < len && r.bytes > 0 && tries <= 32; tries++) {   /* the rest asked 32 times */
        http_response_free(&r);
        rq.range_start = off + got;
        rc = http_fetch(x->http, &rq, &r, e);
        if (rc == 0) got += r.bytes;
    }
    if (rc == 0 && got != len)
        rc = err_set(e, "%s: asked for %" PRIu64 " bytes at %" PRIu64 ", got %" PRIu64 " (the server's "
                     "answers ended early without an error)", f->path, len, off, got);
    if (rc == 0) fetch_emit(x, FETCH_EV_BYTES, len, NULL);
    if (rc != 0 && r.status) add_hint(x, f, &r, e);
    http_response_free(&r);
    sb_free(&u);
    return rc;
}

/* BASE/PATH-folder/<stem>-00000.jsonl.zst: what docw_open names the one
 * shard (BASE "" gives the path relative to the output folder). */
static char *words_output_in(const char *base, const hub_file *f)
{
    const char *slash = strrchr(f->path, '/');
    const char *name = slash ? slash + 1 : f->path;
    char stem[1024], file[1100];
    doc_rel_stem(name, stem, sizeof stem);
    snprintf(file, sizeof file, "%.*s%s-00000.jsonl.zst", slash ? (int)(slash - f->path + 1) : 0, f->path,
             stem);
    return hub_path_join(base, file, "", "");
}

static char *words_output(const fetch_ctx *x, const hub_file *f)
{
    return words_output_in(x->o->out, f);
}

/* A --max-words sidecar from an earlier run of this file with the same
 * word budget (or a whole file that fits in it): its words, or -1. With
 * neither a sha256 nor a git oid listed, the size alone matches a changed
 * file: the HEAD's ETag must be the one recorded (*headed = 1: f's commit
 * and ETag are that HEAD's; -2 with *e when that HEAD failed, which the
 * download would only ask again). */
static int64_t words_reusable(fetch_ctx *x, hub_file *f, uint64_t budget, int *headed, blalm_err *he)
{
    char *out = words_output(x, f);
    int have = out && file_exists(out);
    free(out);
    if (!have || !hub_sidecar_matches(f, "max-words")) return -1;
    if (!f->sha256[0] && !f->git_oid[0]) {
        if (hub_head_file(x, f, he) != 0) return -2;
        *headed = 1;
        if (!f->etag[0] || !hub_sidecar_etag_is(f, f->etag)) return -1;
    }
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

/* Two range requests: the last 8 bytes (footer length, PAR1), then the
 * footer, parsed. Fills tail, *footer (malloc'd; the caller frees it), its
 * length and offset; NULL with e set on a short or malformed file. */
static pq_meta *fetch_footer(fetch_ctx *x, const hub_file *f, uint8_t tail[8], uint8_t **footer,
                             uint32_t *flen_out, uint64_t *foff_out, blalm_err *e)
{
    *footer = NULL;
    if (f->size < 12) {
        err_set(e, "%s: %" PRIu64 " bytes is too small for parquet", f->path, f->size);
        return NULL;
    }
    if (fetch_range(x, f, f->size - 8, 8, tail, -1, NULL, e) != 0) return NULL;
    if (memcmp(tail + 4, "PAR1", 4)) {
        err_set(e, "%s: byte %" PRIu64 ": expected the parquet magic PAR1 at the end of the file", f->path,
                f->size - 4);
        return NULL;
    }
    uint32_t flen = (uint32_t)tail[0] | (uint32_t)tail[1] << 8 | (uint32_t)tail[2] << 16 |
                    (uint32_t)tail[3] << 24;
    if ((uint64_t)flen + 12 > f->size) {
        err_set(e, "%s: byte %" PRIu64 ": footer length %u does not fit in a %" PRIu64 "-byte file", f->path,
                f->size - 8, flen, f->size);
        return NULL;
    }
    uint64_t foff = f->size - 8 - flen;
    uint8_t *b = malloc(flen ? flen : 1);
    if (!b) {
        err_set(e, "out of memory");
        return NULL;
    }
    if (fetch_range(x, f, foff, flen, b, -1, NULL, e) != 0) {
        free(b);
        return NULL;
    }
    pq_meta *m = pq_meta_parse(b, flen, foff, e);
    if (!m) {
        free(b);
        err_prefix(e, "%s", f->path);
        return NULL;
    }
    *footer = b;
    *flen_out = flen;
    *foff_out = foff;
    return m;
}

int hub_footer_stats(fetch_ctx *x, const hub_file *f, uint64_t *rows, uint64_t *text_bytes, blalm_err *e)
{
    uint8_t tail[8], *footer;
    uint32_t flen;
    uint64_t foff;
    pq_meta *m = fetch_footer(x, f, tail, &footer, &flen, &foff, e);
    if (!m) return -1;
    int64_t n = pq_meta_num_rows(m), b = pq_meta_column_bytes(m, "text");
    pq_meta_free(m);
    free(footer);
    if (b < 0) return err_set(e, "%s: no column named 'text' in the footer's schema", f->path);
    *rows = n > 0 ? (uint64_t)n : 0;
    /* a PLAIN byte-array value carries a 4-byte length before its bytes */
    *text_bytes = (uint64_t)b > 4 * *rows ? (uint64_t)b - 4 * *rows : 0;
    return 0;
}

/* Opens (creates) f's sparse copy SPARSE emptied, holding flock(LOCK_EX) on
 * it until closed: a fetch's cleanup (hub_drop_sparse_part) removes only a
 * copy no process holds, a killed run's, not a live run's. -1 (e set) when
 * another process holds it: a --max-words fetch into the same folder
 * reading that file now. */
static int open_sparse(const char *sparse, blalm_err *e)
{
    for (int tries = 0; tries < 8; tries++) {
        int fd = open(sparse, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) return err_errno(e, "%s", sparse);
        /* a filesystem without flock (ENOSYS, ENOLCK, EOPNOTSUPP: some
         * Lustre and FUSE mounts) goes on unlocked, as before locks */
        if (hub_flock_ex_nb(fd) != 0 && errno == EWOULDBLOCK) {
            close(fd);
            return err_set(e, "%s: another --max-words fetch into this folder is reading this file "
                              "now (it holds this sparse copy); run one at a time", sparse);
        }
        /* a cleanup may have removed the name between open and flock */
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(sparse, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            if (ftruncate(fd, 0) == 0) return fd;
            err_errno(e, "%s", sparse);
            unlink(sparse);
            close(fd);
            return -1;
        }
        close(fd);
    }
    return err_set(e, "%s: removed by another process as it was opened, 8 times", sparse);
}

/* Builds a sparse local copy holding the footer and the first row groups
 * at their true offsets (the rest are holes), decodes them with the parquet
 * reader and writes documents until `budget` words. */
static int fetch_words_file(fetch_ctx *x, hub_file *f, uint64_t *budget, blalm_err *e)
{
    int headed = 0;
    int64_t reuse = words_reusable(x, f, *budget, &headed, e);
    if (reuse == -2) return -1;
    if (reuse >= 0) {
        *budget -= (uint64_t)reuse < *budget ? (uint64_t)reuse : *budget;
        x->c->skipped++;
        return 0;
    }
    if (!headed && hub_head_file(x, f, e) != 0) return -1;
    uint8_t tail[8], *footer;
    uint32_t flen;
    uint64_t foff;
    pq_meta *m = fetch_footer(x, f, tail, &footer, &flen, &foff, e);
    if (!m) return -1;

    char *sparse = hub_sparse_path(x, f);
    /* "<source>/<path in the repo without extension>": the stem docs_walk
     * gives the file once under WORK/docs/<source> (--out), not the hidden
     * sparse file's name, which is the same for same-named files in other
     * folders */
    char id_stem[4096], rel[4096];
    snprintf(rel, sizeof rel, "%s/%s", x->source, f->path);
    doc_rel_stem(rel, id_stem, sizeof id_stem);
    int fd = -1, rc = -1, ngroups = pq_meta_row_groups(m), used = 0, complete = 0;
    doc_writer *w = NULL;
    uint64_t words = 0, docs = 0, want = *budget, fetched = 0;
    if (!sparse) { err_set(e, "out of memory"); goto out; }
    if (mkdir_parent(sparse, e) != 0) goto out;
    fd = open_sparse(sparse, e);
    if (fd < 0) {
        free(sparse);
        sparse = NULL;        /* not this run's to remove */
        goto out;
    }
    /* a whole fetch into OUT now: it checks this copy's lock once it holds
     * its part file's, so one of two fetches started at once sees the other */
    if (f->part && hub_lock_held(f->part)) {
        err_set(e, "%s: another blalm fetch is downloading it whole into %s now (it holds the lock on %s): "
                   "--max-words would write its first documents beside the whole file; nothing written",
                f->path, x->o->out, f->part);
        goto out;
    }
    if (x->o->refuse_whole && f->dest && file_exists(f->dest)) {   /* put in place since the start */
        err_set(e, "%s is here whole (a fetch without --max-words has just put it in place): --max-words "
                   "would write its first documents beside it; nothing written", f->dest);
        goto out;
    }
    if (ftruncate(fd, (off_t)f->size) != 0 || pwrite(fd, "PAR1", 4, 0) != 4 ||
        pwrite(fd, footer, flen, (off_t)foff) != (ssize_t)flen ||
        pwrite(fd, tail, 8, (off_t)(f->size - 8)) != 8) {
        err_errno(e, "%s", sparse);
        goto out;
    }
    {
        char *dir = hub_path_join(x->o->out, f->path, "", "");
        if (!dir) { err_set(e, "out of memory"); goto out; }
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
        if (fetch_range(x, f, off, len, NULL, fd, sparse, e) != 0) goto out;
        fetched += len;
        used = g + 1;
        /* decode only the group just fetched (the earlier ones are written);
         * rows keep the file's numbering, and generated ids are the ones a
         * read of the whole file under the docs root gives */
        doc_opts o = {0};
        o.first_row_group = g;
        o.max_row_groups = used;
        o.default_source = x->source;
        o.id_stem = id_stem;
        doc_reader *rd = doc_open(sparse, &o, e);
        if (!rd) { err_prefix(e, "%s", f->path); goto out; }
        blalm_doc d;
        int k;
        while (words < want && (k = doc_next(rd, &d, e)) == 1) {
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
        if (hub_sidecar_write(x, f, f->sha256, "max-words", extra, e) != 0) { rc = -1; goto out; }
    }
    fetch_emitf(x, FETCH_EV_NOTE, "%s: %d of %d row groups (%.1f of %.1f MB), %" PRIu64
                " documents, %" PRIu64 " words", f->path, used, ngroups, (fetched + flen + 8) / 1e6,
                f->size / 1e6, docs, words);
out:
    if (w) docw_abort(w);
    if (sparse && fd >= 0) unlink(sparse);   /* while locked: the name may be another run's next */
    if (fd >= 0) close(fd);
    free(sparse);
    pq_meta_free(m);
    free(footer);
    return rc;
}

/* Removes an earlier --max-words output of a file this run does not need,
 * so OUT holds exactly the documents asked for. */
static void drop_stale_words_output(fetch_ctx *x, hub_file *f)
{
    if (!hub_sidecar_matches(f, "max-words")) return;
    char *out = words_output(x, f);
    if (out && file_exists(out) && unlink(out) == 0)
        fetch_emitf(x, FETCH_EV_NOTE, "removed %s (from an earlier --max-words run; not needed now)",
                    out);
    unlink(f->meta);
    free(out);
}

int hub_sidecar_is_words(const hub_file *f)
{
    cJSON *j = hub_sidecar_json(f);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "path");
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "kind");
    int r = cJSON_IsString(p) && !strcmp(p->valuestring, f->path) && cJSON_IsString(k) &&
            !strcmp(k->valuestring, "max-words");
    cJSON_Delete(j);
    return r;
}

char *hub_sparse_path(const fetch_ctx *x, const hub_file *f)
{
    return hub_path_join(x->o->out, f->path, ".", ".sparse.part");
}

/* The probe below holds LOCK_SH for an instant, so an owner taking its lock
 * at that moment would see EWOULDBLOCK from a lock nobody keeps: owners try
 * a few times over 20 ms before they report another fetch (a real holder
 * keeps its lock for the whole file). */
int hub_flock_ex_nb(int fd)
{
    for (int tries = 0;; tries++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) return 0;
        if (errno != EWOULDBLOCK || tries == 9) return -1;
        struct timespec ts = {0, 2 * 1000 * 1000};
        nanosleep(&ts, NULL);
        errno = EWOULDBLOCK;
    }
}

int hub_lock_held(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    int held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return held;
}

static int path_ptr_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int hub_listed(fetch_ctx *x, const char *rel)
{
    if (!x->by_path && x->nfiles > 0 && (x->by_path = malloc(x->nfiles * sizeof *x->by_path))) {
        for (size_t i = 0; i < x->nfiles; i++) x->by_path[i] = x->files[i].path;
        qsort(x->by_path, x->nfiles, sizeof *x->by_path, path_ptr_cmp);
    }
    if (x->by_path) return bsearch(&rel, x->by_path, x->nfiles, sizeof *x->by_path, path_ptr_cmp) != NULL;
    for (size_t i = 0; i < x->nfiles; i++)   /* no memory for the index */
        if (!strcmp(x->files[i].path, rel)) return 1;
    return 0;
}

void hub_listed_free(fetch_ctx *x)
{
    free(x->by_path);
    x->by_path = NULL;
}

int hub_drop_words_output(fetch_ctx *x, const hub_file *f, int words_sidecar, blalm_err *e)
{
    size_t pl = strlen(f->path);
    if (pl < 8 || strcmp(f->path + pl - 8, ".parquet")) return 0;   /* --max-words writes none */
    /* the evidence that an earlier --max-words run wrote them: f's own
     * sidecar, of kind "max-words", while it is still there */
    if (words_sidecar && !hub_sidecar_is_words(f)) return 0;
    char *rel = words_output_in("", f), *out = words_output(x, f);
    char *meta = out ? malloc(strlen(out) + sizeof ".meta") : NULL;
    if (meta) sprintf(meta, "%s.meta", out);
    if (!rel || !out || !meta) {
        free(rel);
        free(out);
        free(meta);
        return err_set(e, "out of memory");
    }
    struct stat st;
    int listed = hub_listed(x, rel);   /* a file of the listing itself is never another's documents */
    int rc = 0;
    /* not there (lstat first: unlink on a read-only mount says EROFS, not
     * ENOENT, for a name that is not there); a file with a sidecar of its own
     * is a file of the repository a fetch put there (another shard's, or one
     * an --include left out now), not --max-words documents */
    if (listed || lstat(out, &st) != 0 || lstat(meta, &st) == 0) {
        /* nothing to do */
    } else if (unlink(out) == 0) {
        fetch_emitf(x, FETCH_EV_NOTE, "removed %s (an earlier --max-words run's first documents of %s, "
                    "which is now here whole)", out, f->path);
    } else if (errno != ENOENT) {
        rc = err_errno(e, "%s: cannot remove an earlier --max-words run's first documents of %s, which "
                       "every command reading %s would read twice beside the whole file", out, f->path,
                       x->o->out);
    }
    free(rel);
    free(out);
    free(meta);
    return rc;
}

void hub_drop_sparse_part(fetch_ctx *x, const hub_file *f)
{
    char *sparse = hub_sparse_path(x, f);
    int fd = sparse ? open(sparse, O_RDONLY | O_CLOEXEC) : -1;
    /* a live --max-words run holds a lock on its copy (open_sparse) */
    /* (a filesystem without flock, as some Lustre and FUSE mounts: no run
     * holds one there, and the copy is removed as before locks) */
    if (fd >= 0 && (hub_flock_ex_nb(fd) == 0 || errno != EWOULDBLOCK) && unlink(sparse) == 0)
        fetch_emitf(x, FETCH_EV_NOTE, "removed %s (a killed --max-words run's partial copy of %s)", sparse,
                    f->path);
    if (fd >= 0) close(fd);
    free(sparse);
}

/* With refuse_whole: a listed .parquet file already in OUT whole (a fetch
 * without --max-words put it there) is refused before any request, naming
 * it: --max-words would write its first documents beside it, and every
 * command reading OUT would read those twice. */
static int refuse_whole_files(fetch_ctx *x, blalm_err *e)
{
    for (size_t i = 0; i < x->nfiles; i++) {
        const hub_file *f = &x->files[i];
        size_t pl = strlen(f->path);
        if (pl < 8 || strcmp(f->path + pl - 8, ".parquet") || !f->dest || !file_exists(f->dest)) continue;
        char *out = words_output(x, f);
        err_set(e, "%s is here whole (a fetch without --max-words downloaded it): --max-words would write "
                   "its first documents beside it as %s, and every command reading %s would read them "
                   "twice; nothing was fetched (remove the whole files, or fetch into another folder)",
                f->dest, out ? out : "<name>-00000.jsonl.zst", x->o->out);
        free(out);
        return -1;
    }
    return 0;
}

int fetch_words(fetch_ctx *x, blalm_err *e)
{
    if (x->o->refuse_whole && refuse_whole_files(x, e) != 0) return -1;
    /* a killed run's copies, of files this run may never reach (a smaller
     * budget, another --include): a whole remote file's size each, on disk
     * as much as it had fetched */
    for (size_t i = 0; i < x->nfiles; i++) hub_drop_sparse_part(x, &x->files[i]);
    /* the documents' source, as docs_walk would name it: the folder under WORK/docs */
    char srcbuf[256], tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", x->o->out);
    size_t l = strlen(tmp);
    while (l > 1 && tmp[l - 1] == '/') tmp[--l] = 0;
    const char *b = strrchr(tmp, '/');
    snprintf(srcbuf, sizeof srcbuf, "%s", b ? b + 1 : tmp);
    x->source = srcbuf;
    fetch_emit(x, FETCH_EV_START, 0, NULL);
    uint64_t budget = x->o->max_words;
    int rc = 0;
    for (size_t i = 0; i < x->nfiles && !rc; i++) {
        hub_file *f = &x->files[i];
        if (budget == 0) { drop_stale_words_output(x, f); continue; }
        size_t pl = strlen(f->path);
        if (pl < 8 || strcmp(f->path + pl - 8, ".parquet")) {
            /* a README, a .gitattributes: holds no documents to count */
            fetch_emitf(x, FETCH_EV_NOTE, "%s: skipped, not a .parquet file (--max-words reads parquet)",
                        f->path);
            continue;
        }
        int before = x->c->skipped;
        if (fetch_words_file(x, f, &budget, e) != 0) rc = -1;
        else {
            f->kept = 1;
            if (x->c->skipped == before) x->c->downloaded++;
        }
    }
    fetch_emit(x, FETCH_EV_END, 0, NULL);
    for (size_t i = 0; i < x->nfiles && !rc; i++) {
        if (!x->files[i].kept) continue;
        char *out = words_output_in("", &x->files[i]), *meta = hub_path_join("", x->files[i].path, "", ".meta");
        if (out && meta) {
            fetch_emit(x, FETCH_EV_KEEP, 0, out);
            fetch_emit(x, FETCH_EV_KEEP, 0, meta);
        } else {
            rc = err_set(e, "out of memory");
        }
        free(out);
        free(meta);
    }
    x->source = NULL;
    x->c->words_left = budget;
    return rc;
}
