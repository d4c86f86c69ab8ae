/* tag.h - the tag stage: readability and Gopher/C4/FineWeb quality of every
 * document, written as attribute sets line-aligned with the documents.
 *
 * For each document file (docs_walk order; this shard's share) and each set
 * of the chosen taggers, tag_run writes <attrs>/<set>/<stem>.jsonl.zst, one
 * line {"id":...,"<set>":{...}} per document, then the attribute record
 * beside it (lib/attr.h; its config "tag <set> settings <hash>" of that
 * set's own settings, its command `blalm tag --taggers T ...`), then the
 * completion marker (lib/marker.h)
 *     <state>/tag/<set>/<rel path>.done
 * whose key is the document file's identity (path under the docs root, size,
 * xxh3) and every setting that changes that set's values: the set's
 * thresholds, and for readability the hyphenation patterns' and the
 * pronouncing dictionary's identities and the syllable method. A rerun skips
 * a file and set whose marker is DONE and whose record is current; anything
 * else (no marker, a marker from other settings or another version of the
 * document file, a killed run's outputs without a marker) is measured again.
 * Tagging measures; it never drops a document. */
#ifndef BLALM_FILTERS_TAG_H
#define BLALM_FILTERS_TAG_H

#include <stddef.h>
#include <stdint.h>

#include "filters/quality.h"
#include "lib/err.h"
#include "lib/progress.h"
#include "lib/shard.h"

/* Taggers (--taggers) and the attribute sets they write. */
enum { TAG_READABILITY = 1, TAG_GOPHER = 2, TAG_C4 = 4, TAG_FINEWEB = 8, TAG_ALL = 15 };
enum {
    TAG_SET_READABILITY,
    TAG_SET_GOPHER_QUALITY,
    TAG_SET_GOPHER_REPETITION,
    TAG_SET_C4,
    TAG_SET_FINEWEB,
    TAG_NSETS
};
/* "readability", "gopher_quality", ...; NULL out of range. */
const char *tag_set_name(int set);
/* "readability,gopher,c4,fineweb" (any subset, comma-separated) -> TAG_* mask.
 * -1 with the unknown name copied into bad (empty list: bad is ""). */
int tag_parse_taggers(const char *list, int *mask, char *bad, size_t bad_cap);

/* The tag config file: {"readability": {"hyphen_dic", "cmudict"},
 * "gopher_quality": {...}, "gopher_repetition": {...}, "c4": {...},
 * "fineweb": {...}} with datatrove's parameter names, or the same inside a
 * "tag" member. JSON null disables a Gopher rule (-1). gopher_repetition
 * takes datatrove's top_n_grams / dup_n_grams ([[n, frac], ...], n 2-4 /
 * 5-10, increasing; an n not listed is off) or one key per n (top_2_gram,
 * duplicated_5_n_grams, ...), not both; gopher_quality takes stop_words (a
 * list of strings). Unknown keys are errors naming the file and the key. */
typedef struct tag_config {
    quality_config quality;
    const char *hyphen_dic;   /* readability.hyphen_dic, or NULL */
    const char *cmudict;      /* readability.cmudict, or NULL */
    const char **stop_words;  /* gopher_quality.stop_words, or NULL (datatrove's) */
    size_t n_stop_words;
    int taggers;              /* "taggers" (TAG_* mask), or 0 when the file names none */
    void *json_;              /* owns the strings above */
} tag_config;
/* path NULL: datatrove's defaults. A run config's "tag" member, when present,
 * is read instead of the whole file, so the run config itself is a tag
 * config; its "taggers" (an array of tagger names, as in the run config)
 * is read too. On error the config is still freeable. */
int tag_config_load(const char *path, tag_config *c, blalm_err *e);
void tag_config_free(tag_config *c);

typedef struct tag_opts {
    const char *docs;          /* document root */
    const char *attrs;         /* attribute root */
    const char *state;         /* WORK/state for completion markers; NULL = none
                                  (every file is measured, no markers written) */
    const char *stats;         /* run statistics file to write; NULL = none */
    int taggers;               /* TAG_* mask, not 0 */
    const quality_config *quality;  /* NULL = datatrove's defaults */
    const char *const *stop_words;  /* Gopher's stop words; NULL = datatrove's */
    size_t n_stop_words;
    const char *hyphen_dic;    /* hyphenation patterns; NULL = READABILITY_DEFAULT_DIC */
    const char *cmudict;       /* CMU Pronouncing Dictionary; NULL = syllables by pyphen alone */
    const char *cache_dir;     /* where its parsed table is cached; NULL = no cache */
    const char *config_path;   /* the config file, named in the records' command; may be NULL */
    shard_spec shard;          /* this worker's document files (0/1 = all) */
    int force;                 /* measure files whose markers are DONE too */
} tag_opts;

typedef struct tag_counts {
    /* this run's own work: files measured, files skipped as complete, and
     * what the measured files held */
    uint64_t files, files_skipped, docs, bytes, invalid_utf8;
    uint64_t pass[TAG_NSETS];  /* documents that pass each set (readability: all) */
    double seconds;
    /* the whole set: every file this run owns, those complete before
     * included (their counts kept in their completion markers) */
    uint64_t set_files, set_docs, set_invalid_utf8;
    uint64_t set_pass[TAG_NSETS];
    char syllables[32];        /* "cmudict+pyphen", "pyphen", or "" without readability */
    uint64_t cmudict_words;
} tag_counts;

/* What a run would do with one document file's set (doc_rel: its path under
 * o->docs): MARKER_DONE (skipped), MARKER_ABSENT or MARKER_STALE (measured
 * again; why says what changed), or -1. Needs o->state. */
int tag_unit_status(const tag_opts *o, const char *doc_rel, int set, char *why, size_t why_cap,
                    blalm_err *e);

/* What a run would do with every document file under o->docs (a plan:
 * nothing is written): its file sets (a file's set of one tagger) complete
 * with these settings, without a marker, or with one of other inputs or
 * settings (redone; why names the first, its set and file). Needs o->state. */
typedef struct tag_plan_counts {
    uint64_t files, done, absent, stale;
    char why[600];
} tag_plan_counts;
int tag_plan(const tag_opts *o, tag_plan_counts *p, blalm_err *e);

/* The config that the records of an earlier blalm (before each set's records
 * named that set's own settings) hold for a run with these options: "tag
 * settings <hash>", one hash of every setting of the run and of whether
 * readability was chosen. A run accepts such a record where its marker is
 * done, as that blalm did, and rewrites it in the set's own form; exposed
 * for tests. */
int tag_legacy_config(const tag_opts *o, char *out, size_t cap, blalm_err *e);

/* Runs the stage. on_progress (may be NULL) gets the bytes of text measured so
 * far (first 0), phase "tag", total unknown. 0, or -1 with a message naming the file;
 * a failed file leaves its earlier outputs and markers as they were. */
int tag_run(const tag_opts *o, tag_counts *c, progress_fn on_progress, void *progress_arg,
            blalm_err *e);

#endif
