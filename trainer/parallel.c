/* parallel.c - data-parallel gradients (parallel.h): micro-batches of one
 * row on threads, a fixed tree of additions, Open MPI all-reduce. */
#include "trainer/parallel.h"

#include <cblas.h>
#include <omp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/fsutil.h"

#ifdef BLALM_MPI
#include <mpi.h>
#endif

#define DP_MAX_SLOTS 64
#define DP_BLOCK 4096 /* floats per thread-local block of the fold (stays in L1/L2) */

/* One addition of the fold, on every element of a range. */
typedef enum { OP_COPY_LEAF, OP_ADD_LEAF, OP_ADD_SLOT, OP_OUT } fold_kind;
typedef struct fold_op {
    fold_kind kind;
    int src, dst; /* leaf: replica index; slot: slot index */
} fold_op;

/* A finished subtree [a, b) of rows: its gradient in slot, its loss sum. */
typedef struct tree_node {
    int a, b, slot;
    double loss;
} tree_node;

struct dp_ctx {
    model *m;
    int threads, rank, ranks;
    size_t n;                    /* parameters */
    model **rep;                 /* [threads] replicas: own grads, shared params */
    blalm_err *errs;             /* [threads] */
    float *slot[DP_MAX_SLOTS];   /* subtree gradients (allocated on first use) */
    int slot_used[DP_MAX_SLOTS];
    tree_node stack[DP_MAX_SLOTS];
    int sp;
    fold_op ops[4 * DP_MAX_SLOTS];
    int nops;
    /* overlap of the last wave's backward with the all-reduce (ranks > 1):
     * region k of the gradient (model_on_grad_ready) is folded by the last
     * worker to finish it, then all-reduced by the main thread, in k order */
    int overlap, wave_workers, nregions, next_issue;
    int *arrived, *ready;
    size_t *ra, *rb;
#ifdef BLALM_MPI
    MPI_Request *req;
    int nreq, req_cap;
#endif
};

static void on_ready(void *arg, int k, size_t p0, size_t p1);

#ifdef BLALM_MPI
/* Seconds a wait tests in a loop before it starts sleeping between tests. */
#define DP_SPIN_S 2e-4

/* Waits for n requests without holding a core. Open MPI's blocking calls
 * poll: a rank that waits for a late peer burns its core the whole time,
 * and where ranks share cores (this 2-core machine with other jobs, or
 * more ranks than cores) it takes that core from the very peer it waits
 * for. Measured on strict-small (2 ranks, batch 4, load ~10): 1.07 CPU-s
 * per row against 0.47 for a thread. So: test in a loop for DP_SPIN_S,
 * then yield the core between tests. Not sleep: a non-blocking collective
 * progresses only inside MPI calls, so a 50 us sleep between tests slowed
 * every bucket's transfer (model-small, 2 ranks on an idle machine: x1.67-1.79
 * of one process with sleeps, against x1.91 spinning); sched_yield returns at
 * once when nothing else wants the core and hands it over when something does. */
static void dp_wait(int n, MPI_Request *req)
{
    double t0 = now_seconds();
    for (;;) {
        int done = 0;
        MPI_Testall(n, req, &done, MPI_STATUSES_IGNORE);
        if (done) return;
        if (now_seconds() - t0 > DP_SPIN_S) sched_yield();
    }
}

/* MPI_Allreduce(MPI_IN_PLACE, ..., MPI_SUM) waited for by dp_wait. */
static void allreduce_sum(void *v, int n, MPI_Datatype t)
{
    MPI_Request r;
    MPI_Iallreduce(MPI_IN_PLACE, v, n, t, MPI_SUM, MPI_COMM_WORLD, &r);
    dp_wait(1, &r);
}

static void barrier(void)
{
    MPI_Request r;
    MPI_Ibarrier(MPI_COMM_WORLD, &r);
    dp_wait(1, &r);
}
#endif

void dp_rows(int B, int rank, int ranks, int *lo, int *hi)
{
    *lo = (int)((long)B * rank / ranks);
    *hi = (int)((long)B * (rank + 1) / ranks);
}

dp_ctx *dp_create(model *m, int threads, int rank, int ranks, blalm_err *e)
{
    if (threads < 1) threads = 1;
    dp_ctx *d = calloc(1, sizeof *d);
    if (!d) {
        err_set(e, "out of memory");
        return NULL;
    }
    d->m = m;
    d->threads = threads;
    d->rank = rank;
    d->ranks = ranks < 1 ? 1 : ranks;
    d->n = model_num_params(m);
    d->rep = calloc((size_t)threads, sizeof *d->rep);
    d->errs = calloc((size_t)threads, sizeof *d->errs);
    d->nregions = model_cfg(m)->layers + 2;
    d->arrived = calloc((size_t)d->nregions, sizeof *d->arrived);
    d->ready = calloc((size_t)d->nregions, sizeof *d->ready);
    d->ra = calloc((size_t)d->nregions, sizeof *d->ra);
    d->rb = calloc((size_t)d->nregions, sizeof *d->rb);
#ifdef BLALM_MPI
    d->req_cap = (int)(d->n / DP_BUCKET_FLOATS) + d->nregions + 1;
    d->req = calloc((size_t)d->req_cap, sizeof *d->req);
    if (!d->req) d->errs = (free(d->errs), NULL);
#endif
    if (!d->rep || !d->errs || !d->arrived || !d->ready || !d->ra || !d->rb) {
        dp_free(d);
        err_set(e, "out of memory");
        return NULL;
    }
    for (int t = 0; t < threads; t++) {
        if (!(d->rep[t] = model_replica(m, e))) {
            dp_free(d);
            return NULL;
        }
        model_on_grad_ready(d->rep[t], on_ready, d);
    }
    /* each worker calls BLAS on its own: OpenBLAS's pool would only contend */
    openblas_set_num_threads(1);
    return d;
}

void dp_free(dp_ctx *d)
{
    if (!d) return;
    for (int t = 0; d->rep && t < d->threads; t++) model_free(d->rep[t]);
    for (int s = 0; s < DP_MAX_SLOTS; s++) free(d->slot[s]);
    free(d->rep), free(d->errs), free(d->arrived), free(d->ready), free(d->ra), free(d->rb);
#ifdef BLALM_MPI
    free(d->req);
#endif
    free(d);
}

/* 1 when [a, b) is a node of the tree over [0, n) whose children meet at mid. */
static int is_split(int n, int a, int mid, int b)
{
    int x = 0, y = n;
    while (y - x > 1) {
        int m = x + (y - x) / 2;
        if (x == a && y == b) return m == mid;
        if (b <= m) y = m;
        else if (a >= m) x = m;
        else return 0;
    }
    return 0;
}

static int slot_take(dp_ctx *d, blalm_err *e)
{
    for (int s = 0; s < DP_MAX_SLOTS; s++) {
        if (d->slot_used[s]) continue;
        if (!d->slot[s] && !(d->slot[s] = malloc(d->n * sizeof(float))))
            return err_set(e, "out of memory for a gradient buffer (%zu parameters)", d->n);
        d->slot_used[s] = 1;
        return s;
    }
    return err_set(e, "batch too large for the reduction tree");
}

static void op(dp_ctx *d, fold_kind k, int src, int dst)
{
    d->ops[d->nops++] = (fold_op){k, src, dst};
}

/* Merges the top two subtrees while they are siblings. */
static void merge_top(dp_ctx *d, int rows)
{
    while (d->sp >= 2) {
        tree_node *l = &d->stack[d->sp - 2], *r = &d->stack[d->sp - 1];
        if (!is_split(rows, l->a, l->b, r->b)) break;
        op(d, OP_ADD_SLOT, r->slot, l->slot);
        l->b = r->b;
        l->loss += r->loss;
        d->slot_used[r->slot] = 0;
        d->sp--;
    }
}

/* The fold of leaf (row) i, computed by replica t, into the tree. */
static int push_leaf(dp_ctx *d, int rows, int i, int t, double loss, blalm_err *e)
{
    if (d->sp && is_split(rows, d->stack[d->sp - 1].a, i, i + 1)) {
        tree_node *top = &d->stack[d->sp - 1];
        op(d, OP_ADD_LEAF, t, top->slot);
        top->b = i + 1;
        top->loss += loss;
    } else {
        int s = slot_take(d, e);
        if (s < 0) return -1;
        op(d, OP_COPY_LEAF, t, s);
        d->stack[d->sp++] = (tree_node){i, i + 1, s, loss};
    }
    merge_top(d, rows);
    return 0;
}

/* The recorded ops on parameters [a, b). */
static void fold_block(dp_ctx *d, size_t a, size_t b)
{
    float *out = model_grads(d->m);
    for (int k = 0; k < d->nops; k++) {
        const fold_op *o = &d->ops[k];
        const float *src = o->kind == OP_COPY_LEAF || o->kind == OP_ADD_LEAF ? model_grads(d->rep[o->src])
                                                                             : d->slot[o->src];
        float *dst = o->kind == OP_OUT ? out : d->slot[o->dst];
        if (o->kind == OP_COPY_LEAF || o->kind == OP_OUT)
            memcpy(dst + a, src + a, (b - a) * sizeof(float));
        else
            for (size_t x = a; x < b; x++) dst[x] += src[x];
    }
}

/* The same on [p0, p1), threads over blocks (serial: in this thread). */
static void run_ops(dp_ctx *d, size_t p0, size_t p1, int serial)
{
    size_t nblocks = (p1 - p0 + DP_BLOCK - 1) / DP_BLOCK;
    if (serial) {
        for (size_t bk = 0; bk < nblocks; bk++)
            fold_block(d, p0 + bk * DP_BLOCK, p0 + bk * DP_BLOCK + DP_BLOCK < p1 ? p0 + bk * DP_BLOCK + DP_BLOCK : p1);
        return;
    }
#pragma omp parallel for schedule(static) num_threads(d->threads)
    for (size_t bk = 0; bk < nblocks; bk++) {
        size_t a = p0 + bk * DP_BLOCK, b = a + DP_BLOCK < p1 ? a + DP_BLOCK : p1;
        fold_block(d, a, b);
    }
}

/* Main thread: starts the all-reduce of every folded region, in region
 * order (every rank must start its collectives in the same order), and
 * lets Open MPI progress the ones in flight. */
static void issue_ready(dp_ctx *d)
{
#ifdef BLALM_MPI
    float *g = model_grads(d->m);
    while (d->next_issue < d->nregions) {
        int k = d->next_issue, r;
#pragma omp atomic read seq_cst
        r = d->ready[k];
        if (!r) break;
        for (size_t a = d->ra[k]; a < d->rb[k]; a += DP_BUCKET_FLOATS) {
            size_t b = a + DP_BUCKET_FLOATS < d->rb[k] ? a + DP_BUCKET_FLOATS : d->rb[k];
            MPI_Iallreduce(MPI_IN_PLACE, g + a, (int)(b - a), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD,
                           &d->req[d->nreq++]);
        }
        d->next_issue++;
    }
    if (d->nreq) {
        int done;
        MPI_Testall(d->nreq, d->req, &done, MPI_STATUSES_IGNORE);
    }
#else
    (void)d;
#endif
}

/* model_on_grad_ready: region k of one worker's row is final. */
static void on_ready(void *arg, int k, size_t p0, size_t p1)
{
    dp_ctx *d = arg;
    if (!d->overlap) return;
    int n;
#pragma omp atomic capture seq_cst
    n = ++d->arrived[k];
    if (n == d->wave_workers) { /* every row of the wave is past region k */
        d->ra[k] = p0, d->rb[k] = p1;
        run_ops(d, p0, p1, 1);
#pragma omp atomic write seq_cst
        d->ready[k] = 1;
    }
    if (omp_get_thread_num() == 0) issue_ready(d);
}


int dp_step(dp_ctx *d, const int32_t *in, const int32_t *tg, int B, int S, float *loss,
            dp_times *times, blalm_err *e)
{
    int lo, hi;
    dp_rows(B, d->rank, d->ranks, &lo, &hi);
    int rows = hi - lo, T = d->threads;
    dp_times tm = {0, 0, 0};
    long valid = 0;
    for (long x = 0; x < (long)rows * S; x++) valid += tg[x] >= 0;
#ifdef BLALM_MPI
    if (d->ranks > 1) allreduce_sum(&valid, 1, MPI_LONG);
#endif
    if (!valid) return err_set(e, "the batch has no targets");
    if (rows < 1) return err_set(e, "%d ranks for a batch of %d rows: every rank needs one", d->ranks, B);
    float inv = 1.0f / (float)valid;
    openblas_set_num_threads(1); /* again: a whole-batch pass in between (evaluation) may have changed it */
    d->sp = 0;
    memset(d->slot_used, 0, sizeof d->slot_used);
    for (int t = 0; t < T; t++) d->errs[t].msg[0] = 0;
    for (int w0 = 0; w0 < rows; w0 += T) {
        int nw = rows - w0 < T ? rows - w0 : T, fail = 0, last = w0 + nw >= rows;
        /* the last wave of a multi-rank step: fold and all-reduce each region
         * while the backward goes on; its ops (which depend on the tree's
         * shape only) are recorded before, with the stack as it was */
        d->overlap = last && d->ranks > 1;
        tree_node saved[DP_MAX_SLOTS];
        int saved_used[DP_MAX_SLOTS], saved_sp = d->sp;
        if (d->overlap) {
            memcpy(saved, d->stack, sizeof saved);
            memcpy(saved_used, d->slot_used, sizeof saved_used);
            d->nops = 0;
            for (int u = 0; u < nw; u++)
                if (push_leaf(d, rows, w0 + u, u, 0, e) < 0) return -1;
            op(d, OP_OUT, d->stack[0].slot, 0);
            memset(d->arrived, 0, (size_t)d->nregions * sizeof *d->arrived);
            memset(d->ready, 0, (size_t)d->nregions * sizeof *d->ready);
            d->wave_workers = nw, d->next_issue = 0;
#ifdef BLALM_MPI
            d->nreq = 0;
#endif
        }
        double t0 = now_seconds();
#pragma omp parallel num_threads(nw) reduction(| : fail)
        {
            omp_set_num_threads(1); /* the model's own loops run serially in this worker */
            for (int u = omp_get_thread_num(); u < nw; u += omp_get_num_threads()) {
                model *r = d->rep[u];
                size_t off = (size_t)(w0 + u) * S;
                model_zero_grad(r);
                if (model_forward(r, in + off, tg + off, 1, S, NULL, &d->errs[u]) < 0 ||
                    (model_valid_targets(r) && model_backward_scaled(r, inv, &d->errs[u]) < 0))
                    fail = 1;
                else if (!model_valid_targets(r)) /* no backward: its (zero) regions are final now */
                    model_grads_all_ready(r);
            }
        }
        tm.compute += now_seconds() - t0;
        if (fail) {
            d->overlap = 0;
            for (int u = 0; u < nw; u++)
                if (d->errs[u].msg[0]) return err_set(e, "row %d: %s", lo + w0 + u, d->errs[u].msg);
            return err_set(e, "row %d: forward or backward failed", lo + w0);
        }
        if (d->overlap) {
            memcpy(d->stack, saved, sizeof saved);
            memcpy(d->slot_used, saved_used, sizeof saved_used);
            d->sp = saved_sp;
        }
        d->nops = 0;
        for (int u = 0; u < nw; u++)
            if (push_leaf(d, rows, w0 + u, u, model_loss_sum(d->rep[u]), e) < 0) return -1;
        if (last) {
            if (d->sp != 1) return err_set(e, "internal: reduction tree left %d subtrees", d->sp);
            op(d, OP_OUT, d->stack[0].slot, 0);
        }
        if (d->overlap) {
            t0 = now_seconds();
            issue_ready(d); /* what the workers finished last */
#ifdef BLALM_MPI
            dp_wait(d->nreq, d->req);
#endif
            tm.allreduce = now_seconds() - t0;
            d->overlap = 0;
            continue;
        }
        t0 = now_seconds();
        run_ops(d, 0, d->n, 0);
        tm.fold += now_seconds() - t0;
    }
    double total = d->stack[0].loss;
#ifdef BLALM_MPI
    if (d->ranks > 1) allreduce_sum(&total, 1, MPI_DOUBLE);
#endif
    if (loss) *loss = (float)(total / (double)valid);
    if (times) *times = tm;
    return 0;
}

#ifdef BLALM_MPI
double dp_allreduce_seconds(dp_ctx *d, int reps)
{
    if (d->ranks < 2 || reps < 1) return 0;
    blalm_err e;
    int s = slot_take(d, &e);
    if (s < 0) return -1;
    double t = 0;
    for (int i = 0; i < reps; i++) {
        barrier(); /* transfer only, not waiting for a late rank */
        double t0 = now_seconds();
        for (size_t a = 0; a < d->n; a += DP_BUCKET_FLOATS)
            MPI_Allreduce(MPI_IN_PLACE, d->slot[s] + a,
                          (int)(a + DP_BUCKET_FLOATS < d->n ? DP_BUCKET_FLOATS : d->n - a), MPI_FLOAT,
                          MPI_SUM, MPI_COMM_WORLD);
        t += now_seconds() - t0;
    }
    d->slot_used[s] = 0;
    dp_sum_doubles(&t, 1, d->ranks);
    return t / reps / d->ranks;
}

int dp_mpi_built(void) { return 1; }

int dp_mpi_init(int *rank, int *ranks, blalm_err *e)
{
    int provided;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return err_set(e, "MPI_Init_thread failed");
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, ranks);
    return 0;
}

void dp_mpi_finalize(void) { MPI_Finalize(); }
void dp_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
void dp_barrier(int ranks)
{
    if (ranks > 1) barrier();
}
void dp_sum_doubles(double *v, int n, int ranks)
{
    if (ranks > 1) allreduce_sum(v, n, MPI_DOUBLE);
}

/* The first line of a and b ("NAME\tVALUE\n" each) that differs, as
 * "NAME is B's value, rank 0's A's" into what; 0 when none does. */
static int first_diff(const char *a, const char *b, int rank, char *what, size_t cap)
{
    while (*a || *b) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (la != lb || memcmp(a, b, la)) {
            size_t na = strcspn(a, "\t"), nb = strcspn(b, "\t");
            if (na > la) na = la;
            if (nb > lb) nb = lb;
            if (na == nb && !memcmp(a, b, na))
                snprintf(what, cap, "rank %d's %.*s is %.*s, rank 0's %.*s", rank, (int)nb, b,
                         (int)(lb - nb - (nb < lb)), b + nb + (nb < lb), (int)(la - na - (na < la)),
                         a + na + (na < la));
            else /* another list: another blalm */
                snprintf(what, cap, "rank %d has %.*s where rank 0 has %.*s", rank, (int)nb, b, (int)na, a);
            return 1;
        }
        a += la + (a[la] != 0), b += lb + (b[lb] != 0);
    }
    return 0;
}

int dp_agree(const char *desc, int rank, int ranks, char *what, size_t cap)
{
    if (ranks < 2) return 0;
    long n = rank == 0 ? (long)strlen(desc) + 1 : 0;
    MPI_Request r;
    MPI_Ibcast(&n, 1, MPI_LONG, 0, MPI_COMM_WORLD, &r);
    dp_wait(1, &r);
    char *lead = rank == 0 ? (char *)desc : malloc((size_t)n);
    if (!lead) {
        fprintf(stderr, "blalm train: rank %d of %d: out of memory; stopping every rank\n", rank, ranks);
        dp_mpi_abort(1);
    }
    MPI_Ibcast(lead, (int)n, MPI_CHAR, 0, MPI_COMM_WORLD, &r);
    dp_wait(1, &r);
    char mine[1024] = "";
    int bad = rank && first_diff(lead, desc, rank, mine, sizeof mine) ? rank : ranks, first;
    if (lead != desc) free(lead);
    MPI_Iallreduce(&bad, &first, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &r);
    dp_wait(1, &r);
    if (first == ranks) return 0;
    MPI_Ibcast(mine, (int)sizeof mine, MPI_CHAR, first, MPI_COMM_WORLD, &r);
    dp_wait(1, &r);
    snprintf(what, cap, "%s", mine);
    return 1;
}
#else
double dp_allreduce_seconds(dp_ctx *d, int reps) { (void)d, (void)reps; return 0; }
int dp_mpi_built(void) { return 0; }
int dp_mpi_init(int *rank, int *ranks, blalm_err *e)
{
    *rank = 0, *ranks = 1;
    return err_set(e, "this blalm was built without Open MPI (install libopenmpi-dev and rebuild)");
}
void dp_mpi_finalize(void) {}
void dp_mpi_abort(int code) { (void)code; }
void dp_barrier(int ranks) { (void)ranks; }
void dp_sum_doubles(double *v, int n, int ranks) { (void)v, (void)n, (void)ranks; }
int dp_agree(const char *desc, int rank, int ranks, char *what, size_t cap)
{
    (void)desc, (void)rank, (void)ranks, (void)what, (void)cap;
    return 0;
}
#endif
