/* internal.h - state shared by hub/download.c and hub/words.c (not public). */
#ifndef BLALM_HUB_INTERNAL_H
#define BLALM_HUB_INTERNAL_H

#include <stdint.h>
#include <cjson/cJSON.h>

#include "hub/hub.h"
#include "lib/hash.h"
#include "lib/http.h"
#include "lib/sbuf.h"

typedef struct hub_file {
    char *path;                /* path in the repo, validated (owned) */
    uint64_t size;
    char sha256[65];           /* LFS oid; "" for plain git files */
    char git_oid[41];          /* plain git file: its blob id from the listing ("" = none listed) */
    char *dest, *part, *meta;  /* part = NULL: nothing to do (verified before) */
    /* download state */
    int fd;
    uint64_t have;             /* bytes in the part file when the GET started */
    sha256_ctx *hash;
    gitblob_ctx *ghash;        /* with git_oid: the blob id of the same bytes */
    uint64_t hashed;           /* bytes fed to hash (and ghash), in order */
    int hash_broken;           /* bytes arrived out of order: rehash the file */
    char commit[80], etag[160];
    int failed;
    int restarted;             /* a 416 to a resume made it start over from byte 0 (once) */
    int short_bodies;          /* answers that ended early without an error, resumed */
    int part_ours;             /* the part file holds only this run's bytes (of the commit
                                * this run's HEAD pinned): resumable even with no hash listed */
    int etag_check;            /* in place with a matching sidecar but nothing listed to check
                                * it by: skipped when its HEAD's ETag is the one recorded */
    int kept;                  /* --max-words: its documents are in this run's output */
} hub_file;

typedef struct fetch_ctx {
    const fetch_opts *o;
    fetch_counts *c;
    fetch_event_fn cb;
    void *cb_arg;
    const char *source;        /* --max-words: documents' default source */
    char *auth;                /* "Authorization: Bearer ..." or NULL */
    const char *headers[3];
    http_client *http;
    hub_file *files;           /* this shard's files, in listing order */
    size_t nfiles;
    const char **by_path;      /* files' paths, sorted (hub_listed builds it on first use) */
    size_t next;               /* next file to start */
    int active;
    int stop;                  /* 401/403: start no more files */
} fetch_ctx;

/* Events (cb may be NULL). */
void fetch_emit(fetch_ctx *x, int kind, uint64_t n, const char *msg);
void fetch_emitf(fetch_ctx *x, int kind, const char *fmt, ...) BLALM_PRINTF(3, 4);

/* Percent-encodes s; keeps '/' when keep_slash. */
void hub_url_encode(sbuf *b, const char *s, int keep_slash);
/* {ep}/datasets/{repo}/resolve/{rev}/{path}, with commit in place of the
 * revision when it is a commit id (40 hex digits: X-Repo-Commit of the
 * file's HEAD), so that every request for a file reads one version. */
void hub_resolve_url(const fetch_ctx *x, const char *path, const char *commit, sbuf *u);
/* a/b, or a/dir(b)/<pre>base(b)<suf>; NULL when out of memory. */
char *hub_path_join(const char *a, const char *b, const char *pre, const char *suf);

/* HEAD /resolve/, synchronously, following a bare redirect on the same
 * origin (a renamed repo) but never one that carries the file's headers
 * (to the file host) nor one to another origin (an error): checks it with
 * hub_check_linked, then fills f->commit (which pins f's later requests)
 * and f->etag for the sidecar. */
int hub_head_file(fetch_ctx *x, hub_file *f, blalm_err *e);
/* X-Linked-Size and, for an LFS file, X-Linked-Etag (its sha256, quotes and
 * W/ stripped) of a HEAD answer against the listing: -1 with a message
 * naming the file and both values (it changed on the Hub since the listing)
 * when one differs; 0 when they agree or are absent. */
int hub_check_linked(const hub_file *f, const http_response *r, blalm_err *e);

/* FILE.meta: matches f (path, size, sha256 or git oid, kind)? */
int hub_sidecar_matches(const hub_file *f, const char *want_kind);
/* f's sidecar records this ETag? */
int hub_sidecar_etag_is(const hub_file *f, const char *etag);
/* f's sidecar (f->meta) parsed, or NULL when it is not there or no JSON. */
cJSON *hub_sidecar_json(const hub_file *f);
int hub_sidecar_write(const fetch_ctx *x, const hub_file *f, const char *sha, const char *kind,
                      const char *extra_json, blalm_err *e);

/* The request for f was redirected (to the file host: the CDN), so its
 * failure is the file host's, not the Hub's. */
int hub_from_file_host(const fetch_ctx *x, const hub_file *f, const http_response *r);
/* What to tell a user about r's failure, or NULL (hub_hint, except for a
 * 403 from the file host: an expired signed link, not a gated repo). */
const char *hub_fail_hint(const fetch_ctx *x, const hub_file *f, const http_response *r);

/* words.c: the --max-words run over x->files. */
int fetch_words(fetch_ctx *x, blalm_err *e);
/* Removes f's --max-words documents (OUT/PATH/<stem>-00000.jsonl.zst, the
 * one file such a run writes for a .parquet file), with a note; nothing if
 * there are none or f is no .parquet file. Called once the whole file is
 * verified and before its "file" sidecar is written, so that a run killed at
 * any point leaves either those documents under a "max-words" sidecar (the
 * next fetch removes them) or the whole file alone. words_sidecar: only when
 * f's sidecar is still a --max-words run's (else the caller knows the file
 * whole from its "file" sidecar: documents an older blalm left beside it). A
 * name with a sidecar of its own is a repository file, never removed. -1
 * (e set) when they are there and cannot be removed. */
int hub_drop_words_output(fetch_ctx *x, const hub_file *f, int words_sidecar, blalm_err *e);
/* 1 when rel is the path of one of x->files (n log n for a listing of n
 * files asked about each: a sorted index, built on the first call, when
 * there is memory for it, else a scan); hub_listed_free frees the index. */
int hub_listed(fetch_ctx *x, const char *rel);
void hub_listed_free(fetch_ctx *x);
/* 1 when f's sidecar is a --max-words run's (kind "max-words", f's path),
 * whatever version of the file it describes. */
int hub_sidecar_is_words(const hub_file *f);
/* 1 when another process holds flock on path (a live whole fetch's part
 * file, a live --max-words run's sparse copy); 0 when it is not there, is
 * free, or the filesystem has no flock. */
int hub_lock_held(const char *path);
/* OUT/PATH/.NAME.sparse.part, --max-words' local copy of f (malloc'd; NULL
 * without memory). */
char *hub_sparse_path(const fetch_ctx *x, const hub_file *f);
/* flock(fd, LOCK_EX | LOCK_NB), tried again for 20 ms on EWOULDBLOCK (see
 * hub_lock_held's probe); 0, or -1 with errno. */
int hub_flock_ex_nb(int fd);
/* Removes OUT/PATH/.NAME.sparse.part, --max-words' local copy of f, which a
 * killed run leaves (it is never resumed), with a note. */
void hub_drop_sparse_part(fetch_ctx *x, const hub_file *f);
/* The rows and the text column's bytes (less the 4-byte length prefixes) of
 * a parquet file, from its footer alone: two range requests. */
int hub_footer_stats(fetch_ctx *x, const hub_file *f, uint64_t *rows, uint64_t *text_bytes, blalm_err *e);

#endif
