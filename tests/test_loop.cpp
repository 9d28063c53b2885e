// The cortico-basal ganglia-thalamo-cortical loop presets (input/cbgtc.ini,
// cbgtc_parkinsonian.ini, cbgtc_parkinsonian_dbs.ini; docs/model.md §8.5)
// at full size, 2 s analysed, over three seeds: healthy rates in their
// physiological ranges and the thalamus relaying its input; with dopamine
// lowered the changes of rate the literature reports and beta in the STN,
// the pallidum and the cortex, which DBS suppresses. Smaller networks share
// more inputs and relay far more variably (at half size the healthy error
// index is up to 0.028 in a seed), so that a ratio of error indices over
// three seeds would depend on the seeds.
//
// Each claim is checked where the seeds' spread leaves it a margin. Over 20
// seeds at this size and length (docs/model.md §8.5) a metric measured in
// every seed is checked in every seed where its 20 values are all on the
// claimed side and their mean at least 2.7 s.d. from the bound; a noisier
// one is checked on its mean over the three seeds, whose s.d. is the
// seeds' over √3.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "io/options.hpp"
#include "src/simulation.hpp"

using namespace cbgtc;

namespace {

std::map<std::string, PopulationSummary> runLoop(const std::string& deck, std::int64_t seed) {
  const std::string path = std::string(CBGTC_SOURCE_DIR) + "/input/" + deck;
  const char* argv[] = {"cbgtc", "--config", path.c_str()};
  SimulationConfig c = io::parseCommandLine(3, argv).config;
  c.simulation.duration_ms = 2500;
  c.simulation.seed = seed;
  Simulation sim(c);
  std::map<std::string, PopulationSummary> out;
  for (const PopulationSummary& p : sim.run(nullptr).populations) out[p.name] = p;
  return out;
}

}  // namespace

// In every seed: each healthy population in its range (docs/model.md §8.3
// and §8.5: STN 10-25 Hz, GPe TI 50-80, GPi 60-90, MSNs 0.1-2, striatal
// FSIs 10-30, pyramidal cells 1-15; over 20 seeds STN 11.5 ± 0.4, GPi
// 62.7 ± 0.6) and an error index of at most 0.1 (Rubin & Terman 2004's
// healthy relay). Dopamine lowered: GPe TI at least 15 % slower (-27 ± 2 %),
// GPi and STN at least 15 % faster (+36 ± 1 %, +60 ± 9 %), D2 MSNs at least
// 1.5 times (× 3.5 ± 0.1); the STN's, GPe TI's and GPi's beta power more
// than 3 times the healthy and the cortex's above it (ratios of power on a
// log scale, where their spread is symmetric: ln 2.4 ± 0.35, 4.0 ± 0.46,
// 2.6 ± 0.40 and 0.68 ± 0.21; the least of 20 × 5.5, 18, 5.2 and 1.6).
// Under DBS (input/cbgtc_parkinsonian_dbs.ini) the STN's, GPe TI's and
// GPi's beta power falls by more than half (to 0.050 ± 0.014, 0.003, 0.006
// of the Parkinsonian) and the thalamus relays as when healthy (error index
// at most 0.002; at most 0.0003 in every seed, healthy 0.0013 ± 0.0028).
// Over the three seeds: D1 MSNs slower (× 0.87 ± 0.06, in one of 20 seeds
// × 1.01), the GPe TI's and GPi's spectra peak in the beta band (13-30 Hz;
// 26.9 ± 0.4 Hz), their relative beta power rises (by 0.093 ± 0.052, in
// one of 20 seeds by -0.014, and 0.175 ± 0.054), the cortex's beta power
// under DBS below 0.6 of the Parkinsonian (0.42 ± 0.09, at most 0.55) and
// its PAC index below the Parkinsonian one (by 4.4 ± 2.0 × 10^-3).
// Too noisy for three seeds of 2 s, and shown over 10 seeds of 5 s in
// docs/model.md §8.5 instead: the cortex's PAC index rising with dopamine
// lowered (by 2.6 ± 2.3 × 10^-3, lower in 3 of 20 seeds at this length) and
// the thalamic error index (0.0013 ± 0.0028 -> 0.018 ± 0.014 per seed: the
// three seeds' mean of the Parkinsonian is 2.2 s.d. of it from the DBS
// level, and three times the healthy one 1.5). The mechanism, the GPi's
// beta-patterned inhibition breaking the relay where its mean does not, is
// checked on the TC cell (tests/test_tc_rubin_terman.cpp).
TEST(Loop, DopamineLossAndDeepBrainStimulation) {
  const std::vector<std::int64_t> seeds = {1, 2, 3};
  const double per_seed = 1.0 / static_cast<double>(seeds.size());
  double d1_change = 0, cortex_beta_dbs = 0, cortex_pac_dbs = 0;
  std::map<std::string, double> beta_rise, peak_hz;
  for (const std::int64_t seed : seeds) {
    auto h = runLoop("cbgtc.ini", seed);
    auto p = runLoop("cbgtc_parkinsonian.ini", seed);
    auto d = runLoop("cbgtc_parkinsonian_dbs.ini", seed);
    const auto in = [&](const char* name, double lo, double hi) {
      EXPECT_GE(h[name].rate_hz, lo) << name << " seed " << seed;
      EXPECT_LE(h[name].rate_hz, hi) << name << " seed " << seed;
    };
    in("STN", 10, 25);
    in("GPe_TI", 50, 80);
    in("GPi", 60, 90);
    in("D1", 0.1, 2);
    in("D2", 0.1, 2);
    in("FSI", 10, 30);
    in("CTX_E", 1, 15);
    EXPECT_LE(h["TC"].error_index, 0.1) << seed;
    EXPECT_LT(p["GPe_TI"].rate_hz, 0.85 * h["GPe_TI"].rate_hz) << seed;
    EXPECT_GT(p["GPi"].rate_hz, 1.15 * h["GPi"].rate_hz) << seed;
    EXPECT_GT(p["STN"].rate_hz, 1.15 * h["STN"].rate_hz) << seed;
    EXPECT_GT(p["D2"].rate_hz, 1.5 * h["D2"].rate_hz) << seed;
    d1_change += per_seed * p["D1"].rate_hz / h["D1"].rate_hz;
    for (const char* name : {"STN", "GPe_TI", "GPi"}) {
      EXPECT_GT(p[name].beta_power, 3 * h[name].beta_power) << name << " seed " << seed;
      EXPECT_LT(d[name].beta_power, 0.5 * p[name].beta_power) << name << " under DBS, seed " << seed;
    }
    EXPECT_GT(p["CTX_E"].beta_power, h["CTX_E"].beta_power) << seed;
    cortex_beta_dbs += per_seed * d["CTX_E"].beta_power / p["CTX_E"].beta_power;
    cortex_pac_dbs += per_seed * (d["CTX_E"].pac_mi - p["CTX_E"].pac_mi);
    for (const char* name : {"GPe_TI", "GPi"}) {
      peak_hz[name] += per_seed * p[name].peak_hz;
      beta_rise[name] += per_seed * (p[name].relative_beta - h[name].relative_beta);
    }
    EXPECT_LE(d["TC"].error_index, 0.002) << "under DBS, seed " << seed;
  }
  for (const char* name : {"GPe_TI", "GPi"}) {
    EXPECT_GE(peak_hz[name], 13) << name;
    EXPECT_LE(peak_hz[name], 30) << name;
    EXPECT_GT(beta_rise[name], 0) << name;
  }
  EXPECT_LT(d1_change, 1);
  EXPECT_LT(cortex_beta_dbs, 0.6);
  EXPECT_LT(cortex_pac_dbs, 0);
}
