/* sbuf.h - growable byte buffer and JSON output helpers.
 *
 * Writers build each output line in an sbuf, then hand it to a file writer.
 * JSON strings are escaped byte-exactly (valid UTF-8 passes through; control
 * characters become \u00XX); numbers print in the shortest form that
 * round-trips, and non-finite numbers print as null. */
#ifndef BLALM_SBUF_H
#define BLALM_SBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct sbuf {
    char *data;
    size_t len, cap;
} sbuf;

void sb_init(sbuf *b);
void sb_free(sbuf *b);
void sb_reset(sbuf *b);                              /* len = 0, keeps memory */
void sb_reserve(sbuf *b, size_t extra);              /* aborts on out-of-memory */
void sb_add(sbuf *b, const void *p, size_t n);
void sb_addc(sbuf *b, char c);
void sb_adds(sbuf *b, const char *s);
void sb_printf(sbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
const char *sb_cstr(sbuf *b);                         /* NUL-terminates (not counted) */

/* JSON values. */
void sb_json_str(sbuf *b, const char *s, size_t n);  /* "..." with escapes */
void sb_json_num(sbuf *b, double v);                 /* shortest round-trip, null if !finite */
/* The text sb_json_num writes for a finite non-integer v (the first of
 * %.15g/%.16g/%.17g that reads back as v): sb_num_ref by snprintf/strtod,
 * sb_num_fast by exact integer arithmetic for 1e-5 <= |v| < 1e15 (0 outside
 * it). Both NUL-terminate and return the length. */
int sb_num_ref(double v, char out[40]);
int sb_num_fast(double v, char out[40]);
void sb_json_int(sbuf *b, int64_t v);
void sb_json_uint(sbuf *b, uint64_t v);
void sb_json_bool(sbuf *b, int v);
/* Object helpers: sb_json_key writes [","]"key": (comma unless first). */
void sb_json_key(sbuf *b, const char *key, int *first);

/* Shell words, for commands that messages and records show to be pasted:
 * sb_shell_word writes s as one word that sh reads back as s: as it is when
 * it is not empty and holds only letters, digits and _ - . / : , = + @ %,
 * else in single quotes (a ' as '\''). sb_shell_opt writes " --name" and,
 * when value is not NULL, " " and value as a shell word. */
void sb_shell_word(sbuf *b, const char *s);
void sb_shell_opt(sbuf *b, const char *name, const char *value);

#endif
