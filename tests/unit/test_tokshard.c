/* test_tokshard.c - token shard round trip and every header check. */
#include "tests/unit/test.h"
#include "trainer/tokshard.h"

#include <stdint.h>
#include <unistd.h>

/* test.h's CHECK_CONTAINS shadows its own n_ inside FAILF; a local twin. */
#define CHECK_HAS(hay, needle) CHECK_MSG(strstr((hay), (needle)), "\"%s\" lacks \"%s\"", (hay), (needle))

static void shard_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", test_tmpdir(), name);
}

static int write_shard(const char *path, uint32_t vocab, blalm_err *e)
{
    uint8_t sha[32];
    for (int i = 0; i < 32; i++) sha[i] = (uint8_t)i;
    tokshard_writer *w = tokshard_create(path, vocab, vocab - 1, sha, e);
    if (!w) return -1;
    uint32_t a[] = {1, 2, 3}, b[] = {vocab - 2};
    if (tokshard_add_doc(w, a, 3, 2, e) || tokshard_add_doc(w, b, 1, 1, e) ||
        tokshard_add_doc(w, NULL, 0, 0, e)) {
        tokshard_abort(w);
        return -1;
    }
    return tokshard_commit(w, e);
}

TEST(round_trip_u16)
{
    char p[600];
    blalm_err e;
    shard_path(p, sizeof p, "a");
    CHECK_MSG(write_shard(p, 1000, &e) == 0, "%s", e.msg);
    tokshard s;
    CHECK_MSG(tokshard_open(&s, p, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(s.bytes_per_token, 2);
    CHECK_EQ_INT(s.n_tokens, 7);
    CHECK_EQ_INT(s.n_docs, 3);
    CHECK_EQ_INT(s.eot_id, 999);
    CHECK_EQ_INT(s.tokenizer_sha256[31], 31);
    CHECK_EQ_INT(s.docs[0].n_tokens, 4);
    CHECK_EQ_INT(s.docs[0].words, 2);
    CHECK_EQ_INT(s.docs[1].token_offset, 4);
    CHECK_EQ_INT(s.docs[2].token_offset, 6);
    CHECK_EQ_INT(s.docs[2].n_tokens, 1);
    uint32_t t[7];
    tokshard_read(&s, 0, 7, t);
    uint32_t want[] = {1, 2, 3, 999, 998, 999, 999};
    for (int i = 0; i < 7; i++) CHECK_EQ_INT(t[i], want[i]);
    CHECK_MSG(tokshard_verify(&s, &e) == 0, "%s", e.msg);
    tokshard_close(&s);
    /* .tok path works too */
    char q[620];
    snprintf(q, sizeof q, "%s.tok", p);
    CHECK_MSG(tokshard_open(&s, q, &e) == 0, "%s", e.msg);
    tokshard_close(&s);
}

TEST(round_trip_u32)
{
    char p[600];
    blalm_err e;
    shard_path(p, sizeof p, "big");
    CHECK_MSG(write_shard(p, 70000, &e) == 0, "%s", e.msg);
    tokshard s;
    CHECK_MSG(tokshard_open(&s, p, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(s.bytes_per_token, 4);
    CHECK_EQ_INT(tokshard_token(&s, 4), 69998);
    tokshard_close(&s);
}

TEST(rejects_out_of_vocab_id)
{
    char p[600];
    blalm_err e;
    shard_path(p, sizeof p, "bad");
    uint8_t sha[32] = {0};
    tokshard_writer *w = tokshard_create(p, 10, 9, sha, &e);
    CHECK(w);
    uint32_t a[] = {10};
    CHECK(tokshard_add_doc(w, a, 1, 1, &e) == -1);
    CHECK_HAS(e.msg, "outside the vocabulary");
    tokshard_abort(w);
    char q[620];
    snprintf(q, sizeof q, "%s.tok", p);
    CHECK(access(q, F_OK) != 0);
}

static int corrupt_at(const char *path, long off, uint8_t byte)
{
    FILE *f = fopen(path, "r+b");
    if (!f) return -1;
    fseek(f, off, SEEK_SET);
    fputc(byte, f);
    fclose(f);
    return 0;
}

TEST(rejects_corrupt_and_truncated)
{
    char p[600], tp[620], ip[620];
    blalm_err e;
    tokshard s;
    shard_path(p, sizeof p, "c");
    snprintf(tp, sizeof tp, "%s.tok", p);
    snprintf(ip, sizeof ip, "%s.idx", p);

    CHECK(write_shard(p, 1000, &e) == 0);
    CHECK(corrupt_at(tp, 0, 'X') == 0);
    CHECK(tokshard_open(&s, p, &e) == -1);
    CHECK_HAS(e.msg, "magic");

    CHECK(write_shard(p, 1000, &e) == 0);
    CHECK(corrupt_at(tp, 8, 2) == 0);
    CHECK(tokshard_open(&s, p, &e) == -1);
    CHECK_HAS(e.msg, "version");

    CHECK(write_shard(p, 1000, &e) == 0);
    CHECK(truncate(tp, 64 + 5) == 0);
    CHECK(tokshard_open(&s, p, &e) == -1);
    CHECK_HAS(e.msg, "truncated");

    CHECK(write_shard(p, 1000, &e) == 0);
    CHECK(truncate(ip, 40) == 0);
    CHECK(tokshard_open(&s, p, &e) == -1);
    CHECK_HAS(e.msg, "truncated");

    CHECK(write_shard(p, 1000, &e) == 0);
    CHECK(corrupt_at(ip, 32 + 24, 9) == 0); /* second record's offset */
    CHECK(tokshard_open(&s, p, &e) == -1);
    CHECK_HAS(e.msg, "document 1");

    CHECK(write_shard(p, 1000, &e) == 0);
    CHECK(truncate(tp, 10) == 0);
    CHECK(tokshard_open(&s, p, &e) == -1);
    CHECK_HAS(e.msg, "header");

    CHECK(tokshard_open(&s, "/nonexistent/x", &e) == -1);
    CHECK_HAS(e.msg, "/nonexistent/x.tok");
}

/* an id outside the vocabulary in a shard being joined is named in that
 * shard (file, byte, token, document), not in the joined output (before:
 * "OUT.tok: document 0: token id ... outside the vocabulary", a file the
 * user never wrote) */
TEST(concat_names_bad_input_id)
{
    char p[600], tp[620], o[600], ot[620];
    const char *in[1] = {p};
    blalm_err e;
    shard_path(p, sizeof p, "cin");
    shard_path(o, sizeof o, "cout");
    snprintf(tp, sizeof tp, "%s.tok", p);
    snprintf(ot, sizeof ot, "%s.tok", o);
    CHECK(write_shard(p, 1000, &e) == 0);
    CHECK(corrupt_at(tp, 64 + 2 * 2 + 1, 0x7f) == 0);   /* token 2 (document 0): 3 -> 0x7f03 */
    CHECK(tokshard_concat(o, in, 1, NULL, &e) == -1);
    CHECK_HAS(e.msg, tp);
    CHECK_HAS(e.msg, "byte 68: token 2 (document 0): id 32515 outside the vocabulary of 1000");
    CHECK(access(ot, F_OK) != 0);
}

/* the end-of-text id ends a document and appears nowhere else: one inside a
 * document (a shard another tool wrote, or edited) ended it early for the
 * model while the index's boundaries and word counts said otherwise, and was
 * accepted by the writer, the full check and the join */
TEST(rejects_eot_inside_document)
{
    char p[600], tp[620], o[600], ot[620];
    const char *in[1] = {p};
    blalm_err e;
    uint8_t sha[32] = {0};
    shard_path(p, sizeof p, "eot");
    tokshard_writer *w = tokshard_create(p, 10, 9, sha, &e);
    CHECK(w);
    uint32_t a[] = {1, 9, 2};
    CHECK(tokshard_add_doc(w, a, 3, 1, &e) == -1);
    CHECK_HAS(e.msg, "document 0: token 1 is the end-of-text id 9, which only ends a document");
    tokshard_abort(w);
    /* a shard edited after writing: token 1 of document 0 (2 -> 999) */
    shard_path(o, sizeof o, "eotout");
    snprintf(tp, sizeof tp, "%s.tok", p);
    snprintf(ot, sizeof ot, "%s.tok", o);
    CHECK(write_shard(p, 1000, &e) == 0);
    CHECK(corrupt_at(tp, 64 + 2 * 1, 0xe7) == 0 && corrupt_at(tp, 64 + 2 * 1 + 1, 0x03) == 0);
    tokshard s;
    CHECK_MSG(tokshard_open(&s, p, &e) == 0, "%s", e.msg);
    CHECK(tokshard_verify(&s, &e) == -1);
    CHECK_HAS(e.msg, "token 1 (byte 66): the end-of-text id 999 inside document 0");
    tokshard_close(&s);
    CHECK(tokshard_concat(o, in, 1, NULL, &e) == -1);
    CHECK_HAS(e.msg, tp);
    CHECK_HAS(e.msg, "byte 66: token 1 (document 0): the end-of-text id 999 inside the document");
    CHECK(access(ot, F_OK) != 0);
}

int main(void)
{
    RUN(round_trip_u16);
    RUN(round_trip_u32);
    RUN(rejects_out_of_vocab_id);
    RUN(rejects_corrupt_and_truncated);
    RUN(concat_names_bad_input_id);
    RUN(rejects_eot_inside_document);
    return test_summary();
}
