#!/usr/bin/env bash
# Kernel launches per exchange epoch of an in-process ensemble against its
# number of replicas (K runs as K replicas of one network), counted by
# perf/kernel_launch_counter.cpp. On a GPU each launch costs a few µs
# whatever its work, so launches that grow with K bound the ensemble's step.
#   perf/bench_launches.sh <cbgtc> <libcbgtc_launch_counter.so> [--check] > perf/results/launches_cpu.txt
# One line per kernel of cbgtc's and K: "replicas kernel launches_per_epoch"
# (those of the network's construction are fractions), and per replica the
# run's memory allocations, deep copies and Kokkos's view fills. --check
# (a test) fails unless the LFP sums, V moments and fused delivery launch
# as often at 3 replicas as at 1. REPLICA_COUNTS (default "1 10 100").
set -euo pipefail
cbgtc=$(realpath "$1") counter=$(realpath "$2") check=${3:-}
counts=${REPLICA_COUNTS:-1 10 100}
[ "$check" = --check ] && counts="1 3"
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
duration=200
# Epochs of the run: its steps over the steps between exchanges (a plain run says both).
"$cbgtc" --config input/default.ini --simulation.duration_ms=$duration --output.spikes=false \
  --output.overwrite=true --output.file="$tmp/plain.h5" > "$tmp/plain.txt"
epochs=$(awk '/spike exchange every/ { every = $4 } / steps of / { steps = $1 } END { print steps / every }' \
  "$tmp/plain.txt")
echo "replicas kernel launches_per_epoch"
for k in $counts; do
  files=one  # (one replica is no merged network: it writes its run's file)
  [ "$k" -gt 1 ] || files=each
  KOKKOS_PROFILE_LIBRARY="$counter" KOKKOS_TOOLS_LIBS="$counter" "$cbgtc" --config input/default.ini \
    --simulation.duration_ms=$duration --analysis.burn_in_ms=0 --ensemble.seeds=1-"$k" --ensemble.replicas="$k" \
    --ensemble.replica_files=$files --analysis.pac_surrogates=0 --output.spikes=false --output.progress_interval_s=1000 \
    --output.overwrite=true --output.file="$tmp/e.h5" 2> "$tmp/launches_$k.txt" > /dev/null
  # cbgtc's kernels (not Kokkos's own, which fill new views while the network is built).
  awk -v k="$k" -v n="$epochs" '$1 == "launches" && $NF ~ /^cbgtc::/ { printf "%d %s %.2f\n", k, $NF, $2 / n }' \
    "$tmp/launches_$k.txt"
  # The whole run's allocations, copies and Kokkos's own launches (view
  # fills), per replica: on a GPU a cudaMalloc, a synchronous copy or a
  # launch each, the host's cost of building a replica.
  awk -v k="$k" '$1 == "allocations" { a += $2 } $1 == "deep_copies" { c += $2 }
    $1 == "launches" && $3 == "for" && $NF !~ /^cbgtc::/ { f += $2 }
    END { printf "%d (per replica) allocations %.1f deep_copies %.1f view_fills %.1f\n", k, a / k, c / k, f / k }' \
    "$tmp/launches_$k.txt"
done | tee "$tmp/table.txt"
if [ "$check" = --check ]; then
  for kernel in cbgtc::Lfp::sum cbgtc::Synchrony::moments cbgtc::Synapse::deliver_all; do
    one=$(awk -v n=$kernel '$1 == 1 && $2 == n { print $3 }' "$tmp/table.txt")
    three=$(awk -v n=$kernel '$1 == 3 && $2 == n { print $3 }' "$tmp/table.txt")
    if [ -z "$one" ] || [ "$one" != "$three" ]; then
      echo "FAILED: $kernel launches ${one:-never} per epoch at 1 replica, ${three:-never} at 3" >&2
      exit 1
    fi
  done
  echo "the sums and the delivery launch as often at 3 replicas as at 1"
fi
