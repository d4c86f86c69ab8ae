/* libFuzzer harness: the distill model-file reader. Each input is parsed as
 * is (the checksum rejects nearly all) and again with its last eight bytes
 * replaced by the right checksum, so the header and size checks behind it
 * are reached too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
#include "scorer/distill.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    blalm_err e;
    distill_model_free(distill_model_parse(data, size, "fuzz", &e));
    if (size < 8) return 0;
    uint8_t *fixed = malloc(size);
    memcpy(fixed, data, size);
    uint64_t sum = xxh64(fixed, size - 8, 0);
    memcpy(fixed + size - 8, &sum, 8);
    distill_model *m = distill_model_parse(fixed, size, "fuzz", &e);
    if (m) {
        /* a model that loads must score without faults */
        distill_counts c = {0};
        const distill_vectors *v = distill_model_vectors(m);
        if (distill_count_text(distill_model_features(m), "some text to score here", 23, &c, &e) == 0 &&
            (!v || distill_count_embed(v, distill_model_features(m), "some text to score here", 23, &c, &e) == 0))
            (void)distill_predict(m, &c);
        distill_counts_free(&c);
        distill_model_free(m);
    }
    free(fixed);
    return 0;
}
