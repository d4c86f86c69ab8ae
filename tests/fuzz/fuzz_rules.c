/* libFuzzer harness: the selection-rule parser, checker and evaluator.
 *
 * Input: a rule, as text. An input starting with byte 0x01 is expanded
 * instead, so that deep and long rules (a probe found 65,000 '(' or a
 * 200,000-term && chain once crashed the parser) are reached though libFuzzer
 * keeps inputs short:
 *   0x01 R1 R2 HEADLEN UNIT...   -> HEAD, then UNIT repeated (R1 << 8 | R2) * 4
 *                                   times, then HEAD's mirror of closers
 * where HEAD is the first HEADLEN bytes after the header and UNIT the rest. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rules.h"

static char *expand(const uint8_t *d, size_t n, size_t *out_len)
{
    if (n < 4) return NULL;
    size_t reps = ((size_t)d[1] << 8 | d[2]) * 4, hl = d[3];
    d += 4, n -= 4;
    if (hl > n) hl = n;
    const uint8_t *unit = d + hl;
    size_t ul = n - hl;
    size_t total = hl + reps * ul + reps + 1;
    char *s = malloc(total + 1), *p = s;
    memcpy(p, d, hl), p += hl;
    for (size_t i = 0; i < reps; i++) memcpy(p, unit, ul), p += ul;
    /* close what the unit opened, so deep nesting can also be well formed */
    for (size_t i = 0; i < reps && memchr(unit, '(', ul); i++) *p++ = ')';
    *p = 0;
    *out_len = (size_t)(p - s);
    return s;
}

static int known(void *ctx, const char *set, const char *key)
{
    (void)ctx;
    if (strcmp(set, "a")) return -1;
    return !strcmp(key, "b") || !strcmp(key, "c") || !strcmp(key, "d") || !strcmp(key, "e");
}

static void count_ref(void *ctx, const char *set, const char *key)
{
    (void)set, (void)key;
    ++*(size_t *)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src;
    size_t len = size;
    if (size && data[0] == 0x01) {
        src = expand(data, size, &len);
        if (!src) return 0;
    } else {
        src = malloc(size + 1);
        memcpy(src, data, size);
        src[size] = 0;
    }
    blalm_err e = {{0}};
    rule *r = rule_parse(src, &e);
    if (r) {
        if (strlen(src) > RULE_MAX_BYTES) abort();   /* the length limit held */
        size_t refs = 0;
        rule_refs(r, count_ref, &refs);
        rule_check(r, known, NULL, &e);
        cJSON *a = cJSON_Parse("{\"a\":{\"b\":1,\"c\":\"x\",\"d\":true,\"e\":null}}");
        int v = rule_eval(r, a, &e);
        if (v < -1 || v > 1) abort();
        cJSON_Delete(a);
        rule_free(r);
    } else if (!e.msg[0]) {
        abort();   /* every refusal says why */
    }
    free(src);
    (void)len;
    return 0;
}
