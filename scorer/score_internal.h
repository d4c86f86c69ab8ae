/* score_internal.h - shared by scorer/schedule.c (the request window) and
 * scorer/score_run.c (files, markers, shards); not a public header. */
#ifndef BLALM_SCORER_SCORE_INTERNAL_H
#define BLALM_SCORER_SCORE_INTERNAL_H

#include "lib/attr.h"
#include "lib/docs.h"
#include "lib/sbuf.h"
#include "scorer/llm.h"
#include "scorer/score.h"

/* A document on its way to the attribute file:
 *   EMPTY -> READY                    unselected, cached, dry run, guard hit
 *   EMPTY -> SEND -> WAIT -> SYNC -> READY    sent, answered, made durable
 *   EMPTY -> FOLLOW -> READY          same key as an earlier slot in flight
 *   WAIT -> READY                     refused (400): an error line */
/* Refusals with the same error before any answer that stop the run. */
#define SCORE_SAME_REFUSALS 8

typedef enum { S_EMPTY, S_READY, S_SEND, S_WAIT, S_FOLLOW, S_SYNC } slot_state;

typedef struct score_slot {
    slot_state st;
    char *id;
    size_t id_len;
    uint8_t key[32];
    char text_sha[65];
    uint64_t est;
    sbuf body;        /* request body while S_SEND */
    sbuf line;        /* the edu_llm object when S_READY */
    char *rec;        /* cache record while S_SYNC */
    uint64_t ticket;  /* its cache batch: READY once that batch is fdatasync'd */
} score_slot;

/* The window: slots [head, next) of a ring of W are in use; documents enter
 * at next and leave, in order, at head. */
typedef struct score_sched {
    const score_opts *o;
    const llm_params *params;
    const llm_template *tpl;
    llm_cache *cache;           /* NULL: dry run without a cache */
    llm_client *client;         /* NULL: dry run */
    score_counts *n;
    score_progress_fn progress;
    void *progress_arg;
    score_slot *ring;
    uint64_t W, head, next;
    uint64_t reserved_tokens;   /* estimated prompt tokens of requests in flight */
    uint64_t syncing;           /* slots in S_SYNC */
    uint8_t (*dry_keys)[32];    /* --dry-run: the keys counted (open addressing; all-zero = free) */
    size_t dry_cap, dry_n;
} score_sched;

/* Allocates the ring (window W); -1 when out of memory. */
int sched_init(score_sched *S, uint64_t W, blalm_err *e);
void sched_free(score_sched *S);
/* Room for another document in the window? */
int sched_has_room(const score_sched *S);
/* No document in the window? */
int sched_empty(const score_sched *S);
/* 1 when text[0..n) is empty or only whitespace as the word counter sees it
 * (Python's str.split: U+00A0, U+3000, ... too): nothing to send. */
int score_text_blank(const char *text, size_t n);
/* Takes one document: unselected, answered by the cache, following a slot
 * with the same key, stopped by a guard, or queued to send. */
int sched_fill(score_sched *S, const blalm_doc *d, int selected, sbuf *prompt, blalm_err *e);
/* Writes the ready slots at the head, in document order (w NULL: dry run). */
int sched_flush(score_sched *S, attr_writer *w, blalm_err *e);
/* Sends what it may, collects answers, promotes durable ones; waits up to a
 * while when more_input is 0 (the window is full or the file read). On a
 * failure it drains the answers already on their way into the cache, then
 * returns -1. */
/* SIGTERM/SIGINT: nothing more is sent; the requests on the wire are
 * waited for (each within --timeout) and their answers made durable. */
void sched_stop(score_sched *S, sbuf *scratch);
int sched_step(score_sched *S, int more_input, sbuf *scratch, blalm_err *e);

#endif
