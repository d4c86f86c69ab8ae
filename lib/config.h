/* config.h - JSON config files (cJSON) with unknown keys rejected by name. */
#ifndef BLALM_CONFIG_H
#define BLALM_CONFIG_H

#include <cjson/cJSON.h>
#include "err.h"

/* Parses a JSON file; errors give file, line and column. Strict: text after
 * the value and a key given twice in one object are errors (naming the key). */
cJSON *config_load(const char *path, blalm_err *e);
/* Parses JSON text; `what` names it in errors. */
cJSON *config_parse(const char *text, size_t len, const char *what, blalm_err *e);
/* The same, as strict, for line `lineno` of a JSON-lines file `what`; errors
 * read "what:LINE: ..." ("what:LINE: column C: not valid JSON ..."). */
cJSON *config_parse_line(const char *text, size_t len, const char *what, unsigned long long lineno,
                         blalm_err *e);
/* Fails naming the first key of obj not in allowed (NULL-terminated);
 * `where` is e.g. "corpora.json: corpora[0]". */
int config_check_keys(const cJSON *obj, const char *const *allowed, const char *where,
                      blalm_err *e);
/* Typed getters: missing -> default; wrong type -> error naming the key. */
int config_number(const cJSON *obj, const char *key, double dflt, double *out,
                  const char *where, blalm_err *e);
int config_string(const cJSON *obj, const char *key, const char *dflt, const char **out,
                  const char *where, blalm_err *e);
int config_bool(const cJSON *obj, const char *key, int dflt, int *out,
                const char *where, blalm_err *e);
/* cJSON_Print (formatted) or cJSON_PrintUnformatted, except that every number
 * reads back as the same double: cJSON 1.7 prints %.15g whenever that is
 * within an epsilon, so 29.999999999999996 came out as 30. Such numbers are
 * written as sb_json_num writes them (the shortest of %.15g/%.16g/%.17g that
 * reads back exactly); all other text is cJSON's. Free with free(). */
char *json_print(const cJSON *v, int formatted);

#endif
