/* cmd_train.c - `blalm train`: a BLaLM run on an assembled corpus. */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpora/corpora.h"
#include "lib/cli.h"
#include "lib/progress.h"
#include "lib/sighold.h"
#include "pipeline/env.h"
#include "trainer/parallel.h"
#include "trainer/train.h"

BLALM_COMMAND(train, "train a BLaLM model on a corpus (BabyLM rules, checkpoints, resume)")

static const char usage[] =
    "usage: blalm train (--corpus DIR | --tokens DIR) --model CONFIG --out RUN [options]\n"
    "\n"
    "Trains the model of CONFIG on the corpus DIR (BabyLM layout: train/*.train,\n"
    "dev/*.dev, documents.jsonl.zst when present). A byte-level BPE tokenizer of\n"
    "CONFIG's vocab_size is trained on the train split unless --tokenizer is given;\n"
    "the corpus is tokenized as blalm tokenize does (RUN/tokens/corpus, resumable,\n"
    "completion markers in RUN/state) and each split's shards are joined into\n"
    "RUN/tokens/train and RUN/tokens/dev; --tokens DIR trains from what blalm\n"
    "tokenize wrote to DIR instead. RUN holds config.json, tokenizer.json,\n"
    "log.jsonl and checkpoints/ (latest.bin, and chck_<N>M.bin by words seen).\n"
    "Every epoch reads the train windows in a new order drawn from CONFIG's\n"
    "train.shuffle_seed (default: its seed); train.shuffle \"none\" keeps corpus order.\n"
    "\n"
    "options:\n"
    "  --max-steps N              optimiser steps, N >= 1 (default: one epoch; with --resume,\n"
    "                             the run's)\n"
    "  --max-tokens N             or: training tokens, N >= 1 (k/M/G suffixes)\n"
    "  --optimizer adamw|muon     Muon for hidden matrices, AdamW for the rest (default adamw;\n"
    "                             CONFIG's train object sets rates, decay, muon_scale)\n"
    "  --track strict|strict-small  refuse an over-budget corpus or > 10 epochs;\n"
    "                             save the BabyLM milestone checkpoints\n"
    "  --tokenizer FILE           use this tokenizer (tokenizer.json or binary form); its vocabulary\n"
    "                             replaces CONFIG's vocab_size (a notice names both and the\n"
    "                             parameter counts)\n"
    "  --tokens DIR               train from blalm tokenize's shards in DIR (its tokens.json names\n"
    "                             the tokenizer unless --tokenizer is given; the sha256 must match)\n"
    "  --threads N                threads, each taking rows of the batch (default 1); every\n"
    "                             thread count gives bit-identical losses and checkpoints\n"
    "  --resume                   continue RUN from checkpoints/latest.bin; refuses a changed\n"
    "                             config, optimizer, track, corpus or length, naming it\n"
    "                             (SIGTERM or SIGINT during the steps saves latest.bin after the\n"
    "                             current step and exits 128 + the signal: --resume continues)\n"
    "  --test-words-scale F       testing only: multiply the track's word budget and milestones\n"
    "                             by F in (0, 1]; the run is recorded as NOT BabyLM-compliant\n"
    "  --stop-after N             testing only: stop after N steps of this invocation as a kill\n"
    "                             would leave the run (the last checkpoint is the one of\n"
    "                             checkpoint_every; --resume continues from it; 0: no stop)\n"
    "  --bench N                  instead: time N training steps on random tokens at CONFIG's\n"
    "                             batch (--corpus and --out not needed); prints JSON\n"
    "  --batch B                  with --bench: B rows a step instead of CONFIG's\n"
    "  -q, --quiet                no progress, no summary\n"
    "  -h, --help                 this help\n";

static const char mpi_help[] =
    "\n"
    "Open MPI: mpirun -np N blalm train ... trains data-parallel: each rank takes\n"
    "rows of every step's batch, gradients are all-reduced; batch, data order and\n"
    "schedule are CONFIG's whatever N, rank 0 alone writes in RUN (tokenizer, token\n"
    "cache, log, checkpoints), and --resume takes any N. Every rank must be given\n"
    "the same arguments but --threads: a difference stops the job, named.\n"
    "Under Slurm, srun --mpi=pmix -n N blalm train ... does the same (a wrapper\n"
    "script must exec blalm: only the task process itself is a rank); srun -n N\n"
    "without a PMI (no PMIX_RANK or PMI_RANK) is refused.\n";
static const char no_mpi_help[] =
    "\n"
    "This blalm was built without Open MPI: install libopenmpi-dev and rebuild\n"
    "to train under mpirun.\n";

static int run_bench(const train_opts *o, long steps, int batch, blalm_err *e)
{
    train_bench_result r;
    if (train_bench(o, (int)steps, batch, &r, e) < 0) return 1;
    if (o->rank == 0)
        printf("{\"steps\":%d,\"batch\":%d,\"seq\":%d,\"threads\":%d,\"ranks\":%d,"
               "\"tokens_per_s\":%.1f,\"tokens_per_cpu_s\":%.1f,\"step_s\":%.4f,\"compute_s\":%.4f,"
               "\"fold_s\":%.4f,\"allreduce_s\":%.4f,\"allreduce_frac\":%.4f,\"allreduce_pure_s\":%.4f,"
               "\"loss\":%.9g}\n",
               r.steps, r.batch, r.seq, r.threads, r.ranks, r.tok_per_s, r.cpu_tok_per_s, r.step_s,
               r.compute_s, r.fold_s, r.allreduce_s, r.step_s > 0 ? r.allreduce_s / r.step_s : 0,
               r.allreduce_pure_s, r.last_loss);
    return 0;
}

static int run_train(train_opts *o, int quiet, blalm_err *e)
{
    train_summary s;
    prog_relay bar;
    env_prog_relay(quiet, PROG_COUNT, &bar);
    o->progress = prog_relay_fn;
    o->progress_arg = &bar;
    o->stop_on_signal = 1;
    int rc = train_run(o, &s, e);
    prog_relay_end(&bar);
    if (rc < 0) return 1;
    if (s.stopped_by) { /* SIGTERM (a Slurm time limit) or Ctrl-C: saved after the step it came in */
        if (o->rank == 0)
            fprintf(stderr, "blalm train: stopped by %s after step %ld of %ld; %s/checkpoints/latest.bin holds "
                            "that step: continue with the same arguments and --resume\n",
                    sig_stop_name(s.stopped_by), s.steps,
                    s.total_steps, o->run);
        return 128 + s.stopped_by;
    }
    if (o->rank != 0) return 0;
    if (s.test_words_scale != 1.0)
        fprintf(stderr, "blalm train: NOT BabyLM-compliant: --test-words-scale %g shrank the %s budget and "
                        "milestones (recorded in config.json and every checkpoint)\n", s.test_words_scale,
                o->track == TRACK_STRICT ? "strict" : o->track == TRACK_STRICT_SMALL ? "strict-small" : "track");
    char ar[64] = "";
    if (o->ranks > 1) snprintf(ar, sizeof ar, ", %d ranks, all-reduce %.1f%% of step time", o->ranks, 100 * s.allreduce_frac);
    char dl[64] = "dev loss n/a (no dev evaluation)";
    if (isfinite(s.dev_loss)) snprintf(dl, sizeof dl, "dev loss %.4f", s.dev_loss);
    char ls[32] = "n/a";   /* a resume of a complete run whose log lacks the last step's loss */
    if (isfinite(s.last_loss)) snprintf(ls, sizeof ls, "%.4f", s.last_loss);
    char tps[48] = "no step left to run"; /* a resume of a complete run (it said "0 tok/s") */
    if (isfinite(s.tok_per_s)) snprintf(tps, sizeof tps, "%.0f tok/s", s.tok_per_s);
    if (!quiet)
        fprintf(stderr,
                "blalm train: %ld steps, loss %s, %s, %llu tokens, %.0f words seen, "
                "%s, %d milestone checkpoints -> %s%s\n",
                s.steps, ls, dl, (unsigned long long)s.tokens_seen, s.words_seen,
                tps, s.milestones_saved, o->run, ar);
    return 0;
}

int cmd_train(int argc, char **argv)
{
    static const struct option opts[] = {
        {"corpus", required_argument, 0, 'c'},    {"model", required_argument, 0, 'm'},
        {"out", required_argument, 0, 'o'},       {"max-steps", required_argument, 0, 's'},
        {"max-tokens", required_argument, 0, 'T'}, {"optimizer", required_argument, 0, 'O'},
        {"track", required_argument, 0, 'k'},     {"tokenizer", required_argument, 0, 'z'},
        {"threads", required_argument, 0, 't'},   {"resume", no_argument, 0, 'r'},
        {"stop-after", required_argument, 0, 'S'}, {"quiet", no_argument, 0, 'q'},
        {"test-words-scale", required_argument, 0, 'W'}, {"bench", required_argument, 0, 'B'},
        {"batch", required_argument, 0, 'b'},             {"tokens", required_argument, 0, 'K'},
        {"help", no_argument, 0, 'h'},            {0, 0, 0, 0},
    };
    train_opts o = {0};
    o.threads = 1;
    o.ranks = 1;
    long bench = 0;
    int bench_batch = 0, quiet = 0;
    unsigned long long v;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case 'c': o.corpus = optarg; break;
        case 'm': o.model_cfg = optarg; break;
        case 'o': o.run = optarg; break;
        case 'z': o.tokenizer = optarg; break;
        case 'K': o.tokens = optarg; break;
        case 's': case 'T': case 't': case 'S': case 'B': case 'b':
            if ((c == 't' || c == 'B' || c == 'b') && (cli_parse_count(optarg, &v) < 0 || v < 1 || v > 4096))
                return cli_usage_error(usage, "train: --%s wants a count in 1..4096, not '%s'",
                                       cli_option_name(opts, c), optarg); /* as eval and ablate say it */
            if (cli_parse_count(optarg, &v) < 0)
                return cli_usage_error(usage, "train: --%s: bad number '%s'", cli_option_name(opts, c), optarg);
            if ((c == 's' || c == 'T') && v < 1) /* 0 is no length; leave the option out for one epoch */
                return cli_usage_error(usage, "train: --%s wants a count >= 1 (without it: one epoch), not '%s'",
                                       c == 's' ? "max-steps" : "max-tokens", optarg);
            if ((c == 's' || c == 'S') && v > (unsigned long long)LONG_MAX)
                return cli_usage_error(usage, "train: --%s: bad number '%s'", cli_option_name(opts, c), optarg);
            if (c == 'B') bench = (long)v;
            if (c == 'b') bench_batch = (int)v;
            if (c == 's') o.max_steps = (long)v;
            else if (c == 'T') o.max_tokens = v;
            else if (c == 'S') o.stop_after = (long)v;
            else if (c == 't') o.threads = (int)v;
            break;
        case 'O':
            o.optimizer_given = 1;
            if (!strcmp(optarg, "adamw")) o.optimizer = OPT_ADAMW;
            else if (!strcmp(optarg, "muon")) o.optimizer = OPT_MUON;
            else return cli_usage_error(usage, "train: --optimizer must be adamw or muon");
            break;
        case 'k':
            if (!strcmp(optarg, "strict")) o.track = TRACK_STRICT;
            else if (!strcmp(optarg, "strict-small")) o.track = TRACK_STRICT_SMALL;
            else return cli_usage_error(usage, "train: --track must be strict or strict-small");
            break;
        case 'W': {
            if (cli_parse_real(optarg, &o.test_words_scale) < 0
                || !(o.test_words_scale > 0 && o.test_words_scale <= 1))
                return cli_usage_error(usage, "train: --test-words-scale must be a number in (0, 1], not '%s'", optarg);
            break;
        }
        case 'r': o.resume = 1; break;
        case 'q': quiet = 1; break;
        case 'h':
            cli_help(usage);
            return cli_help(dp_mpi_built() ? mpi_help : no_mpi_help);
        default: return cli_option_error(usage, "train", opts, argv, optind);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "train: unexpected argument '%s'", argv[optind]);
    if (bench && !o.model_cfg) return cli_usage_error(usage, "train: --bench needs --model");
    if (bench_batch && !bench) return cli_usage_error(usage, "train: --batch is for --bench");
    if (!bench && (!(o.corpus || o.tokens) || !o.model_cfg || !o.run))
        return cli_usage_error(usage, "train: --corpus (or --tokens), --model and --out are required");
    if (o.corpus && o.tokens)
        return cli_usage_error(usage, "train: give --corpus or --tokens, not both");
    if (o.max_steps && o.max_tokens)
        return cli_usage_error(usage, "train: give --max-steps or --max-tokens, not both");
    /* srun -n N (blalm the task process itself): one job only when a PMI
     * joins the tasks (srun --mpi=pmix sets PMIX_RANK, --mpi=pmi2 PMI_RANK;
     * MPI_Init and the world-size check below say whether this Open MPI can
     * use it); without one Open MPI cannot start (it aborts in MPI_Init), and
     * a task not started as MPI would train alone: N copies in one RUN */
    long task, tasks;
    if (env_srun_tasks("train", &task, &tasks) < 0) return 2;
    if (tasks > 1 && !dp_mpi_built()) {
        fprintf(stderr, "blalm train: started by srun as task %ld of tasks 0..%ld, but this blalm was built without "
                "Open MPI: each task would train alone; run one task (install libopenmpi-dev and rebuild to train on "
                "several)\n", task, tasks - 1);
        return 2;
    }
    if (tasks > 1 && !getenv("PMIX_RANK") && !getenv("PMI_RANK")) {
        fprintf(stderr, "blalm train: started by srun as task %ld of tasks 0..%ld without a PMI (no PMIX_RANK or "
                "PMI_RANK): the tasks cannot join one data-parallel job; start them with srun --mpi=pmix (or "
                "MpiDefault=pmix; --mpi=pmi2 where Open MPI was built for it), or with mpirun inside the allocation\n",
                task, tasks - 1);
        return 2;
    }
    if (!bench && cli_check_out_dirs("train", o.run, NULL)) return 1;
    blalm_err e;
    if (!bench && o.corpus && corpora_check_readable(o.corpus, &e) < 0) {
        fprintf(stderr, "blalm train: %s\n", e.msg);
        return 1;
    }
    /* started by mpirun, or by srun --mpi=pmix -n N: one rank of a data-parallel job */
    int mpi = getenv("OMPI_COMM_WORLD_SIZE") != NULL || tasks > 1;
    if (mpi && dp_mpi_init(&o.rank, &o.ranks, &e) < 0) {
        fprintf(stderr, "blalm train: started by %s, but %s\n", tasks > 1 ? "srun" : "mpirun", e.msg);
        return 1;
    }
    /* every rank of one world sees the same size: all refuse, or none */
    if (tasks > 1 && o.ranks != tasks) {
        fprintf(stderr, "blalm train: started by srun as task %ld of tasks 0..%ld, but MPI made it rank %d of %d: the "
                "tasks are not one job; start them with srun --mpi=pmix, or with mpirun inside the allocation\n",
                task, tasks - 1, o.rank, o.ranks);
        dp_mpi_finalize();
        return 2;
    }
    int rc = bench ? run_bench(&o, bench, bench_batch, &e) : run_train(&o, quiet, &e);
    if (rc > 128) { /* stopped by a signal, latest.bin saved: every rank ends alike */
        if (mpi) dp_mpi_finalize();
        return rc;
    }
    if (rc && o.ranks > 1) {
        fprintf(stderr, "blalm train: rank %d of %d: %s; stopping every rank\n", o.rank, o.ranks, e.msg);
        dp_mpi_abort(1);
    }
    if (rc) fprintf(stderr, "blalm train: %s\n", e.msg);
    if (mpi) dp_mpi_finalize();
    return rc;
}
