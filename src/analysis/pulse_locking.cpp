#include "src/analysis/pulse_locking.hpp"

#include <algorithm>

#include "src/analysis/oscillations.hpp"

namespace cbgtc::analysis {

std::vector<double> PulseBlocks::total() const {
  std::vector<double> sum(bins(), 0.0);
  for (std::size_t j = 0; j < blocks(); ++j)
    for (std::size_t b = 0; b < bins(); ++b) sum[b] += counts[j * bins() + b];
  return sum;
}

double pulseLockingP(const PulseBlocks& h, int surrogates, std::uint64_t seed) {
  const std::size_t n = h.bins();
  // Each block as a density (spikes per ms of bin), blocks without spikes left out.
  std::vector<std::vector<double>> density;
  for (std::size_t j = 0; j < h.blocks(); ++j) {
    std::vector<double> d(n);
    double spikes = 0;
    for (std::size_t b = 0; b < n; ++b) {
      spikes += h.counts[j * n + b];
      d[b] = h.counts[j * n + b] / h.width_ms[b];
    }
    if (spikes > 0) density.push_back(std::move(d));
  }
  if (density.size() < 2 || surrogates < 1) return 1.0;
  auto largest = [n](const std::vector<double>& v) { return *std::max_element(v.begin(), v.begin() + n); };
  std::vector<double> sum(n, 0.0);
  for (const auto& d : density)
    for (std::size_t b = 0; b < n; ++b) sum[b] += d[b];
  const double observed = largest(sum);
  std::uint64_t state = seed;
  int reached = 0;
  for (int s = 0; s < surrogates; ++s) {
    std::fill(sum.begin(), sum.end(), 0.0);
    for (const auto& d : density) {
      const std::size_t shift = static_cast<std::size_t>(Impl::splitmix64(state) % n);
      for (std::size_t b = 0; b < n; ++b) sum[b] += d[(b + shift) % n];
    }
    // A rotation by 0 of every block is the observed histogram, summed in
    // the same order: it reaches the observed maximum exactly.
    if (largest(sum) >= observed) ++reached;
  }
  return static_cast<double>(1 + reached) / static_cast<double>(1 + surrogates);
}

}  // namespace cbgtc::analysis
