/* Command-line helpers: counts with suffixes, shard specs. */
#include "lib/cli.h"
#include "test.h"

TEST(counts)
{
    unsigned long long v;
    CHECK(cli_parse_count("0", &v) == 0 && v == 0);
    CHECK(cli_parse_count("12345678901234567", &v) == 0 && v == 12345678901234567ull);
    CHECK(cli_parse_count("10M", &v) == 0 && v == 10000000ull);
    CHECK(cli_parse_count("16k", &v) == 0 && v == 16000ull);
    CHECK(cli_parse_count("1.5M", &v) == 0 && v == 1500000ull);
    CHECK(cli_parse_count("2G", &v) == 0 && v == 2000000000ull);
    CHECK(cli_parse_count("1B", &v) == 0 && v == 1000000000ull);
    const char *bad[] = {"", "-1", "+1", "1.5", "M", "10MB", "1e6", "0x10", "1.M", " 1", "abc"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(cli_parse_count(bad[i], &v) < 0, "accepted '%s'", bad[i]);
}

/* strtod alone took " 1" and "0x10" (16) for --temperature */
TEST(reals)
{
    double v = -1;
    CHECK(cli_parse_real("0.8", &v) == 0 && v == 0.8);
    CHECK(cli_parse_real("0", &v) == 0 && v == 0);
    CHECK(cli_parse_real("2", &v) == 0 && v == 2);
    CHECK(cli_parse_real(".5", &v) == 0 && v == 0.5);
    CHECK(cli_parse_real("5.", &v) == 0 && v == 5);
    CHECK(cli_parse_real("1e-3", &v) == 0 && v == 1e-3);
    CHECK(cli_parse_real("-2.5E+1", &v) == 0 && v == -25);
    const char *bad[] = {"", " 1", "1 ", "0x10", "0X1p3", "inf", "nan", "-inf", "1e", "1e+", ".", "+", "1,5",
                         "1e999", "١", "1.2.3", "\t1"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(cli_parse_real(bad[i], &v) == -1, "'%s' taken", bad[i]);
}

TEST(shards)
{
    int i, n;
    CHECK(cli_parse_shard("0/1", &i, &n) == 0 && i == 0 && n == 1);
    CHECK(cli_parse_shard("6/7", &i, &n) == 0 && i == 6 && n == 7);
    CHECK(cli_parse_shard("7/7", &i, &n) < 0);
    CHECK(cli_parse_shard("1/0", &i, &n) < 0);
    CHECK(cli_parse_shard("-1/2", &i, &n) < 0);
    CHECK(cli_parse_shard("1/2x", &i, &n) < 0);
    CHECK(cli_parse_shard("1", &i, &n) < 0);
}

int main(void)
{
    RUN(counts);
    RUN(shards);
    RUN(reals);
    return test_summary();
}
