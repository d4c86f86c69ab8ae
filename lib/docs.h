/* docs.h - document streams.
 *
 * A document is {"id", "text", "source", "metadata": {...}} (datatrove's
 * shape). Readers stream documents from .jsonl, .jsonl.gz, .jsonl.zst and
 * .parquet files, chosen by content. A document's key is (source, file path,
 * row); ids may repeat.
 *
 *   doc_reader *r = doc_open(path, &opts, &err);
 *   blalm_doc d;
 *   while ((rc = doc_next(r, &d, &err)) == 1) use(&d);
 *   if (rc < 0) report(err.msg);
 *   doc_close(r);
 */
#ifndef BLALM_DOCS_H
#define BLALM_DOCS_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

typedef struct blalm_doc {
    const char *id;       size_t id_len;       /* NUL-terminated as well */
    const char *text;     size_t text_len;     /* NUL-terminated; may hold NUL bytes */
    const char *source;   size_t source_len;
    const char *metadata; size_t metadata_len; /* compact JSON object text, "{}" if none */
    uint64_t row;      /* 0-based row (document index) in its file */
    uint64_t line;     /* 1-based line number for jsonl; 0 for parquet */
    uint64_t offset;   /* byte offset of the line in the decompressed stream (jsonl) */
} blalm_doc;

typedef struct doc_opts {
    const char *text_field;  /* default "text" */
    const char *id_field;    /* default "id" */
    /* source when a document has none; default: the file's name without
     * extensions (docs_walk passes the folder under WORK/docs instead) */
    const char *default_source;
    /* a document without an id gets "<id_stem>/<row>"; default: the file's
     * name without folders and extensions. Readers of a docs root pass
     * doc_file.id_stem, so generated ids are unique per (source, path). */
    const char *id_stem;
    int max_row_groups;      /* parquet: stop before this row group (0 = all) */
    int first_row_group;     /* parquet: start at this row group; rows (and generated
                                ids) are still numbered from the file's first row */
    int text_only;           /* parquet: skip metadata columns (metadata "{}"), e.g. for
                                counting words: only text and id are decompressed */
    const char *const *meta_fields; /* with text_only: these metadata columns are still
                                read (NULL-terminated list), e.g. dedup's url */
    int names_unused;        /* the caller uses neither "source" nor generated ids
                                (count): the file name need not be UTF-8; otherwise
                                doc_open refuses a name that is not UTF-8 when it
                                becomes the default source or the id stem */
} doc_opts;

typedef struct doc_reader doc_reader;
doc_reader *doc_open(const char *path, const doc_opts *opts, blalm_err *e);
/* 1 = document in *d (valid until the next call), 0 = end, -1 = error. */
int doc_next(doc_reader *r, blalm_doc *d, blalm_err *e);
const char *doc_format(const doc_reader *r);  /* "jsonl", "jsonl.gz", "jsonl.zst", "parquet" */
const char *doc_path(const doc_reader *r);
/* The number of documents in the file when its format records it without
 * reading them (parquet: the footer's num_rows); -1 otherwise. */
int64_t doc_rows(const doc_reader *r);
void doc_close(doc_reader *r);

/* Backends (jsonl lives in docs.c; parquet in parquet_read.c) fill this. */
typedef struct doc_backend {
    void *state;
    int (*next)(void *state, blalm_doc *d, blalm_err *e);
    void (*close)(void *state);
    const char *format;
} doc_backend;

/* Serialises a document as one JSON line (no newline) into out. */
struct sbuf;
void doc_to_json(const blalm_doc *d, struct sbuf *out);

/* Sharded writer: DIR/PREFIX-00000.jsonl.zst, ... rotating when a shard's
 * uncompressed size reaches rotate_bytes (0 = never). Atomic as a whole: the
 * shards are written into a hidden folder in DIR (made at the first write)
 * and moved into DIR by docw_close, which also removes the PREFIX shards of an
 * earlier run that were not replaced; docw_abort (or a failed close) leaves
 * DIR as it was. */
typedef struct doc_writer doc_writer;
doc_writer *docw_open(const char *dir, const char *prefix, uint64_t rotate_bytes,
                      int level, blalm_err *e);
int docw_write(doc_writer *w, const blalm_doc *d, blalm_err *e);
int docw_close(doc_writer *w, blalm_err *e);   /* commits the open shard */
void docw_abort(doc_writer *w);
/* -1 (message naming both) when path is the same file (device and inode, links
 * followed) as one of the shards DIR/PREFIX-NNNNN.jsonl.zst that the writer
 * would write or replace: reading it while writing them would lose documents. */
int docw_check_input(const doc_writer *w, const char *path, blalm_err *e);
int docw_shards(const doc_writer *w);
/* PREFIX shards that were in DIR at docw_open: what docw_close replaces. */
int docw_replacing(const doc_writer *w);

/* Document files under a docs root, sorted by path (bytewise), as
 * (source, relative path) where source is the first folder under the root
 * (or the file stem for a file directly in the root). Only document files
 * are listed: *.parquet, *.jsonl, *.jsonl.gz, *.jsonl.zst, *.ndjson; hidden
 * and temporary files (names starting with '.') are skipped. A folder reached
 * twice (same device and inode: a symlink loop, or two links to one folder)
 * is an error naming both paths. */
typedef struct doc_file {
    char *path;      /* full path */
    char *rel;       /* path relative to the root, e.g. "fineweb-edu/sample/10BT/000.parquet" */
    char *source;    /* e.g. "fineweb-edu" */
    char *id_stem;   /* rel without the extension: generated ids are "<id_stem>/<row>" */
} doc_file;
int docs_walk(const char *root, doc_file **files, size_t *n, blalm_err *e);
void docs_walk_free(doc_file *files, size_t n);

/* The document file names docs_walk lists, for messages. */
#define DOCS_EXTS ".parquet, .jsonl, .jsonl.gz, .jsonl.zst, .ndjson"

/* docs_walk for a root that must hold documents (what tag, score, dedup,
 * distill, audit and assemble read): a root without document files is an
 * error, "ROOT: no document files (names ending in ...)", naming up to three
 * of the files passed over for their names (e.g. part-0.json.gz) and up to
 * three hidden ones (names starting with '.'). */
int docs_walk_some(const char *root, doc_file **files, size_t *n, blalm_err *e);
/* Only its check: 0 when root holds document files, else -1 with
 * docs_walk_some's message (for a command that says so before its other
 * checks). */
int docs_require_some(const char *root, blalm_err *e);

/* The number of regular files under a docs root that docs_walk skips for
 * their names (not hidden, not named as document files, not the DOC.meta
 * sidecars fetch writes beside what it downloads), with a message
 * naming up to three of them in msg; 0 (msg "") when there are none, when the
 * root holds no document files (docs_walk_some's error says it) or cannot be
 * walked (the walk that reads it says why). For a warning. */
size_t docs_skipped(const char *root, char *msg, size_t cap);

/* Strips a document extension (.parquet .jsonl .jsonl.gz .jsonl.zst .ndjson)
 * from rel into out (size cap). */
void doc_rel_stem(const char *rel, char *out, size_t cap);

/* The generated-id stems of the n input files of one `cat` or `shard` run:
 * (*stems)[i] is NULL where the default stem (the file name without folders
 * and extension) is unique in the run, so the common case keeps its ids.
 * An input whose stem another input's stem equals moves on, until the whole
 * set is unique: to its path as given without its extension, less a leading
 * "/" or "./" (part-0.jsonl in two folders: "in/2023/part-0/<row>"), then to
 * its path as given (x.jsonl and x.jsonl.zst in one folder; /d/p.jsonl and
 * d/p.jsonl). One path given twice keeps the same stem (the same documents,
 * the same ids). -1 with e set (nothing to free) only when out of memory. A
 * stem need not be UTF-8: a reader refuses it at the first document that
 * needs a generated id. Free with doc_id_stems_free. */
int doc_id_stems(char *const *paths, int n, char ***stems, blalm_err *e);
void doc_id_stems_free(char **stems, int n);
/* -1 with e set when path's file name, the default "source", is not UTF-8. */
int doc_check_name(const char *path, blalm_err *e);
/* What cat and shard do with their inputs before any output: doc_id_stems,
 * and, when the file names are the documents' default source (no
 * --source), doc_check_name of each. -1 with e set, nothing to free. */
int doc_inputs_prepare(char *const *paths, int n, int names_are_sources, char ***stems, blalm_err *e);
/* Sets e for a document at where (a line or row) of path that needs a
 * generated id from stem, which is not UTF-8; returns -1. */
int doc_stem_error(const char *path, const char *where, const char *stem, blalm_err *e);

#endif
