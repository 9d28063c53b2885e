#!/usr/bin/env bash
# An ensemble's K runs three ways, the same seeds, side by side and
# alternating (the order reversed every other repeat), `repeats` times
# (`ways`, comma-separated, picks some):
#   commands   K separate cbgtc commands, one seed each, one after another
#   runs       one command, its runs one after another (ensemble.replicas = 1)
#   replicas   one command, the runs as replicas of one network (= K)
# Wall and CPU time (user + system, the command and the children it waited
# for) of the whole of each (start, build, steps, analysis, files) per run.
# One CSV row per way and repeat:
#   perf/bench_replicas.sh [cbgtc] [deck] [K] [duration_ms] [repeats] [ways] > perf/results/replicas_cpu.csv
set -euo pipefail
shopt -s inherit_errexit # a failed command stops a way's commands too
export LC_ALL=C           # bash's time prints a decimal point, as awk reads
# Paths given are the caller's; the defaults are the repository's.
cbgtc=${1:+$(realpath "$1")} deck=${2:+$(realpath "$2")} runs=${3:-10}
duration=${4:-1000} repeats=${5:-3} ways=${6:-commands,runs,replicas}
cd "$(dirname "$0")/.."
cbgtc=${cbgtc:-$(realpath build/bin/cbgtc)} deck=${deck:-input/default.ini}
tmp=$(mktemp -d)
# A failed command's messages are in the log: show them.
trap 'status=$?; ((status == 0)) || cat "$tmp/stderr" >&2 2> /dev/null; rm -rf "$tmp"' EXIT
common=(--config "$deck" --simulation.duration_ms="$duration" --output.spikes=false
        --output.progress_interval_s=1000 --output.overwrite=true)
IFS=, read -r -a ways <<< "$ways"
for way in "${ways[@]}"; do
  [[ $way =~ ^(commands|runs|replicas)$ ]] || { echo "bench_replicas.sh: no way '$way' (commands, runs, replicas)" >&2; exit 2; }
done
# Prints "wall_s cpu_s" of one way's commands together (their warnings to a log).
measure() {
  local TIMEFORMAT='%R %U %S' s
  {
    time {
      case $1 in
      commands)
        for ((s = 1; s <= runs; ++s)); do
          "$cbgtc" "${common[@]}" --simulation.seed="$s" --output.file="$tmp/run_$s.h5" > /dev/null 2>> "$tmp/stderr"
        done ;;
      runs) "$cbgtc" "${common[@]}" --ensemble.seeds=1-"$runs" --ensemble.replicas=1 --output.file="$tmp/out.h5" > /dev/null 2>> "$tmp/stderr" ;;
      replicas) "$cbgtc" "${common[@]}" --ensemble.seeds=1-"$runs" --ensemble.replicas="$runs" --output.file="$tmp/out.h5" > /dev/null 2>> "$tmp/stderr" ;;
      esac
    }
  } 2>&1 | awk '{ print $1, $2 + $3 }'
}
echo "deck,runs,duration_ms,repeat,way,wall_s,cpu_s,wall_per_run_s,cpu_per_run_s"
for ((r = 0; r < repeats; ++r)); do
  order=("${ways[@]}")
  (( r % 2 == 1 )) && for ((i = 0; i < ${#ways[@]}; ++i)); do order[i]=${ways[${#ways[@]} - 1 - i]}; done
  for way in "${order[@]}"; do
    times=$(measure "$way")
    read -r wall cpu <<< "$times"
    awk -v d="$(basename "$deck")" -v n="$runs" -v t="$duration" -v r="$r" -v m="$way" -v w="$wall" -v c="$cpu" \
      'BEGIN { printf "%s,%d,%g,%d,%s,%.3f,%.3f,%.4f,%.4f\n", d, n, t, r, m, w, c, w / n, c / n }'
  done
done
