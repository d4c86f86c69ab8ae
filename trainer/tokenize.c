/* tokenize.c - corpus -> token shards, resumable and shardable (tokenize.h). */
#include "trainer/tokenize.h"

#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/corpus.h"
#include "lib/fmap.h"
#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/marker.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"
#include "trainer/tokshard.h"

#define STAGE "tokenize"

typedef struct unit {
    corpus_file *f;
    char out[8192];          /* OUT/<split>/<file> (without .tok/.idx) */
    marker_key *key;
    int mine, done;          /* owned by this shard; finished (before or now) */
    int done_before;
    uint64_t docs, tokens, words, bytes, word_mismatch;
    int failed;
    blalm_err err;
} unit;

typedef struct run_ctx {
    const tokenize_opts *o;
    tokenize_progress cb;
    void *cb_arg;
    uint64_t done_bytes, total_bytes;
} run_ctx;

static void warnf(const tokenize_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warnf(const tokenize_opts *o, const char *fmt, ...)
{
    if (!o->warn) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->warn(o->warn_arg, msg);
}

static void progress_add(run_ctx *x, uint64_t n)
{
#pragma omp critical(tokenize_progress)
    {
        x->done_bytes += n;
        if (x->cb) x->cb(x->cb_arg, x->done_bytes, x->total_bytes);
    }
}

/* The unit's completion key: tokenizer, file identity, document list, mode. */
static marker_key *unit_key(const corpus_file *f, const char *tok_sha, int blank_lines, blalm_err *e)
{
    marker_key *k = marker_key_new(STAGE);
    if (!k) {
        err_set(e, "%s: out of memory", f->path);
        return NULL;
    }
    marker_key_setting(k, "format", "tokshard 1");
    marker_key_setting(k, "tokenizer_sha256", tok_sha);
    if (marker_key_file(k, f->rel, f->path, e) != 0) {
        marker_key_free(k);
        return NULL;
    }
    if (blank_lines) {
        marker_key_setting(k, "boundaries", "blank lines, CRLF too");   /* LF only before: such shards are redone */
    } else {
        marker_key_setting(k, "boundaries", "documents.jsonl.zst");
        marker_key_settingf(k, "documents", "%zu %016llx", f->n_docs,
                            (unsigned long long)corpus_file_docs_hash(f));
    }
    return k;
}

static int num_u64(const cJSON *o, const char *k, uint64_t *v)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!cJSON_IsNumber(x) || x->valuedouble < 0 || x->valuedouble != (double)(uint64_t)x->valuedouble)
        return -1;
    *v = (uint64_t)x->valuedouble;
    return 0;
}

/* A DONE marker's counts, if its shard still opens with them. */
static int load_done(const char *state, unit *u, int blank_lines)
{
    blalm_err e;
    char *res = marker_result(state, STAGE, u->f->rel, &e);
    if (!res) return 0;
    cJSON *o = cJSON_Parse(res);
    free(res);
    int ok = o && !num_u64(o, "docs", &u->docs) && !num_u64(o, "tokens", &u->tokens) &&
             !num_u64(o, "words", &u->words) && !num_u64(o, "bytes", &u->bytes) &&
             !num_u64(o, "word_mismatch", &u->word_mismatch);
    cJSON_Delete(o);
    tokshard sh;
    if (!ok || tokshard_open(&sh, u->out, &e) != 0) return 0;
    ok = sh.n_docs == u->docs && sh.n_tokens == u->tokens && (blank_lines || u->f->n_docs == u->docs);
    tokshard_close(&sh);
    return ok;
}

/* Makes u's key and, unless force, marks u done when its marker is DONE and
 * its shard intact. */
static int check_unit(const char *state, unit *u, const char *sha, int blank_lines, int force, blalm_err *e)
{
    u->key = unit_key(u->f, sha, blank_lines, e);
    if (!u->key) return -1;
    if (force) return 0;
    char why[512];
    int st = marker_check(state, STAGE, u->f->rel, u->key, why, sizeof why, e);
    if (st < 0) return -1;
    if (st == MARKER_DONE && load_done(state, u, blank_lines)) u->done = 1;
    else u->docs = u->tokens = u->words = u->bytes = u->word_mismatch = 0;
    return 0;
}

/* Documents encoded together: at most this many, or this many bytes of
 * text (at least one document), then written in order. */
#define BATCH_DOCS 1024
#define BATCH_BYTES (4u << 20)

/* One document's encoding, made by any thread, written by the main one. */
typedef struct doc_ids {
    uint32_t *ids;
    size_t n;
    uint64_t words;
    int failed;
    blalm_err err;
} doc_ids;

/* Encodes docs [i0, i1) of f (text m) into out[0 .. i1 - i0), with the
 * threads' encoders enc[0 .. threads): which thread encodes a document does
 * not change its ids, so the shard is the same bytes for any count. */
static void encode_batch(bpe_encoder **enc, int threads, const corpus_file *f, const char *m, size_t i0,
                         size_t i1, doc_ids *out)
{
    int nt = (size_t)threads < i1 - i0 ? threads : (int)(i1 - i0);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt)
    for (size_t i = i0; i < i1; i++) {
        doc_ids *d = &out[i - i0];
        const char *text = m + f->docs[i].offset;
        size_t len = (size_t)f->docs[i].length, k = 0;
        const uint32_t *ids = bpe_encode(enc[omp_get_thread_num()], text, len, 0, &k, &d->err);
        d->ids = ids ? malloc((k ? k : 1) * sizeof *d->ids) : NULL;
        if (!ids) {
            d->failed = 1;
        } else if (!d->ids) {
            err_set(&d->err, "out of memory for %zu token ids", k);
            d->failed = 1;
        } else {
            memcpy(d->ids, ids, k * sizeof *ids);
            d->n = k;
            d->words = words_in(text, len);
        }
    }
}

static int encode_unit(bpe_encoder **enc, int threads, unit *u, int blank_lines, run_ctx *x)
{
    blalm_err *e = &u->err;
    corpus_file *f = u->f;
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return err_errno(e, "%s", f->path);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return err_errno(e, "%s: stat", f->path);
    }
    size_t n = (size_t)st.st_size;
    const char *m = "";
    if (n > 0) {
        void *p = fmap_map(fd, n, MAP_PRIVATE, f->path);
        if (p == MAP_FAILED) {
            close(fd);
            return err_errno(e, "%s: mmap", f->path);
        }
        m = p;
    }
    close(fd);
    int rc = -1;
    tokshard_writer *w = NULL;
    doc_ids *batch = calloc(BATCH_DOCS, sizeof *batch);
    if (!batch) {
        err_set(e, "%s: out of memory", f->path);
        goto done;
    }
    size_t ws_lines = 0;
    if (blank_lines && corpus_blank_line_docs(f, m, n, &ws_lines, e) != 0) goto done;
    if (ws_lines)
        warnf(x->o, "%s: %zu line%s of only spaces or tabs, not taken as document boundaries (only empty lines "
              "are, as in the BabyLM layout)", f->path, ws_lines, ws_lines == 1 ? "" : "s");
    for (size_t i = 0; i < f->n_docs; i++)
        if (f->docs[i].offset > n || f->docs[i].length > n - f->docs[i].offset) {
            /* the file changed since corpus_open checked it */
            err_set(e, "%s: document %zu spans bytes [%llu, +%llu), past the end of the file (%zu bytes); "
                    "documents.jsonl.zst does not match the corpus", f->path, i,
                    (unsigned long long)f->docs[i].offset, (unsigned long long)f->docs[i].length, n);
            goto done;
        }
    if (mkdir_parent(u->out, e) != 0) goto done;
    w = tokshard_create(u->out, bpe_vocab_size(x->o->tok), bpe_eot_id(x->o->tok), bpe_json_sha256(x->o->tok), e);
    if (!w) goto done;
    for (size_t i0 = 0; i0 < f->n_docs;) {
        size_t i1 = i0 + 1, bytes = (size_t)f->docs[i0].length;
        while (i1 < f->n_docs && i1 - i0 < BATCH_DOCS && bytes + (size_t)f->docs[i1].length <= BATCH_BYTES)
            bytes += (size_t)f->docs[i1++].length;
        memset(batch, 0, (i1 - i0) * sizeof *batch);
        encode_batch(enc, threads, f, m, i0, i1, batch);
        int bad = 0;
        for (size_t i = i0; i < i1; i++) {
            doc_ids *d = &batch[i - i0];
            if (!bad && d->failed) {
                *e = d->err;
                err_prefix(e, "%s: document %zu (byte %llu)", f->path, i, (unsigned long long)f->docs[i].offset);
                bad = 1;
            }
            if (!bad && tokshard_add_doc(w, d->ids, d->n, d->words, e) != 0) bad = 1;
            if (!bad) {
                if (f->docs[i].has_words && f->docs[i].words != d->words) u->word_mismatch++;
                u->words += d->words;
                u->bytes += (size_t)f->docs[i].length;
                progress_add(x, (size_t)f->docs[i].length);
            }
            free(d->ids);
        }
        if (bad) goto done;
        i0 = i1;
    }
    u->tokens = tokshard_writer_tokens(w);
    u->docs = tokshard_writer_docs(w);
    rc = tokshard_commit(w, e);
    w = NULL;
done:
    tokshard_abort(w);
    free(batch);
    if (n > 0) fmap_unmap((void *)m, n);
    return rc;
}

static int commit_unit(const char *state, unit *u)
{
    sbuf b;
    sb_init(&b);
    sb_printf(&b, "{\"docs\": %llu, \"tokens\": %llu, \"words\": %llu, \"bytes\": %llu, \"word_mismatch\": %llu}",
              (unsigned long long)u->docs, (unsigned long long)u->tokens, (unsigned long long)u->words,
              (unsigned long long)u->bytes, (unsigned long long)u->word_mismatch);
    int rc = marker_commit(state, STAGE, u->f->rel, u->key, sb_cstr(&b), &u->err);
    sb_free(&b);
    return rc;
}

/* The tokenizer as tokens.json records it for `train --tokens OUT`, which
 * may run anywhere: relative to OUT when it lies inside OUT (so the folder
 * moves whole), else absolute; as given only when it cannot be resolved
 * (a name that is no file, as in tests). OUT exists. */
static void recorded_name(const char *name, const char *out, char *rec, size_t cap)
{
    char t[PATH_MAX], d[PATH_MAX];
    if (!realpath(name, t)) {
        snprintf(rec, cap, "%s", name);
        return;
    }
    size_t k = realpath(out, d) ? strlen(d) : 0;
    if (k && !strncmp(t, d, k) && t[k] == '/') snprintf(rec, cap, "%s", t + k + 1);
    else snprintf(rec, cap, "%s", t);
}

/* OUT/tokens.json: what was written, for people and for the trainer. */
static int write_manifest(const tokenize_opts *o, const unit *us, size_t nf, const char *sha, int blank_lines,
                          blalm_err *e)
{
    const bpe_tokenizer *t = o->tok;
    if (mkdir_p(o->out, e) != 0) return -1;
    char name[PATH_MAX];
    recorded_name(o->tokenizer_name ? o->tokenizer_name : "", o->out, name, sizeof name);
    uint64_t docs = 0, tokens = 0, words = 0;
    sbuf m;
    sb_init(&m);
    sb_adds(&m, "{\n  \"tokenizer\": ");
    sb_json_str(&m, name, strlen(name));
    sb_printf(&m, ",\n  \"tokenizer_sha256\": \"%s\",\n  \"vocab_size\": %u,\n  \"eot_id\": %u,\n"
              "  \"boundaries\": \"%s\",\n  \"files\": [", sha, bpe_vocab_size(t), bpe_eot_id(t),
              blank_lines ? "blank lines" : "documents.jsonl.zst");
    for (size_t i = 0; i < nf; i++) {
        const unit *u = &us[i];
        sb_adds(&m, i ? ",\n    {\"file\": " : "\n    {\"file\": ");
        sb_json_str(&m, u->f->rel, strlen(u->f->rel));
        sb_printf(&m, ", \"docs\": %llu, \"tokens\": %llu, \"words\": %llu, \"bytes\": %llu}",
                  (unsigned long long)u->docs, (unsigned long long)u->tokens, (unsigned long long)u->words,
                  (unsigned long long)u->bytes);
        docs += u->docs;
        tokens += u->tokens;
        words += u->words;
    }
    sb_printf(&m, "\n  ],\n  \"docs\": %llu,\n  \"tokens\": %llu,\n  \"words\": %llu\n}\n",
              (unsigned long long)docs, (unsigned long long)tokens, (unsigned long long)words);
    char mp[8192];
    snprintf(mp, sizeof mp, "%s/tokens.json", o->out);
    int rc = write_file_atomic(mp, m.data, m.len, e) != 0 ? -1 : 0;
    sb_free(&m);
    return rc;
}

int tokenize_run(const tokenize_opts *o, tokenize_counts *c, tokenize_progress cb, void *cb_arg, blalm_err *e)
{
    memset(c, 0, sizeof *c);
    if (!o->tok || bpe_eot_id(o->tok) == BPE_NO_ID)
        return err_set(e, "%s: the tokenizer has no %s token to end documents with",
                       o->tokenizer_name ? o->tokenizer_name : "tokenizer", BPE_EOT);
    static const uint8_t zero[32];
    if (!memcmp(bpe_json_sha256(o->tok), zero, 32))
        return err_set(e, "%s: the tokenizer was never saved as tokenizer.json, so it has no identity to "
                       "record in shards and completion markers", o->tokenizer_name ? o->tokenizer_name : "tokenizer");
    char state[8192];
    if (o->state_dir) snprintf(state, sizeof state, "%s", o->state_dir);
    else snprintf(state, sizeof state, "%s/state", o->out);
    corpus cp;
    if (corpus_open(&cp, o->corpus, e) != 0) return -1;
    /* read as it is, only dev/ was tokenized, and the run said nothing */
    if (corpus_refuse_download(o->corpus, "tokenize", e) < 0) {
        corpus_close(&cp);
        return -1;
    }
    if (cp.n_files == 0) {
        corpus_close(&cp);
        return err_set(e, "%s: no split files (expected the BabyLM layout DIR/train/*.train, DIR/dev/*.dev)",
                       o->corpus);
    }
    int blank_lines = !cp.has_index;
    c->blank_lines = blank_lines;
    c->files = cp.n_files;
    if (blank_lines)
        warnf(o, "%s not found; taking blank lines as document boundaries (documents that hold blank lines "
              "are split)", cp.index_path);
    char sha[65];
    hex_digest(bpe_json_sha256(o->tok), 32, sha);
    shard_spec sh = o->shard.count >= 1 ? o->shard : SHARD_ONE;
    unit *us = calloc(cp.n_files, sizeof *us);
    int rc = 0;
    if (!us) {
        corpus_close(&cp);
        return err_set(e, "%s: out of memory", o->corpus);
    }
    run_ctx x = {o, cb, cb_arg, 0, 0};
    for (size_t i = 0; i < cp.n_files && !rc; i++) {
        unit *u = &us[i];
        u->f = &cp.files[i];
        snprintf(u->out, sizeof u->out, "%s/%s", o->out, u->f->rel);
        u->mine = shard_owns(&sh, i);
        if (!u->mine) continue; /* looked at after this shard's work */
        if (!blank_lines && u->f->n_docs == 0 && u->f->size > 0)
            warnf(o, "%s: no documents listed in %s; the shard is empty", u->f->path, cp.index_path);
        x.total_bytes += u->f->size;
        rc = check_unit(state, u, sha, blank_lines, o->force, e);
        u->done_before = u->done;
    }
    if (rc) goto end;
    if (cb) cb(cb_arg, 0, x.total_bytes);
    for (size_t i = 0; i < cp.n_files; i++)
        if (us[i].done_before) progress_add(&x, us[i].bytes);
    /* files one after another, each file's documents over the threads (a
     * corpus is often one big train file per source) */
    int nthreads = o->threads > 0 ? o->threads : 1;
    bpe_encoder **enc = calloc((size_t)nthreads, sizeof *enc);
    if (!enc) rc = err_set(e, "out of memory");
    for (int t = 0; enc && t < nthreads && !rc; t++)
        if (!(enc[t] = bpe_encoder_new(o->tok, e))) rc = -1;
    int manifest_gone = 0;
    for (size_t i = 0; i < cp.n_files && !rc; i++) {
        unit *u = &us[i];
        if (!u->mine || u->done) continue;
        /* tokens.json means "every shard is done": a shard about to change
         * (perhaps to another tokenizer's ids) takes it away first, so a run
         * killed from here on leaves no tokens.json naming the old shards */
        if (!manifest_gone) {
            char mp[8192];
            snprintf(mp, sizeof mp, "%s/tokens.json", o->out);
            if (unlink_durable(mp, &u->err) != 0) {
                u->failed = 1;
                break;
            }
            manifest_gone = 1;
        }
        /* redone from here: a marker stays only beside what it proves */
        if (marker_remove(state, STAGE, u->f->rel, &u->err) < 0) {
            u->failed = 1;
            break;
        }
        if (encode_unit(enc, nthreads, u, blank_lines, &x) == 0 && commit_unit(state, u) == 0) u->done = 1;
        else u->failed = 1;
        if (u->failed) break; /* the first error stops the run; finished shards keep their markers */
    }
    for (int t = 0; enc && t < nthreads; t++) bpe_encoder_free(enc[t]);
    free(enc);
    for (size_t i = 0; i < cp.n_files; i++) {
        unit *u = &us[i];
        if (u->failed && !rc) {
            *e = u->err;
            rc = -1;
        }
        if (!u->mine) continue;
        c->files_mine++;
        c->files_done_before += (size_t)u->done_before;
        c->docs += u->docs;
        c->tokens += u->tokens;
        c->words += u->words;
        c->bytes += u->bytes;
        c->word_mismatch += u->word_mismatch;
    }
    if (rc) goto end;
    /* other shards' files, now that ours are committed: the last worker to
     * finish sees every marker and writes tokens.json */
    int all = 1;
    for (size_t i = 0; i < cp.n_files && all && !rc; i++) {
        if (!us[i].mine) rc = check_unit(state, &us[i], sha, blank_lines, 0, e);
        all = us[i].done;
    }
    if (rc) goto end;
    if (all) {
        if (write_manifest(o, us, cp.n_files, sha, blank_lines, e) != 0) rc = -1;
        else c->manifest_written = 1;
    }
end:
    for (size_t i = 0; i < cp.n_files; i++) marker_key_free(us[i].key);
    free(us);
    corpus_close(&cp);
    return rc;
}
