/* tokenize.h - the one token-shard builder: a corpus (lib/corpus.h) to token
 * shards (trainer/tokshard.h), used by `blalm tokenize` and by `blalm train`.
 *
 * Every split file DIR/<split>/<f> becomes OUT/<split>/<f>.tok + .idx: its
 * documents in index order, each closed by <|endoftext|>, word counts
 * recounted (Python str.split). OUT/tokens.json summarises the shards once
 * all of them are done.
 *
 * Resume: a shard is one unit of lib/marker (stage "tokenize", unit
 * "<split>/<f>", state dir opts.state_dir). Its key holds the tokenizer's
 * sha256 (of its tokenizer.json form), the corpus file's identity (name,
 * size, xxh3), the hash of the file's document list and the boundary mode;
 * so a touched file is still done, a changed file, index or tokenizer is
 * redone. A DONE marker whose shard no longer opens with the recorded counts
 * is redone too.
 *
 * Sharding: worker shard.index of shard.count encodes the files whose index
 * in the corpus' canonical order it owns (lib/shard.h). Each worker writes
 * only its own shards and markers; the worker that finds every file done
 * writes tokens.json, so N workers leave the same bytes as one. */
#ifndef BLALM_TOKENIZE_H
#define BLALM_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/shard.h"
#include "trainer/tokenizer.h"

typedef struct tokenize_opts {
    const char *corpus;            /* BabyLM layout */
    const bpe_tokenizer *tok;      /* must have <|endoftext|> and a tokenizer.json identity
                                    * (loaded, or saved: bpe_json_sha256 not all zero) */
    const char *tokenizer_name;    /* its path: in messages, and in tokens.json as "tokenizer" (relative
                                    * to out when inside it, else absolute) */
    const char *out;               /* shards and tokens.json */
    const char *state_dir;         /* markers (NULL: OUT/state) */
    int threads;                   /* threads encoding a file's documents (>= 1); files go
                                    * one after another; any count gives the same bytes */
    int force;                     /* redo shards with DONE markers */
    shard_spec shard;              /* SHARD_ONE unless sharded */
    /* warnings (e.g. blank-line boundaries); NULL: dropped */
    void (*warn)(void *arg, const char *msg);
    void *warn_arg;
} tokenize_opts;

typedef struct tokenize_counts {
    size_t files;                  /* split files in the corpus */
    size_t files_mine;             /* owned by this shard */
    size_t files_done_before;      /* of those, skipped (DONE markers) */
    int blank_lines;               /* 1: no documents.jsonl.zst */
    int manifest_written;          /* 1: every file done, tokens.json written */
    /* over this shard's files */
    uint64_t docs, tokens, words, bytes, word_mismatch;
} tokenize_counts;

/* Progress: bytes of corpus text done of total (this shard's files); called
 * first with done = 0 and from one thread at a time. */
typedef void (*tokenize_progress)(void *arg, uint64_t done, uint64_t total);

/* 0, or -1 with the first error (file and document or line named); every
 * shard either committed with its marker or absent. */
int tokenize_run(const tokenize_opts *o, tokenize_counts *c, tokenize_progress cb, void *cb_arg,
                 blalm_err *e);

#endif
