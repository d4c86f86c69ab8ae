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

#endif
