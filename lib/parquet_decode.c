/* parquet_decode.c - level and value decoders: RLE/bit-packed hybrid and
 * DELTA_BINARY_PACKED. Each reads only inside [p, end) and reports running
 * out of bytes instead of reading past them. */
#include "parquet_int.h"

#include <string.h>

typedef struct bitreader {
    const uint8_t *p, *end;
    uint64_t buf;
    int bits;
} bitreader;

/* Up to 32 bits, least significant first; caller has checked the bytes exist. */
static inline uint32_t br_get(bitreader *b, int n)
{
    while (b->bits < n) {
        uint64_t byte = b->p < b->end ? *b->p : 0;
        b->p++;
        b->buf |= byte << b->bits;
        b->bits += 8;
    }
    uint32_t v = (uint32_t)(b->buf & (n == 32 ? 0xffffffffu : ((1u << n) - 1)));
    b->buf >>= n;
    b->bits -= n;
    return v;
}

static inline uint64_t br_get64(bitreader *b, int n)
{
    if (n <= 32) return n ? br_get(b, n) : 0;
    uint64_t lo = br_get(b, 32);
    return lo | (uint64_t)br_get(b, n - 32) << 32;
}

static int read_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p >= end) return -1;
        uint8_t b = *p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -1;
}

long rle_decode(const uint8_t *p, const uint8_t *end, int bw, uint32_t *out, size_t n)
{
    const uint8_t *start = p;
    if (bw < 0 || bw > 32) return -1;
    size_t got = 0;
    int vbytes = (bw + 7) / 8;
    while (got < n) {
        uint64_t h;
        if (read_varint(&p, end, &h) < 0) return -1;
        if (h & 1) {
            uint64_t groups = h >> 1;
            if (groups > ((uint64_t)1 << 40)) return -1;
            uint64_t count = groups * 8;
            size_t take = count < n - got ? (size_t)count : n - got;
            uint64_t need = ((uint64_t)take * (uint64_t)bw + 7) / 8;
            uint64_t full = groups * (uint64_t)bw;
            if ((uint64_t)(end - p) < need) return -1;
            if (bw == 0) {
                memset(out + got, 0, take * sizeof *out);
            } else {
                bitreader br = {p, p + need, 0, 0};
                for (size_t i = 0; i < take; i++) out[got + i] = br_get(&br, bw);
            }
            got += take;
            /* the last run may be cut short by the writer; skip what exists */
            p += full < (uint64_t)(end - p) ? full : (uint64_t)(end - p);
        } else {
            uint64_t count = h >> 1;
            if (end - p < vbytes) return -1;
            uint32_t v = 0;
            for (int i = 0; i < vbytes; i++) v |= (uint32_t)p[i] << (8 * i);
            p += vbytes;
            size_t take = count < n - got ? (size_t)count : n - got;
            for (size_t i = 0; i < take; i++) out[got + i] = v;
            got += take;
        }
    }
    return (long)(p - start);
}

long delta_decode(const uint8_t *p, const uint8_t *end, int64_t *out, size_t cap,
                  size_t *count, const char **why)
{
    const uint8_t *start = p;
    uint64_t block, nmini, total, zz;
    *count = 0;
    if (read_varint(&p, end, &block) < 0 || read_varint(&p, end, &nmini) < 0 ||
        read_varint(&p, end, &total) < 0 || read_varint(&p, end, &zz) < 0) {
        *why = "truncated DELTA_BINARY_PACKED header";
        return -1;
    }
    if (block == 0 || block % 128 || block > (1u << 20) || nmini == 0 || block % nmini ||
        (block / nmini) % 32) {
        *why = "bad DELTA_BINARY_PACKED block size";
        return -1;
    }
    if (total > cap) {
        *why = "DELTA_BINARY_PACKED holds more values than the page";
        return -1;
    }
    *count = (size_t)total;
    if (total == 0) return (long)(p - start);
    uint64_t last = (uint64_t)zigzag_decode(zz);
    out[0] = (int64_t)last;
    uint64_t got = 1, per_mini = block / nmini;
    while (got < total) {
        uint64_t mzz;
        if (read_varint(&p, end, &mzz) < 0) { *why = "truncated DELTA_BINARY_PACKED block"; return -1; }
        uint64_t min_delta = (uint64_t)zigzag_decode(mzz);
        if ((uint64_t)(end - p) < nmini) { *why = "truncated DELTA_BINARY_PACKED bit widths"; return -1; }
        const uint8_t *widths = p;
        p += nmini;
        for (uint64_t m = 0; m < nmini && got < total; m++) {
            int bw = widths[m];
            if (bw > 64) { *why = "DELTA_BINARY_PACKED bit width over 64"; return -1; }
            uint64_t take = total - got < per_mini ? total - got : per_mini;
            uint64_t need = (take * (uint64_t)bw + 7) / 8, full = per_mini * (uint64_t)bw / 8;
            if ((uint64_t)(end - p) < need) { *why = "truncated DELTA_BINARY_PACKED miniblock"; return -1; }
            bitreader br = {p, p + need, 0, 0};
            for (uint64_t j = 0; j < take; j++) {
                last += min_delta + br_get64(&br, bw);   /* wrapping, as the spec says */
                out[got++] = (int64_t)last;
            }
            p += full < (uint64_t)(end - p) ? full : (uint64_t)(end - p);
        }
    }
    return (long)(p - start);
}
