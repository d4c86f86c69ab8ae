/* sighold.h - holding off the interrupting signals over a short critical
 * section (renaming a set of files into place), process-wide.
 *
 * Blocking them with pthread_sigmask covers the calling thread only; a
 * signal sent to the process is then delivered to any other thread that does
 * not block it (OpenBLAS starts worker threads when the library loads), and
 * its default action ends the whole process in the middle of the section.
 * sig_hold_begin instead installs, for SIGINT, SIGTERM, SIGHUP and SIGQUIT
 * (those not ignored), a handler that only records the signal; sig_hold_end
 * puts the earlier actions back and raises the first signal recorded, so the
 * process still ends as that signal would have ended it (exit status
 * 128 + sig), just after the section. Sections may nest or overlap across
 * threads: the last sig_hold_end restores and re-raises. */
#ifndef BLALM_SIGHOLD_H
#define BLALM_SIGHOLD_H

void sig_hold_begin(void);
void sig_hold_end(void);

/* A long loop that stops cleanly on SIGTERM or SIGINT (train's steps,
 * distill score's files): sig_stop_install queries each signal's action
 * first and installs handler only over one not ignored (nohup, a shell
 * script's background job: an ignored signal stays ignored, with no moment
 * where handler would act on it), with SA_RESETHAND | SA_RESTART: the first
 * signal runs handler (which only records it), the same signal again ends
 * the process at once as without it (SA_RESETHAND resets only the signal
 * delivered: SIGINT then SIGTERM runs handler twice), and a write is not
 * cut short.
 * sig_stop_restore puts the saved actions back. Not nested. */
#include <signal.h>
typedef struct {
    struct sigaction old[2];   /* SIGTERM, SIGINT */
} sig_stop_saved;
void sig_stop_install(sig_stop_saved *s, void (*handler)(int));
void sig_stop_restore(const sig_stop_saved *s);
/* "SIGINT", "SIGTERM" (the signals sig_stop_install catches), else "a signal":
 * for the messages that say what stopped a run. */
const char *sig_stop_name(int sig);

#endif
