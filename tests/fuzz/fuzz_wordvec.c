/* libFuzzer harness: the word-vector text file of `blalm distill
 * --embeddings` (scorer/distill_vec.c: GloVe, word2vec or fastText text,
 * "word v1 ... vd" per line, an optional "count dim" header).
 *
 * The input is the file; its first byte also picks max_words (0 = all, or
 * 1..7). Invariants: a load that fails leaves a message naming the file; a
 * loaded set has dim 2..DISTILL_MAX_EMB_DIM, 1..max_words words, each
 * non-empty, at most 100 bytes, without space or ASCII capital, not repeated,
 * and every component finite within 1e30; a copy holds the same words and
 * vectors; the mean vector of the file's own text, and of every stored word,
 * is finite, and a stored word alone finds itself (its mean is its vector
 * when it is one token). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scorer/distill_internal.h"
#include "tests/fuzz/fuzz_common.h"

static char dir[96];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_scratch(dir, sizeof dir, "wordvec");
    char path[160];
    snprintf(path, sizeof path, "%s/vectors.txt", dir);
    fuzz_put(path, data, size);
    uint32_t max_words = size ? data[0] % 8 : 0;
    blalm_err e = {{0}};
    distill_vectors *v = distill_vectors_load(path, max_words, &e);
    if (!v) {
        if (!strstr(e.msg, path) && !strstr(e.msg, "out of memory")) abort();
        return 0;
    }
    uint32_t d = distill_vectors_dim(v), n = distill_vectors_count(v);
    if (d < 2 || d > DISTILL_MAX_EMB_DIM || n < 1 || (max_words && n > max_words)) abort();
    for (uint32_t i = 0; i < n; i++) {
        const char *w = v->blob + v->off[i];
        size_t l = strlen(w);
        if (!l || l > 100 || strchr(w, ' ')) abort();
        for (size_t q = 0; q < l; q++)
            if (w[q] >= 'A' && w[q] <= 'Z') abort();
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(w, v->blob + v->off[j])) abort();
        for (uint32_t k = 0; k < d; k++) {
            float x = v->vec[(size_t)i * d + k];
            if (!isfinite(x) || fabsf(x) > 1.0001e30f) abort();
        }
    }
    distill_vectors *c = distill_vectors_copy(v, &e);
    if (!c || c->n != n || c->dim != d || c->blob_len != v->blob_len ||
        memcmp(c->blob, v->blob, v->blob_len) || memcmp(c->vec, v->vec, (size_t)n * d * sizeof *c->vec))
        abort();
    distill_vectors_free(c);
    float out[DISTILL_MAX_EMB_DIM];
    distill_vectors_embed(v, (const char *)data, size, out);
    for (uint32_t k = 0; k < d; k++)
        if (!isfinite(out[k])) abort();
    for (uint32_t i = 0; i < n; i++) {
        const char *w = v->blob + v->off[i];
        size_t l = strlen(w), at = 0;
        uint64_t h;
        int one_token = distill_token_byte((unsigned char)w[0]) &&
                        distill_token((const unsigned char *)w, l, &at, &h) == l;
        size_t found = distill_vectors_embed(v, w, l, out);
        for (uint32_t k = 0; k < d; k++)
            if (!isfinite(out[k])) abort();
        if (one_token) {
            if (found != 1) abort();
            for (uint32_t k = 0; k < d; k++)
                if (out[k] != v->vec[(size_t)i * d + k]) abort();
        }
    }
    distill_vectors_free(v);
    return 0;
}
