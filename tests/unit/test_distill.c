/* test_distill.c - the distilled scorer: features, metrics, training, the
 * model file. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "scorer/distill.h"
#include "test.h"

TEST(int_score_rounds_half_up_and_clips)
{
    CHECK_EQ_INT(distill_int_score(-3.0), 0);
    CHECK_EQ_INT(distill_int_score(0.49), 0);
    CHECK_EQ_INT(distill_int_score(0.5), 1);
    CHECK_EQ_INT(distill_int_score(2.4999), 2);
    CHECK_EQ_INT(distill_int_score(2.5), 3);
    CHECK_EQ_INT(distill_int_score(4.5), 5);
    CHECK_EQ_INT(distill_int_score(17.0), 5);
    CHECK_EQ_INT(distill_int_score(NAN), 0);
}

TEST(counts_words_and_bigrams)
{
    distill_features f;
    distill_features_default(&f);
    distill_counts c = {0};
    blalm_err e;
    /* "a" is below min_token 2 and does not break the bigram "the the" ... */
    const char *t = "The THE a cat. the";
    CHECK(distill_count_text(&f, t, strlen(t), &c, &e) == 0);
    float total = 0;
    for (size_t i = 0; i < c.n; i++) total += c.cnt[i];
    /* unigrams: the x3, cat; bigrams: the-the, the-cat, cat-the */
    CHECK_EQ_INT((long long)total, 7);
    CHECK_EQ_INT(c.n, 5);
    for (size_t i = 1; i < c.n; i++) CHECK(c.idx[i - 1] < c.idx[i]);
    float maxc = 0;
    for (size_t i = 0; i < c.n; i++) maxc = c.cnt[i] > maxc ? c.cnt[i] : maxc;
    CHECK_EQ_INT((long long)maxc, 3);
    /* only the first 7 bytes: "The THE" -> the x2, the-the */
    f.max_bytes = 7;
    CHECK(distill_count_text(&f, t, strlen(t), &c, &e) == 0);
    CHECK_EQ_INT(c.n, 2);
    f.max_bytes = 0;
    /* words only */
    f.ngram_max = 1;
    CHECK(distill_count_text(&f, t, strlen(t), &c, &e) == 0);
    CHECK_EQ_INT(c.n, 2);
    /* the scratch is clean between calls: same text, same counts */
    distill_counts d = {0};
    CHECK(distill_count_text(&f, t, strlen(t), &d, &e) == 0);
    CHECK(d.n == c.n && !memcmp(d.idx, c.idx, c.n * 4) && !memcmp(d.cnt, c.cnt, c.n * 4));
    CHECK(distill_count_text(&f, "", 0, &d, &e) == 0);
    CHECK_EQ_INT(d.n, 0);
    distill_counts_free(&c);
    distill_counts_free(&d);
}

/* Long texts (the radix sort of the indices): ascending and distinct, every
 * token and bigram counted once, for each hash size and both blocks. */
TEST(counts_long_texts_sorted)
{
    static const int bits[] = {10, 18, 24};
    for (int b = 0; b < 3; b++)
        for (int chars = 0; chars < 2; chars++) {
            distill_features f;
            distill_features_default(&f);
            f.hash_bits = (uint32_t)bits[b];
            if (chars) f.char_min = 3, f.char_max = 4;
            char text[40000];
            size_t len = 0;
            uint64_t x = 12345;
            int words = 3000;
            for (int w = 0; w < words; w++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                len += (size_t)snprintf(text + len, sizeof text - len, "w%llu ", (unsigned long long)(x >> 54));
            }
            distill_counts c = {0};
            blalm_err e;
            CHECK(distill_count_text(&f, text, len, &c, &e) == 0);
            CHECK(c.n > 64);
            float total = 0;
            for (size_t i = 0; i < c.n; i++) total += c.cnt[i];
            for (size_t i = 1; i < c.n; i++) CHECK_MSG(c.idx[i - 1] < c.idx[i], "bits %d, at %zu", bits[b], i);
            CHECK(c.idx[c.n - 1] < distill_hashed_dim(&f));
            if (!chars) CHECK_EQ_INT((long long)total, 2 * words - 1);
            distill_counts_free(&c);
        }
}

TEST(counts_char_ngrams)
{
    distill_features f;
    distill_features_default(&f);
    f.hash_bits = 16;
    f.char_min = 2;
    f.char_max = 3;
    distill_counts c = {0}, d = {0};
    blalm_err e;
    const uint32_t base = 1u << 16;
    CHECK_EQ_INT(distill_hashed_dim(&f), 2 * base);
    /* "ab c": the word "ab" ("c" is below min_token); bytes a b ' ' c:
     * 2-grams ab, "b ", " c"; 3-grams "ab ", "b c" */
    const char *t = "ab c";
    CHECK(distill_count_text(&f, t, strlen(t), &c, &e) == 0);
    float words = 0, chars = 0;
    for (size_t i = 0; i < c.n; i++) *(c.idx[i] < base ? &words : &chars) += c.cnt[i];
    CHECK_EQ_INT((long long)words, 1);
    CHECK_EQ_INT((long long)chars, 5);
    for (size_t i = 1; i < c.n; i++) CHECK(c.idx[i - 1] < c.idx[i]);
    /* case and whitespace runs do not matter */
    const char *u = "AB \t\n C";
    CHECK(distill_count_text(&f, u, strlen(u), &d, &e) == 0);
    CHECK(d.n == c.n && !memcmp(d.idx, c.idx, c.n * 4) && !memcmp(d.cnt, c.cnt, c.n * 4));
    /* a repeated n-gram is counted */
    const char *r = "xxxx";   /* word xxxx; 2-gram xx x3, 3-gram xxx x2 */
    CHECK(distill_count_text(&f, r, strlen(r), &c, &e) == 0);
    CHECK_EQ_INT(c.n, 3);
    f.char_min = 4;
    CHECK(distill_features_check(&f, &e) < 0);
    CHECK_CONTAINS(e.msg, "character n-grams 4..3");
    distill_counts_free(&c);
    distill_counts_free(&d);
}

TEST(features_check_refuses_unknown)
{
    distill_features f;
    distill_features_default(&f);
    blalm_err e;
    CHECK(distill_features_check(&f, &e) == 0);
    f.version = 9;
    CHECK(distill_features_check(&f, &e) < 0);
    CHECK_CONTAINS(e.msg, "version 9");
    distill_features_default(&f);
    f.hash_bits = 30;
    CHECK(distill_features_check(&f, &e) < 0);
    CHECK_CONTAINS(e.msg, "hash_bits 30");
}

TEST(spearman_with_ties)
{
    /* Pearson of the average ranks (numpy): 29/38 */
    double a[] = {1, 2, 2, 3, 5}, b[] = {2, 1, 3, 3, 4};
    CHECK_NEAR(distill_spearman(a, b, 5), 29.0 / 38.0, 1e-12);
    double c[] = {3, 2, 1};
    double d[] = {1, 2, 3};
    CHECK_NEAR(distill_spearman(c, d, 3), -1.0, 1e-12);
    double k[] = {1, 1, 1};
    CHECK(isnan(distill_spearman(k, d, 3)));
}

TEST(metrics_by_hand)
{
    /* labels  0 1 2 3 4 5 3 2 ; scores round to 0 2 2 2 4 5 3 3 */
    double label[] = {0, 1, 2, 3, 4, 5, 3, 2};
    double score[] = {0.1, 1.6, 2.2, 2.4, 4.0, 5.3, 3.0, 2.6};
    distill_metrics m;
    distill_metrics_compute(label, score, 8, &m);
    CHECK_EQ_INT(m.n, 8);
    CHECK_EQ_INT(m.confusion[1][2], 1);
    CHECK_EQ_INT(m.confusion[3][2], 1);
    CHECK_EQ_INT(m.confusion[2][3], 1);
    CHECK_NEAR(m.accuracy, 5.0 / 8, 1e-12);
    /* at 3: true {3,4,5,3}, predicted {4,5,3(idx6),3(idx7)}: tp 3, fp 1, fn 1 */
    CHECK_NEAR(m.precision[1], 0.75, 1e-12);
    CHECK_NEAR(m.recall[1], 0.75, 1e-12);
    CHECK_NEAR(m.f1[1], 0.75, 1e-12);
    /* at 2: true {2,3,4,5,3,2} (6), predicted {1->2,2,3->2,4,5,3,2->3} (7): tp 6, fp 1 */
    CHECK_NEAR(m.precision[0], 6.0 / 7, 1e-12);
    CHECK_NEAR(m.recall[0], 1.0, 1e-12);
    double mae = (0.1 + 0.6 + 0.2 + 0.6 + 0 + 0 + 0 + 0.6) / 8;  /* 5.3 clipped to 5 */
    CHECK_NEAR(m.mae, mae, 1e-12);
    /* per class F1: 0:1, 1:0, 2: tp1 row2 col3 -> 0.4, 3: tp1 row2 col2 -> .5, 4:1, 5:1 */
    CHECK_NEAR(m.macro_f1, (1 + 0 + 0.4 + 0.5 + 1 + 1) / 6.0, 1e-12);
}

/* Synthetic labelled examples: class-specific words decide the label. */
static void make_examples(distill_examples *ex, const distill_features *f, int n, int one_class)
{
    distill_counts c = {0};
    blalm_err e;
    char text[4096];
    uint64_t s = 12345;
    for (int i = 0; i < n; i++) {
        int label = one_class ? 2 : i % 6;
        size_t len = 0;
        for (int w = 0; w < 60; w++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned r = (unsigned)(s >> 33);
            int k = r % 3 == 0 ? (int)(r / 3 % 6) : label;
            len += (size_t)snprintf(text + len, sizeof text - len, "w%dx%u ", k, r / 18 % 20);
        }
        len += (size_t)snprintf(text + len, sizeof text - len, "doc%d", i);
        if (distill_count_text(f, text, len, &c, &e) < 0 ||
            distill_examples_add(ex, &c, label, distill_text_hash(text, len), &e) < 0)
            abort();
    }
    distill_counts_free(&c);
}

/* A model trained on 120 made-up examples (2^14 features, seed 3). */
static distill_model *train_small(distill_examples *ex, int folds, distill_features *f, distill_train_opts *o,
                                  distill_train_report *rep, blalm_err *e)
{
    distill_features_default(f);
    f->hash_bits = 14;
    make_examples(ex, f, 120, 0);
    memset(o, 0, sizeof *o);
    o->feat = *f;
    o->folds = folds;
    o->seed = 3;
    return distill_train(ex, o, rep, e);
}

TEST(train_save_load_predict)
{
    distill_features f;
    distill_examples ex = {0};
    distill_train_opts o;
    distill_train_report rep;
    blalm_err e = {{0}};
    distill_model *m = train_small(&ex, 4, &f, &o, &rep, &e);
    CHECK_MSG(m != NULL, "%s", e.msg);
    CHECK_EQ_INT(rep.docs, 120);
    CHECK_EQ_INT(rep.n_cand, 8);
    CHECK_MSG(rep.cand[rep.best].f1_at3 > 0.9, "cv f1 %g", rep.cand[rep.best].f1_at3);
    char dir[] = "/tmp/blalm-distill-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p1[256], p2[256];
    snprintf(p1, sizeof p1, "%s/a.bin", dir);
    snprintf(p2, sizeof p2, "%s/b.bin", dir);
    CHECK(distill_model_save(m, p1, &e) == 0);
    distill_model *m2 = distill_train(&ex, &o, &rep, &e);
    CHECK(m2 != NULL);
    CHECK(distill_model_save(m2, p2, &e) == 0);
    char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    CHECK(read_file(p1, &a, &la, &e) == 0 && read_file(p2, &b, &lb, &e) == 0);
    CHECK_MSG(la == lb && !memcmp(a, b, la), "two trainings differ");
    distill_model *l = distill_model_load(p1, &e);
    CHECK_MSG(l != NULL, "%s", e.msg);
    CHECK_EQ_STR(distill_model_name(l), distill_model_name(m));
    /* the loaded model scores exactly like the trained one; training texts are known */
    distill_counts c = {0};
    const char *t = "w4x1 w4x2 w4x3 w4x7 w4x9 w4x11 w1x2";
    CHECK(distill_count_text(&f, t, strlen(t), &c, &e) == 0);
    CHECK(distill_predict(l, &c) == distill_predict(m, &c));
    CHECK_MSG(distill_int_score(distill_predict(l, &c)) >= 3, "score %g", distill_predict(l, &c));
    CHECK(distill_model_saw(l, ex.text_hash[17]));
    CHECK(!distill_model_saw(l, 42));
    /* every single-byte corruption and every truncation is refused */
    for (size_t off = 0; off < la; off += la / 97 + 1) {
        a[off] ^= 0x20;
        distill_model *bad = distill_model_parse(a, la, "x.bin", &e);
        CHECK_MSG(bad == NULL, "corruption at %zu accepted", off);
        CHECK_CONTAINS(e.msg, "x.bin");
        a[off] ^= 0x20;
    }
    for (size_t len = 0; len < la; len += la / 31 + 1) {
        distill_model *bad = distill_model_parse(a, len, "x.bin", &e);
        CHECK_MSG(bad == NULL, "truncation to %zu accepted", len);
    }
    distill_counts_free(&c);
    free(a);
    free(b);
    unlink(p1);
    unlink(p2);
    rmdir(dir);
    distill_model_free(l);
    distill_model_free(m);
    distill_model_free(m2);
    distill_examples_free(&ex);
}

/* Beyond max_dual every document is used and ridge is solved in the primal
 * by conjugate gradients: the same model as the dual's, to solver tolerance. */
TEST(primal_ridge_equals_dual)
{
    distill_features f;
    distill_features_default(&f);
    f.hash_bits = 12;
    distill_examples ex = {0};
    make_examples(&ex, &f, 150, 0);
    static const double lambdas[] = {0.3, 1.0};
    distill_train_opts o;
    memset(&o, 0, sizeof o);
    o.feat = f;
    o.folds = 3;
    o.seed = 9;
    o.kind = DISTILL_RIDGE;
    o.lambdas = lambdas;
    o.n_lambdas = 2;
    distill_train_report rd, rp, rp2;
    blalm_err e = {{0}};
    distill_model *d = distill_train(&ex, &o, &rd, &e);
    CHECK_MSG(d != NULL, "%s", e.msg);
    o.max_dual = 40;
    distill_model *p = distill_train(&ex, &o, &rp, &e);
    CHECK_MSG(p != NULL, "%s", e.msg);
    distill_model *p2 = distill_train(&ex, &o, &rp2, &e);
    CHECK(p2 != NULL);
    CHECK_EQ_INT(rp.docs, 150);
    CHECK_EQ_INT(rp.cv_docs, 150);
    CHECK_EQ_INT(rp.n_cand, 2);
    /* the primal tries the strongest lambda first */
    CHECK(rp.cand[0].lambda == 1.0 && rp.cand[1].lambda == 0.3);
    for (int c = 0; c < 2; c++) {
        CHECK_NEAR(rp.cand[c].mae, rd.cand[1 - c].mae, 1e-5);
        CHECK_NEAR(rp.cand[c].f1_at3, rd.cand[1 - c].f1_at3, 1e-12);
    }
    CHECK(distill_model_lambda(p) == distill_model_lambda(d));
    distill_counts c = {0};
    double maxdiff = 0, lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < 60; i++) {
        char t[64];
        int n = snprintf(t, sizeof t, "w%dx%d w%dx%d w%dx%d doc%d", i % 6, i % 20, i % 6, (i + 3) % 20,
                         (i + 1) % 6, i % 7, i);
        CHECK(distill_count_text(&f, t, (size_t)n, &c, &e) == 0);
        double a = distill_predict(d, &c), b = distill_predict(p, &c);
        maxdiff = fmax(maxdiff, fabs(a - b));
        lo = fmin(lo, a);
        hi = fmax(hi, a);
        CHECK(distill_predict(p2, &c) == b);   /* deterministic */
    }
    CHECK_MSG(maxdiff < 1e-4, "primal vs dual: %g", maxdiff);
    CHECK_MSG(hi - lo > 1, "scores do not vary: %g..%g", lo, hi);
    /* logistic is not fitted in the primal: refused with a message */
    o.kind = DISTILL_LOGISTIC;
    CHECK(distill_train(&ex, &o, &rp, &e) == NULL);
    CHECK_CONTAINS(e.msg, "more than --max-docs 40");
    distill_counts_free(&c);
    distill_model_free(d);
    distill_model_free(p);
    distill_model_free(p2);
    distill_examples_free(&ex);
}

/* Attribute features: an attribute that carries the label is learnt, the
 * model keeps the names and the standardisation, round-trips, and scores a
 * missing value as the mean; the primal gives the same model as the dual. */
TEST(attribute_features)
{
    distill_features f;
    distill_features_default(&f);
    f.hash_bits = 12;
    f.attr_weight = 0.5;
    distill_examples ex = {0};
    ex.n_attr = 2;
    ex.attr_names = calloc(2, sizeof *ex.attr_names);
    ex.attr_names[0] = strdup("readability.words");
    ex.attr_names[1] = strdup("fineweb.list_ratio");
    distill_counts c = {0};
    blalm_err e = {{0}};
    uint64_t s = 99;
    c.attr = calloc(2, sizeof *c.attr);
    c.n_attr = c.cap_attr = 2;
    for (int i = 0; i < 180; i++) {
        int label = i % 6;
        char text[512];
        size_t len = 0;
        for (int w = 0; w < 30; w++) {   /* words that say nothing about the label */
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            len += (size_t)snprintf(text + len, sizeof text - len, "z%u ", (unsigned)(s >> 33) % 50);
        }
        len += (size_t)snprintf(text + len, sizeof text - len, "doc%d", i);
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        c.attr[0] = 40.0 * exp(label + 0.3 * ((double)(s >> 40) / (1 << 24) - 0.5));   /* counts: log */
        c.attr[1] = i % 7 == 0 ? NAN : 0.1;
        if (distill_count_text(&f, text, len, &c, &e) < 0 ||
            distill_examples_add(&ex, &c, label, distill_text_hash(text, len), &e) < 0)
            abort();
    }
    distill_train_opts o;
    memset(&o, 0, sizeof o);
    o.feat = f;
    o.folds = 3;
    o.kind = DISTILL_RIDGE;
    distill_train_report rep;
    distill_model *m = distill_train(&ex, &o, &rep, &e);
    CHECK_MSG(m != NULL, "%s", e.msg);
    CHECK_MSG(rep.cand[rep.best].f1_at3 > 0.95, "cv f1 %g", rep.cand[rep.best].f1_at3);
    CHECK_EQ_INT(distill_model_n_attrs(m), 2);
    CHECK_EQ_STR(distill_model_attr_name(m, 0), "readability.words");
    CHECK_EQ_STR(distill_model_attr_name(m, 1), "fineweb.list_ratio");
    char dir[] = "/tmp/blalm-distill-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p1[256];
    snprintf(p1, sizeof p1, "%s/a.bin", dir);
    CHECK(distill_model_save(m, p1, &e) == 0);
    distill_model *l = distill_model_load(p1, &e);
    CHECK_MSG(l != NULL, "%s", e.msg);
    CHECK_EQ_STR(distill_model_attr_name(l, 1), "fineweb.list_ratio");
    const char *t = "z1 z2 z3 new";
    CHECK(distill_count_text(&f, t, strlen(t), &c, &e) == 0);
    c.attr[1] = 0.1;
    c.attr[0] = 40.0 * exp(5.0);
    double hi = distill_predict(l, &c);
    CHECK(hi == distill_predict(m, &c));
    c.attr[0] = 40.0;
    double lo = distill_predict(l, &c);
    CHECK_MSG(hi > 3.5 && lo < 1.5, "attribute not learnt: %g %g", lo, hi);
    c.attr[0] = NAN;   /* missing: the training mean, in between */
    double mid = distill_predict(l, &c);
    CHECK_MSG(mid > lo && mid < hi, "missing value: %g", mid);
    /* the primal (beyond max_dual) learns the same model */
    static const double lam[] = {0.3};
    o.lambdas = lam;
    o.n_lambdas = 1;
    distill_model *d = distill_train(&ex, &o, &rep, &e);
    o.max_dual = 50;
    distill_model *p = distill_train(&ex, &o, &rep, &e);
    CHECK_MSG(d && p, "%s", e.msg);
    c.attr[0] = 40.0 * exp(3.0);
    CHECK_NEAR(distill_predict(d, &c), distill_predict(p, &c), 1e-4);
    distill_counts_free(&c);
    unlink(p1);
    rmdir(dir);
    distill_model_free(d);
    distill_model_free(p);
    distill_model_free(l);
    distill_model_free(m);
    distill_examples_free(&ex);
}

TEST(train_refuses_single_class_and_too_few)
{
    distill_features f;
    distill_features_default(&f);
    f.hash_bits = 12;
    distill_examples ex = {0};
    make_examples(&ex, &f, 40, 1);
    distill_train_opts o;
    memset(&o, 0, sizeof o);
    o.feat = f;
    o.folds = 5;
    distill_train_report rep;
    blalm_err e;
    CHECK(distill_train(&ex, &o, &rep, &e) == NULL);
    CHECK_CONTAINS(e.msg, "all 40 labelled documents have label 2");
    distill_examples_free(&ex);
    make_examples(&ex, &f, 7, 0);
    CHECK(distill_train(&ex, &o, &rep, &e) == NULL);
    CHECK_CONTAINS(e.msg, "too few");
    distill_examples_free(&ex);
}

/* Word vectors: the text file (word2vec header skipped, a repeated word keeps
 * its first vector and is not stored again, max_words), and a text's mean
 * vector over the words found (ASCII-lowercased tokens). */
TEST(word_vectors)
{
    char dir[] = "/tmp/blalm-vec-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p[256];
    snprintf(p, sizeof p, "%s/v.txt", dir);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    fputs("4 2\nhello 1 2\nworld 3 -4\nhello 9 9\ncaf\xc3\xa9 0.5 0.25\n", f);
    fclose(f);
    blalm_err e = {{0}};
    distill_vectors *v = distill_vectors_load(p, 0, &e);
    CHECK_MSG(v != NULL, "%s", e.msg);
    CHECK_EQ_INT(distill_vectors_dim(v), 2);
    CHECK_EQ_INT(distill_vectors_count(v), 3);
    CHECK_EQ_INT(distill_vectors_repeated(v), 1);
    float out[2];
    const char *t = "Hello, WORLD! unknown hello-hello";
    CHECK_EQ_INT(distill_vectors_embed(v, t, strlen(t), out), 4);
    CHECK_NEAR(out[0], (1 + 3 + 1 + 1) / 4.0, 1e-6);
    CHECK_NEAR(out[1], (2 - 4 + 2 + 2) / 4.0, 1e-6);
    t = "Caf\xc3\xa9 au lait";
    CHECK_EQ_INT(distill_vectors_embed(v, t, strlen(t), out), 1);
    CHECK_NEAR(out[0], 0.5, 1e-6);
    CHECK_EQ_INT(distill_vectors_embed(v, "nothing known", 13, out), 0);
    CHECK(out[0] == 0 && out[1] == 0);
    /* the counts take the first max_bytes of the text, as the hashed features do */
    distill_features ft;
    distill_features_default(&ft);
    ft.max_bytes = 6;
    distill_counts c = {0};
    t = "world hello hello";
    CHECK(distill_count_embed(v, &ft, t, strlen(t), &c, &e) == 0);
    CHECK_EQ_INT(c.emb_dim, 2);
    CHECK_NEAR(c.emb[0], 3, 1e-6);
    /* cut at a character boundary, as the counts are: "caf" of "café", not "caf\xc3" */
    char p2[256];
    snprintf(p2, sizeof p2, "%s/c.txt", dir);
    f = fopen(p2, "w");
    fputs("caf 7 8\n", f);
    fclose(f);
    distill_vectors *w = distill_vectors_load(p2, 0, &e);
    CHECK_MSG(w != NULL, "%s", e.msg);
    ft.max_bytes = 4;
    t = "caf\xc3\xa9 x";
    CHECK(distill_count_embed(w, &ft, t, strlen(t), &c, &e) == 0);
    CHECK_NEAR(c.emb[0], 7, 1e-6);
    distill_vectors_free(w);
    unlink(p2);
    distill_counts_free(&c);
    distill_vectors_free(v);
    v = distill_vectors_load(p, 1, &e);
    CHECK(v != NULL && distill_vectors_count(v) == 1);
    distill_vectors_free(v);
    /* bad files: named with the line */
    f = fopen(p, "w");
    fputs("a 1 2\nb 1 2 3\n", f);
    fclose(f);
    CHECK(distill_vectors_load(p, 0, &e) == NULL);
    CHECK_CONTAINS(e.msg, "v.txt:2: 3 numbers after the word 'b', expected 2");
    f = fopen(p, "w");
    fputs("a 1 inf\n", f);
    fclose(f);
    CHECK(distill_vectors_load(p, 0, &e) == NULL);
    CHECK_CONTAINS(e.msg, "v.txt:1: number 2 of word 'a' is not a finite number");
    /* finite but too large: the limit named (it said "not a finite number") */
    f = fopen(p, "w");
    fputs("a 1 -3e38\n", f);
    fclose(f);
    CHECK(distill_vectors_load(p, 0, &e) == NULL);
    CHECK_CONTAINS(e.msg, "v.txt:1: number 2 of word 'a' is -3e38, beyond the limit of 1e30 in magnitude");
    f = fopen(p, "w");
    fputs("a 1\n", f);
    fclose(f);
    CHECK(distill_vectors_load(p, 0, &e) == NULL);
    CHECK_CONTAINS(e.msg, "v.txt:1: 1 number(s) after the word");
    unlink(p);
    rmdir(dir);
}

/* A cased file (fastText, word2vec GoogleNews): words are stored
 * ASCII-lowercased, as tokens are looked up, so "The" and "CAT" match; a
 * word that repeats a kept one once lowercased is skipped (the first line
 * wins) and takes no max_words slot. Before, "The" and "CAT" were stored as
 * written, never matched, and took slots. */
TEST(word_vectors_cased_file)
{
    char dir[] = "/tmp/blalm-vec-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p[256];
    snprintf(p, sizeof p, "%s/cased.txt", dir);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    fputs("6 2\nThe 0.1 0.2\nthe 5 5\nCAT 1 2\nTHE 7 7\nCaf\xc3\xa9 3 4\nDog 2 4\n", f);
    fclose(f);
    blalm_err e = {{0}};
    distill_vectors *v = distill_vectors_load(p, 0, &e);
    CHECK_MSG(v != NULL, "%s", e.msg);
    CHECK_EQ_INT(distill_vectors_count(v), 4);
    CHECK_EQ_INT(distill_vectors_repeated(v), 2);
    float out[2];
    const char *t = "the Cat THE";
    CHECK_EQ_INT(distill_vectors_embed(v, t, strlen(t), out), 3);
    CHECK_NEAR(out[0], (0.1 + 1 + 0.1) / 3.0, 1e-6);
    CHECK_NEAR(out[1], (0.2 + 2 + 0.2) / 3.0, 1e-6);
    t = "caf\xc3\xa9";   /* lowercased ASCII only: \xc3\xa9 as written */
    CHECK_EQ_INT(distill_vectors_embed(v, t, strlen(t), out), 1);
    CHECK_NEAR(out[0], 3, 1e-6);
    distill_vectors_free(v);
    /* max_words counts the words kept: the repeats take no slot */
    v = distill_vectors_load(p, 3, &e);
    CHECK_MSG(v != NULL, "%s", e.msg);
    CHECK_EQ_INT(distill_vectors_count(v), 3);
    CHECK_EQ_INT(distill_vectors_repeated(v), 2);
    t = "cafe caf\xc3\xa9 dog";
    CHECK_EQ_INT(distill_vectors_embed(v, t, strlen(t), out), 1);
    distill_vectors_free(v);
    unlink(p);
    rmdir(dir);
}

/* distill score and SIGTERM (sig_stop_install, as train): the first one
 * stops the loop cleanly, a second one ends the process at once (it was
 * swallowed), and one ignored at the start (nohup) stays ignored. Each case
 * in a child process that raises the signal itself, mid-file. */
static int sig_raises;
static void raise_term(void *ctx, uint64_t docs)
{
    (void)ctx;
    if (docs == 3)
        for (int i = 0; i < sig_raises; i++) raise(SIGTERM);
}

static int score_child(const char *work, const distill_model *m, int raises, int ignore)
{
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (ignore) signal(SIGTERM, SIG_IGN);
        blalm_err e = {{0}};
        work_dirs w;
        if (work_dirs_init(&w, work, NULL, NULL, &e) < 0) _exit(5);
        distill_work_opts o;
        memset(&o, 0, sizeof o);
        o.dirs = &w;
        o.model = m;
        o.progress = raise_term;
        sig_raises = raises;
        distill_work_counts n;
        int rc = distill_score_work(&o, m, &n, &e);
        if (rc == 0) _exit(n.docs == 50 ? 0 : 6);
        _exit(n.stop_signal == SIGTERM && strstr(e.msg, "a.jsonl.zst was not written") ? 3 : 4);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) return -1;
    return st;
}

TEST(score_signals)
{
    distill_features f;
    distill_examples ex = {0};
    distill_train_opts o;
    distill_train_report rep;
    blalm_err e = {{0}};
    distill_model *m = train_small(&ex, 2, &f, &o, &rep, &e);
    CHECK_MSG(m != NULL, "%s", e.msg);
    char *work = path_in_tmp("sigwork"), *docs = path_in_tmp("sigwork/docs/s/a.jsonl");
    CHECK(mkdir_parent(docs, &e) == 0);
    FILE *fp = fopen(docs, "w");
    CHECK(fp != NULL);
    for (int i = 0; i < 50; i++) fprintf(fp, "{\"id\": \"d%d\", \"text\": \"w4x1 w4x2 doc %d\"}\n", i, i);
    fclose(fp);
    fflush(NULL);
    int st = score_child(work, m, 1, 0);   /* one: the loop stops, the file is named */
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 3, "one SIGTERM: status 0x%x", st);
    st = score_child(work, m, 2, 0);   /* two: the second one ends it */
    CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "two SIGTERMs: status 0x%x", st);
    st = score_child(work, m, 2, 1);   /* ignored: the file is scored whole */
    CHECK_MSG(WIFEXITED(st) && WEXITSTATUS(st) == 0, "ignored SIGTERM: status 0x%x", st);
    distill_model_free(m);
    distill_examples_free(&ex);
}

int main(void)
{
    RUN(int_score_rounds_half_up_and_clips);
    RUN(counts_words_and_bigrams);
    RUN(counts_long_texts_sorted);
    RUN(counts_char_ngrams);
    RUN(features_check_refuses_unknown);
    RUN(spearman_with_ties);
    RUN(metrics_by_hand);
    RUN(train_save_load_predict);
    RUN(primal_ridge_equals_dual);
    RUN(attribute_features);
    RUN(train_refuses_single_class_and_too_few);
    RUN(word_vectors);
    RUN(word_vectors_cased_file);
    RUN(score_signals);
    return test_summary();
}
