/* fmap.c - see fmap.h. The records are slots in a list of blocks that only
 * grows; a slot is free when its base is 0. Writers take a mutex; the signal
 * handler reads the bases with atomic loads and takes no lock. */
#include "lib/fmap.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define SLOTS 256

typedef struct slot {
    _Atomic uintptr_t base;
    size_t len;
    char *path;
} slot;

typedef struct block {
    slot s[SLOTS];
    struct block *_Atomic next;
} block;

static block first;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void put(const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = write(2, s, n);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

static void put_u(unsigned long long v)
{
    char b[24];
    int i = (int)sizeof b - 1;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    put(b + i);
}

static struct sigaction old; /* the SIGBUS action before ours */

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
    uintptr_t a = (uintptr_t)si->si_addr;
    if (si->si_code > 0) /* a fault, not kill(2) */
        for (block *b = &first; b; b = atomic_load(&b->next))
            for (int i = 0; i < SLOTS; i++) {
                uintptr_t base = atomic_load(&b->s[i].base);
                if (!base || a < base || a - base >= b->s[i].len) continue;
                const char *path = b->s[i].path;
                uintptr_t off = a - base;
                struct stat st;
                int have = stat(path, &st) == 0;
                put("blalm: error: ");
                put(path);
                put(": byte ");
                put_u((unsigned long long)off);
                if (have && (uintptr_t)st.st_size > off) {
                    /* the byte is still there: the page could not be read */
                    put(": could not be read (an I/O error? the file is ");
                    put_u((unsigned long long)st.st_size);
                    put(" bytes, as when opened)\n");
                    _exit(1);
                }
                put(": the file shrank while it was read (");
                put_u((unsigned long long)b->s[i].len);
                put(" bytes when opened");
                if (have) {
                    put(", now ");
                    put_u((unsigned long long)st.st_size);
                }
                put("); another process truncated or rewrote it in place\n");
                _exit(1);
            }
    /* not ours: what was there before (Open MPI installs a handler that
     * prints a backtrace), else the default action */
    if (old.sa_flags & SA_SIGINFO) {
        if (old.sa_sigaction) {
            old.sa_sigaction(sig, si, uc);
            return;
        }
    } else if (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN) {
        old.sa_handler(sig);
        return;
    }
    signal(sig, SIG_DFL);
    if (si->si_code <= 0) raise(sig);
}

static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &old);
}

void *fmap_map(int fd, size_t len, int flags, const char *path)
{
    pthread_once(&once, install);
    char *copy = strdup(path);
    if (!copy) {
        errno = ENOMEM;
        return MAP_FAILED;
    }
    void *p = mmap(NULL, len, PROT_READ, flags, fd, 0);
    if (p == MAP_FAILED) {
        int err = errno;
        free(copy);
        errno = err;
        return MAP_FAILED;
    }
    pthread_mutex_lock(&mu);
    slot *free_slot = NULL;
    block *b = &first, *last = &first;
    for (; b && !free_slot; last = b, b = atomic_load(&b->next))
        for (int i = 0; i < SLOTS; i++)
            if (!atomic_load(&b->s[i].base)) {
                free_slot = &b->s[i];
                break;
            }
    if (!free_slot) {
        block *nb = calloc(1, sizeof *nb);
        if (nb) {
            atomic_store(&last->next, nb);
            free_slot = &nb->s[0];
        }
    }
    if (free_slot) {
        free_slot->len = len;
        free_slot->path = copy;
        atomic_store(&free_slot->base, (uintptr_t)p); /* published last */
    }
    pthread_mutex_unlock(&mu);
    if (!free_slot) {
        munmap(p, len);
        free(copy);
        errno = ENOMEM;
        return MAP_FAILED;
    }
    return p;
}

int fmap_unmap(void *p, size_t len)
{
    char *path = NULL;
    pthread_mutex_lock(&mu);
    for (block *b = &first; b && !path; b = atomic_load(&b->next))
        for (int i = 0; i < SLOTS; i++)
            if (atomic_load(&b->s[i].base) == (uintptr_t)p) {
                atomic_store(&b->s[i].base, 0);
                path = b->s[i].path;
                b->s[i].path = NULL;
                break;
            }
    pthread_mutex_unlock(&mu);
    free(path);
    return munmap(p, len);
}
