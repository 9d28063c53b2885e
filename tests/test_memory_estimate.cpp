// The memory a run will need, estimated before anything is allocated.

#include <gtest/gtest.h>

#include <atomic>

#include "src/memory_estimate.hpp"
#include "src/projection.hpp"
#include "src/simulation.hpp"
#include "tests/config_helpers.hpp"

using namespace cbgtc;

namespace {

double total(const std::vector<MemoryItem>& items, const std::string& containing) {
  double sum = 0;
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
  const double estimate = total(estimateMemory(c, 1), "synapses of");
  Simulation sim(c);
  const auto actual = static_cast<std::int64_t>(sim.synapseBytes());
  EXPECT_GE(estimate, static_cast<double>(actual));
  EXPECT_LE(estimate, 2.2 * actual);
}

// The rings' estimate is what construction allocates: a slot per step of
// the longest delay and one more, a conductance per target, and a stamp
// per slot where the projection has one delay (no jitter).
TEST(MemoryEstimate, RingsAreWhatIsAllocated) {
  for (const double jitter_ms : {0.0, 1.0}) {
    SimulationConfig c;
    test::setSizes(c, 100, 200, 150);
    c.simulation.duration_ms = 10;
    c.projections[1].delay_jitter_ms = jitter_ms;
    const double estimate = total(estimateMemory(c, 1), "arrival ring of");
    Simulation sim(c);
    EXPECT_EQ(estimate, static_cast<double>(sim.arrivalBytes())) << "jitter " << jitter_ms << " ms";
  }
}

// Ranks share the neurons and their synapses.
TEST(MemoryEstimate, RanksShareTheNetwork) {
  SimulationConfig c;
  test::setSizes(c, 1000, 2000, 1500);
  const auto one = total(estimateMemory(c, 1), "synapses of");
  const auto four = total(estimateMemory(c, 4), "synapses of");
  EXPECT_NEAR(four, one / 4.0, 0.05 * one);
}

// A source's rate fluctuation is a table of one value per step, computed
// for the run (Poisson::stepTable): counted at its length, which is the
// table's; a source without one reads a single value, not counted.
TEST(MemoryEstimate, StepTablesAreCountedAtTheirLength) {
  SimulationConfig c;
  c.populations.push_back(PopulationSettings::of("SRC", "poisson", 10));
  c.simulation.duration_ms = 250;
  auto& source = std::get<models::Poisson::Settings>(c.populations.back().params);
  EXPECT_EQ(total(estimateMemory(c, 1), "step table of SRC"), 0);
  source.params.rate_fluctuation = 0.2;
  const std::int64_t steps = c.stepCount();
  EXPECT_EQ(total(estimateMemory(c, 2), "step table of SRC"), 8.0 * static_cast<double>(steps));
  const auto table = models::Poisson::stepTable(source, c.simulation.dt_ms, PopulationStreams{1, 2}, steps);
  EXPECT_EQ(static_cast<std::int64_t>(table.size()), steps);
  source.params.rate_fluctuation = 0;
  EXPECT_EQ(models::Poisson::stepTable(source, c.simulation.dt_ms, PopulationStreams{1, 2}, steps).size(),
            static_cast<std::size_t>(models::Poisson::stepTableLength(source, steps)));
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

// Construction asks whether to stop between chunks of targets, and stops
// at the first yes.
TEST(Construction, StopsBetweenChunksWhenAsked) {
  ProjectionSettings s;
  s.name = "big";
  s.p = 1.0;
  ProjectionShape shape;
  shape.n_pre = 10000;
  shape.n_post = 5000;  // chunks of 2^24 / 10^4 = 1677 targets: three per pass
  int asked = 0;
  buildConnectivity(s, shape, 1, 7, 0.025, [&] { return ++asked >= 1; });
  EXPECT_EQ(asked, 1);
  asked = 0;
  const Connectivity whole = buildConnectivity(s, shape, 1, 7, 0.025, [&] {
    ++asked;
    return false;
  });
  EXPECT_EQ(asked, 9);  // count, sources and weights, three chunks each
  EXPECT_EQ(whole.synapseCount(), std::int64_t(10000) * 5000);
}

// A stop requested before or during construction ends it on every rank.
TEST(Construction, AStopRequestThrowsInterrupted) {
  SimulationConfig c;
  std::atomic<bool> stop{true};
  comm::LocalCommunicator local;
  EXPECT_THROW(Simulation(c, local, &stop), Interrupted);
  stop = false;
  EXPECT_NO_THROW(Simulation(c, local, &stop));
}

// Sizes whose synapses pass 2^63 bytes are refused naming them: the
// estimate does not wrap to a negative total that any machine holds.
TEST(MemoryEstimate, SizesBeyondInt64BytesAreRefused) {
  SimulationConfig c;
  test::setSizes(c, 2000000000, 2000000000, 150);
  const double synapses = total(estimateMemory(c, 1), "synapses of projection.stn_gpe");
  EXPECT_GT(synapses, 9.3e18);
  EXPECT_NE(refusal(c).find("synapses of projection.stn_gpe"), std::string::npos) << refusal(c);
}
