#include "docs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "parquet.h"
#include "sbuf.h"
#include "sighold.h"
#include "utf8.h"
#include "zio.h"

struct doc_reader {
    char *path;
    doc_backend be;
};

/* ---- jsonl backend ---- */

/* A member of the document's metadata: its text in jsonl_state.meta, its
 * decoded name in jsonl_state.keys; inst: 0 for a top-level (flat) field,
 * else which "metadata" object of the line (1, 2, ...) holds it. */
typedef struct meta_member {
    size_t off, len, key_off, key_len;
    int inst, idx;
} meta_member;

typedef struct jsonl_state {
    zreader *zr;
    char *path;
    char *default_source;
    char *stem;
    int stem_bad;               /* stem is not UTF-8: a generated id is an error */
    const char *text_field, *id_field;
    sbuf text, id, source, meta, key;
    sbuf keys, meta2;           /* metadata member names; the de-duplicated metadata */
    meta_member *mm, *mm_sorted;
    size_t nmm, mm_cap;
    uint64_t row;
    const char *format;
} jsonl_state;

static int key_is(const sbuf *k, const char *name)
{
    size_t n = strlen(name);
    return k->len == n && !memcmp(k->data, name, n);
}

/* Column for error messages: 1-based, in bytes. */
static int line_error(jsonl_state *st, size_t col, const char *what, blalm_err *e)
{
    return err_set(e, "%s:%llu: column %zu: expected %s", st->path,
                   (unsigned long long)zr_lineno(st->zr), col + 1, what);
}

static void add_member(jsonl_state *st, size_t off, size_t len, const char *key, size_t key_len, int inst)
{
    if (st->nmm == st->mm_cap) {
        size_t nc = st->mm_cap ? 2 * st->mm_cap : 16;
        meta_member *m = realloc(st->mm, nc * sizeof *m), *t;
        if (!m) abort();
        st->mm = m;
        t = realloc(st->mm_sorted, nc * sizeof *t);
        if (!t) abort();
        st->mm_sorted = t;
        st->mm_cap = nc;
    }
    meta_member *m = &st->mm[st->nmm];
    m->off = off;
    m->len = len;
    m->key_off = st->keys.len;
    m->key_len = key_len;
    m->inst = inst;
    m->idx = (int)st->nmm++;
    sb_add(&st->keys, key, key_len);
}

static int cmp_member_r(const void *a, const void *b, void *keys)
{
    const meta_member *x = a, *y = b;
    const char *k = keys;
    size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(k + x->key_off, k + y->key_off, n);
    if (c) return c;
    if (x->key_len != y->key_len) return x->key_len < y->key_len ? -1 : 1;
    return x->idx - y->idx;
}

/* The document's metadata as JSON parsers read a line (Python's json, so
 * datatrove): of a name repeated at one level the last wins, a second
 * "metadata" object replaces the first, and the other top-level fields are
 * merged over the members of "metadata" (datatrove's `metadata | data`: a
 * flat field wins over a "metadata" member of the same name). Only the
 * winners are kept, in their order on the line, so the written metadata
 * never repeats a name (DuckDB refuses such a line); a line without
 * repeats keeps its metadata text as it was. */
static void dedup_metadata(jsonl_state *st, int ninst)
{
    if (st->nmm < 2 && ninst < 2) return;
    if (ninst < 2 && st->nmm <= 16) {   /* the usual few names: look for a repeat first */
        int rep = 0;
        for (size_t i = 1; i < st->nmm && !rep; i++)
            for (size_t j = 0; j < i && !rep; j++)
                rep = st->mm[i].key_len == st->mm[j].key_len &&
                      !memcmp(st->keys.data + st->mm[i].key_off, st->keys.data + st->mm[j].key_off, st->mm[i].key_len);
        if (!rep) return;
    }
    int drop = 0;
    for (size_t i = 0; i < st->nmm; i++) {
        st->mm_sorted[i] = st->mm[i];
        if (st->mm[i].inst && st->mm[i].inst != ninst) st->mm[i].len = 0, drop = 1;
    }
    qsort_r(st->mm_sorted, st->nmm, sizeof *st->mm_sorted, cmp_member_r, st->keys.data);
    for (size_t lo = 0, hi; lo < st->nmm; lo = hi) {
        const meta_member *a = &st->mm_sorted[lo];
        for (hi = lo + 1; hi < st->nmm; hi++) {
            const meta_member *b = &st->mm_sorted[hi];
            if (b->key_len != a->key_len || memcmp(st->keys.data + b->key_off, st->keys.data + a->key_off, a->key_len))
                break;
        }
        if (hi - lo < 2) continue;
        /* the winner: the last flat one, else the last of the last "metadata" */
        int win = -1;
        for (size_t j = lo; j < hi; j++)
            if (st->mm_sorted[j].inst == 0) win = st->mm_sorted[j].idx;
        if (win < 0)
            for (size_t j = lo; j < hi; j++)
                if (st->mm_sorted[j].inst == ninst) win = st->mm_sorted[j].idx;
        for (size_t j = lo; j < hi; j++)
            if (st->mm_sorted[j].idx != win) st->mm[st->mm_sorted[j].idx].len = 0, drop = 1;
    }
    if (!drop) return;
    sb_reset(&st->meta2);
    sb_addc(&st->meta2, '{');
    int first = 1;
    for (size_t i = 0; i < st->nmm; i++) {
        if (!st->mm[i].len) continue;
        if (!first) sb_addc(&st->meta2, ',');
        first = 0;
        sb_add(&st->meta2, st->meta.data + st->mm[i].off, st->mm[i].len);
    }
    sb_addc(&st->meta2, '}');
    sbuf t = st->meta;
    st->meta = st->meta2;
    st->meta2 = t;
}

static int jsonl_next(void *vs, blalm_doc *d, blalm_err *e)
{
    jsonl_state *st = vs;
    const char *s;
    size_t n;
    for (;;) {
        int rc = zr_line(st->zr, &s, &n, e);
        if (rc <= 0) return rc;
        size_t p = json_ws(s, n, 0);
        if (p == n) continue;   /* blank line */
        break;
    }
    sb_reset(&st->text); sb_reset(&st->id); sb_reset(&st->source); sb_reset(&st->meta);
    sb_reset(&st->keys);
    st->nmm = 0;
    int have_text = 0, have_id = 0, have_source = 0, meta_members = 0, ninst = 0;
    const char *what = NULL;
    size_t p = json_ws(s, n, 0);
    if (s[p] != '{') {
        if (zr_lineno(st->zr) == 1 && n >= 4 && !memcmp(s, "PAR1", 4))
            return err_set(e, "%s: byte 0: parquet data (PAR1) in a pipe or other stream; parquet is read by "
                              "seeking, so give it as a regular file (save the stream to a file first)",
                           st->path);
        if (zr_lineno(st->zr) == 1 && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
            return err_set(e, "%s:1: column 1: the file starts with a UTF-8 byte-order mark (bytes EF BB BF), "
                              "which JSON lines do not allow; expected a JSON object ('{'): remove the mark "
                              "(sed -i '1s/^\\xEF\\xBB\\xBF//' on an uncompressed file)",
                           st->path);
        return line_error(st, p, "a JSON object ('{') for each document", e);
    }
    sb_addc(&st->meta, '{');
    p = json_ws(s, n, p + 1);
    if (p < n && s[p] == '}') {
        p++;
    } else {
        for (;;) {
            p = json_ws(s, n, p);
            sb_reset(&st->key);
            if (p >= n || s[p] != '"') return line_error(st, p, "a string key", e);
            if (json_decode_string(s, n, &p, &st->key, &what) < 0) return line_error(st, p, what, e);
            p = json_ws(s, n, p);
            if (p >= n || s[p] != ':') return line_error(st, p, "':'", e);
            p = json_ws(s, n, p + 1);
            size_t vstart = p;
            sbuf *dst = NULL;
            if (key_is(&st->key, st->text_field)) {
                if (p >= n || s[p] != '"')
                    return line_error(st, p, "a string value for the text field", e);
                dst = &st->text;
                have_text = 1;
            } else if (key_is(&st->key, st->id_field) && p < n && s[p] == '"') {
                dst = &st->id;
                have_id = 1;
            } else if (key_is(&st->key, "source") && p < n && s[p] == '"') {
                dst = &st->source;
                have_source = 1;
            }
            if (dst) {
                sb_reset(dst);
                if (json_decode_string(s, n, &p, dst, &what) < 0) return line_error(st, p, what, e);
            } else {
                if (json_skip_value(s, n, &p, &what) < 0) return line_error(st, p, what, e);
                if (key_is(&st->key, st->id_field)) {
                    /* a numeric id keeps its literal text; null means none */
                    sb_reset(&st->id);
                    have_id = !(p - vstart == 4 && !memcmp(s + vstart, "null", 4));
                    if (have_id) sb_add(&st->id, s + vstart, p - vstart);
                } else if (key_is(&st->key, "metadata") && s[vstart] == '{') {
                    /* merge the members of "metadata" into the document's metadata */
                    size_t a = json_ws(s, n, vstart + 1), b = p - 1;
                    while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\t' || s[b - 1] == '\r' || s[b - 1] == '\n')) b--;
                    ninst++;
                    if (b > a) {
                        if (meta_members++) sb_addc(&st->meta, ',');
                        size_t base = st->meta.len;
                        sb_add(&st->meta, s + a, b - a);
                        /* note each member (its name, where its text is): the
                         * object was checked by json_skip_value above */
                        for (size_t q = a; q < b;) {
                            size_t ks = q;
                            sb_reset(&st->key);
                            if (json_decode_string(s, n, &q, &st->key, &what) < 0) return line_error(st, q, what, e);
                            q = json_ws(s, n, q);
                            q = json_ws(s, n, q + 1);   /* ':' */
                            if (json_skip_value(s, n, &q, &what) < 0) return line_error(st, q, what, e);
                            add_member(st, base + (ks - a), q - ks, st->key.data, st->key.len, ninst);
                            q = json_ws(s, n, q);
                            if (q < b && s[q] == ',') q = json_ws(s, n, q + 1);
                        }
                    }
                } else {
                    /* any other top-level field is metadata (flat dumps) */
                    if (meta_members++) sb_addc(&st->meta, ',');
                    size_t off = st->meta.len;
                    sb_json_str(&st->meta, st->key.data, st->key.len);
                    sb_addc(&st->meta, ':');
                    sb_add(&st->meta, s + vstart, p - vstart);
                    add_member(st, off, st->meta.len - off, st->key.data, st->key.len, 0);
                }
            }
            p = json_ws(s, n, p);
            if (p < n && s[p] == ',') { p++; continue; }
            if (p < n && s[p] == '}') { p++; break; }
            return line_error(st, p, "',' or '}'", e);
        }
    }
    p = json_ws(s, n, p);
    if (p != n) return line_error(st, p, "end of line after the document object", e);
    if (!have_text)
        return err_set(e, "%s:%llu: missing \"%s\" field (a string)", st->path,
                       (unsigned long long)zr_lineno(st->zr), st->text_field);
    sb_addc(&st->meta, '}');
    dedup_metadata(st, ninst);
    if (!have_id) {
        if (st->stem_bad) {
            char where[64];
            snprintf(where, sizeof where, "%llu", (unsigned long long)zr_lineno(st->zr));
            return doc_stem_error(st->path, where, st->stem, e);
        }
        sb_printf(&st->id, "%s/%llu", st->stem, (unsigned long long)st->row);
    }
    if (!have_source) sb_adds(&st->source, st->default_source);
    d->text = sb_cstr(&st->text); d->text_len = st->text.len;
    d->id = sb_cstr(&st->id); d->id_len = st->id.len;
    d->source = sb_cstr(&st->source); d->source_len = st->source.len;
    d->metadata = sb_cstr(&st->meta); d->metadata_len = st->meta.len;
    d->row = st->row++;
    d->line = zr_lineno(st->zr);
    d->offset = zr_offset(st->zr);
    return 1;
}

static void jsonl_close(void *vs)
{
    jsonl_state *st = vs;
    zr_close(st->zr);
    sb_free(&st->text); sb_free(&st->id); sb_free(&st->source); sb_free(&st->meta); sb_free(&st->key);
    sb_free(&st->keys); sb_free(&st->meta2);
    free(st->mm);
    free(st->mm_sorted);
    free(st->path);
    free(st->default_source);
    free(st->stem);
    free(st);
}

static void base_stem(const char *path, char *out, size_t cap)
{
    const char *b = strrchr(path, '/');
    doc_rel_stem(b ? b + 1 : path, out, cap);
}

/* path with each byte that is not printable ASCII as \xNN (for messages
 * about names that are not UTF-8). */
static void show_path(sbuf *out, const char *path)
{
    for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
        if (*c >= 0x80 || *c < 0x20 || *c == 0x7f) sb_printf(out, "\\x%02x", *c);
        else sb_addc(out, (char)*c);
    }
}

/* A file name that becomes the default "source" must be UTF-8 (JSON text):
 * refused, as the docs walk refuses such paths. */
int doc_check_name(const char *path, blalm_err *e)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t bad;
    if (utf8_valid(b, strlen(b), &bad)) return 0;
    sbuf shown;
    sb_init(&shown);
    show_path(&shown, path);
    err_set(e, "%s: file name is not valid UTF-8 (byte \\x%02x at offset %zu of its name; bytes shown as \\xNN): a "
               "document file's name becomes its default \"source\", JSON text, which must be UTF-8; rename the "
               "file, or give --source",
            sb_cstr(&shown), (unsigned char)b[bad], bad);
    sb_free(&shown);
    return -1;
}

int doc_stem_error(const char *path, const char *where, const char *stem, blalm_err *e)
{
    size_t bad = 0;
    (void)utf8_valid(stem, strlen(stem), &bad);
    sbuf shown, sst;
    sb_init(&shown);
    sb_init(&sst);
    show_path(&shown, path);
    show_path(&sst, stem);
    err_set(e, "%s:%s: the document has no id, and its generated id \"%s/<row>\" would not be valid UTF-8 (byte "
               "\\x%02x at offset %zu of the file's name or path; bytes shown as \\xNN), which JSON text must be; "
               "rename the file, or give the documents ids",
            sb_cstr(&shown), where, sb_cstr(&sst), (unsigned char)stem[bad], bad);
    sb_free(&shown);
    sb_free(&sst);
    return -1;
}

doc_reader *doc_open(const char *path, const doc_opts *opts, blalm_err *e)
{
    doc_opts o = {0};
    if (opts) o = *opts;
    if (!o.text_field) o.text_field = "text";
    if (!o.id_field) o.id_field = "id";
    /* one field cannot be both: JSON lines read it as the text and generated
     * ids, parquet called the text column a bad id type */
    if (!strcmp(o.id_field, o.text_field)) {
        err_set(e, "%s: the id field '%s' is the text field (--text-field); the id field must be another field "
                   "(--id-field)", path, o.id_field);
        return NULL;
    }
    /* the name as default source: refused now; as generated ids: at the
     * first document without an id (doc_stem_error) */
    if (!o.default_source && !o.names_unused && doc_check_name(path, e) < 0) return NULL;
    char base[4096], stem[4096];
    base_stem(path, base, sizeof base);
    if (!o.default_source) o.default_source = base;   /* not stem: an id_stem replaces that */
    snprintf(stem, sizeof stem, "%s", o.id_stem ? o.id_stem : base);
    struct stat stt;
    if (stat(path, &stt) < 0) {
        err_errno(e, "%s", path);
        return NULL;
    }
    if (S_ISDIR(stt.st_mode)) {
        err_set(e, "%s: is a directory (expected a .jsonl, .jsonl.gz, .jsonl.zst or .parquet file)", path);
        return NULL;
    }
    /* parquet needs a regular file (it seeks); pipes are read as JSON lines */
    const char *kind = S_ISREG(stt.st_mode) ? file_sniff(path, e) : "stream";
    if (!kind) return NULL;
    /* a file named .parquet that is not parquet (empty, or cut before its
     * magic) must not be read as zero JSON lines */
    size_t plen = strlen(path);
    if (S_ISREG(stt.st_mode) && strcmp(kind, "parquet") && plen > 8 && !strcmp(path + plen - 8, ".parquet")) {
        if (stt.st_size == 0)
            err_set(e, "%s: byte 0: empty file (0 bytes); expected a parquet file (PAR1 magic)", path);
        else
            err_set(e, "%s: byte 0: expected a parquet file (PAR1 magic), found %s data", path, kind);
        return NULL;
    }
    doc_reader *r = calloc(1, sizeof *r);
    r->path = strdup(path);
    if (!strcmp(kind, "parquet")) {
        if (parquet_backend_open(path, &o, &r->be, e) < 0) {
            free(r->path);
            free(r);
            return NULL;
        }
        return r;
    }
    jsonl_state *st = calloc(1, sizeof *st);
    st->zr = zr_open(path, e);
    if (!st->zr) {
        free(st);
        free(r->path);
        free(r);
        return NULL;
    }
    st->path = strdup(path);
    st->default_source = strdup(o.default_source);
    st->stem = strdup(stem);
    size_t bad;
    st->stem_bad = !o.names_unused && !utf8_valid(stem, strlen(stem), &bad);
    st->text_field = o.text_field;  /* callers' strings outlive the reader */
    st->id_field = o.id_field;
    sb_init(&st->text); sb_init(&st->id); sb_init(&st->source); sb_init(&st->meta); sb_init(&st->key);
    r->be.state = st;
    r->be.next = jsonl_next;
    r->be.close = jsonl_close;
    zfmt zf = zr_format(st->zr);
    r->be.format = zf == ZFMT_ZSTD ? "jsonl.zst" : zf == ZFMT_GZIP ? "jsonl.gz" : "jsonl";
    return r;
}

int doc_next(doc_reader *r, blalm_doc *d, blalm_err *e) { return r->be.next(r->be.state, d, e); }
const char *doc_format(const doc_reader *r) { return r->be.format; }
int64_t doc_rows(const doc_reader *r)
{
    return !strcmp(r->be.format, "parquet") ? parquet_backend_rows(r->be.state) : -1;
}
const char *doc_path(const doc_reader *r) { return r->path; }

void doc_close(doc_reader *r)
{
    if (!r) return;
    if (r->be.close) r->be.close(r->be.state);
    free(r->path);
    free(r);
}

void doc_to_json(const blalm_doc *d, sbuf *out)
{
    sb_adds(out, "{\"id\":");
    sb_json_str(out, d->id, d->id_len);
    sb_adds(out, ",\"text\":");
    sb_json_str(out, d->text, d->text_len);
    sb_adds(out, ",\"source\":");
    sb_json_str(out, d->source, d->source_len);
    sb_adds(out, ",\"metadata\":");
    if (d->metadata && d->metadata_len) sb_add(out, d->metadata, d->metadata_len);
    else sb_adds(out, "{}");
    sb_addc(out, '}');
}

/* ---- sharded writer ---- */

/* A run's shards are written into a hidden folder inside DIR (the same file
 * system, so each one moves into place with one rename) and moved into DIR
 * only by docw_close: until then DIR holds nothing new, and an earlier run's
 * shards are untouched. */
struct doc_writer {
    char *dir, *prefix;
    char *stage;        /* DIR/.PREFIX-shards.tmp.<pid>, made by the first write */
    made_dirs made;     /* the folders on the way to DIR that this writer made */
    int staged;         /* stage (and DIR) exist */
    int existing;       /* PREFIX shards in DIR at docw_open: an earlier run's, replaced */
    uint64_t rotate;
    int level, shard;
    zwriter *cur;
    sbuf line;
};

/* The number of a shard named PREFIX-NNNNN.jsonl.zst (five digits or more, as
 * docw_write names them), or -1 for any other name. */
static long shard_number(const char *name, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (strncmp(name, prefix, pl) || name[pl] != '-') return -1;
    const char *digits = name + pl + 1, *end = digits;
    while (*end >= '0' && *end <= '9') end++;
    if (end - digits < 5 || end - digits > 9 || strcmp(end, ".jsonl.zst")) return -1;
    return strtol(digits, NULL, 10);
}

/* Removes DIR/PREFIX-NNNNN.jsonl.zst numbered from first on: an earlier run's
 * shards beyond this run's last. */
static int remove_stale_shards(const char *dir, const char *prefix, long first, blalm_err *e)
{
    DIR *d = opendir(dir);
    if (!d) return err_errno(e, "%s", dir);
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (shard_number(de->d_name, prefix) < first) continue;
        char p[8400];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        if (unlink(p) < 0 && errno != ENOENT) rc = err_errno(e, "removing %s, a shard of an earlier run", p);
    }
    closedir(d);
    return rc;
}

/* Removes a staging folder and the files in it (it holds no folders). */
static void remove_stage(const char *stage)
{
    DIR *d = opendir(stage);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char p[8400];
        snprintf(p, sizeof p, "%s/%s", stage, de->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(stage);
}

/* Removes the staging folders of this prefix that killed runs left in dir. */
static void remove_dead_stages(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d) return;
    char stage_name[4200];   /* the staging folder's NAME: ".NAME.tmp.PID" */
    snprintf(stage_name, sizeof stage_name, "%s-shards", prefix);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        long pid = temp_name_pid(de->d_name, stage_name, NULL);
        if (!pid || pid == (long)getpid() || !pid_is_dead(pid)) continue;
        char p[8400];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        remove_stage(p);
    }
    closedir(d);
}

int docw_check_input(const doc_writer *w, const char *path, blalm_err *e)
{
    struct stat in;
    if (stat(path, &in) != 0) return 0;   /* the reader names what is wrong with it */
    DIR *d = opendir(w->dir);
    if (!d) return 0;
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (shard_number(de->d_name, w->prefix) < 0) continue;
        char p[8400];
        snprintf(p, sizeof p, "%s/%s", w->dir, de->d_name);
        struct stat st;   /* lstat: a link among the shards is replaced, not what it points to */
        if (lstat(p, &st) == 0 && st.st_dev == in.st_dev && st.st_ino == in.st_ino)
            rc = err_set(e, "%s: is %s, one of the shards this run would replace; expected an input outside "
                         "%s/%s-NNNNN.jsonl.zst (shard into another folder or prefix)", path, p, w->dir, w->prefix);
    }
    closedir(d);
    return rc;
}

doc_writer *docw_open(const char *dir, const char *prefix, uint64_t rotate_bytes, int level, blalm_err *e)
{
    struct stat st;
    if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
        err_set(e, "%s: exists and is not a directory; expected a folder for the shards", dir);
        return NULL;
    }
    doc_writer *w = calloc(1, sizeof *w);
    w->dir = strdup(dir);
    w->prefix = strdup(prefix ? prefix : "shard");
    size_t n = strlen(dir) + strlen(w->prefix) + 64;
    w->stage = malloc(n);
    snprintf(w->stage, n, "%s/.%s-shards.tmp.%ld", dir, w->prefix, (long)getpid());
    w->rotate = rotate_bytes;
    w->level = level;
    sb_init(&w->line);
    remove_dead_stages(dir, w->prefix);
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) w->existing += shard_number(de->d_name, w->prefix) >= 0;
    if (d) closedir(d);
    return w;
}

/* Makes DIR (remembering the folders made, for docw_abort) and the staging
 * folder. */
static int docw_make_stage(doc_writer *w, blalm_err *e)
{
    if (w->staged) return 0;
    if (mkdir_p_made(w->dir, &w->made, e) < 0) return -1;
    if (mkdir(w->stage, 0755) < 0 && errno != EEXIST) return err_errno(e, "mkdir %s", w->stage);
    w->staged = 1;
    return 0;
}

/* Removes the folders on the way to DIR that this writer made, if empty:
 * exactly those, never one that was there before ("new/../old/sub" made
 * "new" alone; cutting the path string removed old/sub and old instead). */
static void docw_remove_made(doc_writer *w)
{
    made_dirs_undo(&w->made);
}

static int docw_commit_cur(doc_writer *w, blalm_err *e)
{
    if (!w->cur) return 0;
    int rc = zw_commit(w->cur, e);
    w->cur = NULL;
    w->shard++;
    return rc;
}

int docw_write(doc_writer *w, const blalm_doc *d, blalm_err *e)
{
    if (!w->cur) {
        if (docw_make_stage(w, e) < 0) return -1;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s-%05d.jsonl.zst", w->stage, w->prefix, w->shard);
        w->cur = zw_open(path, w->level, e);
        if (!w->cur) return -1;
    }
    sb_reset(&w->line);
    doc_to_json(d, &w->line);
    if (zw_line(w->cur, w->line.data, w->line.len, e) < 0) return -1;
    if (w->rotate && zw_bytes_in(w->cur) >= w->rotate) return docw_commit_cur(w, e);
    return 0;
}

int docw_shards(const doc_writer *w) { return w->shard + (w->cur ? 1 : 0); }

int docw_replacing(const doc_writer *w) { return w->existing; }

static void docw_free(doc_writer *w)
{
    sb_free(&w->line);
    free(w->dir);
    free(w->prefix);
    free(w->stage);
    made_dirs_free(&w->made);
    free(w);
}

/* Moves the staged shards into DIR and removes the earlier run's shards that
 * this run did not replace (numbered from its shard count on). SIGINT,
 * SIGTERM, SIGHUP and SIGQUIT wait until the renames are done (sighold.h:
 * process-wide, whichever thread the signal is delivered to), so that an
 * interrupt does not leave DIR half updated. */
static int docw_publish(doc_writer *w, blalm_err *e)
{
    sig_hold_begin();
    int rc = 0;
    for (int i = 0; i < w->shard && w->staged && rc == 0; i++) {
        char from[8400], to[8400];
        snprintf(from, sizeof from, "%s/%s-%05d.jsonl.zst", w->stage, w->prefix, i);
        snprintf(to, sizeof to, "%s/%s-%05d.jsonl.zst", w->dir, w->prefix, i);
        if (rename(from, to) < 0) rc = err_errno(e, "rename %s -> %s", from, to);
    }
    if (rc == 0) rc = remove_stale_shards(w->dir, w->prefix, w->shard, e);
    if (rc == 0) {
        int fd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
        if (w->staged) remove_stage(w->stage);
    }
    sig_hold_end();
    return rc;
}

int docw_close(doc_writer *w, blalm_err *e)
{
    int rc = docw_commit_cur(w, e);
    if (rc == 0 && !w->staged) rc = mkdir_p(w->dir, e);   /* no document: an empty DIR */
    if (rc == 0) rc = docw_publish(w, e);
    if (rc < 0 && w->staged) {
        remove_stage(w->stage);
        docw_remove_made(w);
    }
    docw_free(w);
    return rc;
}

void docw_abort(doc_writer *w)
{
    if (!w) return;
    zw_abort(w->cur);
    if (w->staged) {
        remove_stage(w->stage);
        docw_remove_made(w);
    }
    docw_free(w);
}

/* ---- walking a docs root ---- */

static const char *const doc_exts[] = {".jsonl.zst", ".jsonl.gz", ".jsonl", ".ndjson", ".parquet", NULL};

static const char *doc_ext(const char *name)
{
    size_t n = strlen(name);
    for (int i = 0; doc_exts[i]; i++) {
        size_t k = strlen(doc_exts[i]);
        if (n > k && !strcmp(name + n - k, doc_exts[i])) return doc_exts[i];
    }
    return NULL;
}

void doc_rel_stem(const char *rel, char *out, size_t cap)
{
    const char *ext = doc_ext(rel);
    size_t n = strlen(rel) - (ext ? strlen(ext) : 0);
    snprintf(out, cap, "%.*s", (int)n, rel);
}

typedef struct stem_ix {
    char *stem;
    int i;
} stem_ix;

static int stem_ix_cmp(const void *a, const void *b)
{
    const stem_ix *x = a, *y = b;
    int c = strcmp(x->stem, y->stem);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* The id stem of path at a level: 0 its file name without extension, 1 its
 * path without extension less a leading "/" or "./" (repeated), 2 the path
 * as given. */
static char *level_stem(const char *path, int level)
{
    char buf[8192];
    if (level == 2) return strdup(path);
    if (level == 0) {
        base_stem(path, buf, sizeof buf);
        return strdup(buf);
    }
    while (*path == '/' || (path[0] == '.' && path[1] == '/')) path += *path == '/' ? 1 : 2;
    doc_rel_stem(path, buf, sizeof buf);
    return strdup(buf);
}

int doc_id_stems(char *const *paths, int n, char ***stems, blalm_err *e)
{
    size_t cnt = (size_t)(n ? n : 1);
    char **cur = calloc(cnt, sizeof *cur);
    int *level = calloc(cnt, sizeof *level);
    stem_ix *v = calloc(cnt, sizeof *v);
    int oom = !cur || !level || !v;
    for (int i = 0; !oom && i < n; i++) oom = !(cur[i] = level_stem(paths[i], 0));
    /* each input whose stem another input has (whatever its level) moves to
     * the next level, until the whole set is unique or none can move */
    while (!oom) {
        for (int i = 0; i < n; i++) v[i] = (stem_ix){cur[i], i};
        qsort(v, (size_t)n, sizeof *v, stem_ix_cmp);
        int shared = 0, moved = 0;
        for (int k = 0; k + 1 < n; k++) {
            if (strcmp(v[k].stem, v[k + 1].stem)) continue;
            shared = 1;
            for (int j = k; j <= k + 1; j++) {
                int i = v[j].i;
                if (level[i] < 2 && level[i] >= 0) level[i] = -level[i] - 1;   /* marked: moves */
            }
        }
        if (!shared) break;
        for (int i = 0; i < n; i++)
            if (level[i] < 0) {
                level[i] = -level[i];
                free(cur[i]);
                oom |= !(cur[i] = level_stem(paths[i], level[i]));
                moved = 1;
            }
        if (moved && !oom) continue;
        /* what is still shared is one path given twice: the same documents
         * twice, with the same ids (exact duplicates, as dedup sees them;
         * refusing it broke "shard a.jsonl a.jsonl" for documents with ids) */
        break;
    }
    char **out = oom ? NULL : calloc(cnt, sizeof *out);
    for (int i = 0; cur && i < n; i++) {
        if (out && level[i] > 0) out[i] = cur[i];
        else free(cur[i]);
    }
    free(cur);
    free(level);
    free(v);
    if (!out) return err_set(e, "out of memory");
    *stems = out;
    return 0;
}

int doc_inputs_prepare(char *const *paths, int n, int names_are_sources, char ***stems, blalm_err *e)
{
    if (doc_id_stems(paths, n, stems, e) < 0) return -1;
    for (int i = 0; i < n && names_are_sources; i++)
        if (doc_check_name(paths[i], e) < 0) {
            doc_id_stems_free(*stems, n);
            *stems = NULL;
            return -1;
        }
    return 0;
}

void doc_id_stems_free(char **stems, int n)
{
    if (!stems) return;
    for (int i = 0; i < n; i++) free(stems[i]);
    free(stems);
}

/* A directory already walked, by (device, inode): a symlink loop or a
 * second link to a folder would otherwise read its files again (or forever). */
typedef struct seen_dir {
    dev_t dev;
    ino_t ino;
    char *rel;
} seen_dir;

/* Files the walk passed over: not hidden but not named as document files
 * (skipped), or hidden (names starting with '.'); the first few of each are
 * kept to name them. */
#define WALK_NAMED 3
typedef struct file_list {
    doc_file *v;
    size_t n, cap;
    seen_dir *dirs;
    size_t ndirs, dirs_cap;
    size_t nskipped, nhidden;
    char *skipped[WALK_NAMED], *hidden[WALK_NAMED];
} file_list;

/* DOC.meta (DOC a document file name): the sidecar fetch keeps beside each
 * file it downloaded, not a document file passed over */
static int is_fetch_sidecar(const char *name)
{
    size_t n = strlen(name);
    if (n <= 5 || strcmp(name + n - 5, ".meta")) return 0;
    char doc[4096];
    snprintf(doc, sizeof doc, "%.*s", (int)(n - 5), name);
    return doc_ext(doc) != NULL;
}

static void note_passed(char **names, size_t *count, const char *path)
{
    if (*count < WALK_NAMED) names[*count] = strdup(path);
    (*count)++;
}

/* 0 = first visit (recorded), -1 = seen before (error set). */
static int visit_dir(file_list *fl, const char *root, const char *rel, const struct stat *st,
                     blalm_err *e)
{
    for (size_t i = 0; i < fl->ndirs; i++)
        if (fl->dirs[i].dev == st->st_dev && fl->dirs[i].ino == st->st_ino)
            return err_set(e, "%s/%s: is the same directory as %s%s%s (device %llu, inode %llu): "
                              "a symlink loop or a second link to one folder would read its "
                              "documents twice; remove the link",
                           root, rel, root, *fl->dirs[i].rel ? "/" : "", fl->dirs[i].rel,
                           (unsigned long long)st->st_dev, (unsigned long long)st->st_ino);
    if (fl->ndirs == fl->dirs_cap) {
        fl->dirs_cap = fl->dirs_cap ? fl->dirs_cap * 2 : 16;
        fl->dirs = realloc(fl->dirs, fl->dirs_cap * sizeof *fl->dirs);
    }
    fl->dirs[fl->ndirs].dev = st->st_dev;
    fl->dirs[fl->ndirs].ino = st->st_ino;
    fl->dirs[fl->ndirs].rel = strdup(rel);
    fl->ndirs++;
    return 0;
}

static int walk(const char *root, const char *rel, file_list *fl, blalm_err *e)
{
    char dir[8192];
    snprintf(dir, sizeof dir, "%s%s%s", root, *rel ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d) return err_errno(e, "%s", dir);
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char sub[8192], full[8192];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        if (de->d_name[0] == '.') {   /* hidden: temporaries, staging folders */
            note_passed(fl->hidden, &fl->nhidden, full);
            continue;
        }
        struct stat st;
        if (stat(full, &st) < 0) {
            if (!doc_ext(de->d_name)) continue;   /* not a document file: not ours to judge */
            /* a document file that cannot be read (a dangling symlink, no
             * permission) would silently drop its documents */
            int saved = errno;
            char target[4096];
            ssize_t tl;
            if (saved == ENOENT && lstat(full, &st) == 0 && S_ISLNK(st.st_mode) &&
                (tl = readlink(full, target, sizeof target - 1)) >= 0) {
                target[tl] = 0;
                rc = err_set(e, "%s: symbolic link to '%s', which does not exist (remove the link or restore "
                                "its target)", full, target);
            } else {
                errno = saved;
                rc = err_errno(e, "%s", full);
            }
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            if ((rc = visit_dir(fl, root, sub, &st, e)) < 0) break;
            if ((rc = walk(root, sub, fl, e)) < 0) break;
            continue;
        }
        if (!S_ISREG(st.st_mode)) continue;
        if (!doc_ext(de->d_name)) {
            if (!is_fetch_sidecar(de->d_name)) note_passed(fl->skipped, &fl->nskipped, full);
            continue;
        }
        /* its name (folders included) becomes ids, "source", dedup's
         * "representative" and documents.jsonl.zst's "key"."path": JSON text,
         * which must be UTF-8; refused here, before any stage does work */
        size_t bad;
        if (!utf8_valid(sub, strlen(sub), &bad)) {
            sbuf shown;
            sb_init(&shown);
            show_path(&shown, full);
            rc = err_set(e, "%s: path is not valid UTF-8 (byte \\x%02x at offset %zu of its path under %s; "
                            "bytes shown as \\xNN): a document file's path becomes its ids, \"source\" and "
                            "JSON text, which must be UTF-8; rename the %s",
                         sb_cstr(&shown), (unsigned char)sub[bad], bad, root,
                         strchr(sub + bad, '/') ? "folder" : "file");
            sb_free(&shown);
            break;
        }
        if (fl->n == fl->cap) {
            fl->cap = fl->cap ? fl->cap * 2 : 64;
            fl->v = realloc(fl->v, fl->cap * sizeof *fl->v);
        }
        doc_file *f = &fl->v[fl->n++];
        f->path = strdup(full);
        f->rel = strdup(sub);
        char id_stem[8192];
        doc_rel_stem(sub, id_stem, sizeof id_stem);
        f->id_stem = strdup(id_stem);
        const char *slash = strchr(sub, '/');
        if (slash) f->source = strndup(sub, (size_t)(slash - sub));
        else {
            char stem[4096];
            doc_rel_stem(sub, stem, sizeof stem);
            f->source = strdup(stem);
        }
    }
    closedir(d);
    return rc;
}

static int cmp_rel(const void *a, const void *b)
{
    return strcmp(((const doc_file *)a)->rel, ((const doc_file *)b)->rel);
}

static void file_list_free_names(file_list *fl)
{
    for (size_t i = 0; i < fl->ndirs; i++) free(fl->dirs[i].rel);
    free(fl->dirs);
    for (size_t i = 0; i < WALK_NAMED; i++) {
        free(fl->skipped[i]);
        free(fl->hidden[i]);
    }
}

/* "A, B, C and 4 more" into out. */
static void name_passed(sbuf *out, char *const *names, size_t count)
{
    for (size_t i = 0; i < count && i < WALK_NAMED; i++)
        sb_printf(out, "%s%s", i ? ", " : "", names[i] ? names[i] : "?");
    if (count > WALK_NAMED) sb_printf(out, " and %zu more", count - WALK_NAMED);
}

static int cmp_stem_idx(const void *a, const void *b, void *ctx)
{
    const doc_file *v = ctx;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(v[x].id_stem, v[y].id_stem);
    return c ? c : (x > y) - (x < y);
}

/* Two document files whose paths differ only in extension (p.jsonl and
 * p.jsonl.zst, p.parquet and p.jsonl) share a stem: their generated ids
 * ("<stem>/<row>"), attribute files and decisions would be one, dropping
 * documents as duplicate ids and mixing attributes. Refused, naming both. */
static int check_stems(const file_list *fl, blalm_err *e)
{
    if (fl->n < 2) return 0;
    size_t *ix = malloc(fl->n * sizeof *ix);
    if (!ix) return err_set(e, "out of memory");
    for (size_t i = 0; i < fl->n; i++) ix[i] = i;
    qsort_r(ix, fl->n, sizeof *ix, cmp_stem_idx, fl->v);
    int rc = 0;
    for (size_t i = 1; i < fl->n; i++) {
        const doc_file *a = &fl->v[ix[i - 1]], *b = &fl->v[ix[i]];
        if (strcmp(a->id_stem, b->id_stem)) continue;
        rc = err_set(e, "%s and %s: two document files with one name but for the extension (%s): their "
                        "generated ids, attribute files and decisions would collide; rename or remove one",
                     a->path, b->path, a->id_stem);
        break;
    }
    free(ix);
    return rc;
}

static int walk_root(const char *root, file_list *fl, blalm_err *e)
{
    struct stat st;
    int rc = stat(root, &st) < 0 ? err_errno(e, "%s", root) : visit_dir(fl, root, "", &st, e);
    if (rc == 0) rc = walk(root, "", fl, e);
    if (rc < 0) {
        docs_walk_free(fl->v, fl->n);
        fl->v = NULL;
        fl->n = 0;
        return -1;
    }
    if (fl->n) qsort(fl->v, fl->n, sizeof *fl->v, cmp_rel);   /* qsort(NULL, 0) is UB (UBSan) */
    if (check_stems(fl, e) < 0) {
        docs_walk_free(fl->v, fl->n);
        fl->v = NULL;
        fl->n = 0;
        return -1;
    }
    return 0;
}

int docs_walk(const char *root, doc_file **files, size_t *n, blalm_err *e)
{
    file_list fl = {0};
    int rc = walk_root(root, &fl, e);
    file_list_free_names(&fl);
    if (rc < 0) return -1;
    *files = fl.v;
    *n = fl.n;
    return 0;
}

int docs_walk_some(const char *root, doc_file **files, size_t *n, blalm_err *e)
{
    file_list fl = {0};
    int rc = walk_root(root, &fl, e);
    if (rc == 0 && fl.n == 0) {
        sbuf m;
        sb_init(&m);
        sb_printf(&m, "%s: no document files (names ending in " DOCS_EXTS ")", root);
        if (fl.nskipped) {
            sb_printf(&m, "; not document file names, so skipped: ");
            name_passed(&m, fl.skipped, fl.nskipped);
        }
        if (fl.nhidden) {
            sb_printf(&m, "; hidden (names starting with '.'), so skipped: ");
            name_passed(&m, fl.hidden, fl.nhidden);
        }
        rc = err_set(e, "%s", m.data ? m.data : root);
        sb_free(&m);
    }
    file_list_free_names(&fl);
    if (rc < 0) {
        docs_walk_free(fl.v, fl.n);
        return -1;
    }
    *files = fl.v;
    *n = fl.n;
    return 0;
}

int docs_require_some(const char *root, blalm_err *e)
{
    doc_file *files = NULL;
    size_t n = 0;
    if (docs_walk_some(root, &files, &n, e) < 0) return -1;
    docs_walk_free(files, n);
    return 0;
}

size_t docs_skipped(const char *root, char *msg, size_t cap)
{
    file_list fl = {0};
    blalm_err e;
    size_t skipped = 0;
    if (cap) *msg = 0;
    if (walk_root(root, &fl, &e) == 0 && fl.n > 0 && fl.nskipped > 0) {
        sbuf m;
        sb_init(&m);
        sb_printf(&m, "skipped %zu file%s under %s whose names are not document file names (" DOCS_EXTS "): ",
                  fl.nskipped, fl.nskipped == 1 ? "" : "s", root);
        name_passed(&m, fl.skipped, fl.nskipped);
        if (cap) snprintf(msg, cap, "%s", m.data ? m.data : "");
        sb_free(&m);
        skipped = fl.nskipped;
    }
    file_list_free_names(&fl);
    docs_walk_free(fl.v, fl.n);
    return skipped;
}

void docs_walk_free(doc_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(files[i].path);
        free(files[i].rel);
        free(files[i].source);
        free(files[i].id_stem);
    }
    free(files);
}
