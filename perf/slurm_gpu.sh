#!/bin/bash
# Example Slurm batch script: cbgtc on a GPU cluster, one MPI rank per GPU.
# Adapt partition, account, modules and the Kokkos/cbgtc build to your site.
#
#   sbatch perf/slurm_gpu.sh input/network_4500.ini
#
#SBATCH --job-name=cbgtc
#SBATCH --nodes=2
#SBATCH --ntasks-per-node=4          # = GPUs per node
#SBATCH --gpus-per-node=4
#SBATCH --cpus-per-task=8
#SBATCH --time=00:30:00
#SBATCH --output=cbgtc-%j.out

set -euo pipefail
deck=${1:-input/network_4500.ini}

# A cbgtc built against a CUDA Kokkos 4.x (+ Kokkos Kernels) and the site's
# MPI and parallel HDF5, e.g.
#   module load cuda openmpi hdf5 kokkos kokkos-kernels
#   cmake -S . -B build -DCMAKE_PREFIX_PATH=$KOKKOS_ROOT -DCMAKE_CXX_COMPILER=$KOKKOS_ROOT/bin/nvcc_wrapper
#   cmake --build build -j

# One rank per GPU: Kokkos picks the GPU of each rank from its local rank.
export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK}
export OMP_PROC_BIND=spread OMP_PLACES=threads
srun --gpus-per-task=1 --gpu-bind=closest \
  build/bin/cbgtc --config "$deck" --output.timers=true \
  --output.file="cbgtc-${SLURM_JOB_ID}.h5" --kokkos-map-device-id-by=mpi_rank
