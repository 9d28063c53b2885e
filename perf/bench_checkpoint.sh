#!/usr/bin/env bash
# Checkpoint size and write time per neuron and per synapse: the science
# preset (input/parkinsonian.ini, 4 500 neurons and 6 000 sources) at 1x and
# 10x its sizes (45 000 neurons), one checkpoint after 100 ms, and the time
# to continue from it (restore and the first 10 ms). One CSV row per size:
#   perf/bench_checkpoint.sh [cbgtc] [ranks]   > perf/results/checkpoint_cpu.csv
set -euo pipefail
cbgtc=$(realpath "${1:-build/bin/cbgtc}") ranks=${2:-1}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
launch=()
[ "$ranks" -gt 1 ] && launch=(mpiexec --allow-run-as-root --oversubscribe -np "$ranks")
common=(--config input/parkinsonian.ini --output.spikes=false --output.progress_interval_s=1000
        --output.overwrite=true --analysis.burn_in_ms=0)
echo "scale,neurons,synapses,ranks,checkpoint_MB,write_s,bytes_per_neuron,bytes_per_synapse,restart_s"
for scale in 1 10; do
  sizes=()
  for pop in CTX:2000 STR_D2:4000 STN:1000 GPe_TI:1500 GPe_TA:500 GPi:1500; do
    sizes+=(--population.${pop%%:*}.n=$(( ${pop##*:} * scale )))
  done
  log=$("${launch[@]}" "$cbgtc" "${common[@]}" "${sizes[@]}" --simulation.duration_ms=110 \
        --checkpoint.file="$tmp/state.h5" --checkpoint.at_ms=100 --output.file="$tmp/a.h5")
  neurons=$(( (1000 + 1500 + 500 + 1500) * scale ))
  synapses=$(echo "$log" | awk '/^synapses:/ { print $2 }')
  read -r mb seconds < <(echo "$log" | sed -n 's/.*checkpoint at .*(\(.*\) MB in \(.*\) s).*/\1 \2/p')
  start=$(date +%s.%N)
  "${launch[@]}" "$cbgtc" "${common[@]}" "${sizes[@]}" --simulation.duration_ms=110 --restart="$tmp/state.h5" \
    --output.file="$tmp/b.h5" > /dev/null
  restart=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
  awk -v s="$scale" -v n="$neurons" -v y="$synapses" -v r="$ranks" -v mb="$mb" -v w="$seconds" -v t="$restart" \
    'BEGIN { printf "%d,%d,%d,%d,%.4g,%.3g,%.1f,%.3f,%.3g\n", s, n, y, r, mb, w, mb * 1e6 / n, mb * 1e6 / y, t }'
done
