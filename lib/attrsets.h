/* attrsets.h - the one registry of attribute sets and their fixed keys
 * (DESIGN.md §3). A stage may add keys of its own (Gopher's statistics, say);
 * these names are fixed so that rules, `audit` and other tools can rely on
 * them. Readers that also accept sets made by hand (or keys a stage added)
 * sample the attribute files for the rest; this table is what is known
 * without looking. */
#ifndef BLALM_ATTRSETS_H
#define BLALM_ATTRSETS_H

typedef struct attrset_info {
    const char *name;             /* e.g. "gopher_quality" */
    const char *writer;           /* the command that writes it: "tag", "dedup", "score", "distill score" */
    const char *const *keys;      /* its fixed keys, NULL-terminated */
} attrset_info;

/* Number of registered sets; attrsets_at(i) for 0 <= i < attrsets_count(),
 * in the table's order (readability, gopher_quality, gopher_repetition, c4,
 * fineweb, dedup, edu_llm, edu_local). */
int attrsets_count(void);
const attrset_info *attrsets_at(int i);
/* The registered set of that name, or NULL. */
const attrset_info *attrsets_find(const char *set);
/* The fixed keys of a registered set (NULL-terminated), or NULL for a set
 * that is not registered. */
const char *const *attrsets_fixed_keys(const char *set);
/* 1 when key is a fixed key of the registered set, 0 when it is not, -1 when
 * the set is not registered. */
int attrsets_has_fixed_key(const char *set, const char *key);
/* The sets `blalm tag` writes, in its order (readability, gopher_quality,
 * gopher_repetition, c4, fineweb): up to cap names into out, returns how
 * many there are. For pipeline/cmd_tag.c's set names. */
int attrsets_tag_sets(const char **out, int cap);

#endif
