/* JSON scanning/decoding and JSON output. */
#include "lib/config.h"
#include "lib/json.h"
#include "lib/sbuf.h"
#include "test.h"

static int decode(const char *js, sbuf *out, const char **what, size_t *pos)
{
    *pos = 0;
    sb_reset(out);
    return json_decode_string(js, strlen(js), pos, out, what);
}

TEST(decode_escapes)
{
    sbuf b;
    sb_init(&b);
    const char *what;
    size_t pos;
    CHECK(decode("\"caf\\u00e9 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\"", &b, &what, &pos) == 0);
    CHECK_EQ_INT(b.len, strlen("caf\xc3\xa9 \"q\" \\ / \b\f\n\r\t"));
    CHECK(!memcmp(b.data, "caf\xc3\xa9 \"q\" \\ / \b\f\n\r\t", b.len));
    CHECK(decode("\"\\ud83d\\ude00\"", &b, &what, &pos) == 0);   /* surrogate pair -> U+1F600 */
    CHECK(b.len == 4 && !memcmp(b.data, "\xf0\x9f\x98\x80", 4));
    CHECK(decode("\"a\\u0000b\"", &b, &what, &pos) == 0);        /* NUL survives */
    CHECK(b.len == 3 && b.data[1] == 0);
    sb_free(&b);
}

TEST(decode_errors)
{
    sbuf b;
    sb_init(&b);
    const char *what = "";
    size_t pos;
    CHECK(decode("\"\\ud83d\"", &b, &what, &pos) < 0);           /* lone high surrogate */
    CHECK_CONTAINS(what, "surrogate");
    CHECK(decode("\"\\ude00\"", &b, &what, &pos) < 0);           /* lone low surrogate */
    CHECK(decode("\"\\x41\"", &b, &what, &pos) < 0);
    CHECK_CONTAINS(what, "escape");
    CHECK(decode("\"abc", &b, &what, &pos) < 0);
    CHECK_CONTAINS(what, "unterminated");
    CHECK(decode("\"a\xff\"", &b, &what, &pos) < 0);
    CHECK_CONTAINS(what, "UTF-8");
    CHECK_EQ_INT(pos, 2);
    CHECK(decode("\"a\nb\"", &b, &what, &pos) < 0);
    CHECK_CONTAINS(what, "control");
    sb_free(&b);
}

TEST(skip_values)
{
    const char *ok[] = {"0", "-1.5e+3", "\"s\"", "true", "null", "[]", "{}", "[1,[2,{\"a\":[]}]]",
                        " { \"a\" : 1 , \"b\" : [ true , false ] } "};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        size_t pos = 0;
        const char *what;
        CHECK_MSG(json_skip_value(ok[i], strlen(ok[i]), &pos, &what) == 0, "rejected %s", ok[i]);
    }
    const char *bad[] = {"01", "1.", "-", "[1,]", "{\"a\":1,}", "{a:1}", "tru", "[1 2]", "{\"a\" 1}", "\"x"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t pos = 0;
        const char *what;
        int rc = json_skip_value(bad[i], strlen(bad[i]), &pos, &what);
        /* "01" and "1." parse a prefix; the caller then sees trailing bytes */
        CHECK_MSG(rc < 0 || pos < strlen(bad[i]), "accepted %s", bad[i]);
    }
}

TEST(output)
{
    sbuf b;
    sb_init(&b);
    sb_json_str(&b, "a\"\\\n\x01\xc3\xa9", 7);
    CHECK_EQ_STR(sb_cstr(&b), "\"a\\\"\\\\\\n\\u0001\xc3\xa9\"");
    sb_reset(&b);
    sb_json_num(&b, 0.1);
    sb_addc(&b, ' ');
    sb_json_num(&b, 3);
    sb_addc(&b, ' ');
    sb_json_num(&b, 1.0 / 3);
    sb_addc(&b, ' ');
    sb_json_num(&b, 0.0 / 0.0);
    sb_addc(&b, ' ');
    sb_json_num(&b, -2.5e-300);
    CHECK_EQ_STR(sb_cstr(&b), "0.1 3 0.3333333333333333 null -2.5e-300");
    sb_free(&b);
}

/* shell words, as commands in records and messages show them to be pasted */
TEST(shell_words)
{
    sbuf b;
    sb_init(&b);
    sb_adds(&b, "blalm");
    sb_shell_opt(&b, "work", "w/a-1_b.c:2,x=y+z@h%");
    sb_shell_opt(&b, "where", "a.pass && b.keep");
    sb_shell_opt(&b, "x", "it's");
    sb_shell_opt(&b, "e", "");
    sb_shell_opt(&b, "d", "$HOME`x`\\*");
    sb_shell_opt(&b, "json-schema", NULL);
    CHECK_EQ_STR(sb_cstr(&b), "blalm --work w/a-1_b.c:2,x=y+z@h% --where 'a.pass && b.keep' --x 'it'\\''s' "
                              "--e '' --d '$HOME`x`\\*' --json-schema");
    sb_free(&b);
}

/* integers are written by hand, not printf: compare with printf */
TEST(integers)
{
    static const int64_t iv[] = {0, 1, -1, 9, 10, -10, 123456789, INT64_MAX, INT64_MIN};
    static const uint64_t uv[] = {0, 7, 10, 99, 100, 18446744073709551615ULL};
    static const double dv[] = {0.0, -0.0, -3.0, 42.0, 999999999999999.0, -999999999999999.0};
    char want[64];
    sbuf b;
    sb_init(&b);
    for (size_t i = 0; i < sizeof iv / sizeof *iv; i++) {
        sb_reset(&b);
        sb_json_int(&b, iv[i]);
        snprintf(want, sizeof want, "%lld", (long long)iv[i]);
        CHECK_EQ_STR(sb_cstr(&b), want);
    }
    for (size_t i = 0; i < sizeof uv / sizeof *uv; i++) {
        sb_reset(&b);
        sb_json_uint(&b, uv[i]);
        snprintf(want, sizeof want, "%llu", (unsigned long long)uv[i]);
        CHECK_EQ_STR(sb_cstr(&b), want);
    }
    for (size_t i = 0; i < sizeof dv / sizeof *dv; i++) {
        sb_reset(&b);
        sb_json_num(&b, dv[i]);
        snprintf(want, sizeof want, "%lld", (long long)dv[i]);
        CHECK_EQ_STR(sb_cstr(&b), want);
    }
    sb_free(&b);
}

/* sb_num_fast (integer arithmetic) writes exactly what the snprintf/strtod
 * reference writes: random bit patterns over the whole range, ratios of
 * small integers (a tagger's outputs), short decimals, powers of two (the
 * narrower step below them), values next to the range ends, and every
 * rounding neighbour of them. */
static uint64_t xs64(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static size_t fast_vs_ref(double v, size_t *handled)
{
    char a[40], b[40];
    int n = sb_num_fast(v, a);
    if (!n) return 0;
    (*handled)++;
    sb_num_ref(v, b);
    if (strcmp(a, b)) {
        printf("# %.17g: fast %s, reference %s\n", v, a, b);
        return 1;
    }
    return 0;
}

TEST(numbers_fast_equals_reference)
{
    uint64_t x = 88172645463325252ULL;
    size_t bad = 0, handled = 0, tried = 0;
#if defined(__SANITIZE_ADDRESS__)
    size_t rounds = 30000;
#else
    size_t rounds = 300000;
#endif
    for (size_t i = 0; i < rounds; i++) {
        double v;
        uint64_t r = xs64(&x);
        switch (i % 5) {
        case 0: {   /* any double with exponent in range */
            uint64_t bits = (r & 0x800FFFFFFFFFFFFFULL) |
                            (uint64_t)(1006 + xs64(&x) % 44) << 52;
            memcpy(&v, &bits, 8);
            break;
        }
        case 1: v = (double)(r % 100000) / (double)(1 + xs64(&x) % 100000); break;
        case 2: v = (double)(r % 10000000) / 1000.0; break;
        case 3: v = ldexp(1.0, (int)(r % 66) - 16) * (r & 64 ? 1 : -1); break;
        default: v = 206.835 - 1.015 * (double)(r % 5000) / 97.0 - 84.6 * (double)(xs64(&x) % 3000) / 1777.0;
        }
        double nb[3] = {v, nextafter(v, INFINITY), nextafter(v, -INFINITY)};
        for (int k = 0; k < 3; k++, tried++) bad += fast_vs_ref(nb[k], &handled);
    }
    static const double edge[] = {1e-5, 1e15, 0.1, 0.5, 1.5, 2.5e-5, 99999.99999, 123456789012345.6,
                                  0.30000000000000004, 5e-324, 1e300, 9.5367431640625e-07,
                                  999999999999999.9, 0.99999999999999989, 9.9999999999999995e-06};
    for (size_t i = 0; i < sizeof edge / sizeof *edge; i++) {
        double v = edge[i];
        for (int k = 0; k < 4; k++) {
            bad += fast_vs_ref(v, &handled);
            bad += fast_vs_ref(-v, &handled);
            v = nextafter(v, k < 2 ? INFINITY : 0.0);
        }
    }
    printf("# numbers: %zu tried, %zu in the fast range, %zu differ from snprintf/strtod\n", tried,
           handled, bad);
    CHECK(handled > tried / 2);
    CHECK_EQ_INT(bad, 0);
}

/* json_print: every number reads back as the same double (cJSON 1.7 alone
 * prints 29.999999999999996 as 30); trees without such numbers print as cJSON. */
TEST(json_print_exact_numbers)
{
    const double v[] = {29.999999999999996, 76.13893253012051, 0.1, 30, -2.5, 1e300, 5e9,
                        1.2345678901234567e19, 0.81230000000000002, 1e-310, 123456.78901234567};
    const int nv = (int)(sizeof v / sizeof v[0]);
    for (int fmt = 0; fmt < 2; fmt++) {
        cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "a");
        for (int i = 0; i < nv; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
        cJSON *in = cJSON_AddObjectToObject(o, "in");
        cJSON_AddNumberToObject(in, "x", v[0]);
        cJSON_AddStringToObject(in, "s", "q\"u\u00e9");
        char *t = json_print(o, fmt);
        CHECK(t != NULL);
        cJSON *back = t ? cJSON_Parse(t) : NULL;
        CHECK_MSG(back != NULL, "%s", t ? t : "(null)");
        if (back) {
            const cJSON *b = cJSON_GetObjectItem(back, "a");
            for (int i = 0; i < nv; i++) {
                double got = cJSON_GetArrayItem(b, i)->valuedouble;
                CHECK_MSG(got == v[i], "%.17g printed as something read back as %.17g: %s", v[i], got, t);
            }
            CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "in"), "x")->valuedouble == v[0]);
            CHECK(!strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(back, "in"), "s")->valuestring, "q\"u\u00e9"));
        }
        /* the caller's tree is not changed */
        CHECK(cJSON_IsNumber(cJSON_GetArrayItem(a, 0)) && cJSON_GetArrayItem(a, 0)->valuedouble == v[0]);
        cJSON_Delete(back);
        free(t);
        /* nothing lossy: byte for byte what cJSON prints */
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "n", 0.5);
        cJSON_AddNumberToObject(p, "k", 42);
        cJSON_AddStringToObject(p, "s", "x");
        char *mine = json_print(p, fmt), *theirs = fmt ? cJSON_Print(p) : cJSON_PrintUnformatted(p);
        CHECK(mine && theirs && !strcmp(mine, theirs));
        free(mine); free(theirs);
        cJSON_Delete(p);
        cJSON_Delete(o);
    }
    cJSON *n = cJSON_CreateNumber(v[0]);
    char *t = json_print(n, 0);
    CHECK(t && strtod(t, NULL) == v[0]);
    free(t);
    cJSON_Delete(n);
}

/* Object members one by one, keys decoded (NUL kept), values as byte
 * ranges; compacting keeps numbers as written and strings whole. */
TEST(object_members_and_compact)
{
    const char js[] = " { \"a\" : 9007199254740993 , \"k\\u0000\":{\"x\": [1, \"n\\u0000b\"]},\"e\":\"\"} ";
    size_t n = sizeof js - 1, pos = 0, v0, v1;
    int first = 1;
    const char *what;
    sbuf key, out;
    sb_init(&key);
    sb_init(&out);
    CHECK(json_object_next(js, n, &pos, &first, &key, &v0, &v1, &what) == 1);
    CHECK(key.len == 1 && key.data[0] == 'a');
    CHECK(v1 - v0 == 16 && !memcmp(js + v0, "9007199254740993", 16));
    CHECK(json_object_next(js, n, &pos, &first, &key, &v0, &v1, &what) == 1);
    CHECK(key.len == 2 && !memcmp(key.data, "k\0", 2));
    CHECK(json_compact(&out, js + v0, v1 - v0, &what) == 0);
    CHECK_EQ_STR(sb_cstr(&out), "{\"x\":[1,\"n\\u0000b\"]}");
    CHECK(json_object_next(js, n, &pos, &first, &key, &v0, &v1, &what) == 1);
    CHECK(key.len == 1 && v1 - v0 == 2);
    CHECK(json_object_next(js, n, &pos, &first, &key, &v0, &v1, &what) == 0);
    static const char *const bad[] = {"[1]", "{\"a\" 1}", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "{\"a\":tru}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int k;
        pos = 0;
        first = 1;
        while ((k = json_object_next(bad[i], strlen(bad[i]), &pos, &first, &key, &v0, &v1, &what)) == 1) {}
        CHECK_MSG(k == -1, "accepted %s", bad[i]);
    }
    sb_free(&key);
    sb_free(&out);
}

/* json_object_key stops at the value (the caller reads it); json_skip_nested
 * counts the nesting limit from the line's start, as a member's value
 * skipped by json_object_next is. */
TEST(object_key_then_value)
{
    const char js[] = "{ \"a\" : [1,2] , \"b\":{\"c\":true} }";
    size_t n = sizeof js - 1, pos = 0, v0;
    int first = 1;
    const char *what = NULL;
    sbuf key;
    sb_init(&key);
    CHECK(json_object_key(js, n, &pos, &first, &key, &what) == 1);
    CHECK(key.len == 1 && key.data[0] == 'a' && js[pos] == '[');
    v0 = pos;
    CHECK(json_skip_nested(js, n, &pos, &what, 1) == 0);
    CHECK(pos - v0 == 5);
    CHECK(json_object_key(js, n, &pos, &first, &key, &what) == 1);
    CHECK(key.len == 1 && key.data[0] == 'b' && js[pos] == '{');
    int f2 = 1;   /* into the member's object */
    CHECK(json_object_key(js, n, &pos, &f2, &key, &what) == 1);
    CHECK(key.len == 1 && key.data[0] == 'c' && !memcmp(js + pos, "true", 4));
    CHECK(json_skip_nested(js, n, &pos, &what, 2) == 0);
    CHECK(json_object_key(js, n, &pos, &f2, &key, &what) == 0);
    CHECK(json_object_key(js, n, &pos, &first, &key, &what) == 0);
    CHECK(pos == n);
    /* 512 levels from the start: one fewer allowed for each level above */
    char deep[1024];
    memset(deep, '[', 512);
    memset(deep + 512, ']', 512);
    pos = 0;
    CHECK(json_skip_nested(deep, 1024, &pos, &what, 1) == 0);
    pos = 0;
    CHECK(json_skip_nested(deep, 1024, &pos, &what, 2) < 0);
    CHECK_EQ_STR(what, "nesting no deeper than 512");
    sb_free(&key);
}

int main(void)
{
    RUN(decode_escapes);
    RUN(decode_errors);
    RUN(skip_values);
    RUN(output);
    RUN(integers);
    RUN(numbers_fast_equals_reference);
    RUN(json_print_exact_numbers);
    RUN(object_members_and_compact);
    RUN(object_key_then_value);
    RUN(shell_words);
    return test_summary();
}
