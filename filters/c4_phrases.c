/* c4_phrases.c - the phrases that C4's filter looks for in a line
 * (datatrove's c4_filters.py: "lorem ipsum", "javascript" and the policy
 * phrases), found by looking at one byte pair in nine. Interface in quality_internal.h. */
#include "filters/quality_internal.h"

#include <stdlib.h>
#include <string.h>

/* The phrases are searched case-insensitively (ASCII A-Z folded, as
 * datatrove's line.lower() does for them; U+212A: see c4_phrases_find). Every phrase is at least
 * PH_MIN = 10 bytes long, so an occurrence starting at s covers exactly one
 * position p = s + j (0 <= j < PH_STEP = 9) that is a multiple of PH_STEP:
 * only the byte pairs at those positions are looked up (one in nine), and a
 * pair that some phrase has at offset j makes s = p - j a candidate, checked
 * four bytes at a time (0x20 OR-ed in: it folds A-Z and keeps a-z and space,
 * so it never rejects a real match), then byte by byte with the exact fold. */
#define PH_MIN 10
#define PH_STEP (PH_MIN - 1)
_Static_assert(PH_STEP <= 16, "offsets fit c4_phrases.at's 16 bits");

static unsigned pair_index(const unsigned char *u) { return (u[0] & 31u) << 5 | (u[1] & 31u); }

static const struct {
    const char *s;
    size_t n;
    int flag;
} c4_phrase[] = {
    {"lorem ipsum", 11, PH_LOREM},     {"javascript", 10, PH_JS},
    {"terms of use", 12, PH_POLICY},   {"privacy policy", 14, PH_POLICY},
    {"cookie policy", 13, PH_POLICY},  {"uses cookies", 12, PH_POLICY},
    {"use of cookies", 14, PH_POLICY}, {"use cookies", 11, PH_POLICY},
};

void c4_phrases_init(c4_phrases *p)
{
    memset(p, 0, sizeof *p);
    for (size_t k = 0; k < 8; k++) {
        const unsigned char *ph = (const unsigned char *)c4_phrase[k].s;
        for (size_t j = 0; j < PH_STEP; j++) p->at[pair_index(ph + j)] |= (uint16_t)(1u << j);
        memcpy(&p->head[k], c4_phrase[k].s, 4);
    }
}

/* The flags of the phrases that start at t[s..n), other than those found. */
static int phrases_at(const c4_phrases *p, const unsigned char *u, size_t n, size_t s, int found)
{
    if (s + PH_MIN > n) return 0;
    uint32_t w;
    memcpy(&w, u + s, 4);
    w |= 0x20202020u;
    int got = 0;
    for (size_t k = 0; k < 8; k++) {
        if (w != p->head[k] || ((found | got) & c4_phrase[k].flag) || s + c4_phrase[k].n > n)
            continue;
        size_t j = 0;   /* all of it: a NUL byte passes the OR-ed test for a space */
        while (j < c4_phrase[k].n) {
            unsigned char b = u[s + j];
            if (b >= 'A' && b <= 'Z') b += 32;
            if (b != (unsigned char)c4_phrase[k].s[j]) break;
            j++;
        }
        if (j == c4_phrase[k].n) got |= c4_phrase[k].flag;
    }
    return got;
}

static int find_folded(const c4_phrases *p, const char *t, size_t n)
{
    const unsigned char *u = (const unsigned char *)t;
    int found = 0;
    if (n < PH_MIN) return 0;
    for (size_t q = 0; q + 1 < n; q += PH_STEP) {
        unsigned m = p->at[pair_index(u + q)];
        while (m) {
            size_t j = (size_t)__builtin_ctz(m);
            m &= m - 1;
            if (j <= q) found |= phrases_at(p, u, n, q - j, found);
        }
        if (found == (PH_LOREM | PH_JS | PH_POLICY)) break;
    }
    return found;
}

/* Python's lower() makes one non-ASCII character an ASCII letter of a
 * phrase: U+212A KELVIN SIGN becomes 'k' ("COO\u212aIES" holds "cookies";
 * U+0130 becomes "i" + U+0307, which ends no phrase). A line holding it is
 * searched as a copy with each made 'k'. */
int c4_phrases_find(const c4_phrases *p, const char *t, size_t n)
{
    const char *k = memmem(t, n, "\xE2\x84\xAA", 3);
    if (!k) return find_folded(p, t, n);
    char small[512], *c = n <= sizeof small ? small : malloc(n);
    if (!c) return find_folded(p, t, n); /* no memory: as if it were not there */
    size_t m = (size_t)(k - t);
    memcpy(c, t, m);
    for (size_t i = m; i < n;) {
        if (i + 3 <= n && !memcmp(t + i, "\xE2\x84\xAA", 3)) c[m++] = 'k', i += 3;
        else c[m++] = t[i++];
    }
    int found = find_folded(p, c, m);
    if (c != small) free(c);
    return found;
}
