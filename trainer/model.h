/* model.h - the BLaLM decoder (forward + exact backward), its JSON config,
 * AdamW/Muon optimisers and learning-rate schedules, checkpoints and the
 * safetensors export. Public surface of trainer/ for pipeline/cmd_*.c.
 *
 *   tokens [B,S] -> embed -> L x [RMSNorm -> mixer -> +res -> RMSNorm ->
 *   SwiGLU -> +res] -> RMSNorm -> head (tied to embed by default) -> logits
 *
 * Mixers: "mlstm" (trainer/mlstm.h, chunkwise form in training) and
 * "attention" (causal softmax attention with rotary embeddings).
 * Layout follows llm.c: parameters, gradients and activations are each one
 * allocation with a pointer table; weights are stored (out, in) as in
 * PyTorch's nn.Linear, so the export needs no transposes. */
#ifndef BLALM_MODEL_H
#define BLALM_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "lib/err.h"

typedef enum { MIXER_MLSTM = 0, MIXER_ATTENTION = 1 } mixer_kind;
typedef enum { HEAD_NORM_RMS = 0, HEAD_NORM_LAYER = 1 } head_norm_kind;
typedef enum { INIT_GPT2 = 0, INIT_XLSTM = 1 } init_kind;
/* How the SWA branch joins the mixer: h + h_swa, h + a*h_swa, h + tanh(a)*h_swa */
typedef enum { SWA_SUM = 0, SWA_DYNMOD = 1, SWA_DYNMOD_BOUNDED = 2 } swa_mix_kind;
/* Hedgehog feature map on mLSTM q, k: z = W_h x per head (identity init), then
 * [softmax(z), softmax(-z)] (two softmaxes) or softmax([z, -z]) (one softmax). */
typedef enum { HH_NONE = 0, HH_TWO_SOFTMAX = 1, HH_ONE_SOFTMAX = 2 } hedgehog_kind;

typedef struct train_config {
    int batch_size;        /* sequences per step */
    int seq_len;           /* tokens per sequence (<= context) */
    double lr_adamw, lr_muon, weight_decay, beta1, beta2, adam_eps, muon_momentum;
    double muon_weight_decay; /* decoupled decay of Muon tensors: p -= lr_muon*wd*p */
    char muon_scale[16];   /* "shape": sqrt(max(1, rows/cols)); "moonshot": 0.2*sqrt(max(rows, cols)) */
    double swa_lr_mult;    /* learning-rate multiplier of the PG_SWA group */
    char shuffle[16];      /* "windows": a new order of the train windows every epoch; "none" */
    uint64_t shuffle_seed; /* seed of that order (defaults to seed) */
    int warmup_steps;
    char schedule[16];     /* "cosine" | "wsd" */
    double min_lr_frac;    /* final lr as a fraction of peak: wsd's last step runs at it;
                            * cosine reaches it at step total (its last step runs a
                            * hair above: lo + (1 - lo)(1 - cos(pi/D))/2, D decay steps) */
    double decay_frac;     /* wsd: last fraction of steps that decays */
    double grad_clip;      /* global norm; 0 = off */
    int eval_every, eval_batches, checkpoint_every, log_every;
    uint64_t seed;
} train_config;

typedef struct model_config {
    char name[64];
    int vocab_size, dim, layers, heads, context, mlp_hidden;
    int qk_head_dim, v_head_dim;   /* head sizes (0 in JSON: dim * factor / heads) */
    double qk_dim_factor, v_dim_factor;
    mixer_kind mixer;
    int chunk;                     /* mLSTM chunk length in training */
    int tie_embeddings;
    double rope_theta, norm_eps;
    init_kind init;                /* gpt2: N(0, init_std), outputs / sqrt(2L); xlstm: small_init + wang */
    double init_std;
    double fgate_bias_lo, fgate_bias_hi, igate_bias_mean, igate_bias_std;
    double gate_soft_cap;          /* i, f pre-activations -> cap*tanh(x/cap); 0 = off */
    double logit_soft_cap;         /* output logits likewise; 0 = off */
    head_norm_kind head_norm;      /* mlstm per-head norm of h: RMSNorm or LayerNorm (no bias) */
    int conv_kernel;               /* ShortConv on q, k, v: causal depthwise, no bias, SiLU; 0 = off */
    int swa_window;                /* SWA branch: keys per query (own q/k/v/o, rotary); 0 = off */
    int swa_head_dim;              /* SWA head size (heads as the mixer's); 0 in JSON: dim / heads */
    swa_mix_kind swa_mix;
    double swa_alpha_init;         /* DynMod's alpha_l at init */
    int swa_memory;                /* SWA with memory: M learned key/value slots every query sees */
    hedgehog_kind hedgehog;        /* mlstm only; the cell then sees 2 * qk_head_dim features */
    double qk_scale;               /* mLSTM cell's q.k scale; 0 = 1/sqrt(its qk size) */
    train_config train;
} model_config;

/* Reads a model config (JSON object; unknown keys are errors). */
int model_config_from_json(const cJSON *j, model_config *c, const char *where, blalm_err *e);
int model_config_load(const char *path, model_config *c, blalm_err *e);
/* JSON for config.json / checkpoints (caller frees with cJSON_Delete). */
cJSON *model_config_to_json(const model_config *c);
void model_config_defaults(model_config *c);
/* 1 when a and b describe different models (any model field, not the
 * training ones), with "field A in a, B in b" in what; else 0. */
int model_config_diff(const model_config *a, const model_config *b, char *what, size_t cap);

/* Parameter groups: each tensor declares one; the optimiser's table
 * (trainer/optim.h) says per group whether Muon takes it, whether it decays
 * and which learning-rate multiplier applies. A new kind of parameter gets a
 * value here and a row in optim.c's table. */
typedef enum {
    PG_MATRIX = 0, /* hidden 2-D weights: Muon (when chosen), decay */
    PG_EMBED,      /* embedding and untied head: AdamW, decay */
    PG_NORM,       /* norm weights (initialised to 1): AdamW, no decay */
    PG_GATE,       /* mLSTM input/forget gate weights and biases: AdamW, no decay */
    PG_CONV,       /* ShortConv kernels: AdamW, no decay */
    PG_HEDGEHOG,   /* Hedgehog feature-map weights: AdamW, no decay */
    PG_ALPHA,      /* per-layer mixing scalars (DynMod): AdamW, no decay */
    PG_BIAS,       /* other biases: AdamW, no decay */
    PG_SWA,        /* SWA q/k/v/o: Muon (when chosen), decay, lr x swa_lr_mult */
    PG_MEMORY,     /* SWA memory key/value slots: AdamW, no decay */
    PG_COUNT
} param_group;

typedef struct tensor_info {
    char name[64];
    int rows, cols;    /* cols = 0 for vectors */
    size_t offset;     /* floats into params/grads */
    param_group group;
} tensor_info;

typedef struct model model;

model *model_create(const model_config *c, blalm_err *e);
void model_free(model *m);
/* xLSTM-style initialisation from a seed (deterministic). */
void model_init_weights(model *m, uint64_t seed);

const model_config *model_cfg(const model *m);
size_t model_num_params(const model *m);
float *model_params(model *m);
float *model_grads(model *m);
int model_num_tensors(const model *m);
const tensor_info *model_tensor(const model *m, int i);
int model_find_tensor(const model *m, const char *name);

/* Forward over tokens [B,S] (ids < vocab_size). With targets, returns the
 * mean cross-entropy in *loss (targets < 0 are ignored). Activations are
 * (re)allocated for B,S. */
int model_forward(model *m, const int32_t *tokens, const int32_t *targets, int B, int S,
                  float *loss, blalm_err *e);
/* DynMod: writes each layer's alpha_l (raw, before any tanh) to out[layers];
 * returns the count (0 when the model mixes no SWA branch by alpha). */
int model_swa_alpha(const model *m, double *out);
/* Logits [B*S, vocab] of the last forward. */
const float *model_logits(const model *m);

/* ---- eval (issue 16): the forward without the output head, so that
 * `blalm eval` computes logits only for the rows it scores, a few rows at a
 * time (the full [B*S, vocab] block is 128 MB at 2048 tokens). */
/* As model_forward without targets, stopping after the final norm. */
int model_forward_hidden(model *m, const int32_t *tokens, int B, int S, blalm_err *e);
/* Final normed hidden states [B*S, dim] of the last forward. */
const float *model_hidden(const model *m);
/* The output head [vocab, dim] (the embedding when tied). */
const float *model_head(const model *m);
/* ---- end of the eval block */
/* Adds d(loss)/d(params) to the gradients (call model_zero_grad first).
 * Needs a forward with targets. */
int model_backward(model *m, blalm_err *e);
void model_zero_grad(model *m);
/* The same with the loss taken as inv * (sum of token losses): data
 * parallelism (trainer/parallel.h) passes 1 / (valid targets of the whole
 * batch) to every slice. */
int model_backward_scaled(model *m, float inv, blalm_err *e);
/* Sum (double) of the last forward's token losses, and its valid targets. */
double model_loss_sum(const model *m);
int model_valid_targets(const model *m);
/* Called during model_backward as region k of the gradient, floats
 * [p0, p1), is final: k = 0 the final norm and an untied head, 1..L the
 * layers from the last down, L + 1 the embedding (and a tied head). The
 * regions tile the parameters; L + 2 calls per backward, in this order. */
typedef void (*grad_ready_fn)(void *arg, int k, size_t p0, size_t p1);
void model_on_grad_ready(model *m, grad_ready_fn fn, void *arg);
/* Makes those L + 2 calls at once (a slice without targets has no backward). */
void model_grads_all_ready(model *m);
/* A model that shares m's parameters (read only while it runs; m must
 * outlive it) with gradients and activations of its own. */
model *model_replica(model *m, blalm_err *e);
/* Threads for OpenMP loops and OpenBLAS (1 = bit-exact runs). */
void model_set_threads(int n);

/* Optimiser (AdamW, and Muon for the groups optim.h lets it take). */
typedef enum { OPT_ADAMW = 0, OPT_MUON = 1 } optim_kind;
typedef struct optimizer optimizer;
optimizer *optim_create(model *m, optim_kind kind, const train_config *tc);
void optim_free(optimizer *o);
/* One step with learning rates scaled by lr_mult (from the schedule). */
void optim_step(optimizer *o, model *m, double lr_mult);
/* Scales gradients so their global norm is at most max_norm (0 = off);
 * returns the norm before clipping. */
double grad_clip(model *m, double max_norm);
/* Schedule multiplier at step (0-based) of total_steps. */
double lr_schedule(const train_config *tc, long step, long total_steps);
/* Optimiser state as floats (for checkpoints). */
size_t optim_state_floats(const optimizer *o);
float *optim_state(optimizer *o);
long *optim_step_count(optimizer *o);

/* Newton-Schulz orthogonalisation used by Muon (exposed for tests):
 * X [rows, cols] in place, 5 quintic iterations on X / ||X||_F. */
void muon_orthogonalise(float *X, int rows, int cols);

/* Recurrent/KV-cache generation: one token at a time. */
typedef struct gen_state gen_state;
gen_state *gen_create(const model *m, int max_len);
void gen_free(gen_state *g);
/* Feeds token at the next position; writes logits [vocab]. -1 when past max_len. */
int gen_step(model *m, gen_state *g, int32_t token, float *logits);

/* safetensors export / import of the parameters (F32, names from the table). */
int model_save_safetensors(const model *m, const char *path, blalm_err *e);
/* The same file's bytes (malloc'd; *len set), for a writer of its own (a
 * file set); what names the file in messages. NULL with e set. */
unsigned char *model_safetensors_bytes(const model *m, const char *what, size_t *len, blalm_err *e);
int model_load_safetensors(model *m, const char *path, blalm_err *e);
/* Writes params-shaped data (params or grads) under the tensor names. */
int model_save_tensors(const model *m, const float *from, const char *path, blalm_err *e);
typedef struct st_tensor {
    const char *name;
    int rows, cols; /* cols = 0 for vectors */
    const float *data;
} st_tensor;
int safetensors_write(const char *path, int n, const st_tensor *ts, blalm_err *e);
unsigned char *safetensors_bytes(const char *what, int n, const st_tensor *ts, size_t *len, blalm_err *e);

#endif
