/* marker.h - completion markers: one resume scheme for every stage.
 *
 * A unit of work (a document file for tag and score, one dedup stage of one
 * shard, a corpus for tokenize, a token set for train, ...) is complete when
 *     <state>/<stage>/<unit>.done
 * exists and records the same key as the work about to be done. The key is
 * the sha256 of
 *   - the stage name,
 *   - every input's identity: its name (a path relative to something stable,
 *     never an absolute path), its size and the xxh3 of its bytes,
 *   - every setting that changes the output, as name = value,
 * in the order the caller adds them (callers add them in a fixed order). A
 * file's mtime is recorded for people but not keyed: a file touched without
 * change is still done; a file whose bytes changed is not, whatever its
 * mtime. The marker file is JSON:
 *   {"version": 1, "stage": S, "unit": U, "key": HEX,
 *    "inputs": [{"name": N, "size": B, "mtime_ns": T, "xxh3": HEX}, ...],
 *    "settings": [[NAME, VALUE], ...], "result": {...}}
 * Stages commit a marker last, atomically, after every output of the unit
 * has been renamed into place; so a marker proves its outputs complete, and
 * a killed run leaves at most outputs without a marker, which a rerun redoes.
 */
#ifndef BLALM_MARKER_H
#define BLALM_MARKER_H

#include <stddef.h>
#include <stdint.h>
#include "err.h"

typedef struct marker_key marker_key;

/* NULL when out of memory. */
marker_key *marker_key_new(const char *stage);
void marker_key_free(marker_key *k);
/* Reads path whole to hash it; name is what the marker records. */
int marker_key_file(marker_key *k, const char *name, const char *path, blalm_err *e);
/* An input whose identity the caller already has (e.g. attr.h's doc_identity). */
void marker_key_identity(marker_key *k, const char *name, uint64_t size, int64_t mtime_ns,
                         uint64_t xxh3);
void marker_key_setting(marker_key *k, const char *name, const char *value);
void marker_key_settingf(marker_key *k, const char *name, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The key so far, 64 hex digits (valid until the next call on k). */
const char *marker_key_hex(marker_key *k);

enum { MARKER_ABSENT = 0, MARKER_DONE = 1, MARKER_STALE = 2 };
/* MARKER_DONE when the unit's marker holds k's key; MARKER_ABSENT when there
 * is no marker; MARKER_STALE when there is one made from other inputs or
 * settings (or one that cannot be read), with the first difference in why
 * (e.g. "input fineweb/a.parquet changed: 1200 -> 1300 bytes", "setting
 * min_words was 50, now 40"). -1 only for a unit name that is not allowed
 * (empty, absolute, or with a "." or ".." component). */
int marker_check(const char *state_dir, const char *stage, const char *unit, marker_key *k,
                 char *why, size_t why_cap, blalm_err *e);
/* Writes the marker atomically. result_json (NULL = {}) is stored as
 * "result"; it must be one JSON value. */
int marker_commit(const char *state_dir, const char *stage, const char *unit, marker_key *k,
                  const char *result_json, blalm_err *e);
/* Removes the unit's marker; a missing one is not an error. */
int marker_remove(const char *state_dir, const char *stage, const char *unit, blalm_err *e);
/* The stored "result" of a DONE marker as JSON text (malloc'd, caller frees),
 * or NULL with a message. */
char *marker_result(const char *state_dir, const char *stage, const char *unit, blalm_err *e);
/* As marker_result, telling the cases apart: 0 with *out (malloc'd);
 * MARKER_NO_RESULT (*out NULL, e "<path>: no \"result\"") when the marker
 * was read and holds no "result" (one hand-made or of an older blalm);
 * -1 (*out NULL) when it cannot be read (missing, not JSON, a bad unit). */
#define MARKER_NO_RESULT 1
int marker_result_get(const char *state_dir, const char *stage, const char *unit, char **out, blalm_err *e);
/* <state>/<stage>/<unit>.done */
int marker_path_of(const char *state_dir, const char *stage, const char *unit, char *out,
                   size_t cap, blalm_err *e);

#endif
