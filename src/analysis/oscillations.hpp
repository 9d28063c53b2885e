#pragma once
// Oscillation analyses of an LFP-proxy trace (docs/model.md §7.5): the
// analytic signal of a frequency band, phase–amplitude coupling (Tort's
// modulation index) and beta bursts. Host-only plain C++17, like spectral.

#include <complex>
#include <cstdint>
#include <limits>
#include <vector>

#include "src/analysis/spectral.hpp"

namespace cbgtc::analysis {

/// The analytic signal of x's component in [lo_hz, hi_hz]: x's mean
/// removed, an ideal (zero-phase, brick-wall) band-pass and a Hilbert
/// transform in one FFT: positive-frequency bins in the band doubled,
/// every other bin zeroed. Its argument is the band's phase, its modulus the
/// band's amplitude envelope. Throws std::invalid_argument for fs_hz <= 0
/// or an empty band.
std::vector<std::complex<double>> analyticBand(const std::vector<double>& x, double fs_hz, double lo_hz,
                                               double hi_hz);

/// analyticBand of many bands of one trace: x's spectrum is taken once, and
/// each band costs one inverse transform. band(lo, hi) ==
/// analyticBand(x, fs_hz, lo, hi), bit for bit. Throws as analyticBand does:
/// the constructor for fs_hz <= 0, band() for an empty band.
class AnalyticBands {
 public:
  AnalyticBands(const std::vector<double>& x, double fs_hz);
  std::vector<std::complex<double>> band(double lo_hz, double hi_hz) const;

 private:
  double fs_hz_;
  Impl::FftOfLength fft_;
  std::vector<std::complex<double>> spectrum_;  // of x with its mean removed
};

/// Tort et al. (2010) modulation index of the amplitude of [amp_lo, amp_hi]
/// by the phase of [phase_lo, phase_hi]: the mean amplitude in `bins` phase
/// bins, normalised to a distribution P, MI = (log N − H(P))/log N, from 0
/// (no coupling) to 1. NaN for fewer than `bins` samples, and where either
/// band holds no frequency of the trace's spectrum (k·fs/n, 0 < k < n/2):
/// a band narrower than the resolution fs/n may fall between them.
double modulationIndex(const std::vector<double>& x, double fs_hz, double phase_lo_hz, double phase_hi_hz,
                       double amp_lo_hz, double amp_hi_hz, int bins = 18);

/// modulationIndex with its significance against surrogates (docs/model.md §7.7).
struct PacResult {
  double mi;              // modulationIndex of the trace
  double z;               // (mi − surrogate_mean) / surrogate_sd; NaN when that s.d. is 0 or undefined
  double surrogate_mean;  // of the surrogates' indices
  double surrogate_sd;    // their sample standard deviation (n − 1)
  int surrogates;         // surrogates drawn
};

/// Tort's modulation index (as modulationIndex) and how far it stands above
/// indices with the coupling destroyed: each surrogate pairs the phase at
/// sample j with the amplitude envelope at sample (j + lag) mod n, lag uniform
/// in [round(fs), n − round(fs)] samples (at least 1 s from the true
/// alignment) when the trace is at least 2 s long, else in [n/10, 9n/10].
/// Lags come from splitmix64 seeded with `seed`, so a result is the same on
/// every platform. A circular shift keeps the envelope's own spectrum and
/// distribution, so the surrogates measure the index that chance alignment
/// of this envelope with this phase gives. The analytic signals are computed
/// once. All fields NaN (surrogates 0) for fewer than `bins` samples; z NaN
/// for fewer than 2 surrogates.
PacResult modulationIndexZ(const std::vector<double>& x, double fs_hz, double phase_lo_hz, double phase_hi_hz,
                           double amp_lo_hz, double amp_hi_hz, int surrogates = 200, std::uint64_t seed = 0,
                           int bins = 18);

/// Tort's modulation index over a grid of phase and amplitude frequencies.
struct Comodulogram {
  std::vector<double> phase_hz, amp_hz;  // band centres
  std::vector<double> mi;                // row-major [phase][amp]: mi[p * amp_hz.size() + a]
};

/// modulationIndex of the amplitude of [a − w_a, a + w_a] by the phase of
/// [p − phase_half_width_hz, p + phase_half_width_hz] for every p in
/// phase_hz and a in amp_hz (docs/model.md §7.7). w_a = amp_half_width_hz,
/// or, when that is 0, the phase frequency p: the band then holds the
/// sidebands a ± p that a coupling at p puts around a (Tort et al. 2010).
/// NaN where either band reaches below 0 Hz or past band_limit_hz (0: the
/// Nyquist frequency fs_hz / 2; a decimated trace's passband edge is lower,
/// src/analysis/decimation.hpp), or where the amplitude band does not lie
/// above the phase band. Each band's analytic signal is computed
/// once. Throws std::invalid_argument for a negative half-width or
/// fs_hz <= 0.
Comodulogram comodulogram(const std::vector<double>& x, double fs_hz, const std::vector<double>& phase_hz,
                          const std::vector<double>& amp_hz, double phase_half_width_hz = 1.0,
                          double amp_half_width_hz = 0.0, int bins = 18, double band_limit_hz = 0.0);

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
/// A finite `threshold` replaces the percentile: one threshold for traces
/// of two conditions, so that their bursts compare (Tinkhauser et al. 2017).
Bursts bursts(const std::vector<double>& x, double fs_hz, double lo_hz, double hi_hz, double percentile = 75,
              double min_duration_ms = 100, double threshold = std::numeric_limits<double>::quiet_NaN());

namespace Impl {
/// splitmix64 (Steele, Lea & Flood 2014; Vigna's reference code): advances
/// state by the golden-ratio increment and returns its mix. Exposed for tests only.
std::uint64_t splitmix64(std::uint64_t& state);
}  // namespace Impl

}  // namespace cbgtc::analysis
