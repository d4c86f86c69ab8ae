/* test_run_config.c - `blalm run`'s config (pipeline/run.h): what parses,
 * and that every bad key or value is refused naming the file and its path. */
#include "tests/unit/test.h"

#include "filters/tag.h"
#include "pipeline/run.h"
#include "scorer/distill.h"

#define CORPORA "\"corpora\": {\"corpora\": [{\"name\": \"strict-small\", \"budget\": 1000}]}"
#define MODEL "\"model\": \"m.json\""
#define SRC "\"sources\": [{\"name\": \"web\", \"files\": \"docs\"}]"

static run_config *parse(const char *text, blalm_err *e)
{
    return run_config_parse(text, strlen(text), "demo.json", "/cfg", e);
}

/* The error for text, which must not parse. */
static const char *refused(const char *text)
{
    static blalm_err e;
    memset(&e, 0, sizeof e);
    run_config *c = parse(text, &e);
    if (c) {
        run_config_free(c);
        return "(parsed)";
    }
    return e.msg;
}

TEST(minimal_config_and_defaults)
{
    blalm_err e = {{0}};
    run_config *c = parse("{" SRC ", " CORPORA ", " MODEL "}", &e);
    CHECK_MSG(c != NULL, "%s", e.msg);
    CHECK_EQ_INT(c->nsources, 1);
    CHECK_EQ_STR(c->sources[0].files, "/cfg/docs");        /* relative to the config's folder */
    CHECK_EQ_STR(c->model_cfg, "/cfg/m.json");
    CHECK_EQ_INT(c->taggers, TAG_ALL);
    CHECK_EQ_INT(c->score, 0);
    CHECK_EQ_INT(c->eval, 0);
    CHECK_EQ_INT(c->report, 1);
    CHECK_EQ_INT(c->ncorpora, 1);
    CHECK_EQ_STR(c->corpus_names[0], "strict-small");
    CHECK_EQ_STR(c->corpus_tracks[0], "strict-small");     /* a track by its name */
    CHECK_EQ_STR(c->train_corpus, "strict-small");
    CHECK_EQ_INT(c->dedup.bands, 14);
    run_config_free(c);
}

TEST(full_config)
{
    blalm_err e = {{0}};
    const char *t =
        "{\"work\": \"/w\", \"sources\": [{\"name\": \"fw\", \"hub\": {\"repo\": \"HuggingFaceFW/fineweb-edu\","
        " \"path\": \"sample/10BT\", \"include\": [\"*.parquet\"], \"max_files\": 2}, \"max_words\": 5000}],"
        " \"tag\": {\"taggers\": [\"gopher\", \"c4\"], \"gopher_quality\": {\"min_doc_words\": 40}},"
        " \"dedup\": {\"bands\": 10, \"rows\": 4, \"threads\": 2},"
        " \"score\": {\"model\": \"m\", \"where\": \"gopher_quality.pass && dedup.keep\", \"max_requests\": 10,"
        " \"max_prompt_tokens\": 1000000, \"concurrency\": 4},"
        " \"corpora\": {\"corpora\": [{\"name\": \"strict\", \"budget\": 100000000}, {\"name\": \"strict-small\","
        " \"budget\": 10000000, \"subset_of\": \"strict\"}], \"rules\": [\"edu_llm.score >= 3\"]},"
        " \"tokenizer\": {\"vocab_size\": 16384}, \"model\": \"/abs/model.json\","
        " \"train\": {\"corpus\": \"strict\", \"max_steps\": 10, \"optimizer\": \"muon\", \"track\": \"strict\"},"
        " \"eval\": {\"data\": \"eval\", \"tasks\": \"blimp\", \"fast\": false, \"required\": true}, \"report\": false}";
    run_config *c = parse(t, &e);
    CHECK_MSG(c != NULL, "%s", e.msg);
    CHECK_EQ_STR(c->work, "/w");
    CHECK_EQ_STR(c->sources[0].repo, "HuggingFaceFW/fineweb-edu");
    CHECK_EQ_STR(c->sources[0].revision, "main");
    CHECK_EQ_INT(c->sources[0].ninclude, 1);
    CHECK_EQ_INT((int)c->sources[0].max_files, 2);
    CHECK_EQ_INT((int)c->sources[0].max_words, 5000);
    CHECK_EQ_INT(c->taggers, TAG_GOPHER | TAG_C4);
    CHECK_CONTAINS(c->tag_json, "min_doc_words");
    CHECK_EQ_INT(c->dedup.bands, 10);
    CHECK_EQ_INT(c->dedup_threads, 2);
    CHECK_EQ_INT(c->score, 1);
    CHECK_EQ_INT(c->has_max_requests, 1);
    CHECK_EQ_INT((int)c->max_requests, 10);
    CHECK_EQ_INT(c->ncorpora, 2);
    CHECK_EQ_INT((int)c->vocab_size, 16384);
    CHECK_EQ_STR(c->model_cfg, "/abs/model.json");
    CHECK_EQ_STR(c->train_corpus, "strict");
    CHECK_EQ_INT((int)c->max_steps, 10);
    CHECK_EQ_STR(c->train_track, "strict");
    CHECK_EQ_STR(c->eval_data, "/cfg/eval");
    CHECK_EQ_INT(c->eval_fast, 0);
    CHECK_EQ_INT(c->eval_required, 1);
    CHECK_EQ_INT(c->report, 0);
    run_config_free(c);
}

TEST(unknown_keys_name_their_path)
{
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"tarin\": {}}"), "demo.json: tarin: unknown key");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"train\": {\"max_stpes\": 3}}"),
                   "demo.json: train.max_stpes: unknown key");
    CHECK_CONTAINS(refused("{\"sources\": [{\"name\": \"w\", \"files\": \"d\", \"maxwords\": 1}], " CORPORA ", " MODEL "}"),
                   "demo.json: sources[0].maxwords: unknown key");
    CHECK_CONTAINS(refused("{\"sources\": [{\"name\": \"w\", \"hub\": {\"repo\": \"a/b\", \"pth\": \"x\"}}], " CORPORA ", " MODEL "}"),
                   "demo.json: sources[0].hub.pth: unknown key");
    /* the stages' own formats, checked by their loaders, with this file's path */
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"tag\": {\"gopher_quality\": {\"max_wordz\": 3}}}"),
                   "demo.json: tag.gopher_quality: unknown key \"max_wordz\"");
    CHECK_CONTAINS(refused("{" SRC ", " MODEL ", \"corpora\": {\"corpora\": [{\"name\": \"a\", \"budgett\": 1}]}}"),
                   "demo.json: corpora.corpora[0]: unknown key \"budgett\"");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"score\": {\"model\": \"m\", \"wehre\": \"x\"}}"),
                   "demo.json: score.wehre: unknown key");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"eval\": {\"data\": \"d\", \"task\": \"x\"}}"),
                   "demo.json: eval.task: unknown key");
}

TEST(wrong_types_and_values)
{
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"train\": {\"max_steps\": \"300\"}}"),
                   "demo.json: train.max_steps: expected a whole number");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"train\": {\"max_steps\": 1.5}}"),
                   "demo.json: train.max_steps: expected a whole number");
    /* 0 is not "one epoch" (leave the key out for that), as train's --max-steps 0 */
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"train\": {\"max_steps\": 0}}"),
                   "demo.json: train.max_steps: expected a whole number from 1");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"train\": {\"max_tokens\": 0}}"),
                   "demo.json: train.max_tokens: expected a whole number from 1");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"dedup\": {\"bands\": -1}}"),
                   "demo.json: dedup.bands: expected a whole number");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"eval\": {\"data\": \"d\", \"fast\": 1}}"),
                   "demo.json: eval.fast: expected true or false");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", \"model\": 3}"), "demo.json: model: expected a string");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"tag\": {\"taggers\": [\"gopher\", \"nope\"]}}"),
                   "demo.json: tag.taggers: \"nope\" is not a tagger");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"tag\": {\"c4\": {\"filter_no_terminal_punct\": 3}}}"),
                   "demo.json: tag.c4");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"score\": {\"where\": \"a.b\"}}"),
                   "demo.json: score.model: required");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"score\": {\"model\": \"m\", \"where\": \"a.b &&\"}}"),
                   "demo.json: score.where");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"train\": {\"optimizer\": \"sgd\"}}"),
                   "demo.json: train.optimizer: expected \"adamw\" or \"muon\"");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"train\": {\"corpus\": \"strict\"}}"),
                   "demo.json: train.corpus: \"strict\" is not one of the corpora");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"train\": {\"track\": \"loose\"}}"),
                   "demo.json: train.track: expected");
}

/* the tokenizer holds 256 byte tokens and 2 special ones: a smaller
 * vocabulary was accepted here and stopped the run after fetch, tag, dedup
 * and assemble */
/* "comment" is a note for people: a string (any other type was taken) */
TEST(score_reasoning_model_keys)
{
    /* audit s37 #2d: OpenAI's reasoning models through blalm run */
    blalm_err e = {{0}};
    const char *t = "{" SRC ", " CORPORA ", " MODEL ", \"score\": {\"model\": \"o4\", "
                    "\"max_tokens_param\": \"max_completion_tokens\", \"temperature\": \"none\"}}";
    run_config *c = parse(t, &e);
    CHECK_MSG(c != NULL, "%s", e.msg);
    if (c) {
        CHECK_EQ_INT(c->no_temperature, 1);
        CHECK_EQ_INT(c->max_completion_tokens, 1);
        run_config_free(c);
    }
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"score\": {\"model\": \"m\", \"temperature\": \"hot\"}}"),
                   "score.temperature");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"score\": {\"model\": \"m\", \"max_tokens_param\": \"x\"}}"),
                   "score.max_tokens_param");
}

TEST(comment_is_a_string)
{
    blalm_err e = {{0}};
    run_config *c = parse("{\"comment\": \"a note\", " SRC ", " CORPORA ", " MODEL "}", &e);
    CHECK_MSG(c != NULL, "%s", e.msg);
    run_config_free(c);
    CHECK_CONTAINS(refused("{\"comment\": 3, " SRC ", " CORPORA ", " MODEL "}"), "demo.json: comment: expected a string");
    CHECK_CONTAINS(refused("{\"comment\": [\"a\"], " SRC ", " CORPORA ", " MODEL "}"), "demo.json: comment: expected a string");
    CHECK_CONTAINS(refused("{\"comment\": null, " SRC ", " CORPORA ", " MODEL "}"), "demo.json: comment: expected a string");
}

/* dedup.threads takes what `blalm dedup --threads` and `dedup --config` take
 * (1..1024): a run config that `dedup --config` reads was refused by `run`
 * above 256 */
TEST(dedup_threads_as_the_stage_takes_them)
{
    blalm_err e = {{0}};
    run_config *c = parse("{" SRC ", " CORPORA ", " MODEL ", \"dedup\": {\"threads\": 1024}}", &e);
    CHECK_MSG(c != NULL, "%s", e.msg);
    if (c) CHECK_EQ_INT(c->dedup_threads, 1024);
    run_config_free(c);
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"dedup\": {\"threads\": 1025}}"),
                   "demo.json: dedup.threads: expected a whole number from 1 to 1024");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"dedup\": {\"threads\": 0}}"),
                   "demo.json: dedup.threads: expected a whole number from 1 to 1024");
}

TEST(tokenizer_vocab_holds_bytes_and_specials)
{
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"tokenizer\": {\"vocab_size\": 257}}"),
                   "demo.json: tokenizer.vocab_size: expected a whole number from 258 to 16777216");
    blalm_err e = {{0}};
    run_config *c = parse("{" SRC ", " CORPORA ", " MODEL ", \"tokenizer\": {\"vocab_size\": 258}}", &e);
    CHECK_MSG(c != NULL, "%s", e.msg);
    CHECK_EQ_INT((int)c->vocab_size, 258);
    run_config_free(c);
}

TEST(required_parts_and_sources)
{
    CHECK_CONTAINS(refused("{" CORPORA ", " MODEL "}"), "demo.json: sources: expected a non-empty array");
    CHECK_CONTAINS(refused("{" SRC ", " MODEL "}"), "demo.json: corpora: required");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA "}"), "demo.json: model: required");
    CHECK_CONTAINS(refused("{\"sources\": [{\"name\": \"w\"}], " CORPORA ", " MODEL "}"),
                   "demo.json: sources[0]: expected one of \"hub\"");
    CHECK_CONTAINS(refused("{\"sources\": [{\"name\": \"w\", \"files\": \"a\", \"hub\": {\"repo\": \"a/b\"}}], " CORPORA ", " MODEL "}"),
                   "demo.json: sources[0]: expected one of \"hub\"");
    CHECK_CONTAINS(refused("{\"sources\": [{\"name\": \"w\", \"files\": \"a\"}, {\"name\": \"w\", \"files\": \"b\"}], " CORPORA ", " MODEL "}"),
                   "demo.json: sources[1].name: \"w\" is also sources[0]'s name");
    CHECK_CONTAINS(refused("{\"sources\": [{\"name\": \"../x\", \"files\": \"a\"}], " CORPORA ", " MODEL "}"),
                   "demo.json: sources[0].name: expected a source name");
    CHECK_CONTAINS(refused("{\"sources\": [{\"name\": \"w\", \"hub\": {\"path\": \"x\"}}], " CORPORA ", " MODEL "}"),
                   "demo.json: sources[0].hub.repo: required");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", " SRC "}"), "duplicate key \"sources\"");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL),  "demo.json:1:");
}

TEST(distill_section)
{
    blalm_err e = {{0}};
    run_config *c = parse("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {}}", &e);
    CHECK_MSG(c != NULL, "%s", e.msg);
    CHECK_EQ_INT(c->distill, 1);
    CHECK_EQ_STR(c->distill_labels, "edu_llm.score");      /* the LLM's labels by default */
    CHECK(c->distill_field == NULL);
    CHECK_EQ_INT(c->distill_folds, 5);
    CHECK_EQ_INT(c->distill_skip_unlabelled, 1);           /* a sample labels only part of the documents */
    CHECK_EQ_INT(c->distill_kind, DISTILL_AUTO);
    CHECK_EQ_INT(c->distill_attrs, DISTILL_ATTRS_AUTO);
    CHECK(c->distill_embeddings == NULL);
    run_config_free(c);
    c = parse("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {\"label_field\": \"int_score\", \"model_type\": "
              "\"ridge\", \"folds\": 3, \"seed\": 7, \"max_chars\": 3000, \"attr_features\": \"none\", "
              "\"embeddings\": \"v.txt\", \"emb_words\": 5000, \"emb_weight\": 0.5, \"skip_unlabelled\": false}}", &e);
    CHECK_MSG(c != NULL, "%s", e.msg);
    CHECK(c->distill_labels == NULL);
    CHECK_EQ_STR(c->distill_field, "int_score");
    CHECK_EQ_INT(c->distill_kind, DISTILL_RIDGE);
    CHECK_EQ_INT(c->distill_folds, 3);
    CHECK_EQ_INT((int)c->distill_seed, 7);
    CHECK_EQ_INT((int)c->distill_max_chars, 3000);
    CHECK_EQ_INT(c->distill_attrs, DISTILL_ATTRS_NONE);
    CHECK_EQ_STR(c->distill_embeddings, "/cfg/v.txt");     /* relative to the config's folder */
    CHECK_EQ_INT((int)c->distill_emb_words, 5000);
    CHECK(c->distill_emb_weight == 0.5);
    CHECK_EQ_INT(c->distill_skip_unlabelled, 0);
    CHECK_CONTAINS(c->distill_json, "\"folds\":3");        /* the section is a setting of the model's marker */
    run_config_free(c);
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {\"folds\": 1}}"),
                   "demo.json: distill.folds: expected a whole number from 2 to 100");
    /* as distill train --folds (it was 2..20 here) */
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {\"folds\": 101}}"),
                   "demo.json: distill.folds: expected a whole number from 2 to 100");
    c = parse("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {\"folds\": 100}}", &e);
    CHECK_MSG(c != NULL, "%s", e.msg);
    CHECK_EQ_INT(c->distill_folds, 100);
    run_config_free(c);
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {\"lables\": \"a.b\"}}"),
                   "demo.json: distill.lables: unknown key");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {\"labels\": \"a.b\", \"label_field\": \"s\"}}"),
                   "demo.json: distill: give labels");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {\"labels\": \"edu_llm\"}}"),
                   "demo.json: distill.labels: expected SET.KEY");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {\"labels\": \"../x.score\"}}"),
                   "demo.json: distill.labels: expected SET.KEY");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {\"model_type\": \"svm\"}}"),
                   "demo.json: distill.model_type: expected auto, ridge, logistic or ensemble");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {\"attr_features\": \"some\"}}"),
                   "demo.json: distill.attr_features: expected auto, none or all");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {\"emb_weight\": 0.5}}"),
                   "demo.json: distill.emb_weight: needs distill.embeddings");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {\"embeddings\": \"v\", \"emb_weight\": 1}}"),
                   "demo.json: distill.emb_weight: expected a number between 0 and 1");
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"distill\": {\"skip_unlabelled\": 1}}"),
                   "demo.json: distill.skip_unlabelled: expected true or false");
}

TEST(tag_dictionaries_relative_to_the_config)
{
    blalm_err e = {{0}};
    run_config *c = parse("{" SRC ", " CORPORA ", " MODEL ", \"tag\": {\"readability\": {\"cmudict\": \"d/cmu.txt\","
                          " \"hyphen_dic\": \"/abs/hyph.dic\"}}}", &e);
    CHECK_MSG(c != NULL, "%s", e.msg);
    CHECK_EQ_STR(c->tag_cmudict, "/cfg/d/cmu.txt");
    CHECK_EQ_STR(c->tag_hyphen_dic, "/abs/hyph.dic");
    CHECK_CONTAINS(c->tag_json, "\"cmudict\":\"/cfg/d/cmu.txt\"");   /* what tag reads */
    run_config_free(c);
    c = parse("{" SRC ", " CORPORA ", " MODEL ", \"tag\": {\"readability\": {\"cmudict\": \"none\"}}}", &e);
    CHECK_MSG(c != NULL, "%s", e.msg);
    CHECK_EQ_STR(c->tag_cmudict, "none");   /* a word, not a file */
    CHECK(c->tag_hyphen_dic == NULL);
    run_config_free(c);
}

TEST(syntax_errors_say_where_and_what_was_expected)
{
    CHECK_EQ_STR(refused("{\"sources\": [],\n \"train\": {\"max_steps\": 10\n \"threads\": 1}}"),
                 "demo.json:3:2: invalid JSON: expected ',' or '}' after the value of \"max_steps\", found '\"'");
    CHECK_EQ_STR(refused("{\"train\": {\"max_steps\": 10,}}"),
                 "demo.json:1:28: invalid JSON: expected a key in double quotes after ',' (JSON has no ',' before "
                 "'}'), found '}'");
    CHECK_EQ_STR(refused("{\"report\" false}"), "demo.json:1:11: invalid JSON: expected ':' after the key "
                 "\"report\", found 'f'");
    CHECK_EQ_STR(refused("{\"sources\": [1 2]}"), "demo.json:1:16: invalid JSON: expected ',' or ']' after an "
                 "element of the array, found '2'");
    CHECK_EQ_STR(refused("{\"work\": }"), "demo.json:1:10: invalid JSON: expected the value of \"work\" (a "
                 "string in double quotes, a number, an object, an array, true, false or null), found '}'");
    CHECK_EQ_STR(refused("{\"work\": \"w"), "demo.json:1:10: invalid JSON: a string that is never closed (no "
                 "'\"' after it)");
    CHECK_EQ_STR(refused(""), "demo.json:1:1: invalid JSON: expected a JSON value, found the end of the text");
    CHECK_EQ_STR(refused("{}\n}"), "demo.json:2:1: unexpected text after the JSON value (one value per file)");
    CHECK_EQ_STR(refused("[1]"), "demo.json: (top level): expected a JSON object");
}

/* What cJSON takes but JSON (RFC 8259) is not: refused with its line and
 * column (before, "max_steps": 03 trained 3 steps, "3." 3, and a raw tab or
 * invalid UTF-8 in a string went through), and what cJSON refuses without
 * the first scan finding why ("1e", "\\x", a lone surrogate) says it too
 * (it was a bare "invalid JSON"). A byte order mark is still let through. */
TEST(what_json_is_not_is_refused)
{
    CHECK_EQ_STR(refused("{\"train\": {\"max_steps\": 03}}"),
                 "demo.json:1:25: invalid JSON: a number with a leading zero (JSON has none: 3, not 03)");
    CHECK_EQ_STR(refused("{\"train\":\n {\"max_steps\": -00}}"),
                 "demo.json:2:17: invalid JSON: a number with a leading zero (JSON has none: 3, not 03)");
    CHECK_EQ_STR(refused("{\"train\": {\"max_steps\": 3.}}"),
                 "demo.json:1:27: invalid JSON: expected a digit after '.', found '}'");
    CHECK_EQ_STR(refused("{\"train\": {\"max_steps\": 1e}}"),
                 "demo.json:1:27: invalid JSON: expected a digit in the exponent, found '}'");
    CHECK_EQ_STR(refused("{\"comment\": \"a\tb\"}"),
                 "demo.json:1:15: invalid JSON: a raw control character (byte 0x09) in a string; JSON writes it "
                 "escaped (\\t, \\n, \\u001f)");
    /* bytes that are not UTF-8 in a string are let through, as cJSON took
     * them (blalm's own records hold paths that need not be UTF-8); a
     * leading zero after them is still found, and outside a string they are
     * a syntax error */
    CHECK_EQ_STR(refused("{\"comment\": \"\xff\xc3\", \"n\": 03}"),
                 "demo.json:1:24: invalid JSON: a number with a leading zero (JSON has none: 3, not 03)");
    CHECK_CONTAINS(refused("{\"comment\": \xff}"), "demo.json:1:13: invalid JSON");
    /* columns count from after a byte order mark, as an editor shows them */
    CHECK_EQ_STR(refused("\xEF\xBB\xBF{\"n\": 03}"),
                 "demo.json:1:7: invalid JSON: a number with a leading zero (JSON has none: 3, not 03)");
    CHECK_EQ_STR(refused("{\"comment\": \"\\x\"}"),
                 "demo.json:1:14: invalid JSON: expected a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t "
                 "\\uXXXX), found '\\'");
    blalm_err e = {0};
    const char *bom = "\xEF\xBB\xBF{" SRC ", " CORPORA ", " MODEL ", \"comment\": \"\\u00e9 \xC3\xA9 0.5e1 -0\"}";
    run_config *c = parse(bom, &e);
    CHECK(c != NULL);
    if (!c) fprintf(stderr, "%s\n", e.msg);
    run_config_free(c);
}

/* an empty string is no path: it was taken as one ("model: : No such file
 * or directory", an empty "work" as none, "eval.data" as no data) */
TEST(empty_path_refused)
{
    CHECK_EQ_STR(refused("{" SRC ", " CORPORA ", \"model\": \"\"}"),
                 "demo.json: model: expected a path, found an empty string");
    CHECK_EQ_STR(refused("{\"work\": \"\", " SRC ", " CORPORA ", " MODEL "}"),
                 "demo.json: work: expected a path, found an empty string");
    CHECK_EQ_STR(refused("{\"sources\": [{\"name\": \"web\", \"files\": \"\"}], " CORPORA ", " MODEL "}"),
                 "demo.json: sources[0].files: expected a path, found an empty string");
    CHECK_EQ_STR(refused("{" SRC ", " CORPORA ", " MODEL ", \"eval\": {\"data\": \"\"}}"),
                 "demo.json: eval.data: expected a path, found an empty string");
}

TEST(stage_names)
{
    CHECK_EQ_INT(run_stage_parse("distill"), RUN_DISTILL);
    CHECK_EQ_INT(RUN_DISTILL, RUN_SCORE + 1);              /* learns score's labels, before assemble reads edu_local */
    CHECK_EQ_INT(RUN_ASSEMBLE, RUN_DISTILL + 1);
    CHECK_EQ_INT(run_stage_parse("fetch"), RUN_FETCH);
    CHECK_EQ_INT(run_stage_parse("tokenizer"), RUN_TOKENIZER);
    CHECK_EQ_INT(run_stage_parse("report"), RUN_REPORT);
    CHECK_EQ_INT(run_stage_parse("trian"), -1);
    for (int s = 0; s < RUN_NSTAGES; s++) CHECK_EQ_INT(run_stage_parse(run_stage_name(s)), s);
}

/* a source name that is not UTF-8 became a WORK/docs folder, its bytes
 * ids, "source" and JSON text: refused with the config, before fetch */
TEST(source_name_must_be_utf8)
{
    CHECK_CONTAINS(refused("{\"sources\": [{\"name\": \"w\xe9" "b\", \"files\": \"docs\"}], " CORPORA ", " MODEL "}"),
                   "demo.json: sources[0].name: not valid UTF-8 (byte \\xe9 at offset 1)");
    blalm_err e = {{0}};
    run_config *c = parse("{\"sources\": [{\"name\": \"w\xc3\xa9" "b\", \"files\": \"docs\"}], " CORPORA ", " MODEL "}", &e);
    CHECK_MSG(c != NULL, "%s", e.msg);
    if (c) run_config_free(c);
}

/* "blimp,blimp" was kept as written: eval's completion key holds the list,
 * so a config that changed no task redid the eval stage */
TEST(eval_tasks_are_one_spelling)
{
    static const struct { const char *given, *kept; } cases[] = {
        {"blimp,blimp", "blimp"},
        {"ewok,blimp", "blimp,ewok"},
        {"reading,ewok,blimp,ewok", "blimp,ewok,reading"},
        {"blimp,supplement", "blimp,supplement"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char t[512];
        snprintf(t, sizeof t, "{" SRC ", " CORPORA ", " MODEL ", \"eval\": {\"data\": \"d\", \"tasks\": \"%s\"}}",
                 cases[i].given);
        blalm_err e = {{0}};
        run_config *c = parse(t, &e);
        CHECK_MSG(c != NULL, "%s", e.msg);
        if (!c) continue;
        CHECK_EQ_STR(c->eval_tasks, cases[i].kept);
        run_config_free(c);
    }
    /* still checked first */
    CHECK_CONTAINS(refused("{" SRC ", " CORPORA ", " MODEL ", \"eval\": {\"data\": \"d\", \"tasks\": \"blimp,,x\"}}"),
                   "eval.tasks: an empty task name");
}

/* score.seed left out is blalm score's default, 0: the sample it draws does
 * not follow another setting (it was the last number read before it,
 * score.concurrency: a changed concurrency drew another sample and sent its
 * new documents to the endpoint; with neither, an uninitialised value) */
TEST(score_seed_default_is_zero)
{
    static const char *const scores[] = {
        "{\"model\": \"m\", \"sample\": 10, \"concurrency\": 3}",
        "{\"model\": \"m\", \"sample\": 10, \"concurrency\": 8, \"max_tokens\": 77}",
        "{\"model\": \"m\", \"sample\": 10, \"max_tokens\": 99}",
        "{\"model\": \"m\", \"sample\": 10}",
    };
    for (size_t i = 0; i < sizeof scores / sizeof *scores; i++) {
        char t[600];
        snprintf(t, sizeof t, "{" SRC ", " CORPORA ", " MODEL ", \"score\": %s}", scores[i]);
        blalm_err e = {{0}};
        run_config *c = parse(t, &e);
        CHECK_MSG(c != NULL, "%s", e.msg);
        if (!c) continue;
        CHECK_EQ_INT(c->has_seed, 0);
        CHECK_MSG(c->seed == 0, "%s: seed %lld", scores[i], c->seed);
        run_config_free(c);
    }
    blalm_err e = {{0}};
    run_config *c = parse("{" SRC ", " CORPORA ", " MODEL ", \"score\": {\"model\": \"m\", \"concurrency\": 3, "
                          "\"seed\": 12}}", &e);
    CHECK_MSG(c != NULL, "%s", e.msg);
    if (c) {
        CHECK_EQ_INT(c->has_seed, 1);
        CHECK(c->seed == 12);
        CHECK_EQ_INT(c->concurrency, 3);
        run_config_free(c);
    }
}

int main(void)
{
    RUN(minimal_config_and_defaults);
    RUN(full_config);
    RUN(unknown_keys_name_their_path);
    RUN(wrong_types_and_values);
    RUN(dedup_threads_as_the_stage_takes_them);
    RUN(tokenizer_vocab_holds_bytes_and_specials);
    RUN(comment_is_a_string);
    RUN(score_reasoning_model_keys);
    RUN(required_parts_and_sources);
    RUN(distill_section);
    RUN(tag_dictionaries_relative_to_the_config);
    RUN(syntax_errors_say_where_and_what_was_expected);
    RUN(what_json_is_not_is_refused);
    RUN(empty_path_refused);
    RUN(stage_names);
    RUN(eval_tasks_are_one_spelling);
    RUN(source_name_must_be_utf8);
    RUN(score_seed_default_is_zero);
    return test_summary();
}
