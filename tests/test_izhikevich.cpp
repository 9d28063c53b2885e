// The Izhikevich 2007 simple model (kernels/models/izhikevich.hpp) against
// its analytic properties: the saddle-node rheobase of the quadratic model
// (with and without dopamine), the time to peak of the quadratic
// integrate-and-fire limit, and the class 1 / class 2 onset of regular- and
// fast-spiking cells (Izhikevich 2007 §8.2); then the same step through a
// whole simulation, and a cortical E/I network's gamma rhythm.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "io/options.hpp"
#include "kernels/models/izhikevich.hpp"
#include "src/simulation.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;

namespace {

constexpr double dt = 0.025;

/// Spike times (ms) of one cell from rest (V = V_r, u = 0) under a constant
/// current for `duration_ms`.
std::vector<double> spikeTimes(const izhikevich::IzhikevichParams& p, double I_pA, double duration_ms,
                               double dt_ms = dt) {
  const auto e = izhikevich::effective(p);
  izhikevich::IzhikevichState x{e.V_r, 0};
  std::vector<double> t;
  const auto steps = static_cast<std::int64_t>(duration_ms / dt_ms);
  for (std::int64_t k = 0; k < steps; ++k)
    if (izhikevich::step(x, e, static_cast<real_type>(I_pA), static_cast<real_type>(dt_ms)))
      t.push_back(static_cast<double>(k) * dt_ms);
  return t;
}

/// Humphries et al. 2009's medium spiny neuron (docs/model.md §3.9).
izhikevich::IzhikevichParams msn() {
  izhikevich::IzhikevichParams p;
  p.C_m = 15.2;
  p.k = 1;
  p.V_r = -80;
  p.V_t = -29.7;
  p.V_peak = 40;
  p.a = 0.01;
  p.b = -20;
  p.c = -55;
  p.d = 91;
  return p;
}

/// Izhikevich 2007's fast-spiking interneuron (cubic recovery nullcline).
izhikevich::IzhikevichParams fastSpiking() {
  izhikevich::IzhikevichParams p;
  p.C_m = 20;
  p.k = 1;
  p.V_r = -55;
  p.V_t = -40;
  p.V_peak = 25;
  p.a = 0.2;
  p.b = 0.025;
  p.u_cubic = 1;
  p.V_b = -55;
  p.c = -45;
  p.d = 0;
  return p;
}

/// The rheobase of the linear-recovery model, written from the published
/// equations rather than from the header: with u at its steady state
/// b(V − V_r), rest and saddle merge when I = (k(V_t − V_r) + b)²/(4k),
/// where k and V_r carry the dopamine factors of Humphries et al. 2009.
double rheobase(const izhikevich::IzhikevichParams& p) {
  const double V_r = p.V_r * (1 + p.K_D1 * p.phi_D1);
  const double k = p.k * (1 - p.alpha_D2 * p.phi_D2);
  const double s = k * (p.V_t - V_r) + p.b;
  return s * s / (4 * k);
}

}  // namespace

// A regular-spiking cell (rheobase 51.4 pA, Izhikevich 2007 §8.2.1) and a
// medium spiny neuron without and with D1 or D2 activation: silent 2 %
// below the analytic rheobase, firing 2 % above it.
TEST(Izhikevich, RheobaseIsTheSaddleNodeOfTheQuadraticModel) {
  izhikevich::IzhikevichParams d1 = msn(), d2 = msn();
  d1.phi_D1 = 0.8;
  d2.phi_D2 = 0.8;
  const izhikevich::IzhikevichParams cells[] = {izhikevich::IzhikevichParams{}, msn(), d1, d2};
  EXPECT_NEAR(rheobase(cells[0]), 51.43, 0.01);
  EXPECT_GT(rheobase(d1), rheobase(msn()) * 1.05) << "D1 activation hyperpolarises V_r";
  EXPECT_LT(rheobase(d2), rheobase(msn()) * 0.99) << "D2 activation lowers k";
  for (const auto& p : cells) {
    const double I = rheobase(p);
    EXPECT_TRUE(spikeTimes(p, 0.98 * I, 3000).empty()) << "V_r " << p.V_r << " phi " << p.phi_D1 << p.phi_D2;
    EXPECT_FALSE(spikeTimes(p, 1.02 * I, 3000).empty()) << "V_r " << p.V_r << " phi " << p.phi_D1 << p.phi_D2;
  }
}

// With a = d = 0 and u = 0 the model is a quadratic integrate-and-fire
// neuron, whose time from c to V_peak is, with m = (V_r + V_t)/2 and
// Δ = I/k − ((V_t − V_r)/2)²,
//   T = C/(k√Δ)·[atan((V_peak − m)/√Δ) − atan((c − m)/√Δ)].
// Forward Euler converges to it at first order: the error at dt/10 is about
// a tenth of the error at dt (each interval is a whole number of steps, so
// up to a step of quantisation on top: at most a quarter is asserted).
TEST(Izhikevich, QuadraticLimitReachesThePeakAtTheAnalyticTime) {
  izhikevich::IzhikevichParams p;
  p.a = 0;
  p.b = 0;
  p.d = 0;
  for (const double I : {150.0, 400.0}) {
    const double m = (p.V_r + p.V_t) / 2, h = (p.V_t - p.V_r) / 2;
    const double root = std::sqrt(I / p.k - h * h);
    const double T = p.C_m / (p.k * root) * (std::atan((p.V_peak - m) / root) - std::atan((p.c - m) / root));
    double error[2];
    for (int j = 0; j < 2; ++j) {
      const double step = j == 0 ? dt : dt / 10;
      const auto t = spikeTimes(p, I, 20 * T, step);
      ASSERT_GE(t.size(), 5u);
      // The first spike starts from V_r, the others from c.
      error[j] = (t[4] - t[1]) / 3 - T;
    }
    EXPECT_LT(std::fabs(error[0]) / T, 0.01) << I;
    EXPECT_LT(std::fabs(error[1]), std::fabs(error[0]) / 4) << I << ": first-order convergence";
  }
}

// Class 1 against class 2 excitability (Izhikevich 2007 §8.2.1, §8.2.6):
// a regular-spiking cell starts firing at an arbitrarily low rate, the
// fast-spiking interneuron, with its cubic recovery nullcline, jumps to
// about 20 Hz (an Andronov–Hopf onset). Rates at the first current (0.5 pA
// steps) that gives repetitive firing.
TEST(Izhikevich, RegularSpikingIsClassOneFastSpikingClassTwo) {
  auto onsetRate = [](const izhikevich::IzhikevichParams& p, double from_pA) {
    for (double I = from_pA;; I += 0.5) {
      const auto t = spikeTimes(p, I, 2000);
      // Repetitive firing in the second half (not a single onset spike).
      std::vector<double> late;
      for (const double s : t)
        if (s >= 1000) late.push_back(s);
      if (late.size() >= 2)
        return 1000.0 * static_cast<double>(late.size() - 1) / (late.back() - late.front());
      if (I > from_pA + 500) return 0.0;
    }
  };
  const double rs = onsetRate(izhikevich::IzhikevichParams{}, 45.0);
  const double fs = onsetRate(fastSpiking(), 0.0);
  EXPECT_GT(rs, 0.0);
  EXPECT_LT(rs, 5.0) << "regular spiking starts slowly";
  EXPECT_GT(fs, 15.0) << "fast spiking starts at a finite rate";
}

// The model through a whole simulation from deck keys: the same spikes as
// the step loop above, for a medium spiny neuron with D2 activation.
TEST(Izhikevich, SimulationGivesTheStepLoopsSpikes) {
  SimulationConfig c;
  PopulationSettings cell = PopulationSettings::of("MSN", "izhikevich", 1);
  auto& s = std::get<models::Izhikevich::Settings>(cell.params);
  s.params = msn();
  s.params.phi_D2 = 0.5;
  s.params.I_e = static_cast<real_type>(1.5 * rheobase(s.params));
  s.init.V = s.params.V_r;
  s.init.V_sd = 0;
  c.populations = {cell};
  c.projections.clear();
  c.simulation.duration_ms = 1000;
  c.analysis.burn_in_ms = 0;
  test::MemoryWriter w;
  Simulation sim(c);
  sim.run(&w);
  auto p = s.params;
  const double I_e = p.I_e;
  p.I_e = 0;
  const auto expected = spikeTimes(p, I_e, 1000);
  const auto& got = w.spikes.at("MSN");
  ASSERT_GE(expected.size(), 3u);
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t j = 0; j < got.size(); ++j) EXPECT_NEAR(got[j].first, expected[j], 1e-9) << j;
}

// input/cortex_ping.ini over three seeds: pyramidal cells and fast-spiking
// interneurons make a gamma rhythm (the pyramidal cells' LFP proxy peaks in
// 30–80 Hz, their potentials synchronise: χ > 0.4); without the
// interneurons' inhibition of the pyramidal cells there is neither (χ of a
// few independent-looking cells, < 0.2, and no gamma peak).
TEST(Izhikevich, CortexDeckMakesGammaByInhibitoryFeedback) {
  const std::string deck = std::string(CBGTC_SOURCE_DIR) + "/input/cortex_ping.ini";
  const char* argv[] = {"cbgtc", "--config", deck.c_str()};
  SimulationConfig base = io::parseCommandLine(3, argv).config;
  base.simulation.duration_ms = 1200;
  for (const std::int64_t seed : {1, 2, 3}) {
    for (const bool inhibition : {true, false}) {
      SimulationConfig c = base;
      c.simulation.seed = seed;
      if (!inhibition)
        for (auto& p : c.projections)
          if (p.name == "i_e") p.g_total = 0;
      Simulation sim(c);
      const PopulationSummary e = sim.run(nullptr).populations[0];
      ASSERT_EQ(e.name, "E");
      if (inhibition) {
        EXPECT_GE(e.peak_hz, 30) << seed;
        EXPECT_LE(e.peak_hz, 80) << seed;
        EXPECT_GT(e.synchrony_chi, 0.4) << seed;
      } else {
        EXPECT_FALSE(e.peak_hz >= 30 && e.peak_hz <= 80) << seed << ": " << e.peak_hz;
        EXPECT_LT(e.synchrony_chi, 0.2) << seed;
      }
    }
  }
}
