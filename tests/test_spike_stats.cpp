#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "src/analysis/spike_stats.hpp"

using namespace cbgtc::analysis;

TEST(MeanIsiCv, RegularTrainIsZero) {
  std::vector<double> train;
  for (int i = 0; i < 50; ++i) train.push_back(5.0 + 10.0 * i);
  EXPECT_EQ(meanIsiCv({train}), 0.0);
  // Spike times on a dt = 0.025 ms grid: intervals differ only by rounding.
  std::vector<double> grid;
  for (int i = 0; i < 50; ++i) grid.push_back(0.025 * (37 * i));
  EXPECT_NEAR(meanIsiCv({grid}), 0.0, 1e-12);
}

// ISIs {10, 20}: mean 15, population std 5, CV = 1/3.
TEST(MeanIsiCv, TwoIntervalsGiveAnalyticCv) {
  EXPECT_DOUBLE_EQ(meanIsiCv({{0.0, 10.0, 30.0}}), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(meanIsiCv({{30.0, 0.0, 10.0}}), 1.0 / 3.0);  // unsorted input
  // Mean over neurons: (1/3 + 0) / 2.
  EXPECT_DOUBLE_EQ(meanIsiCv({{0.0, 10.0, 30.0}, {1.0, 2.0, 3.0, 4.0}}), 1.0 / 6.0);
}

// A 2-spike neuron has std(ISI) = 0; counting it as CV = 0 (the prototype,
// model.md D8) would halve the mean here.
TEST(MeanIsiCv, TwoSpikeNeuronsAreExcluded) {
  EXPECT_DOUBLE_EQ(meanIsiCv({{0.0, 10.0, 30.0}, {5.0, 50.0}, {}, {7.0}}), 1.0 / 3.0);
  // Asking for the prototype's rule explicitly brings them back.
  EXPECT_DOUBLE_EQ(meanIsiCv({{0.0, 10.0, 30.0}, {5.0, 50.0}}, 2), 1.0 / 6.0);
}

TEST(MeanIsiCv, NoQualifyingNeuronIsNan) {
  EXPECT_TRUE(std::isnan(meanIsiCv({})));
  EXPECT_TRUE(std::isnan(meanIsiCv({{1.0, 2.0}, {}, {3.0}})));
  EXPECT_TRUE(std::isnan(meanIsiCv({{0.0, 10.0, 30.0}}, 4)));
  EXPECT_TRUE(std::isnan(meanIsiCv({{4.0, 4.0, 4.0}})));  // coincident spikes: mean ISI 0
}

TEST(FiringRateHz, SimpleCases) {
  EXPECT_DOUBLE_EQ(firingRateHz(100, 10, 1000.0), 10.0);
  EXPECT_DOUBLE_EQ(firingRateHz(30, 100, 300.0), 1.0);
  EXPECT_DOUBLE_EQ(firingRateHz(0, 100, 500.0), 0.0);
  EXPECT_DOUBLE_EQ(firingRateHz(7, 1, 250.0), 28.0);
  EXPECT_EQ(firingRateHz(5, 0, 1000.0), 0.0);
  EXPECT_EQ(firingRateHz(5, 10, 0.0), 0.0);
  EXPECT_THROW(firingRateHz(5, -1, 1000.0), std::invalid_argument);
  EXPECT_THROW(firingRateHz(5, 10, -1.0), std::invalid_argument);
}

// P(N ≥ 1) = 1 − e^−λ and P(N ≥ 2) = 1 − e^−λ(1 + λ), on both sides of
// n = λ (the head and the tail are summed differently).
TEST(PoissonSurprise, MatchesTheClosedFormsForOneAndTwoSpikes) {
  for (const double lambda : {0.001, 0.3, 1.0, 1.7, 4.0, 25.0}) {
    SCOPED_TRACE(lambda);
    EXPECT_NEAR(poissonSurprise(1, lambda), -std::log10(-std::expm1(-lambda)), 1e-12);
    EXPECT_NEAR(poissonSurprise(2, lambda), -std::log10(1.0 - std::exp(-lambda) * (1.0 + lambda)),
                1e-10 * std::max(1.0, poissonSurprise(2, lambda)));
  }
  EXPECT_EQ(poissonSurprise(0, 3.0), 0.0);
  EXPECT_TRUE(std::isinf(poissonSurprise(1, 0.0)));
}

// P(N ≥ n) = P(N ≥ n + 1) + P(N = n), in logarithms so that tails far
// below the smallest double keep the identity.
TEST(PoissonSurprise, TailsAddUpTermByTerm) {
  for (const double lambda : {0.05, 2.0, 30.0}) {
    for (std::int64_t n = 1; n < 400; n += 7) {
      SCOPED_TRACE(std::to_string(lambda) + " " + std::to_string(n));
      const double log_pmf =
          (-lambda + static_cast<double>(n) * std::log(lambda) - std::lgamma(static_cast<double>(n) + 1.0)) /
          std::log(10.0);
      const double next = -poissonSurprise(n + 1, lambda);  // log10 P(N ≥ n + 1)
      const double high = std::max(next, log_pmf);
      const double sum = high + std::log10(std::pow(10.0, next - high) + std::pow(10.0, log_pmf - high));
      EXPECT_NEAR(-poissonSurprise(n, lambda), sum, 1e-9 * std::max(1.0, std::abs(sum)));
    }
  }
}

// A 10 Hz regular train with bursts of 5 spikes 2 ms apart halfway between
// two of its spikes: every burst is found whole, and nothing else.
TEST(SurpriseBursts, FindsInsertedBurstsWhole) {
  std::vector<double> t;
  for (int i = 0; i < 100; ++i) {
    t.push_back(100.0 * i);
    if (i % 10 == 3)
      for (int j = 0; j < 5; ++j) t.push_back(100.0 * i + 48.0 + 2.0 * j);
  }
  const SurpriseBursts b = surpriseBursts(t, 0.0, 10000.0, 3.0);
  EXPECT_EQ(b.spikes, 150);
  EXPECT_EQ(b.bursts, 10);
  EXPECT_EQ(b.spikes_in_bursts, 50);
  // Each burst: 5 spikes in 8 ms at 15 Hz, expected 0.12: S ≈ 7.9. Above
  // that threshold there are none.
  const double s = poissonSurprise(5, 0.015 * 8.0);
  EXPECT_EQ(surpriseBursts(t, 0.0, 10000.0, s - 1e-9).bursts, 10);
  EXPECT_EQ(surpriseBursts(t, 0.0, 10000.0, s + 1e-6).bursts, 0);
  // A regular train has no interval under half its mean: no candidate.
  std::vector<double> regular;
  for (int i = 0; i < 100; ++i) regular.push_back(7.0 * i);
  EXPECT_EQ(surpriseBursts(regular, 0.0, 700.0, 0.1).bursts, 0);
}

// The surprise depends on rate × time only: stretching the train and its
// window by any factor finds the same bursts. Spikes outside the window
// are not seen.
TEST(SurpriseBursts, AreScaleFreeAndKeepToTheirWindow) {
  std::vector<double> t;
  std::uint64_t state = 12345;
  double now = 0;
  while (now < 20000) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u = (static_cast<double>(state >> 11) + 0.5) / 9007199254740992.0;
    now += -std::log(u) * (u < 0.3 ? 3.0 : 60.0);  // a mixture: bursty
    t.push_back(now);
  }
  const SurpriseBursts b = surpriseBursts(t, 0.0, 20000.0, 3.0);
  ASSERT_GT(b.bursts, 10);
  for (const double factor : {0.001, 0.37, 1000.0}) {
    std::vector<double> scaled;
    for (const double x : t) scaled.push_back(x * factor);
    const SurpriseBursts c = surpriseBursts(scaled, 0.0, 20000.0 * factor, 3.0);
    EXPECT_EQ(c.bursts, b.bursts) << factor;
    EXPECT_EQ(c.spikes_in_bursts, b.spikes_in_bursts) << factor;
  }
  std::vector<double> inside;
  for (const double x : t)
    if (x >= 5000.0 && x < 15000.0) inside.push_back(x);
  const SurpriseBursts w = surpriseBursts(t, 5000.0, 15000.0, 3.0);
  const SurpriseBursts v = surpriseBursts(inside, 5000.0, 15000.0, 3.0);
  EXPECT_EQ(w.spikes, static_cast<std::int64_t>(inside.size()));
  EXPECT_EQ(w.bursts, v.bursts);
  EXPECT_EQ(w.spikes_in_bursts, v.spikes_in_bursts);
}

TEST(SurpriseSample, KeepsTheWantedNumberEvenlySpaced) {
  for (const std::int64_t size : {1, 7, 100, 1001}) {
    for (const std::int64_t wanted : {0, 1, 3, 100, 5000}) {
      std::vector<std::int64_t> kept;
      for (std::int64_t g = 0; g < size; ++g) {
        const std::int64_t j = surpriseSamplePosition(g, size, wanted);
        if (j >= 0) {
          EXPECT_EQ(j, static_cast<std::int64_t>(kept.size()));
          kept.push_back(g);
        }
      }
      ASSERT_EQ(static_cast<std::int64_t>(kept.size()), std::min(size, wanted));
      for (std::size_t j = 1; j < kept.size(); ++j)
        EXPECT_EQ(kept[j] - kept[j - 1], size / std::min(size, wanted));
    }
  }
}
