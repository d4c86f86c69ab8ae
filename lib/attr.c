#include "attr.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "fsutil.h"
#include "json.h"
#include "utf8.h"
#include "zio.h"

struct attr_writer {
    zwriter *zw;
    char *set;
    sbuf line;
};

attr_writer *attrw_open(const char *path, const char *set, blalm_err *e)
{
    /* level 1 and a 128 KiB window: a tagger writes five of these at once,
     * and larger windows and tables cost more memory to set up than they
     * save on short JSON lines */
    zwriter *zw = zw_open(path, 1, e);
    if (!zw) return NULL;
    zw_set_window_log(zw, 17);
    attr_writer *w = calloc(1, sizeof *w);
    w->zw = zw;
    w->set = strdup(set);
    sb_init(&w->line);
    return w;
}

int attrw_write(attr_writer *w, const char *id, size_t id_len, const char *obj, size_t obj_len, blalm_err *e)
{
    sb_reset(&w->line);
    sb_adds(&w->line, "{\"id\":");
    sb_json_str(&w->line, id, id_len);
    sb_addc(&w->line, ',');
    sb_json_str(&w->line, w->set, strlen(w->set));
    sb_addc(&w->line, ':');
    sb_add(&w->line, obj, obj_len);
    sb_addc(&w->line, '}');
    return zw_line(w->zw, w->line.data, w->line.len, e);
}

static void attrw_free(attr_writer *w)
{
    sb_free(&w->line);
    free(w->set);
    free(w);
}

int attrw_commit(attr_writer *w, blalm_err *e)
{
    int rc = zw_commit(w->zw, e);
    attrw_free(w);
    return rc;
}

void attrw_abort(attr_writer *w)
{
    if (!w) return;
    zw_abort(w->zw);
    attrw_free(w);
}

/* ---- lockstep join ---- */

struct attr_join {
    doc_reader *docs;
    int n;
    zreader **zr;
    char **paths, **sets;
    cJSON **parsed;
    const char **lines;          /* the raw line behind parsed[i] */
    size_t *lens;
    char *raw_only;              /* attrj_raw_only: no cJSON tree for set i */
    sbuf id, shown;              /* the line's id as decoded; a message's ids */
    sbuf key;                    /* set_object's keys */
};

attr_join *attrj_open(const char *doc_path, const doc_opts *opts, const char *const *attr_paths,
                      const char *const *sets, int nsets, blalm_err *e)
{
    attr_join *j = calloc(1, sizeof *j);
    if (!j) {
        err_set(e, "out of memory");
        return NULL;
    }
    sb_init(&j->id);
    sb_init(&j->shown);
    sb_init(&j->key);
    j->docs = doc_open(doc_path, opts, e);
    if (!j->docs) {
        free(j);
        return NULL;
    }
    j->zr = calloc((size_t)nsets + 1, sizeof *j->zr);
    j->paths = calloc((size_t)nsets + 1, sizeof *j->paths);
    j->sets = calloc((size_t)nsets + 1, sizeof *j->sets);
    j->parsed = calloc((size_t)nsets + 1, sizeof *j->parsed);
    j->lines = calloc((size_t)nsets + 1, sizeof *j->lines);
    j->lens = calloc((size_t)nsets + 1, sizeof *j->lens);
    j->raw_only = calloc((size_t)nsets + 1, 1);
    if (!j->zr || !j->paths || !j->sets || !j->parsed || !j->lines || !j->lens || !j->raw_only) {
        err_set(e, "out of memory");
        attrj_close(j);   /* j->n is 0: the arrays are freed, no file was opened */
        return NULL;
    }
    j->n = nsets;
    for (int i = 0; i < nsets; i++) {
        j->paths[i] = strdup(attr_paths[i]);
        j->sets[i] = strdup(sets[i]);
        if (!j->paths[i] || !j->sets[i]) {
            err_set(e, "out of memory");
            attrj_close(j);
            return NULL;
        }
        j->zr[i] = zr_open(attr_paths[i], e);
        if (!j->zr[i]) {
            err_prefix(e, "attribute set '%s' for %s", sets[i], doc_path);
            attrj_close(j);
            return NULL;
        }
    }
    return j;
}

/* An id for a message: a JSON string of its first 200 bytes (whole UTF-8
 * characters), "..." after it when longer. */
static void show_id(sbuf *b, const char *id, size_t n)
{
    size_t k = utf8_prefix(id, n, 200);
    sb_json_str(b, id, k);
    if (k < n) sb_adds(b, "...");
}

/* The value of the first member of the line named set. cJSON compares a key
 * as a C string, ended at its first \u0000, so it took a key "q\u0000x"
 * written before "q" for "q" (a 5 there refused the line; an object was read
 * as the set). Where the line may hold such a key, the member is found by
 * its whole decoded key, as Python's json and audit --export have it, and
 * taken from parsed at the same place (cJSON keeps every member, in order). */
static cJSON *set_object(const cJSON *parsed, const char *line, size_t len, const char *set, sbuf *key)
{
    if (!memmem(line, len, "\\u0000", 6) && !memchr(line, 0, len))
        return cJSON_GetObjectItemCaseSensitive(parsed, set);
    size_t pos = 0, v0, v1, setlen = strlen(set);
    int first = 1, k = 0;
    const char *what;
    const cJSON *c = parsed->child;
    while (c && (k = json_object_next(line, len, &pos, &first, key, &v0, &v1, &what)) == 1) {
        if (key->len == setlen && !memcmp(key->data, set, setlen)) return (cJSON *)c;
        c = c->next;
    }
    /* a line cJSON takes and this walk does not (a raw 0 byte): as before */
    return k < 0 ? cJSON_GetObjectItemCaseSensitive(parsed, set) : NULL;
}

int attrj_next(attr_join *j, blalm_doc *d, cJSON **sets, blalm_err *e)
{
    int rc = doc_next(j->docs, d, e);
    if (rc < 0) return -1;
    for (int i = 0; i < j->n; i++) {
        const char *line;
        size_t len;
        int ar = zr_line(j->zr[i], &line, &len, e);
        if (ar < 0) return -1;
        if (rc == 0) {
            if (ar == 1)
                return err_set(e, "%s:%llu: more attribute lines than documents in %s", j->paths[i],
                               (unsigned long long)zr_lineno(j->zr[i]), doc_path(j->docs));
            continue;
        }
        if (ar == 0)
            return err_set(e, "%s: ends after %llu lines, but %s has more documents (row %llu)", j->paths[i],
                           (unsigned long long)zr_lineno(j->zr[i]), doc_path(j->docs),
                           (unsigned long long)d->row);
        cJSON_Delete(j->parsed[i]);
        j->parsed[i] = NULL;
        j->lines[i] = line;
        j->lens[i] = len;
        /* the id as written, with its length: cJSON's C string ends at a
         * \u0000, and ids are bytes (a parquet id may hold NUL) */
        int has_id = j->raw_only[i] && json_member_string(line, len, "id", &j->id) == 1;
        if (!has_id) {   /* parsed; and a line without its id fails as before */
            j->parsed[i] = cJSON_ParseWithLength(line, len);
            if (!j->parsed[i] || !cJSON_IsObject(j->parsed[i]))
                return err_set(e, "%s:%llu: expected a JSON object {\"id\":...,\"%s\":{...}}", j->paths[i],
                               (unsigned long long)zr_lineno(j->zr[i]), j->sets[i]);
            has_id = json_member_string(line, len, "id", &j->id) == 1;
        }
        if (!has_id || j->id.len != d->id_len || memcmp(j->id.data, d->id, d->id_len)) {
            /* both ids as JSON strings: a NUL or a control byte shows as an
             * escape, so two ids that differ never print alike */
            sb_reset(&j->shown);
            if (has_id) show_id(&j->shown, j->id.data, j->id.len);
            else sb_adds(&j->shown, "(missing)");
            size_t n1 = j->shown.len;
            show_id(&j->shown, d->id, d->id_len);
            const char *s = sb_cstr(&j->shown);
            return err_set(e, "%s:%llu: id %.*s does not match document row %llu of %s (id %s): "
                              "attributes are misaligned or stale",
                           j->paths[i], (unsigned long long)zr_lineno(j->zr[i]), (int)n1, s,
                           (unsigned long long)d->row, doc_path(j->docs), s + n1);
        }
        if (j->raw_only[i]) {
            sets[i] = NULL;
            continue;
        }
        cJSON *obj = set_object(j->parsed[i], line, len, j->sets[i], &j->key);
        if (!cJSON_IsObject(obj))
            return err_set(e, "%s:%llu: expected an object under \"%s\"", j->paths[i],
                           (unsigned long long)zr_lineno(j->zr[i]), j->sets[i]);
        sets[i] = obj;
    }
    return rc;
}

void attrj_close(attr_join *j)
{
    if (!j) return;
    doc_close(j->docs);
    for (int i = 0; i < j->n; i++) {
        zr_close(j->zr[i]);
        free(j->paths[i]);
        free(j->sets[i]);
        cJSON_Delete(j->parsed[i]);
    }
    free(j->zr);
    free(j->paths);
    free(j->sets);
    free(j->parsed);
    free(j->lines);
    free(j->lens);
    free(j->raw_only);
    sb_free(&j->id);
    sb_free(&j->shown);
    sb_free(&j->key);
    free(j);
}

void attrj_raw_only(attr_join *j, int i) { j->raw_only[i] = 1; }

const char *attrj_raw(const attr_join *j, int i, size_t *len, const char **path, uint64_t *lineno)
{
    *len = j->lens[i];
    if (path) *path = j->paths[i];
    if (lineno) *lineno = zr_lineno(j->zr[i]);
    return j->lines[i];
}

/* ---- attribute records ---------------------------------------------------- */

int doc_identity_of(const char *path, doc_identity *id, blalm_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_errno(e, "%s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return err_errno(e, "%s", path);
    }
    XXH3_state_t *xs = XXH3_createState();
    char *buf = malloc(1 << 20);
    if (!xs || !buf) {
        XXH3_freeState(xs);
        free(buf);
        close(fd);
        return err_set(e, "out of memory");
    }
    XXH3_64bits_reset(xs);
    uint64_t total = 0;
    int rc = 0;
    for (;;) {
        ssize_t k = read(fd, buf, 1 << 20);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) { rc = err_errno(e, "reading %s", path); break; }
        if (k == 0) break;
        XXH3_64bits_update(xs, buf, (size_t)k);
        total += (uint64_t)k;
    }
    id->size = total;
    id->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    id->xxh3 = XXH3_64bits_digest(xs);
    XXH3_freeState(xs);
    free(buf);
    close(fd);
    return rc;
}

void attr_record_path(const char *attr_path, char *out, size_t cap)
{
    size_t n = strlen(attr_path);
    static const char ext[] = ".jsonl.zst";
    if (n >= sizeof ext - 1 && !strcmp(attr_path + n - (sizeof ext - 1), ext)) n -= sizeof ext - 1;
    snprintf(out, cap, "%.*s.record.json", (int)n, attr_path);
}

int attr_record_write(const char *attr_path, const char *set, const char *doc_rel,
                      const doc_identity *id, uint64_t ndocs, int complete, const char *config,
                      const char *command, blalm_err *e)
{
    sbuf b;
    sb_init(&b);
    sb_adds(&b, "{\"set\":");
    sb_json_str(&b, set, strlen(set));
    sb_adds(&b, ",\"document\":{\"path\":");
    sb_json_str(&b, doc_rel, strlen(doc_rel));
    sb_printf(&b, ",\"size\":%llu,\"mtime_ns\":%lld,\"xxh3\":\"%016llx\"},\"documents\":%llu,"
                  "\"complete\":%s,\"config\":",
              (unsigned long long)id->size, (long long)id->mtime_ns, (unsigned long long)id->xxh3,
              (unsigned long long)ndocs, complete ? "true" : "false");
    sb_json_str(&b, config, strlen(config));
    sb_adds(&b, ",\"command\":");
    sb_json_str(&b, command, strlen(command));
    sb_adds(&b, "}\n");
    char p[8400];
    attr_record_path(attr_path, p, sizeof p);
    int rc = write_file_atomic(p, b.data, b.len, e);
    sb_free(&b);
    return rc;
}

/* The parsed record of an attribute file, or NULL when it has none (or an
 * unreadable one: the reader then treats the file as unrecorded). */
static cJSON *record_load(const char *attr_path)
{
    char p[8400], *text;
    size_t len;
    blalm_err e;
    attr_record_path(attr_path, p, sizeof p);
    if (!file_exists(p) || read_file(p, &text, &len, &e) < 0) return NULL;
    cJSON *r = cJSON_ParseWithLength(text, len);
    free(text);
    if (r && !cJSON_IsObject(r)) {
        cJSON_Delete(r);
        r = NULL;
    }
    return r;
}

static const char *rec_str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* 1 when the record describes a document file with this size and content. */
static int record_same_doc(const cJSON *rec, const doc_identity *id)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "document");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(d, "size");
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)id->xxh3);
    return cJSON_IsNumber(size) && size->valuedouble == (double)id->size &&
           !strcmp(rec_str(d, "xxh3"), hex);
}

static int record_complete(const cJSON *rec)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "complete"));
}

int attr_record_stale(const char *attr_path, const doc_identity *id)
{
    cJSON *rec = record_load(attr_path);
    int stale = rec && !record_same_doc(rec, id);
    cJSON_Delete(rec);
    return stale;
}

int attr_record_current(const char *attr_path, const doc_identity *id, const char *config)
{
    if (!file_exists(attr_path)) return 0;
    cJSON *rec = record_load(attr_path);
    int ok = rec && record_complete(rec) && record_same_doc(rec, id) &&
             !strcmp(rec_str(rec, "config"), config);
    cJSON_Delete(rec);
    return ok;
}

/* 1 when x is a whole number in [lo, hi) (a JSON number is a double): what
 * a record's count may be cast from; 0 for a corrupt one (1e30, 2.5). */
static int rec_whole(const cJSON *x, double lo, double hi)
{
    return cJSON_IsNumber(x) && x->valuedouble >= lo && x->valuedouble < hi &&
           x->valuedouble == floor(x->valuedouble);
}

int64_t attr_record_documents_hint(const char *attr_path, const char *doc_path, const char *config)
{
    struct stat st;
    if (stat(doc_path, &st) != 0 || !file_exists(attr_path)) return -1;
    cJSON *rec = record_load(attr_path);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "document");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(d, "size");
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(d, "mtime_ns");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(rec, "documents");
    int64_t mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
    int64_t r = -1;
    if (rec && record_complete(rec) && !strcmp(rec_str(rec, "config"), config) && cJSON_IsNumber(size) &&
        size->valuedouble == (double)st.st_size && cJSON_IsNumber(mt) && mt->valuedouble == (double)mtime_ns &&
        rec_whole(n, 0, 9007199254740992.0))
        r = (int64_t)n->valuedouble;
    cJSON_Delete(rec);
    return r;
}

int attr_record_relabel(const char *attr_path, const char *old_config, const char *new_config,
                        const char *command, blalm_err *e)
{
    cJSON *rec = record_load(attr_path);
    if (!rec || strcmp(rec_str(rec, "config"), old_config)) {
        cJSON_Delete(rec);
        return 0;
    }
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(rec, "document");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(d, "size");
    const cJSON *mtime = cJSON_GetObjectItemCaseSensitive(d, "mtime_ns");
    const cJSON *docs = cJSON_GetObjectItemCaseSensitive(rec, "documents");
    doc_identity id;
    memset(&id, 0, sizeof id);
    const char *hex = rec_str(d, "xxh3");
    char *end = NULL;
    id.xxh3 = strtoull(hex, &end, 16);
    /* a corrupt record (a size of 1e30 or 2.5) is not relabelled: its
     * shard redoes it, as one of other settings */
    int ok = rec_whole(size, 0, 18446744073709551616.0) && rec_whole(docs, 0, 18446744073709551616.0) &&
             rec_whole(mtime, -9223372036854775808.0, 9223372036854775808.0) && strlen(hex) == 16 &&
             end && *end == 0;
    int rc = 0;
    if (ok) {
        id.size = (uint64_t)size->valuedouble;
        id.mtime_ns = (int64_t)mtime->valuedouble;
        rc = attr_record_write(attr_path, rec_str(rec, "set"), rec_str(d, "path"), &id,
                               (uint64_t)docs->valuedouble, record_complete(rec), new_config, command, e) < 0
                 ? -1
                 : 1;
    }
    cJSON_Delete(rec);
    return rc;
}

/* Up to a few example file names per problem, for messages. */
typedef struct name_list {
    sbuf s;
    size_t n;
} name_list;

static void names_add(name_list *l, const char *rel)
{
    if (l->n++ < 3) {
        if (l->s.len) sb_adds(&l->s, ", ");
        sb_adds(&l->s, rel);
    }
}

static const char *names_text(name_list *l)
{
    if (l->n > 3) sb_printf(&l->s, " and %zu more", l->n - 3);
    return sb_cstr(&l->s);
}

#define MAX_CONFIGS 4

typedef struct set_check {
    name_list missing, incomplete, unrecorded, stale;
    size_t present, recorded;
    int nconfigs;
    char *config[MAX_CONFIGS], *command[MAX_CONFIGS];
    size_t config_files[MAX_CONFIGS];
    char *config_example[MAX_CONFIGS];
} set_check;

static void set_check_free(set_check *c)
{
    sb_free(&c->missing.s); sb_free(&c->incomplete.s); sb_free(&c->unrecorded.s); sb_free(&c->stale.s);
    for (int i = 0; i < c->nconfigs; i++) {
        free(c->config[i]);
        free(c->command[i]);
        free(c->config_example[i]);
    }
}

static void note_config(set_check *c, const cJSON *rec, const char *rel)
{
    const char *cfg = rec_str(rec, "config");
    for (int i = 0; i < c->nconfigs; i++)
        if (!strcmp(c->config[i], cfg)) {
            c->config_files[i]++;
            return;
        }
    if (c->nconfigs == MAX_CONFIGS) return;
    c->config[c->nconfigs] = strdup(cfg);
    c->command[c->nconfigs] = strdup(rec_str(rec, "command"));
    c->config_example[c->nconfigs] = strdup(rel);
    c->config_files[c->nconfigs++] = 1;
}

void attr_fix_args(sbuf *out, const char *work, const char *docs, const char *attrs)
{
    if (work) {
        sb_adds(out, "--work ");
        sb_shell_word(out, work);
    } else {
        sb_adds(out, "--docs ");
        sb_shell_word(out, docs);
        sb_adds(out, " --out ");
        sb_shell_word(out, attrs);
    }
}

/* The command that makes the set again, for messages. */
static void fix_command(const set_check *c, const char *set, const char *fix_args, sbuf *out)
{
    if (c->nconfigs && c->command[0][0])
        sb_printf(out, "`%s %s`", c->command[0], fix_args);
    else
        sb_printf(out, "the command that made attribute set '%s' (%s)", set, fix_args);
}

int attr_sets_check(const char *attrs_dir, const doc_file *files, size_t nfiles,
                    const char *const *sets, int nsets, int allow_partial,
                    const char *fix_args, sbuf *summary, int *partial, blalm_err *e)
{
    doc_identity *ids = calloc(nfiles ? nfiles : 1, sizeof *ids);
    char *have_id = calloc(nfiles ? nfiles : 1, 1);
    if (!ids || !have_id) {
        free(ids);
        free(have_id);
        return err_set(e, "out of memory");
    }
    sbuf msg;
    sb_init(&msg);
    int problems = 0, rc = 0;
    if (partial) *partial = 0;
    if (summary) sb_addc(summary, '[');
    for (int si = 0; si < nsets && rc == 0; si++) {
        const char *set = sets[si];
        set_check c;
        memset(&c, 0, sizeof c);
        for (size_t i = 0; i < nfiles; i++) {
            char stem[4096], ap[8400];
            doc_rel_stem(files[i].rel, stem, sizeof stem);
            snprintf(ap, sizeof ap, "%s/%s/%s.jsonl.zst", attrs_dir, set, stem);
            if (!file_exists(ap)) {
                names_add(&c.missing, files[i].rel);
                continue;
            }
            c.present++;
            cJSON *rec = record_load(ap);
            if (!rec) {
                names_add(&c.unrecorded, files[i].rel);
                continue;
            }
            c.recorded++;
            if (!have_id[i]) {
                if (doc_identity_of(files[i].path, &ids[i], e) < 0) {
                    cJSON_Delete(rec);
                    rc = -1;
                    break;
                }
                have_id[i] = 1;
            }
            if (!record_same_doc(rec, &ids[i])) names_add(&c.stale, files[i].rel);
            else if (!record_complete(rec)) names_add(&c.incomplete, files[i].rel);
            note_config(&c, rec, files[i].rel);
            cJSON_Delete(rec);
        }
        if (rc < 0) {
            set_check_free(&c);
            break;
        }
        /* a set with no record at all was made by hand (or an older blalm):
         * accepted as unrecorded; records for only part of it are not */
        int unrecorded_set = c.recorded == 0;
        sbuf fix;
        sb_init(&fix);
        fix_command(&c, set, fix_args, &fix);
        sbuf one;
        sb_init(&one);
        if (c.stale.n) {
            sb_printf(&one, "%sattribute set '%s' is stale: %zu document files changed since it was "
                            "made from them (%s); run %s, which remakes them",
                      one.len ? "; " : "", set, c.stale.n, names_text(&c.stale), sb_cstr(&fix));
        }
        if (c.nconfigs > 1) {
            sb_printf(&one, "%sattribute set '%s' mixes %d configurations:", one.len ? "; " : "", set,
                      c.nconfigs);
            for (int k = 0; k < c.nconfigs; k++)
                sb_printf(&one, "%s %zu files (e.g. %s) by `%s` (config %s)", k ? "," : "",
                          c.config_files[k], c.config_example[k], c.command[k], c.config[k]);
            sb_printf(&one, "; rerun the one you want with --force");
        }
        if (!unrecorded_set && c.unrecorded.n) {
            sb_printf(&one, "%sattribute set '%s': %zu files have no record of what they were made "
                            "from (%s); run %s with --force",
                      one.len ? "; " : "", set, c.unrecorded.n, names_text(&c.unrecorded),
                      sb_cstr(&fix));
        }
        int is_partial = c.missing.n || c.incomplete.n;
        if (is_partial && partial) *partial = 1;
        if (is_partial && allow_partial != ATTR_PARTIAL_ALLOW) {
            sb_printf(&one, "%sattribute set '%s' is incomplete:", one.len ? "; " : "", set);
            if (c.missing.n)
                sb_printf(&one, " %zu of %zu document files have no attribute file (%s)", c.missing.n,
                          nfiles, names_text(&c.missing));
            if (c.incomplete.n)
                sb_printf(&one, "%s %zu files were left unfinished (%s)", c.missing.n ? ";" : "",
                          c.incomplete.n, names_text(&c.incomplete));
            sb_printf(&one, "; run %s to finish it", sb_cstr(&fix));
            if (allow_partial == ATTR_PARTIAL_OFFER)
                sb_adds(&one, " (or pass --allow-partial to use it as it is, recorded in the manifest)");
        }
        if (one.len) {
            /* the first sets' problems in full; the message has room for a few */
            if (problems++ < 2) sb_printf(&msg, "%s%s", msg.len ? "; " : "", sb_cstr(&one));
            else sb_printf(&msg, "%s'%s'", problems == 3 ? "; and problems in attribute sets " : ", ", set);
        }
        sb_free(&one);
        sb_free(&fix);
        if (summary) {
            sb_adds(summary, si ? ", {\"set\": " : "{\"set\": ");
            sb_json_str(summary, set, strlen(set));
            sb_printf(summary, ", \"files\": %zu, \"missing\": %zu, \"incomplete\": %zu, \"recorded\": %s, "
                               "\"config\": ",
                      nfiles, c.missing.n, c.incomplete.n, unrecorded_set ? "false" : "true");
            if (c.nconfigs == 1) sb_json_str(summary, c.config[0], strlen(c.config[0]));
            else sb_adds(summary, "null");
            sb_addc(summary, '}');
        }
        set_check_free(&c);
    }
    if (summary) sb_addc(summary, ']');
    if (rc == 0 && problems) rc = err_set(e, "%s", sb_cstr(&msg));
    sb_free(&msg);
    free(ids);
    free(have_id);
    return rc;
}
