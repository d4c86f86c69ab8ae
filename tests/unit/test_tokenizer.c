/* test_tokenizer.c - byte-level BPE: training order, ties, encoding rules,
 * Unicode, invalid UTF-8, special tokens, file forms and their errors. */
#include "tests/unit/test.h"
#include "trainer/tokenizer.h"

#include <stdint.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/hash.h"
#include "trainer/unicode_ln.h"

#define CHECK_HAS(hay, needle) CHECK_MSG(strstr((hay), (needle)), "\"%s\" lacks \"%s\"", (hay), (needle))

static bpe_tokenizer *train_text(const char *text, uint32_t vocab, uint64_t min_freq, int allow_smaller,
                                 const char *pattern, blalm_err *e)
{
    bpe_counter *c = bpe_counter_new(pattern, e);
    if (!c) return NULL;
    if (bpe_counter_feed(c, text, strlen(text), e) != 0) {
        bpe_counter_free(c);
        return NULL;
    }
    bpe_train_opts o;
    bpe_train_opts_default(&o);
    o.vocab_size = vocab;
    o.min_frequency = min_freq;
    o.allow_smaller = allow_smaller;
    bpe_tokenizer *t = bpe_train(c, &o, e);
    bpe_counter_free(c);
    return t;
}

/* The token's bytes as a C string (test tokens are short). */
static const char *tok_str(const bpe_tokenizer *t, uint32_t id)
{
    static char buf[8][256];
    static int k;
    size_t n;
    const char *s = bpe_token_bytes(t, id, &n);
    char *b = buf[k++ & 7];
    snprintf(b, 256, "%.*s", (int)n, s ? s : "");
    return b;
}

static const char *merge_str(const bpe_tokenizer *t, uint32_t r)
{
    static char buf[4][512];
    static int k;
    uint32_t a, b, o;
    bpe_merge_at(t, r, &a, &b, &o);
    char *s = buf[k++ & 3];
    snprintf(s, 512, "%s|%s", tok_str(t, a), tok_str(t, b));
    return s;
}

static int round_trips(const bpe_tokenizer *t, bpe_encoder *enc, const char *s, size_t n, int flags)
{
    blalm_err e;
    size_t k;
    const uint32_t *ids = bpe_encode(enc, s, n, flags, &k, &e);
    if (!ids) return 0;
    sbuf b;
    sb_init(&b);
    int ok = bpe_decode(t, ids, k, 0, &b, &e) == 0 && b.len == n && (n == 0 || !memcmp(b.data, s, n));
    sb_free(&b);
    return ok;
}

TEST(merges_in_rank_order)
{
    blalm_err e;
    /* one pre-token, "xyxyxy" x 5: xy (15) first, then xy+xy (10), then xyxy+xy (5) */
    bpe_tokenizer *t = train_text("xyxyxy xyxyxy xyxyxy xyxyxy xyxyxy", 256 + 4 + 2, 1, 1, NULL, &e);
    CHECK_MSG(t, "%s", e.msg);
    CHECK(bpe_merges_count(t) >= 3);
    CHECK_EQ_STR(merge_str(t, 0), "x|y");
    CHECK_EQ_STR(merge_str(t, 1), "xy|xy");
    CHECK_EQ_STR(merge_str(t, 2), "xyxy|xy");
    /* special tokens take the last ids */
    CHECK_EQ_INT(bpe_eot_id(t), bpe_vocab_size(t) - 2);
    CHECK_EQ_INT(bpe_pad_id(t), bpe_vocab_size(t) - 1);
    CHECK_EQ_STR(tok_str(t, bpe_eot_id(t)), BPE_EOT);
    bpe_free(t);
}

TEST(ties_broken_by_lower_ids)
{
    blalm_err e;
    /* pre-tokens "ab", " cd": three pairs seen once each. Lowest first id
     * wins: (' ', c), then (a, b), then (" c", d) (id 256 > 'a'). */
    bpe_tokenizer *t = train_text("ab cd", 256 + 3 + 2, 1, 0, NULL, &e);
    CHECK_MSG(t, "%s", e.msg);
    CHECK_EQ_INT(bpe_merges_count(t), 3);
    CHECK_EQ_STR(merge_str(t, 0), " |c");
    CHECK_EQ_STR(merge_str(t, 1), "a|b");
    CHECK_EQ_STR(merge_str(t, 2), " c|d");
    /* and training twice gives byte-identical files */
    bpe_tokenizer *u = train_text("ab cd", 256 + 3 + 2, 1, 0, NULL, &e);
    size_t n1, n2;
    char *j1 = bpe_to_json(t, &n1), *j2 = bpe_to_json(u, &n2);
    CHECK(n1 == n2 && !memcmp(j1, j2, n1));
    free(j1);
    free(j2);
    bpe_free(t);
    bpe_free(u);
}

/* GPT-2's bytes_to_unicode, for writing tokenizer.json files by hand. */
static void byte_level(unsigned char b, sbuf *out)
{
    int n = 0, cp = -1;
    for (int x = 0; x < 256; x++) {
        int printable = (x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174;
        int c = printable ? x : 256 + n++;
        if (x == b) cp = c;
    }
    if (cp < 0x80) {
        sb_addc(out, (char)cp);
    } else {
        sb_addc(out, (char)(0xC0 | (cp >> 6)));
        sb_addc(out, (char)(0x80 | (cp & 0x3F)));
    }
}

/* A tokenizer.json with the 256 bytes, extra tokens and merges (ASCII). */
static char *hand_json(const char *const *extra, int n_extra, const char *const *merges, int n_merges)
{
    sbuf b, k;
    sb_init(&b);
    sb_init(&k);
    sb_adds(&b, "{\"version\":\"1.0\",\"added_tokens\":[],\"normalizer\":null,"
                "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true},"
                "\"post_processor\":null,\"decoder\":{\"type\":\"ByteLevel\"},"
                "\"model\":{\"type\":\"BPE\",\"vocab\":{");
    for (int i = 0; i < 256; i++) {
        sb_reset(&k);
        byte_level((unsigned char)i, &k);
        sb_printf(&b, "%s", i ? "," : "");
        sb_json_str(&b, k.data, k.len);
        sb_printf(&b, ":%d", i);
    }
    for (int i = 0; i < n_extra; i++) sb_printf(&b, ",\"%s\":%d", extra[i], 256 + i);
    sb_adds(&b, "},\"merges\":[");
    for (int i = 0; i < n_merges; i++) sb_printf(&b, "%s\"%s\"", i ? "," : "", merges[i]);
    sb_adds(&b, "]}}");
    sb_free(&k);
    return (char *)sb_cstr(&b);
}

static int encode_names(const bpe_tokenizer *t, const char *text, char *out, size_t cap)
{
    blalm_err e;
    bpe_encoder *enc = bpe_encoder_new(t, &e);
    size_t k;
    const uint32_t *ids = bpe_encode(enc, text, strlen(text), 0, &k, &e);
    out[0] = 0;
    for (size_t i = 0; ids && i < k; i++) {
        size_t l = strlen(out);
        snprintf(out + l, cap - l, "%s%s", i ? "|" : "", tok_str(t, ids[i]));
    }
    bpe_encoder_free(enc);
    return ids ? 0 : -1;
}

TEST(encode_applies_lowest_rank_first)
{
    blalm_err e;
    char got[256];
    const char *extra[] = {"ab", "bc", "abc"};
    const char *m1[] = {"b c", "a b", "a bc"}; /* (b,c) outranks (a,b) */
    char *j = hand_json(extra, 3, m1, 3);
    bpe_tokenizer *t = bpe_load_mem(j, strlen(j), "hand.json", &e);
    free(j);
    CHECK_MSG(t, "%s", e.msg);
    CHECK(encode_names(t, "abc", got, sizeof got) == 0);
    CHECK_EQ_STR(got, "abc");
    CHECK(encode_names(t, "abcabc", got, sizeof got) == 0);
    CHECK_EQ_STR(got, "abc|abc");
    CHECK(encode_names(t, "abab", got, sizeof got) == 0);
    CHECK_EQ_STR(got, "ab|ab");
    bpe_free(t);

    const char *m2[] = {"a b", "b c"}; /* no ab+c merge: stops at ab|c */
    j = hand_json(extra, 3, m2, 2);
    t = bpe_load_mem(j, strlen(j), "hand.json", &e);
    free(j);
    CHECK_MSG(t, "%s", e.msg);
    CHECK(encode_names(t, "abc", got, sizeof got) == 0);
    CHECK_EQ_STR(got, "ab|c");
    /* equal ranks: leftmost first - "bbb" with (b,b): bb|b */
    bpe_free(t);
    const char *extra3[] = {"bb"};
    const char *m3[] = {"b b"};
    j = hand_json(extra3, 1, m3, 1);
    t = bpe_load_mem(j, strlen(j), "hand.json", &e);
    free(j);
    CHECK_MSG(t, "%s", e.msg);
    CHECK(encode_names(t, "bbb", got, sizeof got) == 0);
    CHECK_EQ_STR(got, "bb|b");
    bpe_free(t);
}

/* Reference BPE for one word: rescans every pair's rank by linear search. */
static size_t naive_bpe(const bpe_tokenizer *t, uint32_t *s, size_t n)
{
    for (;;) {
        uint32_t best = UINT32_MAX;
        size_t at = 0;
        for (size_t i = 0; i + 1 < n; i++)
            for (uint32_t r = 0; r < bpe_merges_count(t) && r < best; r++) {
                uint32_t a, b, o;
                bpe_merge_at(t, r, &a, &b, &o);
                if (a == s[i] && b == s[i + 1]) {
                    best = r;
                    at = i;
                }
            }
        if (best == UINT32_MAX) return n;
        uint32_t a, b, o;
        bpe_merge_at(t, best, &a, &b, &o);
        s[at] = o;
        memmove(s + at + 1, s + at + 2, (n - at - 2) * sizeof *s);
        n--;
    }
}

TEST(long_words_match_reference)
{
    blalm_err e;
    /* letters only, so every test word is one pre-token */
    char train[4000];
    unsigned x = 12345;
    for (int i = 0; i < 3999; i++) {
        x = x * 1103515245 + 12345;
        train[i] = (i % 7 == 6) ? ' ' : "aabbbc"[(x >> 16) % 6];
    }
    train[3999] = 0;
    bpe_tokenizer *t = train_text(train, 256 + 40 + 2, 2, 1, NULL, &e);
    CHECK_MSG(t, "%s", e.msg);
    bpe_encoder *enc = bpe_encoder_new(t, &e);
    for (int len = 2; len <= 600; len += len < 140 ? 1 : 37) { /* short path and heap path */
        char w[600];
        uint32_t ref[600];
        for (int i = 0; i < len; i++) {
            x = x * 1103515245 + 12345;
            w[i] = "aabbbc"[(x >> 16) % 6];
            ref[i] = (unsigned char)w[i];
        }
        size_t k, rn = naive_bpe(t, ref, (size_t)len);
        const uint32_t *ids = bpe_encode(enc, w, (size_t)len, 0, &k, &e);
        CHECK(ids);
        CHECK_MSG(k == rn, "length %d: %zu tokens, reference %zu", len, k, rn);
        for (size_t i = 0; i < k; i++) CHECK_MSG(ids[i] == ref[i], "length %d: token %zu differs", len, i);
    }
    bpe_encoder_free(enc);
    bpe_free(t);
}

static const char unicode_text[] =
    "Emoji: 👩‍👩‍👧 family, 🇩🇪 flag, 👍🏽 thumbs, ❤️ heart. "
    "Combining: cafe\xcc\x81 (e + U+0301), n\xcc\x83, Z\xcc\xb5\xcd\x8c\xcc\x81" "algo. "
    "CJK: 日本語のテキストと中文文本，한국어 텍스트。 "
    "Whitespace: a\xc2\xa0" "b\xe3\x80\x80" "c\xe2\x80\x83" "d\xe2\x80\xa8" "e\t\tf\n\n\ng   h "
    "Numbers: ١٢٣ ½ 42nd. Apostrophes: it's we'll they'RE 's";

TEST(unicode_round_trip_and_pieces)
{
    blalm_err e;
    char text[4096];
    snprintf(text, sizeof text, "%s %s %s", unicode_text, unicode_text, unicode_text);
    bpe_tokenizer *t = train_text(text, 256 + 100 + 2, 2, 1, NULL, &e);
    CHECK_MSG(t, "%s", e.msg);
    bpe_encoder *enc = bpe_encoder_new(t, &e);
    CHECK(round_trips(t, enc, unicode_text, strlen(unicode_text), 0));
    CHECK(round_trips(t, enc, text, strlen(text), BPE_ALLOW_SPECIAL));
    /* a combining mark is not a letter: no token holds both 'e' and U+0301 */
    size_t k;
    const uint32_t *ids = bpe_encode(enc, text, strlen(text), 0, &k, &e);
    CHECK(ids);
    for (size_t i = 0; i < k; i++) {
        size_t n;
        const char *s = bpe_token_bytes(t, ids[i], &n);
        CHECK(!(memmem(s, n, "e\xcc\x81", 3)));
    }
    /* every Unicode whitespace run ends a word: "a\u00a0b" is a|\u00a0b, never "a\u00a0" */
    ids = bpe_encode(enc, "a\xc2\xa0" "b", 4, 0, &k, &e);
    CHECK(ids && k >= 2);
    CHECK_EQ_STR(tok_str(t, ids[0]), "a");
    bpe_encoder_free(enc);
    bpe_free(t);
}

TEST(invalid_utf8_is_bytes)
{
    blalm_err e;
    bpe_tokenizer *t = train_text("hello world hello world hello", 256 + 10 + 2, 1, 1, NULL, &e);
    CHECK_MSG(t, "%s", e.msg);
    bpe_encoder *enc = bpe_encoder_new(t, &e);
    const char bad[] = "hello\xff world\xc3 \xed\xa0\x80 (surrogate) \xf4\x90\x80\x80 \xe2\x82";
    CHECK(round_trips(t, enc, bad, sizeof bad - 1, 0));
    size_t k;
    const uint32_t *ids = bpe_encode(enc, "hello\xffhello", 11, 0, &k, &e);
    CHECK(ids && k == 3);
    CHECK_EQ_INT(ids[1], 0xFF); /* the byte on its own, id = byte value */
    CHECK(ids[0] == ids[2]);
    /* training takes invalid bytes too */
    bpe_free(t);
    t = train_text("\xff\xfe\xff\xfe\xff\xfe", 256 + 1 + 2, 1, 1, NULL, &e);
    CHECK_MSG(t, "%s", e.msg);
    bpe_encoder_free(enc);
    bpe_free(t);
}

TEST(special_tokens)
{
    blalm_err e;
    bpe_tokenizer *t = train_text("one two three one two three", 256 + 10 + 2, 1, 1, NULL, &e);
    CHECK_MSG(t, "%s", e.msg);
    bpe_encoder *enc = bpe_encoder_new(t, &e);
    const char *s = "one<|endoftext|>two<|padding|><|endoftext|>";
    size_t k, n = strlen(s);
    const uint32_t *ids = bpe_encode(enc, s, n, BPE_ALLOW_SPECIAL, &k, &e);
    CHECK(ids);
    int eots = 0, pads = 0;
    for (size_t i = 0; i < k; i++) eots += ids[i] == bpe_eot_id(t), pads += ids[i] == bpe_pad_id(t);
    CHECK_EQ_INT(eots, 2);
    CHECK_EQ_INT(pads, 1);
    CHECK_EQ_INT(ids[k - 1], bpe_eot_id(t));
    sbuf b;
    sb_init(&b);
    CHECK(bpe_decode(t, ids, k, 1, &b, &e) == 0);
    CHECK(b.len == 6 && !memcmp(b.data, "onetwo", 6));
    sb_free(&b);
    CHECK(round_trips(t, enc, s, n, BPE_ALLOW_SPECIAL));
    /* ordinary text: no special ids */
    ids = bpe_encode(enc, s, n, 0, &k, &e);
    for (size_t i = 0; i < k; i++) CHECK(!bpe_is_special(t, ids[i]));
    CHECK(round_trips(t, enc, s, n, 0));
    uint32_t bad = bpe_vocab_size(t);
    sb_init(&b);
    CHECK(bpe_decode(t, &bad, 1, 0, &b, &e) == -1);
    CHECK_HAS(e.msg, "outside the vocabulary");
    sb_free(&b);
    bpe_encoder_free(enc);
    bpe_free(t);
}

static void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", test_tmpdir(), name);
}

TEST(json_and_binary_forms_agree)
{
    blalm_err e;
    char text[4096];
    snprintf(text, sizeof text, "%s %s", unicode_text, unicode_text);
    bpe_tokenizer *t = train_text(text, 256 + 60 + 2, 2, 1, NULL, &e);
    CHECK_MSG(t, "%s", e.msg);
    char jp[600], bp[600];
    tmp_path(jp, sizeof jp, "tokenizer.json");
    tmp_path(bp, sizeof bp, "tokenizer.bin");
    CHECK_MSG(bpe_save_json(t, jp, &e) == 0, "%s", e.msg);
    CHECK_MSG(bpe_save_bin(t, bp, &e) == 0, "%s", e.msg);
    bpe_tokenizer *tj = bpe_load(jp, &e);
    CHECK_MSG(tj, "%s", e.msg);
    bpe_tokenizer *tb = bpe_load(bp, &e);
    CHECK_MSG(tb, "%s", e.msg);
    char hex[65];
    char *data;
    size_t n;
    CHECK(read_file(jp, &data, &n, &e) == 0);
    uint8_t sha[32];
    sha256(data, n, sha);
    free(data);
    (void)hex;
    CHECK(!memcmp(sha, bpe_json_sha256(t), 32));
    CHECK(!memcmp(sha, bpe_json_sha256(tj), 32));
    CHECK(!memcmp(sha, bpe_json_sha256(tb), 32));
    CHECK_EQ_INT(bpe_vocab_size(tj), bpe_vocab_size(t));
    CHECK_EQ_INT(bpe_vocab_size(tb), bpe_vocab_size(t));
    CHECK_EQ_INT(bpe_merges_count(tj), bpe_merges_count(t));
    CHECK_EQ_INT(bpe_eot_id(tb), bpe_eot_id(t));
    bpe_encoder *e0 = bpe_encoder_new(t, &e), *e1 = bpe_encoder_new(tj, &e), *e2 = bpe_encoder_new(tb, &e);
    size_t k0, k1, k2;
    const uint32_t *i0 = bpe_encode(e0, text, strlen(text), 1, &k0, &e);
    const uint32_t *i1 = bpe_encode(e1, text, strlen(text), 1, &k1, &e);
    const uint32_t *i2 = bpe_encode(e2, text, strlen(text), 1, &k2, &e);
    CHECK(i0 && i1 && i2 && k0 == k1 && k0 == k2);
    CHECK(!memcmp(i0, i1, k0 * 4) && !memcmp(i0, i2, k0 * 4));
    bpe_encoder_free(e0);
    bpe_encoder_free(e1);
    bpe_encoder_free(e2);
    bpe_free(t);
    bpe_free(tj);
    bpe_free(tb);
}

TEST(custom_pattern)
{
    blalm_err e;
    bpe_tokenizer *t = train_text("aa bb aa bb aa bb", 256 + 4 + 2, 1, 1, "\\S+|\\s+", &e);
    CHECK_MSG(t, "%s", e.msg);
    size_t n;
    char *j = bpe_to_json(t, &n);
    CHECK_HAS(j, "\"Split\"");
    bpe_tokenizer *u = bpe_load_mem(j, n, "custom.json", &e);
    free(j);
    CHECK_MSG(u, "%s", e.msg);
    CHECK_EQ_STR(bpe_pattern(u), "\\S+|\\s+");
    bpe_free(u);
    bpe_free(t);
    CHECK(!train_text("x", 300, 1, 1, "(unclosed", &e));
    CHECK_HAS(e.msg, "pattern");
}

static void write_bytes(const char *path, const char *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, n, f);
    fclose(f);
}

TEST(corrupt_and_truncated_files)
{
    blalm_err e;
    bpe_tokenizer *t = train_text("the cat sat on the mat the cat", 256 + 8 + 2, 1, 1, NULL, &e);
    CHECK_MSG(t, "%s", e.msg);
    char jp[600], bp[600], xp[600];
    tmp_path(jp, sizeof jp, "c.json");
    tmp_path(bp, sizeof bp, "c.bin");
    tmp_path(xp, sizeof xp, "x");
    CHECK(bpe_save_json(t, jp, &e) == 0 && bpe_save_bin(t, bp, &e) == 0);
    bpe_free(t);
    char *js, *bs;
    size_t jn, bn;
    CHECK(read_file(jp, &js, &jn, &e) == 0 && read_file(bp, &bs, &bn, &e) == 0);

    write_bytes(xp, js, jn / 2);
    CHECK(!bpe_load(xp, &e));
    CHECK_HAS(e.msg, "invalid JSON");
    write_bytes(xp, bs, bn - 3);
    CHECK(!bpe_load(xp, &e));
    CHECK_HAS(e.msg, "checksum");
    write_bytes(xp, bs, 20);
    CHECK(!bpe_load(xp, &e));
    CHECK_HAS(e.msg, "truncated");
    bs[bn / 2] ^= 0x40;
    write_bytes(xp, bs, bn);
    CHECK(!bpe_load(xp, &e));
    CHECK_HAS(e.msg, "checksum");
    write_bytes(xp, "", 0);
    CHECK(!bpe_load(xp, &e));
    CHECK_HAS(e.msg, "empty");
    write_bytes(xp, "PK\3\4 not a tokenizer", 20);
    CHECK(!bpe_load(xp, &e));
    CHECK_HAS(e.msg, "neither");
    CHECK(!bpe_load("/nonexistent/tokenizer.json", &e));
    CHECK_HAS(e.msg, "/nonexistent/tokenizer.json");
    free(js);
    free(bs);

    /* well-formed JSON that is not a usable tokenizer */
    const char *extra[] = {"ab"};
    const char *bad_merge[] = {"a c"};
    char *j = hand_json(extra, 1, bad_merge, 1);
    CHECK(!bpe_load_mem(j, strlen(j), "m.json", &e));
    CHECK_HAS(e.msg, "merged token is not in the vocabulary");
    free(j);
    const char *bad_form[] = {"ab"};
    j = hand_json(extra, 1, bad_form, 1);
    CHECK(!bpe_load_mem(j, strlen(j), "m.json", &e));
    CHECK_HAS(e.msg, "merges[0]");
    free(j);
    const char *no_bytes = "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0},\"merges\":[]},"
                           "\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}";
    CHECK(!bpe_load_mem(no_bytes, strlen(no_bytes), "b.json", &e));
    CHECK_HAS(e.msg, "fewer than the 256 bytes");
    const char *wordpiece = "{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}";
    CHECK(!bpe_load_mem(wordpiece, strlen(wordpiece), "w.json", &e));
    CHECK_HAS(e.msg, "BPE");
    j = hand_json(extra, 1, NULL, 0);
    char *norm = strstr(j, "\"normalizer\":null");
    CHECK(norm);
    memcpy(norm, "\"normalizer\":  {}", 17);
    CHECK(!bpe_load_mem(j, strlen(j), "n.json", &e));
    CHECK_HAS(e.msg, "normalizer");
    free(j);
}

TEST(added_token_text_with_two_ids)
{
    /* found by tests/fuzz/fuzz_tokenizer.c: added_tokens giving <|padding|>
     * an id other than its model.vocab id was loaded, and the tokenizer then
     * wrote a tokenizer.json with the token twice, which it could not read */
    blalm_err e;
    bpe_tokenizer *t = train_text("the cat sat on the mat the cat", 256 + 8 + 2, 1, 1, NULL, &e);
    CHECK_MSG(t, "%s", e.msg);
    size_t n;
    char *j = bpe_to_json(t, &n);
    uint32_t pad = bpe_pad_id(t), nv = bpe_vocab_size(t);
    bpe_free(t);
    CHECK(j && pad != BPE_NO_ID && pad + 1 == nv && nv < 999);
    char from[32], to[32];
    snprintf(from, sizeof from, "\"id\": %u,", pad);
    snprintf(to, sizeof to, "\"id\": %u,", nv);
    char *at = strstr(j, from);   /* added_tokens comes first in the file */
    CHECK(at && strlen(from) == strlen(to));
    memcpy(at, to, strlen(to));
    CHECK(strstr(at, "<|padding|>") && strstr(at, "<|padding|>") < strstr(at, "}"));
    CHECK(!bpe_load_mem(j, n, "dup.json", &e));
    CHECK_HAS(e.msg, "same text");
    free(j);
}

TEST(empty_token_text_refused)
{
    /* found by tests/fuzz/fuzz_tokenizer.c: an empty token text as the first
     * vocabulary key was copied to a not-yet-allocated arena (UB, caught by
     * make SAN=1) */
    sbuf b;
    sb_init(&b);
    sb_adds(&b, "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"\":0},\"merges\":[]},"
                "\"pre_tokenizer\":{\"type\":\"ByteLevel\"},\"added_tokens\":[");
    for (int i = 1; i < 256; i++)
        sb_printf(&b, "%s{\"id\":%d,\"content\":\"t%d\"}", i > 1 ? "," : "", i, i);
    sb_adds(&b, "]}");
    blalm_err e;
    CHECK(!bpe_load_mem(b.data, b.len, "empty.json", &e));
    CHECK_HAS(e.msg, "not a byte-level token");
    sb_free(&b);
}

TEST(vocab_that_cannot_be_reached)
{
    blalm_err e;
    CHECK(!train_text("tiny text", 5000, 2, 0, NULL, &e));
    CHECK_HAS(e.msg, "cannot be reached");
    bpe_tokenizer *t = train_text("tiny tiny text text", 5000, 2, 1, NULL, &e);
    CHECK_MSG(t, "%s", e.msg);
    CHECK(bpe_vocab_size(t) < 5000);
    CHECK_EQ_INT(bpe_eot_id(t), bpe_vocab_size(t) - 2);
    bpe_free(t);
    CHECK(!train_text("some text", 200, 1, 0, NULL, &e));
    CHECK_HAS(e.msg, "cannot hold the 256 byte tokens");
}

TEST(empty_corpus)
{
    blalm_err e;
    CHECK(!train_text("", 1000, 2, 1, NULL, &e));
    CHECK_HAS(e.msg, "empty corpus");
    /* an exact vocabulary of bytes + specials needs no merges */
    bpe_tokenizer *t = train_text("x", 258, 2, 0, NULL, &e);
    CHECK_MSG(t, "%s", e.msg);
    CHECK_EQ_INT(bpe_merges_count(t), 0);
    bpe_encoder *enc = bpe_encoder_new(t, &e);
    CHECK(round_trips(t, enc, "", 0, 1));
    CHECK(round_trips(t, enc, "any text at all", 15, 1));
    bpe_encoder_free(enc);
    char jp[600];
    tmp_path(jp, sizeof jp, "bytes.json");
    CHECK(bpe_save_json(t, jp, &e) == 0);
    bpe_tokenizer *u = bpe_load(jp, &e);
    CHECK_MSG(u, "%s", e.msg);
    bpe_free(u);
    bpe_free(t);
}

TEST(counters_merge_like_one)
{
    blalm_err e;
    bpe_counter *a = bpe_counter_new(NULL, &e), *b = bpe_counter_new(NULL, &e), *all = bpe_counter_new(NULL, &e);
    const char *s1 = "the quick brown fox ", *s2 = "jumps over the lazy dog";
    CHECK(bpe_counter_feed(a, s1, strlen(s1), &e) == 0 && bpe_counter_feed(b, s2, strlen(s2), &e) == 0);
    CHECK(bpe_counter_feed(all, s1, strlen(s1), &e) == 0 && bpe_counter_feed(all, s2, strlen(s2), &e) == 0);
    CHECK(bpe_counter_merge(a, b, &e) == 0);
    CHECK_EQ_INT(bpe_counter_pretokens(a), bpe_counter_pretokens(all));
    CHECK_EQ_INT(bpe_counter_unique(a), bpe_counter_unique(all));
    CHECK_EQ_INT(bpe_counter_bytes(a), strlen(s1) + strlen(s2));
    bpe_counter_free(a);
    bpe_counter_free(b);
    bpe_counter_free(all);
}

/* A reference trainer, slow and plain: every step recounts the pairs of
 * every word and merges the most frequent (ties to the lower ids), the
 * new token reusing the id of a token with the same bytes. Merges as
 * "left|right" byte strings, one per line, into out. */
typedef struct ref_word {
    uint32_t *s;
    size_t n;
    long count;
} ref_word;

static void ref_train(const char *const *words, const long *counts, size_t nw, uint32_t n_merges, sbuf *out)
{
    ref_word *w = calloc(nw, sizeof *w);
    size_t cap = 256 + n_merges;
    char **tok = calloc(cap, sizeof *tok);
    size_t *tlen = calloc(cap, sizeof *tlen), ntok = 256;
    for (int b = 0; b < 256; b++) {
        tok[b] = malloc(1);
        tok[b][0] = (char)b;
        tlen[b] = 1;
    }
    for (size_t i = 0; i < nw; i++) {
        w[i].n = strlen(words[i]);
        w[i].s = malloc(w[i].n * sizeof *w[i].s);
        w[i].count = counts[i];
        for (size_t k = 0; k < w[i].n; k++) w[i].s[k] = (unsigned char)words[i][k];
    }
    for (uint32_t m = 0; m < n_merges; m++) {
        long best = 0;
        uint32_t ba = 0, bb = 0;
        for (size_t i0 = 0; i0 < nw; i0++)
            for (size_t k0 = 0; k0 + 1 < w[i0].n; k0++) {
                uint32_t a = w[i0].s[k0], b = w[i0].s[k0 + 1];
                long c = 0;
                for (size_t i = 0; i < nw; i++)
                    for (size_t k = 0; k + 1 < w[i].n; k++)
                        if (w[i].s[k] == a && w[i].s[k + 1] == b) c += w[i].count;
                if (c > best || (c == best && (a < ba || (a == ba && b < bb)))) best = c, ba = a, bb = b;
            }
        if (best == 0) break;
        size_t nl = tlen[ba] + tlen[bb];
        char *sp = malloc(nl);
        memcpy(sp, tok[ba], tlen[ba]);
        memcpy(sp + tlen[ba], tok[bb], tlen[bb]);
        uint32_t id = (uint32_t)ntok;
        for (uint32_t k = 0; k < ntok; k++)
            if (tlen[k] == nl && !memcmp(tok[k], sp, nl)) id = k;
        if (id == ntok) tok[ntok] = sp, tlen[ntok++] = nl;
        else free(sp);
        sb_add(out, tok[ba], tlen[ba]);
        sb_adds(out, "|");
        sb_add(out, tok[bb], tlen[bb]);
        sb_adds(out, "\n");
        for (size_t i = 0; i < nw; i++) {
            size_t j = 0;
            for (size_t k = 0; k < w[i].n; k++) {
                if (k + 1 < w[i].n && w[i].s[k] == ba && w[i].s[k + 1] == bb) w[i].s[j++] = id, k++;
                else w[i].s[j++] = w[i].s[k];
            }
            w[i].n = j;
        }
    }
    for (size_t i = 0; i < nw; i++) free(w[i].s);
    for (size_t k = 0; k < ntok; k++) free(tok[k]);
    free(w), free(tok), free(tlen);
}

/* Pre-tokens that merge into each other's runs (aaaa, abab), tokens spelled
 * by two merges (ab+c and a+bc), long words: bpe_train's incremental
 * counts give the reference's merges, rank for rank. */
TEST(training_matches_reference)
{
    static const char *const words[] = {
        "aaaaaaa", "abababab", "abcabc", "xabc", "bcbc", "aab", "baaab", "cab", "abcbcabcab",
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        "abcdabcdabcdabcdxyzabcdxyzxyzxyzabababcabcdzzzazazaazaaazaaaazaaaaaabcdabcabaabcdabc",
    };
    static const long counts[] = {3, 2, 4, 1, 5, 2, 1, 3, 2, 1, 2};
    size_t nw = sizeof words / sizeof *words;
    bpe_counter *c = bpe_counter_new("[a-z]+", &(blalm_err){0});
    CHECK(c);
    blalm_err e;
    for (size_t i = 0; i < nw; i++)
        for (long k = 0; k < counts[i]; k++) {
            CHECK(bpe_counter_feed(c, words[i], strlen(words[i]), &e) == 0);
            CHECK(bpe_counter_feed(c, " ", 1, &e) == 0);
        }
    bpe_train_opts o;
    bpe_train_opts_default(&o);
    o.vocab_size = 256 + 40 + 2;
    o.min_frequency = 1;
    o.allow_smaller = 1;
    bpe_tokenizer *t = bpe_train(c, &o, &e);
    bpe_counter_free(c);
    CHECK_MSG(t, "%s", e.msg);
    if (!t) return;
    sbuf got, want;
    sb_init(&got);
    sb_init(&want);
    for (uint32_t r = 0; r < bpe_merges_count(t); r++) {
        sb_adds(&got, merge_str(t, r));
        sb_adds(&got, "\n");
    }
    /* the spaces between the words are pre-tokens of their own: no pairs */
    ref_train(words, counts, nw, bpe_merges_count(t), &want);
    CHECK(bpe_merges_count(t) > 20);
    CHECK_MSG(got.len == want.len && !memcmp(got.data, want.data, got.len), "merges:\n%s\nreference:\n%s",
              got.data, want.data);
    sb_free(&got);
    sb_free(&want);
    bpe_free(t);
}

/* A pre-token of 500 KB (a very long word) trains and round-trips. Each
 * merge costs one scan of it, not a hash lookup for each of its pairs
 * (before: about 30 s for these 1,000 merges, now about 1 s): the time is
 * printed, not asserted (tests check behaviour; a loaded or sanitizer build
 * must not fail on a clock). */
TEST(long_pretoken_trains)
{
    size_t n = 500000;
    char *s = malloc(n + 1);
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        s[i] = (char)('a' + x % 26);
    }
    s[n] = 0;
    blalm_err e;
    double t0 = now_seconds();
    bpe_tokenizer *t = train_text(s, 256 + 1000 + 2, 2, 0, NULL, &e);
    double dt = now_seconds() - t0;
    CHECK_MSG(t, "%s", e.msg);
    printf("# 1,000 merges of one 500 KB pre-token: %.2f s\n", dt);
    if (t) {
        bpe_encoder *enc = bpe_encoder_new(t, &e);
        CHECK(enc && round_trips(t, enc, s, n, 0));
        bpe_encoder_free(enc);
    }
    bpe_free(t);
    free(s);
}

static int in_table(const unsigned (*r)[2], size_t n, unsigned cp)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i][0] && cp <= r[i][1]) return 1;
    return 0;
}

static size_t utf8_put(unsigned cp, char *o)
{
    if (cp < 0x80) return o[0] = (char)cp, 1;
    if (cp < 0x800) return o[0] = (char)(0xC0 | cp >> 6), o[1] = (char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000)
        return o[0] = (char)(0xE0 | cp >> 12), o[1] = (char)(0x80 | (cp >> 6 & 0x3F)), o[2] = (char)(0x80 | (cp & 0x3F)), 3;
    o[0] = (char)(0xF0 | cp >> 18), o[1] = (char)(0x80 | (cp >> 12 & 0x3F)), o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Pieces of text under the pattern (NULL: GPT-2's). */
static uint64_t count_pieces(bpe_counter *c, const char *text, size_t n)
{
    blalm_err e;
    uint64_t before = bpe_counter_pretokens(c);
    if (bpe_counter_feed(c, text, n, &e) != 0) return 0;
    return bpe_counter_pretokens(c) - before;
}

/* Every code point is a letter, a digit or neither to the GPT-2 pattern
 * exactly as trainer/unicode_ln.h (Unicode 16.0) says, whatever Unicode the
 * system PCRE2 knows (10.42: 14.0, where U+31350 and U+11F50 were not yet
 * assigned): "a"+c is one piece iff c is L, c+"1" one piece iff c is N. */
TEST(pattern_classes_follow_the_unicode_table)
{
    blalm_err e;
    CHECK(!strcmp(UNICODE_LN_VERSION, "16.0.0"));
    CHECK(in_table(unicode_L_ranges, UNICODE_L_NRANGES, 0x31350));   /* CJK Ext H, 15.0 */
    CHECK(in_table(unicode_L_ranges, UNICODE_L_NRANGES, 0x1C89));    /* 16.0 */
    CHECK(!in_table(unicode_L_ranges, UNICODE_L_NRANGES, 0x16EA0));  /* 17.0: not yet */
    CHECK(in_table(unicode_N_ranges, UNICODE_N_NRANGES, 0x11F50));   /* Kawi digit, 15.0 */
    CHECK(!in_table(unicode_N_ranges, UNICODE_N_NRANGES, 0x3000));
    bpe_counter *c = NULL;
    long bad = 0;
    for (unsigned cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        if (cp % 0x10000 == 0) {
            bpe_counter_free(c);
            c = bpe_counter_new(NULL, &e);
            CHECK(c != NULL);
        }
        char buf[8];
        size_t k = utf8_put(cp, buf + 1);
        buf[0] = 'a';
        int l = count_pieces(c, buf, k + 1) == 1;
        buf[k + 1] = '1';
        int d = cp != ' ' && count_pieces(c, buf + 1, k + 1) == 1;   /* " 1" is one piece: ' ?\p{N}+' */
        int want_l = in_table(unicode_L_ranges, UNICODE_L_NRANGES, cp);
        int want_d = in_table(unicode_N_ranges, UNICODE_N_NRANGES, cp);
        if ((l != want_l || d != want_d) && bad++ < 5)
            CHECK_MSG(0, "U+%04X: pattern says L=%d N=%d, table L=%d N=%d", cp, l, d, want_l, want_d);
    }
    bpe_counter_free(c);
    CHECK_EQ_INT(bad, 0);
    /* \P{L} and \P{N} in a pattern of one's own: the complements, surrogates left out */
    c = bpe_counter_new("\\P{L}+|\\p{L}+", &e);
    CHECK(c != NULL);
    if (c) {
        const char *t = "ab\xf0\xb1\x8d\x90" "12 !\xf0\x96\xba\xa0";   /* ab U+31350 | 12 ! U+16EA0 */
        CHECK_EQ_INT(count_pieces(c, t, strlen(t)), 2);
        bpe_counter_free(c);
    }
    c = bpe_counter_new("[\\P{N}x]+|\\p{N}+", &e);
    CHECK(c != NULL);
    if (c) {
        const char *t = "ab\xf0\x91\xbd\x90" "x12";   /* ab | U+11F50 | x | 12 */
        CHECK_EQ_INT(count_pieces(c, t, strlen(t)), 4);
        bpe_counter_free(c);
    }
}

int main(void)
{
    RUN(merges_in_rank_order);
    RUN(ties_broken_by_lower_ids);
    RUN(encode_applies_lowest_rank_first);
    RUN(long_words_match_reference);
    RUN(unicode_round_trip_and_pieces);
    RUN(invalid_utf8_is_bytes);
    RUN(special_tokens);
    RUN(json_and_binary_forms_agree);
    RUN(custom_pattern);
    RUN(corrupt_and_truncated_files);
    RUN(added_token_text_with_two_ids);
    RUN(empty_token_text_refused);
    RUN(vocab_that_cannot_be_reached);
    RUN(empty_corpus);
    RUN(counters_merge_like_one);
    RUN(training_matches_reference);
    RUN(long_pretoken_trains);
    RUN(pattern_classes_follow_the_unicode_table);
    return test_summary();
}
