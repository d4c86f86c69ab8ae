/* Completion markers (lib/marker.h) and the shard scheme (lib/shard.h). */
#include <unistd.h>

#include "lib/fsutil.h"
#include "lib/marker.h"
#include "lib/shard.h"
#include "test.h"

static void write_text(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");
    fputs(s, f);
    fclose(f);
}

static marker_key *key_for(const char *input, const char *minw)
{
    blalm_err e;
    marker_key *k = marker_key_new("tag");
    if (marker_key_file(k, "src/a.jsonl", input, &e) < 0) {
        marker_key_free(k);
        return NULL;
    }
    marker_key_setting(k, "min_words", minw);
    marker_key_settingf(k, "sets", "%s+%d", "gopher", 2);
    return k;
}

TEST(marker_absent_done_stale)
{
    char state[1024], in[1024], why[256];
    snprintf(state, sizeof state, "%s/state", test_tmpdir());
    snprintf(in, sizeof in, "%s/a.jsonl", test_tmpdir());
    write_text(in, "{\"text\":\"one\"}\n");
    blalm_err e;
    marker_key *k = key_for(in, "50");
    CHECK(k);
    CHECK_EQ_INT(marker_check(state, "tag", "src/a.jsonl", k, why, sizeof why, &e), MARKER_ABSENT);
    CHECK_EQ_INT(marker_commit(state, "tag", "src/a.jsonl", k, "{\"documents\":1}", &e), 0);
    CHECK_EQ_INT(marker_check(state, "tag", "src/a.jsonl", k, why, sizeof why, &e), MARKER_DONE);
    char *r = marker_result(state, "tag", "src/a.jsonl", &e);
    CHECK(r && strcmp(r, "{\"documents\":1}") == 0);
    free(r);
    marker_key_free(k);

    /* another setting: stale, named */
    k = key_for(in, "40");
    CHECK_EQ_INT(marker_check(state, "tag", "src/a.jsonl", k, why, sizeof why, &e), MARKER_STALE);
    CHECK_MSG(strstr(why, "setting min_words was 50, now 40"), "why: %s", why);
    marker_key_free(k);

    /* a long setting (a whole config) is shown around its first difference,
     * not cut at a fixed length before it (both sides used to read the same) */
    {
        char longv[600], longw[600], why2[512];
        memset(longv, 'x', 500), longv[500] = 0;
        memcpy(longw, longv, 501);
        memcpy(longv + 300, "\"rules\":[\"a\"]", 13);
        memcpy(longw + 300, "\"rules\":[\"b\"]", 13);
        marker_key *k1 = marker_key_new("tag"), *k2 = marker_key_new("tag");
        marker_key_setting(k1, "config", longv);
        marker_key_setting(k2, "config", longw);
        CHECK_EQ_INT(marker_commit(state, "tag", "long", k1, NULL, &e), 0);
        CHECK_EQ_INT(marker_check(state, "tag", "long", k2, why2, sizeof why2, &e), MARKER_STALE);
        CHECK_MSG(strstr(why2, "[\"a\"]") && strstr(why2, "[\"b\"]") && strstr(why2, "setting config was ..."),
                  "why: %s", why2);
        marker_key_free(k1), marker_key_free(k2);
    }

    /* same size, other bytes: stale although mtime could be equal */
    write_text(in, "{\"text\":\"two\"}\n");
    k = key_for(in, "50");
    CHECK_EQ_INT(marker_check(state, "tag", "src/a.jsonl", k, why, sizeof why, &e), MARKER_STALE);
    CHECK_MSG(strstr(why, "same size, other content"), "why: %s", why);
    marker_key_free(k);

    /* other size */
    write_text(in, "{\"text\":\"three\"}\n");
    k = key_for(in, "50");
    CHECK_EQ_INT(marker_check(state, "tag", "src/a.jsonl", k, why, sizeof why, &e), MARKER_STALE);
    CHECK_MSG(strstr(why, "input src/a.jsonl changed: 15 -> 17 bytes"), "why: %s", why);

    /* touched without change after a commit: still done */
    CHECK_EQ_INT(marker_commit(state, "tag", "src/a.jsonl", k, NULL, &e), 0);
    write_text(in, "{\"text\":\"three\"}\n");
    marker_key_free(k);
    k = key_for(in, "50");
    CHECK_EQ_INT(marker_check(state, "tag", "src/a.jsonl", k, why, sizeof why, &e), MARKER_DONE);

    /* a stale marker's why: a size that is not this whole number is the
     * change named (1e30 was cast to uint64_t, undefined; 17.5 was read
     * as 17, the same size) */
    {
        char mp2[2048];
        CHECK_EQ_INT(marker_path_of(state, "tag", "src/a.jsonl", mp2, sizeof mp2, &e), 0);
        static const char *sizes[] = {"1e30", "17.5", "-17", "18446744073709551616"};
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            CHECK_EQ_INT(marker_commit(state, "tag", "src/a.jsonl", k, NULL, &e), 0);
            char *text = NULL;
            size_t len = 0;
            CHECK(read_file(mp2, &text, &len, &e) == 0);
            char *at = text ? strstr(text, "\"size\":17,") : NULL;
            CHECK(at != NULL);
            if (!at) {
                free(text);
                break;
            }
            FILE *f = fopen(mp2, "w");
            fwrite(text, 1, (size_t)(at - text), f);
            fprintf(f, "\"size\":%s,", sizes[s]);
            fputs(at + strlen("\"size\":17,"), f);
            fclose(f);
            free(text);
            /* and another key, as a marker of other inputs has */
            CHECK(read_file(mp2, &text, &len, &e) == 0);
            at = text ? strstr(text, "\"key\":\"") : NULL;
            CHECK(at != NULL);
            if (!at) {
                free(text);
                break;
            }
            at[7] = at[7] == '0' ? '1' : '0';
            write_text(mp2, text);
            free(text);
            CHECK_MSG(marker_check(state, "tag", "src/a.jsonl", k, why, sizeof why, &e) == MARKER_STALE,
                      "size %s: not stale", sizes[s]);
            char want[100];
            snprintf(want, sizeof want, "input src/a.jsonl changed: %s -> 17 bytes",
                     s == 0 ? "1e+30" : s == 1 ? "17.5" : s == 2 ? "-17" : "1.8446744073709552e+19");
            CHECK_MSG(strstr(why, want), "why: %s (want %s)", why, want);
        }
        CHECK_EQ_INT(marker_commit(state, "tag", "src/a.jsonl", k, NULL, &e), 0);
        CHECK_EQ_INT(marker_check(state, "tag", "src/a.jsonl", k, why, sizeof why, &e), MARKER_DONE);
    }

    /* a damaged marker is stale, not an error and not done */
    char mp[2048];
    CHECK_EQ_INT(marker_path_of(state, "tag", "src/a.jsonl", mp, sizeof mp, &e), 0);
    write_text(mp, "{\"key\":");
    CHECK_EQ_INT(marker_check(state, "tag", "src/a.jsonl", k, why, sizeof why, &e), MARKER_STALE);
    CHECK_MSG(strstr(why, "unreadable marker"), "why: %s", why);
    CHECK_EQ_INT(marker_remove(state, "tag", "src/a.jsonl", &e), 0);
    CHECK_EQ_INT(marker_remove(state, "tag", "src/a.jsonl", &e), 0);
    CHECK_EQ_INT(marker_check(state, "tag", "src/a.jsonl", k, why, sizeof why, &e), MARKER_ABSENT);
    marker_key_free(k);
}

/* a marker without "result" is told from one that cannot be read by the
 * return value, not by the message's text (run.c's train_take_legacy
 * matched ': no "result"' in it) */
TEST(marker_result_none_told_apart)
{
    char state[1024], path[2048];
    snprintf(state, sizeof state, "%s/state-nr", test_tmpdir());
    blalm_err e;
    char *r = (char *)1;
    marker_key *k = marker_key_new("run");
    CHECK_EQ_INT(marker_result_get(state, "run", "u", &r, &e), -1);   /* no marker */
    CHECK(r == NULL);
    CHECK_EQ_INT(marker_commit(state, "run", "u", k, "{\"a\":1}", &e), 0);
    CHECK_EQ_INT(marker_result_get(state, "run", "u", &r, &e), 0);
    CHECK(r && !strcmp(r, "{\"a\":1}"));
    free(r);
    CHECK_EQ_INT(marker_path_of(state, "run", "u", path, sizeof path, &e), 0);
    write_text(path, "{\"version\":1,\"stage\":\"run\",\"unit\":\"u\",\"key\":\"x\"}");
    CHECK_EQ_INT(marker_result_get(state, "run", "u", &r, &e), MARKER_NO_RESULT);
    CHECK(r == NULL);
    CHECK_MSG(strstr(e.msg, ": no \"result\""), "msg: %s", e.msg);
    CHECK(marker_result(state, "run", "u", &e) == NULL);
    write_text(path, "{\"version\":1,");   /* cut short: a read error, not "no result" */
    CHECK_EQ_INT(marker_result_get(state, "run", "u", &r, &e), -1);
    CHECK_MSG(strstr(e.msg, "not JSON"), "msg: %s", e.msg);
    CHECK_EQ_INT(marker_result_get(state, "run", "../x", &r, &e), -1);   /* a unit not allowed */
    marker_key_free(k);
}

TEST(marker_key_is_unambiguous)
{
    /* name/value boundaries are length-prefixed: ("ab","c") != ("a","bc") */
    marker_key *a = marker_key_new("s"), *b = marker_key_new("s");
    marker_key_setting(a, "ab", "c");
    marker_key_setting(b, "a", "bc");
    char ha[65];
    snprintf(ha, sizeof ha, "%s", marker_key_hex(a));
    CHECK(strcmp(ha, marker_key_hex(b)) != 0);
    /* the stage is part of the key */
    marker_key *c = marker_key_new("t");
    marker_key_setting(c, "ab", "c");
    CHECK(strcmp(ha, marker_key_hex(c)) != 0);
    /* order matters, deterministically */
    marker_key *d = marker_key_new("s");
    marker_key_setting(d, "ab", "c");
    CHECK(strcmp(ha, marker_key_hex(d)) == 0);
    marker_key_free(a);
    marker_key_free(b);
    marker_key_free(c);
    marker_key_free(d);
}

TEST(marker_rejects_escaping_units)
{
    blalm_err e;
    marker_key *k = marker_key_new("tag");
    const char *bad[] = {"", "/etc/x", "../x", "a/../b", "a//b", "./a", "a/."};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(marker_commit(test_tmpdir(), "tag", bad[i], k, NULL, &e) < 0, "accepted '%s'",
                  bad[i]);
    CHECK(marker_commit(test_tmpdir(), "tag", "ok/..x/y", k, "not json", &e) < 0);
    CHECK(strstr(e.msg, "not one JSON value"));
    marker_key_free(k);
}

TEST(shard_parse_and_precedence)
{
    blalm_err e;
    shard_spec s;
    CHECK_EQ_INT(shard_parse("2/5", &s, &e), 0);
    CHECK(s.index == 2 && s.count == 5 && strcmp(s.origin, "flag") == 0);
    const char *bad[] = {"5/5", "-1/2", "1/0", "1", "/2", "1/", "a/2", "1/2x", "1/1000001", "",
                         " 1/2", "+1/2", "1/ 2", "1/+2", "1/\n2"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        CHECK_MSG(shard_parse(bad[i], &s, &e) < 0, "accepted '%s'", bad[i]);
    CHECK(strstr(e.msg, "expected I/N"));

    shard_env env = {0};
    CHECK_EQ_INT(shard_resolve(NULL, &env, &s, &e), 0);
    CHECK(s.index == 0 && s.count == 1 && strcmp(s.origin, "none") == 0);
    env.ompi_rank = "1";
    env.ompi_size = "3";
    CHECK_EQ_INT(shard_resolve(NULL, &env, &s, &e), 0);
    CHECK(s.index == 1 && s.count == 3 && strcmp(s.origin, "openmpi") == 0);
    /* a Slurm array task that runs mpirun: its ranks split the task's share
     * (rank 1 of 3 in task 3 of 4 is shard 3*3+1 of 12; before, every rank
     * took the task's whole share); arrays may start at 1 */
    env.slurm_task_id = "4";
    env.slurm_task_min = "1";
    env.slurm_task_count = "4";
    CHECK_EQ_INT(shard_resolve(NULL, &env, &s, &e), 0);
    CHECK(s.index == 10 && s.count == 12 && strcmp(s.origin, "slurm+openmpi") == 0);
    env.ompi_rank = env.ompi_size = NULL;
    CHECK_EQ_INT(shard_resolve(NULL, &env, &s, &e), 0);
    CHECK(s.index == 3 && s.count == 4 && strcmp(s.origin, "slurm") == 0);
    /* an array with a step or gaps is refused by every task (tasks 0, 2, 4 of
     * --array=0-8:2 ran as shards 0, 2, 4 of 5; 1 and 3 never ran) */
    env.slurm_task_max = "4";
    env.slurm_task_step = "1";
    CHECK_EQ_INT(shard_resolve(NULL, &env, &s, &e), 0);
    shard_env st = {.slurm_task_id = "2", .slurm_task_min = "0", .slurm_task_count = "5", .slurm_task_max = "8",
                    .slurm_task_step = "2"};
    CHECK(shard_resolve(NULL, &st, &s, &e) < 0 && strstr(e.msg, "SLURM_ARRAY_TASK_STEP='2'"));
    st.slurm_task_step = NULL;
    CHECK(shard_resolve(NULL, &st, &s, &e) < 0 && strstr(e.msg, "an array with gaps"));
    st = (shard_env){.slurm_task_id = "1", .slurm_task_min = "0", .slurm_task_count = "3", .slurm_task_max = "3",
                     .slurm_task_step = "1"};   /* --array=0,1,3 */
    CHECK(shard_resolve(NULL, &st, &s, &e) < 0 && strstr(e.msg, "SLURM_ARRAY_TASK_MAX='3'"));
    env.slurm_task_max = env.slurm_task_step = NULL;
    /* the flag outranks both */
    CHECK_EQ_INT(shard_resolve("0/2", &env, &s, &e), 0);
    CHECK(s.index == 0 && s.count == 2);
    /* malformed or inconsistent variables are errors naming them */
    env.slurm_task_id = "9";
    CHECK(shard_resolve(NULL, &env, &s, &e) < 0 && strstr(e.msg, "--array=0-3"));
    env.slurm_task_id = "x";
    CHECK(shard_resolve(NULL, &env, &s, &e) < 0 && strstr(e.msg, "SLURM_ARRAY_TASK_ID='x'"));
    /* strtol's leading space and sign are not a decimal integer (a trailing
     * space was already refused) */
    const char *lax[] = {" 1", "+1", "\t1", "-0"};
    for (size_t i = 0; i < sizeof lax / sizeof *lax; i++) {
        env.slurm_task_id = lax[i];
        CHECK_MSG(shard_resolve(NULL, &env, &s, &e) < 0 && strstr(e.msg, "SLURM_ARRAY_TASK_ID="), "accepted '%s'",
                  lax[i]);
    }
    shard_env om = {.ompi_rank = "+1", .ompi_size = "2"};
    CHECK(shard_resolve(NULL, &om, &s, &e) < 0 && strstr(e.msg, "OMPI_COMM_WORLD_RANK='+1'"));
    om = (shard_env){.ompi_rank = "1", .ompi_size = " 2"};
    CHECK(shard_resolve(NULL, &om, &s, &e) < 0 && strstr(e.msg, "OMPI_COMM_WORLD_SIZE=' 2'"));
    env.slurm_task_id = "1";
    env.slurm_task_count = NULL;
    CHECK(shard_resolve(NULL, &env, &s, &e) < 0 && strstr(e.msg, "SLURM_ARRAY_TASK_COUNT"));
    env = (shard_env){.ompi_rank = "3", .ompi_size = "3"};
    CHECK(shard_resolve(NULL, &env, &s, &e) < 0 && strstr(e.msg, "OMPI_COMM_WORLD_RANK='3'"));
}

TEST(shard_partition_is_exact)
{
    /* every unit lands in exactly one shard, for every N */
    for (int n = 1; n <= 7; n++) {
        for (size_t u = 0; u < 100; u++) {
            int owners = 0;
            for (int i = 0; i < n; i++) {
                shard_spec s = {i, n, "flag"};
                owners += shard_owns(&s, u);
            }
            CHECK_EQ_INT(owners, 1);
        }
    }
    char sfx[32];
    shard_spec one = SHARD_ONE, two = {1, 2, "flag"};
    shard_suffix(&one, sfx, sizeof sfx);
    CHECK_EQ_STR(sfx, "");
    shard_suffix(&two, sfx, sizeof sfx);
    CHECK_EQ_STR(sfx, "-1-of-2");
}

int main(void)
{
    RUN(marker_absent_done_stale);
    RUN(marker_result_none_told_apart);
    RUN(marker_key_is_unambiguous);
    RUN(marker_rejects_escaping_units);
    RUN(shard_parse_and_precedence);
    RUN(shard_partition_is_exact);
    return test_summary();
}
