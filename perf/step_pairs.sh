#!/usr/bin/env bash
# Two cbgtc binaries' step loops side by side: `pairs` runs of each, A then B
# in turn, on the same deck and keys; one CSV row per pair and the median of
# the paired ratios B/A (on a shared machine only pairs are comparable).
#   perf/step_pairs.sh <cbgtc A> <cbgtc B> [pairs] [keys...]
# Default keys: the 1000/2000/1500 default network for 500 ms. Run from the
# repository root.
set -euo pipefail
a=$(realpath "$1") b=$(realpath "$2") pairs=${3:-8}
shift $(($# < 3 ? $# : 3))
keys=("$@")
if [ ${#keys[@]} -eq 0 ]; then
  keys=(--config input/default.ini --population.STN.n=1000 --population.GPe.n=2000 --population.GPi.n=1500
        --simulation.duration_ms=500)
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--analysis.burn_in_ms=0 --output.spikes=false --output.v_neurons=0 --output.progress_interval_s=0
        --output.overwrite=true --output.file="$tmp/out.h5")
step() { "$1" "${keys[@]}" "${common[@]}" | awk '/step loop/ { print $3 }'; }
echo "pair,a_us_per_step,b_us_per_step,ratio"
for p in $(seq 1 "$pairs"); do
  x=$(step "$a")
  y=$(step "$b")
  awk -v p="$p" -v x="$x" -v y="$y" 'BEGIN { printf "%d,%s,%s,%.4f\n", p, x, y, y / x }'
done | tee "$tmp/rows"
sort -t, -k4 -g "$tmp/rows" | awk -F, '{ r[NR] = $4 } END { m = NR % 2 ? r[(NR + 1) / 2] : (r[NR / 2] + r[NR / 2 + 1]) / 2;
  printf "# median paired ratio B/A over %d pairs: %.4f\n", NR, m }'
