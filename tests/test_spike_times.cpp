// The spike_times source (kernels/models/spike_times.hpp): the output of one
// run drives another.

#include <gtest/gtest.h>

#include <fstream>

#include "io/output_writer.hpp"
#include "src/simulation.hpp"
#include "tests/cli_helpers.hpp"
#include "tests/config_helpers.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using cbgtc::test::MemoryWriter;
using cbgtc::test::TempDir;

namespace {

SimulationConfig smallNetwork() {
  SimulationConfig c;
  c.simulation.duration_ms = 300;
  cbgtc::test::setSizes(c, 20, 30, 25);
  return c;
}

MemoryWriter run(const SimulationConfig& c) {
  MemoryWriter w;
  Simulation sim(c);
  sim.run(&w);
  return w;
}

/// The spikes of `w` written to a CSV spike file (every build has it).
void writeCsv(const MemoryWriter& w, const std::string& path) {
  auto out = io::makeCsvOutput(path, true);
  for (const auto& [pop, spikes] : w.spikes) {
    out->addSpikePopulation(pop);
    std::vector<double> t;
    std::vector<std::uint64_t> ids;
    for (const auto& [ms, id] : spikes) {
      t.push_back(ms);
      ids.push_back(id);
    }
    out->appendSpikes(pop, t, ids);
  }
  out->finalize(300);
}

PopulationSettings replay(const std::string& file, const std::string& population, std::int64_t n) {
  PopulationSettings p = PopulationSettings::of("REPLAY", "spike_times", n);
  p.spike_file = file;
  p.spike_population = population;
  return p;
}

}  // namespace

// A run's STN spikes, replayed: the same spikes, to the bit; and replayed
// into a copy of the network in place of its STN's output, they drive GPe.
TEST(SpikeTimes, ReplaysTheSpikesOfAnotherRun) {
  TempDir dir;
  const SimulationConfig a = smallNetwork();
  const MemoryWriter first = run(a);
  const std::string file = (dir / "a.csv").string();
  writeCsv(first, file);
  ASSERT_FALSE(first.spikes.at("STN").empty());

  SimulationConfig b = smallNetwork();
  b.populations.push_back(replay(file, "STN", 20));
  // GPe hears the replayed STN instead of its own.
  for (auto& pr : b.projections)
    if (pr.name == "stn_gpe") pr.source = "REPLAY";
  const MemoryWriter second = run(b);
  EXPECT_EQ(second.spikes.at("REPLAY"), first.spikes.at("STN"));
  // stn_gpe's synapses are keyed by its name and sizes, so the replayed
  // spikes reach GPe through the same synapses as the STN's did: the whole
  // network is unchanged.
  EXPECT_EQ(second.spikes.at("GPe"), first.spikes.at("GPe"));
  EXPECT_EQ(second.spikes.at("STN"), first.spikes.at("STN"));
}

// Times are rounded to the nearest step; repeats within a step are one
// spike; times beyond the run are dropped.
TEST(SpikeTimes, RoundsToStepsAndDropsWhatIsOutside) {
  TempDir dir;
  const std::string file = (dir / "in.csv").string();
  {
    std::ofstream out(file);
    out << "# comment\ntimestamps population node_ids\n"
        << "1.01 X 0\n1.0 X 0\n5 X 1\n5.0124 X 1\n250 X 2\n7 Y 0\n";
  }
  SimulationConfig c;
  c.simulation.duration_ms = 100;
  c.projections.clear();
  c.populations = {replay(file, "X", 3)};
  const auto spikes = run(c).spikes.at("REPLAY");
  // 1.01 ms rounds to step 40 (1.0 ms) like 1.0: one spike; 5.0124 to 5.0.
  ASSERT_EQ(spikes.size(), 2u);
  EXPECT_DOUBLE_EQ(spikes[0].first, 1.0);
  EXPECT_EQ(spikes[0].second, 0u);
  EXPECT_DOUBLE_EQ(spikes[1].first, 5.0);
  EXPECT_EQ(spikes[1].second, 1u);
}

TEST(SpikeTimes, BadFilesNameTheKey) {
  TempDir dir;
  const auto refused = [&](const std::string& text, std::int64_t n) {
    const std::string file = (dir / "bad.csv").string();
    if (!text.empty()) {
      std::ofstream out(file);
      out << text;
    }
    SimulationConfig c;
    c.simulation.duration_ms = 10;
    c.projections.clear();
    c.populations = {replay(text.empty() ? (dir / "missing.csv").string() : file, "X", n)};
    try {
      Simulation sim(c);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_NE(refused("", 3).find("population.REPLAY.spike_file: cannot open"), std::string::npos) << refused("", 3);
  EXPECT_NE(refused("timestamps population node_ids\n1 X 7\n", 3).find("node id 7"), std::string::npos);
  EXPECT_NE(refused("timestamps population node_ids\n-1 X 0\n", 3).find("-1"), std::string::npos);
  EXPECT_NE(refused("time pop id\n", 3).find("header"), std::string::npos);
  SimulationConfig c;
  c.populations = {replay("", "X", 3)};
  c.projections.clear();
  EXPECT_THROW(checkConsistency(c), ConfigError);
}
