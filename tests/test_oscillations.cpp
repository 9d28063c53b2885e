// Oscillation analyses (src/analysis/oscillations.*) on signals whose answer
// is known: a band's phase and envelope, Tort's modulation index of a
// signal built with a given coupling, and bursts placed by construction.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "src/analysis/oscillations.hpp"
#include "src/analysis/trace_metrics.hpp"
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

// One trace's bands from its spectrum taken once: each band, taken in any
// order after others, is what a band-pass and Hilbert transform of its own
// gives (the transforms written out here: FFT, the band's positive bins
// doubled, inverse FFT), bit for bit.
TEST(Oscillations, BandsOfOneSpectrumEqualEachBandOnItsOwn) {
  std::mt19937_64 gen(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> x(1500);
  for (double& v : x) v = 3.0 + normal(gen);
  const auto ownBand = [&](double lo, double hi) {
    const std::size_t n = x.size();
    double mean = 0;
    for (double v : x) mean += v / static_cast<double>(n);
    std::vector<std::complex<double>> a(n);
    for (std::size_t j = 0; j < n; ++j) a[j] = x[j] - mean;
    a = cbgtc::analysis::Impl::fft(std::move(a));
    for (std::size_t k = 0; k < n; ++k) {
      const double f = static_cast<double>(k) * fs / static_cast<double>(n);
      a[k] = k > 0 && 2 * k < n && f >= lo && f <= hi ? 2.0 * a[k] : std::complex<double>(0.0);
    }
    for (auto& v : a) v = std::conj(v);
    a = cbgtc::analysis::Impl::fft(std::move(a));
    for (auto& v : a) v = std::conj(v) / static_cast<double>(n);
    return a;
  };
  const AnalyticBands bands(x, fs);
  for (const auto& [lo, hi] :
       std::vector<std::pair<double, double>>{{13, 30}, {60, 200}, {0, 500}, {13, 30}, {4, 4}}) {
    const auto got = bands.band(lo, hi);
    const auto want = ownBand(lo, hi);
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t j = 0; j < got.size(); ++j) {
      ASSERT_EQ(got[j].real(), want[j].real()) << lo << "-" << hi << " Hz, sample " << j;
      ASSERT_EQ(got[j].imag(), want[j].imag()) << lo << "-" << hi << " Hz, sample " << j;
    }
  }
  EXPECT_THROW(bands.band(30, 13), std::invalid_argument);
  EXPECT_THROW(AnalyticBands(x, 0), std::invalid_argument);
  EXPECT_TRUE(AnalyticBands({}, fs).band(13, 30).empty());
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

namespace {

// Tort's index from its definition (docs/model.md §7.5) for known phases
// (rad) and amplitudes: mean amplitude per phase bin, normalised, against
// the uniform distribution. Independent of analyticBand: the test knows both.
double tortIndexFromDefinition(const std::vector<double>& phase, const std::vector<double>& amplitude,
                               int bins) {
  std::vector<double> sum(bins, 0), count(bins, 0);
  for (std::size_t j = 0; j < phase.size(); ++j) {
    const double wrapped = std::remainder(phase[j], 2 * kPi);
    const int b = std::clamp(static_cast<int>(std::floor((wrapped + kPi) / (2 * kPi) * bins)), 0, bins - 1);
    sum[b] += amplitude[j];
    count[b] += 1;
  }
  double total = 0, entropy = 0;
  std::vector<double> mean(bins);
  for (int b = 0; b < bins; ++b) total += mean[b] = sum[b] / count[b];
  for (double v : mean) entropy -= v / total * std::log(v / total);
  return (std::log(double(bins)) - entropy) / std::log(double(bins));
}

// Uniform in [0, 1) from the generator's raw bits (the same on every library).
double uniform01(std::mt19937_64& gen) { return static_cast<double>(gen() >> 11) * 0x1.0p-53; }

// Narrow-band "beta": z(t) = Σ_i a_i exp(i(2π f_i t + ψ_i)), 40 tones with
// f_i on the 0.05 Hz grid of a 20 s trace in 16–24 Hz. Its phase wanders,
// so an envelope shifted by ≥ 1 s is decorrelated from it (correlation time
// ~1/8 Hz), and every tone is a whole-trace FFT bin, so analyticBand
// recovers z and anything built from it exactly.
std::vector<std::complex<double>> narrowBandBeta(std::size_t n, std::mt19937_64& gen) {
  std::vector<std::complex<double>> z(n);
  for (int i = 0; i < 40; ++i) {
    const double f = 16 + 0.05 * std::floor(161 * uniform01(gen));
    const double amplitude = 0.5 + uniform01(gen), phase = 2 * kPi * uniform01(gen);
    for (std::size_t j = 0; j < n; ++j) z[j] += std::polar(amplitude, 2 * kPi * f * (j / fs) + phase);
  }
  return z;
}

// x = Re z + 0.2·A(t)·cos(2π·100 t), A = 1 + m·Re w/max|w|: with w = z the
// gamma amplitude follows the beta phase, with an independent w it does
// not. A lies in 1 ± m (> 0) and its 16–24 Hz content puts the gamma in
// 76–124 Hz, inside a 60–140 Hz amplitude band; the beta is inside 13–30 Hz.
struct CouplingSignal {
  std::vector<double> x, beta_phase, gamma_amplitude;
};
CouplingSignal couplingSignal(double m, bool coupled, std::uint64_t seed) {
  const std::size_t n = 20000;
  std::mt19937_64 gen(seed);
  const auto z = narrowBandBeta(n, gen);
  const auto w = coupled ? z : narrowBandBeta(n, gen);
  double w_max = 0;
  for (const auto& v : w) w_max = std::max(w_max, std::abs(v));
  CouplingSignal s;
  s.x.resize(n);
  s.beta_phase.resize(n);
  s.gamma_amplitude.resize(n);
  for (std::size_t j = 0; j < n; ++j) {
    s.gamma_amplitude[j] = 0.2 * (1 + m * w[j].real() / w_max);
    s.beta_phase[j] = std::arg(z[j]);
    s.x[j] = z[j].real() + s.gamma_amplitude[j] * std::cos(2 * kPi * 100 * (j / fs));
  }
  return s;
}

}  // namespace

// The published test vector of splitmix64 from state 0 (Vigna's splitmix64.c).
TEST(Oscillations, Splitmix64MatchesTheReferenceSequence) {
  std::uint64_t state = 0;
  EXPECT_EQ(Impl::splitmix64(state), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(Impl::splitmix64(state), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(Impl::splitmix64(state), 0x06c45d188009454fULL);
}

// Gamma amplitude A = 1 + m·Re z/max|z| driven by the beta z itself. The
// index is that of A binned by arg z, from the definition, to 1e-9.
// Significance expected: E[A | φ] = 1 + m'·cos φ with m' = m·E|z|/max|z|, so
// MI ≈ m'²/(4 ln N) (N = 18 bins); a surrogate pairs φ with an independent
// A, whose N bin means scatter by σ_A²/n_eff for n_eff ≈ T·B = 20 s × 8 Hz
// = 160 independent samples, MI_null ≈ (N − 1)·σ_A²/(2 ln N · n_eff). For
// Gaussian z, E|z| = sqrt(π/2)·σ_Re z, so MI/MI_null ≈ π·n_eff/(4(N − 1)) ≈ 7,
// and with the null's s.d. at most its mean (a χ²-like law), z ≳ 6: > 5.
TEST(Oscillations, ModulationIndexZOfACouplingIsSignificant) {
  const CouplingSignal s = couplingSignal(0.5, true, 1);
  const PacResult r = modulationIndexZ(s.x, fs, 13, 30, 60, 140, 200, 7);
  EXPECT_NEAR(r.mi, tortIndexFromDefinition(s.beta_phase, s.gamma_amplitude, 18), 1e-9);
  EXPECT_DOUBLE_EQ(r.mi, modulationIndex(s.x, fs, 13, 30, 60, 140));
  EXPECT_EQ(r.surrogates, 200);
  EXPECT_GT(r.z, 5.0) << r.mi << " " << r.surrogate_mean << " " << r.surrogate_sd;
  EXPECT_LT(r.surrogate_mean, r.mi / 5);
  EXPECT_NEAR(r.z, (r.mi - r.surrogate_mean) / r.surrogate_sd, 1e-12);
}

// Independent beta and gamma amplitude: the trace's own index is one more
// draw from the surrogates' law, so z is of order 1. A right-skewed null
// (s.d. ≈ mean, near exponential) exceeds mean + 4 s.d. with probability
// ~e^−5 < 1 %: of 5 independent signals at least 4 have |z| < 4.
TEST(Oscillations, ModulationIndexZWithoutCouplingIsOfOrderOne) {
  int small = 0;
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const CouplingSignal s = couplingSignal(0.8, false, seed);
    const PacResult r = modulationIndexZ(s.x, fs, 13, 30, 60, 140, 200, seed);
    ASSERT_TRUE(std::isfinite(r.z)) << seed;
    if (std::abs(r.z) < 4) ++small;
  }
  EXPECT_GE(small, 4);
}

// The surrogates are a function of the seed alone; the index is not.
TEST(Oscillations, ModulationIndexZIsReproducible) {
  const CouplingSignal s = couplingSignal(0.5, true, 2);
  const PacResult a = modulationIndexZ(s.x, fs, 13, 30, 60, 140, 50, 42);
  const PacResult b = modulationIndexZ(s.x, fs, 13, 30, 60, 140, 50, 42);
  EXPECT_EQ(a.mi, b.mi);
  EXPECT_EQ(a.surrogate_mean, b.surrogate_mean);
  EXPECT_EQ(a.surrogate_sd, b.surrogate_sd);
  const PacResult c = modulationIndexZ(s.x, fs, 13, 30, 60, 140, 50, 43);
  EXPECT_EQ(c.mi, a.mi);
  EXPECT_NE(c.surrogate_mean, a.surrogate_mean);
  // Under 3 s the lags come from [n/10, 9n/10]; still surrogates, still
  // defined. At 2 s, lags of at least 1 s from the alignment would all be
  // the same lag: the surrogates must still spread.
  for (const std::size_t samples : {1500, 2000, 2999}) {
    const std::vector<double> short_x(s.x.begin(), s.x.begin() + static_cast<std::ptrdiff_t>(samples));
    const PacResult d = modulationIndexZ(short_x, fs, 13, 30, 60, 140, 50, 1);
    EXPECT_EQ(d.surrogates, 50);
    EXPECT_TRUE(std::isfinite(d.z)) << samples;
    EXPECT_GT(d.surrogate_sd, 0.05 * d.surrogate_mean) << samples;
  }
  // Too short to bin, or too few surrogates for a spread.
  EXPECT_TRUE(std::isnan(modulationIndexZ(std::vector<double>(10, 1.0), fs, 13, 30, 60, 140).mi));
  const PacResult one = modulationIndexZ(s.x, fs, 13, 30, 60, 140, 1, 1);
  EXPECT_TRUE(std::isfinite(one.surrogate_mean));
  EXPECT_TRUE(std::isnan(one.z));
}

// 10 Hz phase couples the 120 Hz amplitude, 1 + 0.8 cos φ, under weak white
// noise (σ = 0.1); 8 s at 1024 Hz puts 10, 110, 120 and 130 Hz on bins. The
// cell (10, 120), band 110–130, holds the carrier and both sidebands: its
// index is that of 1 + 0.8 cos φ from the definition, up to the noise's
// ~7 % scatter on the envelope averaged over ~450 samples a bin (5 %). Cells
// holding one sideband have about (0.4/0.8)² of it; other phases have none.
namespace {

/// cos φ plus 0.3·(1 + 0.8 cos φ)·cos(2π·120 t) plus white noise of s.d.
/// `noise`, φ the phase of `phase_hz`: its phase and amplitude kept.
struct CoupledSignal {
  std::vector<double> x, phase, amplitude;
  CoupledSignal(double rate_hz, std::size_t n, double phase_hz, double noise, std::uint64_t seed)
      : x(n), phase(n), amplitude(n) {
    std::mt19937_64 gen(seed);
    for (std::size_t j = 0; j < n; ++j) {
      const double t = j / rate_hz;
      const double white =
          noise * std::sqrt(-2 * std::log(1 - uniform01(gen))) * std::cos(2 * kPi * uniform01(gen));
      phase[j] = 2 * kPi * phase_hz * t;
      amplitude[j] = 1 + 0.8 * std::cos(phase[j]);
      x[j] = std::cos(phase[j]) + 0.3 * amplitude[j] * std::cos(2 * kPi * 120 * t) + white;
    }
  }
};

}  // namespace

TEST(Oscillations, ComodulogramPeaksAtTheCoupledPair) {
  const double rate_hz = 1024;
  const CoupledSignal s(rate_hz, 8192, 10, 0.1, 3);
  const std::vector<double>&x = s.x, &phase = s.phase, &amplitude = s.amplitude;
  std::vector<double> phase_hz, amp_hz;
  for (int f = 4; f <= 40; f += 2) phase_hz.push_back(f);
  for (int f = 30; f <= 200; f += 10) amp_hz.push_back(f);
  const Comodulogram c = comodulogram(x, rate_hz, phase_hz, amp_hz);
  ASSERT_EQ(c.mi.size(), phase_hz.size() * amp_hz.size());
  std::size_t best = 0;
  for (std::size_t i = 0; i < c.mi.size(); ++i) {
    // Amplitude bands a ± p lie above the phase band p ± 1 for a > 2p + 1.
    const double phase_hz_i = c.phase_hz[i / amp_hz.size()], amp_hz_i = c.amp_hz[i % amp_hz.size()];
    ASSERT_EQ(std::isnan(c.mi[i]), amp_hz_i <= 2 * phase_hz_i + 1) << phase_hz_i << " " << amp_hz_i;
    if (c.mi[i] > c.mi[best]) best = i;
  }
  EXPECT_EQ(c.phase_hz[best / amp_hz.size()], 10.0);
  EXPECT_EQ(c.amp_hz[best % amp_hz.size()], 120.0);
  const double expected = tortIndexFromDefinition(phase, amplitude, 18);
  EXPECT_NEAR(c.mi[best], expected, 0.05 * expected);
  // Row-major [phase][amp], each cell modulationIndex of its bands.
  const std::size_t row = 3, column = 9;  // 10 Hz ± 1, 120 Hz ± 10
  EXPECT_EQ(c.mi[row * amp_hz.size() + column], modulationIndex(x, rate_hz, 9, 11, 110, 130));
}

// The run's grid sees a gamma amplitude coupled to a beta phase: 120 Hz
// modulated by 1 + 0.8 cos φ of a 20 Hz rhythm has sidebands at 100 and
// 140 Hz, which a 120 ± 10 Hz band misses (its index would be 10⁻⁶ of the
// definition's); 120 ± 20 holds them. The noise (half the other test's: the
// band is twice as wide) flattens the envelope's modulation by a few per cent.
TEST(Oscillations, RunComodulogramSeesCouplingToABetaPhase) {
  const double rate_hz = 1000;
  const CoupledSignal s(rate_hz, 10000, 20, 0.05, 5);
  const std::vector<double>&x = s.x, &phase = s.phase, &amplitude = s.amplitude;
  const Comodulogram c = runComodulogram(x, rate_hz, rate_hz / 2);
  const std::size_t columns = c.amp_hz.size();
  std::size_t best = 0;
  for (std::size_t i = 0; i < c.mi.size(); ++i)
    if (!std::isnan(c.mi[i]) && (std::isnan(c.mi[best]) || c.mi[i] > c.mi[best])) best = i;
  EXPECT_EQ(c.phase_hz[best / columns], 20.0);
  EXPECT_EQ(c.amp_hz[best % columns], 120.0);
  const double expected = tortIndexFromDefinition(phase, amplitude, 18);
  EXPECT_NEAR(c.mi[best], expected, 0.05 * expected);
}

// The run's comodulogram is that of the trace's longest head whose length
// has no prime factor but 2, 3 and 5 (10 300 samples: 10 240).
TEST(Oscillations, RunComodulogramTakesTheTracesFastLengthHead) {
  EXPECT_EQ(fastFftLength(0), 0u);
  EXPECT_EQ(fastFftLength(1), 1u);
  EXPECT_EQ(fastFftLength(103), 100u);
  EXPECT_EQ(fastFftLength(10000), 10000u);
  EXPECT_EQ(fastFftLength(10300), 10240u);
  EXPECT_EQ(fastFftLength(10367), 10240u);
  EXPECT_EQ(fastFftLength(10368), 10368u);  // 2^7 · 3^4
  std::vector<double> x(1030);
  for (std::size_t j = 0; j < x.size(); ++j)
    x[j] = std::cos(0.13 * j) * (1 + 0.5 * std::cos(0.7 * j)) + std::sin(j * j % 7);
  const Comodulogram run = runComodulogram(x, 1000, 500);
  std::vector<double> head(x.begin(), x.begin() + 1024);
  const Comodulogram expected = comodulogram(head, 1000, run.phase_hz, run.amp_hz, 1.0, 0.0, 18, 500);
  ASSERT_EQ(run.mi.size(), expected.mi.size());
  int defined = 0;
  for (std::size_t i = 0; i < run.mi.size(); ++i) {
    if (std::isnan(expected.mi[i])) {
      EXPECT_TRUE(std::isnan(run.mi[i])) << i;
    } else {
      EXPECT_EQ(run.mi[i], expected.mi[i]) << i;
      ++defined;
    }
  }
  EXPECT_GT(defined, 200);
}

// 300 samples at 1 kHz resolve 10/3 Hz: a phase band of 7-9 Hz holds no
// frequency of the spectrum (6.7, 10, ...), so its phase is undefined and so
// is the index (not 1, one phase bin holding every sample); 9-11 Hz holds
// 10 Hz. Likewise an amplitude band between two frequencies.
TEST(Oscillations, ModulationIndexIsNaNForABandBetweenTheSpectrumsFrequencies) {
  std::vector<double> x(300);
  for (std::size_t j = 0; j < x.size(); ++j)
    x[j] = std::cos(2 * kPi * 10 * (j / fs)) + 0.3 * std::sin(0.37 * j) +
           0.1 * std::cos(2 * kPi * 100 * (j / fs));
  EXPECT_TRUE(std::isnan(modulationIndex(x, fs, 7, 9, 60, 140)));
  EXPECT_TRUE(std::isnan(modulationIndexZ(x, fs, 7, 9, 60, 140, 10, 1).mi));
  EXPECT_TRUE(std::isnan(modulationIndexZ(x, fs, 7, 9, 60, 140, 10, 1).z));
  const double resolved = modulationIndex(x, fs, 9, 11, 60, 140);
  EXPECT_TRUE(std::isfinite(resolved));
  EXPECT_LT(resolved, 0.5);
  EXPECT_TRUE(std::isnan(modulationIndex(x, fs, 9, 11, 101, 103)));  // 100 and 103.3 Hz lie outside
  const Comodulogram c = comodulogram(x, fs, {8, 10}, {100});
  EXPECT_TRUE(std::isnan(c.mi[0]));
  EXPECT_EQ(c.mi[1], modulationIndex(x, fs, 9, 11, 90, 110));
}

TEST(Oscillations, ComodulogramIsNaNWhereABandLeavesTheSpectrum) {
  std::vector<double> x(4000);
  for (std::size_t j = 0; j < x.size(); ++j) x[j] = std::cos(2 * kPi * 10 * j / 400.0) + std::sin(0.37 * j);
  // At 400 Hz (Nyquist 200): amp 190 ± 4 fits, 190 ± 12 does not; amp 30 ± 40 starts below 0 Hz.
  const Comodulogram c = comodulogram(x, 400, {4, 12, 40}, {30, 190});
  EXPECT_TRUE(std::isfinite(c.mi[0 * 2 + 0]));  // (4, 30 ± 4)
  EXPECT_TRUE(std::isfinite(c.mi[0 * 2 + 1]));  // (4, 190 ± 4)
  EXPECT_TRUE(std::isfinite(c.mi[1 * 2 + 0]));  // (12, 30 ± 12)
  EXPECT_TRUE(std::isnan(c.mi[1 * 2 + 1]));     // (12, 190 ± 12)
  EXPECT_TRUE(std::isnan(c.mi[2 * 2 + 0]));     // (40, 30 ± 40)
  EXPECT_TRUE(std::isnan(c.mi[2 * 2 + 1]));
  // A fixed half-width: ± 10 Hz for every phase. 20–40 Hz lies above the
  // phases 3–5 and 11–13 Hz but reaches into 39–41 Hz.
  const Comodulogram fixed = comodulogram(x, 400, {4, 12, 40}, {30, 190}, 1.0, 10.0);
  for (std::size_t p = 0; p < 3; ++p) {
    EXPECT_TRUE(std::isfinite(fixed.mi[p * 2 + 1])) << p;  // 180–200 Hz
    if (p < 2)
      EXPECT_EQ(fixed.mi[p * 2 + 0],
                modulationIndex(x, 400, fixed.phase_hz[p] - 1, fixed.phase_hz[p] + 1, 20, 40));
  }
  EXPECT_TRUE(std::isnan(fixed.mi[2 * 2 + 0]));
  // Bands that meet: 12 ± 1 against 30 ± 17 (13–47 Hz) is undefined, 30 ± 16.9 is not.
  EXPECT_TRUE(std::isnan(comodulogram(x, 400, {12}, {30}, 1.0, 17.0).mi[0]));
  EXPECT_TRUE(std::isfinite(comodulogram(x, 400, {12}, {30}, 1.0, 16.9).mi[0]));
  // A lower band limit (a decimated trace's passband edge) ends the bands
  // there: 180–200 Hz is past 108 Hz, 20–40 Hz is not, and the values
  // inside are those without the limit.
  const Comodulogram limited = comodulogram(x, 400, {4, 12, 40}, {30, 190}, 1.0, 10.0, 18, 108.0);
  for (std::size_t p = 0; p < 3; ++p) {
    EXPECT_TRUE(std::isnan(limited.mi[p * 2 + 1])) << p;
    EXPECT_TRUE(std::isnan(limited.mi[p * 2 + 0]) ? std::isnan(fixed.mi[p * 2 + 0])
                                                  : limited.mi[p * 2 + 0] == fixed.mi[p * 2 + 0])
        << p;
  }
  EXPECT_THROW(comodulogram(x, 400, {4}, {30}, -1.0), std::invalid_argument);
}

// In a run every population's metrics carry the coupling and burst measures
// of its LFP proxy; the coupling is undefined when its amplitude band lies
// above the proxy's passband edge (§7.2). Bursts honour
// analysis.burst_min_duration_ms: the threshold does not depend on it, so
// the bursts of 30 ms are exactly those of 0 ms (every crossing, some in
// each population) that last 30 ms or more.
TEST(Oscillations, RunMetricsCarryCouplingAndBursts) {
  cbgtc::SimulationConfig c;
  c.simulation.duration_ms = 1200;
  cbgtc::test::setSizes(c, 20, 30, 25);
  c.analysis.burst_min_duration_ms = 30;
  cbgtc::test::MemoryWriter w;
  {
    cbgtc::Simulation sim(c);
    sim.run(&w);
  }
  c.analysis.burst_min_duration_ms = 0;
  cbgtc::test::MemoryWriter every;
  {
    cbgtc::Simulation sim(c);
    sim.run(&every);
  }
  std::size_t long_bursts = 0;
  for (const char* pop : {"STN", "GPe", "GPi"}) {
    SCOPED_TRACE(pop);
    const std::string m = std::string("/metrics/") + pop + "/";
    EXPECT_TRUE(std::isfinite(w.numbers.at(m + "pac_mi")));  // its value: NetworkRun tests
    EXPECT_GT(every.numbers.at(m + "beta_burst_rate_hz"), 0.0);
    EXPECT_GT(every.numbers.at(m + "beta_burst_mean_ms"), 0.0);
    EXPECT_EQ(w.numbers.at(m + "beta_burst_threshold"), every.numbers.at(m + "beta_burst_threshold"));
    const auto& start = every.datasets.at(m + "beta_burst_start_ms");
    const auto& duration = every.datasets.at(m + "beta_burst_duration_ms");
    const auto& peak = every.datasets.at(m + "beta_burst_peak");
    ASSERT_EQ(duration.size(), start.size());
    ASSERT_EQ(peak.size(), start.size());
    std::vector<double> long_start, long_duration, long_peak;
    for (std::size_t b = 0; b < start.size(); ++b)
      if (duration[b] >= 30.0 - 1e-9) {
        long_start.push_back(start[b]);
        long_duration.push_back(duration[b]);
        long_peak.push_back(peak[b]);
      }
    EXPECT_EQ(w.datasets.at(m + "beta_burst_start_ms"), long_start);
    EXPECT_EQ(w.datasets.at(m + "beta_burst_duration_ms"), long_duration);
    EXPECT_EQ(w.datasets.at(m + "beta_burst_peak"), long_peak);
    long_bursts += long_start.size();
  }
  EXPECT_GT(long_bursts, 0u);
  c.analysis.burst_min_duration_ms = 100;
  c.analysis.lfp_sample_ms = 5;  // passband edge 54 Hz, below the 200 Hz edge of the gamma band
  c.analysis.total_hi_hz = 50;
  cbgtc::test::MemoryWriter coarse;
  {
    cbgtc::Simulation sim(c);
    sim.run(&coarse);
  }
  EXPECT_TRUE(std::isnan(coarse.numbers.at("/metrics/STN/pac_mi")));
  // The comodulogram's amplitude bands (a ± p, a = 30, 40, ... Hz, p = 4,
  // 6, ... Hz) end at the passband edge (54.x Hz here), not at the Nyquist
  // frequency (100 Hz), and lie above the phase band p ± 1: a cell is
  // defined where 2p + 1 < a and a + p <= 54 (50 ± 4, not 50 ± 6).
  const auto& phase_hz = coarse.datasets.at("/metrics/STN/comodulogram_phase_hz");
  const auto& amp_hz = coarse.datasets.at("/metrics/STN/comodulogram_amplitude_hz");
  const auto& como = coarse.datasets.at("/metrics/STN/comodulogram");
  ASSERT_EQ(como.size(), phase_hz.size() * amp_hz.size());
  int defined = 0;
  for (std::size_t p = 0; p < phase_hz.size(); ++p)
    for (std::size_t a = 0; a < amp_hz.size(); ++a) {
      const bool expected = 2 * phase_hz[p] + 1 < amp_hz[a] && amp_hz[a] + phase_hz[p] <= 54;
      EXPECT_EQ(!std::isnan(como[p * amp_hz.size() + a]), expected) << phase_hz[p] << " " << amp_hz[a];
      defined += expected;
    }
  EXPECT_EQ(defined, 13);  // (4; 30, 40, 50) and (6–14; 30, 40)
}

// A trace with a non-finite sample has no defined envelope (the transform
// spreads it everywhere): no bursts, and the search ends.
TEST(Oscillations, BurstsOfANonFiniteTraceAreNone) {
  std::vector<double> x(2000);
  for (std::size_t j = 0; j < x.size(); ++j) x[j] = std::sin(2 * 3.14159265358979 * 20 * j / 1000.0);
  x[700] = std::nan("");
  EXPECT_EQ(cbgtc::analysis::bursts(x, 1000.0, 13, 30, 75, 0).count, 0);
  x[700] = std::numeric_limits<double>::infinity();
  EXPECT_EQ(cbgtc::analysis::bursts(x, 1000.0, 13, 30, 75, 0).count, 0);
}

// A trace shorter than the shortest burst cannot hold one: its burst rate
// is undefined, not 0 (a 10 ms analysed window would read "0 bursts per second").
TEST(Oscillations, ATraceShorterThanABurstHasNoBurstRate) {
  std::vector<double> x(99);  // 99 ms at 1 kHz, against a 100 ms minimum
  for (std::size_t j = 0; j < x.size(); ++j) x[j] = std::sin(2 * 3.14159265358979 * 20 * j / 1000.0);
  EXPECT_TRUE(std::isnan(cbgtc::analysis::bursts(x, 1000.0, 13, 30, 75, 100).rate_hz));
  x.push_back(0.0);  // 100 ms: long enough for one
  EXPECT_FALSE(std::isnan(cbgtc::analysis::bursts(x, 1000.0, 13, 30, 75, 100).rate_hz));
}
