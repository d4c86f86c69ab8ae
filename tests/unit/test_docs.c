/* Document streams: jsonl parsing, errors, round trips, sharded writer, walk. */
#include <sys/stat.h>
#include <unistd.h>

#include "lib/docs.h"
#include "lib/fsutil.h"
#include "lib/work.h"
#include "lib/sbuf.h"
#include "lib/zio.h"
#include "test.h"

static const char *put(const char *name, const char *content)
{
    static char p[8][1024];
    static int k;
    k = (k + 1) % 8;
    snprintf(p[k], sizeof p[k], "%s/%s", test_tmpdir(), name);
    blalm_err e;
    zwriter *w = zw_open(p[k], 3, &e);
    zw_write(w, content, strlen(content), &e);
    zw_commit(w, &e);
    return p[k];
}

/* Reads the first document of a file (or returns the error). */
static int first_doc(const char *path, blalm_doc *d, blalm_err *e, doc_reader **keep)
{
    doc_reader *r = doc_open(path, NULL, e);
    if (!r) return -1;
    int rc = doc_next(r, d, e);
    *keep = r;
    return rc;
}

TEST(parses_document_shape)
{
    const char *p = put("d.jsonl",
                        "{\"id\": \"a1\", \"text\": \"caf\\u00e9 \\ud83d\\ude00\", \"source\": \"web\", "
                        "\"metadata\": {\"url\": \"http://x\", \"score\": 3.5}, \"dump\": \"CC-2024\"}\n"
                        "\n"
                        "{\"text\": \"no id\", \"token_count\": 7}\n");
    blalm_err e;
    doc_reader *r = doc_open(p, NULL, &e);
    CHECK_MSG(r, "%s", e.msg);
    blalm_doc d;
    CHECK(doc_next(r, &d, &e) == 1);
    CHECK_EQ_STR(d.id, "a1");
    CHECK_EQ_STR(d.text, "caf\xc3\xa9 \xf0\x9f\x98\x80");
    CHECK_EQ_STR(d.source, "web");
    CHECK_EQ_STR(d.metadata, "{\"url\": \"http://x\", \"score\": 3.5,\"dump\":\"CC-2024\"}");
    CHECK_EQ_INT(d.row, 0);
    CHECK_EQ_INT(d.line, 1);
    CHECK(doc_next(r, &d, &e) == 1);   /* blank line skipped */
    CHECK_EQ_STR(d.id, "d/1");         /* stable id from file stem and row */
    CHECK_EQ_STR(d.source, "d");
    CHECK_EQ_STR(d.metadata, "{\"token_count\":7}");
    CHECK_EQ_INT(d.line, 3);
    CHECK(doc_next(r, &d, &e) == 0);
    CHECK_EQ_STR(doc_format(r), "jsonl");
    doc_close(r);
}

TEST(errors_name_file_line_column)
{
    blalm_err e;
    blalm_doc d;
    doc_reader *r;
    const char *p = put("bad1.jsonl", "{\"text\":\"ok\"}\n{\"text\": \"x\" \"id\": 1}\n");
    r = doc_open(p, NULL, &e);
    CHECK(doc_next(r, &d, &e) == 1);
    CHECK(doc_next(r, &d, &e) < 0);
    CHECK_CONTAINS(e.msg, "bad1.jsonl:2: column 14: expected ',' or '}'");
    doc_close(r);

    p = put("bad2.jsonl", "{\"id\":\"x\",\"txt\":\"oops\"}\n");
    CHECK(first_doc(p, &d, &e, &r) < 0);
    CHECK_CONTAINS(e.msg, "bad2.jsonl:1: missing \"text\" field");
    doc_close(r);

    p = put("bad3.jsonl", "{\"text\":\"a\xff\"}\n");
    CHECK(first_doc(p, &d, &e, &r) < 0);
    CHECK_CONTAINS(e.msg, "bad3.jsonl:1: column 11: expected valid UTF-8");
    doc_close(r);

    p = put("bad4.jsonl", "[1,2]\n");
    CHECK(first_doc(p, &d, &e, &r) < 0);
    CHECK_CONTAINS(e.msg, "expected a JSON object");
    doc_close(r);

    /* a UTF-8 byte-order mark at the start: said so, not "expected a JSON object" alone */
    p = put("bom.jsonl", "\xef\xbb\xbf{\"text\":\"a\"}\n");
    CHECK(first_doc(p, &d, &e, &r) < 0);
    CHECK_CONTAINS(e.msg, "bom.jsonl:1: column 1: the file starts with a UTF-8 byte-order mark (bytes EF BB BF)");
    doc_close(r);

    p = put("bad5.jsonl", "{\"text\":5}\n");
    CHECK(first_doc(p, &d, &e, &r) < 0);
    CHECK_CONTAINS(e.msg, "string value for the text field");
    doc_close(r);

    p = put("bad6.jsonl", "{\"text\":\"a\"} trailing\n");
    CHECK(first_doc(p, &d, &e, &r) < 0);
    CHECK_CONTAINS(e.msg, "end of line");
    doc_close(r);

    CHECK(doc_open("/nonexistent/x.jsonl", NULL, &e) == NULL);
    CHECK_CONTAINS(e.msg, "/nonexistent/x.jsonl");
}

/* A name both flat and in "metadata", repeated at one level, or a second
 * "metadata" object: the metadata holds each name once, valued as Python's
 * json.loads(line) then datatrove's `metadata | data` reads it (the flat
 * field wins). It once held both ("url":"flat","url":"nested"), which
 * DuckDB refuses and cJSON and Python read differently. */
TEST(metadata_names_are_unique)
{
    const char *p = put("dup.jsonl",
                        "{\"id\":\"a\",\"text\":\"x\",\"url\":\"flat\",\"metadata\":{\"url\":\"nested\"}}\n"
                        "{\"text\":\"x\",\"metadata\": { \"url\" : \"nested\" , \"k\": [1, {\"url\": 2}] },"
                        "\"url\":\"flat\",\"n\":1,\"n\":2}\n"
                        "{\"text\":\"x\",\"metadata\":{\"a\":1,\"b\":2},\"metadata\":{\"b\":3},\"z\":0}\n"
                        "{\"text\":\"x\",\"metadata\": {\"u\\u0072l\": 1, \"x\": 2 }, \"url\": 5}\n"
                        "{\"text\":\"x\",\"metadata\": {\"a\": 1, \"a\": 2}}\n"
                        "{\"text\":\"x\",\"metadata\": {\"p\": 1 , \"q\":2} , \"r\": 3}\n");
    const char *want[] = {
        "{\"url\":\"flat\"}",
        "{\"k\": [1, {\"url\": 2}],\"url\":\"flat\",\"n\":2}",
        "{\"b\":3,\"z\":0}",
        "{\"x\": 2,\"url\":5}",
        "{\"a\": 2}",
        "{\"p\": 1 , \"q\":2,\"r\":3}",   /* no repeats: the text as it was */
    };
    blalm_err e;
    doc_reader *r = doc_open(p, NULL, &e);
    CHECK_MSG(r, "%s", e.msg);
    blalm_doc d;
    for (int i = 0; i < 6; i++) {
        CHECK_MSG(doc_next(r, &d, &e) == 1, "line %d: %s", i + 1, e.msg);
        CHECK_EQ_STR(d.metadata, want[i]);
        CHECK_EQ_INT(d.metadata_len, strlen(want[i]));
    }
    CHECK(doc_next(r, &d, &e) == 0);
    doc_close(r);
}

TEST(text_and_id_fields)
{
    const char *p = put("f.jsonl", "{\"content\":\"hello\",\"doc_id\":42,\"text\":\"ignored\"}\n");
    doc_opts o = {.text_field = "content", .id_field = "doc_id"};
    blalm_err e;
    doc_reader *r = doc_open(p, &o, &e);
    blalm_doc d;
    CHECK(doc_next(r, &d, &e) == 1);
    CHECK_EQ_STR(d.text, "hello");
    CHECK_EQ_STR(d.id, "42");
    CHECK_EQ_STR(d.metadata, "{\"text\":\"ignored\"}");
    doc_close(r);
}

TEST(huge_document_roundtrip)
{
    /* a 64 MiB text with escapes and multi-byte characters survives writer -> reader byte-exactly */
    size_t n = 64u << 20;
    char *text = malloc(n);
    const char pattern[] = "word \xc3\xa9t\xc3\xa9 \"quoted\" back\\slash\ttab\nline \xf0\x9f\x98\x80 ";
    size_t k = sizeof pattern - 1;
    for (size_t i = 0; i < n; i++) text[i] = pattern[i % k];
    size_t cut = n - (n % k);   /* end on a pattern boundary: valid UTF-8 */
    blalm_doc in = {.id = "big", .id_len = 3, .text = text, .text_len = cut, .source = "s", .source_len = 1,
                    .metadata = "{}", .metadata_len = 2};
    blalm_err e;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/huge", test_tmpdir());
    doc_writer *w = docw_open(dir, "shard", 0, 1, &e);
    CHECK(w);
    CHECK(docw_write(w, &in, &e) == 0);
    CHECK(docw_close(w, &e) == 0);
    char path[1200];
    snprintf(path, sizeof path, "%s/shard-00000.jsonl.zst", dir);
    doc_reader *r = doc_open(path, NULL, &e);
    CHECK_MSG(r, "%s", e.msg);
    blalm_doc d;
    CHECK(doc_next(r, &d, &e) == 1);
    CHECK_EQ_INT(d.text_len, cut);
    CHECK(!memcmp(d.text, text, cut));
    doc_close(r);
    free(text);
}

TEST(writer_abort_leaves_nothing)
{
    /* finished shards of an aborted run do not appear, nor do the folders it made */
    char top[1024], dir[1100];
    snprintf(top, sizeof top, "%s/aborted", test_tmpdir());
    snprintf(dir, sizeof dir, "%s/docs/web", top);
    blalm_err e;
    doc_writer *w = docw_open(dir, "shard", 100, 3, &e);
    CHECK(w);
    for (int i = 0; i < 10; i++) {
        const char *text = "a document long enough to fill a hundred-byte shard on its own, or nearly so";
        blalm_doc d = {.id = "x", .id_len = 1, .text = text, .text_len = strlen(text), .source = "web",
                       .source_len = 3, .metadata = "{}", .metadata_len = 2};
        CHECK(docw_write(w, &d, &e) == 0);
    }
    CHECK(docw_shards(w) >= 5);
    char first[1200];
    snprintf(first, sizeof first, "%s/shard-00000.jsonl.zst", dir);
    CHECK(!file_exists(first));   /* not before docw_close */
    docw_abort(w);
    CHECK(!file_exists(top));
}

TEST(writer_rotates_and_walk_finds_files)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/docs/web", test_tmpdir());
    blalm_err e;
    doc_writer *w = docw_open(dir, "shard", 1000, 3, &e);
    char text[200];
    for (int i = 0; i < 50; i++) {
        int n = snprintf(text, sizeof text, "document number %d with some words in it", i);
        char id[16];
        snprintf(id, sizeof id, "d%d", i);
        blalm_doc d = {.id = id, .id_len = strlen(id), .text = text, .text_len = (size_t)n, .source = "web",
                       .source_len = 3, .metadata = "{}", .metadata_len = 2};
        CHECK(docw_write(w, &d, &e) == 0);
    }
    int shards = docw_shards(w);
    CHECK(docw_close(w, &e) == 0);
    CHECK(shards >= 3);
    /* a stray temp file and a sidecar are not documents */
    char junk[1200];
    snprintf(junk, sizeof junk, "%s/.shard-00099.jsonl.zst.tmp.1", dir);
    FILE *f = fopen(junk, "w");
    fclose(f);
    snprintf(junk, sizeof junk, "%s/shard-00000.json", dir);
    f = fopen(junk, "w");
    fclose(f);
    char root[1024];
    snprintf(root, sizeof root, "%s/docs", test_tmpdir());
    doc_file *files;
    size_t nf;
    CHECK(docs_walk(root, &files, &nf, &e) == 0);
    CHECK_EQ_INT(nf, shards);
    CHECK_EQ_STR(files[0].rel, "web/shard-00000.jsonl.zst");
    CHECK_EQ_STR(files[0].source, "web");
    /* all documents come back in order across shards */
    int next = 0;
    for (size_t i = 0; i < nf; i++) {
        doc_reader *r = doc_open(files[i].path, NULL, &e);
        blalm_doc d;
        while (doc_next(r, &d, &e) == 1) {
            char id[16];
            snprintf(id, sizeof id, "d%d", next++);
            CHECK_EQ_STR(d.id, id);
        }
        doc_close(r);
    }
    CHECK_EQ_INT(next, 50);
    char stem[256];
    doc_rel_stem("web/sub/x.jsonl.zst", stem, sizeof stem);
    CHECK_EQ_STR(stem, "web/sub/x");
    doc_rel_stem("a/b.parquet", stem, sizeof stem);
    CHECK_EQ_STR(stem, "a/b");
    docs_walk_free(files, nf);
}

/* a directory symlink loop made the walk read every
 * file 40 times (ELOOP ended it); a second link read a folder twice */
TEST(walk_refuses_symlink_loops)
{
    char root[1024], p[1400], q[1400];
    snprintf(root, sizeof root, "%s/loopdocs", test_tmpdir());
    snprintf(p, sizeof p, "%s/web/sub", root);
    blalm_err e;
    CHECK(mkdir_p(p, &e) == 0);
    snprintf(p, sizeof p, "%s/web/sub/a.jsonl", root);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    fputs("{\"text\":\"one two\"}\n", f);
    fclose(f);
    doc_file *files;
    size_t nf;
    CHECK(docs_walk(root, &files, &nf, &e) == 0);
    CHECK_EQ_INT(nf, 1);
    docs_walk_free(files, nf);
    /* web/sub/up -> .. : a loop */
    snprintf(p, sizeof p, "%s/web/sub/up", root);
    CHECK(symlink("..", p) == 0);
    CHECK(docs_walk(root, &files, &nf, &e) < 0);
    CHECK_CONTAINS(e.msg, "web/sub/up: is the same directory as");
    CHECK_CONTAINS(e.msg, "same directory as");
    CHECK_CONTAINS(e.msg, "symlink loop");
    unlink(p);
    /* other -> web: the same folder under two sources */
    snprintf(q, sizeof q, "%s/other", root);
    CHECK(symlink("web", q) == 0);
    CHECK(docs_walk(root, &files, &nf, &e) < 0);
    CHECK_CONTAINS(e.msg, "other");
    CHECK_CONTAINS(e.msg, "same directory as");
    unlink(q);
    /* a link to the root itself */
    snprintf(q, sizeof q, "%s/web/root", root);
    CHECK(symlink(root, q) == 0);
    CHECK(docs_walk(root, &files, &nf, &e) < 0);
    CHECK_CONTAINS(e.msg, "web/root");
    unlink(q);
}

/* a docs tree of other names (dolma's part-0.json.gz) was read as no
 * documents: tag, score and audit then succeeded on nothing */
static void touch_in(const char *root, const char *rel)
{
    char p[2048];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    char dir[2048];
    snprintf(dir, sizeof dir, "%s", p);
    *strrchr(dir, '/') = 0;
    blalm_err e;
    mkdir_p(dir, &e);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs("{\"text\":\"one two\"}\n", f);
        fclose(f);
    }
}

/* web/p.jsonl and web/p.jsonl.zst (or p.parquet and p.jsonl) shared the stem
 * web/p: generated ids collided (documents dropped as duplicate ids), tag
 * wrote both files' attributes to one file, decisions collided */
TEST(walk_refuses_shared_stems)
{
    char root[1024];
    snprintf(root, sizeof root, "%s/stemdocs", test_tmpdir());
    blalm_err e;
    doc_file *files = NULL;
    size_t nf = 0;
    touch_in(root, "web/p.jsonl");
    touch_in(root, "web/p.jsonl-a.jsonl");   /* sorts between the two: not adjacent by path */
    touch_in(root, "web/q.jsonl");
    touch_in(root, "wiki/p.jsonl");          /* another folder: another stem */
    CHECK(docs_walk(root, &files, &nf, &e) == 0);
    CHECK_EQ_INT(nf, 4);
    docs_walk_free(files, nf);
    touch_in(root, "web/p.jsonl.zst");
    CHECK(docs_walk(root, &files, &nf, &e) < 0);
    CHECK_CONTAINS(e.msg, "web/p.jsonl and ");
    CHECK_CONTAINS(e.msg, "web/p.jsonl.zst: two document files with one name but for the extension (web/p)");
    CHECK_CONTAINS(e.msg, "rename or remove one");
    CHECK(docs_walk_some(root, &files, &nf, &e) < 0);
    CHECK_CONTAINS(e.msg, "rename or remove one");
    char p[1400];
    snprintf(p, sizeof p, "%s/web/p.jsonl.zst", root);
    unlink(p);
    touch_in(root, "web/q.parquet");
    CHECK(docs_walk(root, &files, &nf, &e) < 0);
    CHECK_CONTAINS(e.msg, "web/q.jsonl and ");
    CHECK_CONTAINS(e.msg, "web/q.parquet: two document files");
}

/* docs/caf\xe9.jsonl was taken: dedup wrote the byte into "representative",
 * assemble into documents.jsonl.zst, both then invalid JSON; refused by the
 * walk every stage starts with, the bytes shown escaped */
TEST(walk_refuses_names_not_utf8)
{
    char root[1024];
    snprintf(root, sizeof root, "%s/utf8docs", test_tmpdir());
    blalm_err e;
    doc_file *files = NULL;
    size_t nf = 0;
    touch_in(root, "web/caf\xc3\xa9.jsonl");   /* UTF-8: fine */
    touch_in(root, "web/notes\xff.txt");        /* not a document file: not ours */
    CHECK(docs_walk(root, &files, &nf, &e) == 0);
    CHECK_EQ_INT(nf, 1);
    docs_walk_free(files, nf);
    touch_in(root, "web/caf\xe9.jsonl");
    CHECK(docs_walk(root, &files, &nf, &e) < 0);
    CHECK_CONTAINS(e.msg, "utf8docs/web/caf\\xe9.jsonl: path is not valid UTF-8 (byte \\xe9 at offset 7 of its path under ");
    CHECK_CONTAINS(e.msg, "which must be UTF-8; rename the file");
    CHECK(strchr(e.msg, '\xe9') == NULL);
    CHECK(docs_walk_some(root, &files, &nf, &e) < 0);
    CHECK_CONTAINS(e.msg, "caf\\xe9.jsonl: path is not valid UTF-8");
    char p[1400];
    snprintf(p, sizeof p, "%s/web/caf\xe9.jsonl", root);
    unlink(p);
    /* a folder's name is part of the path: ids and "source" */
    touch_in(root, "w\xe9" "b/a.jsonl");
    CHECK(docs_walk(root, &files, &nf, &e) < 0);
    CHECK_CONTAINS(e.msg, "utf8docs/w\\xe9b/a.jsonl: path is not valid UTF-8 (byte \\xe9 at offset 1");
    CHECK_CONTAINS(e.msg, "rename the folder");
}

/* A file opened by name (cat, count, shard) whose name is not UTF-8: its
 * stem became the generated ids and default "source" raw, so cat wrote
 * invalid JSON and shard shards nothing could read back. Refused as the docs
 * walk refuses such paths: at open when the name is the default source; at
 * the first document without an id when it gives the ids; never when the
 * caller uses no names (count). */
TEST(open_refuses_names_not_utf8)
{
    const char *p = put("nid\xe9.jsonl", "{\"text\":\"x\"}\n");
    blalm_err e;
    CHECK(doc_open(p, NULL, &e) == NULL);
    CHECK_CONTAINS(e.msg, "nid\\xe9.jsonl: file name is not valid UTF-8 (byte \\xe9 at offset 3 of its name");
    CHECK_CONTAINS(e.msg, "rename the file");
    CHECK(strchr(e.msg, '\xe9') == NULL);
    /* ids from the name: refused at the first document without an id, not
     * at open (a file whose documents all have ids is read) */
    doc_opts src = {.default_source = "web"};
    doc_reader *r0 = doc_open(p, &src, &e);
    CHECK_MSG(r0 != NULL, "%s", e.msg);
    blalm_doc d0;
    CHECK(doc_next(r0, &d0, &e) == -1);
    CHECK_CONTAINS(e.msg, "nid\\xe9.jsonl:1: the document has no id, and its generated id \"nid\\xe9/<row>\" would "
                          "not be valid UTF-8 (byte \\xe9 at offset 3");
    CHECK(strchr(e.msg, '\xe9') == NULL);
    doc_close(r0);
    const char *q = put("hasid\xe9.jsonl", "{\"id\":\"a\",\"text\":\"x\"}\n");
    r0 = doc_open(q, &src, &e);
    CHECK_MSG(r0 != NULL, "%s", e.msg);
    CHECK(doc_next(r0, &d0, &e) == 1);
    CHECK_EQ_STR(d0.id, "a");
    CHECK(doc_next(r0, &d0, &e) == 0);
    doc_close(r0);
    doc_opts both = {.default_source = "web", .id_stem = "web/x"};
    doc_reader *r = doc_open(p, &both, &e);
    CHECK_MSG(r != NULL, "%s", e.msg);
    blalm_doc d;
    CHECK(doc_next(r, &d, &e) == 1);
    CHECK_EQ_STR(d.id, "web/x/0");
    doc_close(r);
    doc_opts count = {.names_unused = 1};
    r = doc_open(p, &count, &e);
    CHECK_MSG(r != NULL, "%s", e.msg);
    doc_close(r);
    /* a folder that is not UTF-8 is not part of a lone file's names */
    char dir[1024], f[1100];
    snprintf(dir, sizeof dir, "%s/d\xe9", test_tmpdir());
    mkdir(dir, 0755);
    snprintf(f, sizeof f, "%s/ok.jsonl", dir);
    FILE *fp = fopen(f, "w");
    fputs("{\"text\":\"x\"}\n", fp);
    fclose(fp);
    r = doc_open(f, NULL, &e);
    CHECK_MSG(r != NULL, "%s", e.msg);
    doc_close(r);
}

/* cat and shard gave same-named inputs in different folders the same
 * generated ids (part-0/0 twice), so dedup dropped distinct documents as
 * exact-id duplicates. doc_id_stems keeps a unique file name's default stem
 * and gives the shared ones their paths. */
TEST(id_stems_unique_per_run)
{
    char *paths[] = {"in/2023/part-0.jsonl", "/abs/in/2024/part-0.jsonl.zst", "./other.parquet", "x/p.jsonl",
                     "x/p.jsonl.zst", "p"};
    char **st;
    blalm_err e;
    CHECK(doc_id_stems(paths, 6, &st, &e) == 0);
    CHECK_EQ_STR(st[0], "in/2023/part-0");
    CHECK_EQ_STR(st[1], "abs/in/2024/part-0");
    CHECK(st[2] == NULL);                   /* unique: the default stem, ids as before */
    CHECK_EQ_STR(st[3], "x/p.jsonl");       /* "x/p" twice: the paths as given */
    CHECK_EQ_STR(st[4], "x/p.jsonl.zst");
    CHECK_EQ_STR(st[5], "p");
    doc_id_stems_free(st, 6);
    char *one[] = {"a/part-0.jsonl", "b/part-1.jsonl"};
    CHECK(doc_id_stems(one, 2, &st, &e) == 0);
    CHECK(st[0] == NULL && st[1] == NULL);
    doc_id_stems_free(st, 2);
    CHECK(doc_id_stems(one, 0, &st, &e) == 0);
    doc_id_stems_free(st, 0);
    /* a stem that is not UTF-8 is refused by the reader, at the first
     * document that needs a generated id (--source given, ids present: fine) */
    char *bad[] = {"d\xe9/part-0.jsonl", "b/part-0.jsonl"};
    CHECK(doc_id_stems(bad, 2, &st, &e) == 0);
    CHECK_EQ_STR(st[0], "d\xe9/part-0");
    doc_id_stems_free(st, 2);
}

/* --id-field naming the text field: JSON lines read it as the text and gave
 * generated ids (the document's "id" went to metadata), parquet called the
 * text column a bad id type. Both refuse it at open, alike. */
TEST(id_field_is_text_field_refused)
{
    const char *p = put("idtext.jsonl", "{\"id\":\"z\",\"text\":\"a b\"}\n");
    blalm_err e;
    doc_opts o = {.id_field = "text"};
    CHECK(doc_open(p, &o, &e) == NULL);
    CHECK_CONTAINS(e.msg, "idtext.jsonl: the id field 'text' is the text field (--text-field); the id field must be "
                          "another field (--id-field)");
    doc_opts o2 = {.text_field = "id"};   /* the default id field, "id" */
    CHECK(doc_open(p, &o2, &e) == NULL);
    CHECK_CONTAINS(e.msg, "the id field 'id' is the text field");
    doc_opts o3 = {.text_field = "id", .id_field = "text"};   /* swapped: fine */
    doc_reader *r = doc_open(p, &o3, &e);
    CHECK_MSG(r != NULL, "%s", e.msg);
    blalm_doc d;
    CHECK(doc_next(r, &d, &e) == 1);
    CHECK_EQ_STR(d.id, "a b");
    CHECK_EQ_STR(d.text, "z");
    doc_close(r);
}

/* Two escalation passes left the final set unchecked: an input keeping its
 * bare stem could equal another's escalated one (p.jsonl p.jsonl.zst
 * ../w/p.jsonl.jsonl: "p.jsonl/0" twice), and a leading "/" was dropped
 * (/abs/d/p.jsonl and abs/d/p.jsonl: the same ids). Now the whole set is
 * unique but for one path given twice (the same documents, the same ids). */
TEST(id_stems_whole_set_unique)
{
    char **st;
    blalm_err e;
    char *a[] = {"p.jsonl", "p.jsonl.zst", "../w/p.jsonl.jsonl"};
    CHECK(doc_id_stems(a, 3, &st, &e) == 0);
    CHECK_EQ_STR(st[0], "p.jsonl");
    CHECK_EQ_STR(st[1], "p.jsonl.zst");
    CHECK_EQ_STR(st[2], "../w/p.jsonl");
    doc_id_stems_free(st, 3);
    char *b[] = {"/abs/d/p.jsonl", "abs/d/p.jsonl"};
    CHECK(doc_id_stems(b, 2, &st, &e) == 0);
    CHECK_EQ_STR(st[0], "/abs/d/p.jsonl");
    CHECK_EQ_STR(st[1], "abs/d/p.jsonl");
    doc_id_stems_free(st, 2);
    char *c[] = {"./q.jsonl", "q.jsonl"};   /* one file, two paths: distinct ids */
    CHECK(doc_id_stems(c, 2, &st, &e) == 0);
    CHECK_EQ_STR(st[0], "./q.jsonl");
    CHECK_EQ_STR(st[1], "q.jsonl");
    doc_id_stems_free(st, 2);
    /* one path given twice: the same documents twice, the same ids */
    char *d[] = {"x.jsonl", "y/z.jsonl", "x.jsonl"};
    CHECK(doc_id_stems(d, 3, &st, &e) == 0);
    CHECK_EQ_STR(st[0], "x.jsonl");
    CHECK(st[1] == NULL);   /* its file name, as without the others */
    CHECK_EQ_STR(st[2], "x.jsonl");
    doc_id_stems_free(st, 3);
}

TEST(walk_some_names_skipped_files)
{
    char root[1024];
    snprintf(root, sizeof root, "%s/otherdocs", test_tmpdir());
    blalm_err e;
    doc_file *files = NULL;
    size_t nf = 0;
    CHECK(mkdir_p(root, &e) == 0);
    /* nothing at all */
    CHECK(docs_walk(root, &files, &nf, &e) == 0);
    CHECK_EQ_INT(nf, 0);
    docs_walk_free(files, nf);
    CHECK(docs_walk_some(root, &files, &nf, &e) < 0);
    CHECK_CONTAINS(e.msg, "otherdocs: no document files (names ending in .parquet, .jsonl, .jsonl.gz, .jsonl.zst");
    /* files of other names are named, a few of them */
    touch_in(root, "s/part-0000.json.gz");
    touch_in(root, "s/part-0001.json.gz");
    touch_in(root, "s/part-0002.json.gz");
    touch_in(root, "s/part-0003.json.gz");
    touch_in(root, "s/.x-00000.jsonl.zst");
    CHECK(docs_walk_some(root, &files, &nf, &e) < 0);
    CHECK_CONTAINS(e.msg, "not document file names, so skipped: ");
    CHECK_CONTAINS(e.msg, "otherdocs/s/part-000");
    CHECK_CONTAINS(e.msg, " and 1 more");
    CHECK_CONTAINS(e.msg, "hidden (names starting with '.'), so skipped: ");
    CHECK_CONTAINS(e.msg, "otherdocs/s/.x-00000.jsonl.zst");
    blalm_err e2;
    CHECK(docs_require_some(root, &e2) < 0);   /* the same check, the same words */
    CHECK_EQ_STR(e2.msg, e.msg);
    char msg[1024];
    CHECK_EQ_INT(docs_skipped(root, msg, sizeof msg), 0);   /* no documents: the error says it */
    CHECK_EQ_STR(msg, "");
    /* with a document: listed; the others are a warning's business; fetch's
     * sidecars beside its files are not counted */
    touch_in(root, "s/doc.jsonl");
    touch_in(root, "s/doc.jsonl.meta");
    CHECK(docs_walk_some(root, &files, &nf, &e) == 0);
    CHECK_EQ_INT(nf, 1);
    CHECK_EQ_STR(files[0].rel, "s/doc.jsonl");
    docs_walk_free(files, nf);
    CHECK_EQ_INT(docs_require_some(root, &e2), 0);
    CHECK_EQ_INT(docs_skipped(root, msg, sizeof msg), 4);
    CHECK_CONTAINS(msg, "skipped 4 files under ");
    CHECK_CONTAINS(msg, "whose names are not document file names (.parquet");
    CHECK(strstr(msg, "doc.jsonl.meta") == NULL);
    CHECK(strstr(msg, ".x-00000") == NULL);
    /* a root that cannot be walked: no warning (the reading walk says why) */
    char missing[1100];
    snprintf(missing, sizeof missing, "%s/none", root);
    CHECK_EQ_INT(docs_skipped(missing, msg, sizeof msg), 0);
    CHECK(docs_walk_some(missing, &files, &nf, &e) < 0);
    CHECK_CONTAINS(e.msg, "none");
}

TEST(work_dirs)
{
    work_dirs w;
    blalm_err e;
    CHECK(work_dirs_init(&w, "/w/", NULL, NULL, &e) == 0);
    CHECK_EQ_STR(w.docs, "/w/docs");
    CHECK(work_dirs_init(&w, "/w", "/d/", "/o", &e) == 0);
    CHECK_EQ_STR(w.docs, "/d");
    char p[4096];
    attr_path_for(&w, "readability", "fineweb-edu/sample/10BT/000_00000.parquet", p, sizeof p);
    CHECK_EQ_STR(p, "/o/readability/fineweb-edu/sample/10BT/000_00000.jsonl.zst");
    CHECK(work_dirs_init(&w, NULL, NULL, NULL, &e) < 0);
    CHECK_CONTAINS(e.msg, "--work");
}

int main(void)
{
    RUN(parses_document_shape);
    RUN(errors_name_file_line_column);
    RUN(metadata_names_are_unique);
    RUN(text_and_id_fields);
    RUN(huge_document_roundtrip);
    RUN(writer_abort_leaves_nothing);
    RUN(writer_rotates_and_walk_finds_files);
    RUN(walk_refuses_symlink_loops);
    RUN(walk_some_names_skipped_files);
    RUN(walk_refuses_shared_stems);
    RUN(walk_refuses_names_not_utf8);
    RUN(open_refuses_names_not_utf8);
    RUN(id_stems_unique_per_run);
    RUN(id_stems_whole_set_unique);
    RUN(id_field_is_text_field_refused);
    RUN(work_dirs);
    return test_summary();
}
