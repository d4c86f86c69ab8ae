/* libFuzzer harness: LLM replies (scorer/parse.c).
 *
 * The input is a chat.completion body for llm_parse_response; when it parses,
 * its content goes through llm_parse_score in text and JSON mode. The raw
 * input is also scored directly in both modes (so the score finder is reached
 * without JSON escaping). Invariants: a refused body says why; a parsed body
 * has content; a score is 0..5, or -1 with a reason. llm_redact (what an
 * error body goes through): a key of 8+ characters never comes out whole,
 * whatever surrounds it, nor its first 4+ characters at a cut end; the output
 * is NUL-terminated within its buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "scorer/llm.h"

static void score(const char *s, size_t n)
{
    for (int json = 0; json < 2; json++) {
        sbuf just;
        sb_init(&just);
        char why[256];
        memset(why, 0, sizeof why);
        int v = llm_parse_score(s, n, json, &just, why, sizeof why);
        if (v < -1 || v > 5) abort();            /* score out of range */
        if (v == -1 && !why[0]) abort();         /* a refusal says why */
        if (v >= 0 && why[0]) abort();           /* no stale reason on success */
        if (!memchr(why, 0, sizeof why)) abort();
        sb_free(&just);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* no terminating NUL after the input: the parsers take (pointer, length) */
    char *s = malloc(size ? size : 1);
    memcpy(s, data, size);
    llm_response r;
    memset(&r, 0, sizeof r);
    blalm_err e = {{0}};
    if (llm_parse_response(s, size, &r, &e) == 0) {
        if (!r.content) abort();
        score(r.content, strlen(r.content));
        llm_response_free(&r);
    } else if (!e.msg[0]) {
        abort();
    }
    score(s, size);
    /* redaction around the key, the input on both sides, and cut inside it */
    static const char key[] = "sk-proj-Zq81xKey";
    size_t cap = 2 * size + 64;
    char *in = malloc(cap), *out = malloc(cap);
    char *t = malloc(size + 1);
    memcpy(t, s, size);
    t[size] = 0;
    for (int form = 0; form < 3; form++) {
        if (form == 0) snprintf(in, cap, "%s %s %s", t, key, t);
        else if (form == 1) snprintf(in, cap, "%s%s%s", t, key, t);
        else snprintf(in, cap, "%s Bearer %.*s", t, (int)(4 + size % (sizeof key - 5)), key);
        out[cap - 1] = 'x';
        llm_redact(in, key, out, cap);
        if (!memchr(out, 0, cap) || (!strstr(t, key) && strstr(out, key))) abort();
        if (form == 2 && !strstr(t, "sk-p") && strstr(out, "sk-p")) abort();
    }
    free(t);
    free(in);
    free(out);
    free(s);
    return 0;
}
