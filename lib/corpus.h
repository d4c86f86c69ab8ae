/* corpus.h - the one reader of the BabyLM corpus layout (DESIGN.md §3):
 *
 *   DIR/train/<source>.train   DIR/dev/<source>.dev   DIR/documents.jsonl.zst
 *
 * corpus_open() lists the split files in their canonical order (train files,
 * then dev files, each sorted by byte-wise name comparison; this order is the
 * unit order of sharding) and, when DIR/documents.jsonl.zst exists, reads it
 * into each file's list of documents (byte ranges), in the index's order.
 * Every index line must be a JSON object with "file" (a string, relative to
 * DIR) and "offset" and "length" (non-negative integers); "words" (a
 * non-negative integer), "id" and "split" (strings) are taken when present,
 * and a "split" must agree with the file's folder. A line naming a .train or
 * .dev file that is not in the corpus, or a byte range past the end of its
 * file, is an error naming documents.jsonl.zst, the line and what was
 * expected; lines for files of other splits (e.g. a test split) are skipped.
 * Strict, a document listed twice (the same "id" on two lines, or byte
 * ranges of a file that overlap or repeat) is also an error naming both
 * lines: it would be tokenized, and its words counted, twice.
 * Without documents.jsonl.zst, corpus_blank_line_docs() cuts a file's text
 * at blank lines (which splits documents holding blank lines of their own).
 * tokenize and train read documents through corpus_open (strict: the first
 * bad line is the error); verify (corpora/verify.c) through corpus_open_opts
 * in its lenient, full mode (every bad line reported, then checked against
 * the manifest). */
#ifndef BLALM_CORPUS_H
#define BLALM_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef enum { CORPUS_TRAIN = 0, CORPUS_DEV = 1 } corpus_split;

typedef struct corpus_doc {
    uint64_t offset, length;  /* bytes of the document in its file */
    uint64_t words;           /* the index's "words" (has_words), else 0 */
    uint64_t line;            /* documents.jsonl.zst line (1-based), 0 for blank-line documents */
    char *id;                 /* the index's "id" when a string (always under corpus_opts.full), else NULL */
    size_t id_len;            /* its bytes: an id may hold NUL ("\u0000"), so it is no C string */
    char *source;             /* the index's "key": {"source"} when a string, under corpus_opts.full; else NULL */
    int has_words;
} corpus_doc;

typedef struct corpus_file {
    char *rel;                /* "train/web.train" */
    char *path;               /* "DIR/train/web.train" */
    corpus_split split;
    uint64_t size;            /* bytes, when opened */
    corpus_doc *docs;         /* from the index; empty until blank-line cut without one */
    size_t n_docs, cap_docs;
} corpus_file;

typedef struct corpus {
    char *dir;
    char *index_path;         /* DIR/documents.jsonl.zst */
    int has_index;            /* 0: documents are cut at blank lines */
    corpus_file *files;       /* canonical order: train sorted, then dev sorted */
    size_t n_files;
} corpus;

/* A problem found by a lenient open: the message names documents.jsonl.zst,
 * the line and what was expected. */
typedef void (*corpus_problem_fn)(void *ctx, const char *msg);

typedef struct corpus_opts {
    /* Non-NULL: lenient. Each bad index line (and an unreadable or truncated
     * index) is reported here and left out, and reading goes on; only out of
     * memory or an unreadable folder is an error. NULL: the first is the error. */
    corpus_problem_fn problem;
    void *ctx;
    /* Every line must also carry "id", "split" (strings) and "words", each
     * document keeps its id, and a line naming any file outside the corpus
     * (a test split too) is bad: the record verify checks. */
    int full;
} corpus_opts;

/* Lists the split files and reads the index (if any). 0, or -1 with a
 * message naming the file and line; c is empty (corpus_close-able) either way.
 * A folder that is not there is an error; one without split files is not
 * (n_files == 0). */
int corpus_open(corpus *c, const char *dir, blalm_err *e);
/* 0 when dir is a folder, else -1 with "DIR: No such file or directory"
 * (or "not a folder"); corpus_open checks it first. */
int corpus_check_dir(const char *dir, blalm_err *e);

/* The BabyLM organisers' download (train_10M/ or train_100M/ beside dev/
 * and test/, no train/): when DIR/train holds no train split file and some
 * DIR/train_* folders do, -1 with a message naming every such folder (sorted)
 * and the ln -s that makes one of them the train split, ending "and run blalm
 * CMD again"; else 0. Read as it is, such a corpus has a dev split only. */
int corpus_refuse_download(const char *dir, const char *cmd, blalm_err *e);
/* corpus_open with options (NULL: as corpus_open). */
int corpus_open_opts(corpus *c, const char *dir, const corpus_opts *o, blalm_err *e);
void corpus_close(corpus *c);

/* Orders two documents' ids (both non-NULL) as bytes, NULs included. */
int corpus_id_cmp(const corpus_doc *a, const corpus_doc *b);
/* Appends d's id as a JSON string (first 200 bytes, "..." after a longer
 * one): a NUL or control byte shows escaped in a message. */
struct sbuf;
void corpus_show_id(struct sbuf *b, const corpus_doc *d);
/* Number of files of one split. */
size_t corpus_count(const corpus *c, corpus_split s);
/* Appends f's documents cut at blank lines of text[0..n) (the file's bytes):
 * a blank line is empty or only "\r" (CRLF files split as LF ones); a
 * document is a maximal run of other lines, without the line break ("\n" or
 * "\r\n") before a blank line or at the end of the file; runs of blank lines
 * only are not documents. A line of only spaces and tabs is not blank (as in
 * the BabyLM layout assemble writes, where only "\n\n" separates documents):
 * *ws_lines (when not NULL) gets how many such lines the text holds. */
int corpus_blank_line_docs(corpus_file *f, const char *text, size_t n, size_t *ws_lines, blalm_err *e);
/* xxh3 of f's document list (offset, length, words, has_words of each), for
 * completion keys: it changes when the index changes this file's documents. */
uint64_t corpus_file_docs_hash(const corpus_file *f);

#endif
