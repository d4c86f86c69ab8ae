/* cmd_tag.c - `blalm tag`: readability and quality measurements for every
 * document, written as attribute files line-aligned with the documents. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "filters/quality.h"
#include "filters/readability.h"
#include "lib/attr.h"
#include "lib/cli.h"
#include "lib/config.h"
#include "lib/docs.h"
#include "lib/err.h"
#include "lib/fsutil.h"
#include "lib/work.h"
#include "lib/hash.h"
#include "lib/progress.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"

BLALM_COMMAND(tag, "measure readability and Gopher/C4/FineWeb quality of every document")

static const char usage[] =
    "usage: blalm tag --work WORK [--taggers LIST] [--docs DIR] [--out DIR]\n"
    "                 [--config FILE] [--cmudict FILE|none] [--shard I/N] [--force]\n"
    "                 [--quiet]\n"
    "       blalm tag --syllables [--cmudict FILE|none] < words.txt\n"
    "\n"
    "Measures every document under WORK/docs (or --docs) and writes, for each\n"
    "document file and attribute set, WORK/attributes/<set>/<file>.jsonl.zst with\n"
    "one line {\"id\":...,\"<set>\":{...}} per document, in document order. Tagging\n"
    "drops nothing; thresholds only decide the recorded pass/reason.\n"
    "\n"
    "taggers (--taggers, comma-separated; default all):\n"
    "  readability  set readability: words, sentences, syllables, letters,\n"
    "               polysyllables, difficult_words, fog_difficult_words,\n"
    "               characters, tokens, flesch_reading_ease,\n"
    "               flesch_kincaid_grade, automated_readability_index,\n"
    "               coleman_liau_index, smog_index, gunning_fog, dale_chall,\n"
    "               invalid_utf8\n"
    "  gopher       sets gopher_quality and gopher_repetition (datatrove's rules)\n"
    "  c4           set c4: datatrove's C4QualityFilter verdict, with and without\n"
    "               the terminal-punctuation rule, fraction of lines/chars kept\n"
    "  fineweb      set fineweb: datatrove's FineWebQualityFilter ratios\n"
    "\n"
    "definitions (readability), as textstat 0.7.11 (\\w: a Unicode letter or number, or _):\n"
    "  core       a token's \\w code points and its apostrophes that precede t/s/d/ve/ll/re\n"
    "             and then a non-\\w (textstat's remove_punctuation), lowercased\n"
    "  word       a whitespace-separated token holding a \\w code point\n"
    "  letters    \\w code points; characters: non-whitespace code points; tokens\n"
    "  syllables  CMUdict first (stressed phonemes of the core's first pronunciation),\n"
    "             else hyphenation points + 1 of the core as pyphen counts them with\n"
    "             hyph_en_US.dic (left 2, right 2)\n"
    "  sentence   textstat's re.findall(r\"\\b[^.!?]+[.!?]*\"): a segment runs from a \\w\n"
    "             to the end of the next run of . ! ?; segments of <= 2 words are no\n"
    "             sentences; a non-empty text has >= 1\n"
    "  difficult  a word not on textstat's easy-word list (New Dale-Chall, no\n"
    "             inflections); fog_difficult_words: those of >= 3 syllables\n"
    "  no words   every score 0 except smog_index, 3.1291 as in textstat\n"
    "pronouncing dictionary: --cmudict FILE, else the config's readability.cmudict,\n"
    "  else $BLALM_CMUDICT, else the copy scripts/deps.sh installs (npm\n"
    "  cmu-pronouncing-dictionary); none found: a warning, pyphen alone. The method\n"
    "  is recorded in the completion markers and WORK/stats/tag.json.\n"
    "definitions (quality): as datatrove 0.10 with English words split by spaCy's\n"
    "  tokenizer rules (reimplemented); a ratio whose denominator is 0 is 0.\n"
    "\n"
    "options:\n"
    "  --work WORK      work directory (docs in WORK/docs, output in WORK/attributes)\n"
    "  --docs DIR       read documents from DIR instead\n"
    "  --out DIR        write attribute sets under DIR instead\n"
    "  --config FILE    JSON thresholds: {\"readability\":{\"hyphen_dic\":PATH,\n"
    "                   \"cmudict\":PATH},\n"
    "                   \"gopher_quality\":{...},\"gopher_repetition\":{...},\"c4\":{...},\n"
    "                   \"fineweb\":{...}} with datatrove's parameter names (a \"tag\"\n"
    "                   member, when present, is used instead of the whole file);\n"
    "                   null disables a Gopher rule; unknown keys are errors\n"
    "  --cmudict FILE   the CMU Pronouncing Dictionary (cmudict text or the npm\n"
    "                   package's index.js); 'none': syllables by pyphen alone\n"
    "  --shard I/N      process only document files with index % N == I\n"
    "  --force          recompute files whose completion markers exist\n"
    "  --syllables      read words (one per line) on stdin, print their syllables\n"
    "                   (the dictionary, else pyphen; each word as given, lowercased)\n"
    "  --quiet          no progress and no summary\n"
    "  --help           this text\n"
    "\n"
    "Invalid UTF-8 in a text is replaced by U+FFFD and counted (readability.invalid_utf8).\n"
    "Completion markers: WORK/state/tag/<set>/<file>.<settings hash>.done; beside\n"
    "each attribute file, <stem>.record.json records the document file it was made\n"
    "from (size, mtime, xxh3 of its bytes), the settings and the command. A rerun\n"
    "with the same settings skips finished files whose document file is unchanged.\n"
    "Run statistics:\n"
    "WORK/stats/tag.json (tag-I-of-N.json when sharded).\n";

enum { T_READ = 1, T_GOPHER = 2, T_C4 = 4, T_FINEWEB = 8 };
static const char *const tagger_names[] = {"readability", "gopher", "c4", "fineweb"};

enum { S_READ, S_GQ, S_GR, S_C4, S_FW, NSETS };
static const char *const set_names[NSETS] = {"readability", "gopher_quality",
                                             "gopher_repetition", "c4", "fineweb"};
static const int set_tagger[NSETS] = {T_READ, T_GOPHER, T_GOPHER, T_C4, T_FINEWEB};

static int parse_taggers(const char *s, int *mask, char *bad, size_t cap)
{
    *mask = 0;
    const char *p = s;
    while (*p) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        int found = 0;
        for (int i = 0; i < 4; i++)
            if (strlen(tagger_names[i]) == n && !strncmp(tagger_names[i], p, n)) {
                *mask |= 1 << i;
                found = 1;
            }
        if (!found) {
            snprintf(bad, cap, "%.*s", (int)n, p);
            return -1;
        }
        p += n;
        if (*p == ',') p++;
    }
    return *mask ? 0 : -1;
}

/* ---- config ---- */

/* A number; JSON null means "rule disabled" (-1), as None does in datatrove. */
static int num(const cJSON *o, const char *key, double *dst, const char *where, blalm_err *e)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (v && cJSON_IsNull(v)) {
        *dst = -1;
        return 0;
    }
    return config_number(o, key, *dst, dst, where, e);
}
static int boolean(const cJSON *o, const char *key, int *dst, const char *where, blalm_err *e)
{
    return config_bool(o, key, *dst, dst, where, e);
}

static int load_config(const char *path, quality_config *qc, const char **dic,
                       const char **cmudict, cJSON **keep, blalm_err *e)
{
    quality_defaults(qc);
    *dic = NULL;
    *cmudict = NULL;
    *keep = NULL;
    if (!path) return 0;
    cJSON *root = config_load(path, e);
    if (!root) return -1;
    *keep = root;
    const cJSON *cfg = root;
    char where[4200];
    if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "tag"))
        cfg = cJSON_GetObjectItemCaseSensitive(root, "tag");
    static const char *const top[] = {"readability", "gopher_quality", "gopher_repetition",
                                      "c4", "fineweb", NULL};
    snprintf(where, sizeof where, "%s", path);
    if (config_check_keys(cfg, top, where, e) < 0) return -1;
    const cJSON *o;
    if ((o = cJSON_GetObjectItemCaseSensitive(cfg, "readability"))) {
        static const char *const k[] = {"hyphen_dic", "cmudict", NULL};
        snprintf(where, sizeof where, "%s: readability", path);
        if (config_check_keys(o, k, where, e) < 0 ||
            config_string(o, "hyphen_dic", NULL, dic, where, e) < 0 ||
            config_string(o, "cmudict", NULL, cmudict, where, e) < 0)
            return -1;
    }
    if ((o = cJSON_GetObjectItemCaseSensitive(cfg, "gopher_quality"))) {
        static const char *const k[] = {"min_doc_words", "max_doc_words", "min_avg_word_length",
                                        "max_avg_word_length", "max_symbol_word_ratio",
                                        "max_bullet_lines_ratio", "max_ellipsis_lines_ratio",
                                        "max_non_alpha_words_ratio", "min_stop_words", NULL};
        double *d[] = {&qc->min_doc_words, &qc->max_doc_words, &qc->min_avg_word_length,
                       &qc->max_avg_word_length, &qc->max_symbol_word_ratio,
                       &qc->max_bullet_lines_ratio, &qc->max_ellipsis_lines_ratio,
                       &qc->max_non_alpha_words_ratio, &qc->min_stop_words};
        snprintf(where, sizeof where, "%s: gopher_quality", path);
        if (config_check_keys(o, k, where, e) < 0) return -1;
        for (int i = 0; k[i]; i++)
            if (num(o, k[i], d[i], where, e) < 0) return -1;
    }
    if ((o = cJSON_GetObjectItemCaseSensitive(cfg, "gopher_repetition"))) {
        static const char *const k[] = {
            "dup_line_frac", "dup_para_frac", "dup_line_char_frac", "dup_para_char_frac",
            "top_2_gram", "top_3_gram", "top_4_gram", "duplicated_5_n_grams",
            "duplicated_6_n_grams", "duplicated_7_n_grams", "duplicated_8_n_grams",
            "duplicated_9_n_grams", "duplicated_10_n_grams", NULL};
        double *d[] = {&qc->dup_line_frac, &qc->dup_para_frac, &qc->dup_line_char_frac,
                       &qc->dup_para_char_frac, &qc->top_n_gram_frac[0],
                       &qc->top_n_gram_frac[1], &qc->top_n_gram_frac[2],
                       &qc->dup_n_gram_frac[0], &qc->dup_n_gram_frac[1],
                       &qc->dup_n_gram_frac[2], &qc->dup_n_gram_frac[3],
                       &qc->dup_n_gram_frac[4], &qc->dup_n_gram_frac[5]};
        snprintf(where, sizeof where, "%s: gopher_repetition", path);
        if (config_check_keys(o, k, where, e) < 0) return -1;
        for (int i = 0; k[i]; i++)
            if (num(o, k[i], d[i], where, e) < 0) return -1;
    }
    if ((o = cJSON_GetObjectItemCaseSensitive(cfg, "c4"))) {
        static const char *const k[] = {"remove_citations", "filter_no_terminal_punct",
                                        "filter_lorem_ipsum", "filter_javascript",
                                        "filter_curly_bracket", "filter_policy",
                                        "min_num_sentences", "min_words_per_line",
                                        "max_word_length", NULL};
        int *b[] = {&qc->c4_remove_citations, &qc->c4_filter_no_terminal_punct,
                    &qc->c4_filter_lorem_ipsum, &qc->c4_filter_javascript,
                    &qc->c4_filter_curly_bracket, &qc->c4_filter_policy};
        double *d[] = {&qc->c4_min_num_sentences, &qc->c4_min_words_per_line,
                       &qc->c4_max_word_length};
        snprintf(where, sizeof where, "%s: c4", path);
        if (config_check_keys(o, k, where, e) < 0) return -1;
        for (int i = 0; i < 6; i++)
            if (boolean(o, k[i], b[i], where, e) < 0) return -1;
        for (int i = 0; i < 3; i++)
            if (config_number(o, k[6 + i], *d[i], d[i], where, e) < 0) return -1;
    }
    if ((o = cJSON_GetObjectItemCaseSensitive(cfg, "fineweb"))) {
        static const char *const k[] = {"line_punct_thr", "line_punct_exclude_zero",
                                        "short_line_thr", "short_line_length",
                                        "char_duplicates_ratio", "new_line_ratio", NULL};
        snprintf(where, sizeof where, "%s: fineweb", path);
        if (config_check_keys(o, k, where, e) < 0 ||
            config_number(o, k[0], qc->line_punct_thr, &qc->line_punct_thr, where, e) < 0 ||
            boolean(o, k[1], &qc->line_punct_exclude_zero, where, e) < 0 ||
            config_number(o, k[2], qc->short_line_thr, &qc->short_line_thr, where, e) < 0 ||
            config_number(o, k[3], qc->short_line_length, &qc->short_line_length, where, e) < 0 ||
            config_number(o, k[4], qc->char_duplicates_ratio, &qc->char_duplicates_ratio, where,
                          e) < 0 ||
            config_number(o, k[5], qc->new_line_ratio, &qc->new_line_ratio, where, e) < 0)
            return -1;
    }
    return 0;
}

/* ---- the pronouncing dictionary ---- */

#ifndef BLALM_CMUDICT_DEFAULT
#define BLALM_CMUDICT_DEFAULT ""
#endif
#ifndef BLALM_CMUDICT_INSTALLED
#define BLALM_CMUDICT_INSTALLED ""
#endif

/* Loads the dictionary named by --cmudict, the config or $BLALM_CMUDICT (an
 * error when it cannot be read), else the first default copy that exists.
 * None: a warning, pyphen alone. Writes the method ("cmudict+pyphen" or
 * "pyphen") and the file used into method/used. */
static int load_cmudict(readability_ctx *rc, const char *flag, const char *cfg, int quiet,
                        const char **method, char *used, size_t cap, blalm_err *e)
{
    const char *named = flag ? flag : cfg ? cfg : getenv("BLALM_CMUDICT");
    if (named && !*named) named = NULL;
    *method = "pyphen";
    used[0] = 0;
    if (named && !strcmp(named, "none")) return 0;
    if (named) {
        if (readability_load_cmudict(rc, named, e) < 0) return -1;
        snprintf(used, cap, "%s", named);
        *method = "cmudict+pyphen";
        return 0;
    }
    const char *defaults[] = {BLALM_CMUDICT_DEFAULT, BLALM_CMUDICT_INSTALLED};
    for (int i = 0; i < 2; i++) {
        if (!defaults[i][0] || !file_exists(defaults[i])) continue;
        if (readability_load_cmudict(rc, defaults[i], e) < 0) return -1;
        snprintf(used, cap, "%s", defaults[i]);
        *method = "cmudict+pyphen";
        return 0;
    }
    if (!quiet)
        fprintf(stderr, "blalm tag: warning: no CMU Pronouncing Dictionary found (run "
                        "scripts/deps.sh, or pass --cmudict FILE); syllables by pyphen alone, "
                        "so readability scores differ from textstat's\n");
    return 0;
}

/* ---- --syllables ---- */

static int run_syllables(const char *dic, const char *cmudict_flag, const char *cmudict_cfg)
{
    blalm_err e;
    readability_ctx *rc = readability_new(dic, &e);
    if (!rc) {
        fprintf(stderr, "blalm tag: %s\n", e.msg);
        return 1;
    }
    const char *method;
    char used[4096];
    if (load_cmudict(rc, cmudict_flag, cmudict_cfg, 0, &method, used, sizeof used, &e) < 0) {
        fprintf(stderr, "blalm tag: %s\n", e.msg);
        readability_free(rc);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, stdin)) >= 0) {
        if (n && line[n - 1] == '\n') n--;
        printf("%d\n", readability_syllables(rc, line, (size_t)n));
    }
    free(line);
    readability_free(rc);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- tagging one file ---- */

typedef struct run_totals {
    uint64_t files, files_skipped, docs, bytes, invalid_utf8;
    uint64_t pass[NSETS];
} run_totals;

/* Markers carry a hash of the settings that shape the output, so a rerun
 * with other thresholds (or another patterns file) recomputes. */
static int tag_file(const work_dirs *wd, const doc_file *f, int sets_mask, int force,
                    uint64_t settings, const char *read_marker, const char *config_path,
                    readability_ctx *rc, quality_ctx *qc, progress *pg, run_totals *tot,
                    blalm_err *e)
{
    char paths[NSETS][8192], marker[NSETS][4400], stem[4096], config[64];
    doc_rel_stem(f->rel, stem, sizeof stem);
    snprintf(config, sizeof config, "tag settings %016llx", (unsigned long long)settings);
    /* the document file as it is now: a file edited since its attributes were
     * made is measured again, and the records say what each set was made from */
    doc_identity ident;
    if (doc_identity_of(f->path, &ident, e) < 0) return -1;
    int todo = 0;
    for (int s = 0; s < NSETS; s++) {
        if (!(sets_mask & (1 << s))) continue;
        attr_path_for(wd, set_names[s], f->rel, paths[s], sizeof paths[s]);
        snprintf(marker[s], sizeof marker[s], "%s/%s.%016llx", set_names[s], stem,
                 (unsigned long long)settings);
        if (force || !wd->work[0] || !marker_exists(wd->work, "tag", marker[s]) ||
            !attr_record_current(paths[s], &ident, config))
            todo |= 1 << s;
    }
    if (!todo) {
        tot->files_skipped++;
        return 0;
    }
    attr_writer *w[NSETS] = {0};
    doc_opts o = {0};
    o.default_source = f->source;
    o.id_stem = f->id_stem;
    doc_reader *r = doc_open(f->path, &o, e);
    if (!r) return -1;
    for (int s = 0; s < NSETS; s++)
        if ((todo & (1 << s)) && !(w[s] = attrw_open(paths[s], set_names[s], e))) goto fail;
    sbuf out, clean;
    sb_init(&out);
    sb_init(&clean);
    ws_spans split = {0};
    blalm_doc d;
    int rcn;
    uint64_t docs_in_file = 0;
    while ((rcn = doc_next(r, &d, e)) == 1) {
        docs_in_file++;
        const char *text = d.text;
        size_t len = d.text_len, bad_at;
        uint64_t invalid = 0;
        if (!utf8_valid(text, len, &bad_at)) {
            sb_reset(&clean);
            sb_reserve(&clean, 3 * len + 1);
            invalid = utf8_sanitize(text, len, clean.data, &clean.len);
            text = clean.data;
            len = clean.len;
        }
        tot->invalid_utf8 += invalid;
        /* one whitespace split of the text for readability and the tokenizer */
        if (ws_split(&split, text, len) < 0) {
            err_set(e, "%s: out of memory splitting document %s", f->path, d.id);
            goto fail_doc;
        }
        quality_use_split(qc, &split);
        if (todo & (1 << S_READ)) {
            readability_counts k;
            readability_scores sc;
            readability_count_spans(rc, &split, &k);
            k.invalid_utf8 = invalid;
            readability_scores_of(&k, &sc);
            sb_reset(&out);
            readability_json(&k, &sc, &out);
            tot->pass[S_READ]++;
            if (attrw_write(w[S_READ], d.id, d.id_len, out.data, out.len, e) < 0) goto fail_doc;
        }
        if (todo & (1 << S_GQ)) {
            gopher_quality_stats s;
            gopher_quality_measure(qc, text, len, &s);
            sb_reset(&out);
            gopher_quality_json(&s, &out);
            tot->pass[S_GQ] += !s.reason;
            if (attrw_write(w[S_GQ], d.id, d.id_len, out.data, out.len, e) < 0) goto fail_doc;
        }
        if (todo & (1 << S_GR)) {
            gopher_repetition_stats s;
            gopher_repetition_measure(qc, text, len, &s);
            sb_reset(&out);
            gopher_repetition_json(&s, &out);
            tot->pass[S_GR] += !s.reason;
            if (attrw_write(w[S_GR], d.id, d.id_len, out.data, out.len, e) < 0) goto fail_doc;
        }
        if (todo & (1 << S_FW)) {
            fineweb_stats s;
            fineweb_measure(qc, text, len, &s);
            sb_reset(&out);
            fineweb_json(&s, &out);
            tot->pass[S_FW] += !s.reason;
            if (attrw_write(w[S_FW], d.id, d.id_len, out.data, out.len, e) < 0) goto fail_doc;
        }
        if (todo & (1 << S_C4)) {
            c4_stats s;
            c4_measure(qc, text, len, &s);
            sb_reset(&out);
            c4_json(&s, &out);
            tot->pass[S_C4] += !s.v.reason;
            if (attrw_write(w[S_C4], d.id, d.id_len, out.data, out.len, e) < 0) goto fail_doc;
        }
        tot->docs++;
        tot->bytes += d.text_len;
        prog_add(pg, d.text_len);
    }
    if (rcn < 0) goto fail_doc;
    sb_free(&out);
    sb_free(&clean);
    quality_use_split(qc, NULL);
    ws_free(&split);
    doc_close(r);
    r = NULL;
    {
        struct stat st;
        if (stat(f->path, &st) < 0 || (uint64_t)st.st_size != ident.size ||
            (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec != ident.mtime_ns) {
            err_set(e, "%s: changed while it was being tagged; run blalm tag again", f->path);
            goto fail;
        }
    }
    for (int s = 0; s < NSETS; s++) {
        if (!w[s]) continue;
        attr_writer *ws = w[s];
        w[s] = NULL;
        if (attrw_commit(ws, e) < 0) goto fail;
        char command[4400];
        snprintf(command, sizeof command, "blalm tag --taggers %s%s%s",
                 tagger_names[set_tagger[s] == T_READ ? 0 : set_tagger[s] == T_GOPHER ? 1
                              : set_tagger[s] == T_C4 ? 2 : 3],
                 config_path ? " --config " : "", config_path ? config_path : "");
        if (attr_record_write(paths[s], set_names[s], f->rel, &ident, docs_in_file, 1, config,
                              command, e) < 0)
            goto fail;
        if (wd->work[0] &&
            marker_write(wd->work, "tag", marker[s], s == S_READ ? read_marker : "{}", e) < 0)
            goto fail;
    }
    tot->files++;
    return 0;
fail_doc:
    sb_free(&out);
    sb_free(&clean);
    quality_use_split(qc, NULL);
    ws_free(&split);
fail:
    for (int s = 0; s < NSETS; s++) attrw_abort(w[s]);
    if (r) doc_close(r);
    return -1;
}

int cmd_tag(int argc, char **argv)
{
    static const struct option opts[] = {
        {"work", required_argument, 0, 'w'},   {"docs", required_argument, 0, 'd'},
        {"out", required_argument, 0, 'o'},    {"config", required_argument, 0, 'c'},
        {"taggers", required_argument, 0, 't'}, {"shard", required_argument, 0, 's'},
        {"force", no_argument, 0, 'f'},        {"quiet", no_argument, 0, 'q'},
        {"syllables", no_argument, 0, 'y'},    {"help", no_argument, 0, 'h'},
        {"cmudict", required_argument, 0, 'm'},
        {0, 0, 0, 0}};
    const char *work = NULL, *docs = NULL, *out = NULL, *config = NULL, *cmudict_flag = NULL;
    const char *taggers = "readability,gopher,c4,fineweb";
    int shard_i = 0, shard_n = 1, force = 0, quiet = 0, syllables = 0, c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        switch (c) {
        case 'w': work = optarg; break;
        case 'd': docs = optarg; break;
        case 'o': out = optarg; break;
        case 'c': config = optarg; break;
        case 't': taggers = optarg; break;
        case 's':
            if (cli_parse_shard(optarg, &shard_i, &shard_n) < 0)
                return cli_usage_error(usage, "tag: --shard expects I/N with 0 <= I < N, got '%s'",
                                       optarg);
            break;
        case 'f': force = 1; break;
        case 'q': quiet = 1; break;
        case 'y': syllables = 1; break;
        case 'm': cmudict_flag = optarg; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "tag", opts, argv, optind);
        }
    }
    if (optind < argc)
        return cli_usage_error(usage, "tag: unexpected argument '%s'", argv[optind]);
    int mask;
    char bad[256] = "";
    if (parse_taggers(taggers, &mask, bad, sizeof bad) < 0)
        return cli_usage_error(usage,
                               "tag: unknown tagger '%s' (known taggers: readability, gopher, "
                               "c4, fineweb)",
                               bad);
    blalm_err e;
    quality_config qcfg;
    const char *dic, *cmudict_cfg;
    cJSON *cfg_json;
    if (load_config(config, &qcfg, &dic, &cmudict_cfg, &cfg_json, &e) < 0) {
        fprintf(stderr, "blalm tag: %s\n", e.msg);
        cJSON_Delete(cfg_json);
        return 1;
    }
    if (syllables) {
        int rc = run_syllables(dic, cmudict_flag, cmudict_cfg);
        cJSON_Delete(cfg_json);
        return rc;
    }
    work_dirs wd;
    if (work_dirs_init(&wd, work, docs, out, &e) < 0) {
        cJSON_Delete(cfg_json);
        return cli_usage_error(usage, "tag: %s", e.msg);
    }
    int sets_mask = 0;
    for (int s = 0; s < NSETS; s++)
        if (mask & set_tagger[s]) sets_mask |= 1 << s;

    double t0 = now_seconds();
    readability_ctx *rc = NULL;
    quality_ctx *qc = NULL;
    doc_file *files = NULL;
    size_t nfiles = 0;
    int status = 1;
    run_totals tot = {0};
    progress *pg = NULL;
    const char *method = "";
    char cmudict_used[4096] = "";
    sbuf read_marker;
    sb_init(&read_marker);
    if ((mask & T_READ) && !(rc = readability_new(dic, &e))) goto done;
    if (rc && load_cmudict(rc, cmudict_flag, cmudict_cfg, quiet, &method, cmudict_used,
                           sizeof cmudict_used, &e) < 0)
        goto done;
    if (!(qc = quality_new(&qcfg, &e))) goto done;
    if (docs_walk(wd.docs, &files, &nfiles, &e) < 0) goto done;
    uint64_t settings = xxh3_64(&qcfg, sizeof qcfg);
    if (dic) settings ^= xxh3_64(dic, strlen(dic));
    /* the readability settings: the syllable method and the dictionary used */
    {
        int first = 1;
        sb_addc(&read_marker, '{');
        sb_json_key(&read_marker, "syllables", &first);
        sb_json_str(&read_marker, rc ? method : "", rc ? strlen(method) : 0);
        sb_json_key(&read_marker, "cmudict", &first);
        sb_json_str(&read_marker, cmudict_used, strlen(cmudict_used));
        sb_json_key(&read_marker, "cmudict_words", &first);
        sb_json_uint(&read_marker, rc ? readability_cmudict_words(rc) : 0);
        sb_addc(&read_marker, '}');
        settings ^= 0x9e3779b97f4a7c15ULL * xxh3_64(read_marker.data, read_marker.len);
    }
    pg = prog_start("tag", 0, PROG_BYTES, quiet);
    for (size_t i = 0; i < nfiles; i++) {
        if ((int)(i % (size_t)shard_n) != shard_i) continue;
        if (tag_file(&wd, &files[i], sets_mask, force, settings, sb_cstr(&read_marker), config, rc, qc,
                     pg, &tot, &e) < 0) {
            prog_end(pg);
            pg = NULL;
            goto done;
        }
    }
    prog_end(pg);
    pg = NULL;
    double secs = now_seconds() - t0;
    if (wd.work[0]) {
        sbuf st;
        sb_init(&st);
        sb_printf(&st, "{\"files\":%llu,\"files_skipped\":%llu,\"docs\":%llu,\"bytes\":%llu,"
                       "\"invalid_utf8\":%llu,\"seconds\":",
                  (unsigned long long)tot.files, (unsigned long long)tot.files_skipped,
                  (unsigned long long)tot.docs, (unsigned long long)tot.bytes,
                  (unsigned long long)tot.invalid_utf8);
        sb_json_num(&st, secs);
        sb_adds(&st, ",\"pass\":{");
        int first = 1;
        for (int s = 1; s < NSETS; s++) {
            if (!(sets_mask & (1 << s))) continue;
            sb_json_key(&st, set_names[s], &first);
            sb_json_uint(&st, tot.pass[s]);
        }
        sb_adds(&st, "}");
        if (rc) {
            sb_adds(&st, ",\"readability\":");
            sb_add(&st, read_marker.data, read_marker.len);
        }
        sb_adds(&st, "}\n");
        char path[8400];
        if (shard_n > 1)
            snprintf(path, sizeof path, "%s/tag-%d-of-%d.json", wd.stats, shard_i, shard_n);
        else
            snprintf(path, sizeof path, "%s/tag.json", wd.stats);
        int wrc = write_file_atomic(path, st.data, st.len, &e);
        sb_free(&st);
        if (wrc < 0) goto done;
    }
    if (!quiet)
        fprintf(stderr, "blalm tag: %llu documents in %llu files (%llu skipped as done), "
                        "%.1f MB of text in %.1f s (%.2f MB/s)\n",
                (unsigned long long)tot.docs, (unsigned long long)tot.files,
                (unsigned long long)tot.files_skipped, tot.bytes / 1e6, secs,
                secs > 0 ? tot.bytes / 1e6 / secs : 0.0);
    status = 0;
done:
    if (status) fprintf(stderr, "blalm tag: %s\n", e.msg);
    if (pg) prog_end(pg);
    docs_walk_free(files, nfiles);
    readability_free(rc);
    quality_free(qc);
    sb_free(&read_marker);
    cJSON_Delete(cfg_json);
    return status;
}
