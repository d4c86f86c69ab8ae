/* env.h - the environment, read in one place (pipeline/ only: library code
 * takes everything as arguments). Every variable read here is listed in the
 * README's environment table. */
#ifndef BLALM_PIPELINE_ENV_H
#define BLALM_PIPELINE_ENV_H

#include "lib/err.h"
#include "lib/shard.h"

/* Slurm array and Open MPI variables, for shard_resolve. */
void env_shard(shard_env *out);
/* This worker's shard: --shard I/N (flag, may be NULL), else a Slurm array,
 * else Open MPI, else 0/1. On error prints "blalm <cmd>: msg" and returns -1. */
int env_resolve_shard(const char *cmd, const char *flag, shard_spec *out);

#endif
