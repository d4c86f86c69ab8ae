#include "hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <xxhash.h>

struct sha256_ctx {
    EVP_MD_CTX *md;
};

void hex_digest(const uint8_t *d, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = 0;
}

void sha256(const void *p, size_t n, uint8_t out[32])
{
    unsigned len = 32;
    EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

void sha256_hex(const void *p, size_t n, char out[65])
{
    uint8_t d[32];
    sha256(p, n, d);
    hex_digest(d, 32, out);
}

sha256_ctx *sha256_begin(void)
{
    sha256_ctx *c = malloc(sizeof *c);
    c->md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c->md, EVP_sha256(), NULL);
    return c;
}

void sha256_update(sha256_ctx *c, const void *p, size_t n) { EVP_DigestUpdate(c->md, p, n); }

/* Finishes md (n digest bytes) into out as hex, and frees it. */
static void md_end_hex(EVP_MD_CTX *md, unsigned n, char *out)
{
    uint8_t d[EVP_MAX_MD_SIZE];
    unsigned len = n;
    EVP_DigestFinal_ex(md, d, &len);
    EVP_MD_CTX_free(md);
    hex_digest(d, n, out);
}

void sha256_end_hex(sha256_ctx *c, char out[65])
{
    md_end_hex(c->md, 32, out);
    free(c);
}

/* Feeds the open file f into md 1 MiB at a time; *total counts its bytes.
 * 0, or -1 on a read error, -2 out of memory. */
static int md_feed_file(EVP_MD_CTX *md, FILE *f, uint64_t *total)
{
    char *buf = malloc(1 << 20);
    if (!buf) return -2;
    size_t k;
    *total = 0;
    while ((k = fread(buf, 1, 1 << 20, f)) > 0) {
        EVP_DigestUpdate(md, buf, k);
        *total += k;
    }
    free(buf);
    return ferror(f) ? -1 : 0;
}

int sha256_file_hex(const char *path, char out[65], blalm_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) return err_errno(e, "%s", path);
    sha256_ctx *c = sha256_begin();
    uint64_t total;
    int rc = md_feed_file(c->md, f, &total);
    fclose(f);
    sha256_end_hex(c, out);
    if (rc == -2) return err_set(e, "%s: cannot hash (out of memory)", path);
    if (rc < 0) return err_set(e, "%s: read error", path);
    return 0;
}

struct gitblob_ctx {
    EVP_MD_CTX *md;
};

gitblob_ctx *gitblob_begin(uint64_t size)
{
    gitblob_ctx *c = malloc(sizeof *c);
    if (!c) return NULL;
    c->md = EVP_MD_CTX_new();
    if (!c->md) { free(c); return NULL; }
    EVP_DigestInit_ex(c->md, EVP_sha1(), NULL);
    char head[40];
    int n = snprintf(head, sizeof head, "blob %llu", (unsigned long long)size);
    EVP_DigestUpdate(c->md, head, (size_t)n + 1);   /* with its NUL */
    return c;
}

void gitblob_update(gitblob_ctx *c, const void *p, size_t n) { EVP_DigestUpdate(c->md, p, n); }

void gitblob_end_hex(gitblob_ctx *c, char out[41])
{
    md_end_hex(c->md, 20, out);
    free(c);
}

int gitblob_file_hex(const char *path, char out[41], blalm_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) return err_errno(e, "%s", path);
    struct stat st;
    gitblob_ctx *c = NULL;
    if (fstat(fileno(f), &st) != 0 || !(c = gitblob_begin((uint64_t)st.st_size))) {
        fclose(f);
        return err_set(e, "%s: cannot hash (out of memory or fstat failed)", path);
    }
    uint64_t total;
    int rc = md_feed_file(c->md, f, &total);
    fclose(f);
    gitblob_end_hex(c, out);
    if (rc == -2) return err_set(e, "%s: cannot hash (out of memory or fstat failed)", path);
    if (rc < 0) return err_set(e, "%s: read error", path);
    if (total != (uint64_t)st.st_size) return err_set(e, "%s: changed size while being hashed", path);
    return 0;
}

uint64_t xxh64(const void *p, size_t n, uint64_t seed) { return XXH64(p, n, seed); }
uint64_t xxh3_64(const void *p, size_t n) { return XXH3_64bits(p, n); }
