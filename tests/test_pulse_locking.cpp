// The pulse-locking test (src/analysis/pulse_locking.hpp) on block
// histograms whose answer is known: exact rotation probabilities, locked
// blocks, and blocks whose peak wanders (a rhythm beating with the pulses).

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "src/analysis/pulse_locking.hpp"

using namespace cbgtc::analysis;

namespace {

// J blocks of n bins of equal width.
PulseBlocks blocks(std::size_t J, std::size_t n) {
  PulseBlocks h;
  h.counts.assign(J * n, 0.0);
  h.width_ms.assign(n, 0.5);
  return h;
}

// Poisson background of `mean` per bin, plus `excess` spikes at one bin per
// block: `peak_bin`, or a uniformly drawn bin when peak_bin < 0.
PulseBlocks synthetic(std::mt19937_64& rng, std::size_t J, std::size_t n, double mean, double excess,
                      int peak_bin) {
  PulseBlocks h = blocks(J, n);
  std::poisson_distribution<int> background(mean);
  std::uniform_int_distribution<std::size_t> anywhere(0, n - 1);
  for (std::size_t j = 0; j < J; ++j) {
    for (std::size_t b = 0; b < n; ++b) h.counts[j * n + b] = background(rng);
    const std::size_t at = peak_bin < 0 ? anywhere(rng) : static_cast<std::size_t>(peak_bin);
    h.counts[j * n + at] += excess;
  }
  return h;
}

// The Poisson bound of docs/model.md §7.8: the largest bin more than 5 s.d.
// above its share of a flat histogram.
bool abovePoissonBound(const PulseBlocks& h) {
  const std::vector<double> total = h.total();
  double sum = 0;
  for (double c : total) sum += c;
  const double flat = sum / static_cast<double>(total.size());
  return *std::max_element(total.begin(), total.end()) > flat + 5 * std::sqrt(flat);
}

}  // namespace

// One spike per block, all in bin 0: the observed peak is J, and a rotation
// reaches it only when every block gets the same shift, with probability
// n^(1−J). p = (1 + reached)/(S + 1) with reached binomial over S draws.
TEST(PulseLocking, ExactRotationProbabilities) {
  const int S = 999;
  for (const auto& [J, n] : {std::pair<std::size_t, std::size_t>{2, 2}, {3, 4}, {2, 10}}) {
    PulseBlocks h = blocks(J, n);
    for (std::size_t j = 0; j < J; ++j) h.counts[j * n] = 1;
    const double q = std::pow(static_cast<double>(n), 1.0 - static_cast<double>(J));
    const double expected = (1 + S * q) / (S + 1), sd = std::sqrt(S * q * (1 - q)) / (S + 1);
    EXPECT_NEAR(pulseLockingP(h, S, 7), expected, 5 * sd) << J << " blocks, " << n << " bins";
  }
}

// Nothing to rotate against: one block with spikes (or none) gives p = 1.
TEST(PulseLocking, OneBlockHasNoTest) {
  PulseBlocks h = blocks(3, 8);
  EXPECT_EQ(pulseLockingP(h), 1.0);
  h.counts[8 + 3] = 50;  // block 1 only
  EXPECT_EQ(pulseLockingP(h), 1.0);
}

// Widths: bins compare as densities (spikes per ms). Spikes locked into a
// short last bin are a peak although they are fewer than a full bin's; a
// flat rate, whose short bin holds fewer spikes, has no peak (every
// rotation reaches the same maximum).
TEST(PulseLocking, ComparesDensities) {
  PulseBlocks h = blocks(10, 4);
  h.width_ms = {1, 1, 1, 0.25};
  for (std::size_t j = 0; j < 10; ++j) {
    h.counts[j * 4 + 0] = h.counts[j * 4 + 1] = h.counts[j * 4 + 2] = 40;
    h.counts[j * 4 + 3] = 20;  // 80 per ms: locked, in every block
  }
  EXPECT_EQ(pulseLockingP(h, 999, 3), 1.0 / 1000);
  for (std::size_t j = 0; j < 10; ++j) h.counts[j * 4 + 3] = 10;  // 40 per ms
  EXPECT_EQ(pulseLockingP(h, 999, 3), 1.0);
}

// Locked blocks (the same bin 4 s.d. above the background in every block)
// give the smallest p the surrogates allow, in every seed.
TEST(PulseLocking, LockedBlocksAreSignificant) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 rng(seed);
    const PulseBlocks h = synthetic(rng, 20, 32, 50, 28, 7);
    EXPECT_EQ(pulseLockingP(h, 999, seed), 1.0 / 1000) << seed;
  }
}

// A population in a rhythm of its own: every block has a large bump (a
// synchronous volley) at a latency that wanders. The Poisson bound, which
// assumes independent neurons, takes nearly all of these for locking; the
// rotations do not: p is uniform, so p < 0.01 in about 1 % of them (at most
// 5 of 100: P(Binomial(100, 0.01) ≥ 6) < 0.001) and its mean is 1/2 within
// 4 s.d. of a uniform mean over 100 (0.29/10).
TEST(PulseLocking, AWanderingPeakIsNotLocking) {
  std::mt19937_64 rng(2026);
  int poisson_says_locked = 0, rotations_say_locked = 0;
  double p_sum = 0;
  const int histograms = 100;
  for (int k = 0; k < histograms; ++k) {
    const PulseBlocks h = synthetic(rng, 20, 32, 50, 200, -1);
    if (abovePoissonBound(h)) ++poisson_says_locked;
    const double p = pulseLockingP(h, 999, static_cast<std::uint64_t>(k));
    if (p < 0.01) ++rotations_say_locked;
    p_sum += p;
  }
  EXPECT_GE(poisson_says_locked, 90);
  EXPECT_LE(rotations_say_locked, 5);
  EXPECT_NEAR(p_sum / histograms, 0.5, 4 * 0.2887 / std::sqrt(histograms));
}

// A window that cuts a period at its start and at its end lets two blocks
// see some latencies one pulse more often: with no locking at all, those
// latencies hold more spikes. The largest bin does not take them for a peak:
// where the two blocks' extra latencies overlap ([x, period) and [0, y) with
// y > x) they overlap in every rotation too, and where they do not, the
// rotations can only bring them together. Tested with counts drawn in
// proportion to each block's exposure of each bin (no locking), both ways:
// p < 0.01 in at most 5 of 100 (as for a wandering peak), and p is not
// below a uniform p's mean by more than 4 s.d.
TEST(PulseLocking, PartlyObservedPeriodsAreNoPeak) {
  const std::size_t J = 4, n = 20;  // bins of 0.5 ms: a period of 10 ms
  const double rate_per_ms = 80;
  for (const auto& [x_bin, y_bin] : {std::pair<std::size_t, std::size_t>{6, 16}, {16, 4}}) {
    std::mt19937_64 rng(7 + x_bin);
    int locked = 0;
    double p_sum = 0;
    const int histograms = 100;
    for (int k = 0; k < histograms; ++k) {
      PulseBlocks h = blocks(J, n);
      std::vector<double> exposure_ms(J * n, 5 * 0.5);                           // five whole periods a block
      for (std::size_t b = 0; b < x_bin; ++b) exposure_ms[0 * n + b] = 4 * 0.5;  // the first period from x on
      for (std::size_t b = y_bin; b < n; ++b) exposure_ms[3 * n + b] = 4 * 0.5;  // the last one up to y
      for (std::size_t i = 0; i < J * n; ++i)
        h.counts[i] = std::poisson_distribution<int>(rate_per_ms * exposure_ms[i])(rng);
      const double p = pulseLockingP(h, 999, static_cast<std::uint64_t>(k));
      locked += p < 0.01;
      p_sum += p;
    }
    EXPECT_LE(locked, 5) << x_bin << " " << y_bin;
    EXPECT_GE(p_sum / histograms, 0.5 - 4 * 0.2887 / std::sqrt(histograms)) << x_bin << " " << y_bin;
  }
}
