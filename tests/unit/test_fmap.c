/* File mappings that report a file shrinking under them (lib/fmap.h). Each
 * case runs in a child process, which maps a file, has it truncated, and
 * touches a page past the new end: the child must print the message and
 * exit 1, not die of SIGBUS. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fmap.h"
#include "test.h"

/* Runs fn in a child with stderr sent to a pipe; returns the wait status
 * and the child's stderr in out. */
static int in_child(void (*fn)(const char *), const char *arg, char *out, size_t cap)
{
    int p[2];
    if (pipe(p) != 0) return -1;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        dup2(p[1], 2);
        fn(arg);
        _exit(0);
    }
    close(p[1]);
    size_t n = 0;
    ssize_t r;
    while (n + 1 < cap && (r = read(p[0], out + n, cap - 1 - n)) > 0) n += (size_t)r;
    out[n] = 0;
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    return st;
}

static void make_file(const char *path, size_t n)
{
    FILE *f = fopen(path, "w");
    for (size_t i = 0; i < n; i++) fputc('a' + (int)(i % 26), f);
    fclose(f);
}

static volatile char sink;

/* maps 3 pages, truncates to one page, reads the last page */
static void touch_after_truncate(const char *path)
{
    long pg = sysconf(_SC_PAGESIZE);
    int fd = open(path, O_RDONLY);
    char *m = fmap_map(fd, (size_t)(3 * pg), MAP_PRIVATE, path);
    close(fd);
    if (m == MAP_FAILED) _exit(2);
    sink = m[0];
    if (truncate(path, pg) != 0) _exit(3);
    sink = m[2 * pg + 5];
    _exit(4); /* not reached */
}

/* several mappings, some unmapped again; the fault is in the last one */
static void many_then_touch(const char *path)
{
    long pg = sysconf(_SC_PAGESIZE);
    int fd = open(path, O_RDONLY);
    enum { N = 600 }; /* more than one block of records */
    static char *maps[N];
    for (int i = 0; i < N; i++) {
        maps[i] = fmap_map(fd, (size_t)(3 * pg), MAP_PRIVATE, i == N - 1 ? path : "other");
        if (maps[i] == MAP_FAILED) _exit(2);
    }
    for (int i = 0; i < N - 1; i += 2) fmap_unmap(maps[i], (size_t)(3 * pg));
    close(fd);
    if (truncate(path, pg) != 0) _exit(3);
    sink = maps[N - 1][2 * pg];
    _exit(4);
}

/* a mapping forgotten by fmap_unmap is not reported; a SIGBUS it did not
 * cause keeps its default action (set first: under the sanitizer build the
 * action before ours is ASan's own report, which fmap rightly chains to) */
static void foreign_sigbus(const char *path)
{
    long pg = sysconf(_SC_PAGESIZE);
    signal(SIGBUS, SIG_DFL);
    int fd = open(path, O_RDONLY);
    char *m = fmap_map(fd, (size_t)pg, MAP_PRIVATE, path);
    if (m == MAP_FAILED) _exit(2);
    fmap_unmap(m, (size_t)pg);
    char *raw = mmap(NULL, (size_t)(3 * pg), PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (truncate(path, pg) != 0) _exit(3);
    sink = raw[2 * pg];
    _exit(4);
}

static void killed_with_sigbus(const char *path)
{
    long pg = sysconf(_SC_PAGESIZE);
    signal(SIGBUS, SIG_DFL);
    int fd = open(path, O_RDONLY);
    char *m = fmap_map(fd, (size_t)pg, MAP_PRIVATE, path);
    close(fd);
    if (m == MAP_FAILED) _exit(2);
    raise(SIGBUS);
    _exit(4);
}

static void prior_handler(int sig)
{
    (void)sig;
    static const char m[] = "prior handler\n";
    if (write(2, m, sizeof m - 1) < 0) _exit(6);
    _exit(5);
}

/* a SIGBUS outside every mapping goes to the handler that was there before */
static void chains_to_prior(const char *path)
{
    long pg = sysconf(_SC_PAGESIZE);
    signal(SIGBUS, prior_handler);
    int fd = open(path, O_RDONLY);
    char *m = fmap_map(fd, (size_t)pg, MAP_PRIVATE, path); /* installs ours */
    if (m == MAP_FAILED) _exit(2);
    char *raw = mmap(NULL, (size_t)(3 * pg), PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (truncate(path, pg) != 0) _exit(3);
    sink = raw[2 * pg];
    _exit(4);
}

TEST(fmap_other_sigbus_chains_to_prior_handler)
{
    char path[1024], err[4096];
    long pg = sysconf(_SC_PAGESIZE);
    snprintf(path, sizeof path, "%s/prior.bin", test_tmpdir());
    make_file(path, (size_t)(3 * pg));
    int st = in_child(chains_to_prior, path, err, sizeof err);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 5, "child status %d, stderr: %s", st, err);
    CHECK_EQ_STR(err, "prior handler\n");
}

TEST(fmap_shrunk_file_gives_message_and_exit_1)
{
    char path[1024], err[4096];
    long pg = sysconf(_SC_PAGESIZE);
    snprintf(path, sizeof path, "%s/data.bin", test_tmpdir());
    make_file(path, (size_t)(3 * pg));
    int st = in_child(touch_after_truncate, path, err, sizeof err);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 1, "child status %d (signal %d), stderr: %s", st,
              WIFSIGNALED(st) ? WTERMSIG(st) : 0, err);
    char want[2048];
    snprintf(want, sizeof want,
             "blalm: error: %s: byte %ld: the file shrank while it was read (%ld bytes when opened, now %ld); "
             "another process truncated or rewrote it in place\n",
             path, 2 * pg + 5, 3 * pg, pg);
    CHECK_EQ_STR(err, want);
}

TEST(fmap_many_mappings)
{
    char path[1024], err[4096];
    long pg = sysconf(_SC_PAGESIZE);
    snprintf(path, sizeof path, "%s/many.bin", test_tmpdir());
    make_file(path, (size_t)(3 * pg));
    int st = in_child(many_then_touch, path, err, sizeof err);
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 1, "child status %d, stderr: %s", st, err);
    CHECK_MSG(strstr(err, path) && strstr(err, "the file shrank while it was read"), "stderr: %s", err);
}

TEST(fmap_other_sigbus_keeps_default)
{
    char path[1024], err[4096];
    long pg = sysconf(_SC_PAGESIZE);
    snprintf(path, sizeof path, "%s/raw.bin", test_tmpdir());
    make_file(path, (size_t)(3 * pg));
    int st = in_child(foreign_sigbus, path, err, sizeof err);
    CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS, "child status %d, stderr: %s", st, err);
    CHECK_MSG(!strstr(err, "shrank"), "stderr: %s", err);
    make_file(path, (size_t)pg);
    st = in_child(killed_with_sigbus, path, err, sizeof err);
    CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS, "kill(SIGBUS): child status %d, stderr: %s", st, err);
}

TEST(fmap_reads_and_unmaps)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/ok.bin", test_tmpdir());
    make_file(path, 100);
    int fd = open(path, O_RDONLY);
    char *m = fmap_map(fd, 100, MAP_PRIVATE, path);
    close(fd);
    CHECK(m != MAP_FAILED);
    CHECK(m[0] == 'a' && m[99] == 'a' + 99 % 26);
    CHECK_EQ_INT(fmap_unmap(m, 100), 0);
    errno = 0;
    CHECK(fmap_map(-1, 100, MAP_PRIVATE, path) == MAP_FAILED);
    CHECK_EQ_INT(errno, EBADF);
}

int main(void)
{
    RUN(fmap_shrunk_file_gives_message_and_exit_1);
    RUN(fmap_many_mappings);
    RUN(fmap_other_sigbus_keeps_default);
    RUN(fmap_other_sigbus_chains_to_prior_handler);
    RUN(fmap_reads_and_unmaps);
    return test_summary();
}
