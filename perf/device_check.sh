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

# Most important first: what has run is in $OUT even if the call times out.
"$build/bin/cbgtc" --config "$here/../input/default.ini" --output.file="$out/default_gpu.csv" \
  --output.overwrite=true > "$out/runs.txt" 2>&1
"$here/bench_network.sh" "$build/bin/cbgtc" 200 1 10 > "$out/network.csv" 2>&1
"$build/bin/bench_neuron_update" --sizes 450,4500,45000,450000 --steps 2000 --verify > "$out/neuron_update.csv" 2>&1
"$build/bin/bench_delivery" --sources 20000 --fanouts 10,100,1000,5000 --fractions 0.001,0.01,0.1,1 --repeats 20 \
  --verify > "$out/delivery.csv" 2>&1
for batching in true false; do
  echo "== epoch_batching=$batching, timers on" >> "$out/runs.txt"
  "$build/bin/cbgtc" --config "$here/../input/default.ini" --simulation.epoch_batching=$batching \
    --output.timers=true --output.file="$out/scratch.csv" --output.overwrite=true >> "$out/runs.txt" 2>&1
done
rm -f "$out/scratch.csv"
# Tests: each test program directly (ctest's test discovery needs CMake's
# own GoogleTest module at the path of the build machine).
for t in "$build"/bin/test_*; do
  [ "$(basename "$t")" = test_mpi_invariance ] && continue
  echo "== $(basename "$t")"
  "$t" --gtest_brief=1 2>&1 | tail -n 30
  echo "exit ${PIPESTATUS[0]}"
done > "$out/tests.txt" 2>&1
# Larger networks last: 1.0e8 synapses, "100K" (5.1e8), 1M neurons (5.0e8).
"$here/bench_network.sh" "$build/bin/cbgtc" 200 ${DEVICE_CHECK_LARGE_SCALES:-100 222.22 $here/../input/network_1m.ini} \
  >> "$out/network.csv" 2>&1
# A float build, if one is given (CBGTC_REAL_TYPE=float).
if [ -n "${DEVICE_CHECK_FLOAT_BUILD:-}" ]; then
  "$here/bench_network.sh" "$DEVICE_CHECK_FLOAT_BUILD/bin/cbgtc" 200 1 10 100 > "$out/network_float.csv" 2>&1
fi
ls -l "$out"
grep -E "^(==|exit)|FAILED" "$out/tests.txt"; cat "$out/network.csv" "$out"/network_float.csv 2>/dev/null
