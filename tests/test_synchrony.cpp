// Spike bursts and voltage synchrony (docs/model.md §7.8): the burst count
// on a hand-made spike train, the Poisson-surprise bursts of the neurons a
// run keeps against those of their written spikes, and Golomb's χ at its
// two analytic limits, identical neurons (χ = 1) and independent ones
// (χ ≈ 1/√N).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <vector>

#include "memory_writer.hpp"
#include "src/analysis/spike_stats.hpp"
#include "src/simulation.hpp"
#include "tests/config_helpers.hpp"

namespace cbgtc {
namespace {

// dt = 1 ms, so steps are times in ms.
std::int64_t spikesInBursts(const std::vector<step_type>& steps, step_type burn_in, double isi_ms, int min_spikes) {
  DeviceArena<Kokkos::HostSpace> arena;
  SpikeStatistics<Kokkos::HostSpace> stats(arena, "burst_test", 1, burn_in, 1.0, isi_ms, min_spikes);
  for (const step_type k : steps) stats.record(0, k);
  return stats.in_burst(0);
}

TEST(SpikeBursts, RunsOfShortIntervalsWithEnoughSpikesAreCounted) {
  // Bursts: {0, 5, 10} (an interval of exactly 10 ms counts) and
  // {300, 302, 304, 306}; {200, 205} is too short; 100, 400 and 420 are alone.
  const std::vector<step_type> train{0, 5, 10, 100, 200, 205, 300, 302, 304, 306, 400, 420};
  EXPECT_EQ(spikesInBursts(train, 0, 10.0, 3), 7);
  EXPECT_EQ(spikesInBursts(train, 0, 10.0, 2), 9);
  EXPECT_EQ(spikesInBursts(train, 0, 10.0, 4), 4);
  EXPECT_EQ(spikesInBursts(train, 0, 4.9, 3), 4);
  EXPECT_EQ(spikesInBursts(train, 0, 20.0, 3), 7);  // {400, 420} is a pair
  // Spikes before the burn-in neither count nor start a run: {5, 10} after
  // a burn-in of 3 steps is a pair.
  EXPECT_EQ(spikesInBursts(train, 3, 10.0, 3), 4);
}

// The trains kept on the device are the kept neurons' spikes: the surprise
// fraction of the written spikes of the same neurons is the run's, for a
// source firing bursts and for the default network's cells.
TEST(SurpriseBursts, TheRunsFractionIsThatOfItsKeptNeuronsWrittenSpikes) {
  SimulationConfig c;
  c.simulation.duration_ms = 1500;
  c.analysis.burn_in_ms = 200;
  c.analysis.surprise_neurons = 7;
  test::setSizes(c, 40, 60, 50);
  PopulationSettings ctx = PopulationSettings::of("CTX", "poisson", 30);
  auto& source = std::get<models::Poisson::Settings>(ctx.params).params;
  source.rate_hz = 10;
  source.burst_rate_hz = 5;
  source.spikes_per_burst = 5;
  source.intra_burst_interval_ms = 2;
  c.populations.push_back(ctx);
  Simulation sim(c);
  test::MemoryWriter written;
  const RunSummary s = sim.run(&written);
  for (const PopulationSummary& p : s.populations) {
    SCOPED_TRACE(p.name);
    std::map<std::uint64_t, std::vector<double>> trains;
    for (const auto& [t_ms, id] : written.spikes.at(p.name))
      if (analysis::surpriseSamplePosition(static_cast<std::int64_t>(id), p.size, 7) >= 0)
        trains[id].push_back(t_ms);
    double spikes = 0, in_bursts = 0;
    for (auto& [id, t] : trains) {
      std::sort(t.begin(), t.end());
      const analysis::SurpriseBursts b = analysis::surpriseBursts(t, 200.0, 1500.0, c.analysis.surprise_min);
      spikes += static_cast<double>(b.spikes);
      in_bursts += static_cast<double>(b.spikes_in_bursts);
    }
    ASSERT_GT(spikes, 0);
    EXPECT_DOUBLE_EQ(p.surprise_burst_fraction, in_bursts / spikes);
    if (p.name == "CTX") EXPECT_GT(p.surprise_burst_fraction, 0.2);  // bursts of 5 in 8 ms: S ≈ 4
  }
}

// A kept train holds up to 1 spike per ms of analysed time: a source
// firing faster than that has no surprise metric, not a wrong one.
TEST(SurpriseBursts, ATrainPastItsBufferGivesNaN) {
  for (const double rate_hz : {500.0, 3000.0}) {
    SimulationConfig c;
    c.simulation.duration_ms = 300;
    c.analysis.burn_in_ms = 100;
    c.populations = {PopulationSettings::of("CTX", "poisson", 5)};
    std::get<models::Poisson::Settings>(c.populations[0].params).params.rate_hz = rate_hz;
    c.projections.clear();
    Simulation sim(c);
    const double fraction = sim.run(nullptr).populations.at(0).surprise_burst_fraction;
    EXPECT_EQ(std::isnan(fraction), rate_hz > 1000.0) << rate_hz;
  }
}

SimulationConfig lifPopulation(std::int64_t n, double I_e, double V_sd, double noise_sigma, double duration_ms,
                               std::uint64_t seed) {
  SimulationConfig c;
  c.simulation.duration_ms = duration_ms;
  c.simulation.seed = seed;
  c.analysis.burn_in_ms = 200;
  c.populations = {PopulationSettings::of("L", "lif", n)};
  c.projections.clear();
  auto& s = std::get<models::Lif::Settings>(c.populations[0].params);
  s.params.I_e = static_cast<real_type>(I_e);
  s.init.V = -65;
  s.init.V_sd = static_cast<real_type>(V_sd);
  c.populations[0].noise = NoiseSettings{5.0, 0.0, noise_sigma};
  c.output.v_neurons = 0;
  return c;
}

double chiOf(const SimulationConfig& c) {
  Simulation sim(c);
  const RunSummary s = sim.run(nullptr);
  return s.populations.at(0).synchrony_chi;
}

TEST(Synchrony, IdenticalNeuronsHaveChiOne) {
  // Same start, same drive, no noise: every V trace is the same.
  EXPECT_NEAR(chiOf(lifPopulation(50, 400.0, 0.0, 0.0, 600, 1)), 1.0, 1e-9);
}

TEST(Synchrony, IndependentNeuronsHaveChiOneOverRootN) {
  // Uncoupled cells below threshold, each with its own noise: the
  // population mean of N independent, identically distributed traces has
  // 1/N of their variance, so χ = 1/√N. The estimate of that variance
  // from T samples of a trace with correlation time τ ≈ 20 ms (membrane
  // 15 ms, noise 5 ms) has relative sd ≈ √(2·2τ/T) ≈ 0.14 at T = 4 s, i.e.
  // ≈ 0.07 on χ; 0.3 is four of those.
  const std::int64_t n = 400;
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    const double chi = chiOf(lifPopulation(n, 0.0, 2.0, 100.0, 4200, seed));
    EXPECT_NEAR(chi * std::sqrt(static_cast<double>(n)), 1.0, 0.3) << "seed " << seed;
  }
}

TEST(Synchrony, SpikeSourcesHaveNoChi) {
  SimulationConfig c;
  c.simulation.duration_ms = 300;
  c.populations = {PopulationSettings::of("CTX", "poisson", 20)};
  c.projections.clear();
  Simulation sim(c);
  EXPECT_TRUE(std::isnan(sim.run(nullptr).populations.at(0).synchrony_chi));
}

}  // namespace
}  // namespace cbgtc
