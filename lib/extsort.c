/* extsort.c - see extsort.h. */
#include "extsort.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"

#define XS_MAX_RUNS 4096
#define XS_READ_BYTES (64 * 1024)

typedef struct xs_run {
    FILE *f;
    uint64_t count, pos;      /* records in the run, records read from it */
    char *buf;                /* read buffer */
    size_t buf_n, buf_i;      /* records in buf, next one */
} xs_run;

struct xsort {
    size_t rec, cap;          /* record size, records the memory buffer holds */
    int (*cmp)(const void *, const void *);
    int kv;                   /* records are xs_kv: radix sort, inline compare */
    char *mem, *scratch;      /* scratch: the radix pass's second buffer (kv) */
    size_t n;                 /* records in mem */
    uint64_t total;
    char tmpdir[4096];
    int tmpdir_made;
    xs_run *runs;
    int nruns;
    int *heap, nheap;         /* min-heap of run indices (merge phase) */
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

static int xs_spill(xsort *s, blalm_err *e)
{
    if (s->n == 0) return 0;
    if (s->nruns >= XS_MAX_RUNS)
        return err_set(e, "sort: more than %d runs; raise the memory limit", XS_MAX_RUNS);
    if (sort_mem(s, e) < 0) return -1;
    if (!s->tmpdir_made) {
        if (mkdir_p(s->tmpdir, e) < 0) return -1;
        s->tmpdir_made = 1;
    }
    /* An unnamed file (O_TMPFILE): nothing is left behind, even by a kill.
     * Where the file system lacks it, a named one unlinked at once. */
    char path[4200];
    int fd = -1;
#ifdef O_TMPFILE
    fd = open(s->tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
    if (fd < 0) {
        snprintf(path, sizeof path, "%s/.blalm-sort-XXXXXX", s->tmpdir);
        fd = mkstemp(path);
        if (fd < 0) return err_errno(e, "%s: cannot create a sort run", path);
        unlink(path);
    } else {
        snprintf(path, sizeof path, "%s", s->tmpdir);
    }
    FILE *f = fdopen(fd, "w+b");
    if (!f) {
        close(fd);
        return err_errno(e, "%s", path);
    }
    if (fwrite(s->mem, s->rec, s->n, f) != s->n || fflush(f) != 0) {
        fclose(f);
        return err_errno(e, "%s: writing a sort run", s->tmpdir);
    }
    xs_run *nr = realloc(s->runs, (size_t)(s->nruns + 1) * sizeof *nr);
    if (!nr) {
        fclose(f);
        return err_set(e, "out of memory");
    }
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
    size_t per = XS_READ_BYTES / s->rec;
    if (per < 1) per = 1;
    size_t want = per;
    if (want > r->count - r->pos) want = (size_t)(r->count - r->pos);
    if (!r->buf) {
        r->buf = malloc(per * s->rec);
        if (!r->buf) return err_set(e, "out of memory");
    }
    if (fread(r->buf, s->rec, want, r->f) != want)
        return err_errno(e, "%s: reading a sort run", s->tmpdir);
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

int xs_finish(xsort *s, blalm_err *e)
{
    if (s->nruns == 0) {
        if (sort_mem(s, e) < 0) return -1;
        free(s->scratch);   /* no longer needed: lowers the peak over many sorters */
        s->scratch = NULL;
        s->mem_i = 0;
        return 0;
    }
    if (xs_spill(s, e) < 0) return -1;
    free(s->scratch);
    s->scratch = NULL;
    free(s->mem);           /* the merge needs only the runs' read buffers */
    s->mem = NULL;
    s->heap = malloc((size_t)s->nruns * sizeof *s->heap);
    if (!s->heap) return err_set(e, "out of memory merging %d sort runs", s->nruns);
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
    free(s->scratch);
    free(s);
}
