/* tokenizer.h - byte-level BPE: training, encoding, decoding, and the
 * Hugging Face tokenizer.json and compact binary forms.
 *
 * Model (the GPT-2 / Hugging Face ByteLevel BPE):
 *  - Text is cut into pre-tokens by a regular expression (PCRE2 with UTF and
 *    UCP, JIT-compiled). The default is the GPT-2 pattern
 *        's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *    with \s meaning Unicode White_Space, as in the Rust library (Oniguruma).
 *    Tokenizers.js uses JavaScript's \s there instead, which differs on two
 *    code points only: U+0085 (not space in JS) and U+FEFF (space in JS).
 *  - A pre-token is a byte string; its initial symbols are its bytes (ids
 *    0..255 are the 256 bytes, in byte order). Merges are applied by rank,
 *    lowest first, leftmost first among equal ranks - exactly what the Rust
 *    library and Tokenizers.js do - so the ids agree with both.
 *  - Special tokens (<|endoftext|>, <|padding|>) take the last ids.
 *  - Invalid UTF-8 is handled as bytes: each maximal valid run is
 *    pre-tokenised as usual, and every byte of an invalid sequence is a
 *    pre-token of its own (its byte id). So decode(encode(x)) == x for every
 *    byte string x, not only valid UTF-8. (The Hugging Face libraries take
 *    only valid strings, so they never see such input.)
 *
 * Training (bpe_train): pre-tokens are counted once; then the most frequent
 * adjacent pair is merged, repeatedly, with pair counts updated only for the
 * words that hold the merged pair and a max-heap with lazy invalidation.
 * Ties between equally frequent pairs go to the pair with the lower first id,
 * then the lower second id (for the first merges, that is byte order), so
 * training is deterministic. Training stops at the target vocabulary or when
 * the best pair is rarer than min_frequency.
 *
 * Thread safety: a bpe_tokenizer is immutable after training or loading and
 * may be shared; each thread encodes with its own bpe_encoder. */
#ifndef BLALM_TOKENIZER_H
#define BLALM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "lib/sbuf.h"

#define BPE_DEFAULT_VOCAB 16384
#define BPE_DEFAULT_MIN_FREQUENCY 2
#define BPE_EOT "<|endoftext|>"
#define BPE_PAD "<|padding|>"
#define BPE_BIN_MAGIC "BLALMBPE"
#define BPE_BIN_VERSION 1u
#define BPE_NO_ID UINT32_MAX

/* The GPT-2 pattern in PCRE2 syntax, \s spelled out as Unicode White_Space. */
extern const char bpe_gpt2_pattern[];

typedef struct bpe_tokenizer bpe_tokenizer;

/* ---- training ---- */

/* Counts pre-tokens of training text. */
typedef struct bpe_counter bpe_counter;
/* pattern NULL = GPT-2 pattern. */
bpe_counter *bpe_counter_new(const char *pattern, blalm_err *e);
/* Adds text (any bytes; see the invalid UTF-8 rule above). */
int bpe_counter_feed(bpe_counter *c, const char *text, size_t n, blalm_err *e);
/* Adds another counter's counts (same pattern) into c; for parallel counting. */
int bpe_counter_merge(bpe_counter *c, const bpe_counter *other, blalm_err *e);
uint64_t bpe_counter_pretokens(const bpe_counter *c);  /* total */
uint64_t bpe_counter_unique(const bpe_counter *c);     /* distinct */
uint64_t bpe_counter_bytes(const bpe_counter *c);      /* text bytes fed */
void bpe_counter_free(bpe_counter *c);

typedef struct bpe_train_opts {
    uint32_t vocab_size;      /* total, including the 256 bytes and the specials */
    uint64_t min_frequency;   /* a pair rarer than this is never merged (>= 1) */
    int allow_smaller;        /* stop short of vocab_size without an error */
    /* Called every few hundred merges (may be NULL). */
    void (*on_merge)(void *arg, uint32_t merges_done, uint32_t merges_wanted);
    void *arg;
} bpe_train_opts;
void bpe_train_opts_default(bpe_train_opts *o);

/* Trains on the counted pre-tokens (c is left unchanged). Errors: a
 * vocabulary too small for the bytes and specials; an empty counter; a
 * vocabulary the text cannot reach (unless allow_smaller). */
bpe_tokenizer *bpe_train(const bpe_counter *c, const bpe_train_opts *o, blalm_err *e);

/* ---- the model ---- */
uint32_t bpe_vocab_size(const bpe_tokenizer *t);      /* ids are 0 .. size-1 */
uint32_t bpe_merges_count(const bpe_tokenizer *t);
uint32_t bpe_eot_id(const bpe_tokenizer *t);          /* BPE_NO_ID if absent */
uint32_t bpe_pad_id(const bpe_tokenizer *t);          /* BPE_NO_ID if absent */
const char *bpe_pattern(const bpe_tokenizer *t);
/* The token's bytes (for a special token, its text). */
const char *bpe_token_bytes(const bpe_tokenizer *t, uint32_t id, size_t *len);
int bpe_is_special(const bpe_tokenizer *t, uint32_t id);
/* Merge of rank r: *a + *b -> *out. */
void bpe_merge_at(const bpe_tokenizer *t, uint32_t rank, uint32_t *a, uint32_t *b, uint32_t *out);
/* sha256 of the tokenizer.json bytes this tokenizer was saved to or loaded
 * from (the binary form records it); all zero if never serialised. */
const uint8_t *bpe_json_sha256(const bpe_tokenizer *t);
void bpe_free(bpe_tokenizer *t);

/* ---- encoding and decoding ---- */
typedef struct bpe_encoder bpe_encoder;
bpe_encoder *bpe_encoder_new(const bpe_tokenizer *t, blalm_err *e);
void bpe_encoder_free(bpe_encoder *enc);

enum {
    /* Occurrences of special tokens' text become their ids (what the
     * Hugging Face libraries do). Without it, the text is ordinary text -
     * the safe choice for training data. */
    BPE_ALLOW_SPECIAL = 1,
};
/* Encodes text[0..n) (any bytes). Returns the ids (valid until the next call
 * on enc) and sets *n_ids; NULL on a regex engine error. */
const uint32_t *bpe_encode(bpe_encoder *enc, const char *text, size_t n, int flags,
                           size_t *n_ids, blalm_err *e);
/* Appends the bytes of ids to out; -1 for an id outside the vocabulary. */
int bpe_decode(const bpe_tokenizer *t, const uint32_t *ids, size_t n, int skip_special,
               sbuf *out, blalm_err *e);

/* ---- files ---- */
/* Hugging Face tokenizer.json (Rust library layout: ByteLevel pre-tokenizer
 * and decoder, BPE model with vocab and merges as "a b" strings, added
 * tokens). Setting the sha256 it records into t. */
int bpe_save_json(bpe_tokenizer *t, const char *path, blalm_err *e);
/* The JSON text itself (caller frees); also sets t's sha256. */
char *bpe_to_json(bpe_tokenizer *t, size_t *len);
/* Hugging Face tokenizer_config.json for PreTrainedTokenizerFast: its text
 * (caller frees). */
char *bpe_config_json(const bpe_tokenizer *t, size_t *len);
/* Compact binary form: magic "BLALMBPE", version, sizes, the tokenizer.json
 * sha256, pattern, token bytes, merges, xxh64 checksum. */
int bpe_save_bin(const bpe_tokenizer *t, const char *path, blalm_err *e);
char *bpe_to_bin(const bpe_tokenizer *t, size_t *len);        /* its bytes (caller frees) */
/* Loads either form (sniffed by the magic). */
bpe_tokenizer *bpe_load(const char *path, blalm_err *e);
bpe_tokenizer *bpe_load_mem(const char *data, size_t n, const char *name, blalm_err *e);

#endif
