#!/usr/bin/env bash
# The step time of the five networks of the performance table for two
# builds side by side, interleaved: a build of the commit before
# populations became data (61c08ed, whose keys were network.n_stn, ...)
# and a build of now. One CSV row per run; run from the repository root:
#   perf/before_after.sh <new cbgtc> <old cbgtc> [repeats]   > before_after.csv
# Old decks come from git (input/default.ini and network_1m.ini at 61c08ed).
set -euo pipefail
new=$1 old=$2 repeats=${3:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git show 61c08ed:input/default.ini > "$tmp/old_default.ini"
git show 61c08ed:input/network_1m.ini > "$tmp/old_network_1m.ini"
common=(--output.spikes=false --output.progress_interval_s=0 --output.v_neurons=0 --analysis.burn_in_ms=0
        --output.overwrite=true)
step() { "$@" | awk '/step loop/ { print $3 }'; }
echo "network,repeat,before_us_per_step,after_us_per_step"
for net in 1 10 100 222.22 1m; do
  if [ "$net" = 1m ]; then
    old_args=(--config "$tmp/old_network_1m.ini"); new_args=(--config input/network_1m.ini); duration=100
  else
    read -r s e i < <(awk -v s="$net" 'BEGIN { printf "%d %d %d\n", 100*s+0.5, 200*s+0.5, 150*s+0.5 }')
    old_args=(--config "$tmp/old_default.ini" --network.n_stn="$s" --network.n_gpe="$e" --network.n_gpi="$i")
    new_args=(--config input/default.ini --population.STN.n="$s" --population.GPe.n="$e" --population.GPi.n="$i")
    duration=200
  fi
  for rep in $(seq 1 "$repeats"); do
    before=$(step "$old" "${old_args[@]}" --simulation.duration_ms=$duration "${common[@]}" --output.file="$tmp/o.h5")
    after=$(step "$new" "${new_args[@]}" --simulation.duration_ms=$duration "${common[@]}" --output.file="$tmp/n.h5")
    echo "$net,$rep,$before,$after"
  done
done
