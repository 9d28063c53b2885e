// The science presets (input/healthy.ini, parkinsonian.ini,
// parkinsonian_dbs.ini; docs/model.md §8.4), each run at full size as an
// ensemble of three seeds of 3 s: the contrasts the presets exist for hold
// seed by seed (paired: the same seed's drives and network in both decks)
// or on the seeds' mean. The 10-seed, 10 s figures are in docs/model.md
// §8.4; each margin here is from 20 seeds of this length: the
// drives' slow fluctuation makes 2.5 s analysed a noisy sample of it, and a
// quarter-size network's own noise hides the background that relative beta
// is measured against.

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tests/cli_helpers.hpp"

using namespace cbgtc::test;

namespace {

// metric[population][seed] of an ensemble table's run rows.
using Metrics = std::map<std::string, std::map<std::string, std::map<std::string, double>>>;

Metrics readTable(const std::string& text) {
  std::istringstream lines(text);
  std::string header_line;
  while (std::getline(lines, header_line) && header_line.rfind("#", 0) == 0) {
  }  // the version line
  std::vector<std::string> header;
  {
    std::istringstream h(header_line);
    for (std::string f; std::getline(h, f, '\t');) header.push_back(f);
  }
  Metrics m;
  for (std::string line; std::getline(lines, line);) {
    std::vector<std::string> f;
    std::istringstream l(line);
    for (std::string x; std::getline(l, x, '\t');) f.push_back(x);
    if (f.size() != header.size() || f[0].rfind("run", 0) != 0) continue;
    for (std::size_t c = 6; c < f.size(); ++c) {
      if (header[c] == "status") {
        EXPECT_EQ(f[c], "ok") << line;  // a failed run's metrics would read as undefined ones
        continue;
      }
      m[f[4]][header[c]][f[2]] = std::stod(f[c]);
    }
  }
  return m;
}

Metrics runPreset(const std::string& deck, const TempDir& dir) {
  const std::string out = (dir / (deck + ".h5")).string();
  const RunResult r =
      runCbgtc("--config '" + inputDeck(deck + ".ini") +
                   "' --simulation.duration_ms=3000 --output.spikes=false --ensemble.seeds=1-3"
                   " --output.file='" +
                   out + "'",
               dir);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return readTable(slurp(dir / (deck + "_ensemble.tsv")));
}

double meanOverSeeds(const std::map<std::string, double>& by_seed) {
  double sum = 0;
  for (const auto& [seed, value] : by_seed) sum += value;
  return sum / static_cast<double>(by_seed.size());
}

}  // namespace

TEST(Presets, ParkinsonianBetaAndRatesAndDbsSuppression) {
  TempDir dir;
  Metrics healthy = runPreset("healthy", dir), pd = runPreset("parkinsonian", dir),
          dbs = runPreset("parkinsonian_dbs", dir);
  // Rates: GPe prototypic down (0.61 of healthy, every seed below 0.66),
  // STN and GPi up (1.28 and 1.19; the STN's rise varies by 0.12 sd from
  // seed to seed, so it is judged on the mean).
  EXPECT_GT(meanOverSeeds(pd["STN"]["rate_hz"]), 1.1 * meanOverSeeds(healthy["STN"]["rate_hz"]));
  for (const std::string seed : {"1", "2", "3"}) {
    EXPECT_LT(pd["GPe_TI"]["rate_hz"][seed], 0.8 * healthy["GPe_TI"]["rate_hz"][seed]) << seed;
    EXPECT_GT(pd["GPi"]["rate_hz"][seed], 1.1 * healthy["GPi"]["rate_hz"][seed]) << seed;
    for (const char* pop : {"STN", "GPe_TI"}) {
      // Healthy: no rhythm. The global peak is the background's, below the
      // beta band (2-6 Hz).
      EXPECT_LT(healthy[pop]["peak_hz"][seed], 13) << pop << " " << seed;
      // A beta rhythm far above the aperiodic background. Against the
      // healthy seeds' mean: a healthy prominence is the largest bin of a
      // noisy floor, which pairing by seed does not make less noisy.
      EXPECT_GT(pd[pop]["beta_prominence"][seed], 3 * meanOverSeeds(healthy[pop]["beta_prominence"]))
          << pop << " " << seed;
      EXPECT_GT(pd[pop]["synchrony_chi"][seed], healthy[pop]["synchrony_chi"][seed]) << pop << " " << seed;
      // Bursts (Poisson surprise, docs/model.md §7.8): at least twice the
      // healthy share of spikes.
      EXPECT_GT(pd[pop]["surprise_burst_fraction"][seed], 2 * healthy[pop]["surprise_burst_fraction"][seed])
          << pop << " " << seed;
      // DBS removes it: beta power at most half the Parkinsonian, and the
      // flattened spectrum flattens (the rhythm is suppressed, not moved;
      // the plain entropy falls as the background's power is what is left:
      // docs/model.md §7.6) ...
      EXPECT_LT(dbs[pop]["beta_power"][seed], 0.5 * pd[pop]["beta_power"][seed]) << pop << " " << seed;
      EXPECT_GT(dbs[pop]["flattened_entropy"][seed], pd[pop]["flattened_entropy"][seed])
          << pop << " " << seed;
      // ... and desynchronises: the electrode fires a tenth of the STN's
      // axons, not every cell in lockstep (docs/model.md §8.4).
      EXPECT_LT(dbs[pop]["synchrony_chi"][seed], pd[pop]["synchrony_chi"][seed]) << pop << " " << seed;
    }
    // The GPi follows the pulses a few ms after each (Hashimoto et al.
    // 2003: 2-7 ms). Its response is a broad excitation from 6 to 8 ms
    // (docs/model.md §8.4) whose peak bin (0.5 ms) is 6.75 or 7.25 ms by
    // seed: 2-7 ms on the seeds' mean, and each seed's peak bin starting
    // within the window (the bin [7, 7.5) ms counts).
    EXPECT_GE(dbs["GPi"]["pulse_latency_ms"][seed], 2) << seed;
    const double pulse_bin_ms = 0.5;  // analysis.pulse_bin_ms
    EXPECT_LT(dbs["GPi"]["pulse_latency_ms"][seed], 7 + pulse_bin_ms) << seed;
    // Healthy: the prototypic GPe is asynchronous-irregular (at most 0.089
    // in 20 seeds).
    EXPECT_LT(healthy["GPe_TI"]["synchrony_chi"][seed], 0.1) << seed;
  }
  EXPECT_LE(meanOverSeeds(dbs["GPi"]["pulse_latency_ms"]), 7);
  // Relative beta, on a log scale over the seeds: the STN's at least triples
  // (ln of the ratio 1.55 ± 0.31 per seed) and the GPe TI's at least doubles
  // (1.17 ± 0.24; × 3.5 over 10 s, where the background is better sampled).
  const auto meanLogRatio = [&](const char* pop) {
    double sum = 0;
    for (const std::string seed : {"1", "2", "3"})
      sum += std::log(pd[pop]["relative_beta"][seed] / healthy[pop]["relative_beta"][seed]);
    return sum / 3;
  };
  EXPECT_GT(meanLogRatio("STN"), std::log(3.0));
  EXPECT_GT(meanLogRatio("GPe_TI"), std::log(2.0));
}
