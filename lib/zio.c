#include "zio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_getFrameHeader, ZSTD_FRAMEHEADERSIZE_MAX */
#include <zstd.h>
#include <zstd_errors.h>

#include "fsutil.h"
#include "mem.h"

#define IN_CHUNK (1u << 20)

static int window_log_max = ZR_WINDOW_LOG_DEFAULT;   /* zr_set_window_log_max */

struct zreader {
    char *path;
    int fd;
    zfmt fmt;
    int eof_in;            /* no more compressed input */
    int eof_out;           /* no more decompressed output */
    /* compressed input */
    unsigned char *in;
    size_t in_len, in_pos;
    /* decompressed output window: [start, end) unread, scan >= start */
    char *buf;
    size_t cap, start, end, scan;
    uint64_t consumed;     /* decompressed bytes before buf[0] */
    uint64_t lineno, line_off;
    int by_line;           /* read by zr_line: a truncation names the line it cuts */
    size_t max_line;       /* a line this long or longer is an error */
    ZSTD_DCtx *zd;
    size_t zret;           /* last ZSTD_decompressStream result (0 = frame complete) */
    int zstd_any;          /* at least one frame started */
    /* the current frame's first bytes, for a message naming its window */
    unsigned char fh[ZSTD_FRAMEHEADERSIZE_MAX];
    size_t fh_len;
    z_stream gz;
    int gz_init, gz_done;  /* gz_done: last member complete */
};

/* The format of a stream from its first bytes (got of them, up to 4):
 * "parquet", "zstd", "gzip", "plain", or the name of a compression we do not
 * read ("xz", "bzip2", "lz4"). zstd is its frame magic 28 B5 2F FD or a
 * skippable frame (magic 0x184D2A50..0x184D2A5F, little-endian: pzstd writes
 * one first), which libzstd skips. */
static const char *sniff_magic(const unsigned char *m, size_t got)
{
    if (got == 4 && !memcmp(m, "PAR1", 4)) return "parquet";
    if (got == 4 && m[0] == 0x28 && m[1] == 0xB5 && m[2] == 0x2F && m[3] == 0xFD) return "zstd";
    if (got == 4 && (m[0] & 0xF0) == 0x50 && m[1] == 0x2A && m[2] == 0x4D && m[3] == 0x18) return "zstd";
    if (got >= 2 && m[0] == 0x1F && m[1] == 0x8B) return "gzip";
    if (got == 4 && m[0] == 0xFD && m[1] == '7' && m[2] == 'z' && m[3] == 'X') return "xz";
    if (got == 4 && m[0] == 'B' && m[1] == 'Z' && m[2] == 'h' && m[3] >= '1' && m[3] <= '9') return "bzip2";
    if (got == 4 && m[0] == 0x04 && m[1] == 0x22 && m[2] == 0x4D && m[3] == 0x18) return "lz4";   /* frame */
    if (got == 4 && m[0] == 0x02 && m[1] == 0x21 && m[2] == 0x4C && m[3] == 0x18) return "lz4";   /* legacy */
    return "plain";
}

static int unsupported(const char *kind)
{
    return !strcmp(kind, "xz") || !strcmp(kind, "bzip2") || !strcmp(kind, "lz4");
}

static int unsupported_error(blalm_err *e, const char *path, const char *kind)
{
    return err_set(e, "%s: byte 0: %s-compressed data is not supported (decompress it first, or recompress it with "
                      "zstd); blalm reads plain, gzip and zstd text and parquet",
                   path, kind);
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* A file named .zst or .gz (the names zw_open compresses) that holds fewer
 * bytes than its magic number, the first of them the magic's (none at all:
 * 0 bytes), is a cut-short or failed write: read as plain text it was an
 * empty source (0 documents, exit 0) or a JSON error at column 1. By
 * content, a name says nothing else. -1 with e set when so. */
static int short_compressed(const char *path, const unsigned char *m, size_t got, blalm_err *e)
{
    int zst = ends_with(path, ".zst"), gz = ends_with(path, ".gz");
    static const unsigned char zmagic[4] = {0x28, 0xB5, 0x2F, 0xFD}, gmagic[2] = {0x1F, 0x8B};
    if (zst && got < 4 && !memcmp(m, zmagic, got))
        return err_set(e, "%s: truncated zstd stream: the file holds %zu byte%s, less than a frame's 4-byte magic "
                       "number (a failed or cut-short download?)", path, got, got == 1 ? "" : "s");
    if (gz && got < 2 && !memcmp(m, gmagic, got))
        return err_set(e, "%s: truncated gzip stream: the file holds %zu byte%s, less than gzip's 2-byte magic "
                       "number (a failed or cut-short download?)", path, got, got == 1 ? "" : "s");
    return 0;
}

const char *file_sniff(const char *path, blalm_err *e)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        err_errno(e, "%s", path);
        return NULL;
    }
    unsigned char m[4] = {0};
    ssize_t k = read(fd, m, 4);
    close(fd);
    if (k < 0) {
        err_errno(e, "%s", path);
        return NULL;
    }
    if (short_compressed(path, m, (size_t)k, e) < 0) return NULL;
    const char *kind = sniff_magic(m, (size_t)k);
    if (unsupported(kind)) {
        unsupported_error(e, path, kind);
        return NULL;
    }
    return kind;
}

zreader *zr_open(const char *path, blalm_err *e)
{
    /* One open, and the format sniffed from the first bytes read, so that
     * pipes and process substitutions (which cannot be read twice) work. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        err_errno(e, "%s", path);
        return NULL;
    }
    unsigned char m[4];
    size_t got = 0;
    while (got < 4) {
        ssize_t k = read(fd, m + got, 4 - got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            err_errno(e, "%s", path);
            close(fd);
            return NULL;
        }
        if (k == 0) break;
        got += (size_t)k;
    }
    if (short_compressed(path, m, got, e) < 0) {
        close(fd);
        return NULL;
    }
    const char *kind = sniff_magic(m, got);
    if (unsupported(kind)) {
        unsupported_error(e, path, kind);
        close(fd);
        return NULL;
    }
    zreader *r = calloc(1, sizeof *r);
    r->path = strdup(path);
    r->fd = fd;
    if (!strcmp(kind, "zstd")) r->fmt = ZFMT_ZSTD;
    else if (!strcmp(kind, "gzip")) r->fmt = ZFMT_GZIP;
    else r->fmt = ZFMT_PLAIN;
    r->cap = IN_CHUNK;
    r->max_line = ZR_MAX_LINE;
    r->buf = mem_big_alloc(r->cap + 1);
    if (r->fmt == ZFMT_PLAIN) {
        memcpy(r->buf, m, got);      /* the sniffed bytes are the first text */
        r->end = got;
    } else {
        r->in = mem_big_alloc(IN_CHUNK);
        memcpy(r->in, m, got);       /* ... or the first compressed input */
        r->in_len = got;
    }
    if (r->fmt == ZFMT_ZSTD) {
        r->zd = mem_zstd_dctx();
        if (r->zd) (void)ZSTD_DCtx_setParameter(r->zd, ZSTD_d_windowLogMax, window_log_max);
    }
    return r;
}

void zr_set_window_log_max(int wlog)
{
    window_log_max = wlog < 10 ? 10 : wlog > ZR_WINDOW_LOG_MAX ? ZR_WINDOW_LOG_MAX : wlog;
}

int zr_parse_window_max(const char *s, int *wlog, blalm_err *e)
{
    const char *want = "expected a power of two from 1K to 2G, in bytes or with K, M or G (KiB, MiB, GiB), "
                       "like 2G or 1024M";
    if (!s || !*s) return err_set(e, "empty; %s", want);
    unsigned long long v = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (1ull << 40)) return err_set(e, "'%s' is too large; %s", s, want);
        v = v * 10 + (unsigned)(*p - '0');
    }
    if (p == s) return err_set(e, "'%s' is not a size; %s", s, want);
    int shift = 0;
    if (*p == 'K' || *p == 'k') shift = 10;
    else if (*p == 'M' || *p == 'm') shift = 20;
    else if (*p == 'G' || *p == 'g') shift = 30;
    if (shift) p++;
    if (*p) return err_set(e, "'%s' is not a size; %s", s, want);
    if (v > (1ull << 40)) return err_set(e, "'%s' is too large; %s", s, want);
    v <<= shift;
    if (v < 1024 || v > (1ull << ZR_WINDOW_LOG_MAX))
        return err_set(e, "'%s' is %s; %s", s, v < 1024 ? "below 1K" : "above 2G, the largest zstd window", want);
    if (v & (v - 1)) return err_set(e, "'%s' is not a power of two; %s", s, want);
    int l = 0;
    while ((1ull << l) < v) l++;
    *wlog = l;
    return 0;
}

/* "128 MiB" / "64 KiB" (sizes here are at least 1 KiB) */
static void show_size(char *out, size_t cap, unsigned long long v)
{
    if (v >= (1ull << 20)) snprintf(out, cap, "%llu%s MiB", v >> 20, v & ((1ull << 20) - 1) ? "+" : "");
    else snprintf(out, cap, "%llu%s KiB", v >> 10, v & 1023 ? "+" : "");
}

/* A frame whose window is above the limit: the window it needs (from its
 * header, when it can be read) and how to read it. */
static int window_error(zreader *r, const unsigned char *more, size_t nmore, blalm_err *e)
{
    unsigned char h[ZSTD_FRAMEHEADERSIZE_MAX];
    size_t n = r->fh_len;
    memcpy(h, r->fh, n);
    if (nmore > sizeof h - n) nmore = sizeof h - n;
    memcpy(h + n, more, nmore);
    n += nmore;
    char lim[32], need[32];
    show_size(lim, sizeof lim, 1ull << window_log_max);
    ZSTD_frameHeader fh;
    if (ZSTD_getFrameHeader(&fh, h, n) != 0 || fh.frameType != ZSTD_frame)
        return err_set(e, "%s: a zstd frame near decompressed byte %llu needs a window above the %s limit (written "
                          "with zstd --long?); set BLALM_ZSTD_WINDOW_MAX (up to 2G) to read it, or recompress "
                          "without --long", r->path, (unsigned long long)(r->consumed + r->end), lim);
    show_size(need, sizeof need, fh.windowSize);
    int l = 10;
    while (l < 63 && (1ull << l) < fh.windowSize) l++;
    if (l > ZR_WINDOW_LOG_MAX)
        return err_set(e, "%s: zstd frame near decompressed byte %llu needs a window of %s, above the largest "
                          "blalm reads (2048 MiB); recompress without --long", r->path,
                       (unsigned long long)(r->consumed + r->end), need);
    char set[16];
    snprintf(set, sizeof set, "%llu%c", 1ull << (l - (l >= 30 ? 30 : l >= 20 ? 20 : 10)),
             l >= 30 ? 'G' : l >= 20 ? 'M' : 'K');
    return err_set(e, "%s: zstd frame near decompressed byte %llu needs a window of %s, above the %s limit "
                      "(written with zstd --long?); set BLALM_ZSTD_WINDOW_MAX=%s to read it, or recompress without "
                      "--long", r->path, (unsigned long long)(r->consumed + r->end), need, lim, set);
}

static int fill_input(zreader *r, blalm_err *e)
{
    if (r->in_pos < r->in_len || r->eof_in) return 0;
    ssize_t k;
    do k = read(r->fd, r->in, IN_CHUNK); while (k < 0 && errno == EINTR);
    if (k < 0) return err_errno(e, "%s", r->path);
    r->in_len = (size_t)k;
    r->in_pos = 0;
    if (k == 0) r->eof_in = 1;
    return 0;
}

/* ", in line N" for a truncation met while reading line N by zr_line, else "". */
static const char *in_line(const zreader *r, char *out, size_t cap)
{
    if (!r->by_line) return "";
    snprintf(out, cap, ", in line %llu", (unsigned long long)(r->lineno + 1));
    return out;
}

/* Appends decompressed bytes at buf[end..cap); returns bytes added (0 = end). */
static long produce(zreader *r, blalm_err *e)
{
    char where[48];
    char *dst = r->buf + r->end;
    size_t room = r->cap - r->end;
    if (r->eof_out) return 0;
    if (r->fmt == ZFMT_PLAIN) {
        ssize_t k;
        do k = read(r->fd, dst, room); while (k < 0 && errno == EINTR);
        if (k < 0) return err_errno(e, "%s", r->path);
        if (k == 0) r->eof_out = 1;
        return k;
    }
    for (;;) {
        if (fill_input(r, e) < 0) return -1;
        if (r->fmt == ZFMT_ZSTD) {
            if (r->eof_in && r->in_pos >= r->in_len) {
                if (r->zstd_any && r->zret != 0)
                    return err_set(e, "%s: truncated zstd frame (stream ends at decompressed byte %llu%s)",
                                   r->path, (unsigned long long)(r->consumed + r->end),
                                   in_line(r, where, sizeof where));
                r->eof_out = 1;
                return 0;
            }
            ZSTD_inBuffer ib = {r->in, r->in_len, r->in_pos};
            ZSTD_outBuffer ob = {dst, room, 0};
            size_t pos0 = r->in_pos;
            size_t ret = ZSTD_decompressStream(r->zd, &ob, &ib);
            if (ZSTD_isError(ret) && ZSTD_getErrorCode(ret) == ZSTD_error_frameParameter_windowTooLarge)
                return window_error(r, r->in + pos0, r->in_len - pos0, e);
            if (r->fh_len < sizeof r->fh) {   /* keep the frame's first bytes */
                size_t k = ib.pos - pos0;
                if (k > sizeof r->fh - r->fh_len) k = sizeof r->fh - r->fh_len;
                memcpy(r->fh + r->fh_len, r->in + pos0, k);
                r->fh_len += k;
            }
            if (ret == 0) r->fh_len = 0;      /* the next byte starts a frame */
            r->in_pos = ib.pos;
            if (ZSTD_isError(ret))
                return err_set(e, "%s: corrupt zstd data near decompressed byte %llu: %s", r->path,
                               (unsigned long long)(r->consumed + r->end), ZSTD_getErrorName(ret));
            r->zstd_any = 1;
            r->zret = ret;
            if (ob.pos) return (long)ob.pos;
            continue;
        }
        /* gzip, possibly several concatenated members */
        if (!r->gz_init) {
            memset(&r->gz, 0, sizeof r->gz);
            if (inflateInit2(&r->gz, 15 + 32) != Z_OK) return err_set(e, "%s: zlib init failed", r->path);
            r->gz_init = 1;
            r->gz_done = 0;
        }
        if (r->in_pos >= r->in_len && r->eof_in) {
            if (!r->gz_done)
                return err_set(e, "%s: truncated gzip stream (ends at decompressed byte %llu%s)", r->path,
                               (unsigned long long)(r->consumed + r->end), in_line(r, where, sizeof where));
            r->eof_out = 1;
            return 0;
        }
        if (r->gz_done) {  /* another member follows */
            inflateReset(&r->gz);
            r->gz_done = 0;
        }
        r->gz.next_in = r->in + r->in_pos;
        r->gz.avail_in = (uInt)(r->in_len - r->in_pos);
        r->gz.next_out = (Bytef *)dst;
        r->gz.avail_out = (uInt)room;
        int zr = inflate(&r->gz, Z_NO_FLUSH);
        r->in_pos = r->in_len - r->gz.avail_in;
        size_t got = room - r->gz.avail_out;
        if (zr == Z_STREAM_END) r->gz_done = 1;
        else if (zr != Z_OK && zr != Z_BUF_ERROR)
            return err_set(e, "%s: corrupt gzip data near decompressed byte %llu: %s", r->path,
                           (unsigned long long)(r->consumed + r->end), r->gz.msg ? r->gz.msg : "inflate error");
        if (got) return (long)got;
    }
}

void zr_set_max_line(zreader *r, size_t max)
{
    r->max_line = max ? max : ZR_MAX_LINE;
}

/* Makes room at the end of the window: drop consumed bytes, else grow (up
 * to the longest line). 0, or -1 with the error set: the line being read is
 * too long, or there is no memory for it (a small compressed file can hold
 * a line of many GiB). */
static int make_room(zreader *r, blalm_err *e)
{
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->consumed += r->start;
        r->scan -= r->start;
        r->end -= r->start;
        r->start = 0;
    }
    if (r->end == r->cap) {   /* the window holds one unfinished line */
        if (r->cap >= r->max_line)
            return err_set(e, "%s:%llu: a line of %zu bytes or more (from decompressed byte %llu); "
                              "the longest line read is %zu bytes",
                           r->path, (unsigned long long)(r->lineno + 1), r->max_line,
                           (unsigned long long)r->consumed, r->max_line - 1);
        size_t cap = r->cap * 2 < r->max_line ? r->cap * 2 : r->max_line;
        char *p = realloc(r->buf, cap + 1);
        if (!p)
            return err_set(e, "%s:%llu: out of memory for a line of more than %zu bytes (from "
                              "decompressed byte %llu)",
                           r->path, (unsigned long long)(r->lineno + 1), r->cap,
                           (unsigned long long)r->consumed);
        r->buf = p;
        r->cap = cap;
    }
    return 0;
}

int zr_line(zreader *r, const char **line, size_t *len, blalm_err *e)
{
    r->by_line = 1;
    for (;;) {
        char *nl = r->scan < r->end ? memchr(r->buf + r->scan, '\n', r->end - r->scan) : NULL;
        if (nl) {
            size_t at = (size_t)(nl - r->buf);
            *line = r->buf + r->start;
            *len = at - r->start;
            r->line_off = r->consumed + r->start;
            r->start = r->scan = at + 1;
            r->lineno++;
            return 1;
        }
        r->scan = r->end;
        if (r->eof_out) {
            if (r->start == r->end) return 0;
            *line = r->buf + r->start;   /* last line without '\n' */
            *len = r->end - r->start;
            r->line_off = r->consumed + r->start;
            r->start = r->scan = r->end;
            r->lineno++;
            return 1;
        }
        if (r->end == r->cap && make_room(r, e) < 0) return -1;
        long k = produce(r, e);
        if (k < 0) return -1;
        r->end += (size_t)k;
    }
}

long zr_read(zreader *r, void *out, size_t cap, blalm_err *e)
{
    while (r->start == r->end) {
        if (r->eof_out) return 0;
        r->consumed += r->end;
        r->start = r->end = r->scan = 0;
        long k = produce(r, e);
        if (k < 0) return -1;
        r->end = (size_t)k;
        if (k == 0 && r->eof_out) return 0;
    }
    size_t n = r->end - r->start;
    if (n > cap) n = cap;
    memcpy(out, r->buf + r->start, n);
    r->start += n;
    r->scan = r->start;
    return (long)n;
}

uint64_t zr_lineno(const zreader *r) { return r->lineno; }
uint64_t zr_offset(const zreader *r) { return r->line_off; }
zfmt zr_format(const zreader *r) { return r->fmt; }
const char *zr_path(const zreader *r) { return r->path; }

void zr_close(zreader *r)
{
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    if (r->zd) ZSTD_freeDCtx(r->zd);
    if (r->gz_init) inflateEnd(&r->gz);
    free(r->in);
    free(r->buf);
    free(r->path);
    free(r);
}

/* ---- writer ---- */

struct zwriter {
    char *path, *tmp;
    int fd;
    zfmt fmt;
    ZSTD_CCtx *zc;
    z_stream gz;
    unsigned char *out;
    size_t out_cap;
    uint64_t bytes_in;
};

zwriter *zw_open(const char *path, int level, blalm_err *e)
{
    if (mkdir_parent(path, e) < 0) return NULL;
    zwriter *w = calloc(1, sizeof *w);
    w->path = strdup(path);
    char tmp[4200];
    remove_stale_temps(path);   /* a killed run's leftover of this file */
    temp_name_for(path, tmp, sizeof tmp);
    w->tmp = strdup(tmp);
    w->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->fd < 0) {
        err_errno(e, "%s", tmp);
        free(w->path);
        free(w->tmp);
        free(w);
        return NULL;
    }
    w->fmt = ends_with(path, ".zst") ? ZFMT_ZSTD : ends_with(path, ".gz") ? ZFMT_GZIP : ZFMT_PLAIN;
    w->out_cap = ZSTD_CStreamOutSize();
    if (w->out_cap < (1u << 17)) w->out_cap = 1u << 17;
    w->out = malloc(w->out_cap);
    if (w->fmt == ZFMT_ZSTD) {
        w->zc = mem_zstd_cctx();
        ZSTD_CCtx_setParameter(w->zc, ZSTD_c_compressionLevel, level ? level : 3);
        ZSTD_CCtx_setParameter(w->zc, ZSTD_c_checksumFlag, 1);
    } else if (w->fmt == ZFMT_GZIP) {
        deflateInit2(&w->gz, level ? level : 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    }
    return w;
}

void zw_set_window_log(zwriter *w, int wlog)
{
    if (w->zc) ZSTD_CCtx_setParameter(w->zc, ZSTD_c_windowLog, wlog);
}

static int write_all(zwriter *w, const void *p, size_t n, blalm_err *e)
{
    const char *c = p;
    while (n) {
        ssize_t k = write(w->fd, c, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return err_errno(e, "writing %s", w->tmp);
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static int compress_some(zwriter *w, const void *p, size_t n, int finish, blalm_err *e)
{
    if (w->fmt == ZFMT_ZSTD) {
        ZSTD_inBuffer ib = {p, n, 0};
        for (;;) {
            ZSTD_outBuffer ob = {w->out, w->out_cap, 0};
            size_t rem = ZSTD_compressStream2(w->zc, &ob, &ib, finish ? ZSTD_e_end : ZSTD_e_continue);
            if (ZSTD_isError(rem)) return err_set(e, "%s: zstd: %s", w->path, ZSTD_getErrorName(rem));
            if (ob.pos && write_all(w, w->out, ob.pos, e) < 0) return -1;
            if (finish ? rem == 0 : ib.pos == ib.size) return 0;
        }
    }
    w->gz.next_in = (Bytef *)(uintptr_t)p;
    w->gz.avail_in = (uInt)n;
    for (;;) {
        w->gz.next_out = w->out;
        w->gz.avail_out = (uInt)w->out_cap;
        int zr = deflate(&w->gz, finish ? Z_FINISH : Z_NO_FLUSH);
        size_t got = w->out_cap - w->gz.avail_out;
        if (got && write_all(w, w->out, got, e) < 0) return -1;
        if (finish ? zr == Z_STREAM_END : w->gz.avail_in == 0) return 0;
        if (zr == Z_STREAM_ERROR) return err_set(e, "%s: deflate failed", w->path);
    }
}

int zw_write(zwriter *w, const void *p, size_t n, blalm_err *e)
{
    w->bytes_in += n;
    if (w->fmt == ZFMT_PLAIN) return write_all(w, p, n, e);
    /* feed large inputs in pieces so zlib's uInt never overflows */
    const char *c = p;
    while (n) {
        size_t k = n > (1u << 30) ? (1u << 30) : n;
        if (compress_some(w, c, k, 0, e) < 0) return -1;
        c += k;
        n -= k;
    }
    return 0;
}

int zw_line(zwriter *w, const char *p, size_t n, blalm_err *e)
{
    if (zw_write(w, p, n, e) < 0) return -1;
    return zw_write(w, "\n", 1, e);
}

uint64_t zw_bytes_in(const zwriter *w) { return w->bytes_in; }

static void zw_free(zwriter *w)
{
    if (w->zc) ZSTD_freeCCtx(w->zc);
    if (w->fmt == ZFMT_GZIP) deflateEnd(&w->gz);
    free(w->out);
    free(w->path);
    free(w->tmp);
    free(w);
}

int zw_commit(zwriter *w, blalm_err *e)
{
    int rc = 0;
    if (w->fmt != ZFMT_PLAIN) rc = compress_some(w, "", 0, 1, e);
    if (rc == 0 && fsync(w->fd) < 0) rc = err_errno(e, "fsync %s", w->tmp);
    if (close(w->fd) < 0 && rc == 0) rc = err_errno(e, "close %s", w->tmp);
    w->fd = -1;
    if (rc == 0 && rename(w->tmp, w->path) < 0) rc = err_errno(e, "rename %s -> %s", w->tmp, w->path);
    if (rc < 0) unlink(w->tmp);
    zw_free(w);
    return rc;
}

void zw_abort(zwriter *w)
{
    if (!w) return;
    if (w->fd >= 0) close(w->fd);
    unlink(w->tmp);
    zw_free(w);
}
