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
 * (owned by the join, valid until the next call; NULL only for a set of
 * attrj_raw_only), 0 = end, -1 = error. */
int attrj_next(attr_join *j, blalm_doc *d, cJSON **sets, blalm_err *e);
/* The line of attribute file i that gave sets[i] at the last attrj_next
 * (valid until the next call), for readers that need its exact bytes (cJSON
 * ends strings at a \u0000 and holds numbers as doubles), with the file's
 * path and the line's number for messages. */
const char *attrj_raw(const attr_join *j, int i, size_t *len, const char **path, uint64_t *lineno);
/* For a reader of attrj_raw alone: attrj_next leaves sets[i] NULL and
 * builds no cJSON tree of file i's lines (a quarter of audit --export's
 * time); it still checks each line's id (a line without a string id fails
 * as a parsed one does). The caller checks the rest of the line. */
void attrj_raw_only(attr_join *j, int i);
void attrj_close(attr_join *j);

/* ---- attribute records: what each attribute file was made from ----------
 *
 * Beside <attrs>/<set>/<stem>.jsonl.zst its writer puts <stem>.record.json:
 *   {"set": S, "document": {"path": REL, "size": N, "mtime_ns": N, "xxh3": HEX},
 *    "documents": N, "complete": true|false, "config": C, "command": CMD}
 * C names the settings that shaped the values (e.g. a hash of tag's settings
 * for that set) and CMD the command that makes the file again: the writer's
 * options that shape the values, shell-quoted (sb_shell_opt), without the
 * folders (a reader's fix_args adds them) and without secrets. So a reader
 * can refuse a set that is incomplete, mixes configurations or was made from
 * a document file that has changed since, and say what to rerun. */
typedef struct doc_identity {
    uint64_t size;
    int64_t mtime_ns;
    uint64_t xxh3;       /* of the whole file's bytes */
} doc_identity;
int doc_identity_of(const char *path, doc_identity *id, blalm_err *e);
/* <stem>.record.json for <stem>.jsonl.zst */
void attr_record_path(const char *attr_path, char *out, size_t cap);
/* Atomic; call after the attribute file is committed. */
int attr_record_write(const char *attr_path, const char *set, const char *doc_rel,
                      const doc_identity *id, uint64_t ndocs, int complete, const char *config,
                      const char *command, blalm_err *e);
/* 1 = the attribute file and a complete record made from a document file with
 * this identity (same size and content hash) and this config exist; 0 = not. */
int attr_record_current(const char *attr_path, const doc_identity *id, const char *config);
/* When the record of attr_path names config old_config, rewrites it naming
 * new_config and command instead, everything else kept (the document's
 * identity as recorded: nothing is read but the record). 1 = rewritten,
 * 0 = no such record, -1 = error. For a new form of the same settings. */
int attr_record_relabel(const char *attr_path, const char *old_config, const char *new_config,
                        const char *command, blalm_err *e);

/* The record's document count when the record is complete, names config
 * and was made from a document file of doc_path's current size and mtime
 * (a stat, nothing hashed); -1 otherwise. A hint (a progress bar's total),
 * not proof: attr_record_current decides what is done. */
int64_t attr_record_documents_hint(const char *attr_path, const char *doc_path, const char *config);

/* 1 = the attribute file has a record, made from a document file with
 * another identity (size or content hash) than id: the file changed since
 * (stale); 0 = it has no record or one made from this document file. */
int attr_record_stale(const char *attr_path, const doc_identity *id);

/* Checks, before a reader joins them, that each of sets is usable for every
 * document file: every file has the set's attribute file with a complete
 * record (a set with no record at all, e.g. made by hand, is accepted as
 * unrecorded), every record was made from the document file as it is now
 * (ids[i], NULL = compute) and one config made the whole set. Otherwise -1
 * with a message naming the set, the files and the command to rerun
 * (fix_args, e.g. "--work W", is appended to it). allow_partial:
 * ATTR_PARTIAL_ALLOW accepts sets with missing or incomplete files (the only
 * exception allowed); ATTR_PARTIAL_OFFER refuses them and the message offers
 * the caller's --allow-partial; ATTR_PARTIAL_REFUSE refuses them (the caller
 * has no such option, so the message names none).
 * summary (may be NULL) receives a JSON array describing each set:
 *   [{"set": S, "files": N, "missing": N, "incomplete": N, "recorded": bool,
 *     "config": C}, ...] */
enum { ATTR_PARTIAL_REFUSE = 0, ATTR_PARTIAL_ALLOW = 1, ATTR_PARTIAL_OFFER = 2 };
/* The fix_args of a rerun, shell-quoted, appended to out: "--work WORK"
 * when work is not NULL, else "--docs DOCS --out ATTRS". */
void attr_fix_args(sbuf *out, const char *work, const char *docs, const char *attrs);
int attr_sets_check(const char *attrs_dir, const doc_file *files, size_t nfiles,
                    const char *const *sets, int nsets, int allow_partial,
                    const char *fix_args, sbuf *summary, int *partial, blalm_err *e);

#endif
