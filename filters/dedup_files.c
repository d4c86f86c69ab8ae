/* dedup_files.c - binary file formats of the dedup stage (headers that carry
 * the configuration, atomic writers) and the external sort used to turn
 * band hashes into candidate pairs in bounded memory. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "filters/dedup_internal.h"
#include "lib/fsutil.h"

_Static_assert(sizeof(dd_header) == 80, "dd_header has no padding");

static uint32_t config_flags(const dd_config *c)
{
    return (uint32_t)((c->store_shingles ? 1 : 0) | (c->exact_id ? 2 : 0) |
                      (c->exact_text ? 4 : 0) | (c->exact_url ? 8 : 0));
}

void dd_header_fill(dd_header *h, const dd_config *c, uint32_t kind)
{
    memset(h, 0, sizeof *h);
    memcpy(h->magic, DD_MAGIC, 8);
    h->version = DD_VERSION;
    h->kind = kind;
    h->bands = (uint32_t)c->bands;
    h->rows = (uint32_t)c->rows;
    h->shingle = (uint32_t)c->shingle;
    h->flags = config_flags(c);
    h->seed = c->seed;
    h->minhash_norm = c->minhash_norm;
    h->exact_norm = c->exact_norm;
    h->keep_field_hash = XXH3_64bits(c->keep_field, strlen(c->keep_field));
}

static const char *kind_name(uint32_t k)
{
    switch (k) {
    case DD_FILE_SIG: return "signature";
    case DD_FILE_SHINGLES: return "shingle";
    case DD_FILE_PAIRS: return "bucket";
    case DD_FILE_CLUSTERS: return "cluster";
    default: return "unknown";
    }
}

int dd_header_check(const dd_header *h, const dd_config *c, uint32_t kind,
                    const char *path, blalm_err *e)
{
    if (memcmp(h->magic, DD_MAGIC, 8))
        return err_set(e, "%s: not a blalm dedup file (bad magic number)", path);
    if (h->version != DD_VERSION)
        return err_set(e, "%s: dedup file version %u, this blalm writes version %u",
                       path, h->version, DD_VERSION);
    if (h->kind != kind)
        return err_set(e, "%s: is a %s file, expected a %s file", path, kind_name(h->kind),
                       kind_name(kind));
    dd_header want;
    dd_header_fill(&want, c, kind);
    const char *fix = "; remove WORK/state/dedup or rerun with the same settings";
#define DD_FIELD(f, what)                                                               \
    if (h->f != want.f)                                                                 \
        return err_set(e, "%s: %s file from another configuration: %s %llu in the file, "  \
                          "%llu in this run%s", path, kind_name(kind), what,            \
                       (unsigned long long)h->f, (unsigned long long)want.f, fix);
    DD_FIELD(bands, "bands")
    DD_FIELD(rows, "rows (hashes per band)")
    DD_FIELD(shingle, "shingle size")
    DD_FIELD(seed, "seed")
    DD_FIELD(minhash_norm, "minhash normalisation flags")
    DD_FIELD(exact_norm, "exact normalisation flags")
    DD_FIELD(keep_field_hash, "keep-field hash")
#undef DD_FIELD
    /* store_shingles only matters for shingle files; exact-key bits always. */
    if ((h->flags & ~1u) != (want.flags & ~1u))
        return err_set(e, "%s: %s file from another configuration: exact keys differ%s",
                       path, kind_name(kind), fix);
    return 0;
}

FILE *dd_open_checked(const char *path, const dd_config *c, uint32_t kind,
                      size_t recsize, dd_header *h, blalm_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err_errno(e, "%s", path);
        return NULL;
    }
    struct stat sb;
    if (fstat(fileno(f), &sb) < 0) {
        err_errno(e, "%s", path);
        fclose(f);
        return NULL;
    }
    if ((size_t)sb.st_size < sizeof *h || fread(h, sizeof *h, 1, f) != 1) {
        err_set(e, "%s: truncated: %lld bytes, shorter than the %zu-byte header", path,
                (long long)sb.st_size, sizeof *h);
        fclose(f);
        return NULL;
    }
    if (dd_header_check(h, c, kind, path, e) < 0) {
        fclose(f);
        return NULL;
    }
    if (recsize) {
        uint64_t want = sizeof *h + h->count * (uint64_t)recsize;
        if ((uint64_t)sb.st_size != want) {
            err_set(e, "%s: truncated or corrupt: header says %llu records (%llu bytes), "
                       "file has %lld bytes", path, (unsigned long long)h->count,
                    (unsigned long long)want, (long long)sb.st_size);
            fclose(f);
            return NULL;
        }
    }
    return f;
}

/* ---- atomic writers ---------------------------------------------------- */

struct dd_bwriter {
    FILE *f;
    char path[4096], tmp[4200];
};

static void tmp_for(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(out, cap, "%.*s/.%s.tmp.%ld", (int)(slash - path), path, slash + 1,
                 (long)getpid());
    else
        snprintf(out, cap, ".%s.tmp.%ld", path, (long)getpid());
}

int dd_mkdirs(const char *path, blalm_err *e)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf) return err_set(e, "%s: path too long", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char c = buf[i];
            buf[i] = 0;
            if (mkdir(buf, 0777) < 0 && errno != EEXIST) return err_errno(e, "mkdir %s", buf);
            buf[i] = c;
        }
    }
    return 0;
}

static int mkdir_parent_of(const char *path, blalm_err *e)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    return dd_mkdirs(dir, e);
}

dd_bwriter *dd_bw_open(const char *path, blalm_err *e)
{
    if (mkdir_parent_of(path, e) < 0) return NULL;
    dd_bwriter *w = calloc(1, sizeof *w);
    if (!w) {
        err_set(e, "out of memory");
        return NULL;
    }
    snprintf(w->path, sizeof w->path, "%s", path);
    remove_stale_temps(path);   /* a killed run's leftover of this file */
    tmp_for(path, w->tmp, sizeof w->tmp);
    w->f = fopen(w->tmp, "wb");
    if (!w->f) {
        err_errno(e, "%s", w->tmp);
        free(w);
        return NULL;
    }
    static const char buf[sizeof(dd_header)];   /* header placeholder, rewritten at commit */
    if (fwrite(buf, sizeof buf, 1, w->f) != 1) {
        err_errno(e, "%s", w->tmp);
        dd_bw_abort(w);
        return NULL;
    }
    return w;
}

int dd_bw_write(dd_bwriter *w, const void *p, size_t n, blalm_err *e)
{
    if (n && fwrite(p, n, 1, w->f) != 1) return err_errno(e, "%s", w->tmp);
    return 0;
}

int dd_bw_commit(dd_bwriter *w, const dd_header *h, blalm_err *e)
{
    int rc = 0;
    if (fflush(w->f) || fseek(w->f, 0, SEEK_SET) || fwrite(h, sizeof *h, 1, w->f) != 1 ||
        fflush(w->f) || fsync(fileno(w->f)))
        rc = err_errno(e, "%s", w->tmp);
    if (fclose(w->f) && !rc) rc = err_errno(e, "%s", w->tmp);
    w->f = NULL;
    if (!rc && rename(w->tmp, w->path) < 0) rc = err_errno(e, "rename %s", w->path);
    if (rc) unlink(w->tmp);
    free(w);
    return rc;
}

void dd_bw_abort(dd_bwriter *w)
{
    if (!w) return;
    if (w->f) fclose(w->f);
    unlink(w->tmp);
    free(w);
}

int dd_write_small(const char *path, const char *data, size_t n, blalm_err *e)
{
    if (mkdir_parent_of(path, e) < 0) return -1;
    char tmp[4200];
    remove_stale_temps(path);
    tmp_for(path, tmp, sizeof tmp);
    FILE *f = fopen(tmp, "wb");
    if (!f) return err_errno(e, "%s", tmp);
    int bad = (n && fwrite(data, n, 1, f) != 1) || fflush(f) || fsync(fileno(f));
    if (fclose(f)) bad = 1;
    if (bad || rename(tmp, path) < 0) {
        err_errno(e, "%s", path);
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ---- external sort ----------------------------------------------------- */

typedef struct run_reader {
    FILE *f;
    dd_kv buf[4096];
    size_t n, i;
} run_reader;

struct dd_xsort {
    char dir[4096];
    dd_kv *buf, *tmp;
    size_t cap, n;
    int nruns;
    run_reader *readers;
    int *heap, nheap;     /* min-heap of reader indices */
    size_t pos;           /* in-memory iteration */
    int merging;
};

dd_xsort *dd_xsort_new(const char *tmpdir, size_t mem_bytes, blalm_err *e)
{
    dd_xsort *x = calloc(1, sizeof *x);
    if (!x) {
        err_set(e, "out of memory");
        return NULL;
    }
    snprintf(x->dir, sizeof x->dir, "%s", tmpdir);
    x->cap = mem_bytes / (2 * sizeof(dd_kv));   /* data + radix scratch */
    if (x->cap < 1024) x->cap = 1024;
    x->buf = malloc(x->cap * sizeof *x->buf);
    x->tmp = malloc(x->cap * sizeof *x->tmp);
    if (!x->buf || !x->tmp) {
        err_set(e, "out of memory: sort buffer of %zu bytes", mem_bytes);
        dd_xsort_free(x);
        return NULL;
    }
    return x;
}

static int kv_cmp(const void *pa, const void *pb)
{
    const dd_kv *a = pa, *b = pb;
    if (a->key != b->key) return a->key < b->key ? -1 : 1;
    return a->val < b->val ? -1 : a->val > b->val;
}

/* Sorts x->buf[0..n) by (key, val). Keys are hashes: two LSD counting
 * passes of 11 bits order the records by the top 22 bits of the key (2,048
 * destinations a pass, so the scatter stays in cache), leaving runs of a few
 * records that insertion sort finishes (qsort for a rare long run of equal
 * keys). */
static void sort_kv(dd_xsort *x)
{
    size_t n = x->n;
    dd_kv *a = x->buf, *t = x->tmp;
    if (n < 2) return;
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
        dd_kv *sw = a;
        a = t;
        t = sw;
    }
    /* a == x->buf again after two passes */
    for (size_t lo = 0; lo < n;) {
        uint64_t top = a[lo].key >> 42;
        size_t hi = lo + 1;
        while (hi < n && a[hi].key >> 42 == top) hi++;
        if (hi - lo > 32) {
            qsort(a + lo, hi - lo, sizeof *a, kv_cmp);
        } else {
            for (size_t i = lo + 1; i < hi; i++) {
                dd_kv v = a[i];
                size_t j = i;
                while (j > lo && kv_cmp(&a[j - 1], &v) > 0) {
                    a[j] = a[j - 1];
                    j--;
                }
                a[j] = v;
            }
        }
        lo = hi;
    }
}

static void run_path(const dd_xsort *x, int i, char *out, size_t cap)
{
    snprintf(out, cap, "%s/run-%05d.bin", x->dir, i);
}

static int spill(dd_xsort *x, blalm_err *e)
{
    if (x->nruns == 0 && dd_mkdirs(x->dir, e) < 0) return -1;
    sort_kv(x);
    char path[4200];
    run_path(x, x->nruns, path, sizeof path);
    FILE *f = fopen(path, "wb");
    if (!f) return err_errno(e, "%s", path);
    int bad = x->n && fwrite(x->buf, sizeof *x->buf, x->n, f) != x->n;
    if (fclose(f) || bad) return err_errno(e, "%s", path);
    x->nruns++;
    x->n = 0;
    return 0;
}

int dd_xsort_add(dd_xsort *x, uint64_t key, uint64_t val, blalm_err *e)
{
    if (x->n == x->cap && spill(x, e) < 0) return -1;
    x->buf[x->n].key = key;
    x->buf[x->n].val = val;
    x->n++;
    return 0;
}

static int kv_less(const dd_kv *a, const dd_kv *b)
{
    return a->key < b->key || (a->key == b->key && a->val < b->val);
}

static int reader_fill(run_reader *r)
{
    r->n = fread(r->buf, sizeof r->buf[0], sizeof r->buf / sizeof r->buf[0], r->f);
    r->i = 0;
    return r->n > 0;
}

static int heap_less(dd_xsort *x, int a, int b)
{
    run_reader *ra = &x->readers[a], *rb = &x->readers[b];
    return kv_less(&ra->buf[ra->i], &rb->buf[rb->i]);
}

static void heap_down(dd_xsort *x, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, m = i;
        if (l < x->nheap && heap_less(x, x->heap[l], x->heap[m])) m = l;
        if (r < x->nheap && heap_less(x, x->heap[r], x->heap[m])) m = r;
        if (m == i) return;
        int t = x->heap[i];
        x->heap[i] = x->heap[m];
        x->heap[m] = t;
        i = m;
    }
}

int dd_xsort_finish(dd_xsort *x, blalm_err *e)
{
    if (x->nruns == 0) {
        sort_kv(x);
        free(x->tmp);   /* scratch no longer needed: lowers the peak over many sorters */
        x->tmp = NULL;
        x->pos = 0;
        return 0;
    }
    if (x->n && spill(x, e) < 0) return -1;
    free(x->tmp);
    x->tmp = NULL;
    free(x->buf);   /* merge needs only the readers' buffers */
    x->buf = NULL;
    x->readers = calloc((size_t)x->nruns, sizeof *x->readers);
    x->heap = calloc((size_t)x->nruns, sizeof *x->heap);
    if (!x->readers || !x->heap) return err_set(e, "out of memory merging %d runs", x->nruns);
    x->merging = 1;
    for (int i = 0; i < x->nruns; i++) {
        char path[4200];
        run_path(x, i, path, sizeof path);
        x->readers[i].f = fopen(path, "rb");
        if (!x->readers[i].f) return err_errno(e, "%s", path);
        if (reader_fill(&x->readers[i])) x->heap[x->nheap++] = i;
    }
    for (int i = x->nheap / 2 - 1; i >= 0; i--) heap_down(x, i);
    return 0;
}

int dd_xsort_next(dd_xsort *x, dd_kv *out, blalm_err *e)
{
    if (!x->merging) {
        if (x->pos >= x->n) return 0;
        *out = x->buf[x->pos++];
        return 1;
    }
    if (x->nheap == 0) return 0;
    run_reader *r = &x->readers[x->heap[0]];
    *out = r->buf[r->i++];
    if (r->i == r->n && !reader_fill(r)) {
        if (ferror(r->f)) return err_errno(e, "%s: reading a sort run", x->dir);
        x->heap[0] = x->heap[--x->nheap];
    }
    if (x->nheap) heap_down(x, 0);
    return 1;
}

int dd_xsort_runs(const dd_xsort *x) { return x->nruns; }

void dd_xsort_free(dd_xsort *x)
{
    if (!x) return;
    for (int i = 0; i < x->nruns; i++) {
        if (x->readers && x->readers[i].f) fclose(x->readers[i].f);
        char path[4200];
        run_path(x, i, path, sizeof path);
        unlink(path);
    }
    if (x->nruns) rmdir(x->dir);
    free(x->readers);
    free(x->heap);
    free(x->buf);
    free(x->tmp);
    free(x);
}
