# Spack package for cbgtc. Use it from a clone:
#   spack repo add <clone>/packaging/spack
#   spack install cbgtc@main +mpi +hdf5 +cuda cuda_arch=90      (or +rocm amdgpu_target=gfx90a, or +openmp)
# It builds the clone it sits in (the git branch main); `spack develop` works too.
import os

from spack.package import *

_clone = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))


class Cbgtc(CMakePackage, CudaPackage, ROCmPackage):
    """Kokkos simulator of the basal ganglia STN-GPe-GPi circuit: beta
    oscillations, phase-amplitude coupling and deep brain stimulation in
    healthy and Parkinsonian states, on CPUs, NVIDIA and AMD GPUs and MPI
    clusters, with SONATA HDF5 output."""

    git = "file://" + _clone

    license("BSD-3-Clause")

    version("main", branch="main")

    variant("mpi", default=True, description="MPI decomposition and spike exchange")
    variant("hdf5", default=True, description="SONATA HDF5 output (otherwise CSV spikes only)")
    variant("openmp", default=True, description="Kokkos OpenMP backend for CPU runs")
    variant("precision", default="double", values=("double", "float"), multi=False,
            description="floating-point type of the neuron state")
    variant("plot", default=True, description="run-time dependencies of cbgtc-plot (h5py, numpy, matplotlib)")

    depends_on("cxx", type="build")
    depends_on("cmake@3.16:", type="build")
    depends_on("kokkos@4:")
    depends_on("kokkos-kernels@4:")
    depends_on("boost+program_options")
    depends_on("mpi", when="+mpi")
    depends_on("hdf5+mpi", when="+hdf5+mpi")
    depends_on("hdf5~mpi", when="+hdf5~mpi")
    depends_on("googletest", type="test")
    depends_on("python@3.8:", type="run", when="+plot")
    depends_on("py-h5py", type="run", when="+plot")
    depends_on("py-numpy", type="run", when="+plot")
    depends_on("py-matplotlib", type="run", when="+plot")

    depends_on("kokkos+openmp", when="+openmp")
    depends_on("kokkos-kernels+openmp", when="+openmp")
    # Kokkos and Kokkos Kernels on the same device and architecture as cbgtc.
    for arch in CudaPackage.cuda_arch_values:
        depends_on(f"kokkos+cuda+cuda_lambda+wrapper cuda_arch={arch}", when=f"+cuda cuda_arch={arch}")
        depends_on(f"kokkos-kernels+cuda cuda_arch={arch}", when=f"+cuda cuda_arch={arch}")
    for target in ROCmPackage.amdgpu_targets:
        depends_on(f"kokkos+rocm amdgpu_target={target}", when=f"+rocm amdgpu_target={target}")
        depends_on(f"kokkos-kernels+rocm amdgpu_target={target}", when=f"+rocm amdgpu_target={target}")
    conflicts("+cuda", when="+rocm", msg="one GPU backend per build")

    def cmake_args(self):
        spec = self.spec
        args = [
            self.define_from_variant("CBGTC_ENABLE_MPI", "mpi"),
            self.define_from_variant("CBGTC_ENABLE_HDF5", "hdf5"),
            self.define("CBGTC_REAL_TYPE", spec.variants["precision"].value),
            self.define("CBGTC_ENABLE_TESTS", self.run_tests),
            self.define("CBGTC_ENABLE_BENCHMARKS", False),
            self.define("CBGTC_NATIVE_ARCH", False),  # Spack passes the target's flags
        ]
        if spec.satisfies("+cuda"):
            args.append(self.define("CMAKE_CXX_COMPILER", spec["kokkos"].package.kokkos_cxx))
        if spec.satisfies("+rocm"):
            args.append(self.define("CMAKE_CXX_COMPILER", spec["hip"].hipcc))
        if spec.satisfies("+plot"):
            args.append(self.define("CBGTC_PYTHON", spec["python"].command.path))
        return args
