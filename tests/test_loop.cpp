// The cortico-basal ganglia-thalamo-cortical loop presets (input/cbgtc.ini,
// cbgtc_parkinsonian.ini, cbgtc_parkinsonian_dbs.ini; docs/model.md §8.5)
// at full size, 2 s analysed, over three seeds: healthy rates in their
// physiological ranges and the thalamus relaying its input; with dopamine
// lowered the changes of rate the literature reports and beta in the STN
// and the pallidum, which DBS suppresses. Smaller networks share more
// inputs and relay far more variably (at half size the healthy error index
// is up to 0.028 in a seed), so that a ratio of error indices over three
// seeds would depend on the seeds.
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
// FSIs 10-30, pyramidal cells 1-15; over 20 seeds STN 11.3 ± 0.4, GPi
// 62.5 ± 0.7) and an error index of at most 0.1 (Rubin & Terman 2004's
// healthy relay). Dopamine lowered: GPe TI at least 15 % slower (-36 ± 2 %),
// GPi at least 15 % faster (+37 ± 1 %), D2 MSNs at least
// 1.5 times (× 3.1 ± 0.1) and D1 MSNs slower; the STN's, GPe TI's and
// GPi's beta power more than 3 times the healthy (× 8.3 ± 1.9, the least
// of 20 seeds × 5.3; × 57 ± 19; × 12 ± 4). Under DBS
// (input/cbgtc_parkinsonian_dbs.ini) their beta power falls by more than
// half (to 0.14 ± 0.03, 0.006, 0.006 of the Parkinsonian) and the thalamus
// still relays (error index at most 0.1; 0 in every seed).
// Over the three seeds: the STN at least 15 % faster (per seed +25 ± 7 %,
// in 2 of 20 seeds +11 and +13 %), the GPe TI's and GPi's spectra peak in the beta
// band (13-30 Hz; per seed 23 ± 4.5 Hz, 13-30 over 20 seeds), their
// relative beta power rises (per seed by 0.115 ± 0.065 and 0.089 ± 0.053,
// in every one of 20 seeds), the thalamic error index is more than 3 times
// the healthy one (0.0003 ± 0.0005 -> 0.033 ± 0.019), and DBS brings it
// back to at most 1.5 times (Rubin & Terman 2004).
TEST(Loop, DopamineLossAndDeepBrainStimulation) {
  const std::vector<std::int64_t> seeds = {1, 2, 3};
  const double per_seed = 1.0 / static_cast<double>(seeds.size());
  double error_healthy = 0, error_parkinsonian = 0, error_dbs = 0, stn_rise = 0;
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
    stn_rise += per_seed * p["STN"].rate_hz / h["STN"].rate_hz;
    EXPECT_GT(p["D2"].rate_hz, 1.5 * h["D2"].rate_hz) << seed;
    EXPECT_LT(p["D1"].rate_hz, h["D1"].rate_hz) << seed;
    for (const char* name : {"STN", "GPe_TI", "GPi"}) {
      EXPECT_GT(p[name].beta_power, 3 * h[name].beta_power) << name << " seed " << seed;
      EXPECT_LT(d[name].beta_power, 0.5 * p[name].beta_power) << name << " under DBS, seed " << seed;
    }
    for (const char* name : {"GPe_TI", "GPi"}) {
      peak_hz[name] += per_seed * p[name].peak_hz;
      beta_rise[name] += per_seed * (p[name].relative_beta - h[name].relative_beta);
    }
    EXPECT_LE(d["TC"].error_index, 0.1) << "under DBS, seed " << seed;
    error_healthy += per_seed * h["TC"].error_index;
    error_parkinsonian += per_seed * p["TC"].error_index;
    error_dbs += per_seed * d["TC"].error_index;
  }
  for (const char* name : {"GPe_TI", "GPi"}) {
    EXPECT_GE(peak_hz[name], 13) << name;
    EXPECT_LE(peak_hz[name], 30) << name;
    EXPECT_GT(beta_rise[name], 0) << name;
  }
  EXPECT_GT(stn_rise, 1.15);
  EXPECT_GT(error_parkinsonian, 3 * error_healthy);
  EXPECT_LE(error_dbs, 1.5 * error_healthy);
}
