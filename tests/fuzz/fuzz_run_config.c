/* libFuzzer harness: `blalm run`'s JSON config (pipeline/run_config.c),
 * every section, the embedded tag thresholds and corpora config included.
 *
 * Input: a config, as text. A parse either gives a config whose invariants
 * hold (the training corpus is one of the corpora, the distill section's
 * labels are SET.KEY or a field, never both, its folds in range) or refuses
 * with a message that names the file. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/run.h"
#include "scorer/distill.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    blalm_err e = {{0}};
    run_config *c = run_config_parse((const char *)data, size, "fuzz.json", "/base", &e);
    if (!c) {
        if (strncmp(e.msg, "fuzz.json", 9)) abort();   /* every refusal names the file */
        return 0;
    }
    if (!c->model_cfg || c->ncorpora < 1 || !c->train_corpus) abort();
    int found = 0;
    for (int i = 0; i < c->ncorpora; i++) found |= !strcmp(c->corpus_names[i], c->train_corpus);
    if (!found) abort();
    if (c->distill) {
        if (!c->distill_json || (c->distill_labels != NULL) == (c->distill_field != NULL)) abort();
        if (c->distill_labels) {
            const char *dot = strchr(c->distill_labels, '.');
            if (!dot || dot == c->distill_labels || !dot[1]) abort();
        }
        if (c->distill_folds < 2 || c->distill_folds > 20) abort();
        if (c->distill_kind < DISTILL_AUTO || c->distill_kind > DISTILL_ENSEMBLE) abort();
        if (c->distill_emb_weight != 0 && (!c->distill_embeddings || !(c->distill_emb_weight > 0 && c->distill_emb_weight < 1)))
            abort();
    }
    if (c->score && !c->model_name) abort();
    for (int s = 0; s < RUN_NSTAGES; s++)
        if (run_stage_parse(run_stage_name(s)) != s) abort();
    run_config_free(c);
    return 0;
}
