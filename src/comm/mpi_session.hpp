#pragma once
// MPI_Init on construction, MPI_Finalize on destruction; nothing in builds
// without MPI. Every main (program, tests, benchmarks) opens one before
// Kokkos, so the two are torn down in reverse order.

#ifdef CBGTC_ENABLE_MPI
#include <mpi.h>
#endif

namespace cbgtc::comm {

class MpiSession {
 public:
  /// enabled = false: do not initialise (a process that launches mpiexec
  /// itself must not be an MPI process).
  MpiSession(int& argc, char**& argv, bool enabled = true) : _active(enabled) {
#ifdef CBGTC_ENABLE_MPI
    if (_active) MPI_Init(&argc, &argv);
#else
    (void)argc;
    (void)argv;
#endif
  }
  ~MpiSession() {
#ifdef CBGTC_ENABLE_MPI
    if (_active) MPI_Finalize();
#endif
  }
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

 private:
  bool _active;
};

}  // namespace cbgtc::comm
