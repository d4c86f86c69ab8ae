/* parquet_write.c - parquet writer for flat schemas of strings and scalars.
 *
 * Rows are appended column by column into pages (data page v1, at most
 * PQW_PAGE_BYTES of values or PQW_PAGE_ROWS rows); finished pages are
 * compressed into an in-memory column chunk, and a row group is written out
 * when its buffered values reach row_group_bytes. Strings may be dictionary
 * encoded (RLE_DICTIONARY, PLAIN dictionary page); a dictionary that grows
 * past PQW_DICT_BYTES falls back to PLAIN for the rest of the row group, as
 * parquet-mr and arrow do. The file lives under a temporary name until
 * pqw_commit() renames it into place. */
#include "parquet_int.h"
#include "sbuf.h"

#include <errno.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#define PQW_PAGE_BYTES (1u << 20)
#define PQW_PAGE_ROWS  20000
#define PQW_DICT_BYTES (1u << 20)
#define PQW_DEFAULT_RG ((uint64_t)128 << 20)
#ifndef BLALM_VERSION
#define BLALM_VERSION "dev"
#endif

typedef struct wcol {
    char *name;
    pq_type type;
    int nullable;
    /* current page */
    sbuf levels;           /* one byte per row: 1 defined, 0 null */
    sbuf vals;             /* PLAIN bytes (booleans: bit-packed) */
    uint32_t *idx; size_t nidx, idxcap;   /* dictionary indices of the page */
    int64_t page_nonnull;
    int page_dict;         /* the current page holds dictionary indices */
    /* dictionary of the row group */
    int dict_on;           /* strings, dictionary requested, not fallen back */
    sbuf dict;             /* PLAIN-encoded entries */
    uint32_t *dict_off;    /* offset of each entry's length prefix in dict */
    uint32_t ndict, dict_offcap;
    uint32_t *hash;        /* open addressing: entry index + 1, 0 = empty */
    uint32_t hashcap;
    /* column chunk of the row group */
    sbuf chunk;
    int64_t chunk_values, chunk_usize;
    int used_plain, used_dict;
} wcol;

struct pq_writer {
    char *path, *tmp;
    FILE *f;
    uint64_t off;
    wcol *cols;
    int ncols;
    pq_write_opts o;
    uint64_t rg_bytes;
    int64_t rg_rows, total_rows;
    sbuf rgmeta;           /* serialized RowGroup structs */
    int nrg;
    sbuf scratch, hdr, levels_enc;
    ZSTD_CCtx *zc;
};

/* ---- Thrift compact output ----------------------------------------------- */

static void tw_varint(sbuf *b, uint64_t v)
{
    uint8_t tmp[10];
    int n = 0;
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        tmp[n++] = c | (v ? 0x80 : 0);
    } while (v);
    sb_add(b, tmp, (size_t)n);
}

static void tw_field(sbuf *b, int16_t *last, int16_t id, int type)
{
    int delta = id - *last;
    if (delta > 0 && delta <= 15) sb_addc(b, (char)(delta << 4 | type));
    else {
        sb_addc(b, (char)type);
        tw_varint(b, ((uint64_t)(int64_t)id << 1) ^ (uint64_t)((int64_t)id >> 63));
    }
    *last = id;
}

static void tw_i64(sbuf *b, int16_t *last, int16_t id, int64_t v)
{
    tw_field(b, last, id, TT_I64);
    tw_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void tw_i32(sbuf *b, int16_t *last, int16_t id, int32_t v)
{
    tw_field(b, last, id, TT_I32);
    tw_varint(b, (uint64_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)));
}

static void tw_zz(sbuf *b, int64_t v) { tw_varint(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

static void tw_binary(sbuf *b, int16_t *last, int16_t id, const char *s, size_t n)
{
    tw_field(b, last, id, TT_BINARY);
    tw_varint(b, n);
    sb_add(b, s, n);
}

static void tw_list(sbuf *b, int elem, uint32_t n)
{
    if (n < 15) sb_addc(b, (char)(n << 4 | (unsigned)elem));
    else {
        sb_addc(b, (char)(0xf0 | elem));
        tw_varint(b, n);
    }
}

/* ---- RLE / bit-packed hybrid encoder -------------------------------------- */

static size_t run_at(const uint32_t *v, size_t n, size_t i)
{
    size_t j = i + 1;
    while (j < n && v[j] == v[i]) j++;
    return j - i;
}

static void rle_encode(sbuf *out, const uint32_t *v, size_t n, int bw)
{
    int vbytes = (bw + 7) / 8;
    size_t i = 0;
    while (i < n) {
        size_t run = run_at(v, n, i);
        if (run >= 8) {
            tw_varint(out, (uint64_t)run << 1);
            for (int k = 0; k < vbytes; k++) sb_addc(out, (char)(v[i] >> (8 * k)));
            i += run;
            continue;
        }
        /* bit-pack groups of 8 until a long run starts at a group boundary */
        size_t j = i;
        do j += 8; while (j < n && run_at(v, n, j) < 8 && j - i < (1u << 16));
        size_t cnt = j - i, groups = cnt / 8;
        tw_varint(out, (uint64_t)groups << 1 | 1);
        uint64_t acc = 0;
        int bits = 0;
        for (size_t k = 0; k < cnt; k++) {
            uint64_t x = i + k < n ? v[i + k] : 0;
            acc |= x << bits;
            bits += bw;
            while (bits >= 8) {
                sb_addc(out, (char)(acc & 0xff));
                acc >>= 8;
                bits -= 8;
            }
        }
        if (bits > 0) sb_addc(out, (char)(acc & 0xff));
        i = j;
    }
}

static int bit_width(uint32_t max)
{
    int w = 0;
    while (w < 32 && (max >> w)) w++;
    return w;
}

/* ---- compression ------------------------------------------------------- */

static int compress_into(pq_writer *w, const uint8_t *src, size_t n, sbuf *out, blalm_err *e)
{
    sb_reset(out);
    switch (w->o.codec) {
    case PQ_CODEC_NONE:
        sb_add(out, src, n);
        return 0;
    case PQ_CODEC_SNAPPY: {
        size_t cap = snappy_max_compressed_length(n);
        sb_reserve(out, cap);
        if (snappy_compress((const char *)src, n, out->data, &cap) != SNAPPY_OK)
            return err_set(e, "%s: snappy compression failed", w->path);
        out->len = cap;
        return 0;
    }
    case PQ_CODEC_ZSTD: {
        if (!w->zc && !(w->zc = ZSTD_createCCtx())) return err_set(e, "out of memory");
        size_t cap = ZSTD_compressBound(n);
        sb_reserve(out, cap);
        size_t r = ZSTD_compressCCtx(w->zc, out->data, cap, src, n, 3);
        if (ZSTD_isError(r)) return err_set(e, "%s: zstd compression failed: %s", w->path, ZSTD_getErrorName(r));
        out->len = r;
        return 0;
    }
    }
    return err_set(e, "%s: unknown codec %d", w->path, (int)w->o.codec);
}

static int codec_id(pq_codec c)
{
    return c == PQ_CODEC_SNAPPY ? CODEC_SNAPPY : c == PQ_CODEC_ZSTD ? CODEC_ZSTD : CODEC_UNCOMPRESSED;
}

static int ptype_of(pq_type t)
{
    switch (t) {
    case PQ_STRING: return PT_BYTE_ARRAY;
    case PQ_INT32: return PT_INT32;
    case PQ_INT64: return PT_INT64;
    case PQ_FLOAT: return PT_FLOAT;
    case PQ_DOUBLE: return PT_DOUBLE;
    case PQ_BOOL: return PT_BOOLEAN;
    }
    return PT_BYTE_ARRAY;
}

/* Appends one page (header + compressed body) to the column chunk. */
static int emit_page(pq_writer *w, wcol *c, int page_type, int encoding, int64_t nvalues,
                     const uint8_t *body, size_t n, blalm_err *e)
{
    if (n > INT32_MAX) return err_set(e, "%s: column '%s': page larger than 2 GiB", w->path, c->name);
    if (compress_into(w, body, n, &w->scratch, e) < 0) return -1;
    sbuf *h = &w->hdr;
    sb_reset(h);
    int16_t last = 0;
    tw_i32(h, &last, 1, page_type);
    tw_i32(h, &last, 2, (int32_t)n);
    tw_i32(h, &last, 3, (int32_t)w->scratch.len);
    int16_t l2 = 0;
    if (page_type == PAGE_DATA) {
        tw_field(h, &last, 5, TT_STRUCT);
        tw_i32(h, &l2, 1, (int32_t)nvalues);
        tw_i32(h, &l2, 2, encoding);
        tw_i32(h, &l2, 3, ENC_RLE);
        tw_i32(h, &l2, 4, ENC_RLE);
    } else {
        tw_field(h, &last, 7, TT_STRUCT);
        tw_i32(h, &l2, 1, (int32_t)nvalues);
        tw_i32(h, &l2, 2, ENC_PLAIN);
    }
    sb_addc(h, 0);
    sb_addc(h, 0);
    sb_add(&c->chunk, h->data, h->len);
    sb_add(&c->chunk, w->scratch.data, w->scratch.len);
    c->chunk_usize += (int64_t)(h->len + n);
    return 0;
}

static int flush_page(pq_writer *w, wcol *c, blalm_err *e)
{
    int64_t nrows = (int64_t)c->levels.len;
    if (nrows == 0) return 0;
    sbuf *body = &w->levels_enc;
    sb_reset(body);
    if (c->nullable) {
        /* levels: 4-byte length, then RLE hybrid with bit width 1 */
        sb_add(body, "\0\0\0\0", 4);
        uint32_t *lv = malloc((size_t)nrows * sizeof *lv);
        if (!lv) return err_set(e, "out of memory");
        for (int64_t i = 0; i < nrows; i++) lv[i] = (uint8_t)c->levels.data[i];
        rle_encode(body, lv, (size_t)nrows, 1);
        free(lv);
        uint32_t ln = (uint32_t)(body->len - 4);
        for (int k = 0; k < 4; k++) body->data[k] = (char)(ln >> (8 * k));
    }
    int enc;
    /* A page of nulls only is PLAIN (no values): as RLE_DICTIONARY it would
     * need a dictionary page, and a row group with no value has none. */
    if (c->page_dict && c->nidx > 0) {
        int bw = bit_width(c->ndict ? c->ndict - 1 : 0);
        sb_addc(body, (char)bw);
        rle_encode(body, c->idx, c->nidx, bw);
        enc = ENC_RLE_DICTIONARY;
        c->used_dict = 1;
    } else {
        sb_add(body, c->vals.data, c->vals.len);
        enc = ENC_PLAIN;
        c->used_plain = 1;
    }
    if (emit_page(w, c, PAGE_DATA, enc, nrows, (const uint8_t *)body->data, body->len, e) < 0) return -1;
    c->chunk_values += nrows;
    sb_reset(&c->levels);
    sb_reset(&c->vals);
    c->nidx = 0;
    c->page_nonnull = 0;
    c->page_dict = c->dict_on;
    return 0;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
    return h ^ (h >> 29);
}

static int dict_grow_hash(wcol *c)
{
    uint32_t cap = c->hashcap ? c->hashcap * 2 : 1024;
    uint32_t *t = calloc(cap, sizeof *t);
    if (!t) return -1;
    for (uint32_t k = 0; k < c->ndict; k++) {
        const char *p = c->dict.data + c->dict_off[k];
        uint32_t n;
        memcpy(&n, p, 4);
        uint64_t h = hash_bytes(p + 4, n);
        uint32_t s = (uint32_t)h & (cap - 1);
        while (t[s]) s = (s + 1) & (cap - 1);
        t[s] = k + 1;
    }
    free(c->hash);
    c->hash = t;
    c->hashcap = cap;
    return 0;
}

/* Index of s in the dictionary (added when new); -1 when the dictionary is full. */
static int64_t dict_index(wcol *c, const char *s, size_t n)
{
    if (c->ndict * 2 >= c->hashcap && dict_grow_hash(c) < 0) return -1;
    uint64_t h = hash_bytes(s, n);
    uint32_t slot = (uint32_t)h & (c->hashcap - 1);
    while (c->hash[slot]) {
        uint32_t k = c->hash[slot] - 1;
        const char *p = c->dict.data + c->dict_off[k];
        uint32_t len;
        memcpy(&len, p, 4);
        if (len == n && memcmp(p + 4, s, n) == 0) return k;
        slot = (slot + 1) & (c->hashcap - 1);
    }
    if (c->dict.len + n + 4 > PQW_DICT_BYTES && c->ndict > 0) return -1;
    if (c->ndict == c->dict_offcap) {
        uint32_t cap = c->dict_offcap ? c->dict_offcap * 2 : 256;
        uint32_t *q = realloc(c->dict_off, cap * sizeof *q);
        if (!q) return -1;
        c->dict_off = q;
        c->dict_offcap = cap;
    }
    c->dict_off[c->ndict] = (uint32_t)c->dict.len;
    uint32_t len = (uint32_t)n;
    sb_add(&c->dict, &len, 4);   /* little-endian hosts only (x86-64, arm64) */
    sb_add(&c->dict, s, n);
    c->hash[slot] = c->ndict + 1;
    return c->ndict++;
}

static void put_le(sbuf *b, uint64_t v, int n)
{
    uint8_t t[8];
    for (int i = 0; i < n; i++) t[i] = (uint8_t)(v >> (8 * i));
    sb_add(b, t, (size_t)n);
}

static int add_value(pq_writer *w, wcol *c, const pq_value *v, blalm_err *e)
{
    if (v->is_null) {
        if (!c->nullable) return err_set(e, "%s: column '%s' is not nullable but got a null", w->path, c->name);
        sb_addc(&c->levels, 0);
        return 0;
    }
    sb_addc(&c->levels, 1);
    switch (c->type) {
    case PQ_STRING: {
        if (v->n > INT32_MAX) return err_set(e, "%s: column '%s': string longer than 2 GiB", w->path, c->name);
        const char *s = v->s ? v->s : "";
        if (c->page_dict) {
            int64_t k = dict_index(c, s, v->n);
            if (k < 0) {
                /* dictionary full: this page ends here, later pages are PLAIN */
                c->levels.len--;        /* re-added after the flush */
                c->dict_on = 0;
                return -2;
            }
            if (c->nidx == c->idxcap) {
                size_t cap = c->idxcap ? c->idxcap * 2 : 1024;
                uint32_t *q = realloc(c->idx, cap * sizeof *q);
                if (!q) return err_set(e, "out of memory");
                c->idx = q;
                c->idxcap = cap;
            }
            c->idx[c->nidx++] = (uint32_t)k;
            w->rg_bytes += 4;
        } else {
            put_le(&c->vals, (uint32_t)v->n, 4);
            sb_add(&c->vals, s, v->n);
            w->rg_bytes += v->n + 4;
        }
        break;
    }
    case PQ_INT32: put_le(&c->vals, (uint32_t)(int32_t)v->i, 4); w->rg_bytes += 4; break;
    case PQ_INT64: put_le(&c->vals, (uint64_t)v->i, 8); w->rg_bytes += 8; break;
    case PQ_FLOAT: { float f = (float)v->d; uint32_t u; memcpy(&u, &f, 4); put_le(&c->vals, u, 4); w->rg_bytes += 4; break; }
    case PQ_DOUBLE: { uint64_t u; memcpy(&u, &v->d, 8); put_le(&c->vals, u, 8); w->rg_bytes += 8; break; }
    case PQ_BOOL: {
        int64_t k = c->page_nonnull;
        if (k % 8 == 0) sb_addc(&c->vals, 0);
        if (v->i) c->vals.data[c->vals.len - 1] |= (char)(1 << (k % 8));
        w->rg_bytes += 1;
        break;
    }
    }
    c->page_nonnull++;
    return 0;
}

/* Writes the buffered row group to the file and records its metadata. */
static int flush_row_group(pq_writer *w, blalm_err *e)
{
    if (w->rg_rows == 0) return 0;
    sbuf cols;
    sb_init(&cols);
    int64_t rg_usize = 0;
    for (int i = 0; i < w->ncols; i++) {
        wcol *c = &w->cols[i];
        if (flush_page(w, c, e) < 0) { sb_free(&cols); return -1; }
        uint64_t start = w->off;
        int64_t dict_off = -1, usize = c->chunk_usize;
        size_t csize = c->chunk.len;
        int64_t first_data = (int64_t)start;
        if (c->ndict > 0) {
            /* the dictionary page goes first: compress it, then the data pages */
            sbuf saved = c->chunk;
            sb_init(&c->chunk);
            if (emit_page(w, c, PAGE_DICTIONARY, ENC_PLAIN, c->ndict, (const uint8_t *)c->dict.data,
                          c->dict.len, e) < 0) {
                sb_free(&saved);
                sb_free(&cols);
                return -1;
            }
            usize = c->chunk_usize;
            dict_off = (int64_t)start;
            first_data = (int64_t)start + (int64_t)c->chunk.len;
            sb_add(&c->chunk, saved.data, saved.len);
            sb_free(&saved);
            csize = c->chunk.len;
        }
        if (fwrite(c->chunk.data, 1, c->chunk.len, w->f) != c->chunk.len) {
            sb_free(&cols);
            return err_errno(e, "%s: write", w->tmp);
        }
        w->off += c->chunk.len;
        /* ColumnChunk */
        int16_t last = 0;
        tw_i64(&cols, &last, 2, (int64_t)start);
        tw_field(&cols, &last, 3, TT_STRUCT);
        int16_t l2 = 0;
        tw_i32(&cols, &l2, 1, ptype_of(c->type));
        tw_field(&cols, &l2, 2, TT_LIST);
        int encs[3], ne = 0;
        if (c->used_plain || c->ndict) encs[ne++] = ENC_PLAIN;
        encs[ne++] = ENC_RLE;
        if (c->used_dict) encs[ne++] = ENC_RLE_DICTIONARY;
        tw_list(&cols, TT_I32, (uint32_t)ne);
        for (int k = 0; k < ne; k++) tw_zz(&cols, encs[k]);
        tw_field(&cols, &l2, 3, TT_LIST);
        tw_list(&cols, TT_BINARY, 1);
        tw_varint(&cols, strlen(c->name));
        sb_adds(&cols, c->name);
        tw_i32(&cols, &l2, 4, codec_id(w->o.codec));
        tw_i64(&cols, &l2, 5, c->chunk_values);
        tw_i64(&cols, &l2, 6, usize);
        tw_i64(&cols, &l2, 7, (int64_t)csize);
        tw_i64(&cols, &l2, 9, first_data);
        if (dict_off >= 0) tw_i64(&cols, &l2, 11, dict_off);
        sb_addc(&cols, 0);     /* end ColumnMetaData */
        sb_addc(&cols, 0);     /* end ColumnChunk */
        rg_usize += usize;
        /* reset for the next row group */
        sb_reset(&c->chunk);
        c->chunk_values = c->chunk_usize = 0;
        c->used_plain = c->used_dict = 0;
        sb_reset(&c->dict);
        c->ndict = 0;
        if (c->hash) memset(c->hash, 0, c->hashcap * sizeof *c->hash);
        c->dict_on = c->type == PQ_STRING && w->o.dictionary;
        c->page_dict = c->dict_on;
    }
    /* RowGroup */
    sbuf *g = &w->rgmeta;
    int16_t last = 0;
    tw_field(g, &last, 1, TT_LIST);
    tw_list(g, TT_STRUCT, (uint32_t)w->ncols);
    sb_add(g, cols.data, cols.len);
    tw_i64(g, &last, 2, rg_usize);
    tw_i64(g, &last, 3, w->rg_rows);
    sb_addc(g, 0);
    sb_free(&cols);
    w->nrg++;
    w->total_rows += w->rg_rows;
    w->rg_rows = 0;
    w->rg_bytes = 0;
    return 0;
}

pq_writer *pqw_open(const char *path, const pq_column *cols, int ncols,
                    const pq_write_opts *o, blalm_err *e)
{
    if (ncols <= 0) { err_set(e, "%s: a parquet file needs at least one column", path); return NULL; }
    pq_writer *w = calloc(1, sizeof *w);
    if (!w) { err_set(e, "out of memory"); return NULL; }
    if (o) w->o = *o;
    if (!w->o.row_group_bytes) w->o.row_group_bytes = PQW_DEFAULT_RG;
    w->path = strdup(path);
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path + 1) : 0;
    size_t cap = strlen(path) + 64;
    w->tmp = malloc(cap);
    if (!w->path || !w->tmp) { err_set(e, "out of memory"); pqw_abort(w); return NULL; }
    snprintf(w->tmp, cap, "%.*s.%s.tmp.%ld", (int)dlen, path, path + dlen, (long)getpid());
    w->cols = calloc((size_t)ncols, sizeof *w->cols);
    if (!w->cols) { err_set(e, "out of memory"); pqw_abort(w); return NULL; }
    w->ncols = ncols;
    sb_init(&w->rgmeta);
    sb_init(&w->scratch);
    sb_init(&w->hdr);
    sb_init(&w->levels_enc);
    for (int i = 0; i < ncols; i++) {
        wcol *c = &w->cols[i];
        c->name = strdup(cols[i].name ? cols[i].name : "");
        c->type = cols[i].type;
        c->nullable = cols[i].nullable;
        sb_init(&c->levels); sb_init(&c->vals); sb_init(&c->dict); sb_init(&c->chunk);
        c->dict_on = c->page_dict = c->type == PQ_STRING && w->o.dictionary;
        if (!c->name) { err_set(e, "out of memory"); pqw_abort(w); return NULL; }
        if ((unsigned)c->type > PQ_BOOL) { err_set(e, "%s: column '%s': unknown type %d", path, c->name, (int)c->type); pqw_abort(w); return NULL; }
    }
    w->f = fopen(w->tmp, "wb");
    if (!w->f) { err_errno(e, "%s", w->tmp); pqw_abort(w); return NULL; }
    if (fwrite("PAR1", 1, 4, w->f) != 4) { err_errno(e, "%s: write", w->tmp); pqw_abort(w); return NULL; }
    w->off = 4;
    return w;
}

int pqw_row(pq_writer *w, const pq_value *values, blalm_err *e)
{
    for (int i = 0; i < w->ncols; i++) {
        wcol *c = &w->cols[i];
        int rc = add_value(w, c, &values[i], e);
        if (rc == -2) {
            /* dictionary full: close the dictionary page of this column's current
             * page, then write this value PLAIN */
            if (flush_page(w, c, e) < 0) return -1;
            c->page_dict = 0;
            rc = add_value(w, c, &values[i], e);
        }
        if (rc < 0) return -1;
        if (c->levels.len >= PQW_PAGE_ROWS || c->vals.len >= PQW_PAGE_BYTES || c->nidx * 4 >= PQW_PAGE_BYTES)
            if (flush_page(w, c, e) < 0) return -1;
    }
    w->rg_rows++;
    if (w->rg_bytes >= w->o.row_group_bytes) return flush_row_group(w, e);
    return 0;
}

int pqw_commit(pq_writer *w, blalm_err *e)
{
    int rc = -1;
    if (flush_row_group(w, e) < 0) goto out;
    sbuf m;
    sb_init(&m);
    int16_t last = 0;
    tw_i32(&m, &last, 1, 1);
    tw_field(&m, &last, 2, TT_LIST);
    tw_list(&m, TT_STRUCT, (uint32_t)w->ncols + 1);
    { /* root */
        int16_t l = 0;
        tw_binary(&m, &l, 4, "schema", 6);
        tw_i32(&m, &l, 5, w->ncols);
        sb_addc(&m, 0);
    }
    for (int i = 0; i < w->ncols; i++) {
        wcol *c = &w->cols[i];
        int16_t l = 0;
        tw_i32(&m, &l, 1, ptype_of(c->type));
        tw_i32(&m, &l, 3, c->nullable ? 1 : 0);
        tw_binary(&m, &l, 4, c->name, strlen(c->name));
        if (c->type == PQ_STRING) {
            tw_i32(&m, &l, 6, 0);                 /* converted type UTF8 */
            tw_field(&m, &l, 10, TT_STRUCT);      /* logicalType STRING */
            int16_t l2 = 0;
            tw_field(&m, &l2, 1, TT_STRUCT);
            sb_addc(&m, 0);
            sb_addc(&m, 0);
        }
        sb_addc(&m, 0);
    }
    tw_i64(&m, &last, 3, w->total_rows);
    tw_field(&m, &last, 4, TT_LIST);
    tw_list(&m, TT_STRUCT, (uint32_t)w->nrg);
    sb_add(&m, w->rgmeta.data, w->rgmeta.len);
    tw_binary(&m, &last, 6, "blalm " BLALM_VERSION, strlen("blalm " BLALM_VERSION));
    sb_addc(&m, 0);
    uint8_t tail[8];
    uint32_t flen = (uint32_t)m.len;
    for (int k = 0; k < 4; k++) tail[k] = (uint8_t)(flen >> (8 * k));
    memcpy(tail + 4, "PAR1", 4);
    int ok = fwrite(m.data, 1, m.len, w->f) == m.len && fwrite(tail, 1, 8, w->f) == 8;
    sb_free(&m);
    if (!ok || fflush(w->f) != 0 || fsync(fileno(w->f)) != 0) { err_errno(e, "%s: write", w->tmp); goto out; }
    if (fclose(w->f) != 0) { w->f = NULL; err_errno(e, "%s: close", w->tmp); goto out; }
    w->f = NULL;
    if (rename(w->tmp, w->path) != 0) { err_errno(e, "rename %s to %s", w->tmp, w->path); goto out; }
    rc = 0;
out:
    if (rc == 0) { free(w->tmp); w->tmp = NULL; }
    pqw_abort(w);
    return rc;
}

void pqw_abort(pq_writer *w)
{
    if (!w) return;
    if (w->f) fclose(w->f);
    if (w->tmp) unlink(w->tmp);
    for (int i = 0; w->cols && i < w->ncols; i++) {
        wcol *c = &w->cols[i];
        free(c->name);
        sb_free(&c->levels); sb_free(&c->vals); sb_free(&c->dict); sb_free(&c->chunk);
        free(c->idx); free(c->dict_off); free(c->hash);
    }
    free(w->cols);
    sb_free(&w->rgmeta); sb_free(&w->scratch); sb_free(&w->hdr); sb_free(&w->levels_enc);
    if (w->zc) ZSTD_freeCCtx(w->zc);
    free(w->path);
    free(w->tmp);
    free(w);
}
