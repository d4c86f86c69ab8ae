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

/* "lower,digits,dtpunct,diacritics,space (fineweb)", "nfkc,lower,space" */
static void norm_name(unsigned flags, char *out, size_t cap)
{
    dd_norm_format(flags, out, cap);
    if (flags == DD_NORM_MINHASH_DEFAULT) {
        size_t n = strlen(out);
        snprintf(out + n, cap - n, " (fineweb)");
    }
}

/* The exact keys of header flags: "id,text,url", "none". */
static void exact_names(uint32_t flags, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s%s%s", flags & 2 ? "id," : "", flags & 4 ? "text," : "",
             flags & 8 ? "url," : "", flags & 14 ? "" : "none");
    size_t n = strlen(out);
    if (n && out[n - 1] == ',') out[n - 1] = 0;
}

int dd_header_check(const dd_header *h, const dd_config *c, uint32_t kind,
                    const char *path, blalm_err *e)
{
    if (memcmp(h->magic, DD_MAGIC, 8))
        return err_set(e, "%s: not a blalm dedup file (bad magic number)", path);
    if (h->version != DD_VERSION)
        return err_set(e, "%s: dedup file version %u, this blalm writes version %u (made by "
                          "another blalm, whose dedup rules differ); remove WORK/state/dedup to redo it",
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
#undef DD_FIELD
    /* the rest by name: normalisation specs, --keep-max, exact keys */
    char in_file[160], in_run[160];
    if (h->minhash_norm != want.minhash_norm || h->exact_norm != want.exact_norm) {
        int mh = h->minhash_norm != want.minhash_norm;
        norm_name(mh ? h->minhash_norm : h->exact_norm, in_file, sizeof in_file);
        norm_name(mh ? want.minhash_norm : want.exact_norm, in_run, sizeof in_run);
        return err_set(e, "%s: %s file from another configuration: %s '%s' in the file, "
                          "'%s' in this run%s", path, kind_name(kind),
                       mh ? "--normalize" : "--exact-normalize", in_file, in_run, fix);
    }
    if (h->keep_field_hash != want.keep_field_hash) {
        /* the file holds the field name's hash only */
        uint64_t none = XXH3_64bits("", 0);
        if (h->keep_field_hash == none)
            return err_set(e, "%s: %s file from another configuration: made without "
                              "--keep-max, this run has --keep-max '%s'%s",
                           path, kind_name(kind), c->keep_field, fix);
        if (!c->keep_field[0])
            return err_set(e, "%s: %s file from another configuration: made with --keep-max "
                              "(some field), this run has none%s", path, kind_name(kind), fix);
        return err_set(e, "%s: %s file from another configuration: made with --keep-max "
                          "another field than this run's '%s'%s", path, kind_name(kind),
                       c->keep_field, fix);
    }
    /* store_shingles only matters for shingle files; exact-key bits always. */
    if ((h->flags & ~1u) != (want.flags & ~1u)) {
        exact_names(h->flags, in_file, sizeof in_file);
        exact_names(want.flags, in_run, sizeof in_run);
        return err_set(e, "%s: %s file from another configuration: exact keys %s in the "
                          "file, %s in this run (--no-exact-id, --no-exact-text, "
                          "--no-exact-url)%s", path, kind_name(kind), in_file, in_run, fix);
    }
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

int dd_stats_lock(const char *stats, blalm_err *e)
{
    if (mkdir_parent_of(stats, e) < 0) return -1;
    char p[4200];
    const char *slash = strrchr(stats, '/');
    if (slash) snprintf(p, sizeof p, "%.*s/.%s.lock", (int)(slash - stats), stats, slash + 1);
    else snprintf(p, sizeof p, ".%s.lock", stats);
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return err_errno(e, "%s", p);
    /* a POSIX record lock (held briefly, so waited for): works on NFS too,
     * where shards on several machines share WORK */
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    while (fcntl(fd, F_SETLKW, &fl) < 0) {
        if (errno == EINTR) continue;
        err_errno(e, "lock %s", p);
        close(fd);
        return -1;
    }
    return fd;
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
