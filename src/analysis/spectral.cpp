#include "src/analysis/spectral.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace cbgtc::analysis {

namespace {

using Complex = std::complex<double>;

constexpr double kPi = 3.14159265358979323846;

bool isPowerOfTwo(std::size_t n) { return n != 0 && (n & (n - 1)) == 0; }

std::size_t nextPowerOfTwo(std::size_t n) {
  std::size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

// In-place iterative Cooley-Tukey for power-of-two lengths.
//
// Twiddles are tabulated once from cos/sin of each index rather than by
// repeated multiplication by a unit root: the recurrence accumulates O(n eps)
// phase error, the table stays within an ulp per entry.
class Radix2 {
 public:
  explicit Radix2(std::size_t n) : n_(n), twiddle_(n / 2) {
    for (std::size_t j = 0; j < n / 2; ++j) {
      const double angle = -2.0 * kPi * static_cast<double>(j) / static_cast<double>(n);
      twiddle_[j] = Complex(std::cos(angle), std::sin(angle));
    }
  }

  void forward(std::vector<Complex>& a) const {
    for (std::size_t i = 1, j = 0; i < n_; ++i) {
      std::size_t bit = n_ >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      if (i < j) std::swap(a[i], a[j]);
    }
    for (std::size_t len = 2; len <= n_; len <<= 1) {
      const std::size_t half = len / 2;
      const std::size_t stride = n_ / len;
      for (std::size_t i = 0; i < n_; i += len) {
        for (std::size_t j = 0; j < half; ++j) {
          const Complex u = a[i + j];
          const Complex v = a[i + j + half] * twiddle_[j * stride];
          a[i + j] = u + v;
          a[i + j + half] = u - v;
        }
      }
    }
  }

  // Inverse through the conjugate identity, so one twiddle table serves both.
  void inverse(std::vector<Complex>& a) const {
    for (auto& v : a) v = std::conj(v);
    forward(a);
    const double scale = 1.0 / static_cast<double>(n_);
    for (auto& v : a) v = std::conj(v) * scale;
  }

 private:
  std::size_t n_;
  std::vector<Complex> twiddle_;
};

// DFT of any length. Welch calls it once per segment with the same length, so
// the chirp and the transformed kernel are computed once per plan.
//
// Bluestein: jk = (j^2 + k^2 - (k - j)^2) / 2 turns the DFT into
//   X_k = c_k * sum_j (x_j c_j) conj(c_{k-j}),  c_k = exp(-i pi k^2 / n),
// a linear convolution of length 2n - 1, done circularly with power-of-two
// FFTs of length m >= 2n - 1. k^2 is reduced mod 2n in integers before it
// becomes an angle (c_k has period 2n in k^2): for n ~ 1e5 the raw angle
// pi k^2 / n would be ~1e5 rad and lose 5 digits to cos/sin argument rounding.
class FftPlan {
 public:
  explicit FftPlan(std::size_t n)
      : n_(n), pow2_(n <= 1 || isPowerOfTwo(n)), m_(pow2_ ? n : nextPowerOfTwo(2 * n - 1)), radix2_(m_) {
    if (pow2_) return;
    chirp_.resize(n_);
    const std::uint64_t period = 2 * static_cast<std::uint64_t>(n_);
    for (std::size_t k = 0; k < n_; ++k) {
      const std::uint64_t kk = (static_cast<std::uint64_t>(k) * k) % period;
      const double angle = -kPi * static_cast<double>(kk) / static_cast<double>(n_);
      chirp_[k] = Complex(std::cos(angle), std::sin(angle));
    }
    kernel_.assign(m_, Complex(0.0, 0.0));
    kernel_[0] = std::conj(chirp_[0]);
    for (std::size_t k = 1; k < n_; ++k) {
      kernel_[k] = std::conj(chirp_[k]);
      kernel_[m_ - k] = std::conj(chirp_[k]);
    }
    radix2_.forward(kernel_);
  }

  std::vector<Complex> forward(std::vector<Complex> x) const {
    if (n_ <= 1) return x;
    if (pow2_) {
      radix2_.forward(x);
      return x;
    }
    std::vector<Complex> a(m_, Complex(0.0, 0.0));
    for (std::size_t j = 0; j < n_; ++j) a[j] = x[j] * chirp_[j];
    radix2_.forward(a);
    for (std::size_t i = 0; i < m_; ++i) a[i] *= kernel_[i];
    radix2_.inverse(a);
    for (std::size_t k = 0; k < n_; ++k) x[k] = a[k] * chirp_[k];
    return x;
  }

 private:
  std::size_t n_;
  bool pow2_;
  std::size_t m_;
  Radix2 radix2_;
  std::vector<Complex> chirp_;
  std::vector<Complex> kernel_;  // FFT of conj(c_k), wrapped for circular convolution
};

// scipy.signal.get_window('hann', n) is periodic (sym=False): the symmetric
// window of n + 1 points with the last dropped, so w[j] = 0.5 - 0.5 cos(2 pi j / n).
// Periodic is what makes overlapping segments at 50 % sum to a constant.
std::vector<double> periodicHann(std::size_t n) {
  std::vector<double> w(n);
  for (std::size_t j = 0; j < n; ++j)
    w[j] = 0.5 - 0.5 * std::cos(2.0 * kPi * static_cast<double>(j) / static_cast<double>(n));
  return w;
}

}  // namespace

namespace Impl {
std::vector<std::complex<double>> fft(std::vector<std::complex<double>> x) {
  const FftPlan plan(x.size());
  return plan.forward(std::move(x));
}
}  // namespace Impl

Spectrum welch(const std::vector<double>& x, double fs_hz, const WelchSettings& settings) {
  if (!(fs_hz > 0.0) || !std::isfinite(fs_hz)) {
    std::ostringstream msg;
    msg << "welch: sampling rate must be > 0 Hz and finite, got " << fs_hz;
    throw std::invalid_argument(msg.str());
  }
  if (!(settings.overlap >= 0.0 && settings.overlap < 1.0)) {
    std::ostringstream msg;
    msg << "welch: overlap must be in [0, 1), got " << settings.overlap;
    throw std::invalid_argument(msg.str());
  }
  if (x.size() < 2) return Spectrum{};

  const double segment_samples = std::round(settings.segment_ms * fs_hz / 1000.0);
  if (!(segment_samples >= 2.0)) {
    std::ostringstream msg;
    msg << "welch: segment of " << settings.segment_ms << " ms is shorter than 2 samples at " << fs_hz
        << " Hz";
    throw std::invalid_argument(msg.str());
  }
  // Like scipy, a segment longer than the record shrinks to the record.
  const std::size_t nperseg =
      segment_samples >= static_cast<double>(x.size()) ? x.size() : static_cast<std::size_t>(segment_samples);
  const auto noverlap = static_cast<std::size_t>(std::floor(settings.overlap * static_cast<double>(nperseg)));
  const std::size_t step = nperseg - noverlap;  // >= 1 since overlap < 1
  const std::size_t n_segments = (x.size() - nperseg) / step + 1;
  const std::size_t n_bins = nperseg / 2 + 1;

  const std::vector<double> window = periodicHann(nperseg);
  double window_power = 0.0;
  for (double w : window) window_power += w * w;

  const FftPlan plan(nperseg);
  std::vector<double> power_sum(n_bins, 0.0);
  std::vector<Complex> buffer(nperseg);
  for (std::size_t s = 0; s < n_segments; ++s) {
    const double* seg = x.data() + s * step;
    double mean = 0.0;
    for (std::size_t j = 0; j < nperseg; ++j) mean += seg[j];
    mean /= static_cast<double>(nperseg);
    for (std::size_t j = 0; j < nperseg; ++j) buffer[j] = Complex((seg[j] - mean) * window[j], 0.0);
    const std::vector<Complex> spectrum = plan.forward(buffer);
    for (std::size_t k = 0; k < n_bins; ++k) power_sum[k] += std::norm(spectrum[k]);
  }

  // Density scaling, as scipy: |X_k|^2 / (fs * sum w^2), averaged over
  // segments. The one-sided spectrum folds bin n-k onto bin k, so every bin
  // is doubled except DC and, for even nperseg, Nyquist, which have no mirror.
  // By Parseval, sum(psd) * df is then the segment mean of
  // sum((x - mean)^2 w^2) / sum(w^2): the variance of a stationary signal.
  Spectrum out;
  out.df_hz = fs_hz / static_cast<double>(nperseg);
  out.segments = static_cast<int>(n_segments);
  out.freq_hz.resize(n_bins);
  out.psd.resize(n_bins);
  const double scale = 1.0 / (fs_hz * window_power * static_cast<double>(n_segments));
  for (std::size_t k = 0; k < n_bins; ++k) {
    const bool unpaired = k == 0 || (nperseg % 2 == 0 && k == nperseg / 2);
    out.freq_hz[k] = static_cast<double>(k) * out.df_hz;
    out.psd[k] = power_sum[k] * scale * (unpaired ? 1.0 : 2.0);
  }
  return out;
}

std::pair<std::size_t, std::size_t> bandBins(const Spectrum& s, double lo_hz, double hi_hz) {
  const std::size_t n_bins = s.psd.size();
  if (n_bins == 0 || !(s.df_hz > 0.0) || std::isnan(lo_hz) || std::isnan(hi_hz)) return {0, 0};
  // The 1e-9 (in units of bins) absorbs the rounding of lo/df and hi/df, a
  // few ulps, so an edge exactly on a bin stays included; no real band edge
  // is meant to lie within 1e-9 of a bin without being on it.
  const double k_lo = std::ceil(lo_hz / s.df_hz - 1e-9);
  const double k_hi = std::floor(hi_hz / s.df_hz + 1e-9);
  const double last = static_cast<double>(n_bins - 1);
  if (k_hi < 0.0 || k_lo > last || k_lo > k_hi) return {0, 0};
  const auto first = static_cast<std::size_t>(std::max(k_lo, 0.0));
  const auto end = static_cast<std::size_t>(std::min(k_hi, last)) + 1;
  return {first, end};
}

double bandPower(const Spectrum& s, double lo_hz, double hi_hz) {
  const auto [first, end] = bandBins(s, lo_hz, hi_hz);
  double sum = 0.0;
  for (std::size_t k = first; k < end; ++k) sum += s.psd[k];
  return sum * s.df_hz;
}

BetaMetrics betaMetrics(const Spectrum& s, double band_lo, double band_hi, double total_lo, double total_hi) {
  BetaMetrics m;
  m.beta_power = bandPower(s, band_lo, band_hi);
  const double total = bandPower(s, total_lo, total_hi);
  m.relative_beta = total > 0.0 ? m.beta_power / total : 0.0;
  const auto [first, end] = bandBins(s, band_lo, band_hi);
  if (first == end) {
    m.peak_hz = std::numeric_limits<double>::quiet_NaN();
    m.peak_psd = 0.0;
    return m;
  }
  // First maximum on ties, like numpy.argmax in the prototype's beta_peak.
  std::size_t best = first;
  for (std::size_t k = first + 1; k < end; ++k)
    if (s.psd[k] > s.psd[best]) best = k;
  m.peak_hz = static_cast<double>(best) * s.df_hz;
  m.peak_psd = s.psd[best];
  return m;
}

double bandProminence(const Spectrum& s, double band_lo, double band_hi, double fit_lo, double fit_hi) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto [first, end] = bandBins(s, band_lo, band_hi);
  const auto [fit_first, fit_end] = bandBins(s, fit_lo, fit_hi);
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t k = fit_first; k < fit_end; ++k) {
    if ((k >= first && k < end) || k == 0 || !(s.psd[k] > 0)) continue;
    const double x = std::log10(static_cast<double>(k) * s.df_hz), y = std::log10(s.psd[k]);
    n += 1;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const double det = n * sxx - sx * sx;
  if (first == end || n < 2 || !(det > 0)) return nan;
  const double slope = (n * sxy - sx * sy) / det, intercept = (sy - slope * sx) / n;
  std::size_t best = first;
  for (std::size_t k = first + 1; k < end; ++k)
    if (s.psd[k] > s.psd[best]) best = k;
  if (best == 0) return nan;
  const double background = std::pow(10.0, intercept + slope * std::log10(static_cast<double>(best) * s.df_hz));
  return s.psd[best] / background;
}

}  // namespace cbgtc::analysis
