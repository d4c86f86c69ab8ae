/* Attribute files: atomic writer and the lockstep join with its alignment checks. */
#include <string.h>
#include <unistd.h>

#include "lib/attr.h"
#include "lib/fsutil.h"
#include "lib/zio.h"
#include "test.h"

static char docs_path[1024];

static void make_docs(void)
{
    snprintf(docs_path, sizeof docs_path, "%s/docs.jsonl", test_tmpdir());
    FILE *f = fopen(docs_path, "w");
    /* ids repeat: documents are keyed by row, not id */
    fputs("{\"id\":\"a\",\"text\":\"one two\"}\n{\"id\":\"b\",\"text\":\"three\"}\n{\"id\":\"a\",\"text\":\"one two\"}\n", f);
    fclose(f);
}

static const char *write_attrs(const char *name, const char *set, const char *const *ids, int n)
{
    static char p[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", test_tmpdir(), name);
    blalm_err e;
    attr_writer *w = attrw_open(p[k], set, &e);
    for (int i = 0; i < n; i++) {
        char obj[64];
        int len = snprintf(obj, sizeof obj, "{\"words\":%d,\"pass\":%s}", i + 1, i % 2 ? "false" : "true");
        attrw_write(w, ids[i], strlen(ids[i]), obj, (size_t)len, &e);
    }
    attrw_commit(w, &e);
    return p[k];
}

/* A file of the given text in the test's directory. */
static const char *write_text(const char *name, const char *text)
{
    static char p[4][1024];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(p[k], "w");
    fputs(text, f);
    fclose(f);
    return p[k];
}

TEST(join_in_lockstep)
{
    make_docs();
    const char *ids[] = {"a", "b", "a"};
    const char *p1 = write_attrs("r.jsonl.zst", "readability", ids, 3);
    const char *p2 = write_attrs("g.jsonl.zst", "gopher", ids, 3);
    const char *paths[] = {p1, p2}, *sets[] = {"readability", "gopher"};
    blalm_err e;
    attr_join *j = attrj_open(docs_path, NULL, paths, sets, 2, &e);
    CHECK_MSG(j, "%s", e.msg);
    blalm_doc d;
    cJSON *objs[2];
    int rows = 0, rc;
    while ((rc = attrj_next(j, &d, objs, &e)) == 1) {
        CHECK_EQ_INT(cJSON_GetObjectItem(objs[0], "words")->valueint, rows + 1);
        CHECK(cJSON_IsBool(cJSON_GetObjectItem(objs[1], "pass")));
        rows++;
    }
    CHECK_MSG(rc == 0, "%s", e.msg);
    CHECK_EQ_INT(rows, 3);
    attrj_close(j);
}

TEST(misaligned_ids_fail)
{
    make_docs();
    const char *ids[] = {"a", "a", "b"};
    const char *p = write_attrs("bad.jsonl.zst", "readability", ids, 3);
    const char *sets[] = {"readability"};
    blalm_err e;
    attr_join *j = attrj_open(docs_path, NULL, &p, sets, 1, &e);
    blalm_doc d;
    cJSON *o;
    CHECK(attrj_next(j, &d, &o, &e) == 1);
    CHECK(attrj_next(j, &d, &o, &e) < 0);
    CHECK_CONTAINS(e.msg, "bad.jsonl.zst:2: id \"a\" does not match document row 1");
    attrj_close(j);
}

/* Ids are bytes: a NUL inside one (a parquet id, or "\u0000" in JSON lines)
 * joins like any other byte, and a mismatch after the NUL prints the two
 * ids escaped, not as two equal-looking C strings. */
TEST(ids_with_nul_join)
{
    char p0[1024];
    snprintf(p0, sizeof p0, "%s/nul.jsonl", test_tmpdir());
    FILE *f = fopen(p0, "w");
    fputs("{\"id\":\"a\\u0000b\",\"text\":\"one two\"}\n{\"id\":\"a\\u0000c\",\"text\":\"three\"}\n", f);
    fclose(f);
    const char *sets[] = {"readability"};
    blalm_err e;
    blalm_doc d;
    cJSON *o;
    char p[1024];
    snprintf(p, sizeof p, "%s/nul.jsonl.zst", test_tmpdir());
    attr_writer *w = attrw_open(p, "readability", &e);
    CHECK(attrw_write(w, "a\0b", 3, "{\"words\":2}", 11, &e) == 0);
    CHECK(attrw_write(w, "a\0c", 3, "{\"words\":1}", 11, &e) == 0);
    CHECK(attrw_commit(w, &e) == 0);
    const char *pp = p;
    attr_join *j = attrj_open(p0, NULL, &pp, sets, 1, &e);
    CHECK_MSG(j, "%s", e.msg);
    int rows = 0, rc;
    while ((rc = attrj_next(j, &d, &o, &e)) == 1) {
        CHECK_EQ_INT((int)d.id_len, 3);
        CHECK_EQ_INT(cJSON_GetObjectItem(o, "words")->valueint, 2 - rows);
        rows++;
    }
    CHECK_MSG(rc == 0, "%s", e.msg);
    CHECK_EQ_INT(rows, 2);
    attrj_close(j);
    /* the same ids in the other order: the first line's id differs after its NUL */
    w = attrw_open(p, "readability", &e);
    attrw_write(w, "a\0c", 3, "{}", 2, &e);
    attrw_write(w, "a\0b", 3, "{}", 2, &e);
    attrw_commit(w, &e);
    j = attrj_open(p0, NULL, &pp, sets, 1, &e);
    CHECK(attrj_next(j, &d, &o, &e) < 0);
    CHECK_CONTAINS(e.msg, "nul.jsonl.zst:1: id \"a\\u0000c\" does not match document row 0");
    CHECK_CONTAINS(e.msg, "(id \"a\\u0000b\")");
    attrj_close(j);
}

/* A set read raw (audit --export's): no cJSON tree, the same line, and the
 * same id checks: a wrong id and a line without one fail as when parsed. */
TEST(raw_only_checks_ids)
{
    make_docs();
    const char *ids[] = {"a", "b", "a"};
    const char *p1 = write_attrs("raw1.jsonl.zst", "readability", ids, 3);
    const char *p2 = write_attrs("raw2.jsonl.zst", "gopher", ids, 3);
    const char *paths[] = {p1, p2}, *sets[] = {"readability", "gopher"};
    blalm_err e;
    attr_join *j = attrj_open(docs_path, NULL, paths, sets, 2, &e);
    CHECK_MSG(j, "%s", e.msg);
    attrj_raw_only(j, 0);
    blalm_doc d;
    cJSON *objs[2];
    int rows = 0, rc;
    while ((rc = attrj_next(j, &d, objs, &e)) == 1) {
        CHECK(objs[0] == NULL);
        CHECK(cJSON_IsBool(cJSON_GetObjectItem(objs[1], "pass")));
        size_t len;
        const char *line = attrj_raw(j, 0, &len, NULL, NULL);
        char want[96];
        snprintf(want, sizeof want, "\"words\":%d", rows + 1);
        CHECK(line && memmem(line, len, want, strlen(want)));
        rows++;
    }
    CHECK_MSG(rc == 0, "%s", e.msg);
    CHECK_EQ_INT(rows, 3);
    attrj_close(j);
    const char *bad[] = {"a", "a", "b"};
    const char *p = write_attrs("rawbad.jsonl.zst", "readability", bad, 3);
    j = attrj_open(docs_path, NULL, &p, sets, 1, &e);
    CHECK_MSG(j, "%s", e.msg);
    attrj_raw_only(j, 0);
    CHECK(attrj_next(j, &d, objs, &e) == 1);
    CHECK(attrj_next(j, &d, objs, &e) < 0);
    CHECK_CONTAINS(e.msg, "rawbad.jsonl.zst:2: id \"a\" does not match document row 1");
    attrj_close(j);
    p = write_text("rawnoid.jsonl", "{\"readability\":{}}\n");
    j = attrj_open(docs_path, NULL, &p, sets, 1, &e);
    CHECK_MSG(j, "%s", e.msg);
    attrj_raw_only(j, 0);
    CHECK(attrj_next(j, &d, objs, &e) < 0);
    CHECK_CONTAINS(e.msg, "rawnoid.jsonl:1: id (missing) does not match document row 0");
    attrj_close(j);
    p = write_text("rawarray.jsonl", "[1]\n");
    j = attrj_open(docs_path, NULL, &p, sets, 1, &e);
    CHECK_MSG(j, "%s", e.msg);
    attrj_raw_only(j, 0);
    CHECK(attrj_next(j, &d, objs, &e) < 0);
    CHECK_CONTAINS(e.msg, "rawarray.jsonl:1: expected a JSON object");
    attrj_close(j);
}

/* The set is the member whose whole decoded key is its name, as Python's
 * json has it: cJSON ends a key at \u0000, so "readability\u0000x" before
 * "readability" was taken for the set (its 5 refused the line, its object
 * was read as the set). */
TEST(set_key_is_every_byte)
{
    make_docs();
    const char *p = write_text("nulkey.jsonl",
                               "{\"id\":\"a\",\"readability\\u0000x\":5,\"readability\":{\"words\":7}}\n"
                               "{\"id\":\"b\",\"readability\\u0000\":{\"words\":9},\"readability\":{\"words\":8}}\n"
                               "{\"id\":\"a\",\"readability\\u0000x\":5}\n");
    const char *sets[] = {"readability"};
    blalm_err e;
    attr_join *j = attrj_open(docs_path, NULL, &p, sets, 1, &e);
    CHECK_MSG(j, "%s", e.msg);
    blalm_doc d;
    cJSON *o = NULL;
    CHECK_MSG(attrj_next(j, &d, &o, &e) == 1, "%s", e.msg);
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "words")), 7);
    CHECK_MSG(attrj_next(j, &d, &o, &e) == 1, "%s", e.msg);
    CHECK_EQ_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "words")), 8);
    CHECK(attrj_next(j, &d, &o, &e) < 0);
    CHECK_CONTAINS(e.msg, "nulkey.jsonl:3: expected an object under \"readability\"");
    attrj_close(j);
}

TEST(line_count_mismatch_fails)
{
    make_docs();
    const char *ids[] = {"a", "b", "a", "c"};
    const char *sets[] = {"readability"};
    blalm_err e;
    blalm_doc d;
    cJSON *o;
    int rc;
    const char *p = write_attrs("short.jsonl.zst", "readability", ids, 2);
    attr_join *j = attrj_open(docs_path, NULL, &p, sets, 1, &e);
    while ((rc = attrj_next(j, &d, &o, &e)) == 1) {}
    CHECK(rc < 0);
    CHECK_CONTAINS(e.msg, "short.jsonl.zst: ends after 2 lines");
    attrj_close(j);
    p = write_attrs("long.jsonl.zst", "readability", ids, 4);
    j = attrj_open(docs_path, NULL, &p, sets, 1, &e);
    while ((rc = attrj_next(j, &d, &o, &e)) == 1) {}
    CHECK(rc < 0);
    CHECK_CONTAINS(e.msg, "more attribute lines than documents");
    attrj_close(j);
    /* a missing attribute file is named */
    const char *missing = "/nonexistent/attr.jsonl.zst";
    CHECK(attrj_open(docs_path, NULL, &missing, sets, 1, &e) == NULL);
    CHECK_CONTAINS(e.msg, "attribute set 'readability'");
}

TEST(writer_is_atomic)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/atomic.jsonl.zst", test_tmpdir());
    blalm_err e;
    attr_writer *w = attrw_open(p, "s", &e);
    attrw_write(w, "x", 1, "{}", 2, &e);
    CHECK(access(p, F_OK) != 0);
    attrw_abort(w);
    CHECK(access(p, F_OK) != 0);
}

/* A record whose document size, mtime or count is not a whole number in
 * range (a corrupt one: 1e30 was cast to uint64_t, undefined; 2.5 was read
 * as 2) is not relabelled (0, as a record of other settings); an intact
 * one is (1), keeping its numbers. */
TEST(relabel_refuses_corrupt_numbers)
{
    char ap[1024], rp[1100];
    snprintf(ap, sizeof ap, "%s/relabel.jsonl.zst", test_tmpdir());
    attr_record_path(ap, rp, sizeof rp);
    FILE *af = fopen(ap, "w");   /* the attribute file itself (attr_record_current wants it) */
    CHECK(af != NULL);
    if (af) fclose(af);
    doc_identity id = {123, 1733400000123456789LL, 0xabcdef};
    blalm_err e;
    static const struct { const char *from, *to; } bad[] = {
        {"\"size\":123", "\"size\":1e30"},           {"\"size\":123", "\"size\":2.5"},
        {"\"size\":123", "\"size\":-1"},             {"\"documents\":7", "\"documents\":7.5"},
        {"\"documents\":7", "\"documents\":1e20"},   {"\"mtime_ns\":", "\"mtime_ns\":1e19,\"x\":"},
        {"\"mtime_ns\":", "\"mtime_ns\":-1e19,\"x\":"},
    };
    for (size_t k = 0; k <= sizeof bad / sizeof *bad; k++) {
        CHECK(attr_record_write(ap, "s", "src/a.jsonl", &id, 7, 1, "cfg old", "blalm tag", &e) == 0);
        char *text = NULL;
        size_t len = 0;
        CHECK(read_file(rp, &text, &len, &e) == 0);
        if (!text) return;
        if (k < sizeof bad / sizeof *bad) {
            char *at = strstr(text, bad[k].from);
            CHECK_MSG(at != NULL, "%s not in %s", bad[k].from, text);
            if (!at) {
                free(text);
                return;
            }
            FILE *f = fopen(rp, "w");
            fwrite(text, 1, (size_t)(at - text), f);
            fputs(bad[k].to, f);
            fputs(at + strlen(bad[k].from), f);
            fclose(f);
            CHECK_MSG(attr_record_relabel(ap, "cfg old", "cfg new", "blalm tag", &e) == 0, "case %zu: %s", k,
                      bad[k].to);
        } else {
            CHECK_EQ_INT(attr_record_relabel(ap, "cfg old", "cfg new", "blalm tag", &e), 1);
            CHECK(attr_record_current(ap, &id, "cfg new"));
        }
        free(text);
    }
}

int main(void)
{
    RUN(join_in_lockstep);
    RUN(misaligned_ids_fail);
    RUN(ids_with_nul_join);
    RUN(raw_only_checks_ids);
    RUN(set_key_is_every_byte);
    RUN(line_count_mismatch_fails);
    RUN(writer_is_atomic);
    RUN(relabel_refuses_corrupt_numbers);
    return test_summary();
}
