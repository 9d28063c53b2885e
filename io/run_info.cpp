#include "io/run_info.hpp"

#include <sstream>

#include <Kokkos_Core.hpp>

#include "cbgtc_config.hpp"
#include "cbgtc_git.hpp"

#ifdef CBGTC_ENABLE_MPI
#include <mpi.h>
#endif
#ifdef CBGTC_ENABLE_HDF5
#include <hdf5.h>
#endif

namespace cbgtc::io {

namespace {

#define CBGTC_STRINGIFY_IMPL(x) #x
#define CBGTC_STRINGIFY(x) CBGTC_STRINGIFY_IMPL(x)

std::string mpiVersion() {
#ifdef CBGTC_ENABLE_MPI
  char library[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  // Allowed before MPI_Init (MPI-3).
  MPI_Get_library_version(library, &length);
  std::string text(library, static_cast<std::size_t>(length));
  text = text.substr(0, text.find_first_of("\n,"));
  return "MPI " + std::to_string(MPI_VERSION) + "." + std::to_string(MPI_SUBVERSION) + " (" + text + ")";
#else
  return "disabled";
#endif
}

std::string hdf5Version() {
#ifdef CBGTC_ENABLE_HDF5
  std::string text = std::to_string(H5_VERS_MAJOR) + "." + std::to_string(H5_VERS_MINOR) + "." +
                     std::to_string(H5_VERS_RELEASE);
#ifdef H5_HAVE_PARALLEL
  text += " (parallel)";
#endif
  return text;
#else
  return "disabled";
#endif
}

}  // namespace

std::string kokkosBackends() {
  std::string list;
  auto add = [&list](const char* name) { list += (list.empty() ? "" : ",") + std::string(name); };
#ifdef KOKKOS_ENABLE_SERIAL
  add("Serial");
#endif
#ifdef KOKKOS_ENABLE_OPENMP
  add("OpenMP");
#endif
#ifdef KOKKOS_ENABLE_THREADS
  add("Threads");
#endif
#ifdef KOKKOS_ENABLE_CUDA
  add("Cuda");
#endif
#ifdef KOKKOS_ENABLE_HIP
  add("HIP");
#endif
#ifdef KOKKOS_ENABLE_SYCL
  add("SYCL");
#endif
  return list;
}

std::string kokkosVersionString() {
  const int v = KOKKOS_VERSION;
  return std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
}

AttributeList buildAttributes() {
  return {{"cbgtc_version", CBGTC_VERSION},
          {"git_hash", CBGTC_GIT_HASH},
          {"real_type", CBGTC_STRINGIFY(CBGTC_REAL_TYPE)},
          {"kokkos_version", kokkosVersionString()},
          {"kokkos_backends", kokkosBackends()},
          {"kokkos_default_execution_space", Kokkos::DefaultExecutionSpace::name()},
          {"kokkos_kernels_version", CBGTC_KOKKOSKERNELS_VERSION},
          {"mpi_version", mpiVersion()},
          {"hdf5_version", hdf5Version()}};
}

std::string versionText() {
  std::ostringstream out;
  out << "cbgtc " << CBGTC_VERSION << " (git " << CBGTC_GIT_HASH << ")\n";
  for (const auto& [key, value] : buildAttributes())
    if (key != "cbgtc_version" && key != "git_hash") out << "  " << key << ": " << value << "\n";
#ifdef CBGTC_ENABLE_MPI
  // Whether this process is a rank of an MPI job: one started alone is not,
  // unless CBGTC_MPI=on (docs/mpi.md, "Started alone").
  int started = 0;
  MPI_Initialized(&started);
  out << "  mpi_started: " << (started != 0 ? "yes" : "no") << "\n";
#endif
  return out.str();
}

}  // namespace cbgtc::io
