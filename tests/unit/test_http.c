/* test_http.c - retry policy, header parsing, redaction, and the client
 * against an in-process loopback server (a stand-in scripted per test). */
#include <limits.h>
#include "tests/unit/test.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/http.h"


/* ---- pure policy ------------------------------------------------------- */

TEST(retryable_statuses)
{
    long yes[] = {408, 409, 429, 500, 502, 503, 504, 599};
    long no[] = {200, 204, 301, 302, 400, 401, 403, 404, 410, 422};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) CHECK(http_status_retryable(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) CHECK(!http_status_retryable(no[i]));
}

TEST(retry_after_seconds_and_dates)
{
    double s;
    CHECK(http_parse_retry_after("120", 0, &s) == 0); CHECK_NEAR(s, 120, 1e-9);
    CHECK(http_parse_retry_after("  7 ", 0, &s) == 0); CHECK_NEAR(s, 7, 1e-9);
    /* Wed, 21 Oct 2015 07:28:00 GMT = 1445412480 */
    CHECK(http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480.0 - 30, &s) == 0);
    CHECK_NEAR(s, 30, 1e-6);
    CHECK(http_parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", 1445412480.0 - 5, &s) == 0);
    CHECK_NEAR(s, 5, 1e-6);
    CHECK(http_parse_retry_after("Wed Oct 21 07:28:00 2015", 1445412480.0 - 2, &s) == 0);
    CHECK_NEAR(s, 2, 1e-6);
    CHECK(http_parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480.0 + 100, &s) == 0);
    CHECK_NEAR(s, 0, 1e-9);   /* a past date means now */
    CHECK(http_parse_retry_after("-5", 0, &s) == -1);
    CHECK(http_parse_retry_after("soon", 0, &s) == -1);
    CHECK(http_parse_retry_after("12abc", 0, &s) == -1);
    CHECK(http_parse_retry_after("", 0, &s) == -1);
    CHECK(http_parse_retry_after_ms("1500", &s) == 0); CHECK_NEAR(s, 1.5, 1e-9);
    CHECK(http_parse_retry_after_ms("2.5", &s) == 0); CHECK_NEAR(s, 0.0025, 1e-12);
    CHECK(http_parse_retry_after_ms("x", &s) == -1);
}

TEST(ratelimit_headers)
{
    long rem;
    double t;
    CHECK(http_parse_ratelimit("\"api\";r=0;t=55", &rem, &t) == 0);
    CHECK_EQ_INT(rem, 0); CHECK_NEAR(t, 55, 1e-9);
    CHECK(http_parse_ratelimit("\"resolvers\"; r=12; t=3", &rem, &t) == 0);
    CHECK_EQ_INT(rem, 12); CHECK_NEAR(t, 3, 1e-9);
    CHECK(http_parse_ratelimit("limit=100, remaining=0, reset=50", &rem, &t) == 0);
    CHECK_EQ_INT(rem, 0); CHECK_NEAR(t, 50, 1e-9);
    CHECK(http_parse_ratelimit("\"test\";r=4", &rem, &t) == -1);   /* "t" in a name is not t= */
    CHECK_EQ_INT(rem, 4);
    CHECK(http_parse_ratelimit("garbage", &rem, &t) == -1);
}

TEST(ratelimit_huge_remaining)
{
    /* found by tests/fuzz/fuzz_http.c: r=1e30 was cast to long (UB) */
    long rem = 0;
    double t = 0;
    CHECK(http_parse_ratelimit("\"api\";r=1000000000000000000000000000000;t=5", &rem, &t) == 0);
    CHECK(rem == LONG_MAX);
    CHECK(t == 5);
}

TEST(link_next)
{
    char *u = http_link_next("<https://h/a?cursor=1>; rel=\"next\", <https://h/b>; rel=prev");
    CHECK(u && !strcmp(u, "https://h/a?cursor=1"));
    free(u);
    u = http_link_next("<https://h/p>; rel=\"prev\", <https://h/n>; rel=next");
    CHECK(u && !strcmp(u, "https://h/n"));
    free(u);
    CHECK(http_link_next("<https://h/p>; rel=\"prev\"") == NULL);
    CHECK(http_link_next("<unterminated; rel=next") == NULL);
    CHECK(http_link_next(NULL) == NULL);
}

/* RFC 8288: rel after other parameters however long (a rel past the first
 * 255 bytes of a link's parameters was missed, and the listing silently
 * ended there), a quoted comma that does not end the link, relation types
 * as a space-separated list, names and types in any case, whitespace around
 * '='; a relation type that merely starts with "next" is not "next". */
TEST(link_next_rfc8288)
{
    char title[400];
    memset(title, 'x', 300);
    title[300] = 0;
    char link[600];
    snprintf(link, sizeof link, "<https://h/n>; title=\"%s\"; rel=\"next\"", title);
    char *u = http_link_next(link);
    CHECK_EQ_STR(u, "https://h/n");
    free(u);
    u = http_link_next("<https://h/p>; title=\"a, b\"; rel=\"next\"");
    CHECK_EQ_STR(u, "https://h/p");
    free(u);
    u = http_link_next("<https://h/q>; rel=\"prev next\"");
    CHECK_EQ_STR(u, "https://h/q");
    free(u);
    u = http_link_next("<https://h/r>; REL = \"Next\"");
    CHECK_EQ_STR(u, "https://h/r");
    free(u);
    CHECK(http_link_next("<https://h/s>; rel=next-archive") == NULL);
    CHECK(http_link_next("<https://h/t>; title=\"rel=next\"") == NULL);
    u = http_link_next("<https://h/a>; rel=nextish, <https://h/b>; rel=next");
    CHECK_EQ_STR(u, "https://h/b");
    free(u);
}

TEST(header_join_every_line)
{
    /* a list-valued field sent as several lines: http_header_get gives the
     * last, http_header_join all of them (the Link with rel="next" may be any) */
    http_header h[] = {{"Link", "<https://h/n?c=2>; rel=\"next\""}, {"ETag", "\"x\""},
                       {"link", "<https://h/f>; rel=\"first\""}};
    http_response r = {.headers = h, .nheaders = 3};
    CHECK_EQ_STR(http_header_get(&r, "Link"), "<https://h/f>; rel=\"first\"");
    char *j = http_header_join(&r, "LINK");
    CHECK_EQ_STR(j, "<https://h/n?c=2>; rel=\"next\", <https://h/f>; rel=\"first\"");
    char *u = http_link_next(j);
    CHECK_EQ_STR(u, "https://h/n?c=2");
    free(u);
    free(j);
    CHECK(http_header_join(&r, "x-none") == NULL);
    CHECK(http_header_join(NULL, "link") == NULL);
}

TEST(url_resolve_rfc3986)
{
    const char *b = "http://h:1/a/b/c?q=1";
    static const char *cases[][2] = {
        {"?cursor=2", "http://h:1/a/b/c?cursor=2"},
        {"d?x", "http://h:1/a/b/d?x"},
        {"../d", "http://h:1/a/d"},
        {"/p?y", "http://h:1/p?y"},
        {"//g:2/p", "http://g:2/p"},
        {"https://o/z", "https://o/z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *u = http_url_resolve(b, cases[i][0]);
        CHECK_MSG(u && !strcmp(u, cases[i][1]), "%s -> %s, want %s", cases[i][0], u ? u : "NULL", cases[i][1]);
        free(u);
    }
}

TEST(backoff_full_jitter_capped)
{
    http_retry p;
    http_retry_defaults(&p);
    p.base_delay_s = 1;
    p.max_delay_s = 8;
    uint64_t rng = 42;
    for (int attempt = 1; attempt <= 8; attempt++) {
        double ceiling = attempt >= 4 ? 8 : (double)(1 << (attempt - 1));
        double mx = 0, sum = 0;
        for (int i = 0; i < 4000; i++) {
            int fs = -1;
            double d = http_retry_delay(&p, attempt, 503, NULL, 0, 0, &rng, &fs);
            CHECK(fs == 0);
            CHECK_MSG(d >= 0 && d <= ceiling, "attempt %d delay %g outside [0, %g]", attempt, d, ceiling);
            if (d > mx) mx = d;
            sum += d;
        }
        CHECK_MSG(mx > 0.9 * ceiling, "attempt %d: max %g never near ceiling %g", attempt, mx, ceiling);
        CHECK_NEAR(sum / 4000, ceiling / 2, ceiling * 0.06);
    }
}

TEST(server_waits_win)
{
    http_retry p;
    http_retry_defaults(&p);
    p.max_server_delay_s = 100;
    uint64_t rng = 1;
    int fs = 0;
    http_header h1[] = {{"Retry-After", "7"}};
    CHECK_NEAR(http_retry_delay(&p, 1, 429, h1, 1, 0, &rng, &fs), 7, 1e-9); CHECK(fs == 1);
    http_header h2[] = {{"Retry-After", "7"}, {"retry-after-ms", "250"}};
    CHECK_NEAR(http_retry_delay(&p, 1, 503, h2, 2, 0, &rng, &fs), 0.25, 1e-9);
    http_header h3[] = {{"RateLimit", "\"api\";r=0;t=42"}};
    CHECK_NEAR(http_retry_delay(&p, 3, 429, h3, 1, 0, &rng, &fs), 42, 1e-9); CHECK(fs == 1);
    http_header h4[] = {{"retry-after", "100000"}};
    CHECK_NEAR(http_retry_delay(&p, 1, 429, h4, 1, 0, &rng, &fs), 100, 1e-9);   /* capped */
    http_header h5[] = {{"Retry-After", "nonsense"}};
    double d = http_retry_delay(&p, 1, 500, h5, 1, 0, &rng, &fs);
    CHECK(fs == 0 && d >= 0 && d <= 1);
}

TEST(delay_scale_parse)
{
    CHECK_NEAR(http_delay_scale_parse("0.01"), 0.01, 1e-12);
    CHECK_NEAR(http_delay_scale_parse("0"), 0, 1e-12);
    CHECK_NEAR(http_delay_scale_parse("bogus"), 1, 1e-12);
    CHECK_NEAR(http_delay_scale_parse("-2"), 1, 1e-12);
    CHECK_NEAR(http_delay_scale_parse(""), 1, 1e-12);
    CHECK_NEAR(http_delay_scale_parse(NULL), 1, 1e-12);
}

TEST(redaction)
{
    const char *hdrs[] = {"Authorization: Bearer secret-token-xyz", "X-Api-Key: k3y-abcdef", NULL};
    char out[512];
    http_redact("GET https://cdn.example/a/b?X-Amz-Signature=abc&x=1 failed: Bearer secret-token-xyz "
                "or secret-token-xyz or k3y-abcdef",
                hdrs, out, sizeof out);
    CHECK(!strstr(out, "secret-token-xyz"));
    CHECK(!strstr(out, "k3y-abcdef"));
    CHECK(!strstr(out, "Signature"));
    CHECK_CONTAINS(out, "https://cdn.example/a/b?...");
    CHECK_CONTAINS(out, "failed: ***");
    /* text cut inside a secret ends with its first 4+ characters: they go too */
    http_redact("HTTP 400: echoed Authorization=Bearer secret-tok", hdrs, out, sizeof out);
    CHECK_EQ_STR(out, "HTTP 400: echoed Authorization=***");   /* "Bearer secret-tok" starts the header value */
    http_redact("ends in sec", hdrs, out, sizeof out);
    CHECK_EQ_STR(out, "ends in sec");
    http_redact("GET http://h/p?a=1: HTTP 404", NULL, out, sizeof out);
    CHECK_EQ_STR(out, "GET http://h/p?...: HTTP 404");
    /* a password in the URL is as secret as a token */
    http_redact("POST http://user:pa55word@127.0.0.1:9/v1/chat/completions?k=v: connection refused", NULL, out,
                sizeof out);
    CHECK_EQ_STR(out, "POST http://***@127.0.0.1:9/v1/chat/completions?...: connection refused");
    http_redact("see https://tok@hub.example/x and http://a@b@c/ and mailto user@host", NULL, out, sizeof out);
    CHECK_EQ_STR(out, "see https://***@hub.example/x and http://***@c/ and mailto user@host");
    http_redact("http://h:8080/p@q", NULL, out, sizeof out);
    CHECK_EQ_STR(out, "http://h:8080/p@q");
    http_redact("nothing secret", NULL, out, sizeof out);
    CHECK_EQ_STR(out, "nothing secret");
    http_redact("tiny", hdrs, out, 3);
    CHECK_EQ_STR(out, "ti");
    /* a key in a URL's path (an API echoing the URL it was asked) is a key too */
    http_redact("GET https://api.example/v1/keys/secret-token-xyz/usage failed", hdrs, out, sizeof out);
    CHECK_EQ_STR(out, "GET https://api.example/v1/keys/***/usage failed");
    /* and so is a password in a URL inside another URL's path */
    http_redact("see http://h/redirect/http://u:pw99@other/x", NULL, out, sizeof out);
    CHECK_EQ_STR(out, "see http://h/redirect/http://***@other/x");
    /* a signed link without scheme and host, as a CDN's error body quotes it */
    http_redact("HTTP 403: <Url>/cdn/ab/x.parquet?sig=s3cr3t&Expires=1</Url> at \"/p?X-Amz-Signature=s3cr3t\"", NULL,
                out, sizeof out);
    CHECK_EQ_STR(out, "HTTP 403: <Url>/cdn/ab/x.parquet?...</Url> at \"/p?...\"");
    /* a path with a question that is no query, and a lone slash, stay */
    http_redact("is /a/b? yes; 1 / 2 ?x=1", NULL, out, sizeof out);
    CHECK_EQ_STR(out, "is /a/b? yes; 1 / 2 ?x=1");
}

/* what libcurl takes for a URL, so what its errors echo: any scheme in any
 * case, "scheme:/" with one slash, and no scheme at all (curl guesses http) */
TEST(redaction_any_url_form)
{
    char out[512];
    http_redact("POST HTTP://usr:s3cr3tpw@127.0.0.1:1/v1/chat/completions: Failed to connect", NULL, out,
                sizeof out);
    CHECK_EQ_STR(out, "POST HTTP://***@127.0.0.1:1/v1/chat/completions: Failed to connect");
    http_redact("POST Https://usr:s3cr3tpw@h/v1?k=v: x", NULL, out, sizeof out);
    CHECK_EQ_STR(out, "POST Https://***@h/v1?...: x");
    http_redact("POST usr:s3cr3tpw@127.0.0.1:1/v1/chat/completions: Failed to connect", NULL, out, sizeof out);
    CHECK_EQ_STR(out, "POST ***@127.0.0.1:1/v1/chat/completions: Failed to connect");
    http_redact("POST http:/usr:s3cr3tpw@127.0.0.1:1/v1/chat/completions: x", NULL, out, sizeof out);
    CHECK_EQ_STR(out, "POST http:/***@127.0.0.1:1/v1/chat/completions: x");
    http_redact("POST ftp://usr:s3cr3tpw@127.0.0.1:1/v1/chat/completions: Protocol \"ftp\" not supported", NULL,
                out, sizeof out);
    CHECK_EQ_STR(out, "POST ftp://***@127.0.0.1:1/v1/chat/completions: Protocol \"ftp\" not supported");
    http_redact("to 'usr:s3cr3tpw@h:8/v1' and (1usr:s3cr3tpw@h) and x=socks5h://u:s3cr3tpw@p:1", NULL, out,
                sizeof out);
    CHECK(!strstr(out, "s3cr3tpw"));
    CHECK_EQ_STR(out, "to '***@h:8/v1' and (***@h) and x=socks5h://***@p:1");
    http_redact("Location: HTTP://a:s3cr3tpw@other.example:81/v1?sig=s3cr3tpw", NULL, out, sizeof out);
    CHECK_EQ_STR(out, "Location: HTTP://***@other.example:81/v1?...");
    /* what is not a URL's userinfo stays */
    const char *same[] = {"Educational score: 7", "mailto user@host", "http://h:8080/p@q", "ratio 3:1 at x@y",
                          "error: a@b", "key:value", NULL};
    for (int i = 0; same[i]; i++) {
        http_redact(same[i], NULL, out, sizeof out);
        CHECK_EQ_STR(out, same[i]);
    }
}

TEST(url_check)
{
    char why[200];
    CHECK_EQ_INT(http_url_check("http://127.0.0.1:8000/v1", why, sizeof why), 0);
    CHECK_EQ_INT(http_url_check("HTTPS://api.example/v1", why, sizeof why), 0);
    CHECK_EQ_INT(http_url_check("https://u:p@api.example/v1", why, sizeof why), 0);
    const char *bad[] = {"usr:s3cr3tpw@127.0.0.1:1/v1", "http:/usr:s3cr3tpw@127.0.0.1:1/v1",
                         "ftp://usr:s3cr3tpw@127.0.0.1/v1", "127.0.0.1:8000/v1", "",
                         "http://usr:s3cr/3tpw@127.0.0.1/v1", "http://", NULL};
    for (int i = 0; bad[i]; i++) {
        why[0] = 0;
        CHECK_EQ_INT(http_url_check(bad[i], why, sizeof why), -1);
        CHECK(why[0] != 0);
        CHECK(!strstr(why, "s3cr"));
        CHECK(!strstr(why, "127.0.0.1"));
    }
    http_url_check("ftp://x/", why, sizeof why);
    CHECK_CONTAINS(why, "must start with http:// or https://");
    /* a line break, at the end or before the port: named as what it is */
    CHECK_EQ_INT(http_url_check("http://h:8080\n", why, sizeof why), -1);
    CHECK_CONTAINS(why, "holds a control character (\\n)");
    CHECK_EQ_INT(http_url_check("http://h\n", why, sizeof why), -1);
    CHECK_CONTAINS(why, "holds a control character (\\n)");
    CHECK_EQ_INT(http_url_check("http://h\x01/", why, sizeof why), -1);
    CHECK_CONTAINS(why, "(\\x01)");
    /* a host outside ASCII, as written or percent-encoded: libcurl parses
     * it, then refuses the request; a path or password outside ASCII is
     * sent as it is */
    CHECK_EQ_INT(http_url_check("http://b\xc3\xbc" "cher.example:1", why, sizeof why), -1);
    CHECK_CONTAINS(why, "has a host name that is not ASCII (write it in its xn-- form)");
    CHECK_EQ_INT(http_url_check("http://b%C3%BCcher.example:1", why, sizeof why), -1);
    CHECK_CONTAINS(why, "host name that is not ASCII");
    CHECK_EQ_INT(http_url_check("http://xn--bcher-kva.example:1", why, sizeof why), 0);
    CHECK_EQ_INT(http_url_check("http://h:1/v1/m\xc3\xbcnchen", why, sizeof why), 0);
    CHECK_EQ_INT(http_url_check("http://u:p\xc3\xa4ss@h:1/v1", why, sizeof why), 0);
}

TEST(same_origin)
{
    /* an explicit default port, the scheme's or host's case and userinfo do
     * not make another origin; another port, host or scheme does */
    CHECK_EQ_INT(http_same_origin("https://h:443", "https://h/x"), 1);
    CHECK_EQ_INT(http_same_origin("http://127.0.0.1:80/api?cursor=3", "http://127.0.0.1"), 1);
    CHECK_EQ_INT(http_same_origin("HTTP://H/a", "http://h"), 1);
    CHECK_EQ_INT(http_same_origin("http://user:pw@h:8080/p", "http://h:8080"), 1);
    CHECK_EQ_INT(http_same_origin("http://h:8080/p", "http://h"), 0);
    CHECK_EQ_INT(http_same_origin("https://h/p", "http://h"), 0);
    CHECK_EQ_INT(http_same_origin("http://h2/p", "http://h"), 0);
    CHECK_EQ_INT(http_same_origin("http://h.evil/p", "http://h"), 0);
    CHECK_EQ_INT(http_same_origin("not a url", "http://h"), 0);
    /* IPv6 literals: the default port filled in, another port or address refused */
    CHECK_EQ_INT(http_same_origin("http://[::1]/api?cursor=2", "http://[::1]:80"), 1);
    CHECK_EQ_INT(http_same_origin("http://[::1]:8080/p", "http://[::1]:8080"), 1);
    CHECK_EQ_INT(http_same_origin("http://[::1]:8080/p", "http://[::1]"), 0);
    CHECK_EQ_INT(http_same_origin("http://[::2]:8080/p", "http://[::1]:8080"), 0);
}

/* ---- in-process loopback server ---------------------------------------- */

typedef struct srv srv;
/* Writes a response for request number n (0-based) to fd; returns 0 to keep
 * the connection, -1 to close it. */
typedef int (*srv_handler)(srv *s, int fd, int n, const char *req);
struct srv {
    int lfd, port;
    srv_handler h;
    pthread_mutex_t mu;
    int nreq, nconn, live;
    pthread_t acceptor;
    char last_req[4096];
    const char *body;          /* for handlers serving a payload */
    size_t body_len;
};

static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k <= 0) return;
        c += k;
        n -= (size_t)k;
    }
}

static void *conn_main(void *arg)
{
    void **a = arg;
    srv *s = a[0];
    int fd = (int)(intptr_t)a[1];
    free(a);
    char buf[65536];
    size_t have = 0;
    for (;;) {
        char *end;
        while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
            if (have >= sizeof buf - 1) goto out;
            ssize_t k = read(fd, buf + have, sizeof buf - 1 - have);
            if (k <= 0) goto out;
            have += (size_t)k;
        }
        size_t hl = (size_t)(end - buf) + 4;
        buf[have] = 0;
        size_t clen = 0;
        const char *cl = strcasestr(buf, "\r\ncontent-length:");
        if (cl && cl < end) clen = strtoul(cl + 17, NULL, 10);
        while (have < hl + clen) {
            ssize_t k = read(fd, buf + have, sizeof buf - 1 - have);
            if (k <= 0) goto out;
            have += (size_t)k;
        }
        buf[have] = 0;
        char req[4096];
        snprintf(req, sizeof req, "%.*s", (int)(hl + clen), buf);
        pthread_mutex_lock(&s->mu);
        int n = s->nreq++;
        snprintf(s->last_req, sizeof s->last_req, "%s", req);
        pthread_mutex_unlock(&s->mu);
        int keep = s->h(s, fd, n, req);
        memmove(buf, buf + hl + clen, have - hl - clen);
        have -= hl + clen;
        if (keep != 0) break;
    }
out:
    close(fd);
    pthread_mutex_lock(&s->mu);
    s->live--;
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static void *accept_main(void *arg)
{
    srv *s = arg;
    for (;;) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0) return NULL;
        pthread_mutex_lock(&s->mu);
        s->nconn++;
        s->live++;
        pthread_mutex_unlock(&s->mu);
        void **a = malloc(2 * sizeof *a);
        a[0] = s;
        a[1] = (void *)(intptr_t)fd;
        pthread_t t;
        pthread_create(&t, NULL, conn_main, a);
        pthread_detach(t);
    }
}

static srv *srv_start(srv_handler h)
{
    srv *s = calloc(1, sizeof *s);
    s->h = h;
    pthread_mutex_init(&s->mu, NULL);
    s->lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s->lfd, (struct sockaddr *)&a, sizeof a) || listen(s->lfd, 128)) return NULL;
    socklen_t al = sizeof a;
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->acceptor, NULL, accept_main, s);
    return s;
}

/* Stops accepting, waits for open connections to end, frees. */
static void srv_stop(srv *s)
{
    shutdown(s->lfd, SHUT_RDWR);
    pthread_join(s->acceptor, NULL);
    close(s->lfd);
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&s->mu);
        int live = s->live;
        pthread_mutex_unlock(&s->mu);
        if (!live) break;
        usleep(10000);
    }
    free(s);
}

static void respond(int fd, int status, const char *extra, const char *body)
{
    char head[1024];
    size_t bl = body ? strlen(body) : 0;
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n",
                     status, bl, extra ? extra : "");
    write_all(fd, head, (size_t)n);
    if (bl) write_all(fd, body, bl);
}

/* retry waits shrunk, as the tests' BLALM_DELAY_SCALE does for the CLI */
static const http_client_opts fast_opts = {.delay_scale = 0.01};

static char url_buf[256];
static const char *url(srv *s, const char *path)
{
    snprintf(url_buf, sizeof url_buf, "http://127.0.0.1:%d%s", s->port, path);
    return url_buf;
}

static int h_500_then_ok(srv *s, int fd, int n, const char *req)
{
    if (n < 2) respond(fd, n == 0 ? 500 : 503, "Retry-After: 1\r\n", "busy");
    else respond(fd, 200, "X-Test: yes\r\n", "{\"ok\":true}");
    return 0;
}

TEST(retries_5xx_then_succeeds)
{
    srv *s = srv_start(h_500_then_ok);
    blalm_err e = {{0}};
    http_client *c = http_client_new(&fast_opts, &e);
    CHECK(c);
    http_request rq = {.url = url(s, "/x")};
    http_response r;
    int rc = http_fetch(c, &rq, &r, &e);
    CHECK_MSG(rc == 0, "%s", e.msg);
    CHECK_EQ_INT(r.status, 200);
    CHECK_EQ_INT(r.attempts, 3);
    CHECK_EQ_STR(r.body, "{\"ok\":true}");
    CHECK_EQ_STR(http_header_get(&r, "x-test"), "yes");
    CHECK(r.elapsed_s < 5);      /* Retry-After 1 s scaled by 0.01 */
    http_response_free(&r);
    http_client_free(c);
    srv_stop(s);
}

static int h_404(srv *s, int fd, int n, const char *req)
{
    respond(fd, 404, NULL, "{\"error\":\"Repository not found\"}");
    return 0;
}

TEST(fails_fast_on_404_without_leaking_token)
{
    srv *s = srv_start(h_404);
    blalm_err e = {{0}};
    http_client *c = http_client_new(&fast_opts, &e);
    const char *hdrs[] = {"Authorization: Bearer secret-token-xyz", NULL};
    char u[300];
    snprintf(u, sizeof u, "%s?token=secret-token-xyz", url(s, "/api/x"));
    http_request rq = {.url = u, .headers = hdrs};
    http_response r;
    CHECK(http_fetch(c, &rq, &r, &e) == -1);
    CHECK_EQ_INT(r.status, 404);
    CHECK_EQ_INT(r.attempts, 1);
    CHECK_CONTAINS(e.msg, "HTTP 404");
    CHECK_CONTAINS(e.msg, "Repository not found");
    CHECK_MSG(!strstr(e.msg, "secret-token-xyz"), "token leaked: %s", e.msg);
    CHECK_CONTAINS(s->last_req, "Authorization: Bearer secret-token-xyz");
    http_response_free(&r);
    http_client_free(c);
    srv_stop(s);
}

/* credentials under one rule: trimmed; control characters, inner
 * whitespace and non-ASCII refused, with a reason that quotes nothing */
TEST(token_clean)
{
    char out[64];
    const char *why = NULL;
    const char *in = " \t hf_abc-123\r\n";
    CHECK_EQ_INT(http_token_clean(in, strlen(in), out, sizeof out, &why), 10);
    CHECK_EQ_STR(out, "hf_abc-123");
    CHECK_EQ_INT(http_token_clean(" \n", 2, out, sizeof out, &why), 0);
    CHECK_EQ_STR(out, "");
    const char *bad[] = {"sk-x\r\nX-Injected: yes", "hf_a\tb", "sk a", "sk-\x01x", "sk-\x7fx", "sk-\xc2\xa0x", NULL};
    for (int i = 0; bad[i]; i++) {
        why = NULL;
        CHECK_EQ_INT(http_token_clean(bad[i], strlen(bad[i]), out, sizeof out, &why), -1);
        CHECK(why && *why && !strstr(why, "sk") && !strstr(why, "hf_"));
    }
    CHECK_EQ_INT(http_token_clean("abcdef", 6, out, 6, &why), -1);   /* no room for the NUL */
}

/* a header line with a line break would inject headers: refused at submit,
 * naming the header, not its value */
TEST(header_line_break_refused)
{
    blalm_err e = {{0}};
    http_client *c = http_client_new(&fast_opts, &e);
    const char *hdrs[] = {"Authorization: Bearer sk-x\r\nX-Injected: yes", NULL};
    http_request rq = {.url = "http://127.0.0.1:1/x", .headers = hdrs};
    CHECK(http_submit(c, &rq, &e) == 0);
    CHECK_CONTAINS(e.msg, "'Authorization' holds a line break");
    CHECK(!strstr(e.msg, "sk-x"));
    http_client_free(c);
}

static int h_always_503(srv *s, int fd, int n, const char *req)
{
    respond(fd, 503, NULL, "down");
    return 0;
}

TEST(gives_up_after_max_attempts)
{
    srv *s = srv_start(h_always_503);
    blalm_err e = {{0}};
    http_client_opts o = {.delay_scale = 0.01};
    o.retry.max_attempts = 3;
    o.retry.base_delay_s = 0.5;
    http_client *c = http_client_new(&o, &e);
    http_request rq = {.url = url(s, "/down")};
    http_response r;
    CHECK(http_fetch(c, &rq, &r, &e) == -1);
    CHECK_EQ_INT(r.attempts, 3);
    CHECK_EQ_INT(s->nreq, 3);
    CHECK_CONTAINS(e.msg, "gave up after 3 attempts");
    http_response_free(&r);
    /* a total-time budget smaller than the server's wait stops at once */
    http_retry tight = {.max_attempts = 10, .max_total_s = 0.001};
    http_request rq2 = {.url = url(s, "/down"), .retry = &tight};
    CHECK(http_fetch(c, &rq2, &r, &e) == -1);
    CHECK_EQ_INT(r.attempts, 1);
    CHECK_CONTAINS(e.msg, "retry budget");
    http_response_free(&r);
    http_client_free(c);
    srv_stop(s);
}

TEST(connection_refused_is_retried_then_reported)
{
    srv *s = srv_start(h_404);
    int port = s->port;
    srv_stop(s);
    blalm_err e = {{0}};
    http_client_opts o = {.delay_scale = 0.01};
    o.retry.max_attempts = 2;
    http_client *c = http_client_new(&o, &e);
    char u[100];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/", port);
    http_request rq = {.url = u};
    http_response r;
    CHECK(http_fetch(c, &rq, &r, &e) == -1);
    CHECK_EQ_INT(r.status, 0);
    CHECK_EQ_INT(r.attempts, 2);
    http_response_free(&r);
    http_client_free(c);
}

static int h_redirect(srv *s, int fd, int n, const char *req)
{
    if (!strncmp(req, "GET /resolve", 12) || !strncmp(req, "HEAD /resolve", 13)) {
        respond(fd, 302, "Location: /cdn/file?sig=abc\r\nX-Repo-Commit: deadbeef\r\n", NULL);
    } else {
        const char *rg = strcasestr(req, "\r\nRange: bytes=");
        if (rg) {
            unsigned long a = strtoul(rg + 15, NULL, 10);
            char extra[200];
            snprintf(extra, sizeof extra, "Content-Range: bytes %lu-%zu/%zu\r\nETag: \"e1\"\r\n",
                     a, s->body_len - 1, s->body_len);
            respond(fd, 206, extra, s->body + a);
        } else {
            respond(fd, 200, "ETag: \"e1\"\r\n", s->body);
        }
    }
    return 0;
}

TEST(redirects_reported_or_followed)
{
    srv *s = srv_start(h_redirect);
    s->body = "0123456789abcdef";
    s->body_len = 16;
    blalm_err e = {{0}};
    http_client *c = http_client_new(&fast_opts, &e);
    http_request rq = {.method = "HEAD", .url = url(s, "/resolve/f")};
    http_response r;
    CHECK_MSG(http_fetch(c, &rq, &r, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(r.status, 302);
    CHECK(r.location && strstr(r.location, "/cdn/file?sig=abc"));
    CHECK_EQ_STR(http_header_get(&r, "X-Repo-Commit"), "deadbeef");
    http_response_free(&r);
    http_request rq2 = {.url = url(s, "/resolve/f"), .follow_redirects = 1,
                        .has_range = 1, .range_start = 10};
    CHECK_MSG(http_fetch(c, &rq2, &r, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(r.status, 206);
    CHECK_EQ_STR(r.body, "abcdef");
    CHECK_EQ_STR(http_header_get(&r, "etag"), "\"e1\"");
    CHECK(http_header_get(&r, "x-repo-commit") == NULL);   /* headers of the final hop */
    CHECK_CONTAINS(s->last_req, "Range: bytes=10-");
    http_response_free(&r);
    http_client_free(c);
    srv_stop(s);
}

/* Cuts the first response mid-body; later ones honour Range. */
static int h_cut(srv *s, int fd, int n, const char *req)
{
    const char *rg = strcasestr(req, "\r\nRange: bytes=");
    unsigned long a = rg ? strtoul(rg + 15, NULL, 10) : 0;
    char head[256];
    int k;
    if (rg)
        k = snprintf(head, sizeof head, "HTTP/1.1 206 P\r\nContent-Length: %zu\r\n"
                     "Content-Range: bytes %lu-%zu/%zu\r\n\r\n", s->body_len - a, a,
                     s->body_len - 1, s->body_len);
    else
        k = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", s->body_len);
    write_all(fd, head, (size_t)k);
    if (n == 0) {
        write_all(fd, s->body, s->body_len / 3);
        return -1;   /* cut */
    }
    write_all(fd, s->body + a, s->body_len - a);
    return 0;
}

typedef struct sink { char *buf; size_t cap; uint64_t max_end; int calls; } sink;
static int sink_data(void *user, uint64_t off, const void *p, size_t n, blalm_err *e)
{
    sink *k = user;
    if (off + n > k->cap) return err_set(e, "sink overflow at %llu", (unsigned long long)off);
    memcpy(k->buf + off, p, n);
    if (off + n > k->max_end) k->max_end = off + n;
    k->calls++;
    return 0;
}

TEST(resume_after_cut_with_range)
{
    srv *s = srv_start(h_cut);
    static char payload[300000];
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (char)('a' + (i * 7919) % 26);
    s->body = payload;
    s->body_len = sizeof payload;
    blalm_err e = {{0}};
    http_client *c = http_client_new(&fast_opts, &e);
    static char got[sizeof payload];
    sink k = {got, sizeof got, 0, 0};
    http_request rq = {.url = url(s, "/big"), .on_data = sink_data, .user = &k, .resume = 1};
    http_response r;
    CHECK_MSG(http_fetch(c, &rq, &r, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(r.attempts, 2);
    CHECK_EQ_INT(r.bytes, sizeof payload);
    CHECK_EQ_INT(k.max_end, sizeof payload);
    CHECK(memcmp(got, payload, sizeof payload) == 0);
    CHECK_CONTAINS(s->last_req, "Range: bytes=");
    CHECK(r.body == NULL);
    http_response_free(&r);
    http_client_free(c);
    srv_stop(s);
}

static int h_echo(srv *s, int fd, int n, const char *req)
{
    const char *b = strstr(req, "\r\n\r\n");
    respond(fd, 200, NULL, b ? b + 4 : "");
    return 0;
}

typedef struct tally { int ok, fail; size_t bytes; } tally;
static void on_done_count(void *user, int rc, http_response *r, const blalm_err *e)
{
    tally *t = user;
    if (rc == 0) { t->ok++; t->bytes += r->body_len; } else t->fail++;
}

TEST(many_posts_in_flight_reuse_connections)
{
    srv *s = srv_start(h_echo);
    blalm_err e = {{0}};
    http_client_opts o = {.max_in_flight = 8, .delay_scale = 0.01};
    http_client *c = http_client_new(&o, &e);
    tally t = {0};
    const char *hdrs[] = {"Content-Type: application/json", "Authorization: Bearer k", NULL};
    for (int i = 0; i < 64; i++) {
        char body[64];
        int n = snprintf(body, sizeof body, "{\"i\":%d}", i);
        http_request rq = {.method = "POST", .url = url(s, "/v1/chat/completions"), .headers = hdrs,
                           .body = body, .body_len = (size_t)n, .on_done = on_done_count, .user = &t};
        CHECK(http_submit(c, &rq, &e) > 0);
    }
    CHECK_EQ_INT(http_pending(c), 64);
    CHECK_MSG(http_run(c, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(t.ok, 64);
    CHECK_EQ_INT(t.fail, 0);
    CHECK_EQ_INT(s->nreq, 64);
    CHECK_MSG(s->nconn <= 8, "%d connections for 64 requests: no reuse", s->nconn);
    CHECK_EQ_INT(http_pending(c), 0);
    http_client_free(c);
    srv_stop(s);
}

static int h_slow(srv *s, int fd, int n, const char *req)
{
    usleep(1500 * 1000);
    respond(fd, 200, NULL, "late");
    return 0;
}

TEST(per_request_timeout_retried)
{
    srv *s = srv_start(h_slow);
    blalm_err e = {{0}};
    http_client *c = http_client_new(&fast_opts, &e);
    http_retry p = {.max_attempts = 2};
    http_request rq = {.url = url(s, "/slow"), .timeout_s = 0.2, .retry = &p};
    http_response r;
    CHECK(http_fetch(c, &rq, &r, &e) == -1);
    CHECK_EQ_INT(r.attempts, 2);
    CHECK_MSG(strstr(e.msg, "imeout") || strstr(e.msg, "timed out"), "%s", e.msg);
    http_response_free(&r);
    http_client_free(c);
    srv_stop(s);
}

static void on_done_cancel(void *user, int rc, http_response *r, const blalm_err *e)
{
    int *n = user;
    if (rc != 0 && strstr(e->msg, "cancelled")) (*n)++;
}

TEST(free_cancels_pending)
{
    srv *s = srv_start(h_echo);
    blalm_err e = {{0}};
    http_client *c = http_client_new(&fast_opts, &e);
    int cancelled = 0;
    for (int i = 0; i < 3; i++) {
        http_request rq = {.url = url(s, "/"), .on_done = on_done_cancel, .user = &cancelled};
        http_submit(c, &rq, &e);
    }
    http_client_free(c);
    CHECK_EQ_INT(cancelled, 3);
    srv_stop(s);
}

int main(void)
{
    RUN(retryable_statuses);
    RUN(retry_after_seconds_and_dates);
    RUN(ratelimit_headers);
    RUN(ratelimit_huge_remaining);
    RUN(link_next);
    RUN(link_next_rfc8288);
    RUN(header_join_every_line);
    RUN(url_resolve_rfc3986);
    RUN(backoff_full_jitter_capped);
    RUN(server_waits_win);
    RUN(delay_scale_parse);
    RUN(redaction);
    RUN(redaction_any_url_form);
    RUN(url_check);
    RUN(same_origin);
    RUN(retries_5xx_then_succeeds);
    RUN(fails_fast_on_404_without_leaking_token);
    RUN(token_clean);
    RUN(header_line_break_refused);
    RUN(gives_up_after_max_attempts);
    RUN(connection_refused_is_retried_then_reported);
    RUN(redirects_reported_or_followed);
    RUN(resume_after_cut_with_range);
    RUN(many_posts_in_flight_reuse_connections);
    RUN(per_request_timeout_retried);
    RUN(free_cancels_pending);
    return test_summary();
}
