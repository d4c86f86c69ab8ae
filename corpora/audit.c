/* audit.c - every location, attribute and fate of a document id, and the
 * whole pool flattened to one row per document for SQL. */
#include "corpora/corpora.h"
#include "corpora/internal.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "lib/attr.h"
#include "lib/config.h"
#include "lib/docs.h"
#include "lib/fsutil.h"
#include "lib/json.h"
#include "lib/work.h"
#include "lib/parquet.h"
#include "lib/progress.h"
#include "lib/rules.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"
#include "lib/zio.h"

#define FATE_SET "assemble"
#define OUTCOME_SET "assemble outcome"   /* not a set name: set names have no space */
#define MAX_SETS 255

typedef struct actx {
    const audit_opts *o;
    work_dirs w;
    doc_file *files;
    size_t nfiles;
    attr_schema *schema;
    char dec_dir[4400];
    cJSON *run;                   /* decisions/run.json, or NULL */
    const char *text_field, *id_field;
} actx;

/* Joined sets of one document file: attribute sets that exist, then the
 * decisions (as set "assemble") when assemble has run. */
typedef struct joined {
    char paths[MAX_SETS + 1][4352];
    const char *names[MAX_SETS + 1];
    int n, fate;                  /* fate: index of the decisions, or -1 */
} joined;

static void join_paths(const actx *c, const doc_file *f, joined *j)
{
    j->n = 0;
    j->fate = -1;
    for (int i = 0; i < schema_nsets(c->schema) && j->n < MAX_SETS; i++) {
        attr_path_for(&c->w, schema_set(c->schema, i), f->rel, j->paths[j->n], sizeof j->paths[0]);
        if (file_exists(j->paths[j->n])) j->names[j->n++] = schema_set(c->schema, i);
    }
    char stem[4096];
    doc_rel_stem(f->rel, stem, sizeof stem);
    snprintf(j->paths[j->n], sizeof j->paths[0], "%s/%s.jsonl.zst", c->dec_dir, stem);
    if (file_exists(j->paths[j->n])) {
        j->names[j->n] = FATE_SET;
        j->fate = j->n++;
    }
}

static attr_join *open_join(const actx *c, const doc_file *f, joined *j, blalm_err *e)
{
    join_paths(c, f, j);
    const char *pp[MAX_SETS + 1];
    for (int i = 0; i < j->n; i++) pp[i] = j->paths[i];
    doc_opts dopts = {.text_field = c->text_field, .id_field = c->id_field,
                      .default_source = f->source, .id_stem = f->id_stem, .text_only = 1};
    return attrj_open(f->path, &dopts, pp, j->names, j->n, e);
}

/* The decisions describe the corpora in place: each corpus's index has the
 * sha256 run.json recorded. An assemble killed between renaming its corpora
 * leaves some corpora new and the decisions old; their fates would be wrong. */
static int check_corpora(const actx *c, blalm_err *e)
{
    const cJSON *corpora = cJSON_GetObjectItemCaseSensitive(c->run, "corpora"), *it;
    if (!cJSON_IsObject(corpora)) return 0;   /* decisions of an older blalm: nothing recorded */
    cJSON_ArrayForEach(it, corpora) {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(it, "path");
        const cJSON *want = cJSON_GetObjectItemCaseSensitive(it, "index_sha256");
        if (!cJSON_IsString(path) || !cJSON_IsString(want))
            return err_set(e, "%s/run.json: corpora.%s: expected {path, index_sha256}", c->dec_dir,
                           it->string);
        char p[4600], *text = NULL;
        size_t len;
        blalm_err e2;
        snprintf(p, sizeof p, "%s/manifest.json", path->valuestring);
        const char *have = NULL;
        cJSON *m = NULL;
        if (read_file(p, &text, &len, &e2) == 0) {
            m = cJSON_ParseWithLength(text, len);
            free(text);
            const cJSON *ix = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(m, "index"), "sha256");
            if (cJSON_IsString(ix)) have = ix->valuestring;
        }
        int same = have && !strcmp(have, want->valuestring);
        struct stat st;
        if (!same && stat(path->valuestring, &st) < 0)
            err_set(e, "%s: no such corpus folder, but %s/run.json records that assemble wrote corpus '%s' "
                       "there: it was moved or deleted, so its fates cannot be checked; move it back or "
                       "run blalm assemble again",
                    path->valuestring, c->dec_dir, it->string);
        else if (!same)
            err_set(e, "%s: %s; the decisions in %s belong to another assemble run (its index "
                       "sha256 %.12s..., this corpus's %.12s...): an assemble was interrupted "
                       "between replacing its corpora, so fates would be wrong; run blalm "
                       "assemble again",
                    path->valuestring, have ? "does not match" : "missing or without a manifest",
                    c->dec_dir, want->valuestring, have ? have : "none");
        cJSON_Delete(m);
        if (!same) return -1;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every document file run.json lists (those assemble decided) has its
 * decisions file; a document file added since has none, and shows as not
 * assembled yet. */
static int check_files(const actx *c, blalm_err *e)
{
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(c->run, "files"), *it;
    if (!files) return 0;   /* decisions of an older blalm: nothing recorded */
    if (!cJSON_IsArray(files)) return err_set(e, "%s/run.json: \"files\": expected an array", c->dec_dir);
    int n = cJSON_GetArraySize(files), k = 0;
    const char **rels = malloc(sizeof *rels * (size_t)(n ? n : 1));
    if (!rels) return err_set(e, "out of memory");
    cJSON_ArrayForEach(it, files) {
        if (!cJSON_IsString(it)) {
            free(rels);
            return err_set(e, "%s/run.json: files[%d]: expected a string", c->dec_dir, k);
        }
        rels[k++] = it->valuestring;
    }
    qsort(rels, (size_t)n, sizeof *rels, cmp_str);
    int rc = 0;
    /* a file decided but gone: its documents' fates, and the corpus
     * documents taken from it, would be silently left out */
    for (int i = 0; i < n && rc == 0; i++) {
        size_t lo = 0, hi = c->nfiles;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (strcmp(c->files[mid].rel, rels[i]) < 0) lo = mid + 1;
            else hi = mid;
        }
        if (lo == c->nfiles || strcmp(c->files[lo].rel, rels[i]))
            rc = err_set(e, "%s/%s: missing: assemble decided it (%s/run.json lists it), so its documents' "
                            "fates and any corpus documents taken from it cannot be shown; restore it or run "
                            "blalm assemble again",
                         c->w.docs, rels[i], c->dec_dir);
    }
    for (size_t i = 0; i < c->nfiles && rc == 0; i++) {
        const char *rel = c->files[i].rel;
        if (!bsearch(&rel, rels, (size_t)n, sizeof *rels, cmp_str)) continue;
        char stem[4096], p[8600];
        doc_rel_stem(rel, stem, sizeof stem);
        snprintf(p, sizeof p, "%s/%s.jsonl.zst", c->dec_dir, stem);
        if (!file_exists(p))
            rc = err_set(e, "%s: missing: assemble decided %s (run.json lists it), so its fates are lost; "
                            "run blalm assemble again", p, rel);
    }
    free(rels);
    return rc;
}

/* The document files and attribute sets are those assemble decided on:
 * run.json records each file's size and modification time and each set's
 * config (older decisions record neither: nothing to check). A document
 * file rewritten or a set remade since would show fates beside text and
 * values they were not decided from. */
static int check_unchanged(const actx *c, const char *attr_summary, blalm_err *e)
{
    const cJSON *docs = cJSON_GetObjectItemCaseSensitive(c->run, "documents");
    if (docs && !cJSON_IsObject(docs))
        return err_set(e, "%s/run.json: \"documents\": expected an object", c->dec_dir);
    /* the members sorted once and searched (30,000 files: 1.3 s of every
     * audit, not 5.9 with a look-up by name per file) */
    size_t nm = 0;
    const cJSON **byname = NULL;
    if (docs && !(byname = corpora_members_sorted(docs, &nm))) return err_set(e, "out of memory");
    int rc = 0;
    for (size_t i = 0; docs && i < c->nfiles && rc == 0; i++) {
        const cJSON *d = corpora_member_find(byname, nm, c->files[i].rel);
        if (!d) continue;   /* added since: not assembled yet */
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(d, "size");
        const cJSON *mtime = cJSON_GetObjectItemCaseSensitive(d, "mtime");
        struct stat st;
        char now[64];
        if (!cJSON_IsNumber(size) || !cJSON_IsString(mtime))
            rc = err_set(e, "%s/run.json: documents.%s: expected {size, mtime}", c->dec_dir, c->files[i].rel);
        else if (stat(c->files[i].path, &st) < 0)
            rc = err_errno(e, "%s", c->files[i].path);
        else if ((double)st.st_size != size->valuedouble)
            rc = err_set(e, "%s: document file changed since assemble (%.0f bytes then, %llu now); "
                            "run assemble again", c->files[i].path, size->valuedouble,
                         (unsigned long long)st.st_size);
        else {
            snprintf(now, sizeof now, "%lld.%09ld", (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
            if (strcmp(now, mtime->valuestring))
                rc = err_set(e, "%s: document file changed since assemble (modified at %s, then %s); "
                                "run assemble again", c->files[i].path, now, mtime->valuestring);
        }
    }
    free(byname);
    if (rc) return rc;
    const cJSON *was = cJSON_GetObjectItemCaseSensitive(c->run, "attributes"), *it;
    if (!was) return 0;
    if (!cJSON_IsArray(was)) return err_set(e, "%s/run.json: \"attributes\": expected an array", c->dec_dir);
    cJSON *now = cJSON_Parse(attr_summary);
    /* a set removed since shows no values, so none stale beside a fate
     * (and assemble records every set, also those no rule read) */
    cJSON_ArrayForEach(it, was) {
        const char *s0, *s1;
        int ch = corpora_run_set_changed(it, now, &s0, &s1);
        if (ch < 0) {
            rc = err_set(e, "%s/run.json: attributes: expected {set, config}", c->dec_dir);
            break;
        }
        if (ch) {
            rc = err_set(e, "%s/%s: attribute set changed since assemble (made by config %s then, %s now); "
                            "run assemble again",
                         c->w.attrs, cJSON_GetObjectItemCaseSensitive(it, "set")->valuestring, s0, s1);
            break;
        }
    }
    cJSON_Delete(now);
    return rc;
}

static int ctx_init(actx *c, const audit_opts *o, blalm_err *e)
{
    memset(c, 0, sizeof *c);
    c->o = o;
    c->text_field = "text";
    c->id_field = "id";
    if (work_dirs_init(&c->w, o->work, o->docs, o->attrs, e) < 0) return -1;
    if (docs_walk_some(c->w.docs, &c->files, &c->nfiles, e) < 0) return -1;
    if (!(c->schema = schema_scan(c->w.attrs, e))) return -1;
    sbuf summary;   /* each set's config, against run.json's */
    sb_init(&summary);
    {   /* the values shown must be those of the documents as they are now: stale
         * or mixed sets are refused (a set lacking files is shown as such) */
        const char *sets[256];
        int n = schema_nsets(c->schema) < 256 ? schema_nsets(c->schema) : 256;
        for (int i = 0; i < n; i++) sets[i] = schema_set(c->schema, i);
        sbuf fix;
        sb_init(&fix);
        attr_fix_args(&fix, o->docs || o->attrs ? NULL : c->w.work, c->w.docs, c->w.attrs);
        int crc = attr_sets_check(c->w.attrs, c->files, c->nfiles, sets, n, ATTR_PARTIAL_ALLOW, sb_cstr(&fix),
                                  &summary, NULL, e);
        sb_free(&fix);
        if (crc < 0) {
            sb_free(&summary);
            return err_prefix(e, "audit");
        }
    }
    snprintf(c->dec_dir, sizeof c->dec_dir, "%s/assemble/decisions", c->w.state);
    char p[4500];
    snprintf(p, sizeof p, "%s/run.json", c->dec_dir);
    if (file_exists(p)) {
        /* the record that ties the decisions to the corpora: unreadable is an error */
        if (!(c->run = config_load(p, e))) return err_prefix(e, "audit: the decisions' record");
        if (!cJSON_IsObject(c->run)) return err_set(e, "%s: expected a JSON object", p);
        const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(c->run, "config");
        const cJSON *tf = cJSON_GetObjectItemCaseSensitive(cfg, "text_field");
        const cJSON *idf = cJSON_GetObjectItemCaseSensitive(cfg, "id_field");
        if (cJSON_IsString(tf)) c->text_field = tf->valuestring;
        if (cJSON_IsString(idf)) c->id_field = idf->valuestring;
        if (check_corpora(c, e) < 0 || check_files(c, e) < 0 || check_unchanged(c, sb_cstr(&summary), e) < 0) {
            sb_free(&summary);
            return -1;
        }
    } else if (dir_has_entries(c->dec_dir) > 0) {
        sb_free(&summary);
        return err_set(e, "%s: missing, but %s holds decisions: without it they cannot be matched to the "
                          "corpora; run blalm assemble again", p, c->dec_dir);
    }
    sb_free(&summary);
    return 0;
}

static void ctx_free(actx *c)
{
    docs_walk_free(c->files, c->nfiles);
    schema_free(c->schema);
    cJSON_Delete(c->run);
}

/* ---- attribute values as written ----------------------------------------------- */
/* One set's members as its attribute line holds them: keys decoded, values
 * as byte ranges of the line. cJSON ends a string at \u0000 and keeps a
 * number as a double (2^53 + 1 read as 2^53), so what audit shows and
 * exports comes from these bytes. */
typedef struct raw_member {
    size_t koff, klen;           /* the key, in raw_set.keys */
    const char *v;               /* the value's JSON text */
    size_t vn;
} raw_member;

typedef struct raw_set {
    sbuf keys, tmp;
    raw_member *m;
    size_t n, cap;
} raw_set;

static void raw_set_free(raw_set *rs)
{
    sb_free(&rs->keys);
    sb_free(&rs->tmp);
    free(rs->m);
    memset(rs, 0, sizeof *rs);
}

static int raw_error(const char *path, uint64_t lineno, const char *line, size_t pos, const char *what,
                     blalm_err *e)
{
    (void)line;
    return err_set(e, "%s:%llu: column %zu: expected %s", path, (unsigned long long)lineno, pos + 1, what);
}

static int raw_add(raw_set *rs, const char *line, size_t v0, size_t v1)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 32;
        raw_member *nm = realloc(rs->m, cap * sizeof *nm);
        if (!nm) return -1;
        rs->m = nm;
        rs->cap = cap;
    }
    raw_member *m = &rs->m[rs->n++];
    m->koff = rs->keys.len;
    m->klen = rs->tmp.len;
    sb_add(&rs->keys, rs->tmp.data ? rs->tmp.data : "", rs->tmp.len);
    m->v = line + v0;
    m->vn = v1 - v0;
    return 0;
}

/* raw_set_load's members in one walk of the line (the set's object read
 * member by member as the line is checked, not skipped and then read
 * again: a third of audit --export's time went to reading its attribute
 * lines). -1 for anything raw_set_load would refuse, or not find (it says
 * what). It and raw_set_load's two walks after it (kept to say what is
 * wrong and where) must accept exactly the same lines and find the same
 * members: a line this walk takes never reaches their checks, and a line it
 * refuses that they take is read by them. A change to one (the key that
 * names the set, the nesting limit, what a member is) is made to both. */
static int raw_set_walk(raw_set *rs, const char *line, size_t len, const char *set)
{
    size_t pos = 0, setlen = strlen(set);
    int first = 1, k, found = 0;
    const char *what;
    while ((k = json_object_key(line, len, &pos, &first, &rs->tmp, &what)) == 1) {
        if (!found && rs->tmp.len == setlen && !memcmp(rs->tmp.data, set, setlen)) {
            found = 1;
            if (pos >= len || line[pos] != '{') return -1;
            int f2 = 1, m;
            while ((m = json_object_key(line, len, &pos, &f2, &rs->tmp, &what)) == 1) {
                size_t v0 = pos;   /* the members' values nest in the set's object, as in the line */
                if (json_skip_nested(line, len, &pos, &what, 2) < 0 || raw_add(rs, line, v0, pos) < 0) return -1;
            }
            if (m < 0) return -1;
        } else if (json_skip_nested(line, len, &pos, &what, 1) < 0) {
            return -1;
        }
    }
    return k < 0 || !found ? -1 : 0;
}

/* The members of the object under "set" in line: the first member whose
 * decoded key is set, every byte of it (a key "q\u0000x" is not "q", as
 * Python's json has it; attrj_next finds the set the same way). */
static int raw_set_load(raw_set *rs, const char *line, size_t len, const char *set, const char *path,
                        uint64_t lineno, blalm_err *e)
{
    rs->n = 0;
    sb_reset(&rs->keys);
    if (raw_set_walk(rs, line, len, set) == 0) return 0;
    rs->n = 0;   /* the two walks below find what is wrong and say where */
    sb_reset(&rs->keys);
    size_t pos = 0, v0 = 0, v1 = 0, s0 = 0, s1 = 0;
    int first = 1, k, found = 0;
    const char *what = NULL;
    size_t setlen = strlen(set);
    while ((k = json_object_next(line, len, &pos, &first, &rs->tmp, &v0, &v1, &what)) == 1)
        if (!found && rs->tmp.len == setlen && !memcmp(rs->tmp.data, set, setlen)) {
            found = 1;
            s0 = v0;
            s1 = v1;
        }
    if (k < 0) return raw_error(path, lineno, line, pos, what, e);
    if (!found || line[s0] != '{')
        return err_set(e, "%s:%llu: expected an object under \"%s\"", path, (unsigned long long)lineno, set);
    pos = s0;
    first = 1;
    while ((k = json_object_next(line, s1, &pos, &first, &rs->tmp, &v0, &v1, &what)) == 1)
        if (raw_add(rs, line, v0, v1) < 0) return err_set(e, "out of memory");
    if (k < 0) return raw_error(path, lineno, line, pos, what, e);
    return 0;
}

static const char *raw_key(const raw_set *rs, const raw_member *m) { return rs->keys.data + m->koff; }

/* A JSON number's text as a C string in buf (or a malloc'd copy when long). */
static char *num_text(const char *v, size_t n, char *buf, size_t cap)
{
    char *t = n < cap ? buf : malloc(n + 1);
    if (!t) return NULL;
    memcpy(t, v, n);
    t[n] = 0;
    return t;
}

/* A number literal written with a fraction or an exponent (a float to JSON
 * readers, 3.0 too)? */
static int float_literal(const char *v, size_t n)
{
    return memchr(v, '.', n) || memchr(v, 'e', n) || memchr(v, 'E', n);
}

/* An integer literal (no fraction or exponent) that fits int64: 1 with *out. */
static int raw_int64(const char *v, size_t n, int64_t *out)
{
    if (float_literal(v, n)) return 0;
    size_t neg = n > 0 && v[0] == '-';
    if (n > neg && n - neg <= 18) {   /* 18 digits always fit: no strtoll (a JSON literal: digits only) */
        int64_t x = 0;
        for (size_t i = neg; i < n; i++) x = x * 10 + (v[i] - '0');
        *out = neg ? -x : x;
        return 1;
    }
    char buf[64];
    if (n >= sizeof buf) return 0;
    char *t = num_text(v, n, buf, sizeof buf);
    errno = 0;
    long long x = strtoll(t, NULL, 10);
    if (errno == ERANGE) return 0;
    *out = (int64_t)x;
    return 1;
}

static double raw_double(const char *v, size_t n)
{
    char buf[128];
    char *t = num_text(v, n, buf, sizeof buf);
    double d = t ? strtod(t, NULL) : NAN;
    if (t != buf) free(t);
    return d;
}

/* ---- one id ------------------------------------------------------------------ */

typedef struct refs_ctx {
    FILE *out;
    const cJSON *all;
} refs_ctx;

static void print_ref(void *ctx, const char *set, const char *key)
{
    refs_ctx *r = ctx;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(r->all, set);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(s, key);
    char *t = v ? json_print(v, 0) : NULL;
    fprintf(r->out, "    %s.%s = %s%s\n", set, key, t ? t : "(missing)",
            !s ? " (no such attribute file for this document)" : "");
    free(t);
}

static void print_doc(const actx *c, const doc_file *f, const blalm_doc *d, const joined *j,
                      cJSON **sets, raw_set *raws, FILE *out)
{
    fprintf(out, "== %s row %llu", f->rel, (unsigned long long)d->row);
    if (d->line) fprintf(out, " (line %llu)", (unsigned long long)d->line);
    fprintf(out, ", source %s\n", f->source);
    sbuf b;
    sb_init(&b);
    sb_json_str(&b, d->id, d->id_len);
    fprintf(out, "id: %s\n", sb_cstr(&b));
    sb_reset(&b);
    int show = c->o->text_chars > 0 ? c->o->text_chars : 300;
    size_t n = utf8_prefix(d->text, d->text_len, (size_t)show);
    sb_json_str(&b, d->text, n);
    fprintf(out, "text: %s%s\n", sb_cstr(&b), n < d->text_len ? " ..." : "");
    fprintf(out, "  (%llu words, %zu bytes)\n", (unsigned long long)words_in(d->text, d->text_len),
            d->text_len);
    fprintf(out, "attributes:\n");
    int any = 0;
    for (int i = 0; i < j->n; i++) {
        if (i == j->fate) continue;
        any = 1;
        for (size_t m = 0; m < raws[i].n; m++) {   /* as written: a \u0000 and 2^53 + 1 stay */
            const raw_member *rm = &raws[i].m[m];
            const char *what;
            sb_reset(&b);
            sb_json_str(&b, raw_key(&raws[i], rm), rm->klen);
            fprintf(out, "  %s.%.*s = ", j->names[i], (int)(b.len - 2), b.data + 1);
            sb_reset(&b);
            if (json_compact(&b, rm->v, rm->vn, &what) < 0) sb_adds(&b, "?");
            fwrite(b.data, 1, b.len, out);
            fputc('\n', out);
        }
    }
    if (!any) fprintf(out, "  (none: no attribute file covers this document)\n");
    fprintf(out, "fate:\n");
    if (j->fate < 0) {
        fprintf(out, "  not assembled yet (no %s for this file; run blalm assemble)\n", c->dec_dir);
    } else {
        const cJSON *fa = sets[j->fate];
        const cJSON *ex = cJSON_GetObjectItemCaseSensitive(fa, "excluded_by");
        const cJSON *rank = cJSON_GetObjectItemCaseSensitive(fa, "rank");
        if (cJSON_IsObject(ex)) {
            const cJSON *rs = cJSON_GetObjectItemCaseSensitive(ex, "rule");
            const cJSON *ri = cJSON_GetObjectItemCaseSensitive(ex, "index");
            if (cJSON_IsNumber(ri))
                fprintf(out, "  excluded by rules[%d]: %s\n", ri->valueint,
                        cJSON_IsString(rs) ? rs->valuestring : "?");
            else
                fprintf(out, "  excluded: %s\n", cJSON_IsString(rs) ? rs->valuestring : "?");
            if (cJSON_IsString(rs) && cJSON_IsNumber(ri)) {
                blalm_err e;
                rule *r = rule_parse(rs->valuestring, &e);
                if (r) {
                    cJSON *all = cJSON_CreateObject();
                    for (int i = 0; i < j->n; i++)
                        if (i != j->fate) cJSON_AddItemReferenceToObject(all, j->names[i], sets[i]);
                    refs_ctx rc = {out, all};
                    rule_refs(r, print_ref, &rc);
                    cJSON_Delete(all);
                    rule_free(r);
                }
            }
        } else if (cJSON_IsNumber(rank)) {
            fprintf(out, "  eligible, rank %.0f\n", rank->valuedouble);
        }
        const cJSON *corp = cJSON_GetObjectItemCaseSensitive(fa, "corpora");
        for (const cJSON *it = corp ? corp->child : NULL; it; it = it->next)
            fprintf(out, "  %s: %s\n", it->string, cJSON_IsString(it) ? it->valuestring : "?");
    }
    fprintf(out, "\n");
    sb_free(&b);
}

static long audit_id(actx *c, FILE *out, blalm_err *e)
{
    const char *id = c->o->id;
    size_t idlen = strlen(id);
    long found = 0;
    for (size_t fi = 0; fi < c->nfiles; fi++) {
        const doc_file *f = &c->files[fi];
        /* a cheap first look with the documents alone */
        doc_opts dopts = {.text_field = c->text_field, .id_field = c->id_field,
                          .default_source = f->source, .id_stem = f->id_stem, .text_only = 1};
        doc_reader *r = doc_open(f->path, &dopts, e);
        if (!r) return -1;
        blalm_doc d;
        int rc, hit = 0;
        while ((rc = doc_next(r, &d, e)) == 1)
            if (d.id_len == idlen && !memcmp(d.id, id, idlen)) { hit = 1; break; }
        doc_close(r);
        if (rc < 0) return -1;
        if (!hit) continue;
        joined *j = malloc(sizeof *j);
        if (!j) return err_set(e, "out of memory");
        attr_join *aj = open_join(c, f, j, e);
        if (!aj) { free(j); return -1; }
        cJSON *sets[MAX_SETS + 1];
        raw_set *raws = calloc(MAX_SETS + 1, sizeof *raws);
        if (!raws) { attrj_close(aj); free(j); return err_set(e, "out of memory"); }
        while ((rc = attrj_next(aj, &d, sets, e)) == 1)
            if (d.id_len == idlen && !memcmp(d.id, id, idlen)) {
                for (int s = 0; s < j->n && rc == 1; s++) {
                    if (s == j->fate) continue;
                    size_t len;
                    const char *path;
                    uint64_t lineno;
                    const char *line = attrj_raw(aj, s, &len, &path, &lineno);
                    if (raw_set_load(&raws[s], line, len, j->names[s], path, lineno, e) < 0) rc = -1;
                }
                if (rc < 0) break;
                print_doc(c, f, &d, j, sets, raws, out);
                found++;
            }
        for (int s = 0; s <= MAX_SETS; s++) raw_set_free(&raws[s]);
        free(raws);
        attrj_close(aj);
        free(j);
        if (rc < 0) return -1;
    }
    return found;
}

/* ---- export ------------------------------------------------------------------- */

enum { T_BOOL = 1, T_INT = 2, T_FLOAT = 4, T_STRING = 8, T_OTHER = 16 };

typedef struct col {
    char *name;
    char *set, *key;             /* attribute columns ("" for the fixed ones) */
    int flags;
    pq_type type;
    int json;                    /* STRING column holding JSON text of mixed values */
} col;

typedef struct cols {
    col *v;
    int n, cap;
} cols;

/* The column of that name (an existing one if any: the caller checks that
 * it is the same set and key). Names are whole: a long key is not cut to a
 * prefix another key may share; and compared without regard to ASCII case,
 * as DuckDB matches column names ("q.A" and "q.a" are one column there: it
 * renames the second and SELECT "q.a" reads the first's values). */
static int col_add(cols *cs, const char *name, const char *set, const char *key, pq_type type)
{
    for (int i = 0; i < cs->n; i++)
        if (!strcasecmp(cs->v[i].name, name)) return i;
    if (cs->n == cs->cap) {
        cs->cap = cs->cap ? cs->cap * 2 : 64;
        col *nv = realloc(cs->v, (size_t)cs->cap * sizeof *nv);
        if (!nv) abort();
        cs->v = nv;
    }
    col *c = &cs->v[cs->n];
    memset(c, 0, sizeof *c);
    c->name = strdup(name);
    c->set = strdup(set ? set : "");
    c->key = strdup(key ? key : "");
    if (!c->name || !c->set || !c->key) abort();
    c->type = type;
    return cs->n++;
}

static void cols_free(cols *cs)
{
    for (int i = 0; i < cs->n; i++) {
        free(cs->v[i].name);
        free(cs->v[i].set);
        free(cs->v[i].key);
    }
    free(cs->v);
}

/* The type a value asks of its column: an integer literal that fits int64
 * is an integer, exactly; one beyond int64 (an unsigned 64-bit hash, say)
 * would lose digits as a double, so its column holds JSON text; a number
 * with a fraction or exponent is a float, 3.0 too, as JSON readers (Python,
 * DuckDB's read_json) have it (it was an integer: a column of 2.0 and 3.0
 * exported as the BIGINTs 2 and 3). */
static int value_flags(const char *v, size_t n)
{
    int64_t i;
    switch (v[0]) {
    case 't': case 'f': return T_BOOL;
    case 'n': return 0;
    case '"': return T_STRING;
    case '{': case '[': return T_OTHER;
    }
    if (!float_literal(v, n)) return raw_int64(v, n, &i) ? T_INT : T_OTHER;
    return T_FLOAT;
}

/* The column of each member of one set's last line, by the member's place:
 * lines of a set mostly hold the same keys in the same order, so a key is
 * checked against the column found for that place before anything else
 * (8,400 documents of 86 attribute columns: a name printed and compared with
 * every column for each value was half the export's time). */
typedef struct key_cols {
    int *col;                    /* -1: none yet */
    size_t *klen;
    size_t cap;
} key_cols;

static void key_cols_free(key_cols *kc)
{
    free(kc->col);
    free(kc->klen);
    memset(kc, 0, sizeof *kc);
}

/* The column remembered for place m if it is that key's, else -1. */
static int key_cols_get(const key_cols *kc, const cols *cs, size_t m, const char *key, size_t klen)
{
    if (m >= kc->cap || kc->col[m] < 0 || kc->klen[m] != klen) return -1;
    return memcmp(cs->v[kc->col[m]].key, key, klen) ? -1 : kc->col[m];
}

static int key_cols_set(key_cols *kc, size_t m, int ci, size_t klen)
{
    if (m >= kc->cap) {
        size_t cap = kc->cap ? kc->cap : 32;
        while (cap <= m) cap *= 2;
        int *nc = realloc(kc->col, cap * sizeof *nc);
        if (!nc) return -1;
        kc->col = nc;
        size_t *nl = realloc(kc->klen, cap * sizeof *nl);
        if (!nl) return -1;
        kc->klen = nl;
        for (size_t i = kc->cap; i < cap; i++) kc->col[i] = -1;
        kc->cap = cap;
    }
    kc->col[m] = ci;
    kc->klen[m] = klen;
    return 0;
}

/* Columns: every key of every attribute set seen anywhere (first pass over
 * the attribute files only), typed by the union of the values seen. */
static int discover(actx *c, cols *cs, int nfixed, blalm_err *e)
{
    for (size_t fi = 0; fi < c->nfiles; fi++) {
        joined *j = malloc(sizeof *j);
        if (!j) return err_set(e, "out of memory");
        join_paths(c, &c->files[fi], j);
        for (int i = 0; i < j->n; i++) {
            if (i == j->fate) continue;
            zreader *r = zr_open(j->paths[i], e);
            if (!r) { free(j); return -1; }
            const char *line;
            size_t len;
            int rc;
            raw_set rs = {0};
            key_cols kc = {0};
            while ((rc = zr_line(r, &line, &len, e)) == 1) {
                if (raw_set_load(&rs, line, len, j->names[i], j->paths[i], zr_lineno(r), e) < 0) {
                    rc = -1;
                    break;
                }
                for (size_t m = 0; m < rs.n; m++) {
                    const raw_member *rm = &rs.m[m];
                    const char *key = raw_key(&rs, rm);
                    int known = key_cols_get(&kc, cs, m, key, rm->klen);
                    if (known >= 0) {   /* a column that passed the checks below */
                        cs->v[known].flags |= value_flags(rm->v, rm->vn);
                        continue;
                    }
                    if (memchr(key, 0, rm->klen)) {
                        rc = err_set(e, "%s:%llu: a key of \"%s\" holds \\u0000, which a column name cannot",
                                     j->paths[i], (unsigned long long)zr_lineno(r), j->names[i]);
                        break;
                    }
                    char *kz = NULL, *name = NULL;
                    if (asprintf(&kz, "%.*s", (int)rm->klen, key) < 0 ||
                        asprintf(&name, "%s.%s", j->names[i], kz) < 0) abort();
                    int k = col_add(cs, name, j->names[i], kz, PQ_STRING);
                    const col *was = &cs->v[k];
                    /* two things that would share one column name: the
                     * export could hold only one of them, silently */
                    if (k < nfixed || strcmp(was->set, j->names[i]) || strcmp(was->key, kz)) {
                        if (k < nfixed)
                            rc = err_set(e, "%s:%llu: key \"%s\" of attribute set \"%s\" would be the export column "
                                         "\"%s\", which holds the %s of corpus '%s'; rename the set or the key",
                                         j->paths[i], (unsigned long long)zr_lineno(r), kz, j->names[i], name,
                                         !strcmp(was->set, OUTCOME_SET) ? "outcome" : "fate", was->key);
                        else {
                            int cased = strcmp(was->name, name) != 0;   /* one name to DuckDB only */
                            rc = err_set(e, "%s:%llu: key \"%s\" of attribute set \"%s\" and key \"%s\" of "
                                         "set \"%s\" would both be the export column \"%s\"%s%s%s; rename a set or "
                                         "a key", j->paths[i], (unsigned long long)zr_lineno(r), kz, j->names[i],
                                         was->key, was->set, name, cased ? " (\"" : "", cased ? was->name : "",
                                         cased ? "\" to DuckDB, which matches names without regard to case)" : "");
                        }
                        free(kz);
                        free(name);
                        break;
                    }
                    cs->v[k].flags |= value_flags(rm->v, rm->vn);
                    free(kz);
                    free(name);
                    if (key_cols_set(&kc, m, k, rm->klen) < 0) {
                        rc = err_set(e, "out of memory");
                        break;
                    }
                }
                if (rc < 0) break;
            }
            raw_set_free(&rs);
            key_cols_free(&kc);
            zr_close(r);
            if (rc < 0) { free(j); return -1; }
        }
        free(j);
    }
    for (int i = nfixed; i < cs->n; i++) {
        col *k = &cs->v[i];
        if (k->flags == T_BOOL) k->type = PQ_BOOL;
        else if (k->flags == T_INT) k->type = PQ_INT64;
        else if (k->flags && !(k->flags & ~(T_INT | T_FLOAT))) k->type = PQ_DOUBLE;
        else if (k->flags == T_STRING || k->flags == 0) k->type = PQ_STRING;
        else { k->type = PQ_STRING; k->json = 1; }
    }
    return 0;
}

typedef struct exporter {
    int parquet;
    zwriter *zw;
    pq_writer *pw;
    pq_value *vals;
    char **owned;                /* strings printed for this row */
    int nowned;
    sbuf line;
    const raw_member **mem;      /* each attribute column's member in this row, or NULL */
    sbuf strs;                   /* this row's decoded attribute strings, one after another */
    size_t *str_at;              /* where column ci's string starts in strs; SIZE_MAX: none */
} exporter;

/* Attribute column ci of this row, from the bytes of its attribute line:
 * strings keep every byte (a \u0000 too), integers are exact int64, JSON-text
 * columns hold the value as written (compacted). Fills x->vals[ci] and, for
 * .jsonl, the row's member. */
static int attr_value(exporter *x, const col *k, int ci, blalm_err *e)
{
    pq_value *pv = &x->vals[ci];
    const raw_member *rm = x->mem[ci];
    const char *what = NULL;
    if (rm && rm->v[0] != 'n') {
        const char *v = rm->v;
        size_t n = rm->vn;
        int num = v[0] == '-' || (v[0] >= '0' && v[0] <= '9');
        pv->is_null = 0;
        if (k->type == PQ_BOOL) {
            if (v[0] == 't' || v[0] == 'f') pv->i = v[0] == 't';
            else pv->is_null = 1;   /* cannot happen: types come from the values */
        } else if (k->type == PQ_INT64) {
            if (!num) pv->is_null = 1;
            else if (!raw_int64(v, n, &pv->i)) pv->i = (int64_t)raw_double(v, n);
        } else if (k->type == PQ_DOUBLE) {
            if (!num) pv->is_null = 1;
            else pv->d = raw_double(v, n);
        } else {
            size_t at = x->strs.len, p = 0;
            int rc = v[0] == '"' && !k->json ? json_decode_string(v, n, &p, &x->strs, &what)
                                             : json_compact(&x->strs, v, n, &what);
            if (rc < 0) return err_set(e, "%s: expected %s", k->name, what);
            x->str_at[ci] = at;   /* pv->s once the row's strings stop moving */
            pv->n = x->strs.len - at;
        }
    }
    if (!x->parquet) {
        int first = ci == 0;
        sb_json_key(&x->line, k->name, &first);
        if (!rm || pv->is_null) sb_adds(&x->line, "null");
        else if (k->type == PQ_INT64) sb_json_int(&x->line, pv->i);
        else {
            size_t at = x->line.len;
            if (json_compact(&x->line, rm->v, rm->vn, &what) < 0)
                return err_set(e, "%s: expected %s", k->name, what);
            /* a float column's integer literal (5 beside 1e2) as a float, 5.0,
             * as the .parquet's DOUBLE has it (Python read it as an int) */
            if (k->type == PQ_DOUBLE && !float_literal(x->line.data + at, x->line.len - at)) sb_adds(&x->line, ".0");
        }
    }
    return 0;
}

/* Each member of one set's line to its column in x->mem (the first member
 * of a key where it repeats): by its place in the last line when the
 * key is the same, else by set and key. */
static int member_cols(exporter *x, const cols *cs, int nfixed, key_cols *kc, const char *set,
                       const raw_set *rs)
{
    for (size_t m = 0; m < rs->n; m++) {
        const raw_member *rm = &rs->m[m];
        const char *key = raw_key(rs, rm);
        int c = key_cols_get(kc, cs, m, key, rm->klen);
        for (int i = nfixed; c < 0 && i < cs->n; i++)
            if (!strcmp(cs->v[i].set, set) && strlen(cs->v[i].key) == rm->klen &&
                !memcmp(cs->v[i].key, key, rm->klen)) {
                c = i;
                if (key_cols_set(kc, m, c, rm->klen) < 0) return -1;
            }
        if (c >= 0 && !x->mem[c]) x->mem[c] = rm;
    }
    return 0;
}

/* From fate_text in assemble.c: the category to GROUP BY, where the fate
 * itself names ranks and words. */
const char *corpora_fate_outcome(const char *t)
{
    static const struct { const char *prefix, *outcome; } kinds[] = {
        {"train (", "train"}, {"duplicate: ", "duplicate"}, {"budget full (", "budget_full"},
        {"dev budget full (", "dev_budget_full"}, {"source quota full (", "quota_full"},
        {"not in ", "not_in_parent"}, {"excluded by rules[", "excluded"}, {"excluded: ", "excluded"},
    };
    if (!strcmp(t, "train") || !strcmp(t, "dev")) return t;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (!strncmp(t, kinds[i].prefix, strlen(kinds[i].prefix))) return kinds[i].outcome;
    return NULL;
}

static void put_json_value(sbuf *b, const cJSON *v)
{
    if (!v) { sb_adds(b, "null"); return; }
    char *t = json_print(v, 0);
    sb_adds(b, t ? t : "null");
    free(t);
}

static int export_all(actx *c, FILE *out, blalm_err *e)
{
    const char *path = c->o->export_path;
    size_t pl = strlen(path);
    int parquet = pl > 8 && !strcmp(path + pl - 8, ".parquet");
    if (!parquet && !(pl > 10 && !strcmp(path + pl - 10, ".jsonl.zst")) &&
        !(pl > 6 && !strcmp(path + pl - 6, ".jsonl")))
        return err_set(e, "%s: expected a .jsonl.zst, .jsonl or .parquet file name", path);
    cols cs = {0};
    col_add(&cs, "source", NULL, NULL, PQ_STRING);
    col_add(&cs, "path", NULL, NULL, PQ_STRING);
    col_add(&cs, "row", NULL, NULL, PQ_INT64);
    col_add(&cs, "id", NULL, NULL, PQ_STRING);
    col_add(&cs, "words", NULL, NULL, PQ_INT64);
    col_add(&cs, "bytes", NULL, NULL, PQ_INT64);
    col_add(&cs, "eligible", NULL, NULL, PQ_BOOL);
    col_add(&cs, "excluded_by", NULL, NULL, PQ_STRING);
    col_add(&cs, "excluded_by_index", NULL, NULL, PQ_INT64);
    col_add(&cs, "rank", NULL, NULL, PQ_INT64);
    const cJSON *corp = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(c->run, "config"), "corpora"), *it;
    cJSON_ArrayForEach(it, corp) {
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it, "name");
        if (!cJSON_IsString(nm)) continue;
        char *name;
        if (asprintf(&name, "fate.%s", nm->valuestring) < 0) abort();
        col_add(&cs, name, FATE_SET, nm->valuestring, PQ_STRING);
        free(name);
        if (asprintf(&name, "outcome.%s", nm->valuestring) < 0) abort();
        col_add(&cs, name, OUTCOME_SET, nm->valuestring, PQ_STRING);
        free(name);
    }
    int nfixed = cs.n;
    if (discover(c, &cs, nfixed, e) < 0) { cols_free(&cs); return -1; }

    exporter x;
    memset(&x, 0, sizeof x);
    raw_set *raws = NULL;
    x.parquet = parquet;
    sb_init(&x.line);
    x.vals = calloc((size_t)cs.n, sizeof *x.vals);
    x.owned = calloc((size_t)cs.n, sizeof *x.owned);
    x.mem = calloc((size_t)cs.n, sizeof *x.mem);
    x.str_at = calloc((size_t)cs.n, sizeof *x.str_at);
    sb_init(&x.strs);
    key_cols *kcs = NULL;
    int rc = -1;
    if (!x.vals || !x.owned || !x.mem || !x.str_at) { err_set(e, "out of memory"); goto out; }
    if (parquet) {
        pq_column *pc = calloc((size_t)cs.n, sizeof *pc);
        if (!pc) { err_set(e, "out of memory"); goto out; }
        for (int i = 0; i < cs.n; i++) pc[i] = (pq_column){cs.v[i].name, cs.v[i].type, 1};
        pq_write_opts po = {.codec = PQ_CODEC_ZSTD, .dictionary = 1};
        x.pw = pqw_open(path, pc, cs.n, &po, e);
        free(pc);
        if (!x.pw) goto out;
    } else {
        x.zw = zw_open(path, 3, e);
        if (!x.zw) goto out;
    }
    uint64_t rows = 0;
    raws = calloc(MAX_SETS + 1, sizeof *raws);
    kcs = calloc(MAX_SETS + 1, sizeof *kcs);
    if (!raws || !kcs) { err_set(e, "out of memory"); goto out; }
    if (c->o->progress) c->o->progress(c->o->progress_arg, 0, 0, "audit: export");
    for (size_t fi = 0; fi < c->nfiles; fi++) {
        const doc_file *f = &c->files[fi];
        joined *j = malloc(sizeof *j);
        if (!j) { err_set(e, "out of memory"); goto out; }
        attr_join *aj = open_join(c, f, j, e);
        if (!aj) { free(j); goto out; }
        for (int s = 0; s < j->n; s++) {
            key_cols_free(&kcs[s]);   /* places are per file */
            if (s != j->fate) attrj_raw_only(aj, s);   /* read by raw_set_load, checked by discover */
        }
        cJSON *sets[MAX_SETS + 1];
        blalm_doc d;
        int jr;
        while ((jr = attrj_next(aj, &d, sets, e)) == 1) {
            memset(x.mem, 0, (size_t)cs.n * sizeof *x.mem);
            for (int s = 0; s < j->n && jr == 1; s++) {
                if (s == j->fate) continue;
                size_t len;
                const char *apath;
                uint64_t lineno;
                const char *line = attrj_raw(aj, s, &len, &apath, &lineno);
                if (raw_set_load(&raws[s], line, len, j->names[s], apath, lineno, e) < 0) jr = -1;
                else if (member_cols(&x, &cs, nfixed, &kcs[s], j->names[s], &raws[s]) < 0)
                    jr = err_set(e, "out of memory");
            }
            if (jr < 0) break;
            sb_reset(&x.strs);
            const cJSON *fate = j->fate >= 0 ? sets[j->fate] : NULL;
            const cJSON *ex = cJSON_GetObjectItemCaseSensitive(fate, "excluded_by");
            const cJSON *fcorp = cJSON_GetObjectItemCaseSensitive(fate, "corpora");
            x.nowned = 0;
            sb_reset(&x.line);
            sb_addc(&x.line, '{');
            int first = 1;
            for (int ci = 0; ci < cs.n; ci++) {
                col *k = &cs.v[ci];
                pq_value *pv = &x.vals[ci];
                memset(pv, 0, sizeof *pv);
                pv->is_null = 1;
                const cJSON *v = NULL;   /* JSON-valued columns */
                int have_scalar = 1;
                switch (ci) {
                case 0: pv->s = f->source; pv->n = strlen(f->source); pv->is_null = 0; break;
                case 1: pv->s = f->rel; pv->n = strlen(f->rel); pv->is_null = 0; break;
                case 2: pv->i = (int64_t)d.row; pv->is_null = 0; break;
                case 3: pv->s = d.id; pv->n = d.id_len; pv->is_null = 0; break;
                case 4: pv->i = (int64_t)words_in(d.text, d.text_len); pv->is_null = 0; break;
                case 5: pv->i = (int64_t)d.text_len; pv->is_null = 0; break;
                default: have_scalar = 0;
                }
                if (!have_scalar) {
                    if (ci == 6) v = cJSON_GetObjectItemCaseSensitive(fate, "eligible");
                    else if (ci == 7) v = cJSON_GetObjectItemCaseSensitive(ex, "rule");
                    else if (ci == 8) v = cJSON_GetObjectItemCaseSensitive(ex, "index");
                    else if (ci == 9) v = cJSON_GetObjectItemCaseSensitive(fate, "rank");
                    else if (ci < nfixed && !strcmp(k->set, OUTCOME_SET)) {
                        const cJSON *ft = cJSON_GetObjectItemCaseSensitive(fcorp, k->key);
                        const char *o = cJSON_IsString(ft) ? corpora_fate_outcome(ft->valuestring) : NULL;
                        if (o) { pv->s = o; pv->n = strlen(o); pv->is_null = 0; }
                    } else if (ci < nfixed) v = cJSON_GetObjectItemCaseSensitive(fcorp, k->key);
                    else {
                        x.str_at[ci] = SIZE_MAX;
                        if (attr_value(&x, k, ci, e) < 0) { jr = -1; break; }
                        continue;
                    }
                    if (v && !cJSON_IsNull(v)) {
                        pv->is_null = 0;
                        if (k->type == PQ_BOOL) pv->i = cJSON_IsTrue(v);
                        else if (k->type == PQ_INT64) pv->i = (int64_t)v->valuedouble;
                        else if (k->type == PQ_DOUBLE) pv->d = v->valuedouble;
                        else if (cJSON_IsString(v) && !k->json) {
                            pv->s = v->valuestring;
                            pv->n = strlen(v->valuestring);
                        } else {
                            char *t = json_print(v, 0);
                            x.owned[x.nowned++] = t;
                            pv->s = t ? t : "null";
                            pv->n = strlen(pv->s);
                        }
                        if ((k->type == PQ_BOOL && !cJSON_IsBool(v)) ||
                            ((k->type == PQ_INT64 || k->type == PQ_DOUBLE) && !cJSON_IsNumber(v)))
                            pv->is_null = 1;   /* cannot happen: types come from the values */
                    }
                }
                if (!parquet) {
                    sb_json_key(&x.line, k->name, &first);
                    if (v) put_json_value(&x.line, v);
                    else if (pv->is_null) sb_adds(&x.line, "null");
                    else if (k->type == PQ_STRING) sb_json_str(&x.line, pv->s, pv->n);
                    else sb_json_int(&x.line, pv->i);
                }
            }
            if (jr < 0) break;
            for (int ci = nfixed; ci < cs.n; ci++)
                if (x.str_at[ci] != SIZE_MAX) x.vals[ci].s = x.strs.data ? x.strs.data + x.str_at[ci] : "";
            int wr;
            if (parquet) {
                wr = pqw_row(x.pw, x.vals, e);
            } else {
                sb_addc(&x.line, '}');
                wr = zw_line(x.zw, x.line.data, x.line.len, e);
            }
            for (int i = 0; i < x.nowned; i++) free(x.owned[i]);
            x.nowned = 0;
            if (wr < 0) { jr = -1; break; }
            rows++;
            if (c->o->progress) c->o->progress(c->o->progress_arg, rows, 0, "audit: export");
        }
        attrj_close(aj);
        free(j);
        if (jr < 0) { goto out; }
    }
    if (parquet) { rc = pqw_commit(x.pw, e); x.pw = NULL; }
    else { rc = zw_commit(x.zw, e); x.zw = NULL; }
    if (rc == 0) {
        rc = (int)(rows > 0x7fffffff ? 0x7fffffff : rows);
        (void)out;
    }
out:
    if (raws) {
        for (int s = 0; s <= MAX_SETS; s++) raw_set_free(&raws[s]);
        free(raws);
    }
    if (kcs) {
        for (int s = 0; s <= MAX_SETS; s++) key_cols_free(&kcs[s]);
        free(kcs);
    }
    free(x.mem);
    free(x.str_at);
    sb_free(&x.strs);
    if (x.pw) pqw_abort(x.pw);
    if (x.zw) zw_abort(x.zw);
    sb_free(&x.line);
    free(x.vals);
    free(x.owned);
    cols_free(&cs);
    return rc;
}

long corpora_audit(const audit_opts *o, FILE *out, blalm_err *e)
{
    actx c;
    long rc = -1;
    if (ctx_init(&c, o, e) == 0) {
        if (o->export_path) rc = export_all(&c, out, e);
        else rc = audit_id(&c, out, e);
    }
    ctx_free(&c);
    return rc;
}
