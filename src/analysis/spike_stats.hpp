#pragma once
// Spike-train statistics: firing rate and coefficient of variation of the
// inter-spike intervals. Host-only, plain C++17.

#include <cstdint>
#include <vector>

namespace cbgtc::analysis {

/// Mean over neurons of CV(ISI) = std(ISI) / mean(ISI), std with ddof 0 (population std, as numpy.std).
///
/// Only neurons with at least min_spikes spikes count (never fewer than 2, which give no interval). The
/// default 3 excludes neurons with exactly 2 spikes: their single interval has std 0, and the prototype
/// counted them as CV = 0, dragging the population CV towards regular firing (model.md D8). Neurons whose
/// spikes all coincide (mean ISI 0) have no defined CV and are skipped. Spike times need not be sorted.
/// Returns NaN when no neuron qualifies (the prototype returned 0.0, indistinguishable from perfect
/// regularity).
double meanIsiCv(const std::vector<std::vector<double>>& spike_times_ms_per_neuron, int min_spikes = 3);

/// Population-mean firing rate in Hz: spike_count / neurons / (duration_ms / 1000).
/// Returns 0 when neurons or duration_ms is 0; throws std::invalid_argument if either is negative.
double firingRateHz(std::int64_t spike_count, std::int64_t neurons, double duration_ms);

}  // namespace cbgtc::analysis
