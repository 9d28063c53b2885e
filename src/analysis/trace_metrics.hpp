#pragma once
// Every metric of one population's LFP proxy after the burn-in: the
// spectrum and its band measures, phase-amplitude coupling, beta bursts and
// the comodulogram (docs/model.md §7). One pure function of the trace, so
// that the populations of a run (an ensemble's replicas among them) can be
// analysed on several host threads at once, with the same results.

#include <cstdint>
#include <limits>
#include <vector>

#include "src/analysis/oscillations.hpp"
#include "src/analysis/spectral.hpp"

namespace cbgtc::analysis {

struct TraceSettings {
  double fs_hz = 0;       // the trace's sampling rate
  double segment_ms = 0;  // Welch segment
  double beta_lo_hz = 0, beta_hi_hz = 0;
  double total_lo_hz = 0, total_hi_hz = 0;  // the band relative beta and the entropy are taken over
  double peak_lo_hz = 0, peak_hi_hz = 0;    // the band of the global peak
  double gamma_lo_hz = 0, gamma_hi_hz = 0;  // PAC's amplitude band
  double passband_hz = 0;                   // the proxy's passband edge (decimation.hpp)
  int pac_surrogates = 0;
  std::uint64_t pac_seed = 0;  // the surrogates' lags
  double burst_percentile = 75, burst_min_duration_ms = 100;
  double burst_threshold = std::numeric_limits<double>::quiet_NaN();  // finite: replaces the percentile
  bool comodulogram = false;  // computed only when asked: it is most of the cost
};

struct TraceMetrics {
  Spectrum spectrum;
  BetaMetrics beta;
  double beta_prominence = 0, peak_hz = 0, spectral_entropy = 0, flattened_entropy = 0;
  double mean = 0;  // NaN for an empty trace
  PacResult pac{};  // all NaN where the gamma band reaches past the passband
  Bursts bursts;
  bool constant = false;  // a trace without an envelope (a spike source's)
  Comodulogram comodulogram;
};

TraceMetrics traceMetrics(const std::vector<double>& lfp, const TraceSettings& s);

/// The grid of a run's comodulogram (analysis.comodulogram): phases p of
/// 4–40 Hz (±1 Hz), amplitudes 30–200 Hz (±p).
Comodulogram runComodulogram(const std::vector<double>& lfp, double fs_hz, double passband_hz);

}  // namespace cbgtc::analysis
