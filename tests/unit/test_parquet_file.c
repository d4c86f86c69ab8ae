/* test_parquet_file.c - the parquet docs backend on a file (doc_open): the
 * bytes come from pread, one row group's projected chunks at a time, and a
 * file that shrinks or changes while it is read is an error naming it, not
 * a SIGBUS (as with the mapping it used before) nor rows of two versions.
 * The in-memory reader (pq_reader_open_mem) is test_parquet's. */
#include "test.h"
#include "lib/docs.h"
#include "lib/fsutil.h"
#include "lib/parquet_int.h"
#include "lib/sbuf.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define ROWS 400

/* ROWS rows of text, an id, a score and a url, in row groups of about
 * 2 KB (dozens of them), so that a reader is mid-file after the first row. */
static void write_file(const char *path, pq_codec codec)
{
    pq_column c[] = {{"text", PQ_STRING, 0}, {"id", PQ_STRING, 0}, {"score", PQ_DOUBLE, 1}, {"url", PQ_STRING, 0}};
    pq_write_opts o = {codec, 0, 2048};
    blalm_err e = {{0}};
    pq_writer *w = pqw_open(path, c, 4, &o, &e);
    CHECK_MSG(w != NULL, "%.700s", e.msg);
    char text[400], id[32], url[64];
    for (int i = 0; i < ROWS; i++) {
        int n = snprintf(text, sizeof text, "document %d says", i);
        for (int k = 0; k < i % 40; k++) n += snprintf(text + n, sizeof text - (size_t)n, " w%d", (i * 31 + k) % 97);
        int m = snprintf(id, sizeof id, "doc-%d", i);
        int u = snprintf(url, sizeof url, "https://example.org/%d", i);
        pq_value v[4] = {{0, 0, 0, text, (size_t)n}, {0, 0, 0, id, (size_t)m}, {i % 5 == 0, 0, i * 0.25, NULL, 0},
                         {0, 0, 0, url, (size_t)u}};
        CHECK(pqw_row(w, v, &e) == 0);
    }
    CHECK_MSG(pqw_commit(w, &e) == 0, "%.700s", e.msg);
}

static void line_of(const blalm_doc *d, sbuf *out)
{
    doc_to_json(d, out);
    sb_printf(out, " row %llu\n", (unsigned long long)d->row);
}

/* The file read through doc_open gives what the same bytes give in memory,
 * whole and with projections (text only; text only but url). */
TEST(file_reads_as_memory)
{
    char path[600];
    snprintf(path, sizeof path, "%s/same.parquet", test_tmpdir());
    for (int codec = 0; codec < 3; codec++) {
        write_file(path, codec == 0 ? PQ_CODEC_NONE : codec == 1 ? PQ_CODEC_SNAPPY : PQ_CODEC_ZSTD);
        size_t n;
        char *raw;
        blalm_err re = {{0}};
        CHECK_MSG(read_file(path, &raw, &n, &re) == 0, "%s", re.msg);
        uint8_t *buf = (uint8_t *)raw;
        static const char *const url[] = {"url", NULL};
        doc_opts opts[3] = {{0}, {.text_only = 1}, {.text_only = 1, .meta_fields = url}};
        for (int k = 0; k < 3; k++) {
            opts[k].id_stem = "same";
            opts[k].default_source = "same";
            blalm_err e = {{0}};
            sbuf a, b;
            sb_init(&a);
            sb_init(&b);
            pq_reader *r = pq_reader_open_mem(buf, n, path, &opts[k], &e);
            CHECK_MSG(r != NULL, "%.700s", e.msg);
            CHECK_MSG(r->meta->nrg > 10, "%d row groups", r->meta->nrg);
            blalm_doc d;
            int rc;
            while ((rc = pq_reader_next(r, &d, &e)) == 1) line_of(&d, &a);
            CHECK_MSG(rc == 0, "%.700s", e.msg);
            pq_reader_close(r);
            doc_reader *dr = doc_open(path, &opts[k], &e);
            CHECK_MSG(dr != NULL, "%.700s", e.msg);
            long docs = 0;
            while ((rc = doc_next(dr, &d, &e)) == 1) {
                line_of(&d, &b);
                docs++;
            }
            CHECK_MSG(rc == 0, "%.700s", e.msg);
            doc_close(dr);
            CHECK_EQ_INT(docs, ROWS);
            CHECK_MSG(a.len == b.len && !memcmp(a.data, b.data, a.len), "codec %d, options %d: the file reads "
                      "otherwise than its bytes in memory", codec, k);
            if (k == 2) CHECK(strstr(sb_cstr(&b), "\"metadata\":{\"url\":\"https://example.org/7\"}") != NULL);
            if (k == 1) CHECK(strstr(sb_cstr(&b), "\"metadata\":{}") != NULL);
            sb_free(&a);
            sb_free(&b);
        }
        free(buf);
    }
}

/* Truncated after the first row (cp over it, a re-download to the same
 * path): the next row group's bytes are missing. An error naming the file,
 * where, and both sizes; before, the mapping's missing pages were a SIGBUS. */
TEST(file_shrinking_while_read_is_an_error)
{
    char path[600];
    snprintf(path, sizeof path, "%s/shrink.parquet", test_tmpdir());
    write_file(path, PQ_CODEC_NONE);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    blalm_err e = {{0}};
    doc_reader *r = doc_open(path, NULL, &e);
    CHECK_MSG(r != NULL, "%.700s", e.msg);
    blalm_doc d;
    CHECK(doc_next(r, &d, &e) == 1);
    CHECK(truncate(path, 3000) == 0);
    int rc;
    long more = 0;
    while ((rc = doc_next(r, &d, &e)) == 1) more++;
    CHECK(rc < 0);
    CHECK(more < ROWS - 1);
    CHECK_CONTAINS(e.msg, path);
    CHECK_CONTAINS(e.msg, "the file shrank while it was read");
    char want[100];
    snprintf(want, sizeof want, "(%lld bytes when opened, now 3000)", (long long)st.st_size);
    CHECK_CONTAINS(e.msg, want);
    doc_close(r);
}

/* Rewritten in place at the same size (rsync --inplace): the rows after it
 * would come from another file. Its modification time gives it away. */
TEST(file_changing_while_read_is_an_error)
{
    char path[600];
    snprintf(path, sizeof path, "%s/change.parquet", test_tmpdir());
    write_file(path, PQ_CODEC_NONE);
    blalm_err e = {{0}};
    doc_reader *r = doc_open(path, NULL, &e);
    CHECK_MSG(r != NULL, "%.700s", e.msg);
    blalm_doc d;
    CHECK(doc_next(r, &d, &e) == 1);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    struct timespec t[2] = {st.st_atim, st.st_mtim};
    t[1].tv_sec -= 10;
    CHECK(utimensat(AT_FDCWD, path, t, 0) == 0);
    int rc;
    while ((rc = doc_next(r, &d, &e)) == 1) {}
    CHECK(rc < 0);
    CHECK_CONTAINS(e.msg, path);
    CHECK_CONTAINS(e.msg, "the file changed while it was read");
    doc_close(r);
    /* read again once written: fine */
    r = doc_open(path, NULL, &e);
    CHECK_MSG(r != NULL, "%.700s", e.msg);
    long n = 0;
    while ((rc = doc_next(r, &d, &e)) == 1) n++;
    CHECK_MSG(rc == 0, "%.700s", e.msg);
    CHECK_EQ_INT(n, ROWS);
    doc_close(r);
}

int main(void)
{
    RUN(file_reads_as_memory);
    RUN(file_shrinking_while_read_is_an_error);
    RUN(file_changing_while_read_is_an_error);
    return test_summary();
}
