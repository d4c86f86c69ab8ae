/* distill.h - a local scorer distilled from an LLM's labels (in the manner of FineWeb-Edu's classifier).
 *
 * Features: hashed word unigrams and bigrams (lowercased ASCII, runs of
 * letters/digits/non-ASCII bytes), sublinear TF (1 + ln tf) times IDF
 * (ln((1 + N) / (1 + df)) + 1, from the training documents), each document
 * L2-normalised; optionally byte n-grams (char_min..char_max) in a second
 * hashed block, normalised on their own; and the numeric and boolean keys of
 * the attribute sets `blalm tag` writes (readability, gopher_quality,
 * gopher_repetition, c4, fineweb) when the work dir has them, as dense
 * columns after the hashed ones: log(1 + v) for counts, standardised with
 * the training documents' mean and sd (missing: 0), clipped to +-5, the block
 * weighted to attr_weight of a row's squared norm. Models: ridge regression on the 0-5 label, or multinomial
 * logistic regression over the classes 0-5 (score = expected class), each
 * with an unpenalised intercept. Both are fitted in the dual: the centred
 * kernel K = Xc Xc^T of the training documents is eigendecomposed once per
 * fold with LAPACK (dsyevd), which gives ridge for every lambda in closed
 * form and an exact n-dimensional embedding Z = U S^1/2 (Z Z^T = K) on which
 * the logistic model is fitted by L-BFGS with BLAS. The weights are then
 * turned back into one dense vector per output over the hashed features, so
 * scoring is one sparse dot product per output. With more documents than
 * max_dual (the kernel takes 8 n^2 bytes), ridge is solved in the primal
 * instead, over every document: (Xc^T Xc + lambda I) w = Xc^T (y - ybar) by
 * conjugate gradients (Jacobi preconditioner, the centring implicit); it is
 * the same ridge as the dual's.
 *
 * The model kind, lambda and the decision threshold are chosen by stratified
 * k-fold cross-validation (binary F1 at label >= 3 on out-of-fold
 * predictions). The threshold is folded into the model's offset so that
 * `score >= 2.5` (`int_score >= 3`) is the tuned decision.
 *
 * Model file (little-endian, deterministic: same data and seed, same bytes):
 *   "BLDSTL\r\n" u32 version (3; 2 is read too), u32 header bytes, header
 *   (feature configuration and fit summary, fixed fields), per attribute
 *   feature {u32 name length, name "set.key", u32 log, f64 mean, f64 sd},
 *   float32 idf[H] (H = distill_hashed_dim), float32 w[outputs][H + n_attr],
 *   f64 bias[outputs], (version 3:) the word-vector part {u32 dim (0: none;
 *   then nothing more of it), u32 words, u32 landmarks, u32 rank, f64 gamma,
 *   f64 weight, f64 bias, f64 lambda, u64 word bytes, the words
 *   NUL-terminated, float32 mean[dim], float32 sd[dim], float32
 *   vectors[words][dim], float32 landmarks[landmarks][dim] (standardised),
 *   f64 alpha[landmarks]}, u64 n_seen,
 *   u64 seen[n_seen] (sorted xxh64 of the training texts), u64 xxh64 of all
 *   bytes before it. */
#ifndef BLALM_DISTILL_H
#define BLALM_DISTILL_H

#include <stddef.h>
#include <stdint.h>
#include "lib/err.h"
#include "lib/fsutil.h"
#include "lib/work.h"

#define DISTILL_VERSION 3           /* 2: character n-grams, attribute features; 3: word-vector part */
#define DISTILL_MIN_VERSION 2       /* the oldest model file this build reads */
#define DISTILL_MAX_EMB_DIM 1024    /* longest word vector taken */
#define DISTILL_FEATURES_VERSION 2  /* tokenizer + hashing scheme */
#define DISTILL_MAX_ATTRS 256       /* most attribute features a model may use */
#define DISTILL_CLASSES 6

/* ENSEMBLE: the mean of the best ridge and the best logistic model's scores. */
typedef enum { DISTILL_AUTO = 0, DISTILL_RIDGE = 1, DISTILL_LOGISTIC = 2, DISTILL_ENSEMBLE = 3 } distill_kind;
#define DISTILL_MAX_OUTPUTS (1 + DISTILL_CLASSES)

typedef struct distill_features {
    uint32_t version;     /* DISTILL_FEATURES_VERSION */
    uint32_t hash_bits;   /* 2^hash_bits hashed features, 10..24 */
    uint32_t ngram_max;   /* 1 = words, 2 = words + word bigrams */
    uint32_t min_token;   /* tokens shorter than this (bytes) are skipped */
    uint32_t max_bytes;   /* only the text's first max_bytes bytes (0 = all): what the
                             labelling LLM saw, e.g. score's --max-chars */
    uint32_t char_min, char_max;   /* byte n-grams of the lowercased text (whitespace runs
                                      as one space), char_min..char_max; 0 0 = none. Hashed
                                      into a second block of 2^hash_bits after the words' */
    double attr_weight;   /* the attribute block's share of a row's squared norm
                             (the word and character blocks share the rest equally) */
} distill_features;

/* Hashed feature columns: 2^hash_bits words (+ 2^hash_bits characters). */
size_t distill_hashed_dim(const distill_features *f);

/* Defaults: 2^18 features, words + bigrams, tokens of 2+ bytes, no
 * character n-grams, attribute weight 0.1. */
void distill_features_default(distill_features *f);
/* 0, or -1 with e naming what this build does not support. */
int distill_features_check(const distill_features *f, blalm_err *e);

/* Sparse raw counts of one text: idx ascending, distinct. */
typedef struct distill_counts {
    uint32_t *idx;
    float *cnt;
    size_t n, cap;
    float *dense;      /* scratch: hashed-dim counts, zero between calls */
    size_t dense_dim;
    double *attr;      /* the raw attribute values (NaN: missing), in the model's order;
                          filled by the caller (distill_work.c) */
    uint32_t n_attr, cap_attr;
    float *emb;        /* the text's mean word vector (distill_count_embed), emb_dim long */
    uint32_t emb_dim;
    uint32_t *tmp;     /* scratch for sorting idx */
    size_t cap_tmp;
} distill_counts;
int distill_count_text(const distill_features *f, const char *text, size_t len,
                       distill_counts *out, blalm_err *e);

/* Pre-trained word vectors (GloVe, word2vec or fastText text format:
 * "word v1 ... vd" per line, an optional "count dim" header line), the
 * first max_words of them (0: all). Words are stored ASCII-lowercased, as
 * tokens are looked up: a word that repeats an earlier one so is skipped
 * (the first kept; max_words counts the words kept). A document's vector is
 * the mean of the vectors of its tokens found (the scorer's tokens,
 * ASCII-lowercased, every length); 0 when none is found. Errors name the
 * file and line. */
typedef struct distill_vectors distill_vectors;
distill_vectors *distill_vectors_load(const char *path, uint32_t max_words, blalm_err *e);
void distill_vectors_free(distill_vectors *v);
uint32_t distill_vectors_dim(const distill_vectors *v);
uint32_t distill_vectors_count(const distill_vectors *v);
/* The lines distill_vectors_load skipped as a repeat of a word kept (lowercased). */
uint32_t distill_vectors_repeated(const distill_vectors *v);
/* out[dim] = the mean vector; returns the tokens found. */
size_t distill_vectors_embed(const distill_vectors *v, const char *text, size_t len, float *out);
/* c->emb from the text (its first f->max_bytes bytes, as the counts). */
int distill_count_embed(const distill_vectors *v, const distill_features *f, const char *text,
                        size_t len, distill_counts *c, blalm_err *e);
void distill_counts_free(distill_counts *c);

/* Labelled examples, rows of raw counts (CSR). */
typedef struct distill_examples {
    size_t n, nnz, cap_rows, cap_nnz;
    uint64_t *row;      /* [n + 1] */
    uint32_t *col;      /* [nnz] */
    float *cnt;         /* [nnz] */
    double *label;      /* [n] 0..5, may be fractional */
    uint64_t *text_hash;/* [n] xxh64 of the text */
    uint32_t n_attr;    /* attribute features: names "set.key" and raw values (NaN: missing) */
    char **attr_names;  /* [n_attr] */
    double *attr;       /* [n][n_attr] */
    uint32_t emb_dim;   /* the texts' mean word vectors (0: none) */
    float *emb;         /* [n][emb_dim] */
} distill_examples;
int distill_examples_add(distill_examples *ex, const distill_counts *c, double label,
                         uint64_t text_hash, blalm_err *e);
void distill_examples_free(distill_examples *ex);

typedef struct distill_train_opts {
    distill_features feat;
    distill_kind kind;           /* AUTO: whichever wins the cross-validation */
    int folds;                   /* >= 2 */
    uint64_t seed;               /* fold assignment */
    const double *lambdas;       /* NULL: the built-in grid */
    int n_lambdas;
    size_t max_dual;             /* most documents fitted in the dual (0: 3000); beyond, every
                                    document is used and ridge is solved in the primal by
                                    conjugate gradients (logistic and ensemble are refused) */
    double emb_weight;              /* the word-vector part's weight in the blend (0: chosen by CV) */
    const distill_vectors *vectors; /* the examples' emb come from these: an RBF kernel ridge on the
                                       standardised mean vectors is cross-validated and blended with
                                       the linear model; the model keeps a copy of the vectors */
    void (*progress)(void *ctx, const char *what, int step, int steps);
    void *progress_ctx;
} distill_train_opts;

/* One cross-validated candidate. */
typedef struct distill_candidate {
    distill_kind kind;
    double lambda, lambda2, threshold, f1_at3, mae;   /* lambda2: the ensemble's logistic part */
} distill_candidate;

/* The word-vector part: Nystrom kernel ridge with a Gaussian kernel
 * exp(-gamma |z - l|^2) on the standardised mean vectors z, landmarks l =
 * the training documents (a seeded sample of max_dual beyond that), gamma =
 * 1 / the median squared distance between landmarks; its lambda and its
 * weight in the blend with the linear model chosen by the same folds. */
typedef struct distill_emb_report {
    int on;
    uint32_t dim, words, landmarks, rank;
    double gamma, lambda, weight, linear_f1, f1, mae, threshold, seconds;
    double lambda_f1[8], weight_f1[8];   /* CV F1@3: the part alone per lambda; the blend per weight */
    int n_lambda, n_weight;
} distill_emb_report;

typedef struct distill_train_report {
    size_t docs;                 /* training documents */
    size_t cv_docs;              /* documents in the cross-validation (all of them) */
    distill_candidate cand[65];
    int n_cand, best;
    double seconds_cv, seconds_fit;
    uint64_t cg_steps;           /* primal: conjugate-gradient steps, all solves together */
    distill_emb_report emb;      /* the word-vector part, when the options gave vectors */
} distill_train_report;

typedef struct distill_model distill_model;

/* Cross-validates, then fits the chosen candidate on all examples. Errors:
 * fewer than folds documents, a single class. */
distill_model *distill_train(const distill_examples *ex, const distill_train_opts *o,
                             distill_train_report *rep, blalm_err *e);
/* The chosen model's cross-validated F1@3, MAE and threshold: the blend's when
 * the word-vector part is on, else the best candidate's. */
void distill_report_chosen(const distill_train_report *rep, double *f1_at3, double *mae, double *threshold);

/* Atomic write; deterministic bytes. */
int distill_model_save(const distill_model *m, const char *path, blalm_err *e);
/* Refuses (naming path and offset) a bad magic, version, checksum, feature
 * configuration this build does not know, or truncation. */
distill_model *distill_model_load(const char *path, blalm_err *e);
/* The same from memory (the fuzz harness); name is used in messages. */
distill_model *distill_model_parse(const void *data, size_t len, const char *name, blalm_err *e);
void distill_model_free(distill_model *m);

const distill_features *distill_model_features(const distill_model *m);
distill_kind distill_model_kind(const distill_model *m);
const char *distill_kind_name(distill_kind k);
/* The inverse: "auto", "ridge", "logistic", "ensemble" -> the kind; -1 for anything else. */
int distill_kind_parse(const char *s);
double distill_model_lambda(const distill_model *m);
double distill_model_threshold(const distill_model *m);
/* "distill-ridge-<first 12 hex of the file's checksum>" ("distill-ridge+vectors-..."
 * with a word-vector part), for the model key. */
const char *distill_model_name(const distill_model *m);
/* The model's word vectors (NULL: no word-vector part). */
const distill_vectors *distill_model_vectors(const distill_model *m);
/* 1 when a text with this xxh64 was a training document. */
int distill_model_saw(const distill_model *m, uint64_t text_hash);

/* The model's attribute features: how many, and "set.key" of each. */
uint32_t distill_model_n_attrs(const distill_model *m);
const char *distill_model_attr_name(const distill_model *m, uint32_t i);

/* Score of counts from distill_count_text (model's features), with c->attr
 * holding the model's attribute values when it has any. */
double distill_predict(const distill_model *m, const distill_counts *c);
int distill_int_score(double score);  /* round half up, clipped to 0..5 */
uint64_t distill_text_hash(const char *text, size_t len);

/* Evaluation on labels the model never saw. */
typedef struct distill_metrics {
    size_t n;
    double precision[2], recall[2], f1[2];   /* binary at thresholds 2 and 3 */
    double macro_f1, accuracy, mae, spearman;
    uint64_t confusion[DISTILL_CLASSES][DISTILL_CLASSES];  /* [true][predicted] */
} distill_metrics;
/* label: 0..5 (rounded, clipped); score: model scores. */
void distill_metrics_compute(const double *label, const double *score, size_t n,
                             distill_metrics *m);
/* Spearman rank correlation (average ranks for ties). */
double distill_spearman(const double *a, const double *b, size_t n);

/* ---- the stages over a work directory ---- */

typedef struct distill_label_src {
    const char *field;       /* a key of the document's metadata, e.g. "score", "int_score" */
    const char *set, *key;   /* or an attribute set's key, e.g. edu_llm + score */
    int skip_unlabelled;     /* skip documents without a label instead of failing */
} distill_label_src;

/* Attribute features: which sets' numeric (and boolean) keys to join. */
typedef enum {
    DISTILL_ATTRS_AUTO = 0,  /* train: those of `blalm tag`'s sets that the work dir has */
    DISTILL_ATTRS_NONE = 1,  /* none */
    DISTILL_ATTRS_ALL = 2    /* train: every set `blalm tag` writes; missing ones are an error */
} distill_attrs_mode;
/* "auto", "none", "all" -> the mode; -1 for anything else. */
int distill_attrs_parse(const char *s);

typedef struct distill_work_opts {
    const work_dirs *dirs;          /* docs and attributes roots */
    distill_label_src labels;
    const char *model_path;         /* score: the model file, keyed in the completion markers
                                       (WORK/state/distill_score/edu_local/<stem>.done); NULL: none */
    int force;                      /* score: redo files whose markers say done */
    distill_attrs_mode attrs;       /* train: attribute features */
    const distill_model *model;     /* eval, score: the model (its attribute features) */
    const distill_vectors *vectors; /* train: word vectors for the examples (NULL: none) */
    void (*progress)(void *ctx, uint64_t docs);
    void *progress_ctx;
} distill_work_opts;

typedef struct distill_work_counts {
    uint64_t files, skipped, docs, labelled, unlabelled, dup_id, dup_text, label_conflicts, seen;
    uint64_t hist[DISTILL_CLASSES];
    int stop_signal;   /* distill_score_work failed: SIGINT or SIGTERM stopped it (the caller ends as it would) */
} distill_work_counts;

/* Reads labelled documents, deduplicated by id and by text (first kept;
 * label_conflicts counts the repeats whose label differs from the kept one). */
int distill_collect(const distill_work_opts *o, const distill_features *f,
                    distill_examples *ex, distill_work_counts *n, blalm_err *e);

/* Writes the attribute set edu_local (score, int_score, model) for every
 * document file, atomically, line-aligned, with its record (config
 * "distill <model name>"). With a state directory and o->model_path, a file
 * whose completion marker holds the same key (the document file's and the
 * model file's identities, the model's name) and whose record is current is
 * skipped (n->skipped); otherwise it is redone and its marker committed
 * last. */
int distill_score_work(const distill_work_opts *o, const distill_model *m,
                       distill_work_counts *n, blalm_err *e);

/* Scores labelled documents; training documents (by text) are left out and
 * counted in n->seen. */
int distill_eval_work(const distill_work_opts *o, const distill_model *m,
                      distill_metrics *met, distill_work_counts *n, blalm_err *e);

#endif
