#!/usr/bin/env python3
"""Strong and weak scaling of cbgtc over MPI ranks, timed per phase.

    perf/scaling.py [--cbgtc build/bin/cbgtc] [--max-ranks 2] [--duration-ms 200] [--out perf/results]

Strong scaling: the 1000/2000/1500 network (input/network_4500.ini) on
1..max ranks. Weak scaling: that network times the rank count. Each run uses
--output.timers=true and reads the per-phase times per step that rank 0
prints. Writes <out>/scaling.csv and, when matplotlib is available
(Debian: python3-matplotlib), <out>/scaling.png.

mpiexec runs with --oversubscribe (and --allow-run-as-root as root); set
MPIEXEC to use another launcher. Runs are timed with OMP_PROC_BIND=spread
OMP_PLACES=threads and one OpenMP thread per rank.
"""

import argparse
import csv
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXE = os.path.join(ROOT, "build", "bin", "cbgtc")
DECK = os.path.join(ROOT, "input", "network_4500.ini")
PHASES = ("update", "delivery", "exchange", "output")


def run(exe, ranks, scale, duration_ms, out_dir):
    launcher = os.environ.get("MPIEXEC", "mpiexec")
    cmd = [launcher, "-np", str(ranks)]
    if "mpiexec" in launcher or "mpirun" in launcher:
        cmd += ["--oversubscribe"] + (["--allow-run-as-root"] if os.geteuid() == 0 else [])
    cmd += [exe, "--config", DECK, f"--simulation.duration_ms={duration_ms}", "--output.timers=true",
            f"--population.STN.n={1000 * scale}", f"--population.GPe.n={2000 * scale}",
            f"--population.GPi.n={1500 * scale}", "--output.v_neurons=0",
            f"--output.file={os.path.join(out_dir, 'scaling_run.h5')}", "--output.overwrite=true",
            "--output.progress_interval_s=0"]
    env = dict(os.environ, OMP_NUM_THREADS="1", OMP_PROC_BIND="spread", OMP_PLACES="threads")
    text = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
    phases = re.search(r"update ([\d.]+) us, delivery ([\d.]+) us, exchange ([\d.]+) us, output ([\d.]+) us", text)
    wall = re.search(r"(\d+) steps of [\d.]+ ms in ([\d.]+) s wall", text)
    synapses = re.search(r"synapses: (\d+)", text)
    if not (phases and wall and synapses):
        sys.exit("could not read the timings of:\n" + " ".join(cmd) + "\n" + text)
    steps, seconds = int(wall.group(1)), float(wall.group(2))
    row = {"ranks": ranks, "neurons": 4500 * scale, "synapses": int(synapses.group(1)),
           "us_per_step": 1e6 * seconds / steps}
    row.update({f"{p}_us": float(v) for p, v in zip(PHASES, phases.groups())})
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cbgtc", default=EXE, help="the cbgtc binary (default: build/bin/cbgtc)")
    parser.add_argument("--max-ranks", type=int, default=2)
    parser.add_argument("--duration-ms", type=float, default=200.0)
    parser.add_argument("--out", default=os.path.join(ROOT, "perf", "results"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    rows = []
    for study in ("strong", "weak"):
        for ranks in range(1, args.max_ranks + 1):
            row = run(args.cbgtc, ranks, 1 if study == "strong" else ranks, args.duration_ms, args.out)
            row["study"] = study
            rows.append(row)
            print(f"{study:6s} np={ranks} {row['neurons']:7d} neurons {row['us_per_step']:9.1f} us/step  " +
                  "  ".join(f"{p} {row[p + '_us']:.1f}" for p in PHASES), flush=True)
    for r in rows:
        base = next(b for b in rows if b["study"] == r["study"] and b["ranks"] == 1)
        r["efficiency"] = (base["us_per_step"] / r["us_per_step"] / (r["ranks"] if r["study"] == "strong" else 1))

    path = os.path.join(args.out, "scaling.csv")
    fields = ["study", "ranks", "neurons", "synapses", "us_per_step"] + [f"{p}_us" for p in PHASES] + ["efficiency"]
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    print("wrote", path)

    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not found (Debian: apt-get install python3-matplotlib): no plot")
        return
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, study in zip(axes, ("strong", "weak")):
        sub = [r for r in rows if r["study"] == study]
        ranks = [r["ranks"] for r in sub]
        bottom = [0.0] * len(sub)
        for p in PHASES:
            values = [r[f"{p}_us"] for r in sub]
            ax.bar(ranks, values, bottom=bottom, label=p)
            bottom = [b + v for b, v in zip(bottom, values)]
        ax.plot(ranks, [r["us_per_step"] for r in sub], "k.-", label="total")
        ax.set_xlabel("MPI ranks")
        ax.set_ylabel("µs per step (rank 0)")
        ax.set_xticks(ranks)
        ax.set_title(f"{study} scaling" + (" (4500 neurons)" if study == "strong" else " (4500 neurons per rank)"))
        ax.legend(fontsize=8)
    fig.tight_layout()
    png = os.path.join(args.out, "scaling.png")
    fig.savefig(png, dpi=100)
    print("wrote", png)


if __name__ == "__main__":
    main()
