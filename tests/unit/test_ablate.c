/* test_ablate.c - the variant registry of `blalm ablate` (trainer/ablate.h):
 * every registered name is accepted by the config reader, on its own, with a
 * leading '+' and combined; each one but the base mixers changes the config;
 * the list that --help and errors print is the registry; mean and sd; the t
 * quantiles, tails, confidence intervals and Welch's test against
 * scipy.stats' values to 1e-9 relative. */
#include "tests/unit/test.h"
#include "trainer/ablate.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>

static int count_variants(void)
{
    int n = 0;
    while (ablate_variant_name(n)) n++;
    return n;
}

TEST(registry_has_the_papers_variants)
{
    /* the enhancements issue's names: the paper's mechanisms */
    static const char *want[] = {"mlstm", "transformer", "shortconv", "swa", "swa-memory", "swa-dynmod",
                                 "swa-dynmod-bounded", "hedgehog", "hedgehog-swa"};
    CHECK_EQ_INT(count_variants(), 9);
    for (int i = 0; i < 9; i++) CHECK_EQ_STR(ablate_variant_name(i), want[i]);
    CHECK(ablate_variant_name(-1) == NULL);
    CHECK(ablate_variant_name(9) == NULL);
}

TEST(every_registered_variant_is_accepted)
{
    model_config base, c;
    model_config_defaults(&base);
    blalm_err e;
    for (int i = 0; ablate_variant_name(i); i++) {
        const char *v = ablate_variant_name(i);
        c = base;
        CHECK_MSG(ablate_variant_config(v, &c, &e) == 0, "%s refused: %s", v, e.msg);
        char plus[64];
        snprintf(plus, sizeof plus, "+%s", v);
        c = base;
        CHECK_MSG(ablate_variant_config(plus, &c, &e) == 0, "%s refused: %s", plus, e.msg);
        /* a mechanism on the mLSTM base changes the config; the mixers set theirs */
        char what[256];
        c = base;
        ablate_variant_config(v, &c, &e);
        int differs = model_config_diff(&base, &c, what, sizeof what) != 0;
        if (i == 0) CHECK_MSG(!differs, "mlstm changed the mLSTM default: %s", what);
        else CHECK_MSG(differs, "%s changed nothing", v);
    }
}

TEST(combinations_and_refusals)
{
    model_config c;
    blalm_err e;
    model_config_defaults(&c);
    CHECK_MSG(ablate_variant_config("+shortconv+swa-dynmod", &c, &e) == 0, "%s", e.msg);
    CHECK(c.conv_kernel == 4 && c.swa_mix == SWA_DYNMOD && c.swa_window > 0);
    model_config_defaults(&c);
    CHECK(ablate_variant_config("mlstm+nosuch", &c, &e) < 0);
    CHECK_MSG(strstr(e.msg, "unknown part 'nosuch'"), "%s", e.msg);
    /* the error lists the registry, every name */
    char names[512];
    size_t n = ablate_variant_list(names, sizeof names);
    CHECK(n == strlen(names));
    CHECK_MSG(strstr(e.msg, names), "error does not list the registry: %s", e.msg);
    for (int i = 0; ablate_variant_name(i); i++) CHECK(strstr(names, ablate_variant_name(i)));
    model_config_defaults(&c);
    CHECK(ablate_variant_config("transformer+hedgehog", &c, &e) < 0);
    model_config_defaults(&c);
    CHECK(ablate_variant_config("", &c, &e) < 0);
}

TEST(variant_list_truncates_like_snprintf)
{
    char full[512], small[12];
    size_t n = ablate_variant_list(full, sizeof full);
    CHECK(ablate_variant_list(small, sizeof small) == n);
    CHECK_EQ_STR(small, "mlstm, tran");
    CHECK(ablate_variant_list(NULL, 0) == n);
    CHECK(!strncmp(full, "mlstm, transformer, shortconv", 29));
}

TEST(mean_and_sample_sd)
{
    double m, sd, x[] = {1, 2, 3, 4};
    ablate_mean_sd(x, 4, &m, &sd);
    CHECK(m == 2.5);
    CHECK(fabs(sd - sqrt(5.0 / 3.0)) < 1e-15);
    ablate_mean_sd(x, 1, &m, &sd);
    CHECK(m == 1 && isnan(sd));
}

/* |a - b| <= 1e-9 |b| */
#define CHECK_REL(a, b) CHECK_NEAR(a, b, 1e-9 * fabs(b))

TEST(t_quantiles_match_scipy)
{
    /* scipy.stats.t.ppf(0.975, df), scipy 1.10.1 */
    static const double want[][2] = {
        {1, 12.706204736432095}, {2, 4.302652729911275},  {3, 3.182446305284263},
        {4, 2.7764451051977987}, {7, 2.3646242510102993}, {9, 2.2621571627409915},
        {29, 2.045229642132703}, {1000, 1.9623390808264074}, {2.5, 3.5746548420118773},
        {3.7, 2.8675207071912086},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        CHECK_REL(ablate_t_ppf(0.975, want[i][0]), want[i][1]);
        CHECK_REL(ablate_t_ppf(0.025, want[i][0]), -want[i][1]);
    }
    CHECK(ablate_t_ppf(0.5, 3) == 0 && isnan(ablate_t_ppf(1, 3)) && isnan(ablate_t_ppf(0.9, 0)));
}

TEST(t_tails_match_scipy)
{
    /* 2 * scipy.stats.t.sf(|t|, df): small p too, to 1e-9 relative */
    static const double want[][3] = {
        {0.3, 1, 0.8144528418445154},    {2.1, 3.3, 0.11828608029190774},
        {-4.6, 5.5, 0.004602666773259241}, {25.0, 2, 0.0015961702114103337},
        {83.9, 4.2, 6.212428741410006e-08}, {0.0, 7, 1.0},
        {12.0, 30, 5.580185415199261e-13},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        CHECK_REL(ablate_t_sf2(want[i][0], want[i][1]), want[i][2]);
}

TEST(welch_and_ci_match_scipy)
{
    /* scipy.stats.ttest_ind(a, b, equal_var=False): statistic, pvalue; df
     * Welch-Satterthwaite; t.interval(0.95, n-1, mean, sem) */
    double a[] = {21.3083, 21.4186, 21.1055}, b[] = {22.01, 21.95, 22.40};
    double t, df, p, lo, hi;
    CHECK(ablate_welch(a, 3, b, 3, &t, &df, &p) == 0);
    CHECK_REL(t, -5.007723778352953);
    CHECK_REL(df, 3.433926488854468);
    CHECK_REL(p, 0.011013432441622083);
    double c[] = {3.05, 3.11, 2.98, 3.07}, d[] = {3.20, 3.14, 3.31};
    CHECK(ablate_welch(c, 4, d, 3, &t, &df, &p) == 0);
    CHECK_REL(t, -2.8942435629808783);
    CHECK_REL(df, 3.183072393739228);
    CHECK_REL(p, 0.05846291761590845);
    ablate_ci95(a, 3, &lo, &hi);
    CHECK_REL(lo, 20.88295835375352);
    CHECK_REL(hi, 21.67197497957981);
    /* no test without two values a side, or without any spread */
    double same[] = {2, 2, 2};
    CHECK(ablate_welch(a, 1, b, 3, &t, &df, &p) < 0 && isnan(t) && isnan(p));
    CHECK(ablate_welch(same, 3, same, 3, &t, &df, &p) < 0 && isnan(t));
    ablate_ci95(a, 1, &lo, &hi);
    CHECK(isnan(lo) && isnan(hi));
}

/* RUN/log.jsonl holding text; the run folder's path into run */
static void write_log(const char *name, const char *text, char *run, size_t cap)
{
    snprintf(run, cap, "%s/%s", test_tmpdir(), name);
    mkdir(run, 0755);
    char p[1200];
    snprintf(p, sizeof p, "%s/log.jsonl", run);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static double row_num(const cJSON *row, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(row, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* ablate's statistics came from dev_ppl and dev_ppl_word as the log rounds
 * them (%.6g): two seeds whose per-word PPL differ by 400 (~1.2e9) read as
 * one value, sd 0 and Welch's df exactly 1. Now from the losses. */
TEST(perplexities_come_from_the_losses)
{
    char a[1100], b[1100], old[1100];
    write_log("ra",
              "{\"step\":1,\"loss\":5.5}\n"
              "{\"step\":2,\"dev_loss\":3.5,\"dev_ppl\":33.1155,\"dev_ppl_word\":1e+09,\"dev_loss_word\":20.7}\n"
              "{\"step\":4,\"dev_loss\":3.12345678,\"dev_ppl\":22.7599,\"dev_ppl_word\":1.23457e+09,"
              "\"dev_loss_word\":20.933986437123456}\n",
              a, sizeof a);
    write_log("rb",
              "{\"step\":4,\"dev_loss\":3.12345679,\"dev_ppl\":22.7599,\"dev_ppl_word\":1.23457e+09,"
              "\"dev_loss_word\":20.933986762}\n",
              b, sizeof b);
    write_log("rold", "{\"step\":4,\"dev_loss\":3.25,\"dev_ppl\":25.7903,\"dev_ppl_word\":123.457}\n", old,
              sizeof old);
    blalm_err e;
    cJSON *ra = cJSON_CreateObject(), *rb = cJSON_CreateObject(), *ro = cJSON_CreateObject();
    CHECK_MSG(ablate_read_log(a, ra, &e) == 0, "%s", e.msg);
    CHECK_MSG(ablate_read_log(b, rb, &e) == 0, "%s", e.msg);
    CHECK_MSG(ablate_read_log(old, ro, &e) == 0, "%s", e.msg);
    CHECK(row_num(ra, "dev_loss") == 3.12345678);
    CHECK(row_num(ra, "dev_ppl") == exp(3.12345678));
    CHECK(row_num(ra, "dev_ppl_word") == exp(20.933986437123456));
    CHECK(row_num(rb, "dev_ppl") == exp(3.12345679));
    CHECK(row_num(rb, "dev_ppl_word") == exp(20.933986762));
    CHECK_EQ_INT(cJSON_GetArraySize(cJSON_GetObjectItem(ra, "dev_curve")), 2);
    /* the two seeds differ, by ~400 per-word PPL and ~2.3e-7 per-token PPL */
    double x[2] = {row_num(ra, "dev_ppl_word"), row_num(rb, "dev_ppl_word")}, m, sd;
    ablate_mean_sd(x, 2, &m, &sd);
    CHECK(sd > 200 && sd < 400);
    double y[2] = {row_num(ra, "dev_ppl"), row_num(rb, "dev_ppl")};
    ablate_mean_sd(y, 2, &m, &sd);
    CHECK(sd > 1e-7 && sd < 1e-6);
    /* a log of an older blalm (no dev_loss_word): its dev_ppl_word as logged */
    CHECK(row_num(ro, "dev_ppl") == exp(3.25));
    CHECK(row_num(ro, "dev_ppl_word") == 123.457);
    cJSON_Delete(ra);
    cJSON_Delete(rb);
    cJSON_Delete(ro);
}

int main(void)
{
    RUN(registry_has_the_papers_variants);
    RUN(every_registered_variant_is_accepted);
    RUN(combinations_and_refusals);
    RUN(variant_list_truncates_like_snprintf);
    RUN(mean_and_sample_sd);
    RUN(t_quantiles_match_scipy);
    RUN(t_tails_match_scipy);
    RUN(welch_and_ci_match_scipy);
    RUN(perplexities_come_from_the_losses);
    return test_summary();
}
