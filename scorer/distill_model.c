/* distill_model.c - the model file (layout in distill.h) and prediction. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fsutil.h"
#include "lib/hash.h"
#include "lib/sbuf.h"
#include "lib/utf8.h"
#include "scorer/distill_internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the model file is written little-endian by memcpy; add byte swaps for this host"
#endif

static const char magic[8] = {'B', 'L', 'D', 'S', 'T', 'L', '\r', '\n'};
enum { HEADER_BYTES = 128, PREAMBLE = 16 };

static void put32(sbuf *b, uint32_t v) { sb_add(b, &v, 4); }
static void put64(sbuf *b, uint64_t v) { sb_add(b, &v, 8); }
static void putd(sbuf *b, double v) { sb_add(b, &v, 8); }

static void serialize(const distill_model *m, sbuf *b)
{
    const size_t H = distill_hashed_dim(&m->feat), Dt = H + m->n_attr;
    sb_add(b, magic, 8);
    put32(b, DISTILL_VERSION);
    put32(b, HEADER_BYTES);
    put32(b, m->feat.version);
    put32(b, m->feat.hash_bits);
    put32(b, m->feat.ngram_max);
    put32(b, m->feat.min_token);
    put32(b, m->kind);
    put32(b, m->outputs);
    put32(b, m->folds);
    put32(b, 0);
    put64(b, m->seed);
    put64(b, m->n_train);
    put64(b, m->cv_docs);
    putd(b, m->lambda);
    putd(b, m->threshold);
    putd(b, m->offset);
    putd(b, m->cv_f1);
    putd(b, m->cv_mae);
    putd(b, m->lambda2);
    put32(b, m->feat.max_bytes);
    put32(b, m->feat.char_min);
    put32(b, m->feat.char_max);
    put32(b, m->n_attr);
    putd(b, m->feat.attr_weight);
    for (uint32_t k = 0; k < m->n_attr; k++) {
        uint32_t l = (uint32_t)strlen(m->attr_names[k]);
        put32(b, l);
        sb_add(b, m->attr_names[k], l);
        put32(b, m->attr_log[k]);
        putd(b, m->attr_mu[k]);
        putd(b, m->attr_sd[k]);
    }
    sb_add(b, m->idf, H * sizeof *m->idf);
    sb_add(b, m->w, Dt * m->outputs * sizeof *m->w);
    sb_add(b, m->bias, m->outputs * sizeof *m->bias);
    const distill_vectors *v = m->vec;
    put32(b, v ? v->dim : 0);
    if (v) {
        put32(b, v->n);
        put32(b, m->n_land);
        put32(b, m->emb_rank);
        putd(b, m->gamma);
        putd(b, m->emb_weight);
        putd(b, m->emb_bias);
        putd(b, m->emb_lambda);
        put64(b, v->blob_len);
        sb_add(b, v->blob, v->blob_len);
        sb_add(b, m->emb_mu, v->dim * sizeof *m->emb_mu);
        sb_add(b, m->emb_sd, v->dim * sizeof *m->emb_sd);
        sb_add(b, v->vec, (size_t)v->n * v->dim * sizeof *v->vec);
        sb_add(b, m->land, (size_t)m->n_land * v->dim * sizeof *m->land);
        sb_add(b, m->alpha, (size_t)m->n_land * sizeof *m->alpha);
    }
    put64(b, m->n_seen);
    sb_add(b, m->seen, m->n_seen * sizeof *m->seen);
    put64(b, xxh64(b->data, b->len, 0));
}

static void set_name(distill_model *m, uint64_t sum)
{
    snprintf(m->name, sizeof m->name, "distill-%s%s-%012llx", distill_kind_name((distill_kind)m->kind),
             m->vec ? "+vectors" : "", (unsigned long long)(sum >> 16));
}

int distill_model_save(const distill_model *m, const char *path, blalm_err *e)
{
    sbuf b;
    sb_init(&b);
    serialize(m, &b);
    int rc = write_file_atomic(path, b.data, b.len, e);
    sb_free(&b);
    return rc;
}

void distill_model_seal(distill_model *m)
{
    sbuf b;
    sb_init(&b);
    serialize(m, &b);
    uint64_t sum;
    memcpy(&sum, b.data + b.len - 8, 8);
    set_name(m, sum);
    sb_free(&b);
}

typedef struct rd { const unsigned char *p; size_t len, off; } rd;

static uint32_t get32(rd *r) { uint32_t v; memcpy(&v, r->p + r->off, 4); r->off += 4; return v; }
static uint64_t get64(rd *r) { uint64_t v; memcpy(&v, r->p + r->off, 8); r->off += 8; return v; }
static double getd(rd *r) { double v; memcpy(&v, r->p + r->off, 8); r->off += 8; return v; }

/* The word-vector part (version 3), bounds-checked against r->len (which
 * leaves room for n_seen); need grows by its bytes. */
static int parse_emb(distill_model *m, rd *r, const char *name, size_t *need, blalm_err *e)
{
    size_t at = r->off;
    uint32_t d = get32(r);
    if (d == 0) return 0;
    if (d < 2 || d > DISTILL_MAX_EMB_DIM || r->off + 52 > r->len)
        return err_set(e, "%s: offset %zu: word-vector part of dimension %u (expected 2..%d) or truncated", name,
                       at, d, DISTILL_MAX_EMB_DIM);
    uint32_t nw = get32(r), nl = get32(r), rank = get32(r);
    double gamma = getd(r), weight = getd(r), bias = getd(r), lambda = getd(r);
    uint64_t bl = get64(r);
    if (!(gamma > 0) || !isfinite(gamma) || !(weight > 0 && weight < 1) || !isfinite(bias) ||
        !(lambda > 0) || !isfinite(lambda) || nw == 0 || nl == 0 || rank == 0 || rank > nl)
        return err_set(e, "%s: offset %zu: bad word-vector part header (gamma %g, weight %g, %u words, %u "
                          "landmarks, rank %u)", name, at + 4, gamma, weight, nw, nl, rank);
    /* every product is below 2^32 * 2^10 * 8: no overflow in 64 bits */
    uint64_t body = bl + 8ull * d + 4ull * nw * d + 4ull * nl * d + 8ull * nl;
    if (bl > r->len || body > r->len - r->off || r->len - r->off - body < 8)
        return err_set(e, "%s: offset %zu: the word-vector part (%u words, %u landmarks, dimension %u) does not "
                          "fit the file", name, at, nw, nl, d);
    distill_vectors *v = calloc(1, sizeof *v);
    if (!v) return err_set(e, "out of memory");
    m->vec = v;
    v->n = nw;
    v->dim = d;
    v->blob_len = (size_t)bl;
    v->blob = malloc(bl ? (size_t)bl : 1);
    v->vec = malloc((size_t)nw * d * sizeof *v->vec);
    m->emb_mu = malloc(d * sizeof *m->emb_mu);
    m->emb_sd = malloc(d * sizeof *m->emb_sd);
    m->land = malloc((size_t)nl * d * sizeof *m->land);
    m->land_sq = malloc((size_t)nl * sizeof *m->land_sq);
    m->alpha = malloc((size_t)nl * sizeof *m->alpha);
    if (!v->blob || !v->vec || !m->emb_mu || !m->emb_sd || !m->land || !m->land_sq || !m->alpha)
        return err_set(e, "out of memory");
    size_t blob_at = r->off;
    memcpy(v->blob, r->p + r->off, (size_t)bl), r->off += (size_t)bl;
    memcpy(m->emb_mu, r->p + r->off, 4ull * d), r->off += 4ull * d;
    memcpy(m->emb_sd, r->p + r->off, 4ull * d), r->off += 4ull * d;
    size_t vec_at = r->off;
    memcpy(v->vec, r->p + r->off, 4ull * nw * d), r->off += 4ull * nw * d;
    size_t land_at = r->off;
    memcpy(m->land, r->p + r->off, 4ull * nl * d), r->off += 4ull * nl * d;
    size_t alpha_at = r->off;
    memcpy(m->alpha, r->p + r->off, 8ull * nl), r->off += 8ull * nl;
    m->n_land = nl;
    m->emb_rank = rank;
    m->gamma = gamma;
    m->emb_weight = weight;
    m->emb_bias = bias;
    m->emb_lambda = lambda;
    *need += (size_t)body + 52;
    for (uint32_t k = 0; k < d; k++)
        if (!isfinite(m->emb_mu[k]) || !(m->emb_sd[k] >= 0) || !isfinite(m->emb_sd[k]))
            return err_set(e, "%s: offset %zu: non-finite word-vector standardisation", name, blob_at + (size_t)bl);
    for (size_t q = 0; q < (size_t)nw * d; q++)
        if (!isfinite(v->vec[q])) return err_set(e, "%s: offset %zu: non-finite word vector", name, vec_at + 4 * q);
    for (uint32_t j = 0; j < nl; j++) {
        double s = 0;
        for (uint32_t k = 0; k < d; k++) {
            float x = m->land[(size_t)j * d + k];
            if (!isfinite(x)) return err_set(e, "%s: offset %zu: non-finite landmark", name, land_at + 4 * ((size_t)j * d + k));
            s += (double)x * x;
        }
        m->land_sq[j] = (float)s;
        if (!isfinite(m->alpha[j])) return err_set(e, "%s: offset %zu: non-finite alpha", name, alpha_at + 8 * (size_t)j);
    }
    if (distill_vectors_index(v, e) < 0) {
        err_prefix(e, "%s: offset %zu", name, blob_at);
        return -1;
    }
    return 0;
}

/* An attribute feature's name: SET.KEY, the set (a folder under
 * WORK/attributes, named in messages) of letters, digits, '_' and '-', the
 * key printable UTF-8. */
static int attr_name_ok(const char *s, size_t l)
{
    const char *dot = memchr(s, '.', l);
    if (!dot || dot == s || dot + 1 == s + l) return 0;
    for (const char *p = s; p < dot; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
              *p == '-'))
            return 0;
    for (const char *p = dot + 1; p < s + l; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) return 0;
    size_t bad;
    return utf8_valid(dot + 1, (size_t)(s + l - dot - 1), &bad);
}

/* s[0..l) for a message: printable ASCII as it is ('"' and '\\' escaped),
 * any other byte as \xNN. out holds 4 l + 1 bytes. */
static void show_bytes(const char *s, size_t l, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < l; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') *out++ = '\\', *out++ = (char)c;
        else if (c >= 0x20 && c < 0x7f) *out++ = (char)c;
        else *out++ = '\\', *out++ = 'x', *out++ = hex[c >> 4], *out++ = hex[c & 15];
    }
    *out = 0;
}

/* Whether the parts after the attribute table (at r->off, up to r->len),
 * sized by H hashed and Dt weight columns per output, fill the file exactly:
 * idf, weights, biases, the word-vector part (version 3) by its own header,
 * then the training-text hashes. Reads nothing into the model. */
static int layout_fits(const rd *r, uint32_t version, size_t H, size_t Dt, uint32_t outputs)
{
    uint64_t off = r->off + 4ull * H + 4ull * Dt * outputs + 8ull * outputs;
    if (version >= 3) {
        if (off + 4 > r->len) return 0;
        uint32_t d;
        memcpy(&d, r->p + off, 4);
        off += 4;
        if (d) {
            if (d < 2 || d > DISTILL_MAX_EMB_DIM || off + 52 > r->len) return 0;
            uint32_t nw, nl;
            uint64_t bl;
            memcpy(&nw, r->p + off, 4);
            memcpy(&nl, r->p + off + 4, 4);
            memcpy(&bl, r->p + off + 44, 8);
            off += 52;
            if (bl > r->len) return 0;
            uint64_t body = bl + 8ull * d + 4ull * nw * d + 4ull * nl * d + 8ull * nl;
            if (body > r->len - off) return 0;
            off += body;
        }
    }
    if (off + 8 > r->len) return 0;
    uint64_t n_seen;
    memcpy(&n_seen, r->p + off, 8);
    off += 8;
    return n_seen <= (r->len - off) / 8 && n_seen * 8 == r->len - off;
}

distill_model *distill_model_parse(const void *data, size_t len, const char *name, blalm_err *e)
{
    rd r = {data, len, 0};
    if (len < PREAMBLE || memcmp(data, magic, 8) != 0)
        return err_set(e, "%s: not a blalm distill model (expected the magic \"BLDSTL\\r\\n\" at offset 0)",
                       name), NULL;
    r.off = 8;
    uint32_t version = get32(&r), hb = get32(&r);
    if (version < DISTILL_MIN_VERSION || version > DISTILL_VERSION)
        return err_set(e, "%s: offset 8: model file version %u, this build reads versions %d to %d (retrain "
                          "it with `blalm distill train`)", name, version, DISTILL_MIN_VERSION, DISTILL_VERSION), NULL;
    if (hb != HEADER_BYTES || len < PREAMBLE + HEADER_BYTES + 8 + 8)
        return err_set(e, "%s: truncated or corrupt model header (%zu bytes)", name, len), NULL;
    uint64_t sum;
    memcpy(&sum, r.p + len - 8, 8);
    if (xxh64(data, len - 8, 0) != sum)
        return err_set(e, "%s: checksum mismatch at offset %zu: the model file is corrupt or truncated",
                       name, len - 8), NULL;
    r.len = len - 8;   /* what the checksum covers */
    distill_model *m = calloc(1, sizeof *m);
    if (!m) return err_set(e, "out of memory"), NULL;
    m->feat.version = get32(&r);
    m->feat.hash_bits = get32(&r);
    m->feat.ngram_max = get32(&r);
    m->feat.min_token = get32(&r);
    m->kind = get32(&r);
    m->outputs = get32(&r);
    m->folds = get32(&r);
    (void)get32(&r);
    m->seed = get64(&r);
    m->n_train = get64(&r);
    m->cv_docs = get64(&r);
    m->lambda = getd(&r);
    m->threshold = getd(&r);
    m->offset = getd(&r);
    m->cv_f1 = getd(&r);
    m->cv_mae = getd(&r);
    m->lambda2 = getd(&r);
    m->feat.max_bytes = get32(&r);
    m->feat.char_min = get32(&r);
    m->feat.char_max = get32(&r);
    uint32_t n_attr = get32(&r);
    m->feat.attr_weight = getd(&r);
    if (distill_features_check(&m->feat, e) < 0) {
        err_prefix(e, "%s: offset 16: the model was trained with another %s", name,
                   "feature configuration than this build supports");
        distill_model_free(m);
        return NULL;
    }
    if (!((m->kind == DISTILL_RIDGE && m->outputs == 1) ||
          (m->kind == DISTILL_LOGISTIC && m->outputs == DISTILL_CLASSES) ||
          (m->kind == DISTILL_ENSEMBLE && m->outputs == DISTILL_MAX_OUTPUTS))) {
        err_set(e, "%s: offset 32: model kind %u with %u outputs, expected ridge (1), logistic (6) "
                "or ensemble (7)",
                name, m->kind, m->outputs);
        distill_model_free(m);
        return NULL;
    }
    if (!isfinite(m->offset) || !isfinite(m->lambda)) {
        err_set(e, "%s: offset 72: non-finite offset or lambda", name);
        distill_model_free(m);
        return NULL;
    }
    if (n_attr > DISTILL_MAX_ATTRS) {
        err_set(e, "%s: offset 132: %u attribute features, at most %d", name, n_attr, DISTILL_MAX_ATTRS);
        distill_model_free(m);
        return NULL;
    }
    m->attr_names = calloc(n_attr ? n_attr : 1, sizeof *m->attr_names);
    m->attr_mu = calloc(n_attr ? n_attr : 1, sizeof *m->attr_mu);
    m->attr_sd = calloc(n_attr ? n_attr : 1, sizeof *m->attr_sd);
    m->attr_log = calloc(n_attr ? n_attr : 1, sizeof *m->attr_log);
    if (!m->attr_names || !m->attr_mu || !m->attr_sd || !m->attr_log) {
        err_set(e, "out of memory");
        distill_model_free(m);
        return NULL;
    }
    for (uint32_t k = 0; k < n_attr; k++) {
        size_t at = r.off;
        uint32_t l = r.off + 4 <= r.len ? get32(&r) : 0;
        if (l == 0 || l > 256 || r.off + l + 20 > r.len) {
            err_set(e, "%s: offset %zu: attribute feature %u: bad name length", name, at, k);
            distill_model_free(m);
            return NULL;
        }
        m->attr_names[k] = malloc(l + 1);
        if (!m->attr_names[k]) {
            err_set(e, "out of memory");
            distill_model_free(m);
            return NULL;
        }
        m->n_attr = k + 1;
        memcpy(m->attr_names[k], r.p + r.off, l);
        m->attr_names[k][l] = 0;
        r.off += l;
        uint32_t lg = get32(&r);
        m->attr_mu[k] = getd(&r);
        m->attr_sd[k] = getd(&r);
        if (!attr_name_ok(m->attr_names[k], l)) {
            char shown[4 * 256 + 1];
            show_bytes(m->attr_names[k], l, shown);
            err_set(e, "%s: offset %zu: attribute feature %u: name \"%s\" is not SET.KEY (a set of letters, "
                       "digits, '_' or '-', a key of printable UTF-8)", name, at, k, shown);
            distill_model_free(m);
            return NULL;
        }
        if (lg > 1 || !isfinite(m->attr_mu[k]) || !(m->attr_sd[k] >= 0) || !isfinite(m->attr_sd[k])) {
            err_set(e, "%s: offset %zu: attribute feature %u: bad transform or standardisation", name, at, k);
            distill_model_free(m);
            return NULL;
        }
        m->attr_log[k] = (uint8_t)lg;
    }
    const size_t H = distill_hashed_dim(&m->feat), Dt = H + m->n_attr;
    if (!layout_fits(&r, version, H, Dt, m->outputs)) {
        /* the header's hash_bits sizes everything after it: with a wrong one
         * the word-vector part and the hashes are read at the wrong offsets */
        distill_features f = m->feat;
        for (f.hash_bits = 10; f.hash_bits <= 24; f.hash_bits++) {
            size_t h = distill_hashed_dim(&f);
            if (f.hash_bits != m->feat.hash_bits && layout_fits(&r, version, h, h + m->n_attr, m->outputs)) {
                err_set(e, "%s: offset 20: hash_bits %u does not match the model's sizes: the weights, "
                           "word-vector part and training-text hashes that follow fit hash_bits %u; the "
                           "header is corrupt", name, m->feat.hash_bits, f.hash_bits);
                distill_model_free(m);
                return NULL;
            }
        }
    }
    size_t need = r.off + 4 * H + 4 * Dt * m->outputs + 8 * m->outputs + (version >= 3 ? 4 : 0) + 8;
    if (len < need + 8) {
        err_set(e, "%s: %zu bytes, expected at least %zu for %zu features", name, len, need + 8, Dt);
        distill_model_free(m);
        return NULL;
    }
    m->idf = malloc(H * sizeof *m->idf);
    m->w = malloc(Dt * m->outputs * sizeof *m->w);
    if (!m->idf || !m->w) {
        err_set(e, "out of memory");
        distill_model_free(m);
        return NULL;
    }
    size_t idf_at = r.off;
    memcpy(m->idf, r.p + r.off, 4 * H);
    r.off += 4 * H;
    memcpy(m->w, r.p + r.off, 4 * Dt * m->outputs);
    r.off += 4 * Dt * m->outputs;
    for (uint32_t k = 0; k < m->outputs; k++) m->bias[k] = getd(&r);
    if (version >= 3 && parse_emb(m, &r, name, &need, e) < 0) {
        distill_model_free(m);
        return NULL;
    }
    m->n_seen = get64(&r);
    if (m->n_seen != (len - need - 8) / 8 || (len - need - 8) % 8) {
        err_set(e, "%s: offset %zu: %llu training-text hashes do not fit the file's %zu bytes", name,
                r.off - 8, (unsigned long long)m->n_seen, len);
        distill_model_free(m);
        return NULL;
    }
    m->seen = malloc((m->n_seen ? m->n_seen : 1) * sizeof *m->seen);
    if (!m->seen) {
        err_set(e, "out of memory");
        distill_model_free(m);
        return NULL;
    }
    memcpy(m->seen, r.p + r.off, 8 * m->n_seen);
    for (size_t j = 0; j < H; j++)
        if (!isfinite(m->idf[j])) {
            err_set(e, "%s: offset %zu: non-finite idf", name, idf_at + 4 * j);
            distill_model_free(m);
            return NULL;
        }
    /* a non-finite weight or bias would score documents NaN or infinite */
    for (size_t j = 0; j < Dt * m->outputs; j++)
        if (!isfinite(m->w[j])) {
            err_set(e, "%s: offset %zu: non-finite weight", name, idf_at + 4 * H + 4 * j);
            distill_model_free(m);
            return NULL;
        }
    for (uint32_t k = 0; k < m->outputs; k++)
        if (!isfinite(m->bias[k])) {
            err_set(e, "%s: offset %zu: non-finite bias", name, idf_at + 4 * H + 4 * Dt * m->outputs + 8 * k);
            distill_model_free(m);
            return NULL;
        }
    set_name(m, sum);
    return m;
}

distill_model *distill_model_load(const char *path, blalm_err *e)
{
    char *data = NULL;
    size_t len = 0;
    if (read_file(path, &data, &len, e) < 0) return NULL;
    distill_model *m = distill_model_parse(data, len, path, e);
    free(data);
    return m;
}

void distill_model_free(distill_model *m)
{
    if (!m) return;
    free(m->idf);
    free(m->w);
    free(m->seen);
    for (uint32_t k = 0; k < m->n_attr; k++) free(m->attr_names[k]);
    free(m->attr_names);
    free(m->attr_mu);
    free(m->attr_sd);
    free(m->attr_log);
    distill_vectors_free(m->vec);
    free(m->emb_mu);
    free(m->emb_sd);
    free(m->land);
    free(m->land_sq);
    free(m->alpha);
    free(m);
}

const distill_features *distill_model_features(const distill_model *m) { return &m->feat; }
distill_kind distill_model_kind(const distill_model *m) { return (distill_kind)m->kind; }
double distill_model_lambda(const distill_model *m) { return m->lambda; }
double distill_model_threshold(const distill_model *m) { return m->threshold; }
const char *distill_model_name(const distill_model *m) { return m->name; }

const char *distill_kind_name(distill_kind k)
{
    return k == DISTILL_RIDGE ? "ridge" : k == DISTILL_LOGISTIC ? "logistic"
         : k == DISTILL_ENSEMBLE ? "ensemble" : "auto";
}

int distill_kind_parse(const char *s)
{
    for (int k = DISTILL_AUTO; k <= DISTILL_ENSEMBLE; k++)
        if (!strcmp(s, distill_kind_name((distill_kind)k))) return k;
    return -1;
}

int distill_attrs_parse(const char *s)
{
    return !strcmp(s, "auto") ? DISTILL_ATTRS_AUTO : !strcmp(s, "none") ? DISTILL_ATTRS_NONE
         : !strcmp(s, "all") ? DISTILL_ATTRS_ALL : -1;
}

void distill_report_chosen(const distill_train_report *rep, double *f1_at3, double *mae, double *threshold)
{
    const distill_candidate *b = &rep->cand[rep->best];
    const distill_emb_report *er = &rep->emb;
    *f1_at3 = er->on ? er->f1 : b->f1_at3;
    *mae = er->on ? er->mae : b->mae;
    *threshold = er->on ? er->threshold : b->threshold;
}

int distill_model_saw(const distill_model *m, uint64_t h)
{
    size_t lo = 0, hi = m->n_seen;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->seen[mid] < h) lo = mid + 1;
        else hi = mid;
    }
    return lo < m->n_seen && m->seen[lo] == h;
}

uint32_t distill_model_n_attrs(const distill_model *m) { return m->n_attr; }
const char *distill_model_attr_name(const distill_model *m, uint32_t i)
{
    return i < m->n_attr ? m->attr_names[i] : NULL;
}

double distill_attr_z(const distill_model *m, uint32_t k, double raw)
{
    if (!isfinite(raw) || !(m->attr_sd[k] > 0)) return 0.0;   /* missing: the mean */
    double v = m->attr_log[k] ? log1p(fmax(raw, 0.0)) : raw;
    double z = (v - m->attr_mu[k]) / m->attr_sd[k];
    return z > 5 ? 5 : z < -5 ? -5 : z;
}

double distill_raw(const distill_model *m, const distill_counts *c)
{
    const size_t H = distill_hashed_dim(&m->feat), Dt = H + m->n_attr;
    const uint32_t half = (uint32_t)1 << m->feat.hash_bits;
    double scale[3];
    distill_block_scales(&m->feat, m->n_attr, scale);
    /* per block: sum of squares and the outputs' dot products */
    double ss[2] = {0, 0}, dot[2][DISTILL_MAX_OUTPUTS] = {{0}};
    for (size_t k = 0; k < c->n; k++) {
        int b = c->idx[k] >= half;
        double v = (1.0 + log((double)c->cnt[k])) * m->idf[c->idx[k]];
        ss[b] += v * v;
        for (uint32_t o = 0; o < m->outputs; o++) dot[b][o] += v * m->w[o * Dt + c->idx[k]];
    }
    double inv[2];
    for (int b = 0; b < 2; b++) inv[b] = ss[b] > 0 ? scale[b] / sqrt(ss[b]) : 0.0;
    double out[DISTILL_MAX_OUTPUTS];
    for (uint32_t o = 0; o < m->outputs; o++) out[o] = dot[0][o] * inv[0] + dot[1][o] * inv[1];
    for (uint32_t k = 0; k < m->n_attr && c->attr && k < c->n_attr; k++) {
        double z = distill_attr_z(m, k, c->attr[k]) * scale[2];
        if (z != 0)
            for (uint32_t o = 0; o < m->outputs; o++) out[o] += z * m->w[o * Dt + H + k];
    }
    if (m->outputs == 1) return out[0] + m->bias[0];
    int o0 = m->kind == DISTILL_ENSEMBLE;   /* the logistic part's first output */
    double l[DISTILL_CLASSES], mx = -INFINITY, se = 0, ev = 0;
    for (int k = 0; k < DISTILL_CLASSES; k++) {
        l[k] = out[o0 + k] + m->bias[o0 + k];
        mx = fmax(mx, l[k]);
    }
    for (int k = 0; k < DISTILL_CLASSES; k++) {
        double p = exp(l[k] - mx);
        se += p;
        ev += k * p;
    }
    if (o0) return 0.5 * (out[0] + m->bias[0] + ev / se);
    return ev / se;
}

double distill_predict(const distill_model *m, const distill_counts *c)
{
    double raw = distill_raw(m, c);
    if (m->vec) raw = (1 - m->emb_weight) * raw + m->emb_weight * distill_emb_raw(m, c);
    return raw + m->offset;
}

const distill_vectors *distill_model_vectors(const distill_model *m) { return m->vec; }
