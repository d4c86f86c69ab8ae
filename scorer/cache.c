/* cache.c - the append-only result cache (see llm.h for the format).
 *
 * Why this shape: a paid-for answer must survive SIGKILL and crashes.
 * Records are appended with O_APPEND under an exclusive flock (several runs
 * may share a cache): once write(2) returns they are in the page cache and
 * survive the death of the process. A thread then fdatasyncs them in groups,
 * so they survive the machine too, without stalling the request loop for
 * the disk's flush latency. Each line carries a crc32 of its record, so a
 * torn tail is recognised and skipped, never half-read. Only the index
 * (key -> offset) lives in memory; records are read back with pread. */
#include "scorer/llm.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/fsutil.h"

typedef struct slot {
    uint8_t key[32];
    uint64_t off;    /* of the rec value in the file */
    uint32_t len;
    uint8_t used;
} slot;

struct llm_cache {
    int fd;
    char path[4096];
    slot *tab;
    size_t cap, count;
    size_t bad;
    sbuf pending;               /* lines not yet written */
    uint8_t (*pkeys)[32];       /* their keys, offsets relative to pending */
    uint64_t *poff;
    uint32_t *plen;
    size_t npend, pcap;
    /* the sync thread: tickets count llm_cache_flush() batches */
    pthread_t th;
    int th_started, stop, sync_errno;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    uint64_t flushed, synced;
};

static const char line_head[] = "{\"crc32\":\"";   /* then 8 hex, then "\",\"rec\":" */
static const char rec_head[] = "\",\"rec\":";
#define HEAD_LEN (sizeof line_head - 1 + 8 + sizeof rec_head - 1)

static uint64_t key_hash(const uint8_t k[32])
{
    uint64_t h;
    memcpy(&h, k, sizeof h);
    return h;
}

static void index_put(llm_cache *c, const uint8_t key[32], uint64_t off, uint32_t len);

static void index_grow(llm_cache *c)
{
    size_t oldcap = c->cap;
    slot *old = c->tab;
    c->cap = oldcap ? oldcap * 2 : 1024;
    c->tab = calloc(c->cap, sizeof *c->tab);
    if (!c->tab) abort();
    c->count = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].used) index_put(c, old[i].key, old[i].off, old[i].len);
    free(old);
}

static void index_put(llm_cache *c, const uint8_t key[32], uint64_t off, uint32_t len)
{
    if ((c->count + 1) * 4 >= c->cap * 3) index_grow(c);
    size_t i = key_hash(key) & (c->cap - 1);
    while (c->tab[i].used && memcmp(c->tab[i].key, key, 32)) i = (i + 1) & (c->cap - 1);
    if (!c->tab[i].used) c->count++;
    memcpy(c->tab[i].key, key, 32);
    c->tab[i].off = off;
    c->tab[i].len = len;
    c->tab[i].used = 1;
}

static const slot *index_get(const llm_cache *c, const uint8_t key[32])
{
    if (!c->cap) return NULL;
    size_t i = key_hash(key) & (c->cap - 1);
    while (c->tab[i].used) {
        if (!memcmp(c->tab[i].key, key, 32)) return &c->tab[i];
        i = (i + 1) & (c->cap - 1);
    }
    return NULL;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    return -1;
}

static int parse_hex(const char *s, size_t nbytes, uint8_t *out)
{
    for (size_t i = 0; i < nbytes; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* Checks one complete line (without '\n') and indexes it; 0 if bad. */
static int take_line(llm_cache *c, const char *s, size_t n, uint64_t off)
{
    static const char key_head[] = "{\"key\":\"";
    if (n < HEAD_LEN + sizeof key_head - 1 + 64 + 2) return 0;
    if (memcmp(s, line_head, sizeof line_head - 1)) return 0;
    uint8_t crcb[4];
    if (parse_hex(s + sizeof line_head - 1, 4, crcb) < 0) return 0;
    if (memcmp(s + sizeof line_head - 1 + 8, rec_head, sizeof rec_head - 1)) return 0;
    if (s[n - 1] != '}') return 0;
    const char *rec = s + HEAD_LEN;
    size_t rlen = n - HEAD_LEN - 1;
    uint32_t want = (uint32_t)crcb[0] << 24 | (uint32_t)crcb[1] << 16 | (uint32_t)crcb[2] << 8 | crcb[3];
    if ((uint32_t)crc32(0L, (const Bytef *)rec, (uInt)rlen) != want) return 0;
    if (memcmp(rec, key_head, sizeof key_head - 1)) return 0;
    uint8_t key[32];
    if (parse_hex(rec + sizeof key_head - 1, 32, key) < 0) return 0;
    index_put(c, key, off + HEAD_LEN, (uint32_t)rlen);
    return 1;
}

static int load(llm_cache *c, blalm_err *e)
{
    size_t cap = 1 << 22, have = 0;
    char *buf = malloc(cap);
    if (!buf) return err_set(e, "out of memory");
    uint64_t base = 0;  /* file offset of buf[0] */
    for (;;) {
        if (have == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb) { free(buf); return err_set(e, "out of memory"); }
            buf = nb;
        }
        ssize_t r = pread(c->fd, buf + have, cap - have, (off_t)(base + have));
        if (r < 0) {
            if (errno == EINTR) continue;
            free(buf);
            return err_errno(e, "%s: read", c->path);
        }
        if (r == 0) break;
        have += (size_t)r;
        size_t start = 0;
        for (;;) {
            char *nl = memchr(buf + start, '\n', have - start);
            if (!nl) break;
            size_t len = (size_t)(nl - (buf + start));
            if (len && !take_line(c, buf + start, len, base + start)) c->bad++;
            start += len + 1;
        }
        memmove(buf, buf + start, have - start);
        base += start;
        have -= start;
    }
    if (have) c->bad++;  /* a torn tail: no newline, so never complete */
    free(buf);
    return 0;
}

static void *sync_main(void *arg)
{
    llm_cache *c = arg;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        if (c->synced < c->flushed) {
            uint64_t t = c->flushed;
            pthread_mutex_unlock(&c->mu);
            int r = fdatasync(c->fd), err = r < 0 ? errno : 0;
            pthread_mutex_lock(&c->mu);
            if (err && !c->sync_errno) c->sync_errno = err;
            c->synced = t;
            pthread_cond_broadcast(&c->done);
        } else if (c->stop) {
            break;
        } else {
            pthread_cond_wait(&c->wake, &c->mu);
        }
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

llm_cache *llm_cache_open(const char *dir, blalm_err *e)
{
    if (mkdir_p(dir, e) < 0) return NULL;
    llm_cache *c = calloc(1, sizeof *c);
    if (!c) { err_set(e, "out of memory"); return NULL; }
    snprintf(c->path, sizeof c->path, "%s/score-cache.jsonl", dir);
    c->fd = open(c->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (c->fd < 0) {
        err_errno(e, "%s: open", c->path);
        free(c);
        return NULL;
    }
    /* The file's name must survive a crash too, not only its bytes. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    sb_init(&c->pending);
    if (flock(c->fd, LOCK_SH) < 0 || load(c, e) < 0) {
        if (!e->msg[0]) err_errno(e, "%s: lock", c->path);
        llm_cache_close(c);
        return NULL;
    }
    flock(c->fd, LOCK_UN);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->wake, NULL);
    pthread_cond_init(&c->done, NULL);
    if (pthread_create(&c->th, NULL, sync_main, c) != 0) {
        err_set(e, "%s: cannot start the sync thread", c->path);
        llm_cache_close(c);
        return NULL;
    }
    c->th_started = 1;
    return c;
}

char *llm_cache_get(llm_cache *c, const uint8_t key[32], blalm_err *e)
{
    e->msg[0] = 0;
    const slot *s = index_get(c, key);
    if (!s) return NULL;
    char *rec = malloc((size_t)s->len + 1);
    if (!rec) { err_set(e, "out of memory"); return NULL; }
    size_t got = 0;
    while (got < s->len) {
        ssize_t r = pread(c->fd, rec + got, s->len - got, (off_t)(s->off + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            free(rec);
            if (r == 0) err_set(e, "%s: byte %llu: record shorter than indexed", c->path,
                                (unsigned long long)s->off);
            else err_errno(e, "%s: read at byte %llu", c->path, (unsigned long long)s->off);
            return NULL;
        }
        got += (size_t)r;
    }
    rec[s->len] = 0;
    return rec;
}

int llm_cache_put(llm_cache *c, const uint8_t key[32], const char *rec, size_t n, blalm_err *e)
{
    if (n == 0 || rec[0] != '{' || memchr(rec, '\n', n))
        return err_set(e, "cache record must be a one-line JSON object");
    if (c->npend == c->pcap) {
        c->pcap = c->pcap ? c->pcap * 2 : 64;
        c->pkeys = realloc(c->pkeys, c->pcap * sizeof *c->pkeys);
        c->poff = realloc(c->poff, c->pcap * sizeof *c->poff);
        c->plen = realloc(c->plen, c->pcap * sizeof *c->plen);
        if (!c->pkeys || !c->poff || !c->plen) abort();
    }
    uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)rec, (uInt)n);
    sb_printf(&c->pending, "%s%08x%s", line_head, crc, rec_head);
    memcpy(c->pkeys[c->npend], key, 32);
    c->poff[c->npend] = c->pending.len;
    c->plen[c->npend] = (uint32_t)n;
    c->npend++;
    sb_add(&c->pending, rec, n);
    sb_adds(&c->pending, "}\n");
    return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int llm_cache_flush(llm_cache *c, uint64_t *ticket, blalm_err *e)
{
    if (!c->npend) {
        pthread_mutex_lock(&c->mu);
        *ticket = c->flushed;
        pthread_mutex_unlock(&c->mu);
        return 0;
    }
    int rc = -1;
    if (flock(c->fd, LOCK_EX) < 0) return err_errno(e, "%s: lock", c->path);
    struct stat st;
    if (fstat(c->fd, &st) < 0) { err_errno(e, "%s: stat", c->path); goto out; }
    uint64_t at = (uint64_t)st.st_size;
    if (at > 0) {
        /* A torn line from a killed run: end it, so ours starts on a fresh line. */
        char last = '\n';
        if (pread(c->fd, &last, 1, (off_t)(at - 1)) == 1 && last != '\n') {
            if (write_all(c->fd, "\n", 1) < 0) { err_errno(e, "%s: write", c->path); goto out; }
            at++;
        }
    }
    if (write_all(c->fd, c->pending.data, c->pending.len) < 0) {
        err_errno(e, "%s: write", c->path);
        /* Whatever part landed is a torn line; cut it so the file stays clean. */
        if (ftruncate(c->fd, (off_t)at) < 0) { /* the crc still guards readers */ }
        goto out;
    }
    for (size_t i = 0; i < c->npend; i++) index_put(c, c->pkeys[i], at + c->poff[i], c->plen[i]);
    c->npend = 0;
    sb_reset(&c->pending);
    pthread_mutex_lock(&c->mu);
    *ticket = ++c->flushed;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->mu);
    rc = 0;
out:
    flock(c->fd, LOCK_UN);
    return rc;
}

int llm_cache_synced(llm_cache *c, uint64_t *ticket, blalm_err *e)
{
    pthread_mutex_lock(&c->mu);
    *ticket = c->synced;
    int err = c->sync_errno;
    pthread_mutex_unlock(&c->mu);
    if (err) {
        errno = err;
        return err_errno(e, "%s: fdatasync", c->path);
    }
    return 0;
}

int llm_cache_sync(llm_cache *c, blalm_err *e)
{
    uint64_t t;
    if (llm_cache_flush(c, &t, e) < 0) return -1;
    pthread_mutex_lock(&c->mu);
    while (c->synced < t && !c->sync_errno) pthread_cond_wait(&c->done, &c->mu);
    pthread_mutex_unlock(&c->mu);
    uint64_t got;
    return llm_cache_synced(c, &got, e);
}

size_t llm_cache_records(const llm_cache *c) { return c->count; }
size_t llm_cache_bad_lines(const llm_cache *c) { return c->bad; }

void llm_cache_close(llm_cache *c)
{
    if (!c) return;
    if (c->th_started) {
        pthread_mutex_lock(&c->mu);
        c->stop = 1;
        pthread_cond_signal(&c->wake);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->th, NULL);  /* after its last fdatasync */
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->wake);
        pthread_cond_destroy(&c->done);
    }
    if (c->fd >= 0) close(c->fd);
    free(c->tab);
    sb_free(&c->pending);
    free(c->pkeys);
    free(c->poff);
    free(c->plen);
    free(c);
}
