/* c4_phrases.c - the phrases that C4's filter looks for in a line
 * (datatrove's c4_filters.py: "lorem ipsum", "javascript" and the policy
 * phrases), found in one pass over the line. Interface in quality_internal.h. */
#include "filters/quality_internal.h"

#include <string.h>

/* The phrases are searched case-insensitively (ASCII A-Z folded, as
 * datatrove's line.lower() does for them) in one pass: a byte pair that
 * starts some phrase (in either case) is checked four bytes at a time with
 * 0x20 OR-ed in (which never rejects a real match: it folds A-Z and keeps
 * a-z and space), then byte by byte with the exact fold. */
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
        unsigned char a = (unsigned char)c4_phrase[k].s[0], b = (unsigned char)c4_phrase[k].s[1];
        for (int ca = 0; ca < 2; ca++)
            for (int cb = 0; cb < 2; cb++) {
                unsigned pair = (unsigned)(a - 32 * ca) | (unsigned)(b - 32 * cb) << 8;
                p->pairs[pair >> 3] |= (uint8_t)(1u << (pair & 7));
            }
        memcpy(&p->head[k], c4_phrase[k].s, 4);
    }
}

int c4_phrases_find(const c4_phrases *p, const char *t, size_t n)
{
    const uint8_t *pairs = p->pairs;
    const uint32_t *head = p->head;
    int found = 0;
    const unsigned char *u = (const unsigned char *)t;
    for (size_t i = 0; i + 10 <= n; i++) {
        unsigned pair = (unsigned)u[i] | (unsigned)u[i + 1] << 8;
        if (!(pairs[pair >> 3] & (1u << (pair & 7)))) continue;   /* no phrase starts so */
        uint32_t w;
        memcpy(&w, u + i, 4);
        w |= 0x20202020u;
        for (size_t k = 0; k < 8; k++) {
            if (w != head[k] || (found & c4_phrase[k].flag) || i + c4_phrase[k].n > n) continue;
            size_t j = 0;
            while (j < c4_phrase[k].n) {
                unsigned char b = u[i + j];
                if (b >= 'A' && b <= 'Z') b += 32;
                if (b != (unsigned char)c4_phrase[k].s[j]) break;
                j++;
            }
            if (j == c4_phrase[k].n) found |= c4_phrase[k].flag;
        }
        if (found == (PH_LOREM | PH_JS | PH_POLICY)) break;
    }
    return found;
}
