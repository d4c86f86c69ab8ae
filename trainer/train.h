/* train.h - training runs: corpus -> tokenizer + token cache -> steps,
 * checkpoints (magic "BLALMCK1"), BabyLM milestones, logs, dev evaluation;
 * and loading a run for export and generation. */
#ifndef BLALM_TRAIN_H
#define BLALM_TRAIN_H

#include <stdint.h>

#include "lib/err.h"
#include "trainer/model.h"

#define CKPT_MAGIC "BLALMCK1"
#define CKPT_VERSION 1u

typedef enum { TRACK_NONE = 0, TRACK_STRICT_SMALL, TRACK_STRICT } babylm_track;

typedef struct train_opts {
    const char *corpus;     /* BabyLM layout: train/, dev/, documents.jsonl.zst (optional) */
    const char *model_cfg;  /* JSON model config (its vocab_size is the tokenizer's target) */
    const char *run;        /* run folder */
    const char *tokenizer;  /* existing tokenizer file (NULL: train one on the train split) */
    long max_steps;         /* 0: from max_tokens, else one epoch */
    uint64_t max_tokens;
    optim_kind optimizer;
    babylm_track track;
    int threads;
    int resume;
    int quiet;
    long stop_after;        /* testing: stop (as if killed) after this many steps */
} train_opts;

typedef struct train_summary {
    long steps;
    double last_loss, dev_loss, words_seen, tok_per_s;
    uint64_t tokens_seen;
    int milestones_saved;
} train_summary;

int train_run(const train_opts *o, train_summary *s, blalm_err *e);

/* Words whose checkpoints BabyLM requires, in order (n returned). */
int babylm_milestones(babylm_track t, uint64_t *out, int cap);

/* Loads RUN's model: the latest checkpoint, or checkpoints/NAME.bin. */
model *run_load_model(const char *run, const char *checkpoint, blalm_err *e);

/* Checkpoint I/O (model + optimiser + training position). */
typedef struct ckpt_pos {
    long step, total_steps;
    uint64_t data_pos, epoch, tokens_seen;
    double words_seen;
    int next_milestone;
    uint64_t rng;
} ckpt_pos;
int ckpt_save(const char *path, model *m, optimizer *o, optim_kind kind, const ckpt_pos *p,
              blalm_err *e);
/* m must have the same architecture (else an error naming the field);
 * o may be NULL (weights only). */
int ckpt_load(const char *path, model *m, optimizer *o, optim_kind *kind, ckpt_pos *p,
              blalm_err *e);
/* Reads only the config stored in a checkpoint. */
int ckpt_read_config(const char *path, model_config *c, blalm_err *e);

#endif
