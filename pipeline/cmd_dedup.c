/* cmd_dedup.c - `blalm dedup`: exact and MinHash LSH near-duplicates, in
 * four stages that run together or alone (sharded over workers). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filters/dedup.h"
#include "lib/cli.h"
#include "lib/config.h"
#include "lib/fsutil.h"
#include "lib/work.h"
#include "pipeline/env.h"

BLALM_COMMAND(dedup, "exact and MinHash LSH near-duplicates -> the dedup attribute set")

static const char usage[] =
    "usage: blalm dedup --work WORK [options]\n"
    "\n"
    "Finds exact duplicates (same id, same normalised text, same metadata url) and\n"
    "near-duplicates (MinHash LSH over word shingles, FineWeb's defaults) across all\n"
    "document files under WORK/docs, and writes one `dedup` attribute line per document\n"
    "to WORK/attributes/dedup/<source>/<path>.jsonl.zst:\n"
    "  {\"exact_group\",\"exact_size\",\"cluster_id\",\"cluster_size\",\"representative\",\"keep\"}\n"
    "Documents are numbered in docs order (files sorted by path, then row); exact_group\n"
    "and cluster_id are the number of the group's first document; representative is\n"
    "the kept document's key \"<path under docs>#<row>\"; exactly one document per\n"
    "cluster has keep=true. Results do not depend on the shard count.\n"
    "\n"
    "Stages (all four by default; each alone with --stage, sharded with --shard I/N):\n"
    "  signatures   per document file -> WORK/state/dedup/signatures/\n"
    "  buckets      per band (and exact key) -> WORK/state/dedup/buckets/\n"
    "  cluster      union-find over all candidate pairs -> WORK/state/dedup/clusters.bin,\n"
    "               WORK/stats/dedup.json\n"
    "  attributes   per document file -> WORK/attributes/dedup/\n"
    "Each unit commits a completion marker WORK/state/dedup/<stage>/<unit>.done,\n"
    "keyed by the settings and its inputs (document file bytes, signature table);\n"
    "a rerun skips units whose marker matches. A file from another configuration\n"
    "or a truncated one is refused (remove WORK/state/dedup to start again).\n"
    "\n"
    "options:\n"
    "  --work DIR             work directory (required)\n"
    "  --config FILE          JSON object with any of: bands, rows, shingle, seed,\n"
    "                         normalize, exact_normalize, exact_id, exact_text,\n"
    "                         exact_url, keep_max, verify_jaccard, threads, mem_mb\n"
    "                         (flags override it); a \"dedup\" member, when present,\n"
    "                         is used instead of the whole file (a run config)\n"
    "  --docs DIR             documents (default WORK/docs)\n"
    "  --out DIR              attribute root (default WORK/attributes)\n"
    "  --stage NAME           signatures, buckets, cluster or attributes (default: all)\n"
    "  --shard I/N            this worker's share of files (signatures, attributes) or\n"
    "                         bands (buckets); cluster runs on shard 0 only; needs\n"
    "                         --stage when N > 1. Without it (with --stage),\n"
    "                         SLURM_ARRAY_TASK_ID/MIN/COUNT, else\n"
    "                         OMPI_COMM_WORLD_RANK/SIZE\n"
    "  --threads N            threads in this process (default 1)\n"
    "  --mem MB               sort memory for the buckets stage (default 512)\n"
    "  --bands N              LSH bands (default 14)\n"
    "  --rows N               hashes per band (default 8)\n"
    "  --shingle N            words per shingle, 1-64 (default 5); a text with fewer\n"
    "                         words has no shingles and is never a near duplicate\n"
    "  --seed N               permutation seed, 0 to 2^53 - 1 (default 1)\n"
    "  --normalize SPEC       MinHash text normalisation (default fineweb =\n"
    "                         lower,digits,dtpunct,diacritics,space: datatrove's\n"
    "                         simplify_text)\n"
    "  --exact-normalize SPEC exact-text normalisation (default nfkc,lower,space)\n"
    "                         SPEC: comma list of nfkc, lower, digits (runs -> 0),\n"
    "                         punct (punctuation, symbols, controls -> space),\n"
    "                         dtpunct (datatrove's punctuation deleted),\n"
    "                         diacritics (NFD, nonspacing marks dropped), space;\n"
    "                         or none\n"
    "  --no-exact-id          do not treat equal ids as duplicates\n"
    "  --no-exact-text        do not treat equal normalised texts as duplicates\n"
    "  --no-exact-url         do not treat equal metadata urls as duplicates\n"
    "  --keep-max FIELD       keep the cluster member with the largest metadata FIELD:\n"
    "                         a number, a numeric string or an ISO-8601 date-time\n"
    "                         (missing or other = lowest, counted and warned about;\n"
    "                         none usable is an error); ties and default: first in\n"
    "                         docs order\n"
    "  --verify-jaccard X     keep an LSH candidate pair only if its true shingle\n"
    "                         Jaccard is >= X (pass it to the signatures stage too)\n"
    "  --synthetic N          benchmark helper: write N synthetic signatures (and empty\n"
    "                         placeholder docs) instead of reading documents\n"
    "  --synthetic-dups R     fraction of synthetic near-copies (default 0.1)\n"
    "  -q, --quiet            no progress, no summary\n"
    "  -h, --help             this help\n";

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v < lo || v > hi) return -1;
    *out = (int)v;
    return 0;
}

/* Applies a JSON config file; flags parsed afterwards override it. */
static int apply_config(const char *path, dd_config *cfg, dd_run_opts *ro, blalm_err *e)
{
    static const char *const keys[] = {"bands", "rows", "shingle", "seed", "normalize",
                                       "exact_normalize", "exact_id", "exact_text", "exact_url",
                                       "keep_max", "verify_jaccard", "threads", "mem_mb", NULL};
    cJSON *root = config_load(path, e);
    if (!root) return -1;
    /* a run config: its "dedup" member is this config (the run's keys are a
     * subset of these) */
    const cJSON *j = root;
    char file_l[4200];
    snprintf(file_l, sizeof file_l, "%s", path);
    const cJSON *member = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "dedup") : NULL;
    if (member) {
        j = member;
        snprintf(file_l, sizeof file_l, "%s: dedup", path);
    }
    int rc = -1;
    double v;
    const char *sv;
    int b;
    if (!cJSON_IsObject(j)) { err_set(e, "%s: expected a JSON object", file_l); goto done; }
    if (config_check_keys(j, keys, file_l, e) < 0) goto done;
#define NUM(key, dst, lo, hi)                                                          \
    if (config_number(j, key, (double)(dst), &v, file_l, e) < 0) goto done;            \
    if (v < (lo) || v > (hi) || v != floor(v)) {                                       \
        err_set(e, "%s: \"%s\": expected an integer in %.0f..%.0f", file_l, key, (double)(lo), (double)(hi)); \
        goto done;                                                                     \
    }                                                                                  \
    dst = (__typeof__(dst))v;
    NUM("bands", cfg->bands, 1, DD_MAX_HASHES)
    NUM("rows", cfg->rows, 1, DD_MAX_HASHES)
    NUM("shingle", cfg->shingle, 1, DD_MAX_SHINGLE)
    /* 2^53 itself is out: "9007199254740993" reads as that double */
    NUM("seed", cfg->seed, 0, (double)CLI_SEED_MAX)
    NUM("threads", ro->threads, 1, DD_MAX_THREADS)
#undef NUM
    if (config_number(j, "mem_mb", (double)(ro->mem_bytes >> 20), &v, file_l, e) < 0) goto done;
    if (v < 1 || v > (1 << 20)) { err_set(e, "%s: \"mem_mb\": expected 1..1048576", file_l); goto done; }
    ro->mem_bytes = (size_t)v << 20;
    if (config_string(j, "normalize", NULL, &sv, file_l, e) < 0) goto done;
    if (sv && dd_norm_parse(sv, &cfg->minhash_norm, e) < 0) { err_prefix(e, "%s", file_l); goto done; }
    if (config_string(j, "exact_normalize", NULL, &sv, file_l, e) < 0) goto done;
    if (sv && dd_norm_parse(sv, &cfg->exact_norm, e) < 0) { err_prefix(e, "%s", file_l); goto done; }
    if (config_bool(j, "exact_id", cfg->exact_id, &b, file_l, e) < 0) goto done;
    cfg->exact_id = b;
    if (config_bool(j, "exact_text", cfg->exact_text, &b, file_l, e) < 0) goto done;
    cfg->exact_text = b;
    if (config_bool(j, "exact_url", cfg->exact_url, &b, file_l, e) < 0) goto done;
    cfg->exact_url = b;
    if (config_string(j, "keep_max", NULL, &sv, file_l, e) < 0) goto done;
    if (sv) {
        if (!*sv || strlen(sv) >= DD_KEEP_FIELD_MAX) { err_set(e, "%s: \"keep_max\": expected a field name", file_l); goto done; }
        snprintf(cfg->keep_field, sizeof cfg->keep_field, "%s", sv);
    }
    if (config_number(j, "verify_jaccard", 0, &v, file_l, e) < 0) goto done;
    if (v != 0) {
        if (!(v > 0 && v <= 1)) { err_set(e, "%s: \"verify_jaccard\": expected (0, 1]", file_l); goto done; }
        ro->verify_jaccard = v;
        cfg->store_shingles = 1;
    }
    rc = 0;
done:
    cJSON_Delete(root);
    return rc;
}

enum { ST_SIG = 1, ST_BUCKETS = 2, ST_CLUSTER = 4, ST_ATTRS = 8, ST_ALL = 15 };

int cmd_dedup(int argc, char **argv)
{
    enum { O_WORK = 256, O_DOCS, O_OUT, O_STAGE, O_SHARD, O_THREADS, O_MEM, O_BANDS, O_ROWS,
           O_SHINGLE, O_SEED, O_NORM, O_XNORM, O_NOID, O_NOTEXT, O_NOURL, O_KEEP, O_VERIFY,
           O_SYNTH, O_SYNTHDUPS, O_CONFIG };
    static const struct option opts[] = {
        {"work", required_argument, 0, O_WORK},       {"docs", required_argument, 0, O_DOCS},
        {"out", required_argument, 0, O_OUT},         {"stage", required_argument, 0, O_STAGE},
        {"shard", required_argument, 0, O_SHARD},     {"threads", required_argument, 0, O_THREADS},
        {"mem", required_argument, 0, O_MEM},         {"bands", required_argument, 0, O_BANDS},
        {"rows", required_argument, 0, O_ROWS},       {"shingle", required_argument, 0, O_SHINGLE},
        {"seed", required_argument, 0, O_SEED},       {"normalize", required_argument, 0, O_NORM},
        {"exact-normalize", required_argument, 0, O_XNORM},
        {"no-exact-id", no_argument, 0, O_NOID},      {"no-exact-text", no_argument, 0, O_NOTEXT},
        {"no-exact-url", no_argument, 0, O_NOURL},    {"keep-max", required_argument, 0, O_KEEP},
        {"verify-jaccard", required_argument, 0, O_VERIFY},
        {"synthetic", required_argument, 0, O_SYNTH},
        {"synthetic-dups", required_argument, 0, O_SYNTHDUPS},
        {"config", required_argument, 0, O_CONFIG},
        {"quiet", no_argument, 0, 'q'},               {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    dd_config cfg;
    dd_config_default(&cfg);
    dd_run_opts ro = {.shard = 0, .nshards = 1, .threads = 1, .mem_bytes = 512u << 20};
    const char *work = NULL, *docs = NULL, *out = NULL;
    const char *shard_flag = NULL;
    int stages = ST_ALL, quiet = 0, c, v;
    unsigned long long synth = 0;
    double synth_dups = 0.1;
    blalm_err err;
    opterr = 0;
    optind = 0;   /* first pass: only --config, so that flags override it */
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        if (c == O_CONFIG && apply_config(optarg, &cfg, &ro, &err) < 0) {
            fprintf(stderr, "blalm dedup: %s\n", err.msg);
            return 1;
        }
    }
    optind = 0;
    while ((c = cli_getopt(argc, argv, "qh", opts)) != -1) {
        switch (c) {
        case O_CONFIG: break;
        case O_WORK: work = optarg; break;
        case O_DOCS: docs = optarg; break;
        case O_OUT: out = optarg; break;
        case O_STAGE:
            if (!strcmp(optarg, "signatures")) stages = ST_SIG;
            else if (!strcmp(optarg, "buckets")) stages = ST_BUCKETS;
            else if (!strcmp(optarg, "cluster")) stages = ST_CLUSTER;
            else if (!strcmp(optarg, "attributes")) stages = ST_ATTRS;
            else return cli_usage_error(usage, "dedup: --stage '%s': expected signatures, "
                                               "buckets, cluster or attributes", optarg);
            break;
        case O_SHARD:
            if (cli_parse_shard(optarg, &ro.shard, &ro.nshards) < 0)
                return cli_usage_error(usage, "dedup: --shard '%s': expected I/N with 0 <= I < N",
                                       optarg);
            shard_flag = optarg;
            break;
        case O_THREADS:
            if (parse_int(optarg, 1, DD_MAX_THREADS, &ro.threads) < 0)
                return cli_usage_error(usage, "dedup: --threads '%s': expected 1..%d", optarg, DD_MAX_THREADS);
            break;
        case O_MEM:
            if (parse_int(optarg, 1, 1 << 20, &v) < 0)
                return cli_usage_error(usage, "dedup: --mem '%s': expected megabytes", optarg);
            ro.mem_bytes = (size_t)v << 20;
            break;
        case O_BANDS: case O_ROWS: case O_SHINGLE: {
            /* bands x rows is checked against DD_MAX_HASHES after parsing */
            int max = c == O_SHINGLE ? DD_MAX_SHINGLE : DD_MAX_HASHES;
            if (parse_int(optarg, 1, max, &v) < 0)
                return cli_usage_error(usage, "dedup: --%s '%s': expected an integer from 1 to %d",
                                       cli_option_name(opts, c), optarg, max);
            if (c == O_BANDS) cfg.bands = v;
            else if (c == O_ROWS) cfg.rows = v;
            else cfg.shingle = v;
            break;
        }
        case O_SEED: {
            /* the range --config allows: integers a JSON number holds
             * exactly, below 2^53 (from 2^53 on, two integers read alike) */
            unsigned long long u;
            if (cli_parse_seed(optarg, &u) < 0)
                return cli_usage_error(usage, "dedup: --seed '%s': expected a whole number from 0 to %llu",
                                       optarg, CLI_SEED_MAX);
            cfg.seed = u;
            break;
        }
        case O_NORM: case O_XNORM:
            if (dd_norm_parse(optarg, c == O_NORM ? &cfg.minhash_norm : &cfg.exact_norm, &err) < 0)
                return cli_usage_error(usage, "dedup: %s", err.msg);
            break;
        case O_NOID: cfg.exact_id = 0; break;
        case O_NOTEXT: cfg.exact_text = 0; break;
        case O_NOURL: cfg.exact_url = 0; break;
        case O_KEEP:
            if (!*optarg || strlen(optarg) >= DD_KEEP_FIELD_MAX)
                return cli_usage_error(usage, "dedup: --keep-max: expected a field name "
                                              "(< %d bytes)", DD_KEEP_FIELD_MAX);
            snprintf(cfg.keep_field, sizeof cfg.keep_field, "%s", optarg);
            break;
        case O_VERIFY:
            if (cli_parse_real(optarg, &ro.verify_jaccard) < 0
                || !(ro.verify_jaccard > 0 && ro.verify_jaccard <= 1))
                return cli_usage_error(usage, "dedup: --verify-jaccard '%s': expected a number "
                                              "in (0, 1]", optarg);
            cfg.store_shingles = 1;
            break;
        case O_SYNTH:
            if (cli_parse_count(optarg, &synth) < 0 || synth == 0)
                return cli_usage_error(usage, "dedup: --synthetic '%s': expected a count", optarg);
            break;
        case O_SYNTHDUPS:
            if (cli_parse_real(optarg, &synth_dups) < 0 || synth_dups < 0 || synth_dups > 1)
                return cli_usage_error(usage, "dedup: --synthetic-dups: expected 0..1");
            break;
        case 'q': quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "dedup", opts, argv, optind);
        }
    }
    if (optind < argc) return cli_usage_error(usage, "dedup: unexpected argument '%s'", argv[optind]);
    if (!work) return cli_usage_error(usage, "dedup: --work WORK is required");
    /* the environment's shard (Slurm array, Open MPI) applies to one stage at a
     * time: all four stages in one process run unsharded */
    if (shard_flag || stages != ST_ALL) {
        shard_spec spec;
        if (env_resolve_shard("dedup", shard_flag, &spec) < 0) return 2;   /* bad usage, as a bad --shard */
        ro.shard = spec.index;
        ro.nshards = spec.count;
    }
    if (ro.nshards > 1 && stages == ST_ALL)
        return cli_usage_error(usage, "dedup: --shard %d/%d runs one stage: add --stage",
                               ro.shard, ro.nshards);
    if (dd_config_check(&cfg, &err) < 0) return cli_usage_error(usage, "dedup: %s", err.msg);
    if (cli_check_out_dirs("dedup", work, out)) return 1;

    work_dirs wd;
    if (work_dirs_init(&wd, work, docs, out, &err) < 0) {
        fprintf(stderr, "blalm dedup: %s\n", err.msg);
        return 1;
    }
    char state[8192], stats[8192];
    snprintf(state, sizeof state, "%s/dedup", wd.state);
    snprintf(stats, sizeof stats, "%s/dedup.json", wd.stats);
    dd_paths paths = {wd.docs, wd.attrs, state, stats};

    if (synth) {
        if (dd_synthetic_signatures(&cfg, &paths, synth, synth_dups, 16, &err) < 0) {
            fprintf(stderr, "blalm dedup: %s\n", err.msg);
            return 1;
        }
        if (!quiet)
            fprintf(stderr, "blalm dedup: %llu synthetic signatures in %s/signatures\n", synth, state);
        return 0;
    }
    cli_warn_skipped_docs("dedup", wd.docs);

    static const struct { int bit; const char *name; } order[4] = {
        {ST_SIG, "signatures"}, {ST_BUCKETS, "buckets"}, {ST_CLUSTER, "cluster"},
        {ST_ATTRS, "attributes"}};
    prog_relay bars;
    env_prog_relay(quiet, PROG_COUNT, &bars);
    ro.progress = prog_relay_fn;
    ro.progress_arg = &bars;
    dd_stats st[4];
    memset(st, 0, sizeof st);
    double t0 = now_seconds();
    for (int k = 0; k < 4; k++) {
        if (!(stages & order[k].bit)) continue;
        int rc;
        if (order[k].bit == ST_CLUSTER && ro.shard != 0) {
            /* one process clusters everything; other workers have nothing to do */
            if (!quiet)
                fprintf(stderr, "blalm dedup: cluster: runs on shard 0 only; shard %d/%d has "
                                "nothing to do\n", ro.shard, ro.nshards);
            continue;
        }
        switch (order[k].bit) {
        case ST_SIG: rc = dd_stage_signatures(&cfg, &paths, &ro, &st[k], &err); break;
        case ST_BUCKETS: rc = dd_stage_buckets(&cfg, &paths, &ro, &st[k], &err); break;
        case ST_CLUSTER: rc = dd_stage_cluster(&cfg, &paths, &ro, &st[k], &err); break;
        default: rc = dd_stage_attributes(&cfg, &paths, &ro, &st[k], &err); break;
        }
        prog_relay_end(&bars);
        if (rc < 0) {
            fprintf(stderr, "blalm dedup: %s stage: %s\n", order[k].name, err.msg);
            return 1;
        }
        if (order[k].bit == ST_CLUSTER) {
            char id_off[8400];
            snprintf(id_off, sizeof id_off, "remove %s, then rerun with --no-exact-id", paths.state);
            char msg[12000];
            for (int w = 0; w < DD_CLUSTER_WARNINGS; w++)
                if (dd_cluster_warning(w, &cfg, &st[k], id_off, stats, msg, sizeof msg))
                    fprintf(stderr, "blalm dedup: %s\n", msg);
        }
        /* the stage's figures; its completion is in each unit's marker */
        char name[96];
        if (ro.nshards > 1) snprintf(name, sizeof name, "%s-%d-of-%d", order[k].name, ro.shard, ro.nshards);
        else snprintf(name, sizeof name, "%s", order[k].name);
        if (dd_stats_record(&paths, name, &st[k], &err) < 0) {
            fprintf(stderr, "blalm dedup: %s\n", err.msg);
            return 1;
        }
        if (!quiet && stages != ST_ALL) {
            if (order[k].bit == ST_SIG)
                fprintf(stderr, "blalm dedup: signatures: %llu files (%llu already done), %llu docs, "
                                "%.1f MB of text in %.2f s (%.1f MB/s; %.2f CPU s, %.1f MB per CPU s), max rss %ld kB\n",
                        (unsigned long long)st[k].files, (unsigned long long)st[k].files_skipped,
                        (unsigned long long)st[k].docs, st[k].text_bytes / 1e6, st[k].seconds,
                        st[k].seconds > 0 ? st[k].text_bytes / 1e6 / st[k].seconds : 0.0,
                        st[k].cpu_seconds,
                        st[k].cpu_seconds > 0 ? st[k].text_bytes / 1e6 / st[k].cpu_seconds : 0.0,
                        st[k].max_rss_kb);
            else if (order[k].bit == ST_BUCKETS)
                fprintf(stderr, "blalm dedup: buckets: %llu units (%llu already done), %llu docs, "
                                "%llu candidate pairs in %.2f s (%.2f CPU s), max rss %ld kB\n",
                        (unsigned long long)st[k].files, (unsigned long long)st[k].files_skipped,
                        (unsigned long long)st[k].docs, (unsigned long long)st[k].pairs_lsh,
                        st[k].seconds, st[k].cpu_seconds, st[k].max_rss_kb);
            else if (order[k].bit == ST_CLUSTER)
                fprintf(stderr, "blalm dedup: cluster: %llu docs, %llu clusters, %llu dropped%s "
                                "in %.2f s (%.2f CPU s), max rss %ld kB\n",
                        (unsigned long long)st[k].docs, (unsigned long long)st[k].clusters,
                        (unsigned long long)st[k].dropped,
                        st[k].files_skipped ? " (already done)" : "", st[k].seconds,
                        st[k].cpu_seconds, st[k].max_rss_kb);
            else
                fprintf(stderr, "blalm dedup: attributes: %llu files (%llu already done), %llu docs "
                                "in %.2f s\n",
                        (unsigned long long)st[k].files, (unsigned long long)st[k].files_skipped,
                        (unsigned long long)st[k].docs, st[k].seconds);
        }
    }
    if (!quiet && stages == ST_ALL && st[2].files_skipped) {
        fprintf(stderr, "blalm dedup: %llu docs, already deduplicated (figures in %s); %.2f s\n",
                (unsigned long long)st[2].docs, stats, now_seconds() - t0);
    } else if (!quiet && stages == ST_ALL) {
        const dd_stats *cl = &st[2];
        fprintf(stderr, "blalm dedup: %llu docs, %llu exact duplicates, %llu clusters with "
                        "duplicates, %llu dropped, %llu kept; signatures %.1f MB/s; %.2f s\n",
                (unsigned long long)cl->docs, (unsigned long long)cl->exact_dups,
                (unsigned long long)cl->multi_clusters, (unsigned long long)cl->dropped,
                (unsigned long long)(cl->docs - cl->dropped),
                st[0].seconds > 0 ? st[0].text_bytes / 1e6 / st[0].seconds : 0.0,
                now_seconds() - t0);
    }
    return 0;
}
