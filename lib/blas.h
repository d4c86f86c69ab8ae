/* blas.h - running OpenBLAS single-threaded for a while.
 *
 * The pthreads OpenBLAS runs even a one-row call on every thread of its
 * pool. Callers whose BLAS calls are small (the distilled scorer's one
 * document at a time) or already inside their own OpenMP threads (the
 * trainer's per-sequence passes, Muon's per-matrix loop) switch it to one
 * thread and restore the count after:
 *
 *     int nt = blas_serial_begin(cond);  ... BLAS calls ...  blas_serial_end(nt);
 *
 * With cond 0 nothing changes. */
#ifndef BLALM_BLAS_H
#define BLALM_BLAS_H

#include <cblas.h>

/* Returns what blas_serial_end restores (1: nothing to restore). */
static inline int blas_serial_begin(int cond)
{
    int nt = cond ? openblas_get_num_threads() : 1;
    if (nt > 1) openblas_set_num_threads(1);
    return nt;
}

static inline void blas_serial_end(int nt)
{
    if (nt > 1) openblas_set_num_threads(nt);
}

#endif
