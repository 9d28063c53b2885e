#include "src/analysis/trace_metrics.hpp"

#include <algorithm>
#include <limits>
#include <numeric>

namespace cbgtc::analysis {

TraceMetrics traceMetrics(const std::vector<double>& lfp, const TraceSettings& s) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  TraceMetrics m;
  m.mean = lfp.empty() ? nan : std::accumulate(lfp.begin(), lfp.end(), 0.0) / static_cast<double>(lfp.size());
  WelchSettings welch_settings;
  welch_settings.segment_ms = s.segment_ms;
  m.spectrum = welch(lfp, s.fs_hz, welch_settings);
  m.beta = betaMetrics(m.spectrum, s.beta_lo_hz, s.beta_hi_hz, s.total_lo_hz, s.total_hi_hz);
  m.beta_prominence = bandProminence(m.spectrum, s.beta_lo_hz, s.beta_hi_hz, s.total_lo_hz, s.total_hi_hz);
  m.peak_hz = globalPeak(m.spectrum, s.peak_lo_hz, s.peak_hi_hz).freq_hz;
  m.spectral_entropy = spectralEntropy(m.spectrum, s.total_lo_hz, s.total_hi_hz);
  m.flattened_entropy = flattenedSpectralEntropy(
      m.spectrum, s.total_lo_hz, s.total_hi_hz,
      aperiodicBackground(m.spectrum, s.beta_lo_hz, s.beta_hi_hz, s.total_lo_hz, s.total_hi_hz));
  // Undefined where the amplitude band reaches past the proxy's passband
  // (a coarse analysis.lfp_sample_ms).
  m.pac = s.gamma_hi_hz <= s.passband_hz
              ? modulationIndexZ(lfp, s.fs_hz, s.beta_lo_hz, s.beta_hi_hz, s.gamma_lo_hz, s.gamma_hi_hz,
                                 s.pac_surrogates, s.pac_seed)
              : PacResult{nan, nan, nan, nan, 0};
  m.bursts = bursts(lfp, s.fs_hz, s.beta_lo_hz, s.beta_hi_hz, s.burst_percentile, s.burst_min_duration_ms,
                    s.burst_threshold);
  m.constant = std::all_of(lfp.begin(), lfp.end(), [&](double v) { return v == lfp.front(); });
  if (s.comodulogram) m.comodulogram = runComodulogram(lfp, s.fs_hz, s.passband_hz);
  return m;
}

Comodulogram runComodulogram(const std::vector<double>& lfp, double fs_hz, double passband_hz) {
  std::vector<double> phase_hz, amp_hz;
  for (double f = 4; f <= 40; f += 2) phase_hz.push_back(f);
  for (double f = 30; f <= 200; f += 10) amp_hz.push_back(f);
  // Amplitude bands a ± p, which hold the sidebands of a coupling to the
  // phase p (docs/model.md §7.7). Bands past the decimated proxy's passband
  // are attenuated, not absent: undefined, as past the Nyquist frequency.
  // Its ~300 bands are transformed on the trace's first fastFftLength
  // samples (at most 6 % fewer from 1000 samples on): a length of small prime
  // factors transforms far faster than one like 10 300
  // (perf/results/comodulogram_cost_cpu.txt).
  const std::vector<double> head(lfp.begin(),
                                 lfp.begin() + static_cast<std::ptrdiff_t>(fastFftLength(lfp.size())));
  return comodulogram(head, fs_hz, phase_hz, amp_hz, 1.0, 0.0, 18, passband_hz);
}

}  // namespace cbgtc::analysis
