#include "fsutil.h"
#include "hash.h"
#include "hashmap.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* 1 when p is a folder (links followed), 0 when nothing is there, -1 with a
 * message naming p when something else is: a file, or a symbolic link to
 * nothing (mkdir would say "File exists", and a path under it "No such
 * file or directory", naming neither the link nor where it points). */
static int folder_at(const char *p, blalm_err *e)
{
    struct stat st;
    if (stat(p, &st) == 0) {
        if (S_ISDIR(st.st_mode)) return 1;
        return err_set(e, "%s exists and is not a directory", p);
    }
    int err = errno;
    if (err == ENOENT && lstat(p, &st) == 0 && S_ISLNK(st.st_mode)) {
        char to[4096];
        ssize_t k = readlink(p, to, sizeof to - 1);
        to[k < 0 ? 0 : k] = 0;
        return err_set(e, "%s is a dangling symbolic link to %s", p, to);
    }
    if (err == ENOENT) return 0;
    errno = err;
    return err_errno(e, "%s", p);
}

/* Calls fn on each prefix of path that ends a component ("a", "a/b", ...,
 * path itself) until fn returns non-zero; returns that value (< 0: an error
 * fn set, > 0: stop early), or 0. */
static int each_prefix(const char *path, int (*fn)(const char *prefix, void *arg, blalm_err *e), void *arg,
                       blalm_err *e)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0) return 0;
    if (n >= sizeof buf) return err_set(e, "path too long: %.80s...", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        char c = buf[i];
        buf[i] = 0;
        int r = fn(buf, arg, e);
        if (r) return r;
        buf[i] = c;
    }
    return 0;
}

/* mkdir of one prefix; with arg, a made_dirs that records it if made */
static int make_one(const char *prefix, void *arg, blalm_err *e)
{
    made_dirs *m = arg;
    if (mkdir(prefix, 0755) == 0) {
        if (!m) return 0;
        char **d = realloc(m->dir, (size_t)(m->n + 1) * sizeof *d);
        char *s = strdup(prefix);
        if (d) m->dir = d;
        if (!d || !s) {
            free(s);
            rmdir(prefix);
            return err_set(e, "out of memory");
        }
        m->dir[m->n++] = s;
        return 0;
    }
    if (errno != EEXIST) return err_errno(e, "mkdir %s", prefix);
    return folder_at(prefix, e) < 0 ? -1 : 0;   /* there, but a file or a dangling link */
}

int mkdir_p(const char *path, blalm_err *e)
{
    return each_prefix(path, make_one, NULL, e);
}

int mkdir_p_made(const char *path, made_dirs *m, blalm_err *e)
{
    m->dir = NULL, m->n = 0;
    if (each_prefix(path, make_one, m, e) < 0) {
        made_dirs_undo(m);
        return -1;
    }
    return 0;
}

void made_dirs_undo(made_dirs *m)
{
    for (int i = m->n; i-- > 0;) rmdir(m->dir[i]);
    made_dirs_free(m);
}

void made_dirs_free(made_dirs *m)
{
    for (int i = 0; i < m->n; i++) free(m->dir[i]);
    free(m->dir);
    m->dir = NULL, m->n = 0;
}

/* a folder: go on; nothing there: stop, the rest is made as needed */
static int check_one(const char *prefix, void *arg, blalm_err *e)
{
    int st = folder_at(prefix, e);
    return st < 0 ? -1 : st == 0 ? 1 : 0;
}

int check_out_dir(const char *path, blalm_err *e)
{
    return each_prefix(path, check_one, NULL, e) < 0 ? -1 : 0;
}

int check_no_pass_through(const char *path, blalm_err *e)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf) return err_set(e, "path too long: %.80s...", path);
    memcpy(buf, path, n + 1);
    size_t missing = 0;   /* the length of the first prefix not there, 0: none yet */
    for (size_t i = 0, at = 0; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != 0) continue;
        size_t k = i - at;
        if (missing && k == 2 && buf[at] == '.' && buf[at + 1] == '.') {
            size_t left = at;   /* the folder this '..' leaves: the path before it */
            while (left > 1 && path[left - 1] == '/') left--;
            return err_set(e, "%s: %.*s does not exist, and the '..' after it would leave it again: it would be "
                              "made only to be passed through; give the path without it",
                           path, (int)left, path);
        }
        if (!missing && k && i) {
            char c = buf[i];
            buf[i] = 0;
            struct stat st;
            if (stat(buf, &st) != 0) missing = i;
            buf[i] = c;
        }
        at = i + 1;
    }
    return 0;
}

int mkdir_parent(const char *path, blalm_err *e)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    char dir[4096];
    size_t n = (size_t)(slash - path);
    if (n >= sizeof dir) return err_set(e, "path too long: %.80s...", path);
    memcpy(dir, path, n);
    dir[n] = 0;
    return mkdir_p(dir, e);
}

int path_resolve_lenient(const char *path, char *out, size_t cap)
{
    char cur[PATH_MAX], r[PATH_MAX];
    size_t n;
    if (path[0] == '/') cur[0] = 0, n = 0;   /* "" stands for "/" */
    else if (!getcwd(cur, sizeof cur)) return -1;
    else n = strlen(cur) == 1 ? 0 : strlen(cur);
    cur[n] = 0;
    int missing = 0;   /* cur does not exist: its components are taken as written */
    const char *p = path;
    while (*p) {
        while (*p == '/') p++;
        size_t k = strcspn(p, "/");
        if (!k) break;
        if (k == 1 && p[0] == '.') {
        } else if (k == 2 && p[0] == '.' && p[1] == '.') {
            char *sl = strrchr(cur, '/');   /* cur is resolved: its parent is lexical */
            n = sl ? (size_t)(sl - cur) : 0;
            cur[n] = 0;
            if (missing) missing = access(n ? cur : "/", F_OK) != 0;   /* back at the resolved part */
        } else {
            if (n + 1 + k >= sizeof cur) return -1;
            cur[n++] = '/';
            memcpy(cur + n, p, k);
            n += k;
            cur[n] = 0;
            if (!missing) {
                if (realpath(cur, r)) {
                    size_t m = strlen(r);
                    if (m >= sizeof cur) return -1;
                    memcpy(cur, r, m + 1);
                    n = m == 1 ? 0 : m;   /* "/" */
                    cur[n] = 0;
                } else {
                    missing = 1;   /* absent, or a link to nothing: the rest as written */
                }
            }
        }
        p += k;
    }
    if (n + 1 >= cap || cap < 2) return -1;
    if (!n) snprintf(out, cap, "/");
    else memcpy(out, cur, n + 1);
    return 0;
}

int path_is_within(const char *a, const char *b)
{
    size_t n = strlen(b);
    if (n == 1 && b[0] == '/') return 1;
    return !strncmp(a, b, n) && (a[n] == 0 || a[n] == '/');
}

int path_is_plain_relative(const char *path)
{
    if (!path || !*path || path[0] == '/') return 0;
    const char *p = path;
    while (*p) {
        const char *q = strchr(p, '/');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) return 0;
        p += n;
        if (*p == '/') p++;
    }
    return 1;
}

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int read_file(const char *path, char **data, size_t *len, blalm_err *e)
{
    FILE *f = fopen(path, "rb");
    if (!f) return err_errno(e, "%s", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return err_set(e, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return err_set(e, "%s: out of memory", path);
            }
            buf = p;
        }
        size_t k = fread(buf + n, 1, cap - n - 1, f);
        n += k;
        if (k == 0) break;
    }
    int bad = ferror(f), err = errno;
    fclose(f);
    if (bad) {
        free(buf);
        if (err == EISDIR) return err_set(e, "%s: a folder, expected a file", path);
        return err_set(e, "%s: read error: %s", path, strerror(err));
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}

void temp_name_for(const char *path, char *out, size_t cap)
{
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(out, cap, "%.*s/.%s.tmp.%ld", (int)(slash - path), path, slash + 1, (long)getpid());
    else
        snprintf(out, cap, ".%s.tmp.%ld", path, (long)getpid());
}

long temp_name_pid(const char *entry, const char *name, const char *suffix)
{
    if (entry[0] != '.') return 0;
    size_t nl = name ? strlen(name) : 0;
    if (name && (strncmp(entry + 1, name, nl) || strncmp(entry + 1 + nl, ".tmp.", 5))) return 0;
    /* with no name, NAME itself may hold ".tmp.": try each occurrence */
    for (const char *t = entry + 1 + nl; (t = strstr(t, ".tmp.")) != NULL; t += 5) {
        const char *d = t + 5, *end = d;
        while (*end >= '0' && *end <= '9') end++;
        if (end > d && end - d <= 9 && (!*end || (suffix && !strncmp(end, suffix, strlen(suffix))))) {
            long pid = strtol(d, NULL, 10);
            if (pid > 0) return pid;
        }
        if (name) break;
    }
    return 0;
}

/* The pid of ".<.NAME.tmp.P>.tmp.Q", a temporary of NAME's temporary that
 * the file sets of earlier versions made (each member went through
 * write_file_atomic under the set's temporary name), when P and Q are the
 * same pid (one process wrote both); else 0. */
static long double_temp_pid(const char *entry, const char *name)
{
    if (entry[0] != '.') return 0;
    long pid = temp_name_pid(entry + 1, name, ".tmp.");
    if (!pid) return 0;
    char want[4200];
    snprintf(want, sizeof want, "..%s.tmp.%ld.tmp.%ld", name, pid, pid);
    return strcmp(entry, want) ? 0 : pid;
}

/* Each folder's hidden names that could be temporaries, read once per
 * process and kept: reading the folder again for every file written into it
 * was quadratic in its files (assemble's decisions, tag's attribute sets and
 * markers: 10,000 document files in one source folder cost about 15 s of
 * readdir per stage, 30,000 about two minutes). A temporary left by a
 * process that dies after this process read the folder is removed by the
 * next run that writes there, as one left while no run wrote there always
 * was. */
typedef struct {
    char *dir;
    char **names;   /* NULL once removed */
    size_t n;
} temp_dir;
static pthread_mutex_t temp_dirs_mu = PTHREAD_MUTEX_INITIALIZER;
static temp_dir *temp_dirs;
static size_t n_temp_dirs;
static u64map temp_dir_index;   /* xxh3 of the folder -> index + 1 */

/* The folder's entry, read now if new; NULL when it cannot be read (not
 * kept: it may appear later), out of memory, or its hash is another kept
 * folder's (*uncached then set: the caller reads the folder itself). Called
 * with the lock held. */
static temp_dir *temp_dir_get(const char *dir, int *uncached)
{
    uint64_t h = xxh3_64(dir, strlen(dir));
    const uint64_t *at = u64map_get(&temp_dir_index, h);
    *uncached = 0;
    if (at) {
        temp_dir *t = &temp_dirs[*at - 1];
        if (!strcmp(t->dir, dir)) return t;
        *uncached = 1;
        return NULL;
    }
    DIR *d = opendir(dir);
    if (!d) return NULL;
    temp_dir t = {strdup(dir), NULL, 0};
    size_t cap = 0;
    struct dirent *de;
    while (t.dir && (de = readdir(d)) != NULL) {
        if (de->d_name[0] != '.' || !strstr(de->d_name, ".tmp.")) continue;
        if (t.n == cap) {
            cap = cap ? cap * 2 : 8;
            char **v = realloc(t.names, cap * sizeof *v);
            if (!v) break;
            t.names = v;
        }
        if (t.n < cap) t.names[t.n++] = strdup(de->d_name);
    }
    closedir(d);
    temp_dir *v = realloc(temp_dirs, (n_temp_dirs + 1) * sizeof *v);
    if (!t.dir || !v) {   /* out of memory: nothing kept */
        if (v) temp_dirs = v;
        for (size_t i = 0; i < t.n; i++) free(t.names[i]);
        free(t.names);
        free(t.dir);
        *uncached = 1;
        return NULL;
    }
    temp_dirs = v;
    temp_dirs[n_temp_dirs] = t;
    int added;
    *u64map_put(&temp_dir_index, h, 0, &added) = n_temp_dirs + 1;
    return &temp_dirs[n_temp_dirs++];
}

/* One temporary name of the folder: removed when it is base's and its
 * process is gone. 1 when removed. */
static int remove_if_stale(const char *dir, const char *name, const char *base)
{
    long pid = temp_name_pid(name, base, NULL);
    if (!pid) pid = double_temp_pid(name, base);
    if (!pid || pid == (long)getpid() || !pid_is_dead(pid)) return 0;
    char p[8400];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    unlink(p);
    return 1;
}

void remove_stale_temps(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash > path ? slash - path : 1), path);
    else snprintf(dir, sizeof dir, ".");
    pthread_mutex_lock(&temp_dirs_mu);
    int uncached;
    temp_dir *t = temp_dir_get(dir, &uncached);
    for (size_t i = 0; t && i < t->n; i++) {
        if (t->names[i] && remove_if_stale(dir, t->names[i], base)) {
            free(t->names[i]);
            t->names[i] = NULL;
        }
    }
    pthread_mutex_unlock(&temp_dirs_mu);
    if (!uncached) return;
    DIR *d = opendir(dir);   /* the folder read as before, keeping nothing */
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) remove_if_stale(dir, de->d_name, base);
    closedir(d);
}

void remove_stale_temps_forget(void)
{
    pthread_mutex_lock(&temp_dirs_mu);
    for (size_t k = 0; k < n_temp_dirs; k++) {
        for (size_t i = 0; i < temp_dirs[k].n; i++) free(temp_dirs[k].names[i]);
        free(temp_dirs[k].names);
        free(temp_dirs[k].dir);
    }
    free(temp_dirs);
    temp_dirs = NULL;
    n_temp_dirs = 0;
    u64map_free(&temp_dir_index);
    pthread_mutex_unlock(&temp_dirs_mu);
}

int pid_is_dead(long pid)
{
    if (pid <= 0) return 0;
    if (kill((pid_t)pid, 0) < 0) return errno == ESRCH;
    /* A zombie (ended, not yet reaped: killed in a container whose first
     * process is a shell that reaps nothing) writes nothing more. Its state
     * is the field after the ")" that ends the command name in /proc; a
     * process whose main thread ended (pthread_exit) while others run shows
     * Z too, so Z counts only with one thread left (num_threads, field 20:
     * the 18th after the name). */
    char p[64], buf[512];
    snprintf(p, sizeof p, "/proc/%ld/stat", pid);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *c = strrchr(buf, ')');
    if (!c || c[1] != ' ' || (c[2] != 'Z' && c[2] != 'X')) return 0;
    const char *q = c + 2;
    for (int field = 3; field < 20 && q; field++) {
        q = strchr(q, ' ');
        if (q) q++;
    }
    return q && strtol(q, NULL, 10) <= 1;
}

int dir_has_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *de;
    int any = 0;
    while (!any && (de = readdir(d)))
        any = strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    closedir(d);
    return any;
}

static int lock_file_once(const char *p, const char *dir, const char *what, blalm_err *e);

int lock_dir(const char *dir, const char *what, blalm_err *e)
{
    if (mkdir_p(dir, e) < 0) return -1;
    char p[4200];
    snprintf(p, sizeof p, "%s/.lock", dir);
    for (int attempt = 0;; attempt++) {
        int fd = lock_file_once(p, dir, what, e);
        if (fd == -1) return -1;
        /* a holder may remove the lock file (train removes a run folder it
         * made when it refuses to start): a lock taken on the removed file
         * guards nothing, since the next process makes a new one, so the
         * lock counts only while the path still names the locked file */
        struct stat a, b;
        if (fd >= 0 && fstat(fd, &a) == 0 && stat(p, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) return fd;
        if (fd >= 0) close(fd);
        if (attempt == 100) return err_set(e, "%s: the lock file keeps being replaced", p);
        if (mkdir_p(dir, e) < 0) return -1;
    }
}

static int lock_file_once(const char *p, const char *dir, const char *what, blalm_err *e)
{
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) return -2;   /* the folder removed meanwhile: try again */
    if (fd < 0) return err_errno(e, "%s", p);
    /* a POSIX record lock: the kernel tells who holds it (F_GETLK), so the
     * file stays empty and outputs stay byte-identical from run to run */
    long pid;
    uint64_t at;
    int k = lock_range(fd, 0, 0, &pid, &at);
    if (k == 0) return fd;
    if (k == 1)
        err_set(e, "%s: another %s is running here (pid %ld, holding a lock on %s); wait for it "
                   "to end", dir, what, pid, p);
    else
        err_errno(e, "lock %s", p);
    close(fd);
    return -1;
}

int lock_range(int fd, uint64_t start, uint64_t len, long *pid, uint64_t *held_at)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = (off_t)start, .l_len = (off_t)len};
    *pid = 0;
    *held_at = start;
    if (fcntl(fd, F_SETLK, &fl) == 0) return 0;
    if (errno != EACCES && errno != EAGAIN) return -1;
    struct flock who = fl;
    if (fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK) {
        *pid = (long)who.l_pid;
        *held_at = (uint64_t)who.l_start;
    }
    return 1;
}

void lock_release(int fd)
{
    if (fd >= 0) close(fd);   /* closing the descriptor drops the flock */
}

static void fsync_dir_of(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash) snprintf(dir, sizeof dir, ".");
    else snprintf(dir, sizeof dir, "%.*s", (int)(slash > path ? slash - path : 1), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Writes all of data to fd and fsyncs it; a message names path. */
static int write_all_sync(int fd, const char *path, const void *data, size_t len, blalm_err *e)
{
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t k = write(fd, p, left);
        if (k < 0) {
            if (errno == EINTR) continue;
            return err_errno(e, "writing %s", path);
        }
        p += k;
        left -= (size_t)k;
    }
    if (fsync(fd) < 0) return err_errno(e, "%s", path);
    return 0;
}

/* An existing path that is not a regular file (a symbolic link, a FIFO, a
 * device, a socket) is refused: renaming a new file over it would replace the
 * link or the device node itself (as root, --out /dev/stdout replaced
 * /dev/stdout), and a link meant elsewhere would silently stop pointing there. */
int check_replaceable(const char *path, blalm_err *e)
{
    struct stat st;
    /* "f.html/" names a folder: refused before mkdir_parent would make
     * "f.html" (a refused command leaves nothing behind) */
    size_t n = strlen(path);
    if (n && path[n - 1] == '/') return err_set(e, "%s: ends in '/', a folder; expected a file to write", path);
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT || errno == ENOTDIR) return 0;   /* mkdir_parent names a bad folder */
        return err_errno(e, "%s", path);
    }
    if (S_ISREG(st.st_mode)) return 0;
    if (S_ISDIR(st.st_mode)) return err_set(e, "%s: a folder, expected a file to write", path);
    char kind[4400];
    if (S_ISLNK(st.st_mode)) {
        char target[4096];
        ssize_t k = readlink(path, target, sizeof target - 1);
        target[k < 0 ? 0 : k] = 0;
        snprintf(kind, sizeof kind, "a symbolic link to %s", target);
    } else if (S_ISCHR(st.st_mode)) {
        snprintf(kind, sizeof kind, "a character device");
    } else if (S_ISBLK(st.st_mode)) {
        snprintf(kind, sizeof kind, "a block device");
    } else if (S_ISFIFO(st.st_mode)) {
        snprintf(kind, sizeof kind, "a FIFO");
    } else if (S_ISSOCK(st.st_mode)) {
        snprintf(kind, sizeof kind, "a socket");
    } else {
        snprintf(kind, sizeof kind, "of file type %o", (unsigned)(st.st_mode & S_IFMT));
    }
    return err_set(e, "%s exists and is not a regular file (%s); refusing to replace it", path, kind);
}

int write_file_atomic(const char *path, const void *data, size_t len, blalm_err *e)
{
    if (check_replaceable(path, e) < 0) return -1;
    if (mkdir_parent(path, e) < 0) return -1;
    remove_stale_temps(path);   /* a killed run's leftover of this file */
    char tmp[4200];
    temp_name_for(path, tmp, sizeof tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return err_errno(e, "%s: cannot write it (creating its temporary file %s)", path, tmp);
    if (write_all_sync(fd, path, data, len, e) < 0) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) < 0) {
        err_errno(e, "writing %s", path);
        unlink(tmp);
        return -1;
    }
    if (check_replaceable(path, e) < 0) {   /* made meanwhile */
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) < 0) {
        err_errno(e, "rename %s -> %s", tmp, path);
        unlink(tmp);
        return -1;
    }
    fsync_dir_of(path);
    return 0;
}

int unlink_durable(const char *path, blalm_err *e)
{
    if (unlink(path) < 0) {
        if (errno == ENOENT) return 0;
        return err_errno(e, "removing %s", path);
    }
    fsync_dir_of(path);
    return 0;
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int file_set_begin(file_set *fs, const char *dir, const char *const *names, int n, blalm_err *e)
{
    memset(fs, 0, sizeof *fs);
    if (n < 1 || n > FILE_SET_MAX) return err_set(e, "file set of %d files", n);
    for (int i = 0; i < n; i++)   /* every name fits before a folder is made */
        if ((size_t)snprintf(fs->fin[i], sizeof fs->fin[i], "%s/%s", dir, names[i]) >= sizeof fs->fin[i])
            return err_set(e, "path too long: %.80s...", dir);
    if (mkdir_p(dir, e) < 0) return -1;
    for (int i = 0; i < n; i++) {
        if (check_replaceable(fs->fin[i], e) < 0) return -1;
        remove_stale_temps(fs->fin[i]);
        temp_name_for(fs->fin[i], fs->tmp[i], sizeof fs->tmp[i]);
    }
    fs->n = n;
    return 0;
}

const char *file_set_tmp(file_set *fs, int i)
{
    fs->may_exist[i] = 1;
    return fs->tmp[i];
}

int file_set_write(file_set *fs, int i, const void *data, size_t len, blalm_err *e)
{
    /* straight to the set's temporary name: file_set_end renames it in, so
     * write_file_atomic here would add a temporary of the temporary
     * (".<.NAME.tmp.PID>.tmp.PID") that a kill leaves behind */
    const char *tmp = file_set_tmp(fs, i);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return err_errno(e, "%s", tmp);
    int rc = write_all_sync(fd, tmp, data, len, e);
    if (close(fd) < 0 && rc == 0) rc = err_errno(e, "%s", tmp);
    return rc;
}

int file_set_end(file_set *fs, int ok, blalm_err *e)
{
    int rc = ok ? 0 : -1;
    for (int i = 0; rc == 0 && i < fs->n; i++) {
        if (rename(fs->tmp[i], fs->fin[i]) < 0) rc = err_errno(e, "rename %s -> %s", fs->tmp[i], fs->fin[i]);
        else fs->may_exist[i] = 0;
    }
    for (int i = 0; i < fs->n; i++)
        if (fs->may_exist[i]) unlink(fs->tmp[i]);
    return rc;
}
