#!/usr/bin/env python3
"""Alpha-beta prediction of data-parallel training on 1, 8 and 64 machines
(README "Scaling to more machines"). Inputs are this repository's measured
figures (one core, `blalm train --bench`, tokens per CPU-second and the
optimiser's share of a step); the network is a ring all-reduce,
    t_ar = 2 (p - 1) (alpha * buckets_in_flight) + 2 (p - 1) / p * bytes / bandwidth,
with alpha = 20 us per message (TCP over Ethernet; 2-5 us with RDMA).
A machine is 2 cores like the development machine; every core takes whole
rows of the global batch (micro-batches of one row), so at most B cores work.
Usage: scripts/scaling-prediction.py [--markdown]"""
import math
import sys

ALPHA = 20e-6
CORES = 2
THREAD_EFF = 0.95        # measured CPU efficiency of 2 threads (0.93-0.99)
# config: params, batch rows, seq, tokens per CPU-second (1 thread),
# AdamW and Muon step (clip + optimiser) in row-times of one thread (measured
# ratios of `train --bench --batch 1`), layers (buckets)
CONFIGS = {
    "small":        (3_498_464, 8, 256, 2693, 0.10, 1.29, 4),
    "strict-small": (11_163_968, 16, 512, 873, 0.078, 0.96, 8),
    "strict":       (49_597_120, 32, 512, 233, 0.113, 2.60, 12),
}
LINKS = {"25 Gb/s": 25e9 / 8, "100 Gb/s": 100e9 / 8}


def allreduce(p, nbytes, bw, layers):
    if p == 1:
        return 0.0
    buckets = layers + 2 + math.ceil(nbytes / 4 / 2**20)
    return 2 * (p - 1) * ALPHA * buckets + 2 * (p - 1) / p * nbytes / bw


def step(cfg, p, bw, muon, rows=None):
    params, B, S, tps, adam, mu, layers = CONFIGS[cfg]
    B = rows or B
    t_row = S / tps
    workers = min(p * CORES, B)
    rows_per_worker = math.ceil(B / workers)
    compute = rows_per_worker * t_row / (THREAD_EFF if CORES > 1 else 1)
    opt = (mu if muon else adam) * t_row
    ar = allreduce(p, 4 * params, bw, layers)
    return compute, opt, ar


def main():
    md = "--markdown" in sys.argv
    hdr = "| config | optimiser | link | machines | step s (compute + optimiser + all-reduce) | speed-up | all-reduce share |"
    print(hdr)
    print("|" + "---|" * 7)
    for cfg in CONFIGS:
        for muon in (False, True):
            base = sum(step(cfg, 1, 1, muon))
            for link, bw in LINKS.items():
                for p in (8, 64):
                    c, o, a = step(cfg, p, bw, muon)
                    t = c + o + a
                    print("| %s | %s | %s | %d | %.2f (%.2f + %.2f + %.3f) | %.1f | %.0f%% |" % (
                        cfg, "muon" if muon else "adamw", link, p, t, c, o, a, base / t, 100 * a / t))
    # weak scaling: one row per core (global batch 2p rows)
    print()
    print("| config | link | machines | rows (1 per core) | step s | all-reduce share | tokens/s |")
    print("|" + "---|" * 7)
    for cfg in CONFIGS:
        for link, bw in LINKS.items():
            for p in (8, 64):
                c, o, a = step(cfg, p, bw, False, rows=p * CORES)
                t = c + o + a
                S = CONFIGS[cfg][2]
                print("| %s | %s | %d | %d | %.2f | %.1f%% | %.0f |" % (cfg, link, p, p * CORES, t, 100 * a / t,
                                                                       p * CORES * S / t))


if __name__ == "__main__":
    main()
