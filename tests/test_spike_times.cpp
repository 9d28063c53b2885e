// The spike_times source (kernels/models/spike_times.hpp): the output of one
// run drives another.

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#ifdef CBGTC_ENABLE_HDF5
#include <hdf5.h>
#endif

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
// spike; times beyond the run are dropped, however far (1e300 ms is
// beyond any 64-bit step count).
TEST(SpikeTimes, RoundsToStepsAndDropsWhatIsOutside) {
  TempDir dir;
  const std::string file = (dir / "in.csv").string();
  {
    std::ofstream out(file);
    out << "# comment\ntimestamps population node_ids\n"
        << "1.01 X 0\n1.0 X 0\n5 X 1\n5.0124 X 1\n250 X 2\n7 Y 0\n1e300 X 2\n1e18 X 0\n";
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
  EXPECT_NE(refused("timestamps population node_ids\n1 X 0 extra\n", 3).find("line 2"), std::string::npos);
  EXPECT_NE(refused("# only a comment\n", 3).find("no header"), std::string::npos);
  // A population the file does not hold (a misspelt or missing
  // spike_population) is refused, as it would replay nothing, silently; a
  // population of cbgtc's own CSV output without spikes is named by its
  // metrics comments.
  const std::string other = refused("timestamps population node_ids\n1 S 0\n2 T 0\n", 3);
  EXPECT_NE(other.find("population.REPLAY.spike_file"), std::string::npos) << other;
  EXPECT_NE(other.find("has no population X (it has S, T)"), std::string::npos) << other;
  EXPECT_NE(refused("timestamps population node_ids\n", 3).find("no population X (nor any spike)"),
            std::string::npos);
  EXPECT_EQ(refused("timestamps population node_ids\n1 S 0\n# /metrics/X/rate_hz = 0\n", 3), "accepted");
  // A directory is no file of spikes (it would replay none).
  SimulationConfig from_directory;
  from_directory.simulation.duration_ms = 10;
  from_directory.projections.clear();
  from_directory.populations = {replay(dir.path().string(), "X", 3)};
  try {
    Simulation sim(from_directory);
    ADD_FAILURE() << "a directory was read as a spike file";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
  }
  SimulationConfig c;
  c.populations = {replay("", "X", 3)};
  c.projections.clear();
  EXPECT_THROW(checkConsistency(c), ConfigError);
}

#ifdef CBGTC_ENABLE_HDF5
namespace {

/// A SONATA spike file of population X with two spikes: `times` (ms, or in
/// `units` when given) of the node ids `ids`, of HDF5 type `id_type`.
void writeTwoSpikes(const std::string& file, const double (&times)[2], hid_t id_type, const void* ids,
                    const char* units = nullptr) {
  const hid_t f = H5Fcreate(file.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t spikes = H5Gcreate2(f, "/spikes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const hid_t group = H5Gcreate2(f, "/spikes/X", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const hsize_t n = 2;
  const hid_t space = H5Screate_simple(1, &n, nullptr);
  const hid_t t =
      H5Dcreate2(group, "timestamps", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(t, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, times);
  if (units) {
    const hid_t text = H5Tcopy(H5T_C_S1);
    H5Tset_size(text, std::strlen(units));
    const hid_t scalar = H5Screate(H5S_SCALAR);
    const hid_t a = H5Acreate2(t, "units", text, scalar, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, text, units);
    H5Aclose(a);
    H5Sclose(scalar);
    H5Tclose(text);
  }
  const hid_t d = H5Dcreate2(group, "node_ids", id_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(d, id_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids);
  for (const hid_t id : {d, t}) H5Dclose(id);
  H5Sclose(space);
  for (const hid_t id : {group, spikes}) H5Gclose(id);
  H5Fclose(f);
}

}  // namespace

// SONATA node ids are unsigned integers: a signed dataset's negative id and
// a floating-point dataset are refused naming the dataset, not converted
// (−1 would replay as node 0, 1.7 as node 1).
TEST(SpikeTimes, Hdf5NodeIdsMustBeNonNegativeIntegers) {
  TempDir dir;
  // The file holds population X; `population` is the one read.
  const auto refusal = [&](hid_t type, const void* ids, const std::string& population = "X") {
    const std::string file = (dir / "ids.h5").string();
    writeTwoSpikes(file, {1.0, 2.0}, type, ids);
    SimulationConfig c;
    c.simulation.duration_ms = 10;
    c.projections.clear();
    c.populations = {replay(file, population, 3)};
    try {
      Simulation sim(c);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::int64_t negative[2] = {-1, 2};
  const double fractional[2] = {1.7, 2.2};
  const std::int64_t good[2] = {0, 2};
  EXPECT_NE(refusal(H5T_NATIVE_INT64, negative).find("negative node id -1"), std::string::npos);
  EXPECT_NE(refusal(H5T_NATIVE_DOUBLE, fractional).find("no integers"), std::string::npos);
  EXPECT_EQ(refusal(H5T_NATIVE_INT64, good), "accepted");
  // A population the file lacks is named with those it has, as in a CSV file.
  EXPECT_NE(refusal(H5T_NATIVE_INT64, good, "Y").find("has no population Y under /spikes (it has X)"),
            std::string::npos);
}

// SONATA's timestamps carry their units: seconds are read as seconds (read
// as ms, a file in s would replay all in step 0), others are refused, named.
TEST(SpikeTimes, Hdf5TimestampsInSecondsAreConverted) {
  TempDir dir;
  const auto replayed = [&](const char* units, double scale) -> std::string {
    const std::string file = (dir / "units.h5").string();
    const std::uint64_t ids[2] = {0, 1};
    writeTwoSpikes(file, {2.0 * scale, 5.0 * scale}, H5T_NATIVE_UINT64, ids, units);
    SimulationConfig c;
    c.simulation.duration_ms = 10;
    c.projections.clear();
    c.populations = {replay(file, "X", 3)};
    try {
      MemoryWriter w;
      Simulation sim(c);
      sim.run(&w);
      std::string out;
      for (const auto& [time, id] : w.spikes.at("REPLAY"))
        out += std::to_string(time) + "/" + std::to_string(id) + " ";
      return out;
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
  };
  const std::string in_ms = replayed("ms", 1.0);
  EXPECT_EQ(in_ms, "2.000000/0 5.000000/1 ");
  EXPECT_EQ(replayed("s", 1e-3), in_ms);
  EXPECT_NE(replayed("us", 1e3).find("has units 'us'"), std::string::npos);
}
#endif
