/* report.h - `blalm report`: one self-contained HTML file (inline SVG, no
 * script, nothing fetched) that shows what a job did: the funnel of documents
 * and words through each rule, LLM score and readability histograms per
 * source, dedup cluster sizes, corpus words per source against the budget,
 * training and dev loss, DynMod alpha, zero-shot results across checkpoints,
 * and example kept and dropped documents with the rule that decided each.
 *
 * Reads WORK/docs, WORK/attributes/<set>/..., WORK/state/assemble/decisions,
 * WORK/stats/<stage>.json; corpora (when not NULL) OUT/<corpus>/manifest.json;
 * run (when not NULL) RUN/log.jsonl and RUN/checkpoints/NAME.eval.json and NAME.eval_fast.json.
 * A section whose data is absent says so. */
#ifndef BLALM_REPORT_H
#define BLALM_REPORT_H

#include "lib/err.h"

struct report_opts {
    const char *work;     /* work directory (required) */
    const char *corpora;  /* assemble's --out, or NULL */
    const char *run;      /* train's --out, or NULL */
    const char *out;      /* the HTML file to write */
    blalm_err *err;       /* receives the message on failure; may be NULL */
};

/* Writes o->out atomically (temporary + rename; nothing appears on error).
 * 0 on success; -1 with *o->err naming the file (and line) that could not be
 * read or was not what was expected. Prints nothing. */
int report_build(const struct report_opts *o);

#endif
