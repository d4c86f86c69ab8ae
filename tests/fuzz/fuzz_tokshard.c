/* libFuzzer harness: token shards (trainer/tokshard.c tokshard_open, verify,
 * read and tokshard_concat).
 *
 * Input: u16 LE length L, then L bytes of NAME.tok, the rest NAME.idx.
 * Invariants: a refusal says why; an opened shard has every record inside
 * n_tokens (reading each document's tokens stays in bounds, checked by ASan),
 * and a shard that verifies joins with itself into one that opens and
 * verifies with twice the documents and tokens. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_common.h"
#include "trainer/tokshard.h"

static char dir[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_scratch(dir, sizeof dir, "tokshard");
    if (size < 2) return 0;
    size_t lt = (size_t)data[0] | (size_t)data[1] << 8;
    data += 2, size -= 2;
    if (lt > size) lt = size;
    char base[128], tok[140], idx[140], joined[140];
    snprintf(base, sizeof base, "%s/s", dir);
    snprintf(tok, sizeof tok, "%s.tok", base);
    snprintf(idx, sizeof idx, "%s.idx", base);
    snprintf(joined, sizeof joined, "%s/j", dir);
    fuzz_put(tok, data, lt);
    fuzz_put(idx, data + lt, size - lt);
    blalm_err e = {{0}};
    tokshard s;
    if (tokshard_open(&s, base, &e) != 0) {
        if (!e.msg[0]) abort();
        return 0;
    }
    uint32_t buf[64];
    for (uint64_t d = 0; d < s.n_docs; d++) {
        uint64_t at = s.docs[d].token_offset, n = s.docs[d].n_tokens;
        if (at + n > s.n_tokens || n == 0) abort(); /* open promised contiguity */
        tokshard_read(&s, at, n < 64 ? (size_t)n : 64, buf);
    }
    int ok = tokshard_verify(&s, &e) == 0;
    if (!ok && !e.msg[0]) abort();
    uint64_t docs = s.n_docs, tokens = s.n_tokens;
    tokshard_close(&s);
    if (!ok) return 0;
    const char *in[2] = {base, base};
    if (tokshard_concat(joined, in, 2, NULL, &e) != 0) abort(); /* a verified shard joins */
    tokshard j;
    if (tokshard_open(&j, joined, &e) != 0) abort();
    if (j.n_docs != 2 * docs || j.n_tokens != 2 * tokens || tokshard_verify(&j, &e) != 0) abort();
    tokshard_close(&j);
    return 0;
}
