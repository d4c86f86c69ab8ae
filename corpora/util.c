/* util.c - folder removal and word prefixes for the corpora stage. */
#include "corpora/internal.h"
#include "corpora/corpora.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/utf8.h"

/* ---- folders ------------------------------------------------------------ */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int rm_tree(const char *path)
{
    return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- words ---------------------------------------------------------------- */

/* Decodes one code point (invalid bytes count as one non-space unit). */
static size_t next_cp(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned c = s[0];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (len > n) len = 1;
    if (len == 1) { *cp = c < 0x80 ? c : 0xFFFD; return 1; }
    uint32_t v = c & (0x7F >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) { *cp = 0xFFFD; return 1; }
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    return len;
}

size_t prefix_bytes_for_words(const char *s, size_t n, uint64_t k)
{
    const unsigned char *u = (const unsigned char *)s;
    uint64_t words = 0;
    int in_word = 0;
    size_t i = 0, end = 0;
    while (i < n) {
        uint32_t cp;
        size_t len = next_cp(u + i, n - i, &cp);
        int space = py_isspace(cp);
        if (!space && !in_word) {
            if (words == k) return end;
            words++;
        }
        in_word = !space;
        i += len;
        if (!space) end = i;
    }
    return end;
}

long peak_rss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return ru.ru_maxrss;
}

int corpora_run_set_changed(const cJSON *was, const cJSON *summary, const char **then, const char **now)
{
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(was, "set"), *cur = NULL, *x;
    if (!cJSON_IsString(set)) return -1;
    cJSON_ArrayForEach(x, summary) {
        const cJSON *s2 = cJSON_GetObjectItemCaseSensitive(x, "set");
        if (cJSON_IsString(s2) && !strcmp(s2->valuestring, set->valuestring)) cur = x;
    }
    if (!cur) return 0;
    const cJSON *c0 = cJSON_GetObjectItemCaseSensitive(was, "config");
    const cJSON *c1 = cJSON_GetObjectItemCaseSensitive(cur, "config");
    *then = cJSON_IsString(c0) ? c0->valuestring : "none";
    *now = cJSON_IsString(c1) ? c1->valuestring : "none";
    return strcmp(*then, *now) != 0;
}

static int cmp_member(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

const cJSON **corpora_members_sorted(const cJSON *obj, size_t *n)
{
    const cJSON *m;
    size_t k = 0;
    cJSON_ArrayForEach(m, obj) k++;
    const cJSON **v = malloc((k + 1) * sizeof *v);
    if (!v) return NULL;
    k = 0;
    cJSON_ArrayForEach(m, obj) if (m->string) v[k++] = m;
    if (k) qsort(v, k, sizeof *v, cmp_member);
    *n = k;
    return v;
}

const cJSON *corpora_member_find(const cJSON **sorted, size_t n, const char *name)
{
    cJSON key = {0};
    key.string = (char *)name;
    const cJSON *kp = &key, **hit = n ? bsearch(&kp, sorted, n, sizeof *sorted, cmp_member) : NULL;
    return hit ? *hit : NULL;
}

void sanitize_source(const char *in, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; in[i] && j + 1 < cap; i++) {
        char ch = in[i];
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '-' || ch == '_' || (ch == '.' && j > 0);
        out[j++] = ok ? ch : '_';
    }
    if (j == 0) out[j++] = '_';
    out[j] = 0;
}
