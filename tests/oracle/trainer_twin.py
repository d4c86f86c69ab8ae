#!/usr/bin/python3
"""PyTorch twin of the BLaLM decoder (trainer/model.c), written independently
from the equations (REFERENCE.md section 7) with torch autograd for the
gradients. It reads the weights our `blalm modelcheck`/`blalm export` wrote
(safetensors, read here from the format's specification) and compares.

  trainer_twin.py check DIR...  compare logits, loss, gradients, optimiser losses
  trainer_twin.py bench CONFIG SEQ BATCH STEPS   tokens/s of forward+backward+AdamW
"""
import json
import math
import struct
import sys
import time

import torch
import torch.nn.functional as Fn

torch.set_num_threads(1)


# ---------------------------------------------------------------- safetensors
def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    base = 8 + hlen
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", (name, info["dtype"])
        b0, b1 = info["data_offsets"]
        n = (b1 - b0) // 4
        vals = struct.unpack("<%df" % n, raw[base + b0:base + b1])
        out[name] = torch.tensor(vals, dtype=torch.float32).reshape(info["shape"])
    return out


# ---------------------------------------------------------------- mLSTM cell
def mlstm_chunkwise(q, k, v, i, f, L, scale=0, eps=1e-6):
    """q, k: (B,H,S,d); v: (B,H,S,dv); i, f: (B,H,S). m0 = 0 convention,
    S padded up to a multiple of L (padding comes after every real step)."""
    B, H, S, d = q.shape
    dv = v.shape[-1]
    nc = (S + L - 1) // L
    pad = nc * L - S
    if pad:
        q = Fn.pad(q, (0, 0, 0, pad))
        k = Fn.pad(k, (0, 0, 0, pad))
        v = Fn.pad(v, (0, 0, 0, pad))
        i = Fn.pad(i, (0, pad))
        f = Fn.pad(f, (0, pad))
    q = q * (scale or d ** -0.5)
    lf = Fn.logsigmoid(f)
    qc = q.reshape(B, H, nc, L, d)
    kc = k.reshape(B, H, nc, L, d)
    vc = v.reshape(B, H, nc, L, dv)
    ic = i.reshape(B, H, nc, L)
    b = torch.cumsum(lf.reshape(B, H, nc, L), dim=-1)
    mask = torch.tril(torch.ones(L, L, dtype=torch.bool))
    neg = torch.tensor(float("-inf"))
    C = q.new_zeros(B, H, d, dv)
    n = q.new_zeros(B, H, d)
    m = q.new_zeros(B, H)
    outs = []
    for c in range(nc):
        bb, ii = b[:, :, c], ic[:, :, c]
        Q, K, V = qc[:, :, c], kc[:, :, c], vc[:, :, c]
        logD = torch.where(mask, bb[..., :, None] - bb[..., None, :] + ii[..., None, :], neg)
        inter = bb + m[..., None]
        ms = torch.maximum(inter, logD.max(dim=-1).values)
        E = torch.exp(logD - ms[..., None])
        A = (Q @ K.transpose(-1, -2)) * E
        wi = torch.exp(inter - ms)
        num = A @ V + wi[..., None] * (Q @ C)
        den = A.sum(-1) + wi * (Q @ n[..., None]).squeeze(-1)
        lower = torch.exp(torch.clamp(-ms, max=80.0))
        h = num / (torch.maximum(den.abs(), lower) + eps)[..., None]
        outs.append(h)
        g = bb[..., -1]
        a = g[..., None] - bb + ii
        mnew = torch.maximum(g + m, a.max(dim=-1).values)
        decay = torch.exp(g + m - mnew)
        wa = torch.exp(a - mnew[..., None])
        Kw = K * wa[..., None]
        C = decay[..., None, None] * C + Kw.transpose(-1, -2) @ V
        n = decay[..., None] * n + Kw.sum(-2)
        m = mnew
    return torch.cat(outs, dim=2)[:, :, :S]


# ---------------------------------------------------------------- model
def rmsnorm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def shortconv(x, w):
    """ShortConv: x (B,S,C), w (C,K); causal depthwise convolution (no bias:
    output t sees inputs t-K+1..t, zeros before the start), then SiLU."""
    S, C, K = x.shape[1], x.shape[2], w.shape[1]
    y = Fn.conv1d(x.transpose(1, 2), w.unsqueeze(1), padding=K - 1, groups=C)[..., :S]
    return Fn.silu(y.transpose(1, 2))


def hedgehog(x, W, kind):
    """x (B,H,S,d), W (H*d, d): z = W_h x per head; two softmaxes
    [softmax(z), softmax(-z)] or one softmax over [z, -z]; width 2d."""
    H, d = x.shape[1], x.shape[3]
    z = torch.einsum("bhsi,hoi->bhso", x, W.view(H, d, d))
    if kind == "two_softmax":
        return torch.cat([z.softmax(-1), (-z).softmax(-1)], dim=-1)
    return torch.cat([z, -z], dim=-1).softmax(-1)


def soft_cap(x, cap):
    """xLSTM-7B: cap * tanh(x / cap); cap 0 (or absent) = off."""
    return cap * torch.tanh(x / cap) if cap else x


def rope(x, theta):
    """x: (B,H,S,dh), rotate-half pairs (j, j + dh/2)."""
    B, H, S, dh = x.shape
    half = dh // 2
    inv = theta ** (-2.0 * torch.arange(half, dtype=torch.float64) / dh)
    ang = torch.arange(S, dtype=torch.float64)[:, None] * inv[None, :]
    cos, sin = torch.cos(ang).float(), torch.sin(ang).float()
    a, b = x[..., :half], x[..., half:]
    return torch.cat([a * cos - b * sin, b * cos + a * sin], dim=-1)


class Twin:
    def __init__(self, cfg, weights):
        self.c = cfg
        self.p = {k: w.clone().requires_grad_(True) for k, w in weights.items()}

    def forward(self, tokens):
        c, p = self.c, self.p
        B, S = tokens.shape
        H, dqk, dv = c["heads"], c["qk_head_dim"], c["v_head_dim"]
        eps = c["norm_eps"]
        x = p["embed.weight"][tokens]
        for l in range(c["layers"]):
            P = lambda s: p["layers.%d.%s" % (l, s)]
            n1 = rmsnorm(x, P("norm1.weight"), eps)
            q, k, v = (n1 @ P("mixer.%s.weight" % s).t() for s in "qkv")
            if c.get("conv_kernel", 0):
                q, k, v = (shortconv(x_, P("mixer.conv_%s.weight" % s)) for x_, s in zip((q, k, v), "qkv"))
            q = q.reshape(B, S, H, dqk).transpose(1, 2)
            k = k.reshape(B, S, H, dqk).transpose(1, 2)
            v = v.reshape(B, S, H, dv).transpose(1, 2)
            if c["mixer"] == "mlstm":
                gcap = c.get("gate_soft_cap", 0)
                ig = soft_cap(n1 @ P("mixer.igate.weight").t() + P("mixer.igate.bias"), gcap).transpose(1, 2)
                fg = soft_cap(n1 @ P("mixer.fgate.weight").t() + P("mixer.fgate.bias"), gcap).transpose(1, 2)
                o = n1 @ P("mixer.ogate.weight").t()
                hh = c.get("hedgehog", "none")
                if hh != "none":
                    q, k = hedgehog(q, P("mixer.hh_q.weight"), hh), hedgehog(k, P("mixer.hh_k.weight"), hh)
                h = mlstm_chunkwise(q, k, v, ig, fg, c["chunk"], c.get("qk_scale", 0))  # (B,H,S,dv)
                h = h.transpose(1, 2)  # (B,S,H,dv)
                wn = P("mixer.outnorm.weight").view(H, dv)
                if c.get("head_norm", "rms") == "layer":  # per head, no bias (xlstm_large)
                    hn = Fn.layer_norm(h, (dv,), eps=eps) * wn
                else:
                    hn = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps) * wn
                y = torch.sigmoid(o) * hn.reshape(B, S, H * dv)
            else:
                q, k = rope(q, c["rope_theta"]), rope(k, c["rope_theta"])
                att = (q @ k.transpose(-1, -2)) * dqk ** -0.5
                causal = torch.tril(torch.ones(S, S, dtype=torch.bool))
                att = att.masked_fill(~causal, float("-inf")).softmax(-1)
                y = (att @ v).transpose(1, 2).reshape(B, S, H * dv)
            h_mix = y @ P("mixer.out.weight").t()
            if c.get("swa_window", 0):
                h_mix = h_mix + self.swa_branch(n1, P, B, S)
            x = x + h_mix
            n2 = rmsnorm(x, P("norm2.weight"), eps)
            g = n2 @ P("mlp.gate.weight").t()
            u = n2 @ P("mlp.up.weight").t()
            x = x + (Fn.silu(g) * u) @ P("mlp.down.weight").t()
        nf = rmsnorm(x, p["norm.weight"], eps)
        head = p["embed.weight"] if c["tie_embeddings"] else p["head.weight"]
        return soft_cap(nf @ head.t(), c.get("logit_soft_cap", 0))

    def swa_branch(self, n1, P, B, S):
        """Sliding-window softmax attention with its own q/k/v/o and rotary
        embeddings: query t sees keys t-w+1..t; mixed by sum, alpha (DynMod)
        or tanh(alpha) (DynMod bounded)."""
        c = self.c
        H, d, w = c["heads"], c["swa_head_dim"], c["swa_window"]
        q, k, v = ((n1 @ P("mixer.swa_%s.weight" % s).t()).view(B, S, H, d).transpose(1, 2) for s in "qkv")
        q, k = rope(q, c["rope_theta"]), rope(k, c["rope_theta"])
        t = torch.arange(S)
        band = (t[None, :] <= t[:, None]) & (t[None, :] > t[:, None] - w)
        att = ((q @ k.transpose(-1, -2)) * d ** -0.5).masked_fill(~band, float("-inf"))
        M = c.get("swa_memory", 0)
        if M:  # M learned key/value slots (no position) seen by every query
            mk, mv = (P("mixer.swa_mem_%s" % s).view(M, H, d).permute(1, 0, 2) for s in "kv")
            p = torch.cat([(q @ mk.transpose(-1, -2)) * d ** -0.5, att], dim=-1).softmax(-1)
            o = p[..., :M] @ mv + p[..., M:] @ v
        else:
            o = att.softmax(-1) @ v
        h = o.transpose(1, 2).reshape(B, S, H * d) @ P("mixer.swa_out.weight").t()
        mix = c.get("swa_mix", "sum")
        if mix == "sum":
            return h
        a = P("mixer.swa_alpha")
        return (a if mix == "dynmod" else torch.tanh(a)) * h

    def loss(self, tokens, targets):
        logits = self.forward(tokens)
        V = logits.shape[-1]
        return logits, Fn.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=-1)


# ---------------------------------------------------------------- optimisers
# Parameter groups, from the rules: Muon (when chosen) takes hidden
# 2-D matrices and SWA's q/k/v/o; AdamW takes the rest. Embeddings, head,
# hidden matrices and SWA decay; norms, gates, conv kernels, Hedgehog maps,
# alpha scalars, SWA memory slots and biases do not. SWA's rates are scaled
# by swa_lr_mult.
#          group:     (muon, decay, lr multiplier key)
GROUPS = {"matrix": (True, True, None), "embed": (False, True, None), "norm": (False, False, None),
          "gate": (False, False, None), "conv": (False, False, None), "hedgehog": (False, False, None),
          "alpha": (False, False, None), "bias": (False, False, None), "swa": (True, True, "swa_lr_mult"),
          "memory": (False, False, None)}


def group_of(name):
    if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight" \
            or "outnorm" in name:
        return "norm"
    if "igate" in name or "fgate" in name:
        return "gate"
    if name in ("embed.weight", "head.weight"):
        return "embed"
    if ".conv_" in name:
        return "conv"
    if ".hh_" in name:
        return "hedgehog"
    if ".swa_mem_" in name:
        return "memory"
    if name.endswith("swa_alpha"):
        return "alpha"
    if ".swa_" in name:  # SWA's q, k, v and out projections
        return "swa"
    if name.endswith(".bias"):
        return "bias"
    return "matrix"


def lr_mult(tc, step, total):
    if step < tc["warmup_steps"]:
        return (step + 1) / tc["warmup_steps"]
    lo = tc["min_lr_frac"]
    if total <= tc["warmup_steps"]:
        return 1.0
    if tc["schedule"] == "wsd":
        start = max(int(total * (1.0 - tc["decay_frac"])), tc["warmup_steps"])
        if step < start:
            return 1.0
        # the last step (total - 1) runs at exactly min_lr_frac (optim.c)
        return 1.0 - (1.0 - lo) * min(1.0, (step + 1 - start) / (total - start))
    prog = min(1.0, (step - tc["warmup_steps"]) / (total - tc["warmup_steps"]))
    return lo + (1.0 - lo) * 0.5 * (1.0 + math.cos(math.pi * prog))


def newton_schulz5(G):
    a, b, c = 3.4445, -4.7750, 2.0315
    X = G / (G.norm() + 1e-7)
    tall = X.shape[0] > X.shape[1]
    if tall:
        X = X.t()
    for _ in range(5):
        A = X @ X.t()
        Bm = b * A + c * (A @ A)
        X = a * X + Bm @ X
    return X.t() if tall else X


def train_losses(cfg, weights, batches, B, S, steps, kind):
    tc = cfg["train"]
    tw = Twin(cfg, weights)
    params = tw.p
    state = {k: {"m": torch.zeros_like(w), "v": torch.zeros_like(w)} for k, w in params.items()}
    losses, norms = [], []
    per = B * (S + 1)
    for s in range(steps):
        bt = torch.tensor(batches[s * per:(s + 1) * per]).view(B, S + 1)
        for w in params.values():
            w.grad = None
        _, loss = tw.loss(bt[:, :-1], bt[:, 1:])
        loss.backward()
        losses.append(loss.item())
        with torch.no_grad():
            norm = torch.sqrt(sum((w.grad.double() ** 2).sum() for w in params.values()))
            norms.append(norm.item())
            if tc["grad_clip"] > 0 and norm > tc["grad_clip"]:
                coef = tc["grad_clip"] / (norm.item() + 1e-6)
                for w in params.values():
                    w.grad.mul_(coef)
            mult = lr_mult(tc, s, steps)
            t = s + 1
            for name, w in params.items():
                g, st = w.grad, state[name]
                muon, decays, mult_key = GROUPS[group_of(name)]
                gmult = mult * (tc[mult_key] if mult_key else 1.0)
                if kind == "muon" and muon and w.dim() == 2:
                    # Muon with decoupled decay: W <- W - lr (s O + wd W), where
                    # s = sqrt(max(1, A/B)) (Keller Jordan) or 0.2 sqrt(max(A, B))
                    # (Moonshot, "Muon is Scalable for LLM Training")
                    mu = tc["muon_momentum"]
                    st["m"].mul_(mu).add_(g)
                    O = newton_schulz5(g + mu * st["m"])
                    A, B_ = w.shape
                    s = 0.2 * math.sqrt(max(A, B_)) if tc["muon_scale"] == "moonshot" else math.sqrt(max(1.0, A / B_))
                    lr = tc["lr_muon"] * gmult
                    wd = tc["muon_weight_decay"] if decays else 0.0
                    w.copy_(w - lr * (s * O + wd * w))
                    continue
                lr = tc["lr_adamw"] * gmult
                b1, b2 = tc["beta1"], tc["beta2"]
                st["m"].mul_(b1).add_((1 - b1) * g)
                st["v"].mul_(b2).add_((1 - b2) * g * g)
                mh = st["m"] / (1 - b1 ** t)
                vh = st["v"] / (1 - b2 ** t)
                if decays:
                    w.sub_(lr * tc["weight_decay"] * w)
                w.sub_(lr * mh / (vh.sqrt() + tc["adam_eps"]))
    return losses, norms, {k: w.detach() for k, w in params.items()}


def rel(a, b):
    return (a - b).abs().max().item() / max(b.abs().max().item(), 1e-30)


def check(d):
    cfg = json.load(open(d + "/config.json"))
    chk = json.load(open(d + "/check.json"))
    weights = read_safetensors(d + "/model.safetensors")
    ours_logits = read_safetensors(d + "/logits.safetensors")["logits"]
    ours_grads = read_safetensors(d + "/grads.safetensors")
    B, S, steps = chk["batch"], chk["seq"], chk["steps"]
    bt = torch.tensor(chk["batches"][:B * (S + 1)]).view(B, S + 1)
    tw = Twin(cfg, weights)
    logits, loss = tw.loss(bt[:, :-1], bt[:, 1:])
    loss.backward()
    res = {"mixer": cfg["mixer"], "logits_rel": rel(ours_logits, logits.detach().reshape(B * S, -1)),
           "loss_rel": abs(chk["loss"] - loss.item()) / abs(loss.item())}
    worst, worst_name = 0.0, ""
    for name, w in tw.p.items():
        e = rel(ours_grads[name], w.grad)
        if e > worst:
            worst, worst_name = e, name
    res["grad_rel"], res["grad_worst"] = worst, worst_name
    for kind in ("adamw", "muon"):
        tl, tn, tw_final = train_losses(cfg, weights, chk["batches"], B, S, steps, kind)
        ol = chk[kind + "_losses"]
        res[kind + "_loss_rel"] = max(abs(a - b) / abs(b) for a, b in zip(ol, tl))
        res[kind + "_first_last"] = [tl[0], tl[-1]]
        # the global gradient norm before clipping (what clipping divides by)
        on = chk[kind + "_grad_norms"]
        res[kind + "_norm_rel"] = max(abs(a - b) / abs(b) for a, b in zip(on, tn))
        # every tensor after the N steps: its change from the start, ours
        # against the twin's, relative to the twin's change (a wrong decay,
        # bias correction or group shows here long before in the loss)
        of = read_safetensors(d + "/%s_final.safetensors" % kind)
        worst, worst_name = 0.0, ""
        for name, w in tw_final.items():
            e = rel(of[name] - weights[name], w - weights[name])
            if e > worst:
                worst, worst_name = e, name
        res[kind + "_weights_rel"], res[kind + "_weights_worst"] = worst, worst_name
    print(json.dumps(res), flush=True)


def bench(cfg_path, S, B, steps):
    cfg = json.load(open(cfg_path))
    H = cfg["heads"]
    dqk = cfg.get("qk_head_dim") or cfg["dim"] // H
    cfg.setdefault("qk_head_dim", dqk)
    cfg.setdefault("v_head_dim", dqk)
    D, V, F = cfg["dim"], cfg["vocab_size"], cfg.get("mlp_hidden") or ((cfg["dim"] * 8 // 3 + 31) // 32 * 32)
    cfg.setdefault("norm_eps", 1e-5)
    cfg.setdefault("rope_theta", 10000.0)
    cfg.setdefault("tie_embeddings", True)
    cfg.setdefault("mixer", "mlstm")
    cfg.setdefault("chunk", 64)
    g = torch.Generator().manual_seed(0)
    Hq, Hv = H * cfg["qk_head_dim"], H * cfg["v_head_dim"]
    w = {"embed.weight": torch.randn(V, D, generator=g) * 0.02, "norm.weight": torch.ones(D)}
    for l in range(cfg["layers"]):
        pre = "layers.%d." % l
        w[pre + "norm1.weight"] = torch.ones(D)
        w[pre + "norm2.weight"] = torch.ones(D)
        for nm, r, c in (("mixer.q.weight", Hq, D), ("mixer.k.weight", Hq, D), ("mixer.v.weight", Hv, D),
                         ("mixer.out.weight", D, Hv), ("mlp.gate.weight", F, D), ("mlp.up.weight", F, D),
                         ("mlp.down.weight", D, F)):
            w[pre + nm] = torch.randn(r, c, generator=g) * 0.02
        if cfg["mixer"] == "mlstm":
            w[pre + "mixer.ogate.weight"] = torch.randn(Hv, D, generator=g) * 0.02
            w[pre + "mixer.igate.weight"] = torch.zeros(H, D)
            w[pre + "mixer.fgate.weight"] = torch.zeros(H, D)
            w[pre + "mixer.igate.bias"] = torch.zeros(H)
            w[pre + "mixer.fgate.bias"] = torch.linspace(3, 6, H)
            w[pre + "mixer.outnorm.weight"] = torch.ones(Hv)
    tw = Twin(cfg, w)
    opt = torch.optim.AdamW(list(tw.p.values()), lr=1e-3, betas=(0.9, 0.95), weight_decay=0.1)
    tok = torch.randint(0, V, (B, S + 1), generator=g)
    done = 0
    t0 = w0 = None
    for s in range(steps + 1):
        if s == 1:  # the first step is warm-up; CPU time, as the C side (shared machine)
            t0, w0 = time.process_time(), time.perf_counter()
        opt.zero_grad()
        _, loss = tw.loss(tok[:, :-1], tok[:, 1:])
        loss.backward()
        opt.step()
        if s >= 1:
            done += B * S
    dt, dw = time.process_time() - t0, time.perf_counter() - w0
    print(json.dumps({"tokens_per_s": done / dt, "tokens_per_wall_s": done / dw}))


if __name__ == "__main__":
    if sys.argv[1] == "check":
        for d in sys.argv[2:]:
            check(d)
    else:
        bench(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
