/* sighold.c - see sighold.h. */
#include "lib/sighold.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>

static const int held[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
#define NHELD ((int)(sizeof held / sizeof held[0]))

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int depth;
static struct sigaction saved[NHELD];
static int installed[NHELD];
static volatile sig_atomic_t pending;
static atomic_int in_record; /* handlers running now, on any thread */

static void record(int sig)
{
    atomic_fetch_add(&in_record, 1);
    if (!pending) pending = sig;
    atomic_fetch_sub(&in_record, 1);
}

void sig_hold_begin(void)
{
    pthread_mutex_lock(&mu);
    if (depth++ == 0) {
        pending = 0;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = record;
        sa.sa_flags = SA_RESTART;
        sigfillset(&sa.sa_mask);
        for (int i = 0; i < NHELD; i++) {
            installed[i] = 0;
            if (sigaction(held[i], NULL, &saved[i]) != 0) continue;
            if (!(saved[i].sa_flags & SA_SIGINFO) && saved[i].sa_handler == SIG_IGN) continue;
            installed[i] = sigaction(held[i], &sa, NULL) == 0;
        }
    }
    pthread_mutex_unlock(&mu);
}

void sig_hold_end(void)
{
    int sig = 0;
    pthread_mutex_lock(&mu);
    if (depth > 0 && --depth == 0) {
        for (int i = 0; i < NHELD; i++)
            if (installed[i]) sigaction(held[i], &saved[i], NULL);
        /* a handler that another thread entered before the restore has
         * still to record its signal */
        while (atomic_load(&in_record) > 0) sched_yield();
        sig = pending;
        pending = 0;
    }
    pthread_mutex_unlock(&mu);
    if (sig) raise(sig);
}

void sig_stop_install(sig_stop_saved *s, void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    static const int sigs[2] = {SIGTERM, SIGINT};
    for (int i = 0; i < 2; i++) {
        sigaction(sigs[i], NULL, &s->old[i]);
        if (s->old[i].sa_handler != SIG_IGN) sigaction(sigs[i], &sa, NULL);
    }
}

void sig_stop_restore(const sig_stop_saved *s)
{
    sigaction(SIGTERM, &s->old[0], NULL);
    sigaction(SIGINT, &s->old[1], NULL);
}

const char *sig_stop_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "a signal";
}
