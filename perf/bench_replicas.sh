#!/usr/bin/env bash
# An ensemble's runs one after another (ensemble.replicas = 1) against the
# same runs as replicas of one network (ensemble.replicas = K), in one
# process, the same seeds, side by side and alternating (ABBA) `repeats`
# times. Wall time of the whole command (build, steps, analysis, files) per
# run. One CSV row per command:
#   perf/bench_replicas.sh [cbgtc] [deck] [K] [duration_ms] [repeats] > perf/results/replicas_cpu.csv
set -euo pipefail
# Paths given are the caller's; the defaults are the repository's.
cbgtc=${1:+$(realpath "$1")} deck=${2:+$(realpath "$2")} runs=${3:-10}
duration=${4:-1000} repeats=${5:-3}
cd "$(dirname "$0")/.."
cbgtc=${cbgtc:-$(realpath build/bin/cbgtc)} deck=${deck:-input/default.ini}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--config "$deck" --simulation.duration_ms="$duration" --ensemble.seeds=1-"$runs" --output.spikes=false
        --output.progress_interval_s=1000 --output.overwrite=true --output.file="$tmp/out.h5")
measure() {
  local start end
  start=$(date +%s.%N)
  "$cbgtc" "${common[@]}" --ensemble.replicas="$1" > /dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}
echo "deck,runs,duration_ms,repeat,replicas,wall_s,per_run_s"
for ((r = 0; r < repeats; ++r)); do
  order=(1 "$runs")
  (( r % 2 == 1 )) && order=("$runs" 1)
  for k in "${order[@]}"; do
    wall=$(measure "$k")
    awk -v d="$(basename "$deck")" -v n="$runs" -v t="$duration" -v r="$r" -v k="$k" -v w="$wall" \
      'BEGIN { printf "%s,%d,%g,%d,%d,%.3f,%.4f\n", d, n, t, r, k, w, w / n }'
  done
done
