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

}  // namespace cbgtc::analysis
