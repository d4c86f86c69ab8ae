/* test_eval.c - blalm eval's scoring rules and statistics.
 *
 * The hand-made cases run the whole eval_run path on a model whose every
 * log-probability is known: all weights zero, so every next-token
 * distribution is uniform and each scored token adds exactly -ln V. A
 * candidate's score then counts its scored tokens, which checks the
 * first-token rule (a one-token sentence scores 0), ties (equal counts count
 * as correct) and the overlap rule (a token that starts before the
 * completion but ends inside it is scored). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"
#include "lib/fsutil.h"
#include "trainer/eval.h"
#include "trainer/model.h"
#include "trainer/tokenizer.h"
#include "trainer/train.h"

TEST(first_scored_skips_token_zero_and_uses_overlap)
{
    size_t ends[] = {3, 5, 9, 12}; /* token t covers [ends[t-1], ends[t]) */
    CHECK_EQ_INT(eval_first_scored(ends, 4, 0), 1);  /* whole sentence: never token 0 */
    CHECK_EQ_INT(eval_first_scored(ends, 4, 4), 1);  /* token 1 = [3,5) overlaps [4,..) */
    CHECK_EQ_INT(eval_first_scored(ends, 4, 5), 2);  /* token 1 ends at 5: no overlap */
    CHECK_EQ_INT(eval_first_scored(ends, 4, 11), 3);
    CHECK_EQ_INT(eval_first_scored(ends, 4, 12), 4); /* empty completion: nothing */
    CHECK_EQ_INT(eval_first_scored(ends, 1, 0), 1);
}

TEST(sum_and_ties)
{
    double lp[] = {-100, -1, -2, -3};
    CHECK_NEAR(eval_sum_from(lp, 4, 0), -6, 0); /* lp[0] never counts */
    CHECK_NEAR(eval_sum_from(lp, 4, 2), -5, 0);
    double s1[] = {-3, -3}, s2[] = {-3, -2}, s3[] = {-1, -4, -1, 0, 0};
    CHECK_EQ_INT(eval_choose(s1, 2), 0); /* a tie is correct */
    CHECK_EQ_INT(eval_choose(s2, 2), 1);
    CHECK_EQ_INT(eval_choose(s3, 5), 3); /* first maximum */
}

TEST(log_softmax_matches_double_reference)
{
    uint64_t s = 12345;
    enum { V = 16384 };
    static float row[V];
    for (int trial = 0; trial < 20; trial++) {
        double scale = trial < 10 ? 3.0 : 40.0; /* wide logits push exp to underflow */
        for (int v = 0; v < V; v++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            row[v] = (float)(((double)(s >> 11) / 9007199254740992.0 - 0.5) * 2 * scale);
        }
        double mx = row[0], sum = 0;
        for (int v = 1; v < V; v++) mx = fmax(mx, row[v]);
        for (int v = 0; v < V; v++) sum += exp((double)row[v] - mx);
        for (int t = 0; t < V; t += 4097) {
            double ref = row[t] - mx - log(sum);
            CHECK_NEAR(eval_log_softmax_at(row, V, t), ref, 2e-6);
        }
    }
}

/* The head's online log-sum-exp, tile by tile, against the whole row at
 * once (the reference path's eval_log_softmax_at) and a double reference,
 * with the maximum in the first, a middle and the last tile, tiles that do
 * not divide the row, and tiles of one logit. */
TEST(lse_fold_matches_whole_row)
{
    uint64_t s = 987654321;
    enum { V = 16384 };
    static float row[V];
    int tiles[] = {1024, 1000, 4096, V, 1, 7};
    for (int trial = 0; trial < 12; trial++) {
        double scale = trial % 2 ? 40.0 : 3.0;
        for (int v = 0; v < V; v++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            row[v] = (float)(((double)(s >> 11) / 9007199254740992.0 - 0.5) * 2 * scale);
        }
        int peak = trial % 3 == 0 ? 3 : trial % 3 == 1 ? V / 2 + 17 : V - 2;
        row[peak] = (float)(scale + 5); /* the maximum, somewhere known */
        if (trial >= 6) /* rising logits: every tile raises the maximum */
            for (int v = 0; v < V; v++) row[v] = (float)(v * 1e-3 + 0.01 * (v % 5));
        double mxd = row[0], sumd = 0;
        for (int v = 1; v < V; v++) mxd = fmax(mxd, row[v]);
        for (int v = 0; v < V; v++) sumd += exp((double)row[v] - mxd);
        for (size_t i = 0; i < sizeof tiles / sizeof *tiles; i++) {
            float mx = 0;
            double sum = 0;
            for (int v0 = 0; v0 < V; v0 += tiles[i])
                eval_lse_fold(row + v0, V - v0 < tiles[i] ? V - v0 : tiles[i], &mx, &sum);
            CHECK_NEAR(mx, mxd, 0);
            for (int t = 5; t < V; t += 3001) {
                double got = row[t] - (double)mx - log(sum), ref = row[t] - mxd - log(sumd);
                CHECK_NEAR(got, ref, 2e-6);
                CHECK_NEAR(got, eval_log_softmax_at(row, V, t), 2e-6);
            }
        }
    }
}

TEST(spearman_average_ranks)
{
    double x[] = {1, 2, 3, 4, 5}, y[] = {5, 6, 7, 8, 7}; /* scipy.stats.spearmanr's example */
    CHECK_NEAR(eval_spearman(x, y, 5), 0.8207826816681233, 1e-12);
    double z[] = {2, 2, 2, 2, 2};
    CHECK(isnan(eval_spearman(x, z, 5)));
    double r[] = {5, 4, 3, 2, 1};
    CHECK_NEAR(eval_spearman(x, r, 5), -1, 1e-15);
}

/* R2 by the normal equations in long double (Gauss-Jordan), an independent
 * route to the QR solution. */
static double r2_normal(const double *X, const double *y, int n, int k)
{
    int p = k + 1;
    long double A[8][9] = {{0}};
    for (int i = 0; i < n; i++) {
        long double row[8] = {1};
        for (int j = 0; j < k; j++) row[j + 1] = X[i * k + j];
        for (int a = 0; a < p; a++) {
            for (int b = 0; b < p; b++) A[a][b] += row[a] * row[b];
            A[a][p] += row[a] * y[i];
        }
    }
    for (int c = 0; c < p; c++) {
        int piv = c;
        for (int r = c + 1; r < p; r++)
            if (fabsl(A[r][c]) > fabsl(A[piv][c])) piv = r;
        for (int j = 0; j <= p; j++) {
            long double t = A[c][j];
            A[c][j] = A[piv][j], A[piv][j] = t;
        }
        for (int r = 0; r < p; r++) {
            if (r == c) continue;
            long double f = A[r][c] / A[c][c];
            for (int j = 0; j <= p; j++) A[r][j] -= f * A[c][j];
        }
    }
    long double my = 0, rss = 0, tss = 0;
    for (int i = 0; i < n; i++) my += y[i];
    my /= n;
    for (int i = 0; i < n; i++) {
        long double f = A[0][p] / A[0][0];
        for (int j = 0; j < k; j++) f += A[j + 1][p] / A[j + 1][j + 1] * X[i * k + j];
        rss += (y[i] - f) * (y[i] - f);
        tss += (y[i] - my) * (y[i] - my);
    }
    return (double)(1 - rss / tss);
}

TEST(ols_r2)
{
    enum { N = 300, K = 4 };
    static double X[N * K], y[N];
    uint64_t s = 99;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < K; j++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            X[i * K + j] = (double)(s >> 11) / 9007199254740992.0 * (j + 1) * 10;
        }
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        double noise = (double)(s >> 11) / 9007199254740992.0 - 0.5;
        y[i] = 3 + 2 * X[i * K] - X[i * K + 1] + 40 * noise;
    }
    double r2 = eval_ols_r2(X, y, N, K);
    CHECK(r2 > 0.1 && r2 < 1);
    CHECK_NEAR(r2, r2_normal(X, y, N, K), 1e-9);
    for (int i = 0; i < N; i++) y[i] = 1 + X[i * K + 3] * 0.25;
    CHECK_NEAR(eval_ols_r2(X, y, N, K), 1.0, 1e-12);
    /* a collinear column changes nothing (statsmodels' pseudo-inverse) */
    for (int i = 0; i < N; i++) y[i] += X[i * K + 1] * X[i * K + 1] / 50;
    static double X3[N * (K - 1)];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < K - 1; j++) X3[i * (K - 1) + j] = X[i * K + j];
    double r2_3 = eval_ols_r2(X3, y, N, K - 1);
    for (int i = 0; i < N; i++) X[i * K + 3] = 2 * X[i * K + 1] - X[i * K];
    CHECK_NEAR(eval_ols_r2(X, y, N, K), r2_3, 1e-9);
}

/* ---- the hand-made model and data ---- */

static int write_text(const char *path, const char *s)
{
    blalm_err e;
    return write_file_atomic(path, s, strlen(s), &e);
}

/* RUN with a byte tokenizer plus the one merge " x", and a zero model. */
static const char *make_run(blalm_err *e, int *V)
{
    static char run[600];
    snprintf(run, sizeof run, "%s/run", test_tmpdir());
    char p[800];
    snprintf(p, sizeof p, "%s/checkpoints", run);
    if (mkdir_p(p, e) < 0) return NULL;
    bpe_counter *c = bpe_counter_new(NULL, e);
    const char *text = " x x x x x x x x x x x x";
    if (!c || bpe_counter_feed(c, text, strlen(text), e) < 0) return NULL;
    bpe_train_opts to;
    bpe_train_opts_default(&to);
    to.vocab_size = 256 + 1 + 2;
    to.min_frequency = 1;
    bpe_tokenizer *t = bpe_train(c, &to, e);
    bpe_counter_free(c);
    if (!t) return NULL;
    snprintf(p, sizeof p, "%s/tokenizer.json", run);
    if (bpe_save_json(t, p, e) < 0) return NULL;
    *V = (int)bpe_vocab_size(t);
    bpe_free(t);
    model_config mc;
    model_config_defaults(&mc);
    snprintf(mc.name, sizeof mc.name, "zero");
    mc.vocab_size = *V, mc.dim = 16, mc.layers = 1, mc.heads = 2, mc.context = 64, mc.mlp_hidden = 32;
    mc.qk_head_dim = mc.v_head_dim = 8;
    mc.chunk = 8;
    model *m = model_create(&mc, e);
    if (!m) return NULL;
    memset(model_params(m), 0, model_num_params(m) * sizeof(float));
    ckpt_pos pos = {0};
    snprintf(p, sizeof p, "%s/checkpoints/latest.bin", run);
    int rc = ckpt_save(p, m, NULL, OPT_ADAMW, &pos, e);
    model_free(m);
    return rc < 0 ? NULL : run;
}

static double score_of(const char *dump, const char *task, int item, int cand)
{
    FILE *f = fopen(dump, "r");
    char line[1 << 16];
    double v = NAN;
    while (f && fgets(line, sizeof line, f)) {
        cJSON *o = cJSON_Parse(line);
        if (o && !strcmp(cJSON_GetObjectItem(o, "task")->valuestring, task) &&
            cJSON_GetObjectItem(o, "item")->valueint == item)
            v = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "score"), cand)->valuedouble;
        cJSON_Delete(o);
    }
    if (f) fclose(f);
    return v;
}

TEST(hand_made_pairs_with_known_log_probs)
{
    blalm_err e;
    int V;
    const char *run = make_run(&e, &V);
    CHECK_MSG(run, "%s", e.msg);
    CHECK_EQ_INT(V, 259);
    const double L = log((double)V); /* each scored token: -ln V exactly */
    char d[600], p[800];
    snprintf(d, sizeof d, "%s/data", test_tmpdir());
    snprintf(p, sizeof p, "%s/blimp_fast", d);
    CHECK(mkdir_p(p, &e) == 0);
    snprintf(p, sizeof p, "%s/comps", d);
    CHECK(mkdir_p(p, &e) == 0);
    snprintf(p, sizeof p, "%s/blimp_fast/hand.jsonl", d);
    /* item 0: 2 bytes vs 3 bytes: -ln V vs -2 ln V (first token free) -> correct
     * item 1: 3 vs 3 bytes: a tie -> correct
     * item 2: 3 vs 2 bytes: -2 ln V vs -ln V -> wrong */
    CHECK(write_text(p,
        "{\"sentence_good\": \"ab\", \"sentence_bad\": \"bcd\", \"field\": \"f1\", \"UID\": \"u1\", \"linguistics_term\": \"t\"}\n"
        "{\"sentence_good\": \"abc\", \"sentence_bad\": \"cba\", \"field\": \"f1\", \"UID\": \"u1\", \"linguistics_term\": \"t\"}\n"
        "{\"sentence_good\": \"abc\", \"sentence_bad\": \"ab\", \"field\": \"syntax_semantics\", \"UID\": \"u2\", \"linguistics_term\": \"t\"}\n") == 0);
    /* COMPS: "a xy" scores "xy": tokens a | " x" | y; " x" starts before
     * the completion and ends inside it, so it counts: -2 ln V, not -ln V */
    snprintf(p, sizeof p, "%s/comps/comps_base.jsonl", d);
    CHECK(write_text(p, "{\"prefix_acceptable\": \"a\", \"prefix_unacceptable\": \"bb\", \"property_phrase\": \"xy\"}\n") == 0);
    snprintf(p, sizeof p, "%s/dump.jsonl", test_tmpdir());
    eval_opts o = {.run = run, .data = d, .tasks = "blimp,comps", .fast = 1, .dump = p, .dump_every = 1};
    cJSON *r = NULL;
    CHECK_MSG(eval_run(&o, &r, &e) == 0, "%s", e.msg);
    CHECK_NEAR(score_of(p, "blimp", 0, 0), -L, 1e-6);
    CHECK_NEAR(score_of(p, "blimp", 0, 1), -2 * L, 1e-6);
    CHECK_NEAR(score_of(p, "blimp", 1, 0), -2 * L, 1e-6);
    CHECK_NEAR(score_of(p, "blimp", 1, 1), -2 * L, 1e-6);
    CHECK_NEAR(score_of(p, "blimp", 2, 1), -L, 1e-6);
    CHECK_NEAR(score_of(p, "comps", 0, 0), -2 * L, 1e-6);
    CHECK_NEAR(score_of(p, "comps", 0, 1), -2 * L, 1e-6); /* "bb xy": " x" and y */
    const cJSON *b = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "tasks"), "blimp");
    const cJSON *u = cJSON_GetObjectItem(b, "uids");
    CHECK_NEAR(cJSON_GetObjectItem(cJSON_GetObjectItem(u, "u1"), "accuracy")->valuedouble, 100, 0);
    CHECK_NEAR(cJSON_GetObjectItem(cJSON_GetObjectItem(u, "u2"), "accuracy")->valuedouble, 0, 0);
    CHECK_NEAR(cJSON_GetObjectItem(b, "score")->valuedouble, 50, 1e-12); /* mean over UIDs */
    const cJSON *fl = cJSON_GetObjectItem(b, "fields");
    CHECK_NEAR(cJSON_GetObjectItem(fl, "f1")->valuedouble, 100, 0); /* pooled per field */
    CHECK(cJSON_GetObjectItem(fl, "syntax/semantics")); /* the official renaming */
    cJSON_Delete(r);

    /* --score-first-token: <|endoftext|> first, so "ab" scores -2 ln V */
    o.score_first_token = 1;
    CHECK_MSG(eval_run(&o, &r, &e) == 0, "%s", e.msg);
    CHECK_NEAR(score_of(p, "blimp", 0, 0), -2 * L, 1e-6);
    CHECK_NEAR(score_of(p, "blimp", 0, 1), -3 * L, 1e-6);
    CHECK_NEAR(score_of(p, "comps", 0, 0), -2 * L, 1e-6); /* completion only, still */
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(r, "score_first_token")));
    cJSON_Delete(r);
}

TEST(bad_data_is_an_error_naming_file_and_line)
{
    blalm_err e;
    int V;
    const char *run = make_run(&e, &V);
    CHECK_MSG(run, "%s", e.msg);
    char d[600], p[800];
    snprintf(d, sizeof d, "%s/bad", test_tmpdir());
    snprintf(p, sizeof p, "%s/blimp_fast", d);
    CHECK(mkdir_p(p, &e) == 0);
    snprintf(p, sizeof p, "%s/blimp_fast/x.jsonl", d);
    CHECK(write_text(p, "{\"sentence_good\": \"ab\", \"sentence_bad\": \"ba\"}\n{\"sentence_good\": \"a\"}\n") == 0);
    char out[800];
    snprintf(out, sizeof out, "%s/bad.json", test_tmpdir());
    eval_opts o = {.run = run, .data = d, .tasks = "blimp", .fast = 1, .out = out};
    cJSON *r = NULL;
    CHECK(eval_run(&o, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "x.jsonl:2: expected a string member \"sentence_bad\"");
    CHECK(!file_exists(out)); /* nothing written */
    CHECK(write_text(p, "{\"sentence_good\": \"ab\", \"sentence_bad\": \"ba\"}\n{\"sentence_good\": \"a\",\n") == 0);
    CHECK(eval_run(&o, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "x.jsonl:2: column 22: not valid JSON");
    CHECK(!strstr(e.msg, "(expected")); /* cJSON names no reason: none is made up */
    /* a second object on the line (json.loads refuses it) is not dropped silently */
    CHECK(write_text(p, "{\"sentence_good\": \"ab\", \"sentence_bad\": \"ba\"}\n"
                        "{\"sentence_good\": \"ab\", \"sentence_bad\": \"ba\"} {\"sentence_good\": \"x\"}\n") == 0);
    CHECK(eval_run(&o, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "x.jsonl:2: expected one JSON object, found more after column 45");
    CHECK(!file_exists(out));
    /* a candidate with no token to score (empty, or one token: the first is
     * never scored) would score 0, the best, and win silently */
    CHECK(write_text(p, "{\"sentence_good\": \"ab\", \"sentence_bad\": \"ba\"}\n"
                        "{\"sentence_good\": \"\", \"sentence_bad\": \"ba\"}\n") == 0);
    CHECK(eval_run(&o, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "x.jsonl:2: blimp: candidate 0 (\"\") has no token to score");
    CHECK(write_text(p, "{\"sentence_good\": \"ab\", \"sentence_bad\": \"a\"}\n") == 0);
    CHECK(eval_run(&o, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "x.jsonl:1: blimp: candidate 1 (\"a\") has no token to score");
    CHECK(!file_exists(out));
    o.tasks = "blimp,nonsense";
    CHECK(eval_run(&o, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "unknown task 'nonsense'");
    o.tasks = "ewok";
    CHECK(eval_run(&o, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "no data for task ewok");
}

/* Entity tracking's "numops" names the UID (regular_3_ops): one that is not
 * a whole number from 0 to 1000 is an error naming file and line (1e30 was
 * cast to int: undefined, UID regular_-2147483648_ops; 2.5 became 2). A
 * wug line of one sentence is an error (its strndup'd sentence is freed:
 * it leaked, seen under ASan). */
TEST(entity_tracking_numops_and_wug_sentences)
{
    blalm_err e;
    int V;
    const char *run = make_run(&e, &V);
    CHECK_MSG(run, "%s", e.msg);
    char d[600], p[800];
    snprintf(d, sizeof d, "%s/etbad", test_tmpdir());
    snprintf(p, sizeof p, "%s/entity_tracking", d);
    CHECK(mkdir_p(p, &e) == 0);
    snprintf(p, sizeof p, "%s/entity_tracking/regular.jsonl", d);
    eval_opts o = {.run = run, .data = d, .tasks = "entity_tracking", .fast = 1};
    cJSON *r = NULL;
    static const char *bad[] = {"1e30", "2.5", "-1", "1001"};
    static const char *shown[] = {"got 1e+30", "got 2.5", "got -1", "got 1001"};
    char line[400];
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        snprintf(line, sizeof line,
                 "{\"sample_id\": 1, \"numops\": 1, \"input_prefix\": \"Box 0 contains\", \"options\": [\" the hat\", \" the map\"]}\n"
                 "{\"sample_id\": 2, \"numops\": %s, \"input_prefix\": \"Box 0 contains\", \"options\": [\" the hat\", \" the map\"]}\n",
                 bad[k]);
        CHECK(write_text(p, line) == 0);
        CHECK_MSG(eval_run(&o, &r, &e) < 0, "numops %s accepted", bad[k]);
        CHECK_CONTAINS(e.msg, "regular.jsonl:2: expected \"numops\" to be a whole number from 0 to 1000");
        CHECK_CONTAINS(e.msg, shown[k]);
    }
    snprintf(line, sizeof line,
             "{\"sample_id\": 1, \"numops\": 1000, \"input_prefix\": \"Box 0 contains\", \"options\": [\" the hat\", \" the map\"]}\n");
    CHECK(write_text(p, line) == 0);
    CHECK_MSG(eval_run(&o, &r, &e) == 0, "%s", e.msg);
    const cJSON *u = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "tasks"), "entity_tracking"), "uids");
    CHECK_MSG(cJSON_GetObjectItem(u, "regular_1000_ops") != NULL, "no UID regular_1000_ops");
    cJSON_Delete(r);
    r = NULL;

    snprintf(p, sizeof p, "%s/wug_adj_nominalization", d);
    CHECK(mkdir_p(p, &e) == 0);
    snprintf(p, sizeof p, "%s/wug_adj_nominalization/w.jsonl", d);
    CHECK(write_text(p, "{\"sentences\": \"Create a noun out of the following adjective: actignable. actignability\", "
                        "\"ratio\": 0.5}\n") == 0);
    o.tasks = "wug_adj";
    CHECK(eval_run(&o, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "w.jsonl:1: expected two tab-separated sentences");
}

/* EWoK scores " " + Target after Context1; wug_past is Spearman x100 */
TEST(ewok_and_wug_past_from_official_files)
{
    blalm_err e;
    int V;
    const char *run = make_run(&e, &V);
    CHECK_MSG(run, "%s", e.msg);
    const double L = log((double)V);
    char d[600], p[800];
    snprintf(d, sizeof d, "%s/data2", test_tmpdir());
    snprintf(p, sizeof p, "%s/ewok_fast", d);
    CHECK(mkdir_p(p, &e) == 0);
    snprintf(p, sizeof p, "%s/wug_past_tense", d);
    CHECK(mkdir_p(p, &e) == 0);
    snprintf(p, sizeof p, "%s/ewok_fast/physical.jsonl", d);
    /* "a xy": tokens a | " x" | y, " xy" scored = 2 tokens; "a xyz" = 3 */
    CHECK(write_text(p, "{\"Domain\": \"physical\", \"ContextType\": \"c\", \"ContextDiff\": \"cd\", "
                        "\"TargetDiff\": \"td\", \"Context1\": \"a\", \"Context2\": \"b\", "
                        "\"Target1\": \"xy\", \"Target2\": \"xyz\"}\n") == 0);
    snprintf(p, sizeof p, "%s/wug_past_tense/wug_past_tense.jsonl", d);
    CHECK(write_text(p, "{\"sentences\": \"ab\\tab\", \"ratio\": 0.5}\n"
                        "{\"sentences\": \"ab\\tabc\", \"ratio\": 0.9}\n"
                        "{\"sentences\": \"abc\\tab\", \"ratio\": 0.1}\n") == 0);
    snprintf(p, sizeof p, "%s/dump2.jsonl", test_tmpdir());
    eval_opts o = {.run = run, .data = d, .fast = 1, .dump = p, .dump_every = 1};
    cJSON *r = NULL;
    CHECK_MSG(eval_run(&o, &r, &e) == 0, "%s", e.msg);
    CHECK_NEAR(score_of(p, "ewok", 0, 0), -2 * L, 1e-6);
    CHECK_NEAR(score_of(p, "ewok", 0, 1), -3 * L, 1e-6);
    const cJSON *t = cJSON_GetObjectItem(r, "tasks");
    const cJSON *ew = cJSON_GetObjectItem(t, "ewok"), *wp = cJSON_GetObjectItem(t, "wug_past");
    CHECK(ew && wp);
    CHECK_NEAR(cJSON_GetObjectItem(ew, "score")->valuedouble, 100, 0);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(ew, "uids"), "physical"));
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(ew, "context_type"), "c"));
    CHECK_NEAR(cJSON_GetObjectItem(wp, "score")->valuedouble, 100, 1e-9); /* same order as humans */
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "skipped"), "blimp")); /* no folder: skipped */
    cJSON_Delete(r);
}

/* wug_past's UID is its data file's stem, as the official
 * decode_wug_tasks(raw, file_name.stem) makes it: predictions.json is keyed
 * wug_past_tense, ids wug_past_tense_<i> (blalm keyed it by its task name,
 * wug_past) */
TEST(wug_past_uid_is_file_stem)
{
    blalm_err e;
    int V;
    const char *run = make_run(&e, &V);
    CHECK_MSG(run, "%s", e.msg);
    char d[600], p[800];
    snprintf(d, sizeof d, "%s/wugstem", test_tmpdir());
    snprintf(p, sizeof p, "%s/wug_past_tense", d);
    CHECK(mkdir_p(p, &e) == 0);
    snprintf(p, sizeof p, "%s/wug_past_tense/wug_past_tense.jsonl", d);
    CHECK(write_text(p, "{\"sentences\": \"ab\\tab\", \"ratio\": 0.5}\n"
                        "{\"sentences\": \"ab\\tabc\", \"ratio\": 0.9}\n") == 0);
    char pred[800];
    snprintf(pred, sizeof pred, "%s/wugstem_pred", test_tmpdir());
    eval_opts o = {.run = run, .data = d, .fast = 1, .tasks = "wug_past", .predictions = pred,
                   .out = path_in_tmp("wugstem.json")};
    cJSON *r = NULL;
    CHECK_MSG(eval_run(&o, &r, &e) == 0, "%s", e.msg);
    cJSON_Delete(r);
    snprintf(p, sizeof p, "%s/wug_past/wug_past_tense/predictions.json", pred);
    FILE *f = fopen(p, "r");
    CHECK_MSG(f, "no %s", p);
    if (!f) return;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *doc = cJSON_Parse(buf);
    CHECK(doc && cJSON_GetArraySize(doc) == 1);
    const cJSON *k = doc ? doc->child : NULL;
    CHECK_EQ_STR(k ? k->string : "", "wug_past_tense");
    const cJSON *ps = cJSON_GetObjectItem(k, "predictions");
    CHECK_EQ_INT(cJSON_GetArraySize(ps), 2);
    const cJSON *id = cJSON_GetObjectItem(cJSON_GetArrayItem(ps, 1), "id");
    CHECK_EQ_STR(cJSON_IsString(id) ? id->valuestring : "", "wug_past_tense_1");
    cJSON_Delete(doc);
}

/* ---- age of acquisition ---- */

TEST(sigmoid_fit_recovers_exact_curves)
{
    double x[15], y[15];
    double truth[4] = {0.9, 0.6, 22.5, 0.05};
    for (int i = 0; i < 15; i++) x[i] = 16 + i, y[i] = eval_sigmoid(x[i], truth);
    double p[4] = {1.0, 0.1, 23, 0.0}, lo[4] = {0, 0, 16, -0.5}, hi[4] = {2, 1, 30, 0.5};
    CHECK(eval_sigmoid_fit(x, y, 15, p, lo, hi, 1000) == 0);
    for (int j = 0; j < 4; j++) CHECK_NEAR(p[j], truth[j], 1e-9);
    /* unbounded, from the model AoA's kind of guess */
    double t2[4] = {8, 3, 7.2, -20}, x2[19], y2[19];
    for (int i = 0; i < 19; i++) {
        x2[i] = log10((i < 9 ? (i + 1) * 1e6 : (i - 8) * 1e7) + 1);
        y2[i] = eval_sigmoid(x2[i], t2);
    }
    double q[4] = {6, 1, 7.0, -19.5};
    CHECK(eval_sigmoid_fit(x2, y2, 19, q, NULL, NULL, 1000) == 0);
    for (int j = 0; j < 4; j++) CHECK_NEAR(q[j], t2[j], 1e-7);
    /* a bound that binds: b is held at 1 */
    for (int i = 0; i < 15; i++) y[i] = x[i] < 23 ? 0.1 : 0.9;
    double r[4] = {1.0, 0.1, 23, 0.0};
    CHECK(eval_sigmoid_fit(x, y, 15, r, lo, hi, 1000) == 0);
    CHECK_NEAR(r[1], 1.0, 0);
    CHECK(r[0] >= 0 && r[0] <= 2 && r[3] >= -0.5 && r[3] <= 0.5);
}

TEST(pearson_and_p_value_as_scipy)
{
    double a[] = {1, 2, 3, 4, 5}, b[] = {2, 1, 4, 3, 5};
    double r = eval_pearson(a, b, 5);
    CHECK_NEAR(r, 0.8, 1e-15);
    CHECK_NEAR(eval_pearson_p(r, 5), 0.10408803866182785, 1e-12); /* scipy 1.10 pearsonr */
    double c[] = {1, 2, 3, 4, 5, 6, 7}, d[] = {1, 3, 2, 5, 4, 7, 2.5};
    r = eval_pearson(c, d, 7);
    CHECK_NEAR(r, 0.5536125725328791, 1e-14);
    CHECK_NEAR(eval_pearson_p(r, 7), 0.19729507829221415, 1e-12);
    CHECK_NEAR(eval_pearson_p(1.0, 4), 0.0, 0);
    double k[] = {3, 3, 3};
    CHECK(isnan(eval_pearson(a, k, 3)));
}

/* The steps of a strict-small run: chck_1M .. chck_9M, chck_10M .. chck_100M */
static double ss_step(int i) { return i < 9 ? (i + 1) * 1e6 : (i - 8) * 1e7; }

/* Known model AoA of surprisal 20 - 8 / (1 + exp(-3 (x - c))), x = log10(step + 1) */
static double known_model_aoa(double c)
{
    double mins = INFINITY;
    for (int i = 0; i < 19; i++) mins = fmin(mins, 20 - 8 / (1 + exp(-3 * (log10(ss_step(i) + 1) - c))));
    double ch = log2(300000.0), nt = -(ch - 0.5 * (ch - mins));
    return c - log(8 / (nt + 20) - 1) / 3;
}

TEST(aoa_fitness_hand_made_fixture_in_official_format)
{
    blalm_err e;
    char d[600], p[800];
    snprintf(d, sizeof d, "%s/aoadata", test_tmpdir());
    snprintf(p, sizeof p, "%s/aoa", d);
    CHECK(mkdir_p(p, &e) == 0);
    /* cdi_human.csv: proportion 0.9 / (1 + exp(-0.6 (age - c))) per word; ball
     * misses age 20; xy never reaches 0.5; cat is in the CDI but not scored */
    static const char *const words[] = {"dog", "ball", "milk", "zebra"};
    static const double cm[] = {6.8, 7.0, 7.3, 7.6}, cc[] = {21, 18, 27, 23};
    char csv[8192];
    int at = snprintf(csv, sizeof csv, "word,category,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30\n");
    for (int w = 0; w < 4; w++) {
        at += snprintf(csv + at, sizeof csv - at, "%s,animals", words[w]);
        for (int age = 16; age <= 30; age++) {
            if (w == 1 && age == 20) at += snprintf(csv + at, sizeof csv - at, ",");
            else at += snprintf(csv + at, sizeof csv - at, ",%.17g", 0.9 / (1 + exp(-0.6 * (age - cc[w]))));
        }
        at += snprintf(csv + at, sizeof csv - at, "\n");
    }
    at += snprintf(csv + at, sizeof csv - at, "xy,toys");
    for (int age = 16; age <= 30; age++) at += snprintf(csv + at, sizeof csv - at, ",%.3f", 0.1 + 0.01 * (age - 16));
    at += snprintf(csv + at, sizeof csv - at, "\ncat,animals");
    for (int age = 16; age <= 30; age++) at += snprintf(csv + at, sizeof csv - at, ",0.5");
    snprintf(csv + at, sizeof csv - at, "\n");
    snprintf(p, sizeof p, "%s/aoa/cdi_human.csv", d);
    CHECK(write_text(p, csv) == 0);
    snprintf(p, sizeof p, "%s/aoa/cdi_childes.json", d);
    CHECK(write_text(p, "{}") == 0);
    /* surprisal.json as AoA_word/run.py writes it: step outer, word, context;
     * "flat" never changes (no AoA); "lion" is not in the CDI */
    cJSON *doc = cJSON_CreateObject(), *res = cJSON_AddArrayToObject(doc, "results");
    for (int i = 0; i < 19; i++) {
        double x = log10(ss_step(i) + 1);
        for (int w = 0; w < 7; w++)
            for (int ctx = 0; ctx < 2; ctx++) {
                cJSON *r = cJSON_CreateObject();
                char st[32];
                snprintf(st, sizeof st, "chck_%.0fM", ss_step(i) / 1e6);
                cJSON_AddStringToObject(r, "step", st);
                cJSON_AddStringToObject(r, "target_word", w < 4 ? words[w] : w == 4 ? "xy" : w == 5 ? "flat" : "lion");
                cJSON_AddNumberToObject(r, "context_id", ctx);
                cJSON_AddStringToObject(r, "context", "BOS_ONLY");
                double sv = w < 4 ? 20 - 8 / (1 + exp(-3 * (x - cm[w]))) : w == 4 ? 15 - x : 15;
                cJSON_AddNumberToObject(r, "surprisal", sv);
                cJSON_AddItemToArray(res, r);
            }
    }
    char *txt = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    char sp[800];
    snprintf(sp, sizeof sp, "%s/surprisal.json", test_tmpdir());
    CHECK(write_text(sp, txt) == 0);
    free(txt);
    cJSON *o = NULL;
    CHECK_MSG(eval_aoa_score_file(sp, d, &o, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(cJSON_GetObjectItem(o, "n_words")->valueint, 4);
    double m[4], c[4];
    for (int w = 0; w < 4; w++) {
        m[w] = known_model_aoa(cm[w]);
        c[w] = cc[w] - log(0.9 / 0.5 - 1) / 0.6;
        CHECK_EQ_STR(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "valid_words"), w)->valuestring, words[w]);
        CHECK_NEAR(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "model_aoas"), w)->valuedouble, m[w], 1e-9);
        CHECK_NEAR(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "child_aoas"), w)->valuedouble, c[w], 1e-9);
    }
    CHECK_NEAR(m[0], 6.934514627556279, 1e-12); /* the same numbers from numpy */
    CHECK_NEAR(c[0], 21.371905918857017, 1e-12);
    /* scipy.stats.pearsonr of those AoAs: (0.5523272033866302, 0.4476727966133698) */
    CHECK_NEAR(cJSON_GetObjectItem(o, "curve_fitness")->valuedouble, 0.5523272033866302, 1e-8);
    CHECK_NEAR(cJSON_GetObjectItem(o, "p_value")->valuedouble, 0.4476727966133698, 1e-8);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "monthly_scores"), "month_16"));
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "data"), "cdi_human.csv"));
    cJSON_Delete(o);

    /* fewer than three words: 0, as the official code */
    snprintf(p, sizeof p, "%s/aoa/cdi_human.csv", d);
    CHECK(write_text(p, "word,16,17,18,19,20\ndog,0.1,0.3,0.5,0.7,0.9\n") == 0);
    CHECK_MSG(eval_aoa_score_file(sp, d, &o, &e) == 0, "%s", e.msg);
    CHECK_NEAR(cJSON_GetObjectItem(o, "curve_fitness")->valuedouble, 0, 0);
    CHECK(!cJSON_GetObjectItem(o, "p_value"));
    cJSON_Delete(o);
    /* bad CSV: file and line named */
    CHECK(write_text(p, "word,16,17,18\ndog,0.1,0.3,0.5\ncat,0.1,oops,0.2\n") == 0);
    CHECK(eval_aoa_score_file(sp, d, &o, &e) < 0);
    CHECK_CONTAINS(e.msg, "cdi_human.csv:3: column 17: expected a number, got \"oops\"");
    /* the line a record starts on, a quoted newline counted (it said 3) */
    CHECK(write_text(p, "word,16,17,18\n\"dog\nhouse\",0.1,0.3,0.5\ncat,0.1,oops,0.2\n") == 0);
    CHECK(eval_aoa_score_file(sp, d, &o, &e) < 0);
    CHECK_CONTAINS(e.msg, "cdi_human.csv:4: column 17: expected a number, got \"oops\"");
    CHECK(write_text(p, "name,16\ndog,0.1\n") == 0);
    CHECK(eval_aoa_score_file(sp, d, &o, &e) < 0);
    CHECK_CONTAINS(e.msg, "cdi_human.csv:1: expected a column \"word\"");
}

/* The surprisals come from the run's milestone checkpoints: with the zero
 * model every word costs (tokens) x ln V at every checkpoint; curves are flat,
 * so no word has a model AoA and the fitness is 0 (fewer than 3 words). */
TEST(aoa_surprisals_over_milestone_checkpoints)
{
    blalm_err e;
    int V;
    const char *run = make_run(&e, &V);
    CHECK_MSG(run, "%s", e.msg);
    char p[800], q[800], d[600];
    snprintf(p, sizeof p, "%s/checkpoints/latest.bin", run);
    for (int i = 1; i <= 3; i++) {
        snprintf(q, sizeof q, "%s/checkpoints/chck_%dM.bin", run, i);
        CHECK(link(p, q) == 0 || file_exists(q));
    }
    snprintf(d, sizeof d, "%s/aoadata2", test_tmpdir());
    snprintf(q, sizeof q, "%s/aoa", d);
    CHECK(mkdir_p(q, &e) == 0);
    snprintf(q, sizeof q, "%s/aoa/cdi_childes.json", d);
    /* "a" is one character (dropped, as load_eval does); "cow" has 1 context < 2 */
    CHECK(write_text(q, "{\"dog\": [{\"context\": \"the dog\"}, {\"context\": \"a dog\"}],"
                        " \"a\": [{\"context\": \"x\"}, {\"context\": \"y\"}],"
                        " \" xx \": [{\"context\": \"x\"}, {\"context\": \"y\"}, {\"context\": \"z\"}],"
                        " \"cow\": [{\"context\": \"the cow\"}]}") == 0);
    snprintf(q, sizeof q, "%s/aoa/cdi_human.csv", d);
    CHECK(write_text(q, "word,16,17,18,19\ndog,0.1,0.4,0.6,0.9\n") == 0);
    eval_opts o = {.run = run, .data = d, .tasks = "aoa", .aoa_min_context = 2};
    cJSON *r = NULL;
    CHECK_MSG(eval_all_checkpoints(&o, &r, &e) == 0, "%s", e.msg);
    const cJSON *a = cJSON_GetObjectItem(r, "aoa");
    CHECK(a);
    CHECK_NEAR(cJSON_GetObjectItem(a, "curve_fitness")->valuedouble, 0, 0);
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(r, "checkpoints")), 0); /* aoa only */
    cJSON_Delete(r);
    snprintf(q, sizeof q, "%s/aoa_surprisal.json", run);
    FILE *f = fopen(q, "r");
    CHECK(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *doc = cJSON_Parse(buf);
    const cJSON *res = cJSON_GetObjectItem(doc, "results");
    CHECK_EQ_INT(cJSON_GetArraySize(res), 3 * (2 + 3)); /* checkpoints x contexts of dog, " xx " */
    const double L = log((double)V);
    const cJSON *it;
    int k = 0;
    cJSON_ArrayForEach(it, res) {
        const char *w = cJSON_GetObjectItem(it, "target_word")->valuestring;
        double sv = cJSON_GetObjectItem(it, "surprisal")->valuedouble;
        /* "dog": 3 bytes; " xx " stripped to "xx": 2 bytes (no " x" merge without the space) */
        CHECK_NEAR(sv, (!strcmp(w, "dog") ? 3 : 2) * L, 1e-9);
        CHECK_EQ_STR(cJSON_GetObjectItem(it, "step")->valuestring, k < 5 ? "chck_1M" : k < 10 ? "chck_2M" : "chck_3M");
        k++;
    }
    CHECK_EQ_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(res, 2), "target_word")->valuestring, " xx ");
    cJSON_Delete(doc);
    /* a single checkpoint cannot give an AoA */
    o.checkpoint = "latest";
    CHECK(eval_run(&o, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "--all-checkpoints");
}

int main(void)
{
    RUN(first_scored_skips_token_zero_and_uses_overlap);
    RUN(sum_and_ties);
    RUN(log_softmax_matches_double_reference);
    RUN(lse_fold_matches_whole_row);
    RUN(spearman_average_ranks);
    RUN(ols_r2);
    RUN(hand_made_pairs_with_known_log_probs);
    RUN(bad_data_is_an_error_naming_file_and_line);
    RUN(entity_tracking_numops_and_wug_sentences);
    RUN(ewok_and_wug_past_from_official_files);
    RUN(wug_past_uid_is_file_stem);
    RUN(sigmoid_fit_recovers_exact_curves);
    RUN(pearson_and_p_value_as_scipy);
    RUN(aoa_fitness_hand_made_fixture_in_official_format);
    RUN(aoa_surprisals_over_milestone_checkpoints);
    return test_summary();
}
