/* llm.h - scoring documents with an LLM through an OpenAI-compatible endpoint.
 *
 * The pieces `blalm score` puts together, each usable alone:
 *   templates  a prompt with a {text} placeholder (built-in: prompts/edu5.txt)
 *   requests   POST {base}/chat/completions bodies and the cache key of each
 *   responses  the shapes of vLLM, llama.cpp's server, TGI and OpenAI
 *   scores     the last "Educational score: N" line, or a JSON {"score"} field
 *   cache      an append-only, crash-safe store of paid-for results
 *   client     libcurl multi pool with retries (lib/http.h)
 */
#ifndef BLALM_SCORER_LLM_H
#define BLALM_SCORER_LLM_H

#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"
#include "lib/sbuf.h"

/* ---- templates ---- */

typedef struct llm_template {
    char *text;
    size_t len;
    char sha256[65];   /* of the template bytes, recorded with every result */
    char name[256];    /* "edu5 (built-in)" or the file path */
} llm_template;

/* The built-in rubric, byte-identical to scorer/prompts/edu5.txt. */
extern const char llm_prompt_edu5[];

/* path NULL = the built-in rubric. Fails when the file is unreadable, not
 * UTF-8, or has no {text} placeholder. */
int llm_template_load(llm_template *t, const char *path, blalm_err *e);
void llm_template_free(llm_template *t);

/* Byte length of the first max_chars code points of s (never splits one). */
size_t llm_cut_chars(const char *s, size_t n, size_t max_chars);
/* Appends the template with every {text} replaced by text[0..n). */
void llm_render(const llm_template *t, const char *text, size_t n, sbuf *out);
/* A rough prompt-token estimate (bytes / 4, rounded up) for guards and --dry-run. */
uint64_t llm_estimate_tokens(size_t prompt_bytes);

/* ---- requests ---- */

typedef struct llm_params {
    const char *base_url;   /* e.g. http://127.0.0.1:8000/v1 (no trailing '/') */
    const char *model;
    double temperature;
    int max_tokens;
    int has_seed;
    long long seed;
    int json_schema;        /* ask for {"justification","score"} via response_format */
    int no_temperature;     /* send no temperature (OpenAI's reasoning models take only the default) */
    int max_completion_tokens;  /* the limit as "max_completion_tokens", not "max_tokens" */
} llm_params;

/* Canonical JSON of the generation parameters (part of the cache key). */
void llm_params_json(const llm_params *p, sbuf *out);
/* The request body for one prompt. */
void llm_request_body(const llm_params *p, const char *prompt, size_t n, sbuf *out);
/* sha256 of (base URL, model, template sha, generation parameters, prompt). */
void llm_cache_key(const llm_params *p, const char *template_sha, const char *prompt, size_t n,
                   uint8_t key[32]);

/* ---- responses ---- */

typedef struct llm_response {
    char *content;        /* choices[0].message.content ("" if null; a part list's text parts) */
    char *reasoning;      /* reasoning_content / reasoning / thinking parts, or NULL */
    char *finish_reason;  /* or NULL */
    char *model;          /* the response's model, or NULL */
    char *note;           /* why there is no text (an OpenAI refusal, tool_calls), or NULL */
    long long prompt_tokens, completion_tokens;  /* usage, else llama.cpp timings; -1 unknown */
} llm_response;

/* Parses a chat.completion body. Fails (-1, with the byte offset for bad
 * JSON) when the body is not JSON or has no choices[0].message; returns 1
 * (e set) for a chat completion whose content cannot be used (a number, an
 * object): asking again would get the same. content as a list of parts is
 * joined (its thinking parts are the reasoning); text that is not UTF-8 is
 * stored with U+FFFD for each invalid sequence. */
int llm_parse_response(const char *body, size_t n, llm_response *r, blalm_err *e);
void llm_response_free(llm_response *r);

/* ---- scores ---- */

/* Finds the score in a reply. Text mode: the last "Educational score: N"
 * (markdown emphasis, "N/5" and "N points" tolerated). JSON mode: the reply
 * is {"justification": "...", "score": N} (a ```json fence tolerated).
 * Returns the score 0..5, or -1 with why[] saying what was wrong (missing,
 * out of range, not a whole number, contradictory, an expression that does
 * not add up; a sum with its total gives the total; a reply cut inside a
 * <think> block). A <think> block is skipped (llm_split_think). The
 * justification (the text before the score line, or the JSON field) is
 * appended to just. */
int llm_parse_score(const char *content, size_t n, int json_mode, sbuf *just,
                    char *why, size_t why_cap);

/* A reply whose content holds a <think> block (a reasoning model served
 * without a reasoning parser: vLLM, llama.cpp --reasoning-format none). A
 * block counts only where it opens the reply (after optional whitespace):
 * the first </think> closes it, the answer is what follows (from *answer),
 * the thinking s[*think0..*think1). A reply may hold only the block's end
 * (DeepSeek-R1's and Qwen3's thinking templates open it in the prompt): a
 * </think> on a line of its own, no <think> before it. A <think> or
 * </think> anywhere else is text. Returns 0 (no block: all of s is the
 * answer), 1 (a closed block), 2 (a <think> opening the reply never closed:
 * the reply was cut inside it and holds no answer; *answer == n).
 * llm_parse_score reads the answer only. */
int llm_split_think(const char *s, size_t n, size_t *answer, size_t *think0, size_t *think1);

/* ---- cache ----
 * DIR/score-cache.jsonl, one record a line:
 *   {"crc32":"89abcdef","rec":{"key":"<sha256>",...}}
 * crc32 (zlib) covers the bytes of the rec value exactly, so a torn or
 * corrupted line (after SIGKILL or a full disk) is detected and ignored. */
typedef struct llm_cache llm_cache;
llm_cache *llm_cache_open(const char *dir, blalm_err *e);
/* The stored record (JSON object text, malloc'd, caller frees) or NULL with
 * e->msg[0] == 0 when the key is not stored; NULL with e set on an I/O error. */
char *llm_cache_get(llm_cache *c, const uint8_t key[32], blalm_err *e);
/* Queues a record (rec_json must be a JSON object without newlines whose
 * "key" is the hex key). Not durable until llm_cache_sync() returns 0. */
int llm_cache_put(llm_cache *c, const uint8_t key[32], const char *rec_json, size_t n,
                  blalm_err *e);
/* Writes queued records with one write(2) under an flock: from then on they
 * survive SIGKILL and are found by get(). A background thread fdatasyncs
 * them; *ticket names this batch (see llm_cache_synced). */
int llm_cache_flush(llm_cache *c, uint64_t *ticket, blalm_err *e);
/* The highest ticket known durable (fdatasync'd); -1 if an fdatasync failed. */
int llm_cache_synced(llm_cache *c, uint64_t *ticket, blalm_err *e);
/* flush, then wait until that batch is durable. */
int llm_cache_sync(llm_cache *c, blalm_err *e);
size_t llm_cache_records(const llm_cache *c);
size_t llm_cache_bad_lines(const llm_cache *c);  /* torn or corrupt lines ignored at open */
void llm_cache_close(llm_cache *c);

/* ---- client ----
 * A pool of up to `concurrency` requests in flight over libcurl multi
 * (keep-alive, HTTP/2 multiplexing when offered). Each request is retried on
 * connection errors, timeouts, 408, 409, 429, 5xx and 2xx bodies that are
 * no chat.completion (invalid JSON, an error object; not a text/html page,
 * which fails at once, nor a chat completion whose content cannot be used:
 * llm_result.unusable), honouring
 * retry-after-ms / Retry-After, else capped exponential backoff with full
 * jitter; every delay is scaled by delay_scale; max_attempts and
 * max_total_s count every attempt of a request. Other 4xx and 3xx fail at
 * once. */
typedef struct llm_client_opts {
    const char *base_url;
    const char *api_key;       /* may be NULL; never copied into messages */
    int concurrency;           /* >= 1 */
    double timeout_s;          /* per attempt */
    int max_attempts;          /* >= 1 */
    double backoff_base_s, backoff_max_s;
    double max_total_s;        /* retry budget per request (seconds, unscaled) */
    double rps;                /* request starts per second, 0 = unlimited */
    double tpm;                /* estimated tokens per minute, 0 = unlimited */
    double delay_scale;        /* factor on every retry wait (tests: 0.01); 0 = 1 */
} llm_client_opts;

typedef struct llm_result {
    uint64_t tag;              /* the caller's */
    int ok;                    /* 1: a 200 with a parsed body in resp */
    int fatal;                 /* 1: a fail-fast status (llm_status_fatal) */
    int exhausted;             /* 1: retryable, but the attempts or the retry budget ran out */
    int unusable;              /* 1: a chat completion whose content cannot be used (not retried) */
    int content_filtered;      /* 1: refused for this document's content (llm_content_filtered) */
    long status;               /* last HTTP status, 0 if none */
    int attempts;
    double latency_ms;         /* of the successful attempt (or the last) */
    llm_response resp;         /* when ok */
    char error[512];           /* when !ok: what happened, no secrets */
} llm_result;

typedef struct llm_client llm_client;
llm_client *llm_client_new(const llm_client_opts *o, blalm_err *e);
/* Room for another request of est_tokens now (concurrency, --rps, --tpm)? */
int llm_client_has_room(llm_client *c, uint64_t est_tokens);
int llm_client_in_flight(const llm_client *c);
/* Takes a copy of body. est_tokens feeds the --tpm limiter. */
int llm_client_submit(llm_client *c, uint64_t tag, const char *body, size_t n,
                      uint64_t est_tokens, blalm_err *e);
/* Drives transfers for up to timeout_ms; returns the number of finished
 * requests put in out[0..cap) (each to be released with llm_result_free). */
int llm_client_poll(llm_client *c, int timeout_ms, llm_result *out, int cap, blalm_err *e);
void llm_result_free(llm_result *r);
/* The run is over: nothing is sent again (lib/http's http_client_drain).
 * Requests waiting for a retry come out of the next polls as failures; those
 * on the wire come out with their own outcome, so answers already on their
 * way can still be kept. */
void llm_client_drain(llm_client *c);
void llm_client_free(llm_client *c);

/* http_url_check for an OpenAI-compatible base URL, which also refuses a
 * path ending in /chat/completions (a trailing '/' aside, before any query):
 * the client adds that itself, so the request would go to
 * .../chat/completions/chat/completions and get a 404. why follows the name
 * of the setting and never quotes the URL. */
int llm_endpoint_check(const char *url, char *why, size_t cap);

/* A status every request would get (3xx, and every 4xx that is neither
 * retried nor llm_status_refused: 401, 402, 403, 404, 405, 406, 407, 410,
 * 415, ...): the run stops. */
int llm_status_fatal(long status);
/* A status that refuses this request only (400, 413, 422): recorded on its
 * document, the run goes on. */
int llm_status_refused(long status);
/* An error body or message that refuses the document for its content: an
 * OpenAI/Azure content filter ("code": "content_filter", "... content
 * management policy", "content_policy_violation"). Always about that one document, never a reason to stop. */
int llm_content_filtered(const char *s, size_t n);

/* Copies s into out with every occurrence of secret replaced by "***", and
 * every word that echoes it masked (its first or last 3+ bytes around a run
 * of '*', as OpenAI's 401 message shows a key) likewise. */
void llm_redact(const char *s, const char *secret, char *out, size_t cap);

#endif
