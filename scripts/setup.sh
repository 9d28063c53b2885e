#!/usr/bin/env bash
# Install what is missing (Debian 12 packages), configure and build into build/.
#   scripts/setup.sh               Debian's Kokkos 3.4 (Serial)
#   CBGTC_CMAKE_ARGS="-DCMAKE_PREFIX_PATH=/opt/kokkos-4.6" CBGTC_BUILD_DIR=build-omp scripts/setup.sh
#                                  a Kokkos 4.x + Kokkos Kernels install, in its own build directory
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(cmake g++ make pkg-config
          libtrilinos-kokkos-dev libtrilinos-kokkos-kernels-dev
          libopenmpi-dev openmpi-bin libhdf5-openmpi-dev
          libboost-program-options-dev libgtest-dev librandom123-dev
          python3-h5py python3-numpy python3-matplotlib)
# scripts/test.sh adds python3-bmtk, which the suite reads the output with.
read -r -a extra <<< "${CBGTC_EXTRA_PACKAGES:-}"
packages+=("${extra[@]}")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "cbgtc setup: installing ${missing[*]}"
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir=${CBGTC_BUILD_DIR:-build}
# This machine builds and runs, so the CPU kernels may use its vectors
# (CBGTC_NATIVE_ARCH); CBGTC_CMAKE_ARGS="-DCBGTC_NATIVE_ARCH=OFF" builds for
# any x86-64.
# shellcheck disable=SC2086  # CBGTC_CMAKE_ARGS holds several words on purpose
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCBGTC_NATIVE_ARCH=ON ${CBGTC_CMAKE_ARGS:-}
cmake --build "$build_dir" -j"$(nproc)"
