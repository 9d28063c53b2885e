#!/usr/bin/env bash
# Wall time per run of an in-process ensemble against its number of replicas
# (K runs as K replicas of one network, one output file), for one build or
# two side by side, alternating: a cost that grows with K per run is a cost
# that grows as K² for the ensemble. Wall time of the whole command (build,
# steps, analyses, files). One CSV row per command:
#   perf/bench_replica_count.sh <cbgtc> [<other cbgtc>] > perf/results/replica_count_cpu.txt
# REPLICA_COUNTS (default "10 100 300"), DURATION_MS (500) and REPEATS (2)
# change the sizes; ARGS adds keys (DURATION_MS=1 ARGS=--analysis.burn_in_ms=0:
# what a run costs the host beside its steps).
set -euo pipefail
builds=("$(realpath "$1")")
[ $# -ge 2 ] && builds+=("$(realpath "$2")")
counts=${REPLICA_COUNTS:-10 100 300} duration=${DURATION_MS:-500} repeats=${REPEATS:-2}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ulimit -n 8192 2> /dev/null || true
echo "build,replicas,duration_ms,repeat,wall_s,per_run_s"
for k in $counts; do
  for ((r = 0; r < repeats; ++r)); do
    order=("${!builds[@]}")
    (( r % 2 == 1 )) && order=($(printf '%s\n' "${order[@]}" | sort -rn))
    files=one  # (a run that is no merged network writes its own file)
    [ "$k" -gt 1 ] || files=each
    for b in "${order[@]}"; do
      start=$(date +%s.%N)
      "${builds[$b]}" --config input/default.ini --simulation.duration_ms="$duration" --ensemble.seeds=1-"$k" \
        --ensemble.replicas="$k" --ensemble.replica_files=$files --analysis.pac_surrogates=0 --output.spikes=false \
        --output.progress_interval_s=1000 --output.overwrite=true --output.file="$tmp/e.h5" ${ARGS:-} > /dev/null
      wall=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
      awk -v b="$b" -v k="$k" -v t="$duration" -v r="$r" -v w="$wall" \
        'BEGIN { printf "%d,%d,%g,%d,%.3f,%.4f\n", b, k, t, r, w, w / k }'
    done
  done
done
