/* test_corpus.c - the corpus reader's lenient, full mode (corpus_open_opts),
 * the one verify reads documents.jsonl.zst through: every bad line reported
 * with its line number and left out, the good ones kept with their ids, and
 * the strict open of the same corpus still failing at the first. */
#include "tests/unit/test.h"

#include "lib/corpus.h"
#include "lib/fsutil.h"
#include "lib/zio.h"

#define CHECK_HAS(hay, needle) CHECK_MSG(strstr((hay), (needle)), "\"%s\" lacks \"%s\"", (hay), (needle))

typedef struct seen {
    char msg[8][512];
    int n;
} seen;

static void note(void *ctx, const char *msg)
{
    seen *s = ctx;
    if (s->n < 8) snprintf(s->msg[s->n], sizeof s->msg[0], "%s", msg);
    s->n++;
}

/* DIR/train/a.train ("one two\n\nthree\n"), DIR/dev/a.dev ("four five\n")
 * and DIR/documents.jsonl.zst holding the given lines. */
static int make(const char *dir, const char *const *lines, size_t n, blalm_err *e)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s/train/a.train", test_tmpdir(), dir);
    if (mkdir_parent(p, e) != 0 || write_file_atomic(p, "one two\n\nthree\n", 15, e) != 0) return -1;
    snprintf(p, sizeof p, "%s/%s/dev/a.dev", test_tmpdir(), dir);
    if (mkdir_parent(p, e) != 0 || write_file_atomic(p, "four five\n", 10, e) != 0) return -1;
    snprintf(p, sizeof p, "%s/%s/documents.jsonl.zst", test_tmpdir(), dir);
    zwriter *w = zw_open(p, 3, e);
    if (!w) return -1;
    for (size_t i = 0; i < n; i++)
        if (zw_line(w, lines[i], strlen(lines[i]), e) != 0) {
            zw_abort(w);
            return -1;
        }
    return zw_commit(w, e);
}

static const char *const LINES[] = {
    /* 1 */ "{\"id\": \"a\", \"split\": \"train\", \"file\": \"train/a.train\", \"offset\": 0, \"length\": 7, \"words\": 2}",
    /* 2 */ "not json",
    /* 3 */ "{\"split\": \"train\", \"file\": \"train/a.train\", \"offset\": 9, \"length\": 5, \"words\": 1}",
    /* 4 */ "{\"id\": \"b\", \"split\": \"train\", \"file\": \"train/a.train\", \"offset\": 9, \"length\": 5, \"words\": 1}",
    /* 5 */ "{\"id\": \"c\", \"split\": \"test\", \"file\": \"test/a.test\", \"offset\": 0, \"length\": 1, \"words\": 1}",
    /* 6 */ "{\"id\": \"d\", \"split\": \"dev\", \"file\": \"dev/a.dev\", \"offset\": 5, \"length\": 99, \"words\": 1}",
    /* 7 */ "{\"id\": \"e\", \"split\": \"train\", \"file\": \"dev/a.dev\", \"offset\": 0, \"length\": 9, \"words\": 2}",
    /* 8 */ "{\"id\": \"f\", \"split\": \"dev\", \"file\": \"dev/a.dev\", \"offset\": 0, \"length\": 9, \"words\": 2}",
};

TEST(lenient_reports_every_bad_line)
{
    blalm_err e;
    CHECK_MSG(make("l", LINES, 8, &e) == 0, "%s", e.msg);
    char d[1024];
    snprintf(d, sizeof d, "%s/l", test_tmpdir());
    seen s = {0};
    corpus_opts o = {note, &s, 1};
    corpus c;
    CHECK_MSG(corpus_open_opts(&c, d, &o, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(s.n, 5);
    CHECK_HAS(s.msg[0], "documents.jsonl.zst:2: column 1: not valid JSON");
    CHECK_HAS(s.msg[1], "documents.jsonl.zst:3: expected \"id\"");
    CHECK_HAS(s.msg[2], "documents.jsonl.zst:5: file \"test/a.test\" is not in the corpus");
    CHECK_HAS(s.msg[3], "documents.jsonl.zst:6: document bytes [5, +99) run past the end");
    CHECK_HAS(s.msg[4], "documents.jsonl.zst:7: split \"train\" but file dev/a.dev");
    /* the good lines are kept, with their ids and line numbers */
    CHECK_EQ_INT(c.n_files, 2);
    CHECK_EQ_INT(c.files[0].n_docs, 2);
    CHECK_EQ_STR(c.files[0].docs[0].id, "a");
    CHECK_EQ_STR(c.files[0].docs[1].id, "b");
    CHECK_EQ_INT(c.files[0].docs[1].line, 4);
    CHECK_EQ_INT(c.files[1].n_docs, 1);
    CHECK_EQ_STR(c.files[1].docs[0].id, "f");
    CHECK_EQ_INT(c.files[1].docs[0].words, 2);
    corpus_close(&c);
    /* strict, the same index fails at its first bad line and keeps no ids */
    CHECK(corpus_open(&c, d, &e) == -1);
    CHECK_HAS(e.msg, "documents.jsonl.zst:2: column 1: not valid JSON");
}

TEST(index_lines_parse_as_strictly_as_the_manifest)
{
    /* text after the object, and a key given twice (Python keeps the last "id", cJSON the first) */
    static const char *const lines[] = {
        "{\"id\": \"a\", \"split\": \"train\", \"file\": \"train/a.train\", \"offset\": 0, \"length\": 7, "
        "\"words\": 2} GARBAGE",
        "{\"id\": \"b\", \"split\": \"train\", \"file\": \"train/a.train\", \"offset\": 9, \"length\": 5, "
        "\"words\": 1, \"id\": \"c\"}",
        "{\"id\": \"f\", \"split\": \"dev\", \"file\": \"dev/a.dev\", \"offset\": 0, \"length\": 9, \"words\": 2}  ",
    };
    blalm_err e;
    CHECK_MSG(make("x", lines, 3, &e) == 0, "%s", e.msg);
    char d[1024];
    snprintf(d, sizeof d, "%s/x", test_tmpdir());
    seen s = {0};
    corpus_opts o = {note, &s, 1};
    corpus c;
    CHECK_MSG(corpus_open_opts(&c, d, &o, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(s.n, 2);
    CHECK_HAS(s.msg[0], "documents.jsonl.zst:1: unexpected text after the JSON value");
    CHECK_HAS(s.msg[1], "documents.jsonl.zst:2: duplicate key \"id\"");
    CHECK_EQ_INT(c.files[0].n_docs, 0);
    CHECK_EQ_INT(c.files[1].n_docs, 1);   /* trailing blanks are fine */
    corpus_close(&c);
    CHECK(corpus_open(&c, d, &e) == -1);   /* tokenize and train refuse them too */
    CHECK_HAS(e.msg, "documents.jsonl.zst:1: unexpected text after the JSON value");
}

/* a byte that is not UTF-8 before "id" (a document file named caf\xe9.jsonl in
 * "key"."path") was blamed on "id": 'N: "id": expected a string' */
TEST(invalid_utf8_is_named_at_its_column)
{
    static const char *const lines[] = {
        "{\"key\": {\"path\": \"web/caf\xe9.jsonl\"}, \"id\": \"a\", \"split\": \"train\", \"file\": "
        "\"train/a.train\", \"offset\": 0, \"length\": 7, \"words\": 2}",
        "{\"id\": \"f\", \"split\": \"dev\", \"file\": \"dev/a.dev\", \"offset\": 0, \"length\": 9, \"words\": 2}",
    };
    blalm_err e;
    CHECK_MSG(make("u", lines, 2, &e) == 0, "%s", e.msg);
    char d[1024];
    snprintf(d, sizeof d, "%s/u", test_tmpdir());
    seen s = {0};
    corpus_opts o = {note, &s, 1};
    corpus c;
    CHECK_MSG(corpus_open_opts(&c, d, &o, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(s.n, 1);
    CHECK_HAS(s.msg[0], "documents.jsonl.zst:1: column 26: not valid UTF-8 (byte \\xe9): JSON text must be UTF-8");
    CHECK(strstr(s.msg[0], "\"id\"") == NULL);
    CHECK_EQ_INT(c.files[1].n_docs, 1);
    corpus_close(&c);
    CHECK(corpus_open(&c, d, &e) == -1);
    CHECK_HAS(e.msg, "documents.jsonl.zst:1: column 26: not valid UTF-8");
}

TEST(strict_mode_unchanged_for_tokenize)
{
    /* lines without id, split or words, and a test split's lines: what tokenize accepts */
    static const char *const lines[] = {
        "{\"file\": \"train/a.train\", \"offset\": 0, \"length\": 7}",
        "{\"id\": \"t\", \"split\": \"test\", \"file\": \"test/a.test\", \"offset\": 0, \"length\": 1, "
        "\"words\": 1}",
    };
    blalm_err e;
    CHECK_MSG(make("s", lines, 2, &e) == 0, "%s", e.msg);
    char d[1024];
    snprintf(d, sizeof d, "%s/s", test_tmpdir());
    corpus c;
    CHECK_MSG(corpus_open(&c, d, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.files[0].n_docs, 1);
    CHECK(c.files[0].docs[0].id == NULL);
    CHECK_EQ_INT(c.files[0].docs[0].has_words, 0);
    corpus_close(&c);
    /* the full record is what the lenient mode asks for */
    seen s = {0};
    corpus_opts o = {note, &s, 1};
    CHECK_MSG(corpus_open_opts(&c, d, &o, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(s.n, 2);
    CHECK_HAS(s.msg[0], ":1: expected \"id\", \"split\"");
    CHECK_HAS(s.msg[1], ":2: file \"test/a.test\" is not in the corpus");
    CHECK_EQ_INT(c.files[0].n_docs, 0);
    corpus_close(&c);
}

TEST(lenient_truncated_index_is_a_problem)
{
    blalm_err e;
    CHECK_MSG(make("t", LINES, 1, &e) == 0, "%s", e.msg);
    char p[1024];
    snprintf(p, sizeof p, "%s/t/documents.jsonl.zst", test_tmpdir());
    char *data = NULL;
    size_t n = 0;
    CHECK_MSG(read_file(p, &data, &n, &e) == 0, "%s", e.msg);
    CHECK(write_file_atomic(p, data, n - 4, &e) == 0);
    free(data);
    char d[1024];
    snprintf(d, sizeof d, "%s/t", test_tmpdir());
    seen s = {0};
    corpus_opts o = {note, &s, 1};
    corpus c;
    CHECK_MSG(corpus_open_opts(&c, d, &o, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(s.n, 1);
    CHECK_HAS(s.msg[0], "documents.jsonl.zst");
    corpus_close(&c);
    CHECK(corpus_open(&c, d, &e) == -1);
}

/* A document listed twice would be tokenized, and its words counted, twice. */
TEST(strict_refuses_documents_listed_twice)
{
    static const struct {
        const char *lines[3];
        const char *want;   /* NULL: opens */
    } cases[] = {
        {{"{\"id\": \"a\", \"file\": \"train/a.train\", \"offset\": 0, \"length\": 7}",
          "{\"id\": \"b\", \"file\": \"train/a.train\", \"offset\": 9, \"length\": 5}",
          "{\"id\": \"a\", \"file\": \"dev/a.dev\", \"offset\": 0, \"length\": 9}"},
         "documents.jsonl.zst:3: id \"a\" is also on line 1"},
        {{"{\"file\": \"train/a.train\", \"offset\": 9, \"length\": 5}",
          "{\"file\": \"train/a.train\", \"offset\": 0, \"length\": 7}",
          "{\"file\": \"train/a.train\", \"offset\": 9, \"length\": 5}"},
         "documents.jsonl.zst:3: train/a.train bytes [9, +5) repeat those of line 1 ([9, +5))"},
        {{"{\"file\": \"train/a.train\", \"offset\": 4, \"length\": 11}",
          "{\"file\": \"train/a.train\", \"offset\": 0, \"length\": 1}",
          "{\"file\": \"train/a.train\", \"offset\": 0, \"length\": 7}"},
         "documents.jsonl.zst:3: train/a.train bytes [0, +7) overlap those of line 2 ([0, +1))"},
        /* in any order, touching ranges, empty documents apart: fine */
        {{"{\"id\": \"b\", \"file\": \"train/a.train\", \"offset\": 7, \"length\": 8}",
          "{\"id\": \"a\", \"file\": \"train/a.train\", \"offset\": 0, \"length\": 7}",
          "{\"file\": \"train/a.train\", \"offset\": 7, \"length\": 0}"},
         NULL},
        /* ids are bytes: two that differ only after a NUL are two ids, and
         * a repeated one is shown escaped */
        {{"{\"id\": \"n\\u00001\", \"file\": \"train/a.train\", \"offset\": 0, \"length\": 7}",
          "{\"id\": \"n\\u00002\", \"file\": \"train/a.train\", \"offset\": 9, \"length\": 5}",
          "{\"id\": \"n\", \"file\": \"train/a.train\", \"offset\": 7, \"length\": 2}"},
         NULL},
        {{"{\"id\": \"n\\u00001\", \"file\": \"train/a.train\", \"offset\": 0, \"length\": 7}",
          "{\"id\": \"n\\u00002\", \"file\": \"train/a.train\", \"offset\": 9, \"length\": 5}",
          "{\"id\": \"n\\u00001\", \"file\": \"dev/a.dev\", \"offset\": 0, \"length\": 9}"},
         "documents.jsonl.zst:3: id \"n\\u00001\" is also on line 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        blalm_err e;
        char d[64];
        snprintf(d, sizeof d, "twice%zu", i);
        CHECK_MSG(make(d, cases[i].lines, 3, &e) == 0, "%s", e.msg);
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", test_tmpdir(), d);
        corpus c;
        int rc = corpus_open(&c, p, &e);
        if (!cases[i].want) {
            CHECK_MSG(rc == 0, "%s", e.msg);
            CHECK_EQ_INT(c.files[0].n_docs, 3);
        } else {
            CHECK(rc == -1);
            CHECK_HAS(e.msg, cases[i].want);
        }
        corpus_close(&c);
    }
}

int main(void)
{
    RUN(strict_refuses_documents_listed_twice);
    RUN(lenient_reports_every_bad_line);
    RUN(index_lines_parse_as_strictly_as_the_manifest);
    RUN(strict_mode_unchanged_for_tokenize);
    RUN(invalid_utf8_is_named_at_its_column);
    RUN(lenient_truncated_index_is_a_problem);
    return test_summary();
}
