/* cmd_distill.c - `blalm distill train|score|eval`: a local scorer learnt
 * from the LLM's labels (scorer/distill.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/cli.h"
#include "lib/fsutil.h"
#include "lib/work.h"
#include "lib/progress.h"
#include "scorer/distill.h"

BLALM_COMMAND(distill, "a local scorer learnt from LLM labels: train, score (edu_local), eval")

static const char usage[] =
    "usage: blalm distill train --work WORK (--labels SET.KEY | --label-field NAME) --out MODEL [options]\n"
    "       blalm distill score --work WORK --model MODEL [--force]\n"
    "       blalm distill eval  --work WORK --model MODEL (--labels SET.KEY | --label-field NAME) [--json]\n"
    "\n"
    "train: learns to predict a 0-5 label from the text of the documents in WORK/docs.\n"
    "  Labels come from an attribute set (--labels edu_llm.score: documents with\n"
    "  \"selected\": false are not in the labelled sample and are skipped) or from a\n"
    "  document metadata field (--label-field int_score, or score). Documents repeated\n"
    "  by id or by text are used once, with their first label (the summary counts\n"
    "  repeats whose label differs). Features: hashed word unigrams + bigrams,\n"
    "  sublinear TF x IDF, L2-normalised, plus the numeric attributes of the sets\n"
    "  `blalm tag` writes when WORK has them (--attr-features). Model kind, lambda\n"
    "  and the decision threshold (binary F1 at label >= 3) are chosen by stratified\n"
    "  k-fold cross-validation; the chosen one is refitted on every document. Same\n"
    "  data and seed: same model bytes.\n"
    "score: writes the attribute set edu_local {score, int_score (0-5), model} for every\n"
    "  document, line-aligned with the document files. A completion marker per file\n"
    "  (WORK/state/distill_score/) keys the document file and the model file: a rerun\n"
    "  skips what is done; a changed document file or model is scored again.\n"
    "eval:  binary precision/recall/F1 at 2 and 3, macro F1, accuracy, MAE, Spearman and\n"
    "  the confusion matrix on labelled documents; documents the model was trained on\n"
    "  (same text) are left out and counted.\n"
    "\n"
    "options:\n"
    "  --work WORK            work directory (docs in WORK/docs, attributes in WORK/attributes)\n"
    "  --docs DIR             documents root (default WORK/docs)\n"
    "  --attrs DIR            attributes root (default WORK/attributes)\n"
    "  --labels SET.KEY       labels from an attribute set, e.g. edu_llm.score\n"
    "  --label-field NAME     labels from a document metadata field, e.g. int_score\n"
    "  --skip-unlabelled      skip documents without a label (default: an error naming them)\n"
    "  --out MODEL            train: the model file to write\n"
    "  --model MODEL          score, eval: the model file\n"
    "  --model-type T         train: auto (default: the cross-validation picks), ridge, logistic,\n"
    "                         ensemble (the mean of the best ridge and the best logistic model)\n"
    "  --folds K              train: cross-validation folds (default 5)\n"
    "  --seed S               train: fold assignment seed, 0 to 2^53-1 (default 0)\n"
    "  --lambda L[,L...]      train: regularisation strengths to try (default: built-in grids)\n"
    "  --hash-bits B          train: 2^B hashed features, 10..24 (default 18)\n"
    "  --ngrams N             train: 1 = words, 2 = words + bigrams (default 2)\n"
    "  --max-chars N          train: features from the first N bytes of each text only (cut\n"
    "                         at a character boundary): what the labelling LLM saw, e.g.\n"
    "                         score's --max-chars (default: the whole text); kept in the model\n"
    "  --char-ngrams A-B      train: also byte n-grams of lengths A..B (lowercased, whitespace\n"
    "                         runs as one space), hashed into a second block (e.g. 3-5;\n"
    "                         default none: slower to score)\n"
    "  --attr-features M      train: auto (default: the numeric keys of the sets `blalm tag`\n"
    "                         writes that WORK has), none, or all (every tag set, missing\n"
    "                         ones are an error); the model keeps their names, and score\n"
    "                         and eval then need the same sets\n"
    "  --attr-weight W        train: the attribute block's share of a row's squared norm,\n"
    "                         0 < W < 1 (default 0.1)\n"
    "  --max-docs N           train: most documents fitted in the dual (kernel) form (memory\n"
    "                         8 N^2 bytes; default 3000); beyond, every document is used and\n"
    "                         ridge is solved in the primal by conjugate gradients (only ridge:\n"
    "                         --model-type logistic or ensemble is refused there)\n"
    "  --embeddings FILE      train: pre-trained word vectors (GloVe, word2vec or fastText text\n"
    "                         format: \"word v1 ... vd\" per line). Adds a second part: kernel\n"
    "                         ridge (Gaussian kernel) on each document's mean word vector,\n"
    "                         blended with the linear model; its lambda and weight are chosen\n"
    "                         by the same cross-validation. The model keeps the vectors\n"
    "  --emb-words N          train: keep the file's first N words (default 100000; 0: all)\n"
    "  --emb-weight W         train: the word-vector part's weight in the blend, 0 < W < 1\n"
    "                         (default: 0.25, 0.5 or 0.75, chosen by the cross-validation)\n"
    "  --force                score: redo files whose markers say done\n"
    "  --json                 eval, train: the figures as one JSON object on stdout\n"
    "  -q, --quiet            no progress or summary\n"
    "  -h, --help             this help\n";

enum {
    O_WORK = 256, O_DOCS, O_ATTRS, O_LABELS, O_FIELD, O_SKIP, O_OUT, O_MODEL, O_TYPE, O_FOLDS,
    O_SEED, O_LAMBDA, O_BITS, O_NGRAMS, O_MAXDOCS, O_JSON, O_MAXCHARS, O_FORCE, O_CHARS, O_ATTRF, O_ATTRW,
    O_EMB, O_EMBWORDS, O_EMBW
};

typedef struct args {
    const char *work, *docs, *attrs, *labels, *field, *out, *model, *type, *lambda, *emb;
    unsigned long long emb_words;
    int emb_words_set;
    double emb_weight;
    int skip, json, quiet, force, folds, bits, ngrams, char_min, char_max, attr_mode;
    double attr_weight;
    unsigned long long seed, max_docs, max_chars;
    char set[128];
    const char *for_train, *for_labels, *for_model;   /* the first option given that only train, only
                                                         train and eval, only score and eval take */
} args;

static void show_progress(void *ctx, uint64_t docs) { prog_update(ctx, docs); }

static void print_json_metrics(const distill_metrics *m, const distill_work_counts *n, const char *model)
{
    printf("{\"model\":\"%s\",\"documents\":%zu,\"seen_in_training\":%llu,\"duplicates_id\":%llu,"
           "\"duplicates_text\":%llu,\"label_conflicts\":%llu,\"unlabelled\":%llu,", model, m->n,
           (unsigned long long)n->seen, (unsigned long long)n->dup_id, (unsigned long long)n->dup_text,
           (unsigned long long)n->label_conflicts, (unsigned long long)n->unlabelled);
    for (int b = 0; b < 2; b++)
        printf("\"at%d\":{\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f},", b + 2, m->precision[b],
               m->recall[b], m->f1[b]);
    printf("\"macro_f1\":%.6f,\"accuracy\":%.6f,\"mae\":%.6f,", m->macro_f1, m->accuracy, m->mae);
    /* undefined (one document, or constant labels or scores): null, as scipy's nan, not 0 */
    if (isfinite(m->spearman)) printf("\"spearman\":%.6f,\"confusion\":[", m->spearman);
    else printf("\"spearman\":null,\"confusion\":[");
    for (int t = 0; t < DISTILL_CLASSES; t++) {
        printf("%s[", t ? "," : "");
        for (int p = 0; p < DISTILL_CLASSES; p++)
            printf("%s%llu", p ? "," : "", (unsigned long long)m->confusion[t][p]);
        printf("]");
    }
    printf("]}\n");
}

static void print_metrics(const distill_metrics *m, const distill_work_counts *n, const char *model)
{
    printf("model %s on %zu labelled documents it never saw (%llu training documents left out; "
           "%llu repeats used once, %llu of them with a label other than the first; %llu unlabelled skipped)\n",
           model, m->n, (unsigned long long)n->seen, (unsigned long long)(n->dup_id + n->dup_text),
           (unsigned long long)n->label_conflicts, (unsigned long long)n->unlabelled);
    for (int b = 0; b < 2; b++)
        printf("  label >= %d: precision %.4f  recall %.4f  F1 %.4f\n", b + 2, m->precision[b],
               m->recall[b], m->f1[b]);
    printf("  macro F1 %.4f  accuracy %.4f  MAE %.4f  Spearman %.4f\n", m->macro_f1, m->accuracy,
           m->mae, m->spearman);
    printf("  confusion (rows: label 0-5, columns: int_score 0-5)\n");
    for (int t = 0; t < DISTILL_CLASSES; t++) {
        printf("   %d:", t);
        for (int p = 0; p < DISTILL_CLASSES; p++)
            printf(" %6llu", (unsigned long long)m->confusion[t][p]);
        printf("\n");
    }
}

static int parse_lambdas(const char *s, double *out, int cap)
{
    int n = 0;
    while (*s) {
        size_t len = strcspn(s, ",");
        char item[64];
        double v;
        if (len >= sizeof item || n == cap) return -1;
        memcpy(item, s, len);
        item[len] = 0;
        if (cli_parse_real(item, &v) < 0 || v <= 0) return -1;   /* not "", hex, " 1", inf */
        out[n++] = v;
        s += len;
        if (*s == ',' && !*++s) return -1;                          /* "1," */
    }
    return n;
}

/* A number strictly between 0 and 1, the whole string. */
static int parse_fraction(const char *s, double *out)
{
    double v;
    if (cli_parse_real(s, &v) < 0 || !(v > 0 && v < 1)) return -1;
    *out = v;
    return 0;
}

/* 1 when path would land in root or a folder under it (links resolved, "."
 * and ".." applied also where folders are still to be made), else 0. */
static int path_inside(const char *path, const char *root)
{
    char rpath[PATH_MAX], rroot[PATH_MAX];
    if (!root || !*root || path_resolve_lenient(root, rroot, sizeof rroot) < 0 ||
        path_resolve_lenient(path, rpath, sizeof rpath) < 0)
        return 0;
    return path_is_within(rpath, rroot);
}

/* --out among what train reads: the documents, the attribute sets (labels,
 * attribute features) or the word vectors; the model would replace them. */
static int check_out_not_input(const args *a, const work_dirs *w)
{
    const char *root = path_inside(a->out, w->docs) ? w->docs : path_inside(a->out, w->attrs) ? w->attrs : NULL;
    if (root) {
        fprintf(stderr, "blalm distill: --out %s is inside %s, which train reads: the model would be written "
                        "among (or over) its files; write it elsewhere\n", a->out, root);
        return -1;
    }
    struct stat so, se;
    if (a->emb && stat(a->out, &so) == 0 && stat(a->emb, &se) == 0 && so.st_dev == se.st_dev &&
        so.st_ino == se.st_ino) {
        fprintf(stderr, "blalm distill: --out %s is the --embeddings file: the model would replace it\n", a->out);
        return -1;
    }
    return 0;
}

static int run_train(const args *a, const distill_work_opts *wo)
{
    distill_train_opts to;
    memset(&to, 0, sizeof to);
    distill_features_default(&to.feat);
    if (a->bits) to.feat.hash_bits = (uint32_t)a->bits;
    if (a->ngrams) to.feat.ngram_max = (uint32_t)a->ngrams;
    to.feat.max_bytes = (uint32_t)a->max_chars;
    to.feat.char_min = (uint32_t)a->char_min;
    to.feat.char_max = (uint32_t)a->char_max;
    if (a->attr_weight > 0) to.feat.attr_weight = a->attr_weight;
    to.folds = a->folds ? a->folds : 5;
    to.seed = a->seed;
    to.max_dual = (size_t)a->max_docs;
    double lambdas[32];
    if (a->lambda) {
        to.n_lambdas = parse_lambdas(a->lambda, lambdas, 32);
        if (to.n_lambdas <= 0)
            return cli_usage_error(usage, "distill: --lambda wants positive numbers separated by commas, not '%s'",
                                   a->lambda);
        to.lambdas = lambdas;
    }
    int kind = a->type ? distill_kind_parse(a->type) : DISTILL_AUTO;
    if (kind < 0) return cli_usage_error(usage, "distill: --model-type wants auto, ridge, logistic or ensemble, not '%s'", a->type);
    to.kind = (distill_kind)kind;
    blalm_err e = {{0}};
    if (distill_features_check(&to.feat, &e) < 0)
        return cli_usage_error(usage, "distill: %s", e.msg);

    distill_vectors *vec = NULL;
    if (a->emb) {
        vec = distill_vectors_load(a->emb, a->emb_words_set ? (uint32_t)a->emb_words : 100000, &e);
        if (!vec) {
            fprintf(stderr, "blalm distill: --embeddings: %s\n", e.msg);
            return 1;
        }
        to.vectors = vec;
        to.emb_weight = a->emb_weight;
        if (!a->quiet && distill_vectors_repeated(vec))
            fprintf(stderr, "blalm distill: --embeddings: %u lines skipped, their word (lowercased, as tokens are looked up) "
                            "given by an earlier line; %u words kept\n",
                    distill_vectors_repeated(vec), distill_vectors_count(vec));
    }
    distill_examples ex;
    memset(&ex, 0, sizeof ex);
    distill_work_counts n;
    progress *pg = prog_start("distill: reading", 0, PROG_COUNT, a->quiet);
    distill_work_opts w = *wo;
    w.vectors = vec;
    w.progress = show_progress;
    w.progress_ctx = pg;
    double t0 = now_seconds();
    int rc = distill_collect(&w, &to.feat, &ex, &n, &e);
    prog_end(pg);
    if (rc < 0) {
        fprintf(stderr, "blalm distill: %s\n", e.msg);
        distill_examples_free(&ex);
        distill_vectors_free(vec);
        return 1;
    }
    double t_read = now_seconds() - t0;
    distill_train_report rep;
    distill_model *m = distill_train(&ex, &to, &rep, &e);
    distill_examples_free(&ex);
    distill_vectors_free(vec);
    if (!m) {
        fprintf(stderr, "blalm distill: %s: %s\n", wo->dirs->docs, e.msg);
        return 1;
    }
    rc = distill_model_save(m, a->out, &e);
    if (rc < 0) {
        fprintf(stderr, "blalm distill: %s\n", e.msg);
        distill_model_free(m);
        return 1;
    }
    const distill_candidate *b = &rep.cand[rep.best];
    const distill_emb_report *er = &rep.emb;
    double f1, mae, thr;
    distill_report_chosen(&rep, &f1, &mae, &thr);
    if (a->json) {
        printf("{\"model\":\"%s\",\"documents\":%zu,\"used\":%zu,\"duplicates_id\":%llu,\"duplicates_text\":%llu,"
               "\"label_conflicts\":%llu,\"unlabelled\":%llu,\"kind\":\"%s\",\"lambda\":%g,\"threshold\":%.6f,\"cv_f1_at3\":%.6f,\"cv_mae\":%.6f,"
               "\"seconds_read\":%.3f,\"seconds_cv\":%.3f,\"seconds_fit\":%.3f,\"cg_steps\":%llu,\"candidates\":[",
               distill_model_name(m), rep.docs, rep.cv_docs, (unsigned long long)n.dup_id,
               (unsigned long long)n.dup_text, (unsigned long long)n.label_conflicts, (unsigned long long)n.unlabelled,
               distill_kind_name(b->kind), b->lambda, thr,
               f1, mae, t_read, rep.seconds_cv, rep.seconds_fit,
               (unsigned long long)rep.cg_steps);
        for (int c = 0; c < rep.n_cand; c++)
            printf("%s{\"kind\":\"%s\",\"lambda\":%g,\"lambda2\":%g,\"threshold\":%.6f,\"f1_at3\":%.6f,\"mae\":%.6f}",
                   c ? "," : "", distill_kind_name(rep.cand[c].kind), rep.cand[c].lambda, rep.cand[c].lambda2,
                   rep.cand[c].threshold, rep.cand[c].f1_at3, rep.cand[c].mae);
        printf("]");
        if (er->on) {
            printf(",\"embeddings\":{\"dim\":%u,\"words\":%u,\"landmarks\":%u,\"rank\":%u,\"gamma\":%.6g,"
                   "\"lambda\":%g,\"weight\":%g,\"linear_f1_at3\":%.6f,\"f1_at3\":%.6f,\"mae\":%.6f,"
                   "\"threshold\":%.6f,\"seconds\":%.3f,\"lambda_f1_at3\":[",
                   er->dim, er->words, er->landmarks, er->rank, er->gamma, er->lambda, er->weight, er->linear_f1,
                   er->f1, er->mae, er->threshold, er->seconds);
            for (int k = 0; k < er->n_lambda; k++) printf("%s%.6f", k ? "," : "", er->lambda_f1[k]);
            printf("],\"weight_f1_at3\":[");
            for (int k = 0; k < er->n_weight; k++) printf("%s%.6f", k ? "," : "", er->weight_f1[k]);
            printf("]}");
        }
        printf("}\n");
    } else if (!a->quiet) {
        for (int c = 0; c < rep.n_cand; c++)
            fprintf(stderr, "  %-8s lambda %-6g %-6g threshold %.3f  CV F1@3 %.4f  MAE %.4f%s\n",
                    distill_kind_name(rep.cand[c].kind), rep.cand[c].lambda, rep.cand[c].lambda2, rep.cand[c].threshold,
                    rep.cand[c].f1_at3, rep.cand[c].mae, c == rep.best ? "  <- chosen" : "");
        if (er->on)
            fprintf(stderr, "  + word vectors (%u words of dimension %u; %u landmarks, rank %u, gamma %.4g): "
                            "lambda %g, weight %g: CV F1@3 %.4f (linear alone %.4f), MAE %.4f, threshold %.3f "
                            "(%.1f s)\n",
                    er->words, er->dim, er->landmarks, er->rank, er->gamma, er->lambda, er->weight, er->f1,
                    er->linear_f1, er->mae, er->threshold, er->seconds);
        fprintf(stderr,
                "blalm distill train: %zu documents, %zu used (%llu duplicate ids, %llu duplicate texts, %llu "
                "of the repeats with a label other than the first, %llu unlabelled skipped), %d-fold CV F1@3 %.4f with %s lambda %g threshold %.3f; "
                "%s written (%.1f s reading, %.1f s CV, %.1f s final fit)\n",
                rep.docs, rep.cv_docs, (unsigned long long)n.dup_id, (unsigned long long)n.dup_text,
                (unsigned long long)n.label_conflicts, (unsigned long long)n.unlabelled, to.folds, f1, distill_kind_name(b->kind),
                b->lambda, thr, a->out, t_read, rep.seconds_cv, rep.seconds_fit);
    }
    distill_model_free(m);
    return 0;
}

static int run_score_or_eval(const char *sub, const args *a, const distill_work_opts *wo)
{
    blalm_err e = {{0}};
    distill_model *m = distill_model_load(a->model, &e);
    if (!m) {
        fprintf(stderr, "blalm distill: %s\n", e.msg);
        return 1;
    }
    distill_work_counts n;
    distill_work_opts w = *wo;
    progress *pg = prog_start(!strcmp(sub, "score") ? "distill score" : "distill eval", 0, PROG_COUNT,
                              a->quiet);
    w.progress = show_progress;
    w.progress_ctx = pg;
    double t0 = now_seconds();
    int rc;
    if (!strcmp(sub, "score")) {
        w.model_path = a->model;
        w.force = a->force;
        rc = distill_score_work(&w, m, &n, &e);
        prog_end(pg);
        double secs = now_seconds() - t0;
        if (rc == 0 && !a->quiet)
            fprintf(stderr,
                    "blalm distill score: %llu documents in %llu files -> edu_local (%llu files done "
                    "before, skipped; int_score 0-5: %llu %llu %llu %llu %llu %llu); %.2f s, %.0f "
                    "documents/s\n",
                    (unsigned long long)n.docs, (unsigned long long)n.files,
                    (unsigned long long)n.skipped,
                    (unsigned long long)n.hist[0], (unsigned long long)n.hist[1],
                    (unsigned long long)n.hist[2], (unsigned long long)n.hist[3],
                    (unsigned long long)n.hist[4], (unsigned long long)n.hist[5], secs,
                    secs > 0 ? (double)n.docs / secs : 0.0);
    } else {
        distill_metrics met;
        rc = distill_eval_work(&w, m, &met, &n, &e);
        prog_end(pg);
        if (rc == 0) {
            if (a->json) print_json_metrics(&met, &n, distill_model_name(m));
            else print_metrics(&met, &n, distill_model_name(m));
        }
    }
    if (rc < 0) fprintf(stderr, "blalm distill: %s\n", e.msg);
    distill_model_free(m);
    if (rc < 0 && !strcmp(sub, "score") && n.stop_signal) {
        /* end as the signal would have: exit status 128 + sig */
        signal(n.stop_signal, SIG_DFL);
        raise(n.stop_signal);
    }
    return rc < 0 ? 1 : 0;
}

int cmd_distill(int argc, char **argv)
{
    static const struct option opts[] = {
        {"work", required_argument, 0, O_WORK}, {"docs", required_argument, 0, O_DOCS},
        {"attrs", required_argument, 0, O_ATTRS}, {"labels", required_argument, 0, O_LABELS},
        {"label-field", required_argument, 0, O_FIELD}, {"skip-unlabelled", no_argument, 0, O_SKIP},
        {"out", required_argument, 0, O_OUT}, {"model", required_argument, 0, O_MODEL},
        {"model-type", required_argument, 0, O_TYPE}, {"folds", required_argument, 0, O_FOLDS},
        {"seed", required_argument, 0, O_SEED}, {"lambda", required_argument, 0, O_LAMBDA},
        {"hash-bits", required_argument, 0, O_BITS}, {"ngrams", required_argument, 0, O_NGRAMS},
        {"max-docs", required_argument, 0, O_MAXDOCS},
        {"max-chars", required_argument, 0, O_MAXCHARS}, {"json", no_argument, 0, O_JSON},
        {"force", no_argument, 0, O_FORCE}, {"char-ngrams", required_argument, 0, O_CHARS},
        {"attr-features", required_argument, 0, O_ATTRF}, {"attr-weight", required_argument, 0, O_ATTRW},
        {"embeddings", required_argument, 0, O_EMB}, {"emb-words", required_argument, 0, O_EMBWORDS},
        {"emb-weight", required_argument, 0, O_EMBW},
        {"quiet", no_argument, 0, 'q'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
    };
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")))
        return cli_help(usage);
    if (argc < 2 || argv[1][0] == '-')
        return cli_usage_error(usage, "distill: expected a subcommand: train, score or eval");
    const char *sub = argv[1];
    if (strcmp(sub, "train") && strcmp(sub, "score") && strcmp(sub, "eval"))
        return cli_usage_error(usage, "distill: unknown subcommand '%s'", sub);
    args a;
    memset(&a, 0, sizeof a);
    int c;
    unsigned long long u;
    opterr = 0;
    optind = 1;
    while ((c = cli_getopt(argc - 1, argv + 1, "qh", opts)) != -1) {
        /* which subcommands take it: checked below (they were ignored silently) */
        if (!a.for_train && (c == O_OUT || c == O_TYPE || c == O_FOLDS || c == O_SEED || c == O_LAMBDA ||
                             c == O_BITS || c == O_NGRAMS || c == O_MAXDOCS || c == O_MAXCHARS || c == O_CHARS ||
                             c == O_ATTRF || c == O_ATTRW))
            a.for_train = cli_option_name(opts, c);
        if (!a.for_labels && (c == O_LABELS || c == O_FIELD || c == O_SKIP || c == O_JSON))
            a.for_labels = cli_option_name(opts, c);
        if (!a.for_model && c == O_MODEL) a.for_model = cli_option_name(opts, c);
        switch (c) {
        case O_WORK: a.work = optarg; break;
        case O_DOCS: a.docs = optarg; break;
        case O_ATTRS: a.attrs = optarg; break;
        case O_LABELS: a.labels = optarg; break;
        case O_FIELD: a.field = optarg; break;
        case O_SKIP: a.skip = 1; break;
        case O_OUT: a.out = optarg; break;
        case O_MODEL: a.model = optarg; break;
        case O_TYPE: a.type = optarg; break;
        case O_LAMBDA: a.lambda = optarg; break;
        case O_JSON: a.json = 1; break;
        case O_FORCE: a.force = 1; break;
        case O_FOLDS:
            if (cli_parse_count(optarg, &u) < 0 || u < 2 || u > 100)
                return cli_usage_error(usage, "distill: --folds wants a count in 2..100, not '%s'", optarg);
            a.folds = (int)u;
            break;
        case O_SEED:
            /* the range a run config's distill.seed takes */
            if (cli_parse_seed(optarg, &a.seed) < 0)
                return cli_usage_error(usage, "distill: --seed '%s': expected a whole number from 0 to %llu",
                                       optarg, CLI_SEED_MAX);
            break;
        case O_BITS:
            if (cli_parse_count(optarg, &u) < 0 || u < 10 || u > 24)
                return cli_usage_error(usage, "distill: --hash-bits wants 10..24, not '%s'", optarg);
            a.bits = (int)u;
            break;
        case O_NGRAMS:
            if (cli_parse_count(optarg, &u) < 0 || u < 1 || u > 2)
                return cli_usage_error(usage, "distill: --ngrams wants 1 or 2, not '%s'", optarg);
            a.ngrams = (int)u;
            break;
        case O_MAXDOCS:
            if (cli_parse_count(optarg, &a.max_docs) < 0 || a.max_docs < 4)
                return cli_usage_error(usage, "distill: --max-docs wants a count of at least 4, not '%s'", optarg);
            break;
        case O_MAXCHARS:
            if (cli_parse_count(optarg, &a.max_chars) < 0 || a.max_chars == 0 || a.max_chars > 1000000000)
                return cli_usage_error(usage, "distill: --max-chars wants a count in 1..1G, not '%s'", optarg);
            break;
        case O_CHARS: {
            unsigned lo = 0, hi = 0;
            char tail = 0;
            if (!strcmp(optarg, "none")) break;
            if (sscanf(optarg, "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1 || hi < lo || hi > 8)
                return cli_usage_error(usage, "distill: --char-ngrams wants A-B within 1..8 (e.g. 3-5) or none, not '%s'",
                                       optarg);
            a.char_min = (int)lo;
            a.char_max = (int)hi;
            break;
        }
        case O_ATTRF:
            if ((a.attr_mode = distill_attrs_parse(optarg)) < 0)
                return cli_usage_error(usage, "distill: --attr-features wants auto, none or all, not '%s'", optarg);
            break;
        case O_ATTRW:
        case O_EMBW:
            if (parse_fraction(optarg, c == O_ATTRW ? &a.attr_weight : &a.emb_weight) < 0)
                return cli_usage_error(usage, "distill: --%s wants a number between 0 and 1, not '%s'",
                                       c == O_ATTRW ? "attr-weight" : "emb-weight", optarg);
            break;
        case O_EMB: a.emb = optarg; break;
        case O_EMBWORDS:
            if (cli_parse_count(optarg, &a.emb_words) < 0 || a.emb_words > 4000000000ull)
                return cli_usage_error(usage, "distill: --emb-words wants a count (0: all), not '%s'", optarg);
            a.emb_words_set = 1;
            break;
        case 'q': a.quiet = 1; break;
        case 'h': return cli_help(usage);
        default: return cli_option_error(usage, "distill", opts, argv + 1, optind); /* getopt ran on argv + 1 */
        }
    }
    if (optind + 1 < argc) return cli_usage_error(usage, "distill: unexpected argument '%s'", argv[optind + 1]);
    if ((!a.work || !*a.work) && (!a.docs || !a.attrs))   /* work_dirs_init would ask for "--out DIR" */
        return cli_usage_error(usage, "distill %s: give --work WORK, or both --docs DIR and --attrs DIR", sub);
    int is_train = !strcmp(sub, "train"), is_eval = !strcmp(sub, "eval");
    if (is_train && !a.out) return cli_usage_error(usage, "distill train: give --out MODEL");
    if (!is_train && !a.model) return cli_usage_error(usage, "distill %s: give --model MODEL", sub);
    if (a.force && strcmp(sub, "score")) return cli_usage_error(usage, "distill %s: --force is for score", sub);
    if (a.for_train && !is_train) return cli_usage_error(usage, "distill %s: --%s is for train", sub, a.for_train);
    if (a.for_labels && !is_train && !is_eval)
        return cli_usage_error(usage, "distill %s: --%s is for train and eval", sub, a.for_labels);
    if (a.for_model && is_train)
        return cli_usage_error(usage, "distill train: --%s is for score and eval (train writes --out)", a.for_model);
    if ((a.emb || a.emb_words_set || a.emb_weight > 0) && !is_train)
        return cli_usage_error(usage, "distill %s: --embeddings, --emb-words and --emb-weight are for train (the model keeps the vectors)", sub);
    if ((a.emb_words_set || a.emb_weight > 0) && !a.emb)
        return cli_usage_error(usage, "distill train: --emb-words and --emb-weight need --embeddings FILE");
    distill_work_opts wo;
    memset(&wo, 0, sizeof wo);
    if (is_train || is_eval) {
        if (!!a.labels + !!a.field != 1)
            return cli_usage_error(usage, "distill %s: give one of --labels SET.KEY or --label-field NAME", sub);
        if (a.labels) {
            const char *dot = strchr(a.labels, '.');
            if (!dot || dot == a.labels || !dot[1] || (size_t)(dot - a.labels) >= sizeof a.set)
                return cli_usage_error(usage, "distill: --labels wants SET.KEY (e.g. edu_llm.score), not '%s'",
                                       a.labels);
            memcpy(a.set, a.labels, (size_t)(dot - a.labels));
            wo.labels.set = a.set;
            wo.labels.key = dot + 1;
        }
        wo.labels.field = a.field;
        wo.labels.skip_unlabelled = a.skip;
    }
    if (cli_check_out_dirs("distill", a.work, a.attrs) || (is_train && cli_check_out_file("distill", a.out)))
        return 1;
    blalm_err e = {{0}};
    work_dirs w;
    if (work_dirs_init(&w, a.work, a.docs, a.attrs, &e) < 0) {
        fprintf(stderr, "blalm distill: %s\n", e.msg);
        return 1;
    }
    if (is_train && check_out_not_input(&a, &w) < 0) return 1;
    wo.dirs = &w;
    wo.attrs = (distill_attrs_mode)a.attr_mode;
    cli_warn_skipped_docs("distill", w.docs);
    return is_train ? run_train(&a, &wo) : run_score_or_eval(sub, &a, &wo);
}
