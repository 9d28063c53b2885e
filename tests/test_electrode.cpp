// Placement in 3D and electrode stimuli (src/placement.*, src/stimuli.*):
// positions uniform in their volume, and an electrode's reach against the
// analytic volume of the current-distance threshold.

#include <gtest/gtest.h>

#include <cmath>

#include "src/placement.hpp"
#include "src/simulation.hpp"
#include "src/stimuli.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using cbgtc::test::MemoryWriter;

namespace {

SimulationConfig placed(const std::string& shape, std::int64_t n, std::int64_t seed) {
  SimulationConfig c;
  c.simulation.seed = seed;
  c.simulation.duration_ms = 100;
  c.analysis.burn_in_ms = 0;
  c.populations = {PopulationSettings::of("AX", "lif", n)};
  c.projections.clear();
  auto& p = c.populations[0];
  p.placement = shape;
  p.center_x_um = 100;
  p.center_y_um = -200;
  p.center_z_um = 300;
  p.extent_um = 2000;
  return c;
}

StimulusSettings electrodeAt(double x, double y, double z, double current_mA) {
  StimulusSettings s;
  s.name = "dbs";
  s.kind = "axonal";
  s.population = "AX";
  s.frequency_hz = 130;
  s.electrode = true;
  s.electrode_x_um = x;
  s.electrode_y_um = y;
  s.electrode_z_um = z;
  s.current_mA = current_mA;
  return s;
}

}  // namespace

// In a sphere of radius R the share within r of the centre is (r/R)³; in a
// box every coordinate is uniform on its edge (mean at the centre).
TEST(Placement, PositionsAreUniformInTheirVolume) {
  const std::int64_t n = 20000;
  const auto sphere = placed("sphere", n, 3);
  const auto& ps = sphere.populations[0];
  double within = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const Position p = positionOf(ps, 3, i);
    const double r = std::sqrt(std::pow(p.x_um - 100, 2) + std::pow(p.y_um + 200, 2) + std::pow(p.z_um - 300, 2));
    ASSERT_LE(r, 2000 * (1 + 1e-12));
    within += r <= 1260 ? 1 : 0;
  }
  const double q = std::pow(1260.0 / 2000, 3);
  EXPECT_NEAR(within / n, q, 5 * std::sqrt(q * (1 - q) / n));
  const auto box = placed("box", n, 3);
  double mean_x = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const Position p = positionOf(box.populations[0], 3, i);
    ASSERT_GE(p.x_um, 100 - 1000.0);
    ASSERT_LE(p.z_um, 300 + 1000.0);
    mean_x += p.x_um / n;
  }
  EXPECT_NEAR(mean_x, 100, 5 * 2000 / std::sqrt(12.0 * n));
}

// An electrode at the centre of a uniform sphere (R = 2 mm) with I = 1.5 mA,
// I0 = 0.5 mA, K = 1 mA/mm² reaches r = sqrt((I − I0)/K) = 1 mm: an eighth
// of the neurons, binomially, over three seeds.
TEST(Electrode, ReachMatchesTheVolumeOfTheThresholdSphere) {
  for (const std::int64_t seed : {1, 2, 3}) {
    SimulationConfig c = placed("sphere", 20000, seed);
    StimulusSettings s = electrodeAt(100, -200, 300, 1.5);
    s.threshold_I0_mA = 0.5;
    c.stimuli = {s};
    checkConsistency(c);
    const ElectrodeReach reach = electrodeReach(s, c);
    EXPECT_DOUBLE_EQ(reach.radius_um, 1000.0);
    EXPECT_NEAR(reach.potential_mV, 1e6 * 1.5 / (4 * M_PI * 0.2 * 1000), 1e-9);
    const double q = 0.125;
    EXPECT_NEAR(reach.fraction, q, 5 * std::sqrt(q * (1 - q) / 20000)) << "seed " << seed;
    // The targets of any decomposition are those within reach.
    const auto targets = stimulusTargets(s, c, comm::Block{0, 20000});
    std::int64_t driven = 0;
    for (auto t : targets) driven += t;
    EXPECT_EQ(driven, reach.activated);
  }
}

// In a run, the electrode's axonal pulses fire exactly the neurons within
// reach, once per pulse; positions and the reach are written.
TEST(Electrode, AxonalPulsesFireTheNeuronsWithinReach) {
  SimulationConfig c = placed("box", 400, 5);
  c.stimuli = {electrodeAt(100, -200, 300, 0.3)};
  MemoryWriter w;
  {
    Simulation sim(c);
    sim.run(&w);
  }
  const ElectrodeReach reach = electrodeReach(c.stimuli[0], c);
  ASSERT_GT(reach.activated, 0);
  ASSERT_LT(reach.activated, 400);
  const int pulses = static_cast<int>(std::ceil(100 * 130 / 1000.0));
  EXPECT_EQ(w.spikes.at("AX_axonal").size(), static_cast<std::size_t>(pulses * reach.activated));
  for (const auto& [t, id] : w.spikes.at("AX_axonal")) EXPECT_TRUE(withinReach(c.stimuli[0], c, id)) << id;
  EXPECT_EQ(w.datasets.at("/positions/AX/x_um").size(), 400u);
  EXPECT_EQ(w.numbers.at("/stimuli/dbs/activated"), static_cast<double>(reach.activated));
  EXPECT_EQ(w.numbers.at("/stimuli/dbs/AX/activated"), static_cast<double>(reach.activated));
}

// The volume of tissue activated is reported for every placed population:
// two concentric spheres of radii 1 and 2 mm around the electrode, reach
// 1 mm: all of the inner one, an eighth of the outer one.
TEST(Electrode, ReachIsReportedForEveryPlacedPopulation) {
  SimulationConfig c = placed("sphere", 4000, 2);
  c.populations[0].extent_um = 2000;
  c.populations.push_back(PopulationSettings::of("IN", "lif", 500));
  auto& inner = c.populations.back();
  inner.placement = "sphere";
  inner.center_x_um = 100;
  inner.center_y_um = -200;
  inner.center_z_um = 300;
  inner.extent_um = 999;
  c.stimuli = {electrodeAt(100, -200, 300, 1.0)};
  MemoryWriter w;
  {
    Simulation sim(c);
    sim.run(&w);
  }
  EXPECT_EQ(w.numbers.at("/stimuli/dbs/IN/fraction"), 1.0);
  EXPECT_NEAR(w.numbers.at("/stimuli/dbs/AX/fraction"), 0.125, 5 * std::sqrt(0.125 * 0.875 / 4000));
  EXPECT_TRUE(w.spikes.count("IN_axonal") == 0) << "only the stimulus's population is driven";
}

TEST(Electrode, NeedsAPlacedPopulation) {
  SimulationConfig c = placed("none", 10, 1);
  c.stimuli = {electrodeAt(0, 0, 0, 1)};
  try {
    checkConsistency(c);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("population.AX.placement"), std::string::npos) << e.what();
  }
  c.populations[0].placement = "cube";
  EXPECT_THROW(checkConsistency(c), ConfigError);
}
