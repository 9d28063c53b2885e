#include "src/analysis/spectral.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

namespace cbgtc::analysis {

namespace {

using Complex = std::complex<double>;

constexpr double kPi = 3.14159265358979323846;

// a·b as written (ac − bd, ad + bc): std::complex's operator* calls a
// library routine that rescues inf·0 products, which finite transforms never
// need, and gives the same bits for finite values.
Complex multiply(Complex a, Complex b) {
  return Complex(a.real() * b.real() - a.imag() * b.imag(), a.real() * b.imag() + a.imag() * b.real());
}

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
          const Complex v = multiply(a[i + j + half], twiddle_[j * stride]);
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

// Small DFTs, X_t = sum_r c_r exp(-2 pi i r t / P), written out.
template <int P>
void smallDft(const Complex (&c)[P], Complex (&d)[P]);

// (x + iy)·(−i) = y − ix.
Complex timesMinusI(Complex v) { return Complex(v.imag(), -v.real()); }

template <>
void smallDft<2>(const Complex (&c)[2], Complex (&d)[2]) {
  d[0] = c[0] + c[1];
  d[1] = c[0] - c[1];
}

template <>
void smallDft<3>(const Complex (&c)[3], Complex (&d)[3]) {
  constexpr double sin60 = 0.86602540378443864676;  // sin(2 pi / 3)
  const Complex sum = c[1] + c[2];
  const Complex mid = c[0] - 0.5 * sum;
  const Complex rot = timesMinusI(sin60 * (c[1] - c[2]));
  d[0] = c[0] + sum;
  d[1] = mid + rot;
  d[2] = mid - rot;
}

template <>
void smallDft<4>(const Complex (&c)[4], Complex (&d)[4]) {
  const Complex a = c[0] + c[2], b = c[0] - c[2], e = c[1] + c[3], f = timesMinusI(c[1] - c[3]);
  d[0] = a + e;
  d[1] = b + f;
  d[2] = a - e;
  d[3] = b - f;
}

template <>
void smallDft<5>(const Complex (&c)[5], Complex (&d)[5]) {
  constexpr double cos1 = 0.30901699437494742410,
                   cos2 = -0.80901699437494742410;                                // cos(2 pi k / 5), k = 1, 2
  constexpr double sin1 = 0.95105651629515357212, sin2 = 0.58778525229247312917;  // sin(2 pi k / 5)
  const Complex a1 = c[1] + c[4], b1 = c[1] - c[4], a2 = c[2] + c[3], b2 = c[2] - c[3];
  const Complex re1 = c[0] + cos1 * a1 + cos2 * a2, re2 = c[0] + cos2 * a1 + cos1 * a2;
  const Complex im1 = timesMinusI(sin1 * b1 + sin2 * b2), im2 = timesMinusI(sin2 * b1 - sin1 * b2);
  d[0] = c[0] + a1 + a2;
  d[1] = re1 + im1;
  d[2] = re2 + im2;
  d[3] = re2 - im2;
  d[4] = re1 - im1;
}

// DFT of a length whose prime factors are 2, 3 and 5 (a trace or segment of
// a whole number of milliseconds at 1 or 2 kHz), in radix-4, 2, 3 and 5
// stages: a few times fewer operations than Bluestein's three transforms of
// at least twice the length. Stockham's order (decimation in frequency): a
// stage of radix P turns `stride` transforms of length P·m, interleaved,
// into P·stride of length m, and the output comes out in natural order,
// without a bit reversal. Twiddles are tabulated per stage from exact
// angles, (j·t mod length) reduced in integers.
class MixedRadix {
 public:
  static bool handles(std::size_t n) {
    for (const std::size_t p : {2u, 3u, 5u})
      while (n > 1 && n % p == 0) n /= p;
    return n == 1;
  }

  explicit MixedRadix(std::size_t n) : n_(n) {
    std::size_t length = n;
    while (length > 1) {
      const std::size_t p = length % 4 == 0 ? 4 : length % 2 == 0 ? 2 : length % 3 == 0 ? 3 : 5;
      Stage stage{static_cast<int>(p), length / p, {}};
      stage.twiddle.resize(stage.m * (p - 1));
      for (std::size_t j = 0; j < stage.m; ++j)
        for (std::size_t t = 1; t < p; ++t) {
          const double angle =
              -2.0 * kPi * static_cast<double>((j * t) % length) / static_cast<double>(length);
          stage.twiddle[j * (p - 1) + (t - 1)] = Complex(std::cos(angle), std::sin(angle));
        }
      stages_.push_back(std::move(stage));
      length /= p;
    }
  }

  void forward(std::vector<Complex>& a) const {
    std::vector<Complex> scratch(n_);
    Complex* x = a.data();
    Complex* y = scratch.data();
    std::size_t stride = 1;
    for (const Stage& stage : stages_) {
      switch (stage.p) {
        case 2:
          apply<2>(stage, stride, x, y);
          break;
        case 3:
          apply<3>(stage, stride, x, y);
          break;
        case 4:
          apply<4>(stage, stride, x, y);
          break;
        default:
          apply<5>(stage, stride, x, y);
          break;
      }
      std::swap(x, y);
      stride *= static_cast<std::size_t>(stage.p);
    }
    if (x != a.data()) std::copy(x, x + n_, a.begin());
  }

 private:
  struct Stage {
    int p;
    std::size_t m;                 // length of the transforms the stage leaves
    std::vector<Complex> twiddle;  // [j][t − 1]: exp(−2 pi i j t / (P m))
  };

  template <int P>
  static void apply(const Stage& stage, std::size_t stride, const Complex* x, Complex* y) {
    const std::size_t m = stage.m;
    for (std::size_t j = 0; j < m; ++j) {
      const Complex* w = &stage.twiddle[j * (P - 1)];
      for (std::size_t q = 0; q < stride; ++q) {
        Complex c[P], d[P];
        for (int r = 0; r < P; ++r) c[r] = x[q + stride * (j + static_cast<std::size_t>(r) * m)];
        smallDft<P>(c, d);
        Complex* out = y + q + stride * P * j;
        out[0] = d[0];
        for (int t = 1; t < P; ++t) out[stride * static_cast<std::size_t>(t)] = multiply(d[t], w[t - 1]);
      }
    }
  }

  std::size_t n_;
  std::vector<Stage> stages_;
};

// DFT of any length: Radix2 for powers of two, MixedRadix where 2, 3 and 5
// are the only prime factors, else Bluestein. Welch calls it once per segment
// with the same length, so the twiddles, chirp and transformed kernel are
// computed once per plan.
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
      : n_(n),
        pow2_(n <= 1 || isPowerOfTwo(n)),
        mixed_(!pow2_ && MixedRadix::handles(n)),
        m_(pow2_ || mixed_ ? n : nextPowerOfTwo(2 * n - 1)),
        radix2_(pow2_    ? m_
                : mixed_ ? 0
                         : m_),
        mixed_radix_(mixed_ ? n : 1) {
    if (pow2_ || mixed_) return;
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
    if (mixed_) {
      mixed_radix_.forward(x);
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
  bool mixed_;  // 2, 3 and 5 are its only prime factors
  std::size_t m_;
  Radix2 radix2_;
  MixedRadix mixed_radix_;
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

// Welch's segmentation (docs/model.md §7.3), shared by welch and coherence
// so the two always cut a record the same way.
struct Segmentation {
  std::size_t nperseg = 0;
  std::size_t step = 0;  // nperseg - noverlap
  std::size_t count = 0;
  std::size_t bins() const { return nperseg / 2 + 1; }
};

void checkWelchArguments(const char* caller, double fs_hz, const WelchSettings& settings) {
  if (!(fs_hz > 0.0) || !std::isfinite(fs_hz)) {
    std::ostringstream msg;
    msg << caller << ": sampling rate must be > 0 Hz and finite, got " << fs_hz;
    throw std::invalid_argument(msg.str());
  }
  if (!(settings.overlap >= 0.0 && settings.overlap < 1.0)) {
    std::ostringstream msg;
    msg << caller << ": overlap must be in [0, 1), got " << settings.overlap;
    throw std::invalid_argument(msg.str());
  }
}

// For a record of n >= 2 samples.
Segmentation segmentation(const char* caller, std::size_t n, double fs_hz, const WelchSettings& settings) {
  const double segment_samples = std::round(settings.segment_ms * fs_hz / 1000.0);
  if (!(segment_samples >= 2.0)) {
    std::ostringstream msg;
    msg << caller << ": segment of " << settings.segment_ms << " ms is shorter than 2 samples at " << fs_hz
        << " Hz";
    throw std::invalid_argument(msg.str());
  }
  Segmentation seg;
  // Like scipy, a segment longer than the record shrinks to the record.
  seg.nperseg = segment_samples >= static_cast<double>(n) ? n : static_cast<std::size_t>(segment_samples);
  const auto noverlap =
      static_cast<std::size_t>(std::floor(settings.overlap * static_cast<double>(seg.nperseg)));
  seg.step = seg.nperseg - noverlap;  // >= 1 since overlap < 1
  seg.count = (n - seg.nperseg) / seg.step + 1;
  return seg;
}

// The DFT of one segment with its mean removed, times the periodic Hann window.
class SegmentTransform {
 public:
  explicit SegmentTransform(std::size_t nperseg)
      : window_(periodicHann(nperseg)), plan_(nperseg), buffer_(nperseg) {}

  std::vector<Complex> operator()(const double* segment) {
    const std::size_t n = window_.size();
    double mean = 0.0;
    for (std::size_t j = 0; j < n; ++j) mean += segment[j];
    mean /= static_cast<double>(n);
    for (std::size_t j = 0; j < n; ++j) buffer_[j] = Complex((segment[j] - mean) * window_[j], 0.0);
    return plan_.forward(buffer_);
  }

  const std::vector<double>& window() const { return window_; }

 private:
  std::vector<double> window_;
  FftPlan plan_;
  std::vector<Complex> buffer_;
};

// bandBins' rule on a grid of n_bins bins df_hz apart.
std::pair<std::size_t, std::size_t> binRange(std::size_t n_bins, double df_hz, double lo_hz, double hi_hz) {
  if (n_bins == 0 || !(df_hz > 0.0) || std::isnan(lo_hz) || std::isnan(hi_hz)) return {0, 0};
  // The 1e-9 (in units of bins) absorbs the rounding of lo/df and hi/df, a
  // few ulps, so an edge exactly on a bin stays included; no real band edge
  // is meant to lie within 1e-9 of a bin without being on it.
  const double k_lo = std::ceil(lo_hz / df_hz - 1e-9);
  const double k_hi = std::floor(hi_hz / df_hz + 1e-9);
  const double last = static_cast<double>(n_bins - 1);
  if (k_hi < 0.0 || k_lo > last || k_lo > k_hi) return {0, 0};
  const auto first = static_cast<std::size_t>(std::max(k_lo, 0.0));
  const auto end = static_cast<std::size_t>(std::min(k_hi, last)) + 1;
  return {first, end};
}

}  // namespace

std::size_t fastFftLength(std::size_t n) {
  while (n > 1 && !MixedRadix::handles(n)) --n;
  return n;
}

namespace Impl {
std::vector<std::complex<double>> fft(std::vector<std::complex<double>> x) {
  const FftPlan plan(x.size());
  return plan.forward(std::move(x));
}

struct FftOfLength::Plan {
  std::size_t n;
  FftPlan plan;
};
FftOfLength::FftOfLength(std::size_t n) : plan_(std::make_unique<const Plan>(Plan{n, FftPlan(n)})) {}
FftOfLength::~FftOfLength() = default;
FftOfLength::FftOfLength(FftOfLength&&) noexcept = default;
FftOfLength& FftOfLength::operator=(FftOfLength&&) noexcept = default;
std::size_t FftOfLength::size() const { return plan_->n; }
std::vector<std::complex<double>> FftOfLength::forward(std::vector<std::complex<double>> x) const {
  if (x.size() != plan_->n)
    throw std::invalid_argument("FftOfLength: planned for " + std::to_string(plan_->n) + " points, given " +
                                std::to_string(x.size()));
  return plan_->plan.forward(std::move(x));
}
}  // namespace Impl

Spectrum welch(const std::vector<double>& x, double fs_hz, const WelchSettings& settings) {
  checkWelchArguments("welch", fs_hz, settings);
  if (x.size() < 2) return Spectrum{};
  const Segmentation seg = segmentation("welch", x.size(), fs_hz, settings);
  const std::size_t nperseg = seg.nperseg, n_segments = seg.count, n_bins = seg.bins();

  SegmentTransform transform(nperseg);
  double window_power = 0.0;
  for (double w : transform.window()) window_power += w * w;

  std::vector<double> power_sum(n_bins, 0.0);
  for (std::size_t s = 0; s < n_segments; ++s) {
    const std::vector<Complex> spectrum = transform(x.data() + s * seg.step);
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
  return binRange(s.psd.size(), s.df_hz, lo_hz, hi_hz);
}

double bandPower(const Spectrum& s, double lo_hz, double hi_hz) {
  const auto [first, end] = bandBins(s, lo_hz, hi_hz);
  double sum = 0.0;
  for (std::size_t k = first; k < end; ++k) sum += s.psd[k];
  return sum * s.df_hz;
}

BetaMetrics betaMetrics(const Spectrum& s, double band_lo, double band_hi, double total_lo, double total_hi) {
  BetaMetrics m;
  const auto [first, end] = bandBins(s, band_lo, band_hi);
  // No spectrum (an empty analysed window), or one too coarse for the band
  // to hold a bin (a window shorter than 1/(band width)): no power to speak
  // of, rather than none.
  m.beta_power = first == end ? std::numeric_limits<double>::quiet_NaN() : bandPower(s, band_lo, band_hi);
  const double total = bandPower(s, total_lo, total_hi);
  m.relative_beta = total > 0.0 ? m.beta_power / total : std::numeric_limits<double>::quiet_NaN();
  if (first == end) {
    m.peak_hz = std::numeric_limits<double>::quiet_NaN();
    m.peak_psd = 0.0;
    return m;
  }
  // First maximum on ties, like numpy.argmax in the prototype's beta_peak.
  std::size_t best = first;
  bool flat = true;
  for (std::size_t k = first + 1; k < end; ++k) {
    flat = flat && s.psd[k] == s.psd[first];
    if (s.psd[k] > s.psd[best]) best = k;
  }
  // A flat band (a silent trace's zeros among them, also in a band of one
  // bin) has no peak.
  m.peak_hz = (flat && end - first > 1) || !(s.psd[best] > 0) ? std::numeric_limits<double>::quiet_NaN()
                                                              : static_cast<double>(best) * s.df_hz;
  m.peak_psd = s.psd[best];
  return m;
}

double PowerLaw::at(double f_hz) const { return std::pow(10.0, log10_c + exponent * std::log10(f_hz)); }

PowerLaw aperiodicBackground(const Spectrum& s, double band_lo, double band_hi, double fit_lo,
                             double fit_hi) {
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
  if (n < 2 || !(det > 0)) return {nan, nan};
  const double slope = (n * sxy - sx * sy) / det;
  return {(sy - slope * sx) / n, slope};
}

double bandProminence(const Spectrum& s, double band_lo, double band_hi, double fit_lo, double fit_hi) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const auto [first, end] = bandBins(s, band_lo, band_hi);
  const PowerLaw background = aperiodicBackground(s, band_lo, band_hi, fit_lo, fit_hi);
  if (first == end || std::isnan(background.exponent)) return nan;
  std::size_t best = first;
  for (std::size_t k = first + 1; k < end; ++k)
    if (s.psd[k] > s.psd[best]) best = k;
  if (best == 0) return nan;
  return s.psd[best] / background.at(static_cast<double>(best) * s.df_hz);
}

namespace {

// Normalised Shannon entropy of weights w[first..end): §7.6.
template <class Weight>
double normalisedEntropy(std::size_t first, std::size_t end, Weight w) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (end - first < 2) return nan;
  double total = 0.0;
  for (std::size_t k = first; k < end; ++k) total += w(k);
  if (!(total > 0.0) || !std::isfinite(total)) return nan;
  double entropy = 0.0;
  for (std::size_t k = first; k < end; ++k) {
    const double p = w(k) / total;
    if (p > 0.0) entropy -= p * std::log(p);
  }
  return entropy / std::log(static_cast<double>(end - first));
}

}  // namespace

double spectralEntropy(const Spectrum& s, double lo_hz, double hi_hz) {
  const auto [first, end] = bandBins(s, lo_hz, hi_hz);
  return normalisedEntropy(first, end, [&](std::size_t k) { return s.psd[k]; });
}

double flattenedSpectralEntropy(const Spectrum& s, double lo_hz, double hi_hz, const PowerLaw& background) {
  const auto [first, end] = bandBins(s, lo_hz, hi_hz);
  if (first == 0 && end > first) return std::numeric_limits<double>::quiet_NaN();  // no power law at f = 0
  return normalisedEntropy(
      first, end, [&](std::size_t k) { return s.psd[k] / background.at(static_cast<double>(k) * s.df_hz); });
}

Peak globalPeak(const Spectrum& s, double lo_hz, double hi_hz) {
  const auto [first, end] = bandBins(s, lo_hz, hi_hz);
  std::size_t best = first;
  for (std::size_t k = first + 1; k < end; ++k)
    if (s.psd[k] > s.psd[best]) best = k;
  if (first == end || !(s.psd[best] > 0.0)) return {std::numeric_limits<double>::quiet_NaN(), 0.0};
  return {static_cast<double>(best) * s.df_hz, s.psd[best]};
}

Coherence coherence(const std::vector<double>& x, const std::vector<double>& y, double fs_hz,
                    const WelchSettings& settings) {
  checkWelchArguments("coherence", fs_hz, settings);
  if (x.size() != y.size()) {
    std::ostringstream msg;
    msg << "coherence: x has " << x.size() << " samples, y " << y.size();
    throw std::invalid_argument(msg.str());
  }
  if (x.size() < 2) return Coherence{};
  const Segmentation seg = segmentation("coherence", x.size(), fs_hz, settings);
  const std::size_t n_bins = seg.bins();

  // Sums over segments of conj(X) Y, |X|^2 and |Y|^2. Welch's density
  // scaling, one-sided doubling and division by the segment count are the
  // same factor in numerator and denominator, so the ratio does without them.
  SegmentTransform transform(seg.nperseg);
  std::vector<Complex> cross(n_bins, Complex(0.0, 0.0));
  std::vector<double> power_x(n_bins, 0.0), power_y(n_bins, 0.0);
  for (std::size_t s = 0; s < seg.count; ++s) {
    const std::vector<Complex> fx = transform(x.data() + s * seg.step);
    const std::vector<Complex> fy = transform(y.data() + s * seg.step);
    for (std::size_t k = 0; k < n_bins; ++k) {
      cross[k] += std::conj(fx[k]) * fy[k];
      power_x[k] += std::norm(fx[k]);
      power_y[k] += std::norm(fy[k]);
    }
  }

  Coherence out;
  out.df_hz = fs_hz / static_cast<double>(seg.nperseg);
  out.segments = static_cast<int>(seg.count);
  out.freq_hz.resize(n_bins);
  out.coherence.resize(n_bins);
  for (std::size_t k = 0; k < n_bins; ++k) {
    out.freq_hz[k] = static_cast<double>(k) * out.df_hz;
    const double denominator = power_x[k] * power_y[k];
    out.coherence[k] =
        denominator > 0.0 ? std::norm(cross[k]) / denominator : std::numeric_limits<double>::quiet_NaN();
  }
  return out;
}

double bandMeanCoherence(const Coherence& c, double lo_hz, double hi_hz) {
  const auto [first, end] = binRange(c.coherence.size(), c.df_hz, lo_hz, hi_hz);
  double sum = 0.0;
  int defined = 0;
  for (std::size_t k = first; k < end; ++k) {
    if (std::isnan(c.coherence[k])) continue;
    sum += c.coherence[k];
    ++defined;
  }
  return defined > 0 ? sum / defined : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace cbgtc::analysis
