/* corpus.c - the BabyLM corpus layout reader (contract in corpus.h). */
#include "corpus.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "fsutil.h"
#include "hash.h"
#include "json.h"
#include "sbuf.h"
#include "utf8.h"
#include "zio.h"

static const char *const split_name[2] = {"train", "dev"};

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const corpus_file *)a)->rel, ((const corpus_file *)b)->rel);
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* Appends the regular files DIR/<split>/NAME.<split>, sorted. */
/* Is fn in folder dir a file of split name (a regular NAME.<split>, not a
 * dot-file: temporary files of atomic writers)? path gets dir/fn, st its stat. */
static int split_file(const char *dir, const char *fn, const char *name, char *path, size_t cap, struct stat *st)
{
    size_t l = strlen(fn), sl = strlen(name);
    if (l <= sl + 1 || fn[l - sl - 1] != '.' || strcmp(fn + l - sl, name) || fn[0] == '.') return 0;
    if ((size_t)snprintf(path, cap, "%s/%s", dir, fn) >= cap) return 0;
    return stat(path, st) == 0 && S_ISREG(st->st_mode);
}

static int list_split(corpus *c, corpus_split sp, blalm_err *e)
{
    const char *name = split_name[sp];
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", c->dir, name);
    DIR *d = opendir(dir);
    if (!d) return 0; /* no such split */
    size_t first = c->n_files, cap = c->n_files;
    struct dirent *de;
    int rc = 0;
    while (!rc && (de = readdir(d))) {
        char path[8192];
        struct stat st;
        if (!split_file(dir, de->d_name, name, path, sizeof path, &st)) continue;
        if (c->n_files == cap) {
            cap = cap ? 2 * cap : 16;
            corpus_file *nf = realloc(c->files, cap * sizeof *nf);
            if (!nf) {
                rc = err_set(e, "%s: out of memory", dir);
                break;
            }
            c->files = nf;
        }
        corpus_file *f = &c->files[c->n_files];
        memset(f, 0, sizeof *f);
        char rel[4096];
        snprintf(rel, sizeof rel, "%s/%s", name, de->d_name);
        f->rel = dupstr(rel);
        f->path = dupstr(path);
        f->split = sp;
        f->size = (uint64_t)st.st_size;
        c->n_files++;
        if (!f->rel || !f->path) rc = err_set(e, "%s: out of memory", dir);
    }
    closedir(d);
    if (c->n_files > first)
        qsort(c->files + first, c->n_files - first, sizeof *c->files, cmp_file);
    return rc;
}

static int add_doc(corpus_file *f, corpus_doc d)
{
    if (f->n_docs == f->cap_docs) {
        size_t cap = f->cap_docs ? 2 * f->cap_docs : 1024;
        corpus_doc *nd = realloc(f->docs, cap * sizeof *nd);
        if (!nd) return -1;
        f->docs = nd;
        f->cap_docs = cap;
    }
    f->docs[f->n_docs++] = d;
    return 0;
}

/* A non-negative integer that a double holds exactly. */
static int num_u64(const cJSON *o, const char *k, uint64_t *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble > 9007199254740992.0 ||
        x->valuedouble != (double)(uint64_t)x->valuedouble)
        return -1;
    *v = (uint64_t)x->valuedouble;
    return 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && !strcmp(s + n - m, suffix);
}

/* One bad index line: strict, it is the error (-1); lenient, it goes to the
 * caller's problem callback and reading goes on (0). */
static int bad_line(const corpus_opts *o, blalm_err *e, const char *fmt, ...) BLALM_PRINTF(3, 4);
static int bad_line(const corpus_opts *o, blalm_err *e, const char *fmt, ...)
{
    blalm_err m;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m.msg, sizeof m.msg, fmt, ap);
    va_end(ap);
    if (o && o->problem) {
        o->problem(o->ctx, m.msg);
        return 0;
    }
    memcpy(e->msg, m.msg, sizeof m.msg);
    return -1;
}

static int read_index(corpus *c, const corpus_opts *o, blalm_err *e)
{
    int full = o && o->full;
    zreader *r = zr_open(c->index_path, e);
    if (!r) return o && o->problem ? bad_line(o, e, "%s", e->msg) : -1;
    const char *line;
    size_t len;
    int lr, rc = 0;
    sbuf idb;   /* the id decoded from the line with its length (cJSON's ends at a NUL) */
    sb_init(&idb);
    while (!rc && (lr = zr_line(r, &line, &len, e)) == 1) {
        unsigned long long ln = (unsigned long long)zr_lineno(r);
        size_t bad;
        if (!utf8_valid(line, len, &bad)) {
            /* cJSON takes the bytes, but json_member_string stops at them, and
             * its failure would be blamed on "id" */
            rc = bad_line(o, e, "%s:%llu: column %zu: not valid UTF-8 (byte \\x%02x): JSON text must be UTF-8",
                          c->index_path, ln, bad + 1, (unsigned char)line[bad]);
            continue;
        }
        blalm_err pe;   /* strict as manifest.json: no text after the object, no key twice */
        cJSON *j = config_parse_line(line, len, c->index_path, ln, &pe);
        if (!j) {
            rc = bad_line(o, e, "%s", pe.msg);
            continue;
        }
        const cJSON *file = j ? cJSON_GetObjectItemCaseSensitive(j, "file") : NULL;
        const cJSON *split = j ? cJSON_GetObjectItemCaseSensitive(j, "split") : NULL;
        const cJSON *id = j ? cJSON_GetObjectItemCaseSensitive(j, "id") : NULL;
        const cJSON *words = j ? cJSON_GetObjectItemCaseSensitive(j, "words") : NULL;
        const cJSON *ksrc = full && j ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "key"),
                                                                          "source") : NULL;
        corpus_doc d = {0};
        d.line = ln;
        if (!cJSON_IsObject(j) || !cJSON_IsString(file) || num_u64(j, "offset", &d.offset) ||
            num_u64(j, "length", &d.length)) {
            rc = bad_line(o, e, "%s:%llu: expected a JSON object with \"file\" (string), \"offset\" and "
                          "\"length\" (non-negative integers)", c->index_path, ln);
        } else if (full && (!cJSON_IsString(id) || !cJSON_IsString(split) || !words)) {
            rc = bad_line(o, e, "%s:%llu: expected \"id\", \"split\" (strings) and \"words\" beside \"file\", "
                          "\"offset\" and \"length\"", c->index_path, ln);
        } else if (words && num_u64(j, "words", &d.words)) {
            rc = bad_line(o, e, "%s:%llu: \"words\": expected a non-negative integer", c->index_path, ln);
        } else if (split && !cJSON_IsString(split)) {
            rc = bad_line(o, e, "%s:%llu: \"split\": expected a string", c->index_path, ln);
        } else {
            d.has_words = words != NULL;
            const char *fn = file->valuestring;
            size_t i = 0;
            while (i < c->n_files && strcmp(c->files[i].rel, fn) != 0) i++;
            if (i == c->n_files) {
                /* documents of other splits (e.g. a test split) are not ours, except to a full check */
                if (full || ends_with(fn, ".train") || ends_with(fn, ".dev"))
                    rc = bad_line(o, e, "%s:%llu: file \"%.200s\" is not in the corpus", c->index_path, ln, fn);
            } else {
                corpus_file *f = &c->files[i];
                if (split && strcmp(split->valuestring, split_name[f->split]) != 0)
                    rc = bad_line(o, e, "%s:%llu: split \"%.50s\" but file %s", c->index_path, ln,
                                  split->valuestring, f->rel);
                else if (d.offset > f->size || d.length > f->size - d.offset)
                    rc = bad_line(o, e, "%s:%llu: document bytes [%llu, +%llu) run past the end of the file %s "
                                  "(%llu bytes); documents.jsonl.zst does not match the corpus", c->index_path,
                                  ln, (unsigned long long)d.offset, (unsigned long long)d.length, f->path,
                                  (unsigned long long)f->size);
                else if (cJSON_IsString(id) && json_member_string(line, len, "id", &idb) != 1)
                    rc = bad_line(o, e, "%s:%llu: \"id\": expected a string", c->index_path, ln);
                else if (cJSON_IsString(id) && !(d.id = malloc(idb.len + 1)))
                    rc = err_set(e, "%s: out of memory", c->index_path);
                else if (cJSON_IsString(ksrc) && !(d.source = strdup(ksrc->valuestring))) {
                    free(d.id);
                    rc = err_set(e, "%s: out of memory", c->index_path);
                } else {
                    if (d.id) {
                        memcpy(d.id, idb.data, idb.len);
                        d.id[idb.len] = 0;
                        d.id_len = idb.len;
                    }
                    if (add_doc(f, d) != 0) {
                        free(d.id);
                        free(d.source);
                        rc = err_set(e, "%s: out of memory", c->index_path);
                    }
                }
            }
        }
        cJSON_Delete(j);
    }
    sb_free(&idb);
    if (!rc && lr < 0) rc = o && o->problem ? bad_line(o, e, "%s", e->msg) : -1;
    zr_close(r);
    return rc;
}

int corpus_id_cmp(const corpus_doc *a, const corpus_doc *b)
{
    size_t n = a->id_len < b->id_len ? a->id_len : b->id_len;
    int c = memcmp(a->id, b->id, n);
    if (c) return c;
    return (a->id_len > b->id_len) - (a->id_len < b->id_len);
}

void corpus_show_id(sbuf *b, const corpus_doc *d)
{
    size_t k = utf8_prefix(d->id, d->id_len, 200);
    sb_json_str(b, d->id, k);
    if (k < d->id_len) sb_adds(b, "...");
}

typedef struct doc_ref {
    const corpus_doc *d;
    uint64_t hash;       /* of d->id */
} doc_ref;

static int cmp_range(const void *a, const void *b)
{
    const corpus_doc *x = ((const doc_ref *)a)->d, *y = ((const doc_ref *)b)->d;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    if (x->length != y->length) return x->length < y->length ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_id(const void *a, const void *b)
{
    const doc_ref *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    int c = corpus_id_cmp(x->d, y->d);
    if (c) return c;
    return x->d->line < y->d->line ? -1 : x->d->line > y->d->line;
}

/* Strict mode: a document listed twice (a repeated line, an index appended
 * to itself) or byte ranges that overlap would be tokenized twice and its
 * words counted twice against a word budget; the first such pair is the
 * error, naming both index lines. (verify, lenient, reports these itself.) */
static int check_unique(const corpus *c, blalm_err *e)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_files; i++) n += c->files[i].n_docs;
    doc_ref *r = malloc((n ? n : 1) * sizeof *r);
    if (!r) return err_set(e, "%s: out of memory", c->index_path);
    int rc = 0;
    for (size_t i = 0; i < c->n_files && !rc; i++) {
        const corpus_file *f = &c->files[i];
        for (size_t k = 0; k < f->n_docs; k++) r[k] = (doc_ref){&f->docs[k], 0};
        qsort(r, f->n_docs, sizeof *r, cmp_range);
        /* by offset: a range overlaps an earlier one when it starts before
         * the furthest end so far; the same range twice is a repeat even
         * when empty */
        size_t far = 0;
        for (size_t k = 1; k < f->n_docs && !rc; k++) {
            const corpus_doc *a = r[far].d, *b = r[k].d;
            int same = b->offset == a->offset && b->length == a->length;
            if (same || b->offset < a->offset + a->length) {
                const corpus_doc *first = a->line < b->line ? a : b, *later = a->line < b->line ? b : a;
                rc = err_set(e, "%s:%llu: %s bytes [%llu, +%llu) %s those of line %llu ([%llu, +%llu)); each "
                             "document must be listed once", c->index_path, (unsigned long long)later->line,
                             f->rel, (unsigned long long)later->offset, (unsigned long long)later->length,
                             same ? "repeat" : "overlap", (unsigned long long)first->line,
                             (unsigned long long)first->offset, (unsigned long long)first->length);
            }
            if (b->offset + b->length > a->offset + a->length) far = k;
        }
    }
    size_t m = 0;
    for (size_t i = 0; i < c->n_files && !rc; i++)
        for (size_t k = 0; k < c->files[i].n_docs; k++) {
            const corpus_doc *d = &c->files[i].docs[k];
            if (d->id) r[m++] = (doc_ref){d, xxh3_64(d->id, d->id_len)};
        }
    qsort(r, m, sizeof *r, cmp_id);
    for (size_t k = 1; k < m && !rc; k++)
        if (r[k].hash == r[k - 1].hash && !corpus_id_cmp(r[k].d, r[k - 1].d)) {
            sbuf shown;
            sb_init(&shown);
            corpus_show_id(&shown, r[k].d);
            rc = err_set(e, "%s:%llu: id %s is also on line %llu; each document must be listed once",
                         c->index_path, (unsigned long long)r[k].d->line, sb_cstr(&shown),
                         (unsigned long long)r[k - 1].d->line);
            sb_free(&shown);
        }
    free(r);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does folder path hold a train split file (as list_split reads them)? */
static int holds_train_file(const char *path)
{
    DIR *s = opendir(path);
    if (!s) return 0;
    int found = 0;
    struct dirent *f;
    char p[8192];
    struct stat st;
    while (!found && (f = readdir(s)))
        found = split_file(path, f->d_name, split_name[CORPUS_TRAIN], p, sizeof p, &st);
    closedir(s);
    return found;
}

/* The folders DIR/train_* holding a train split file, sorted by name,
 * written to out as "A/", "A/ and B/" or "A/, B/ and C/"; first gets the
 * first name. Returns how many (0: none, out untouched). */
static size_t download_folders(const char *dir, char *out, size_t cap, char *first, size_t first_cap)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    char **names = NULL;
    size_t n = 0, alloc = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strncmp(de->d_name, "train_", 6) != 0) continue;
        char sub[PATH_MAX];
        if ((size_t)snprintf(sub, sizeof sub, "%s/%s", dir, de->d_name) >= sizeof sub) continue;
        if (!holds_train_file(sub)) continue;
        if (n == alloc) {
            size_t na = alloc ? 2 * alloc : 4;
            char **g = realloc(names, na * sizeof *g);
            if (!g) break;
            names = g;
            alloc = na;
        }
        if (!(names[n] = strdup(de->d_name))) break;
        n++;
    }
    closedir(d);
    if (n) {
        qsort(names, n, sizeof *names, name_cmp);
        size_t len = 0;
        out[0] = 0;
        for (size_t i = 0; i < n; i++) {
            const char *sep = i == 0 ? "" : i + 1 == n ? " and " : ", ";
            int w = snprintf(out + len, cap - len, "%s%s/", sep, names[i]);
            if (w < 0 || (size_t)w >= cap - len) break;
            len += (size_t)w;
        }
        snprintf(first, first_cap, "%s", names[0]);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return n;
}

/* see corpus.h */
int corpus_refuse_download(const char *dir, const char *cmd, blalm_err *e)
{
    char tp[PATH_MAX], dl[1024], dl1[256];
    snprintf(tp, sizeof tp, "%s/train", dir);
    if (holds_train_file(tp)) return 0;
    size_t n = download_folders(dir, dl, sizeof dl, dl1, sizeof dl1);
    if (!n) return 0;
    /* ln -s into an existing train/ makes a link inside it */
    char moved[PATH_MAX + 96] = "";
    struct stat st;
    if (lstat(tp, &st) == 0) {
        struct stat to;
        int isdir = stat(tp, &to) == 0 && S_ISDIR(to.st_mode);
        snprintf(moved, sizeof moved, "%s %s: remove or move it, then ", tp,
                 isdir ? "holds no .train files" : "is not a folder");
    }
    /* several: a placeholder, not one of them picked for the reader */
    return err_set(e, "%s: no train/*.train, but %s %s .train files (the BabyLM download's layout): "
                   "%slink %s as the train split (ln -s %s %s/train) and run blalm %s again",
                   dir, dl, n == 1 ? "holds" : "hold", moved, n == 1 ? "it" : "the one you mean",
                   n == 1 ? dl1 : "train_<size>", dir, cmd);
}

int corpus_open(corpus *c, const char *dir, blalm_err *e)
{
    return corpus_open_opts(c, dir, NULL, e);
}

int corpus_check_dir(const char *dir, blalm_err *e)
{
    struct stat st;
    if (stat(dir, &st) != 0) return err_errno(e, "%s", dir);
    if (!S_ISDIR(st.st_mode)) return err_set(e, "%s: not a folder (a corpus is a folder with train/ and dev/)", dir);
    return 0;
}

int corpus_open_opts(corpus *c, const char *dir, const corpus_opts *o, blalm_err *e)
{
    memset(c, 0, sizeof *c);
    /* a mistyped folder used to open as a corpus of no files, and train
     * reported "the train split holds no text" */
    if (corpus_check_dir(dir, e) < 0) return -1;
    c->dir = dupstr(dir);
    size_t il = strlen(dir) + sizeof "/documents.jsonl.zst";
    c->index_path = malloc(il);
    if (!c->dir || !c->index_path) {
        corpus_close(c);
        return err_set(e, "%s: out of memory", dir);
    }
    snprintf(c->index_path, il, "%s/documents.jsonl.zst", dir);
    if (list_split(c, CORPUS_TRAIN, e) != 0 || list_split(c, CORPUS_DEV, e) != 0) {
        corpus_close(c);
        return -1;
    }
    c->has_index = file_exists(c->index_path);
    if (c->has_index && (read_index(c, o, e) != 0 || (!(o && o->problem) && check_unique(c, e) != 0))) {
        corpus_close(c);
        return -1;
    }
    return 0;
}

void corpus_close(corpus *c)
{
    for (size_t i = 0; i < c->n_files; i++) {
        for (size_t d = 0; d < c->files[i].n_docs; d++) {
            free(c->files[i].docs[d].id);
            free(c->files[i].docs[d].source);
        }
        free(c->files[i].rel);
        free(c->files[i].path);
        free(c->files[i].docs);
    }
    free(c->files);
    free(c->dir);
    free(c->index_path);
    memset(c, 0, sizeof *c);
}

size_t corpus_count(const corpus *c, corpus_split s)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n_files; i++) n += c->files[i].split == s;
    return n;
}

/* Whether the line starting at s[i] is blank: empty, or only "\r" before its
 * "\n" (a CRLF file's blank line) or before the end of the text. */
static int blank_line_at(const char *s, size_t n, size_t i)
{
    return i < n && (s[i] == '\n' || (s[i] == '\r' && (i + 1 == n || s[i + 1] == '\n')));
}

/* Whether the line starting at s[i] (up to its "\n" or the end) holds only
 * spaces, tabs and a final "\r", and at least one space or tab. */
static int whitespace_line_at(const char *s, size_t n, size_t i)
{
    size_t j = i;
    while (j < n && (s[j] == ' ' || s[j] == '\t')) j++;
    if (j == i) return 0;
    if (j < n && s[j] == '\r') j++;
    return j == n || s[j] == '\n';
}

int corpus_blank_line_docs(corpus_file *f, const char *s, size_t n, size_t *ws_lines, blalm_err *e)
{
    size_t i = 0, ws = 0;
    while (i < n) {
        while (blank_line_at(s, n, i)) i += s[i] == '\n' ? 1 : (i + 1 < n ? 2 : 1);
        if (i >= n) break;
        size_t start = i, end;
        for (;;) {   /* the document's lines, up to a blank line or the end */
            if (whitespace_line_at(s, n, i)) ws++;
            const char *nl = memchr(s + i, '\n', n - i);
            if (!nl) {
                end = i = n;
                break;
            }
            size_t next = (size_t)(nl - s) + 1;
            if (next >= n || blank_line_at(s, n, next)) {
                end = (size_t)(nl - s);   /* the line break before a blank line (or the file's last) is not text */
                if (end > start && s[end - 1] == '\r') end--;
                i = next;
                break;
            }
            i = next;
        }
        if (end > start && add_doc(f, (corpus_doc){.offset = start, .length = end - start}) != 0)
            return err_set(e, "%s: out of memory", f->path);
    }
    if (ws_lines) *ws_lines = ws;
    return 0;
}

uint64_t corpus_file_docs_hash(const corpus_file *f)
{
    size_t n = f->n_docs * 4;
    uint64_t *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return 0;
    for (size_t i = 0; i < f->n_docs; i++) {
        v[4 * i] = f->docs[i].offset;
        v[4 * i + 1] = f->docs[i].length;
        v[4 * i + 2] = f->docs[i].words;
        v[4 * i + 3] = (uint64_t)f->docs[i].has_words;
    }
    uint64_t h = xxh3_64(v, n * sizeof *v);
    free(v);
    return h;
}
