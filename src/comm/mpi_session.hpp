#pragma once
// MPI_Init on construction, MPI_Finalize on destruction; nothing in builds
// without MPI. Every main (program, tests, benchmarks) opens one before
// Kokkos, so the two are torn down in reverse order.

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <string>

#ifdef CBGTC_ENABLE_MPI
#include <mpi.h>
#endif

namespace cbgtc::comm {

/// Variables every rank of a launched job has (mpiexec, mpirun, srun, aprun,
/// jsrun, ...: each launcher leaves some of its own), and a process started
/// alone lacks. One that a user sets by hand only costs the lone process
/// MPI's start; a launched rank taken for a lone one would run the whole
/// network, so the list errs towards launched.
inline constexpr const char* launcher_variables[] = {
    "OMPI_COMM_WORLD_SIZE",  // Open MPI's mpirun, and its ranks under srun or jsrun
    "PMIX_RANK",             // PMIx launchers (prterun, srun --mpi=pmix)
    "PMI_RANK",              // MPICH's hydra, Intel MPI, MVAPICH, Cray PMI, srun --mpi=pmi2, Flux
    "PMI_SIZE",              //
    "PMI_FD",                //
    "PMI_ID",                //
    "MPI_LOCALNRANKS",       // hydra
    "MPI_LOCALRANKID",       //
    "MV2_COMM_WORLD_SIZE",   // MVAPICH's mpirun_rsh
    "MPIRUN_RANK",           //
    "MPI_RANKID",            // Platform (HP) MPI
    "ALPS_APP_PE",           // Cray aprun
    "PALS_RANKID",           // Cray PALS
    "SLURM_STEP_ID",         // a Slurm job's steps (srun, whatever its --mpi) and batch script
    "SLURM_PROCID",          //
    "FLUX_TASK_RANK",        // Flux
    "JSM_NAMESPACE_RANK"     // IBM jsrun
};

/// Whether a launcher started this process as a rank of a job.
/// `variable`: a name's value, or null (std::getenv).
template <class Lookup>
bool launcherStarted(const Lookup& variable) {
  for (const char* name : launcher_variables)
    if (variable(name) != nullptr) return true;
  return false;
}

/// CBGTC_MPI: on initialises MPI in a process started alone all the same (a
/// launcher not in launcher_variables), off never (a process that inherited
/// a rank's variables but is not one of its job's ranks), auto or unset lets
/// the launcher's variables decide. Throws std::invalid_argument for another.
template <class Lookup>
std::optional<bool> mpiRequested(const Lookup& variable) {
  const char* value = variable("CBGTC_MPI");
  if (value == nullptr || *value == '\0' || std::string(value) == "auto") return std::nullopt;
  if (std::string(value) == "on") return true;
  if (std::string(value) == "off") return false;
  throw std::invalid_argument("CBGTC_MPI is '" + std::string(value) + "': on, off or auto (the default)");
}

/// Whether to initialise MPI. A process started alone is the one rank of a
/// build without MPI, with the same results bit for bit, and does not: Open
/// MPI starts a daemon for a lone process (some 0.4 s, more than the default
/// network's second of model time takes). Throws as mpiRequested.
template <class Lookup>
bool startedAsMpiRank(const Lookup& variable) {
  return mpiRequested(variable).value_or(launcherStarted(variable));
}

/// startedAsMpiRank of this process's environment, or, for a CBGTC_MPI it
/// does not take, one line on stderr and exit status 2 (test and benchmark
/// programs; cbgtc itself has rank 0 alone say it).
inline bool startedAsMpiRankOrExit(const char* program) {
  try {
    return startedAsMpiRank(std::getenv);
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "%s: error: %s\n", program, e.what());
    std::exit(2);
  }
}

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
