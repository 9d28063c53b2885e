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

/// Legéndy & Salcman's (1985) surprise of n spikes where a Poisson process predicts `expected`:
/// −log10 P(N ≥ n) for N ~ Poisson(expected). 0 for n ≤ 0, +∞ for n ≥ 1 and expected ≤ 0.
double poissonSurprise(std::int64_t n, double expected);

/// Poisson-surprise bursts of one neuron (docs/model.md §7.8).
struct SurpriseBursts {
  std::int64_t bursts = 0;
  std::int64_t spikes_in_bursts = 0;
  std::int64_t spikes = 0;  // in the window
};

/// The Poisson-surprise bursts (Legéndy & Salcman 1985) of one neuron's spikes in [from_ms, to_ms), given
/// sorted: the Poisson rate is the train's own mean over the window. A candidate starts at two consecutive
/// intervals shorter than half the mean interval; it grows spike by spike while the next interval is at most
/// the mean interval, and ends where its surprise was largest once ten more spikes have not raised it; then
/// it loses spikes from its start while that raises the surprise (never below 3 spikes). It is a burst when
/// its surprise is at least min_surprise; the search goes on after its last spike, or after the candidate's
/// first spike when it is not.
SurpriseBursts surpriseBursts(const std::vector<double>& sorted_times_ms, double from_ms, double to_ms,
                              double min_surprise);

/// The neurons kept for the surprise analysis: of a population of `size`, at most `wanted`, evenly spaced
/// from neuron 0 (global indices 0, s, 2s, … with s = ⌊size / wanted⌋). Returns the sample position of
/// global neuron `global`, or −1 when it is not kept.
std::int64_t surpriseSamplePosition(std::int64_t global, std::int64_t size, std::int64_t wanted);

}  // namespace cbgtc::analysis
