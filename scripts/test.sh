#!/usr/bin/env bash
# Set up (scripts/setup.sh), then run the whole test suite.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
CBGTC_EXTRA_PACKAGES="python3-bmtk ${CBGTC_EXTRA_PACKAGES:-}" scripts/setup.sh
cd "${CBGTC_BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)" "$@"
