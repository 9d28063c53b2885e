#!/usr/bin/env bash
# Which models' CPU step loops the compiler vectorises (docs/performance.md):
# compiles each model's PopulationStepper::advanceLanes with the flags of a
# build of cbgtc (GCC; CBGTC_NATIVE_ARCH=ON for the machine's vectors) and
# reports GCC's verdict on the loop over lanes that calls the model's step.
# A model whose loop stays scalar runs several times slower on CPUs (the
# spike-time replay's is scalar by design: it walks its list of times).
#   perf/vectorisation_report.sh [build directory, default build]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
flags=$build/src/CMakeFiles/cbgtc_core.dir/flags.make
[ -f "$flags" ] || { echo "no $flags: configure and build cbgtc first" >&2; exit 2; }
value() { sed -n "s/^$1 = //p" "$flags"; }
compiler=$(sed -n 's/^# compile CXX with //p' "$flags")
# The loop over lanes that calls the model's step (neuron_update.hpp): GCC
# names it by its first statement's line or by the line of the `for`.
line=$(grep -n 'auto x = pop.load(i0 + l);' "$root/kernels/neuron_update.hpp" | head -1 | cut -d: -f1)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
models=$(sed -n 's/^using Models = ModelList<\(.*\)>;/\1/p' "$root/kernels/models/registry.hpp" | tr -d ' ' | tr ',' ' ')
for m in $models; do
  cat > "$tmp/$m.cpp" <<EOF
#include "kernels/models/registry.hpp"
#include "kernels/neuron_update.hpp"
template void cbgtc::PopulationStepper<cbgtc::models::$m::Storage<Kokkos::HostSpace>,
                                       cbgtc::models::$m::Step>::advanceLanes<cbgtc::lanes_per_chunk>(
    cbgtc::index_type, int, cbgtc::step_type, cbgtc::step_type) const;
EOF
  # shellcheck disable=SC2046
  verdict=$("$compiler" $(value CXX_DEFINES) $(value CXX_INCLUDES) $(value CXX_FLAGS) -std=c++17 \
              -fopt-info-vec-all -c "$tmp/$m.cpp" -o "$tmp/$m.o" 2>&1 |
            grep -m1 "neuron_update.hpp:\($line\|$((line - 1))\):[0-9]*: \(optimized\|missed\)" |
            sed 's/.*: \(optimized\|missed\): //' || true)
  printf '%-16s %s\n' "$m" "${verdict:-no verdict (not GCC?)}"
done
