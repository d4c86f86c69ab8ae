/* tokshard.h - token shards: what `blalm tokenize` writes and the trainer reads.
 *
 * A shard is a pair of files, all integers little-endian:
 *
 *   NAME.tok   64-byte header, then n_tokens tokens of bytes_per_token bytes
 *     0  char[8]  magic "BLALMTK1"
 *     8  u32      version = 1
 *    12  u32      bytes_per_token (2 when vocab_size <= 65536, else 4)
 *    16  u64      n_tokens
 *    24  u32      vocab_size
 *    28  u32      eot_id (end-of-text token closing every document)
 *    32  u8[32]   sha256 of the tokenizer.json bytes that produced the tokens
 *
 *   NAME.idx   32-byte header, then n_docs records of 3 x u64
 *     0  char[8]  magic "BLALMIX1"
 *     8  u32      version = 1
 *    12  u32      reserved = 0
 *    16  u64      n_docs
 *    24  u64      n_tokens (equals the .tok header's)
 *     record:     token_offset, n_tokens (including the trailing eot_id),
 *                 words (Python str.split() count of the document's text)
 *
 * Records are contiguous: record i starts where record i-1 ends, and the last
 * ends at n_tokens, so the trainer can count words seen exactly.
 *
 * The writer streams tokens to temporary names beside the targets; only
 * tokshard_commit() makes NAME.tok and NAME.idx appear. The reader maps both
 * files and checks every header field, the file sizes and the record chain. */
#ifndef BLALM_TOKSHARD_H
#define BLALM_TOKSHARD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

#define TOKSHARD_TOK_MAGIC "BLALMTK1"
#define TOKSHARD_IDX_MAGIC "BLALMIX1"
#define TOKSHARD_VERSION 1u
#define TOKSHARD_TOK_HEADER 64
#define TOKSHARD_IDX_HEADER 32

typedef struct tokshard_doc {
    uint64_t token_offset;
    uint64_t n_tokens;  /* including the trailing end-of-text token */
    uint64_t words;
} tokshard_doc;

/* ---- writing ---- */
typedef struct tokshard_writer tokshard_writer;

/* Starts PATH.tok and PATH.idx ("PATH" without extension). */
tokshard_writer *tokshard_create(const char *path, uint32_t vocab_size, uint32_t eot_id,
                                 const uint8_t tokenizer_sha256[32], blalm_err *e);
/* Appends one document: its ids (every id < vocab_size; eot_id is appended by
 * the writer, and one among ids is an error) and its word count. */
int tokshard_add_doc(tokshard_writer *w, const uint32_t *ids, size_t n, uint64_t words,
                     blalm_err *e);
uint64_t tokshard_writer_tokens(const tokshard_writer *w);
uint64_t tokshard_writer_docs(const tokshard_writer *w);
/* Writes headers, fsyncs and renames both files into place; frees w. */
int tokshard_commit(tokshard_writer *w, blalm_err *e);
/* Removes the temporary files; frees w. */
void tokshard_abort(tokshard_writer *w);

/* ---- reading ---- */
typedef struct tokshard {
    uint32_t bytes_per_token;
    uint32_t vocab_size;
    uint32_t eot_id;
    uint8_t tokenizer_sha256[32];
    uint64_t n_tokens;
    uint64_t n_docs;
    const uint8_t *tokens;     /* n_tokens * bytes_per_token bytes, little-endian */
    const tokshard_doc *docs;  /* n_docs records (mapped; little-endian host assumed) */
    /* private */
    void *tok_map, *idx_map;
    size_t tok_len, idx_len;
} tokshard;

/* Opens PATH.tok + PATH.idx (PATH may also name the .tok or .idx file).
 * Checks magic, version, sizes and record contiguity; -1 with a message
 * naming the file and byte offset otherwise. */
int tokshard_open(tokshard *s, const char *path, blalm_err *e);
/* Token i (i < n_tokens). */
static inline uint32_t tokshard_token(const tokshard *s, uint64_t i)
{
    const uint8_t *p = s->tokens + i * s->bytes_per_token;
    if (s->bytes_per_token == 2) return (uint32_t)p[0] | (uint32_t)p[1] << 8;
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
/* Copies tokens [start, start+n) into out. */
void tokshard_read(const tokshard *s, uint64_t start, size_t n, uint32_t *out);
/* Full check: every token < vocab_size and every document ends with eot_id,
 * its only end-of-text token.
 * O(n_tokens); the open above checks only the headers and records. */
int tokshard_verify(const tokshard *s, blalm_err *e);
void tokshard_close(tokshard *s);

/* Writes the documents of shards inputs[0..n) one after another as one
 * shard OUT (atomically, as tokshard_commit). Every input must have the same
 * vocabulary, end-of-text id and tokenizer sha256 (else an error naming the
 * first that differs), and, when expect_sha256 is not NULL, that sha256
 * (else an error naming the shard and byte 32, before anything is written);
 * n == 0 is an error. The trainer reads one train and one dev shard made so
 * from the per-file shards of trainer/tokenize.h. */
int tokshard_concat(const char *out, const char *const *inputs, size_t n, const uint8_t expect_sha256[32],
                    blalm_err *e);

#endif
