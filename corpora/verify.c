/* verify.c - checks a corpus against its manifest from scratch: every word
 * recounted, every checksum recomputed, every document located. */
#include "corpora/corpora.h"
#include "corpora/internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config.h"
#include "lib/corpus.h"
#include "lib/fmap.h"
#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"

#define MAX_LISTED 20   /* problems of one kind listed before summarising */

typedef struct vfile {
    char path[512];
    int split;                 /* 0 train, 1 dev */
    const char *map;
    size_t size;
    uint64_t m_words, m_docs, m_bytes;
    uint64_t docs, doc_words, last_end;
    int ok;                    /* mapped */
    const char *source;        /* its "source" in manifest.json, NULL when not a string */
} vfile;

typedef struct vctx {
    sbuf *out;
    int problems;
} vctx;

static void problem(vctx *v, const char *fmt, ...) BLALM_PRINTF(2, 3);
static void problem(vctx *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[2048];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    sb_adds(v->out, buf);
    sb_addc(v->out, '\n');
    v->problems++;
}

/* A count: a whole number from 0 to 2^53 - 1 (199996.4 words is no count, 1e30
 * would not convert, and from 2^53 on a double is not the number written:
 * 9007199254740993 reads as 9007199254740992). */
static int num(const cJSON *o, const char *k, uint64_t *out)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(x) || !(x->valuedouble >= 0 && x->valuedouble < 9007199254740992.0) ||
        x->valuedouble != floor(x->valuedouble))
        return 0;
    *out = (uint64_t)x->valuedouble;
    return 1;
}

/* Problems the corpus reader finds in documents.jsonl.zst, named relative to
 * the corpus folder as verify's own are. */
typedef struct ictx {
    vctx *v;
    const char *dir;
    int bad;                   /* index problems found, listed or not */
} ictx;

static void index_problem(void *ctx, const char *msg)
{
    ictx *ic = ctx;
    size_t dl = strlen(ic->dir);
    if (!strncmp(msg, ic->dir, dl) && msg[dl] == '/') msg += dl + 1;
    if (ic->bad++ < MAX_LISTED) problem(ic->v, "%s", msg);
}

typedef struct idrec {
    const corpus_doc *doc;    /* its id is bytes (a NUL inside is kept) */
    int split;
    uint64_t line;
} idrec;

static int cmp_id(const void *a, const void *b)
{
    const idrec *x = a, *y = b;
    int c = corpus_id_cmp(x->doc, y->doc);
    if (c) return c;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* Every entry under the corpus folder is accounted for: manifest.json,
 * documents.jsonl.zst, the folders train/ and dev/, and the files the
 * manifest lists in them. Anything else (an extra .train file at the root, a
 * folder train2/, a hidden file) would be read by a trainer that globs the
 * folder, so it is a problem. */
static void check_listing(vctx *v, const char *dir, const char *rel, vfile *files, int nfiles)
{
    char p[4400];
    snprintf(p, sizeof p, "%s%s%s", dir, *rel ? "/" : "", rel);
    DIR *d = opendir(p);
    if (!d) {
        problem(v, "%s/: cannot be read", rel);
        return;
    }
    int have_train = 0, have_dev = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char sub[600], full[5100];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
        snprintf(full, sizeof full, "%s/%s", dir, sub);
        struct stat st;
        if (lstat(full, &st) != 0) {
            problem(v, "%s: cannot be read", sub);
            continue;
        }
        int split_dir = !*rel && (!strcmp(de->d_name, "train") || !strcmp(de->d_name, "dev"));
        if (S_ISLNK(st.st_mode)) {
            /* a link is not the corpus's own: copying or moving the folder
             * takes the link, not what it names */
            if (split_dir) {
                have_train |= !strcmp(de->d_name, "train");
                have_dev |= !strcmp(de->d_name, "dev");
                problem(v, "%s: a symbolic link, not a folder (%s/ must be a folder of the corpus itself)", sub, sub);
            } else {
                problem(v, "%s: a symbolic link, not a regular file of the corpus", sub);
            }
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if (split_dir) {
                have_train |= !strcmp(de->d_name, "train");
                have_dev |= !strcmp(de->d_name, "dev");
                check_listing(v, dir, sub, files, nfiles);
            } else {
                problem(v, "%s/: a folder that is not part of the corpus layout (only train/ and dev/ are)", sub);
            }
            continue;
        }
        if (!*rel && (!strcmp(de->d_name, "manifest.json") || !strcmp(de->d_name, "documents.jsonl.zst")) &&
            S_ISREG(st.st_mode))
            continue;
        int listed = 0;
        for (int i = 0; i < nfiles; i++) listed |= !strcmp(files[i].path, sub);
        if (!listed) problem(v, "%s: not listed in manifest.json", sub);
        else if (!S_ISREG(st.st_mode)) problem(v, "%s: not a regular file", sub);
    }
    closedir(d);
    if (!*rel && !have_train) problem(v, "train/: missing");
    if (!*rel && !have_dev) problem(v, "dev/: missing");
}

/* A located document's text, for finding one text in both splits. */
typedef struct textrec {
    uint64_t hash;
    int file;                  /* index into files */
    uint64_t off, len, line;
    int split;
} textrec;

/* Documents of one file by offset (then index line). */
static int cmp_doc_offset(const void *a, const void *b)
{
    const corpus_doc *x = a, *y = b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static int cmp_text(const void *a, const void *b)
{
    const textrec *x = a, *y = b;
    if (x->hash != y->hash) return x->hash < y->hash ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* "config" is the configuration assemble ran with, as it printed it, and
 * "config_sha256" the sha256 of those bytes: printed again the same way, an
 * edit to either (a seed, a budget, a rule) shows. */
static void check_config(vctx *v, const cJSON *m)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "config");
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(m, "config_sha256");
    if (!cJSON_IsObject(c)) {
        problem(v, "manifest.json: \"config\" missing or not an object");
        return;
    }
    if (!cJSON_IsString(h)) {
        problem(v, "manifest.json: \"config_sha256\" missing or not a string");
        return;
    }
    char *txt = json_print(c, 0);
    if (!txt) {
        problem(v, "manifest.json: \"config\" cannot be printed (out of memory)");
        return;
    }
    char hex[65];
    sha256_hex(txt, strlen(txt), hex);
    free(txt);
    if (strcmp(hex, h->valuestring))
        problem(v, "manifest.json: \"config\" has sha256 %s, but \"config_sha256\" says %.64s: "
                   "the config or its hash was edited", hex, h->valuestring);
    /* the figures the manifest repeats from it: rules, ranking, seed, and the
     * budget and dev budget of the corpus it names, which must be one of the
     * config's (a folder may be renamed, its manifest's corpus not) */
    static const char *const same[] = {"rules", "ranking"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, same[i]);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(c, same[i]);
        if (a && b && !cJSON_Compare(a, b, 1))
            problem(v, "manifest.json: \"%s\" is not its config's \"%s\"", same[i], same[i]);
    }
    uint64_t x, y;
    /* a seed that is no exact count (2^53 or more, a fraction) would make the
     * comparison below pass unread: assemble takes none such */
    if (cJSON_GetObjectItemCaseSensitive(m, "seed") && !num(m, "seed", &x))
        problem(v, "manifest.json: \"seed\" is not an integer from 0 to 9007199254740991");
    if (cJSON_GetObjectItemCaseSensitive(c, "seed") && !num(c, "seed", &y))
        problem(v, "manifest.json: config's \"seed\" is not an integer from 0 to 9007199254740991");
    if (num(m, "seed", &x) && num(c, "seed", &y) && x != y)
        problem(v, "manifest.json: \"seed\" %llu, but its config's seed is %llu", (unsigned long long)x,
                (unsigned long long)y);
    /* the corpus the manifest names, in its config: its budget and dev budget */
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(m, "corpus"), *cs;
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(m, "dev");
    int named = 0;
    cJSON_ArrayForEach(cs, cJSON_GetObjectItemCaseSensitive(c, "corpora")) {
        const cJSON *cn = cJSON_GetObjectItemCaseSensitive(cs, "name");
        if (!cJSON_IsString(name) || !cJSON_IsString(cn) || strcmp(cn->valuestring, name->valuestring)) continue;
        named = 1;
        /* as for the seed: a figure that is no exact count is refused, not
         * left uncompared */
        static const char *const cnt[] = {"budget", "dev_words"};
        for (size_t i = 0; i < sizeof cnt / sizeof *cnt; i++)
            if (cJSON_GetObjectItemCaseSensitive(cs, cnt[i]) && !num(cs, cnt[i], &y))
                problem(v, "manifest.json: config's corpus %s: \"%s\" is not an integer from 0 to "
                           "9007199254740991", name->valuestring, cnt[i]);
        if (num(m, "budget", &x) && num(cs, "budget", &y) && x != y)
            problem(v, "manifest.json: \"budget\" %llu, but its config gives corpus %s a budget of %llu",
                    (unsigned long long)x, name->valuestring, (unsigned long long)y);
        if (num(dev, "budget", &x) && num(cs, "dev_words", &y) && x != y)
            problem(v, "manifest.json: dev.budget %llu, but its config gives corpus %s dev_words %llu",
                    (unsigned long long)x, name->valuestring, (unsigned long long)y);
    }
    /* renamed, or its name gone, the corpus would escape the budget check */
    if (!cJSON_IsString(name))
        problem(v, "manifest.json: \"corpus\" missing or not a string");
    else if (!named)
        problem(v, "manifest.json: corpus \"%.200s\" is none of its config's corpora", name->valuestring);
}

/* The manifest's record of the attribute sets the corpus was made from:
 * present, well-formed, and "complete" exactly when no set lacks files. */
static void check_attributes(vctx *v, const cJSON *m, verify_result *r)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(m, "attributes");
    const cJSON *complete = cJSON_GetObjectItemCaseSensitive(a, "complete");
    const cJSON *sets = cJSON_GetObjectItemCaseSensitive(a, "sets"), *it;
    if (!cJSON_IsObject(a) || !cJSON_IsBool(complete) || !cJSON_IsArray(sets)) {
        problem(v, "manifest.json: \"attributes\" {complete, exception, sets} missing: "
                   "no record of the attribute sets the corpus was made from");
        return;
    }
    int lacking = 0;
    cJSON_ArrayForEach(it, sets) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "set");
        uint64_t files, missing, incomplete;
        if (!cJSON_IsString(name) || !num(it, "files", &files) || !num(it, "missing", &missing) ||
            !num(it, "incomplete", &incomplete) ||
            !cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(it, "recorded"))) {
            problem(v, "manifest.json: attributes.sets: expected {set, files, missing, incomplete, "
                       "recorded, config} entries");
            return;
        }
        if (missing > files || incomplete > files)
            problem(v, "manifest.json: attributes.sets: %s: more files missing than files", name->valuestring);
        if (missing || incomplete) lacking = 1;
    }
    if (cJSON_IsTrue(complete) == lacking)
        problem(v, "manifest.json: attributes.complete is %s, but its sets say %s",
                cJSON_IsTrue(complete) ? "true" : "false",
                lacking ? "some lack files" : "none lacks files");
    if (lacking) {
        if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(a, "exception")))
            problem(v, "manifest.json: attributes: sets lack files but no exception is recorded");
        r->partial = 1;
    }
}

/* A subset (manifest "subset_of": PARENT) was cut from one assembly of its
 * parent, whose index sha256 it records (subset_of_index_sha256): the
 * parent beside it (../PARENT) must still be that one. An assemble that
 * replaces both and is killed between their renames leaves the new parent
 * beside the old subset, each whole on its own, and the subset's documents
 * need not be in the parent at all. A manifest of an older blalm (no such
 * key) or a subset without its parent beside it gets a note, not a problem.
 * 1 (and the parent's name in pname) when the parent beside it is the one
 * recorded: its documents are then checked to be the parent's
 * (check_in_parent). */
static int check_parent(vctx *v, const char *dir, const cJSON *m, verify_result *r, char *pname, size_t pcap)
{
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(m, "subset_of");
    const cJSON *ps = cJSON_GetObjectItemCaseSensitive(m, "subset_of_index_sha256");
    if (!so || cJSON_IsNull(so)) {
        if (ps && !cJSON_IsNull(ps)) problem(v, "manifest.json: \"subset_of_index_sha256\" without a \"subset_of\"");
        return 0;
    }
    const char *pn = cJSON_GetStringValue(so);
    if (!pn || !path_is_plain_relative(pn) || strchr(pn, '/')) {
        problem(v, "manifest.json: \"subset_of\": expected null or the name of a corpus folder beside this one");
        return 0;
    }
    if (!ps) {
        snprintf(r->note, sizeof r->note, "subset of %s, but its manifest records no subset_of_index_sha256 "
                 "(written by an older blalm), so the %s beside it was not checked to be its parent", pn, pn);
        return 0;
    }
    const char *want = cJSON_GetStringValue(ps);
    if (!want || strlen(want) != 64 || strspn(want, "0123456789abcdef") != 64) {
        problem(v, "manifest.json: \"subset_of_index_sha256\": expected the 64 hex digits of a sha256");
        return 0;
    }
    char pdir[4400], pm[4500];
    snprintf(pdir, sizeof pdir, "%s/../%s", dir, pn);
    snprintf(pm, sizeof pm, "%s/manifest.json", pdir);
    if (!is_dir(pdir)) {
        snprintf(r->note, sizeof r->note, "subset of %s, which is not beside it (../%s): not checked against its parent",
                 pn, pn);
        return 0;
    }
    char *text = NULL;
    size_t len;
    blalm_err pe;
    cJSON *pj = read_file(pm, &text, &len, &pe) < 0 ? NULL : config_parse(text, len, "manifest.json", &pe);
    free(text);
    const char *got = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(pj, "index"),
                                                                            "sha256"));
    if (!pj)
        problem(v, "../%s/manifest.json: %s: the parent corpus this subset is checked against cannot be read", pn,
                pe.msg);
    else if (!got)
        problem(v, "../%s/manifest.json: \"index\" {sha256} missing: the parent corpus this subset is checked "
                   "against cannot be identified", pn);
    else if (strcmp(got, want))
        problem(v, "subset of %s, cut from the %s whose index has sha256 %s, but ../%s/manifest.json says %s: the %s "
                   "beside it was assembled since (or an assemble was killed between its corpora's renames); "
                   "assemble again", pn, pn, want, pn, got, pn);
    int same = pj && got && !strcmp(got, want);
    cJSON_Delete(pj);
    if (same) snprintf(pname, pcap, "%s", pn);
    return same;
}

/* A parent's document, found by id. */
typedef struct pdoc {
    const corpus_doc *doc;
    int file;                  /* index into the parent's files */
} pdoc;

static int cmp_pdoc(const void *a, const void *b)
{
    const pdoc *x = a, *y = b;
    int c = corpus_id_cmp(x->doc, y->doc);
    if (c) return c;
    return x->doc->line < y->doc->line ? -1 : x->doc->line > y->doc->line;
}

/* Every document of a subset is one of its parent's (the parent beside it,
 * ../pn): the same id, in the same file of the same split, with the same text
 * (or the start of it: a subset may cut the last document it takes). The
 * manifest's subset_of_index_sha256 only says which parent it names; a
 * subset edited since, all its counts and checksums made to agree, holds
 * text its parent never had. The parent's ids are sorted once and each
 * subset document looked up (O(n log n)); its text is compared byte for byte. */
/* The last component of path as written, less trailing "/" and "/."
 * ("out/strict/." and "out/strict/" give strict; "." stays "."). */
static const char *last_component(const char *path, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", path);
    for (;;) {
        size_t l = strlen(buf);
        if (l > 1 && buf[l - 1] == '/') buf[l - 1] = 0;
        else if (l > 2 && buf[l - 1] == '.' && buf[l - 2] == '/') buf[l - 2] = 0;
        else break;
    }
    const char *sl = strrchr(buf, '/');
    return sl && sl[1] ? sl + 1 : buf;
}

static void check_in_parent(vctx *v, const char *dir, const char *pn, const corpus *cp, const vfile *files,
                            int nfiles)
{
    char pdir[4400];
    snprintf(pdir, sizeof pdir, "%s/../%s", dir, pn);
    corpus pc = {0};
    corpus_opts po = {NULL, NULL, 1};   /* strict, ids kept */
    blalm_err pe;
    const char **pmap = NULL;
    size_t *psize = NULL;
    pdoc *pd = NULL;
    size_t npd = 0;
    sbuf shown;
    sb_init(&shown);
    if (corpus_open_opts(&pc, pdir, &po, &pe) != 0) {
        problem(v, "../%s: %s: the parent corpus this subset's documents are checked against cannot be read", pn,
                pe.msg);
        goto out;
    }
    if (!pc.has_index) {
        problem(v, "../%s/documents.jsonl.zst: missing: the parent corpus this subset's documents are checked "
                   "against has no index", pn);
        goto out;
    }
    pmap = calloc(pc.n_files + 1, sizeof *pmap);
    psize = calloc(pc.n_files + 1, sizeof *psize);
    size_t total = 0;
    for (size_t i = 0; i < pc.n_files; i++) total += pc.files[i].n_docs;
    pd = malloc((total + 1) * sizeof *pd);
    if (!pmap || !psize || !pd) {
        problem(v, "../%s: out of memory checking this subset's documents against it", pn);
        goto out;
    }
    for (size_t i = 0; i < pc.n_files; i++) {
        const corpus_file *pf = &pc.files[i];
        int fd = open(pf->path, O_RDONLY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) != 0) {
            problem(v, "../%s/%s: cannot be read: the subset's documents were not checked against its parent", pn,
                    pf->rel);
            if (fd >= 0) close(fd);
            goto out;
        }
        psize[i] = (size_t)st.st_size;
        pmap[i] = psize[i] ? fmap_map(fd, psize[i], MAP_PRIVATE, pf->path) : "";
        close(fd);
        if (pmap[i] == MAP_FAILED) {
            pmap[i] = NULL;
            problem(v, "../%s/%s: cannot be read: the subset's documents were not checked against its parent", pn,
                    pf->rel);
            goto out;
        }
        for (size_t d = 0; d < pf->n_docs; d++)
            if (pf->docs[d].id && pf->docs[d].offset + pf->docs[d].length <= psize[i])
                pd[npd++] = (pdoc){&pf->docs[d], (int)i};
    }
    qsort(pd, npd, sizeof *pd, cmp_pdoc);
    int bad = 0;
    for (size_t i = 0; i < cp->n_files; i++) {
        const corpus_file *cf = &cp->files[i];
        const vfile *f = NULL;
        for (int k = 0; k < nfiles; k++)
            if (!strcmp(files[k].path, cf->rel)) f = &files[k];
        if (!f || !f->ok) continue;   /* said already */
        for (size_t d = 0; d < cf->n_docs; d++) {
            const corpus_doc *x = &cf->docs[d];
            if (!x->id || x->offset + x->length > f->size) continue;   /* said already */
            /* the first parent document with this id */
            size_t lo = 0, hi = npd;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (corpus_id_cmp(pd[mid].doc, x) < 0) lo = mid + 1;
                else hi = mid;
            }
            const pdoc *hit = lo < npd && !corpus_id_cmp(pd[lo].doc, x) ? &pd[lo] : NULL;
            const char *why = NULL;
            char where[700] = "";
            if (!hit) {
                why = "it has no document of that id";
            } else {
                const corpus_file *pf = &pc.files[hit->file];
                const corpus_doc *y = hit->doc;
                if (strcmp(pf->rel, cf->rel)) {
                    snprintf(where, sizeof where, "it holds that id in %s", pf->rel);
                    why = where;
                } else if (x->length > y->length ||
                           memcmp(f->map + x->offset, pmap[hit->file] + y->offset, x->length)) {
                    snprintf(where, sizeof where, "the text is not its document's of that id (../%s/documents.jsonl.zst "
                             "line %llu), nor the start of it", pn, (unsigned long long)y->line);
                    why = where;
                }
            }
            if (why && bad++ < MAX_LISTED) {
                sb_reset(&shown);
                corpus_show_id(&shown, x);
                problem(v, "documents.jsonl.zst:%llu: id %s (%s) is not a document of the parent ../%s: %s "
                           "(a subset holds only its parent's documents)",
                        (unsigned long long)x->line, sb_cstr(&shown), cf->rel, pn, why);
            }
        }
    }
    if (bad > MAX_LISTED)
        problem(v, "%d more documents not in the parent ../%s not listed", bad - MAX_LISTED, pn);
out:
    if (pmap)
        for (size_t i = 0; i < pc.n_files; i++)
            if (pmap[i] && psize[i]) fmap_unmap((void *)pmap[i], psize[i]);
    free(pmap);
    free(psize);
    free(pd);
    sb_free(&shown);
    corpus_close(&pc);
}

int corpora_verify(const char *dir, const char *track, verify_result *r, char **problems,
                   blalm_err *e)
{
    memset(r, 0, sizeof *r);
    sbuf out;
    sb_init(&out);
    vctx v = {&out, 0};
    sbuf shown;          /* an id as a message shows it (escaped: it may hold NUL) */
    sb_init(&shown);
    char p[4400];
    char *text = NULL;
    size_t tlen;
    cJSON *m = NULL;
    vfile *files = NULL;
    int nfiles = 0;
    idrec *ids = NULL;
    size_t nids = 0, capids = 0;
    textrec *texts = NULL;
    size_t ntexts = 0, captexts = 0;
    corpus cp = {0};
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        problem(&v, "%s: no such corpus folder (an incomplete or killed assembly leaves none)", dir);
        goto done;
    }
    snprintf(p, sizeof p, "%s/manifest.json", dir);
    if (read_file(p, &text, &tlen, e) < 0) {
        problem(&v, "manifest.json: missing or unreadable (%s)", e->msg);
        goto done;
    }
    {   /* strict: trailing text and repeated keys are tampering, not JSON to guess at */
        blalm_err pe;
        m = config_parse(text, tlen, "manifest.json", &pe);
        if (!m) {
            problem(&v, "%s", pe.msg);
            goto done;
        }
    }
    if (!cJSON_IsObject(m)) {
        problem(&v, "manifest.json: not a JSON object");
        goto done;
    }
    uint64_t budget = 0, words = 0, docs = 0, dev_words = 0, dev_docs = 0;
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(m, "dev");
    if (!num(m, "budget", &budget)) problem(&v, "manifest.json: \"budget\" missing or not a whole number >= 0");
    if (!num(m, "words", &words)) problem(&v, "manifest.json: \"words\" missing or not a whole number >= 0");
    if (!num(m, "documents", &docs)) problem(&v, "manifest.json: \"documents\" missing or not a whole number >= 0");
    if (!dev || !num(dev, "words", &dev_words) || !num(dev, "documents", &dev_docs))
        problem(&v, "manifest.json: \"dev\" {words, documents} missing");
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "word_definition")))
        problem(&v, "manifest.json: \"word_definition\" missing");
    check_attributes(&v, m, r);
    check_config(&v, m);
    char parent[256] = "";
    int in_parent = check_parent(&v, dir, m, r, parent, sizeof parent);
    r->budget = budget;
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(m, "track");
    const char *mtrack = cJSON_IsString(mt) ? mt->valuestring : NULL;
    /* the folder's own name, however the path is written: "out/strict/",
     * "out/strict/." and "." in out/strict all name strict (realpath). A
     * symbolic link is named both ways, the name it is submitted under and
     * its target's, and the stricter track of the two holds */
    char base[4096], rbase[4096];
    char *real = realpath(dir, NULL);
    const char *folder = last_component(dir, base, sizeof base);
    const char *rfolder = last_component(real ? real : dir, rbase, sizeof rbase);
    free(real);
    if (!strcmp(folder, ".") || !strcmp(folder, "..") || !*folder ||
        (track_words(rfolder) && (!track_words(folder) || track_words(rfolder) < track_words(folder))))
        folder = rfolder;
    if (!mtrack) {
        /* A corpus named after a track is held to it whatever its manifest
         * says: assemble gives such a corpus its track, so a null there is
         * an older blalm's "track": "" or an edit, and verify without
         * --track would otherwise check only the manifest's own budget. The
         * name is the manifest's, or the folder's when it records none. */
        const cJSON *cn = cJSON_GetObjectItemCaseSensitive(m, "corpus");
        const char *name = cJSON_IsString(cn) ? cn->valuestring : folder;
        if (track_words(name)) {
            mtrack = name;
            r->track_by_name = 1;
        }
    }
    /* A folder named after a track is held to it too, when that is the
     * stricter: a corpus assembled as "mine" (no track, a 200M budget) or as
     * strict, then moved to a folder strict-small, is what a BabyLM
     * submission of that folder would be judged as. --track overrides. */
    if (!track && track_words(folder) &&
        (!mtrack || !track_words(mtrack) || track_words(folder) < track_words(mtrack))) {
        mtrack = folder;
        r->track_by_name = 2;
    }
    if (track && mtrack && strcmp(track, mtrack)) {
        if (r->track_by_name)
            problem(&v, "manifest.json: corpus %s (no track recorded: held to the %s track by its name), "
                        "checked as %s", mtrack, mtrack, track);
        else
            problem(&v, "manifest.json: built for track %s, checked as %s", mtrack, track);
    }
    const char *eff_track = track ? track : mtrack;
    if (track) r->track_by_name = 0;
    if (eff_track && track_words(eff_track)) snprintf(r->track, sizeof r->track, "%s", eff_track);

    /* files: sha256 and words, recomputed */
    const cJSON *fl = cJSON_GetObjectItemCaseSensitive(m, "files"), *it;
    if (!cJSON_IsArray(fl)) {
        problem(&v, "manifest.json: \"files\" missing");
        goto done;
    }
    files = calloc((size_t)cJSON_GetArraySize(fl) + 1, sizeof *files);
    if (!files) { err_set(e, "out of memory"); goto fail; }
    uint64_t sum[2][2] = {{0}}, bytes[2] = {0};
    int at = -1;   /* the entry's place in "files" (nfiles counts the valid ones) */
    cJSON_ArrayForEach(it, fl) {
        at++;
        vfile *f = &files[nfiles];
        const cJSON *pj = cJSON_GetObjectItemCaseSensitive(it, "path");
        const cJSON *sj = cJSON_GetObjectItemCaseSensitive(it, "sha256");
        if (!cJSON_IsString(pj) || !cJSON_IsString(sj) || !num(it, "words", &f->m_words) ||
            !num(it, "documents", &f->m_docs) || !num(it, "bytes", &f->m_bytes)) {
            problem(&v, "manifest.json: files[%d]: expected path, words, documents, bytes, sha256", at);
            continue;
        }
        snprintf(f->path, sizeof f->path, "%s", pj->valuestring);
        const cJSON *fsj = cJSON_GetObjectItemCaseSensitive(it, "source");
        f->source = cJSON_IsString(fsj) ? fsj->valuestring : NULL;
        nfiles++;
        size_t pl = strlen(f->path);
        if (!strncmp(f->path, "train/", 6) && pl > 12 && !strcmp(f->path + pl - 6, ".train")) f->split = 0;
        else if (!strncmp(f->path, "dev/", 4) && pl > 8 && !strcmp(f->path + pl - 4, ".dev")) f->split = 1;
        else {
            problem(&v, "%s: not train/<source>.train or dev/<source>.dev", f->path);
            continue;
        }
        if (!path_is_plain_relative(f->path)) {
            problem(&v, "%s: path leaves the corpus or names a file two ways (an empty, '.' or '..' component)",
                    f->path);
            continue;
        }
        /* the split the per-source figures are summed by is the path's */
        const cJSON *spj = cJSON_GetObjectItemCaseSensitive(it, "split");
        if (!cJSON_IsString(spj) || strcmp(spj->valuestring, (f->split ? "dev" : "train")))
            problem(&v, "manifest.json: files[%d] (%s): \"split\" is %s%s%s, its path says \"%s\"", at,
                    f->path, cJSON_IsString(spj) ? "\"" : "", cJSON_IsString(spj) ? spj->valuestring : "missing or not a string",
                    cJSON_IsString(spj) ? "\"" : "", f->split ? "dev" : "train");
        snprintf(p, sizeof p, "%s/%s", dir, f->path);
        int fd = open(p, O_RDONLY);
        if (fd < 0 || fstat(fd, &st) != 0) {
            problem(&v, "%s: listed in manifest.json but missing", f->path);
            if (fd >= 0) close(fd);
            continue;
        }
        f->size = (size_t)st.st_size;
        f->map = f->size ? fmap_map(fd, f->size, MAP_PRIVATE, p) : "";
        close(fd);
        if (f->map == MAP_FAILED) {
            f->map = NULL;
            problem(&v, "%s: cannot be read", f->path);
            continue;
        }
        f->ok = 1;
        size_t bad_at;
        if (!utf8_valid(f->map, f->size, &bad_at))
            problem(&v, "%s: byte %zu: not valid UTF-8 (a corpus is UTF-8 text)", f->path, bad_at);
        char hex[65];
        sha256_hex(f->map, f->size, hex);
        if (strcmp(hex, sj->valuestring))
            problem(&v, "%s: sha256 %s, manifest says %s", f->path, hex, sj->valuestring);
        uint64_t w = words_in(f->map, f->size);
        if (w != f->m_words)
            problem(&v, "%s: %llu words, manifest says %llu", f->path, (unsigned long long)w,
                    (unsigned long long)f->m_words);
        if (f->size != f->m_bytes)
            problem(&v, "%s: %zu bytes, manifest says %llu", f->path, f->size,
                    (unsigned long long)f->m_bytes);
        sum[f->split][0] += w;
        sum[f->split][1] += f->m_docs;
        bytes[f->split] += f->size;
        r->files++;
    }
    check_listing(&v, dir, "", files, nfiles);
    /* words and documents per source agree with the per-file figures */
    const cJSON *srcs = cJSON_GetObjectItemCaseSensitive(m, "sources"), *sj2;
    if (!cJSON_IsObject(srcs)) {   /* an array's members have no names: not walked below */
        problem(&v, "manifest.json: \"sources\" missing or not an object");
        srcs = NULL;
    }
    /* every source of a file has its figures, and every source listed has a
     * file: assemble lists exactly the sources of its files */
    cJSON_ArrayForEach(it, fl) {
        const cJSON *fs = cJSON_GetObjectItemCaseSensitive(it, "source");
        const cJSON *pj = cJSON_GetObjectItemCaseSensitive(it, "path");
        const char *fp = cJSON_IsString(pj) ? pj->valuestring : "?";
        if (!cJSON_IsString(fs)) {
            problem(&v, "manifest.json: %s: \"source\" missing", fp);
            continue;
        }
        /* assemble names a source's files after it: a file said to be of
         * another source has that source's figures counted wrong */
        char sn[256], tr[300], dv[300];
        sanitize_source(fs->valuestring, sn, sizeof sn);
        snprintf(tr, sizeof tr, "train/%s.train", sn);
        snprintf(dv, sizeof dv, "dev/%s.dev", sn);
        if (cJSON_IsString(pj) && strcmp(fp, tr) && strcmp(fp, dv))
            problem(&v, "manifest.json: %s is said to be of source \"%s\", whose files are %s and %s", fp,
                    fs->valuestring, tr, dv);
        if (cJSON_IsObject(srcs) && !cJSON_GetObjectItemCaseSensitive(srcs, fs->valuestring))
            problem(&v, "manifest.json: %s is of source \"%s\", which \"sources\" does not list", fp,
                    fs->valuestring);
    }
    cJSON_ArrayForEach(sj2, srcs) {
        int has = 0;
        const cJSON *fe;
        cJSON_ArrayForEach(fe, fl) {
            const cJSON *fs = cJSON_GetObjectItemCaseSensitive(fe, "source");
            has |= cJSON_IsString(fs) && !strcmp(fs->valuestring, sj2->string);
        }
        if (!has) problem(&v, "manifest.json: sources.%s: no file of the corpus is of that source", sj2->string);
    }
    cJSON_ArrayForEach(sj2, srcs) {
        uint64_t want[4] = {0}, got[4] = {0};
        int bad[4] = {0}; /* said so once: its 0 is not compared */
        static const char *const keys[4] = {"words", "documents", "dev_words", "dev_documents"};
        for (int k = 0; k < 4; k++)
            if (cJSON_GetObjectItemCaseSensitive(sj2, keys[k]) && !num(sj2, keys[k], &want[k])) {
                bad[k] = 1;
                problem(&v, "manifest.json: sources.%s: \"%s\" is not an integer from 0 to 9007199254740991",
                        sj2->string, keys[k]);
            }
        const cJSON *fe;
        int unread = 0; /* a file of the source whose figures files[] refused: its sums are not known */
        cJSON_ArrayForEach(fe, fl) {
            const cJSON *fs = cJSON_GetObjectItemCaseSensitive(fe, "source");
            const cJSON *sp = cJSON_GetObjectItemCaseSensitive(fe, "split");
            uint64_t w = 0, d = 0;
            if (!cJSON_IsString(fs) || strcmp(fs->valuestring, sj2->string)) continue;
            if (num(fe, "words", &w) && num(fe, "documents", &d)) {
                int dv = cJSON_IsString(sp) && !strcmp(sp->valuestring, "dev");
                got[dv * 2] += w;
                got[dv * 2 + 1] += d;
            } else {
                unread = 1;
            }
        }
        for (int k = 0; k < 4; k++)
            if (!bad[k] && !unread && want[k] != got[k])
                problem(&v, "manifest.json: sources.%s.%s is %llu, its files say %llu", sj2->string, keys[k],
                        (unsigned long long)want[k], (unsigned long long)got[k]);
    }
    r->words = sum[0][0];
    r->dev_words = sum[1][0];
    if (sum[0][0] != words)
        problem(&v, "train files hold %llu words, manifest says %llu", (unsigned long long)sum[0][0],
                (unsigned long long)words);
    if (sum[1][0] != dev_words)
        problem(&v, "dev files hold %llu words, manifest says %llu", (unsigned long long)sum[1][0],
                (unsigned long long)dev_words);
    if (sum[0][0] > budget)
        problem(&v, "train split holds %llu words, above the budget of %llu",
                (unsigned long long)sum[0][0], (unsigned long long)budget);
    /* the rest of the manifest's figures: what assemble wrote from the same
     * counts (a figure a reader trusts is checked, not informational) */
    uint64_t m_bytes = 0, m_dev_bytes = 0, dev_budget = 0;
    if (!num(m, "bytes", &m_bytes)) problem(&v, "manifest.json: \"bytes\" missing or not a whole number >= 0");
    else if (m_bytes != bytes[0])
        problem(&v, "train files hold %llu bytes, manifest says %llu", (unsigned long long)bytes[0],
                (unsigned long long)m_bytes);
    if (dev && (!num(dev, "bytes", &m_dev_bytes) || !num(dev, "budget", &dev_budget)))
        problem(&v, "manifest.json: \"dev\" {budget, bytes} missing or not whole numbers >= 0");
    else if (dev) {
        if (m_dev_bytes != bytes[1])
            problem(&v, "dev files hold %llu bytes, manifest says %llu", (unsigned long long)bytes[1],
                    (unsigned long long)m_dev_bytes);
        if (sum[1][0] > dev_budget)
            problem(&v, "dev split holds %llu words, above its budget (dev.budget, the config's dev_words) of %llu",
                    (unsigned long long)sum[1][0], (unsigned long long)dev_budget);
    }
    {   /* fill and budget_filled, as assemble computes them from the words */
        const cJSON *fj = cJSON_GetObjectItemCaseSensitive(m, "fill");
        const cJSON *bf = cJSON_GetObjectItemCaseSensitive(m, "budget_filled");
        double fill = budget ? (double)sum[0][0] / (double)budget : 0.0;
        char want[64], got[64];
        snprintf(want, sizeof want, "%.6f", fill);
        if (cJSON_IsNumber(fj)) snprintf(got, sizeof got, "%.6f", fj->valuedouble);
        if (!cJSON_IsNumber(fj)) problem(&v, "manifest.json: \"fill\" missing or not a number");
        else if (strcmp(want, got))
            problem(&v, "manifest.json: \"fill\" is %s, but %llu words of a budget of %llu are %s",
                    got, (unsigned long long)sum[0][0], (unsigned long long)budget, want);
        int filled = sum[0][0] == budget || (double)sum[0][0] >= 0.999 * (double)budget;
        if (!cJSON_IsBool(bf)) problem(&v, "manifest.json: \"budget_filled\" missing or not true/false");
        else if (cJSON_IsTrue(bf) != filled)
            problem(&v, "manifest.json: \"budget_filled\" is %s, but %llu words of a budget of %llu %s (true "
                        "from 99.9%%)", filled ? "false" : "true", (unsigned long long)sum[0][0],
                    (unsigned long long)budget, filled ? "fill it" : "do not fill it");
    }
    if (eff_track) {
        uint64_t lim = track_words(eff_track);
        if (!lim) problem(&v, "unknown track \"%s\"", eff_track);
        else if (sum[0][0] > lim)
            problem(&v, "train split holds %llu words, above the %s track limit of %llu",
                    (unsigned long long)sum[0][0], eff_track, (unsigned long long)lim);
        if (lim && budget > lim)
            problem(&v, "budget %llu above the %s track limit of %llu", (unsigned long long)budget,
                    eff_track, (unsigned long long)lim);
    }

    /* documents.jsonl.zst: every document located and recounted */
    const cJSON *ix = cJSON_GetObjectItemCaseSensitive(m, "index");
    const cJSON *ixs = cJSON_GetObjectItemCaseSensitive(ix, "sha256");
    snprintf(p, sizeof p, "%s/documents.jsonl.zst", dir);
    if (!cJSON_IsString(ixs)) {
        problem(&v, "manifest.json: \"index\" {sha256} missing");
    } else {
        char hex[65];
        blalm_err e2;
        if (sha256_file_hex(p, hex, &e2) < 0) problem(&v, "documents.jsonl.zst: %s", e2.msg);
        else if (strcmp(hex, ixs->valuestring))
            problem(&v, "documents.jsonl.zst: sha256 %s, manifest says %s", hex, ixs->valuestring);
    }
    /* the corpus reader, lenient: every bad line listed (up to MAX_LISTED) */
    ictx ic = {&v, dir, 0};
    corpus_opts co = {index_problem, &ic, 1};
    if (!file_exists(p)) {
        problem(&v, "documents.jsonl.zst: missing");
    } else if (corpus_open_opts(&cp, dir, &co, e) != 0) {
        goto fail;
    } else {
        for (size_t i = 0; i < cp.n_files; i++) {
            const corpus_file *cf = &cp.files[i];
            int split = cf->split == CORPUS_DEV;
            vfile *f = NULL;
            for (int k = 0; k < nfiles; k++)
                if (!strcmp(files[k].path, cf->rel)) f = &files[k];
            /* assemble writes each file's documents in order, and its index
             * lines in that order: an index in another order is said once,
             * and its documents are then checked in file order */
            int sorted = 1;
            for (size_t d = 1; d < cf->n_docs && sorted; d++)
                if (cf->docs[d].offset < cf->docs[d - 1].offset) {
                    problem(&v, "documents.jsonl.zst:%llu: bytes [%llu, %llu) of %s come before line %llu's "
                                "[%llu, %llu): the index is not in file order (assemble writes each file's "
                                "documents, and their index lines, in order)",
                            (unsigned long long)cf->docs[d].line, (unsigned long long)cf->docs[d].offset,
                            (unsigned long long)(cf->docs[d].offset + cf->docs[d].length), cf->rel,
                            (unsigned long long)cf->docs[d - 1].line, (unsigned long long)cf->docs[d - 1].offset,
                            (unsigned long long)(cf->docs[d - 1].offset + cf->docs[d - 1].length));
                    sorted = 0;
                }
            if (!sorted) qsort(cf->docs, cf->n_docs, sizeof *cf->docs, cmp_doc_offset);
            for (size_t d = 0; d < cf->n_docs; d++) {
                const corpus_doc *x = &cf->docs[d];
                unsigned long long ln = (unsigned long long)x->line;
                uint64_t off = x->offset, dlen = x->length;
                /* assemble records each document's source beside where it put it */
                if (f && f->source && x->source && strcmp(x->source, f->source) && ic.bad++ < MAX_LISTED)
                    problem(&v, "documents.jsonl.zst:%llu: \"key\": {\"source\": \"%s\"}, but %s is of source "
                                "\"%s\" in manifest.json", ln, x->source, f->path, f->source);
                if (!f) {
                    if (ic.bad++ < MAX_LISTED)
                        problem(&v, "documents.jsonl.zst:%llu: file %s not in the manifest", ln, cf->rel);
                } else if (f->ok) {
                    /* the layout assemble writes: document, "\n\n", document,
                     * ..., document, "\n"; a span that swallows a separator (or
                     * a neighbour) or leaves bytes out is no document of it */
                    uint64_t want = f->last_end ? f->last_end + 2 : 0;   /* as assemble: "\n\n" after bytes */
                    if (off + dlen > f->size || off < f->last_end) {
                        if (ic.bad++ < MAX_LISTED)
                            problem(&v, "documents.jsonl.zst:%llu: bytes [%llu, %llu) outside %s or "
                                        "overlapping the previous document", ln, (unsigned long long)off,
                                    (unsigned long long)(off + dlen), f->path);
                    } else {
                        uint64_t w = words_in(f->map + off, dlen);
                        if (w != x->words && ic.bad++ < MAX_LISTED) {
                            sb_reset(&shown);
                            corpus_show_id(&shown, x);
                            problem(&v, "documents.jsonl.zst:%llu: id %s has %llu words in %s, index says %llu",
                                    ln, sb_cstr(&shown), (unsigned long long)w, f->path, (unsigned long long)x->words);
                        }
                        if (words_in(f->map + f->last_end, off - f->last_end)) {
                            if (ic.bad++ < MAX_LISTED)
                                problem(&v, "%s: words between documents at bytes [%llu, %llu)", f->path,
                                        (unsigned long long)f->last_end, (unsigned long long)off);
                        } else if (off != want || (want && memcmp(f->map + f->last_end, "\n\n", 2))) {
                            if (ic.bad++ < MAX_LISTED) {
                                if (want)
                                    problem(&v, "documents.jsonl.zst:%llu: bytes [%llu, %llu) of %s: expected the "
                                                "document at byte %llu, after exactly the \"\\n\\n\" that ends the "
                                                "one before it (bytes [%llu, %llu)); a document's span holds no "
                                                "separator and leaves no bytes out",
                                            ln, (unsigned long long)off, (unsigned long long)(off + dlen), f->path,
                                            (unsigned long long)(f->last_end + 2), (unsigned long long)f->last_end,
                                            (unsigned long long)off);
                                else
                                    problem(&v, "documents.jsonl.zst:%llu: bytes [%llu, %llu) of %s: expected the "
                                                "file's first document at byte 0",
                                            ln, (unsigned long long)off, (unsigned long long)(off + dlen), f->path);
                            }
                        }
                        f->last_end = off + dlen;
                        f->docs++;
                        f->doc_words += w;
                        if (w > 0) {   /* texts without words leak nothing */
                            if (ntexts == captexts) {
                                captexts = captexts ? captexts * 2 : 1024;
                                textrec *nt = realloc(texts, captexts * sizeof *nt);
                                if (!nt) { err_set(e, "out of memory"); goto fail; }
                                texts = nt;
                            }
                            /* one text whatever whitespace ends it, as assemble tells them */
                            size_t sa, sn;
                            utf8_strip(f->map + off, dlen, &sa, &sn);
                            texts[ntexts++] = (textrec){xxh3_64(f->map + off + sa, sn), (int)(f - files), off + sa,
                                                        sn, x->line, f->split};
                        }
                    }
                }
                if (nids == capids) {
                    capids = capids ? capids * 2 : 1024;
                    idrec *ni = realloc(ids, capids * sizeof *ni);
                    if (!ni) { err_set(e, "out of memory"); goto fail; }
                    ids = ni;
                }
                ids[nids++] = (idrec){x, split, x->line};
                if (split) r->dev_docs++;
                else r->docs++;
            }
        }
        if (ic.bad > MAX_LISTED) problem(&v, "documents.jsonl.zst: %d more problems not listed", ic.bad - MAX_LISTED);
        for (int i = 0; i < nfiles; i++) {
            vfile *f = &files[i];
            if (!f->ok) continue;
            if (f->docs != f->m_docs)
                problem(&v, "%s: %llu documents in documents.jsonl.zst, manifest says %llu", f->path,
                        (unsigned long long)f->docs, (unsigned long long)f->m_docs);
            if (words_in(f->map + f->last_end, f->size - f->last_end))
                problem(&v, "%s: words after the last indexed document", f->path);
            else if (f->docs && (f->size != f->last_end + 1 || f->map[f->last_end] != '\n'))
                problem(&v, "%s: expected one \"\\n\" after the last document (byte %llu), as assemble writes; "
                            "the file has %llu bytes", f->path, (unsigned long long)f->last_end,
                        (unsigned long long)f->size);
        }
        uint64_t ixd;
        if (!num(ix, "documents", &ixd))
            problem(&v, "manifest.json: \"index\" {documents} missing or not a whole number >= 0");
        else if (!ic.bad && ixd != r->docs + r->dev_docs)
            problem(&v, "documents.jsonl.zst: %llu documents, manifest's index.documents says %llu",
                    (unsigned long long)(r->docs + r->dev_docs), (unsigned long long)ixd);
        if (r->docs != docs)
            problem(&v, "documents.jsonl.zst: %llu training documents, manifest says %llu",
                    (unsigned long long)r->docs, (unsigned long long)docs);
        if (r->dev_docs != dev_docs)
            problem(&v, "documents.jsonl.zst: %llu dev documents, manifest says %llu",
                    (unsigned long long)r->dev_docs, (unsigned long long)dev_docs);
    }
    if (in_parent && cp.n_files) check_in_parent(&v, dir, parent, &cp, files, nfiles);
    /* ids: none twice, none in both splits */
    if (nids > 1) {
        qsort(ids, nids, sizeof *ids, cmp_id);
        int dups = 0;
        for (size_t i = 1; i < nids; i++) {
            if (corpus_id_cmp(ids[i].doc, ids[i - 1].doc)) continue;
            if (dups++ >= MAX_LISTED) continue;
            sb_reset(&shown);
            corpus_show_id(&shown, ids[i].doc);
            if (ids[i].split != ids[i - 1].split)
                problem(&v, "id %s is in both train and dev (documents.jsonl.zst lines %llu and %llu)",
                        sb_cstr(&shown), (unsigned long long)ids[i - 1].line, (unsigned long long)ids[i].line);
            else
                problem(&v, "id %s appears twice in %s (documents.jsonl.zst lines %llu and %llu)", sb_cstr(&shown),
                        ids[i].split ? "dev" : "train", (unsigned long long)ids[i - 1].line,
                        (unsigned long long)ids[i].line);
        }
        if (dups > MAX_LISTED) problem(&v, "%d more repeated ids not listed", dups - MAX_LISTED);
    }
    /* texts: none in both splits, whatever their ids (a dev document that is
     * also trained on measures nothing) */
    /* with dedup on (the config the manifest records), assemble takes one
     * document per text, and says so in "one_text_per_split": the same text
     * twice in one split is then an edit. An older blalm wrote no such key,
     * and its dedup could take one text twice (under two ids, or by a
     * cut_last cut): a manifest without it that has dedup on gets a note for
     * its repeats, not a problem. */
    const cJSON *mcfg = cJSON_GetObjectItemCaseSensitive(m, "config");
    int dedup = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(mcfg, "dedup"));
    const cJSON *otps = cJSON_GetObjectItemCaseSensitive(m, "one_text_per_split");
    int one_text = cJSON_IsTrue(otps), older = !otps && dedup;
    if (otps && !cJSON_IsBool(otps))
        problem(&v, "manifest.json: \"one_text_per_split\": expected true or false");
    else if (otps && one_text != dedup)
        problem(&v, "manifest.json: \"one_text_per_split\" is %s, but its config has dedup %s (assemble takes one "
                    "document per text exactly when dedup is on)", one_text ? "true" : "false", dedup ? "on" : "off");
    if (ntexts > 1) {
        qsort(texts, ntexts, sizeof *texts, cmp_text);
        int both = 0, twice = 0, repeats = 0;
        uint64_t rl0 = 0, rl1 = 0;
        int rsplit = 0;
        for (size_t i = 0; i < ntexts; i++) {
            for (size_t j = i + 1; j < ntexts && texts[j].hash == texts[i].hash; j++) {
                const textrec *a = &texts[i], *b = &texts[j];
                if (a->len != b->len || memcmp(files[a->file].map + a->off, files[b->file].map + b->off, a->len))
                    continue;
                const textrec *lo = a->line < b->line ? a : b, *hi = lo == a ? b : a;   /* by line */
                if (a->split == b->split) {
                    if (older) {
                        if (!repeats++ || lo->line < rl0) rl0 = lo->line, rl1 = hi->line, rsplit = a->split;
                        break;
                    }
                    if (!one_text) continue;
                    if (twice++ < MAX_LISTED)
                        problem(&v, "the same text is twice in %s (documents.jsonl.zst lines %llu and %llu, %s and %s), "
                                    "but the manifest records one_text_per_split (one document per text)",
                                a->split ? "dev" : "train", (unsigned long long)lo->line,
                                (unsigned long long)hi->line, files[lo->file].path, files[hi->file].path);
                    break;
                }
                if (both++ < MAX_LISTED)
                    problem(&v, "the same text is in train and dev (documents.jsonl.zst lines %llu and %llu, %s "
                                "and %s)", (unsigned long long)lo->line, (unsigned long long)hi->line,
                            files[a->file].path, files[b->file].path);
                break;
            }
        }
        if (repeats) {
            size_t n = strlen(r->note);
            snprintf(r->note + n, sizeof r->note - n,
                     "%s%d text%s repeated within a split (the first: %s, documents.jsonl.zst lines %llu and %llu), "
                     "though its config has dedup on: its manifest records no one_text_per_split (written by an "
                     "older blalm, whose dedup could take a text twice), so repeats are not problems; assemble it "
                     "again for one document per text", n ? "; " : "", repeats, repeats == 1 ? "" : "s",
                     rsplit ? "dev" : "train", (unsigned long long)rl0, (unsigned long long)rl1);
        }
        if (both > MAX_LISTED) problem(&v, "%d more texts in both splits not listed", both - MAX_LISTED);
        if (twice > MAX_LISTED) problem(&v, "%d more texts repeated in a split not listed", twice - MAX_LISTED);
    }
done:
    sb_free(&shown);
    free(ids);          /* its ids belong to cp */
    corpus_close(&cp);
    free(texts);
    for (int i = 0; i < nfiles; i++)
        if (files[i].ok && files[i].size) fmap_unmap((void *)files[i].map, files[i].size);
    free(files);
    cJSON_Delete(m);
    free(text);
    *problems = strdup(sb_cstr(&out));
    sb_free(&out);
    return v.problems;
fail:
    v.problems = -1;
    goto done;
}

int corpora_check_readable(const char *dir, blalm_err *e)
{
    char mpath[8300];
    snprintf(mpath, sizeof mpath, "%s/manifest.json", dir);
    if (access(mpath, F_OK) != 0) return 0;
    verify_result vr;
    char *problems = NULL;
    int np = corpora_verify(dir, NULL, &vr, &problems, e);
    if (np > 0) {
        char *nl = problems ? strchr(problems, '\n') : NULL;
        if (nl) *nl = 0;
        err_set(e, "%s: blalm verify finds %d problem%s in this corpus (the first: %s); only a corpus that matches "
                   "its manifest is read", dir, np, np == 1 ? "" : "s", problems ? problems : "?");
    }
    free(problems);
    return np == 0 ? 0 : -1;
}
