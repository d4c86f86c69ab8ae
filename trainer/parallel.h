/* parallel.h - data-parallel gradients: threads inside the process, ranks
 * over Open MPI, one reduction order for all of them.
 *
 * A step's global batch of B rows is cut into B micro-batches of one row.
 * Each micro-batch's gradient is computed alone (single-threaded BLAS, from
 * zero) by whichever thread takes it, and the B gradients are summed in one
 * fixed binary tree over the rows: node [a, b) = [a, m) + [m, b) with
 * m = a + (b - a) / 2. Threads compute the leaves a wave at a time and fold
 * them into the tree in row order, so the sum is bit-identical for any
 * thread count. Rank r of N takes rows [B*r/N, B*(r+1)/N) and sums its own
 * subtree; with N = 1 or 2 (or any power of two with B a multiple of N)
 * these are nodes of the global tree and the all-reduce adds whole subtrees
 * (a + b is exact and commutative), so 2 ranks give the bit pattern of one
 * process. Other N change the association of the last additions only
 * (relative differences of a few float ulps; README "Threads and ranks").
 *
 * Open MPI (built in when the Makefile finds it, BLALM_MPI): the rank's
 * gradient is all-reduced in place (MPI_Iallreduce, MPI_IN_PLACE) in
 * buckets: the regions model_on_grad_ready reports (final norm and head,
 * each layer from the last down, the embedding), cut at DP_BUCKET_FLOATS.
 * In the rank's last wave of rows, the last worker to finish a region folds
 * it into the tree, and the main thread starts its all-reduce, in region
 * order, while the workers' backward goes on down the layers.
 */
#ifndef BLALM_PARALLEL_H
#define BLALM_PARALLEL_H

#include <stdint.h>

#include "lib/err.h"
#include "trainer/model.h"

#define DP_BUCKET_FLOATS (1u << 20)

typedef struct dp_ctx dp_ctx;

/* Time spent in the last step, seconds of wall time. */
typedef struct dp_times {
    double compute;   /* forward + backward of the micro-batches */
    double fold;      /* the tree's additions (and the copy into the model) */
    double allreduce; /* waiting for the all-reduce (0 with one rank) */
} dp_times;

/* threads >= 1 workers over model m (replicas share m's parameters);
 * rank/ranks: this process in the MPI world (0/1 without MPI). */
dp_ctx *dp_create(model *m, int threads, int rank, int ranks, blalm_err *e);
void dp_free(dp_ctx *d);

/* This rank's rows [*lo, *hi) of a global batch of B rows. */
void dp_rows(int B, int rank, int ranks, int *lo, int *hi);

/* The gradient of the mean token loss of the global batch (B rows of S
 * tokens) into model_grads(m), identical on every rank; *loss the mean.
 * in, tg: this rank's rows only ([hi - lo, S], dp_rows); targets < 0 are
 * ignored. times may be NULL. */
int dp_step(dp_ctx *d, const int32_t *in, const int32_t *tg, int B, int S, float *loss,
            dp_times *times, blalm_err *e);

/* Seconds of one all-reduce of the whole gradient (bucketed, as dp_step
 * does), every rank entering together: the transfer alone, mean of reps
 * (0 with one rank). Collective: every rank must call it. */
double dp_allreduce_seconds(dp_ctx *d, int reps);

/* Open MPI. dp_mpi_built: 1 when this binary has it. dp_mpi_init (call only
 * when started by mpirun): MPI_Init_thread, rank and size. A failure of any
 * call is fatal for the job (MPI_ERRORS_ARE_FATAL): mpirun stops every rank
 * and names the one that failed. */
int dp_mpi_built(void);
int dp_mpi_init(int *rank, int *ranks, blalm_err *e);
void dp_mpi_finalize(void);
/* Ends every rank of the job with code (after an error on this one). */
void dp_mpi_abort(int code);
/* Waits for every rank (no-op with one). */
void dp_barrier(int ranks);
/* v[0..n) summed over the ranks, in place (no-op with one). */
void dp_sum_doubles(double *v, int n, int ranks);
/* Whether every rank holds the same desc: lines "NAME\tVALUE\n" in one
 * order. Rank 0's is broadcast and compared line by line; 0 when all agree
 * (always with one rank), else 1 with, on every rank alike, "rank R's NAME
 * is V, rank 0's V0" (the lowest rank that differs, its first differing
 * line) in what. Collective: every rank must call it. */
int dp_agree(const char *desc, int rank, int ranks, char *what, size_t cap);

#endif
