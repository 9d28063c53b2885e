// The cortico-basal ganglia-thalamo-cortical loop presets (input/cbgtc.ini,
// cbgtc_parkinsonian.ini, cbgtc_parkinsonian_dbs.ini; docs/model.md §8.5)
// at half their size (fixed in-degrees keep each cell's inputs; at a
// quarter, the smaller pools share more inputs and the healthy relay errs
// up to 0.05 in a seed, against at most 0.0003 at full size), 2 s analysed,
// over three seeds: healthy rates in their physiological
// ranges and the thalamus relaying its input; with dopamine lowered the
// changes of rate the literature reports and beta in the STN and the
// pallidum, which DBS suppresses.

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "io/options.hpp"
#include "src/simulation.hpp"

using namespace cbgtc;

namespace {

std::map<std::string, PopulationSummary> runHalf(const std::string& deck, std::int64_t seed) {
  const std::string path = std::string(CBGTC_SOURCE_DIR) + "/input/" + deck;
  const char* argv[] = {"cbgtc", "--config", path.c_str()};
  SimulationConfig c = io::parseCommandLine(3, argv).config;
  for (auto& p : c.populations) p.n /= 2;
  c.simulation.duration_ms = 2500;
  c.simulation.seed = seed;
  Simulation sim(c);
  std::map<std::string, PopulationSummary> out;
  for (const PopulationSummary& p : sim.run(nullptr).populations) out[p.name] = p;
  return out;
}

}  // namespace

// Healthy: each population in its range (docs/model.md §8.3 and §8.5:
// STN 10-25 Hz, GPe TI 50-80, GPi 60-90, MSNs 0.1-2, striatal FSIs 10-30,
// pyramidal cells 1-15) and an error index of at most 0.1 (Rubin & Terman
// 2004's healthy relay). Dopamine lowered: GPe TI at least 15 % slower,
// GPi and STN at least 15 % faster, D2 MSNs at least 1.5 times and D1 MSNs
// slower; the STN's, GPe TI's and GPi's beta power more than 3 times the
// healthy (measured at full size: × 9.7, × 58, × 12; docs/model.md §8.5),
// the pallidum's spectra peaking in the beta band, and relative beta power
// up by more than 0.1 (0.46 -> 0.61 and 0.43 -> 0.55): GPe TI's in every
// seed, GPi's on average over the seeds (the healthy GPi's carries the
// 14 Hz input; at this size a fourth seed's rises by 0.05 only). Under DBS
// (input/cbgtc_parkinsonian_dbs.ini) the beta power of the STN and the
// pallidum falls by more than half and the thalamus still relays (error
// index at most 0.1; measured at full size: -88 %, -99 %, 0.0000). Over the
// three seeds, the thalamic error index is more than 3 times the healthy
// one with dopamine lowered, and DBS brings it back to at most 1.5 times
// (Rubin & Terman 2004; measured at full size: 0.0001 -> 0.043 -> 0.0000).
TEST(Loop, DopamineLossAndDeepBrainStimulation) {
  double error_healthy = 0, error_parkinsonian = 0, error_dbs = 0, gpi_beta_rise = 0;
  for (const std::int64_t seed : {1, 2, 3}) {
    auto h = runHalf("cbgtc.ini", seed);
    auto p = runHalf("cbgtc_parkinsonian.ini", seed);
    auto d = runHalf("cbgtc_parkinsonian_dbs.ini", seed);
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
    EXPECT_LT(p["D1"].rate_hz, h["D1"].rate_hz) << seed;
    for (const char* name : {"STN", "GPe_TI", "GPi"}) {
      EXPECT_GT(p[name].beta_power, 3 * h[name].beta_power) << name << " seed " << seed;
      EXPECT_LT(d[name].beta_power, 0.5 * p[name].beta_power) << name << " under DBS, seed " << seed;
    }
    for (const char* name : {"GPe_TI", "GPi"}) {
      EXPECT_GE(p[name].peak_hz, 13) << name << " seed " << seed;
      EXPECT_LE(p[name].peak_hz, 30) << name << " seed " << seed;
    }
    EXPECT_GT(p["GPe_TI"].relative_beta, h["GPe_TI"].relative_beta + 0.1) << seed;
    gpi_beta_rise += (p["GPi"].relative_beta - h["GPi"].relative_beta) / 3;
    EXPECT_LE(d["TC"].error_index, 0.1) << "under DBS, seed " << seed;
    error_healthy += h["TC"].error_index / 3;
    error_parkinsonian += p["TC"].error_index / 3;
    error_dbs += d["TC"].error_index / 3;
  }
  EXPECT_GT(gpi_beta_rise, 0.1);
  EXPECT_GT(error_parkinsonian, 3 * error_healthy);
  EXPECT_LE(error_dbs, 1.5 * error_healthy);
}
