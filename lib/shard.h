/* shard.h - one shard scheme for every stage that splits its work over
 * workers (fetch, tag, dedup, score, tokenize).
 *
 * A worker is shard I of N (0 <= I < N). It takes the work units whose index
 * in the stage's canonical order (sorted file list, band number, ...) is
 * congruent to I modulo N, so the union over I = 0..N-1 is every unit exactly
 * once and the outputs do not depend on N. Where I and N come from, highest
 * precedence first:
 *   1. --shard I/N on the command line;
 *   2. a Slurm job array: SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN of
 *      SLURM_ARRAY_TASK_COUNT (arrays may start at any index, e.g. --array=1-4;
 *      one with a step or gaps, by SLURM_ARRAY_TASK_STEP / _MAX, is refused);
 *      an array task that runs mpirun -np R splits its share again: rank r of
 *      task t is shard t*R + r of COUNT*R ("slurm+openmpi");
 *   3. Open MPI: OMPI_COMM_WORLD_RANK of OMPI_COMM_WORLD_SIZE (mpirun -np N);
 *   4. otherwise 0 of 1.
 * Library code never reads the environment: pipeline/ collects the variables
 * into a shard_env and calls shard_resolve. */
#ifndef BLALM_SHARD_H
#define BLALM_SHARD_H

#include <stddef.h>
#include "err.h"

typedef struct shard_spec {
    int index, count;
    const char *origin;   /* "flag", "slurm", "openmpi", "slurm+openmpi" or "none" (static strings) */
} shard_spec;

/* The environment's say, as strings (NULL = unset). */
typedef struct shard_env {
    const char *slurm_task_id, *slurm_task_min, *slurm_task_count, *slurm_task_max, *slurm_task_step;
    const char *ompi_rank, *ompi_size;
} shard_env;

#define SHARD_ONE ((shard_spec){0, 1, "none"})

/* "I/N" with 0 <= I < N <= 1000000; 0 or -1 with a message naming the text. */
int shard_parse(const char *text, shard_spec *out, blalm_err *e);
/* Applies the precedence above. flag may be NULL. A variable that is set but
 * malformed or out of range is an error naming it, never silently ignored. */
int shard_resolve(const char *flag, const shard_env *env, shard_spec *out, blalm_err *e);
/* A decimal integer in [lo, hi] (lo >= 0), the whole string: digits only,
 * not strtol's leading space or sign (" 1", "+1" and "1 " are errors); 0, or
 * -1 (s NULL too) leaving *out alone. */
int shard_parse_int(const char *s, long lo, long hi, long *out);
/* 1 when unit number unit belongs to this shard. */
static inline int shard_owns(const shard_spec *s, size_t unit)
{
    return s->count <= 1 || unit % (size_t)s->count == (size_t)s->index;
}
/* "" for one shard, else "-I-of-N": suffix of per-shard stats and markers. */
void shard_suffix(const shard_spec *s, char *out, size_t cap);

#endif
