/* libFuzzer harness: the parquet reader (footer, Thrift metadata, page
 * headers, levels, every encoding and codec). Reads the input as a whole file
 * through the in-memory reader, once with every column projected and once
 * text-only, and also feeds the bytes to the footer parser directly. */
#include <stdint.h>
#include <stdlib.h>

#include "lib/parquet_int.h"

static void read_all(const uint8_t *data, size_t size, int text_only)
{
    blalm_err e;
    doc_opts o = {0};
    o.text_only = text_only;
    pq_reader *r = pq_reader_open_mem(data, size, "fuzz.parquet", &o, &e);
    if (!r) return;
    blalm_doc d;
    while (pq_reader_next(r, &d, &e) == 1) {}
    pq_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* a page header may claim two billion values of a few bytes (RLE): keep
     * what one page may take well under libFuzzer's 2 GB memory limit */
    pq_page_memory_limit = (uint64_t)512 << 20;
    read_all(data, size, 0);
    read_all(data, size, 1);
    blalm_err e;
    pq_meta *m = pq_meta_parse(data, size, 0, &e);
    if (m) {
        for (int g = 0; g < pq_meta_row_groups(m); g++) {
            uint64_t off, len;
            pq_meta_rows(m, g);
            pq_meta_row_group_range(m, g, &off, &len);
        }
        pq_meta_free(m);
    }
    return 0;
}
