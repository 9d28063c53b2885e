#!/usr/bin/env bash
# Kokkos OpenMP threads against the same number of MPI ranks of a Serial
# build, on the default network at 1000/2000/1500 neurons: the step loop's
# µs per step (as cbgtc prints it), and the OpenMP build's own two ranks of one
# thread each (threads against ranks of the same binary, without the two
# builds' difference), each configuration run in turn within a
# repeat so that the machine's drift hits all of them alike, and one rank
# pinned to each of the first two cores (whether they ran alike). Prints one
# row per repeat, then the medians and the median of the paired ratios, over
# all repeats and over those whose pinned ranks ran within 5 %:
#   perf/threads_vs_ranks.sh SERIAL_CBGTC OPENMP_CBGTC [repeats] [duration_ms]
# e.g. perf/threads_vs_ranks.sh build/bin/cbgtc build-omp/bin/cbgtc 9 > perf/results/threads_vs_ranks_cpu.txt
set -euo pipefail
serial=$(realpath "$1") openmp=$(realpath "$2") repeats=${3:-9} duration=${4:-400}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--config input/default.ini --population.STN.n=1000 --population.GPe.n=2000 --population.GPi.n=1500
        --simulation.duration_ms="$duration" --analysis.burn_in_ms=0 --output.v_neurons=0
        --output.progress_interval_s=0 --output.overwrite=true --output.file="$tmp/out.h5")
step_us() { "$@" "${common[@]}" | sed -n 's/.*step loop: \([0-9.]*\) us per step.*/\1/p' | head -1; }
echo "# $(basename "$serial") Serial ranks against $(basename "$openmp") OpenMP threads, $duration ms, µs per step"
# One rank pinned to the first and to the second core of the set (a VM's
# two vCPUs need not run alike; a two-core ratio holds only while they do).
read -r cpu0 cpu1 < <(python3 -c 'import os; c = sorted(os.sched_getaffinity(0)); print(c[0], c[min(1, len(c) - 1)])')
echo "repeat serial_1rank mpi_2ranks omp_1thread omp_2threads rank_on_cpu$cpu0 rank_on_cpu$cpu1 omp_2ranks"
# The OpenMP build's own ranks only where it was built with MPI (else
# mpiexec would start two whole runs).
openmp_mpi=$("$openmp" --version | grep -q '^  mpi_version: MPI' && echo yes || true)
as_root=()
[ "$(id -u)" -eq 0 ] && as_root=(--allow-run-as-root)
for ((r = 1; r <= repeats; ++r)); do
  a=$(step_us "$serial")
  b=$(step_us mpiexec -n 2 --bind-to core "${as_root[@]}" "$serial")
  c=$(step_us env OMP_NUM_THREADS=1 OMP_PROC_BIND=spread OMP_PLACES=threads "$openmp")
  d=$(step_us env OMP_NUM_THREADS=2 OMP_PROC_BIND=spread OMP_PLACES=threads "$openmp")
  e=$(step_us taskset -c "$cpu0" "$serial")
  f=$(step_us taskset -c "$cpu1" "$serial")
  g=nan
  [ -n "$openmp_mpi" ] && g=$(step_us env OMP_NUM_THREADS=1 OMP_PROC_BIND=spread OMP_PLACES=threads mpiexec -x OMP_NUM_THREADS -x OMP_PROC_BIND -x OMP_PLACES -n 2 --bind-to core "${as_root[@]}" "$openmp")
  echo "$r $a $b $c $d $e $f $g"
done | tee "$tmp/rows"
python3 - "$tmp/rows" <<'EOF'
import statistics, sys
rows = [[float(x) for x in line.split()[1:]] for line in open(sys.argv[1])]
names = ["serial_1rank", "mpi_2ranks", "omp_1thread", "omp_2threads"]
print("median " + " ".join(f"{statistics.median(r[i] for r in rows):.1f}" for i in range(7)))
for threads, ranks in ((2, 0), (3, 1)):
    ratio = statistics.median(r[threads] / r[ranks] for r in rows)
    print(f"{names[threads]} / {names[ranks]}: median paired ratio {ratio:.3f}")
print(f"omp_2threads / omp_2ranks (one binary): median paired ratio {statistics.median(r[3] / r[6] for r in rows):.3f}")
# Repeats whose two pinned ranks ran within 5 % of each other: the cores alike.
alike = [r for r in rows if max(r[4], r[5]) <= 1.05 * min(r[4], r[5])]
print(f"cores alike (pinned ranks within 5 %) in {len(alike)} of {len(rows)} repeats", end="")
if alike:
    print(f"; there omp_2threads / mpi_2ranks: median {statistics.median(r[3] / r[1] for r in alike):.3f}, "
          f"omp_2threads / omp_2ranks: {statistics.median(r[3] / r[6] for r in alike):.3f}")
else:
    print()
EOF
