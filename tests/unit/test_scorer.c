/* test_scorer.c - scorer/: templates, truncation, request bodies, cache keys,
 * response shapes, score parsing and the crash-safe cache. */
#include "tests/unit/test.h"

#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fsutil.h"
#include "scorer/llm.h"

TEST(builtin_prompt_matches_file)
{
    char *data;
    size_t len;
    blalm_err e;
    if (read_file("scorer/prompts/edu5.txt", &data, &len, &e) < 0)
        SKIPF("scorer/prompts/edu5.txt not found from %s (run from the repo root)", getcwd(NULL, 0));
    int same = len == strlen(llm_prompt_edu5) && !memcmp(data, llm_prompt_edu5, len);
    free(data);
    CHECK_MSG(same, "scorer/prompt_edu5.c differs from scorer/prompts/edu5.txt");
    llm_template t;
    CHECK(llm_template_load(&t, NULL, &e) == 0);
    CHECK_CONTAINS(t.text, "{text}");
    CHECK_CONTAINS(t.text, "Educational score: N");
    CHECK(strlen(t.sha256) == 64);
    llm_template_free(&t);
}

TEST(template_file_errors)
{
    const char *dir = test_tmpdir();
    char p[600];
    blalm_err e;
    llm_template t;
    snprintf(p, sizeof p, "%s/noph.txt", dir);
    CHECK(write_file_atomic(p, "no placeholder here\n", 20, &e) == 0);
    CHECK(llm_template_load(&t, p, &e) < 0);
    CHECK_CONTAINS(e.msg, "{text}");
    snprintf(p, sizeof p, "%s/bad.txt", dir);
    CHECK(write_file_atomic(p, "ok {text} \xff\xfe", 12, &e) == 0);
    CHECK(llm_template_load(&t, p, &e) < 0);
    CHECK_CONTAINS(e.msg, "UTF-8");
    snprintf(p, sizeof p, "%s/missing.txt", dir);
    CHECK(llm_template_load(&t, p, &e) < 0);
    CHECK_CONTAINS(e.msg, "missing.txt");
    snprintf(p, sizeof p, "%s/good.txt", dir);
    CHECK(write_file_atomic(p, "A {text} B {text}", 17, &e) == 0);
    CHECK(llm_template_load(&t, p, &e) == 0);
    sbuf b;
    sb_init(&b);
    llm_render(&t, "xy", 2, &b);
    CHECK_EQ_STR(sb_cstr(&b), "A xy B xy");
    sb_free(&b);
    llm_template_free(&t);
}

TEST(cut_on_code_points)
{
    const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";  /* a é € 😀 z */
    size_t n = strlen(s);
    CHECK_EQ_INT(llm_cut_chars(s, n, 0), 0);
    CHECK_EQ_INT(llm_cut_chars(s, n, 1), 1);
    CHECK_EQ_INT(llm_cut_chars(s, n, 2), 3);
    CHECK_EQ_INT(llm_cut_chars(s, n, 3), 6);
    CHECK_EQ_INT(llm_cut_chars(s, n, 4), 10);
    CHECK_EQ_INT(llm_cut_chars(s, n, 5), 11);
    CHECK_EQ_INT(llm_cut_chars(s, n, 1000), 11);
    /* a code point cut off by the end of the buffer is not split further */
    CHECK_EQ_INT(llm_cut_chars(s, 8, 4), 8);
}

TEST(request_body_and_key)
{
    llm_params p = {.base_url = "http://h/v1", .model = "m", .max_tokens = 512};
    sbuf b;
    sb_init(&b);
    llm_request_body(&p, "hi \"x\"", 6, &b);
    CHECK_CONTAINS(sb_cstr(&b), "\"model\":\"m\"");
    CHECK_CONTAINS(sb_cstr(&b), "\"content\":\"hi \\\"x\\\"\"");
    CHECK_CONTAINS(sb_cstr(&b), "\"temperature\":0");
    CHECK_CONTAINS(sb_cstr(&b), "\"max_tokens\":512");
    CHECK(!strstr(sb_cstr(&b), "seed"));
    CHECK(!strstr(sb_cstr(&b), "response_format"));
    sb_reset(&b);
    p.has_seed = 1;
    p.seed = 7;
    p.json_schema = 1;
    llm_request_body(&p, "x", 1, &b);
    CHECK_CONTAINS(sb_cstr(&b), "\"seed\":7");
    CHECK_CONTAINS(sb_cstr(&b), "\"response_format\":{\"type\":\"json_schema\"");
    /* audit s37 #2d: OpenAI's reasoning models */
    sb_reset(&b);
    p.no_temperature = 1;
    p.max_completion_tokens = 1;
    llm_request_body(&p, "x", 1, &b);
    CHECK(!strstr(sb_cstr(&b), "temperature"));
    CHECK(!strstr(sb_cstr(&b), "\"max_tokens\""));
    CHECK_CONTAINS(sb_cstr(&b), "\"max_completion_tokens\":512");
    sb_free(&b);

    uint8_t k0[32], k[32];
    llm_params q = {.base_url = "http://h/v1", .model = "m", .max_tokens = 512};
    llm_cache_key(&q, "aa", "text", 4, k0);
    llm_cache_key(&q, "aa", "text", 4, k);
    CHECK(!memcmp(k0, k, 32));
    llm_params q2 = q;
    q2.base_url = "http://other/v1";
    llm_cache_key(&q2, "aa", "text", 4, k);
    CHECK(memcmp(k0, k, 32));
    q2 = q;
    q2.model = "m2";
    llm_cache_key(&q2, "aa", "text", 4, k);
    CHECK(memcmp(k0, k, 32));
    llm_cache_key(&q, "ab", "text", 4, k);
    CHECK(memcmp(k0, k, 32));
    q2 = q;
    q2.temperature = 0.5;
    llm_cache_key(&q2, "aa", "text", 4, k);
    CHECK(memcmp(k0, k, 32));
    q2 = q;
    q2.max_tokens = 100;
    llm_cache_key(&q2, "aa", "text", 4, k);
    CHECK(memcmp(k0, k, 32));
    /* the new settings change the key; the defaults keep the old one */
    sbuf pj;
    sb_init(&pj);
    llm_params_json(&q, &pj);
    CHECK_EQ_STR(sb_cstr(&pj), "{\"temperature\":0,\"max_tokens\":512,\"seed\":null,\"response_format\":null}");
    sb_free(&pj);
    q2 = q;
    q2.no_temperature = 1;
    llm_cache_key(&q2, "aa", "text", 4, k);
    CHECK(memcmp(k0, k, 32));
    q2 = q;
    q2.max_completion_tokens = 1;
    llm_cache_key(&q2, "aa", "text", 4, k);
    CHECK(memcmp(k0, k, 32));
    q2 = q;
    q2.has_seed = 1;
    llm_cache_key(&q2, "aa", "text", 4, k);
    CHECK(memcmp(k0, k, 32));
    llm_cache_key(&q, "aa", "text.", 5, k);
    CHECK(memcmp(k0, k, 32));
}

TEST(response_shapes)
{
    blalm_err e;
    llm_response r;
    const char *openai = "{\"id\":\"x\",\"model\":\"gpt\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
                         "\"assistant\",\"content\":\"ok\\n\\nEducational score: 3\"},\"finish_reason\":"
                         "\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":4,\"total_tokens\":14}}";
    CHECK(llm_parse_response(openai, strlen(openai), &r, &e) == 0);
    CHECK_EQ_STR(r.model, "gpt");
    CHECK_EQ_STR(r.finish_reason, "stop");
    CHECK_EQ_INT(r.prompt_tokens, 10);
    CHECK_EQ_INT(r.completion_tokens, 4);
    CHECK(r.reasoning == NULL);
    llm_response_free(&r);
    const char *vllm = "{\"model\":\"ds\",\"choices\":[{\"message\":{\"role\":\"assistant\","
                       "\"reasoning_content\":\"think\",\"content\":\"Educational score: 2\"},"
                       "\"finish_reason\":\"length\",\"stop_reason\":null}],\"usage\":{\"prompt_tokens\":5,"
                       "\"completion_tokens\":6}}";
    CHECK(llm_parse_response(vllm, strlen(vllm), &r, &e) == 0);
    CHECK_EQ_STR(r.reasoning, "think");
    CHECK_EQ_STR(r.finish_reason, "length");
    llm_response_free(&r);
    const char *llama = "{\"choices\":[{\"message\":{\"content\":null}}],\"timings\":{\"prompt_n\":12,"
                        "\"predicted_n\":3}}";
    CHECK(llm_parse_response(llama, strlen(llama), &r, &e) == 0);
    CHECK_EQ_STR(r.content, "");
    CHECK_EQ_INT(r.prompt_tokens, 12);
    CHECK_EQ_INT(r.completion_tokens, 3);
    CHECK(r.model == NULL);
    llm_response_free(&r);
    CHECK(llm_parse_response(openai, 40, &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "not valid JSON");
    const char *noch = "{\"error\":{\"message\":\"overloaded\"}}";
    CHECK(llm_parse_response(noch, strlen(noch), &r, &e) < 0);
    CHECK_CONTAINS(e.msg, "overloaded");
}

TEST(response_content_kinds)
{
    /* audit s37 #3, #4, #8: parts joined, unusable content not retried,
     * refusals said, invalid UTF-8 replaced */
    blalm_err e = {{0}};
    llm_response r;
    const char *parts = "{\"choices\":[{\"message\":{\"content\":[{\"type\":\"thinking\",\"thinking\":"
                        "[{\"type\":\"text\",\"text\":\"hm\"}]},{\"type\":\"text\",\"text\":\"A \"},"
                        "{\"type\":\"text\",\"text\":\"Educational score: 2\"}]}}]}";
    CHECK_EQ_INT(llm_parse_response(parts, strlen(parts), &r, &e), 0);
    CHECK_EQ_STR(r.content, "A Educational score: 2");
    CHECK_EQ_STR(r.reasoning, "hm");
    llm_response_free(&r);
    const char *num = "{\"choices\":[{\"message\":{\"content\":42}}]}";
    CHECK_EQ_INT(llm_parse_response(num, strlen(num), &r, &e), 1);
    CHECK_CONTAINS(e.msg, "number");
    const char *ref = "{\"choices\":[{\"message\":{\"content\":null,\"refusal\":\"No can do.\"}}]}";
    CHECK_EQ_INT(llm_parse_response(ref, strlen(ref), &r, &e), 0);
    CHECK_EQ_STR(r.content, "");
    CHECK_EQ_STR(r.note, "the model refused: No can do.");
    llm_response_free(&r);
    const char *tc = "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":[{\"id\":\"1\"}]}}]}";
    CHECK_EQ_INT(llm_parse_response(tc, strlen(tc), &r, &e), 0);
    CHECK_CONTAINS(r.note, "tool call");
    llm_response_free(&r);
    const char *bad = "{\"model\":\"m\xff\",\"choices\":[{\"message\":{\"content\":\"a\xc3\x28" "b\"}}]}";
    CHECK_EQ_INT(llm_parse_response(bad, strlen(bad), &r, &e), 0);
    CHECK_EQ_STR(r.content, "a\xef\xbf\xbd(b");
    CHECK_EQ_STR(r.model, "m\xef\xbf\xbd");
    llm_response_free(&r);
}

static int score_of(const char *s, int json, char *why)
{
    sbuf j;
    sb_init(&j);
    int v = llm_parse_score(s, strlen(s), json, &j, why, 256);
    sb_free(&j);
    return v;
}

TEST(response_huge_token_counts)
{
    /* found by tests/fuzz/fuzz_llm.c: a count beyond long long was cast (UB) */
    const char *b = "{\"choices\":[{\"message\":{\"content\":\"x\"}}],"
                    "\"usage\":{\"prompt_tokens\":1e300,\"completion_tokens\":1e19}}";
    llm_response r;
    blalm_err e = {{0}};
    CHECK(llm_parse_response(b, strlen(b), &r, &e) == 0);
    CHECK(r.prompt_tokens == -1);
    CHECK(r.completion_tokens == -1);
    llm_response_free(&r);
}

TEST(score_lines)
{
    char why[256];
    CHECK_EQ_INT(score_of("Good.\nEducational score: 3", 0, why), 3);
    CHECK_EQ_INT(score_of("**Educational score:** 4", 0, why), 4);
    CHECK_EQ_INT(score_of("*Educational Score: 2*", 0, why), 2);
    CHECK_EQ_INT(score_of("### Educational score: __5__\n", 0, why), 5);
    CHECK_EQ_INT(score_of("Educational score: 3/5", 0, why), 3);
    CHECK_EQ_INT(score_of("Educational score: 3 / 5", 0, why), 3);
    CHECK_EQ_INT(score_of("Educational score: 2 points", 0, why), 2);
    CHECK_EQ_INT(score_of("Educational score: 1 point.", 0, why), 1);
    CHECK_EQ_INT(score_of("Educational score: 0", 0, why), 0);
    CHECK_EQ_INT(score_of("Educational score: 4.0", 0, why), 4);
    CHECK_EQ_INT(score_of("`Educational score: 1`", 0, why), 1);
    /* the last one counts */
    CHECK_EQ_INT(score_of("Educational score: 2\nOn reflection...\nEducational score: 4", 0, why), 4);
    /* a later mention without ": N" does not hide the score line */
    CHECK_EQ_INT(score_of("Educational score: 2\nThe educational score reflects points 1-2.", 0, why), 2);
    CHECK_EQ_INT(score_of("Educational score: 7", 0, why), -1);
    CHECK_CONTAINS(why, "out of range");
    CHECK_EQ_INT(score_of("no verdict here", 0, why), -1);
    CHECK_CONTAINS(why, "no 'Educational score");
    CHECK_EQ_INT(score_of("Educational score: N", 0, why), -1);
    CHECK_CONTAINS(why, "no number");
    CHECK_EQ_INT(score_of("Educational score: 3.5", 0, why), -1);
    CHECK_CONTAINS(why, "whole number");
    CHECK_EQ_INT(score_of("Educational score: 3-4", 0, why), -1);
    CHECK_CONTAINS(why, "contradictory");
    CHECK_EQ_INT(score_of("Educational score: 3 or 4", 0, why), -1);
    CHECK_CONTAINS(why, "contradictory");
    CHECK_EQ_INT(score_of("Educational score: 3/4", 0, why), -1);
    CHECK_CONTAINS(why, "contradictory");
    CHECK_EQ_INT(score_of("Educational score: 3\xe2\x80\x93" "4", 0, why), -1);
    CHECK_EQ_INT(score_of("Educational score: -1", 0, why), -1);
    /* audit F1: a line that goes on after the number never yields its first
     * number. A sum with its total gives the total when it adds up ... */
    CHECK_EQ_INT(score_of("J.\nEducational score: 1 + 1 + 1 = 3", 0, why), 3);
    CHECK_EQ_INT(score_of("Educational score: 2 + 1 = 3", 0, why), 3);
    CHECK_EQ_INT(score_of("Educational score: 5 - 1 = 4", 0, why), 4);
    CHECK_EQ_INT(score_of("Educational score: 1+1+0+0+0=2/5", 0, why), 2);
    CHECK_EQ_INT(score_of("**Educational score: 1 point + 1 point = 2 points**", 0, why), 2);
    CHECK_EQ_INT(score_of("Educational score: 2 + 1 \xe2\x86\x92 **3**", 0, why), 3);
    CHECK_EQ_INT(score_of("Educational score: 2 + 1 -> 3 = 3", 0, why), 3);
    /* ... and is refused otherwise */
    CHECK_EQ_INT(score_of("Educational score: 1 + 1 + 1 = 4", 0, why), -1);
    CHECK_CONTAINS(why, "score line holds an expression that does not add up: '1 + 1 + 1 = 4'");
    CHECK_EQ_INT(score_of("Educational score: 2 + 2 = 4 = 3", 0, why), -1);
    CHECK_CONTAINS(why, "does not add up");
    CHECK_EQ_INT(score_of("Educational score: 3 \xe2\x86\x92 4", 0, why), -1);
    CHECK_CONTAINS(why, "does not add up");
    CHECK_EQ_INT(score_of("Educational score: 2 + 1", 0, why), -1);
    CHECK_CONTAINS(why, "score line holds an expression without a total: '2 + 1'");
    CHECK_EQ_INT(score_of("Educational score: 2 \xc3\x97 2 = 4", 0, why), -1);
    CHECK_CONTAINS(why, "expression");
    CHECK_EQ_INT(score_of("Educational score: 3 + 4 = 7", 0, why), -1);
    CHECK_CONTAINS(why, "score 7 (the total of '3 + 4 = 7') is out of range 0-5");
    /* review: the total is quoted, and summands over 5 (which saturate)
     * are refused, never added: 1000001 - 1000000 is not 0 */
    CHECK_EQ_INT(score_of("Educational score: 1 + 5 = 6", 0, why), -1);
    CHECK_CONTAINS(why, "score 6 (the total of '1 + 5 = 6') is out of range 0-5");
    CHECK_EQ_INT(score_of("Educational score: 1000001 - 1000000 = 0", 0, why), -1);
    CHECK_CONTAINS(why, "score line holds a number out of range 0-5: '1000001 - 1000000 = 0'");
    CHECK_EQ_INT(score_of("Educational score: 99999999999999999999999 - 99999999999999999999999 = 0", 0, why), -1);
    CHECK_CONTAINS(why, "number out of range");
    CHECK_EQ_INT(score_of("Educational score: 9 - 5 = 4", 0, why), -1);
    CHECK_CONTAINS(why, "number out of range");
    /* a dash after "N points" that begins prose ends the number */
    CHECK_EQ_INT(score_of("Educational score: 3 points - 1 for relevance, 1 for coherence, 1 for readability", 0, why), 3);
    CHECK_EQ_INT(score_of("Educational score: 3-4 for this extract", 0, why), -1);
    CHECK_CONTAINS(why, "contradictory");
    CHECK_EQ_INT(score_of("Educational score: 3 and 4", 0, why), -1);
    CHECK_CONTAINS(why, "contradictory score '3 and 4'");
    CHECK_EQ_INT(score_of("Educational score: 3 & 4", 0, why), -1);
    CHECK_CONTAINS(why, "contradictory");
    CHECK_EQ_INT(score_of("Educational score: 3 4", 0, why), -1);
    CHECK_CONTAINS(why, "contradictory");
    CHECK_EQ_INT(score_of("Educational score: 3 - 4", 0, why), -1);
    CHECK_CONTAINS(why, "contradictory score '3 - 4'");
    CHECK_EQ_INT(score_of("Educational score: 2 + 1.5 = 3.5", 0, why), -1);
    CHECK_CONTAINS(why, "whole number");
    /* words, punctuation or a parenthesis after the number end it */
    CHECK_EQ_INT(score_of("Educational score: 3 (points 1, 2 and 3)", 0, why), 3);
    CHECK_EQ_INT(score_of("Educational score: 2 - coherent but thin", 0, why), 2);
    CHECK_EQ_INT(score_of("Educational score: 3 out of 5", 0, why), 3);
    CHECK_EQ_INT(score_of("Educational score: 3 and that is generous", 0, why), 3);
    CHECK_EQ_INT(score_of("Educational score: 4\n5. A list item after it", 0, why), 4);
    /* every digit is read: leading zeros do not cut the number short */
    CHECK_EQ_INT(score_of("Educational score: 0000003", 0, why), 3);
    CHECK_EQ_INT(score_of("Educational score: 0000003/0000005", 0, why), 3);
    CHECK_EQ_INT(score_of("Educational score: 3000000", 0, why), -1);
    CHECK_CONTAINS(why, "score 3000000 is out of range 0-5");
    CHECK_EQ_INT(score_of("Educational score: 99999999999999999999999", 0, why), -1);
    CHECK_CONTAINS(why, "out of range 0-5");
    sbuf j;
    sb_init(&j);
    CHECK_EQ_INT(llm_parse_score("  Reasons here.  \n\n**Educational score: 3**", 43, 0, &j, why, 256), 3);
    CHECK_EQ_STR(sb_cstr(&j), "Reasons here.");
    sb_free(&j);
}

TEST(score_json)
{
    char why[256];
    CHECK_EQ_INT(score_of("{\"justification\":\"fine\",\"score\":4}", 1, why), 4);
    CHECK_EQ_INT(score_of("```json\n{\"justification\":\"fine\",\"score\":2}\n```", 1, why), 2);
    CHECK_EQ_INT(score_of("{\"justification\":\"x\",\"score\":7}", 1, why), -1);
    CHECK_CONTAINS(why, "out of range");
    CHECK_EQ_INT(score_of("{\"justification\":\"x\"}", 1, why), -1);
    CHECK_CONTAINS(why, "no \"score\"");
    CHECK_EQ_INT(score_of("{\"justification\":\"x\",\"score\":2.5}", 1, why), -1);
    CHECK_EQ_INT(score_of("{\"justification\":\"x\",\"score\":\"3\"}", 1, why), -1);
    CHECK_EQ_INT(score_of("{\"justification\":\"so Educational score: 2\",\"score\":4}", 1, why), -1);
    CHECK_CONTAINS(why, "contradictory");
    /* audit F1: a justification that shows its sum agrees with the field */
    CHECK_EQ_INT(score_of("{\"justification\":\"Educational score: 1 + 1 + 1 = 3\",\"score\":3}", 1, why), 3);
    CHECK_EQ_INT(score_of("{\"justification\":\"Educational score: 1 + 1 + 1 = 3\",\"score\":1}", 1, why), -1);
    CHECK_CONTAINS(why, "contradictory scores: JSON score 1, justification says 3");
    CHECK_EQ_INT(score_of("{\"justification\":\"x\",\"sco", 1, why), -1);
    /* found by tests/fuzz/fuzz_llm.c: a whole number beyond long long was cast (UB) */
    CHECK_EQ_INT(score_of("{\"justification\":\"x\",\"score\":44444444444444444444444444444444444444444444}", 1, why), -1);
    CHECK_CONTAINS(why, "out of range 0-5");
    CHECK_EQ_INT(score_of("{\"justification\":\"x\",\"score\":-1e300}", 1, why), -1);
    CHECK_CONTAINS(why, "out of range 0-5");
    CHECK_EQ_INT(score_of("{\"justification\":\"x\",\"score\":1e400}", 1, why), -1);
    /* a server that ignored response_format: the text line still counts */
    CHECK_EQ_INT(score_of("Fine.\nEducational score: 1", 1, why), 1);
    sbuf j;
    sb_init(&j);
    const char *s = "{\"justification\":\" tidy \",\"score\":5}";
    CHECK_EQ_INT(llm_parse_score(s, strlen(s), 1, &j, why, 256), 5);
    CHECK_EQ_STR(sb_cstr(&j), "tidy");
    sb_free(&j);
}

TEST(score_think_blocks)
{
    /* audit s37 #1: a reasoning model without a reasoning parser puts its
     * musing in content; the answer is what follows the last </think> */
    char why[256];
    CHECK_EQ_INT(score_of("<think>First guess: Educational score: 4. But wait, it is thin.</think>\n"
                          "Thin.\nEducational score: 2", 0, why), 2);
    /* a score only inside the block is no answer */
    CHECK_EQ_INT(score_of("<think>Educational score: 4</think>\nI cannot say.", 0, why), -1);
    CHECK_CONTAINS(why, "no 'Educational score");
    /* cut inside the block (finish_reason length): no answer, never the guess */
    CHECK_EQ_INT(score_of("<think>First guess: Educational score: 4. But wait", 0, why), -1);
    CHECK_CONTAINS(why, "inside a <think> block");
    CHECK_CONTAINS(why, "--max-tokens");
    /* Qwen3's template opens the block in the prompt: only its end is sent */
    CHECK_EQ_INT(score_of("Educational score: 5 maybe...\n</think>\n\nEducational score: 1", 0, why), 1);
    /* JSON mode: the block before the object */
    CHECK_EQ_INT(score_of("<think>Educational score: 4?</think>\n{\"justification\":\"ok\",\"score\":3}", 1, why), 3);
    CHECK_EQ_INT(score_of("<THINK>hm</THINK>Educational score: 3", 0, why), 3);
    size_t a, t0, t1;
    const char *s = "<think>abc</think>X";
    CHECK_EQ_INT(llm_split_think(s, strlen(s), &a, &t0, &t1), 1);
    CHECK_EQ_INT((int)a, 18);
    CHECK_EQ_INT((int)t0, 7);
    CHECK_EQ_INT((int)t1, 10);
    CHECK_EQ_INT(llm_split_think("plain", 5, &a, &t0, &t1), 0);
    CHECK_EQ_INT((int)a, 0);
    CHECK_EQ_INT(llm_split_think("<think>ab", 9, &a, &t0, &t1), 2);
    CHECK_EQ_INT((int)a, 9);
    CHECK_EQ_INT((int)t0, 7);
    /* audit s37b #2: a block counts only at the start of the reply; a
     * <think> or </think> mentioned in the text is text */
    CHECK_EQ_INT(score_of("The text explains the HTML <think> tag and how pages use it.\nEducational score: 3", 0,
                          why), 3);
    CHECK_EQ_INT(llm_split_think("a <think> tag", 13, &a, &t0, &t1), 0);
    CHECK_EQ_INT(score_of("{\"justification\":\"It shows <think>x</think> markup.\",\"score\":3}", 1, why), 3);
    sbuf jj;
    sb_init(&jj);
    const char *mention = "Good prose. It quotes a stray </think> tag verbatim.\nEducational score: 4";
    CHECK_EQ_INT(llm_parse_score(mention, strlen(mention), 0, &jj, why, sizeof why), 4);
    CHECK_EQ_STR(sb_cstr(&jj), "Good prose. It quotes a stray </think> tag verbatim.");
    CHECK_EQ_INT(llm_split_think(mention, strlen(mention), &a, &t0, &t1), 0);
    /* after a leading block, the first </think> closes it: the answer may
     * mention the tag */
    const char *m2 = "  <think>hm</think>\nIt quotes </think> once.\nEducational score: 2";
    CHECK_EQ_INT(llm_split_think(m2, strlen(m2), &a, &t0, &t1), 1);
    CHECK_EQ_INT((int)t0, 9);
    CHECK_EQ_INT((int)a, 19);
    sb_reset(&jj);
    CHECK_EQ_INT(llm_parse_score(m2, strlen(m2), 0, &jj, why, sizeof why), 2);
    CHECK_EQ_STR(sb_cstr(&jj), "It quotes </think> once.");
    sb_free(&jj);
    /* the reply holding only the block's end: its </think> on a line of its own */
    const char *m3 = "musing\n</think>\n\nEducational score: 1";
    CHECK_EQ_INT(llm_split_think(m3, strlen(m3), &a, &t0, &t1), 1);
    CHECK_EQ_INT((int)t0, 0);
    CHECK_EQ_INT((int)t1, 7);
}

TEST(score_misreads)
{
    /* audit s37 #8 */
    char why[256];
    sbuf j;
    sb_init(&j);
    const char *first = "Educational score: 3\n\nJustification: Clear and on topic.";
    CHECK_EQ_INT(llm_parse_score(first, strlen(first), 0, &j, why, 256), 3);
    CHECK_EQ_STR(sb_cstr(&j), "Clear and on topic.");
    sb_reset(&j);
    const char *first2 = "**Educational score: 2**\nThe text is thin.";
    CHECK_EQ_INT(llm_parse_score(first2, strlen(first2), 0, &j, why, 256), 2);
    CHECK_EQ_STR(sb_cstr(&j), "The text is thin.");
    sb_free(&j);
    CHECK_EQ_INT(score_of("Fine.\n\n**Educational score:**\n\n**3**", 0, why), 3);
    CHECK_EQ_INT(score_of("Fine.\nEducational score:\xc2\xa0" "4", 0, why), 4);
    CHECK_EQ_INT(score_of("Fine.\n**Educational score:**\n\n**\xc2\xa0" "2/5**", 0, why), 2);
    CHECK_EQ_INT(score_of("Fine.\nEducational score:\xe2\x80\xaf" "1 point", 0, why), 1);
    /* a list after the colon is no score */
    CHECK_EQ_INT(score_of("Educational score:\n\n1. Relevance: yes", 0, why), -1);
    CHECK_CONTAINS(why, "no number");
    /* audit s40: the template's "<total points>" copied with the number in it,
     * brackets and quotes that end the line; a fullwidth colon */
    CHECK_EQ_INT(score_of("Fine.\nEducational score: <3>", 0, why), 3);
    CHECK_EQ_INT(score_of("Fine.\nEducational score: **[3/5]**.", 0, why), 3);
    CHECK_EQ_INT(score_of("Fine.\nEducational score: ( 4 )", 0, why), 4);
    CHECK_EQ_INT(score_of("Fine.\nEducational score: \"2\"", 0, why), 2);
    CHECK_EQ_INT(score_of("Fine.\n**Educational score:**\n\n<1>", 0, why), 1);
    CHECK_EQ_INT(score_of("Fine.\nEducational score\xef\xbc\x9a" "3", 0, why), 3);
    CHECK_EQ_INT(score_of("Fine.\nEducational score: <7>", 0, why), -1);
    CHECK_CONTAINS(why, "out of range");
    CHECK_EQ_INT(score_of("Fine.\nEducational score: <3.5>", 0, why), -1);
    CHECK_CONTAINS(why, "not a whole number");
    /* a list, words after the closer, an unclosed or doubled bracket: no score */
    CHECK_EQ_INT(score_of("Educational score: (1) Relevance: yes (2) Coherence: yes", 0, why), -1);
    CHECK_EQ_INT(score_of("Educational score:\n\n(1) Relevance: yes", 0, why), -1);
    CHECK_EQ_INT(score_of("Educational score: [3] because it is clear", 0, why), -1);
    CHECK_EQ_INT(score_of("Educational score: (3", 0, why), -1);
    CHECK_EQ_INT(score_of("Educational score: (3) (4)", 0, why), -1);
    CHECK_EQ_INT(score_of("Educational score: <total points>", 0, why), -1);
}

static void key_of(int i, uint8_t k[32], char hex[65])
{
    memset(k, 0, 32);
    k[0] = (uint8_t)i;
    k[5] = (uint8_t)(i >> 8);
    static const char hx[] = "0123456789abcdef";
    for (int b = 0; b < 32; b++) {
        hex[2 * b] = hx[k[b] >> 4];
        hex[2 * b + 1] = hx[k[b] & 15];
    }
    hex[64] = 0;
}

static void put_rec(llm_cache *c, int i)
{
    uint8_t k[32];
    char hex[65], rec[200];
    key_of(i, k, hex);
    snprintf(rec, sizeof rec, "{\"key\":\"%s\",\"n\":%d}", hex, i);
    blalm_err e;
    llm_cache_put(c, k, rec, strlen(rec), &e);
}

TEST(cache_roundtrip_and_torn_tail)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/cache1", test_tmpdir());
    blalm_err e = {{0}};
    llm_cache *c = llm_cache_open(dir, &e);
    CHECK_MSG(c, "%s", e.msg);
    for (int i = 0; i < 3000; i++) {
        put_rec(c, i);
        if (i % 100 == 99) CHECK(llm_cache_sync(c, &e) == 0);
    }
    CHECK(llm_cache_sync(c, &e) == 0);
    CHECK_EQ_INT(llm_cache_records(c), 3000);
    uint8_t k[32];
    char hex[65];
    key_of(1234, k, hex);
    char *r = llm_cache_get(c, k, &e);
    CHECK(r && strstr(r, "\"n\":1234}"));
    free(r);
    key_of(4000, k, hex);
    CHECK(llm_cache_get(c, k, &e) == NULL && e.msg[0] == 0);
    llm_cache_close(c);

    /* a torn tail (killed mid-write) and a line with a bad checksum are ignored */
    char path[700];
    snprintf(path, sizeof path, "%s/score-cache.jsonl", dir);
    int fd = open(path, O_WRONLY | O_APPEND);
    CHECK(fd >= 0);
    const char *bad = "{\"crc32\":\"00000000\",\"rec\":{\"key\":\"0000000000000000000000000000000000000000000000000000000000000000\"}}\n";
    CHECK(write(fd, bad, strlen(bad)) == (ssize_t)strlen(bad));
    const char *torn = "{\"crc32\":\"12345678\",\"rec\":{\"key\":\"ab";
    CHECK(write(fd, torn, strlen(torn)) == (ssize_t)strlen(torn));
    close(fd);
    c = llm_cache_open(dir, &e);
    CHECK(c);
    CHECK_EQ_INT(llm_cache_records(c), 3000);
    CHECK_EQ_INT(llm_cache_bad_lines(c), 2);
    key_of(0, k, hex);
    r = llm_cache_get(c, k, &e);
    CHECK(r && strstr(r, "\"n\":0}"));
    free(r);
    /* appending after the torn tail starts a fresh line */
    put_rec(c, 5000);
    CHECK(llm_cache_sync(c, &e) == 0);
    llm_cache_close(c);
    c = llm_cache_open(dir, &e);
    CHECK(c);
    CHECK_EQ_INT(llm_cache_records(c), 3001);
    CHECK_EQ_INT(llm_cache_bad_lines(c), 2);
    key_of(5000, k, hex);
    r = llm_cache_get(c, k, &e);
    CHECK(r && strstr(r, "\"n\":5000}"));
    free(r);
    llm_cache_close(c);
}

/* A child flushes (write(2), no fdatasync yet) and dies by SIGKILL at once:
 * the records are in the page cache, so the next open finds them. */
TEST(cache_flush_survives_sigkill)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/cache3", test_tmpdir());
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        blalm_err ce;
        llm_cache *c = llm_cache_open(dir, &ce);
        if (!c) _exit(3);
        for (int i = 0; i < 50; i++) put_rec(c, i);
        uint64_t t;
        if (llm_cache_flush(c, &t, &ce) < 0 || t != 1) _exit(4);
        kill(getpid(), SIGKILL);
        _exit(5);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK_MSG(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child status %d", st);
    blalm_err e = {{0}};
    llm_cache *c = llm_cache_open(dir, &e);
    CHECK(c);
    CHECK_EQ_INT(llm_cache_records(c), 50);
    /* flush, then the sync thread catches up; sync waits for it */
    put_rec(c, 77);
    uint64_t t = 0, done = 0;
    CHECK(llm_cache_flush(c, &t, &e) == 0);
    CHECK(t == 1);
    CHECK(llm_cache_sync(c, &e) == 0);
    CHECK(llm_cache_synced(c, &done, &e) == 0);
    CHECK(done >= t);
    uint8_t k[32];
    char hex[65];
    key_of(77, k, hex);
    char *r = llm_cache_get(c, k, &e);
    CHECK(r && strstr(r, "\"n\":77}"));
    free(r);
    llm_cache_close(c);
}

TEST(cache_rejects_bad_records)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/cache2", test_tmpdir());
    blalm_err e;
    llm_cache *c = llm_cache_open(dir, &e);
    CHECK(c);
    uint8_t k[32] = {0};
    CHECK(llm_cache_put(c, k, "{\"a\":\n1}", 8, &e) < 0);
    CHECK(llm_cache_put(c, k, "[1]", 3, &e) < 0);
    llm_cache_close(c);
    snprintf(dir, sizeof dir, "/proc/blalm-no-such/cache");
    CHECK(llm_cache_open(dir, &e) == NULL);
    CHECK(e.msg[0] != 0);
}

TEST(redact)
{
    char out[100];
    llm_redact("key sk-123 and sk-123!", "sk-123", out, sizeof out);
    CHECK_EQ_STR(out, "key *** and ***!");
    llm_redact("nothing", NULL, out, sizeof out);
    CHECK_EQ_STR(out, "nothing");
    /* the key echoed masked, as OpenAI's 401 does: neither end survives */
    const char *key = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234";
    char big[300];
    llm_redact("Incorrect API key provided: sk-proj-********************1234. You can find your API key at "
               "https://platform.openai.com/account/api-keys.", key, big, sizeof big);
    CHECK_EQ_STR(big, "Incorrect API key provided: ***. You can find your API key at "
                      "https://platform.openai.com/account/api-keys.");
    llm_redact("{\"error\":{\"message\":\"bad key sk-pr*****1234\"}}", key, big, sizeof big);
    CHECK_EQ_STR(big, "{\"error\":{\"message\":\"bad key ***\"}}");
    llm_redact("key '****1234'", key, big, sizeof big);
    CHECK_EQ_STR(big, "key '***'");
    /* audit s37 #6: LiteLLM's and others' masks with dots, an ellipsis, x's */
    llm_redact("Authentication Error, Invalid proxy server token passed. Received API Key = sk-...1234, "
               "Key Hash (Token) =abc", key, big, sizeof big);
    CHECK_EQ_STR(big, "Authentication Error, Invalid proxy server token passed. Received API Key = ***, "
                      "Key Hash (Token) =abc");
    llm_redact("key sk-pro...1234 refused", key, big, sizeof big);
    CHECK_EQ_STR(big, "key *** refused");
    llm_redact("key xxxx\xe2\x80\xa6" "1234.", key, big, sizeof big);
    CHECK_EQ_STR(big, "key ***.");
    llm_redact("key sk-pr\xe2\x80\xa6" "1234 and xxxx1234", key, big, sizeof big);
    CHECK_EQ_STR(big, "key *** and ***");
    /* text with dots and x's stays */
    llm_redact("e.g. sk-proxy... wait, max 1234 x.y", key, big, sizeof big);
    CHECK_EQ_STR(big, "e.g. sk-proxy... wait, max 1234 x.y");
    /* masked words that are not the key's ends, and plain words, stay */
    llm_redact("a **bold** word, rate 5**2, sk-zz****9999 and 1234", key, big, sizeof big);
    CHECK_EQ_STR(big, "a **bold** word, rate 5**2, sk-zz****9999 and 1234");
    /* a message cut inside the key: its first part goes too */
    llm_redact("headers: Authorization=Bearer sk-proj-AbCdEf", key, big, sizeof big);
    CHECK_EQ_STR(big, "headers: Authorization=Bearer ***");
    /* cut inside the key by a quote of limited length, text after it */
    llm_redact("error: Bearer sk-proj-AbCdEfG (after 2 attempts)", key, big, sizeof big);
    CHECK_EQ_STR(big, "error: Bearer *** (after 2 attempts)");
    llm_redact("model sk-proj is fine", key, big, sizeof big);   /* under 8 characters, mid-text */
    CHECK_EQ_STR(big, "model sk-proj is fine");
    /* a short dummy key only as a whole word: blalm's own words stay readable */
    llm_redact("document o: POST /nope/chat/completions: bad key o.", "o", big, sizeof big);
    CHECK_EQ_STR(big, "document ***: POST /nope/chat/completions: bad key ***.");
    llm_redact("EMPTY key EMPTYx", "EMPTY", big, sizeof big);
    CHECK_EQ_STR(big, "*** key EMPTYx");
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(p);
}

int main(void)
{
    RUN(builtin_prompt_matches_file);
    RUN(template_file_errors);
    RUN(cut_on_code_points);
    RUN(request_body_and_key);
    RUN(response_shapes);
    RUN(response_huge_token_counts);
    RUN(response_content_kinds);
    RUN(score_lines);
    RUN(score_json);
    RUN(score_think_blocks);
    RUN(score_misreads);
    RUN(cache_roundtrip_and_torn_tail);
    RUN(cache_flush_survives_sigkill);
    RUN(cache_rejects_bad_records);
    RUN(redact);
    nftw(test_tmpdir(), rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return test_summary();
}
