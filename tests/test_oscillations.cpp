// Oscillation analyses (src/analysis/oscillations.*) on signals whose answer
// is known: a band's phase and envelope, Tort's modulation index of a
// signal built with a given coupling, and bursts placed by construction.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "src/analysis/oscillations.hpp"
#include "src/simulation.hpp"
#include "tests/config_helpers.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc::analysis;

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double fs = 1000.0;
}  // namespace

// A 20 Hz cosine plus a 100 Hz one: the 13–30 Hz band's phase is 2π·20t and
// its envelope 1, whole cycles being periodic for the FFT.
TEST(Oscillations, AnalyticBandGivesPhaseAndEnvelope) {
  std::vector<double> x(2000);
  for (std::size_t j = 0; j < x.size(); ++j) {
    const double t = j / fs;
    x[j] = 0.7 * std::cos(2 * kPi * 20 * t + 0.4) + 0.3 * std::cos(2 * kPi * 100 * t);
  }
  const auto a = analyticBand(x, fs, 13, 30);
  for (std::size_t j = 0; j < x.size(); ++j) {
    const double t = j / fs;
    ASSERT_NEAR(std::abs(a[j]), 0.7, 1e-9) << j;
    ASSERT_NEAR(std::remainder(std::arg(a[j]) - (2 * kPi * 20 * t + 0.4), 2 * kPi), 0.0, 1e-9) << j;
  }
  EXPECT_THROW(analyticBand(x, 0, 13, 30), std::invalid_argument);
}

// The 100 Hz amplitude is 1 + m·cos(φ) with φ the 21 Hz phase: the mean
// amplitude per phase bin is 1 + m·(bin average of cos φ), so the index is
// that distribution's (log N − H)/log N, computed here from the formula.
// The phase offset keeps every sample off the bin edges.
TEST(Oscillations, ModulationIndexOfAKnownCoupling) {
  const int bins = 18;
  const auto phaseAt = [](std::size_t j) { return 2 * kPi * 21 * (j / fs) + 0.05; };
  for (const double m : {0.0, 0.3, 0.8}) {
    std::vector<double> x(4000);  // 84 whole cycles of 21 Hz
    for (std::size_t j = 0; j < x.size(); ++j)
      x[j] = std::cos(phaseAt(j)) + 0.2 * (1 + m * std::cos(phaseAt(j))) * std::cos(2 * kPi * 100 * (j / fs));
    std::vector<double> sum(bins, 0), count(bins, 0);
    for (std::size_t j = 0; j < x.size(); ++j) {
      const double phase = std::remainder(phaseAt(j), 2 * kPi);
      const int b = std::min(std::max(static_cast<int>(std::floor((phase + kPi) / (2 * kPi) * bins)), 0), bins - 1);
      sum[b] += 1 + m * std::cos(phase);
      count[b] += 1;
    }
    double total = 0, entropy = 0;
    std::vector<double> mean(bins);
    for (int b = 0; b < bins; ++b) total += mean[b] = sum[b] / count[b];
    for (double v : mean) entropy -= v / total * std::log(v / total);
    const double expected = (std::log(double(bins)) - entropy) / std::log(double(bins));
    // The envelope (1 + m cos φ)·0.2 puts sidebands at 79 and 121 Hz: the
    // amplitude band 60–140 Hz holds them.
    EXPECT_NEAR(modulationIndex(x, fs, 13, 30, 60, 140, bins), expected, 1e-9) << m;
  }
}

// Beta whose amplitude rises and falls as a Hann window (0.1 → 1 → 0.1)
// over [0.3, 0.9) s and [1.6, 2.4) s: where the envelope exceeds the 75th
// percentile θ is one interval per burst, centred, of width
// L·(1 − (2/π)·asin(sqrt((θ − 0.1)/0.9))).
TEST(Oscillations, BurstsArePlacedWhereTheBetaIs) {
  const double starts[2] = {0.3, 1.6}, lengths[2] = {0.6, 0.8};
  std::vector<double> x(3000);
  for (std::size_t j = 0; j < x.size(); ++j) {
    const double t = j / fs;
    double amplitude = 0.1;
    for (int b = 0; b < 2; ++b)
      if (t >= starts[b] && t < starts[b] + lengths[b])
        amplitude += 0.9 * std::pow(std::sin(kPi * (t - starts[b]) / lengths[b]), 2);
    x[j] = amplitude * std::sin(2 * kPi * 20 * t);
  }
  const Bursts b = bursts(x, fs, 13, 30, 75);
  ASSERT_EQ(b.count, 2) << b.threshold;
  for (int k = 0; k < 2; ++k) {
    const double width_ms = 1000 * lengths[k] * (1 - 2 / kPi * std::asin(std::sqrt((b.threshold - 0.1) / 0.9)));
    EXPECT_NEAR(b.duration_ms[k], width_ms, 3) << k;
    EXPECT_NEAR(b.start_ms[k] + b.duration_ms[k] / 2, 1000 * (starts[k] + lengths[k] / 2), 3) << k;
  }
  EXPECT_NEAR(b.rate_hz, 2 / 3.0, 1e-12);
}

// Four Hann-shaped beta bursts of known lengths and peak amplitudes on a
// weak continuous beta (amplitude 0.1): the envelope is
// e(t) = 0.1 + Σ A_i·sin²(π(t − s_i)/L_i). Its 75th percentile θ is taken
// here from e itself; a burst is above θ for L_i·(1 − (2/π)·asin(sqrt((θ − 0.1)/A_i))),
// and its peak is 0.1 + A_i. The third burst is built to stay above θ for
// about 46 ms: it counts only under a minimum duration below that.
TEST(Oscillations, BurstsShorterThanTheMinimumDurationAreNotCounted) {
  const double background = 0.1;
  const double starts[4] = {0.4, 1.4, 2.3, 3.0}, lengths[4] = {0.6, 0.5, 0.4, 0.8};
  const double peaks[4] = {1.0, 0.6, 0.4, 0.8};
  std::vector<double> x(4000), envelope(x.size());
  for (std::size_t j = 0; j < x.size(); ++j) {
    const double t = j / fs;
    envelope[j] = background;
    for (int k = 0; k < 4; ++k)
      if (t >= starts[k] && t < starts[k] + lengths[k])
        envelope[j] += peaks[k] * std::pow(std::sin(kPi * (t - starts[k]) / lengths[k]), 2);
    x[j] = envelope[j] * std::sin(2 * kPi * 20 * t);
  }
  std::vector<double> sorted = envelope;
  std::sort(sorted.begin(), sorted.end());
  const double threshold = sorted[static_cast<std::size_t>(0.75 * (sorted.size() - 1))];
  double width_ms[4];
  for (int k = 0; k < 4; ++k)
    width_ms[k] =
        1000 * lengths[k] * (1 - 2 / kPi * std::asin(std::sqrt((threshold - background) / peaks[k])));
  // The design's margins: the short burst well under 100 ms, the others well over.
  ASSERT_LT(width_ms[2], 60);
  for (int k : {0, 1, 3}) ASSERT_GT(width_ms[k], 150) << k;

  const Bursts b = bursts(x, fs, 13, 30, 75, 100);
  // The whole-trace band-pass cuts the bursts' spectral tails (−31 dB Hann
  // sidelobes past 13–30 Hz): the envelope, hence θ and the peaks, is off
  // by < 1e-3; widths are whole samples (1 ms) with centres on half samples.
  EXPECT_NEAR(b.threshold, threshold, 5e-4);
  ASSERT_EQ(b.count, 3);
  const int counted[3] = {0, 1, 3};
  double amplitude_sum = 0;
  for (int i = 0; i < 3; ++i) {
    const int k = counted[i];
    EXPECT_NEAR(b.duration_ms[i], width_ms[k], 2) << k;
    EXPECT_NEAR(b.start_ms[i] + b.duration_ms[i] / 2, 1000 * (starts[k] + lengths[k] / 2), 2) << k;
    EXPECT_NEAR(b.amplitude[i], background + peaks[k], 2e-3) << k;
    amplitude_sum += background + peaks[k];
  }
  EXPECT_NEAR(b.mean_amplitude, amplitude_sum / 3, 2e-3);
  EXPECT_NEAR(b.rate_hz, 3 / 4.0, 1e-12);
  EXPECT_NEAR(b.mean_duration_ms, (width_ms[0] + width_ms[1] + width_ms[3]) / 3, 2);

  // Without a minimum every crossing counts, the short burst too.
  const Bursts all = bursts(x, fs, 13, 30, 75, 0);
  ASSERT_EQ(all.count, 4);
  EXPECT_NEAR(all.start_ms[2] + all.duration_ms[2] / 2, 1000 * (starts[2] + lengths[2] / 2), 2);
  EXPECT_NEAR(all.amplitude[2], background + peaks[2], 2e-3);
  // The default minimum is Tinkhauser's 100 ms.
  EXPECT_EQ(bursts(x, fs, 13, 30, 75).count, 3);
}

// In a run every population's metrics carry the coupling and burst measures
// of its LFP proxy; the coupling is undefined when its amplitude band lies
// above the proxy's Nyquist frequency. Bursts honour
// analysis.burst_min_duration_ms: with the default 100 ms none is shorter
// (this small network's 1 s of beta may have none), with 0 every crossing
// counts and there are some.
TEST(Oscillations, RunMetricsCarryCouplingAndBursts) {
  cbgtc::SimulationConfig c;
  c.simulation.duration_ms = 1200;
  cbgtc::test::setSizes(c, 20, 30, 25);
  cbgtc::test::MemoryWriter w;
  {
    cbgtc::Simulation sim(c);
    sim.run(&w);
  }
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const std::string m = std::string("/metrics/") + pop + "/";
    EXPECT_GE(w.numbers.at(m + "pac_mi"), 0.0) << pop;
    EXPECT_LE(w.numbers.at(m + "pac_mi"), 1.0) << pop;
    const double mean_ms = w.numbers.at(m + "beta_burst_mean_ms");
    EXPECT_TRUE(std::isnan(mean_ms) || mean_ms >= 100.0) << pop << " " << mean_ms;
  }
  c.analysis.burst_min_duration_ms = 0;
  cbgtc::test::MemoryWriter every;
  {
    cbgtc::Simulation sim(c);
    sim.run(&every);
  }
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    const std::string m = std::string("/metrics/") + pop + "/";
    EXPECT_GT(every.numbers.at(m + "beta_burst_rate_hz"), 0.0) << pop;
    EXPECT_GT(every.numbers.at(m + "beta_burst_mean_ms"), 0.0) << pop;
  }
  c.analysis.burst_min_duration_ms = 100;
  c.analysis.lfp_sample_ms = 5;  // Nyquist 100 Hz, below the 200 Hz edge of the gamma band
  c.analysis.total_hi_hz = 100;
  cbgtc::test::MemoryWriter coarse;
  {
    cbgtc::Simulation sim(c);
    sim.run(&coarse);
  }
  EXPECT_TRUE(std::isnan(coarse.numbers.at("/metrics/STN/pac_mi")));
}
