/* env.c - see env.h. */
#include "env.h"

#include <stdio.h>
#include <stdlib.h>

void env_shard(shard_env *out)
{
    out->slurm_task_id = getenv("SLURM_ARRAY_TASK_ID");
    out->slurm_task_min = getenv("SLURM_ARRAY_TASK_MIN");
    out->slurm_task_count = getenv("SLURM_ARRAY_TASK_COUNT");
    out->ompi_rank = getenv("OMPI_COMM_WORLD_RANK");
    out->ompi_size = getenv("OMPI_COMM_WORLD_SIZE");
}

int env_resolve_shard(const char *cmd, const char *flag, shard_spec *out)
{
    shard_env env;
    env_shard(&env);
    blalm_err e = {{0}};
    if (shard_resolve(flag, &env, out, &e) < 0) {
        fprintf(stderr, "blalm %s: %s\n", cmd, e.msg);
        return -1;
    }
    return 0;
}
