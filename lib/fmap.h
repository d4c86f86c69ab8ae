/* fmap.h - read-only mappings of files that end the process with a message
 * when the file shrinks under them.
 *
 * Touching a page of a mapping past the end of its file raises SIGBUS, whose
 * default action kills the process with no word (exit status 135). That
 * happens when another process truncates or rewrites in place a file blalm
 * has mapped: a corpus being verified, a token shard being trained on. Every
 * file mapping goes through fmap_map, which records the range and the path;
 * a SIGBUS inside a recorded range prints
 *   blalm: error: PATH: byte K: the file shrank while it was read (N bytes
 *   when opened, now M); another process truncated or rewrote it in place
 * and exits with status 1 ("PATH: byte K: could not be read (an I/O
 * error? ...)" when the file has not shrunk: a failing disk or network file
 * system; the temporary files a command had open are left,
 * as after a kill, and removed by its next run). A SIGBUS anywhere else
 * goes to the handler installed before (Open MPI's, say) or takes the
 * default action. Safe from several threads. */
#ifndef BLALM_FMAP_H
#define BLALM_FMAP_H

#include <stddef.h>

/* mmap(NULL, len, PROT_READ, flags, fd, 0) with the range recorded under
 * path; len > 0. Returns MAP_FAILED with errno set on failure (ENOMEM when
 * the record cannot be made; nothing stays mapped then). */
void *fmap_map(int fd, size_t len, int flags, const char *path);
/* Forgets the range, then munmap. */
int fmap_unmap(void *p, size_t len);

#endif
