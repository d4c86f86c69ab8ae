/* http.c - HTTP client over libcurl multi (see http.h). */
#include "http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "sbuf.h"

#ifndef BLALM_VERSION
#define BLALM_VERSION "0.1.0"
#endif

#define ERR_BODY_MAX (64u * 1024)
#define DEFAULT_MAX_BODY ((size_t)256 << 20)

/* ---- time and randomness ----------------------------------------------- */

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double epoch_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: plenty for jitter */
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

static double rng_unit(uint64_t *s) { return (rng_next(s) >> 11) * (1.0 / 9007199254740992.0); }

/* ---- policy and header parsing ----------------------------------------- */

void http_retry_defaults(http_retry *r)
{
    r->max_attempts = 8;
    r->max_total_s = 900;
    r->base_delay_s = 1;
    r->max_delay_s = 60;
    r->max_server_delay_s = 300;
}

static void retry_fill(http_retry *r, const http_retry *given)
{
    http_retry d;
    http_retry_defaults(&d);
    if (!given) { *r = d; return; }
    *r = *given;
    if (r->max_attempts <= 0) r->max_attempts = d.max_attempts;
    if (r->max_total_s <= 0) r->max_total_s = d.max_total_s;
    if (r->base_delay_s <= 0) r->base_delay_s = d.base_delay_s;
    if (r->max_delay_s <= 0) r->max_delay_s = d.max_delay_s;
    if (r->max_server_delay_s <= 0) r->max_server_delay_s = d.max_server_delay_s;
}

int http_status_retryable(long status)
{
    return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599);
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return s;
}

/* Non-negative decimal number, optionally fractional, then only spaces. */
static int parse_nonneg(const char *s, double *out)
{
    s = skip_ws(s);
    if (!isdigit((unsigned char)*s)) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || !isfinite(v) || v < 0) return -1;
    end = (char *)skip_ws(end);
    if (*end && *end != '\r' && *end != '\n') return -1;
    *out = v;
    return 0;
}

int http_parse_retry_after(const char *value, double now_epoch, double *seconds)
{
    if (!value) return -1;
    double v;
    if (parse_nonneg(value, &v) == 0) { *seconds = v; return 0; }
    const char *s = skip_ws(value);
    if (!isalpha((unsigned char)*s)) return -1;   /* dates start with a day name */
    time_t t = curl_getdate(s, NULL);
    if (t == (time_t)-1) return -1;
    double d = (double)t - now_epoch;
    *seconds = d > 0 ? d : 0;
    return 0;
}

int http_parse_retry_after_ms(const char *value, double *seconds)
{
    double v;
    if (!value || parse_nonneg(value, &v) != 0) return -1;
    *seconds = v / 1000.0;
    return 0;
}

/* Finds parameter `key` (e.g. "t", "reset") as `key=NUMBER` at a parameter
 * boundary (start, ';', ',' or space before it). */
static int find_param(const char *v, const char *key, double *out)
{
    size_t kl = strlen(key);
    for (const char *p = v; (p = strstr(p, key)) != NULL; p += kl) {
        if (p != v && !strchr(";, \t", p[-1])) continue;
        const char *q = skip_ws(p + kl);
        if (*q != '=') continue;
        q = skip_ws(q + 1);
        if (!isdigit((unsigned char)*q)) continue;
        char *end;
        double d = strtod(q, &end);
        if (!isfinite(d) || d < 0) continue;
        *out = d;
        return 0;
    }
    return -1;
}

int http_parse_ratelimit(const char *value, long *remaining, double *reset_s)
{
    *remaining = -1;
    *reset_s = -1;
    if (!value) return -1;
    double r;
    if (find_param(value, "r", &r) == 0 || find_param(value, "remaining", &r) == 0)
        *remaining = r < (double)LONG_MAX ? (long)r : LONG_MAX;   /* r=1e300: no UB */
    double t;
    if (find_param(value, "t", &t) == 0 || find_param(value, "reset", &t) == 0) {
        *reset_s = t;
        return 0;
    }
    return -1;
}

/* Next-page URL from a Link header (see http.h). */
/* 1 when the link-params p[0..n) (";" param ...) hold a rel whose value,
 * quoted or a token, lists the relation type "next" (RFC 8288 section 3:
 * parameter names and relation types compare without case, the value is a
 * space-separated list, whitespace may surround '='). */
static int params_rel_next(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (p[i] != ';') { i++; continue; }
        i++;
        while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
        size_t ns = i;
        while (i < n && p[i] != '=' && p[i] != ';' && p[i] != ' ' && p[i] != '\t') i++;
        size_t nl = i - ns;
        while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
        if (i >= n || p[i] != '=') continue;
        i++;
        while (i < n && (p[i] == ' ' || p[i] == '\t')) i++;
        size_t vs, ve;
        if (i < n && p[i] == '"') {
            vs = ++i;
            while (i < n && p[i] != '"') i += p[i] == '\\' && i + 1 < n ? 2 : 1;
            ve = i < n ? i : n;
            if (i < n) i++;
        } else {
            vs = i;
            while (i < n && p[i] != ';' && p[i] != ' ' && p[i] != '\t') i++;
            ve = i;
        }
        if (nl != 3 || strncasecmp(p + ns, "rel", 3)) continue;
        for (size_t t = vs; t < ve;) {
            while (t < ve && (p[t] == ' ' || p[t] == '\t')) t++;
            size_t ts = t;
            while (t < ve && p[t] != ' ' && p[t] != '\t') t++;
            if (t - ts == 4 && !strncasecmp(p + ts, "next", 4)) return 1;
        }
    }
    return 0;
}

char *http_link_next(const char *link)
{
    if (!link) return NULL;
    const char *p = link;
    while ((p = strchr(p, '<')) != NULL) {
        const char *end = strchr(p, '>');
        if (!end) return NULL;
        /* this link's parameters run to the first ',' outside quotes */
        const char *params = end + 1, *q = params;
        int quoted = 0;
        for (; *q && (quoted || *q != ','); q++) {
            if (quoted && *q == '\\' && q[1]) q++;
            else if (*q == '"') quoted = !quoted;
        }
        if (params_rel_next(params, (size_t)(q - params)))
            return strndup(p + 1, (size_t)(end - p - 1));
        p = q;
    }
    return NULL;
}

const char *http_headers_find(const http_header *h, size_t n, const char *name)
{
    for (size_t i = n; i-- > 0;)       /* the last one wins */
        if (!strcasecmp(h[i].name, name)) return h[i].value;
    return NULL;
}

const char *http_header_get(const http_response *r, const char *name)
{
    return r ? http_headers_find(r->headers, r->nheaders, name) : NULL;
}

char *http_header_join(const http_response *r, const char *name)
{
    if (!r) return NULL;
    sbuf b;
    sb_init(&b);
    int any = 0;
    for (size_t i = 0; i < r->nheaders; i++) {
        if (strcasecmp(r->headers[i].name, name)) continue;
        if (any) sb_adds(&b, ", ");
        sb_adds(&b, r->headers[i].value);
        any = 1;
    }
    if (!any) { sb_free(&b); return NULL; }
    return (char *)sb_cstr(&b);
}

double http_retry_delay(const http_retry *p, int attempt, long status,
                        const http_header *h, size_t nh, double now_epoch,
                        uint64_t *rng, int *from_server)
{
    http_retry pol;
    retry_fill(&pol, p);
    double server = -1, v;
    const char *ms = http_headers_find(h, nh, "retry-after-ms");
    const char *ra = http_headers_find(h, nh, "retry-after");
    if (ms && http_parse_retry_after_ms(ms, &v) == 0) server = v;
    else if (ra && http_parse_retry_after(ra, now_epoch, &v) == 0) server = v;
    else if (status == 429 || status == 503) {
        long rem;
        const char *rl = http_headers_find(h, nh, "ratelimit");
        if (rl && http_parse_ratelimit(rl, &rem, &v) == 0 && (rem <= 0 || status == 429))
            server = v;
    }
    if (server >= 0) {
        if (from_server) *from_server = 1;
        return server < pol.max_server_delay_s ? server : pol.max_server_delay_s;
    }
    if (from_server) *from_server = 0;
    int k = attempt < 1 ? 0 : attempt - 1;
    double ceil_s = pol.base_delay_s * ldexp(1.0, k > 60 ? 60 : k);
    if (ceil_s > pol.max_delay_s) ceil_s = pol.max_delay_s;
    return ceil_s * rng_unit(rng);
}

double http_delay_scale_parse(const char *s)
{
    double v;
    if (!s || !*s || parse_nonneg(s, &v) != 0) return 1.0;
    return v;
}

/* ---- redaction --------------------------------------------------------- */

static int is_secret_header(const char *line, size_t namelen)
{
    static const char *const names[] = {"authorization", "proxy-authorization", "api-key",
                                        "x-api-key", "cookie"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == namelen && !strncasecmp(line, names[i], namelen)) return 1;
    return 0;
}

/* Collects secret strings (whole values, and the credential after a scheme
 * word such as "Bearer") from "Name: value" lines. */
static size_t collect_secrets(const char *const *headers, const char **sec, size_t *len, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; headers && headers[i] && n + 2 <= cap; i++) {
        const char *colon = strchr(headers[i], ':');
        if (!colon || !is_secret_header(headers[i], (size_t)(colon - headers[i]))) continue;
        const char *v = skip_ws(colon + 1);
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\r' || v[vl - 1] == '\n')) vl--;
        if (!vl) continue;
        sec[n] = v; len[n] = vl; n++;
        const char *sp = memchr(v, ' ', vl);
        if (sp) {
            const char *t = skip_ws(sp);
            size_t tl = vl - (size_t)(t - v);
            if (tl >= 4) { sec[n] = t; len[n] = tl; n++; }
        }
    }
    return n;
}

static int scheme_char(char c)
{
    return isalnum((unsigned char)c) || c == '+' || c == '-' || c == '.';
}

/* Length of "scheme:" at s (RFC 3986: a letter, then letters, digits, + - .),
 * 0 if s does not start with one. */
static size_t scheme_len(const char *s)
{
    if (!isalpha((unsigned char)s[0])) return 0;
    size_t n = 1;
    while (scheme_char(s[n])) n++;
    return s[n] == ':' ? n + 1 : 0;
}

/* Characters that end a URL's authority (user:password@host:port). */
static int authority_end(char c)
{
    return !c || strchr("/?# \"'<>\n\t\r", c) != NULL;
}

/* Characters after which a word (maybe a schemeless user:password@host) starts. */
static int word_break(char c)
{
    return strchr(" \t\n\r\"'<>()=,;", c) != NULL;
}

/* If a URL starts at s[i], where its authority starts (after "scheme:" and
 * its slashes; i itself for a schemeless one) and where its userinfo ends
 * (just past the last '@' of the authority; 0 when it has none). Returns 0
 * when no URL starts here. A scheme needs at least one slash after it (curl
 * takes "http:/h" too); without a scheme a word is a URL only when its
 * authority holds "user:password@", since "user@host" is a mail address. */
static int url_at(const char *s, size_t i, size_t *auth, size_t *at)
{
    int boundary = i == 0 || !scheme_char(s[i - 1]);
    size_t sl = boundary ? scheme_len(s + i) : 0;
    int schemed = sl && s[i + sl] == '/';
    if (schemed) {
        *auth = i + sl;
        while (s[*auth] == '/') (*auth)++;
    } else if ((i == 0 || word_break(s[i - 1])) && !word_break(s[i])) {
        *auth = i;
    } else {
        return 0;
    }
    size_t colon = 0;
    *at = 0;
    for (size_t k = *auth; !authority_end(s[k]); k++) {
        if (s[k] == '@') *at = k + 1;
        else if (s[k] == ':' && !colon) colon = k + 1;
    }
    return schemed || (*at && colon && colon < *at);
}

/* 1 when s[i] starts "/path?name=...": path bytes (no space, quote or
 * angle bracket) up to a '?' followed by a query holding '='. */
static int path_query_at(const char *s, size_t i)
{
    size_t k = i;
    while (s[k] && s[k] != '?' && !strchr(" \t\n\"'<>", s[k])) k++;
    if (s[k] != '?') return 0;
    for (k++; s[k] && !strchr(" \t\n\"'<>", s[k]); k++)
        if (s[k] == '=') return 1;
    return 0;
}

void http_redact(const char *s, const char *const *headers, char *out, size_t cap)
{
    if (!cap) return;
    const char *sec[32];
    size_t slen[32];
    size_t ns = collect_secrets(headers, sec, slen, 32);
    size_t o = 0, ui_from = 0, ui_to = 0;   /* a URL's userinfo ahead: [ui_from, ui_to) becomes ***@ */
    size_t n = strlen(s);
    int in_query = 0, in_url = 0;
    for (size_t i = 0; s[i] && o + 1 < cap;) {
        if (ui_to && i >= ui_from) {
            if (i < ui_to) {
                for (const char *r = "***@"; *r && o + 1 < cap; r++) out[o++] = *r;
                i = ui_to;
            }
            ui_to = 0;
            continue;
        }
        size_t hit = 0;
        for (size_t k = 0; k < ns; k++) {
            if (slen[k] > hit && !strncmp(s + i, sec[k], slen[k])) hit = slen[k];
            /* text cut inside a secret ends with its first part: that goes too */
            else if (n - i >= 4 && n - i < slen[k] && n - i > hit && !strncmp(s + i, sec[k], n - i))
                hit = n - i;
        }
        if (hit) {
            for (const char *r = "***"; *r && o + 1 < cap; r++) out[o++] = *r;
            i += hit;
            continue;
        }
        char c = s[i];
        if (in_query) {
            if (c == ' ' || c == '"' || c == '\'' || c == '>' || c == '<' || c == ')' || c == '\n' ||
                c == '\t' || c == ',' || (c == ':' && s[i + 1] == ' ')) in_query = 0;
            else { i++; continue; }
        }
        /* in a URL's host and path: its end, or its query string marked */
        if (in_url && (c == ' ' || c == '"' || c == '<' || c == '\n')) in_url = 0;
        if (in_url && c == '?') {
            for (const char *r = "?..."; *r && o + 1 < cap; r++) out[o++] = *r;
            i++;
            in_url = 0;
            in_query = 1;
            continue;
        }
        /* a URL without scheme and host, "/path?query" (a CDN's error body
         * quotes the signed link so): its query goes as well */
        if (!in_url && c == '/' && (i == 0 || strchr(" \t\n\"'<>(=,", s[i - 1])) && path_query_at(s, i)) {
            in_url = 1;
            out[o++] = c;
            i++;
            continue;
        }
        size_t auth, at;
        if (!ui_to && url_at(s, i, &auth, &at)) {
            /* the userinfo is replaced when reached; everything else of the
             * URL goes through this loop, so a secret anywhere in it is caught */
            in_url = 1;
            if (at && auth == i) {   /* schemeless: the userinfo starts here */
                for (const char *r = "***@"; *r && o + 1 < cap; r++) out[o++] = *r;
                i = at;
                continue;
            }
            if (at) {
                ui_from = auth;
                ui_to = at;
            }
        }
        out[o++] = c;
        i++;
    }
    out[o] = 0;
}

void http_url_join(const char *base, const char *path, char *out, size_t cap)
{
    size_t pl = strcspn(base, "?#");
    size_t end = pl;
    while (end > 0 && base[end - 1] == '/') end--;
    snprintf(out, cap, "%.*s%s%s", (int)end, base, path, base + pl);
}

size_t http_origin_len(const char *url)
{
    const char *s = strstr(url, "://");
    if (!s) return strlen(url);
    return (size_t)(s + 3 - url) + strcspn(s + 3, "/?#");
}

/* scheme, host and port (the default one when none) of url, curl_free'd by
 * the caller; 0 on success */
static int url_origin_parts(const char *url, char **scheme, char **host, char **port)
{
    *scheme = *host = *port = NULL;
    CURLU *u = curl_url();
    if (!u) return -1;
    int rc = curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
             curl_url_get(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK ||
             curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK ||
             curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) != CURLUE_OK ? -1 : 0;
    curl_url_cleanup(u);
    return rc;
}

int http_same_origin(const char *a, const char *b)
{
    char *sa, *ha, *pa, *sb, *hb, *pb;
    int ok_a = url_origin_parts(a, &sa, &ha, &pa) == 0, ok_b = url_origin_parts(b, &sb, &hb, &pb) == 0;
    int same = ok_a && ok_b && !strcasecmp(sa, sb) && !strcasecmp(ha, hb) && !strcmp(pa, pb);
    curl_free(sa); curl_free(ha); curl_free(pa);
    curl_free(sb); curl_free(hb); curl_free(pb);
    return same;
}

int http_token_clean(const char *s, size_t n, char *out, size_t cap, const char **why)
{
    size_t a = 0, b = n;
    while (a < b && isspace((unsigned char)s[a])) a++;
    while (b > a && isspace((unsigned char)s[b - 1])) b--;
    for (size_t i = a; i < b; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t') {
            *why = "contains whitespace inside the token";
            return -1;
        }
        if (c < 0x20 || c == 0x7f) {
            *why = "contains a control character (a line break or tab inside it?)";
            return -1;
        }
        if (c >= 0x80) {
            *why = "contains a byte that is not ASCII";
            return -1;
        }
    }
    if (b - a >= cap) {
        *why = "is too long";
        return -1;
    }
    memcpy(out, s + a, b - a);
    out[b - a] = 0;
    return (int)(b - a);
}

int http_url_check(const char *url, char *why, size_t cap)
{
    /* before libcurl, whose phrase for a trailing line break ("Port number
     * was not a decimal number", "Bad hostname") names the wrong part */
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p < 0x20 || *p == 0x7f) {
            if (*p == '\n') snprintf(why, cap, "holds a control character (\\n)");
            else if (*p == '\r') snprintf(why, cap, "holds a control character (\\r)");
            else if (*p == '\t') snprintf(why, cap, "holds a control character (\\t)");
            else snprintf(why, cap, "holds a control character (\\x%02x)", *p);
            return -1;
        }
    if (strncasecmp(url, "http://", 7) && strncasecmp(url, "https://", 8)) {
        snprintf(why, cap, "must start with http:// or https://");
        return -1;
    }
    CURLU *u = curl_url();
    if (!u) {
        snprintf(why, cap, "could not be checked (out of memory)");
        return -1;
    }
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (rc != CURLUE_OK) {
        curl_url_cleanup(u);
        /* libcurl's phrase names the part, never quotes the URL */
        snprintf(why, cap, "is not a URL libcurl takes (%s)", curl_url_strerror(rc));
        return -1;
    }
    /* a host outside ASCII (as written, or percent-encoded): libcurl takes
     * it here but then refuses the request ("URL using bad/illegal
     * format"); a path or password outside ASCII is sent as it is */
    char *host = NULL;
    int idn = 0;
    if (curl_url_get(u, CURLUPART_HOST, &host, CURLU_URLDECODE) == CURLUE_OK && host)
        for (const unsigned char *p = (const unsigned char *)host; *p; p++) idn |= *p >= 0x80;
    curl_free(host);
    curl_url_cleanup(u);
    if (idn) {
        snprintf(why, cap, "has a host name that is not ASCII (write it in its xn-- form)");
        return -1;
    }
    return 0;
}

char *http_url_resolve(const char *base, const char *ref)
{
    CURLU *u = curl_url();
    if (!u) return NULL;
    char *out = NULL, *got = NULL;
    /* a handle holding base takes ref as a reference relative to it
     * (RFC 3986 section 5: "?q", "p", "../p", "/p", "//host/p" or absolute) */
    if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
        curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_URL, &got, 0) == CURLUE_OK)
        out = strdup(got);
    curl_free(got);
    curl_url_cleanup(u);
    return out;
}

/* ---- client and requests ----------------------------------------------- */

typedef struct req req;
struct req {
    req *next;                    /* in the waiting list or the new queue */
    req *aprev, *anext;           /* in the in-flight list */
    http_client *c;
    uint64_t id;
    char *method, *url;
    char **headers;               /* NULL-terminated copies (for redaction) */
    struct curl_slist *slist;
    char *body;
    size_t body_len;
    int follow, has_range, resume, decode;
    uint64_t range_start, range_end;
    double timeout_s, stall_timeout_s;
    http_retry retry;
    size_t max_body;
    http_data_fn on_data;
    http_headers_fn on_headers;
    http_done_fn on_done;
    void *done_user;
    void *user;

    double submitted, due;
    int attempt;                  /* attempts started */
    uint64_t delivered;           /* body bytes passed to on_data (resume point) */
    CURL *easy;
    char curl_msg[CURL_ERROR_SIZE];
    /* per attempt */
    long status;                  /* status of the response being read */
    int headers_final;            /* final response's headers are complete */
    int ok_body;                  /* body goes to on_data / success buffer */
    uint64_t skip;                /* bytes to drop (server ignored Range) */
    uint64_t pos;                 /* absolute offset of the next body byte */
    int aborted;                  /* a callback or a check stopped the transfer */
    blalm_err abort_err;
    sbuf body_buf;
    http_response resp;
};

struct http_client {
    CURLM *multi;
    http_client_opts o;
    double delay_scale;
    uint64_t rng;
    uint64_t next_id;
    req *queue_head, *queue_tail; /* not yet started */
    req *waiting;                 /* waiting for a retry */
    req *inflight;                /* transfers running */
    int active;
    int pending;                  /* all not done */
    int draining;                 /* http_client_drain: no new attempts */
};

static void headers_clear(http_response *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    r->headers = NULL;
    r->nheaders = 0;
}

void http_response_free(http_response *r)
{
    if (!r) return;
    headers_clear(r);
    free(r->body);
    free(r->location);
    free(r->effective_url);
    memset(r, 0, sizeof *r);
}

static void req_free(req *q)
{
    if (!q) return;
    if (q->easy) curl_easy_cleanup(q->easy);
    free(q->method);
    free(q->url);
    for (size_t i = 0; q->headers && q->headers[i]; i++) free(q->headers[i]);
    free(q->headers);
    curl_slist_free_all(q->slist);
    free(q->body);
    sb_free(&q->body_buf);
    http_response_free(&q->resp);
    free(q);
}

http_client *http_client_new(const http_client_opts *opts, blalm_err *e)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        err_set(e, "http: libcurl initialisation failed");
        return NULL;
    }
    http_client *c = calloc(1, sizeof *c);
    if (!c) {
        curl_global_cleanup();
        err_set(e, "http: out of memory");
        return NULL;
    }
    if (opts) c->o = *opts;
    if (c->o.max_in_flight <= 0) c->o.max_in_flight = 16;
    if (c->o.connect_timeout_s <= 0) c->o.connect_timeout_s = 30;
    if (c->o.stall_timeout_s <= 0) c->o.stall_timeout_s = 60;
    retry_fill(&c->o.retry, opts ? &opts->retry : NULL);
    c->delay_scale = c->o.delay_scale > 0 ? c->o.delay_scale : 1.0;
    c->rng = (uint64_t)(epoch_now() * 1e6) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
    c->next_id = 1;
    c->multi = curl_multi_init();
    if (!c->multi) {
        free(c);
        curl_global_cleanup();
        err_set(e, "http: curl_multi_init failed");
        return NULL;
    }
    curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
    if (c->o.max_host_conns > 0)
        curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->o.max_host_conns);
    /* keep enough idle connections that a busy client reuses them all */
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)(c->o.max_in_flight + 4));
    return c;
}

int http_pending(const http_client *c) { return c ? c->pending : 0; }

static char *xstrdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) { fputs("blalm: out of memory\n", stderr); abort(); }
    return d;
}

static uint64_t submit_with(http_client *c, const http_request *rq, http_done_fn done,
                            void *done_user, blalm_err *e)
{
    if (!rq || !rq->url || !*rq->url) { err_set(e, "http: request without a URL"); return 0; }
    if (c->draining) { err_set(e, "http: the client is draining (no new requests)"); return 0; }
    req *q = calloc(1, sizeof *q);
    if (!q) { err_set(e, "http: out of memory"); return 0; }
    q->c = c;
    q->id = c->next_id++;
    q->method = xstrdup(rq->method && *rq->method ? rq->method : "GET");
    for (char *m = q->method; *m; m++) *m = (char)toupper((unsigned char)*m);
    q->url = xstrdup(rq->url);
    size_t nh = 0;
    while (rq->headers && rq->headers[nh]) nh++;
    q->headers = calloc(nh + 1, sizeof *q->headers);
    if (!q->headers) { req_free(q); err_set(e, "http: out of memory"); return 0; }
    for (size_t i = 0; i < nh; i++) {
        if (strpbrk(rq->headers[i], "\r\n")) {
            /* it would inject a header; the name only: the value may be a secret */
            int nl = (int)strcspn(rq->headers[i], ":\r\n");
            err_set(e, "http: request header '%.*s' holds a line break", nl > 64 ? 64 : nl, rq->headers[i]);
            req_free(q);
            return 0;
        }
        q->headers[i] = xstrdup(rq->headers[i]);
        struct curl_slist *s = curl_slist_append(q->slist, q->headers[i]);
        if (!s) { req_free(q); err_set(e, "http: out of memory"); return 0; }
        q->slist = s;
    }
    if (rq->body && rq->body_len) {
        q->body = malloc(rq->body_len);
        if (!q->body) { req_free(q); err_set(e, "http: out of memory"); return 0; }
        memcpy(q->body, rq->body, rq->body_len);
        q->body_len = rq->body_len;
    }
    if (q->body || !strcmp(q->method, "POST") || !strcmp(q->method, "PUT")) {
        /* no 100-continue round trip for bodies */
        struct curl_slist *s = curl_slist_append(q->slist, "Expect:");
        if (s) q->slist = s;
    }
    q->follow = rq->follow_redirects;
    q->has_range = rq->has_range;
    q->range_start = rq->range_start;
    q->range_end = rq->range_end;
    q->resume = rq->resume && rq->on_data;
    q->decode = rq->accept_encoding;
    q->timeout_s = rq->timeout_s > 0 ? rq->timeout_s : c->o.timeout_s;
    q->stall_timeout_s = rq->stall_timeout_s > 0 ? rq->stall_timeout_s : c->o.stall_timeout_s;
    retry_fill(&q->retry, rq->retry ? rq->retry : &c->o.retry);
    q->max_body = rq->max_body ? rq->max_body : DEFAULT_MAX_BODY;
    q->on_data = rq->on_data;
    q->on_headers = rq->on_headers;
    q->on_done = done;
    q->done_user = done_user;
    q->user = rq->user;
    q->attempt = rq->prior_attempts > 0 ? rq->prior_attempts : 0;
    q->submitted = q->due = mono_now();
    if (rq->prior_elapsed_s > 0) q->submitted -= rq->prior_elapsed_s;
    sb_init(&q->body_buf);
    if (c->queue_tail) c->queue_tail->next = q; else c->queue_head = q;
    c->queue_tail = q;
    c->pending++;
    return q->id;
}

uint64_t http_submit(http_client *c, const http_request *rq, blalm_err *e)
{
    return submit_with(c, rq, rq ? rq->on_done : NULL, rq ? rq->user : NULL, e);
}

/* Message helper: "METHOD url-without-query: what" with secrets removed. */
static void req_fail_msg(req *q, blalm_err *e, const char *fmt, ...) BLALM_PRINTF(3, 4);
static void req_fail_msg(req *q, blalm_err *e, const char *fmt, ...)
{
    char what[BLALM_ERR_MAX], raw[BLALM_ERR_MAX * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(raw, sizeof raw, "%s %s: %s", q->method, q->url, what);
    http_redact(raw, (const char *const *)q->headers, e->msg, sizeof e->msg);
}

/* ---- curl callbacks ---------------------------------------------------- */

static void set_abort(req *q, const char *fmt, ...) BLALM_PRINTF(2, 3);
static void set_abort(req *q, const char *fmt, ...)
{
    if (q->aborted) return;
    q->aborted = 1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->abort_err.msg, sizeof q->abort_err.msg, fmt, ap);
    va_end(ap);
}

static void header_add(http_response *r, const char *name, size_t nl, const char *val, size_t vl)
{
    http_header *h = realloc(r->headers, (r->nheaders + 1) * sizeof *h);
    if (!h) { fputs("blalm: out of memory\n", stderr); abort(); }
    r->headers = h;
    h[r->nheaders].name = strndup(name, nl);
    h[r->nheaders].value = strndup(val, vl);
    if (!h[r->nheaders].name || !h[r->nheaders].value) { fputs("blalm: out of memory\n", stderr); abort(); }
    r->nheaders++;
}

/* The final response's headers are in: decide where the body goes. */
static void headers_complete(req *q)
{
    q->headers_final = 1;
    q->ok_body = q->status >= 200 && q->status < 300;
    q->resp.status = q->status;
    if (!q->ok_body) return;
    uint64_t want = q->range_start + q->delivered;  /* first byte asked for */
    int asked_range = q->has_range || (q->resume && q->delivered > 0);
    if (q->status == 206 && asked_range) {
        const char *cr = http_header_get(&q->resp, "content-range");
        unsigned long long a, b;
        if (!cr || sscanf(cr, " bytes %llu-%llu", &a, &b) != 2) {
            set_abort(q, "HTTP 206 without a usable Content-Range (asked for bytes=%" PRIu64 "-)", want);
            return;
        }
        if (a != want) {
            set_abort(q, "asked for bytes=%" PRIu64 "- but Content-Range starts at %llu", want, a);
            return;
        }
        q->pos = want;
        q->skip = 0;
    } else if (q->status == 206) {
        set_abort(q, "HTTP 206 to a request without Range");
        return;
    } else {
        /* whole body from byte 0: drop what was already delivered */
        q->pos = 0;
        q->skip = q->on_data ? want : 0;
        if (!q->on_data) q->skip = 0;
    }
    if (!q->on_data) sb_reset(&q->body_buf);
    if (q->on_headers) {
        blalm_err e = {{0}};
        if (q->on_headers(q->user, &q->resp, &e) != 0)
            set_abort(q, "%s", e.msg[0] ? e.msg : "stopped by the caller");
    }
}

static size_t on_header_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    req *q = ud;
    size_t n = size * nitems;
    if (n >= 5 && !strncmp(buf, "HTTP/", 5)) {
        /* a new response (redirect hop, 100 Continue, or the final one) */
        headers_clear(&q->resp);
        q->headers_final = 0;
        const char *sp = memchr(buf, ' ', n);
        q->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        q->resp.http_version = buf[5] == '2' ? 2 : buf[5] == '3' ? 3 : 1;
        return n;
    }
    size_t l = n;
    while (l && (buf[l - 1] == '\r' || buf[l - 1] == '\n')) l--;
    if (l == 0) {                       /* end of this response's headers */
        if (q->status >= 100 && q->status < 200) return n;
        int redirect = q->status >= 300 && q->status < 400 &&
                       http_header_get(&q->resp, "location") != NULL;
        if (redirect && q->follow) return n;  /* curl goes on to the next hop */
        headers_complete(q);
        return q->aborted ? 0 : n;
    }
    const char *colon = memchr(buf, ':', l);
    if (!colon) return n;
    const char *v = colon + 1;
    while (v < buf + l && (*v == ' ' || *v == '\t')) v++;
    header_add(&q->resp, buf, (size_t)(colon - buf), v, (size_t)(buf + l - v));
    return n;
}

static size_t on_write_cb(char *p, size_t size, size_t nmemb, void *ud)
{
    req *q = ud;
    size_t n = size * nmemb;
    if (q->aborted) return 0;
    if (!q->headers_final) headers_complete(q);   /* e.g. HTTP/0.9-ish replies */
    if (q->aborted) return 0;
    if (!q->ok_body) {                  /* error body: keep the start for the message */
        if (q->body_buf.len < ERR_BODY_MAX) {
            size_t k = ERR_BODY_MAX - q->body_buf.len;
            sb_add(&q->body_buf, p, n < k ? n : k);
        }
        return n;
    }
    const char *d = p;
    size_t left = n;
    if (q->skip) {
        size_t k = q->skip < left ? (size_t)q->skip : left;
        q->skip -= k;
        q->pos += k;
        d += k;
        left -= k;
    }
    if (!left) return n;
    if (q->range_end && q->pos + left > q->range_end)   /* server sent more than asked */
        left = q->pos >= q->range_end ? 0 : (size_t)(q->range_end - q->pos);
    if (!left) return n;
    if (q->on_data) {
        blalm_err e = {{0}};
        if (q->on_data(q->user, q->pos, d, left, &e) != 0) {
            set_abort(q, "%s", e.msg[0] ? e.msg : "stopped by the caller");
            return 0;
        }
        q->delivered = q->pos + left - q->range_start;
    } else {
        if (q->body_buf.len + left > q->max_body) {
            set_abort(q, "response body over %zu bytes", q->max_body);
            return 0;
        }
        sb_add(&q->body_buf, d, left);
    }
    q->pos += left;
    q->resp.bytes += left;
    return n;
}

/* ---- attempts ---------------------------------------------------------- */

static int attempt_start(http_client *c, req *q, blalm_err *e)
{
    CURL *h = curl_easy_init();
    if (!h) return err_set(e, "http: curl_easy_init failed");
    q->easy = h;
    q->attempt++;
    q->status = 0;
    q->headers_final = 0;
    q->ok_body = 0;
    q->skip = 0;
    q->aborted = 0;
    q->abort_err.msg[0] = 0;
    q->curl_msg[0] = 0;
    headers_clear(&q->resp);
    sb_reset(&q->body_buf);

    curl_easy_setopt(h, CURLOPT_URL, q->url);
    curl_easy_setopt(h, CURLOPT_PRIVATE, q);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, q->curl_msg);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header_cb);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, q);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, q);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, q->slist);
    curl_easy_setopt(h, CURLOPT_USERAGENT, c->o.user_agent ? c->o.user_agent : "blalm/" BLALM_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    /* big reads for streamed downloads: fewer callbacks and writes */
    if (q->on_data) curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
    /* "" offers (and decodes) every coding this libcurl was built with;
     * max_body applies to the decoded bytes. Streamed and ranged bodies stay
     * as stored: their offsets count stored bytes. */
    if (q->decode && !q->on_data && !q->has_range) curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->o.connect_timeout_s * 1000));
    if (q->timeout_s > 0) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(q->timeout_s * 1000));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)(q->stall_timeout_s < 1 ? 1 : q->stall_timeout_s));
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, q->follow ? 1L : 0L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (c->o.verbose) curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);

    if (!strcmp(q->method, "HEAD")) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    else if (!strcmp(q->method, "POST")) curl_easy_setopt(h, CURLOPT_POST, 1L);
    else if (strcmp(q->method, "GET")) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method);
    if (q->body || !strcmp(q->method, "POST")) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)q->body_len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, q->body ? q->body : "");
    }
    uint64_t from = q->range_start + (q->resume ? q->delivered : 0);
    if (q->has_range || from > 0) {
        char range[64];
        if (q->range_end)
            snprintf(range, sizeof range, "%" PRIu64 "-%" PRIu64, from,
                     q->range_end > from ? q->range_end - 1 : from);
        else
            snprintf(range, sizeof range, "%" PRIu64 "-", from);
        curl_easy_setopt(h, CURLOPT_RANGE, range);
    }
    if (q->on_data && !q->resume) q->delivered = 0;
    CURLMcode mc = curl_multi_add_handle(c->multi, h);
    if (mc != CURLM_OK) {
        curl_easy_cleanup(h);
        q->easy = NULL;
        return err_set(e, "http: curl_multi_add_handle: %s", curl_multi_strerror(mc));
    }
    c->active++;
    q->aprev = NULL;
    q->anext = c->inflight;
    if (c->inflight) c->inflight->aprev = q;
    c->inflight = q;
    return 0;
}

static void inflight_unlink(http_client *c, req *q)
{
    if (q->aprev) q->aprev->anext = q->anext; else c->inflight = q->anext;
    if (q->anext) q->anext->aprev = q->aprev;
    q->aprev = q->anext = NULL;
}

static int curl_code_retryable(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST: case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT: case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR: case CURLE_RECV_ERROR: case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: case CURLE_SSL_CONNECT_ERROR: case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: case CURLE_AGAIN:
        return 1;
    default:
        return 0;
    }
}

/* The first 300 bytes of an error body, control characters as spaces, with
 * the request's secrets removed from the body's head BEFORE it is cut: a key
 * a server echoes across the cut would otherwise leave its first part. */
static void body_snippet(const sbuf *b, char *const *headers, char *out, size_t cap)
{
    out[0] = 0;
    size_t n = b->len < 16384 ? b->len : 16384, rcap = 2 * n + 64;
    char *raw = malloc(n + 1), *red = malloc(rcap);
    if (!raw || !red) {
        free(raw);
        free(red);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)b->data[i];
        raw[i] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
    }
    raw[n] = 0;
    http_redact(raw, (const char *const *)headers, red, rcap);
    size_t o = strlen(red);
    if (o > 300) {
        o = 300;
        while (o && ((unsigned char)red[o] & 0xc0) == 0x80) o--;   /* not inside a UTF-8 character */
    }
    if (o >= cap) o = cap - 1;
    while (o && red[o - 1] == ' ') o--;
    memcpy(out, red, o);
    out[o] = 0;
    free(raw);
    free(red);
}

static void finish(http_client *c, req *q, int rc, blalm_err *e)
{
    q->resp.attempts = q->attempt;
    q->resp.elapsed_s = mono_now() - q->submitted;
    if (q->body_buf.len || !q->on_data || rc != 0) {
        sb_cstr(&q->body_buf);
        free(q->resp.body);
        q->resp.body = q->body_buf.data;
        q->resp.body_len = q->body_buf.len;
        sb_init(&q->body_buf);
    }
    c->pending--;
    if (q->on_done) q->on_done(q->done_user, rc, &q->resp, e);
    req_free(q);
}

/* An attempt ended: succeed, fail, or schedule the next attempt. */
static void attempt_done(http_client *c, req *q, CURLcode cc)
{
    CURL *h = q->easy;
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    char *eff = NULL, *redir = NULL;
    curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
    curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &redir);
    free(q->resp.effective_url);
    q->resp.effective_url = eff ? xstrdup(eff) : NULL;
    free(q->resp.location);
    q->resp.location = (!q->follow && redir) ? xstrdup(redir) : NULL;
    if (cc == CURLE_OK && !q->headers_final && status) {
        q->status = status;
        headers_complete(q);              /* e.g. HEAD: headers only */
    }
    q->resp.status = status;
    curl_multi_remove_handle(c->multi, h);
    curl_easy_cleanup(h);
    q->easy = NULL;
    c->active--;
    inflight_unlink(c, q);

    blalm_err e = {{0}};
    const char *att = q->attempt == 1 ? "attempt" : "attempts";
    if (q->aborted) {
        req_fail_msg(q, &e, "%s", q->abort_err.msg);
        finish(c, q, -1, &e);
        return;
    }
    int retryable;
    char what[600];
    if (cc != CURLE_OK) {
        retryable = curl_code_retryable(cc);
        snprintf(what, sizeof what, "%s", q->curl_msg[0] ? q->curl_msg : curl_easy_strerror(cc));
        status = 0;
    } else if ((status >= 200 && status < 300) || (!q->follow && status >= 300 && status < 400)) {
        finish(c, q, 0, &e);
        return;
    } else {
        retryable = http_status_retryable(status);
        char snip[320];
        body_snippet(&q->body_buf, q->headers, snip, sizeof snip);
        snprintf(what, sizeof what, "HTTP %ld%s%s", status, snip[0] ? ": " : "", snip);
    }
    if (!retryable) {
        req_fail_msg(q, &e, "%s (%d %s)", what, q->attempt, att);
        finish(c, q, -1, &e);
        return;
    }
    if (c->draining) {
        req_fail_msg(q, &e, "%s (%d %s; not retried: the client is stopping)", what, q->attempt, att);
        finish(c, q, -1, &e);
        return;
    }
    int from_server = 0;
    double wait = http_retry_delay(&q->retry, q->attempt, status, q->resp.headers,
                                   q->resp.nheaders, epoch_now(), &c->rng, &from_server);
    wait *= c->delay_scale;
    double elapsed = mono_now() - q->submitted;
    if (q->attempt >= q->retry.max_attempts) {
        req_fail_msg(q, &e, "%s (gave up after %d %s, %.1f s)", what, q->attempt, att, elapsed);
        q->resp.gave_up = 1;
        finish(c, q, -1, &e);
        return;
    }
    if (elapsed + wait > q->retry.max_total_s) {
        req_fail_msg(q, &e, "%s (gave up after %d %s: the next wait of %.1f s%s would pass the "
                     "%.0f s retry budget)", what, q->attempt, att, wait,
                     from_server ? ", asked by the server," : "", q->retry.max_total_s);
        q->resp.gave_up = 1;
        finish(c, q, -1, &e);
        return;
    }
    q->due = mono_now() + wait;
    q->next = c->waiting;
    c->waiting = q;
}

static void start_due(http_client *c)
{
    double now = mono_now();
    /* retries first: they were submitted earlier */
    for (req **pp = &c->waiting; *pp && c->active < c->o.max_in_flight;) {
        req *q = *pp;
        if (q->due <= now) {
            *pp = q->next;
            q->next = NULL;
            blalm_err e = {{0}};
            if (attempt_start(c, q, &e) != 0) { req_fail_msg(q, &e, "%s", e.msg); finish(c, q, -1, &e); }
        } else {
            pp = &q->next;
        }
    }
    while (c->queue_head && c->active < c->o.max_in_flight) {
        req *q = c->queue_head;
        c->queue_head = q->next;
        if (!c->queue_head) c->queue_tail = NULL;
        q->next = NULL;
        blalm_err e = {{0}};
        if (attempt_start(c, q, &e) != 0) { req_fail_msg(q, &e, "%s", e.msg); finish(c, q, -1, &e); }
    }
}

/* Starts what is due, lets libcurl move data, and finishes what is done. */
static int step(http_client *c, blalm_err *e)
{
    start_due(c);
    int running = 0;
    CURLMcode mc = curl_multi_perform(c->multi, &running);
    if (mc != CURLM_OK) return err_set(e, "http: curl_multi_perform: %s", curl_multi_strerror(mc));
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE) continue;
        req *q = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
        if (q) attempt_done(c, q, m->data.result);
    }
    start_due(c);
    return 0;
}

int http_poll(http_client *c, int timeout_ms, blalm_err *e)
{
    if (step(c, e) < 0) return -1;
    if (!c->pending) return 0;
    /* sleep until traffic, the next due retry, or the caller's timeout */
    int wait = timeout_ms;
    if (c->queue_head && c->active < c->o.max_in_flight) wait = 0;
    double now = mono_now();
    for (req *q = c->waiting; q; q = q->next) {
        int ms = q->due <= now ? 0 : (int)ceil((q->due - now) * 1000);
        if (ms < wait) wait = ms;
    }
    if (wait > 0) {
        if (c->active) {
            CURLMcode mc = curl_multi_poll(c->multi, NULL, 0, wait, NULL);
            if (mc != CURLM_OK) return err_set(e, "http: curl_multi_poll: %s", curl_multi_strerror(mc));
        } else {
            struct timespec ts = {wait / 1000, (long)(wait % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        /* what the wait brought is handled in this call */
        if (step(c, e) < 0) return -1;
    }
    return c->pending;
}

/* A request the drain takes back: failed as never sent, or as not retried. */
static void fail_stopping(http_client *c, req *q)
{
    blalm_err e;
    if (q->attempt > 0)
        req_fail_msg(q, &e, "not retried after %d attempt%s: the client is stopping", q->attempt,
                     q->attempt == 1 ? "" : "s");
    else
        req_fail_msg(q, &e, "not sent: the client is stopping");
    finish(c, q, -1, &e);
}

void http_client_drain(http_client *c)
{
    if (!c || c->draining) return;
    c->draining = 1;
    req *lists[2] = {c->queue_head, c->waiting};
    c->queue_head = c->queue_tail = c->waiting = NULL;
    for (int k = 0; k < 2; k++)
        for (req *q = lists[k], *nx; q; q = nx) {
            nx = q->next;
            q->next = NULL;
            fail_stopping(c, q);
        }
    /* Handed to curl but not sending yet (connecting, or waiting with
     * CURLOPT_PIPEWAIT until the first connection says whether it
     * multiplexes): taken back, or they would go out once it answers. A
     * transfer that has started sending (its pretransfer time set) keeps
     * its own outcome. */
    for (req *q = c->inflight, *nx; q; q = nx) {
        nx = q->anext;
        curl_off_t pre = 0;
        if (!q->easy || curl_easy_getinfo(q->easy, CURLINFO_PRETRANSFER_TIME_T, &pre) != CURLE_OK || pre > 0)
            continue;
        curl_multi_remove_handle(c->multi, q->easy);
        curl_easy_cleanup(q->easy);
        q->easy = NULL;
        c->active--;
        inflight_unlink(c, q);
        q->attempt--;   /* this one never went out */
        fail_stopping(c, q);
    }
}

int http_run(http_client *c, blalm_err *e)
{
    while (c->pending)
        if (http_poll(c, 1000, e) < 0) return -1;
    return 0;
}

typedef struct fetch_slot { int done, rc; http_response *out; blalm_err *e; } fetch_slot;

static void fetch_done(void *user, int rc, http_response *r, const blalm_err *e)
{
    fetch_slot *s = user;
    s->done = 1;
    s->rc = rc;
    *s->out = *r;                    /* move: the layer must not free what we took */
    memset(r, 0, sizeof *r);
    if (rc != 0 && s->e) *s->e = *e;
}

int http_fetch(http_client *c, const http_request *rq, http_response *out, blalm_err *e)
{
    memset(out, 0, sizeof *out);
    fetch_slot s = {0, -1, out, e};
    if (!submit_with(c, rq, fetch_done, &s, e)) return -1;
    while (!s.done)
        if (http_poll(c, 1000, e) < 0) return -1;
    return s.rc;
}

void http_client_free(http_client *c)
{
    if (!c) return;
    blalm_err e;
    req *lists[2] = {c->queue_head, c->waiting};
    for (int k = 0; k < 2; k++)
        for (req *q = lists[k], *nx; q; q = nx) {
            nx = q->next;
            req_fail_msg(q, &e, "cancelled");
            finish(c, q, -1, &e);
        }
    while (c->inflight) {
        req *q = c->inflight;
        inflight_unlink(c, q);
        curl_multi_remove_handle(c->multi, q->easy);
        curl_easy_cleanup(q->easy);
        q->easy = NULL;
        c->active--;
        req_fail_msg(q, &e, "cancelled");
        finish(c, q, -1, &e);
    }
    curl_multi_cleanup(c->multi);
    free(c);
    curl_global_cleanup();
}
