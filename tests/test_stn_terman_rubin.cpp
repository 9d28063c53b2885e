// The Terman–Rubin STN (kernels/models/stn_terman_rubin.hpp) against the
// single-cell behaviour of Terman et al. (2002), Fig. 1: slow spontaneous
// firing, and a rebound burst after hyperpolarisation that grows with the
// step's duration (docs/model.md §2.11).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "src/simulation.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using cbgtc::test::MemoryWriter;

namespace {

/// One neuron, no noise, no synapses, Terman et al. 2002's parameters; a
/// dc step of `amplitude` µA/cm² from 500 ms for `step_ms`.
SimulationConfig steppedNeuron(double amplitude, double step_ms, std::int64_t seed) {
  SimulationConfig c;
  c.simulation.duration_ms = 1500;
  c.simulation.seed = seed;
  c.analysis.burn_in_ms = 0;
  c.populations = {PopulationSettings::of("STN", "stn_terman_rubin", 1)};
  auto& p = std::get<models::StnTermanRubin::Settings>(c.populations[0].params).params;
  p.tau_r0_ms = 40;
  p.phi_r = 0.2;
  p.theta_b = 0.4;
  p.sigma_b = -0.1;
  p.epsilon_per_ms = 3.75e-5;
  c.projections.clear();
  StimulusSettings s;
  s.name = "step";
  s.kind = "dc";
  s.population = "STN";
  s.start_ms = 500;
  s.stop_ms = 500 + step_ms;
  s.amplitude = amplitude;
  c.stimuli = {s};
  RecordSettings r;
  r.name = "gates";
  r.population = "STN";
  r.variables = "n, h, r";
  r.count = 1;
  r.interval_ms = 0.5;
  c.records = {r};
  return c;
}

struct Outcome {
  std::vector<double> spikes_ms;
  std::vector<MemoryWriter> gates{3};
};

Outcome run(const SimulationConfig& c) {
  Outcome out;
  MemoryWriter w;
  {
    Simulation sim(c);
    sim.run(&w, nullptr, nullptr, {&out.gates[0], &out.gates[1], &out.gates[2]});
  }
  for (const auto& [t, id] : w.spikes.at("STN")) out.spikes_ms.push_back(t);
  return out;
}

std::size_t spikesIn(const Outcome& o, double from, double to) {
  return static_cast<std::size_t>(
      std::count_if(o.spikes_ms.begin(), o.spikes_ms.end(), [&](double t) { return t >= from && t < to; }));
}

/// One cell at −60 mV, its gates at their steady states there, Ca 0.1.
stn_tr::TermanRubinState restingAtMinus60(const stn_tr::TermanRubinParams& p) {
  stn_tr::TermanRubinState x;
  x.V = -60;
  x.n = stn_tr::sigmoid(x.V, p.theta_n, p.sigma_n);
  x.h = stn_tr::sigmoid(x.V, p.theta_h, p.sigma_h);
  x.r = stn_tr::sigmoid(x.V, p.theta_r, p.sigma_r);
  x.Ca = 0.1;
  x.last_spike_step = stn_tr::no_spike_step;
  return x;
}

}  // namespace

// At rest the cell fires slowly (a few Hz); a −25 µA/cm² step silences it,
// and on release it fires a rebound burst: several spikes in the next 100 ms,
// many times its resting rate, with the T current de-inactivated (r up) at
// the release. The gates stay in [0, 1]. Over three initial states.
// The gates start at the steady state of the deck's parameters, not the
// built-in ones.
TEST(StnTermanRubin, GatesStartAtTheSteadyStateOfTheDecksParameters) {
  using M = models::StnTermanRubin;
  M::Settings s;
  s.params.theta_n = -40;
  s.params.theta_h = -50;
  s.params.theta_r = -60;
  s.init.V_sd = 0;
  const auto x = M::initialState(s, 1, 2, 3);
  EXPECT_EQ(x.n, stn_tr::sigmoid(s.init.V, s.params.theta_n, s.params.sigma_n));
  EXPECT_EQ(x.h, stn_tr::sigmoid(s.init.V, s.params.theta_h, s.params.sigma_h));
  EXPECT_EQ(x.r, stn_tr::sigmoid(s.init.V, s.params.theta_r, s.params.sigma_r));
  EXPECT_NE(x.h, stn_tr::sigmoid(s.init.V, stn_tr::TermanRubinParams{}.theta_h, s.params.sigma_h));
}

TEST(StnTermanRubin, ReboundBurstAfterHyperpolarisation) {
  for (const std::int64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    const Outcome o = run(steppedNeuron(-25, 300, seed));
    const double resting_hz = spikesIn(o, 100, 500) / 0.4;
    EXPECT_GT(resting_hz, 0.5);
    EXPECT_LT(resting_hz, 10.0);
    EXPECT_EQ(spikesIn(o, 520, 800), 0u) << "silent during the step";
    const std::size_t burst = spikesIn(o, 800, 900);
    EXPECT_GE(burst, 3u) << "a rebound burst";
    EXPECT_GT(burst / 0.1, 5 * resting_hz);
    // r relaxes towards r∞(−70 mV) = 0.82 with τ_r/φ_r = 287 ms: past 0.5 by
    // the release, from a few per cent at rest.
    const auto& r = o.gates[2].reports.begin()->second.data;
    EXPECT_GT(r[static_cast<std::size_t>(799 / 0.5)], 0.5f);
    EXPECT_GT(r[static_cast<std::size_t>(799 / 0.5)], 5 * r[static_cast<std::size_t>(499 / 0.5)]);
    for (const auto& w : o.gates)
      for (float x : w.reports.begin()->second.data) {
        ASSERT_GE(x, 0.0f) << w.reports.begin()->second.variable;
        ASSERT_LE(x, 1.0f) << w.reports.begin()->second.variable;
      }
  }
}

// A longer hyperpolarisation gives a longer burst (Terman et al. 2002,
// Fig. 1D): r, relaxing with τ_r/φ_r = 287 ms, is far from r∞ after 150 ms
// and close to it after 600; without a step there is none.
TEST(StnTermanRubin, BurstGrowsWithTheStepsDuration) {
  for (const std::int64_t seed : {1, 2, 3}) {
    SCOPED_TRACE(seed);
    const Outcome none = run(steppedNeuron(0, 300, seed));
    const Outcome short_step = run(steppedNeuron(-25, 150, seed));
    const Outcome long_step = run(steppedNeuron(-25, 600, seed));
    const std::size_t after_short = spikesIn(short_step, 650, 750),
                      after_long = spikesIn(long_step, 1100, 1200);
    EXPECT_LE(spikesIn(none, 800, 900), 1u);
    EXPECT_GE(after_long, after_short + 2);
    EXPECT_GE(after_long, 3u);
  }
}

// Strong stimulus pulses drive V above E_Ca, where the model's Ca influx
// turns negative: Ca stays a concentration (≥ 0) and the cell stays finite
// through seconds of 130 Hz, 90 µs pulses of 3000 µA/cm² (docs/model.md
// §2.11).
TEST(StnTermanRubin, CalciumStaysNonNegativeUnderStrongPulses) {
  const stn_tr::TermanRubinParams p;
  const double dt = 0.025;
  stn_tr::TermanRubinState x = restingAtMinus60(p);
  const double period_ms = 1000.0 / 130;
  double highest_V = -1e9;
  for (step_type k = 0; k < static_cast<step_type>(3000 / dt); ++k) {
    const double since = std::fmod(k * dt, period_ms);
    const real_type I = since < 0.09 ? real_type(3000) : real_type(0);
    stn_tr::step(x, p, stn_tr::constants(p, real_type(dt)), I, static_cast<real_type>(dt), k, 40);
    ASSERT_TRUE(std::isfinite(x.V)) << "step " << k;
    ASSERT_GE(x.Ca, 0) << "step " << k;
    highest_V = std::max(highest_V, static_cast<double>(x.V));
  }
  EXPECT_GT(highest_V, p.ECa) << "the pulses reach above E_Ca, where the clamp matters";
}

// A synchronous volley of inhibition can raise the synaptic conductance far
// above the cell's own (g_GPe→STN reached 425 mS/cm² at the start of a
// Parkinsonian run). Taken as a current at V_k, a conductance above
// 2·C_m/dt (80 mS/cm² at 0.025 ms) makes V oscillate about E_syn with a
// growing amplitude; as a conductance of the exponential step V relaxes
// towards a reversal-weighted mean that lies between the reversal
// potentials, so it never falls below E_syn (−84 mV, the lowest here) and
// settles where the conductances balance.
TEST(StnTermanRubin, StrongSynapticConductanceRelaxesWithoutOvershoot) {
  const stn_tr::TermanRubinParams p;
  const double dt = 0.025;
  const real_type E_syn = -84;
  for (const real_type G : {real_type(10), real_type(100), real_type(425), real_type(1e4)}) {
    auto x = restingAtMinus60(p);
    for (step_type k = 0; k < static_cast<step_type>(50 / dt); ++k) {
      stn_tr::step(x, p, stn_tr::constants(p, real_type(dt)), G * (E_syn - x.V), static_cast<real_type>(dt),
                   k, 40, G);
      ASSERT_TRUE(std::isfinite(x.V)) << "G " << G << ", step " << k;
      ASSERT_GE(x.V, E_syn - 1e-9) << "G " << G << ", step " << k;
    }
    // At rest near E_syn the cell's own conductances are a few mS/cm²
    // (leak 2.25, K and AHP below 10), pulling towards E_L, E_K and above:
    // V ends within (E_L − E_syn)·g_own/(g_own + G) of E_syn.
    EXPECT_LT(x.V - E_syn, 24 * 12 / (12 + G) + 1e-6) << "G " << G;
  }
  // The same volley as a current alone (the explicit form) diverges.
  auto x = restingAtMinus60(p);
  bool diverged = false;
  for (step_type k = 0; k < static_cast<step_type>(50 / dt) && !diverged; ++k) {
    stn_tr::step(x, p, stn_tr::constants(p, real_type(dt)), real_type(425) * (E_syn - x.V),
                 static_cast<real_type>(dt), k, 40);
    diverged = !std::isfinite(x.V) || x.V < E_syn - 100;
  }
  EXPECT_TRUE(diverged);
}

// The same through the network: the drive hands the Terman–Rubin step the
// conductance of its synaptic current, so a barrage far above 80 mS/cm²
// (20 Poisson inputs at 500 Hz, each spike 50 mS/cm²: a mean of about
// 4000 mS/cm²) holds V just above E_syn instead of diverging.
TEST(StnTermanRubin, OverwhelmingInhibitionThroughAProjectionStaysFinite) {
  for (const std::int64_t seed : {1, 2, 3}) {
    SimulationConfig c;
    c.simulation.duration_ms = 100;
    c.simulation.seed = seed;
    c.analysis.burn_in_ms = 0;
    c.populations = {PopulationSettings::of("GPe", "poisson", 20),
                     PopulationSettings::of("STN", "stn_terman_rubin", 5)};
    std::get<models::Poisson::Settings>(c.populations[0].params).params.rate_hz = 500;
    ProjectionSettings inhibition;
    inhibition.name = "gpe_stn";
    inhibition.source = "GPe";
    inhibition.target = "STN";
    inhibition.rule = "fixed_indegree";
    inhibition.indegree = 20;
    inhibition.g_total = 1000;
    inhibition.weight_cv = 0;
    inhibition.delay_ms = 1;
    inhibition.tau_ms = 8;
    inhibition.E_rev_mV = -84;
    c.projections = {inhibition};
    RecordSettings r;
    r.name = "v";
    r.population = "STN";
    r.variables = "V";
    r.count = 5;
    r.interval_ms = 0.025;
    c.records = {r};
    MemoryWriter spikes, v;
    {
      Simulation sim(c);
      ASSERT_NO_THROW(sim.run(&spikes, nullptr, nullptr, {&v}));
    }
    const auto& V = v.reports.at("STN").data;
    ASSERT_EQ(V.size(), 5u * static_cast<std::size_t>(100 / 0.025));
    EXPECT_GE(*std::min_element(V.begin(), V.end()), -84.0f - 1e-3f) << "seed " << seed;
    // The last 50 ms under about 4000 mS/cm²: within a few tenths of a mV.
    EXPECT_LT(*std::max_element(V.end() - 5 * 2000, V.end()), -83.0f) << "seed " << seed;
  }
}
