// Whether a process is a rank of a launched job (src/comm/mpi_session.hpp):
// the variables launchers set, names like them, and CBGTC_MPI.

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

#include "src/comm/mpi_session.hpp"

namespace {

bool started(const std::map<std::string, std::string>& environment) {
  return cbgtc::comm::startedAsMpiRank([&](const char* name) -> const char* {
    const auto it = environment.find(name);
    return it == environment.end() ? nullptr : it->second.c_str();
  });
}

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
  for (const std::string variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "PMI_FD",
                                     "MPI_LOCALNRANKS", "MV2_COMM_WORLD_SIZE", "MPIRUN_RANK", "ALPS_APP_PE",
                                     "PALS_RANKID", "SLURM_STEP_ID", "SLURM_PROCID", "JSM_NAMESPACE_RANK"}) {
    EXPECT_TRUE(started({{"PATH", "/usr/bin"}, {variable, "0"}})) << variable;
    EXPECT_TRUE(started({{variable, ""}})) << variable << " set empty";
    EXPECT_TRUE(started({{variable, "2"}, {"CBGTC_MPI", "auto"}})) << variable;
  }
}

TEST(MpiStart, TheLaunchersVariablesAloneSayWhetherALauncherStartedIt) {
  using cbgtc::comm::launcherStarted;
  const auto lookup = [](std::map<std::string, std::string> environment) {
    return [environment](const char* name) -> const char* {
      const auto it = environment.find(name);
      return it == environment.end() ? nullptr : it->second.c_str();
    };
  };
  EXPECT_TRUE(launcherStarted(lookup({{"PMI_RANK", "1"}, {"CBGTC_MPI", "yes"}})));
  EXPECT_FALSE(launcherStarted(lookup({{"CBGTC_MPI", "on"}})));
}

TEST(MpiStart, CbgtcMpiOnStartsMpiAndAutoDecides) {
  EXPECT_TRUE(started({{"CBGTC_MPI", "on"}}));
  EXPECT_TRUE(started({{"CBGTC_MPI", "on"}, {"PMI_RANK", "0"}}));
  EXPECT_FALSE(started({{"CBGTC_MPI", "auto"}}));
  EXPECT_FALSE(started({{"CBGTC_MPI", ""}}));
  for (const std::string value : {"off", "ON", "1", "true", "auto "}) {
    try {
      started({{"PMI_RANK", "0"}, {"CBGTC_MPI", value}});
      ADD_FAILURE() << value << " taken";
    } catch (const std::invalid_argument& e) {
      EXPECT_EQ(std::string(e.what()),
                "CBGTC_MPI is '" + value +
                    "': on (initialise MPI in a process started alone) or auto (the default)");
    }
  }
}
