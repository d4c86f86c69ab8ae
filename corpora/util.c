/* util.c - external sort, hash map, folder removal and word prefixes for
 * the corpora stage. */
#include "corpora/internal.h"
#include "corpora/corpora.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/utf8.h"

/* ---- external sort ---------------------------------------------------- */

#define XS_MAX_RUNS 4096
#define XS_READ_BYTES (256 * 1024)

typedef struct xs_run {
    FILE *f;
    uint64_t count, pos;      /* records in the run, records consumed */
    char *buf;                /* read buffer */
    size_t buf_n, buf_i;      /* records in buf, next one */
} xs_run;

struct xsort {
    size_t rec, cap;          /* record size, records the memory buffer holds */
    int (*cmp)(const void *, const void *);
    char *mem;
    size_t n;                 /* records in mem */
    uint64_t total;
    char tmpdir[4096];
    xs_run *runs;
    int nruns;
    int *heap, nheap;         /* min-heap of run indices (merge phase) */
    size_t mem_i;             /* iteration position (in-memory phase) */
    int finished;
};

xsort *xs_open(size_t rec_size, int (*cmp)(const void *, const void *), size_t mem_bytes,
               const char *tmpdir, blalm_err *e)
{
    xsort *s = calloc(1, sizeof *s);
    if (!s) { err_set(e, "out of memory"); return NULL; }
    s->rec = rec_size;
    s->cmp = cmp;
    s->cap = mem_bytes / rec_size;
    if (s->cap < 64) s->cap = 64;
    snprintf(s->tmpdir, sizeof s->tmpdir, "%s", tmpdir && *tmpdir ? tmpdir : "/tmp");
    return s;
}

static int xs_spill(xsort *s, blalm_err *e)
{
    if (s->n == 0) return 0;
    if (s->nruns >= XS_MAX_RUNS)
        return err_set(e, "sort: more than %d runs; raise the memory limit", XS_MAX_RUNS);
    qsort(s->mem, s->n, s->rec, s->cmp);
    char path[4200];
    snprintf(path, sizeof path, "%s/.blalm-sort-XXXXXX", s->tmpdir);
    int fd = mkstemp(path);
    if (fd < 0) return err_errno(e, "%s: cannot create a sort run", path);
    unlink(path);  /* nothing left behind if we are killed */
    FILE *f = fdopen(fd, "w+b");
    if (!f) { close(fd); return err_errno(e, "%s", path); }
    if (fwrite(s->mem, s->rec, s->n, f) != s->n || fflush(f) != 0) {
        fclose(f);
        return err_errno(e, "%s: writing a sort run", s->tmpdir);
    }
    xs_run *nr = realloc(s->runs, (size_t)(s->nruns + 1) * sizeof *nr);
    if (!nr) { fclose(f); return err_set(e, "out of memory"); }
    s->runs = nr;
    memset(&s->runs[s->nruns], 0, sizeof s->runs[0]);
    s->runs[s->nruns].f = f;
    s->runs[s->nruns].count = s->n;
    s->nruns++;
    s->n = 0;
    return 0;
}

int xs_add(xsort *s, const void *rec, blalm_err *e)
{
    if (!s->mem) {
        s->mem = malloc(s->cap * s->rec);
        if (!s->mem) return err_set(e, "out of memory (sort buffer of %zu records)", s->cap);
    }
    if (s->n == s->cap && xs_spill(s, e) < 0) return -1;
    memcpy(s->mem + s->n * s->rec, rec, s->rec);
    s->n++;
    s->total++;
    return 0;
}

static const void *run_head(const xsort *s, int i)
{
    const xs_run *r = &s->runs[i];
    return r->buf + r->buf_i * s->rec;
}

/* Makes sure run i has a record buffered; returns 1, 0 when exhausted, -1. */
static int run_fill(xsort *s, int i, blalm_err *e)
{
    xs_run *r = &s->runs[i];
    if (r->buf_i < r->buf_n) return 1;
    if (r->pos >= r->count) return 0;
    size_t want = XS_READ_BYTES / s->rec;
    if (want < 1) want = 1;
    if (want > r->count - r->pos) want = (size_t)(r->count - r->pos);
    if (!r->buf) {
        r->buf = malloc((XS_READ_BYTES / s->rec + 1) * s->rec);
        if (!r->buf) return err_set(e, "out of memory");
    }
    if (fread(r->buf, s->rec, want, r->f) != want)
        return err_errno(e, "%s: reading a sort run", s->tmpdir);
    r->buf_n = want;
    r->buf_i = 0;
    r->pos += want;
    return 1;
}

static int heap_less(const xsort *s, int a, int b)
{
    int c = s->cmp(run_head(s, a), run_head(s, b));
    return c < 0 || (c == 0 && a < b);
}

static void heap_down(xsort *s, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->nheap && heap_less(s, s->heap[l], s->heap[m])) m = l;
        if (r < s->nheap && heap_less(s, s->heap[r], s->heap[m])) m = r;
        if (m == i) return;
        int t = s->heap[i]; s->heap[i] = s->heap[m]; s->heap[m] = t;
        i = m;
    }
}

int xs_finish(xsort *s, blalm_err *e)
{
    s->finished = 1;
    if (s->nruns == 0) {
        if (s->n) qsort(s->mem, s->n, s->rec, s->cmp);
        s->mem_i = 0;
        return 0;
    }
    if (xs_spill(s, e) < 0) return -1;
    free(s->mem);
    s->mem = NULL;
    s->heap = malloc((size_t)s->nruns * sizeof *s->heap);
    if (!s->heap) return err_set(e, "out of memory");
    s->nheap = 0;
    for (int i = 0; i < s->nruns; i++) {
        if (fseek(s->runs[i].f, 0, SEEK_SET) != 0) return err_errno(e, "sort run seek");
        int rc = run_fill(s, i, e);
        if (rc < 0) return -1;
        if (rc) s->heap[s->nheap++] = i;
    }
    for (int i = s->nheap / 2 - 1; i >= 0; i--) heap_down(s, i);
    return 0;
}

int xs_next(xsort *s, void *rec, blalm_err *e)
{
    if (s->nruns == 0) {
        if (s->mem_i >= s->n) return 0;
        memcpy(rec, s->mem + s->mem_i * s->rec, s->rec);
        s->mem_i++;
        return 1;
    }
    if (s->nheap == 0) return 0;
    int top = s->heap[0];
    memcpy(rec, run_head(s, top), s->rec);
    s->runs[top].buf_i++;
    int rc = run_fill(s, top, e);
    if (rc < 0) return -1;
    if (rc == 0) s->heap[0] = s->heap[--s->nheap];
    if (s->nheap) heap_down(s, 0);
    return 1;
}

uint64_t xs_count(const xsort *s) { return s->total; }
int xs_runs(const xsort *s) { return s->nruns; }

void xs_close(xsort *s)
{
    if (!s) return;
    for (int i = 0; i < s->nruns; i++) {
        if (s->runs[i].f) fclose(s->runs[i].f);
        free(s->runs[i].buf);
    }
    free(s->runs);
    free(s->heap);
    free(s->mem);
    free(s);
}

/* ---- u64 map ------------------------------------------------------------ */

void u64map_init(u64map *m) { memset(m, 0, sizeof *m); }

void u64map_free(u64map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

static size_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)(key & (cap - 1));
}

int u64map_get(const u64map *m, uint64_t key, uint64_t *val)
{
    if (!m->cap) return 0;
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == 0) return 0;
        if (m->keys[i] == key) {
            if (val) *val = m->vals[i];
            return 1;
        }
    }
}

static void u64map_grow(u64map *m)
{
    size_t ncap = m->cap ? m->cap * 2 : 1024;
    uint64_t *nk = calloc(ncap, sizeof *nk), *nv = calloc(ncap, sizeof *nv);
    if (!nk || !nv) { fprintf(stderr, "blalm: out of memory\n"); abort(); }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i]) continue;
        size_t j = slot_of(m->keys[i], ncap);
        while (nk[j]) j = (j + 1) & (ncap - 1);
        nk[j] = m->keys[i];
        nv[j] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = nk;
    m->vals = nv;
    m->cap = ncap;
}

void u64map_put(u64map *m, uint64_t key, uint64_t val)
{
    if (key == 0) key = 1;
    if ((m->n + 1) * 4 > m->cap * 3) u64map_grow(m);  /* load <= 0.75 */
    size_t i = slot_of(key, m->cap);
    while (m->keys[i] && m->keys[i] != key) i = (i + 1) & (m->cap - 1);
    if (!m->keys[i]) m->n++;
    m->keys[i] = key;
    m->vals[i] = val;
}

/* ---- folders ------------------------------------------------------------ */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int rm_tree(const char *path)
{
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- words ---------------------------------------------------------------- */

/* Decodes one code point (invalid bytes count as one non-space unit). */
static size_t next_cp(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (len > n) len = 1;
    if (len == 1) { *cp = c < 0x80 ? c : 0xFFFD; return 1; }
    uint32_t v = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) { *cp = 0xFFFD; return 1; }
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
}

size_t prefix_bytes_for_words(const char *s, size_t n, uint64_t k)
{
    const unsigned char *u = (const unsigned char *)s;
    uint64_t words = 0;
    int in_word = 0;
    size_t i = 0, end = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = next_cp(u + i, n - i, &cp);
        int space = py_isspace(cp);
        if (!space && !in_word) {
            if (words == k) return end;
            words++;
        }
        in_word = !space;
        i += len;
        if (!space) end = i;
    }
    return end;
}

long peak_rss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return ru.ru_maxrss;
}
