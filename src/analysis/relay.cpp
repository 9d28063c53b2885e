#include "src/analysis/relay.hpp"

#include <algorithm>
#include <limits>

namespace cbgtc::analysis {

double RelayErrors::index() const {
  if (pulses == 0) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(misses + bursts + spurious) / static_cast<double>(pulses);
}

RelayErrors relayErrors(const std::vector<double>& pulse_onsets_ms, const std::vector<double>& spike_times_ms,
                        double window_ms, double from_ms, double to_ms) {
  RelayErrors e;
  auto count = [&](double lo, double hi) {
    return static_cast<std::int64_t>(std::lower_bound(spike_times_ms.begin(), spike_times_ms.end(), hi) -
                                     std::lower_bound(spike_times_ms.begin(), spike_times_ms.end(), lo));
  };
  for (std::size_t p = 0; p < pulse_onsets_ms.size(); ++p) {
    const double t = pulse_onsets_ms[p];
    if (t < from_ms || t + window_ms > to_ms) continue;
    const double next = p + 1 < pulse_onsets_ms.size() ? std::min(pulse_onsets_ms[p + 1], to_ms) : to_ms;
    const std::int64_t in_window = count(t, std::min(t + window_ms, next));
    ++e.pulses;
    if (in_window == 0) ++e.misses;
    if (in_window > 1) ++e.bursts;
    if (next > t + window_ms) e.spurious += count(t + window_ms, next);
  }
  return e;
}

double errorIndex(const std::vector<double>& pulse_onsets_ms,
                  const std::vector<std::vector<double>>& spike_times_ms_per_neuron, double window_ms,
                  double from_ms, double to_ms) {
  double sum = 0;
  std::int64_t cells = 0;
  for (const auto& spikes : spike_times_ms_per_neuron) {
    std::vector<double> sorted = spikes;
    std::sort(sorted.begin(), sorted.end());
    const double index = relayErrors(pulse_onsets_ms, sorted, window_ms, from_ms, to_ms).index();
    if (index != index) return index;
    sum += index;
    ++cells;
  }
  return cells == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / static_cast<double>(cells);
}

}  // namespace cbgtc::analysis
