#pragma once
// Provenance: what was built, with what, and how it runs.

#include <string>

#include "io/output_writer.hpp"

namespace cbgtc::io {

/// Multi-line text of --version: cbgtc version and git hash, real type,
/// Kokkos version and backends, Kokkos Kernels, MPI and HDF5 versions.
std::string versionText();

/// The same facts as attributes for the output file.
AttributeList buildAttributes();

/// Enabled Kokkos backends, e.g. "Serial,OpenMP".
std::string kokkosBackends();

}  // namespace cbgtc::io
