/* libFuzzer harness: the JSON-lines document reader (plain, gzip and zstd
 * framing are chosen by content, so the fuzzer reaches all three); and the
 * raw member walk audit reads attribute lines with (json_object_next,
 * json_compact): members stay inside the input, a compacted value is JSON
 * that cJSON parses, and a malformed input says what was expected. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/docs.h"
#include "lib/json.h"
#include "lib/sbuf.h"

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

    const char *s = (const char *)data;
    size_t pos = 0, v0 = 0, v1 = 0;
    int first = 1, rc;
    const char *what = NULL;
    sbuf key, val;
    sb_init(&key);
    sb_init(&val);
    while ((rc = json_object_next(s, size, &pos, &first, &key, &v0, &v1, &what)) == 1) {
        if (!(v0 <= v1 && v1 <= size && pos <= size)) abort();
        sb_reset(&val);
        const char *cw = NULL;
        if (json_compact(&val, s + v0, v1 - v0, &cw) == 0) {
            cJSON *j = cJSON_ParseWithLength(val.data ? val.data : "", val.len);
            if (!j) abort();   /* what compact wrote is JSON */
            cJSON_Delete(j);
        } else if (!cw) {
            abort();
        }
    }
    if (rc < 0 && !what) abort();
    sb_free(&key);
    sb_free(&val);
    return 0;
}
