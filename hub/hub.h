/* hub.h - the Hugging Face Hub client and the fetch stage. The Hub API as used:
 *
 *   list   GET {ep}/api/datasets/{repo}/tree/{rev}/{path}?recursive=true,
 *          following Link rel="next" (same origin only: the token goes along)
 *   head   HEAD {ep}/datasets/{repo}/resolve/{rev}/{file} (no redirect):
 *          X-Linked-Size and X-Linked-Etag must match the listing (else the
 *          file changed since: rerun); X-Repo-Commit and the ETag go into the
 *          sidecar, and the commit replaces {rev} in every later request for
 *          the file, so that its bytes come from one version
 *   get    GET .../resolve/{commit}/... following the 302, Range from the
 *          bytes already in the part file (a 416 to that Range: the part file
 *          goes and the file starts over, once); every retry goes through
 *          /resolve/ again because the signed CDN URL covers one range only
 *   verify size and LFS sha256, then rename into place and write the
 *          sidecar FILE.meta; a rerun trusts a matching sidecar.
 * With max_words, only the footer and the first row groups of each parquet
 * file are fetched, and the documents go out as .jsonl.zst (words.c).
 *
 * Library code: no environment, no printing, no exit. Per-file failures and
 * notes reach the caller through the event callback; the run goes on with
 * the other files. A listing that cannot be trusted stops everything before
 * any download. */
#ifndef BLALM_HUB_H
#define BLALM_HUB_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/http.h"
#include "lib/shard.h"

/* ---- names and paths --------------------------------------------------- */

/* 1 if r is OWNER/NAME (letters, digits, '-', '_', '.'; no ".."). */
int hub_repo_valid(const char *r);
/* A listing path is data from the network: it must be relative, without
 * '.', '..' or empty components, without control characters or '\\', at
 * most 1024 bytes, and under prefix (a folder; "" = anywhere). NULL when
 * fine, else why not (a static string). */
const char *hub_path_problem(const char *p, const char *prefix);
/* Copies s for messages: control characters become '?'. */
void hub_printable(const char *s, char *out, size_t cap);
/* 1 when path is wanted by the --include globs (all when ninc = 0): a glob
 * with '/' matches the path under prefix, one without it the file name. */
int hub_include_match(const char *path, const char *prefix, const char *const *inc, int ninc);
/* What to tell a user about an HTTP failure (401, 403, 404), or NULL. */
const char *hub_hint(long status, int have_token);
/* Appends " (the Hub says: ...)" to e with r's X-Error-Message header, when
 * it has one that e does not already hold: the secrets of headers and every
 * query string removed, printable ASCII only, at most ~240 bytes. */
void hub_add_error_message(const http_response *r, const char *const *headers, blalm_err *e);

/* ---- listing ------------------------------------------------------------ */

typedef struct hub_entry {
    char *path;                /* in the repo, checked by hub_path_problem */
    uint64_t size;
    char sha256[65];           /* LFS oid; "" for plain git files */
    char git_oid[41];          /* a plain git file's blob id (its "oid"); "" for LFS files */
} hub_entry;

typedef struct hub_listing {
    hub_entry *v;
    size_t n, cap;
    int pages;                 /* pages read so far */
} hub_listing;

typedef struct hub_where {
    const char *endpoint;      /* "http[s]://host[:port]", no trailing '/' */
    const char *repo, *revision;
    const char *path;          /* folder in the repo, no leading/trailing '/' */
    const char *const *headers;/* extra request headers (Authorization), NULL-ended */
    int have_token;            /* for hints */
} hub_where;

/* Adds the file entries of one listing page (the body of page number
 * page_no, 1-based) that match the include globs. Refuses, naming the page
 * and the entry: a body that is not a JSON array, an entry without type or
 * path, a hostile path, a size that is missing, negative or not a whole
 * number up to 2^53, an lfs.oid that is not
 * a sha256 (or an lfs without one), the oid of a file without LFS that is
 * not a git sha1. On error
 * nothing of the page is kept. A body that is not an array is quoted
 * with the secrets of headers (the request's, as http_redact takes them)
 * taken out: a server may echo the Authorization it got. */
int hub_listing_add_page(hub_listing *l, const char *body, size_t len, int page_no,
                         const char *prefix, const char *const *inc, int ninc,
                         const char *const *headers, blalm_err *e);
/* The next page's URL from a Link header value (NULL = none; several
 * field lines joined with ", "): a relative reference is resolved against
 * base, the URL of the page it came with (RFC 3986: "?cursor=1" keeps the
 * page's path); a link to another origin than endpoint's is refused (the
 * token would go along). *next = NULL when there is no next page. */
int hub_next_page(const char *link, const char *base, const char *endpoint, int page_no, char **next,
                  blalm_err *e);
/* Sorts by path, drops duplicates (pages may overlap), keeps the first
 * max_files (-1 = all). */
void hub_listing_finish(hub_listing *l, long max_files);
void hub_listing_free(hub_listing *l);
/* Lists where->path, all pages, then hub_listing_finish. On an HTTP error
 * the message says what to do (hint) and *status holds the HTTP status. */
int hub_list(http_client *http, const hub_where *where, const char *const *inc, int ninc,
             long max_files, hub_listing *out, long *status, blalm_err *e);

/* ---- the fetch stage ---------------------------------------------------- */

/* FineWeb text: bytes per whitespace word, for estimates from footers'
 * text bytes (2,424,167 words in 14.8 MB of fineweb-legal; as run's plan) */
#define FETCH_BYTES_PER_WORD 6.10

typedef struct fetch_opts {
    const char *endpoint;      /* HF_ENDPOINT, no trailing '/'; http:// or https:// */
    const char *token;         /* HF_TOKEN or NULL; never put into messages */
    const char *repo, *revision, *path;
    const char *out;           /* files go to out/<path in repo> */
    const char *const *include;
    int ninclude;
    long max_files;            /* -1 = all */
    uint64_t max_words;        /* 0 = whole files; else parquet to .jsonl.zst */
    int jobs;                  /* downloads at once, 1..64 */
    int dry_run;               /* list only: FETCH_EV_FILE per file, nothing written */
    int count_rows;            /* dry run: also read each .parquet file's footer (two range requests)
                                  for its rows and text bytes (fetch_counts.rows, .text_bytes) */
    int footers_to_budget;     /* count_rows with max_words (blalm fetch --dry-run): read footers in
                                  listing order only until their text makes max_words words (at
                                  FETCH_BYTES_PER_WORD), as the fetch stops there; a footer that cannot
                                  be read is a note (FETCH_EV_NOTE, fetch_counts.footer_errors) */
    shard_spec shard;          /* this worker takes sorted-listing indexes i % N == I */
    double delay_scale;        /* factor on retry waits (tests: 0.01); 0 = 1 */
    int refuse_whole;          /* max_words: refuse, before any request for a file, when a listed
                                  .parquet file is already in out whole (blalm fetch: its documents
                                  would be read twice; blalm run removes it after the stage) */
} fetch_opts;

typedef struct fetch_counts {
    size_t listed;             /* files in the listing (after --include, --max-files) */
    size_t files;              /* of those, this shard's */
    uint64_t bytes;            /* size of this shard's files */
    int downloaded, skipped, failures;
    int untried;               /* not started after the Hub refused access */
    uint64_t bytes_got;        /* body bytes received */
    uint64_t words_left;       /* max_words: budget the listed files did not fill */
    uint64_t rows, text_bytes; /* count_rows: documents and text bytes in the footers of this shard's files */
    size_t footers;            /* count_rows: .parquet files whose footer was read */
    size_t parquets;           /* count_rows: .parquet files in this shard's listing */
    size_t footer_errors;      /* footers_to_budget: footers that could not be read (noted) */
    int run_failed;            /* the transfer loop itself failed (reported) */
} fetch_counts;

enum {
    FETCH_EV_START,            /* n = bytes expected (0 = unknown): start a progress bar */
    FETCH_EV_BYTES,            /* n more bytes arrived or were found in place */
    FETCH_EV_FILE,             /* dry run: msg = path, n = size */
    FETCH_EV_NOTE,             /* msg: something a user may want to know */
    FETCH_EV_ERROR,            /* msg: one file failed (its partial file kept for resume) */
    FETCH_EV_END,              /* the transfers are over */
    FETCH_EV_KEEP,             /* not in a dry run, after every file is complete: msg = one file
                                  under out that holds this fetch's documents (relative to out), or
                                  its .meta sidecar; the rest of out is not this fetch's (a caller
                                  that mirrors a listing removes it) */
};
typedef struct fetch_event {
    int kind;
    uint64_t n;
    const char *msg;
} fetch_event;
typedef void (*fetch_event_fn)(void *arg, const fetch_event *ev);

/* Lists, then downloads this shard's files (see the top of this header).
 * Returns -1 with a message when nothing could be done (bad options, the
 * listing failed or is hostile, no files, --max-words with more than one
 * shard, an error in --max-words mode); 0 otherwise, with per-file failures
 * in c->failures (each reported as FETCH_EV_ERROR). cb may be NULL. */
int fetch_run(const fetch_opts *o, fetch_counts *c, fetch_event_fn cb, void *cb_arg,
              blalm_err *e);

#endif
