#!/usr/bin/env bash
# One prepared run on a GPU machine: the benchmarks and the test programs of
# a CUDA/HIP build, results into $OUT (or ./device_results), at most 8 files.
#
#   perf/device_check.sh [build-dir] [float-build-dir]
#
# The build directory holds a cbgtc configured against a GPU Kokkos, e.g. with
# -DCBGTC_ENABLE_MPI=OFF -DCBGTC_ENABLE_HDF5=OFF when the GPU machine lacks
# those libraries (check `ldd build-dir/bin/cbgtc`). DEVICE_CHECK_SCALES
# overrides the network sizes of the benchmark.
#
# A lease is short and may not allow a second try, so the whole check keeps
# to DEVICE_CHECK_SECONDS (default 540): sections run most important first,
# each under a time limit taken from what is left, and each writes its lines
# as it goes. Timings run alone; the tests run in parallel afterwards.
set -uo pipefail
build=$(realpath "${1:-build-gpu}")
float_build=${2:-}
out=$(mkdir -p "${OUT:-device_results}" && realpath "${OUT:-device_results}")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
deadline=$(($(date +%s) + ${DEVICE_CHECK_SECONDS:-540}))
exe="$build/bin/cbgtc"
log="$out/runs.txt"
# Seconds for a section: at most its cap, and never past the deadline less
# what the later sections need at the least.
limit() {
  local cap=$1 reserve=${2:-0} left
  left=$((deadline - $(date +%s) - reserve))
  ((left < cap)) && cap=$left
  ((cap < 1)) && cap=1
  echo "$cap"
}
section() { echo "== $* (t = $(($(date +%s) - deadline + ${DEVICE_CHECK_SECONDS:-540})) s)" >> "$log"; }
# Output names match what the build writes: HDF5, or CSV spikes without it.
ext=csv
"$exe" --version | grep -q "hdf5_version: [0-9]" && ext=h5
{
  date -u
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2> /dev/null || true
  "$exe" --version || { echo "cbgtc does not start: nothing else is run"; exit 3; }
  # Registers, stack and spills of the fused and the table update kernels (a
  # local-memory array in them costs latency on every step).
  if command -v cuobjdump > /dev/null; then
    cuobjdump --dump-resource-usage "$exe" 2> /dev/null | grep -A1 -E "advanceFused|StepperTable" | head -n 24
  fi
} > "$log" 2>&1 || { cat "$log"; exit 3; }

section "default deck, spikes kept for a comparison with a CPU run"
timeout "$(limit 60)" "$exe" --config "$here/../input/default.ini" --output.file="$out/default_gpu.$ext" \
  --output.overwrite=true >> "$log" 2>&1

# Ensembles (docs/network.md, "Ensembles"): 1 s of the default network per
# run, 20 runs one after another against 1000 as replicas of one network;
# wall seconds per run, files and analysis included (PAC surrogates off, the
# analyses on every host core). runs:replicas:ms:files:cap_s; 1000 replicas of
# 1 ms without files first: the floor under the target, what building and
# summarising a replica cost beside the steps ("built in" is the build); the
# last without files (ensemble.replica_files = none: the table only). A run
# past its cap is stopped (exit 124): the target is 3 s, and the sections
# after it matter.
mkdir -p "$out/ens"
ulimit -n 8192 2> /dev/null || true # a network of K replicas keeps K files open
for spec in 20:1:1000:each:30 1000:1000:1:none:40 1000:1000:1000:one:60 1000:1000:1000:none:60; do
  IFS=: read -r runs replicas duration files cap <<< "$spec"
  section "ensemble of $runs runs of $duration ms, replicas=$replicas, files $files"
  start=$(date +%s.%N)
  timeout "$(limit "$cap" 200)" "$exe" --config "$here/../input/default.ini" --simulation.duration_ms="$duration" \
    --analysis.burn_in_ms=$((duration < 400 ? 0 : 200)) \
    --ensemble.seeds=1-$runs --ensemble.replicas=$replicas --ensemble.replica_files=$files \
    --analysis.pac_surrogates=0 --analysis.threads="$(nproc)" --output.spikes=false --output.timers=true \
    --output.progress_interval_s=1000 --output.file="$out/ens/e.$ext" --output.overwrite=true 2>&1 |
    grep -E "^network|rror" | tail -n 3 >> "$log"
  echo "ensemble of $runs runs of $duration ms, replicas=$replicas, files $files: exit ${PIPESTATUS[0]}," \
    "$(awk -v a="$start" -v b="$(date +%s.%N)" -v n="$runs" 'BEGIN { printf "%.4f", (b - a) / n }') s per run" >> "$log"
done
# The same 1000 runs as 8 networks of 125 replicas on 8 ranks sharing the
# GPU, without files: each rank builds and analyses its own networks, so the
# host's share is spread over 8 cores.
if command -v mpiexec > /dev/null && ldd "$exe" | grep -q libmpi; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  section "ensemble of 1000 runs of 1000 ms, replicas=125, 8 ranks, files none"
  start=$(date +%s.%N)
  timeout "$(limit 60 200)" mpiexec --oversubscribe -np 8 "$exe" --config "$here/../input/default.ini" \
    --simulation.duration_ms=1000 --ensemble.seeds=1-1000 --ensemble.replicas=125 --ensemble.replica_files=none \
    --analysis.pac_surrogates=0 --analysis.threads=2 --output.spikes=false --output.timers=true \
    --output.progress_interval_s=1000 --output.file="$out/ens/e.$ext" --output.overwrite=true 2>&1 |
    grep -E "^network|rror" | tail -n 8 >> "$log"
  echo "ensemble of 1000 runs of 1000 ms, replicas=125, 8 ranks, files none: exit ${PIPESTATUS[0]}," \
    "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.4f", (b - a) / 1000 }') s per run" >> "$log"
fi
rm -rf "$out/ens"

# Ten million neurons (5.0e9 synapses): construction and step time.
section "input/network_10m.ini"
timeout "$(limit 150 180)" "$exe" --config "$here/../input/network_10m.ini" --output.spikes=false \
  --output.timers=true --output.file="$out/scratch.$ext" --output.overwrite=true 2>&1 |
  grep -E "synapses|built|step loop|time per step|memory|error" >> "$log"
# A run that dies leaves its in-progress file, which later runs refuse to touch.
rm -f "$out/scratch.$ext" "$out/scratch.$ext.partial"

# Benchmarks: 1.0e4, 1.0e6, 1.0e8 synapses, "100K" (5.1e8), 1M neurons
# (5.0e8), the 1M loop; into one archive (the lease returns at most 8 files).
section "benchmarks"
bench=$(mktemp -d)
timeout "$(limit 150 150)" python3 "$here/run_benchmarks.py" --build "$build" \
  ${float_build:+--float-build "$float_build"} --out "$bench" --replicas 10 --replica-ways runs,replicas \
  --scales ${DEVICE_CHECK_SCALES:-1 10 100 222.22 $here/../input/network_1m.ini $here/../input/cbgtc_1m.ini} \
  >> "$log" 2>&1
echo "benchmarks exit $?" >> "$log"
tar -C "$bench" -czf "$out/benchmarks.tar.gz" .

# The step with 1, 2, 4 and 8 lanes per neuron (auto picks 8 here), no spike file.
for lanes in 1 2 4 8; do
  section "lanes_per_neuron=$lanes, timers on"
  timeout "$(limit 20 150)" "$exe" --config "$here/../input/default.ini" --execution.lanes_per_neuron=$lanes \
    --output.timers=true --output.spikes=false --output.file="$out/scratch.$ext" --output.overwrite=true 2>&1 |
    grep -E "lanes|step loop|time per step|^(STN|GPe|GPi) " >> "$log"
done
rm -f "$out/scratch.$ext"

# Tests, each program directly (ctest's test discovery needs CMake's own
# GoogleTest module at the path of the build machine), several at once; and,
# beside them, several MPI ranks sharing the one GPU against one rank.
section "tests"
tests=$(mktemp -d)
ls "$build"/bin/test_* | xargs -P 6 -I{} sh -c \
  't=$(basename {}); timeout '"$(limit 240 20)"' {} --gtest_brief=1 > '"$tests"'/$t.txt 2>&1;
   echo "exit $?" >> '"$tests"'/$t.txt' &
if command -v mpiexec > /dev/null && ldd "$exe" | grep -q libmpi; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  for np in 1 2 4; do
    timeout "$(limit 60 20)" mpiexec --oversubscribe -np $np "$exe" --config "$here/../input/parkinsonian.ini" \
      --simulation.duration_ms=600 --output.file="$out/np$np.h5" --output.overwrite=true 2>&1 |
      grep -E "^(STN|GPe_TI|GPe_TA|GPi|CTX|STR_D2) |rror" > "$out/np$np.txt"
  done
  for np in 2 4; do
    if [ -s "$out/np1.txt" ] && cmp -s "$out/np1.txt" "$out/np$np.txt"; then
      echo "ranks sharing the GPU: np $np metrics identical to np 1" >> "$log"
    else
      echo "ranks sharing the GPU: np $np metrics DIFFER from np 1" >> "$log"
      diff "$out/np1.txt" "$out/np$np.txt" >> "$log"
    fi
  done
  rm -f "$out"/np*
fi
wait
for t in "$tests"/*.txt; do
  echo "== $(basename "$t" .txt)"
  tail -n 30 "$t"
done > "$out/tests.txt" 2>&1

# Launches per epoch at 1 and 100 replicas: none of the kernels should grow
# with them (the update of 100 replicas is one table launch,
# cbgtc::Network::advance_table).
if [ -f "$build/lib/libcbgtc_launch_counter.so" ]; then
  section "launches per epoch"
  REPLICA_COUNTS="1 100" timeout "$(limit 40)" "$here/bench_launches.sh" "$exe" \
    "$build/lib/libcbgtc_launch_counter.so" 2>&1 |
    grep -E "Population::advance|Network::advance|Lfp::sum|Synchrony::moments|Synapse::deliver" >> "$log"
fi
# With DEVICE_CHECK_BEFORE=<an older cbgtc of the same backend>: the five
# networks of the performance table, both builds side by side.
if [ -n "${DEVICE_CHECK_BEFORE:-}" ]; then
  (cd "$here/.." && timeout "$(limit 120)" perf/before_after.sh "$exe" "$DEVICE_CHECK_BEFORE") \
    > "$out/before_after.csv" 2>&1
fi
section "done"
ls -l "$out"
grep -E "^(==|exit)|FAILED" "$out/tests.txt"
grep -E "^==|step loop|time per step|built|per run|advance|ranks sharing|exit" "$log"
