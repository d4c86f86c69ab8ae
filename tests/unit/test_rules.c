/* The selection-rule language: parsing, errors with columns, evaluation. */
#include "lib/config.h"
#include "lib/rules.h"
#include "test.h"

static int eval_str(const char *rule_src, const char *attrs_json, blalm_err *e)
{
    rule *r = rule_parse(rule_src, e);
    if (!r) return -2;
    cJSON *a = cJSON_Parse(attrs_json);
    int v = rule_eval(r, a, e);
    cJSON_Delete(a);
    rule_free(r);
    return v;
}

static const char *attrs =
    "{\"edu_llm\":{\"score\":4,\"model\":\"m\",\"error\":null},"
    "\"gopher_quality\":{\"pass\":true,\"reason\":null},"
    "\"readability\":{\"flesch_reading_ease\":62.5},"
    "\"dedup\":{\"keep\":false}}";

TEST(evaluates)
{
    blalm_err e;
    CHECK_EQ_INT(eval_str("edu_llm.score >= 3", attrs, &e), 1);
    CHECK_EQ_INT(eval_str("edu_llm.score > 4", attrs, &e), 0);
    CHECK_EQ_INT(eval_str("edu_llm.score == 4 && gopher_quality.pass", attrs, &e), 1);
    CHECK_EQ_INT(eval_str("dedup.keep || readability.flesch_reading_ease < 60", attrs, &e), 0);
    CHECK_EQ_INT(eval_str("!dedup.keep && (readability.flesch_reading_ease >= 60 || edu_llm.score < 1)", attrs, &e), 1);
    CHECK_EQ_INT(eval_str("edu_llm.model == \"m\"", attrs, &e), 1);
    CHECK_EQ_INT(eval_str("edu_llm.model != \"m\"", attrs, &e), 0);
    CHECK_EQ_INT(eval_str("edu_llm.error == null", attrs, &e), 1);
    CHECK_EQ_INT(eval_str("gopher_quality.reason != null", attrs, &e), 0);
    CHECK_EQ_INT(eval_str("gopher_quality.pass == true", attrs, &e), 1);
    CHECK_EQ_INT(eval_str("edu_llm.score >= -1.5e1", attrs, &e), 1);
    /* missing attributes: comparisons and truth are false */
    CHECK_EQ_INT(eval_str("c4.pass", attrs, &e), 0);
    CHECK_EQ_INT(eval_str("c4.words > 0", attrs, &e), 0);
    CHECK_EQ_INT(eval_str("!c4.pass", attrs, &e), 1);
    /* null compared with a value is false */
    CHECK_EQ_INT(eval_str("edu_llm.error > 1", attrs, &e), 0);
}

TEST(precedence)
{
    blalm_err e;
    /* && binds tighter than || */
    CHECK_EQ_INT(eval_str("dedup.keep && dedup.keep || gopher_quality.pass", attrs, &e), 1);
    CHECK_EQ_INT(eval_str("dedup.keep && (dedup.keep || gopher_quality.pass)", attrs, &e), 0);
    CHECK_EQ_INT(eval_str("!!gopher_quality.pass", attrs, &e), 1);
}

TEST(parse_errors_point_at_column)
{
    blalm_err e;
    CHECK(rule_parse("edu_llm.score >=", &e) == NULL);
    CHECK_CONTAINS(e.msg, "column 17: expected a value");
    CHECK(rule_parse("edu_llm score", &e) == NULL);
    CHECK_CONTAINS(e.msg, "column 8: expected '.'");
    CHECK(rule_parse("(a.b > 1", &e) == NULL);
    CHECK_CONTAINS(e.msg, "column 9: expected ')'");
    CHECK(rule_parse("a.b = 1", &e) == NULL);
    CHECK_CONTAINS(e.msg, "column 5: expected an operator");
    CHECK(rule_parse("a.b > 1 and c.d", &e) == NULL);
    CHECK_CONTAINS(e.msg, "column 9: expected '&&', '||'");
    CHECK(rule_parse("a.b > \"open", &e) == NULL);
    CHECK_CONTAINS(e.msg, "closing");
    CHECK(rule_parse("", &e) == NULL);
    CHECK_CONTAINS(e.msg, "column 1");
}

TEST(type_errors)
{
    blalm_err e;
    CHECK_EQ_INT(eval_str("edu_llm.model > 3", attrs, &e), -1);
    CHECK_CONTAINS(e.msg, "edu_llm.model is not a number");
    CHECK_EQ_INT(eval_str("edu_llm.model < \"z\"", attrs, &e), -1);
    CHECK_CONTAINS(e.msg, "strings can only be compared");
    CHECK_EQ_INT(eval_str("edu_llm.model", attrs, &e), -1);
}

static int known(void *ctx, const char *set, const char *key)
{
    (void)ctx;
    if (!strcmp(set, "edu_llm")) return !strcmp(key, "score");
    return -1;
}

TEST(unknown_names)
{
    blalm_err e;
    rule *r = rule_parse("edu_llm.score > 1 && edu_llm.scroe > 2", &e);
    CHECK(r);
    CHECK(rule_check(r, known, NULL, &e) < 0);
    CHECK_CONTAINS(e.msg, "column 22: unknown key 'scroe' in attribute set 'edu_llm'");
    rule_free(r);
    r = rule_parse("gopher.pass", &e);
    CHECK(rule_check(r, known, NULL, &e) < 0);
    CHECK_CONTAINS(e.msg, "unknown attribute set 'gopher'");
    rule_free(r);
}

TEST(config_checks_keys)
{
    blalm_err e;
    cJSON *j = config_parse("{\"budget\": 10, \"rulez\": []}", 27, "c.json", &e);
    CHECK(j);
    const char *allowed[] = {"budget", "rules", NULL};
    CHECK(config_check_keys(j, allowed, "c.json", &e) < 0);
    CHECK_CONTAINS(e.msg, "unknown key \"rulez\" (known keys: budget, rules)");
    double b;
    CHECK(config_number(j, "budget", 0, &b, "c.json", &e) == 0 && b == 10);
    const char *s;
    CHECK(config_string(j, "budget", NULL, &s, "c.json", &e) < 0);
    cJSON_Delete(j);
    CHECK(config_parse("{\n  \"a\": 1,\n  oops\n}", 20, "x.json", &e) == NULL);
    CHECK_CONTAINS(e.msg, "x.json:3:");
}

/* a key given twice is refused, naming it (cJSON keeps
 * the first silently) */
TEST(config_refuses_duplicate_keys)
{
    blalm_err e;
    const char *dup = "{\"budget\": 10, \"rules\": [], \"budget\": 20}";
    CHECK(config_parse(dup, strlen(dup), "c.json", &e) == NULL);
    CHECK_CONTAINS(e.msg, "c.json");
    CHECK_CONTAINS(e.msg, "duplicate key \"budget\"");
    const char *nested = "{\"corpora\": [{\"name\": \"a\"}, {\"name\": \"b\", \"budget\": 1, \"name\": \"c\"}]}";
    CHECK(config_parse(nested, strlen(nested), "c.json", &e) == NULL);
    CHECK_CONTAINS(e.msg, "duplicate key \"name\" in corpora[1]");
    const char *ok = "{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}, \"c\": [{\"x\": 1}, {\"x\": 2}]}";
    cJSON *j = config_parse(ok, strlen(ok), "c.json", &e);
    CHECK_MSG(j != NULL, "%s", e.msg);
    cJSON_Delete(j);
    /* many keys: the check is not quadratic in a way that matters, and finds the pair */
    char big[40000];
    size_t n = 0;
    n += (size_t)snprintf(big + n, sizeof big - n, "{");
    for (int i = 0; i < 2000; i++) n += (size_t)snprintf(big + n, sizeof big - n, "\"k%d\": %d,", i, i);
    n += (size_t)snprintf(big + n, sizeof big - n, "\"k1234\": 0}");
    CHECK(config_parse(big, n, "big.json", &e) == NULL);
    CHECK_CONTAINS(e.msg, "duplicate key \"k1234\"");
}

/* only finite decimal numbers are literals */
TEST(number_literals_are_finite_decimals)
{
    blalm_err e;
    static const char *const bad[] = {"a.b != -nan", "a.b > +inf", "a.b < -infinity", "a.b > 1e999",
                                      "a.b == 0x10", "a.b > nan", "a.b > inf", "a.b > -1e400",
                                      "a.b > 1.", "a.b > .", "a.b > 1e", "a.b > 1e+", "a.b > --1",
                                      "a.b > 0x1p3", "a.b > 1_000", NULL};
    for (int i = 0; bad[i]; i++) {
        rule *r = rule_parse(bad[i], &e);
        CHECK_MSG(r == NULL, "accepted %s", bad[i]);
        char col[32];
        snprintf(col, sizeof col, "column %d:", (int)(strrchr(bad[i], ' ') - bad[i]) + 2);
        CHECK_MSG(strstr(e.msg, col) && strstr(e.msg, "finite decimal number"), "%s: %s", bad[i], e.msg);
    }
    CHECK_EQ_INT(eval_str("edu_llm.score >= -1.5e1", attrs, &e), 1);
    CHECK_EQ_INT(eval_str("edu_llm.score == 4.0", attrs, &e), 1);
    CHECK_EQ_INT(eval_str("edu_llm.score == +4", attrs, &e), 1);
    CHECK_EQ_INT(eval_str("edu_llm.score < .5e1", attrs, &e), 1);
    CHECK_EQ_INT(eval_str("edu_llm.score > 39E-1", attrs, &e), 1);
    CHECK_EQ_INT(eval_str("edu_llm.score > 1e-400", attrs, &e), 1);   /* underflow to 0 is finite */
    CHECK_EQ_INT(eval_str("(edu_llm.score==4)&&edu_llm.score>3", attrs, &e), 1);
}

static char *repeat(const char *head, const char *unit, int n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * (size_t)n + tl + 1), *p = s;
    memcpy(p, head, hl); p += hl;
    for (int i = 0; i < n; i++) { memcpy(p, unit, ul); p += ul; }
    memcpy(p, tail, tl + 1);
    return s;
}

/* deep or huge rules get an error, not a crash */
TEST(deep_and_long_rules_are_refused)
{
    blalm_err e;
    char *s = repeat("", "(", 65000, "a.b");
    CHECK(rule_parse(s, &e) == NULL);
    CHECK_CONTAINS(e.msg, "nesting deeper than");
    free(s);
    s = repeat("", "!", 130000, "a.b");
    CHECK(rule_parse(s, &e) == NULL);
    CHECK_MSG(strstr(e.msg, "nesting deeper than") || strstr(e.msg, "longer than"), "%s", e.msg);
    free(s);
    /* the depth limit alone, well under the length limit */
    s = repeat("", "!", 300, "a.b");
    CHECK(rule_parse(s, &e) == NULL);
    CHECK_CONTAINS(e.msg, "nesting deeper than 100");
    free(s);
    s = repeat("a.b", " && a.b", 200000, "");
    CHECK(rule_parse(s, &e) == NULL);
    CHECK_CONTAINS(e.msg, "longer than 65536 bytes");
    free(s);
    /* the limits leave real rules alone: 100 levels, and a chain of 5,000
     * terms evaluates without deep recursion (n-ary && and ||) */
    s = repeat("", "(", 99, "edu_llm.score == 4");
    char *t = repeat(s, ")", 99, "");
    CHECK_EQ_INT(eval_str(t, attrs, &e), 1);
    free(s); free(t);
    s = repeat("edu_llm.score == 4", " && gopher_quality.pass", 2700, "");
    CHECK_MSG(eval_str(s, attrs, &e) == 1, "%s", e.msg);
    free(s);
    s = repeat("dedup.keep", " || dedup.keep", 4000, " || edu_llm.score > 3");
    CHECK_MSG(eval_str(s, attrs, &e) == 1, "%s", e.msg);
    free(s);
}

/* the column and the problem come first; a long rule is
 * quoted around the column, not cut before it */
TEST(long_rule_errors_show_the_column)
{
    blalm_err e;
    char *s = repeat("", "edu_llm.score > 1 && ", 300, "edu_llm.score >");
    CHECK(rule_parse(s, &e) == NULL);
    char col[64];
    snprintf(col, sizeof col, "column %zu: expected a value", strlen(s) + 1);
    CHECK_CONTAINS(e.msg, col);
    CHECK_CONTAINS(e.msg, "edu_llm.score >");
    CHECK(strlen(e.msg) < 400);
    free(s);
    s = repeat("", "edu_llm.score > 1 && ", 300, "edu_llm.scroe > 1");
    rule *r = rule_parse(s, &e);
    CHECK(r);
    CHECK(rule_check(r, known, NULL, &e) < 0);
    snprintf(col, sizeof col, "column %zu: unknown key 'scroe'", strlen(s) - 16);
    CHECK_CONTAINS(e.msg, col);
    rule_free(r);
    free(s);
}

int main(void)
{
    RUN(evaluates);
    RUN(precedence);
    RUN(parse_errors_point_at_column);
    RUN(type_errors);
    RUN(unknown_names);
    RUN(config_checks_keys);
    RUN(config_refuses_duplicate_keys);
    RUN(number_literals_are_finite_decimals);
    RUN(deep_and_long_rules_are_refused);
    RUN(long_rule_errors_show_the_column);
    return test_summary();
}
