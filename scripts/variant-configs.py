#!/usr/bin/python3
"""Writes the paper's model variants as named configs beside each base size:
configs/model-<size>-<variant>.json = configs/model-<size>.json plus the
variant's keys (the base file itself is the plain `mlstm` variant).

  scripts/variant-configs.py          (re)write them
  scripts/variant-configs.py --check  exit 1 when a file differs from what this writes
"""
import json
import os
import sys

SIZES = ["tiny", "small", "strict-small", "strict"]

# window: a quarter of the context (128 at 512); 8 memory slots; DynMod's
# alpha starts at the model default (0.1); Hedgehog: the two-softmax map
def variants(ctx):
    w = max(8, ctx // 4)
    swa = {"swa_window": w}
    return {
        "transformer": {"mixer": "attention"},
        "shortconv": {"conv_kernel": 4},
        "swa": dict(swa, swa_mix="sum"),
        "swa-memory": dict(swa, swa_mix="sum", swa_memory=8),
        "swa-dynmod": dict(swa, swa_mix="dynmod"),
        "swa-dynmod-bounded": dict(swa, swa_mix="dynmod_bounded"),
        "hedgehog": {"hedgehog": "two_softmax"},
        "hedgehog-swa": dict(swa, hedgehog="two_softmax", swa_mix="sum"),
    }


def render(root):
    out = {}
    for size in SIZES:
        base_path = os.path.join(root, "configs", "model-%s.json" % size)
        base = json.load(open(base_path))
        for name, keys in variants(base["context"]).items():
            c = {"name": "%s-%s" % (base["name"], name),
                 "comment": "model-%s.json with %s (%s); throughput not measured"
                            % (size, name, ", ".join("%s=%s" % kv for kv in keys.items()))}
            for k, v in base.items():
                if k not in ("name", "comment"):
                    c[k] = v
            c.update(keys)
            out[os.path.join(root, "configs", "model-%s-%s.json" % (size, name))] = json.dumps(c, indent=2) + "\n"
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files = render(root)
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        bad = [p for p, t in files.items() if not os.path.exists(p) or open(p).read() != t]
        for p in bad:
            print("differs from scripts/variant-configs.py: %s" % p)
        sys.exit(1 if bad else 0)
    for p, t in files.items():
        with open(p + ".tmp", "w") as f:
            f.write(t)
        os.replace(p + ".tmp", p)


if __name__ == "__main__":
    main()
