/* cmd_score.c - `blalm score`: the educational rubric through an
 * OpenAI-compatible endpoint, written as the `edu_llm` attribute set.
 *
 * Per document file, documents stream through a window of slots so that
 * attribute lines come out in document order while up to --concurrency
 * requests are in flight. A result is appended to the cache and fsync'd
 * before its slot counts as done, so SIGKILL loses at most what was in
 * flight; the attribute file itself appears only when complete. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/attr.h"
#include "lib/cli.h"
#include "lib/config.h"
#include "lib/docs.h"
#include "lib/fsutil.h"
#include "lib/work.h"
#include "lib/hash.h"
#include "lib/http.h"
#include "lib/progress.h"
#include "lib/rules.h"
#include "lib/zio.h"
#include "scorer/llm.h"
#include "scorer/sample.h"

BLALM_COMMAND(score, "score documents with an LLM rubric through an OpenAI-compatible endpoint")

static const char usage[] =
    "usage: blalm score --work WORK [options]\n"
    "       blalm score --work WORK --stats\n"
    "\n"
    "Sends each selected document (its first --max-chars characters inside the\n"
    "rubric prompt) to POST {endpoint}/chat/completions and writes the attribute\n"
    "set edu_llm (score 0-5, justification, raw reply, model, prompt_sha256,\n"
    "latency, tokens, attempts, finish_reason, error) beside the documents.\n"
    "Every answer is cached before it counts, so a rerun never pays twice.\n"
    "\n"
    "options:\n"
    "  --work WORK            work directory (docs in WORK/docs, output in WORK/attributes)\n"
    "  --docs DIR             documents root (default WORK/docs)\n"
    "  --out DIR              attributes root (default WORK/attributes)\n"
    "  --where RULES          score only documents matching these rules over attributes\n"
    "                         already written, e.g. 'gopher_quality.pass && dedup.keep';\n"
    "                         the others get {\"selected\": false}\n"
    "  --endpoint URL         base URL (default $OPENAI_BASE_URL, else https://api.openai.com/v1)\n"
    "  --api-key-file FILE    read the API key from FILE (default $OPENAI_API_KEY)\n"
    "  --model NAME           model name sent to the endpoint (required)\n"
    "  --prompt FILE          prompt template with a {text} placeholder (default: the\n"
    "                         built-in edu5 rubric, scorer/prompts/edu5.txt)\n"
    "  --max-chars N          characters of each document sent (default 1000)\n"
    "  --temperature T        default 0\n"
    "  --max-tokens N         completion limit (default 512)\n"
    "  --seed N               sampling seed sent to the endpoint; also seeds --sample\n"
    "  --sample N             label only N of the selected documents: a random sample\n"
    "                         stratified by source and text length (powers of two of\n"
    "                         bytes), the same for the same candidates and --seed; the\n"
    "                         others get {\"selected\": false}. Reads the documents twice.\n"
    "  --json-schema          ask for {\"justification\",\"score\"} through response_format\n"
    "  --concurrency N        requests in flight (default 8)\n"
    "  --rps R                at most R requests started per second\n"
    "  --tpm T                at most T (estimated) tokens per minute\n"
    "  --timeout S            seconds per attempt (default 120)\n"
    "  --max-attempts N       attempts per request incl. the first (default 8)\n"
    "  --retry-budget S       give up a request after S seconds of retrying (default 900)\n"
    "  --max-requests N       send at most N requests in this run\n"
    "  --max-prompt-tokens N  send at most N (estimated) prompt tokens in this run\n"
    "  --cache DIR            result cache, shareable across runs (default WORK/state/score/cache)\n"
    "  --dry-run              count documents to send and estimate prompt tokens; send nothing\n"
    "  --stats                summarise existing edu_llm attributes: scores, errors, tokens\n"
    "  --config FILE          JSON defaults for these options ({\"score\": {\"model\": ...,\n"
    "                         \"max_chars\": ...}}, '_' for '-'); flags win; no API keys\n"
    "  --force                redo files already marked complete (answers still come from the cache)\n"
    "  -q, --quiet            no progress or summary\n"
    "  -h, --help             this help\n"
    "\n"
    "Documents whose reply has no valid score get score null and error \"parse error: ...\"\n"
    "with the raw reply kept. Exit status: 0 done (also when a spending guard stopped\n"
    "sending), 1 error (the endpoint failed past the retry budget, or refused with\n"
    "401/403/404), 2 usage.\n";

/* ---- options and counters ---- */

typedef struct opts {
    const char *work, *docs, *out, *where, *endpoint, *key_file, *model, *prompt, *cache;
    unsigned long long max_chars, max_requests, max_prompt_tokens;
    int has_max_requests, has_max_prompt_tokens;
    double temperature, rps, tpm, timeout_s, retry_budget_s;
    int max_tokens, has_seed, json_schema, concurrency, max_attempts;
    long long seed;
    int dry_run, stats, force, quiet, has_sample;
    unsigned long long sample;
} opts;

typedef struct counts {
    uint64_t docs, files, files_skipped, selected, cached, sent, attempts, scored, parse_errors,
        request_errors, not_sent, finish_length, hist[6];
    uint64_t prompt_tokens, completion_tokens, est_prompt_tokens;
    int guard_hit;
    char guard[128];
} counts;

/* ---- the window of documents on their way to the attribute file ---- */

typedef enum { S_EMPTY, S_READY, S_SEND, S_WAIT, S_FOLLOW, S_SYNC } slot_state;

typedef struct slot {
    slot_state st;
    char *id;
    size_t id_len;
    uint8_t key[32];
    char text_sha[65];
    uint64_t est;
    sbuf body;   /* request body while S_SEND */
    sbuf line;   /* the edu_llm object when S_READY */
    char *rec;   /* cache record while S_SYNC */
    uint64_t ticket;  /* its cache batch: READY once that batch is fdatasync'd */
} slot;

typedef struct run {
    const opts *o;
    llm_params params;
    llm_template tpl;
    llm_cache *cache;
    llm_client *client;
    rule *where;
    llm_sample *sample;   /* --sample: the chosen candidates */
    counts n;
    progress *pg;
    slot *ring;
    uint64_t W, head, next;   /* slots [head, next) are in use */
    uint64_t reserved_tokens; /* estimated prompt tokens of requests in flight */
    uint64_t syncing;         /* slots in S_SYNC */
    char api_key[1024];
} run;

static void slot_clear(slot *s)
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

/* A selected document without an answer: not sent, or refused (400). */
static void line_error(sbuf *b, const run *R, int attempts, const char *error)
{
    static const char *const keys[] = {"score", "justification", "raw", "model", NULL};
    int first = 1;
    sb_addc(b, '{');
    sb_json_key(b, "selected", &first);
    sb_json_bool(b, 1);
    add_null_keys(b, &first, keys);
    sb_json_key(b, "prompt_sha256", &first);
    sb_json_str(b, R->tpl.sha256, 64);
    static const char *const mid[] = {"latency_ms", "prompt_tokens", "completion_tokens", NULL};
    add_null_keys(b, &first, mid);
    sb_json_key(b, "attempts", &first);
    sb_json_int(b, attempts);
    sb_json_key(b, "finish_reason", &first);
    sb_adds(b, "null");
    sb_json_key(b, "error", &first);
    sb_json_str(b, error, strlen(error));
    sb_addc(b, '}');
}

static void add_str_or_null(sbuf *b, const char *key, const cJSON *v, int *first)
{
    sb_json_key(b, key, first);
    if (cJSON_IsString(v)) sb_json_str(b, v->valuestring, strlen(v->valuestring));
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
static int line_from_record(sbuf *b, run *R, const char *rec, blalm_err *e)
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
    sbuf just;
    sb_init(&just);
    char why[256];
    int score = llm_parse_score(text, strlen(text), R->params.json_schema, &just, why, sizeof why);
    if (just.len == 0 && cJSON_IsString(reasoning))
        sb_adds(&just, reasoning->valuestring);
    int first = 1;
    sb_addc(b, '{');
    sb_json_key(b, "selected", &first);
    sb_json_bool(b, 1);
    sb_json_key(b, "score", &first);
    if (score >= 0) sb_json_int(b, score); else sb_adds(b, "null");
    sb_json_key(b, "justification", &first);
    if (just.len) sb_json_str(b, just.data, just.len); else sb_adds(b, "null");
    sb_json_key(b, "raw", &first);
    sb_json_str(b, text, strlen(text));
    if (cJSON_IsString(reasoning)) add_str_or_null(b, "reasoning", reasoning, &first);
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
        R->n.scored++;
        R->n.hist[score]++;
    } else {
        char msg[400];
        int cut = cJSON_IsString(fin) && !strcmp(fin->valuestring, "length");
        snprintf(msg, sizeof msg, "parse error: %s%s", why,
                 cut ? " (finish_reason length: the reply was cut at --max-tokens)" : "");
        sb_json_str(b, msg, strlen(msg));
        R->n.parse_errors++;
    }
    if (cJSON_IsString(fin) && !strcmp(fin->valuestring, "length")) R->n.finish_length++;
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

static void build_record(sbuf *b, const run *R, const slot *s, const llm_result *res)
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
    sb_json_str(b, R->tpl.sha256, 64);
    sb_json_key(b, "request_model", &first);
    sb_json_str(b, R->params.model, strlen(R->params.model));
    const llm_response *r = &res->resp;
    const char *model = r->model ? r->model : R->params.model;
    sb_json_key(b, "model", &first);
    sb_json_str(b, model, strlen(model));
    sb_json_key(b, "content", &first);
    sb_json_str(b, r->content, strlen(r->content));
    sb_json_key(b, "reasoning", &first);
    if (r->reasoning) sb_json_str(b, r->reasoning, strlen(r->reasoning)); else sb_adds(b, "null");
    sb_json_key(b, "finish_reason", &first);
    if (r->finish_reason) sb_json_str(b, r->finish_reason, strlen(r->finish_reason));
    else sb_adds(b, "null");
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

static slot *slot_of(run *R, uint64_t seq) { return &R->ring[seq % R->W]; }

/* Another slot already asking for this key? Then wait for its answer. */
static int has_leader(run *R, uint64_t seq, const uint8_t key[32])
{
    for (uint64_t q = R->head; q < seq; q++) {
        slot *s = slot_of(R, q);
        if ((s->st == S_SEND || s->st == S_WAIT || s->st == S_SYNC) && !memcmp(s->key, key, 32))
            return 1;
    }
    return 0;
}

static int guard_reached(run *R, uint64_t est)
{
    const opts *o = R->o;
    if (o->has_max_requests && R->n.sent + 1 > o->max_requests) {
        snprintf(R->n.guard, sizeof R->n.guard, "--max-requests %llu reached", o->max_requests);
        return 1;
    }
    if (o->has_max_prompt_tokens &&
        R->n.prompt_tokens + R->reserved_tokens + est > o->max_prompt_tokens) {
        snprintf(R->n.guard, sizeof R->n.guard, "--max-prompt-tokens %llu reached",
                 o->max_prompt_tokens);
        return 1;
    }
    return 0;
}

static int fill_one(run *R, const blalm_doc *d, int selected, sbuf *prompt, blalm_err *e)
{
    slot *s = slot_of(R, R->next);
    s->id = malloc(d->id_len + 1);
    if (!s->id) return err_set(e, "out of memory");
    memcpy(s->id, d->id, d->id_len);
    s->id[d->id_len] = 0;
    s->id_len = d->id_len;
    R->n.docs++;
    R->next++;
    if (!selected) {
        line_unselected(&s->line);
        s->st = S_READY;
        return 0;
    }
    R->n.selected++;
    size_t cut = llm_cut_chars(d->text, d->text_len, R->o->max_chars);
    sb_reset(prompt);
    llm_render(&R->tpl, d->text, cut, prompt);
    s->est = llm_estimate_tokens(prompt->len);
    if (R->o->dry_run && !R->cache) {
        R->n.est_prompt_tokens += s->est;
        s->st = S_READY;
        return 0;
    }
    llm_cache_key(&R->params, R->tpl.sha256, prompt->data, prompt->len, s->key);
    sha256_hex(prompt->data, prompt->len, s->text_sha);
    char *rec = llm_cache_get(R->cache, s->key, e);
    if (rec) {
        R->n.cached++;
        int rc = R->o->dry_run ? 0 : line_from_record(&s->line, R, rec, e);
        free(rec);
        s->st = S_READY;
        return rc;
    }
    if (e->msg[0]) return -1;
    if (R->o->dry_run) {
        R->n.est_prompt_tokens += s->est;
        R->n.sent++;
        s->st = S_READY;
        return 0;
    }
    if (has_leader(R, R->next - 1, s->key)) {
        s->st = S_FOLLOW;
        return 0;
    }
    if (R->n.guard_hit || guard_reached(R, s->est)) {
        R->n.guard_hit = 1;
        R->n.not_sent++;
        char msg[200];
        snprintf(msg, sizeof msg, "not sent: %s", R->n.guard);
        line_error(&s->line, R, 0, msg);
        s->st = S_READY;
        return 0;
    }
    llm_request_body(&R->params, prompt->data, prompt->len, &s->body);
    R->reserved_tokens += s->est;
    R->n.sent++;
    s->st = S_SEND;
    return 0;
}

static int send_ready(run *R, blalm_err *e)
{
    for (uint64_t q = R->head; q < R->next; q++) {
        slot *s = slot_of(R, q);
        if (s->st != S_SEND) continue;
        if (!llm_client_has_room(R->client, s->est)) break;
        if (llm_client_submit(R->client, q, s->body.data, s->body.len, s->est, e) < 0) return -1;
        sb_reset(&s->body);
        s->st = S_WAIT;
    }
    return 0;
}

/* Followers of a finished key take its line (same answer, paid once). */
static void settle_followers(run *R, uint64_t leader, const char *rec, const char *error,
                             int attempts, blalm_err *e)
{
    slot *l = slot_of(R, leader);
    for (uint64_t q = leader + 1; q < R->next; q++) {
        slot *s = slot_of(R, q);
        if (s->st != S_FOLLOW || memcmp(s->key, l->key, 32)) continue;
        sb_reset(&s->line);
        if (rec) {
            R->n.cached++;
            line_from_record(&s->line, R, rec, e);
        } else {
            R->n.request_errors++;
            line_error(&s->line, R, attempts, error);
        }
        s->st = S_READY;
    }
}

/* Collects finished requests; returns -1 on a run-ending failure. */
static int collect(run *R, int timeout_ms, sbuf *scratch, blalm_err *e)
{
    llm_result res[64];
    int got = llm_client_poll(R->client, timeout_ms, res, 64, e);
    if (got < 0) return -1;
    int rc = 0, nsync = 0;
    for (int i = 0; i < got; i++) {
        slot *s = slot_of(R, res[i].tag);
        R->n.attempts += (uint64_t)res[i].attempts;
        R->reserved_tokens -= s->est < R->reserved_tokens ? s->est : R->reserved_tokens;
        if (res[i].ok) {
            R->n.prompt_tokens += res[i].resp.prompt_tokens >= 0 ? (uint64_t)res[i].resp.prompt_tokens : s->est;
            if (res[i].resp.completion_tokens > 0) R->n.completion_tokens += (uint64_t)res[i].resp.completion_tokens;
            sb_reset(scratch);
            build_record(scratch, R, s, &res[i]);
            if (llm_cache_put(R->cache, s->key, scratch->data, scratch->len, e) < 0) rc = -1;
            s->rec = malloc(scratch->len + 1);
            if (!s->rec) abort();
            memcpy(s->rec, sb_cstr(scratch), scratch->len + 1);
            s->st = S_SYNC;
            nsync++;
        } else if (res[i].status == 400 && rc == 0) {
            /* This document is refused (too long, bad bytes): record it, go on. */
            char msg[700];
            snprintf(msg, sizeof msg, "request refused: %s", res[i].error);
            line_error(&s->line, R, res[i].attempts, msg);
            R->n.request_errors++;
            s->st = S_READY;
            settle_followers(R, res[i].tag, NULL, msg, res[i].attempts, e);
        } else if (rc == 0) {
            err_set(e, "document %s: %s%s", s->id, res[i].error,
                    res[i].fatal ? "" : " (retry budget exhausted)");
            rc = -1;
        }
        llm_result_free(&res[i]);
    }
    /* Stored first (one write(2): it survives SIGKILL from here on), counted
     * once the sync thread has fdatasync'd the batch (promote). */
    if (nsync) {
        uint64_t t;
        if (llm_cache_flush(R->cache, &t, e) < 0) return -1;
        for (int i = 0; i < got; i++) {
            slot *s = slot_of(R, res[i].tag);
            if (s->st == S_SYNC && !s->ticket) s->ticket = t;
        }
        R->syncing += (uint64_t)nsync;
    }
    return rc;
}

/* Slots whose answers are now durable become ready. */
static int promote(run *R, blalm_err *e)
{
    if (!R->syncing) return 0;
    uint64_t synced;
    if (llm_cache_synced(R->cache, &synced, e) < 0) return -1;
    int rc = 0;
    for (uint64_t q = R->head; q < R->next; q++) {
        slot *s = slot_of(R, q);
        if (s->st != S_SYNC || s->ticket > synced) continue;
        sb_reset(&s->line);
        if (line_from_record(&s->line, R, s->rec, e) < 0) rc = -1;
        settle_followers(R, q, s->rec, NULL, 0, e);
        free(s->rec);
        s->rec = NULL;
        s->st = S_READY;
        R->syncing--;
    }
    return rc;
}

static int flush_ready(run *R, attr_writer *w, blalm_err *e)
{
    while (R->head < R->next) {
        slot *s = slot_of(R, R->head);
        if (s->st != S_READY) break;
        if (w && attrw_write(w, s->id, s->id_len, s->line.data, s->line.len, e) < 0) return -1;
        slot_clear(s);
        R->head++;
        prog_add(R->pg, 1);
    }
    return 0;
}

/* ---- --where ---- */

typedef struct where_ctx {
    const work_dirs *w;
    const char *first_rel;
    char sets[16][64];
    cJSON *first[16];
    int nsets;
} where_ctx;

static void collect_set(void *ctx, const char *set, const char *key)
{
    (void)key;
    where_ctx *c = ctx;
    for (int i = 0; i < c->nsets; i++)
        if (!strcmp(c->sets[i], set)) return;
    if (c->nsets < 16) snprintf(c->sets[c->nsets++], sizeof c->sets[0], "%s", set);
}

/* A set is known when its attribute file for the first document file exists;
 * a key when the set's first line has it. */
static int known_key(void *ctx, const char *set, const char *key)
{
    where_ctx *c = ctx;
    for (int i = 0; i < c->nsets; i++) {
        if (strcmp(c->sets[i], set)) continue;
        if (!c->first[i]) {
            char p[8192];
            attr_path_for(c->w, set, c->first_rel, p, sizeof p);
            blalm_err e;
            zreader *z = file_exists(p) ? zr_open(p, &e) : NULL;
            const char *line;
            size_t len;
            if (z && zr_line(z, &line, &len, &e) == 1) {
                cJSON *j = cJSON_ParseWithLength(line, len);
                cJSON *o = j ? cJSON_DetachItemFromObjectCaseSensitive(j, set) : NULL;
                c->first[i] = o ? o : cJSON_CreateObject();
                cJSON_Delete(j);
            }
            if (z) zr_close(z);
            if (!c->first[i]) return -1;
        }
        return cJSON_GetObjectItemCaseSensitive(c->first[i], key) ? 1 : 0;
    }
    return -1;
}

/* ---- --sample: a first pass over the candidates ---- */

static int sample_pass(run *R, const work_dirs *w, const doc_file *files, size_t nfiles,
                       where_ctx *wc, blalm_err *e)
{
    R->sample = sample_new(R->o->sample, (uint64_t)R->o->seed);
    if (!R->sample) return err_set(e, "out of memory");
    for (size_t i = 0; i < nfiles; i++) {
        const doc_file *f = &files[i];
        doc_opts dopt;
        memset(&dopt, 0, sizeof dopt);
        dopt.default_source = f->source;
        const char *paths[16], *sets[16];
        char pbuf[16][8192];
        for (int s = 0; R->where && s < wc->nsets; s++) {
            attr_path_for(w, wc->sets[s], f->rel, pbuf[s], sizeof pbuf[s]);
            paths[s] = pbuf[s];
            sets[s] = wc->sets[s];
        }
        attr_join *aj = R->where ? attrj_open(f->path, &dopt, paths, sets, wc->nsets, e) : NULL;
        doc_reader *dr = R->where ? NULL : doc_open(f->path, &dopt, e);
        if (!aj && !dr) return -1;
        blalm_doc d;
        int got, rc = 0;
        for (;;) {
            int selected = 1;
            if (aj) {
                cJSON *objs[16];
                got = attrj_next(aj, &d, objs, e);
                if (got == 1) {
                    cJSON *all = cJSON_CreateObject();
                    for (int s = 0; s < wc->nsets; s++)
                        cJSON_AddItemReferenceToObject(all, wc->sets[s], objs[s]);
                    selected = rule_eval(R->where, all, e);
                    cJSON_Delete(all);
                    if (selected < 0) {
                        err_prefix(e, "%s: row %llu: --where", f->path, (unsigned long long)d.row);
                        rc = -1;
                        break;
                    }
                }
            } else {
                got = doc_next(dr, &d, e);
            }
            if (got <= 0) {
                rc = got;
                break;
            }
            if (selected &&
                sample_add(R->sample, d.source, d.source_len, d.text_len, f->rel, d.row, e) < 0) {
                rc = -1;
                break;
            }
        }
        attrj_close(aj);
        doc_close(dr);
        if (rc < 0) return -1;
    }
    return sample_finish(R->sample, e);
}

/* ---- one document file ---- */

static void marker_name(const char *rel, char *out, size_t cap)
{
    char stem[4096];
    doc_rel_stem(rel, stem, sizeof stem);
    snprintf(out, cap, "edu_llm__%s", stem);
    for (char *p = out; *p; p++)
        if (*p == '/') *p = '_';
}

static int file_done(const work_dirs *w, const char *name, const char *run_key, const char *attr_path)
{
    char p[8192];
    if (!w->work[0]) return 0;  /* no WORK, no markers: --docs/--out/--cache runs redo (from the cache) */
    snprintf(p, sizeof p, "%s/state/score/%s.done", w->work, name);
    char *data = NULL;
    size_t len;
    blalm_err e;
    if (!file_exists(attr_path) || read_file(p, &data, &len, &e) < 0) return 0;
    int same = strstr(data, run_key) != NULL;
    free(data);
    return same;
}

static int score_file(run *R, const work_dirs *w, const doc_file *f, where_ctx *wc,
                      const char *run_key, blalm_err *e)
{
    char out[8192], name[4200], config[128];
    attr_path_for(w, "edu_llm", f->rel, out, sizeof out);
    marker_name(f->rel, name, sizeof name);
    snprintf(config, sizeof config, "score run %s", run_key);
    /* the document file as it is now: an edited file is scored again, and
     * the record says what edu_llm was made from */
    doc_identity ident;
    if (!R->o->dry_run && doc_identity_of(f->path, &ident, e) < 0) return -1;
    if (!R->o->dry_run && !R->o->force && file_done(w, name, run_key, out) &&
        attr_record_current(out, &ident, config)) {
        R->n.files_skipped++;
        return 0;
    }
    R->n.files++;
    doc_opts dopt;
    memset(&dopt, 0, sizeof dopt);
    dopt.default_source = f->source;
    dopt.id_stem = f->id_stem;
    doc_reader *dr = NULL;
    attr_join *aj = NULL;
    const char *paths[16], *sets[16];
    char pbuf[16][8192];
    if (R->where) {
        for (int i = 0; i < wc->nsets; i++) {
            attr_path_for(w, wc->sets[i], f->rel, pbuf[i], sizeof pbuf[i]);
            paths[i] = pbuf[i];
            sets[i] = wc->sets[i];
        }
        aj = attrj_open(f->path, &dopt, paths, sets, wc->nsets, e);
        if (!aj) return -1;
    } else {
        dr = doc_open(f->path, &dopt, e);
        if (!dr) return -1;
    }
    if (!R->o->dry_run) remove_stale_temps(out);
    attr_writer *aw = R->o->dry_run ? NULL : attrw_open(out, "edu_llm", e);
    int rc = -1, eof = 0;
    uint64_t docs0 = R->n.docs, sel0 = R->n.selected, guard0 = R->n.not_sent;
    sbuf prompt, scratch;
    sb_init(&prompt);
    sb_init(&scratch);
    if (!R->o->dry_run && !aw) goto out;
    for (;;) {
        while (!eof && R->next - R->head < R->W) {
            blalm_doc d;
            int got, selected = 1;
            if (aj) {
                cJSON *objs[16];
                got = attrj_next(aj, &d, objs, e);
                if (got == 1) {
                    cJSON *all = cJSON_CreateObject();
                    for (int i = 0; i < wc->nsets; i++)
                        cJSON_AddItemReferenceToObject(all, wc->sets[i], objs[i]);
                    selected = rule_eval(R->where, all, e);
                    cJSON_Delete(all);
                    if (selected < 0) {
                        err_prefix(e, "%s: row %llu: --where", f->path, (unsigned long long)d.row);
                        goto out;
                    }
                }
            } else {
                got = doc_next(dr, &d, e);
            }
            if (got < 0) goto out;
            if (got == 0) { eof = 1; break; }
            if (selected && R->sample)
                selected = sample_has(R->sample, d.source, d.source_len, d.text_len, f->rel, d.row);
            if (fill_one(R, &d, selected, &prompt, e) < 0) goto out;
        }
        if (flush_ready(R, aw, e) < 0) goto out;
        if (eof && R->head == R->next) break;
        if (R->o->dry_run) continue;
        if (send_ready(R, e) < 0) goto out;
        if (llm_client_in_flight(R->client) == 0) {
            /* Nothing in flight yet nothing ready: a rate limit or the disk. */
            if (collect(R, R->syncing ? 1 : 5, &scratch, e) < 0 || promote(R, e) < 0) goto drain;
            continue;
        }
        int wait = (!eof && R->next - R->head < R->W) ? 0 : R->syncing ? 2 : 100;
        if (collect(R, wait, &scratch, e) < 0 || promote(R, e) < 0) goto drain;
    }
    rc = 0;
    if (aw) {
        rc = attrw_commit(aw, e);
        aw = NULL;
        if (rc < 0) goto out;
        char command[8400];
        snprintf(command, sizeof command, "blalm score --model %s%s%s%s", R->o->model ? R->o->model : "",
                 R->o->where ? " --where '" : "", R->o->where ? R->o->where : "",
                 R->o->where ? "'" : "");
        rc = attr_record_write(out, "edu_llm", f->rel, &ident, R->n.docs - docs0,
                               R->n.not_sent == guard0, config, command, e);
        if (rc < 0) goto out;
        /* A file with unsent documents is done for now, not complete: no marker. */
        if (R->n.not_sent == guard0 && w->work[0]) {
            char mj[512];
            snprintf(mj, sizeof mj,
                     "{\"run_key\":\"%s\",\"documents\":%llu,\"selected\":%llu}", run_key,
                     (unsigned long long)(R->n.docs - docs0), (unsigned long long)(R->n.selected - sel0));
            rc = marker_write(w->work, "score", name, mj, e);
        }
    }
    rc = rc < 0 ? -1 : 0;
    goto out;
drain:
    /* The run ends, but answers already on their way are paid for: keep them. */
    while (R->client && llm_client_in_flight(R->client) > 0) {
        blalm_err later = {{0}};
        if (collect(R, 100, &scratch, &later) < 0 && !strncmp(later.msg, "http:", 5)) break;
    }
    rc = -1;
out:
    if (rc < 0 && !e->msg[0]) err_set(e, "%s: failed", f->path);
    if (aw) attrw_abort(aw);
    if (dr) doc_close(dr);
    if (aj) attrj_close(aj);
    sb_free(&prompt);
    sb_free(&scratch);
    return rc;
}

/* ---- --stats ---- */

static int show_stats(const work_dirs *w, doc_file *files, size_t nfiles, blalm_err *e)
{
    uint64_t docs = 0, sel = 0, hist[6] = {0}, nulls = 0, perr = 0, rerr = 0, unsent = 0, other = 0,
             pt = 0, ct = 0, length = 0, att = 0, nfile = 0;
    for (size_t i = 0; i < nfiles; i++) {
        char p[8192];
        attr_path_for(w, "edu_llm", files[i].rel, p, sizeof p);
        if (!file_exists(p)) continue;
        zreader *z = zr_open(p, e);
        if (!z) return -1;
        nfile++;
        const char *line;
        size_t len;
        int rc;
        while ((rc = zr_line(z, &line, &len, e)) == 1) {
            cJSON *j = cJSON_ParseWithLength(line, len);
            const cJSON *o = j ? cJSON_GetObjectItemCaseSensitive(j, "edu_llm") : NULL;
            if (!cJSON_IsObject(o)) {
                cJSON_Delete(j);
                zr_close(z);
                return err_set(e, "%s:%llu: expected {\"id\":..,\"edu_llm\":{..}}", p,
                               (unsigned long long)zr_lineno(z));
            }
            docs++;
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "selected"))) {
                sel++;
                const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "score");
                const cJSON *er = cJSON_GetObjectItemCaseSensitive(o, "error");
                if (cJSON_IsNumber(s) && s->valuedouble >= 0 && s->valuedouble <= 5)
                    hist[(int)s->valuedouble]++;
                else nulls++;
                if (cJSON_IsString(er)) {
                    if (!strncmp(er->valuestring, "parse error", 11)) perr++;
                    else if (!strncmp(er->valuestring, "request refused", 15)) rerr++;
                    else if (!strncmp(er->valuestring, "not sent", 8)) unsent++;
                    else other++;
                }
                const cJSON *v;
                if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(o, "prompt_tokens"))) pt += (uint64_t)v->valuedouble;
                if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(o, "completion_tokens"))) ct += (uint64_t)v->valuedouble;
                if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(o, "attempts"))) att += (uint64_t)v->valuedouble;
                v = cJSON_GetObjectItemCaseSensitive(o, "finish_reason");
                if (cJSON_IsString(v) && !strcmp(v->valuestring, "length")) length++;
            }
            cJSON_Delete(j);
        }
        zr_close(z);
        if (rc < 0) return -1;
    }
    if (!nfile) return err_set(e, "%s/edu_llm: no edu_llm attributes yet (run blalm score first)", w->attrs);
    uint64_t scored = hist[0] + hist[1] + hist[2] + hist[3] + hist[4] + hist[5];
    printf("edu_llm: %llu documents in %llu files, %llu selected, %llu not selected\n",
           (unsigned long long)docs, (unsigned long long)nfile, (unsigned long long)sel,
           (unsigned long long)(docs - sel));
    printf("scores (%llu scored):\n", (unsigned long long)scored);
    for (int s = 0; s <= 5; s++) {
        int bar = scored ? (int)(40.0 * (double)hist[s] / (double)scored + 0.5) : 0;
        printf("  %d  %10llu  %5.1f%%  ", s, (unsigned long long)hist[s],
               scored ? 100.0 * (double)hist[s] / (double)scored : 0.0);
        for (int k = 0; k < bar; k++) putchar('#');
        putchar('\n');
    }
    printf("no score: %llu (parse errors %llu, requests refused %llu, not sent %llu, other %llu)\n",
           (unsigned long long)nulls, (unsigned long long)perr, (unsigned long long)rerr,
           (unsigned long long)unsent, (unsigned long long)other);
    printf("finish_reason length: %llu\n", (unsigned long long)length);
    printf("tokens: %llu prompt, %llu completion; %llu attempts\n", (unsigned long long)pt,
           (unsigned long long)ct, (unsigned long long)att);
    return fflush(stdout) ? err_set(e, "stdout: write failed") : 0;
}

/* ---- the command ---- */

static int read_key_file(const char *path, char *out, size_t cap, blalm_err *e)
{
    char *data;
    size_t len;
    if (read_file(path, &data, &len, e) < 0) return -1;
    size_t a = 0, b = 0;
    while (a < len && (data[a] == ' ' || data[a] == '\t' || data[a] == '\r' || data[a] == '\n')) a++;
    b = a;
    while (b < len && data[b] != '\n' && data[b] != '\r') b++;
    while (b > a && (data[b - 1] == ' ' || data[b - 1] == '\t')) b--;
    int rc = 0;
    if (b == a) rc = err_set(e, "%s: no API key in the file", path);
    else if (b - a >= cap) rc = err_set(e, "%s: API key longer than %zu bytes", path, cap - 1);
    else {
        memcpy(out, data + a, b - a);
        out[b - a] = 0;
    }
    memset(data, 0, len);
    free(data);
    return rc;
}

static int parse_double(const char *s, double lo, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo) return -1;
    *out = v;
    return 0;
}

static void write_stats_file(const work_dirs *w, const run *R, double secs)
{
    if (!w->work[0]) return;
    sbuf b;
    sb_init(&b);
    const counts *n = &R->n;
    sb_printf(&b, "{\"stage\":\"score\",\"model\":");
    sb_json_str(&b, R->params.model, strlen(R->params.model));
    sb_printf(&b, ",\"prompt_sha256\":\"%s\",\"files\":%llu,\"files_skipped\":%llu,\"documents\":%llu,"
                  "\"selected\":%llu,\"cached\":%llu,\"sent\":%llu,\"attempts\":%llu,"
                  "\"scored\":%llu,\"parse_errors\":%llu,\"request_errors\":%llu,\"not_sent\":%llu,"
                  "\"finish_length\":%llu,\"histogram\":[%llu,%llu,%llu,%llu,%llu,%llu],"
                  "\"prompt_tokens\":%llu,\"completion_tokens\":%llu,\"seconds\":",
              R->tpl.sha256, (unsigned long long)n->files, (unsigned long long)n->files_skipped,
              (unsigned long long)n->docs, (unsigned long long)n->selected,
              (unsigned long long)n->cached, (unsigned long long)n->sent,
              (unsigned long long)n->attempts, (unsigned long long)n->scored,
              (unsigned long long)n->parse_errors, (unsigned long long)n->request_errors,
              (unsigned long long)n->not_sent, (unsigned long long)n->finish_length,
              (unsigned long long)n->hist[0], (unsigned long long)n->hist[1],
              (unsigned long long)n->hist[2], (unsigned long long)n->hist[3],
              (unsigned long long)n->hist[4], (unsigned long long)n->hist[5],
              (unsigned long long)n->prompt_tokens, (unsigned long long)n->completion_tokens);
    sb_json_num(&b, secs);
    sb_adds(&b, "}\n");
    char p[8192];
    snprintf(p, sizeof p, "%s/score.json", w->stats);
    blalm_err e;
    if (write_file_atomic(p, b.data, b.len, &e) < 0) print_warning("score: %s", e.msg);
    sb_free(&b);
}

enum {
    O_WORK = 256, O_DOCS, O_OUT, O_WHERE, O_ENDPOINT, O_KEYFILE, O_MODEL, O_PROMPT, O_MAXCHARS,
    O_TEMP, O_MAXTOK, O_SEED, O_JSON, O_CONC, O_RPS, O_TPM, O_TIMEOUT, O_ATTEMPTS, O_BUDGET,
    O_MAXREQ, O_MAXPT, O_CACHE, O_DRY, O_STATS, O_FORCE, O_CONFIG, O_SAMPLE
};

/* --config FILE: {"score": {...}} or the object itself; keys are the long
 * option names with '_' for '-'; flags given on the command line win. The
 * API key is not a config key (configs get shared); api_key_file is. */
static int apply_config(opts *o, const cJSON *root, const char *path, blalm_err *e)
{
    static const char *const keys[] = {"endpoint", "api_key_file", "model", "prompt", "max_chars",
        "temperature", "max_tokens", "seed", "json_schema", "concurrency", "rps", "tpm", "timeout",
        "max_attempts", "retry_budget", "max_requests", "max_prompt_tokens", "where", "cache", NULL};
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "score");
    char where[4200];
    snprintf(where, sizeof where, "%s%s", path, cJSON_IsObject(cfg) ? ": score" : "");
    if (!cJSON_IsObject(cfg)) cfg = root;
    if (!cJSON_IsObject(cfg)) return err_set(e, "%s: expected a JSON object", path);
    if (config_check_keys(cfg, keys, where, e) < 0) return -1;
    const char **strs[] = {&o->endpoint, &o->key_file, &o->model, &o->prompt, &o->where, &o->cache};
    const char *snames[] = {"endpoint", "api_key_file", "model", "prompt", "where", "cache"};
    for (int i = 0; i < 6; i++)
        if (config_string(cfg, snames[i], *strs[i], strs[i], where, e) < 0) return -1;
    double v;
    int b;
#define NUM(key, lo, hi, dst, cast)                                                       \
    do {                                                                                  \
        if (config_number(cfg, key, (double)(dst), &v, where, e) < 0) return -1;          \
        if (v < (lo) || v > (hi)) return err_set(e, "%s: %s must be in %g..%g", where, key, \
                                                 (double)(lo), (double)(hi));              \
        dst = (cast)v;                                                                    \
    } while (0)
    NUM("max_chars", 1, 1e12, o->max_chars, unsigned long long);
    NUM("temperature", 0, 2, o->temperature, double);
    NUM("max_tokens", 1, 1e6, o->max_tokens, int);
    NUM("concurrency", 1, 4096, o->concurrency, int);
    NUM("rps", 0, 1e9, o->rps, double);
    NUM("tpm", 0, 1e15, o->tpm, double);
    NUM("timeout", 0.001, 1e6, o->timeout_s, double);
    NUM("max_attempts", 1, 100, o->max_attempts, int);
    NUM("retry_budget", 0.001, 1e9, o->retry_budget_s, double);
    if (cJSON_GetObjectItemCaseSensitive(cfg, "seed")) {
        NUM("seed", -9e15, 9e15, o->seed, long long);
        o->has_seed = 1;
    }
    if (cJSON_GetObjectItemCaseSensitive(cfg, "max_requests")) {
        NUM("max_requests", 0, 1e15, o->max_requests, unsigned long long);
        o->has_max_requests = 1;
    }
    if (cJSON_GetObjectItemCaseSensitive(cfg, "max_prompt_tokens")) {
        NUM("max_prompt_tokens", 0, 1e15, o->max_prompt_tokens, unsigned long long);
        o->has_max_prompt_tokens = 1;
    }
#undef NUM
    if (config_bool(cfg, "json_schema", o->json_schema, &b, where, e) < 0) return -1;
    o->json_schema = b;
    return 0;
}

static int score_main(int argc, char **argv, cJSON **config)
{
    static const struct option lopts[] = {
        {"work", required_argument, 0, O_WORK}, {"docs", required_argument, 0, O_DOCS},
        {"out", required_argument, 0, O_OUT}, {"where", required_argument, 0, O_WHERE},
        {"endpoint", required_argument, 0, O_ENDPOINT}, {"api-key-file", required_argument, 0, O_KEYFILE},
        {"model", required_argument, 0, O_MODEL}, {"prompt", required_argument, 0, O_PROMPT},
        {"max-chars", required_argument, 0, O_MAXCHARS}, {"temperature", required_argument, 0, O_TEMP},
        {"max-tokens", required_argument, 0, O_MAXTOK}, {"seed", required_argument, 0, O_SEED},
        {"json-schema", no_argument, 0, O_JSON}, {"concurrency", required_argument, 0, O_CONC},
        {"rps", required_argument, 0, O_RPS}, {"tpm", required_argument, 0, O_TPM},
        {"timeout", required_argument, 0, O_TIMEOUT}, {"max-attempts", required_argument, 0, O_ATTEMPTS},
        {"retry-budget", required_argument, 0, O_BUDGET}, {"max-requests", required_argument, 0, O_MAXREQ},
        {"max-prompt-tokens", required_argument, 0, O_MAXPT}, {"cache", required_argument, 0, O_CACHE},
        {"dry-run", no_argument, 0, O_DRY}, {"stats", no_argument, 0, O_STATS},
        {"force", no_argument, 0, O_FORCE}, {"config", required_argument, 0, O_CONFIG},
        {"sample", required_argument, 0, O_SAMPLE},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    opts o;
    memset(&o, 0, sizeof o);
    o.max_chars = 1000;
    o.max_tokens = 512;
    o.concurrency = 8;
    o.timeout_s = 120;
    o.max_attempts = 8;
    o.retry_budget_s = 900;
    int c;
    unsigned long long u;
    double dv;
    opterr = 0;
    optind = 1;
    const char *config_path = NULL;
    while ((c = getopt_long(argc, argv, "qh", lopts, NULL)) != -1)
        if (c == O_CONFIG) config_path = optarg;
    if (config_path) {
        blalm_err ce;
        *config = config_load(config_path, &ce);
        if (!*config || apply_config(&o, *config, config_path, &ce) < 0) {
            fprintf(stderr, "blalm score: %s\n", ce.msg);
            return 1;
        }
    }
    int status = 1;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", lopts, NULL)) != -1) {
        switch (c) {
        case O_CONFIG: break;
        case O_WORK: o.work = optarg; break;
        case O_DOCS: o.docs = optarg; break;
        case O_OUT: o.out = optarg; break;
        case O_WHERE: o.where = optarg; break;
        case O_ENDPOINT: o.endpoint = optarg; break;
        case O_KEYFILE: o.key_file = optarg; break;
        case O_MODEL: o.model = optarg; break;
        case O_PROMPT: o.prompt = optarg; break;
        case O_CACHE: o.cache = optarg; break;
        case O_MAXCHARS:
            if (cli_parse_count(optarg, &o.max_chars) < 0 || o.max_chars == 0)
                return cli_usage_error(usage, "score: --max-chars wants a positive count, not '%s'", optarg);
            break;
        case O_TEMP:
            if (parse_double(optarg, 0, &o.temperature) < 0 || o.temperature > 2)
                return cli_usage_error(usage, "score: --temperature wants a number in 0..2, not '%s'", optarg);
            break;
        case O_MAXTOK:
            if (cli_parse_count(optarg, &u) < 0 || u == 0 || u > 1000000)
                return cli_usage_error(usage, "score: --max-tokens wants a count in 1..1000000, not '%s'", optarg);
            o.max_tokens = (int)u;
            break;
        case O_SEED: {
            char *end;
            errno = 0;
            o.seed = strtoll(optarg, &end, 10);
            if (errno || end == optarg || *end)
                return cli_usage_error(usage, "score: --seed wants an integer, not '%s'", optarg);
            o.has_seed = 1;
            break;
        }
        case O_JSON: o.json_schema = 1; break;
        case O_CONC:
            if (cli_parse_count(optarg, &u) < 0 || u == 0 || u > 4096)
                return cli_usage_error(usage, "score: --concurrency wants a count in 1..4096, not '%s'", optarg);
            o.concurrency = (int)u;
            break;
        case O_RPS:
            if (parse_double(optarg, 0, &o.rps) < 0 || o.rps == 0)
                return cli_usage_error(usage, "score: --rps wants a positive number, not '%s'", optarg);
            break;
        case O_TPM:
            if (parse_double(optarg, 0, &o.tpm) < 0 || o.tpm == 0)
                return cli_usage_error(usage, "score: --tpm wants a positive number, not '%s'", optarg);
            break;
        case O_TIMEOUT:
            if (parse_double(optarg, 0, &o.timeout_s) < 0 || o.timeout_s == 0)
                return cli_usage_error(usage, "score: --timeout wants positive seconds, not '%s'", optarg);
            break;
        case O_ATTEMPTS:
            if (cli_parse_count(optarg, &u) < 0 || u == 0 || u > 100)
                return cli_usage_error(usage, "score: --max-attempts wants a count in 1..100, not '%s'", optarg);
            o.max_attempts = (int)u;
            break;
        case O_BUDGET:
            if (parse_double(optarg, 0, &dv) < 0 || dv == 0)
                return cli_usage_error(usage, "score: --retry-budget wants positive seconds, not '%s'", optarg);
            o.retry_budget_s = dv;
            break;
        case O_MAXREQ:
            if (cli_parse_count(optarg, &o.max_requests) < 0)
                return cli_usage_error(usage, "score: --max-requests wants a count, not '%s'", optarg);
            o.has_max_requests = 1;
            break;
        case O_MAXPT:
            if (cli_parse_count(optarg, &o.max_prompt_tokens) < 0)
                return cli_usage_error(usage, "score: --max-prompt-tokens wants a count, not '%s'", optarg);
            o.has_max_prompt_tokens = 1;
            break;
        case O_SAMPLE:
            if (cli_parse_count(optarg, &o.sample) < 0 || o.sample == 0)
                return cli_usage_error(usage, "score: --sample wants a positive count, not '%s'", optarg);
            o.has_sample = 1;
            break;
        case O_DRY: o.dry_run = 1; break;
        case O_STATS: o.stats = 1; break;
        case O_FORCE: o.force = 1; break;
        case 'q': o.quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "score", lopts, argv, optind);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "score: unexpected argument '%s'", argv[optind]);
    if (!o.work && !(o.docs && o.out && o.cache))
        return cli_usage_error(usage, "score: give --work WORK (or all of --docs, --out and --cache)");

    blalm_err e = {{0}};
    work_dirs w;
    if (work_dirs_init(&w, o.work, o.docs, o.out, &e) < 0) {
        fprintf(stderr, "blalm score: %s\n", e.msg);
        return 1;
    }
    doc_file *files = NULL;
    size_t nfiles = 0;
    if (docs_walk(w.docs, &files, &nfiles, &e) < 0) {
        fprintf(stderr, "blalm score: %s\n", e.msg);
        return 1;
    }
    if (o.stats) {
        int rc = show_stats(&w, files, nfiles, &e);
        docs_walk_free(files, nfiles);
        if (rc < 0) fprintf(stderr, "blalm score: %s\n", e.msg);
        return rc < 0 ? 1 : 0;
    }

    run R;
    memset(&R, 0, sizeof R);
    R.o = &o;
    where_ctx wc;
    memset(&wc, 0, sizeof wc);
    wc.w = &w;
    sbuf params;
    sb_init(&params);
    char base[4096];
    const char *ep = o.endpoint ? o.endpoint : getenv("OPENAI_BASE_URL");
    snprintf(base, sizeof base, "%s", ep && *ep ? ep : "https://api.openai.com/v1");
    for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--) base[n - 1] = 0;
    if (!o.model && !o.dry_run) {
        docs_walk_free(files, nfiles);
        return cli_usage_error(usage, "score: --model is required");
    }
    R.params.base_url = base;
    R.params.model = o.model ? o.model : "";
    R.params.temperature = o.temperature;
    R.params.max_tokens = o.max_tokens;
    R.params.has_seed = o.has_seed;
    R.params.seed = o.seed;
    R.params.json_schema = o.json_schema;
    if (llm_template_load(&R.tpl, o.prompt, &e) < 0) goto fail;
    if (o.where) {
        R.where = rule_parse(o.where, &e);
        if (!R.where) { err_prefix(&e, "--where"); goto fail; }
        rule_refs(R.where, collect_set, &wc);
        if (wc.nsets >= 16) { err_set(&e, "--where: more than 15 attribute sets"); goto fail; }
        if (nfiles) {
            wc.first_rel = files[0].rel;
            if (rule_check(R.where, known_key, &wc, &e) < 0) { err_prefix(&e, "--where"); goto fail; }
        }
        /* the sets --where reads: complete, of one config, made from these files */
        char fix[8400];
        if (o.work) snprintf(fix, sizeof fix, "--work %s", o.work);
        else snprintf(fix, sizeof fix, "--docs %s --out %s", w.docs, w.attrs);
        const char *used[16];
        for (int i = 0; i < wc.nsets; i++) used[i] = wc.sets[i];
        if (attr_sets_check(w.attrs, files, nfiles, used, wc.nsets, 0, fix, NULL, NULL, &e) < 0) {
            err_prefix(&e, "--where");
            goto fail;
        }
    }
    if (o.key_file) {
        if (read_key_file(o.key_file, R.api_key, sizeof R.api_key, &e) < 0) goto fail;
    } else {
        const char *k = getenv("OPENAI_API_KEY");
        if (k) snprintf(R.api_key, sizeof R.api_key, "%s", k);
    }
    char cache_dir[8192];
    if (o.cache) snprintf(cache_dir, sizeof cache_dir, "%s", o.cache);
    else snprintf(cache_dir, sizeof cache_dir, "%s/score/cache", w.state);
    if (o.model && (!o.dry_run || file_exists(cache_dir))) {
        R.cache = llm_cache_open(cache_dir, &e);
        if (!R.cache) goto fail;
    }
    llm_params_json(&R.params, &params);
    char run_key[65];
    {
        sbuf k;
        sb_init(&k);
        sb_printf(&k, "%s\n%s\n%s\n%s\n%llu\n%s", base, R.params.model, R.tpl.sha256,
                  sb_cstr(&params), o.max_chars, o.where ? o.where : "");
        if (o.has_sample) sb_printf(&k, "\nsample %llu seed %lld", o.sample, o.seed);
        sha256_hex(k.data, k.len, run_key);
        sb_free(&k);
    }
    if (!o.dry_run) {
        llm_client_opts co;
        memset(&co, 0, sizeof co);
        co.base_url = base;
        co.api_key = R.api_key;
        co.concurrency = o.concurrency;
        co.timeout_s = o.timeout_s;
        co.max_attempts = o.max_attempts;
        co.max_total_s = o.retry_budget_s;
        co.rps = o.rps;
        co.tpm = o.tpm;
        R.client = llm_client_new(&co, &e);
        if (!R.client) goto fail;
    }
    R.W = (uint64_t)o.concurrency * 16 + 64;  /* room for slow heads of line */
    R.ring = calloc(R.W, sizeof *R.ring);
    if (!R.ring) { err_set(&e, "out of memory"); goto fail; }
    if (o.has_sample && sample_pass(&R, &w, files, nfiles, &wc, &e) < 0) goto fail;
    double t0 = now_seconds();
    R.pg = prog_start("score", 0, PROG_COUNT, o.quiet);
    for (size_t i = 0; i < nfiles; i++) {
        R.head = R.next = 0;
        if (score_file(&R, &w, &files[i], &wc, run_key, &e) < 0) {
            prog_end(R.pg);
            R.pg = NULL;
            goto fail;
        }
    }
    prog_end(R.pg);
    R.pg = NULL;
    double secs = now_seconds() - t0;
    if (o.dry_run) {
        printf("dry run: %llu documents in %zu files, %llu selected, %llu answered by the cache, "
               "%llu would be sent, about %llu prompt tokens (estimate: bytes/4)\n",
               (unsigned long long)R.n.docs, nfiles, (unsigned long long)R.n.selected,
               (unsigned long long)R.n.cached,
               (unsigned long long)(R.cache ? R.n.sent : R.n.selected),
               (unsigned long long)R.n.est_prompt_tokens);
        status = 0;
        goto done;
    }
    write_stats_file(&w, &R, secs);
    if (R.n.guard_hit)
        print_warning("score: %s: %llu documents not sent (rerun with a higher limit to continue; "
                      "answers so far are cached)", R.n.guard, (unsigned long long)R.n.not_sent);
    if (!o.quiet)
        fprintf(stderr,
                "blalm score: %llu documents in %llu files (%llu already done), %llu selected: "
                "%llu from the cache, %llu sent (%llu attempts), %llu scored, %llu parse errors, "
                "%llu refused, %llu not sent; %llu prompt + %llu completion tokens; %.1f s\n",
                (unsigned long long)R.n.docs, (unsigned long long)R.n.files,
                (unsigned long long)R.n.files_skipped, (unsigned long long)R.n.selected,
                (unsigned long long)R.n.cached, (unsigned long long)R.n.sent,
                (unsigned long long)R.n.attempts, (unsigned long long)R.n.scored,
                (unsigned long long)R.n.parse_errors, (unsigned long long)R.n.request_errors,
                (unsigned long long)R.n.not_sent, (unsigned long long)R.n.prompt_tokens,
                (unsigned long long)R.n.completion_tokens, secs);
    if (R.sample && !o.quiet)
        fprintf(stderr, "blalm score: --sample %llu: %llu of %llu candidates chosen from %d strata "
                        "(source x length), seed %lld\n",
                o.sample, (unsigned long long)sample_chosen(R.sample),
                (unsigned long long)sample_candidates(R.sample), sample_strata(R.sample), o.seed);
    status = 0;
    goto done;
fail: {
        char msg[BLALM_ERR_MAX + 16], shown[BLALM_ERR_MAX + 16];
        llm_redact(e.msg, R.api_key[0] ? R.api_key : NULL, msg, sizeof msg);
        http_redact(msg, NULL, shown, sizeof shown);   /* user:password@ in the endpoint */
        fprintf(stderr, "blalm score: %s\n", shown);
        if (R.cache && llm_cache_records(R.cache))
            fprintf(stderr, "blalm score: answers received so far are in the cache; a rerun resumes "
                            "without paying for them again\n");
    }
done:
    if (R.ring) {
        for (uint64_t i = 0; i < R.W; i++) {
            slot_clear(&R.ring[i]);
            sb_free(&R.ring[i].body);
            sb_free(&R.ring[i].line);
        }
        free(R.ring);
    }
    llm_client_free(R.client);
    llm_cache_close(R.cache);
    llm_template_free(&R.tpl);
    rule_free(R.where);
    sample_free(R.sample);
    for (int i = 0; i < wc.nsets; i++) cJSON_Delete(wc.first[i]);
    sb_free(&params);
    memset(R.api_key, 0, sizeof R.api_key);
    docs_walk_free(files, nfiles);
    return status;
}

int cmd_score(int argc, char **argv)
{
    cJSON *config = NULL;  /* option strings may point into it */
    int rc = score_main(argc, argv, &config);
    cJSON_Delete(config);
    return rc;
}
