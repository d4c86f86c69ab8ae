/* parquet_read.c - the column decoder: each projected column keeps a cursor
 * over its column chunk and decodes one page at a time (dictionary, PLAIN,
 * RLE/bit-packed, DELTA_*, BYTE_STREAM_SPLIT; snappy, gzip, zstd) into
 * buffers it reuses. String values point into the decompressed page (or
 * dictionary) buffer and are NUL-terminated in place: after a page's offsets
 * are parsed, the byte after each value (the next value's length prefix, or
 * one spare byte at the end) is no longer needed. Rows become documents in
 * parquet_docs.c. */
#include "parquet_int.h"
#include "sbuf.h"
#include "utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define PQ_MAX_PAGE_BYTES  ((size_t)1 << 31)

/* A page's value count is bounded by its column chunk's values and by the
 * memory its decoded values take (pq_page_values_fit): a dictionary page of
 * 17 million rows of one value is a few bytes, and DuckDB writes those. */
uint64_t pq_page_memory_limit = 0;


/* ---- helpers ------------------------------------------------------------ */

uint64_t pq_off(const pq_col *c, const uint8_t *p) { return c->base_off + (uint64_t)(p - c->base); }

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need) n *= 2;
    void *q = realloc(*p, n * elem);
    if (!q) return -1;
    *p = q;
    *cap = n;
    return 0;
}

/* Page and dictionary buffers: contents need not survive growing (no realloc
 * copy). Big ones are mapped with transparent huge pages: writers such as
 * DuckDB emit 100 MB pages, and faulting those in 4 KiB at a time costs more
 * than decompressing them. */
#define PQ_BIG_BUF ((size_t)4 << 20)

void pq_buf_free(uint8_t *p, size_t cap)
{
    if (!p) return;
    if (cap >= PQ_BIG_BUF) munmap(p, cap);
    else free(p);
}

static int buf_reserve(uint8_t **p, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    size_t n = *cap ? *cap : 4096;
    while (n < need) n *= 2;
    pq_buf_free(*p, *cap);
    *p = NULL;
    *cap = 0;
    if (n >= PQ_BIG_BUF) {
        n = (n + PQ_BIG_BUF - 1) & ~(PQ_BIG_BUF - 1);
        void *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) return -1;
#ifdef MADV_HUGEPAGE
        madvise(m, n, MADV_HUGEPAGE);
#endif
        *p = m;
    } else if (!(*p = malloc(n))) {
        return -1;
    }
    *cap = n;
    return 0;
}

int pq_buf_grow(uint8_t **p, size_t *cap, size_t need) { return buf_reserve(p, cap, need); }

static int vals_reserve(pq_vals *v, int ptype, size_t n)
{
    if (n <= v->cap) return 0;
    size_t c = v->cap ? v->cap : 64;
    while (c < n) c *= 2;
    if (ptype == PT_BYTE_ARRAY || ptype == PT_FLBA) {
        void *q = realloc(v->s, c * sizeof *v->s);
        if (!q) return -1;
        v->s = q;
    } else if (ptype == PT_FLOAT || ptype == PT_DOUBLE) {
        void *q = realloc(v->d, c * sizeof *v->d);
        if (!q) return -1;
        v->d = q;
    } else {
        void *q = realloc(v->i, c * sizeof *v->i);
        if (!q) return -1;
        v->i = q;
    }
    v->cap = c;
    return 0;
}

const char *pq_type_name(int t)
{
    static const char *n[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE",
                              "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return t >= 0 && t <= 7 ? n[t] : "unknown type";
}

const char *pq_codec_name(int c)
{
    static const char *n[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD",
                              "LZ4_RAW"};
    return c >= 0 && c <= 7 ? n[c] : "unknown codec";
}

static const char *encoding_name(int enc)
{
    switch (enc) {
    case ENC_PLAIN: return "PLAIN";
    case ENC_PLAIN_DICTIONARY: return "PLAIN_DICTIONARY";
    case ENC_RLE: return "RLE";
    case ENC_BIT_PACKED: return "BIT_PACKED";
    case ENC_DELTA_BINARY_PACKED: return "DELTA_BINARY_PACKED";
    case ENC_DELTA_LENGTH_BYTE_ARRAY: return "DELTA_LENGTH_BYTE_ARRAY";
    case ENC_DELTA_BYTE_ARRAY: return "DELTA_BYTE_ARRAY";
    case ENC_RLE_DICTIONARY: return "RLE_DICTIONARY";
    case ENC_BYTE_STREAM_SPLIT: return "BYTE_STREAM_SPLIT";
    default: return "unknown encoding";
    }
}

int pq_fail_at(pq_reader *r, blalm_err *e, uint64_t off, const pq_col *c, const char *what)
{
    if (c)
        return err_set(e, "%s: byte %llu: column '%s': %s", r->name, (unsigned long long)off,
                       c->se->name, what);
    return err_set(e, "%s: byte %llu: %s", r->name, (unsigned long long)off, what);
}


/* Whether a page of n values fits in memory once decoded (value slots,
 * definition levels, dictionary indices or delta lengths), against
 * pq_page_memory_limit or a quarter of physical memory: past that the
 * kernel would rather kill the process than fail an allocation. */
static const char *mem_size(uint64_t n, char *out, size_t cap)
{
    if (n >= (uint64_t)1 << 20) snprintf(out, cap, "%llu MiB", (unsigned long long)(n >> 20));
    else snprintf(out, cap, "%llu bytes", (unsigned long long)n);
    return out;
}

static int pq_page_values_fit(pq_reader *r, pq_col *c, int64_t n, const char *kind, uint64_t off, blalm_err *e)
{
    uint64_t slot = (c->ptype == PT_BYTE_ARRAY || c->ptype == PT_FLBA) ? sizeof(pq_str) : 8;
    uint64_t need = (uint64_t)n * (slot + 16 + (c->optional ? 4 : 0));
    uint64_t limit = pq_page_memory_limit;
    if (!limit) {
        long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
        limit = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz / 4 : (uint64_t)4 << 30;
    }
    if (need <= limit) return 0;
    char why[300], a[32], b[32];
    snprintf(why, sizeof why, "%s page of %lld values would take %s to decode, more than blalm's limit of %s%s", kind,
             (long long)n, mem_size(need, a, sizeof a), mem_size(limit, b, sizeof b),
             pq_page_memory_limit ? "" : " (a quarter of this machine's memory)");
    return pq_fail_at(r, e, off, c, why);
}

/* ---- decompression ------------------------------------------------------ */

static int decompress(pq_reader *r, pq_col *c, const uint8_t *src, size_t srclen, uint8_t *dst,
                      size_t dstlen, uint64_t off, blalm_err *e)
{
    char why[160];
    switch (c->codec) {
    case CODEC_UNCOMPRESSED:
        if (srclen != dstlen) {
            snprintf(why, sizeof why, "uncompressed page holds %zu bytes but says %zu", srclen, dstlen);
            return pq_fail_at(r, e, off, c, why);
        }
        memcpy(dst, src, srclen);
        return 0;
    case CODEC_SNAPPY: {
        size_t ul;
        if (snappy_uncompressed_length((const char *)src, srclen, &ul) != SNAPPY_OK || ul != dstlen)
            return pq_fail_at(r, e, off, c, "corrupt snappy page (length does not match the page header)");
        if (snappy_uncompress((const char *)src, srclen, (char *)dst, &ul) != SNAPPY_OK || ul != dstlen)
            return pq_fail_at(r, e, off, c, "corrupt snappy page");
        return 0;
    }
    case CODEC_GZIP: {
        z_stream z;
        memset(&z, 0, sizeof z);
        if (inflateInit2(&z, 15 + 32) != Z_OK) return pq_fail_at(r, e, off, c, "zlib init failed");
        z.next_in = (Bytef *)src;
        z.avail_in = (uInt)srclen;
        z.next_out = dst;
        z.avail_out = (uInt)dstlen;
        int zr;
        for (;;) {
            zr = inflate(&z, Z_FINISH);
            /* concatenated gzip members */
            if (zr == Z_STREAM_END && z.avail_in > 0 && z.avail_out > 0) {
                if (inflateReset(&z) != Z_OK) break;
                continue;
            }
            break;
        }
        size_t got = dstlen - z.avail_out;
        inflateEnd(&z);
        if (zr != Z_STREAM_END || got != dstlen)
            return pq_fail_at(r, e, off, c, "corrupt gzip page");
        return 0;
    }
    case CODEC_ZSTD: {
        if (!r->zstd && !(r->zstd = ZSTD_createDCtx())) return pq_fail_at(r, e, off, c, "out of memory");
        size_t n = ZSTD_decompressDCtx(r->zstd, dst, dstlen, src, srclen);
        if (ZSTD_isError(n) || n != dstlen) {
            snprintf(why, sizeof why, "corrupt zstd page (%s)",
                     ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong length");
            return pq_fail_at(r, e, off, c, why);
        }
        return 0;
    }
    default:
        snprintf(why, sizeof why, "compression codec %s is not supported (supported: UNCOMPRESSED, SNAPPY, GZIP, ZSTD)",
                 pq_codec_name(c->codec));
        return pq_fail_at(r, e, off, c, why);
    }
}

/* ---- value decoding ----------------------------------------------------- */

static int fixed_width(const pq_col *c)
{
    switch (c->ptype) {
    case PT_INT32: case PT_FLOAT: return 4;
    case PT_INT64: case PT_DOUBLE: return 8;
    case PT_INT96: return 12;
    case PT_FLBA: return c->se->type_length;
    default: return 0;
    }
}

/* PLAIN: n values from [p, end) into v. Strings point into the buffer, which
 * must be writable with one spare byte after end (for NUL-termination). */
static int decode_plain(pq_reader *r, pq_col *c, uint8_t *p, const uint8_t *end, int32_t n,
                        pq_vals *v, uint64_t off, blalm_err *e)
{
    size_t avail = (size_t)(end - p);
    /* the values fill the page exactly: bytes left over (or missing) mean the
     * page, or the footer's description of its column, is corrupt (checked
     * before the value slots are allocated: a page header may claim more
     * values than memory holds) */
    int width = fixed_width(c);
    if (width > 0 && avail != (size_t)n * (size_t)width) {
        char why[160];
        snprintf(why, sizeof why, "%d PLAIN values of %d bytes in a page of %zu bytes", n, width, avail);
        return pq_fail_at(r, e, off, c, why);
    }
    if (c->ptype == PT_BYTE_ARRAY && avail / 4 < (size_t)n) {
        char why[160];
        snprintf(why, sizeof why, "%d PLAIN strings cannot fit in a page of %zu bytes (each takes at least 4)", n, avail);
        return pq_fail_at(r, e, off, c, why);
    }
    if (vals_reserve(v, c->ptype, (size_t)n) < 0) return pq_fail_at(r, e, off, c, "out of memory");
    v->n = n;
    switch (c->ptype) {
    case PT_BOOLEAN:
        if (avail < ((size_t)n + 7) / 8) return pq_fail_at(r, e, off, c, "PLAIN booleans shorter than the page says");
        for (int32_t i = 0; i < n; i++) v->i[i] = (p[i >> 3] >> (i & 7)) & 1;
        return 0;
    case PT_INT32:
        if (avail / 4 < (size_t)n) return pq_fail_at(r, e, off, c, "PLAIN values shorter than the page says");
        for (int32_t i = 0; i < n; i++) v->i[i] = (int32_t)rd32(p + 4 * (size_t)i);
        return 0;
    case PT_INT64:
        if (avail / 8 < (size_t)n) return pq_fail_at(r, e, off, c, "PLAIN values shorter than the page says");
        for (int32_t i = 0; i < n; i++) v->i[i] = (int64_t)rd64(p + 8 * (size_t)i);
        return 0;
    case PT_INT96:
        if (avail / 12 < (size_t)n) return pq_fail_at(r, e, off, c, "PLAIN values shorter than the page says");
        for (int32_t i = 0; i < n; i++) {
            const uint8_t *q = p + 12 * (size_t)i;
            int64_t nanos = (int64_t)rd64(q);
            int64_t jday = (int32_t)rd32(q + 8);
            v->i[i] = (int64_t)((uint64_t)(jday - 2440588) * 86400000000000ull + (uint64_t)nanos);
        }
        return 0;
    case PT_FLOAT:
        if (avail / 4 < (size_t)n) return pq_fail_at(r, e, off, c, "PLAIN values shorter than the page says");
        for (int32_t i = 0; i < n; i++) {
            float f;
            memcpy(&f, p + 4 * (size_t)i, 4);
            v->d[i] = f;
        }
        return 0;
    case PT_DOUBLE:
        if (avail / 8 < (size_t)n) return pq_fail_at(r, e, off, c, "PLAIN values shorter than the page says");
        for (int32_t i = 0; i < n; i++) memcpy(&v->d[i], p + 8 * (size_t)i, 8);
        return 0;
    case PT_FLBA: {
        size_t w = (size_t)c->se->type_length;
        if (w == 0 || avail / w < (size_t)n) return pq_fail_at(r, e, off, c, "PLAIN values shorter than the page says");
        for (int32_t i = 0; i < n; i++) v->s[i] = (pq_str){(const char *)p + w * (size_t)i, (uint32_t)w};
        return 0;
    }
    case PT_BYTE_ARRAY: {
        uint8_t *q = p;
        for (int32_t i = 0; i < n; i++) {
            if (end - q < 4) return pq_fail_at(r, e, off + (uint64_t)(q - p), c, "PLAIN string length runs past the page");
            uint32_t len = rd32(q);
            q += 4;
            if ((size_t)(end - q) < len) {
                char why[128];
                snprintf(why, sizeof why, "PLAIN string of %u bytes runs past the page", len);
                return pq_fail_at(r, e, off + (uint64_t)(q - p), c, why);
            }
            v->s[i] = (pq_str){(const char *)q, len};
            q += len;
        }
        if (q != end) {
            char why[160];
            snprintf(why, sizeof why, "%d PLAIN strings end %zu bytes before the end of the page", n, (size_t)(end - q));
            return pq_fail_at(r, e, off + (uint64_t)(q - p), c, why);
        }
        for (int32_t i = 0; i < n; i++) ((char *)v->s[i].p)[v->s[i].n] = 0;
        return 0;
    }
    }
    return pq_fail_at(r, e, off, c, "unsupported physical type");
}

static int decode_bss(pq_reader *r, pq_col *c, const uint8_t *p, const uint8_t *end, int32_t n,
                      pq_vals *v, uint64_t off, blalm_err *e)
{
    int w = fixed_width(c);
    if (w <= 0 || c->ptype == PT_INT96 || c->ptype == PT_FLBA)
        return pq_fail_at(r, e, off, c, "BYTE_STREAM_SPLIT on this type is not supported");
    if ((size_t)(end - p) / (size_t)w < (size_t)n) return pq_fail_at(r, e, off, c, "BYTE_STREAM_SPLIT data shorter than the page says");
    if (vals_reserve(v, c->ptype, (size_t)n) < 0) return pq_fail_at(r, e, off, c, "out of memory");
    v->n = n;
    for (int32_t i = 0; i < n; i++) {
        uint8_t b[8];
        for (int k = 0; k < w; k++) b[k] = p[(size_t)k * (size_t)n + (size_t)i];
        if (c->ptype == PT_FLOAT) { float f; memcpy(&f, b, 4); v->d[i] = f; }
        else if (c->ptype == PT_DOUBLE) memcpy(&v->d[i], b, 8);
        else if (c->ptype == PT_INT32) v->i[i] = (int32_t)rd32(b);
        else v->i[i] = (int64_t)rd64(b);
    }
    return 0;
}

/* Lengths for DELTA_LENGTH_BYTE_ARRAY / DELTA_BYTE_ARRAY; returns bytes used. */
static long delta_lengths(pq_reader *r, pq_col *c, const uint8_t *p, const uint8_t *end, int32_t n,
                          int64_t **outp, size_t *capp, uint64_t off, blalm_err *e)
{
    if (grow((void **)outp, capp, (size_t)n + 1, sizeof **outp) < 0) { pq_fail_at(r, e, off, c, "out of memory"); return -1; }
    size_t cnt;
    const char *why = "";
    long used = delta_decode(p, end, *outp, (size_t)n, &cnt, &why);
    if (used < 0) { pq_fail_at(r, e, off, c, why); return -1; }
    if (cnt != (size_t)n) { pq_fail_at(r, e, off, c, "delta-encoded lengths do not match the page's value count"); return -1; }
    for (int32_t i = 0; i < n; i++)
        if ((*outp)[i] < 0 || (*outp)[i] > INT32_MAX) { pq_fail_at(r, e, off, c, "negative or huge string length"); return -1; }
    return used;
}

static int decode_delta_strings(pq_reader *r, pq_col *c, const uint8_t *p, const uint8_t *end,
                                int32_t n, int prefixed, pq_vals *v, uint64_t off, blalm_err *e)
{
    if (c->ptype != PT_BYTE_ARRAY && c->ptype != PT_FLBA)
        return pq_fail_at(r, e, off, c, "delta string encoding on a non-string column");
    if (vals_reserve(v, c->ptype, (size_t)n) < 0) return pq_fail_at(r, e, off, c, "out of memory");
    v->n = n;
    /* prefix lengths (DELTA_BYTE_ARRAY only) are kept in idx-sized tmp space */
    int64_t *prefix = NULL;
    size_t pcap = 0;
    if (prefixed) {
        long u = delta_lengths(r, c, p, end, n, &prefix, &pcap, off, e);
        if (u < 0) { free(prefix); return -1; }
        p += u;
    }
    long u = delta_lengths(r, c, p, end, n, &c->tmp, &c->tmpcap, off, e);
    if (u < 0) { free(prefix); return -1; }
    p += u;
    const int64_t *suf = c->tmp;
    uint64_t total = 0, sufbytes = 0;
    for (int32_t i = 0; i < n; i++) {
        uint64_t pre = prefixed ? (uint64_t)prefix[i] : 0;
        uint64_t prev = i ? (uint64_t)(prefixed ? prefix[i - 1] : 0) + (uint64_t)suf[i - 1] : 0;
        if (pre > prev) { free(prefix); return pq_fail_at(r, e, off, c, "DELTA_BYTE_ARRAY prefix longer than the previous value"); }
        if (pre + (uint64_t)suf[i] > INT32_MAX) { free(prefix); return pq_fail_at(r, e, off, c, "string longer than 2 GiB"); }
        /* fixed-length values are rendered from exactly their width's bytes */
        if (c->ptype == PT_FLBA && pre + (uint64_t)suf[i] != (uint64_t)c->se->type_length) {
            char why[160];
            snprintf(why, sizeof why, "delta-encoded value %d has %llu bytes in a FIXED_LEN_BYTE_ARRAY(%d) column", i,
                     (unsigned long long)(pre + (uint64_t)suf[i]), c->se->type_length);
            free(prefix);
            return pq_fail_at(r, e, off, c, why);
        }
        total += pre + (uint64_t)suf[i] + 1;
        sufbytes += (uint64_t)suf[i];
    }
    if (sufbytes > (uint64_t)(end - p)) { free(prefix); return pq_fail_at(r, e, off, c, "delta-encoded string data shorter than its lengths"); }
    if (total > PQ_MAX_PAGE_BYTES * 2) { free(prefix); return pq_fail_at(r, e, off, c, "page's strings too large"); }
    if (buf_reserve(&c->arena, &c->arcap, (size_t)total + 1) < 0) { free(prefix); return pq_fail_at(r, e, off, c, "out of memory"); }
    char *a = (char *)c->arena;
    const char *prevp = a;
    for (int32_t i = 0; i < n; i++) {
        size_t pre = prefixed ? (size_t)prefix[i] : 0, s = (size_t)suf[i];
        if (pre) memcpy(a, prevp, pre);
        memcpy(a + pre, p, s);
        p += s;
        a[pre + s] = 0;
        v->s[i] = (pq_str){a, (uint32_t)(pre + s)};
        prevp = a;
        a += pre + s + 1;
    }
    free(prefix);
    return 0;
}

/* "dictionary entry I" or "row R" for value i of v: dict, the values are
 * dictionary entries; else the page's, whose first row is c->page_first_row
 * (nulls skipped via the definition levels). */
static void value_where(const pq_col *c, int dict, int32_t i, char *out, size_t cap)
{
    if (dict) {
        snprintf(out, cap, "dictionary entry %d", i);
        return;
    }
    uint64_t row = c->page_first_row + (uint64_t)i;
    if (c->optional) {   /* the i-th non-null value's row */
        int32_t j = 0, seen = -1;
        while (j < c->page_n && !(c->defs[j] && ++seen == i)) j++;
        row = c->page_first_row + (uint64_t)j;
    }
    snprintf(out, cap, "row %llu", (unsigned long long)row);
}

/* Values rendered as text (the text, the id, string metadata: binary without
 * an annotation or with a string one) must be valid UTF-8: a corrupt or
 * mislabelled page must not reach a corpus or a JSON line. Binary rendered
 * from its bytes (UUID, DECIMAL, FLOAT16, INTERVAL; check_schema refuses
 * every other annotation) is exempt, but a variable-length DECIMAL must fit
 * the exact formatting's PQ_MAX_DECIMAL_BYTES. */
static int check_values(pq_reader *r, pq_col *c, const pq_vals *v, int dict, uint64_t off, blalm_err *e)
{
    if (c->ptype != PT_BYTE_ARRAY && c->ptype != PT_FLBA) return 0;
    char where[64], why[240];
    if (c->se->kind == LK_DECIMAL) {
        for (int32_t i = 0; i < v->n; i++) {
            if (v->s[i].n <= PQ_MAX_DECIMAL_BYTES) continue;
            value_where(c, dict, i, where, sizeof where);
            snprintf(why, sizeof why, "%s: DECIMAL value of %u bytes is not supported (blalm formats decimals of up to %d bytes exactly)",
                     where, v->s[i].n, PQ_MAX_DECIMAL_BYTES);
            return pq_fail_at(r, e, off, c, why);
        }
        return 0;
    }
    if (c->se->kind != LK_NONE && c->se->kind != LK_STRING) return 0;
    for (int32_t i = 0; i < v->n; i++) {
        size_t bad;
        if (utf8_valid(v->s[i].p, v->s[i].n, &bad)) continue;
        value_where(c, dict, i, where, sizeof where);
        snprintf(why, sizeof why, "%s%s is not valid UTF-8 (at its byte %zu)", where, dict ? "" : ": value", bad);
        return pq_fail_at(r, e, off, c, why);
    }
    return 0;
}

static int decode_values(pq_reader *r, pq_col *c, int enc, uint8_t *p, const uint8_t *end,
                         int32_t n, uint64_t off, blalm_err *e)
{
    pq_vals *v = &c->vals;
    char why[160];
    switch (enc) {
    case ENC_PLAIN:
        return decode_plain(r, c, p, end, n, v, off, e);
    case ENC_PLAIN_DICTIONARY: case ENC_RLE_DICTIONARY: {
        if (!c->have_dict) return pq_fail_at(r, e, off, c, "dictionary-encoded page without a dictionary page");
        if (grow((void **)&c->idx, &c->idxcap, (size_t)n + 1, sizeof *c->idx) < 0 ||
            vals_reserve(v, c->ptype, (size_t)n) < 0)
            return pq_fail_at(r, e, off, c, "out of memory");
        v->n = n;
        if (n == 0) return 0;
        if (p >= end) return pq_fail_at(r, e, off, c, "dictionary indices missing their bit width");
        int bw = *p++;
        if (bw > 32) return pq_fail_at(r, e, off, c, "dictionary index bit width over 32");
        if (rle_decode(p, end, bw, c->idx, (size_t)n) < 0)
            return pq_fail_at(r, e, off, c, "truncated or corrupt RLE dictionary indices");
        uint32_t nd = (uint32_t)c->dict.n;
        for (int32_t i = 0; i < n; i++) {
            uint32_t k = c->idx[i];
            if (k >= nd) {
                snprintf(why, sizeof why, "dictionary index %u beyond the dictionary's %u entries", k, nd);
                return pq_fail_at(r, e, off, c, why);
            }
            if (c->ptype == PT_BYTE_ARRAY || c->ptype == PT_FLBA) v->s[i] = c->dict.s[k];
            else if (c->ptype == PT_FLOAT || c->ptype == PT_DOUBLE) v->d[i] = c->dict.d[k];
            else v->i[i] = c->dict.i[k];
        }
        return 0;
    }
    case ENC_RLE:
        if (c->ptype != PT_BOOLEAN) break;
        if (grow((void **)&c->idx, &c->idxcap, (size_t)n + 1, sizeof *c->idx) < 0 ||
            vals_reserve(v, c->ptype, (size_t)n) < 0)
            return pq_fail_at(r, e, off, c, "out of memory");
        v->n = n;
        if (end - p < 4) return pq_fail_at(r, e, off, c, "RLE booleans missing their length");
        {
            uint32_t len = rd32(p);
            p += 4;
            if ((size_t)(end - p) < len) return pq_fail_at(r, e, off, c, "RLE booleans longer than the page");
            if (rle_decode(p, p + len, 1, c->idx, (size_t)n) < 0)
                return pq_fail_at(r, e, off, c, "truncated RLE booleans");
        }
        for (int32_t i = 0; i < n; i++) v->i[i] = c->idx[i] & 1;
        return 0;
    case ENC_DELTA_BINARY_PACKED: {
        if (c->ptype != PT_INT32 && c->ptype != PT_INT64) break;
        if (vals_reserve(v, c->ptype, (size_t)n + 1) < 0) return pq_fail_at(r, e, off, c, "out of memory");
        size_t cnt;
        const char *dwhy = "";
        if (delta_decode(p, end, v->i, (size_t)n, &cnt, &dwhy) < 0) return pq_fail_at(r, e, off, c, dwhy);
        if (cnt != (size_t)n) return pq_fail_at(r, e, off, c, "DELTA_BINARY_PACKED count does not match the page");
        if (c->ptype == PT_INT32)
            for (int32_t i = 0; i < n; i++) v->i[i] = (int32_t)(uint32_t)(uint64_t)v->i[i];
        v->n = n;
        return 0;
    }
    case ENC_DELTA_LENGTH_BYTE_ARRAY:
        return decode_delta_strings(r, c, p, end, n, 0, v, off, e);
    case ENC_DELTA_BYTE_ARRAY:
        return decode_delta_strings(r, c, p, end, n, 1, v, off, e);
    case ENC_BYTE_STREAM_SPLIT:
        return decode_bss(r, c, p, end, n, v, off, e);
    default:
        break;
    }
    snprintf(why, sizeof why, "encoding %s (%d) on a %s column is not supported", encoding_name(enc), enc,
             pq_type_name(c->ptype));
    return pq_fail_at(r, e, off, c, why);
}

/* ---- pages -------------------------------------------------------------- */

typedef struct page_header {
    int type;
    int64_t usize, csize;
    int64_t nvalues;
    int encoding, def_encoding;
    int64_t num_nulls, def_len, rep_len;
    int is_compressed;
} page_header;

static void parse_data_header(thrift_in *t, page_header *h, int v2)
{
    int16_t last = 0, id;
    int ft;
    while (tin_field(t, &last, &ft, &id)) {
        int64_t x = 0;
        if (ft == TT_I32 || ft == TT_I64 || ft == TT_I16) {
            x = tin_zigzag(t);
            if (x < INT32_MIN || x > INT32_MAX) x = -1;   /* i32 fields: out of range is corrupt */
        }
        else if (ft == TT_TRUE || ft == TT_FALSE) x = ft == TT_TRUE;
        else { tin_skip(t, ft); continue; }
        if (!v2) {
            if (id == 1) h->nvalues = x;
            else if (id == 2) h->encoding = (int)x;
            else if (id == 3) h->def_encoding = (int)x;
        } else {
            if (id == 1) h->nvalues = x;
            else if (id == 2) h->num_nulls = x;
            else if (id == 4) h->encoding = (int)x;
            else if (id == 5) h->def_len = x;
            else if (id == 6) h->rep_len = x;
            else if (id == 7) h->is_compressed = (int)x;
        }
    }
}

static int64_t i32_or_bad(int64_t x) { return x < INT32_MIN || x > INT32_MAX ? -1 : x; }

static int parse_page_header(pq_reader *r, pq_col *c, const uint8_t *p, page_header *h,
                             size_t *hlen, blalm_err *e)
{
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->usize = h->csize = -1;
    h->is_compressed = 1;
    h->def_encoding = ENC_RLE;
    thrift_in t;
    tin_init(&t, p, (size_t)(c->data_end - p), pq_off(c, p));
    int16_t last = 0, id;
    int ft;
    while (tin_field(&t, &last, &ft, &id)) {
        switch (id) {
        case 1: h->type = (int)i32_or_bad(tin_zigzag(&t)); break;
        case 2: h->usize = i32_or_bad(tin_zigzag(&t)); break;
        case 3: h->csize = i32_or_bad(tin_zigzag(&t)); break;
        case 5: case 7: case 8:
            if (ft != TT_STRUCT) { tin_skip(&t, ft); break; }
            parse_data_header(&t, h, id == 8);
            break;
        default: tin_skip(&t, ft);
        }
    }
    if (t.err) {
        char why[128];
        snprintf(why, sizeof why, "corrupt page header (%s)", t.err_what);
        return pq_fail_at(r, e, t.err_off, c, why);
    }
    *hlen = (size_t)(t.p - p);
    if (h->csize < 0 || h->usize < 0 || (uint64_t)h->usize > PQ_MAX_PAGE_BYTES)
        return pq_fail_at(r, e, pq_off(c, p), c, "page header without valid sizes");
    return 0;
}

static int decode_dict_page(pq_reader *r, pq_col *c, const page_header *h, const uint8_t *body,
                            uint64_t off, blalm_err *e)
{
    if (h->encoding != ENC_PLAIN && h->encoding != ENC_PLAIN_DICTIONARY)
        return pq_fail_at(r, e, off, c, "dictionary page not PLAIN-encoded");
    if (h->nvalues < 0) return pq_fail_at(r, e, off, c, "dictionary page with a negative or out-of-range number of values");
    if (pq_page_values_fit(r, c, h->nvalues, "dictionary", off, e) < 0) return -1;
    if (buf_reserve(&c->dbuf, &c->dcap, (size_t)h->usize + 1) < 0) return pq_fail_at(r, e, off, c, "out of memory");
    if (decompress(r, c, body, (size_t)h->csize, c->dbuf, (size_t)h->usize, off, e) < 0) return -1;
    if (decode_plain(r, c, c->dbuf, c->dbuf + h->usize, (int32_t)h->nvalues, &c->dict, off, e) < 0) return -1;
    if (check_values(r, c, &c->dict, 1, off, e) < 0) return -1;
    c->have_dict = 1;
    return 0;
}

/* Loads the next data page of c (skipping dictionary and index pages). */
static int next_page(pq_reader *r, pq_col *c, blalm_err *e)
{
    for (;;) {
        if (c->values_left <= 0)
            return pq_fail_at(r, e, pq_off(c, c->pos), c, "column chunk ends before the row group's last row");
        if (c->pos >= c->end)
            return pq_fail_at(r, e, pq_off(c, c->pos), c,
                           "page offset beyond the column chunk's end (its total_compressed_size)");
        page_header h;
        size_t hlen = 0;
        uint64_t off = pq_off(c, c->pos);
        if (parse_page_header(r, c, c->pos, &h, &hlen, e) < 0) return -1;
        const uint8_t *body = c->pos + hlen;
        if ((uint64_t)h.csize > r->len - pq_off(c, body)) {
            char why[160];
            snprintf(why, sizeof why, "page of %lld bytes runs past the end of the file (%zu bytes)",
                     (long long)h.csize, r->len);
            return pq_fail_at(r, e, off, c, why);
        }
        if (body > c->end || (uint64_t)h.csize > (uint64_t)(c->end - body)) {
            char why[200];
            snprintf(why, sizeof why, "page of %lld bytes runs past the end of its column chunk (byte %llu)",
                     (long long)h.csize, (unsigned long long)pq_off(c, c->end));
            return pq_fail_at(r, e, off, c, why);
        }
        c->pos = body + h.csize;
        if (h.type == PAGE_DICTIONARY) {
            if (decode_dict_page(r, c, &h, body, off, e) < 0) return -1;
            continue;
        }
        if (h.type == PAGE_INDEX) continue;
        if (h.type != PAGE_DATA && h.type != PAGE_DATA_V2) {
            char why[64];
            snprintf(why, sizeof why, "unknown page type %d", h.type);
            return pq_fail_at(r, e, off, c, why);
        }
        if (h.nvalues < 0) return pq_fail_at(r, e, off, c, "data page with a negative or out-of-range number of values");
        if (h.nvalues > c->values_left) {
            char why[200];
            snprintf(why, sizeof why, "data page holds %lld values but its column chunk has only %lld left (corrupt page header or footer?)",
                     (long long)h.nvalues, (long long)c->values_left);
            return pq_fail_at(r, e, off, c, why);
        }
        if (pq_page_values_fit(r, c, h.nvalues, "data", off, e) < 0) return -1;
        int32_t n = (int32_t)h.nvalues;
        c->values_left -= n;
        const uint8_t *lv, *lv_end;     /* definition levels */
        uint8_t *vp, *vend;             /* values */
        if (h.type == PAGE_DATA) {
            if (buf_reserve(&c->pbuf, &c->pcap, (size_t)h.usize + 1) < 0) return pq_fail_at(r, e, off, c, "out of memory");
            if (decompress(r, c, body, (size_t)h.csize, c->pbuf, (size_t)h.usize, off, e) < 0) return -1;
            vp = c->pbuf;
            vend = c->pbuf + h.usize;
            lv = lv_end = NULL;
            if (c->optional) {
                if (h.def_encoding != ENC_RLE)
                    return pq_fail_at(r, e, off, c, "definition levels not RLE-encoded (BIT_PACKED levels are not supported)");
                if (vend - vp < 4) return pq_fail_at(r, e, off, c, "definition levels missing their length");
                uint32_t dl = rd32(vp);
                if ((size_t)(vend - vp - 4) < dl) return pq_fail_at(r, e, off, c, "definition levels longer than the page");
                lv = vp + 4;
                lv_end = lv + dl;
                vp += 4 + dl;
            }
        } else {
            if (h.rep_len < 0 || h.def_len < 0 || h.rep_len + h.def_len > h.csize || h.rep_len + h.def_len > h.usize)
                return pq_fail_at(r, e, off, c, "level lengths larger than the page");
            lv = body + h.rep_len;
            lv_end = lv + h.def_len;
            const uint8_t *cv = lv_end;
            size_t clen = (size_t)(h.csize - h.rep_len - h.def_len);
            size_t ulen = (size_t)(h.usize - h.rep_len - h.def_len);
            if (buf_reserve(&c->pbuf, &c->pcap, ulen + 1) < 0) return pq_fail_at(r, e, off, c, "out of memory");
            if (h.is_compressed && c->codec != CODEC_UNCOMPRESSED) {
                if (decompress(r, c, cv, clen, c->pbuf, ulen, off, e) < 0) return -1;
            } else {
                if (clen != ulen) return pq_fail_at(r, e, off, c, "uncompressed v2 page sizes disagree");
                memcpy(c->pbuf, cv, clen);
            }
            vp = c->pbuf;
            vend = c->pbuf + ulen;
        }
        int32_t nonnull = n;
        if (c->optional) {
            if (grow((void **)&c->defs, &c->defcap, (size_t)n + 1, sizeof *c->defs) < 0) return pq_fail_at(r, e, off, c, "out of memory");
            if (rle_decode(lv, lv_end, 1, c->defs, (size_t)n) < 0)
                return pq_fail_at(r, e, off, c, "truncated or corrupt definition levels");
            nonnull = 0;
            for (int32_t i = 0; i < n; i++) nonnull += c->defs[i] != 0;
        }
        c->page_n = n;
        c->page_first_row = r->row;
        if (decode_values(r, c, h.encoding, vp, vend, nonnull, off, e) < 0) return -1;
        if (h.encoding != ENC_PLAIN_DICTIONARY && h.encoding != ENC_RLE_DICTIONARY &&
            check_values(r, c, &c->vals, 0, off, e) < 0)
            return -1;
        c->page_row = 0;
        c->page_val = 0;
        if (n > 0) return 0;
    }
}

/* Next value of c: returns 1 with *k its index in c->vals, 0 for null, -1 error. */
int pq_col_take(pq_reader *r, pq_col *c, int32_t *k, blalm_err *e)
{
    if (c->page_row >= c->page_n && next_page(r, c, e) < 0) return -1;
    int32_t i = c->page_row++;
    if (c->optional && !c->defs[i]) return 0;
    *k = c->page_val++;
    return 1;
}

void pq_col_free(pq_col *c)
{
    pq_buf_free(c->dbuf, c->dcap);
    free(c->dict.s); free(c->dict.i); free(c->dict.d);
    pq_buf_free(c->pbuf, c->pcap);
    pq_buf_free(c->arena, c->arcap);
    pq_buf_free(c->cbuf, c->ccap);
    free(c->defs); free(c->idx); free(c->tmp);
    free(c->vals.s); free(c->vals.i); free(c->vals.d);
}
