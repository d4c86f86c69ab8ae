/* env.c - see env.h. */
#include "env.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/http.h"

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

void env_prog_display(int quiet, prog_display *out)
{
    const char *nc = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    const char *iv = getenv("BLALM_PROGRESS_SECONDS");
    out->quiet = quiet;
    out->color = !(nc && *nc) && !(term && !strcmp(term, "dumb"));
    out->interval_s = iv && atof(iv) > 0 ? atof(iv) : 10.0;
}

progress *prog_start(const char *label, uint64_t total, prog_unit unit, int quiet)
{
    prog_display d;
    env_prog_display(quiet, &d);
    return prog_open(label, total, unit, &d);
}

void env_prog_relay(int quiet, prog_unit unit, prog_relay *out)
{
    memset(out, 0, sizeof *out);
    env_prog_display(quiet, &out->display);
    out->unit = unit;
}

double env_delay_scale(void)
{
    double v = http_delay_scale_parse(getenv("BLALM_DELAY_SCALE"));
    return v > 0 ? v : DBL_MIN;   /* 0 (no waits): the options' 0 means "unscaled" */
}

const char *env_hyphen_dic(void)
{
    const char *s = getenv("BLALM_HYPHEN_DIC");
    return s && *s ? s : NULL;
}

const char *env_cmudict(void)
{
    const char *s = getenv("BLALM_CMUDICT");
    return s && *s ? s : NULL;
}

long env_test_slow_write_us(void)
{
    const char *s = getenv("BLALM_TEST_SLOW_WRITE");
    return s ? atol(s) : 0;
}
