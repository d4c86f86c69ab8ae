/* train.h - training runs: corpus -> tokenizer + token cache -> steps,
 * checkpoints (magic "BLALMCK1"), BabyLM milestones, logs, dev evaluation;
 * and loading a run for export and generation. */
#ifndef BLALM_TRAIN_H
#define BLALM_TRAIN_H

#include <stdint.h>

#include "lib/err.h"
#include "lib/progress.h"
#include "trainer/model.h"
#include "trainer/tokenizer.h"
#include "trainer/tokshard.h"

#define CKPT_MAGIC "BLALMCK1"
#define CKPT_VERSION 1u

typedef enum { TRACK_NONE = 0, TRACK_STRICT_SMALL, TRACK_STRICT } babylm_track;

typedef struct train_opts {
    const char *corpus;     /* BabyLM layout: train/, dev/, documents.jsonl.zst (optional) */
    const char *model_cfg;  /* JSON model config (its vocab_size is the tokenizer's target) */
    const char *run;        /* run folder */
    const char *tokenizer;  /* existing tokenizer file (NULL: train one on the train split) */
    const char *tokens;     /* blalm tokenize's output (NULL: tokenize corpus into RUN/tokens);
                             * then corpus may be NULL and the tokenizer defaults to the one
                             * its tokens.json names */
    long max_steps;         /* 0: from max_tokens, else one epoch */
    uint64_t max_tokens;
    optim_kind optimizer;
    int optimizer_given;    /* 1: --optimizer given (a resume refuses another) */
    babylm_track track;
    int threads;            /* data-parallel workers (trainer/parallel.h); any count gives the same run */
    int rank, ranks;        /* this process in an Open MPI job (0, 1 without; 0 counts as 1) */
    int resume;
    progress_fn progress;   /* NULL: none; else (step, total steps, "train") after each step, on rank 0 */
    void *progress_arg;
    /* NULL: none; else called on rank 0 once RUN/tokenizer.json exists and
     * before any step (blalm ablate checks its evaluation items against the
     * context here); a negative return stops the run with its error */
    int (*before_steps)(void *arg, const char *tokenizer, const model_config *cfg, blalm_err *e);
    void *before_arg;
    int lock_held;          /* the caller holds RUN/.lock (blalm ablate, which locks a run
                             * before deciding what to do with it); else rank 0 takes it */
    long stop_after;        /* testing: stop (as if killed) after this many steps */
    double test_words_scale; /* testing: 0 = none; in (0, 1) multiplies the track's word budget
                              * and milestones, and marks the run not BabyLM-compliant in
                              * config.json, log.jsonl and every checkpoint */
    int need_dev;           /* 1 (blalm ablate): a dev split shorter than one sequence (no dev
                             * evaluation possible) is refused before the first step */
    int stop_on_signal;     /* 1 (blalm train): during the steps, SIGTERM or SIGINT ends the
                             * run after the current step, latest.bin saved there (every rank
                             * agrees on the step); a second signal ends the process at once */
} train_opts;

typedef struct train_summary {
    long steps;
    double last_loss, dev_loss, words_seen;
    double tok_per_s;        /* the mean over the steps this call ran (its training loop's
                              * wall time); NAN when this call ran no step */
    double allreduce_frac;   /* share of step wall time spent waiting for the all-reduce */
    double train_seconds;    /* wall time of the training loop (steps, dev evaluations,
                              * checkpoint writes; not the data preparation) summed over
                              * every segment of a resumed run, from the log's checkpoint
                              * lines; NAN when the run was resumed from a log of an older
                              * blalm that records none */
    uint64_t tokens_seen;
    int milestones_saved;
    double test_words_scale; /* 1 unless the run is a scaled-down test (not BabyLM-compliant) */
    long total_steps;        /* the run's length */
    int stopped_by;          /* the signal that stopped the run (stop_on_signal) after step
                              * `steps`, saved in checkpoints/latest.bin; 0: not stopped */
} train_summary;

/* Rank 0 holds an exclusive lock on RUN/.lock (lock_dir) for the whole run
 * unless o->lock_held: a second writer of the same run folder (a --resume
 * while the first job still runs) is refused at once, naming the holder. */
int train_run(const train_opts *o, train_summary *s, blalm_err *e);

/* The steps a run length comes to, as train_run resolves it: max_steps (>= 1
 * when given), else max_tokens in steps of per_step tokens rounded up (no
 * max_tokens + per_step - 1, which wrapped near 2^64), else per_epoch. */
uint64_t train_steps_of(long max_steps, uint64_t max_tokens, uint64_t per_step, uint64_t per_epoch);

/* The update of a training step once the gradient is in m: the gradient
 * clipped to tc->grad_clip (global norm), then the optimiser stepped at the
 * learning-rate multiplier lr_schedule(step, total_steps) (into *lr_mult when
 * not NULL). Returns the gradient's norm before clipping; when that is not
 * finite (nan, inf) the weights and the optimiser are left as they were and
 * the caller fails the step. train_run applies it after its data-parallel
 * gradient (parallel.h). */
double train_update(model *m, optimizer *o, const train_config *tc, long step, long total_steps,
                    double *lr_mult);
/* One whole training step in this thread: forward over in/tg [B, S] (loss
 * into *loss), gradients zeroed and computed, then train_update (the norm
 * before clipping into *grad_norm when not NULL). 0, or -1 with e set (also
 * for a gradient norm that is not finite: no update then). What
 * modelcheck runs for the PyTorch twin. */
int train_step(model *m, optimizer *o, const train_config *tc, const int32_t *in, const int32_t *tg, int B,
               int S, long step, long total_steps, float *loss, double *grad_norm, blalm_err *e);

/* Throughput of the training step (data-parallel gradient, clipping, the
 * optimiser) on random tokens at the config's batch and sequence length:
 * steps timed after one warm-up step, on o->threads threads and o->ranks
 * ranks. Only model_cfg, optimizer, threads, rank and ranks of o are read. */
typedef struct train_bench_result {
    int steps, batch, seq, threads, ranks;
    double tok_per_s;        /* global tokens per second of wall time */
    double cpu_tok_per_s;    /* global tokens per CPU-second of this process x ranks */
    double step_s, compute_s, fold_s, allreduce_s; /* per step, wall, rank 0's */
    double allreduce_pure_s; /* one all-reduce of the gradient with all ranks entering together */
    double last_loss;
} train_bench_result;
int train_bench(const train_opts *o, int steps, int batch, train_bench_result *r, blalm_err *e);

/* Words whose checkpoints BabyLM requires, in order (n returned). */
int babylm_milestones(babylm_track t, uint64_t *out, int cap);

/* --checkpoint NAME, one rule for generate, export and eval: the name of a
 * checkpoint in RUN/checkpoints (NAME or NAME.bin; NULL = latest), never a
 * path: a name with '/' (or empty, "." or "..") is refused. run_checkpoint_name
 * writes NAME without ".bin" to name; run_checkpoint_path writes
 * RUN/checkpoints/NAME.bin to path and checks that it is a regular file. */
int run_checkpoint_name(const char *checkpoint, char *name, size_t cap, blalm_err *e);
int run_checkpoint_path(const char *run, const char *checkpoint, char *path, size_t cap, blalm_err *e);

/* Loads RUN's model: the latest checkpoint, or checkpoints/NAME.bin
 * (run_checkpoint_path). */
model *run_load_model(const char *run, const char *checkpoint, blalm_err *e);

/* Checkpoint I/O (model + optimiser + training position). */
typedef struct ckpt_pos {
    long step, total_steps;
    uint64_t data_pos, epoch, tokens_seen;
    double words_seen;
    int next_milestone;
    uint64_t rng;           /* the data order's seed (train.shuffle_seed) */
    uint64_t train_tokens;  /* tokens of the train split the run reads */
    babylm_track track;
    double words_scale;     /* 1, or train_opts.test_words_scale (not BabyLM-compliant) */
    uint64_t train_hash;    /* train_split_hash of RUN/tokens/train; 0: not recorded
                             * (a checkpoint of a blalm before it was) */
    char tokenizer_sha256[65]; /* sha256 of the run's tokenizer.json (hex); "": not
                                * recorded (a checkpoint of a blalm before it was) */
} ckpt_pos;

/* As run_load_model, with the checkpoint's position (its words_scale, ...)
 * from the same read of the file (export: the weights and the marks agree). */
model *run_load_model_pos(const char *run, const char *checkpoint, ckpt_pos *at, blalm_err *e);

/* A checkpoint is read with the tokenizer it was trained with: p's
 * tokenizer_sha256 (when recorded) must be that of tokpath's file, else an
 * error naming both (a checkpoint copied into another run whose tokenizer
 * has as many tokens was scored with other words for its token ids). A
 * tokenizer of another size than vocab gets the message of a vocabulary
 * mismatch ("TOKPATH: vocabulary N, the model has M"). */
int ckpt_check_tokenizer(const char *ckpath, const ckpt_pos *p, const char *tokpath, int vocab, blalm_err *e);
/* Content identity of a joined train split: xxh3 of the .tok file (header
 * with the tokenizer's sha256, and every token) seeding xxh64 of the .idx
 * file (documents' token ranges and words); never 0. */
uint64_t train_split_hash(const tokshard *s);
int ckpt_save(const char *path, model *m, optimizer *o, optim_kind kind, const ckpt_pos *p,
              blalm_err *e);
/* m must have the same architecture (else an error naming the field);
 * o may be NULL (weights only). */
int ckpt_load(const char *path, model *m, optimizer *o, optim_kind *kind, ckpt_pos *p,
              blalm_err *e);
/* Reads only the config stored in a checkpoint. */
int ckpt_read_config(const char *path, model_config *c, blalm_err *e);
/* Reads the config, training position and optimiser kind (any may be NULL). */
int ckpt_read_meta(const char *path, model_config *c, ckpt_pos *p, optim_kind *kind, blalm_err *e);

/* The first difference between two configs that a resumed run cannot take,
 * as "train.lr_adamw: 0.003 in the checkpoint, 0.001 now" in what (returns 1;
 * 0 when they agree). Every field counts except name and the cadence of
 * logs, evaluations and checkpoints (train.log_every, eval_every,
 * eval_batches, checkpoint_every). */
int config_resume_diff(const model_config *ckpt, const model_config *now, char *what, size_t cap);

/* Data order. The train tokens are cut into n = (tokens - 1) / seq_len
 * windows (window w reads tokens [w*S, w*S + S]). With train.shuffle
 * "windows", epoch E (0-based) reads them in the order this writes to
 * perm[n]: perm[i] = i, then a Fisher-Yates shuffle (for i = n-1 down to 1:
 * swap perm[i] and perm[below(i + 1)]) drawn from splitmix64 whose state
 * starts at mix(mix(shuffle_seed) + E) (mix: splitmix64's output function;
 * below(k): draw r until r >= (2^64 - k) mod k, return r mod k). With
 * "none", perm[i] = i (corpus order). Step j of an epoch reads windows
 * perm[j*B .. j*B + B-1] as its B rows; an epoch has floor(n / B) steps. */
void train_window_order(uint64_t shuffle_seed, uint64_t epoch, uint64_t n, uint64_t *perm);

/* Feeds the train split's documents of the corpus at DIR (lib/corpus.h) to a
 * tokenizer's counter; -1 with e set on a bad corpus or a document outside its file. */
int train_count_corpus(const char *dir, bpe_counter *c, blalm_err *e);

#endif
