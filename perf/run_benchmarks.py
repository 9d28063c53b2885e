#!/usr/bin/env python3
"""All of cbgtc's benchmarks in one command: CSV, JSON and a PNG plot.

    perf/run_benchmarks.py [--build build] [--float-build DIR] [--openmp-build DIR]
                           [--scales 1 10 100] [--duration-ms 200] [--sizes 450,4500,...]
                           [--delivery-sources 20000] [--replicas 10]
                           [--replica-ways commands,runs,replicas] [--out perf/results]

Runs, for the build (and a CBGTC_REAL_TYPE=float build, if given):
bench_neuron_update (neuron updates per second per model), bench_delivery
(events per second per strategy), bench_noise (the CPU noise's random
numbers per neuron), perf/bench_network.sh (whole-network
step time by phase, construction time, bytes per synapse) at the given
scales (s -> s*(100/200/150) neurons; an .ini deck runs at its own size),
perf/bench_checkpoint.sh (checkpoint size and write time at 4 500 and
45 000 neurons; builds with HDF5) and perf/bench_replicas.sh (an ensemble's
runs as separate commands, one after another in one, and as replicas of one
network); with an OpenMP
build, perf/threads_vs_ranks.sh (its threads against the build's ranks,
<out>/threads_vs_ranks.txt). Writes
<out>/neuron_update.csv, delivery.csv, noise.csv, network.csv (a `precision` column),
checkpoint.csv, replicas.csv, benchmarks.json (all rows plus the machine and the build),
table_<platform>.md (the README's table for this platform, with the machine,
the date and the build), and, with matplotlib, benchmarks.png (step time
against network size, with the README's targets). None of it is a test:
nothing here passes or fails on time.
"""

import argparse
import csv
import io
import json
import os
import platform
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The README's targets (its Performance table) on one H100, µs per step, by neurons.
TARGETS_US = {450: 2, 4500: 3, 45000: 15, 99999: 25, 1000000: 150}


def run_csv(cmd, env=None):
    text = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    return list(csv.DictReader(io.StringIO(text)))


def complete(rows, *keys):
    """The rows with every one of `keys` filled (a size whose log lacked a figure has it empty)."""
    return [r for r in rows if all(r.get(k) for k in keys)]


def bench_build(build, precision, scales, duration_ms, sizes, sources, replicas, replica_ways, env):
    exe = lambda name: os.path.join(build, "bin", name)
    rows = {"neuron_update": [], "delivery": [], "noise": [], "network": [], "checkpoint": [], "replicas": []}
    if os.path.exists(exe("bench_neuron_update")):
        rows["neuron_update"] = run_csv([exe("bench_neuron_update"), "--sizes", sizes, "--steps", "2000",
                                         "--verify"], env)
    if os.path.exists(exe("bench_delivery")):
        # Fan-outs up to the sources: a row cannot hold more synapses than there are targets.
        fanouts = ",".join(str(f) for f in (10, 100, 1000) if f <= sources)
        rows["delivery"] = run_csv([exe("bench_delivery"), "--sources", str(sources), "--fanouts", fanouts,
                                    "--fractions", "0.01,0.1,0.5,1", "--repeats", "10", "--verify"], env)
    if os.path.exists(exe("bench_noise")):
        rows["noise"] = run_csv([exe("bench_noise"), "--verify"], env)
    rows["network"] = run_csv([os.path.join(ROOT, "perf", "bench_network.sh"), exe("cbgtc"), str(duration_ms)] +
                              scales, env)
    # A build without HDF5 prints "hdf5_version: disabled" and cannot write checkpoints.
    version = subprocess.run([exe("cbgtc"), "--version"], capture_output=True, text=True).stdout
    if re.search(r"hdf5_version: [0-9]", version):
        rows["checkpoint"] = run_csv([os.path.join(ROOT, "perf", "bench_checkpoint.sh"), exe("cbgtc")], env)
    rows["replicas"] = run_csv([os.path.join(ROOT, "perf", "bench_replicas.sh"), exe("cbgtc"),
                                os.path.join(ROOT, "input", "default.ini"), str(replicas), "1000", "2",
                                replica_ways], env)
    for table in rows.values():
        for row in table:
            row["precision"] = precision
    return rows


def plot(network, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not available: no plot", file=sys.stderr)
        return
    network = complete(network, "neurons", "us_per_step")
    fig, ax = plt.subplots(figsize=(6, 4))
    for precision in sorted({r["precision"] for r in network}):
        rows = sorted((r for r in network if r["precision"] == precision), key=lambda r: int(r["neurons"]))
        ax.loglog([int(r["neurons"]) for r in rows], [float(r["us_per_step"]) for r in rows], "o-",
                  label=f"cbgtc ({precision}, {rows[0]['backend']})")
    ax.loglog(list(TARGETS_US), list(TARGETS_US.values()), "k_", markersize=14, label="target (H100)")
    ax.axhline(25, color="grey", lw=0.8, ls=":", label="real time (dt 0.025 ms)")
    ax.set_xlabel("neurons")
    ax.set_ylabel("µs per step")
    ax.legend(fontsize=8)
    ax.set_title("cbgtc: whole-network step time")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def write_csv(rows, path):
    if not rows:
        return
    keys = list(rows[0].keys())
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)


def markdown_table(network, machine, version, date):
    """The README's performance table for this machine: one row per network, µs per step (double, and
    float where measured), with the machine, the date and the build it was measured with."""
    by_size = {}
    for r in complete(network, "neurons", "us_per_step", "synapses"):
        by_size.setdefault(int(r["neurons"]), {})[r["precision"]] = r
    lines = [f"**{machine}**, {date}, {version}:", "",
             "| neurons | synapses | µs per step, double (float) | construction (s) |", "|---|---|---|---|"]
    for neurons in sorted(by_size):
        row = by_size[neurons]
        d = row.get("double") or next(iter(row.values()))
        f = row.get("float")
        step = f"{float(d['us_per_step']):.3g}" + (f" ({float(f['us_per_step']):.3g})" if f else "")
        lines.append(f"| {neurons} | {int(float(d['synapses'])):.2g} | {step} | {d['construction_s']} |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--float-build", default=None)
    parser.add_argument("--openmp-build", default=None, help="a Kokkos OpenMP build, against --build's ranks")
    parser.add_argument("--scales", nargs="+", default=["1", "10"])
    parser.add_argument("--duration-ms", type=float, default=200.0)
    parser.add_argument("--sizes", default="450,4500,45000,450000", help="bench_neuron_update sizes")
    parser.add_argument("--delivery-sources", type=int, default=20000,
                        help="bench_delivery sources (at least 10; fan-outs 10, 100, 1000 up to it)")
    parser.add_argument("--replicas", type=int, default=10, help="bench_replicas runs (as one network)")
    parser.add_argument("--replica-ways", default="commands,runs,replicas",
                        help="bench_replicas: the runs as separate commands, one after another, as replicas")
    parser.add_argument("--out", default=os.path.join(ROOT, "perf", "results"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    env = dict(os.environ, OMP_PROC_BIND=os.environ.get("OMP_PROC_BIND", "spread"),
               OMP_PLACES=os.environ.get("OMP_PLACES", "threads"))

    builds = [(args.build, "double")] + ([(args.float_build, "float")] if args.float_build else [])
    tables = {"neuron_update": [], "delivery": [], "noise": [], "network": [], "checkpoint": [], "replicas": []}
    for build, precision in builds:
        for name, rows in bench_build(build, precision, args.scales, args.duration_ms, args.sizes,
                                       args.delivery_sources, args.replicas, args.replica_ways, env).items():
            tables[name] += rows
    for name, rows in tables.items():
        write_csv(rows, os.path.join(args.out, f"{name}.csv"))
    version = subprocess.run([os.path.join(args.build, "bin", "cbgtc"), "--version"], capture_output=True,
                             text=True).stdout
    gpu = subprocess.run(["sh", "-c", "nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null"],
                         capture_output=True, text=True).stdout.strip()
    with open(os.path.join(args.out, "benchmarks.json"), "w") as f:
        json.dump({"machine": {"host": platform.node(), "cpus": os.cpu_count(), "gpu": gpu or None},
                   "cbgtc": version, "duration_ms": args.duration_ms, **tables}, f, indent=1)
    plot(tables["network"], os.path.join(args.out, "benchmarks.png"))
    if args.openmp_build:
        with open(os.path.join(args.out, "threads_vs_ranks.txt"), "w") as f:
            subprocess.run([os.path.join(ROOT, "perf", "threads_vs_ranks.sh"), os.path.join(args.build, "bin", "cbgtc"),
                            os.path.join(args.openmp_build, "bin", "cbgtc")], stdout=f, check=True)
    # The README's table for this platform, to paste as it is (one table per platform).
    machine = gpu or f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"
    first_line = version.splitlines()[0] if version else "cbgtc"
    table = markdown_table(tables["network"], machine, first_line, time.strftime("%Y-%m-%d"))
    platform_name = "".join(c if c.isalnum() else "_" for c in (gpu or platform.machine())).strip("_")
    with open(os.path.join(args.out, f"table_{platform_name}.md"), "w") as f:
        f.write(table)
    for row in complete(tables["network"], "neurons", "us_per_step", "us_per_step_writing_spikes"):
        print(f"{row['precision']:6} {int(row['neurons']):>8} neurons {row['synapses']:>10} synapses "
              f"{float(row['us_per_step']):9.2f} us/step ({float(row['us_per_step_writing_spikes']):.2f} writing "
              f"spikes)  construction {row['construction_s']} s")


if __name__ == "__main__":
    main()
