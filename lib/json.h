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

/* One member of the object starting at s[*pos] per call: *first = 1 before
 * the first call (it checks the '{'). Returns 1 with the decoded key in key
 * (NUL bytes kept, key->len counts them) and the value's bytes s[*v0, *v1)
 * (validated), 0 after the closing '}' (*pos past it), -1 on malformed JSON
 * (*pos at the offending byte, *what what was expected). */
int json_object_next(const char *s, size_t n, size_t *pos, int *first, sbuf *key, size_t *v0, size_t *v1,
                     const char **what);

/* json_object_next up to the member's value: 1 with the key and *pos at the
 * value's first byte, for a caller that reads the value itself (and then
 * sets *pos past it); 0 and -1 as json_object_next. */
int json_object_key(const char *s, size_t n, size_t *pos, int *first, sbuf *key, const char **what);

/* json_skip_value for a value depth levels inside the outermost (a member's
 * value of a top-level object: 1), so the limit on nesting counts from the
 * line's start. */
int json_skip_nested(const char *s, size_t n, size_t *pos, const char **what, int depth);

/* The string value of the first member named key (NUL-terminated, without
 * NULs) of the object s[0, n), decoded into out (reset first) with its
 * length, so a "\u0000" stays a byte of it (cJSON's C string would end
 * there). 1 when found, 0 when there is no such member or it is not a
 * string, -1 on malformed JSON. */
int json_member_string(const char *s, size_t n, const char *key, sbuf *out);

/* Appends the valid JSON value s[0, n) without insignificant whitespace;
 * numbers are copied as written (a 64-bit integer stays exact) and strings
 * are decoded and escaped again (NUL as \u0000, so nothing is cut). -1 with
 * *what on a malformed string. */
int json_compact(sbuf *out, const char *s, size_t n, const char **what);

/* Skips whitespace; returns new pos. */
size_t json_ws(const char *s, size_t n, size_t pos);

#endif
