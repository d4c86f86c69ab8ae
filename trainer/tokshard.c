/* tokshard.c - token shard writer and reader (format in tokshard.h). */
#include "trainer/tokshard.h"
#include "lib/fmap.h"
#include "lib/fsutil.h"
#include "lib/hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct tokshard_writer {
    char tok_path[4096], idx_path[4096];
    char tok_tmp[4200], idx_tmp[4200];
    FILE *tok;
    uint32_t vocab_size, eot_id, bpt;
    uint8_t sha[32];
    uint64_t n_tokens;
    tokshard_doc *docs;
    size_t n_docs, cap_docs;
    uint8_t *buf;   /* little-endian staging for one document */
    size_t buf_cap;
};

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

tokshard_writer *tokshard_create(const char *path, uint32_t vocab_size, uint32_t eot_id,
                                 const uint8_t tokenizer_sha256[32], blalm_err *e)
{
    if (vocab_size == 0 || eot_id >= vocab_size) {
        err_set(e, "%s: end-of-text id %u outside the vocabulary of %u", path, eot_id, vocab_size);
        return NULL;
    }
    if (strlen(path) + 8 > sizeof ((tokshard_writer *)0)->tok_path) {
        err_set(e, "%s: path too long", path);
        return NULL;
    }
    tokshard_writer *w = calloc(1, sizeof *w);
    if (!w) {
        err_set(e, "%s: out of memory", path);
        return NULL;
    }
    snprintf(w->tok_path, sizeof w->tok_path, "%s.tok", path);
    snprintf(w->idx_path, sizeof w->idx_path, "%s.idx", path);
    remove_stale_temps(w->tok_path);   /* a killed run's leftovers of these files */
    remove_stale_temps(w->idx_path);
    temp_name_for(w->tok_path, w->tok_tmp, sizeof w->tok_tmp);
    temp_name_for(w->idx_path, w->idx_tmp, sizeof w->idx_tmp);
    w->vocab_size = vocab_size;
    w->eot_id = eot_id;
    w->bpt = vocab_size <= 65536 ? 2 : 4;
    memcpy(w->sha, tokenizer_sha256, 32);
    w->tok = fopen(w->tok_tmp, "wb");
    if (!w->tok) {
        err_errno(e, "%s: cannot create", w->tok_tmp);
        free(w);
        return NULL;
    }
    /* The header is rewritten at commit, when n_tokens is known. */
    uint8_t zero[TOKSHARD_TOK_HEADER] = {0};
    if (fwrite(zero, 1, sizeof zero, w->tok) != sizeof zero) {
        err_errno(e, "%s: write", w->tok_tmp);
        tokshard_abort(w);
        return NULL;
    }
    return w;
}

int tokshard_add_doc(tokshard_writer *w, const uint32_t *ids, size_t n, uint64_t words,
                     blalm_err *e)
{
    size_t need = (n + 1) * w->bpt;
    if (need > w->buf_cap) {
        size_t cap = need > 2 * w->buf_cap ? need : 2 * w->buf_cap;
        uint8_t *b = realloc(w->buf, cap);
        if (!b) return err_set(e, "%s: out of memory", w->tok_path);
        w->buf = b;
        w->buf_cap = cap;
    }
    uint8_t *p = w->buf;
    for (size_t i = 0; i <= n; i++) {
        uint32_t id = i < n ? ids[i] : w->eot_id;
        if (id >= w->vocab_size)
            return err_set(e, "%s: document %zu: token id %u outside the vocabulary of %u",
                           w->tok_path, w->n_docs, id, w->vocab_size);
        if (i < n && id == w->eot_id)   /* it would end the document there: another boundary than the index's */
            return err_set(e, "%s: document %zu: token %zu is the end-of-text id %u, which only ends a document",
                           w->tok_path, w->n_docs, i, id);
        p[0] = (uint8_t)id;
        p[1] = (uint8_t)(id >> 8);
        if (w->bpt == 4) {
            p[2] = (uint8_t)(id >> 16);
            p[3] = (uint8_t)(id >> 24);
        }
        p += w->bpt;
    }
    if (fwrite(w->buf, 1, need, w->tok) != need)
        return err_errno(e, "%s: write", w->tok_tmp);
    if (w->n_docs == w->cap_docs) {
        size_t cap = w->cap_docs ? 2 * w->cap_docs : 1024;
        tokshard_doc *d = realloc(w->docs, cap * sizeof *d);
        if (!d) return err_set(e, "%s: out of memory", w->idx_path);
        w->docs = d;
        w->cap_docs = cap;
    }
    w->docs[w->n_docs++] = (tokshard_doc){w->n_tokens, n + 1, words};
    w->n_tokens += n + 1;
    return 0;
}

uint64_t tokshard_writer_tokens(const tokshard_writer *w) { return w->n_tokens; }
uint64_t tokshard_writer_docs(const tokshard_writer *w) { return w->n_docs; }

static int sync_close(FILE *f, const char *name, blalm_err *e)
{
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        err_errno(e, "%s: write", name);
        fclose(f);
        return -1;
    }
    if (fclose(f) != 0) return err_errno(e, "%s: close", name);
    return 0;
}

int tokshard_commit(tokshard_writer *w, blalm_err *e)
{
    uint8_t h[TOKSHARD_TOK_HEADER] = {0};
    memcpy(h, TOKSHARD_TOK_MAGIC, 8);
    put_u32(h + 8, TOKSHARD_VERSION);
    put_u32(h + 12, w->bpt);
    put_u64(h + 16, w->n_tokens);
    put_u32(h + 24, w->vocab_size);
    put_u32(h + 28, w->eot_id);
    memcpy(h + 32, w->sha, 32);
    if (fseek(w->tok, 0, SEEK_SET) != 0 || fwrite(h, 1, sizeof h, w->tok) != sizeof h) {
        err_errno(e, "%s: write", w->tok_tmp);
        tokshard_abort(w);
        return -1;
    }
    FILE *tok = w->tok;
    w->tok = NULL;
    if (sync_close(tok, w->tok_tmp, e) != 0) {
        tokshard_abort(w);
        return -1;
    }

    FILE *idx = fopen(w->idx_tmp, "wb");
    if (!idx) {
        err_errno(e, "%s: cannot create", w->idx_tmp);
        tokshard_abort(w);
        return -1;
    }
    uint8_t ih[TOKSHARD_IDX_HEADER] = {0};
    memcpy(ih, TOKSHARD_IDX_MAGIC, 8);
    put_u32(ih + 8, TOKSHARD_VERSION);
    put_u32(ih + 12, 0);
    put_u64(ih + 16, w->n_docs);
    put_u64(ih + 24, w->n_tokens);
    int bad = fwrite(ih, 1, sizeof ih, idx) != sizeof ih;
    for (size_t i = 0; i < w->n_docs && !bad; i++) {
        uint8_t r[24];
        put_u64(r, w->docs[i].token_offset);
        put_u64(r + 8, w->docs[i].n_tokens);
        put_u64(r + 16, w->docs[i].words);
        bad = fwrite(r, 1, sizeof r, idx) != sizeof r;
    }
    if (bad) {
        err_errno(e, "%s: write", w->idx_tmp);
        fclose(idx);
        tokshard_abort(w);
        return -1;
    }
    if (sync_close(idx, w->idx_tmp, e) != 0) {
        tokshard_abort(w);
        return -1;
    }
    /* .tok first: a reader needs both, and a stale .idx from an earlier run
     * with a new .tok fails the n_tokens check rather than mis-joining. */
    if (rename(w->tok_tmp, w->tok_path) != 0) {
        err_errno(e, "%s: rename", w->tok_path);
        tokshard_abort(w);
        return -1;
    }
    if (rename(w->idx_tmp, w->idx_path) != 0) {
        err_errno(e, "%s: rename", w->idx_path);
        unlink(w->tok_path);
        tokshard_abort(w);
        return -1;
    }
    free(w->docs);
    free(w->buf);
    free(w);
    return 0;
}

void tokshard_abort(tokshard_writer *w)
{
    if (!w) return;
    if (w->tok) fclose(w->tok);
    unlink(w->tok_tmp);
    unlink(w->idx_tmp);
    free(w->docs);
    free(w->buf);
    free(w);
}

/* ---- reading ---- */

static int map_file(const char *path, void **map, size_t *len, blalm_err *e)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_errno(e, "%s: cannot open", path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return err_errno(e, "%s: stat", path);
    }
    *len = (size_t)st.st_size;
    *map = NULL;
    if (*len > 0) {
        *map = fmap_map(fd, *len, MAP_PRIVATE, path);
        if (*map == MAP_FAILED) {
            *map = NULL;
            close(fd);
            return err_errno(e, "%s: mmap", path);
        }
    }
    close(fd);
    return 0;
}

static void base_path(const char *path, char *out, size_t cap)
{
    size_t n = strlen(path);
    if (n > 4 && (!strcmp(path + n - 4, ".tok") || !strcmp(path + n - 4, ".idx"))) n -= 4;
    snprintf(out, cap, "%.*s", (int)n, path);
}

int tokshard_open(tokshard *s, const char *path, blalm_err *e)
{
    memset(s, 0, sizeof *s);
    if (!host_is_little_endian()) return err_set(e, "%s: token shards need a little-endian host", path);
    char base[4096], tp[4200], ip[4200];
    base_path(path, base, sizeof base);
    snprintf(tp, sizeof tp, "%s.tok", base);
    snprintf(ip, sizeof ip, "%s.idx", base);
    if (map_file(tp, &s->tok_map, &s->tok_len, e) != 0) return -1;
    if (map_file(ip, &s->idx_map, &s->idx_len, e) != 0) {
        tokshard_close(s);
        return -1;
    }
    const uint8_t *t = s->tok_map, *x = s->idx_map;
    if (s->tok_len < TOKSHARD_TOK_HEADER) {
        err_set(e, "%s: %zu bytes, shorter than the %d-byte header", tp, s->tok_len, TOKSHARD_TOK_HEADER);
        goto fail;
    }
    if (memcmp(t, TOKSHARD_TOK_MAGIC, 8) != 0) {
        err_set(e, "%s: byte 0: expected magic \"%s\"", tp, TOKSHARD_TOK_MAGIC);
        goto fail;
    }
    if (get_u32(t + 8) != TOKSHARD_VERSION) {
        err_set(e, "%s: byte 8: version %u, expected %u", tp, get_u32(t + 8), TOKSHARD_VERSION);
        goto fail;
    }
    s->bytes_per_token = get_u32(t + 12);
    s->n_tokens = get_u64(t + 16);
    s->vocab_size = get_u32(t + 24);
    s->eot_id = get_u32(t + 28);
    memcpy(s->tokenizer_sha256, t + 32, 32);
    if (s->bytes_per_token != 2 && s->bytes_per_token != 4) {
        err_set(e, "%s: byte 12: bytes per token %u, expected 2 or 4", tp, s->bytes_per_token);
        goto fail;
    }
    if (s->vocab_size == 0 || (s->bytes_per_token == 2 && s->vocab_size > 65536)) {
        err_set(e, "%s: byte 24: vocabulary size %u does not fit %u-byte tokens", tp, s->vocab_size,
                s->bytes_per_token);
        goto fail;
    }
    if (s->eot_id >= s->vocab_size) {
        err_set(e, "%s: byte 28: end-of-text id %u outside the vocabulary of %u", tp, s->eot_id,
                s->vocab_size);
        goto fail;
    }
    if (s->n_tokens > (s->tok_len - TOKSHARD_TOK_HEADER) / s->bytes_per_token ||
        s->tok_len != TOKSHARD_TOK_HEADER + s->n_tokens * s->bytes_per_token) {
        err_set(e, "%s: %zu bytes, expected %llu for %llu tokens (truncated or padded)", tp,
                s->tok_len, (unsigned long long)(TOKSHARD_TOK_HEADER + s->n_tokens * s->bytes_per_token),
                (unsigned long long)s->n_tokens);
        goto fail;
    }
    s->tokens = t + TOKSHARD_TOK_HEADER;

    if (s->idx_len < TOKSHARD_IDX_HEADER) {
        err_set(e, "%s: %zu bytes, shorter than the %d-byte header", ip, s->idx_len, TOKSHARD_IDX_HEADER);
        goto fail;
    }
    if (memcmp(x, TOKSHARD_IDX_MAGIC, 8) != 0) {
        err_set(e, "%s: byte 0: expected magic \"%s\"", ip, TOKSHARD_IDX_MAGIC);
        goto fail;
    }
    if (get_u32(x + 8) != TOKSHARD_VERSION) {
        err_set(e, "%s: byte 8: version %u, expected %u", ip, get_u32(x + 8), TOKSHARD_VERSION);
        goto fail;
    }
    s->n_docs = get_u64(x + 16);
    if (get_u64(x + 24) != s->n_tokens) {
        err_set(e, "%s: byte 24: %llu tokens, but %s holds %llu", ip,
                (unsigned long long)get_u64(x + 24), tp, (unsigned long long)s->n_tokens);
        goto fail;
    }
    if (s->n_docs > (s->idx_len - TOKSHARD_IDX_HEADER) / 24 ||
        s->idx_len != TOKSHARD_IDX_HEADER + s->n_docs * 24) {
        err_set(e, "%s: %zu bytes, expected %llu for %llu documents (truncated or padded)", ip,
                s->idx_len, (unsigned long long)(TOKSHARD_IDX_HEADER + s->n_docs * 24),
                (unsigned long long)s->n_docs);
        goto fail;
    }
    s->docs = (const tokshard_doc *)(x + TOKSHARD_IDX_HEADER);
    uint64_t at = 0;
    for (uint64_t i = 0; i < s->n_docs; i++) {
        if (s->docs[i].token_offset != at || s->docs[i].n_tokens == 0 ||
            s->docs[i].n_tokens > s->n_tokens - at) {
            err_set(e, "%s: byte %llu: document %llu spans tokens [%llu, +%llu), expected to start at %llu "
                    "and end by %llu", ip, (unsigned long long)(TOKSHARD_IDX_HEADER + 24 * i),
                    (unsigned long long)i, (unsigned long long)s->docs[i].token_offset,
                    (unsigned long long)s->docs[i].n_tokens, (unsigned long long)at,
                    (unsigned long long)s->n_tokens);
            goto fail;
        }
        at += s->docs[i].n_tokens;
    }
    if (at != s->n_tokens) {
        err_set(e, "%s: documents cover %llu tokens, the shard holds %llu", ip,
                (unsigned long long)at, (unsigned long long)s->n_tokens);
        goto fail;
    }
    return 0;
fail:
    tokshard_close(s);
    return -1;
}

void tokshard_read(const tokshard *s, uint64_t start, size_t n, uint32_t *out)
{
    for (size_t i = 0; i < n; i++) out[i] = tokshard_token(s, start + i);
}

int tokshard_verify(const tokshard *s, blalm_err *e)
{
    for (uint64_t i = 0; i < s->n_tokens; i++) {
        uint32_t id = tokshard_token(s, i);
        if (id >= s->vocab_size)
            return err_set(e, "token %llu (byte %llu): id %u outside the vocabulary of %u",
                           (unsigned long long)i,
                           (unsigned long long)(TOKSHARD_TOK_HEADER + i * s->bytes_per_token), id,
                           s->vocab_size);
    }
    for (uint64_t d = 0; d < s->n_docs; d++) {
        uint64_t last = s->docs[d].token_offset + s->docs[d].n_tokens - 1;
        if (tokshard_token(s, last) != s->eot_id)
            return err_set(e, "document %llu does not end with the end-of-text token %u",
                           (unsigned long long)d, s->eot_id);
        for (uint64_t t = s->docs[d].token_offset; t < last; t++)
            if (tokshard_token(s, t) == s->eot_id)
                return err_set(e, "token %llu (byte %llu): the end-of-text id %u inside document %llu",
                               (unsigned long long)t,
                               (unsigned long long)(TOKSHARD_TOK_HEADER + t * s->bytes_per_token), s->eot_id,
                               (unsigned long long)d);
    }
    return 0;
}

void tokshard_close(tokshard *s)
{
    if (s->tok_map) fmap_unmap(s->tok_map, s->tok_len);
    if (s->idx_map) fmap_unmap(s->idx_map, s->idx_len);
    memset(s, 0, sizeof *s);
}

int tokshard_concat(const char *out, const char *const *inputs, size_t n, const uint8_t expect_sha256[32],
                    blalm_err *e)
{
    if (n == 0) return err_set(e, "%s: no shards to join", out);
    tokshard first;
    if (tokshard_open(&first, inputs[0], e) != 0) return -1;
    if (expect_sha256) {
        /* the shards agreeing with each other is not enough: a re-tokenize
         * killed half-way leaves shards of two tokenizers, and all of one
         * split can be the other tokenizer's */
        for (size_t i = 0; i < n; i++) {
            tokshard s;
            if (tokshard_open(&s, inputs[i], e) != 0) {
                tokshard_close(&first);
                return -1;
            }
            int same = !memcmp(s.tokenizer_sha256, expect_sha256, 32);
            char have[65], want[65], base[4096];
            hex_digest(s.tokenizer_sha256, 32, have);
            hex_digest(expect_sha256, 32, want);
            tokshard_close(&s);
            if (!same) {
                base_path(inputs[i], base, sizeof base);
                tokshard_close(&first);
                return err_set(e, "%s.tok: byte 32: made by the tokenizer with sha256 %s, not by this one "
                               "(sha256 %s); tokenize again with this tokenizer", base, have, want);
            }
        }
    }
    tokshard_writer *w = tokshard_create(out, first.vocab_size, first.eot_id, first.tokenizer_sha256, e);
    if (!w) {
        tokshard_close(&first);
        return -1;
    }
    uint32_t *ids = NULL;
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        tokshard s;
        if (tokshard_open(&s, inputs[i], e) != 0) {
            rc = -1;
            break;
        }
        if (s.vocab_size != first.vocab_size || s.eot_id != first.eot_id ||
            memcmp(s.tokenizer_sha256, first.tokenizer_sha256, 32) != 0) {
            rc = err_set(e, "%s: vocabulary %u, end-of-text %u or tokenizer differs from %s's (%u, %u): "
                         "shards of different tokenizers", inputs[i], s.vocab_size, s.eot_id, inputs[0],
                         first.vocab_size, first.eot_id);
        }
        for (uint64_t d = 0; d < s.n_docs && !rc; d++) {
            const tokshard_doc *x = &s.docs[d];
            /* the writer appends the end-of-text token itself */
            size_t k = (size_t)x->n_tokens - 1;
            if (tokshard_token(&s, x->token_offset + k) != s.eot_id) {
                rc = err_set(e, "%s: document %llu does not end with the end-of-text token %u", inputs[i],
                             (unsigned long long)d, s.eot_id);
                break;
            }
            if (k > cap) {
                size_t nc = k > 2 * cap ? k : 2 * cap;
                uint32_t *ni = realloc(ids, nc * sizeof *ni);
                if (!ni) {
                    rc = err_set(e, "%s: out of memory", out);
                    break;
                }
                ids = ni;
                cap = nc;
            }
            tokshard_read(&s, x->token_offset, k, ids);
            for (size_t j = 0; j < k && !rc; j++) {
                /* an end-of-text inside a document (a shard another tool
                 * wrote, or edited) ends it early for the model while the
                 * index's boundaries and word counts say otherwise; blalm's
                 * encoder never emits it in a shard (special text stays
                 * text there) */
                if (ids[j] < s.vocab_size && ids[j] != s.eot_id) continue;
                char base[4096];   /* named in this input, not in the joined output */
                uint64_t t = x->token_offset + j;
                base_path(inputs[i], base, sizeof base);
                unsigned long long at = TOKSHARD_TOK_HEADER + t * s.bytes_per_token;
                if (ids[j] >= s.vocab_size)
                    rc = err_set(e, "%s.tok: byte %llu: token %llu (document %llu): id %u outside the vocabulary "
                                    "of %u", base, at, (unsigned long long)t, (unsigned long long)d, ids[j],
                                 s.vocab_size);
                else
                    rc = err_set(e, "%s.tok: byte %llu: token %llu (document %llu): the end-of-text id %u inside "
                                    "the document (it may only end one)", base, at, (unsigned long long)t,
                                 (unsigned long long)d, ids[j]);
            }
            if (!rc) rc = tokshard_add_doc(w, ids, k, x->words, e);
        }
        tokshard_close(&s);
    }
    free(ids);
    tokshard_close(&first);
    if (rc) {
        tokshard_abort(w);
        return -1;
    }
    return tokshard_commit(w, e);
}
