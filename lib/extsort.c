/* extsort.c - see extsort.h. */
#include "extsort.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

/* The merge reads each run through a buffer cut from the memory budget:
 * at least XS_MIN_READ bytes (so a tiny budget still reads whole pages), at
 * most XS_MAX_READ (larger gains nothing). A merge takes at most
 * XS_MAX_FANIN runs, and at most budget / XS_MIN_READ; beyond that, passes
 * merge groups of runs into longer runs until one merge takes them all. */
#define XS_MIN_READ (4 * 1024)
#define XS_MAX_READ (64 * 1024)
#define XS_MAX_FANIN 256

typedef struct xs_span {
    uint64_t start, count;    /* a sorted run: records [start, start + count) of the file */
} xs_span;

typedef struct xs_run {
    uint64_t start, count, pos; /* the run's span, records read from it */
    char *buf;                /* read buffer (a slice of the sorter's rbuf) */
    size_t buf_cap, buf_n, buf_i; /* records buf holds, records in it, next one */
} xs_run;

struct xsort {
    size_t rec, cap;          /* record size, records the memory buffer holds */
    size_t budget;            /* bytes: the sort buffer (and scratch); the merge's buffers */
    int (*cmp)(const void *, const void *);
    int kv;                   /* records are xs_kv: radix sort, inline compare */
    char *mem, *scratch;      /* scratch: the radix pass's second buffer (kv) */
    size_t n;                 /* records in mem */
    uint64_t total;
    char tmpdir[4096];
    int tmpdir_made;
    /* Every run lives in one unlinked file (one descriptor per sorter, however
     * many runs): spans[] says where. A merge pass writes a second file and
     * the first is closed. */
    int fd;
    uint64_t file_recs;       /* records written to fd */
    xs_span *spans;
    int nspans, spans_cap;
    int nspilled;             /* runs spilled from memory (xs_runs) */
    int passes;               /* merge passes before the final merge */
    xs_run *runs;             /* the merge's cursors, one per span merged */
    char *rbuf;               /* the merge's read buffers */
    int *heap, nheap;         /* min-heap of run indices (merge phase) */
    int merging;              /* xs_finish spilled: xs_next merges */
    size_t mem_i;             /* iteration position (in-memory phase) */
};

static int kv_cmp(const void *pa, const void *pb)
{
    const xs_kv *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->val < b->val ? -1 : a->val > b->val;
}

static inline int kv_less(const xs_kv *a, const xs_kv *b)
{
    return a->key < b->key || (a->key == b->key && a->val < b->val);
}

static xsort *open_common(size_t rec, size_t cap, const char *tmpdir, blalm_err *e)
{
    xsort *s = calloc(1, sizeof *s);
    if (!s) {
        err_set(e, "out of memory");
        return NULL;
    }
    s->rec = rec;
    s->cap = cap;
    s->budget = cap * rec;
    s->fd = -1;
    snprintf(s->tmpdir, sizeof s->tmpdir, "%s", tmpdir && *tmpdir ? tmpdir : "/tmp");
    return s;
}

xsort *xs_open(size_t rec_size, int (*cmp)(const void *, const void *), size_t mem_bytes,
               const char *tmpdir, blalm_err *e)
{
    size_t cap = mem_bytes / rec_size;
    xsort *s = open_common(rec_size, cap < 64 ? 64 : cap, tmpdir, e);
    if (s) s->cmp = cmp;
    return s;
}

xsort *xs_open_kv(size_t mem_bytes, const char *tmpdir, blalm_err *e)
{
    size_t cap = mem_bytes / (2 * sizeof(xs_kv));   /* data + radix scratch */
    xsort *s = open_common(sizeof(xs_kv), cap < 1024 ? 1024 : cap, tmpdir, e);
    if (!s) return NULL;
    s->budget *= 2;
    s->cmp = kv_cmp;
    s->kv = 1;
    return s;
}

/* Sorts n kv records by (key, val). Keys are hashes: two LSD counting passes
 * of 11 bits order the records by the top 22 bits of the key (2,048
 * destinations a pass, so the scatter stays in cache), leaving runs of a few
 * records that insertion sort finishes (qsort for a rare long run of equal
 * top bits). */
static void sort_kv(xs_kv *a, xs_kv *t, size_t n)
{
    if (n < 2) return;
    xs_kv *orig = a;
    for (int shift = 42; shift <= 53; shift += 11) {
        size_t count[2048] = {0};
        for (size_t i = 0; i < n; i++) count[(a[i].key >> shift) & 2047]++;
        size_t sum = 0;
        for (int b = 0; b < 2048; b++) {
            size_t c = count[b];
            count[b] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) t[count[(a[i].key >> shift) & 2047]++] = a[i];
        xs_kv *sw = a;
        a = t;
        t = sw;
    }
    /* two passes: a is orig again */
    (void)orig;
    for (size_t lo = 0; lo < n;) {
        uint64_t top = a[lo].key >> 42;
        size_t hi = lo + 1;
        while (hi < n && a[hi].key >> 42 == top) hi++;
        if (hi - lo > 32) {
            qsort(a + lo, hi - lo, sizeof *a, kv_cmp);
        } else {
            for (size_t i = lo + 1; i < hi; i++) {
                xs_kv v = a[i];
                size_t j = i;
                while (j > lo && kv_less(&v, &a[j - 1])) {
                    a[j] = a[j - 1];
                    j--;
                }
                a[j] = v;
            }
        }
        lo = hi;
    }
}

static int sort_mem(xsort *s, blalm_err *e)
{
    if (s->n < 2) return 0;
    if (!s->kv) {
        qsort(s->mem, s->n, s->rec, s->cmp);
        return 0;
    }
    if (!s->scratch) {
        s->scratch = malloc(s->cap * s->rec);
        if (!s->scratch) return err_set(e, "out of memory: sort scratch of %zu records", s->cap);
    }
    sort_kv((xs_kv *)(void *)s->mem, (xs_kv *)(void *)s->scratch, s->n);
    return 0;
}

/* A new unnamed file (O_TMPFILE) in tmpdir: nothing is left behind, even by
 * a kill. Where the file system lacks it, a named one unlinked at once. */
static int run_file(xsort *s, blalm_err *e)
{
    if (!s->tmpdir_made) {
        if (mkdir_p(s->tmpdir, e) < 0) return -1;
        s->tmpdir_made = 1;
    }
    int fd = -1;
#ifdef O_TMPFILE
    fd = open(s->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
    if (fd < 0) {
        char path[4200];
        snprintf(path, sizeof path, "%s/.blalm-sort-XXXXXX", s->tmpdir);
        fd = mkstemp(path);
        if (fd >= 0) unlink(path);
    }
    if (fd < 0) {
        int en = errno;
        if (en == EMFILE || en == ENFILE)
            return err_set(e, "%s: cannot create a temporary sort file in this folder: %s (the "
                              "process has too many files open; raise the limit with ulimit -n, "
                              "or give more memory with --mem)", s->tmpdir, strerror(en));
        errno = en;
        return err_errno(e, "%s: cannot create a temporary sort file in this folder", s->tmpdir);
    }
    return fd;
}

static int write_all(const xsort *s, int fd, const char *p, size_t len, blalm_err *e)
{
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return err_errno(e, "%s: writing a temporary sort file", s->tmpdir);
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static int add_span(xs_span **spans, int *n, int *cap, uint64_t start, uint64_t count, blalm_err *e)
{
    if (*n == *cap) {
        int nc = *cap ? 2 * *cap : 16;
        xs_span *ns = realloc(*spans, (size_t)nc * sizeof *ns);
        if (!ns) return err_set(e, "out of memory (sort runs)");
        *spans = ns;
        *cap = nc;
    }
    (*spans)[*n].start = start;
    (*spans)[*n].count = count;
    (*n)++;
    return 0;
}

static int xs_spill(xsort *s, blalm_err *e)
{
    if (s->n == 0) return 0;
    if (sort_mem(s, e) < 0) return -1;
    if (s->fd < 0 && (s->fd = run_file(s, e)) < 0) return -1;
    if (write_all(s, s->fd, s->mem, s->n * s->rec, e) < 0) return -1;
    if (add_span(&s->spans, &s->nspans, &s->spans_cap, s->file_recs, s->n, e) < 0) return -1;
    s->file_recs += s->n;
    s->nspilled++;
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

static inline const void *run_head(const xsort *s, int i)
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
    size_t want = r->buf_cap;
    if (want > r->count - r->pos) want = (size_t)(r->count - r->pos);
    size_t len = want * s->rec, got = 0;
    off_t off = (off_t)((r->start + r->pos) * s->rec);
    while (got < len) {
        ssize_t k = pread(s->fd, r->buf + got, len - got, off + (off_t)got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return err_errno(e, "%s: reading a temporary sort file", s->tmpdir);
        if (k == 0)
            return err_set(e, "%s: reading a temporary sort file: it ends at byte %lld, before "
                              "its %llu records", s->tmpdir, (long long)(off + (off_t)got),
                           (unsigned long long)s->file_recs);
        got += (size_t)k;
    }
    r->buf_n = want;
    r->buf_i = 0;
    r->pos += want;
    return 1;
}

/* Ties go to the lower run: equal records keep the order of the runs. */
static inline int heap_less(const xsort *s, int a, int b)
{
    if (s->kv) {
        const xs_kv *x = run_head(s, a), *y = run_head(s, b);
        if (x->key != y->key) return x->key < y->key;
        if (x->val != y->val) return x->val < y->val;
        return a < b;
    }
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
        int t = s->heap[i];
        s->heap[i] = s->heap[m];
        s->heap[m] = t;
        i = m;
    }
}

/* Starts merging spans [first, first + n) with read buffers of per records
 * each (the cursors, buffers and heap were sized for at least n). */
static int merge_start(xsort *s, int first, int n, size_t per, blalm_err *e)
{
    s->nheap = 0;
    for (int i = 0; i < n; i++) {
        xs_run *r = &s->runs[i];
        memset(r, 0, sizeof *r);
        r->start = s->spans[first + i].start;
        r->count = s->spans[first + i].count;
        r->buf = s->rbuf + (size_t)i * per * s->rec;
        r->buf_cap = per;
        int rc = run_fill(s, i, e);
        if (rc < 0) return -1;
        if (rc) s->heap[s->nheap++] = i;
    }
    for (int i = s->nheap / 2 - 1; i >= 0; i--) heap_down(s, i);
    return 0;
}

/* The smallest record of the merge: 1, 0 when every run is exhausted, -1. */
static int merge_pop(xsort *s, void *rec, blalm_err *e)
{
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

/* Records a buffer of `bytes` holds, within [XS_MIN_READ, XS_MAX_READ]
 * bytes and at least one record. */
static size_t buf_records(const xsort *s, size_t bytes)
{
    if (bytes < XS_MIN_READ) bytes = XS_MIN_READ;
    if (bytes > XS_MAX_READ) bytes = XS_MAX_READ;
    size_t per = bytes / s->rec;
    return per ? per : 1;
}

/* One pass: merges each group of `fanin` consecutive runs into one run of a
 * new file, which replaces the old one. Groups are consecutive and ties go
 * to the lower run, so the final order is that of a single merge. */
static int merge_pass(xsort *s, int fanin, size_t per, blalm_err *e)
{
    int out = run_file(s, e);
    if (out < 0) return -1;
    xs_span *spans = NULL;
    int nspans = 0, spans_cap = 0;
    size_t wcap = per, wn = 0;
    char *wbuf = malloc(wcap * s->rec);
    uint64_t written = 0;
    if (!wbuf) {
        err_set(e, "out of memory (sort merge buffer)");
        goto fail;
    }
    for (int g = 0; g < s->nspans; g += fanin) {
        int n = s->nspans - g < fanin ? s->nspans - g : fanin;
        if (merge_start(s, g, n, per, e) < 0) goto fail;
        uint64_t start = written;
        int rc;
        while ((rc = merge_pop(s, wbuf + wn * s->rec, e)) == 1) {
            written++;
            if (++wn == wcap) {
                if (write_all(s, out, wbuf, wn * s->rec, e) < 0) goto fail;
                wn = 0;
            }
        }
        if (rc < 0) goto fail;
        if (wn && write_all(s, out, wbuf, wn * s->rec, e) < 0) goto fail;
        wn = 0;
        if (add_span(&spans, &nspans, &spans_cap, start, written - start, e) < 0) goto fail;
    }
    free(wbuf);
    close(s->fd);
    s->fd = out;
    s->file_recs = written;
    free(s->spans);
    s->spans = spans;
    s->nspans = nspans;
    s->spans_cap = spans_cap;
    s->passes++;
    return 0;
fail:
    free(wbuf);
    free(spans);
    close(out);
    return -1;
}

int xs_finish(xsort *s, blalm_err *e)
{
    if (s->nspilled == 0) {
        if (sort_mem(s, e) < 0) return -1;
        free(s->scratch);   /* no longer needed: lowers the peak over many sorters */
        s->scratch = NULL;
        s->mem_i = 0;
        return 0;
    }
    if (xs_spill(s, e) < 0) return -1;
    free(s->scratch);
    s->scratch = NULL;
    free(s->mem);           /* the merge needs only its read buffers, from the same budget */
    s->mem = NULL;
    /* The fan-in: as many runs as the budget gives XS_MIN_READ each (at
     * least 2, at most XS_MAX_FANIN). */
    size_t fmax = s->budget / XS_MIN_READ;
    int fanin = fmax < 2 ? 2 : fmax > XS_MAX_FANIN ? XS_MAX_FANIN : (int)fmax;
    int slots = s->nspans < fanin ? s->nspans : fanin;
    /* a pass holds fanin read buffers and one write buffer; the final merge
     * only the read buffers, one per remaining run */
    size_t per = buf_records(s, s->budget / (size_t)(slots + (s->nspans > fanin)));
    size_t rbuf_bytes = (size_t)slots * per * s->rec;
    s->runs = malloc((size_t)slots * sizeof *s->runs);
    s->heap = malloc((size_t)slots * sizeof *s->heap);
    s->rbuf = malloc(rbuf_bytes);
    if (!s->runs || !s->heap || !s->rbuf)
        return err_set(e, "out of memory merging %d sort runs", s->nspans);
    while (s->nspans > fanin)
        if (merge_pass(s, fanin, per, e) < 0) return -1;
    per = buf_records(s, s->budget / (size_t)s->nspans);
    if ((size_t)s->nspans * per * s->rec > rbuf_bytes) {   /* fewer runs after passes: larger buffers */
        free(s->rbuf);
        s->rbuf = malloc((size_t)s->nspans * per * s->rec);
        if (!s->rbuf) return err_set(e, "out of memory merging %d sort runs", s->nspans);
    }
    if (merge_start(s, 0, s->nspans, per, e) < 0) return -1;
    s->merging = 1;
    return 0;
}

int xs_next(xsort *s, void *rec, blalm_err *e)
{
    if (!s->merging) {
        if (s->mem_i >= s->n) return 0;
        memcpy(rec, s->mem + s->mem_i * s->rec, s->rec);
        s->mem_i++;
        return 1;
    }
    return merge_pop(s, rec, e);
}

uint64_t xs_count(const xsort *s) { return s->total; }
int xs_runs(const xsort *s) { return s->nspilled; }
int xs_merge_passes(const xsort *s) { return s->passes; }

void xs_close(xsort *s)
{
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    free(s->spans);
    free(s->runs);
    free(s->rbuf);
    free(s->heap);
    free(s->mem);
    free(s->scratch);
    free(s);
}
