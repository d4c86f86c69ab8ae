/* ablate.c - variants x optimizers x seeds: train, evaluate, tabulate. */
#include "trainer/ablate.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config.h"
#include "lib/corpus.h"
#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/sbuf.h"
#include "lib/sighold.h"
#include "trainer/eval.h"
#include "trainer/tokenizer.h"
#include "trainer/train.h"

/* The variant registry: every name `ablate` accepts (the enhancements issue's
 * names), in the order `--help` and errors list them. apply_variant_part
 * gives each its switches; tests/unit/test_ablate.c checks that every name
 * here is accepted by the config reader. */
static const char *const variant_names[] = {
    "mlstm", "transformer", "shortconv", "swa", "swa-memory", "swa-dynmod",
    "swa-dynmod-bounded", "hedgehog", "hedgehog-swa",
};
enum { N_VARIANTS = (int)(sizeof variant_names / sizeof *variant_names) };

const char *ablate_variant_name(int i)
{
    return i >= 0 && i < N_VARIANTS ? variant_names[i] : NULL;
}

size_t ablate_variant_list(char *buf, size_t cap)
{
    size_t n = 0;
    if (cap) buf[0] = 0;
    for (int i = 0; i < N_VARIANTS; i++) {
        int w = snprintf(n < cap ? buf + n : NULL, n < cap ? cap - n : 0, "%s%s", i ? ", " : "",
                         variant_names[i]);
        n += w > 0 ? (size_t)w : 0;
    }
    return n;
}

/* One part of a variant name applied to c; 0, or -1 when the name is unknown.
 * The same keys as scripts/variant-configs.py writes into the named configs:
 * SWA window a quarter of the context (at least 8), 8 memory slots, Hedgehog's
 * two-softmax map. */
static int apply_variant_part(const char *v, model_config *c)
{
    int window = c->context / 4 > 8 ? c->context / 4 : 8, i = 0;
    while (i < N_VARIANTS && strcmp(v, variant_names[i])) i++;
    switch (i) {
    case 0: c->mixer = MIXER_MLSTM; break;                                     /* mlstm */
    case 1: c->mixer = MIXER_ATTENTION; break;                                 /* transformer */
    case 2: c->conv_kernel = 4; break;                                         /* shortconv */
    case 3: c->swa_window = window, c->swa_mix = SWA_SUM; break;               /* swa */
    case 4: c->swa_window = window, c->swa_mix = SWA_SUM, c->swa_memory = 8; break; /* swa-memory */
    case 5: c->swa_window = window, c->swa_mix = SWA_DYNMOD; break;            /* swa-dynmod */
    case 6: c->swa_window = window, c->swa_mix = SWA_DYNMOD_BOUNDED; break;    /* swa-dynmod-bounded */
    case 7: c->hedgehog = HH_TWO_SOFTMAX; break;                               /* hedgehog */
    case 8: c->hedgehog = HH_TWO_SOFTMAX, c->swa_window = window, c->swa_mix = SWA_SUM; break; /* hedgehog-swa */
    default: return -1;
    }
    return 0;
}

/* A variant is a name or names joined by '+' (a leading '+' is allowed, as the
 * paper writes "+shortconv"): "swa-dynmod", "+hedgehog+swa", "shortconv+swa".
 * The result is checked by the config reader, so an impossible combination
 * (Hedgehog on attention) is refused with its reason. */
int ablate_variant_config(const char *variant, model_config *c, blalm_err *e)
{
    char buf[256], *save = NULL;
    if (snprintf(buf, sizeof buf, "%s", variant) >= (int)sizeof buf)
        return err_set(e, "variant name too long: '%.40s...'", variant);
    int parts = 0;
    for (char *t = strtok_r(buf, "+", &save); t; t = strtok_r(NULL, "+", &save), parts++)
        if (apply_variant_part(t, c) < 0) {
            char names[512];
            ablate_variant_list(names, sizeof names);
            return err_set(e, "variant '%s': unknown part '%s' (variants: %s, or several joined by '+')",
                           variant, t, names);
        }
    if (!parts) return err_set(e, "variant '%s': empty name", variant);
    cJSON *j = model_config_to_json(c);
    model_config check;
    char where[300];
    snprintf(where, sizeof where, "variant %s", variant);
    int rc = model_config_from_json(j, &check, where, e);
    cJSON_Delete(j);
    return rc < 0 ? -1 : 0;
}

void ablate_mean_sd(const double *x, int n, double *mean, double *sd)
{
    double s = 0, q = 0;
    for (int i = 0; i < n; i++) s += x[i];
    *mean = n ? s / n : NAN;
    for (int i = 0; i < n; i++) q += (x[i] - *mean) * (x[i] - *mean);
    *sd = n > 1 ? sqrt(q / (n - 1)) : NAN;
}

/* ------------------------------------------------------------ statistics
 *
 * Student's t distribution through the regularised incomplete beta
 * function (eval_betai, which AoA's Pearson p-values use too):
 * P(|T| > t) = I_{df/(df+t^2)}(df/2, 1/2). tests/unit/test_ablate.c holds scipy.stats' values (t.ppf, ttest_ind(equal_var=False)) to 1e-9,
 * and tests/e2e/ablate_stats.sh recomputes an ablation's with scipy. */

/* P(T > t) for t >= 0 */
static double t_upper(double t, double df)
{
    return 0.5 * eval_betai(df / 2, 0.5, df / (df + t * t));
}

double ablate_t_sf2(double t, double df)
{
    if (isnan(t) || !(df > 0)) return NAN;
    if (isinf(t)) return 0;
    return 2 * t_upper(fabs(t), df);
}

double ablate_t_ppf(double p, double df)
{
    if (!(p > 0 && p < 1) || !(df > 0)) return NAN;
    if (p == 0.5) return 0;
    double q = p > 0.5 ? 1 - p : p, lo = 0, hi = 1;
    while (t_upper(hi, df) > q && hi < 1e300) lo = hi, hi *= 2;
    /* bisection to the last bit: the tail is monotone, and a few hundred
     * evaluations cost nothing beside a training run */
    for (int i = 0; i < 2000 && hi - lo > 4e-16 * hi; i++) {
        double mid = lo + (hi - lo) / 2;
        if (t_upper(mid, df) > q) lo = mid;
        else hi = mid;
    }
    double t = lo + (hi - lo) / 2;
    return p > 0.5 ? t : -t;
}

void ablate_ci95(const double *x, int n, double *lo, double *hi)
{
    double m, sd;
    ablate_mean_sd(x, n, &m, &sd);
    if (n < 2) {
        *lo = *hi = NAN;
        return;
    }
    double h = ablate_t_ppf(0.975, n - 1) * sd / sqrt(n);
    *lo = m - h, *hi = m + h;
}

int ablate_welch(const double *a, int na, const double *b, int nb, double *t, double *df, double *p)
{
    double ma, sa, mb, sb;
    *t = *df = *p = NAN;
    if (na < 2 || nb < 2) return -1;
    ablate_mean_sd(a, na, &ma, &sa);
    ablate_mean_sd(b, nb, &mb, &sb);
    double va = sa * sa / na, vb = sb * sb / nb;
    if (!(va + vb > 0)) return -1;   /* no spread on either side: no test */
    *t = (ma - mb) / sqrt(va + vb);
    *df = (va + vb) * (va + vb) / (va * va / (na - 1) + vb * vb / (nb - 1));
    *p = ablate_t_sf2(*t, *df);
    return 0;
}

/* Splits the comma list s of option opt into at most cap items (pointers into
 * buf): the count, or ABLATE_USAGE with e set for an empty name beside others
 * ('mlstm,', ',muon', 'a,,b': they were skipped silently), more than cap
 * names or a list longer than buf (the rest was dropped silently). A list of
 * no name at all ('', ',') gives 0, for the caller to name. */
static int split_list(const char *opt, const char *s, char *buf, size_t cap_buf, char **items, int cap,
                      blalm_err *e)
{
    if (!s) s = "";
    if (strlen(s) >= cap_buf)
        return err_set(e, "--%s: a list of %zu characters; at most %zu", opt, strlen(s), cap_buf - 1), ABLATE_USAGE;
    snprintf(buf, cap_buf, "%s", s);
    int n = 0, empty = 0;
    for (char *p = buf; p;) {
        char *c = strchr(p, ',');
        if (c) *c = 0;
        if (!*p) empty = 1;
        else if (n == cap)
            return err_set(e, "--%s '%s': more than %d names", opt, s, cap), ABLATE_USAGE;
        else items[n++] = p;
        p = c ? c + 1 : NULL;
    }
    if (empty && n)
        return err_set(e, "--%s '%s': an empty name (a comma at an end, or two in a row)", opt, s), ABLATE_USAGE;
    return n;
}

static int write_json(const char *path, const cJSON *j, blalm_err *e)
{
    char *t = json_print(j, 1);
    size_t l = strlen(t);
    t[l] = '\n';
    int rc = write_file_atomic(path, t, l + 1, e);
    free(t);
    return rc;
}

static cJSON *read_json(const char *path, blalm_err *e)
{
    char *d;
    size_t n;
    if (read_file(path, &d, &n, e) < 0) return NULL;
    cJSON *j = cJSON_ParseWithLength(d, n);
    free(d);
    if (!j) err_set(e, "%s: not valid JSON", path);
    return j;
}

/* Dev-loss curve, last dev perplexities and any DynMod alpha trajectory
 * ("swa_alpha": [per layer] in a log line, DynMod variants) from RUN/log.jsonl.
 * The perplexities are computed from the losses (exp(dev_loss) per token,
 * exp(dev_loss_word) per word), not read from dev_ppl and dev_ppl_word, which
 * the log rounds to 6 significant digits (seeds' values then came out equal:
 * sd 0, Welch's df exactly 1; a per-word PPL near 1e9 in steps of 1e3); a
 * log of a blalm before dev_loss_word gives its dev_ppl_word as it is. */
int ablate_read_log(const char *run, cJSON *row, blalm_err *e)
{
    char p[4096];
    snprintf(p, sizeof p, "%s/log.jsonl", run);
    char *d;
    size_t n;
    if (read_file(p, &d, &n, e) < 0) return -1;
    cJSON *curve = cJSON_AddArrayToObject(row, "dev_curve"), *alpha = cJSON_AddArrayToObject(row, "alpha");
    double ppl = NAN, pplw = NAN, loss = NAN, step = 0;
    for (char *s = d, *end = d + n; s < end;) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t l = nl ? (size_t)(nl - s) : (size_t)(end - s);
        cJSON *j = cJSON_ParseWithLength(s, l);
        if (j) {
            const cJSON *st = cJSON_GetObjectItem(j, "step"), *dl = cJSON_GetObjectItem(j, "dev_loss");
            if (cJSON_IsNumber(st)) step = st->valuedouble;
            if (cJSON_IsNumber(dl)) {
                loss = dl->valuedouble;
                ppl = exp(loss);
                const cJSON *lw = cJSON_GetObjectItem(j, "dev_loss_word"), *pw = cJSON_GetObjectItem(j, "dev_ppl_word");
                pplw = cJSON_IsNumber(lw) ? exp(lw->valuedouble) : cJSON_IsNumber(pw) ? pw->valuedouble : NAN;
                double pt[2] = {step, loss};
                cJSON_AddItemToArray(curve, cJSON_CreateDoubleArray(pt, 2));
            }
            const cJSON *a = cJSON_GetObjectItem(j, "swa_alpha"); /* DynMod: one per layer */
            if (cJSON_IsArray(a)) {
                cJSON *pt = cJSON_CreateArray();
                cJSON_AddItemToArray(pt, cJSON_CreateNumber(step));
                cJSON_AddItemToArray(pt, cJSON_Duplicate(a, 1));
                cJSON_AddItemToArray(alpha, pt);
            }
        }
        cJSON_Delete(j);
        s += l + 1;
    }
    free(d);
    if (isnan(loss)) return err_set(e, "%s: no dev evaluation in the log (a dev split is needed)", p);
    cJSON_AddNumberToObject(row, "dev_loss", loss);
    cJSON_AddNumberToObject(row, "dev_ppl", ppl);
    cJSON_AddNumberToObject(row, "dev_ppl_word", pplw);
    return 0;
}

/* ------------------------------------------------------------ settings
 *
 * What a run's numbers depend on, recorded in RUN/ablate.json ("settings")
 * and, while it trains, in RUN/settings.json: "train" (variant, optimizer,
 * seed, tokens, the sha256 of the run's model.json: base config + variant +
 * seed, the corpus's and the tokenizer's sha256) and "eval" (the evaluation
 * data's sha256, tasks, fast or full). A finished run is reused only when
 * both agree with this invocation's; "eval" alone differing re-evaluates its
 * checkpoint; "train" differing trains it again from nothing. */

/* sha256 over "NAME\0sha256(FILE)\n" of files (names sorted by the caller) */
static int files_sha(char **rel, char **path, size_t n, char hex[65], blalm_err *e)
{
    sha256_ctx *c = sha256_begin();
    for (size_t i = 0; i < n; i++) {
        char h[65];
        if (sha256_file_hex(path[i], h, e) < 0) {
            sha256_end_hex(c, h);
            return -1;
        }
        sha256_update(c, rel[i], strlen(rel[i]) + 1);
        sha256_update(c, h, 64);
        sha256_update(c, "\n", 1);
    }
    sha256_end_hex(c, hex);
    return 0;
}

/* The corpus as train reads it: its split files and documents.jsonl.zst.
 * Both splits must hold text, checked before anything is made: without a
 * dev split every run trained to its end and only then failed (no dev
 * perplexity to report). */
static int corpus_sha(const char *dir, char hex[65], blalm_err *e)
{
    corpus c;
    if (corpus_open(&c, dir, e) < 0) return -1;
    if (corpus_refuse_download(dir, "ablate", e) < 0) {
        corpus_close(&c);
        return -1;
    }
    uint64_t bytes[2] = {0, 0};
    for (size_t i = 0; i < c.n_files; i++) bytes[c.files[i].split] += c.files[i].size;
    if (!bytes[CORPUS_TRAIN] || !bytes[CORPUS_DEV]) {
        corpus_close(&c);
        return err_set(e, "%s: the %s split holds no text (%s/%s/*.%s): ablate trains on train/ and compares "
                          "the runs by their dev perplexity", dir, bytes[CORPUS_TRAIN] ? "dev" : "train", dir,
                       bytes[CORPUS_TRAIN] ? "dev" : "train", bytes[CORPUS_TRAIN] ? "dev" : "train");
    }
    char **rel = calloc(c.n_files + 1, sizeof *rel), **path = calloc(c.n_files + 1, sizeof *path);
    size_t n = 0;
    for (size_t i = 0; i < c.n_files && rel && path; i++) rel[n] = c.files[i].rel, path[n++] = c.files[i].path;
    if (rel && path && c.has_index) rel[n] = "documents.jsonl.zst", path[n++] = c.index_path;
    int rc = rel && path ? files_sha(rel, path, n, hex, e) : err_set(e, "out of memory");
    free(rel), free(path);
    corpus_close(&c);
    return rc < 0 ? err_prefix(e, "corpus %s", dir) : 0;
}

/* every file under a folder (nftw has no argument: one walk at a time) */
static struct { char **v; size_t n, cap, skip; } walk;

static int walk_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)ftw;
    if (flag != FTW_F) return 0;
    if (walk.n == walk.cap) {
        walk.cap = walk.cap ? 2 * walk.cap : 64;
        char **v = realloc(walk.v, walk.cap * sizeof *v);
        if (!v) return -1;
        walk.v = v;
    }
    return (walk.v[walk.n] = strdup(path)) ? (walk.n++, 0) : -1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int tree_sha(const char *dir, char hex[65], blalm_err *e)
{
    memset(&walk, 0, sizeof walk);
    /* links followed (a linked data folder is the usual way to point at it;
     * glibc's nftw visits a folder once, so a link cycle ends) */
    int rc = nftw(dir, walk_one, 16, 0) != 0 ? err_errno(e, "%s", dir) : 0;
    char **rel = rc == 0 ? calloc(walk.n + 1, sizeof *rel) : NULL;
    if (rc == 0 && !rel) rc = err_set(e, "out of memory");
    if (rc == 0) {
        if (walk.n) qsort(walk.v, walk.n, sizeof *walk.v, cmp_str);   /* an empty folder: v is NULL */
        size_t l = strlen(dir);
        for (size_t i = 0; i < walk.n; i++) rel[i] = walk.v[i] + l;
        rc = files_sha(rel, walk.v, walk.n, hex, e);
    }
    for (size_t i = 0; i < walk.n; i++) free(walk.v[i]);
    free(walk.v), free(rel);
    memset(&walk, 0, sizeof walk);
    return rc;
}

/* a setting for a note: none, a sha256 as its first 12 digits, a number */
static void show_value(const cJSON *v, char *out, size_t cap)
{
    if (!v || cJSON_IsNull(v)) snprintf(out, cap, "none");
    else if (cJSON_IsString(v)) snprintf(out, cap, strlen(v->valuestring) == 64 ? "%.12s..." : "'%.60s'", v->valuestring);
    else if (cJSON_IsNumber(v)) snprintf(out, cap, "%.17g", v->valuedouble);
    else snprintf(out, cap, "%s", cJSON_IsTrue(v) ? "true" : "false");
}

/* settings "a" and "b" of one kind agree; a tokenizer not known yet on
 * either side (no OUT/tokenizer.json) is not compared. The first difference
 * into why ("tokens: 1000 before, 4000 now"). */
static int settings_agree(const cJSON *was, const cJSON *now, char *why, size_t cap)
{
    if (!cJSON_IsObject(was)) {
        snprintf(why, cap, "no settings recorded");
        return 0;
    }
    const cJSON *k;
    cJSON_ArrayForEach(k, now) {
        const cJSON *w = cJSON_GetObjectItemCaseSensitive(was, k->string);
        if (!strcmp(k->string, "tokenizer") && (cJSON_IsNull(k) || cJSON_IsNull(w))) continue;
        if (w && cJSON_Compare(w, k, 1)) continue;
        char a[80], b[80];
        show_value(w, a, sizeof a), show_value(k, b, sizeof b);
        snprintf(why, cap, "%s %s before, %s now", k->string, a, b);
        return 0;
    }
    return 1;
}

/* Empties a run folder to train it again, keeping the folder and its .lock:
 * this process holds the lock on that file, and a .lock made anew after an
 * unlink would let a second writer in. */
static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag;
    if (ftw->level == 0 || (ftw->level == 1 && !strcmp(path + ftw->base, ".lock"))) return 0;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

/* train_opts.before_steps: the run's evaluation items must fit its
 * context, checked with the run's tokenizer before any training step
 * rather than found by the evaluation after it. */
static int check_eval_fits(void *arg, const char *tokenizer, const model_config *cfg, blalm_err *e)
{
    const ablate_opts *o = arg;
    if (!o->eval_data) return 0;
    eval_opts eo = {0};
    eo.data = o->eval_data;
    eo.tasks = o->eval_tasks;
    eo.fast = !o->eval_full;
    if (eval_check_context(&eo, tokenizer, cfg->context, e) < 0)
        return err_prefix(e, "not training: the evaluation (--eval-tasks) cannot run on this model");
    return 0;
}

/* The run's model config: the base, the variant, the seed added. */
static cJSON *run_config_json(const ablate_opts *o, const char *variant, int seed, blalm_err *e)
{
    model_config c;
    if (model_config_load(o->model_cfg, &c, e) < 0) return NULL;
    if (ablate_variant_config(variant, &c, e) < 0) return NULL;
    c.train.seed += (uint64_t)seed;
    return model_config_to_json(&c);
}

/* The first run's tokenizer serves all: RUN/tokenizer.json copied to
 * OUT/tokenizer.json (tokp) with what it was trained on (tsrc), unless OUT
 * has one. tsrc first: a tokp without it is taken for one put there by hand
 * and used unchecked, so a failure between the two must not leave tokp. */
static int keep_tokenizer(const char *run, const char *tokp, const char *tsrc, const cJSON *from, blalm_err *e)
{
    char src[4200], *d;
    size_t n;
    snprintf(src, sizeof src, "%s/tokenizer.json", run);
    if (file_exists(tokp)) return 0;
    if (read_file(src, &d, &n, e) < 0) return -1;
    int w = write_json(tsrc, from, e) < 0 ? -1 : write_file_atomic(tokp, d, n, e);
    free(d);
    return w < 0 ? -1 : 0;
}

/* One run: train (or resume), evaluate, write RUN/ablate.json with its
 * settings (taken). reeval: keep the training's numbers in RUN/ablate.json
 * and evaluate its checkpoint again. */
static int one_run(const ablate_opts *o, const char *variant, const char *opt, int seed, const char *run,
                   const char *tokenizer, cJSON *settings, int reeval, int *stopped_by, blalm_err *e)
{
    char p[4096];
    cJSON *row = NULL;
    int threads = o->threads > 0 ? o->threads : 1;
    if (reeval) {
        snprintf(p, sizeof p, "%s/ablate.json", run);
        if (!(row = read_json(p, e))) return cJSON_Delete(settings), -1;
        cJSON_DeleteItemFromObject(row, "zero_shot");
        cJSON_DeleteItemFromObject(row, "zero_shot_avg");
        /* the training is the one recorded (its tokenizer's sha among it,
         * even if OUT/tokenizer.json is gone now): only "eval" is new */
        cJSON *old = cJSON_DetachItemFromObject(row, "settings");
        cJSON *otrain = old ? cJSON_DetachItemFromObject(old, "train") : NULL;
        if (otrain) cJSON_ReplaceItemInObject(settings, "train", otrain);
        cJSON_Delete(old);
    } else {
        if (mkdir_p(run, e) < 0) return cJSON_Delete(settings), -1;
        cJSON *cj = run_config_json(o, variant, seed, e);
        snprintf(p, sizeof p, "%s/model.json", run);
        int wr = cj ? write_json(p, cj, e) : -1;
        cJSON_Delete(cj);
        char sp[4200];
        snprintf(sp, sizeof sp, "%s/settings.json", run); /* what an interrupted run was trained with */
        if (wr < 0 || write_json(sp, settings, e) < 0) return cJSON_Delete(settings), -1;
        char ck[4096];
        snprintf(ck, sizeof ck, "%s/checkpoints/latest.bin", run);
        train_opts to = {0};
        to.corpus = o->corpus;
        to.model_cfg = p;
        to.run = run;
        to.tokenizer = tokenizer && file_exists(tokenizer) ? tokenizer : NULL;
        to.max_tokens = o->tokens;
        to.optimizer = !strcmp(opt, "muon") ? OPT_MUON : OPT_ADAMW;
        to.threads = threads;
        to.resume = file_exists(ck);
        to.lock_held = 1; /* ablate_run locked the run before choosing what to do with it */
        to.before_steps = check_eval_fits;
        to.before_arg = (void *)o;
        to.need_dev = 1;       /* runs are compared by their dev perplexity */
        to.stop_on_signal = 1; /* as blalm train: SIGTERM or SIGINT saves latest.bin after the step */
        train_summary ts;
        if (train_run(&to, &ts, e) < 0) return cJSON_Delete(settings), err_prefix(e, "%s", run);
        if (ts.stopped_by) {
            /* a rerun with the same options resumes it (settings.json agrees, latest.bin there) */
            *stopped_by = ts.stopped_by;
            cJSON_Delete(settings);
            return err_set(e, "%s: stopped by %s after step %ld of %ld; its checkpoints/latest.bin holds that "
                              "step: run the same blalm ablate again to resume it", run,
                           sig_stop_name(ts.stopped_by),
                           ts.steps, ts.total_steps), ABLATE_STOPPED;
        }
        /* every segment of the training loop (the log's checkpoint lines),
         * not this invocation's share nor the data preparation */
        if (isnan(ts.train_seconds) && o->on_note) {
            char msg[4400];
            snprintf(msg, sizeof msg, "%s: resumed from a log of an older blalm that records no training "
                                      "time: its train_seconds is unknown (nan in ablation.csv)", run);
            o->on_note(o->arg, msg);
        }
        char hex[65]; /* the tokenizer it was trained with, now that it exists */
        snprintf(p, sizeof p, "%s/tokenizer.json", run);
        if (sha256_file_hex(p, hex, e) < 0) return cJSON_Delete(settings), -1;
        cJSON_ReplaceItemInObject(cJSON_GetObjectItem(settings, "train"), "tokenizer", cJSON_CreateString(hex));
        row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "variant", variant);
        cJSON_AddStringToObject(row, "optimizer", opt);
        cJSON_AddNumberToObject(row, "seed", seed);
        cJSON_AddNumberToObject(row, "steps", (double)ts.steps);
        cJSON_AddNumberToObject(row, "tokens_seen", (double)ts.tokens_seen);
        cJSON_AddItemToObject(row, "train_seconds", isnan(ts.train_seconds) ? cJSON_CreateNull()
                                                                            : cJSON_CreateNumber(ts.train_seconds));
        if (ablate_read_log(run, row, e) < 0) {
            cJSON_Delete(row), cJSON_Delete(settings);
            return -1;
        }
    }
    cJSON *zs = cJSON_AddObjectToObject(row, "zero_shot");
    if (o->eval_data) {
        eval_opts eo = {0};
        eo.run = run;
        eo.data = o->eval_data;
        eo.tasks = o->eval_tasks;
        eo.fast = !o->eval_full;
        eo.threads = threads;
        eo.replace = 1;   /* exactly the tasks asked: a re-evaluation must not keep the file's others */
        cJSON *r;
        if (eval_run(&eo, &r, e) < 0) {
            cJSON_Delete(row), cJSON_Delete(settings);
            return err_prefix(e, "%s: eval", run);
        }
        /* eval_run refuses a data folder with none of the tasks (else a zero-shot of "nan") */
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(r, "tasks")) {
            const cJSON *s = cJSON_GetObjectItem(t, "score");
            if (s) {
                cJSON_AddItemToObject(zs, t->string, cJSON_Duplicate(s, 1));
            } else {
                cJSON_AddItemToObject(zs, "reading_eye_tracking", cJSON_Duplicate(cJSON_GetObjectItem(t, "eye_tracking"), 1));
                cJSON_AddItemToObject(zs, "reading_self_paced", cJSON_Duplicate(cJSON_GetObjectItem(t, "self_paced_reading"), 1));
            }
        }
        /* the mean of the tasks evaluated (reading as two), the same for every
         * run of the ablation; eval's "overall" is null unless all the suite ran */
        double sum = 0;
        int nz = 0;
        cJSON_ArrayForEach(t, zs) if (cJSON_IsNumber(t)) sum += t->valuedouble, nz++;
        cJSON_AddItemToObject(row, "zero_shot_avg", nz ? cJSON_CreateNumber(sum / nz) : cJSON_CreateNull());
        cJSON_Delete(r);
    }
    cJSON_AddItemToObject(row, "settings", settings);
    snprintf(p, sizeof p, "%s/ablate.json", run);
    int wr = write_json(p, row, e);
    cJSON_Delete(row);
    return wr;
}

/* ------------------------------------------------------------ outputs */

static double jnum(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* "mean ± sd [95% CI of the mean]"; the mean alone for one value */
static void fmt_msd(sbuf *b, const double *x, int n, int prec)
{
    double m, sd, lo, hi;
    ablate_mean_sd(x, n, &m, &sd);
    ablate_ci95(x, n, &lo, &hi);
    if (!n || isnan(m)) sb_adds(b, "–");
    else if (isnan(sd)) sb_printf(b, "%.*f", prec, m);
    else sb_printf(b, "%.*f ± %.*f [%.*f, %.*f]", prec, m, prec, sd, prec, lo, prec, hi);
}

static cJSON *num_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* One metric of a group for ablation.json: n, mean, sd, ci95, and with base
 * (the baseline variant's values, same optimizer) Welch's test against it. */
static cJSON *metric_json(const double *x, int n, const double *base, int nb)
{
    double m, sd, lo, hi;
    ablate_mean_sd(x, n, &m, &sd);
    ablate_ci95(x, n, &lo, &hi);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "n", n);
    cJSON_AddItemToObject(j, "mean", num_or_null(m));
    cJSON_AddItemToObject(j, "sd", num_or_null(sd));
    cJSON *ci = cJSON_AddArrayToObject(j, "ci95");
    cJSON_AddItemToArray(ci, num_or_null(lo));
    cJSON_AddItemToArray(ci, num_or_null(hi));
    if (base) {
        double t, df, p;
        cJSON *w = cJSON_AddObjectToObject(j, "welch");
        ablate_welch(x, n, base, nb, &t, &df, &p);
        cJSON_AddItemToObject(w, "t", num_or_null(t));
        cJSON_AddItemToObject(w, "df", num_or_null(df));
        cJSON_AddItemToObject(w, "p", num_or_null(p));
    }
    return j;
}

/* values of key k (or zero_shot.k when zs) over the rows of (variant, opt) */
static int collect(cJSON *const *rows, int n, const char *variant, const char *opt, const char *k,
                   int zs, double *out)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (strcmp(cJSON_GetObjectItem(rows[i], "variant")->valuestring, variant) ||
            (opt && strcmp(cJSON_GetObjectItem(rows[i], "optimizer")->valuestring, opt)))
            continue;
        double v = zs ? jnum(cJSON_GetObjectItem(rows[i], "zero_shot"), k) : jnum(rows[i], k);
        if (!isnan(v)) out[m++] = v;
    }
    return m;
}

static const char *const PALETTE[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

/* An SVG line chart: series of (x, y) points, a legend. */
typedef struct series {
    char label[128]; /* legend entry: series with the same label share one */
    const double *x, *y;
    int n, color, dash;
} series;

/* stroke-dasharray per dash index: solid, dashed, dotted, dash-dot */
static const char *const DASHES[] = {"", "7 4", "2 3", "8 3 2 3"};

static int write_svg(const char *path, const char *title, const char *xl, const char *yl,
                     const series *s, int ns, const char *empty_note, blalm_err *e)
{
    sbuf b;
    sb_init(&b);
    /* one legend entry per distinct label (the seeds of a run group share
     * colour, dash and entry), with the number of lines it stands for */
    int *first = malloc(((size_t)ns + 1) * sizeof *first), nleg = 0;
    if (!first) return err_set(e, "out of memory");
    for (int i = 0; i < ns; i++) {
        int k = 0;
        while (k < nleg && strcmp(s[first[k]].label, s[i].label)) k++;
        if (k == nleg) first[nleg++] = i;
    }
    const double W = 960, L = 70, R = 320, T = 40, B = 50;
    const double H = fmax(500, T + 16.0 * nleg + 24 + B);
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < ns; i++)
        for (int j = 0; j < s[i].n; j++) {
            if (!isfinite(s[i].y[j])) continue;
            x0 = fmin(x0, s[i].x[j]), x1 = fmax(x1, s[i].x[j]);
            y0 = fmin(y0, s[i].y[j]), y1 = fmax(y1, s[i].y[j]);
        }
    sb_printf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
                  "font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
                  "<text x=\"%.0f\" y=\"22\" font-size=\"15\">%s</text>\n", W, H, L, title);
    if (!isfinite(x0)) {
        sb_printf(&b, "<text x=\"%.0f\" y=\"%.0f\">%s</text>\n", L, H / 2, empty_note);
    } else {
        if (x1 == x0) x1 = x0 + 1;
        if (y1 == y0) y1 = y0 + 1, y0 -= 1;
        double pw = W - L - R, ph = H - T - B;
        sb_printf(&b, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#444\"/>\n",
                  L, T, pw, ph);
        for (int k = 0; k <= 4; k++) {
            double yv = y0 + (y1 - y0) * k / 4, xv = x0 + (x1 - x0) * k / 4;
            double yy = T + ph - ph * k / 4, xx = L + pw * k / 4;
            sb_printf(&b, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>\n", L - 6, yy + 4, yv);
            sb_printf(&b, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.4g</text>\n", xx, T + ph + 18, xv);
        }
        sb_printf(&b, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>\n", L + pw / 2, H - 10, xl);
        sb_printf(&b, "<text x=\"16\" y=\"%.0f\" transform=\"rotate(-90 16 %.0f)\" text-anchor=\"middle\">%s</text>\n",
                  T + ph / 2, T + ph / 2, yl);
        for (int i = 0; i < ns; i++) {
            const char *col = PALETTE[s[i].color % 10], *dash = DASHES[s[i].dash % 4];
            sb_printf(&b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s%s%s points=\"", col,
                      *dash ? " stroke-dasharray=\"" : "", dash, *dash ? "\"" : "");
            for (int j = 0; j < s[i].n; j++)
                if (isfinite(s[i].y[j]))
                    sb_printf(&b, "%.1f,%.1f ", L + pw * (s[i].x[j] - x0) / (x1 - x0),
                              T + ph - ph * (s[i].y[j] - y0) / (y1 - y0));
            sb_adds(&b, "\"/>\n");
        }
        for (int k = 0; k < nleg; k++) {
            const series *f = &s[first[k]];
            const char *col = PALETTE[f->color % 10], *dash = DASHES[f->dash % 4];
            int lines = 0;
            for (int i = 0; i < ns; i++) lines += !strcmp(s[i].label, f->label);
            double y = T + 10 + 16.0 * k;
            sb_printf(&b, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" stroke-width=\"2\"%s%s%s/>"
                          "<text x=\"%.0f\" y=\"%.0f\">%s",
                      W - R + 12, y, W - R + 40, y, col, *dash ? " stroke-dasharray=\"" : "", dash, *dash ? "\"" : "",
                      W - R + 46, y + 4, f->label);
            if (lines > 1) sb_printf(&b, " (%d runs)", lines);
            sb_adds(&b, "</text>\n");
        }
    }
    sb_adds(&b, "</svg>\n");
    free(first);
    int rc = write_file_atomic(path, b.data, b.len, e);
    sb_free(&b);
    return rc;
}

static int write_outputs(const ablate_opts *o, cJSON *const *rows, int n, char **vars, int nv,
                         char **opts, int no, blalm_err *e)
{
    cJSON *warnings = NULL;   /* runs that learnt nothing (below) */
    /* zero-shot columns: the union, in first-seen order */
    const char *zcols[32];
    int nz = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *t;
        cJSON_ArrayForEach(t, cJSON_GetObjectItem(rows[i], "zero_shot")) {
            int seen = 0;
            for (int k = 0; k < nz; k++) seen |= !strcmp(zcols[k], t->string);
            if (!seen && nz < 32) zcols[nz++] = t->string;
        }
    }
    char p[4096];
    sbuf b;
    sb_init(&b);
    sb_adds(&b, "run,variant,optimizer,seed,steps,tokens_seen,dev_loss,dev_ppl,dev_ppl_word,zero_shot_avg");
    for (int k = 0; k < nz; k++) sb_printf(&b, ",%s", zcols[k]);
    sb_adds(&b, ",train_seconds\n");
    for (int i = 0; i < n; i++) {
        const cJSON *r = rows[i];
        sb_printf(&b, "%s,%s,%s,%.0f,%.0f,%.0f,%.6f,%.4f,%.4f,%.4f", cJSON_GetObjectItem(r, "name")->valuestring,
                  cJSON_GetObjectItem(r, "variant")->valuestring, cJSON_GetObjectItem(r, "optimizer")->valuestring,
                  jnum(r, "seed"), jnum(r, "steps"), jnum(r, "tokens_seen"), jnum(r, "dev_loss"),
                  jnum(r, "dev_ppl"), jnum(r, "dev_ppl_word"), jnum(r, "zero_shot_avg"));
        for (int k = 0; k < nz; k++) sb_printf(&b, ",%.4f", jnum(cJSON_GetObjectItem(r, "zero_shot"), zcols[k]));
        sb_printf(&b, ",%.1f\n", jnum(r, "train_seconds"));
    }
    snprintf(p, sizeof p, "%s/ablation.csv", o->out);
    int rc = write_file_atomic(p, b.data, b.len, e);
    sb_reset(&b);
    if (rc < 0) goto out;

    double *x = malloc(((size_t)n + 1) * sizeof *x), *y = malloc(((size_t)n + 1) * sizeof *y);
    if (!x || !y) {
        free(x), free(y);
        rc = err_set(e, "out of memory");
        goto out;
    }
    /* the tokens each run trained: --tokens rounded up to whole steps */
    double tmin = INFINITY, tmax = -INFINITY;
    for (int i = 0; i < n; i++) tmin = fmin(tmin, jnum(rows[i], "tokens_seen")), tmax = fmax(tmax, jnum(rows[i], "tokens_seen"));
    char trained[96];
    if (!n) snprintf(trained, sizeof trained, "no");
    else if (tmin == tmax) snprintf(trained, sizeof trained, "%.0f", tmin);
    else snprintf(trained, sizeof trained, "%.0f-%.0f", tmin, tmax);
    sb_printf(&b, "# Ablation\n\nCorpus `%s`, base config `%s`, %s training tokens per run (`--tokens %llu` in "
                  "whole steps), seeds %d-%d; mean ± sample standard deviation over seeds [95%% confidence "
                  "interval of the mean, Student t]. PPL: dev perplexity per token (and per word); zero-shot: "
                  "the average of `blalm eval`'s task scores (%s).\n",
              o->corpus, o->model_cfg, trained, (unsigned long long)o->tokens, o->seed_first > 1 ? o->seed_first : 1,
              o->seeds, !o->eval_data ? "not run" : o->eval_full ? "full suite" : "fast suite");
    /* A run no better than uniform predictions (dev PPL at or above the
     * vocabulary size: a collapsed or diverged run, e.g. Muon's learning rate
     * far too high) still has finite numbers, and its seeds may agree to the
     * last digit (sd 0, a CI of width 0): it would read as a result. Said
     * here, in ablation.json's "warnings" and on stderr. The runs share
     * OUT/tokenizer.json. */
    warnings = cJSON_CreateArray();
    {
        char tp[4200];
        snprintf(tp, sizeof tp, "%s/tokenizer.json", o->out);
        blalm_err te = {{0}};
        bpe_tokenizer *tk = file_exists(tp) ? bpe_load(tp, &te) : NULL;
        double V = tk ? (double)bpe_vocab_size(tk) : 0;
        bpe_free(tk);
        for (int i = 0; V > 1 && i < n; i++) {
            double l = jnum(rows[i], "dev_loss");
            if (!(l >= log(V) - 1e-3)) continue;
            const char *name = cJSON_GetObjectItem(rows[i], "name")->valuestring;
            char what[400], w[600];
            snprintf(what, sizeof what, "learnt nothing: its dev perplexity %.2f is at least the vocabulary size "
                                        "(%.0f), the perplexity of uniform predictions (a collapsed or diverged "
                                        "run: a learning rate too high?); its numbers are in the tables",
                     exp(l), V);
            snprintf(w, sizeof w, "%s %s", name, what);
            cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
            sb_printf(&b, "\n**Warning:** `%s` %s.\n", name, what);
            if (o->on_note) o->on_note(o->arg, w);
        }
    }
    for (int oi = 0; oi < no; oi++) {
        sb_printf(&b, "\n## Mechanism (%s)\n\n| mechanism | runs | PPL | PPL per word | zero-shot avg |\n|---|---|---|---|---|\n", opts[oi]);
        for (int vi = 0; vi < nv; vi++) {
            int m = collect(rows, n, vars[vi], opts[oi], "dev_ppl", 0, x);
            sb_printf(&b, "| %s | %d | ", vars[vi], m);
            fmt_msd(&b, x, m, 2);
            sb_adds(&b, " | ");
            m = collect(rows, n, vars[vi], opts[oi], "dev_ppl_word", 0, x);
            fmt_msd(&b, x, m, 2);
            sb_adds(&b, " | ");
            m = collect(rows, n, vars[vi], opts[oi], "zero_shot_avg", 0, x);
            fmt_msd(&b, x, m, 2);
            sb_adds(&b, " |\n");
        }
        /* each variant against the first, the baseline: does the gap stand
         * out of the seeds' spread? */
        if (nv > 1) {
            static const char *const mk[] = {"dev_ppl", "dev_ppl_word", "zero_shot_avg"},
                                     *const ml[] = {"PPL", "PPL per word", "zero-shot avg"};
            sb_printf(&b, "\nAgainst `%s` (Welch's t-test over seeds; difference and t > 0: a higher mean "
                          "than `%s`'s; p two-sided):\n\n| mechanism | metric | difference | t | df | p |\n"
                          "|---|---|---|---|---|---|\n", vars[0], vars[0]);
            for (int vi = 1; vi < nv; vi++)
                for (int q = 0; q < 3; q++) {
                    int m = collect(rows, n, vars[vi], opts[oi], mk[q], 0, x);
                    int mb = collect(rows, n, vars[0], opts[oi], mk[q], 0, y);
                    if (q == 2 && !m && !mb) continue; /* no zero-shot */
                    double t, df, pv, ma, mbm, sd;
                    ablate_mean_sd(x, m, &ma, &sd);
                    ablate_mean_sd(y, mb, &mbm, &sd);
                    sb_printf(&b, "| %s | %s | ", vars[vi], ml[q]);
                    if (m && mb) sb_printf(&b, "%+.2f | ", ma - mbm);
                    else sb_adds(&b, "– | ");
                    if (ablate_welch(x, m, y, mb, &t, &df, &pv) < 0) sb_adds(&b, "– | – | – |\n");
                    else sb_printf(&b, "%.2f | %.1f | %.3g |\n", t, df, pv);
                }
        }
    }
    sb_adds(&b, "\n## Optimizer\n\n| mechanism | optimizer | runs | PPL | zero-shot avg |\n|---|---|---|---|---|\n");
    for (int vi = 0; vi < nv; vi++)
        for (int oi = 0; oi < no; oi++) {
            int m = collect(rows, n, vars[vi], opts[oi], "dev_ppl", 0, x);
            sb_printf(&b, "| %s | %s | %d | ", vars[vi], opts[oi], m);
            fmt_msd(&b, x, m, 2);
            sb_adds(&b, " | ");
            m = collect(rows, n, vars[vi], opts[oi], "zero_shot_avg", 0, x);
            fmt_msd(&b, x, m, 2);
            sb_adds(&b, " |\n");
        }
    if (nz) {
        sb_adds(&b, "\n## Zero-shot tasks\n\n| mechanism | optimizer |");
        for (int k = 0; k < nz; k++) sb_printf(&b, " %s |", zcols[k]);
        sb_adds(&b, "\n|---|---|");
        for (int k = 0; k < nz; k++) sb_adds(&b, "---|");
        sb_adds(&b, "\n");
        for (int vi = 0; vi < nv; vi++)
            for (int oi = 0; oi < no; oi++) {
                sb_printf(&b, "| %s | %s |", vars[vi], opts[oi]);
                for (int k = 0; k < nz; k++) {
                    int m = collect(rows, n, vars[vi], opts[oi], zcols[k], 1, x);
                    sb_adds(&b, " ");
                    fmt_msd(&b, x, m, 2);
                    sb_adds(&b, " |");
                }
                sb_adds(&b, "\n");
            }
    }
    sb_adds(&b, "\nCharts: `dev_loss.svg` (dev loss against step, every run), `alpha.svg` (DynMod α per layer).\n");
    snprintf(p, sizeof p, "%s/ablation.md", o->out);
    rc = write_file_atomic(p, b.data, b.len, e);
    /* the same statistics to full precision, per variant x optimizer and
     * metric, for scripts: OUT/ablation.json */
    cJSON *sj = cJSON_CreateObject();
    {   /* absolute, so the file means the same from any folder (a size name
         * such as "small", no file, stays as given) */
        char *ac = realpath(o->corpus, NULL), *am = o->model_cfg ? realpath(o->model_cfg, NULL) : NULL;
        cJSON_AddStringToObject(sj, "corpus", ac ? ac : o->corpus);
        if (o->model_cfg) cJSON_AddStringToObject(sj, "model", am ? am : o->model_cfg);
        else cJSON_AddNullToObject(sj, "model");
        free(ac);
        free(am);
    }
    cJSON_AddNumberToObject(sj, "tokens", (double)o->tokens);
    cJSON *tsj = cJSON_AddObjectToObject(sj, "tokens_seen");
    cJSON_AddItemToObject(tsj, "min", num_or_null(tmin));
    cJSON_AddItemToObject(tsj, "max", num_or_null(tmax));
    cJSON *sd = cJSON_AddArrayToObject(sj, "seeds");
    cJSON_AddItemToArray(sd, cJSON_CreateNumber(o->seed_first > 1 ? o->seed_first : 1));
    cJSON_AddItemToArray(sd, cJSON_CreateNumber(o->seeds));
    cJSON_AddItemToObject(sj, "warnings", warnings);
    warnings = NULL;
    cJSON_AddStringToObject(sj, "baseline", vars[0]);
    cJSON_AddNumberToObject(sj, "confidence", 0.95);
    cJSON *gs = cJSON_AddArrayToObject(sj, "groups");
    for (int oi = 0; oi < no && rc == 0; oi++)
        for (int vi = 0; vi < nv; vi++) {
            cJSON *g = cJSON_CreateObject(), *ms = NULL;
            cJSON_AddItemToArray(gs, g);
            cJSON_AddStringToObject(g, "variant", vars[vi]);
            cJSON_AddStringToObject(g, "optimizer", opts[oi]);
            cJSON_AddNumberToObject(g, "runs", collect(rows, n, vars[vi], opts[oi], "dev_loss", 0, x));
            ms = cJSON_AddObjectToObject(g, "metrics");
            static const char *const mk[] = {"dev_loss", "dev_ppl", "dev_ppl_word", "zero_shot_avg"};
            for (int q = 0; q < 4 + nz; q++) {
                const char *k = q < 4 ? mk[q] : zcols[q - 4];
                int m = collect(rows, n, vars[vi], opts[oi], k, q >= 4, x);
                int mb = vi ? collect(rows, n, vars[0], opts[oi], k, q >= 4, y) : 0;
                if (q == 3 && !m) continue; /* no zero-shot */
                char name[300];
                snprintf(name, sizeof name, "%s%s", q < 4 ? "" : "zero_shot.", k);
                cJSON_AddItemToObject(ms, name, metric_json(x, m, vi ? y : NULL, mb));
            }
        }
    free(x), free(y);
    if (rc == 0) {
        snprintf(p, sizeof p, "%s/ablation.json", o->out);
        rc = write_json(p, sj, e);
    }
    cJSON_Delete(sj);
    if (rc < 0) goto out;

    /* charts */
    series *s = calloc((size_t)n * 64 + 1, sizeof *s);
    double *buf = NULL;
    size_t nb = 0, cap = 0;
    int ns = 0;
    if (!s) {
        rc = err_set(e, "out of memory");
        goto out;
    }
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        /* pass 0: dev loss; pass 1: alpha per layer */
        int groups[64], ngroups = 0; /* variant x optimizer, in order of first appearance */
        ns = 0, nb = 0;
        for (int i = 0; i < n; i++) {
            const cJSON *pts = cJSON_GetObjectItem(rows[i], pass ? "alpha" : "dev_curve");
            int np = cJSON_GetArraySize(pts), layers = 1;
            if (pass && np) layers = cJSON_GetArraySize(cJSON_GetArrayItem(cJSON_GetArrayItem(pts, 0), 1));
            if (!np) continue;
            for (int l = 0; l < layers && ns < n * 64; l++) {
                if (nb + 2 * (size_t)np > cap) {
                    cap = (nb + 2 * (size_t)np) * 2;
                    double *q = realloc(buf, cap * sizeof *q);
                    if (!q) {
                        rc = err_set(e, "out of memory");
                        break;
                    }
                    /* series keep offsets until the buffer is final */
                    buf = q;
                }
                series *sr = &s[ns++];
                sr->x = (const double *)(uintptr_t)nb; /* offset; fixed below */
                for (int j = 0; j < np; j++) {
                    const cJSON *pt = cJSON_GetArrayItem(pts, j);
                    buf[nb + (size_t)j] = cJSON_GetArrayItem(pt, 0)->valuedouble;
                    const cJSON *yv = pass ? cJSON_GetArrayItem(cJSON_GetArrayItem(pt, 1), l)
                                           : cJSON_GetArrayItem(pt, 1);
                    buf[nb + (size_t)np + j] = cJSON_IsNumber(yv) ? yv->valuedouble : NAN;
                }
                sr->y = (const double *)(uintptr_t)(nb + (size_t)np);
                sr->n = np;
                nb += 2 * (size_t)np;
                const char *v = cJSON_GetObjectItem(rows[i], "variant")->valuestring,
                           *op = cJSON_GetObjectItem(rows[i], "optimizer")->valuestring;
                int vi = 0, oi = 0;
                for (int k = 0; k < nv; k++) if (!strcmp(vars[k], v)) vi = k;
                for (int k = 0; k < no; k++) if (!strcmp(opts[k], op)) oi = k;
                /* dev loss: colour per variant, dash per optimizer; alpha: colour
                 * per layer, dash per variant x optimizer; seeds share both */
                int g = vi * no + oi, gi = 0;
                while (gi < ngroups && groups[gi] != g) gi++;
                if (gi == ngroups && ngroups < 64) groups[ngroups++] = g;
                sr->color = pass ? l : vi;
                sr->dash = pass ? gi : oi;
                if (pass) snprintf(sr->label, sizeof sr->label, "%s-%s layer %d", v, op, l);
                else snprintf(sr->label, sizeof sr->label, "%s-%s", v, op);
            }
        }
        for (int i = 0; i < ns; i++) {
            s[i].x = buf + (uintptr_t)s[i].x;
            s[i].y = buf + (uintptr_t)s[i].y;
        }
        snprintf(p, sizeof p, "%s/%s", o->out, pass ? "alpha.svg" : "dev_loss.svg");
        if (rc == 0)
            rc = pass ? write_svg(p, "DynMod alpha per layer", "step", "alpha", s, ns,
                                  "no run logged DynMod alpha (no +swa-dynmod variant in this ablation)", e)
                      : write_svg(p, "Dev loss", "step", "dev loss (nats/token)", s, ns, "no dev evaluations", e);
    }
    free(s), free(buf);
out:
    cJSON_Delete(warnings);
    sb_free(&b);
    return rc;
}

int ablate_run(const ablate_opts *o, ablate_summary *sum, blalm_err *e)
{
    memset(sum, 0, sizeof *sum);
    char vb[1024], ob[256], *vars[32], *opts[4];
    int s0 = o->seed_first > 1 ? o->seed_first : 1;
    /* a bad spec is the caller's usage error (ABLATE_USAGE), refused before anything is made */
    int nv = split_list("variants", o->variants, vb, sizeof vb, vars, 32, e);
    if (nv < 0) return nv;
    int no = split_list("optimizers", o->optimizers, ob, sizeof ob, opts, 4, e);
    if (no < 0) return no;
    if (!nv) return err_set(e, "--variants '%s' names no variant", o->variants ? o->variants : ""), ABLATE_USAGE;
    if (!no) return err_set(e, "--optimizers '%s' names no optimizer (adamw, muon)", o->optimizers ? o->optimizers : ""),
                    ABLATE_USAGE;
    if (o->seeds < 1) return err_set(e, "--seeds %d: expected at least 1", o->seeds), ABLATE_USAGE;
    if (s0 > o->seeds) return err_set(e, "seeds %d-%d: the first seed is after the last", s0, o->seeds), ABLATE_USAGE;
    for (int i = 0; i < no; i++) {
        if (strcmp(opts[i], "adamw") && strcmp(opts[i], "muon"))
            return err_set(e, "optimizer '%s': expected adamw or muon", opts[i]), ABLATE_USAGE;
        for (int j = 0; j < i; j++)
            if (!strcmp(opts[i], opts[j])) return err_set(e, "optimizer '%s' named twice", opts[i]), ABLATE_USAGE;
    }
    /* a task name blalm eval does not know (exit 2 there too): before, it was
     * found after the first run's tokenizer and token cache were made */
    if (eval_check_tasks(o->eval_tasks, e) < 0) return err_prefix(e, "--eval-tasks"), ABLATE_USAGE;
    model_config base, *vc = malloc((size_t)nv * sizeof *vc);
    if (!vc) return err_set(e, "out of memory");
    if (model_config_load(o->model_cfg, &base, e) < 0) return free(vc), -1;
    for (int i = 0; i < nv; i++) { /* each variant alone on the base (not on the previous one) */
        model_config probe;
        model_config_defaults(&probe);
        vc[i] = base;
        if (ablate_variant_config(vars[i], &probe, e) < 0 || ablate_variant_config(vars[i], &vc[i], e) < 0)
            return free(vc), ABLATE_USAGE;
        /* two names of one model ("mlstm" and "+mlstm", "swa+shortconv" and
         * "shortconv+swa") would be one run twice: rows that look like a seed spread */
        char what[256];
        for (int j = 0; j < i; j++)
            if (!model_config_diff(&vc[j], &vc[i], what, sizeof what)) {
                free(vc);
                err_set(e, "variants '%s' and '%s' are the same model on %s: name each once", vars[j], vars[i],
                        o->model_cfg);
                return ABLATE_USAGE;
            }
    }
    free(vc);
    int total = nv * no * (o->seeds - s0 + 1), k = 0;
    char tokp[4096], tsrc[4200], corp[65], evh[65], note[1024];
    snprintf(tokp, sizeof tokp, "%s/tokenizer.json", o->out);
    snprintf(tsrc, sizeof tsrc, "%s/tokenizer.from.json", o->out);
    /* the inputs before OUT is made: a corpus folder that is not there, or
     * without a dev split, leaves nothing behind */
    if (corpus_sha(o->corpus, corp, e) < 0) return -1;
    if (o->eval_data && tree_sha(o->eval_data, evh, e) < 0) return err_prefix(e, "evaluation data");
    if (mkdir_p(o->out, e) < 0) return -1;
    /* a record without its tokenizer (a failure between keep_tokenizer's two
     * writes) would be taken for the record of one put there by hand later */
    if (!file_exists(tokp)) remove(tsrc);
    /* OUT/tokenizer.json that an earlier invocation trained (tokenizer.from.json
     * says on what) on another corpus or to another vocabulary is trained again;
     * one put there by hand (no tokenizer.from.json) is used as it is */
    cJSON *from = cJSON_CreateObject();
    cJSON_AddStringToObject(from, "corpus", corp);
    cJSON_AddNumberToObject(from, "vocab_size", base.vocab_size);
    if (file_exists(tokp) && file_exists(tsrc)) {
        cJSON *was = read_json(tsrc, e);
        if (!was) return cJSON_Delete(from), -1;
        if (!settings_agree(was, from, note, sizeof note)) {
            char msg[1200];
            snprintf(msg, sizeof msg, "%s was trained with other settings (%s): a run trains a new one", tokp, note);
            if (o->on_note) o->on_note(o->arg, msg);
            remove(tokp), remove(tsrc);
        }
        cJSON_Delete(was);
    }
    cJSON **rows = calloc((size_t)total, sizeof *rows);
    if (!rows) return cJSON_Delete(from), err_set(e, "out of memory");
    int rc = -1, run_lock = -1;
    /* every finished run without recorded settings (an older blalm) is
     * refused before anything trains: whether its numbers fit is unknown */
    for (int vi = 0; vi < nv; vi++)
        for (int oi = 0; oi < no; oi++)
            for (int s = s0; s <= o->seeds; s++) {
                char done[4200];
                snprintf(done, sizeof done, "%s/runs/%s-%s-s%d/ablate.json", o->out, vars[vi], opts[oi], s);
                if (!file_exists(done)) continue;
                cJSON *r = read_json(done, e);
                int old = r && !cJSON_IsObject(cJSON_GetObjectItem(r, "settings"));
                cJSON_Delete(r);
                if (!r) goto out;
                if (old) {
                    err_set(e, "%s records no settings (an older blalm): whether its numbers fit these options "
                               "is unknown; remove its folder to train it again, or use another --out", done);
                    goto out;
                }
            }
    for (int vi = 0; vi < nv; vi++)
        for (int oi = 0; oi < no; oi++)
            for (int s = s0; s <= o->seeds; s++) {
                char name[256], run[4096], done[4200], ck[4200], sp[4200], msg[1400];
                snprintf(name, sizeof name, "%s-%s-s%d", vars[vi], opts[oi], s);
                snprintf(run, sizeof run, "%s/runs/%s", o->out, name);
                snprintf(done, sizeof done, "%s/ablate.json", run);
                snprintf(ck, sizeof ck, "%s/checkpoints/latest.bin", run);
                snprintf(sp, sizeof sp, "%s/settings.json", run);
                /* one writer per run, locked before what is there is read: two
                 * invocations (overlapping --seeds ranges, a stream restarted
                 * while the old one lives) each resumed from the other's
                 * checkpoints, or removed the folder the other trained in */
                if ((run_lock = lock_dir(run, "blalm train or ablate", e)) < 0) goto out;
                char mh[65], th[65];
                cJSON *cj = run_config_json(o, vars[vi], s, e);
                if (!cj) goto out;
                char *ct = json_print(cj, 1);
                cJSON_Delete(cj);
                sha256_hex(ct, strlen(ct), mh);
                free(ct);
                if (file_exists(tokp) && sha256_file_hex(tokp, th, e) < 0) goto out;
                cJSON *set = cJSON_CreateObject(), *tr = cJSON_AddObjectToObject(set, "train"),
                      *ev = cJSON_AddObjectToObject(set, "eval");
                cJSON_AddStringToObject(tr, "variant", vars[vi]);
                cJSON_AddStringToObject(tr, "optimizer", opts[oi]);
                cJSON_AddNumberToObject(tr, "seed", s);
                cJSON_AddNumberToObject(tr, "tokens", (double)o->tokens);
                cJSON_AddStringToObject(tr, "model", mh);
                cJSON_AddStringToObject(tr, "corpus", corp);
                cJSON_AddItemToObject(tr, "tokenizer", file_exists(tokp) ? cJSON_CreateString(th) : cJSON_CreateNull());
                cJSON_AddItemToObject(ev, "data", o->eval_data ? cJSON_CreateString(evh) : cJSON_CreateNull());
                cJSON_AddItemToObject(ev, "tasks", o->eval_tasks ? cJSON_CreateString(o->eval_tasks) : cJSON_CreateNull());
                cJSON_AddBoolToObject(ev, "full", o->eval_full);
                /* what is there: reuse, re-evaluate, resume or train from nothing */
                enum { TRAIN, RESUME, REEVAL, SKIP } act = TRAIN;
                msg[0] = 0;
                if (file_exists(done)) {
                    cJSON *r = read_json(done, e), *was = r ? cJSON_GetObjectItem(r, "settings") : NULL;
                    if (!r) {
                        cJSON_Delete(set);
                        goto out;
                    }
                    if (!settings_agree(cJSON_GetObjectItem(was, "train"), tr, note, sizeof note))
                        snprintf(msg, sizeof msg, "%s: trained with other settings (%s): training it again", name, note);
                    else if (settings_agree(cJSON_GetObjectItem(was, "eval"), ev, note, sizeof note))
                        act = SKIP;
                    else if (file_exists(ck))
                        act = REEVAL, snprintf(msg, sizeof msg, "%s: evaluated with other settings (eval %s): "
                                                                "evaluating its checkpoint again", name, note);
                    else
                        snprintf(msg, sizeof msg, "%s: evaluated with other settings (eval %s) and its checkpoint "
                                                  "is gone: training it again", name, note);
                    cJSON_Delete(r);
                } else if (file_exists(ck)) {
                    cJSON *was = file_exists(sp) ? read_json(sp, e) : NULL;
                    if (settings_agree(cJSON_GetObjectItem(was, "train"), tr, note, sizeof note)) act = RESUME;
                    else snprintf(msg, sizeof msg, "%s: the interrupted run was trained with other settings (%s): "
                                                   "training it from the start", name, note);
                    cJSON_Delete(was);
                }
                if (*msg && o->on_note) o->on_note(o->arg, msg);
                if (act == TRAIN && is_dir(run) && nftw(run, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0) {
                    cJSON_Delete(set);
                    err_errno(e, "%s: cannot remove it to train it again", run);
                    goto out;
                }
                if (act == SKIP) {
                    cJSON_Delete(set);
                    sum->skipped++;
                } else {
                    int one = one_run(o, vars[vi], opts[oi], s, run, tokp, set, act == REEVAL, &sum->stopped_by, e);
                    if (one < 0) {
                        /* the tokenizer the run trained serves the rerun too (before,
                         * a run that failed or was stopped left none in OUT: a rerun
                         * that trains the run from the start trained it again) */
                        char rt[4200];
                        blalm_err te;
                        snprintf(rt, sizeof rt, "%s/tokenizer.json", run);
                        if (file_exists(rt)) keep_tokenizer(run, tokp, tsrc, from, &te);
                        rc = one == ABLATE_STOPPED ? ABLATE_STOPPED : -1;
                        goto finish;
                    }
                    if (act == REEVAL) sum->reevaluated++;
                    else sum->trained++;
                }
                if (!file_exists(tokp) && keep_tokenizer(run, tokp, tsrc, from, e) < 0) goto out;
                if (!(rows[k] = read_json(done, e))) goto out;
                lock_release(run_lock);
                run_lock = -1;
                cJSON_AddStringToObject(rows[k], "name", name);
                k++;
                if (o->on_run) o->on_run(o->arg, k, total, name, act == SKIP ? 1 : act == REEVAL ? 2 : 0);
            }
    sum->runs = k;
    rc = write_outputs(o, rows, k, vars, nv, opts, no, e);
    goto finish;
out:
    rc = -1;
finish:
    lock_release(run_lock);
    cJSON_Delete(from);
    for (int i = 0; i < total; i++) cJSON_Delete(rows[i]);
    free(rows);
    return rc;
}
