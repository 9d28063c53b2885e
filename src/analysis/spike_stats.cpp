#include "src/analysis/spike_stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace cbgtc::analysis {

double meanIsiCv(const std::vector<std::vector<double>>& spike_times_ms_per_neuron, int min_spikes) {
  const std::size_t threshold = static_cast<std::size_t>(std::max(min_spikes, 2));
  double cv_sum = 0.0;
  std::size_t qualifying = 0;
  std::vector<double> sorted;
  std::vector<double> isi_ms;
  for (const auto& times_ms : spike_times_ms_per_neuron) {
    if (times_ms.size() < threshold) continue;
    // Readers may hand spikes per neuron in file order; an unsorted train
    // would give negative intervals.
    const std::vector<double>* train = &times_ms;
    if (!std::is_sorted(times_ms.begin(), times_ms.end())) {
      sorted = times_ms;
      std::sort(sorted.begin(), sorted.end());
      train = &sorted;
    }
    isi_ms.resize(train->size() - 1);
    for (std::size_t i = 0; i + 1 < train->size(); ++i) isi_ms[i] = (*train)[i + 1] - (*train)[i];

    // Two passes (mean, then squared deviations): the one-pass
    // E[x^2] - E[x]^2 cancels catastrophically for regular trains, whose
    // CV should come out as 0, not as rounding noise or a NaN from sqrt(<0).
    double mean_ms = 0.0;
    for (double d : isi_ms) mean_ms += d;
    mean_ms /= static_cast<double>(isi_ms.size());
    if (!(mean_ms > 0.0)) continue;
    double var_ms2 = 0.0;
    for (double d : isi_ms) var_ms2 += (d - mean_ms) * (d - mean_ms);
    var_ms2 /= static_cast<double>(isi_ms.size());
    cv_sum += std::sqrt(var_ms2) / mean_ms;
    ++qualifying;
  }
  if (qualifying == 0) return std::numeric_limits<double>::quiet_NaN();
  return cv_sum / static_cast<double>(qualifying);
}

double firingRateHz(std::int64_t spike_count, std::int64_t neurons, double duration_ms) {
  if (neurons < 0 || duration_ms < 0.0) {
    std::ostringstream msg;
    msg << "firingRateHz: neurons and duration must be >= 0, got " << neurons << " neurons, " << duration_ms
        << " ms";
    throw std::invalid_argument(msg.str());
  }
  if (neurons == 0 || duration_ms == 0.0) return 0.0;
  return static_cast<double>(spike_count) / static_cast<double>(neurons) / (duration_ms / 1000.0);
}

double poissonSurprise(std::int64_t n, double expected) {
  if (n <= 0) return 0.0;
  if (!(expected > 0)) return std::numeric_limits<double>::infinity();
  const double log_lambda = std::log(expected);
  const auto logTerm = [&](std::int64_t k) {
    return -expected + static_cast<double>(k) * log_lambda - std::lgamma(static_cast<double>(k) + 1.0);
  };
  if (static_cast<double>(n) <= expected) {
    // P(N ≥ n) ≥ 1/2 or so: one minus the head, which loses nothing.
    double head = 0;
    for (std::int64_t k = 0; k < n; ++k) head += std::exp(logTerm(k));
    return -std::log10(std::max(1.0 - head, std::numeric_limits<double>::min()));
  }
  // The tail from its largest term, n > expected: the terms' ratio
  // expected / (k + 1) is below 1, and the sum is taken relative to the
  // first term so that a tail of 1e-300 keeps its digits.
  double sum = 1.0, term = 1.0;
  for (std::int64_t k = n; term > 1e-17 * sum; ++k) {
    term *= expected / static_cast<double>(k + 1);
    sum += term;
  }
  return -(logTerm(n) + std::log(sum)) / std::log(10.0);
}

SurpriseBursts surpriseBursts(const std::vector<double>& sorted_times_ms, double from_ms, double to_ms,
                              double min_surprise) {
  SurpriseBursts out;
  const auto begin = std::lower_bound(sorted_times_ms.begin(), sorted_times_ms.end(), from_ms);
  const auto end = std::lower_bound(begin, sorted_times_ms.end(), to_ms);
  const std::vector<double> t(begin, end);
  const auto m = static_cast<std::int64_t>(t.size());
  out.spikes = m;
  if (m < 3 || !(to_ms > from_ms)) return out;
  const double rate = static_cast<double>(m) / (to_ms - from_ms);  // per ms
  const double mean_isi = 1.0 / rate;
  const auto surprise = [&](std::int64_t a, std::int64_t b) {
    return poissonSurprise(b - a + 1, rate * (t[b] - t[a]));
  };
  constexpr int tries = 10;  // further spikes that may fail to raise the surprise
  std::int64_t i = 0;
  while (i + 2 < m) {
    if (!(t[i + 1] - t[i] < 0.5 * mean_isi && t[i + 2] - t[i + 1] < 0.5 * mean_isi)) {
      ++i;
      continue;
    }
    std::int64_t a = i, b = i + 2;
    double best = surprise(a, b);
    int misses = 0;
    for (std::int64_t k = b + 1; k < m && misses < tries && t[k] - t[k - 1] <= mean_isi; ++k) {
      const double s = surprise(a, k);
      if (s > best) {
        best = s;
        b = k;
        misses = 0;
      } else {
        ++misses;
      }
    }
    while (b - a + 1 > 3) {
      const double s = surprise(a + 1, b);
      if (!(s > best)) break;
      best = s;
      ++a;
    }
    if (best >= min_surprise) {
      ++out.bursts;
      out.spikes_in_bursts += b - a + 1;
      i = b + 1;
    } else {
      ++i;
    }
  }
  return out;
}

std::int64_t surpriseSamplePosition(std::int64_t global, std::int64_t size, std::int64_t wanted) {
  if (wanted <= 0 || size <= 0 || global < 0 || global >= size) return -1;
  const std::int64_t kept = std::min(wanted, size);
  const std::int64_t stride = size / kept;
  if (global % stride != 0 || global / stride >= kept) return -1;
  return global / stride;
}

}  // namespace cbgtc::analysis
