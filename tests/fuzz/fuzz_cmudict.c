/* libFuzzer harness: the CMU Pronouncing Dictionary readers of
 * filters/readability.c (cmudict text, NLTK's numbered lines, the npm
 * package's index.js lines; `blalm tag` reads the file its config names)
 * and the table cache they write and read back.
 *
 * Byte 0 picks the file name (".js" or not); the rest is the file.
 * Invariants: a load that fails names the file and changes nothing (the
 * word count and the table's digest stay); a loaded file has at least one
 * word; loading it again through an empty cache folder (parsed, then the
 * cache written) and once more (the cache read) gives the same count and
 * digest; syllable counts of the file's own words and of the text are >= 0
 * and the readability scores of the text are finite. */
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "filters/readability.h"
#include "tests/fuzz/fuzz_common.h"

static char dir[96], cache[160];
static readability_ctx *ctx;

static void clear_cache(void)
{
    DIR *d = opendir(cache);
    if (!d) return;
    struct dirent *de;
    char p[600];
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", cache, de->d_name);
        unlink(p);
    }
    closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size) return 0;
    fuzz_scratch(dir, sizeof dir, "cmudict");
    blalm_err e = {{0}};
    if (!ctx) {
        snprintf(cache, sizeof cache, "%s/cache", dir);
        ctx = readability_new(NULL, &e);
        if (!ctx) {
            fprintf(stderr, "%s\n", e.msg);
            abort();
        }
    }
    char path[200];
    snprintf(path, sizeof path, "%s/dict%s", dir, (data[0] & 1) ? ".js" : "");
    fuzz_put(path, data + 1, size - 1);
    size_t words0 = readability_cmudict_words(ctx);
    uint64_t dig0 = readability_cmudict_digest(ctx);
    if (readability_set_cache_dir(ctx, NULL) != 0) abort();
    long n = readability_load_cmudict(ctx, path, &e);
    if (n < 0) {
        if (!strstr(e.msg, path) && !strstr(e.msg, "out of memory")) abort();
        if (readability_cmudict_words(ctx) != words0 || readability_cmudict_digest(ctx) != dig0) abort();
        return 0;
    }
    if (n < 1 || (size_t)n != readability_cmudict_words(ctx)) abort();
    uint64_t dig = readability_cmudict_digest(ctx);
    clear_cache();
    if (readability_set_cache_dir(ctx, cache) != 0) abort();
    for (int pass = 0; pass < 2; pass++) {
        long m = readability_load_cmudict(ctx, path, &e);
        if (m != n || readability_cmudict_digest(ctx) != dig || readability_cmudict_from_cache(ctx) != pass) {
            fprintf(stderr, "pass %d: %ld words (%ld parsed), from cache %d\n", pass, m, n,
                    readability_cmudict_from_cache(ctx));
            abort();
        }
    }
    clear_cache();
    const char *s = (const char *)data + 1;
    size_t len = size - 1;
    for (size_t i = 0; i < len;) {
        while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '"')) i++;
        size_t st = i;
        while (i < len && s[i] != ' ' && s[i] != '\n' && s[i] != '\t' && s[i] != '"') i++;
        if (i > st && readability_syllables(ctx, s + st, i - st) < 0) abort();
    }
    readability_counts k;
    readability_scores sc;
    readability_count(ctx, s, len, &k);
    readability_scores_of(&k, &sc);
    const double *d = (const double *)&sc;
    for (size_t i = 0; i < sizeof sc / sizeof *d; i++)
        if (!isfinite(d[i])) abort();
    return 0;
}
