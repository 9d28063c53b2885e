// Test main: MPI (when built with it), then Kokkos, then GoogleTest; torn
// down in reverse. Tests that launch mpiexec themselves are built with
// CBGTC_TEST_WITHOUT_MPI_INIT: a process inside an MPI job cannot start
// another one.

#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>

#if defined(CBGTC_ENABLE_MPI) && !defined(CBGTC_TEST_WITHOUT_MPI_INIT)
#define CBGTC_TEST_MPI_INIT
#include <mpi.h>
#endif

int main(int argc, char* argv[]) {
#ifdef CBGTC_TEST_MPI_INIT
  MPI_Init(&argc, &argv);
#endif
  int rc = 0;
  {
    Kokkos::ScopeGuard kokkos(argc, argv);
    ::testing::InitGoogleTest(&argc, argv);
    rc = RUN_ALL_TESTS();
  }
#ifdef CBGTC_TEST_MPI_INIT
  MPI_Finalize();
#endif
  return rc;
}
