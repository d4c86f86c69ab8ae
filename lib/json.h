/* json.h - strict, fast JSON scanning for the hot path (document lines).
 *
 * cJSON is used for configs and small objects; document lines go through
 * this scanner, which validates the whole line (RFC 8259), decodes only the
 * string members asked for, and reports the column of the first error. */
#ifndef BLALM_JSON_H
#define BLALM_JSON_H

#include <stddef.h>
#include "err.h"
#include "sbuf.h"

/* Skips one JSON value starting at s[*pos] (leading whitespace allowed).
 * On error returns -1 and sets *pos to the offending byte and *what to a
 * description of what was expected. */
int json_skip_value(const char *s, size_t n, size_t *pos, const char **what);

/* Decodes the JSON string starting at s[*pos] (which must be '"') into out
 * (appended). Validates UTF-8 and escapes; \u escapes incl. surrogate pairs
 * become UTF-8. Lone surrogates are an error. */
int json_decode_string(const char *s, size_t n, size_t *pos, sbuf *out, const char **what);

/* Skips whitespace; returns new pos. */
size_t json_ws(const char *s, size_t n, size_t pos);

#endif
