/* sample.c - next-token sampling (contract in sample.h). */
#include "trainer/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sample_cand {
    float logit;
    int id;
};

int sampler_init(sampler *s, int vocab, const sample_opts *o, uint64_t seed, blalm_err *e)
{
    memset(s, 0, sizeof *s);
    if (vocab < 1) return err_set(e, "sampler: vocabulary of %d tokens", vocab);
    s->o = *o;
    s->vocab = vocab;
    s->rng = seed * 0x9E3779B97F4A7C15ull + 1;
    if (!s->rng) s->rng = 1;   /* xorshift stays at 0 */
    s->idx = malloc((size_t)vocab * sizeof *s->idx);
    s->pr = malloc((size_t)vocab * sizeof *s->pr);
    s->cand = malloc((size_t)vocab * sizeof *s->cand);
    int top = o->top_k > 0 && o->top_k < vocab;   /* select_top's work space, only then */
    s->sel = top ? malloc(7 * (size_t)vocab * sizeof *s->sel) : NULL;
    if (!s->idx || !s->pr || !s->cand || (top && !s->sel)) {
        sampler_free(s);
        return err_set(e, "sampler: out of memory for %d tokens", vocab);
    }
    return 0;
}

void sampler_free(sampler *s)
{
    free(s->idx);
    free(s->pr);
    free(s->cand);
    free(s->sel);
    memset(s, 0, sizeof *s);
}

/* larger logit first; equal logits by token id */
static int cmp_cand(const void *a, const void *b)
{
    const struct sample_cand *x = a, *y = b;
    if (x->logit != y->logit) return x->logit > y->logit ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

/* Moves the n largest logits (of idx[0..V) = 0..V-1) to idx[0..n), largest
 * first, as a selection sort does it: step a takes the first position from a
 * holding the largest logit and swaps it with position a (so ties among the
 * later ones can leave their id order). Pinned by test_sample's
 * same_tokens_as_before; select_top gives the same order faster. */
static void select_top_plain(const float *logits, int *idx, int V, int n)
{
    for (int a = 0; a < n; a++) {
        int m = a;
        for (int b = a + 1; b < V; b++)
            if (logits[idx[b]] > logits[idx[m]]) m = b;
        int t = idx[a];
        idx[a] = idx[m];
        idx[m] = t;
    }
}

/* Sifts down the root-relative entry i of the min-heap hp[base..base+size)
 * (keyed by pos[]), keeping hi[] (each entry's place in hp) up to date. */
static void group_sift(int *hp, int *hi, const int *pos, int base, int size, int i)
{
    int x = hp[base + i];
    for (;;) {
        int l = 2 * i + 1, m = i;
        int km = pos[x];
        if (l < size && pos[hp[base + l]] < km) m = l, km = pos[hp[base + l]];
        if (l + 1 < size && pos[hp[base + l + 1]] < km) m = l + 1;
        if (m == i) break;
        hp[base + i] = hp[base + m];
        hi[hp[base + i]] = base + i;
        i = m;
    }
    hp[base + i] = x;
    hi[x] = base + i;
}

/* select_top_plain's order in O(V log n): only the tokens whose logit
 * reaches the n-th largest (the candidates) can be taken, so the swaps are
 * replayed for them alone: candidates of equal logit form a group, a min-heap
 * of their current positions; each step takes the first position of the
 * highest group, and the candidate the swap moves from position a (the
 * first position of its own, lower, group) to the taken one's position.
 * (Before, the selection sort itself: k * V comparisons per token, 0.8 ms
 * for the default top-k 40 of 16,384 tokens, twice the model's step, and
 * 105 ms for top-k 8,000.) */
static void select_top(sampler *s, const float *logits, int V, int n)
{
    for (int v = 0; v < V; v++)
        if (logits[v] != logits[v]) { /* NaN: compares as the selection sort does it */
            select_top_plain(logits, s->idx, V, n);
            return;
        }
    /* the n-th largest logit: a min-heap of the n largest */
    float *h = s->pr, th;
    int hn = 0;
    for (int v = 0; v < V; v++) {
        float x = logits[v];
        if (hn == n && !(x > h[0])) continue;
        int i;
        if (hn < n) { /* sift up */
            i = hn++;
            while (i > 0 && h[(i - 1) / 2] > x) h[i] = h[(i - 1) / 2], i = (i - 1) / 2;
        } else { /* replace the root, sift down */
            i = 0;
            for (;;) {
                int l = 2 * i + 1, m = i;
                float km = x;
                if (l < hn && h[l] < km) m = l, km = h[l];
                if (l + 1 < hn && h[l + 1] < km) m = l + 1;
                if (m == i) break;
                h[i] = h[m];
                i = m;
            }
        }
        h[i] = x;
    }
    th = h[0];
    /* candidates by logit (descending), then id: each group's ids ascending,
     * which is a min-heap of their positions (position = id at the start) */
    struct sample_cand *c = s->cand;
    int C = 0;
    for (int v = 0; v < V; v++)
        if (logits[v] >= th) c[C++] = (struct sample_cand){logits[v], v};
    qsort(c, (size_t)C, sizeof *c, cmp_cand);
    int *posown = s->sel, *pos = posown + V, *hp = pos + V, *hi = hp + V, *grp = hi + V, *gstart = grp + V,
        *gsize = gstart + V, G = 0;
    for (int v = 0; v < V; v++) posown[v] = -1;
    for (int k = 0; k < C; k++) {
        if (k == 0 || c[k].logit != c[k - 1].logit) gstart[G] = k, gsize[G++] = 0;
        grp[k] = G - 1;
        gsize[G - 1]++;
        pos[k] = c[k].id;
        hp[k] = hi[k] = k;
        posown[c[k].id] = k;
    }
    int g = 0;
    for (int a = 0; a < n; a++) {
        while (gsize[g] == 0) g++;
        int base = gstart[g], take = hp[base], m = pos[take];
        s->idx[a] = c[take].id;
        if (--gsize[g] > 0) { /* the last entry to the root */
            hp[base] = hp[base + gsize[g]];
            hi[hp[base]] = base;
            group_sift(hp, hi, pos, base, gsize[g], 0);
        }
        if (m != a) { /* the swap: position a's token moves to m */
            int o = posown[a];
            posown[m] = o;
            if (o >= 0) { /* a candidate of a lower group, at its root */
                pos[o] = m;
                group_sift(hp, hi, pos, gstart[grp[o]], gsize[grp[o]], hi[o] - gstart[grp[o]]);
            }
        }
    }
}

int sampler_next(sampler *s, const float *logits)
{
    int V = s->vocab, best = 0;
    for (int v = 1; v < V; v++)
        if (logits[v] > logits[best]) best = v;
    if (s->o.temperature <= 0) return best;
    double temp = s->o.temperature;
    int *idx = s->idx;
    float *pr = s->pr;
    int n = V;
    for (int v = 0; v < V; v++) idx[v] = v;
    int nucleus = s->o.top_p > 0 && s->o.top_p < 1;
    if (s->o.top_k > 0 && s->o.top_k < V) n = s->o.top_k;
    if (n < V) {
        select_top(s, logits, V, n);   /* the top k, largest first */
    } else if (nucleus) {                /* every token, largest first */
        for (int v = 0; v < V; v++) s->cand[v] = (struct sample_cand){logits[v], v};
        qsort(s->cand, (size_t)V, sizeof *s->cand, cmp_cand);
        for (int v = 0; v < V; v++) idx[v] = s->cand[v].id;
    }
    double sum = 0, mx = logits[best];
    for (int a = 0; a < n; a++) sum += (pr[a] = (float)exp((logits[idx[a]] - mx) / temp));
    if (nucleus) { /* the smallest prefix whose probability reaches top_p */
        double want = s->o.top_p * sum, cum = 0;
        int keep = 0;
        while (keep < n && cum < want) cum += pr[keep++];
        n = keep > 0 ? keep : 1;
        sum = 0;
        for (int a = 0; a < n; a++) sum += pr[a];
    }
    double u = (double)(next_rand(&s->rng) >> 11) / 9007199254740992.0 * sum;
    for (int a = 0; a < n; a++) {
        u -= pr[a];
        if (u <= 0) return idx[a];
    }
    return idx[n - 1];
}

/* One sample: eot, the prompt, then up to max_new drawn tokens into out. */
static int generate_one(model *m, const int32_t *prompt, size_t n, const generate_opts *o, uint64_t seed,
                        uint32_t *out, int *out_n, blalm_err *e)
{
    int V = model_cfg(m)->vocab_size, rc = -1;
    gen_state *g = gen_create(m, (int)n + 1 + o->max_new);
    float *logits = malloc((size_t)V * sizeof *logits);
    sampler s;
    int have_s = 0;
    *out_n = 0;
    if (!g || !logits) {
        const model_config *c = model_cfg(m);
        if (c->mixer == MIXER_ATTENTION) /* its keys and values for every position, allocated up front */
            err_set(e, "generate: out of memory for a sample's state: an attention model keeps the keys and values "
                       "of all %zu positions (prompt + --max-new %d), %.1f MiB; ask for fewer new tokens",
                    n + 1 + (size_t)o->max_new, o->max_new,
                    2.0 * c->layers * c->heads * c->qk_head_dim * (double)(n + 1 + (size_t)o->max_new) * 4 / 1048576);
        else
            err_set(e, "generate: out of memory for a sample's state");
        goto done;
    }
    if (sampler_init(&s, V, &o->sample, seed, e) < 0) goto done;
    have_s = 1;
    if (gen_step(m, g, o->eot, logits) < 0) goto bad_token;
    for (size_t i = 0; i < n; i++)
        if (gen_step(m, g, prompt[i], logits) < 0) goto bad_token;
    for (int i = 0; i < o->max_new; i++) {
        int next = sampler_next(&s, logits);
        if (next == o->eot) break;
        out[(*out_n)++] = (uint32_t)next;
        if (i + 1 < o->max_new && gen_step(m, g, next, logits) < 0) goto bad_token;
    }
    rc = 0;
    goto done;
bad_token:
    err_set(e, "generate: a prompt token is outside the model's vocabulary of %d", V);
done:
    if (have_s) sampler_free(&s);
    free(logits);
    gen_free(g);
    return rc;
}

int generate_samples(model *m, const int32_t *prompt, size_t n, const generate_opts *o, uint32_t **out,
                     int *out_n, blalm_err *e)
{
    int N = o->samples, fail = 0;
    for (int i = 0; i < N; i++) out[i] = malloc(((size_t)o->max_new + 1) * sizeof **out);
    for (int i = 0; i < N; i++) fail |= !out[i];
    blalm_err first = {{0}};
    int first_at = N;
    if (!fail) {
        int threads = o->threads < 1 ? 1 : o->threads > N ? N : o->threads;
        model_set_threads(1); /* each sample single-threaded; samples in parallel */
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
        for (int i = 0; i < N; i++) {
            blalm_err ei;
            if (generate_one(m, prompt, n, o, o->seed + (uint64_t)i, out[i], &out_n[i], &ei) < 0) {
#pragma omp critical(generate_err)
                if (i < first_at) first_at = i, first = ei; /* the lowest sample's error, whatever the timing */
            }
        }
    } else {
        err_set(&first, "generate: out of memory for %d samples of %d tokens", N, o->max_new);
    }
    if (fail || first_at < N) {
        for (int i = 0; i < N; i++) {
            free(out[i]);
            out[i] = NULL;
        }
        *e = first;
        return -1;
    }
    return 0;
}
