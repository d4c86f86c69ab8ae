/* err.h - error reporting convention used by every module.
 *
 * Functions that can fail return -1 (or NULL) and write a message into a
 * caller-owned blalm_err. The message names the file, the line or byte
 * offset, and what was expected, e.g.
 *   "data/a.jsonl:17: expected ',' or '}' at column 42".
 * Nothing is printed by library code; only cmd_* functions print. */
#ifndef BLALM_ERR_H
#define BLALM_ERR_H

#include <stddef.h>

#define BLALM_ERR_MAX 1024

typedef struct blalm_err {
    char msg[BLALM_ERR_MAX];
} blalm_err;

#if defined(__GNUC__)
#define BLALM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define BLALM_PRINTF(a, b)
#endif

/* Sets the message (printf-style) and returns -1, so `return err_set(...)`. */
int err_set(blalm_err *e, const char *fmt, ...) BLALM_PRINTF(2, 3);
/* Prepends "prefix: " to an existing message; returns -1. */
int err_prefix(blalm_err *e, const char *fmt, ...) BLALM_PRINTF(2, 3);
/* Sets "what: strerror(errno)"; returns -1. */
int err_errno(blalm_err *e, const char *fmt, ...) BLALM_PRINTF(2, 3);

/* Process-level helpers for cmd_* code: print "blalm: msg" to stderr. */
void print_error(const char *fmt, ...) BLALM_PRINTF(1, 2);
void print_warning(const char *fmt, ...) BLALM_PRINTF(1, 2);

#endif
