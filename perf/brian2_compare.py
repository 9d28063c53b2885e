#!/usr/bin/env python3
"""cbgtc against Brian2's C++ standalone mode, side by side, same model.

    perf/brian2_compare.py [--threads 2] [--duration-ms 200] [--scale 1]
                           [--repeats 1] [--cbgtc build/bin/cbgtc]

Builds the default network of cbgtc (STN Hodgkin–Huxley, GPe/GPi AdEx,
the four projections with their delays and conductances, OU noise) at
scale·(1000/2000/1500) neurons in Brian2 (Debian: python3-brian), runs it in
cpp_standalone mode with OpenMP threads, then runs cbgtc with the same
duration and OMP_NUM_THREADS, and prints both simulation times (network
construction and compilation excluded on both sides) and their ratio.
Brian2's time is its run loop with in-memory spike monitors; cbgtc's is its
step loop, which also writes the spikes to HDF5. cbgtc's whole run adds the
analyses (spectra, PAC surrogates, ...) that Brian2 does not compute; that
ratio is printed too. --threads 1 runs both on one core (cbgtc's step loop
then uses one thread or, with MPI and the Serial backend, one rank). Where
the cores do not run alike (a VM's vCPUs), pin the whole script to one:
taskset -c 0 perf/brian2_compare.py --threads 1 --repeats 9.

The models agree in equations, parameters, delays, connection rules and
weight distributions; not in integration details (Brian2 advances all
variables of a neuron with one Euler step, cbgtc the prototype's gates-first
order; Brian2 integrates the OU noise with Euler–Maruyama, cbgtc exactly), so
compare rates, not spikes.
"""

import argparse
import math
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_brian2(n_stn, n_gpe, n_gpi, duration_ms, threads, workdir):
    from brian2 import (ms, mV, Hz, nS, pA, pF, uF, mS, uA, cm, NeuronGroup, Synapses, SpikeMonitor, Network,
                        set_device, device, prefs, defaultclock, seed)
    set_device("cpp_standalone", directory=workdir, build_on_run=False)
    prefs.devices.cpp_standalone.openmp_threads = threads
    defaultclock.dt = 0.025 * ms
    seed(42)

    stn_eqs = """
    dv/dt = (-(I_Na + I_K + I_L + I_T + I_CaH + I_AHP + I_H) - I_syn + ISTN + I_noise) / Cm : volt
    I_Na = gNa * m_inf**3 * h * (v - ENa) : amp/meter**2
    I_K = gK * n**4 * (v - EK) : amp/meter**2
    I_L = gL * (v - EL) : amp/meter**2
    I_T = gT * a_inf**3 * r**2 * (v - ECa) : amp/meter**2
    I_CaH = gCa * s_inf**3 * (v - ECa) : amp/meter**2
    I_AHP = gAHP * (v - EK) * Ca / (Ca + k1) : amp/meter**2
    I_H = gH * r * (v - E_H) : amp/meter**2
    I_syn = g_gpe * (v - E_inh) : amp/meter**2
    dg_gpe/dt = -g_gpe / tau_gpe : siemens/meter**2
    alpha_n = 0.16/ms / exprel(-(v + 52*mV) / (5*mV)) : Hz
    beta_n = 0.5/ms * exp(-(v + 57*mV) / (40*mV)) : Hz
    tau_n = 0.75*ms * (1 + 100 / (1 + exp((v + 80*mV) / (26*mV)))) : second
    dn/dt = (alpha_n / (alpha_n + beta_n) - n) / tau_n : 1
    alpha_h = 0.128/ms * exp(-(v + 50*mV) / (18*mV)) : Hz
    beta_h = 4/ms / (1 + exp(-(v + 27*mV) / (5*mV))) : Hz
    tau_h = 0.75*ms * (1 + 500 / (1 + exp((v + 57*mV) / (3*mV)))) : second
    dh/dt = (alpha_h / (alpha_h + beta_h) - h) / tau_h : 1
    dr/dt = (1 / (1 + exp((v + 74*mV) / (9*mV))) - r) / (200*ms) : 1
    alpha_m = 1.28/ms / exprel(-(v + 54*mV) / (4*mV)) : Hz
    beta_m = 1.4/ms / exprel((v + 27*mV) / (5*mV)) : Hz
    m_inf = alpha_m / (alpha_m + beta_m) : 1
    a_inf = 1 / (1 + exp(-(v + 52*mV) / (6.2*mV))) : 1
    s_inf = 1 / (1 + exp(-(v + 39*mV) / (8*mV))) : 1
    dCa/dt = -0.005 * (I_T + I_CaH) / (uA/cm**2) / ms - Ca / (120*ms) : 1
    dI_noise/dt = (1.8*uA/cm**2 - I_noise) / (5*ms) + 1.0*uA/cm**2 * sqrt(2 / (5*ms)) * xi : amp/meter**2
    """
    stn_ns = dict(gNa=49*mS/cm**2, gK=57*mS/cm**2, gT=5*mS/cm**2, gL=0.35*mS/cm**2, gCa=0.5*mS/cm**2,
                  gAHP=15*mS/cm**2, gH=0.5*mS/cm**2, ENa=60*mV, EK=-90*mV, ECa=140*mV, EL=-60*mV, E_H=-43*mV,
                  Cm=1*uF/cm**2, ISTN=42*uA/cm**2, k1=15, E_inh=-70*mV, tau_gpe=8*ms)
    stn = NeuronGroup(n_stn, stn_eqs, threshold="v > 0*mV", refractory=2*ms, method="euler", namespace=stn_ns)
    stn.v = "-58*mV + 2.9*mV*randn()"
    stn.n = "clip(0.317 + 0.01585*randn(), 0, 1)"
    stn.h = "clip(0.596 + 0.0298*randn(), 0, 1)"
    stn.r = "clip(0.1 + 0.005*randn(), 0, 1)"
    stn.Ca = "clip(0.02 + 0.001*randn(), 0, inf)"
    stn.I_noise = "1.8*uA/cm**2 + 1.0*uA/cm**2*randn()"

    adex_eqs = """
    dv/dt = (-gL*(v - EL) + gL*DeltaT*exp(clip((v - VT)/DeltaT, -20, 10)) - w + I_b + I_noise - I_syn) / C : volt (unless refractory)
    dw/dt = (a*(v - EL) - w) / tau_w : amp
    I_syn = g_exc*(v - E_exc) + g_inh*(v - E_inh) : amp
    dg_exc/dt = -g_exc / (3*ms) : siemens
    dg_inh/dt = -g_inh / (8*ms) : siemens
    dI_noise/dt = -I_noise / (5*ms) + 1.0*pA * sqrt(2 / (5*ms)) * xi : amp
    """
    base = dict(C=200*pF, gL=10*nS, EL=-60*mV, VT=-50*mV, DeltaT=2*mV, tau_w=20*ms, E_exc=0*mV, E_inh=-70*mV)
    gpe_ns = dict(base, a=0.5*nS, b=10*pA, V_reset=-60*mV, I_b=300*pA)
    gpi_ns = dict(base, a=0*nS, b=0*pA, V_reset=-55*mV, I_b=250*pA)
    groups = {}
    # (`size`, not `n`: the STN's gate n would otherwise meet a local n in Brian2's namespace.)
    for name, size, ns, v0 in (("gpe", n_gpe, gpe_ns, -65), ("gpi", n_gpi, gpi_ns, -60)):
        g = NeuronGroup(size, adex_eqs, threshold="v >= 20*mV", reset="v = V_reset; w += b", refractory=2*ms,
                        method="euler", namespace=ns)
        g.v = f"{v0}*mV + 2*mV*randn()"
        g.w = "5*pA*randn()"
        g.I_noise = "1.0*pA*randn()"
        groups[name] = g

    # Projections: Bernoulli per pair, log-normal weights with mean
    # g_total / (p·n_pre) and CV 0.2, the default deck's delays.
    sigma_log = math.sqrt(math.log(1 + 0.2**2))

    def project(src, tgt, var, p, g_total, unit, unit_value, delay_ms):
        mean = g_total / (p * len(src))
        s = Synapses(src, tgt, f"w_syn : {unit}", on_pre=f"{var}_post += w_syn", method="euler",
                     namespace={"unit_value": unit_value})
        s.connect(p=p)
        s.w_syn = f"{mean}*unit_value*exp({sigma_log}*randn() - {sigma_log**2 / 2})"
        s.delay = delay_ms * ms
        return s

    syn = [project(stn, groups["gpe"], "g_exc", 0.15, 10, "siemens", nS, 5),
           project(groups["gpe"], stn, "g_gpe", 0.07, 1, "siemens/meter**2", mS / cm**2, 8),
           project(stn, groups["gpi"], "g_exc", 0.30, 10, "siemens", nS, 5),
           project(groups["gpe"], groups["gpi"], "g_inh", 0.05, 10, "siemens", nS, 5)]
    monitors = [SpikeMonitor(g) for g in (stn, groups["gpe"], groups["gpi"])]
    net = Network(stn, *groups.values(), *syn, *monitors)
    net.run(duration_ms * ms)
    t0 = time.time()
    device.build(directory=workdir, compile=True, run=False)
    compile_s = time.time() - t0

    def rerun():
        t0 = time.time()
        device.run(directory=workdir, with_output=False, run_args=[])
        return device._last_run_time, time.time() - t0

    run_s, wall_s = rerun()
    seconds = duration_ms / 1000
    rates = [m.num_spikes / len(m.source) / seconds for m in monitors]
    n_syn = sum(len(s) for s in syn)
    return run_s, wall_s, compile_s, rates, n_syn, rerun


def run_cbgtc(exe, scale, duration_ms, threads):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_PROC_BIND="spread", OMP_PLACES="threads")
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [exe, "--config", os.path.join(ROOT, "input", "default.ini"),
               f"--population.STN.n={1000 * scale}", f"--population.GPe.n={2000 * scale}",
               f"--population.GPi.n={1500 * scale}", f"--simulation.duration_ms={duration_ms}",
               "--analysis.burn_in_ms=0", "--output.v_neurons=0", "--output.progress_interval_s=0",
               f"--output.file={os.path.join(tmp, 'out.h5')}"]
        t0 = time.time()
        text = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
        total_s = time.time() - t0
    wall = re.search(r"steps of [\d.]+ ms in ([\d.]+) s wall", text)
    loop_us = float(re.search(r"step loop: ([\d.]+) us per step", text).group(1))
    rates = [float(x) for x in re.findall(r"^(?:STN|GPe|GPi)\s+\d+\s+\d+\s+([\d.]+)", text, re.M)]
    n_syn = int(re.search(r"synapses: (\d+)", text).group(1))
    backend = re.search(r"seed \d+; (\w+)", text).group(1)
    return float(wall.group(1)), loop_us, total_s, rates, n_syn, backend


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--duration-ms", type=float, default=200.0)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=1, help="pairs of runs, the order alternating; prints the median ratio")
    ap.add_argument("--cbgtc", default=os.path.join(ROOT, "build", "bin", "cbgtc"))
    args = ap.parse_args()
    n = (1000 * args.scale, 2000 * args.scale, 1500 * args.scale)

    steps = args.duration_ms / 0.025
    with tempfile.TemporaryDirectory() as work:
        b_run, b_wall, b_compile, b_rates, b_syn, rerun = run_brian2(*n, args.duration_ms, args.threads, work)
        c_run, c_loop_us, c_total, c_rates, c_syn, backend = run_cbgtc(args.cbgtc, args.scale, args.duration_ms,
                                                                       args.threads)
        # Further pairs, the order alternating (ABBA), so that a change in the
        # machine's load reaches both sides alike; the median of the pairs'
        # ratios is the figure to quote on a shared machine.
        ratios = [1e6 * b_run / steps / c_loop_us]
        b_us_all, c_us_all = [1e6 * b_run / steps], [c_loop_us]
        for i in range(1, args.repeats):
            if i % 2:
                c_us = run_cbgtc(args.cbgtc, args.scale, args.duration_ms, args.threads)[1]
                b_s = rerun()[0]
            else:
                b_s = rerun()[0]
                c_us = run_cbgtc(args.cbgtc, args.scale, args.duration_ms, args.threads)[1]
            ratios.append(1e6 * b_s / steps / c_us)
            b_us_all.append(1e6 * b_s / steps)
            c_us_all.append(c_us)
            print(f"pair {i + 1}: brian2 {1e6 * b_s / steps:.1f} us per step, cbgtc {c_us:.1f}, "
                  f"ratio {ratios[-1]:.2f}")

    print(f"network {n[0]}/{n[1]}/{n[2]}, {args.duration_ms:g} ms ({steps:.0f} steps), {args.threads} threads")
    print(f"{'':8s} {'synapses':>9s} {'sim s':>8s} {'us/step':>9s}   rates STN/GPe/GPi (Hz)")
    print(f"{'brian2':8s} {b_syn:9d} {b_run:8.3f} {1e6 * b_run / steps:9.1f}   "
          + "/".join(f"{r:.1f}" for r in b_rates) + f"   (compile {b_compile:.0f} s, binary {b_wall:.2f} s)")
    print(f"{'cbgtc':8s} {c_syn:9d} {c_loop_us * steps / 1e6:8.3f} {c_loop_us:9.1f}   "
          + "/".join(f"{r:.1f}" for r in c_rates)
          + f"   ({backend}; with its analyses {c_run:.3f} s, process {c_total:.2f} s)")
    print(f"speed-up of cbgtc over Brian2 standalone: {1e6 * b_run / steps / c_loop_us:.2f}x "
          f"(step loops; {b_run / c_run:.2f}x counting cbgtc's analyses, which Brian2 does not compute)")
    if len(ratios) > 1:
        ordered = sorted(ratios)
        mid = len(ordered) // 2
        median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
        print(f"step-loop speed-up over {len(ratios)} pairs: median {median:.2f}x "
              f"(range {ordered[0]:.2f}-{ordered[-1]:.2f})")
        # Another process only ever slows a run down, so each side's fastest
        # run is the nearest to its undisturbed speed: on a machine whose load
        # changes within a pair, their ratio scatters less than the pairs'.
        print(f"fastest runs: brian2 {min(b_us_all):.1f} us per step, cbgtc {min(c_us_all):.1f}, "
              f"ratio {min(b_us_all) / min(c_us_all):.2f}x")


if __name__ == "__main__":
    main()
