/* zio.h - compressed line streams: read plain / gzip / zstd by content, and
 * write .jsonl.zst (or plain .jsonl) atomically.
 *
 * Reading: zr_open() sniffs the first bytes (zstd magic 28 B5 2F FD or a
 * zstd skippable frame 5? 2A 4D 18, gzip 1F 8B; xz, bzip2 and lz4 are refused
 * by name; anything else is plain text) so a file's extension may lie. Lines
 * are returned whole, up to ZR_MAX_LINE - 1 bytes: a longer line (a small
 * zstd file can hold one of many GiB), or one there is no memory for, is an
 * error naming the file, the line and its decompressed offset. A truncated
 * or corrupt compressed stream is an error naming the file and the
 * decompressed offset.
 *
 * Writing: zw_open() writes to a temporary name beside the target; only
 * zw_commit() makes the target appear (fsync + rename). zw_abort() or a
 * killed process leaves no file under the target name. */
#ifndef BLALM_ZIO_H
#define BLALM_ZIO_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

typedef enum { ZFMT_PLAIN, ZFMT_GZIP, ZFMT_ZSTD } zfmt;

#define ZR_MAX_LINE ((size_t)1 << 30)   /* 1 GiB: a line this long is an error */

typedef struct zreader zreader;
/* The largest zstd window (2^wlog bytes) a reader opened afterwards
 * accepts: by default libzstd's 2^27 (128 MiB, what `zstd -d` reads without
 * --long), so a small hostile file cannot make a reader allocate GiBs; up
 * to 2^31 (ZR_WINDOW_LOG_MAX). A frame that needs more is an error naming
 * the window it needs and how to read it (BLALM_ZSTD_WINDOW_MAX, set by the
 * commands). */
#define ZR_WINDOW_LOG_DEFAULT 27
#define ZR_WINDOW_LOG_MAX 31
void zr_set_window_log_max(int wlog);
/* Parses a window size: bytes, or with K, M or G (KiB, MiB, GiB; "2G",
 * "1024M"), a power of two from 1K to 2G. Returns 0 with *wlog, or -1 with e
 * set (the message names what was expected, not the setting). */
int zr_parse_window_max(const char *s, int *wlog, blalm_err *e);
zreader *zr_open(const char *path, blalm_err *e);
/* Another longest line: a line of max bytes or more is an error (tests;
 * 0: ZR_MAX_LINE). */
void zr_set_max_line(zreader *r, size_t max);
/* Returns 1 with *line (not NUL-terminated; no '\n'; a trailing '\r' is
 * kept) and *len, 0 at end, -1 on error. *line is valid until the next call.
 * line numbers start at 1; zr_offset() is the decompressed byte offset of the
 * start of the last line returned. */
int zr_line(zreader *r, const char **line, size_t *len, blalm_err *e);
/* Raw decompressed bytes (for non-line consumers); returns bytes read, 0 at
 * end, -1 on error. */
long zr_read(zreader *r, void *buf, size_t cap, blalm_err *e);
uint64_t zr_lineno(const zreader *r);
uint64_t zr_offset(const zreader *r);
zfmt zr_format(const zreader *r);
const char *zr_path(const zreader *r);
void zr_close(zreader *r);

/* Sniffs a file's first bytes. Returns "parquet", "zstd", "gzip" or "plain";
 * NULL with e set when the file cannot be read or is xz, bzip2 or lz4
 * compressed (not supported). */
const char *file_sniff(const char *path, blalm_err *e);

typedef struct zwriter zwriter;
/* Compression from the target name: *.zst -> zstd (level), *.gz -> gzip,
 * otherwise plain. */
zwriter *zw_open(const char *path, int level, blalm_err *e);
/* zstd only, before the first write: a window of 2^wlog bytes (smaller
 * windows need less memory; short-lined files lose little ratio). */
void zw_set_window_log(zwriter *w, int wlog);
int zw_write(zwriter *w, const void *p, size_t n, blalm_err *e);
int zw_line(zwriter *w, const char *p, size_t n, blalm_err *e); /* appends '\n' */
uint64_t zw_bytes_in(const zwriter *w);   /* uncompressed bytes so far */
int zw_commit(zwriter *w, blalm_err *e);  /* finishes, fsyncs, renames; frees */
void zw_abort(zwriter *w);                /* removes the temp file; frees */

#endif
