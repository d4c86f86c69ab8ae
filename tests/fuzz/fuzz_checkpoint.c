/* libFuzzer harness: training checkpoints (trainer/train.c ckpt_read_meta and
 * ckpt_load, magic "BLALMCK1") into the tiny model of configs/model-tiny.json.
 *
 * Invariants: a refusal says why; a checkpoint whose config is not the tiny
 * model's is refused by ckpt_load, never read into it; what loads saves again
 * and loads back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_common.h"
#include "trainer/optim.h"
#include "trainer/train.h"

static char dir[64];
static model *m;
static optimizer *opt;
static model_config cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    blalm_err e = {{0}};
    if (!m) {
        fuzz_scratch(dir, sizeof dir, "checkpoint");
        m = fuzz_tiny_model(&cfg);
        opt = optim_create(m, OPT_ADAMW, &cfg.train);
        if (!opt) abort();
    }
    char in[128], out[128];
    snprintf(in, sizeof in, "%s/in.bin", dir);
    snprintf(out, sizeof out, "%s/out.bin", dir);
    fuzz_put(in, data, size);
    model_config c;
    ckpt_pos p;
    optim_kind k;
    if (ckpt_read_meta(in, &c, &p, &k, &e) != 0) {
        if (!e.msg[0]) abort();
        return 0;
    }
    if (ckpt_load(in, m, opt, &k, &p, &e) != 0) {
        if (!e.msg[0]) abort();
        return 0;
    }
    if (k != OPT_ADAMW) return 0; /* state for another optimiser kind: not ours to re-save */
    if (ckpt_save(out, m, opt, k, &p, &e) != 0) abort();
    if (ckpt_load(out, m, opt, &k, &p, &e) != 0) abort(); /* what we write, we read */
    return 0;
}
