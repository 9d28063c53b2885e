// Short-term plasticity (Tsodyks–Markram, docs/model.md §4.8): the
// recursion against its closed-form steady state, and in a network each
// arrival's conductance jump against the recursion, spike by spike.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "io/output_writer.hpp"
#include "kernels/short_term_plasticity.hpp"
#include "kernels/synapse.hpp"
#include "src/record_plan.hpp"
#include "src/simulation.hpp"
#include "tests/cli_helpers.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using cbgtc::test::MemoryWriter;
using cbgtc::test::TempDir;

// A regular train settles at the fixed point u*, x* (docs/model.md §4.8):
// iterating the per-spike update converges to the closed form, for
// depression alone, facilitation-dominated and mixed synapses (Lindahl's
// STN -> SNr, D1 -> SNr and D2 -> GPe values among them).
TEST(ShortTermPlasticity, RegularTrainsSettleAtTheClosedForm) {
  const double dt_ms = 0.025;
  for (const TsodyksMarkram m :
       {TsodyksMarkram{0.35, 800, 0}, TsodyksMarkram{0.0192, 559, 623}, TsodyksMarkram{0.24, 77, 13},
        TsodyksMarkram{1.0, 50, 0}, TsodyksMarkram{0.5, 200, 1000}}) {
    for (const step_type interval : {40, 400, 2000, 40000}) {  // 1 ms to 1 s
      ReleaseState s = restedRelease(m);
      EXPECT_EQ(releaseAt(m, s, 0, dt_ms), 1.0) << "a rested synapse delivers its weight";
      double last = 0;
      for (int n = 1; n < 4000; ++n) last = releaseAt(m, s, n * interval, dt_ms);
      const double h_ms = interval * dt_ms;
      EXPECT_NEAR(last, steadyStateEfficacy(m, h_ms), 1e-12) << "U " << m.U << " h " << h_ms;
      // Limits: a long interval recovers fully (facilitation decays too).
      if (h_ms >= 1000 && m.tau_rec_ms <= 800 && m.tau_fac_ms <= 623) {
        EXPECT_GT(last, 0.7) << m.U;
      }
    }
  }
  // Depression alone: a higher rate depresses more, and U = 1 empties the
  // resources at every spike (x* = 1 − e^{−h/τ}).
  const TsodyksMarkram depressing{0.35, 800, 0};
  EXPECT_LT(steadyStateEfficacy(depressing, 1000.0 / 130), steadyStateEfficacy(depressing, 1000.0 / 20));
  EXPECT_NEAR(steadyStateEfficacy(TsodyksMarkram{1.0, 50, 0}, 10), 1 - std::exp(-10.0 / 50), 1e-15);
}

// A static synapse's quanta through the scaled path are the static path's,
// bit for bit (scaling by 2^32 is exact), for weights across every scale.
TEST(ShortTermPlasticity, UnitEfficacyGivesTheStaticQuanta) {
  std::uint32_t bits = 0x3f800000u;  // walk floats from 1 over many exponents and mantissas
  for (int k = 0; k < 200000; ++k) {
    bits = bits * 1664525u + 1013904223u;
    float w;
    const std::uint32_t positive_finite = (bits & 0x7fffffffu) % 0x4f000000u;  // below 2^31
    std::memcpy(&w, &positive_finite, sizeof w);
    ASSERT_EQ(toQuanta(w, quantaPerUnit(1.0)), toQuanta(w)) << w;
  }
  EXPECT_EQ(toQuanta(0.5f, quantaPerUnit(0.25)), std::int64_t(1) << 29);  // 0.125 units
}

namespace {

/// One spike_times cell (spikes from a CSV file) driving one LIF cell
/// through projection "src_tgt" (weight w, delay 1 ms, τ 5 ms); returns the
/// target's recorded conductance at every step.
std::vector<float> conductance(const TempDir& dir, const std::vector<double>& spikes_ms, double w,
                               const TsodyksMarkram& m, double duration_ms) {
  const std::string file = (dir / "train.csv").string();
  {
    auto out = io::makeCsvOutput(file, true);
    out->addSpikePopulation("SRC");
    out->appendSpikes("SRC", spikes_ms, std::vector<std::uint64_t>(spikes_ms.size(), 0));
    out->finalize(duration_ms);
  }
  SimulationConfig c;
  c.simulation.duration_ms = duration_ms;
  PopulationSettings src = PopulationSettings::of("SRC", "spike_times", 1);
  src.spike_file = file;
  PopulationSettings tgt = PopulationSettings::of("TGT", "lif", 1);
  tgt.noise.sigma = 0;
  tgt.noise.mu = 0;
  c.populations = {src, tgt};
  ProjectionSettings p;
  p.name = "src_tgt";
  p.source = "SRC";
  p.target = "TGT";
  p.rule = "fixed_indegree";
  p.indegree = 1;
  p.g_total = w;
  p.weight_cv = 0;
  p.delay_ms = 1;
  p.tau_ms = 5;
  p.stp_U = m.U;
  p.stp_tau_rec_ms = m.tau_rec_ms;
  p.stp_tau_fac_ms = m.tau_fac_ms;
  c.projections = {p};
  RecordSettings r;
  r.name = "g";
  r.population = "TGT";
  r.variables = "g_src_tgt";
  r.count = 1;
  r.interval_ms = c.simulation.dt_ms;
  c.records = {r};
  MemoryWriter main, report;
  Simulation sim(c);
  sim.run(&main, nullptr, nullptr, {&report});
  return report.reports.begin()->second.data;
}

}  // namespace

// Each spike's arrival, 1 ms (40 steps) later, raises g by w times the
// spike's efficacy from the recursion: the first spike by w, two spikes
// within one exchange epoch in their order, a depressed train less and
// less, a pause recovering it. Static synapses (U = 0) jump by w each time.
TEST(ShortTermPlasticity, EachArrivalCarriesItsSpikesEfficacy) {
  TempDir dir;
  const double dt_ms = 0.025, w = 2.0, decay = std::exp(-dt_ms / 5.0);
  const std::vector<double> spikes_ms = {10.0, 10.5, 30, 35, 40, 45, 50, 55, 60, 200, 205};
  for (const TsodyksMarkram m :
       {TsodyksMarkram{0.3, 200, 50}, TsodyksMarkram{0.6, 400, 0}, TsodyksMarkram{}}) {
    const std::vector<float> g = conductance(dir, spikes_ms, w, m, 300);
    ASSERT_EQ(g.size(), 12000u);
    // The expected jumps, from the model's own recursion (docs/model.md §4.8).
    ReleaseState s = restedRelease(m);
    std::vector<double> expected;
    for (const double t : spikes_ms) {
      const auto step = static_cast<step_type>(std::llround(t / dt_ms));
      expected.push_back(m.enabled() ? w * releaseAt(m, s, step, dt_ms) : w);
    }
    std::size_t n = 0;
    for (std::size_t k = 1; k < g.size(); ++k) {
      const double jump = g[k] - g[k - 1] * decay;
      if (jump < 1e-4) {
        EXPECT_NEAR(jump, 0.0, 1e-5) << "k " << k;  // float samples of a decaying double
        continue;
      }
      ASSERT_LT(n, spikes_ms.size()) << "an arrival too many at step " << k;
      EXPECT_EQ(static_cast<double>(k), std::round(spikes_ms[n] / dt_ms) + 40) << "arrival " << n;
      EXPECT_NEAR(jump, expected[n], 2e-6 * (g[k] + 1)) << "U " << m.U << " arrival " << n;
      ++n;
    }
    EXPECT_EQ(n, spikes_ms.size()) << "U " << m.U;
    if (m.enabled() && m.tau_fac_ms == 0) {
      EXPECT_LT(expected[1], expected[0]) << "10.5 ms after 10 ms: depressed";
      EXPECT_LT(expected[8], expected[2]) << "the 5 ms train depresses";
      EXPECT_GT(expected[9], expected[8]) << "140 ms of rest recover";
    }
    if (m.tau_fac_ms > 0)
      EXPECT_GT(expected[1], expected[0]) << "0.5 ms later: facilitated more than depressed";
  }
}
