/* progress.h - progress reporting on stderr.
 *
 * On a TTY: a redrawn bar with count, rate and ETA (colour unless NO_COLOR is
 * set). Not a TTY: a plain line every BLALM_PROGRESS_SECONDS (default 10).
 * Quiet: nothing. Library code never prints; cmd_* code owns a progress. */
#ifndef BLALM_PROGRESS_H
#define BLALM_PROGRESS_H

#include <stdint.h>

typedef enum { PROG_COUNT, PROG_BYTES } prog_unit;

typedef struct progress progress;
/* total = 0 when unknown. */
progress *prog_start(const char *label, uint64_t total, prog_unit unit, int quiet);
void prog_set_total(progress *p, uint64_t total);
void prog_update(progress *p, uint64_t done);      /* cheap; rate-limited drawing */
void prog_add(progress *p, uint64_t delta);
/* Clears the bar and frees; prints nothing else. */
void prog_end(progress *p);

#endif
