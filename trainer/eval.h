/* eval.h - `blalm eval`: the BabyLM 2025 zero-shot suite, scored as the
 * official pipeline (babylm/evaluation-pipeline-2025) scores a causal model
 * (its README and lm_eval scoring code).
 *
 * A candidate's score is the plain sum of natural-log token probabilities
 * over the tokens that overlap the completion's characters; the text is
 * tokenised with nothing prepended and its first token is never scored
 * (inputs tokens[:-1], targets tokens[1:]). The correct candidate is index
 * 0 and the first maximum wins, so ties count as correct. Accuracy per UID,
 * task score = unweighted mean over UIDs; entity tracking averages the
 * {file}_{numops}_ops UIDs within each file, then the files; wug tasks are
 * Spearman's rho (x100) between softmax(scores)[0] and the human ratio;
 * reading is the R2 gain of OLS fits when surprisal is added.
 *
 * Sentences are batched by token length (equal lengths, so no padding) and
 * run through model_forward without targets (no gradient); identical
 * sequences are computed once. Data files are read whole into memory
 * (compressed ones decompressed there, never on disk). */
#ifndef BLALM_EVAL_H
#define BLALM_EVAL_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "lib/err.h"

/* Task names, in the suite's order. */
#define EVAL_TASKS "blimp,supplement,ewok,entity_tracking,wug_adj,wug_past,comps,reading"

typedef struct eval_opts {
    const char *run;            /* run folder (tokenizer.json, checkpoints/) */
    const char *checkpoint;     /* NAME (checkpoints/NAME.bin); NULL = latest */
    const char *data;           /* official layout: blimp_filtered/, ... reading/ */
    const char *tasks;          /* comma list of EVAL_TASKS; NULL = every task whose data is there */
    int fast;                   /* blimp_fast, supplement_fast, ewok_fast, regular entity tracking */
    int threads;                /* model_set_threads */
    int score_first_token;      /* prefix <|endoftext|> (not official; labelled in the output) */
    int batch_tokens;           /* tokens per forward; 0 = 2048 */
    const char *out;            /* eval.json path; NULL = checkpoints/NAME.eval[_fast].json */
    const char *dump;           /* testing: candidates of every dump_every-th item as JSON lines */
    int dump_every;
    /* progress: sequences scored of the current task (may be NULL) */
    void (*progress)(void *arg, const char *task, uint64_t done, uint64_t total);
    void *arg;
} eval_opts;

/* Evaluates one checkpoint; writes eval.json atomically and returns it in
 * *result (caller frees with cJSON_Delete). */
int eval_run(const eval_opts *o, cJSON **result, blalm_err *e);

/* Every BabyLM milestone checkpoint of o->run (chck_*M.bin, by words seen),
 * each evaluated (eval.json beside each); writes RUN/learning_curve.json and
 * returns it in *result. */
int eval_all_checkpoints(const eval_opts *o, cJSON **result, blalm_err *e);

/* ---- pure pieces (exposed for tests) ---- */

/* First token index (>= 1) scored for a text whose tokens end at byte
 * offsets ends[0..n) when the completion starts at byte comp_start: the first
 * token ending after comp_start, and never token 0. Returns n if none. */
int eval_first_scored(const size_t *ends, int n, size_t comp_start);
/* Sum of lp[k..n) (lp[t] = log p(token t | tokens before t)). */
double eval_sum_from(const double *lp, int n, int k);
/* Index of the first maximum (ties go to the lower index, so to the correct
 * candidate 0). */
int eval_choose(const double *scores, int n);
/* Spearman's rho with average ranks for ties (scipy.stats.spearmanr);
 * NaN if either side is constant. */
double eval_spearman(const double *x, const double *y, int n);
/* R2 of the OLS fit y ~ 1 + X (X row-major [n, k]); NaN if singular. */
double eval_ols_r2(const double *X, const double *y, int n, int k);
/* log-softmax of one logit row at index t: row[t] - logsumexp(row). */
double eval_log_softmax_at(const float *row, int V, int t);

#endif
