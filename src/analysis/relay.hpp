#pragma once
// Thalamic relay fidelity: the error index of Rubin & Terman (2004) as So,
// Kent & Grill (2012) compute it (docs/model.md §7.9). Host-only, plain C++17.

#include <cstdint>
#include <vector>

namespace cbgtc::analysis {

/// The classified responses of one cell to a train of input pulses.
struct RelayErrors {
  std::int64_t pulses = 0;    // pulses counted
  std::int64_t misses = 0;    // no spike within the response window
  std::int64_t bursts = 0;    // more than one spike within it
  std::int64_t spurious = 0;  // spikes after the window, before the next pulse
  /// (misses + bursts + spurious) / pulses; NaN without pulses.
  double index() const;
};

/// Classifies a cell's spikes against pulse onsets (both in ms, ascending):
/// for each onset t_p in [from_ms, to_ms − window_ms], no spike in
/// [t_p, t_p + window_ms) is a miss, more than one a burst, and each spike
/// in [t_p + window_ms, next onset) is spurious (the last pulse's interval
/// ends at to_ms).
RelayErrors relayErrors(const std::vector<double>& pulse_onsets_ms, const std::vector<double>& spike_times_ms,
                        double window_ms, double from_ms, double to_ms);

/// The error index of a population: the mean over cells of each cell's
/// index (So et al. 2012). NaN without cells or pulses.
double errorIndex(const std::vector<double>& pulse_onsets_ms,
                  const std::vector<std::vector<double>>& spike_times_ms_per_neuron, double window_ms,
                  double from_ms, double to_ms);

}  // namespace cbgtc::analysis
