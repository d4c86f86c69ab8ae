#define ZSTD_STATIC_LINKING_ONLY   /* ZSTD_customMem, ZSTD_create?Ctx_advanced */
#include "mem.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <zstd.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *mem_big_alloc(size_t size)
{
#ifdef MADV_HUGEPAGE
    if (size >= MEM_BIG) {
        size_t rounded = (size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
        void *p = aligned_alloc(HUGE_PAGE, rounded);
        if (p) {
            (void)madvise(p, rounded, MADV_HUGEPAGE);   /* advice only */
            return p;
        }
    }
#endif
    return malloc(size ? size : 1);
}

void *mem_big_calloc(size_t size)
{
    if (size < MEM_BIG) return calloc(1, size ? size : 1);
    void *p = mem_big_alloc(size);
    if (p) memset(p, 0, size);
    return p;
}

void *mem_big_realloc(void *p, size_t size)
{
    if (size < MEM_BIG || !p) return p ? realloc(p, size) : mem_big_alloc(size);
    size_t have = malloc_usable_size(p);
    if (have >= size) return p;
    void *n = mem_big_alloc(size);
    if (!n) return NULL;
    memcpy(n, p, have);
    free(p);
    return n;
}

static void *zalloc(void *opaque, size_t size)
{
    (void)opaque;
    return mem_big_alloc(size);
}

static void zfree(void *opaque, void *p)
{
    (void)opaque;
    free(p);
}

static const ZSTD_customMem zmem = {zalloc, zfree, NULL};

/* The window limit is the reader's (zio.c): libzstd's default (2^27) unless
 * it sets another. */
struct ZSTD_DCtx_s *mem_zstd_dctx(void) { return ZSTD_createDCtx_advanced(zmem); }
struct ZSTD_CCtx_s *mem_zstd_cctx(void) { return ZSTD_createCCtx_advanced(zmem); }
