/* parquet.h - native parquet reader and writer (flat schemas).
 *
 * The reader plugs into docs.h as a doc_backend; it also exposes the footer
 * metadata so that `fetch --max-words` can download only the row groups it
 * needs (Range requests) and place them at their offsets in a local file. */
#ifndef BLALM_PARQUET_H
#define BLALM_PARQUET_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"
#include "docs.h"

/* docs.h backend: opens path (already known to start with PAR1). */
int parquet_backend_open(const char *path, const doc_opts *opts, doc_backend *out, blalm_err *e);
/* Rows of an open parquet backend's file (its footer's num_rows). */
int64_t parquet_backend_rows(void *state);

/* Footer metadata, parsed from the bytes of the FileMetaData (the footer
 * without its trailing 8 bytes), which start at file offset base_off: errors
 * read "byte N (footer): ..." with N a file offset (callers prefix the file). */
typedef struct pq_meta pq_meta;
pq_meta *pq_meta_parse(const uint8_t *buf, size_t len, uint64_t base_off, blalm_err *e);
int pq_meta_row_groups(const pq_meta *m);
int64_t pq_meta_rows(const pq_meta *m, int row_group);
/* Byte range [offset, offset+len) covering all column chunks of a row group. */
int pq_meta_row_group_range(const pq_meta *m, int row_group, uint64_t *offset, uint64_t *len);
/* Rows in the whole file (the footer's num_rows). */
int64_t pq_meta_num_rows(const pq_meta *m);
/* Uncompressed bytes of the leaf column named `name` over every row group, as
 * the footer records them (values plus page headers and length prefixes), or
 * -1 when no leaf has that name. For estimates (`blalm run --dry-run`). */
int64_t pq_meta_column_bytes(const pq_meta *m, const char *name);
void pq_meta_free(pq_meta *m);

/* Writer: flat schema of strings and scalars; PLAIN or dictionary encoding;
 * uncompressed, snappy or zstd; row groups cut by size. Written under a
 * temporary name and renamed on pqw_commit(). */
typedef enum { PQ_STRING, PQ_INT32, PQ_INT64, PQ_FLOAT, PQ_DOUBLE, PQ_BOOL } pq_type;
typedef enum { PQ_CODEC_NONE, PQ_CODEC_SNAPPY, PQ_CODEC_ZSTD } pq_codec;
typedef struct pq_column { const char *name; pq_type type; int nullable; } pq_column;
typedef struct pq_write_opts {
    pq_codec codec;            /* default PQ_CODEC_ZSTD (when zero-initialised: NONE) */
    int dictionary;            /* 1 = dictionary-encode strings */
    uint64_t row_group_bytes;  /* 0 = 128 MiB */
} pq_write_opts;
typedef struct pq_value {
    int is_null;
    int64_t i;                 /* INT32, INT64, BOOL */
    double d;                  /* FLOAT, DOUBLE */
    const char *s; size_t n;   /* STRING */
} pq_value;
typedef struct pq_writer pq_writer;
pq_writer *pqw_open(const char *path, const pq_column *cols, int ncols,
                    const pq_write_opts *o, blalm_err *e);
int pqw_row(pq_writer *w, const pq_value *values, blalm_err *e);  /* ncols values */
int pqw_commit(pq_writer *w, blalm_err *e);
void pqw_abort(pq_writer *w);

#endif
