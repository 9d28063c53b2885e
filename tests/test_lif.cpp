// The leaky integrate-and-fire model (kernels/models/lif.hpp), a model added
// by one header and one registry line: its exact integration against the
// analytic solution, run through the whole simulation from a deck.

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "io/options.hpp"
#include "src/simulation.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using cbgtc::test::MemoryWriter;

namespace {

SimulationConfig oneLifCell(double I_e) {
  SimulationConfig c;
  PopulationSettings cell = PopulationSettings::of("L", "lif", 1);
  auto& s = std::get<models::Lif::Settings>(cell.params);
  s.params.I_e = static_cast<real_type>(I_e);
  c.populations = {cell};
  c.projections.clear();
  c.simulation.duration_ms = 1000;
  c.analysis.burn_in_ms = 0;
  return c;
}

}  // namespace

// With a constant current the membrane reaches V_th from V_reset after
// n = ceil(tau/dt · ln((V_inf − V_reset)/(V_inf − V_th))) steps, then is
// held for the refractory steps: spikes at steps n − 1 + j·(R + n), exactly.
TEST(Lif, ConstantCurrentFiresAtTheAnalyticInterval) {
  for (const double I_e : {260.0, 300.0, 500.0}) {
    const SimulationConfig c = oneLifCell(I_e);
    const lif::LifParams p;
    const double dt = c.simulation.dt_ms, tau = p.C_m / p.g_L;
    const double V_inf = p.E_L + I_e / p.g_L;
    const double steps = tau / dt * std::log((V_inf - p.V_reset) / (V_inf - p.V_th));
    ASSERT_GT(std::fabs(steps - std::round(steps)), 0.01) << "too close to a step boundary to be exact";
    const auto n = static_cast<std::int64_t>(std::ceil(steps));
    const std::int64_t R = stepsOf(p.t_ref_ms, dt);
    MemoryWriter w;
    Simulation sim(c);
    sim.run(&w);
    const auto& spikes = w.spikes.at("L");
    const std::int64_t total = c.stepCount();
    ASSERT_EQ(static_cast<std::int64_t>(spikes.size()), (total - n) / (R + n) + 1) << I_e;
    for (std::size_t j = 0; j < spikes.size(); ++j)
      ASSERT_NEAR(spikes[j].first, static_cast<double>(n - 1 + static_cast<std::int64_t>(j) * (R + n)) * dt, 1e-9)
          << I_e << " spike " << j;
  }
}

// Below rheobase (V_inf < V_th) the cell never fires.
TEST(Lif, SubthresholdCurrentNeverFires) {
  const lif::LifParams p;
  const double rheobase = p.g_L * (p.V_th - p.E_L);
  MemoryWriter w;
  Simulation sim(oneLifCell(0.99 * rheobase));
  sim.run(&w);
  EXPECT_TRUE(w.spikes.at("L").empty());
}

// The demonstration deck: a LIF population drives the STN of the default
// network, which then fires more than without it.
TEST(Lif, DemoDeckDrivesTheStn) {
  const std::string deck = std::string(CBGTC_SOURCE_DIR) + "/input/lif_demo.ini";
  const char* argv[] = {"cbgtc", "--config", deck.c_str()};
  SimulationConfig c = io::parseCommandLine(3, argv).config;
  c.simulation.duration_ms = 500;
  ASSERT_EQ(c.populations.size(), 4u);
  ASSERT_EQ(c.population("CTX")->model, "lif");
  auto rates = [](const SimulationConfig& config) {
    Simulation sim(config);
    return sim.run(nullptr).populations;
  };
  for (const std::int64_t seed : {1, 2, 3}) {
    c.simulation.seed = seed;
    const auto with = rates(c);
    SimulationConfig without = c;
    for (auto& pr : without.projections)
      if (pr.source == "CTX") pr.g_total = 0;
    const auto alone = rates(without);
    EXPECT_GT(with[3].rate_hz, 5.0) << "CTX fires, seed " << seed;
    EXPECT_GT(with[0].rate_hz, alone[0].rate_hz + 0.3) << "STN is driven, seed " << seed;
  }
}
