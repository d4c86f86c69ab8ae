/* libFuzzer harness: the response-header parsers of lib/http.c - Retry-After
 * (delta-seconds and HTTP dates), retry-after-ms, RateLimit (both drafts) and
 * Link rel="next" - and http_retry_delay, which combines them.
 *
 * The input (NUL-terminated) is the header value given to each parser.
 * Invariants: a parsed wait is finite and >= 0; a RateLimit reset is finite
 * and >= 0 exactly when 0 is returned and `remaining` is -1 or >= 0; a next
 * link is the text between a '<' of the value and the following '>'; the
 * retry delay is finite, >= 0 and within the policy's caps.
 *
 * Secrets (http_redact, http_token_clean): the input around a URL with a
 * password, in any case of scheme or none, and around the bearer key of the
 * request's headers, is redacted to text holding neither the password (unless
 * the input itself holds it elsewhere) nor the key, NUL-terminated within its
 * buffer; a cleaned token holds no
 * control character, whitespace or non-ASCII byte and is no longer than its
 * input. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *v = malloc(size + 1);
    memcpy(v, data, size);
    v[size] = 0;
    const double now = 1.7e9;

    double s = -7;
    if (http_parse_retry_after(v, now, &s) == 0 && !(isfinite(s) && s >= 0)) abort();
    s = -7;
    if (http_parse_retry_after_ms(v, &s) == 0 && !(isfinite(s) && s >= 0)) abort();

    long rem = -7;
    double reset = -7;
    int rc = http_parse_ratelimit(v, &rem, &reset);
    if (rem < -1) abort();
    if (rc == 0 && !(isfinite(reset) && reset >= 0)) abort();
    if (rc != 0 && reset != -1) abort();

    char *next = http_link_next(v);
    if (next) {
        size_t n = strlen(next);
        int found = 0;
        for (const char *at = v; !found && (at = strstr(at, next)) != NULL; at++)
            found = at > v && at[-1] == '<' && at[n] == '>';
        if (!found || memchr(next, '>', n)) abort();
        free(next);
    }

    http_retry pol;
    http_retry_defaults(&pol);
    http_header h[3] = {{"retry-after", v}, {"ratelimit", v}, {"retry-after-ms", v}};
    static const long statuses[] = {0, 429, 503, 500};
    for (size_t nh = 0; nh <= 3; nh++)
        for (size_t k = 0; k < sizeof statuses / sizeof *statuses; k++) {
            uint64_t rng = 0x9e3779b97f4a7c15u ^ size;
            int from = -1;
            double d = http_retry_delay(&pol, (int)(size % 70), statuses[k], h + 3 - nh, nh,
                                        now, &rng, &from);
            double cap = from ? pol.max_server_delay_s : pol.max_delay_s;
            if (!(isfinite(d) && d >= 0 && d <= cap) || (from != 0 && from != 1)) abort();
        }
    /* redaction: the password and the key never come out, whatever surrounds them */
    static const char *const forms[] = {"http://usr:Pw9zQk@h.example/x?t=1", "HTTP://usr:Pw9zQk@h:1/v1",
                                        "usr:Pw9zQk@127.0.0.1:1/v1", "http:/usr:Pw9zQk@h/", "Ftp://u:Pw9zQk@h"};
    const char *headers[] = {"Authorization: Bearer sk-K3yZ7q", NULL};
    size_t cap = 2 * size + 200;
    char *in = malloc(cap), *out = malloc(cap);
    for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
        snprintf(in, cap, "%s %s %s sk-K3yZ7q", v, forms[f], v);
        out[cap - 1] = 'x';
        http_redact(in, headers, out, cap);
        if (!memchr(out, 0, cap) || (!strstr(v, "Pw9zQk") && strstr(out, "Pw9zQk")) || strstr(out, "sk-K3yZ7q"))
            abort();
    }
    char tok[64];
    const char *why = NULL;
    int n = http_token_clean(v, size, tok, sizeof tok, &why);
    if (n >= 0) {
        if ((size_t)n > size || strlen(tok) != (size_t)n) abort();
        for (int i = 0; i < n; i++)
            if ((unsigned char)tok[i] <= ' ' || (unsigned char)tok[i] >= 0x7f) abort();
    } else if (!why) {
        abort();
    }
    free(in);
    free(out);
    free(v);
    return 0;
}
