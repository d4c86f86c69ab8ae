/* ablate.h - `blalm ablate`: the paper's comparison tables. Trains every
 * variant x optimizer x seed on one corpus with the same token budget and
 * data order (one run folder each; a run finished with the same settings,
 * recorded in its ablate.json, is skipped, one with other evaluation settings
 * re-evaluated, one with other training settings trained again; unfinished
 * ones resumed), evaluates each (dev perplexity per token and per word, the
 * chosen zero-shot tasks) and writes ablation.csv, ablation.md (mean +- sd
 * over seeds), dev_loss.svg and alpha.svg.
 *
 * Variants are the enhancements issue's names (the registry in ablate.c:
 * ablate_variant_name), alone or joined by '+'. */
#ifndef BLALM_ABLATE_H
#define BLALM_ABLATE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "trainer/model.h"

typedef struct ablate_opts {
    const char *corpus;      /* BabyLM layout */
    const char *model_cfg;   /* base model config (JSON path) */
    const char *out;         /* OUT/runs/<variant>-<optimizer>-s<seed>/, OUT/ablation.* */
    const char *variants;    /* comma list */
    const char *optimizers;  /* comma list of adamw, muon */
    int seeds;               /* seeds seed_first..N (added to the config's train.seed) */
    int seed_first;          /* 0 or 1: from seed 1; k: seeds k..N only (parallel invocations) */
    uint64_t tokens;         /* training tokens per run */
    const char *eval_data;   /* babylm-eval layout; NULL: no zero-shot evaluation */
    const char *eval_tasks;  /* NULL: the fast suite's tasks that have data */
    int eval_full;           /* full instead of fast subsets */
    int threads;
    /* after each run (may be NULL): index, total, run name, and 0 trained,
     * 1 skipped (finished with these settings), 2 re-evaluated */
    void (*on_run)(void *arg, int i, int n, const char *name, int skipped);
    /* why a run is trained or evaluated again, or a tokenizer retrained (may be NULL) */
    void (*on_note)(void *arg, const char *msg);
    void *arg;
} ablate_opts;

typedef struct ablate_summary {
    int runs, trained, skipped, reevaluated;
    int stopped_by;   /* SIGTERM or SIGINT that stopped a run (ABLATE_STOPPED), else 0 */
} ablate_summary;

/* 0; -1 with e set; or ABLATE_USAGE (with e set) for a bad spec: an empty
 * or unknown variant or optimizer list, a name twice, two names of one
 * model, bad seeds, an unknown --eval-tasks name (the CLI's exit 2). Each
 * run folder is locked (RUN/.lock, lock_dir) while this invocation works on
 * it: a run another invocation holds stops this one, naming its pid. */
#define ABLATE_USAGE (-2)
/* SIGTERM or SIGINT during a run's training steps (s->stopped_by): the run
 * saved checkpoints/latest.bin after the current step and the ablation
 * stopped there, e saying so; the same invocation again resumes it. A
 * signal outside the steps (data preparation, evaluation) ends the process
 * as before (each is redone by the rerun). */
#define ABLATE_STOPPED (-3)
int ablate_run(const ablate_opts *o, ablate_summary *s, blalm_err *e);

/* The i-th registered variant name (0-based), NULL past the last. */
const char *ablate_variant_name(int i);

/* "mlstm, transformer, ..." into buf (truncated to cap, NUL-terminated);
 * returns the full length, as snprintf. */
size_t ablate_variant_list(char *buf, size_t cap);

/* Applies a variant's switches to c (error naming the known variants). */
int ablate_variant_config(const char *variant, model_config *c, blalm_err *e);

/* mean and sample standard deviation (sd NaN for n < 2) */
void ablate_mean_sd(const double *x, int n, double *mean, double *sd);

/* Student's t with df degrees of freedom: the two-sided tail P(|T| >= |t|),
 * and the quantile (scipy.stats.t.ppf); NaN outside their domains. */
double ablate_t_sf2(double t, double df);
double ablate_t_ppf(double p, double df);
/* The 95% confidence interval of the mean of x (Student t, n - 1 degrees of
 * freedom); NaN for n < 2. */
void ablate_ci95(const double *x, int n, double *lo, double *hi);
/* Welch's t-test of a against b (scipy.stats.ttest_ind(a, b,
 * equal_var=False)): t (positive when a's mean is higher), the
 * Welch-Satterthwaite df and the two-sided p. -1 (all NaN) when a side has
 * fewer than 2 values or neither side varies. */
int ablate_welch(const double *a, int na, const double *b, int nb, double *t, double *df, double *p);

/* Adds to row, from RUN/log.jsonl: "dev_curve" ([step, dev_loss] each
 * evaluation), "alpha" (DynMod), and the last evaluation's "dev_loss",
 * "dev_ppl" = exp(dev_loss) and "dev_ppl_word" = exp(dev_loss_word), to full
 * precision (the log's dev_ppl and dev_ppl_word are rounded). -1 with no dev
 * evaluation in the log. */
struct cJSON;
int ablate_read_log(const char *run, struct cJSON *row, blalm_err *e);

#endif
