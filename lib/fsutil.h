/* fsutil.h - files and folders: mkdir -p, whole-file reads, atomic writes,
 * locks and temporary names. The WORK layout is in work.h. */
#ifndef BLALM_FSUTIL_H
#define BLALM_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

/* mkdir -p; a component that is a file, or a symbolic link to nothing, is
 * an error naming it ("P exists and is not a directory", "P is a dangling
 * symbolic link to T"). */
int mkdir_p(const char *path, blalm_err *e);
/* The folders a mkdir_p_made made itself (mkdir returned 0), in the order
 * made, each path as it was passed to mkdir. */
typedef struct {
    char **dir;
    int n;
} made_dirs;
/* mkdir_p that records in m the folders it made, so that a command that
 * fails later removes exactly those (made_dirs_undo), never a folder that
 * was there before, whatever the path's spelling ("new/../old/sub" made
 * "new" alone). On failure it removes what it made itself, says so (as
 * mkdir_p), and returns -1; m is left empty then. */
int mkdir_p_made(const char *path, made_dirs *m, blalm_err *e);
/* Removes the folders in m (rmdir, last made first: one that is no longer
 * empty stays), and empties m. */
void made_dirs_undo(made_dirs *m);
/* Forgets m's list, removing nothing. */
void made_dirs_free(made_dirs *m);
/* Checks a folder the user named for output (WORK, --out) before a command
 * does anything: each component of path that exists must be a folder (links
 * followed), with mkdir_p's messages naming the path as given; nothing is
 * created. Without it the first failing call named a marker or temporary
 * file under path ("removing WORK/state/tag/...: Not a directory"). */
int check_out_dir(const char *path, blalm_err *e);
/* Refuses a path that names a folder not there and then leaves it by ".."
 * ("docs/new/../../m.bin"): mkdir_p would make that folder (inside a tree
 * the path only passes through) before the write. Nothing is created. */
int check_no_pass_through(const char *path, blalm_err *e);
/* mkdir -p of the folder that will hold path. */
int mkdir_parent(const char *path, blalm_err *e);
/* 1 when path is relative and no component is empty, "." or "..": it stays
 * inside the folder it is joined to and names each file one way only
 * ("web..2024.train" is fine; "a/../b", "./a" and "a//b" are not). */
int path_is_plain_relative(const char *path);
/* path made absolute with every symbolic link resolved, also where its last
 * components do not exist yet (an output that mkdir -p will make): walked a
 * component at one time from the working folder or "/", "." skipped, ".."
 * the parent of what the path has reached so far (the resolved folder, or,
 * past the last existing component, the name before it: "new/../docs" is
 * "docs", as mkdir -p then open would make it), and each component that
 * exists resolved through realpath (a link named after a missing one counts).
 * 0, or -1 when it does not fit in cap or the working folder is unknown. */
int path_resolve_lenient(const char *path, char *out, size_t cap);
/* 1 when the resolved path a is the resolved folder b or lies inside it
 * ("/a/bc" is not inside "/a/b"); both as path_resolve_lenient gives them. */
int path_is_within(const char *a, const char *b);
int file_exists(const char *path);
int is_dir(const char *path);   /* exists and is a directory (links followed) */
int read_file(const char *path, char **data, size_t *len, blalm_err *e); /* NUL-terminated */
/* 0 when path is absent or a regular file; else -1 with "PATH: a folder,
 * expected a file to write" or "PATH exists and is not a regular file (a
 * symbolic link to T / a FIFO / a character device / ...); refusing to
 * replace it": a rename over it would replace the link or the device node. */
int check_replaceable(const char *path, blalm_err *e);
/* Writes data to path atomically (temp file, fsync, rename); first removes
 * the temporary files of path that killed runs left (remove_stale_temps).
 * Refuses a path check_replaceable refuses. */
int write_file_atomic(const char *path, const void *data, size_t len, blalm_err *e);
/* Removes path (absent is fine) and fsyncs its folder, so that a crash after
 * it cannot bring the file back beside what replaces it. */
int unlink_durable(const char *path, blalm_err *e);
/* Temporary name used for path: "<dir>/.<base>.tmp.<pid>". */
void temp_name_for(const char *path, char *out, size_t cap);
/* Removes the temporary files of path that killed runs left: those named as
 * temp_name_for names them whose process no longer exists (another live
 * process's, or this one's, stay), and "..NAME.tmp.PID.tmp.PID", the
 * temporary of a temporary that file sets of earlier versions made. Writers
 * call it before writing path. Each folder is read once per process (its
 * hidden names kept), so a process writing N files into one folder reads it
 * once, not N times; remove_stale_temps_forget drops what was read (tests
 * that plant temporaries in a folder this process has read). */
void remove_stale_temps(const char *path);
void remove_stale_temps_forget(void);
/* Files written together into one folder (a tokenizer's three, an
 * export's four): each under its temporary name, and renamed in only when
 * all are complete, in the order of names (the last one last), so a failure
 * leaves an older set whole rather than new files beside old ones. */
#define FILE_SET_MAX 4
typedef struct file_set {
    int n;
    char fin[FILE_SET_MAX][4096], tmp[FILE_SET_MAX][4200];
    int may_exist[FILE_SET_MAX];   /* tmp[i] may be there (also half-written) */
} file_set;
/* mkdir -p dir; refuses a folder, a symbolic link or any other file that is
 * not a regular file (check_replaceable) at any of the names (before anything is
 * written); removes the temporaries killed runs left. */
int file_set_begin(file_set *fs, const char *dir, const char *const *names, int n, blalm_err *e);
/* Where file i is to be written; from now on it is removed if the set fails.
 * Write it in place (open, write, fsync: file_set_write), not with
 * write_file_atomic, whose own temporary of the temporary a kill would leave. */
const char *file_set_tmp(file_set *fs, int i);
/* Writes file i's bytes to its temporary name and fsyncs it. */
int file_set_write(file_set *fs, int i, const void *data, size_t len, blalm_err *e);
/* ok: renames every file in, in order; then, and when !ok, removes the
 * temporaries left. 0, or -1 with e set (when ok). */
int file_set_end(file_set *fs, int ok, blalm_err *e);

/* The pid in a temporary name ".NAME.tmp.PID" (temp_name_for's form), or 0
 * when entry is not one. name NULL: any NAME. suffix non-NULL: the PID may
 * also be followed by suffix and anything after it (".NAME.tmp.PID.old.PID"). */
long temp_name_pid(const char *entry, const char *name, const char *suffix);

/* 1 when pid names a process that no longer exists, or a zombie (ended,
 * not reaped). */
int pid_is_dead(long pid);
/* 1 when dir holds any entry (besides . and ..); 0 when it is empty; -1
 * when it cannot be read. */
int dir_has_entries(const char *dir);

/* Takes an exclusive lock on DIR/.lock (a POSIX record lock on an empty
 * file; released when the process ends or lock_release is called). Returns a
 * descriptor, or -1 with a message naming the holder's pid when another
 * process holds it (what: e.g. "blalm assemble --out"). */
int lock_dir(const char *dir, const char *what, blalm_err *e);
void lock_release(int fd);
/* Write-locks bytes [start, start + len) of fd (a POSIX record lock; len 0:
 * to the end of any file size), without waiting: 0 when taken; 1 when
 * another process holds a lock there (*pid its pid and *held_at where its
 * range starts, 0 and start when the kernel no longer says); -1 with errno
 * on another failure. lock_dir takes its lock with it. */
int lock_range(int fd, uint64_t start, uint64_t len, long *pid, uint64_t *held_at);


double now_seconds(void);  /* monotonic */

#endif
