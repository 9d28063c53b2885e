// Test main: MPI (when built with it), then Kokkos, then GoogleTest; torn
// down in reverse.

#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>

#ifdef CBGTC_ENABLE_MPI
#include <mpi.h>
#endif

int main(int argc, char* argv[]) {
#ifdef CBGTC_ENABLE_MPI
  MPI_Init(&argc, &argv);
#endif
  int rc = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    rc = RUN_ALL_TESTS();
  }
#ifdef CBGTC_ENABLE_MPI
  MPI_Finalize();
#endif
  return rc;
}
