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
#define EVAL_TASKS "blimp,supplement,ewok,entity_tracking,wug_adj,wug_past,comps,reading,aoa"

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
    int replace;                /* a --tasks run replaces the results file instead of adding
                                   its tasks to it (ablate: exactly the tasks asked) */
    const char *predictions;    /* the official pipeline's predictions.json files under this folder
                                   (its results/MODEL/REVISION/zero_shot/causal), or NULL */
    const char *dump;           /* testing: candidates of every dump_every-th item as JSON lines */
    int dump_every;
    int full_logits;            /* testing: the reference path (every row's logits from model_forward) */
    int aoa_min_context;        /* AoA: words with at least this many contexts; 0 = 20 (eval_aoa.sh) */
    /* progress: sequences scored of the current task (may be NULL) */
    void (*progress)(void *arg, const char *task, uint64_t done, uint64_t total);
    void *arg;
} eval_opts;

/* Checks a --tasks list (NULL = every task): comma-separated names of
 * EVAL_TASKS, none empty; an empty list is refused. */
int eval_check_tasks(const char *tasks, blalm_err *e);
/* Rewrites a checked list in place as its set: each task once, in
 * EVAL_TASKS' order (duplicates and order change no task run). */
void eval_tasks_normalise(char *tasks);
/* 1 when the comma-separated list names name (a whole item, not a prefix). */
int eval_in_list(const char *list, const char *name);

/* How many of the tasks o asks for (o->tasks, else the suite of o->fast)
 * have their data folder under o->data. */
int eval_tasks_present(const eval_opts *o);

/* Evaluates one checkpoint; writes eval.json atomically and returns it in
 * *result (caller frees with cJSON_Delete). */
int eval_run(const eval_opts *o, cJSON **result, blalm_err *e);

/* Reads the items of o's tasks (as eval_run chooses them from o->data)
 * with the tokenizer at path tokenizer, and refuses (naming the task, the
 * file and line, and the lengths) any candidate whose n - 1 inputs exceed
 * context: blalm ablate calls it before training, so that an evaluation the
 * model cannot run is not discovered after the training. */
int eval_check_context(const eval_opts *o, const char *tokenizer, int context, blalm_err *e);

/* Every BabyLM milestone checkpoint of o->run (chck_*M.bin, by words seen),
 * each evaluated (eval.json beside each); writes RUN/learning_curve.json and
 * returns it in *result. */
int eval_all_checkpoints(const eval_opts *o, cJSON **result, blalm_err *e);

/* Age of acquisition over the milestone checkpoints (eval_all_checkpoints
 * runs it when o->data holds aoa/cdi_childes.json and aoa/cdi_human.csv):
 * each word's surprisal at every checkpoint, scored as the official
 * AoA_word/run.py (use_bos_only: <|endoftext|> + word, every word token
 * scored, natural log), written as RUN/aoa_surprisal.json in the official
 * format, then scored by eval_aoa_fitness into RUN/aoa.json. */

/* The official AoAEvaluator.compute_curve_fitness over an official
 * surprisal.json document ({"results": [{"step", "target_word",
 * "surprisal", ...}]}) and the CDI table (cdi_human.csv text: "word" and
 * age columns "16".."30"); where names the CSV in errors. *out gets the
 * official result object (curve_fitness, p_value, n_words, ...). */
int eval_aoa_fitness(const cJSON *surprisal_doc, const char *cdi_csv, size_t cdi_len,
                     const char *where, cJSON **out, blalm_err *e);
/* Reads an official surprisal.json and DIR's cdi_human.csv and scores them. */
int eval_aoa_score_file(const char *surprisal_json, const char *data_dir, cJSON **out, blalm_err *e);

/* ---- pure pieces (exposed for tests) ---- */

/* f(x) = a / (1 + exp(-b (x - c))) + d with p = {a, b, c, d}. */
double eval_sigmoid(double x, const double p[4]);
/* Least-squares fit of f to (x, y) from the guess in p (box lo..hi, or both
 * NULL); at most max_nfev evaluations of the residuals. 0 = converged (p
 * holds the fit), -1 = not. */
int eval_sigmoid_fit(const double *x, const double *y, int n, double p[4], const double *lo,
                     const double *hi, int max_nfev);
/* Child AoA in months from proportions at ages (NaN entries dropped), or
 * NaN where the official code returns None. */
double eval_child_aoa(const double *ages, const double *props, int n);
/* Model AoA as log10(words seen + 1) from surprisals at steps (in order;
 * NaN surprisals dropped), or NaN where the official code returns None. */
double eval_model_aoa(const double *steps, const double *surprisal, int n);
/* Pearson's r (NaN if either side is constant) and scipy's two-sided p. */
double eval_pearson(const double *a, const double *b, int n);
double eval_pearson_p(double r, int n);

/* First token index (>= 1) scored for a text whose tokens end at byte
 * offsets ends[0..n) when the completion starts at byte comp_start: the first
 * token ending after comp_start, and never token 0. Returns n if none. */
int eval_first_scored(const size_t *ends, int n, size_t comp_start);
/* Sum of lp[k..n) (lp[t] = log p(token t | tokens before t)). */
double eval_sum_from(const double *lp, int n, int k);
/* Index of the first maximum (ties go to the lower index, so to the correct
 * candidate 0). */
int eval_choose(const double *scores, int n);
/* The regularised incomplete beta function I_x(a, b) (Lentz's continued
 * fraction); NaN for a or b not above 0. */
double eval_betai(double a, double b, double x);
/* Spearman's rho with average ranks for ties (scipy.stats.spearmanr);
 * NaN if either side is constant. */
double eval_spearman(const double *x, const double *y, int n);
/* R2 of the OLS fit y ~ 1 + X (X row-major [n, k]); NaN if singular. */
double eval_ols_r2(const double *X, const double *y, int n, int k);
/* log-softmax of one logit row at index t: row[t] - logsumexp(row). */
double eval_log_softmax_at(const float *row, int V, int t);
/* Online log-sum-exp, a tile of logits at a time: folds x[0..n) into the
 * running (*mx, *sum), whose total is *sum * e^*mx (start from *sum = 0;
 * *mx is then set by the first tile). log-softmax at t is then
 * x_t - *mx - log(*sum), within 2e-6 of eval_log_softmax_at's whole row. */
void eval_lse_fold(const float *x, int n, float *mx, double *sum);

#endif
