/* schedule.c - the window of documents on their way to the attribute file
 * (score_internal.h): requests go out as the endpoint has room, answers come
 * back in any order, and lines leave in document order. An answer is stored
 * in the cache and made durable before its line counts, so the same code
 * serves fresh and cached answers and a resumed run writes what an
 * uninterrupted one does. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "lib/utf8.h"
#include "scorer/score_internal.h"

static void slot_clear(score_slot *s)
{
    free(s->id);
    s->id = NULL;
    free(s->rec);
    s->rec = NULL;
    sb_reset(&s->body);
    sb_reset(&s->line);
    s->st = S_EMPTY;
    s->ticket = 0;
}

/* ---- attribute objects ---- */

/* A JSON string of text from outside (a server's error body, a cache record
 * written by an older blalm): each invalid UTF-8 sequence as U+FFFD, so the
 * row stays JSON that Python and jq read. */
static void json_text(sbuf *b, const char *s, size_t n)
{
    size_t bad;
    if (utf8_valid(s, n, &bad)) {
        sb_json_str(b, s, n);
        return;
    }
    char *t = malloc(3 * n + 1);
    if (!t) abort();
    size_t m;
    utf8_sanitize(s, n, t, &m);
    sb_json_str(b, t, m);
    free(t);
}

static void add_null_keys(sbuf *b, int *first, const char *const *keys)
{
    for (; *keys; keys++) {
        sb_json_key(b, *keys, first);
        sb_adds(b, "null");
    }
}

static void line_unselected(sbuf *b)
{
    static const char *const keys[] = {"score", "justification", "raw", "model", "prompt_sha256",
                                       "latency_ms", "prompt_tokens", "completion_tokens", NULL};
    int first = 1;
    sb_addc(b, '{');
    sb_json_key(b, "selected", &first);
    sb_json_bool(b, 0);
    add_null_keys(b, &first, keys);
    sb_json_key(b, "attempts", &first);
    sb_json_int(b, 0);
    static const char *const tail[] = {"finish_reason", "error", NULL};
    add_null_keys(b, &first, tail);
    sb_addc(b, '}');
}

/* A selected document without an answer: not sent, or refused (a 4xx,
 * llm_status_refused). */
static void line_error(sbuf *b, const score_sched *S, int attempts, const char *error)
{
    static const char *const keys[] = {"score", "justification", "raw", "model", NULL};
    int first = 1;
    sb_addc(b, '{');
    sb_json_key(b, "selected", &first);
    sb_json_bool(b, 1);
    add_null_keys(b, &first, keys);
    sb_json_key(b, "prompt_sha256", &first);
    sb_json_str(b, S->tpl->sha256, 64);
    static const char *const mid[] = {"latency_ms", "prompt_tokens", "completion_tokens", NULL};
    add_null_keys(b, &first, mid);
    sb_json_key(b, "attempts", &first);
    sb_json_int(b, attempts);
    sb_json_key(b, "finish_reason", &first);
    sb_adds(b, "null");
    sb_json_key(b, "error", &first);
    json_text(b, error, strlen(error));
    sb_addc(b, '}');
}

static void add_str_or_null(sbuf *b, const char *key, const cJSON *v, int *first)
{
    sb_json_key(b, key, first);
    if (cJSON_IsString(v)) json_text(b, v->valuestring, strlen(v->valuestring));
    else sb_adds(b, "null");
}

static void add_int_or_null(sbuf *b, const char *key, const cJSON *v, int *first)
{
    sb_json_key(b, key, first);
    if (cJSON_IsNumber(v)) sb_json_int(b, (int64_t)v->valuedouble);
    else sb_adds(b, "null");
}

/* The edu_llm object from a cache record; the same code serves fresh and
 * cached answers, so a resumed run writes what an uninterrupted one does. */
static int line_from_record(sbuf *b, score_sched *S, const char *rec, blalm_err *e)
{
    cJSON *j = cJSON_Parse(rec);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return err_set(e, "cache record is not a JSON object");
    }
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(j, "content");
    const cJSON *reasoning = cJSON_GetObjectItemCaseSensitive(j, "reasoning");
    const cJSON *fin = cJSON_GetObjectItemCaseSensitive(j, "finish_reason");
    const char *text = cJSON_IsString(content) ? content->valuestring : "";
    size_t tlen = strlen(text);
    sbuf just;
    sb_init(&just);
    char why[256];
    int score = llm_parse_score(text, tlen, S->params->json_schema, &just, why, sizeof why);
    /* A <think> block in the content (no reasoning parser on the server):
     * raw is the answer after it, reasoning the block, as a server with a
     * parser would have sent them. */
    size_t ans, t0, t1;
    int think = llm_split_think(text, tlen, &ans, &t0, &t1);
    const char *think_text = NULL;
    size_t think_len = 0;
    if (cJSON_IsString(reasoning)) {
        think_text = reasoning->valuestring;
        think_len = strlen(think_text);
    } else if (think) {
        while (t0 < t1 && (text[t0] == '\n' || text[t0] == ' ')) t0++;
        while (t1 > t0 && (text[t1 - 1] == '\n' || text[t1 - 1] == ' ')) t1--;
        think_text = text + t0;
        think_len = t1 - t0;
    }
    if (think) {
        text += ans;
        while (*text == '\n' || *text == ' ') text++;
        tlen = strlen(text);
    }
    if (just.len == 0 && think_text)
        sb_add(&just, think_text, think_len);
    int first = 1;
    sb_addc(b, '{');
    sb_json_key(b, "selected", &first);
    sb_json_bool(b, 1);
    sb_json_key(b, "score", &first);
    if (score >= 0) sb_json_int(b, score); else sb_adds(b, "null");
    sb_json_key(b, "justification", &first);
    if (just.len) json_text(b, just.data, just.len); else sb_adds(b, "null");
    sb_json_key(b, "raw", &first);
    json_text(b, text, tlen);
    if (think_text) {
        sb_json_key(b, "reasoning", &first);
        json_text(b, think_text, think_len);
    }
    add_str_or_null(b, "model", cJSON_GetObjectItemCaseSensitive(j, "model"), &first);
    add_str_or_null(b, "prompt_sha256", cJSON_GetObjectItemCaseSensitive(j, "prompt_sha256"), &first);
    add_int_or_null(b, "latency_ms", cJSON_GetObjectItemCaseSensitive(j, "latency_ms"), &first);
    add_int_or_null(b, "prompt_tokens", cJSON_GetObjectItemCaseSensitive(j, "prompt_tokens"), &first);
    add_int_or_null(b, "completion_tokens", cJSON_GetObjectItemCaseSensitive(j, "completion_tokens"), &first);
    add_int_or_null(b, "attempts", cJSON_GetObjectItemCaseSensitive(j, "attempts"), &first);
    add_str_or_null(b, "finish_reason", fin, &first);
    sb_json_key(b, "error", &first);
    if (score >= 0) {
        sb_adds(b, "null");
        S->n->scored++;
        S->n->hist[score]++;
    } else {
        char msg[400];
        int cut = cJSON_IsString(fin) && !strcmp(fin->valuestring, "length");
        /* OpenAI's and Azure's 200 whose reply their content filter stopped:
         * this document's content, as a content filter's 400 is */
        int filtered = cJSON_IsString(fin) && !strcmp(fin->valuestring, "content_filter");
        const cJSON *note = cJSON_GetObjectItemCaseSensitive(j, "note");
        if (cJSON_IsString(note) && !text[0])   /* the refusal's own words, not "no score line" */
            snprintf(msg, sizeof msg, "parse error: %s", note->valuestring);
        else
            snprintf(msg, sizeof msg, "parse error: %s%s", why,
                     cut ? " (finish_reason length: the reply was cut at --max-tokens)"
                     : filtered ? " (finish_reason content_filter: the server's content filter stopped the reply)"
                                : "");
        json_text(b, msg, strlen(msg));
        S->n->parse_errors++;
        if (filtered) S->n->content_refused++;
    }
    if (cJSON_IsString(fin) && !strcmp(fin->valuestring, "length")) S->n->finish_length++;
    sb_addc(b, '}');
    sb_free(&just);
    cJSON_Delete(j);
    return 0;
}

static void hex32(const uint8_t k[32], char out[65])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[k[i] >> 4];
        out[2 * i + 1] = hx[k[i] & 15];
    }
    out[64] = 0;
}

static void build_record(sbuf *b, const score_sched *S, const score_slot *s, const llm_result *res)
{
    char kh[65];
    hex32(s->key, kh);
    int first = 1;
    sb_addc(b, '{');
    sb_json_key(b, "key", &first);  /* must stay first: the cache indexes it */
    sb_json_str(b, kh, 64);
    sb_json_key(b, "text_sha256", &first);
    sb_json_str(b, s->text_sha, 64);
    sb_json_key(b, "prompt_sha256", &first);
    sb_json_str(b, S->tpl->sha256, 64);
    sb_json_key(b, "request_model", &first);
    sb_json_str(b, S->params->model, strlen(S->params->model));
    const llm_response *r = &res->resp;
    const char *model = r->model ? r->model : S->params->model;
    sb_json_key(b, "model", &first);
    sb_json_str(b, model, strlen(model));
    sb_json_key(b, "content", &first);
    sb_json_str(b, r->content, strlen(r->content));
    sb_json_key(b, "reasoning", &first);
    if (r->reasoning) sb_json_str(b, r->reasoning, strlen(r->reasoning)); else sb_adds(b, "null");
    sb_json_key(b, "finish_reason", &first);
    if (r->finish_reason) sb_json_str(b, r->finish_reason, strlen(r->finish_reason));
    else sb_adds(b, "null");
    if (r->note) {
        sb_json_key(b, "note", &first);
        sb_json_str(b, r->note, strlen(r->note));
    }
    sb_json_key(b, "prompt_tokens", &first);
    if (r->prompt_tokens >= 0) sb_json_int(b, r->prompt_tokens); else sb_adds(b, "null");
    sb_json_key(b, "completion_tokens", &first);
    if (r->completion_tokens >= 0) sb_json_int(b, r->completion_tokens); else sb_adds(b, "null");
    sb_json_key(b, "latency_ms", &first);
    sb_json_int(b, (int64_t)llround(res->latency_ms));
    sb_json_key(b, "attempts", &first);
    sb_json_int(b, res->attempts);
    sb_addc(b, '}');
}

/* ---- filling, sending, collecting ---- */

static score_slot *slot_of(score_sched *S, uint64_t seq) { return &S->ring[seq % S->W]; }

/* Another slot already asking for this key? Then wait for its answer. */
static int has_leader(score_sched *S, uint64_t seq, const uint8_t key[32])
{
    for (uint64_t q = S->head; q < seq; q++) {
        score_slot *s = slot_of(S, q);
        if ((s->st == S_SEND || s->st == S_WAIT || s->st == S_SYNC) && !memcmp(s->key, key, 32))
            return 1;
    }
    return 0;
}

/* --dry-run: has this key been counted as sent before (1), else (0)
 * records it when add? -1: out of memory. The real run asks for a text
 * once too: a duplicate waits for its leader's answer or finds it in the
 * cache. */
static int dry_seen(score_sched *S, const uint8_t key[32], int add)
{
    if (2 * (S->dry_n + 1) > S->dry_cap) {
        size_t cap = S->dry_cap ? 2 * S->dry_cap : 1024;
        uint8_t (*t)[32] = calloc(cap, 32);
        if (!t) return -1;
        for (size_t i = 0; i < S->dry_cap; i++) {
            static const uint8_t zero[32];
            if (!memcmp(S->dry_keys[i], zero, 32)) continue;
            uint64_t h;
            memcpy(&h, S->dry_keys[i], 8);
            size_t j = (size_t)h & (cap - 1);
            while (memcmp(t[j], zero, 32)) j = (j + 1) & (cap - 1);
            memcpy(t[j], S->dry_keys[i], 32);
        }
        free(S->dry_keys);
        S->dry_keys = t;
        S->dry_cap = cap;
    }
    static const uint8_t zero[32];
    uint64_t h;
    memcpy(&h, key, 8);
    size_t j = (size_t)h & (S->dry_cap - 1);
    while (memcmp(S->dry_keys[j], zero, 32)) {
        if (!memcmp(S->dry_keys[j], key, 32)) return 1;
        j = (j + 1) & (S->dry_cap - 1);
    }
    if (!add) return 0;
    memcpy(S->dry_keys[j], key, 32);
    S->dry_n++;
    return 0;
}

static int guard_reached(score_sched *S, uint64_t est)
{
    const score_opts *o = S->o;
    if (o->has_max_requests && S->n->sent + 1 > o->max_requests) {
        snprintf(S->n->guard, sizeof S->n->guard, "--max-requests %llu reached",
                 (unsigned long long)o->max_requests);
        return 1;
    }
    if (o->has_max_prompt_tokens &&
        S->n->prompt_tokens + S->reserved_tokens + est > o->max_prompt_tokens) {
        snprintf(S->n->guard, sizeof S->n->guard, "--max-prompt-tokens %llu reached",
                 (unsigned long long)o->max_prompt_tokens);
        return 1;
    }
    return 0;
}

static int fill_one(score_sched *S, const blalm_doc *d, int selected, sbuf *prompt, blalm_err *e)
{
    score_slot *s = slot_of(S, S->next);
    s->id = malloc(d->id_len + 1);
    if (!s->id) return err_set(e, "out of memory");
    memcpy(s->id, d->id, d->id_len);
    s->id[d->id_len] = 0;
    s->id_len = d->id_len;
    S->n->docs++;
    S->next++;
    if (!selected) {
        line_unselected(&s->line);
        s->st = S_READY;
        return 0;
    }
    S->n->selected++;
    if (score_text_blank(d->text, d->text_len)) {
        /* nothing to judge: a request would be billed for the rubric alone */
        S->n->empty++;
        line_error(&s->line, S, 0, "empty document: not sent (its text is empty or only whitespace)");
        s->st = S_READY;
        return 0;
    }
    size_t cut = llm_cut_chars(d->text, d->text_len, S->o->max_chars);
    sb_reset(prompt);
    llm_render(S->tpl, d->text, cut, prompt);
    s->est = llm_estimate_tokens(prompt->len);
    llm_cache_key(S->params, S->tpl->sha256, prompt->data, prompt->len, s->key);
    sha256_hex(prompt->data, prompt->len, s->text_sha);
    char *rec = S->cache ? llm_cache_get(S->cache, s->key, e) : NULL;
    if (rec) {
        S->n->cached++;
        int rc = S->o->dry_run ? 0 : line_from_record(&s->line, S, rec, e);
        free(rec);
        s->st = S_READY;
        return rc;
    }
    if (S->cache && e->msg[0]) return -1;
    if (S->o->dry_run) {
        /* what the run would send: each text once, within the guards */
        s->st = S_READY;
        int seen = dry_seen(S, s->key, 0);
        if (seen < 0) return err_set(e, "out of memory");
        if (seen) {
            S->n->duplicates++;
            return 0;
        }
        if (S->n->guard_hit || guard_reached(S, s->est)) {
            S->n->guard_hit = 1;
            S->n->not_sent++;
            return 0;
        }
        if (dry_seen(S, s->key, 1) < 0) return err_set(e, "out of memory");
        S->n->est_prompt_tokens += s->est;
        S->reserved_tokens += s->est;
        S->n->sent++;
        return 0;
    }
    if (has_leader(S, S->next - 1, s->key)) {
        s->st = S_FOLLOW;
        return 0;
    }
    if (S->n->guard_hit || guard_reached(S, s->est)) {
        S->n->guard_hit = 1;
        S->n->not_sent++;
        char msg[200];
        snprintf(msg, sizeof msg, "not sent: %s", S->n->guard);
        line_error(&s->line, S, 0, msg);
        s->st = S_READY;
        return 0;
    }
    llm_request_body(S->params, prompt->data, prompt->len, &s->body);
    S->reserved_tokens += s->est;
    S->n->sent++;
    s->st = S_SEND;
    return 0;
}

static int send_ready(score_sched *S, blalm_err *e)
{
    for (uint64_t q = S->head; q < S->next; q++) {
        score_slot *s = slot_of(S, q);
        if (s->st != S_SEND) continue;
        if (!llm_client_has_room(S->client, s->est)) break;
        if (llm_client_submit(S->client, q, s->body.data, s->body.len, s->est, e) < 0) return -1;
        sb_reset(&s->body);
        s->st = S_WAIT;
    }
    return 0;
}

/* Followers of a finished key take its line (same answer, paid once). */
static void settle_followers(score_sched *S, uint64_t leader, const char *rec, const char *error,
                             int attempts, blalm_err *e)
{
    score_slot *l = slot_of(S, leader);
    for (uint64_t q = leader + 1; q < S->next; q++) {
        score_slot *s = slot_of(S, q);
        if (s->st != S_FOLLOW || memcmp(s->key, l->key, 32)) continue;
        sb_reset(&s->line);
        if (rec) {
            S->n->cached++;
            line_from_record(&s->line, S, rec, e);
        } else {
            S->n->request_errors++;
            line_error(&s->line, S, attempts, error);
        }
        s->st = S_READY;
    }
}

/* Collects finished requests; returns -1 on a run-ending failure. */
static int collect(score_sched *S, int timeout_ms, sbuf *scratch, blalm_err *e)
{
    llm_result res[64];
    int got = llm_client_poll(S->client, timeout_ms, res, 64, e);
    if (got < 0) return -1;
    int rc = 0, nsync = 0;
    for (int i = 0; i < got; i++) {
        score_slot *s = slot_of(S, res[i].tag);
        S->n->attempts += (uint64_t)res[i].attempts;
        S->reserved_tokens -= s->est < S->reserved_tokens ? s->est : S->reserved_tokens;
        if (res[i].ok) {
            S->n->answered++;
            S->n->prompt_tokens += res[i].resp.prompt_tokens >= 0 ? (uint64_t)res[i].resp.prompt_tokens : s->est;
            if (res[i].resp.completion_tokens > 0) S->n->completion_tokens += (uint64_t)res[i].resp.completion_tokens;
            sb_reset(scratch);
            build_record(scratch, S, s, &res[i]);
            if (llm_cache_put(S->cache, s->key, scratch->data, scratch->len, e) < 0) rc = -1;
            s->rec = malloc(scratch->len + 1);
            if (!s->rec) abort();
            memcpy(s->rec, sb_cstr(scratch), scratch->len + 1);
            s->st = S_SYNC;
            nsync++;
        } else if ((llm_status_refused(res[i].status) || res[i].unusable) && rc == 0) {
            /* This document is refused (400 bad bytes, 413 too large for a
             * proxy, 422 over TGI's token limit), or its answer cannot be
             * used: record it, go on. */
            char msg[700];
            snprintf(msg, sizeof msg, "%s: %s", res[i].unusable ? "unusable reply" : "request refused",
                     res[i].error);
            line_error(&s->line, S, res[i].attempts, msg);
            S->n->request_errors++;
            if (res[i].content_filtered) S->n->content_refused++;
            s->st = S_READY;
            settle_followers(S, res[i].tag, NULL, msg, res[i].attempts, e);
            /* The same refusal for every request and no answer at all, fresh
             * or from the cache of an earlier run: it is about the request (a
             * parameter the model does not take, an unknown model name, a
             * response_format refused), not about one document. Stop before
             * the whole corpus is sent. A content filter refuses documents,
             * never the request: those go on. */
            if (!S->n->first_error[0]) snprintf(S->n->first_error, sizeof S->n->first_error, "%s", msg);
            if (!res[i].content_filtered && !S->n->answered && !S->n->cached &&
                !strcmp(msg, S->n->first_error) && ++S->n->refused_streak >= SCORE_SAME_REFUSALS) {
                err_set(e, "the endpoint refused each of the first %d requests with the same error and answered "
                        "none, so every request would get it; stopping. %.400s (check --model; OpenAI's "
                        "reasoning models want --max-tokens-param max_completion_tokens --temperature none; "
                        "a server without response_format support refuses --json-schema)",
                        SCORE_SAME_REFUSALS, msg);
                rc = -1;
            }
        } else if (rc == 0) {
            err_set(e, "document %s: %s%s", s->id, res[i].error,
                    res[i].fatal ? "" : res[i].exhausted ? " (retry budget exhausted)" : " (not retryable)");
            rc = -1;
        }
        llm_result_free(&res[i]);
    }
    /* Stored first (one write(2): it survives SIGKILL from here on), counted
     * once the sync thread has fdatasync'd the batch (promote). */
    if (nsync) {
        uint64_t t;
        if (llm_cache_flush(S->cache, &t, e) < 0) return -1;
        for (int i = 0; i < got; i++) {
            score_slot *s = slot_of(S, res[i].tag);
            if (s->st == S_SYNC && !s->ticket) s->ticket = t;
        }
        S->syncing += (uint64_t)nsync;
    }
    return rc;
}

/* Slots whose answers are now durable become ready. */
static int promote(score_sched *S, blalm_err *e)
{
    if (!S->syncing) return 0;
    uint64_t synced;
    if (llm_cache_synced(S->cache, &synced, e) < 0) return -1;
    int rc = 0;
    for (uint64_t q = S->head; q < S->next; q++) {
        score_slot *s = slot_of(S, q);
        if (s->st != S_SYNC || s->ticket > synced) continue;
        sb_reset(&s->line);
        if (line_from_record(&s->line, S, s->rec, e) < 0) rc = -1;
        settle_followers(S, q, s->rec, NULL, 0, e);
        free(s->rec);
        s->rec = NULL;
        s->st = S_READY;
        S->syncing--;
    }
    return rc;
}

static int flush_ready(score_sched *S, attr_writer *w, blalm_err *e)
{
    while (S->head < S->next) {
        score_slot *s = slot_of(S, S->head);
        if (s->st != S_READY) break;
        if (w && attrw_write(w, s->id, s->id_len, s->line.data, s->line.len, e) < 0) return -1;
        slot_clear(s);
        S->head++;
        if (S->progress) S->progress(S->progress_arg, 1, 0);
    }
    return 0;
}

/* ---- the window's life ---- */

int sched_init(score_sched *S, uint64_t W, blalm_err *e)
{
    S->W = W;
    S->head = S->next = 0;
    S->ring = calloc(W, sizeof *S->ring);
    if (!S->ring) return err_set(e, "out of memory");
    return 0;
}

void sched_free(score_sched *S)
{
    if (!S->ring) return;
    for (uint64_t i = 0; i < S->W; i++) {
        slot_clear(&S->ring[i]);
        sb_free(&S->ring[i].body);
        sb_free(&S->ring[i].line);
    }
    free(S->ring);
    S->ring = NULL;
    free(S->dry_keys);
    S->dry_keys = NULL;
    S->dry_cap = S->dry_n = 0;
}

int sched_has_room(const score_sched *S) { return S->next - S->head < S->W; }

int score_text_blank(const char *text, size_t n)
{
    size_t sp = 0;
    while (sp < n) {
        int32_t cp;
        size_t k = utf8_decode_at((const unsigned char *)text, n, sp, &cp);
        if (!py_isspace((uint32_t)cp)) break;
        sp += k;
    }
    return sp == n;
}

int sched_empty(const score_sched *S) { return S->head == S->next; }

int sched_fill(score_sched *S, const blalm_doc *d, int selected, sbuf *prompt, blalm_err *e)
{
    return fill_one(S, d, selected, prompt, e);
}

int sched_flush(score_sched *S, attr_writer *w, blalm_err *e) { return flush_ready(S, w, e); }

void sched_stop(score_sched *S, sbuf *scratch)
{
    if (!S->client) return;
    llm_client_drain(S->client);
    /* the answers on the wire are paid for: into the cache, made durable */
    while (llm_client_in_flight(S->client) > 0 || S->syncing) {
        blalm_err later = {{0}};
        int got = collect(S, 100, scratch, &later);
        if (got < 0 && !strncmp(later.msg, "http:", 5)) break;
        later.msg[0] = 0;
        if (promote(S, &later) < 0) break;
    }
    blalm_err later = {{0}};
    if (S->cache) llm_cache_sync(S->cache, &later);
}

int sched_step(score_sched *S, int more_input, sbuf *scratch, blalm_err *e)
{
    if (send_ready(S, e) < 0) return -1;
    int wait;
    if (llm_client_in_flight(S->client) == 0)
        wait = S->syncing ? 1 : 5;  /* nothing in flight yet nothing ready: a rate limit or the disk */
    else
        wait = more_input ? 0 : S->syncing ? 2 : 100;
    if (collect(S, wait, scratch, e) < 0 || promote(S, e) < 0) {
        /* The run ends, but answers already on their way are paid for: keep
         * them. Nothing new goes out (no retry, no resubmission): only the
         * transfers on the wire are waited for, each within --timeout. */
        if (S->client) llm_client_drain(S->client);
        while (S->client && llm_client_in_flight(S->client) > 0) {
            blalm_err later = {{0}};
            if (collect(S, 100, scratch, &later) < 0 && !strncmp(later.msg, "http:", 5)) break;
        }
        return -1;
    }
    return 0;
}
