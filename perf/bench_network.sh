#!/usr/bin/env bash
# Step time of the whole network at the prototype's sizes (and larger), one
# process, per-phase timers on. Prints a CSV to stdout.
#
#   perf/bench_network.sh [build/bin/cbgtc] [duration_ms] [scales or decks...]
#
# A scale s simulates round(s·100/200/150) neurons with the default deck's
# physics (connection probabilities fixed, so synapses grow as s²): 1 -> 1.0e4
# synapses, 10 -> 1.0e6, 100 -> 1.0e8, 222.22 -> 5.1e8 ("100K"). An argument
# ending in .ini runs that deck at its own sizes (input/network_1m.ini).
# Construction: the network build and initial states, as cbgtc reports it.
set -euo pipefail
exe=${1:-build/bin/cbgtc}
duration=${2:-100}
shift $(( $# > 2 ? 2 : $# )) || true
scales=("$@")
[ ${#scales[@]} -gt 0 ] || scales=(1 10)
default_deck="$(dirname "${BASH_SOURCE[0]}")/../input/default.ini"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "neurons,synapses,bytes_per_synapse,construction_s,us_per_step,us_per_step_writing_spikes,update_us,delivery_us,exchange_us,output_us,backend"
for s in "${scales[@]}"; do
  if [[ $s == *.ini ]]; then
    args=(--config "$s")
  else
    sizes=($(awk -v s="$s" 'BEGIN { printf "%d %d %d", 100 * s + 0.5, 200 * s + 0.5, 150 * s + 0.5 }'))
    args=(--config "$default_deck" --population.STN.n="${sizes[0]}" --population.GPe.n="${sizes[1]}"
          --population.GPi.n="${sizes[2]}")
  fi
  run() {
    "$exe" "${args[@]}" --simulation.duration_ms="$duration" --output.v_neurons=0 \
      --output.progress_interval_s=0 --analysis.burn_in_ms=0 --output.file="$out/run.h5" \
      --output.overwrite=true "$@"
  }
  # The step time comes from a run without timers: their fences (one per
  # phase and epoch) cost launch latency on a GPU; the phases from a second
  # run. Both keep the metrics but write no spikes (like NEST without a
  # spike recorder); a third run writes every spike to the file.
  # A size that fails (out of memory, a time limit) is named on stderr and
  # skipped: the other sizes' rows still come.
  failed() { echo "bench_network.sh: $s: cbgtc exited with $1; no row" >&2; }
  untimed=$(run --output.timers=false --output.spikes=false) || { failed $?; continue; }
  writing=$(run --output.timers=false --output.spikes=true) || { failed $?; continue; }
  log=$(run --output.timers=true --output.spikes=false) || { failed $?; continue; }
  # Every population's size from the header ("cbgtc x: STN 100, GPe 200, ... neurons;").
  neurons=$(sed -n 's/^cbgtc [^:]*: \(.*\) neurons;.*/\1/p' <<<"$log" | tr ',' '\n' |
            awk '{ total += $NF } END { print total }')
  synapses=$(sed -n 's/^synapses: \([0-9]*\) .*(\([0-9.]*\) bytes per synapse.*/\1,\2/p' <<<"$log")
  phases=$(sed -n 's/.*update \([0-9.]*\) us, delivery \([0-9.]*\) us, exchange \([0-9.]*\) us, output \([0-9.]*\) us/\1,\2,\3,\4/p' <<<"$log")
  backend=$(sed -n 's/.*seed [0-9]*; \([A-Za-z]*\);.*/\1/p' <<<"$log")
  construction=$(sed -n 's/^network built in \([0-9.]*\) s/\1/p' <<<"$untimed")
  us=$(sed -n 's/^step loop: \([0-9.]*\) us per step/\1/p' <<<"$untimed")
  us_writing=$(sed -n 's/^step loop: \([0-9.]*\) us per step/\1/p' <<<"$writing")
  echo "$neurons,$synapses,$construction,$us,$us_writing,$phases,$backend"
done
