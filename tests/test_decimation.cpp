// The LFP proxy's anti-aliasing (src/analysis/decimation.hpp, docs/model.md
// §7.2): the sampling plan, the low-pass's response against sinusoids of
// known frequency, and, through a network, a 130 Hz pulse-locked synaptic
// current whose harmonics must not alias into the analysed band.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

#include "src/analysis/decimation.hpp"
#include "src/simulation.hpp"
#include "tests/memory_writer.hpp"

using namespace cbgtc;
using namespace cbgtc::analysis;
using cbgtc::test::MemoryWriter;

namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<double> sine(double f_hz, double fs_hz, std::size_t n) {
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = std::sin(2 * kPi * f_hz * static_cast<double>(i) / fs_hz + 0.3);
  return x;
}

/// Root mean square of y[from, size − from).
double rms(const std::vector<double>& y, std::size_t from) {
  double s = 0;
  for (std::size_t i = from; i + from < y.size(); ++i) s += y[i] * y[i];
  return std::sqrt(s / static_cast<double>(y.size() - 2 * from));
}

}  // namespace

// device_every · decimation is the analysed interval; the decimation is the
// smallest divisor of at least 8, or the whole interval (every step).
TEST(LfpSampling, SplitsTheIntervalIntoDeviceSamplesAndADecimation) {
  for (std::int64_t every = 1; every <= 400; ++every) {
    const LfpSampling s = lfpSampling(every);
    ASSERT_EQ(s.every, every);
    ASSERT_EQ(s.device_every * s.decimation, every) << every;
    std::int64_t smallest = every;
    for (std::int64_t d = 8; d < every; ++d)
      if (every % d == 0) {
        smallest = d;
        break;
      }
    EXPECT_EQ(s.decimation, smallest) << every;
  }
  EXPECT_EQ(lfpSampling(40).device_every, 5);  // 1 ms at dt = 0.025 ms: 8 kHz on the device
}

TEST(Decimation, FilterIsSymmetricWithUnitGain) {
  for (const std::int64_t d : {2, 5, 8, 10, 40}) {
    const auto h = decimationFilter(d);
    ASSERT_EQ(h.size(), static_cast<std::size_t>(12 * d + 1));
    EXPECT_NEAR(std::accumulate(h.begin(), h.end(), 0.0), 1.0, 1e-12);
    for (std::size_t j = 0; j < h.size(); ++j) EXPECT_DOUBLE_EQ(h[j], h[h.size() - 1 - j]);
  }
  EXPECT_EQ(decimationFilter(1), std::vector<double>{1.0});
}

// A constant passes exactly (the ends mirrored), a ramp keeps its time base
// (y[m] is x at m·D: the filter is centred), and the output has one sample
// per D input samples.
TEST(Decimation, KeepsConstantsAndTheTimeBase) {
  const std::int64_t d = 8;
  const std::vector<double> c(1001, 3.5);
  const auto y = decimate(c, d);
  ASSERT_EQ(y.size(), 126u);
  for (double v : y) EXPECT_NEAR(v, 3.5, 1e-12);
  std::vector<double> ramp(1001);
  std::iota(ramp.begin(), ramp.end(), 0.0);
  const auto r = decimate(ramp, d);
  for (std::size_t m = 7; m + 7 < r.size(); ++m) EXPECT_NEAR(r[m], static_cast<double>(m * d), 1e-9) << m;
}

// At 8 kHz in, 1 kHz out: up to 0.27·f_out the amplitude is kept within
// 0.1 %; from 0.73·f_out on it is cut by at least 70 dB, so 910 Hz (the 7th
// harmonic of 130 Hz DBS) does not reach 90 Hz.
TEST(Decimation, PassesTheAnalysedBandsAndRemovesWhatWouldAlias) {
  const double fs = 8000;
  const std::int64_t d = 8;
  const std::size_t n = 81600;  // 10.2 s: the 10 s inside the 100-sample ends hold whole periods
  for (const double f : {2.0, 20.0, 90.0, 200.0, 260.0}) {
    const auto y = decimate(sine(f, fs, n), d);
    EXPECT_NEAR(rms(y, 100) * std::sqrt(2.0), 1.0, 1e-3) << f << " Hz";
  }
  for (const double f : {730.0, 910.0, 1000.0, 1950.0, 3990.0}) {
    const auto y = decimate(sine(f, fs, n), d);
    EXPECT_LT(rms(y, 100) * std::sqrt(2.0), std::pow(10.0, -70.0 / 20)) << f << " Hz";
  }
}

// The passband edge the analyses and the configuration check use is a
// property of the filter, not of one decimation: a sinusoid there keeps its
// amplitude within 0.1 % for every D (1 kHz out). Without decimation the
// edge is the Nyquist frequency.
TEST(Decimation, PassesUpToItsPassbandEdgeForEveryDecimation) {
  const double fs_out = 1000;
  for (const std::int64_t d : {8, 10, 40}) {
    const double edge_hz = passbandHz(lfpSampling(d), fs_out);
    EXPECT_DOUBLE_EQ(edge_hz, 270.0) << d;
    const auto y =
        decimate(sine(edge_hz, fs_out * static_cast<double>(d), static_cast<std::size_t>(10200 * d)), d);
    EXPECT_NEAR(rms(y, 100) * std::sqrt(2.0), 1.0, 1e-3) << "D = " << d;
  }
  EXPECT_DOUBLE_EQ(passbandHz(lfpSampling(1), fs_out), 500.0);
}

// A target population whose only input is a 130 Hz volley (every axon of
// a source fired by each pulse): its proxy is pulse-locked, with harmonics
// at multiples of 130 Hz. Analysed at 1 kHz, none may fold below 100 Hz:
// the 7th (910 Hz) would alias to 90 Hz, the 8th (1040 Hz) to 40 Hz. The
// reference is the same run analysed at 8 kHz, where nothing folds below
// 100 Hz; the pulses' onsets on the step grid repeat every 13 pulses
// (100 ms), so the true spectrum has lines at multiples of 10 Hz, and the
// 1 kHz analysis must find the same lines, not larger ones.
TEST(Decimation, PulseHarmonicsDoNotAliasIntoTheProxysSpectrum) {
  auto psd = [](double lfp_sample_ms) {
    SimulationConfig c;
    c.simulation.duration_ms = 4200;
    c.analysis.burn_in_ms = 200;
    c.analysis.lfp_sample_ms = lfp_sample_ms;
    c.populations = {PopulationSettings::of("SRC", "lif", 20), PopulationSettings::of("TGT", "lif", 20)};
    ProjectionSettings p;
    p.name = "volley";
    p.source = "SRC";
    p.target = "TGT";
    p.rule = "fixed_indegree";
    p.indegree = 20;
    p.g_total = 20;
    p.weight_cv = 0;
    p.delay_ms = 1;
    p.tau_ms = 0.5;  // sharp: large harmonics
    p.E_rev_mV = 0;
    c.projections = {p};
    StimulusSettings dbs;
    dbs.name = "dbs";
    dbs.kind = "axonal";
    dbs.population = "SRC";
    dbs.frequency_hz = 130;
    dbs.probability = 1;
    c.stimuli = {dbs};
    MemoryWriter w;
    {
      Simulation sim(c);
      sim.run(&w);
    }
    const auto& f = w.datasets.at("/metrics/TGT/psd_freq_hz");
    EXPECT_DOUBLE_EQ(f[1] - f[0], 1.0);
    return w.datasets.at("/metrics/TGT/psd");
  };
  const std::vector<double> analysed = psd(1), reference = psd(0.125);
  double total = 0;
  for (std::size_t k = 1; k <= 100; ++k) total += reference[k];
  ASSERT_GT(total, 0);
  for (const std::size_t alias : {40, 90}) {
    EXPECT_GT(reference[alias], 0) << alias << " Hz";
    EXPECT_NEAR(analysed[alias], reference[alias], 0.02 * reference[alias] + 1e-6 * total) << alias << " Hz";
  }
}
