/* parquet_int.h - internals shared by lib/parquet*.c and their unit tests
 * (not part of the lib contract; other modules use parquet.h). */
#ifndef BLALM_PARQUET_INT_H
#define BLALM_PARQUET_INT_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "parquet.h"
#include "sbuf.h"
#include <zstd.h>

/* Parquet physical types, encodings, codecs, page types (parquet.thrift). */
enum { PT_BOOLEAN, PT_INT32, PT_INT64, PT_INT96, PT_FLOAT, PT_DOUBLE, PT_BYTE_ARRAY, PT_FLBA };
enum { ENC_PLAIN = 0, ENC_PLAIN_DICTIONARY = 2, ENC_RLE = 3, ENC_BIT_PACKED = 4,
       ENC_DELTA_BINARY_PACKED = 5, ENC_DELTA_LENGTH_BYTE_ARRAY = 6, ENC_DELTA_BYTE_ARRAY = 7,
       ENC_RLE_DICTIONARY = 8, ENC_BYTE_STREAM_SPLIT = 9 };
enum { CODEC_UNCOMPRESSED, CODEC_SNAPPY, CODEC_GZIP, CODEC_LZO, CODEC_BROTLI, CODEC_LZ4,
       CODEC_ZSTD, CODEC_LZ4_RAW };
enum { PAGE_DATA = 0, PAGE_INDEX = 1, PAGE_DICTIONARY = 2, PAGE_DATA_V2 = 3 };
/* Logical/converted annotations we render (pq_schema_el.kind). */
enum { LK_NONE, LK_STRING, LK_TIMESTAMP, LK_DATE, LK_TIME, LK_DECIMAL, LK_INT, LK_UUID, LK_FLOAT16,
       LK_INTERVAL };
/* DECIMALs are formatted exactly up to this many bytes (617 digits); wider
 * ones are refused, since the conversion costs the square of the width. */
#define PQ_MAX_DECIMAL_BYTES 256
#define PQ_MAX_DECIMAL_DIGITS 617

/* ---- Thrift compact protocol ---------------------------------------- */
enum { TT_STOP, TT_TRUE, TT_FALSE, TT_BYTE, TT_I16, TT_I32, TT_I64, TT_DOUBLE,
       TT_BINARY, TT_LIST, TT_SET, TT_MAP, TT_STRUCT };

typedef struct thrift_in {
    const uint8_t *p, *end;
    const uint8_t *base;     /* byte 0 of the buffer, for offsets in errors */
    uint64_t base_off;       /* file offset of base */
    int err;                 /* sticky: once set, every read returns 0 */
    uint64_t err_off;
    const char *err_what;
} thrift_in;

void tin_init(thrift_in *t, const uint8_t *p, size_t n, uint64_t base_off);
uint64_t tin_varint(thrift_in *t);
int64_t tin_zigzag(thrift_in *t);
/* Reads a field header: returns 0 at STOP (or on error), else 1 with *type, *id. */
int tin_field(thrift_in *t, int16_t *last_id, int *type, int16_t *id);
/* Reads a list/set header: element type and count (bounded by bytes left). */
int64_t tin_list(thrift_in *t, int *elem_type);
/* Reads a binary/string; returns pointer into the buffer and its length. */
const uint8_t *tin_binary(thrift_in *t, size_t *n);
double tin_double(thrift_in *t);
void tin_skip(thrift_in *t, int type);
int tin_fail(thrift_in *t, const char *what);
int64_t zigzag_decode(uint64_t v);

/* ---- Metadata --------------------------------------------------------- */
typedef struct pq_schema_el {
    char *name;
    int type;            /* -1 for groups */
    int type_length;
    int repetition;      /* 0 required, 1 optional, 2 repeated; -1 absent */
    int num_children;
    int converted;       /* -1 absent */
    int scale, precision;
    int kind;            /* LK_* derived from logical/converted types */
    int ts_unit;         /* 1 ms, 2 us, 3 ns */
    int int_bits, int_signed;
    /* name of a logical or converted type blalm does not render (BSON,
     * GEOMETRY, ...), NULL if none: binary columns with one are refused */
    char unknown_type[32];
    uint64_t off;        /* file offset of its SchemaElement (for errors) */
} pq_schema_el;

typedef struct pq_chunk {
    int type, codec;
    int64_t num_values;
    int64_t total_compressed, total_uncompressed;
    int64_t data_page_offset, dict_page_offset;  /* dict -1 when absent */
    int encrypted;
    int has_meta;
    int missing;         /* first required ColumnMetaData field absent (its id), 0 if none */
    char *file_path;     /* chunk stored in another file (unsupported) */
    uint64_t off, meta_off;  /* file offsets of its ColumnChunk and ColumnMetaData structs */
} pq_chunk;

typedef struct pq_rowgroup {
    int64_t num_rows;
    int missing;         /* first required RowGroup field absent (1 columns, 3 num_rows), 0 if none */
    pq_chunk *chunks;
    int nchunks;
    uint64_t off;        /* file offset of its RowGroup struct */
} pq_rowgroup;

struct pq_meta {
    int version;
    int64_t num_rows;
    pq_schema_el *schema;
    int nschema;
    pq_rowgroup *rgs;
    int nrg;
    int encrypted;       /* encryption_algorithm present */
    char *created_by;
    uint64_t off;        /* file offset of the footer (FileMetaData) */
    uint64_t rows_off;   /* ... and of its num_rows field */
};

/* Start and length of one column chunk (dictionary page first when present). */
void pq_chunk_range(const pq_chunk *c, uint64_t *off, uint64_t *len);

/* ---- Decoders (exposed for unit tests) ---------------------------------- */
/* RLE/bit-packed hybrid: decodes n values of bit width bw (0..32) from
 * [p, end) into out. Returns bytes consumed, or -1 when the data ends early. */
long rle_decode(const uint8_t *p, const uint8_t *end, int bw, uint32_t *out, size_t n);
/* DELTA_BINARY_PACKED: decodes up to cap values into out (as uint64 bit
 * patterns); *count receives the number encoded. Returns bytes consumed or -1
 * (with *why set). out may be NULL to learn the count only (cap 0). */
long delta_decode(const uint8_t *p, const uint8_t *end, int64_t *out, size_t cap,
                  size_t *count, const char **why);

/* ---- the reader's state, shared by the column decoder (parquet_read.c)
 * and the mapping of rows to documents (parquet_docs.c) ---------------- */

static inline uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static inline uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

typedef struct pq_str { const char *p; uint32_t n; } pq_str;

typedef struct pq_vals {
    pq_str *s;
    int64_t *i;
    double *d;
    size_t cap;
    int32_t n;
} pq_vals;

enum { ROLE_META, ROLE_TEXT, ROLE_ID };

typedef struct pq_col {
    int leaf;                 /* index among the leaf columns = chunk index */
    const pq_schema_el *se;
    int ptype, optional, role;
    /* column chunk cursor */
    const uint8_t *pos, *end; /* end: the chunk's last byte + 1 (its total_compressed_size) */
    /* where pos points: base is the byte at file offset base_off, and a page
     * header may be read up to data_end. In memory that is the whole file;
     * from a file (parquet_docs.c) it is the chunk, read into cbuf. */
    const uint8_t *base, *data_end;
    uint64_t base_off;
    uint8_t *cbuf; size_t ccap;
    int64_t values_left;
    uint64_t page_first_row;  /* file row of the current page's first value */
    int codec;
    /* dictionary page */
    uint8_t *dbuf; size_t dcap;
    pq_vals dict;
    int have_dict;
    /* current data page */
    uint8_t *pbuf; size_t pcap;
    uint32_t *defs; size_t defcap;
    uint32_t *idx; size_t idxcap;
    int64_t *tmp; size_t tmpcap;
    uint8_t *arena; size_t arcap;
    pq_vals vals;
    int32_t page_n, page_row, page_val;
} pq_col;

typedef struct pq_reader pq_reader;
struct pq_reader {
    const uint8_t *buf;
    size_t len;
    char *name;
    char *stem;
    int names_unused;      /* doc_opts.names_unused: the stem is never used */
    char *source;            /* owned copy: the caller's string may not outlive open */
    size_t source_len;
    pq_meta *meta;
    int nleaves;
    pq_col *cols;
    int ncols;
    int text_col, id_col;     /* index into cols, -1 when absent */
    int rg, max_rg;
    int rg_checked;           /* the finished row group's columns were checked */
    int64_t rg_rows, rg_row;
    uint64_t row;
    sbuf meta_json;
    sbuf id_json;            /* a non-string id rendered as metadata would show it */
    char idbuf[256];
    ZSTD_DCtx *zstd;
    /* docs backend: the file, read with pread (one row group's projected
     * chunks at a time into each column's cbuf), not mapped: a mapping dies
     * of SIGBUS when the file is truncated while it is read; pread just
     * comes back short. buf is NULL then; len is the file's size at open. */
    int fd;                  /* -1 for the in-memory reader */
    int64_t mtime_ns;        /* the file's at open: a change is an error */
};

/* parquet_read.c: decoding one column chunk, page by page. */
uint64_t pq_off(const pq_col *c, const uint8_t *p);          /* file offset of p, a byte of c's chunk */
void pq_buf_free(uint8_t *p, size_t cap);
/* A buffer of at least need bytes (contents not kept when it grows). */
int pq_buf_grow(uint8_t **p, size_t *cap, size_t need);
const char *pq_type_name(int t);
const char *pq_codec_name(int c);
/* "<name>: byte <off>: column '<c>': what"; returns -1. */
int pq_fail_at(pq_reader *r, blalm_err *e, uint64_t off, const pq_col *c, const char *what);
/* Next row of column c: 1 = value index in *k, 0 = null, -1 = error. */
int pq_col_take(pq_reader *r, pq_col *c, int32_t *k, blalm_err *e);
void pq_col_free(pq_col *c);
/* Most bytes one page may take once decoded (value slots, levels, indices):
 * 0 = a quarter of physical memory. The fuzz harness lowers it, so that a
 * page header claiming two billion values fails instead of exhausting the
 * fuzzer's memory limit. */
extern uint64_t pq_page_memory_limit;

/* parquet_docs.c: the reader of a file held in memory (the fuzz harness, unit
 * tests); the docs backend (parquet_backend_open) reads a file with pread. */
pq_reader *pq_reader_open_mem(const uint8_t *buf, size_t len, const char *name,
                              const doc_opts *opts, blalm_err *e);
int pq_reader_next(pq_reader *r, blalm_doc *d, blalm_err *e);
void pq_reader_close(pq_reader *r);
/* Rows in the file (the footer's num_rows). */
int64_t pq_reader_rows(const pq_reader *r);

#endif
