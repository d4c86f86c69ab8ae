/* score.h - the `score` stage as a library function: the educational rubric
 * through an OpenAI-compatible endpoint, written as the attribute set edu_llm
 * (DESIGN.md §3) beside every document file.
 *
 * score_run walks the documents root, checks the sets that --where reads,
 * and scores each document file this shard owns (shard.h: its index in the
 * sorted file list). Per file, documents stream through a window of slots so
 * that attribute lines come out in document order while up to concurrency
 * requests are in flight; identical requests in the window are sent once. A
 * result is appended to the cache and fdatasync'd before its slot counts as
 * done, so SIGKILL loses at most what was in flight; the attribute file
 * appears only when complete.
 *
 * Completion markers (marker.h): stage "score", unit "edu_llm/<stem>" (so
 * WORK/state/score/edu_llm/<source>/<path>.done), keyed by the document
 * file's identity, the identity of each attribute file --where reads (in the
 * rule's order of sets), and the settings endpoint (credentials and query
 * redacted: marker files are plain text), model, prompt_sha256,
 * params (generation parameters as sent), max_chars, where and sample. A file
 * whose documents were not all sent (a spending guard) gets no marker: it is
 * done for now, not complete, and a rerun with a higher limit finishes it,
 * its stored answers coming from the cache. Without a work directory
 * (state_dir "") there are no markers and no stats file. */
#ifndef BLALM_SCORER_SCORE_H
#define BLALM_SCORER_SCORE_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "lib/err.h"
#include "lib/shard.h"
#include "lib/work.h"

typedef struct score_opts {
    const work_dirs *dirs;     /* docs, attrs; state and stats "" = no markers, no stats file */
    const char *where;         /* selection rule over attributes already written, or NULL */
    const char *where_fix;     /* what to add to a rerun command in messages, e.g. "--work W" */
    const char *base_url;      /* endpoint, without a trailing '/' */
    const char *api_key;       /* NULL or "" = none; never copied into messages */
    const char *model;         /* NULL only with dry_run */
    const char *prompt_path;   /* NULL = the built-in edu5 rubric */
    const char *cache_dir;     /* NULL = <state>/score/cache */
    uint64_t max_chars;        /* characters of each document sent (>= 1) */
    double temperature;
    int no_temperature;        /* --temperature none: the request names none */
    int max_tokens;
    int max_completion_tokens; /* --max-tokens-param max_completion_tokens */
    int has_seed;
    long long seed;            /* sent to the endpoint; also seeds the sample */
    int json_schema;
    int concurrency;           /* requests in flight (>= 1) */
    double rps, tpm;           /* 0 = unlimited */
    double delay_scale;        /* factor on retry waits (tests: 0.01); 0 = 1 */
    double timeout_s, retry_budget_s;
    int max_attempts;
    int has_max_requests, has_max_prompt_tokens, has_sample;
    uint64_t max_requests, max_prompt_tokens, sample;
    int dry_run;               /* count and estimate, send nothing, write nothing */
    int force;                 /* ignore completion markers */
    shard_spec shard;          /* SHARD_ONE for one process */
} score_opts;

typedef struct score_counts {
    uint64_t files_owned;      /* document files this shard owns */
    uint64_t docs, files, files_skipped, selected, cached, sent, attempts, scored, parse_errors,
        request_errors, not_sent, finish_length, hist[6];
    uint64_t prompt_tokens, completion_tokens, est_prompt_tokens;
    uint64_t empty;            /* selected documents with an empty or blank text: not sent */
    int stop_signal;           /* SIGTERM or SIGINT stopped the run (score_run returned -1) */
    uint64_t duplicates;       /* --dry-run: texts already counted (the run asks once) */
    uint64_t answered;         /* requests of this run that got a usable chat completion */
    uint64_t content_refused;  /* of request_errors and parse_errors: refused for the document's content
                                * (a content filter's 400, or a 200 with finish_reason content_filter) */
    uint64_t refused_streak;   /* refusals with first_error before any answer */
    char first_error[512];     /* the first refusal of this run, for the run-ending messages */
    int guard_hit;             /* a spending guard stopped sending; guard says which */
    char guard[128];
    uint64_t sample_candidates, sample_chosen;  /* with has_sample */
    int sample_strata;
    uint64_t cache_records;    /* records in the cache at the end (also after a failure) */
    char prompt_sha256[65];
    double seconds;            /* of the scoring pass */
    char stats_path[8192];     /* WORK/stats/score<shard suffix>.json, or "" */
    char stats_warning[512];   /* the stats file could not be written: why ("" = fine) */
} score_counts;

/* Called with the number of documents just written (in document order). */
/* Progress: docs documents just written; first (0, total) when the run
 * starts, total being the documents of the files this run owns when every
 * one is parquet (their footers say), else 0 (unknown). A file skipped as
 * complete counts its documents then. */
typedef void (*score_progress_fn)(void *arg, uint64_t docs, uint64_t total);

/* 0 when every owned file was scored or skipped as complete (also when a
 * spending guard stopped sending); -1 with e set when the endpoint failed
 * past the retry budget, refused with 401/403/404, or input was bad. c is
 * filled in both cases. */
int score_run(const score_opts *o, score_counts *c, score_progress_fn progress, void *arg,
              blalm_err *e);

/* The defaults of `blalm score` (max_chars 1000, max_tokens 512, concurrency
 * 8, timeout 120 s, 8 attempts, retry budget 900 s, one shard), all else 0. */
void score_opts_default(score_opts *o);
/* Applies a --config object to o: {"score": {...}} or the object itself, keys
 * the long option names with '_' for '-' (endpoint into base_url as given,
 * api_key_file into *api_key_file; no API key itself: configs get shared).
 * An unknown key, a wrong type or a number out of range is an error naming
 * path and the key. Strings point into root. */
int score_opts_config(score_opts *o, const char **api_key_file, const cJSON *root, const char *path,
                      blalm_err *e);
/* The API key on the first non-blank line of path (surrounding blanks cut)
 * into out; -1 when there is none or it does not fit. The file's bytes are
 * wiped from memory after. */
/* "max_tokens" (*completion = 0) or "max_completion_tokens" (1); -1 for
 * anything else. */
int score_max_tokens_param(const char *s, int *completion);
int score_read_api_key(const char *path, char *out, size_t cap, blalm_err *e);

/* --stats: a summary of existing edu_llm attributes of every document file. */
typedef struct score_summary {
    uint64_t empty;            /* rows "empty document: not sent" */
    uint64_t files, docs, selected, hist[6], nulls, parse_errors, refused, not_sent, other_errors,
        prompt_tokens, completion_tokens, finish_length, attempts;
} score_summary;
/* -1 when no edu_llm file exists yet or a line is malformed. */
int score_summarize(const work_dirs *w, score_summary *s, blalm_err *e);

/* The marker unit of a document file: "edu_llm/<stem>". */
void score_marker_unit(const char *rel, char *out, size_t cap);
/* The completion state of document file rel (relative to the docs root)
 * under these options: MARKER_ABSENT, MARKER_DONE or MARKER_STALE with the
 * first difference in why (marker.h); ABSENT without a work directory; -1
 * with e set when the file, the prompt or --where cannot be read. */
int score_marker_state(const score_opts *o, const char *rel, char *why, size_t why_cap,
                       blalm_err *e);

#endif
