/* test_ablate.c - the variant registry of `blalm ablate` (trainer/ablate.h):
 * every registered name is accepted by the config reader, on its own, with a
 * leading '+' and combined; each one but the base mixers changes the config;
 * the list that --help and errors print is the registry; mean and sd. */
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

int main(void)
{
    RUN(registry_has_the_papers_variants);
    RUN(every_registered_variant_is_accepted);
    RUN(combinations_and_refusals);
    RUN(variant_list_truncates_like_snprintf);
    RUN(mean_and_sample_sd);
    return test_summary();
}
