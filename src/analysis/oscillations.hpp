#pragma once
// Oscillation analyses of an LFP-proxy trace (docs/model.md §7.5): the
// analytic signal of a frequency band, phase–amplitude coupling (Tort's
// modulation index) and beta bursts. Host-only plain C++17, like spectral.

#include <complex>
#include <vector>

namespace cbgtc::analysis {

/// The analytic signal of x's component in [lo_hz, hi_hz]: x's mean
/// removed, an ideal (zero-phase, brick-wall) band-pass and a Hilbert
/// transform in one FFT: positive-frequency bins in the band doubled,
/// every other bin zeroed. Its argument is the band's phase, its modulus the
/// band's amplitude envelope. Throws std::invalid_argument for fs_hz <= 0
/// or an empty band.
std::vector<std::complex<double>> analyticBand(const std::vector<double>& x, double fs_hz, double lo_hz,
                                               double hi_hz);

/// Tort et al. (2010) modulation index of the amplitude of [amp_lo, amp_hi]
/// by the phase of [phase_lo, phase_hi]: the mean amplitude in `bins` phase
/// bins, normalised to a distribution P, MI = (log N − H(P))/log N, from 0
/// (no coupling) to 1. NaN for fewer than `bins` samples.
double modulationIndex(const std::vector<double>& x, double fs_hz, double phase_lo_hz, double phase_hi_hz,
                       double amp_lo_hz, double amp_hi_hz, int bins = 18);

/// Beta bursts (Tinkhauser et al. 2017; docs/model.md §7.5): intervals
/// where the band's amplitude envelope exceeds its `percentile` (0–100) over
/// the trace for at least `min_duration_ms`. Shorter excursions are not
/// bursts: a noise envelope crosses any threshold briefly and often, and
/// counting those made the rate a measure of the noise, not of the beta.
/// A burst's amplitude is the envelope's peak inside it.
struct Bursts {
  int count = 0;
  double rate_hz = 0;         // bursts per second of trace
  double mean_duration_ms = 0;
  double mean_amplitude = 0;  // mean of `amplitude`; 0 without bursts
  double threshold = 0;       // envelope threshold (signal units)
  std::vector<double> start_ms, duration_ms;
  std::vector<double> amplitude;  // peak envelope of each burst (signal units)
};
Bursts bursts(const std::vector<double>& x, double fs_hz, double lo_hz, double hi_hz, double percentile = 75,
              double min_duration_ms = 100);

}  // namespace cbgtc::analysis
