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
    /* item 0: 1 byte vs 2 bytes: 0 vs -ln V (first token free) -> correct
     * item 1: 3 vs 3 bytes: a tie -> correct
     * item 2: 3 vs 2 bytes: -2 ln V vs -ln V -> wrong */
    CHECK(write_text(p,
        "{\"sentence_good\": \"a\", \"sentence_bad\": \"bc\", \"field\": \"f1\", \"UID\": \"u1\", \"linguistics_term\": \"t\"}\n"
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
    CHECK_NEAR(score_of(p, "blimp", 0, 0), 0, 1e-9);
    CHECK_NEAR(score_of(p, "blimp", 0, 1), -L, 1e-6);
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

    /* --score-first-token: <|endoftext|> first, so "a" scores -ln V */
    o.score_first_token = 1;
    CHECK_MSG(eval_run(&o, &r, &e) == 0, "%s", e.msg);
    CHECK_NEAR(score_of(p, "blimp", 0, 0), -L, 1e-6);
    CHECK_NEAR(score_of(p, "blimp", 0, 1), -2 * L, 1e-6);
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
    CHECK(write_text(p, "{\"sentence_good\": \"a\", \"sentence_bad\": \"b\"}\n{\"sentence_good\": \"a\"}\n") == 0);
    char out[800];
    snprintf(out, sizeof out, "%s/bad.json", test_tmpdir());
    eval_opts o = {.run = run, .data = d, .tasks = "blimp", .fast = 1, .out = out};
    cJSON *r = NULL;
    CHECK(eval_run(&o, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "x.jsonl:2: expected a string member \"sentence_bad\"");
    CHECK(!file_exists(out)); /* nothing written */
    CHECK(write_text(p, "{\"sentence_good\": \"a\", \"sentence_bad\": \"b\"}\n{\"sentence_good\": \"a\",\n") == 0);
    CHECK(eval_run(&o, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "x.jsonl:2: expected a JSON object");
    o.tasks = "blimp,nonsense";
    CHECK(eval_run(&o, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "unknown task 'nonsense'");
    o.tasks = "ewok";
    CHECK(eval_run(&o, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "no data for task ewok");
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

int main(void)
{
    RUN(first_scored_skips_token_zero_and_uses_overlap);
    RUN(sum_and_ties);
    RUN(log_softmax_matches_double_reference);
    RUN(spearman_average_ranks);
    RUN(ols_r2);
    RUN(hand_made_pairs_with_known_log_probs);
    RUN(bad_data_is_an_error_naming_file_and_line);
    RUN(ewok_and_wug_past_from_official_files);
    return test_summary();
}
