/* test_parquet.c - parquet reader and writer: Thrift varints, RLE/bit-packed
 * hybrid, delta decoders, writer round trips, corrupt input.
 *
 * Also a helper for the oracle scripts (tests/oracle/parquet_duckdb.sh):
 *   test_parquet --dump [--text-field F] [--id-field F] [--text-only] FILE...
 *       one JSON line per document: {"id","text","source","metadata","row"}
 *   test_parquet --sum-text FILE [REPS]   decode benchmark: "bytes docs best_wall best_cpu"
 *   test_parquet --write DIR [small]  writes pqw_* files for DuckDB to read back
 *       (DIR/<name>.parquet plus DIR/<name>.expect.jsonl, the rows written) */
#include "test.h"
#include "lib/fsutil.h"
#include "lib/parquet_int.h"
#include "lib/sbuf.h"

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* test.h's CHECK_CONTAINS shadows its own n_; this one prints at most 700 bytes */
#define CHECK_HAS(hay, needle)                                                  \
    do {                                                                        \
        const char *hay_ = (hay), *needle_ = (needle);                          \
        if (!strstr(hay_, needle_)) FAILF("\"%.700s\" lacks \"%s\"", hay_, needle_); \
    } while (0)

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len + 1);
    if (b && fread(b, 1, (size_t)len, f) != (size_t)len) { free(b); b = NULL; }
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void spit(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return;
    fwrite(p, 1, n, f);
    fclose(f);
}

/* Reads every document of an in-memory file; returns count or -1 (err filled). */
static long read_all(const uint8_t *buf, size_t n, const doc_opts *o, blalm_err *e)
{
    pq_reader *r = pq_reader_open_mem(buf, n, "mem.parquet", o, e);
    if (!r) return -1;
    blalm_doc d;
    long cnt = 0;
    int rc;
    while ((rc = pq_reader_next(r, &d, e)) == 1) cnt++;
    pq_reader_close(r);
    return rc < 0 ? -1 : cnt;
}

/* ---- Thrift ------------------------------------------------------------- */

TEST(thrift_varint_zigzag)
{
    const uint8_t b[] = {0x00, 0x7f, 0x80, 0x01, 0xac, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f};
    thrift_in t;
    tin_init(&t, b, sizeof b, 0);
    CHECK_EQ_INT(tin_varint(&t), 0);
    CHECK_EQ_INT(tin_varint(&t), 127);
    CHECK_EQ_INT(tin_varint(&t), 128);
    CHECK_EQ_INT(tin_varint(&t), 300);
    CHECK_EQ_INT(tin_varint(&t), 0xffffffffu);
    CHECK(!t.err);
    CHECK_EQ_INT(zigzag_decode(0), 0);
    CHECK_EQ_INT(zigzag_decode(1), -1);
    CHECK_EQ_INT(zigzag_decode(2), 1);
    CHECK_EQ_INT(zigzag_decode(3), -2);
    CHECK_EQ_INT(zigzag_decode(4294967294u), 2147483647);
    CHECK_EQ_INT(zigzag_decode(4294967295u), -2147483648LL);
    CHECK(zigzag_decode(UINT64_MAX) == INT64_MIN);
    /* truncated and overlong varints */
    const uint8_t tr[] = {0x80, 0x80};
    tin_init(&t, tr, sizeof tr, 100);
    tin_varint(&t);
    CHECK(t.err);
    CHECK_EQ_INT(t.err_off, 102);
    const uint8_t lng[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    tin_init(&t, lng, sizeof lng, 0);
    tin_varint(&t);
    CHECK(t.err);
}

TEST(thrift_fields_and_skip)
{
    /* struct { 1: i32 = -3, 2: true, 20: binary "ab", 21: list<i32>[1,2], 22: struct{1: i64 5} } */
    const uint8_t b[] = {0x15, 0x05, 0x11, 0x08, 0x28, 0x02, 'a', 'b', 0x19, 0x25, 0x02, 0x04,
                         0x1c, 0x16, 0x0a, 0x00, 0x00};
    thrift_in t;
    tin_init(&t, b, sizeof b, 0);
    int16_t last = 0, id;
    int ft, seen = 0;
    while (tin_field(&t, &last, &ft, &id)) {
        if (id == 1) { CHECK_EQ_INT(ft, TT_I32); CHECK_EQ_INT(tin_zigzag(&t), -3); seen++; }
        else if (id == 2) { CHECK_EQ_INT(ft, TT_TRUE); seen++; }
        else if (id == 20) {
            size_t n;
            const uint8_t *s = tin_binary(&t, &n);
            CHECK(s && n == 2 && memcmp(s, "ab", 2) == 0);
            seen++;
        } else { tin_skip(&t, ft); seen++; }
    }
    CHECK(!t.err);
    CHECK_EQ_INT(seen, 5);
    CHECK(t.p == b + sizeof b);
    /* a list claiming more elements than bytes left */
    const uint8_t bad[] = {0x19, 0xf5, 0xff, 0xff, 0x03};
    tin_init(&t, bad, sizeof bad, 0);
    last = 0;
    while (tin_field(&t, &last, &ft, &id)) tin_skip(&t, ft);
    CHECK(t.err);
    /* deep nesting is refused, not recursed into */
    uint8_t deep[200];
    for (int i = 0; i < 200; i++) deep[i] = 0x1c;
    tin_init(&t, deep, sizeof deep, 0);
    tin_skip(&t, TT_STRUCT);
    CHECK(t.err);
}

/* ---- RLE / bit-packed hybrid ---------------------------------------------- */

TEST(rle_bitpacked_hybrid)
{
    /* the parquet spec's example: 0..7 bit-packed with width 3 */
    const uint8_t bp[] = {0x03, 0x88, 0xc6, 0xfa};
    uint32_t out[16];
    CHECK_EQ_INT(rle_decode(bp, bp + sizeof bp, 3, out, 8), 4);
    for (int i = 0; i < 8; i++) CHECK_EQ_INT(out[i], i);
    /* RLE run of 5 x 0x102 (width 9: two value bytes), then bit-packed 1,0,1,... width 1 */
    const uint8_t mix[] = {0x0a, 0x02, 0x01};
    CHECK_EQ_INT(rle_decode(mix, mix + sizeof mix, 9, out, 5), 3);
    for (int i = 0; i < 5; i++) CHECK_EQ_INT(out[i], 0x102);
    /* fewer values wanted than the run holds */
    CHECK(rle_decode(mix, mix + sizeof mix, 9, out, 2) == 3);
    /* truncated: run header without its value, bit-packed without its bytes */
    CHECK(rle_decode(mix, mix + 2, 9, out, 5) < 0);
    CHECK(rle_decode(bp, bp + 2, 3, out, 8) < 0);
    /* the last bit-packed group may be cut short if the values we need exist */
    CHECK(rle_decode(bp, bp + 3, 3, out, 5) >= 0);
    CHECK_EQ_INT(out[4], 4);
    /* width 0: all zeros, no value bytes */
    const uint8_t z[] = {0x10};
    CHECK_EQ_INT(rle_decode(z, z + 1, 0, out, 8), 1);
    CHECK_EQ_INT(out[7], 0);
    CHECK(rle_decode(z, z + 1, 33, out, 1) < 0);
}

/* ---- DELTA_BINARY_PACKED ------------------------------------------------ */

TEST(delta_binary_packed)
{
    /* spec example 1..5: block 128, 4 miniblocks, 5 values, first 1, min delta 1, widths 0 */
    const uint8_t a[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00};
    int64_t out[16];
    size_t cnt;
    const char *why = "";
    CHECK_EQ_INT(delta_decode(a, a + sizeof a, out, 16, &cnt, &why), sizeof a);
    CHECK_EQ_INT(cnt, 5);
    for (int i = 0; i < 5; i++) CHECK_EQ_INT(out[i], i + 1);
    /* 7,5,3,1,2,3,4,5: min delta -2, relative 0,0,0,3,3,3,3 at width 2 */
    uint8_t b[64] = {0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0x00, 0x00, 0x00};
    memset(b + 10, 0, 8);
    b[10] = 0xc0;           /* values 0,0,0,3 -> bits 00 00 00 11 */
    b[11] = 0x3f;           /* 3,3,3,0 */
    CHECK(delta_decode(b, b + 18, out, 16, &cnt, &why) >= 0);
    CHECK_EQ_INT(cnt, 8);
    const int64_t want[] = {7, 5, 3, 1, 2, 3, 4, 5};
    for (int i = 0; i < 8; i++) CHECK_EQ_INT(out[i], want[i]);
    /* a single negative value, no blocks */
    const uint8_t c[] = {0x80, 0x01, 0x04, 0x01, 0x03};
    CHECK(delta_decode(c, c + sizeof c, out, 1, &cnt, &why) == 5);
    CHECK_EQ_INT(out[0], -2);
    /* errors: more values than room, bad block size, truncated miniblock */
    CHECK(delta_decode(a, a + sizeof a, out, 4, &cnt, &why) < 0);
    const uint8_t bad[] = {0x07, 0x04, 0x05, 0x02};
    CHECK(delta_decode(bad, bad + sizeof bad, out, 16, &cnt, &why) < 0);
    CHECK(delta_decode(b, b + 11, out, 16, &cnt, &why) < 0);
    CHECK(strlen(why) > 0);
}

/* ---- writer round trips ------------------------------------------------- */

static const pq_column wcols[] = {
    {"id", PQ_STRING, 0}, {"text", PQ_STRING, 1}, {"n32", PQ_INT32, 1}, {"n64", PQ_INT64, 0},
    {"f", PQ_FLOAT, 1}, {"d", PQ_DOUBLE, 1}, {"b", PQ_BOOL, 1}, {"cat", PQ_STRING, 1},
    {"rare", PQ_STRING, 1},
};
#define NWCOLS ((int)(sizeof wcols / sizeof wcols[0]))

/* Row i of the writer fixtures; text and strings built in sb. */
static void fixture_row(long i, pq_value *v, sbuf *id, sbuf *text, sbuf *cat)
{
    memset(v, 0, sizeof *v * NWCOLS);
    sb_reset(id); sb_reset(text); sb_reset(cat);
    sb_printf(id, "doc-%ld", i);
    v[0].s = id->data; v[0].n = id->len;
    /* text: optional in the schema, never null (a null text is refused:
     * null_text_refused); empty in some rows */
    if (i % 11 == 5) { v[1].s = ""; v[1].n = 0; }
    else {
        sb_printf(text, "Row %ld says \"hi\"\n\tü€ %ld", i, i * i);
        for (long k = 0; k < i % 13; k++) sb_adds(text, " more words");
        v[1].s = text->data; v[1].n = text->len;
    }
    v[2].is_null = i % 5 == 1; v[2].i = (int32_t)(i * 2654435761u);
    v[3].i = (int64_t)i * -1000000007LL;
    v[4].is_null = i % 9 == 0; v[4].d = (float)i / 3.0f;
    v[5].is_null = i % 4 == 2; v[5].d = i * 0.1 - 7.25;
    v[6].is_null = i % 6 == 5; v[6].i = i % 3 == 0;
    sb_printf(cat, "category %ld", i % 17);
    v[7].is_null = i % 19 == 0; v[7].s = cat->data; v[7].n = cat->len;
    /* null in every row before 1000 and in most after: whole pages and row
     * groups (whole files under 1000 rows) of a dictionary column hold no value */
    v[8].is_null = i < 1000 || i % 500 != 0;
    v[8].s = "rare"; v[8].n = 4;
}

static int write_fixture(const char *path, long rows, const pq_write_opts *o, blalm_err *e)
{
    pq_writer *w = pqw_open(path, wcols, NWCOLS, o, e);
    if (!w) return -1;
    sbuf id, text, cat;
    sb_init(&id); sb_init(&text); sb_init(&cat);
    pq_value v[NWCOLS];
    for (long i = 0; i < rows; i++) {
        fixture_row(i, v, &id, &text, &cat);
        if (pqw_row(w, v, e) < 0) { pqw_abort(w); sb_free(&id); sb_free(&text); sb_free(&cat); return -1; }
    }
    sb_free(&id); sb_free(&text); sb_free(&cat);
    return pqw_commit(w, e);
}

/* Expected metadata JSON of fixture row i (all columns but id and text). */
static void fixture_meta(long i, sbuf *out)
{
    pq_value v[NWCOLS];
    sbuf id, text, cat;
    sb_init(&id); sb_init(&text); sb_init(&cat);
    fixture_row(i, v, &id, &text, &cat);
    sb_reset(out);
    sb_addc(out, '{');
    int first = 1;
    for (int c = 2; c < NWCOLS; c++) {
        sb_json_key(out, wcols[c].name, &first);
        if (v[c].is_null) { sb_adds(out, "null"); continue; }
        switch (wcols[c].type) {
        case PQ_INT32: case PQ_INT64: sb_json_int(out, v[c].i); break;
        case PQ_FLOAT: {
            char tmp[48];
            float f = (float)v[c].d;
            for (int p = 1; p <= 9; p++) {
                snprintf(tmp, sizeof tmp, "%.*g", p, (double)f);
                if ((float)strtod(tmp, NULL) == f) break;
            }
            sb_adds(out, tmp);
            break;
        }
        case PQ_DOUBLE: sb_json_num(out, v[c].d); break;
        case PQ_BOOL: sb_json_bool(out, (int)v[c].i); break;
        case PQ_STRING: sb_json_str(out, v[c].s, v[c].n); break;
        }
    }
    sb_addc(out, '}');
    sb_free(&id); sb_free(&text); sb_free(&cat);
}

static int check_fixture(const char *path, long rows, char *why, size_t whylen)
{
    size_t n;
    uint8_t *buf = slurp(path, &n);
    if (!buf) { snprintf(why, whylen, "cannot read %s", path); return -1; }
    blalm_err e = {{0}};
    doc_opts o = {0};
    pq_reader *r = pq_reader_open_mem(buf, n, path, &o, &e);
    if (!r) { snprintf(why, whylen, "%.700s", e.msg); free(buf); return -1; }
    sbuf id, text, cat, meta;
    sb_init(&id); sb_init(&text); sb_init(&cat); sb_init(&meta);
    pq_value v[NWCOLS];
    blalm_doc d;
    long i = 0;
    int rc, bad = 0;
    while ((rc = pq_reader_next(r, &d, &e)) == 1) {
        fixture_row(i, v, &id, &text, &cat);
        fixture_meta(i, &meta);
        size_t tl = v[1].is_null ? 0 : v[1].n;
        if (d.id_len != id.len || memcmp(d.id, id.data, id.len) || d.id[d.id_len] ||
            d.text_len != tl || (tl && memcmp(d.text, v[1].s, tl)) || d.text[d.text_len] ||
            d.metadata_len != meta.len || memcmp(d.metadata, meta.data, meta.len) || d.row != (uint64_t)i) {
            snprintf(why, whylen, "row %ld differs: id %s meta %s want %s", i, d.id, d.metadata, meta.data);
            bad = 1;
            break;
        }
        i++;
    }
    if (!bad && rc < 0) { snprintf(why, whylen, "%.700s", e.msg); bad = 1; }
    if (!bad && i != rows) { snprintf(why, whylen, "%ld rows, expected %ld", i, rows); bad = 1; }
    pq_reader_close(r);
    sb_free(&id); sb_free(&text); sb_free(&cat); sb_free(&meta);
    free(buf);
    return bad ? -1 : 0;
}

TEST(writer_round_trip)
{
    const struct { pq_codec codec; int dict; uint64_t rg; long rows; } cases[] = {
        {PQ_CODEC_NONE, 0, 0, 1000},      {PQ_CODEC_SNAPPY, 1, 0, 1000},
        {PQ_CODEC_ZSTD, 1, 4096, 3000},   {PQ_CODEC_ZSTD, 0, 100000, 50000},
        {PQ_CODEC_SNAPPY, 0, 1, 10},      {PQ_CODEC_NONE, 1, 0, 0},
    };
    char path[600], why[1200];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        snprintf(path, sizeof path, "%s/rt%zu.parquet", test_tmpdir(), k);
        pq_write_opts o = {cases[k].codec, cases[k].dict, cases[k].rg};
        blalm_err e = {{0}};
        CHECK_MSG(write_fixture(path, cases[k].rows, &o, &e) == 0, "case %zu: %.700s", k, e.msg);
        CHECK_MSG(check_fixture(path, cases[k].rows, why, sizeof why) == 0, "case %zu: %.700s", k, why);
    }
}

/* pq_meta_num_rows and pq_meta_column_bytes (run --dry-run's footer
 * estimate): the rows of every row group, and for the plain text column its
 * bytes plus a 4-byte length per non-null value plus page headers. */
TEST(footer_rows_and_column_bytes)
{
    char path[600];
    snprintf(path, sizeof path, "%s/footer.parquet", test_tmpdir());
    pq_write_opts o = {PQ_CODEC_ZSTD, 0, 4096};
    blalm_err e = {{0}};
    long rows = 3000;
    CHECK_MSG(write_fixture(path, rows, &o, &e) == 0, "%.700s", e.msg);
    char *data;
    size_t len;
    CHECK(read_file(path, &data, &len, &e) == 0);
    CHECK(len > 12 && !memcmp(data + len - 4, "PAR1", 4));
    const uint8_t *t = (const uint8_t *)data + len - 8;
    size_t flen = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
    pq_meta *m = pq_meta_parse((const uint8_t *)data + len - 8 - flen, flen, len - 8 - flen, &e);
    CHECK_MSG(m != NULL, "%.700s", e.msg);
    CHECK(pq_meta_num_rows(m) == rows);
    CHECK(pq_meta_row_groups(m) > 1);
    int64_t sum = 0;
    for (int g = 0; g < pq_meta_row_groups(m); g++) sum += pq_meta_rows(m, g);
    CHECK(sum == rows);
    uint64_t text = 0, nonnull = 0;
    sbuf id, tx, cat;
    sb_init(&id); sb_init(&tx); sb_init(&cat);
    pq_value v[NWCOLS];
    for (long i = 0; i < rows; i++) {
        fixture_row(i, v, &id, &tx, &cat);
        if (!v[1].is_null) text += v[1].n, nonnull++;
    }
    sb_free(&id); sb_free(&tx); sb_free(&cat);
    int64_t b = pq_meta_column_bytes(m, "text");
    CHECK_MSG(b >= (int64_t)(text + 4 * nonnull) && b < (int64_t)(text + 4 * nonnull) + 64 * 1024,
              "text column %lld bytes for %llu text bytes in %llu values", (long long)b,
              (unsigned long long)text, (unsigned long long)nonnull);
    CHECK(pq_meta_column_bytes(m, "id") > 0);
    CHECK(pq_meta_column_bytes(m, "no such column") == -1);
    CHECK(pq_meta_num_rows(NULL) == -1 && pq_meta_column_bytes(NULL, "text") == -1);
    pq_meta_free(m);
    free(data);
}

TEST(writer_dictionary_fallback_and_atomic)
{
    /* many distinct long strings overflow the dictionary: later pages go PLAIN */
    char path[600];
    snprintf(path, sizeof path, "%s/fallback.parquet", test_tmpdir());
    pq_column c[] = {{"text", PQ_STRING, 0}};
    pq_write_opts o = {PQ_CODEC_SNAPPY, 1, 0};
    blalm_err e = {{0}};
    pq_writer *w = pqw_open(path, c, 1, &o, &e);
    CHECK_MSG(w != NULL, "%.700s", e.msg);
    char tmp[700];
    snprintf(tmp, sizeof tmp, "%s/.fallback.parquet.tmp.%ld", test_tmpdir(), (long)getpid());
    CHECK(access(tmp, F_OK) == 0);     /* written under the temporary name */
    CHECK(access(path, F_OK) != 0);
    char s[600];
    memset(s, 'x', sizeof s);
    for (int i = 0; i < 5000; i++) {
        memset(s, 'x', sizeof s);
        int n = snprintf(s, sizeof s, "%d", i * 7919);
        s[n] = 'x';
        pq_value v = {0, 0, 0, s, 500 + (size_t)(i % 50)};
        CHECK_MSG(pqw_row(w, &v, &e) == 0, "%.700s", e.msg);
    }
    CHECK_MSG(pqw_commit(w, &e) == 0, "%.700s", e.msg);
    CHECK(access(tmp, F_OK) != 0);
    size_t n;
    uint8_t *buf = slurp(path, &n);
    CHECK(buf != NULL);
    pq_reader *r = pq_reader_open_mem(buf, n, path, NULL, &e);
    CHECK_MSG(r != NULL, "%.700s", e.msg);
    blalm_doc d;
    int i = 0, rc, ok = 1;
    while ((rc = pq_reader_next(r, &d, &e)) == 1) {
        memset(s, 'x', sizeof s);
        int m = snprintf(s, sizeof s, "%d", i * 7919);
        s[m] = 'x';
        if (ok && (d.text_len != 500 + (size_t)(i % 50) || memcmp(d.text, s, d.text_len))) {
            ok = 0;
            fprintf(stderr, "row %d: len %zu text %.40s\n", i, d.text_len, d.text);
        }
        i++;
    }
    pq_reader_close(r);
    free(buf);
    CHECK_MSG(rc == 0, "%.700s", e.msg);
    CHECK(ok);
    CHECK_EQ_INT(i, 5000);
    /* abort leaves nothing behind; a null in a required column is refused */
    snprintf(path, sizeof path, "%s/aborted.parquet", test_tmpdir());
    w = pqw_open(path, c, 1, &o, &e);
    CHECK(w != NULL);
    pq_value nul = {1, 0, 0, NULL, 0};
    CHECK(pqw_row(w, &nul, &e) < 0);
    CHECK_HAS(e.msg, "not nullable");
    pqw_abort(w);
    CHECK(access(path, F_OK) != 0);
    snprintf(tmp, sizeof tmp, "%s/.aborted.parquet.tmp.%ld", test_tmpdir(), (long)getpid());
    CHECK(access(tmp, F_OK) != 0);
}

/* ---- options: projection, generated ids, max_row_groups ------------------ */

TEST(reader_options)
{
    char path[600];
    snprintf(path, sizeof path, "%s/opts.parquet", test_tmpdir());
    pq_column c[] = {{"body", PQ_STRING, 0}, {"score", PQ_DOUBLE, 0}};
    pq_write_opts o = {PQ_CODEC_ZSTD, 0, 64};
    blalm_err e = {{0}};
    pq_writer *w = pqw_open(path, c, 2, &o, &e);
    CHECK_MSG(w != NULL, "%.700s", e.msg);
    for (int i = 0; i < 10; i++) {
        char s[64];
        int n = snprintf(s, sizeof s, "text number %d with padding to make rows big", i);
        pq_value v[2] = {{0, 0, 0, s, (size_t)n}, {0, 0, i + 0.5, NULL, 0}};
        CHECK(pqw_row(w, v, &e) == 0);
    }
    CHECK_MSG(pqw_commit(w, &e) == 0, "%.700s", e.msg);
    size_t n;
    uint8_t *buf = slurp(path, &n);
    doc_opts d0 = {0};
    CHECK(read_all(buf, n, &d0, &e) < 0);          /* no "text" column */
    CHECK_HAS(e.msg, "no text column 'text'");
    doc_opts d1 = {.text_field = "body", .default_source = "src"};
    pq_reader *r = pq_reader_open_mem(buf, n, "dir/opts.parquet", &d1, &e);
    CHECK_MSG(r != NULL, "%.700s", e.msg);
    blalm_doc d;
    CHECK(pq_reader_next(r, &d, &e) == 1);
    CHECK_EQ_STR(d.id, "opts/0");
    CHECK_EQ_STR(d.source, "src");
    CHECK_EQ_STR(d.metadata, "{\"score\":0.5}");
    CHECK(pq_reader_next(r, &d, &e) == 1);
    CHECK_EQ_STR(d.id, "opts/1");
    CHECK_EQ_INT(d.row, 1);
    pq_reader_close(r);
    doc_opts d2 = {.text_field = "body", .text_only = 1, .max_row_groups = 2};
    r = pq_reader_open_mem(buf, n, "opts.parquet", &d2, &e);
    CHECK(r != NULL);
    int cnt = 0;
    while (pq_reader_next(r, &d, &e) == 1) { CHECK_EQ_STR(d.metadata, "{}"); cnt++; }
    pq_reader_close(r);
    CHECK(cnt >= 2 && cnt < 10);
    /* text field of the wrong type */
    doc_opts d3 = {.text_field = "score"};
    CHECK(read_all(buf, n, &d3, &e) < 0);
    CHECK_HAS(e.msg, "expected a string");
    /* metadata range helpers */
    uint32_t flen = (uint32_t)buf[n - 8] | (uint32_t)buf[n - 7] << 8 | (uint32_t)buf[n - 6] << 16 | (uint32_t)buf[n - 5] << 24;
    pq_meta *m = pq_meta_parse(buf + n - 8 - flen, flen, n - 8 - flen, &e);
    CHECK_MSG(m != NULL, "%.700s", e.msg);
    CHECK(pq_meta_row_groups(m) >= 2);
    int64_t rows = 0;
    uint64_t prev_end = 4;
    for (int g = 0; g < pq_meta_row_groups(m); g++) {
        uint64_t off, len;
        rows += pq_meta_rows(m, g);
        CHECK(pq_meta_row_group_range(m, g, &off, &len) == 0);
        CHECK_EQ_INT(off, prev_end);            /* row groups are contiguous */
        prev_end = off + len;
    }
    CHECK_EQ_INT(prev_end, n - 8 - flen);
    CHECK_EQ_INT(rows, 10);
    CHECK_EQ_INT(pq_meta_rows(m, -1), -1);
    uint64_t off, len;
    CHECK(pq_meta_row_group_range(m, 99, &off, &len) < 0);
    pq_meta_free(m);
    free(buf);
}

/* ---- corrupt input ------------------------------------------------------ */

TEST(corrupt_input_errors)
{
    char path[600];
    snprintf(path, sizeof path, "%s/corrupt.parquet", test_tmpdir());
    pq_write_opts o = {PQ_CODEC_SNAPPY, 1, 2000};
    blalm_err e = {{0}};
    CHECK_MSG(write_fixture(path, 300, &o, &e) == 0, "%.700s", e.msg);
    size_t n;
    uint8_t *buf = slurp(path, &n);
    CHECK(buf && n > 100);
    uint8_t *cp = malloc(n);
    /* bad magic at the start */
    memcpy(cp, buf, n);
    cp[0] = 'X';
    CHECK(read_all(cp, n, NULL, &e) < 0);
    CHECK_HAS(e.msg, "byte 0: not a parquet file");
    /* truncated: no magic at the end */
    CHECK(read_all(buf, n - 3, NULL, &e) < 0);
    CHECK_HAS(e.msg, "no PAR1 magic at the end");
    /* footer length beyond the file */
    memcpy(cp, buf, n);
    cp[n - 5] = 0x7f;
    CHECK(read_all(cp, n, NULL, &e) < 0);
    CHECK_HAS(e.msg, "footer length");
    /* truncated footer: cut the file, keep a valid-looking tail */
    uint32_t flen = (uint32_t)buf[n - 8] | (uint32_t)buf[n - 7] << 8 | (uint32_t)buf[n - 6] << 16 | (uint32_t)buf[n - 5] << 24;
    memcpy(cp, buf, n);
    uint32_t shorter = flen / 2;
    size_t cut = n - 8 - flen + shorter;
    memcpy(cp + cut, buf + n - 8, 8);
    cp[cut] = (uint8_t)shorter; cp[cut + 1] = (uint8_t)(shorter >> 8); cp[cut + 2] = 0; cp[cut + 3] = 0;
    CHECK(read_all(cp, cut + 8, NULL, &e) < 0);
    CHECK_HAS(e.msg, "footer");
    /* a page size beyond the file: patch the first page header's compressed size */
    memcpy(cp, buf, n);
    /* header starts at byte 4: field 1 (type), field 2 (usize), field 3 (csize) */
    thrift_in t;
    tin_init(&t, cp + 4, n - 4, 4);
    int16_t last = 0, id;
    int ft;
    uint8_t *csize_at = NULL;
    while (tin_field(&t, &last, &ft, &id)) {
        if (id == 3) { csize_at = (uint8_t *)t.p; break; }
        tin_skip(&t, ft);
    }
    CHECK(csize_at != NULL);
    /* splice in a huge (5-byte) varint for the compressed size */
    size_t vl = 0;
    while (csize_at[vl] & 0x80) vl++;
    vl++;
    size_t at = (size_t)(csize_at - cp);
    const uint8_t huge[] = {0xfe, 0xff, 0xff, 0xff, 0x07};
    size_t n2 = n + 5 - vl;
    uint8_t *big = malloc(n2);
    memcpy(big, cp, at);
    memcpy(big + at, huge, 5);
    memcpy(big + at + 5, buf + at + vl, n - at - vl);
    CHECK(read_all(big, n2, NULL, &e) < 0);
    free(big);
    CHECK_HAS(e.msg, "runs past the end of the file");
    CHECK_HAS(e.msg, "mem.parquet: byte 4:");
    /* every truncation and many byte flips: errors, never crashes */
    int errors = 0;
    for (size_t len = 0; len < n; len += (len < 64 || len > n - 300) ? 1 : 97) {
        memcpy(cp, buf, len);
        if (read_all(cp, len, NULL, &e) < 0) errors++;
    }
    CHECK(errors > 0);
    uint32_t seed = 12345;
    for (int k = 0; k < 3000; k++) {
        memcpy(cp, buf, n);
        for (int j = 0; j < 1 + k % 4; j++) {
            seed = seed * 1103515245u + 12345u;
            cp[(seed >> 8) % n] ^= (uint8_t)(1u << ((seed >> 4) % 8));
        }
        read_all(cp, n, NULL, &e);
    }
    free(cp);
    free(buf);
}

TEST(unsupported_features_refused)
{
    /* hand-made footer: schema with a nested group */
    sbuf m;
    sb_init(&m);
    /* FileMetaData{1: version 1, 2: list[ root(num_children 1), group "g"(num_children 1), leaf "x" ], 3: rows 0} */
    const uint8_t meta[] = {
        0x15, 0x02,                      /* 1: i32 1 */
        0x19, 0x3c,                      /* 2: list of 3 structs */
        0x48, 0x06, 's', 'c', 'h', 'e', 'm', 'a', 0x15, 0x02, 0x00,   /* root: 4 name, 5 num_children 1 */
        0x48, 0x01, 'g', 0x15, 0x02, 0x00,                              /* group g with 1 child */
        0x15, 0x0c, 0x38, 0x01, 'x', 0x00,                             /* 1: type BYTE_ARRAY, 4: name x */
        0x16, 0x00,                      /* 3: i64 0 */
        0x19, 0x0c,                      /* 4: empty list of row groups */
        0x00};
    sb_add(&m, "PAR1", 4);
    sb_add(&m, meta, sizeof meta);
    uint32_t fl = sizeof meta;
    sb_add(&m, &fl, 4);
    sb_add(&m, "PAR1", 4);
    blalm_err e = {{0}};
    CHECK(read_all((uint8_t *)m.data, m.len, NULL, &e) < 0);
    CHECK_HAS(e.msg, "nested");
    CHECK_HAS(e.msg, "mem.parquet");
    CHECK_HAS(e.msg, "column 'g' is nested");   /* names the column (it did not) */
    /* encrypted footer */
    memcpy(m.data + m.len - 4, "PARE", 4);
    CHECK(read_all((uint8_t *)m.data, m.len, NULL, &e) < 0);
    CHECK_HAS(e.msg, "encryption");
    sb_free(&m);
}

/* Offset in buf of the value of the field reached by following ids through
 * nested structs (the first element of any list on the way), or NULL. */
static uint8_t *thrift_find(uint8_t *buf, size_t n, const int16_t *ids, int depth)
{
    thrift_in t;
    tin_init(&t, buf, n, 0);
    for (int k = 0; k < depth; k++) {
        int16_t last = 0, id;
        int ft, found = 0;
        while (tin_field(&t, &last, &ft, &id)) {
            if (id != ids[k]) { tin_skip(&t, ft); continue; }
            if (k == depth - 1) return (uint8_t *)t.p;
            if (ft == TT_LIST) { int et; if (tin_list(&t, &et) < 1) return NULL; }
            found = 1;
            break;
        }
        if (!found) return NULL;
    }
    return NULL;
}

/* ---- bad input: footer counts, byte flips, UTF-8 ---------------------------- */

static uint32_t footer_len(const uint8_t *buf, size_t n)
{
    return (uint32_t)buf[n - 8] | (uint32_t)buf[n - 7] << 8 | (uint32_t)buf[n - 6] << 16 | (uint32_t)buf[n - 5] << 24;
}

/* Copy of buf (n bytes) with the integer field reached by ids (see
 * thrift_find) in the footer set to v: the varint is re-encoded, the footer
 * spliced and its length fixed. NULL when the field is not there. */
static uint8_t *with_footer_int(const uint8_t *buf, size_t n, const int16_t *ids, int depth, int64_t v, size_t *n_out)
{
    uint32_t flen = footer_len(buf, n);
    size_t foff = n - 8 - flen;
    uint8_t *work = malloc(n);
    memcpy(work, buf, n);
    uint8_t *at = thrift_find(work + foff, flen, ids, depth);
    if (!at) { free(work); return NULL; }
    size_t pos = (size_t)(at - work), old = 0;
    while (work[pos + old] & 0x80) old++;
    old++;
    uint8_t enc[10];
    size_t k = 0;
    uint64_t z = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    do { enc[k] = (uint8_t)(z & 0x7f); z >>= 7; if (z) enc[k] |= 0x80; k++; } while (z);
    size_t m = n - old + k;
    uint8_t *out = malloc(m);
    memcpy(out, work, pos);
    memcpy(out + pos, enc, k);
    memcpy(out + pos + k, work + pos + old, n - pos - old);
    uint32_t nl = (uint32_t)(flen - old + k);
    out[m - 8] = (uint8_t)nl; out[m - 7] = (uint8_t)(nl >> 8); out[m - 6] = (uint8_t)(nl >> 16); out[m - 5] = (uint8_t)(nl >> 24);
    free(work);
    *n_out = m;
    return out;
}

static int64_t footer_int(const uint8_t *buf, size_t n, const int16_t *ids, int depth)
{
    uint32_t flen = footer_len(buf, n);
    thrift_in t;
    uint8_t *at = thrift_find((uint8_t *)buf + n - 8 - flen, flen, ids, depth);
    if (!at) return -1;
    tin_init(&t, at, (size_t)(buf + n - at), 0);
    return tin_zigzag(&t);
}

/* Reads every document: count, and a hash of every text (in order). */
static long read_digest(const uint8_t *buf, size_t n, const doc_opts *o, uint64_t *digest, blalm_err *e)
{
    pq_reader *r = pq_reader_open_mem(buf, n, "mem.parquet", o, e);
    if (!r) return -1;
    blalm_doc d;
    long cnt = 0;
    int rc;
    uint64_t h = 1469598103934665603ull;
    while ((rc = pq_reader_next(r, &d, e)) == 1) {
        for (size_t i = 0; i < d.text_len; i++) h = (h ^ (uint8_t)d.text[i]) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
        cnt++;
    }
    pq_reader_close(r);
    *digest = h;
    return rc < 0 ? -1 : cnt;
}

/* Every single-bit flip (bits in mask) of every footer byte: an error, or
 * the same documents (count and texts). Returns the number of flips that
 * silently changed what was read; *errors counts refusals. */
static int footer_flips(const uint8_t *buf, size_t n, const doc_opts *o, unsigned mask, size_t stride, int *errors,
                        char *first, size_t cap)
{
    blalm_err e;
    uint64_t want, got;
    long rows = read_digest(buf, n, o, &want, &e);
    if (rows < 0) { snprintf(first, cap, "baseline: %s", e.msg); return 1; }
    uint32_t flen = footer_len(buf, n);
    uint8_t *cp = malloc(n);
    memcpy(cp, buf, n);
    int wrong = 0;
    for (size_t i = n - 8 - flen; i < n - 8; i += stride)
        for (int b = 0; b < 8; b++) {
            if (!(mask >> b & 1)) continue;
            cp[i] ^= (uint8_t)(1u << b);
            long r = read_digest(cp, n, o, &got, &e);
            if (r < 0) (*errors)++;
            else if (r != rows || got != want) {
                if (!wrong++) snprintf(first, cap, "footer byte %zu bit %d: %ld rows (want %ld), texts %s", i, b, r, rows,
                                       got == want ? "same" : "differ");
            }
            cp[i] ^= (uint8_t)(1u << b);
        }
    free(cp);
    return wrong;
}

/* Defect 5: a row group's num_rows that disagrees with its column chunks or
 * with the file's num_rows, or a footer with a flipped byte, is refused; it
 * never reads as fewer (or 0) rows. */
TEST(footer_counts_must_agree)
{
    char path[600];
    snprintf(path, sizeof path, "%s/counts.parquet", test_tmpdir());
    pq_column c1[] = {{"text", PQ_STRING, 0}};
    pq_write_opts o = {PQ_CODEC_SNAPPY, 0, 0};
    blalm_err e = {{0}};
    pq_writer *w = pqw_open(path, c1, 1, &o, &e);
    CHECK_MSG(w != NULL, "%s", e.msg);
    for (int i = 0; i < 100; i++) {
        char t[64];
        int k = snprintf(t, sizeof t, "document number %d", i);
        pq_value v = {0, 0, 0, t, (size_t)k};
        CHECK(pqw_row(w, &v, &e) == 0);
    }
    CHECK_MSG(pqw_commit(w, &e) == 0, "%s", e.msg);
    size_t n, m;
    uint8_t *buf = slurp(path, &n);
    CHECK(buf != NULL);
    uint64_t dg;
    CHECK_EQ_INT(read_digest(buf, n, NULL, &dg, &e), 100);
    const int16_t file_rows[] = {3}, rg_rows[] = {4, 3}, chunk_values[] = {4, 1, 3, 5};
    CHECK_EQ_INT(footer_int(buf, n, file_rows, 1), 100);
    CHECK_EQ_INT(footer_int(buf, n, rg_rows, 2), 100);
    CHECK_EQ_INT(footer_int(buf, n, chunk_values, 4), 100);
    /* the row group says 50: the file's 100 disagree */
    uint8_t *a = with_footer_int(buf, n, rg_rows, 2, 50, &m);
    CHECK(a != NULL);
    CHECK(read_digest(a, m, NULL, &dg, &e) < 0);
    CHECK_HAS(e.msg, "the file says 100 rows but its 1 row groups hold 50");
    /* ... and the file's num_rows says 50 too: the column chunk's 100 values disagree */
    size_t m2;
    uint8_t *b = with_footer_int(a, m, file_rows, 1, 50, &m2);
    CHECK(b != NULL);
    CHECK(read_digest(b, m2, NULL, &dg, &e) < 0);
    CHECK_HAS(e.msg, "row group 0 says 50 rows but column 'text' holds 100 values");
    /* ... and the chunk says 50 values too: the page header's 100 disagree */
    size_t m3;
    uint8_t *c = with_footer_int(b, m2, chunk_values, 4, 50, &m3);
    CHECK(c != NULL);
    CHECK(read_digest(c, m3, NULL, &dg, &e) < 0);
    CHECK_HAS(e.msg, "column 'text'");
    free(a); free(b); free(c);
    /* the chunk says 150 values: its pages hold 100 */
    a = with_footer_int(buf, n, chunk_values, 4, 150, &m);
    b = with_footer_int(a, m, rg_rows, 2, 150, &m2);
    c = with_footer_int(b, m2, file_rows, 1, 150, &m3);
    CHECK(read_digest(c, m3, NULL, &dg, &e) < 0);
    CHECK_HAS(e.msg, "column 'text'");
    free(a); free(b); free(c);
    /* every bit of the footer flipped in turn */
    int errors = 0;
    char first[300] = "";
    int wrong = footer_flips(buf, n, NULL, 0xff, 1, &errors, first, sizeof first);
    CHECK_MSG(wrong == 0, "%d footer bit flips read other documents without an error; first: %s", wrong, first);
    CHECK(errors > 0);
    free(buf);
    /* a multi-column, multi-row-group file with nulls and a dictionary */
    snprintf(path, sizeof path, "%s/flips.parquet", test_tmpdir());
    pq_write_opts o2 = {PQ_CODEC_SNAPPY, 1, 2000};
    CHECK_MSG(write_fixture(path, 120, &o2, &e) == 0, "%.700s", e.msg);
    buf = slurp(path, &n);
    CHECK(buf != NULL);
    errors = 0;
    wrong = footer_flips(buf, n, NULL, 0xff, 1, &errors, first, sizeof first);
    CHECK_MSG(wrong == 0, "%d footer bit flips read other documents without an error; first: %s", wrong, first);
    free(buf);
}

/* File offset of the struct or value reached by ids in buf's footer. */
static uint64_t footer_at(const uint8_t *buf, size_t n, const int16_t *ids, int depth)
{
    uint32_t flen = footer_len(buf, n);
    uint8_t *at = thrift_find((uint8_t *)buf + n - 8 - flen, flen, ids, depth);
    return at ? (uint64_t)(at - buf) : 0;
}

/* Audit finding 6: errors about the footer name the file offset of the
 * struct concerned (README: "file and byte offset"), not only the footer's
 * start or nothing. */
TEST(footer_errors_name_their_offset)
{
    char path[600], want[300];
    snprintf(path, sizeof path, "%s/offsets.parquet", test_tmpdir());
    pq_column c1[] = {{"text", PQ_STRING, 0}};
    pq_write_opts o = {PQ_CODEC_NONE, 0, 0};
    blalm_err e = {{0}};
    pq_writer *w = pqw_open(path, c1, 1, &o, &e);
    CHECK_MSG(w != NULL, "%s", e.msg);
    for (int i = 0; i < 100; i++) {
        char t[64];
        int k = snprintf(t, sizeof t, "document number %d", i);
        pq_value v = {0, 0, 0, t, (size_t)k};
        CHECK(pqw_row(w, &v, &e) == 0);
    }
    CHECK_MSG(pqw_commit(w, &e) == 0, "%s", e.msg);
    size_t n, m;
    uint8_t *buf = slurp(path, &n);
    CHECK(buf != NULL);
    uint64_t dg;
    const int16_t col_meta[] = {4, 1, 3}, chunk_type[] = {4, 1, 3, 1}, chunk_values[] = {4, 1, 3, 5}, file_rows[] = {3};
    /* the chunk's type: BYTE_ARRAY in the schema, INT32 in its ColumnMetaData */
    uint8_t *a = with_footer_int(buf, n, chunk_type, 4, PT_INT32, &m);
    CHECK(a != NULL);
    CHECK(read_digest(a, m, NULL, &dg, &e) < 0);
    snprintf(want, sizeof want, "mem.parquet: byte %llu (footer): row group 0, column 'text': chunk type INT32 disagrees",
             (unsigned long long)footer_at(a, m, col_meta, 3));
    CHECK_HAS(e.msg, want);
    free(a);
    /* num_values + 1 */
    a = with_footer_int(buf, n, chunk_values, 4, 101, &m);
    CHECK(read_digest(a, m, NULL, &dg, &e) < 0);
    snprintf(want, sizeof want, "mem.parquet: byte %llu (footer): row group 0 says 100 rows but column 'text' holds 101 values",
             (unsigned long long)footer_at(a, m, col_meta, 3));
    CHECK_HAS(e.msg, want);
    free(a);
    /* the file's num_rows */
    a = with_footer_int(buf, n, file_rows, 1, 99, &m);
    CHECK(read_digest(a, m, NULL, &dg, &e) < 0);
    snprintf(want, sizeof want, "mem.parquet: byte %llu (footer): the file says 99 rows but its 1 row groups hold 100",
             (unsigned long long)footer_at(a, m, file_rows, 1));
    CHECK_HAS(e.msg, want);
    free(a);
    free(buf);
    /* a "footer" that is not one (a truncated file whose last 8 bytes were
     * kept): where it starts and where what parsed as FileMetaData ended */
    uint8_t fake[4 + 10 + 8] = {'P', 'A', 'R', '1', 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0, 'P', 'A', 'R', '1'};
    CHECK(read_digest(fake, sizeof fake, NULL, &dg, &e) < 0);
    CHECK_HAS(e.msg, "mem.parquet: byte 4 (footer): no schema (required field 2 of FileMetaData) in the footer; "
                     "what parses as its FileMetaData ends at byte 5, 9 bytes before the footer does");
    /* a Thrift error: the file offset where it happened */
    fake[4] = 0x15;      /* field 1, i32 */
    fake[5] = 0x80;      /* a varint that never ends within the footer */
    for (int i = 6; i < 14; i++) fake[i] = 0x80;
    CHECK(read_digest(fake, sizeof fake, NULL, &dg, &e) < 0);
    CHECK_HAS(e.msg, "mem.parquet: byte 14 (footer, which starts at byte 4): truncated varint");
}

/* Audit finding 3: a data page's value count is bounded by its column
 * chunk's values left and by the memory its values take once decoded, not by
 * a constant (2^24 refused DuckDB's one-page constant columns as corrupt);
 * each limit says what it is. */
TEST(page_value_limits)
{
    char path[600];
    blalm_err e = {{0}};
    uint64_t dg;
    for (int dict = 0; dict < 2; dict++) {
        snprintf(path, sizeof path, "%s/pagelimit-%d.parquet", test_tmpdir(), dict);
        pq_column c1[] = {{"text", PQ_STRING, 0}};
        pq_write_opts o = {PQ_CODEC_SNAPPY, dict, 0};
        pq_writer *w = pqw_open(path, c1, 1, &o, &e);
        CHECK_MSG(w != NULL, "%s", e.msg);
        for (int i = 0; i < 100; i++) {
            char t[64];
            int k = snprintf(t, sizeof t, "text %d", i % 7);
            pq_value v = {0, 0, 0, t, (size_t)k};
            CHECK(pqw_row(w, &v, &e) == 0);
        }
        CHECK_MSG(pqw_commit(w, &e) == 0, "%s", e.msg);
        size_t n, m, m2, m3;
        uint8_t *buf = slurp(path, &n);
        CHECK(buf != NULL);
        CHECK_EQ_INT(read_digest(buf, n, NULL, &dg, &e), 100);
        /* 100 strings take 100 * (16 + 16) bytes once decoded */
        pq_page_memory_limit = 3199;
        CHECK(read_digest(buf, n, NULL, &dg, &e) < 0);
        CHECK_HAS(e.msg, "data page of 100 values would take 3200 bytes to decode, more than blalm's limit of 3199 bytes");
        pq_page_memory_limit = 3200;
        CHECK_EQ_INT(read_digest(buf, n, NULL, &dg, &e), 100);
        if (dict) {   /* the dictionary page's 7 entries */
            pq_page_memory_limit = 200;
            CHECK(read_digest(buf, n, NULL, &dg, &e) < 0);
            CHECK_HAS(e.msg, "dictionary page of 7 values would take 224 bytes to decode, more than blalm's limit of 200 bytes");
        }
        pq_page_memory_limit = 0;
        /* the footer says 50 rows everywhere: the page's 100 values are more
         * than the chunk holds, and the message says so */
        const int16_t file_rows[] = {3}, rg_rows[] = {4, 3}, chunk_values[] = {4, 1, 3, 5};
        uint8_t *a = with_footer_int(buf, n, chunk_values, 4, 50, &m);
        uint8_t *b = with_footer_int(a, m, rg_rows, 2, 50, &m2);
        uint8_t *c = with_footer_int(b, m2, file_rows, 1, 50, &m3);
        CHECK(read_digest(c, m3, NULL, &dg, &e) < 0);
        CHECK_HAS(e.msg, "column 'text': data page holds 100 values but its column chunk has only 50 left");
        free(a); free(b); free(c);
        free(buf);
    }
}

/* The same on a real FineWeb-Edu file written by pyarrow (an independent
 * writer), when ../shared/data is there. */
TEST(footer_counts_real_file)
{
    const char *dir = test_shared_data();
    if (!dir) SKIPF("BLALM_SHARED_DATA not set: real parquet footers not checked");
    char path[600];
    snprintf(path, sizeof path, "%s/fineweb-legal/batch_000001.parquet", dir);
    size_t n, m, m2;
    uint8_t *buf = slurp(path, &n);
    if (!buf) SKIPF("%s missing", path);
    blalm_err e;
    uint64_t dg;
    doc_opts o = {.text_only = 1};
    long rows = read_digest(buf, n, &o, &dg, &e);
    CHECK_MSG(rows > 2, "%s", e.msg);
    const int16_t file_rows[] = {3}, rg_rows[] = {4, 3};
    int64_t rg0 = footer_int(buf, n, rg_rows, 2);
    CHECK(rg0 > 2);
    uint8_t *a = with_footer_int(buf, n, rg_rows, 2, rg0 / 2, &m);
    CHECK(read_digest(a, m, &o, &dg, &e) < 0);
    CHECK_HAS(e.msg, "row groups hold");
    uint8_t *b = with_footer_int(a, m, file_rows, 1, rows - (rg0 - rg0 / 2), &m2);
    CHECK(read_digest(b, m2, &o, &dg, &e) < 0);
    CHECK_HAS(e.msg, "row group 0 says");
    free(a); free(b);
    int errors = 0;
    char first[300] = "";
    /* every byte's lowest bit; under AddressSanitizer (15x slower here) every
     * fourth byte's, to keep the SAN run short */
#if defined(__SANITIZE_ADDRESS__)
    size_t stride = 4;
#else
    size_t stride = 1;
#endif
    int wrong = footer_flips(buf, n, &o, 0x01, stride, &errors, first, sizeof first);
    CHECK_MSG(wrong == 0, "%d footer bit flips read other documents without an error; first: %s", wrong, first);
    free(buf);
}

/* Defect 6: invalid UTF-8 in a text, an id, a string column or a column
 * name is refused at the reader, naming the column and row. */
TEST(invalid_utf8_refused)
{
    char path[600];
    blalm_err e = {{0}};
    static const struct { pq_codec codec; int dict; } kinds[] = {{PQ_CODEC_NONE, 0}, {PQ_CODEC_NONE, 1}, {PQ_CODEC_ZSTD, 0}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (int col = 0; col < 3; col++) {
            snprintf(path, sizeof path, "%s/utf8-%zu-%d.parquet", test_tmpdir(), k, col);
            pq_column cols[] = {{"id", PQ_STRING, 0}, {"text", PQ_STRING, 0}, {"url", PQ_STRING, 1}};
            pq_write_opts o = {kinds[k].codec, kinds[k].dict, 0};
            pq_writer *w = pqw_open(path, cols, 3, &o, &e);
            CHECK_MSG(w != NULL, "%s", e.msg);
            for (int i = 0; i < 40; i++) {
                char id[32], text[64], url[64];
                int il = snprintf(id, sizeof id, "doc-%d", i), tl = snprintf(text, sizeof text, "caf\xc3\xa9 text %d", i);
                int ul = snprintf(url, sizeof url, "http://x/%d", i);
                char *bad = col == 0 ? id : col == 1 ? text : url;
                if (i == 17) bad[1] = (char)0xff;   /* an invalid byte in row 17 */
                pq_value v[3] = {{0, 0, 0, id, (size_t)il}, {0, 0, 0, text, (size_t)tl}, {i % 5 == 0, 0, 0, url, (size_t)ul}};
                CHECK(pqw_row(w, v, &e) == 0);
            }
            CHECK_MSG(pqw_commit(w, &e) == 0, "%s", e.msg);
            size_t n;
            uint8_t *buf = slurp(path, &n);
            CHECK(read_all(buf, n, NULL, &e) < 0);
            static const char *const names[] = {"column 'id'", "column 'text'", "column 'url'"};
            CHECK_HAS(e.msg, names[col]);
            CHECK_HAS(e.msg, "not valid UTF-8");
            if (!kinds[k].dict) CHECK_HAS(e.msg, "row 17");
            free(buf);
        }
    }
    /* a column name with an invalid byte would become a JSON key */
    snprintf(path, sizeof path, "%s/utf8-name.parquet", test_tmpdir());
    pq_column cols[] = {{"text", PQ_STRING, 0}, {"ur\xffl", PQ_STRING, 0}};
    pq_write_opts o = {PQ_CODEC_NONE, 0, 0};
    pq_writer *w = pqw_open(path, cols, 2, &o, &e);
    CHECK_MSG(w != NULL, "%s", e.msg);
    pq_value v[2] = {{0, 0, 0, "t", 1}, {0, 0, 0, "u", 1}};
    CHECK(pqw_row(w, v, &e) == 0);
    CHECK_MSG(pqw_commit(w, &e) == 0, "%s", e.msg);
    size_t n;
    uint8_t *buf = slurp(path, &n);
    CHECK(read_all(buf, n, NULL, &e) < 0);
    CHECK_HAS(e.msg, "column 2's name is not valid UTF-8");
    free(buf);
}

/* A null text is an error naming the file, its row, the row group and the
 * row in it (it was read as an empty document, where a JSON-lines null text
 * is an error); a null in another column is metadata null. */
TEST(null_text_refused)
{
    char path[600];
    snprintf(path, sizeof path, "%s/nulltext.parquet", test_tmpdir());
    pq_column cols[] = {{"id", PQ_STRING, 0}, {"text", PQ_STRING, 1}, {"url", PQ_STRING, 1}};
    pq_write_opts o = {PQ_CODEC_ZSTD, 1, 600};   /* small row groups: the null is in a later one */
    blalm_err e = {{0}};
    pq_writer *w = pqw_open(path, cols, 3, &o, &e);
    CHECK_MSG(w != NULL, "%s", e.msg);
    for (int i = 0; i < 200; i++) {
        char id[32], text[64];
        int il = snprintf(id, sizeof id, "doc-%d", i), tl = snprintf(text, sizeof text, "some text of row %d", i);
        pq_value v[3] = {{0, 0, 0, id, (size_t)il}, {i == 150, 0, 0, text, (size_t)tl}, {1, 0, 0, NULL, 0}};
        CHECK(pqw_row(w, v, &e) == 0);
    }
    CHECK_MSG(pqw_commit(w, &e) == 0, "%s", e.msg);
    size_t n;
    uint8_t *buf = slurp(path, &n);
    CHECK(buf != NULL);
    pq_reader *r = pq_reader_open_mem(buf, n, path, NULL, &e);
    CHECK_MSG(r != NULL, "%s", e.msg);
    blalm_doc d;
    int rc, rows = 0, rg = -1;
    while ((rc = pq_reader_next(r, &d, &e)) == 1) {
        CHECK_EQ_STR(d.metadata, "{\"url\":null}");
        rows++;
    }
    rg = r->rg;
    pq_reader_close(r);
    free(buf);
    CHECK_EQ_INT(rc, -1);
    CHECK_EQ_INT(rows, 150);
    CHECK(rg > 0);
    char want[700];
    snprintf(want, sizeof want, "nulltext.parquet: row 150 (row group %d, its row ", rg);
    CHECK_HAS(e.msg, want);
    CHECK_HAS(e.msg, "column 'text' is null; expected a string value for the text field");
}

TEST(unsupported_codec_refused)
{
    char path[600];
    snprintf(path, sizeof path, "%s/codec.parquet", test_tmpdir());
    pq_write_opts o = {PQ_CODEC_NONE, 0, 0};
    blalm_err e = {{0}};
    CHECK_MSG(write_fixture(path, 20, &o, &e) == 0, "%.700s", e.msg);
    size_t n;
    uint8_t *buf = slurp(path, &n);
    CHECK(buf != NULL);
    uint32_t flen = (uint32_t)buf[n - 8] | (uint32_t)buf[n - 7] << 8 | (uint32_t)buf[n - 6] << 16 | (uint32_t)buf[n - 5] << 24;
    /* FileMetaData.row_groups[0].columns[0].meta_data.codec */
    const int16_t ids[] = {4, 1, 3, 4};
    uint8_t *codec = thrift_find(buf + n - 8 - flen, flen, ids, 4);
    CHECK(codec != NULL && *codec == 0);
    *codec = 2 * CODEC_LZ4;                  /* zigzag, same length */
    CHECK(read_all(buf, n, NULL, &e) < 0);
    CHECK_HAS(e.msg, "mem.parquet");
    CHECK_HAS(e.msg, "column 'id'");
    CHECK_HAS(e.msg, "codec LZ4");
    CHECK_HAS(e.msg, "not supported");
    *codec = 2 * CODEC_BROTLI;
    CHECK(read_all(buf, n, NULL, &e) < 0);
    CHECK_HAS(e.msg, "BROTLI");
    free(buf);
}

/* Inserts "converted_type = conv" into the schema element named name (2
 * letters) of a footer our writer made; returns the new file length. */
static size_t add_converted_type(uint8_t *buf, size_t n, const char *name, int conv)
{
    uint32_t flen = (uint32_t)buf[n - 8] | (uint32_t)buf[n - 7] << 8 | (uint32_t)buf[n - 6] << 16 | (uint32_t)buf[n - 5] << 24;
    uint8_t *f = buf + n - 8 - flen;
    const uint8_t pat[] = {0x18, 0x02, (uint8_t)name[0], (uint8_t)name[1], 0x00};
    for (uint32_t i = 0; i + sizeof pat <= flen; i++) {
        if (memcmp(f + i, pat, sizeof pat) != 0) continue;
        size_t at = (size_t)(f - buf) + i + 4;          /* the element's stop byte */
        memmove(buf + at + 2, buf + at, n - at);
        buf[at] = 0x25;                                  /* field 6 (delta 2), i32 */
        buf[at + 1] = (uint8_t)(2 * conv);
        n += 2;
        flen += 2;
        for (int k = 0; k < 4; k++) buf[n - 8 + k] = (uint8_t)(flen >> (8 * k));
        return n;
    }
    return 0;
}

/* Found by fuzz_parquet (UBSan): timestamps and times near INT64_MIN/MAX
 * overflowed while being split into seconds, and a huge double overflowed the
 * integer shortcut of sb_json_num. Extreme values must render without UB. */
TEST(extreme_values_render)
{
    char path[600];
    snprintf(path, sizeof path, "%s/extreme.parquet", test_tmpdir());
    pq_column c[] = {{"text", PQ_STRING, 0}, {"ts", PQ_INT64, 0}, {"tm", PQ_INT64, 0}, {"dd", PQ_DOUBLE, 0}};
    pq_write_opts o = {PQ_CODEC_NONE, 0, 0};
    blalm_err e = {{0}};
    pq_writer *w = pqw_open(path, c, 4, &o, &e);
    CHECK_MSG(w != NULL, "%.700s", e.msg);
    const int64_t iv[] = {INT64_MIN, INT64_MAX, -1, 0, -9223372036851837540LL};
    const double dv[] = {1.29224e+219, -1e300, 9.2233720368547758e18, -9.2233720368547758e18, 0.5};
    for (int i = 0; i < 5; i++) {
        pq_value v[4] = {{0, 0, 0, "x", 1}, {0, iv[i], 0, NULL, 0}, {0, iv[4 - i], 0, NULL, 0}, {0, 0, dv[i], NULL, 0}};
        CHECK(pqw_row(w, v, &e) == 0);
    }
    CHECK_MSG(pqw_commit(w, &e) == 0, "%.700s", e.msg);
    size_t n;
    uint8_t *buf0 = slurp(path, &n);
    CHECK(buf0 != NULL);
    uint8_t *buf = realloc(buf0, n + 16);
    CHECK(buf != NULL);
    n = add_converted_type(buf, n, "ts", 10);          /* TIMESTAMP_MICROS */
    CHECK(n > 0);
    n = add_converted_type(buf, n, "tm", 8);           /* TIME_MICROS */
    CHECK(n > 0);
    pq_reader *r = pq_reader_open_mem(buf, n, "extreme.parquet", NULL, &e);
    CHECK_MSG(r != NULL, "%.700s", e.msg);
    blalm_doc d;
    int rows = 0;
    while (pq_reader_next(r, &d, &e) == 1) {
        if (rows == 3) CHECK_EQ_STR(d.metadata, "{\"ts\":\"1970-01-01T00:00:00Z\",\"tm\":\"2562047788:00:54.775807\",\"dd\":-9.223372036854776e+18}");
        rows++;
    }
    pq_reader_close(r);
    CHECK_EQ_INT(rows, 5);
    free(buf);
}

/* A negative year keeps four digits after its sign (ISO 8601): it was
 * printed "%04lld", "-046-11-27". */
TEST(negative_years_four_digits)
{
    char path[600];
    snprintf(path, sizeof path, "%s/negyear.parquet", test_tmpdir());
    pq_column c[] = {{"text", PQ_STRING, 0}, {"dt", PQ_INT32, 0}, {"ts", PQ_INT64, 0}};
    pq_write_opts o = {PQ_CODEC_NONE, 0, 0};
    blalm_err e = {{0}};
    pq_writer *w = pqw_open(path, c, 3, &o, &e);
    CHECK_MSG(w != NULL, "%.700s", e.msg);
    const int64_t days[] = {-736000, -800000, 0};
    for (int i = 0; i < 3; i++) {
        pq_value v[3] = {{0, 0, 0, "x", 1}, {0, days[i], 0, NULL, 0}, {0, days[i] * 86400000000LL + 3600000000LL, 0, NULL, 0}};
        CHECK(pqw_row(w, v, &e) == 0);
    }
    CHECK_MSG(pqw_commit(w, &e) == 0, "%.700s", e.msg);
    size_t n;
    uint8_t *buf0 = slurp(path, &n);
    CHECK(buf0 != NULL);
    uint8_t *buf = realloc(buf0, n + 16);
    CHECK(buf != NULL);
    n = add_converted_type(buf, n, "dt", 6);           /* DATE */
    CHECK(n > 0);
    n = add_converted_type(buf, n, "ts", 10);          /* TIMESTAMP_MICROS */
    CHECK(n > 0);
    pq_reader *r = pq_reader_open_mem(buf, n, "negyear.parquet", NULL, &e);
    CHECK_MSG(r != NULL, "%.700s", e.msg);
    blalm_doc d;
    const char *want[] = {"{\"dt\":\"-0046-11-26\",\"ts\":\"-0046-11-26T01:00:00Z\"}",
                          "{\"dt\":\"-0221-09-04\",\"ts\":\"-0221-09-04T01:00:00Z\"}",
                          "{\"dt\":\"1970-01-01\",\"ts\":\"1970-01-01T01:00:00Z\"}"};
    int rows = 0;
    while (pq_reader_next(r, &d, &e) == 1) {
        if (rows < 3) CHECK_EQ_STR(d.metadata, want[rows]);
        rows++;
    }
    pq_reader_close(r);
    CHECK_EQ_INT(rows, 3);
    free(buf);
}

/* Two columns with one name: the metadata held the name twice
 * ({"m":"1","m":"3"}), which DuckDB refuses; the last column's value is the
 * document's, as a JSON line's repeated name (README: metadata holds each
 * name once). An --id-field that names no column was ignored (generated
 * ids); it is an error naming the file and its columns. */
TEST(repeated_column_names_and_missing_id_field)
{
    char path[600];
    snprintf(path, sizeof path, "%s/dupmeta.parquet", test_tmpdir());
    pq_column c[] = {{"text", PQ_STRING, 0}, {"m", PQ_STRING, 1}, {"k", PQ_INT32, 0}, {"m", PQ_STRING, 1},
                     {"f", PQ_DOUBLE, 0}};
    pq_write_opts o = {PQ_CODEC_NONE, 0, 0};
    blalm_err e = {{0}};
    pq_writer *w = pqw_open(path, c, 5, &o, &e);
    CHECK_MSG(w != NULL, "%.700s", e.msg);
    pq_value v[5] = {{0, 0, 0, "t", 1}, {0, 0, 0, "1", 1}, {0, 7, 0, NULL, 0}, {0, 0, 0, "3", 1}, {0, 0, 0.5, NULL, 0}};
    CHECK(pqw_row(w, v, &e) == 0);
    v[1].s = "2";
    v[3].is_null = 1;   /* the last one's null wins too */
    CHECK(pqw_row(w, v, &e) == 0);
    CHECK_MSG(pqw_commit(w, &e) == 0, "%.700s", e.msg);
    size_t n;
    uint8_t *buf = slurp(path, &n);
    CHECK(buf != NULL);
    pq_reader *r = pq_reader_open_mem(buf, n, "dupmeta.parquet", NULL, &e);
    CHECK_MSG(r != NULL, "%.700s", e.msg);
    blalm_doc d;
    CHECK(pq_reader_next(r, &d, &e) == 1);
    CHECK_EQ_STR(d.metadata, "{\"k\":7,\"m\":\"3\",\"f\":0.5}");
    CHECK(pq_reader_next(r, &d, &e) == 1);
    CHECK_EQ_STR(d.metadata, "{\"k\":7,\"m\":null,\"f\":0.5}");
    pq_reader_close(r);
    /* text_only with the name wanted (dedup's url) reads the last one too */
    const char *const mf[] = {"m", NULL};
    doc_opts to = {.text_only = 1, .meta_fields = mf};
    r = pq_reader_open_mem(buf, n, "dupmeta.parquet", &to, &e);
    CHECK_MSG(r != NULL, "%.700s", e.msg);
    CHECK(pq_reader_next(r, &d, &e) == 1);
    CHECK_EQ_STR(d.metadata, "{\"m\":\"3\"}");
    pq_reader_close(r);
    /* --id-field naming no column */
    doc_opts io = {.id_field = "nope"};
    CHECK(pq_reader_open_mem(buf, n, "dupmeta.parquet", &io, &e) == NULL);
    CHECK_HAS(e.msg, "dupmeta.parquet: no id column 'nope' (--id-field); its columns: 'text', 'm', 'k', 'm', 'f'");
    /* ... or a column that cannot be an id (it was metadata, ids generated) */
    doc_opts fo = {.id_field = "f"};
    CHECK(pq_reader_open_mem(buf, n, "dupmeta.parquet", &fo, &e) == NULL);
    CHECK_HAS(e.msg, "dupmeta.parquet: id field 'f' is DOUBLE, which cannot be an id");
    /* the text column as the id: "is BYTE_ARRAY, which cannot be an id
     * (expected a string ...)", said of a string column */
    doc_opts tx = {.id_field = "text"};
    CHECK(pq_reader_open_mem(buf, n, "dupmeta.parquet", &tx, &e) == NULL);
    CHECK_HAS(e.msg, "dupmeta.parquet: the id field 'text' is the text column (--text-field); the id field must be "
                     "another column (--id-field)");
    CHECK(!strstr(e.msg, "BYTE_ARRAY"));
    doc_opts ko = {.id_field = "k"};
    r = pq_reader_open_mem(buf, n, "dupmeta.parquet", &ko, &e);   /* INT32: an id, fine */
    CHECK_MSG(r != NULL, "%.700s", e.msg);
    CHECK(pq_reader_next(r, &d, &e) == 1);
    CHECK_EQ_STR(d.id, "7");
    pq_reader_close(r);
    /* the default "id" may be absent: generated ids */
    r = pq_reader_open_mem(buf, n, "dupmeta.parquet", NULL, &e);
    CHECK(r != NULL);
    CHECK(pq_reader_next(r, &d, &e) == 1);
    CHECK_EQ_STR(d.id, "dupmeta/0");
    pq_reader_close(r);
    free(buf);
}

/* Regression inputs found by tests/fuzz (tests/fuzz/crashes/ holds their bytes). */
TEST(fuzz_regressions)
{
    const char *dir = getenv("BLALM_FUZZ_REGRESSIONS");
    char buf[700];
    if (!dir) {
        snprintf(buf, sizeof buf, "%s", __FILE__);
        char *s = strrchr(buf, '/');
        if (s) *s = 0;
        strncat(buf, "/../fuzz/regressions", sizeof buf - strlen(buf) - 1);
        dir = buf;
    }
    int seen = 0;
    for (int i = 0; i < 1000; i++) {
        char p[1000];
        snprintf(p, sizeof p, "%s/parquet-%03d.bin", dir, i);
        size_t n;
        uint8_t *b = slurp(p, &n);
        if (!b) continue;
        blalm_err e = {{0}};
        read_all(b, n, NULL, &e);        /* must return, clean under ASan/UBSan */
        free(b);
        seen++;
    }
    (void)seen;
}

/* ---- helper modes for the oracle scripts ---------------------------------- */

static int dump(int argc, char **argv)
{
    doc_opts o = {0};
    sbuf out;
    sb_init(&out);
    int rc = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--text-field") && i + 1 < argc) { o.text_field = argv[++i]; continue; }
        if (!strcmp(argv[i], "--id-field") && i + 1 < argc) { o.id_field = argv[++i]; continue; }
        if (!strcmp(argv[i], "--text-only")) { o.text_only = 1; continue; }
        blalm_err e = {{0}};
        doc_backend b;
        if (parquet_backend_open(argv[i], &o, &b, &e) < 0) {
            fprintf(stderr, "%s\n", e.msg);
            rc = 1;
            continue;
        }
        blalm_doc d;
        int r;
        while ((r = b.next(b.state, &d, &e)) == 1) {
            sb_reset(&out);
            sb_adds(&out, "{\"id\":");
            sb_json_str(&out, d.id, d.id_len);
            sb_adds(&out, ",\"text\":");
            sb_json_str(&out, d.text, d.text_len);
            sb_adds(&out, ",\"source\":");
            sb_json_str(&out, d.source, d.source_len);
            sb_adds(&out, ",\"metadata\":");
            sb_add(&out, d.metadata, d.metadata_len);
            sb_printf(&out, ",\"row\":%llu}\n", (unsigned long long)d.row);
            fwrite(out.data, 1, out.len, stdout);
        }
        if (r < 0) { fprintf(stderr, "%s\n", e.msg); rc = 1; }
        b.close(b.state);
    }
    sb_free(&out);
    return rc;
}

/* Decode throughput: best of `reps` passes over FILE's text column, as wall
 * seconds and CPU seconds (the machine may be shared). */
static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double wall_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int sum_text(const char *path, int reps)
{
    double best = 1e30, best_cpu = 1e30;
    unsigned long long bytes = 0, docs = 0;
    for (int k = 0; k < reps; k++) {
        double w0 = wall_seconds(), c0 = cpu_seconds();
        doc_opts o = {0};
        o.text_only = 1;
        blalm_err e = {{0}};
        doc_backend b;
        if (parquet_backend_open(path, &o, &b, &e) < 0) { fprintf(stderr, "%s\n", e.msg); return 1; }
        blalm_doc d;
        int r;
        bytes = docs = 0;
        while ((r = b.next(b.state, &d, &e)) == 1) { bytes += d.text_len; docs++; }
        b.close(b.state);
        if (r < 0) { fprintf(stderr, "%s\n", e.msg); return 1; }
        double w = wall_seconds() - w0, c = cpu_seconds() - c0;
        if (w < best) best = w;
        if (c < best_cpu) best_cpu = c;
    }
    printf("%llu %llu %.6f %.6f\n", bytes, docs, best, best_cpu);
    return 0;
}

/* Writes pqw_* files plus the rows as JSON lines, for DuckDB to compare. */
static int write_for_duckdb(const char *dir, int small)
{
    const struct { const char *name; pq_codec codec; int dict; uint64_t rg; long rows; } cases[] = {
        {"w_plain_none", PQ_CODEC_NONE, 0, 0, 500},
        {"w_dict_snappy", PQ_CODEC_SNAPPY, 1, 0, 2000},
        {"w_dict_zstd_rg", PQ_CODEC_ZSTD, 1, 8192, 3000},
        {"w_plain_zstd_big", PQ_CODEC_ZSTD, 0, 1 << 20, 60000},
        {"w_empty", PQ_CODEC_SNAPPY, 1, 0, 0},
    };
    sbuf line, id, text, cat, meta;
    sb_init(&line); sb_init(&id); sb_init(&text); sb_init(&cat); sb_init(&meta);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char path[1000];
        snprintf(path, sizeof path, "%s/%s.parquet", dir, cases[k].name);
        pq_write_opts o = {cases[k].codec, cases[k].dict, cases[k].rg};
        blalm_err e = {{0}};
        long rows = small && cases[k].rows > 40 ? 40 : cases[k].rows;
        if (small) o.row_group_bytes = 600;
        if (write_fixture(path, rows, &o, &e) < 0) { fprintf(stderr, "%s\n", e.msg); return 1; }
        snprintf(path, sizeof path, "%s/%s.expect.jsonl", dir, cases[k].name);
        FILE *f = fopen(path, "w");
        if (!f) { perror(path); return 1; }
        pq_value v[NWCOLS];
        for (long i = 0; i < rows; i++) {
            fixture_row(i, v, &id, &text, &cat);
            fixture_meta(i, &meta);
            sb_reset(&line);
            sb_adds(&line, "{\"id\":");
            sb_json_str(&line, v[0].s, v[0].n);
            sb_adds(&line, ",\"text\":");
            if (v[1].is_null) sb_adds(&line, "null");
            else sb_json_str(&line, v[1].s, v[1].n);
            /* the metadata object's members, spliced in */
            sb_addc(&line, ',');
            sb_add(&line, meta.data + 1, meta.len - 1);
            sb_addc(&line, '\n');
            fwrite(line.data, 1, line.len, f);
        }
        fclose(f);
    }
    sb_free(&line); sb_free(&id); sb_free(&text); sb_free(&cat); sb_free(&meta);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--dump")) return dump(argc, argv);
    if (argc > 2 && !strcmp(argv[1], "--sum-text")) return sum_text(argv[2], argc > 3 ? atoi(argv[3]) : 3);
    if (argc > 2 && !strcmp(argv[1], "--write")) return write_for_duckdb(argv[2], argc > 3 && !strcmp(argv[3], "small"));
    (void)spit;
    RUN(thrift_varint_zigzag);
    RUN(thrift_fields_and_skip);
    RUN(rle_bitpacked_hybrid);
    RUN(delta_binary_packed);
    RUN(writer_round_trip);
    RUN(footer_rows_and_column_bytes);
    RUN(writer_dictionary_fallback_and_atomic);
    RUN(reader_options);
    RUN(corrupt_input_errors);
    RUN(unsupported_features_refused);
    RUN(unsupported_codec_refused);
    RUN(extreme_values_render);
    RUN(fuzz_regressions);
    RUN(footer_counts_must_agree);
    RUN(footer_errors_name_their_offset);
    RUN(page_value_limits);
    RUN(footer_counts_real_file);
    RUN(invalid_utf8_refused);
    RUN(null_text_refused);
    RUN(negative_years_four_digits);
    RUN(repeated_column_names_and_missing_id_field);
    return test_summary();
}
