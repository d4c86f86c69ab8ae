/* client.c - the chat/completions pool on top of lib/http.h.
 *
 * lib/http does transport, keep-alive, HTTP/2 and status-level retries; this
 * layer adds what is specific to LLM endpoints: a 200 whose body is not a
 * chat.completion (truncated JSON from a proxy, an error object from a
 * gateway) is retried too, after the same backoff as a 5xx and within the
 * same attempt cap and retry budget; the request rate and token rate are
 * limited, and no message ever holds the API key. */
#include "scorer/llm.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "lib/http.h"

typedef struct req {
    struct llm_client *c;
    uint64_t tag;
    char *body;
    size_t n;
    uint64_t est_tokens;
    int attempts_before;   /* attempts spent by earlier submissions of this body */
    double t0;
    double due;            /* on the resubmit list: when it goes out again */
    struct req *next;      /* resubmit list */
} req;

struct llm_client {
    http_client *h;
    llm_client_opts o;
    http_retry retry;
    char url[4096];
    char *auth;            /* "Authorization: Bearer ..." or NULL */
    const char *headers[5];
    int in_flight;
    llm_result *done;
    int ndone, capdone;
    req *resubmit;         /* 2xx bodies that could not be used, waiting for their retry */
    uint64_t rng;          /* jitter of those waits */
    double delay_scale;
    int draining;          /* llm_client_drain: nothing goes out again */
    double rps_tokens, tpm_tokens, last_refill;
    blalm_err submit_err;
    int submit_failed;
};

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Length of a mask symbol at w[i]: '*', '.', '…' or an 'x'; 0 if none. */
static size_t mask_sym(const char *w, size_t wl, size_t i, int *x)
{
    *x = 0;
    if (w[i] == '*' || w[i] == '.') return 1;
    if (i + 3 <= wl && !memcmp(w + i, "\xe2\x80\xa6", 3)) return 3;
    if (w[i] == 'x' || w[i] == 'X') return *x = 1;
    return 0;
}

/* A word of s (from w, wl bytes) that echoes the key in a masked form, as
 * OpenAI's "Incorrect API key provided: sk-ab**********wxyz." or LiteLLM's
 * "sk-...wxyz" do: it holds a run of mask symbols ('*', '.', '…', and
 * 'x' inside such a run or as "xxxx"), and the visible part before or after
 * that run is at least 3 bytes of the key's start or end. Such echoes narrow
 * the key down, so they are dropped too. */
static int masked_echo(const char *w, size_t wl, const char *secret, size_t sl)
{
    for (size_t m0 = 0; m0 < wl; m0++) {
        int x;
        if (!mask_sym(w, wl, m0, &x)) continue;
        size_t m1 = m0, l;
        int dots = 0, strong = 0, xs = 0;
        while (m1 < wl && (l = mask_sym(w, wl, m1, &x))) {
            strong += w[m1] == '*' || l == 3;
            dots += w[m1] == '.';
            xs += x;
            m1 += l;
        }
        /* a lone '.' or 'x' is text; a '*', an ellipsis, two dots or four
         * x's is a mask */
        int mask = strong || dots >= 2 || xs >= 4;
        if (!mask) {
            m0 = m1 - 1;
            continue;
        }
        size_t tail = wl - m1;
        while (tail && strchr(".,;:!?\"')]}", w[m1 + tail - 1])) tail--;
        int head_ok = m0 >= 3 && m0 <= sl && !strncmp(w, secret, m0);
        int tail_ok = tail >= 3 && tail <= sl && !strncmp(w + m1, secret + sl - tail, tail);
        if (head_ok || tail_ok) return 1;
        m0 = m1 - 1;
    }
    return 0;
}

static int key_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_';
}

void llm_redact(const char *s, const char *secret, char *out, size_t cap)
{
    if (!cap) return;
    size_t sl = secret ? strlen(secret) : 0, o = 0;
    const char *s0 = s;
    /* A short dummy key (vLLM's "EMPTY", "x") is only replaced where it
     * stands as a whole word: "o" must not turn "document" into "d***cument". */
    int whole_word = sl < 8;
    while (*s && o + 1 < cap) {
        if (sl && !strncmp(s, secret, sl) &&
            (!whole_word || ((s == s0 || !key_char(s[-1])) && !key_char(s[sl])))) {
            for (const char *r = "***"; *r && o + 1 < cap; r++) out[o++] = *r;
            s += sl;
            continue;
        }
        if (sl && !isspace((unsigned char)*s) && (o == 0 || isspace((unsigned char)out[o - 1]) ||
                                                   strchr("\"'(:=", out[o - 1]))) {
            size_t wl = 0;
            while (s[wl] && !isspace((unsigned char)s[wl]) && s[wl] != '"' && s[wl] != '\'') wl++;
            if (masked_echo(s, wl, secret, sl)) {
                for (const char *r = "***"; *r && o + 1 < cap; r++) out[o++] = *r;
                size_t keep = wl;   /* the sentence's own punctuation after the word stays */
                while (keep && strchr(".,;:!?)]}", s[keep - 1]) && s[keep - 1] != '*') keep--;
                s += keep;
                continue;
            }
        }
        /* a word that is the key's start, where something cut the key (a
         * server's or our own quote of a body): 8+ characters, or 4+ at the
         * end of the text, go too */
        if (sl && (s == s0 || !key_char(s[-1]))) {
            size_t m = 0;
            while (m < sl && s[m] && s[m] == secret[m]) m++;
            if (m < sl && ((m >= 8 && !key_char(s[m])) || (m >= 4 && !s[m]))) {
                for (const char *r = "***"; *r && o + 1 < cap; r++) out[o++] = *r;
                s += m;
                continue;
            }
        }
        out[o++] = *s++;
    }
    out[o] = 0;
}

/* The values in the endpoint's query (a gateway's "?key=...") are secrets
 * as the key is: a server that echoes its path and query shows them. */
static void redact_query_values(const char *url, char *msg, size_t cap)
{
    const char *q = strchr(url, '?');
    if (!q) return;
    q++;
    const char *end = q + strcspn(q, "#");
    char v[1024], tmp[1024];
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *seg_end = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(seg_end - q));
        size_t vl = eq ? (size_t)(seg_end - eq - 1) : 0;
        if (vl >= 4 && vl < sizeof v && cap <= sizeof tmp) {
            memcpy(v, eq + 1, vl);
            v[vl] = 0;
            llm_redact(msg, v, tmp, cap);
            memcpy(msg, tmp, cap);
        }
        q = seg_end + (amp ? 1 : 0);
    }
}

/* res->error = msg less the key and the endpoint's query values: what a
 * server's answer quotes may echo them. */
static void set_error(const llm_client *c, llm_result *res, const char *msg)
{
    llm_redact(msg, c->auth ? c->auth + strlen("Authorization: Bearer ") : NULL, res->error,
               sizeof res->error);
    redact_query_values(c->url, res->error, sizeof res->error);
}

llm_client *llm_client_new(const llm_client_opts *o, blalm_err *e)
{
    llm_client *c = calloc(1, sizeof *c);
    if (!c) { err_set(e, "out of memory"); return NULL; }
    c->o = *o;
    if (c->o.concurrency < 1) c->o.concurrency = 1;
    http_client_opts ho;
    memset(&ho, 0, sizeof ho);
    ho.max_in_flight = c->o.concurrency;
    ho.connect_timeout_s = o->timeout_s > 0 && o->timeout_s < 30 ? o->timeout_s : 30;
    ho.timeout_s = o->timeout_s;
    ho.stall_timeout_s = o->timeout_s > 0 ? o->timeout_s : 60;
    http_retry_defaults(&c->retry);
    if (o->max_attempts > 0) c->retry.max_attempts = o->max_attempts;
    if (o->backoff_base_s > 0) c->retry.base_delay_s = o->backoff_base_s;
    if (o->backoff_max_s > 0) c->retry.max_delay_s = o->backoff_max_s;
    if (o->max_total_s > 0) c->retry.max_total_s = o->max_total_s;
    ho.retry = c->retry;
    ho.delay_scale = o->delay_scale;
    c->h = http_client_new(&ho, e);
    if (!c->h) { free(c); return NULL; }
    http_url_join(o->base_url, "/chat/completions", c->url, sizeof c->url);
    int nh = 0;
    c->headers[nh++] = "Content-Type: application/json";
    /* curl would send "Expect: 100-continue" for bodies over 1 KiB: a wasted round trip */
    c->headers[nh++] = "Expect:";
    if (o->api_key && *o->api_key) {
        size_t n = strlen(o->api_key) + 32;
        c->auth = malloc(n);
        if (!c->auth) abort();
        snprintf(c->auth, n, "Authorization: Bearer %s", o->api_key);
        c->headers[nh++] = c->auth;
    }
    c->headers[nh] = NULL;
    c->o.api_key = NULL;  /* the header above is the only copy we keep */
    c->last_refill = mono_now();
    c->rng = (uint64_t)(c->last_refill * 1e9) ^ (uint64_t)(uintptr_t)c;
    c->delay_scale = o->delay_scale > 0 ? o->delay_scale : 1.0;
    c->rps_tokens = 1;
    c->tpm_tokens = o->tpm > 0 ? o->tpm / 60 : 0;
    return c;
}

static void refill(llm_client *c)
{
    double now = mono_now(), dt = now - c->last_refill;
    c->last_refill = now;
    if (c->o.rps > 0) {
        double cap = c->o.rps * 0.05 > 1 ? c->o.rps * 0.05 : 1;
        c->rps_tokens += dt * c->o.rps;
        if (c->rps_tokens > cap) c->rps_tokens = cap;
    }
    if (c->o.tpm > 0) {
        double cap = c->o.tpm / 60;  /* one second's worth of burst */
        c->tpm_tokens += dt * c->o.tpm / 60;
        if (c->tpm_tokens > cap) c->tpm_tokens = cap;
    }
}

int llm_client_has_room(llm_client *c, uint64_t est_tokens)
{
    if (c->in_flight >= c->o.concurrency) return 0;
    refill(c);
    if (c->o.rps > 0 && c->rps_tokens < 1) return 0;
    if (c->o.tpm > 0) {
        /* A request larger than the burst may start once the bucket is full. */
        double need = (double)est_tokens < c->o.tpm / 60 ? (double)est_tokens : c->o.tpm / 60;
        if (c->tpm_tokens < need) return 0;
    }
    return 1;
}

int llm_client_in_flight(const llm_client *c) { return c->in_flight; }

static void push_done(llm_client *c, llm_result *r)
{
    if (c->ndone == c->capdone) {
        c->capdone = c->capdone ? c->capdone * 2 : 64;
        c->done = realloc(c->done, (size_t)c->capdone * sizeof *c->done);
        if (!c->done) abort();
    }
    c->done[c->ndone++] = *r;
}

static void req_free(req *q)
{
    free(q->body);
    free(q);
}

/* Where a Location points, as scheme://host:port only (a user:password@ in
 * it as ***@): its path and query may be signed. "" for a relative one. */
static void location_origin(const char *loc, char *out, size_t cap)
{
    out[0] = 0;
    const char *sep = loc ? strstr(loc, "://") : NULL;
    size_t pre = sep ? (size_t)(sep + 3 - loc) : loc && !strncmp(loc, "//", 2) ? 2 : 0;
    if (!pre || (sep && strcspn(loc, "/?#") < (size_t)(sep - loc))) return;   /* relative */
    const char *auth = loc + pre;
    size_t an = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *p = auth; p < auth + an; p++)
        if (*p == '@') at = p + 1;
    const char *host = at ? at : auth;
    snprintf(out, cap, "%.*s%s%.*s", (int)pre, loc, at ? "***@" : "", (int)(auth + an - host), host);
}

/* The endpoint's path has a version segment ("/v1", "/v1beta", "/v2") or is
 * Azure's "/openai/...": a 404 there is about the model, the deployment or
 * the key's access (Gemini's ".../v1beta/openai", Azure's
 * ".../openai/deployments/D"), not a missing /v1. */
static int versioned_path(const char *url)
{
    const char *p = url + http_origin_len(url), *end = p + strcspn(p, "?#");
    while (p < end) {
        while (p < end && *p == '/') p++;
        size_t l = strcspn(p, "/?#");
        if ((l >= 2 && p[0] == 'v' && isdigit((unsigned char)p[1])) || (l == 6 && !strncmp(p, "openai", 6)))
            return 1;
        p += l;
    }
    return 0;
}

static void on_done(void *user, int rc, http_response *r, const blalm_err *e)
{
    req *q = user;
    llm_client *c = q->c;
    llm_result res;
    memset(&res, 0, sizeof res);
    res.tag = q->tag;
    res.status = r->status;
    /* lib/http counts on from attempts_before (http_request.prior_attempts) */
    res.attempts = r->attempts > q->attempts_before ? r->attempts : q->attempts_before;
    res.latency_ms = (mono_now() - q->t0) * 1000;
    char url[sizeof c->url + 16];   /* for messages: a user:password@ as ***@ */
    http_redact(c->url, c->headers, url, sizeof url);
    if (rc == 0 && r->status >= 300 && r->status < 400) {
        /* Not followed (the key would go along to wherever it points), and
         * not retried: every request would get the same answer. */
        char origin[1024];
        location_origin(r->location ? r->location : http_header_get(r, "location"), origin, sizeof origin);
        snprintf(res.error, sizeof res.error,
                 "POST %s: HTTP %ld, a redirect to %s (score does not follow redirects: point the endpoint "
                 "there if that is the server) (%d attempt%s)", url, r->status,
                 origin[0] ? origin : "a location on the same server", res.attempts, res.attempts == 1 ? "" : "s");
        res.fatal = 1;
    } else if (rc == 0) {
        blalm_err pe = {{0}};
        int prc = llm_parse_response(r->body ? r->body : "", r->body_len, &res.resp, &pe);
        const char *ctype = http_header_get(r, "content-type");
        if (prc < 0 && ctype && !strncasecmp(ctype, "text/html", 9)) {
            /* a login page, a captive portal, a web UI at that address:
             * every request gets it, retrying only bills time */
            char head[100];
            size_t k = 0;
            for (size_t i = 0; r->body && i < r->body_len && k + 1 < sizeof head; i++) {
                unsigned char ch = (unsigned char)r->body[i];
                if (ch >= 0x20 && ch < 0x7f) head[k++] = (char)ch;
                else if (k && head[k - 1] != ' ') head[k++] = ' ';
            }
            head[k] = 0;
            char msg[sizeof res.error];
            snprintf(msg, sizeof msg, "POST %s: HTTP 200 with Content-Type %.60s, not a chat completion: "
                     "'%s' (is --endpoint the API's base URL, such as http://host:8000/v1?)", url, ctype, head);
            set_error(c, &res, msg);
            res.fatal = 1;
        } else if (prc == 1) {
            /* a chat completion whose content cannot be used: asking again
             * is billed and gets the same, so it is this document's error */
            char msg[sizeof res.error];
            snprintf(msg, sizeof msg, "%s", pe.msg);
            set_error(c, &res, msg);
            res.unusable = 1;
            res.content_filtered = llm_content_filtered(res.error, strlen(res.error));
        } else if (prc == 0) {
            res.ok = 1;
            if (c->o.tpm > 0 && res.resp.prompt_tokens >= 0) {
                /* charge what was really used, not the estimate */
                double used = (double)res.resp.prompt_tokens +
                              (double)(res.resp.completion_tokens > 0 ? res.resp.completion_tokens : 0);
                c->tpm_tokens -= used - (double)q->est_tokens;
            }
        } else {
            /* Retried like a 5xx (a proxy cut the body, a gateway answered
             * 200 with an error object for an overloaded upstream): the same
             * backoff, Retry-After, attempt cap and retry budget. */
            int from_server = 0;
            double wait = http_retry_delay(&c->retry, res.attempts, 503, r->headers, r->nheaders,
                                           (double)time(NULL), &c->rng, &from_server) * c->delay_scale;
            double elapsed = mono_now() - q->t0;
            char why[160];
            why[0] = 0;
            if (c->draining)
                snprintf(why, sizeof why, "not retried: the client is stopping");
            else if (res.attempts >= c->retry.max_attempts)
                snprintf(why, sizeof why, "gave up after %d attempt%s, %.1f s", res.attempts,
                         res.attempts == 1 ? "" : "s", elapsed);
            else if (elapsed + wait > c->retry.max_total_s)
                snprintf(why, sizeof why, "gave up after %d attempt%s: the next wait of %.1f s%s would "
                         "pass the %.0f s retry budget", res.attempts, res.attempts == 1 ? "" : "s", wait,
                         from_server ? ", asked by the server," : "", c->retry.max_total_s);
            if (!why[0]) {
                q->attempts_before = res.attempts;
                q->due = mono_now() + wait;
                q->next = c->resubmit;
                c->resubmit = q;
                return;
            }
            res.exhausted = !c->draining;
            /* the parser quotes the body, which may echo the key or the query */
            char msg[sizeof res.error];
            snprintf(msg, sizeof msg, "%s: %s (%s)", url, pe.msg, why);
            set_error(c, &res, msg);
        }
    } else {
        /* The layer redacts its own headers; an error body may still echo the key. */
        const char *what = e && e->msg[0] ? e->msg : "request failed", *hint = "";
        if (r->status == 404 && !versioned_path(c->url))
            hint = " (the endpoint has no /v1: OpenAI-compatible servers such as vLLM, llama.cpp's and TGI "
                   "answer at http://HOST:PORT/v1/chat/completions, so --endpoint is http://HOST:PORT/v1)";
        else if (r->status == 401)
            hint = c->auth ? " (the API key was refused: check OPENAI_API_KEY or the --api-key-file)"
                           : " (no API key was sent: set OPENAI_API_KEY or pass --api-key-file FILE)";
        char msg[sizeof res.error];
        snprintf(msg, sizeof msg, "%.*s%s", (int)(sizeof msg - 1 - strlen(hint)), what, hint);
        set_error(c, &res, msg);
        res.fatal = llm_status_fatal(r->status);
        if (llm_status_refused(r->status))
            res.content_filtered = llm_content_filtered(r->body, r->body ? r->body_len : 0) ||
                                   llm_content_filtered(res.error, strlen(res.error));
        res.exhausted = r->gave_up;
    }
    c->in_flight--;
    push_done(c, &res);
    req_free(q);
}

static int submit_req(llm_client *c, req *q, blalm_err *e)
{
    http_request rq;
    memset(&rq, 0, sizeof rq);
    rq.method = "POST";
    rq.url = c->url;
    rq.headers = c->headers;
    rq.body = q->body;
    rq.body_len = q->n;
    rq.timeout_s = c->o.timeout_s;
    rq.retry = &c->retry;
    rq.prior_attempts = q->attempts_before;
    rq.prior_elapsed_s = q->attempts_before ? mono_now() - q->t0 : 0;
    rq.max_body = 64u << 20;
    /* A server or proxy may compress when the request names no coding (RFC
     * 9110 12.5.3; some gateways do it anyway): a gzip body read as JSON is
     * garbage, retried to no end. */
    rq.accept_encoding = 1;
    rq.on_done = on_done;
    rq.user = q;
    if (!http_submit(c->h, &rq, e)) return -1;
    return 0;
}

int llm_client_submit(llm_client *c, uint64_t tag, const char *body, size_t n,
                      uint64_t est_tokens, blalm_err *e)
{
    req *q = calloc(1, sizeof *q);
    if (!q) return err_set(e, "out of memory");
    q->c = c;
    q->tag = tag;
    q->n = n;
    q->est_tokens = est_tokens;
    q->body = malloc(n ? n : 1);
    if (!q->body) abort();
    memcpy(q->body, body, n);
    q->t0 = mono_now();
    if (submit_req(c, q, e) < 0) {
        req_free(q);
        return -1;
    }
    c->in_flight++;
    if (c->o.rps > 0) c->rps_tokens -= 1;
    if (c->o.tpm > 0) c->tpm_tokens -= (double)est_tokens;
    return 0;
}

/* Sends the resubmit list's requests whose wait is over; *next_ms is the
 * milliseconds until the next one is due (INT_MAX: none waits). */
static int resubmit_due(llm_client *c, int *next_ms, blalm_err *e)
{
    double now = mono_now();
    *next_ms = INT_MAX;
    for (req **pp = &c->resubmit; *pp;) {
        req *q = *pp;
        if (q->due > now) {
            double ms = ceil((q->due - now) * 1000);
            if (ms < *next_ms) *next_ms = (int)ms;
            pp = &q->next;
            continue;
        }
        *pp = q->next;
        q->next = NULL;
        if (submit_req(c, q, e) < 0) {
            c->in_flight--;
            req_free(q);
            return -1;
        }
    }
    return 0;
}

int llm_client_poll(llm_client *c, int timeout_ms, llm_result *out, int cap, blalm_err *e)
{
    int next_ms;
    if (resubmit_due(c, &next_ms, e) < 0) return -1;
    /* http_poll sleeps after handling what finished, even when something
     * did: look without waiting first, so finished requests return at once. */
    if (c->ndone == 0 && http_poll(c->h, 0, e) < 0) return -1;
    if (c->ndone == 0 && timeout_ms > 0) {
        int wait = timeout_ms < next_ms ? timeout_ms : next_ms;
        if (http_pending(c->h) > 0) {
            if (http_poll(c->h, wait, e) < 0) return -1;
        } else if (wait > 0) {
            /* Nothing on the wire (http_poll would return at once): the
             * caller waits for the rate limiter or a resubmission. Sleep, or
             * the loop spins a core for as long as --rps/--tpm hold it. */
            struct timespec ts = {wait / 1000, (long)(wait % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
        if (resubmit_due(c, &next_ms, e) < 0) return -1;
    }
    int n = c->ndone < cap ? c->ndone : cap;
    if (n > 0) {
        memcpy(out, c->done, (size_t)n * sizeof *out);
        memmove(c->done, c->done + n, (size_t)(c->ndone - n) * sizeof *c->done);
        c->ndone -= n;
    }
    return n;
}

void llm_client_drain(llm_client *c)
{
    if (c->draining) return;
    c->draining = 1;
    http_client_drain(c->h);   /* its on_done calls come here, before it returns */
    while (c->resubmit) {
        req *q = c->resubmit;
        c->resubmit = q->next;
        llm_result res;
        memset(&res, 0, sizeof res);
        res.tag = q->tag;
        res.attempts = q->attempts_before;
        res.latency_ms = (mono_now() - q->t0) * 1000;
        snprintf(res.error, sizeof res.error, "not retried after %d attempt%s: the client is stopping",
                 q->attempts_before, q->attempts_before == 1 ? "" : "s");
        c->in_flight--;
        push_done(c, &res);
        req_free(q);
    }
}

int llm_endpoint_check(const char *url, char *why, size_t cap)
{
    if (http_url_check(url, why, cap) < 0) return -1;
    /* "HOST:" with no number ("http://127.0.0.1:$PORT/v1", PORT unset):
     * curl takes the scheme's default port, RFC 3986 allows it; refused */
    const char *a = strstr(url, "://") + 3, *aend = a + strcspn(a, "/?#"), *h = a;
    for (const char *k = a; k < aend; k++)
        if (*k == '@') h = k + 1;
    if (*h == '[') {   /* an IPv6 address: its colons are no port's */
        const char *rb = memchr(h, ']', (size_t)(aend - h));
        h = rb ? rb : aend;
    }
    const char *colon = memchr(h, ':', (size_t)(aend - h));
    if (colon && colon + 1 == aend) {
        snprintf(why, cap, "has an empty port (\"HOST:\" with no number, which would mean port 80 or 443): "
                           "give HOST:PORT, or no ':' for the scheme's default");
        return -1;
    }
    static const char suffix[] = "/chat/completions";
    size_t end = strcspn(url, "?#"), sl = sizeof suffix - 1;
    while (end > 0 && url[end - 1] == '/') end--;
    if (end >= sl && !strncmp(url + end - sl, suffix, sl)) {
        snprintf(why, cap, "ends in /chat/completions, which score adds to it: give the base URL "
                           "(http://HOST:PORT/v1 for vLLM, llama.cpp's server or TGI)");
        return -1;
    }
    return 0;
}

int llm_status_fatal(long status)
{
    /* every request would get the same answer (the key, the account, the
     * URL, the method, a media type, a gone route, a proxy's credentials, a
     * redirect): anything not retried and not about the one document */
    return status >= 300 && status < 500 && !http_status_retryable(status) && !llm_status_refused(status);
}

int llm_status_refused(long status)
{
    /* about the document that was sent: a request the server could not take
     * (400), a body over a proxy's limit (413), an input over the model's
     * token limit (422, text-generation-inference's "Input validation error") */
    return status == 400 || status == 413 || status == 422;
}

int llm_content_filtered(const char *s, size_t n)
{
    static const char *const pat[] = {"content_filter", "content management policy", "content_policy_violation",
                                      "content filter"};
    for (size_t k = 0; s && k < sizeof pat / sizeof pat[0]; k++) {
        size_t m = strlen(pat[k]);
        for (size_t i = 0; i + m <= n; i++)
            if (!strncasecmp(s + i, pat[k], m)) return 1;
    }
    return 0;
}

void llm_result_free(llm_result *r)
{
    llm_response_free(&r->resp);
}

void llm_client_free(llm_client *c)
{
    if (!c) return;
    http_client_free(c->h);  /* cancels: on_done frees each request */
    for (int i = 0; i < c->ndone; i++) llm_result_free(&c->done[i]);
    while (c->resubmit) {
        req *q = c->resubmit;
        c->resubmit = q->next;
        req_free(q);
    }
    free(c->done);
    if (c->auth) {
        memset(c->auth, 0, strlen(c->auth));
        free(c->auth);
    }
    free(c);
}
