#!/usr/bin/env python3
"""A cost model of one step on P ranks: MPI_Allgatherv of every spike against a
sparse exchange (each spike sent only to the ranks that hold one of its
targets), for 8 to 1024 ranks at 1 M and 100 M neurons (docs/mpi.md,
"Scaling to many ranks").

    perf/exchange_model.py [--c-update-ns 12.1] [--c-event-ns 2.0] [--c-spike-ns 150]
                           [--alpha-us 1.5] [--beta-gb-s 12.5] [--rate-hz 50] [--indegree 500]
                           [--epoch-steps 200]

Per step and rank, with sigma = N * rate * dt spikes per step and fan-out F
(synapses per neuron = the in-degree):
  update    c_update * N / P                      neurons advanced
  events    c_event * sigma * F / P               synaptic events delivered
  spikes    c_spike * sigma * share               every spike a rank receives: copy, row lookup
  network   (latency + 16 B * sigma * E * share / beta) / E    one exchange per epoch of E steps
Allgatherv: share = (P - 1) / P of the spikes, latency 2 * alpha * log2 P
(recursive doubling: counts, then data). Sparse: share = f = 1 - (1 - 1/P)^F,
the expected fraction of ranks that hold a target of a random source; latency
alpha per partner rank, min(P - 1, the ranks this rank's sources reach).
Efficiency = T(1) / (P T(P)), T(1) = update + events (one rank's spikes stay
on the device). The constants' defaults were measured on the development
machine (perf/results/exchange_ranks_cpu.txt, exchange_merge_cpu.txt); the
interconnect's are InfiniBand HDR100's order of magnitude, an assumption.
Nothing here is measured at scale: it says where to look.
"""

import argparse
import math


def step_us(n, p, a, sparse):
    sigma = n * a.rate_hz * a.dt_ms / 1000.0
    f_out = a.indegree
    update = a.c_update_ns * n / p / 1000.0
    events = a.c_event_ns * sigma * f_out / p / 1000.0
    if p == 1:
        return update + events, update + events, 0.0, 0.0
    if sparse:
        share = 1.0 - (1.0 - 1.0 / p) ** f_out
        sources_per_rank = n / p
        partners = min(p - 1, (p - 1) * (1.0 - (1.0 - 1.0 / p) ** (f_out * sources_per_rank)))
        latency = a.alpha_us * partners
    else:
        share = (p - 1) / p
        latency = 2 * a.alpha_us * math.ceil(math.log2(p))
    spikes = a.c_spike_ns * sigma * share / 1000.0
    network = (latency + 16.0 * sigma * a.epoch_steps * share / (a.beta_gb_s * 1e3)) / a.epoch_steps
    return update + events + spikes + network, update + events, spikes, network


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--c-update-ns", type=float, default=12.1, help="per neuron and step")
    ap.add_argument("--c-event-ns", type=float, default=2.0, help="per synaptic event")
    ap.add_argument("--c-spike-ns", type=float, default=150.0, help="per spike and receiving rank")
    ap.add_argument("--alpha-us", type=float, default=1.5, help="message latency")
    ap.add_argument("--beta-gb-s", type=float, default=12.5, help="bandwidth per rank")
    ap.add_argument("--rate-hz", type=float, default=50.0, help="mean rate of the network")
    ap.add_argument("--indegree", type=float, default=500.0, help="synapses per neuron (fan-out)")
    ap.add_argument("--dt-ms", type=float, default=0.025)
    ap.add_argument("--epoch-steps", type=float, default=200.0, help="steps per exchange (smallest delay / dt)")
    a = ap.parse_args()
    print("neurons,ranks,exchange,us_per_step,compute_us,spike_handling_us,network_us,efficiency")
    for n in (1e6, 1e8):
        t1 = step_us(n, 1, a, False)[0]
        for p in (1, 8, 16, 32, 64, 128, 256, 512, 1024):
            for name, sparse in (("allgatherv", False), ("sparse", True)):
                if p == 1 and sparse:
                    continue
                total, compute, spikes, network = step_us(n, p, a, sparse)
                print(f"{n:.0e},{p},{name},{total:.4g},{compute:.4g},{spikes:.4g},{network:.4g},{t1 / (p * total):.3f}")


if __name__ == "__main__":
    main()
