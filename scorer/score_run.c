/* score_run.c - the score stage over a work directory (score.h): --where
 * checks, the --sample pass, one document file at a time through the request
 * window (schedule.c), completion markers, shards and the stats file. */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/attrsets.h"
#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/http.h"
#include "lib/marker.h"
#include "lib/rules.h"
#include "lib/sighold.h"
#include "lib/utf8.h"
#include "lib/zio.h"
#include "scorer/sample.h"
#include "scorer/score_internal.h"

#define MAX_WHERE_SETS 16

/* ---- --where ---- */

typedef struct where_ctx {
    const work_dirs *w;
    const char *first_rel;
    char sets[MAX_WHERE_SETS][64];
    cJSON *first[MAX_WHERE_SETS];
    int nsets;
} where_ctx;

static void collect_set(void *ctx, const char *set, const char *key)
{
    (void)key;
    where_ctx *c = ctx;
    for (int i = 0; i < c->nsets; i++)
        if (!strcmp(c->sets[i], set)) return;
    if (c->nsets < MAX_WHERE_SETS) snprintf(c->sets[c->nsets++], sizeof c->sets[0], "%s", set);
}

/* A set is known when its attribute file for the first document file exists;
 * a key when the registry fixes it for that set (attrsets.h) or the set's
 * first line has it (keys a stage added, sets made by hand). */
static int known_key(void *ctx, const char *set, const char *key)
{
    where_ctx *c = ctx;
    for (int i = 0; i < c->nsets; i++) {
        if (strcmp(c->sets[i], set)) continue;
        if (!c->first[i]) {
            char p[8192];
            attr_path_for(c->w, set, c->first_rel, p, sizeof p);
            blalm_err e;
            zreader *z = file_exists(p) ? zr_open(p, &e) : NULL;
            const char *line;
            size_t len;
            if (z && zr_line(z, &line, &len, &e) == 1) {
                cJSON *j = cJSON_ParseWithLength(line, len);
                cJSON *o = j ? cJSON_DetachItemFromObjectCaseSensitive(j, set) : NULL;
                c->first[i] = o ? o : cJSON_CreateObject();
                cJSON_Delete(j);
            }
            if (z) zr_close(z);
            if (!c->first[i]) return -1;
        }
        if (attrsets_has_fixed_key(set, key) == 1) return 1;
        return cJSON_GetObjectItemCaseSensitive(c->first[i], key) ? 1 : 0;
    }
    return -1;
}

/* Opens file f for reading: joined with the sets --where reads, or alone. */
static int open_input(const score_opts *o, const rule *where, const where_ctx *wc,
                      const doc_file *f, const doc_opts *dopt, attr_join **aj, doc_reader **dr,
                      blalm_err *e)
{
    *aj = NULL;
    *dr = NULL;
    if (!where) {
        *dr = doc_open(f->path, dopt, e);
        return *dr ? 0 : -1;
    }
    const char *paths[MAX_WHERE_SETS], *sets[MAX_WHERE_SETS];
    char pbuf[MAX_WHERE_SETS][8192];
    for (int i = 0; i < wc->nsets; i++) {
        attr_path_for(o->dirs, wc->sets[i], f->rel, pbuf[i], sizeof pbuf[i]);
        paths[i] = pbuf[i];
        sets[i] = wc->sets[i];
    }
    *aj = attrj_open(f->path, dopt, paths, sets, wc->nsets, e);
    return *aj ? 0 : -1;
}

/* The next document and whether --where selects it: 1, 0 at the end, -1. */
static int next_doc(const rule *where, const where_ctx *wc, const doc_file *f, attr_join *aj,
                    doc_reader *dr, blalm_doc *d, int *selected, blalm_err *e)
{
    *selected = 1;
    if (!aj) return doc_next(dr, d, e);
    cJSON *objs[MAX_WHERE_SETS];
    int got = attrj_next(aj, d, objs, e);
    if (got != 1) return got;
    cJSON *all = cJSON_CreateObject();
    for (int i = 0; i < wc->nsets; i++) cJSON_AddItemReferenceToObject(all, wc->sets[i], objs[i]);
    *selected = rule_eval(where, all, e);
    cJSON_Delete(all);
    if (*selected < 0) {
        err_prefix(e, "%s: row %llu: --where", f->path, (unsigned long long)d->row);
        return -1;
    }
    return 1;
}

/* ---- --sample: a first pass over the candidates of every file (all
 * shards draw the same sample) ---- */

/* rows, when not NULL: each file's documents, counted on the way (the bar's total) */
static llm_sample *sample_pass(const score_opts *o, const rule *where, const where_ctx *wc,
                               const doc_file *files, size_t nfiles, int64_t *rows, blalm_err *e)
{
    llm_sample *smp = sample_new(o->sample, (uint64_t)o->seed);
    if (!smp) {
        err_set(e, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < nfiles; i++) {
        const doc_file *f = &files[i];
        doc_opts dopt;
        memset(&dopt, 0, sizeof dopt);
        dopt.default_source = f->source;
        dopt.text_only = 1;   /* prompts hold the text only */
        attr_join *aj;
        doc_reader *dr;
        if (open_input(o, where, wc, f, &dopt, &aj, &dr, e) < 0) goto fail;
        blalm_doc d;
        int got, selected;
        /* a blank document is never sent: drawn, it would be a label short */
        int64_t count = 0;
        while ((got = next_doc(where, wc, f, aj, dr, &d, &selected, e)) == 1 && ++count)
            if (selected && !score_text_blank(d.text, d.text_len) &&
                sample_add(smp, d.source, d.source_len, d.text_len, f->rel, d.row, e) < 0) {
                got = -1;
                break;
            }
        attrj_close(aj);
        doc_close(dr);
        if (got < 0) goto fail;
        if (rows) rows[i] = count;
    }
    if (sample_finish(smp, e) == 0) return smp;
fail:
    sample_free(smp);
    return NULL;
}

/* ---- one document file ---- */

void score_marker_unit(const char *rel, char *out, size_t cap)
{
    char stem[4096];
    doc_rel_stem(rel, stem, sizeof stem);
    snprintf(out, cap, "edu_llm/%s", stem);
}

typedef struct score_job {
    const score_opts *o;
    score_sched S;
    llm_params params;
    llm_template tpl;
    sbuf params_json;           /* the generation parameters as sent */
    rule *where;
    where_ctx wc;
    llm_sample *sample;
    char run_key[65];
    sbuf command;               /* what the records name as the command that makes them again */
} score_job;

/* The endpoint as files may hold it: userinfo and query redacted, and the
 * API key wherever it appears (a key put in the URL's path, as some
 * gateways take it). */
static void redact_endpoint(const score_opts *o, char *out, size_t cap)
{
    char auth[600] = "";
    const char *headers[2] = {NULL, NULL};
    if (o->api_key && *o->api_key && strlen(o->api_key) < 500) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->api_key);
        headers[0] = auth;
    }
    http_redact(o->base_url ? o->base_url : "", headers, out, cap);
}

/* The command that makes edu_llm again, for the records (the caller adds
 * where the documents are): every option that shapes the answers, as
 * effective (flags, --config and the environment resolved), shell-quoted.
 * Never the API key: the endpoint's user:password and query are redacted as
 * in the markers; the spending guards, --shard and the pacing options
 * (concurrency, rps, tpm, timeout, attempts) shape no answer and are left out. */
static void record_command(const score_opts *o, sbuf *b)
{
    char endpoint[4200];
    redact_endpoint(o, endpoint, sizeof endpoint);
    sb_adds(b, "blalm score");
    sb_shell_opt(b, "model", o->model ? o->model : "");
    sb_shell_opt(b, "endpoint", endpoint);
    if (o->prompt_path) sb_shell_opt(b, "prompt", o->prompt_path);
    sb_printf(b, " --max-chars %llu --temperature ", (unsigned long long)o->max_chars);
    if (o->no_temperature) sb_adds(b, "none"); else sb_json_num(b, o->temperature);
    sb_printf(b, " --max-tokens %d", o->max_tokens);
    if (o->max_completion_tokens) sb_adds(b, " --max-tokens-param max_completion_tokens");
    if (o->has_seed) sb_printf(b, " --seed %lld", o->seed);
    if (o->has_sample) sb_printf(b, " --sample %llu", (unsigned long long)o->sample);
    if (o->json_schema) sb_shell_opt(b, "json-schema", NULL);
    if (o->where) sb_shell_opt(b, "where", o->where);
    if (o->cache_dir) sb_shell_opt(b, "cache", o->cache_dir);
    sb_addc(b, 0);   /* a C string */
    b->len--;
}

/* What every file of a run shares: parameters, template, the --where rule
 * and the sets it reads, the run key. */
static int job_init(score_job *J, const score_opts *o, blalm_err *e)
{
    memset(J, 0, sizeof *J);
    J->o = o;
    J->wc.w = o->dirs;
    char why[200];
    /* curl would take "user:pw@host" or "ftp://" too, and echo it in errors */
    if (llm_endpoint_check(o->base_url ? o->base_url : "", why, sizeof why) < 0)
        return err_set(e, "the endpoint %s", why);
    sb_init(&J->params_json);
    llm_params *p = &J->params;
    p->base_url = o->base_url;
    p->model = o->model ? o->model : "";
    p->temperature = o->temperature;
    p->no_temperature = o->no_temperature;
    p->max_tokens = o->max_tokens;
    p->max_completion_tokens = o->max_completion_tokens;
    p->has_seed = o->has_seed;
    p->seed = o->seed;
    p->json_schema = o->json_schema;
    J->S.o = o;
    J->S.params = &J->params;
    J->S.tpl = &J->tpl;
    if (llm_template_load(&J->tpl, o->prompt_path, e) < 0) return -1;
    if (o->where) {
        J->where = rule_parse(o->where, e);
        if (!J->where) return err_prefix(e, "--where");
        rule_refs(J->where, collect_set, &J->wc);
        if (J->wc.nsets >= MAX_WHERE_SETS)
            return err_set(e, "--where: more than %d attribute sets", MAX_WHERE_SETS - 1);
    }
    llm_params_json(p, &J->params_json);
    /* the attribute records' config names this run key */
    sbuf k;
    sb_init(&k);
    sb_printf(&k, "%s\n%s\n%s\n%s\n%llu\n%s", o->base_url, p->model, J->tpl.sha256,
              sb_cstr(&J->params_json), (unsigned long long)o->max_chars, o->where ? o->where : "");
    if (o->has_sample)
        sb_printf(&k, "\nsample %llu seed %lld", (unsigned long long)o->sample, o->seed);
    sha256_hex(k.data, k.len, J->run_key);
    sb_free(&k);
    record_command(o, &J->command);
    return 0;
}

static void job_free(score_job *J)
{
    sched_free(&J->S);
    llm_client_free(J->S.client);
    llm_cache_close(J->S.cache);
    llm_template_free(&J->tpl);
    rule_free(J->where);
    sample_free(J->sample);
    for (int i = 0; i < J->wc.nsets; i++) cJSON_Delete(J->wc.first[i]);
    sb_free(&J->params_json);
    sb_free(&J->command);
}

/* The marker key of file f: its identity, the attribute files --where reads,
 * and every setting that changes edu_llm. */
static marker_key *file_key(score_job *J, const char *rel, const doc_identity *ident,
                            blalm_err *e)
{
    const score_opts *o = J->o;
    marker_key *k = marker_key_new("score");
    if (!k) {
        err_set(e, "out of memory");
        return NULL;
    }
    marker_key_identity(k, rel, ident->size, ident->mtime_ns, ident->xxh3);
    for (int i = 0; J->where && i < J->wc.nsets; i++) {
        char p[8192], stem[4096], name[4200];
        attr_path_for(o->dirs, J->wc.sets[i], rel, p, sizeof p);
        doc_rel_stem(rel, stem, sizeof stem);
        snprintf(name, sizeof name, "%s/%s.jsonl.zst", J->wc.sets[i], stem);
        if (marker_key_file(k, name, p, e) < 0) {
            marker_key_free(k);
            return NULL;
        }
    }
    /* markers are plain files: a user:password@ or query string in the
     * endpoint is recorded redacted (credentials do not change answers) */
    char endpoint[4200];
    redact_endpoint(o, endpoint, sizeof endpoint);
    marker_key_setting(k, "endpoint", endpoint);
    marker_key_setting(k, "model", o->model ? o->model : "");
    marker_key_setting(k, "prompt_sha256", J->S.tpl->sha256);
    marker_key_setting(k, "params", sb_cstr(&J->params_json));
    marker_key_settingf(k, "max_chars", "%llu", (unsigned long long)o->max_chars);
    marker_key_setting(k, "where", o->where ? o->where : "");
    if (o->has_sample)
        marker_key_settingf(k, "sample", "%llu seed %lld", (unsigned long long)o->sample, o->seed);
    if (o->has_sample && J->sample)   /* what it takes: other files' candidates change it too */
        marker_key_settingf(k, "sample_taken", "%016llx", (unsigned long long)sample_fingerprint(J->sample));
    else if (!o->has_sample)
        marker_key_setting(k, "sample", "");
    return k;
}

/* ---- SIGTERM and SIGINT (a Slurm time limit, Ctrl-C) ----
 * The handler only records the signal; the loop then stops sending, waits
 * for the requests on the wire (each within --timeout), makes their answers
 * durable in the cache and removes the attribute file's temp, and the
 * command ends as the signal would have ended it (score_counts.stop_signal). */
static volatile sig_atomic_t stop_sig;

static void on_stop_signal(int sig)
{
    if (!stop_sig) {
        stop_sig = sig;
        return;
    }
    /* A second one (Ctrl-C again while the requests on the wire are waited
     * for): the user wants out now. The same signal again meets the default
     * action already (SA_RESETHAND: sig_stop_install); this is the other
     * one. Only async-signal-safe calls: the default action, delivered once
     * this handler returns. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    raise(sig);
}

static int stopping(void) { return stop_sig != 0; }

/* The config an edu_llm attribute record names (unchanged since before
 * markers): what makes a file's record current for this run. */
static void record_config(const score_job *J, char *out, size_t cap)
{
    snprintf(out, cap, "score run %s", J->run_key);
}

/* rows: the file's documents when known (progress counts a skipped file's
 * at once), else -1 */
static int score_file(score_job *J, const doc_file *f, int64_t rows, blalm_err *e)
{
    const score_opts *o = J->o;
    score_sched *S = &J->S;
    score_counts *n = S->n;
    const work_dirs *w = o->dirs;
    char out[8192], unit[4200], config[128];
    attr_path_for(w, "edu_llm", f->rel, out, sizeof out);
    score_marker_unit(f->rel, unit, sizeof unit);
    record_config(J, config, sizeof config);
    int markers = !o->dry_run && w->state[0];
    /* the document file as it is now: an edited file is scored again, and
     * the record says what edu_llm was made from */
    doc_identity ident;
    marker_key *key = NULL;
    if (!o->dry_run && doc_identity_of(f->path, &ident, e) < 0) return -1;
    if (markers) {
        key = file_key(J, f->rel, &ident, e);
        if (!key) return -1;
        int st = o->force ? MARKER_ABSENT
                          : marker_check(w->state, "score", unit, key, NULL, 0, e);
        if (st < 0) {
            marker_key_free(key);
            return -1;
        }
        if (st == MARKER_DONE && attr_record_current(out, &ident, config)) {
            n->files_skipped++;
            if (S->progress && rows > 0) S->progress(S->progress_arg, (uint64_t)rows, 0);
            marker_key_free(key);
            return 0;
        }
        /* redone from here: a marker stays only beside what it proves */
        if (marker_remove(w->state, "score", unit, e) < 0) {
            marker_key_free(key);
            return -1;
        }
    }
    n->files++;
    doc_opts dopt;
    memset(&dopt, 0, sizeof dopt);
    dopt.default_source = f->source;
    dopt.id_stem = f->id_stem;
    dopt.text_only = 1;   /* prompts hold the text only */
    doc_reader *dr = NULL;
    attr_join *aj = NULL;
    attr_writer *aw = NULL;
    int rc = -1, eof = 0;
    uint64_t docs0 = n->docs, sel0 = n->selected, guard0 = n->not_sent, refused0 = n->request_errors;
    sbuf prompt, scratch;
    sb_init(&prompt);
    sb_init(&scratch);
    S->head = S->next = 0;
    if (open_input(o, J->where, &J->wc, f, &dopt, &aj, &dr, e) < 0) goto out;
    if (!o->dry_run) {
        remove_stale_temps(out);
        aw = attrw_open(out, "edu_llm", e);
        if (!aw) goto out;
    }
    for (;;) {
        if (stopping() && o->dry_run) {
            err_set(e, "interrupted by %s: the dry run stopped, nothing was sent or written",
                    sig_stop_name(stop_sig));
            goto out;
        }
        if (stopping()) {
            sched_stop(S, &scratch);
            err_set(e, "interrupted by %s: nothing more was sent; the answers received are in the cache "
                    "and %s was not written (a rerun resumes)", sig_stop_name(stop_sig), out);
            goto out;
        }
        while (!eof && sched_has_room(S)) {
            blalm_doc d;
            int selected;
            int got = next_doc(J->where, &J->wc, f, aj, dr, &d, &selected, e);
            if (got < 0) goto out;
            if (got == 0) {
                eof = 1;
                break;
            }
            if (selected && J->sample)
                selected = !score_text_blank(d.text, d.text_len) &&
                           sample_has(J->sample, d.source, d.source_len, d.text_len, f->rel, d.row);
            if (sched_fill(S, &d, selected, &prompt, e) < 0) goto out;
        }
        if (sched_flush(S, aw, e) < 0) goto out;
        if (eof && sched_empty(S)) break;
        if (o->dry_run) continue;
        if (sched_step(S, !eof && sched_has_room(S), &scratch, e) < 0) goto out;
    }
    rc = 0;
    if (aw) {
        rc = attrw_commit(aw, e);
        aw = NULL;
        if (rc < 0) goto out;
        int complete = n->not_sent == guard0;
        rc = attr_record_write(out, "edu_llm", f->rel, &ident, n->docs - docs0, complete, config,
                               sb_cstr(&J->command), e);
        if (rc < 0) goto out;
        /* A file with unsent documents is done for now, not complete: no
         * marker. One with refused documents is complete (its rows are
         * usable downstream), but gets no marker either: refusals are not
         * cached, so a rerun redoes the file and asks for them again. */
        if (complete && n->request_errors == refused0 && markers) {
            char result[160];
            snprintf(result, sizeof result, "{\"documents\":%llu,\"selected\":%llu}",
                     (unsigned long long)(n->docs - docs0),
                     (unsigned long long)(n->selected - sel0));
            rc = marker_commit(w->state, "score", unit, key, result, e);
        }
    }
out:
    if (rc < 0 && !e->msg[0]) err_set(e, "%s: failed", f->path);
    if (aw) attrw_abort(aw);
    doc_close(dr);
    attrj_close(aj);
    marker_key_free(key);
    sb_free(&prompt);
    sb_free(&scratch);
    return rc < 0 ? -1 : 0;
}

/* ---- the stats file ---- */

static int summarize_files(const work_dirs *w, const doc_file *files, size_t nfiles,
                           const shard_spec *shard, score_summary *s, blalm_err *e);

/* The top level describes the whole set of files this process owns, those
 * complete before included, as their edu_llm files hold it (what `score
 * --stats` counts): a resumed or repeated run no longer reports 0 documents
 * or loses the tokens the set's answers cost. "this_run" is this
 * invocation's own work: what it sent, what the cache answered, the tokens
 * it spent, its time. */
static void write_stats_file(const score_opts *o, const llm_params *params, score_counts *n,
                             const score_summary *all)
{
    char suffix[64];
    shard_suffix(&o->shard, suffix, sizeof suffix);
    snprintf(n->stats_path, sizeof n->stats_path, "%s/score%s.json", o->dirs->stats, suffix);
    uint64_t scored = 0;
    for (int i = 0; i < 6; i++) scored += all->hist[i];
    sbuf b;
    sb_init(&b);
    sb_printf(&b, "{\"stage\":\"score\",\"model\":");
    sb_json_str(&b, params->model, strlen(params->model));
    sb_printf(&b, ",\"prompt_sha256\":\"%s\",\"files\":%llu,\"documents\":%llu,\"selected\":%llu,"
                  "\"scored\":%llu,\"parse_errors\":%llu,\"request_errors\":%llu,\"empty\":%llu,\"not_sent\":%llu,"
                  "\"finish_length\":%llu,\"histogram\":[%llu,%llu,%llu,%llu,%llu,%llu],"
                  "\"prompt_tokens\":%llu,\"completion_tokens\":%llu,\"attempts\":%llu,",
              n->prompt_sha256, (unsigned long long)all->files, (unsigned long long)all->docs,
              (unsigned long long)all->selected, (unsigned long long)scored,
              (unsigned long long)all->parse_errors,
              (unsigned long long)(all->refused + all->other_errors),
              (unsigned long long)all->empty, (unsigned long long)all->not_sent, (unsigned long long)all->finish_length,
              (unsigned long long)all->hist[0], (unsigned long long)all->hist[1],
              (unsigned long long)all->hist[2], (unsigned long long)all->hist[3],
              (unsigned long long)all->hist[4], (unsigned long long)all->hist[5],
              (unsigned long long)all->prompt_tokens, (unsigned long long)all->completion_tokens,
              (unsigned long long)all->attempts);
    if (o->shard.count > 1) sb_printf(&b, "\"shard\":\"%d/%d\",", o->shard.index, o->shard.count);
    sb_printf(&b, "\"this_run\":{\"files\":%llu,\"files_skipped\":%llu,\"documents\":%llu,"
                  "\"selected\":%llu,\"cached\":%llu,\"sent\":%llu,\"attempts\":%llu,"
                  "\"scored\":%llu,\"parse_errors\":%llu,\"request_errors\":%llu,\"empty\":%llu,\"not_sent\":%llu,"
                  "\"finish_length\":%llu,\"histogram\":[%llu,%llu,%llu,%llu,%llu,%llu],"
                  "\"prompt_tokens\":%llu,\"completion_tokens\":%llu,",
              (unsigned long long)n->files, (unsigned long long)n->files_skipped,
              (unsigned long long)n->docs, (unsigned long long)n->selected,
              (unsigned long long)n->cached, (unsigned long long)n->sent,
              (unsigned long long)n->attempts, (unsigned long long)n->scored,
              (unsigned long long)n->parse_errors, (unsigned long long)n->request_errors,
              (unsigned long long)n->empty, (unsigned long long)n->not_sent, (unsigned long long)n->finish_length,
              (unsigned long long)n->hist[0], (unsigned long long)n->hist[1],
              (unsigned long long)n->hist[2], (unsigned long long)n->hist[3],
              (unsigned long long)n->hist[4], (unsigned long long)n->hist[5],
              (unsigned long long)n->prompt_tokens, (unsigned long long)n->completion_tokens);
    sb_adds(&b, "\"seconds\":");
    sb_json_num(&b, n->seconds);
    sb_adds(&b, "}}\n");
    blalm_err e;
    if (write_file_atomic(n->stats_path, b.data, b.len, &e) < 0)
        snprintf(n->stats_warning, sizeof n->stats_warning, "%s", e.msg);
    sb_free(&b);
}

/* ---- the stage ---- */

/* A second process scoring the same document files would pay for every
 * answer again (the cache holds an answer only once it came back). So each
 * document file this process owns, number i of the sorted list, is byte i of
 * WORK/state/score/.lock, write-locked (a POSIX record lock: the kernel
 * drops it when the process ends, SIGKILL included, and names the holder).
 * The shards of one run own disjoint files and go at once; any other process
 * owning one of the same files stops: the same command again, a sharded
 * score beside an unsharded one, two shardings (0/2 and 0/3 both own file
 * 0). The descriptor, or -1 with e set. */
static int score_lock(const work_dirs *w, const shard_spec *sh, const doc_file *files, size_t nfiles, blalm_err *e)
{
    char dir[8192], p[8300];
    snprintf(dir, sizeof dir, "%s/score", w->state);
    if (mkdir_p(dir, e) < 0) return -1;
    snprintf(p, sizeof p, "%s/.lock", dir);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return err_errno(e, "%s", p);
    for (size_t i = 0; i < nfiles; i++) {
        if (!shard_owns(sh, i)) continue;
        size_t len = sh->count <= 1 ? nfiles : 1;   /* one process: every file, one range */
        long pid;
        uint64_t at;
        int r = lock_range(fd, i, len, &pid, &at);
        if (r == 0) {
            if (sh->count <= 1) break;
            continue;
        }
        if (r == 1) {
            size_t k = at > i && at < nfiles ? (size_t)at : i;   /* the first file both own */
            err_set(e, "%s: another blalm score of this work directory is running here (pid %ld, scoring %s/%s, "
                       "holding a lock on %s); wait for it to end", dir, pid, w->docs, files[k].rel, p);
        } else {
            err_errno(e, "lock %s", p);
        }
        close(fd);
        return -1;
    }
    return fd;
}

int score_run(const score_opts *o, score_counts *n, score_progress_fn progress, void *arg,
              blalm_err *e)
{
    memset(n, 0, sizeof *n);
    /* the model's name goes into every request's JSON body, which must be
     * UTF-8 (a config's string is read as its bytes: lib/config.c) */
    size_t bad;
    if (o->model && !utf8_valid(o->model, strlen(o->model), &bad))
        return err_set(e, "the model name is not valid UTF-8 (byte \\x%02x at offset %zu); it is sent in "
                          "each request's JSON body", (unsigned char)o->model[bad], bad);
    const work_dirs *w = o->dirs;
    /* a signal ignored (nohup, a background job's SIGINT) stays ignored */
    sig_stop_saved old_sig;
    stop_sig = 0;
    sig_stop_install(&old_sig, on_stop_signal);
    score_job J;
    memset(&J, 0, sizeof J);
    doc_file *files = NULL;
    size_t nfiles = 0;
    int64_t *rows = NULL;
    int total_known = 1;
    int rc = -1, lock = -1;
    score_sched *S = &J.S;
    if (docs_walk_some(w->docs, &files, &nfiles, e) < 0) goto done;
    if (job_init(&J, o, e) < 0) goto done;
    if (!o->dry_run && w->state[0] && (lock = score_lock(w, &o->shard, files, nfiles, e)) < 0) goto done;
    S->n = n;
    S->progress = progress;
    S->progress_arg = arg;
    memcpy(n->prompt_sha256, J.tpl.sha256, sizeof n->prompt_sha256);
    for (size_t i = 0; i < nfiles; i++)
        if (shard_owns(&o->shard, i)) n->files_owned++;
    if (J.where) {
        if (nfiles) {
            J.wc.first_rel = files[0].rel;
            if (rule_check(J.where, known_key, &J.wc, e) < 0) {
                err_prefix(e, "--where");
                goto done;
            }
        }
        /* the sets --where reads: complete, of one config, made from these files */
        const char *used[MAX_WHERE_SETS];
        for (int i = 0; i < J.wc.nsets; i++) used[i] = J.wc.sets[i];
        if (attr_sets_check(w->attrs, files, nfiles, used, J.wc.nsets, ATTR_PARTIAL_REFUSE,
                            o->where_fix ? o->where_fix : "", NULL, NULL, e) < 0) {
            err_prefix(e, "--where");
            goto done;
        }
    }
    char cache_dir[8192];
    if (o->cache_dir) snprintf(cache_dir, sizeof cache_dir, "%s", o->cache_dir);
    else snprintf(cache_dir, sizeof cache_dir, "%s/score/cache", w->state);
    if (o->model && (!o->dry_run || file_exists(cache_dir))) {
        S->cache = llm_cache_open(cache_dir, e);
        if (!S->cache) goto done;
    }
    if (!o->dry_run) {
        llm_client_opts co;
        memset(&co, 0, sizeof co);
        co.base_url = o->base_url;
        co.api_key = o->api_key;
        co.concurrency = o->concurrency;
        co.timeout_s = o->timeout_s;
        co.max_attempts = o->max_attempts;
        co.max_total_s = o->retry_budget_s;
        co.rps = o->rps;
        co.tpm = o->tpm;
        co.delay_scale = o->delay_scale;
        S->client = llm_client_new(&co, e);
        if (!S->client) goto done;
    }
    /* room for slow heads of line */
    if (sched_init(S, (uint64_t)o->concurrency * 16 + 64, e) < 0) goto done;
    /* the bar's total: every owned file's rows, from parquet footers (a few
     * KB read each), from --sample's pass, or else counted (jsonl has no
     * count short of reading it) */
    if (progress && nfiles) {
        rows = malloc(nfiles * sizeof *rows);
        if (!rows) {
            err_set(e, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < nfiles; i++) rows[i] = -1;
    }
    if (o->has_sample) {
        J.sample = sample_pass(o, J.where, &J.wc, files, nfiles, rows, e);
        if (!J.sample) goto done;
        n->sample_candidates = sample_candidates(J.sample);
        n->sample_chosen = sample_chosen(J.sample);
        n->sample_strata = sample_strata(J.sample);
    }
    if (rows) {
        uint64_t total = 0;
        for (size_t i = 0; i < nfiles && total_known; i++) {
            if (!shard_owns(&o->shard, i) || rows[i] >= 0) {
                if (shard_owns(&o->shard, i)) total += (uint64_t)rows[i];
                continue;
            }
            /* a file an earlier run scored, unchanged since (its record's
             * size and mtime): the record's count, not a pass over it */
            char apath[8192], config[128];
            attr_path_for(w, "edu_llm", files[i].rel, apath, sizeof apath);
            record_config(&J, config, sizeof config);
            if (!o->force && (rows[i] = attr_record_documents_hint(apath, files[i].path, config)) >= 0) {
                total += (uint64_t)rows[i];
                continue;
            }
            doc_opts dopt;
            memset(&dopt, 0, sizeof dopt);
            dopt.default_source = files[i].source;
            dopt.id_stem = files[i].id_stem;
            dopt.text_only = 1;
            doc_reader *dr = doc_open(files[i].path, &dopt, e);
            if (!dr) goto done;
            rows[i] = doc_rows(dr);
            if (rows[i] < 0) {
                blalm_doc d;
                blalm_err ce;   /* a bad line is the file's own run to report, in its turn */
                int got = 0;
                int64_t count = 0;
                while (!stopping() && (got = doc_next(dr, &d, &ce)) == 1) count++;
                if (stopping() || got < 0) total_known = 0;
                else rows[i] = count;
            }
            doc_close(dr);
            if (rows[i] >= 0) total += (uint64_t)rows[i];
        }
        progress(arg, 0, total_known ? total : 0);
    }
    double t0 = now_seconds();
    for (size_t i = 0; i < nfiles; i++) {
        if (!shard_owns(&o->shard, i)) continue;
        if (score_file(&J, &files[i], rows ? rows[i] : -1, e) < 0) goto done;
    }
    n->seconds = now_seconds() - t0;
    if (!o->dry_run && w->stats[0]) {
        /* like a stats file that cannot be written, a set that cannot be
         * summed is a warning: the scoring itself is done */
        score_summary all;
        blalm_err se;
        if (summarize_files(w, files, nfiles, &o->shard, &all, &se) < 0)
            snprintf(n->stats_warning, sizeof n->stats_warning, "%s", se.msg);
        else
            write_stats_file(o, &J.params, n, &all);
    }
    if (!o->dry_run && n->selected > 0 && n->scored == 0 &&
        n->request_errors + n->parse_errors > n->content_refused) {
        /* a run that labelled nothing did not work, whatever each row says;
         * documents a content filter refused are their own answer (a rerun
         * that asks only for those again is no failure) */
        err_set(e, "none of the %llu selected documents got a score (%llu refused or unusable, %llu parse "
                "errors)%s%.400s", (unsigned long long)n->selected, (unsigned long long)n->request_errors,
                (unsigned long long)n->parse_errors, n->first_error[0] ? "; first error: " : "",
                n->first_error);
        goto done;
    }
    rc = 0;
done:
    if (S->cache) n->cache_records = llm_cache_records(S->cache);
    job_free(&J);   /* the cache's last fdatasync */
    lock_release(lock);
    sig_stop_restore(&old_sig);
    if (stop_sig) {
        n->stop_signal = stop_sig;
        if (rc == 0)
            err_set(e, "interrupted by %s", sig_stop_name(stop_sig));
        rc = -1;
    }
    docs_walk_free(files, nfiles);
    free(rows);
    return rc;
}

int score_marker_state(const score_opts *o, const char *rel, char *why, size_t why_cap,
                       blalm_err *e)
{
    if (why_cap) why[0] = 0;
    if (!o->dirs->state[0]) return MARKER_ABSENT;
    score_job J;
    memset(&J, 0, sizeof J);
    int rc = -1;
    marker_key *key = NULL;
    char path[8192], unit[4200];
    if (job_init(&J, o, e) < 0) goto out;
    if (o->has_sample) {   /* the file's key holds what the sample of every file takes */
        doc_file *files = NULL;
        size_t nfiles = 0;
        if (docs_walk(o->dirs->docs, &files, &nfiles, e) < 0) goto out;
        J.sample = sample_pass(o, J.where, &J.wc, files, nfiles, NULL, e);
        docs_walk_free(files, nfiles);
        if (!J.sample) goto out;
    }
    snprintf(path, sizeof path, "%s/%s", o->dirs->docs, rel);
    doc_identity ident;
    if (doc_identity_of(path, &ident, e) < 0) goto out;
    key = file_key(&J, rel, &ident, e);
    if (!key) goto out;
    score_marker_unit(rel, unit, sizeof unit);
    rc = marker_check(o->dirs->state, "score", unit, key, why, why_cap, e);
out:
    marker_key_free(key);
    job_free(&J);
    return rc;
}

/* ---- --stats, and the whole set in the stats file ---- */

/* Adds one edu_llm attribute file's lines to s. */
static int summarize_file(const char *p, score_summary *s, blalm_err *e)
{
    zreader *z = zr_open(p, e);
    if (!z) return -1;
    s->files++;
    const char *line;
    size_t len;
    int got;
    while ((got = zr_line(z, &line, &len, e)) == 1) {
        cJSON *j = cJSON_ParseWithLength(line, len);
        const cJSON *o = j ? cJSON_GetObjectItemCaseSensitive(j, "edu_llm") : NULL;
        if (!cJSON_IsObject(o)) {
            cJSON_Delete(j);
            err_set(e, "%s:%llu: expected {\"id\":..,\"edu_llm\":{..}}", p,
                    (unsigned long long)zr_lineno(z));
            got = -1;
            break;
        }
        s->docs++;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "selected"))) {
            s->selected++;
            const cJSON *sc = cJSON_GetObjectItemCaseSensitive(o, "score");
            const cJSON *er = cJSON_GetObjectItemCaseSensitive(o, "error");
            if (cJSON_IsNumber(sc) && sc->valuedouble >= 0 && sc->valuedouble <= 5)
                s->hist[(int)sc->valuedouble]++;
            else s->nulls++;
            if (cJSON_IsString(er)) {
                if (!strncmp(er->valuestring, "parse error", 11)) s->parse_errors++;
                else if (!strncmp(er->valuestring, "request refused", 15)) s->refused++;
                else if (!strncmp(er->valuestring, "not sent", 8)) s->not_sent++;
                else if (!strncmp(er->valuestring, "empty document", 14)) s->empty++;
                else s->other_errors++;
            }
            const cJSON *v;
            if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(o, "prompt_tokens")))
                s->prompt_tokens += (uint64_t)v->valuedouble;
            if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(o, "completion_tokens")))
                s->completion_tokens += (uint64_t)v->valuedouble;
            if (cJSON_IsNumber(v = cJSON_GetObjectItemCaseSensitive(o, "attempts")))
                s->attempts += (uint64_t)v->valuedouble;
            v = cJSON_GetObjectItemCaseSensitive(o, "finish_reason");
            if (cJSON_IsString(v) && !strcmp(v->valuestring, "length")) s->finish_length++;
        }
        cJSON_Delete(j);
    }
    zr_close(z);
    return got < 0 ? -1 : 0;
}

/* The files of files[] that shard owns (all: shard NULL) with an edu_llm
 * file. */
static int summarize_files(const work_dirs *w, const doc_file *files, size_t nfiles,
                           const shard_spec *shard, score_summary *s, blalm_err *e)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < nfiles; i++) {
        if (shard && !shard_owns(shard, i)) continue;
        char p[8192];
        attr_path_for(w, "edu_llm", files[i].rel, p, sizeof p);
        if (!file_exists(p)) continue;
        if (summarize_file(p, s, e) < 0) return -1;
    }
    return 0;
}

int score_summarize(const work_dirs *w, score_summary *s, blalm_err *e)
{
    memset(s, 0, sizeof *s);
    doc_file *files = NULL;
    size_t nfiles = 0;
    if (docs_walk(w->docs, &files, &nfiles, e) < 0) return -1;
    int rc = summarize_files(w, files, nfiles, NULL, s, e);
    docs_walk_free(files, nfiles);
    if (rc == 0 && !s->files)
        rc = err_set(e, "%s/edu_llm: no edu_llm attributes yet (run blalm score first)", w->attrs);
    return rc;
}
