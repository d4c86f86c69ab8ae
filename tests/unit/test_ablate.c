/* test_ablate.c - the variant registry of `blalm ablate` (trainer/ablate.h):
 * every registered name is accepted by the config reader, on its own, with a
 * leading '+' and combined; each one but the base mixers changes the config;
 * the list that --help and errors print is the registry; mean and sd; the t
 * quantiles, tails, confidence intervals and Welch's test against
 * scipy.stats' values to 1e-9 relative. */
#include "tests/unit/test.h"
#include "trainer/ablate.h"

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
    return test_summary();
}
