/* fuzz_common.h - what the libFuzzer harnesses share: a scratch folder, a
 * file written from the fuzzer's bytes, and the tiny model of
 * configs/model-tiny.json (harnesses run from the repository root). Any
 * failure of the harness itself (not of the code under test) aborts. */
#ifndef BLALM_FUZZ_COMMON_H
#define BLALM_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "trainer/model.h"

/* Makes /tmp/fuzz-NAME-XXXXXX once into dir (at least 64 bytes). */
static inline void fuzz_scratch(char *dir, size_t cap, const char *name)
{
    if (dir[0]) return;
    snprintf(dir, cap, "/tmp/fuzz-%s-XXXXXX", name);
    if (!mkdtemp(dir)) abort();
}

/* Writes p[0..n) to path. */
static inline void fuzz_put(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (n && fwrite(p, 1, n, f) != n) abort();
    fclose(f);
}

/* The tiny model (its config in *cfg); never NULL. */
static inline model *fuzz_tiny_model(model_config *cfg)
{
    blalm_err e = {{0}};
    if (model_config_load("configs/model-tiny.json", cfg, &e) != 0) {
        fprintf(stderr, "%s (run from the repository root)\n", e.msg);
        abort();
    }
    model *m = model_create(cfg, &e);
    if (!m) abort();
    return m;
}

#endif
