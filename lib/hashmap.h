/* hashmap.h - the one 64-bit hash map: any uint64_t key -> uint64_t value,
 * open addressing with linear probing, load <= 1/2, slots hashed with
 * hash_fmix64. Used by assembly (taken ids and groups) and the BPE tokenizer
 * (pair ranks, pair index). Nothing iterates it, so its layout never shapes
 * an output.
 *
 *   u64map m = {0};
 *   *u64map_put(&m, key, 0, &added) += 1;
 *   const uint64_t *v = u64map_get(&m, key);   // NULL when absent
 *   u64map_free(&m);
 *
 * Growing aborts when memory runs out (as sbuf does): callers size their
 * work by a memory limit long before that. */
#ifndef BLALM_HASHMAP_H
#define BLALM_HASHMAP_H

#include <stddef.h>
#include <stdint.h>
#include "hash.h"

#define U64MAP_EMPTY UINT64_MAX  /* marks a free slot; the key itself lives in `max_val` */

typedef struct u64map {
    uint64_t *keys, *vals;
    size_t nslots, n;        /* n counts every key, U64MAP_EMPTY included */
    int has_max;             /* key UINT64_MAX is present */
    uint64_t max_val;
} u64map;

void u64map_free(u64map *m);           /* back to {0}; {0} is an empty map */
void u64map_grow_(u64map *m);          /* internal: doubles the table */

/* Pointer to key's value, inserted as fresh when absent (*added = 1; added
 * may be NULL). Valid until the next put. */
static inline uint64_t *u64map_put(u64map *m, uint64_t key, uint64_t fresh, int *added)
{
    if (key == U64MAP_EMPTY) {
        if (added) *added = !m->has_max;
        if (!m->has_max) {
            m->has_max = 1;
            m->max_val = fresh;
            m->n++;
        }
        return &m->max_val;
    }
    if (2 * (m->n + 1) > m->nslots) u64map_grow_(m);
    size_t mask = m->nslots - 1, s = (size_t)hash_fmix64(key) & mask;
    while (m->keys[s] != U64MAP_EMPTY) {
        if (m->keys[s] == key) {
            if (added) *added = 0;
            return &m->vals[s];
        }
        s = (s + 1) & mask;
    }
    m->keys[s] = key;
    m->vals[s] = fresh;
    m->n++;
    if (added) *added = 1;
    return &m->vals[s];
}

/* Pointer to key's value, NULL when absent. */
static inline const uint64_t *u64map_get(const u64map *m, uint64_t key)
{
    if (key == U64MAP_EMPTY) return m->has_max ? &m->max_val : NULL;
    if (!m->nslots) return NULL;
    size_t mask = m->nslots - 1, s = (size_t)hash_fmix64(key) & mask;
    while (m->keys[s] != U64MAP_EMPTY) {
        if (m->keys[s] == key) return &m->vals[s];
        s = (s + 1) & mask;
    }
    return NULL;
}

#endif
