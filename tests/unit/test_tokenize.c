/* test_tokenize.c - the corpus reader (lib/corpus.h) and the token-shard
 * builder (trainer/tokenize.h) called directly: documents from the index,
 * resume after a kill, a changed tokenizer or file redone, N shards == one
 * process, any thread count == one thread (documents of a file spread over
 * the threads), joining shards (tokshard_concat), bad index lines. */
#include "tests/unit/test.h"

#include <unistd.h>

#include "lib/corpus.h"
#include "lib/fsutil.h"
#include "lib/utf8.h"
#include "lib/zio.h"
#include "trainer/tokenize.h"
#include "trainer/tokshard.h"

#define CHECK_HAS(hay, needle) CHECK_MSG(strstr((hay), (needle)), "\"%s\" lacks \"%s\"", (hay), (needle))

static const char *const TEXTS[] = {
    "The cat sat on the mat.\n\nIt was a sunny day.", "A dog ran to the big red house.",
    "Once upon a time there was a tokenizer.", "He is over the tree and under it.",
    "Short dev document.", "Another dev one, with words.",
};
/* file of each text: 0,1 -> train/a.train; 2,3 -> train/b.train; 4,5 -> dev/a.dev */
static const char *const FILES[] = {"train/a.train", "train/b.train", "dev/a.dev"};

static void path_in(char *out, size_t cap, const char *dir, const char *rel)
{
    snprintf(out, cap, "%s/%s/%s", test_tmpdir(), dir, rel);
}

/* A corpus DIR with an index (index=1) or without. */
static int make_corpus(const char *dir, int index, blalm_err *e)
{
    char p[1024];
    zwriter *w = NULL;
    if (index) {
        path_in(p, sizeof p, dir, "documents.jsonl.zst");
        if (mkdir_parent(p, e) != 0 || !(w = zw_open(p, 3, e))) return -1;
    }
    for (int f = 0; f < 3; f++) {
        char body[1024] = "";
        size_t at = 0;
        for (int d = 2 * f; d < 2 * f + 2; d++) {
            size_t n = strlen(TEXTS[d]);
            if (w) {
                char line[512];
                int k = snprintf(line, sizeof line,
                                 "{\"key\": \"k%d\", \"id\": \"d%d\", \"file\": \"%s\", \"split\": \"%s\", "
                                 "\"offset\": %zu, \"length\": %zu, \"words\": %llu}",
                                 d, d, FILES[f], f < 2 ? "train" : "dev", at, n,
                                 (unsigned long long)words_in(TEXTS[d], n));
                if (zw_line(w, line, (size_t)k, e) != 0) return -1;
            }
            memcpy(body + at, TEXTS[d], n);
            memcpy(body + at + n, "\n\n", 2);
            at += n + 2;
        }
        path_in(p, sizeof p, dir, FILES[f]);
        if (mkdir_parent(p, e) != 0 || write_file_atomic(p, body, at, e) != 0) return -1;
    }
    return w ? zw_commit(w, e) : 0;
}

static bpe_tokenizer *tokenizer(uint32_t vocab, blalm_err *e)
{
    bpe_counter *c = bpe_counter_new(NULL, e);
    if (!c) return NULL;
    for (int d = 0; d < 6; d++)
        if (bpe_counter_feed(c, TEXTS[d], strlen(TEXTS[d]), e) != 0) {
            bpe_counter_free(c);
            return NULL;
        }
    bpe_train_opts o;
    bpe_train_opts_default(&o);
    o.vocab_size = vocab;
    o.allow_smaller = 1;
    bpe_tokenizer *t = bpe_train(c, &o, e);
    bpe_counter_free(c);
    /* saving gives it its identity (bpe_json_sha256) */
    char p[1024];
    snprintf(p, sizeof p, "%s/tokenizer-%u.json", test_tmpdir(), vocab);
    if (t && bpe_save_json(t, p, e) != 0) {
        bpe_free(t);
        return NULL;
    }
    return t;
}

static int run(const char *corpus_dir, const char *out, const bpe_tokenizer *t, shard_spec sh, int force,
               tokenize_counts *c, blalm_err *e)
{
    char cp[1024], op[1024];
    snprintf(cp, sizeof cp, "%s/%s", test_tmpdir(), corpus_dir);
    snprintf(op, sizeof op, "%s/%s", test_tmpdir(), out);
    tokenize_opts o = {0};
    o.corpus = cp;
    o.tok = t;
    o.tokenizer_name = "tokenizer.json";
    o.out = op;
    o.threads = 2;
    o.force = force;
    o.shard = sh;
    return tokenize_run(&o, c, NULL, NULL, e);
}

/* 1 when OUT_A/rel and OUT_B/rel hold the same bytes. */
static int same_file(const char *a, const char *b, const char *rel)
{
    char pa[1024], pb[1024];
    path_in(pa, sizeof pa, a, rel);
    path_in(pb, sizeof pb, b, rel);
    char *da = NULL, *db = NULL;
    size_t na = 0, nb = 0;
    blalm_err e;
    int ok = read_file(pa, &da, &na, &e) == 0 && read_file(pb, &db, &nb, &e) == 0 && na == nb &&
             memcmp(da, db, na) == 0;
    free(da);
    free(db);
    return ok;
}

static int same_output(const char *a, const char *b)
{
    static const char *const outs[] = {"tokens.json", "train/a.train.tok", "train/a.train.idx",
                                       "train/b.train.tok", "train/b.train.idx", "dev/a.dev.tok",
                                       "dev/a.dev.idx"};
    for (size_t i = 0; i < sizeof outs / sizeof *outs; i++)
        if (!same_file(a, b, outs[i])) return 0;
    return 1;
}

TEST(corpus_reader_documents)
{
    blalm_err e;
    CHECK_MSG(make_corpus("c1", 1, &e) == 0, "%s", e.msg);
    char d[1024];
    snprintf(d, sizeof d, "%s/c1", test_tmpdir());
    corpus c;
    CHECK_MSG(corpus_open(&c, d, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.n_files, 3);
    CHECK_EQ_INT(c.has_index, 1);
    /* canonical order: train sorted, then dev */
    CHECK_EQ_STR(c.files[0].rel, "train/a.train");
    CHECK_EQ_STR(c.files[1].rel, "train/b.train");
    CHECK_EQ_STR(c.files[2].rel, "dev/a.dev");
    CHECK_EQ_INT(corpus_count(&c, CORPUS_TRAIN), 2);
    CHECK_EQ_INT(c.files[0].n_docs, 2);
    /* the first document holds a blank line of its own: the index keeps it whole */
    CHECK_EQ_INT(c.files[0].docs[0].length, strlen(TEXTS[0]));
    CHECK_EQ_INT(c.files[0].docs[1].offset, strlen(TEXTS[0]) + 2);
    CHECK_EQ_INT(c.files[0].docs[1].words, 8);
    CHECK_EQ_INT(c.files[2].docs[1].line, 6);
    corpus_close(&c);
}

TEST(corpus_reader_blank_lines)
{
    blalm_err e;
    CHECK_MSG(make_corpus("c0", 0, &e) == 0, "%s", e.msg);
    char d[1024];
    snprintf(d, sizeof d, "%s/c0", test_tmpdir());
    corpus c;
    CHECK_MSG(corpus_open(&c, d, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.has_index, 0);
    CHECK_EQ_INT(c.files[0].n_docs, 0);
    const char text[] = "\n\none\ntwo\n\n\n\nthree \n";
    CHECK(corpus_blank_line_docs(&c.files[0], text, sizeof text - 1, NULL, &e) == 0);
    CHECK_EQ_INT(c.files[0].n_docs, 2);
    CHECK_EQ_INT(c.files[0].docs[0].offset, 2);
    CHECK_EQ_INT(c.files[0].docs[0].length, 7);  /* "one\ntwo" */
    CHECK_EQ_INT(c.files[0].docs[1].offset, 13);
    CHECK_EQ_INT(c.files[0].docs[1].length, 6);  /* "three " without the final newline */
    corpus_close(&c);
}

/* A CRLF file splits as its LF twin: "\r\n\r\n" is a blank line (before, a
 * CRLF corpus was one document per file); a line of only spaces or tabs is not
 * blank (the BabyLM layout separates documents by "\n\n" alone) and is counted. */
TEST(corpus_reader_blank_lines_crlf_and_whitespace)
{
    blalm_err e;
    CHECK_MSG(make_corpus("c0crlf", 0, &e) == 0, "%s", e.msg);
    char d[1024];
    snprintf(d, sizeof d, "%s/c0crlf", test_tmpdir());
    corpus c;
    CHECK_MSG(corpus_open(&c, d, &e) == 0, "%s", e.msg);
    const char lf[] = "one\ntwo\n\nthree\n\n\nfour\n";
    const char crlf[] = "one\r\ntwo\r\n\r\nthree\r\n\r\n\r\nfour\r\n";
    size_t ws = 9;
    CHECK(corpus_blank_line_docs(&c.files[0], lf, sizeof lf - 1, &ws, &e) == 0);
    CHECK_EQ_INT(ws, 0);
    CHECK(corpus_blank_line_docs(&c.files[1], crlf, sizeof crlf - 1, NULL, &e) == 0);
    CHECK_EQ_INT(c.files[0].n_docs, 3);
    CHECK_EQ_INT(c.files[1].n_docs, 3);
    const char *want_lf[] = {"one\ntwo", "three", "four"}, *want_crlf[] = {"one\r\ntwo", "three", "four"};
    for (size_t i = 0; i < 3 && i < c.files[1].n_docs && i < c.files[0].n_docs; i++) {
        CHECK_EQ_INT(c.files[0].docs[i].length, strlen(want_lf[i]));
        CHECK(!memcmp(lf + c.files[0].docs[i].offset, want_lf[i], strlen(want_lf[i])));
        CHECK_EQ_INT(c.files[1].docs[i].length, strlen(want_crlf[i]));
        CHECK(!memcmp(crlf + c.files[1].docs[i].offset, want_crlf[i], strlen(want_crlf[i])));
    }
    corpus_close(&c);
    CHECK_MSG(corpus_open(&c, d, &e) == 0, "%s", e.msg);
    const char wsl[] = "a\n \nb\n\t \r\nc\n\nd\r\n\r";   /* two whitespace-only lines; a final lone "\r" is blank */
    CHECK(corpus_blank_line_docs(&c.files[0], wsl, sizeof wsl - 1, &ws, &e) == 0);
    CHECK_EQ_INT(ws, 2);
    CHECK_EQ_INT(c.files[0].n_docs, 2);
    if (c.files[0].n_docs == 2) {
        CHECK_EQ_INT(c.files[0].docs[0].length, strlen("a\n \nb\n\t \r\nc"));
        CHECK_EQ_INT(c.files[0].docs[1].length, 1);   /* "d" */
    }
    corpus_close(&c);
}

/* Writes DIR/documents.jsonl.zst with one line. */
static int index_line(const char *dir, const char *line, blalm_err *e)
{
    char p[1024];
    path_in(p, sizeof p, dir, "documents.jsonl.zst");
    zwriter *w = zw_open(p, 3, e);
    if (!w) return -1;
    if (zw_line(w, line, strlen(line), e) != 0) {
        zw_abort(w);
        return -1;
    }
    return zw_commit(w, e);
}

TEST(corpus_reader_bad_index)
{
    blalm_err e;
    CHECK_MSG(make_corpus("cb", 1, &e) == 0, "%s", e.msg);
    char d[1024];
    snprintf(d, sizeof d, "%s/cb", test_tmpdir());
    static const struct { const char *line, *want; } cases[] = {
        {"not json", "documents.jsonl.zst:1: column 1: not valid JSON"},
        {"{\"file\": \"train/a.train\", \"offset\": 0, \"length\": 2} x", ":1: unexpected text after the JSON value"},
        {"{\"file\": \"train/a.train\", \"offset\": 0, \"length\": 2, \"length\": 3}", ":1: duplicate key \"length\""},
        {"{\"file\": \"train/a.train\", \"offset\": -1, \"length\": 2}", ":1: expected a JSON object"},
        {"{\"file\": \"train/a.train\", \"offset\": 0, \"length\": 2, \"words\": \"x\"}", "\"words\": expected"},
        {"{\"file\": \"train/zz.train\", \"offset\": 0, \"length\": 2}", "is not in the corpus"},
        {"{\"file\": \"train/a.train\", \"offset\": 5, \"length\": 99999}", "past the end"},
        {"{\"file\": \"train/a.train\", \"split\": \"dev\", \"offset\": 0, \"length\": 2}", "split \"dev\" but file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        CHECK_MSG(index_line("cb", cases[i].line, &e) == 0, "%s", e.msg);
        corpus c;
        CHECK_MSG(corpus_open(&c, d, &e) == -1, "accepted %s", cases[i].line);
        CHECK_HAS(e.msg, cases[i].want);
        CHECK_EQ_INT(c.n_files, 0); /* closed */
    }
    /* a test split's documents are not ours: skipped */
    CHECK_MSG(index_line("cb", "{\"file\": \"test/a.test\", \"offset\": 0, \"length\": 2}", &e) == 0, "%s", e.msg);
    corpus c;
    CHECK_MSG(corpus_open(&c, d, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.files[0].n_docs, 0);
    corpus_close(&c);
}

TEST(tokenize_resume_after_kill)
{
    blalm_err e;
    CHECK_MSG(make_corpus("r", 1, &e) == 0, "%s", e.msg);
    bpe_tokenizer *t = tokenizer(300, &e);
    CHECK_MSG(t, "%s", e.msg);
    tokenize_counts c;
    CHECK_MSG(run("r", "ref", t, SHARD_ONE, 0, &c, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.files_mine, 3);
    CHECK_EQ_INT(c.files_done_before, 0);
    CHECK_EQ_INT(c.docs, 6);
    CHECK_EQ_INT(c.manifest_written, 1);
    /* a run killed midway: one shard committed with its marker, one renamed
     * into place without a marker, one only as temporary files, no tokens.json */
    CHECK_MSG(run("r", "killed", t, SHARD_ONE, 0, &c, &e) == 0, "%s", e.msg);
    char p[1024], q[1024];
    path_in(p, sizeof p, "killed", "tokens.json");
    unlink(p);
    path_in(p, sizeof p, "killed", "state/tokenize/train/b.train.done");
    CHECK(unlink(p) == 0);
    path_in(p, sizeof p, "killed", "state/tokenize/dev/a.dev.done");
    CHECK(unlink(p) == 0);
    path_in(p, sizeof p, "killed", "dev/a.dev.tok");
    path_in(q, sizeof q, "killed", "dev/.a.dev.tok.tmp.999999");
    CHECK(rename(p, q) == 0);
    path_in(p, sizeof p, "killed", "dev/a.dev.idx");
    CHECK(unlink(p) == 0);
    CHECK_MSG(run("r", "killed", t, SHARD_ONE, 0, &c, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.files_done_before, 1);
    CHECK_EQ_INT(c.docs, 6);
    CHECK_MSG(same_output("ref", "killed"), "the resumed run differs from the uninterrupted one");
    /* a DONE marker whose shard was deleted is redone */
    path_in(p, sizeof p, "killed", "train/a.train.idx");
    CHECK(unlink(p) == 0);
    CHECK_MSG(run("r", "killed", t, SHARD_ONE, 0, &c, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.files_done_before, 2);
    CHECK_MSG(same_output("ref", "killed"), "the redone shard differs");
    /* --force redoes all */
    CHECK_MSG(run("r", "killed", t, SHARD_ONE, 1, &c, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.files_done_before, 0);
    bpe_free(t);
}

TEST(tokenize_changed_inputs_redone)
{
    blalm_err e;
    CHECK_MSG(make_corpus("ch", 1, &e) == 0, "%s", e.msg);
    bpe_tokenizer *t = tokenizer(300, &e), *t2 = tokenizer(262, &e);
    CHECK_MSG(t && t2, "%s", e.msg);
    tokenize_counts c;
    CHECK_MSG(run("ch", "o", t, SHARD_ONE, 0, &c, &e) == 0, "%s", e.msg);
    CHECK_MSG(run("ch", "o", t, SHARD_ONE, 0, &c, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.files_done_before, 3);
    /* another tokenizer: every shard redone, with its sha256 */
    CHECK_MSG(run("ch", "o", t2, SHARD_ONE, 0, &c, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.files_done_before, 0);
    char p[1024];
    path_in(p, sizeof p, "o", "train/a.train");
    tokshard s;
    CHECK_MSG(tokshard_open(&s, p, &e) == 0, "%s", e.msg);
    int same = memcmp(s.tokenizer_sha256, bpe_json_sha256(t2), 32) == 0;
    tokshard_close(&s);
    CHECK(same);
    /* a changed corpus file (same size, other bytes) is redone; the others not */
    path_in(p, sizeof p, "ch", "train/b.train");
    char *d;
    size_t n;
    CHECK(read_file(p, &d, &n, &e) == 0);
    d[0] = 'W';
    int wr = write_file_atomic(p, d, n, &e);
    free(d);
    CHECK(wr == 0);
    CHECK_MSG(run("ch", "o", t2, SHARD_ONE, 0, &c, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(c.files_done_before, 2);
    bpe_free(t);
    bpe_free(t2);
}

TEST(tokenize_shards_equal_one_process)
{
    blalm_err e;
    CHECK_MSG(make_corpus("s", 1, &e) == 0, "%s", e.msg);
    bpe_tokenizer *t = tokenizer(300, &e);
    CHECK_MSG(t, "%s", e.msg);
    tokenize_counts c;
    CHECK_MSG(run("s", "one", t, SHARD_ONE, 0, &c, &e) == 0, "%s", e.msg);
    for (int n = 2; n <= 4; n++) {
        char out[32];
        snprintf(out, sizeof out, "three-%d", n);
        size_t mine = 0;
        for (int i = n - 1; i >= 0; i--) {
            shard_spec sh = {i, n, "flag"};
            CHECK_MSG(run("s", out, t, sh, 0, &c, &e) == 0, "%s", e.msg);
            mine += c.files_mine;
            CHECK_EQ_INT(c.manifest_written, i == 0);
        }
        CHECK_EQ_INT(mine, 3);
        CHECK_MSG(same_output("one", out), "%d shards differ from one process", n);
    }
    bpe_free(t);
}

/* One train file of 2,500 documents (three batches of encode_batch) and a
 * dev file: 1, 2 and 3 threads write the same bytes. */
TEST(tokenize_threads_equal_one_thread)
{
    blalm_err e;
    char p[1024];
    path_in(p, sizeof p, "thr", "train/big.train");
    CHECK_MSG(mkdir_parent(p, &e) == 0, "%s", e.msg);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    for (int d = 0; d < 2500; d++)
        fprintf(f, "%sDocument %d: %s %s\n", d ? "\n" : "", d, TEXTS[d % 6], TEXTS[(d * 7 + 3) % 6]);
    fclose(f);
    path_in(p, sizeof p, "thr", "dev/x.dev");
    CHECK_MSG(mkdir_parent(p, &e) == 0 && write_file_atomic(p, "A dev text.\n\nAnd one more.\n", 27, &e) == 0,
              "%s", e.msg);
    bpe_tokenizer *t = tokenizer(300, &e);
    CHECK_MSG(t, "%s", e.msg);
    char cp[1024];
    snprintf(cp, sizeof cp, "%s/thr", test_tmpdir());
    uint64_t tokens1 = 0;
    for (int threads = 1; threads <= 3; threads++) {
        char op[1024];
        snprintf(op, sizeof op, "%s/thr-out-%d", test_tmpdir(), threads);
        tokenize_opts o = {0};
        o.corpus = cp;
        o.tok = t;
        o.tokenizer_name = "tokenizer.json";
        o.out = op;
        o.threads = threads;
        o.shard = SHARD_ONE;
        tokenize_counts c;
        CHECK_MSG(tokenize_run(&o, &c, NULL, NULL, &e) == 0, "%s", e.msg);
        CHECK_EQ_INT(c.docs, 3336); /* blank lines: TEXTS[0] holds one of its own */
        if (threads == 1) {
            tokens1 = c.tokens;
            continue;
        }
        CHECK_EQ_INT(c.tokens, tokens1);
        char a[64], b[64];
        snprintf(b, sizeof b, "thr-out-%d", threads);
        snprintf(a, sizeof a, "thr-out-1");
        static const char *const outs[] = {"tokens.json", "train/big.train.tok", "train/big.train.idx",
                                           "dev/x.dev.tok", "dev/x.dev.idx"};
        for (size_t i = 0; i < sizeof outs / sizeof *outs; i++)
            CHECK_MSG(same_file(a, b, outs[i]), "%s differs between 1 and %d threads", outs[i], threads);
    }
    bpe_free(t);
}

TEST(tokshard_concat_joins_in_order)
{
    blalm_err e;
    CHECK_MSG(make_corpus("j", 1, &e) == 0, "%s", e.msg);
    bpe_tokenizer *t = tokenizer(300, &e);
    CHECK_MSG(t, "%s", e.msg);
    tokenize_counts c;
    CHECK_MSG(run("j", "jo", t, SHARD_ONE, 0, &c, &e) == 0, "%s", e.msg);
    char a[1024], b[1024], out[1024];
    path_in(a, sizeof a, "jo", "train/a.train");
    path_in(b, sizeof b, "jo", "train/b.train");
    path_in(out, sizeof out, "jo", "joined");
    const char *in[] = {a, b};
    CHECK_MSG(tokshard_concat(out, in, 2, bpe_json_sha256(t), &e) == 0, "%s", e.msg);
    tokshard sa, sb, so;
    CHECK(tokshard_open(&sa, a, &e) == 0 && tokshard_open(&sb, b, &e) == 0 && tokshard_open(&so, out, &e) == 0);
    int ok = so.n_docs == sa.n_docs + sb.n_docs && so.n_tokens == sa.n_tokens + sb.n_tokens &&
             so.docs[sa.n_docs].words == sb.docs[0].words;
    for (uint64_t i = 0; ok && i < so.n_tokens; i++)
        ok = tokshard_token(&so, i) ==
             (i < sa.n_tokens ? tokshard_token(&sa, i) : tokshard_token(&sb, i - sa.n_tokens));
    tokshard_close(&sa);
    tokshard_close(&sb);
    tokshard_close(&so);
    CHECK(ok);
    CHECK(tokshard_concat(out, in, 0, NULL, &e) == -1);
    /* shards of another tokenizer are refused */
    bpe_tokenizer *t2 = tokenizer(262, &e);
    CHECK(t2);
    CHECK_MSG(run("j", "jo2", t2, SHARD_ONE, 0, &c, &e) == 0, "%s", e.msg);
    path_in(b, sizeof b, "jo2", "train/b.train");
    CHECK(tokshard_concat(out, in, 2, NULL, &e) == -1);
    CHECK_HAS(e.msg, "different tokenizers");
    /* shards that agree with each other but not with the tokenizer the
     * trainer holds: the first such shard and the header byte are named */
    in[0] = b;
    CHECK(tokshard_concat(out, in, 1, NULL, &e) == 0);
    CHECK(tokshard_concat(out, in, 1, bpe_json_sha256(t), &e) == -1);
    CHECK_HAS(e.msg, "jo2/train/b.train.tok: byte 32: made by the tokenizer with sha256");
    CHECK(tokshard_concat(out, in, 1, bpe_json_sha256(t2), &e) == 0);
    bpe_free(t);
    bpe_free(t2);
}

TEST(tokenize_errors)
{
    blalm_err e;
    tokenize_counts c;
    /* a tokenizer never saved has no identity to key markers with */
    bpe_counter *bc = bpe_counter_new(NULL, &e);
    CHECK(bc && bpe_counter_feed(bc, TEXTS[0], strlen(TEXTS[0]), &e) == 0);
    bpe_train_opts to;
    bpe_train_opts_default(&to);
    to.vocab_size = 270;
    to.allow_smaller = 1;
    bpe_tokenizer *unsaved = bpe_train(bc, &to, &e);
    bpe_counter_free(bc);
    CHECK(unsaved);
    CHECK_MSG(make_corpus("us", 1, &e) == 0, "%s", e.msg);
    int urc = run("us", "usout", unsaved, SHARD_ONE, 0, &c, &e);
    bpe_free(unsaved);
    CHECK(urc == -1);
    CHECK_HAS(e.msg, "never saved");
    bpe_tokenizer *t = tokenizer(300, &e);
    CHECK_MSG(t, "%s", e.msg);
    CHECK(run("nowhere", "x", t, SHARD_ONE, 0, &c, &e) == -1);
    CHECK_HAS(e.msg, "nowhere: No such file or directory");   /* not "no split files" */
    char empty[1024];
    path_in(empty, sizeof empty, "emptycorpus", "");
    CHECK(mkdir_p(empty, &e) == 0);
    CHECK(run("emptycorpus", "x", t, SHARD_ONE, 0, &c, &e) == -1);
    CHECK_HAS(e.msg, "no split files");
    CHECK_MSG(make_corpus("bad", 1, &e) == 0, "%s", e.msg);
    CHECK(index_line("bad", "{\"file\": \"train/a.train\", \"offset\": 10, \"length\": 999999}", &e) == 0);
    CHECK(run("bad", "badout", t, SHARD_ONE, 0, &c, &e) == -1);
    CHECK_HAS(e.msg, "past the end");
    char p[1024];
    path_in(p, sizeof p, "badout", "");
    CHECK_MSG(!file_exists(p), "an error left %s", p);
    bpe_free(t);
}

int main(void)
{
    RUN(corpus_reader_documents);
    RUN(corpus_reader_blank_lines);
    RUN(corpus_reader_blank_lines_crlf_and_whitespace);
    RUN(corpus_reader_bad_index);
    RUN(tokenize_resume_after_kill);
    RUN(tokenize_changed_inputs_redone);
    RUN(tokenize_shards_equal_one_process);
    RUN(tokenize_threads_equal_one_thread);
    RUN(tokshard_concat_joins_in_order);
    RUN(tokenize_errors);
    return test_summary();
}
