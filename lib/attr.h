/* attr.h - attribute files (dolma's model, DESIGN.md §3).
 *
 * WORK/attributes/<set>/<source>/<path>.jsonl.zst holds one line per
 * document of the matching document file, in the same order:
 *   {"id": <the document's id>, "<set>": {...}}
 * The id is repeated so that a misaligned file is detected. */
#ifndef BLALM_ATTR_H
#define BLALM_ATTR_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "err.h"
#include "docs.h"
#include "sbuf.h"

typedef struct attr_writer attr_writer;
/* Atomic: nothing appears at path before attrw_commit(). */
attr_writer *attrw_open(const char *path, const char *set, blalm_err *e);
/* obj_json: the set's object, e.g. {"words":12,...} */
int attrw_write(attr_writer *w, const char *id, size_t id_len,
                const char *obj_json, size_t obj_len, blalm_err *e);
int attrw_commit(attr_writer *w, blalm_err *e);
void attrw_abort(attr_writer *w);

/* Reads a document file and any number of attribute files in lockstep.
 * Fails (naming the attribute file and line) when an id differs from the
 * document's or one file has more or fewer lines than the other. */
typedef struct attr_join attr_join;
attr_join *attrj_open(const char *doc_path, const doc_opts *opts,
                      const char *const *attr_paths, const char *const *sets, int nsets,
                      blalm_err *e);
/* 1 = *d holds the document and sets[i] the parsed "<set>" object of file i
 * (owned by the join, valid until the next call; NULL never), 0 = end, -1 = error. */
int attrj_next(attr_join *j, blalm_doc *d, cJSON **sets, blalm_err *e);
void attrj_close(attr_join *j);

#endif
