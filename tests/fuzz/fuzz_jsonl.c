/* libFuzzer harness: the JSON-lines document reader (plain, gzip and zstd
 * framing are chosen by content, so the fuzzer reaches all three). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/docs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/blalm-fuzz-jsonl-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return 0;
    if (write(fd, data, size) != (ssize_t)size) { close(fd); unlink(path); return 0; }
    close(fd);
    blalm_err e;
    doc_reader *r = doc_open(path, NULL, &e);
    if (r) {
        blalm_doc d;
        while (doc_next(r, &d, &e) == 1) {}
        doc_close(r);
    }
    unlink(path);
    return 0;
}
