/* run.c - `blalm run`: plans and runs the stages of one config in one
 * process (see run.h for the stages, their completion and the layout). */
#include "pipeline/run.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpora/corpora.h"
#include "filters/dedup.h"
#include "filters/tag.h"
#include "hub/hub.h"
#include "lib/config.h"
#include "lib/corpus.h"
#include "lib/docs.h"
#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/http.h"
#include "lib/marker.h"
#include "lib/sighold.h"
#include "lib/utf8.h"
#include "lib/work.h"
#include "scorer/distill.h"
#include "scorer/llm.h"
#include "scorer/score.h"
#include "trainer/eval.h"
#include "trainer/model.h"
#include "trainer/tokenize.h"
#include "trainer/tokenizer.h"
#include "trainer/train.h"

typedef struct runx {
    const run_opts *o;
    const run_config *c;
    work_dirs w;
    char state_run[4200];   /* WORK/state (markers of run's own steps: stage "run") */
    char corpora[4200], tokdir[4200], tokfile[4300], tokens[4200], model[4200], evalf[4300];
    char report[4200];
    char distill_dir[4200], distill_model[4300], distill_json[4400];
    uint64_t plan_rows, plan_text_bytes;   /* --dry-run: documents and text bytes in the Hub files' footers */
    /* --dry-run: the first stage that would do or redo work, and why: the
     * stages after it are planned on inputs it may change */
    char plan_first[32], plan_why[700];
    int corpora_verified;   /* assemble verified every corpus in this process */
    uint64_t score_done;    /* documents score has written in this process (its callback gives each step) */
    uint64_t score_total;   /* the documents it will write, when known (parquet footers), else 0 */
    run_result *res;        /* run_execute's result: stop_signal */
    int train_seq_len;      /* the model's train.seq_len, set by stage_train (0 before) */
} runx;

static void say(const runx *x, const char *stage, const char *fmt, ...) BLALM_PRINTF(3, 4);
static void say(const runx *x, const char *stage, const char *fmt, ...)
{
    if (!x->o->say) return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    x->o->say(x->o->say_arg, stage, line);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
    (void)st;
    (void)flag;
    (void)f;
    return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

/* Removes a tree (for --from/--only of stages whose outputs are their markers). */
static int rm_tree(const char *path, blalm_err *e)
{
    struct stat st;
    if (lstat(path, &st) < 0) return 0;
    if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) < 0) return err_errno(e, "%s: cannot remove", path);
    return 0;
}

/* records: 0 leaves out the attribute records (*.record.json), which say
 * how a set was made (its command, the hash of the whole tag config, the
 * document files' mtimes), not what it holds. */
static int key_dir_rec(marker_key *k, const char *root, const char *rel, int records, blalm_err *e)
{
    char dir[8192];
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    if (n < 0) return errno == ENOENT ? 0 : err_errno(e, "%s", dir);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (!rc && nm[0] != '.') {
            char r2[8192], full[16384];
            snprintf(r2, sizeof r2, "%s%s%s", rel, *rel ? "/" : "", nm);
            snprintf(full, sizeof full, "%s/%s", root, r2);
            struct stat st;
            size_t nl = strlen(nm);
            if (stat(full, &st) < 0) rc = err_errno(e, "%s", full);
            else if (S_ISDIR(st.st_mode)) rc = key_dir_rec(k, root, r2, records, e);
            else if (S_ISREG(st.st_mode) && (records || nl < 12 || strcmp(nm + nl - 12, ".record.json")))
                rc = marker_key_file(k, r2, full, e);
        }
        free(ents[i]);
    }
    free(ents);
    return rc;
}

/* Adds every file under root (sorted, hidden files aside) to k, named by prefix/rel. */
static int key_dir(marker_key *k, const char *root, blalm_err *e)
{
    return key_dir_rec(k, root, "", 1, e);
}

/* done: 1 when the unit's marker holds k's key (and not forced). */
static int marker_state(const runx *x, const char *unit, marker_key *k, int force, char *why, size_t cap,
                        blalm_err *e)
{
    int st = marker_check(x->state_run, "run", unit, k, why, cap, e);
    if (st < 0) return -1;
    if (force) {
        /* a redo starts by removing the marker, so a redo that is killed is
         * resumed by the next run (which also cleans what the kill left)
         * instead of being taken for the finished work it replaces */
        if (!x->o->dry_run && marker_remove(x->state_run, "run", unit, e) < 0) return -1;
        return MARKER_ABSENT;
    }
    return st;
}

/* A STALE marker of unit written under an older key (old: the key that
 * blalm made) from these same inputs: the work stands, and the marker is
 * rewritten with k (not in a dry run), so an upgrade redoes nothing. Returns
 * MARKER_DONE then, else st; -1 on error. */
static int marker_upgrade(const runx *x, const char *unit, marker_key *k, marker_key *old, int st, blalm_err *e)
{
    if (st != MARKER_STALE || !old) return st;
    char w2[64];
    int ost = marker_check(x->state_run, "run", unit, old, w2, sizeof w2, e);
    if (ost != MARKER_DONE) return ost < 0 ? -1 : st;
    if (x->o->dry_run) return MARKER_DONE;
    char *res = marker_result(x->state_run, "run", unit, e);
    int rc = res ? marker_commit(x->state_run, "run", unit, k, res, e) : -1;
    free(res);
    return rc < 0 ? -1 : MARKER_DONE;
}

/* train_key's legacy: the key of blalm before key_tokens_manifest, with
 * tokens.json's bytes (a marker it wrote still proves the training done, in
 * place); optnum >= -1: the optimizer as a blalm before train_optimizer keyed
 * it (c->optimizer's number, -1 when not given); TRAIN_OPT_NAME: by name */
enum { TRAIN_OPT_NAME = -2 };
static marker_key *train_key(const runx *x, int legacy, int optnum, blalm_err *e);
static marker_key *train_key_len(const runx *x, int legacy, int optnum, long max_steps, uint64_t max_tokens,
                                 blalm_err *e);
static int marker_train_len(const runx *x, const char *unit, long *ms, uint64_t *mt);
static int train_len_same(const runx *x, long ms, uint64_t mt);

/* A redo of unit (tokenizer, train) because train.corpus names another
 * corpus was explained by its first changed input ("input tokenizer.json
 * changed"): the corpus its marker's result records ("corpus", written since)
 * names the cause instead. why is left as it is otherwise. */
static void corpus_cause(const runx *x, const char *unit, char *why, size_t cap)
{
    blalm_err e2;
    /* a train marker of the oldest form (tokens.json's bytes an input, the
     * optimizer by number) differs first in its form ("the inputs differ:
     * 3 then, 2 now"): explained against that form's key of these settings,
     * it names what changed */
    static const char form[] = "the inputs differ: ";
    if (!strncmp(unit, "train", 5) && !strncmp(why, form, sizeof form - 1)) {
        marker_key *old = train_key(x, 1, x->c->optimizer, &e2);
        char w2[512];
        if (old && marker_check(x->state_run, "run", unit, old, w2, sizeof w2, &e2) == MARKER_STALE &&
            strncmp(w2, form, sizeof form - 1))
            snprintf(why, cap, "%s", w2);
        marker_key_free(old);
    }
    /* a train marker whose run length comes to the same steps as the
     * config's (train_take_same_length) differs first in it ("setting
     * max_steps was 3, now 0"), which keeps the model: explained against
     * the key of its own length, it names what else changed */
    long ms = 0;
    uint64_t mt = 0;
    if (!strncmp(unit, "train", 5) && marker_train_len(x, unit, &ms, &mt) &&
        (ms != x->c->max_steps || mt != x->c->max_tokens_train) && train_len_same(x, ms, mt)) {
        marker_key *old = train_key_len(x, 0, TRAIN_OPT_NAME, ms, mt, &e2);
        char w2[512];
        if (old && marker_check(x->state_run, "run", unit, old, w2, sizeof w2, &e2) == MARKER_STALE)
            snprintf(why, cap, "%s", w2);
        marker_key_free(old);
    }
    char *res = marker_result(x->state_run, "run", unit, &e2);
    cJSON *r = res ? cJSON_Parse(res) : NULL;
    free(res);
    const cJSON *was = cJSON_GetObjectItemCaseSensitive(r, "corpus");
    if (cJSON_IsString(was) && strcmp(was->valuestring, x->c->train_corpus) != 0)
        snprintf(why, cap, "train.corpus was %.200s, now %.200s", was->valuestring, x->c->train_corpus);
    cJSON_Delete(r);
    /* the optimizer as a blalm before train_optimizer keyed it: -1 (not
     * given) and 0 are adamw, 1 muon ("setting optimizer was 1, now adamw"
     * read as a number) */
    {
        static const char pre[] = "setting optimizer was ";
        int onum, used = 0;
        if (!strncmp(why, pre, sizeof pre - 1) && sscanf(why + sizeof pre - 1, "%d, now %n", &onum, &used) == 1 &&
            used && onum >= -1 && onum <= 1) {
            char now[64];
            snprintf(now, sizeof now, "%s", why + sizeof pre - 1 + used);
            snprintf(why, cap, "%s%s, now %s", pre, onum == 1 ? "muon" : "adamw", now);
        }
    }
    /* train's run length as the config gives it: 0 in the key is a key left
     * out ("setting max_steps was 5, now 0" read as zero steps) */
    static const char *const lens[] = {"max_steps", "max_tokens"};
    for (int i = 0; i < 2; i++) {
        char pre[64];
        int n = snprintf(pre, sizeof pre, "setting %s was ", lens[i]);
        unsigned long long a, b;
        int used = 0;
        if (strncmp(why, pre, (size_t)n) || sscanf(why + n, "%llu, now %llu%n", &a, &b, &used) != 2 ||
            why[n + used])
            continue;
        char wa[32], wb[32];
        if (a) snprintf(wa, sizeof wa, "%llu", a);
        else snprintf(wa, sizeof wa, "not given");
        if (b) snprintf(wb, sizeof wb, "%llu", b);
        else snprintf(wb, sizeof wb, "not given");
        snprintf(why, cap, "train.%s was %s, now %s%s", lens[i], wa, wb,
                 x->c->max_steps || x->c->max_tokens_train ? "" : " (one epoch)");
    }
}

/* ",\"corpus\":NAME" of a marker result: the corpus the unit was made from */
static void result_corpus(const runx *x, sbuf *b)
{
    sb_adds(b, ",\"corpus\":");
    sb_json_str(b, x->c->train_corpus, strlen(x->c->train_corpus));
}

/* ---- --dry-run: what each stage would do ---- */

/* Records the first stage with work to (re)do. */
static void plan_work(runx *x, const char *stage, const char *fmt, ...) BLALM_PRINTF(3, 4);
static void plan_work(runx *x, const char *stage, const char *fmt, ...)
{
    if (x->plan_first[0]) return;
    snprintf(x->plan_first, sizeof x->plan_first, "%s", stage);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->plan_why, sizeof x->plan_why, fmt, ap);
    va_end(ap);
}

/* The plan's line for a step whose marker holds its current key */
static void plan_done(runx *x, const char *stage)
{
    if (x->plan_first[0])
        say(x, stage, "complete with the current inputs; %s is redone before it (see above), and if that "
            "changes its inputs it is redone too", x->plan_first);
    else
        say(x, stage, "complete: would be skipped");
}

/* A redo of eval explained by the marker's first difference ("setting fast
 * was 0, now 1", "input latest.bin changed: ...") in the config's and the
 * run's own words: "eval.fast was false, now true", "the model's last
 * checkpoint changed (latest.bin: ...)". why is left as it is otherwise. */
static void eval_cause(char *why, size_t cap)
{
    char t[512];
    snprintf(t, sizeof t, "%s", why);
    static const char tasks[] = "setting tasks was ", fast[] = "setting fast was ", ck[] = "input latest.bin ",
                      sums[] = "input SHA256SUMS ";
    const char *now = strstr(t, ", now ");
    if (!strncmp(t, tasks, sizeof tasks - 1) && now) {
        const char *a = t + sizeof tasks - 1, *b = now + 6;
        int na = (int)(now - a);
        const char *every = "not given (every task whose data is there)";
        snprintf(why, cap, "eval.tasks was %.*s, now %s", na ? na : (int)strlen(every), na ? a : every, *b ? b : every);
    } else if (!strncmp(t, fast, sizeof fast - 1) && now) {
        int a = atoi(t + sizeof fast - 1), b = atoi(now + 6);
        snprintf(why, cap, "eval.fast was %s, now %s", a ? "true" : "false", b ? "true" : "false");
    } else if (!strncmp(t, ck, sizeof ck - 1)) {
        snprintf(why, cap, "the model's last checkpoint changed (latest.bin %s)", t + sizeof ck - 1);
    } else if (!strcmp(t, "input SHA256SUMS is new")) {
        snprintf(why, cap, "the evaluation data has a SHA256SUMS now (none then)");
    } else if (!strncmp(t, sums, sizeof sums - 1)) {
        snprintf(why, cap, "the evaluation data changed (its SHA256SUMS %s)", t + sizeof sums - 1);
    } else if (!strcmp(t, "the inputs differ: 2 then, 1 now")) {
        snprintf(why, cap, "the evaluation data has no SHA256SUMS now (it had one then)");
    }
}

static void plan_state(runx *x, const char *stage, const char *unit, int has_k, int st, char *why, size_t cap,
                       int force);

/* One line for a step that run keeps a marker of: k NULL when its inputs
 * are not there yet (an earlier stage makes them). */
static int plan_status(runx *x, const char *stage, const char *unit, marker_key *k, int force, blalm_err *e)
{
    char why[512] = "";
    int st = force ? MARKER_ABSENT : k ? marker_check(x->state_run, "run", unit, k, why, sizeof why, e) : MARKER_ABSENT;
    if (st < 0) return -1;
    plan_state(x, stage, unit, k != NULL, st, why, sizeof why, force);
    return 0;
}

/* plan_status's line from the marker's state st (why: marker_check's) */
static void plan_state(runx *x, const char *stage, const char *unit, int has_k, int st, char *why, size_t cap,
                       int force)
{
    if (force) {
        say(x, stage, "would redo (asked: --from or --only)");
        plan_work(x, stage, "asked to redo it");
    } else if (st == MARKER_DONE) {
        plan_done(x, stage);
    } else if (st == MARKER_STALE) {
        if (!strcmp(unit, "eval")) eval_cause(why, cap);
        else corpus_cause(x, unit, why, cap);
        say(x, stage, "would redo: %s", why);
        plan_work(x, stage, "%s", why);
    } else {
        say(x, stage, "would run (not done before%s)", has_k ? "" : "; its inputs are made by the stages before it");
        plan_work(x, stage, "not done before");
    }
}

/* A readable path to json for a loader that takes a file (a --dry-run
 * writes nothing): an in-memory file; *fd to close after. */
static int mem_file(const char *json, char *path, size_t cap, int *fd, blalm_err *e)
{
    *fd = memfd_create("blalm-run-plan", MFD_CLOEXEC);
    if (*fd < 0) return err_errno(e, "memfd_create");
    size_t n = strlen(json), off = 0;
    while (off < n) {
        ssize_t w = write(*fd, json + off, n - off);
        if (w <= 0) {
            close(*fd);
            return err_errno(e, "memfd write");
        }
        off += (size_t)w;
    }
    snprintf(path, cap, "/proc/self/fd/%d", *fd);
    return 0;
}

/* ---- fetch ---- */

typedef struct fetch_cb {
    const runx *x;
    uint64_t files, bytes;
    char **keep;            /* FETCH_EV_KEEP: the files under WORK/docs/<source> this fetch stands for */
    size_t nkeep, capkeep;
    int oom;
} fetch_cb;

static void on_fetch_event(void *arg, const fetch_event *ev)
{
    fetch_cb *f = arg;
    const runx *x = f->x;
    switch (ev->kind) {
    case FETCH_EV_FILE: f->files++; f->bytes += ev->n; break;
    case FETCH_EV_START:
        if (x->o->progress) x->o->progress(x->o->progress_arg, 0, ev->n, "fetch");
        break;
    case FETCH_EV_BYTES:
        f->bytes += ev->n;
        if (x->o->progress) x->o->progress(x->o->progress_arg, f->bytes, 0, "fetch");
        break;
    case FETCH_EV_NOTE: case FETCH_EV_ERROR: say(x, "fetch", "%s", ev->msg); break;
    case FETCH_EV_KEEP:
        if (f->nkeep == f->capkeep) {
            size_t cap = f->capkeep ? 2 * f->capkeep : 64;
            char **v = realloc(f->keep, cap * sizeof *v);
            if (!v) {
                f->oom = 1;
                break;
            }
            f->keep = v;
            f->capkeep = cap;
        }
        if (!(f->keep[f->nkeep] = strdup(ev->msg))) f->oom = 1;
        else f->nkeep++;
        break;
    default: break;
    }
}

static void fetch_cb_free(fetch_cb *f)
{
    for (size_t i = 0; i < f->nkeep; i++) free(f->keep[i]);
    free(f->keep);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int in_sorted(char *const *v, size_t n, const char *s)
{
    return n && bsearch(&s, v, n, sizeof *v, cmp_str) != NULL;
}

/* ---- WORK/docs mirrors the config ---- */

typedef struct prune {
    const char *root;       /* rel names are under it */
    char *const *keep;      /* sorted */
    size_t nkeep;
    const char *const *suffix;   /* NULL: any file; else only names ending so (the rest untouched) */
    int strip;              /* compare the name without its suffix */
    uint64_t removed;
    char first[512];        /* the first removed, for the message */
} prune;

/* Removes every file under root/rel not in p->keep (links are removed, never
 * followed), and the folders it leaves empty. */
static int prune_rec(prune *p, const char *rel, blalm_err *e)
{
    char dir[8192];
    snprintf(dir, sizeof dir, "%s%s%s", p->root, *rel ? "/" : "", rel);
    struct stat rs;
    if (!*rel && lstat(dir, &rs) == 0 && !S_ISDIR(rs.st_mode))   /* never through a link to elsewhere */
        return err_set(e, "%s: not a folder of WORK (a link?): nothing removed from it", dir);
    DIR *d = opendir(dir);
    if (!d) return errno == ENOENT ? 0 : err_errno(e, "%s", dir);
    int rc = 0;
    struct dirent *de;
    while (!rc && (de = readdir(d))) {
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, "..")) continue;
        char r2[8192], full[16384];
        snprintf(r2, sizeof r2, "%s%s%s", rel, *rel ? "/" : "", nm);
        snprintf(full, sizeof full, "%s/%s", p->root, r2);
        struct stat st;
        if (lstat(full, &st) < 0) {
            rc = errno == ENOENT ? 0 : err_errno(e, "%s", full);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            rc = prune_rec(p, r2, e);
            if (!rc) (void)rmdir(full);   /* only when now empty */
            continue;
        }
        char name[8192];
        snprintf(name, sizeof name, "%s", r2);
        if (p->suffix) {
            size_t nl = strlen(name), k;
            for (k = 0; p->suffix[k]; k++) {
                size_t sl = strlen(p->suffix[k]);
                if (nl > sl && !strcmp(name + nl - sl, p->suffix[k])) break;
            }
            if (!p->suffix[k] || nm[0] == '.') continue;
            if (p->strip) name[nl - strlen(p->suffix[k])] = 0;
        }
        if (in_sorted(p->keep, p->nkeep, name)) continue;
        if (unlink(full) < 0 && errno != ENOENT) rc = err_errno(e, "%s: cannot remove", full);
        else if (!p->removed++) snprintf(p->first, sizeof p->first, "%s", r2);
    }
    closedir(d);
    return rc;
}

/* The markers by which run knows WORK/docs/<name> for its own: "fetch/<name>"
 * (a complete fetch) and "fetch-started/<name>" (committed before a fetch
 * starts, so a killed one's folder is known too). */
static int fetch_markers_remove(runx *x, const char *name, blalm_err *e)
{
    char unit[300];
    snprintf(unit, sizeof unit, "fetch/%s", name);
    if (marker_remove(x->state_run, "run", unit, e) < 0) return -1;
    snprintf(unit, sizeof unit, "fetch-started/%s", name);
    return marker_remove(x->state_run, "run", unit, e);
}

static int fetch_made(const runx *x, const char *name)
{
    static const char *const units[] = {"fetch/", "fetch-started/"};
    for (int i = 0; i < 2; i++) {
        char unit[300], path[8192];
        blalm_err e2;
        snprintf(unit, sizeof unit, "%s%s", units[i], name);
        if (marker_path_of(x->state_run, "run", unit, path, sizeof path, &e2) == 0 && file_exists(path)) return 1;
    }
    return 0;
}

/* Entries of WORK/docs that are not sources of the config: a source removed
 * from it (or renamed) would otherwise still feed every later stage. Only
 * what run made goes: a link (a former files source's; removed, never
 * followed) or a folder run fetched into (it has its fetch marker). Anything
 * else is the user's (a folder laid out by hand with blalm shard or blalm
 * fetch): the stage refuses, naming it, and removes nothing, since leaving
 * it would feed it to every later stage. */
static int prune_docs_sources(runx *x, blalm_err *e)
{
    struct stat ds;
    if (lstat(x->w.docs, &ds) < 0) return errno == ENOENT ? 0 : err_errno(e, "%s", x->w.docs);
    /* a WORK/docs that is a link (the documents on another disk) is read
     * through, but nothing is removed through it: the entries would be of
     * the link's target, which WORK does not own */
    int docs_link = S_ISLNK(ds.st_mode);
    struct stat ts;
    if (!S_ISDIR(ds.st_mode) && !(docs_link && stat(x->w.docs, &ts) == 0 && S_ISDIR(ts.st_mode)))
        return err_set(e, "%s: not a folder: WORK/docs must be a folder (or a link to one)", x->w.docs);
    DIR *d = opendir(x->w.docs);
    if (!d) return err_errno(e, "%s", x->w.docs);
    int rc = 0;
    /* pass 0 checks that every entry to remove is run's; pass 1 removes */
    for (int pass = 0; pass < 2 && !rc; pass++) {
        rewinddir(d);
        struct dirent *de;
        while (!rc && (de = readdir(d))) {
            const char *nm = de->d_name;
            if (nm[0] == '.') continue;
            int i;
            for (i = 0; i < x->c->nsources && strcmp(x->c->sources[i].name, nm); i++) {}
            if (i < x->c->nsources) continue;
            char p[8400];
            snprintf(p, sizeof p, "%s/%s", x->w.docs, nm);
            struct stat st;
            if (lstat(p, &st) < 0) continue;
            int link = S_ISLNK(st.st_mode);
            if (pass == 0) {
                if (docs_link)
                    rc = err_set(e, "%s: not a source of the config, and %s is a link: blalm run removes nothing "
                                    "through it (move %s out of it, or make WORK/docs a folder of WORK)",
                                 p, x->w.docs, nm);
                else if (!link && !(S_ISDIR(st.st_mode) && fetch_made(x, nm)))
                    rc = err_set(e, "%s: not a source of the config and not made by blalm run: nothing removed "
                                    "(move it out of %s, or add it to the config as a files source)",
                                 p, x->w.docs);
                continue;
            }
            if (x->o->dry_run) {
                say(x, "fetch", "would remove %s (not a source in the config)", p);
                plan_work(x, "fetch", "%s is no source now", nm);
                continue;
            }
            /* its markers first: a source of this name added back is
             * fetched again, not taken as complete with its folder gone */
            if (fetch_markers_remove(x, nm, e) < 0) {
                rc = -1;
                break;
            }
            /* a link (a former files source) is removed, never followed: the
             * user's folder stays as it is */
            rc = !link ? rm_tree(p, e) : unlink(p) < 0 ? err_errno(e, "%s: cannot remove", p) : 0;
            if (!rc) say(x, "fetch", "removed %s (not a source in the config)", p);
        }
    }
    closedir(d);
    return rc;
}

/* Attribute files (WORK/attributes/<set>/<stem>.jsonl.zst and its
 * .record.json) of document files no longer in WORK/docs: tag, score, dedup
 * and distill redo a file whose attributes are missing, and assemble, the
 * report and the keys of distill and assemble read the sets whole, so
 * without this a removed file's attributes would linger in them. */
static int prune_attributes(runx *x, blalm_err *e)
{
    struct stat st;
    if (stat(x->w.attrs, &st) < 0) return 0;
    doc_file *f = NULL;
    size_t n = 0;
    if (stat(x->w.docs, &st) == 0 && docs_walk(x->w.docs, &f, &n, e) < 0) return -1;
    char **stems = calloc(n ? n : 1, sizeof *stems);
    int rc = stems ? 0 : err_set(e, "out of memory");
    for (size_t i = 0; i < n && !rc; i++) {
        char s[4096];
        doc_rel_stem(f[i].rel, s, sizeof s);
        if (!(stems[i] = strdup(s))) rc = err_set(e, "out of memory");
    }
    docs_walk_free(f, n);
    if (!rc) qsort(stems, n, sizeof *stems, cmp_str);
    static const char *const sfx[] = {".jsonl.zst", ".record.json", NULL};
    uint64_t removed = 0;
    char first[512] = "";
    DIR *d = rc ? NULL : opendir(x->w.attrs);
    if (!rc && !d) rc = err_errno(e, "%s", x->w.attrs);
    struct dirent *de;
    while (!rc && d && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char root[8400];
        snprintf(root, sizeof root, "%s/%s", x->w.attrs, de->d_name);
        if (lstat(root, &st) < 0 || !S_ISDIR(st.st_mode)) continue;
        prune p = {root, stems, n, sfx, 1, 0, ""};
        rc = prune_rec(&p, "", e);
        if (p.removed && !removed) snprintf(first, sizeof first, "%s/%s", de->d_name, p.first);
        removed += p.removed;
    }
    if (d) closedir(d);
    for (size_t i = 0; stems && i < n; i++) free(stems[i]);
    free(stems);
    if (!rc && removed)
        say(x, "fetch", "removed %llu attribute files of documents no longer in %s (e.g. %s)",
            (unsigned long long)removed, x->w.docs, first);
    return rc;
}

static marker_key *fetch_key(const run_source *s)
{
    marker_key *k = marker_key_new("run-fetch");
    if (!k) return NULL;
    marker_key_setting(k, "repo", s->repo);
    marker_key_setting(k, "revision", s->revision);
    marker_key_setting(k, "path", s->path);
    for (int i = 0; i < s->ninclude; i++) marker_key_setting(k, "include", s->include[i]);
    marker_key_settingf(k, "max_files", "%ld", s->max_files);
    marker_key_settingf(k, "max_words", "%llu", (unsigned long long)s->max_words);
    /* the fetch removes what it does not list (a blalm before that left
     * such files: its marker is taken as stale, and the fetch, which finds
     * every file verified by its sidecar, runs once to clean up) */
    marker_key_setting(k, "mirror", "yes");
    return k;
}

static int stage_fetch(runx *x, int force, blalm_err *e)
{
    const run_opts *o = x->o;
    if (prune_docs_sources(x, e) < 0) return -1;
    for (int i = 0; i < x->c->nsources; i++) {
        const run_source *s = &x->c->sources[i];
        char out[8400];
        snprintf(out, sizeof out, "%s/%s", x->w.docs, s->name);
        if (s->files) {
            /* a folder with no documents (an unmounted disk's mount point,
             * a wrong path) is refused: taken as it is, every attribute of
             * the source's documents would be removed as of documents gone */
            doc_file *df = NULL;
            size_t ndf = 0;
            if (docs_walk(s->files, &df, &ndf, e) < 0) return err_prefix(e, "fetch %s", s->name);
            docs_walk_free(df, ndf);
            if (!ndf)
                return err_set(e, "fetch %s: the files source's folder %s holds no document files (.parquet, "
                                  ".jsonl, .jsonl.gz, .jsonl.zst; a disk not mounted?): nothing removed",
                               s->name, s->files);
            /* local files: WORK/docs/<name> is a link to them */
            char have[4096];
            ssize_t n = readlink(out, have, sizeof have - 1);
            if (n >= 0) have[n] = 0;
            if (n >= 0 && !strcmp(have, s->files)) {
                say(x, "fetch", "%s: local files %s (linked)", s->name, s->files);
                continue;
            }
            struct stat ost;
            int hubdir = n < 0 && lstat(out, &ost) == 0;   /* the name was a Hub source's folder */
            if (o->dry_run) {
                say(x, "fetch", "%s: would %slink %s to the local files %s", s->name,
                    hubdir ? "remove the Hub files there and " : "", out, s->files);
                plan_work(x, "fetch", "%s: its documents are other files now", s->name);
                continue;
            }
            if (mkdir_p(x->w.docs, e) < 0) return -1;
            if (hubdir) {
                /* WORK's own copy of a Hub source of this name; its marker
                 * goes too, or a switch back would take the link for it */
                if (fetch_markers_remove(x, s->name, e) < 0 || rm_tree(out, e) < 0) return -1;
                say(x, "fetch", "%s: removed %s (the Hub files of this source before)", s->name, out);
            }
            if (n >= 0) unlink(out);
            if (symlink(s->files, out) < 0) return err_errno(e, "%s: cannot link to %s", out, s->files);
            say(x, "fetch", "%s: linked to the local files %s", s->name, s->files);
            continue;
        }
        char unit[300], why[512];
        snprintf(unit, sizeof unit, "fetch/%s", s->name);
        /* a link here is a former files source's: the Hub files go into a
         * folder of WORK, never through the link into the user's folder */
        struct stat ost;
        int link = lstat(out, &ost) == 0 && S_ISLNK(ost.st_mode);
        if (link && o->dry_run) say(x, "fetch", "%s: would remove the link %s (a files source before)", s->name, out);
        if (link && !o->dry_run) {
            if (unlink(out) < 0) return err_errno(e, "%s: cannot remove the link", out);
            if (fetch_markers_remove(x, s->name, e) < 0) return -1;
            say(x, "fetch", "%s: removed the link %s (a files source before; the folder it named is untouched)",
                s->name, out);
        }
        marker_key *k = fetch_key(s);
        if (!k) return err_set(e, "out of memory");
        int st = marker_state(x, unit, k, force || link, why, sizeof why, e);
        /* the marker proves the folder complete only while it is there (one
         * removed by hand, or by a blalm that left the marker behind) */
        if (st == MARKER_DONE && (lstat(out, &ost) < 0 || !S_ISDIR(ost.st_mode))) st = MARKER_ABSENT;
        if (st == MARKER_DONE && !o->dry_run) {
            say(x, "fetch", "%s: complete (%s/%s at %s), skipped", s->name, s->repo, s->path, s->revision);
            marker_key_free(k);
            continue;
        }
        if (st < 0 || !o->hf_endpoint) {
            marker_key_free(k);
            return st < 0 ? -1 : err_set(e, "fetch: no Hub endpoint");
        }
        fetch_opts fo = {0};
        fo.endpoint = o->hf_endpoint;
        fo.token = o->hf_token;
        fo.repo = s->repo;
        fo.revision = s->revision;
        fo.path = s->path;
        fo.out = out;
        fo.include = (const char *const *)s->include;
        fo.ninclude = s->ninclude;
        fo.max_files = s->max_files;
        fo.max_words = s->max_words;
        fo.jobs = 4;
        fo.dry_run = o->dry_run;
        fo.count_rows = o->dry_run;
        fo.shard = SHARD_ONE;
        fo.delay_scale = o->delay_scale;
        fetch_counts fc;
        fetch_cb cb = {x, 0, 0, NULL, 0, 0, 0};
        /* WORK/docs/<name> is run's from here on, complete or not: a source
         * removed after a killed fetch has its folder removed too */
        char sunit[300];
        snprintf(sunit, sizeof sunit, "fetch-started/%s", s->name);
        if (!o->dry_run && marker_commit(x->state_run, "run", sunit, k, NULL, e) < 0) {
            marker_key_free(k);
            return -1;
        }
        int rc = fetch_run(&fo, &fc, on_fetch_event, &cb, e);
        if (rc < 0) {
            fetch_cb_free(&cb);
            marker_key_free(k);
            return err_prefix(e, "fetch %s", s->name);
        }
        if (o->dry_run && st != MARKER_DONE)
            plan_work(x, "fetch", "%s: %s", s->name, st == MARKER_STALE && !link ? why : "not fetched before");
        if (o->dry_run) {
            say(x, "fetch", "%s: %s/%s at %s: %zu files, %.1f MB to download%s%s", s->name, s->repo, s->path,
                s->revision, fc.files, (double)fc.bytes / 1e6,
                s->max_words ? " at most (--max-words reads only the first row groups)" : "",
                st == MARKER_DONE ? " (complete: would be skipped)" : "");
            if (fc.footers) {
                say(x, "fetch", "%s: %llu documents and %.1f MB of text in the footers of %zu parquet files%s", s->name,
                    (unsigned long long)fc.rows, (double)fc.text_bytes / 1e6, fc.footers,
                    s->max_words ? " (--max-words takes only part of them)" : "");
                x->plan_rows += fc.rows;
                x->plan_text_bytes += fc.text_bytes;
            }
            fetch_cb_free(&cb);
            marker_key_free(k);
            continue;
        }
        if (fc.failures || fc.untried || fc.run_failed) {
            fetch_cb_free(&cb);
            marker_key_free(k);
            return err_set(e, "fetch %s: %d of %zu files failed (a rerun resumes them)", s->name,
                           fc.failures + fc.untried, fc.files);
        }
        /* WORK/docs/<name> holds what this listing selects and nothing else:
         * files of a wider selection before (max_files, include, a whole
         * file beside its max_words part) would go on into every stage */
        prune pr = {out, cb.keep, cb.nkeep, NULL, 0, 0, ""};
        if (cb.oom) rc = err_set(e, "out of memory");
        else {
            qsort(cb.keep, cb.nkeep, sizeof *cb.keep, cmp_str);
            rc = prune_rec(&pr, "", e);
        }
        fetch_cb_free(&cb);
        if (rc < 0) {
            marker_key_free(k);
            return -1;
        }
        if (pr.removed)
            say(x, "fetch", "%s: removed %llu files the config no longer selects (e.g. %s)", s->name,
                (unsigned long long)pr.removed, pr.first);
        char res[256];
        snprintf(res, sizeof res, "{\"files\":%zu,\"bytes\":%llu,\"downloaded\":%d}", fc.files,
                 (unsigned long long)fc.bytes, fc.downloaded);
        rc = marker_commit(x->state_run, "run", unit, k, res, e);
        marker_key_free(k);
        if (rc < 0) return -1;
        say(x, "fetch", "%s: %zu files, %.1f MB (%d downloaded, %d already here)", s->name, fc.files,
            (double)fc.bytes / 1e6, fc.downloaded, fc.skipped);
    }
    return o->dry_run ? 0 : prune_attributes(x, e);
}

/* ---- tag ---- */

static int write_section(const runx *x, const char *name, const char *json, char *path, size_t cap,
                         blalm_err *e)
{
    snprintf(path, cap, "%s/run/%s", x->w.state, name);
    if (mkdir_parent(path, e) < 0) return -1;
    return write_file_atomic(path, json, strlen(json), e);
}

static void relay_progress(void *arg, uint64_t done, uint64_t total, const char *what)
{
    const runx *x = arg;
    if (x->o->progress) x->o->progress(x->o->progress_arg, done, total, what);
}

/* Documents, words and bytes of the document files under root. */
static int count_docs(const char *root, uint64_t *files, uint64_t *docs, uint64_t *words, uint64_t *bytes,
                      blalm_err *e)
{
    doc_file *f = NULL;
    size_t n = 0;
    *files = *docs = *words = *bytes = 0;
    if (docs_walk(root, &f, &n, e) < 0) return -1;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        doc_opts dopt = {0};
        dopt.text_only = 1;
        dopt.default_source = f[i].source;
        dopt.id_stem = f[i].id_stem;
        doc_reader *r = doc_open(f[i].path, &dopt, e);
        if (!r) {
            rc = -1;
            break;
        }
        blalm_doc d;
        int got;
        while ((got = doc_next(r, &d, e)) > 0) {
            (*docs)++;
            *words += words_in(d.text, d.text_len);
            *bytes += d.text_len;
        }
        if (got < 0) rc = -1;
        doc_close(r);
    }
    *files = n;
    docs_walk_free(f, n);
    return rc;
}

/* The options tag runs with, as the config (tc, loaded from path) gives them. */
static void tag_opts_of(const runx *x, const tag_config *tc, const char *path, const char *stats, int force,
                        tag_opts *to)
{
    const run_opts *o = x->o;
    memset(to, 0, sizeof *to);
    to->docs = x->w.docs;
    to->attrs = x->w.attrs;
    to->state = x->w.state;
    to->stats = stats;
    to->taggers = x->c->taggers;
    to->quality = &tc->quality;
    to->stop_words = tc->stop_words;
    to->n_stop_words = tc->n_stop_words;
    to->hyphen_dic = tc->hyphen_dic ? tc->hyphen_dic : o->hyphen_dic;
    /* "none": syllables by pyphen alone, as blalm tag --cmudict none */
    to->cmudict = !tc->cmudict ? o->cmudict : strcmp(tc->cmudict, "none") ? tc->cmudict : NULL;
    to->cache_dir = o->dry_run ? NULL : o->cache_dir;   /* a plan writes no dictionary table either */
    to->config_path = path;
    to->shard = SHARD_ONE;
    to->force = force;
}

/* --dry-run: the documents, and which document files tag would measure
 * (again) with the settings planned, by its own markers. */
static int plan_tag(runx *x, int force, blalm_err *e)
{
    uint64_t files, docs, words, bytes;
    struct stat st;
    if (stat(x->w.docs, &st) < 0) {
        say(x, "tag", "every document fetched above (none here yet)");
        plan_work(x, "tag", "not done before");
        return 0;
    }
    if (count_docs(x->w.docs, &files, &docs, &words, &bytes, e) < 0) return -1;
    say(x, "tag", "%llu document files, %llu documents, %llu words, %.1f MB of text", (unsigned long long)files,
        (unsigned long long)docs, (unsigned long long)words, bytes / 1e6);
    char path[64];
    int fd;
    if (mem_file(x->c->tag_json ? x->c->tag_json : "{}", path, sizeof path, &fd, e) < 0) return -1;
    tag_config tc;
    tag_opts to;
    tag_plan_counts pc;
    int rc = tag_config_load(path, &tc, e);
    if (rc == 0) {
        tag_opts_of(x, &tc, path, NULL, force, &to);
        rc = tag_plan(&to, &pc, e);
    }
    tag_config_free(&tc);
    close(fd);
    if (rc < 0) return -1;
    uint64_t sets = pc.done + pc.absent + pc.stale;
    if (x->plan_first[0] && !strcmp(x->plan_first, "fetch")) {
        say(x, "tag", "%llu of the %llu file sets here complete with these settings; fetch runs before it (see "
            "above), and tag measures what it changes", (unsigned long long)pc.done, (unsigned long long)sets);
    } else if (!pc.absent && !pc.stale) {
        say(x, "tag", "complete with these settings: would be skipped");
        return 0;
    } else if (force) {
        say(x, "tag", "would redo every one of the %llu file sets (asked: --from or --only)", (unsigned long long)sets);
    } else {
        say(x, "tag", "would measure %llu of %llu file sets (a document file's set of one tagger): %llu not "
            "measured before, %llu redone%s%s", (unsigned long long)(pc.absent + pc.stale),
            (unsigned long long)sets, (unsigned long long)pc.absent, (unsigned long long)pc.stale,
            pc.stale ? ": " : "", pc.stale ? pc.why : "");
    }
    plan_work(x, "tag", "%s", force ? "asked to redo it" : pc.stale ? pc.why : "files not measured before");
    return 0;
}

static int stage_tag(runx *x, int force, blalm_err *e)
{
    const run_opts *o = x->o;
    if (o->dry_run) return plan_tag(x, force, e);
    char path[4400];
    if (write_section(x, "tag.json", x->c->tag_json ? x->c->tag_json : "{}", path, sizeof path, e) < 0) return -1;
    tag_config tc;
    if (tag_config_load(path, &tc, e) < 0) {
        tag_config_free(&tc);
        return -1;
    }
    char stats[4400];
    snprintf(stats, sizeof stats, "%s/tag.json", x->w.stats);
    tag_opts to;
    tag_opts_of(x, &tc, path, stats, force, &to);
    tag_counts tcnt;
    int rc = tag_run(&to, &tcnt, relay_progress, x, e);
    tag_config_free(&tc);
    if (rc < 0) return -1;
    say(x, "tag", "%llu files (%llu complete before), %llu documents, %.1f MB in %.1f s",
        (unsigned long long)tcnt.files, (unsigned long long)tcnt.files_skipped, (unsigned long long)tcnt.docs,
        tcnt.bytes / 1e6, tcnt.seconds);
    return 0;
}

/* ---- dedup ---- */

static int stage_dedup(runx *x, int force, blalm_err *e)
{
    char state[4400], stats[4400], attrs[4400];
    snprintf(state, sizeof state, "%s/dedup", x->w.state);
    snprintf(stats, sizeof stats, "%s/dedup.json", x->w.stats);
    snprintf(attrs, sizeof attrs, "%s/dedup", x->w.attrs);
    /* dedup's own files refuse other settings (a signature file from another
     * configuration) rather than mix them: run keys its settings, and a
     * change redoes dedup as --from dedup does */
    char why[512];
    marker_key *k = marker_key_new("run-dedup");
    if (!k) return err_set(e, "out of memory");
    marker_key_settingf(k, "bands", "%d", x->c->dedup.bands);
    marker_key_settingf(k, "rows", "%d", x->c->dedup.rows);
    marker_key_settingf(k, "shingle", "%d", x->c->dedup.shingle);
    marker_key_settingf(k, "seed", "%llu", (unsigned long long)x->c->dedup.seed);
    /* the state files' version: an upgrade that changes them redoes dedup
     * here (dedup itself refuses files of another version) */
    marker_key_settingf(k, "version", "%d", DD_VERSION);
    const dd_config *dc = &x->c->dedup;
    char mn[128], ex[128];
    dd_norm_format(dc->minhash_norm, mn, sizeof mn);
    dd_norm_format(dc->exact_norm, ex, sizeof ex);
    marker_key_settingf(k, "exact_id", "%s", dc->exact_id ? "true" : "false");
    marker_key_settingf(k, "exact_text", "%s", dc->exact_text ? "true" : "false");
    marker_key_settingf(k, "exact_url", "%s", dc->exact_url ? "true" : "false");
    marker_key_settingf(k, "keep_max", "%s", dc->keep_field[0] ? dc->keep_field : "(none)");
    marker_key_settingf(k, "normalize", "%s", mn);
    marker_key_settingf(k, "exact_normalize", "%s", ex);
    if (x->c->dedup_verify > 0) marker_key_settingf(k, "verify_jaccard", "%.17g", x->c->dedup_verify);
    else marker_key_settingf(k, "verify_jaccard", "off");
    if (x->o->dry_run) {
        say(x, "dedup", "exact and MinHash LSH (%d bands x %d rows, %d-word shingles) over every document",
            x->c->dedup.bands, x->c->dedup.rows, x->c->dedup.shingle);
        /* its marker holds the settings; the documents' own changes are
         * found by dedup's per-file outputs as it runs */
        int st = force ? MARKER_ABSENT : marker_check(x->state_run, "run", "dedup", k, why, sizeof why, e);
        struct stat ast;
        if (st == MARKER_DONE && stat(attrs, &ast) < 0) st = MARKER_ABSENT;
        if (st == MARKER_DONE && x->plan_first[0] && !strcmp(x->plan_first, "fetch"))
            say(x, "dedup", "complete with these settings; fetch runs before it (see above), and dedup redoes what "
                "it changes");
        else if (st == MARKER_DONE)
            say(x, "dedup", "complete with these settings: would be skipped (but for document files changed since)");
        else if (st == MARKER_STALE)
            say(x, "dedup", "would redo: %s", why);
        else if (st == MARKER_ABSENT)
            say(x, "dedup", force ? "would redo (asked: --from or --only)" : "would run (not done before)");
        if (st == MARKER_STALE || st == MARKER_ABSENT)
            plan_work(x, "dedup", "%s", st == MARKER_STALE ? why : force ? "asked to redo it" : "not done before");
        marker_key_free(k);
        return st < 0 ? -1 : 0;
    }
    int mst = marker_state(x, "dedup", k, force, why, sizeof why, e);
    if (mst == MARKER_STALE) {
        say(x, "dedup", "redone: %s", why);
        if (marker_remove(x->state_run, "run", "dedup", e) < 0) mst = -1;
    }
    if (mst < 0 || ((force || mst == MARKER_STALE) && (rm_tree(state, e) < 0 || rm_tree(attrs, e) < 0))) {
        marker_key_free(k);
        return -1;
    }
    dd_paths p = {x->w.docs, x->w.attrs, state, stats};
    dd_run_opts ro = {0};
    ro.shard = 0;
    ro.nshards = 1;
    ro.threads = x->c->dedup_threads;
    ro.verify_jaccard = x->c->dedup_verify;
    ro.mem_bytes = (size_t)256 << 20;
    ro.progress = relay_progress;
    ro.progress_arg = x;
    dd_stats st[4];
    memset(st, 0, sizeof st);
    static const char *const names[4] = {"signatures", "buckets", "cluster", "attributes"};
    for (int i = 0; i < 4; i++) {
        int rc = i == 0 ? dd_stage_signatures(&x->c->dedup, &p, &ro, &st[i], e)
               : i == 1 ? dd_stage_buckets(&x->c->dedup, &p, &ro, &st[i], e)
               : i == 2 ? dd_stage_cluster(&x->c->dedup, &p, &ro, &st[i], e)
                        : dd_stage_attributes(&x->c->dedup, &p, &ro, &st[i], e);
        if (rc < 0) {
            marker_key_free(k);
            return err_prefix(e, "dedup %s", names[i]);
        }
        if (dd_stats_record(&p, names[i], &st[i], e) < 0) {
            marker_key_free(k);
            return -1;
        }
        /* the same warnings as blalm dedup's */
        for (int w = 0; i == 2 && w < DD_CLUSTER_WARNINGS; w++) {
            char msg[2048];
            if (dd_cluster_warning(w, &x->c->dedup, &st[2], "set \"exact_id\": false in the run config's "
                                   "dedup section (dedup is redone)", stats, msg, sizeof msg))
                say(x, "dedup", "%s", msg);
        }
    }
    int rc = marker_commit(x->state_run, "run", "dedup", k, NULL, e);
    marker_key_free(k);
    if (rc < 0) return -1;
    say(x, "dedup", "%llu documents, %llu exact duplicates, %llu dropped%s", (unsigned long long)st[2].docs,
        (unsigned long long)st[2].exact_dups, (unsigned long long)st[2].dropped,
        st[2].files_skipped ? " (complete before)" : "");
    return 0;
}

/* ---- score ---- */

/* score_run gives the documents just written (blalm score adds them up);
 * the relay takes the count so far */
static void score_progress(void *arg, uint64_t docs, uint64_t total)
{
    runx *x = arg;
    x->score_done += docs;
    if (total) x->score_total = total;
    if (x->o->progress) x->o->progress(x->o->progress_arg, x->score_done, x->score_total, "score");
}

static const char *score_base(const runx *x)
{
    return x->c->endpoint ? x->c->endpoint : x->o->openai_base_url;
}

static int stage_score(runx *x, int force, blalm_err *e)
{
    const run_config *c = x->c;
    if (!c->score) {
        say(x, "score", "not configured (no \"score\" section)");
        return 0;
    }
    char base[4096];
    snprintf(base, sizeof base, "%s", score_base(x) ? score_base(x) : "");
    for (size_t n = strlen(base); n > 0 && base[n - 1] == '/'; n--) base[n - 1] = 0;
    char shown[4200];   /* what the plan prints: a user:password@ becomes ***@ */
    http_redact(base, NULL, shown, sizeof shown);
    score_opts so;
    memset(&so, 0, sizeof so);
    so.dirs = &x->w;
    so.where = c->where;
    so.where_fix = "the config's score.where";
    so.base_url = base;
    so.api_key = x->o->openai_api_key;
    so.model = c->model_name;
    so.prompt_path = c->prompt;
    so.max_chars = c->max_chars;
    so.temperature = c->temperature;
    so.no_temperature = c->no_temperature;
    so.max_tokens = c->max_tokens;
    so.max_completion_tokens = c->max_completion_tokens;
    so.has_seed = c->has_seed;
    so.seed = c->seed;
    so.concurrency = c->concurrency;
    so.delay_scale = x->o->delay_scale;
    so.timeout_s = 120;
    so.retry_budget_s = 900;
    so.max_attempts = 8;
    so.has_max_requests = c->has_max_requests;
    so.max_requests = c->max_requests;
    so.has_max_prompt_tokens = c->has_max_prompt_tokens;
    so.max_prompt_tokens = c->max_prompt_tokens;
    so.has_sample = c->has_sample;
    so.sample = c->sample;
    so.force = force;
    so.shard = SHARD_ONE;
    score_counts sc;
    if (x->o->dry_run) {
        struct stat st;
        if (stat(x->w.docs, &st) < 0) {
            if (!x->plan_rows) {
                say(x, "score", "model %s at %s: the documents that pass \"%s\" (counted once they are fetched)",
                    c->model_name, shown, c->where ? c->where : "everything");
                return 0;
            }
            /* from the footers: each prompt is the template and at most
             * max_chars of the document (bytes / 4 tokens, as the guards count) */
            llm_template t;
            if (llm_template_load(&t, c->prompt, e) < 0) return -1;
            uint64_t mean = x->plan_text_bytes / x->plan_rows, cut = mean < c->max_chars ? mean : c->max_chars;
            uint64_t per = llm_estimate_tokens(t.len + cut);
            llm_template_free(&t);
            say(x, "score", "model %s at %s: at most %llu documents (the Hub files' rows; \"%s\" is applied once "
                "they are fetched and tagged), about %llu prompt tokens (%llu per document: the prompt and a "
                "mean document of %llu bytes cut at %llu characters)%s", c->model_name, shown,
                (unsigned long long)x->plan_rows, c->where ? c->where : "everything",
                (unsigned long long)(per * x->plan_rows), (unsigned long long)per, (unsigned long long)mean,
                (unsigned long long)c->max_chars,
                c->has_max_requests || c->has_max_prompt_tokens ? " (spending limits in the config apply)" : "");
            return 0;
        }
        so.dry_run = 1;
        const char *limits = c->has_max_requests || c->has_max_prompt_tokens ? " (spending limits in the config apply)" : "";
        /* --where reads attributes that tag and dedup write. When a stage
         * before score would (re)do work, what it selects is known only
         * after that: the plan gives a bound that holds whatever it
         * selects (every document, or the sample's size of them, none
         * answered by the cache), and the count on the current attributes
         * says that it is only that */
        char p[4400];
        snprintf(p, sizeof p, "%s/dedup", x->w.attrs);
        int missing = c->where && stat(p, &st) < 0;
        int fetch_first = !strcmp(x->plan_first, "fetch");
        int redone = (c->where && x->plan_first[0]) || fetch_first;
        if (fetch_first) {
            /* the documents themselves change: no bound from what is here */
            if (missing) so.where = NULL;
            if (score_run(&so, &sc, NULL, NULL, e) < 0) return -1;
            say(x, "score", "model %s at %s: fetch runs before it (%s); on the documents%s here now, which may not "
                "hold then: %llu documents, %llu to send (%llu answered by the cache), about %llu prompt tokens%s",
                c->model_name, shown, x->plan_why, missing ? " (every one: score.where's attributes are not made yet)"
                                                           : " and attributes",
                (unsigned long long)sc.docs, (unsigned long long)sc.sent,
                (unsigned long long)sc.cached, (unsigned long long)sc.est_prompt_tokens, limits);
            return 0;
        }
        if (!missing && !redone) {
            if (score_run(&so, &sc, NULL, NULL, e) < 0) return -1;
            say(x, "score", "model %s at %s: %llu documents, %llu to send (%llu answered by the cache), about %llu "
                "prompt tokens%s", c->model_name, shown, (unsigned long long)sc.docs,
                (unsigned long long)sc.sent, (unsigned long long)sc.cached,
                (unsigned long long)sc.est_prompt_tokens, limits);
            return 0;
        }
        score_opts all = so;   /* no --where, no cache: the bound */
        char nocache[4400];
        snprintf(nocache, sizeof nocache, "%s/no-cache-in-a-plan", x->w.state);
        all.where = NULL;
        all.cache_dir = nocache;
        score_counts sa;
        if (score_run(&all, &sa, NULL, NULL, e) < 0) return -1;
        char bound[300];
        if (c->has_sample)
            snprintf(bound, sizeof bound, "at most %llu to send (the sample's size, of %llu documents)",
                     (unsigned long long)sa.selected, (unsigned long long)sa.docs);
        else
            snprintf(bound, sizeof bound, "at most %llu to send (every document), at most about %llu prompt tokens",
                     (unsigned long long)sa.selected, (unsigned long long)sa.est_prompt_tokens);
        if (missing) {
            say(x, "score", "model %s at %s: score.where (\"%s\") reads tag's and dedup's attributes, made before "
                "it: %s%s", c->model_name, shown, c->where, bound, limits);
            return 0;
        }
        if (score_run(&so, &sc, NULL, NULL, e) < 0) return -1;
        say(x, "score", "model %s at %s: %s runs before it (%s), and score.where (\"%s\") reads the attributes "
            "it may change: %s%s; on the current attributes, which may not hold then: %llu to send (%llu answered "
            "by the cache), about %llu prompt tokens", c->model_name, shown, x->plan_first, x->plan_why, c->where,
            bound, limits, (unsigned long long)sc.sent, (unsigned long long)sc.cached,
            (unsigned long long)sc.est_prompt_tokens);
        return 0;
    }
    x->score_done = 0;
    x->score_total = 0;
    if (score_run(&so, &sc, x->o->progress ? score_progress : NULL, x, e) < 0) {
        x->res->stop_signal = sc.stop_signal;   /* SIGTERM or SIGINT: blalm run ends as it would */
        return -1;
    }
    say(x, "score", "%llu documents, %llu selected, %llu sent, %llu from the cache, %llu prompt tokens%s%s",
        (unsigned long long)sc.docs, (unsigned long long)sc.selected, (unsigned long long)sc.sent,
        (unsigned long long)sc.cached, (unsigned long long)sc.prompt_tokens, sc.guard_hit ? "; stopped: " : "",
        sc.guard_hit ? sc.guard : "");
    return 0;
}

/* ---- distill ---- */

static void distill_progress(void *arg, uint64_t docs)
{
    const runx *x = arg;
    if (x->o->progress) x->o->progress(x->o->progress_arg, docs, 0, "distill");
}

static void distill_train_progress(void *arg, const char *what, int step, int steps)
{
    const runx *x = arg;
    if (x->o->progress) x->o->progress(x->o->progress_arg, (uint64_t)step, (uint64_t)steps, what);
}

/* The model's inputs: the section, the documents, every attribute set but
 * the one the stage writes (labels, tag's sets for the attribute features,
 * whatever else: a set the model does not read only costs a retrain), and
 * the word vectors. The sets' data files only (legacy: their records too,
 * the key of a blalm before): a changed threshold that changes no value
 * rewrites every tag set's record, and retrained the model for nothing. */
static int distill_key(const runx *x, marker_key *k, int legacy, blalm_err *e)
{
    const run_config *c = x->c;
    marker_key_setting(k, "config", c->distill_json);
    /* named under WORK (run's documents and attributes are WORK/docs and WORK/attributes) */
    if (key_dir_rec(k, x->w.work, "docs", 1, e) < 0) return -1;
    struct dirent **ents;
    int n = scandir(x->w.attrs, &ents, NULL, alphasort);
    if (n < 0 && errno != ENOENT) return err_errno(e, "%s", x->w.attrs);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        if (!rc && nm[0] != '.' && strcmp(nm, "edu_local")) {
            char rel[600];
            snprintf(rel, sizeof rel, "attributes/%s", nm);
            rc = key_dir_rec(k, x->w.work, rel, legacy, e);
        }
        free(ents[i]);
    }
    if (n >= 0) free(ents);   /* scandir may allocate the array for no entries too */
    if (rc == 0 && c->distill_embeddings) rc = marker_key_file(k, "embeddings", c->distill_embeddings, e);
    return rc;
}

static int distill_fit(runx *x, const distill_work_opts *wo, blalm_err *e)
{
    const run_config *c = x->c;
    distill_train_opts to;
    memset(&to, 0, sizeof to);
    distill_features_default(&to.feat);
    to.feat.max_bytes = (uint32_t)c->distill_max_chars;
    to.kind = (distill_kind)c->distill_kind;
    to.folds = c->distill_folds;
    to.seed = c->distill_seed;
    to.emb_weight = c->distill_emb_weight;
    to.progress = distill_train_progress;
    to.progress_ctx = x;
    distill_vectors *vec = NULL;
    if (c->distill_embeddings) {
        vec = distill_vectors_load(c->distill_embeddings, (uint32_t)c->distill_emb_words, e);
        if (!vec) return err_prefix(e, "%s: distill.embeddings", c->name);
        to.vectors = vec;
    }
    distill_work_opts w = *wo;
    w.vectors = vec;
    distill_examples ex;
    memset(&ex, 0, sizeof ex);
    distill_work_counts n;
    int rc = distill_collect(&w, &to.feat, &ex, &n, e);
    distill_model *m = NULL;
    distill_train_report rep;
    if (rc == 0 && !(m = distill_train(&ex, &to, &rep, e))) rc = err_prefix(e, "%s", x->w.docs);
    distill_examples_free(&ex);
    distill_vectors_free(vec);
    if (rc < 0) return -1;
    const distill_candidate *b = &rep.cand[rep.best];
    const distill_emb_report *er = &rep.emb;
    double f1, mae, thr;
    distill_report_chosen(&rep, &f1, &mae, &thr);
    char labels[600];
    snprintf(labels, sizeof labels, "%s%s", c->distill_field ? "field:" : "",
             c->distill_field ? c->distill_field : c->distill_labels);
    cJSON *fig = cJSON_CreateObject();
    cJSON_AddStringToObject(fig, "model", distill_model_name(m));
    cJSON_AddStringToObject(fig, "labels", labels);
    cJSON_AddNumberToObject(fig, "documents", (double)n.docs);
    cJSON_AddNumberToObject(fig, "labelled", (double)rep.docs);
    cJSON_AddNumberToObject(fig, "unlabelled_skipped", (double)n.unlabelled);
    cJSON_AddNumberToObject(fig, "duplicates_id", (double)n.dup_id);
    cJSON_AddNumberToObject(fig, "duplicates_text", (double)n.dup_text);
    cJSON_AddNumberToObject(fig, "label_conflicts", (double)n.label_conflicts);
    cJSON_AddNumberToObject(fig, "folds", to.folds);
    cJSON_AddStringToObject(fig, "kind", distill_kind_name(b->kind));
    cJSON_AddNumberToObject(fig, "lambda", b->lambda);
    cJSON_AddNumberToObject(fig, "threshold", thr);
    cJSON_AddNumberToObject(fig, "cv_f1_at3", f1);
    cJSON_AddNumberToObject(fig, "cv_mae", mae);
    cJSON_AddBoolToObject(fig, "embeddings", er->on);
    char *js = json_print(fig, 0);
    cJSON_Delete(fig);
    if (!js) {
        distill_model_free(m);
        return err_set(e, "out of memory");
    }
    size_t len = strlen(js);
    js[len++] = '\n';   /* replaces the NUL: written by length */
    rc = mkdir_p(x->distill_dir, e);
    /* the figures first, then the model: the model's presence (with the
     * marker) is what says the step is done */
    if (rc == 0) rc = write_file_atomic(x->distill_json, js, len, e);
    free(js);
    if (rc == 0) rc = distill_model_save(m, x->distill_model, e);
    if (rc == 0)
        say(x, "distill", "model: %zu labelled documents (%llu of %llu unlabelled, skipped; %llu duplicate ids, "
            "%llu duplicate texts), %d-fold CV F1@3 %.4f, MAE %.4f, %s lambda %g%s; %s",
            rep.docs, (unsigned long long)n.unlabelled, (unsigned long long)n.docs, (unsigned long long)n.dup_id,
            (unsigned long long)n.dup_text, to.folds, f1, mae, distill_kind_name(b->kind), b->lambda,
            er->on ? " + word vectors" : "", x->distill_model);
    distill_model_free(m);
    return rc;
}

static int stage_distill(runx *x, int force, blalm_err *e)
{
    const run_config *c = x->c;
    if (!c->distill) {
        say(x, "distill", "not configured (no \"distill\" section)");
        return 0;
    }
    char set[128] = "";
    distill_work_opts wo;
    memset(&wo, 0, sizeof wo);
    wo.dirs = &x->w;
    if (c->distill_labels) {
        const char *dot = strchr(c->distill_labels, '.');
        snprintf(set, sizeof set, "%.*s", (int)(dot - c->distill_labels), c->distill_labels);
        wo.labels.set = set;
        wo.labels.key = dot + 1;
    } else {
        wo.labels.field = c->distill_field;
    }
    wo.labels.skip_unlabelled = c->distill_skip_unlabelled;
    wo.attrs = (distill_attrs_mode)c->distill_attrs;
    if (x->o->dry_run) {
        say(x, "distill", "learn the %s labels (%s of %s; %d-fold CV%s%s), then write edu_local for every "
            "document; model %s", c->distill_labels ? c->distill_labels : c->distill_field,
            c->distill_labels ? "an attribute set's key" : "a metadata field",
            c->distill_skip_unlabelled ? "the labelled documents" : "every document", c->distill_folds,
            c->distill_embeddings ? ", word vectors " : "", c->distill_embeddings ? c->distill_embeddings : "",
            x->distill_model);
        struct stat st;
        marker_key *k = stat(x->w.docs, &st) == 0 && file_exists(x->distill_model) ? marker_key_new("run-distill") : NULL;
        int rc = k && distill_key(x, k, 0, e) < 0 ? -1 : plan_status(x, "distill", "distill", k, force, e);
        marker_key_free(k);
        return rc;
    }
    char why[512];
    marker_key *k = marker_key_new("run-distill");
    if (!k) return err_set(e, "out of memory");
    int rc = distill_key(x, k, 0, e);
    int st = rc < 0 ? -1 : marker_state(x, "distill", k, force, why, sizeof why, e);
    if (st == MARKER_STALE) {
        marker_key *old = marker_key_new("run-distill");
        st = !old ? err_set(e, "out of memory") : distill_key(x, old, 1, e) < 0 ? -1 : marker_upgrade(x, "distill", k, old, st, e);
        marker_key_free(old);
    }
    if (st == MARKER_DONE && !file_exists(x->distill_model)) st = MARKER_ABSENT;
    if (st == MARKER_DONE) {
        say(x, "distill", "model complete (same documents, attributes and settings), skipped");
    } else if (st >= 0) {
        if (st == MARKER_STALE) say(x, "distill", "model redone: %s", why);
        rc = distill_fit(x, &wo, e);
        if (rc == 0) rc = marker_commit(x->state_run, "run", "distill", k, NULL, e);
    } else {
        rc = -1;
    }
    marker_key_free(k);
    if (rc < 0) return -1;
    distill_model *m = distill_model_load(x->distill_model, e);
    if (!m) return -1;
    distill_work_counts n;
    wo.model = m;
    wo.model_path = x->distill_model;
    wo.force = force;
    wo.progress = distill_progress;
    wo.progress_ctx = x;
    rc = distill_score_work(&wo, m, &n, e);
    distill_model_free(m);
    if (rc < 0) {
        x->res->stop_signal = n.stop_signal;   /* SIGTERM or SIGINT: blalm run ends as it would */
        return -1;
    }
    say(x, "distill", "%llu documents in %llu files -> edu_local (%llu files complete before; int_score 0-5: "
        "%llu %llu %llu %llu %llu %llu)", (unsigned long long)n.docs, (unsigned long long)n.files,
        (unsigned long long)n.skipped, (unsigned long long)n.hist[0], (unsigned long long)n.hist[1],
        (unsigned long long)n.hist[2], (unsigned long long)n.hist[3], (unsigned long long)n.hist[4],
        (unsigned long long)n.hist[5]);
    return 0;
}

/* ---- assemble ---- */

/* --dry-run: assemble's marker against the config planned (its key as
 * stage_assemble makes it); no key while the attribute sets its rules read
 * are not all there. */
static int plan_assemble(runx *x, int force, blalm_err *e)
{
    char path[64];
    int fd;
    struct stat st;
    if (stat(x->w.attrs, &st) < 0) return plan_status(x, "assemble", "assemble", NULL, force, e);
    if (mem_file(x->c->corpora_json, path, sizeof path, &fd, e) < 0) return -1;
    marker_key *k = NULL;
    attr_schema *schema = schema_scan(x->w.attrs, e);
    corpora_config cc;
    blalm_err sub = {{0}};
    int loaded = schema && corpora_config_load(&cc, path, schema, NULL, &sub) == 0;
    schema_free(schema);
    close(fd);
    if (!schema) return -1;
    int rc = 0;
    if (loaded) {
        char *cj = corpora_config_json(&cc);
        k = marker_key_new("run-assemble");
        if (!k || !cj) rc = err_set(e, "out of memory");
        else marker_key_setting(k, "config", cj);
        free(cj);
        if (rc == 0) rc = key_dir(k, x->w.attrs, e);
        for (int i = 0; rc == 0 && i < cc.ncorpora; i++) {   /* as stage_assemble: every manifest there */
            char m[8600];
            snprintf(m, sizeof m, "%s/%s/manifest.json", x->corpora, cc.corpora[i].name);
            if (!file_exists(m)) {
                marker_key_free(k);
                k = NULL;
            }
        }
        corpora_config_free(&cc);
    }
    if (rc == 0) rc = plan_status(x, "assemble", "assemble", k, force, e);
    marker_key_free(k);
    return rc;
}

static int stage_assemble(runx *x, int force, blalm_err *e)
{
    const run_config *c = x->c;
    if (x->o->dry_run) {
        struct stat st;
        uint64_t files, docs, words, bytes;
        if (stat(x->w.docs, &st) < 0) {
            /* FineWeb text: 6.10 bytes per whitespace word (2,424,167 words in
             * 14,778,249 bytes of the 2,100 documents in ../shared/data) */
            uint64_t est = (uint64_t)((double)x->plan_text_bytes / 6.10);
            for (int i = 0; i < c->ncorpora; i++) {
                if (x->plan_rows)
                    say(x, "assemble", "corpus %s: budget %llu words%s%s; about %llu words in the Hub files "
                        "(their text bytes at 6.1 bytes per word; %.0f%% of the budget) before any rule",
                        c->corpus_names[i], (unsigned long long)c->corpus_budgets[i],
                        c->corpus_tracks[i][0] ? ", track " : "", c->corpus_tracks[i], (unsigned long long)est,
                        c->corpus_budgets[i] ? 100.0 * (double)est / (double)c->corpus_budgets[i] : 0.0);
                else
                    say(x, "assemble", "corpus %s: budget %llu words%s%s", c->corpus_names[i],
                        (unsigned long long)c->corpus_budgets[i], c->corpus_tracks[i][0] ? ", track " : "",
                        c->corpus_tracks[i]);
            }
            return plan_status(x, "assemble", "assemble", NULL, force, e);
        }
        if (count_docs(x->w.docs, &files, &docs, &words, &bytes, e) < 0) return -1;
        for (int i = 0; i < c->ncorpora; i++)
            say(x, "assemble", "corpus %s: budget %llu words%s%s; %llu words in all the documents (%.0f%% of it) "
                "before any rule", c->corpus_names[i], (unsigned long long)c->corpus_budgets[i],
                c->corpus_tracks[i][0] ? ", track " : "", c->corpus_tracks[i], (unsigned long long)words,
                c->corpus_budgets[i] ? 100.0 * (double)words / (double)c->corpus_budgets[i] : 0.0);
        return plan_assemble(x, force, e);
    }
    char path[4400], why[512];
    if (write_section(x, "corpora.json", c->corpora_json, path, sizeof path, e) < 0) return -1;
    attr_schema *schema = schema_scan(x->w.attrs, e);
    if (!schema) return -1;
    corpora_config cc;
    int rc = corpora_config_load(&cc, path, schema, NULL, e);
    schema_free(schema);
    if (rc < 0) return err_prefix(e, "%s: corpora", c->name);
    marker_key *k = marker_key_new("run-assemble");
    char *cj = corpora_config_json(&cc);
    if (!k || !cj) {
        free(cj);
        marker_key_free(k);
        corpora_config_free(&cc);
        return err_set(e, "out of memory");
    }
    marker_key_setting(k, "config", cj);
    free(cj);
    rc = key_dir(k, x->w.attrs, e);
    int st = rc < 0 ? -1 : marker_state(x, "assemble", k, force, why, sizeof why, e);
    for (int i = 0; st == MARKER_DONE && i < cc.ncorpora; i++) {
        char m[8600];
        snprintf(m, sizeof m, "%s/%s/manifest.json", x->corpora, cc.corpora[i].name);
        if (!file_exists(m)) st = MARKER_ABSENT;
    }
    if (st == MARKER_DONE) {
        say(x, "assemble", "complete (same attributes and config), skipped");
    } else if (st >= 0) {
        if (st == MARKER_STALE) say(x, "assemble", "redone: %s", why);
        assemble_opts ao = {0};
        ao.work = x->w.work;
        ao.docs = x->w.docs;
        ao.attrs = x->w.attrs;
        ao.out = x->corpora;
        ao.config = &cc;
        ao.quiet = 1;
        ao.progress = relay_progress;
        ao.progress_arg = x;
        assemble_result ar;
        rc = corpora_assemble(&ao, &ar, e);
        for (int i = 0; rc == 0 && i < cc.ncorpora; i++) {
            char dir[8600], *problems = NULL;
            verify_result vr;
            snprintf(dir, sizeof dir, "%s/%s", x->corpora, cc.corpora[i].name);
            int np = corpora_verify(dir, cc.corpora[i].track[0] ? cc.corpora[i].track : NULL, &vr, &problems, e);
            if (np != 0) rc = np < 0 ? -1 : err_set(e, "%s: verify found %d problems:\n%s", dir, np, problems);
            free(problems);
            if (rc == 0)
                say(x, "assemble", "corpus %s: %llu of %llu words (%llu documents), %llu dev words%s",
                    cc.corpora[i].name, (unsigned long long)ar.corpora[i].words,
                    (unsigned long long)ar.corpora[i].budget, (unsigned long long)ar.corpora[i].docs,
                    (unsigned long long)ar.corpora[i].dev_words, ar.corpora[i].pool_short ? " (the pool ran out)" : "");
            if (rc == 0 && ar.corpora[i].dev_empty[0])   /* training would show "dev loss n/a" unexplained */
                say(x, "assemble", "warning: corpus %s: %s", cc.corpora[i].name, ar.corpora[i].dev_empty);
        }
        if (rc == 0) x->corpora_verified = 1;
        if (rc == 0) rc = marker_commit(x->state_run, "run", "assemble", k, NULL, e);
    } else {
        rc = -1;
    }
    /* corpora of an earlier config: the report lists WORK/corpora and a
     * submission is made from it, so only the configured ones stay */
    DIR *d = rc == 0 ? opendir(x->corpora) : NULL;
    struct dirent *de;
    while (rc == 0 && d && (de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        int i;
        for (i = 0; i < cc.ncorpora && strcmp(cc.corpora[i].name, de->d_name); i++) {}
        char dir[8600], m[8700];
        snprintf(dir, sizeof dir, "%s/%s", x->corpora, de->d_name);
        snprintf(m, sizeof m, "%s/manifest.json", dir);
        if (i < cc.ncorpora || !file_exists(m)) continue;
        rc = rm_tree(dir, e);
        if (rc == 0) say(x, "assemble", "removed %s (a corpus the config no longer has)", dir);
    }
    if (d) closedir(d);
    marker_key_free(k);
    corpora_config_free(&cc);
    return rc;
}

/* ---- tokenizer ---- */

static int train_corpus_dir(const runx *x, char *out, size_t cap)
{
    return snprintf(out, cap, "%s/%s", x->corpora, x->c->train_corpus) >= (int)cap ? -1 : 0;
}

/* What the tokenizer learns from, as the corpus manifest gives it: the
 * train split's files (path and sha256, checked by assemble's verify) and
 * the index that cuts them into documents. Not the whole manifest: it also
 * names the attribute sets' records, so a threshold change that changes no
 * document of the corpus retrained the tokenizer for nothing. */
static int key_train_text(marker_key *k, const char *manifest, blalm_err *e)
{
    char *data;
    size_t len;
    if (read_file(manifest, &data, &len, e) < 0) return -1;
    cJSON *m = cJSON_ParseWithLength(data, len);
    free(data);
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(m, "files"), *f;
    const cJSON *index = cJSON_GetObjectItemCaseSensitive(m, "index");
    const cJSON *isha = cJSON_GetObjectItemCaseSensitive(index, "sha256");
    int rc = cJSON_IsArray(files) ? 0 : err_set(e, "%s: no \"files\" list (not a corpus manifest?)", manifest);
    cJSON_ArrayForEach(f, files) {
        if (rc < 0) break;
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(f, "path");
        const cJSON *split = cJSON_GetObjectItemCaseSensitive(f, "split");
        const cJSON *sha = cJSON_GetObjectItemCaseSensitive(f, "sha256");
        if (!cJSON_IsString(path) || !cJSON_IsString(split) || !cJSON_IsString(sha)) {
            rc = err_set(e, "%s: a \"files\" entry without path, split and sha256", manifest);
            break;
        }
        if (!strcmp(split->valuestring, "train")) marker_key_setting(k, path->valuestring, sha->valuestring);
    }
    /* a corpus without an index is cut at blank lines: the files say it all */
    if (rc == 0) marker_key_setting(k, "index", cJSON_IsString(isha) ? isha->valuestring : "none");
    cJSON_Delete(m);
    return rc;
}

static int stage_tokenizer(runx *x, int force, blalm_err *e)
{
    model_config mc;
    if (model_config_load(x->c->model_cfg, &mc, e) < 0) return -1;
    uint32_t vocab = x->c->vocab_size ? x->c->vocab_size : (uint32_t)mc.vocab_size;
    char dir[4400], manifest[4500], why[512];
    train_corpus_dir(x, dir, sizeof dir);
    if (x->o->dry_run) {
        say(x, "tokenizer", "byte-level BPE, %u tokens, trained on %s's train split", vocab, x->c->train_corpus);
        snprintf(manifest, sizeof manifest, "%s/manifest.json", dir);
        marker_key *k = file_exists(manifest) && file_exists(x->tokfile) ? marker_key_new("run-tokenizer") : NULL;
        if (k) marker_key_settingf(k, "vocab_size", "%u", vocab);
        int rc = k && key_train_text(k, manifest, e) < 0 ? -1 : plan_status(x, "tokenizer", "tokenizer", k, force, e);
        marker_key_free(k);
        return rc;
    }
    snprintf(manifest, sizeof manifest, "%s/manifest.json", dir);
    marker_key *k = marker_key_new("run-tokenizer");
    if (!k) return err_set(e, "out of memory");
    marker_key_settingf(k, "vocab_size", "%u", vocab);
    int rc = key_train_text(k, manifest, e);
    int st = rc < 0 ? -1 : marker_state(x, "tokenizer", k, force, why, sizeof why, e);
    if (st == MARKER_STALE) {
        /* a blalm before keyed the whole manifest */
        marker_key *old = marker_key_new("run-tokenizer");
        if (old) marker_key_settingf(old, "vocab_size", "%u", vocab);
        st = !old ? err_set(e, "out of memory")
             : marker_key_file(old, "manifest.json", manifest, e) < 0 ? -1
                                                                        : marker_upgrade(x, "tokenizer", k, old, st, e);
        marker_key_free(old);
    }
    if (st == MARKER_DONE && file_exists(x->tokfile)) {
        say(x, "tokenizer", "complete, skipped");
    } else if (st >= 0) {
        bpe_counter *bc = bpe_counter_new(NULL, e);
        bpe_tokenizer *t = NULL;
        rc = bc ? train_count_corpus(dir, bc, e) : -1;
        if (rc == 0 && !bpe_counter_pretokens(bc)) rc = err_set(e, "%s: the train split holds no text", dir);
        if (rc == 0) {
            bpe_train_opts to;
            bpe_train_opts_default(&to);
            to.vocab_size = vocab;
            to.allow_smaller = 1;
            if (!(t = bpe_train(bc, &to, e))) rc = -1;
        }
        if (rc == 0 && (mkdir_p(x->tokdir, e) < 0 || bpe_save_json(t, x->tokfile, e) < 0)) rc = -1;
        if (rc == 0) {
            sbuf res;
            sb_init(&res);
            sb_printf(&res, "{\"vocab_size\":%u", bpe_vocab_size(t));
            result_corpus(x, &res);
            sb_addc(&res, '}');
            rc = marker_commit(x->state_run, "run", "tokenizer", k, sb_cstr(&res), e);
            sb_free(&res);
            if (rc == 0) say(x, "tokenizer", "%u tokens, written to %s", bpe_vocab_size(t), x->tokfile);
        }
        bpe_free(t);
        bpe_counter_free(bc);
    } else {
        rc = -1;
    }
    marker_key_free(k);
    return rc;
}

/* ---- tokenize ---- */

static int stage_tokenize(runx *x, int force, blalm_err *e)
{
    char dir[4400];
    train_corpus_dir(x, dir, sizeof dir);
    if (x->o->dry_run) {
        say(x, "tokenize", "%s's train and dev splits to token shards in %s", x->c->train_corpus, x->tokens);
        return 0;
    }
    /* verified once: by assemble in this process, else here (a resume may
     * find the corpus changed since) */
    if (!x->corpora_verified && corpora_check_readable(dir, e) < 0) return -1;
    bpe_tokenizer *t = bpe_load(x->tokfile, e);
    if (!t) return -1;
    tokenize_opts to = {0};
    to.corpus = dir;
    to.tok = t;
    to.tokenizer_name = x->tokfile;
    to.out = x->tokens;
    to.state_dir = x->w.state;
    to.threads = x->c->train_threads;
    to.force = force;
    to.shard = SHARD_ONE;
    tokenize_counts tc;
    int rc = tokenize_run(&to, &tc, NULL, NULL, e);
    bpe_free(t);
    if (rc == 0)
        say(x, "tokenize", "%zu files (%zu complete before), %llu tokens, %llu words", tc.files,
            tc.files_done_before, (unsigned long long)tc.tokens, (unsigned long long)tc.words);
    return rc;
}

/* ---- train ---- */

/* The token shards' manifest, DIR/tokens.json, as an input of train: all of
 * it but "tokenizer", the tokenizer's path, which names WORK (the tokenizer's
 * bytes are keyed on their own): a work folder moved or copied elsewhere
 * keeps its trained model. */
static int key_tokens_manifest(marker_key *k, const char *dir, blalm_err *e)
{
    char p[4400];
    snprintf(p, sizeof p, "%s/tokens.json", dir);
    char *data;
    size_t len;
    if (read_file(p, &data, &len, e) < 0) return -1;
    cJSON *o = cJSON_ParseWithLength(data, len);
    free(data);
    if (!cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return err_set(e, "%s: expected a JSON object (blalm tokenize's manifest)", p);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(o, "tokenizer");
    char *text = json_print(o, 0);
    cJSON_Delete(o);
    if (!text) return err_set(e, "out of memory");
    marker_key_settingf(k, "tokens.json", "%016llx", (unsigned long long)xxh3_64(text, strlen(text)));
    free(text);
    return 0;
}

/* The optimizer a run trains with: "adamw" when train.optimizer is not
 * given (what blalm train then uses), so that spelling out the default
 * keeps the model (it was keyed on -1 / 0 / 1, and "adamw" written out
 * retrained the same model, saying "setting optimizer was -1, now 0"). */
static const char *train_optimizer(const run_config *c)
{
    return c->optimizer == OPT_MUON ? "muon" : "adamw";
}

/* train_key with the run length given (train_key: the config's) */
static marker_key *train_key_len(const runx *x, int legacy, int optnum, long max_steps, uint64_t max_tokens,
                                 blalm_err *e)
{
    const run_config *c = x->c;
    marker_key *k = marker_key_new("run-train");
    if (!k) {
        err_set(e, "out of memory");
        return NULL;
    }
    char tj[4400];
    snprintf(tj, sizeof tj, "%s/tokens.json", x->tokens);
    if ((legacy ? marker_key_file(k, "tokens.json", tj, e) : key_tokens_manifest(k, x->tokens, e)) < 0 ||
        marker_key_file(k, "model.json", c->model_cfg, e) < 0 ||
        marker_key_file(k, "tokenizer.json", x->tokfile, e) < 0) {
        marker_key_free(k);
        return NULL;
    }
    marker_key_settingf(k, "max_steps", "%ld", max_steps);
    marker_key_settingf(k, "max_tokens", "%llu", (unsigned long long)max_tokens);
    if (optnum == TRAIN_OPT_NAME) marker_key_setting(k, "optimizer", train_optimizer(c));
    else marker_key_settingf(k, "optimizer", "%d", optnum);
    marker_key_setting(k, "track", c->train_track ? c->train_track : "none");
    return k;
}

static marker_key *train_key(const runx *x, int legacy, int optnum, blalm_err *e)
{
    return train_key_len(x, legacy, optnum, x->c->max_steps, x->c->max_tokens_train, e);
}

/* The run length a marker of run's UNIT holds (its max_steps and max_tokens
 * settings): 1, or 0 when it holds none that reads as one. */
static int marker_train_len(const runx *x, const char *unit, long *ms, uint64_t *mt)
{
    char path[8192];
    blalm_err e2 = {{0}};
    char *data;
    size_t len;
    if (marker_path_of(x->state_run, "run", unit, path, sizeof path, &e2) < 0 || read_file(path, &data, &len, &e2) < 0)
        return 0;
    cJSON *m = cJSON_ParseWithLength(data, len);
    free(data);
    const cJSON *sets = cJSON_GetObjectItemCaseSensitive(m, "settings"), *it;
    int got = 0;
    cJSON_ArrayForEach(it, sets) {
        const cJSON *n = cJSON_GetArrayItem(it, 0), *v = cJSON_GetArrayItem(it, 1);
        if (!cJSON_IsString(n) || !cJSON_IsString(v)) continue;
        char *end;
        errno = 0;
        unsigned long long u = strtoull(v->valuestring, &end, 10);
        if (errno || end == v->valuestring || *end || v->valuestring[0] == '-') continue;
        if (!strcmp(n->valuestring, "max_steps") && u <= (unsigned long long)LONG_MAX) *ms = (long)u, got |= 1;
        else if (!strcmp(n->valuestring, "max_tokens")) *mt = u, got |= 2;
    }
    cJSON_Delete(m);
    return got == 3;
}

/* The run's own start line (WORK/model/log.jsonl's first, as train_run
 * writes it): its rows a step, steps per epoch and the total it ran to. 1,
 * or 0 when there is none that reads as one. */
static int train_start_line(const runx *x, uint64_t *rows, uint64_t *per_epoch, uint64_t *total)
{
    char lp[4400];
    snprintf(lp, sizeof lp, "%s/log.jsonl", x->model);
    FILE *f = fopen(lp, "r");
    if (!f) return 0;
    char line[8192];
    int have = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    cJSON *h = have ? cJSON_Parse(line) : NULL;
    const cJSON *ev = cJSON_GetObjectItemCaseSensitive(h, "event"), *r = cJSON_GetObjectItemCaseSensitive(h, "rows"),
                *spe = cJSON_GetObjectItemCaseSensitive(h, "steps_per_epoch"),
                *tot = cJSON_GetObjectItemCaseSensitive(h, "total_steps");
    int ok = cJSON_IsString(ev) && !strcmp(ev->valuestring, "start") && cJSON_IsNumber(r) && cJSON_IsNumber(spe) &&
             cJSON_IsNumber(tot) && r->valuedouble >= 1 && r->valuedouble <= 1e9 && spe->valuedouble >= 1 &&
             spe->valuedouble < 9e15 && tot->valuedouble >= 1 && tot->valuedouble < 9e15;
    if (ok) {
        *rows = (uint64_t)r->valuedouble;
        *per_epoch = (uint64_t)spe->valuedouble;
        *total = (uint64_t)tot->valuedouble;
    }
    cJSON_Delete(h);
    return ok;
}

/* 1 when the run length ms / mt and the config's both come to the total
 * steps of the run's own start line (its rows a step and steps per epoch,
 * the same for these same inputs) */
static int train_len_same(const runx *x, long ms, uint64_t mt)
{
    const run_config *c = x->c;
    uint64_t rows, per_epoch, total;
    if (x->train_seq_len <= 0 || !train_start_line(x, &rows, &per_epoch, &total)) return 0;
    uint64_t per_step = rows * (uint64_t)x->train_seq_len;
    return train_steps_of(ms, mt, per_step, per_epoch) == total &&
           train_steps_of(c->max_steps, c->max_tokens_train, per_step, per_epoch) == total;
}

/* 1 when run's UNIT marker ("train" or "train-started") differs from k only
 * in how the run length is given (train.max_steps against the max_tokens,
 * or the one epoch, that comes to the same number of steps): the model is
 * the one these settings train, and the marker is rewritten with k (not in
 * a --dry-run); retrained, it was the same model again. The steps are those
 * of the run's own start line (WORK/model/log.jsonl: its rows per step and
 * steps per epoch, the same for these same inputs, and the total it ran
 * to), and both lengths must come to that total. */
static int train_take_same_length(runx *x, const char *unit, marker_key *k, blalm_err *e)
{
    const run_config *c = x->c;
    long ms = 0;
    uint64_t mt = 0;
    if (!marker_train_len(x, unit, &ms, &mt) || (ms == c->max_steps && mt == c->max_tokens_train)) return 0;
    marker_key *old = train_key_len(x, 0, TRAIN_OPT_NAME, ms, mt, e);
    int ost = old ? marker_check(x->state_run, "run", unit, old, NULL, 0, e) : -1;
    marker_key_free(old);
    if (ost < 0) return -1;
    if (ost != MARKER_DONE) return 0;
    if (!train_len_same(x, ms, mt)) return 0;
    if (x->o->dry_run) return 1;
    char *res;
    int got = marker_result_get(x->state_run, "run", unit, &res, e);
    if (got < 0) return -1;
    e->msg[0] = 0;   /* none (MARKER_NO_RESULT) is kept so */
    int rc = marker_commit(x->state_run, "run", unit, k, res, e);
    free(res);
    return rc < 0 ? -1 : 1;
}

/* 1 when run's UNIT marker ("train" or "train-started") holds the key of
 * these inputs and settings as an older blalm made it (tokens.json's bytes
 * rather than key_tokens_manifest; the optimizer as a number, where -1 (not
 * given) and 0 (adamw) are one run); it is then rewritten with k (not in a
 * --dry-run), so an upgrade neither retrains nor restarts a model. */
static int train_take_legacy(runx *x, const char *unit, marker_key *k, blalm_err *e)
{
    const run_config *c = x->c;
    int nums[2], nn = 0;
    nums[nn++] = c->optimizer;
    if (c->optimizer != OPT_MUON) nums[nn++] = c->optimizer < 0 ? OPT_ADAMW : -1;
    for (int legacy = 0; legacy < 2; legacy++)
        for (int i = 0; i < nn; i++) {
            char w2[64];
            marker_key *old = train_key(x, legacy, nums[i], e);
            int ost = old ? marker_check(x->state_run, "run", unit, old, w2, sizeof w2, e) : -1;
            marker_key_free(old);
            if (ost < 0) return -1;
            if (ost != MARKER_DONE) continue;
            if (x->o->dry_run) return 1;
            char *res;
            int got = marker_result_get(x->state_run, "run", unit, &res, e);
            /* a "train-started" without "result" (a blalm of 9e850eb to
             * cd339bd meant none) proves the start as before: kept so */
            int legacy_none = got == MARKER_NO_RESULT && !strcmp(unit, "train-started");
            if (legacy_none) e->msg[0] = 0;   /* that marker, not a read error */
            int rc = !res && !legacy_none ? -1 : marker_commit(x->state_run, "run", unit, k, res, e);
            free(res);
            return rc < 0 ? -1 : 1;
        }
    return 0;
}

/* train_take_legacy, else train_take_same_length */
static int train_take_older(runx *x, const char *unit, marker_key *k, blalm_err *e)
{
    int lst = train_take_legacy(x, unit, k, e);
    return lst ? lst : train_take_same_length(x, unit, k, e);
}

static int stage_train(runx *x, int force, blalm_err *e)
{
    const run_config *c = x->c;
    model_config mc;
    if (model_config_load(c->model_cfg, &mc, e) < 0) return -1;
    x->train_seq_len = mc.train.seq_len;
    if (x->o->dry_run) {
        /* the rows a step: the model's last run's when fewer than the
         * config's batch (a corpus of fewer windows than the batch trains
         * fewer a step), else the config's */
        uint64_t rows = (uint64_t)mc.train.batch_size, spe, tot;
        int ran = train_start_line(x, &rows, &spe, &tot);
        /* a larger batch than the config's now: the config changed since */
        if (!ran || rows >= (uint64_t)mc.train.batch_size) {
            rows = (uint64_t)mc.train.batch_size;
            ran = 0;
        }
        uint64_t per_step = rows * (uint64_t)mc.train.seq_len;
        train_opts bo = {0};
        bo.model_cfg = c->model_cfg;
        bo.optimizer = c->optimizer < 0 ? OPT_ADAMW : (optim_kind)c->optimizer;
        bo.threads = c->train_threads;
        bo.ranks = 1;
        train_bench_result br;
        int have = train_bench(&bo, 2, 1, &br, e) == 0 && br.tok_per_s > 0;
        unsigned long long steps = train_steps_of(c->max_steps, c->max_tokens_train, per_step, 0);
        char bs[96];
        snprintf(bs, sizeof bs, "batch %llu x %d%s", (unsigned long long)rows, mc.train.seq_len,
                 ran ? ", as the model's last run" : "");
        if (steps && have)
            say(x, "train", "%llu steps of %llu tokens (%s) on %d thread(s): about %.0f s at the %.0f "
                "tokens/s measured now on 2 steps of this model (batch 1)", steps, (unsigned long long)per_step, bs,
                c->train_threads, (double)steps * (double)per_step / br.tok_per_s, br.tok_per_s);
        else if (have)
            say(x, "train", "one epoch of %s in steps of %llu tokens (the count is known after tokenize) at "
                "%.0f tokens/s measured now on 2 steps of batch 1: %.1f s per million tokens", c->train_corpus,
                (unsigned long long)per_step, br.tok_per_s, 1e6 / br.tok_per_s);
        else
            say(x, "train", "%llu steps of %llu tokens (no speed measured: %s)", steps, (unsigned long long)per_step,
                e->msg);
        char tj[4400], lb[4400];
        snprintf(tj, sizeof tj, "%s/tokens.json", x->tokens);
        snprintf(lb, sizeof lb, "%s/checkpoints/latest.bin", x->model);
        e->msg[0] = 0;
        marker_key *k = file_exists(tj) && file_exists(x->tokfile) && file_exists(lb) ? train_key(x, 0, TRAIN_OPT_NAME, e) : NULL;
        if (!k && e->msg[0]) return -1;
        /* a marker of an older blalm's key from these same inputs is taken
         * as done by the run (train_take_legacy): so by the plan too */
        /* the marker read once: its state decides the line */
        char w2[512] = "";
        int st = k && !force ? marker_check(x->state_run, "run", "train", k, w2, sizeof w2, e) : MARKER_ABSENT;
        int lst = st == MARKER_STALE ? train_take_older(x, "train", k, e) : 0, has_k = k != NULL;
        marker_key_free(k);
        if (st < 0 || lst < 0) return -1;
        plan_state(x, "train", "train", has_k, lst ? MARKER_DONE : st, w2, sizeof w2, force);
        return 0;
    }
    char why[512], latest[4400];
    marker_key *k = train_key(x, 0, TRAIN_OPT_NAME, e);
    if (!k) return -1;
    int st = marker_state(x, "train", k, force, why, sizeof why, e);
    if (st == MARKER_STALE) corpus_cause(x, "train", why, sizeof why);
    snprintf(latest, sizeof latest, "%s/checkpoints/latest.bin", x->model);
    if (st == MARKER_STALE && file_exists(latest)) {
        /* a marker of a blalm before this key, made from these same inputs:
         * the model stands (else an upgrade would retrain it); rewritten */
        int lst = train_take_older(x, "train", k, e);
        if (lst < 0) {
            marker_key_free(k);
            return -1;
        }
        if (lst) st = MARKER_DONE;
    }
    if (st < 0) {
        marker_key_free(k);
        return -1;
    }
    /* The finished marker proves the checkpoints only while no other run has
     * started in WORK/model since: a retrain of other settings, killed, then
     * the config reverted, left the finished run's marker matching and the
     * other run's partial checkpoints in place (a blalm before the removal
     * below left this; a missing "train-started" is a blalm before that) */
    char swhy[512];
    if (st == MARKER_DONE && file_exists(latest)) {
        int sst = marker_check(x->state_run, "run", "train-started", k, swhy, sizeof swhy, e);
        if (sst == MARKER_STALE) {
            int lst = train_take_older(x, "train-started", k, e);
            sst = lst < 0 ? -1 : lst ? MARKER_DONE : sst;
        }
        if (sst < 0) {
            marker_key_free(k);
            return -1;
        }
        if (sst != MARKER_STALE) {
            marker_key_free(k);
            say(x, "train", "complete, skipped");
            return 0;
        }
        st = MARKER_STALE;
        snprintf(why, sizeof why, "%s", swhy);
    }
    /* The checkpoints are resumed only by the run they belong to: "train-
     * started" holds the key of the run that made them (committed before
     * it starts). Else a retrain after a changed setting, killed, started
     * over at every rerun (the finished run's marker is still stale), and
     * a run killed and then given another setting resumed into the
     * trainer's refusal at every rerun. Without it (a blalm before it) the
     * finished marker decides, as it did. */
    int started = file_exists(latest) && !force
                      ? marker_check(x->state_run, "run", "train-started", k, swhy, sizeof swhy, e)
                      : MARKER_ABSENT;
    if (started == MARKER_STALE) {
        /* an interrupted run of a blalm before this key resumes */
        int lst = train_take_older(x, "train-started", k, e);
        started = lst < 0 ? -1 : lst ? MARKER_DONE : started;
    }
    if (started < 0) {
        marker_key_free(k);
        return -1;
    }
    if (started == MARKER_STALE) corpus_cause(x, "train-started", swhy, sizeof swhy);
    int fresh = force || (started == MARKER_ABSENT ? st == MARKER_STALE : started == MARKER_STALE);
    /* a finished or interrupted run of other inputs or settings, or --from/--only: a new run */
    if (fresh && file_exists(latest)) {
        char reason[700];
        if (force) snprintf(reason, sizeof reason, "asked to redo training");
        else if (started == MARKER_STALE)
            snprintf(reason, sizeof reason, "the checkpoints are of a run with other inputs or settings: %s", swhy);
        else snprintf(reason, sizeof reason, "%s", why);
        say(x, "train", "a new run in %s (%s)", x->model, reason);
        if (rm_tree(x->model, e) < 0) {
            marker_key_free(k);
            return -1;
        }
    }
    /* the finished marker goes before this run writes to WORK/model (it
     * is committed again when the run ends): else, this run killed and the
     * config set back to the finished run's, the marker would match again
     * and this run's partial checkpoints be taken for the finished model */
    if (marker_remove(x->state_run, "run", "train", e) < 0) {
        marker_key_free(k);
        return -1;
    }
    {
        sbuf sr;   /* the corpus, for a later redo to name as its cause */
        sb_init(&sr);
        sb_adds(&sr, "{\"started\":true");
        result_corpus(x, &sr);
        sb_addc(&sr, '}');
        int crc = marker_commit(x->state_run, "run", "train-started", k, sb_cstr(&sr), e);
        sb_free(&sr);
        if (crc < 0) {
            marker_key_free(k);
            return -1;
        }
    }
    train_opts to = {0};
    to.model_cfg = c->model_cfg;
    to.run = x->model;
    to.tokenizer = x->tokfile;
    to.tokens = x->tokens;
    to.max_steps = c->max_steps;
    to.max_tokens = c->max_tokens_train;
    to.optimizer = c->optimizer < 0 ? OPT_ADAMW : (optim_kind)c->optimizer;
    to.optimizer_given = c->optimizer >= 0;
    to.track = !c->train_track ? TRACK_NONE : !strcmp(c->train_track, "strict") ? TRACK_STRICT : TRACK_STRICT_SMALL;
    to.threads = c->train_threads;
    to.ranks = 1;
    to.resume = file_exists(latest);
    to.progress = relay_progress;
    to.progress_arg = x;
    /* SIGTERM (a Slurm time limit) or Ctrl-C during the steps: latest.bin
     * saved after the current step, and the next blalm run resumes there
     * (train-started is committed); before, every step since the last
     * checkpoint was lost */
    to.stop_on_signal = 1;
    if (to.resume) say(x, "train", "resuming from %s", latest);
    train_summary ts;
    int rc = train_run(&to, &ts, e);
    if (rc == 0 && ts.stopped_by) {
        x->res->stop_signal = ts.stopped_by;   /* blalm run ends as the signal would, 128 + sig */
        marker_key_free(k);
        return err_set(e, "interrupted by %s after step %ld of %ld; %s/checkpoints/latest.bin holds "
                          "that step: run the same command again to continue",
                       sig_stop_name(ts.stopped_by), ts.steps, ts.total_steps, x->model);
    }
    if (rc == 0) {
        char res[256], dv[32] = "null", dl[64] = "dev loss n/a (no dev evaluation)", lv[32] = "null",
             ll[32] = "n/a";
        if (isfinite(ts.dev_loss)) {
            snprintf(dv, sizeof dv, "%.6g", ts.dev_loss);
            snprintf(dl, sizeof dl, "dev loss %.4f", ts.dev_loss);
        }
        if (isfinite(ts.last_loss)) {   /* not known: a complete run resumed from a log without it */
            snprintf(lv, sizeof lv, "%.6g", ts.last_loss);
            snprintf(ll, sizeof ll, "%.4f", ts.last_loss);
        }
        snprintf(res, sizeof res, "{\"steps\":%ld,\"last_loss\":%s,\"dev_loss\":%s", ts.steps, lv, dv);
        sbuf rb;
        sb_init(&rb);
        sb_adds(&rb, res);
        result_corpus(x, &rb);
        sb_addc(&rb, '}');
        rc = marker_commit(x->state_run, "run", "train", k, sb_cstr(&rb), e);
        sb_free(&rb);
        char tps[48] = "no step left to run";   /* a resume of a complete run (it said "0 tokens/s") */
        if (isfinite(ts.tok_per_s)) snprintf(tps, sizeof tps, "%.0f tokens/s", ts.tok_per_s);
        if (rc == 0) say(x, "train", "%ld steps, last loss %s, %s, %s", ts.steps, ll, dl, tps);
    }
    marker_key_free(k);
    return rc;
}

/* ---- eval ---- */

/* The data folder is there and holds the data of at least one of the tasks
 * asked (else eval_run would refuse it, after training). */
static int eval_data_present(const run_config *c)
{
    struct stat st;
    if (!c->eval_data || stat(c->eval_data, &st) != 0 || !S_ISDIR(st.st_mode)) return 0;
    eval_opts eo = {0};
    eo.data = c->eval_data;
    eo.tasks = c->eval_tasks;
    eo.fast = c->eval_fast;
    return eval_tasks_present(&eo) > 0;
}

static void eval_progress(void *arg, const char *task, uint64_t done, uint64_t total)
{
    const runx *x = arg;
    if (x->o->progress) x->o->progress(x->o->progress_arg, done, total, task);
}

static int stage_eval(runx *x, int force, run_result *r, blalm_err *e)
{
    const run_config *c = x->c;
    if (!c->eval) {
        say(x, "eval", "not configured (no \"eval\" section)");
        return 0;
    }
    if (!eval_data_present(c)) {
        r->eval_skipped = 1;
        say(x, "eval", "skipped: the evaluation data %s is not here or holds none of the tasks asked (the "
            "BabyLM 2025 evaluation data; see README.md)", c->eval_data);
        return 0;
    }
    const char *tasks = c->eval_tasks ? c->eval_tasks : "every task whose data is there";
    if (x->o->dry_run) {
        say(x, "eval", "zero-shot %s%s on the last checkpoint, data %s", tasks, c->eval_fast ? " (fast sets)" : "",
            c->eval_data);
    }
    char latest[4400], sums[4400], why[512];
    snprintf(latest, sizeof latest, "%s/checkpoints/latest.bin", x->model);
    snprintf(sums, sizeof sums, "%s/SHA256SUMS", c->eval_data);
    marker_key *k = x->o->dry_run && !file_exists(latest) ? NULL : marker_key_new("run-eval");
    int rc = 0;
    if (k) {
        rc = marker_key_file(k, "latest.bin", latest, e);
        if (rc == 0 && file_exists(sums)) rc = marker_key_file(k, "SHA256SUMS", sums, e);
        marker_key_setting(k, "tasks", c->eval_tasks ? c->eval_tasks : "");
        marker_key_settingf(k, "fast", "%d", c->eval_fast);
    } else if (!x->o->dry_run) {
        return err_set(e, "out of memory");
    }
    if (x->o->dry_run) {
        /* its marker holds the key but the results file is not there (another
         * eval.fast names another file): redone, as the run does */
        int gone = rc == 0 && k && !force && !file_exists(x->evalf) ?
                   marker_check(x->state_run, "run", "eval", k, NULL, 0, e) : MARKER_ABSENT;
        if (gone < 0) rc = -1;
        else if (gone == MARKER_DONE) {
            say(x, "eval", "would redo: its results file %s is not there", x->evalf);
            plan_work(x, "eval", "its results file is not there");
        } else if (rc == 0) rc = plan_status(x, "eval", "eval", k, force, e);
        marker_key_free(k);
        return rc;
    }
    int st = rc < 0 ? -1 : marker_state(x, "eval", k, force, why, sizeof why, e);
    if (st == MARKER_DONE && file_exists(x->evalf)) {
        say(x, "eval", "complete, skipped");
    } else if (st >= 0) {
        if (st == MARKER_STALE) {
            eval_cause(why, sizeof why);
            say(x, "eval", "redone: %s", why);
        } else if (st == MARKER_DONE) {
            say(x, "eval", "redone: its results file %s is not there", x->evalf);
        }
        eval_opts eo = {0};
        eo.run = x->model;
        eo.data = c->eval_data;
        eo.tasks = c->eval_tasks;
        eo.fast = c->eval_fast;
        eo.threads = c->train_threads;
        eo.out = NULL;   /* checkpoints/latest.eval[_fast].json, x->evalf */
        /* run computes its whole task list each time: a redo (--from eval,
         * or a kill between the results file and eval.done) writes the file
         * one uninterrupted run writes, not one merged with the file there
         * (which would gain a "previous" key naming it) */
        eo.replace = 1;
        eo.progress = eval_progress;
        eo.arg = x;
        cJSON *res = NULL;
        rc = eval_run(&eo, &res, e);
        cJSON_Delete(res);
        if (rc == 0) rc = marker_commit(x->state_run, "run", "eval", k, NULL, e);
        if (rc == 0) say(x, "eval", "written to %s", x->evalf);
    } else {
        rc = -1;
    }
    marker_key_free(k);
    return rc;
}

/* ---- report ---- */

static int stage_report(runx *x, blalm_err *e)
{
    if (!x->c->report) {
        /* an earlier run's report would show numbers this run may have changed */
        if (!x->o->dry_run && file_exists(x->report)) {
            if (unlink(x->report) < 0) return err_errno(e, "removing %s", x->report);
            say(x, "report", "not wanted (\"report\": false); removed the earlier run's %s", x->report);
        } else {
            say(x, "report", "not wanted (\"report\": false)");
        }
        return 0;
    }
    if (!x->o->report) {
        say(x, "report", "not built: this blalm has no report builder");
        return 0;
    }
    if (x->o->dry_run) {
        say(x, "report", "one HTML file: %s", x->report);
        return 0;
    }
    if (x->o->report(x->o->report_arg, x->w.work, x->corpora, x->model, x->report, e) < 0) return -1;
    say(x, "report", "written to %s", x->report);
    return 0;
}

/* ---- checks ---- */

static int wants(const run_opts *o, int s)
{
    return o->only < 0 || o->only == s;
}

static int check_endpoint(const runx *x, blalm_err *e)
{
    const char *base = score_base(x);
    if (!base || !*base)
        return err_set(e, "score: no endpoint (set OPENAI_BASE_URL or the config's score.endpoint)");
    char why[200];
    if (llm_endpoint_check(base, why, sizeof why) < 0)   /* never quoted: it may hold a password */
        return err_set(e, "score: %s %s", x->c->endpoint ? "score.endpoint" : "OPENAI_BASE_URL", why);
    char url[4200], auth[1200];
    http_url_join(base, "/models", url, sizeof url);
    const char *hdr[2] = {NULL, NULL};
    if (x->o->openai_api_key && *x->o->openai_api_key) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", x->o->openai_api_key);
        hdr[0] = auth;
    }
    http_client_opts ho = {0};
    ho.connect_timeout_s = 10;
    ho.timeout_s = 20;
    ho.delay_scale = x->o->delay_scale;
    http_client *h = http_client_new(&ho, e);
    if (!h) return -1;
    http_retry once;
    http_retry_defaults(&once);
    once.max_attempts = 1;
    http_request rq = {0};
    rq.url = url;
    rq.headers = hdr;
    rq.retry = &once;
    rq.max_body = 1 << 20;
    http_response rs;
    memset(&rs, 0, sizeof rs);
    blalm_err he = {{0}};
    int rc = http_fetch(h, &rq, &rs, &he);
    long status = rs.status;
    http_response_free(&rs);
    http_client_free(h);
    if (rc < 0) {
        char safe[4200];
        http_redact(url, hdr, safe, sizeof safe);   /* the key as sent, and a user:password@ */
        if (status)
            return err_set(e, "score: the endpoint answered GET %s with HTTP %ld (a wrong URL or key?)", safe, status);
        return err_set(e, "score: the endpoint %s is unreachable (GET /models: %s)", safe, he.msg);
    }
    return 0;
}

int run_check(const run_opts *o, blalm_err *e)
{
    const run_config *c = o->cfg;
    runx xx;
    memset(&xx, 0, sizeof xx);
    xx.o = o;
    xx.c = c;
    struct stat st;
    for (int i = 0; i < c->nsources; i++)
        if (c->sources[i].files && (stat(c->sources[i].files, &st) < 0 || !S_ISDIR(st.st_mode)))
            return err_set(e, "%s: sources[%d].files: %s is not a folder of documents", c->name, i, c->sources[i].files);
    if (wants(o, RUN_FETCH) && !o->hf_endpoint)
        for (int i = 0; i < c->nsources; i++)
            if (c->sources[i].repo) return err_set(e, "fetch: no Hub endpoint");
    model_config mc;
    if (model_config_load(c->model_cfg, &mc, e) < 0) return err_prefix(e, "%s: model", c->name);
    /* the tokenizer stage would refuse it, after fetch, tag, dedup and assemble */
    if (!c->vocab_size && mc.vocab_size < 258)
        return err_set(e, "%s: model: %s: vocab_size %d is the tokenizer's too (no tokenizer.vocab_size), and a "
                          "tokenizer needs at least 258 (256 byte tokens and 2 special ones)", c->name, c->model_cfg,
                       mc.vocab_size);
    if (c->prompt && !file_exists(c->prompt))
        return err_set(e, "%s: score.prompt: %s does not exist", c->name, c->prompt);
    /* read by tag, after the fetch: a wrong path would stop the run there */
    if (c->tag_cmudict && strcmp(c->tag_cmudict, "none") && (stat(c->tag_cmudict, &st) < 0 || !S_ISREG(st.st_mode)))
        return err_set(e, "%s: tag.readability.cmudict: %s is not a file (\"none\" for no pronouncing dictionary)",
                       c->name, c->tag_cmudict);
    if (c->tag_hyphen_dic && (stat(c->tag_hyphen_dic, &st) < 0 || !S_ISREG(st.st_mode)))
        return err_set(e, "%s: tag.readability.hyphen_dic: %s is not a file", c->name, c->tag_hyphen_dic);
    if (c->distill && c->distill_labels && !c->score && !strncmp(c->distill_labels, "edu_llm.", 8)) {
        /* edu_llm is what the score stage writes; without it the labels must be here already */
        char p[4400];
        snprintf(p, sizeof p, "%s/attributes/edu_llm", o->work);
        if (stat(p, &st) < 0 || !S_ISDIR(st.st_mode))
            return err_set(e, "%s: distill.labels: %s is written by the score stage, but the config has no "
                           "\"score\" section and %s does not exist (add one, or set distill.label_field to a "
                           "metadata field such as int_score)", c->name, c->distill_labels, p);
    }
    if (c->distill && c->distill_embeddings && !file_exists(c->distill_embeddings))
        return err_set(e, "%s: distill.embeddings: %s does not exist", c->name, c->distill_embeddings);
    if (c->eval && c->eval_required && !eval_data_present(c))
        return err_set(e, "%s: eval.data: %s is not here or holds none of the tasks asked (eval.required is true)",
                       c->name, c->eval_data);
    for (int i = 0; i < c->ncorpora; i++) {
        uint64_t lim = track_words(c->corpus_tracks[i]);
        if (lim && c->corpus_budgets[i] > lim)
            return err_set(e, "%s: corpora: corpus \"%s\": budget %llu words is over the %s track's limit of %llu",
                           c->name, c->corpus_names[i], (unsigned long long)c->corpus_budgets[i],
                           c->corpus_tracks[i], (unsigned long long)lim);
        if (c->train_track && !strcmp(c->corpus_names[i], c->train_corpus) &&
            c->corpus_budgets[i] > track_words(c->train_track))
            return err_set(e, "%s: train.track: corpus \"%s\" has a budget of %llu words, over the %s track's "
                           "limit of %llu", c->name, c->train_corpus, (unsigned long long)c->corpus_budgets[i],
                           c->train_track, (unsigned long long)track_words(c->train_track));
    }
    if (c->score && wants(o, RUN_SCORE) && (o->from < 0 || o->from <= RUN_SCORE) && check_endpoint(&xx, e) < 0)
        return -1;
    return 0;
}

int run_execute(const run_opts *o, run_result *r, blalm_err *e)
{
    memset(r, 0, sizeof *r);
    if (run_check(o, e) < 0) return -1;
    runx x;
    memset(&x, 0, sizeof x);
    x.o = o;
    x.c = o->cfg;
    x.res = r;
    if (work_dirs_init(&x.w, o->work, NULL, NULL, e) < 0) return -1;
    snprintf(x.state_run, sizeof x.state_run, "%s", x.w.state);
    snprintf(x.corpora, sizeof x.corpora, "%s/corpora", x.w.work);
    snprintf(x.tokdir, sizeof x.tokdir, "%s/tokenizer", x.w.work);
    snprintf(x.tokfile, sizeof x.tokfile, "%s/tokenizer.json", x.tokdir);
    snprintf(x.tokens, sizeof x.tokens, "%s/tokens", x.w.work);
    snprintf(x.model, sizeof x.model, "%s/model", x.w.work);
    /* eval's own name for the latest checkpoint's results (what `blalm eval` and the report read) */
    snprintf(x.evalf, sizeof x.evalf, "%s/checkpoints/latest.%s.json", x.model,
             x.c->eval_fast ? "eval_fast" : "eval");
    snprintf(x.report, sizeof x.report, "%s/report.html", x.w.work);
    snprintf(x.distill_dir, sizeof x.distill_dir, "%s/distill", x.w.work);
    snprintf(x.distill_model, sizeof x.distill_model, "%s/edu.distill", x.distill_dir);
    snprintf(x.distill_json, sizeof x.distill_json, "%s/edu.distill.json", x.distill_dir);
    if (!o->dry_run && mkdir_p(x.w.work, e) < 0) return -1;
    /* one run per work directory: a second would race the first's renames */
    char lockd[4400];
    snprintf(lockd, sizeof lockd, "%s/run", x.w.state);
    int lock = o->dry_run ? -1 : lock_dir(lockd, "blalm run of this work directory", e);
    if (!o->dry_run && lock < 0) return -1;
    for (int s = 0; s < RUN_NSTAGES; s++) {
        if (!wants(o, s)) continue;
        int force = o->only == s || (o->from >= 0 && s >= o->from);
        say(&x, run_stage_name(s), "%s%s", o->dry_run ? "plan" : "start", force && !o->dry_run ? " (redo)" : "");
        int rc;
        switch (s) {
        case RUN_FETCH: rc = stage_fetch(&x, force, e); break;
        case RUN_TAG: rc = stage_tag(&x, force, e); break;
        case RUN_DEDUP: rc = stage_dedup(&x, force, e); break;
        case RUN_SCORE: rc = stage_score(&x, force, e); break;
        case RUN_DISTILL: rc = stage_distill(&x, force, e); break;
        case RUN_ASSEMBLE: rc = stage_assemble(&x, force, e); break;
        case RUN_TOKENIZER: rc = stage_tokenizer(&x, force, e); break;
        case RUN_TOKENIZE: rc = stage_tokenize(&x, force, e); break;
        case RUN_TRAIN: rc = stage_train(&x, force, e); break;
        case RUN_EVAL: rc = stage_eval(&x, force, r, e); break;
        default: rc = stage_report(&x, e); r->report_ran = 1; break;
        }
        if (rc < 0) {
            lock_release(lock);
            return err_prefix(e, "%s", run_stage_name(s));
        }
        r->ran++;
    }
    lock_release(lock);
    snprintf(r->corpora, sizeof r->corpora, "%s", x.corpora);
    snprintf(r->model, sizeof r->model, "%s", x.model);
    if (file_exists(x.evalf)) snprintf(r->eval, sizeof r->eval, "%s", x.evalf);
    /* the page only when this run built it: after --only train, an earlier
     * run's page (of the model just replaced) is named as such, not as this
     * run's report */
    if (r->report_ran && o->report && x.c->report && file_exists(x.report))
        snprintf(r->report, sizeof r->report, "%s", x.report);
    else if (!r->report_ran && file_exists(x.report)) {
        snprintf(r->report, sizeof r->report, "%s", x.report);
        /* with "report": false the report stage removes that page and
         * builds none: no "--only report rebuilds it" then */
        r->report_earlier = x.c->report ? 1 : 2;
    }
    return 0;
}
