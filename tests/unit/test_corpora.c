/* test_corpora.c - unit tests for the corpora stage: word prefixes and config
 * validation (the external sort and hash map are tested in test_extsort.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "corpora/corpora.h"
#include "corpora/internal.h"
#include "lib/fsutil.h"
#include "tests/unit/test.h"

/* test.h's CHECK_CONTAINS trips -Wshadow (its n_ and FAILF's n_), so: */
#define HAS(hay, needle) CHECK_MSG(strstr((hay), (needle)) != NULL, "\"%s\" lacks \"%s\"", (hay), (needle))

TEST(prefix_words_unicode_spaces)
{
    const char *s = "  a b\xc2\xa0" "c\xe3\x80\x80 d ";   /* NBSP and ideographic space */
    size_t n = strlen(s);
    CHECK_EQ_INT(prefix_bytes_for_words(s, n, 0), 0);
    CHECK_EQ_INT(prefix_bytes_for_words(s, n, 1), 3);          /* "  a" */
    CHECK_EQ_INT(prefix_bytes_for_words(s, n, 3), 8);          /* ... "c" */
    CHECK_EQ_INT(prefix_bytes_for_words(s, n, 4), n - 1);      /* ... "d" */
    CHECK_EQ_INT(prefix_bytes_for_words(s, n, 99), n - 1);
}

static const char *write_tmp(const char *name, const char *text)
{
    static char p[1024];
    snprintf(p, sizeof p, "%s/%s", test_tmpdir(), name);
    blalm_err e;
    mkdir_parent(p, &e);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

static attr_schema *schema_with_edu(void)
{
    write_tmp("attrs/edu_llm/s/a.jsonl.zst", "{\"id\":\"x\",\"edu_llm\":{\"score\":3,\"extra_key\":1}}\n");
    char dir[600];
    snprintf(dir, sizeof dir, "%s/attrs", test_tmpdir());
    blalm_err e;
    return schema_scan(dir, &e);
}

TEST(schema_fixed_and_sampled_keys)
{
    attr_schema *s = schema_with_edu();
    CHECK(s);
    CHECK_EQ_INT(schema_known(s, "edu_llm", "score"), 1);
    CHECK_EQ_INT(schema_known(s, "edu_llm", "justification"), 1);  /* fixed by DESIGN.md */
    CHECK_EQ_INT(schema_known(s, "edu_llm", "extra_key"), 1);      /* sampled */
    CHECK_EQ_INT(schema_known(s, "edu_llm", "nope"), 0);
    CHECK_EQ_INT(schema_known(s, "readability", "words"), -1);    /* set absent */
    schema_free(s);
}

/* keys beyond the 200-line sample: found in later rows and files; a line that
 * may hold the key but is no JSON is a read error kept for the caller */
TEST(schema_keys_beyond_sample)
{
    char *a = malloc(300 * 64), *p = a;
    for (int i = 0; i < 300; i++)
        p += sprintf(p, "{\"id\":\"%d\",\"late\":{\"x\":1%s}}\n", i, i == 260 ? ",\"rare\":2" : "");
    write_tmp("attrs2/late/s/a.jsonl.zst", a);
    free(a);
    write_tmp("attrs2/late/s/b.jsonl.zst", "{\"id\":\"b0\",\"late\":{\"in_b\":null}}\n"
                                           "{\"id\":\"b1\",\"late\":{\"broken\": }\n");
    char dir[600];
    snprintf(dir, sizeof dir, "%s/attrs2", test_tmpdir());
    blalm_err e;
    attr_schema *s = schema_scan(dir, &e);
    CHECK(s);
    CHECK_EQ_INT(schema_known(s, "late", "x"), 1);
    CHECK_EQ_INT(schema_known(s, "late", "rare"), 1);      /* row 260 */
    CHECK_EQ_INT(schema_known(s, "late", "in_b"), 1);      /* the second file, a null value */
    CHECK_EQ_INT(schema_known(s, "late", "rar"), 0);
    CHECK(schema_error(s) == NULL);
    CHECK_EQ_INT(schema_known(s, "late", "broken"), 0);
    CHECK(schema_error(s) != NULL);
    HAS(schema_error(s), "b.jsonl.zst:2: attribute line is not valid JSON");
    HAS(schema_error(s), "attribute set 'late'");
    schema_free(s);
}

TEST(config_defaults_follow_sets)
{
    attr_schema *s = schema_with_edu();
    corpora_config c;
    blalm_err e;
    CHECK(corpora_config_load(&c, NULL, s, NULL, &e) == 0);
    CHECK_EQ_INT(c.ncorpora, 2);
    CHECK_EQ_INT(c.corpora[0].budget, 100000000);
    CHECK_EQ_INT(c.corpora[1].budget, 10000000);
    CHECK_EQ_INT(c.corpora[1].parent, 0);
    CHECK_EQ_INT(c.nrules, 1);
    CHECK_EQ_STR(c.rules[0], "edu_llm.score >= 3");
    CHECK_EQ_INT(c.nranking, 1);
    char *j = corpora_config_json(&c);
    HAS(j, "\"subset_of\":\"strict\"");
    free(j);
    corpora_config_free(&c);
    /* the defaults do not fit the strict-small track */
    CHECK(corpora_config_load(&c, NULL, s, "strict-small", &e) < 0);
    HAS(e.msg, "above the strict-small track limit");
    schema_free(s);
}

static int load_err(const char *json, blalm_err *e)
{
    attr_schema *s = schema_with_edu();
    corpora_config c;
    int rc = corpora_config_load(&c, write_tmp("c.json", json), s, NULL, e);
    if (rc == 0) corpora_config_free(&c);
    schema_free(s);
    return rc;
}

TEST(config_errors_name_the_problem)
{
    blalm_err e;
    CHECK(load_err("{\"rulez\": []}", &e) < 0);
    HAS(e.msg, "rulez");
    CHECK(load_err("{\"corpora\": [{\"name\": \"x\"}]}", &e) < 0);
    HAS(e.msg, "budget");
    CHECK(load_err("{\"corpora\": [{\"name\": \"strict\", \"budget\": 100000001}]}", &e) < 0);
    HAS(e.msg, "track limit");
    CHECK(load_err("{\"rules\": [\"edu_llm.score >= 3\", \"edu_llm.nope\"]}", &e) < 0);
    HAS(e.msg, "rules[1]");
    HAS(e.msg, "nope");
    CHECK(load_err("{\"rules\": [\"edu_llm.score ~ 3\"]}", &e) < 0);
    HAS(e.msg, "rules[0]");
    CHECK(load_err("{\"corpora\": [{\"name\": \"a\", \"budget\": 5, \"subset_of\": \"b\"}]}", &e) < 0);
    HAS(e.msg, "subset_of");
    CHECK(load_err("{\"corpora\": [{\"name\": \"../x\", \"budget\": 5}]}", &e) < 0);
    HAS(e.msg, "name");
    CHECK(load_err("{\"seed\": -1}", &e) < 0);
    HAS(e.msg, "seed");
    CHECK(load_err("{\"corpora\": [{\"name\": \"a\", \"budget\": 5}, {\"name\": \"b\", \"budget\": 3, \"subset_of\": \"a\"}],"
                   " \"ranking\": [{\"key\": \"edu_llm.score\", \"order\": \"asc\"}], \"seed\": 9}", &e) == 0);
}

int main(void)
{
    RUN(prefix_words_unicode_spaces);
    RUN(schema_fixed_and_sampled_keys);
    RUN(schema_keys_beyond_sample);
    RUN(config_defaults_follow_sets);
    RUN(config_errors_name_the_problem);
    rm_tree(test_tmpdir());
    return test_summary();
}
