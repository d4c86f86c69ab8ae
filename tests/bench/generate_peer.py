#!/usr/bin/python3
"""The peer of tests/bench/generate.sh: greedy generation in PyTorch (one
thread) from `blalm export`'s model.safetensors, with the model's recurrent
step written here (not blalm's code): per layer RMSNorm, q/k/v, input and
forget gates, the mLSTM state update (C, n, m with the m0 = 0 convention and
the lower bound exp(-m), as trainer_twin.mlstm_chunkwise computes it in
parallel form), the per-head norm, output gate, SwiGLU MLP; the tied (or
untied) head; argmax (torch's first maximum, as `blalm generate
--temperature 0`); then the ids decoded to text with tokenizer.json's
vocabulary (bytes, invalid UTF-8 as U+FFFD).

  generate_peer.py EXPORT_DIR PROMPT_IDS_JSON MAX_NEW OUT_TEXT [SAMPLES]

Like `blalm generate`: the end-of-text token first, then the prompt's ids,
then up to MAX_NEW tokens, stopping before an end-of-text. Writes the text
(the decoded prompt and continuation) to OUT_TEXT and prints
"TOKENS CPU_SECONDS IDS_JSON": the tokens generated and the CPU seconds of
the prompt, the steps, the draws and the decode, SAMPLES times (default 1;
each from a fresh state, as `blalm generate --samples`; TOKENS their sum) (not Python's start, the
torch import or reading the weights). Plain mLSTM models only (no ShortConv,
SWA or Hedgehog: the bench's model has none)."""
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as Fn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "oracle"))
from trainer_twin import read_safetensors, soft_cap  # noqa: E402
from eval_twin import load_vocab  # noqa: E402


def main():
    d, prompt_ids, max_new, out_path = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    samples = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    torch.set_num_threads(1)
    c = json.load(open(os.path.join(d, "config.json")))
    if c["mixer"] != "mlstm" or c.get("conv_kernel", 0) or c.get("swa_window", 0) or c.get("hedgehog", "none") != "none":
        sys.exit("generate_peer.py: plain mLSTM models only (%s)" % c["name"])
    p = read_safetensors(os.path.join(d, "model.safetensors"))
    vocab = load_vocab(os.path.join(d, "tokenizer.json"))
    eot = next(i for i, b in vocab.items() if b == b"<|endoftext|>")
    H, dqk, dv, L, eps = c["heads"], c["qk_head_dim"], c["v_head_dim"], c["layers"], c["norm_eps"]
    scale = c.get("qk_scale", 0) or dqk ** -0.5
    gcap, lcap = c.get("gate_soft_cap", 0), c.get("logit_soft_cap", 0)
    layer_norm = c.get("head_norm", "rms") == "layer"
    head = p["embed.weight"] if c["tie_embeddings"] else p["head.weight"]
    W = [{s: p["layers.%d.%s" % (l, s)] for s in (
        "norm1.weight", "mixer.q.weight", "mixer.k.weight", "mixer.v.weight", "mixer.ogate.weight",
        "mixer.igate.weight", "mixer.igate.bias", "mixer.fgate.weight", "mixer.fgate.bias",
        "mixer.outnorm.weight", "mixer.out.weight", "norm2.weight", "mlp.gate.weight", "mlp.up.weight",
        "mlp.down.weight")} for l in range(L)]
    for w in W:
        w["mixer.outnorm.weight"] = w["mixer.outnorm.weight"].view(H, dv)

    def rms(x, w):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

    Cs, ns, ms = [], [], []

    def reset():
        Cs[:] = [torch.zeros(H, dqk, dv) for _ in range(L)]
        ns[:] = [torch.zeros(H, dqk) for _ in range(L)]
        ms[:] = [torch.zeros(H) for _ in range(L)]

    def step(tok):
        x = p["embed.weight"][tok]
        for l, w in enumerate(W):
            n1 = rms(x, w["norm1.weight"])
            q = (w["mixer.q.weight"] @ n1).view(H, dqk) * scale
            k = (w["mixer.k.weight"] @ n1).view(H, dqk)
            v = (w["mixer.v.weight"] @ n1).view(H, dv)
            ig = soft_cap(w["mixer.igate.weight"] @ n1 + w["mixer.igate.bias"], gcap)
            fg = soft_cap(w["mixer.fgate.weight"] @ n1 + w["mixer.fgate.bias"], gcap)
            o = w["mixer.ogate.weight"] @ n1
            lf = Fn.logsigmoid(fg)
            m = torch.maximum(lf + ms[l], ig)
            fa, ia = torch.exp(lf + ms[l] - m), torch.exp(ig - m)
            Cs[l] = fa[:, None, None] * Cs[l] + ia[:, None, None] * k[:, :, None] * v[:, None, :]
            ns[l] = fa[:, None] * ns[l] + ia[:, None] * k
            ms[l] = m
            num = torch.einsum("hd,hdv->hv", q, Cs[l])
            den = (q * ns[l]).sum(-1)
            h = num / (torch.maximum(den.abs(), torch.exp(torch.clamp(-m, max=80.0))) + 1e-6)[:, None]
            if layer_norm:
                hn = Fn.layer_norm(h, (dv,), eps=eps) * w["mixer.outnorm.weight"]
            else:
                hn = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + eps) * w["mixer.outnorm.weight"]
            x = x + w["mixer.out.weight"] @ (torch.sigmoid(o) * hn.reshape(H * dv))
            n2 = rms(x, w["norm2.weight"])
            x = x + w["mlp.down.weight"] @ (Fn.silu(w["mlp.gate.weight"] @ n2) * (w["mlp.up.weight"] @ n2))
        return soft_cap(head @ rms(x, p["norm.weight"]), lcap)

    with torch.no_grad():
        t0, total = time.process_time(), 0
        for _ in range(samples):
            reset()
            logits = step(eot)
            for t in prompt_ids:
                logits = step(t)
            out = []
            for _ in range(max_new):
                nxt = int(torch.argmax(logits))
                if nxt == eot:
                    break
                out.append(nxt)
                logits = step(nxt)
            text = b"".join(vocab[i] for i in prompt_ids + out).decode("utf-8", errors="replace")
            total += len(out)
        cpu = time.process_time() - t0
    with open(out_path, "w", encoding="utf-8") as f:
        f.write(text + "\n")
    print(total, cpu, json.dumps(out, separators=(",", ":")))


if __name__ == "__main__":
    main()
