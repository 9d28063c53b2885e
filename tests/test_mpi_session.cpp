// Whether a process is a rank of a launched job (src/comm/mpi_session.hpp):
// the variables launchers set, names like them, and CBGTC_MPI.

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

#include "src/comm/mpi_session.hpp"

namespace {

using Environment = std::map<std::string, std::string>;

/// A lookup of `environment`, as std::getenv of a process with it.
auto lookup(const Environment& environment) {
  return [&environment](const char* name) -> const char* {
    const auto it = environment.find(name);
    return it == environment.end() ? nullptr : it->second.c_str();
  };
}

bool started(const Environment& environment) { return cbgtc::comm::startedAsMpiRank(lookup(environment)); }

}  // namespace

TEST(MpiStart, AProcessWithoutALaunchersVariablesIsAlone) {
  EXPECT_FALSE(started({}));
  // What users and the tests set for Open MPI, and names like a launcher's.
  EXPECT_FALSE(started({{"PATH", "/usr/bin"},
                        {"HOME", "/root"},
                        {"OMPI_ALLOW_RUN_AS_ROOT", "1"},
                        {"OMPI_MCA_btl", "self"},
                        {"PMI_RANKING", "0"},
                        {"SLURM_JOB_ID", "7"},
                        {"CBGTC_MPIX", "on"},
                        {"XPMI_RANK", "0"}}));
}

TEST(MpiStart, EachLaunchersVariableMakesARank) {
  for (const std::string variable :
       {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "PMI_FD", "PMI_ID", "MPI_LOCALNRANKS",
        "MPI_LOCALRANKID", "MV2_COMM_WORLD_SIZE", "MPIRUN_RANK", "MPI_RANKID", "ALPS_APP_PE", "PALS_RANKID",
        "SLURM_STEP_ID", "SLURM_PROCID", "FLUX_TASK_RANK", "JSM_NAMESPACE_RANK"}) {
    EXPECT_TRUE(started({{"PATH", "/usr/bin"}, {variable, "0"}})) << variable;
    EXPECT_TRUE(started({{variable, ""}})) << variable << " set empty";
    EXPECT_TRUE(started({{variable, "2"}, {"CBGTC_MPI", "auto"}})) << variable;
    EXPECT_FALSE(started({{variable, "2"}, {"CBGTC_MPI", "off"}})) << variable;
  }
  EXPECT_EQ(std::size(cbgtc::comm::launcher_variables), 17u);
}

TEST(MpiStart, CbgtcMpiOnOrOffDecidesAndAutoLeavesItToTheLauncher) {
  EXPECT_TRUE(started({{"CBGTC_MPI", "on"}}));
  EXPECT_TRUE(started({{"CBGTC_MPI", "on"}, {"PMI_RANK", "0"}}));
  EXPECT_FALSE(started({{"CBGTC_MPI", "off"}}));
  EXPECT_FALSE(started({{"CBGTC_MPI", "auto"}}));
  EXPECT_FALSE(started({{"CBGTC_MPI", ""}}));
  for (const std::string value : {"ON", "1", "yes", "true", "auto "}) {
    const Environment environment = {{"PMI_RANK", "0"}, {"CBGTC_MPI", value}};
    try {
      started(environment);
      ADD_FAILURE() << value << " taken";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()), "CBGTC_MPI is '" + value + "': on, off or auto (the default)");
    }
    // The launcher's variables are read apart: cbgtc starts MPI to have
    // rank 0 alone refuse the value.
    EXPECT_TRUE(cbgtc::comm::launcherStarted(lookup(environment))) << value;
  }
}
