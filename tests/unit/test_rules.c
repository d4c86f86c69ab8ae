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

int main(void)
{
    RUN(evaluates);
    RUN(precedence);
    RUN(parse_errors_point_at_column);
    RUN(type_errors);
    RUN(unknown_names);
    RUN(config_checks_keys);
    return test_summary();
}
