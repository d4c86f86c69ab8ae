/* attrsets.c - see attrsets.h. */
#include "attrsets.h"

#include <stddef.h>
#include <string.h>

/* textstat's names */
static const char *const readability_keys[] = {
    "words", "sentences", "syllables", "letters", "polysyllables", "difficult_words",
    "flesch_reading_ease", "flesch_kincaid_grade", "automated_readability_index",
    "coleman_liau_index", "smog_index", "gunning_fog", "dale_chall", NULL};
/* datatrove's document verdict and the first failing rule */
static const char *const verdict_keys[] = {"pass", "reason", NULL};
static const char *const dedup_keys[] = {"exact_group", "cluster_id", "cluster_size",
                                         "representative", "keep", NULL};
static const char *const edu_llm_keys[] = {
    "selected", "score", "justification", "raw", "model", "prompt_sha256", "latency_ms",
    "prompt_tokens", "completion_tokens", "attempts", "finish_reason", "error", NULL};
static const char *const edu_local_keys[] = {"score", "int_score", "model", NULL};

static const attrset_info registry[] = {
    {"readability", "tag", readability_keys},
    {"gopher_quality", "tag", verdict_keys},
    {"gopher_repetition", "tag", verdict_keys},
    {"c4", "tag", verdict_keys},
    {"fineweb", "tag", verdict_keys},
    {"dedup", "dedup", dedup_keys},
    {"edu_llm", "score", edu_llm_keys},
    {"edu_local", "distill score", edu_local_keys},
};
#define NREG ((int)(sizeof registry / sizeof registry[0]))

int attrsets_count(void) { return NREG; }

const attrset_info *attrsets_at(int i) { return i >= 0 && i < NREG ? &registry[i] : NULL; }

const attrset_info *attrsets_find(const char *set)
{
    for (int i = 0; set && i < NREG; i++)
        if (!strcmp(registry[i].name, set)) return &registry[i];
    return NULL;
}

const char *const *attrsets_fixed_keys(const char *set)
{
    const attrset_info *a = attrsets_find(set);
    return a ? a->keys : NULL;
}

int attrsets_has_fixed_key(const char *set, const char *key)
{
    const char *const *k = attrsets_fixed_keys(set);
    if (!k) return -1;
    for (; *k; k++)
        if (!strcmp(*k, key)) return 1;
    return 0;
}

int attrsets_tag_sets(const char **out, int cap)
{
    int n = 0;
    for (int i = 0; i < NREG; i++) {
        if (strcmp(registry[i].writer, "tag")) continue;
        if (n < cap) out[n] = registry[i].name;
        n++;
    }
    return n;
}
