/* env.h - the environment, read in one place (pipeline/ only: library code
 * takes everything as arguments). Every variable read here is listed in the
 * README's environment table. */
#ifndef BLALM_PIPELINE_ENV_H
#define BLALM_PIPELINE_ENV_H

#include "lib/err.h"
#include "lib/progress.h"
#include "lib/shard.h"

/* Slurm array and Open MPI variables, for shard_resolve. */
void env_shard(shard_env *out);
/* This worker's shard: --shard I/N (flag, may be NULL), else a Slurm array,
 * else Open MPI, else 0/1. On error prints "blalm <cmd>: msg" and returns -1. */
int env_resolve_shard(const char *cmd, const char *flag, shard_spec *out);
/* For commands that are not data-parallel (run, ablate): 0 unless Open MPI
 * or srun makes this one of several ranks (the Slurm array variables are not
 * read: a task of an array has its own arguments); else prints "blalm <cmd>:
 * ..." (a malformed OMPI variable, as env_resolve_shard says it, a malformed
 * SLURM_STEP_NUM_TASKS or SLURM_PROCID, or "started by mpirun as rank I of
 * ranks 0..N-1" / "started by srun as task I of tasks 0..N-1", then ": <cmd>
 * is not data-parallel; <hint>") and returns -1. srun's tasks are
 * SLURM_PROCID of SLURM_STEP_NUM_TASKS, read by the task process only
 * (env_srun_tasks; set by srun only; SLURM_NTASKS is also set in an --ntasks
 * job's batch script, which runs once). */
int env_refuse_parallel(const char *cmd, const char *hint);
/* srun's tasks: *task of *tasks from SLURM_PROCID and SLURM_STEP_NUM_TASKS
 * (0 of 1 when either is unset, when this process is not the task process
 * itself, getpid() != SLURM_TASK_PID: a child of a task such as
 * sh -c 'blalm ...' only inherits the step's variables, or when Open MPI's
 * variables are set: a rank of mpirun inherits the step that started its
 * daemon). A malformed value (digits only) prints "blalm <cmd>: ..." and
 * returns -1. */
int env_srun_tasks(const char *cmd, long *task, long *tasks);

/* Progress display: colour unless NO_COLOR is set (non-empty) or TERM=dumb;
 * plain lines every BLALM_PROGRESS_SECONDS (default 10) when not a TTY.
 * (prog_start, declared in lib/progress.h, opens a bar with this display.) */
void env_prog_display(int quiet, prog_display *out);
/* A relay (lib/progress.h) that draws a stage's progress_fn reports. */
void env_prog_relay(int quiet, prog_unit unit, prog_relay *out);

/* BLALM_DELAY_SCALE: factor on every retry and backoff delay (tests: 0.01);
 * 1 when unset or not a number >= 0. */
double env_delay_scale(void);

/* BLALM_ZSTD_WINDOW_MAX (a size, "1G"; unset or empty: libzstd's 128 MiB)
 * -> zr_set_window_log_max. Returns -1 after printing an error naming it. */
int env_zstd_window(void);
/* BLALM_HYPHEN_DIC: hyphenation patterns when no config names them; NULL
 * when unset or empty (then READABILITY_DEFAULT_DIC). */
const char *env_hyphen_dic(void);
/* BLALM_CMUDICT: the pronouncing dictionary when neither --cmudict nor the
 * config names one; NULL when unset or empty. */
const char *env_cmudict(void);
/* The folder where tagging caches the pronouncing dictionary's parsed table:
 * BLALM_CACHE_DIR ("none" or "" = NULL: no cache), else
 * $XDG_CACHE_HOME/blalm, else $HOME/.cache/blalm, else NULL. */
const char *env_cache_dir(void);
/* BLALM_TEST_SLOW_WRITE: test hook, microseconds assemble sleeps per
 * document it writes (widens the kill window); 0 when unset. */
long env_test_slow_write_us(void);

/* HF_ENDPOINT (default https://huggingface.co) and OPENAI_BASE_URL (default
 * https://api.openai.com/v1), trailing '/' removed. */
const char *env_hf_endpoint(void);
const char *env_openai_base_url(void);
/* HF_TOKEN (see below) and OPENAI_API_KEY under the rule of a key file's line
 * (http_token_clean): *out is the token without surrounding whitespace, NULL
 * when unset or blank; one with a control character, whitespace inside or a
 * byte outside ASCII prints "blalm <cmd>: VAR contains ..." (never the
 * value) and returns -1. */
int env_hf_token(const char *cmd, int saved, const char **out);
int env_openai_api_key(const char *cmd, const char **out);
/* env_hf_token looks, as huggingface_hub does, at HF_TOKEN, then the older
 * HUGGING_FACE_HUB_TOKEN, then (when saved is 1, unless
 * HF_HUB_DISABLE_IMPLICIT_TOKEN is 1, on, yes or true) the file `hf auth
 * login` saves: env_hf_token_file's path,
 * $HF_TOKEN_PATH, else $HF_HOME/token (a leading "~" in either is $HOME),
 * else $XDG_CACHE_HOME/huggingface/token, else ~/.cache/huggingface/token
 * (NULL when none can be made). A missing
 * file is no token; an unreadable one or one that is not a token alone (the
 * same rule) is an error naming the file, never quoting it. Where the token
 * came from, for messages: env_hf_token_from ("HF_TOKEN",
 * "HUGGING_FACE_HUB_TOKEN", "the token file PATH"). */
const char *env_hf_token_file(char *buf, size_t cap);
extern const char *env_hf_token_from;
/* The pronouncing dictionary `blalm run` tags with: BLALM_CMUDICT ("none" =
 * NULL), else the first default copy that exists (as `blalm tag`), else NULL. */
const char *env_cmudict_default(void);

#endif
