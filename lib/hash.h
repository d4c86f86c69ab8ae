/* hash.h - sha256 (libcrypto) and xxHash (libxxhash). */
#ifndef BLALM_HASH_H
#define BLALM_HASH_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

void sha256(const void *p, size_t n, uint8_t out[32]);
void sha256_hex(const void *p, size_t n, char out[65]);
/* The n bytes of a digest as lowercase hex into out (2n + 1 bytes). */
void hex_digest(const uint8_t *d, size_t n, char *out);
int sha256_file_hex(const char *path, char out[65], blalm_err *e);

typedef struct sha256_ctx sha256_ctx;
sha256_ctx *sha256_begin(void);
void sha256_update(sha256_ctx *c, const void *p, size_t n);
void sha256_end_hex(sha256_ctx *c, char out[65]);  /* frees */

/* git's blob id of size bytes, sha1("blob <size>\0" + bytes): the oid a Hub
 * listing gives a file kept in git rather than LFS, and its ETag. */
typedef struct gitblob_ctx gitblob_ctx;
gitblob_ctx *gitblob_begin(uint64_t size);          /* NULL when out of memory */
void gitblob_update(gitblob_ctx *c, const void *p, size_t n);
void gitblob_end_hex(gitblob_ctx *c, char out[41]);  /* frees */
int gitblob_file_hex(const char *path, char out[41], blalm_err *e);

uint64_t xxh64(const void *p, size_t n, uint64_t seed);
uint64_t xxh3_64(const void *p, size_t n);

/* murmur3's 64-bit finaliser: a bijective avalanche of one 64-bit word. */
static inline uint64_t hash_fmix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

#endif
