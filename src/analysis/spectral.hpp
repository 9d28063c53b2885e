#pragma once
// Welch power spectral density and band metrics (beta power, relative beta,
// beta peak) for LFP-proxy traces. Host-only: plain C++17, no Kokkos, so the
// analysis runs on recorded output wherever the simulation ran.
//
// The Welch estimate reproduces scipy.signal.welch(x, fs, window='hann',
// nperseg, noverlap, detrend='constant', scaling='density',
// return_onesided=True, average='mean'), so numbers can be compared with the
// Python tools users already have. The segment is given in ms, not samples:
// scipy's 256-sample default means a different resolution at every rate.

#include <complex>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace cbgtc::analysis {

struct WelchSettings {
  double segment_ms = 1000.0;  // 1 s segments: 1 Hz resolution whatever the rate
  double overlap = 0.5;        // fraction of a segment shared with the next, in [0, 1)
};

/// One-sided power spectral density, units signal^2/Hz.
struct Spectrum {
  std::vector<double> freq_hz;  // freq_hz[k] = k * df_hz, k = 0 .. nperseg/2
  std::vector<double> psd;
  double df_hz = 0.0;
  int segments = 0;  // segments averaged; 0 for an empty spectrum
};

/// Welch PSD of x sampled at fs_hz. Segment length is round(segment_ms * fs_hz / 1000) samples, at most
/// x.size(); noverlap = floor(overlap * nperseg) (= nperseg / 2 by default, as in scipy); only full segments,
/// starting at k * (nperseg - noverlap). Each segment has its own mean removed and is multiplied by a
/// periodic Hann window. Returns an empty spectrum (segments = 0) when x has fewer than 2 samples. Throws
/// std::invalid_argument for fs_hz <= 0, overlap outside [0, 1), or a segment shorter than 2 samples.
Spectrum welch(const std::vector<double>& x, double fs_hz, const WelchSettings& settings = WelchSettings{});

/// Bins of s inside [lo_hz, hi_hz] as a half-open index range [first, second); first == second when empty.
///
/// Membership is decided on integer bin indices, not on float frequencies: bin k (f_k = k * df) belongs to
/// the band iff k_lo <= k <= k_hi with k_lo = ceil(lo/df - 1e-9) and k_hi = floor(hi/df + 1e-9). A band edge
/// that falls exactly on a bin is therefore included whatever the rounding of lo/df or k*df (the prototype's
/// 30 Hz bin came and went with float precision, model.md D8). The range is clipped to the spectrum's bins.
std::pair<std::size_t, std::size_t> bandBins(const Spectrum& s, double lo_hz, double hi_hz);

/// Power in [lo_hz, hi_hz] (signal^2): sum of psd[k] * df over bandBins (rectangle rule, as the prototype).
double bandPower(const Spectrum& s, double lo_hz, double hi_hz);

struct BetaMetrics {
  double beta_power = 0.0;     // signal^2, bandPower over [band_lo, band_hi]
  double relative_beta = 0.0;  // beta_power / bandPower over [total_lo, total_hi]; NaN if that total <= 0
  double peak_hz = 0.0;        // frequency of the largest psd bin in the band; NaN if the band has no bin
  double peak_psd = 0.0;       // psd at peak_hz; 0 if the band has no bin
};

BetaMetrics betaMetrics(const Spectrum& s, double band_lo = 13.0, double band_hi = 30.0,
                        double total_lo = 1.0, double total_hi = 100.0);

/// The aperiodic background of a spectrum: a power law P(f) = 10^log10_c · f^exponent fitted by least
/// squares of log psd on log f to the bins of [fit_lo, fit_hi] outside [band_lo, band_hi] (those with
/// f > 0 and psd > 0). Both members NaN when fewer than two bins are usable.
struct PowerLaw {
  double log10_c;
  double exponent;
  double at(double f_hz) const;  // NaN for an unusable fit
};
PowerLaw aperiodicBackground(const Spectrum& s, double band_lo, double band_hi, double fit_lo, double fit_hi);

/// How far the largest bin of [band_lo, band_hi] stands above the aperiodic
/// background (aperiodicBackground with the same bands): its psd over the
/// power law there. 1: no peak; NaN when the band or the fit has no usable bins.
double bandProminence(const Spectrum& s, double band_lo, double band_hi, double fit_lo, double fit_hi);

/// Normalised Shannon entropy of the psd over bandBins(lo_hz, hi_hz) (docs/model.md §7.6):
/// H = −Σ p_k ln p_k / ln K with p_k = psd_k / Σ psd over the band's K bins (0·ln 0 = 0). 1 for a flat
/// (white) spectrum, 0 when all the band's power is in one bin. NaN when the band has fewer than 2 bins
/// or no power.
double spectralEntropy(const Spectrum& s, double lo_hz, double hi_hz);

/// spectralEntropy of the flattened spectrum psd_k / background(f_k) over bandBins(lo_hz, hi_hz)
/// (docs/model.md §7.6): 1 when the spectrum is its aperiodic background and nothing else, lower the more
/// of it stands in peaks. Unlike spectralEntropy it does not fall when power moves into a steep
/// low-frequency background. NaN as spectralEntropy, or when the band holds f = 0 or the fit is unusable.
double flattenedSpectralEntropy(const Spectrum& s, double lo_hz, double hi_hz, const PowerLaw& background);

/// The largest bin of a spectrum in a band.
struct Peak {
  double freq_hz;  // NaN: no peak (no bin in the band, or every bin's psd is 0)
  double psd;      // psd at freq_hz (signal^2/Hz); 0 when there is no peak
};

/// The largest psd bin inside bandBins(lo_hz, hi_hz), the first on ties (as betaMetrics' peak_hz). A band
/// without bins, or whose psd is 0 everywhere, has no peak: freq_hz NaN, psd 0 (docs/model.md §7.6).
Peak globalPeak(const Spectrum& s, double lo_hz, double hi_hz);

/// Magnitude-squared coherence on welch's frequency grid.
struct Coherence {
  std::vector<double> freq_hz;    // freq_hz[k] = k * df_hz, k = 0 .. nperseg/2
  std::vector<double> coherence;  // in [0, 1]; NaN where x's or y's power is 0
  double df_hz = 0.0;
  int segments = 0;  // segments averaged; 0 for an empty result
};

/// Magnitude-squared coherence of x and y, C_k = |P_xy,k|^2 / (P_xx,k P_yy,k), with the cross- and
/// auto-spectra averaged over welch's segments (same length, overlap, mean removal and periodic Hann
/// window): reproduces scipy.signal.coherence(x, y, fs, window='hann', nperseg, noverlap,
/// detrend='constant') (docs/model.md §7.6). With K independent segments, independent signals have
/// E[C] = 1/K, not 0. Empty (segments = 0) when x has fewer than 2 samples. Throws std::invalid_argument
/// when x and y differ in length, and where welch throws.
Coherence coherence(const std::vector<double>& x, const std::vector<double>& y, double fs_hz,
                    const WelchSettings& settings = WelchSettings{});

/// Mean coherence over the bins of [lo_hz, hi_hz] (bandBins' rule) where it is defined (not NaN); NaN
/// when there is none.
double bandMeanCoherence(const Coherence& c, double lo_hz, double hi_hz);

/// The largest length m <= n whose only prime factors are 2, 3 and 5: a
/// transform of it is direct, where other lengths take Bluestein's three
/// transforms of at least 2n (about 20 times the time at n = 10⁴). 0 for 0.
std::size_t fastFftLength(std::size_t n);

namespace Impl {
/// Forward DFT, X_k = sum_j x_j exp(-2 pi i j k / n), any n (radix-2 for powers of two, mixed radix for
/// lengths of fastFftLength, Bluestein otherwise).
/// Exposed for tests only.
std::vector<std::complex<double>> fft(std::vector<std::complex<double>> x);

/// fft of one length n, planned once (its twiddles and Bluestein's chirp cost
/// about a transform) for many transforms: forward(x) == fft(x) for x of
/// length n, bit for bit.
class FftOfLength {
 public:
  explicit FftOfLength(std::size_t n);
  ~FftOfLength();
  FftOfLength(FftOfLength&&) noexcept;
  FftOfLength& operator=(FftOfLength&&) noexcept;
  std::size_t size() const;
  std::vector<std::complex<double>> forward(std::vector<std::complex<double>> x) const;

 private:
  struct Plan;
  std::unique_ptr<const Plan> plan_;
};
}  // namespace Impl

}  // namespace cbgtc::analysis
