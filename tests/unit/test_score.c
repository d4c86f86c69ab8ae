/* test_score.c - score_run (scorer/score.h) called directly against a
 * loopback chat-completions endpoint in a thread of this test: the window
 * writes lines in document order whatever order answers come back in,
 * identical requests are sent once, spending guards stop cleanly without a
 * marker, completion markers go stale on changed input or settings, shards
 * write what one process writes; and the attribute-set registry. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/attr.h"
#include "lib/attrsets.h"
#include "lib/fsutil.h"
#include "lib/marker.h"
#include "lib/work.h"
#include "lib/zio.h"
#include "scorer/score.h"
#include "test.h"
#include "tests/unit/fixture.h"

/* ---- the loopback endpoint ----
 * Answers POST /v1/chat/completions over HTTP/1.1 keep-alive, one thread a
 * connection. The document's text says how to answer: "delay=N" waits N ms
 * first, "score=K" makes the reply end "Educational score: K". Every
 * request's text and the order answers went out are recorded. */

#define MAX_CONN 64
#define MAX_LOG 256

typedef struct peer {
    int lfd, port;
    pthread_t acceptor;
    pthread_t conn[MAX_CONN];
    int cfd[MAX_CONN];
    int nconn;
    pthread_mutex_t mu;
    char *asked[MAX_LOG];      /* prompt texts in arrival order */
    int nasked;
    char *answered[MAX_LOG];   /* prompt texts in the order answers were sent */
    int nanswered;
} peer;

typedef struct conn_arg {
    peer *p;
    int fd;
} conn_arg;

static int find_int(const char *s, const char *name, int dflt)
{
    const char *q = strstr(s, name);
    return q ? atoi(q + strlen(name)) : dflt;
}

static int send_all(int fd, const char *b, size_t n)
{
    while (n) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static void *conn_main(void *arg)
{
    conn_arg a = *(conn_arg *)arg;
    free(arg);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        char *hdr_end;
        while (!(hdr_end = memmem(buf, len, "\r\n\r\n", 4))) {
            if (len == cap) goto out;
            ssize_t r = recv(a.fd, buf + len, cap - len, 0);
            if (r <= 0) goto out;
            len += (size_t)r;
        }
        size_t hlen = (size_t)(hdr_end - buf) + 4;
        char saved = buf[hlen - 1];
        buf[hlen - 1] = 0;
        const char *cl = strcasestr(buf, "content-length:");
        size_t blen = cl ? (size_t)atol(cl + 15) : 0;
        buf[hlen - 1] = saved;
        if (hlen + blen > cap) goto out;
        while (len < hlen + blen) {
            ssize_t r = recv(a.fd, buf + len, cap - len, 0);
            if (r <= 0) goto out;
            len += (size_t)r;
        }
        cJSON *req = cJSON_ParseWithLength(buf + hlen, blen);
        const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(req, "messages");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(msgs, 0), "content");
        const char *text = cJSON_IsString(content) ? content->valuestring : "";
        pthread_mutex_lock(&a.p->mu);
        if (a.p->nasked < MAX_LOG) a.p->asked[a.p->nasked++] = strdup(text);
        pthread_mutex_unlock(&a.p->mu);
        int delay = find_int(text, "delay=", 0), score = find_int(text, "score=", 3);
        if (delay > 0) usleep((useconds_t)delay * 1000);
        char body[512], resp[1024];
        int bn = snprintf(body, sizeof body,
                          "{\"id\":\"c\",\"object\":\"chat.completion\",\"model\":\"loopback\","
                          "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
                          "\"Short lesson.\\nEducational score: %d\"},\"finish_reason\":\"stop\"}],"
                          "\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":5}}",
                          score);
        int rn = snprintf(resp, sizeof resp,
                          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          "Content-Length: %d\r\nConnection: keep-alive\r\n\r\n%s",
                          bn, body);
        pthread_mutex_lock(&a.p->mu);
        if (a.p->nanswered < MAX_LOG) a.p->answered[a.p->nanswered++] = strdup(text);
        pthread_mutex_unlock(&a.p->mu);
        cJSON_Delete(req);
        if (send_all(a.fd, resp, (size_t)rn) < 0) goto out;
        memmove(buf, buf + hlen + blen, len - hlen - blen);
        len -= hlen + blen;
    }
out:
    free(buf);
    return NULL;
}

static void *accept_main(void *arg)
{
    peer *p = arg;
    for (;;) {
        int fd = accept(p->lfd, NULL, NULL);
        if (fd < 0) return NULL;
        pthread_mutex_lock(&p->mu);
        if (p->nconn == MAX_CONN) {
            pthread_mutex_unlock(&p->mu);
            close(fd);
            continue;
        }
        conn_arg *a = malloc(sizeof *a);
        a->p = p;
        a->fd = fd;
        p->cfd[p->nconn] = fd;
        pthread_create(&p->conn[p->nconn], NULL, conn_main, a);
        p->nconn++;
        pthread_mutex_unlock(&p->mu);
    }
}

static int peer_start(peer *p)
{
    memset(p, 0, sizeof *p);
    pthread_mutex_init(&p->mu, NULL);
    p->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);   /* loopback only */
    socklen_t al = sizeof a;
    if (p->lfd < 0 || bind(p->lfd, (struct sockaddr *)&a, sizeof a) || listen(p->lfd, 64) ||
        getsockname(p->lfd, (struct sockaddr *)&a, &al))
        return -1;
    p->port = ntohs(a.sin_port);
    return pthread_create(&p->acceptor, NULL, accept_main, p) ? -1 : 0;
}

static void peer_clear_log(peer *p)
{
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < p->nasked; i++) free(p->asked[i]);
    for (int i = 0; i < p->nanswered; i++) free(p->answered[i]);
    p->nasked = p->nanswered = 0;
    pthread_mutex_unlock(&p->mu);
}

static void peer_stop(peer *p)
{
    shutdown(p->lfd, SHUT_RDWR);
    close(p->lfd);
    pthread_join(p->acceptor, NULL);
    for (int i = 0; i < p->nconn; i++) shutdown(p->cfd[i], SHUT_RDWR);
    for (int i = 0; i < p->nconn; i++) {
        pthread_join(p->conn[i], NULL);
        close(p->cfd[i]);
    }
    peer_clear_log(p);
    pthread_mutex_destroy(&p->mu);
}

static int peer_asked_count(peer *p, const char *needle)
{
    int n = 0;
    pthread_mutex_lock(&p->mu);
    for (int i = 0; i < p->nasked; i++)
        if (strstr(p->asked[i], needle)) n++;
    pthread_mutex_unlock(&p->mu);
    return n;
}

/* ---- fixtures ---- */

/* A work directory W with WORK/docs/web/<name>.jsonl of n documents; texts
 * come from text_of(i). */
static void make_work(const char *work, const char *name, int n, void (*text_of)(int, char *, size_t))
{
    char path[1024], line[600], text[400];
    snprintf(path, sizeof path, "%s/docs/web/%s.jsonl", work, name);
    sbuf b;
    sb_init(&b);
    for (int i = 0; i < n; i++) {
        text_of(i, text, sizeof text);
        snprintf(line, sizeof line, "{\"id\":\"%s-%d\",\"text\":\"%s\"}\n", name, i, text);
        sb_adds(&b, line);
    }
    fx_write_text(path, sb_cstr(&b));
    sb_free(&b);
}

typedef struct fixture {
    peer P;
    char base[128];
    char prompt[1024];
    work_dirs w;
    score_opts o;
    uint64_t progress_docs;
} fixture;

static void count_progress(void *arg, uint64_t docs, uint64_t total)
{
    (void)total;
    *(uint64_t *)arg += docs;
}

static int fixture_open(fixture *f, const char *work)
{
    memset(f, 0, sizeof *f);
    if (peer_start(&f->P) < 0) return -1;
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d/v1", f->P.port);
    snprintf(f->prompt, sizeof f->prompt, "%s/prompt.txt", test_tmpdir());
    fx_write_text(f->prompt, "Rate this: {text}\n");
    blalm_err e;
    if (work_dirs_init(&f->w, work, NULL, NULL, &e) < 0) return -1;
    score_opts *o = &f->o;
    o->dirs = &f->w;
    o->base_url = f->base;
    o->model = "m";
    o->prompt_path = f->prompt;
    o->max_chars = 1000;
    o->max_tokens = 64;
    o->concurrency = 4;
    o->timeout_s = 20;
    o->retry_budget_s = 30;
    o->max_attempts = 2;
    o->shard = SHARD_ONE;
    return 0;
}

static int run(fixture *f, score_counts *c, blalm_err *e)
{
    f->progress_docs = 0;
    memset(e, 0, sizeof *e);
    return score_run(&f->o, c, count_progress, &f->progress_docs, e);
}

/* The edu_llm lines of a file: ids and scores, or the whole bytes. */
static int read_all(const char *path, sbuf *out)
{
    blalm_err e;
    zreader *z = zr_open(path, &e);
    if (!z) return -1;
    const char *line;
    size_t len;
    int rc;
    while ((rc = zr_line(z, &line, &len, &e)) == 1) {
        sb_add(out, line, len);
        sb_addc(out, '\n');
    }
    zr_close(z);
    sb_cstr(out);   /* NUL-terminated for the string functions */
    return rc;
}

static void attr_file(const fixture *f, const char *set, const char *name, char *out, size_t cap)
{
    char rel[256];
    snprintf(rel, sizeof rel, "web/%s.jsonl", name);
    attr_path_for(&f->w, set, rel, out, cap);
}

/* ---- tests ---- */

static void delayed_text(int i, char *out, size_t cap)
{
    /* the first request goes alone (the client waits to learn whether the
     * connection multiplexes); of the rest, the earliest answers last */
    snprintf(out, cap, "lesson %d delay=%d score=%d", i, i ? (7 - i) * 100 : 0, i % 6);
}

TEST(lines_in_document_order_whatever_the_completion_order)
{
    char work[600];
    snprintf(work, sizeof work, "%s/order", test_tmpdir());
    make_work(work, "a", 7, delayed_text);
    fixture f;
    CHECK(fixture_open(&f, work) == 0);
    f.o.concurrency = 7;
    score_counts c;
    blalm_err e;
    int rc = run(&f, &c, &e);
    /* the endpoint answered in reverse */
    int n_answered = f.P.nanswered;
    char first_answer[64] = "";
    if (n_answered) snprintf(first_answer, sizeof first_answer, "%s", f.P.answered[0]);
    int reversed = n_answered == 7 && strstr(f.P.answered[1], "lesson 6") &&
                   strstr(f.P.answered[6], "lesson 1");
    if (n_answered) snprintf(first_answer, sizeof first_answer, "%s", f.P.answered[1]);
    sbuf b;
    sb_init(&b);
    char p[1024];
    attr_file(&f, "edu_llm", "a", p, sizeof p);
    int rr = read_all(p, &b);
    peer_stop(&f.P);
    CHECK_MSG(rc == 0, "score_run: %s", e.msg);
    CHECK_MSG(reversed, "the endpoint did not answer in reverse order: %d answers, second \"%.20s\"", n_answered, first_answer);
    CHECK(rr == 0);
    CHECK_EQ_INT(c.docs, 7);
    CHECK_EQ_INT(c.sent, 7);
    CHECK_EQ_INT(c.scored, 7);
    CHECK_EQ_INT(f.progress_docs, 7);
    const char *line = b.data;
    for (int i = 0; i < 7; i++) {
        cJSON *j = cJSON_Parse(line);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "edu_llm");
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(a, "score");
        char want[32];
        snprintf(want, sizeof want, "a-%d", i);
        int ok = cJSON_IsString(id) && !strcmp(id->valuestring, want) && cJSON_IsNumber(sc) &&
                 (int)sc->valuedouble == i % 6;
        cJSON_Delete(j);
        CHECK_MSG(ok, "line %d is not document %s with score %d", i, want, i % 6);
        line = strchr(line, '\n') + 1;
    }
    sb_free(&b);
}

static void dup_text(int i, char *out, size_t cap)
{
    /* 12 documents, 3 distinct texts; the first of each waits a little so
     * that its duplicates arrive while it is in flight */
    snprintf(out, cap, "repeated text %d delay=%d score=%d", i % 3, 50, 2 + i % 3);
}

TEST(identical_texts_requested_once)
{
    char work[600];
    snprintf(work, sizeof work, "%s/dups", test_tmpdir());
    make_work(work, "d", 12, dup_text);
    fixture f;
    CHECK(fixture_open(&f, work) == 0);
    score_counts c;
    blalm_err e;
    int rc = run(&f, &c, &e);
    int asked = f.P.nasked;
    int each[3];
    for (int k = 0; k < 3; k++) {
        char needle[64];
        snprintf(needle, sizeof needle, "repeated text %d ", k);
        each[k] = peer_asked_count(&f.P, needle);
    }
    sbuf b;
    sb_init(&b);
    char p[1024];
    attr_file(&f, "edu_llm", "d", p, sizeof p);
    read_all(p, &b);
    peer_stop(&f.P);
    CHECK_MSG(rc == 0, "score_run: %s", e.msg);
    CHECK_EQ_INT(asked, 3);
    CHECK(each[0] == 1 && each[1] == 1 && each[2] == 1);
    CHECK_EQ_INT(c.sent, 3);
    CHECK_EQ_INT(c.cached, 9);   /* followers take the leader's answer */
    CHECK_EQ_INT(c.scored, 12);
    /* every duplicate carries its leader's score */
    const char *line = b.data;
    for (int i = 0; i < 12; i++) {
        char want[64];
        snprintf(want, sizeof want, "\"score\":%d", 2 + i % 3);
        char *nl = strchr(line, '\n');
        CHECK(nl);
        *nl = 0;
        CHECK_CONTAINS(line, want);
        line = nl + 1;
    }
    sb_free(&b);
}

static void plain_text(int i, char *out, size_t cap)
{
    snprintf(out, cap, "plain lesson number %d score=%d", i, i % 6);
}

/* 1 when file <name>'s completion marker exists (its verdict, DONE or
 * STALE, shows in what score_run redoes). */
static int has_marker(const fixture *f, const char *name)
{
    char rel[256], unit[512];
    snprintf(rel, sizeof rel, "web/%s.jsonl", name);
    score_marker_unit(rel, unit, sizeof unit);
    char path[8192];
    blalm_err e;
    if (marker_path_of(f->w.state, "score", unit, path, sizeof path, &e) < 0) return -1;
    return file_exists(path);
}

static int record_complete(const fixture *f, const char *name)
{
    char p[1024], rp[1100];
    attr_file(f, "edu_llm", name, p, sizeof p);
    attr_record_path(p, rp, sizeof rp);
    char *data;
    size_t len;
    blalm_err e;
    if (read_file(rp, &data, &len, &e) < 0) return -1;
    int complete = strstr(data, "\"complete\":true") != NULL;
    free(data);
    return complete;
}

TEST(spending_guard_stops_cleanly_without_marker)
{
    char work[600];
    snprintf(work, sizeof work, "%s/guard", test_tmpdir());
    make_work(work, "g", 10, plain_text);
    fixture f;
    CHECK(fixture_open(&f, work) == 0);
    f.o.concurrency = 2;
    f.o.has_max_requests = 1;
    f.o.max_requests = 4;
    score_counts c;
    blalm_err e;
    int rc = run(&f, &c, &e);
    int asked1 = f.P.nasked;
    int marker1 = has_marker(&f, "g");
    int complete1 = record_complete(&f, "g");
    /* a higher limit finishes the file; the 4 stored answers are not paid again */
    f.o.max_requests = 100;
    score_counts c2;
    int rc2 = run(&f, &c2, &e);
    int asked2 = f.P.nasked;
    int marker2 = has_marker(&f, "g");
    int complete2 = record_complete(&f, "g");
    /* the token guard too */
    char work2[600];
    snprintf(work2, sizeof work2, "%s/guard-tokens", test_tmpdir());
    make_work(work2, "t", 10, plain_text);
    work_dirs w2;
    work_dirs_init(&w2, work2, NULL, NULL, &e);
    f.o.dirs = &w2;
    f.o.has_max_requests = 0;
    f.o.has_max_prompt_tokens = 1;
    f.o.max_prompt_tokens = 30;   /* about three prompts of ~9 estimated tokens */
    score_counts c3;
    int rc3 = run(&f, &c3, &e);
    peer_stop(&f.P);
    CHECK_MSG(rc == 0, "a guard is not an error: %s", e.msg);
    CHECK(c.guard_hit);
    CHECK_CONTAINS(c.guard, "--max-requests 4 reached");
    CHECK_EQ_INT(c.sent, 4);
    CHECK_EQ_INT(asked1, 4);
    CHECK_EQ_INT(c.not_sent, 6);
    CHECK_EQ_INT(c.docs, 10);
    CHECK_EQ_INT(marker1, 0);
    CHECK_EQ_INT(complete1, 0);
    CHECK_MSG(rc2 == 0, "rerun: %s", e.msg);
    CHECK(!c2.guard_hit);
    CHECK_EQ_INT(c2.cached, 4);
    CHECK_EQ_INT(c2.sent, 6);
    CHECK_EQ_INT(asked2, 10);
    CHECK_EQ_INT(marker2, 1);
    CHECK_EQ_INT(complete2, 1);
    CHECK_MSG(rc3 == 0, "token guard: %s", e.msg);
    CHECK(c3.guard_hit);
    CHECK_CONTAINS(c3.guard, "--max-prompt-tokens 30 reached");
    CHECK(c3.sent > 0 && c3.sent < 10);
    CHECK_EQ_INT(c3.sent + c3.not_sent, 10);
}

TEST(markers_done_then_stale_on_changed_settings_or_input)
{
    char work[600];
    snprintf(work, sizeof work, "%s/markers", test_tmpdir());
    make_work(work, "m", 5, plain_text);
    fixture f;
    CHECK(fixture_open(&f, work) == 0);
    score_counts c;
    blalm_err e;
    char p[1024];
    attr_file(&f, "edu_llm", "m", p, sizeof p);
    char why[256], why_set[256], why_input[256];
    int st0 = score_marker_state(&f.o, "web/m.jsonl", why, sizeof why, &e);
    int rc1 = run(&f, &c, &e);
    uint64_t files1 = c.files;
    int marker1 = has_marker(&f, "m");
    int st1 = score_marker_state(&f.o, "web/m.jsonl", why, sizeof why, &e);
    f.o.max_chars = 21;
    int st_set = score_marker_state(&f.o, "web/m.jsonl", why_set, sizeof why_set, &e);
    f.o.max_chars = 1000;
    /* unchanged: DONE, skipped, nothing asked */
    int asked0 = f.P.nasked;
    int rc2 = run(&f, &c, &e);
    uint64_t skipped2 = c.files_skipped, files2 = c.files;
    int asked2 = f.P.nasked;
    /* a setting that changes the output: redone (answers for the new
     * prompts are new requests) */
    f.o.max_chars = 21;   /* "plain lesson number N" */
    int rc3 = run(&f, &c, &e);
    uint64_t files3 = c.files;
    int asked3 = f.P.nasked;
    /* back to the first settings: the marker now holds max_chars 12, so
     * the file is redone, all from the cache */
    f.o.max_chars = 1000;
    int rc4 = run(&f, &c, &e);
    uint64_t files4 = c.files, cached4 = c.cached;
    int asked4 = f.P.nasked;
    /* a changed document file (one more document): redone */
    char doc[1024];
    snprintf(doc, sizeof doc, "%s/docs/web/m.jsonl", work);
    FILE *fp = fopen(doc, "a");
    CHECK(fp);
    fputs("{\"id\":\"m-5\",\"text\":\"one more lesson score=4\"}\n", fp);
    fclose(fp);
    int st_input = score_marker_state(&f.o, "web/m.jsonl", why_input, sizeof why_input, &e);
    int rc5 = run(&f, &c, &e);
    uint64_t files5 = c.files, docs5 = c.docs;
    int st5 = score_marker_state(&f.o, "web/m.jsonl", why, sizeof why, &e);
    /* --force redoes a DONE file */
    f.o.force = 1;
    int rc6 = run(&f, &c, &e);
    uint64_t files6 = c.files;
    f.o.force = 0;
    peer_stop(&f.P);
    CHECK_MSG(rc1 == 0 && rc2 == 0 && rc3 == 0 && rc4 == 0 && rc5 == 0 && rc6 == 0, "%s", e.msg);
    CHECK_EQ_INT(st0, MARKER_ABSENT);
    CHECK_EQ_INT(files1, 1);
    CHECK_EQ_INT(marker1, 1);
    CHECK_EQ_INT(st1, MARKER_DONE);
    CHECK_EQ_INT(st_set, MARKER_STALE);
    CHECK_EQ_STR(why_set, "setting max_chars was 1000, now 21");
    CHECK_EQ_INT(st_input, MARKER_STALE);
    CHECK_CONTAINS(why_input, "input web/m.jsonl changed");
    CHECK_EQ_INT(st5, MARKER_DONE);
    CHECK_EQ_INT(skipped2, 1);
    CHECK_EQ_INT(files2, 0);
    CHECK_EQ_INT(asked2, asked0);
    CHECK_EQ_INT(files3, 1);
    CHECK_EQ_INT(asked3, asked0 + 5);
    CHECK_EQ_INT(files4, 1);
    CHECK_EQ_INT(cached4, 5);
    CHECK_EQ_INT(asked4, asked3);
    CHECK_EQ_INT(files5, 1);
    CHECK_EQ_INT(docs5, 6);
    CHECK_EQ_INT(files6, 1);
}

/* The marker's own verdict and reason, through lib/marker with the key
 * score_run records (read back from the marker file). */
TEST(marker_records_inputs_and_settings)
{
    char work[600];
    snprintf(work, sizeof work, "%s/markerfile", test_tmpdir());
    make_work(work, "k", 3, plain_text);
    /* a set for --where to read */
    char tp[1024];
    snprintf(tp, sizeof tp, "%s/attributes/toy/web/k.jsonl.zst", work);
    blalm_err e;
    attr_writer *aw = attrw_open(tp, "toy", &e);
    CHECK(aw);
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof id, "k-%d", i);
        const char *obj = i == 1 ? "{\"pass\":false}" : "{\"pass\":true}";
        CHECK(attrw_write(aw, id, strlen(id), obj, strlen(obj), &e) == 0);
    }
    CHECK(attrw_commit(aw, &e) == 0);
    fixture f;
    CHECK(fixture_open(&f, work) == 0);
    f.o.where = "toy.pass";
    score_counts c;
    int rc1 = run(&f, &c, &e);
    uint64_t sel1 = c.selected;
    char unit[512], mp[8192];
    score_marker_unit("web/k.jsonl", unit, sizeof unit);
    marker_path_of(f.w.state, "score", unit, mp, sizeof mp, &e);
    char *data = NULL;
    size_t len;
    int read_ok = read_file(mp, &data, &len, &e) == 0;
    cJSON *m = read_ok ? cJSON_Parse(data) : NULL;
    free(data);
    /* the --where set changes (same size, other content): the file is redone */
    aw = attrw_open(tp, "toy", &e);
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof id, "k-%d", i);
        const char *obj = i == 1 ? "{\"pass\":true}" : "{\"pass\":false}";
        attrw_write(aw, id, strlen(id), obj, strlen(obj), &e);
    }
    attrw_commit(aw, &e);
    char why[256];
    int st = score_marker_state(&f.o, "web/k.jsonl", why, sizeof why, &e);
    int rc2 = run(&f, &c, &e);
    uint64_t files2 = c.files, sel2 = c.selected;
    peer_stop(&f.P);
    CHECK_MSG(rc1 == 0 && rc2 == 0, "%s", e.msg);
    CHECK_EQ_INT(sel1, 2);
    CHECK_MSG(m, "no marker at %s", mp);
    const cJSON *ins = cJSON_GetObjectItemCaseSensitive(m, "inputs");
    const cJSON *sets = cJSON_GetObjectItemCaseSensitive(m, "settings");
    char *ins_s = cJSON_PrintUnformatted(ins), *sets_s = cJSON_PrintUnformatted(sets);
    int ok_in = ins_s && strstr(ins_s, "\"web/k.jsonl\"") && strstr(ins_s, "\"toy/web/k.jsonl.zst\"");
    int ok_set = sets_s && strstr(sets_s, "[\"model\",\"m\"]") && strstr(sets_s, "[\"where\",\"toy.pass\"]") &&
                 strstr(sets_s, "[\"max_chars\",\"1000\"]") && strstr(sets_s, "\"prompt_sha256\"") &&
                 strstr(sets_s, "\"endpoint\"") && strstr(sets_s, "\"params\"");
    free(ins_s);
    free(sets_s);
    cJSON_Delete(m);
    CHECK_MSG(ok_in, "marker inputs lack the document or the --where set");
    CHECK_MSG(ok_set, "marker settings lack model, where, max_chars, prompt, endpoint or params");
    CHECK_EQ_INT(st, MARKER_STALE);
    CHECK_CONTAINS(why, "input toy/web/k.jsonl.zst changed");
    CHECK_EQ_INT(files2, 1);
    CHECK_EQ_INT(sel2, 1);
}

/* Marker files are plain text: no password from the endpoint URL in them. */
TEST(marker_keeps_no_endpoint_credentials)
{
    char work[600];
    snprintf(work, sizeof work, "%s/secret", test_tmpdir());
    make_work(work, "s", 2, plain_text);
    fixture f;
    CHECK(fixture_open(&f, work) == 0);
    snprintf(f.base, sizeof f.base, "http://user:sekrit-pw@127.0.0.1:%d/v1", f.P.port);
    score_counts c;
    blalm_err e;
    int rc = run(&f, &c, &e);
    int done = score_marker_state(&f.o, "web/s.jsonl", NULL, 0, &e);
    peer_stop(&f.P);
    CHECK_MSG(rc == 0, "%s", e.msg);
    CHECK_EQ_INT(done, MARKER_DONE);
    char unit[512], mp[8192];
    score_marker_unit("web/s.jsonl", unit, sizeof unit);
    CHECK(marker_path_of(f.w.state, "score", unit, mp, sizeof mp, &e) == 0);
    char *data;
    size_t len;
    CHECK(read_file(mp, &data, &len, &e) == 0);
    int leaked = strstr(data, "sekrit") != NULL;
    int has_host = strstr(data, "127.0.0.1") != NULL;
    free(data);
    CHECK_MSG(!leaked, "the endpoint's password is in %s", mp);
    CHECK(has_host);
}

TEST(shards_write_what_one_process_writes)
{
    char one[600], sh[600], cache[700];
    snprintf(one, sizeof one, "%s/one", test_tmpdir());
    snprintf(sh, sizeof sh, "%s/sharded", test_tmpdir());
    snprintf(cache, sizeof cache, "%s/shared-cache", test_tmpdir());
    const char *names[] = {"p0", "p1", "p2", "p3", "p4"};
    for (int k = 0; k < 5; k++) {
        make_work(one, names[k], 4 + k, plain_text);
        make_work(sh, names[k], 4 + k, plain_text);
    }
    fixture f;
    CHECK(fixture_open(&f, one) == 0);
    f.o.cache_dir = cache;
    score_counts c;
    blalm_err e;
    int rc1 = run(&f, &c, &e);
    uint64_t docs1 = c.docs;
    int asked1 = f.P.nasked;
    work_dirs w2;
    work_dirs_init(&w2, sh, NULL, NULL, &e);
    f.o.dirs = &w2;
    int rcs[3] = {0};
    uint64_t files[3] = {0}, docs = 0;
    for (int i = 0; i < 3; i++) {
        f.o.shard = (shard_spec){i, 3, "flag"};
        rcs[i] = run(&f, &c, &e);
        files[i] = c.files;
        docs += c.docs;
    }
    int asked2 = f.P.nasked;
    peer_stop(&f.P);
    CHECK_MSG(rc1 == 0 && rcs[0] == 0 && rcs[1] == 0 && rcs[2] == 0, "%s", e.msg);
    CHECK_EQ_INT(files[0], 2);   /* files 0 and 3 of 5 */
    CHECK_EQ_INT(files[1], 2);
    CHECK_EQ_INT(files[2], 1);
    CHECK_EQ_INT(docs, docs1);
    CHECK_EQ_INT(asked2, asked1);   /* the shared cache answered */
    for (int k = 0; k < 5; k++) {
        char rel[64], pa[1024], pb[1024];
        snprintf(rel, sizeof rel, "web/%s.jsonl", names[k]);
        work_dirs w1;
        work_dirs_init(&w1, one, NULL, NULL, &e);
        attr_path_for(&w1, "edu_llm", rel, pa, sizeof pa);
        attr_path_for(&w2, "edu_llm", rel, pb, sizeof pb);
        sbuf a, b;
        sb_init(&a);
        sb_init(&b);
        CHECK(read_all(pa, &a) == 0 && read_all(pb, &b) == 0);
        int same = a.len == b.len && a.len > 0 && !memcmp(a.data, b.data, a.len);
        sb_free(&a);
        sb_free(&b);
        CHECK_MSG(same, "%s differs between one process and three shards", rel);
    }
    char st[1024];
    for (int i = 0; i < 3; i++) {
        snprintf(st, sizeof st, "%s/stats/score-%d-of-3.json", sh, i);
        CHECK_MSG(file_exists(st), "no %s", st);
    }
    snprintf(st, sizeof st, "%s/stats/score.json", one);
    CHECK(file_exists(st));
}

TEST(where_unknown_set_and_key)
{
    char work[600];
    snprintf(work, sizeof work, "%s/where", test_tmpdir());
    make_work(work, "w", 2, plain_text);
    fixture f;
    CHECK(fixture_open(&f, work) == 0);
    score_counts c;
    blalm_err e;
    f.o.where = "nosuch.pass";
    int rc1 = run(&f, &c, &e);
    char msg1[BLALM_ERR_MAX];
    snprintf(msg1, sizeof msg1, "%s", e.msg);
    f.o.where = "edu_llm.score >= 3 &&";
    int rc2 = run(&f, &c, &e);
    int asked = f.P.nasked;
    peer_stop(&f.P);
    CHECK(rc1 < 0);
    CHECK_CONTAINS(msg1, "nosuch");
    CHECK(rc2 < 0);
    CHECK_CONTAINS(e.msg, "--where");
    CHECK_EQ_INT(asked, 0);
}

TEST(registry)
{
    CHECK_EQ_INT(attrsets_count(), 8);
    const char *const want[] = {"readability", "gopher_quality", "gopher_repetition", "c4",
                                "fineweb", "dedup", "edu_llm", "edu_local"};
    for (int i = 0; i < 8; i++) {
        CHECK_EQ_STR(attrsets_at(i)->name, want[i]);
        CHECK(attrsets_find(want[i]) == attrsets_at(i));
    }
    CHECK(attrsets_at(8) == NULL);
    CHECK(attrsets_find("toy") == NULL);
    CHECK_EQ_INT(attrsets_has_fixed_key("readability", "flesch_reading_ease"), 1);
    CHECK_EQ_INT(attrsets_has_fixed_key("readability", "pass"), 0);
    CHECK_EQ_INT(attrsets_has_fixed_key("c4", "pass"), 1);
    CHECK_EQ_INT(attrsets_has_fixed_key("fineweb", "reason"), 1);
    CHECK_EQ_INT(attrsets_has_fixed_key("dedup", "keep"), 1);
    CHECK_EQ_INT(attrsets_has_fixed_key("edu_llm", "prompt_sha256"), 1);
    CHECK_EQ_INT(attrsets_has_fixed_key("edu_local", "int_score"), 1);
    CHECK_EQ_INT(attrsets_has_fixed_key("nosuch", "pass"), -1);
    CHECK_EQ_STR(attrsets_find("edu_llm")->writer, "score");
    const char *tag[8];
    CHECK_EQ_INT(attrsets_tag_sets(tag, 8), 5);
    for (int i = 0; i < 5; i++) CHECK_EQ_STR(tag[i], want[i]);
    CHECK_EQ_INT(attrsets_tag_sets(tag, 2), 5);   /* how many, whatever the room */
}

/* --config's mapping onto score_opts (score_opts_config) and the key file */
TEST(config_mapping_and_key_file)
{
    score_opts o;
    score_opts_default(&o);
    CHECK(o.max_chars == 1000 && o.max_tokens == 512 && o.concurrency == 8 && o.max_attempts == 8);
    const char *keyfile = NULL;
    blalm_err e;
    cJSON *c = cJSON_Parse("{\"score\": {\"model\": \"m\", \"endpoint\": \"http://x/v1/\", \"max_chars\": 20, "
                           "\"temperature\": 0.5, \"seed\": 3, \"max_requests\": 7, \"json_schema\": true, "
                           "\"api_key_file\": \"k.txt\", \"where\": \"c4.pass\"}}");
    CHECK_MSG(score_opts_config(&o, &keyfile, c, "cfg.json", &e) == 0, "%s", e.msg);
    CHECK_EQ_STR(o.model, "m");
    CHECK_EQ_STR(o.base_url, "http://x/v1/");
    CHECK_EQ_STR(keyfile, "k.txt");
    CHECK_EQ_STR(o.where, "c4.pass");
    CHECK(o.max_chars == 20 && o.temperature == 0.5 && o.has_seed && o.seed == 3);
    CHECK(o.has_max_requests && o.max_requests == 7 && o.json_schema && !o.has_max_prompt_tokens);
    CHECK(o.max_tokens == 512 && o.concurrency == 8);   /* absent keys keep the defaults */
    CHECK(!o.has_sample);
    cJSON_Delete(c);
    /* seed as --seed and a run config's score.seed take it: 0..2^53-1, whole */
    const char *bad_seeds[] = {"-3", "1.5", "9007199254740992", "\"5\""};
    for (int i = 0; i < 4; i++) {
        char text[100];
        snprintf(text, sizeof text, "{\"seed\": %s}", bad_seeds[i]);
        score_opts_default(&o);
        c = cJSON_Parse(text);
        CHECK_MSG(score_opts_config(&o, &keyfile, c, "cfg.json", &e) < 0, "%s", text);
        CHECK_EQ_STR(e.msg, "cfg.json: seed: expected a whole number from 0 to 9007199254740991");
        cJSON_Delete(c);
    }
    /* the run config's score section has "sample" (--sample) */
    score_opts_default(&o);
    c = cJSON_Parse("{\"sources\": [], \"score\": {\"model\": \"m\", \"sample\": 300}}");
    CHECK_MSG(score_opts_config(&o, &keyfile, c, "run.json", &e) == 0, "%s", e.msg);
    CHECK(o.has_sample && o.sample == 300);
    cJSON_Delete(c);
    static const struct { const char *json, *want; } bad[] = {
        {"{\"score\": {\"api_key\": \"sk-x\"}}", "api_key"},
        {"{\"temperature\": 3}", "cfg.json: temperature must be in 0..2"},
        {"{\"score\": {\"concurrency\": 0}}", "cfg.json: score: concurrency must be in 1..4096"},
        {"{\"model\": 5}", "model"},
        {"[1]", "cfg.json: expected a JSON object"},
        {"{\"score\": {\"sample\": 0}}", "cfg.json: score: sample must be in 1.."},
        {"{\"score\": {\"sample\": 1.5}}", "cfg.json: score: sample must be a whole number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        score_opts_default(&o);
        c = cJSON_Parse(bad[i].json);
        CHECK_MSG(score_opts_config(&o, &keyfile, c, "cfg.json", &e) == -1, "accepted %s", bad[i].json);
        CHECK_MSG(strstr(e.msg, bad[i].want), "%s: \"%s\"", bad[i].json, e.msg);
        cJSON_Delete(c);
    }
    char p[1024], key[16];
    snprintf(p, sizeof p, "%s/key.txt", test_tmpdir());
    CHECK(write_file_atomic(p, "\n  sk-abc \t\nsecond\n", 19, &e) == 0);
    CHECK_MSG(score_read_api_key(p, key, sizeof key, &e) == 0, "%s", e.msg);
    CHECK_EQ_STR(key, "sk-abc");
    CHECK(score_read_api_key(p, key, 4, &e) == -1 && strstr(e.msg, "longer than 3 bytes"));
    CHECK(write_file_atomic(p, " \n\n", 3, &e) == 0);
    CHECK(score_read_api_key(p, key, sizeof key, &e) == -1 && strstr(e.msg, "no API key"));
    /* audit s40: a .env or shell line is refused, naming the variable, never the key */
    CHECK(write_file_atomic(p, "OPENAI_API_KEY=sk-abc\n", 22, &e) == 0);
    CHECK(score_read_api_key(p, key, sizeof key, &e) == -1 &&
          strstr(e.msg, "an assignment (OPENAI_API_KEY=...)") && !strstr(e.msg, "sk-abc"));
    CHECK(write_file_atomic(p, "export K=sk-abc\n", 16, &e) == 0);
    CHECK(score_read_api_key(p, key, sizeof key, &e) == -1 && strstr(e.msg, "(export K=...)"));
    /* base64 padding is no assignment */
    CHECK(write_file_atomic(p, "c2stYWJj==\n", 11, &e) == 0);
    CHECK_MSG(score_read_api_key(p, key, sizeof key, &e) == 0, "%s", e.msg);
    CHECK_EQ_STR(key, "c2stYWJj==");
}

int main(void)
{
    RUN(lines_in_document_order_whatever_the_completion_order);
    RUN(identical_texts_requested_once);
    RUN(spending_guard_stops_cleanly_without_marker);
    RUN(markers_done_then_stale_on_changed_settings_or_input);
    RUN(marker_records_inputs_and_settings);
    RUN(marker_keeps_no_endpoint_credentials);
    RUN(shards_write_what_one_process_writes);
    RUN(where_unknown_set_and_key);
    RUN(registry);
    RUN(config_mapping_and_key_file);
    return test_summary();
}
