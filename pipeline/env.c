/* env.c - see env.h. */
#include "env.h"

#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/http.h"
#include "lib/zio.h"

void env_shard(shard_env *out)
{
    out->slurm_task_id = getenv("SLURM_ARRAY_TASK_ID");
    out->slurm_task_min = getenv("SLURM_ARRAY_TASK_MIN");
    out->slurm_task_count = getenv("SLURM_ARRAY_TASK_COUNT");
    out->slurm_task_max = getenv("SLURM_ARRAY_TASK_MAX");
    out->slurm_task_step = getenv("SLURM_ARRAY_TASK_STEP");
    out->ompi_rank = getenv("OMPI_COMM_WORLD_RANK");
    out->ompi_size = getenv("OMPI_COMM_WORLD_SIZE");
}

/* shard_resolve, its error said as "blalm CMD: ..." */
static int resolve(const char *cmd, const char *flag, const shard_env *env, shard_spec *out)
{
    blalm_err e = {{0}};
    if (shard_resolve(flag, env, out, &e) < 0) {
        fprintf(stderr, "blalm %s: %s\n", cmd, e.msg);
        return -1;
    }
    return 0;
}

int env_resolve_shard(const char *cmd, const char *flag, shard_spec *out)
{
    shard_env env;
    env_shard(&env);
    return resolve(cmd, flag, &env, out);
}

int env_refuse_parallel(const char *cmd, const char *hint)
{
    /* Open MPI's ranks and srun's tasks only: each task of a Slurm array gets its own
     * arguments (another --work, another --seeds range), so an array of any
     * shape is no copy of one job; its variables are not read here */
    shard_env env;
    env_shard(&env);
    shard_env ompi = {.ompi_rank = env.ompi_rank, .ompi_size = env.ompi_size};
    shard_spec s;
    if (resolve(cmd, NULL, &ompi, &s) < 0) return -1;
    if (s.count > 1) {
        fprintf(stderr, "blalm %s: started by mpirun as rank %d of ranks 0..%d: %s is not data-parallel; %s\n",
                cmd, s.index, s.count - 1, cmd, hint);
        return -1;
    }
    long i, n;
    if (env_srun_tasks(cmd, &i, &n) < 0) return -1;
    if (n == 1) return 0;
    fprintf(stderr, "blalm %s: started by srun as task %ld of tasks 0..%ld: %s is not data-parallel; %s\n", cmd, i,
            n - 1, cmd, hint);
    return -1;
}

int env_srun_tasks(const char *cmd, long *task, long *tasks)
{
    /* srun -n N starts N copies (SLURM_PROCID 0..N-1 of the step's
     * SLURM_STEP_NUM_TASKS), each running the whole command. SLURM_NTASKS is
     * not read: a batch script of an --ntasks=4 job has it (and SLURM_PROCID=0)
     * but runs once; srun alone sets the step's count. Only the task process
     * itself is a task (getpid() == SLURM_TASK_PID, which slurmstepd sets to
     * the task's pid; exec keeps it): a process that merely inherits a step's
     * variables (srun -n 4 sh -c 'blalm ...', a wrapper running blalm on task
     * 0 only, a shell of srun --pty) is no task of it. Under mpirun (its
     * variables set, one rank) they are not read: mpirun starts its daemons
     * on the other nodes of an allocation with srun, and its ranks inherit
     * that step's variables */
    *task = 0, *tasks = 1;
    const char *id = getenv("SLURM_PROCID"), *nt = getenv("SLURM_STEP_NUM_TASKS");
    if (!id || !nt || getenv("OMPI_COMM_WORLD_RANK") || getenv("OMPI_COMM_WORLD_SIZE")) return 0;
    long pid;
    if (shard_parse_int(getenv("SLURM_TASK_PID"), 1, 0x7fffffff, &pid) < 0 || pid != (long)getpid()) return 0;
    long n, i;
    if (shard_parse_int(nt, 1, 0x7fffffff, &n) < 0) {
        fprintf(stderr, "blalm %s: SLURM_STEP_NUM_TASKS='%s': expected a positive integer\n", cmd, nt);
        return -1;
    }
    if (n == 1) return 0;
    if (shard_parse_int(id, 0, n - 1, &i) < 0) {
        fprintf(stderr, "blalm %s: SLURM_PROCID='%s': expected an integer in 0..%ld\n", cmd, id, n - 1);
        return -1;
    }
    *task = i, *tasks = n;
    return 0;
}

void env_prog_display(int quiet, prog_display *out)
{
    const char *nc = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    const char *iv = getenv("BLALM_PROGRESS_SECONDS");
    out->quiet = quiet;
    out->plain = term && !strcmp(term, "dumb");   /* no "\r\033[K" redraws */
    out->color = !(nc && *nc) && !out->plain;
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

int env_zstd_window(void)
{
    const char *s = getenv("BLALM_ZSTD_WINDOW_MAX");
    if (!s || !*s) return 0;
    int wlog;
    blalm_err e = {{0}};
    if (zr_parse_window_max(s, &wlog, &e) < 0) {
        fprintf(stderr, "blalm: BLALM_ZSTD_WINDOW_MAX: %s\n", e.msg);
        return -1;
    }
    zr_set_window_log_max(wlog);
    return 0;
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

const char *env_cache_dir(void)
{
    static char buf[4200];
    const char *s = getenv("BLALM_CACHE_DIR");
    if (s) return *s && strcmp(s, "none") ? s : NULL;
    const char *x = getenv("XDG_CACHE_HOME");
    if (x && *x == '/') {   /* the spec: a relative path is ignored */
        snprintf(buf, sizeof buf, "%s/blalm", x);
        return buf;
    }
    const char *h = getenv("HOME");
    if (h && *h) {
        snprintf(buf, sizeof buf, "%s/.cache/blalm", h);
        return buf;
    }
    return NULL;
}

long env_test_slow_write_us(void)
{
    const char *s = getenv("BLALM_TEST_SLOW_WRITE");
    return s ? atol(s) : 0;
}

/* A URL without its trailing '/'s, in a static buffer per variable. */
static const char *trimmed(const char *v, const char *dflt, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", v && *v ? v : dflt);
    for (size_t n = strlen(buf); n > 0 && buf[n - 1] == '/'; n--) buf[n - 1] = 0;
    return buf;
}

const char *env_hf_endpoint(void)
{
    static char buf[1024];
    return trimmed(getenv("HF_ENDPOINT"), "https://huggingface.co", buf, sizeof buf);
}

/* A token variable through http_token_clean, into a static buffer per variable. */
static int token(const char *cmd, const char *var, char *buf, size_t cap, const char **out)
{
    *out = NULL;
    const char *s = getenv(var);
    const char *why = NULL;
    int n = s ? http_token_clean(s, strlen(s), buf, cap, &why) : 0;
    if (n < 0) {
        fprintf(stderr, "blalm %s: %s %s; set it to the token alone\n", cmd, var, why);
        return -1;
    }
    if (n > 0) *out = buf;
    return 0;
}

/* A variable counts as set to "true" as huggingface_hub reads its boolean
 * variables: 1, ON, YES or TRUE in any case. */
static int env_true(const char *var)
{
    const char *v = getenv(var);
    if (!v) return 0;
    char u[8];
    size_t n = strlen(v);
    if (n >= sizeof u) return 0;
    for (size_t i = 0; i <= n; i++) u[i] = (char)((v[i] >= 'a' && v[i] <= 'z') ? v[i] - 32 : v[i]);
    return !strcmp(u, "1") || !strcmp(u, "ON") || !strcmp(u, "YES") || !strcmp(u, "TRUE");
}

/* path with a leading "~" or "~/" made $HOME, as Python's expanduser
 * (huggingface_hub expands HF_HOME and HF_TOKEN_PATH so). */
static void expand_home(const char *path, const char *tail, char *buf, size_t cap)
{
    const char *home = getenv("HOME");
    if (path[0] == '~' && (path[1] == '/' || !path[1]) && home && *home)
        snprintf(buf, cap, "%s%s%s", home, path + 1, tail);
    else
        snprintf(buf, cap, "%s%s", path, tail);
}

const char *env_hf_token_file(char *buf, size_t cap)
{
    const char *p = getenv("HF_TOKEN_PATH"), *h = getenv("HF_HOME"), *x = getenv("XDG_CACHE_HOME"),
               *home = getenv("HOME");
    if (p && *p) expand_home(p, "", buf, cap);
    else if (h && *h) expand_home(h, "/token", buf, cap);
    else if (x && *x) snprintf(buf, cap, "%s/huggingface/token", x);
    else if (home && *home) snprintf(buf, cap, "%s/.cache/huggingface/token", home);
    else return NULL;
    return buf;
}

const char *env_hf_token_from = "HF_TOKEN";

int env_hf_token(const char *cmd, int saved, const char **out)
{
    static char buf[4096], from[4200];
    if (token(cmd, "HF_TOKEN", buf, sizeof buf, out) < 0) return -1;
    env_hf_token_from = "HF_TOKEN";
    if (*out) return 0;
    /* the older name huggingface_hub still reads */
    if (token(cmd, "HUGGING_FACE_HUB_TOKEN", buf, sizeof buf, out) < 0) return -1;
    env_hf_token_from = "HUGGING_FACE_HUB_TOKEN";
    if (*out) return 0;
    env_hf_token_from = "HF_TOKEN";
    /* the token `hf auth login` (huggingface-cli login) saved, as
     * huggingface_hub finds it, unless HF_HUB_DISABLE_IMPLICIT_TOKEN */
    if (!saved || env_true("HF_HUB_DISABLE_IMPLICIT_TOKEN")) return 0;
    char path[4096];
    if (!env_hf_token_file(path, sizeof path)) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT || errno == ENOTDIR) return 0;   /* not logged in */
        fprintf(stderr, "blalm %s: cannot read the Hub token file %s: %s (HF_TOKEN_PATH, HF_HOME; "
                        "HF_HUB_DISABLE_IMPLICIT_TOKEN=1 to use none)\n", cmd, path, strerror(errno));
        return -1;
    }
    char text[4096];
    size_t n = fread(text, 1, sizeof text, f);
    int big = n == sizeof text && fgetc(f) != EOF, rerr = ferror(f);
    fclose(f);
    if (rerr || big) {
        fprintf(stderr, "blalm %s: the Hub token file %s %s\n", cmd, path,
                rerr ? "cannot be read" : "is larger than a token (4 KB or more)");
        return -1;
    }
    const char *why = NULL;
    int k = http_token_clean(text, n, buf, sizeof buf, &why);
    if (k < 0) {
        fprintf(stderr, "blalm %s: the Hub token file %s %s; it should hold the token alone\n", cmd, path, why);
        return -1;
    }
    if (k == 0) return 0;   /* an empty file: no token */
    snprintf(from, sizeof from, "the token file %s", path);
    env_hf_token_from = from;
    *out = buf;
    return 0;
}

const char *env_openai_base_url(void)
{
    static char buf[4096];
    return trimmed(getenv("OPENAI_BASE_URL"), "https://api.openai.com/v1", buf, sizeof buf);
}

int env_openai_api_key(const char *cmd, const char **out)
{
    static char buf[4096];
    return token(cmd, "OPENAI_API_KEY", buf, sizeof buf, out);
}

#ifndef BLALM_CMUDICT_DEFAULT
#define BLALM_CMUDICT_DEFAULT ""
#endif
#ifndef BLALM_CMUDICT_INSTALLED
#define BLALM_CMUDICT_INSTALLED ""
#endif

const char *env_cmudict_default(void)
{
    const char *named = env_cmudict();
    if (named) return strcmp(named, "none") ? named : NULL;
    const char *defaults[] = {BLALM_CMUDICT_DEFAULT, BLALM_CMUDICT_INSTALLED};
    for (int i = 0; i < 2; i++)
        if (defaults[i][0] && access(defaults[i], R_OK) == 0) return defaults[i];
    return NULL;
}
