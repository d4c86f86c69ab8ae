/* parquet_stub.c - placeholder until the native parquet reader lands:
 * every entry point refuses with a clear error. */
#include "parquet.h"

int parquet_backend_open(const char *path, const doc_opts *opts, doc_backend *out, blalm_err *e)
{
    (void)opts; (void)out;
    return err_set(e, "%s: parquet files are not supported by this build yet", path);
}
pq_meta *pq_meta_parse(const uint8_t *buf, size_t len, blalm_err *e)
{
    (void)buf; (void)len;
    err_set(e, "parquet metadata parsing is not supported by this build yet");
    return NULL;
}
int pq_meta_row_groups(const pq_meta *m) { (void)m; return 0; }
int64_t pq_meta_rows(const pq_meta *m, int rg) { (void)m; (void)rg; return 0; }
int pq_meta_row_group_range(const pq_meta *m, int rg, uint64_t *o, uint64_t *l)
{ (void)m; (void)rg; *o = *l = 0; return -1; }
void pq_meta_free(pq_meta *m) { (void)m; }
pq_writer *pqw_open(const char *path, const pq_column *c, int n, const pq_write_opts *o, blalm_err *e)
{
    (void)c; (void)n; (void)o;
    err_set(e, "%s: writing parquet is not supported by this build yet", path);
    return NULL;
}
int pqw_row(pq_writer *w, const pq_value *v, blalm_err *e) { (void)w; (void)v; return err_set(e, "unsupported"); }
int pqw_commit(pq_writer *w, blalm_err *e) { (void)w; return err_set(e, "unsupported"); }
void pqw_abort(pq_writer *w) { (void)w; }
