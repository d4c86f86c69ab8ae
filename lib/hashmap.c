/* hashmap.c - see hashmap.h. */
#include "hashmap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void u64map_free(u64map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

void u64map_grow_(u64map *m)
{
    size_t old = m->nslots, ns = old ? 2 * old : 1024;
    uint64_t *ok = m->keys, *ov = m->vals;
    m->keys = malloc(ns * sizeof *m->keys);
    m->vals = malloc(ns * sizeof *m->vals);
    if (!m->keys || !m->vals) {
        fputs("blalm: out of memory growing a hash map\n", stderr);
        abort();
    }
    memset(m->keys, 0xff, ns * sizeof *m->keys);  /* every slot U64MAP_EMPTY */
    m->nslots = ns;
    for (size_t i = 0; i < old; i++) {
        if (ok[i] == U64MAP_EMPTY) continue;
        size_t s = (size_t)hash_fmix64(ok[i]) & (ns - 1);
        while (m->keys[s] != U64MAP_EMPTY) s = (s + 1) & (ns - 1);
        m->keys[s] = ok[i];
        m->vals[s] = ov[i];
    }
    free(ok);
    free(ov);
}
