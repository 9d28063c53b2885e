#!/usr/bin/env bash
# One prepared run on a GPU machine: the test suite and the benchmarks of a
# CUDA/HIP build, results into $OUT (or ./device_results).
#
#   perf/device_check.sh [build-dir]
#
# The build directory holds a cbgtc configured against a GPU Kokkos, e.g. with
# -DCBGTC_ENABLE_MPI=OFF -DCBGTC_ENABLE_HDF5=OFF when the GPU machine lacks
# those libraries (check `ldd build-dir/bin/cbgtc`).
set -uo pipefail
build=${1:-build-gpu}
out=${OUT:-device_results}
mkdir -p "$out"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || true
  "$build/bin/cbgtc" --version
} > "$out/device.txt" 2>&1

# Tests: listed and run at ctest time (DISCOVERY_MODE PRE_TEST).
(cd "$build" && ctest --output-on-failure -j4 -LE mpi) > "$out/ctest.txt" 2>&1
echo "ctest exit $?" >> "$out/ctest.txt"

"$build/bin/bench_neuron_update" --sizes 450,4500,45000,450000 --steps 2000 --verify > "$out/neuron_update.csv" 2>&1
"$build/bin/bench_delivery" --sources 20000 --fanouts 10,100,1000,5000 --fractions 0.001,0.01,0.1,1 --repeats 20 \
  --verify > "$out/delivery.csv" 2>&1
# Whole network at 100/200/150 x 1, 10, 100 (1.0e4, 1.0e6, 1.0e8 synapses).
"$here/bench_network.sh" "$build/bin/cbgtc" 200 1 10 100 > "$out/network.csv" 2>&1
for batching in true false; do
  "$build/bin/cbgtc" --config "$here/../input/default.ini" --simulation.epoch_batching=$batching \
    --output.timers=true --output.file="$out/default_$batching.out" --output.overwrite=true \
    > "$out/default_batching_$batching.txt" 2>&1
done
ls -l "$out"
