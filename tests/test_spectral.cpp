#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <vector>

#include "src/analysis/spectral.hpp"

using namespace cbgtc::analysis;

namespace {

constexpr double kPi = 3.14159265358979323846;
using Complex = std::complex<double>;

// O(n^2) reference. j*k is reduced mod n in integers so the reference's own
// angle error stays at an ulp.
std::vector<Complex> directDft(const std::vector<Complex>& x) {
  const std::size_t n = x.size();
  std::vector<Complex> out(n);
  for (std::size_t k = 0; k < n; ++k) {
    Complex sum(0.0, 0.0);
    for (std::size_t j = 0; j < n; ++j) {
      const double angle = -2.0 * kPi * static_cast<double>((j * k) % n) / static_cast<double>(n);
      sum += x[j] * Complex(std::cos(angle), std::sin(angle));
    }
    out[k] = sum;
  }
  return out;
}

std::vector<double> sinusoid(double amplitude, double f_hz, double fs_hz, double duration_s,
                             double offset = 0.0) {
  const auto n = static_cast<std::size_t>(std::llround(duration_s * fs_hz));
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i)
    x[i] = offset + amplitude * std::sin(2.0 * kPi * f_hz * static_cast<double>(i) / fs_hz);
  return x;
}

std::size_t argmax(const std::vector<double>& v) {
  return static_cast<std::size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

Spectrum flatSpectrum(double df_hz, std::size_t n_bins) {
  Spectrum s;
  s.df_hz = df_hz;
  s.segments = 1;
  s.psd.assign(n_bins, 1.0);
  for (std::size_t k = 0; k < n_bins; ++k) s.freq_hz.push_back(static_cast<double>(k) * df_hz);
  return s;
}

}  // namespace

// Every path: powers of two, lengths of radix-4, 2, 3 and 5 stages (alone
// and mixed, a whole number of milliseconds at 1 and 2 kHz among them), and
// Bluestein's for other prime factors.
TEST(Fft, MatchesDirectDft) {
  std::mt19937_64 gen(20240611);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (std::size_t n : {1u,   2u,   3u,   5u,    6u,    8u,    12u,   15u,  45u,   50u,
                        243u, 625u, 750u, 1000u, 1024u, 1600u, 2250u, 997u, 1001u, 1202u}) {
    std::vector<Complex> x(n);
    for (auto& v : x) v = Complex(u(gen), u(gen));
    const auto expected = directDft(x);
    const auto got = Impl::fft(x);
    ASSERT_EQ(got.size(), n);
    double scale = 0.0;
    for (const auto& v : expected) scale = std::max(scale, std::abs(v));
    double err = 0.0;
    for (std::size_t k = 0; k < n; ++k) err = std::max(err, std::abs(got[k] - expected[k]));
    // Rounding grows as eps·log n in a transform with exact twiddles (a
    // twiddle recurrence would grow as eps·n); the errors seen are below
    // 4e-15 of the largest coefficient, against a bound of 1e-14·log2 n.
    EXPECT_LE(err, 1e-14 * std::log2(static_cast<double>(n) + 1.0) * scale) << "n = " << n;
  }
}

// A plan keeps no state between transforms: reused on several inputs it
// gives what a fresh transform of each gives, bit for bit, and it refuses an
// input of another length.
TEST(Fft, PlannedTransformReusedEqualsFreshOneBitForBit) {
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (std::size_t n : {1000u, 1024u}) {
    const Impl::FftOfLength plan(n);
    EXPECT_EQ(plan.size(), n);
    for (int trial = 0; trial < 3; ++trial) {
      std::vector<Complex> x(n);
      for (auto& v : x) v = Complex(u(gen), u(gen));
      const auto fresh = Impl::fft(x);
      const auto planned = plan.forward(x);
      ASSERT_EQ(planned.size(), n);
      for (std::size_t k = 0; k < n; ++k) {
        ASSERT_EQ(planned[k].real(), fresh[k].real()) << "n " << n << " k " << k;
        ASSERT_EQ(planned[k].imag(), fresh[k].imag()) << "n " << n << " k " << k;
      }
    }
    EXPECT_THROW(plan.forward(std::vector<Complex>(n + 1)), std::invalid_argument);
  }
}

TEST(Fft, ImpulseAndConstantHaveAnalyticTransforms) {
  for (std::size_t n : {5u, 16u, 1000u}) {
    std::vector<Complex> impulse(n, Complex(0.0, 0.0));
    impulse[0] = 1.0;
    for (const auto& v : Impl::fft(impulse)) EXPECT_NEAR(std::abs(v - Complex(1.0, 0.0)), 0.0, 1e-12);
    const auto c = Impl::fft(std::vector<Complex>(n, Complex(1.0, 0.0)));
    EXPECT_NEAR(c[0].real(), static_cast<double>(n), 1e-9 * static_cast<double>(n));
    for (std::size_t k = 1; k < n; ++k)
      EXPECT_NEAR(std::abs(c[k]), 0.0, 1e-9 * static_cast<double>(n)) << "n " << n << " k " << k;
  }
  EXPECT_TRUE(Impl::fft({}).empty());
}

// A^2/2 is the power of A sin; Hann leakage of a pure tone stays within
// about +-2 bins, so a +-3 Hz band at 1 Hz resolution holds all but ~0.1 %.
TEST(Welch, SinusoidOnBinPeaksThereWithPowerHalfAmplitudeSquared) {
  const double a = 1.7, f = 20.0, fs = 1000.0;
  const auto s = welch(sinusoid(a, f, fs, 10.0), fs, WelchSettings{1000.0, 0.5});
  EXPECT_DOUBLE_EQ(s.df_hz, 1.0);
  EXPECT_EQ(s.segments, 19);  // (10000 - 1000) / 500 + 1
  ASSERT_EQ(s.psd.size(), 501u);
  EXPECT_EQ(argmax(s.psd), 20u);
  EXPECT_NEAR(bandPower(s, f - 3.0, f + 3.0), a * a / 2.0, 0.02 * a * a / 2.0);
}

TEST(Welch, SinusoidOffBinPeaksAtNearestBin) {
  const double a = 0.8, f = 21.3, fs = 1000.0;
  const auto s = welch(sinusoid(a, f, fs, 10.0), fs, WelchSettings{1000.0, 0.5});
  EXPECT_EQ(argmax(s.psd), 21u);
  EXPECT_DOUBLE_EQ(s.freq_hz[argmax(s.psd)], 21.0);
  EXPECT_NEAR(bandPower(s, f - 3.0, f + 3.0), a * a / 2.0, 0.02 * a * a / 2.0);
}

// White noise of variance sigma^2 has a flat one-sided density 2 sigma^2 / fs
// whose integral over [0, fs/2] is sigma^2. Seed fixed: the estimate over
// 119 overlapping segments is within ~1 % of both.
TEST(Welch, WhiteNoiseIntegratesToVarianceAndHasFlatDensity) {
  const double sigma = 2.0, fs = 1000.0;
  std::mt19937_64 gen(7);
  std::normal_distribution<double> normal(0.0, sigma);
  std::vector<double> x(60000);
  for (auto& v : x) v = normal(gen);
  const auto s = welch(x, fs, WelchSettings{});
  EXPECT_EQ(s.segments, 119);
  double integral = 0.0;
  for (double p : s.psd) integral += p * s.df_hz;
  EXPECT_NEAR(integral, sigma * sigma, 0.03 * sigma * sigma);
  // Interior bins only: DC is removed by the detrend and DC/Nyquist are not doubled.
  double interior = 0.0;
  for (std::size_t k = 1; k + 1 < s.psd.size(); ++k) interior += s.psd[k];
  interior /= static_cast<double>(s.psd.size() - 2);
  EXPECT_NEAR(interior, 2.0 * sigma * sigma / fs, 0.03 * 2.0 * sigma * sigma / fs);
}

// One segment spanning the record (y = (x - mean x) w, Y = DFT(y)):
//   Parseval          sum_{k<n} |Y_k|^2 = n sum_j y_j^2
//   one-sided fold    sum_k c_k |Y_k|^2 = sum_{k<n} |Y_k|^2
//                     (c_k = 2, or 1 at DC/Nyquist, since |Y_{n-k}| = |Y_k|)
//   density           psd_k = c_k |Y_k|^2 / (fs sum w^2),  df = fs / n
// so sum_k psd_k df = sum_j y_j^2 / sum_j w_j^2 exactly, for even and odd n.
TEST(Welch, SingleSegmentSatisfiesParsevalExactly) {
  std::mt19937_64 gen(99);
  std::uniform_real_distribution<double> u(-3.0, 5.0);
  for (std::size_t n : {1000u, 777u, 1024u, 2u, 3u}) {
    std::vector<double> x(n);
    for (auto& v : x) v = u(gen) + 0.01 * static_cast<double>(&v - x.data());  // offset and drift
    const double fs = 250.0;
    const auto s = welch(x, fs, WelchSettings{1e9, 0.5});  // segment clipped to the record
    ASSERT_EQ(s.segments, 1) << "n " << n;
    ASSERT_EQ(s.psd.size(), n / 2 + 1);
    EXPECT_DOUBLE_EQ(s.df_hz, fs / static_cast<double>(n));

    double mean = 0.0;
    for (double v : x) mean += v;
    mean /= static_cast<double>(n);
    double y2 = 0.0, w2 = 0.0;
    for (std::size_t j = 0; j < n; ++j) {
      const double w = 0.5 - 0.5 * std::cos(2.0 * kPi * static_cast<double>(j) / static_cast<double>(n));
      y2 += (x[j] - mean) * (x[j] - mean) * w * w;
      w2 += w * w;
    }
    double integral = 0.0;
    for (double p : s.psd) integral += p * s.df_hz;
    EXPECT_NEAR(integral, y2 / w2, 1e-10 * (y2 / w2)) << "n " << n;
  }
}

TEST(Welch, EachSegmentHasItsMeanRemoved) {
  const double fs = 1000.0;
  const auto x = sinusoid(1.5, 20.0, fs, 10.0, 3.5);
  const auto s = welch(x, fs, WelchSettings{});
  const double peak = *std::max_element(s.psd.begin(), s.psd.end());
  EXPECT_EQ(argmax(s.psd), 20u);
  EXPECT_LE(s.psd[0], 1e-20 * peak);
}

TEST(Welch, CountsOnlyFullSegments) {
  const std::vector<double> x(2600, 1.0);
  EXPECT_EQ(welch(x, 1000.0, WelchSettings{1000.0, 0.5}).segments, 4);  // starts 0, 500, 1000, 1500
  EXPECT_EQ(welch(x, 1000.0, WelchSettings{1000.0, 0.0}).segments, 2);
  EXPECT_EQ(welch(x, 1000.0, WelchSettings{1000.0, 0.75}).segments, 7);  // step 250: (2600 - 1000) / 250 + 1
  // Segment length rounds to samples: 0.4 ms at 40 kHz is 16 samples, df = 2.5 kHz.
  EXPECT_DOUBLE_EQ(welch(x, 40000.0, WelchSettings{0.4, 0.5}).df_hz, 2500.0);
}

TEST(Welch, ShortOrInvalidInput) {
  const auto empty = welch({}, 1000.0, WelchSettings{});
  EXPECT_EQ(empty.segments, 0);
  EXPECT_TRUE(empty.psd.empty());
  EXPECT_TRUE(empty.freq_hz.empty());
  EXPECT_EQ(welch({1.0}, 1000.0, WelchSettings{}).segments, 0);
  const std::vector<double> x(100, 0.0);
  EXPECT_THROW(welch(x, 0.0, WelchSettings{}), std::invalid_argument);
  EXPECT_THROW(welch(x, 1000.0, WelchSettings{1000.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(welch(x, 1000.0, WelchSettings{1000.0, -0.1}), std::invalid_argument);
  EXPECT_THROW(welch(x, 1000.0, WelchSettings{1.0, 0.5}), std::invalid_argument);  // 1 sample
}

TEST(BandBins, EdgesOnBinsAreIncluded) {
  using Range = std::pair<std::size_t, std::size_t>;
  EXPECT_EQ(bandBins(flatSpectrum(2.0, 251), 14.0, 30.0), Range(7, 16));  // bins 7..15
  EXPECT_EQ(bandBins(flatSpectrum(1.0, 501), 13.0, 30.0), Range(13, 31));
  // 400 ms - 100 ms burn-in at 40 kHz: df = 10/3 Hz, bins 13.3 .. 30.0 (k = 4..9).
  EXPECT_EQ(bandBins(flatSpectrum(10.0 / 3.0, 6001), 13.0, 30.0), Range(4, 10));
  EXPECT_EQ(bandBins(flatSpectrum(40000.0 / 12000.0, 6001), 13.0, 30.0), Range(4, 10));
}

// Cases where lo/df or hi/df rounds to the wrong side of an integer in
// double: 0.7 / 0.1 = 6.999999999999999, 2.1 / 0.3 = 7.000000000000001.
TEST(BandBins, ToleranceAbsorbsDivisionRounding) {
  using Range = std::pair<std::size_t, std::size_t>;
  ASSERT_LT(0.7 / 0.1, 7.0);
  ASSERT_GT(2.1 / 0.3, 7.0);
  EXPECT_EQ(bandBins(flatSpectrum(0.1, 100), 0.3, 0.7), Range(3, 8));
  EXPECT_EQ(bandBins(flatSpectrum(0.3, 100), 2.1, 3.0), Range(7, 11));
}

TEST(BandBins, EmptyAndClippedBands) {
  const auto s = flatSpectrum(1.0, 51);  // 0 .. 50 Hz
  const auto inside = bandBins(s, 13.2, 13.8);
  EXPECT_EQ(inside.first, inside.second);
  const auto reversed = bandBins(s, 30.0, 13.0);
  EXPECT_EQ(reversed.first, reversed.second);
  const auto above = bandBins(s, 60.0, 80.0);
  EXPECT_EQ(above.first, above.second);
  EXPECT_EQ(bandBins(s, -5.0, 2.0), (std::pair<std::size_t, std::size_t>(0, 3)));
  EXPECT_EQ(bandBins(s, 40.0, 1000.0), (std::pair<std::size_t, std::size_t>(40, 51)));
  const auto none = bandBins(Spectrum{}, 13.0, 30.0);
  EXPECT_EQ(none.first, none.second);
}

TEST(BandPower, RectangleRule) {
  auto s = flatSpectrum(0.5, 201);
  for (std::size_t k = 0; k < s.psd.size(); ++k) s.psd[k] = static_cast<double>(k);
  // bins 26..60 at df 0.5: sum k = (26 + 60) * 35 / 2 = 1505, times 0.5.
  EXPECT_DOUBLE_EQ(bandPower(s, 13.0, 30.0), 752.5);
  EXPECT_DOUBLE_EQ(bandPower(s, 13.2, 13.4), 0.0);
}

TEST(BetaMetrics, MixtureGivesAmplitudeRatio) {
  const double fs = 1000.0, a20 = 2.0, a60 = 1.0;
  auto x = sinusoid(a20, 20.0, fs, 10.0);
  const auto x60 = sinusoid(a60, 60.0, fs, 10.0);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] += x60[i];
  const auto m = betaMetrics(welch(x, fs, WelchSettings{}));
  const double expected = a20 * a20 / (a20 * a20 + a60 * a60);
  EXPECT_NEAR(m.relative_beta, expected, 0.02 * expected);
  EXPECT_NEAR(m.beta_power, a20 * a20 / 2.0, 0.02 * a20 * a20 / 2.0);
  EXPECT_DOUBLE_EQ(m.peak_hz, 20.0);
  EXPECT_GT(m.peak_psd, 0.0);
}

TEST(BetaMetrics, EmptyBandAndZeroTotal) {
  const auto m = betaMetrics(flatSpectrum(10.0, 51), 13.0, 19.0);  // no multiple of 10 in [13, 19]
  EXPECT_TRUE(std::isnan(m.peak_hz));
  EXPECT_EQ(m.peak_psd, 0.0);
  // A spectrum too coarse for the band measures no beta: NaN, not 0 (a
  // 10 ms window's 100 Hz bins would report "no beta power").
  EXPECT_TRUE(std::isnan(m.beta_power));
  EXPECT_TRUE(std::isnan(m.relative_beta));
  auto zero = flatSpectrum(1.0, 201);
  std::fill(zero.psd.begin(), zero.psd.end(), 0.0);
  EXPECT_TRUE(std::isnan(betaMetrics(zero).relative_beta)) << "no power: a share of nothing";
  EXPECT_TRUE(std::isnan(betaMetrics(zero).peak_hz)) << "a flat band has no peak";
  EXPECT_TRUE(std::isnan(betaMetrics(flatSpectrum(1.0, 201)).peak_hz));
  EXPECT_EQ(betaMetrics(zero).beta_power, 0.0);
  // 20 Hz bins (a 50 ms window): the band holds one bin, 20 Hz; a silent
  // trace's zero there is no peak, a positive power is.
  auto coarse = flatSpectrum(20.0, 26);
  std::fill(coarse.psd.begin(), coarse.psd.end(), 0.0);
  EXPECT_TRUE(std::isnan(betaMetrics(coarse).peak_hz)) << "a silent band of one bin has no peak";
  coarse.psd[1] = 1.0;
  EXPECT_DOUBLE_EQ(betaMetrics(coarse).peak_hz, 20.0);
  const auto none = betaMetrics(Spectrum{});  // an empty analysed window
  EXPECT_TRUE(std::isnan(none.beta_power));
  EXPECT_TRUE(std::isnan(none.relative_beta));
}

TEST(BetaMetrics, PeakIsFirstMaximumInBand) {
  auto s = flatSpectrum(1.0, 101);
  s.psd[12] = 100.0;  // outside the band: ignored
  s.psd[17] = 5.0;
  s.psd[25] = 5.0;
  const auto m = betaMetrics(s);
  EXPECT_DOUBLE_EQ(m.peak_hz, 17.0);
  EXPECT_DOUBLE_EQ(m.peak_psd, 5.0);
  EXPECT_DOUBLE_EQ(m.relative_beta, (18.0 + 8.0) / (100.0 + 99.0 + 8.0));
}

// A power-law spectrum has no peak (prominence 1, whatever its exponent); a
// Gaussian bump of relative height 4 on it at 20 Hz stands above the
// background fitted outside the beta band by its factor at the peak bin.
TEST(BandProminence, PeakOverTheFittedPowerLaw) {
  Spectrum s;
  s.df_hz = 0.5;
  for (int k = 0; k <= 400; ++k) {
    s.freq_hz.push_back(k * s.df_hz);
    const double f = std::max(k * s.df_hz, 0.5);
    s.psd.push_back(3.0 * std::pow(f, -1.5));
  }
  EXPECT_NEAR(bandProminence(s, 13, 30, 1, 100), 1.0, 1e-9);
  for (int k = 0; k <= 400; ++k) {
    const double f = k * s.df_hz;
    s.psd[k] *= 1 + 4 * std::exp(-0.5 * std::pow((f - 20) / 2, 2)) * (f >= 13 && f <= 30 ? 1 : 0);
  }
  // At the band's largest bin (19.5 Hz: the falling background shifts it
  // below the bump's centre) the bump's factor over the background.
  std::size_t best = 26;
  for (std::size_t k = 26; k <= 60; ++k)
    if (s.psd[k] > s.psd[best]) best = k;
  EXPECT_DOUBLE_EQ(best * s.df_hz, 19.5);
  EXPECT_NEAR(bandProminence(s, 13, 30, 1, 100), 1 + 4 * std::exp(-0.5 * std::pow((19.5 - 20) / 2, 2)), 1e-9);
  EXPECT_TRUE(std::isnan(bandProminence(Spectrum{}, 13, 30, 1, 100)));
}

namespace {

// Standard normal samples by Box–Muller from the generator's raw 64-bit
// output, so the noise (and the tests' margins) is the same with every
// standard library, unlike std::normal_distribution.
class Gaussian {
 public:
  explicit Gaussian(std::uint64_t seed) : gen_(seed) {}
  double operator()() {
    const double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
  }

 private:
  double uniform() { return (static_cast<double>(gen_() >> 11) + 0.5) * 0x1.0p-53; }  // in (0, 1)
  std::mt19937_64 gen_;
};

std::vector<double> whiteNoise(std::size_t n, std::uint64_t seed) {
  Gaussian normal(seed);
  std::vector<double> x(n);
  for (auto& v : x) v = normal();
  return x;
}

}  // namespace

// Entropies known exactly: a flat band (p = 1/K) gives 1, one nonzero bin 0,
// two equal bins ln 2 / ln K.
TEST(SpectralEntropy, FlatIsOneAndLinesAreLnOfTheirCount) {
  Spectrum s = flatSpectrum(1.0, 501);
  EXPECT_NEAR(spectralEntropy(s, 1.0, 100.0), 1.0, 1e-12);
  std::fill(s.psd.begin(), s.psd.end(), 0.0);
  s.psd[20] = 5.0;
  EXPECT_NEAR(spectralEntropy(s, 1.0, 100.0), 0.0, 1e-12);
  s.psd[60] = 5.0;
  EXPECT_NEAR(spectralEntropy(s, 1.0, 100.0), std::log(2.0) / std::log(100.0), 1e-12);
  // Power outside the band does not count: [10, 40] holds one line.
  EXPECT_NEAR(spectralEntropy(s, 10.0, 40.0), 0.0, 1e-12);
}

TEST(SpectralEntropy, NaNWithoutTwoBinsOrWithoutPower) {
  Spectrum s = flatSpectrum(1.0, 501);
  EXPECT_TRUE(std::isnan(spectralEntropy(s, 20.0, 20.0)));    // one bin
  EXPECT_TRUE(std::isnan(spectralEntropy(s, 20.5, 20.7)));    // no bin
  EXPECT_TRUE(std::isnan(spectralEntropy(s, 600.0, 700.0)));  // past the last bin
  EXPECT_TRUE(std::isnan(spectralEntropy(Spectrum{}, 1.0, 100.0)));
  std::fill(s.psd.begin(), s.psd.end(), 0.0);
  EXPECT_TRUE(std::isnan(spectralEntropy(s, 1.0, 100.0)));
}

// The flattened spectrum of a power law is flat, whatever its exponent: its
// entropy is 1 where the plain entropy of a steep background is far below.
// A peak of relative height r in one bin of the K leaves the other bins' flat
// share and gives, with the background fitted exactly outside the band,
// H = (ln(K − 1 + r) − r·ln r/(K − 1 + r))/ln K.
TEST(FlattenedSpectralEntropy, OneOnAnyPowerLawAndAPeakLowersItAsItsShare) {
  Spectrum s;
  s.df_hz = 1.0;
  for (int k = 0; k <= 500; ++k) {
    s.freq_hz.push_back(k);
    s.psd.push_back(k == 0 ? 7.0 : 7.0 * std::pow(k, -2.0));
  }
  const PowerLaw background = aperiodicBackground(s, 13, 30, 1, 100);
  EXPECT_NEAR(background.exponent, -2.0, 1e-12);
  EXPECT_NEAR(background.at(10.0), 0.07, 1e-14);
  EXPECT_NEAR(flattenedSpectralEntropy(s, 1, 100, background), 1.0, 1e-12);
  EXPECT_LT(spectralEntropy(s, 1, 100), 0.5);
  const double K = 100, r = 30;
  s.psd[20] *= r;
  const PowerLaw fitted = aperiodicBackground(s, 13, 30, 1, 100);
  EXPECT_NEAR(flattenedSpectralEntropy(s, 1, 100, fitted),
              (std::log(K - 1 + r) - r * std::log(r) / (K - 1 + r)) / std::log(K), 1e-12);
  // Undefined without a usable fit, at f = 0, or without two bins.
  EXPECT_TRUE(std::isnan(aperiodicBackground(Spectrum{}, 13, 30, 1, 100).exponent));
  EXPECT_TRUE(
      std::isnan(flattenedSpectralEntropy(s, 1, 100, aperiodicBackground(Spectrum{}, 13, 30, 1, 100))));
  EXPECT_TRUE(std::isnan(flattenedSpectralEntropy(s, 0, 100, fitted)));
  EXPECT_TRUE(std::isnan(flattenedSpectralEntropy(s, 20, 20, fitted)));
}

// An on-bin sinusoid under a periodic Hann window has DFT magnitudes
// N/4 at its bin and N/8 at the two neighbours, 0 elsewhere: psd in the ratio
// 1/4 : 1 : 1/4, p = (1/6, 2/3, 1/6), H ln K = (1/3) ln 6 + (2/3) ln(3/2).
TEST(SpectralEntropy, WelchOfASinusoidSpreadsOverThreeBins) {
  const double fs = 1000.0;
  const auto s = welch(sinusoid(1.3, 40.0, fs, 8.0), fs, WelchSettings{});
  const double expected = (std::log(6.0) / 3.0 + 2.0 / 3.0 * std::log(1.5)) / std::log(100.0);
  EXPECT_NEAR(spectralEntropy(s, 1.0, 100.0), expected, 1e-9);
}

// Gaussian white noise, K independent segments (overlap 0): an interior
// bin's estimate is P(1 + ε) with ε a mean of K unit exponentials minus 1,
// Var ε = 1/K. Expanding −Σ p ln p around p = 1/M over M bins,
//   1 − H ≈ mean(ε²) / (2 ln M) → E[1 − H] = 1 / (2 K ln M)
// (next order: relative 2/(3K) ≈ 1 %). Its spread: Var(ε²) = 2/K² per bin,
// over M bins whose Hann-windowed neighbours correlate (|ρ| = 2/3 between
// adjacent DFT coefficients, so ρ⁴ = 16/81 between their ε²): a factor
// 1 + 2·(16/81) on the variance of the mean. Tolerance: 4 standard deviations.
TEST(SpectralEntropy, WhiteNoiseFallsShortOfOneByTheEstimatorsVariance) {
  const double fs = 1000.0;
  const int segments = 64;
  const auto x = whiteNoise(static_cast<std::size_t>(segments) * 1000, 2024);
  const auto s = welch(x, fs, WelchSettings{1000.0, 0.0});
  ASSERT_EQ(s.segments, segments);
  const double bins = 499.0;  // 1 .. 499 Hz: DC and Nyquist have half the degrees of freedom
  const double expected_deficit = 1.0 / (2.0 * segments * std::log(bins));
  const double sd_mean_eps2 = std::sqrt(2.0 * (1.0 + 2.0 * 16.0 / 81.0) / bins) / segments;
  const double sd_deficit = sd_mean_eps2 / (2.0 * std::log(bins));
  EXPECT_NEAR(1.0 - spectralEntropy(s, 1.0, 499.0), expected_deficit, 4.0 * sd_deficit);
}

// Tones at 23 Hz (amplitude 1) and 50 Hz (amplitude 3), on 1 Hz bins: an
// on-bin tone of amplitude A has psd A²·N/(3 fs) = A²/(3 df) at its bin
// (|X| = A N/4, Σw² = 3N/8, doubled one-sided).
TEST(GlobalPeak, LargestBinOfTheBand) {
  const double fs = 1000.0;
  auto x = sinusoid(1.0, 23.0, fs, 4.0);
  const auto big = sinusoid(3.0, 50.0, fs, 4.0);
  for (std::size_t j = 0; j < x.size(); ++j) x[j] += big[j];
  const auto s = welch(x, fs, WelchSettings{});
  const Peak beta = globalPeak(s, 13.0, 30.0);
  EXPECT_DOUBLE_EQ(beta.freq_hz, 23.0);
  EXPECT_NEAR(beta.psd, 1.0 / 3.0, 1e-9);
  const Peak all = globalPeak(s, 1.0, 100.0);
  EXPECT_DOUBLE_EQ(all.freq_hz, 50.0);
  EXPECT_NEAR(all.psd, 9.0 / 3.0, 1e-9);
}

TEST(GlobalPeak, FirstOnTiesAndNoPeakWithoutPower) {
  Spectrum s = flatSpectrum(0.5, 201);
  std::fill(s.psd.begin(), s.psd.end(), 0.0);
  const Peak none = globalPeak(s, 1.0, 50.0);
  EXPECT_TRUE(std::isnan(none.freq_hz));
  EXPECT_EQ(none.psd, 0.0);
  EXPECT_TRUE(std::isnan(globalPeak(s, 200.0, 300.0).freq_hz));  // past the last bin
  EXPECT_TRUE(std::isnan(globalPeak(Spectrum{}, 1.0, 50.0).freq_hz));
  s.psd[30] = 2.0;  // 15 Hz
  s.psd[50] = 2.0;  // 25 Hz
  EXPECT_DOUBLE_EQ(globalPeak(s, 1.0, 50.0).freq_hz, 15.0);
  EXPECT_DOUBLE_EQ(globalPeak(s, 16.0, 50.0).freq_hz, 25.0);
  EXPECT_DOUBLE_EQ(globalPeak(s, 16.0, 50.0).psd, 2.0);
}

// A signal is fully coherent with itself and with any affine copy (the
// offset is removed with each segment's mean).
TEST(Coherence, IdenticalSignalsAreFullyCoherent) {
  const double fs = 1000.0;
  std::vector<double> x = whiteNoise(10000, 5), y(x.size());
  for (std::size_t j = 0; j < x.size(); ++j) y[j] = -2.5 * x[j] + 7.0;
  for (const auto* other : {&x, &y}) {
    const Coherence c = coherence(x, *other, fs, WelchSettings{});
    EXPECT_EQ(c.segments, 19);
    EXPECT_DOUBLE_EQ(c.df_hz, 1.0);
    ASSERT_EQ(c.coherence.size(), 501u);
    for (std::size_t k = 0; k < c.coherence.size(); ++k) {
      ASSERT_NEAR(c.coherence[k], 1.0, 1e-12) << k;
      ASSERT_DOUBLE_EQ(c.freq_hz[k], static_cast<double>(k));
    }
    EXPECT_NEAR(bandMeanCoherence(c, 13.0, 30.0), 1.0, 1e-12);
  }
}

// x: tones on every 5th 1 Hz bin from 5 to 495 Hz with random amplitudes and
// phases; y: x through a linear time-invariant system (a gain and a phase
// shift per frequency) and delayed 7.3 ms, computed exactly. On-bin tones
// under a Hann window reach only their bin and its two neighbours, so in
// every segment each of those bins of y is a fixed complex multiple of x's:
// the coherence is exactly 1 wherever there is power.
TEST(Coherence, FilteredAndDelayedCopyIsFullyCoherentWhereThereIsPower) {
  const double fs = 1000.0, delay_s = 0.0073;
  std::mt19937_64 gen(11);
  const auto uniform = [&gen](double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(gen() >> 11) * 0x1.0p-53;
  };
  std::vector<double> x(6000, 0.0), y(6000, 0.0);
  for (int f = 5; f < 500; f += 5) {
    const double amplitude = uniform(0.2, 2.0), phase = uniform(0.0, 2 * kPi);
    const double gain = uniform(0.1, 3.0), shift = uniform(-kPi, kPi);
    for (std::size_t j = 0; j < x.size(); ++j) {
      const double t = static_cast<double>(j) / fs;
      x[j] += amplitude * std::cos(2 * kPi * f * t + phase);
      y[j] += gain * amplitude * std::cos(2 * kPi * f * (t - delay_s) + phase + shift);
    }
  }
  const Coherence c = coherence(x, y, fs, WelchSettings{});
  for (int f = 5; f < 500; f += 5)
    for (int k = f - 1; k <= f + 1; ++k)
      ASSERT_NEAR(c.coherence[static_cast<std::size_t>(k)], 1.0, 1e-9) << k;
}

// Independent Gaussian noises, K = 16 independent segments (overlap 0): the
// coherence of a bin is Beta(1, K − 1) distributed, mean 1/K, variance
// (K − 1)/(K²(K + 1)). Averaged over the M = 997 interior bins of 1–499 Hz
// and R = 8 pairs; neighbouring bins correlate through the Hann window
// (their ε² by ρ⁴ = 16/81, as above), bounded here by a factor 2 on the
// variance. Tolerance: 4 standard deviations, ~6 % of 1/K: a 1/(K − 1) bias
// (+6.7 %) would fail.
TEST(Coherence, IndependentNoisesHaveTheBiasOneOverSegments) {
  const double fs = 1000.0;
  const int segments = 16, pairs = 8;
  const double bins = 997.0;  // 1 .. 499 Hz at 0.5 Hz
  double sum = 0.0;
  for (int r = 0; r < pairs; ++r) {
    const auto x = whiteNoise(static_cast<std::size_t>(segments) * 2000, 100 + r);
    const auto y = whiteNoise(x.size(), 200 + r);
    const Coherence c = coherence(x, y, fs, WelchSettings{2000.0, 0.0});
    ASSERT_EQ(c.segments, segments);
    sum += bandMeanCoherence(c, 1.0, 499.0);
  }
  const double k = segments;
  const double variance = (k - 1) / (k * k * (k + 1));
  EXPECT_NEAR(sum / pairs, 1.0 / k, 4.0 * std::sqrt(2.0 * variance / (bins * pairs)));
}

TEST(Coherence, ShortOrInvalidInput) {
  EXPECT_EQ(coherence({}, {}, 1000.0).segments, 0);
  EXPECT_TRUE(coherence({1.0}, {2.0}, 1000.0).coherence.empty());
  const std::vector<double> x(100, 0.0), shorter(99, 0.0);
  EXPECT_THROW(coherence(x, shorter, 1000.0), std::invalid_argument);
  EXPECT_THROW(coherence(x, x, 0.0), std::invalid_argument);
  EXPECT_THROW(coherence(x, x, 1000.0, WelchSettings{1000.0, 1.0}), std::invalid_argument);
  EXPECT_THROW(coherence(x, x, 1000.0, WelchSettings{1.0, 0.5}), std::invalid_argument);
  // No power at all: undefined at every bin.
  for (double v : coherence(x, x, 1000.0).coherence) EXPECT_TRUE(std::isnan(v));
}

TEST(Coherence, BandMeanSkipsUndefinedBins) {
  Coherence c;
  c.df_hz = 1.0;
  c.segments = 1;
  c.freq_hz = {0, 1, 2, 3, 4};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  c.coherence = {nan, 0.2, 0.4, nan, 0.9};
  EXPECT_NEAR(bandMeanCoherence(c, 0.0, 3.0), 0.3, 1e-15);
  EXPECT_NEAR(bandMeanCoherence(c, 1.0, 4.0), 0.5, 1e-15);
  EXPECT_TRUE(std::isnan(bandMeanCoherence(c, 3.0, 3.0)));
  EXPECT_TRUE(std::isnan(bandMeanCoherence(c, 10.0, 20.0)));
}
