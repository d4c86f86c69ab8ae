/* http.h - HTTP client over libcurl multi, shared by `fetch` (Hub
 * downloads) and `score` (OpenAI-compatible endpoints).
 *
 * One client owns one curl multi handle: connections are reused
 * (keep-alive), HTTP/2 is negotiated over TLS and multiplexed when offered,
 * and many requests are in flight at once. Each request carries its own
 * timeouts and retry policy (as the OpenAI and Hugging Face clients retry):
 *   - retried: connection errors, timeouts, 408, 409, 429, 5xx;
 *   - the wait honours `retry-after-ms`, `Retry-After` (seconds or an HTTP
 *     date) and the Hub's `RateLimit: "bucket";r=0;t=SECONDS` (or the older
 *     `reset=SECONDS`); otherwise capped exponential backoff with full
 *     jitter: uniform in [0, min(max_delay, base_delay * 2^(attempt-1))];
 *   - every delay is multiplied by opts.delay_scale (tests: 0.01);
 *   - failure without retry: any other 4xx (400, 401, 403, 404, ...).
 * A request gives up after max_attempts attempts or when the next wait would
 * end past max_total_s since submission.
 *
 * Async use (single thread; callbacks run inside http_poll/http_run):
 *
 *   http_client *c = http_client_new(NULL, &err);
 *   http_request rq = { .method = "POST", .url = u, .headers = hdrs,
 *                       .body = json, .body_len = n,
 *                       .on_done = done_cb, .user = ctx };
 *   http_submit(c, &rq, &err);            // copies url, headers and body
 *   ... submit more ...
 *   http_run(c, &err);                    // until nothing is pending
 *   http_client_free(c);
 *
 * Blocking use for one request: http_fetch(c, &rq, &resp, &err), then
 * http_response_free(&resp).
 *
 * Secrets: values of Authorization, Proxy-Authorization, api-key and
 * x-api-key headers are never written into any error message; the layer
 * replaces them with "***" wherever they would appear, and URLs in messages
 * lose their query string (signed CDN URLs). Library code prints nothing. */
#ifndef BLALM_HTTP_H
#define BLALM_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* ---- retry policy ------------------------------------------------------ */

typedef struct http_retry {
    int max_attempts;          /* total attempts incl. the first; default 8 */
    double max_total_s;        /* give up when the next wait would pass this; default 900 */
    double base_delay_s;       /* first backoff ceiling; default 1 */
    double max_delay_s;        /* cap of the backoff ceiling; default 60 */
    double max_server_delay_s; /* cap on Retry-After / RateLimit waits; default 300 */
} http_retry;

/* The default policy (values above). */
void http_retry_defaults(http_retry *r);

/* 1 if a final HTTP status is worth another attempt (408, 409, 429, 5xx). */
int http_status_retryable(long status);

/* Parses a Retry-After value: delta-seconds or an HTTP date (IMF-fixdate,
 * RFC 850 or asctime). now_epoch = current Unix time. Returns 0 and the
 * wait in seconds (>= 0; past dates give 0), -1 if unparsable. */
int http_parse_retry_after(const char *value, double now_epoch, double *seconds);
/* Parses retry-after-ms (milliseconds, may be fractional). */
int http_parse_retry_after_ms(const char *value, double *seconds);
/* Parses a RateLimit header: `"api";r=0;t=55` (IETF draft-08+, the Hub) or
 * `limit=100, remaining=0, reset=50` (older drafts). Fills remaining (-1 if
 * absent) and reset seconds (-1 if absent). Returns 0 if a reset was found. */
int http_parse_ratelimit(const char *value, long *remaining, double *reset_s);

/* The URL of the first rel="next" link in a Link header value (RFC 8288:
 * `<url>; rel="next", <url2>; rel="prev"`), malloc'd; NULL if none or !link. */
char *http_link_next(const char *link);

/* Header list, "Name: value" lines in arrival order (of the final response). */
typedef struct http_header { char *name, *value; } http_header;

/* The wait before attempt `attempt + 1` after attempt `attempt` (1-based)
 * ended with `status` (0 = transport error) and these response headers,
 * BEFORE scaling by the client's delay_scale. Server-given waits win (capped by
 * max_server_delay_s); otherwise full jitter from *rng (xorshift state,
 * advanced). *from_server = 1 when a header decided it. */
double http_retry_delay(const http_retry *p, int attempt, long status,
                        const http_header *h, size_t nh, double now_epoch,
                        uint64_t *rng, int *from_server);

/* A delay scale as text (pipeline/ passes BLALM_DELAY_SCALE): a number >= 0;
 * NULL, empty or anything else -> 1. */
double http_delay_scale_parse(const char *s);

/* ---- client ------------------------------------------------------------ */

typedef struct http_client_opts {
    int max_in_flight;        /* transfers running at once; default 16 (rest queue) */
    int max_host_conns;       /* connections per host; 0 = libcurl's default (none) */
    double connect_timeout_s; /* default 30 */
    double timeout_s;         /* whole transfer; default 0 = none */
    double stall_timeout_s;   /* abort when < 1 byte/s for this long; default 60 */
    http_retry retry;         /* default policy for requests without their own;
                                 all-zero means http_retry_defaults() */
    double delay_scale;       /* factor on every retry wait (tests: 0.01); 0 = 1 */
    const char *user_agent;   /* default "blalm/<version>" */
    int verbose;              /* 1 = libcurl's own trace on stderr (debug only: it
                                 shows headers, including secrets) */
} http_client_opts;

typedef struct http_client http_client;

/* opts may be NULL (all defaults). */
http_client *http_client_new(const http_client_opts *opts, blalm_err *e);
/* Cancels anything still pending (their on_done runs with an error) and frees. */
void http_client_free(http_client *c);

/* ---- requests ---------------------------------------------------------- */

typedef struct http_response {
    long status;               /* final HTTP status; 0 when no response came */
    int http_version;          /* 1 or 2 (0 = unknown) */
    http_header *headers;      /* of the final response (after redirects) */
    size_t nheaders;
    char *body;                /* buffered body, NUL-terminated (not counted);
                                  NULL when streamed through on_data */
    size_t body_len;
    char *location;            /* Location of a 3xx when redirects are not followed */
    char *effective_url;       /* last URL fetched (may hold signed query params:
                                  do not print) */
    uint64_t bytes;            /* body bytes delivered in total (all attempts) */
    int attempts;              /* attempts made (1 = no retry), prior_attempts included */
    int gave_up;               /* 1: failed on a retryable error after the attempts or
                                  the retry budget ran out (not: a failure that is
                                  never retried) */
    double elapsed_s;          /* from submission to completion, waits included */
} http_response;

/* Case-insensitive lookup in a response's headers; NULL if absent. */
const char *http_header_get(const http_response *r, const char *name);
const char *http_headers_find(const http_header *h, size_t n, const char *name);
/* Every field line named name, joined with ", " (RFC 9110 section 5.3: a
 * list-valued field such as Link may come as several lines; http_header_get
 * gives the last one only), malloc'd; NULL when there is none. */
char *http_header_join(const http_response *r, const char *name);

typedef struct http_request http_request;

/* Streams a 2xx body: chunk p[0..n) sits at byte `offset` of the resource
 * (range_start included; resumed attempts continue where the last stopped).
 * Return 0 to go on, -1 (after err_set(e, ...)) to abort without retry. */
typedef int (*http_data_fn)(void *user, uint64_t offset, const void *p, size_t n,
                            blalm_err *e);
/* Called when the final response's headers have arrived on each attempt,
 * before any body byte; may inspect status/headers. -1 aborts (no retry). */
typedef int (*http_headers_fn)(void *user, const http_response *r, blalm_err *e);
/* Called once per request when it is finished. rc = 0: 2xx (or 3xx when
 * follow_redirects is 0); rc = -1: failed, *e says why (status in r->status,
 * an error body in r->body, up to 64 KiB). r is freed after the callback
 * returns; the callback may keep r->body by setting r->body = NULL. */
typedef void (*http_done_fn)(void *user, int rc, http_response *r, const blalm_err *e);

struct http_request {
    const char *method;          /* "GET" (default), "HEAD", "POST", "PUT", "DELETE" */
    const char *url;
    const char *const *headers;  /* NULL-terminated "Name: value" strings, or NULL */
    const void *body;            /* request body (copied at submit) */
    size_t body_len;
    int follow_redirects;        /* 1: follow up to 10 (Range and custom headers are
                                    resent; libcurl drops Authorization on a host
                                    change); 0: a 3xx completes with r->location */
    /* Byte range: when has_range, sends Range: bytes=range_start-[range_end-1]
     * (range_end 0 = to the end). With `resume` (streamed bodies only), a retry
     * asks for the bytes not yet delivered; a server that ignores Range (200)
     * has the bytes already delivered skipped, so on_data sees each byte once. */
    int has_range;
    uint64_t range_start, range_end;
    int resume;
    double timeout_s;            /* whole-transfer timeout; 0 = client default */
    double stall_timeout_s;      /* 0 = client default */
    const http_retry *retry;     /* NULL = client default (copied at submit) */
    /* Attempts and seconds the caller already spent on this request (it
     * resubmits one whose 2xx body it could not use): counted against
     * retry's max_attempts and max_total_s, in messages and r->attempts. */
    int prior_attempts;
    double prior_elapsed_s;
    size_t max_body;             /* buffered body limit; 0 = 256 MiB; larger fails */
    int accept_encoding;         /* 1: offer the codings libcurl decodes (gzip, deflate,
                                    ...) and decode the buffered body; ignored with
                                    on_data or a Range (offsets count stored bytes) */
    http_data_fn on_data;        /* NULL = buffer the body in r->body */
    http_headers_fn on_headers;  /* optional */
    http_done_fn on_done;        /* optional for http_fetch */
    void *user;
};

/* Queues a request (everything it points to is copied). Returns an id > 0,
 * or 0 on error. */
uint64_t http_submit(http_client *c, const http_request *rq, blalm_err *e);

/* Drives transfers and due retries, waiting up to timeout_ms for traffic
 * (0 = don't wait; the wait ends early at the next due retry), and runs the
 * callbacks of everything that finished, including during the wait.
 * Returns the number of requests not yet done, or -1 on an internal
 * (libcurl) failure. */
int http_poll(http_client *c, int timeout_ms, blalm_err *e);
/* http_poll until nothing is pending. 0, or -1 on an internal failure
 * (request failures go to their callbacks, not here). */
int http_run(http_client *c, blalm_err *e);
int http_pending(const http_client *c);
/* From now on no attempt starts: requests not yet started or waiting for a
 * retry finish at once (on_done, rc -1, "not retried: ... stopping"), and a
 * transfer in progress finishes with its own outcome, a retryable failure
 * included (each is bounded by its timeouts). http_submit then fails. For a
 * caller that has given up on the run but wants the answers on their way. */
void http_client_drain(http_client *c);

/* Blocking helper: submits rq (its on_done is ignored), runs until it is
 * done (other queued requests progress too) and moves the outcome into
 * *out. Returns 0 on success, -1 with *e filled; *out is filled either way
 * (free it with http_response_free). */
int http_fetch(http_client *c, const http_request *rq, http_response *out, blalm_err *e);
void http_response_free(http_response *r);

/* Copies s into out with every secret value from `headers` (see top), the
 * userinfo of URLs (user:password@ -> ***@) and every query string in them
 * replaced. A URL is what libcurl takes for one: any scheme in any case
 * ("HTTP://", "ftp://", "http:/" with one slash) or none ("user:pw@host/p",
 * which curl takes for http); exposed for tests. */
void http_redact(const char *s, const char *const *headers, char *out, size_t cap);

/* The one rule for a credential sent in a header (HF_TOKEN, OPENAI_API_KEY,
 * a key file's line): surrounding whitespace is dropped; a control
 * character (a line break would inject a header), whitespace inside or a
 * byte outside ASCII is refused. Copies the token from s[0..n) into out
 * (NUL-terminated) and returns its length (0: blank), or -1 with *why a
 * phrase that quotes no part of it ("contains a control character ..."). */
int http_token_clean(const char *s, size_t n, char *out, size_t cap, const char **why);

/* 0 when url holds no control character and no byte outside ASCII,
 * starts with http:// or https:// (in any case) and libcurl parses it; -1
 * otherwise, with why set to a phrase to follow the name of
 * the setting ("must start with http:// or https://") that never quotes the
 * URL (it may hold a password). */
int http_url_check(const char *url, char *why, size_t cap);
/* base + path with path put before base's query or fragment, as the OpenAI
 * clients join them ("http://h/v1?api-version=X" + "/models" ->
 * "http://h/v1/models?api-version=X"); '/'s that end base's path are dropped. */
void http_url_join(const char *base, const char *path, char *out, size_t cap);
/* Length of url's origin, "scheme://host[:port]" (up to its path, query or
 * fragment); the whole string when it has no "://". Origins compare without
 * case. */
size_t http_origin_len(const char *url);
/* 1 when URLs a and b have the same origin as libcurl parses them: scheme
 * and host without case, port with the scheme's default filled in
 * ("https://h:443" is "https://h/x"); userinfo is no part of it. 0 when
 * they differ or either is not a URL libcurl takes. */
int http_same_origin(const char *a, const char *b);
/* ref resolved against base as RFC 3986 section 5 says ("?cursor=1" keeps
 * base's path, "/p" its origin, "p" its folder; an absolute ref stays as it
 * is), malloc'd; NULL when libcurl takes neither. */
char *http_url_resolve(const char *base, const char *ref);

#endif
