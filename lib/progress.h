/* progress.h - progress reporting on stderr.
 *
 * On a TTY: a redrawn bar with count, rate and ETA (colour unless the display
 * says not). Not a TTY, or a terminal that cannot redraw a line (display.plain,
 * TERM=dumb): a plain line every display.interval_s seconds.
 * Quiet: nothing. Library code never prints and never reads the environment:
 * stages report through a progress_fn, and the command (pipeline/) draws. */
#ifndef BLALM_PROGRESS_H
#define BLALM_PROGRESS_H

#include <stdint.h>

/* How a stage reports progress: `done` of `total` (0 = unknown) units of the
 * phase named `what` (e.g. "dedup signatures"), first (0, total, what) when
 * the phase starts; done only grows within a phase. Called from one thread
 * at a time. */
typedef void (*progress_fn)(void *arg, uint64_t done, uint64_t total, const char *what);

typedef enum { PROG_COUNT, PROG_BYTES } prog_unit;

/* How bars are drawn; pipeline/ fills it from NO_COLOR, TERM and
 * BLALM_PROGRESS_SECONDS (env_prog_display). */
typedef struct prog_display {
    int quiet;           /* draw nothing */
    int color;           /* bold label on a TTY */
    int plain;           /* a terminal without cursor control (TERM=dumb):
                            plain lines, as when stderr is not a TTY */
    double interval_s;   /* seconds between plain lines when stderr is not a TTY; <= 0 = 10 */
} prog_display;

typedef struct progress progress;
/* total = 0 when unknown. */
progress *prog_open(const char *label, uint64_t total, prog_unit unit, const prog_display *d);
/* prog_open with the environment's display: defined in pipeline/env.c, for
 * pipeline/ code only (library code takes a progress_fn instead). */
progress *prog_start(const char *label, uint64_t total, prog_unit unit, int quiet);
void prog_set_total(progress *p, uint64_t total);
void prog_update(progress *p, uint64_t done);      /* cheap; rate-limited drawing */
void prog_add(progress *p, uint64_t delta);
/* Before a message line on stderr: erases a bar drawn on a TTY (else the
 * message would be glued to the bar's end), which the next update draws
 * again. Nothing otherwise. */
void prog_clear(progress *p);
/* Clears the bar and frees; prints nothing else. */
void prog_end(progress *p);

/* A progress_fn that draws a stage's reports: one bar per phase, labelled
 * with its `what`; a new `what` ends the previous bar. A phase's first report
 * with done = 0 opens the bar (its clock starts) without drawing, so stages
 * report (0, total, what) when a phase starts. Pass the relay as the
 * callback's arg; prog_relay_end clears the last bar. */
typedef struct prog_relay {
    prog_display display;
    prog_unit unit;
    progress *bar;
    char what[64];
} prog_relay;
void prog_relay_fn(void *arg, uint64_t done, uint64_t total, const char *what);
void prog_relay_end(prog_relay *r);

#endif
