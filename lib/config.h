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

#endif
