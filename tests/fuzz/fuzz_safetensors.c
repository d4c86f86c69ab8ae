/* libFuzzer harness: safetensors import (trainer/safetensors.c
 * model_load_safetensors) into the tiny model of configs/model-tiny.json.
 *
 * Invariants: a refusal says why; what loads saves again and loads back to
 * the same bytes (export(import(x)) is a fixed point). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "tests/fuzz/fuzz_common.h"
#include "trainer/model.h"

static char dir[64];
static model *m;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    blalm_err e = {{0}};
    if (!m) {
        fuzz_scratch(dir, sizeof dir, "safetensors");
        model_config c;
        m = fuzz_tiny_model(&c);
    }
    char in[128], out[128], out2[128];
    snprintf(in, sizeof in, "%s/in.safetensors", dir);
    snprintf(out, sizeof out, "%s/out.safetensors", dir);
    snprintf(out2, sizeof out2, "%s/out2.safetensors", dir);
    fuzz_put(in, data, size);
    if (model_load_safetensors(m, in, &e) != 0) {
        if (!e.msg[0]) abort();
        return 0;
    }
    if (model_save_safetensors(m, out, &e) != 0) abort();
    if (model_load_safetensors(m, out, &e) != 0) abort(); /* what we write, we read */
    if (model_save_safetensors(m, out2, &e) != 0) abort();
    char *a, *b;
    size_t na, nb;
    if (read_file(out, &a, &na, &e) != 0 || read_file(out2, &b, &nb, &e) != 0) abort();
    if (na != nb || memcmp(a, b, na)) abort();
    free(a);
    free(b);
    return 0;
}
