/* libFuzzer harness: eval's age-of-acquisition scoring (trainer/eval.c
 * eval_aoa_fitness): the CDI table of the eval data (aoa/cdi_human.csv, a
 * user's download) and an official surprisal.json (`blalm eval --aoa-score`
 * reads one given on the command line).
 *
 * The input: the CSV, then a line "--json--" and the surprisal document
 * (a fixed small one when that part is missing or not JSON). Invariants:
 * on error no result and a message; on
 * success an object with a number "curve_fitness" (0 below 3 words, else
 * finite in -1..1 or null) and "n_words" >= 0, and with 3 words or more as
 * many valid words and model and child AoAs as n_words, the AoAs each finite
 * or null. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "trainer/eval.h"

static const char fixed[] =
    "{\"results\": [{\"step\": 0, \"target_word\": \"dog\", \"surprisal\": 12.5},"
    "{\"step\": 100, \"target_word\": \"dog\", \"surprisal\": 8.0},"
    "{\"step\": 1000, \"target_word\": \"dog\", \"surprisal\": 4.0},"
    "{\"step\": 0, \"target_word\": \"cat\", \"surprisal\": 11},"
    "{\"step\": 100, \"target_word\": \"cat\", \"surprisal\": 9},"
    "{\"step\": 1000, \"target_word\": \"cat\", \"surprisal\": 7},"
    "{\"step\": \"checkpoint-10\", \"target_word\": \"ball\", \"surprisal\": 10},"
    "{\"step\": 100, \"target_word\": \"ball\", \"surprisal\": 3},"
    "{\"step\": 1000, \"target_word\": \"ball\", \"surprisal\": 1}]}";

static void check_nums(const cJSON *a, int n)
{
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != n) abort();
    const cJSON *x;
    cJSON_ArrayForEach(x, a) if (!cJSON_IsNull(x) && !(cJSON_IsNumber(x) && isfinite(x->valuedouble))) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *sep = "\n--json--\n";
    const uint8_t *at = memmem(data, size, sep, strlen(sep));
    size_t clen = at ? (size_t)(at - data) : size;
    cJSON *doc = NULL;
    if (at) doc = cJSON_ParseWithLength((const char *)at + strlen(sep), size - clen - strlen(sep));
    if (!doc) doc = cJSON_Parse(fixed);
    char *csv = malloc(clen ? clen : 1);   /* exactly the bytes: ASan sees any read past them */
    memcpy(csv, data, clen);
    cJSON *out = (cJSON *)1;
    blalm_err e = {{0}};
    int rc = eval_aoa_fitness(doc, csv, clen, "cdi_human.csv", &out, &e);
    if (rc) {
        if (rc != -1 || out || !e.msg[0]) abort();
    } else {
        const cJSON *cf = cJSON_GetObjectItemCaseSensitive(out, "curve_fitness"),
                    *nw = cJSON_GetObjectItemCaseSensitive(out, "n_words");
        if (!cJSON_IsNumber(nw) || nw->valuedouble < 0) abort();
        int n = (int)nw->valuedouble;
        if (n < 3) {
            if (!cJSON_IsNumber(cf) || cf->valuedouble != 0) abort();
        } else {
            if (!cJSON_IsNull(cf) && !(cJSON_IsNumber(cf) && cf->valuedouble >= -1.0000001 &&
                                       cf->valuedouble <= 1.0000001))
                abort();
            check_nums(cJSON_GetObjectItemCaseSensitive(out, "model_aoas"), n);
            check_nums(cJSON_GetObjectItemCaseSensitive(out, "child_aoas"), n);
            const cJSON *vw = cJSON_GetObjectItemCaseSensitive(out, "valid_words");
            if (!cJSON_IsArray(vw) || cJSON_GetArraySize(vw) != n) abort();
        }
        cJSON_Delete(out);
    }
    cJSON_Delete(doc);
    free(csv);
    return 0;
}
