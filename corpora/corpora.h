/* corpora.h - word-budgeted BabyLM corpora: assembly, verification, audit.
 *
 * assemble: reads WORK/docs and whatever attribute sets exist under
 * WORK/attributes, applies the selection rules, ranks the eligible pool,
 * keeps at most one document per id / exact group / near-duplicate cluster,
 * and fills each corpus's word budget with whole documents. Output follows
 * the BabyLM layout (DESIGN.md §3):
 *   OUT/<corpus>/train/<source>.train, dev/<source>.dev, manifest.json,
 *   documents.jsonl.zst
 * Every document's fate is recorded line-aligned with its document file in
 * WORK/state/assemble/decisions/<rel stem>.jsonl.zst ({"id", "assemble": {...}})
 * so that `audit` can explain it.
 *
 * Memory: one fixed-size record per eligible document, sorted in memory up to
 * a limit and on disk (sorted runs + merge) beyond it. */
#ifndef BLALM_CORPORA_H
#define BLALM_CORPORA_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include "lib/err.h"
#include "lib/progress.h"

#define CORPORA_MAX 8         /* corpora per config */
#define CORPORA_MAX_RANK 4    /* ranking keys */
#define CORPORA_MAX_RULES 64
#define CORPORA_MAX_SOURCES 256

#define TRACK_STRICT_WORDS 100000000ULL
#define TRACK_STRICT_SMALL_WORDS 10000000ULL

/* Word definition written into every manifest. */
#define CORPORA_WORD_DEFINITION \
    "Python str.split(): a word is a maximal run of code points that are not " \
    "Unicode whitespace (Py_UNICODE_ISSPACE), U+001C-001F and U+0085 included; " \
    "not wc -w's word, which needs a printable character and does not split at U+001C-001F"

typedef struct corpus_spec {
    char name[64];
    uint64_t budget;        /* training words, hard limit */
    uint64_t dev_words;     /* held-out words, outside the budget */
    char track[16];         /* "strict", "strict-small" or "" (no track limit) */
    int parent;             /* index of the corpus this is a subset of, or -1 */
} corpus_spec;

typedef struct rank_key {
    char set[64], key[64];
    int desc;               /* 1 = higher first */
} rank_key;

typedef struct source_quota {
    char name[128];
    double weight;          /* 0 = none */
    uint64_t max_words;     /* 0 = none */
} source_quota;

/* The resolved config; rules as source strings (parsed at run time). */
typedef struct corpora_config {
    corpus_spec corpora[CORPORA_MAX];
    int ncorpora;
    char *rules[CORPORA_MAX_RULES];
    int nrules;
    rank_key ranking[CORPORA_MAX_RANK];
    int nranking;
    source_quota sources[CORPORA_MAX_SOURCES];
    int nsources;
    uint64_t seed;
    int dedup;              /* one document per id / exact group / cluster */
    int cut_last;           /* cut the last document to fill the budget exactly */
    int defaults;           /* 1 when built without a config file */
    char text_field[64], id_field[64];
} corpora_config;

/* The attribute sets present in a work directory and their known keys. */
typedef struct attr_schema attr_schema;
attr_schema *schema_scan(const char *attrs_dir, blalm_err *e);
void schema_free(attr_schema *s);
int schema_has_set(const attr_schema *s, const char *set);
int schema_nsets(const attr_schema *s);
const char *schema_set(const attr_schema *s, int i);
/* rule_known_fn-compatible: 1 known, 0 unknown key, -1 unknown set. Known
 * keys: the registry's fixed keys and those of the first lines of the set's
 * first file; any other key is looked up in every line of every file of the
 * set (stopping where it is found), so a key present only in later rows or
 * files is known. A read error there answers 0 and is kept: schema_error. */
int schema_known(void *schema, const char *set, const char *key);
/* The message of a read error schema_known met (NULL: none). */
const char *schema_error(const attr_schema *s);

/* Loads path (NULL = defaults over the sets in schema). track_limit != NULL
 * ("strict"/"strict-small") caps every corpus. Validates everything,
 * including rules and ranking keys against the schema; schema NULL (with a
 * path): their syntax only, for a config checked before its attribute sets
 * exist. */
int corpora_config_load(corpora_config *c, const char *path, const attr_schema *schema,
                        const char *track_limit, blalm_err *e);
void corpora_config_free(corpora_config *c);
/* Canonical JSON of the resolved config (caller frees) and its sha256. */
char *corpora_config_json(const corpora_config *c);
uint64_t track_words(const char *track);   /* 0 for unknown/none */
/* 1 when corpus k is a subset with dev_words whose parent has none: its dev
 * documents come from the parent's dev split, so it gets none. */
int corpora_subset_dev_orphan(const corpora_config *c, int k);

typedef struct assemble_opts {
    const char *work, *docs, *attrs, *out;
    const corpora_config *config;
    size_t mem_bytes;       /* sort memory before spilling (default 256 MiB) */
    int quiet;
    int allow_partial;      /* use attribute sets missing files (recorded in the manifest) */
    progress_fn progress;   /* bytes of text done, phases "assemble: scan" and
                               "assemble: write" (total: the pool's bytes); may be NULL */
    void *progress_arg;
    long test_slow_write_us;  /* test hook: sleep per document written (0 = none) */
} assemble_opts;

typedef struct corpus_result {
    char name[64];
    uint64_t budget, words, docs, dev_budget, dev_words, dev_docs;
    int pool_short;         /* eligible pool ran out before the budget filled */
    char dev_empty[512];    /* dev_words but an empty dev split: why (also in the manifest's note); else "" */
} corpus_result;

typedef struct assemble_result {
    uint64_t pool_docs, pool_bytes, pool_words, eligible_docs, eligible_words;
    corpus_result corpora[CORPORA_MAX];
    int ncorpora;
    double seconds;
    long peak_rss_kb;
    int spilled_runs;
} assemble_result;

int corpora_assemble(const assemble_opts *o, assemble_result *r, blalm_err *e);

/* verify: problems are appended to *problems (one per line, caller frees).
 * Returns the number of problems, or -1 when the corpus cannot be read. */
typedef struct verify_result {
    uint64_t words, dev_words, docs, dev_docs, budget, files;
    int partial;            /* assembled with --allow-partial (manifest "attributes") */
    char track[16];         /* the BabyLM track checked; "" when none was */
    int track_by_name;      /* ... implied by the corpus name (1: the manifest records none) or the folder's (2: stricter) */
    char note[1200];        /* what was not checked, and why ("" when all was), e.g. a subset's
                               parent when its manifest predates subset_of_index_sha256, or
                               texts repeated in a split when it predates one_text_per_split */
} verify_result;
int corpora_verify(const char *dir, const char *track, verify_result *r, char **problems,
                   blalm_err *e);
/* For the stages that read a corpus (tokenize, train): 0 when dir has no
 * manifest.json (not built by blalm: BabyLM's own text folders) or verify
 * finds no problem in it; otherwise -1, naming the number of problems and
 * the first. Tokens of a tampered corpus are not of the corpus its manifest
 * describes. */
int corpora_check_readable(const char *dir, blalm_err *e);

/* The kind of a fate as assemble writes it in its decisions ("train (cut to
 * ...)", "budget full (rank ...)", ...): train (a cut document too), dev,
 * excluded, duplicate, budget_full, dev_budget_full, quota_full or
 * not_in_parent; NULL for a text of no known kind. audit --export's
 * outcome.<corpus> and the report's funnel group by it. */
const char *corpora_fate_outcome(const char *fate_text);

/* The hash by which assemble groups dedup's exact_group or cluster_id (key)
 * of one document: from raw, its attribute line (len rawlen; NULL: set's
 * value), where cJSON loses what tells two values apart (two integers past
 * 2^53 read as one double). -1 with e naming path:lineno for a line that is
 * not strict JSON. tmp: scratch. Seeds: 0xe0e0e0e0 exact_group, 0xc1c1c1c1
 * cluster_id (assemble's). */
struct sbuf;
int corpora_dedup_value_hash(const cJSON *set, const char *raw, size_t rawlen, const char *path,
                             uint64_t lineno, const char *key, uint64_t seed, struct sbuf *tmp, uint64_t *out,
                             blalm_err *e);

/* audit */
typedef struct audit_opts {
    const char *work, *docs, *attrs;
    const char *id;          /* audit one id (prints to out) */
    const char *export_path; /* or export every document (.jsonl.zst / .parquet) */
    int text_chars;          /* start of text to show (default 300) */
    int quiet;
    progress_fn progress;    /* documents exported, phase "audit: export"; may be NULL */
    void *progress_arg;
} audit_opts;
/* Returns the number of documents found/exported, -1 on error. */
long corpora_audit(const audit_opts *o, FILE *out, blalm_err *e);

/* One entry of assemble's run.json "attributes" ({set, config}) against the
 * sets now (attr_sets_check's summary, an array of {set, config, ...}): 1 when
 * the set was remade with another config since assemble (*then and *now name
 * both, "none" for none), 0 when the same or the set is gone (a removed set
 * shows no values, so none stale), -1 when the entry has no set name. audit
 * refuses a changed set; the report warns of it. */
int corpora_run_set_changed(const cJSON *was, const cJSON *summary, const char **then, const char **now);

/* An object's members sorted by name, to look many up (cJSON's look-up by
 * name walks the members: one per document file of run.json's "documents"
 * was quadratic). malloc'd (free it), NULL when out of memory; *n members. */
const cJSON **corpora_members_sorted(const cJSON *obj, size_t *n);
/* The member called name in such an array, or NULL. */
const cJSON *corpora_member_find(const cJSON **sorted, size_t n, const char *name);

long peak_rss_kb(void);

#endif
