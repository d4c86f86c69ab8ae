/* run.h - `blalm run`: the whole job from one JSON config, in one process,
 * through the stages' library functions, in one work directory.
 *
 * Stages, in order (RUN_* below): fetch, tag, dedup, score, distill,
 * assemble, tokenizer, tokenize, train, eval, report. Each stage is complete when its
 * completion markers say so (lib/marker.h): tag, score and tokenize keep
 * their own per-file markers; dedup's stages their outputs; for the steps
 * without markers of their own run keeps one in WORK/state/run/<stage>.done
 * (fetch: per source, keyed by its settings; distill: the model, by the
 * documents, every attribute set but edu_local, the word vectors and the
 * section (its scores keep distill's own per-file markers); assemble: by every attribute
 * file and the corpora config; tokenizer: by the corpus' manifest and the
 * vocabulary; train: by tokens.json, the model config and the step count;
 * eval: by the checkpoint, the data's SHA256SUMS and the tasks). So a rerun
 * skips complete work, and work a kill interrupted is resumed (fetch from
 * part files, score from its cache, train from its last checkpoint) or
 * redone (a file without a marker).
 *
 * Work layout beyond DESIGN.md §3: WORK/distill/edu.distill and its
 * training figures edu.distill.json (distill), WORK/corpora/<corpus> (assemble),
 * WORK/tokenizer/tokenizer.json, WORK/tokens (tokenize), WORK/model (train;
 * eval writes WORK/model/checkpoints/latest.eval_fast.json, or latest.eval.json
 * for the full suite), WORK/report.html.
 *
 * Library code: no environment (the caller passes endpoints and keys), no
 * printing (lines go through say), no exit. */
#ifndef BLALM_PIPELINE_RUN_H
#define BLALM_PIPELINE_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "filters/dedup.h"
#include "lib/err.h"
#include "lib/progress.h"

enum {
    RUN_FETCH, RUN_TAG, RUN_DEDUP, RUN_SCORE, RUN_DISTILL, RUN_ASSEMBLE, RUN_TOKENIZER, RUN_TOKENIZE,
    RUN_TRAIN, RUN_EVAL, RUN_REPORT, RUN_NSTAGES
};
/* "fetch", ..., "report"; NULL out of range. */
const char *run_stage_name(int stage);
/* The stage's index, or -1. */
int run_stage_parse(const char *name);

#define RUN_MAX_SOURCES 16
#define RUN_MAX_INCLUDE 16

typedef struct run_source {
    char *name;              /* WORK/docs/<name> */
    /* a Hub dataset (repo != NULL) or local files (files != NULL) */
    char *repo, *revision, *path;
    char *include[RUN_MAX_INCLUDE];
    int ninclude;
    long max_files;          /* -1 = all */
    uint64_t max_words;      /* 0 = whole files */
    char *files;             /* a folder of document files, absolute */
} run_source;

/* The parsed config. Relative paths in it are resolved against the config
 * file's folder. Strings are owned by the config. */
typedef struct run_config {
    char *name;              /* the file name, for messages */
    char *work;              /* "work", or NULL */
    run_source sources[RUN_MAX_SOURCES];
    int nsources;
    /* tag */
    int taggers;             /* TAG_* mask */
    char *tag_json;          /* the thresholds ({"readability": ..., "gopher_quality": ...}) */
    char *tag_cmudict, *tag_hyphen_dic;   /* tag.readability's files (absolute; cmudict may be "none"), or NULL */
    /* dedup */
    dd_config dedup;         /* with exact_*, keep_max and the normalisations */
    int dedup_threads;
    double dedup_verify;     /* verify_jaccard; 0 = off */
    /* score (enabled = the section is there) */
    int score;
    char *endpoint;          /* NULL = the caller's (OPENAI_BASE_URL) */
    char *model_name, *prompt, *where;
    uint64_t max_chars;
    int max_tokens, concurrency;
    double temperature;
    int no_temperature, max_completion_tokens;   /* score.temperature "none", score.max_tokens_param */
    int has_seed;
    long long seed;
    int has_max_requests, has_max_prompt_tokens, has_sample;
    uint64_t max_requests, max_prompt_tokens, sample;
    /* distill (enabled = the section is there): a local scorer learnt from
     * labels, then edu_local for every document */
    int distill;
    char *distill_json;      /* the section as given (a setting of the model's marker) */
    char *distill_labels;    /* "SET.KEY" (default "edu_llm.score"), or NULL when distill_field */
    char *distill_field;     /* a document metadata field, e.g. "int_score" */
    int distill_kind;        /* distill_kind (scorer/distill.h) */
    int distill_folds, distill_attrs, distill_skip_unlabelled;
    uint64_t distill_seed, distill_max_chars, distill_emb_words;
    char *distill_embeddings;   /* word vectors, or NULL */
    double distill_emb_weight;  /* 0: chosen by the cross-validation */
    /* assemble */
    char *corpora_json;      /* a corpora config (corpora/corpora.h) */
    char corpus_names[8][64];   /* 8: CORPORA_MAX (checked in run_config.c) */
    uint64_t corpus_budgets[8];
    char corpus_tracks[8][16];
    int ncorpora;
    /* tokenizer, model, train */
    char *model_cfg;         /* model config file */
    uint32_t vocab_size;     /* 0 = the model config's */
    char *train_corpus;      /* which corpus to train on */
    long max_steps;          /* 0 = one epoch */
    uint64_t max_tokens_train;
    int optimizer;           /* -1 = the trainer's default */
    int train_threads;
    char *train_track;       /* "strict", "strict-small" or NULL */
    /* eval (enabled = the section is there) */
    int eval;
    char *eval_data, *eval_tasks;
    int eval_fast, eval_required;
    /* report */
    int report;              /* default 1 */
} run_config;

/* Parses a run config; every error names the file and the key's path
 * ("demo.json: tag.gopher_quality.max_wordz: unknown key ..."). */
run_config *run_config_load(const char *path, blalm_err *e);
/* The same over text; name is used in messages, base_dir resolves relative paths. */
run_config *run_config_parse(const char *text, size_t len, const char *name,
                             const char *base_dir, blalm_err *e);
void run_config_free(run_config *c);

typedef void (*run_say_fn)(void *arg, const char *stage, const char *line);

typedef struct run_opts {
    const run_config *cfg;
    const char *work;
    int from;                /* -1, or redo this stage and every later one */
    int only;                /* -1, or run (and redo) this stage alone */
    int dry_run;             /* plan only: nothing written, nothing sent but one
                                GET of the endpoint's /models and the Hub listings */
    const char *hf_endpoint, *hf_token;
    const char *openai_base_url, *openai_api_key;
    const char *hyphen_dic;  /* when the tag thresholds name none; NULL = the default */
    const char *cmudict;     /* likewise; NULL = syllables by pyphen alone */
    const char *cache_dir;   /* where tag caches the dictionary's parsed table; NULL = none */
    double delay_scale;      /* retry waits (tests: 0.01); 0 = 1 */
    int quiet;               /* the trainer's own lines */
    run_say_fn say;          /* one line per event; may be NULL */
    void *say_arg;
    progress_fn progress;    /* stages' progress; may be NULL */
    void *progress_arg;
    /* report: NULL = none is built (WORK/report.html is then not written) */
    int (*report)(void *arg, const char *work, const char *corpora, const char *run,
                  const char *out, blalm_err *e);
    void *report_arg;
} run_opts;

typedef struct run_result {
    int ran, skipped;        /* stages */
    char corpora[4200], model[4200], eval[4200], report[4200];
    int eval_skipped;        /* eval was configured but its data is absent */
    int report_ran;          /* the report stage ran (not left out by --only) */
    int report_earlier;      /* it did not, and WORK/report.html is an earlier run's: 1, or
                              * 2 when the config builds none ("report": false) */
    int stop_signal;         /* run_execute failed: SIGTERM or SIGINT stopped score (else 0) */
} run_result;

/* The checks that refuse a plan before anything starts (also run by
 * run_execute first): inputs that must exist, the endpoint's GET /models,
 * budgets against their track's limit, the training track. */
int run_check(const run_opts *o, blalm_err *e);
/* Plans (dry_run) or runs the job. 0, or -1 with the first error. */
int run_execute(const run_opts *o, run_result *r, blalm_err *e);

#endif
