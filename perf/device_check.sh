#!/usr/bin/env bash
# One prepared run on a GPU machine: the test programs and the benchmarks of
# a CUDA/HIP build, results into $OUT (or ./device_results), at most 8 files.
#
#   perf/device_check.sh [build-dir] [float-build-dir]
#
# The build directory holds a cbgtc configured against a GPU Kokkos, e.g. with
# -DCBGTC_ENABLE_MPI=OFF -DCBGTC_ENABLE_HDF5=OFF when the GPU machine lacks
# those libraries (check `ldd build-dir/bin/cbgtc`). DEVICE_CHECK_SCALES
# overrides the network sizes of the benchmark.
set -uo pipefail
build=${1:-build-gpu}
float_build=${2:-}
out=${OUT:-device_results}
mkdir -p "$out"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Output names match what the build writes: HDF5, or CSV spikes without it.
ext=csv
"$build/bin/cbgtc" --version | grep -q "hdf5_version: [0-9]" && ext=h5
{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || true
  "$build/bin/cbgtc" --version
  # Registers, stack and spills of the fused and the table update kernels (a
  # local-memory array in them costs latency on every step).
  if command -v cuobjdump > /dev/null; then
    cuobjdump --dump-resource-usage "$build/bin/cbgtc" 2>/dev/null | grep -A1 -E "advanceFused|StepperTable" | head -n 24
  fi
  # The default deck, spikes kept for a comparison with a CPU run.
  "$build/bin/cbgtc" --config "$here/../input/default.ini" --output.file="$out/default_gpu.$ext" \
    --output.overwrite=true
  for batching in true false; do
    echo "== epoch_batching=$batching, timers on"
    "$build/bin/cbgtc" --config "$here/../input/default.ini" --execution.epoch_batching=$batching \
      --output.timers=true --output.file="$out/scratch.$ext" --output.overwrite=true
  done
  # The step with 1, 2, 4 and 8 lanes per neuron (auto picks 8 here), no spike file.
  for lanes in 1 2 4 8; do
    echo "== lanes_per_neuron=$lanes, timers on"
    "$build/bin/cbgtc" --config "$here/../input/default.ini" --execution.lanes_per_neuron=$lanes \
      --output.timers=true --output.spikes=false --output.file="$out/scratch.$ext" --output.overwrite=true |
      grep -E "lanes|step loop|time per step|^(STN|GPe|GPi) "
  done
  rm -f "$out/scratch.$ext"
  # Ensembles (docs/network.md, "Ensembles"): 1 s of the default network per
  # run, 20 runs one after another against 1000 as replicas of one network;
  # wall seconds per run, files and analysis included (PAC surrogates off,
  # the analyses on every host core).
  mkdir -p "$out/ens"
  ulimit -n 8192 2> /dev/null || true  # a network of K replicas keeps K files open
  for spec in 20:1 1000:1000; do
    runs=${spec%%:*} replicas=${spec##*:}
    start=$(date +%s.%N)
    "$build/bin/cbgtc" --config "$here/../input/default.ini" --simulation.duration_ms=1000 \
      --ensemble.seeds=1-$runs --ensemble.replicas=$replicas --ensemble.replica_files=one \
      --analysis.pac_surrogates=0 --analysis.threads="$(nproc)" --output.spikes=false \
      --output.progress_interval_s=1000 --output.file="$out/ens/e.$ext" --output.overwrite=true | tail -n 1
    echo "== ensemble of $runs runs, replicas=$replicas: $(echo "($(date +%s.%N) - $start) / $runs" | bc -l) s per run"
  done
  rm -rf "$out/ens"
  # Launches per epoch at 1 and 100 replicas: none of the kernels should grow
  # with them (the update of 100 replicas is one table launch,
  # cbgtc::Network::advance_table).
  if [ -f "$build/lib/libcbgtc_launch_counter.so" ]; then
    echo "== launches per epoch"
    REPLICA_COUNTS="1 100" "$here/bench_launches.sh" "$build/bin/cbgtc" "$build/lib/libcbgtc_launch_counter.so" |
      grep -E "Population::advance|Network::advance|Lfp::sum|Synchrony::moments|Synapse::deliver"
  fi
  # Several ranks sharing the one GPU give one rank's spikes (with an MPI
  # build): the metrics table (spike counts, rates, CVs, spectra) compared.
  if command -v mpiexec > /dev/null && ldd "$build/bin/cbgtc" | grep -q libmpi; then
    for np in 1 2 4; do
      OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpiexec --oversubscribe -np $np "$build/bin/cbgtc" \
        --config "$here/../input/parkinsonian.ini" --simulation.duration_ms=600 --output.file="$out/np.h5" \
        --output.overwrite=true | grep -E "^(STN|GPe_TI|GPe_TA|GPi|CTX|STR_D2) " > "$out/np$np.txt"
    done
    for np in 2 4; do
      if [ -s "$out/np1.txt" ] && cmp -s "$out/np1.txt" "$out/np$np.txt"; then
        echo "== ranks sharing the GPU: np $np metrics identical to np 1"
      else
        echo "== ranks sharing the GPU: np $np metrics DIFFER from np 1"; diff "$out/np1.txt" "$out/np$np.txt"
      fi
    done
    rm -f "$out"/np*
  fi
  # Ten million neurons (5.0e9 synapses): construction and step time.
  echo "== input/network_10m.ini"
  "$build/bin/cbgtc" --config "$here/../input/network_10m.ini" --output.spikes=false --output.timers=true \
    --output.file="$out/scratch.$ext" --output.overwrite=true | grep -E "synapses:|built|step loop|time per step"
  rm -f "$out/scratch.$ext"
} > "$out/runs.txt" 2>&1
# With DEVICE_CHECK_BEFORE=<an older cbgtc of the same backend>: the five
# networks of the performance table, both builds side by side.
if [ -n "${DEVICE_CHECK_BEFORE:-}" ]; then
  (cd "$here/.." && perf/before_after.sh "$build/bin/cbgtc" "$DEVICE_CHECK_BEFORE") > "$out/before_after.csv" 2>&1
fi
# Tests: each test program directly (ctest's test discovery needs CMake's
# own GoogleTest module at the path of the build machine).
for t in "$build"/bin/test_*; do
  [ "$(basename "$t")" = test_mpi_invariance ] && continue
  echo "== $(basename "$t")"
  "$t" --gtest_brief=1 2>&1 | tail -n 30
  echo "exit ${PIPESTATUS[0]}"
done > "$out/tests.txt" 2>&1
# Benchmarks: 1.0e4, 1.0e6, 1.0e8 synapses, "100K" (5.1e8), 1M neurons (5.0e8).
python3 "$here/run_benchmarks.py" --build "$build" ${float_build:+--float-build "$float_build"} --out "$out" \
  --scales ${DEVICE_CHECK_SCALES:-1 10 100 222.22 $here/../input/network_1m.ini $here/../input/cbgtc_1m.ini} 2>&1 | tail -n 20
ls -l "$out"
grep -E "^(==|exit)|FAILED" "$out/tests.txt"; grep -E "step loop|time per step|^== (ensemble|ranks)|built|advance" "$out/runs.txt"
