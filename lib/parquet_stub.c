/* parquet_stub.c - placeholder until the native parquet reader lands:
 * every entry point refuses with a clear error. */
#include "parquet.h"

int parquet_backend_open(const char *path, const doc_opts *opts, doc_backend *out, blalm_err *e)
{
    (void)opts; (void)out;
    return err_set(e, "%s: parquet files are not supported by this build yet", path);
}
pq_writer *pqw_open(const char *path, const pq_column *c, int n, const pq_write_opts *o, blalm_err *e)
{
    (void)c; (void)n; (void)o;
    err_set(e, "%s: writing parquet is not supported by this build yet", path);
    return NULL;
}
int pqw_row(pq_writer *w, const pq_value *v, blalm_err *e) { (void)w; (void)v; return err_set(e, "unsupported"); }
int pqw_commit(pq_writer *w, blalm_err *e) { (void)w; return err_set(e, "unsupported"); }
void pqw_abort(pq_writer *w) { (void)w; }
