/* mem.h - large memory blocks on transparent huge pages.
 *
 * Tables and buffers of a megabyte or more (hash tables, the hyphenation
 * automaton, zstd windows) are filled once and then read at random. On 4 KiB
 * pages each one costs hundreds of page faults to fill and misses the TLB
 * on most reads; on 2 MiB pages (the kernel's transparent huge pages, asked
 * for with madvise, which "madvise" mode honours) both mostly go away.
 * Smaller blocks come from malloc as usual. Every block is released with
 * free(). */
#ifndef BLALM_MEM_H
#define BLALM_MEM_H

#include <stddef.h>

/* Blocks of at least this size go on huge pages. */
#define MEM_BIG ((size_t)1 << 20)

void *mem_big_alloc(size_t size);    /* like malloc */
void *mem_big_calloc(size_t size);   /* like calloc(1, size) */
/* like realloc; a block that grows to MEM_BIG or more moves to huge pages */
void *mem_big_realloc(void *p, size_t size);

/* zstd contexts whose large buffers come from mem_big_alloc. */
struct ZSTD_DCtx_s;
struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s *mem_zstd_dctx(void);
struct ZSTD_CCtx_s *mem_zstd_cctx(void);

#endif
