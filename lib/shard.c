/* shard.c - see shard.h. */
#include "shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define SHARD_MAX 1000000

int shard_parse_int(const char *s, long lo, long hi, long *out)
{
    if (!s || *s < '0' || *s > '9') return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int shard_parse(const char *text, shard_spec *out, blalm_err *e)
{
    const char *slash = text;
    while (*slash && *slash != '/') slash++;
    char head[32];
    size_t hl = (size_t)(slash - text);
    long i, n;
    if (!*slash || hl == 0 || hl >= sizeof head) goto bad;
    snprintf(head, sizeof head, "%.*s", (int)hl, text);
    if (shard_parse_int(head, 0, SHARD_MAX - 1, &i) < 0 || shard_parse_int(slash + 1, 1, SHARD_MAX, &n) < 0 ||
        i >= n)
        goto bad;
    *out = (shard_spec){(int)i, (int)n, "flag"};
    return 0;
bad:
    return err_set(e, "--shard '%s': expected I/N with 0 <= I < N <= %d", text, SHARD_MAX);
}

static int from_slurm(const shard_env *env, shard_spec *out, blalm_err *e)
{
    long id, min = 0, count;
    if (shard_parse_int(env->slurm_task_id, 0, 0x7fffffff, &id) < 0)
        return err_set(e, "SLURM_ARRAY_TASK_ID='%s': expected a non-negative integer",
                       env->slurm_task_id);
    if (!env->slurm_task_count)
        return err_set(e, "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: "
                          "cannot tell this task's share");
    if (shard_parse_int(env->slurm_task_count, 1, SHARD_MAX, &count) < 0)
        return err_set(e, "SLURM_ARRAY_TASK_COUNT='%s': expected an integer in 1..%d",
                       env->slurm_task_count, SHARD_MAX);
    if (env->slurm_task_min && shard_parse_int(env->slurm_task_min, 0, 0x7fffffff, &min) < 0)
        return err_set(e, "SLURM_ARRAY_TASK_MIN='%s': expected a non-negative integer",
                       env->slurm_task_min);
    /* Arrays with a step (--array=0-8:2) or gaps (--array=0,1,3) do not map
     * onto 0..N-1: every task refuses (else some shards are never run) */
    long max, step;
    if (env->slurm_task_step && (shard_parse_int(env->slurm_task_step, 0, 0x7fffffff, &step) < 0 || step != 1))
        return err_set(e, "SLURM_ARRAY_TASK_STEP='%s': an array with a step leaves shards unrun; use a "
                          "contiguous array such as --array=0-%ld", env->slurm_task_step, count - 1);
    if (env->slurm_task_max &&
        (shard_parse_int(env->slurm_task_max, 0, 0x7fffffff, &max) < 0 || max - min + 1 != count))
        return err_set(e, "SLURM_ARRAY_TASK_MAX='%s' with MIN %ld and COUNT %ld: an array with gaps leaves shards "
                          "unrun; use a contiguous array such as --array=0-%ld", env->slurm_task_max, min, count,
                       count - 1);
    if (id < min || id - min >= count)
        return err_set(e, "Slurm array task %ld is not in %ld..%ld (SLURM_ARRAY_TASK_MIN.."
                          "MIN+COUNT-1): use a contiguous array such as --array=0-%ld",
                       id, min, min + count - 1, count - 1);
    *out = (shard_spec){(int)(id - min), (int)count, "slurm"};
    return 0;
}

static int from_ompi(const shard_env *env, shard_spec *out, blalm_err *e)
{
    long rank, size;
    if (shard_parse_int(env->ompi_size, 1, SHARD_MAX, &size) < 0)
        return err_set(e, "OMPI_COMM_WORLD_SIZE='%s': expected an integer in 1..%d",
                       env->ompi_size ? env->ompi_size : "(unset)", SHARD_MAX);
    if (shard_parse_int(env->ompi_rank, 0, size - 1, &rank) < 0)
        return err_set(e, "OMPI_COMM_WORLD_RANK='%s': expected an integer in 0..%ld",
                       env->ompi_rank ? env->ompi_rank : "(unset)", size - 1);
    *out = (shard_spec){(int)rank, (int)size, "openmpi"};
    return 0;
}

int shard_resolve(const char *flag, const shard_env *env, shard_spec *out, blalm_err *e)
{
    if (flag) return shard_parse(flag, out, e);
    if (env && env->slurm_task_id) {
        if (from_slurm(env, out, e) < 0) return -1;
        if (!env->ompi_rank && !env->ompi_size) return 0;
        /* the task runs mpirun: its ranks split its share, else each would
         * do the task's whole share into the same outputs */
        shard_spec r;
        if (from_ompi(env, &r, e) < 0) return -1;
        if ((long)out->count * r.count > SHARD_MAX)
            return err_set(e, "Slurm array of %d tasks x %d Open MPI ranks: more than %d shards", out->count,
                           r.count, SHARD_MAX);
        *out = (shard_spec){out->index * r.count + r.index, out->count * r.count, "slurm+openmpi"};
        return 0;
    }
    if (env && (env->ompi_rank || env->ompi_size)) return from_ompi(env, out, e);
    *out = SHARD_ONE;
    return 0;
}

void shard_suffix(const shard_spec *s, char *out, size_t cap)
{
    if (s->count <= 1) snprintf(out, cap, "%s", "");
    else snprintf(out, cap, "-%d-of-%d", s->index, s->count);
}
