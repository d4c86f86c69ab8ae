/* libFuzzer harness: tokenizer.json (and the compact binary form) loading,
 * trainer/tokenizer.c bpe_load_mem.
 *
 * Invariants: a refusal says why; a loaded tokenizer encodes a short string
 * (and the input itself) to ids it can decode back to the same bytes, and
 * serialises to tokenizer.json that loads again with the same vocabulary. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "trainer/tokenizer.h"

static void roundtrip(const bpe_tokenizer *t, bpe_encoder *enc, const char *s, size_t n)
{
    blalm_err e = {{0}};
    size_t nid = 0;
    const uint32_t *ids = bpe_encode(enc, s, n, 0, &nid, &e);
    if (!ids) {
        if (!e.msg[0]) abort();
        return;
    }
    sbuf out;
    sb_init(&out);
    if (bpe_decode(t, ids, nid, 0, &out, &e) != 0) abort();    /* its own ids */
    if (out.len != n || (n && memcmp(out.data, s, n))) abort(); /* decode(encode(x)) == x */
    sb_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    blalm_err e = {{0}};
    bpe_tokenizer *t = bpe_load_mem((const char *)data, size, "fuzz.json", &e);
    if (!t) {
        if (!e.msg[0]) abort();
        return 0;
    }
    bpe_encoder *enc = bpe_encoder_new(t, &e);
    if (!enc) abort();
    static const char sample[] = "Hello, world! It's 2024 \xc3\xa9t\xc3\xa9 \xff\n";
    roundtrip(t, enc, sample, sizeof sample - 1);
    roundtrip(t, enc, (const char *)data, size < 512 ? size : 512);
    bpe_encoder_free(enc);

    size_t jl = 0;
    char *json = bpe_to_json(t, &jl);
    if (!json) abort();
    bpe_tokenizer *t2 = bpe_load_mem(json, jl, "fuzz-resaved.json", &e);
    if (!t2) abort();                                   /* what we write, we read */
    if (bpe_vocab_size(t2) != bpe_vocab_size(t)) abort();
    bpe_free(t2);
    free(json);
    bpe_free(t);
    return 0;
}
