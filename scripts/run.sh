#!/usr/bin/env bash
# Set up (scripts/setup.sh), then run the default deck and print its summary.
# Extra arguments are passed to cbgtc, e.g. scripts/run.sh --population.STN.ISTN=60
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scripts/setup.sh
"${CBGTC_BUILD_DIR:-build}/bin/cbgtc" --config input/default.ini "$@"
