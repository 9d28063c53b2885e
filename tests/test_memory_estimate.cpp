// The memory a run will need, estimated before anything is allocated.

#include <gtest/gtest.h>

#include "src/memory_estimate.hpp"
#include "src/simulation.hpp"
#include "tests/config_helpers.hpp"

using namespace cbgtc;

namespace {

std::int64_t total(const std::vector<MemoryItem>& items, const std::string& containing) {
  std::int64_t sum = 0;
  for (const auto& item : items)
    if (item.what.find(containing) != std::string::npos) sum += item.bytes;
  return sum;
}

std::string refusal(const SimulationConfig& c, int ranks = 1) {
  try {
    checkMemory(c, ranks);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

// The synapse estimate brackets what construction allocates: the stored
// synapses, and at most the two forms that exist during construction.
TEST(MemoryEstimate, SynapsesBracketTheAllocation) {
  SimulationConfig c;
  test::setSizes(c, 1000, 2000, 1500);
  c.simulation.duration_ms = 10;
  const std::int64_t estimate = total(estimateMemory(c, 1), "synapses of");
  Simulation sim(c);
  const auto actual = static_cast<std::int64_t>(sim.synapseBytes());
  EXPECT_GE(estimate, actual);
  EXPECT_LE(estimate, 2.2 * actual);
}

// Ranks share the neurons and their synapses.
TEST(MemoryEstimate, RanksShareTheNetwork) {
  SimulationConfig c;
  test::setSizes(c, 1000, 2000, 1500);
  const auto one = total(estimateMemory(c, 1), "synapses of");
  const auto four = total(estimateMemory(c, 4), "synapses of");
  EXPECT_NEAR(static_cast<double>(four), one / 4.0, 0.05 * one);
}

TEST(MemoryEstimate, AHugePopulationIsRefusedNamingItsKey) {
  SimulationConfig c;
  test::population(c, "GPe").n = 2000000000;
  const std::string message = refusal(c);
  EXPECT_NE(message.find("population.GPe.n"), std::string::npos) << message;
  EXPECT_NE(message.find("available"), std::string::npos) << message;
}

// The LFP proxy grows with the duration; a duration whose LFP does not fit
// is refused before anything is allocated.
TEST(MemoryEstimate, AHugeDurationIsRefusedNamingItsKey) {
  SimulationConfig c;
  c.simulation.duration_ms = 1e12;
  const std::string message = refusal(c);
  EXPECT_NE(message.find("simulation.duration_ms"), std::string::npos) << message;
}

TEST(MemoryEstimate, TheDefaultNetworkFits) {
  const SimulationConfig c;
  EXPECT_EQ(refusal(c), "");
  EXPECT_GT(hostMemoryAvailable(), 0);
}
