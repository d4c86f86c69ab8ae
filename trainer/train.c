/* train.c - a training run, following the BabyLM rules.
 *
 * RUN/config.json           model config (vocab_size = the tokenizer's)
 * RUN/tokenizer.json        trained on the corpus' train split unless given
 * RUN/tokens/corpus/        the corpus tokenized by the one shard builder
 *                           (trainer/tokenize.h; markers in RUN/state), or
 *                           --tokens DIR, blalm tokenize's output
 * RUN/tokens/{train,dev}.{tok,idx}   each split's shards joined (tokshard.h),
 *                           rejoined when a marker (RUN/state/train-tokens)
 *                           says an input shard changed
 * RUN/log.jsonl             a start line (step 0: data order, seed, sizes), one
 *                           line per logged step and per evaluation
 * RUN/checkpoints/latest.bin, chck_<N>M.bin
 *
 * The train tokens (documents in corpus order, each closed by the
 * end-of-text token) are cut into windows of S + 1 tokens starting every S
 * tokens; every epoch reads the windows in a new order drawn from
 * train.shuffle_seed and the epoch number (train_window_order, train.h), B
 * windows a step, so a resume needs only (epoch, position in the epoch).
 * Words seen add, for every target token, its document's words / tokens, so
 * a partly consumed document counts in proportion. */
#include "trainer/train.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "lib/config.h"
#include "lib/corpus.h"
#include "lib/fsutil.h"
#include "lib/marker.h"
#include "lib/hash.h"
#include "lib/progress.h"
#include "lib/sighold.h"
#include "lib/utf8.h"
#include "lib/zio.h"
#include "trainer/optim.h"
#include "trainer/parallel.h"
#include "trainer/tokenize.h"
#include "trainer/tokenizer.h"
#include "trainer/tokshard.h"

/* ------------------------------------------------------------ checkpoints */

/* Every model field must agree (model_config_diff names the first that does not). */
static int arch_mismatch(const model_config *a, const model_config *b, char *what, size_t cap)
{
    char d[160];
    if (!model_config_diff(a, b, d, sizeof d)) return 0;
    snprintf(what, cap, "%s (the checkpoint's vs this config's)", d);
    return 1;
}

int ckpt_save(const char *path, model *m, optimizer *o, optim_kind kind, const ckpt_pos *p,
              blalm_err *e)
{
    cJSON *h = cJSON_CreateObject();
    cJSON_AddItemToObject(h, "config", model_config_to_json(model_cfg(m)));
    cJSON_AddStringToObject(h, "optimizer", kind == OPT_MUON ? "muon" : "adamw");
    cJSON_AddNumberToObject(h, "step", (double)p->step);
    cJSON_AddNumberToObject(h, "total_steps", (double)p->total_steps);
    cJSON_AddNumberToObject(h, "data_pos", (double)p->data_pos);
    cJSON_AddNumberToObject(h, "epoch", (double)p->epoch);
    cJSON_AddNumberToObject(h, "tokens_seen", (double)p->tokens_seen);
    cJSON_AddNumberToObject(h, "words_seen", p->words_seen);
    cJSON_AddNumberToObject(h, "next_milestone", p->next_milestone);
    char rng[32];
    snprintf(rng, sizeof rng, "%016llx", (unsigned long long)p->rng);
    cJSON_AddStringToObject(h, "rng", rng);
    cJSON_AddNumberToObject(h, "train_tokens", (double)p->train_tokens);
    if (p->train_hash) {
        char th[32];
        snprintf(th, sizeof th, "%016llx", (unsigned long long)p->train_hash);
        cJSON_AddStringToObject(h, "train_hash", th);
    }
    cJSON_AddStringToObject(h, "track", p->track == TRACK_STRICT         ? "strict"
                                        : p->track == TRACK_STRICT_SMALL ? "strict-small"
                                                                         : "none");
    cJSON_AddNumberToObject(h, "optimizer_steps", o ? (double)*optim_step_count(o) : 0);
    if (p->tokenizer_sha256[0]) cJSON_AddStringToObject(h, "tokenizer_sha256", p->tokenizer_sha256);
    if (p->words_scale != 1.0) {
        cJSON_AddNumberToObject(h, "test_words_scale", p->words_scale);
        cJSON_AddFalseToObject(h, "babylm_compliant");
    }
    char *js = json_print(h, 0);
    cJSON_Delete(h);
    size_t hl = strlen(js), np = model_num_params(m), no = o ? optim_state_floats(o) : 0;
    size_t total = 8 + 4 + 4 + 8 + hl + 8 + np * 4 + 8 + no * 4 + 8;
    unsigned char *buf = malloc(total), *q = buf;
    if (!buf) {
        free(js);
        return err_set(e, "%s: out of memory", path);
    }
    uint32_t ver = CKPT_VERSION, res = 0;
    uint64_t hl64 = hl, np64 = np, no64 = no;
    memcpy(q, CKPT_MAGIC, 8), q += 8;
    memcpy(q, &ver, 4), q += 4;
    memcpy(q, &res, 4), q += 4;
    memcpy(q, &hl64, 8), q += 8;
    memcpy(q, js, hl), q += hl;
    memcpy(q, &np64, 8), q += 8;
    memcpy(q, model_params(m), np * 4), q += np * 4;
    memcpy(q, &no64, 8), q += 8;
    if (no) memcpy(q, optim_state(o), no * 4), q += no * 4;
    uint64_t sum = xxh64(buf, (size_t)(q - buf), 0);
    memcpy(q, &sum, 8);
    free(js);
    int rc = write_file_atomic(path, buf, total, e);
    free(buf);
    return rc;
}

/* Reads and checks the file; returns the buffer and the parsed header. */
static unsigned char *ckpt_read(const char *path, size_t *len, cJSON **hdr, size_t *hdr_end,
                                blalm_err *e)
{
    char *data;
    if (read_file(path, &data, len, e) < 0) return NULL;
    unsigned char *b = (unsigned char *)data;
    uint32_t ver;
    uint64_t hl, sum;
    if (*len < 32 || memcmp(b, CKPT_MAGIC, 8)) {
        err_set(e, "%s: not a blalm checkpoint (magic %s expected at byte 0)", path, CKPT_MAGIC);
        goto bad;
    }
    memcpy(&ver, b + 8, 4);
    if (ver != CKPT_VERSION) {
        err_set(e, "%s: checkpoint version %u, this blalm reads version %u", path, ver, CKPT_VERSION);
        goto bad;
    }
    memcpy(&sum, b + *len - 8, 8);
    if (xxh64(b, *len - 8, 0) != sum) {
        err_set(e, "%s: checksum mismatch: the checkpoint is truncated or corrupt (%zu bytes)", path,
                *len);
        goto bad;
    }
    memcpy(&hl, b + 16, 8);
    if (hl > *len - 32) {
        err_set(e, "%s: header length %llu runs past the end", path, (unsigned long long)hl);
        goto bad;
    }
    *hdr = cJSON_ParseWithLength((const char *)b + 24, hl);
    if (!*hdr) {
        err_set(e, "%s: checkpoint header at byte 24 is not valid JSON", path);
        goto bad;
    }
    *hdr_end = 24 + hl;
    return b;
bad:
    free(data);
    return NULL;
}

static double jnum(const cJSON *h, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(h, k);
    return cJSON_IsNumber(x) ? x->valuedouble : 0;
}

static void pos_from_header(const cJSON *h, ckpt_pos *p)
{
    p->step = (long)jnum(h, "step");
    p->total_steps = (long)jnum(h, "total_steps");
    p->data_pos = (uint64_t)jnum(h, "data_pos");
    p->epoch = (uint64_t)jnum(h, "epoch");
    p->tokens_seen = (uint64_t)jnum(h, "tokens_seen");
    p->words_seen = jnum(h, "words_seen");
    p->next_milestone = (int)jnum(h, "next_milestone");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(h, "rng");
    p->rng = cJSON_IsString(r) ? strtoull(r->valuestring, NULL, 16) : 0;
    p->train_tokens = (uint64_t)jnum(h, "train_tokens");
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(h, "train_hash");
    p->train_hash = cJSON_IsString(th) ? strtoull(th->valuestring, NULL, 16) : 0;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(h, "track");
    p->track = !cJSON_IsString(t)                        ? TRACK_NONE
               : !strcmp(t->valuestring, "strict")       ? TRACK_STRICT
               : !strcmp(t->valuestring, "strict-small") ? TRACK_STRICT_SMALL
                                                         : TRACK_NONE;
    const cJSON *ws = cJSON_GetObjectItemCaseSensitive(h, "test_words_scale");
    p->words_scale = cJSON_IsNumber(ws) ? ws->valuedouble : 1.0;
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(h, "tokenizer_sha256");
    p->tokenizer_sha256[0] = 0;
    if (cJSON_IsString(ts) && strlen(ts->valuestring) == 64)
        memcpy(p->tokenizer_sha256, ts->valuestring, 65);
}

int ckpt_check_tokenizer(const char *ckpath, const ckpt_pos *p, const char *tokpath, int vocab, blalm_err *e)
{
    if (!p->tokenizer_sha256[0]) return 0;   /* not recorded: a checkpoint of an older blalm */
    char hex[65];
    if (sha256_file_hex(tokpath, hex, e) < 0) return -1;
    if (strcmp(hex, p->tokenizer_sha256)) {
        /* another size of vocabulary says more than another hash */
        blalm_err le;
        bpe_tokenizer *t = bpe_load(tokpath, &le);
        unsigned nv = t ? bpe_vocab_size(t) : 0;
        bpe_free(t);
        /* a file that is no tokenizer (truncated, corrupt) is named as such,
         * not as another tokenizer */
        if (!t) {
            *e = le;
            return -1;
        }
        if ((int)nv != vocab) return err_set(e, "%s: vocabulary %u, the model has %d", tokpath, nv, vocab);
        return err_set(e, "%s: trained with another tokenizer (sha256 %.16s...) than %s (sha256 %.16s...): its "
                          "token ids would be read as other words; use the checkpoint in the run that trained "
                          "it", ckpath, p->tokenizer_sha256, tokpath, hex);
    }
    return 0;
}

static optim_kind kind_from_header(const cJSON *h)
{
    const cJSON *oj = cJSON_GetObjectItemCaseSensitive(h, "optimizer");
    return cJSON_IsString(oj) && !strcmp(oj->valuestring, "muon") ? OPT_MUON : OPT_ADAMW;
}

/* A checkpoint read into memory once: a resume validates its header and
 * loads its weights from the same bytes (read twice, another writer could
 * replace the file between: the position of one step with the state of
 * another). */
typedef struct ckpt_buf {
    unsigned char *b;
    size_t len, he;
    cJSON *h;
} ckpt_buf;

static int ckpt_buf_read(const char *path, ckpt_buf *cb, blalm_err *e)
{
    memset(cb, 0, sizeof *cb);
    cb->b = ckpt_read(path, &cb->len, &cb->h, &cb->he, e);
    return cb->b ? 0 : -1;
}

static void ckpt_buf_free(ckpt_buf *cb)
{
    cJSON_Delete(cb->h);
    free(cb->b);
    memset(cb, 0, sizeof *cb);
}

static int ckpt_meta_from(const ckpt_buf *cb, const char *path, model_config *c, ckpt_pos *p, optim_kind *kind,
                          blalm_err *e)
{
    int rc = 0;
    if (c) rc = model_config_from_json(cJSON_GetObjectItemCaseSensitive(cb->h, "config"), c, path, e);
    if (p) pos_from_header(cb->h, p);
    if (kind) *kind = kind_from_header(cb->h);
    return rc;
}

int ckpt_read_meta(const char *path, model_config *c, ckpt_pos *p, optim_kind *kind, blalm_err *e)
{
    ckpt_buf cb;
    if (ckpt_buf_read(path, &cb, e) < 0) return -1;
    int rc = ckpt_meta_from(&cb, path, c, p, kind, e);
    ckpt_buf_free(&cb);
    return rc;
}

int ckpt_read_config(const char *path, model_config *c, blalm_err *e)
{
    size_t len, he;
    cJSON *h;
    unsigned char *b = ckpt_read(path, &len, &h, &he, e);
    if (!b) return -1;
    int rc = model_config_from_json(cJSON_GetObjectItemCaseSensitive(h, "config"), c, path, e);
    cJSON_Delete(h);
    free(b);
    return rc;
}

static int ckpt_load_from(const ckpt_buf *cb, const char *path, model *m, optimizer *o, optim_kind *kind,
                          ckpt_pos *p, blalm_err *e)
{
    const unsigned char *b = cb->b;
    size_t len = cb->len;
    const cJSON *h = cb->h;
    model_config c;
    char what[200];
    if (model_config_from_json(cJSON_GetObjectItemCaseSensitive(h, "config"), &c, path, e) < 0) return -1;
    if (arch_mismatch(&c, model_cfg(m), what, sizeof what))
        return err_set(e, "%s: checkpoint from another model config: %s", path, what);
    uint64_t np, no;
    size_t off = cb->he;
    memcpy(&np, b + off, 8), off += 8;
    if (np != model_num_params(m) || off + np * 4 + 8 > len - 8)
        return err_set(e, "%s: %llu parameters in the checkpoint, the model has %zu", path,
                       (unsigned long long)np, model_num_params(m));
    memcpy(model_params(m), b + off, np * 4), off += np * 4;
    memcpy(&no, b + off, 8), off += 8;
    if (off + no * 4 != len - 8)
        return err_set(e, "%s: optimiser state of %llu floats does not fit the file", path,
                       (unsigned long long)no);
    if (kind) *kind = kind_from_header(h);
    if (o) {
        if (no != optim_state_floats(o))
            return err_set(e, "%s: optimiser state has %llu floats, expected %zu", path,
                           (unsigned long long)no, optim_state_floats(o));
        memcpy(optim_state(o), b + off, no * 4);
        *optim_step_count(o) = (long)jnum(h, "optimizer_steps");
    }
    if (p) pos_from_header(h, p);
    return 0;
}

int ckpt_load(const char *path, model *m, optimizer *o, optim_kind *kind, ckpt_pos *p,
              blalm_err *e)
{
    ckpt_buf cb;
    if (ckpt_buf_read(path, &cb, e) < 0) return -1;
    int rc = ckpt_load_from(&cb, path, m, o, kind, p, e);
    ckpt_buf_free(&cb);
    return rc;
}

/* ------------------------------------------------------------ resume */

/* Keys whose change does not alter the trajectory of a run. */
static int resume_may_change(const char *path)
{
    static const char *const ok[] = {"name", "train.log_every", "train.eval_every",
                                     "train.eval_batches", "train.checkpoint_every", NULL};
    for (int i = 0; ok[i]; i++)
        if (!strcmp(path, ok[i])) return 1;
    return 0;
}

static void json_value_text(const cJSON *v, char *out, size_t cap)
{
    if (!v) snprintf(out, cap, "absent");
    else if (cJSON_IsNumber(v)) snprintf(out, cap, "%.17g", v->valuedouble);
    else if (cJSON_IsString(v)) snprintf(out, cap, "\"%s\"", v->valuestring);
    else if (cJSON_IsBool(v)) snprintf(out, cap, "%s", cJSON_IsTrue(v) ? "true" : "false");
    else {
        char *t = json_print(v, 0);
        snprintf(out, cap, "%s", t ? t : "?");
        free(t);
    }
}

/* First key of a or b (objects, walked recursively) whose values differ. */
static int json_diff(const cJSON *a, const cJSON *b, const char *prefix, char *what, size_t cap)
{
    for (int pass = 0; pass < 2; pass++) {
        const cJSON *from = pass ? b : a, *other = pass ? a : b, *x;
        cJSON_ArrayForEach(x, from)
        {
            char path[256];
            snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", x->string);
            if (resume_may_change(path)) continue;
            const cJSON *y = cJSON_GetObjectItemCaseSensitive(other, x->string);
            const cJSON *va = pass ? y : x, *vb = pass ? x : y;
            if (va && vb && cJSON_IsObject(va) && cJSON_IsObject(vb)) {
                if (json_diff(va, vb, path, what, cap)) return 1;
                continue;
            }
            if (va && vb && cJSON_Compare(va, vb, 1)) continue;
            char ta[128], tb[128];
            json_value_text(va, ta, sizeof ta);
            json_value_text(vb, tb, sizeof tb);
            snprintf(what, cap, "%s: %s in the checkpoint, %s now", path, ta, tb);
            return 1;
        }
    }
    return 0;
}

int config_resume_diff(const model_config *ckpt, const model_config *now, char *what, size_t cap)
{
    cJSON *a = model_config_to_json(ckpt), *b = model_config_to_json(now);
    int d = json_diff(a, b, "", what, cap);
    cJSON_Delete(a);
    cJSON_Delete(b);
    return d;
}

/* ------------------------------------------------------------ data order */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t splitmix_next(uint64_t *s)
{
    return mix64(*s += 0x9E3779B97F4A7C15ull);
}

/* Uniform in [0, k), without modulo bias. */
static uint64_t below(uint64_t *s, uint64_t k)
{
    uint64_t floor = (0 - k) % k, r;
    while ((r = splitmix_next(s)) < floor) {}
    return r % k;
}

void train_window_order(uint64_t shuffle_seed, uint64_t epoch, uint64_t n, uint64_t *perm)
{
    uint64_t s = mix64(mix64(shuffle_seed) + epoch);
    for (uint64_t i = 0; i < n; i++) perm[i] = i;
    for (uint64_t i = n; i > 1; i--) {
        uint64_t j = below(&s, i), t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

/* ------------------------------------------------------------ corpus */

int train_count_corpus(const char *dir, bpe_counter *c, blalm_err *e)
{
    corpus cp;
    if (corpus_open(&cp, dir, e) != 0) return -1;
    int rc = 0;
    for (size_t i = 0; i < cp.n_files && !rc; i++) {
        corpus_file *f = &cp.files[i];
        if (f->split != CORPUS_TRAIN) continue;
        char *data;
        size_t len;
        if (read_file(f->path, &data, &len, e) != 0) {
            rc = -1;
            break;
        }
        if (!cp.has_index) rc = corpus_blank_line_docs(f, data, len, NULL, e);
        for (size_t d = 0; d < f->n_docs && !rc; d++) {
            const corpus_doc *x = &f->docs[d];
            if (x->offset > len || x->length > len - x->offset)
                rc = err_set(e, "%s:%llu: bytes [%llu, +%llu) lie outside %s (%zu bytes)", cp.index_path,
                             (unsigned long long)x->line, (unsigned long long)x->offset,
                             (unsigned long long)x->length, f->path, len);
            else
                rc = bpe_counter_feed(c, data + x->offset, (size_t)x->length, e);
        }
        free(data);
    }
    corpus_close(&cp);
    return rc;
}

/* The shard list of a tokenize output (DIR/tokens.json, trainer/tokenize.h):
 * relative names ("train/x.train") in the corpus' canonical order. */
typedef struct token_set {
    char **rel;
    size_t n;
    char sha[65];
    char *tokenizer;   /* as recorded */
} token_set;

static void token_set_free(token_set *ts)
{
    for (size_t i = 0; i < ts->n; i++) free(ts->rel[i]);
    free(ts->rel);
    free(ts->tokenizer);
    memset(ts, 0, sizeof *ts);
}

static int token_set_read(const char *dir, token_set *ts, blalm_err *e)
{
    memset(ts, 0, sizeof *ts);
    char p[4200];
    snprintf(p, sizeof p, "%s/tokens.json", dir);
    char *data;
    size_t len;
    if (read_file(p, &data, &len, e) != 0) {
        err_prefix(e, "%s: not a finished blalm tokenize output", dir);
        return -1;
    }
    cJSON *o = cJSON_ParseWithLength(data, len);
    free(data);
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(o, "tokenizer_sha256");
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(o, "tokenizer");
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(o, "files"), *it;
    if (!cJSON_IsObject(o) || !cJSON_IsString(sha) || strlen(sha->valuestring) != 64 || !cJSON_IsString(tok) ||
        !cJSON_IsArray(files)) {
        cJSON_Delete(o);
        return err_set(e, "%s: expected a JSON object with \"tokenizer\", \"tokenizer_sha256\" (64 hex digits) "
                       "and \"files\" (an array)", p);
    }
    memcpy(ts->sha, sha->valuestring, 65);
    ts->tokenizer = strdup(tok->valuestring);
    size_t nf = (size_t)cJSON_GetArraySize(files), i = 0;
    ts->rel = calloc(nf ? nf : 1, sizeof *ts->rel);
    if (!ts->rel || !ts->tokenizer) {
        cJSON_Delete(o);
        token_set_free(ts);
        return err_set(e, "%s: out of memory", p);
    }
    cJSON_ArrayForEach(it, files) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(it, "file");
        const char *v = cJSON_IsString(f) ? f->valuestring : NULL;
        if (!v || (strncmp(v, "train/", 6) && strncmp(v, "dev/", 4)) || strstr(v, "..")) {
            cJSON_Delete(o);
            token_set_free(ts);
            return err_set(e, "%s: files[%zu]: expected {\"file\": \"train/NAME\" or \"dev/NAME\"}", p, i);
        }
        ts->rel[ts->n++] = strdup(v);
        i++;
    }
    cJSON_Delete(o);
    return 0;
}

/* RUN/tokens/<split>.{tok,idx}: the split's shards of SRC joined in order,
 * redone when its marker (stage "train-tokens", RUN/state) says an input
 * shard changed. A split without shards has no joined shard. */
static int join_split(const char *run, const char *src, const token_set *ts, const char *split,
                      const uint8_t sha[32], blalm_err *e)
{
    char out[4200], state[4200], path[8192];
    snprintf(out, sizeof out, "%s/tokens/%s", run, split);
    snprintf(state, sizeof state, "%s/state", run);
    size_t sl = strlen(split), n = 0;
    char **in = calloc(ts->n ? ts->n : 1, sizeof *in);
    marker_key *k = marker_key_new("train-tokens");
    int rc = 0;
    if (!in || !k) rc = err_set(e, "%s: out of memory", out);
    for (size_t i = 0; i < ts->n && !rc; i++) {
        if (strncmp(ts->rel[i], split, sl) || ts->rel[i][sl] != '/') continue;
        snprintf(path, sizeof path, "%s/%s", src, ts->rel[i]);
        in[n] = strdup(path);
        if (!in[n++]) {
            rc = err_set(e, "%s: out of memory", out);
            break;
        }
        const char *ext[2] = {".tok", ".idx"};
        for (int x = 0; x < 2 && !rc; x++) {
            char name[4200], fp[8300];
            snprintf(name, sizeof name, "%s%s", ts->rel[i], ext[x]);
            snprintf(fp, sizeof fp, "%s%s", path, ext[x]);
            rc = marker_key_file(k, name, fp, e);
        }
    }
    if (!rc && n == 0) {
        if (!strcmp(split, "train")) {
            rc = err_set(e, "%s: no train shards (expected files train/NAME.train)", src);
        } else {
            snprintf(path, sizeof path, "%s.tok", out);
            unlink(path);
            snprintf(path, sizeof path, "%s.idx", out);
            unlink(path);
        }
    } else if (!rc && mkdir_parent(out, e) == 0) {
        char why[512];
        int st = marker_check(state, "train-tokens", split, k, why, sizeof why, e), reuse = 0;
        tokshard have;
        if (st == MARKER_DONE && tokshard_open(&have, out, e) == 0) {
            /* a split joined by a blalm that did not check the shards'
             * tokenizer is joined again, and so checked */
            reuse = !memcmp(have.tokenizer_sha256, sha, 32);
            tokshard_close(&have);
        }
        if (st < 0)
            rc = -1;
        else if (!reuse && (tokshard_concat(out, (const char *const *)in, n, sha, e) != 0 ||
                            marker_commit(state, "train-tokens", split, k, NULL, e) != 0))
            rc = -1;
    } else {
        rc = -1;
    }
    for (size_t i = 0; i < n; i++) free(in[i]);
    free(in);
    marker_key_free(k);
    return rc;
}

/* What a tokenizer trained on the corpus' train split depends on (stage
 * "train-tokenizer", unit "tokenizer" in RUN/state): every train file's
 * identity and document boundaries, in corpus order, and the training
 * settings. RUN/tokenizer.json is reused only under the same key: before, a
 * fresh run in a folder a killed run left (no latest.bin) reused that run's
 * tokenizer whatever the corpus or vocab_size now. */
static marker_key *tokenizer_key(const char *dir, const bpe_train_opts *to, blalm_err *e)
{
    corpus cp;
    if (corpus_open(&cp, dir, e) != 0) return NULL;
    marker_key *k = marker_key_new("train-tokenizer");
    if (!k) {
        corpus_close(&cp);
        err_set(e, "%s: out of memory", dir);
        return NULL;
    }
    marker_key_setting(k, "trainer", "byte-level BPE 1, default pre-tokenizer pattern");
    marker_key_settingf(k, "vocab_size", "%u", to->vocab_size);
    marker_key_settingf(k, "min_frequency", "%llu", (unsigned long long)to->min_frequency);
    marker_key_settingf(k, "allow_smaller", "%d", to->allow_smaller);
    marker_key_setting(k, "boundaries", cp.has_index ? "documents.jsonl.zst" : "blank lines, CRLF too");
    for (size_t i = 0; i < cp.n_files; i++) {
        corpus_file *f = &cp.files[i];
        if (f->split != CORPUS_TRAIN) continue;
        if (marker_key_file(k, f->rel, f->path, e) != 0) {
            marker_key_free(k);
            corpus_close(&cp);
            return NULL;
        }
        if (cp.has_index)
            marker_key_settingf(k, "documents", "%s %zu %016llx", f->rel, f->n_docs,
                                (unsigned long long)corpus_file_docs_hash(f));
    }
    corpus_close(&cp);
    return k;
}

/* RUN/tokenizer.json (trained unless given; with --tokens, the one its
 * tokens.json names unless given) and the token cache: the corpus tokenized
 * by the one shard builder (trainer/tokenize.h) into RUN/tokens/corpus (or
 * --tokens DIR), its train and dev shards joined into RUN/tokens/train and
 * RUN/tokens/dev. */
static bpe_tokenizer *prepare_data(const train_opts *o, uint32_t vocab, blalm_err *e)
{
    char tp[4096], src[4200];
    snprintf(tp, sizeof tp, "%s/tokenizer.json", o->run);
    bpe_tokenizer *t = NULL;
    token_set ts = {0};
    char hex[65], recorded[8400];
    uint8_t shard_sha[32];   /* what the shards must have been made by */
    if (o->tokens && token_set_read(o->tokens, &ts, e) != 0) return NULL;
    const char *given = o->tokenizer;
    if (!given && o->tokens) {
        /* tokens.json records it relative to DIR or absolute (so train runs
         * from any directory); one recorded by an older blalm is as typed,
         * relative to where tokenize ran */
        given = ts.tokenizer;
        if (given[0] != '/') {
            snprintf(recorded, sizeof recorded, "%s/%s", o->tokens, ts.tokenizer);
            if (file_exists(recorded) || !file_exists(ts.tokenizer)) given = recorded;
        }
    }
    char state[4200];
    snprintf(state, sizeof state, "%s/state", o->run);
    if (given) {
        t = bpe_load(given, e);
        if (!t) {
            if (!o->tokenizer) err_prefix(e, "%s/tokens.json: \"tokenizer\"", o->tokens);
            goto fail;
        }
        /* checked before anything is written: a mismatch leaves no run folder */
        memcpy(shard_sha, bpe_json_sha256(t), 32);
        hex_digest(shard_sha, 32, hex);
        if (o->tokens && strcmp(hex, ts.sha) != 0) {
            err_set(e, "%s: tokenizer sha256 %s, but %s/tokens.json's shards were made by %s (sha256 %s)",
                    given, hex, o->tokens, ts.tokenizer, ts.sha);
            goto fail;
        }
        /* a later run without --tokenizer trains its own, not this one's */
        if (marker_remove(state, "train-tokenizer", "tokenizer", e) < 0 || bpe_save_json(t, tp, e) < 0)
            goto fail;
    } else if (o->resume && file_exists(tp)) {
        /* the run's own (its checkpoint was trained with it; a run of a blalm
         * before the key has no marker), as before */
        t = bpe_load(tp, e);
        if (!t) goto fail;
    } else {
        bpe_train_opts to;
        bpe_train_opts_default(&to);
        to.vocab_size = vocab;
        to.allow_smaller = 1;
        marker_key *k = tokenizer_key(o->corpus, &to, e);
        if (!k) goto fail;
        char why[512] = "";
        int st = file_exists(tp) ? marker_check(state, "train-tokenizer", "tokenizer", k, why, sizeof why, e)
                                 : MARKER_ABSENT;
        if (st < 0) {
            marker_key_free(k);
            goto fail;
        }
        if (st == MARKER_DONE) {
            /* the very file the marker was committed for (not one copied over it) */
            if (!(t = bpe_load(tp, e))) {
                marker_key_free(k);
                goto fail;
            }
            char *r = marker_result(state, "train-tokenizer", "tokenizer", e);
            hex_digest(bpe_json_sha256(t), 32, hex);
            if (!r || !strstr(r, hex)) {
                st = MARKER_STALE;
                snprintf(why, sizeof why, "its sha256 %.16s... is not the one trained", hex);
                bpe_free(t);
                t = NULL;
            }
            free(r);
        }
        if (st == MARKER_DONE) {
            marker_key_free(k);
        } else {
            if (file_exists(tp))
                fprintf(stderr, "blalm train: %s was not trained on this train split with vocab_size %u (%s): "
                                "training it again\n", tp, vocab,
                        st == MARKER_STALE ? why : "no record of what it was trained on, RUN/state/train-tokenizer");
            bpe_counter *c = bpe_counter_new(NULL, e);
            if (!c || train_count_corpus(o->corpus, c, e) < 0) {
                bpe_counter_free(c);
                marker_key_free(k);
                goto fail;
            }
            if (!bpe_counter_pretokens(c)) {
                bpe_counter_free(c);
                marker_key_free(k);
                err_set(e, "%s: the train split holds no text to train a tokenizer on", o->corpus);
                goto fail;
            }
            t = bpe_train(c, &to, e);
            bpe_counter_free(c);
            /* the old marker goes first: killed between the save and the
             * commit, no marker vouches for the new file */
            if (!t || marker_remove(state, "train-tokenizer", "tokenizer", e) < 0 || bpe_save_json(t, tp, e) < 0) {
                marker_key_free(k);
                goto fail;
            }
            char res[100];
            hex_digest(bpe_json_sha256(t), 32, hex);
            snprintf(res, sizeof res, "{\"tokenizer_sha256\":\"%s\"}", hex);
            if (marker_commit(state, "train-tokenizer", "tokenizer", k, res, e) < 0) {
                marker_key_free(k);
                goto fail;
            }
            marker_key_free(k);
        }
    }
    if (bpe_eot_id(t) == BPE_NO_ID) {
        err_set(e, "%s: the tokenizer has no %s token to close documents", tp, BPE_EOT);
        goto fail;
    }
    if (o->tokens) {
        snprintf(src, sizeof src, "%s", o->tokens);
    } else {
        memcpy(shard_sha, bpe_json_sha256(t), 32);   /* the one tokenize_run records */
        snprintf(src, sizeof src, "%s/tokens/corpus", o->run);
        tokenize_opts to = {0};
        to.corpus = o->corpus;
        to.tok = t;
        to.tokenizer_name = tp;
        to.out = src;
        to.state_dir = state;
        to.threads = o->threads > 0 ? o->threads : 1;
        to.shard = SHARD_ONE;
        tokenize_counts tc;
        if (tokenize_run(&to, &tc, NULL, NULL, e) != 0 || token_set_read(src, &ts, e) != 0) goto fail;
    }
    if (join_split(o->run, src, &ts, "train", shard_sha, e) != 0 ||
        join_split(o->run, src, &ts, "dev", shard_sha, e) != 0)
        goto fail;
    token_set_free(&ts);
    return t;
fail:
    token_set_free(&ts);
    bpe_free(t);
    return NULL;
}

/* ------------------------------------------------------------ data */

uint64_t train_split_hash(const tokshard *s)
{
    uint64_t h = xxh64(s->idx_map, s->idx_len, xxh3_64(s->tok_map, s->tok_len));
    return h ? h : 1;
}

/* Words in tokens [a, b) of the shard, each document counting words/tokens per token. */
static double words_in_tokens(const tokshard *s, uint64_t a, uint64_t b)
{
    if (!s->n_docs || a >= b) return 0;
    uint64_t lo = 0, hi = s->n_docs - 1;
    while (lo < hi) { /* last doc starting at or before a */
        uint64_t mid = (lo + hi + 1) / 2;
        if (s->docs[mid].token_offset <= a) lo = mid;
        else hi = mid - 1;
    }
    double w = 0;
    for (uint64_t d = lo; d < s->n_docs && s->docs[d].token_offset < b; d++) {
        const tokshard_doc *x = &s->docs[d];
        uint64_t s0 = x->token_offset > a ? x->token_offset : a;
        uint64_t e0 = x->token_offset + x->n_tokens < b ? x->token_offset + x->n_tokens : b;
        if (e0 > s0 && x->n_tokens) w += (double)x->words * (double)(e0 - s0) / (double)x->n_tokens;
    }
    return w;
}

static void read_batch(const tokshard *s, uint64_t pos, int B, int S, int32_t *in, int32_t *tg,
                       uint32_t *tmp)
{
    for (int r = 0; r < B; r++) {
        tokshard_read(s, pos + (uint64_t)r * S, (size_t)S + 1, tmp);
        for (int t = 0; t < S; t++) {
            in[r * S + t] = (int32_t)tmp[t];
            tg[r * S + t] = (int32_t)tmp[t + 1];
        }
    }
}

int babylm_milestones(babylm_track t, uint64_t *out, int cap)
{
    int n = 0;
    if (t == TRACK_NONE) return 0;
    for (uint64_t w = 1; w <= 10 && n < cap; w++) out[n++] = w * 1000000ull;
    for (uint64_t w = 20; w <= 100 && n < cap; w += 10) out[n++] = w * 1000000ull;
    if (t == TRACK_STRICT)
        for (uint64_t w = 200; w <= 1000 && n < cap; w += 100) out[n++] = w * 1000000ull;
    return n;
}

/* Dev loss per token and NLL per word over up to nb batches from the start. */
static int evaluate(model *m, const tokshard *dev, int B, int S, int nb, double *loss_tok,
                    double *ppl_word, double *loss_word, blalm_err *e)
{
    if (dev->n_tokens <= (uint64_t)S) return 1; /* dev split shorter than one sequence */
    if ((uint64_t)B * S + 1 > dev->n_tokens) B = (int)((dev->n_tokens - 1) / (uint64_t)S);
    int32_t *in = malloc((size_t)B * S * 4), *tg = malloc((size_t)B * S * 4);
    uint32_t *tmp = malloc(((size_t)S + 1) * 4);
    double nll = 0, words = 0;
    long toks = 0;
    int rc = 0;
    uint64_t pos = 0;
    for (int b = 0; b < nb && pos + (uint64_t)B * S + 1 <= dev->n_tokens; b++, pos += (uint64_t)B * S) {
        read_batch(dev, pos, B, S, in, tg, tmp);
        float l;
        if ((rc = model_forward(m, in, tg, B, S, &l, e)) < 0) break;
        nll += (double)l * B * S;
        toks += (long)B * S;
        words += words_in_tokens(dev, pos + 1, pos + 1 + (uint64_t)B * S);
    }
    free(in), free(tg), free(tmp);
    if (rc < 0) return -1;
    if (!toks) return 1; /* dev split smaller than one batch */
    *loss_tok = nll / toks;
    *loss_word = words > 0 ? nll / words : NAN;
    *ppl_word = words > 0 ? exp(nll / words) : NAN;
    return 0;
}

static void log_line(FILE *f, const char *json)
{
    if (!f) return;
    fputs(json, f);
    fputc('\n', f);
    fflush(f);
}

/* DynMod: each layer's alpha_l into the log line (before its closing brace). */
static void append_swa_alpha(const model *m, char *line, size_t cap)
{
    double al[256];
    if (model_cfg(m)->layers > 256) return;
    int n = model_swa_alpha(m, al);
    size_t len = strlen(line);
    if (!n || !len || line[len - 1] != '}') return;
    size_t keep = --len;
    len += (size_t)snprintf(line + len, cap - len, ",\"swa_alpha\":[");
    for (int l = 0; l < n && len < cap; l++)
        len += (size_t)snprintf(line + len, cap - len, "%s%.9g", l ? "," : "", al[l]);
    if (len + 3 <= cap)
        snprintf(line + len, cap - len, "]}");
    else
        snprintf(line + keep, cap - keep, "}"); /* does not fit: the line without it */
}

/* Keeps log lines with step <= last (a resumed run rewrites what followed). */
/* Keeps the lines of steps <= last; returns the dev loss of the last kept
 * evaluation line (NAN when none), which a resumed run reports until it
 * evaluates again. *seconds: the training time of the checkpoint line of
 * step last (the checkpoint resumed from), NAN when there is none (a log of
 * a blalm before those lines). */
static double trim_log(const char *path, long last, double *seconds, double *last_loss)
{
    *seconds = NAN;
    *last_loss = NAN;
    char *data;
    size_t len;
    blalm_err e;
    double dev = NAN;
    if (read_file(path, &data, &len, &e) < 0) return dev;
    sbuf out;
    sb_init(&out);
    char *s = data;
    while (*s) {
        char *nl = strchr(s, '\n');
        size_t l = nl ? (size_t)(nl - s) : strlen(s);
        /* searched within the line: a search to the file's end for a key
         * most lines lack made this quadratic in the log's length */
        const char *k = memmem(s, l, "\"step\":", 7);
        long st = k ? strtol(k + 7, NULL, 10) : 0;
        if (st <= last) {
            sb_add(&out, s, l);
            sb_addc(&out, '\n');
            const char *d = memmem(s, l, "\"dev_loss\":", 11);
            if (d) { /* null: not finite (no run goes on from such a line) */
                char *q;
                double v = strtod(d + 11, &q);
                dev = q == d + 11 ? NAN : v;
            }
            const char *lo = memmem(s, l, "\"loss\":", 7);   /* a step's line ("dev_loss" has no '"' before loss) */
            if (lo) *last_loss = strtod(lo + 7, NULL);
            static const char ck[] = "\"event\":\"checkpoint\"", tk[] = "\"train_seconds\":";
            const char *ts = memmem(s, l, tk, sizeof tk - 1);
            if (st == last && ts && memmem(s, l, ck, sizeof ck - 1)) *seconds = strtod(ts + sizeof tk - 1, NULL);
        }
        s += l + (nl ? 1 : 0);
    }
    write_file_atomic(path, out.data ? out.data : "", out.len, &e);
    sb_free(&out);
    free(data);
    return dev;
}

/* Every weight finite, 0; else -1 naming the first (a checkpoint of nan
 * weights is refused: the last one saved holds finite weights). */
static int check_weights(model *m, long step, double loss, blalm_err *e)
{
    const float *w = model_params(m);
    size_t n = model_num_params(m);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(w[i]))
            return err_set(e, "step %ld: weight %zu of %zu is %g after the update (loss %g); lower the "
                           "learning rate (no checkpoint written)", step, i, n, w[i], loss);
    return 0;
}

/* Rows of one step: windows order[k .. k+B-1], each S + 1 tokens from w*S;
 * in, tg [B, S] (tg: in shifted by one). */
static void read_windows(const tokshard *s, const uint64_t *order, uint64_t k, int B, int S, int32_t *in,
                         int32_t *tg, uint32_t *tmp)
{
    for (int r = 0; r < B; r++) {
        tokshard_read(s, order[k + (uint64_t)r] * (uint64_t)S, (size_t)S + 1, tmp);
        for (int t = 0; t < S; t++) {
            in[r * S + t] = (int32_t)tmp[t];
            tg[r * S + t] = (int32_t)tmp[t + 1];
        }
    }
}

/* Words of the targets of those rows. */
static double words_in_windows(const tokshard *s, const uint64_t *order, uint64_t k, int B, int S)
{
    double w = 0;
    for (int r = 0; r < B; r++) {
        uint64_t a = order[k + (uint64_t)r] * (uint64_t)S + 1;
        w += words_in_tokens(s, a, a + (uint64_t)S);
    }
    return w;
}

static void epoch_order(const train_config *tc, uint64_t epoch, uint64_t n, uint64_t *order)
{
    if (!strcmp(tc->shuffle, "windows")) {
        train_window_order(tc->shuffle_seed, epoch, n, order);
        return;
    }
    for (uint64_t i = 0; i < n; i++) order[i] = i;
}

static const char *track_name(babylm_track t)
{
    return t == TRACK_STRICT ? "strict" : t == TRACK_STRICT_SMALL ? "strict-small" : "none";
}

/* On --resume: the checkpoint's position, after refusing what it cannot
 * continue (another config, optimiser, track, corpus or run length). */
static int resume_checks(const train_opts *o, const char *ckpath, const ckpt_buf *cb, const model_config *cfg,
                         uint64_t train_tokens, uint64_t train_hash, long want_total, ckpt_pos *pos,
                         optim_kind *kind, blalm_err *e)
{
    model_config old;
    char what[400];
    if (ckpt_meta_from(cb, ckpath, &old, pos, kind, e) < 0) return -1;
    if (!pos->train_tokens)
        return err_set(e, "%s: written by an older blalm (corpus-order data, no train_tokens): it cannot "
                          "be resumed; export and generate still read it", ckpath);
    if (config_resume_diff(&old, cfg, what, sizeof what))
        return err_set(e, "%s: --resume with a changed config: %s (resume with the run's config.json, "
                          "or start a new --out)", ckpath, what);
    if (o->optimizer_given && o->optimizer != *kind)
        return err_set(e, "%s: --resume with a changed optimizer: %s in the checkpoint, %s now", ckpath,
                       *kind == OPT_MUON ? "muon" : "adamw", o->optimizer == OPT_MUON ? "muon" : "adamw");
    if (o->track != pos->track)
        return err_set(e, "%s: --resume with a changed track: %s in the checkpoint, %s now", ckpath,
                       track_name(pos->track), track_name(o->track));
    double scale = o->test_words_scale > 0 ? o->test_words_scale : 1.0;
    if (scale != pos->words_scale)
        return err_set(e, "%s: --resume with a changed --test-words-scale: %g in the checkpoint, %g now",
                       ckpath, pos->words_scale, scale);
    if (pos->train_tokens != train_tokens)
        return err_set(e, "%s: --resume with a changed corpus: the run read %llu train tokens, %s/tokens "
                          "holds %llu now", ckpath, (unsigned long long)pos->train_tokens, o->run,
                       (unsigned long long)train_tokens);
    /* same count, other tokens (a word replaced, documents reordered, another
     * tokenizer); a checkpoint of a blalm before train_hash is checked on the
     * count alone, and the checkpoints this resume writes carry the hash */
    if (pos->train_hash && pos->train_hash != train_hash)
        return err_set(e, "%s: --resume with a changed corpus: train_hash %016llx in the checkpoint, "
                          "%s/tokens/train holds %016llx now (same %llu tokens, other content: resume "
                          "on the run's corpus, or start a new --out)", ckpath,
                       (unsigned long long)pos->train_hash, o->run, (unsigned long long)train_hash,
                       (unsigned long long)train_tokens);
    pos->train_hash = train_hash;
    if (want_total && want_total != pos->total_steps)
        return err_set(e, "%s: --resume with a changed length: %ld steps asked (--max-steps/--max-tokens), "
                          "the run has %ld (its learning-rate schedule depends on them)",
                       ckpath, want_total, pos->total_steps);
    if (pos->rng != cfg->train.shuffle_seed)
        return err_set(e, "%s: data order seed %llu in the checkpoint, train.shuffle_seed %llu in its config",
                       ckpath, (unsigned long long)pos->rng, (unsigned long long)cfg->train.shuffle_seed);
    return 0;
}

/* The log's first line: data order and its seed, sizes, and per parameter
 * group its tensors, parameters, tensors Muon takes, peak learning rate and
 * decay (Muon's when Muon takes the group's matrices). */
static cJSON *start_line(const model_config *cfg, const model *m, const optimizer *opt, optim_kind kind,
                         uint64_t train_tokens, uint64_t n_windows, int B, uint64_t steps_per_epoch,
                         long total)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "step", 0);
    cJSON_AddStringToObject(j, "event", "start");
    cJSON_AddStringToObject(j, "optimizer", kind == OPT_MUON ? "muon" : "adamw");
    cJSON_AddStringToObject(j, "shuffle", cfg->train.shuffle);
    cJSON_AddNumberToObject(j, "shuffle_seed", (double)cfg->train.shuffle_seed);
    cJSON_AddNumberToObject(j, "train_tokens", (double)train_tokens);
    cJSON_AddNumberToObject(j, "windows", (double)n_windows);
    cJSON_AddNumberToObject(j, "rows", B);
    cJSON_AddNumberToObject(j, "steps_per_epoch", (double)steps_per_epoch);
    cJSON_AddNumberToObject(j, "total_steps", (double)total);
    cJSON *groups = cJSON_AddObjectToObject(j, "groups");
    for (int i = 0; i < model_num_tensors(m); i++) {
        const tensor_info *ti = model_tensor(m, i);
        optim_plan pl = optim_tensor_plan(opt, m, i);
        const char *name = param_group_rule_of(pl.group)->name;
        cJSON *g = cJSON_GetObjectItemCaseSensitive(groups, name);
        if (!g) {
            g = cJSON_AddObjectToObject(groups, name);
            cJSON_AddNumberToObject(g, "tensors", 0);
            cJSON_AddNumberToObject(g, "params", 0);
            cJSON_AddNumberToObject(g, "muon_tensors", 0);
            cJSON_AddNumberToObject(g, "lr", pl.lr);
            cJSON_AddNumberToObject(g, "decay", pl.decay);
        }
        if (pl.muon) {
            cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(g, "lr"), pl.lr);
            cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(g, "decay"), pl.decay);
        }
        cJSON *n = cJSON_GetObjectItemCaseSensitive(g, "tensors");
        cJSON_SetNumberValue(n, n->valuedouble + 1);
        n = cJSON_GetObjectItemCaseSensitive(g, "params");
        cJSON_SetNumberValue(n, n->valuedouble + (double)ti->rows * (ti->cols ? ti->cols : 1));
        n = cJSON_GetObjectItemCaseSensitive(g, "muon_tensors");
        cJSON_SetNumberValue(n, n->valuedouble + pl.muon);
    }
    return j;
}

/* "NAME\tVALUE\n" lines of a cJSON value, objects flattened to a.b names. */
static void desc_json(sbuf *d, const char *name, const cJSON *v)
{
    if (cJSON_IsObject(v)) {
        const cJSON *c;
        cJSON_ArrayForEach(c, v) {
            char sub[256];
            snprintf(sub, sizeof sub, "%s%s%s", name, *name ? "." : "", c->string);
            desc_json(d, sub, c);
        }
        return;
    }
    char *t = cJSON_PrintUnformatted(v);
    sb_printf(d, "%s\t%s\n", name, t ? t : "?");
    free(t);
}

/* The input and output arguments as given: compared (dp_agree) before rank
 * 0 writes anything in RUN and before the others read it, so a rank given
 * another --out is named as such, not by the file it could not read. With
 * a relative one, the working folder too: a rank started in another
 * folder (mpirun -wdir, another host's cd) reads another RUN. */
static void args_desc(sbuf *d, const train_opts *o)
{
    sb_printf(d, "--corpus\t%s\n--tokens\t%s\n--tokenizer\t%s\n--out\t%s\n--resume\t%d\n",
              o->corpus ? o->corpus : "-", o->tokens ? o->tokens : "-", o->tokenizer ? o->tokenizer : "-",
              o->run, o->resume);
    const char *paths[] = {o->corpus, o->tokens, o->tokenizer, o->run};
    int rel = 0;
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) rel |= paths[i] && paths[i][0] != '/';
    if (rel) {
        char cwd[PATH_MAX];
        /* unreadable: a line rank 0's cannot equal (rank 0's names rank 0,
         * the others' do not), so that the ranks disagree and every one stops
         * (one failing alone would leave the others waiting in the
         * agreement); "(unknown)" on each agreed. The message names the
         * other rank already: "rank 1's working folder is unreadable (...)" */
        if (getcwd(cwd, sizeof cwd)) sb_printf(d, "working folder\t%s\n", cwd);
        else sb_printf(d, "working folder\tunreadable%s (getcwd: %s)\n", o->rank == 0 ? " on rank 0" : "",
                       strerror(errno));
    }
}

/* dp_agree on desc; 0 when every rank holds the same. On a difference rank 0
 * returns -1 with the message (and stops the job: one MPI_Abort, two at once
 * garble Open MPI's own report); the others wait to be stopped. */
static int ranks_agree(const sbuf *d, int rank, int R, blalm_err *e)
{
    char what[1024];
    int differ = dp_agree(d->data ? d->data : "", rank, R, what, sizeof what);
    if (differ && rank != 0)
        for (;;) dp_barrier(R);
    if (differ)
        return err_set(e, "%s (every rank must be started with the same arguments and see the same run "
                          "folder)", what);
    return 0;
}

/* What the ranks of a job must agree on (dp_agree): the whole config
 * (train hyper-parameters included), run length, optimiser, track and
 * scale, the inputs as given, the train and dev tokens each rank opened and
 * the resume position. Each rank's --threads is its own. */
static void agree_desc(sbuf *d, const train_opts *o, const model_config *cfg, optim_kind kind,
                       const tokshard *train, const tokshard *dev, uint64_t thash, long want, long total,
                       const ckpt_pos *pos)
{
    cJSON *cj = model_config_to_json(cfg);
    desc_json(d, "config", cj);
    cJSON_Delete(cj);
    sb_printf(d, "--max-steps\t%ld\n--max-tokens\t%llu\nsteps\t%ld of %ld\n--stop-after\t%ld\n", o->max_steps,
              (unsigned long long)o->max_tokens, want, total, o->stop_after);
    sb_printf(d, "--optimizer\t%s\n--track\t%s\n--test-words-scale\t%.17g\n",
              kind == OPT_MUON ? "muon" : "adamw", track_name(o->track),
              o->test_words_scale > 0 ? o->test_words_scale : 1.0);
    args_desc(d, o);
    sb_printf(d, "train tokens\t%llu\ntrain_hash\t%016llx\ndev tokens\t%llu\ndev_hash\t%016llx\n",
              (unsigned long long)train->n_tokens, (unsigned long long)thash,
              (unsigned long long)(dev ? dev->n_tokens : 0),
              (unsigned long long)(dev ? train_split_hash(dev) : 0));
    sb_printf(d, "resume position\tstep %ld, epoch %llu, data_pos %llu, tokens_seen %llu, words_seen %.17g, milestone %d\n",
              pos->step, (unsigned long long)pos->epoch, (unsigned long long)pos->data_pos,
              (unsigned long long)pos->tokens_seen, pos->words_seen, pos->next_milestone);
}

static int train_run_locked(const train_opts *o, train_summary *sum, blalm_err *e);

/* A new run (no --resume) in a folder an earlier run left without
 * latest.bin (killed before its first checkpoint) starts clean: that run's
 * milestone checkpoints chck_<N>M.bin go, said on stderr, or eval
 * --all-checkpoints would score them as this run's; so do the results eval
 * wrote of its checkpoints (checkpoints/chck_<N>M.eval*.json,
 * latest.eval*.json), RUN/learning_curve.json, RUN/aoa.json and
 * RUN/aoa_surprisal.json. */
static int remove_old_milestones(const char *run, const char *dir, blalm_err *e)
{
    DIR *d = opendir(dir);
    if (!d) return err_errno(e, "%s", dir);
    struct dirent *de;
    int n = 0, nr = 0, rc = 0;
    char p[4400];
    while ((de = readdir(d))) {
        unsigned long long mw;
        char tail[16] = "";
        const char *nm = de->d_name;
        int ck = sscanf(nm, "chck_%lluM%15s", &mw, tail) == 2 && !strcmp(tail, ".bin");
        int res = (sscanf(nm, "chck_%lluM%15s", &mw, tail) == 2 || !strncmp(nm, "latest.", 7)) &&
                  strstr(nm, ".eval") && strlen(nm) > 5 && !strcmp(nm + strlen(nm) - 5, ".json");
        if (!ck && !res) continue;
        snprintf(p, sizeof p, "%s/%s", dir, nm);
        if (unlink(p) < 0) {
            rc = err_errno(e, "removing %s, of an earlier run", p);
            break;
        }
        if (ck) n++;
        else nr++;
    }
    closedir(d);
    /* eval --all-checkpoints' run-level results: the learning curve and the
     * AoA files (aoa_surprisal.json is what goes into a submission) */
    static const char *const run_level[] = {"learning_curve.json", "aoa.json", "aoa_surprisal.json"};
    for (size_t i = 0; !rc && i < sizeof run_level / sizeof *run_level; i++) {
        snprintf(p, sizeof p, "%s/%s", run, run_level[i]);
        if (unlink(p) == 0) nr++;
    }
    if (n || nr)
        fprintf(stderr, "blalm train: removed %d milestone checkpoint%s (chck_<N>M.bin) and %d evaluation result%s "
                        "of an earlier run from %s: a new run starts here (no --resume)\n",
                n, n == 1 ? "" : "s", nr, nr == 1 ? "" : "s", run);
    return rc;
}

/* stop_on_signal: the first SIGTERM or SIGINT is noted (the loop saves
 * latest.bin after the current step and ends); SA_RESETHAND makes a second
 * one end the process at once, as without the handler. Restored after the
 * steps: during the data preparation (resumable by its markers) a signal
 * ends the process as it always did. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

/* Whether to stop after this step, agreed by every rank (the signal may
 * reach one rank only, or ranks at different steps): how many ranks got
 * SIGTERM and how many SIGINT, summed. 0 or the signal, SIGTERM if any rank
 * got it (an average of the numbers made SIGTERM + SIGINT read as 9). */
static int stop_agreed(int R)
{
    int sig = stop_signal;
    if (R > 1) {
        double v[2] = {sig == SIGTERM ? 1.0 : 0.0, sig == SIGINT ? 1.0 : 0.0};
        dp_sum_doubles(v, 2, R);
        sig = v[0] > 0 ? SIGTERM : v[1] > 0 ? SIGINT : 0;
    }
    return sig;
}

/* nftw: everything under RUN but RUN itself and RUN/.lock (held) */
static int rm_not_lock(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag;
    if (ftw->level == 0 || (ftw->level == 1 && !strcmp(path + ftw->base, ".lock"))) return 0;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

uint64_t train_steps_of(long max_steps, uint64_t max_tokens, uint64_t per_step, uint64_t per_epoch)
{
    if (max_steps) return (uint64_t)max_steps;
    if (max_tokens) return max_tokens / per_step + (max_tokens % per_step != 0);
    return per_epoch;
}

int train_run(const train_opts *o, train_summary *sum, blalm_err *e)
{
    /* one writer per run folder: two (a --resume started while the first
     * job still runs, two ablate invocations on one run) each went on from
     * the other's checkpoints, and both reported numbers of no real run.
     * Under MPI rank 0 alone writes in RUN, so it alone locks; a refused
     * rank 0 stops the job. */
    int fd = -1;
    struct stat st;
    int made = stat(o->run, &st) < 0;   /* RUN is made by the lock */
    /* new, or empty (a folder that cannot be read is not known to be) */
    int fresh = made || (S_ISDIR(st.st_mode) && dir_has_entries(o->run) == 0);
    if (o->rank == 0 && !o->lock_held) {
        /* before RUN is made; train_10M/ beside dev/ trained nothing and
         * said "the train split holds no text to train a tokenizer on" */
        if (o->corpus && (corpus_check_dir(o->corpus, e) < 0 || corpus_refuse_download(o->corpus, "train", e) < 0))
            return -1;
        if ((fd = lock_dir(o->run, "blalm train or ablate", e)) < 0) return -1;
    }
    int rc = train_run_locked(o, sum, e);
    char p[4200];
    snprintf(p, sizeof p, "%s/config.json", o->run);
    /* not under mpirun (ranks > 1): the other ranks may still be reading
     * the tokenizer and token cache, and one that lost them failed with
     * "tokenizer.json: No such file", aborting every rank before rank 0
     * said why it refused */
    if (rc < 0 && fresh && fd >= 0 && o->ranks <= 1 && !file_exists(p)) {
        /* refused before the run began (config.json is written once every
         * check passed: a train split shorter than one sequence, a corpus
         * over the track's budget): the tokenizer and token cache it made
         * in a folder that was new or empty go too, so a refused run leaves
         * nothing behind (they were left, keyed but of no use to a run that
         * cannot start). A signal during the preparation ends the process
         * instead, and its work resumes from the markers. */
        if (nftw(o->run, rm_not_lock, 16, FTW_DEPTH | FTW_PHYS) != 0)
            fprintf(stderr, "blalm train: warning: %s: %s: could not remove what the refused run made\n", o->run,
                    strerror(errno));
    }
    if (rc < 0 && fresh && fd >= 0) {
        /* refused before anything was written (prepare_data checks first):
         * no run folder holding only the lock is left behind (a folder
         * that was there, empty, stays, without the lock) */
        snprintf(p, sizeof p, "%s/.lock", o->run);
        DIR *d = opendir(o->run);
        int other = 0;
        struct dirent *de;
        while (d && (de = readdir(d)))
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, ".lock")) other = 1;
        if (d) closedir(d);
        if (d && !other && unlink(p) == 0 && made) (void)rmdir(o->run);
    }
    lock_release(fd);
    return rc;
}

static int train_run_locked(const train_opts *o, train_summary *sum, blalm_err *e)
{
    memset(sum, 0, sizeof *sum);
    sum->dev_loss = NAN;   /* no evaluation yet */
    sum->train_seconds = NAN;
    sum->tok_per_s = NAN;  /* no step run (a resume of a complete run) */
    model_set_threads(o->threads);
    /* Open MPI: every rank trains; rank 0 alone prepares the data first and
     * writes config.json, the log and the checkpoints */
    int rank = o->rank, R = o->ranks > 0 ? o->ranks : 1, lead = rank == 0;
    model_config cfg;
    char p[4096], ckpath[4096];
    if (model_config_load(o->model_cfg, &cfg, e) < 0) return -1;
    snprintf(ckpath, sizeof ckpath, "%s/checkpoints/latest.bin", o->run);
    bpe_tokenizer *tok = NULL;
    if (R > 1) { /* the arguments first; all else once the data is ready, below */
        sbuf d;
        sb_init(&d);
        args_desc(&d, o);
        int differ = ranks_agree(&d, rank, R, e);
        sb_free(&d);
        if (differ) return -1;
        /* before rank 0 tokenizes: a run that cannot start leaves no token
         * cache (a tiny corpus may cut the batch further, checked below) */
        if (cfg.train.batch_size < R)
            return err_set(e, "%d ranks for a batch of %d rows: each rank needs at least one row", R,
                           cfg.train.batch_size);
    }
    if (lead) {
        /* a corpus folder that is not there: nothing made in RUN */
        if (o->corpus && (corpus_check_dir(o->corpus, e) < 0 || corpus_refuse_download(o->corpus, "train", e) < 0))
            return -1;
        if (!o->resume && file_exists(ckpath))
            return err_set(e, "%s holds a run already (checkpoints/latest.bin): use --resume or a new --out",
                           o->run);
        if (o->resume && !file_exists(ckpath))
            return err_set(e, "%s: nothing to resume (no checkpoints/latest.bin)", o->run);
        /* RUN is made by the first file prepare_data writes, after its
         * checks: a bad --tokens DIR leaves no run folder behind */
        if (!(tok = prepare_data(o, (uint32_t)cfg.vocab_size, e))) return -1;
        snprintf(p, sizeof p, "%s/checkpoints", o->run);
        if (mkdir_p(p, e) < 0 || (!o->resume && remove_old_milestones(o->run, p, e) < 0)) {
            bpe_free(tok);
            return -1;
        }
    }
    dp_barrier(R); /* the others then find the token cache ready */
    if (!lead) { /* only read what rank 0 wrote (RUN/tokenizer.json, RUN/tokens): nothing in RUN is
                  * theirs to write; that they were given the same inputs is checked below */
        snprintf(p, sizeof p, "%s/tokenizer.json", o->run);
        if (!(tok = bpe_load(p, e))) return -1;
    }
    int cfg_vocab = cfg.vocab_size;   /* the config's, before the tokenizer's replaces it */
    cfg.vocab_size = (int)bpe_vocab_size(tok);
    char tok_hex[65];   /* recorded in every checkpoint: eval, generate and export check it */
    hex_digest(bpe_json_sha256(tok), 32, tok_hex);
    bpe_free(tok);
    if (lead && o->before_steps) {
        snprintf(p, sizeof p, "%s/tokenizer.json", o->run);
        if (o->before_steps(o->before_arg, p, &cfg, e) < 0) return -1;
    }
    tokshard train, dev;
    int have_dev = 0;
    memset(&dev, 0, sizeof dev);
    snprintf(p, sizeof p, "%s/tokens/train", o->run);
    if (tokshard_open(&train, p, e) < 0) return -1;
    snprintf(p, sizeof p, "%s/tokens/dev.tok", o->run);
    if (file_exists(p)) {
        if (tokshard_open(&dev, p, e) < 0) {
            tokshard_close(&train);
            return -1;
        }
        have_dev = dev.n_tokens > 0;
    }
    int rc = -1;
    sig_stop_saved old_sig; /* stop_on_signal: the actions before the loop's */
    int sig_on = 0;
    ckpt_buf cb; /* --resume: latest.bin, read once */
    memset(&cb, 0, sizeof cb);
    model *m = NULL;
    optimizer *opt = NULL;
    dp_ctx *dp = NULL;
    FILE *logf = NULL;
    int32_t *in = NULL, *tg = NULL;
    uint32_t *tmp = NULL;
    uint64_t *order = NULL;
    if (train.vocab_size != (uint32_t)cfg.vocab_size) {
        err_set(e, "%s/tokens/train.tok: vocabulary %u, the tokenizer has %d", o->run,
                train.vocab_size, cfg.vocab_size);
        goto done;
    }
    int B = cfg.train.batch_size, S = cfg.train.seq_len;
    if (train.n_tokens < (uint64_t)S + 1) {
        err_set(e, "%s: the train split has %llu tokens, fewer than one sequence of %d", o->tokens ? o->tokens : o->corpus,
                (unsigned long long)train.n_tokens, S + 1);
        goto done;
    }
    if (o->need_dev && dev.n_tokens <= (uint64_t)S) {
        /* dev_loss evaluates none: the run trained to its end and only then
         * had no dev perplexity (ablate: "no dev evaluation in the log") */
        err_set(e, "%s: the dev split has %llu tokens, fewer than one sequence of %d: no dev evaluation is "
                   "possible (not training)", o->tokens ? o->tokens : o->corpus,
                (unsigned long long)dev.n_tokens, S + 1);
        goto done;
    }
    if (lead && have_dev && dev.n_tokens <= (uint64_t)S)   /* said, not a bare "dev loss n/a" at the end */
        fprintf(stderr, "blalm train: warning: the dev split has %llu tokens, fewer than one sequence of %d: "
                        "no dev evaluation\n", (unsigned long long)dev.n_tokens, S + 1);
    uint64_t n_windows = (train.n_tokens - 1) / (uint64_t)S;
    if ((uint64_t)B > n_windows) B = (int)n_windows; /* tiny corpora: fewer rows */
    if (B < R) {
        err_set(e, "%d ranks for a batch of %d rows: each rank needs at least one row", R, B);
        goto done;
    }
    uint64_t per_step = (uint64_t)B * S, steps_per_epoch = n_windows / (uint64_t)B;
    double corpus_words = 0;
    for (uint64_t d = 0; d < train.n_docs; d++) corpus_words += (double)train.docs[d].words;
    uint64_t w = train_steps_of(o->max_steps, o->max_tokens, per_step, 0);   /* 0: one epoch, below */
    if (w > (uint64_t)LONG_MAX) {   /* only of max_tokens: max_steps is a long */
        err_set(e, "--max-tokens %llu: %llu steps of %llu tokens, more than this build can count",
                (unsigned long long)o->max_tokens, (unsigned long long)w, (unsigned long long)per_step);
        goto done;
    }
    long want = (long)w;
    optim_kind kind = o->optimizer;
    /* a test-only scale (an explicit option, never the environment) shrinks the
     * budget and milestones; it can only make the limits stricter, and the run
     * is recorded as not BabyLM-compliant wherever it is described */
    double wscale = o->test_words_scale > 0 ? o->test_words_scale : 1.0;
    if (wscale > 1.0) {
        err_set(e, "--test-words-scale %g: must be in (0, 1]; nothing may raise a BabyLM limit", wscale);
        goto done;
    }
    uint64_t thash = train_split_hash(&train);
    ckpt_pos pos = {0, 0, 0, 0, 0, 0.0, 0, cfg.train.shuffle_seed, train.n_tokens, o->track, wscale, thash, ""};
    if (o->resume && (ckpt_buf_read(ckpath, &cb, e) < 0 ||
                      resume_checks(o, ckpath, &cb, &cfg, train.n_tokens, thash, want, &pos, &kind, e) < 0))
        goto done;
    memcpy(pos.tokenizer_sha256, tok_hex, sizeof tok_hex);   /* a resume's checkpoints carry it too */
    long total = o->resume ? pos.total_steps : want ? want : (long)steps_per_epoch;
    if (total < 1) total = 1;
    pos.total_steps = total;
    double epochs = (double)total / (double)steps_per_epoch;
    if (o->track != TRACK_NONE) {
        double budget = (o->track == TRACK_STRICT ? 100e6 : 10e6) * wscale;
        const char *tn = o->track == TRACK_STRICT ? "strict" : "strict-small";
        if (corpus_words > budget) {
            err_set(e, "%s: %.0f words in the train split, over the %s budget of %.0f", o->tokens ? o->tokens : o->corpus,
                    corpus_words, tn, budget);
            goto done;
        }
        if (epochs > 10.0 + 1e-9) {
            err_set(e, "%ld steps of %llu windows of %d tokens are %.2f epochs of the train split "
                       "(%llu steps each): BabyLM allows at most 10",
                    total, (unsigned long long)B, S, epochs, (unsigned long long)steps_per_epoch);
            goto done;
        }
    }
    /* every rank must train the same model on the same data for as long:
     * refused, naming the first difference, before anything is written */
    if (R > 1) {
        sbuf d;
        sb_init(&d);
        agree_desc(&d, o, &cfg, kind, &train, have_dev ? &dev : NULL, thash, want, total, &pos);
        int differ = ranks_agree(&d, rank, R, e);
        sb_free(&d);
        if (differ) goto done;
    }
    /* config.json with the real vocabulary */
    cJSON *cj = model_config_to_json(&cfg);
    if (wscale != 1.0) {
        cJSON_AddNumberToObject(cj, "test_words_scale", wscale);
        cJSON_AddFalseToObject(cj, "babylm_compliant");
    }
    char *cs = json_print(cj, 1);
    cJSON_Delete(cj);
    snprintf(p, sizeof p, "%s/config.json", o->run);
    int wr = lead ? write_file_atomic(p, cs, strlen(cs), e) : 0;
    free(cs);
    if (wr < 0) goto done;
    m = model_create(&cfg, e);
    if (!m) goto done;
    if (lead && cfg_vocab != cfg.vocab_size) {
        /* the embedding (and an untied head) are vocab x dim: said, not done silently */
        long long np = (long long)model_num_params(m),
                  was = np - (long long)(cfg.vocab_size - cfg_vocab) * cfg.dim * (cfg.tie_embeddings ? 1 : 2);
        fprintf(stderr, "blalm train: vocab_size %d of %s replaced by the tokenizer's %d (%s): %lld parameters "
                        "instead of %lld\n",
                cfg_vocab, o->model_cfg, cfg.vocab_size,
                o->tokenizer ? o->tokenizer : o->tokens ? "the one tokens.json names" : "trained on the train split",
                np, was);
    }
    model_init_weights(m, cfg.train.seed);
    opt = optim_create(m, kind, &cfg.train);
    if (!opt) {
        err_set(e, "out of memory for the optimiser");
        goto done;
    }
    if (o->resume && ckpt_load_from(&cb, ckpath, m, opt, NULL, NULL, e) < 0) goto done;
    ckpt_buf_free(&cb);
    if (!(dp = dp_create(m, o->threads, rank, R, e))) goto done;
    snprintf(p, sizeof p, "%s/log.jsonl", o->run);
    /* the training time of the segments before this one: the log's line of
     * the checkpoint resumed from (not in the checkpoint, whose bytes are the
     * same for the same run, however long it took) */
    double seconds_before = 0;
    /* a resume that runs no step (the run was complete: blalm run killed
     * after train's last checkpoint, before its marker) reports the loss of
     * the run's last logged step; it reported 0 */
    double loss_before = NAN;
    if (lead && o->resume) sum->dev_loss = trim_log(p, pos.step, &seconds_before, &loss_before);
    if (lead && !(logf = fopen(p, o->resume ? "a" : "w"))) {
        err_errno(e, "%s", p);
        goto done;
    }
    char line[4096]; /* a step line with one DynMod alpha per layer */
    if (lead && !o->resume) {
        cJSON *st = start_line(&cfg, m, opt, kind, train.n_tokens, n_windows, B, steps_per_epoch, total);
        if (wscale != 1.0) {
            cJSON_AddNumberToObject(st, "test_words_scale", wscale);
            cJSON_AddFalseToObject(st, "babylm_compliant");
        }
        char *js = json_print(st, 0);
        cJSON_Delete(st);
        log_line(logf, js);
        free(js);
    }
    uint64_t milestones[64];
    int nms = babylm_milestones(o->track, milestones, 64);
    in = malloc(per_step * 4), tg = malloc(per_step * 4), tmp = malloc(((size_t)S + 1) * 4);
    order = malloc(n_windows * sizeof *order);
    if (!in || !tg || !tmp || !order) {
        err_set(e, "out of memory for %llu windows", (unsigned long long)n_windows);
        goto done;
    }
    epoch_order(&cfg.train, pos.epoch, n_windows, order);
    if (lead && o->progress) {
        o->progress(o->progress_arg, 0, (uint64_t)total, "train");
        if (pos.step) o->progress(o->progress_arg, (uint64_t)pos.step, (uint64_t)total, "train");
    }
    double t_last = now_seconds();
    long tok_since = 0;
    float loss = (float)loss_before;   /* NAN: not known (a new run, or a log without it) */
    long ran = 0;
    double t_steps = 0, t_allreduce = 0, t_loop = now_seconds();
    int row0, row1; /* this rank's rows of every step */
    dp_rows(B, rank, R, &row0, &row1);
    if (o->stop_on_signal) {
        stop_signal = 0;
        sig_stop_install(&old_sig, on_stop_signal);
        sig_on = 1;
    }
    while (pos.step < total) {
        if (pos.data_pos / per_step >= steps_per_epoch) {
            pos.data_pos = 0;
            pos.epoch++;
            epoch_order(&cfg.train, pos.epoch, n_windows, order);
        }
        uint64_t k = pos.data_pos / (uint64_t)S; /* windows read in this epoch */
        read_windows(&train, order, k + (uint64_t)row0, row1 - row0, S, in, tg, tmp);
        double t_step = now_seconds();
        dp_times tm;
        if (dp_step(dp, in, tg, B, S, &loss, &tm, e) < 0) goto done;
        if (!isfinite(loss)) {
            err_set(e, "step %ld: loss is %g; lower the learning rate", pos.step + 1, loss);
            goto done;
        }
        /* every rank holds the same gradient: the same clip and update */
        double mult;
        double gn = train_update(m, opt, &cfg.train, pos.step, total, &mult);
        if (!isfinite(gn)) { /* not applied: the last checkpoint holds finite weights */
            err_set(e, "step %ld: gradient norm is %g (loss %g); lower the learning rate", pos.step + 1, gn, loss);
            goto done;
        }
        t_steps += now_seconds() - t_step;
        t_allreduce += tm.allreduce;
        /* the words of all B rows, counted alike on every rank */
        pos.words_seen += words_in_windows(&train, order, k, B, S);
        pos.tokens_seen += per_step;
        pos.data_pos += per_step;
        pos.step++;
        ran++;
        tok_since += (long)per_step;
        if (lead && o->progress) o->progress(o->progress_arg, (uint64_t)pos.step, (uint64_t)total, "train");
        if (pos.step % cfg.train.log_every == 0 || pos.step == total) {
            double now = now_seconds(), tps = tok_since / fmax(now - t_last, 1e-9);
            t_last = now;
            tok_since = 0;
            snprintf(line, sizeof line,
                     "{\"step\":%ld,\"loss\":%.9g,\"lr\":%.6g,\"grad_norm\":%.6g,\"tok_s\":%.1f,"
                     "\"tokens_seen\":%llu,\"words_seen\":%.17g,\"epoch\":%llu}",
                     pos.step, loss, cfg.train.lr_adamw * mult, gn, tps,
                     (unsigned long long)pos.tokens_seen, pos.words_seen, (unsigned long long)pos.epoch);
            append_swa_alpha(m, line, sizeof line);
            log_line(logf, line);
        }
        if (lead && have_dev && cfg.train.eval_every && (pos.step % cfg.train.eval_every == 0 || pos.step == total)) {
            double dl, pw, lw;
            int er = evaluate(m, &dev, B, S, cfg.train.eval_batches ? cfg.train.eval_batches : 1, &dl, &pw, &lw,
                              e);
            if (er < 0) goto done;
            if (er == 0) {
                /* dev_ppl and dev_ppl_word are rounded for reading; ablate
                 * computes its statistics from the losses, to full
                 * precision (dev_loss_word: the dev loss per word, %.17g) */
                /* not finite (no word in the dev batches, or weights
                 * gone to nan): null, as bare nan is not JSON */
                char dls[40] = "null", dps[40] = "null", pws[40] = "null", lws[40] = "null";
                if (isfinite(dl)) snprintf(dls, sizeof dls, "%.9g", dl);
                if (isfinite(exp(dl))) snprintf(dps, sizeof dps, "%.6g", exp(dl));
                if (isfinite(pw)) snprintf(pws, sizeof pws, "%.6g", pw);
                if (isfinite(lw)) snprintf(lws, sizeof lws, "%.17g", lw);
                snprintf(line, sizeof line,
                         "{\"step\":%ld,\"dev_loss\":%s,\"dev_ppl\":%s,\"dev_ppl_word\":%s,"
                         "\"dev_loss_word\":%s}",
                         pos.step, dls, dps, pws, lws);
                log_line(logf, line);
                if (!isfinite(dl)) { /* before the milestone and checkpoint below: the last ones hold finite weights */
                    err_set(e, "step %ld: dev loss is %g (train loss %g); lower the learning rate", pos.step, dl,
                            loss);
                    goto done;
                }
                sum->dev_loss = dl;
            }
        }
        while (pos.next_milestone < nms &&
               pos.words_seen >= (double)milestones[pos.next_milestone] * wscale) {
            uint64_t mw = milestones[pos.next_milestone++];
            snprintf(p, sizeof p, "%s/checkpoints/chck_%lluM.bin", o->run,
                     (unsigned long long)(mw / 1000000ull));
            if (lead && (check_weights(m, pos.step, loss, e) < 0 || ckpt_save(p, m, opt, kind, &pos, e) < 0))
                goto done;
            sum->milestones_saved++;
        }
        int stop = o->stop_on_signal ? stop_agreed(R) : 0;
        if (lead && ((cfg.train.checkpoint_every && pos.step % cfg.train.checkpoint_every == 0) ||
                     pos.step == total || stop)) {
            /* weights checked before the line: a refused checkpoint logs none */
            if (check_weights(m, pos.step, loss, e) < 0) goto done;
            /* logged before the save: a run killed between the two resumes
             * from the checkpoint before, and trim_log drops this line */
            if (!isnan(seconds_before)) {
                snprintf(line, sizeof line, "{\"step\":%ld,\"event\":\"checkpoint\",\"train_seconds\":%.3f}",
                         pos.step, seconds_before + (now_seconds() - t_loop));
                log_line(logf, line);
            }
            if (ckpt_save(ckpath, m, opt, kind, &pos, e) < 0) goto done;
        }
        if (stop && pos.step < total) {
            sum->stopped_by = stop;
            break;
        }
        if (o->stop_after && ran >= o->stop_after) break;
    }
    sum->steps = pos.step;
    sum->total_steps = total;
    double wall = now_seconds() - t_loop; /* one reading for both figures */
    if (ran)   /* the mean over the steps this call ran (it was the last logged interval's) */
        sum->tok_per_s = (double)ran * (double)per_step / fmax(wall, 1e-9);
    sum->train_seconds = seconds_before + (ran ? wall : 0); /* NAN stays NAN */
    sum->test_words_scale = wscale;
    sum->last_loss = loss;
    sum->words_seen = pos.words_seen;
    sum->tokens_seen = pos.tokens_seen;
    sum->allreduce_frac = t_steps > 0 ? t_allreduce / t_steps : 0;
    rc = 0;
done:
    if (sig_on) sig_stop_restore(&old_sig);
    ckpt_buf_free(&cb);
    if (logf) fclose(logf);
    free(in), free(tg), free(tmp), free(order);
    dp_free(dp);
    optim_free(opt);
    model_free(m);
    tokshard_close(&train);
    if (dev.tok_map || dev.idx_map) tokshard_close(&dev);
    return rc;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int train_bench(const train_opts *o, int steps, int batch, train_bench_result *r, blalm_err *e)
{
    memset(r, 0, sizeof *r);
    model_set_threads(o->threads);
    int rank = o->rank, R = o->ranks > 0 ? o->ranks : 1;
    model_config cfg;
    if (model_config_load(o->model_cfg, &cfg, e) < 0) return -1;
    int B = batch > 0 ? batch : cfg.train.batch_size, S = cfg.train.seq_len;
    if (R > 1) { /* another step count crashed in MPI, another batch or model timed nothing */
        sbuf d;
        sb_init(&d);
        cJSON *cj = model_config_to_json(&cfg);
        desc_json(&d, "config", cj);
        cJSON_Delete(cj);
        sb_printf(&d, "--bench\t%d\n--batch\t%d\n--optimizer\t%s\n", steps, B,
                  o->optimizer == OPT_MUON ? "muon" : "adamw");
        int differ = ranks_agree(&d, rank, R, e);
        sb_free(&d);
        if (differ) return -1;
    }
    /* after the agreement: a --batch that differs is named as such */
    if (B < R) return err_set(e, "%d ranks for a batch of %d rows: each rank needs at least one row", R, B);
    model *m = model_create(&cfg, e);
    if (!m) return -1;
    model_init_weights(m, cfg.train.seed);
    optimizer *opt = optim_create(m, o->optimizer, &cfg.train);
    dp_ctx *dp = opt ? dp_create(m, o->threads, rank, R, e) : NULL;
    int lo, hi, rc = -1;
    dp_rows(B, rank, R, &lo, &hi);
    int32_t *in = malloc((size_t)B * S * 4), *tg = malloc((size_t)B * S * 4);
    if (!opt || !dp || !in || !tg) {
        if (!opt || (dp && (!in || !tg))) err_set(e, "out of memory");
        goto done;
    }
    uint64_t st = cfg.train.seed * 2654435761u + 99; /* the same rows on every rank */
    for (long i = 0; i < (long)B * S; i++) {
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        in[i] = (int32_t)(st % (uint64_t)cfg.vocab_size);
        tg[i] = (int32_t)((st >> 20) % (uint64_t)cfg.vocab_size);
    }
    double t0 = 0, c0 = 0;
    float loss = 0;
    for (int s = 0; s <= steps; s++) {
        if (s == 1) { /* step 0 allocates: warm-up */
            dp_barrier(R);
            t0 = now_seconds(), c0 = cpu_seconds();
        }
        dp_times tm;
        double ts = now_seconds();
        if (dp_step(dp, in + (size_t)lo * S, tg + (size_t)lo * S, B, S, &loss, &tm, e) < 0) goto done;
        /* the step train_run takes (clip, schedule, update) */
        double gn = train_update(m, opt, &cfg.train, s, (long)steps + 1, NULL);
        if (!isfinite(gn)) {
            err_set(e, "step %d: gradient norm is %g (loss %g); lower the learning rate", s + 1, gn, loss);
            goto done;
        }
        if (s >= 1) {
            r->step_s += now_seconds() - ts;
            r->compute_s += tm.compute;
            r->fold_s += tm.fold;
            r->allreduce_s += tm.allreduce;
        }
    }
    double wall = now_seconds() - t0, cpu = cpu_seconds() - c0;
    dp_sum_doubles(&cpu, 1, R);
    r->allreduce_pure_s = dp_allreduce_seconds(dp, 3);
    r->steps = steps, r->batch = B, r->seq = S, r->threads = o->threads, r->ranks = R;
    r->tok_per_s = (double)steps * B * S / wall;
    r->cpu_tok_per_s = (double)steps * B * S / cpu;
    r->step_s /= steps, r->compute_s /= steps, r->fold_s /= steps, r->allreduce_s /= steps;
    r->last_loss = loss;
    rc = 0;
done:
    free(in), free(tg);
    dp_free(dp);
    optim_free(opt);
    model_free(m);
    return rc;
}

int run_checkpoint_name(const char *checkpoint, char *name, size_t cap, blalm_err *e)
{
    if (!checkpoint) checkpoint = "latest";
    size_t n = strlen(checkpoint);
    if (n >= 4 && !strcmp(checkpoint + n - 4, ".bin")) n -= 4;
    if (strchr(checkpoint, '/'))
        return err_set(e, "--checkpoint %s: expected the name of a checkpoint in RUN/checkpoints "
                       "(e.g. chck_10M or latest), not a path", checkpoint);
    if (!n || (n == 1 && checkpoint[0] == '.') || (n == 2 && !strncmp(checkpoint, "..", 2)))
        return err_set(e, "--checkpoint '%s': expected the name of a checkpoint in RUN/checkpoints "
                       "(e.g. chck_10M or latest)", checkpoint);
    if (n >= cap) return err_set(e, "--checkpoint %.40s...: name too long", checkpoint);
    memcpy(name, checkpoint, n);
    name[n] = 0;
    return 0;
}

int run_checkpoint_path(const char *run, const char *checkpoint, char *path, size_t cap, blalm_err *e)
{
    char name[1024];
    if (run_checkpoint_name(checkpoint, name, sizeof name, e) < 0) return -1;
    if ((size_t)snprintf(path, cap, "%s/checkpoints/%s.bin", run, name) >= cap)
        return err_set(e, "%s/checkpoints/%s.bin: path too long", run, name);
    struct stat st;
    if (stat(path, &st) < 0) return err_errno(e, "%s", path);
    if (!S_ISREG(st.st_mode)) return err_set(e, "%s: not a regular file", path);
    return 0;
}

model *run_load_model(const char *run, const char *checkpoint, blalm_err *e)
{
    return run_load_model_pos(run, checkpoint, NULL, e);
}

model *run_load_model_pos(const char *run, const char *checkpoint, ckpt_pos *at, blalm_err *e)
{
    char p[4096];
    if (run_checkpoint_path(run, checkpoint, p, sizeof p, e) < 0) return NULL;
    model_config c;
    if (ckpt_read_config(p, &c, e) < 0) return NULL;
    model *m = model_create(&c, e);
    if (!m) return NULL;
    ckpt_pos pos;
    char tp[4096];
    snprintf(tp, sizeof tp, "%s/tokenizer.json", run);
    if (ckpt_load(p, m, NULL, NULL, &pos, e) < 0 || ckpt_check_tokenizer(p, &pos, tp, c.vocab_size, e) < 0) {
        model_free(m);
        return NULL;
    }
    if (at) *at = pos;
    return m;
}
