#pragma once
// MPI_Init on construction, MPI_Finalize on destruction; nothing in builds
// without MPI. Every main (program, tests, benchmarks) opens one before
// Kokkos, so the two are torn down in reverse order.

#include <cstdlib>
#include <stdexcept>
#include <string>

#ifdef CBGTC_ENABLE_MPI
#include <mpi.h>
#endif

namespace cbgtc::comm {

/// Whether a launcher (mpiexec, mpirun, srun, aprun, jsrun, ...) started this
/// process as a rank of a job: each leaves variables of its own in its ranks'
/// environment. `variable`: a name's value, or null (std::getenv).
template <class Lookup>
bool launcherStarted(const Lookup& variable) {
  // Variables every rank of a launched job has, and a process started alone
  // lacks. One that a user sets by hand only costs the lone process MPI's
  // start; a launched rank taken for a lone one would run the whole network.
  for (const char* name : {
           "OMPI_COMM_WORLD_SIZE",  // Open MPI's mpirun, and its ranks under srun or jsrun
           "PMIX_RANK",             // PMIx launchers (prterun, srun --mpi=pmix)
           "PMI_RANK",              // MPICH's hydra, Intel MPI, MVAPICH, Cray PMI, srun --mpi=pmi2
           "PMI_SIZE",              //
           "PMI_FD",                //
           "MPI_LOCALNRANKS",       // hydra
           "MV2_COMM_WORLD_SIZE",   // MVAPICH's mpirun_rsh
           "MPIRUN_RANK",           //
           "ALPS_APP_PE",           // Cray aprun
           "PALS_RANKID",           // Cray PALS
           "SLURM_STEP_ID",         // any step of a Slurm job (srun, whatever its --mpi)
           "SLURM_PROCID",          //
           "JSM_NAMESPACE_RANK"     // IBM jsrun
       })
    if (variable(name) != nullptr) return true;
  return false;
}

/// CBGTC_MPI=on: initialise MPI in a process started alone all the same (a
/// launcher not named in launcherStarted); auto, or unset, lets it decide.
/// Throws std::invalid_argument for another value.
template <class Lookup>
bool mpiRequested(const Lookup& variable) {
  const char* value = variable("CBGTC_MPI");
  if (value == nullptr || *value == '\0' || std::string(value) == "auto") return false;
  if (std::string(value) == "on") return true;
  throw std::invalid_argument("CBGTC_MPI is '" + std::string(value) +
                              "': on (initialise MPI in a process started alone) or auto (the default)");
}

/// Whether to initialise MPI. A process started alone is the one rank of a
/// build without MPI, with the same results bit for bit, and does not: Open
/// MPI starts a daemon for a lone process (some 0.4 s, longer than the
/// default network's second of model time). Throws as mpiRequested.
template <class Lookup>
bool startedAsMpiRank(const Lookup& variable) {
  return mpiRequested(variable) || launcherStarted(variable);
}

inline bool startedAsMpiRank() { return startedAsMpiRank(std::getenv); }

class MpiSession {
 public:
  /// enabled = false: do not initialise (a process started alone, or one that
  /// launches mpiexec itself, which must not be an MPI process).
  MpiSession(int& argc, char**& argv, bool enabled) : _active(enabled) {
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
