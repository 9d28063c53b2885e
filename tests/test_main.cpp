// Test main: MPI (when built with it and started by mpiexec), then Kokkos,
// then GoogleTest; torn down in reverse. Tests that launch mpiexec themselves are built with
// CBGTC_TEST_WITHOUT_MPI_INIT: a process inside an MPI job cannot start
// another one.

#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>

#include "src/comm/mpi_session.hpp"

int main(int argc, char* argv[]) {
#ifdef CBGTC_TEST_WITHOUT_MPI_INIT
  cbgtc::comm::MpiSession mpi(argc, argv, false);
#else
  cbgtc::comm::MpiSession mpi(argc, argv, cbgtc::comm::startedAsMpiRankOrExit(argv[0]));
#endif
  Kokkos::ScopeGuard kokkos(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
