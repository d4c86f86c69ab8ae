/* test_train.c - the training loop's pieces without a corpus: the data
 * order (a permutation per epoch from the seed, uniform), the config diff a
 * resume refuses, and the optimiser's parameter-group table (decay, Muon,
 * learning-rate multipliers, Moonshot scaling) observed on real steps; and
 * how train_run cuts a corpus into documents, splits and windows. */
#include "tests/unit/test.h"
#include "trainer/model.h"
#include "trainer/optim.h"
#include "trainer/train.h"
#include "trainer/tokshard.h"
#include "lib/zio.h"
#include "lib/fsutil.h"
#include "lib/utf8.h"

#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <errno.h>
#include <math.h>

static model_config tiny_config(void)
{
    blalm_err e;
    model_config c;
    cJSON *j = cJSON_Parse("{\"name\":\"t\",\"vocab_size\":29,\"dim\":16,\"layers\":2,\"heads\":2,"
                           "\"context\":16,\"mlp_hidden\":24,\"chunk\":4}");
    if (model_config_from_json(j, &c, "tiny", &e) < 0) model_config_defaults(&c);
    cJSON_Delete(j);
    return c;
}

static int is_permutation(const uint64_t *p, uint64_t n)
{
    char seen[1000] = {0};
    for (uint64_t i = 0; i < n; i++) {
        if (p[i] >= n || seen[p[i]]) return 0;
        seen[p[i]] = 1;
    }
    return 1;
}

TEST(window_order_is_a_seeded_permutation)
{
    uint64_t a[500], b[500], c[500];
    train_window_order(1234, 0, 500, a);
    train_window_order(1234, 0, 500, b);
    CHECK(is_permutation(a, 500));
    CHECK(!memcmp(a, b, sizeof a)); /* the seed and epoch decide it */
    train_window_order(1234, 1, 500, b);
    train_window_order(1235, 0, 500, c);
    CHECK(is_permutation(b, 500) && is_permutation(c, 500));
    int same_b = 0, same_c = 0, fixed = 0, adjacent = 0;
    for (int i = 0; i < 500; i++) {
        same_b += a[i] == b[i], same_c += a[i] == c[i], fixed += a[i] == (uint64_t)i;
        if (i && (a[i] == a[i - 1] + 1 || a[i] + 1 == a[i - 1])) adjacent++;
    }
    /* a random permutation agrees with another in ~1 place */
    CHECK_MSG(same_b < 10 && same_c < 10 && fixed < 10, "same %d %d, fixed %d", same_b, same_c, fixed);
    CHECK_MSG(adjacent < 12, "%d neighbouring windows side by side", adjacent);
    uint64_t one = 7;
    train_window_order(1, 0, 1, &one);
    CHECK_EQ_INT(one, 0);
    train_window_order(1, 0, 0, NULL); /* no windows: nothing to do */
}

/* All 24 orders of 4 windows come up equally often (chi-square, 23 degrees
 * of freedom: 60 is beyond the 99.99th percentile). */
TEST(window_order_is_uniform)
{
    int count[256] = {0};
    int draws = 24000;
    for (int s = 0; s < draws; s++) {
        uint64_t p[4];
        train_window_order((uint64_t)s * 7919u, (uint64_t)s % 3, 4, p);
        count[p[0] * 64 + p[1] * 16 + p[2] * 4 + p[3]]++;
    }
    double chi = 0, expect = draws / 24.0;
    int kinds = 0;
    for (int k = 0; k < 256; k++)
        if (count[k]) {
            kinds++;
            chi += (count[k] - expect) * (count[k] - expect) / expect;
        }
    CHECK_EQ_INT(kinds, 24);
    CHECK_MSG(chi < 60, "chi-square %g over 24 orders", chi);
}

TEST(resume_diff_names_the_field)
{
    model_config a = tiny_config(), b = a;
    char what[400];
    CHECK_EQ_INT(config_resume_diff(&a, &b, what, sizeof what), 0);
    /* cadences and the name may change */
    b.train.log_every = 7, b.train.eval_every = 3, b.train.eval_batches = 9, b.train.checkpoint_every = 2;
    snprintf(b.name, sizeof b.name, "renamed");
    CHECK_EQ_INT(config_resume_diff(&a, &b, what, sizeof what), 0);
    b = a;
    b.norm_eps = 1e-6;
    CHECK(config_resume_diff(&a, &b, what, sizeof what) == 1);
    CHECK_MSG(strstr(what, "norm_eps: 1.0000000000000001e-05 in the checkpoint, 9.9999999999999995e-07 now"), "%s",
              what);
    b = a;
    b.chunk = 8;
    CHECK(config_resume_diff(&a, &b, what, sizeof what) == 1 && strstr(what, "chunk: 4 in the checkpoint, 8 now"));
    b = a;
    b.train.muon_momentum = 0.9;
    CHECK(config_resume_diff(&a, &b, what, sizeof what) == 1);
    CHECK_MSG(!strncmp(what, "train.muon_momentum:", 20), "%s", what);
    b = a;
    snprintf(b.train.muon_scale, sizeof b.train.muon_scale, "moonshot");
    CHECK(config_resume_diff(&a, &b, what, sizeof what) == 1);
    CHECK_MSG(strstr(what, "train.muon_scale: \"shape\" in the checkpoint, \"moonshot\" now"), "%s", what);
    b = a;
    b.train.shuffle_seed = 99;
    CHECK(config_resume_diff(&a, &b, what, sizeof what) == 1 && strstr(what, "train.shuffle_seed"));
    b = a;
    b.tie_embeddings = 0;
    CHECK(config_resume_diff(&a, &b, what, sizeof what) == 1 && strstr(what, "tie_embeddings: true"));
}

TEST(train_config_fields)
{
    blalm_err e;
    model_config c;
    cJSON *j = cJSON_Parse("{\"train\":{\"seed\":5}}");
    CHECK(model_config_from_json(j, &c, "x.json", &e) == 0);
    cJSON_Delete(j);
    CHECK_EQ_INT(c.train.shuffle_seed, 5); /* follows the seed unless given */
    CHECK(!strcmp(c.train.shuffle, "windows") && !strcmp(c.train.muon_scale, "shape"));
    CHECK(c.train.muon_weight_decay == 0 && c.train.swa_lr_mult == 1);
    j = cJSON_Parse("{\"train\":{\"seed\":5,\"shuffle_seed\":9,\"shuffle\":\"none\",\"muon_scale\":\"moonshot\","
                    "\"muon_weight_decay\":0.1,\"swa_lr_mult\":0.5}}");
    CHECK(model_config_from_json(j, &c, "x.json", &e) == 0);
    cJSON_Delete(j);
    CHECK_EQ_INT(c.train.shuffle_seed, 9);
    CHECK(!strcmp(c.train.shuffle, "none") && !strcmp(c.train.muon_scale, "moonshot"));
    CHECK(c.train.muon_weight_decay == 0.1 && c.train.swa_lr_mult == 0.5);
    /* round trip through config.json */
    cJSON *out = model_config_to_json(&c);
    model_config d;
    CHECK(model_config_from_json(out, &d, "y.json", &e) == 0);
    cJSON_Delete(out);
    char what[400];
    CHECK_MSG(!config_resume_diff(&c, &d, what, sizeof what), "%s", what);
    static const char *const bad[][2] = {
        {"{\"train\":{\"muon_scale\":\"keller\"}}", "muon_scale"},
        {"{\"train\":{\"shuffle\":\"docs\"}}", "shuffle"},
        {"{\"train\":{\"muon_weight_decay\":-1}}", "muon_weight_decay"},
        {"{\"train\":{\"shuffle_seed\":-3}}", "shuffle_seed"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = cJSON_Parse(bad[i][0]);
        CHECK_MSG(model_config_from_json(j, &c, "x.json", &e) < 0, "%s accepted", bad[i][0]);
        cJSON_Delete(j);
        CHECK_MSG(strstr(e.msg, bad[i][1]) && strstr(e.msg, "x.json"), "\"%s\" lacks %s", e.msg, bad[i][1]);
    }
}

TEST(group_table)
{
    for (int g = 0; g < PG_COUNT; g++) CHECK(param_group_rule_of((param_group)g)->name);
    const param_group_rule *r;
    param_group adamw_no_decay[] = {PG_NORM, PG_GATE, PG_CONV, PG_HEDGEHOG, PG_ALPHA, PG_BIAS, PG_MEMORY};
    for (size_t i = 0; i < sizeof adamw_no_decay / sizeof *adamw_no_decay; i++) {
        r = param_group_rule_of(adamw_no_decay[i]);
        CHECK_MSG(!r->muon && !r->decay && r->lr_mult == LR_MULT_NONE, "%s", r->name);
    }
    r = param_group_rule_of(PG_MATRIX);
    CHECK(r->muon && r->decay && r->lr_mult == LR_MULT_NONE);
    r = param_group_rule_of(PG_EMBED);
    CHECK(!r->muon && r->decay);
    r = param_group_rule_of(PG_SWA);
    CHECK(r->muon && r->decay && r->lr_mult == LR_MULT_SWA && !strcmp(r->name, "swa"));
}

/* With zero gradients a step is pure decay: p' = (1 - lr*wd) p exactly,
 * where lr and wd are what the group's row asks for. */
TEST(group_decay_on_real_steps)
{
    blalm_err e;
    model_config c = tiny_config();
    c.train.lr_adamw = 0.01, c.train.lr_muon = 0.05;
    c.train.weight_decay = 0.3, c.train.muon_weight_decay = 0.7, c.train.swa_lr_mult = 2.0;
    for (int kind = 0; kind < 2; kind++) {
        model *m = model_create(&c, &e);
        CHECK_MSG(m, "%s", e.msg);
        model_init_weights(m, 3);
        optimizer *o = optim_create(m, kind ? OPT_MUON : OPT_ADAMW, &c.train);
        CHECK(o);
        int q = model_find_tensor(m, "layers.0.mixer.q.weight"), k = model_find_tensor(m, "layers.0.mixer.k.weight");
        int v = model_find_tensor(m, "layers.1.mlp.up.weight"), n1 = model_find_tensor(m, "layers.0.norm1.weight");
        int emb = model_find_tensor(m, "embed.weight");
        CHECK(q >= 0 && k >= 0 && v >= 0 && n1 >= 0 && emb >= 0);
        CHECK(optim_regroup(o, m, k, PG_SWA) == 0);  /* as the SWA branch's q would be */
        CHECK(optim_regroup(o, m, v, PG_CONV) == 0); /* a 2-D tensor that must not decay */
        size_t np = model_num_params(m);
        float *before = malloc(np * 4);
        memcpy(before, model_params(m), np * 4);
        model_zero_grad(m);
        optim_step(o, m, 0.5);
        const float *p = model_params(m);
        struct { int t; double lr, wd; int muon; } want[] = {
            {q, kind ? 0.05 : 0.01, kind ? 0.7 : 0.3, kind},
            {k, kind ? 0.1 : 0.02, kind ? 0.7 : 0.3, kind},
            {v, 0.01, 0, 0},
            {n1, 0.01, 0, 0},
            {emb, 0.01, 0.3, 0},
        };
        for (size_t w = 0; w < sizeof want / sizeof *want; w++) {
            const tensor_info *ti = model_tensor(m, want[w].t);
            optim_plan pl = optim_tensor_plan(o, m, want[w].t);
            CHECK_MSG(pl.muon == want[w].muon && fabs(pl.lr - want[w].lr) < 1e-12 && fabs(pl.decay - want[w].wd) < 1e-12,
                      "%s (%s): plan muon %d lr %g wd %g", ti->name, kind ? "muon" : "adamw", pl.muon, pl.lr, pl.decay);
            float keep = 1.0f - (float)(want[w].lr * 0.5) * (float)want[w].wd;
            size_t n = (size_t)ti->rows * (ti->cols ? ti->cols : 1);
            for (size_t x = 0; x < n; x++)
                CHECK_MSG(p[ti->offset + x] == keep * before[ti->offset + x], "%s (%s) [%zu]: %g, want %g", ti->name,
                          kind ? "muon" : "adamw", x, p[ti->offset + x], keep * before[ti->offset + x]);
        }
        free(before);
        optim_free(o);
        model_free(m);
    }
}

/* A gradient with a nan (a finite loss can have one) is no update: the
 * weights and the optimiser's state stay as they were (they all went nan,
 * and a run's last step saved them), for AdamW and Muon alike. */
TEST(nonfinite_gradient_is_no_update)
{
    blalm_err e;
    model_config c = tiny_config();
    for (int kind = 0; kind < 2; kind++) {
        model *m = model_create(&c, &e);
        CHECK_MSG(m, "%s", e.msg);
        model_init_weights(m, 3);
        optimizer *o = optim_create(m, kind ? OPT_MUON : OPT_ADAMW, &c.train);
        CHECK(o);
        size_t np = model_num_params(m);
        float *before = malloc(np * 4);
        memcpy(before, model_params(m), np * 4);
        float *g = model_grads(m);
        for (size_t x = 0; x < np; x++) g[x] = 0.01f;
        g[np / 2] = NAN;
        double mult = -1;
        double gn = train_update(m, o, &c.train, 0, 10, &mult);
        CHECK_MSG(!isfinite(gn), "norm %g", gn);
        CHECK_NEAR(mult, lr_schedule(&c.train, 0, 10), 1e-15);
        CHECK_MSG(!memcmp(before, model_params(m), np * 4), "%s: the weights changed", kind ? "muon" : "adamw");
        const float *st = optim_state(o);
        size_t bad = 0;
        for (size_t x = 0; x < optim_state_floats(o); x++) bad += st[x] != 0.0f;
        CHECK_MSG(!bad && *optim_step_count(o) == 0, "%s: %zu state floats moved, step %ld", kind ? "muon" : "adamw",
                  bad, *optim_step_count(o));
        free(before);
        optim_free(o);
        model_free(m);
    }
}

/* Moonshot's 0.2*sqrt(max(A, B)) against the shape scale sqrt(max(1, A/B)):
 * the same gradient gives the same orthogonalised direction, so the two
 * updates differ by exactly the ratio of the scales. */
TEST(muon_moonshot_scale)
{
    blalm_err e;
    model_config c = tiny_config();
    c.train.lr_muon = 0.01;
    model *m[2];
    optimizer *o[2];
    float *before = NULL;
    for (int i = 0; i < 2; i++) {
        snprintf(c.train.muon_scale, sizeof c.train.muon_scale, "%s", i ? "moonshot" : "shape");
        m[i] = model_create(&c, &e);
        CHECK_MSG(m[i], "%s", e.msg);
        model_init_weights(m[i], 3);
        o[i] = optim_create(m[i], OPT_MUON, &c.train);
        uint64_t s = 99;
        float *g = model_grads(m[i]);
        for (size_t x = 0; x < model_num_params(m[i]); x++) {
            s ^= s << 13, s ^= s >> 7, s ^= s << 17;
            g[x] = (float)((double)(s >> 11) / 9007199254740992.0 - 0.5);
        }
        if (!before) {
            before = malloc(model_num_params(m[i]) * 4);
            memcpy(before, model_params(m[i]), model_num_params(m[i]) * 4);
        }
        optim_step(o[i], m[i], 1.0);
    }
    const char *names[] = {"layers.0.mixer.q.weight", "layers.1.mlp.up.weight", "layers.1.mlp.down.weight"};
    for (int t = 0; t < 3; t++) {
        const tensor_info *ti = model_tensor(m[0], model_find_tensor(m[0], names[t]));
        double rows = ti->rows, cols = ti->cols;
        double want = 0.2 * sqrt(fmax(rows, cols)) / sqrt(fmax(1.0, rows / cols));
        double num = 0, den = 0;
        for (size_t x = 0; x < (size_t)ti->rows * ti->cols; x++) {
            double d0 = model_params(m[0])[ti->offset + x] - before[ti->offset + x];
            double d1 = model_params(m[1])[ti->offset + x] - before[ti->offset + x];
            num += d1 * d0, den += d0 * d0;
        }
        CHECK_MSG(den > 0 && fabs(num / den - want) < 1e-4 * want, "%s: ratio %g, want %g", names[t], num / den, want);
    }
    free(before);
    for (int i = 0; i < 2; i++) optim_free(o[i]), model_free(m[i]);
}

static int write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f);
}

/* What train_run reports through its progress callback. */
typedef struct steps_seen {
    uint64_t first_done, first_total, last_done, last_total;
    int calls, monotonic, phase_ok;
} steps_seen;

static void on_progress(void *arg, uint64_t done, uint64_t total, const char *what)
{
    steps_seen *s = arg;
    if (!s->calls) s->first_done = done, s->first_total = total;
    else if (done < s->last_done) s->monotonic = 0;
    if (strcmp(what, "train")) s->phase_ok = 0;
    s->last_done = done, s->last_total = total;
    s->calls++;
}

/* A small corpus (120 documents of 13 words, TMP/<tag>-corpus/train/x.train)
 * and a model config of the tiny shape with the given "train" member
 * (TMP/<tag>-model.json). 0, or -1. */
static int tiny_corpus_and_model(const char *tag, const char *train, char *corpus, char *cfgp, size_t cap)
{
    const char *t = test_tmpdir();
    char p[700];
    snprintf(corpus, cap, "%s/%s-corpus", t, tag);
    snprintf(p, sizeof p, "%s/train", corpus);
    if (mkdir(corpus, 0755) != 0 || mkdir(p, 0755) != 0) return -1;
    static char text[40000];
    size_t n = 0;
    const char *w[] = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "home"};
    for (int d = 0; d < 120; d++) {
        for (int i = 0; i < 12; i++) n += (size_t)snprintf(text + n, sizeof text - n, "%s ", w[(d * 7 + i * 3 + i * i) % 10]);
        n += (size_t)snprintf(text + n, sizeof text - n, "end.\n\n");
    }
    snprintf(p, sizeof p, "%s/train/x.train", corpus);
    if (write_text(p, text) != 0) return -1;
    snprintf(cfgp, cap, "%s/%s-model.json", t, tag);
    char cfg[600];
    snprintf(cfg, sizeof cfg, "{\"vocab_size\":300,\"dim\":16,\"layers\":1,\"heads\":2,\"context\":16,"
             "\"chunk\":4,\"train\":%s}", train);
    return write_text(cfgp, cfg);
}

/* train_run end to end on a small corpus: the checkpoint records the data
 * order's seed, train tokens and track; a resume over a checkpoint written
 * before the shuffle (no train_tokens) is refused with that reason. Progress
 * comes through the callback: (0, 4) when training starts, then each step. */
TEST(resume_refuses_pre_shuffle_checkpoint)
{
    char corpus[600], cfgp[600], run[600], ck[700];
    const char *t = test_tmpdir();
    CHECK(tiny_corpus_and_model("rs", "{\"batch_size\":2,\"warmup_steps\":1,\"shuffle_seed\":42,"
                                      "\"checkpoint_every\":2,\"eval_every\":0}", corpus, cfgp, sizeof corpus) == 0);
    snprintf(run, sizeof run, "%s/run", t);
    train_opts o = {0};
    o.corpus = corpus, o.model_cfg = cfgp, o.run = run, o.max_steps = 4, o.threads = 1;
    steps_seen seen = {.monotonic = 1, .phase_ok = 1};
    o.progress = on_progress, o.progress_arg = &seen;
    train_summary sum;
    blalm_err e;
    CHECK_MSG(train_run(&o, &sum, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(sum.steps, 4);
    CHECK_EQ_INT(seen.calls, 5);
    CHECK(seen.first_done == 0 && seen.first_total == 4 && seen.last_done == 4 && seen.last_total == 4);
    CHECK(seen.monotonic && seen.phase_ok);
    o.progress = NULL;
    snprintf(ck, sizeof ck, "%s/checkpoints/latest.bin", run);
    model_config c;
    ckpt_pos pos;
    optim_kind kind;
    CHECK_MSG(ckpt_read_meta(ck, &c, &pos, &kind, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(pos.rng, 42);
    CHECK_EQ_INT(c.train.shuffle_seed, 42);
    CHECK(pos.train_tokens > 16 && pos.track == TRACK_NONE && kind == OPT_ADAMW && pos.total_steps == 4);
    /* the same checkpoint as an older blalm wrote it */
    model *m = model_create(&c, &e);
    CHECK_MSG(m, "%s", e.msg);
    optimizer *opt = optim_create(m, kind, &c.train);
    CHECK_MSG(ckpt_load(ck, m, opt, NULL, NULL, &e) == 0, "%s", e.msg);
    pos.train_tokens = 0;
    CHECK_MSG(ckpt_save(ck, m, opt, kind, &pos, &e) == 0, "%s", e.msg);
    optim_free(opt);
    model_free(m);
    o.resume = 1, o.max_steps = 0;
    CHECK(train_run(&o, &sum, &e) < 0);
    CHECK_MSG(strstr(e.msg, "older blalm") && strstr(e.msg, "latest.bin"), "%s", e.msg);
}

/* How train cuts a corpus into documents and splits: documents come from
 * documents.jsonl.zst's byte ranges (one holding a blank line stays whole),
 * train files in name order whatever the index order, each closed by the
 * end-of-text token; dev documents go to the dev shard only; the train tokens
 * the checkpoint records are the joined train shard's, and the windows cut
 * from them are (tokens - 1) / seq_len. */
TEST(train_splits_documents)
{
    char corpus[600], p[700], cfgp[600], run[600];
    const char *t = test_tmpdir();
    snprintf(corpus, sizeof corpus, "%s/split-corpus", t);
    blalm_err e;
    static const char *const files[] = {"train/b.train", "train/a.train", "dev/a.dev"};
    /* per file: its documents (the first of b holds a blank line) */
    static const char *const docs[3][3] = {
        {"the cat sat on the mat and ran home.\n\nthe dog sat on a mat.", "a dog ran home and the cat sat.", NULL},
        {"home is where the cat and the dog sat on a mat.", "the mat ran.", "dog and cat and mat and home."},
        {"the dev cat sat.", "a dev dog ran home.", NULL},
    };
    snprintf(p, sizeof p, "%s/documents.jsonl.zst", corpus);
    CHECK(mkdir_parent(p, &e) == 0);
    zwriter *w = zw_open(p, 3, &e);
    CHECK_MSG(w, "%s", e.msg);
    uint64_t want_words[2][3] = {{0}};
    for (int f = 0; f < 3; f++) {
        static char body[4096];
        size_t at = 0;
        for (int d = 0; d < 3 && docs[f][d]; d++) {
            size_t n = strlen(docs[f][d]);
            char line[300];
            int k = snprintf(line, sizeof line, "{\"id\": \"%d-%d\", \"file\": \"%s\", \"offset\": %zu, "
                             "\"length\": %zu, \"words\": %llu}", f, d, files[f], at, n,
                             (unsigned long long)words_in(docs[f][d], n));
            CHECK(zw_line(w, line, (size_t)k, &e) == 0);
            if (f < 2) want_words[f][d] = words_in(docs[f][d], n);
            memcpy(body + at, docs[f][d], n);
            memcpy(body + at + n, "\n\n", 2);
            at += n + 2;
        }
        body[at] = 0;
        snprintf(p, sizeof p, "%s/%s", corpus, files[f]);
        CHECK(mkdir_parent(p, &e) == 0 && write_text(p, body) == 0);
    }
    CHECK_MSG(zw_commit(w, &e) == 0, "%s", e.msg);
    snprintf(cfgp, sizeof cfgp, "%s/split-model.json", t);
    CHECK(write_text(cfgp, "{\"vocab_size\":290,\"dim\":16,\"layers\":1,\"heads\":2,\"context\":8,\"chunk\":4,"
                           "\"train\":{\"batch_size\":2,\"seq_len\":8,\"warmup_steps\":1,\"eval_every\":0}}") == 0);
    snprintf(run, sizeof run, "%s/split-run", t);
    train_opts o = {0};
    o.corpus = corpus, o.model_cfg = cfgp, o.run = run, o.max_steps = 1, o.threads = 1;
    train_summary sum;
    CHECK_MSG(train_run(&o, &sum, &e) == 0, "%s", e.msg);
    tokshard tr, dv;
    snprintf(p, sizeof p, "%s/tokens/train", run);
    CHECK_MSG(tokshard_open(&tr, p, &e) == 0, "%s", e.msg);
    snprintf(p, sizeof p, "%s/tokens/dev", run);
    CHECK_MSG(tokshard_open(&dv, p, &e) == 0, "%s", e.msg);
    uint64_t n_tr = tr.n_docs, n_dv = dv.n_docs, tr_tokens = tr.n_tokens;
    /* a.train's three documents, then b.train's two */
    uint64_t want[5] = {want_words[1][0], want_words[1][1], want_words[1][2], want_words[0][0], want_words[0][1]};
    int order_ok = n_tr == 5;
    for (uint64_t d = 0; order_ok && d < 5; d++) order_ok = tr.docs[d].words == want[d];
    int eot_ok = tokshard_verify(&tr, &e) == 0 && tokshard_verify(&dv, &e) == 0;
    tokshard_close(&tr);
    tokshard_close(&dv);
    CHECK_EQ_INT(n_tr, 5);
    CHECK_EQ_INT(n_dv, 2);
    CHECK_MSG(order_ok, "train documents out of order or cut");
    CHECK(eot_ok);
    CHECK_EQ_INT(want[3], 15); /* the blank-line document counted whole (9 + 6 words) */
    char ck[700];
    snprintf(ck, sizeof ck, "%s/checkpoints/latest.bin", run);
    ckpt_pos pos;
    CHECK_MSG(ckpt_read_meta(ck, NULL, &pos, NULL, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(pos.train_tokens, tr_tokens);
}

/* Sleeps once, after the first step: that step's log interval is slow and
 * the last one is not. The progress callback runs inside the span the
 * summary times, so the pause counts. A signal cuts nanosleep short: it
 * sleeps on for what is left. */
static void slow_first_step(void *arg, uint64_t done, uint64_t total, const char *what)
{
    (void)arg, (void)total, (void)what;
    struct timespec left = {0, 300000000L};
    if (done == 1)
        while (nanosleep(&left, &left) < 0 && errno == EINTR) {}
}

/* The summary's tok/s is the mean over the steps this call ran, not the last
 * logged interval's: 4 steps of 2 x 16 tokens, logged every 2, the first
 * followed by a 0.3 s pause, are at most 128 / 0.3 tokens per second (the last
 * interval alone, steps 3 and 4 of a tiny model, ran thousands). */
TEST(summary_tok_per_s_is_the_calls_mean)
{
    char corpus[600], cfgp[600], run[600];
    CHECK(tiny_corpus_and_model("tps", "{\"batch_size\":2,\"warmup_steps\":1,\"log_every\":2,"
                                       "\"checkpoint_every\":0,\"eval_every\":0}", corpus, cfgp, sizeof corpus) == 0);
    snprintf(run, sizeof run, "%s/tps-run", test_tmpdir());
    train_opts o = {0};
    o.corpus = corpus, o.model_cfg = cfgp, o.run = run, o.max_steps = 4, o.threads = 1;
    o.progress = slow_first_step;
    train_summary sum;
    blalm_err e;
    CHECK_MSG(train_run(&o, &sum, &e) == 0, "%s", e.msg);
    CHECK_EQ_INT(sum.steps, 4);
    CHECK_MSG(isfinite(sum.tok_per_s) && sum.tok_per_s > 0 && sum.tok_per_s <= 128 / 0.3,
              "tok/s %g: not the mean over the 4 steps (at most %g)", sum.tok_per_s, 128 / 0.3);
    /* and over the same time as train_seconds, whatever the load: the 128
     * tokens of a first call */
    CHECK_MSG(fabs(sum.tok_per_s * sum.train_seconds - 128) < 1e-6 * 128, "tok/s %g x %g s is not 128 tokens",
              sum.tok_per_s, sum.train_seconds);
}

int main(void)
{
    model_set_threads(1);
    RUN(window_order_is_a_seeded_permutation);
    RUN(window_order_is_uniform);
    RUN(resume_diff_names_the_field);
    RUN(train_config_fields);
    RUN(group_table);
    RUN(group_decay_on_real_steps);
    RUN(nonfinite_gradient_is_no_update);
    RUN(muon_moonshot_scale);
    RUN(resume_refuses_pre_shuffle_checkpoint);
    RUN(train_splits_documents);
    RUN(summary_tok_per_s_is_the_calls_mean);
    return test_summary();
}
