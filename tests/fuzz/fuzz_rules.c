/* libFuzzer harness: the selection-rule parser and evaluator. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *src = malloc(size + 1);
    memcpy(src, data, size);
    src[size] = 0;
    blalm_err e;
    rule *r = rule_parse(src, &e);
    if (r) {
        cJSON *a = cJSON_Parse("{\"a\":{\"b\":1,\"c\":\"x\",\"d\":true,\"e\":null}}");
        rule_eval(r, a, &e);
        cJSON_Delete(a);
        rule_free(r);
    }
    free(src);
    return 0;
}
